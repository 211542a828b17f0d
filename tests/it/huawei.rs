//! The four Huawei providers against the simulator: paging, every status, every time format,
//! progress, durations, resource info, AK/SK and IAM token auth, discovery, and a scheduler poll.

use std::sync::Arc;
use std::time::Duration;

use cloud_task_exporter::config::Target;
use cloud_task_exporter::model::{Task, TaskState};
use cloud_task_exporter::provider::http::{RequestCounts, client};
use cloud_task_exporter::provider::huawei::sign;
use cloud_task_exporter::provider::{AnyProvider, PollContext, Provider, Reason};
use cloud_task_exporter::sim::huawei::{CbrLog, CceTask, DmsTask, VbsTask};
use cloud_task_exporter::sim::{FakeCloud, Sim, SimRequest, lock};
use jiff::tz::{Offset, TimeZone};
use jiff::{SignedDuration, Timestamp};

use crate::support;

const AK: &str = "HPUAEXAMPLEAKID00001";
const SK: &str = "ExampleSecretKey0123456789abcdefghijklmn";
const PROJECT: &str = "0123456789abcdef0123456789abcdef";

/// A whole second two hours ago: every seeded time is `base() + n seconds + a fraction`.
fn base() -> Timestamp {
    let now = Timestamp::now().as_second();
    Timestamp::from_second(now - now % 60 - 7200).unwrap()
}

fn plus(t: Timestamp, secs: i64, millis: i64) -> Timestamp {
    t.checked_add(SignedDuration::from_millis(secs * 1000 + millis))
        .unwrap()
}

fn fmt(t: Timestamp, hours: i8, pattern: &str) -> String {
    let tz = TimeZone::fixed(Offset::constant(hours));
    t.to_zoned(tz).strftime(pattern).to_string()
}

fn aksk(sk: &str) -> String {
    support::aksk(AK, sk)
}

/// The keys of a Huawei target of `provider` in `PROJECT`.
fn hw(provider: &str, auth: &str, rest: &str) -> String {
    support::huawei(provider, PROJECT, auth, rest)
}

fn target(url: &str, keys: &str) -> Target {
    support::target("hw", url, keys, support::settings(2))
}

fn cbr(url: &str, auth: &str, filters: &str) -> Target {
    target(url, &hw("huawei_cbr", auth, filters))
}

fn build(t: &Target) -> AnyProvider {
    support::provider(t)
}

fn ctx() -> PollContext {
    support::full_pass(2)
}

async fn start() -> FakeCloud {
    let sim = Sim::new();
    lock(&sim.huawei).add_aksk(AK, SK);
    FakeCloud::start(sim).await.unwrap()
}

fn by_id<'a>(tasks: &'a [Task], id: &str) -> &'a Task {
    tasks
        .iter()
        .find(|t| t.id == id)
        .unwrap_or_else(|| panic!("task {id} missing"))
}

#[tokio::test]
async fn cbr_pages_maps_every_status_and_reads_resource_info() {
    let cloud = start().await;
    let b = base();
    let statuses = [
        ("waiting", TaskState::Queued),
        ("running", TaskState::Running),
        ("success", TaskState::Succeeded),
        ("failed", TaskState::Failed),
        ("timeout", TaskState::TimedOut),
        ("skipped", TaskState::Skipped),
        ("brand_new", TaskState::Unknown),
    ];
    {
        let mut st = lock(&cloud.sim().huawei);
        for (i, (status, _)) in statuses.iter().enumerate() {
            let c = plus(b, i as i64 * 60, 0);
            st.add_cbr_log(CbrLog {
                id: format!("log-{i}"),
                status: status.to_string(),
                operation_type: if i == 0 { "restore" } else { "backup" }.into(),
                created_at: fmt(c, 0, "%Y-%m-%dT%H:%M:%S.039+00:00"),
                started_at: fmt(c, 8, "%Y-%m-%dT%H:%M:%S.007+08:00"),
                updated_at: fmt(plus(c, 30, 0), 0, "%Y-%m-%dT%H:%M:%SZ"),
                ended_at: (*status != "running" && *status != "waiting")
                    .then(|| fmt(plus(c, 227, 0), 0, "%Y-%m-%dT%H:%M:%S.511Z")),
                progress: Some(if *status == "running" { 40 } else { 100 }),
                resource_id: format!("vm-{}", i % 2),
                resource_name: format!("ECS-000{}", i % 2),
                resource_type: "OS::Nova::Server".into(),
                vault_id: "vault-1".into(),
                error: (*status == "failed")
                    .then(|| ("BackupService.6500".into(), "Backup failed.".into())),
            });
        }
        // Outside the lookback window: the start_time filter leaves it out.
        st.add_cbr_log(CbrLog {
            id: "ancient".into(),
            status: "success".into(),
            operation_type: "backup".into(),
            created_at: "2019-05-23T14:31:36.039+00:00".into(),
            started_at: "2019-05-23T14:31:36.007+00:00".into(),
            updated_at: "2019-05-23T14:35:23.584+00:00".into(),
            ..CbrLog::default()
        });
    }
    let p = build(&cbr(&cloud.url(), &aksk(SK), ""));
    assert_eq!(
        p.units(),
        cloud_task_exporter::provider::Units::Fixed(vec![PROJECT.into()])
    );
    let tasks = p.list_tasks(PROJECT, &ctx()).await.unwrap().tasks;
    assert_eq!(tasks.len(), 7);
    for (i, (status, want)) in statuses.iter().enumerate() {
        let t = by_id(&tasks, &format!("log-{i}"));
        assert_eq!(t.state, *want, "{status}");
        assert_eq!(t.raw_status, *status);
        assert_eq!(t.status_known, *want != TaskState::Unknown);
    }
    let reqs = cloud.sim().requests_to("huawei_cbr");
    assert_eq!(reqs.len(), 4, "7 logs in pages of 2");
    let q = reqs[0].request.query_map();
    assert_eq!(q["limit"], "2");
    assert_eq!(q["offset"], "0");
    assert!(q["start_time"].ends_with('Z') && q["start_time"].len() == 20);
    assert_eq!(reqs[3].request.query_map()["offset"], "6");

    // Times to the exact instant, from `+00:00`, `+08:00` and `Z` forms.
    let c = plus(b, 120, 0);
    let t = by_id(&tasks, "log-2");
    assert_eq!(t.created, Some(plus(c, 0, 39)));
    assert_eq!(t.started, Some(plus(c, 0, 7)));
    assert_eq!(t.updated, Some(plus(c, 30, 0)));
    assert_eq!(t.finished, Some(plus(c, 227, 511)));
    assert_eq!(t.duration_seconds(), Some(227.504));
    assert_eq!(t.progress, Some(1.0));
    assert_eq!(t.task_type, "backup");
    assert_eq!(t.resource, "vm-0");
    assert_eq!(t.resource_name.as_deref(), Some("ECS-0000"));
    assert_eq!(t.resource_type.as_deref(), Some("OS::Nova::Server"));
    assert_eq!(t.error, None, "empty error_info on success is no error");
    let r = by_id(&tasks, "log-1");
    assert_eq!(r.progress, Some(0.4));
    assert_eq!(r.finished, None);
    assert_eq!(by_id(&tasks, "log-0").task_type, "restore");
    assert_eq!(
        by_id(&tasks, "log-3").error.as_deref(),
        Some("BackupService.6500: Backup failed.")
    );
}

