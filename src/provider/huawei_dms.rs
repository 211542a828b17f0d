//! Huawei DMS (Kafka, RabbitMQ, RocketMQ): instance background tasks (seed 004, PROVIDERS.md §6.1).

use serde::{Deserialize, Deserializer};

use crate::config::{DmsEngine, HuaweiDmsTarget, ProviderKind, Target};
use crate::model::{Listing, Mapped, Task, TaskState};
use crate::provider::http::Http;
use crate::provider::huawei::endpoint::Service;
use crate::provider::huawei::{HuaweiClient, map_status, time_field};
use crate::provider::{Pager, PollContext, Provider, ProviderError, Reason, Units};
use crate::timefmt::{compact_utc, rfc3339};

/// Every documented DMS task status (SPEC §2). `DELETED` (the record was deleted) is
/// terminal with an unknown outcome.
pub const STATUS: &[(&str, TaskState)] = &[
    ("CREATED", TaskState::Queued),
    ("EXECUTING", TaskState::Running),
    ("SUCCESS", TaskState::Succeeded),
    ("FAILED", TaskState::Failed),
    ("CANCELLED", TaskState::Cancelled),
];

/// DMS `limit` for instance discovery (1–50 documented).
const INSTANCE_PAGE: u32 = 50;

/// A count sent as a string (`"4"`) or a number.
fn count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum N {
        S(String),
        U(u64),
    }
    Ok(match Option::<N>::deserialize(d)? {
        Some(N::U(n)) => Some(n),
        Some(N::S(s)) => s.trim().parse().ok(),
        None => None,
    })
}

#[derive(Deserialize)]
struct Page {
    #[serde(default, deserialize_with = "count")]
    task_count: Option<u64>,
    #[serde(default)]
    tasks: Vec<DmsTask>,
}

#[derive(Deserialize)]
struct DmsTask {
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    status: String,
    created_at: Option<String>,
    updated_at: Option<String>,
}

#[derive(Deserialize)]
struct Progress {
    progress_percentage: Option<f64>,
}

#[derive(Deserialize)]
struct Instances {
    #[serde(default)]
    instances: Vec<Instance>,
    #[serde(default)]
    instance_num: Option<u64>,
}

#[derive(Deserialize)]
struct Instance {
    instance_id: String,
}

/// The DMS client of one target; units are instance ids of one engine.
#[derive(Debug)]
pub struct Client {
    api: HuaweiClient,
    engine: DmsEngine,
    units: Units,
}

impl Client {
    /// Builds the client.
    pub fn new(target: &Target, t: &HuaweiDmsTarget, http: Http) -> Result<Client, String> {
        Ok(Client {
            api: HuaweiClient::new(target, &t.common, Service::Dms, http)?,
            engine: t.engine,
            units: Units::from_resources(&t.resources),
        })
    }
}

/// Maps a DMS status.
pub fn map(raw: &str) -> Mapped {
    if raw.trim().eq_ignore_ascii_case("DELETED") {
        return Mapped::terminal_unknown();
    }
    map_status(raw, STATUS)
}

fn to_task(what: &str, instance: &str, v: DmsTask) -> Result<Task, ProviderError> {
    let mapped = map(&v.status);
    let mut t = Task::new(v.id, instance, v.name, v.status, mapped);
    t.created = time_field(what, "created_at", v.created_at.as_deref(), rfc3339)?;
    t.updated = time_field(what, "updated_at", v.updated_at.as_deref(), rfc3339)?;
    if t.terminal {
        t.finished = t.updated;
    }
    Ok(t)
}

impl Provider for Client {
    fn kind(&self) -> ProviderKind {
        ProviderKind::HuaweiDms
    }

    fn known_types(&self) -> &'static [&'static str] {
        &[]
    }

    fn units(&self) -> Units {
        self.units.clone()
    }

    async fn discover(&self) -> Result<Vec<String>, ProviderError> {
        let what = "DMS GET instances";
        let mut ids: Vec<String> = Vec::new();
        let mut offset: u64 = 0;
        for _ in 0..1000 {
            let query = vec![
                ("engine".to_string(), self.engine.as_str().to_string()),
                ("limit".to_string(), INSTANCE_PAGE.to_string()),
                ("offset".to_string(), offset.to_string()),
            ];
            let page: Instances = self
                .api
                .get_json(what, &["v2", self.api.project_id(), "instances"], &query)
                .await?;
            let n = page.instances.len() as u64;
            let before = ids.len();
            for i in page.instances {
                if !i.instance_id.is_empty() && !ids.contains(&i.instance_id) {
                    ids.push(i.instance_id);
                }
            }
            offset += n;
            if n < u64::from(INSTANCE_PAGE)
                || ids.len() == before
                || page.instance_num.is_some_and(|c| offset >= c)
            {
                break;
            }
        }
        Ok(ids)
    }

    async fn list_tasks(&self, unit: &str, ctx: &PollContext) -> Result<Listing, ProviderError> {
        let what = format!("DMS GET instances/{unit}/tasks");
        let limit = ctx.page_size.max(1);
        let mut pager = Pager::new(&what, ctx.max_pages);
        let mut start: u64 = 0;
        loop {
            let query = vec![
                ("begin_time".to_string(), compact_utc(ctx.since)),
                ("limit".to_string(), limit.to_string()),
                ("start".to_string(), start.to_string()),
            ];
            let page: Page = self
                .api
                .get_json(
                    &what,
                    &["v2", self.api.project_id(), "instances", unit, "tasks"],
                    &query,
                )
                .await?;
            let n = page.tasks.len() as u64;
            let tasks = page
                .tasks
                .into_iter()
                .map(|v| to_task(&what, unit, v))
                .collect::<Result<Vec<_>, _>>()?;
            let new = pager.add_page(tasks);
            start += n;
            let done = n == 0
                || n < u64::from(limit)
                || new == 0
                || page.task_count.is_some_and(|c| pager.len() as u64 >= c);
            if done || pager.at_limit() {
                break;
            }
        }
        let mut tasks = pager.into_tasks();
        if self.has_progress_api() {
            for t in tasks.iter_mut().filter(|t| t.state == TaskState::Running) {
                t.progress = self.progress(unit, &t.id).await?;
            }
        }
        Ok(Listing::of(tasks))
    }
}

impl Client {
    /// Kafka and RocketMQ have `GET …/tasks/{id}/progress`; RabbitMQ has none.
    fn has_progress_api(&self) -> bool {
        matches!(self.engine, DmsEngine::Kafka | DmsEngine::Rocketmq)
    }

    /// The progress of one running task. A task that finished or vanished meanwhile (4xx)
    /// has none; auth, throttling and server errors fail the poll like any other request.
    async fn progress(&self, unit: &str, id: &str) -> Result<Option<f64>, ProviderError> {
        let what = format!("DMS GET instances/{unit}/tasks/{id}/progress");
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
            Ok(p) => Ok(p
                .progress_percentage
                .filter(|v| v.is_finite())
                .map(|v| (v / 100.0).clamp(0.0, 1.0))),
            Err(e) if matches!(e.reason, Reason::Client | Reason::Decode) => {
                tracing::debug!(call = %what, error = %e, "No progress for the task.");
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }
}
