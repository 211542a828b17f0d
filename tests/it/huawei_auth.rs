//! Huawei credential sources against the simulator: the environment, the profile file, the
//! ECS metadata service (refresh ahead of expiry, one refresh for 50 targets, a failed
//! refresh keeping the last good credentials, a broken source named), and the default chain
//! (CCE pod identity, its last step: `huawei_pod_identity.rs`).

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cloud_task_exporter::config::{self, Target};
use cloud_task_exporter::provider::{Provider, Reason};
use cloud_task_exporter::sim::{FakeCloud, Fault, FaultRule, Sim, lock};

use crate::support;

pub(crate) const PROJECT: &str = "0123456789abcdef0123456789abcdef";
const ENV_AK: &str = "ENVAKEXAMPLE00000001";
const ENV_SK: &str = "env-secret-key-0123456789abcdefghijklmn";
const ENV_TOKEN: &str = "env-security-token-0123456789abcdef";
const PROFILE_AK: &str = "PROFILEAKEXAMPLE0001";
const PROFILE_SK: &str = "profile-secret-key-0123456789abcdefgh";

/// A CBR target whose config is `keys` (under `provider: huawei_cbr`), loaded with `env` as
/// the process environment.
pub(crate) fn cbr_with_env(url: &str, keys: &str, env: &dyn Fn(&str) -> Option<String>) -> Target {
    let mut yaml = format!(
        "targets:\n  - name: hw\n    endpoint: '{url}'\n    provider: huawei_cbr\n    region: ap-southeast-1\n"
    );
    for line in keys.lines() {
        yaml.push_str(&format!("    {line}\n"));
    }
    let config = config::load_str_with_env(&yaml, Path::new("test.yaml"), env)
        .unwrap_or_else(|e| panic!("{yaml}{e}"));
    let mut t = config.targets.into_iter().next().expect("one target");
    t.settings = support::settings(2);
    t
}

pub(crate) fn load_error(keys: &str, env: &dyn Fn(&str) -> Option<String>) -> String {
    let mut yaml = "targets:\n  - name: hw\n    provider: huawei_cbr\n    region: ap-southeast-1\n"
        .to_string();
    for line in keys.lines() {
        yaml.push_str(&format!("    {line}\n"));
    }
    config::load_str_with_env(&yaml, Path::new("config.yaml"), env)
        .unwrap_err()
        .to_string()
}

pub(crate) fn no_env(_: &str) -> Option<String> {
    None
}

fn metadata(url: &str) -> String {
    format!("project_id: '{PROJECT}'\nauth: {{ metadata: true, metadata_url: '{url}' }}")
}

pub(crate) async fn start() -> FakeCloud {
    FakeCloud::start(Sim::new()).await.unwrap()
}

pub(crate) async fn list(
    t: &Target,
) -> Result<usize, cloud_task_exporter::provider::ProviderError> {
    let p = support::provider(t);
    p.list_tasks(PROJECT, &support::full_pass(2))
        .await
        .map(|l| l.tasks.len())
}

/// The last request to CBR carried and signed the security token `token`.
pub(crate) fn signed_with_token(cloud: &FakeCloud) -> String {
    let reqs = cloud.sim().requests_to("huawei_cbr");
    let r = &reqs.last().expect("a CBR request").request;
    assert!(
        r.header("authorization")
            .unwrap()
            .contains("x-security-token"),
        "the token is signed"
    );
    r.header("x-security-token").unwrap().to_string()
}

/// Moves tokio's clock on by `d` (the simulator's expiries and the client's refresh times
/// follow it; the wall clock in signatures does not).
pub(crate) async fn advance(d: Duration) {
    tokio::time::pause();
    tokio::time::advance(d).await;
    tokio::time::resume();
}

