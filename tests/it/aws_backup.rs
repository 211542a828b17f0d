//! AWS Backup against the simulator: the status table of the three job lists, `EXPIRED` and
//! completed-with-issues jobs through the scheduler, throttling answered with HTTP 400,
//! paging, the `createdAfter` window, the filters, refused keys, and the config checks.

use std::path::Path;

use cloud_task_exporter::config::{self, Target};
use cloud_task_exporter::model::TaskState;
use cloud_task_exporter::provider::{PollContext, Provider, Reason};
use cloud_task_exporter::sim::aws::{epoch, throttling};
use cloud_task_exporter::sim::{FakeCloud, FaultRule, Sim};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use crate::support::{self, sample};

/// The access key id the simulator accepts.
const ACCESS_KEY_ID: &str = "AKIATESTS00000000001";
/// Its secret.
const SECRET_ACCESS_KEY: &str = "tests/secret/access/key/0000000000000000";

/// The keys of a target polling `lists`, then `extra`.
fn keys(lists: &[&str], extra: &str) -> String {
    format!(
        "provider: aws_backup\nregion: eu-west-1\njob_types: [{}]\nauth: {{ access_key_id: {ACCESS_KEY_ID}, secret_access_key: '{SECRET_ACCESS_KEY}' }}\n{extra}",
        lists.join(", ")
    )
}

const BUCKETS: [f64; 2] = [60.0, 3600.0];
const VOL: &str = "arn:aws:ec2:eu-west-1:123456789012:volume/vol-0aws";

async fn cloud() -> FakeCloud {
    let c = FakeCloud::start(Sim::new()).await.unwrap();
    c.sim()
        .aws()
        .add_credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY, None);
    c
}

fn target(c: &FakeCloud, lists: &[&str], extra: &str, page_size: u32) -> Target {
    support::target(
        "aws",
        &c.url(),
        &keys(lists, extra),
        support::settings(page_size),
    )
}

fn ago(mins: i64) -> Value {
    epoch(Timestamp::now() - SignedDuration::from_mins(mins))
}

/// A job of any list: its id member, its state member, created `mins` ago.
fn job(id_field: &str, id: &str, state_field: &str, state: &str, mins: i64) -> Value {
    json!({
        id_field: id,
        state_field: state,
        "ResourceArn": VOL,
        "ResourceName": "web-data",
        "ResourceType": "EBS",
        "BackupVaultName": "prod-vault",
        "CreationDate": ago(mins),
    })
}

fn backup(id: &str, state: &str, mins: i64) -> Value {
    job("BackupJobId", id, "State", state, mins)
}

