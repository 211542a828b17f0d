//! The Huawei backup-policy APIs (`docs/providers.md` "Backup policies"): VBS
//! `GET /v2/{project_id}/backuppolicy` with each policy's `scheduled_policy`, CBR
//! `GET /v3/{project_id}/policies` and the paged `GET /v3/{project_id}/vaults`, each with
//! its own wire fields as the API reference and the SDK models name them.
//!
//! Seeding: [`HuaweiState::add_vbs_policy`], [`HuaweiState::add_cbr_policy`],
//! [`HuaweiState::add_cbr_vault`]. A role without rights on one of these APIs:
//! [`HuaweiState::deny`] with [`VBS_POLICIES`], [`CBR_POLICIES`] or [`CBR_VAULTS`]. Odd
//! records: [`crate::sim::Sim::edit_records`] with the same names as the list (the unit is
//! the project id).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use super::HuaweiState;
use crate::sim::SimResponse;
use crate::sim::faults::ListEdits;

/// The VBS policy listing, as a record-edit list and a [`HuaweiState::deny`] name (its
/// requests are logged under `huawei_vbs`).
pub const VBS_POLICIES: &str = "huawei_vbs_policies";
/// The CBR policy listing: record-edit list, deny name and request-log service.
pub const CBR_POLICIES: &str = "huawei_cbr_policies";
/// The CBR vault listing: record-edit list, deny name and request-log service.
pub const CBR_VAULTS: &str = "huawei_cbr_vaults";

/// A VBS policy's `scheduled_policy` (`docs/providers.md` `hw-vbs-policy`). Sent field for field; `None` fields
/// are left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VbsScheduledPolicy {
    /// `start_time`: `HH:mm` in UTC, several separated by commas.
    pub start_time: String,
    /// `frequency`: every N days (1–14).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frequency: Option<u32>,
    /// `week_frequency`: `SUN` … `SAT`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub week_frequency: Option<Vec<String>>,
    /// `rentention_num` (sic): backups kept, 2–14.
    #[serde(rename = "rentention_num", skip_serializing_if = "Option::is_none")]
    pub retention_num: Option<u32>,
    /// `rentention_day` (sic): days kept, 2–99999.
    #[serde(rename = "rentention_day", skip_serializing_if = "Option::is_none")]
    pub retention_day: Option<u32>,
    /// `remain_first_backup_of_curMonth`: `Y` or `N`.
    #[serde(rename = "remain_first_backup_of_curMonth")]
    pub remain_first_backup_of_cur_month: String,
    /// `status`: `ON` or `OFF`.
    pub status: String,
    /// `time_zone`, e.g. `UTC+08:00`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
}

impl VbsScheduledPolicy {
    /// Every `days` days at `start_time` (UTC `HH:mm[,HH:mm…]`), on, keeping 10 backups: the
    /// reference's sample with another time and interval.
    pub fn every_days(start_time: &str, days: u32) -> VbsScheduledPolicy {
        VbsScheduledPolicy {
            start_time: start_time.to_string(),
            frequency: Some(days),
            week_frequency: None,
            retention_num: Some(10),
            retention_day: None,
            remain_first_backup_of_cur_month: "Y".to_string(),
            status: "ON".to_string(),
            time_zone: None,
        }
    }

    /// On these weekdays (`SUN` … `SAT`) at `start_time`, on.
    pub fn weekly(start_time: &str, days: &[&str]) -> VbsScheduledPolicy {
        VbsScheduledPolicy {
            frequency: None,
            week_frequency: Some(days.iter().map(|d| d.to_string()).collect()),
            ..VbsScheduledPolicy::every_days(start_time, 1)
        }
    }

    /// The same schedule with `status` `OFF`.
    pub fn off(mut self) -> VbsScheduledPolicy {
        self.status = "OFF".to_string();
        self
    }
}

/// One associated vault of a CBR policy (`PolicyAssociateVault`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CbrAssociatedVault {
    /// `vault_id`.
    pub vault_id: String,
    /// `destination_vault_id` (replication policies).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_vault_id: Option<String>,
}

