//! Errors in what a target is and polls: its name, its provider, its units (an id list or
//! `discover`), the provider's own keys (engine, region, project, CBR filters), its
//! endpoints and its labels.

use cloud_task_exporter::config::RESERVED_LABELS;

use super::{error, errors};

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
            "config.yaml:8: target 'b': provider: unknown provider 'aws_batch'; one of yandex_backup, huawei_vbs, huawei_cbr, huawei_cce, huawei_dms, aws_backup",
            "config.yaml:9: target 'c': provider: missing; one of yandex_backup, huawei_vbs, huawei_cbr, huawei_cce, huawei_dms, aws_backup",
        ]
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
fn missing_region_and_project_id() {
    let errs = errors(
        "
targets:
  - name: hw
    provider: huawei_cbr
    auth: { access_key: a, secret_key: b }
",
    );
    // An absent project_id is looked up from IAM by the region's name at the first poll;
    // only an IAM user needs it written (tests/it/huawei_auth.rs).
    assert_eq!(
        errs,
        ["config.yaml:3: target 'hw': region: missing (required for huawei_cbr)"]
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

/// Discovery keys are the provider's own: a Yandex `discover:` needs its `folder_id`, a
/// Huawei one has only the shared `interval`, and credentials beside a target belong under
/// `auth:` (the providers' `auth:` keys, whichever provider the target has).
#[test]
fn discovery_and_credential_keys_are_the_providers_own() {
    let errs = errors(
        "
targets:
  - name: yc
    provider: yandex_backup
    auth: { iam_token: t }
    discover: true
  - name: vbs
    provider: huawei_vbs
    region: r
    project_id: p
    auth: { access_key: a, secret_key: b }
    discover: { folder_id: b1g }
  - name: cce
    provider: huawei_cce
    region: r
    project_id: p
    access_key: a
    auth: { access_key: a, secret_key: b }
    cluster_ids: [c1]
",
    );
    assert_eq!(
        errs,
        [
            "config.yaml:6: target 'yc': discover: needs a folder_id: discover: { folder_id: ... }",
            "config.yaml:12: target 'vbs': discover.folder_id: unknown key; expected one of: interval",
            "config.yaml:17: target 'cce': access_key: unknown key; credentials go under 'auth:'",
        ]
    );
}
