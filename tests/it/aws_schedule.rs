//! AWS Backup schedules against the simulator: the plans that created the backup jobs are read
//! with `GetBackupPlan`, and each resource gets the schedule of its plan's rules; a missed run
//! shows as due, a deleted or forbidden plan is a counted skip and never a failed poll, and a
//! job started on demand schedules nothing.

use cloud_task_exporter::sim::aws::epoch;
use cloud_task_exporter::sim::{FakeCloud, Sim};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use crate::support;

const ACCESS_KEY_ID: &str = "AKIATESTS00000000002";
const SECRET_ACCESS_KEY: &str = "tests/secret/access/key/schedules00000000";
const BUCKETS: [f64; 2] = [60.0, 3600.0];
const WEB: &str = "arn:aws:ec2:eu-west-1:123456789012:volume/vol-0web";
const DB: &str = "arn:aws:rds:eu-west-1:123456789012:db:orders";
const OLD: &str = "arn:aws:ec2:eu-west-1:123456789012:volume/vol-0old";
const HAND: &str = "arn:aws:ec2:eu-west-1:123456789012:volume/vol-0hand";

async fn cloud() -> FakeCloud {
    let c = FakeCloud::start(Sim::new()).await.unwrap();
    c.sim()
        .aws()
        .add_credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY, None);
    c
}

fn target(c: &FakeCloud) -> cloud_task_exporter::config::Target {
    support::target(
        "aws",
        &c.url(),
        &format!(
            "provider: aws_backup\nregion: eu-west-1\njob_types: [backup]\nauth: {{ access_key_id: {ACCESS_KEY_ID}, secret_access_key: '{SECRET_ACCESS_KEY}' }}\n"
        ),
        support::settings(100),
    )
}

/// A completed backup job of `resource`, created at `created` by `plan` (on demand when
/// `None`), done ten minutes later.
fn job(id: &str, resource: &str, plan: Option<(&str, &str)>, created: Timestamp) -> Value {
    let mut j = json!({
        "BackupJobId": id,
        "State": "COMPLETED",
        "MessageCategory": "SUCCESS",
        "ResourceArn": resource,
        "ResourceType": "EBS",
        "BackupVaultName": "prod-vault",
        "CreationDate": epoch(created),
        "CompletionDate": epoch(created + SignedDuration::from_mins(10)),
    });
    if let Some((plan, rule)) = plan {
        j["CreatedBy"] =
            json!({"BackupPlanId": plan, "BackupRuleId": rule, "BackupPlanVersion": "v1"});
    }
    j
}

/// The series `name` of `resource`.
fn of(text: &str, name: &str, resource: &str) -> Option<f64> {
    support::sample(
        text,
        name,
        &[
            ("provider", "aws_backup"),
            ("target", "aws"),
            ("resource", resource),
            ("type", "backup"),
        ],
    )
}

fn skipped(text: &str, reason: &str) -> Option<f64> {
    support::sample(
        text,
        "cloud_task_schedule_skipped_total",
        &[
            ("provider", "aws_backup"),
            ("target", "aws"),
            ("reason", reason),
        ],
    )
}