#[tokio::test]
async fn cbr_filters_are_passed_through() {
    let cloud = start().await;
    let b = base();
    {
        let mut st = lock(&cloud.sim().huawei);
        for (i, op) in ["backup", "restore", "backup"].iter().enumerate() {
            let c = fmt(plus(b, i as i64, 0), 0, "%Y-%m-%dT%H:%M:%SZ");
            st.add_cbr_log(CbrLog {
                id: format!("l{i}"),
                status: "success".into(),
                operation_type: op.to_string(),
                created_at: c.clone(),
                started_at: c.clone(),
                updated_at: c,
                ..CbrLog::default()
            });
        }
    }
    let p = build(&cbr(
        &cloud.url(),
        &aksk(SK),
        "filters: { operation_type: backup, enterprise_project_id: all_granted_eps }",
    ));
    let tasks = p.list_tasks(PROJECT, &ctx()).await.unwrap().tasks;
    assert_eq!(tasks.len(), 2);
    assert!(tasks.iter().all(|t| t.task_type == "backup"));
    let q = cloud.sim().requests_to("huawei_cbr")[0].request.query_map();
    assert_eq!(q["operation_type"], "backup");
    assert_eq!(q["enterprise_project_id"], "all_granted_eps");
    // No vault id and no resource: falls back to vault_id, then empty.
    assert_eq!(tasks[0].resource, "");
}

#[tokio::test]
async fn vbs_pages_maps_every_status_with_naive_utc_times() {
    let cloud = start().await;
    let b = base();
    let statuses = [
        ("WAITING", TaskState::Queued),
        ("RUNNING", TaskState::Running),
        ("EXECUTE_SUCCESS", TaskState::Succeeded),
        ("EXECUTE_FAIL", TaskState::Failed),
        ("EXECUTE_TIMEOUT", TaskState::TimedOut),
        ("SKIP", TaskState::Skipped),
    ];
    {
        let mut st = lock(&cloud.sim().huawei);
        for (i, (status, _)) in statuses.iter().enumerate() {
            let c = plus(b, i as i64 * 60, 0);
            st.add_vbs_task(
                "policy-1",
                VbsTask {
                    job_id: format!("job-{i}"),
                    status: status.to_string(),
                    created_at: fmt(c, 0, "%Y-%m-%dT%H:%M:%S.706"),
                    finished_at: (i >= 2)
                        .then(|| fmt(plus(c, 3600, 0), 0, "%Y-%m-%dT%H:%M:%S.121")),
                    backup_name: format!("autobk_{i}"),
                    resource_id: "vol-1".into(),
                    resource_type: "volume".into(),
                    error: (i == 3).then(|| ("VBS.0042".into(), "snapshot failed".into())),
                },
            );
        }
    }
    let t = target(
        &cloud.url(),
        &hw(
            "huawei_vbs",
            &aksk(SK),
            &support::ids("policy_ids", &["policy-1"]),
        ),
    );
    let p = build(&t);
    let tasks = p.list_tasks("policy-1", &ctx()).await.unwrap().tasks;
    assert_eq!(tasks.len(), 6);
    assert_eq!(cloud.sim().requests_to("huawei_vbs").len(), 3);
    for (i, (status, want)) in statuses.iter().enumerate() {
        let t = by_id(&tasks, &format!("job-{i}"));
        assert_eq!(t.state, *want, "{status}");
        assert_eq!(t.task_type, "backup");
        assert_eq!(t.resource, "vol-1");
        assert_eq!(t.resource_type.as_deref(), Some("volume"));
    }
    let c = plus(b, 120, 0);
    let ok = by_id(&tasks, "job-2");
    assert_eq!(ok.created, Some(plus(c, 0, 706)));
    assert_eq!(ok.finished, Some(plus(c, 3600, 121)));
    assert_eq!(ok.duration_seconds(), Some(3599.415));
    assert_eq!(by_id(&tasks, "job-1").finished, None);
    assert_eq!(
        by_id(&tasks, "job-3").error.as_deref(),
        Some("VBS.0042: snapshot failed")
    );
}

