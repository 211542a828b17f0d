//! Serde types of the Yandex Cloud Backup and IAM JSON (`docs/providers.md` "Yandex Cloud Backup"), nothing else.
//!
//! Every field is optional: proto3 JSON omits fields at their default value and reads `null`
//! as the default, int64 values arrive as strings (numbers are accepted too), and enums
//! arrive as names (their numbers are accepted too, as proto3 JSON parsers do). Enum names
//! are kept as strings so that an unknown future value is mapped, not rejected. Task records
//! are decoded one by one (`provider::records`): a record with a field of another JSON type
//! is an invalid task, not a failed page.

use serde::Deserialize;

use crate::provider::field::{Field, Invalid, Stamp, Text};

use crate::provider::records::Record;

/// `ListTasksResponse`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListTasksResponse<L> {
    /// The tasks, read as `records::Fast` or `records::Raw`.
    #[serde(default)]
    pub tasks: L,
    #[serde(default)]
    pub(crate) next_page_token: Option<String>,
}

/// One `Task`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct ApiTask {
    pub id: Field<Text>,
    #[serde(rename = "type")]
    pub task_type: Field<Text>,
    pub progress: Field<Progress>,
    pub status: Field<Text>,
    pub enqueued_at: Field<Stamp>,
    pub started_at: Field<Stamp>,
    pub updated_at: Field<Stamp>,
    pub(crate) completed_at: Field<Stamp>,
    pub(crate) compute_instance_id: Field<String>,
    pub result_code: Field<Text>,
    pub error: Field<String>,
}

impl Record for ApiTask {
    fn id(&self) -> Result<String, Invalid> {
        self.id.id("id")
    }
}

/// `Progress {current, total}`, both int64.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Progress {
    pub current: Field<Text>,
    pub total: Field<Text>,
}

/// `ListResourcesResponse` (discovery).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListResourcesResponse {
    #[serde(default)]
    pub resources: Option<Vec<ApiResource>>,
    #[serde(default)]
    pub(crate) next_page_token: Option<String>,
}

/// The `Resource` fields discovery reads.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ApiResource {
    #[serde(default)]
    pub(crate) compute_instance_id: Option<String>,
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub init_status: Option<String>,
}

/// `ListPoliciesResponse` (`PolicyService.List`, not paged): each policy is kept as its JSON
/// and decoded alone into [`ApiPolicy`], so that one policy of another shape is a skipped
/// schedule, not a failed read.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListPoliciesResponse {
    #[serde(default)]
    pub(crate) policies: Option<Vec<serde_json::Value>>,
}

/// The `Policy` fields the schedules need (`policy.proto`); `createdAt`, `updatedAt`,
/// `folderId` and the settings other than `scheduling` are not read.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct ApiPolicy {
    pub(crate) id: Option<String>,
    pub(crate) name: Option<String>,
    /// Absent is `false` (proto3 leaves a default out).
    pub(crate) enabled: Option<bool>,
    pub(crate) settings: Option<ApiPolicySettings>,
}

/// `PolicySettings`: only `scheduling`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ApiPolicySettings {
    pub(crate) scheduling: Option<ApiScheduling>,
}

/// `PolicySettings.Scheduling`: `backupSets` and `enabled` (`maxParallelBackups`,
/// `randMaxDelay`, `scheme`, `weeklyBackupDay`, `taskFailure` are not read).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct ApiScheduling {
    pub(crate) backup_sets: Option<Vec<ApiBackupSet>>,
    pub(crate) enabled: Option<bool>,
}

/// `Scheduling.BackupSet`: one of `time` or `sinceLastExecTime` (a oneof), and a `type`
/// (`TYPE_AUTO`, `TYPE_FULL`, …, not read).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct ApiBackupSet {
    pub(crate) time: Option<ApiBackupTime>,
    /// `{delay: Interval}`; only its presence is read.
    pub(crate) since_last_exec_time: Option<serde_json::Value>,
}

