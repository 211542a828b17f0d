//! AWS Backup: the backup, copy and restore jobs of an account (or, with `accountId: "*"`, an
//! organization) in one region (`docs/providers.md` "AWS Backup"). Each of the three job
//! lists is a unit of the target (`backup`, `copy`, `restore`, also the task types): each is
//! paged, ordered and windowed on its own. A task's resource is the job's `ResourceArn`.
//!
//! The schedules (`Provider::schedules`) are the backup plans that created the backup jobs
//! listed (`GET /backup/plans/{id}/`, `GetBackupPlan`), read into `Policies` by `plans.rs`.
//!
//! Every request is signed with SigV4 (service `backup`, the target's region) inside the
//! build closure of `Http::send`, so a retry is signed again with a fresh time.

mod api;
mod config;
pub(crate) mod credentials;
mod demo;
mod plans;

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::header::{HeaderMap, HeaderValue};

use crate::config::settings::Settings;
use crate::config::value::BaseUrl;
use crate::model::{Listing, Mapped, Task, TaskState, progress};
use crate::provider::error::{ProviderError, Reason};
use crate::provider::field::{Field, Invalid, Text};
use crate::provider::http::{Http, Response};
use crate::provider::pager::Pager;
use crate::provider::plugin::{PollContext, Provider, Registered, Units, unit_label};
use crate::provider::records::{Fast, Raw, Records, decode_page};
use crate::schedule::Policies;
use crate::timefmt;
use api::{BackupJob, BackupJobs, CopyJob, CopyJobs, Job, Plan, RestoreJob, RestoreJobs};
pub use config::{Config, JobList};
use credentials::{CredentialSource, Credentials};

/// The provider id.
const KIND: &str = "aws_backup";

/// The signing name of AWS Backup (`signingName`/`endpointPrefix` of the botocore model).
const SERVICE: &str = "backup";

/// Characters kept as they are in a query value: RFC 3986 unreserved, as SigV4 encodes them.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn enc(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT).to_string()
}

/// `BackupJobState` (and `CopyJobState`, a subset) of the botocore model, mapped
/// (`docs/metrics.md` "Status mapping"). `COMPLETED` is a success only with `MessageCategory`
/// `SUCCESS` (or none): see [`map_state`].
const BACKUP_STATES: &[(&str, TaskState)] = &[
    ("CREATED", TaskState::Queued),
    ("PENDING", TaskState::Queued),
    ("RUNNING", TaskState::Running),
    // Being stopped: still active until it is ABORTED.
    ("ABORTING", TaskState::Running),
    ("ABORTED", TaskState::Cancelled),
    ("COMPLETED", TaskState::Succeeded),
    ("PARTIAL", TaskState::Warning),
    ("FAILED", TaskState::Failed),
    // Never started within its start window: a failure that pages.
    ("EXPIRED", TaskState::Failed),
];

/// `CopyJobState`.
const COPY_STATES: &[&str] = &["CREATED", "RUNNING", "COMPLETED", "FAILED", "PARTIAL"];

/// `RestoreJobStatus`.
const RESTORE_STATES: &[&str] = &["PENDING", "RUNNING", "COMPLETED", "ABORTED", "FAILED"];

/// The error of an `EXPIRED` job without a `StatusMessage`.
const EXPIRED_MESSAGE: &str = "the job did not start within its start window";

/// Error types AWS reports throttling with, whatever the status (HTTP 400 among them): the
/// throttling codes of botocore's standard retry mode (`botocore/retries/standard.py`).
const THROTTLING_ERRORS: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];

/// Error types of credentials AWS refuses with HTTP 400 (`ExpiredTokenException` of STS-issued
/// keys among them): an `auth` failure, not a client one.
const AUTH_ERRORS: &[&str] = &[
    "ExpiredTokenException",
    "ExpiredToken",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "IncompleteSignatureException",
    "MissingAuthenticationTokenException",
    "AccessDeniedException",
];

/// The AWS error type of an answer: `x-amzn-ErrorType` (before any `:`), else the body's
/// `__type` or `code` (after any `#`), as botocore's REST-JSON parser reads them
/// (`botocore/parsers.py`, `RestJSONParser._inject_error_code`).
fn error_type(headers: &HeaderMap, body: &[u8]) -> Option<String> {
    let from_header = headers
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(':').next().unwrap_or(v).trim().to_string())
        .filter(|v| !v.is_empty());
    from_header.or_else(|| {
        let v: serde_json::Value = serde_json::from_slice(body).ok()?;
        let t = v
            .get("__type")
            .or_else(|| v.get("code"))
            .and_then(|t| t.as_str())?;
        let t = t.rsplit('#').next().unwrap_or(t).trim();
        (!t.is_empty()).then(|| t.to_string())
    })
}

