//! Yandex Cloud Backup `ListTasks` (`docs/providers.md` "Yandex Cloud Backup").
//!
//! `GET {endpoint}/backup/v1/resources/{computeInstanceId}/tasks?pageSize=&pageToken=` with
//! `Authorization: Bearer <IAM token>`, following `nextPageToken` to the last page. Discovery
//! lists the backup-enabled instances of a folder with `GET /backup/v1/resources?folderId=`.
//! The units are instances, and each instance is the resource of its tasks.
//!
//! The schedules (`Provider::schedules`, `docs/providers.md` "Backup policies") are the
//! policies of the folder (`GET /backup/v1/policies?folderId=`) or of each configured instance
//! (`?computeInstanceId=`), and each policy's applications
//! (`GET /backup/v1/policies/{policyId}/applications`), read into `Policies` by `policies.rs`.
//! Beyond 500 configured instances, the per-instance reads are spread over the polls of a
//! reconcile interval (`policies::Spread`).

mod api;
mod auth;
mod config;
mod demo;
mod policies;
mod state;

use std::collections::BTreeSet;
use std::sync::Mutex;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use futures_util::{StreamExt, stream};
use reqwest::{IntoUrl, Url};

use crate::config::secret::Secret;
use crate::config::settings::Settings;
use crate::config::value::BaseUrl;
use crate::model::{Listing, Task, progress};
use crate::provider::http::{Http, Response};
use crate::provider::pager::IdPager;
use crate::provider::field::{Field, Invalid, Text};
use crate::provider::records::{Fast, Raw, decode_page};
use crate::provider::error::ProviderError;
use crate::provider::pager::Pager;
use crate::provider::plugin::{PollContext, Provider, Registered, Units, unit_label};
use crate::schedule::Policies;
use crate::timefmt;
use api::{
    ApiApplication, ApiTask, ListApplicationsResponse, ListPoliciesResponse, ListResourcesResponse,
    ListTasksResponse,
};
use auth::TokenCache;
pub use config::{Auth, Config, ServiceAccountKey};

/// Default Backup API base URL.
const DEFAULT_ENDPOINT: &str = "https://backup.api.cloud.yandex.net";

/// Characters kept as they are in a path segment or query value (RFC 3986 unreserved).
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn enc(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT).to_string()
}

/// The Yandex Cloud Backup client of one target.
#[derive(Debug)]
pub(crate) struct Client {
    units: Units,
    folder_id: Option<String>,
    endpoint: String,
    /// `endpoint` parsed once: each `ListTasks` URL is a copy with its path and query set, so
    /// no request parses the scheme and host again (`None`: it did not parse, and each
    /// request's URL is parsed whole, failing as a bad request).
    base: Option<Url>,
    /// How many of the schedules' calls are in flight at once: the target's `concurrency`.
    in_flight: usize,
    page_size: u32,
    max_pages: u32,
    http: Http,
    auth: TokenCache,
    /// The instances the latest discovery found, for the schedules: the folder's instances
    /// that no policy applies to.
    discovered: Mutex<Option<Vec<String>>>,
    /// The listed instances' policy reads, spread over the polls of a reconcile interval
    /// (`None` in folder mode and for discovered instances: no per-instance calls).
    spread: Option<Mutex<policies::Spread>>,
}

