//! AWS credential sources of `aws_backup` targets, loaded from the keys a user writes and
//! polled against the simulator: every problem of `auth:` at its line, the default chain,
//! static keys, the environment, a profile (keys, and a role sourced from another profile),
//! instance metadata, web identity, a role assumed on top of web identity, refresh ahead of
//! expiry, 50 targets of one source refreshing once, a failed refresh, and no secret in any
//! log line, error or metric.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use cloud_task_exporter::config::{self, Target};
use cloud_task_exporter::provider::{AnyProvider, Provider, ProviderError, Reason, Units};
use cloud_task_exporter::sim::aws::{AWS_BACKUP, AWS_IMDS, AWS_STS};
use cloud_task_exporter::sim::{FakeCloud, Fault, FaultRule, Sim};

use crate::huawei_auth::{advance, logs_of, no_env};
use crate::support;

const AK: &str = "AKIAIOSFODNN7EXAMPLE";
const SK: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const ROLE: &str = "arn:aws:iam::123456789012:role/exporter-web";
const READER: &str = "arn:aws:iam::123456789012:role/backup-reader";
const TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.aws-auth-web-identity-token-0123";

/// An `aws_backup` target whose `auth:` and other keys are `keys`, loaded with `env`.
fn target(url: &str, keys: &str, env: &dyn Fn(&str) -> Option<String>) -> Target {
    let mut yaml = format!(
        "targets:\n  - name: aws\n    endpoint: '{url}'\n    provider: aws_backup\n    region: eu-west-1\n    job_types: [backup]\n"
    );
    for line in keys.lines() {
        yaml.push_str(&format!("    {line}\n"));
    }
    let config = config::load_str_with_env(&yaml, Path::new("test.yaml"), env)
        .unwrap_or_else(|e| panic!("{yaml}{e}"));
    let mut t = config.targets.into_iter().next().expect("one target");
    t.settings = support::settings(100);
    t
}

fn load_error(keys: &str, env: &dyn Fn(&str) -> Option<String>) -> String {
    let mut yaml =
        "targets:\n  - name: aws\n    provider: aws_backup\n    region: eu-west-1\n".to_string();
    for line in keys.lines() {
        yaml.push_str(&format!("    {line}\n"));
    }
    config::load_str_with_env(&yaml, Path::new("config.yaml"), env)
        .unwrap_err()
        .to_string()
}

async fn start() -> FakeCloud {
    FakeCloud::start(Sim::new()).await.unwrap()
}

/// One poll of every unit of `p`: the tasks listed.
async fn list(p: &AnyProvider) -> Result<usize, ProviderError> {
    let Units::Fixed(units) = p.units() else {
        panic!("an aws_backup target lists itself")
    };
    let mut n = 0;
    for u in units {
        n += p
            .list_tasks(&u, &support::full_pass(100))
            .await?
            .tasks
            .len();
    }
    Ok(n)
}

/// The access key id the last AWS Backup request was signed with.
fn signed_by(cloud: &FakeCloud) -> String {
    let reqs = cloud.sim().requests_to(AWS_BACKUP);
    let r = reqs.last().expect("an AWS Backup request");
    assert_eq!(r.status, 200);
    let auth = r.request.header("authorization").unwrap();
    let cred = auth.split("Credential=").nth(1).unwrap();
    cred.split('/').next().unwrap().to_string()
}

