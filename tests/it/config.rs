//! The configuration loader (SPEC §5): defaults, overrides, `${VAR}`, `*_file` secrets, and one
//! test per kind of error, each asserting the message names the file, line, target and key.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use cloud_task_exporter::config::{
    self, Config, ConfigErrors, DEFAULT_DURATION_BUCKETS, RESERVED_LABELS, Resources, Settings,
    Shard,
};
use cloud_task_exporter::provider::huawei::Auth as HuaweiAuth;
use cloud_task_exporter::provider::huawei_dms::Engine as DmsEngine;
use cloud_task_exporter::provider::yandex_backup::Auth as YandexAuth;
use cloud_task_exporter::provider::{ProviderKind, TargetSpec};
use cloud_task_exporter::sim::yandex::TEST_PRIVATE_KEY_PEM;

fn env(name: &str) -> Option<String> {
    let v = match name {
        "YC_IAM_TOKEN" => "t1.iam-token-value",
        "HW_ACCESS_KEY" => "AKEXAMPLE",
        "HW_SECRET_KEY" => "sk-example-secret",
        "HW_IAM_PASSWORD" => "iam-password-secret",
        "PAGE" => "50",
        "REGION" => "eu-west-101",
        _ => return None,
    };
    Some(v.to_string())
}

fn load(yaml: &str) -> Result<Config, ConfigErrors> {
    config::load_str_with_env(yaml, Path::new("config.yaml"), &env)
}

fn ok(yaml: &str) -> Config {
    match load(yaml) {
        Ok(c) => c,
        Err(e) => panic!("expected a valid config, got:\n{e}"),
    }
}

fn errors(yaml: &str) -> Vec<String> {
    match load(yaml) {
        Ok(c) => panic!("expected errors, got {c:#?}"),
        Err(e) => e.0.into_iter().map(|e| e.message).collect(),
    }
}

/// The only error of `yaml`.
fn error(yaml: &str) -> String {
    let errs = errors(yaml);
    assert_eq!(errs.len(), 1, "expected one error, got {errs:#?}");
    errs.into_iter().next().unwrap()
}

const YC: &str = "
targets:
  - name: yc
    provider: yandex_backup
    auth: { iam_token: t1.abc }
    compute_instance_ids: [fhm1]
";

#[test]
fn targets_only_uses_builtin_defaults() {
    let c = ok(YC);
    assert_eq!(c.defaults, Settings::default());
    assert_eq!(c.duration_buckets, DEFAULT_DURATION_BUCKETS.to_vec());
    assert_eq!(c.shard, Shard::default());
    assert_eq!(c.state_file, None);
    assert_eq!(c.source, PathBuf::from("config.yaml"));
    let t = &c.targets[0];
    assert_eq!(t.name, "yc");
    assert_eq!(t.provider(), ProviderKind::YandexBackup);
    assert_eq!(t.settings, Settings::default());
    assert_eq!(t.endpoint, None);
    let TargetSpec::YandexBackup(y) = &t.spec else {
        panic!("{:?}", t.spec)
    };
    assert_eq!(y.resources, Resources::Ids(vec!["fhm1".into()]));
    assert!(matches!(&y.auth, YandexAuth::IamToken(s) if s.expose() == "t1.abc"));
}

