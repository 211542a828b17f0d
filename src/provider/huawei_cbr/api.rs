//! Serde types of the CBR operation-log JSON (`docs/providers.md` "Huawei CBR"), nothing else.

use serde::Deserialize;

use crate::provider::field::{Field, Invalid, Number, Stamp};

use crate::provider::records::{self, Record};

/// `GET /v3/{project_id}/operation-logs`.
#[derive(Deserialize)]
pub(super) struct Page<L> {
    /// The records, read as `records::Fast` or `records::Raw`.
    #[serde(default)]
    pub(super) operation_logs: L,
    #[serde(default, deserialize_with = "records::count")]
    pub(super) count: Option<u64>,
}

/// `OperationLog` (SDK `huaweicloudsdkcbr` v1 `operation_log.py`). The SDK requires `id`,
/// `status`, `created_at`, `started_at`, `updated_at`, `error_info` and `project_id`; a
/// usable log needs `id` and `status`, and a missing time is just unknown. Every field the
/// SDK marks optional (`operation_type`, `ended_at`, `vault_id`, `extra_info`, ...) may be
/// absent or `null`.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct OpLog {
    pub(super) id: Field<String>,
    pub(super) status: Field<String>,
    pub(super) operation_type: Field<String>,
    pub(super) created_at: Field<Stamp>,
    pub(super) started_at: Field<Stamp>,
    pub(super) updated_at: Field<Stamp>,
    pub(super) ended_at: Field<Stamp>,
    pub(super) vault_id: Field<String>,
    pub(super) error_info: Field<ErrorInfo>,
    pub(super) extra_info: Field<ExtraInfo>,
}

impl Record for OpLog {
    fn id(&self) -> Result<String, Invalid> {
        self.id.id("id")
    }
}

/// `OpErrorInfo`: both optional.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ErrorInfo {
    pub(super) code: Field<String>,
    pub(super) message: Field<String>,
}

/// `OpExtraInfo`: the parts read here.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ExtraInfo {
    pub(super) common: Field<Common>,
    pub(super) resource: Field<Resource>,
}

/// `OpExtendInfoCommon`: `progress` is an int 0–100 (a numeric string is accepted, as the
/// SDK's `int(...)` would).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Common {
    pub(super) progress: Field<Number>,
}

/// `Resource`.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Resource {
    pub(super) id: Field<String>,
    pub(super) name: Field<String>,
    #[serde(rename = "type")]
    pub(super) kind: Field<String>,
}

