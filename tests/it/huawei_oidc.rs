//! OIDC federation against the simulator, through IAM (`auth.oidc`) and through STS
//! `assume-with-oidc` (`auth.oidc_sts`, the SDK chain's first step): the ID token exchanged for
//! temporary credentials that sign with their security token, the token file read at every
//! exchange, refresh ahead of expiry, one exchange for 50 targets, a broken source named with
//! reason `auth`, a failing source asked again only after a pause, the place of both in the
//! default chain (the SDK's), `HUAWEICLOUD_SDK_IAM_ENDPOINT` and
//! `HUAWEICLOUD_SDK_STS_ENDPOINT`, and no secret in any log line, metric or error.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use cloud_task_exporter::config::Target;
use cloud_task_exporter::provider::{Provider, Reason};
use cloud_task_exporter::sim::{FakeCloud, lock};

use crate::huawei_auth::{
    PROJECT, advance, cbr_with_env, list, load_error, logs_of, no_env, signed_with_token, start,
};
use crate::support::{self, BUCKETS};

const IDP: &str = "sim-github-actions";
const ID_TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.oidc-test-id-token-0123456789.c2lnbmF0dXJl";
const ROTATED: &str = "eyJhbGciOiJSUzI1NiJ9.oidc-test-rotated-9876543210.c2lnbmF0dXJl";
const DAY: Duration = Duration::from_secs(24 * 3600);
/// The SDK's 6 hours less its 40 minute margin, and a minute.
const BEFORE_REFRESH: Duration = Duration::from_secs((6 * 60 - 40 - 1) * 60);

/// A file holding `token`, in `dir`.
fn token_file(dir: &Path, token: &str) -> PathBuf {
    let f = dir.join("id-token");
    std::fs::write(&f, format!("{token}\n")).unwrap();
    f
}

/// `auth: { oidc: … }` with the file, IAM at the simulator.
fn oidc_keys(cloud: &FakeCloud, file: &Path) -> String {
    format!(
        "project_id: '{PROJECT}'\niam_endpoint: '{}'\nauth: {{ oidc: {{ idp_id: {IDP}, id_token_file: '{}' }} }}",
        cloud.url(),
        file.display()
    )
}

/// The environment the SDK reads for OIDC federation, IAM at `iam`.
fn oidc_env(iam: String, file: &Path) -> impl Fn(&str) -> Option<String> {
    let file = file.display().to_string();
    move |n: &str| match n {
        "HUAWEICLOUD_SDK_IDP_ID" => Some(IDP.to_string()),
        "HUAWEICLOUD_SDK_ID_TOKEN_FILE" => Some(file.clone()),
        "HUAWEICLOUD_SDK_IAM_ENDPOINT" => Some(iam.clone()),
        _ => None,
    }
}

fn body_of(r: &cloud_task_exporter::sim::LoggedRequest) -> serde_json::Value {
    serde_json::from_slice(&r.request.body).unwrap()
}

#[tokio::test]
async fn the_id_token_is_exchanged_signs_and_is_refreshed_before_expiry() {
    let cloud = start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = token_file(dir.path(), ID_TOKEN);
    lock(&cloud.sim().huawei).accept_id_token(IDP, ID_TOKEN, DAY);
    let t = cbr_with_env(&cloud.url(), &oidc_keys(&cloud, &file), &no_env);
    assert!(
        format!("{:?}", t.spec).contains("auth: Oidc"),
        "{:?}",
        t.spec
    );
    let p = support::provider(&t);
    let ctx = support::full_pass(2);
    p.list_tasks(PROJECT, &ctx).await.unwrap();
    let first = signed_with_token(&cloud);
    assert!(first.starts_with("gQsim"));
    {
        let st = lock(&cloud.sim().huawei);
        assert_eq!((st.id_token_exchanges(), st.federated_issued()), (1, 1));
    }
    // The SDK's two calls: the ID token with X-Idp-Id, then the token for 6 h of AK/SK.
    let x = cloud.sim().requests_to("huawei_iam_id_token");
    assert_eq!(x.len(), 1);
    assert_eq!(x[0].request.method, "POST");
    assert_eq!(x[0].status, 201);
    assert_eq!(x[0].request.header("x-idp-id"), Some(IDP));
    assert_eq!(body_of(&x[0])["auth"]["id_token"]["id"], ID_TOKEN);
    let s = cloud.sim().requests_to("huawei_iam_securitytokens");
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].status, 201);
    let b = body_of(&s[0]);
    assert_eq!(
        b["auth"]["identity"]["methods"],
        serde_json::json!(["token"])
    );
    assert_eq!(b["auth"]["identity"]["token"]["duration_seconds"], 21600);
    assert!(
        s[0].request.header("authorization").is_none(),
        "not signed, as in the SDK"
    );

    // The issuer rotates the ID token: the file is read again at the next exchange.
    std::fs::write(&file, ROTATED).unwrap();
    {
        let mut st = lock(&cloud.sim().huawei);
        st.revoke_id_tokens();
        st.accept_id_token(IDP, ROTATED, DAY);
    }
    // Reused until 40 minutes before the 6 h expiry (the SDK's margin)...
    advance(BEFORE_REFRESH).await;
    p.list_tasks(PROJECT, &ctx).await.unwrap();
    assert_eq!(lock(&cloud.sim().huawei).id_token_exchanges(), 1);
    // ...then exchanged anew before the API sees an old key.
    advance(Duration::from_secs(2 * 60)).await;
    cloud.sim().clear_requests();
    p.list_tasks(PROJECT, &ctx).await.unwrap();
    assert_eq!(lock(&cloud.sim().huawei).id_token_exchanges(), 2);
    let x = cloud.sim().requests_to("huawei_iam_id_token");
    assert_eq!(body_of(&x[0])["auth"]["id_token"]["id"], ROTATED);
    assert_eq!(cloud.sim().statuses_to("huawei_cbr"), vec![200]);
    assert_ne!(signed_with_token(&cloud), first);
}