#[tokio::test]
async fn environment_keys_sign_and_give_the_project() {
    let cloud = start().await;
    lock(&cloud.sim().huawei).add_temporary_aksk(ENV_AK, ENV_SK, ENV_TOKEN);
    let env = |n: &str| match n {
        "HUAWEICLOUD_SDK_AK" => Some(ENV_AK.to_string()),
        "HUAWEICLOUD_SDK_SK" => Some(ENV_SK.to_string()),
        "HUAWEICLOUD_SDK_SECURITY_TOKEN" => Some(ENV_TOKEN.to_string()),
        "HUAWEICLOUD_SDK_PROJECT_ID" => Some(PROJECT.to_string()),
        _ => None,
    };
    // No project_id: the environment's.
    let t = cbr_with_env(&cloud.url(), "auth: { environment: true }", &env);
    list(&t).await.unwrap();
    assert_eq!(signed_with_token(&cloud), ENV_TOKEN);
    let reqs = cloud.sim().requests_to("huawei_cbr");
    assert!(reqs[0].request.path.contains(PROJECT));
    assert!(reqs.iter().all(|r| r.status == 200));

    // A missing variable is a config error naming it.
    let e = load_error(
        &format!("project_id: '{PROJECT}'\nauth: {{ environment: true }}"),
        &|n: &str| (n == "HUAWEICLOUD_SDK_AK").then(|| ENV_AK.to_string()),
    );
    assert_eq!(
        e,
        "config.yaml:6: target 'hw': auth: environment: HUAWEICLOUD_SDK_SK not set in the environment"
    );
    assert!(!e.contains(ENV_AK));
}

#[tokio::test]
async fn profile_file_signs_as_the_sdk_reads_it() {
    let cloud = start().await;
    lock(&cloud.sim().huawei).add_aksk(PROFILE_AK, PROFILE_SK);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("credentials");
    std::fs::write(
        &file,
        format!(
            "[basic]\nak = {PROFILE_AK}\nsk = {PROFILE_SK}\nproject_id = {PROJECT}\n\n[ops]\nak = X\n"
        ),
    )
    .unwrap();
    let keys = format!("auth: {{ profile: {{ file: '{}' }} }}", file.display());
    let t = cbr_with_env(&cloud.url(), &keys, &no_env);
    list(&t).await.unwrap();
    let reqs = cloud.sim().requests_to("huawei_cbr");
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].status, 200);
    assert!(reqs[0].request.header("x-security-token").is_none());

    // HUAWEICLOUD_SDK_CREDENTIALS_FILE names the file when `file` is absent.
    let path = file.display().to_string();
    let env = move |n: &str| (n == "HUAWEICLOUD_SDK_CREDENTIALS_FILE").then(|| path.clone());
    let t = cbr_with_env(&cloud.url(), "auth: { profile: {} }", &env);
    list(&t).await.unwrap();

    // A section without ak and sk is an error naming the file and the section, not a value.
    let e = load_error(
        &format!(
            "project_id: '{PROJECT}'\nauth: {{ profile: {{ file: '{}', name: ops }} }}",
            file.display()
        ),
        &no_env,
    );
    assert!(e.contains("[ops] of credentials file"), "{e}");
    assert!(e.contains("needs ak and sk"), "{e}");
    let e = load_error(
        &format!(
            "project_id: '{PROJECT}'\nauth: {{ profile: {{ file: '{}', name: nope }} }}",
            file.display()
        ),
        &no_env,
    );
    assert!(e.contains("has no [nope] section"), "{e}");
    assert!(!e.contains(PROFILE_SK));
}

#[tokio::test]
async fn metadata_credentials_sign_with_their_token_and_refresh_before_expiry() {
    let cloud = start().await;
    lock(&cloud.sim().huawei).metadata_ttl = Duration::from_secs(2 * 3600);
    let t = cbr_with_env(&cloud.url(), &metadata(&cloud.url()), &no_env);
    let p = support::provider(&t);
    let ctx = support::full_pass(2);
    p.list_tasks(PROJECT, &ctx).await.unwrap();
    let first = signed_with_token(&cloud);
    assert!(first.starts_with("gQsim"));
    assert_eq!(lock(&cloud.sim().huawei).metadata_issued(), 1);
    let md = cloud.sim().requests_to("huawei_metadata");
    assert_eq!(md[0].request.method, "PUT", "the session token first");
    assert!(md[1].request.header("x-metadata-token").is_some());

    // Reused until 40 minutes before the 2 h expiry (the SDK's margin)...
    advance(Duration::from_secs(79 * 60)).await;
    p.list_tasks(PROJECT, &ctx).await.unwrap();
    assert_eq!(lock(&cloud.sim().huawei).metadata_issued(), 1);
    // ...then replaced before the API sees an old key: no 401 on the way.
    advance(Duration::from_secs(2 * 60)).await;
    cloud.sim().clear_requests();
    p.list_tasks(PROJECT, &ctx).await.unwrap();
    assert_eq!(lock(&cloud.sim().huawei).metadata_issued(), 2);
    assert_eq!(cloud.sim().statuses_to("huawei_cbr"), vec![200]);
    assert_ne!(signed_with_token(&cloud), first);
}

