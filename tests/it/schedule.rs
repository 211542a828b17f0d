//! The poll loop on paused tokio time: one poll at start, then one per
//! `interval`; a slow poll delays the next tick instead of bursting to catch up; scrapes never
//! poll; `stop` ends the loop even in the middle of a poll.
//!
//! The simulator runs in the same single-threaded runtime and answers over loopback, whose
//! writes are delivered within the syscall, so the paused clock only moves when every task is
//! waiting on a timer.

use std::sync::Arc;
use std::time::Duration;

use cloud_task_exporter::config::Target;
use cloud_task_exporter::hub::Hub;
use cloud_task_exporter::metrics::exposition;
use cloud_task_exporter::scheduler::TargetRunner;
use cloud_task_exporter::sim::{FakeCloud, Fault, FaultRule, Sim, lock};
use tokio_util::sync::CancellationToken;

use crate::faults::{BUCKETS, settings};
use crate::support;

const VM: &str = "fhmschedule00001";
const TOKEN: &str = "t1.schedule-test-token";

fn target(url: &str, interval: Duration, timeout: Duration) -> Target {
    let mut s = settings();
    s.interval = interval;
    s.timeout = timeout;
    s.retries = 0;
    let keys = support::yandex(
        &format!("iam_token: {TOKEN}"),
        url,
        &support::ids("compute_instance_ids", &[VM]),
    );
    support::target("yc-schedule", url, &keys, s)
}

async fn start(
    interval: Duration,
    timeout: Duration,
) -> (
    FakeCloud,
    Arc<Hub>,
    CancellationToken,
    tokio::task::JoinHandle<TargetRunner>,
) {
    let cloud = FakeCloud::start(Sim::new()).await.unwrap();
    {
        let mut y = lock(&cloud.sim().yandex);
        y.register_iam_token(TOKEN);
        y.add_instance(VM);
    }
    let t = target(&cloud.url(), interval, timeout);
    let runner = support::runner(&t, &BUCKETS);
    let hub = Hub::new();
    hub.set_targets(&["yc-schedule".to_string()]);
    let stop = CancellationToken::new();
    let handle = tokio::spawn(runner.run(Arc::clone(&hub), stop.clone()));
    (cloud, hub, stop, handle)
}

fn polls(cloud: &FakeCloud) -> usize {
    cloud.sim().requests_to("yandex_backup").len()
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn the_first_poll_starts_at_once_then_one_per_interval_and_scrapes_never_poll() {
    let interval = Duration::from_secs(60);
    let (cloud, hub, stop, handle) = start(interval, Duration::from_secs(10)).await;

    // The first poll starts at once: ready well within a second.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(polls(&cloud), 1, "the first poll at start");
    assert!(hub.ready());
    // The next one waits for the interval plus a random phase (at most 10 % of it).
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(polls(&cloud), 1, "no second poll before the interval");

    // Scrapes in between never cause a poll.
    for _ in 0..20 {
        let _ = exposition(&hub, &BUCKETS);
    }
    assert_eq!(polls(&cloud), 1, "scrapes do not poll");

    // Then one per interval: five more in the next five intervals.
    tokio::time::sleep(interval * 5).await;
    assert_eq!(polls(&cloud), 6);

    stop.cancel();
    let _ = handle.await;
    tokio::time::sleep(interval * 3).await;
    assert_eq!(polls(&cloud), 6, "no poll after stop");
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_slow_poll_delays_the_next_one_instead_of_bursting() {
    let interval = Duration::from_secs(60);
    let (cloud, _hub, stop, handle) = start(interval, Duration::from_secs(300)).await;
    tokio::time::sleep(Duration::from_secs(7)).await;
    assert_eq!(polls(&cloud), 1);

    // The next poll (at 60 s + the phase) takes 200 s, three intervals and a bit. When it ends,
    // the loop polls once for the missed ticks, then goes back to one poll per interval; it
    // does not fire the three missed ticks back to back. (The simulator logs a request when
    // it answers it.)
    cloud.sim().inject(
        FaultRule::service("yandex_backup", Fault::Delay(Duration::from_secs(200))).times(1),
    );
    tokio::time::sleep(Duration::from_secs(61 + 200)).await; // t = 268 s
    assert_eq!(polls(&cloud), 3, "the slow poll, then one catch-up poll");
    tokio::time::sleep(Duration::from_secs(30)).await; // t = 298 s
    assert_eq!(polls(&cloud), 3, "no burst of catch-up polls");
    tokio::time::sleep(Duration::from_secs(30)).await; // t = 328 s
    assert_eq!(polls(&cloud), 4, "back to one poll per interval");

    stop.cancel();
    let _ = handle.await;
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn stop_ends_the_loop_in_the_middle_of_a_poll() {
    let (cloud, _hub, stop, handle) =
        start(Duration::from_secs(60), Duration::from_secs(600)).await;
    cloud.sim().inject(FaultRule::service(
        "yandex_backup",
        Fault::Delay(Duration::from_secs(500)),
    ));
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert_eq!(
        polls(&cloud),
        0,
        "the first request hangs before it is logged"
    );
    stop.cancel();
    let ended = tokio::time::timeout(Duration::from_secs(1), handle).await;
    assert!(
        ended.is_ok(),
        "the loop returns at once when stopped mid-poll"
    );
}
