//! Golden state files, one per format version (`docs/design.md` "The state file"), each
//! loaded by this build: counters, float sums and times to the last bit, the seen-set, the
//! history, and the exposition served from them after a restart. And a property: what was
//! served before a save is served again after the load, and no counter goes down.
//!
//! - `tests/golden/state/v1.json` was written by the build at commit 9e1bae3 (the last one to
//!   write format 1): its own accounting fed fixed polls of three targets (Yandex Cloud
//!   Backup, Huawei CBR, Huawei DMS), then its `state::save`. Its backup/succeeded sum of the
//!   `yc` target, `3677.2619999999997`, is a decimal that a JSON parser without
//!   `float_roundtrip` reads one ulp too low. Never regenerate it: it is what an old build
//!   left on disk.
//! - `tests/golden/state/v2.json` is the same state written by this build (v1 loaded and
//!   saved); `UPDATE_GOLDEN=1` rewrites it while this build writes format 2.
//! - `tests/golden/state-v<N>.prom` are the expositions rendered from them, compared like
//!   `tests/golden/accounting.prom` (`UPDATE_GOLDEN=1` rewrites them) and linted by promtool.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use cloud_task_exporter::accounting::{Account, PollResult, Rules, lock};
use cloud_task_exporter::config::Target;
use cloud_task_exporter::history::History;
use cloud_task_exporter::hub::Hub;
use cloud_task_exporter::metrics::exposition;
use cloud_task_exporter::model::{Listing, Task, TaskState};
use cloud_task_exporter::provider::ProviderKind;
use cloud_task_exporter::state::{self, StateFile, TargetState};

use crate::support::{self, BUCKETS, sample, settings, stable};

/// The `yc` backup/succeeded sum the old build wrote, and what a parser without
/// `float_roundtrip` makes of its text.
const YC_BACKUP_SUM: f64 = 3677.2619999999997;
const YC_BACKUP_SUM_ONE_ULP_OFF: f64 = 3677.262;
/// The rhythm learned from vm-a's five backups: the median of the four gaps between their
/// ends, the middle two averaged as `history.rs` does.
const YC_LEARNED: f64 =
    ((1_714_587_003.012 - 1_714_565_401.75) + (1_714_565_401.75 - 1_714_543_798.5)) / 2.0;

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/state")
        .join(name)
}

/// Loads a golden file the way the exporter does at start, from a copy (a file that does not
/// load is moved aside, and the golden file must stay where it is).
fn load_copy(name: &str) -> StateFile {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("state.json");
    std::fs::copy(golden(name), &p).unwrap();
    let s = state::load(&p);
    assert!(p.exists(), "{name} did not load: moved aside");
    s
}

/// The three targets of the golden files as a configuration names them.
fn targets() -> Vec<Target> {
    let aksk = support::aksk("AK", "SK");
    vec![
        support::target(
            "yc",
            "",
            &support::yandex(
                "iam_token: t1.golden",
                "",
                &support::ids("compute_instance_ids", &["vm-a", "vm-b"]),
            ),
            settings(100),
        ),
        support::target(
            "cbr",
            "",
            &support::huawei("huawei_cbr", "proj-0", &aksk, ""),
            settings(100),
        ),
        support::target(
            "kafka",
            "",
            &support::huawei(
                "huawei_dms",
                "proj-0",
                &aksk,
                "engine: kafka\ninstance_ids: [kafka-01]",
            ),
            settings(100),
        ),
    ]
}

/// What `/metrics` serves from this state file after a restart: each configured target's
/// runner restores its saved state (as `App::start` does) and its snapshot is rendered, as
/// the first poll publishes it, less what that poll adds (its listings, its outcome).
fn render_restored(saved: &StateFile, targets: &[Target]) -> String {
    let hub = Hub::new();
    let names: Vec<String> = targets.iter().map(|t| t.name.clone()).collect();
    hub.set_targets(&names);
    for t in targets {
        let mut runner = support::runner(t, &BUCKETS);
        if let Some(s) = saved.targets.get(&t.name) {
            runner.restore(s);
        }
        hub.publish(runner.snapshot());
    }
    String::from_utf8(exposition(&hub, &BUCKETS).to_vec()).unwrap()
}

