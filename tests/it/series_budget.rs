//! The series budget (`docs/metrics.md` "Series budget"): how many series one occurred
//! (resource, type) pair costs, idle and with a task running, and how large the whole
//! exposition is at 1,000 Yandex instances × 25 tasks with a backup running on each.

use std::collections::BTreeMap;
use std::sync::Arc;

use cloud_task_exporter::accounting::Account;
use cloud_task_exporter::hub::{Hub, PollStatus, TargetSnapshot, UnitHealth};
use cloud_task_exporter::metrics::{POLL_BUCKETS, exposition};
use cloud_task_exporter::model::{Mapped, Task, TaskState};
use cloud_task_exporter::provider::ProviderKind;
use jiff::{SignedDuration, Timestamp};

use crate::support::{BUCKETS, apply_at};

/// The most series an occurred pair may have while none of its tasks is active.
const IDLE_BUDGET: usize = 7;
/// The most while a task of it is active (per-task series aside).
const ACTIVE_BUDGET: usize = 9;
/// The most bytes of `/metrics` at 1,000 instances with a backup running on each.
const BYTES_AT_1000: usize = 1_300_000;

/// A Yandex backup task of `vm` that ended in `state` at `end` after `secs` seconds, or is
/// running since `end - secs` when `state` is active.
fn yc_task(id: &str, vm: &str, state: TaskState, end: Timestamp, secs: i64) -> Task {
    let raw = match state {
        TaskState::Running => "STARTED",
        _ => "COMPLETED",
    };
    let mut t = Task::new(id, vm, "backup", raw, Mapped::known(state));
    let start = end - SignedDuration::from_secs(secs);
    t.created = Some(start - SignedDuration::from_millis(1_500));
    t.started = Some(start);
    if !state.is_active() {
        t.finished = Some(end);
    } else {
        t.progress = Some(0.4);
    }
    t
}

/// A snapshot of target `scale` (no static labels, as in the scale bench) with every unit up.
fn snapshot(account: Account, units: &[String]) -> TargetSnapshot {
    let mut durations = cloud_task_exporter::accounting::HistogramData::new(&POLL_BUCKETS);
    durations.observe(&POLL_BUCKETS, 0.2);
    let health = UnitHealth {
        up: true,
        last_success: Some(1_714_560_000.0),
        ..UnitHealth::default()
    };
    TargetSnapshot {
        name: "scale".to_string(),
        provider: ProviderKind::YandexBackup,
        labels: BTreeMap::new(),
        tracked: account.seen.len(),
        status: PollStatus {
            polled: true,
            up: true,
            last_attempt: Some(1_714_560_000.0),
            last_success: Some(1_714_560_000.0),
            last_error: None,
            errors: BTreeMap::new(),
            durations,
            resources: units.len(),
            units: units.iter().map(|u| (u.clone(), health.clone())).collect(),
        },
        tallies: account.tallies,
        requests: BTreeMap::from([("200".to_string(), 1_000)]),
        expect: Arc::new(cloud_task_exporter::rhythm::Expectations {
            resources: Some(units.iter().cloned().collect()),
            ..Default::default()
        }),
        schedules: Default::default(),
        schedule_skips: None,
    }
}

fn render(snap: TargetSnapshot) -> String {
    let hub = Hub::new();
    hub.set_targets(std::slice::from_ref(&snap.name));
    hub.publish(snap);
    String::from_utf8(exposition(&hub, &BUCKETS).to_vec()).unwrap()
}

/// The world of the scale bench's scenario A with a backup running on every instance:
/// `instances` Yandex instances, 25 backups each over the last 6 days (3 in 50 failed, 1 in
/// 50 with a warning, the rest OK), the newest running, polled twice (the baseline, then a
/// poll that counts nothing new).
fn scale_world(instances: usize) -> String {
    let now: Timestamp = "2026-12-07T12:00:00Z".parse().unwrap();
    let tasks = 25usize;
    let span = 6 * 86_400 / tasks as i64;
    let units: Vec<String> = (0..instances).map(|i| format!("fhm{i:017}")).collect();
    let mut a = Account::new(&["backup"], &units);
    let listings: Vec<Vec<Task>> = units
        .iter()
        .enumerate()
        .map(|(i, vm)| {
            (0..tasks)
                .map(|j| {
                    let end =
                        now - SignedDuration::from_secs(span * j as i64 + 60 + (i % 600) as i64);
                    let secs = 300 + (i * 7 + j * 13) as i64 % 900;
                    let id = (1_000_000_000_000_000_000u64 + (i * 1_000 + j) as u64).to_string();
                    let state = match (j, (i + j) % 50) {
                        (0, _) => TaskState::Running,
                        (_, 0 | 20 | 40) => TaskState::Failed,
                        (_, 7) => TaskState::Warning,
                        _ => TaskState::Succeeded,
                    };
                    let end = if j == 0 { now } else { end };
                    yc_task(&id, vm, state, end, secs)
                })
                .collect()
        })
        .collect();
    for round in 0..2 {
        for (vm, list) in units.iter().zip(&listings) {
            apply_at(
                &mut a,
                vm,
                list,
                now + SignedDuration::from_secs(10 * round),
            );
        }
    }
    render(snapshot(a, &units))
}

