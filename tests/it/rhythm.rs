//! What accounting feeds the rhythm (`docs/alerts.md` "How the rhythm is learned"): the transitions it reports for the log, the
//! history it keeps (and does not keep), the state file that carries it, and the expected
//! interval, duration and active limit the exposition serves.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use cloud_task_exporter::accounting::Account;
use cloud_task_exporter::config::Expect;
use cloud_task_exporter::hub::Hub;
use cloud_task_exporter::metrics::exposition;
use cloud_task_exporter::model::{Mapped, Task, TaskState};
use cloud_task_exporter::provider::ProviderKind;
use cloud_task_exporter::rhythm::Expectations;
use cloud_task_exporter::state::TargetState;

use crate::support::{BUCKETS, apply, sample, snapshot, task};

fn ends(
    a: &mut Account,
    unit: &str,
    tasks: &[Task],
    now: &str,
) -> Vec<(String, &'static str, String)> {
    let r = crate::support::apply_report(a, unit, tasks, now);
    r.transitions
        .into_iter()
        .map(|t| (t.task_id, t.from, t.to.as_label().to_string()))
        .collect()
}

#[test]
fn one_transition_per_change_none_for_the_baselines_history() {
    let mut a = Account::new(&["backup"], &[]);
    let mut old = task("old", "vm1", TaskState::Failed, Some(30));
    old.error = Some("old news".into());
    // Baseline: the finished task is history, not news; the running one is new.
    let t = ends(
        &mut a,
        "u",
        &[old.clone(), task("r", "vm1", TaskState::Queued, None)],
        "2024-05-01T11:00:00Z",
    );
    assert_eq!(t, [("r".into(), "new", "queued".into())]);
    // queued → running; a task first seen finished after the baseline.
    let t = ends(
        &mut a,
        "u",
        &[
            old.clone(),
            task("r", "vm1", TaskState::Running, None),
            task("late", "vm1", TaskState::Succeeded, Some(10)),
        ],
        "2024-05-01T11:01:00Z",
    );
    assert_eq!(
        t,
        [
            ("r".into(), "queued", "running".into()),
            ("late".into(), "new", "succeeded".into())
        ]
    );
    // Nothing changed: nothing to log.
    let same = [old.clone(), task("r", "vm1", TaskState::Running, None)];
    assert!(ends(&mut a, "u", &same, "2024-05-01T11:02:00Z").is_empty());
    // running → failed, with the API's message and the duration.
    let mut failed = task("r", "vm1", TaskState::Failed, Some(95));
    failed.error = Some("x".repeat(1000));
    let r = crate::support::apply_report(&mut a, "u", &[failed], "2024-05-01T11:03:00Z");
    let end = &r.transitions[0];
    assert_eq!((end.from, end.to), ("running", TaskState::Failed));
    assert_eq!(end.duration, Some(95.0));
    let msg = end.error.as_deref().unwrap();
    assert!(msg.len() <= 256 && msg.starts_with("xxx"), "{}", msg.len());
    // After a restart (seen-set restored, active states not), an end is still logged once.
    let mut restored = a.clone();
    restored.tallies.active.clear();
    let t = ends(
        &mut restored,
        "u",
        &[task("q", "vm1", TaskState::Queued, None)],
        "2024-05-01T11:04:00Z",
    );
    assert_eq!(t, [("q".into(), "new", "queued".into())]);
    restored.tallies.active.clear();
    let t = ends(
        &mut restored,
        "u",
        &[task("q", "vm1", TaskState::Succeeded, Some(5))],
        "2024-05-01T11:05:00Z",
    );
    assert_eq!(t, [("q".into(), "active", "succeeded".into())]);
}

#[test]
fn history_skips_tasks_without_a_time_and_survives_the_state_file() {
    let mut a = Account::new(&["backup"], &[]);
    let mut timeless = Task::new(
        "nt",
        "vm1",
        "backup",
        "OK",
        Mapped::known(TaskState::Succeeded),
    );
    timeless.error = None;
    let tasks: Vec<Task> = (0..4)
        .map(|i| {
            let mut t = task(&format!("s{i}"), "vm1", TaskState::Succeeded, Some(60));
            let shift = jiff::SignedDuration::from_hours(i64::from(i) * 6);
            t.started = t.started.map(|s| s - shift);
            t.finished = t.finished.map(|f| f - shift);
            t
        })
        .chain([timeless])
        .collect();
    apply(&mut a, "u", &tasks, "2024-05-01T11:00:00Z");
    let h = a.tallies.history.get("vm1", "backup").unwrap();
    assert_eq!(h.successes.len(), 4, "the task without a time is left out");
    assert_eq!(h.learned_interval(), Some(6.0 * 3600.0));

    let saved = TargetState::from_account(
        ProviderKind::YandexBackup,
        &a,
        Default::default(),
        &Default::default(),
        &BUCKETS,
    );
    let json = serde_json::to_string(&saved).unwrap();
    assert!(json.contains("\"history\""));
    let back: TargetState = serde_json::from_str(&json).unwrap();
    let restored = back.to_account(&["backup"], &BUCKETS).unwrap();
    assert_eq!(restored.tallies.history, a.tallies.history);

    // A file written before the history existed loads, with an empty history.
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    v.as_object_mut().unwrap().remove("history");
    let old: TargetState = serde_json::from_value(v).unwrap();
    assert!(
        old.to_account(&["backup"], &BUCKETS)
            .unwrap()
            .tallies
            .history
            .pairs
            .is_empty()
    );
}

