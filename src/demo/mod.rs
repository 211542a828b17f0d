//! `--demo`: the simulator in-process, tasks that queue, run, progress, succeed, fail and
//! time out, and a generated config pointed at it.
//!
//! The demo keeps one provider-neutral world of tasks (`World`) and, every tick, writes each
//! task into the simulated service of its provider in that service's own shapes (statuses, time
//! formats, progress fields): each provider's folder says how, by implementing `Demo`
//! (`provider/<kind>/demo.rs`). The exporter then polls the simulator exactly as it polls a
//! cloud: over HTTP, with real auth (a signed service-account JWT for Yandex, AK/SK signatures
//! and an IAM user token for Huawei), configured by the same YAML a user writes.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio_util::sync::CancellationToken;

pub(crate) mod service;

use crate::app::{self, Options};
use crate::config::{Config, ConfigErrors};
use crate::provider::ProviderKind;
use crate::sim::{FakeCloud, Sim};
use service::{DemoService, DemoTask, MISSED_SLOT_AGO, Phase};

/// How often the world moves.
const TICK: Duration = Duration::from_secs(2);

/// How long finished tasks stay in the simulated task lists.
const KEEP: SignedDuration = SignedDuration::from_hours(3);

/// The tasks of one simulated service.
#[derive(Debug)]
pub(crate) struct Service {
    /// How its provider's API shows them.
    demo: DemoService,
    /// The resources tasks run on.
    pub resources: Vec<String>,
    /// Resources that get no new task (the demo's overdue one, and the one whose scheduled
    /// run is missed).
    quiet: Vec<bool>,
    /// Live and recently finished tasks.
    pub tasks: Vec<DemoTask>,
}

/// The whole demo world. Seeded, so every demo run tells the same story.
#[derive(Debug)]
pub(crate) struct World {
    rng: StdRng,
    next_id: u64,
    /// One entry per provider.
    pub services: Vec<Service>,
}

impl World {
    /// A world with a quarter hour of history, one task every 4 minutes per resource (about the
    /// rhythm of the live tasks, so the learned rhythms and the status page tell a calm story
    /// with a few failures): every resource has at least one success, some failures and
    /// timeouts. Its story shows at once ([`World::story`]): within seconds of the start a run
    /// succeeds and one fails with its message, another runs on, and one resource, whose runs
    /// stopped an hour and a half ago, is overdue. A provider's `MISSED` resource stopped before the
    /// slot its seeded policy has ([`MISSED_SLOT_AGO`] before the start): its nightly run
    /// was missed.
    pub(crate) fn new(now: Timestamp) -> World {
        let services = ProviderKind::ALL
            .into_iter()
            .map(|k| {
                let demo = k.demo();
                Service {
                    demo,
                    resources: demo.resources.iter().map(|r| r.to_string()).collect(),
                    quiet: demo
                        .resources
                        .iter()
                        .map(|r| demo.missed == Some(*r))
                        .collect(),
                    tasks: Vec::new(),
                }
            })
            .collect();
        let mut w = World {
            rng: StdRng::seed_from_u64(0x00c1_0ad7_a5c0),
            next_id: 1,
            services,
        };
        let overdue = w.overdue_resource();
        if let Some((s, r)) = overdue {
            w.services[s].quiet[r] = true;
        }
        for s in 0..w.services.len() {
            for r in 0..w.services[s].resources.len() {
                let missed = w.services[s].quiet[r] && overdue != Some((s, r));
                let quiet = overdue == Some((s, r)) || missed;
                // Oldest first: a success, then a random history; the overdue resource's four
                // successes ended an hour and a half ago (past its 4-minute rhythm and the 1-hour
                // grace), the missed one's before its slot.
                let first = if missed {
                    MISSED_SLOT_AGO + SignedDuration::from_mins(25)
                } else if quiet {
                    SignedDuration::from_mins(106)
                } else {
                    SignedDuration::from_mins(16)
                };
                let mut at = now - first;
                for i in 0..4 {
                    let outcome = if i == 0 || quiet {
                        Phase::Succeeded
                    } else {
                        w.pick_outcome()
                    };
                    let planned = SignedDuration::from_secs(w.rng.random_range(20..120));
                    let mut t = w.new_task(s, r, at, planned, outcome);
                    if quiet {
                        t.kind = 0;
                    }
                    t.started = Some(at + SignedDuration::from_secs(5));
                    t.finished = Some(at + SignedDuration::from_secs(5) + planned);
                    t.phase = outcome;
                    t.progress = if outcome == Phase::Succeeded { 100 } else { 60 };
                    w.services[s].tasks.push(t);
                    at += SignedDuration::from_mins(4);
                }
            }
        }
        w.story(now);
        w
    }

