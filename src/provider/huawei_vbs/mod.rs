//! Huawei VBS: backup jobs of a backup policy (`docs/providers.md` "Huawei VBS"). The units are
//! policies; each job's resource is the backed-up volume.

mod api;
mod config;
mod demo;
use crate::config::settings::Settings;
use crate::config::value::BaseUrl;
use crate::model::{Listing, Task, TaskState};
use crate::provider::http::Http;
use crate::provider::huawei::{HuaweiClient, Service, error_text, map_status};
use crate::provider::field::Invalid;
use crate::provider::records::{Fast, Raw, decode_page};
use crate::provider::error::ProviderError;
use crate::provider::pager::Pager;
use crate::provider::plugin::{PollContext, Provider, Registered, Units, unit_label};
use crate::timefmt::lenient;
use api::{Page, Policies, VbsTask};
pub use config::Config;

/// The provider id.
const KIND: &str = "huawei_vbs";

/// Where VBS lives.
const SERVICE: Service = Service {
    prefix: "vbs",
    eu: &[],
};

/// Every documented VBS job status (`docs/metrics.md` "Status mapping").
const STATUS: &[(&str, TaskState)] = &[
    ("WAITING", TaskState::Queued),
    ("RUNNING", TaskState::Running),
    ("EXECUTE_SUCCESS", TaskState::Succeeded),
    ("EXECUTE_FAIL", TaskState::Failed),
    ("EXECUTE_TIMEOUT", TaskState::TimedOut),
    ("SKIP", TaskState::Skipped),
];

/// The VBS client of one target; units are backup policy ids.
#[derive(Debug)]
pub(crate) struct Client {
    api: HuaweiClient,
    units: Units,
}

impl Registered for Client {
    const KIND: &'static str = KIND;
    const UNIT: &'static str = "policy";
    const IDS_KEY: Option<&'static str> = Some("policy_ids");
    const UNIT_IS_RESOURCE: bool = false;
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

fn to_task(id: String, v: VbsTask) -> Result<Task, Invalid> {
    let status = v.status.required("status")?;
    let mapped = map_status(&status, STATUS);
    let resource = v.resource_id.optional("resource_id")?.unwrap_or_default();
    let mut t = Task::new(id, resource, "backup", status, mapped);
    t.resource_type = v
        .resource_type
        .optional("resource_type")?
        .filter(|s| !s.is_empty());
    t.created = v.created_at.time("created_at", lenient)?;
    t.finished = v.finished_at.time("finished_at", lenient)?;
    let code = v.code.optional("code")?;
    let message = v.message.optional("message")?;
    if matches!(t.state, TaskState::Failed | TaskState::TimedOut) {
        t.error = error_text(code.as_deref(), message.as_deref());
    }
    Ok(t)
}

impl Provider for Client {
    fn units(&self) -> Units {
        self.units.clone()
    }

    async fn discover(&self) -> Result<Vec<String>, ProviderError> {
        let what = "VBS GET backuppolicy";
        let p: Policies = self
            .api
            .get_json(what, &["v2", self.api.project_id(), "backuppolicy"], &[])
            .await?;
        Ok(p.backup_policies
            .into_iter()
            .map(|p| p.backup_policy_id)
            .filter(|id| !id.is_empty())
            .collect())
    }

    async fn list_tasks(&self, unit: &str, ctx: &PollContext) -> Result<Listing, ProviderError> {
        let label = unit_label(Self::UNIT, unit);
        let what = format!("{label}: VBS GET backuptasks");
        let limit = ctx.page_size.max(1);
        let mut pager = Pager::for_poll(&what, ctx);
        let mut offset: u64 = 0;
        loop {
            let query = vec![
                ("limit".to_string(), limit.to_string()),
                ("offset".to_string(), offset.to_string()),
                ("sort_dir".to_string(), "desc".to_string()),
                ("sort_key".to_string(), "created_at".to_string()),
            ];
            let resp = self
                .api
                .get_page(
                    &what,
                    &[
                        "v2",
                        self.api.project_id(),
                        "backuppolicy",
                        unit,
                        "backuptasks",
                    ],
                    &query,
                )
                .await?;
            let (records, count) = decode_page(
                &resp,
                &what,
                "tasks",
                |p: Page<Fast<VbsTask>>| (p.tasks, p.count),
                |p: Page<Raw<'_>>| (p.tasks, p.count),
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
