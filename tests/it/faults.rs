//! The fault matrix (issue "nothing lost, nothing doubled"): for every provider and every
//! fault, over real HTTP against the simulator:
//!
//! 1. a clean first poll sets the baseline (nothing counted);
//! 2. new completions appear, then the fault hits the next poll: the poll fails with the
//!    right `reason` (or, for faults the client absorbs, succeeds), `up` says so, and no task
//!    metric moves: the last values are still served and `/metrics` renders;
//! 3. the fault clears: the next poll recovers `up`, and every counter equals exactly the
//!    number of distinct terminal tasks that appeared after the baseline, however many polls
//!    saw them.
//!
//! Each provider plugs in through [`Scenario`].

use std::time::Duration;

use cloud_task_exporter::config::{Settings, Target};
use cloud_task_exporter::hub::TargetSnapshot;
use cloud_task_exporter::scheduler::TargetRunner;
use cloud_task_exporter::sim::{FakeCloud, Fault, FaultRule, Sim};

use crate::support::{self, sample};

/// Buckets of the duration histogram in these tests.
pub(crate) const BUCKETS: [f64; 4] = [60.0, 300.0, 1800.0, 7200.0];

/// Per-request timeout of the fault tests; the hang fault waits well past it.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(2);

/// How one provider is driven through the matrix.
pub(crate) trait Scenario: Sync {
    /// The provider id.
    fn provider(&self) -> &'static str;
    /// The simulator service that serves the task list (fault rules and hooks aim at it).
    fn service(&self) -> &'static str;
    /// The unit its target polls (for CBR, the project).
    fn unit(&self) -> &'static str;
    /// Registers credentials and resources in `sim` and seeds `n` terminal tasks.
    fn seed(&self, sim: &Sim, n: usize);
    /// The target that polls `units` through `url`; `None` when this provider cannot poll
    /// them (CBR polls its one project).
    fn target(&self, url: &str, settings: Settings, units: &[&str]) -> Option<Target>;
    /// Seeds `sim` with `n` terminal tasks and returns the target that polls them.
    fn setup(&self, sim: &Sim, url: &str, settings: Settings, n: usize) -> Target {
        self.seed(sim, n);
        self.target(url, settings, &[self.unit()])
            .expect("a scenario polls its own unit")
    }
    /// Adds `n` new terminal tasks (distinct ids, finished just now) to the list.
    fn add_terminal(&self, sim: &Sim, n: usize);
    /// Invalidates every token the simulator issued, so the next API call answers 401.
    /// `false` when the provider's auth has no token (AK/SK signing).
    fn expire_tokens(&self, sim: &Sim) -> bool;
    /// Whether the task list of this provider pages (page shifts are meaningful).
    fn pages(&self) -> bool {
        true
    }
}

/// Settings of the fault tests: one retry, short backoff, small pages, a small body cap.
pub(crate) fn settings() -> Settings {
    Settings {
        interval: Duration::from_secs(3600),
        timeout: TIMEOUT,
        lookback: Duration::from_secs(86_400),
        page_size: 2,
        max_pages: 100,
        retries: 1,
        retry_backoff: Duration::from_millis(10),
        requests_per_second: 1000.0,
        concurrency: 4,
        max_response_bytes: 256 * 1024,
        ..Settings::default()
    }
}

/// A simulator, a target polling it, and its runner.
pub(crate) struct Rig {
    /// The simulator.
    pub cloud: FakeCloud,
    /// The runner under test.
    pub runner: TargetRunner,
    /// The target.
    pub target: Target,
}

impl Rig {
    /// Starts a simulator seeded with `n` terminal tasks and a runner for it.
    pub(crate) async fn start(s: &dyn Scenario, n: usize) -> Rig {
        let cloud = FakeCloud::start(Sim::new()).await.unwrap();
        let target = s.setup(cloud.sim(), &cloud.url(), settings(), n);
        let runner = support::runner(&target, &BUCKETS);
        Rig {
            cloud,
            runner,
            target,
        }
    }

    /// The simulator state.
    pub(crate) fn sim(&self) -> &Sim {
        self.cloud.sim()
    }