/// The series of `text` of one (resource, type) pair, without the per-task series (those
/// with a `task_id`) and the schedule series (`cloud_task_schedule_*`).
fn pair_series<'a>(text: &'a str, resource: &str, ty: &str) -> Vec<&'a str> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| {
            l.contains(&format!("resource=\"{resource}\""))
                && l.contains(&format!("type=\"{ty}\""))
                && !l.contains("task_id=")
                && !l.starts_with("cloud_task_schedule_")
        })
        .collect()
}

/// One pair that has everything a pair can have: backups that succeeded, failed and timed
/// out, all counted (after the baseline); a learned daily rhythm whose gaps stray by 4 hours
/// (more than the default grace); a usual duration; with `running`, a backup running now.
/// `covered`: an enabled schedule covers it.
fn busy_pair(running: bool, covered: bool) -> String {
    let day = |d: i64, h: i64| -> Timestamp {
        let t0: Timestamp = "2026-12-01T00:00:00Z".parse().unwrap();
        t0 + SignedDuration::from_secs(d * 86_400 + h * 3_600)
    };
    let vm = "vm-1";
    let mut history = vec![
        yc_task("s1", vm, TaskState::Succeeded, day(0, 0), 600),
        yc_task("s2", vm, TaskState::Succeeded, day(1, 0), 650),
        yc_task("s3", vm, TaskState::Succeeded, day(2, 4), 700),
        yc_task("s4", vm, TaskState::Succeeded, day(3, 0), 640),
    ];
    let mut a = Account::new(&["backup"], &[vm.to_string()]);
    apply_at(&mut a, vm, &history, day(3, 1));
    history.extend([
        yc_task("f1", vm, TaskState::Failed, day(3, 20), 300),
        yc_task("t1", vm, TaskState::TimedOut, day(3, 22), 3_600),
        yc_task("s5", vm, TaskState::Succeeded, day(4, 0), 620),
    ]);
    if running {
        history.push(yc_task("r1", vm, TaskState::Running, day(4, 2), 600));
    }
    apply_at(&mut a, vm, &history, day(4, 2));
    let mut snap = snapshot(a, &[vm.to_string()]);
    if covered {
        let due = cloud_task_exporter::schedule::Due {
            covered: true,
            next: Some(day(5, 0)),
            last_due: Some(day(4, 0)),
            policies: vec![("p1".to_string(), "nightly".to_string())],
            start_window: None,
        };
        snap.schedules = Arc::new(BTreeMap::from([(vm.to_string(), due)]));
    }
    render(snap)
}

/// The series budget of one occurred pair: at most [`IDLE_BUDGET`] series while none of its
/// tasks is active, at most [`ACTIVE_BUDGET`] while one is, whether or not a schedule covers
/// it (per-task and schedule series aside).
#[test]
fn an_occurred_pair_stays_within_its_series_budget() {
    for covered in [false, true] {
        for (running, budget) in [(false, IDLE_BUDGET), (true, ACTIVE_BUDGET)] {
            let text = busy_pair(running, covered);
            let series = pair_series(&text, "vm-1", "backup");
            let all = series.join("\n");
            if std::env::var_os("SERIES_BUDGET_REPORT").is_some() {
                println!(
                    "running={running} covered={covered}: {} series\n{all}",
                    series.len()
                );
            }
            assert!(
                series.len() <= budget,
                "{} series (budget {budget}) running={running} covered={covered}:\n{all}",
                series.len()
            );
            // What the shipped rules read is there.
            for needed in [
                "cloud_task_completions_total",
                "cloud_task_last_success_timestamp_seconds",
                "cloud_task_last_failure_timestamp_seconds",
                "cloud_task_expected_interval_seconds",
            ] {
                assert!(all.contains(needed), "{needed} missing:\n{all}");
            }
            let grace = all.contains("cloud_task_expected_grace_seconds");
            let usual = all.contains("cloud_task_expected_duration_seconds");
            assert_eq!(
                grace, !covered,
                "the grace where the rhythm decides:\n{all}"
            );
            assert_eq!(
                usual, covered,
                "the usual duration where a schedule does:\n{all}"
            );
            let active = all.contains("cloud_task_active_limit_seconds")
                && all.contains("cloud_task_active_tasks");
            assert_eq!(active, running, "{all}");
        }
    }
}

/// Series of `text` by metric family (histogram suffixes folded), with their bytes.
fn by_family(text: &str) -> BTreeMap<String, (usize, usize)> {
    let mut out: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for l in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let name = l.split(['{', ' ']).next().unwrap_or("");
        let e = out.entry(name.to_string()).or_default();
        e.0 += 1;
        e.1 += l.len() + 1;
    }
    out
}

/// At 1,000 instances with a backup running on each, `/metrics` stays within
/// [`BYTES_AT_1000`]. `SERIES_BUDGET_REPORT=1` prints the figures by family.
#[test]
fn exposition_at_1000_running_instances_fits_the_byte_budget() {
    let text = scale_world(1_000);
    let series = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .count();
    if std::env::var_os("SERIES_BUDGET_REPORT").is_some() {
        for (name, (n, bytes)) in by_family(&text) {
            println!("{name}: {n} series, {bytes} bytes");
        }
        println!("total: {series} series, {} bytes", text.len());
    }
    assert!(
        text.len() <= BYTES_AT_1000,
        "{} bytes, {series} series at 1,000 running instances (budget {BYTES_AT_1000})",
        text.len()
    );
}
