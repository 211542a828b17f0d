//! Serde types of the AWS Backup JSON (`docs/providers.md` "AWS Backup"), nothing else. Member
//! names and types are the botocore model's (`botocore/data/backup/2018-11-15/service-2.json`),
//! where every member of a job is optional. Timestamps are JSON numbers (epoch seconds), read
//! as their text ([`Text`]) so no digit is lost.

use serde::Deserialize;

use crate::provider::field::{Field, Invalid, Text};
use crate::provider::records::Record;

/// `ListBackupJobsOutput`: `BackupJobs` and `NextToken`.
#[derive(Deserialize)]
pub(super) struct BackupJobs<L> {
    /// The records, read as `records::Fast` or `records::Raw`.
    #[serde(rename = "BackupJobs", default)]
    pub(super) jobs: L,
    /// Absent on the last page.
    #[serde(rename = "NextToken", default)]
    pub(super) next_token: Option<String>,
}

/// `ListCopyJobsOutput`: `CopyJobs` and `NextToken`.
#[derive(Deserialize)]
pub(super) struct CopyJobs<L> {
    /// The records.
    #[serde(rename = "CopyJobs", default)]
    pub(super) jobs: L,
    /// Absent on the last page.
    #[serde(rename = "NextToken", default)]
    pub(super) next_token: Option<String>,
}

/// `ListRestoreJobsOutput`: `RestoreJobs` and `NextToken`.
#[derive(Deserialize)]
pub(super) struct RestoreJobs<L> {
    /// The records.
    #[serde(rename = "RestoreJobs", default)]
    pub(super) jobs: L,
    /// Absent on the last page.
    #[serde(rename = "NextToken", default)]
    pub(super) next_token: Option<String>,
}

/// A job of any of the three lists: the members of `BackupJob`, `CopyJob` and
/// `RestoreJobsListMember` the exporter reads (each list fills its own id and state member).
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
pub(super) struct Job {
    /// `BackupJob.BackupJobId`.
    pub(super) backup_job_id: Field<String>,
    /// `CopyJob.CopyJobId`.
    pub(super) copy_job_id: Field<String>,
    /// `RestoreJobsListMember.RestoreJobId`.
    pub(super) restore_job_id: Field<String>,
    /// `BackupJobState` / `CopyJobState`.
    pub(super) state: Field<String>,
    /// `RestoreJobStatus`.
    pub(super) status: Field<String>,
    /// Why a job is not a plain success (`COMPLETED` with issues, `FAILED`, `EXPIRED`).
    pub(super) status_message: Field<String>,
    /// `SUCCESS`, or another category for a job completed with issues.
    pub(super) message_category: Field<String>,
    /// The resource backed up or copied.
    pub(super) resource_arn: Field<String>,
    /// `RestoreJobsListMember`: the resource restored from.
    pub(super) source_resource_arn: Field<String>,
    /// `RestoreJobsListMember`: the resource a restore created.
    pub(super) created_resource_arn: Field<String>,
    /// `RestoreJobsListMember`: the recovery point restored.
    pub(super) recovery_point_arn: Field<String>,
    /// The resource's name, where the service gives it.
    pub(super) resource_name: Field<String>,
    /// `EBS`, `EC2`, `RDS`, ….
    pub(super) resource_type: Field<String>,
    /// Epoch seconds.
    pub(super) creation_date: Field<Text>,
    /// Epoch seconds; a backup job's start.
    pub(super) initiation_date: Field<Text>,
    /// Epoch seconds.
    pub(super) completion_date: Field<Text>,
    /// Epoch seconds: the start window's end (a job not started by then expires).
    pub(super) start_by: Field<Text>,
    /// A percentage as text (`"42.0"`).
    pub(super) percent_done: Field<Text>,
    /// `BackupJob.CreatedBy`: the plan and rule that scheduled the job (absent on a job
    /// started on demand).
    pub(super) created_by: Field<CreatedBy>,
}

/// `RecoveryPointCreator`, the members the schedules read.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
pub(super) struct CreatedBy {
    /// The plan that scheduled the job.
    pub(super) backup_plan_id: Option<String>,
    /// The rule of the plan.
    pub(super) backup_rule_id: Option<String>,
}

/// `GetBackupPlanOutput`, the members the schedules read.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
pub(super) struct Plan {
    /// The plan's body: its name and rules.
    pub(super) backup_plan: Option<PlanBody>,
    /// Set once the plan is deleted.
    pub(super) deletion_date: Option<Text>,
    /// The next runs AWS computes, with `MaxScheduledRunsPreview` above 0.
    pub(super) scheduled_runs_preview: Option<Vec<ScheduledRun>>,
}

/// `BackupPlan`.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
pub(super) struct PlanBody {
    /// The plan's display name.
    pub(super) backup_plan_name: Option<String>,
    /// Its `BackupRule`s, each still JSON (one of another shape is skipped alone).
    pub(super) rules: Option<Vec<serde_json::Value>>,
}

/// `BackupRule`, the members the schedules read.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
pub(super) struct Rule {
    /// The rule's display name.
    pub(super) rule_name: Option<String>,
    /// Its id, as jobs name it in `CreatedBy.BackupRuleId`.
    pub(super) rule_id: Option<String>,
    /// `cron(...)`; absent means AWS Backup's default.
    pub(super) schedule_expression: Option<String>,
    /// An IANA zone name; absent means UTC.
    pub(super) schedule_expression_timezone: Option<String>,
    /// Minutes after its slot a job may still start (a number; anything else is read as
    /// absent, which means AWS Backup's default).
    pub(super) start_window_minutes: Option<serde_json::Value>,
}

/// `ScheduledPlanExecutionMember`.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
pub(super) struct ScheduledRun {
    /// Epoch seconds.
    pub(super) execution_time: Option<Text>,
    /// The rule that runs then.
    pub(super) rule_id: Option<String>,
}

/// A job of `ListBackupJobs`, named by `BackupJobId`.
#[derive(Deserialize, Default)]
#[serde(transparent)]
pub(super) struct BackupJob(pub(super) Job);

/// A job of `ListCopyJobs`, named by `CopyJobId`.
#[derive(Deserialize, Default)]
#[serde(transparent)]
pub(super) struct CopyJob(pub(super) Job);

/// A job of `ListRestoreJobs`, named by `RestoreJobId`.
#[derive(Deserialize, Default)]
#[serde(transparent)]
pub(super) struct RestoreJob(pub(super) Job);

impl Record for BackupJob {
    fn id(&self) -> Result<String, Invalid> {
        self.0.backup_job_id.id("BackupJobId")
    }
}

impl Record for CopyJob {
    fn id(&self) -> Result<String, Invalid> {
        self.0.copy_job_id.id("CopyJobId")
    }
}

impl Record for RestoreJob {
    fn id(&self) -> Result<String, Invalid> {
        self.0.restore_job_id.id("RestoreJobId")
    }
}
