//! The run-time sources against the simulator's STS, instance metadata service and EKS Pod
//! Identity Agent (`crate::sim::aws`), on paused tokio time where expiry matters: what each
//! request carries, that the credentials obtained are accepted by AWS Backup, refresh ahead of
//! expiry, one refresh for 50 targets, a failed refresh, a rotated token file, a role on top
//! of web identity, and no secret in any log line or error.

use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::config::settings::Settings;
use crate::provider::error::Reason;
use crate::provider::http::RequestCounts;
use crate::sim::aws::{AWS_BACKUP, AWS_IMDS, AWS_POD_IDENTITY, AWS_STS};
use crate::sim::{FakeCloud, Fault, FaultRule, Sim};

const ROLE: &str = "arn:aws:iam::123456789012:role/exporter-web";
const READER: &str = "arn:aws:iam::123456789012:role/backup-reader";
const TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.web-identity-token-0123456789";
const REGION: &str = "eu-west-1";

async fn start() -> FakeCloud {
    FakeCloud::start(Sim::new()).await.unwrap()
}

fn http() -> Http {
    let settings = Settings {
        retries: 0,
        requests_per_second: 0.0,
        timeout: Duration::from_secs(10),
        ..Settings::default()
    };
    Http::new(
        crate::provider::http::client(),
        &settings,
        Arc::new(RequestCounts::default()),
    )
}

/// Moves tokio's clock on by `d` (the simulator's expiries and the refresh times follow it).
async fn advance(d: Duration) {
    tokio::time::pause();
    tokio::time::advance(d).await;
    tokio::time::resume();
}

fn url(cloud: &FakeCloud) -> BaseUrl {
    BaseUrl::parse(&cloud.url()).unwrap()
}

/// A token file holding `token`.
fn token_file(dir: &tempfile::TempDir, token: &str) -> std::path::PathBuf {
    let f = dir.path().join("token");
    std::fs::write(&f, format!("{token}\n")).unwrap();
    f
}

fn web_identity(cloud: &FakeCloud, file: &std::path::Path, role: Option<Role>) -> Auth {
    let w = Source::WebIdentity(WebIdentity {
        role_arn: ROLE.into(),
        token_file: file.to_path_buf(),
        session_name: Some("exporter".into()),
    });
    let source = match role {
        Some(role) => Source::AssumeRole {
            role,
            base: Box::new(w),
        },
        None => w,
    };
    Auth {
        source,
        sts_endpoint: Some(url(cloud)),
        by_chain: false,
    }
}

/// EKS Pod Identity as the default chain finds it: the agent's URL (here the simulator's) and
/// the projected token's file.
fn pod_identity(cloud: &FakeCloud, file: &std::path::Path) -> Auth {
    Auth {
        source: Source::Container(source::Container {
            url: format!("{}/v1/credentials", cloud.url()),
            authorization: source::Authorization::File(file.to_path_buf()),
        }),
        sts_endpoint: None,
        by_chain: true,
    }
}

/// `GET /backup-jobs/` signed with `c`: the status AWS Backup answers.
async fn backup_status(cloud: &FakeCloud, http: &Http, c: &Credentials) -> u16 {
    let u = format!("{}/backup-jobs/", cloud.url());
    let r = http
        .send("ListBackupJobs", || {
            let headers = sts::sign(
                "GET",
                &u,
                &[],
                b"",
                c,
                REGION,
                "backup",
                std::time::SystemTime::now(),
            )?;
            let mut rb = http.client().get(&u);
            for (k, v) in headers {
                rb = rb.header(k, v);
            }
            rb.build()
                .map_err(|e| ProviderError::new(Reason::Client, e.to_string()))
        })
        .await;
    match r {
        Ok(_) => 200,
        Err(e) => e.status.unwrap_or(0),
    }
}