#[tokio::test]
async fn aws_every_state_of_the_three_lists_maps_through_the_simulator() {
    let c = cloud().await;
    {
        let mut aws = c.sim().aws();
        let states = [
            "CREATED",
            "PENDING",
            "RUNNING",
            "ABORTING",
            "ABORTED",
            "COMPLETED",
            "PARTIAL",
            "FAILED",
            "EXPIRED",
        ];
        for (i, s) in states.iter().enumerate() {
            aws.add_backup_job(backup(&format!("b-{s}"), s, 10 + i as i64));
        }
        let mut issues = backup("b-ISSUES", "COMPLETED", 30);
        issues["MessageCategory"] = json!("AccessDenied");
        issues["StatusMessage"] = json!("1 file skipped");
        aws.add_backup_job(issues);
        for (i, s) in ["CREATED", "RUNNING", "COMPLETED", "FAILED", "PARTIAL"]
            .iter()
            .enumerate()
        {
            aws.add_copy_job(job(
                "CopyJobId",
                &format!("c-{s}"),
                "State",
                s,
                10 + i as i64,
            ));
        }
        for (i, s) in ["PENDING", "RUNNING", "COMPLETED", "ABORTED", "FAILED"]
            .iter()
            .enumerate()
        {
            let mut j = job(
                "RestoreJobId",
                &format!("r-{s}"),
                "Status",
                s,
                10 + i as i64,
            );
            j["SourceResourceArn"] = j["ResourceArn"].take();
            aws.add_restore_job(j);
        }
    }
    let t = target(&c, &["backup", "copy", "restore"], "", 3);
    let p = support::provider(&t);
    assert_eq!(
        p.units(),
        cloud_task_exporter::provider::Units::Fixed(vec![
            "backup".into(),
            "copy".into(),
            "restore".into()
        ])
    );
    use TaskState::*;
    let want: &[(&str, &str, TaskState, bool)] = &[
        ("backup", "b-CREATED", Queued, false),
        ("backup", "b-PENDING", Queued, false),
        ("backup", "b-RUNNING", Running, false),
        ("backup", "b-ABORTING", Running, false),
        ("backup", "b-ABORTED", Cancelled, true),
        ("backup", "b-COMPLETED", Succeeded, true),
        ("backup", "b-PARTIAL", Warning, true),
        ("backup", "b-FAILED", Failed, true),
        ("backup", "b-EXPIRED", Failed, true),
        ("backup", "b-ISSUES", Warning, true),
        ("copy", "c-CREATED", Queued, false),
        ("copy", "c-RUNNING", Running, false),
        ("copy", "c-COMPLETED", Succeeded, true),
        ("copy", "c-FAILED", Failed, true),
        ("copy", "c-PARTIAL", Warning, true),
        ("restore", "r-PENDING", Queued, false),
        ("restore", "r-RUNNING", Running, false),
        ("restore", "r-COMPLETED", Succeeded, true),
        ("restore", "r-ABORTED", Cancelled, true),
        ("restore", "r-FAILED", Failed, true),
    ];
    for unit in ["backup", "copy", "restore"] {
        let l = p.list_tasks(unit, &support::full_pass(3)).await.unwrap();
        assert!(l.invalid.is_empty(), "{unit}: {:?}", l.invalid);
        let mine: Vec<_> = want.iter().filter(|w| w.0 == unit).collect();
        assert_eq!(l.tasks.len(), mine.len(), "{unit}");
        for (_, id, state, terminal) in mine {
            let t = l.tasks.iter().find(|t| t.id == *id).unwrap();
            assert_eq!((t.state, t.terminal), (*state, *terminal), "{id}");
            assert!(t.status_known, "{id}");
            assert_eq!(t.task_type, unit, "{id}");
            assert_eq!(t.resource, VOL, "{id}");
            assert_eq!(t.resource_name.as_deref(), Some("web-data"), "{id}");
            assert_eq!(t.resource_type.as_deref(), Some("EBS"), "{id}");
        }
        let task = |id: &str| l.tasks.iter().find(|t| t.id == id).unwrap().clone();
        if unit == "backup" {
            assert_eq!(
                task("b-ISSUES").error.as_deref(),
                Some("AccessDenied: 1 file skipped")
            );
            assert!(task("b-EXPIRED").error.unwrap().starts_with("EXPIRED: "));
        }
    }
}