fn target<'a>(s: &'a StateFile, name: &str) -> &'a TargetState {
    s.targets
        .get(name)
        .unwrap_or_else(|| panic!("no target {name}"))
}

fn completions(t: &TargetState, resource: &str, ty: &str, result: &str) -> Option<u64> {
    t.completions
        .iter()
        .find(|c| c.resource == resource && c.task_type == ty && c.result == result)
        .map(|c| c.count)
}

/// Everything the golden files hold, as this build reads it.
fn check_loaded(s: &StateFile) {
    assert_eq!(s.version, state::VERSION, "migrated to this build's format");
    assert_eq!(
        s.targets.keys().collect::<Vec<_>>(),
        ["cbr", "kafka", "yc"],
        "targets"
    );

    // --- yc: Yandex Cloud Backup, two instances.
    let yc = target(s, "yc");
    assert_eq!(yc.provider, "yandex_backup");
    assert_eq!(yc.baselined, ["vm-a", "vm-b"]);
    for (res, ty, result, n) in [
        ("vm-a", "backup", "succeeded", 3),
        ("vm-a", "retention", "warning", 1),
        ("vm-b", "backup", "succeeded", 1),
        ("vm-b", "backup", "failed", 1),
        ("vm-b", "backup", "timed_out", 1),
        ("vm-b", "retention", "cancelled", 1),
    ] {
        assert_eq!(
            completions(yc, res, ty, result),
            Some(n),
            "{res}/{ty}/{result}"
        );
    }
    assert_eq!(
        completions(yc, "vm-b", "backup", "succeeded").unwrap()
            + completions(yc, "vm-a", "backup", "succeeded").unwrap(),
        4
    );
    assert_eq!(
        yc.completions.len(),
        6,
        "the baselined failure is not counted"
    );
    let d = yc
        .durations
        .iter()
        .find(|d| d.task_type == "backup" && d.result == "succeeded")
        .unwrap();
    assert_eq!(
        d.sum.to_bits(),
        YC_BACKUP_SUM.to_bits(),
        "sum {} read back as {} (one ulp off: {})",
        YC_BACKUP_SUM,
        d.sum,
        d.sum == YC_BACKUP_SUM_ONE_ULP_OFF
    );
    assert_eq!(d.count, 4);
    assert_eq!(
        d.counts,
        [0, 0, 0, 0, 1, 2, 1, 0, 0, 0, 0, 0],
        "597.75 | 601.625, 602.512 | 1875.375"
    );
    let failed = yc
        .durations
        .iter()
        .find(|d| d.task_type == "backup" && d.result == "failed")
        .unwrap();
    assert_eq!(failed.sum.to_bits(), 191.375f64.to_bits());
    assert_eq!(yc.buckets, BUCKETS);
    let last = |res: &str, ty: &str| {
        yc.last
            .iter()
            .find(|l| l.resource == res && l.task_type == ty)
            .unwrap()
    };
    let a = last("vm-a", "backup");
    assert_eq!((a.result.as_str(), a.task_id.as_str()), ("succeeded", "a4"));
    assert_eq!(a.at.to_bits(), 1_714_587_003.012f64.to_bits());
    assert_eq!(a.duration.map(f64::to_bits), Some(602.512f64.to_bits()));
    assert_eq!(
        a.last_success.map(f64::to_bits),
        Some(1_714_587_003.012f64.to_bits())
    );
    let b = last("vm-b", "backup");
    assert_eq!((b.result.as_str(), b.task_id.as_str()), ("succeeded", "b3"));
    assert_eq!(
        b.last_success.map(f64::to_bits),
        Some(1_714_588_277.625f64.to_bits())
    );
    assert_eq!(
        b.duration.map(f64::to_bits),
        Some(1875.375f64.to_bits()),
        "18:00:02.25 to 18:31:17.625"
    );
    let c = last("vm-b", "retention");
    assert_eq!(c.result, "cancelled");
    assert_eq!(c.at.to_bits(), 1_714_590_000.04f64.to_bits());
    assert_eq!((c.last_success, c.duration), (None, Some(0.04)));
    // The seen-set: every task within lookback, the running one not terminal.
    let seen: BTreeMap<&str, (bool, f64)> = yc
        .seen
        .iter()
        .map(|e| (e.id.as_str(), (e.terminal, e.last_ts)))
        .collect();
    assert_eq!(seen.len(), 13, "{seen:?}");
    assert!(!seen["a5"].0, "running");
    assert_eq!(seen["a5"].1.to_bits(), 1_714_608_000.2f64.to_bits());
    assert_eq!(seen["b0"], (true, 1_714_518_090.5), "the baselined failure");
    assert_eq!(
        yc.seen.iter().find(|e| e.id == "b5").unwrap().unknown,
        Some("PAUSED_BY_USER".to_string())
    );
    assert_eq!(
        yc.unknown_status,
        BTreeMap::from([("PAUSED_BY_USER".into(), 1)])
    );
    assert_eq!(
        yc.resource_info["vm-b"],
        ("db-server".to_string(), "compute_instance".to_string())
    );
    assert_eq!(
        yc.requests,
        BTreeMap::from([("200".into(), 57), ("429".into(), 3)])
    );
    assert_eq!(yc.poll_errors, BTreeMap::from([("throttled".into(), 1)]));
    assert_eq!(yc.retired_at, None);
    // The history of vm-a/backup: five successes six hours apart (two from the baseline), a
    // rhythm learned from them.
    let h = yc
        .history
        .iter()
        .find(|e| e.resource == "vm-a" && e.task_type == "backup")
        .unwrap();
    let ends: Vec<u64> = h
        .history
        .successes
        .iter()
        .map(|s| s.end.to_bits())
        .collect();
    let want: Vec<u64> = [
        1_714_500_581.25f64,
        1_714_522_205.125,
        1_714_543_798.5,
        1_714_565_401.75,
        1_714_587_003.012,
    ]
    .iter()
    .map(|f| f.to_bits())
    .collect();
    assert_eq!(ends, want);
    let secs: Vec<Option<f32>> = h.history.successes.iter().map(|s| s.secs).collect();
    assert_eq!(
        secs,
        [
            Some(580.75),
            Some(604.875),
            Some(597.75),
            Some(601.625),
            Some(602.512)
        ]
    );
    let days: Vec<(i32, u16, u16, u16)> = h
        .history
        .days
        .iter()
        .map(|d| (d.day, d.ok, d.bad, d.other))
        .collect();
    assert_eq!(days, [(19_843, 1, 0, 0), (19_844, 4, 0, 0)]);
    assert_eq!(h.history.failure, None);
    assert_eq!(h.history.latest.to_bits(), 1_714_587_003.012f64.to_bits());
    let hist = History::from_entries(&yc.history);
    let learned = hist.get("vm-a", "backup").unwrap().learned_interval();
    assert_eq!(
        learned.map(f64::to_bits),
        Some(YC_LEARNED.to_bits()),
        "{learned:?}: the median of four gaps of about 6 h"
    );
    let vmb = hist.get("vm-b", "backup").unwrap();
    let f = vmb.failure.as_ref().unwrap();
    assert_eq!(
        (f.result.as_str(), f.task_id.as_str(), f.message.as_deref()),
        ("timed_out", "b2", None)
    );
    assert_eq!(f.at.to_bits(), 1_714_575_600.5f64.to_bits());

    // --- cbr: Huawei CBR, one project, two servers; a daily backup rhythm.
    let cbr = target(s, "cbr");
    assert_eq!(cbr.provider, "huawei_cbr");
    assert_eq!(cbr.baselined, ["proj-0"]);
    assert_eq!(completions(cbr, "srv-1", "backup", "succeeded"), Some(1));
    assert_eq!(completions(cbr, "srv-2", "restore", "failed"), Some(1));
    assert_eq!(cbr.poll_errors, BTreeMap::from([("server".into(), 2)]));
    let r = cbr
        .durations
        .iter()
        .find(|d| d.task_type == "replication")
        .unwrap();
    assert_eq!((r.sum.to_bits(), r.count), (3933.3f64.to_bits(), 1));
    let h = History::from_entries(&cbr.history);
    let srv1 = h.get("srv-1", "backup").unwrap();
    assert_eq!(srv1.successes.len(), 4);
    assert!(
        srv1.learned_interval()
            .is_some_and(|i| (86_000.0..86_600.0).contains(&i)),
        "{:?}",
        srv1.learned_interval()
    );
    assert_eq!(srv1.usual_duration(), Some(816.375));
    let restore = h.get("srv-2", "restore").unwrap().failure.as_ref().unwrap();
    assert_eq!(
        restore.message.as_deref(),
        Some("BackupService.9999: restore point not found")
    );
    assert_eq!(restore.at.to_bits(), 1_714_563_729.125f64.to_bits());

    // --- kafka: Huawei DMS, one instance.
    let kafka = target(s, "kafka");
    assert_eq!(kafka.provider, "huawei_dms");
    assert_eq!(completions(kafka, "kafka-01", "restart", "failed"), Some(1));
    let restart = kafka
        .last
        .iter()
        .find(|l| l.task_type == "restart")
        .unwrap();
    assert_eq!(restart.at.to_bits(), 1_714_557_700.01f64.to_bits());
    assert_eq!(
        restart.duration.map(f64::to_bits),
        Some(100.01f64.to_bits())
    );

    // Every target restores (no `RestoreError`).
    for (name, t) in &s.targets {
        t.to_account(&[], &BUCKETS)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

/// The exposition rendered from the golden state: the series a restart must serve.
fn check_rendered(text: &str) {
    support::promtool_check(text).unwrap();
    let yc = |extra: &[(&'static str, &'static str)]| {
        let mut l = vec![("provider", "yandex_backup"), ("target", "yc")];
        l.extend_from_slice(extra);
        l
    };
    let get = |name: &str, labels: &[(&str, &str)]| sample(text, name, labels);
    assert_eq!(
        get(
            "cloud_task_completions_total",
            &yc(&[
                ("resource", "vm-a"),
                ("type", "backup"),
                ("result", "succeeded")
            ])
        ),
        Some(3.0)
    );
    assert_eq!(
        get(
            "cloud_task_completions_total",
            &yc(&[
                ("resource", "vm-b"),
                ("type", "backup"),
                ("result", "timed_out")
            ])
        ),
        Some(1.0)
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("cloud_task_duration_seconds_sum{")
                && l.contains("target=\"yc\"")
                && l.contains("type=\"backup\"")
                && l.contains("result=\"succeeded\"")
                && l.ends_with(" 3677.2619999999997")),
        "the sum to the last digit"
    );
    assert_eq!(
        get(
            "cloud_task_duration_seconds_sum",
            &yc(&[("type", "backup"), ("result", "succeeded")])
        )
        .map(f64::to_bits),
        Some(YC_BACKUP_SUM.to_bits())
    );
    assert_eq!(
        get(
            "cloud_task_last_success_timestamp_seconds",
            &yc(&[("resource", "vm-a"), ("type", "backup")])
        ),
        Some(1_714_587_003.012)
    );
    assert_eq!(
        get(
            "cloud_task_last_failure_timestamp_seconds",
            &yc(&[("resource", "vm-b"), ("type", "backup")])
        ),
        Some(1_714_575_600.5)
    );
    assert_eq!(
        get(
            "cloud_task_expected_interval_seconds",
            &yc(&[("resource", "vm-a"), ("type", "backup")])
        ),
        Some(YC_LEARNED),
        "the rhythm learned from the history"
    );
    assert_eq!(
        get(
            "cloud_task_unknown_status_total",
            &yc(&[("status", "PAUSED_BY_USER")])
        ),
        Some(1.0)
    );
    assert_eq!(
        get("cloud_task_api_requests_total", &yc(&[("code", "429")])),
        Some(3.0)
    );
    assert_eq!(
        get(
            "cloud_task_target_poll_errors_total",
            &[
                ("provider", "huawei_cbr"),
                ("target", "cbr"),
                ("reason", "server")
            ]
        ),
        Some(2.0)
    );
    assert_eq!(
        get(
            "cloud_task_completions_total",
            &[
                ("provider", "huawei_dms"),
                ("target", "kafka"),
                ("resource", "kafka-01"),
                ("type", "restart"),
                ("result", "failed")
            ]
        ),
        Some(1.0)
    );
}

#[test]
#[cfg_attr(
    missing_promtool,
    ignore = "needs promtool (apt-get install prometheus); CI installs it and runs this"
)]
fn format_1_written_by_the_old_build_loads_with_every_value() {
    let raw = std::fs::read_to_string(golden("v1.json")).unwrap();
    assert!(raw.starts_with("{\"version\":1,"), "a format-1 file");
    assert!(
        raw.contains("\"sum\":3677.2619999999997,"),
        "the sum as the old build wrote it"
    );
    let s = load_copy("v1.json");
    check_loaded(&s);
    let text = render_restored(&s, &targets());
    check_rendered(&text);
    support::assert_golden("state-v1", &stable(&text));
}

