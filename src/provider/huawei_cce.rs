//! Huawei CCE: cluster backup (master snapshot) tasks (seed 003, PROVIDERS.md §5).

use serde::Deserialize;

use crate::config::{HuaweiTarget, ProviderKind, Target};
use crate::model::{Listing, Task, TaskState};
use crate::provider::http::Http;
use crate::provider::huawei::endpoint::Service;
use crate::provider::huawei::{HuaweiClient, map_status, time_field};
use crate::provider::{Pager, PollContext, Provider, ProviderError, Units};
use crate::timefmt::go_time;

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
    #[serde(default)]
    items: Vec<SnapshotTask>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Meta {
    uid: Option<String>,
    creation_timestamp: Option<String>,
    update_timestamp: Option<String>,
}

#[derive(Deserialize)]
struct SnapshotTask {
    #[serde(default)]
    metadata: Meta,
    spec: Option<Spec>,
    status: Option<Status>,
}

#[derive(Deserialize)]
struct Spec {
    #[serde(default)]
    items: Vec<SpecItem>,
}

#[derive(Deserialize)]
struct SpecItem {
    status: Option<String>,
    message: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Status {
    phase: Option<String>,
    progress: Option<String>,
    completion_time: Option<String>,
}

#[derive(Deserialize)]
struct Clusters {
    #[serde(default)]
    items: Vec<Cluster>,
}

#[derive(Deserialize)]
struct Cluster {
    #[serde(default)]
    metadata: Meta,
    status: Option<ClusterStatus>,
}

#[derive(Deserialize)]
struct ClusterStatus {
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
    let v: f64 = s[..end].parse().ok()?;
    v.is_finite().then(|| (v / 100.0).clamp(0.0, 1.0))
}

fn to_task(what: &str, cluster: &str, v: SnapshotTask) -> Result<Option<Task>, ProviderError> {
    let Some(id) = v.metadata.uid.filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let status = v.status.unwrap_or(Status {
        phase: None,
        progress: None,
        completion_time: None,
    });
    let phase = status.phase.unwrap_or_default();
    let mapped = map_status(&phase, STATUS);
    let mut t = Task::new(id, cluster, "backup", phase, mapped);
    t.created = time_field(
        what,
        "metadata.creationTimestamp",
        v.metadata.creation_timestamp.as_deref(),
        go_time,
    )?;
    t.updated = time_field(
        what,
        "metadata.updateTimestamp",
        v.metadata.update_timestamp.as_deref(),
        go_time,
    )?;
    let completion = time_field(
        what,
        "status.completionTime",
        status.completion_time.as_deref(),
        go_time,
    )?;
    if t.terminal {
        t.finished = completion.or(t.updated);
    }
    t.progress = status.progress.as_deref().and_then(parse_progress);
    if t.state == TaskState::Failed {
        let msgs: Vec<String> = v
            .spec
            .map(|s| s.items)
            .unwrap_or_default()
            .into_iter()
            .filter(|i| {
                i.status
                    .as_deref()
                    .is_none_or(|s| !s.eq_ignore_ascii_case("success"))
            })
            .filter_map(|i| i.message.filter(|m| !m.trim().is_empty()))
            .collect();
        if !msgs.is_empty() {
            t.error = Some(msgs.join("; "));
        }
    }
    Ok(Some(t))
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
            .into_iter()
            .filter(|c| {
                let phase = c.status.as_ref().and_then(|s| s.phase.as_deref());
                !phase.is_some_and(|p| SKIPPED_PHASES.iter().any(|s| s.eq_ignore_ascii_case(p)))
            })
            .filter_map(|c| c.metadata.uid)
            .filter(|id| !id.is_empty())
            .collect())
    }

    async fn list_tasks(&self, unit: &str, ctx: &PollContext) -> Result<Listing, ProviderError> {
        let what = format!("CCE GET clusters/{unit}/operation/snapshot/tasks");
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
        let mut pager = Pager::new(&what, ctx.max_pages);
        let mut tasks = Vec::new();
        for item in list.items {
            if let Some(t) = to_task(&what, unit, item)? {
                tasks.push(t);
            }
        }
        pager.add_page(tasks);
        Ok(Listing::of(pager.into_tasks()))
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