#[tokio::test]
async fn fifty_targets_sharing_the_metadata_service_refresh_once() {
    let cloud = start().await;
    lock(&cloud.sim().huawei).metadata_ttl = Duration::from_secs(2 * 3600);
    let t = cbr_with_env(&cloud.url(), &metadata(&cloud.url()), &no_env);
    let providers: Vec<_> = (0..50).map(|_| Arc::new(support::provider(&t))).collect();
    let all = |ps: &[Arc<cloud_task_exporter::provider::AnyProvider>]| {
        let mut set = tokio::task::JoinSet::new();
        for p in ps {
            let p = Arc::clone(p);
            set.spawn(async move { p.list_tasks(PROJECT, &support::full_pass(2)).await });
        }
        set
    };
    let mut set = all(&providers);
    while let Some(r) = set.join_next().await {
        r.unwrap().unwrap();
    }
    assert_eq!(lock(&cloud.sim().huawei).metadata_issued(), 1);
    advance(Duration::from_secs(81 * 60)).await;
    let mut set = all(&providers);
    while let Some(r) = set.join_next().await {
        r.unwrap().unwrap();
    }
    assert_eq!(
        lock(&cloud.sim().huawei).metadata_issued(),
        2,
        "one refresh for 50 targets"
    );
    assert!(
        cloud
            .sim()
            .statuses_to("huawei_cbr")
            .iter()
            .all(|s| *s == 200)
    );
}

#[tokio::test]
async fn a_failed_refresh_keeps_the_last_credentials_until_they_expire() {
    let cloud = start().await;
    lock(&cloud.sim().huawei).metadata_ttl = Duration::from_secs(2 * 3600);
    let t = cbr_with_env(&cloud.url(), &metadata(&cloud.url()), &no_env);
    let p = support::provider(&t);
    let ctx = support::full_pass(2);
    p.list_tasks(PROJECT, &ctx).await.unwrap();
    cloud.sim().inject(FaultRule::service(
        "huawei_metadata",
        Fault::Status {
            status: 500,
            body: "metadata service unavailable".into(),
            retry_after: None,
        },
    ));
    advance(Duration::from_secs(81 * 60)).await;
    p.list_tasks(PROJECT, &ctx).await.unwrap();
    assert_eq!(lock(&cloud.sim().huawei).metadata_issued(), 1);
    advance(Duration::from_secs(40 * 60)).await;
    let e = p.list_tasks(PROJECT, &ctx).await.unwrap_err();
    assert_eq!(e.reason, Reason::Auth);
    assert!(
        e.message.contains(&format!(
            "credential source ECS metadata ({}/openstack/latest/securitykey) failed",
            cloud.url()
        )),
        "{}",
        e.message
    );
    assert!(e.message.contains("500"), "{}", e.message);
}

#[tokio::test]
async fn a_metadata_service_without_an_agency_is_an_auth_error_naming_it() {
    let cloud = start().await;
    lock(&cloud.sim().huawei).agency = false;
    let t = cbr_with_env(&cloud.url(), &metadata(&cloud.url()), &no_env);
    let e = list(&t).await.unwrap_err();
    assert_eq!(e.reason, Reason::Auth);
    assert!(e.message.contains("ECS metadata"), "{}", e.message);
    assert!(e.message.contains("HTTP 404"), "{}", e.message);
    assert!(e.message.contains("no agency attached"), "{}", e.message);
    assert!(cloud.sim().requests_to("huawei_cbr").is_empty());
}