#[tokio::test]
async fn fifty_targets_sharing_one_oidc_source_exchange_once() {
    let cloud = start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = token_file(dir.path(), ID_TOKEN);
    lock(&cloud.sim().huawei).accept_id_token(IDP, ID_TOKEN, DAY);
    // From the SDK's variables, IAM from HUAWEICLOUD_SDK_IAM_ENDPOINT.
    let env = oidc_env(cloud.url(), &file);
    let t = cbr_with_env(
        &cloud.url(),
        &format!("project_id: '{PROJECT}'\nauth: {{ oidc: {{}} }}"),
        &env,
    );
    let providers: Vec<_> = (0..50).map(|_| Arc::new(support::provider(&t))).collect();
    for round in 1..=2 {
        let mut set = tokio::task::JoinSet::new();
        for p in &providers {
            let p = Arc::clone(p);
            set.spawn(async move { p.list_tasks(PROJECT, &support::full_pass(2)).await });
        }
        while let Some(r) = set.join_next().await {
            r.unwrap().unwrap();
        }
        let issued = {
            let st = lock(&cloud.sim().huawei);
            (st.id_token_exchanges(), st.federated_issued())
        };
        assert_eq!(
            issued,
            (round, round),
            "one exchange per round for 50 targets"
        );
        advance(BEFORE_REFRESH + Duration::from_secs(2 * 60)).await;
    }
    assert!(
        cloud
            .sim()
            .statuses_to("huawei_cbr")
            .iter()
            .all(|s| *s == 200)
    );
}

#[tokio::test]
async fn a_broken_oidc_source_is_named_with_reason_auth() {
    let cloud = start().await;
    let dir = tempfile::tempdir().unwrap();
    // The token file missing: named, never a request.
    let gone = dir.path().join("gone");
    let t = cbr_with_env(&cloud.url(), &oidc_keys(&cloud, &gone), &no_env);
    let e = list(&t).await.unwrap_err();
    assert_eq!(e.reason, Reason::Auth);
    let name = format!(
        "credential source OIDC federation (identity provider {IDP}, ID token file {}) failed",
        gone.display()
    );
    assert!(e.message.contains(&name), "{}", e.message);
    assert!(
        e.message
            .contains(&format!("cannot read the ID token file {}", gone.display())),
        "{}",
        e.message
    );
    assert!(cloud.sim().requests_to("huawei_iam_id_token").is_empty());

    // IAM refuses the ID token (401): named with the status, the token never shown.
    let file = token_file(dir.path(), ID_TOKEN);
    lock(&cloud.sim().huawei).add_identity_provider(IDP);
    let t = cbr_with_env(&cloud.url(), &oidc_keys(&cloud, &file), &no_env);
    list_fails_with_auth(
        &cloud,
        &t,
        &[
            "credential source OIDC federation",
            "401",
            "The ID token is invalid",
        ],
    )
    .await;

    // An expired ID token, through a poll: the metric counts an `auth` error.
    let cloud = start().await;
    let file = token_file(dir.path(), ID_TOKEN);
    lock(&cloud.sim().huawei).accept_id_token(IDP, ID_TOKEN, Duration::from_secs(60));
    advance(Duration::from_secs(120)).await;
    let t = cbr_with_env(&cloud.url(), &oidc_keys(&cloud, &file), &no_env);
    poll_fails_with_auth(&t, "The ID token has expired").await;

    // What is missing at load is named.
    let e = load_error("project_id: p\nauth: { oidc: {} }", &no_env);
    assert!(
        e.contains("auth.oidc: HUAWEICLOUD_SDK_IDP_ID (or idp_id) and HUAWEICLOUD_SDK_ID_TOKEN_FILE (or id_token_file) not set"),
        "{e}"
    );
    let e = load_error(
        "project_id: p\nauth: { oidc: { idp_id: 'a b', id_token_file: /t } }",
        &no_env,
    );
    assert!(e.contains("must be visible ASCII"), "{e}");
    let e = load_error(
        "project_id: p\nauth: { oidc: { idp_id: x, id_token_file: /t }, metadata: true }",
        &no_env,
    );
    assert!(e.contains("two auth methods given (oidc, metadata)"), "{e}");
    // A malformed HUAWEICLOUD_SDK_IAM_ENDPOINT is not used, with a warning naming it.
    let yaml = "targets:\n  - name: hw\n    provider: huawei_cbr\n    region: ap-southeast-1\n    project_id: p\n    auth: { oidc: { idp_id: x, id_token_file: /t } }\n";
    let c = cloud_task_exporter::config::load_str_with_env(
        yaml,
        Path::new("config.yaml"),
        &|n: &str| (n == "HUAWEICLOUD_SDK_IAM_ENDPOINT").then(|| "iam.example".to_string()),
    )
    .unwrap();
    let w: Vec<String> = c.warnings.iter().map(|w| w.to_string()).collect();
    assert!(
        w.iter().any(|w| w.contains(
            "iam_endpoint: from HUAWEICLOUD_SDK_IAM_ENDPOINT: 'iam.example' is not a base URL"
        ) && w.contains("using the region's IAM endpoint")),
        "{w:?}"
    );
    assert!(
        !format!("{:?}", c.targets[0].spec).contains("iam.example"),
        "{:?}",
        c.targets[0].spec
    );
}