#[tokio::test]
async fn cce_maps_phases_go_times_and_string_progress() {
    let cloud = start().await;
    let b = base();
    let phases = [
        ("Init", TaskState::Queued),
        ("Queuing", TaskState::Queued),
        ("running", TaskState::Running),
        ("Pause", TaskState::Paused),
        ("Success", TaskState::Succeeded),
        ("Failed", TaskState::Failed),
        ("Error", TaskState::Failed),
        ("", TaskState::Unknown),
    ];
    {
        let mut st = lock(&cloud.sim().huawei);
        for (i, (phase, want)) in phases.iter().enumerate() {
            let c = plus(b, i as i64 * 60, 0);
            let terminal = !want.is_active() && *want != TaskState::Unknown;
            st.add_cce_task(
                "cluster-1",
                CceTask {
                    uid: format!("snap-{i}"),
                    phase: phase.to_string(),
                    progress: Some(if terminal { "100".into() } else { "40".into() }),
                    created: fmt(c, 8, "%Y-%m-%d %H:%M:%S.739012 +0800 CST"),
                    updated: fmt(plus(c, 100, 0), 0, "%Y-%m-%d %H:%M:%S.968214406 +0000 UTC"),
                    completion: (terminal && i != 6)
                        .then(|| fmt(plus(c, 90, 0), 8, "%Y-%m-%d %H:%M:%S +0800 CST")),
                    items: vec![(
                        "master-backup".into(),
                        phase.to_string(),
                        if *phase == "Failed" {
                            "disk full".into()
                        } else {
                            String::new()
                        },
                    )],
                },
            );
        }
    }
    let t = target(
        &cloud.url(),
        &hw(
            "huawei_cce",
            &aksk(SK),
            &support::ids("cluster_ids", &["cluster-1"]),
        ),
    );
    let tasks = build(&t)
        .list_tasks("cluster-1", &ctx())
        .await
        .unwrap()
        .tasks;
    assert_eq!(tasks.len(), phases.len());
    assert_eq!(cloud.sim().requests_to("huawei_cce").len(), 1, "no paging");
    for (i, (phase, want)) in phases.iter().enumerate() {
        let t = by_id(&tasks, &format!("snap-{i}"));
        assert_eq!(t.state, *want, "{phase:?}");
        assert_eq!(t.resource, "cluster-1");
        assert_eq!(t.task_type, "backup");
    }
    let c = plus(b, 240, 0);
    let ok = by_id(&tasks, "snap-4");
    assert_eq!(
        ok.created,
        Some(c.checked_add(SignedDuration::from_micros(739_012)).unwrap())
    );
    assert_eq!(
        ok.updated,
        Some(
            plus(c, 100, 0)
                .checked_add(SignedDuration::from_nanos(968_214_406))
                .unwrap()
        )
    );
    assert_eq!(ok.finished, Some(plus(c, 90, 0)));
    assert_eq!(ok.duration_seconds(), Some(89.260988));
    assert_eq!(ok.progress, Some(1.0));
    assert_eq!(by_id(&tasks, "snap-2").progress, Some(0.4));
    assert_eq!(by_id(&tasks, "snap-2").finished, None);
    // No completionTime on a terminal task: the update time ends it.
    let err = by_id(&tasks, "snap-6");
    assert_eq!(err.finished, err.updated);
    assert_eq!(by_id(&tasks, "snap-5").error.as_deref(), Some("disk full"));
}

#[tokio::test]
async fn dms_pages_by_start_dedupes_and_maps_every_status() {
    let cloud = start().await;
    let b = base();
    let statuses = [
        ("CREATED", TaskState::Queued),
        ("EXECUTING", TaskState::Running),
        ("SUCCESS", TaskState::Succeeded),
        ("FAILED", TaskState::Failed),
        ("CANCELLED", TaskState::Cancelled),
        ("DELETED", TaskState::Unknown),
    ];
    {
        let mut st = lock(&cloud.sim().huawei);
        st.add_dms_instance("inst-1", "kafka-1", "kafka");
        for (i, (status, _)) in statuses.iter().enumerate() {
            let c = plus(b, i as i64 * 60, 46);
            st.add_dms_task(
                "inst-1",
                DmsTask {
                    id: format!("8abfa7b372160bfd01721658640640{i:02}"),
                    name: if i % 2 == 0 {
                        "modifyAutoTopic"
                    } else {
                        "changeRetentionPolicy"
                    }
                    .into(),
                    status: status.to_string(),
                    created_at: fmt(c, 0, "%Y-%m-%dT%H:%M:%S%.3fZ"),
                    updated_at: fmt(plus(c, 5, 0), 0, "%Y-%m-%dT%H:%M:%S%.3fZ"),
                    progress: (i == 1).then_some(55),
                },
            );
        }
    }
    let t = target(
        &cloud.url(),
        &hw(
            "huawei_dms",
            &aksk(SK),
            &("engine: kafka\n".to_owned() + &support::ids("instance_ids", &["inst-1"])),
        ),
    );
    let tasks = build(&t).list_tasks("inst-1", &ctx()).await.unwrap().tasks;
    assert_eq!(tasks.len(), 6);
    let reqs = cloud.sim().requests_to("huawei_dms");
    assert_eq!(
        reqs.len(),
        4,
        "6 tasks in pages of 2 (stopping at task_count) + 1 progress"
    );
    assert!(
        reqs[3]
            .request
            .path
            .ends_with("/tasks/8abfa7b372160bfd0172165864064001/progress")
    );
    assert_eq!(
        by_id(&tasks, "8abfa7b372160bfd0172165864064001").progress,
        Some(0.55)
    );
    let q0 = reqs[0].request.query_map();
    assert_eq!(q0["start"], "0");
    assert_eq!(q0["limit"], "2");
    assert_eq!(q0["begin_time"].len(), 14);
    assert!(q0["begin_time"].bytes().all(|c| c.is_ascii_digit()));
    assert_eq!(reqs[2].request.query_map()["start"], "4");
    for (i, (status, want)) in statuses.iter().enumerate() {
        let t = by_id(&tasks, &format!("8abfa7b372160bfd01721658640640{i:02}"));
        assert_eq!(t.state, *want, "{status}");
        assert_eq!(t.resource, "inst-1");
        let terminal = !matches!(*status, "CREATED" | "EXECUTING");
        assert_eq!(t.terminal, terminal, "{status}");
        assert_eq!(t.finished.is_some(), terminal, "{status}");
    }
    let s = by_id(&tasks, "8abfa7b372160bfd0172165864064002");
    assert_eq!(s.task_type, "modifyAutoTopic");
    assert_eq!(s.created, Some(plus(b, 120, 46)));
    assert_eq!(s.finished, Some(plus(b, 125, 46)));
    assert_eq!(s.duration_seconds(), Some(5.0));
}

#[tokio::test]
async fn dms_tolerates_a_list_that_shifts_between_pages() {
    let cloud = start().await;
    let b = base();
    {
        let mut st = lock(&cloud.sim().huawei);
        for i in 0..3 {
            let c = fmt(plus(b, i, 0), 0, "%Y-%m-%dT%H:%M:%S.000Z");
            st.add_dms_task(
                "inst-1",
                DmsTask {
                    id: format!("t{i}"),
                    name: "restartInstance".into(),
                    status: "SUCCESS".into(),
                    created_at: c.clone(),
                    updated_at: c,
                    progress: None,
                },
            );
        }
    }
    // A page whose ids were all seen already ends the listing (no endless loop).
    cloud.sim().inject(
        cloud_task_exporter::sim::FaultRule::service(
            "huawei_dms",
            cloud_task_exporter::sim::Fault::Garbage(
                r#"{"task_count":"9","tasks":[{"id":"t2","name":"x","status":"SUCCESS"},{"id":"t1","name":"x","status":"SUCCESS"}]}"#.into(),
            ),
        ),
    );
    let t = target(
        &cloud.url(),
        &hw(
            "huawei_dms",
            &aksk(SK),
            &("engine: kafka\n".to_owned() + &support::ids("instance_ids", &["inst-1"])),
        ),
    );
    let tasks = build(&t).list_tasks("inst-1", &ctx()).await.unwrap().tasks;
    assert_eq!(tasks.len(), 2);
    assert_eq!(cloud.sim().requests_to("huawei_dms").len(), 2);
}

