//! Huawei CCE: cluster backup (master snapshot) tasks (seed 003, PROVIDERS.md §5).

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::config::{HuaweiTarget, ProviderKind, Target};
use crate::model::{Listing, Task, TaskState, progress};
use crate::provider::http::Http;
use crate::provider::huawei::endpoint::Service;
use crate::provider::huawei::{HuaweiClient, map_status};
use crate::provider::records::{self, Field, Invalid, Record, Text, decode_records};
use crate::provider::{Pager, PollContext, Provider, ProviderError, Units, unit_label};
use crate::timefmt::lenient;

/// Every documented CCE task phase (SPEC §2), matched case-insensitively.
pub const STATUS: &[(&str, TaskState)] = &[
    ("Init", TaskState::Queued),
    ("Queuing", TaskState::Queued),
    ("Running", TaskState::Running),
    ("Pause", TaskState::Paused),
    ("Success", TaskState::Succeeded),
    ("Failed", TaskState::Failed),
    ("Error", TaskState::Failed),
];

#[derive(Deserialize)]
struct List {
    #[serde(default, deserialize_with = "records::list")]
    items: Vec<Box<RawValue>>,
}

/// `SnapshotTask` (SDK `huaweicloudsdkcce` v3 `snapshot_task.py`): every field is optional in
/// the SDK, `metadata` and `status` included. A usable task needs `metadata.uid` and
/// `status.phase`; the rest may be absent or `null`.
#[derive(Deserialize, Default)]
#[serde(default)]
struct SnapshotTask {
    metadata: Field<TaskMeta>,
    spec: Field<Spec>,
    status: Field<Status>,
}

/// `SnapshotTaskMetadata`.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct TaskMeta {
    uid: Field<String>,
    creation_timestamp: Field<String>,
    update_timestamp: Field<String>,
}

impl Record for SnapshotTask {
    fn id(&self) -> Result<String, Invalid> {
        match &self.metadata {
            Field::Value(m) => m.uid.id("metadata.uid"),
            Field::Absent => Err(Invalid::new("metadata.uid", "metadata missing")),
            Field::Null => Err(Invalid::new("metadata.uid", "metadata null")),
            Field::Wrong(v) => Err(Invalid::new("metadata", format!("unexpected value {v}"))),
        }
    }
}

/// `SnapshotSpec` (to be deprecated, the doc says): read for failure messages only.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Spec {
    items: Field<Vec<SpecItem>>,
}

/// `SnapshotSpecItems`.
#[derive(Deserialize, Default)]
#[serde(default)]
struct SpecItem {
    status: Field<String>,
    message: Field<String>,
}

/// `SnapshotStatus`. `progress` is a string in the SDK and the doc sample (`"67"`); a number
/// is accepted too.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Status {
    phase: Field<String>,
    progress: Field<Text>,
    completion_time: Field<String>,
}

/// A cluster's `metadata` (discovery).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Meta {
    uid: Option<String>,
}

#[derive(Deserialize)]
struct Clusters {
    #[serde(default)]
    items: Option<Vec<Cluster>>,
}

#[derive(Deserialize)]
struct Cluster {
    #[serde(default)]
    metadata: Option<Meta>,
    #[serde(default)]
    status: Option<ClusterStatus>,
}

#[derive(Deserialize)]
struct ClusterStatus {
    #[serde(default)]
    phase: Option<String>,
}

/// Cluster phases whose backup tasks cannot be listed: not created yet, or going away.
const SKIPPED_PHASES: [&str; 2] = ["Creating", "Deleting"];

/// The CCE client of one target; units are cluster ids.
#[derive(Debug)]
pub struct Client {
    api: HuaweiClient,
    units: Units,
}

impl Client {
    /// Builds the client.
    pub fn new(target: &Target, t: &HuaweiTarget, http: Http) -> Result<Client, String> {
        Ok(Client {
            api: HuaweiClient::new(target, &t.common, Service::Cce, http)?,
            units: Units::from_resources(&t.resources),
        })
    }
}