#[test]
fn the_chain_follows_the_sdk_order() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".huaweicloud")).unwrap();
    std::fs::write(
        dir.path().join(".huaweicloud/credentials"),
        format!("[basic]\nak = {PROFILE_AK}\nsk = {PROFILE_SK}\n"),
    )
    .unwrap();
    let home = dir.path().display().to_string();
    let chosen = |auth: &str, env: &dyn Fn(&str) -> Option<String>| {
        let t = cbr_with_env("http://127.0.0.1:1", &format!("project_id: p\n{auth}"), env);
        let d = format!("{:?}", t.spec);
        for secret in [ENV_SK, PROFILE_SK] {
            assert!(!d.contains(secret), "{d}");
        }
        ["Environment", "Profile", "Metadata", "AkSk"]
            .into_iter()
            .find(|k| d.contains(&format!("auth: {k}")))
            .unwrap()
            .to_string()
    };
    let both = |n: &str| match n {
        "HUAWEICLOUD_SDK_AK" => Some(ENV_AK.to_string()),
        "HUAWEICLOUD_SDK_SK" => Some(ENV_SK.to_string()),
        "HOME" => Some(home.clone()),
        _ => None,
    };
    let only_home = |n: &str| (n == "HOME").then(|| home.clone());
    let half_env = |n: &str| match n {
        "HUAWEICLOUD_SDK_AK" => Some(ENV_AK.to_string()),
        "HOME" => Some(home.clone()),
        _ => None,
    };
    // Environment first, then the profile (an incomplete environment is skipped, as the SDK
    // skips a provider that raises), then metadata; no `auth:` is the same chain.
    for auth in ["auth: { chain: default }", ""] {
        assert_eq!(chosen(auth, &both), "Environment");
        assert_eq!(chosen(auth, &half_env), "Profile");
        assert_eq!(chosen(auth, &only_home), "Profile");
        assert_eq!(chosen(auth, &no_env), "Metadata");
    }
    let e = load_error("project_id: p\nauth: { chain: custom }", &no_env);
    assert!(e.contains("'custom' is not a chain"), "{e}");
    let e = load_error(
        "project_id: p\nauth: { environment: true, metadata: true }",
        &no_env,
    );
    assert!(
        e.contains("two auth methods given (environment, metadata)"),
        "{e}"
    );
    let e = load_error(
        "project_id: p\nauth: { environment: true, metadata_url: 'http://x' }",
        &no_env,
    );
    assert!(
        e.contains("only used with 'metadata: true' or 'chain: default'"),
        "{e}"
    );
    // An IAM user needs project_id (its token is scoped to it); other sources look it up.
    let e = load_error(
        "auth: { iam: { domain: d, user: u, password: p } }",
        &no_env,
    );
    assert!(
        e.contains("project_id: missing (required for huawei_cbr with an IAM user)"),
        "{e}"
    );
}

/// Every log line written while `f` runs, at debug level.
pub(crate) async fn logs_of<F: std::future::Future<Output = ()>>(f: F) -> String {
    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buf = Buf::default();
    let out = buf.clone();
    let sub = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || buf.clone())
        .finish();
    let guard = tracing::subscriber::set_default(sub);
    // A callsite another test registered while this subscriber was being made may have
    // cached "no one listens" (tracing's interest cache is global): ask every callsite again.
    tracing::callsite::rebuild_interest_cache();
    f.await;
    drop(guard);
    String::from_utf8(out.0.lock().unwrap().clone()).unwrap()
}

