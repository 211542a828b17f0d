//! Window-bounded fetching (`docs/design.md`), through the simulator on paused time: after a
//! unit's first (full) poll, a poll reads only what can have changed, and a full pass every
//! `reconcile_interval` catches what that cannot see.
//!
//! Each provider with paging (AWS Backup on its backup-job list) is driven with a history of 20 pages (200 finished tasks, ten a
//! page, spread over four days): steady-state polls cost about one request per list while
//! new completions at the head count exactly once; a late change deep in the history counts
//! once at the next full pass; a long-running task created long ago stays active and its
//! end counts once; a list that is not newest first is paged in full on every poll.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use cloud_task_exporter::accounting::lock as lock_account;
use cloud_task_exporter::config::{Settings, Target};
use cloud_task_exporter::scheduler::TargetRunner;
use cloud_task_exporter::sim::aws::epoch;
use cloud_task_exporter::sim::huawei::wire::{cbr_time, dms_time, vbs_time};
use cloud_task_exporter::sim::huawei::{CbrLog, DmsTask, VbsTask};
use cloud_task_exporter::sim::yandex::SimTask;
use cloud_task_exporter::sim::{FakeCloud, Sim, lock};
use jiff::{SignedDuration, Timestamp};

use crate::faults::{BUCKETS, completions};
use crate::support;

const TOKEN: &str = "t1.window-test-token";
const AK: &str = "WINDOWTESTAK00000001";
const SK: &str = "window-test-secret-key";
const PROJECT: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8fa";
const INSTANCE: &str = "fhmwindow0000001";
const POLICY: &str = "policy-window";
const DMS_INSTANCE: &str = "instance-window";

/// Tasks in each history, and per page.
const HISTORY: usize = 200;
const PAGE: u32 = 10;
const FULL_PAGES: usize = HISTORY / PAGE as usize;
/// The poll interval.
const INTERVAL: Duration = Duration::from_secs(300);

/// A task id unique across the test binary.
fn next_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(7_000_000);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

fn ago(secs: i64) -> Timestamp {
    Timestamp::now() - SignedDuration::from_secs(secs)
}

/// How old the `i`th task of a history is: 6 h, then half an hour apart (the oldest about
/// four days).
fn history_age(i: usize) -> i64 {
    6 * 3600 + i as i64 * 1800
}

/// A task's state as the test sets it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum St {
    Running,
    Succeeded,
    Failed,
    /// A status the mapping does not know: neither active nor finished.
    Odd,
}

/// The providers whose lists page.
#[derive(Debug, Clone, Copy, PartialEq)]
enum World {
    Yandex,
    Vbs,
    Cbr,
    Dms,
    Aws,
}

const WORLDS: [World; 5] = [
    World::Yandex,
    World::Vbs,
    World::Cbr,
    World::Dms,
    World::Aws,
];

