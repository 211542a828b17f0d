//! Yandex Cloud Backup against the simulator: paging, every token source, token refresh,
//! the status table, time precision, discovery, a scheduler poll rendered as metrics, and the
//! backup policies read as schedules.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use cloud_task_exporter::config::{Config, Settings, Shard, Target};
use cloud_task_exporter::model::{Task, TaskState};
use cloud_task_exporter::provider::{PollContext, Provider, Reason};
use cloud_task_exporter::scheduler::TargetRunner;
use cloud_task_exporter::sim::yandex::{
    SimBackupSet, SimBackupTime, SimPolicy, SimResource, SimTask, TEST_KEY_ID,
    TEST_SERVICE_ACCOUNT_ID, YC_APPLICATIONS, YC_POLICIES, test_authorized_key_json,
};
use cloud_task_exporter::sim::{FakeCloud, Fault, FaultRule, Sim, lock};
use jiff::Timestamp;

use crate::support::{self, BUCKETS, sample};

const VM: &str = "fhm0vm000000000000a1";
const TOKEN: &str = "t1.static-token.test";

async fn cloud() -> FakeCloud {
    FakeCloud::start(Sim::new()).await.unwrap()
}

fn target(c: &FakeCloud, auth: &str, units: &str, page_size: u32) -> Target {
    let keys = support::yandex(auth, &c.url(), units);
    support::target("yc", &c.url(), &keys, support::settings(page_size))
}

fn ids(list: &[&str]) -> String {
    support::ids("compute_instance_ids", list)
}

fn token(t: &str) -> String {
    format!("iam_token: {t}")
}

fn ctx(page_size: u32) -> PollContext {
    support::full_pass(page_size)
}

/// The tasks of `VM` through `t`, in pages of `page_size`.
async fn list(t: &Target, page_size: u32) -> Vec<Task> {
    support::provider(t)
        .list_tasks(VM, &ctx(page_size))
        .await
        .unwrap()
        .tasks
}

fn sa_key() -> String {
    support::yandex_sa_key()
}

/// An RFC3339 time `mins` minutes before now, with 9 fraction digits.
fn ago(mins: i64) -> String {
    Timestamp::now()
        .checked_sub(jiff::SignedDuration::from_mins(mins))
        .unwrap()
        .strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        .to_string()
}

fn done(id: &str, code: &str) -> SimTask {
    SimTask::new(id, "BACKUP", "COMPLETED")
        .times(&ago(30), Some(&ago(29)), Some(&ago(20)))
        .result(code, (code != "OK").then_some("agent reported a problem"))
}

fn by_id<'a>(tasks: &'a [Task], id: &str) -> &'a Task {
    tasks.iter().find(|t| t.id == id).unwrap()
}