#[tokio::test]
async fn wrong_secret_is_refused_as_auth_without_a_tight_retry_loop() {
    let cloud = start().await;
    let p = build(&cbr(&cloud.url(), &aksk("not-the-secret"), ""));
    let err = p.list_tasks(PROJECT, &ctx()).await.unwrap_err();
    assert_eq!(err.reason, Reason::Auth);
    assert!(err.message.contains("APIGW.0301"), "{}", err.message);
    assert!(!err.message.contains("not-the-secret"));
    let reqs = cloud.sim().requests_to("huawei_cbr");
    assert_eq!(reqs.len(), 2, "one request and one re-signed retry");
    assert!(reqs.iter().all(|r| r.status == 401));

    // Polls within the back-off do not call the API at all.
    for _ in 0..3 {
        let err = p.list_tasks(PROJECT, &ctx()).await.unwrap_err();
        assert_eq!(err.reason, Reason::Auth);
    }
    assert_eq!(cloud.sim().requests_to("huawei_cbr").len(), 2);
    assert!(!lock(&cloud.sim().huawei).is_locked(AK));

    // After five minutes it tries again.
    tokio::time::pause();
    tokio::time::advance(Duration::from_secs(301)).await;
    tokio::time::resume();
    let err = p.list_tasks(PROJECT, &ctx()).await.unwrap_err();
    assert_eq!(err.reason, Reason::Auth);
    assert_eq!(cloud.sim().requests_to("huawei_cbr").len(), 4);
}

#[tokio::test]
async fn temporary_credentials_need_the_security_token() {
    let cloud = start().await;
    lock(&cloud.sim().huawei).add_temporary_aksk("TMPAK", "tmp-secret", "sec-token-1");
    let with = |token: Option<&str>| {
        let token = token.map_or(String::new(), |t| format!(", security_token: '{t}'"));
        let auth = format!("{{ access_key: TMPAK, secret_key: tmp-secret{token} }}");
        cbr(&cloud.url(), &auth, "")
    };
    build(&with(Some("sec-token-1")))
        .list_tasks(PROJECT, &ctx())
        .await
        .unwrap();
    let r = &cloud.sim().requests_to("huawei_cbr")[0].request;
    assert_eq!(r.header("x-security-token"), Some("sec-token-1"));
    assert!(
        r.header("authorization")
            .unwrap()
            .contains("x-security-token")
    );
    let err = build(&with(None))
        .list_tasks(PROJECT, &ctx())
        .await
        .unwrap_err();
    assert_eq!(err.reason, Reason::Auth);
}

fn signed_request(date: &str, sk: &str) -> SimRequest {
    let path = format!("/v3/{PROJECT}/operation-logs");
    let headers = vec![
        ("host".to_string(), "cbr.local".to_string()),
        ("x-project-id".to_string(), PROJECT.to_string()),
        ("x-sdk-date".to_string(), date.to_string()),
    ];
    let q = vec![("limit".to_string(), "10".to_string())];
    let s = sign::sign(
        &sign::SignRequest {
            method: "GET",
            path: &path,
            query: &q,
            headers: &headers,
            host: None,
            body: b"",
        },
        AK,
        sk,
        date,
    );
    let mut headers = headers;
    headers.push(("authorization".into(), s.authorization));
    SimRequest {
        method: "GET".into(),
        path,
        query: s.query,
        headers,
        body: Default::default(),
    }
}

#[test]
fn simulator_checks_clock_skew_and_locks_after_five_failures() {
    let sim = Sim::new();
    lock(&sim.huawei).add_aksk(AK, SK);
    let now = sign::sdk_date(Timestamp::now());
    assert_eq!(sim.dispatch(&signed_request(&now, SK)).status, 200);
    let old = sign::sdk_date(
        Timestamp::now()
            .checked_sub(SignedDuration::from_mins(16))
            .unwrap(),
    );
    let r = sim.dispatch(&signed_request(&old, SK));
    assert_eq!(r.status, 401);
    assert!(String::from_utf8_lossy(&r.body).contains("15 minutes"));
    for _ in 0..4 {
        assert_eq!(sim.dispatch(&signed_request(&now, "bad")).status, 401);
    }
    assert!(lock(&sim.huawei).is_locked(AK));
    let r = sim.dispatch(&signed_request(&now, SK));
    assert_eq!(
        r.status, 401,
        "a locked AK is refused even when signed right"
    );
    assert!(String::from_utf8_lossy(&r.body).contains("locked"));
}

fn iam_target(url: &str, password: &str) -> Target {
    cbr(url, &support::iam(url, "acme", "exporter", password), "")
}

#[tokio::test]
async fn iam_token_is_obtained_reused_and_refreshed() {
    let cloud = start().await;
    lock(&cloud.sim().huawei).add_user("acme", "exporter", "pa55");
    let p = build(&iam_target(&cloud.url(), "pa55"));
    p.list_tasks(PROJECT, &ctx()).await.unwrap();
    p.list_tasks(PROJECT, &ctx()).await.unwrap();
    assert_eq!(lock(&cloud.sim().huawei).tokens_issued(), 1, "cached");
    let iam = cloud.sim().requests_to("huawei_iam");
    assert_eq!(iam.len(), 1);
    assert_eq!(iam[0].request.method, "POST");
    let body: serde_json::Value = serde_json::from_slice(&iam[0].request.body).unwrap();
    assert_eq!(body["auth"]["scope"]["project"]["id"], PROJECT);
    let cbr_reqs = cloud.sim().requests_to("huawei_cbr");
    assert!(
        cbr_reqs[0]
            .request
            .header("x-auth-token")
            .unwrap()
            .starts_with("MII")
    );
    assert!(cbr_reqs[0].request.header("authorization").is_none());

    // Revoked: the 401 triggers one refresh and one retry.
    lock(&cloud.sim().huawei).expire_tokens();
    cloud.sim().clear_requests();
    p.list_tasks(PROJECT, &ctx()).await.unwrap();
    assert_eq!(lock(&cloud.sim().huawei).tokens_issued(), 2);
    let statuses = cloud.sim().statuses_to("huawei_cbr");
    assert_eq!(statuses, vec![401, 200]);

    // Near the 24 h expiry it is refreshed before the API sees an old token.
    tokio::time::pause();
    tokio::time::advance(Duration::from_secs(23 * 3600 + 60)).await;
    tokio::time::resume();
    cloud.sim().clear_requests();
    p.list_tasks(PROJECT, &ctx()).await.unwrap();
    assert_eq!(lock(&cloud.sim().huawei).tokens_issued(), 3);
    let statuses = cloud.sim().statuses_to("huawei_cbr");
    assert_eq!(statuses, vec![200]);
}

