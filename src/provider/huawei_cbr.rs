//! Huawei CBR: the project's operation logs (seed 002, PROVIDERS.md §4).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::config::{HuaweiCbrTarget, ProviderKind, Target};
use crate::model::{Listing, Task, TaskState, progress};
use crate::provider::http::Http;
use crate::provider::huawei::endpoint::Service;
use crate::provider::huawei::{HuaweiClient, UNSPECIFIED_TYPE, error_text, map_status};
use crate::provider::records::{self, Field, Invalid, Number, Record, decode_records};
use crate::provider::{Pager, PollContext, Provider, ProviderError, Units, unit_label};
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
    #[serde(default, deserialize_with = "records::list")]
    operation_logs: Vec<Box<RawValue>>,
    #[serde(default, deserialize_with = "records::count")]
    count: Option<u64>,
}

/// `OperationLog` (SDK `huaweicloudsdkcbr` v1 `operation_log.py`). The SDK requires `id`,
/// `status`, `created_at`, `started_at`, `updated_at`, `error_info` and `project_id`; a
/// usable log needs `id` and `status`, and a missing time is just unknown. Every field the
/// SDK marks optional (`operation_type`, `ended_at`, `vault_id`, `extra_info`, ...) may be
/// absent or `null`.
#[derive(Deserialize, Default)]
#[serde(default)]
struct OpLog {
    id: Field<String>,
    status: Field<String>,
    operation_type: Field<String>,
    created_at: Field<String>,
    started_at: Field<String>,
    updated_at: Field<String>,
    ended_at: Field<String>,
    vault_id: Field<String>,
    error_info: Field<ErrorInfo>,
    extra_info: Field<ExtraInfo>,
}

impl Record for OpLog {
    fn id(&self) -> Result<String, Invalid> {
        self.id.id("id")
    }
}

/// `OpErrorInfo`: both optional.
#[derive(Deserialize, Default)]
#[serde(default)]
struct ErrorInfo {
    code: Field<String>,
    message: Field<String>,
}

/// `OpExtraInfo`: the parts read here.
#[derive(Deserialize, Default)]
#[serde(default)]
struct ExtraInfo {
    common: Field<Common>,
    resource: Field<Resource>,
}

/// `OpExtendInfoCommon`: `progress` is an int 0–100 (a numeric string is accepted, as the
/// SDK's `int(...)` would).
#[derive(Deserialize, Default)]
#[serde(default)]
struct Common {
    progress: Field<Number>,
}

/// `Resource`.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Resource {
    id: Field<String>,
    name: Field<String>,
    #[serde(rename = "type")]
    kind: Field<String>,
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

    fn unit_noun(&self) -> &'static str {
        "project"
    }

    async fn list_tasks(&self, unit: &str, ctx: &PollContext) -> Result<Listing, ProviderError> {
        let label = unit_label(self.unit_noun(), unit);
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
            let page: Page = self
                .api
                .get_json(
                    &what,
                    &["v3", self.api.project_id(), "operation-logs"],
                    &query,
                )
                .await?;
            let records = decode_records(&what, "operation_logs", page.operation_logs, to_task);
            match pager.next_offset(records, limit, page.count) {
                Some(next) => offset = next,
                None => break,
            }
        }
        Ok(pager.into_listing())
    }
}
