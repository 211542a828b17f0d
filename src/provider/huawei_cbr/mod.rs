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
use crate::provider::field::{Field, Invalid};
use crate::provider::records::{Fast, Raw, decode_page};
use crate::provider::error::ProviderError;
use crate::provider::pager::Pager;
use crate::provider::plugin::{PollContext, Provider, Registered, Units, unit_label};
use crate::schedule::cbr::Cbr;
use crate::schedule::{Policies, Policy, Schedule, SkipReason, Skipped};
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

/// Vaults asked for per page (the API's maximum).
const VAULT_PAGE: u64 = 1000;
/// Pages of vaults read at most (a million vaults).
const VAULT_PAGES: u64 = 1000;

impl Client {
    /// Reads the backup policies, then the vaults: a vault's resources are covered by the
    /// policies bound to it, enabled or not; a vault without a policy schedules nothing.
    async fn read_policies(&self) -> Result<Policies, ProviderError> {
        let project = self.api.project_id();
        let list: api::PolicyList = self
            .api
            .get_json(
                "CBR GET policies (schedules)",
                &["v3", project, "policies"],
                &[("operation_type".to_string(), "backup".to_string())],
            )
            .await?;
        let mut out = Policies::default();
        // Vault id → the policies bound to it, each with whether it is enabled.
        let mut bound: BTreeMap<String, Vec<(String, bool)>> = BTreeMap::new();
        let listed = list.policies.optional("policies").unwrap_or_default();
        for (i, value) in listed.unwrap_or_default().into_iter().enumerate() {
            match policy(value) {
                Ok((p, vaults, skip)) => {
                    for v in vaults {
                        bound.entry(v).or_default().push((p.id.clone(), p.enabled));
                    }
                    out.skipped.extend(skip);
                    out.policies.push(p);
                }
                Err(message) => out.skipped.push(Skipped {
                    policy: format!("policies[{i}]"),
                    reason: SkipReason::Unreadable,
                    message,
                }),
            }
        }
        let mut offset = 0u64;
        for _ in 0..VAULT_PAGES {
            let page: api::VaultPage = self
                .api
                .get_json(
                    "CBR GET vaults (schedules)",
                    &["v3", project, "vaults"],
                    &[
                        ("limit".to_string(), VAULT_PAGE.to_string()),
                        ("offset".to_string(), offset.to_string()),
                    ],
                )
                .await?;
            let vaults = page.vaults.optional("vaults").ok().flatten().unwrap_or_default();
            let n = vaults.len() as u64;
            for value in vaults {
                let Ok(v) = serde_json::from_value::<api::Vault>(value) else {
                    continue;
                };
                let Some(id) = v.id.optional("id").ok().flatten() else {
                    continue;
                };
                let resources = v.resources.optional("resources").ok().flatten();
                for r in resources.unwrap_or_default() {
                    let Some(r) = r.id.optional("id").ok().flatten().filter(|r| !r.is_empty())
                    else {
                        continue;
                    };
                    out.disabled_for.entry(r.clone()).or_default();
                    for (pid, enabled) in bound.get(&id).into_iter().flatten() {
                        let to = if *enabled {
                            &mut out.by_resource
                        } else {
                            &mut out.disabled_for
                        };
                        to.entry(r.clone()).or_default().insert(pid.clone());
                    }
                }
            }
            offset += n;
            if n < VAULT_PAGE || page.count.is_some_and(|c| offset >= c) {
                break;
            }
        }
        // A resource an enabled policy covers is not "known, scheduled by nothing".
        out.disabled_for.retain(|r, ps| !ps.is_empty() || !out.by_resource.contains_key(r));
        Ok(out)
    }
}

/// One CBR policy: the policy, the vaults bound to it, and its schedule's skip if any; an
/// error when it has no id.
fn policy(value: serde_json::Value) -> Result<(Policy, Vec<String>, Option<Skipped>), String> {
    let p: api::Policy = serde_json::from_value(value).map_err(|e| e.to_string())?;
    let id = p
        .id
        .required("id")
        .map_err(|e| e.to_string())?
        .trim()
        .to_string();
    let name = p.name.optional("name").ok().flatten().unwrap_or_default();
    let enabled = p.enabled.optional("enabled").ok().flatten().unwrap_or(false);
    let vaults: Vec<String> = p
        .associated_vaults
        .optional("associated_vaults")
        .ok()
        .flatten()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|v| v.vault_id.optional("vault_id").ok().flatten())
        .collect();
    let schedule = trigger(p.trigger);
    let (schedule, skip) = match schedule {
        Ok(s) => (Some(s), None),
        Err(message) => (
            None,
            Some(Skipped {
                policy: id.clone(),
                reason: SkipReason::Unreadable,
                message,
            }),
        ),
    };
    Ok((
        Policy {
            id,
            name,
            enabled,
            schedule,
            start_window: None,
        },
        vaults,
        skip,
    ))
}

/// A trigger's patterns and start, read as a schedule.
fn trigger(t: Field<api::Trigger>) -> Result<Schedule, String> {
    let field = |e: Invalid| e.to_string();
    let t = t.required("trigger").map_err(field)?;
    let props = t.properties.required("trigger.properties").map_err(field)?;
    let patterns = props.pattern.required("trigger.properties.pattern").map_err(field)?;
    let start = props
        .start_time
        .optional("trigger.properties.start_time")
        .map_err(field)?;
    let patterns: Vec<&str> = patterns.iter().map(String::as_str).collect();
    Cbr::parse(&patterns, start.as_deref())
        .map(Schedule::Cbr)
        .map_err(|e| e.to_string())
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

    /// The project's backup policies and the vaults they are bound to (`docs/providers.md`
    /// "Backup schedules"): one request for the policies and one per thousand vaults.
    async fn schedules(&self) -> Option<Result<Policies, ProviderError>> {
        Some(self.read_policies().await)
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
