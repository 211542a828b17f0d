//! Per-target polling settings: the `defaults:` keys, each of which a target may override,
//! and the configured expectations of its tasks.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use super::de::{At, Val};
use super::duration::format_duration;
use super::value::{Int, Number, Span, U32From};

/// The default `reconcile_interval`: a full pass over each list's whole `lookback` window at
/// least this often (raised to `interval`, lowered to `lookback` when those require it).
pub(crate) const DEFAULT_RECONCILE_INTERVAL: Duration = Duration::from_secs(3600);

/// Per-target polling settings; every key can be set under `defaults:` and per target.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Poll interval.
    pub interval: Duration,
    /// Timeout of one HTTP request.
    pub timeout: Duration,
    /// Tasks whose latest timestamp is older than this are ignored.
    pub lookback: Duration,
    /// Page size asked of the API.
    pub page_size: u32,
    /// Safety bound on pages per resource and poll.
    pub max_pages: u32,
    /// Retries per request (429, 5xx, timeouts, connection errors).
    pub retries: u32,
    /// First retry delay; doubles each retry, with jitter.
    pub retry_backoff: Duration,
    /// Request rate cap per target.
    pub requests_per_second: f64,
    /// Requests in flight per target.
    pub concurrency: u32,
    /// Largest response body accepted, in bytes.
    pub max_response_bytes: u64,
    /// Response bytes one poll of the target may read, across pages and units.
    pub max_poll_bytes: u64,
    /// Task records one poll of the target may hold, across pages and units.
    pub max_poll_tasks: u64,
    /// Distinct task types per target; more fold into `crate::accounting::OTHER_TYPE`.
    pub max_task_types: u32,
    /// `reconcile_interval`: how often each list is read over its whole `lookback` window
    /// (a full pass); between full passes a poll reads only what can have changed. `None`
    /// when not configured: see [`Settings::reconcile_every`].
    pub reconcile_interval: Option<Duration>,
    /// What the target's tasks are expected to do: `expected_interval`, `expected_intervals`,
    /// `max_active_duration` (default: learned from history).
    pub expect: Expect,
}

/// Configured expectations of a target's tasks, overriding what the exporter learns from their
/// history (see `rhythm.rs` and `docs/alerts.md` "How the rhythm is learned").
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Expect {
    /// `expected_interval`: the gap between successful backups of every resource of the target.
    pub interval: Option<Duration>,
    /// `expected_intervals` (per target only): resource id → gap; wins over `interval`.
    pub intervals: BTreeMap<String, Duration>,
    /// `max_active_duration`: an active task is stuck past this whatever it usually takes.
    pub max_active: Option<Duration>,
    /// `types:` (per target only): task types whose zero-valued series exist for every known
    /// resource from the first scrape, before any task of the type occurred.
    pub types: Vec<String>,
}

impl Default for Settings {
    /// The built-in defaults (`docs/configuration.md` "Polling settings").
    fn default() -> Self {
        Settings {
            interval: Duration::from_secs(300),
            timeout: Duration::from_secs(30),
            lookback: Duration::from_secs(7 * 86_400),
            page_size: 100,
            max_pages: 200,
            retries: 3,
            retry_backoff: Duration::from_secs(1),
            requests_per_second: 10.0,
            concurrency: 4,
            max_response_bytes: 32 * 1024 * 1024,
            max_poll_bytes: 256 * 1024 * 1024,
            max_poll_tasks: 500_000,
            max_task_types: 32,
            reconcile_interval: None,
            expect: Expect::default(),
        }
    }
}

impl Settings {
    /// The effective `reconcile_interval`: as configured (validated to lie between `interval`
    /// and `lookback`), else `DEFAULT_RECONCILE_INTERVAL` raised to `interval` and lowered
    /// to `lookback`. Never longer than `lookback` unless `interval` is: the seen-set forgets
    /// a task without timestamps `lookback` after a listing last showed it, so a full pass
    /// must come sooner or that task would be counted again.
    pub fn reconcile_every(&self) -> Duration {
        self.reconcile_interval.unwrap_or_else(|| {
            DEFAULT_RECONCILE_INTERVAL
                .min(self.lookback)
                .max(self.interval)
        })
    }
}