impl World {
    fn name(self) -> &'static str {
        match self {
            World::Yandex => "yandex_backup",
            World::Vbs => "huawei_vbs",
            World::Cbr => "huawei_cbr",
            World::Dms => "huawei_dms",
            World::Aws => "aws_backup",
        }
    }

    fn setup(self, sim: &Sim, url: &str, settings: Settings) -> Target {
        lock(&sim.yandex).register_iam_token(TOKEN);
        {
            let mut h = lock(&sim.huawei);
            h.add_aksk(AK, SK);
            h.add_dms_instance(DMS_INSTANCE, "kafka-window", "kafka");
        }
        lock(&sim.yandex).add_instance(INSTANCE);
        sim.aws().add_credentials(AK, SK, None);
        let aksk = support::aksk(AK, SK);
        let keys = match self {
            World::Yandex => support::yandex(
                &format!("iam_token: {TOKEN}"),
                url,
                &support::ids("compute_instance_ids", &[INSTANCE]),
            ),
            World::Vbs => support::huawei(
                self.name(),
                PROJECT,
                &aksk,
                &support::ids("policy_ids", &[POLICY]),
            ),
            World::Cbr => support::huawei(self.name(), PROJECT, &aksk, ""),
            World::Dms => support::huawei(
                self.name(),
                PROJECT,
                &aksk,
                &format!("engine: kafka\ninstance_ids: [{DMS_INSTANCE}]"),
            ),
            World::Aws => format!(
                "provider: aws_backup\nregion: eu-west-1\njob_types: [backup]\nauth: {{ access_key_id: {AK}, secret_access_key: {SK} }}\n"
            ),
        };
        support::target(&format!("window-{}", self.name()), url, &keys, settings)
    }

    /// Adds task `id`, created `age` seconds ago, in state `st`; a task with this id already
    /// there is replaced where it is. Finished tasks end a minute after their creation, or
    /// now when created less than a minute ago.
    fn put(self, sim: &Sim, id: u64, age: i64, st: St) {
        let created = ago(age);
        let ended = if age > 60 { ago(age - 60) } else { ago(0) };
        let done = matches!(st, St::Succeeded | St::Failed);
        match self {
            World::Yandex => {
                let (status, code) = match st {
                    St::Running => ("STARTED", None),
                    St::Succeeded => ("COMPLETED", Some("OK")),
                    St::Failed => ("COMPLETED", Some("ERROR")),
                    St::Odd => ("SUSPENDED", None),
                };
                let completed = done.then(|| ended.to_string());
                let mut t = SimTask::new(id.to_string(), "BACKUP", status).times(
                    &created.to_string(),
                    Some(&(created + SignedDuration::from_secs(1)).to_string()),
                    completed.as_deref(),
                );
                if let Some(c) = code {
                    t = t.result(c, None);
                }
                lock(&sim.yandex).upsert_task(INSTANCE, t);
            }
            World::Vbs => {
                let status = match st {
                    St::Running => "RUNNING",
                    St::Succeeded => "EXECUTE_SUCCESS",
                    St::Failed => "EXECUTE_FAIL",
                    St::Odd => "SUSPENDED",
                };
                let job = format!("job-{id}");
                let mut h = lock(&sim.huawei);
                if let Some(list) = h.vbs_tasks.get_mut(POLICY) {
                    list.retain(|t| t.job_id != job);
                }
                h.add_vbs_task(
                    POLICY,
                    VbsTask {
                        job_id: job,
                        status: status.into(),
                        created_at: vbs_time(created),
                        finished_at: done.then(|| vbs_time(ended)),
                        backup_name: format!("autobk_{id}"),
                        resource_id: "vol-window-1".into(),
                        resource_type: "volume".into(),
                        error: None,
                    },
                );
            }
            World::Cbr => {
                let status = match st {
                    St::Running => "running",
                    St::Succeeded => "success",
                    St::Failed => "failed",
                    St::Odd => "suspended",
                };
                lock(&sim.huawei).add_cbr_log(CbrLog {
                    id: format!("00000000-0000-4000-8000-{id:012x}"),
                    status: status.into(),
                    operation_type: "backup".into(),
                    created_at: cbr_time(created),
                    started_at: cbr_time(created + SignedDuration::from_secs(1)),
                    updated_at: cbr_time(if done { ended } else { created }),
                    ended_at: done.then(|| cbr_time(ended)),
                    progress: Some(if done { 100 } else { 40 }),
                    resource_id: "ecs-window-1".into(),
                    resource_name: "web-1".into(),
                    resource_type: "OS::Nova::Server".into(),
                    vault_id: "vault-1".into(),
                    error: None,
                });
            }
            World::Aws => {
                let state = match st {
                    St::Running => "RUNNING",
                    St::Succeeded => "COMPLETED",
                    St::Failed => "FAILED",
                    St::Odd => "SUSPENDED",
                };
                let mut job = serde_json::json!({
                    "BackupJobId": format!("job-{id}"),
                    "BackupVaultName": "vault-window",
                    "ResourceArn": "arn:aws:ec2:eu-west-1:123456789012:volume/vol-window1",
                    "ResourceType": "EBS",
                    "State": state,
                    "CreationDate": epoch(created),
                });
                if done {
                    job["CompletionDate"] = epoch(ended);
                    job["MessageCategory"] = serde_json::json!(if st == St::Succeeded {
                        "SUCCESS"
                    } else {
                        "ERROR"
                    });
                }
                // Replaced where it is: the list keeps its order.
                let mut aws = sim.aws();
                let key = format!("job-{id}");
                let mut patch = job.clone();
                for gone in ["CompletionDate", "MessageCategory"] {
                    if patch.get(gone).is_none() {
                        patch[gone] = serde_json::Value::Null;
                    }
                }
                if !aws.set_job(&key, patch) {
                    aws.add_backup_job(job);
                }
            }
            World::Dms => {
                let status = match st {
                    St::Running => "EXECUTING",
                    St::Succeeded => "SUCCESS",
                    St::Failed => "FAILED",
                    St::Odd => "SUSPENDED",
                };
                lock(&sim.huawei).add_dms_task(
                    DMS_INSTANCE,
                    DmsTask {
                        id: format!("{id:032x}"),
                        name: "bindInstancePublicIp".into(),
                        status: status.into(),
                        created_at: dms_time(created),
                        updated_at: dms_time(if done { ended } else { created }),
                        progress: None,
                    },
                );
            }
        }
    }

    /// Requests for the task list so far (not tokens, not DMS task progress, not AWS
    /// backup plans).
    fn list_requests(self, sim: &Sim) -> usize {
        sim.requests_to(self.name())
            .iter()
            .filter(|r| !r.request.path.ends_with("/progress"))
            .filter(|r| !r.request.path.starts_with("/backup/plans/"))
            .count()
    }
}

