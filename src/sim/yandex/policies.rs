//! Yandex Cloud Backup policies (`docs/providers.md` "Backup policies"):
//! `GET /backup/v1/policies?folderId=|computeInstanceId=` (`PolicyService.List`, not paged) and
//! `GET /backup/v1/policies/{policyId}/applications` (`PolicyService.ListApplications`), with
//! their own wire types written from `policy.proto` and `policy_service.proto` (`docs/providers.md` `yc-policy-proto`).
//!
//! JSON as proto3 maps it: lowerCamelCase names, int64 as strings, enums by name, and fields
//! at their default value (`false`, `0`, empty lists, unset messages) left out.

use serde::Serialize;
use serde_json::{Value, json};

use super::{SimResource, YandexState, error};
use crate::sim::faults::ListEdits;
use crate::sim::variants::yandex_enum_number;
use crate::sim::{SimRequest, SimResponse};

/// `ListPolicies`: record-edit list (unit: the `folderId`, or the `computeInstanceId`
/// asked for), [`YandexState::deny`] name, and the request-log service of every
/// `/backup/v1/policies` path.
pub const YC_POLICIES: &str = "yandex_backup_policies";
/// `ListApplications`: record-edit list (unit: the policy id) and deny name.
pub const YC_APPLICATIONS: &str = "yandex_backup_applications";
/// `ListResources` and `GetResource`: record-edit list (unit: the folder) and deny name
/// (their requests are logged under `yandex_backup`).
pub const YC_RESOURCES: &str = "yandex_backup_resources";

fn is_false(b: &bool) -> bool {
    !*b
}

/// `PolicySettings.Interval`: `{type, count}`, `count` an int64 (a string on the wire).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SimInterval {
    /// `SECONDS`, `MINUTES`, `HOURS`, `DAYS`, `WEEKS`, `MONTHS`.
    #[serde(rename = "type")]
    pub unit: String,
    /// How many.
    #[serde(serialize_with = "int64")]
    pub count: i64,
}

impl SimInterval {
    /// `count` of `unit` (`MINUTES`, `HOURS`, …).
    pub fn new(unit: &str, count: i64) -> SimInterval {
        SimInterval {
            unit: unit.to_string(),
            count,
        }
    }
}

/// `PolicySettings.TimeOfDay`: `{hour, minute}`, both int64 (strings on the wire; `0` left out).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SimTimeOfDay {
    /// 0–23.
    #[serde(serialize_with = "int64", skip_serializing_if = "is_zero")]
    pub hour: i64,
    /// 0–59.
    #[serde(serialize_with = "int64", skip_serializing_if = "is_zero")]
    pub minute: i64,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

fn int64<S: serde::Serializer>(n: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&n.to_string())
}

fn int64s<S: serde::Serializer>(v: &[i64], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(v.iter().map(i64::to_string))
}

/// `BackupSet.Time`: a calendar schedule.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SimBackupTime {
    /// `weekdays`: `MONDAY` … `SUNDAY`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub weekdays: Vec<String>,
    /// `repeatAt`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub repeat_at: Vec<SimTimeOfDay>,
    /// `repeatEvery`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeat_every: Option<SimInterval>,
    /// `timeFrom`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_from: Option<SimTimeOfDay>,
    /// `timeTo`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_to: Option<SimTimeOfDay>,
    /// `monthdays`: 1–31.
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "int64s")]
    pub monthdays: Vec<i64>,
    /// `includeLastDayOfMonth`.
    #[serde(skip_serializing_if = "is_false")]
    pub include_last_day_of_month: bool,
    /// `months`: 1–12.
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "int64s")]
    pub months: Vec<i64>,
    /// `type`: `HOURLY`, `DAILY`, `WEEKLY`, `MONTHLY`.
    #[serde(rename = "type")]
    pub period: String,
    /// `runLater`.
    #[serde(skip_serializing_if = "is_false")]
    pub run_later: bool,
}

