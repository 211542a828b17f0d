//! A fixed scenario rendered to `/metrics` text: compared with `tests/golden/accounting.prom`
//! and linted by promtool.

use cloud_task_exporter::accounting::Account;
use cloud_task_exporter::hub::Hub;
use cloud_task_exporter::metrics::exposition;
use cloud_task_exporter::model::TaskState;
use cloud_task_exporter::provider::ProviderKind;

use crate::support::{
    BUCKETS, apply, assert_golden, promtool_check, sample, snapshot, stable, task,
};

fn scenario() -> std::sync::Arc<Hub> {
    let hub = Hub::new();
    let mut a = Account::new(
        &["backup", "retention"],
        &["vm-a".to_string(), "vm-b".to_string()],
    );
    // First poll: an old failure (baseline, not counted) and a running task with progress.
    let mut running = task("2", "vm-a", TaskState::Running, None);
    running.progress = Some(0.4);
    apply(
        &mut a,
        "vm-a",
        &[
            task("1", "vm-a", TaskState::Failed, Some(50)),
            running.clone(),
        ],
        "2024-05-01T11:00:00Z",
    );
    // Second poll: the running task succeeded after 95 s; a new task timed out; one is queued.
    apply(
        &mut a,
        "vm-a",
        &[
            task("1", "vm-a", TaskState::Failed, Some(50)),
            task("2", "vm-a", TaskState::Succeeded, Some(95)),
            task("3", "vm-a", TaskState::TimedOut, Some(4000)),
            task("4", "vm-a", TaskState::Queued, None),
        ],
        "2024-05-01T12:00:00Z",
    );
    hub.set_targets(&["yc".to_string(), "down".to_string()]);
    hub.publish(snapshot("yc", ProviderKind::YandexBackup, a, true));
    hub.publish(snapshot(
        "down",
        ProviderKind::HuaweiCce,
        Account::new(&["backup"], &["c1".to_string()]),
        false,
    ));
    hub.set_reload(true, 1_714_560_000.0);
    hub
}

#[test]
#[cfg_attr(
    missing_promtool,
    ignore = "needs promtool (apt-get install prometheus); CI installs it and runs this"
)]
fn golden_metrics_for_fixed_scenario() {
    let hub = scenario();
    let text = String::from_utf8(exposition(&hub, &BUCKETS).to_vec()).unwrap();
    promtool_check(&text).unwrap();
    assert_golden("accounting", &stable(&text));
}

#[test]
fn counts_and_last_values_are_right() {
    use crate::support::sample;
    let hub = scenario();
    let text = String::from_utf8(exposition(&hub, &BUCKETS).to_vec()).unwrap();
    let base = [
        ("provider", "yandex_backup"),
        ("target", "yc"),
        ("env", "test"),
    ];
    let with = |extra: &[(&'static str, &'static str)]| {
        base.iter().chain(extra.iter()).copied().collect::<Vec<_>>()
    };
    assert_eq!(
        sample(
            &text,
            "cloud_task_completions_total",
            &with(&[
                ("resource", "vm-a"),
                ("type", "backup"),
                ("result", "failed")
            ])
        ),
        Some(0.0)
    );
    assert_eq!(
        sample(
            &text,
            "cloud_task_completions_total",
            &with(&[
                ("resource", "vm-a"),
                ("type", "backup"),
                ("result", "succeeded")
            ])
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            "cloud_task_completions_total",
            &with(&[
                ("resource", "vm-b"),
                ("type", "retention"),
                ("result", "skipped")
            ])
        ),
        None,
        "a pair that never occurred has no series (docs/metrics.md, Series budget)"
    );
    assert_eq!(
        sample(
            &text,
            "cloud_task_duration_seconds_count",
            &with(&[("type", "backup"), ("result", "succeeded")])
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            "cloud_task_duration_seconds_bucket",
            &with(&[("type", "backup"), ("result", "succeeded"), ("le", "60")])
        ),
        Some(0.0)
    );
    assert_eq!(
        sample(
            &text,
            "cloud_task_duration_seconds_bucket",
            &with(&[("type", "backup"), ("result", "succeeded"), ("le", "120")])
        ),
        Some(1.0)
    );
    // The latest run (timed out at 11:06:40) is newer than the latest success (10:01:35).
    assert_eq!(
        sample(
            &text,
            "cloud_task_last_failure_timestamp_seconds",
            &with(&[("resource", "vm-a"), ("type", "backup")])
        ),
        Some(1_714_557_600.0 + 4000.0)
    );
    assert_eq!(
        sample(
            &text,
            "cloud_task_last_success_timestamp_seconds",
            &with(&[("resource", "vm-a"), ("type", "backup")])
        ),
        Some(1_714_557_600.0 + 95.0)
    );
    for gone in ["cloud_task_last_result", "cloud_task_last_duration_seconds"] {
        assert!(!text.contains(gone), "{gone} is no longer served");
    }
    assert_eq!(
        sample(
            &text,
            "cloud_task_active_tasks",
            &with(&[
                ("resource", "vm-a"),
                ("type", "backup"),
                ("state", "queued")
            ])
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            "cloud_task_active_tasks",
            &with(&[
                ("resource", "vm-a"),
                ("type", "backup"),
                ("state", "running")
            ])
        ),
        None,
        "active-task series exist while tasks are active (docs/metrics.md, Series budget)"
    );
    assert!(
        !text.contains("task_id=\"2\""),
        "ended task's active series must vanish"
    );
    assert_eq!(
        sample(
            &text,
            "cloud_task_target_up",
            &[
                ("provider", "huawei_cce"),
                ("target", "down"),
                ("env", "test")
            ]
        ),
        Some(0.0)
    );
    assert_eq!(
        sample(
            &text,
            "cloud_task_target_poll_errors_total",
            &[
                ("provider", "huawei_cce"),
                ("target", "down"),
                ("env", "test"),
                ("reason", "server")
            ]
        ),
        Some(1.0)
    );
}

