//! The status page `/` and `/api/v1/targets` from a known state (`docs/alerts.md` "The status page"): problems at the top,
//! the failed resource in red with the API's own (escaped) message, the age of the last
//! success against the rhythm, a stuck queued task, a resource that never succeeded and the
//! 14-day strip. `browser.rs` renders the same state in a real browser.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use cloud_task_exporter::accounting::{Account, PollResult, Rules};
use cloud_task_exporter::hub::Hub;
use cloud_task_exporter::model::{Listing, Mapped, Task, TaskState};
use cloud_task_exporter::provider::ProviderKind;
use cloud_task_exporter::provider::{ProviderError, Reason};
use cloud_task_exporter::rhythm::Expectations;
use jiff::{SignedDuration, Timestamp};

use crate::support::{BUCKETS, snapshot};

/// The API's message of vm-a's failed backup: markup that must show as text.
pub(crate) const FAILURE_MESSAGE: &str = "Quota <b>exceeded</b> & \"disk\" full";

fn task(id: &str, resource: &str, state: TaskState, end_hours_ago: f64, secs: i64) -> Task {
    let mut t = Task::new(
        id,
        resource,
        "backup",
        state.as_label(),
        Mapped::known(state),
    );
    let end = Timestamp::now() - SignedDuration::from_secs_f64(end_hours_ago * 3600.0);
    t.started = Some(end - SignedDuration::from_secs(secs));
    t.created = t.started;
    if !state.is_active() {
        t.finished = Some(end);
    }
    t
}

/// Target `yc` (vm-a: daily, latest failed; vm-b: daily, fine, with a queued task stuck for
/// 10h; vm-c: configured, never succeeded) and target `down` (cannot be polled); a rejected
/// reload and a failing state file.
pub(crate) fn known_state() -> Arc<Hub> {
    let resources: Vec<String> = ["vm-a", "vm-b", "vm-c"].map(String::from).to_vec();
    let mut a = Account::new(&["backup"], &resources);
    let mut tasks = Vec::new();
    for (i, days) in [4.0, 3.0, 2.0].iter().enumerate() {
        tasks.push(task(
            &format!("a{i}"),
            "vm-a",
            TaskState::Succeeded,
            days * 24.0,
            60,
        ));
        tasks.push(task(
            &format!("b{i}"),
            "vm-b",
            TaskState::Succeeded,
            days * 24.0,
            60,
        ));
    }
    let mut failed = task("a-fail", "vm-a", TaskState::Failed, 1.0, 30);
    failed.error = Some(FAILURE_MESSAGE.to_string());
    tasks.push(failed);
    tasks.push(task("b3", "vm-b", TaskState::Succeeded, 1.0, 60));
    let mut queued = task("b-queued", "vm-b", TaskState::Queued, 10.0, 0);
    queued.started = None;
    tasks.push(queued);
    // Each resource is its own unit, as for Yandex.
    let mut poll = PollResult::default();
    for r in &resources {
        let of_r: Vec<Task> = tasks.iter().filter(|t| &t.resource == r).cloned().collect();
        poll.listed.push((r.clone(), Listing::of(of_r)));
    }
    a.apply(
        &poll,
        Timestamp::now(),
        &Rules {
            lookback: Duration::from_secs(7 * 86_400),
            buckets: &BUCKETS,
            max_task_types: 32,
        },
    );
    let hub = Hub::new();
    hub.set_targets(&["yc".to_string(), "down".to_string()]);
    let mut yc = snapshot("yc", ProviderKind::YandexBackup, a, true);
    yc.expect = Arc::new(Expectations {
        resources: Some(resources.iter().cloned().collect::<BTreeSet<_>>()),
        ..Expectations::default()
    });
    hub.publish(yc);
    let mut down = snapshot("down", ProviderKind::HuaweiCce, Account::default(), false);
    down.status.last_error = Some(ProviderError::new(
        Reason::Server,
        "GET /api/v3/projects/p/clusters: HTTP 503",
    ));
    hub.publish(down);
    hub.set_reload(false, 1.0);
    hub.set_reload_error("config.yaml:7: target 'yc': interval: must be greater than zero");
    hub.set_state_file(true);
    hub.record_state_write(true, 1.0);
    hub.set_state_write_error("/var/lib/cte/state.json: Permission denied (os error 13)");
    hub.record_state_write(false, 2.0);
    hub
}

