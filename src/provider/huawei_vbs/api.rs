//! Serde types of the VBS backup-policy JSON (`docs/providers.md` "Huawei VBS"), nothing else.

use serde::Deserialize;

use crate::provider::field::{Field, Invalid, Stamp};

use crate::provider::records::{self, Record};

/// `GET /v2/{project_id}/backuppolicy/{policy_id}/backuptasks`.
#[derive(Deserialize)]
pub(super) struct Page<L> {
    /// The records, read as `records::Fast` or `records::Raw`.
    #[serde(default)]
    pub(super) tasks: L,
    #[serde(default, deserialize_with = "records::count")]
    pub(super) count: Option<u64>,
}

/// One backup job. No SDK models VBS; the API reference shows every field but
/// `finished_at` in every job. A usable job needs `job_id` and `status`; the rest may be
/// absent or `null`.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct VbsTask {
    pub(super) job_id: Field<String>,
    pub(super) status: Field<String>,
    pub(super) created_at: Field<Stamp>,
    pub(super) finished_at: Field<Stamp>,
    pub(super) resource_id: Field<String>,
    pub(super) resource_type: Field<String>,
    pub(super) message: Field<String>,
    pub(super) code: Field<String>,
}

impl Record for VbsTask {
    fn id(&self) -> Result<String, Invalid> {
        self.job_id.id("job_id")
    }
}

/// `GET /v2/{project_id}/backuppolicy` (discovery).
#[derive(Deserialize)]
pub(super) struct Policies {
    #[serde(default)]
    pub(super) backup_policies: Vec<Policy>,
}

/// A backup policy: discovery reads its id, the schedules its name and `scheduled_policy`.
#[derive(Deserialize)]
pub(super) struct Policy {
    pub(super) backup_policy_id: String,
    #[serde(default)]
    pub(super) backup_policy_name: Field<String>,
    #[serde(default)]
    pub(super) scheduled_policy: Field<ScheduledPolicy>,
}

/// `scheduled_policy` of a backup policy (`docs/providers.md` "Huawei VBS", "Backup
/// policies"): when it runs and whether it is on.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ScheduledPolicy {
    pub(super) start_time: Field<String>,
    pub(super) frequency: Field<i64>,
    pub(super) week_frequency: Field<Vec<String>>,
    pub(super) status: Field<String>,
    pub(super) time_zone: Field<String>,
}