/// A byte or record count: at least 1.
type Count = Int<1, { u64::MAX as i128 }>;

/// The settings keys as written, in `defaults:` or beside a target's own keys.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct SettingsFile {
    interval: Val<Span>,
    timeout: Val<Span>,
    lookback: Val<Span>,
    page_size: Val<U32From<1>>,
    max_pages: Val<U32From<1>>,
    retries: Val<Int<0, 100>>,
    retry_backoff: Val<Span>,
    requests_per_second: Val<Number>,
    concurrency: Val<Int<1, 1024>>,
    max_response_bytes: Val<Count>,
    max_poll_bytes: Val<Count>,
    max_poll_tasks: Val<Count>,
    max_task_types: Val<Int<1, 10_000>>,
    reconcile_interval: Val<Span>,
    expected_interval: Val<Span>,
    max_active_duration: Val<Span>,
}

/// A problem in the settings, at the key it names.
pub(crate) type Bad<'a> = &'a mut dyn FnMut(&At, String);

/// Where the settings a mapping inherits were set: the line of `defaults:` that set a key,
/// else the built-in default. A rule across keys names the origin of a value the mapping
/// itself does not set, so that a target's error points at the line to change.
#[derive(Debug, Clone, Default)]
pub(crate) struct Inherited {
    lines: BTreeMap<&'static str, u32>,
}

impl Inherited {
    /// The keys `defaults` sets, with their lines.
    pub(crate) fn of(defaults: &SettingsFile) -> Inherited {
        let mut lines = BTreeMap::new();
        for (key, v) in [
            ("interval", &defaults.interval),
            ("timeout", &defaults.timeout),
            ("lookback", &defaults.lookback),
            ("reconcile_interval", &defaults.reconcile_interval),
        ] {
            if let Some(at) = v.at() {
                lines.insert(key, at.line);
            }
        }
        Inherited { lines }
    }

    /// `key value is set by defaults: at line N` (or `is the built-in default`).
    fn origin(&self, key: &'static str, value: Duration) -> String {
        match self.lines.get(key) {
            Some(line) => format!(
                "{key} {} is set by defaults: at line {line}",
                format_duration(value)
            ),
            None => format!("{key} {} is the built-in default", format_duration(value)),
        }
    }
}

/// `(a <op> b)`, with the origin of each inherited value: `(10s <= 30s; timeout 30s is set by
/// defaults: at line 4)`.
fn compared(a: Duration, op: &str, b: Duration, inherited: &[String]) -> String {
    let mut s = format!("({} {op} {}", format_duration(a), format_duration(b));
    for o in inherited {
        s.push_str("; ");
        s.push_str(o);
    }
    s.push(')');
    s
}

