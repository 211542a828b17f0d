//! Errors in a target's `auth:`: exactly one method, and all that method needs.

use super::{error, errors};

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
    auth: {}
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
        "config.yaml:12: target 'hw': auth: no auth method given (access_key + secret_key, iam, environment: true, profile, oidc, oidc_sts, metadata: true, pod_identity: true, or chain: default)"
    );
    assert_eq!(
        errs[2],
        "config.yaml:18: target 'hw2': auth.secret_key: missing (secret_key or secret_key_file is required for AK/SK signing)"
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