#[tokio::test]
async fn web_identity_is_unsigned_and_its_credentials_are_accepted() {
    let cloud = start().await;
    cloud.sim().aws().set_web_identity(TOKEN, ROLE);
    let dir = tempfile::tempdir().unwrap();
    let file = token_file(&dir, TOKEN);
    let http = http();
    let source = CredentialSource::new(&web_identity(&cloud, &file, None), REGION);
    let c = source.credentials(&http).await.unwrap();
    assert!(c.session_token.is_some());
    let sts = cloud.sim().requests_to(AWS_STS);
    assert_eq!(sts.len(), 1);
    let r = &sts[0].request;
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/"));
    assert!(r.header("authorization").is_none(), "unsigned");
    let body = String::from_utf8_lossy(&r.body);
    assert!(body.starts_with("Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fexporter-web&RoleSessionName=exporter&WebIdentityToken="), "{body}");
    assert_eq!(backup_status(&cloud, &http, &c).await, 200);
    assert_eq!(
        source.describe(),
        format!("web identity ({ROLE}, token file {})", file.display())
    );
}

#[tokio::test]
async fn instance_metadata_goes_through_imdsv2() {
    let cloud = start().await;
    cloud.sim().aws().set_instance_role(Some("exporter-role"));
    let http = http();
    let auth = Auth {
        source: Source::InstanceMetadata { url: url(&cloud) },
        sts_endpoint: None,
        by_chain: true,
    };
    let source = CredentialSource::new(&auth, REGION);
    let c = source.credentials(&http).await.unwrap();
    let reqs = cloud.sim().requests_to(AWS_IMDS);
    let seen: Vec<(String, String)> = reqs
        .iter()
        .map(|r| (r.request.method.clone(), r.request.path.clone()))
        .collect();
    assert_eq!(
        seen,
        [
            ("PUT".into(), "/latest/api/token".into()),
            (
                "GET".into(),
                "/latest/meta-data/iam/security-credentials/".into()
            ),
            (
                "GET".into(),
                "/latest/meta-data/iam/security-credentials/exporter-role".into()
            ),
        ]
    );
    assert_eq!(
        reqs[0]
            .request
            .header("x-aws-ec2-metadata-token-ttl-seconds"),
        Some("21600")
    );
    assert!(
        reqs[1..]
            .iter()
            .all(|r| r.status == 200 && r.request.header("x-aws-ec2-metadata-token").is_some())
    );
    assert_eq!(backup_status(&cloud, &http, &c).await, 200);

    // An instance without a role: an auth error naming the service and the cause.
    let bare = start().await;
    bare.sim().aws().set_instance_role(None);
    let auth = Auth {
        source: Source::InstanceMetadata { url: url(&bare) },
        sts_endpoint: None,
        by_chain: false,
    };
    let e = CredentialSource::new(&auth, REGION)
        .credentials(&http)
        .await
        .unwrap_err();
    assert_eq!(e.reason, Reason::Auth);
    assert!(
        e.message.starts_with(&format!(
            "credential source instance metadata ({}) failed: ",
            bare.url()
        )) && e.message.contains("no IAM role attached"),
        "{}",
        e.message
    );
}

#[tokio::test]
async fn a_role_on_top_of_web_identity_is_signed_with_its_credentials() {
    let cloud = start().await;
    cloud.sim().aws().set_web_identity(TOKEN, ROLE);
    cloud.sim().aws().add_role(READER, Some("ext-42"));
    let dir = tempfile::tempdir().unwrap();
    let file = token_file(&dir, TOKEN);
    let http = http();
    let role = Role {
        role_arn: READER.into(),
        external_id: Some("ext-42".into()),
        session_name: None,
        duration_seconds: None,
    };
    let source = CredentialSource::new(&web_identity(&cloud, &file, Some(role.clone())), REGION);
    let c = source.credentials(&http).await.unwrap();
    let sts = cloud.sim().requests_to(AWS_STS);
    assert_eq!(sts.len(), 2);
    assert!(sts.iter().all(|r| r.status == 200));
    let assume = &sts[1].request;
    let body = String::from_utf8_lossy(&assume.body);
    assert!(
        body.starts_with("Action=AssumeRole&Version=2011-06-15&RoleArn="),
        "{body}"
    );
    assert!(
        body.contains("&RoleSessionName=cloud-task-exporter-"),
        "{body}"
    );
    assert!(body.ends_with("&ExternalId=ext-42"), "{body}");
    let auth = assume.header("authorization").unwrap();
    assert!(
        auth.contains(&format!("/{REGION}/sts/aws4_request")),
        "{auth}"
    );
    assert!(
        assume.header("x-amz-security-token").is_some(),
        "the web identity's token"
    );
    assert_eq!(backup_status(&cloud, &http, &c).await, 200);
    assert_eq!(
        source.describe(),
        format!(
            "assume role {READER} with web identity ({ROLE}, token file {})",
            file.display()
        )
    );
    // A wrong external id: STS refuses, and the error says so.
    let wrong = Role {
        external_id: Some("ext-0".into()),
        ..role
    };
    let e = CredentialSource::new(&web_identity(&cloud, &file, Some(wrong)), REGION)
        .credentials(&http)
        .await
        .unwrap_err();
    assert_eq!(e.reason, Reason::Auth);
    assert!(
        e.message.starts_with(&format!(
            "credential source assume role {READER} failed: STS AssumeRole: HTTP 403: AccessDenied"
        )),
        "{}",
        e.message
    );
}