/// Reads an AWS error answer's type for `Http` ([`crate::provider::http::Classify`]):
/// throttling is `throttled` at any status, refused credentials `auth`.
fn classify(status: u16, headers: &HeaderMap, body: &[u8]) -> Option<Reason> {
    if (200..300).contains(&status) {
        return None;
    }
    let t = error_type(headers, body)?;
    if THROTTLING_ERRORS.contains(&t.as_str()) {
        Some(Reason::Throttled)
    } else if AUTH_ERRORS.contains(&t.as_str()) && status < 500 {
        Some(Reason::Auth)
    } else {
        None
    }
}

/// The AWS Backup client of one target; units are the job lists.
#[derive(Debug)]
pub(crate) struct Client {
    region: String,
    endpoint: String,
    lists: Vec<JobList>,
    filters: Filters,
    http: Http,
    credentials: CredentialSource,
    /// The plan of each resource, from the backup jobs listed so far (for the schedules).
    origins: Mutex<plans::Origins>,
    /// Whether a full pass of the backup jobs has decoded every record once: until then the
    /// memo of finished records is asked nothing (every record is decoded, and keyed for it),
    /// so that each job's plan is seen.
    learned: AtomicBool,
}

/// A scheduled job's resource, plan and creation time, as a listing saw it.
type Seen = (String, String, jiff::Timestamp);

/// The `filters:` of a target, passed as query members.
#[derive(Debug, Clone, Default)]
struct Filters {
    /// `backupVaultName` (backup jobs only).
    backup_vault_name: Option<String>,
    /// `resourceType`.
    resource_type: Option<String>,
    /// `accountId`.
    account_id: Option<String>,
}

/// The endpoint of AWS Backup in `region`: `https://backup.{region}.amazonaws.com`, under
/// `amazonaws.com.cn` in the China regions (the partitions of botocore's `endpoints.json`).
fn default_endpoint(region: &str) -> String {
    let suffix = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    format!("https://{SERVICE}.{region}.{suffix}")
}

impl Registered for Client {
    const KIND: &'static str = KIND;
    const UNIT: &'static str = "job list";
    const IDS_KEY: Option<&'static str> = None;
    const UNIT_IS_RESOURCE: bool = false;
    const KNOWN_TYPES: &'static [&'static str] = &["backup", "copy", "restore"];
    type File = config::File;
    type Config = Config;

    fn new(config: &Config, _settings: &Settings, endpoint: Option<&BaseUrl>, http: Http) -> Client {
        let credentials = CredentialSource::new(&config.auth, &config.region);
        tracing::debug!(region = %config.region, credentials = %credentials.describe(), "AWS Backup client ready.");
        Client {
            endpoint: endpoint.map_or_else(
                || default_endpoint(&config.region),
                |e| e.as_str().trim_end_matches('/').to_string(),
            ),
            region: config.region.clone(),
            lists: config.job_types.clone(),
            filters: Filters {
                backup_vault_name: config.backup_vault_name.clone(),
                resource_type: config.resource_type.clone(),
                account_id: config.account_id.clone(),
            },
            credentials,
            http: http.with_classifier(classify),
            origins: Mutex::new(plans::Origins::default()),
            learned: AtomicBool::new(false),
        }
    }
}

/// Signs `req` for AWS Backup in `region` at `now` with SigV4 (`aws-sigv4`): adds
/// `x-amz-date`, `authorization` and, for temporary credentials, `x-amz-security-token`.
/// The `host` the client sends (the URL's host and port) is signed.
fn sign(
    req: &mut reqwest::Request,
    creds: &Credentials,
    region: &str,
    now: SystemTime,
) -> Result<(), String> {
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    use aws_sigv4::sign::v4;
    let identity = aws_credential_types::Credentials::new(
        creds.access_key_id.clone(),
        creds.secret_access_key.expose().to_string(),
        creds.session_token.as_ref().map(|t| t.expose().to_string()),
        None,
        "cloud-task-exporter",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(SERVICE)
        .time(now)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| e.to_string())?
        .into();
    let headers: Vec<(&str, &str)> = req
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?)))
        .collect();
    let signable = SignableRequest::new(
        req.method().as_str(),
        req.url().as_str(),
        headers.into_iter(),
        SignableBody::Bytes(&[]),
    )
    .map_err(|e| e.to_string())?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|e| e.to_string())?
        .into_parts();
    let mut add = Vec::new();
    for (name, value) in instructions.headers() {
        let value = HeaderValue::from_str(value).map_err(|e| e.to_string())?;
        add.push((name.to_string(), value));
    }
    for (name, mut value) in add {
        value.set_sensitive(name != "x-amz-date");
        let name = reqwest::header::HeaderName::from_bytes(name.as_bytes())
            .map_err(|e| e.to_string())?;
        req.headers_mut().insert(name, value);
    }
    Ok(())
}

