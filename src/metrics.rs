//! The exposition (`docs/metrics.md` "Every series"): metric families rendered from target snapshots with the
//! `prometheus` crate's data model and classic text encoder, cached by the [`Hub`] and
//! rebuilt only when a poll published something. Metric names are the constants below.

use std::collections::BTreeMap;

use bytes::Bytes;
use prometheus::Encoder;
use prometheus::proto::{
    Bucket, Counter, Gauge, Histogram, LabelPair, Metric, MetricFamily, MetricType,
};

use crate::accounting::HistogramData;
use crate::hub::{Hub, TargetSnapshot};
use crate::model::TaskState;
use crate::provider::Reason;

/// Metric names: the public interface (`docs/metrics.md` "Every series").
pub mod names {
    #![allow(missing_docs)]
    pub(crate) const ACTIVE_TASKS: &str = "cloud_task_active_tasks";
    pub(crate) const COMPLETIONS: &str = "cloud_task_completions_total";
    pub(crate) const DURATION: &str = "cloud_task_duration_seconds";
    pub(crate) const LAST_SUCCESS: &str = "cloud_task_last_success_timestamp_seconds";
    pub(crate) const LAST_FAILURE: &str = "cloud_task_last_failure_timestamp_seconds";
    pub(crate) const ACTIVE_PROGRESS: &str = "cloud_task_active_progress_ratio";
    pub(crate) const ACTIVE_START: &str = "cloud_task_active_start_timestamp_seconds";
    pub(crate) const RESOURCE_INFO: &str = "cloud_task_resource_info";
    pub(crate) const UNKNOWN_STATUS: &str = "cloud_task_unknown_status_total";
    pub(crate) const INVALID_TASKS: &str = "cloud_task_invalid_tasks_total";
    pub(crate) const TRUNCATED_LABELS: &str = "cloud_task_truncated_label_values_total";
    pub(crate) const FOLDED_TYPES: &str = "cloud_task_folded_task_types_total";
    pub(crate) const RESOURCE_UP: &str = "cloud_task_resource_up";
    pub(crate) const RESOURCE_ERRORS: &str = "cloud_task_resource_poll_errors_total";
    pub(crate) const TARGET_UP: &str = "cloud_task_target_up";
    pub(crate) const LAST_POLL_SUCCESS: &str =
        "cloud_task_target_last_poll_success_timestamp_seconds";
    pub(crate) const POLL_DURATION: &str = "cloud_task_target_poll_duration_seconds";
    pub(crate) const POLL_ERRORS: &str = "cloud_task_target_poll_errors_total";
    pub(crate) const API_REQUESTS: &str = "cloud_task_api_requests_total";
    pub(crate) const TARGET_RESOURCES: &str = "cloud_task_target_resources";
    pub(crate) const TRACKED_TASKS: &str = "cloud_task_tracked_tasks";
    pub const BUILD_INFO: &str = "cloud_task_exporter_build_info";
    pub(crate) const RELOAD_OK: &str = "cloud_task_exporter_config_last_reload_successful";
    pub(crate) const RELOAD_TS: &str =
        "cloud_task_exporter_config_last_reload_success_timestamp_seconds";
    pub(crate) const STATE_WRITE_ERRORS: &str = "cloud_task_exporter_state_file_write_errors_total";
    pub(crate) const STATE_WRITE_TS: &str =
        "cloud_task_exporter_state_file_last_write_success_timestamp_seconds";
    pub(crate) const EXPECTED_INTERVAL: &str = "cloud_task_expected_interval_seconds";
    pub(crate) const EXPECTED_DURATION: &str = "cloud_task_expected_duration_seconds";
    pub(crate) const ACTIVE_LIMIT: &str = "cloud_task_active_limit_seconds";
    pub(crate) const EXPECTED_GRACE: &str = "cloud_task_expected_grace_seconds";
    pub(crate) const SCHEDULE_NEXT: &str = "cloud_task_schedule_next_run_timestamp_seconds";
    pub(crate) const SCHEDULE_LAST_DUE: &str = "cloud_task_schedule_last_due_timestamp_seconds";
    pub(crate) const SCHEDULE_COVERED: &str = "cloud_task_schedule_covered";
    pub(crate) const SCHEDULE_INFO: &str = "cloud_task_schedule_info";
    pub(crate) const SCHEDULE_SKIPPED: &str = "cloud_task_schedule_skipped_total";
    /// Every metric name above: what a shipped query or rule may name.
    pub const ALL: &[&str] = &[
        ACTIVE_TASKS,
        COMPLETIONS,
        DURATION,
        LAST_SUCCESS,
        LAST_FAILURE,
        ACTIVE_PROGRESS,
        ACTIVE_START,
        RESOURCE_INFO,
        UNKNOWN_STATUS,
        INVALID_TASKS,
        TRUNCATED_LABELS,
        FOLDED_TYPES,
        RESOURCE_UP,
        RESOURCE_ERRORS,
        TARGET_UP,
        LAST_POLL_SUCCESS,
        POLL_DURATION,
        POLL_ERRORS,
        API_REQUESTS,
        TARGET_RESOURCES,
        TRACKED_TASKS,
        BUILD_INFO,
        RELOAD_OK,
        RELOAD_TS,
        STATE_WRITE_ERRORS,
        STATE_WRITE_TS,
        EXPECTED_INTERVAL,
        EXPECTED_DURATION,
        ACTIVE_LIMIT,
        EXPECTED_GRACE,
        SCHEDULE_NEXT,
        SCHEDULE_LAST_DUE,
        SCHEDULE_COVERED,
        SCHEDULE_INFO,
        SCHEDULE_SKIPPED,
    ];
}