#[tokio::test]
async fn credentials_refresh_ahead_of_expiry_and_read_the_token_file_again() {
    let cloud = start().await;
    cloud.sim().aws().set_web_identity(TOKEN, ROLE);
    let dir = tempfile::tempdir().unwrap();
    let file = token_file(&dir, TOKEN);
    let http = http();
    let source = CredentialSource::new(&web_identity(&cloud, &file, None), REGION);
    let first = source.credentials(&http).await.unwrap();
    // STS's one hour: kept until 15 minutes before the expiry...
    advance(Duration::from_secs(44 * 60)).await;
    let same = source.credentials(&http).await.unwrap();
    assert_eq!(same.access_key_id, first.access_key_id);
    assert_eq!(cloud.sim().aws().sts_issued(), 1);
    // ...then replaced, with the token the platform rotated into the file meanwhile.
    cloud.sim().aws().revoke_web_identities();
    cloud
        .sim()
        .aws()
        .set_web_identity("rotated-web-identity-token-0123", ROLE);
    token_file(&dir, "rotated-web-identity-token-0123");
    advance(Duration::from_secs(2 * 60)).await;
    let next = source.credentials(&http).await.unwrap();
    assert_ne!(next.access_key_id, first.access_key_id);
    assert_eq!(cloud.sim().aws().sts_issued(), 2);
    assert_eq!(backup_status(&cloud, &http, &next).await, 200);
}

#[tokio::test]
async fn fifty_targets_of_one_source_refresh_once() {
    let cloud = start().await;
    cloud.sim().aws().set_instance_role(Some("exporter-role"));
    let auth = Auth {
        source: Source::InstanceMetadata { url: url(&cloud) },
        sts_endpoint: None,
        by_chain: false,
    };
    let targets: Vec<(CredentialSource, Http)> = (0..50)
        .map(|_| (CredentialSource::new(&auth, REGION), http()))
        .collect();
    let targets = Arc::new(targets);
    let all = || async {
        let mut set = tokio::task::JoinSet::new();
        for i in 0..50 {
            let t = Arc::clone(&targets);
            set.spawn(async move { t[i].0.credentials(&t[i].1).await.map(|c| c.access_key_id) });
        }
        let mut keys = Vec::new();
        while let Some(r) = set.join_next().await {
            keys.push(r.unwrap().unwrap());
        }
        keys.sort();
        keys.dedup();
        keys
    };
    let role_requests = || {
        cloud
            .sim()
            .requests_to(AWS_IMDS)
            .iter()
            .filter(|r| r.request.path.ends_with("/exporter-role"))
            .count()
    };
    assert_eq!(all().await.len(), 1);
    assert_eq!(cloud.sim().aws().imds_issued(), 1);
    assert_eq!(role_requests(), 1);
    // The instance's 6 hours, less 10 minutes: the mandatory window, every caller waits for
    // the one refresh (the service rotates its credentials 5 minutes before they expire, so
    // a refresh before then gets the same ones).
    advance(Duration::from_secs(6 * 3600 - 4 * 60)).await;
    let keys = all().await;
    assert_eq!(keys.len(), 1);
    assert_eq!(
        cloud.sim().aws().imds_issued(),
        2,
        "one refresh for 50 targets"
    );
}

