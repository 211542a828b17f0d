//! The provider-agnostic task model: what every provider maps its API's tasks to.
//!
//! Nothing here knows a cloud's field names; providers translate into these types
//! (see `provider/<service>/`), and accounting and metrics read only these types.

use jiff::Timestamp;

use crate::memo::{ActiveRecord, RecordKey};

/// A map keyed by task id. Hashed with foldhash (seeded per process, so ids a cloud sends
/// cannot be chosen to collide) rather than SipHash: a poll looks up every id five times,
/// and SipHash was 6 % of a poll's instructions.
pub type IdMap<V> = std::collections::HashMap<String, V, foldhash::fast::RandomState>;

/// A set of task ids, hashed as [`IdMap`].
pub type IdSet = std::collections::HashSet<String, foldhash::fast::RandomState>;

/// Normalized task state (`docs/metrics.md` "States and results"). Declaration order is exposition order; never reorder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TaskState {
    /// Waiting to run.
    Queued,
    /// Running now.
    Running,
    /// Paused; still active.
    Paused,
    /// Finished successfully.
    Succeeded,
    /// Finished with warnings (Yandex `resultCode: WARNING`).
    Warning,
    /// Finished with an error.
    Failed,
    /// Ran out of time.
    TimedOut,
    /// Cancelled before finishing.
    Cancelled,
    /// Skipped by the service.
    Skipped,
    /// A status the mapping does not know, or a terminal task whose outcome is unknown.
    Unknown,
}

impl TaskState {
    /// Every active state, in exposition order.
    pub(crate) const ACTIVE: [TaskState; 3] =
        [TaskState::Queued, TaskState::Running, TaskState::Paused];

    /// Every value the `result` label can take, in exposition order.
    pub const RESULTS: [TaskState; 7] = [
        TaskState::Succeeded,
        TaskState::Warning,
        TaskState::Failed,
        TaskState::TimedOut,
        TaskState::Cancelled,
        TaskState::Skipped,
        TaskState::Unknown,
    ];

    /// The label value; never derived from `Debug`.
    pub const fn as_label(self) -> &'static str {
        match self {
            TaskState::Queued => "queued",
            TaskState::Running => "running",
            TaskState::Paused => "paused",
            TaskState::Succeeded => "succeeded",
            TaskState::Warning => "warning",
            TaskState::Failed => "failed",
            TaskState::TimedOut => "timed_out",
            TaskState::Cancelled => "cancelled",
            TaskState::Skipped => "skipped",
            TaskState::Unknown => "unknown",
        }
    }

    /// Parses a label value back (used by the state file).
    pub(crate) fn from_label(s: &str) -> Option<TaskState> {
        Self::ACTIVE
            .iter()
            .chain(Self::RESULTS.iter())
            .copied()
            .find(|st| st.as_label() == s)
    }

    /// `queued`, `running` or `paused`.
    pub const fn is_active(self) -> bool {
        matches!(
            self,
            TaskState::Queued | TaskState::Running | TaskState::Paused
        )
    }

    /// Counts towards `cloud_task_last_success_timestamp_seconds`.
    pub const fn is_success(self) -> bool {
        matches!(self, TaskState::Succeeded | TaskState::Warning)
    }

    /// Counts towards `cloud_task_last_failure_timestamp_seconds`.
    pub(crate) const fn is_failure(self) -> bool {
        matches!(self, TaskState::Failed | TaskState::TimedOut)
    }
}

/// The state a provider maps a raw status to, plus whether the raw value was recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mapped {
    /// Normalized state.
    pub state: TaskState,
    /// False when the raw status is not in the provider's table (counted as unknown).
    pub known: bool,
    /// True when the task is finished, whatever its result.
    pub terminal: bool,
}

impl Mapped {
    /// A recognised raw status.
    pub const fn known(state: TaskState) -> Mapped {
        Mapped {
            state,
            known: true,
            terminal: !state.is_active(),
        }
    }