    /// The runner's snapshot.
    pub(crate) fn snap(&self) -> TargetSnapshot {
        self.runner.snapshot()
    }

    /// The exposition of this one target.
    pub(crate) fn metrics(&self) -> String {
        support::exposition_of(self.snap(), &BUCKETS)
    }
}

/// Sum of every completion counter.
pub(crate) fn completions(s: &TargetSnapshot) -> u64 {
    s.tallies.completions.values().sum()
}

/// What a fault does to the poll it hits.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// The poll fails with this reason.
    Fails(&'static str),
    /// The client absorbs the fault; the poll succeeds.
    Absorbed,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Status500,
    Status503,
    Throttled,
    Hang,
    Reset,
    Truncated,
    Garbage,
    Oversized,
    ExpiredToken,
    PageShift,
}

const KINDS: [Kind; 10] = [
    Kind::Status500,
    Kind::Status503,
    Kind::Throttled,
    Kind::Hang,
    Kind::Reset,
    Kind::Truncated,
    Kind::Garbage,
    Kind::Oversized,
    Kind::ExpiredToken,
    Kind::PageShift,
];

/// Arms the fault; returns what the next poll should do, or `None` when it does not apply.
fn arm(kind: Kind, s: &'static dyn Scenario, sim: &Sim) -> Option<Expect> {
    let svc = s.service();
    let rule = |f: Fault| sim.inject(FaultRule::service(svc, f));
    Some(match kind {
        Kind::Status500 => {
            rule(Fault::status(500));
            Expect::Fails("server")
        }
        Kind::Status503 => {
            rule(Fault::status(503));
            Expect::Fails("server")
        }
        Kind::Throttled => {
            rule(Fault::throttle("1"));
            Expect::Fails("throttled")
        }
        Kind::Hang => {
            rule(Fault::Delay(TIMEOUT * 3));
            Expect::Fails("timeout")
        }
        Kind::Reset => {
            rule(Fault::Reset);
            Expect::Fails("network")
        }
        Kind::Truncated => {
            rule(Fault::Truncate);
            Expect::Fails("network")
        }
        Kind::Garbage => {
            rule(Fault::Garbage("{\"tasks\": [{\"id\": ".to_string()));
            Expect::Fails("decode")
        }
        Kind::Oversized => {
            rule(Fault::Oversize(1024 * 1024));
            Expect::Fails("decode")
        }
        Kind::ExpiredToken => {
            if !s.expire_tokens(sim) {
                return None;
            }
            Expect::Absorbed
        }
        Kind::PageShift => {
            if !s.pages() {
                return None;
            }
            // While the second page is being asked for, a new completion lands at the head
            // and shifts every later task one place down.
            sim.on_request(svc, 2, move |sim| s.add_terminal(sim, 1));
            Expect::Absorbed
        }
    })
}

/// Runs every fault against one provider.
pub(crate) async fn matrix(s: &'static dyn Scenario) {
    for kind in KINDS {
        one(s, kind).await;
    }
}