#[test]
fn defaults_apply_and_targets_override_them() {
    let c = ok("
defaults:
  interval: 1m
  timeout: 10s
  lookback: 2d
  page_size: 20
  max_pages: 5
  retries: 0
  retry_backoff: 250ms
  requests_per_second: 2.5
  concurrency: 2
  max_response_bytes: 1048576
  max_poll_bytes: 1000000
  max_poll_tasks: 5000
  max_task_types: 8
  reconcile_interval: 2h
targets:
  - name: a
    provider: yandex_backup
    auth: { iam_token: t }
    compute_instance_ids: [i1]
  - name: b
    provider: yandex_backup
    auth: { iam_token: t }
    compute_instance_ids: [i1]
    interval: 30s
    page_size: ${PAGE}
    requests_per_second: 1
");
    let want = Settings {
        interval: Duration::from_secs(60),
        timeout: Duration::from_secs(10),
        lookback: Duration::from_secs(2 * 86400),
        page_size: 20,
        max_pages: 5,
        retries: 0,
        retry_backoff: Duration::from_millis(250),
        requests_per_second: 2.5,
        concurrency: 2,
        max_response_bytes: 1 << 20,
        max_poll_bytes: 1_000_000,
        max_poll_tasks: 5000,
        max_task_types: 8,
        reconcile_interval: Some(Duration::from_secs(2 * 3600)),
        expect: Default::default(),
    };
    assert_eq!(c.defaults, want);
    assert_eq!(c.targets[0].settings, want);
    let b = &c.targets[1].settings;
    assert_eq!(b.interval, Duration::from_secs(30));
    assert_eq!(b.page_size, 50);
    assert_eq!(b.requests_per_second, 1.0);
    assert_eq!(b.timeout, Duration::from_secs(10));
}

#[test]
fn every_provider_and_global_key_loads() {
    let c = ok("
state_file: /var/lib/cte/state.json
duration_buckets: [1, 2.5, 10]
shard: { index: 1, total: 3 }
targets:
  - name: yc-disc
    provider: yandex_backup
    endpoint: http://127.0.0.1:8080/
    labels: { env: prod, team: a }
    auth:
      metadata: true
      metadata_url: http://127.0.0.1:9999
      iam_endpoint: http://127.0.0.1:8081
    discover: { folder_id: b1gfolder, interval: 10m }
  - name: hw-cbr
    provider: huawei_cbr
    region: ${REGION}
    project_id: '0123'
    auth: { access_key: AK, secret_key: SK, security_token: ST }
    filters: { operation_type: backup, status: failed }
  - name: hw-vbs
    provider: huawei_vbs
    region: ap-southeast-1
    project_id: p1
    auth: { iam: { domain: acct, user: u, password: pw, endpoint: 'https://iam.example.com' } }
    discover: true
  - name: hw-cce
    provider: huawei_cce
    region: ap-southeast-1
    project_id: p1
    auth: { access_key: AK, secret_key: SK }
    cluster_ids: [c1, c2]
  - name: hw-dms
    provider: huawei_dms
    engine: RocketMQ
    region: ap-southeast-1
    project_id: p1
    auth: { access_key: AK, secret_key: SK }
    discover: { interval: 2h }
");
    assert_eq!(c.state_file, Some(PathBuf::from("/var/lib/cte/state.json")));
    assert_eq!(c.duration_buckets, vec![1.0, 2.5, 10.0]);
    assert_eq!(c.shard, Shard { index: 1, total: 3 });
    let names: Vec<&str> = c.targets.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["yc-disc", "hw-cbr", "hw-vbs", "hw-cce", "hw-dms"]);

    let t = &c.targets[0];
    assert_eq!(t.endpoint.as_deref(), Some("http://127.0.0.1:8080"));
    assert_eq!(t.labels.get("env").map(String::as_str), Some("prod"));
    let TargetSpec::YandexBackup(y) = &t.spec else {
        panic!()
    };
    let YandexAuth::Metadata { url } = &y.auth else {
        panic!("{:?}", y.auth)
    };
    assert_eq!(url.as_deref(), Some("http://127.0.0.1:9999"));
    assert_eq!(y.iam_endpoint.as_deref(), Some("http://127.0.0.1:8081"));
    let Resources::Discover(d) = &y.resources else {
        panic!()
    };
    assert_eq!(d.folder_id.as_deref(), Some("b1gfolder"));
    assert_eq!(d.interval, Duration::from_secs(600));

    let TargetSpec::HuaweiCbr(cbr) = &c.targets[1].spec else {
        panic!()
    };
    assert_eq!(cbr.common.region, "eu-west-101");
    assert_eq!(cbr.common.project_id, "0123");
    assert_eq!(cbr.filters.len(), 2);
    let HuaweiAuth::AkSk {
        access_key,
        secret_key,
        security_token,
    } = &cbr.common.auth
    else {
        panic!()
    };
    assert_eq!(
        (
            access_key.expose(),
            secret_key.expose(),
            security_token.as_ref().map(|s| s.expose())
        ),
        ("AK", "SK", Some("ST"))
    );

    let TargetSpec::HuaweiVbs(vbs) = &c.targets[2].spec else {
        panic!()
    };
    let HuaweiAuth::Iam {
        endpoint,
        domain,
        user,
        password,
    } = &vbs.common.auth
    else {
        panic!()
    };
    assert_eq!(endpoint.as_deref(), Some("https://iam.example.com"));
    assert_eq!((domain.as_str(), user.as_str()), ("acct", "u"));
    assert_eq!(password.expose(), "pw");
    assert!(
        matches!(&vbs.resources, Resources::Discover(d) if d.folder_id.is_none() && d.interval == Duration::from_secs(3600))
    );

    let TargetSpec::HuaweiCce(cce) = &c.targets[3].spec else {
        panic!()
    };
    assert_eq!(
        cce.resources,
        Resources::Ids(vec!["c1".into(), "c2".into()])
    );

    let TargetSpec::HuaweiDms(dms) = &c.targets[4].spec else {
        panic!()
    };
    assert_eq!(dms.engine, DmsEngine::Rocketmq);
    assert!(
        matches!(&dms.resources, Resources::Discover(d) if d.interval == Duration::from_secs(7200))
    );
}

/// An empty or truncated file (a zero-byte ConfigMap, a half-saved edit) would run an exporter
/// that watches nothing: it is an error with the reason and an example.
#[test]
fn a_config_without_targets_is_an_error_with_an_example() {
    for (yaml, want) in [
        ("", "config.yaml: the file is empty (or only comments): "),
        (
            "# only a comment\n\n",
            "config.yaml: the file is empty (or only comments): ",
        ),
        (
            "targets: []\n",
            "config.yaml:1: 'targets:' is an empty list: ",
        ),
        ("targets:\n", "config.yaml:1: 'targets:' has no entries: "),
        (
            "defaults: { interval: 1m }\n",
            "config.yaml:1: no 'targets:' key: ",
        ),
    ] {
        let e = error(yaml);
        assert!(e.starts_with(want), "{yaml:?}: {e}");
        assert!(!e.contains('\n'), "one line per problem: {e}");
        assert!(
            e.contains("a config needs at least one target, for example: targets: [{ name: yc-prod, provider: yandex_backup,"),
            "{e}"
        );
    }
    // A misspelt key is reported once, with its suggestion, not again as "no targets".
    assert_eq!(
        error("tragets:\n  - name: x\n"),
        "config.yaml:1: tragets: unknown key (did you mean 'targets'?)"
    );
}

/// The example config with `state_file` moved into `dir`: `/var/lib/cloud-task-exporter` does
/// not exist on a development machine, and `--check-config` checks that it is writable.
fn example_in(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(example()).unwrap();
    let state = "state_file: /var/lib/cloud-task-exporter/state.json";
    assert!(text.contains(state));
    let path = dir.join("config.yaml");
    std::fs::write(&path, text.replace(state, "state_file: state.json")).unwrap();
    path
}

// === one test per kind of error ===

#[test]
fn unknown_key_names_line_target_and_suggests_the_nearest() {
    let e = error(
        "
targets:
  - name: hw
    provider: huawei_cbr
    regoin: ap-southeast-1
    region: ap-southeast-1
    project_id: p
    auth: { access_key: a, secret_key: b }
",
    );
    assert_eq!(
        e,
        "config.yaml:5: target 'hw': regoin: unknown key (did you mean 'region'?)"
    );
}

#[test]
fn unknown_keys_everywhere_are_reported() {
    let errs = errors(
        "
defaults:
  intervall: 5m
tragets: []
shard: { index: 0, total: 1, size: 2 }
targets:
  - name: yc
    provider: yandex_backup
    auth: { iam_token: t, iam_endpoit: 'https://x' }
    compute_instance_ids: [a]
    discover_x: 1
",
    );
    assert_eq!(
        errs,
        [
            "config.yaml:3: defaults.intervall: unknown key (did you mean 'interval'?)",
            "config.yaml:4: tragets: unknown key (did you mean 'targets'?)",
            "config.yaml:5: shard.size: unknown key; expected one of: index, total",
            "config.yaml:9: target 'yc': auth.iam_endpoit: unknown key (did you mean 'iam_endpoint'?)",
            "config.yaml:11: target 'yc': discover_x: unknown key (did you mean 'discover'?)",
        ]
    );
}

#[test]
fn key_of_another_provider_says_whose_it_is() {
    let e = error(
        "
targets:
  - name: yc
    provider: yandex_backup
    auth: { iam_token: t }
    compute_instance_ids: [a]
    policy_ids: [p]
",
    );
    assert_eq!(
        e,
        "config.yaml:7: target 'yc': policy_ids: not a key of provider yandex_backup (it belongs to huawei_vbs); use compute_instance_ids"
    );
    let e = error(
        "
targets:
  - name: yc
    provider: yandex_backup
    iam_token: t
    compute_instance_ids: [a]
    auth: { iam_token: t }
",
    );
    assert_eq!(
        e,
        "config.yaml:5: target 'yc': iam_token: unknown key; credentials go under 'auth:'"
    );
}

#[test]
fn duplicate_target_name() {
    let e = error(
        "
targets:
  - name: yc
    provider: yandex_backup
    auth: { iam_token: t }
    compute_instance_ids: [a]
  - name: yc
    provider: yandex_backup
    auth: { iam_token: t }
    compute_instance_ids: [b]
",
    );
    assert_eq!(
        e,
        "config.yaml:7: target 'yc': name: duplicate target name (first used at line 3)"
    );
}

#[test]
fn missing_id_list_and_discover() {
    let e = error(
        "
targets:
  - name: vbs
    provider: huawei_vbs
    region: r
    project_id: p
    auth: { access_key: a, secret_key: b }
",
    );
    assert_eq!(
        e,
        "config.yaml:3: target 'vbs': policy_ids: missing (list policy_ids or set discover)"
    );
}

#[test]
fn both_id_list_and_discover() {
    let e = error(
        "
targets:
  - name: yc
    provider: yandex_backup
    auth: { iam_token: t }
    compute_instance_ids: [a]
    discover: { folder_id: f }
",
    );
    assert_eq!(
        e,
        "config.yaml:7: target 'yc': discover: both compute_instance_ids and discover given; use one"
    );
}

#[test]
fn empty_or_bad_id_lists() {
    let errs = errors(
        "
targets:
  - name: cce
    provider: huawei_cce
    region: r
    project_id: p
    auth: { access_key: a, secret_key: b }
    cluster_ids: []
  - name: dms
    provider: huawei_dms
    engine: kafka
    region: r
    project_id: p
    auth: { access_key: a, secret_key: b }
    instance_ids: [i1, 'a/b', i1]
  - name: yc
    provider: yandex_backup
    auth: { iam_token: t }
    discover: { interval: 1h }
",
    );
    assert_eq!(
        errs,
        [
            "config.yaml:8: target 'cce': cluster_ids: is empty; list at least one id or use discover",
            "config.yaml:15: target 'dms': instance_ids[1]: 'a/b' is not a valid id (letters, digits, '_', '-', '.', ':')",
            "config.yaml:15: target 'dms': instance_ids[2]: duplicate id 'i1'",
            "config.yaml:19: target 'yc': discover.folder_id: missing (the folder whose instances are polled)",
        ]
    );
}

#[test]
fn two_auth_methods() {
    let e = error(
        "
targets:
  - name: yc-prod
    provider: yandex_backup
    compute_instance_ids: [a]
    auth:
      iam_token: t
      oauth_token: o
",
    );
    assert_eq!(
        e,
        "config.yaml:7: target 'yc-prod': auth: two auth methods given (iam_token, oauth_token)"
    );
    let e = error(
        "
targets:
  - name: hw
    provider: huawei_cbr
    region: r
    project_id: p
    auth: { access_key: a, secret_key: b, iam: { domain: d, user: u, password: p } }
",
    );
    assert_eq!(
        e,
        "config.yaml:7: target 'hw': auth: two auth methods given (access_key, iam)"
    );
}

#[test]
fn value_and_file_forms_of_one_secret() {
    let e = error(
        "
targets:
  - name: yc
    provider: yandex_backup
    compute_instance_ids: [a]
    auth: { iam_token: t, iam_token_file: /nonexistent }
",
    );
    assert_eq!(
        e,
        "config.yaml:6: target 'yc': auth.iam_token_file: both iam_token and iam_token_file given; use one"
    );
}

#[test]
fn no_auth_method() {
    let errs = errors(
        "
targets:
  - name: yc
    provider: yandex_backup
    compute_instance_ids: [a]
    auth: { metadata: false }
  - name: hw
    provider: huawei_cce
    region: r
    project_id: p
    cluster_ids: [c]
  - name: hw2
    provider: huawei_cce
    region: r
    project_id: p
    cluster_ids: [c]
    auth: { access_key: a }
",
    );
    assert_eq!(errs.len(), 3, "{errs:#?}");
    assert!(
        errs[0].starts_with("config.yaml:6: target 'yc': auth: no auth method given"),
        "{}",
        errs[0]
    );
    assert_eq!(
        errs[1],
        "config.yaml:7: target 'hw': auth: missing (access_key + secret_key, or iam)"
    );
    assert_eq!(
        errs[2],
        "config.yaml:17: target 'hw2': auth.secret_key: missing (secret_key or secret_key_file is required for AK/SK signing)"
    );
}

#[test]
fn metadata_url_without_metadata() {
    let e = error(
        "
targets:
  - name: yc
    provider: yandex_backup
    compute_instance_ids: [a]
    auth: { iam_token: t, metadata_url: 'http://x' }
",
    );
    assert_eq!(
        e,
        "config.yaml:6: target 'yc': auth.metadata_url: only used with 'metadata: true'"
    );
}

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
            "config.yaml:3: defaults.interval: interval must be greater than timeout (20s <= 30s)",
            "config.yaml:14: target 'yc2': interval: interval must be greater than timeout (5s <= 5s)",
        ]
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
            "config.yaml:13: target 'slow': interval: reconcile_interval must be at least interval (30m < 1h)",
            "config.yaml:18: target 'short': lookback: reconcile_interval must not exceed lookback (30m > 20m)",
            "config.yaml:23: target 'own': reconcile_interval: reconcile_interval must be at least interval (1m < 5m)",
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
fn bad_provider_name() {
    let errs = errors(
        "
targets:
  - name: a
    provider: yandex-backup
    auth: { iam_token: t }
    compute_instance_ids: [x]
  - name: b
    provider: aws_batch
  - name: c
",
    );
    assert_eq!(
        errs,
        [
            "config.yaml:4: target 'a': provider: unknown provider 'yandex-backup' (did you mean 'yandex_backup'?)",
            "config.yaml:8: target 'b': provider: unknown provider 'aws_batch'; one of yandex_backup, huawei_vbs, huawei_cbr, huawei_cce, huawei_dms",
            "config.yaml:9: target 'c': provider: missing; one of yandex_backup, huawei_vbs, huawei_cbr, huawei_cce, huawei_dms",
        ]
    );
}

