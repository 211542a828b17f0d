//! Huawei DMS (Kafka, RabbitMQ, RocketMQ): instance background tasks (`docs/providers.md`
//! "Huawei DMS"). The units are instances of one engine, and each instance is the
//! resource of its tasks; the task type is the task's name.

mod api;
mod config;
mod demo;
use crate::config::settings::Settings;
use crate::config::value::BaseUrl;
use crate::model::{Listing, Mapped, Task, TaskState, progress};
use crate::provider::http::Http;
use crate::provider::huawei::{HuaweiClient, Service, UNSPECIFIED_TYPE, map_status};
use crate::provider::pager::IdPager;
use crate::provider::field::Invalid;
use crate::provider::records::{Fast, Raw, decode_page};
use crate::provider::error::{ProviderError, Reason};
use crate::provider::pager::Pager;
use crate::provider::plugin::{PollContext, Provider, Registered, Units, unit_label};
use crate::timefmt::{compact_utc, lenient};
use api::{DmsTask, Instances, Page, Progress};
pub use config::{Config, Engine};

/// The provider id.
const KIND: &str = "huawei_dms";

/// Where DMS lives (under `.eu` in `eu-west-101`).
const SERVICE: Service = Service {
    prefix: "dms",
    eu: &["eu-west-101"],
};

/// Every documented DMS task status (`docs/metrics.md` "Status mapping"). `DELETED` (the record was deleted) is
/// terminal with an unknown outcome.
const STATUS: &[(&str, TaskState)] = &[
    ("CREATED", TaskState::Queued),
    ("EXECUTING", TaskState::Running),
    ("SUCCESS", TaskState::Succeeded),
    ("FAILED", TaskState::Failed),
    ("CANCELLED", TaskState::Cancelled),
];

/// DMS `limit` for instance discovery (1–50 documented).
const INSTANCE_PAGE: u32 = 50;

/// The DMS client of one target; units are instance ids of one engine.
#[derive(Debug)]
pub(crate) struct Client {
    api: HuaweiClient,
    engine: Engine,
    units: Units,
    max_pages: u32,
}

impl Registered for Client {
    const KIND: &'static str = KIND;
    const UNIT: &'static str = "instance";
    const IDS_KEY: Option<&'static str> = Some("instance_ids");
    const UNIT_IS_RESOURCE: bool = true;
    const KNOWN_TYPES: &'static [&'static str] = &[];
    type File = config::File;
    type Config = Config;

    fn new(config: &Config, settings: &Settings, endpoint: Option<&BaseUrl>, http: Http) -> Client {
        Client {
            api: HuaweiClient::new(endpoint, &config.common, SERVICE, http),
            engine: config.engine,
            units: Units::from_resources(&config.resources),
            max_pages: settings.max_pages,
        }
    }
}

/// Maps a DMS status.
fn map(raw: &str) -> Mapped {
    if raw.trim().eq_ignore_ascii_case("DELETED") {
        return Mapped::terminal_unknown();
    }
    map_status(raw, STATUS)
}

fn to_task(instance: &str, id: String, v: DmsTask) -> Result<Task, Invalid> {
    let status = v.status.required("status")?;
    let mapped = map(&status);
    let name = v
        .name
        .optional("name")?
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| UNSPECIFIED_TYPE.to_string());
    let mut t = Task::new(id, instance, name, status, mapped);
    t.created = v.created_at.time("created_at", lenient)?;
    t.updated = v.updated_at.time("updated_at", lenient)?;
    if t.terminal {
        t.finished = t.updated;
    }
    Ok(t)
}

impl Provider for Client {
    fn units(&self) -> Units {
        self.units.clone()
    }

    async fn discover(&self) -> Result<Vec<String>, ProviderError> {
        let what = "DMS GET instances";
        let mut pager = IdPager::new(what, self.max_pages);
        let mut offset: u64 = 0;
        loop {
            let query = vec![
                ("engine".to_string(), self.engine.as_str().to_string()),
                ("limit".to_string(), INSTANCE_PAGE.to_string()),
                ("offset".to_string(), offset.to_string()),
            ];
            let page: Instances = self
                .api
                .get_json(what, &["v2", self.api.project_id(), "instances"], &query)
                .await?;
            let raw = page.instances.len();
            let ids = page.instances.into_iter().map(|i| (i.instance_id, true));
            match pager.next_offset(ids, raw, INSTANCE_PAGE, page.instance_num) {
                Some(next) => offset = next,
                None => return Ok(pager.into_ids()),
            }
        }
    }

    async fn list_tasks(&self, unit: &str, ctx: &PollContext) -> Result<Listing, ProviderError> {
        let label = unit_label(Self::UNIT, unit);
        let what = format!("{label}: DMS GET tasks");
        let limit = ctx.page_size.max(1);
        let mut pager = Pager::for_poll(&what, ctx);
        // A running task's progress is read from another call: its record, even unchanged,
        // is decoded every poll.
        let finished_only = (ctx.recall.as_ref())
            .filter(|_| self.has_progress_api())
            .map(|r| r.finished_only());
        let recall = match &finished_only {
            Some(r) => Some((unit, r)),
            None => ctx.recall(unit),
        };
        let mut start: u64 = 0;
        loop {
            let query = vec![
                ("begin_time".to_string(), compact_utc(ctx.filter_since())),
                ("limit".to_string(), limit.to_string()),
                ("start".to_string(), start.to_string()),
            ];
            let resp = self
                .api
                .get_page(
                    &what,
                    &["v2", self.api.project_id(), "instances", unit, "tasks"],
                    &query,
                )
                .await?;
            let (records, count) = decode_page(
                &resp,
                &what,
                "tasks",
                |p: Page<Fast<DmsTask>>| (p.tasks, p.task_count),
                |p: Page<Raw<'_>>| (p.tasks, p.task_count),
                |id, v| to_task(unit, id, v),
                recall,
            )?;
            match pager.next_offset(records, limit, count) {
                Some(next) => start = next,
                None => break,
            }
        }
        let mut listing = pager.into_listing();
        if self.has_progress_api() {
            for t in listing
                .tasks
                .iter_mut()
                .filter(|t| t.state == TaskState::Running)
            {
                t.progress = self.progress(&label, unit, &t.id).await?;
            }
        }
        Ok(listing)
    }
}

impl Client {
    /// Kafka and RocketMQ have `GET …/tasks/{id}/progress`; RabbitMQ has none.
    fn has_progress_api(&self) -> bool {
        matches!(self.engine, Engine::Kafka | Engine::Rocketmq)
    }

    /// The progress of one running task. A task that finished or vanished meanwhile (4xx)
    /// has none; auth, throttling and server errors fail the poll like any other request.
    async fn progress(
        &self,
        label: &str,
        unit: &str,
        id: &str,
    ) -> Result<Option<f64>, ProviderError> {
        let what = format!("{label}: DMS GET tasks/{id}/progress");
        let r: Result<Progress, ProviderError> = self
            .api
            .get_json(
                &what,
                &[
                    "v2",
                    self.api.project_id(),
                    "instances",
                    unit,
                    "tasks",
                    id,
                    "progress",
                ],
                &[],
            )
            .await;
        match r {
            Ok(p) => Ok(p.progress_percentage.and_then(|v| progress(v, 100.0))),
            Err(e) if matches!(e.reason, Reason::Client | Reason::Decode) => {
                tracing::debug!(call = %what, error = %e, "No progress for the task.");
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }
}