/// A nightly plan (at the whole hour two to three hours ago, so its latest slot is behind
/// and its next one ahead) covers two volumes: both get the schedule series and the rule as
/// their policy; the one whose latest job predates the latest slot has missed that run (its
/// last success is before the last due run), the other has answered it. A volume whose plan
/// is deleted is a counted skip without schedule series, and one backed up on demand only gets
/// none: the poll succeeds throughout.
#[tokio::test]
async fn a_nightly_plan_schedules_its_resources_and_a_deleted_plan_is_a_skip() {
    let c = cloud().await;
    let now = Timestamp::now();
    let hour = now - SignedDuration::from_hours(3);
    let h = hour.to_zoned(jiff::tz::TimeZone::UTC).hour();
    let day = now.as_second().div_euclid(86_400) * 86_400;
    let mut last = day + i64::from(h) * 3600;
    if last > now.as_second() {
        last -= 86_400;
    }
    let next = last + 86_400;
    let slot = |s: i64| Timestamp::from_second(s).unwrap();
    let plan = {
        let mut aws = c.sim().aws();
        let plan = aws.add_plan(json!({
            "BackupPlanId": "plan-nightly",
            "BackupPlan": {"BackupPlanName": "nightly", "Rules": [{
                "RuleName": "daily", "RuleId": "rule-daily", "TargetBackupVaultName": "prod-vault",
                "ScheduleExpression": format!("cron(0 {h} ? * * *)"),
                "StartWindowMinutes": 60, "CompletionWindowMinutes": 480}]}
        }));
        // WEB ran at the latest slot; DB's latest run is the slot before: it missed one.
        aws.add_backup_job(job("j-web", WEB, Some((&plan, "rule-daily")), slot(last)));
        aws.add_backup_job(job(
            "j-db",
            DB,
            Some((&plan, "rule-daily")),
            slot(last - 86_400),
        ));
        aws.add_backup_job(job("j-old", OLD, Some(("plan-deleted", "r")), slot(last)));
        aws.add_backup_job(job("j-hand", HAND, None, slot(last)));
        plan
    };
    assert_eq!(plan, "plan-nightly");
    let t = target(&c);
    let mut runner = support::runner(&t, &BUCKETS);
    runner.poll_once().await.unwrap();
    let text = support::exposition_of(runner.snapshot(), &BUCKETS);
    for r in [WEB, DB] {
        assert_eq!(
            of(&text, "cloud_task_schedule_covered", r),
            Some(1.0),
            "{r}\n{text}"
        );
        assert_eq!(
            of(&text, "cloud_task_schedule_last_due_timestamp_seconds", r),
            Some(last as f64)
        );
        assert_eq!(
            of(&text, "cloud_task_schedule_next_run_timestamp_seconds", r),
            Some(next as f64)
        );
        let info = support::sample(
            &text,
            "cloud_task_schedule_info",
            &[
                ("provider", "aws_backup"),
                ("target", "aws"),
                ("resource", r),
                ("type", "backup"),
                ("policy_id", "rule-daily"),
                ("policy_name", "nightly/daily"),
            ],
        );
        assert_eq!(info, Some(1.0), "{r}");
        // A job may wait its rule's start window (60 minutes) to start: the missed-run
        // allowance, twice the served duration, covers it.
        let d = of(&text, "cloud_task_expected_duration_seconds", r);
        assert!(d.is_some_and(|d| d >= 1800.0), "{r}: {d:?}");
    }
    // The missed run: DB's last success is before its last due run, WEB's after.
    let success = |r| of(&text, "cloud_task_last_success_timestamp_seconds", r).unwrap();
    assert!(success(DB) < last as f64);
    assert!(success(WEB) >= last as f64);
    for r in [OLD, HAND] {
        assert_eq!(of(&text, "cloud_task_schedule_covered", r), None, "{r}");
        assert_eq!(
            of(&text, "cloud_task_schedule_last_due_timestamp_seconds", r),
            None
        );
    }
    assert_eq!(
        skipped(&text, "error"),
        Some(1.0),
        "the deleted plan\n{text}"
    );
    assert_eq!(skipped(&text, "forbidden"), Some(0.0));
    assert_eq!(
        skipped(&text, "unsupported"),
        Some(0.0),
        "the preview agrees"
    );
}

/// Without `backup:GetBackupPlan` the plans are a counted `forbidden` skip, the poll
/// succeeds, and no resource gets schedule series (the learned rhythm stays the expectation).
#[tokio::test]
async fn a_forbidden_plan_is_a_counted_skip_not_a_failed_poll() {
    let c = cloud().await;
    {
        let mut aws = c.sim().aws();
        let plan = aws.add_plan(json!({"BackupPlan": {"BackupPlanName": "p", "Rules": [
            {"RuleName": "r", "RuleId": "r1", "ScheduleExpression": "cron(0 5 ? * * *)"}]}}));
        aws.add_backup_job(job(
            "j",
            WEB,
            Some((&plan, "r1")),
            Timestamp::now() - SignedDuration::from_hours(1),
        ));
        aws.deny("backup:GetBackupPlan");
    }
    let t = target(&c);
    let mut runner = support::runner(&t, &BUCKETS);
    runner.poll_once().await.unwrap();
    let text = support::exposition_of(runner.snapshot(), &BUCKETS);
    assert_eq!(skipped(&text, "forbidden"), Some(1.0), "{text}");
    assert_eq!(of(&text, "cloud_task_schedule_covered", WEB), None);
    assert_eq!(
        support::sample(
            &text,
            "cloud_task_target_up",
            &[("provider", "aws_backup"), ("target", "aws")]
        ),
        Some(1.0)
    );
}

