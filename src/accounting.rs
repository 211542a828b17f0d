//! Per-target task accounting (SPEC §3): which tasks are active, which completions were
//! counted (each exactly once), durations, last success/failure per resource.
//!
//! [`Account::apply`] takes one whole successful poll and is the only mutator; a failed poll
//! is never passed in (rule 5). It is pure (time comes in as an argument) so that property
//! tests can drive it with arbitrary histories. The baseline (rule 2) is per polled unit, so a
//! newly discovered resource's old tasks are not counted either.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use jiff::Timestamp;

use crate::history::{Completion, History};
use crate::model::{Task, TaskState};
use crate::timefmt::unix_seconds;
use crate::transition::Transition;

/// Counters are keyed by (resource, type, result).
pub type CompletionKey = (String, String, TaskState);

/// A histogram's data: non-cumulative counts per bucket (last = +Inf), sum and count.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HistogramData {
    /// Count per bucket, `buckets.len() + 1` entries (the last is above every bound).
    pub counts: Vec<u64>,
    /// Sum of observations.
    pub sum: f64,
    /// Number of observations.
    pub count: u64,
}

impl HistogramData {
    /// An empty histogram over `bounds`.
    pub fn new(bounds: &[f64]) -> HistogramData {
        HistogramData {
            counts: vec![0; bounds.len() + 1],
            sum: 0.0,
            count: 0,
        }
    }

    /// Records one value.
    pub fn observe(&mut self, bounds: &[f64], v: f64) {
        let idx = bounds.iter().position(|b| v <= *b).unwrap_or(bounds.len());
        if self.counts.len() != bounds.len() + 1 {
            self.counts.resize(bounds.len() + 1, 0);
        }
        self.counts[idx] += 1;
        self.sum += v;
        self.count += 1;
    }
}

/// The latest completion of one (resource, type).
#[derive(Debug, Clone, PartialEq)]
pub struct LastCompletion {
    /// Its result.
    pub result: TaskState,
    /// Ordering key: end time, else latest timestamp (unix seconds).
    pub at: f64,
    /// Its duration, when known.
    pub duration: Option<f64>,
    /// Id of the task, to keep updates idempotent.
    pub task_id: String,
    /// End time of the latest `succeeded`/`warning` task.
    pub last_success: Option<f64>,
    /// End time of the latest `failed`/`timed_out` task.
    pub last_failure: Option<f64>,
}

/// An active task, as of the latest poll.
#[derive(Debug, Clone, PartialEq)]
pub struct ActiveTask {
    /// Task id (a label on active-task series only).
    pub id: String,
    /// Resource.
    pub resource: String,
    /// Type.
    pub task_type: String,
    /// `queued`, `running` or `paused`.
    pub state: TaskState,
    /// Start, else enqueue time (unix seconds).
    pub start: Option<f64>,
    /// Progress 0–1.
    pub progress: Option<f64>,
}

/// What the seen-set remembers of a task id.
#[derive(Debug, Clone, PartialEq)]
pub struct Seen {
    /// Recorded as terminal (counted, or baselined).
    pub terminal: bool,
    /// Latest timestamp the task carried (unix seconds), for the lookback rule.
    pub last_ts: f64,
    /// The unknown raw status already counted for this task, if any.
    pub unknown_counted: Option<String>,
}

/// Outcome of one [`Account::apply`], for logs and tests.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApplyReport {
    /// Completions counted by this poll.
    pub counted: u64,
    /// Terminal tasks recorded without counting (baseline).
    pub baselined: u64,
    /// Raw statuses seen for the first time that the mapping does not know.
    pub new_unknown_statuses: Vec<String>,
    /// Tasks dropped because they are older than `lookback`.
    pub too_old: u64,
    /// Task transitions to log: new active tasks, state changes, ends after the baseline.
    pub transitions: Vec<Transition>,
}

/// All accounting state of one target.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Account {
    /// Units whose first successful poll has happened.
    pub baselined: BTreeSet<String>,
    /// Task ids seen, bounded by `lookback`.
    pub seen: HashMap<String, Seen>,
    /// `cloud_task_completions_total`.
    pub completions: BTreeMap<CompletionKey, u64>,
    /// `cloud_task_duration_seconds` by (type, result).
    pub durations: BTreeMap<(String, TaskState), HistogramData>,
    /// Latest completion by (resource, type).
    pub last: BTreeMap<(String, String), LastCompletion>,
    /// `cloud_task_unknown_status_total` by raw status.
    pub unknown_status: BTreeMap<String, u64>,
    /// Resources known (configured units that are resources, and every task's resource).
    pub resources: BTreeSet<String>,
    /// Task types known (the provider's list and every type seen).
    pub types: BTreeSet<String>,
    /// Resource id → (name, type) where the API gives them.
    pub resource_info: BTreeMap<String, (String, String)>,
    /// Active tasks of the latest poll.
    pub active: Vec<ActiveTask>,
    /// Bounded per-(resource, type) history: rhythm, usual duration, 14-day strip.
    pub history: History,
}