/// The settings of these tests: 5-minute polls, ten tasks a page, a week of lookback.
fn settings(reconcile: Duration) -> Settings {
    Settings {
        interval: INTERVAL,
        timeout: Duration::from_secs(10),
        lookback: Duration::from_secs(7 * 86_400),
        page_size: PAGE,
        max_pages: 100,
        retries: 0,
        requests_per_second: 1000.0,
        reconcile_interval: Some(reconcile),
        ..Settings::default()
    }
}

/// A simulator seeded with a history, and a runner polling it.
struct Rig {
    world: World,
    cloud: FakeCloud,
    runner: TargetRunner,
    /// The ids of the history, newest first.
    history: Vec<u64>,
}

impl Rig {
    /// A history of [`HISTORY`] finished tasks, newest first; `special` sets the state of
    /// some of them (by position, 0 = newest).
    async fn start(world: World, reconcile: Duration, special: &[(usize, St)]) -> Rig {
        let cloud = FakeCloud::start(Sim::new()).await.unwrap();
        let target = world.setup(cloud.sim(), &cloud.url(), settings(reconcile));
        let history: Vec<u64> = (0..HISTORY).map(|_| next_id()).collect();
        // Oldest first: the Yandex simulator puts each new task at the head.
        for i in (0..HISTORY).rev() {
            let st = special.iter().find(|(at, _)| *at == i).map_or(
                if i % 7 == 3 {
                    St::Failed
                } else {
                    St::Succeeded
                },
                |s| s.1,
            );
            world.put(cloud.sim(), history[i], history_age(i), st);
        }
        Rig::with(world, cloud, target, history)
    }

    fn with(world: World, cloud: FakeCloud, target: Target, history: Vec<u64>) -> Rig {
        let runner = support::runner(&target, &BUCKETS);
        Rig {
            world,
            cloud,
            runner,
            history,
        }
    }

    fn sim(&self) -> &Sim {
        self.cloud.sim()
    }

    /// Waits one interval, polls, and returns the list requests the poll sent.
    async fn poll(&mut self) -> usize {
        tokio::time::advance(INTERVAL).await;
        let before = self.world.list_requests(self.sim());
        let all_before = self.sim().requests().len();
        let sent_before: u64 = self.runner.snapshot().requests.values().sum();
        self.runner
            .poll_once()
            .await
            .unwrap_or_else(|e| panic!("{:?}: {e}", self.world));
        let n = self.world.list_requests(self.sim()) - before;
        if self.world != World::Dms {
            // Nothing but the list is asked (a static token, AK/SK signing) besides the backup
            // policies, read at the first poll and once per reconcile_interval: the
            // exporter's own request counter shows what the cloud saw.
            let sent: u64 = self.runner.snapshot().requests.values().sum();
            let all = self.sim().requests().len() - all_before;
            assert_eq!(
                sent - sent_before,
                all as u64,
                "{:?}: cloud_task_api_requests_total",
                self.world
            );
        }
        n
    }