#[test]
fn bad_or_missing_engine() {
    let errs = errors(
        "
targets:
  - name: mq
    provider: huawei_dms
    engine: redis
    region: r
    project_id: p
    auth: { access_key: a, secret_key: b }
    instance_ids: [i]
  - name: mq2
    provider: huawei_dms
    region: r
    project_id: p
    auth: { access_key: a, secret_key: b }
    instance_ids: [i]
  - name: cbr
    provider: huawei_cbr
    engine: kafka
    region: r
    project_id: p
    auth: { access_key: a, secret_key: b }
",
    );
    assert_eq!(
        errs,
        [
            "config.yaml:5: target 'mq': engine: unknown engine 'redis'; one of kafka, rabbitmq, rocketmq",
            "config.yaml:10: target 'mq2': engine: missing (kafka, rabbitmq or rocketmq)",
            "config.yaml:18: target 'cbr': engine: not a key of provider huawei_cbr (it belongs to huawei_dms)",
        ]
    );
}

#[test]
fn bad_and_reserved_label_names() {
    let errs = errors(
        "
targets:
  - name: yc
    provider: yandex_backup
    auth: { iam_token: t }
    compute_instance_ids: [a]
    labels:
      env: prod
      team-name: x
      target: y
      __meta: z
",
    );
    assert_eq!(
        errs,
        [
            "config.yaml:9: target 'yc': labels.team-name: 'team-name' is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)",
            "config.yaml:10: target 'yc': labels.target: 'target' is reserved: the exporter or Prometheus sets it",
            "config.yaml:11: target 'yc': labels.__meta: '__meta': label names starting with '__' are reserved",
        ]
    );
    for l in [
        "provider", "target", "resource", "type", "state", "result", "task_id",
    ] {
        assert!(RESERVED_LABELS.contains(&l), "{l}");
    }
}