async fn one(s: &'static dyn Scenario, kind: Kind) {
    let ctx = format!("{} / {kind:?}", s.provider());
    let mut rig = Rig::start(s, 5).await;

    // 1. Baseline: five old completions recorded, none counted.
    rig.runner
        .poll_once()
        .await
        .unwrap_or_else(|e| panic!("{ctx}: baseline poll: {e}"));
    let base = rig.snap();
    assert!(base.status.up, "{ctx}");
    assert_eq!(completions(&base), 0, "{ctx}: the baseline counts nothing");
    let last_before = base.tallies.last.clone();
    assert!(!last_before.is_empty(), "{ctx}: the baseline sets last_*");

    // 2. Three new completions, then the fault.
    s.add_terminal(rig.sim(), 3);
    let mut expected = 3;
    let Some(expect) = arm(kind, s, rig.sim()) else {
        return;
    };
    if kind == Kind::PageShift {
        expected += 1;
    }
    let result = rig.runner.poll_once().await;
    let snap = rig.snap();
    match expect {
        Expect::Fails(reason) => {
            let err = result.expect_err(&ctx);
            assert_eq!(err.reason(), reason, "{ctx}: {err}");
            if kind == Kind::Truncated {
                assert!(err.to_string().contains("cut short"), "{ctx}: {err}");
            }
            assert!(!snap.status.up, "{ctx}: up must be 0");
            assert_eq!(
                completions(&snap),
                0,
                "{ctx}: a failed poll applies nothing"
            );
            assert_eq!(snap.tallies.last, last_before, "{ctx}: last values kept");
            let text = rig.metrics();
            let labels = [
                ("provider", s.provider()),
                ("target", rig.target.name.as_str()),
            ];
            assert_eq!(
                sample(&text, "cloud_task_target_up", &labels),
                Some(0.0),
                "{ctx}"
            );
            let mut with_reason = labels.to_vec();
            with_reason.push(("reason", reason));
            assert_eq!(
                sample(&text, "cloud_task_target_poll_errors_total", &with_reason),
                Some(1.0),
                "{ctx}"
            );
        }
        Expect::Absorbed => {
            result.unwrap_or_else(|e| panic!("{ctx}: the client should absorb this: {e}"));
            assert!(snap.status.up, "{ctx}");
            // A task inserted at the head after page 1 was read shows up on the next poll.
            let seen_now = completions(&snap);
            assert!(
                seen_now == expected || kind == Kind::PageShift && seen_now == expected - 1,
                "{ctx}: counted {seen_now}, expected {expected}"
            );
        }
    }

    // 3. Recovery, then a repeat poll: each completion counted exactly once.
    rig.sim().clear_faults();
    rig.runner
        .poll_once()
        .await
        .unwrap_or_else(|e| panic!("{ctx}: recovery poll: {e}"));
    rig.runner
        .poll_once()
        .await
        .unwrap_or_else(|e| panic!("{ctx}: repeat poll: {e}"));
    let end = rig.snap();
    assert!(end.status.up, "{ctx}: recovered");
    assert_eq!(completions(&end), expected, "{ctx}: counted exactly once");
    let text = rig.metrics();
    let labels = [
        ("provider", s.provider()),
        ("target", rig.target.name.as_str()),
    ];
    assert_eq!(
        sample(&text, "cloud_task_target_up", &labels),
        Some(1.0),
        "{ctx}"
    );
    let durations: u64 = end.tallies.durations.values().map(|h| h.count).sum();
    assert!(durations <= expected, "{ctx}: each duration lands once");
}