#[tokio::test]
async fn yandex_follows_every_page_with_bearer_token() {
    let c = cloud().await;
    {
        let mut y = lock(&c.sim().yandex);
        y.register_iam_token(TOKEN);
        for i in 1..=7 {
            y.upsert_task(VM, done(&i.to_string(), "OK"));
        }
    }
    let t = target(&c, &token(TOKEN), &ids(&[VM]), 3);
    let tasks = list(&t, 3).await;
    assert_eq!(tasks.len(), 7);
    assert!(
        tasks
            .iter()
            .all(|t| t.resource == VM && t.task_type == "backup")
    );
    let reqs = c.sim().requests_to("yandex_backup");
    assert_eq!(reqs.len(), 3, "three pages of 3, 3, 1");
    assert_eq!(c.sim().request_count("yandex_backup"), 3);
    assert_eq!(c.sim().request_count("yandex_iam"), 0);
    assert!(reqs.iter().all(|r| r.status == 200));
    assert_eq!(
        reqs[0].request.path,
        format!("/backup/v1/resources/{VM}/tasks")
    );
    assert_eq!(reqs[0].request.query_map()["pageSize"], "3");
    assert!(!reqs[0].request.query_map().contains_key("pageToken"));
    assert!(reqs[1].request.query_map().contains_key("pageToken"));
    assert_eq!(
        reqs[2].request.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert!(c.sim().requests_to("yandex_iam").is_empty());
}

#[tokio::test]
async fn yandex_status_and_result_code_map_per_spec() {
    let c = cloud().await;
    let cases = [
        ("ENQUEUED", None, TaskState::Queued, false),
        ("ASSIGNED", None, TaskState::Queued, false),
        ("STARTED", None, TaskState::Running, false),
        ("PAUSED", None, TaskState::Paused, false),
        ("COMPLETED", Some("OK"), TaskState::Succeeded, true),
        ("COMPLETED", Some("WARNING"), TaskState::Warning, true),
        ("COMPLETED", Some("ERROR"), TaskState::Failed, true),
        ("COMPLETED", Some("ABANDONED"), TaskState::Failed, true),
        ("COMPLETED", Some("TIMEDOUT"), TaskState::TimedOut, true),
        ("COMPLETED", Some("CANCELLED"), TaskState::Cancelled, true),
        ("COMPLETED", None, TaskState::Unknown, true),
        (
            "COMPLETED",
            Some("CODE_UNSPECIFIED"),
            TaskState::Unknown,
            true,
        ),
    ];
    {
        let mut y = lock(&c.sim().yandex);
        y.register_iam_token(TOKEN);
        for (i, (status, code, _, _)) in cases.iter().enumerate() {
            let mut t = SimTask::new(i.to_string(), "RETENTION", status);
            t.result_code = code.map(str::to_string);
            y.upsert_task(VM, t);
        }
        y.upsert_task(VM, SimTask::new("100", "APPLY_POLICY", "HIBERNATING"));
        y.upsert_task(
            VM,
            SimTask::new("101", "REVOKE_POLICY", "COMPLETED").result("EXPLODED", None),
        );
    }
    let t = target(&c, &token(TOKEN), &ids(&[VM]), 100);
    let tasks = list(&t, 100).await;
    for (i, (status, code, state, terminal)) in cases.iter().enumerate() {
        let got = by_id(&tasks, &i.to_string());
        assert_eq!(
            (got.state, got.terminal, got.status_known),
            (*state, *terminal, true),
            "{status} {code:?}"
        );
        assert_eq!(got.task_type, "retention");
    }
    let unknown = by_id(&tasks, "100");
    assert_eq!(
        (unknown.state, unknown.status_known),
        (TaskState::Unknown, false)
    );
    assert!(!unknown.terminal);
    assert_eq!(unknown.raw_status, "HIBERNATING");
    assert_eq!(unknown.task_type, "apply_policy");
    let code = by_id(&tasks, "101");
    assert_eq!(
        (code.state, code.status_known, code.terminal),
        (TaskState::Unknown, false, true)
    );
    assert_eq!(code.raw_status, "COMPLETED/EXPLODED");
}

#[tokio::test]
async fn yandex_time_fractions_are_kept_to_the_nanosecond() {
    let c = cloud().await;
    {
        let mut y = lock(&c.sim().yandex);
        y.register_iam_token(TOKEN);
        let t = |id: &str, started: &str, completed: &str| {
            SimTask::new(id, "BACKUP", "COMPLETED")
                .times("2024-05-01T09:59:59Z", Some(started), Some(completed))
                .result("OK", None)
                .progress(10, 10)
        };
        y.upsert_task(VM, t("0", "2024-05-01T10:00:00Z", "2024-05-01T10:01:01Z"));
        y.upsert_task(
            VM,
            t("3", "2024-05-01T10:00:00.120Z", "2024-05-01T10:00:01.125Z"),
        );
        y.upsert_task(
            VM,
            t(
                "6",
                "2024-05-01T10:00:00.000001Z",
                "2024-05-01T10:00:00.500003Z",
            ),
        );
        y.upsert_task(
            VM,
            t(
                "9",
                "2024-05-01T10:00:00.000000001Z",
                "2024-05-01T12:00:00.999999999+02:00",
            ),
        );
        let mut running = SimTask::new("p", "RECOVERY", "STARTED").progress(25, 200);
        running.enqueued_at = Some("2024-05-01T10:00:00.5Z".to_string());
        y.upsert_task(VM, running);
    }
    let t = target(&c, &token(TOKEN), &ids(&[VM]), 100);
    let tasks = list(&t, 100).await;
    let ns = |id: &str| {
        let t = by_id(&tasks, id);
        (
            t.started.unwrap().as_nanosecond(),
            t.finished.unwrap().as_nanosecond(),
            t.duration_seconds().unwrap(),
        )
    };
    let base: i128 = "2024-05-01T10:00:00Z"
        .parse::<Timestamp>()
        .unwrap()
        .as_nanosecond();
    assert_eq!(ns("0"), (base, base + 61_000_000_000, 61.0));
    assert_eq!(ns("3"), (base + 120_000_000, base + 1_125_000_000, 1.005));
    assert_eq!(ns("6"), (base + 1_000, base + 500_003_000, 0.500002));
    assert_eq!(ns("9"), (base + 1, base + 999_999_999, 0.999999998));
    assert_eq!(by_id(&tasks, "9").progress, Some(1.0));
    let p = by_id(&tasks, "p");
    assert_eq!(p.progress, Some(0.125));
    assert_eq!(p.created.unwrap().as_nanosecond(), base + 500_000_000);
    assert!(p.started.is_none() && p.finished.is_none());
}

#[tokio::test]
async fn yandex_oauth_token_is_exchanged_once_and_cached() {
    let c = cloud().await;
    {
        let mut y = lock(&c.sim().yandex);
        y.register_oauth_token("y0_oauth");
        y.upsert_task(VM, done("1", "OK"));
    }
    let t = target(&c, "oauth_token: y0_oauth", &ids(&[VM]), 100);
    let p = support::provider(&t);
    p.list_tasks(VM, &ctx(100)).await.unwrap();
    p.list_tasks(VM, &ctx(100)).await.unwrap();
    let iam = c.sim().requests_to("yandex_iam");
    assert_eq!(iam.len(), 1);
    assert_eq!(iam[0].request.method, "POST");
    let body: serde_json::Value = serde_json::from_slice(&iam[0].request.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"yandexPassportOauthToken": "y0_oauth"})
    );
    // A wrong OAuth token is an auth failure.
    let t = target(&c, "oauth_token: nope", &ids(&[VM]), 100);
    let e = support::provider(&t)
        .list_tasks(VM, &ctx(100))
        .await
        .unwrap_err();
    assert_eq!(e.reason, Reason::Auth);
    assert!(!e.message.contains("nope"));
}

