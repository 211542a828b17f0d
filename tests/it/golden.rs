//! A fixed scenario rendered to `/metrics` text: compared with `tests/golden/accounting.prom`
//! and linted by promtool.

use cloud_task_exporter::accounting::Account;
use cloud_task_exporter::config::ProviderKind;
use cloud_task_exporter::hub::Hub;
use cloud_task_exporter::metrics::exposition;
use cloud_task_exporter::model::TaskState;

use crate::support::{BUCKETS, apply, assert_golden, promtool_check, snapshot, stable, task};

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
        Some(0.0)
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
    assert_eq!(
        sample(
            &text,
            "cloud_task_last_result",
            &with(&[
                ("resource", "vm-a"),
                ("type", "backup"),
                ("result", "timed_out")
            ])
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            "cloud_task_last_duration_seconds",
            &with(&[("resource", "vm-a"), ("type", "backup")])
        ),
        Some(4000.0)
    );
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
        Some(0.0)
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