impl SimBackupTime {
    fn at(period: &str, times: &[(i64, i64)]) -> SimBackupTime {
        SimBackupTime {
            period: period.to_string(),
            repeat_at: times
                .iter()
                .map(|&(hour, minute)| SimTimeOfDay { hour, minute })
                .collect(),
            ..SimBackupTime::default()
        }
    }

    /// `DAILY` at each (hour, minute).
    pub fn daily(times: &[(i64, i64)]) -> SimBackupTime {
        SimBackupTime::at("DAILY", times)
    }

    /// `WEEKLY` on `weekdays` (`MONDAY` …) at each (hour, minute).
    pub fn weekly(weekdays: &[&str], times: &[(i64, i64)]) -> SimBackupTime {
        SimBackupTime {
            weekdays: weekdays.iter().map(|d| d.to_string()).collect(),
            ..SimBackupTime::at("WEEKLY", times)
        }
    }

    /// `MONTHLY` on `monthdays` at each (hour, minute).
    pub fn monthly(monthdays: &[i64], times: &[(i64, i64)]) -> SimBackupTime {
        SimBackupTime {
            monthdays: monthdays.to_vec(),
            ..SimBackupTime::at("MONTHLY", times)
        }
    }

    /// `HOURLY` every `every` (`MINUTES`/`HOURS`) between `from` and `to`.
    pub fn hourly(every: SimInterval, from: (i64, i64), to: (i64, i64)) -> SimBackupTime {
        SimBackupTime {
            period: "HOURLY".to_string(),
            repeat_every: Some(every),
            time_from: Some(SimTimeOfDay {
                hour: from.0,
                minute: from.1,
            }),
            time_to: Some(SimTimeOfDay {
                hour: to.0,
                minute: to.1,
            }),
            ..SimBackupTime::default()
        }
    }
}

/// `Scheduling.BackupSet`: a `type` and one of `time` or `sinceLastExecTime`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SimBackupSet {
    /// `time`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<SimBackupTime>,
    /// `sinceLastExecTime.delay`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since_last_exec_time: Option<SinceLastExecTime>,
    /// `type`: `TYPE_AUTO`, `TYPE_FULL`, `TYPE_INCREMENTAL`, `TYPE_DIFFERENTIAL`.
    #[serde(rename = "type")]
    pub set_type: String,
}

/// `BackupSet.SinceLastExecTime`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SinceLastExecTime {
    /// `delay`.
    pub delay: SimInterval,
}

impl SimBackupSet {
    /// A `TYPE_AUTO` set on this calendar.
    pub fn time(time: SimBackupTime) -> SimBackupSet {
        SimBackupSet {
            time: Some(time),
            since_last_exec_time: None,
            set_type: "TYPE_AUTO".to_string(),
        }
    }
}

/// `PolicySettings.Scheduling`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SimScheduling {
    /// `backupSets`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub backup_sets: Vec<SimBackupSet>,
    /// `enabled`.
    #[serde(skip_serializing_if = "is_false")]
    pub enabled: bool,
    /// `maxParallelBackups` (0: no limit).
    #[serde(serialize_with = "int64", skip_serializing_if = "is_zero")]
    pub max_parallel_backups: i64,
    /// `randMaxDelay`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rand_max_delay: Option<SimInterval>,
    /// `scheme`: `SIMPLE`, `ALWAYS_FULL`, `ALWAYS_INCREMENTAL`, …
    pub scheme: String,
    /// `weeklyBackupDay`: `MONDAY` … `SUNDAY`.
    pub weekly_backup_day: String,
}

/// A backup policy (`Policy`), its settings reduced to what the schedule needs plus a few
/// fields for realism.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimPolicy {
    /// `id`.
    pub id: String,
    /// `name`.
    pub name: String,
    /// `folderId`.
    pub folder_id: String,
    /// `enabled`.
    pub enabled: bool,
    /// `createdAt` (RFC3339, sent as given).
    pub created_at: String,
    /// `updatedAt`.
    pub updated_at: String,
    /// `settings.scheduling`.
    pub scheduling: SimScheduling,
}