/// The targets of one IAM user and project share its token: a CBR and a VBS target of the
/// same project ask IAM once between them; another project, or another password, is
/// another token.
#[tokio::test]
async fn iam_targets_of_one_user_and_project_share_one_token() {
    use cloud_task_exporter::sim::huawei::VbsScheduledPolicy;
    let cloud = start().await;
    {
        let mut st = lock(&cloud.sim().huawei);
        st.add_user("acme", "exporter", "pa55");
        let daily = VbsScheduledPolicy::every_days("02:00", 1);
        st.add_vbs_policy("vp-1", "volumes", daily, 1);
    }
    let iam = support::iam(&cloud.url(), "acme", "exporter", "pa55");
    let cbr_target = build(&cbr(&cloud.url(), &iam, ""));
    let vbs_target = build(&target(
        &cloud.url(),
        &hw("huawei_vbs", &iam, "policy_ids: [vp-1]"),
    ));
    cbr_target.list_tasks(PROJECT, &ctx()).await.unwrap();
    vbs_target.list_tasks("vp-1", &ctx()).await.unwrap();
    assert_eq!(lock(&cloud.sim().huawei).tokens_issued(), 1, "shared");
    // One token answered 200 for both services.
    let answered: std::collections::BTreeSet<(String, String)> = cloud
        .sim()
        .requests()
        .iter()
        .filter(|r| r.status == 200)
        .filter_map(|r| {
            let token = r.request.header("x-auth-token")?.to_string();
            Some((r.service.to_string(), token))
        })
        .collect();
    let services: Vec<&str> = answered.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(services, ["huawei_cbr", "huawei_vbs"]);
    let tokens: std::collections::BTreeSet<&str> =
        answered.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(tokens.len(), 1, "{answered:?}");

    // The same user with another password is another slot (a new token once it is valid).
    lock(&cloud.sim().huawei).add_user("acme", "exporter", "n3w-pa55");
    let renewed = support::iam(&cloud.url(), "acme", "exporter", "n3w-pa55");
    build(&cbr(&cloud.url(), &renewed, ""))
        .list_tasks(PROJECT, &ctx())
        .await
        .unwrap();
    assert_eq!(lock(&cloud.sim().huawei).tokens_issued(), 2);
}

#[tokio::test]
async fn iam_wrong_password_is_auth_and_backs_off() {
    let cloud = start().await;
    lock(&cloud.sim().huawei).add_user("acme", "exporter", "pa55");
    let p = build(&iam_target(&cloud.url(), "Xy9-secret-pw"));
    let err = p.list_tasks(PROJECT, &ctx()).await.unwrap_err();
    assert_eq!(err.reason, Reason::Auth);
    assert!(!err.message.contains("Xy9-secret-pw"), "{}", err.message);
    let err = p.list_tasks(PROJECT, &ctx()).await.unwrap_err();
    assert_eq!(err.reason, Reason::Auth);
    assert_eq!(cloud.sim().requests_to("huawei_iam").len(), 1);
    assert!(cloud.sim().requests_to("huawei_cbr").is_empty());
}

#[tokio::test]
async fn discovery_of_policies_clusters_and_instances() {
    let cloud = start().await;
    {
        let mut st = lock(&cloud.sim().huawei);
        st.add_vbs_task("pol-a", VbsTask::default());
        st.add_vbs_task("pol-b", VbsTask::default());
        st.add_cce_cluster("c-1", "prod");
        st.add_cce_cluster("c-2", "stage");
        st.add_cce_cluster("c-3", "going");
        st.cce_clusters[2].phase = "Deleting".into();
        for i in 0..3 {
            st.add_dms_instance(&format!("k-{i}"), "kafka", "kafka");
        }
        st.add_dms_instance("r-1", "rabbit", "rabbitmq");
    }
    let url = cloud.url();
    let vbs = build(&target(
        &url,
        &hw("huawei_vbs", &aksk(SK), "discover: true"),
    ));
    assert_eq!(
        vbs.units(),
        cloud_task_exporter::provider::Units::Discover(Duration::from_secs(3600))
    );
    assert_eq!(vbs.discover().await.unwrap(), vec!["pol-a", "pol-b"]);
    let cce = build(&target(
        &url,
        &hw("huawei_cce", &aksk(SK), "discover: true"),
    ));
    assert_eq!(cce.discover().await.unwrap(), vec!["c-1", "c-2"]);
    for (engine, want) in [
        ("kafka", vec!["k-0", "k-1", "k-2"]),
        ("rabbitmq", vec!["r-1"]),
        ("rocketmq", vec![]),
    ] {
        let keys = format!("engine: {engine}\ndiscover: true");
        let dms = build(&target(&url, &hw("huawei_dms", &aksk(SK), &keys)));
        assert_eq!(dms.discover().await.unwrap(), want, "{engine}");
    }
    let q = cloud.sim().requests_to("huawei_dms")[0].request.query_map();
    assert_eq!(q["engine"], "kafka");
}