#[tokio::test]
async fn yandex_service_account_key_with_please_line_signs_a_jwt() {
    let c = cloud().await;
    {
        let mut y = lock(&c.sim().yandex);
        y.register_test_sa_key();
        y.upsert_task(VM, done("1", "OK"));
    }
    assert!(test_authorized_key_json().contains("PLEASE DO NOT REMOVE THIS LINE!"));
    let t = target(&c, &sa_key(), &ids(&[VM]), 100);
    let tasks = list(&t, 100).await;
    assert_eq!(tasks.len(), 1);
    let iam = c.sim().requests_to("yandex_iam");
    assert_eq!((iam.len(), iam[0].status), (1, 200));
    let body: serde_json::Value = serde_json::from_slice(&iam[0].request.body).unwrap();
    let jwt = body["jwt"].as_str().unwrap();
    let header = jsonwebtoken::decode_header(jwt).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::PS256);
    assert_eq!(header.kid.as_deref(), Some(TEST_KEY_ID));
    let payload = jwt.split('.').nth(1).unwrap();
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["iss"], TEST_SERVICE_ACCOUNT_ID);
    assert_eq!(
        claims["aud"],
        "https://iam.api.cloud.yandex.net/iam/v1/tokens"
    );
    let life = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
    assert!((1..=3600).contains(&life));
}

#[tokio::test]
async fn yandex_wrong_jwt_signature_is_refused_as_auth() {
    let c = cloud().await;
    {
        let mut y = lock(&c.sim().yandex);
        let other = include_str!("fixtures/other_sa_key.pub.pem");
        y.register_sa_key(TEST_KEY_ID, TEST_SERVICE_ACCOUNT_ID, other);
        y.upsert_task(VM, done("1", "OK"));
    }
    let t = target(&c, &sa_key(), &ids(&[VM]), 100);
    let e = support::provider(&t)
        .list_tasks(VM, &ctx(100))
        .await
        .unwrap_err();
    assert_eq!(e.reason, Reason::Auth, "{e}");
    assert_eq!(c.sim().requests_to("yandex_iam")[0].status, 401);
    assert!(c.sim().requests_to("yandex_backup").is_empty());
}