/// Version, revision and build date for `cloud_task_exporter_build_info` (see `build.rs`).
pub use crate::accounting::histogram::POLL_BUCKETS;
pub use crate::version::{BUILD_DATE, REVISION, VERSION};

/// The results whose zero-valued counter exists from a pair's first occurrence, so that
/// `increase()` sees their first completion (the dashboard's failure panels and
/// `CloudTaskFailureRetried` count failures); the other results appear on first use
/// (`docs/metrics.md` "Series budget").
pub(crate) const ZERO_RESULTS: [TaskState; 1] = [TaskState::Failed];

/// The (resource, type) pairs that occurred: a completion (counted or at the baseline), a
/// counter, an active task, or a resource with a type the target's `types:` names.
fn occurred_pairs<'a>(
    a: &'a crate::accounting::Tallies,
    declared: &'a [String],
) -> std::collections::BTreeSet<(&'a str, &'a str)> {
    let mut pairs: std::collections::BTreeSet<(&str, &str)> = a
        .last
        .keys()
        .map(|(r, t)| (r.as_str(), t.as_str()))
        .collect();
    pairs.extend(
        a.completions
            .keys()
            .map(|(r, t, _)| (r.as_str(), t.as_str())),
    );
    pairs.extend(
        a.active
            .iter()
            .map(|t| (t.resource.as_str(), t.task_type.as_str())),
    );
    for r in &a.resources {
        pairs.extend(declared.iter().map(|t| (r.as_str(), t.as_str())));
    }
    pairs
}

/// Everything `/metrics` serves, gzipped: the cached task families compressed once per
/// generation, then the live process metrics as a second gzip member (RFC 1952 §2.2; Go's
/// `gzip.Reader`, which Prometheus uses, reads every member).
pub fn exposition_gzip(hub: &Hub, buckets: &[f64]) -> Bytes {
    Bytes::from(exposition_gzip_parts(hub, buckets).concat())
}

/// [`exposition_gzip`] as the chunks `/metrics` sends: the cached member (shared, not
/// copied), then the live one.
pub fn exposition_gzip_parts(hub: &Hub, buckets: &[f64]) -> [Bytes; 2] {
    let cached = hub.cached_gzip(|h| encode(&families(h, buckets)));
    let process = process_families();
    let live = if process.is_empty() {
        Bytes::new()
    } else {
        crate::hub::gzip(&encode(&process))
    };
    [cached, live]
}

/// Everything `/metrics` serves: cached task families, then live process metrics.
pub fn exposition(hub: &Hub, buckets: &[f64]) -> Bytes {
    Bytes::from(exposition_parts(hub, buckets).concat())
}

/// [`exposition`] as the chunks `/metrics` sends: the cached text (shared, not copied), then
/// the live process metrics.
pub fn exposition_parts(hub: &Hub, buckets: &[f64]) -> [Bytes; 2] {
    let cached = hub.cached(|h| encode(&families(h, buckets)));
    [cached, encode(&process_families())]
}

