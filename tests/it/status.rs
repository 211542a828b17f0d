//! The status page `/` and `/api/v1/targets` from a known state (`docs/alerts.md` "The status page"): problems at the top,
//! the failed resource in red with the API's own (escaped) message, the age of the last
//! success against the rhythm, a stuck queued task, a resource that never succeeded and the
//! 14-day strip; and, where a backup schedule covers a resource, the schedule instead of the
//! rhythm: a missed scheduled run, a resource no policy covers, a run in progress after its
//! slot. `browser.rs` renders the same state in a real browser.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use cloud_task_exporter::accounting::{Account, PollResult, Rules};
use cloud_task_exporter::hub::{Hub, TargetSnapshot, UnitHealth};
use cloud_task_exporter::model::{Listing, Mapped, Task, TaskState};
use cloud_task_exporter::provider::ProviderKind;
use cloud_task_exporter::provider::{ProviderError, Reason};
use cloud_task_exporter::rhythm::Expectations;
use cloud_task_exporter::schedule::Due;
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

/// Target `yc`, one row per state: vm-a daily, failed twice in a row (25h and 1h ago); vm-b
/// daily, fine, with a queued task stuck for 10h; vm-c configured, never succeeded; vm-d daily,
/// last success 3 days ago (overdue); vm-e daily, last success 1.05 days ago (late: within the
/// 2.4-hour grace of a daily rhythm), with a
/// failure 1.7 days ago (a red day on a row that succeeded since); vm-f daily, last success 2
/// days ago, its hour-long backup running for 20 minutes at 44 % (in progress); vm-g
/// configured, never listed (its unit fails); vm-h fine. Target `down` has never been polled
/// successfully; a rejected reload and a failing state file. Target `hw` has backup policies:
/// see [`scheduled_target`].
pub(crate) fn known_state() -> Arc<Hub> {
    let resources: Vec<String> = [
        "vm-a", "vm-b", "vm-c", "vm-d", "vm-e", "vm-f", "vm-g", "vm-h",
    ]
    .map(String::from)
    .to_vec();
    let mut a = Account::new(&["backup"], &resources);
    let mut tasks = Vec::new();
    let daily = |tasks: &mut Vec<Task>, r: &str, days: [f64; 3], secs: i64| {
        for (i, d) in days.iter().enumerate() {
            tasks.push(task(
                &format!("{r}-{i}"),
                r,
                TaskState::Succeeded,
                d * 24.0,
                secs,
            ));
        }
    };
    daily(&mut tasks, "vm-a", [4.0, 3.0, 2.0], 60);
    daily(&mut tasks, "vm-b", [4.0, 3.0, 2.0], 60);
    daily(&mut tasks, "vm-d", [5.0, 4.0, 3.0], 60);
    daily(&mut tasks, "vm-e", [3.05, 2.05, 1.05], 60);
    daily(&mut tasks, "vm-f", [4.0, 3.0, 2.0], 3600);
    daily(&mut tasks, "vm-h", [2.5, 1.5, 0.5], 60);
    tasks.push(task("a-fail-0", "vm-a", TaskState::Failed, 25.0, 30));
    let mut failed = task("a-fail", "vm-a", TaskState::Failed, 1.0, 30);
    failed.error = Some(FAILURE_MESSAGE.to_string());
    tasks.push(failed);
    tasks.push(task("e-fail", "vm-e", TaskState::Failed, 1.7 * 24.0, 30));
    tasks.push(task("b3", "vm-b", TaskState::Succeeded, 1.0, 60));
    let mut queued = task("b-queued", "vm-b", TaskState::Queued, 10.0, 0);
    queued.started = None;
    tasks.push(queued);
    let mut running = task("f-running", "vm-f", TaskState::Running, 0.0, 20 * 60);
    running.progress = Some(0.44);
    tasks.push(running);
    // Each resource is its own unit, as for Yandex; vm-g is never listed.
    let mut poll = PollResult::default();
    for r in resources.iter().filter(|r| *r != "vm-g") {
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
    hub.set_targets(&["yc".to_string(), "down".to_string(), "hw".to_string()]);
    let mut yc = snapshot("yc", ProviderKind::YandexBackup, a, true);
    yc.expect = Arc::new(Expectations {
        resources: Some(resources.iter().cloned().collect::<BTreeSet<_>>()),
        ..Expectations::default()
    });
    for r in resources.iter().filter(|r| *r != "vm-g") {
        yc.status.units.insert(
            r.clone(),
            UnitHealth {
                up: true,
                last_success: Some(1_714_560_000.0),
                ..UnitHealth::default()
            },
        );
    }
    yc.status.units.insert(
        "vm-g".to_string(),
        UnitHealth {
            up: false,
            last_success: None,
            last_error: Some(ProviderError::new(Reason::Client, UNIT_ERROR)),
            errors: BTreeMap::from([(Reason::Client, 1)]),
        },
    );
    hub.publish(yc);
    let mut down = snapshot("down", ProviderKind::HuaweiCce, Account::default(), false);
    down.status.last_success = None;
    down.status.last_error = Some(ProviderError::new(
        Reason::Server,
        "GET /api/v3/projects/p/clusters: HTTP 503",
    ));
    hub.publish(down);
    hub.publish(scheduled_target());
    hub.set_reload(false, 1.0);
    hub.set_reload_error("config.yaml:7: target 'yc': interval: must be greater than zero");
    hub.set_state_file(true);
    hub.record_state_write(true, 1.0);
    hub.set_state_write_error("/var/lib/cte/state.json: Permission denied (os error 13)");
    hub.record_state_write(false, 2.0);
    hub
}

/// `{name} ({id})` of the nightly policy covering srv-missed, srv-fine and srv-running.
pub(crate) const NIGHTLY: (&str, &str) = ("nightly-servers", "pol-nightly");
/// The policy naming srv-off, switched off.
pub(crate) const OFF: (&str, &str) = ("old-servers", "pol-off");

/// Target `hw` (Huawei CBR), whose policies cover its resources, each backed up daily for 3
/// days: srv-missed's nightly run became due 2h ago and its last success is 26h old (late by
/// the rhythm, missed by the schedule); srv-fine succeeded 1.5h ago, after its slot 2h ago;
/// srv-off's only policy is off (not scheduled, though its backups are recent); srv-running,
/// an hour-long backup due 2.5h ago, runs since 1.5h ago (after the slot, within its allowance
/// of 2 × 1h: in progress, not missed).
fn scheduled_target() -> TargetSnapshot {
    let resources = ["srv-missed", "srv-fine", "srv-off", "srv-running"];
    let mut a = Account::new(&["backup"], &resources.map(String::from));
    let mut tasks = Vec::new();
    let mut daily = |r: &str, last_hours_ago: f64, secs: i64| {
        for i in 0..3 {
            let ago = last_hours_ago + 24.0 * f64::from(i);
            tasks.push(task(
                &format!("{r}-{i}"),
                r,
                TaskState::Succeeded,
                ago,
                secs,
            ));
        }
    };
    daily("srv-missed", 26.0, 60);
    daily("srv-fine", 1.5, 60);
    daily("srv-off", 5.0, 60);
    daily("srv-running", 26.5, 3600);
    tasks.push(task(
        "srv-running-now",
        "srv-running",
        TaskState::Running,
        0.0,
        90 * 60,
    ));
    let mut poll = PollResult::default();
    poll.listed
        .push(("project".to_string(), Listing::of(tasks)));
    a.apply(
        &poll,
        Timestamp::now(),
        &Rules {
            lookback: Duration::from_secs(7 * 86_400),
            buckets: &BUCKETS,
            max_task_types: 32,
        },
    );
    let now = Timestamp::now();
    let hours_ago = |h: f64| now - SignedDuration::from_secs_f64(h * 3600.0);
    let nightly = |due_hours_ago: f64| Due {
        covered: true,
        next: Some(hours_ago(due_hours_ago - 24.0)),
        last_due: Some(hours_ago(due_hours_ago)),
        policies: vec![(NIGHTLY.1.to_string(), NIGHTLY.0.to_string())],
        start_window: None,
    };
    let mut hw = snapshot("hw", ProviderKind::HuaweiCbr, a, true);
    hw.schedules = Arc::new(BTreeMap::from([
        ("srv-missed".to_string(), nightly(2.0)),
        ("srv-fine".to_string(), nightly(2.0)),
        ("srv-running".to_string(), nightly(2.5)),
        (
            "srv-off".to_string(),
            Due {
                covered: false,
                next: None,
                last_due: None,
                policies: vec![(OFF.1.to_string(), OFF.0.to_string())],
                start_window: None,
            },
        ),
    ]));
    hw.schedule_skips = Some(BTreeMap::new());
    hw
}

/// The rows of target `hw` in the page's order: the missed run (red, top rank), not scheduled
/// (amber), in progress, fine.
pub(crate) const SCHEDULED_ROW_ORDER: [&str; 4] =
    ["srv-missed", "srv-off", "srv-running", "srv-fine"];

/// Every row of the page, over both targets: by rank, then the longest-lasting problem (an
/// unknown start first), then by target and resource.
pub(crate) const PAGE_ORDER: [&str; 12] = [
    "vm-g",
    "vm-a",
    "srv-missed",
    "vm-c",
    "vm-d",
    "srv-off",
    "vm-b",
    "vm-e",
    "srv-running",
    "vm-f",
    "srv-fine",
    "vm-h",
];

/// The error of vm-g's unit, shown on its row.
pub(crate) const UNIT_ERROR: &str =
    "GET /backup/v1/backups?computeId=vm-g: HTTP 404 instance not found";

/// The rows of target `yc` in the page's order: failed and down first, then overdue (never
/// succeeded is the longest), then stuck and late (the longest-lasting first), in progress, ok.
pub(crate) const ROW_ORDER: [&str; 8] = [
    "vm-g", "vm-a", "vm-c", "vm-d", "vm-b", "vm-e", "vm-f", "vm-h",
];

/// The headline of [`known_state`].
pub(crate) const HEADLINE: &str = "11 need attention: 1 missed scheduled run, 1 not scheduled, 1 failed, 1 target down, 1 resource down, 1 never succeeded, 1 overdue, 1 stuck, 1 late, 1 rejected reload, 1 state-file problem";

/// The problems of [`known_state`] by kind, in the order shown: red first (the missed
/// scheduled run at the top), then amber (not scheduled before late).
pub(crate) const PROBLEM_ORDER: [&str; 11] = [
    "missed_run",
    "failed",
    "target_down",
    "resource_down",
    "never_succeeded",
    "overdue",
    "stuck",
    "config",
    "state_file",
    "not_scheduled",
    "late",
];

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
    let problems = v["problems"].as_array().unwrap();
    let text = |kind: &str| -> &str {
        problems
            .iter()
            .find(|p| p["kind"] == kind)
            .and_then(|p| p["text"].as_str())
            .unwrap_or_else(|| panic!("no {kind} problem in {problems:#?}"))
    };
    assert_eq!(problems.len(), 11, "{problems:#?}");
    assert!(
        text("config").contains("reload was rejected")
            && text("config").contains("interval: must be greater than zero")
    );
    assert!(
        text("state_file").contains("state file cannot be written")
            && text("state_file").contains("Permission denied")
    );
    assert!(text("target_down").contains("Target down cannot be polled (server)"));
    // Nothing is served before the first good poll, and the page does not claim it is.
    assert!(
        text("target_down").contains("The first poll has not succeeded yet"),
        "{}",
        text("target_down")
    );
    assert!(!text("target_down").contains("last good data"));
    assert!(text("resource_down").contains("Resource vm-g of target yc cannot be polled"));
    assert!(!text("resource_down").contains("last values are kept"));
    assert!(
        text("failed").contains("2 failures in a row"),
        "{}",
        text("failed")
    );
    assert!(
        text("overdue").contains("overdue since"),
        "{}",
        text("overdue")
    );
    assert!(
        text("late").contains("CloudBackupMissing fires at"),
        "{}",
        text("late")
    );

    // The headline and the problems agree, and every red or amber row is a problem.
    assert_eq!(v["attention"]["count"], 11);
    assert_eq!(v["attention"]["text"], HEADLINE);
    for (kind, n) in v["attention"]["by_kind"].as_object().unwrap() {
        let counted = problems.iter().filter(|p| &p["kind"] == kind).count() as u64;
        assert_eq!(n.as_u64(), Some(counted), "{kind}");
    }
    for t in v["targets"].as_array().unwrap() {
        for p in t["pairs"].as_array().into_iter().flatten() {
            if p["health"] == "bad" || p["health"] == "warn" {
                assert!(
                    problems.iter().any(|x| x["resource"] == p["resource"]),
                    "a red or amber row without a problem: {p:#}"
                );
            }
        }
    }
    // A next step for each kind: the alert, the log line, the runbook section.
    let alerts = std::fs::read_to_string("deploy/prometheus/alerts.yml").unwrap();
    for p in problems {
        let next = &p["next"];
        if let Some(alert) = next["alert"].as_str() {
            assert!(alerts.contains(&format!("alert: {alert}")), "{alert}");
        } else {
            assert_eq!(
                p["kind"], "config",
                "only a rejected reload has no rule: {p:#}"
            );
        }
        assert!(next["log"].as_str().unwrap().starts_with("grep '"), "{p:#}");
        assert!(
            next["doc"].as_str().unwrap().starts_with("docs/alerts.md#"),
            "{p:#}"
        );
    }
    let failed = problems.iter().find(|p| p["kind"] == "failed").unwrap();
    assert_eq!(failed["next"]["alert"], "CloudTaskFailed");
    assert_eq!(
        failed["next"]["log"],
        "grep 'Task ended badly' | grep 'task_id=a-fail'"
    );
    assert_eq!(failed["task_id"], "a-fail");

    let a = pair(&v, "yc", "vm-a");
    assert_eq!(a["health"], "bad");
    assert_eq!(a["state"], "failed");
    assert_eq!(a["failures_in_row"], 2);
    let since = now - a["failing_since"].as_f64().unwrap();
    assert!((since - 25.0 * 3600.0).abs() < 60.0, "{since}");
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
    assert_eq!((ok, bad), (3, 2));

    let b = pair(&v, "yc", "vm-b");
    assert_eq!(b["expected_interval_source"], "learned");
    assert_eq!(b["age_health"], "ok");
    let usual = b["expected_duration_seconds"].as_f64().unwrap();
    assert!((usual - 60.0).abs() < 0.01, "{usual}");
    assert_eq!(b["active"][0]["state"], "queued");
    assert_eq!(b["active"][0]["stuck"], true, "10h queued, limit 1h 1m");
    assert_eq!(b["health"], "bad");
    assert_eq!(b["state"], "stuck");

    let c = pair(&v, "yc", "vm-c");
    assert_eq!(c["last_success"], serde_json::Value::Null);
    assert_eq!(c["expected_interval_source"], "default", "no history yet");
    assert_eq!(c["age_health"], "bad");
    assert_eq!(c["state"], "never_succeeded");

    let d = pair(&v, "yc", "vm-d");
    assert_eq!(d["state"], "overdue");
    let by = d["overdue_seconds"].as_f64().unwrap();
    assert!(
        (by - 2.0 * 86_400.0).abs() < 60.0,
        "3 days since, 1 expected: {by}"
    );
    let since = now - d["overdue_since"].as_f64().unwrap();
    assert!((since - by).abs() < 1.0);

    let e = pair(&v, "yc", "vm-e");
    assert_eq!(
        (&e["state"], &e["health"]),
        (&"late".into(), &"warn".into())
    );
    assert_eq!(e["last"]["result"], "succeeded");
    let note = e["note"].as_str().unwrap();
    assert!(
        note.starts_with("failed earlier, succeeded since"),
        "{note}"
    );

    // Two days since the last success of a daily backup, but its run is at 44 % within its
    // limit: in progress, neither overdue nor red.
    let f = pair(&v, "yc", "vm-f");
    assert_eq!(f["state"], "in_progress");
    assert_eq!(f["health"], "none");
    assert_eq!(
        f["age_health"], "bad",
        "the age itself is still past the grace"
    );
    assert!(!problems.iter().any(|p| p["resource"] == "vm-f"));

    let g = pair(&v, "yc", "vm-g");
    assert_eq!(g["state"], "resource_down");
    assert_eq!(g["unit_error"]["reason"], "client");
    assert_eq!(g["unit_error"]["message"], UNIT_ERROR);

    assert_eq!(pair(&v, "yc", "vm-h")["state"], "ok");
    // Within a target the pairs come in the page's order.
    let order: Vec<&str> = v["targets"][0]["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["resource"].as_str().unwrap())
        .collect();
    assert_eq!(order, ROW_ORDER);
    // The earlier per-resource summary is still there.
    assert_eq!(v["targets"][0]["resources"]["vm-b"]["active_tasks"], 1);
    // Rows without a schedule say so, and the rhythm is their expectation.
    assert_eq!(pair(&v, "yc", "vm-h")["covered"], serde_json::Value::Null);
    assert_eq!(pair(&v, "yc", "vm-h")["policies"], serde_json::json!([]));
}

#[test]
fn targets_api_puts_missed_and_unscheduled_runs_first_and_lets_the_schedule_decide() {
    let hub = known_state();
    let now = cloud_task_exporter::scheduler::wall_now();
    let v = cloud_task_exporter::status::targets_json(&hub, now);
    let problems = v["problems"].as_array().unwrap();
    let kinds: Vec<&str> = problems
        .iter()
        .map(|p| p["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, PROBLEM_ORDER, "{problems:#?}");
    assert_eq!(v["attention"]["by_kind"]["missed_run"], 1);
    assert_eq!(v["attention"]["by_kind"]["not_scheduled"], 1);
    assert!(
        v["attention"]["text"]
            .as_str()
            .unwrap()
            .starts_with("11 need attention: 1 missed scheduled run, 1 not scheduled, 1 failed"),
        "{}",
        v["attention"]["text"]
    );

    // The missed nightly run: red, at the top, since its slot, with the alert that pages.
    let missed = &problems[0];
    assert_eq!(
        (&missed["health"], &missed["resource"], &missed["target"]),
        (&"bad".into(), &"srv-missed".into(), &"hw".into())
    );
    assert_eq!(missed["next"]["alert"], "CloudBackupScheduledRunMissed");
    assert_eq!(
        missed["next"]["doc"],
        "docs/alerts.md#cloudbackupscheduledrunmissed"
    );
    assert_eq!(
        missed["next"]["log"],
        "grep 'Task ' | grep 'resource=srv-missed'"
    );
    let since = now - missed["since"].as_f64().unwrap();
    assert!(
        (since - 2.0 * 3600.0).abs() < 60.0,
        "since the slot: {since}"
    );
    let text = missed["text"].as_str().unwrap();
    assert!(
        text.contains("missed its scheduled run of nightly-servers (pol-nightly) due ")
            && text.contains("no success has ended since")
            && text.contains("allowed 1h after the slot"),
        "{text}"
    );
    // Not scheduled: amber, with its alert.
    let off = problems
        .iter()
        .find(|p| p["kind"] == "not_scheduled")
        .unwrap();
    assert_eq!(
        (&off["health"], &off["resource"]),
        (&"warn".into(), &"srv-off".into())
    );
    assert_eq!(off["next"]["alert"], "CloudBackupNotScheduled");
    assert_eq!(off["next"]["doc"], "docs/alerts.md#cloudbackupnotscheduled");
    assert_eq!(
        off["next"]["log"],
        "grep 'Read the backup policies' | grep 'target=hw'"
    );
    assert!(
        off["text"]
            .as_str()
            .unwrap()
            .contains("its policy old-servers (pol-off) is off for it"),
        "{off:#}"
    );
    // The other two are no problem: neither late by the rhythm nor missed.
    for r in ["srv-fine", "srv-running"] {
        assert!(
            !problems.iter().any(|p| p["resource"] == r),
            "{r}: {problems:#?}"
        );
    }

    let m = pair(&v, "hw", "srv-missed");
    assert_eq!(
        (&m["state"], &m["health"]),
        (&"missed_run".into(), &"bad".into())
    );
    assert_eq!(m["covered"], true);
    assert_eq!(m["age_health"], "bad", "no success since the slot");
    assert_eq!(m["run_allowance_seconds"], 3600.0);
    assert_eq!(
        m["policies"],
        serde_json::json!([{"id": NIGHTLY.1, "name": NIGHTLY.0}])
    );
    let next_in = m["next_run"].as_f64().unwrap() - now;
    assert!((next_in - 22.0 * 3600.0).abs() < 60.0, "{next_in}");
    let due_ago = now - m["last_due"].as_f64().unwrap();
    assert!((due_ago - 2.0 * 3600.0).abs() < 60.0, "{due_ago}");

    // 1.5h old, after its slot: fine, though the rhythm alone would say the same.
    let f = pair(&v, "hw", "srv-fine");
    assert_eq!((&f["state"], &f["health"]), (&"ok".into(), &"ok".into()));
    assert_eq!(f["covered"], true);

    // Recent backups, but nothing will make the next one.
    let o = pair(&v, "hw", "srv-off");
    assert_eq!(
        (&o["state"], &o["health"]),
        (&"not_scheduled".into(), &"warn".into())
    );
    assert_eq!(o["covered"], false);
    assert_eq!(o["next_run"], serde_json::Value::Null);
    assert_eq!(
        o["policies"],
        serde_json::json!([{"id": OFF.1, "name": OFF.0}])
    );

    // Due 2.5h ago, no success since, but a run that started after the slot is within 2 × its
    // usual hour: in progress, not missed, not late by the rhythm.
    let r = pair(&v, "hw", "srv-running");
    assert_eq!(
        (&r["state"], &r["health"]),
        (&"in_progress".into(), &"none".into())
    );
    assert_eq!(r["run_allowance_seconds"], 7200.0);
    assert_eq!(r["active"][0]["task_id"], "srv-running-now");

    let order: Vec<&str> = v["targets"][2]["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["resource"].as_str().unwrap())
        .collect();
    assert_eq!(order, SCHEDULED_ROW_ORDER);
}

/// While its target cannot be polled, a covered resource's missed run is not a problem of its
/// own (`CloudBackupScheduledRunMissed` is silent; `CloudTaskTargetDown` pages).
#[test]
fn a_missed_run_of_a_target_that_is_down_is_the_targets_problem() {
    let hub = Hub::new();
    hub.set_targets(&["hw".to_string()]);
    hub.set_reload(true, 1.0);
    let mut hw = scheduled_target();
    hw.status.up = false;
    hw.status.last_error = Some(ProviderError::new(Reason::Server, "HTTP 503"));
    hub.publish(hw);
    let now = cloud_task_exporter::scheduler::wall_now();
    let v = cloud_task_exporter::status::targets_json(&hub, now);
    let kinds: Vec<&str> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["target_down", "not_scheduled"], "{v:#}");
    assert_ne!(pair(&v, "hw", "srv-missed")["state"], "missed_run");
}

/// A pair whose backup failed and whose next run was cancelled is still failing, as
/// `CloudTaskFailed` (failure newer than the latest success) says: only a success ends it.
#[test]
fn a_cancelled_run_after_a_failure_leaves_the_pair_failing() {
    let mut a = Account::new(&["backup"], &["vm-x".to_string()]);
    let tasks = [
        task("s1", "vm-x", TaskState::Succeeded, 30.0, 60),
        task("f1", "vm-x", TaskState::Failed, 6.0, 60),
        task("c1", "vm-x", TaskState::Cancelled, 1.0, 60),
    ];
    let poll = PollResult {
        listed: vec![("vm-x".to_string(), Listing::of(tasks.to_vec()))],
        failed: vec![],
    };
    let rules = Rules {
        lookback: Duration::from_secs(7 * 86_400),
        buckets: &BUCKETS,
        max_task_types: 32,
    };
    a.apply(&poll, Timestamp::now(), &rules);
    let hub = Hub::new();
    hub.set_targets(&["yc".to_string()]);
    hub.set_reload(true, 1.0);
    hub.publish(snapshot("yc", ProviderKind::YandexBackup, a, true));
    let now = cloud_task_exporter::scheduler::wall_now();
    let v = cloud_task_exporter::status::targets_json(&hub, now);
    let p = pair(&v, "yc", "vm-x");
    assert_eq!(p["last"]["result"], "cancelled", "{p:#}");
    assert_eq!(p["state"], "failed", "{p:#}");
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