fn env_of(vars: Vec<(&'static str, String)>) -> impl Fn(&str) -> Option<String> {
    move |n: &str| vars.iter().find(|(k, _)| *k == n).map(|(_, v)| v.clone())
}

#[test]
fn every_problem_of_auth_is_named_at_its_line() {
    let cases: &[(&str, &str)] = &[
        (
            "auth: { environment: true, instance_metadata: true }",
            "config.yaml:5: target 'aws': auth: two auth methods given (environment, instance_metadata); give exactly one",
        ),
        (
            "auth: {}",
            "config.yaml:5: target 'aws': auth: no auth method given",
        ),
        (
            "auth: { assume_role: { role_arn: 'arn:aws:iam::1:role/r' } }",
            "config.yaml:5: target 'aws': auth: no auth method given",
        ),
        (
            "auth: { chain: default, assume_role: { external_id: e1 } }",
            "auth.assume_role.role_arn: missing (the role to assume)",
        ),
        (
            "auth: { chain: default, assume_role: { role_arn: backup-reader } }",
            "'backup-reader' is not a role ARN such as arn:aws:iam::111122223333:role/backup-reader",
        ),
        (
            "auth: { environment: true, metadata_url: 'http://127.0.0.1:1' }",
            "only used with 'instance_metadata: true' or 'chain: default'",
        ),
        (
            "auth: { access_key_id: AKIAX, secret_access_key: s, sts_endpoint: 'http://127.0.0.1:1' }",
            "only used where STS is called",
        ),
        (
            "auth: { chain: custom }",
            "'custom' is not a chain; the one chain is 'default'",
        ),
        (
            "auth: { web_identity: true }",
            "auth.web_identity: missing role_arn (or AWS_ROLE_ARN) and token_file (or AWS_WEB_IDENTITY_TOKEN_FILE)",
        ),
        (
            "auth: { web_identity: { role_arn: r, token_file: /t } }",
            "'r' is not a role ARN",
        ),
        (
            "auth: { web_identity: { session_name: 'has space' } }",
            "'has space' is not a session name",
        ),
        (
            "auth: { environment: true }",
            "config.yaml:5: target 'aws': auth: environment: AWS_ACCESS_KEY_ID is not set",
        ),
        (
            "auth: { instance_metadata: maybe }",
            "auth.instance_metadata",
        ),
        (
            "auth: { access_key_id: AKIAX }",
            "auth.secret_access_key: missing (secret_access_key or secret_access_key_file is required with static keys)",
        ),
    ];
    for (keys, want) in cases {
        let e = load_error(keys, &no_env);
        assert!(e.contains(want), "{keys}:\n{e}");
    }
    // AWS_EC2_METADATA_DISABLED is honoured.
    let disabled = |n: &str| (n == "AWS_EC2_METADATA_DISABLED").then(|| "true".to_string());
    let e = load_error("auth: { instance_metadata: true }", &disabled);
    assert!(e.contains("AWS_EC2_METADATA_DISABLED is true"), "{e}");
    let e = load_error("", &disabled);
    assert!(
        e.contains("auth: default chain: no credentials found: AWS_ACCESS_KEY_ID is not set"),
        "{e}"
    );
    // The chain stops at a key id without its secret, as botocore does.
    let half = |n: &str| (n == "AWS_ACCESS_KEY_ID").then(|| AK.to_string());
    let e = load_error("", &half);
    assert!(
        e.contains("auth: default chain: environment: AWS_SECRET_ACCESS_KEY is not set"),
        "{e}"
    );
    assert!(!e.contains(SK));
}

#[tokio::test]
async fn static_keys_environment_and_profiles_sign_the_requests() {
    let cloud = start().await;
    cloud.sim().aws().add_credentials(AK, SK, None);
    cloud.sim().aws().add_role(READER, None);
    // Static keys.
    let keys = format!("auth: {{ access_key_id: '{AK}', secret_access_key: '{SK}' }}");
    let t = target(&cloud.url(), &keys, &no_env);
    list(&support::provider(&t)).await.unwrap();
    assert_eq!(signed_by(&cloud), AK);
    // The environment, chosen by the chain (no auth:).
    let env = env_of(vec![
        ("AWS_ACCESS_KEY_ID", AK.into()),
        ("AWS_SECRET_ACCESS_KEY", SK.into()),
    ]);
    let t = target(&cloud.url(), "", &env);
    list(&support::provider(&t)).await.unwrap();
    assert_eq!(signed_by(&cloud), AK);
    // A profile whose role is assumed with another profile's keys, at the target's STS.
    let dir = tempfile::tempdir().unwrap();
    let creds = dir.path().join("credentials");
    let conf = dir.path().join("config");
    std::fs::write(
        &creds,
        format!("[base]\naws_access_key_id = {AK}\naws_secret_access_key = {SK}\n"),
    )
    .unwrap();
    std::fs::write(
        &conf,
        format!("[profile reader]\nrole_arn = {READER}\nsource_profile = base\n"),
    )
    .unwrap();
    let keys = format!(
        "auth: {{ profile: {{ name: base, credentials_file: '{}', config_file: '{}' }} }}",
        creds.display(),
        conf.display()
    );
    let t = target(&cloud.url(), &keys, &no_env);
    list(&support::provider(&t)).await.unwrap();
    assert_eq!(signed_by(&cloud), AK);
    let keys = format!(
        "auth: {{ profile: {{ name: reader, credentials_file: '{}', config_file: '{}' }}, sts_endpoint: '{}' }}",
        creds.display(),
        conf.display(),
        cloud.url()
    );
    let t = target(&cloud.url(), &keys, &no_env);
    list(&support::provider(&t)).await.unwrap();
    assert!(signed_by(&cloud).starts_with("ASIA"), "the role's keys");
    let sts = cloud.sim().requests_to(AWS_STS);
    assert_eq!(sts.len(), 1);
    assert!(sts[0].request.header("authorization").unwrap().contains(AK));
    // AWS_PROFILE and AWS_CONFIG_FILE name them for the chain.
    let env = env_of(vec![
        ("AWS_PROFILE", "reader".into()),
        ("AWS_SHARED_CREDENTIALS_FILE", creds.display().to_string()),
        ("AWS_CONFIG_FILE", conf.display().to_string()),
    ]);
    let keys = format!(
        "auth: {{ chain: default, sts_endpoint: '{}' }}",
        cloud.url()
    );
    let t = target(&cloud.url(), &keys, &env);
    list(&support::provider(&t)).await.unwrap();
    assert!(signed_by(&cloud).starts_with("ASIA"));
}

#[tokio::test]
async fn instance_metadata_and_web_identity_sign_with_their_session_tokens() {
    let cloud = start().await;
    cloud.sim().aws().set_instance_role(Some("exporter-role"));
    cloud.sim().aws().set_web_identity(TOKEN, ROLE);
    let keys = format!(
        "auth: {{ instance_metadata: true, metadata_url: '{}' }}",
        cloud.url()
    );
    let t = target(&cloud.url(), &keys, &no_env);
    list(&support::provider(&t)).await.unwrap();
    assert!(signed_by(&cloud).starts_with("ASIA"));
    let imds = cloud.sim().requests_to(AWS_IMDS);
    assert_eq!(imds.len(), 3);
    assert_eq!(imds[0].request.method, "PUT");

    // Web identity from the variables EKS sets, chosen by the chain.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, TOKEN).unwrap();
    let env = env_of(vec![
        ("AWS_ROLE_ARN", ROLE.into()),
        ("AWS_WEB_IDENTITY_TOKEN_FILE", file.display().to_string()),
    ]);
    let keys = format!(
        "auth: {{ chain: default, sts_endpoint: '{}' }}",
        cloud.url()
    );
    let t = target(&cloud.url(), &keys, &env);
    list(&support::provider(&t)).await.unwrap();
    let sts = cloud.sim().requests_to(AWS_STS);
    assert_eq!(sts.len(), 1);
    assert!(sts[0].request.header("authorization").is_none());
    let r = &cloud.sim().requests_to(AWS_BACKUP);
    let last = &r.last().unwrap().request;
    assert!(last.header("x-amz-security-token").is_some());
    assert!(
        last.header("authorization")
            .unwrap()
            .contains("x-amz-security-token"),
        "the session token is signed"
    );
}

/// A target with web identity and `READER` assumed on top, at the simulator's STS.
fn layered(cloud: &FakeCloud, file: &Path) -> Target {
    let keys = format!(
        "auth:\n  web_identity: {{ role_arn: '{ROLE}', token_file: '{}' }}\n  assume_role: {{ role_arn: '{READER}', external_id: ext-7, session_name: backups }}\n  sts_endpoint: '{}'",
        file.display(),
        cloud.url()
    );
    target(&cloud.url(), &keys, &no_env)
}

#[tokio::test]
async fn a_role_on_top_of_web_identity_refreshes_ahead_of_expiry() {
    let cloud = start().await;
    cloud.sim().aws().set_web_identity(TOKEN, ROLE);
    cloud.sim().aws().add_role(READER, Some("ext-7"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, TOKEN).unwrap();
    let t = layered(&cloud, &file);
    let p = support::provider(&t);
    list(&p).await.unwrap();
    let first = signed_by(&cloud);
    let sts = cloud.sim().requests_to(AWS_STS);
    assert_eq!(sts.len(), 2, "web identity, then the role");
    let body = String::from_utf8_lossy(&sts[1].request.body).to_string();
    assert!(body.contains("Action=AssumeRole&"), "{body}");
    assert!(body.contains("RoleSessionName=backups"), "{body}");
    assert!(body.contains("ExternalId=ext-7"), "{body}");
    // Kept until 15 minutes before STS's hour...
    advance(Duration::from_secs(44 * 60)).await;
    list(&p).await.unwrap();
    assert_eq!(cloud.sim().aws().sts_issued(), 2);
    // ...then both refreshed before AWS Backup sees an expired key.
    advance(Duration::from_secs(2 * 60)).await;
    list(&p).await.unwrap();
    assert_eq!(cloud.sim().aws().sts_issued(), 4);
    assert_ne!(signed_by(&cloud), first);
    assert!(
        cloud
            .sim()
            .statuses_to(AWS_BACKUP)
            .iter()
            .all(|s| *s == 200)
    );
}

#[tokio::test]
async fn fifty_targets_of_one_source_refresh_once() {
    let cloud = start().await;
    cloud.sim().aws().set_web_identity(TOKEN, ROLE);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, TOKEN).unwrap();
    let keys = format!(
        "auth: {{ web_identity: {{ role_arn: '{ROLE}', token_file: '{}' }}, sts_endpoint: '{}' }}",
        file.display(),
        cloud.url()
    );
    let t = target(&cloud.url(), &keys, &no_env);
    let providers: Vec<Arc<AnyProvider>> =
        (0..50).map(|_| Arc::new(support::provider(&t))).collect();
    let all = || {
        let mut set = tokio::task::JoinSet::new();
        for p in &providers {
            let p = Arc::clone(p);
            set.spawn(async move { list(&p).await });
        }
        set
    };
    let mut set = all();
    while let Some(r) = set.join_next().await {
        r.unwrap().unwrap();
    }
    assert_eq!(cloud.sim().aws().sts_issued(), 1);
    // In the mandatory window every target waits for the one refresh.
    advance(Duration::from_secs(51 * 60)).await;
    let mut set = all();
    while let Some(r) = set.join_next().await {
        r.unwrap().unwrap();
    }
    assert_eq!(
        cloud.sim().aws().sts_issued(),
        2,
        "one refresh for 50 targets"
    );
    assert!(
        cloud
            .sim()
            .statuses_to(AWS_BACKUP)
            .iter()
            .all(|s| *s == 200)
    );
}

#[tokio::test]
async fn a_failed_refresh_keeps_the_keys_then_fails_with_auth_naming_the_source() {
    let cloud = start().await;
    cloud.sim().aws().set_web_identity(TOKEN, ROLE);
    cloud.sim().aws().add_role(READER, Some("ext-7"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, TOKEN).unwrap();
    let p = support::provider(&layered(&cloud, &file));
    list(&p).await.unwrap();
    let first = signed_by(&cloud);
    cloud.sim().inject(FaultRule::service(
        AWS_STS,
        Fault::Status {
            status: 503,
            body: "<ErrorResponse><Error><Code>ServiceUnavailable</Code><Message>try later</Message></Error></ErrorResponse>".into(),
            retry_after: None,
        },
    ));
    advance(Duration::from_secs(52 * 60)).await;
    list(&p).await.unwrap();
    assert_eq!(signed_by(&cloud), first, "the last good keys");
    advance(Duration::from_secs(9 * 60)).await;
    let e = list(&p).await.unwrap_err();
    assert_eq!(e.reason, Reason::Auth);
    assert!(
        e.message
            .contains(&format!("credential source assume role {READER} failed")),
        "{}",
        e.message
    );
    assert!(
        e.message.contains("ServiceUnavailable: try later"),
        "{}",
        e.message
    );
}

#[tokio::test]
async fn no_secret_in_a_log_line_or_an_error() {
    let cloud = start().await;
    cloud.sim().aws().add_credentials(AK, SK, None);
    cloud.sim().aws().set_web_identity(TOKEN, ROLE);
    cloud.sim().aws().add_role(READER, Some("ext-7"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, TOKEN).unwrap();
    let env = env_of(vec![
        ("AWS_ACCESS_KEY_ID", AK.into()),
        ("AWS_SECRET_ACCESS_KEY", SK.into()),
    ]);
    let mut errors = String::new();
    let logs = logs_of(async {
        let from_env = support::provider(&target(&cloud.url(), "", &env));
        let layered = support::provider(&layered(&cloud, &file));
        list(&from_env).await.unwrap();
        list(&layered).await.unwrap();
        // STS echoes what it was sent; AWS Backup refuses the keys.
        cloud.sim().inject(FaultRule::service(
            AWS_STS,
            Fault::Status {
                status: 400,
                body: format!("<ErrorResponse><Error><Code>InvalidIdentityToken</Code><Message>{TOKEN} {SK}</Message></Error></ErrorResponse>"),
                retry_after: None,
            },
        ));
        cloud.sim().aws().remove_credentials(AK);
        errors.push_str(&list(&from_env).await.unwrap_err().to_string());
        advance(Duration::from_secs(3600)).await;
        errors.push_str(&list(&layered).await.unwrap_err().to_string());
    })
    .await;
    assert!(!logs.is_empty());
    let mut secrets = cloud.sim().aws().issued_secrets();
    secrets.extend([TOKEN.to_string(), SK.to_string()]);
    assert!(secrets.len() > 4);
    for s in &secrets {
        assert!(!logs.contains(s.as_str()), "a secret in the log");
        assert!(
            !errors.contains(s.as_str()),
            "a secret in an error: {errors}"
        );
    }
}

/// The real binary polling three AWS targets (static keys; a role on top of web identity; web
/// identity at an STS that refuses, quoting the token it was sent): the sources are logged,
/// and no key, token or secret appears on `/`, in `/api/v1/targets`, in `/metrics` or in the
/// debug log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_on_a_page_in_the_metrics_or_in_the_log_of_the_binary() {
    use crate::binary::Exporter;
    use crate::lifecycle::{assert_nowhere, stop, up, write_config};
    let good = start().await;
    good.sim().aws().add_credentials(AK, SK, None);
    good.sim().aws().set_web_identity(TOKEN, ROLE);
    good.sim().aws().add_role(READER, Some("ext-7"));
    let bad = start().await;
    bad.sim().aws().set_web_identity(TOKEN, ROLE);
    bad.sim()
        .inject(FaultRule::service(AWS_STS, Fault::EchoCredentials(400)));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, TOKEN).unwrap();
    let target = |name: &str, url: &str, auth: String| {
        format!(
            "  - name: {name}\n    provider: aws_backup\n    endpoint: '{url}'\n    region: eu-west-1\n    job_types: [backup]\n    auth: {auth}\n"
        )
    };
    let (g, b) = (good.url(), bad.url());
    let web = |sts: &str| {
        format!(
            "web_identity: {{ role_arn: '{ROLE}', token_file: '{}' }}, sts_endpoint: '{sts}'",
            file.display()
        )
    };
    let cfg = dir.path().join("config.yaml");
    write_config(
        &cfg,
        "",
        &[
            target(
                "aws-keys",
                &g,
                format!("{{ access_key_id: {AK}, secret_access_key: '{SK}' }}"),
            ),
            target(
                "aws-role",
                &g,
                format!(
                    "{{ {}, assume_role: {{ role_arn: '{READER}', external_id: ext-7 }} }}",
                    web(&g)
                ),
            ),
            target("aws-refused", &b, format!("{{ {} }}", web(&b))),
        ],
    );
    let exp = Exporter::with_config(&cfg, &["--log.level=debug"]);
    let metrics = exp
        .wait_metrics(Duration::from_secs(45), |m| {
            up(m, "aws-keys", "aws_backup") == Some(1.0)
                && up(m, "aws-role", "aws_backup") == Some(1.0)
                && up(m, "aws-refused", "aws_backup") == Some(0.0)
        })
        .await;
    let (_, page) = exp.get("/").await;
    let (_, json) = exp.get("/api/v1/targets").await;
    let (code, _, log) = stop(exp, "TERM").await;
    assert_eq!(code, Some(0), "log:\n{log}");
    // The refused target's error names the source; the echo reached it, scrubbed.
    assert!(json.contains("credential source web identity"), "{json}");
    assert!(
        bad.sim()
            .requests_to(AWS_STS)
            .iter()
            .all(|r| r.status == 400)
    );
    assert!(log.contains("AWS credential source."), "{log}");
    assert!(
        log.contains(&format!("assume role {READER} with web identity")),
        "{log}"
    );
    let mut secrets = good.sim().aws().issued_secrets();
    secrets.extend([TOKEN.to_string(), SK.to_string(), AK.to_string()]);
    assert!(secrets.len() >= 7);
    assert_nowhere(
        secrets,
        &[
            ("the log", &log),
            ("/", &page),
            ("/api/v1/targets", &json),
            ("/metrics", &metrics),
        ],
    );
}
