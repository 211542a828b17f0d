//! Huawei CBR: the project's operation logs (seed 002, PROVIDERS.md §4).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::config::{HuaweiCbrTarget, ProviderKind, Target};
use crate::model::{Listing, Task, TaskState};
use crate::provider::http::Http;
use crate::provider::huawei::endpoint::Service;
use crate::provider::huawei::{HuaweiClient, error_text, map_status, time_field};
use crate::provider::{Pager, PollContext, Provider, ProviderError, Units};
use crate::timefmt::{lenient, rfc3339_seconds};

/// Every documented CBR operation-log status (SPEC §2).
pub const STATUS: &[(&str, TaskState)] = &[
    ("waiting", TaskState::Queued),
    ("running", TaskState::Running),
    ("success", TaskState::Succeeded),
    ("failed", TaskState::Failed),
    ("timeout", TaskState::TimedOut),
    ("skipped", TaskState::Skipped),
];

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    operation_logs: Vec<OpLog>,
    #[serde(default)]
    count: Option<u64>,
}

#[derive(Deserialize)]
struct OpLog {
    id: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    operation_type: String,
    created_at: Option<String>,
    started_at: Option<String>,
    updated_at: Option<String>,
    ended_at: Option<String>,
    vault_id: Option<String>,
    error_info: Option<ErrorInfo>,
    extra_info: Option<ExtraInfo>,
}

#[derive(Deserialize)]
struct ErrorInfo {
    code: Option<String>,
    message: Option<String>,
}

#[derive(Deserialize)]
struct ExtraInfo {
    common: Option<Common>,
    resource: Option<Resource>,
}

#[derive(Deserialize)]
struct Common {
    progress: Option<f64>,
}

#[derive(Deserialize)]
struct Resource {
    id: Option<String>,
    name: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

/// The CBR client of one target; its one unit is the project.
#[derive(Debug)]
pub struct Client {
    api: HuaweiClient,
    filters: BTreeMap<String, String>,
}

impl Client {
    /// Builds the client.
    pub fn new(target: &Target, t: &HuaweiCbrTarget, http: Http) -> Result<Client, String> {
        Ok(Client {
            api: HuaweiClient::new(target, &t.common, Service::Cbr, http)?,
            filters: t.filters.clone(),
        })
    }
}

fn nonempty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}

fn to_task(what: &str, v: OpLog) -> Result<Task, ProviderError> {
    let mapped = map_status(&v.status, STATUS);
    let (common, resource) = match v.extra_info {
        Some(e) => (e.common, e.resource),
        None => (None, None),
    };
    let (rid, rname, rtype) = match resource {
        Some(r) => (nonempty(r.id), nonempty(r.name), nonempty(r.kind)),
        None => (None, None, None),
    };
    let resource = rid.or(nonempty(v.vault_id)).unwrap_or_default();
    let mut t = Task::new(v.id, resource, v.operation_type, v.status, mapped);
    t.resource_name = rname;
    t.resource_type = rtype;
    t.created = time_field(what, "created_at", v.created_at.as_deref(), lenient)?;
    t.started = time_field(what, "started_at", v.started_at.as_deref(), lenient)?;
    t.updated = time_field(what, "updated_at", v.updated_at.as_deref(), lenient)?;
    t.finished = time_field(what, "ended_at", v.ended_at.as_deref(), lenient)?;
    t.progress = common
        .and_then(|c| c.progress)
        .filter(|p| p.is_finite())
        .map(|p| (p / 100.0).clamp(0.0, 1.0));
    if let Some(e) = v.error_info {
        t.error = error_text(e.code.as_deref(), e.message.as_deref());
    }
    Ok(t)
}

impl Provider for Client {
    fn kind(&self) -> ProviderKind {
        ProviderKind::HuaweiCbr
    }

    fn known_types(&self) -> &'static [&'static str] {
        &[
            "backup",
            "copy",
            "replication",
            "restore",
            "delete",
            "sync",
            "vault_delete",
            "remove_resource",
        ]
    }

    fn units(&self) -> Units {
        Units::Fixed(vec![self.api.project_id().to_string()])
    }

    async fn discover(&self) -> Result<Vec<String>, ProviderError> {
        Ok(vec![self.api.project_id().to_string()])
    }

    async fn list_tasks(&self, _unit: &str, ctx: &PollContext) -> Result<Listing, ProviderError> {
        let what = "CBR GET operation-logs";
        let limit = ctx.page_size.clamp(1, 1000);
        let mut pager = Pager::new(what, ctx.max_pages);
        let mut offset: u64 = 0;
        loop {
            let mut query: Vec<(String, String)> = self
                .filters
                .iter()
                .filter(|(k, _)| !matches!(k.as_str(), "limit" | "offset"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            if !self.filters.contains_key("start_time") {
                query.push(("start_time".into(), rfc3339_seconds(ctx.since)));
            }
            query.push(("limit".into(), limit.to_string()));
            query.push(("offset".into(), offset.to_string()));
            let page: Page = self
                .api
                .get_json(
                    what,
                    &["v3", self.api.project_id(), "operation-logs"],
                    &query,
                )
                .await?;
            let n = page.operation_logs.len() as u64;
            let tasks = page
                .operation_logs
                .into_iter()
                .map(|v| to_task(what, v))
                .collect::<Result<Vec<_>, _>>()?;
            let new = pager.add_page(tasks);
            offset += n;
            let done = n == 0
                || n < u64::from(limit)
                || new == 0
                || page.count.is_some_and(|c| offset >= c);
            if done || pager.at_limit() {
                break;
            }
        }
        Ok(Listing::of(pager.into_tasks()))
    }
}
