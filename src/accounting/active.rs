//! The active tasks of a target, kept per polled unit: a listing replaces its own unit's tasks
//! and touches no other unit's, so a poll of many units costs in proportion to the tasks each
//! lists, not to the target's whole active set once per unit (`docs/design.md`, "The flow of
//! a poll").

use std::collections::BTreeMap;

use crate::memo::RecordKey;
use crate::model::TaskState;

/// An active task, as of the latest poll of its unit. Equal when every field but `record`
/// is: how it was read is not what it is.
#[derive(Debug, Clone)]
pub struct ActiveTask {
    /// Task id (a label on active-task series only).
    pub id: String,
    /// The key of the record it was decoded from, when the memo may know it
    /// ([`crate::memo`]).
    pub(crate) record: Option<RecordKey>,
    /// The polled unit that listed it (kept while that unit cannot be polled).
    pub unit: String,
    /// What it works on (the `resource` label).
    pub resource: String,
    /// Its `type` label.
    pub task_type: String,
    /// `queued`, `running` or `paused`.
    pub state: TaskState,
    /// Start, else enqueue time (unix seconds).
    pub start: Option<f64>,
    /// Progress 0–1.
    pub progress: Option<f64>,
}

impl PartialEq for ActiveTask {
    fn eq(&self, o: &ActiveTask) -> bool {
        let ActiveTask {
            id,
            record: _,
            unit,
            resource,
            task_type,
            state,
            start,
            progress,
        } = self;
        (id, unit, resource, task_type, state, start, progress)
            == (
                &o.id,
                &o.unit,
                &o.resource,
                &o.task_type,
                &o.state,
                &o.start,
                &o.progress,
            )
    }
}

/// The active tasks of a target, by the unit that listed them; each unit's in (resource, type,
/// id) order. Equal when they hold the same tasks, whatever work went into them.
#[derive(Debug, Clone, Default)]
pub struct ActiveTasks {
    by_unit: BTreeMap<String, Vec<ActiveTask>>,
    len: usize,
    /// Tasks moved in or out by [`ActiveTasks::take_unit`] and [`ActiveTasks::set_unit`]: a
    /// test's measure of the work a listing costs.
    pub(crate) moved: u64,
    /// Comparisons made ordering a unit's tasks ([`ActiveTasks::push`],
    /// [`ActiveTasks::set_unit`]): the other half of that measure.
    pub(crate) compared: u64,
}

impl PartialEq for ActiveTasks {
    fn eq(&self, other: &ActiveTasks) -> bool {
        self.by_unit == other.by_unit
    }
}

impl ActiveTasks {
    /// Every active task: unit by unit, each unit's in (resource, type, id) order.
    pub fn iter(&self) -> impl Iterator<Item = &ActiveTask> {
        self.by_unit.values().flatten()
    }

    /// How many tasks are active.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no task is active.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Forgets every active task (a restart keeps none).
    pub fn clear(&mut self) {
        self.by_unit.clear();
        self.len = 0;
    }

    /// Adds one task to its unit's.
    pub fn push(&mut self, t: ActiveTask) {
        let tasks = self.by_unit.entry(t.unit.clone()).or_default();
        tasks.push(t);
        self.compared += sort(tasks);
        self.len += 1;
    }

    /// Takes `unit`'s tasks out.
    pub(crate) fn take_unit(&mut self, unit: &str) -> Vec<ActiveTask> {
        let tasks = self.by_unit.remove(unit).unwrap_or_default();
        self.len -= tasks.len();
        self.moved += tasks.len() as u64;
        tasks
    }

    /// Makes `tasks` the unit's active tasks.
    pub(crate) fn set_unit(&mut self, unit: &str, mut tasks: Vec<ActiveTask>) {
        self.moved += tasks.len() as u64;
        if let Some(old) = self.by_unit.remove(unit) {
            self.len -= old.len();
        }
        if tasks.is_empty() {
            return;
        }
        self.compared += sort(&mut tasks);
        self.len += tasks.len();
        self.by_unit.insert(unit.to_string(), tasks);
    }
}

/// Orders one unit's tasks; returns how many comparisons that took.
fn sort(tasks: &mut [ActiveTask]) -> u64 {
    let mut compared = 0;
    tasks.sort_by(|a, b| {
        compared += 1;
        (&a.resource, &a.task_type, &a.id).cmp(&(&b.resource, &b.task_type, &b.id))
    });
    compared
}

impl<'a> IntoIterator for &'a ActiveTasks {
    type Item = &'a ActiveTask;
    type IntoIter =
        std::iter::Flatten<std::collections::btree_map::Values<'a, String, Vec<ActiveTask>>>;

    fn into_iter(self) -> Self::IntoIter {
        self.by_unit.values().flatten()
    }
}

impl std::ops::Index<usize> for ActiveTasks {
    type Output = ActiveTask;

    /// The `i`th task of [`ActiveTasks::iter`] (for tests and small sets: it walks there).
    fn index(&self, i: usize) -> &ActiveTask {
        self.iter()
            .nth(i)
            .unwrap_or_else(|| panic!("no active task {i} of {}", self.len))
    }
}