/// A CBR policy (`Policy` of `ListPoliciesResponse`) (`docs/providers.md` `hw-cbr-policy`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CbrPolicy {
    /// `id`.
    pub id: String,
    /// `name`.
    pub name: String,
    /// `enabled`.
    pub enabled: bool,
    /// `operation_type`: `backup` or `replication`.
    pub operation_type: String,
    /// `trigger.properties.pattern`: RRULE strings, e.g. `FREQ=DAILY;INTERVAL=1;BYHOUR=6;BYMINUTE=00`.
    pub patterns: Vec<String>,
    /// `trigger.properties.start_time`, e.g. `2020-01-08 09:59:49`.
    pub start_time: String,
    /// `operation_definition.timezone`, e.g. `UTC+08:00` (left out when `None`).
    pub timezone: Option<String>,
    /// `associated_vaults`.
    pub vaults: Vec<CbrAssociatedVault>,
}

impl CbrPolicy {
    /// An enabled backup policy with these patterns, started `2020-01-08 09:59:49`, bound to
    /// no vault yet.
    pub fn backup(id: &str, name: &str, patterns: &[&str]) -> CbrPolicy {
        CbrPolicy {
            id: id.to_string(),
            name: name.to_string(),
            enabled: true,
            operation_type: "backup".to_string(),
            patterns: patterns.iter().map(|p| p.to_string()).collect(),
            start_time: "2020-01-08 09:59:49".to_string(),
            timezone: Some("UTC+08:00".to_string()),
            vaults: Vec::new(),
        }
    }

    /// Associates a vault.
    pub fn vault(mut self, vault_id: &str) -> CbrPolicy {
        self.vaults.push(CbrAssociatedVault {
            vault_id: vault_id.to_string(),
            destination_vault_id: None,
        });
        self
    }

    /// Sets `enabled`.
    pub fn enabled(mut self, enabled: bool) -> CbrPolicy {
        self.enabled = enabled;
        self
    }
}

/// One resource of a CBR vault (`ResourceResp`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CbrVaultResource {
    /// `id`.
    pub id: String,
    /// `name`.
    pub name: String,
    /// `type`, e.g. `OS::Nova::Server`, `OS::Cinder::Volume`.
    #[serde(rename = "type")]
    pub resource_type: String,
    /// `protect_status`, e.g. `available`.
    pub protect_status: String,
    /// `size` (GB).
    pub size: i64,
    /// `backup_size` (GB).
    pub backup_size: i64,
    /// `backup_count`.
    pub backup_count: i64,
}

/// A CBR vault (`Vault` of `ListVaultResponse`) with the resources it protects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CbrVault {
    /// `id`.
    pub id: String,
    /// `name`.
    pub name: String,
    /// `billing.object_type`: `server`, `disk` or `turbo`.
    pub object_type: String,
    /// `resources`.
    pub resources: Vec<CbrVaultResource>,
}

impl CbrVault {
    /// An empty server vault.
    pub fn new(id: &str, name: &str) -> CbrVault {
        CbrVault {
            id: id.to_string(),
            name: name.to_string(),
            object_type: "server".to_string(),
            resources: Vec::new(),
        }
    }

    /// Adds a protected resource (`protect_status` `available`).
    pub fn resource(mut self, id: &str, name: &str, resource_type: &str) -> CbrVault {
        self.resources.push(CbrVaultResource {
            id: id.to_string(),
            name: name.to_string(),
            resource_type: resource_type.to_string(),
            protect_status: "available".to_string(),
            size: 40,
            backup_size: 0,
            backup_count: 0,
        });
        self
    }
}

impl HuaweiState {
    /// Adds (or replaces, by id) a VBS policy with its `scheduled_policy`, keeping any jobs
    /// it has; `resource_count` is its `policy_resource_count`.
    pub fn add_vbs_policy(
        &mut self,
        id: &str,
        name: &str,
        schedule: VbsScheduledPolicy,
        resource_count: u32,
    ) {
        match self.vbs_policies.iter_mut().find(|p| p.id == id) {
            Some(p) => p.name = name.to_string(),
            None => self.vbs_policies.push(super::VbsPolicy {
                id: id.to_string(),
                name: name.to_string(),
            }),
        }
        self.vbs_tasks.entry(id.to_string()).or_default();
        self.vbs_schedules
            .insert(id.to_string(), (schedule, resource_count));
    }