#[test]
fn missing_region_and_project_id() {
    let errs = errors(
        "
targets:
  - name: hw
    provider: huawei_cbr
    auth: { access_key: a, secret_key: b }
",
    );
    assert_eq!(
        errs,
        [
            "config.yaml:3: target 'hw': region: missing (required for huawei_cbr)",
            "config.yaml:3: target 'hw': project_id: missing (required for huawei_cbr)",
        ]
    );
}

#[test]
fn unreadable_secret_file() {
    let e = error(
        "
targets:
  - name: hw
    provider: huawei_cbr
    region: r
    project_id: p
    auth:
      access_key: a
      secret_key_file: /nonexistent/hw_secret
",
    );
    assert!(
        e.starts_with(
            "config.yaml:9: target 'hw': auth.secret_key_file: cannot read /nonexistent/hw_secret: "
        ),
        "{e}"
    );
}

#[test]
fn unset_environment_variable() {
    let e = error(
        "
targets:
  - name: hw
    provider: huawei_cbr
    region: r
    project_id: p
    auth:
      access_key: ${HW_ACCESS_KEY}
      secret_key: ${NOT_SET_ANYWHERE}
",
    );
    assert_eq!(
        e,
        "config.yaml:9: target 'hw': auth.secret_key: environment variable NOT_SET_ANYWHERE is not set"
    );
}