#[test]
#[cfg_attr(
    missing_promtool,
    ignore = "needs promtool (apt-get install prometheus); CI installs it and runs this"
)]
fn format_2_loads_with_every_value_and_is_what_this_build_writes() {
    // v2.json is v1.json loaded and saved by a build that writes format 2.
    if state::VERSION == 2 {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state.json");
        state::save(&p, &load_copy("v1.json")).unwrap();
        let written = std::fs::read(&p).unwrap();
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(golden("v2.json"), &written).unwrap();
        }
        assert!(
            written == std::fs::read(golden("v2.json")).unwrap(),
            "this build writes the golden state differently from tests/golden/state/v2.json (UPDATE_GOLDEN=1 rewrites it)"
        );
    }
    let raw = std::fs::read_to_string(golden("v2.json")).unwrap();
    assert!(raw.starts_with("{\"version\":2,"), "a format-2 file");
    let s = load_copy("v2.json");
    check_loaded(&s);
    assert_eq!(
        s,
        load_copy("v1.json"),
        "formats 1 and 2 hold the same state"
    );
    let text = render_restored(&s, &targets());
    check_rendered(&text);
    support::assert_golden("state-v2", &stable(&text));
}

#[test]
fn every_format_renders_the_same_exposition() {
    let targets = targets();
    let v1 = series(&render_restored(&load_copy("v1.json"), &targets));
    let v2 = series(&render_restored(&load_copy("v2.json"), &targets));
    let differ: Vec<String> = v1
        .keys()
        .chain(v2.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .filter(|k| v1.get(*k) != v2.get(*k))
        .map(|k| format!("{k}: v1 {:?}, v2 {:?}", v1.get(k), v2.get(k)))
        .collect();
    assert!(differ.is_empty(), "{}", differ.join("\n"));
    assert!(
        v1.keys()
            .any(|k| k.starts_with("cloud_task_last_success_timestamp_seconds")),
        "times compared too"
    );
}

// === The property: save, load, render ===

const RESOURCES: [&str; 3] = ["vm-0", "vm-1", "vm-2"];
const TYPES: [&str; 2] = ["backup", "retention"];
const RESULTS: [TaskState; 6] = [
    TaskState::Succeeded,
    TaskState::Warning,
    TaskState::Failed,
    TaskState::TimedOut,
    TaskState::Cancelled,
    TaskState::Skipped,
];
/// 2024-05-01T00:00:00Z.
const BASE_NS: i64 = 1_714_521_600 * 1_000_000_000;
const DAY_NS: i64 = 86_400 * 1_000_000_000;

fn prop_target() -> Target {
    support::target(
        "yc",
        "",
        &support::yandex(
            "iam_token: t1.prop",
            "",
            &support::ids("compute_instance_ids", &RESOURCES),
        ),
        settings(100),
    )
}

/// One finished task: resource, type, result, start (ns after `BASE_NS`), duration (ns).
type Finished = (usize, usize, usize, i64, i64);

/// Polls every resource twice: a baseline with nothing, then `tasks` (every one counted).
fn account_of(tasks: &[Finished]) -> Account {
    let rules = Rules {
        lookback: Duration::from_secs(7 * 86_400),
        buckets: &BUCKETS,
        max_task_types: 32,
    };
    let mut a = Account::new(&TYPES, &RESOURCES.map(String::from));
    let at = |ns: i64| jiff::Timestamp::from_nanosecond(i128::from(ns)).unwrap();
    let poll = |listing: &dyn Fn(&str) -> Vec<Task>| PollResult {
        listed: RESOURCES
            .iter()
            .map(|r| (r.to_string(), Listing::of(listing(r))))
            .collect(),
        failed: vec![],
    };
    a.apply(&poll(&|_| Vec::new()), at(BASE_NS), &rules);
    let listing = |r: &str| -> Vec<Task> {
        tasks
            .iter()
            .enumerate()
            .filter(|(_, t)| RESOURCES[t.0] == r)
            .map(|(i, &(_, ty, res, start, dur))| {
                let mut t = support::task(&format!("t{i}"), r, RESULTS[res], None);
                t.task_type = TYPES[ty].to_string();
                t.created = Some(at(BASE_NS + start));
                t.started = Some(at(BASE_NS + start));
                t.finished = Some(at(BASE_NS + start + dur));
                t
            })
            .collect()
    };
    a.apply(&poll(&listing), at(BASE_NS + 2 * DAY_NS), &rules);
    a
}

/// Sample lines by series, without process metrics and the exporter's own times.
fn series(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("process_"))
        .filter(|l| !(l.starts_with("cloud_task_exporter_") && l.contains("_timestamp_seconds")))
        .map(|l| {
            let (s, v) = l.rsplit_once(' ').unwrap();
            (s.to_string(), v.to_string())
        })
        .collect()
}