/// One unit of a two-unit target answers 404 on every poll (a deleted resource): the other
/// unit's completions are counted exactly once and its last values move, the target stays
/// up, and the failing unit shows in `cloud_task_resource_up` and its error counter with a
/// message naming it.
pub(crate) async fn one_unit_fails(s: &'static dyn Scenario) {
    const GONE: &str = "gone-0000-deleted";
    let ctx = s.provider();
    let cloud = FakeCloud::start(Sim::new()).await.unwrap();
    s.seed(cloud.sim(), 4);
    // A unit the cloud does not know (a deleted instance, a removed policy) beside the
    // scenario's own.
    let Some(target) = s.target(&cloud.url(), settings(), &[s.unit(), GONE]) else {
        return;
    };
    let mut rig = Rig {
        runner: support::runner(&target, &BUCKETS),
        cloud,
        target,
    };
    rig.runner
        .poll_once()
        .await
        .unwrap_or_else(|e| panic!("{ctx}: a poll with one healthy unit succeeds: {e}"));
    let base = rig.snap();
    assert!(base.status.up, "{ctx}");
    let last_before = base.tallies.last.clone();
    assert!(
        !last_before.is_empty(),
        "{ctx}: the healthy unit's baseline"
    );
    for _ in 0..2 {
        s.add_terminal(rig.sim(), 3);
        rig.runner.poll_once().await.unwrap();
    }
    let snap = rig.snap();
    assert!(snap.status.up, "{ctx}: the target stays up");
    assert_eq!(completions(&snap), 6, "{ctx}: the healthy unit counts");
    assert_ne!(
        snap.tallies.last, last_before,
        "{ctx}: its last values move"
    );
    let gone = &snap.status.units[GONE];
    assert!(!gone.up, "{ctx}");
    let err = gone.last_error.as_ref().expect("error kept");
    assert!(err.message.contains(GONE), "{ctx}: {err}");
    assert_eq!(err.reason(), "client", "{ctx}: {err}");
    let text = rig.metrics();
    let labels = |res: &'static str| {
        [
            ("provider", s.provider()),
            ("target", rig.target.name.as_str()),
            ("resource", res),
        ]
    };
    assert_eq!(
        sample(&text, "cloud_task_resource_up", &labels(GONE)),
        Some(0.0),
        "{ctx}"
    );
    let healthy = snap
        .status
        .units
        .keys()
        .find(|u| u.as_str() != GONE)
        .expect("healthy unit")
        .clone();
    let healthy_up = text.lines().any(|l| {
        l.starts_with("cloud_task_resource_up{")
            && l.contains(&format!("resource=\"{healthy}\""))
            && l.ends_with(" 1")
    });
    assert!(healthy_up, "{ctx}: {healthy} up\n{text}");
    let mut with_reason = labels(GONE).to_vec();
    with_reason.push(("reason", "client"));
    assert_eq!(
        sample(&text, "cloud_task_resource_poll_errors_total", &with_reason),
        Some(3.0),
        "{ctx}"
    );
    // Every unit failing takes the target down.
    rig.sim()
        .inject(FaultRule::service(s.service(), Fault::status(500)));
    let err = rig.runner.poll_once().await.unwrap_err();
    assert!(!rig.snap().status.up, "{ctx}: {err}");
    assert_eq!(completions(&rig.snap()), 6, "{ctx}: nothing moves");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_failing_unit_never_blinds_the_others() {
    for s in all_scenarios() {
        one_unit_fails(s).await;
    }
}

/// A fresh task id for scenario tasks (unique across the whole test binary).
pub(crate) fn next_id() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1_000_000);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// RFC3339 of `now - secs`.
pub(crate) fn ago(secs: i64) -> String {
    (jiff::Timestamp::now() - jiff::SignedDuration::from_secs(secs)).to_string()
}

mod yandex {
    use cloud_task_exporter::config::{Settings, Target};
    use cloud_task_exporter::sim::yandex::SimTask;
    use cloud_task_exporter::sim::{Sim, lock};

    use super::{Scenario, ago, next_id};
    use crate::support;

    const INSTANCE: &str = "fhmfaultmatrix01";

    fn done(id: u64, result: &str) -> SimTask {
        SimTask::new(id.to_string(), "BACKUP", "COMPLETED")
            .times(&ago(900), Some(&ago(890)), Some(&ago(10)))
            .result(result, None)
    }

    pub(super) struct Yandex;

    impl Scenario for Yandex {
        fn provider(&self) -> &'static str {
            "yandex_backup"
        }
        fn service(&self) -> &'static str {
            "yandex_backup"
        }
        fn unit(&self) -> &'static str {
            INSTANCE
        }
        fn seed(&self, sim: &Sim, n: usize) {
            let mut y = lock(&sim.yandex);
            y.register_test_sa_key();
            y.add_instance(INSTANCE);
            for i in 0..n {
                y.upsert_task(INSTANCE, done(next_id(), ["OK", "ERROR"][i % 2]));
            }
        }
        fn target(&self, url: &str, settings: Settings, units: &[&str]) -> Option<Target> {
            let units = support::ids("compute_instance_ids", units);
            let keys = support::yandex(&support::yandex_sa_key(), url, &units);
            Some(support::target("yc-faults", url, &keys, settings))
        }
        fn add_terminal(&self, sim: &Sim, n: usize) {
            // The simulator lists newest first: new tasks go to the head and shift every
            // older one down a place.
            let mut y = lock(&sim.yandex);
            for i in 0..n {
                y.upsert_task(INSTANCE, done(next_id(), ["OK", "TIMEDOUT"][i % 2]));
            }
        }
        fn expire_tokens(&self, sim: &Sim) -> bool {
            lock(&sim.yandex).expire_all_tokens();
            true
        }
    }
}