impl Account {
    /// An account that knows these types and resources from the start (zero-valued series).
    pub fn new(known_types: &[&str], resources: &[String]) -> Account {
        Account {
            types: known_types.iter().map(|s| s.to_string()).collect(),
            resources: resources.iter().cloned().collect(),
            ..Account::default()
        }
    }

    /// Applies one whole successful poll: `units` are the units polled, `tasks` every task
    /// they returned. Counts each new completion once (not for units polled for the first
    /// time), updates `last_*`, replaces the active set, and forgets ids older than `lookback`.
    pub fn apply(
        &mut self,
        units: &[String],
        tasks: &[Task],
        unit_of: &HashMap<String, String>,
        now: Timestamp,
        lookback: Duration,
        buckets: &[f64],
    ) -> ApplyReport {
        let mut report = ApplyReport::default();
        let horizon = unix_seconds(now) - lookback.as_secs_f64();
        let mut active = Vec::new();
        // The previous poll's active states, to report transitions.
        let before: HashMap<String, TaskState> = std::mem::take(&mut self.active)
            .into_iter()
            .map(|a| (a.id, a.state))
            .collect();
        for task in tasks {
            let latest = task.latest_timestamp().map(unix_seconds);
            if latest.is_some_and(|t| t < horizon) {
                report.too_old += 1;
                continue;
            }
            let unit = unit_of.get(&task.id).map(String::as_str).unwrap_or("");
            let counting = self.baselined.contains(unit);
            self.resources.insert(task.resource.clone());
            self.types.insert(task.task_type.clone());
            if task.resource_name.is_some() || task.resource_type.is_some() {
                self.resource_info.insert(
                    task.resource.clone(),
                    (
                        task.resource_name.clone().unwrap_or_default(),
                        task.resource_type.clone().unwrap_or_default(),
                    ),
                );
            }
            let known = self.seen.contains_key(&task.id);
            let seen = self.seen.entry(task.id.clone()).or_insert(Seen {
                terminal: false,
                last_ts: latest.unwrap_or(unix_seconds(now)),
                unknown_counted: None,
            });
            if let Some(t) = latest {
                seen.last_ts = seen.last_ts.max(t);
            }
            if !task.status_known
                && seen.unknown_counted.as_deref() != Some(task.raw_status.as_str())
            {
                seen.unknown_counted = Some(task.raw_status.clone());
                let n = self
                    .unknown_status
                    .entry(task.raw_status.clone())
                    .or_insert(0);
                if *n == 0 {
                    report.new_unknown_statuses.push(task.raw_status.clone());
                }
                *n += 1;
            }
            if task.terminal {
                let first_time = !seen.terminal;
                seen.terminal = true;
                if first_time {
                    if counting {
                        report.counted += 1;
                        *self
                            .completions
                            .entry((task.resource.clone(), task.task_type.clone(), task.state))
                            .or_insert(0) += 1;
                        if let Some(d) = task.duration_seconds() {
                            self.durations
                                .entry((task.task_type.clone(), task.state))
                                .or_insert_with(|| HistogramData::new(buckets))
                                .observe(buckets, d);
                        }
                    } else {
                        report.baselined += 1;
                    }
                    if counting {
                        let from = match before.get(&task.id) {
                            Some(st) => st.as_label(),
                            None if known => "active",
                            None => "new",
                        };
                        report.transitions.push(Transition::of(task, from));
                    }
                    self.note_history(task, now);
                }
                self.note_last(task, now);
            } else if task.state.is_active() {
                let prev = before.get(&task.id).copied();
                if !known || prev.is_some_and(|p| p != task.state) {
                    let from = prev.map_or("new", TaskState::as_label);
                    report.transitions.push(Transition::of(task, from));
                }
                active.push(ActiveTask {
                    id: task.id.clone(),
                    resource: task.resource.clone(),
                    task_type: task.task_type.clone(),
                    state: task.state,
                    start: task.start_or_created().map(unix_seconds),
                    progress: task.progress.map(|p| p.clamp(0.0, 1.0)),
                });
            }
        }
        active.sort_by(|a, b| {
            (&a.resource, &a.task_type, &a.id).cmp(&(&b.resource, &b.task_type, &b.id))
        });
        self.active = active;
        self.seen.retain(|_, s| s.last_ts >= horizon);
        self.history
            .prune(unix_seconds(now), lookback.as_secs_f64());
        self.baselined.extend(units.iter().cloned());
        report
    }

    /// Records a task's first terminal sighting in the history, only with a time the API gave.
    fn note_history(&mut self, task: &Task, now: Timestamp) {
        let Some(end) = task.finished.or(task.latest_timestamp()) else {
            return;
        };
        let c = Completion {
            task_id: &task.id,
            result: task.state,
            end: unix_seconds(end),
            secs: task.duration_seconds(),
            message: task.error.as_deref(),
        };
        self.history
            .record(&task.resource, &task.task_type, &c, unix_seconds(now));
    }