/// A source that never gave credentials is asked again after a pause (30 s, doubled at each
/// failure in a row, at most 5 minutes), not at every poll of every target, and not given up.
#[tokio::test]
async fn a_failing_source_is_asked_again_after_a_pause() {
    let cloud = start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = token_file(dir.path(), ID_TOKEN);
    lock(&cloud.sim().huawei).add_identity_provider(IDP);
    let t = cbr_with_env(&cloud.url(), &oidc_keys(&cloud, &file), &no_env);
    let providers: Vec<_> = (0..10).map(|_| support::provider(&t)).collect();
    let asked = || cloud.sim().requests_to("huawei_iam_id_token").len();
    let poll_all = || async {
        for p in &providers {
            let e = p
                .list_tasks(PROJECT, &support::full_pass(2))
                .await
                .unwrap_err();
            assert_eq!(e.reason, Reason::Auth);
            assert!(
                e.message.contains("credential source OIDC federation"),
                "{}",
                e.message
            );
        }
    };
    poll_all().await;
    assert_eq!(asked(), 1, "ten targets, one attempt");
    advance(Duration::from_secs(20)).await;
    let e = list(&t).await.unwrap_err();
    assert!(e.message.contains("asked again in 10s"), "{}", e.message);
    assert_eq!(asked(), 1);
    // The pause over: asked once more (and failing, the next pause is 60 s).
    advance(Duration::from_secs(11)).await;
    poll_all().await;
    assert_eq!(asked(), 2);
    advance(Duration::from_secs(59)).await;
    poll_all().await;
    assert_eq!(asked(), 2);
    advance(Duration::from_secs(2)).await;
    poll_all().await;
    assert_eq!(asked(), 3);
    // The pause grows to 5 minutes at most.
    for _ in 0..6 {
        advance(Duration::from_secs(5 * 60 + 1)).await;
        poll_all().await;
    }
    assert_eq!(asked(), 9);
    // Once IAM accepts the token, the next attempt after the pause works.
    lock(&cloud.sim().huawei).accept_id_token(IDP, ID_TOKEN, DAY);
    advance(Duration::from_secs(5 * 60 + 1)).await;
    for p in &providers {
        p.list_tasks(PROJECT, &support::full_pass(2)).await.unwrap();
    }
    assert_eq!(asked(), 10);
    assert_eq!(lock(&cloud.sim().huawei).federated_issued(), 1);
}

