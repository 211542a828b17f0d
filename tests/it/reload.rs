//! Reloads against live polls, in process: a changed target hands its live state to its next
//! poll loop (nothing restored from an older snapshot), and a target removed and added back
//! continues its counters without counting a completion twice, with or without a state file
//! loaded at startup.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use cloud_task_exporter::app::App;
use cloud_task_exporter::config::Config;
use cloud_task_exporter::hub::Hub;
use cloud_task_exporter::sim::yandex::SimTask;
use cloud_task_exporter::sim::{FakeCloud, Sim, lock};
use jiff::{SignedDuration, Timestamp};

const VM: &str = "fhm0reload000000000vm1";
const OTHER_VM: &str = "fhm0reload000000000vm2";
const TOKEN: &str = "t1.reload-static-iam-token";

fn done(id: u64) -> SimTask {
    let end = Timestamp::now() - SignedDuration::from_secs(5);
    let start = end - SignedDuration::from_secs(60);
    SimTask::new(id.to_string(), "BACKUP", "COMPLETED")
        .times(
            &start.to_string(),
            Some(&start.to_string()),
            Some(&end.to_string()),
        )
        .result("OK", None)
}

async fn cloud() -> FakeCloud {
    let cloud = FakeCloud::start(Sim::new()).await.unwrap();
    {
        let mut y = lock(&cloud.sim().yandex);
        y.register_iam_token(TOKEN);
        y.add_instance(VM);
        y.add_instance(OTHER_VM);
    }
    cloud
}

fn target(name: &str, url: &str, vm: &str, env: &str) -> String {
    format!(
        "  - name: {name}\n    provider: yandex_backup\n    endpoint: {url}\n    labels: {{ env: {env} }}\n    auth: {{ iam_token: {TOKEN} }}\n    compute_instance_ids: [{vm}]\n"
    )
}

fn write(path: &Path, top: &str, targets: &[String]) {
    let text = format!(
        "defaults: {{ interval: 200ms, timeout: 150ms, retries: 0, requests_per_second: 1000 }}\n{top}targets:\n{}",
        targets.concat()
    );
    std::fs::write(path, text).unwrap();
}

fn counted(hub: &Hub, name: &str) -> u64 {
    hub.snapshot(name)
        .map(|s| s.tallies.completions.values().sum())
        .unwrap_or(0)
}

/// Waits until `name` has counted `n` completions (or fails after 15 s).
async fn wait_counted(hub: &Hub, name: &str, n: u64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while counted(hub, name) < n {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{name}: counted {} of {n}",
            counted(hub, name)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until `name` has published a snapshot after at least one poll.
async fn wait_polled(hub: &Hub, name: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while !hub.snapshot(name).is_some_and(|s| s.status.up) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{name} never polled"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A config file with `yc` (labels `{env}`) polling the simulator, and the app running it.
async fn start_yc(cloud: &FakeCloud, env: &str) -> (tempfile::TempDir, PathBuf, Arc<Hub>, App) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.yaml");
    lock(&cloud.sim().yandex).upsert_task(VM, done(1));
    write(&cfg, "", &[target("yc", &cloud.url(), VM, env)]);
    let hub = Hub::new();
    let app = App::start(Config::load(&cfg).unwrap(), Arc::clone(&hub)).await;
    wait_polled(&hub, "yc").await;
    (dir, cfg, hub, app)
}

/// Twenty reloads that each change the target while it polls every 200 ms and completions
/// keep arriving: every completion is counted exactly once, whichever poll (old loop or new)
/// saw it first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completions_during_a_reload_storm_are_counted_exactly_once() {
    let cloud = cloud().await;
    let url = cloud.url();
    let (_dir, cfg, hub, mut app) = start_yc(&cloud, "e0").await;

    let added = Arc::new(AtomicU64::new(0));
    let running = Arc::new(AtomicBool::new(true));
    let adder = {
        let (sim, added, running) = (
            Arc::clone(cloud.sim()),
            Arc::clone(&added),
            Arc::clone(&running),
        );
        tokio::spawn(async move {
            let mut id = 100;
            while running.load(Ordering::SeqCst) {
                lock(&sim.yandex).upsert_task(VM, done(id));
                id += 1;
                added.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(37)).await;
            }
        })
    };
    for i in 1..=20 {
        write(&cfg, "", &[target("yc", &url, VM, &format!("e{i}"))]);
        app.reload(&cfg).await.unwrap();
        tokio::time::sleep(Duration::from_millis(90 + (i * 13) % 120)).await;
    }
    running.store(false, Ordering::SeqCst);
    adder.await.unwrap();
    let n = added.load(Ordering::SeqCst);
    wait_counted(&hub, "yc", n).await;
    // A few more polls: nothing is counted twice.
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(counted(&hub, "yc"), n);
    app.stop(Duration::from_secs(2)).await;
}

