//! The rules of the poll settings and the expectations: durations, `interval` against
//! `timeout`, `reconcile_interval` between `interval` and `lookback`, the shard and the
//! duration buckets, `expected_interval(s)` and `max_active_duration`.

use std::time::Duration;

use super::{YC, error, errors, ok};

#[test]
fn bad_durations() {
    let errs = errors(
        "
defaults:
  interval: 5
  timeout: 0s
targets:
  - name: yc
    provider: yandex_backup
    auth: { iam_token: t }
    compute_instance_ids: [a]
    lookback: 1.5h
    discover_interval: 1h
",
    );
    assert_eq!(
        errs[..3],
        [
            "config.yaml:3: defaults.interval: invalid duration \"5\": the number needs a unit, e.g. 5s or 5m (units: ms, s, m, h, d, w)",
            "config.yaml:4: defaults.timeout: must be greater than zero",
            "config.yaml:10: target 'yc': lookback: invalid duration \"1.5h\": write 90m (a whole number and a unit, no space: ms, s, m, h, d, w; sums such as 1h30m)",
        ]
    );
}

#[test]
fn interval_must_exceed_timeout() {
    let errs = errors(
        "
defaults:
  interval: 20s
targets:
  - name: yc
    provider: yandex_backup
    auth: { iam_token: t }
    compute_instance_ids: [a]
  - name: yc2
    provider: yandex_backup
    auth: { iam_token: t }
    compute_instance_ids: [a]
    timeout: 5s
    interval: 5s
",
    );
    assert_eq!(
        errs,
        [
            "config.yaml:3: defaults.interval: interval must be greater than timeout (20s <= 30s; timeout 30s is the built-in default)",
            "config.yaml:14: target 'yc2': interval: interval must be greater than timeout (5s <= 5s)",
        ]
    );
}

/// A value a target inherits is named as such: the line of `defaults:` that set it.
#[test]
fn an_inherited_value_is_named_where_it_was_set() {
    let err = error(
        "
defaults:
  page_size: 50
  timeout: 30s
targets:
  - name: yc
    provider: yandex_backup
    auth: { iam_token: t }
    compute_instance_ids: [a]
    interval: 10s
",
    );
    assert_eq!(
        err,
        "config.yaml:10: target 'yc': interval: interval must be greater than timeout (10s <= 30s; timeout 30s is set by defaults: at line 4)"
    );
}