#[tokio::test]
async fn the_chain_takes_oidc_where_the_sdk_does() {
    let cloud = start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = token_file(dir.path(), ID_TOKEN);
    lock(&cloud.sim().huawei).accept_id_token(IDP, ID_TOKEN, DAY);
    let url = cloud.url();
    let home = dir.path().display().to_string();
    std::fs::create_dir(dir.path().join(".huaweicloud")).unwrap();
    let profile = dir.path().join(".huaweicloud/credentials");
    let chosen = |auth: &str, env: &dyn Fn(&str) -> Option<String>| {
        let t = cbr_with_env(&url, &format!("project_id: '{PROJECT}'\n{auth}"), env);
        let d = format!("{:?}", t.spec);
        ["Oidc", "Environment", "Profile", "Metadata"]
            .into_iter()
            .find(|k| d.contains(&format!("auth: {k}")))
            .unwrap()
            .to_string()
    };
    let file_s = file.display().to_string();
    // The environment's identity provider and ID token file come before its AK/SK
    // (`EnvCredentialProvider`), and the environment before the profile.
    let env_all = |n: &str| match n {
        "HUAWEICLOUD_SDK_IDP_ID" => Some(IDP.to_string()),
        "HUAWEICLOUD_SDK_ID_TOKEN_FILE" => Some(file_s.clone()),
        "HUAWEICLOUD_SDK_AK" | "HUAWEICLOUD_SDK_SK" => Some("x".to_string()),
        "HOME" => Some(home.clone()),
        _ => None,
    };
    let env_aksk = |n: &str| match n {
        "HUAWEICLOUD_SDK_AK" | "HUAWEICLOUD_SDK_SK" => Some("x".to_string()),
        "HOME" => Some(home.clone()),
        _ => None,
    };
    let half = |n: &str| match n {
        "HUAWEICLOUD_SDK_IDP_ID" => Some(IDP.to_string()),
        "HOME" => Some(home.clone()),
        _ => None,
    };
    // The profile's identity provider before its AK/SK (`ProfileCredentialProvider`), with
    // its `iam_endpoint`.
    std::fs::write(
        &profile,
        format!(
            "[basic]\nak = PROFAK\nsk = PROFSK\nidp_id = {IDP}\nid_token_file = {}\niam_endpoint = {url}\n",
            file.display()
        ),
    )
    .unwrap();
    for auth in ["auth: { chain: default }", ""] {
        assert_eq!(chosen(auth, &env_all), "Oidc");
        assert_eq!(chosen(auth, &env_aksk), "Environment");
        assert_eq!(chosen(auth, &half), "Oidc", "the profile's");
        assert_eq!(chosen(auth, &no_env), "Metadata");
    }
    assert_eq!(chosen("auth: { environment: true }", &env_all), "Oidc");
    assert_eq!(chosen("auth: { profile: {} }", &half), "Oidc");
    // From the profile: the exchange goes to its iam_endpoint (the region's is unreachable here).
    let t = cbr_with_env(
        &url,
        &format!("project_id: '{PROJECT}'\nauth: {{ chain: default }}"),
        &half,
    );
    list(&t).await.unwrap();
    assert_eq!(lock(&cloud.sim().huawei).id_token_exchanges(), 1);
    assert!(signed_with_token(&cloud).starts_with("gQsim"));
    // The profile without the pair: its AK/SK.
    std::fs::write(&profile, "[basic]\nak = PROFAK\nsk = PROFSK\n").unwrap();
    assert_eq!(chosen("", &half), "Profile");
}

#[tokio::test]
async fn no_id_token_key_or_security_token_in_logs_metrics_or_errors() {
    let cloud = start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = token_file(dir.path(), ID_TOKEN);
    lock(&cloud.sim().huawei).accept_id_token(IDP, ID_TOKEN, DAY);
    let t = cbr_with_env(&cloud.url(), &oidc_keys(&cloud, &file), &no_env);
    let mut errors = String::new();
    let mut metrics = String::new();
    let logs = logs_of(async {
        let mut runner = support::runner(&t, &BUCKETS);
        runner.poll_once().await.unwrap();
        metrics.push_str(&support::exposition_of(runner.snapshot(), &BUCKETS));
        // Every call after it refused (the key, then the exchange), logged and counted.
        cloud
            .sim()
            .inject(cloud_task_exporter::sim::FaultRule::service(
                "huawei_cbr",
                cloud_task_exporter::sim::Fault::EchoCredentials(401),
            ));
        cloud
            .sim()
            .inject(cloud_task_exporter::sim::FaultRule::service(
                "huawei_iam_id_token",
                cloud_task_exporter::sim::Fault::EchoCredentials(401),
            ));
        advance(Duration::from_secs(6 * 3600)).await;
        errors.push_str(&runner.poll_once().await.unwrap_err().to_string());
        metrics.push_str(&support::exposition_of(runner.snapshot(), &BUCKETS));
    })
    .await;
    assert!(!logs.is_empty());
    let mut secrets = vec![ID_TOKEN.to_string()];
    {
        let st = lock(&cloud.sim().huawei);
        secrets.extend(st.issued_secrets());
        secrets.extend(st.federated_tokens());
    }
    for r in cloud.sim().requests_to("huawei_cbr") {
        secrets.extend(r.request.header("x-security-token").map(str::to_string));
    }
    assert!(secrets.len() >= 4, "{}", secrets.len());
    for s in &secrets {
        assert!(!logs.contains(s.as_str()), "secret in the log");
        assert!(!errors.contains(s.as_str()), "secret in an error: {errors}");
        assert!(!metrics.contains(s.as_str()), "secret in a metric");
    }
}

/// The SDK's variables for the project and IAM: `HUAWEICLOUD_SDK_PROJECT_ID` is taken when the
/// environment is the source; without it the project is looked up at the IAM endpoint of
/// `HUAWEICLOUD_SDK_IAM_ENDPOINT`, signed with the exchanged credentials.
#[tokio::test]
async fn the_project_comes_from_the_environment_or_iam_at_its_endpoint() {
    let cloud = start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = token_file(dir.path(), ID_TOKEN);
    {
        let mut st = lock(&cloud.sim().huawei);
        st.accept_id_token(IDP, ID_TOKEN, DAY);
        st.projects = vec![("ap-southeast-1".into(), PROJECT.into())];
    }
    let env = oidc_env(cloud.url(), &file);
    let t = cbr_with_env(&cloud.url(), "auth: { environment: true }", &env);
    assert!(format!("{:?}", t.spec).contains("auth: Oidc"));
    support::provider(&t)
        .list_tasks("ap-southeast-1", &support::full_pass(2))
        .await
        .unwrap();
    let lookups = cloud.sim().requests_to("huawei_iam_projects");
    assert_eq!(lookups.len(), 1);
    assert_eq!(lookups[0].status, 200);
    assert!(lookups[0].request.header("x-security-token").is_some());
    for r in cloud.sim().requests_to("huawei_cbr") {
        assert!(r.request.path.starts_with(&format!("/v3/{PROJECT}/")));
    }

    let with_project = |n: &str| match n {
        "HUAWEICLOUD_SDK_PROJECT_ID" => Some(PROJECT.to_string()),
        other => env(other),
    };
    let t = cbr_with_env(&cloud.url(), "auth: { chain: default }", &with_project);
    assert!(
        format!("{:?}", t.spec).contains(&format!("project_id: Some(\"{PROJECT}\")")),
        "{:?}",
        t.spec
    );
}

