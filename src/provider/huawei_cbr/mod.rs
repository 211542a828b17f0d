//! Huawei CBR: the project's operation logs (`docs/providers.md` "Huawei CBR"). The one unit is
//! the project; each log's resource is `extra_info.resource.id` (else its vault).

mod api;
mod config;
mod demo;

use std::collections::BTreeMap;
use crate::config::settings::Settings;
use crate::config::value::BaseUrl;
use crate::model::{Listing, Task, TaskState, progress};
use crate::provider::http::Http;
use crate::provider::huawei::{HuaweiClient, Service, UNSPECIFIED_TYPE, error_text, map_status};
use crate::provider::field::Invalid;
use crate::provider::records::{Fast, Raw, decode_page};
use crate::provider::error::ProviderError;
use crate::provider::pager::Pager;
use crate::provider::plugin::{PollContext, Provider, Registered, Units, unit_label};
use crate::timefmt::{lenient, rfc3339_seconds};
use api::{OpLog, Page};
pub use config::Config;

/// The provider id.
const KIND: &str = "huawei_cbr";

/// Where CBR lives.
const SERVICE: Service = Service {
    prefix: "cbr",
    eu: &[],
};

/// Every documented CBR operation-log status (`docs/metrics.md` "Status mapping").
const STATUS: &[(&str, TaskState)] = &[
    ("waiting", TaskState::Queued),
    ("running", TaskState::Running),
    ("success", TaskState::Succeeded),
    ("failed", TaskState::Failed),
    ("timeout", TaskState::TimedOut),
    ("skipped", TaskState::Skipped),
];

/// The CBR client of one target; its one unit is the project.
#[derive(Debug)]
pub(crate) struct Client {
    api: HuaweiClient,
    filters: BTreeMap<String, String>,
}

impl Registered for Client {
    const KIND: &'static str = KIND;
    const UNIT: &'static str = "project";
    const IDS_KEY: Option<&'static str> = None;
    const UNIT_IS_RESOURCE: bool = false;
    const KNOWN_TYPES: &'static [&'static str] = &[
        "backup",
        "copy",
        "replication",
        "restore",
        "delete",
        "sync",
        "vault_delete",
        "remove_resource",
    ];
    type File = config::File;
    type Config = Config;

    fn new(config: &Config, _settings: &Settings, endpoint: Option<&BaseUrl>, http: Http) -> Client {
        Client {
            api: HuaweiClient::new(endpoint, &config.common, SERVICE, http),
            filters: config.filters.clone(),
        }
    }
}

fn nonempty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}

fn to_task(id: String, v: OpLog) -> Result<Task, Invalid> {
    let status = v.status.required("status")?;
    let mapped = map_status(&status, STATUS);
    let extra = v.extra_info.optional("extra_info")?.unwrap_or_default();
    let common = extra
        .common
        .optional("extra_info.common")?
        .unwrap_or_default();
    let resource = extra
        .resource
        .optional("extra_info.resource")?
        .unwrap_or_default();
    let rid = nonempty(resource.id.optional("extra_info.resource.id")?);
    let vault = nonempty(v.vault_id.optional("vault_id")?);
    let kind = nonempty(v.operation_type.optional("operation_type")?)
        .unwrap_or_else(|| UNSPECIFIED_TYPE.to_string());
    let mut t = Task::new(id, rid.or(vault).unwrap_or_default(), kind, status, mapped);
    t.resource_name = nonempty(resource.name.optional("extra_info.resource.name")?);
    t.resource_type = nonempty(resource.kind.optional("extra_info.resource.type")?);
    t.created = v.created_at.time("created_at", lenient)?;
    t.started = v.started_at.time("started_at", lenient)?;
    t.updated = v.updated_at.time("updated_at", lenient)?;
    t.finished = v.ended_at.time("ended_at", lenient)?;
    t.progress = common
        .progress
        .optional("extra_info.common.progress")?
        .and_then(|p| progress(p.0, 100.0));
    if let Some(e) = v.error_info.optional("error_info")? {
        let code = e.code.optional("error_info.code")?;
        let message = e.message.optional("error_info.message")?;
        t.error = error_text(code.as_deref(), message.as_deref());
    }
    Ok(t)
}

impl Provider for Client {
    fn units(&self) -> Units {
        Units::Fixed(vec![self.api.project_id().to_string()])
    }

    async fn discover(&self) -> Result<Vec<String>, ProviderError> {
        Ok(vec![self.api.project_id().to_string()])
    }

    async fn list_tasks(&self, unit: &str, ctx: &PollContext) -> Result<Listing, ProviderError> {
        let label = unit_label(Self::UNIT, unit);
        let what = format!("{label}: CBR GET operation-logs");
        let limit = ctx.page_size.clamp(1, 1000);
        let mut pager = Pager::for_poll(&what, ctx);
        let mut offset: u64 = 0;
        loop {
            let mut query: Vec<(String, String)> = self
                .filters
                .iter()
                .filter(|(k, _)| !matches!(k.as_str(), "limit" | "offset"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            if !self.filters.contains_key("start_time") {
                query.push(("start_time".into(), rfc3339_seconds(ctx.filter_since())));
            }
            query.push(("limit".into(), limit.to_string()));
            query.push(("offset".into(), offset.to_string()));
            let resp = self
                .api
                .get_page(
                    &what,
                    &["v3", self.api.project_id(), "operation-logs"],
                    &query,
                )
                .await?;
            let (records, count) = decode_page(
                &resp,
                &what,
                "operation_logs",
                |p: Page<Fast<OpLog>>| (p.operation_logs, p.count),
                |p: Page<Raw<'_>>| (p.operation_logs, p.count),
                to_task,
                ctx.recall(unit),
            )?;
            match pager.next_offset(records, limit, count) {
                Some(next) => offset = next,
                None => break,
            }
        }
        Ok(pager.into_listing())
    }
}
