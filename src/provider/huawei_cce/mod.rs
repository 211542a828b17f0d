//! Huawei CCE: cluster backup (master snapshot) tasks (`docs/providers.md` "Huawei CCE"). The
//! units are clusters, and each cluster is the resource of its tasks.

mod api;
mod config;
mod demo;
use crate::config::settings::Settings;
use crate::config::value::BaseUrl;
use crate::model::{Listing, Task, TaskState, progress};
use crate::provider::http::Http;
use crate::provider::huawei::{HuaweiClient, Service, map_status};
use crate::provider::field::{Field, Invalid};
use crate::provider::records::{Fast, Raw, decode_page};
use crate::provider::error::ProviderError;
use crate::provider::pager::Pager;
use crate::provider::plugin::{PollContext, Provider, Registered, Units, unit_label};
use crate::timefmt::lenient;
use api::{Clusters, List, SnapshotTask};
pub use config::Config;

/// The provider id.
const KIND: &str = "huawei_cce";

/// Where CCE lives (under `.eu` in `eu-west-101`).
const SERVICE: Service = Service {
    prefix: "cce",
    eu: &["eu-west-101"],
};

/// Every documented CCE task phase (`docs/metrics.md` "Status mapping"), matched case-insensitively.
const STATUS: &[(&str, TaskState)] = &[
    ("Init", TaskState::Queued),
    ("Queuing", TaskState::Queued),
    ("Running", TaskState::Running),
    ("Pause", TaskState::Paused),
    ("Success", TaskState::Succeeded),
    ("Failed", TaskState::Failed),
    ("Error", TaskState::Failed),
];

/// Cluster phases whose backup tasks cannot be listed: not created yet, or going away.
const SKIPPED_PHASES: [&str; 2] = ["Creating", "Deleting"];

/// The CCE client of one target; units are cluster ids.
#[derive(Debug)]
pub(crate) struct Client {
    api: HuaweiClient,
    units: Units,
}

impl Registered for Client {
    const KIND: &'static str = KIND;
    const UNIT: &'static str = "cluster";
    const IDS_KEY: Option<&'static str> = Some("cluster_ids");
    const UNIT_IS_RESOURCE: bool = true;
    const KNOWN_TYPES: &'static [&'static str] = &["backup"];
    type File = config::File;
    type Config = Config;

    fn new(config: &Config, _settings: &Settings, endpoint: Option<&BaseUrl>, http: Http) -> Client {
        Client {
            api: HuaweiClient::new(endpoint, &config.common, SERVICE, http),
            units: Units::from_resources(&config.resources),
        }
    }
}

/// The leading digits of a progress string (`"40"`, `"40%"`, `" 100 "`) as a 0–1 ratio.
fn parse_progress(s: &str) -> Option<f64> {
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

    async fn list_tasks(&self, unit: &str, ctx: &PollContext) -> Result<Listing, ProviderError> {
        let label = unit_label(Self::UNIT, unit);
        let what = format!("{label}: CCE GET snapshot tasks");
        let resp = self
            .api
            .get_page(
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
        let (records, ()) = decode_page(
            &resp,
            &what,
            "items",
            |l: List<Fast<SnapshotTask>>| (l.items, ()),
            |l: List<Raw<'_>>| (l.items, ()),
            |id, v| to_task(unit, id, v),
            ctx.recall(unit),
        )?;
        let mut pager = Pager::for_poll(&what, ctx);
        pager.add_page(records);
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