impl Registered for Client {
    const KIND: &'static str = "yandex_backup";
    const UNIT: &'static str = "instance";
    const IDS_KEY: Option<&'static str> = Some("compute_instance_ids");
    const UNIT_IS_RESOURCE: bool = true;
    /// The `Type` enum, lower-cased.
    const KNOWN_TYPES: &'static [&'static str] = &[
        "backup",
        "retention",
        "recovery",
        "apply_policy",
        "revoke_policy",
    ];
    type File = config::File;
    type Config = Config;

    fn new(config: &Config, settings: &Settings, endpoint: Option<&BaseUrl>, http: Http) -> Client {
        let folder_id = config.folder_id.clone();
        let units = Units::from_resources(&config.resources);
        let spread = match (&folder_id, &units) {
            (None, Units::Fixed(ids)) => Some(Mutex::new(policies::Spread::new(
                ids,
                settings.interval,
                settings.reconcile_every(),
            ))),
            _ => None,
        };
        let endpoint = endpoint
            .map_or(DEFAULT_ENDPOINT, |e| e.as_str())
            .to_string();
        Client {
            units,
            folder_id,
            base: Url::parse(&endpoint).ok(),
            in_flight: settings.concurrency.max(1) as usize,
            endpoint,
            page_size: settings.page_size,
            max_pages: settings.max_pages,
            auth: TokenCache::new(&config.auth, config.iam_endpoint.as_ref(), http.clone()),
            http,
            discovered: Mutex::new(None),
            spread,
        }
    }
}

impl Client {
    /// GETs `url` with the IAM token; on a 401 refreshes the token once and retries once.
    async fn get<U: IntoUrl + Clone>(&self, what: &str, url: U) -> Result<Response, ProviderError> {
        let token = self.auth.token(None).await?;
        match self.get_with(what, url.clone(), &token).await {
            Err(e) if e.is_unauthorized() && self.auth.refreshable() => {
                tracing::debug!(call = what, "IAM token rejected; refreshing it once.");
                let token = self.auth.token(Some(&token)).await?;
                self.get_with(what, url, &token).await
            }
            other => other,
        }
    }

    async fn get_with<U: IntoUrl + Clone>(
        &self,
        what: &str,
        url: U,
        token: &Secret,
    ) -> Result<Response, ProviderError> {
        let client = self.http.client();
        self.http
            .send(what, || {
                client
                    .get(url.clone())
                    .bearer_auth(token.expose())
                    .build()
                    .map_err(|e| ProviderError::decode(format!("{what}: bad request: {e}")))
            })
            .await
    }

    /// The `ListTasks` URL of `unit` after `token` (empty: the first page): the parsed
    /// endpoint with this path and query, or the whole text when the endpoint did not parse.
    fn tasks_url(&self, unit: &str, page_size: u32, token: &str) -> Result<Url, String> {
        let path = format!("/backup/v1/resources/{}/tasks", enc(unit));
        let mut query = format!("pageSize={}", page_size.clamp(1, 1000));
        if !token.is_empty() {
            query.push_str("&pageToken=");
            query.push_str(&enc(token));
        }
        match &self.base {
            Some(base) => {
                let mut url = base.clone();
                url.set_path(&path);
                url.set_query(Some(&query));
                Ok(url)
            }
            None => Err(format!("{}{path}?{query}", self.endpoint)),
        }
    }
}

/// Translates one API task of `instance`. Proto3 JSON reads an absent or `null` field
/// as its default, so a task without `status` has `STATUS_UNSPECIFIED` (mapped to
/// `unknown`), not an invalid record; only an id is required.
fn to_task(instance: &str, id: String, t: ApiTask) -> Result<Task, Invalid> {
    let text = |f: Field<Text>, name| f.optional(name).map(|v| v.map(|Text(s)| s));
    let status = text(t.status, "status")?.map(|s| state::enum_name(s, &state::STATUS_NAMES));
    let code = text(t.result_code, "resultCode")?.map(|s| state::enum_name(s, &state::CODE_NAMES));
    let kind = text(t.task_type, "type")?.map(|s| state::enum_name(s, &state::TYPE_NAMES));
    let (mapped, raw) = state::map_status(status.as_deref(), code.as_deref());
    let resource = t
        .compute_instance_id
        .optional("computeInstanceId")?
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| instance.to_string());
    let mut task = Task::new(id, resource, state::task_type(kind.as_deref()), raw, mapped);
    task.created = t.enqueued_at.time("enqueuedAt", timefmt::rfc3339)?;
    task.started = t.started_at.time("startedAt", timefmt::rfc3339)?;
    task.updated = t.updated_at.time("updatedAt", timefmt::rfc3339)?;
    task.finished = t.completed_at.time("completedAt", timefmt::rfc3339)?;
    if let Some(p) = t.progress.optional("progress")? {
        let cur = text(p.current, "progress.current")?;
        let total = text(p.total, "progress.total")?;
        task.progress = ratio(cur.as_deref(), total.as_deref());
    }
    task.error = t.error.optional("error")?.filter(|e| !e.trim().is_empty());
    Ok(task)
}

