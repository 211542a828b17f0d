//! Values from outside the file: `${VAR}` in every string, `*_file` secrets read relative to
//! the config, service-account keys inline or in a file; and secrets never print.

use cloud_task_exporter::config::Config;
use cloud_task_exporter::provider::TargetSpec;
use cloud_task_exporter::provider::huawei::Auth as HuaweiAuth;
use cloud_task_exporter::provider::yandex_backup::Auth as YandexAuth;
use cloud_task_exporter::sim::yandex::TEST_PRIVATE_KEY_PEM;

use super::{error, errors, ok};

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
    assert_eq!(cbr.common.project_id.as_deref(), Some("p-50"));
    let HuaweiAuth::AkSk { secret_key, .. } = &cbr.common.auth else {
        panic!()
    };
    assert_eq!(secret_key.expose(), "sk-example-secret");
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