#[tokio::test]
async fn a_failed_refresh_keeps_the_last_credentials_until_they_expire() {
    let cloud = start().await;
    cloud.sim().aws().set_web_identity(TOKEN, ROLE);
    let dir = tempfile::tempdir().unwrap();
    let file = token_file(&dir, TOKEN);
    let http = http();
    let source = CredentialSource::new(&web_identity(&cloud, &file, None), REGION);
    let first = source.credentials(&http).await.unwrap();
    cloud.sim().inject(FaultRule::service(
        AWS_STS,
        Fault::Status {
            status: 500,
            body: "<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code><Message>STS is down</Message></Error></ErrorResponse>".into(),
            retry_after: None,
        },
    ));
    // In the mandatory window: the refresh fails, the current credentials still sign.
    advance(Duration::from_secs(52 * 60)).await;
    let kept = source.credentials(&http).await.unwrap();
    assert_eq!(kept.access_key_id, first.access_key_id);
    assert_eq!(backup_status(&cloud, &http, &kept).await, 200);
    assert_eq!(cloud.sim().aws().sts_issued(), 1);
    // Past the expiry: an auth error naming the source and why.
    advance(Duration::from_secs(9 * 60)).await;
    let e = source.credentials(&http).await.unwrap_err();
    assert_eq!(e.reason, Reason::Auth);
    assert_eq!(
        e.message,
        format!(
            "credential source web identity ({ROLE}, token file {}) failed: STS AssumeRoleWithWebIdentity: HTTP 500: InternalFailure: STS is down",
            file.display()
        )
    );
    assert_eq!(backup_status(&cloud, &http, &kept).await, 403, "expired");
}

#[tokio::test]
async fn refused_credentials_are_replaced_at_the_next_request() {
    let cloud = start().await;
    cloud.sim().aws().set_web_identity(TOKEN, ROLE);
    let dir = tempfile::tempdir().unwrap();
    let file = token_file(&dir, TOKEN);
    let http = http();
    let source = CredentialSource::new(&web_identity(&cloud, &file, None), REGION);
    let first = source.credentials(&http).await.unwrap();
    cloud.sim().aws().expire_temporary_credentials();
    assert_eq!(backup_status(&cloud, &http, &first).await, 403);
    source.rejected(&first);
    let next = source.credentials(&http).await.unwrap();
    assert_ne!(next.access_key_id, first.access_key_id);
    assert_eq!(backup_status(&cloud, &http, &next).await, 200);
    assert!(cloud.sim().statuses_to(AWS_BACKUP).ends_with(&[403, 200]));
}