/// One scenario per provider.
pub(crate) fn all_scenarios() -> [&'static dyn Scenario; 5] {
    [
        &yandex::Yandex,
        &huawei::Hw::Vbs,
        &huawei::Hw::Cbr,
        &huawei::Hw::Cce,
        &huawei::Hw::Dms,
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn yandex_backup_under_every_fault() {
    matrix(&yandex::Yandex).await;
}

mod huawei {
    use cloud_task_exporter::config::{Settings, Target};
    use cloud_task_exporter::sim::huawei::wire::{cbr_time, cce_time, dms_time, vbs_time};
    use cloud_task_exporter::sim::huawei::{CbrLog, CceTask, DmsTask, VbsTask};
    use cloud_task_exporter::sim::{Sim, lock};
    use jiff::{SignedDuration, Timestamp};

    use super::{Scenario, next_id};
    use crate::support;

    const AK: &str = "FAULTMATRIXAK0000001";
    const SK: &str = "fault-matrix-secret-key";
    const PROJECT: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
    const POLICY: &str = "policy-faults";
    const CLUSTER: &str = "cluster-faults";
    const INSTANCE: &str = "instance-faults";

    fn at(secs_ago: i64) -> Timestamp {
        Timestamp::now() - SignedDuration::from_secs(secs_ago)
    }

    /// `secs_ago` seconds ago, or just after the newest time handed out before if that is
    /// later: a task created now lands at the head of a list sorted newest first, before
    /// every task listed earlier, as it does in a cloud. (Two rounds of tasks "created a
    /// minute ago", taken a moment apart, would interleave instead.)
    fn newest(secs_ago: i64) -> Timestamp {
        use std::sync::Mutex;
        static LAST: Mutex<Option<Timestamp>> = Mutex::new(None);
        let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
        let t = match *last {
            Some(l) if l >= at(secs_ago) => l + SignedDuration::from_millis(1),
            _ => at(secs_ago),
        };
        *last = Some(t);
        t
    }

    fn uuid(n: u64) -> String {
        format!("00000000-0000-4000-8000-{n:012x}")
    }

    /// `created` seconds ago, finished a few seconds ago.
    fn vbs(id: u64, created: Timestamp, ok: bool) -> VbsTask {
        VbsTask {
            job_id: uuid(id),
            status: if ok {
                "EXECUTE_SUCCESS"
            } else {
                "EXECUTE_FAIL"
            }
            .into(),
            created_at: vbs_time(created),
            finished_at: Some(vbs_time(at(5))),
            backup_name: format!("autobk_{id}"),
            resource_id: "vol-faults-1".into(),
            resource_type: "volume".into(),
            error: None,
        }
    }

    fn cbr(id: u64, created: Timestamp, ok: bool) -> CbrLog {
        CbrLog {
            id: uuid(id),
            status: if ok { "success" } else { "timeout" }.into(),
            operation_type: "backup".into(),
            created_at: cbr_time(created),
            started_at: cbr_time(created - SignedDuration::from_secs(1)),
            updated_at: cbr_time(at(5)),
            ended_at: Some(cbr_time(at(5))),
            progress: Some(100),
            resource_id: "ecs-faults-1".into(),
            resource_name: "web-1".into(),
            resource_type: "OS::Nova::Server".into(),
            vault_id: "vault-1".into(),
            error: None,
        }
    }

    fn cce(id: u64, created: Timestamp, ok: bool) -> CceTask {
        CceTask {
            uid: uuid(id),
            phase: if ok { "Success" } else { "Failed" }.into(),
            progress: Some("100".into()),
            created: cce_time(created),
            updated: cce_time(at(5)),
            completion: Some(cce_time(at(5))),
            items: vec![],
        }
    }

    fn dms(id: u64, created: Timestamp, ok: bool) -> DmsTask {
        DmsTask {
            id: format!("{id:032x}"),
            name: "bindInstancePublicIp".into(),
            status: if ok { "SUCCESS" } else { "FAILED" }.into(),
            created_at: dms_time(created),
            updated_at: dms_time(at(5)),
            progress: None,
        }
    }

    /// Which Huawei service a scenario drives.
    #[derive(Clone, Copy)]
    pub(super) enum Hw {
        Vbs,
        Cbr,
        Cce,
        Dms,
    }

    impl Hw {
        /// Adds one finished task created at `created`.
        fn add(self, sim: &Sim, created: Timestamp, ok: bool) {
            let id = next_id();
            let mut h = lock(&sim.huawei);
            match self {
                Hw::Vbs => h.add_vbs_task(POLICY, vbs(id, created, ok)),
                Hw::Cbr => h.add_cbr_log(cbr(id, created, ok)),
                Hw::Cce => h.add_cce_task(CLUSTER, cce(id, created, ok)),
                Hw::Dms => h.add_dms_task(INSTANCE, dms(id, created, ok)),
            }
        }
    }

    impl Scenario for Hw {
        fn provider(&self) -> &'static str {
            match self {
                Hw::Vbs => "huawei_vbs",
                Hw::Cbr => "huawei_cbr",
                Hw::Cce => "huawei_cce",
                Hw::Dms => "huawei_dms",
            }
        }
        fn service(&self) -> &'static str {
            self.provider()
        }
        fn unit(&self) -> &'static str {
            match self {
                Hw::Vbs => POLICY,
                Hw::Cbr => PROJECT,
                Hw::Cce => CLUSTER,
                Hw::Dms => INSTANCE,
            }
        }
        fn seed(&self, sim: &Sim, n: usize) {
            {
                let mut h = lock(&sim.huawei);
                h.add_aksk(AK, SK);
                h.add_user("faults-domain", "faults-user", "faults-password");
                h.add_dms_instance(INSTANCE, "kafka-1", "kafka");
            }
            for i in 0..n {
                // Oldest first, a minute apart, an hour ago.
                self.add(sim, at(3600 - i as i64 * 60), i % 2 == 0);
            }
        }
        fn target(&self, url: &str, settings: Settings, units: &[&str]) -> Option<Target> {
            let aksk = support::aksk(AK, SK);
            let iam = support::iam(url, "faults-domain", "faults-user", "faults-password");
            let (name, auth, rest) = match self {
                Hw::Vbs => ("hw-vbs-faults", aksk, support::ids("policy_ids", units)),
                Hw::Cbr if units == [PROJECT] => ("hw-cbr-faults", iam, String::new()),
                Hw::Cbr => return None,
                Hw::Cce => ("hw-cce-faults", aksk, support::ids("cluster_ids", units)),
                Hw::Dms => (
                    "hw-dms-faults",
                    iam,
                    format!("engine: kafka\n{}", support::ids("instance_ids", units)),
                ),
            };
            let keys = support::huawei(self.provider(), PROJECT, &auth, &rest);
            Some(support::target(name, url, &keys, settings))
        }
        fn add_terminal(&self, sim: &Sim, n: usize) {
            // Newest first in every Huawei listing: each new task lands at the head.
            for i in 0..n {
                self.add(sim, newest(60 - i as i64), i % 2 == 0);
            }
        }
        // CBR and DMS authenticate with IAM user tokens, so token expiry is covered; VBS and
        // CCE sign with AK/SK and have no token to expire.
        fn expire_tokens(&self, sim: &Sim) -> bool {
            match self {
                Hw::Cbr | Hw::Dms => {
                    lock(&sim.huawei).expire_tokens();
                    true
                }
                _ => false,
            }
        }
        fn pages(&self) -> bool {
            !matches!(self, Hw::Cce)
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huawei_vbs_under_every_fault() {
    matrix(&huawei::Hw::Vbs).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huawei_cbr_under_every_fault() {
    matrix(&huawei::Hw::Cbr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huawei_cce_under_every_fault() {
    matrix(&huawei::Hw::Cce).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huawei_dms_under_every_fault() {
    matrix(&huawei::Hw::Dms).await;
}