/// The series budget (`docs/metrics.md` "Series budget"): nothing for pairs that never occurred, at most 7 series per
/// occurred (resource, type) pair while none of its tasks is active, a zero only for the
/// `failed` counter, and that zero for a pair the target's `types:` names before its first
/// task (`series_budget.rs` counts a pair with everything).
#[test]
fn series_budget_per_pair() {
    let hub = scenario();
    let text = String::from_utf8(exposition(&hub, &BUCKETS).to_vec()).unwrap();
    let per_pair = |resource: &str, ty: &str| {
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .filter(|l| {
                l.contains(&format!("resource=\"{resource}\""))
                    && l.contains(&format!("type=\"{ty}\""))
                    // Series of active tasks come and go with the tasks.
                    && !l.starts_with("cloud_task_active_")
            })
            .count()
    };
    assert_eq!(per_pair("vm-b", "backup"), 0, "never occurred");
    assert_eq!(per_pair("vm-a", "retention"), 0, "never occurred");
    let n = per_pair("vm-a", "backup");
    assert!(
        (1..=7).contains(&n),
        "{n} series for an occurred pair:\n{text}"
    );
    for result in ["warning", "cancelled", "skipped", "unknown"] {
        assert!(
            !text.contains(&format!("result=\"{result}\"")),
            "{result} has no zero series"
        );
    }
    // `types: [backup]` names the pair before its first task.
    let mut a = Account::new(&["backup"], &["vm-b".to_string()]);
    apply(&mut a, "vm-b", &[], "2024-05-01T11:00:00Z");
    let mut snap = snapshot("declared", ProviderKind::YandexBackup, a, true);
    snap.expect = std::sync::Arc::new(cloud_task_exporter::rhythm::Expectations {
        config: cloud_task_exporter::config::Expect {
            types: vec!["backup".to_string()],
            ..Default::default()
        },
        ..Default::default()
    });
    let hub = Hub::new();
    hub.set_targets(&["declared".to_string()]);
    hub.publish(snap);
    let text = String::from_utf8(exposition(&hub, &BUCKETS).to_vec()).unwrap();
    for (result, zero) in [
        ("failed", Some(0.0)),
        ("succeeded", None),
        ("timed_out", None),
    ] {
        assert_eq!(
            sample(
                &text,
                "cloud_task_completions_total",
                &[
                    ("provider", "yandex_backup"),
                    ("target", "declared"),
                    ("env", "test"),
                    ("resource", "vm-b"),
                    ("type", "backup"),
                    ("result", result),
                ]
            ),
            zero,
            "{result}: {text}"
        );
    }
}
