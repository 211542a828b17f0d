//! How the demo shows AWS Backup: one account in `eu-west-1` whose EBS volume and RDS
//! database are backed up, copied and restored, read with static keys. Beside the moving
//! tasks, the account holds a job of each kind of trouble AWS Backup reports: a failed one,
//! an `EXPIRED` one (never started within its start window), one running and one completed
//! with issues (`COMPLETED` with a `MessageCategory` other than `SUCCESS`), and a success.
//! The backup jobs are created by a nightly backup plan (05:00 UTC), whose schedule the
//! exporter reads: both resources show their next and latest scheduled run.

use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use super::Client;
use crate::demo::service::{Demo, DemoTask, Phase};
use crate::sim::Sim;
use crate::sim::aws::epoch;

/// The demo account's access key id (a key the simulator is told to accept).
const ACCESS_KEY_ID: &str = "AKIADEMOEXAMPLE00001";
/// Its secret access key.
const SECRET_ACCESS_KEY: &str = "demo-secret-key-not-a-real-one/aws/0000000";
/// The vault every demo job writes to.
const VAULT: &str = "demo-vault";
/// The backup plan that creates the demo's backup jobs.
const PLAN: &str = "demo-plan-nightly";
/// Its rule.
const RULE: &str = "demo-rule-daily";