    fn completions(&self) -> u64 {
        completions(&self.runner.snapshot())
    }

    fn active(&self) -> usize {
        self.runner.snapshot().tallies.active.len()
    }
}

/// Steady state: after the first full pass, polls cost one request, with or without news at
/// the head (Yandex, VBS: the first page ends on a known task; CBR, DMS: the time filter
/// starts at the watermark); 20 polls with news in two cost at most 1.1 requests a poll, and
/// each new completion counts once.
#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn issue_9_steady_polls_cost_about_one_request_and_count_new_completions_once() {
    for world in WORLDS {
        let mut rig = Rig::start(world, Duration::from_secs(7200), &[]).await;
        let first = rig.poll().await;
        assert!(
            first >= FULL_PAGES,
            "{world:?}: the first poll is a full pass ({first})"
        );
        assert_eq!(
            rig.completions(),
            0,
            "{world:?}: the baseline counts nothing"
        );
        let polls = 20;
        let mut sent = Vec::new();
        for p in 1..=polls {
            if p == 5 || p == 15 {
                // Paused time does not move the wall clock: later news are made younger.
                let age = 60 - i64::from(p);
                for age in [age, age - 1] {
                    world.put(rig.sim(), next_id(), age, St::Succeeded);
                }
            }
            sent.push(rig.poll().await);
        }
        let total: usize = sent.iter().sum();
        eprintln!(
            "{world:?}: first poll {first} requests; {polls} steady polls {total} requests ({:.2} a poll): {sent:?}",
            total as f64 / f64::from(polls)
        );
        assert!(
            total * 10 <= polls as usize * 11,
            "{world:?}: {total} requests in {polls} polls: {sent:?}"
        );
        assert!(
            sent.iter().all(|n| *n == 1),
            "{world:?}: a poll costs one request, with or without news: {sent:?}"
        );
        assert_eq!(rig.completions(), 4, "{world:?}: each new completion once");
    }
}

/// Finished records are read once (`docs/design.md`): the finished records a poll already accounted are known by their bytes
/// (after the baseline, the memo holds the whole history), and knowing them changes no
/// count: a task that runs and then finishes counts once; the API rewriting it as failed
/// (a new record, the same task) counts nothing more through two full passes over the
/// whole history; and every record listed stays known.
#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn issue_9_known_finished_records_are_passed_over_and_change_no_count() {
    let reconcile = Duration::from_secs(3600);
    let memo = |rig: &Rig| lock_account(&rig.runner.account()).memo.len();
    for world in WORLDS {
        let mut rig = Rig::start(world, reconcile, &[]).await;
        rig.poll().await;
        assert_eq!(memo(&rig), HISTORY, "{world:?}: the baselined history");
        let id = next_id();
        world.put(rig.sim(), id, 50, St::Running);
        rig.poll().await;
        assert_eq!(
            (rig.active(), rig.completions(), memo(&rig)),
            (1, 0, HISTORY),
            "{world:?}: running"
        );
        world.put(rig.sim(), id, 50, St::Succeeded);
        rig.poll().await;
        assert_eq!(
            (rig.active(), rig.completions(), memo(&rig)),
            (0, 1, HISTORY + 1),
            "{world:?}: finished"
        );
        world.put(rig.sim(), id, 50, St::Failed);
        for _ in 0..(2 * reconcile.as_secs() / INTERVAL.as_secs()) {
            rig.poll().await;
        }
        assert_eq!(rig.completions(), 1, "{world:?}: counted once");
        // The rewritten record is known too; its earlier text stays until `lookback`.
        assert_eq!(memo(&rig), HISTORY + 2, "{world:?}");
    }
}