/// A client that starts beside an account whose memo already knows every finished job (a
/// reload keeps the account, not the client) still learns each job's plan: its first full
/// pass of the backup jobs asks no memo; later passes do, and the plans stay known.
#[tokio::test]
async fn the_first_pass_reads_every_job_even_when_the_memo_knows_them() {
    use cloud_task_exporter::memo::{Recall, Recalled};
    use cloud_task_exporter::provider::{PollContext, Provider};
    let c = cloud().await;
    let created = Timestamp::now() - SignedDuration::from_hours(2);
    {
        let mut aws = c.sim().aws();
        let plan = aws.add_plan(json!({"BackupPlan": {"BackupPlanName": "p", "Rules": [
            {"RuleName": "r", "RuleId": "r1", "ScheduleExpression": "cron(0 5 ? * * *)"}]}}));
        aws.add_backup_job(job("j", WEB, Some((&plan, "r1")), created));
    }
    let p = support::provider(&target(&c));
    let now = Timestamp::now();
    let ctx = PollContext {
        now,
        since: now - SignedDuration::from_hours(24),
        page_size: 100,
        max_pages: 10,
        window: None,
        recall: Some(Recall::new(move |keys| {
            (keys.iter())
                .map(|_| Some(Recalled::finished(Some(created))))
                .collect()
        })),
    };
    let first = p.list_tasks("backup", &ctx).await.unwrap();
    assert_eq!(first.tasks.len(), 1, "decoded, not passed over");
    let second = p.list_tasks("backup", &ctx).await.unwrap();
    assert!(second.tasks.is_empty(), "the memo is asked again");
    let policies = p.schedules().await.unwrap().unwrap();
    let due = policies
        .due(WEB, &Default::default(), Timestamp::now())
        .unwrap();
    assert!(due.covered);
}

/// No API says that a resource was deleted or taken out of its plan; its scheduled jobs
/// stop. A resource whose latest scheduled job is older than the history keeps a pair (35
/// days, or `lookback` when longer) leaves its plan, and a plan no resource belongs to any
/// more is not read again: a deleted volume is not expected for ever.
#[tokio::test]
async fn a_resource_leaves_its_plan_when_its_latest_scheduled_job_ages_out() {
    use cloud_task_exporter::provider::{PollContext, Provider};
    let c = cloud().await;
    let now = Timestamp::now();
    let days = |n: i64| SignedDuration::from_hours(24 * n);
    {
        let mut aws = c.sim().aws();
        let rules = |id: &str| {
            json!({"BackupPlanId": id, "BackupPlan": {"BackupPlanName": id, "Rules": [
                {"RuleName": "r", "RuleId": format!("{id}-r"), "ScheduleExpression": "cron(0 5 ? * * *)"}]}})
        };
        let web = aws.add_plan(rules("plan-web"));
        let db = aws.add_plan(rules("plan-db"));
        aws.add_backup_job(job("j-web", WEB, Some((&web, "plan-web-r")), now - days(2)));
        aws.add_backup_job(job("j-db", DB, Some((&db, "plan-db-r")), now - days(10)));
    }
    let p = support::provider(&target(&c));
    let pass = |now: Timestamp| PollContext {
        now,
        since: now - days(14),
        page_size: 100,
        max_pages: 10,
        window: None,
        recall: None,
    };
    let reads = || {
        c.sim()
            .requests_to("aws_backup")
            .iter()
            .filter(|r| r.request.path.starts_with("/backup/plans/"))
            .map(|r| r.request.path.clone())
            .collect::<Vec<_>>()
    };
    p.list_tasks("backup", &pass(now)).await.unwrap();
    let policies = p.schedules().await.unwrap().unwrap();
    assert_eq!(
        policies.by_resource.keys().collect::<Vec<_>>(),
        [WEB, DB],
        "both volumes are in their plans"
    );
    assert_eq!(reads().len(), 2);
    // 30 days on: DB's job is 40 days old, WEB's 32. DB leaves its plan, which is not read.
    p.list_tasks("backup", &pass(now + days(30))).await.unwrap();
    let policies = p.schedules().await.unwrap().unwrap();
    assert_eq!(policies.by_resource.keys().collect::<Vec<_>>(), [WEB]);
    assert_eq!(
        &reads()[2..],
        ["/backup/plans/plan-web/".to_string()],
        "only the plan a resource still belongs to"
    );
}