    /// Adds (or replaces, by id) a CBR policy.
    pub fn add_cbr_policy(&mut self, policy: CbrPolicy) {
        self.cbr_policies.retain(|p| p.id != policy.id);
        self.cbr_policies.push(policy);
    }

    /// Adds (or replaces, by id) a CBR vault.
    pub fn add_cbr_vault(&mut self, vault: CbrVault) {
        self.cbr_vaults.retain(|v| v.id != vault.id);
        self.cbr_vaults.push(vault);
    }

    /// Takes the rights on one policy API away ([`VBS_POLICIES`], [`CBR_POLICIES`],
    /// [`CBR_VAULTS`]): it answers 403 while the task lists still answer.
    pub fn deny(&mut self, api: &str) {
        self.denied.insert(api.to_string());
    }

    /// Gives back every right [`HuaweiState::deny`] took.
    pub fn allow_all(&mut self) {
        self.denied.clear();
    }
}

/// The 403 of a role without the right to call `api`. **Not documented**: the body of a
/// permission denial; this is the service's own error shape with an `.0403`-style code of the
/// simulator's choosing.
pub(super) fn denied(st: &HuaweiState, api: &str) -> Option<SimResponse> {
    if !st.denied.contains(api) {
        return None;
    }
    let body = match api {
        VBS_POLICIES => json!({"error": {
            "message": "Policy doesn't allow vbs:backupPolicy:list to be performed.",
            "code": "VBS.0403"}}),
        _ => {
            let action = if api == CBR_VAULTS {
                "cbr:vaults:list"
            } else {
                "cbr:policies:list"
            };
            json!({"error_code": "BackupService.0403",
                "error_msg": format!("Policy doesn't allow {action} to be performed.")})
        }
    };
    Some(SimResponse::json(403, &body))
}

/// No enum numbers in Huawei bodies.
fn no_enums(_: &str, _: &str) -> Option<u64> {
    None
}

fn list_or_null(all: Vec<Value>, edits: &ListEdits) -> Value {
    if edits.null_list() {
        Value::Null
    } else {
        Value::Array(all)
    }
}

/// `GET /v2/{project_id}/backuppolicy`: every policy, not paged. A policy seeded without a
/// schedule sends the reference's sample schedule (daily at 12:00, on).
pub(super) fn vbs_policies(st: &HuaweiState, edits: &ListEdits) -> SimResponse {
    let mut list: Vec<Value> = st
        .vbs_policies
        .iter()
        .map(|p| {
            let (schedule, count) = st.vbs_schedules.get(&p.id).cloned().unwrap_or_else(|| {
                (
                    VbsScheduledPolicy::every_days("12:00", 1),
                    u32::try_from(st.vbs_tasks.get(&p.id).map_or(0, Vec::len)).unwrap_or(0),
                )
            });
            json!({
                "backup_policy_id": p.id,
                "backup_policy_name": p.name,
                "scheduled_policy": schedule,
                "policy_resource_count": count,
            })
        })
        .collect();
    edits.apply(&mut list, "backup_policy_id", &no_enums);
    SimResponse::json(200, &json!({"backup_policies": list_or_null(list, edits)}))
}

fn cbr_error(status: u16, code: &str, msg: &str) -> SimResponse {
    SimResponse::json(status, &json!({"error_code": code, "error_msg": msg}))
}

fn cbr_policy_json(p: &CbrPolicy) -> Value {
    let mut definition = json!({"retention_duration_days": 30, "max_backups": -1});
    if let Some(tz) = &p.timezone {
        definition["timezone"] = json!(tz);
    }
    json!({
        "id": p.id,
        "name": p.name,
        "enabled": p.enabled,
        "operation_type": p.operation_type,
        "operation_definition": definition,
        "trigger": {
            "id": format!("trigger-{}", p.id),
            "name": format!("default-{}", p.id),
            "type": "time",
            "properties": {"pattern": p.patterns, "start_time": p.start_time},
        },
        "associated_vaults": p.vaults,
    })
}