fn is_monotonic(series: &str) -> bool {
    let name = series.split('{').next().unwrap_or(series);
    name.ends_with("_total")
        || name.ends_with("_sum")
        || name.ends_with("_count")
        || name.ends_with("_bucket")
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// What the exporter served before a save is what it serves after loading the file in a
    /// new runner (a restart), line for line; no counter, histogram sum or count goes down.
    #[test]
    fn a_restart_serves_what_was_served_before_the_save(
        tasks in proptest::collection::vec(
            (0..RESOURCES.len(), 0..TYPES.len(), 0..RESULTS.len(), 0..DAY_NS, 0..DAY_NS),
            1..40,
        ),
        requests in proptest::collection::btree_map("[1-5][0-9][0-9]", 0u64..1_000_000, 0..4),
    ) {
        let t = prop_target();
        let account = account_of(&tasks);
        // Before: a live runner whose account is the one accounting built.
        let mut before = support::runner(&t, &BUCKETS);
        before.restore(&TargetState {
            provider: ProviderKind::YandexBackup.as_str().to_string(),
            requests: requests.clone(),
            ..TargetState::default()
        });
        *lock(&before.account()) = account;
        let snap = before.snapshot();
        let hub = Hub::new();
        hub.set_targets(std::slice::from_ref(&t.name));
        let saved = {
            let shared = before.account();
            let a = lock(&shared);
            TargetState::from_account(
                ProviderKind::YandexBackup,
                &a,
                snap.requests.clone(),
                &snap.status.errors,
                &BUCKETS,
            )
        };
        hub.publish(snap);
        let served = String::from_utf8(exposition(&hub, &BUCKETS).to_vec()).unwrap();

        // Save, load, and render as after a restart.
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state.json");
        let file = StateFile {
            version: state::VERSION,
            targets: BTreeMap::from([(t.name.clone(), saved)]),
        };
        state::save(&p, &file).unwrap();
        let loaded = state::load(&p);
        let again = render_restored(&loaded, std::slice::from_ref(&t));

        let (b, a) = (series(&served), series(&again));
        for (s, v) in &b {
            if is_monotonic(s) {
                let (old, new): (f64, f64) = (v.parse().unwrap(), a.get(s).map_or(f64::NAN, |n| n.parse().unwrap()));
                proptest::prop_assert!(new >= old, "{} went from {} to {}", s, old, new);
            }
        }
        proptest::prop_assert_eq!(&b, &a);
        proptest::prop_assert!(b.keys().any(|s| s.starts_with("cloud_task_duration_seconds_sum")));
    }
}
