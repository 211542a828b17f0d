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
use crate::provider::field::{Field, Invalid};
use crate::provider::records::{Fast, Raw, decode_page};
use crate::provider::error::ProviderError;
use crate::provider::pager::Pager;
use crate::provider::plugin::{PollContext, Provider, Registered, Units, unit_label};
use crate::schedule::vbs::{Vbs, VbsPolicy};
use crate::schedule::{Policies, Policy, Schedule, SkipReason, Skipped};
use crate::timefmt::lenient;
use api::{Page, VbsTask};
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

/// The policies as the schedules see them: each one's unit is itself; `status` `OFF` is off;
/// a schedule that cannot be read is skipped, naming the field.
fn policies(listed: Vec<api::Policy>) -> Policies {
    let mut out = Policies::default();
    for p in listed {
        let id = p.backup_policy_id;
        if id.is_empty() {
            continue;
        }
        let name = p
            .backup_policy_name
            .optional("backup_policy_name")
            .ok()
            .flatten()
            .unwrap_or_default();
        let (enabled, schedule) = match read_schedule(p.scheduled_policy) {
            Ok((on, s)) => (on, Some(s)),
            Err((on, reason, message)) => {
                out.skipped.push(Skipped {
                    policy: id.clone(),
                    reason,
                    message,
                });
                (on, None)
            }
        };
        out.by_unit.insert(id.clone(), id.clone());
        out.policies.push(Policy {
            id,
            name,
            enabled,
            schedule,
            start_window: None,
        });
    }
    out
}

/// Whether a `scheduled_policy` is on, and its schedule; else whether it is on, and why its
/// schedule cannot be used.
#[allow(
    clippy::type_complexity,
    reason = "a private helper's two outcomes, named at its one caller"
)]
fn read_schedule(
    f: Field<api::ScheduledPolicy>,
) -> Result<(bool, Schedule), (bool, SkipReason, String)> {
    let unreadable = |on: bool, e: String| (on, SkipReason::Unreadable, e);
    let sp = f
        .required("scheduled_policy")
        .map_err(|e| unreadable(false, e.to_string()))?;
    let status = sp
        .status
        .required("scheduled_policy.status")
        .map_err(|e| unreadable(false, e.to_string()))?;
    let on = match status.trim() {
        s if s.eq_ignore_ascii_case("ON") => true,
        s if s.eq_ignore_ascii_case("OFF") => false,
        other => {
            return Err(unreadable(
                false,
                format!("scheduled_policy.status: {other:?} is neither ON nor OFF"),
            ));
        }
    };
    let field = |e: Invalid| unreadable(on, e.to_string());
    let start_time = sp.start_time.required("scheduled_policy.start_time").map_err(field)?;
    let frequency = sp.frequency.optional("scheduled_policy.frequency").map_err(field)?;
    let week: Vec<String> = sp
        .week_frequency
        .optional("scheduled_policy.week_frequency")
        .map_err(field)?
        .unwrap_or_default();
    let week: Vec<&str> = week.iter().map(String::as_str).collect();
    let zone = sp.time_zone.optional("scheduled_policy.time_zone").map_err(field)?;
    let parsed = Vbs::parse(&VbsPolicy {
        start_time: &start_time,
        frequency,
        week_frequency: &week,
        time_zone: zone.as_deref(),
        anchor: None,
    });
    match parsed {
        Ok(s) => Ok((on, Schedule::Vbs(s))),
        Err(e) => Err(unreadable(on, e.to_string())),
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
        let p: api::Policies = self
            .api
            .get_json(what, &["v2", self.api.project_id(), "backuppolicy"], &[])
            .await?;
        Ok(p.backup_policies
            .into_iter()
            .map(|p| p.backup_policy_id)
            .filter(|id| !id.is_empty())
            .collect())
    }

    /// Every policy of the project, one request (`docs/providers.md` "Backup schedules"):
    /// each policy is the unit its tasks are listed under, so it covers the volumes they name.
    async fn schedules(&self) -> Option<Result<Policies, ProviderError>> {
        let what = "VBS GET backuppolicy (schedules)";
        let read: Result<api::Policies, _> = self
            .api
            .get_json(what, &["v2", self.api.project_id(), "backuppolicy"], &[])
            .await;
        Some(read.map(|p| policies(p.backup_policies)))
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