/// `BackupSet.Time`. Enums (`type`, `weekdays`) are names or numbers; int64 values
/// (`monthdays`, `months`) strings or numbers.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct ApiBackupTime {
    pub(crate) weekdays: Option<Vec<Text>>,
    pub(crate) repeat_at: Option<Vec<ApiTimeOfDay>>,
    pub(crate) repeat_every: Option<ApiInterval>,
    pub(crate) time_from: Option<ApiTimeOfDay>,
    pub(crate) time_to: Option<ApiTimeOfDay>,
    pub(crate) monthdays: Option<Vec<Text>>,
    pub(crate) include_last_day_of_month: Option<bool>,
    pub(crate) months: Option<Vec<Text>>,
    /// `RepeatePeriod` (sic): `HOURLY`, `DAILY`, `WEEKLY`, `MONTHLY`.
    #[serde(rename = "type")]
    pub(crate) period: Option<Text>,
}

/// `PolicySettings.TimeOfDay`: `{hour, minute}`, int64; an absent one is 0 (00:00 is `{}`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ApiTimeOfDay {
    pub(crate) hour: Option<Text>,
    pub(crate) minute: Option<Text>,
}

/// `PolicySettings.Interval`: `{type, count}` (`SECONDS` … `MONTHS`; int64).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ApiInterval {
    #[serde(rename = "type")]
    pub(crate) unit: Option<Text>,
    pub(crate) count: Option<Text>,
}

/// `ListApplicationsResponse` (`PolicyService.ListApplications`).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListApplicationsResponse {
    #[serde(default)]
    pub(crate) applications: Option<Vec<ApiApplication>>,
}

/// `PolicyApplication`: `policyId`, `computeInstanceId`, `enabled`, `status`
/// (`STATUS_UNSPECIFIED`, `OK`, `RUNNING`, `DISABLED`); `createdAt` and `isProcessing` are
/// not read.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct ApiApplication {
    pub(crate) compute_instance_id: Option<String>,
    pub(crate) enabled: Option<bool>,
    pub(crate) status: Option<Text>,
}

/// `POST /iam/v1/tokens` response.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct IamTokenResponse {
    pub iam_token: String,
    #[serde(default)]
    pub(crate) expires_at: Option<String>,
}

/// The metadata service's token response.
#[derive(Deserialize)]
pub(crate) struct MetadataTokenResponse {
    pub(crate) access_token: String,
    #[serde(default)]
    pub(crate) expires_in: Option<serde_json::Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(json: &str) -> ApiTask {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn int64_as_string_or_number_and_omitted_fields() {
        let r: ListTasksResponse<crate::provider::records::Raw<'_>> = serde_json::from_str(
            r#"{"tasks":[{"id":"12","progress":{"current":3,"total":"4"}},{"id":7},{}]}"#,
        )
        .unwrap();
        assert_eq!(r.tasks.0.len(), 3);
        let t = task(r.tasks.0[0].get());
        assert_eq!(t.id().unwrap(), "12");
        let Field::Value(p) = t.progress else {
            panic!("progress")
        };
        assert_eq!(
            (p.current, p.total),
            (
                Field::Value(Text("3".into())),
                Field::Value(Text("4".into()))
            )
        );
        assert_eq!(task(r.tasks.0[1].get()).id().unwrap(), "7");
        assert_eq!(task(r.tasks.0[2].get()).id().unwrap_err().field, "id");
        assert!(r.next_page_token.is_none());
        assert_eq!(task(r#"{"id":true}"#).id().unwrap_err().field, "id");
        let empty: ListTasksResponse<crate::provider::records::Raw<'_>> =
            serde_json::from_str(r#"{"tasks":null,"nextPageToken":null}"#).unwrap();
        assert!(empty.tasks.0.is_empty());
        assert!(serde_json::from_str::<ListTasksResponse<crate::provider::records::Raw<'_>>>(r#"{"tasks":"x"}"#).is_err());
    }
}