/// `current / total` (int64 texts, `current` defaulting to 0); `None` without a positive total.
fn ratio(current: Option<&str>, total: Option<&str>) -> Option<f64> {
    let cur: f64 = current.unwrap_or("0").trim().parse().ok()?;
    progress(cur, total?.trim().parse().ok()?)
}

impl Provider for Client {
    fn units(&self) -> Units {
        self.units.clone()
    }

    async fn discover(&self) -> Result<Vec<String>, ProviderError> {
        let Some(folder) = &self.folder_id else {
            return Ok(match &self.units {
                Units::Fixed(ids) => ids.clone(),
                Units::Discover(_) => Vec::new(),
            });
        };
        let mut pager = IdPager::new("ListResources", self.max_pages);
        let mut token = String::new();
        loop {
            let mut url = format!(
                "{}/backup/v1/resources?folderId={}&pageSize={}",
                self.endpoint,
                enc(folder),
                self.page_size.clamp(1, 1000)
            );
            if !token.is_empty() {
                url.push_str(&format!("&pageToken={}", enc(&token)));
            }
            let page: ListResourcesResponse = self
                .get("ListResources", &url)
                .await?
                .json("ListResources")?;
            let resources = page.resources.unwrap_or_default();
            let raw = resources.len();
            // Every listed instance is news for the stop rule; only backup-enabled ones that
            // are not being deleted are polled.
            let ids = resources.into_iter().filter_map(|r| {
                let enabled = r.enabled.unwrap_or(false);
                let deleted = r
                    .init_status
                    .as_deref()
                    .is_some_and(|s| s.eq_ignore_ascii_case("DELETED"));
                r.compute_instance_id.map(|id| (id, enabled && !deleted))
            });
            match pager.next_token(ids, raw, page.next_page_token) {
                Some(next) => token = next,
                None => {
                    let ids = pager.into_ids();
                    *self.discovered.lock().unwrap_or_else(|e| e.into_inner()) = Some(ids.clone());
                    return Ok(ids);
                }
            }
        }
    }

    async fn list_tasks(&self, unit: &str, ctx: &PollContext) -> Result<Listing, ProviderError> {
        let label = unit_label(Self::UNIT, unit);
        let what = format!("{label}: ListTasks");
        let mut pager = Pager::for_poll(&what, ctx);
        let mut token = String::new();
        loop {
            let resp = match self.tasks_url(unit, ctx.page_size, &token) {
                Ok(url) => self.get(&what, url).await?,
                Err(text) => self.get(&what, text.as_str()).await?,
            };
            let (records, next) = decode_page(
                &resp,
                &what,
                "tasks",
                |p: ListTasksResponse<Fast<ApiTask>>| (p.tasks, p.next_page_token),
                |p: ListTasksResponse<Raw<'_>>| (p.tasks, p.next_page_token),
                |id, t| to_task(unit, id, t),
                ctx.recall(unit),
            )?;
            match pager.next_token(records, next) {
                Some(next) => token = next,
                None => break,
            }
        }
        Ok(pager.into_listing())
    }

    async fn schedules(&self) -> Option<Result<Policies, ProviderError>> {
        Some(self.read_policies().await)
    }

    fn schedules_pending(&self) -> bool {
        self.spread
            .as_ref()
            .is_some_and(|s| s.lock().unwrap_or_else(|e| e.into_inner()).pending())
    }
}

