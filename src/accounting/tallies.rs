//! What the exposition and the status page show of a target ([`Tallies`]): the account
//! without its seen-set, so that publishing a snapshot never copies the task ids.

use std::collections::{BTreeMap, BTreeSet};

use super::CompletionKey;
use super::active::ActiveTasks;
use super::histogram::HistogramData;
use crate::history::{Completion, History};
use crate::model::{Task, TaskState};
use crate::timefmt::unix_seconds;

/// The latest completion of one (resource, type).
#[derive(Debug, Clone, PartialEq)]
pub struct LastCompletion {
    /// The result that completion ended with: the latest result of the status page.
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
    pub(crate) last_failure: Option<f64>,
}

/// Everything the exposition and the status page show of a target: the account without its
/// seen-set, so that publishing a snapshot never copies the task ids.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Tallies {
    /// `cloud_task_completions_total`.
    pub completions: BTreeMap<CompletionKey, u64>,
    /// `cloud_task_duration_seconds` by (type, result).
    pub durations: BTreeMap<(String, TaskState), HistogramData>,
    /// Latest completion by (resource, type).
    pub last: BTreeMap<(String, String), LastCompletion>,
    /// `cloud_task_unknown_status_total` by raw status.
    pub unknown_status: BTreeMap<String, u64>,
    /// `cloud_task_invalid_tasks_total` by the field that could not be understood.
    pub(crate) invalid_tasks: BTreeMap<String, u64>,
    /// Tasks whose label values were cut (each task once).
    pub(crate) truncated_labels: u64,
    /// Tasks whose type folded into [`OTHER_TYPE`](super::OTHER_TYPE) (each task once).
    pub(crate) folded_types: u64,
    /// Resources known (configured units that are resources, and every task's resource).
    pub resources: BTreeSet<String>,
    /// The resources each polled unit's tasks name (a VBS policy's volumes), since start.
    pub(crate) unit_resources: BTreeMap<String, BTreeSet<String>>,
    /// Task types known (the provider's list and every type seen).
    pub types: BTreeSet<String>,
    /// Resource id → (name, type) where the API gives them.
    pub resource_info: BTreeMap<String, (String, String)>,
    /// Active tasks as of the latest poll of each unit.
    pub active: ActiveTasks,
    /// Bounded per-(resource, type) history: rhythm, usual duration, 14-day strip.
    pub history: History,
}

impl Tallies {
    /// Forgets the `last_*` values and counters of (resource, type) pairs that went quiet: no
    /// completion within `lookback` (their latest is before `horizon`), none the history still
    /// keeps (it keeps a pair for max(lookback, 35 days, three of its gaps)), and no active
    /// task. A deleted resource's series thus end, and churn cannot grow the exposition
    /// without bound.
    pub(super) fn forget_quiet_pairs(&mut self, horizon: f64) {
        let mut quiet: Vec<&(String, String)> = (self.last.iter())
            .filter(|(k, l)| l.at < horizon && !self.history.pairs.contains_key(*k))
            .map(|(k, _)| k)
            .collect();
        if quiet.is_empty() {
            return;
        }
        // A pair with an active task is not quiet (a set: not every active task per pair).
        let active: std::collections::HashSet<(&str, &str), foldhash::fast::RandomState> =
            (self.active.iter())
                .map(|a| (a.resource.as_str(), a.task_type.as_str()))
                .collect();
        quiet.retain(|(r, t)| !active.contains(&(r.as_str(), t.as_str())));
        let quiet: Vec<(String, String)> = quiet.into_iter().cloned().collect();
        for (r, t) in quiet {
            self.completions
                .retain(|(cr, ct, _), _| !(cr == &r && ct == &t));
            self.last.remove(&(r, t));
        }
    }

    /// Records a task's first terminal sighting in the history, only with a time the API gave.
    pub(super) fn note_history(&mut self, task: &Task, now_s: f64) {
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
            .record(&task.resource, &task.task_type, &c, now_s);
    }

    /// Moves `last_*` to a terminal task when it is the latest of its (resource, type). A
    /// task with no usable timestamp cannot be placed in time: it moves nothing (`docs/design.md`
    /// "Exactly-once accounting", "No invented times").
    pub(super) fn note_last(&mut self, task: &Task) {
        let Some(end) = task.finished.or(task.latest_timestamp()).map(unix_seconds) else {
            return;
        };
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
}