fn pair<'a>(v: &'a serde_json::Value, target: &str, resource: &str) -> &'a serde_json::Value {
    v["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == target)
        .and_then(|t| t["pairs"].as_array())
        .and_then(|ps| ps.iter().find(|p| p["resource"] == resource))
        .unwrap_or_else(|| panic!("no pair {target}/{resource} in {v:#}"))
}

#[test]
fn targets_api_carries_problems_results_rhythm_and_strip() {
    let hub = known_state();
    let now = cloud_task_exporter::scheduler::wall_now();
    let v = cloud_task_exporter::status::targets_json(&hub, now);
    let problems: Vec<&str> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["text"].as_str().unwrap())
        .collect();
    assert_eq!(problems.len(), 3, "{problems:#?}");
    assert!(
        problems.iter().any(|p| p.contains("reload was rejected")
            && p.contains("interval: must be greater than zero"))
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("state file cannot be written") && p.contains("Permission denied"))
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("Target down cannot be polled (server)"))
    );

    let a = pair(&v, "yc", "vm-a");
    assert_eq!(a["health"], "bad");
    assert_eq!(a["last"]["result"], "failed");
    assert_eq!(a["last"]["task_id"], "a-fail");
    assert_eq!(a["last"]["message"], FAILURE_MESSAGE);
    let rhythm = a["expected_interval_seconds"].as_f64().unwrap();
    assert!((rhythm - 86_400.0).abs() < 1.0, "{rhythm}");
    assert_eq!(a["expected_interval_source"], "learned");
    let days = a["days"].as_array().unwrap();
    assert_eq!(days.len(), 14);
    let ok: u64 = days.iter().map(|d| d["ok"].as_u64().unwrap()).sum();
    let bad: u64 = days.iter().map(|d| d["bad"].as_u64().unwrap()).sum();
    assert_eq!((ok, bad), (3, 1));

    let b = pair(&v, "yc", "vm-b");
    assert_eq!(b["expected_interval_source"], "learned");
    assert_eq!(b["age_health"], "ok");
    let usual = b["expected_duration_seconds"].as_f64().unwrap();
    assert!((usual - 60.0).abs() < 0.01, "{usual}");
    assert_eq!(b["active"][0]["state"], "queued");
    assert_eq!(b["active"][0]["stuck"], true, "10h queued, limit 1h 1m");
    assert_eq!(b["health"], "bad");

    let c = pair(&v, "yc", "vm-c");
    assert_eq!(c["last_success"], serde_json::Value::Null);
    assert_eq!(c["expected_interval_source"], "default", "no history yet");
    assert_eq!(c["age_health"], "bad");
    // The earlier per-resource summary is still there.
    assert_eq!(v["targets"][0]["resources"]["vm-b"]["active_tasks"], 1);
}

#[tokio::test]
async fn status_page_shows_problems_first_and_the_failure_in_red_escaped() {
    let hub = known_state();
    let st = cloud_task_exporter::server::AppState {
        hub,
        telemetry_path: "/metrics".to_string(),
        buckets: Arc::new(std::sync::RwLock::new(BUCKETS.to_vec())),
        reload: None,
    };
    let resp =
        cloud_task_exporter::server::route(hyper::Request::get("/").body(()).unwrap(), &st).await;
    use http_body_util::BodyExt;
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    let html = String::from_utf8(body.to_vec()).unwrap();
    assert!(
        html.contains("<meta http-equiv=refresh"),
        "refreshes itself"
    );
    let problems = html.find("id=problems").unwrap();
    let tasks = html.find("id=pairs").unwrap();
    assert!(problems < tasks);
    assert!(html[problems..tasks].contains("reload was rejected"));
    // The failed resource's row is red and carries the message as text, not markup.
    let row = html
        .lines()
        .find(|l| l.contains("data-resource=\"vm-a\""))
        .expect("a row for vm-a");
    assert!(row.starts_with("<tr class=\"pair bad\""), "{row}");
    assert!(row.contains("<td class=\"result bad\">failed"), "{row}");
    assert!(
        row.contains("Quota &lt;b&gt;exceeded&lt;/b&gt; &amp; &quot;disk&quot; full"),
        "{row}"
    );
    assert!(!html.contains("<b>exceeded"));
    assert!(
        row.contains("class=\"d bad\""),
        "the strip shows the failed day: {row}"
    );
}