#[tokio::test]
async fn yandex_metadata_token_needs_the_flavor_header() {
    let c = cloud().await;
    {
        let mut y = lock(&c.sim().yandex);
        y.upsert_task(VM, done("1", "WARNING"));
    }
    let auth = format!("metadata: true, metadata_url: '{}'", c.url());
    let t = target(&c, &auth, &ids(&[VM]), 100);
    let tasks = list(&t, 100).await;
    assert_eq!(tasks[0].state, TaskState::Warning);
    assert_eq!(tasks[0].error.as_deref(), Some("agent reported a problem"));
    let md = c.sim().requests_to("metadata");
    assert_eq!(md.len(), 1);
    assert_eq!(md[0].request.header("metadata-flavor"), Some("Google"));
    // Without the header the simulated service refuses.
    let r = reqwest::get(format!(
        "{}/computeMetadata/v1/instance/service-accounts/default/token",
        c.url()
    ))
    .await
    .unwrap();
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn yandex_401_refreshes_the_token_once_and_retries() {
    let c = cloud().await;
    {
        let mut y = lock(&c.sim().yandex);
        y.register_test_sa_key();
        y.upsert_task(VM, done("1", "OK"));
    }
    let t = target(&c, &sa_key(), &ids(&[VM]), 100);
    let p = support::provider(&t);
    p.list_tasks(VM, &ctx(100)).await.unwrap();
    lock(&c.sim().yandex).expire_all_tokens();
    let tasks = p.list_tasks(VM, &ctx(100)).await.unwrap().tasks;
    assert_eq!(tasks.len(), 1);
    assert_eq!(lock(&c.sim().yandex).issued_tokens(), 2);
    let statuses = c.sim().statuses_to("yandex_backup");
    assert_eq!(statuses, vec![200, 401, 200]);
}

#[tokio::test]
async fn yandex_second_401_is_an_auth_error() {
    let c = cloud().await;
    {
        let mut y = lock(&c.sim().yandex);
        y.register_test_sa_key();
        y.upsert_task(VM, done("1", "OK"));
    }
    c.sim().inject(
        FaultRule::service(
            "yandex_backup",
            Fault::Status {
                status: 401,
                body: r#"{"code":16,"message":"The token is invalid or has expired"}"#.to_string(),
                retry_after: None,
            },
        )
        .times(2),
    );
    let t = target(&c, &sa_key(), &ids(&[VM]), 100);
    let e = support::provider(&t)
        .list_tasks(VM, &ctx(100))
        .await
        .unwrap_err();
    assert_eq!(e.reason, Reason::Auth);
    assert_eq!(e.status, Some(401));
    assert_eq!(
        c.sim().requests_to("yandex_backup").len(),
        2,
        "one retry only"
    );
    assert_eq!(lock(&c.sim().yandex).issued_tokens(), 2);
}

#[tokio::test]
async fn yandex_static_token_401_is_not_retried() {
    let c = cloud().await;
    lock(&c.sim().yandex).add_instance(VM);
    let t = target(&c, &token("t1.unknown"), &ids(&[VM]), 100);
    let e = support::provider(&t)
        .list_tasks(VM, &ctx(100))
        .await
        .unwrap_err();
    assert_eq!((e.reason, e.status), (Reason::Auth, Some(401)));
    assert!(e.message.contains("16: The token is invalid"), "{e}");
    assert!(!e.message.contains("t1.unknown"));
    assert_eq!(c.sim().requests_to("yandex_backup").len(), 1);
}

#[tokio::test]
async fn yandex_token_is_refreshed_ahead_of_expiry() {
    let c = cloud().await;
    {
        let mut y = lock(&c.sim().yandex);
        y.register_test_sa_key();
        y.set_iam_token_lifetime(Duration::from_secs(1));
        y.upsert_task(VM, done("1", "OK"));
    }
    let t = target(&c, &sa_key(), &ids(&[VM]), 100);
    let p = support::provider(&t);
    p.list_tasks(VM, &ctx(100)).await.unwrap();
    // Past half the lifetime: the client refreshes before the server would refuse.
    tokio::time::sleep(Duration::from_millis(700)).await;
    p.list_tasks(VM, &ctx(100)).await.unwrap();
    assert_eq!(lock(&c.sim().yandex).issued_tokens(), 2);
    assert!(
        c.sim()
            .requests_to("yandex_backup")
            .iter()
            .all(|r| r.status == 200)
    );
}

#[tokio::test]
async fn yandex_concurrent_requests_share_one_refresh() {
    let c = cloud().await;
    {
        let mut y = lock(&c.sim().yandex);
        y.register_test_sa_key();
        for i in 0..8 {
            y.upsert_task(&format!("vm{i}"), done(&i.to_string(), "OK"));
        }
    }
    let t = target(&c, &sa_key(), &ids(&["vm0"]), 100);
    let p = Arc::new(support::provider(&t));
    let mut set = tokio::task::JoinSet::new();
    for i in 0..8 {
        let p = Arc::clone(&p);
        set.spawn(async move { p.list_tasks(&format!("vm{i}"), &ctx(100)).await });
    }
    while let Some(r) = set.join_next().await {
        assert_eq!(r.unwrap().unwrap().tasks.len(), 1);
    }
    assert_eq!(lock(&c.sim().yandex).issued_tokens(), 1);
}

#[tokio::test]
async fn yandex_discovery_lists_backup_enabled_instances() {
    let c = cloud().await;
    {
        let mut y = lock(&c.sim().yandex);
        y.register_iam_token(TOKEN);
        let mut list: Vec<SimResource> = ["a1", "a2", "a3", "a4", "a5"]
            .iter()
            .map(|i| SimResource::enabled(i))
            .collect();
        list[1].enabled = false;
        list[3].init_status = "DELETED".to_string();
        y.set_resource_list("b1gfolder", list);
    }
    let resources = "discover: { folder_id: b1gfolder, interval: 1h }";
    let t = target(&c, &token(TOKEN), resources, 2);
    let found = support::provider(&t).discover().await.unwrap();
    assert_eq!(found, vec!["a1", "a3", "a5"]);
    let reqs = c.sim().requests_to("yandex_backup");
    assert_eq!(reqs.len(), 3);
    assert_eq!(reqs[0].request.path, "/backup/v1/resources");
    assert_eq!(reqs[0].request.query_map()["folderId"], "b1gfolder");
}

#[tokio::test]
async fn yandex_simulator_validates_requests() {
    let c = cloud().await;
    {
        let mut y = lock(&c.sim().yandex);
        y.register_iam_token(TOKEN);
        y.add_instance(VM);
    }
    let get = |path: String| {
        cloud_task_exporter::provider::http::client()
            .get(format!("{}{path}", c.url()))
            .bearer_auth(TOKEN)
            .send()
    };
    let r = get(format!("/backup/v1/resources/{VM}/tasks?pageSize=1001"))
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["code"], 3);
    assert_eq!(
        body["details"][0]["@type"],
        "type.googleapis.com/google.rpc.RequestInfo"
    );
    let r = get(format!("/backup/v1/resources/{VM}/tasks?pageToken=bogus"))
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = get("/backup/v1/resources/fhmnope/tasks".to_string())
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = get(format!("/backup/v1/resources/{VM}/tasks"))
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), r#"{"tasks":[]}"#);
    // Through the client a missing instance is a client error, not auth.
    let t = target(&c, &token(TOKEN), &ids(&["fhmnope"]), 100);
    let e = support::provider(&t)
        .list_tasks("fhmnope", &ctx(100))
        .await
        .unwrap_err();
    assert_eq!((e.reason, e.status), (Reason::Client, Some(404)));
}