    /// The resource whose runs stop: the last of the first provider with more than two.
    fn overdue_resource(&self) -> Option<(usize, usize)> {
        let s = self.services.iter().position(|s| s.resources.len() > 2)?;
        Some((s, self.services[s].resources.len() - 1))
    }

    /// Runs already under way at the start, so that the page and `/metrics` show every state
    /// within seconds: on each provider's first resource a run that succeeds within a tick or
    /// two (counted: the first poll saw it running), on its second one that fails with its
    /// message a tick later, and on the first provider's second resource a run that goes on
    /// for minutes.
    fn story(&mut self, now: Timestamp) {
        let started = now - SignedDuration::from_secs(25);
        for s in 0..self.services.len() {
            let n = self.services[s].resources.len();
            let runs = [
                (0, SignedDuration::from_secs(27), Phase::Succeeded),
                (1, SignedDuration::from_secs(29), Phase::Failed),
            ];
            for (r, planned, outcome) in runs {
                if r >= n || self.services[s].quiet[r] {
                    continue;
                }
                let mut t = self.new_task(s, r, started, planned, outcome);
                t.kind = 0;
                t.phase = Phase::Running;
                t.started = Some(started);
                self.services[s].tasks.push(t);
            }
        }
        if let Some(s) = self.services.iter().position(|s| s.resources.len() > 2) {
            let mut t = self.new_task(
                s,
                1,
                started,
                SignedDuration::from_mins(3),
                Phase::Succeeded,
            );
            t.kind = 0;
            t.phase = Phase::Running;
            t.started = Some(started);
            self.services[s].tasks.push(t);
        }
    }

    fn pick_outcome(&mut self) -> Phase {
        match self.rng.random_range(0..100) {
            0..70 => Phase::Succeeded,
            70..85 => Phase::Failed,
            85..95 => Phase::TimedOut,
            _ => Phase::Cancelled,
        }
    }

    fn new_task(
        &mut self,
        service: usize,
        resource: usize,
        created: Timestamp,
        planned: SignedDuration,
        outcome: Phase,
    ) -> DemoTask {
        let id = self.next_id;
        self.next_id += 1;
        let kinds = self.services[service].demo.task_kinds.len().max(1);
        DemoTask {
            id: format!("{id:06}"),
            resource: self.services[service].resources[resource].clone(),
            phase: Phase::Queued,
            created,
            started: None,
            finished: None,
            progress: 0,
            kind: if self.rng.random_range(0..4) == 0 {
                self.rng.random_range(0..kinds)
            } else {
                0
            },
            planned,
            outcome,
        }
    }

    /// Moves every task on by one tick and starts new ones; returns the ids dropped from
    /// the lists (finished more than two hours ago).
    pub(crate) fn tick(&mut self, now: Timestamp) -> Vec<(usize, DemoTask)> {
        let mut dropped = Vec::new();
        for s in 0..self.services.len() {
            for t in &mut self.services[s].tasks {
                advance(t, now);
            }
            let (keep, old): (Vec<_>, Vec<_>) = std::mem::take(&mut self.services[s].tasks)
                .into_iter()
                .partition(|t| t.finished.is_none_or(|f| now.duration_since(f) < KEEP));
            self.services[s].tasks = keep;
            dropped.extend(old.into_iter().map(|t| (s, t)));
            for r in 0..self.services[s].resources.len() {
                let busy = self.services[s]
                    .tasks
                    .iter()
                    .any(|t| t.resource == self.services[s].resources[r] && !t.phase.is_terminal());
                // About one new task per resource and minute.
                if !busy && !self.services[s].quiet[r] && self.rng.random_range(0..30) == 0 {
                    let planned = SignedDuration::from_secs(self.rng.random_range(20..120));
                    let outcome = self.pick_outcome();
                    let t = self.new_task(s, r, now, planned, outcome);
                    self.services[s].tasks.push(t);
                }
            }
        }
        dropped
    }
}

fn advance(t: &mut DemoTask, now: Timestamp) {
    match t.phase {
        Phase::Queued if now.duration_since(t.created) >= SignedDuration::from_secs(6) => {
            t.phase = Phase::Running;
            t.started = Some(now);
        }
        Phase::Running => {
            let Some(started) = t.started else { return };
            let ran = now.duration_since(started);
            if ran >= t.planned {
                t.phase = t.outcome;
                t.finished = Some(now);
                if t.outcome == Phase::Succeeded {
                    t.progress = 100;
                }
            } else {
                let ratio = ran.as_secs_f64() / t.planned.as_secs_f64().max(1.0);
                t.progress = (ratio * 100.0).clamp(0.0, 99.0) as u8;
            }
        }
        _ => {}
    }
}

/// The demo's polling settings: fast, with small pages so paging shows.
const DEFAULTS: &str = "defaults: { interval: 5s, timeout: 4s, lookback: 1d, page_size: 5, retries: 2, retry_backoff: 200ms, requests_per_second: 100 }";

