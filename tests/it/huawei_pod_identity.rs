//! CCE pod identity against the simulator: the token file read at every request, the
//! temporary credentials signing with their security token, refresh ahead of expiry (after a
//! token rotation), one refresh for 50 targets, a broken source named with its reason and no
//! secret in any error or log line, and the default chain's last step.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use cloud_task_exporter::provider::{Provider, Reason};
use cloud_task_exporter::sim::huawei::POD_IDENTITY_PATH;
use cloud_task_exporter::sim::{FakeCloud, lock};

use crate::huawei_auth::{
    PROJECT, advance, cbr_with_env, list, load_error, logs_of, no_env, signed_with_token, start,
};
use crate::support;

const POD_TOKEN: &str = "pod-sa-token-0123456789abcdefghijklmnop";
const ROTATED: &str = "pod-sa-token-rotated-9876543210zyxwvuts";

/// A token file holding `token`, in `dir`.
fn token_file(dir: &Path, token: &str) -> PathBuf {
    let f = dir.join("token");
    std::fs::write(&f, format!("{token}\n")).unwrap();
    f
}

fn endpoint(cloud: &FakeCloud) -> String {
    format!("{}{POD_IDENTITY_PATH}", cloud.url())
}

/// The environment CCE gives a pod with an identity.
fn pod_env(url: String, file: &Path) -> impl Fn(&str) -> Option<String> {
    let file = file.display().to_string();
    move |n: &str| match n {
        "HC_CONTAINER_CREDENTIALS_FULL_URI" => Some(url.clone()),
        "HC_CONTAINER_AUTHORIZATION_TOKEN_FILE" => Some(file.clone()),
        _ => None,
    }
}

const POD: &str = "auth: { pod_identity: true }";

#[tokio::test]
async fn pod_identity_credentials_sign_and_refresh_with_the_rotated_token() {
    let cloud = start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = token_file(dir.path(), POD_TOKEN);
    {
        let mut st = lock(&cloud.sim().huawei);
        st.pod_identity_ttl = Duration::from_secs(2 * 3600);
        st.accept_pod_identity_token(POD_TOKEN);
    }
    let env = pod_env(endpoint(&cloud), &file);
    let t = cbr_with_env(
        &cloud.url(),
        &format!("project_id: '{PROJECT}'\n{POD}"),
        &env,
    );
    let p = support::provider(&t);
    let ctx = support::full_pass(2);
    p.list_tasks(PROJECT, &ctx).await.unwrap();
    let first = signed_with_token(&cloud);
    assert!(first.starts_with("gQsim"));
    assert_eq!(lock(&cloud.sim().huawei).pod_identity_issued(), 1);
    let calls = cloud.sim().requests_to("huawei_pod_identity");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].request.method, "POST");
    assert_eq!(calls[0].request.header("authorization"), Some(POD_TOKEN));

    // The platform rotates the token: the file is read again at the refresh.
    std::fs::write(&file, ROTATED).unwrap();
    {
        let mut st = lock(&cloud.sim().huawei);
        st.revoke_pod_identity_tokens();
        st.accept_pod_identity_token(ROTATED);
    }
    // Reused until 40 minutes before the 2 h expiry (the SDK's margin)...
    advance(Duration::from_secs(79 * 60)).await;
    p.list_tasks(PROJECT, &ctx).await.unwrap();
    assert_eq!(lock(&cloud.sim().huawei).pod_identity_issued(), 1);
    // ...then replaced before the API sees an old key, with the rotated token.
    advance(Duration::from_secs(2 * 60)).await;
    cloud.sim().clear_requests();
    p.list_tasks(PROJECT, &ctx).await.unwrap();
    assert_eq!(lock(&cloud.sim().huawei).pod_identity_issued(), 2);
    let calls = cloud.sim().requests_to("huawei_pod_identity");
    assert_eq!(calls[0].request.header("authorization"), Some(ROTATED));
    assert_eq!(cloud.sim().statuses_to("huawei_cbr"), vec![200]);
    assert_ne!(signed_with_token(&cloud), first);
}

