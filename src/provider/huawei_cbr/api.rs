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


/// `GET /v3/{project_id}/policies?operation_type=backup` (`docs/providers.md` "Huawei CBR",
/// "Backup policies"; SDK `list_policies_response.py`), not paged.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct PolicyList {
    pub(super) policies: Field<Vec<serde_json::Value>>,
}

/// A `Policy` (SDK `policy.py`): what the schedules read of it.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Policy {
    pub(super) id: Field<String>,
    pub(super) name: Field<String>,
    pub(super) enabled: Field<bool>,
    pub(super) trigger: Field<Trigger>,
    pub(super) associated_vaults: Field<Vec<AssociatedVault>>,
}

/// `PolicyTriggerResp`: only its `properties` matter.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Trigger {
    pub(super) properties: Field<TriggerProperties>,
}

/// `PolicyTriggerPropertiesResp`: the RRULE patterns and when they start.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct TriggerProperties {
    pub(super) pattern: Field<Vec<String>>,
    pub(super) start_time: Field<String>,
}

/// `PolicyAssociateVault`.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct AssociatedVault {
    pub(super) vault_id: Field<String>,
}

/// `GET /v3/{project_id}/vaults?limit=&offset=` (SDK `list_vault_response.py`).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct VaultPage {
    pub(super) vaults: Field<Vec<serde_json::Value>>,
    #[serde(deserialize_with = "records::count")]
    pub(super) count: Option<u64>,
}

/// A `Vault` (SDK `vault.py`): its id and the resources it protects.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Vault {
    pub(super) id: Field<String>,
    pub(super) resources: Field<Vec<VaultResource>>,
}

/// `ResourceResp`: the resource's id (the `resource` label of its tasks).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct VaultResource {
    pub(super) id: Field<String>,
}