#[tokio::test]
async fn yandex_poll_through_the_scheduler_renders_metrics() {
    let c = cloud().await;
    {
        let mut y = lock(&c.sim().yandex);
        y.register_test_sa_key();
        y.upsert_task(VM, done("1", "ERROR"));
        y.upsert_task(
            VM,
            SimTask::new("2", "BACKUP", "STARTED")
                .times(&ago(5), Some(&ago(4)), None)
                .progress(1, 4),
        );
        y.upsert_task(
            VM,
            SimTask::new("3", "BACKUP", "HIBERNATING").times(&ago(3), None, None),
        );
    }
    let t = target(&c, &sa_key(), &ids(&[VM]), 2);
    let mut runner = support::runner(&t, &BUCKETS);
    runner.poll_once().await.unwrap();
    // The running task finishes; a new task times out.
    {
        let mut y = lock(&c.sim().yandex);
        y.upsert_task(VM, done("2", "OK"));
        y.upsert_task(VM, done("4", "TIMEDOUT"));
    }
    runner.poll_once().await.unwrap();
    let text = support::exposition_of(runner.snapshot(), &BUCKETS);
    let base = [("provider", "yandex_backup"), ("target", "yc")];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut l = base.to_vec();
        l.extend_from_slice(extra);
        l
    };
    assert_eq!(sample(&text, "cloud_task_target_up", &base), Some(1.0));
    assert_eq!(
        sample(
            &text,
            "cloud_task_unknown_status_total",
            &with(&[("status", "HIBERNATING")])
        ),
        Some(1.0)
    );
    let done_labels = |result| with(&[("resource", VM), ("type", "backup"), ("result", result)]);
    // Task 1 was terminal at the first poll: baseline, not counted.
    assert_eq!(
        sample(
            &text,
            "cloud_task_completions_total",
            &done_labels("failed")
        ),
        Some(0.0)
    );
    assert_eq!(
        sample(
            &text,
            "cloud_task_completions_total",
            &done_labels("succeeded")
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            "cloud_task_completions_total",
            &done_labels("timed_out")
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(&text, "cloud_task_target_resources", &base),
        Some(1.0)
    );
    // Two polls of two pages each, one token exchange, and the policies read once (the
    // instance's `ListPolicies`, which names none).
    assert_eq!(
        sample(
            &text,
            "cloud_task_api_requests_total",
            &with(&[("code", "200")])
        ),
        Some(6.0)
    );
}

#[tokio::test]
async fn yandex_simulated_iam_checks_every_jwt_rule() {
    use cloud_task_exporter::sim::yandex::{JWT_AUDIENCE, TEST_PRIVATE_KEY_PEM};
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    let c = cloud().await;
    lock(&c.sim().yandex).register_test_sa_key();
    let key = EncodingKey::from_rsa_pem(TEST_PRIVATE_KEY_PEM.as_bytes()).unwrap();
    let now = Timestamp::now().as_second();
    let jwt = |alg: Algorithm, kid: &str, iss: &str, aud: &str, iat: i64, exp: i64| {
        let mut h = Header::new(alg);
        h.kid = Some(kid.to_string());
        let claims = serde_json::json!({"iss": iss, "aud": aud, "iat": iat, "exp": exp});
        jsonwebtoken::encode(&h, &claims, &key).unwrap()
    };
    let post = |body: serde_json::Value| {
        cloud_task_exporter::provider::http::client()
            .post(format!("{}/iam/v1/tokens", c.url()))
            .json(&body)
            .send()
    };
    let (k, sa, aud) = (TEST_KEY_ID, TEST_SERVICE_ACCOUNT_ID, JWT_AUDIENCE);
    let ok = jwt(Algorithm::PS256, k, sa, aud, now, now + 3600);
    let r = post(serde_json::json!({ "jwt": ok })).await.unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(body["iamToken"].as_str().unwrap().starts_with("t1."));
    assert!(body["expiresAt"].as_str().unwrap().ends_with('Z'));
    let refused = [
        jwt(Algorithm::RS256, k, sa, aud, now, now + 60),
        jwt(Algorithm::PS256, "other-key", sa, aud, now, now + 60),
        jwt(Algorithm::PS256, k, "other-sa", aud, now, now + 60),
        jwt(
            Algorithm::PS256,
            k,
            sa,
            "https://example.com/",
            now,
            now + 60,
        ),
        jwt(Algorithm::PS256, k, sa, aud, now, now + 7200),
        jwt(Algorithm::PS256, k, sa, aud, now - 7200, now - 3600),
    ];
    for (i, j) in refused.into_iter().enumerate() {
        let r = post(serde_json::json!({ "jwt": j })).await.unwrap();
        assert_eq!(r.status(), 401, "case {i}");
    }
    let r = post(serde_json::json!({})).await.unwrap();
    assert_eq!(r.status(), 400);
}