// --- STS OIDC (`auth.oidc_sts`): `POST /v5/agencies/assume-with-oidc`.

const PROVIDER_URN: &str = "iam::sim0domain:identity-provider:github-actions";
const AGENCY_URN: &str = "iam::sim0domain:agency:task-exporter-reader";
/// STS OIDC's default lifetime (1 h) less its refresh margin (half of it), and a minute.
const STS_BEFORE_REFRESH: Duration = Duration::from_secs(29 * 60);

/// `auth: { oidc_sts: … }` with the file, STS at the simulator.
fn sts_keys(cloud: &FakeCloud, file: &Path, extra: &str) -> String {
    format!(
        "project_id: '{PROJECT}'\nauth: {{ oidc_sts: {{ provider_urn: '{PROVIDER_URN}', agency_urn: '{AGENCY_URN}', id_token_file: '{}', sts_endpoint: '{}'{extra} }} }}",
        file.display(),
        cloud.url()
    )
}

/// The variables the SDK's `OidcStsCredentialProvider` reads, STS at `sts`.
fn sts_env(sts: String, file: &Path) -> impl Fn(&str) -> Option<String> {
    let file = file.display().to_string();
    move |n: &str| match n {
        "HUAWEICLOUD_OIDC_PROVIDER_URN" => Some(PROVIDER_URN.to_string()),
        "HUAWEICLOUD_OIDC_AGENCY_URN" => Some(AGENCY_URN.to_string()),
        "HUAWEICLOUD_OIDC_TOKEN_FILE" => Some(file.clone()),
        "HUAWEICLOUD_SDK_STS_ENDPOINT" => Some(sts.clone()),
        _ => None,
    }
}

/// The simulator's agency trusting the provider, and `token` accepted for a day.
fn trust(cloud: &FakeCloud, token: &str) {
    let mut st = lock(&cloud.sim().huawei);
    st.add_oidc_agency(PROVIDER_URN, AGENCY_URN);
    st.accept_sts_id_token(PROVIDER_URN, token, DAY);
}

#[tokio::test]
async fn sts_oidc_exchanges_the_id_token_signs_and_refreshes_before_expiry() {
    let cloud = start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = token_file(dir.path(), ID_TOKEN);
    trust(&cloud, ID_TOKEN);
    let t = cbr_with_env(&cloud.url(), &sts_keys(&cloud, &file, ""), &no_env);
    assert!(
        format!("{:?}", t.spec).contains("auth: OidcSts"),
        "{:?}",
        t.spec
    );
    let p = support::provider(&t);
    let ctx = support::full_pass(2);
    p.list_tasks(PROJECT, &ctx).await.unwrap();
    let first = signed_with_token(&cloud);
    assert!(first.starts_with("gQsts"), "{first}");
    assert_eq!(lock(&cloud.sim().huawei).oidc_sts_issued(), 1);
    // The SDK's request: its five fields, its defaults, not signed.
    let x = cloud.sim().requests_to("huawei_sts_oidc");
    assert_eq!(x.len(), 1);
    assert_eq!((x[0].request.method.as_str(), x[0].status), ("POST", 200));
    assert_eq!(
        body_of(&x[0]),
        serde_json::json!({
            "provider_urn": PROVIDER_URN,
            "agency_urn": AGENCY_URN,
            "agency_session_name": "oidc-sts-session",
            "id_token": ID_TOKEN,
            "duration_seconds": 3600,
        })
    );
    assert!(x[0].request.header("authorization").is_none());
    assert!(x[0].request.header("x-security-token").is_none());
    assert!(
        cloud.sim().requests_to("huawei_iam_id_token").is_empty(),
        "not IAM federation"
    );

    // The issuer rotates the ID token: the file is read again at the next exchange.
    std::fs::write(&file, ROTATED).unwrap();
    {
        let mut st = lock(&cloud.sim().huawei);
        st.revoke_sts_id_tokens();
        st.accept_sts_id_token(PROVIDER_URN, ROTATED, DAY);
    }
    // Reused until half the hour is left (the SDK's 40 minutes do not fit in it)...
    advance(STS_BEFORE_REFRESH).await;
    p.list_tasks(PROJECT, &ctx).await.unwrap();
    assert_eq!(lock(&cloud.sim().huawei).oidc_sts_issued(), 1);
    // ...then exchanged anew before the API sees an old key.
    advance(Duration::from_secs(2 * 60)).await;
    cloud.sim().clear_requests();
    p.list_tasks(PROJECT, &ctx).await.unwrap();
    assert_eq!(lock(&cloud.sim().huawei).oidc_sts_issued(), 2);
    let x = cloud.sim().requests_to("huawei_sts_oidc");
    assert_eq!(body_of(&x[0])["id_token"], ROTATED);
    assert_eq!(cloud.sim().statuses_to("huawei_cbr"), vec![200]);
    assert_ne!(signed_with_token(&cloud), first);

    // The keys for the session name and the lifetime reach the request.
    let cloud = start().await;
    trust(&cloud, ROTATED);
    let extra = ", session_name: ci.run@42, duration_seconds: 7200";
    let t = cbr_with_env(&cloud.url(), &sts_keys(&cloud, &file, extra), &no_env);
    list(&t).await.unwrap();
    let b = body_of(&cloud.sim().requests_to("huawei_sts_oidc")[0]);
    assert_eq!(
        (&b["agency_session_name"], &b["duration_seconds"]),
        (&serde_json::json!("ci.run@42"), &serde_json::json!(7200))
    );
}

