//! One log line per task transition (`docs/alerts.md` "Which task failed, and why"): a task seen for the first time while active, an
//! active task changing state, and a task ending (or first seen ended after the baseline).
//! Accounting reports them ([`crate::accounting::ApplyReport::transitions`]); the scheduler
//! logs them, so "which task failed and why" is one `grep` away while task ids stay out of
//! metric labels.
//!
//! Levels: a `failed` or `timed_out` end is WARN, everything else INFO. Every field taken from
//! a cloud is cut to [`FIELD_MAX`] bytes.

use crate::history::cut;
use crate::model::{Task, TaskState};

/// Longest value of a logged field that comes from a cloud (bytes).
pub(crate) const FIELD_MAX: usize = 256;

/// One transition of one task.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    /// Task id.
    pub task_id: String,
    /// Resource.
    pub resource: String,
    /// Type.
    pub task_type: String,
    /// The previous state: a state label, `new` (never seen before) or `active` (seen active
    /// before a restart, state not remembered).
    pub from: &'static str,
    /// The new state.
    pub to: TaskState,
    /// Duration of an ended task, when known.
    pub duration: Option<f64>,
    /// The API's error message of a failed task.
    pub error: Option<String>,
}

impl Transition {
    /// The transition of `task` from `from` to its current state.
    pub fn of(task: &Task, from: &'static str) -> Transition {
        Transition {
            task_id: cut(&task.id, FIELD_MAX),
            resource: cut(&task.resource, FIELD_MAX),
            task_type: cut(&task.task_type, FIELD_MAX),
            from,
            to: task.state,
            duration: task.terminal.then(|| task.duration_seconds()).flatten(),
            error: task
                .error
                .as_deref()
                .filter(|_| task.terminal)
                .map(|e| cut(e, FIELD_MAX)),
        }
    }

    /// Logs the transition for `target`.
    pub fn log(&self, target: &str, provider: &str) {
        // Absent values are left out of the line rather than logged empty.
        let duration = self.duration.map(|d| format!("{d:.1}s"));
        let duration = duration.as_deref();
        let error = self.error.as_deref();
        macro_rules! line {
            ($level:ident, $msg:literal) => {
                tracing::$level!(
                    target = %target,
                    provider,
                    resource = %self.resource,
                    r#type = %self.task_type,
                    task_id = %self.task_id,
                    from = self.from,
                    to = self.to.as_label(),
                    duration,
                    error,
                    $msg
                )
            };
        }
        if self.to.is_failure() {
            line!(warn, "Task ended badly.");
        } else if self.to.is_active() {
            line!(info, "Task is active.");
        } else {
            line!(info, "Task ended.");
        }
    }
}