fn encode(fams: &[MetricFamily]) -> Bytes {
    let mut buf = Vec::new();
    // The text encoder only fails on an invalid family (e.g. no metrics); skip such output.
    if prometheus::TextEncoder::new()
        .encode(fams, &mut buf)
        .is_err()
    {
        buf.clear();
        for f in fams {
            let _ = prometheus::TextEncoder::new().encode(std::slice::from_ref(f), &mut buf);
        }
    }
    Bytes::from(buf)
}

#[cfg(target_os = "linux")]
fn process_families() -> Vec<MetricFamily> {
    use prometheus::core::Collector;
    use std::sync::OnceLock;
    static PC: OnceLock<prometheus::process_collector::ProcessCollector> = OnceLock::new();
    PC.get_or_init(prometheus::process_collector::ProcessCollector::for_self)
        .collect()
}

#[cfg(not(target_os = "linux"))]
fn process_families() -> Vec<MetricFamily> {
    Vec::new()
}

struct Fam {
    fam: MetricFamily,
}

impl Fam {
    fn new(name: &str, help: &str, t: MetricType) -> Fam {
        let mut fam = MetricFamily::default();
        fam.set_name(name.to_string());
        fam.set_help(help.to_string());
        fam.set_field_type(t);
        Fam { fam }
    }

    fn gauge(&mut self, labels: Vec<LabelPair>, v: f64) {
        let mut g = Gauge::default();
        g.set_value(v);
        let mut m = Metric::from_label(labels);
        m.set_gauge(g);
        self.fam.mut_metric().push(m);
    }

    fn counter(&mut self, labels: Vec<LabelPair>, v: f64) {
        let mut c = Counter::default();
        c.set_value(v);
        let mut m = Metric::from_label(labels);
        m.set_counter(c);
        self.fam.mut_metric().push(m);
    }

    fn histogram(&mut self, labels: Vec<LabelPair>, bounds: &[f64], h: &HistogramData) {
        let mut hist = Histogram::default();
        let mut cum = 0;
        let mut bs = Vec::with_capacity(bounds.len());
        for (i, b) in bounds.iter().enumerate() {
            cum += h.counts.get(i).copied().unwrap_or(0);
            let mut bucket = Bucket::default();
            bucket.set_upper_bound(*b);
            bucket.set_cumulative_count(cum);
            bs.push(bucket);
        }
        hist.set_bucket(bs);
        hist.set_sample_count(h.count);
        hist.set_sample_sum(h.sum);
        let mut m = Metric::from_label(labels);
        m.set_histogram(hist);
        self.fam.mut_metric().push(m);
    }
}

fn lp(name: &str, value: &str) -> LabelPair {
    let mut l = LabelPair::default();
    l.set_name(name.to_string());
    l.set_value(value.to_string());
    l
}

/// Base labels of a target's series: provider, target, then its static labels.
fn base(s: &TargetSnapshot) -> Vec<LabelPair> {
    let mut v = vec![lp("provider", s.provider.as_str()), lp("target", &s.name)];
    v.extend(s.labels.iter().map(|(k, val)| lp(k, val)));
    v
}

fn with(s: &TargetSnapshot, extra: &[(&str, &str)]) -> Vec<LabelPair> {
    let mut v = base(s);
    v.extend(extra.iter().map(|(k, val)| lp(k, val)));
    v
}