impl SettingsFile {
    /// These keys over `base`, which were set where `inherited` says; cross-key problems are
    /// reported through `bad`. `whole` is where the mapping starts (for a rule whose keys are
    /// all inherited).
    pub(crate) fn over(
        self,
        base: &Settings,
        inherited: &Inherited,
        whole: &At,
        bad: Bad<'_>,
    ) -> Settings {
        fn set<T>(slot: &mut T, v: Val<T>) {
            if let Some(v) = v.ok() {
                *slot = v;
            }
        }
        let mut s = base.clone();
        let span = |v: &Val<Span>| v.get().map(|d| d.0);
        if let Some(d) = span(&self.interval) {
            s.interval = d;
        }
        if let Some(d) = span(&self.timeout) {
            s.timeout = d;
        }
        if let Some(d) = span(&self.lookback) {
            s.lookback = d;
        }
        if let Some(d) = span(&self.retry_backoff) {
            s.retry_backoff = d;
        }
        if let Some(d) = span(&self.reconcile_interval) {
            s.reconcile_interval = Some(d);
        }
        if let Some(d) = span(&self.expected_interval) {
            s.expect.interval = Some(d);
        }
        if let Some(d) = span(&self.max_active_duration) {
            s.expect.max_active = Some(d);
        }
        set(&mut s.page_size, self.page_size.clone().map_ok(|v| v.u32()));
        set(&mut s.max_pages, self.max_pages.clone().map_ok(|v| v.u32()));
        set(&mut s.retries, self.retries.clone().map_ok(|v| v.u32()));
        set(
            &mut s.concurrency,
            self.concurrency.clone().map_ok(|v| v.u32()),
        );
        set(
            &mut s.max_task_types,
            self.max_task_types.clone().map_ok(|v| v.u32()),
        );
        set(
            &mut s.max_response_bytes,
            self.max_response_bytes.clone().map_ok(|v| v.u64()),
        );
        set(
            &mut s.max_poll_bytes,
            self.max_poll_bytes.clone().map_ok(|v| v.u64()),
        );
        set(
            &mut s.max_poll_tasks,
            self.max_poll_tasks.clone().map_ok(|v| v.u64()),
        );
        if let Val::Given(Number(v), at) = &self.requests_per_second {
            if *v > 0.0 {
                s.requests_per_second = *v;
            } else {
                bad(at, format!("must be greater than 0, got {v}"));
            }
        }
        // A request that may outlast the poll interval would make polls overlap their schedule.
        let at = self
            .interval
            .at()
            .or(self.timeout.at())
            .cloned()
            .unwrap_or_else(|| At {
                key: super::de::join(&whole.key, "interval"),
                ..whole.clone()
            });
        if s.timeout >= s.interval && (s.timeout != base.timeout || s.interval != base.interval) {
            let mut from = Vec::new();
            if self.interval.at().is_none() {
                from.push(inherited.origin("interval", s.interval));
            }
            if self.timeout.at().is_none() {
                from.push(inherited.origin("timeout", s.timeout));
            }
            bad(
                &at,
                format!(
                    "interval must be greater than timeout {}",
                    compared(s.interval, "<=", s.timeout, &from)
                ),
            );
        }
        self.check_reconcile(&s, inherited, bad);
        s
    }

    /// A configured `reconcile_interval` lies between `interval` (a full pass cannot come more
    /// often than a poll) and `lookback` (the seen-set forgets a task without timestamps
    /// `lookback` after a listing last showed it). Reported where this mapping sets either
    /// key; a mapping that sets neither inherits a value already checked.
    fn check_reconcile(&self, s: &Settings, inherited: &Inherited, bad: Bad<'_>) {
        let Some(r) = s.reconcile_interval else {
            return;
        };
        let Some(at) = [&self.reconcile_interval, &self.interval, &self.lookback]
            .into_iter()
            .find_map(|v| v.at())
        else {
            return;
        };
        let from = |key: &'static str, given: bool, value: Duration| {
            (!given).then(|| inherited.origin(key, value))
        };
        let own = from(
            "reconcile_interval",
            self.reconcile_interval.at().is_some(),
            r,
        );
        if r < s.interval {
            let other = from("interval", self.interval.at().is_some(), s.interval);
            let notes: Vec<String> = own.into_iter().chain(other).collect();
            bad(
                at,
                format!(
                    "reconcile_interval must be at least interval {}",
                    compared(r, "<", s.interval, &notes)
                ),
            );
        } else if r > s.lookback {
            let other = from("lookback", self.lookback.at().is_some(), s.lookback);
            let notes: Vec<String> = own.into_iter().chain(other).collect();
            bad(
                at,
                format!(
                    "reconcile_interval must not exceed lookback {}",
                    compared(r, ">", s.lookback, &notes)
                ),
            );
        }
    }
}