#[tokio::test]
async fn fifty_targets_sharing_one_sts_oidc_source_exchange_once() {
    let cloud = start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = token_file(dir.path(), ID_TOKEN);
    trust(&cloud, ID_TOKEN);
    // From the SDK's variables, STS from HUAWEICLOUD_SDK_STS_ENDPOINT.
    let env = sts_env(cloud.url(), &file);
    let t = cbr_with_env(
        &cloud.url(),
        &format!("project_id: '{PROJECT}'\nauth: {{ oidc_sts: {{}} }}"),
        &env,
    );
    let providers: Vec<_> = (0..50).map(|_| Arc::new(support::provider(&t))).collect();
    for round in 1..=2 {
        let mut set = tokio::task::JoinSet::new();
        for p in &providers {
            let p = Arc::clone(p);
            set.spawn(async move { p.list_tasks(PROJECT, &support::full_pass(2)).await });
        }
        while let Some(r) = set.join_next().await {
            r.unwrap().unwrap();
        }
        assert_eq!(
            lock(&cloud.sim().huawei).oidc_sts_issued(),
            round,
            "one exchange per round for 50 targets"
        );
        advance(STS_BEFORE_REFRESH + Duration::from_secs(2 * 60)).await;
    }
    assert!(
        cloud
            .sim()
            .statuses_to("huawei_cbr")
            .iter()
            .all(|s| *s == 200)
    );
}

#[tokio::test]
async fn a_broken_sts_oidc_source_is_named_with_reason_auth() {
    let cloud = start().await;
    let dir = tempfile::tempdir().unwrap();
    // The token file missing: named, never a request.
    let gone = dir.path().join("gone");
    let t = cbr_with_env(&cloud.url(), &sts_keys(&cloud, &gone, ""), &no_env);
    let e = list(&t).await.unwrap_err();
    assert_eq!(e.reason, Reason::Auth);
    let name = format!(
        "credential source STS OIDC (agency {AGENCY_URN}, ID token file {}) failed",
        gone.display()
    );
    assert!(e.message.contains(&name), "{}", e.message);
    assert!(
        e.message
            .contains(&format!("cannot read the ID token file {}", gone.display())),
        "{}",
        e.message
    );
    assert!(cloud.sim().requests_to("huawei_sts_oidc").is_empty());

    // The agency does not trust the provider (another does; 403): named with the status, no
    // token shown.
    let file = token_file(dir.path(), ID_TOKEN);
    {
        let mut st = lock(&cloud.sim().huawei);
        st.add_oidc_agency(PROVIDER_URN, "iam::sim0domain:agency:another");
        st.accept_sts_id_token(PROVIDER_URN, ID_TOKEN, DAY);
    }
    let t = cbr_with_env(&cloud.url(), &sts_keys(&cloud, &file, ""), &no_env);
    list_fails_with_auth(
        &cloud,
        &t,
        &[
            "credential source STS OIDC",
            "403",
            "does not trust this identity provider",
        ],
    )
    .await;

    // An expired ID token, through a poll: the metric counts an `auth` error.
    let cloud = start().await;
    {
        let mut st = lock(&cloud.sim().huawei);
        st.add_oidc_agency(PROVIDER_URN, AGENCY_URN);
        st.accept_sts_id_token(PROVIDER_URN, ID_TOKEN, Duration::from_secs(60));
    }
    advance(Duration::from_secs(120)).await;
    let t = cbr_with_env(&cloud.url(), &sts_keys(&cloud, &file, ""), &no_env);
    poll_fails_with_auth(&t, "The OIDC token has expired").await;

    // What is missing or wrong at load is named.
    let e = load_error("project_id: p\nauth: { oidc_sts: {} }", &no_env);
    assert!(
        e.contains("auth.oidc_sts: HUAWEICLOUD_OIDC_PROVIDER_URN (or provider_urn) and HUAWEICLOUD_OIDC_AGENCY_URN (or agency_urn) and HUAWEICLOUD_OIDC_ID_TOKEN or HUAWEICLOUD_OIDC_TOKEN_FILE (or id_token_file) not set"),
        "{e}"
    );
    let base =
        "project_id: p\nauth: { oidc_sts: { provider_urn: a, agency_urn: b, id_token_file: /t";
    let e = load_error(&format!("{base}, session_name: 'a b' }} }}"), &no_env);
    assert!(e.contains("session_name: 2 to 128"), "{e}");
    let e = load_error(&format!("{base}, duration_seconds: 60 }} }}"), &no_env);
    assert!(e.contains("duration_seconds"), "{e}");
    let e = load_error(&format!("{base}, sts_endpoint: sts.example }} }}"), &no_env);
    assert!(e.contains("sts_endpoint"), "{e}");
    let e = load_error(&format!("{base} }}, metadata: true }}"), &no_env);
    assert!(
        e.contains("two auth methods given (oidc_sts, metadata)"),
        "{e}"
    );
    let e = load_error(&format!("{base} }} }}"), &|n: &str| {
        (n == "HUAWEICLOUD_OIDC_DURATION_SECONDS").then(|| "lots".to_string())
    });
    assert!(
        e.contains("HUAWEICLOUD_OIDC_DURATION_SECONDS: not a number of seconds from 900 to 43200"),
        "{e}"
    );
}