/// Through the scheduler: an `EXPIRED` job counts as a failure (it pages like one), a job
/// completed with issues as a warning, a success as one; the resource is the `ResourceArn`.
#[tokio::test]
async fn aws_expired_pages_as_a_failure_and_completed_with_issues_is_a_warning() {
    let c = cloud().await;
    {
        let mut aws = c.sim().aws();
        aws.add_backup_job(backup("old", "FAILED", 120));
        aws.add_backup_job(backup("exp", "CREATED", 90));
        aws.add_backup_job(backup("iss", "RUNNING", 20));
        aws.add_backup_job(backup("ok", "RUNNING", 15));
    }
    let t = target(&c, &["backup"], "", 2);
    let mut runner = support::runner(&t, &BUCKETS);
    runner.poll_once().await.unwrap();
    {
        // The created job's start window closes; the running ones end.
        let mut aws = c.sim().aws();
        aws.set_job("exp", json!({"State": "EXPIRED", "StartBy": ago(0)}));
        aws.set_job(
            "iss",
            json!({"State": "COMPLETED", "MessageCategory": "PartiallySucceeded", "CompletionDate": ago(0)}),
        );
        aws.set_job(
            "ok",
            json!({"State": "COMPLETED", "MessageCategory": "SUCCESS", "CompletionDate": ago(0)}),
        );
    }
    runner.poll_once().await.unwrap();
    let text = support::exposition_of(runner.snapshot(), &BUCKETS);
    let done = |result| {
        sample(
            &text,
            "cloud_task_completions_total",
            &[
                ("provider", "aws_backup"),
                ("target", "aws"),
                ("resource", VOL),
                ("type", "backup"),
                ("result", result),
            ],
        )
    };
    assert_eq!(
        sample(
            &text,
            "cloud_task_target_up",
            &[("provider", "aws_backup"), ("target", "aws")]
        ),
        Some(1.0)
    );
    // `old` was finished at the first poll: the baseline, not counted.
    assert_eq!(done("failed"), Some(1.0), "{text}");
    assert_eq!(done("warning"), Some(1.0), "{text}");
    assert_eq!(done("succeeded"), Some(1.0), "{text}");
}

