//! The simulator: a faithful fake of the cloud APIs (Yandex Cloud Backup; Huawei VBS, CBR,
//! CCE, DMS; AWS Backup), their token services (IAM, STS) and the VM metadata services, on
//! one loopback HTTP listener. `--demo` runs it in-process and every
//! integration test talks to it.
//!
//! It is written from the providers' API references and `docs/providers.md`, not from the client code: it checks
//! auth the way the real services do (IAM tokens, JWT signatures, AK/SK and SigV4 signatures), pages the
//! way each API pages, and can inject faults (status codes with `Retry-After`, latency,
//! truncated, garbage or oversized bodies, connection resets, error bodies that echo the
//! request's credentials) and odd records into a task list (`null` or absent fields, the
//! other JSON type of a field, unreadable records: see [`RecordEdit`] and [`variants`]).
//! Every request is logged for assertions.
//!
//! Each service lives in its own file with a `route(&Sim, &SimRequest) -> Option<SimResponse>`
//! that answers the paths it owns; [`Sim::dispatch`] asks them in turn.

pub mod aws;
mod faults;
pub mod huawei;
#[cfg(test)]
mod policy_tests;
mod server;
pub mod variants;
pub mod yandex;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;

pub use faults::{Fault, FaultRule, RecordEdit, RecordRule};
pub use server::FakeCloud;

/// One request as the simulator received it.
#[derive(Debug, Clone)]
pub struct SimRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// Path, percent-encoded as sent.
    pub path: String,
    /// Raw query string as sent (without `?`), empty when none.
    pub query: String,
    /// Headers, names lower-cased, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Bytes,
}

impl SimRequest {
    /// The first header with this (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Query parameters, percent-decoded; the last value wins.
    pub fn query_map(&self) -> BTreeMap<String, String> {
        self.query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (decode(k), decode(v))
            })
            .collect()
    }

    /// Path segments, percent-decoded (empty segments dropped).
    pub fn segments(&self) -> Vec<String> {
        self.path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(decode)
            .collect()
    }
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// A response the simulator sends.
#[derive(Debug, Clone)]
pub struct SimResponse {
    /// HTTP status.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// The body (JSON for every API).
    pub body: Bytes,
}

impl SimResponse {
    /// A JSON response.
    pub fn json(status: u16, v: &serde_json::Value) -> SimResponse {
        SimResponse {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: Bytes::from(v.to_string()),
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, k: &str, v: &str) -> SimResponse {
        self.headers.push((k.to_string(), v.to_string()));
        self
    }
}

/// One logged request: which service answered, what was asked, what status went back.
#[derive(Debug, Clone)]
pub struct LoggedRequest {
    /// Service name (`yandex_backup`, `yandex_iam`, `metadata`, `huawei_cbr`, `aws_backup`,
    /// `aws_sts`, `aws_imds`, …).
    pub service: &'static str,
    /// The request.
    pub request: SimRequest,
    /// Status sent (0 when the connection was reset).
    pub status: u16,
}

/// A one-shot change to the simulated world, run when the `nth` request to `service` arrives
/// and before it is answered: a task list that shifts between page requests, a token that
/// expires in the middle of a poll.
struct Hook {
    service: String,
    remaining: usize,
    action: Box<dyn FnOnce(&Sim) + Send>,
}

impl std::fmt::Debug for Hook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hook")
            .field("service", &self.service)
            .field("remaining", &self.remaining)
            .finish_non_exhaustive()
    }
}

/// All simulator state, shared by the listener and the test or demo that drives it.
#[derive(Debug, Default)]
pub struct Sim {
    /// Yandex Backup, IAM and metadata state.
    pub yandex: Mutex<yandex::YandexState>,
    /// Huawei IAM, credentials and the VBS, CBR, CCE and DMS task state.
    pub huawei: Mutex<huawei::HuaweiState>,
    /// AWS Backup, STS and instance metadata state (seeded through [`Sim::aws`]).
    pub aws: Mutex<aws::AwsState>,
    faults: Mutex<Vec<FaultRule>>,
    records: Mutex<Vec<RecordRule>>,
    hooks: Mutex<Vec<Hook>>,
    log: Mutex<Vec<LoggedRequest>>,
}