#[test]
fn wrong_types() {
    let errs = errors(
        "
defaults:
  page_size: many
  retries: -1
  requests_per_second: [1]
  concurrency: 0
state_file: [a]
targets:
  - name: yc
    provider: yandex_backup
    auth: iam_token
    compute_instance_ids: fhm1
",
    );
    assert_eq!(
        errs,
        [
            "config.yaml:3: defaults.page_size: expected an integer, found 'many'",
            "config.yaml:4: defaults.retries: must be between 0 and 100, got -1",
            "config.yaml:5: defaults.requests_per_second: expected a number, found a list",
            "config.yaml:6: defaults.concurrency: must be between 1 and 1024, got 0",
            "config.yaml:7: state_file: expected a string, found a list",
            "config.yaml:11: target 'yc': auth: expected a mapping, found a string",
            "config.yaml:12: target 'yc': compute_instance_ids: expected a list, found a string",
        ]
    );
}

#[test]
fn targets_must_be_a_list_of_mappings() {
    assert_eq!(
        error("targets: { name: x }\n"),
        "config.yaml:1: targets: expected a list, found a mapping"
    );
    assert_eq!(
        error("targets:\n  - just-a-name\n"),
        "config.yaml:2: targets[0]: expected a mapping, found a string"
    );
    assert_eq!(
        error("- a\n- b\n"),
        "config.yaml:1: expected a mapping, found a list"
    );
}