/// Every log line written while `f` runs, at debug level.
async fn logs_of<F: std::future::Future<Output = ()>>(f: F) -> String {
    #[derive(Clone, Default)]
    struct Buf(Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend_from_slice(b);
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
    f.await;
    drop(guard);
    let bytes = out.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
    String::from_utf8_lossy(&bytes).into_owned()
}

#[tokio::test]
async fn no_secret_in_a_log_line_or_an_error() {
    let cloud = start().await;
    cloud.sim().aws().set_web_identity(TOKEN, ROLE);
    cloud.sim().aws().add_role(READER, None);
    let dir = tempfile::tempdir().unwrap();
    let file = token_file(&dir, TOKEN);
    let http = http();
    let role = Role {
        role_arn: READER.into(),
        external_id: None,
        session_name: None,
        duration_seconds: None,
    };
    let mut errors = String::new();
    let logs = logs_of(async {
        let source = CredentialSource::new(&web_identity(&cloud, &file, Some(role)), REGION);
        let c = source.credentials(&http).await.unwrap();
        // An STS that echoes the token it was sent in its error.
        cloud.sim().inject(FaultRule::service(
            AWS_STS,
            Fault::Status {
                status: 400,
                body: format!("<ErrorResponse><Error><Code>InvalidIdentityToken</Code><Message>bad token {TOKEN}</Message></Error></ErrorResponse>"),
                retry_after: None,
            },
        ));
        advance(Duration::from_secs(52 * 60)).await;
        source.credentials(&http).await.unwrap();
        advance(Duration::from_secs(9 * 60)).await;
        errors.push_str(&source.credentials(&http).await.unwrap_err().to_string());
        errors.push_str(&format!("{c:?} {source:?}"));
    })
    .await;
    assert!(!logs.is_empty());
    let mut secrets = cloud.sim().aws().issued_secrets();
    secrets.push(TOKEN.to_string());
    assert!(secrets.len() >= 5);
    for s in &secrets {
        assert!(!logs.contains(s.as_str()), "secret in the log");
        assert!(!errors.contains(s.as_str()), "secret in an error: {errors}");
    }
    assert!(
        errors.contains("InvalidIdentityToken: bad token <redacted>"),
        "{errors}"
    );
}

#[tokio::test]
async fn eks_pod_identity_sends_the_token_file_and_reads_it_again_at_each_refresh() {
    let cloud = start().await;
    let (token, rotated) = {
        let mut aws = cloud.sim().aws();
        aws.associate_pod_identity("monitoring", "cloud-task-exporter", "backup-reader");
        (
            aws.pod_identity_token("monitoring", "cloud-task-exporter", 86_400),
            aws.pod_identity_token("monitoring", "cloud-task-exporter", 2 * 86_400),
        )
    };
    assert_ne!(token, rotated);
    let dir = tempfile::tempdir().unwrap();
    let file = token_file(&dir, &token);
    let http = http();
    let source = CredentialSource::new(&pod_identity(&cloud, &file), REGION);
    let first = source.credentials(&http).await.unwrap();
    let reqs = cloud.sim().requests_to(AWS_POD_IDENTITY);
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        (reqs[0].request.method.as_str(), reqs[0].request.path.as_str()),
        ("GET", "/v1/credentials")
    );
    // The file's content as it is, without a scheme and without its line end.
    assert_eq!(reqs[0].request.header("authorization"), Some(token.as_str()));
    assert_eq!(backup_status(&cloud, &http, &first).await, 200);
    assert_eq!(
        source.describe(),
        format!(
            "container credentials ({}/v1/credentials)",
            cloud.url()
        )
    );
    // The agent's six hours: kept until 15 minutes before they end...
    advance(Duration::from_secs(5 * 3600 + 44 * 60)).await;
    let same = source.credentials(&http).await.unwrap();
    assert_eq!(same.access_key_id, first.access_key_id);
    assert_eq!(cloud.sim().aws().pod_identity_issued(), 1);
    // ...then replaced, with the token the kubelet rotated into the file meanwhile.
    token_file(&dir, &rotated);
    advance(Duration::from_secs(2 * 60)).await;
    let next = source.credentials(&http).await.unwrap();
    assert_ne!(next.access_key_id, first.access_key_id);
    assert_eq!(cloud.sim().aws().pod_identity_issued(), 2);
    let reqs = cloud.sim().requests_to(AWS_POD_IDENTITY);
    assert_eq!(reqs[1].request.header("authorization"), Some(rotated.as_str()));
    assert_eq!(backup_status(&cloud, &http, &next).await, 200);
}