#[tokio::test]
async fn aws_throttling_with_http_400_is_retried_and_counted_as_throttled() {
    let c = cloud().await;
    c.sim().aws().add_backup_job(backup("b1", "RUNNING", 5));
    let mut t = target(&c, &["backup"], "", 10);
    t.settings.retries = 2;
    let p = support::provider(&t);
    c.sim()
        .inject(FaultRule::service("aws_backup", throttling()).times(2));
    let l = p
        .list_tasks("backup", &support::full_pass(10))
        .await
        .unwrap();
    assert_eq!(l.tasks.len(), 1);
    assert_eq!(c.sim().statuses_to("aws_backup"), vec![400, 400, 200]);
    // Each retry is signed afresh: three requests, three `x-amz-date`s that verify.
    let dates: Vec<String> = c
        .sim()
        .requests_to("aws_backup")
        .iter()
        .map(|r| {
            r.request
                .header("x-amz-date")
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert_eq!(dates.len(), 3);
    // Past the retries, the poll fails as throttled, not as a client error.
    c.sim().clear_requests();
    c.sim()
        .inject(FaultRule::service("aws_backup", throttling()).times(3));
    let e = p
        .list_tasks("backup", &support::full_pass(10))
        .await
        .unwrap_err();
    assert_eq!(e.reason, Reason::Throttled, "{e}");
    assert_eq!(e.status, Some(400), "{e}");
    assert!(
        e.message.contains("ThrottlingException: Rate exceeded"),
        "{e}"
    );
    assert!(
        e.message.starts_with("job list 'backup': ListBackupJobs: "),
        "{e}"
    );
}

#[tokio::test]
async fn aws_pages_with_next_token_and_a_clamped_max_results() {
    let c = cloud().await;
    for i in 0..5 {
        c.sim()
            .aws()
            .add_backup_job(backup(&format!("p{i}"), "COMPLETED", 10 + i));
    }
    let t = target(&c, &["backup"], "", 2);
    let p = support::provider(&t);
    let l = p
        .list_tasks("backup", &support::full_pass(2))
        .await
        .unwrap();
    let mut ids: Vec<&str> = l.tasks.iter().map(|t| t.id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["p0", "p1", "p2", "p3", "p4"]);
    let reqs = c.sim().requests_to("aws_backup");
    assert_eq!(reqs.len(), 3);
    for (i, r) in reqs.iter().enumerate() {
        let q = r.request.query_map();
        assert_eq!(q.get("maxResults").map(String::as_str), Some("2"));
        assert_eq!(q.contains_key("nextToken"), i > 0, "{q:?}");
        assert_eq!(r.request.path, "/backup-jobs/");
    }
    // A page size past the model's 1..1000 is clamped: the simulator refuses 1001.
    c.sim().clear_requests();
    let mut ctx = support::full_pass(5000);
    ctx.page_size = 5000;
    p.list_tasks("backup", &ctx).await.unwrap();
    let q = c.sim().requests_to("aws_backup")[0].request.query_map();
    assert_eq!(q.get("maxResults").map(String::as_str), Some("1000"));
}

#[tokio::test]
async fn aws_created_after_is_the_window_start_in_iso_8601() {
    let c = cloud().await;
    c.sim().aws().add_backup_job(backup("new", "COMPLETED", 30));
    c.sim()
        .aws()
        .add_backup_job(backup("old", "COMPLETED", 600));
    let t = target(&c, &["backup"], "", 10);
    let p = support::provider(&t);
    let now = Timestamp::now();
    let ctx = PollContext {
        now,
        since: now - SignedDuration::from_hours(2),
        page_size: 10,
        max_pages: 10,
        window: None,
        recall: None,
    };
    let l = p.list_tasks("backup", &ctx).await.unwrap();
    let ids: Vec<&str> = l.tasks.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(
        ids,
        ["new"],
        "the job older than the window is not asked for"
    );
    let q = c.sim().requests_to("aws_backup")[0].request.query_map();
    let after: Timestamp = q["createdAfter"].parse().unwrap();
    let since = ctx.since.as_second();
    assert_eq!(after.as_second(), since - 1, "{q:?}");
    assert!(q["createdAfter"].ends_with('Z') && !q["createdAfter"].contains('.'));
}

#[tokio::test]
async fn aws_filters_are_passed_to_the_lists_that_have_them() {
    let c = cloud().await;
    {
        let mut aws = c.sim().aws();
        aws.add_backup_job(backup("in", "COMPLETED", 10));
        let mut other = backup("other-vault", "COMPLETED", 11);
        other["BackupVaultName"] = json!("dev-vault");
        aws.add_backup_job(other);
        let mut rds = backup("rds", "COMPLETED", 12);
        rds["ResourceType"] = json!("RDS");
        aws.add_backup_job(rds);
        aws.add_copy_job(job("CopyJobId", "c1", "State", "COMPLETED", 10));
    }
    let t = target(
        &c,
        &["backup", "copy"],
        "filters: { backupVaultName: prod-vault, resourceType: EBS, accountId: \"*\" }",
        10,
    );
    let p = support::provider(&t);
    let l = p
        .list_tasks("backup", &support::full_pass(10))
        .await
        .unwrap();
    let ids: Vec<&str> = l.tasks.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["in"]);
    let l = p.list_tasks("copy", &support::full_pass(10)).await.unwrap();
    assert_eq!(l.tasks.len(), 1);
    let reqs = c.sim().requests_to("aws_backup");
    let q = reqs[0].request.query_map();
    assert_eq!(
        q.get("backupVaultName").map(String::as_str),
        Some("prod-vault")
    );
    assert_eq!(q.get("resourceType").map(String::as_str), Some("EBS"));
    assert_eq!(q.get("accountId").map(String::as_str), Some("*"));
    let q = reqs[1].request.query_map();
    assert_eq!(reqs[1].request.path, "/copy-jobs/");
    assert!(
        !q.contains_key("backupVaultName"),
        "ListCopyJobs has no such member: {q:?}"
    );
    assert_eq!(q.get("resourceType").map(String::as_str), Some("EBS"));
}

#[tokio::test]
async fn aws_keys_the_service_refuses_fail_as_auth() {
    let c = cloud().await;
    c.sim().aws().add_backup_job(backup("b1", "RUNNING", 5));
    let t = support::target(
        "aws",
        &c.url(),
        &format!(
            "provider: aws_backup\nregion: eu-west-1\nauth: {{ access_key_id: {ACCESS_KEY_ID}, secret_access_key: wrong-secret }}"
        ),
        support::settings(10),
    );
    let e = support::provider(&t)
        .list_tasks("backup", &support::full_pass(10))
        .await
        .unwrap_err();
    assert_eq!(e.reason, Reason::Auth, "{e}");
    assert!(!e.message.contains("wrong-secret"), "{e}");
    // The region is the signature's scope: another one is refused.
    let t = support::target(
        "aws",
        &c.url(),
        &keys(&["backup"], "").replace("eu-west-1", "us-east-1"),
        support::settings(10),
    );
    let e = support::provider(&t)
        .list_tasks("backup", &support::full_pass(10))
        .await
        .unwrap_err();
    assert_eq!(e.reason, Reason::Auth, "{e}");
}

fn config_errors(yaml: &str) -> Vec<(Option<u32>, Option<String>, String)> {
    let env = |n: &str| match n {
        "AWS_ACCESS_KEY_ID" => Some("AKIAENV0000000000001".to_string()),
        _ => None,
    };
    match config::load_str_with_env(yaml, Path::new("c.yaml"), &env) {
        Ok(_) => Vec::new(),
        Err(e) => {
            e.0.into_iter()
                .map(|e| (e.line, e.key, e.message))
                .collect()
        }
    }
}

#[test]
fn aws_config_errors_are_reported_at_their_line() {
    let head = "targets:\n  - name: a\n    provider: aws_backup\n";
    let auth = "    auth: { access_key_id: AKIA0000000000000001, secret_access_key: s }\n";
    let cases: &[(&str, u32, &str)] = &[
        (
            "    region: eu-west-1\n    filters: { state: FAILED }\n",
            5,
            "not a filter",
        ),
        (
            "    region: eu-west-1\n    filters: { createdAfter: x }\n",
            5,
            "set by the exporter",
        ),
        (
            "    region: eu-west-1\n    job_types: [backup, sync]\n",
            5,
            "'sync' is not a job type",
        ),
        (
            "    region: eu-west-1\n    job_types: [copy, copy]\n",
            5,
            "duplicate job type",
        ),
        ("    region: EU_WEST\n", 4, "not an AWS region name"),
        ("    job_types: [backup]\n", 2, "missing"),
    ];
    for (body, line, want) in cases {
        let yaml = format!("{head}{body}{auth}");
        let errs = config_errors(&yaml);
        assert!(
            errs.iter()
                .any(|(l, _, m)| *l == Some(*line) && m.contains(want)),
            "{yaml}: want line {line} '{want}', got {errs:#?}"
        );
    }
    // `environment: true` needs both variables; static keys need both keys.
    let errs = config_errors(&format!(
        "{head}    region: eu-west-1\n    auth: {{ environment: true }}\n"
    ));
    assert!(
        errs.iter()
            .any(|(_, _, m)| m.contains("AWS_SECRET_ACCESS_KEY is not set")),
        "{errs:#?}"
    );
    let errs = config_errors(&format!(
        "{head}    region: eu-west-1\n    auth: {{ access_key_id: AKIA0000000000000001 }}\n"
    ));
    assert!(
        errs.iter().any(|(_, k, _)| k
            .as_deref()
            .is_some_and(|k| k.ends_with("secret_access_key"))),
        "{errs:#?}"
    );
    let errs = config_errors(&format!(
        "{head}    region: eu-west-1\n    auth: {{ access_key_id: AKIA0000000000000001, secret_access_key: s, environment: true }}\n"
    ));
    assert!(
        errs.iter().any(|(_, _, m)| m.contains("two auth methods")),
        "{errs:#?}"
    );
    // A valid target loads.
    assert!(config_errors(&format!("{head}    region: eu-west-1\n{auth}")).is_empty());
}