#[test]
fn bad_endpoints() {
    let errs = errors(
        "
targets:
  - name: yc
    provider: yandex_backup
    endpoint: backup.api.cloud.yandex.net
    auth: { iam_token: t, iam_endpoint: 'https://iam.api.cloud.yandex.net/iam/v1' }
    compute_instance_ids: [a]
  - name: hw
    provider: huawei_cce
    endpoint: ftp://cce.example.com
    region: r
    project_id: p
    auth: { iam: { domain: d, user: u, password: p, endpoint: 'https://u:pw@iam.example.com' } }
    cluster_ids: [c]
",
    );
    assert_eq!(errs.len(), 4, "{errs:#?}");
    assert!(errs[0].starts_with(
        "config.yaml:5: target 'yc': endpoint: 'backup.api.cloud.yandex.net' is not a base URL"
    ));
    assert!(
        errs[1].starts_with("config.yaml:6: target 'yc': auth.iam_endpoint: 'https://iam.api.cloud.yandex.net/iam/v1' has a path")
    );
    assert_eq!(
        errs[2],
        "config.yaml:10: target 'hw': endpoint: 'ftp://cce.example.com': unsupported scheme 'ftp' (expected http or https)"
    );
    assert!(
        errs[3].starts_with("config.yaml:13: target 'hw': auth.iam.endpoint: the value")
            && !errs[3].contains("pw"),
        "{}",
        errs[3]
    );
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
fn duplicate_yaml_key() {
    let e = error(
        "
targets:
  - name: yc
    provider: yandex_backup
    auth: { iam_token: t }
    compute_instance_ids: [a]
    compute_instance_ids: [b]
",
    );
    assert_eq!(
        e,
        "config.yaml:7: target 'yc': compute_instance_ids: duplicate key (first given at line 6)"
    );
}

#[test]
fn yaml_syntax_error_has_a_line() {
    let e = error("targets:\n  - name: yc\n    labels: { env: prod\n  - name: b\n");
    assert!(e.starts_with("config.yaml:"), "{e}");
    assert!(e.contains("invalid YAML"), "{e}");
    let line: u32 = e.split(':').nth(1).unwrap().parse().unwrap();
    assert!((3..=5).contains(&line), "{e}");
}

#[test]
fn bad_target_names() {
    let errs = errors(
        "
targets:
  - name: 'has space'
    provider: yandex_backup
    auth: { iam_token: t }
    compute_instance_ids: [a]
  - provider: yandex_backup
    auth: { iam_token: t }
    compute_instance_ids: [a]
",
    );
    assert_eq!(
        errs,
        [
            "config.yaml:3: target '#1': name: 'has space' is not a valid target name (letters, digits, '_', '-', '.', starting with a letter or digit)",
            "config.yaml:7: target '#2': name: missing (every target needs a unique name)",
        ]
    );
}

#[test]
fn cbr_filters_the_exporter_owns_are_rejected() {
    let e = error(
        "
targets:
  - name: cbr
    provider: huawei_cbr
    region: r
    project_id: p
    auth: { access_key: a, secret_key: b }
    filters: { limit: 10 }
",
    );
    assert_eq!(
        e,
        "config.yaml:8: target 'cbr': filters.limit: 'limit' is set by the exporter (paging and the lookback window)"
    );
}

#[test]
fn all_problems_are_reported_at_once() {
    let errs = errors(
        "
defaults: { interval: soon }
targets:
  - name: a
    provider: yandex_backup
    auth: {}
  - name: b
    provider: huawei_cbr
    region: r
    auth: { access_key: a, secret_key: b }
    colour: red
",
    );
    assert_eq!(errs.len(), 5, "{errs:#?}");
}

#[test]
fn empty_values_and_unquoted_secrets() {
    let errs = errors(
        "
targets:
  - name: hw
    provider: huawei_cbr
    region:
    project_id: ''
    auth: { access_key: a, secret_key: 123456 }
",
    );
    assert_eq!(
        errs,
        [
            "config.yaml:5: target 'hw': region: has no value",
            "config.yaml:6: target 'hw': project_id: must not be empty",
            "config.yaml:7: target 'hw': auth.secret_key: expected a string, found an integer (quote the value so YAML keeps it as written)",
        ]
    );
}

// === values: ${VAR}, *_file, redaction ===

#[test]
fn yaml_anchors_and_merge_keys_work() {
    let c = ok("
x-huawei: &hw
  region: ap-southeast-1
  project_id: p
  auth: { access_key: a, secret_key: b }
targets:
  - name: cce
    provider: huawei_cce
    <<: *hw
    cluster_ids: [c]
  - name: dms
    provider: huawei_dms
    engine: kafka
    <<: *hw
    instance_ids: [i]
");
    assert_eq!(c.targets.len(), 2);
}

#[test]
fn env_vars_expand_in_every_string() {
    let c = ok("
targets:
  - name: hw
    provider: huawei_cbr
    region: ${REGION}
    project_id: p-${PAGE}
    labels: { cost: '$${literal} ${PAGE}' }
    auth: { access_key: '${HW_ACCESS_KEY}', secret_key: '${HW_SECRET_KEY}' }
");
    let t = &c.targets[0];
    assert_eq!(t.labels["cost"], "${literal} 50");
    let TargetSpec::HuaweiCbr(cbr) = &t.spec else {
        panic!()
    };
    assert_eq!(cbr.common.region, "eu-west-101");
    assert_eq!(cbr.common.project_id, "p-50");
    let HuaweiAuth::AkSk { secret_key, .. } = &cbr.common.auth else {
        panic!()
    };
    assert_eq!(secret_key.expose(), "sk-example-secret");
}

#[test]
fn secret_files_are_read_relative_to_the_config_and_trimmed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("token"), "t1.from-file\n").unwrap();
    std::fs::write(dir.path().join("sk"), "secret-from-file\r\n").unwrap();
    let key = serde_json::json!({
        "id": "aje1",
        "service_account_id": "aje2",
        "created_at": "2024-01-01T00:00:00Z",
        "key_algorithm": "RSA_2048",
        "public_key": "-----BEGIN PUBLIC KEY-----\n",
        "private_key": format!("PLEASE DO NOT REMOVE THIS LINE! Yandex.Cloud SA Key ID aje1\n{TEST_PRIVATE_KEY_PEM}"),
    });
    std::fs::write(dir.path().join("sa.json"), key.to_string()).unwrap();
    let cfg_path = dir.path().join("config.yaml");
    let yaml = "
state_file: state.json
targets:
  - name: a
    provider: yandex_backup
    auth: { iam_token_file: token }
    compute_instance_ids: [x]
  - name: b
    provider: yandex_backup
    auth: { service_account_key_file: sa.json }
    compute_instance_ids: [x]
  - name: c
    provider: huawei_cce
    region: r
    project_id: p
    auth: { access_key: a, secret_key_file: sk }
    cluster_ids: [x]
";
    std::fs::write(&cfg_path, yaml).unwrap();
    let c = Config::load(&cfg_path).unwrap();
    assert_eq!(c.state_file, Some(dir.path().join("state.json")));
    let TargetSpec::YandexBackup(a) = &c.targets[0].spec else {
        panic!()
    };
    assert!(matches!(&a.auth, YandexAuth::IamToken(s) if s.expose() == "t1.from-file"));
    let TargetSpec::YandexBackup(b) = &c.targets[1].spec else {
        panic!()
    };
    let YandexAuth::ServiceAccountKey(k) = &b.auth else {
        panic!()
    };
    assert_eq!(k.origin, dir.path().join("sa.json").display().to_string());
    assert_eq!(
        (k.key_id.as_str(), k.service_account_id.as_str()),
        ("aje1", "aje2")
    );
    let TargetSpec::HuaweiCce(cce) = &c.targets[2].spec else {
        panic!()
    };
    let HuaweiAuth::AkSk { secret_key, .. } = &cce.common.auth else {
        panic!()
    };
    assert_eq!(secret_key.expose(), "secret-from-file");
}

#[test]
fn inline_service_account_key_as_json_or_yaml_mapping() {
    // The private key as a JSON string (its newlines escaped), as key files hold it.
    let pem = serde_json::to_string(TEST_PRIVATE_KEY_PEM).unwrap();
    let c = ok(&format!(
        r#"
targets:
  - name: a
    provider: yandex_backup
    compute_instance_ids: [x]
    auth:
      service_account_key: {{"id": "aje1", "service_account_id": "aje2", "private_key": {pem}}}
  - name: b
    provider: yandex_backup
    compute_instance_ids: [x]
    auth:
      service_account_key: '{{"key": {{"id": "aje1", "serviceAccountId": "aje2"}}, "privateKey": {pem}}}'
"#
    ));
    for t in &c.targets {
        let TargetSpec::YandexBackup(y) = &t.spec else {
            panic!()
        };
        let YandexAuth::ServiceAccountKey(k) = &y.auth else {
            panic!()
        };
        assert_eq!(k.origin, "<inline>");
        assert_eq!(k.service_account_id, "aje2");
    }
}

#[test]
fn bad_service_account_key_is_reported_without_its_content() {
    let errs = errors(
        r#"
targets:
  - name: a
    provider: yandex_backup
    compute_instance_ids: [x]
    auth: { service_account_key: '{"id": "aje1", "private_key": "TOPSECRET"' }
  - name: b
    provider: yandex_backup
    compute_instance_ids: [x]
    auth: { service_account_key: '{"id": "aje1", "private_key": "TOPSECRET"}' }
"#,
    );
    assert_eq!(
        errs,
        [
            "config.yaml:6: target 'a': auth.service_account_key: service account key is not valid JSON (line 1, column 41)",
            "config.yaml:10: target 'b': auth.service_account_key: service account key: private_key is not a PEM key",
        ]
    );
}

#[test]
fn secrets_never_print() {
    let c = ok("
targets:
  - name: hw
    provider: huawei_cbr
    region: r
    project_id: p
    auth: { access_key: '${HW_ACCESS_KEY}', secret_key: '${HW_SECRET_KEY}', security_token: tok-secret }
  - name: hw2
    provider: huawei_cbr
    region: r
    project_id: p
    auth: { iam: { domain: d, user: u, password: '${HW_IAM_PASSWORD}' } }
  - name: yc
    provider: yandex_backup
    auth: { iam_token: '${YC_IAM_TOKEN}' }
    compute_instance_ids: [a]
");
    let shown = format!("{c:?} {c:#?}");
    for secret in [
        "AKEXAMPLE",
        "sk-example-secret",
        "tok-secret",
        "iam-password-secret",
        "t1.iam-token-value",
    ] {
        assert!(!shown.contains(secret), "{secret} leaked");
    }
    assert!(shown.contains("<redacted>"));
}

// === config.example.yaml and --check-config ===

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.yaml")
}

#[test]
fn example_config_loads_and_covers_every_provider() {
    let text = std::fs::read_to_string(example()).unwrap();
    let c = match config::load_str_with_env(&text, &example(), &env) {
        Ok(c) => c,
        Err(e) => panic!("config.example.yaml:\n{e}"),
    };
    let mut kinds: Vec<ProviderKind> = c.targets.iter().map(|t| t.provider()).collect();
    kinds.sort();
    assert_eq!(kinds, ProviderKind::ALL.to_vec());
    assert_eq!(
        c.defaults,
        Settings::default(),
        "the example shows the defaults"
    );
    assert_eq!(c.duration_buckets, DEFAULT_DURATION_BUCKETS.to_vec());
    // Every documented key appears in the example, at least in a comment.
    for key in [
        "interval",
        "timeout",
        "lookback",
        "page_size",
        "max_pages",
        "retries",
        "retry_backoff",
        "requests_per_second",
        "concurrency",
        "max_response_bytes",
        "reconcile_interval",
        "state_file",
        "duration_buckets",
        "shard",
        "endpoint",
        "labels",
        "iam_token",
        "iam_token_file",
        "oauth_token",
        "oauth_token_file",
        "service_account_key_file",
        "service_account_key:",
        "metadata: true",
        "metadata_url",
        "iam_endpoint",
        "compute_instance_ids",
        "folder_id",
        "region",
        "project_id",
        "access_key",
        "access_key_file",
        "secret_key_file",
        "security_token",
        "security_token_file",
        "iam:",
        "domain",
        "user",
        "password_file",
        "filters",
        "policy_ids",
        "cluster_ids",
        "instance_ids",
        "engine",
        "discover",
    ] {
        assert!(text.contains(key), "config.example.yaml lacks {key}");
    }
}

fn exporter() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cloud-task-exporter"));
    cmd.env_clear();
    cmd
}

