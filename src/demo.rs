//! `--demo`: the simulator in-process, tasks that queue, run, progress, succeed, fail and
//! time out, and a generated config pointed at it.
//!
//! The demo keeps one provider-neutral world of tasks ([`World`]) and, every tick, writes each
//! task into the simulated service of its provider in that service's own shapes (statuses, time
//! formats, progress fields). The exporter then polls the simulator exactly as it polls a cloud:
//! over HTTP, with real auth (a signed service-account JWT for Yandex, AK/SK signatures and an
//! IAM user token for Huawei).

mod render;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio_util::sync::CancellationToken;

use crate::app::{self, Options};
use crate::config::{Config, ProviderKind, Settings, Shard, Target};
use crate::sim::{FakeCloud, Sim};

/// How often the world moves.
const TICK: Duration = Duration::from_secs(2);

/// How long finished tasks stay in the simulated task lists.
const KEEP: SignedDuration = SignedDuration::from_hours(2);

/// Where a demo task is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Waiting to start.
    Queued,
    /// Working; `progress` grows.
    Running,
    /// Finished well.
    Succeeded,
    /// Finished with an error.
    Failed,
    /// Ran out of time.
    TimedOut,
    /// Stopped by a user.
    Cancelled,
}

impl Phase {
    /// Whether the task has ended.
    pub fn is_terminal(self) -> bool {
        !matches!(self, Phase::Queued | Phase::Running)
    }
}

/// One task of the demo world, in provider-neutral terms.
#[derive(Debug, Clone)]
pub struct DemoTask {
    /// Unique id (each renderer formats it the way its API does).
    pub id: String,
    /// The resource it works on (instance, volume, cluster, …).
    pub resource: String,
    /// Where it is.
    pub phase: Phase,
    /// When it was queued.
    pub created: Timestamp,
    /// When it started running.
    pub started: Option<Timestamp>,
    /// When it ended.
    pub finished: Option<Timestamp>,
    /// 0–100.
    pub progress: u8,
    /// Index into the provider's task kinds (rendered as the API's type/name).
    pub kind: usize,
    /// How long it will run, and how it will end.
    planned: SignedDuration,
    outcome: Phase,
}

/// The tasks of one simulated service.
#[derive(Debug)]
pub struct Service {
    /// Which provider's API renders them.
    pub kind: ProviderKind,
    /// The resources tasks run on.
    pub resources: Vec<String>,
    /// Live and recently finished tasks.
    pub tasks: Vec<DemoTask>,
}

/// The whole demo world. Seeded, so every demo run tells the same story.
#[derive(Debug)]
pub struct World {
    rng: StdRng,
    next_id: u64,
    /// One entry per provider.
    pub services: Vec<Service>,
}

impl World {
    /// A world with a quarter hour of history, one task every 4 minutes per resource (about the
    /// rhythm of the live tasks, so the learned rhythms and the status page tell a calm story
    /// with a few failures): every resource has at least one success, some failures and
    /// timeouts, and a few tasks already queued or running.
    pub fn new(now: Timestamp) -> World {
        let mut w = World {
            rng: StdRng::seed_from_u64(0x00c1_0ad7_a5c0),
            next_id: 1,
            services: render::services(),
        };
        for s in 0..w.services.len() {
            for r in 0..w.services[s].resources.len() {
                // Oldest first: a success, then a random history.
                let mut at = now - SignedDuration::from_mins(16);
                for i in 0..4 {
                    let outcome = if i == 0 {
                        Phase::Succeeded
                    } else {
                        w.pick_outcome()
                    };
                    let planned = SignedDuration::from_secs(w.rng.random_range(20..120));
                    let mut t = w.new_task(s, r, at, planned, outcome);
                    t.started = Some(at + SignedDuration::from_secs(5));
                    t.finished = Some(at + SignedDuration::from_secs(5) + planned);
                    t.phase = outcome;
                    t.progress = if outcome == Phase::Succeeded { 100 } else { 60 };
                    w.services[s].tasks.push(t);
                    at += SignedDuration::from_mins(4);
                }
            }
        }
        w
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
        let kinds = render::kinds(self.services[service].kind).len().max(1);
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
    pub fn tick(&mut self, now: Timestamp) -> Vec<(usize, DemoTask)> {
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
                if !busy && self.rng.random_range(0..30) == 0 {
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
fn settings() -> Settings {
    Settings {
        interval: Duration::from_secs(5),
        timeout: Duration::from_secs(4),
        lookback: Duration::from_secs(86_400),
        page_size: 5,
        retries: 2,
        retry_backoff: Duration::from_millis(200),
        requests_per_second: 100.0,
        ..Settings::default()
    }
}

/// The config the demo runs: one target per provider, every endpoint at the simulator.
pub fn config(sim_url: &str) -> Config {
    let defaults = settings();
    let targets: Vec<Target> = render::targets(sim_url, &defaults);
    Config {
        source: PathBuf::from("<demo>"),
        defaults,
        state_file: None,
        duration_buckets: vec![
            30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0, 86400.0,
        ],
        shard: Shard::default(),
        targets,
        warnings: Vec::new(),
    }
}

/// Starts the simulator, seeds it with the demo's credentials and history, and returns it
/// with the world that drives it.
pub async fn start_sim() -> anyhow::Result<(FakeCloud, World)> {
    let sim = Sim::new();
    let cloud = FakeCloud::start(sim)
        .await
        .map_err(|e| anyhow::anyhow!("cannot start the simulator: {e}"))?;
    render::credentials(cloud.sim());
    let world = World::new(Timestamp::now());
    render::write_all(cloud.sim(), &world, &[]);
    Ok((cloud, world))
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
) -> anyhow::Result<()> {
    let (cloud, mut world) = start_sim().await?;
    let config = config(&cloud.url());
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
                        render::write_all(&sim, &world, &dropped);
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

/// The demo's tasks by provider, for tests: `(provider, resource, phase)` of every task.
pub fn census(world: &World) -> BTreeMap<ProviderKind, Vec<(String, Phase)>> {
    world
        .services
        .iter()
        .map(|s| {
            (
                s.kind,
                s.tasks
                    .iter()
                    .map(|t| (t.resource.clone(), t.phase))
                    .collect(),
            )
        })
        .collect()
}