#[tokio::test]
async fn scheduler_polls_a_discovered_dms_target() {
    let cloud = start().await;
    let b = base();
    {
        let mut st = lock(&cloud.sim().huawei);
        for (i, status) in ["SUCCESS", "EXECUTING", "FAILED"].iter().enumerate() {
            let c = fmt(plus(b, i as i64, 0), 0, "%Y-%m-%dT%H:%M:%S.000Z");
            st.add_dms_task(
                &format!("inst-{}", i % 2),
                DmsTask {
                    id: format!("t{i}"),
                    name: "bindInstancePublicIp".into(),
                    status: status.to_string(),
                    created_at: c.clone(),
                    updated_at: c,
                    progress: None,
                },
            );
        }
    }
    let t = target(
        &cloud.url(),
        &hw(
            "huawei_dms",
            &aksk(SK),
            &("engine: kafka\n".to_owned() + "discover: true"),
        ),
    );
    let mut runner = support::runner(&t, &[60.0, 3600.0]);
    runner.poll_once().await.unwrap();
    let snap = runner.snapshot();
    assert!(snap.status.up);
    assert_eq!(snap.status.resources, 2);
    assert_eq!(snap.tracked, 3);
    assert_eq!(snap.tallies.active.len(), 1);
    assert_eq!(
        snap.requests.get("200"),
        Some(&4),
        "discovery, 2 lists, 1 progress"
    );
    assert_eq!(snap.tallies.active[0].progress, Some(0.0));
    // The running task's record is listed unchanged, its progress moves: read every poll
    // (the memo may know the record, the progress is another call's).
    for (pct, want) in [(60, 0.6), (75, 0.75)] {
        {
            let mut st = lock(&cloud.sim().huawei);
            let t = (st.dms_tasks.values_mut().flatten())
                .find(|t| t.id == "t1")
                .unwrap();
            t.progress = Some(pct);
        }
        runner.poll_once().await.unwrap();
        let snap = runner.snapshot();
        assert_eq!(snap.tallies.active.len(), 1);
        assert_eq!(snap.tallies.active[0].progress, Some(want), "{pct} %");
    }

    // Bad credentials: the poll fails with reason auth and keeps the last data.
    let bad = target(&cloud.url(), &hw("huawei_cbr", &aksk("nope"), ""));
    let mut runner = support::runner(&bad, &[60.0]);
    let err = runner.poll_once().await.unwrap_err();
    assert_eq!(err.reason, Reason::Auth);
    let snap = runner.snapshot();
    assert!(!snap.status.up);
    assert_eq!(snap.status.errors.get(&Reason::Auth), Some(&1));
    assert_eq!(snap.requests.get("401"), Some(&2));
}

#[test]
fn default_endpoints_follow_the_region() {
    let keys = support::huawei("huawei_cce", PROJECT, &aksk(SK), "cluster_ids: [c]")
        .replace("ap-southeast-1", "eu-west-101");
    let t = support::target("x", "", &keys, support::settings(2));
    assert_eq!(t.endpoint, None);
    // Its endpoint comes from the region; an endpoint that is no URL never gets this far
    // (the config loader refuses it, see config.rs).
    let p = AnyProvider::build(
        &t.spec,
        &t.settings,
        t.endpoint.as_ref(),
        client(),
        Arc::new(RequestCounts::default()),
    );
    assert_eq!(p.kind().as_str(), "huawei_cce");
}

#[tokio::test]
async fn every_retry_is_signed_afresh_and_throttling_is_reported() {
    use cloud_task_exporter::sim::{Fault, FaultRule};
    let cloud = start().await;
    let mut t = cbr(&cloud.url(), &aksk(SK), "");
    t.settings.retries = 1;
    cloud
        .sim()
        .inject(FaultRule::service("huawei_cbr", Fault::status(503)).times(1));
    build(&t).list_tasks(PROJECT, &ctx()).await.unwrap();
    let statuses = cloud.sim().statuses_to("huawei_cbr");
    assert_eq!(
        statuses,
        vec![503, 200],
        "the retry passed the signature check"
    );

    cloud.sim().inject(FaultRule::service(
        "huawei_cbr",
        Fault::Status {
            status: 429,
            body: r#"{"error_msg":"The throttling threshold has been reached: policy user over ratelimit,limit:10,time:1 minute","error_code":"APIGW.0308","request_id":"r"}"#.into(),
            retry_after: Some("0".into()),
        },
    ));
    let err = build(&t).list_tasks(PROJECT, &ctx()).await.unwrap_err();
    assert_eq!(err.reason, Reason::Throttled);
    assert!(err.message.contains("APIGW.0308"), "{}", err.message);
}