#[test]
fn check_config_prints_ok_for_the_example() {
    let mut cmd = exporter();
    for v in [
        "YC_IAM_TOKEN",
        "HW_ACCESS_KEY",
        "HW_SECRET_KEY",
        "HW_IAM_PASSWORD",
    ] {
        cmd.env(v, env(v).unwrap());
    }
    let dir = tempfile::tempdir().unwrap();
    let path = example_in(dir.path());
    let out = cmd
        .arg(format!("--config.file={}", path.display()))
        .arg("--check-config")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.starts_with("OK"), "{stdout}");
    assert!(stdout.contains(" targets)"), "{stdout}");
    assert!(!stdout.contains("sk-example-secret"));
}

#[test]
fn check_config_prints_every_error_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.yaml");
    std::fs::write(
        &path,
        "targets:\n  - name: yc\n    provider: yandex_backup\n    auth: { iam_token: t, oauth_token: o }\n    compute_instance_ids: [a]\n    intervl: 5m\n",
    )
    .unwrap();
    let out = exporter()
        .arg(format!("--config.file={}", path.display()))
        .arg("--check-config")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let p = path.display();
    assert!(
        stderr.contains(&format!(
            "{p}:6: target 'yc': intervl: unknown key (did you mean 'interval'?)"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "{p}:4: target 'yc': auth: two auth methods given (iam_token, oauth_token)"
        )),
        "{stderr}"
    );
    // Without the environment the example names each unset variable.
    let out = exporter()
        .arg(format!("--config.file={}", example().display()))
        .arg("--check-config")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("environment variable YC_IAM_TOKEN is not set"),
        "{stderr}"
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
            "config.yaml:23: target 'kafka': expected_intervals: not a key of provider huawei_dms (it belongs to yandex_backup, huawei_vbs, huawei_cbr, huawei_cce)",
        ]
    );
}