/// The error a target with these `auth` keys meets before it can poll: the config loader
/// reads and parses its key.
fn auth_error(auth: &str) -> String {
    let yaml = format!(
        "targets:\n  - name: yc\n    provider: yandex_backup\n    auth: {{ {auth} }}\n    compute_instance_ids: [{VM}]\n"
    );
    Config::from_str(&yaml, std::path::Path::new("config.yaml"))
        .expect_err("a bad key")
        .to_string()
}

#[test]
fn yandex_bad_key_file_is_an_error_without_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("key.json");
    let mut json: serde_json::Value = serde_json::from_str(&test_authorized_key_json()).unwrap();
    json["private_key"] = serde_json::Value::String(
        "PLEASE DO NOT REMOVE\n-----BEGIN PRIVATE KEY-----\nnot a pem\n-----END PRIVATE KEY-----\n"
            .into(),
    );
    std::fs::write(&path, json.to_string()).unwrap();
    let e = auth_error(&format!("service_account_key_file: '{}'", path.display()));
    assert!(e.contains(&path.display().to_string()), "{e}");
    assert!(!e.contains("not a pem"), "{e}");
    let e = auth_error(r#"service_account_key: '{"id": "k", "private_key": "SECRETSTUFF"}'"#);
    assert!(!e.contains("SECRETSTUFF"), "{e}");
}

#[tokio::test]
async fn yandex_throttled_page_is_retried_after_retry_after() {
    let c = cloud().await;
    {
        let mut y = lock(&c.sim().yandex);
        y.register_iam_token(TOKEN);
        for i in 1..=4 {
            y.upsert_task(VM, done(&i.to_string(), "OK"));
        }
    }
    c.sim()
        .inject(FaultRule::service("yandex_backup", Fault::throttle("0")).times(1));
    let mut t = target(&c, &token(TOKEN), &ids(&[VM]), 2);
    t.settings.retries = 2;
    let tasks = list(&t, 2).await;
    assert_eq!(tasks.len(), 4);
    let statuses = c.sim().statuses_to("yandex_backup");
    assert_eq!(statuses, vec![429, 200, 200]);
}

#[tokio::test]
async fn yandex_list_shifting_between_pages_loses_and_doubles_nothing() {
    let c = cloud().await;
    {
        let mut y = lock(&c.sim().yandex);
        y.register_iam_token(TOKEN);
        for i in 1..=6 {
            y.upsert_task(VM, done(&i.to_string(), "OK"));
        }
    }
    // Before the second page is answered a new task arrives at the head of the list.
    c.sim().on_request("yandex_backup", 2, |sim| {
        lock(&sim.yandex).upsert_task(VM, done("7", "ERROR"));
    });
    let t = target(&c, &token(TOKEN), &ids(&[VM]), 2);
    let tasks = list(&t, 2).await;
    let mut got: Vec<&str> = tasks.iter().map(|t| t.id.as_str()).collect();
    got.sort();
    assert_eq!(got, vec!["1", "2", "3", "4", "5", "6"]);
}

#[tokio::test]
async fn yandex_token_expiring_mid_poll_is_refreshed_and_paging_continues() {
    let c = cloud().await;
    {
        let mut y = lock(&c.sim().yandex);
        y.register_test_sa_key();
        for i in 1..=6 {
            y.upsert_task(VM, done(&i.to_string(), "OK"));
        }
    }
    c.sim().on_request("yandex_backup", 2, |sim| {
        lock(&sim.yandex).expire_all_tokens();
    });
    let t = target(&c, &sa_key(), &ids(&[VM]), 2);
    let tasks = list(&t, 2).await;
    assert_eq!(tasks.len(), 6);
    let reqs = c.sim().requests_to("yandex_backup");
    let statuses: Vec<u16> = reqs.iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![200, 401, 200, 200]);
    assert_eq!(
        reqs[1].request.query_map()["pageToken"],
        reqs[2].request.query_map()["pageToken"],
        "the retry asks for the same page"
    );
    assert_eq!(lock(&c.sim().yandex).issued_tokens(), 2);
}

const VM_OFF: &str = "fhm0vm000000000000b2";

/// Two instances: `VM` under an enabled daily 02:00 policy, `VM_OFF` whose application of
/// it is disabled.
async fn nightly_policy_cloud() -> FakeCloud {
    let c = cloud().await;
    {
        let mut y = lock(&c.sim().yandex);
        y.register_iam_token(TOKEN);
        y.add_instance(VM);
        y.add_instance(VM_OFF);
        let set = SimBackupSet::time(SimBackupTime::daily(&[(2, 0)]));
        y.add_policy(SimPolicy::new(
            "pol-nightly",
            "nightly",
            "b1gfolder",
            vec![set],
        ));
        y.apply_policy("pol-nightly", VM, true);
        y.apply_policy("pol-nightly", VM_OFF, false);
    }
    c
}