impl Client {
    /// GETs `url`, signed afresh for every attempt.
    async fn get(&self, what: &str, url: &str) -> Result<Response, ProviderError> {
        let creds = self.credentials.credentials(&self.http).await?;
        let client = self.http.client().clone();
        self.http
            .send(what, || {
                let mut req = client
                    .get(url)
                    .header("accept", "application/json")
                    .build()
                    .map_err(|e| ProviderError::decode(format!("{what}: bad request: {e}")))?;
                sign(&mut req, &creds, &self.region, SystemTime::now()).map_err(|e| {
                    ProviderError::auth(format!("{what}: cannot sign the request: {e}"))
                })?;
                Ok(req)
            })
            .await
            .inspect_err(|e| {
                if e.reason == Reason::Auth && e.status.is_some() {
                    // Expired or unknown temporary keys are fetched anew at the next request.
                    self.credentials.rejected(&creds);
                }
            })
    }

    /// Decodes one page of `list`: its records and its `NextToken`; the plan of each
    /// scheduled backup job goes to `seen`.
    fn page(
        list: JobList,
        resp: &Response,
        what: &str,
        ctx: &PollContext,
        seen: &mut Vec<Seen>,
    ) -> Result<(Records, Option<String>), ProviderError> {
        let unit = list.name();
        let convert = |id, job| to_task(list, id, job);
        match list {
            JobList::Backup => decode_page(
                resp,
                what,
                "BackupJobs",
                |p: BackupJobs<Fast<BackupJob>>| (p.jobs, p.next_token),
                |p: BackupJobs<Raw<'_>>| (p.jobs, p.next_token),
                |id, j: BackupJob| {
                    let plan = match &j.0.created_by {
                        Field::Value(c) => c
                            .backup_plan_id
                            .as_deref()
                            .map(str::trim)
                            .filter(|p| !p.is_empty())
                            .map(str::to_string),
                        _ => None,
                    };
                    let t = convert(id, j.0)?;
                    if let (Some(plan), Some(created)) = (plan, t.created) {
                        seen.push((t.resource.clone(), plan, created));
                    }
                    Ok(t)
                },
                ctx.recall(unit),
            ),
            JobList::Copy => decode_page(
                resp,
                what,
                "CopyJobs",
                |p: CopyJobs<Fast<CopyJob>>| (p.jobs, p.next_token),
                |p: CopyJobs<Raw<'_>>| (p.jobs, p.next_token),
                |id, j: CopyJob| convert(id, j.0),
                ctx.recall(unit),
            ),
            JobList::Restore => decode_page(
                resp,
                what,
                "RestoreJobs",
                |p: RestoreJobs<Fast<RestoreJob>>| (p.jobs, p.next_token),
                |p: RestoreJobs<Raw<'_>>| (p.jobs, p.next_token),
                |id, j: RestoreJob| convert(id, j.0),
                ctx.recall(unit),
            ),
        }
    }
}

/// The first page's URL of `list` at `endpoint` in the poll `ctx`: the filters, the page
/// size (clamped to the model's 1..1000) and the window's start as `createdAfter` (ISO 8601,
/// the model's default for a query string; the bound is exclusive, so a second earlier).
fn list_url(endpoint: &str, filters: &Filters, list: JobList, ctx: &PollContext) -> String {
    let path = match list {
        JobList::Backup => "backup-jobs",
        JobList::Copy => "copy-jobs",
        JobList::Restore => "restore-jobs",
    };
    let after = ctx.filter_since() - jiff::SignedDuration::from_secs(1);
    let mut q: Vec<(&str, &str)> = Vec::new();
    let created_after = timefmt::rfc3339_seconds(after);
    let max_results = ctx.page_size.clamp(1, 1000).to_string();
    q.push(("createdAfter", &created_after));
    q.push(("maxResults", &max_results));
    if list == JobList::Backup
        && let Some(v) = &filters.backup_vault_name
    {
        q.push(("backupVaultName", v));
    }
    if let Some(v) = &filters.resource_type {
        q.push(("resourceType", v));
    }
    if let Some(v) = &filters.account_id {
        q.push(("accountId", v));
    }
    let query: Vec<String> = q.iter().map(|(k, v)| format!("{k}={}", enc(v))).collect();
    format!("{endpoint}/{path}/?{}", query.join("&"))
}

