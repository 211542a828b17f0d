//! De-duplication and stop rules shared by every paging loop (SPEC §5 "Paging must be robust").

use std::collections::HashMap;

use crate::model::Task;

/// Collects the tasks of one unit across pages.
///
/// A poll ends on an empty or short page, a missing next token (the provider's loop decides
/// those), `max_pages`, the poll's task budget, or a page that brings no new ids
/// ([`Pager::add_page`] returns 0 new).
/// A task seen twice keeps its terminal version if either is terminal, else the later one.
#[derive(Debug)]
pub struct Pager {
    what: String,
    max_pages: u32,
    pages: u32,
    over_budget: bool,
    index: HashMap<String, usize>,
    tasks: Vec<Task>,
}

impl Pager {
    /// A pager for the call `what`, stopping after `max_pages`.
    pub fn new(what: impl Into<String>, max_pages: u32) -> Pager {
        Pager {
            what: what.into(),
            max_pages: max_pages.max(1),
            pages: 0,
            over_budget: false,
            index: HashMap::new(),
            tasks: Vec::new(),
        }
    }

    /// Adds a page; returns how many ids it brought that were not seen before.
    pub fn add_page(&mut self, page: Vec<Task>) -> usize {
        self.pages += 1;
        if !super::budget::spend_tasks(&self.what, page.len() as u64) {
            self.over_budget = true;
        }
        let mut new = 0;
        for t in page {
            match self.index.get(&t.id) {
                Some(&i) => {
                    if t.terminal || !self.tasks[i].terminal {
                        self.tasks[i] = t;
                    }
                }
                None => {
                    self.index.insert(t.id.clone(), self.tasks.len());
                    self.tasks.push(t);
                    new += 1;
                }
            }
        }
        new
    }

    /// True once `max_pages` pages were read (logged: the listing was cut), or the poll's
    /// task budget is spent (the listing then fails: see [`super::budget`]).
    pub fn at_limit(&self) -> bool {
        if self.over_budget {
            return true;
        }
        let hit = self.pages >= self.max_pages;
        if hit {
            tracing::warn!(call = %self.what, max_pages = self.max_pages, "Stopped paging at max_pages; older tasks were not read.");
        }
        hit
    }

    /// Pages read so far.
    pub fn pages(&self) -> u32 {
        self.pages
    }

    /// Tasks collected so far.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// True when no task was collected.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// The de-duplicated tasks, in first-seen order.
    pub fn into_tasks(self) -> Vec<Task> {
        self.tasks
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Mapped, TaskState};

    fn t(id: &str, st: TaskState) -> Task {
        Task::new(id, "r", "backup", "x", Mapped::known(st))
    }

    #[test]
    fn dedupes_and_prefers_terminal() {
        let mut p = Pager::new("x", 10);
        assert_eq!(
            p.add_page(vec![t("1", TaskState::Running), t("2", TaskState::Queued)]),
            2
        );
        assert_eq!(
            p.add_page(vec![
                t("1", TaskState::Succeeded),
                t("3", TaskState::Failed)
            ]),
            1
        );
        assert_eq!(p.add_page(vec![t("1", TaskState::Running)]), 0);
        let out = p.into_tasks();
        assert_eq!(out.len(), 3);
        assert_eq!(out[0].state, TaskState::Succeeded);
    }
}