/// Builds every task and target family from the hub's snapshots.
pub fn families(hub: &Hub, buckets: &[f64]) -> Vec<MetricFamily> {
    use MetricType::{COUNTER, GAUGE, HISTOGRAM};
    use names::*;
    let snaps = hub.snapshots();
    let mut active = Fam::new(ACTIVE_TASKS, "Tasks now queued, running or paused.", GAUGE);
    let mut completions = Fam::new(
        COMPLETIONS,
        "Completed tasks seen, each counted once; result is the terminal state.",
        COUNTER,
    );
    let mut duration = Fam::new(DURATION, "Duration of each counted completion.", HISTOGRAM);
    let mut last_success = Fam::new(
        LAST_SUCCESS,
        "End time of the latest succeeded or warning task.",
        GAUGE,
    );
    let mut last_failure = Fam::new(
        LAST_FAILURE,
        "End time of the latest failed or timed-out task.",
        GAUGE,
    );
    let mut progress = Fam::new(
        ACTIVE_PROGRESS,
        "Progress 0-1 of an active task, where the API reports it.",
        GAUGE,
    );
    let mut start = Fam::new(
        ACTIVE_START,
        "Start (or enqueue) time of an active task.",
        GAUGE,
    );
    let mut info = Fam::new(
        RESOURCE_INFO,
        "Human-readable name and type of a resource.",
        GAUGE,
    );
    let mut unknown = Fam::new(
        UNKNOWN_STATUS,
        "Tasks seen with a status the mapping does not know.",
        COUNTER,
    );
    let mut invalid = Fam::new(
        INVALID_TASKS,
        "Task records that could not be understood and were skipped, by the field at fault.",
        COUNTER,
    );
    let mut truncated = Fam::new(
        TRUNCATED_LABELS,
        "Tasks whose label values from the cloud were longer than 128 bytes and were cut.",
        COUNTER,
    );
    let mut folded = Fam::new(
        FOLDED_TYPES,
        "Tasks whose type was beyond max_task_types and was counted as type _other.",
        COUNTER,
    );
    let mut up = Fam::new(
        TARGET_UP,
        "1 if the latest poll of the target succeeded: its target-level calls worked and at least one resource could be listed.",
        GAUGE,
    );
    let mut unit_up = Fam::new(
        RESOURCE_UP,
        "1 if the latest listing of the polled resource (instance, policy, cluster, DMS instance, CBR project) succeeded.",
        GAUGE,
    );
    let mut unit_errors = Fam::new(
        RESOURCE_ERRORS,
        "Failed listings of a polled resource, by reason.",
        COUNTER,
    );
    let mut last_poll = Fam::new(
        LAST_POLL_SUCCESS,
        "When the target last polled cleanly.",
        GAUGE,
    );
    let mut poll_dur = Fam::new(POLL_DURATION, "Wall time of whole polls.", HISTOGRAM);
    let mut poll_err = Fam::new(POLL_ERRORS, "Failed polls by reason.", COUNTER);
    let mut requests = Fam::new(
        API_REQUESTS,
        "HTTP requests sent to the cloud, by status code (error when no response).",
        COUNTER,
    );
    let mut resources = Fam::new(
        TARGET_RESOURCES,
        "Resources polled (configured or discovered).",
        GAUGE,
    );
    let mut tracked = Fam::new(
        TRACKED_TASKS,
        "Task ids held in memory for the target.",
        GAUGE,
    );
    let mut expected_interval = Fam::new(
        EXPECTED_INTERVAL,
        "Expected gap between successful backups: configured expected_interval, else learned from recent successes, else the default.",
        GAUGE,
    );
    let mut expected_duration = Fam::new(
        EXPECTED_DURATION,
        "Usual (median) duration of recent successful backups, where an enabled schedule covers the resource (the allowance of a scheduled run).",
        GAUGE,
    );
    let mut active_limit = Fam::new(
        ACTIVE_LIMIT,
        "How long a task may stay queued, running or paused before it counts as stuck.",
        GAUGE,
    );
    let mut expected_grace = Fam::new(
        EXPECTED_GRACE,
        "Grace after the expected interval before a missing backup pages, where no enabled schedule covers the resource and the jitter of recent gaps exceeds the default max(10 % of the interval, 1h).",
        GAUGE,
    );
    let mut schedule_next = Fam::new(
        SCHEDULE_NEXT,
        "Next run of the enabled backup schedules covering the resource.",
        GAUGE,
    );
    let mut schedule_due = Fam::new(
        SCHEDULE_LAST_DUE,
        "Latest run of the enabled backup schedules covering the resource that became due.",
        GAUGE,
    );
    let mut schedule_covered = Fam::new(
        SCHEDULE_COVERED,
        "1 if an enabled backup schedule covers the resource, 0 if none does (policy or application off, no policy).",
        GAUGE,
    );
    let mut schedule_info = Fam::new(
        SCHEDULE_INFO,
        "A backup policy that names the resource; the value is 1.",
        GAUGE,
    );
    let mut schedule_skipped = Fam::new(
        SCHEDULE_SKIPPED,
        "Backup schedules (or whole policy reads) passed over, by reason; the learned rhythm stays the expectation.",
        COUNTER,
    );

    for s in &snaps {
        let a = &s.tallies;
        // The series budget (`docs/metrics.md` "Series budget"): zero-valued series only for the (resource, type) pairs
        // that occurred (or that the target's `types:` names), and only for the results an
        // alert needs before their first occurrence; everything else appears on first use.
        let pairs = occurred_pairs(a, &s.expect.config.types);
        // Active tasks: series exist while tasks of a (resource, type, state) are active.
        let mut active_counts: BTreeMap<(&str, &str, TaskState), u64> = BTreeMap::new();
        for t in &a.active {
            *active_counts
                .entry((&t.resource, &t.task_type, t.state))
                .or_insert(0) += 1;
            let l = with(
                s,
                &[
                    ("resource", &t.resource),
                    ("type", &t.task_type),
                    ("task_id", &t.id),
                ],
            );
            if let Some(p) = t.progress {
                progress.gauge(l.clone(), p);
            }
            if let Some(st) = t.start {
                let mut l = l;
                l.push(lp("state", t.state.as_label()));
                start.gauge(l, st);
            }
        }
        for ((r, t, st), n) in &active_counts {
            active.gauge(
                with(s, &[("resource", r), ("type", t), ("state", st.as_label())]),
                *n as f64,
            );
        }
        // Completions: every occurred pair × the alert results, plus every non-zero counter.
        let mut comp: BTreeMap<(&str, &str, TaskState), u64> = BTreeMap::new();
        for (r, t) in &pairs {
            for res in ZERO_RESULTS {
                comp.insert((r, t, res), 0);
            }
        }
        for ((r, t, res), n) in &a.completions {
            comp.insert((r, t, *res), *n);
        }
        for ((r, t, res), n) in &comp {
            completions.counter(
                with(
                    s,
                    &[("resource", r), ("type", t), ("result", res.as_label())],
                ),
                *n as f64,
            );
        }
        // Durations: the (type, result) pairs observed. A histogram kept in other buckets
        // (duration_buckets changed by a reload, before the target's first poll under the new
        // config) renders as the empty histogram it is about to become.
        let empty = crate::accounting::HistogramData::new(buckets);
        for ((t, res), h) in &a.durations {
            let h = Some(h)
                .filter(|h| h.counts.len() == buckets.len() + 1)
                .unwrap_or(&empty);
            duration.histogram(
                with(s, &[("type", t), ("result", res.as_label())]),
                buckets,
                h,
            );
        }
        // The latest success and failure: whether the latest failure is newer than the
        // latest success is what `CloudTaskFailed` asks (`docs/metrics.md` "Series budget").
        for ((r, t), last) in &a.last {
            let l = || with(s, &[("resource", r), ("type", t)]);
            if let Some(ts) = last.last_success {
                last_success.gauge(l(), ts);
            }
            if let Some(ts) = last.last_failure {
                last_failure.gauge(l(), ts);
            }
        }
        for (r, (name, rtype)) in &a.resource_info {
            info.gauge(
                with(
                    s,
                    &[
                        ("resource", r),
                        ("resource_name", name),
                        ("resource_type", rtype),
                    ],
                ),
                1.0,
            );
        }
        for (status, n) in &a.unknown_status {
            unknown.counter(with(s, &[("status", status)]), *n as f64);
        }
        for (field, n) in &a.invalid_tasks {
            invalid.counter(with(s, &[("reason", field)]), *n as f64);
        }
        truncated.counter(base(s), a.truncated_labels as f64);
        folded.counter(base(s), a.folded_types as f64);
        let st = &s.status;
        up.gauge(base(s), if st.up { 1.0 } else { 0.0 });
        for (unit, h) in &st.units {
            let unit = crate::accounting::bound_label(unit);
            let unit = unit.as_ref();
            unit_up.gauge(with(s, &[("resource", unit)]), if h.up { 1.0 } else { 0.0 });
            for (r, n) in &h.errors {
                unit_errors.counter(
                    with(s, &[("resource", unit), ("reason", r.as_label())]),
                    *n as f64,
                );
            }
        }
        if let Some(ts) = st.last_success {
            last_poll.gauge(base(s), ts);
        }
        poll_dur.histogram(
            base(s),
            &crate::accounting::histogram::POLL_BUCKETS,
            &st.durations,
        );
        for r in Reason::ALL {
            poll_err.counter(
                with(s, &[("reason", r.as_label())]),
                st.errors.get(&r).copied().unwrap_or(0) as f64,
            );
        }
        for (code, n) in &s.requests {
            requests.counter(with(s, &[("code", code)]), *n as f64);
        }
        resources.gauge(base(s), st.resources as f64);
        tracked.gauge(base(s), s.tracked as f64);
        let rhythm = crate::rhythm::RHYTHM_TYPE;
        for e in s.expect.of(a) {
            let l = with(s, &[("resource", &e.resource), ("type", &e.task_type)]);
            // Where an enabled schedule covers the pair, `CloudBackupScheduledRunMissed` watches
            // it with the usual duration; elsewhere `CloudBackupMissing` with the grace. Each is
            // served only where its rule reads it, the grace only beyond the default the rule
            // computes itself (`docs/metrics.md` "Series budget").
            let due = s.schedules.get(&e.resource);
            let covered = e.task_type == rhythm && due.is_some_and(|due| due.covered);
            if let Some(i) = e.interval {
                expected_interval.gauge(l.clone(), i.secs);
                let beyond_default = |g: &f64| *g > crate::rhythm::grace(i.secs, None);
                if let Some(g) = e.grace.filter(beyond_default).filter(|_| !covered) {
                    expected_grace.gauge(l.clone(), g);
                }
            }
            if covered {
                // At least half the start window where the cloud gives one: the rule
                // allows twice this.
                if let Some(d) = due.and_then(|d| d.allowance_duration(e.usual_duration)) {
                    expected_duration.gauge(l.clone(), d);
                }
            }
            if let Some(m) = e.active_limit {
                active_limit.gauge(l, m.secs);
            }
        }
        for (r, due) in s.schedules.iter() {
            let l = with(s, &[("resource", r), ("type", rhythm)]);
            schedule_covered.gauge(l.clone(), if due.covered { 1.0 } else { 0.0 });
            if let Some(t) = due.next {
                schedule_next.gauge(l.clone(), t.as_second() as f64);
            }
            if let Some(t) = due.last_due {
                schedule_due.gauge(l, t.as_second() as f64);
            }
            for (id, name) in &due.policies {
                schedule_info.gauge(
                    with(
                        s,
                        &[
                            ("resource", r),
                            ("type", rhythm),
                            ("policy_id", id),
                            ("policy_name", name),
                        ],
                    ),
                    1.0,
                );
            }
        }
        if let Some(skips) = &s.schedule_skips {
            for reason in crate::schedule::SkipReason::ALL {
                schedule_skipped.counter(
                    with(s, &[("reason", reason.as_str())]),
                    skips.get(&reason).copied().unwrap_or(0) as f64,
                );
            }
        }
    }

    let mut build = Fam::new(
        BUILD_INFO,
        "Version, revision and build date of the exporter; the value is 1.",
        GAUGE,
    );
    build.gauge(
        vec![
            lp("builddate", BUILD_DATE),
            lp("revision", REVISION),
            lp("version", VERSION),
        ],
        1.0,
    );
    let (ok, at) = hub.reload_status();
    let mut reload_ok = Fam::new(RELOAD_OK, "0 after a rejected configuration reload.", GAUGE);
    reload_ok.gauge(vec![], if ok { 1.0 } else { 0.0 });
    let mut reload_ts = Fam::new(
        RELOAD_TS,
        "When the configuration was last loaded successfully.",
        GAUGE,
    );
    reload_ts.gauge(vec![], at.unwrap_or(0.0));
    let mut state_errors = Fam::new(
        STATE_WRITE_ERRORS,
        "Failed writes of the state file (only with state_file configured).",
        COUNTER,
    );
    let mut state_ts = Fam::new(
        STATE_WRITE_TS,
        "When the state file was last written successfully (only with state_file configured).",
        GAUGE,
    );
    if let Some(w) = hub.state_writes() {
        state_errors.counter(vec![], w.errors as f64);
        state_ts.gauge(vec![], w.last_success.unwrap_or(0.0));
    }

    [
        active,
        completions,
        duration,
        last_success,
        last_failure,
        progress,
        start,
        info,
        unknown,
        invalid,
        truncated,
        folded,
        up,
        unit_up,
        unit_errors,
        last_poll,
        poll_dur,
        poll_err,
        requests,
        resources,
        tracked,
        expected_interval,
        expected_duration,
        active_limit,
        expected_grace,
        schedule_next,
        schedule_due,
        schedule_covered,
        schedule_info,
        schedule_skipped,
        build,
        reload_ok,
        reload_ts,
        state_errors,
        state_ts,
    ]
    .into_iter()
    .map(|f| f.fam)
    .filter(|f| !f.get_metric().is_empty())
    .collect()
}