#[tokio::test]
async fn fifty_targets_sharing_one_pod_identity_refresh_once() {
    let cloud = start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = token_file(dir.path(), POD_TOKEN);
    {
        let mut st = lock(&cloud.sim().huawei);
        st.pod_identity_ttl = Duration::from_secs(2 * 3600);
        st.accept_pod_identity_token(POD_TOKEN);
    }
    // The overrides instead of the variables: the same source.
    let keys = format!(
        "project_id: '{PROJECT}'\nauth: {{ pod_identity: true, pod_identity_url: '{}', pod_identity_token_file: '{}' }}",
        endpoint(&cloud),
        file.display()
    );
    let t = cbr_with_env(&cloud.url(), &keys, &no_env);
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
            lock(&cloud.sim().huawei).pod_identity_issued(),
            round,
            "one fetch per round for 50 targets"
        );
        advance(Duration::from_secs(81 * 60)).await;
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
async fn a_broken_pod_identity_is_named_with_its_reason_and_no_secret() {
    let cloud = start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = token_file(dir.path(), POD_TOKEN);
    let env = pod_env(endpoint(&cloud), &file);
    let t = cbr_with_env(
        &cloud.url(),
        &format!("project_id: '{PROJECT}'\n{POD}"),
        &env,
    );
    let mut errors = String::new();
    let logs = logs_of(async {
        // A token the endpoint does not accept.
        let e = list(&t).await.unwrap_err();
        assert_eq!(e.reason, Reason::Auth);
        assert!(
            e.message.contains(&format!(
                "credential source CCE pod identity ({}) failed",
                endpoint(&cloud)
            )),
            "{}",
            e.message
        );
        assert!(e.message.contains("401"), "{}", e.message);
        errors.push_str(&e.to_string());
    })
    .await;
    assert!(cloud.sim().requests_to("huawei_cbr").is_empty());
    assert!(!errors.contains(POD_TOKEN) && !logs.contains(POD_TOKEN));

    // The token file gone: named, at the first poll.
    let gone = dir.path().join("gone");
    let env = pod_env(format!("{}/other", cloud.url()), &gone);
    let t = cbr_with_env(
        &cloud.url(),
        &format!("project_id: '{PROJECT}'\n{POD}"),
        &env,
    );
    let e = list(&t).await.unwrap_err();
    assert_eq!(e.reason, Reason::Auth);
    assert!(
        e.message
            .contains(&format!("cannot read the token file {}", gone.display())),
        "{}",
        e.message
    );

    // Missing variables and stray or bad keys: named at load.
    let e = load_error(&format!("project_id: p\n{POD}"), &no_env);
    assert!(
        e.contains("pod_identity: HC_CONTAINER_CREDENTIALS_FULL_URI (or pod_identity_url) and HC_CONTAINER_AUTHORIZATION_TOKEN_FILE (or pod_identity_token_file) not set"),
        "{e}"
    );
    let e = load_error(
        "project_id: p\nauth: { environment: true, pod_identity_url: 'http://x/y' }",
        &no_env,
    );
    assert!(
        e.contains("only used with 'pod_identity: true' or 'chain: default'"),
        "{e}"
    );
    let e = load_error(
        "project_id: p\nauth: { pod_identity: true, pod_identity_url: 'http://u:pw@x/y', pod_identity_token_file: /t }",
        &no_env,
    );
    assert!(e.contains("user info is not accepted"), "{e}");
    assert!(!e.contains("pw@"), "{e}");
    let e = load_error(
        "project_id: p\nauth: { metadata: true, pod_identity: true }",
        &no_env,
    );
    assert!(
        e.contains("two auth methods given (metadata, pod_identity)"),
        "{e}"
    );
}