/// A state file without the history (written before it existed), or with an entry that
/// cannot be read: the first poll after the restart rebuilds it from the listing, so the learned rhythm and usual duration are back at
/// once, and nothing is counted again.
#[test]
fn a_state_file_without_history_gets_it_back_from_the_first_poll() {
    let mut a = Account::new(&["backup"], &[]);
    let tasks: Vec<Task> = (0..4)
        .map(|i| {
            let mut t = task(&format!("s{i}"), "vm1", TaskState::Succeeded, Some(60));
            let shift = jiff::SignedDuration::from_hours(i64::from(i) * 6);
            t.started = t.started.map(|s| s - shift);
            t.finished = t.finished.map(|f| f - shift);
            t
        })
        .collect();
    apply(&mut a, "u", &tasks, "2024-05-01T11:00:00Z");
    let saved = TargetState::from_account(
        ProviderKind::YandexBackup,
        &a,
        Default::default(),
        &Default::default(),
        &BUCKETS,
    );
    let mut v = serde_json::to_value(&saved).unwrap();
    v.as_object_mut().unwrap().remove("history");
    let old: TargetState = serde_json::from_value(v).unwrap();
    let mut restored = old.to_account(&["backup"], &BUCKETS).unwrap();
    assert!(restored.tallies.history.pairs.is_empty());
    let r = crate::support::apply_report(&mut restored, "u", &tasks, "2024-05-01T11:05:00Z");
    assert_eq!((r.counted, r.baselined), (0, 0));
    assert_eq!(restored.tallies.completions, a.tallies.completions);
    let h = restored.tallies.history.get("vm1", "backup").unwrap();
    assert_eq!(h, a.tallies.history.get("vm1", "backup").unwrap());
    assert_eq!(h.learned_interval(), Some(6.0 * 3600.0));

    // A damaged entry costs its pair's history only (the file still loads), and the first
    // poll rebuilds it.
    let mut v = serde_json::to_value(&saved).unwrap();
    v["history"][0]["successes"] = serde_json::json!("not a list");
    let damaged: TargetState = serde_json::from_value(v).unwrap();
    assert!(damaged.history.is_empty());
    let mut restored = damaged.to_account(&["backup"], &BUCKETS).unwrap();
    crate::support::apply(&mut restored, "u", &tasks, "2024-05-01T11:05:00Z");
    assert_eq!(restored.tallies.history, a.tallies.history);
    assert_eq!(restored.tallies.completions, a.tallies.completions);
}

#[test]
#[cfg_attr(
    missing_promtool,
    ignore = "needs promtool (apt-get install prometheus); CI installs it and runs this"
)]
fn exposition_serves_rhythm_for_configured_resources_from_the_first_poll() {
    let mut a = Account::new(&["backup"], &["vm1".to_string(), "vm2".to_string()]);
    let tasks: Vec<Task> = (0..3)
        .map(|i| {
            let mut t = task(&format!("s{i}"), "vm1", TaskState::Succeeded, Some(120));
            let shift = jiff::SignedDuration::from_hours(i64::from(i));
            t.started = t.started.map(|s| s - shift);
            t.finished = t.finished.map(|f| f - shift);
            t
        })
        .chain([task("q", "vm1", TaskState::Queued, None)])
        .collect();
    apply(&mut a, "u", &tasks, "2024-05-01T11:00:00Z");
    let hub = Hub::new();
    hub.set_targets(&["yc".to_string(), "kafka".to_string()]);
    let mut yc = snapshot("yc", ProviderKind::YandexBackup, a.clone(), true);
    yc.expect = Arc::new(Expectations {
        resources: Some(BTreeSet::from(["vm1".to_string(), "vm2".to_string()])),
        config: Expect {
            intervals: [("vm2".to_string(), Duration::from_secs(7 * 86_400))].into(),
            ..Expect::default()
        },
        ..Expectations::default()
    });
    // An enabled schedule covers vm1: its usual duration is served, for the missed-run rule.
    let due = cloud_task_exporter::schedule::Due {
        covered: true,
        next: None,
        last_due: None,
        policies: Vec::new(),
        start_window: None,
    };
    yc.schedules = Arc::new([("vm1".to_string(), due)].into());
    hub.publish(yc);
    let mut kafka = snapshot("kafka", ProviderKind::HuaweiDms, a, true);
    kafka.expect = Arc::new(Expectations {
        rhythm_type: None,
        ..Expectations::default()
    });
    hub.publish(kafka);
    let text = String::from_utf8(exposition(&hub, &BUCKETS).to_vec()).unwrap();
    crate::support::promtool_check(&text).unwrap();
    let l = |t: &'static str, r: &'static str| {
        vec![
            (
                "provider",
                if t == "yc" {
                    "yandex_backup"
                } else {
                    "huawei_dms"
                },
            ),
            ("target", t),
            ("env", "test"),
            ("resource", r),
            ("type", "backup"),
        ]
    };
    let get = |m: &str, t, r| sample(&text, m, &l(t, r));
    assert_eq!(
        get("cloud_task_expected_interval_seconds", "yc", "vm1"),
        Some(3600.0)
    );
    assert_eq!(
        get("cloud_task_expected_interval_seconds", "yc", "vm2"),
        Some(7.0 * 86_400.0),
        "configured, no history"
    );
    assert_eq!(
        get("cloud_task_expected_duration_seconds", "yc", "vm1"),
        Some(120.0)
    );
    assert_eq!(
        get("cloud_task_active_limit_seconds", "yc", "vm1"),
        Some(120.0 + 3600.0)
    );
    assert_eq!(
        get("cloud_task_expected_interval_seconds", "kafka", "vm1"),
        None
    );
    assert_eq!(
        get("cloud_task_active_limit_seconds", "kafka", "vm1"),
        Some(3720.0),
        "stuck tasks are judged for every provider"
    );
}
