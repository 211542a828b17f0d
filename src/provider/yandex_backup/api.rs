//! Serde types of the Yandex Cloud Backup and IAM JSON (seed 000, PROVIDERS.md §1), nothing else.
//!
//! Every field is optional: proto3 JSON omits fields at their default value, int64 values
//! arrive as strings (numbers are accepted too), and enum names are kept as strings so that an
//! unknown future value is mapped, not rejected.

use serde::{Deserialize, Deserializer};

/// `ListTasksResponse`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListTasksResponse {
    #[serde(default)]
    pub tasks: Vec<ApiTask>,
    #[serde(default)]
    pub next_page_token: Option<String>,
}

/// One `Task`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ApiTask {
    #[serde(default, deserialize_with = "int64_opt")]
    pub id: Option<String>,
    #[serde(default, rename = "type")]
    pub task_type: Option<String>,
    #[serde(default)]
    pub progress: Option<Progress>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub enqueued_at: Option<String>,
    #[serde(default)]
    pub started_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
    #[serde(default)]
    pub completed_at: Option<String>,
    #[serde(default)]
    pub compute_instance_id: Option<String>,
    #[serde(default)]
    pub result_code: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
}

/// `Progress {current, total}`, both int64.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Progress {
    #[serde(default, deserialize_with = "int64_opt")]
    pub current: Option<String>,
    #[serde(default, deserialize_with = "int64_opt")]
    pub total: Option<String>,
}

/// `ListResourcesResponse` (discovery).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListResourcesResponse {
    #[serde(default)]
    pub resources: Vec<ApiResource>,
    #[serde(default)]
    pub next_page_token: Option<String>,
}

/// The `Resource` fields discovery reads.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ApiResource {
    #[serde(default)]
    pub compute_instance_id: Option<String>,
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
    pub expires_at: Option<String>,
}

/// The metadata service's token response.
#[derive(Deserialize)]
pub(crate) struct MetadataTokenResponse {
    pub access_token: String,
    #[serde(default)]
    pub expires_in: Option<serde_json::Value>,
}

/// The authorized key JSON (`yc iam key create -o key.json`), snake_case or camelCase.
#[derive(Deserialize)]
pub(crate) struct AuthorizedKey {
    #[serde(alias = "keyId")]
    pub id: String,
    #[serde(alias = "serviceAccountId")]
    pub service_account_id: String,
    #[serde(alias = "privateKey")]
    pub private_key: String,
}

/// An int64 as a JSON string or number; `null` as absent.
fn int64_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    use serde::de::Error;
    match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s)),
        Some(serde_json::Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(D::Error::custom(format!(
            "expected an int64 as string or number, got {other}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int64_as_string_or_number_and_omitted_fields() {
        let r: ListTasksResponse = serde_json::from_str(
            r#"{"tasks":[{"id":"12","progress":{"current":3,"total":"4"}},{"id":7},{}]}"#,
        )
        .unwrap();
        assert_eq!(r.tasks[0].id.as_deref(), Some("12"));
        let p = r.tasks[0].progress.as_ref().unwrap();
        assert_eq!(
            (p.current.as_deref(), p.total.as_deref()),
            (Some("3"), Some("4"))
        );
        assert_eq!(r.tasks[1].id.as_deref(), Some("7"));
        assert!(r.tasks[2].id.is_none() && r.next_page_token.is_none());
        assert!(serde_json::from_str::<ApiTask>(r#"{"id":true}"#).is_err());
    }
}
