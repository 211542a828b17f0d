//! Unit tests of the AWS Backup client: the status table, the decoder, the error types and
//! the signature (checked against botocore's signer).

use super::*;
use crate::config::secret::Secret;

fn job(json: &str) -> Job {
    serde_json::from_str(json).unwrap()
}

fn task(list: JobList, json: &str) -> Task {
    to_task(list, "j1".into(), job(json)).unwrap()
}

#[test]
fn status_table_of_the_three_lists() {
    use TaskState::*;
    let cases: &[(JobList, &str, Option<&str>, TaskState, bool)] = &[
        (JobList::Backup, "CREATED", None, Queued, false),
        (JobList::Backup, "PENDING", None, Queued, false),
        (JobList::Backup, "RUNNING", None, Running, false),
        (JobList::Backup, "ABORTING", None, Running, false),
        (JobList::Backup, "ABORTED", None, Cancelled, true),
        (JobList::Backup, "COMPLETED", None, Succeeded, true),
        (JobList::Backup, "COMPLETED", Some("SUCCESS"), Succeeded, true),
        (JobList::Backup, "COMPLETED", Some(""), Succeeded, true),
        (JobList::Backup, "COMPLETED", Some("AccessDenied"), Warning, true),
        (JobList::Backup, "PARTIAL", None, Warning, true),
        (JobList::Backup, "FAILED", None, Failed, true),
        (JobList::Backup, "EXPIRED", None, Failed, true),
        (JobList::Copy, "CREATED", None, Queued, false),
        (JobList::Copy, "RUNNING", None, Running, false),
        (JobList::Copy, "COMPLETED", Some("SUCCESS"), Succeeded, true),
        (JobList::Copy, "COMPLETED", Some("InvalidParameters"), Warning, true),
        (JobList::Copy, "PARTIAL", None, Warning, true),
        (JobList::Copy, "FAILED", None, Failed, true),
        (JobList::Restore, "PENDING", None, Queued, false),
        (JobList::Restore, "RUNNING", None, Running, false),
        (JobList::Restore, "COMPLETED", None, Succeeded, true),
        (JobList::Restore, "ABORTED", None, Cancelled, true),
        (JobList::Restore, "FAILED", None, Failed, true),
    ];
    for &(list, state, category, want, terminal) in cases {
        let m = map_state(list, state, category);
        assert!(m.known, "{list:?} {state}");
        assert_eq!((m.state, m.terminal), (want, terminal), "{list:?} {state} {category:?}");
    }
    // Another list's enum value is not this list's.
    for (list, state) in [
        (JobList::Copy, "EXPIRED"),
        (JobList::Copy, "PENDING"),
        (JobList::Restore, "EXPIRED"),
        (JobList::Restore, "CREATED"),
        (JobList::Backup, "DONE"),
    ] {
        assert!(!map_state(list, state, None).known, "{list:?} {state}");
    }
}

#[test]
fn a_backup_job_reads_its_resource_times_progress_and_message() {
    let t = task(
        JobList::Backup,
        r#"{"BackupJobId":"j1","State":"COMPLETED","MessageCategory":"AccessDenied",
            "StatusMessage":"2 files skipped","ResourceArn":"arn:aws:ec2:eu-west-1:1:volume/vol-1",
            "ResourceName":"web","ResourceType":"EBS","CreationDate":1516925490.087,
            "InitiationDate":1516925491,"CompletionDate":1516925590.5,"PercentDone":"100.0",
            "CreatedBy":{"BackupPlanId":"p1"}}"#,
    );
    assert_eq!(t.resource, "arn:aws:ec2:eu-west-1:1:volume/vol-1");
    assert_eq!(t.resource_name.as_deref(), Some("web"));
    assert_eq!(t.resource_type.as_deref(), Some("EBS"));
    assert_eq!(t.task_type, "backup");
    assert_eq!(t.state, TaskState::Warning);
    assert_eq!(t.error.as_deref(), Some("AccessDenied: 2 files skipped"));
    let ms = |t: Option<jiff::Timestamp>| t.unwrap().as_millisecond();
    assert_eq!(ms(t.created), 1_516_925_490_087);
    assert_eq!(ms(t.started), 1_516_925_491_000);
    assert_eq!(ms(t.finished), 1_516_925_590_500);
    assert_eq!(t.progress, Some(1.0));
}

