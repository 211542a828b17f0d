//! The AWS simulator through [`Sim::dispatch`]: requests signed here with the simulator's
//! own SigV4 functions (the botocore check in `.ci/aws_sim_check.py` signs them with
//! botocore instead), answers read as JSON or XML.

use std::sync::Arc;

use serde_json::{Value, json};

use super::{AWS_BACKUP, sigv4};
use crate::sim::{RecordEdit, Sim, SimRequest};

const AK: &str = "AKIDSIMEXAMPLE000001";
const SK: &str = "sim/secret/0123456789abcdefghijklmnopqrstuv";

/// Signs a request like a client: `host` and `x-amz-date` (and the token) signed.
#[allow(clippy::too_many_arguments)]
pub(super) fn signed(
    method: &str,
    path: &str,
    query: &str,
    body: &str,
    ak: &str,
    sk: &str,
    token: Option<&str>,
    region: &str,
    service: &str,
    when: jiff::Timestamp,
) -> SimRequest {
    let date = sigv4::amz_date(when);
    let mut headers = vec![
        (
            "host".to_string(),
            "backup.eu-west-1.amazonaws.com".to_string(),
        ),
        ("x-amz-date".to_string(), date.clone()),
    ];
    if let Some(t) = token {
        headers.push(("x-amz-security-token".into(), t.into()));
    }
    if !body.is_empty() {
        headers.push((
            "content-type".into(),
            "application/x-www-form-urlencoded; charset=utf-8".into(),
        ));
    }
    let mut names: Vec<String> = headers.iter().map(|(k, _)| k.clone()).collect();
    names.sort();
    let creq = sigv4::canonical_request(method, path, query, &headers, &names, body.as_bytes());
    let scope = format!("{}/{region}/{service}/aws4_request", &date[..8]);
    let sts = sigv4::string_to_sign(&date, &scope, &creq);
    let sig = sigv4::signature(sk, &date[..8], region, service, &sts);
    headers.push((
        "authorization".into(),
        format!(
            "AWS4-HMAC-SHA256 Credential={ak}/{scope}, SignedHeaders={}, Signature={sig}",
            names.join(";")
        ),
    ));
    SimRequest {
        method: method.into(),
        path: path.into(),
        query: query.into(),
        headers,
        body: bytes::Bytes::from(body.to_string()),
    }
}

fn get(path: &str, query: &str) -> SimRequest {
    signed(
        "GET",
        path,
        query,
        "",
        AK,
        SK,
        None,
        "eu-west-1",
        "backup",
        jiff::Timestamp::now(),
    )
}

fn body(sim: &Sim, req: &SimRequest) -> (u16, Value) {
    let r = sim.dispatch(req);
    (
        r.status,
        serde_json::from_slice(&r.body).unwrap_or(Value::Null),
    )
}

fn ago(mins: i64) -> Value {
    super::epoch(jiff::Timestamp::now() - jiff::SignedDuration::from_mins(mins))
}

fn seeded() -> Arc<Sim> {
    let sim = Sim::new();
    {
        let mut aws = sim.aws();
        aws.add_credentials(AK, SK, None);
        for i in 0..25 {
            aws.add_backup_job(json!({
                "BackupJobId": format!("b-{i:02}"),
                "State": if i % 5 == 0 { "FAILED" } else { "COMPLETED" },
                "MessageCategory": if i % 5 == 0 { "AccessDenied" } else { "SUCCESS" },
                "CreationDate": ago(100 - i),
                "CompletionDate": ago(90 - i),
                "ResourceArn": format!("arn:aws:ec2:eu-west-1:123456789012:volume/vol-{i}"),
                "ResourceType": if i % 2 == 0 { "EBS" } else { "EC2" },
                "BackupVaultName": if i < 20 { "prod-vault" } else { "dev-vault" },
            }));
        }
        aws.add_backup_job(json!({
            "BackupJobId": "b-old", "State": "COMPLETED",
            "CreationDate": super::epoch(jiff::Timestamp::now() - jiff::SignedDuration::from_hours(31 * 24)),
        }));
        aws.add_backup_job(json!({
            "BackupJobId": "b-other", "State": "RUNNING", "AccountId": "444455556666",
            "CreationDate": ago(5),
        }));
        aws.add_copy_job(json!({"CopyJobId": "c-1", "State": "PARTIAL", "CreationDate": ago(3)}));
        aws.add_restore_job(
            json!({"RestoreJobId": "r-1", "Status": "ABORTED", "CreationDate": ago(2)}),
        );
    }
    sim
}

