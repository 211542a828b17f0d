//! De-duplication and stop rules shared by every paging loop (SPEC §5 "Paging must be
//! robust"), and the stop rule of windowed passes: between full passes a listing ends as soon
//! as it has caught up with what the exporter already knows ([`Window`]).

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use jiff::Timestamp;

use super::{PollContext, Records};
use crate::model::{InvalidTask, Listing, Paging, Task};

/// Whether a task id is already known as finished (counted or baselined). Backed by the
/// target's seen-set, locked for each question, never copied.
pub type KnownTerminal = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// What a windowed pass of one unit knows from the unit's earlier listings. A poll without
/// one ([`PollContext::window`] `None`) is a full pass over the whole `lookback` window.
#[derive(Clone)]
pub struct Window {
    /// Where a server-side time filter starts (CBR `start_time`, DMS `begin_time`) instead of
    /// `now − lookback`: at or before the earliest time of each task that was active at the
    /// unit's last listing, and a margin before that listing began.
    pub watermark: Timestamp,
    /// Ids of the unit's tasks that were active at its last listing: the listing reads on
    /// until it has seen each of them again, so that the unit's active set stays complete.
    pub active: Arc<HashSet<String>>,
    /// Whether an id is already known as finished.
    pub known_terminal: KnownTerminal,
    /// The unit's list came newest first on its latest full pass (and every listing since):
    /// only then may the listing stop early.
    pub newest_first: bool,
}

impl fmt::Debug for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Window")
            .field("watermark", &self.watermark)
            .field("active", &self.active.len())
            .field("newest_first", &self.newest_first)
            .finish_non_exhaustive()
    }
}

/// Collects the tasks (and the records it could not understand) of one unit across pages.
///
/// A poll ends on an empty or short page, a missing next token (the provider's loop decides
/// those, counting raw records, understood or not), `max_pages`, the poll's task budget, or
/// a page that brings no new ids ([`Pager::add_page`] returns 0 new; the ids of invalid
/// records count too, and an id-less one counts by its [`Records::unnamed`] key, so a page of
/// unreadable records is new the first time and ends the listing when served again).
/// A task seen twice keeps its terminal version if either is terminal, else the later one.
///
/// On a windowed pass ([`Pager::for_poll`] with a [`Window`]) the listing also ends after a
/// page whose last (oldest) task is already known as finished (or older than `lookback`,
/// which accounting ignores) and was created before the watermark, once every task that was
/// active at the unit's last listing has been seen again, and only while the list is newest
/// first: its creation times never rose so far in this listing, and did not on the unit's
/// latest full pass. Everything after such a page is older than a task the exporter already
/// knew when it was listed, by more than the margin, and so was listed then too; a late
/// change to such an old task is caught by the next full pass.
/// Every listing checks the order ([`Paging::newest_first`]) for the next ones.
pub struct Pager {
    what: String,
    max_pages: u32,
    pages: u32,
    over_budget: bool,
    index: HashMap<String, usize>,
    tasks: Vec<Task>,
    invalid_ids: HashSet<String>,
    unnamed: HashSet<u64>,
    invalid: Vec<InvalidTask>,
    window: Option<Window>,
    since: Timestamp,
    unseen_active: HashSet<String>,
    newest_first: bool,
    last_created: Option<Timestamp>,
    caught_up: bool,
}