impl SimPolicy {
    /// An enabled policy in `folder` with enabled scheduling of these sets (scheme
    /// `ALWAYS_INCREMENTAL`, no random delay).
    pub fn new(id: &str, name: &str, folder: &str, sets: Vec<SimBackupSet>) -> SimPolicy {
        SimPolicy {
            id: id.to_string(),
            name: name.to_string(),
            folder_id: folder.to_string(),
            enabled: true,
            created_at: "2024-05-01T10:00:00.123456Z".to_string(),
            updated_at: "2024-05-01T10:00:00.123456Z".to_string(),
            scheduling: SimScheduling {
                backup_sets: sets,
                enabled: true,
                max_parallel_backups: 0,
                rand_max_delay: Some(SimInterval::new("MINUTES", 30)),
                scheme: "ALWAYS_INCREMENTAL".to_string(),
                weekly_backup_day: "MONDAY".to_string(),
            },
        }
    }

    /// Sets the policy's `enabled` and its `settings.scheduling.enabled`.
    pub fn enabled(mut self, policy: bool, scheduling: bool) -> SimPolicy {
        self.enabled = policy;
        self.scheduling.enabled = scheduling;
        self
    }

    fn to_json(&self) -> Value {
        let mut v = json!({
            "id": self.id,
            "name": self.name,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "settings": {
                "compression": "NORMAL",
                "format": "AUTO",
                "reattempts": {"enabled": true, "interval": SimInterval::new("MINUTES", 5), "maxAttempts": "10"},
                "retention": {"rules": [{"maxCount": "7"}]},
                "scheduling": self.scheduling,
                "cbt": "USE_IF_ENABLED",
            },
            "folderId": self.folder_id,
        });
        if self.enabled {
            v["enabled"] = json!(true);
        }
        v
    }
}

/// A policy's application to an instance (`PolicyApplication`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SimApplication {
    /// `policyId`.
    pub policy_id: String,
    /// `computeInstanceId`.
    pub compute_instance_id: String,
    /// `enabled`.
    #[serde(skip_serializing_if = "is_false")]
    pub enabled: bool,
    /// `status`: `OK`, `RUNNING`, `DISABLED`.
    pub status: String,
    /// `createdAt`.
    pub created_at: String,
    /// `isProcessing`.
    #[serde(skip_serializing_if = "is_false")]
    pub is_processing: bool,
}

impl YandexState {
    /// Adds (or replaces, by id) a backup policy.
    pub fn add_policy(&mut self, policy: SimPolicy) {
        self.policies.retain(|p| p.id != policy.id);
        self.policies.push(policy);
    }

    /// Applies `policy` to `instance` (replacing an earlier application of the pair):
    /// `enabled` with `status` `OK`, or disabled with `status` `DISABLED`.
    pub fn apply_policy(&mut self, policy: &str, instance: &str, enabled: bool) {
        self.set_application(SimApplication {
            policy_id: policy.to_string(),
            compute_instance_id: instance.to_string(),
            enabled,
            status: if enabled { "OK" } else { "DISABLED" }.to_string(),
            created_at: "2024-05-01T10:05:00.654321Z".to_string(),
            is_processing: false,
        });
    }

    /// Adds (or replaces, by policy and instance) an application as given.
    pub fn set_application(&mut self, app: SimApplication) {
        self.applications.retain(|a| {
            !(a.policy_id == app.policy_id && a.compute_instance_id == app.compute_instance_id)
        });
        self.applications.push(app);
    }

    /// Sets `lastBackupTime` and `nextBackupTime` (RFC3339, sent as given; `None` leaves the
    /// field out) of `instance` in every folder that lists it; false when none does.
    pub fn set_backup_times(
        &mut self,
        instance: &str,
        last: Option<&str>,
        next: Option<&str>,
    ) -> bool {
        let mut found = false;
        for r in self
            .resources
            .values_mut()
            .flatten()
            .filter(|r| r.compute_instance_id == instance)
        {
            r.last_backup_time = last.map(str::to_string);
            r.next_backup_time = next.map(str::to_string);
            found = true;
        }
        found
    }