fn ids(v: &Value, list: &str, id: &str) -> Vec<String> {
    v[list]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|j| j[id].as_str().unwrap_or("?").to_string())
        .collect()
}

#[test]
fn pages_through_the_backup_jobs_newest_first_with_opaque_tokens() {
    let sim = seeded();
    let mut seen = Vec::new();
    let mut query = "maxResults=10".to_string();
    let mut pages = 0;
    loop {
        let (status, v) = body(&sim, &get("/backup-jobs/", &query));
        assert_eq!(status, 200, "{v}");
        pages += 1;
        seen.extend(ids(&v, "BackupJobs", "BackupJobId"));
        match v["NextToken"].as_str() {
            Some(t) => {
                query = format!("maxResults=10&nextToken={}", sigv4::encode(t));
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    // Newest first; the 31-day-old job and the other account's are not listed.
    let want: Vec<String> = (0..25).rev().map(|i| format!("b-{i:02}")).collect();
    assert_eq!(seen, want);
    // A job is the API's object, times as epoch numbers.
    let (_, v) = body(&sim, &get("/backup-jobs/", "maxResults=1"));
    let job = &v["BackupJobs"][0];
    assert!(job["CreationDate"].is_f64(), "{job}");
    assert_eq!(job["AccountId"], "123456789012");
    assert!(v["NextToken"].is_string());
    // The organization view.
    let (_, v) = body(&sim, &get("/backup-jobs/", "accountId=%2A&maxResults=1"));
    assert_eq!(ids(&v, "BackupJobs", "BackupJobId"), ["b-other"]);
    let (_, v) = body(&sim, &get("/backup-jobs/", "accountId=444455556666"));
    assert_eq!(ids(&v, "BackupJobs", "BackupJobId"), ["b-other"]);
    sim.aws().organization_management = false;
    let (status, v) = body(&sim, &get("/backup-jobs/", "accountId=%2A"));
    assert_eq!(
        (status, v["__type"].as_str()),
        (403, Some("AccessDeniedException"))
    );
}

#[test]
fn filters_by_every_query_member() {
    let sim = seeded();
    let count = |q: &str| {
        let (status, v) = body(&sim, &get("/backup-jobs/", q));
        assert_eq!(status, 200, "{q}: {v}");
        ids(&v, "BackupJobs", "BackupJobId").len()
    };
    assert_eq!(count(""), 25);
    assert_eq!(count("state=FAILED"), 5);
    assert_eq!(count("state=COMPLETED&messageCategory=SUCCESS"), 20);
    assert_eq!(count("messageCategory=AccessDenied"), 5);
    assert_eq!(count("messageCategory=ANY"), 25);
    assert_eq!(count("resourceType=EBS"), 13);
    assert_eq!(count("backupVaultName=dev-vault"), 5);
    assert_eq!(
        count("resourceArn=arn%3Aaws%3Aec2%3Aeu-west-1%3A123456789012%3Avolume%2Fvol-3"),
        1
    );
    let at = |mins: i64| {
        (jiff::Timestamp::now() - jiff::SignedDuration::from_mins(mins))
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    };
    // Created 100..76 minutes ago: after 80.5 minutes ago leaves 4..5 of them.
    let after = count(&format!("createdAfter={}", sigv4::encode(&at(80))));
    assert!((4..=5).contains(&after), "{after}");
    let before = count(&format!("createdBefore={}", sigv4::encode(&at(80))));
    assert_eq!(after + before, 25);
    let done = count(&format!("completeAfter={}", sigv4::encode(&at(70))));
    assert!((4..=5).contains(&done), "{done}");
    assert_eq!(
        count(&format!("completeBefore={}", sigv4::encode(&at(200)))),
        0
    );
    // Copy and restore lists, with their own state members.
    let (_, v) = body(&sim, &get("/copy-jobs/", "state=PARTIAL"));
    assert_eq!(ids(&v, "CopyJobs", "CopyJobId"), ["c-1"]);
    let (_, v) = body(&sim, &get("/restore-jobs/", "status=ABORTED"));
    assert_eq!(ids(&v, "RestoreJobs", "RestoreJobId"), ["r-1"]);
    let (_, v) = body(&sim, &get("/restore-jobs/", "status=RUNNING"));
    assert_eq!(v, json!({"RestoreJobs": []}));
}

#[test]
fn refuses_what_the_model_refuses() {
    let sim = seeded();
    for (q, kind, status) in [
        ("maxResults=0", "ValidationException", 400),
        ("maxResults=1001", "ValidationException", 400),
        ("maxResults=x", "SerializationException", 400),
        ("state=DONE", "ValidationException", 400),
        ("accountId=12", "ValidationException", 400),
        ("backupVaultName=a", "ValidationException", 400),
        ("createdAfter=1700000000", "SerializationException", 400),
        (
            "nextToken=bm9wZQ%3D%3D",
            "InvalidParameterValueException",
            400,
        ),
    ] {
        let r = sim.dispatch(&get("/backup-jobs/", q));
        let v: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(
            (r.status, v["__type"].as_str()),
            (status, Some(kind)),
            "{q}: {v}"
        );
        assert_eq!(
            r.headers
                .iter()
                .find(|(k, _)| k == "x-amzn-errortype")
                .map(|(_, v)| v.as_str()),
            Some(kind)
        );
    }
    let r = sim.dispatch(&get("/backup-jobs/", "maxResults=0"));
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(
        v["message"],
        "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1"
    );
    // A token of one filter set is refused with another.
    let (_, v) = body(&sim, &get("/backup-jobs/", "maxResults=2&state=COMPLETED"));
    let t = sigv4::encode(v["NextToken"].as_str().unwrap());
    let (status, _) = body(
        &sim,
        &get("/backup-jobs/", &format!("nextToken={t}&state=FAILED")),
    );
    assert_eq!(status, 400);
    let (status, _) = body(
        &sim,
        &get("/backup-jobs/", &format!("nextToken={t}&state=COMPLETED")),
    );
    assert_eq!(status, 200);
    sim.aws().deny("backup:ListCopyJobs");
    let (status, v) = body(&sim, &get("/copy-jobs/", ""));
    assert_eq!(status, 403);
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("backup:ListCopyJobs")
    );
}

#[test]
fn record_edits_and_patches_change_what_is_sent() {
    let sim = seeded();
    assert!(
        sim.aws()
            .set_job("b-24", json!({"State": "RUNNING", "CompletionDate": null}))
    );
    assert!(!sim.aws().set_job("nope", json!({})));
    sim.edit_records(
        AWS_BACKUP,
        Some("backup"),
        RecordEdit::retype("b-23", "CreationDate"),
    );
    sim.edit_records(
        AWS_BACKUP,
        Some("backup"),
        RecordEdit::null("b-22", "State"),
    );
    sim.edit_records(AWS_BACKUP, Some("copy"), RecordEdit::NullList);
    let (_, v) = body(&sim, &get("/backup-jobs/", "maxResults=3"));
    let jobs = v["BackupJobs"].as_array().unwrap();
    assert_eq!(jobs[0]["State"], "RUNNING");
    assert!(jobs[0].get("CompletionDate").is_none());
    assert!(jobs[1]["CreationDate"].is_string());
    assert!(jobs[2]["State"].is_null());
    let (_, v) = body(&sim, &get("/copy-jobs/", ""));
    assert_eq!(v, json!({"CopyJobs": null}));
}

#[test]
fn get_backup_plan_previews_the_next_runs() {
    let sim = seeded();
    let id = sim.aws().add_plan(json!({
        "BackupPlanId": "plan-1",
        "BackupPlan": {"BackupPlanName": "daily", "Rules": [
            {"RuleName": "daily", "TargetBackupVaultName": "prod-vault",
             "ScheduleExpression": "cron(0 5 ? * * *)", "ScheduleExpressionTimezone": "Europe/Berlin",
             "StartWindowMinutes": 60, "CompletionWindowMinutes": 180, "RuleId": "rule-d"},
            {"RuleName": "hourly", "TargetBackupVaultName": "prod-vault",
             "ScheduleExpression": "cron(30 * ? * * *)"},
        ]},
    }));
    assert_eq!(id, "plan-1");
    let (status, v) = body(
        &sim,
        &get("/backup/plans/plan-1/", "MaxScheduledRunsPreview=10"),
    );
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["BackupPlan"]["Rules"][0]["StartWindowMinutes"], 60);
    assert!(v["BackupPlan"]["Rules"][1]["RuleId"].is_string());
    assert!(
        v["BackupPlanArn"]
            .as_str()
            .unwrap()
            .ends_with(":backup-plan:plan-1")
    );
    let runs = v["ScheduledRunsPreview"].as_array().unwrap();
    assert_eq!(runs.len(), 10);
    let times: Vec<f64> = runs
        .iter()
        .map(|r| r["ExecutionTime"].as_f64().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] < w[1]));
    assert!(runs.iter().all(|r| r["RuleExecutionType"] == "SNAPSHOTS"));
    // Without the parameter, no preview.
    let (_, v) = body(&sim, &get("/backup/plans/plan-1/", ""));
    assert!(v.get("ScheduledRunsPreview").is_none());
    let (status, v) = body(
        &sim,
        &get("/backup/plans/plan-1/", "MaxScheduledRunsPreview=11"),
    );
    assert_eq!(
        (status, v["__type"].as_str()),
        (400, Some("ValidationException"))
    );
    let (status, v) = body(&sim, &get("/backup/plans/nope/", ""));
    assert_eq!(
        (status, v["__type"].as_str()),
        (404, Some("ResourceNotFoundException"))
    );
    assert!(v["Message"].is_string());
}