#[tokio::test]
async fn the_example_data_set_reads_cleanly_through_every_provider() {
    use cloud_task_exporter::sim::huawei::{EXAMPLE_CLUSTER, EXAMPLE_INSTANCE, EXAMPLE_POLICY};
    let cloud = start().await;
    lock(&cloud.sim().huawei).seed_example(Timestamp::now());
    let url = cloud.url();
    let specs = [
        (
            &hw(
                "huawei_vbs",
                &aksk(SK),
                &support::ids("policy_ids", &[EXAMPLE_POLICY]),
            ),
            EXAMPLE_POLICY,
            5,
        ),
        (&hw("huawei_cbr", &aksk(SK), ""), PROJECT, 6),
        (
            &hw(
                "huawei_cce",
                &aksk(SK),
                &support::ids("cluster_ids", &[EXAMPLE_CLUSTER]),
            ),
            EXAMPLE_CLUSTER,
            3,
        ),
        (
            &hw(
                "huawei_dms",
                &aksk(SK),
                &("engine: kafka\n".to_owned()
                    + &support::ids("instance_ids", &[EXAMPLE_INSTANCE])),
            ),
            EXAMPLE_INSTANCE,
            5,
        ),
    ];
    for (spec, unit, n) in specs {
        let tasks = build(&target(&url, spec))
            .list_tasks(unit, &ctx())
            .await
            .unwrap()
            .tasks;
        assert_eq!(tasks.len(), n, "{unit}");
        assert!(tasks.iter().all(|t| t.status_known), "{unit}");
        assert!(tasks.iter().any(|t| t.state.is_active()), "{unit}");
        assert!(tasks.iter().any(|t| t.state == TaskState::Failed), "{unit}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_refusals_share_one_token_refresh() {
    let cloud = start().await;
    {
        let mut st = lock(&cloud.sim().huawei);
        st.add_user("acme", "exporter", "pa55");
        for i in 0..4 {
            st.add_dms_instance(&format!("k-{i}"), "kafka", "kafka");
        }
    }
    let t = target(
        &cloud.url(),
        &hw(
            "huawei_dms",
            &support::iam(&cloud.url(), "acme", "exporter", "pa55"),
            "engine: kafka\ninstance_ids: [k-0, k-1, k-2, k-3]",
        ),
    );
    let mut runner = support::runner(&t, &[60.0]);
    runner.poll_once().await.unwrap();
    assert_eq!(lock(&cloud.sim().huawei).tokens_issued(), 1);
    lock(&cloud.sim().huawei).expire_tokens();
    runner.poll_once().await.unwrap();
    assert_eq!(
        lock(&cloud.sim().huawei).tokens_issued(),
        2,
        "one refresh for four refused requests"
    );
}

#[tokio::test]
async fn cbr_metrics_carry_resource_info_and_progress() {
    use crate::support::sample;
    use cloud_task_exporter::hub::Hub;
    use cloud_task_exporter::metrics::exposition;
    let cloud = start().await;
    let b = base();
    let log = |id: &str, status: &str, progress: u32| {
        let c = fmt(b, 0, "%Y-%m-%dT%H:%M:%S.000Z");
        CbrLog {
            id: id.into(),
            status: status.into(),
            operation_type: "backup".into(),
            created_at: c.clone(),
            started_at: c.clone(),
            updated_at: c.clone(),
            ended_at: (status != "running").then(|| c.clone()),
            progress: Some(progress),
            resource_id: "vm-1".into(),
            resource_name: "ECS-0001".into(),
            resource_type: "OS::Nova::Server".into(),
            vault_id: "vault-1".into(),
            error: None,
        }
    };
    {
        let mut st = lock(&cloud.sim().huawei);
        st.add_cbr_log(log("done", "success", 100));
        st.add_cbr_log(log("busy", "running", 25));
    }
    let t = cbr(&cloud.url(), &aksk(SK), "");
    let mut runner = support::runner(&t, &[60.0]);
    runner.poll_once().await.unwrap();
    let hub = Hub::new();
    hub.set_targets(&["hw".to_string()]);
    hub.publish(runner.snapshot());
    let text = String::from_utf8(exposition(&hub, &[60.0]).to_vec()).unwrap();
    assert_eq!(
        sample(
            &text,
            "cloud_task_resource_info",
            &[
                ("provider", "huawei_cbr"),
                ("target", "hw"),
                ("resource", "vm-1"),
                ("resource_name", "ECS-0001"),
                ("resource_type", "OS::Nova::Server"),
            ],
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            "cloud_task_active_progress_ratio",
            &[
                ("provider", "huawei_cbr"),
                ("target", "hw"),
                ("resource", "vm-1"),
                ("type", "backup"),
                ("task_id", "busy"),
            ],
        ),
        Some(0.25),
        "{text}"
    );
}

/// `cloud_task_schedule_skipped_total` of the CBR target `hw` for `reason`.
fn skipped(text: &str, reason: &str) -> Option<f64> {
    support::sample(
        text,
        "cloud_task_schedule_skipped_total",
        &[
            ("provider", "huawei_cbr"),
            ("target", "hw"),
            ("reason", reason),
        ],
    )
}

/// CBR and VBS publish their backup schedules: a resource in a vault of an enabled daily
/// 02:00 policy is covered, with its next and latest due run and the policy; one whose policy
/// is off, or whose vault has none, is not scheduled; a VBS policy covers the volumes its
/// tasks name. The policies are read at the first poll, not again before
/// `reconcile_interval`.
#[tokio::test]
async fn cbr_and_vbs_schedules_are_served_per_resource() {
    use cloud_task_exporter::sim::huawei::{CBR_POLICIES, CbrPolicy, CbrVault, VbsScheduledPolicy};
    let cloud = start().await;
    let b = base();
    {
        let mut st = lock(&cloud.sim().huawei);
        let daily = "FREQ=DAILY;INTERVAL=1;BYHOUR=2;BYMINUTE=0";
        st.add_cbr_policy(CbrPolicy::backup("p-on", "nightly", &[daily]).vault("v1"));
        st.add_cbr_policy(
            CbrPolicy::backup("p-off", "paused", &[daily])
                .vault("v2")
                .enabled(false),
        );
        st.add_cbr_vault(CbrVault::new("v1", "one").resource("vm-0", "ECS-0", "OS::Nova::Server"));
        st.add_cbr_vault(CbrVault::new("v2", "two").resource("vm-1", "ECS-1", "OS::Nova::Server"));
        st.add_cbr_vault(CbrVault::new("v3", "three").resource(
            "vm-2",
            "ECS-2",
            "OS::Nova::Server",
        ));
        st.add_vbs_policy(
            "vp-1",
            "volumes",
            VbsScheduledPolicy::every_days("02:00", 1),
            1,
        );
        st.add_vbs_task(
            "vp-1",
            VbsTask {
                job_id: "job-1".into(),
                status: "OK".into(),
                created_at: fmt(b, 0, "%Y-%m-%dT%H:%M:%S.706"),
                finished_at: Some(fmt(plus(b, 60, 0), 0, "%Y-%m-%dT%H:%M:%S.121")),
                backup_name: "autobk".into(),
                resource_id: "vol-1".into(),
                resource_type: "volume".into(),
                error: None,
            },
        );
    }
    let buckets = [60.0, 3600.0];
    let t = cbr(&cloud.url(), &aksk(SK), "");
    let mut runner = support::runner(&t, &buckets);
    runner.poll_once().await.unwrap();
    let now = Timestamp::now();
    let text = support::exposition_of(runner.snapshot(), &buckets);
    let of = |name: &str, r: &str| {
        support::sample(
            &text,
            name,
            &[
                ("provider", "huawei_cbr"),
                ("target", "hw"),
                ("resource", r),
                ("type", "backup"),
            ],
        )
    };
    assert_eq!(
        of("cloud_task_schedule_covered", "vm-0"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(of("cloud_task_schedule_covered", "vm-1"), Some(0.0));
    assert_eq!(of("cloud_task_schedule_covered", "vm-2"), Some(0.0));
    let (last, next) = support::two_am_around(now);
    assert_eq!(
        of("cloud_task_schedule_last_due_timestamp_seconds", "vm-0"),
        Some(last)
    );
    assert_eq!(
        of("cloud_task_schedule_next_run_timestamp_seconds", "vm-0"),
        Some(next)
    );
    assert_eq!(
        of("cloud_task_schedule_next_run_timestamp_seconds", "vm-1"),
        None
    );
    let info = |r: &str, id: &str, name: &str| {
        support::sample(
            &text,
            "cloud_task_schedule_info",
            &[
                ("provider", "huawei_cbr"),
                ("target", "hw"),
                ("resource", r),
                ("type", "backup"),
                ("policy_id", id),
                ("policy_name", name),
            ],
        )
    };
    assert_eq!(info("vm-0", "p-on", "nightly"), Some(1.0));
    assert_eq!(info("vm-1", "p-off", "paused"), Some(1.0));
    assert_eq!(skipped(&text, "forbidden"), Some(0.0));
    // Read once: the next poll asks for the tasks only.
    runner.poll_once().await.unwrap();
    assert_eq!(cloud.sim().requests_to(CBR_POLICIES).len(), 1);

    // VBS: the policy covers the volume its tasks name.
    let vbs = target(
        &cloud.url(),
        &hw("huawei_vbs", &aksk(SK), "policy_ids: [vp-1]"),
    );
    let mut runner = support::runner(&vbs, &buckets);
    runner.poll_once().await.unwrap();
    let text = support::exposition_of(runner.snapshot(), &buckets);
    let vol = [
        ("provider", "huawei_vbs"),
        ("target", "hw"),
        ("resource", "vol-1"),
        ("type", "backup"),
    ];
    assert_eq!(
        support::sample(&text, "cloud_task_schedule_covered", &vol),
        Some(1.0)
    );
    assert_eq!(
        support::sample(
            &text,
            "cloud_task_schedule_next_run_timestamp_seconds",
            &vol
        ),
        Some(next)
    );
    // The policy listing is also VBS discovery; this target lists its ids, so the one
    // request is the schedules'.
    let listings = cloud
        .sim()
        .requests()
        .into_iter()
        .filter(|r| r.request.path.ends_with("/backuppolicy"))
        .count();
    assert_eq!(listings, 1);
}

/// A VBS policy every 3 days counts them from the day of its latest backup seen (the API
/// publishes no first day). Before a success, its volume gets no schedule series, and nothing
/// is counted as skipped; after one created yesterday at 02:00, that is its latest due run
/// and the next is three days after it.
#[tokio::test]
async fn a_vbs_policy_every_n_days_counts_from_its_latest_backup_seen() {
    use cloud_task_exporter::sim::huawei::VbsScheduledPolicy;
    let cloud = start().await;
    let (last, _) = support::two_am_around(Timestamp::now());
    let run = Timestamp::from_second(last as i64 - 86_400).unwrap();
    let task = |id: &str, status: &str, created: Timestamp| VbsTask {
        job_id: id.into(),
        status: status.into(),
        created_at: fmt(plus(created, 0, 706), 0, "%Y-%m-%dT%H:%M:%S.%3f"),
        finished_at: Some(fmt(plus(created, 600, 121), 0, "%Y-%m-%dT%H:%M:%S.%3f")),
        backup_name: "autobk".into(),
        resource_id: "vol-1".into(),
        resource_type: "volume".into(),
        error: None,
    };
    {
        let mut st = lock(&cloud.sim().huawei);
        let every_3 = VbsScheduledPolicy::every_days("02:00", 3);
        st.add_vbs_policy("vp-3", "every third day", every_3, 1);
        let failed = plus(run, -3 * 86_400, 0);
        st.add_vbs_task("vp-3", task("job-1", "EXECUTE_FAIL", failed));
    }
    let buckets = [60.0, 3600.0];
    let vbs = target(
        &cloud.url(),
        &hw("huawei_vbs", &aksk(SK), "policy_ids: [vp-3]"),
    );
    let mut runner = support::runner(&vbs, &buckets);
    runner.poll_once().await.unwrap();
    let vol = [
        ("provider", "huawei_vbs"),
        ("target", "hw"),
        ("resource", "vol-1"),
        ("type", "backup"),
    ];
    let text = support::exposition_of(runner.snapshot(), &buckets);
    assert_eq!(
        support::sample(&text, "cloud_task_schedule_covered", &vol),
        None,
        "no success seen: no answer, never a guess\n{text}"
    );
    for reason in ["unsupported", "unreadable"] {
        let labels = [
            ("provider", "huawei_vbs"),
            ("target", "hw"),
            ("reason", reason),
        ];
        let n = support::sample(&text, "cloud_task_schedule_skipped_total", &labels);
        assert_eq!(n, Some(0.0), "{reason}");
    }

    lock(&cloud.sim().huawei).add_vbs_task("vp-3", task("job-2", "EXECUTE_SUCCESS", run));
    runner.poll_once().await.unwrap();
    let text = support::exposition_of(runner.snapshot(), &buckets);
    let of = |name: &str| support::sample(&text, name, &vol);
    assert_eq!(of("cloud_task_schedule_covered"), Some(1.0), "{text}");
    let last_due = of("cloud_task_schedule_last_due_timestamp_seconds");
    assert_eq!(last_due, Some(last - 86_400.0));
    let next = of("cloud_task_schedule_next_run_timestamp_seconds");
    assert_eq!(next, Some(last + 2.0 * 86_400.0));
}

/// Without rights on the policy API the target still polls, the read is counted as a
/// forbidden skip and no schedule series is served (the learned rhythm stays); a pattern that
/// cannot be read is an unreadable skip, and its resources get no guess either way.
#[tokio::test]
async fn schedules_that_cannot_be_read_are_counted_skips_not_failed_polls() {
    use cloud_task_exporter::sim::huawei::{CBR_POLICIES, CbrPolicy, CbrVault};
    let cloud = start().await;
    {
        let mut st = lock(&cloud.sim().huawei);
        st.add_cbr_policy(
            CbrPolicy::backup("p-bad", "odd", &["FREQ=YEARLY;BYHOUR=25"]).vault("v1"),
        );
        st.add_cbr_vault(CbrVault::new("v1", "one").resource("vm-0", "ECS-0", "OS::Nova::Server"));
        st.deny(CBR_POLICIES);
    }
    let buckets = [60.0];
    let t = cbr(&cloud.url(), &aksk(SK), "");
    let mut runner = support::runner(&t, &buckets);
    runner.poll_once().await.unwrap();
    let snap = runner.snapshot();
    assert!(snap.status.up, "a policy API without rights fails no poll");
    let text = support::exposition_of(snap, &buckets);
    assert_eq!(skipped(&text, "forbidden"), Some(1.0));
    assert!(!text.contains("cloud_task_schedule_covered{"), "{text}");

    lock(&cloud.sim().huawei).allow_all();
    let mut runner = support::runner(&t, &buckets);
    runner.poll_once().await.unwrap();
    let text = support::exposition_of(runner.snapshot(), &buckets);
    assert_eq!(skipped(&text, "unreadable"), Some(1.0));
    assert!(
        !text.contains("cloud_task_schedule_covered{"),
        "no guess: {text}"
    );
}