/// A task deep in the history (page 11) whose status the mapping does not know is later
/// corrected by the API to `failed`: windowed polls do not read that far, the next full pass
/// (within `reconcile_interval`) counts it, once, and later polls never again.
#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn issue_9_a_late_change_deep_in_the_history_counts_once_at_the_next_full_pass() {
    const DEEP: usize = 105;
    let reconcile = Duration::from_secs(3600);
    for world in WORLDS {
        let mut rig = Rig::start(world, reconcile, &[(DEEP, St::Odd)]).await;
        rig.poll().await;
        assert_eq!(rig.completions(), 0, "{world:?}");
        let id = rig.history[DEEP];
        world.put(rig.sim(), id, history_age(DEEP), St::Failed);
        // Windowed polls, up to just before the reconcile interval is over.
        let windowed = reconcile.as_secs() / INTERVAL.as_secs() - 1;
        for _ in 0..windowed {
            assert_eq!(rig.poll().await, 1, "{world:?}: windowed");
            assert_eq!(rig.completions(), 0, "{world:?}: out of the window");
        }
        // An hour after the first: a full pass.
        assert!(rig.poll().await >= FULL_PAGES, "{world:?}: full pass");
        assert_eq!(rig.completions(), 1, "{world:?}: caught by the full pass");
        for _ in 0..(2 * windowed + 2) {
            rig.poll().await;
        }
        assert_eq!(rig.completions(), 1, "{world:?}: counted once");
        let snap = rig.runner.snapshot();
        assert_eq!(
            snap.tallies.completions.values().sum::<u64>(),
            snap.tallies
                .completions
                .iter()
                .filter(|((_, _, r), _)| r.as_label() == "failed")
                .map(|(_, n)| n)
                .sum::<u64>(),
            "{world:?}: as failed"
        );
    }
}

/// A task created four days ago (page 16) still running: every windowed poll reads down to
/// it, so it stays active; when it fails the next poll counts it once, and polls are cheap
/// again.
#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn issue_9_a_long_running_old_task_stays_active_and_its_end_counts_once() {
    const DEEP: usize = 155;
    for world in WORLDS {
        let mut rig = Rig::start(world, Duration::from_secs(7200), &[(DEEP, St::Running)]).await;
        rig.poll().await;
        assert_eq!(rig.active(), 1, "{world:?}: active after the full pass");
        for _ in 0..4 {
            let n = rig.poll().await;
            eprintln!("{world:?}: a poll reading down to the running task: {n} requests");
            assert!(
                n > DEEP / PAGE as usize,
                "{world:?}: read down to the running task ({n})"
            );
            assert_eq!(rig.active(), 1, "{world:?}: still active");
            assert_eq!(rig.completions(), 0, "{world:?}");
        }
        let id = rig.history[DEEP];
        world.put(rig.sim(), id, history_age(DEEP), St::Failed);
        rig.poll().await;
        assert_eq!(rig.active(), 0, "{world:?}: ended");
        assert_eq!(rig.completions(), 1, "{world:?}: its end counted");
        for _ in 0..4 {
            assert_eq!(rig.poll().await, 1, "{world:?}: cheap again");
        }
        assert_eq!(rig.completions(), 1, "{world:?}: once");
    }
}

/// A list that is not newest first (here oldest first) is paged in full on every poll; new
/// completions still count once.
#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn issue_9_a_list_not_newest_first_is_paged_in_full_every_poll() {
    let world = World::Yandex;
    let cloud = FakeCloud::start(Sim::new()).await.unwrap();
    let target = world.setup(
        cloud.sim(),
        &cloud.url(),
        settings(Duration::from_secs(7200)),
    );
    let history: Vec<u64> = (0..HISTORY).map(|_| next_id()).collect();
    // Newest first into a list that puts each task at its head: the oldest ends up first.
    for (i, id) in history.iter().enumerate() {
        world.put(cloud.sim(), *id, history_age(i), St::Succeeded);
    }
    let mut rig = Rig::with(world, cloud, target, history);
    assert_eq!(rig.poll().await, FULL_PAGES, "the first poll");
    for p in 0..4 {
        if p == 2 {
            world.put(rig.sim(), next_id(), 60, St::Failed);
        }
        let n = rig.poll().await;
        assert!(n >= FULL_PAGES, "poll {p}: paged in full ({n})");
    }
    assert_eq!(rig.completions(), 1);
}