#[tokio::test]
async fn yandex_policies_schedule_each_instance_and_are_not_reread_before_reconcile() {
    let c = nightly_policy_cloud().await;
    let t = target(&c, &token(TOKEN), &ids(&[VM, VM_OFF]), 100);
    let mut runner = support::runner(&t, &BUCKETS);
    let before = support::two_am_around(Timestamp::now());
    runner.poll_once().await.unwrap();
    let after = support::two_am_around(Timestamp::now());
    let text = support::exposition_of(runner.snapshot(), &BUCKETS);
    let of = |r: &'static str| {
        vec![
            ("provider", "yandex_backup"),
            ("resource", r),
            ("target", "yc"),
            ("type", "backup"),
        ]
    };
    assert_eq!(
        sample(&text, "cloud_task_schedule_covered", &of(VM)),
        Some(1.0)
    );
    assert_eq!(
        sample(&text, "cloud_task_schedule_covered", &of(VM_OFF)),
        Some(0.0)
    );
    let next = sample(
        &text,
        "cloud_task_schedule_next_run_timestamp_seconds",
        &of(VM),
    );
    let last = sample(
        &text,
        "cloud_task_schedule_last_due_timestamp_seconds",
        &of(VM),
    );
    let got = (last.unwrap(), next.unwrap());
    assert!(
        got == before || got == after,
        "{got:?}: 02:00 UTC around now"
    );
    assert_eq!(
        sample(
            &text,
            "cloud_task_schedule_next_run_timestamp_seconds",
            &of(VM_OFF)
        ),
        None,
        "nothing scheduled for a disabled application"
    );
    for r in [VM, VM_OFF] {
        let mut l = of(r);
        l.extend([("policy_id", "pol-nightly"), ("policy_name", "nightly")]);
        assert_eq!(
            sample(&text, "cloud_task_schedule_info", &l),
            Some(1.0),
            "{r}"
        );
    }
    let skipped = |reason| {
        let l = [
            ("provider", "yandex_backup"),
            ("reason", reason),
            ("target", "yc"),
        ];
        sample(&text, "cloud_task_schedule_skipped_total", &l)
    };
    for reason in ["forbidden", "unreadable", "unsupported", "error"] {
        assert_eq!(skipped(reason), Some(0.0), "{reason}");
    }
    // One `ListPolicies` per instance, the shared policy's applications once; the task
    // lists as before, one request per instance.
    let policy_calls: Vec<String> = c
        .sim()
        .requests_to(YC_POLICIES)
        .iter()
        .map(|r| r.request.path.clone())
        .collect();
    assert_eq!(
        policy_calls,
        [
            "/backup/v1/policies",
            "/backup/v1/policies",
            "/backup/v1/policies/pol-nightly/applications"
        ]
    );
    assert_eq!(c.sim().requests_to("yandex_backup").len(), 2);
    // The next poll, well within `reconcile_interval`, lists the tasks only.
    runner.poll_once().await.unwrap();
    assert_eq!(c.sim().requests_to(YC_POLICIES).len(), 3);
    assert_eq!(c.sim().requests_to("yandex_backup").len(), 4);
}