impl Client {
    /// The policies of the folder (1 request) or of the configured instances due in this
    /// refresh ([`Client::read_spread`]), then the applications of each policy (1 each). A
    /// policies call that fails fails the read; an applications call that fails skips that
    /// policy.
    async fn read_policies(&self) -> Result<Policies, ProviderError> {
        let mut read = match (&self.folder_id, &self.units) {
            (Some(folder), _) => {
                let known = self
                    .discovered
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .clone();
                let mut read = policies::Reading::new(known.map(BTreeSet::from_iter));
                let url = format!(
                    "{}/backup/v1/policies?folderId={}",
                    self.endpoint,
                    enc(folder)
                );
                read.listed(None, self.list_policies("ListPolicies", &url).await?);
                read
            }
            (None, Units::Fixed(_)) => return self.read_spread().await,
            // Discovery without a folder finds nothing, so no policy applies.
            (None, Units::Discover(_)) => return Ok(Policies::default()),
        };
        let mut calls = self.read_applications(read.policy_ids());
        while let Some((policy, apps)) = calls.next().await {
            read.applications(&policy, apps);
        }
        Ok(read.finish())
    }

    /// The policies of the listed instances: one call for each instance due in this
    /// refresh (all of them up to [`policies::SPREAD_AT_LEAST`] instances; beyond, a share
    /// of them, the ones read longest ago first), in flight together (the HTTP client
    /// applies the target's rate and concurrency limits), then the applications of the
    /// policies they list and of those whose applications are not known; the policies are
    /// built from each instance's latest answer. A policies call that fails fails the read
    /// and keeps every answer read before.
    async fn read_spread(&self) -> Result<Policies, ProviderError> {
        let Some(spread) = &self.spread else {
            return Ok(Policies::default());
        };
        let lock = || spread.lock().unwrap_or_else(|e| e.into_inner());
        let batch = lock().batch();
        // Owned ids: a future borrowing the list's items is not `Send` for every lifetime
        // the trait asks of it.
        let mut calls = stream::iter(batch.into_iter().map(|id| async move {
            let what = format!("{}: ListPolicies", unit_label(Self::UNIT, &id));
            let url = format!(
                "{}/backup/v1/policies?computeInstanceId={}",
                self.endpoint,
                enc(&id)
            );
            let listed = self.list_policies(&what, &url).await;
            (id, listed)
        }))
        .buffered(self.in_flight);
        let mut answers = Vec::new();
        while let Some((id, listed)) = calls.next().await {
            match listed {
                Ok(policies) => answers.push((id, policies)),
                Err(e) => {
                    lock().failed();
                    return Err(e);
                }
            }
        }
        let policy_ids = lock().listed(answers);
        let mut calls = self.read_applications(policy_ids);
        let mut apps = Vec::new();
        while let Some(read) = calls.next().await {
            apps.push(read);
        }
        let mut spread = lock();
        for (policy, read) in apps {
            spread.applications(&policy, read);
        }
        Ok(spread.policies())
    }

    /// The `ListApplications` calls of `policies`, in flight together, answered in order.
    fn read_applications(
        &self,
        policies: Vec<String>,
    ) -> impl futures_util::Stream<Item = (String, Result<Vec<ApiApplication>, ProviderError>)> + '_
    {
        stream::iter(policies.into_iter().map(move |policy| async move {
            let what = format!("{}: ListApplications", unit_label("policy", &policy));
            let url = format!(
                "{}/backup/v1/policies/{}/applications",
                self.endpoint,
                enc(&policy)
            );
            let apps = match self.get(&what, url.as_str()).await {
                Ok(r) => r
                    .json::<ListApplicationsResponse>(&what)
                    .map(|a| a.applications.unwrap_or_default()),
                Err(e) => Err(e),
            };
            (policy, apps)
        }))
        .buffered(self.in_flight)
    }

    /// One `ListPolicies` answer's policies, each still JSON.
    async fn list_policies(
        &self,
        what: &str,
        url: &str,
    ) -> Result<Vec<serde_json::Value>, ProviderError> {
        let page: ListPoliciesResponse = self.get(what, url).await?.json(what)?;
        Ok(page.policies.unwrap_or_default())
    }
}
