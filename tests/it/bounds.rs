//! Bounds on what a cloud sends: huge label values, hundreds of task types and listings longer
//! than a poll's budget cannot blow up `/metrics` or memory.

use std::time::Duration;

use cloud_task_exporter::accounting::lock as lock_account;
use cloud_task_exporter::config::{Settings, Target};
use cloud_task_exporter::scheduler::TargetRunner;
use cloud_task_exporter::sim::yandex::SimTask;
use cloud_task_exporter::sim::{FakeCloud, Fault, FaultRule, Sim, lock};
use jiff::{SignedDuration, Timestamp};

use crate::support::{self, BUCKETS, sample};

const VM: &str = "fhm0bounds0000000vm1";
const TOKEN: &str = "t1.bounds-static-token";

fn target(url: &str, settings: Settings) -> Target {
    let keys = support::yandex(
        &format!("iam_token: {TOKEN}"),
        "",
        &support::ids("compute_instance_ids", &[VM]),
    );
    support::target("yc", url, &keys, settings)
}

fn settings() -> Settings {
    Settings {
        retries: 0,
        requests_per_second: 0.0,
        timeout: Duration::from_secs(10),
        ..Settings::default()
    }
}

async fn cloud() -> FakeCloud {
    let cloud = FakeCloud::start(Sim::new()).await.unwrap();
    let mut y = lock(&cloud.sim().yandex);
    y.register_iam_token(TOKEN);
    y.add_instance(VM);
    drop(y);
    cloud
}

fn runner(t: &Target) -> TargetRunner {
    support::runner(t, &BUCKETS)
}

fn metrics(r: &TargetRunner) -> String {
    support::exposition_of(r.snapshot(), &BUCKETS)
}

fn rfc3339(secs_ago: i64) -> String {
    (Timestamp::now() - SignedDuration::from_secs(secs_ago)).to_string()
}

/// A task as a hostile or broken cloud might send it.
fn task(id: usize, instance: &str, task_type: &str, status: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id.to_string(),
        "type": task_type,
        "status": status,
        "resultCode": "OK",
        "enqueuedAt": rfc3339(600),
        "startedAt": rfc3339(590),
        "completedAt": rfc3339(10),
        "computeInstanceId": instance,
    })
}

/// One task whose instance id is 1 MB, one whose status is 1 MB, and 200 task types: the
/// exposition stays small (it was 580 MB), label values are cut with a distinct suffix, the
/// types beyond `max_task_types` fold into `_other`, and both are counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_label_values_and_200_task_types_keep_metrics_small() {
    let cloud = cloud().await;
    let huge_id = "i".repeat(1 << 20);
    let huge_status = "S".repeat(1 << 20);
    let mut tasks = vec![
        task(1, &huge_id, "BACKUP", "COMPLETED"),
        task(2, VM, "BACKUP", &huge_status),
    ];
    for i in 0..200 {
        tasks.push(task(10 + i, VM, &format!("TYPE_{i}"), "COMPLETED"));
    }
    let body = serde_json::json!({ "tasks": tasks }).to_string();
    cloud
        .sim()
        .inject(FaultRule::service("yandex_backup", Fault::Garbage(body)));
    let t = target(&cloud.url(), settings());
    let mut r = runner(&t);
    r.poll_once().await.unwrap();
    r.poll_once().await.unwrap();
    let text = metrics(&r);
    assert!(text.len() < 1 << 20, "/metrics is {} bytes", text.len());
    assert!(
        text.lines().all(|l| l.len() < 2048),
        "no label value is anywhere near 1 MB"
    );
    let snap = r.snapshot();
    assert_eq!(snap.tallies.types.len(), 33, "32 types and _other");
    assert!(snap.tallies.types.contains("_other"));
    let labels = [("provider", "yandex_backup"), ("target", "yc")];
    assert_eq!(
        sample(&text, "cloud_task_folded_task_types_total", &labels),
        Some(200.0 - (32.0 - 5.0)),
        "every task whose type did not fit (five Yandex types are known in advance), once"
    );
    assert_eq!(
        sample(&text, "cloud_task_truncated_label_values_total", &labels),
        Some(2.0)
    );
    let long = snap
        .tallies
        .resources
        .iter()
        .find(|r| r.starts_with("iii"))
        .expect("the long resource, cut");
    assert!(long.len() <= 128 && long.contains('~'), "{long}");
    let a = lock_account(&r.account()).tracked();
    assert_eq!(a, 202, "every task tracked once");
}

/// A listing far longer than `max_poll_tasks` (5,000 tasks at 100 a page, `max_pages`
/// 10,000): paging stops at the budget, the unit fails with reason `decode` and a message
/// naming the key, and nothing of it is applied.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listing_longer_than_the_poll_budget_stops_at_it() {
    let cloud = cloud().await;
    {
        let mut y = lock(&cloud.sim().yandex);
        for i in 0..5000 {
            y.upsert_task(
                VM,
                SimTask::new(i.to_string(), "BACKUP", "COMPLETED")
                    .times(&rfc3339(600), Some(&rfc3339(590)), Some(&rfc3339(10)))
                    .result("OK", None),
            );
        }
    }
    for (key, s) in [
        (
            "max_poll_tasks",
            Settings {
                max_poll_tasks: 1000,
                ..settings()
            },
        ),
        (
            "max_poll_bytes",
            Settings {
                max_poll_bytes: 200_000,
                ..settings()
            },
        ),
    ] {
        let t = Target {
            settings: Settings {
                page_size: 100,
                max_pages: 10_000,
                ..s
            },
            ..target(&cloud.url(), settings())
        };
        let before = cloud.sim().requests_to("yandex_backup").len();
        let mut r = runner(&t);
        let err = r.poll_once().await.unwrap_err();
        let requests = cloud.sim().requests_to("yandex_backup").len() - before;
        assert_eq!(err.reason(), "decode", "{key}: {err}");
        assert!(err.message.contains(key), "{key}: {err}");
        assert!(requests <= 12, "{key}: {requests} pages read");
        assert_eq!(
            lock_account(&r.account()).tracked(),
            0,
            "{key}: nothing applied"
        );
    }
}