#[tokio::test]
async fn eks_pod_identity_refusals_name_the_agent_and_its_reason_never_the_token() {
    // Which token the file holds: expired, of a service account without an association,
    // signed by another cluster, not a JWT.
    let expired = |aws: &crate::sim::aws::AwsState| {
        aws.pod_identity_token("monitoring", "cloud-task-exporter", -120)
    };
    let unassociated =
        |aws: &crate::sim::aws::AwsState| aws.pod_identity_token("monitoring", "other-app", 3600);
    let foreign = |_: &crate::sim::aws::AwsState| {
        Sim::new()
            .aws()
            .pod_identity_token("monitoring", "cloud-task-exporter", 3600)
    };
    let garbage = |_: &crate::sim::aws::AwsState| "not-a-jwt".to_string();
    type Make<'a> = &'a dyn Fn(&crate::sim::aws::AwsState) -> String;
    let cases: [(Make<'_>, u16, &str); 4] = [
        (&expired, 400, "failed basic claim validations"),
        (&unassociated, 404, "(ResourceNotFoundException)"),
        (&foreign, 400, "(InvalidTokenException)"),
        (&garbage, 400, "Service account token cannot be parsed"),
    ];
    let http = http();
    for (make, status, reason) in cases {
        // A simulator of its own per case: one source (and its failure, for a while) is
        // shared by everything that names the same endpoint.
        let cloud = start().await;
        let token = {
            let mut aws = cloud.sim().aws();
            aws.associate_pod_identity("monitoring", "cloud-task-exporter", "backup-reader");
            make(&aws)
        };
        let dir = tempfile::tempdir().unwrap();
        let file = token_file(&dir, &token);
        let e = CredentialSource::new(&pod_identity(&cloud, &file), REGION)
            .credentials(&http)
            .await
            .unwrap_err();
        assert_eq!(e.reason, Reason::Auth, "{}", e.message);
        assert!(
            e.message.starts_with(&format!(
                "credential source container credentials ({}/v1/credentials) failed: container credentials GET: HTTP {status}: ",
                cloud.url()
            )) && e.message.contains(reason),
            "{}",
            e.message
        );
        assert!(!e.message.contains(&token), "{}", e.message);
        assert_eq!(cloud.sim().aws().pod_identity_issued(), 0);
    }
    // An empty file is refused before any request.
    let cloud = start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = token_file(&dir, "");
    let e = CredentialSource::new(&pod_identity(&cloud, &file), REGION)
        .credentials(&http)
        .await
        .unwrap_err();
    assert!(e.message.contains("token is empty"), "{}", e.message);
    assert!(cloud.sim().requests_to(AWS_POD_IDENTITY).is_empty());
}

/// `AWS_CREDENTIAL_EXPIRATION` (botocore's `EnvProvider.EXPIRY_TIME`) says when the
/// environment's keys stop working. The start line names the time, a value that is not one is
/// an error naming the variable, and once it has passed the keys are refused before any
/// request is signed, with a message that names the variable and never the keys. Botocore
/// likewise refuses them only once they are expired (`refresh_needed(refresh_in=0)`).
#[tokio::test]
async fn the_environments_keys_are_refused_once_their_expiration_passed() {
    let env = |expiration: &'static str| {
        move |n: &str| {
            let v = match n {
                "AWS_ACCESS_KEY_ID" => "ASIAEXPIRINGKEY0",
                "AWS_SECRET_ACCESS_KEY" => "expiring-secret-0123456789abcdefghij",
                "AWS_SESSION_TOKEN" => "expiring-session-token",
                "AWS_CREDENTIAL_EXPIRATION" => expiration,
                _ => return None,
            };
            Some(v.to_string())
        }
    };
    let e = super::chain::resolve(&env("tomorrow"), None).unwrap_err();
    assert_eq!(
        e,
        "environment: AWS_CREDENTIAL_EXPIRATION: 'tomorrow' is not a time such as 2026-12-08T10:00:00Z"
    );
    let source = |expiration: &'static str| {
        let auth = Auth {
            source: super::chain::resolve(&env(expiration), None).unwrap(),
            sts_endpoint: None,
            by_chain: true,
        };
        CredentialSource::new(&auth, REGION)
    };
    let http = http();
    // As `aws configure export-credentials --format env` writes it.
    let later = source("2099-01-01T00:00:00+00:00");
    assert_eq!(
        later.describe(),
        "environment (AWS_ACCESS_KEY_ID, expiring at 2099-01-01T00:00:00Z)"
    );
    let c = later.credentials(&http).await.unwrap();
    assert_eq!(c.access_key_id, "ASIAEXPIRINGKEY0");
    let e = source("2020-01-01T00:00:00Z")
        .credentials(&http)
        .await
        .unwrap_err();
    assert_eq!(e.reason, Reason::Auth);
    assert_eq!(
        e.message,
        "the keys from the environment expired at 2020-01-01T00:00:00Z \
         (AWS_CREDENTIAL_EXPIRATION); start the exporter with fresh ones"
    );
}