/// The API operation of a list, for messages.
fn operation(list: JobList) -> &'static str {
    match list {
        JobList::Backup => "ListBackupJobs",
        JobList::Copy => "ListCopyJobs",
        JobList::Restore => "ListRestoreJobs",
    }
}

/// The state of a job of `list` (`State`, `Status` for restore jobs) mapped, with its
/// `MessageCategory`: `COMPLETED` is a success only with `SUCCESS` (or no category), else a
/// warning (the console's "Completed with issues"). A value of another list's enum is not
/// recognised.
fn map_state(list: JobList, state: &str, category: Option<&str>) -> Mapped {
    let s = timefmt::trim(state);
    let allowed = match list {
        JobList::Backup => true,
        JobList::Copy => COPY_STATES.iter().any(|c| c.eq_ignore_ascii_case(s)),
        JobList::Restore => RESTORE_STATES.iter().any(|c| c.eq_ignore_ascii_case(s)),
    };
    let Some(&(name, st)) = BACKUP_STATES
        .iter()
        .find(|(k, _)| allowed && k.eq_ignore_ascii_case(s))
    else {
        return Mapped::unrecognised();
    };
    let issues = category
        .map(timefmt::trim)
        .is_some_and(|c| !c.is_empty() && !c.eq_ignore_ascii_case("SUCCESS"));
    if name == "COMPLETED" && issues {
        return Mapped::known(TaskState::Warning);
    }
    Mapped::known(st)
}

/// An epoch-seconds time (`docs/providers.md` "AWS Backup", "Time formats"): a JSON number,
/// read exactly from its text; a string holding one, or an ISO 8601 string, is read too (as
/// botocore's timestamp parser does).
fn time(f: Field<Text>, name: &'static str) -> Result<Option<jiff::Timestamp>, Invalid> {
    match f.optional(name)? {
        None => Ok(None),
        Some(Text(s)) => timefmt::epoch_seconds(&s)
            .or_else(|_| timefmt::rfc3339(&s))
            .map_err(|_| {
                Invalid::new(
                    name,
                    format!("{:?} is not a time in epoch seconds", short(&s)),
                )
            }),
    }
}

/// `s` cut to 64 characters.
fn short(s: &str) -> String {
    s.chars().take(64).collect()
}

/// A non-blank text of an optional string member.
fn text(f: Field<String>, name: &'static str) -> Result<Option<String>, Invalid> {
    Ok(f.optional(name)?
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty()))
}

/// Translates one job of `list`.
fn to_task(list: JobList, id: String, j: Job) -> Result<Task, Invalid> {
    let (state_field, state) = match list {
        JobList::Restore => ("Status", j.status),
        _ => ("State", j.state),
    };
    let state = state.required(state_field)?;
    let category = text(j.message_category, "MessageCategory")?;
    let mapped = map_state(list, &state, category.as_deref());
    let resource = match list {
        JobList::Restore => text(j.source_resource_arn, "SourceResourceArn")?
            .or(text(j.created_resource_arn, "CreatedResourceArn")?)
            .or(text(j.recovery_point_arn, "RecoveryPointArn")?),
        _ => text(j.resource_arn, "ResourceArn")?,
    };
    let mut t = Task::new(
        id,
        resource.unwrap_or_else(|| "unknown".to_string()),
        list.name(),
        state.trim(),
        mapped,
    );
    t.resource_name = text(j.resource_name, "ResourceName")?;
    t.resource_type = text(j.resource_type, "ResourceType")?;
    t.created = time(j.creation_date, "CreationDate")?;
    t.started = time(j.initiation_date, "InitiationDate")?;
    let completed = time(j.completion_date, "CompletionDate")?;
    let start_by = time(j.start_by, "StartBy")?;
    let expired = state.trim().eq_ignore_ascii_case("EXPIRED");
    if t.terminal {
        t.finished = completed.or(if expired { start_by } else { None });
    }
    t.progress = j
        .percent_done
        .optional("PercentDone")?
        .and_then(|Text(p)| p.trim().trim_end_matches('%').parse::<f64>().ok())
        .and_then(|p| progress(p, 100.0));
    let message = text(j.status_message, "StatusMessage")?;
    t.error = match t.state {
        _ if expired => Some(format!(
            "EXPIRED: {}",
            message.as_deref().unwrap_or(EXPIRED_MESSAGE)
        )),
        TaskState::Warning => match (category, message) {
            (Some(c), Some(m)) => Some(format!("{c}: {m}")),
            (c, m) => c.or(m),
        },
        TaskState::Failed | TaskState::Cancelled => message,
        _ => None,
    };
    Ok(t)
}

