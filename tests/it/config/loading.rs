//! Valid configs and what they load to: the built-in defaults, `defaults:` and a target's
//! own settings over them, every provider's and every global key, YAML anchors and merge
//! keys.

use std::path::PathBuf;
use std::time::Duration;

use cloud_task_exporter::config::{DEFAULT_DURATION_BUCKETS, Resources, Settings, Shard};
use cloud_task_exporter::provider::huawei::Auth as HuaweiAuth;
use cloud_task_exporter::provider::huawei_dms::Engine as DmsEngine;
use cloud_task_exporter::provider::yandex_backup::Auth as YandexAuth;
use cloud_task_exporter::provider::{ProviderKind, TargetSpec};

use super::{YC, ok};

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
    assert_eq!(y.folder_id.as_deref(), Some("b1gfolder"));
    assert_eq!(d.interval, Duration::from_secs(600));

    let TargetSpec::HuaweiCbr(cbr) = &c.targets[1].spec else {
        panic!()
    };
    assert_eq!(cbr.common.region, "eu-west-101");
    assert_eq!(cbr.common.project_id.as_deref(), Some("0123"));
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
        matches!(&vbs.resources, Resources::Discover(d) if d.interval == Duration::from_secs(3600))
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
