//! Huawei VBS: backup jobs of a backup policy (seed 001, PROVIDERS.md §3).

use serde::Deserialize;

use crate::config::{HuaweiTarget, ProviderKind, Target};
use crate::model::{Listing, Task, TaskState};
use crate::provider::http::Http;
use crate::provider::huawei::endpoint::Service;
use crate::provider::huawei::{HuaweiClient, error_text, map_status, time_field};
use crate::provider::{Pager, PollContext, Provider, ProviderError, Units};
use crate::timefmt::naive_utc;

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
    #[serde(default)]
    tasks: Vec<VbsTask>,
    #[serde(default)]
    count: Option<u64>,
}

#[derive(Deserialize)]
struct VbsTask {
    job_id: String,
    #[serde(default)]
    status: String,
    created_at: Option<String>,
    finished_at: Option<String>,
    backup_name: Option<String>,
    resource_id: Option<String>,
    resource_type: Option<String>,
    message: Option<String>,
    code: Option<String>,
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

fn to_task(what: &str, v: VbsTask) -> Result<Task, ProviderError> {
    let mapped = map_status(&v.status, STATUS);
    let mut t = Task::new(
        v.job_id,
        v.resource_id.unwrap_or_default(),
        "backup",
        v.status,
        mapped,
    );
    t.resource_type = v.resource_type.filter(|s| !s.is_empty());
    t.created = time_field(what, "created_at", v.created_at.as_deref(), naive_utc)?;
    t.finished = time_field(what, "finished_at", v.finished_at.as_deref(), naive_utc)?;
    if matches!(t.state, TaskState::Failed | TaskState::TimedOut) {
        t.error = error_text(v.code.as_deref(), v.message.as_deref());
    }
    let _ = v.backup_name;
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

    async fn list_tasks(&self, unit: &str, ctx: &PollContext) -> Result<Listing, ProviderError> {
        let what = format!("VBS GET backuppolicy/{unit}/backuptasks");
        let limit = ctx.page_size.max(1);
        let mut pager = Pager::new(&what, ctx.max_pages);
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
            let n = page.tasks.len() as u64;
            let tasks = page
                .tasks
                .into_iter()
                .map(|v| to_task(&what, v))
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