impl Demo for Client {
    const NAME: &'static str = "aws-demo";
    const RESOURCES: &'static [&'static str] = &[
        "arn:aws:ec2:eu-west-1:123456789012:volume/vol-0demo00000000web",
        "arn:aws:rds:eu-west-1:123456789012:db:demo-db",
    ];
    const TASK_KINDS: &'static [&'static str] = &["backup", "copy", "restore"];

    fn keys(_sim_url: &str) -> String {
        format!(
            "provider: aws_backup\nregion: eu-west-1\nauth: {{ access_key_id: {ACCESS_KEY_ID}, secret_access_key: '{SECRET_ACCESS_KEY}' }}"
        )
    }

    fn seed(sim: &Sim, start: Timestamp) {
        let mut aws = sim.aws();
        aws.add_credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY, None);
        aws.add_plan(json!({
            "BackupPlanId": PLAN,
            "BackupPlan": {"BackupPlanName": "demo-nightly", "Rules": [{
                "RuleName": "daily-0500-utc", "RuleId": RULE,
                "TargetBackupVaultName": VAULT,
                "ScheduleExpression": "cron(0 5 ? * * *)",
                "ScheduleExpressionTimezone": "Etc/UTC",
                "StartWindowMinutes": 60, "CompletionWindowMinutes": 480}]}
        }));
        let ago = |m: i64| start - SignedDuration::from_mins(m);
        let [volume, db] = [Self::RESOURCES[0], Self::RESOURCES[1]];
        let job = |id: &str, resource: &str, state: &str, created: Timestamp| {
            let mut j = base(resource);
            j["BackupJobId"] = json!(id);
            j["State"] = json!(state);
            j["CreationDate"] = epoch(created);
            j["CreatedBy"] = created_by();
            j
        };
        let mut failed = job("demo-backup-failed", db, "FAILED", ago(200));
        failed["CompletionDate"] = epoch(ago(190));
        failed["StatusMessage"] = json!("Insufficient privileges to perform the backup: the IAM role cannot read the database snapshot.");
        failed["MessageCategory"] = json!("AccessDenied");
        aws.add_backup_job(failed);
        let mut expired = job("demo-backup-expired", volume, "EXPIRED", ago(180));
        expired["StartBy"] = epoch(ago(120));
        expired["StatusMessage"] = json!("Backup job expired: it did not start within the start window of 60 minutes.");
        aws.add_backup_job(expired);
        let mut issues = job("demo-backup-issues", volume, "COMPLETED", ago(170));
        issues["CompletionDate"] = epoch(ago(150));
        issues["MessageCategory"] = json!("PartiallySucceeded");
        issues["StatusMessage"] = json!("Completed with issues: 2 of 3 files could not be copied.");
        aws.add_backup_job(issues);
        let mut ok = job("demo-backup-ok", db, "COMPLETED", ago(160));
        ok["CompletionDate"] = epoch(ago(140));
        ok["MessageCategory"] = json!("SUCCESS");
        ok["PercentDone"] = json!("100.0");
        aws.add_backup_job(ok);
        let mut running = job("demo-backup-running", db, "RUNNING", ago(30));
        running["PercentDone"] = json!("42.0");
        aws.add_backup_job(running);
    }

    fn write(sim: &Sim, t: &DemoTask) {
        let kind = Self::TASK_KINDS.get(t.kind).copied().unwrap_or("backup");
        let (state, category, message) = match t.phase {
            Phase::Queued if kind == "restore" => ("PENDING", None, None),
            Phase::Queued => ("CREATED", None, None),
            Phase::Running => ("RUNNING", None, None),
            Phase::Succeeded => ("COMPLETED", Some("SUCCESS"), None),
            Phase::Failed => (
                "FAILED",
                Some("AccessDenied"),
                Some("The IAM role lacks permission to create a snapshot."),
            ),
            Phase::TimedOut if kind == "backup" => (
                "EXPIRED",
                None,
                Some("The job did not start within its start window."),
            ),
            Phase::TimedOut => ("FAILED", None, Some("The job timed out.")),
            Phase::Cancelled if kind == "copy" => ("FAILED", None, Some("Stopped by a user.")),
            Phase::Cancelled => ("ABORTED", None, None),
        };
        let mut j = base(&t.resource);
        j[if kind == "restore" { "Status" } else { "State" }] = json!(state);
        j["CreationDate"] = epoch(t.created);
        if let Some(s) = t.started.filter(|_| kind == "backup") {
            j["InitiationDate"] = epoch(s);
        }
        if let Some(f) = t.finished {
            j["CompletionDate"] = epoch(f);
        }
        if t.phase == Phase::TimedOut && kind == "backup" {
            j["StartBy"] = epoch(t.finished.unwrap_or(t.created));
            if let Some(o) = j.as_object_mut() {
                o.remove("CompletionDate");
            }
        }
        if let Some(c) = category {
            j["MessageCategory"] = json!(c);
        }
        if let Some(m) = message {
            j["StatusMessage"] = json!(m);
        }
        j["PercentDone"] = json!(format!("{}.0", t.progress));
        let mut aws = sim.aws();
        match kind {
            "copy" => {
                j["CopyJobId"] = json!(id(t));
                aws.add_copy_job(j);
            }
            "restore" => {
                j["RestoreJobId"] = json!(id(t));
                j["SourceResourceArn"] = j["ResourceArn"].take();
                aws.add_restore_job(j);
            }
            _ => {
                j["BackupJobId"] = json!(id(t));
                j["CreatedBy"] = created_by();
                aws.add_backup_job(j);
            }
        }
    }

    fn remove(sim: &Sim, t: &DemoTask) {
        // The lists reach 30 days back: a job created before that is no longer listed, as a
        // job AWS Backup has forgotten.
        let long_ago = t.created - SignedDuration::from_hours(24 * 60);
        sim.aws()
            .set_job(&id(t), json!({ "CreationDate": epoch(long_ago) }));
    }
}

/// The job id of a demo task.
fn id(t: &DemoTask) -> String {
    format!("demo-{}", t.id)
}

/// The plan and rule a demo backup job names as its creator.
fn created_by() -> Value {
    json!({"BackupPlanId": PLAN, "BackupRuleId": RULE, "BackupPlanName": "demo-nightly",
           "BackupRuleName": "daily-0500-utc", "BackupRuleCron": "cron(0 5 ? * * *)"})
}

/// What every demo job has: its resource, its name and type, the vault and the account.
fn base(resource: &str) -> Value {
    let (kind, name) = if resource.contains(":rds:") {
        ("RDS", "demo-db")
    } else {
        ("EBS", "web-data")
    };
    json!({
        "AccountId": "123456789012",
        "ResourceArn": resource,
        "ResourceName": name,
        "ResourceType": kind,
        "BackupVaultName": VAULT,
        "BackupVaultArn": format!("arn:aws:backup:eu-west-1:123456789012:backup-vault:{VAULT}"),
    })
}