/// The default chain in the order of the SDK's
/// `CredentialProviderChain.get_basic_credential_provider_chain`
/// (`huaweicloudsdkcore/auth/provider.py`): `OidcStsCredentialProvider`,
/// `EnvCredentialProvider`, `ProfileCredentialProvider`, `MetadataCredentialProvider`,
/// `PodIdentityCredentialProvider`. Every source is offered, then the first taken away, and so
/// on: each time the first one left is chosen.
#[tokio::test]
async fn the_chain_takes_sts_oidc_first_as_the_sdk_does() {
    let cloud = start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = token_file(dir.path(), ID_TOKEN);
    trust(&cloud, ID_TOKEN);
    let url = cloud.url();
    let home = dir.path().display().to_string();
    std::fs::create_dir(dir.path().join(".huaweicloud")).unwrap();
    std::fs::write(
        dir.path().join(".huaweicloud/credentials"),
        "[basic]\nak = PROFAK\nsk = PROFSK\n",
    )
    .unwrap();
    let sts = sts_env(url.clone(), &file);
    let all = |skip: usize| {
        let sts = &sts;
        let home = home.clone();
        move |n: &str| match n {
            n if n.starts_with("HUAWEICLOUD_OIDC_") || n == "HUAWEICLOUD_SDK_STS_ENDPOINT" => {
                if skip > 0 {
                    None
                } else {
                    sts(n)
                }
            }
            "HUAWEICLOUD_SDK_AK" | "HUAWEICLOUD_SDK_SK" if skip < 2 => Some("x".to_string()),
            "HOME" if skip < 3 => Some(home.clone()),
            _ => None,
        }
    };
    let chosen = |auth: &str, env: &dyn Fn(&str) -> Option<String>| {
        let t = cbr_with_env(&url, &format!("project_id: '{PROJECT}'\n{auth}"), env);
        let d = format!("{:?}", t.spec);
        ["OidcSts", "Oidc", "Environment", "Profile", "Metadata"]
            .into_iter()
            .find(|k| d.contains(&format!("auth: {k} {{")) || d.contains(&format!("auth: {k}(")))
            .unwrap_or_else(|| panic!("{d}"))
            .to_string()
    };
    for auth in ["auth: { chain: default }", ""] {
        let order: Vec<String> = (0..4).map(|skip| chosen(auth, &all(skip))).collect();
        assert_eq!(order, ["OidcSts", "Environment", "Profile", "Metadata"]);
    }
    // Before the environment's IAM federation too.
    let with_idp = |n: &str| match n {
        "HUAWEICLOUD_SDK_IDP_ID" => Some(IDP.to_string()),
        "HUAWEICLOUD_SDK_ID_TOKEN_FILE" => Some(file.display().to_string()),
        other => sts(other),
    };
    assert_eq!(chosen("", &with_idp), "OidcSts");
    // HUAWEICLOUD_OIDC_ID_TOKEN (the token itself) serves as the file does.
    let inline = |n: &str| match n {
        "HUAWEICLOUD_OIDC_TOKEN_FILE" => None,
        "HUAWEICLOUD_OIDC_ID_TOKEN" => Some(ID_TOKEN.to_string()),
        other => sts(other),
    };
    assert_eq!(chosen("", &inline), "OidcSts");
    // The URNs set but no ID token (or its file missing): skipped as the SDK skips a source
    // that raises, with a warning.
    let missing = dir.path().join("missing");
    let no_token = |n: &str| match n {
        "HUAWEICLOUD_OIDC_TOKEN_FILE" => Some(missing.display().to_string()),
        "HUAWEICLOUD_SDK_AK" | "HUAWEICLOUD_SDK_SK" => Some("x".to_string()),
        other => sts(other),
    };
    assert_eq!(chosen("", &no_token), "Environment");
    let yaml = "targets:\n  - name: hw\n    provider: huawei_cbr\n    region: ap-southeast-1\n    project_id: p\n";
    let c = cloud_task_exporter::config::load_str_with_env(yaml, Path::new("c.yaml"), &no_token)
        .unwrap();
    let w: Vec<String> = c.warnings.iter().map(|w| w.to_string()).collect();
    assert!(
        w.iter()
            .any(|w| w.contains("is missing or empty: the default chain skips STS OIDC")),
        "{w:?}"
    );
    // The project from HUAWEICLOUD_SDK_PROJECT_ID, as the SDK's provider takes it.
    let with_project = |n: &str| match n {
        "HUAWEICLOUD_SDK_PROJECT_ID" => Some(PROJECT.to_string()),
        other => sts(other),
    };
    let t = cbr_with_env(&url, "", &with_project);
    assert!(
        format!("{:?}", t.spec).contains(&format!("project_id: Some(\"{PROJECT}\")")),
        "{:?}",
        t.spec
    );
    // Chosen by the chain, it works: the exchange at HUAWEICLOUD_SDK_STS_ENDPOINT.
    list(&t).await.unwrap();
    assert_eq!(lock(&cloud.sim().huawei).oidc_sts_issued(), 1);
    assert!(signed_with_token(&cloud).starts_with("gQsts"));
}