#[test]
fn reconcile_interval_lies_between_interval_and_lookback() {
    let errs = errors(
        "
defaults:
  reconcile_interval: 30m
targets:
  - name: ok
    provider: yandex_backup
    auth: { iam_token: t }
    compute_instance_ids: [a]
  - name: slow
    provider: yandex_backup
    auth: { iam_token: t }
    compute_instance_ids: [a]
    interval: 1h
  - name: short
    provider: yandex_backup
    auth: { iam_token: t }
    compute_instance_ids: [a]
    lookback: 20m
  - name: own
    provider: yandex_backup
    auth: { iam_token: t }
    compute_instance_ids: [a]
    reconcile_interval: 1m
  - name: bad
    provider: yandex_backup
    auth: { iam_token: t }
    compute_instance_ids: [a]
    reconcile_interval: soon
",
    );
    assert_eq!(
        errs,
        [
            "config.yaml:13: target 'slow': interval: reconcile_interval must be at least interval (30m < 1h; reconcile_interval 30m is set by defaults: at line 3)",
            "config.yaml:18: target 'short': lookback: reconcile_interval must not exceed lookback (30m > 20m; reconcile_interval 30m is set by defaults: at line 3)",
            "config.yaml:23: target 'own': reconcile_interval: reconcile_interval must be at least interval (1m < 5m; interval 5m is the built-in default)",
            "config.yaml:28: target 'bad': reconcile_interval: invalid duration \"soon\": expected a number, e.g. 30s, 5m, 7d",
        ]
    );
    // Unset, the default follows interval and lookback instead of failing.
    let c = ok("
defaults:
  interval: 2h
targets:
  - name: a
    provider: yandex_backup
    auth: { iam_token: t }
    compute_instance_ids: [a]
  - name: b
    provider: yandex_backup
    auth: { iam_token: t }
    compute_instance_ids: [a]
    interval: 1m
    lookback: 30m
  - name: c
    provider: yandex_backup
    auth: { iam_token: t }
    compute_instance_ids: [a]
    interval: 1m
");
    let every: Vec<u64> = c
        .targets
        .iter()
        .map(|t| t.settings.reconcile_every().as_secs())
        .collect();
    assert_eq!(every, [7200, 1800, 3600]);
}

#[test]
fn bad_shard_and_buckets() {
    let errs = errors(
        "
shard: { index: 3, total: 3 }
duration_buckets: [10, 5, 0]
targets:
  - { name: yc, provider: yandex_backup, auth: { iam_token: t }, compute_instance_ids: [a] }
",
    );
    assert_eq!(
        errs,
        [
            "config.yaml:2: shard.index: must be less than shard.total (3 >= 3)",
            "config.yaml:3: duration_buckets[1]: buckets must be strictly increasing, got 5 after 10",
            "config.yaml:3: duration_buckets[2]: buckets must be positive, got 0",
        ]
    );
    assert_eq!(
        error(&format!("shard: {{ index: 0, total: 0 }}{YC}")),
        "config.yaml:1: shard.total: must be at least 1, got 0"
    );
    assert_eq!(
        error(&format!("duration_buckets: []{YC}")),
        "config.yaml:1: duration_buckets: must not be empty"
    );
}

#[test]
fn expectations_from_defaults_targets_and_resources() {
    let c = ok("
defaults:
  expected_interval: 1d
  max_active_duration: 12h
targets:
  - name: yc
    provider: yandex_backup
    auth: { iam_token: t1.abc }
    compute_instance_ids: [fhm1, fhm2]
    expected_interval: 2h
    expected_intervals: { fhm2: 1w }
  - name: hw
    provider: huawei_cbr
    region: ap-southeast-1
    project_id: p
    auth: { access_key: a, secret_key: b }
    expected_intervals: { any-resource-id: 3d }
    max_active_duration: 30m
");
    let h = |n: u64| Some(Duration::from_secs(n * 3600));
    assert_eq!(c.defaults.expect.interval, h(24));
    assert_eq!(c.defaults.expect.max_active, h(12));
    let yc = &c.targets[0].settings.expect;
    assert_eq!((yc.interval, yc.max_active), (h(2), h(12)));
    assert_eq!(yc.intervals["fhm2"], Duration::from_secs(7 * 86_400));
    let hw = &c.targets[1].settings.expect;
    assert_eq!(
        (hw.interval, hw.max_active),
        (h(24), Some(Duration::from_secs(1800)))
    );
    assert_eq!(
        hw.intervals["any-resource-id"],
        Duration::from_secs(3 * 86_400)
    );
    assert_eq!(ok(YC).targets[0].settings.expect, Default::default());
}

#[test]
fn bad_expectations_name_their_place() {
    let errs = errors(
        "
defaults:
  expected_intervals: { fhm1: 1d }
targets:
  - name: yc
    provider: yandex_backup
    auth: { iam_token: t }
    compute_instance_ids: [fhm1, fhm2]
    expected_interval: 0s
    max_active_duration: soon
    expected_intervals:
      fhm3: 1d
      fhm1: daily
      fhm2: 7d
      fhm2: 8d
  - name: kafka
    provider: huawei_dms
    engine: kafka
    region: ap-southeast-1
    project_id: p
    auth: { access_key: a, secret_key: b }
    instance_ids: [i1]
    expected_intervals: { i1: 1d }
",
    );
    assert_eq!(
        errs,
        [
            "config.yaml:3: defaults.expected_intervals: names resources of one target: set it on the target (or use expected_interval here)",
            "config.yaml:9: target 'yc': expected_interval: must be greater than zero",
            "config.yaml:10: target 'yc': max_active_duration: invalid duration \"soon\": expected a number, e.g. 30s, 5m, 7d",
            "config.yaml:12: target 'yc': expected_intervals.fhm3: 'fhm3' is not in compute_instance_ids (did you mean 'fhm1'?)",
            "config.yaml:13: target 'yc': expected_intervals.fhm1: invalid duration \"daily\": expected a number, e.g. 30s, 5m, 7d",
            "config.yaml:15: target 'yc': expected_intervals.fhm2: duplicate key",
            "config.yaml:23: target 'kafka': expected_intervals: not a key of provider huawei_dms (it belongs to yandex_backup, huawei_vbs, huawei_cbr, huawei_cce, aws_backup)",
        ]
    );
}