    fn note_last(&mut self, task: &Task, now: Timestamp) {
        let end = task
            .finished
            .or(task.latest_timestamp())
            .map(unix_seconds)
            .unwrap_or(unix_seconds(now));
        let key = (task.resource.clone(), task.task_type.clone());
        let entry = self.last.entry(key).or_insert_with(|| LastCompletion {
            result: task.state,
            at: f64::NEG_INFINITY,
            duration: None,
            task_id: String::new(),
            last_success: None,
            last_failure: None,
        });
        if end > entry.at || (end == entry.at && task.id > entry.task_id) {
            entry.result = task.state;
            entry.at = end;
            entry.duration = task.duration_seconds();
            entry.task_id = task.id.clone();
        }
        if task.state.is_success() {
            entry.last_success = Some(entry.last_success.map_or(end, |s| s.max(end)));
        }
        if task.state.is_failure() {
            entry.last_failure = Some(entry.last_failure.map_or(end, |s| s.max(end)));
        }
    }

    /// Number of task ids held in memory.
    pub fn tracked(&self) -> usize {
        self.seen.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Mapped;

    const B: [f64; 3] = [10.0, 60.0, 600.0];
    const LB: Duration = Duration::from_secs(7 * 86400);

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn task(id: &str, st: TaskState, end: Option<&str>) -> Task {
        let mut t = Task::new(id, "vm1", "backup", st.as_label(), Mapped::known(st));
        t.started = Some(ts("2024-05-01T10:00:00Z"));
        t.finished = end.map(ts);
        t
    }

    fn apply(a: &mut Account, tasks: &[Task], now: &str) -> ApplyReport {
        let units = vec!["u".to_string()];
        let unit_of = tasks
            .iter()
            .map(|t| (t.id.clone(), "u".to_string()))
            .collect();
        a.apply(&units, tasks, &unit_of, ts(now), LB, &B)
    }

    #[test]
    fn first_poll_counts_nothing_but_sets_last() {
        let mut a = Account::new(&["backup"], &[]);
        let r = apply(
            &mut a,
            &[task("1", TaskState::Failed, Some("2024-05-01T10:00:30Z"))],
            "2024-05-01T11:00:00Z",
        );
        assert_eq!((r.counted, r.baselined), (0, 1));
        assert!(a.completions.is_empty());
        let last = &a.last[&("vm1".to_string(), "backup".to_string())];
        assert_eq!(last.result, TaskState::Failed);
        assert_eq!(last.duration, Some(30.0));
        assert!(last.last_failure.is_some());
    }

    #[test]
    fn later_completion_counted_once_across_polls() {
        let mut a = Account::new(&["backup"], &[]);
        apply(
            &mut a,
            &[task("1", TaskState::Running, None)],
            "2024-05-01T10:01:00Z",
        );
        let done = task("1", TaskState::Succeeded, Some("2024-05-01T10:00:45Z"));
        for _ in 0..5 {
            apply(&mut a, std::slice::from_ref(&done), "2024-05-01T10:02:00Z");
        }
        assert_eq!(
            a.completions[&("vm1".into(), "backup".into(), TaskState::Succeeded)],
            1
        );
        let h = &a.durations[&("backup".into(), TaskState::Succeeded)];
        assert_eq!(
            (h.count, h.sum, h.counts.clone()),
            (1, 45.0, vec![0, 1, 0, 0])
        );
        assert!(a.active.is_empty());
    }

    #[test]
    fn active_tasks_tracked_then_gone() {
        let mut a = Account::default();
        let mut t = task("1", TaskState::Running, None);
        t.progress = Some(0.25);
        apply(&mut a, &[t], "2024-05-01T10:01:00Z");
        assert_eq!(a.active.len(), 1);
        assert_eq!(a.active[0].progress, Some(0.25));
        apply(&mut a, &[], "2024-05-01T10:02:00Z");
        assert!(a.active.is_empty());
    }

    #[test]
    fn lookback_drops_old_tasks_and_forgets_ids() {
        let mut a = Account::default();
        apply(
            &mut a,
            &[task(
                "1",
                TaskState::Succeeded,
                Some("2024-05-01T10:00:45Z"),
            )],
            "2024-05-01T10:02:00Z",
        );
        assert_eq!(a.tracked(), 1);
        let r = apply(
            &mut a,
            &[task(
                "1",
                TaskState::Succeeded,
                Some("2024-05-01T10:00:45Z"),
            )],
            "2024-05-20T00:00:00Z",
        );
        assert_eq!(r.too_old, 1);
        assert_eq!(a.tracked(), 0);
    }

    #[test]
    fn unknown_status_counted_once_per_task() {
        let mut a = Account::default();
        let t = Task::new("9", "vm1", "backup", "WEIRD", Mapped::unrecognised());
        let r = apply(&mut a, std::slice::from_ref(&t), "2024-05-01T10:02:00Z");
        assert_eq!(r.new_unknown_statuses, vec!["WEIRD".to_string()]);
        apply(&mut a, std::slice::from_ref(&t), "2024-05-01T10:03:00Z");
        assert_eq!(a.unknown_status["WEIRD"], 1);
    }
}