#[test]
fn an_expired_job_is_a_failure_named_expired_that_ended_at_its_start_window() {
    let t = task(
        JobList::Backup,
        r#"{"BackupJobId":"j1","State":"EXPIRED","CreationDate":1516925490,"StartBy":1516929090}"#,
    );
    assert_eq!((t.state, t.terminal), (TaskState::Failed, true));
    assert_eq!(
        t.error.as_deref(),
        Some("EXPIRED: the job did not start within its start window")
    );
    assert_eq!(t.finished.unwrap().as_second(), 1_516_929_090);
    let t = task(
        JobList::Backup,
        r#"{"BackupJobId":"j1","State":"EXPIRED","StatusMessage":"not started"}"#,
    );
    assert_eq!(t.error.as_deref(), Some("EXPIRED: not started"));
}

#[test]
fn a_restore_job_reads_status_and_its_source_resource() {
    let t = task(
        JobList::Restore,
        r#"{"RestoreJobId":"j1","Status":"FAILED","StatusMessage":"no role",
            "SourceResourceArn":"arn:src","CreatedResourceArn":"arn:new","CreationDate":"1516925490"}"#,
    );
    assert_eq!((t.state, t.resource.as_str()), (TaskState::Failed, "arn:src"));
    assert_eq!(t.error.as_deref(), Some("no role"));
    assert_eq!(t.task_type, "restore");
    let t = task(JobList::Restore, r#"{"RestoreJobId":"j1","Status":"RUNNING","RecoveryPointArn":"arn:rp"}"#);
    assert_eq!(t.resource, "arn:rp");
    // A restore job has no `State`: without `Status` it is unusable.
    let e = to_task(JobList::Restore, "j1".into(), job(r#"{"State":"RUNNING"}"#)).unwrap_err();
    assert_eq!(e.field, "Status");
}

#[test]
fn odd_times_and_members_are_invalid_naming_the_member() {
    for (json, field) in [
        (r#"{"State":"FAILED","CreationDate":"yesterday"}"#, "CreationDate"),
        (r#"{"State":"FAILED","CompletionDate":true}"#, "CompletionDate"),
        (r#"{"State":"FAILED","CreationDate":-5}"#, "CreationDate"),
        (r#"{"State":7}"#, "State"),
        (r#"{}"#, "State"),
        (r#"{"State":"FAILED","ResourceArn":{}}"#, "ResourceArn"),
    ] {
        let e = to_task(JobList::Backup, "j".into(), job(json)).unwrap_err();
        assert_eq!(e.field, field, "{json}");
    }
    // ISO 8601, as botocore's parser reads it too; null is absent.
    let t = task(
        JobList::Copy,
        r#"{"State":"RUNNING","CreationDate":"2018-01-26T00:11:30.087Z","CompletionDate":null}"#,
    );
    assert_eq!(t.created.unwrap().as_millisecond(), 1_516_925_490_087);
}

#[test]
fn error_types_of_headers_and_bodies_are_classified() {
    let h = |v: &str| {
        let mut m = HeaderMap::new();
        m.insert("x-amzn-errortype", HeaderValue::from_str(v).unwrap());
        m
    };
    let none = HeaderMap::new();
    let throttled = Some(Reason::Throttled);
    assert_eq!(classify(400, &h("ThrottlingException:http://internal.amazon.com/coral/com.amazon.coral.availability/"), b""), throttled);
    assert_eq!(classify(400, &none, br#"{"__type":"com.amazon.coral.availability#ThrottlingException","message":"Rate exceeded"}"#), throttled);
    assert_eq!(classify(429, &h("TooManyRequestsException"), b""), throttled);
    assert_eq!(classify(400, &h("ExpiredTokenException"), b""), Some(Reason::Auth));
    assert_eq!(classify(400, &h("InvalidParameterValueException"), b""), None);
    assert_eq!(classify(400, &none, b"<html>"), None);
    assert_eq!(classify(200, &h("ThrottlingException"), b""), None);
}

#[test]
fn the_endpoint_follows_the_region_and_its_partition() {
    assert_eq!(default_endpoint("eu-west-1"), "https://backup.eu-west-1.amazonaws.com");
    assert_eq!(default_endpoint("cn-north-1"), "https://backup.cn-north-1.amazonaws.com.cn");
}

/// The signature of a list request equals botocore's (`botocore.auth.SigV4Auth`, version
/// 1.42, with `get_current_datetime` fixed at 2026-12-07T10:00:00Z), with and without a
/// session token.
#[test]
fn the_signature_is_botocores() {
    let url = "https://backup.eu-west-1.amazonaws.com/backup-jobs/?createdAfter=2026-12-06T10%3A00%3A00Z&maxResults=100&nextToken=a%2Bb%2Fc%3D";
    let at = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_796_637_600);
    let cases = [
        (None, "accept;host;x-amz-date", "0bed674793228675ad10aeeb3604861331a824830b8e87a329324d439a7324a4"),
        (
            Some("session/token+value="),
            "accept;host;x-amz-date;x-amz-security-token",
            "9c3d8babc2da000ea48fed59260c641e2e386dc252336716deebba4295346339",
        ),
    ];
    for (token, signed, signature) in cases {
        let creds = Credentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: Secret::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            session_token: token.map(Secret::new),
        };
        let mut req = crate::provider::http::client()
            .get(url)
            .header("accept", "application/json")
            .build()
            .unwrap();
        sign(&mut req, &creds, "eu-west-1", at).unwrap();
        let h = |n: &str| req.headers().get(n).map(|v| v.to_str().unwrap().to_string());
        assert_eq!(h("x-amz-date").as_deref(), Some("20261207T100000Z"));
        assert_eq!(
            h("authorization").unwrap(),
            format!("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261207/eu-west-1/backup/aws4_request, SignedHeaders={signed}, Signature={signature}")
        );
        assert_eq!(h("x-amz-security-token").as_deref(), token);
        assert!(req.headers()["authorization"].is_sensitive());
    }
}

/// The window's watermark, not `now − lookback`, starts a windowed pass; the filters go to
/// the lists that have them.
#[test]
fn the_list_url_carries_the_window_and_the_filters() {
    use std::sync::Arc;
    let now: jiff::Timestamp = "2026-12-07T10:00:00.750Z".parse().unwrap();
    let mut ctx = PollContext {
        now,
        since: now - jiff::SignedDuration::from_hours(24),
        page_size: 0,
        max_pages: 5,
        window: None,
        recall: None,
    };
    let filters = Filters {
        backup_vault_name: Some("prod vault".into()),
        resource_type: Some("EBS".into()),
        account_id: Some("*".into()),
    };
    let url = list_url("https://b", &filters, JobList::Backup, &ctx);
    assert_eq!(
        url,
        "https://b/backup-jobs/?createdAfter=2026-12-06T09%3A59%3A59Z&maxResults=1&backupVaultName=prod%20vault&resourceType=EBS&accountId=%2A"
    );
    ctx.window = Some(crate::provider::plugin::Window {
        watermark: now - jiff::SignedDuration::from_mins(10),
        active: Arc::default(),
        known_terminal: Arc::new(|_| false),
        newest_first: true,
    });
    ctx.page_size = 4000;
    let url = list_url("https://b", &Filters::default(), JobList::Restore, &ctx);
    assert_eq!(
        url,
        "https://b/restore-jobs/?createdAfter=2026-12-07T09%3A49%3A59Z&maxResults=1000"
    );
    let url = list_url("https://b", &filters, JobList::Copy, &ctx);
    assert!(!url.contains("backupVaultName"), "{url}");
}