    /// Takes the rights on one API away ([`YC_POLICIES`], [`YC_APPLICATIONS`],
    /// [`YC_RESOURCES`]): it answers 403 `PERMISSION_DENIED` while the others still answer.
    pub fn deny(&mut self, api: &str) {
        self.denied.insert(api.to_string());
    }

    /// Gives back every right [`YandexState::deny`] took.
    pub fn allow_all(&mut self) {
        self.denied.clear();
    }

    pub(super) fn denied(&self, api: &str) -> Option<SimResponse> {
        self.denied
            .contains(api)
            .then(|| error(7, "Permission denied"))
    }
}

fn list_or_null(all: Vec<Value>, edits: &ListEdits) -> Value {
    if edits.null_list() {
        Value::Null
    } else {
        Value::Array(all)
    }
}

/// Length-checked id query parameter.
fn id_param(req: &SimRequest, key: &str) -> Result<Option<String>, SimResponse> {
    match req.query_map().get(key) {
        None => Ok(None),
        Some(v) if v.is_empty() => Ok(None),
        Some(v) if v.len() > 50 => Err(error(
            3,
            &format!("Request validation error: {key}: length must be <=50"),
        )),
        Some(v) => Ok(Some(v.clone())),
    }
}

/// `GET /backup/v1/policies?folderId=…` or `?computeInstanceId=…`: every policy of the
/// folder, or every policy applied to the instance; not paged.
pub(super) fn list_policies(
    state: &YandexState,
    req: &SimRequest,
    edits: &dyn Fn(&str) -> ListEdits,
) -> SimResponse {
    let (folder, instance) = match (
        id_param(req, "folderId"),
        id_param(req, "computeInstanceId"),
    ) {
        (Ok(f), Ok(i)) => (f, i),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    let unit = match (&folder, &instance) {
        (Some(f), _) => f.clone(),
        (None, Some(i)) => i.clone(),
        (None, None) => {
            return error(
                3,
                "Request validation error: folder_id or compute_instance_id is required",
            );
        }
    };
    let mut all: Vec<Value> = state
        .policies
        .iter()
        .filter(|p| folder.as_ref().is_none_or(|f| p.folder_id == *f))
        .filter(|p| {
            instance.as_ref().is_none_or(|i| {
                state
                    .applications
                    .iter()
                    .any(|a| a.policy_id == p.id && a.compute_instance_id == *i)
            })
        })
        .map(SimPolicy::to_json)
        .collect();
    let edits = edits(&unit);
    edits.apply(&mut all, "id", &yandex_enum_number);
    SimResponse::json(200, &json!({"policies": list_or_null(all, &edits)}))
}

/// `GET /backup/v1/policies/{policyId}/applications`.
pub(super) fn list_applications(
    state: &YandexState,
    policy: &str,
    edits: &ListEdits,
) -> SimResponse {
    if policy.is_empty() || policy.len() > 50 {
        return error(
            3,
            "Request validation error: policy_id: length must be <=50",
        );
    }
    if !state.policies.iter().any(|p| p.id == policy) {
        return error(5, &format!("Policy {policy} not found"));
    }
    let mut all: Vec<Value> = state
        .applications
        .iter()
        .filter(|a| a.policy_id == policy)
        .filter_map(|a| serde_json::to_value(a).ok())
        .collect();
    edits.apply(&mut all, "computeInstanceId", &yandex_enum_number);
    SimResponse::json(200, &json!({"applications": list_or_null(all, edits)}))
}

/// `GET /backup/v1/resources/{computeInstanceId}` (`ResourceService.Get`): `{"resource": …}`.
pub(super) fn get_resource(state: &YandexState, instance: &str) -> SimResponse {
    match state
        .resources
        .values()
        .flatten()
        .find(|r| r.compute_instance_id == instance)
    {
        Some(r) => SimResponse::json(200, &json!({"resource": resource_json(r)})),
        None => error(5, &format!("Resource {instance} not found")),
    }
}

/// One `Resource` as sent.
pub(super) fn resource_json(r: &SimResource) -> Value {
    serde_json::to_value(r).unwrap_or(Value::Null)
}