#[tokio::test]
async fn yandex_policy_reads_of_many_instances_are_spread_over_the_polls() {
    // 1,200 listed instances: a refresh reads the policies of at most
    // max(500, instances × interval / reconcile interval) of them, the ones read longest ago
    // first, and the polls after it read the rest; the schedules cover each instance once
    // it has been read, and none before (no answer, never "not covered").
    let vms: Vec<String> = (0..1200).map(|i| format!("fhm0vm{i:014}")).collect();
    let listed: Vec<&str> = vms.iter().map(String::as_str).collect();
    // (interval, reconcile interval, the bound, the reads of 4 polls): 1,200 × 300 / 3,600
    // = 100 reads to 500; 1,200 × 300 / 600 = 600.
    let cases = [
        (300, 3600, 500, [500, 500, 200, 0]),
        (300, 600, 600, [600, 600, 0, 0]),
    ];
    for (interval, reconcile, bound, expected) in cases {
        let c = nightly_policy_cloud().await;
        {
            let mut y = lock(&c.sim().yandex);
            for vm in &vms {
                y.add_instance(vm);
                y.apply_policy("pol-nightly", vm, true);
            }
        }
        let settings = Settings {
            interval: Duration::from_secs(interval),
            reconcile_interval: Some(Duration::from_secs(reconcile)),
            ..support::settings(100)
        };
        let keys = support::yandex(&token(TOKEN), &c.url(), &ids(&listed));
        let t = support::target("yc", &c.url(), &keys, settings);
        let mut runner = support::runner(&t, &BUCKETS);
        let read_instances = || -> Vec<String> {
            c.sim()
                .requests_to(YC_POLICIES)
                .iter()
                .filter_map(|r| r.request.query_map().get("computeInstanceId").cloned())
                .collect()
        };
        let mut seen = BTreeSet::new();
        let mut reads = Vec::new();
        for poll in 1..=4 {
            let before = read_instances().len();
            runner.poll_once().await.unwrap();
            let now = read_instances();
            let this: BTreeSet<String> = now[before..].iter().cloned().collect();
            assert_eq!(
                this.len(),
                now.len() - before,
                "poll {poll}: each read once"
            );
            assert!(
                this.is_disjoint(&seen),
                "poll {poll}: none read again within the reconcile interval"
            );
            seen.extend(this.iter().cloned());
            reads.push(this.len());
            let text = support::exposition_of(runner.snapshot(), &BUCKETS);
            // The resources of the schedule series, and those covered (`covered` 1).
            let resource_of = |l: &str| {
                let from = l.find("resource=\"")? + "resource=\"".len();
                Some(l[from..].split('"').next()?.to_string())
            };
            let schedule_lines = || {
                text.lines()
                    .filter(|l| l.starts_with("cloud_task_schedule_") && !l.starts_with('#'))
            };
            let with_series: BTreeSet<String> = schedule_lines().filter_map(resource_of).collect();
            let covered: BTreeSet<String> = schedule_lines()
                .filter(|l| l.starts_with("cloud_task_schedule_covered{") && l.ends_with(" 1"))
                .filter_map(resource_of)
                .collect();
            assert_eq!(covered, seen, "poll {poll}: the instances read are covered");
            assert_eq!(
                with_series, seen,
                "poll {poll}: an instance not read yet has no schedule series"
            );
        }
        assert_eq!(reads, expected, "reads per poll, at most {bound} each");
        assert!(reads.iter().all(|&n| n <= bound));
        assert_eq!(seen.len(), 1200, "every instance read");
        // Each instance's policy is read with it: the one shared policy's applications
        // once per poll that read instances.
        let apps = c
            .sim()
            .requests_to(YC_POLICIES)
            .iter()
            .filter(|r| r.request.path.ends_with("/applications"))
            .count();
        assert_eq!(apps, expected.iter().filter(|&&n| n > 0).count());
    }
}

#[tokio::test]
async fn yandex_policies_without_rights_are_a_counted_skip_never_a_failed_target() {
    // Without rights on the policy list the whole read is one skip; without rights on the
    // applications, the one policy is.
    for denied in [YC_POLICIES, YC_APPLICATIONS] {
        let c = nightly_policy_cloud().await;
        lock(&c.sim().yandex).deny(denied);
        let t = target(&c, &token(TOKEN), &ids(&[VM, VM_OFF]), 100);
        let mut runner = support::runner(&t, &BUCKETS);
        runner.poll_once().await.unwrap();
        let text = support::exposition_of(runner.snapshot(), &BUCKETS);
        let base = [("provider", "yandex_backup"), ("target", "yc")];
        assert_eq!(
            sample(&text, "cloud_task_target_up", &base),
            Some(1.0),
            "{denied}"
        );
        let forbidden = [
            ("provider", "yandex_backup"),
            ("reason", "forbidden"),
            ("target", "yc"),
        ];
        assert_eq!(
            sample(&text, "cloud_task_schedule_skipped_total", &forbidden),
            Some(1.0),
            "{denied}"
        );
        assert!(
            !text.contains("cloud_task_schedule_covered{"),
            "{denied}: no coverage claimed without the policies"
        );
    }
}

#[tokio::test]
async fn a_sharded_target_shows_the_schedules_of_its_own_instances_only() {
    // The policy applications name every instance of the folder; each replica shows the
    // schedule series of the instances it polls, and together they show each once.
    let c = nightly_policy_cloud().await;
    let t = target(&c, &token(TOKEN), &ids(&[VM, VM_OFF]), 100);
    let mut shown = Vec::new();
    for index in 0..2 {
        let before = c.sim().requests_to("yandex_backup").len();
        let mut runner = TargetRunner::new(
            t.clone(),
            support::provider(&t),
            Arc::default(),
            BUCKETS.to_vec(),
            Shard { index, total: 2 },
        );
        runner.poll_once().await.unwrap();
        let polled: BTreeSet<String> = c.sim().requests_to("yandex_backup")[before..]
            .iter()
            .filter_map(|r| r.request.segments().get(3).cloned())
            .collect();
        let text = support::exposition_of(runner.snapshot(), &BUCKETS);
        let scheduled: BTreeSet<String> = [VM, VM_OFF]
            .into_iter()
            .filter(|r| {
                let labels = [
                    ("provider", "yandex_backup"),
                    ("resource", *r),
                    ("target", "yc"),
                    ("type", "backup"),
                ];
                sample(&text, "cloud_task_schedule_covered", &labels).is_some()
            })
            .map(String::from)
            .collect();
        assert_eq!(scheduled, polled, "shard {index}");
        shown.extend(scheduled);
    }
    shown.sort();
    assert_eq!(
        shown,
        [VM, VM_OFF],
        "each instance shown by exactly one replica"
    );
}
