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
//! Each provider plugs in through its [`ProviderFixture`] (`providers/<kind>.rs`), and
//! `providers::under_every_fault::<kind>` runs [`matrix`] against it, one test per provider.

use std::time::Duration;

use cloud_task_exporter::config::{Settings, Target};
use cloud_task_exporter::hub::TargetSnapshot;
use cloud_task_exporter::scheduler::TargetRunner;
use cloud_task_exporter::sim::{FakeCloud, Fault, FaultRule, Sim};

use crate::providers::{ProviderFixture, fixtures};
use crate::support::{self, sample};

/// Buckets of the duration histogram in these tests.
pub(crate) const BUCKETS: [f64; 4] = [60.0, 300.0, 1800.0, 7200.0];

/// Per-request timeout of the fault tests; the hang fault waits well past it.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(2);

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
    pub(crate) async fn start(s: &dyn ProviderFixture, n: usize) -> Rig {
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
fn arm(kind: Kind, s: &'static dyn ProviderFixture, sim: &Sim) -> Option<Expect> {
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
pub(crate) async fn matrix(s: &'static dyn ProviderFixture) {
    for kind in KINDS {
        one(s, kind).await;
    }
}

async fn one(s: &'static dyn ProviderFixture, kind: Kind) {
    let ctx = format!("{} / {kind:?}", s.kind());
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
            let labels = [("provider", s.kind()), ("target", rig.target.name.as_str())];
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
    let labels = [("provider", s.kind()), ("target", rig.target.name.as_str())];
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
pub(crate) async fn one_unit_fails(s: &'static dyn ProviderFixture) {
    const GONE: &str = "gone-0000-deleted";
    let ctx = s.kind();
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
            ("provider", s.kind()),
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
    for s in fixtures() {
        one_unit_fails(s).await;
    }
}