/// The config the demo runs: one target per provider, every endpoint at the simulator,
/// written as a user writes a config file.
pub fn config(sim_url: &str) -> Result<Config, ConfigErrors> {
    let mut yaml = format!("{DEFAULTS}\ntargets:\n");
    for kind in ProviderKind::ALL {
        let demo = kind.demo();
        yaml.push_str(&format!(
            "  - name: {}\n    endpoint: '{sim_url}'\n    labels: {{ env: demo }}\n",
            demo.name
        ));
        for line in (demo.keys)(sim_url).lines() {
            yaml.push_str(&format!("    {line}\n"));
        }
    }
    crate::config::load_str_with_env(&yaml, Path::new("<demo>"), &|_| None)
}

/// Starts the simulator, seeds it with the demo's credentials, backup policies and history
/// (all timed from the start), and returns it with the world that drives it.
async fn start_sim() -> std::io::Result<(FakeCloud, World)> {
    let sim = Sim::new();
    let cloud = FakeCloud::start(sim).await?;
    let start = Timestamp::now();
    for kind in ProviderKind::ALL {
        (kind.demo().seed)(cloud.sim(), start);
    }
    let world = World::new(start);
    write_all(cloud.sim(), &world, &[]);
    Ok((cloud, world))
}

/// Writes every task of the world into its service; removes the dropped ones.
fn write_all(sim: &Sim, world: &World, dropped: &[(usize, DemoTask)]) {
    for (s, t) in dropped {
        (world.services[*s].demo.remove)(sim, t);
    }
    for service in &world.services {
        for t in &service.tasks {
            (service.demo.write)(sim, t);
        }
    }
}

