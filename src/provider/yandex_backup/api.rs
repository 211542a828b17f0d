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