impl fmt::Debug for Pager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pager")
            .field("what", &self.what)
            .field("pages", &self.pages)
            .field("tasks", &self.tasks.len())
            .field("invalid", &self.invalid.len())
            .field("window", &self.window)
            .field("newest_first", &self.newest_first)
            .field("caught_up", &self.caught_up)
            .finish_non_exhaustive()
    }
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
            invalid_ids: HashSet::new(),
            unnamed: HashSet::new(),
            invalid: Vec::new(),
            window: None,
            since: Timestamp::MIN,
            unseen_active: HashSet::new(),
            newest_first: true,
            last_created: None,
            caught_up: false,
        }
    }

    /// A pager for the call `what` in the poll `ctx`: its `max_pages`, and on a windowed pass
    /// its [`Window`] (see the stop rule above).
    pub fn for_poll(what: impl Into<String>, ctx: &PollContext) -> Pager {
        let mut p = Pager::new(what, ctx.max_pages);
        p.since = ctx.since;
        if let Some(w) = &ctx.window {
            p.unseen_active = w.active.iter().cloned().collect();
            p.window = Some(w.clone());
        }
        p
    }

    /// Adds a page; returns how many ids it brought (of tasks or invalid records) that were
    /// not seen before.
    pub fn add_page(&mut self, page: impl Into<Records>) -> usize {
        let page: Records = page.into();
        self.pages += 1;
        if !super::budget::spend_tasks(&self.what, page.raw as u64) {
            self.over_budget = true;
        }
        // Newest first, the page's last task is its oldest: once that one is known ground
        // from before the watermark, so is everything after it.
        let settled = self.window.as_ref().is_some_and(|w| {
            w.newest_first
                && page.invalid.is_empty()
                && page
                    .tasks
                    .last()
                    .is_some_and(|t| boundary(w, self.since, t))
        });
        let mut new = 0;
        for t in page.tasks {
            self.unseen_active.remove(&t.id);
            if !self.index.contains_key(&t.id) {
                self.check_order(&t);
            }
            match self.index.get(&t.id) {
                Some(&i) => {
                    if t.terminal || !self.tasks[i].terminal {
                        self.tasks[i] = t;
                    }
                }
                None => {
                    if self.invalid_ids.contains(&t.id) {
                        // Unreadable on an earlier page, readable now: a task after all.
                        self.invalid.retain(|b| b.id.as_ref() != Some(&t.id));
                    } else {
                        new += 1;
                    }
                    self.index.insert(t.id.clone(), self.tasks.len());
                    self.tasks.push(t);
                }
            }
        }
        let mut keys = page.unnamed.into_iter();
        for bad in page.invalid {
            let fresh = match &bad.id {
                Some(id) => !self.index.contains_key(id) && self.invalid_ids.insert(id.clone()),
                // Without its key (a hand-built page), an id-less record is taken as new.
                None => keys.next().is_none_or(|k| self.unnamed.insert(k)),
            };
            if fresh {
                new += 1;
                self.invalid.push(bad);
            }
        }
        if settled && self.newest_first && self.unseen_active.is_empty() {
            self.caught_up = true;
            tracing::debug!(call = %self.what, pages = self.pages, "Caught up with the tasks already known; stopped paging.");
        }
        new
    }

    /// Notes a task's creation time in listing order: one later than the one before it
    /// means the list is not newest first.
    fn check_order(&mut self, t: &Task) {
        let Some(created) = t.created else {
            return;
        };
        if self.last_created.is_some_and(|last| created > last) {
            self.newest_first = false;
        }
        self.last_created = Some(created);
    }

    /// True when the listing should end here although the API may have more: a windowed
    /// pass caught up with what is known (see the stop rule above), `max_pages` pages were
    /// read (logged: the listing was cut), or the poll's task budget is spent (the listing
    /// then fails: see [`super::budget`]).
    pub fn should_stop(&self) -> bool {
        if self.over_budget || self.caught_up {
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

    /// Distinct records collected so far: tasks and invalid records.
    pub fn len(&self) -> usize {
        self.tasks.len() + self.invalid.len()
    }

    /// True when nothing was collected.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The de-duplicated tasks in first-seen order, without the invalid records.
    pub fn into_tasks(self) -> Vec<Task> {
        self.tasks
    }

    /// The de-duplicated tasks in first-seen order, and the invalid records whose id did not
    /// turn up as a readable task on another page.
    pub fn into_listing(self) -> Listing {
        Listing {
            tasks: self.tasks,
            invalid: self.invalid,
            paging: Paging {
                newest_first: self.newest_first,
                caught_up: self.caught_up,
            },
        }
    }
}

/// A task a windowed listing need not look past: finished and already known as such, or
/// older than `since` (accounting ignores it).
fn settled(w: &Window, since: Timestamp, t: &Task) -> bool {
    t.latest_timestamp().is_some_and(|ts| ts < since) || (t.terminal && (w.known_terminal)(&t.id))
}

/// A task after which a newest-first list holds nothing new: settled, and created before the
/// watermark (a margin before the unit's last listing began). A task created since that
/// listing is newer than the watermark, and one the API shows late (or with the same
/// creation time as a known one) is still within the margin, so it cannot hide behind it.
fn boundary(w: &Window, since: Timestamp, t: &Task) -> bool {
    settled(w, since, t)
        && t.created
            .or(t.started)
            .or_else(|| t.latest_timestamp())
            .is_some_and(|c| c < w.watermark)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Mapped, TaskState};

    fn t(id: &str, st: TaskState) -> Task {
        Task::new(id, "r", "backup", "x", Mapped::known(st))
    }

    fn bad(id: Option<&str>) -> InvalidTask {
        InvalidTask {
            id: id.map(str::to_string),
            field: "status",
            detail: "null".into(),
        }
    }

    fn at(t: Task, created: &str) -> Task {
        Task {
            created: Some(created.parse().unwrap()),
            ..t
        }
    }

    /// A windowed pager knowing `known` as finished and `active` as active before.
    fn windowed(known: &'static [&'static str], active: &[&str], newest_first: bool) -> Pager {
        let ctx = PollContext {
            now: "2024-05-08T00:00:00Z".parse().unwrap(),
            since: "2024-05-01T00:00:00Z".parse().unwrap(),
            page_size: 2,
            max_pages: 10,
            window: Some(Window {
                watermark: "2024-05-07T11:30:00Z".parse().unwrap(),
                active: Arc::new(active.iter().map(|s| s.to_string()).collect()),
                known_terminal: Arc::new(move |id: &str| known.contains(&id)),
                newest_first,
            }),
        };
        Pager::for_poll("x", &ctx)
    }

    fn page(tasks: &[(&str, TaskState, &str)]) -> Vec<Task> {
        tasks.iter().map(|(id, st, c)| at(t(id, *st), c)).collect()
    }

    #[test]
    fn a_windowed_pass_stops_after_a_page_that_ends_on_known_ground() {
        use TaskState::{Running, Succeeded};
        // New tasks at the head, a known one last: the rest is older, hence known.
        let mut p = windowed(&["k1", "k2", "k3"], &[], true);
        p.add_page(page(&[
            ("n1", Succeeded, "2024-05-07T12:00:00Z"),
            ("k1", Succeeded, "2024-05-07T11:00:00Z"),
        ]));
        assert!(p.should_stop(), "the page ends on a known task");
        let l = p.into_listing();
        assert!(l.paging.caught_up && l.paging.newest_first);
        // A known task created after the watermark is no boundary: a task the API shows
        // late, or created in the same second, may follow it.
        let mut p = windowed(&["k0", "k1"], &[], true);
        p.add_page(page(&[
            ("n1", Succeeded, "2024-05-07T12:00:00Z"),
            ("k0", Succeeded, "2024-05-07T11:45:00Z"),
        ]));
        assert!(
            !p.should_stop(),
            "the page ends on a known task within the margin"
        );
        // A page whose last task is new reads on.
        let mut p = windowed(&["k1", "k2", "k3"], &[], true);
        p.add_page(page(&[
            ("n2", Succeeded, "2024-05-07T13:00:00Z"),
            ("n1", Succeeded, "2024-05-07T12:00:00Z"),
        ]));
        assert!(!p.should_stop(), "the page ends on a new task");
        p.add_page(page(&[
            ("k1", Succeeded, "2024-05-07T11:00:00Z"),
            ("k2", Succeeded, "2024-05-07T10:00:00Z"),
        ]));
        assert!(p.should_stop());

        // Not before every task active at the last listing was seen again.
        let mut p = windowed(&["k1", "k2", "k3"], &["r"], true);
        p.add_page(page(&[
            ("k1", Succeeded, "2024-05-07T11:00:00Z"),
            ("k2", Succeeded, "2024-05-07T10:00:00Z"),
        ]));
        assert!(!p.should_stop(), "the running task is further down");
        p.add_page(page(&[
            ("k3", Succeeded, "2024-05-07T09:30:00Z"),
            ("r", Running, "2024-05-07T09:00:00Z"),
        ]));
        assert!(!p.should_stop(), "a page that ends on an active task");
        // Tasks older than `lookback` settle a page as known ones do.
        p.add_page(page(&[
            ("o1", Succeeded, "2024-04-01T00:00:00Z"),
            ("o2", Succeeded, "2024-03-01T00:00:00Z"),
        ]));
        assert!(p.should_stop());

        // Never on a list not newest first, now or on the last full pass.
        for (newest_first, first) in [
            (false, "2024-05-07T11:00:00Z"),
            (true, "2024-05-07T08:00:00Z"),
        ] {
            let mut p = windowed(&["k1", "k2", "k3"], &[], newest_first);
            p.add_page(page(&[
                ("k1", Succeeded, first),
                ("k2", Succeeded, "2024-05-07T10:00:00Z"),
            ]));
            p.add_page(page(&[("k3", Succeeded, "2024-05-07T09:00:00Z")]));
            assert!(!p.should_stop(), "{newest_first} {first}");
            // What this listing saw of the order, for the next ones.
            assert_eq!(p.into_listing().paging.newest_first, !newest_first);
        }
        // A full pass never stops early, and an unreadable record unsettles a page.
        let mut p = Pager::new("x", 10);
        p.add_page(page(&[("k1", Succeeded, "2024-05-07T11:00:00Z")]));
        assert!(!p.should_stop());
        let mut p = windowed(&["k1"], &[], true);
        p.add_page(Records {
            tasks: page(&[("k1", Succeeded, "2024-05-07T11:00:00Z")]),
            invalid: vec![bad(Some("z"))],
            raw: 2,
            unnamed: vec![],
        });
        assert!(!p.should_stop());
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
        let out = p.into_listing().tasks;
        assert_eq!(out.len(), 3);
        assert_eq!(out[0].state, TaskState::Succeeded);
    }

    #[test]
    fn invalid_ids_count_as_new_once_and_yield_to_a_readable_copy() {
        let mut p = Pager::new("x", 10);
        let first = Records {
            tasks: vec![t("1", TaskState::Succeeded)],
            invalid: vec![bad(Some("2")), bad(Some("3")), bad(None)],
            raw: 4,
            unnamed: vec![42],
        };
        assert_eq!(p.add_page(first), 4);
        // The same unreadable records again: nothing new, so paging stops.
        let again = Records {
            tasks: vec![],
            invalid: vec![bad(Some("2")), bad(Some("3")), bad(None)],
            raw: 3,
            unnamed: vec![42],
        };
        assert_eq!(p.add_page(again), 0);
        // Another id-less record is new.
        let other = Records {
            tasks: vec![],
            invalid: vec![bad(None)],
            raw: 1,
            unnamed: vec![7],
        };
        assert_eq!(p.add_page(other), 1);
        // Record 3 is readable on a later page: it is a task, not an invalid record.
        assert_eq!(p.add_page(vec![t("3", TaskState::Failed)]), 0);
        assert_eq!(p.len(), 5);
        let out = p.into_listing();
        let ids: Vec<&str> = out.tasks.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["1", "3"]);
        let bad_ids: Vec<Option<&str>> = out.invalid.iter().map(|b| b.id.as_deref()).collect();
        assert_eq!(bad_ids, [Some("2"), None, None]);
    }
}