#[tokio::test]
async fn no_issued_or_configured_secret_in_logs_or_errors() {
    let cloud = start().await;
    lock(&cloud.sim().huawei).metadata_ttl = Duration::from_secs(2 * 3600);
    lock(&cloud.sim().huawei).add_temporary_aksk(ENV_AK, ENV_SK, ENV_TOKEN);
    let env = |n: &str| match n {
        "HUAWEICLOUD_SDK_AK" => Some(ENV_AK.to_string()),
        "HUAWEICLOUD_SDK_SK" => Some(ENV_SK.to_string()),
        "HUAWEICLOUD_SDK_SECURITY_TOKEN" => Some(ENV_TOKEN.to_string()),
        _ => None,
    };
    let md = cbr_with_env(&cloud.url(), &metadata(&cloud.url()), &no_env);
    let from_env = cbr_with_env(
        &cloud.url(),
        &format!("project_id: '{PROJECT}'\nauth: {{ chain: default }}"),
        &env,
    );
    let mut errors = String::new();
    let logs = logs_of(async {
        list(&md).await.unwrap();
        list(&from_env).await.unwrap();
        // Rejected, then the metadata service fails: the errors and warnings are logged.
        cloud.sim().inject(FaultRule::service(
            "huawei_cbr",
            Fault::Status {
                status: 401,
                body: r#"{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information"}"#.into(),
                retry_after: None,
            },
        ));
        cloud.sim().inject(FaultRule::service(
            "huawei_metadata",
            Fault::Status {
                status: 500,
                body: "down".into(),
                retry_after: None,
            },
        ));
        errors.push_str(&list(&md).await.unwrap_err().to_string());
        advance(Duration::from_secs(3 * 3600)).await;
        errors.push_str(&list(&md).await.unwrap_err().to_string());
    })
    .await;
    // Which lines are captured depends on other tests' threads (tracing caches a call site's
    // interest), so only that something was logged is asserted; what was must hold no secret.
    assert!(!logs.is_empty());
    let mut secrets = vec![ENV_SK.to_string(), ENV_TOKEN.to_string()];
    for r in cloud.sim().requests_to("huawei_cbr") {
        secrets.extend(r.request.header("x-security-token").map(str::to_string));
    }
    // The secrets the metadata service issued: read from its responses' source, the sim.
    secrets.extend(lock(&cloud.sim().huawei).issued_secrets());
    assert!(secrets.len() > 3);
    for s in &secrets {
        assert!(!logs.contains(s.as_str()), "secret in the log");
        assert!(!errors.contains(s.as_str()), "secret in an error");
    }
}

#[tokio::test]
async fn the_project_id_is_looked_up_by_region_once_and_a_missing_one_named() {
    let cloud = start().await;
    lock(&cloud.sim().huawei).projects = vec![
        ("ap-southeast-1".into(), PROJECT.into()),
        (
            "cn-north-4".into(),
            "ffffffffffffffffffffffffffffffff".into(),
        ),
    ];
    let url = cloud.url();
    let keys = format!("iam_endpoint: '{url}'\nauth: {{ metadata: true, metadata_url: '{url}' }}");
    let t = cbr_with_env(&url, &keys, &no_env);
    let (a, b) = (support::provider(&t), support::provider(&t));
    // The unit is the project's name until the id is known, and stays so.
    assert_eq!(
        a.units(),
        cloud_task_exporter::provider::Units::Fixed(vec!["ap-southeast-1".into()])
    );
    for p in [&a, &b, &a] {
        p.list_tasks("ap-southeast-1", &support::full_pass(2))
            .await
            .unwrap();
    }
    let lookups = cloud.sim().requests_to("huawei_iam_projects");
    assert_eq!(lookups.len(), 1, "cached per credentials and region");
    let r = &lookups[0];
    assert_eq!(r.status, 200);
    assert_eq!(r.request.query_map()["name"], "ap-southeast-1");
    assert!(r.request.header("x-project-id").is_none());
    assert!(
        r.request.header("x-security-token").is_some(),
        "signed as temporary"
    );
    for r in cloud.sim().requests_to("huawei_cbr") {
        assert_eq!(r.status, 200);
        assert!(
            r.request.path.starts_with(&format!("/v3/{PROJECT}/")),
            "{}",
            r.request.path
        );
        assert_eq!(r.request.header("x-project-id"), Some(PROJECT));
    }

    // An account without a project of that name: the error names the region and the source.
    let empty = start().await;
    lock(&empty.sim().huawei).add_aksk(PROFILE_AK, PROFILE_SK);
    let env = |n: &str| match n {
        "HUAWEICLOUD_SDK_AK" => Some(PROFILE_AK.to_string()),
        "HUAWEICLOUD_SDK_SK" => Some(PROFILE_SK.to_string()),
        _ => None,
    };
    let keys = format!(
        "iam_endpoint: '{}'\nauth: {{ environment: true }}",
        empty.url()
    );
    let t = cbr_with_env(&empty.url(), &keys, &env);
    let e = support::provider(&t)
        .list_tasks("ap-southeast-1", &support::full_pass(2))
        .await
        .unwrap_err();
    assert_eq!(e.reason, Reason::Client);
    assert!(
        e.message.contains(
            "the account of environment (HUAWEICLOUD_SDK_AK) has no project named 'ap-southeast-1'"
        ),
        "{}",
        e.message
    );
    assert!(!e.message.contains(PROFILE_SK) && !e.message.contains(PROFILE_AK));
    assert!(empty.sim().requests_to("huawei_cbr").is_empty());
}