    /// A terminal task whose outcome the API does not say (Yandex `COMPLETED` without `resultCode`).
    pub const fn terminal_unknown() -> Mapped {
        Mapped {
            state: TaskState::Unknown,
            known: true,
            terminal: true,
        }
    }

    /// A raw status the mapping does not know: not active, not terminal, counted as unknown.
    pub(crate) const fn unrecognised() -> Mapped {
        Mapped {
            state: TaskState::Unknown,
            known: false,
            terminal: false,
        }
    }
}

/// One task as every provider reports it (`docs/providers.md` "What every provider shares").
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    /// Provider task id, unique within the target.
    pub id: String,
    /// What the task works on.
    pub resource: String,
    /// Human-readable resource name, where the API gives it.
    pub resource_name: Option<String>,
    /// Resource type, where the API gives it.
    pub resource_type: Option<String>,
    /// Task type label (see `docs/metrics.md` "Task types").
    pub task_type: String,
    /// Normalized state.
    pub state: TaskState,
    /// Whether the task has finished.
    pub terminal: bool,
    /// The provider's own status string(s), for logs and the unknown-status counter.
    pub raw_status: String,
    /// False when `raw_status` is not in the provider's mapping.
    pub status_known: bool,
    /// When the task was created or enqueued.
    pub created: Option<Timestamp>,
    /// When it started running.
    pub started: Option<Timestamp>,
    /// When it finished.
    pub finished: Option<Timestamp>,
    /// Last update time, where the API gives one.
    pub updated: Option<Timestamp>,
    /// Progress 0.0–1.0, where the API gives it.
    pub progress: Option<f64>,
    /// Provider error code/message for failed tasks.
    pub error: Option<String>,
    /// The key of the record it was decoded from, when the listing had a memo to ask
    /// ([`crate::memo`]): accounting remembers it once the task is recorded as finished.
    pub record: Option<RecordKey>,
}

impl Task {
    /// A task with the given identity and mapping and no times; providers fill in the rest.
    pub fn new(
        id: impl Into<String>,
        resource: impl Into<String>,
        task_type: impl Into<String>,
        raw_status: impl Into<String>,
        mapped: Mapped,
    ) -> Task {
        Task {
            id: id.into(),
            resource: resource.into(),
            resource_name: None,
            resource_type: None,
            task_type: task_type.into(),
            state: mapped.state,
            terminal: mapped.terminal,
            raw_status: raw_status.into(),
            status_known: mapped.known,
            created: None,
            started: None,
            finished: None,
            updated: None,
            progress: None,
            error: None,
            record: None,
        }
    }

    /// Start time, falling back to the creation time (`docs/metrics.md` "Times and durations").
    pub(crate) fn start_or_created(&self) -> Option<Timestamp> {
        self.started.or(self.created)
    }

    /// `finished − started` (or `− created`), in seconds with nanosecond precision.
    /// `None` without an end time or when the end precedes the start.
    pub fn duration_seconds(&self) -> Option<f64> {
        let end = self.finished?;
        let start = self.start_or_created()?;
        let d = end.as_nanosecond() - start.as_nanosecond();
        (d >= 0).then(|| d as f64 / 1e9)
    }

    /// The latest timestamp the task carries; the `lookback` rule compares this.
    pub(crate) fn latest_timestamp(&self) -> Option<Timestamp> {
        [self.created, self.started, self.finished, self.updated]
            .into_iter()
            .flatten()
            .max()
    }

    /// The earliest timestamp the task carries; a windowed listing's watermark stays before
    /// an active task's.
    pub(crate) fn earliest_timestamp(&self) -> Option<Timestamp> {
        [self.created, self.started, self.updated, self.finished]
            .into_iter()
            .flatten()
            .min()
    }

    /// Where a newest-first list places the task: its creation time, else its start, else its
    /// latest time. The pager's windowed stop rule compares it with the watermark, for tasks
    /// and for the records the memo keeps (which store it), so both use this one rule.
    pub(crate) fn order_time(&self) -> Option<Timestamp> {
        self.created
            .or(self.started)
            .or_else(|| self.latest_timestamp())
    }
}