#[tokio::test]
async fn no_sts_id_token_key_or_security_token_in_logs_metrics_or_errors() {
    let cloud = start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = token_file(dir.path(), ID_TOKEN);
    trust(&cloud, ID_TOKEN);
    let t = cbr_with_env(&cloud.url(), &sts_keys(&cloud, &file, ""), &no_env);
    let mut errors = String::new();
    let mut metrics = String::new();
    let logs = logs_of(async {
        let mut runner = support::runner(&t, &BUCKETS);
        runner.poll_once().await.unwrap();
        metrics.push_str(&support::exposition_of(runner.snapshot(), &BUCKETS));
        // Every call after it refused, echoing what it was sent (the key, then the exchange).
        for service in ["huawei_cbr", "huawei_sts_oidc"] {
            cloud
                .sim()
                .inject(cloud_task_exporter::sim::FaultRule::service(
                    service,
                    cloud_task_exporter::sim::Fault::EchoCredentials(401),
                ));
        }
        advance(Duration::from_secs(3600)).await;
        errors.push_str(&runner.poll_once().await.unwrap_err().to_string());
        metrics.push_str(&support::exposition_of(runner.snapshot(), &BUCKETS));
    })
    .await;
    assert!(!logs.is_empty());
    assert!(
        cloud.sim().requests_to("huawei_sts_oidc").len() >= 2,
        "the exchange was refused too"
    );
    let mut secrets = vec![ID_TOKEN.to_string()];
    secrets.extend(lock(&cloud.sim().huawei).issued_secrets());
    for r in cloud.sim().requests_to("huawei_cbr") {
        secrets.extend(r.request.header("x-security-token").map(str::to_string));
    }
    assert!(secrets.len() >= 3, "{}", secrets.len());
    for s in &secrets {
        assert!(!logs.contains(s.as_str()), "secret in the log");
        assert!(!errors.contains(s.as_str()), "secret in an error: {errors}");
        assert!(!metrics.contains(s.as_str()), "secret in a metric");
    }
}

/// Polls `t` once: the poll fails with reason `auth` and a message containing `message`,
/// the target's metrics count one `auth` error, and the ID token is in none of them.
async fn poll_fails_with_auth(t: &Target, message: &str) {
    let mut runner = support::runner(t, &BUCKETS);
    let e = runner.poll_once().await.unwrap_err();
    assert_eq!(e.reason, Reason::Auth);
    assert!(e.message.contains(message), "{}", e.message);
    let metrics = support::exposition_of(runner.snapshot(), &BUCKETS);
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("cloud_task_target_poll_errors_total{")
                && l.contains("reason=\"auth\"")
                && l.ends_with(" 1")),
        "{metrics}"
    );
    assert!(!metrics.contains(ID_TOKEN) && !e.message.contains(ID_TOKEN));
}

/// Lists `t` once: it fails with reason `auth`, its message holds each of `parts`, the ID
/// token is in neither the error nor the logs, and no CBR request was sent.
async fn list_fails_with_auth(cloud: &FakeCloud, t: &Target, parts: &[&str]) {
    let mut errors = String::new();
    let logs = logs_of(async {
        let e = list(t).await.unwrap_err();
        assert_eq!(e.reason, Reason::Auth);
        for part in parts {
            assert!(e.message.contains(part), "{part}: {}", e.message);
        }
        errors.push_str(&e.to_string());
    })
    .await;
    assert!(!errors.contains(ID_TOKEN) && !logs.contains(ID_TOKEN));
    assert!(cloud.sim().requests_to("huawei_cbr").is_empty());
}
