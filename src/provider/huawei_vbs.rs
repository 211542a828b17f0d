//! Huawei VBS: backup jobs of a backup policy (seed 001, PROVIDERS.md §3).

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::config::{HuaweiTarget, ProviderKind, Target};
use crate::model::{Listing, Task, TaskState};
use crate::provider::http::Http;
use crate::provider::huawei::endpoint::Service;
use crate::provider::huawei::{HuaweiClient, error_text, map_status};
use crate::provider::records::{self, Field, Invalid, Record, decode_records};
use crate::provider::{Pager, PollContext, Provider, ProviderError, Units, unit_label};
use crate::timefmt::lenient;

/// Every documented VBS job status (SPEC §2).
pub const STATUS: &[(&str, TaskState)] = &[
    ("WAITING", TaskState::Queued),
    ("RUNNING", TaskState::Running),
    ("EXECUTE_SUCCESS", TaskState::Succeeded),
    ("EXECUTE_FAIL", TaskState::Failed),
    ("EXECUTE_TIMEOUT", TaskState::TimedOut),
    ("SKIP", TaskState::Skipped),
];

#[derive(Deserialize)]
struct Page {
    #[serde(default, deserialize_with = "records::list")]
    tasks: Vec<Box<RawValue>>,
    #[serde(default, deserialize_with = "records::count")]
    count: Option<u64>,
}

/// One backup job. No SDK models VBS; the API reference (seed 001) shows every field but
/// `finished_at` in every job. A usable job needs `job_id` and `status`; the rest may be
/// absent or `null`.
#[derive(Deserialize, Default)]
#[serde(default)]
struct VbsTask {
    job_id: Field<String>,
    status: Field<String>,
    created_at: Field<String>,
    finished_at: Field<String>,
    resource_id: Field<String>,
    resource_type: Field<String>,
    message: Field<String>,
    code: Field<String>,
}

impl Record for VbsTask {
    fn id(&self) -> Result<String, Invalid> {
        self.job_id.id("job_id")
    }
}

#[derive(Deserialize)]
struct Policies {
    #[serde(default)]
    backup_policies: Vec<Policy>,
}

#[derive(Deserialize)]
struct Policy {
    backup_policy_id: String,
}

/// The VBS client of one target; units are backup policy ids.
#[derive(Debug)]
pub struct Client {
    api: HuaweiClient,
    units: Units,
}

impl Client {
    /// Builds the client.
    pub fn new(target: &Target, t: &HuaweiTarget, http: Http) -> Result<Client, String> {
        Ok(Client {
            api: HuaweiClient::new(target, &t.common, Service::Vbs, http)?,
            units: Units::from_resources(&t.resources),
        })
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
    fn kind(&self) -> ProviderKind {
        ProviderKind::HuaweiVbs
    }

    fn known_types(&self) -> &'static [&'static str] {
        &["backup"]
    }

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

    fn unit_noun(&self) -> &'static str {
        "policy"
    }

    async fn list_tasks(&self, unit: &str, ctx: &PollContext) -> Result<Listing, ProviderError> {
        let label = unit_label(self.unit_noun(), unit);
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
            let page: Page = self
                .api
                .get_json(
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
            let records = decode_records(&what, "tasks", page.tasks, to_task);
            match pager.next_offset(records, limit, page.count) {
                Some(next) => offset = next,
                None => break,
            }
        }
        Ok(pager.into_listing())
    }
}