/// Locks a mutex, recovering from poisoning (a panicking test must not wedge the server).
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Sim {
    /// A new, empty simulator.
    pub fn new() -> Arc<Sim> {
        Arc::new(Sim::default())
    }

    /// Adds a fault rule; rules are tried in order, first match wins.
    pub fn inject(&self, rule: FaultRule) {
        lock(&self.faults).push(rule);
    }

    /// Changes the records the task list of `service` sends, for one `unit` (instance,
    /// policy, cluster; the project for CBR) or for all; kept until [`Sim::clear_faults`].
    pub fn edit_records(&self, service: &str, unit: Option<&str>, edit: RecordEdit) {
        lock(&self.records).push(RecordRule {
            service: service.to_string(),
            unit: unit.map(str::to_string),
            edit,
        });
    }

    /// The record edits of `service` (read by the service when it answers).
    pub(crate) fn record_rules(&self, service: &str) -> Vec<RecordRule> {
        lock(&self.records)
            .iter()
            .filter(|r| r.service == service)
            .cloned()
            .collect()
    }

    /// Runs `action` when the `nth` (1-based, counted from now) request to `service` arrives,
    /// before that request is answered. Once.
    pub fn on_request(
        &self,
        service: &str,
        nth: usize,
        action: impl FnOnce(&Sim) + Send + 'static,
    ) {
        lock(&self.hooks).push(Hook {
            service: service.to_string(),
            remaining: nth.max(1),
            action: Box::new(action),
        });
    }

    /// Runs the hooks due for this request (called by the listener before dispatch).
    pub(crate) fn run_hooks(&self, service: &str) {
        let due: Vec<Hook> = {
            let mut hooks = lock(&self.hooks);
            for h in hooks.iter_mut().filter(|h| h.service == service) {
                h.remaining -= 1;
            }
            let (due, keep) = std::mem::take(&mut *hooks)
                .into_iter()
                .partition(|h| h.remaining == 0);
            *hooks = keep;
            due
        };
        for h in due {
            (h.action)(self);
        }
    }

    /// Removes every fault rule and record edit.
    pub fn clear_faults(&self) {
        lock(&self.faults).clear();
        lock(&self.records).clear();
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        lock(&self.log).clone()
    }

    /// Requests answered by `service`.
    pub fn requests_to(&self, service: &str) -> Vec<LoggedRequest> {
        lock(&self.log)
            .iter()
            .filter(|r| r.service == service)
            .cloned()
            .collect()
    }

    /// How many requests `service` has answered so far, without copying the log (for
    /// callers that watch a long run, like the scale bench).
    pub fn request_count(&self, service: &str) -> usize {
        lock(&self.log)
            .iter()
            .filter(|r| r.service == service)
            .count()
    }

    /// The statuses sent to requests for `service`, in order (0: connection reset).
    pub fn statuses_to(&self, service: &str) -> Vec<u16> {
        lock(&self.log)
            .iter()
            .filter(|r| r.service == service)
            .map(|r| r.status)
            .collect()
    }

    /// Forgets the request log.
    pub fn clear_requests(&self) {
        lock(&self.log).clear();
    }

    /// Which service owns a path (for fault matching and the log).
    pub fn service_of(req: &SimRequest) -> &'static str {
        yandex::service_of(req)
            .or_else(|| huawei::service_of(req))
            .or_else(|| aws::service_of(req))
            .unwrap_or("unknown")
    }

    /// Answers a request: the first service that owns the path answers it.
    pub fn dispatch(&self, req: &SimRequest) -> SimResponse {
        if let Some(r) = yandex::route(self, req) {
            return r;
        }
        if let Some(r) = huawei::route(self, req) {
            return r;
        }
        if let Some(r) = aws::route(self, req) {
            return r;
        }
        SimResponse::json(
            404,
            &serde_json::json!({"code": 5, "message": format!("no route for {} {}", req.method, req.path)}),
        )
    }

    /// The fault to apply to this request, if any (consumes one use of a counted rule).
    pub(crate) fn take_fault(&self, service: &str, req: &SimRequest) -> Option<Fault> {
        let mut rules = lock(&self.faults);
        let idx = rules.iter().position(|r| r.matches(service, req))?;
        let fault = rules[idx].fault.clone();
        if let Some(n) = rules[idx].times.as_mut() {
            *n -= 1;
            if *n == 0 {
                rules.remove(idx);
            }
        }
        Some(fault)
    }

    pub(crate) fn record(&self, service: &'static str, request: SimRequest, status: u16) {
        lock(&self.log).push(LoggedRequest {
            service,
            request,
            status,
        });
    }
}