/// A reload while a poll of the changed target is in flight: the old loop stops (its poll
/// is abandoned, nothing half-applied) and hands over its live account; the completion that
/// poll was fetching is counted once, by the next loop.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poll_in_flight_during_a_reload_is_counted_once() {
    use cloud_task_exporter::sim::{Fault, FaultRule};
    let cloud = cloud().await;
    let url = cloud.url();
    let sim = cloud.sim();
    let (_dir, cfg, hub, mut app) = start_yc(&cloud, "a").await;
    lock(&sim.yandex).upsert_task(VM, done(2));
    sim.inject(FaultRule::service(
        "yandex_backup",
        Fault::Delay(Duration::from_millis(120)),
    ));
    let before = sim.requests_to("yandex_backup").len();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while sim.requests_to("yandex_backup").len() == before {
        assert!(tokio::time::Instant::now() < deadline, "no poll started");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // The poll is held by the simulator now; reload a changed target.
    write(&cfg, "", &[target("yc", &url, VM, "b")]);
    app.reload(&cfg).await.unwrap();
    sim.clear_faults();
    wait_counted(&hub, "yc", 1).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(counted(&hub, "yc"), 1);
    let snap = hub.snapshot("yc").unwrap();
    assert_eq!(snap.labels["env"], "b", "the new loop publishes");
    app.stop(Duration::from_secs(2)).await;
}

/// Removes `yc`, lets completions happen, adds it back: its counters continue and each
/// completion is counted once. With `state`, the exporter first restarts from a state file,
/// so that the startup state is an older copy the re-added target must not go back to.
async fn remove_and_add_back(state: bool) {
    let cloud = cloud().await;
    let url = cloud.url();
    let sim = cloud.sim();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.yaml");
    let top = if state {
        format!("state_file: {}\n", dir.path().join("state.json").display())
    } else {
        String::new()
    };
    let yc = target("yc", &url, VM, "prod");
    let other = target("other", &url, OTHER_VM, "prod");
    lock(&sim.yandex).upsert_task(VM, done(1));
    write(&cfg, &top, &[yc.clone(), other.clone()]);

    let hub = Hub::new();
    let mut app = App::start(Config::load(&cfg).unwrap(), Arc::clone(&hub)).await;
    wait_polled(&hub, "yc").await;
    lock(&sim.yandex).upsert_task(VM, done(2));
    wait_counted(&hub, "yc", 1).await;
    if state {
        // Restart from the state file: the startup state holds 1 completion.
        app.stop(Duration::from_secs(2)).await;
        let hub2 = Hub::new();
        app = App::start(Config::load(&cfg).unwrap(), Arc::clone(&hub2)).await;
        lock(&sim.yandex).upsert_task(VM, done(3));
        wait_counted(&hub2, "yc", 2).await;
        return finish(app, hub2, &cfg, &top, sim, yc, other, 2).await;
    }
    finish(app, hub, &cfg, &top, sim, yc, other, 1).await;
}

#[allow(clippy::too_many_arguments)]
async fn finish(
    mut app: App,
    hub: Arc<Hub>,
    cfg: &Path,
    top: &str,
    sim: &Sim,
    yc: String,
    other: String,
    before: u64,
) {
    write(cfg, top, std::slice::from_ref(&other));
    app.reload(cfg).await.unwrap();
    assert!(hub.snapshot("yc").is_none(), "removed: its series go away");
    // Two completions while the target is not configured.
    lock(&sim.yandex).upsert_task(VM, done(10));
    lock(&sim.yandex).upsert_task(VM, done(11));
    tokio::time::sleep(Duration::from_millis(300)).await;
    write(cfg, top, &[yc, other]);
    app.reload(cfg).await.unwrap();
    wait_counted(&hub, "yc", before + 2).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        counted(&hub, "yc"),
        before + 2,
        "counters continue; each completion once"
    );
    app.stop(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_removed_and_added_back_continues_without_double_counting() {
    remove_and_add_back(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_after_a_restart_from_a_state_file() {
    remove_and_add_back(true).await;
}