#[test]
fn signature_checks_answer_like_aws() {
    let sim = seeded();
    let now = jiff::Timestamp::now();
    let kind = |req: &SimRequest| {
        let r = sim.dispatch(req);
        let v: Value = serde_json::from_slice(&r.body).unwrap();
        (
            r.status,
            v["__type"].as_str().unwrap_or("").to_string(),
            v["message"].as_str().unwrap_or("").to_string(),
        )
    };
    let sign = |ak: &str, sk: &str, token: Option<&str>, region: &str, service: &str, when| {
        signed(
            "GET",
            "/backup-jobs/",
            "",
            "",
            ak,
            sk,
            token,
            region,
            service,
            when,
        )
    };
    assert_eq!(kind(&sign(AK, SK, None, "eu-west-1", "backup", now)).0, 200);
    let (s, k, m) = kind(&sign(AK, "wrong", None, "eu-west-1", "backup", now));
    assert_eq!((s, k.as_str()), (403, "InvalidSignatureException"));
    assert!(m.starts_with("The request signature we calculated does not match"));
    let (s, k, m) = kind(&sign(AK, SK, None, "us-east-1", "backup", now));
    assert_eq!((s, k.as_str()), (403, "InvalidSignatureException"));
    assert!(m.contains("valid region, not 'us-east-1'"), "{m}");
    let (_, _, m) = kind(&sign(AK, SK, None, "eu-west-1", "sts", now));
    assert!(m.contains("correct service: 'backup'"), "{m}");
    let old = now - jiff::SignedDuration::from_mins(16);
    let (s, k, m) = kind(&sign(AK, SK, None, "eu-west-1", "backup", old));
    assert_eq!((s, k.as_str()), (403, "InvalidSignatureException"));
    assert!(m.starts_with("Signature expired: "), "{m}");
    let soon = now + jiff::SignedDuration::from_mins(16);
    let (_, _, m) = kind(&sign(AK, SK, None, "eu-west-1", "backup", soon));
    assert!(m.starts_with("Signature not yet current: "), "{m}");
    let fine = now - jiff::SignedDuration::from_mins(14);
    assert_eq!(
        kind(&sign(AK, SK, None, "eu-west-1", "backup", fine)).0,
        200
    );
    let (s, k, _) = kind(&sign("AKIDUNKNOWN", SK, None, "eu-west-1", "backup", now));
    assert_eq!((s, k.as_str()), (403, "UnrecognizedClientException"));
    // Temporary keys need their token.
    sim.aws().add_credentials("ASIATEMP", SK, Some("tok-1"));
    assert_eq!(
        kind(&sign(
            "ASIATEMP",
            SK,
            Some("tok-1"),
            "eu-west-1",
            "backup",
            now
        ))
        .0,
        200
    );
    let (s, k, _) = kind(&sign("ASIATEMP", SK, None, "eu-west-1", "backup", now));
    assert_eq!((s, k.as_str()), (403, "UnrecognizedClientException"));
    let (s, k, _) = kind(&sign(
        "ASIATEMP",
        SK,
        Some("tok-2"),
        "eu-west-1",
        "backup",
        now,
    ));
    assert_eq!((s, k.as_str()), (403, "UnrecognizedClientException"));
    // No header, a broken header, unsigned host.
    let mut bare = get("/backup-jobs/", "");
    bare.headers.retain(|(k, _)| k != "authorization");
    let (s, k, _) = kind(&bare);
    assert_eq!(
        (s, k.as_str()),
        (403, "MissingAuthenticationTokenException")
    );
    let mut broken = get("/backup-jobs/", "");
    for h in &mut broken.headers {
        if h.0 == "authorization" {
            h.1 = "AWS4-HMAC-SHA256 Credential=x".into();
        }
    }
    let (s, k, _) = kind(&broken);
    assert_eq!((s, k.as_str()), (400, "IncompleteSignatureException"));
    // The payload hash header, when sent, must match.
    let mut hashed = get("/backup-jobs/", "");
    hashed
        .headers
        .push(("x-amz-content-sha256".into(), "00".into()));
    assert_eq!(kind(&hashed).0, 403);
}