/// `GET /v3/{project_id}/policies[?operation_type=backup|replication][&vault_id=…]`: not
/// paged; `count` is the number sent.
pub(super) fn cbr_policies(
    st: &HuaweiState,
    q: &BTreeMap<String, String>,
    edits: &ListEdits,
) -> SimResponse {
    if let Some(t) = q.get("operation_type")
        && t != "backup"
        && t != "replication"
    {
        return cbr_error(
            400,
            "BackupService.0001",
            &format!("Invalid operation_type: {t}"),
        );
    }
    let mut list: Vec<Value> = st
        .cbr_policies
        .iter()
        .filter(|p| {
            q.get("operation_type")
                .is_none_or(|t| *t == p.operation_type)
        })
        .filter(|p| {
            q.get("vault_id")
                .is_none_or(|v| p.vaults.iter().any(|a| a.vault_id == *v))
        })
        .map(cbr_policy_json)
        .collect();
    edits.apply(&mut list, "id", &no_enums);
    let count = list.len();
    SimResponse::json(
        200,
        &json!({"policies": list_or_null(list, edits), "count": edits.count(count, false)}),
    )
}

fn cbr_vault_json(v: &CbrVault, project: &str) -> Value {
    let used: i64 = v.resources.iter().map(|r| r.backup_size).sum();
    json!({
        "id": v.id,
        "name": v.name,
        "description": "",
        "project_id": project,
        "provider_id": "0daac4c5-6707-4851-97ba-169e36266b66",
        "resources": v.resources,
        "tags": [],
        "enterprise_project_id": "0",
        "auto_bind": false,
        "bind_rules": {},
        "user_id": "38d65be2ecd840d19046e239e841a734",
        "created_at": "2020-01-08T09:59:49.000000",
        "auto_expand": false,
        "billing": {
            "allocated": 0, "charging_mode": "post_paid", "cloud_type": "public",
            "consistent_level": "crash_consistent", "object_type": v.object_type,
            "protect_type": "backup", "size": 100, "spec_code": "vault.backup.server.normal",
            "status": "available", "storage_unit": "", "used": used, "frozen_scene": "",
        },
    })
}

/// `GET /v3/{project_id}/vaults?limit=&offset=[&policy_id=…]`: `limit` 1–1000 (default
/// 1000), `offset` from 0; `count` is the total.
pub(super) fn cbr_vaults(
    st: &HuaweiState,
    project: &str,
    q: &BTreeMap<String, String>,
    edits: &ListEdits,
) -> SimResponse {
    let num = |k: &str, d: u64| q.get(k).map_or(Ok(d), |v| v.parse::<u64>());
    let (limit, offset) = match (num("limit", 1000), num("offset", 0)) {
        (Ok(l), Ok(o)) if (1..=1000).contains(&l) => (l, o),
        _ => {
            return cbr_error(
                400,
                "BackupService.0001",
                "limit must be 1-1000 and offset a non-negative integer.",
            );
        }
    };
    let bound: Option<Vec<&str>> = q.get("policy_id").map(|id| {
        st.cbr_policies
            .iter()
            .filter(|p| p.id == *id)
            .flat_map(|p| p.vaults.iter().map(|v| v.vault_id.as_str()))
            .collect()
    });
    let mut all: Vec<Value> = st
        .cbr_vaults
        .iter()
        .filter(|v| bound.as_ref().is_none_or(|b| b.contains(&v.id.as_str())))
        .map(|v| cbr_vault_json(v, project))
        .collect();
    edits.apply(&mut all, "id", &no_enums);
    let count = all.len();
    let page: Vec<Value> = all
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .collect();
    SimResponse::json(
        200,
        &json!({"vaults": list_or_null(page, edits), "count": edits.count(count, false),
            "limit": limit, "offset": offset}),
    )
}