/// Runs the demo until SIGTERM/SIGINT (or `stop`).
/// `web` and `web_config_file` are `--web.config.file` (TLS and basic auth), as in normal runs;
/// `signals` as for [`app::run`].
pub async fn run(
    listen: SocketAddr,
    telemetry_path: &str,
    web: crate::web::Web,
    web_config_file: Option<PathBuf>,
    signals: crate::shutdown::Signals,
    stop: CancellationToken,
) -> Result<(), app::RunError> {
    let (cloud, mut world) = start_sim().await.map_err(app::RunError::Simulator)?;
    let config = config(&cloud.url())?;
    tracing::info!(simulator = %cloud.url(), targets = config.targets.len(), "Demo simulator started.");
    let sim = std::sync::Arc::clone(cloud.sim());
    let driver_stop = stop.child_token();
    let driver = {
        let driver_stop = driver_stop.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(TICK);
            loop {
                tokio::select! {
                    _ = driver_stop.cancelled() => break,
                    _ = every.tick() => {
                        let dropped = world.tick(Timestamp::now());
                        write_all(&sim, &world, &dropped);
                    }
                }
            }
        })
    };
    let scheme = if web.tls().is_some() { "https" } else { "http" };
    let opts = Options {
        listen,
        telemetry_path: telemetry_path.to_string(),
        enable_lifecycle: false,
        config_file: None,
        web,
        web_config_file,
    };
    let path = telemetry_path.to_string();
    let result = app::run(config, opts, signals, stop, move |addr| {
        let shown = if addr.ip().is_unspecified() {
            SocketAddr::from(([127, 0, 0, 1], addr.port()))
        } else {
            addr
        };
        tracing::info!(
            status_page = %format!("{scheme}://{shown}/"),
            metrics = %format!("{scheme}://{shown}{path}"),
            "Demo running: open the status page, or curl the metrics."
        );
    })
    .await;
    driver_stop.cancel();
    let _ = driver.await;
    cloud.shutdown().await;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The story shows at once: a run ends well and one fails within the first ticks (after
    /// the start, so the second poll counts them), another still runs ten seconds in, and the
    /// overdue resource's last success is at least half an hour old and stays so.
    #[test]
    fn the_demo_shows_every_state_within_seconds() {
        let start: Timestamp = "2026-12-07T03:00:00Z".parse().unwrap();
        let mut w = World::new(start);
        let mut t = start;
        for _ in 0..5 {
            t += SignedDuration::from_secs(2);
            w.tick(t);
        }
        let tasks = || w.services.iter().flat_map(|s| s.tasks.iter());
        let ended_after_start = |phase: Phase| {
            tasks()
                .filter(|x| x.phase == phase && x.finished.is_some_and(|f| f > start))
                .count()
        };
        assert!(ended_after_start(Phase::Succeeded) >= 1);
        assert!(ended_after_start(Phase::Failed) >= 1);
        assert!(tasks().any(|x| x.phase == Phase::Running));
        let (s, r) = w.overdue_resource().expect("an overdue resource");
        let resource = w.services[s].resources[r].clone();
        let last = w.services[s]
            .tasks
            .iter()
            .filter(|x| x.resource == resource)
            .filter_map(|x| x.finished)
            .max()
            .expect("its history");
        assert!(start.duration_since(last) >= SignedDuration::from_mins(30));
        for _ in 0..200 {
            t += SignedDuration::from_secs(2);
            w.tick(t);
        }
        assert!(
            w.services[s]
                .tasks
                .iter()
                .all(|x| x.resource != resource || x.finished.is_some_and(|f| f <= start)),
            "no new run on the overdue resource"
        );
    }

    /// The policies the demo seeds, timed from the start: VBS's daily slot 75 minutes before
    /// it, which vol-demo-0002, whose runs stopped before it, missed (and vol-demo-0001
    /// answered); CBR's policy of ecs-demo-0001's vault off, ecs-demo-0002's on.
    #[test]
    fn the_demo_seeds_a_policy_that_is_off_and_a_run_that_was_missed() {
        let start: Timestamp = "2026-12-07T03:00:30Z".parse().unwrap();
        let sim = Sim::new();
        for kind in ProviderKind::ALL {
            (kind.demo().seed)(&sim, start);
        }
        let slot: Timestamp = "2026-12-07T01:45:00Z".parse().unwrap();
        {
            let h = crate::sim::lock(&sim.huawei);
            let (vbs, _) = &h.vbs_schedules["policy-demo-daily"];
            assert_eq!(vbs.start_time, "01:45");
            assert_eq!(vbs.frequency, Some(1));
            let off: Vec<(&str, bool)> = h
                .cbr_policies
                .iter()
                .map(|p| (p.vaults[0].vault_id.as_str(), p.enabled))
                .collect();
            assert_eq!(off, [("vault-demo-0001", false), ("vault-demo-0002", true)]);
            let vault = h.cbr_vaults.iter().find(|v| v.id == "vault-demo-0001");
            assert_eq!(vault.unwrap().resources[0].id, "ecs-demo-0001");
        }
        let mut w = World::new(start);
        let mut t = start;
        for _ in 0..200 {
            t += SignedDuration::from_secs(2);
            w.tick(t);
        }
        let vbs = w
            .services
            .iter()
            .find(|s| s.demo.missed == Some("vol-demo-0002"))
            .expect("VBS misses a run");
        let ends = |r: &str| -> Vec<Timestamp> {
            vbs.tasks
                .iter()
                .filter(|x| x.resource == r && x.phase == Phase::Succeeded)
                .filter_map(|x| x.finished)
                .collect()
        };
        let missed = ends("vol-demo-0002");
        assert!(!missed.is_empty(), "a success before the slot");
        assert!(missed.iter().all(|f| *f < slot), "{missed:?}");
        assert!(
            ends("vol-demo-0001").iter().any(|f| *f > slot),
            "the other volume answered the slot"
        );
    }

    /// `--demo` shows an AWS schedule: the demo's backup jobs name its nightly plan, whose
    /// rule (05:00 UTC) covers both AWS demo resources once the backup jobs were listed.
    #[tokio::test]
    async fn the_demo_aws_plan_schedules_both_resources() {
        use crate::provider::{AnyProvider, PollContext, Provider as _};
        let cloud = FakeCloud::start(Sim::new()).await.unwrap();
        let now = Timestamp::now();
        for kind in ProviderKind::ALL {
            (kind.demo().seed)(cloud.sim(), now);
        }
        let config = config(&cloud.url()).unwrap();
        let t = config
            .targets
            .iter()
            .find(|t| t.name == "aws-demo")
            .unwrap();
        let p = AnyProvider::build(
            &t.spec,
            &t.settings,
            t.endpoint.as_ref(),
            crate::provider::http::client(),
            Default::default(),
        );
        let ctx = PollContext {
            now,
            since: now - SignedDuration::from_hours(24),
            page_size: 100,
            max_pages: 10,
            window: None,
            recall: None,
        };
        p.list_tasks("backup", &ctx).await.unwrap();
        let policies = p.schedules().await.unwrap().unwrap();
        assert!(policies.skipped.is_empty(), "{:?}", policies.skipped);
        let resources: Vec<&String> = policies.resources().collect();
        assert_eq!(resources.len(), 2, "{resources:?}");
        for r in resources {
            let due = policies.due(r, &Default::default(), now).unwrap();
            assert!(due.covered, "{r}");
            assert_eq!(
                due.policies,
                [(
                    "demo-rule-daily".to_string(),
                    "demo-nightly/daily-0500-utc".to_string()
                )]
            );
            let next = due.next.unwrap().to_zoned(jiff::tz::TimeZone::UTC);
            assert_eq!((next.hour(), next.minute()), (5, 0));
        }
    }
}