/// An XML element's text.
fn xml_text(xml: &str, tag: &str) -> Option<String> {
    let start = xml.find(&format!("<{tag}>"))? + tag.len() + 2;
    let end = xml[start..].find(&format!("</{tag}>"))? + start;
    Some(xml[start..end].to_string())
}

fn sts_post(form: &str) -> SimRequest {
    SimRequest {
        method: "POST".into(),
        path: "/".into(),
        query: String::new(),
        headers: vec![(
            "content-type".into(),
            "application/x-www-form-urlencoded; charset=utf-8".into(),
        )],
        body: bytes::Bytes::from(form.to_string()),
    }
}

const ROLE: &str = "arn:aws:iam::111122223333:role/backup-reader";

#[tokio::test(start_paused = true)]
async fn web_identity_credentials_work_until_they_expire() {
    let sim = seeded();
    sim.aws().set_web_identity("eyJsim.token.sig", ROLE);
    let form = format!(
        "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn={}&RoleSessionName=exporter&WebIdentityToken=eyJsim.token.sig&DurationSeconds=900",
        sigv4::encode(ROLE)
    );
    assert_eq!(Sim::service_of(&sts_post(&form)), super::AWS_STS);
    let r = sim.dispatch(&sts_post(&form));
    let xml = String::from_utf8(r.body.to_vec()).unwrap();
    assert_eq!(r.status, 200, "{xml}");
    assert!(xml.starts_with(
        "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n  <AssumeRoleWithWebIdentityResult>"
    ));
    assert_eq!(
        xml_text(&xml, "Arn").unwrap(),
        "arn:aws:sts::111122223333:assumed-role/backup-reader/exporter"
    );
    let ak = xml_text(&xml, "AccessKeyId").unwrap();
    let sk = xml_text(&xml, "SecretAccessKey").unwrap();
    let token = xml_text(&xml, "SessionToken").unwrap();
    let exp: jiff::Timestamp = xml_text(&xml, "Expiration").unwrap().parse().unwrap();
    let left = exp.as_second() - jiff::Timestamp::now().as_second();
    assert!((898..=900).contains(&left), "{left}");
    assert!(ak.starts_with("ASIA"));
    assert_eq!(sim.aws().sts_issued(), 1);
    assert_eq!(sim.aws().issued_secrets().len(), 2);
    let call = |token: Option<&str>| {
        let req = signed(
            "GET",
            "/backup-jobs/",
            "",
            "",
            &ak,
            &sk,
            token,
            "eu-west-1",
            "backup",
            jiff::Timestamp::now(),
        );
        let r = sim.dispatch(&req);
        let v: Value = serde_json::from_slice(&r.body).unwrap();
        (r.status, v["__type"].as_str().unwrap_or("").to_string())
    };
    assert_eq!(call(Some(&token)).0, 200);
    assert_eq!(call(None), (403, "UnrecognizedClientException".into()));
    tokio::time::advance(std::time::Duration::from_secs(901)).await;
    assert_eq!(call(Some(&token)), (403, "ExpiredTokenException".into()));
    // Refusals.
    for (form, status, code) in [
        (
            form.replace("eyJsim.token.sig", "eyJother"),
            400,
            "InvalidIdentityToken",
        ),
        (
            form.replace("DurationSeconds=900", "DurationSeconds=899"),
            400,
            "ValidationError",
        ),
        (
            form.replace("DurationSeconds=900", "DurationSeconds=7200"),
            400,
            "ValidationError",
        ),
        (
            form.replace("RoleSessionName=exporter", "RoleSessionName=a%20b"),
            400,
            "ValidationError",
        ),
        (
            form.replace("backup-reader", "other-role"),
            403,
            "AccessDenied",
        ),
        (
            form.replace("AssumeRoleWithWebIdentity", "GetFederationToken"),
            400,
            "InvalidAction",
        ),
    ] {
        sim.aws().set_web_identity("eyJsim.expired.sig", ROLE);
        sim.aws().expire_web_identity("eyJsim.expired.sig");
        let r = sim.dispatch(&sts_post(&form));
        let xml = String::from_utf8(r.body.to_vec()).unwrap();
        assert_eq!(r.status, status, "{form}: {xml}");
        assert_eq!(xml_text(&xml, "Code").as_deref(), Some(code), "{xml}");
        assert_eq!(xml_text(&xml, "Type").as_deref(), Some("Sender"));
        assert!(
            xml.starts_with("<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">")
        );
    }
}

#[tokio::test(start_paused = true)]
async fn assume_role_is_signed_and_checks_the_external_id() {
    let sim = seeded();
    sim.aws().add_role(ROLE, Some("ext-123"));
    let form = |ext: &str| {
        format!(
            "Action=AssumeRole&Version=2011-06-15&RoleArn={}&RoleSessionName=cte{ext}",
            sigv4::encode(ROLE)
        )
    };
    let post = |body: &str, sk: &str, region: &str| {
        signed(
            "POST",
            "/",
            "",
            body,
            AK,
            sk,
            None,
            region,
            "sts",
            jiff::Timestamp::now(),
        )
    };
    let answer = |req: &SimRequest| {
        let r = sim.dispatch(req);
        (r.status, String::from_utf8(r.body.to_vec()).unwrap())
    };
    let (s, xml) = answer(&post(&form("&ExternalId=ext-123"), SK, "us-east-1"));
    assert_eq!(s, 200, "{xml}");
    assert!(
        xml.contains("<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">")
    );
    let ak = xml_text(&xml, "AccessKeyId").unwrap();
    let sk = xml_text(&xml, "SecretAccessKey").unwrap();
    let token = xml_text(&xml, "SessionToken").unwrap();
    let req = signed(
        "GET",
        "/copy-jobs/",
        "",
        "",
        &ak,
        &sk,
        Some(&token),
        "eu-west-1",
        "backup",
        jiff::Timestamp::now(),
    );
    assert_eq!(sim.dispatch(&req).status, 200);
    // The regional scope works too; a wrong external id, a wrong secret, no signature fail.
    assert_eq!(
        answer(&post(&form("&ExternalId=ext-123"), SK, "eu-west-1")).0,
        200
    );
    let (s, xml) = answer(&post(&form("&ExternalId=ext-999"), SK, "eu-west-1"));
    assert_eq!(
        (s, xml_text(&xml, "Code").as_deref()),
        (403, Some("AccessDenied"))
    );
    let (s, xml) = answer(&post(&form(""), SK, "eu-west-1"));
    assert_eq!(
        (s, xml_text(&xml, "Code").as_deref()),
        (403, Some("AccessDenied"))
    );
    let (s, xml) = answer(&post(&form("&ExternalId=ext-123"), "bad", "eu-west-1"));
    assert_eq!(
        (s, xml_text(&xml, "Code").as_deref()),
        (403, Some("SignatureDoesNotMatch"))
    );
    let (s, xml) = answer(&sts_post(&form("&ExternalId=ext-123")));
    assert_eq!(
        (s, xml_text(&xml, "Code").as_deref()),
        (403, Some("MissingAuthenticationToken"))
    );
    // Expiring every temporary credential.
    sim.aws().expire_temporary_credentials();
    let r = sim.dispatch(&req);
    assert_eq!(r.status, 403);
}

#[tokio::test(start_paused = true)]
async fn imds_v2_hands_out_the_instance_role_credentials() {
    let sim = seeded();
    let get = |path: &str, token: Option<&str>| {
        let mut headers = vec![];
        if let Some(t) = token {
            headers.push(("x-aws-ec2-metadata-token".to_string(), t.to_string()));
        }
        let req = SimRequest {
            method: "GET".into(),
            path: path.into(),
            query: String::new(),
            headers,
            body: bytes::Bytes::new(),
        };
        assert_eq!(Sim::service_of(&req), super::AWS_IMDS);
        let r = sim.dispatch(&req);
        (r.status, String::from_utf8(r.body.to_vec()).unwrap())
    };
    let put = |ttl: Option<&str>| {
        let mut headers = vec![];
        if let Some(t) = ttl {
            headers.push((
                "x-aws-ec2-metadata-token-ttl-seconds".to_string(),
                t.to_string(),
            ));
        }
        let r = sim.dispatch(&SimRequest {
            method: "PUT".into(),
            path: "/latest/api/token".into(),
            query: String::new(),
            headers,
            body: bytes::Bytes::new(),
        });
        (r.status, String::from_utf8(r.body.to_vec()).unwrap())
    };
    assert_eq!(put(None).0, 400);
    assert_eq!(put(Some("21601")).0, 400);
    let (s, token) = put(Some("60"));
    assert_eq!(s, 200);
    let list = "/latest/meta-data/iam/security-credentials/";
    // No instance profile yet.
    assert_eq!(get(list, Some(&token)).0, 404);
    sim.aws().set_instance_role(Some("ec2-backup-reader"));
    // IMDSv1 (no token) and unknown tokens are refused.
    assert_eq!(get(list, None).0, 401);
    assert_eq!(get(list, Some("forged")).0, 401);
    assert_eq!(
        get(list, Some(&token)),
        (200, "ec2-backup-reader".to_string())
    );
    let (s, doc) = get(&format!("{list}ec2-backup-reader"), Some(&token));
    assert_eq!(s, 200);
    let v: Value = serde_json::from_str(&doc).unwrap();
    assert_eq!(v["Code"], "Success");
    assert_eq!(v["Type"], "AWS-HMAC");
    for k in [
        "LastUpdated",
        "AccessKeyId",
        "SecretAccessKey",
        "Token",
        "Expiration",
    ] {
        assert!(v[k].is_string(), "{k}");
    }
    // The same credentials again, accepted by AWS Backup with their token.
    let (_, again) = get(&format!("{list}ec2-backup-reader"), Some(&token));
    assert_eq!(
        serde_json::from_str::<Value>(&again).unwrap()["AccessKeyId"],
        v["AccessKeyId"]
    );
    assert_eq!(sim.aws().imds_issued(), 1);
    let req = signed(
        "GET",
        "/restore-jobs/",
        "",
        "",
        v["AccessKeyId"].as_str().unwrap(),
        v["SecretAccessKey"].as_str().unwrap(),
        v["Token"].as_str(),
        "eu-west-1",
        "backup",
        jiff::Timestamp::now(),
    );
    assert_eq!(sim.dispatch(&req).status, 200);
    assert_eq!(get(&format!("{list}other-role"), Some(&token)).0, 404);
    // The session token expires after its TTL.
    tokio::time::advance(std::time::Duration::from_secs(61)).await;
    assert_eq!(get(list, Some(&token)).0, 401);
    // Near their expiration the credentials are replaced.
    let (_, token) = put(Some("21600"));
    tokio::time::advance(std::time::Duration::from_secs(6 * 3600 - 200)).await;
    let (_, next) = get(&format!("{list}ec2-backup-reader"), Some(&token));
    assert_ne!(
        serde_json::from_str::<Value>(&next).unwrap()["AccessKeyId"],
        v["AccessKeyId"]
    );
    assert_eq!(sim.aws().imds_issued(), 2);
}

#[tokio::test]
async fn throttling_comes_from_the_fault_matrix_by_service_name() {
    use crate::sim::{FakeCloud, FaultRule};
    let sim = seeded();
    sim.inject(FaultRule::service(AWS_BACKUP, super::throttling()).times(1));
    sim.inject(FaultRule::service(AWS_BACKUP, super::too_many_requests()).times(1));
    let cloud = FakeCloud::start(Arc::clone(&sim)).await.unwrap();
    // A plain client with a timeout: the simulator's layer is below `provider::http`.
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap();
    let mut seen = Vec::new();
    for _ in 0..3 {
        let req = get("/backup-jobs/", "maxResults=5");
        let mut b = http.get(format!("{}/backup-jobs/?maxResults=5", cloud.url()));
        for (k, v) in req.headers.iter().filter(|(k, _)| k != "host") {
            b = b.header(k, v);
        }
        let r = b.send().await.unwrap();
        let status = r.status().as_u16();
        let v: Value = r.json().await.unwrap();
        seen.push((status, v["__type"].as_str().map(str::to_string)));
    }
    // The third is refused by the signature check: the Host the client sends is not the one
    // signed above; the log names every request `aws_backup`.
    assert_eq!(seen[0], (400, Some("ThrottlingException".into())));
    assert_eq!(seen[1], (429, Some("TooManyRequestsException".into())));
    assert_eq!(seen[2], (403, Some("InvalidSignatureException".into())));
    assert_eq!(sim.statuses_to(AWS_BACKUP), [400, 429, 403]);
    cloud.shutdown().await;
}