impl Provider for Client {
    fn units(&self) -> Units {
        Units::Fixed(self.lists.iter().map(|l| l.name().to_string()).collect())
    }

    async fn discover(&self) -> Result<Vec<String>, ProviderError> {
        Ok(self.lists.iter().map(|l| l.name().to_string()).collect())
    }

    async fn list_tasks(&self, unit: &str, ctx: &PollContext) -> Result<Listing, ProviderError> {
        let label = unit_label(Self::UNIT, unit);
        let Some(list) = JobList::parse(unit) else {
            return Err(ProviderError::new(
                Reason::Client,
                format!("{label}: not a job list (one of backup, copy, restore)"),
            ));
        };
        let what = format!("{label}: {}", operation(list));
        let learning = list == JobList::Backup && !self.learned.load(Ordering::Relaxed);
        let unmemoed;
        let ctx = if learning {
            // Every record decoded (none is known), each still keyed, so that the memo holds
            // them after this pass as after any other.
            unmemoed = PollContext {
                recall: ctx.recall.as_ref().map(|_| {
                    crate::memo::Recall::new(|keys: &[crate::memo::RecordKey]| {
                        vec![None; keys.len()]
                    })
                }),
                ..ctx.clone()
            };
            &unmemoed
        } else {
            ctx
        };
        let first = list_url(&self.endpoint, &self.filters, list, ctx);
        let mut pager = Pager::for_poll(&what, ctx);
        let mut url = first.clone();
        let mut seen = Vec::new();
        loop {
            let resp = self.get(&what, &url).await?;
            let (records, next) = Self::page(list, &resp, &what, ctx, &mut seen)?;
            match pager.next_token(records, next) {
                Some(token) => url = format!("{first}&nextToken={}", enc(&token)),
                None => break,
            }
        }
        {
            let mut origins = self.origins.lock().unwrap_or_else(|e| e.into_inner());
            for (resource, plan, created) in &seen {
                origins.saw(resource, plan, *created);
            }
            // As long as the history keeps a quiet pair (`lookback` when longer).
            let keep = jiff::SignedDuration::from_secs_f64(crate::history::FORGET_AFTER_SECS)
                .max(ctx.now.duration_since(ctx.since));
            if let Ok(horizon) = ctx.now.checked_sub(keep) {
                origins.forget_before(horizon);
            }
        }
        if learning && ctx.window.is_none() {
            self.learned.store(true, Ordering::Relaxed);
        }
        Ok(pager.into_listing())
    }

    /// The plans of the backup jobs listed so far (`docs/providers.md` "AWS Backup
    /// schedules"): one `GetBackupPlan` per plan; `None` for a target that does not list
    /// backup jobs.
    async fn schedules(&self) -> Option<Result<Policies, ProviderError>> {
        if !self.lists.contains(&JobList::Backup) {
            return None;
        }
        Some(self.read_plans().await)
    }
}

impl Client {
    /// Reads each plan the resources belong to, with AWS's preview of its next runs as a
    /// cross-check. A plan that is gone (404) or forbidden (403) is skipped; any other
    /// failure fails the read, so that the last plans read stay in use.
    async fn read_plans(&self) -> Result<Policies, ProviderError> {
        let origins = self
            .origins
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut read = Vec::new();
        for id in origins.plans() {
            let what = format!("{}: GetBackupPlan", unit_label("plan", &id));
            let url = format!(
                "{}/backup/plans/{}/?MaxScheduledRunsPreview=10",
                self.endpoint,
                enc(&id)
            );
            let answer = match self.get(&what, &url).await {
                Ok(r) => r.json::<Plan>(&what),
                Err(e) => Err(e),
            };
            match answer {
                Err(e) if !matches!(e.status, Some(403 | 404)) => return Err(e),
                a => read.push((id, a)),
            }
        }
        Ok(plans::policies(&origins, read))
    }
}

#[cfg(test)]
mod tests;