/// The leading digits of a progress string (`"40"`, `"40%"`, `" 100 "`) as a 0–1 ratio.
pub fn parse_progress(s: &str) -> Option<f64> {
    let s = s.trim();
    let end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    progress(s[..end].parse().ok()?, 100.0)
}

fn to_task(cluster: &str, id: String, v: SnapshotTask) -> Result<Task, Invalid> {
    let meta = v.metadata.optional("metadata")?.unwrap_or_default();
    let status = match v.status {
        Field::Absent => return Err(Invalid::new("status.phase", "status missing")),
        Field::Null => return Err(Invalid::new("status.phase", "status null")),
        other => other.required("status")?,
    };
    let phase = status.phase.required("status.phase")?;
    let mapped = map_status(&phase, STATUS);
    let mut t = Task::new(id, cluster, "backup", phase, mapped);
    t.created = meta
        .creation_timestamp
        .time("metadata.creationTimestamp", lenient)?;
    t.updated = meta
        .update_timestamp
        .time("metadata.updateTimestamp", lenient)?;
    let completion = status
        .completion_time
        .time("status.completionTime", lenient)?;
    if t.terminal {
        t.finished = completion.or(t.updated);
    }
    t.progress = status
        .progress
        .optional("status.progress")?
        .and_then(|p| parse_progress(&p.0));
    let spec = v.spec.optional("spec")?.unwrap_or_default();
    let mut msgs = Vec::new();
    for item in spec.items.optional("spec.items")?.unwrap_or_default() {
        let status = item.status.optional("spec.items.status")?;
        let message = item.message.optional("spec.items.message")?;
        let done_ok = status.is_some_and(|s| s.eq_ignore_ascii_case("success"));
        if let Some(m) = message.filter(|m| !done_ok && !m.trim().is_empty()) {
            msgs.push(m);
        }
    }
    if t.state == TaskState::Failed && !msgs.is_empty() {
        t.error = Some(msgs.join("; "));
    }
    Ok(t)
}

impl Provider for Client {
    fn kind(&self) -> ProviderKind {
        ProviderKind::HuaweiCce
    }

    fn known_types(&self) -> &'static [&'static str] {
        &["backup"]
    }

    fn units(&self) -> Units {
        self.units.clone()
    }

    async fn discover(&self) -> Result<Vec<String>, ProviderError> {
        let c: Clusters = self
            .api
            .get_json(
                "CCE GET clusters",
                &["api", "v3", "projects", self.api.project_id(), "clusters"],
                &[],
            )
            .await?;
        Ok(c.items
            .unwrap_or_default()
            .into_iter()
            .filter(|c| {
                let phase = c.status.as_ref().and_then(|s| s.phase.as_deref());
                !phase.is_some_and(|p| SKIPPED_PHASES.iter().any(|s| s.eq_ignore_ascii_case(p)))
            })
            .filter_map(|c| c.metadata.and_then(|m| m.uid))
            .filter(|id| !id.is_empty())
            .collect())
    }

    fn unit_noun(&self) -> &'static str {
        "cluster"
    }

    async fn list_tasks(&self, unit: &str, ctx: &PollContext) -> Result<Listing, ProviderError> {
        let label = unit_label(self.unit_noun(), unit);
        let what = format!("{label}: CCE GET snapshot tasks");
        let list: List = self
            .api
            .get_json(
                &what,
                &[
                    "api",
                    "v3.1",
                    "projects",
                    self.api.project_id(),
                    "clusters",
                    unit,
                    "operation",
                    "snapshot",
                    "tasks",
                ],
                &[],
            )
            .await?;
        let mut pager = Pager::for_poll(&what, ctx);
        pager.add_page(decode_records(&what, "items", list.items, |id, v| {
            to_task(unit, id, v)
        }));
        Ok(pager.into_listing())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_strings() {
        assert_eq!(parse_progress("40"), Some(0.4));
        assert_eq!(parse_progress(" 100% "), Some(1.0));
        assert_eq!(parse_progress("12.5"), Some(0.125));
        assert_eq!(parse_progress(""), None);
        assert_eq!(parse_progress("n/a"), None);
    }
}