#[tokio::test]
async fn the_chain_ends_with_pod_identity_after_metadata_as_the_sdk() {
    let cloud = start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = token_file(dir.path(), POD_TOKEN);
    {
        let mut st = lock(&cloud.sim().huawei);
        st.accept_pod_identity_token(POD_TOKEN);
        st.agency = false; // the metadata service answers, but has no credentials
    }
    let env = pod_env(endpoint(&cloud), &file);
    let keys = format!(
        "project_id: '{PROJECT}'\nauth: {{ chain: default, metadata_url: '{}' }}",
        cloud.url()
    );
    let t = cbr_with_env(&cloud.url(), &keys, &env);
    assert!(
        format!("{:?}", t.spec).contains("auth: MetadataThenPodIdentity"),
        "{:?}",
        t.spec
    );
    // Metadata first (it fails), then pod identity, which is kept: no metadata call after.
    let p = support::provider(&t);
    let ctx = support::full_pass(2);
    p.list_tasks(PROJECT, &ctx).await.unwrap();
    assert_eq!(lock(&cloud.sim().huawei).pod_identity_issued(), 1);
    let md = cloud.sim().requests_to("huawei_metadata").len();
    assert!(md > 0, "metadata was tried first");
    p.list_tasks(PROJECT, &ctx).await.unwrap();
    assert_eq!(cloud.sim().requests_to("huawei_metadata").len(), md);
    assert!(signed_with_token(&cloud).starts_with("gQsim"));

    // Both failing: the error names each source and its reason.
    lock(&cloud.sim().huawei).revoke_pod_identity_tokens();
    let dir2 = tempfile::tempdir().unwrap();
    let file2 = token_file(dir2.path(), POD_TOKEN);
    let env2 = pod_env(endpoint(&cloud), &file2);
    let t = cbr_with_env(&cloud.url(), &keys, &env2);
    let e = list(&t).await.unwrap_err();
    assert_eq!(e.reason, Reason::Auth);
    assert!(
        e.message.contains("credential source ECS metadata"),
        "{}",
        e.message
    );
    assert!(e.message.contains("no agency attached"), "{}", e.message);
    assert!(
        e.message.contains("credential source CCE pod identity"),
        "{}",
        e.message
    );
    assert!(!e.message.contains(POD_TOKEN), "{}", e.message);

    // With an agency, metadata wins, as in the SDK, once the pause after its failure is over
    // (a failing source is asked again after 30 s, not at every poll); without the variables,
    // metadata alone.
    lock(&cloud.sim().huawei).agency = true;
    advance(Duration::from_secs(31)).await;
    let t = cbr_with_env(&cloud.url(), &keys, &env);
    list(&t).await.unwrap();
    assert_eq!(lock(&cloud.sim().huawei).pod_identity_issued(), 1);
    assert_eq!(lock(&cloud.sim().huawei).metadata_issued(), 1);
    let t = cbr_with_env(
        &cloud.url(),
        "project_id: p\nauth: { chain: default }",
        &no_env,
    );
    assert!(format!("{:?}", t.spec).contains("auth: Metadata {"));
}

/// A pod-identity endpoint whose error quotes the request's `Authorization` (the pod's token)
/// leaves no trace of the token in the error: it is scrubbed while the request is under way.
#[tokio::test]
async fn a_token_echoed_by_the_pod_identity_endpoint_is_scrubbed() {
    use cloud_task_exporter::sim::{Fault, FaultRule};
    let cloud = start().await;
    lock(&cloud.sim().huawei).accept_pod_identity_token(POD_TOKEN);
    cloud.sim().inject(FaultRule::service(
        "huawei_pod_identity",
        Fault::EchoCredentials(400),
    ));
    let dir = tempfile::tempdir().unwrap();
    let file = token_file(dir.path(), POD_TOKEN);
    let env = pod_env(endpoint(&cloud), &file);
    let t = cbr_with_env(
        &cloud.url(),
        &format!("project_id: '{PROJECT}'\n{POD}"),
        &env,
    );
    let e = list(&t).await.unwrap_err();
    assert!(e.message.contains("<redacted>"), "{}", e.message);
    assert!(!e.to_string().contains(POD_TOKEN), "{e}");
}