/// A task's progress as a 0–1 ratio from `part` of `whole` (a percentage is `part` of 100),
/// clamped; `None` unless both are finite and `whole` is positive.
pub(crate) fn progress(part: f64, whole: f64) -> Option<f64> {
    (part.is_finite() && whole.is_finite() && whole > 0.0).then(|| (part / whole).clamp(0.0, 1.0))
}

/// A task record the exporter could not understand: skipped, counted in
/// `cloud_task_invalid_tasks_total{reason}` and logged once (`docs/metrics.md` "Records the exporter cannot read").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidTask {
    /// The task id, when the record has a usable one.
    pub id: Option<String>,
    /// The field that could not be understood, as the API names it (`status`, `created_at`,
    /// `metadata.uid`, ...): the `reason` label.
    pub field: &'static str,
    /// What is wrong, with a short excerpt of the offending value (bounded, never a secret).
    pub detail: String,
}

/// Everything one poll of one unit returned: the tasks understood and the records skipped.
///
/// A listing may be partial: between full passes a poll reads only what can have changed
/// (see `provider::Window`). Accounting treats every listing alike: a task that is not
/// listed is not gone, and the only thing replaced per unit, its active tasks, is complete
/// in a partial listing too (the pager reads on until it has seen each of them again).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Listing {
    /// Tasks, de-duplicated by id.
    pub tasks: Vec<Task>,
    /// Records that could not be understood.
    pub invalid: Vec<InvalidTask>,
    /// Distinct records passed over as known ([`crate::memo`]).
    pub known: usize,
    /// The known records of active tasks among them (their tasks stay active as they were),
    /// each with its key; none with the id of a task in `tasks`.
    pub(crate) still_active: Vec<(RecordKey, ActiveRecord)>,
    /// How the list was read.
    pub paging: Paging,
}

/// What the pager observed while reading a listing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Paging {
    /// Creation (enqueue) times never rose in listing order, tasks without one aside: the
    /// list came newest first. False for a listing not read by the pager.
    pub(crate) newest_first: bool,
    /// The pager ended the listing before the list's end because it had caught up with what
    /// the exporter already knew.
    pub(crate) caught_up: bool,
}

impl Listing {
    /// A listing of understood tasks only.
    pub fn of(tasks: Vec<Task>) -> Listing {
        Listing {
            tasks,
            ..Listing::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip() {
        for st in TaskState::ACTIVE.iter().chain(TaskState::RESULTS.iter()) {
            assert_eq!(TaskState::from_label(st.as_label()), Some(*st));
        }
    }

    #[test]
    fn progress_is_a_clamped_ratio() {
        assert_eq!(progress(40.0, 100.0), Some(0.4));
        assert_eq!(progress(3.0, 4.0), Some(0.75));
        assert_eq!(progress(150.0, 100.0), Some(1.0));
        assert_eq!(progress(-5.0, 100.0), Some(0.0));
        assert_eq!(progress(1.0, 0.0), None);
        assert_eq!(progress(f64::NAN, 100.0), None);
        assert_eq!(progress(1.0, f64::INFINITY), None);
    }

    #[test]
    fn duration_keeps_nanoseconds() {
        let mut t = Task::new(
            "1",
            "r",
            "backup",
            "OK",
            Mapped::known(TaskState::Succeeded),
        );
        t.started = Some("2024-05-01T12:00:00.000000001Z".parse().unwrap());
        t.finished = Some("2024-05-01T12:00:01.000000003Z".parse().unwrap());
        assert_eq!(t.duration_seconds(), Some(1.000000002));
        t.started = None;
        assert_eq!(t.duration_seconds(), None);
        t.created = Some("2024-05-01T12:00:00Z".parse().unwrap());
        assert_eq!(t.duration_seconds(), Some(1.000000003));
    }
}
