//! De-duplication and stop rules shared by every paging loop (`docs/providers.md` "What every
//! provider shares"), and the stop rule of windowed passes: between full passes a listing ends as soon
//! as it has caught up with what the exporter already knows ([`Window`]).

use std::collections::HashSet;
use std::fmt;

use jiff::Timestamp;

use super::plugin::{PollContext, Window};

use super::records::Records;
use crate::memo::{ActiveRecord, Known, RecordKey};
use crate::model::{IdMap, IdSet, InvalidTask, Listing, Paging, Task};

/// The stop rules every paged listing shares (`docs/providers.md` "What every provider shares"), whatever
/// it lists: a listing ends on an empty page, on a short page (offset paging) or one without
/// a next token (token paging), once the distinct records seen reach the API's total, on a
/// page that brings no new ids, and after `max_pages` pages (logged: the rest of the list was
/// not read). Providers only build each page's request; [`Pager`] (tasks) and [`IdPager`]
/// (discovered units) ask this where the listing goes next.
#[derive(Debug)]
struct Stop {
    what: String,
    max_pages: u32,
    pages: u32,
    /// Records read so far, understood or not: the next page's offset.
    offset: u64,
}

impl Stop {
    fn new(what: String, max_pages: u32) -> Stop {
        Stop {
            what,
            max_pages: max_pages.max(1),
            pages: 0,
            offset: 0,
        }
    }

    /// Notes a page of `raw` records, `new` of them not seen before (`seen` distinct ones so
    /// far), after which the API says it may have more (`more`: a full page, a next token),
    /// out of `total` records where it says how many. True when the listing goes on.
    fn goes_on(
        &mut self,
        raw: usize,
        new: usize,
        seen: usize,
        more: bool,
        total: Option<u64>,
    ) -> bool {
        self.pages += 1;
        self.offset += raw as u64;
        if raw == 0 || new == 0 || !more || total.is_some_and(|t| seen as u64 >= t) {
            return false;
        }
        if self.pages >= self.max_pages {
            tracing::warn!(call = %self.what, max_pages = self.max_pages, "Stopped paging at max_pages; the rest of the list was not read.");
            return false;
        }
        true
    }
}

/// Collects the tasks (and the records it could not understand) of one unit across pages.
///
/// A listing ends by the shared stop rules (`Pager::next_offset`, `Pager::next_token`),
/// on a page that brings no new ids (the ids of invalid records count too, and an id-less
/// one counts by its `Records::unnamed` key, so a page of unreadable records is new the
/// first time and ends the listing when served again), and when the poll's task budget is
/// spent (the listing then fails: see `super::budget`). A task seen twice keeps its
/// terminal version if either is terminal, else the later one.
///
/// On a windowed pass (`Pager::for_poll` with a [`Window`]) the listing also ends after a
/// page whose last (oldest) task is already known as finished (or older than `lookback`,
/// which accounting ignores) and was created before the watermark, once every task that was
/// active at the unit's last listing has been seen again, and only while the list is newest
/// first: its creation times never rose so far in this listing, and did not on the unit's
/// latest full pass. Everything after such a page is older than a task the exporter already
/// knew when it was listed, by more than the margin, and so was listed then too; a late
/// change to such an old task is caught by the next full pass.
/// Every listing checks the order (`Paging::newest_first`) for the next ones.
pub struct Pager {
    stop: Stop,
    over_budget: bool,
    index: IdMap<usize>,
    tasks: Vec<Task>,
    invalid_ids: IdSet,
    unnamed: HashSet<u64>,
    /// The keys of the known records passed over (`records::decode_page`).
    known: HashSet<u64, foldhash::fast::RandomState>,
    /// The known records of active tasks among them (`Listing::still_active`).
    still_active: Vec<(RecordKey, ActiveRecord)>,
    invalid: Vec<InvalidTask>,
    window: Option<Window>,
    since: Timestamp,
    unseen_active: IdSet,
    newest_first: bool,
    last_created: Option<Timestamp>,
    caught_up: bool,
}

impl fmt::Debug for Pager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pager")
            .field("what", &self.stop.what)
            .field("pages", &self.stop.pages)
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
            stop: Stop::new(what.into(), max_pages),
            over_budget: false,
            index: IdMap::default(),
            tasks: Vec::new(),
            invalid_ids: IdSet::default(),
            unnamed: HashSet::new(),
            known: HashSet::default(),
            still_active: Vec::new(),
            invalid: Vec::new(),
            window: None,
            since: Timestamp::MIN,
            unseen_active: IdSet::default(),
            newest_first: true,
            last_created: None,
            caught_up: false,
        }
    }

    /// A pager for the call `what` in the poll `ctx`: its `max_pages`, and on a windowed pass
    /// its [`Window`] (see the stop rule above).
    pub(crate) fn for_poll(what: impl Into<String>, ctx: &PollContext) -> Pager {
        let mut p = Pager::new(what, ctx.max_pages);
        p.since = ctx.since;
        if let Some(w) = &ctx.window {
            p.unseen_active = w.active.iter().cloned().collect();
            p.window = Some(w.clone());
        }
        p
    }

    /// Adds an offset-paged page, asked with `limit`, after which the API says the list holds
    /// `total` records (where it says). Returns the offset of the next page, or `None` when
    /// the listing ends here.
    pub(crate) fn next_offset(
        &mut self,
        page: Records,
        limit: u32,
        total: Option<u64>,
    ) -> Option<u64> {
        let raw = page.raw;
        let new = self.add_page(page);
        let more = raw >= limit as usize;
        (!self.ends_early() && self.stop.goes_on(raw, new, self.len(), more, total))
            .then_some(self.stop.offset)
    }

    /// Adds a token-paged page after which the API gave `next` (absent or empty on the last
    /// page). Returns the token of the next page, or `None` when the listing ends here.
    pub(crate) fn next_token(&mut self, page: Records, next: Option<String>) -> Option<String> {
        let raw = page.raw;
        let new = self.add_page(page);
        let next = next.filter(|t| !t.is_empty());
        (!self.ends_early()
            && self
                .stop
                .goes_on(raw, new, self.len(), next.is_some(), None))
        .then_some(next)
        .flatten()
    }

    /// Adds a page; returns how many ids it brought (of tasks or invalid records) that were
    /// not seen before. A list read in one request is one page; paged lists go through
    /// `Pager::next_offset` or `Pager::next_token`.
    pub fn add_page(&mut self, page: impl Into<Records>) -> usize {
        let page: Records = page.into();
        if !super::budget::spend_tasks(&self.stop.what, page.raw as u64) {
            self.over_budget = true;
        }
        // Newest first, the page's last task is its oldest: once that one is known ground
        // from before the watermark, so is everything after it. A known finished record (one
        // the memo passed over) is recorded as such, or older than `lookback`; a known active
        // one is no ground (`None`: not settled).
        let last_known = page
            .known
            .last()
            .filter(|k| k.at == page.tasks.len())
            .map(|k| k.order.filter(|_| k.active.is_none()));
        let settled = self.window.as_ref().is_some_and(|w| {
            w.newest_first
                && page.invalid.is_empty()
                && match last_known {
                    Some(order) => order.is_some_and(|c| c < w.watermark),
                    None => page
                        .tasks
                        .last()
                        .is_some_and(|t| boundary(w, self.since, t)),
                }
        });
        let mut new = 0;
        self.index.reserve(page.tasks.len());
        self.known.reserve(page.known.len());
        let mut known = page.known.into_iter().peekable();
        for (i, t) in page.tasks.into_iter().enumerate() {
            while let Some(k) = known.next_if(|k| k.at <= i) {
                new += self.add_known(k);
            }
            if !self.unseen_active.is_empty() {
                self.unseen_active.remove(&t.id);
            }
            match self.index.get(&t.id) {
                Some(&i) => {
                    if t.terminal || !self.tasks[i].terminal {
                        self.tasks[i] = t;
                    }
                }
                None => {
                    self.check_order(t.created);
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
        for k in known {
            new += self.add_known(k);
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
            tracing::debug!(call = %self.stop.what, pages = self.stop.pages + 1, "Caught up with the tasks already known; stopped paging.");
        }
        new
    }

    /// Notes a known record (see [`crate::memo`]); 1 when it is new to the listing, else 0.
    /// Its order time stands in for a creation time: it is the creation time where the
    /// record has one, and a later time where it has not, which can only find the list out
    /// of order more often, never less.
    fn add_known(&mut self, k: Known) -> usize {
        if !self.known.insert(k.key.id()) {
            return 0;
        }
        self.check_order(k.order);
        if let Some(task) = k.active {
            if !self.unseen_active.is_empty() {
                self.unseen_active.remove(&task.id);
            }
            self.still_active.push((k.key, *task));
        }
        1
    }

    /// Notes a task's creation time in listing order: one later than the one before it
    /// means the list is not newest first.
    fn check_order(&mut self, created: Option<Timestamp>) {
        let Some(created) = created else {
            return;
        };
        if self.last_created.is_some_and(|last| created > last) {
            self.newest_first = false;
        }
        self.last_created = Some(created);
    }

    /// True when the listing ends although the API may have more: a windowed pass caught up
    /// with what is known (see the stop rule above), or the poll's task budget is spent (the
    /// listing then fails: see [`super::budget`]).
    fn ends_early(&self) -> bool {
        self.over_budget || self.caught_up
    }

    /// Distinct records collected so far: tasks and invalid records.
    fn len(&self) -> usize {
        self.tasks.len() + self.invalid.len() + self.known.len()
    }

    /// The de-duplicated tasks in first-seen order, without the invalid records.
    pub fn into_tasks(self) -> Vec<Task> {
        self.tasks
    }

    /// The de-duplicated tasks in first-seen order, and the invalid records whose id did not
    /// turn up as a readable task on another page.
    pub(crate) fn into_listing(mut self) -> Listing {
        // Of two copies of one task, a decoded one and a known active record, the decoded
        // one stands.
        let index = &self.index;
        self.still_active
            .retain(|(_, task)| !index.contains_key(&task.id));
        Listing {
            tasks: self.tasks,
            invalid: self.invalid,
            known: self.known.len(),
            still_active: self.still_active,
            paging: Paging {
                newest_first: self.newest_first,
                caught_up: self.caught_up,
            },
        }
    }
}

/// Collects the ids of discovered units across pages, by the same stop rules as [`Pager`].
#[derive(Debug)]
pub(crate) struct IdPager {
    stop: Stop,
    seen: IdSet,
    ids: Vec<String>,
}

impl IdPager {
    /// A pager for the discovery call `what`, stopping after `max_pages`.
    pub(crate) fn new(what: impl Into<String>, max_pages: u32) -> IdPager {
        IdPager {
            stop: Stop::new(what.into(), max_pages),
            seen: IdSet::default(),
            ids: Vec::new(),
        }
    }

    /// Adds a page of `raw` records, each with its id (records without one are left out)
    /// and whether the unit is wanted (a disabled or deleted resource is listed but not
    /// polled); returns how many ids were new.
    fn add(&mut self, page: impl IntoIterator<Item = (String, bool)>) -> usize {
        let mut new = 0;
        for (id, wanted) in page {
            if id.is_empty() || !self.seen.insert(id.clone()) {
                continue;
            }
            new += 1;
            if wanted {
                self.ids.push(id);
            }
        }
        new
    }

    /// Adds an offset-paged page of `raw` records asked with `limit`, out of `total` where
    /// the API says; the offset of the next page, or `None` when discovery ends here.
    pub(crate) fn next_offset(
        &mut self,
        page: impl IntoIterator<Item = (String, bool)>,
        raw: usize,
        limit: u32,
        total: Option<u64>,
    ) -> Option<u64> {
        let new = self.add(page);
        let more = raw >= limit as usize;
        self.stop
            .goes_on(raw, new, self.seen.len(), more, total)
            .then_some(self.stop.offset)
    }

    /// Adds a token-paged page of `raw` records after which the API gave `next`; the token
    /// of the next page, or `None` when discovery ends here.
    pub(crate) fn next_token(
        &mut self,
        page: impl IntoIterator<Item = (String, bool)>,
        raw: usize,
        next: Option<String>,
    ) -> Option<String> {
        let new = self.add(page);
        let next = next.filter(|t| !t.is_empty());
        self.stop
            .goes_on(raw, new, self.seen.len(), next.is_some(), None)
            .then_some(next)
            .flatten()
    }

    /// The wanted ids, in first-seen order.
    pub(crate) fn into_ids(self) -> Vec<String> {
        self.ids
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
    settled(w, since, t) && t.order_time().is_some_and(|c| c < w.watermark)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

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
            recall: None,
        };
        Pager::for_poll("x", &ctx)
    }

    fn page(tasks: &[(&str, TaskState, &str)]) -> Vec<Task> {
        tasks.iter().map(|(id, st, c)| at(t(id, *st), c)).collect()
    }

    /// Adds a full page after which the API has more; whether the listing ends there.
    fn ends(p: &mut Pager, page: impl Into<Records>) -> bool {
        p.next_token(page.into(), Some("more".into())).is_none()
    }

    /// Records the memo passed over (`records::decode_page`) page as tasks do: new once, in
    /// the newest-first check by their order time, and a page that ends on one known from
    /// before the watermark ends a windowed pass.
    #[test]
    fn known_records_count_for_paging_and_the_window_stop_rule() {
        use crate::memo::{Known, RecordKey};
        use TaskState::Succeeded;
        let k = |text: &str, at: usize, order: &str| Known {
            at,
            key: RecordKey::of("u", text),
            order: Some(order.parse().unwrap()),
            active: None,
        };
        let records = |tasks: Vec<Task>, known: Vec<Known>| Records {
            raw: tasks.len() + known.len(),
            tasks,
            known,
            ..Records::default()
        };
        // New once: the same known record again brings nothing new, and paging ends.
        let mut p = Pager::new("x", 10);
        let first = vec![
            k("a", 0, "2024-05-07T10:00:00Z"),
            k("b", 0, "2024-05-07T09:00:00Z"),
        ];
        assert_eq!(p.add_page(records(vec![], first)), 2);
        let again = records(vec![], vec![k("a", 0, "2024-05-07T10:00:00Z")]);
        assert_eq!(p.next_token(again, Some("more".into())), None);
        let l = p.into_listing();
        assert_eq!((l.known, l.tasks.len()), (2, 0));
        assert!(l.paging.newest_first);
        // Its order time sits among the tasks' creation times: here it is later.
        let mut p = Pager::new("x", 10);
        p.add_page(records(
            page(&[("t", Succeeded, "2024-05-07T11:00:00Z")]),
            vec![k("c", 1, "2024-05-07T12:00:00Z")],
        ));
        assert!(!p.into_listing().paging.newest_first);
        let mut p = Pager::new("x", 10);
        p.add_page(records(
            page(&[("t", Succeeded, "2024-05-07T11:00:00Z")]),
            vec![k("c", 0, "2024-05-07T12:00:00Z")],
        ));
        assert!(p.into_listing().paging.newest_first);
        // A windowed pass ends on a page whose last record is known from before the
        // watermark (11:30)…
        let mut p = windowed(&[], &[], true);
        assert!(ends(
            &mut p,
            records(
                page(&[("n", Succeeded, "2024-05-07T12:00:00Z")]),
                vec![k("d", 1, "2024-05-07T11:00:00Z")],
            )
        ));
        assert!(p.into_listing().paging.caught_up);
        // …not on one known from within the margin…
        let mut p = windowed(&[], &[], true);
        assert!(!ends(
            &mut p,
            records(
                page(&[("n", Succeeded, "2024-05-07T12:00:00Z")]),
                vec![k("e", 1, "2024-05-07T11:45:00Z")],
            )
        ));
        // …nor on a new task after a known one.
        let mut p = windowed(&[], &[], true);
        assert!(!ends(
            &mut p,
            records(
                page(&[("n", Succeeded, "2024-05-07T11:00:00Z")]),
                vec![k("f", 0, "2024-05-07T12:00:00Z")],
            )
        ));
    }

    /// A known active task's record (the memo passed it over, unchanged since the unit's
    /// last listing) is that task seen again, for the windowed stop rule, but no known
    /// ground to stop on; of a decoded copy of the same task and it, the decoded one stands.
    #[test]
    fn a_known_active_record_is_its_task_seen_again_not_ground() {
        use crate::memo::{ActiveRecord, Known, RecordKey};
        use TaskState::Succeeded;
        let old = "2024-05-07T11:00:00Z";
        let running = |id: &str, at: usize| Known {
            at,
            key: RecordKey::of("u", id),
            order: Some(old.parse().unwrap()),
            active: Some(Box::new(ActiveRecord {
                id: id.to_string(),
                earliest: old.parse().unwrap(),
                latest: old.parse().unwrap(),
            })),
        };
        let records = |tasks: Vec<Task>, known: Vec<Known>| Records {
            raw: tasks.len() + known.len(),
            tasks,
            known,
            ..Records::default()
        };
        // The page ends on a known finished task from before the watermark; the task active
        // at the last listing is seen again as its passed-over record: caught up.
        let mut p = windowed(&["k1"], &["r1"], true);
        let tasks = page(&[
            ("n1", Succeeded, "2024-05-07T12:00:00Z"),
            ("k1", Succeeded, old),
        ]);
        assert!(ends(&mut p, records(tasks, vec![running("r1", 1)])));
        let l = p.into_listing();
        assert!(l.paging.caught_up);
        assert_eq!(l.still_active.len(), 1);
        assert_eq!(l.still_active[0].1.id, "r1");
        // A page ending on a known active record, created before the watermark, is no
        // ground: the listing goes on.
        let mut p = windowed(&[], &["r1"], true);
        let tasks = page(&[("n1", Succeeded, "2024-05-07T12:00:00Z")]);
        assert!(!ends(&mut p, records(tasks, vec![running("r1", 1)])));
        // The same task decoded on a later page (it finished meanwhile): that copy stands.
        let done = page(&[("r1", Succeeded, old)]);
        p.next_token(records(done, vec![]), None);
        let l = p.into_listing();
        assert!(l.still_active.is_empty());
        assert_eq!(l.tasks.len(), 2);
    }

    #[test]
    fn a_windowed_pass_stops_after_a_page_that_ends_on_known_ground() {
        use TaskState::{Running, Succeeded};
        // New tasks at the head, a known one last: the rest is older, hence known.
        let mut p = windowed(&["k1", "k2", "k3"], &[], true);
        assert!(
            ends(
                &mut p,
                page(&[
                    ("n1", Succeeded, "2024-05-07T12:00:00Z"),
                    ("k1", Succeeded, "2024-05-07T11:00:00Z"),
                ])
            ),
            "the page ends on a known task"
        );
        let l = p.into_listing();
        assert!(l.paging.caught_up && l.paging.newest_first);
        // A known task created after the watermark is no boundary: a task the API shows
        // late, or created in the same second, may follow it.
        let mut p = windowed(&["k0", "k1"], &[], true);
        assert!(
            !ends(
                &mut p,
                page(&[
                    ("n1", Succeeded, "2024-05-07T12:00:00Z"),
                    ("k0", Succeeded, "2024-05-07T11:45:00Z"),
                ])
            ),
            "the page ends on a known task within the margin"
        );
        // A page whose last task is new reads on.
        let mut p = windowed(&["k1", "k2", "k3"], &[], true);
        assert!(
            !ends(
                &mut p,
                page(&[
                    ("n2", Succeeded, "2024-05-07T13:00:00Z"),
                    ("n1", Succeeded, "2024-05-07T12:00:00Z"),
                ])
            ),
            "the page ends on a new task"
        );
        assert!(ends(
            &mut p,
            page(&[
                ("k1", Succeeded, "2024-05-07T11:00:00Z"),
                ("k2", Succeeded, "2024-05-07T10:00:00Z"),
            ])
        ));

        // Not before every task active at the last listing was seen again.
        let mut p = windowed(&["k1", "k2", "k3"], &["r"], true);
        assert!(
            !ends(
                &mut p,
                page(&[
                    ("k1", Succeeded, "2024-05-07T11:00:00Z"),
                    ("k2", Succeeded, "2024-05-07T10:00:00Z"),
                ])
            ),
            "the running task is further down"
        );
        assert!(
            !ends(
                &mut p,
                page(&[
                    ("k3", Succeeded, "2024-05-07T09:30:00Z"),
                    ("r", Running, "2024-05-07T09:00:00Z"),
                ])
            ),
            "a page that ends on an active task"
        );
        // Tasks older than `lookback` settle a page as known ones do.
        assert!(ends(
            &mut p,
            page(&[
                ("o1", Succeeded, "2024-04-01T00:00:00Z"),
                ("o2", Succeeded, "2024-03-01T00:00:00Z"),
            ])
        ));

        // Never on a list not newest first, now or on the last full pass.
        for (newest_first, first) in [
            (false, "2024-05-07T11:00:00Z"),
            (true, "2024-05-07T08:00:00Z"),
        ] {
            let mut p = windowed(&["k1", "k2", "k3"], &[], newest_first);
            let first_page = page(&[
                ("k1", Succeeded, first),
                ("k2", Succeeded, "2024-05-07T10:00:00Z"),
            ]);
            assert!(!ends(&mut p, first_page), "{newest_first} {first}");
            let second_page = page(&[("k3", Succeeded, "2024-05-07T09:00:00Z")]);
            assert!(!ends(&mut p, second_page), "{newest_first} {first}");
            // What this listing saw of the order, for the next ones.
            assert_eq!(p.into_listing().paging.newest_first, !newest_first);
        }
        // A full pass never stops early, and an unreadable record unsettles a page.
        let mut p = Pager::new("x", 10);
        assert!(!ends(
            &mut p,
            page(&[("k1", Succeeded, "2024-05-07T11:00:00Z")])
        ));
        let mut p = windowed(&["k1"], &[], true);
        let unsettled = Records {
            tasks: page(&[("k1", Succeeded, "2024-05-07T11:00:00Z")]),
            invalid: vec![bad(Some("z"))],
            raw: 2,
            unnamed: vec![],
            known: vec![],
        };
        assert!(!ends(&mut p, unsettled));
    }

    /// `n` succeeded tasks with ids from `from`.
    fn tasks(from: usize, n: usize) -> Vec<Task> {
        (from..from + n)
            .map(|i| t(&i.to_string(), TaskState::Succeeded))
            .collect()
    }

    #[test]
    fn offset_paging_ends_on_short_empty_stale_or_counted_pages() {
        // A full page goes on at the next offset; a short one ends the listing.
        let mut p = Pager::new("x", 10);
        assert_eq!(p.next_offset(tasks(0, 3).into(), 3, None), Some(3));
        assert_eq!(p.next_offset(tasks(3, 3).into(), 3, None), Some(6));
        assert_eq!(p.next_offset(tasks(6, 2).into(), 3, None), None);
        // An empty page, or one with nothing new (a list served again), ends it.
        let mut p = Pager::new("x", 10);
        assert_eq!(p.next_offset(tasks(0, 3).into(), 3, None), Some(3));
        assert_eq!(p.next_offset(Vec::new().into(), 3, None), None);
        let mut p = Pager::new("x", 10);
        assert_eq!(p.next_offset(tasks(0, 3).into(), 3, None), Some(3));
        assert_eq!(p.next_offset(tasks(0, 3).into(), 3, None), None);
        // The API's total counts distinct records: a record served twice (the list shifted
        // between requests) does not end the listing early.
        let mut p = Pager::new("x", 10);
        assert_eq!(p.next_offset(tasks(0, 3).into(), 3, Some(6)), Some(3));
        assert_eq!(p.next_offset(tasks(2, 3).into(), 3, Some(6)), Some(6));
        assert_eq!(p.next_offset(tasks(5, 3).into(), 3, Some(6)), None);
        assert_eq!(p.into_listing().tasks.len(), 8);
    }

    #[test]
    fn token_paging_ends_without_a_token_or_anything_new() {
        let mut p = Pager::new("x", 10);
        assert_eq!(
            p.next_token(tasks(0, 2).into(), Some("b".into())),
            Some("b".to_string())
        );
        assert_eq!(p.next_token(tasks(2, 2).into(), Some(String::new())), None);
        let mut p = Pager::new("x", 10);
        assert_eq!(p.next_token(tasks(0, 2).into(), None), None);
        let mut p = Pager::new("x", 10);
        assert!(p.next_token(tasks(0, 2).into(), Some("b".into())).is_some());
        assert_eq!(p.next_token(tasks(0, 2).into(), Some("c".into())), None);
        assert_eq!(p.next_token(Vec::new().into(), Some("d".into())), None);
    }

    #[test]
    fn every_listing_stops_at_max_pages() {
        let mut p = Pager::new("x", 2);
        assert!(p.next_token(tasks(0, 2).into(), Some("b".into())).is_some());
        assert_eq!(p.next_token(tasks(2, 2).into(), Some("c".into())), None);
        let mut p = Pager::new("x", 2);
        assert!(p.next_offset(tasks(0, 2).into(), 2, None).is_some());
        assert_eq!(p.next_offset(tasks(2, 2).into(), 2, None), None);
        assert_eq!(p.into_listing().tasks.len(), 4);
        // Discovery too, for either paging style.
        let page = |from: usize| (from..from + 2).map(|i| (format!("u{i}"), true));
        let mut d = IdPager::new("d", 2);
        assert_eq!(d.next_offset(page(0), 2, 2, None), Some(2));
        assert_eq!(d.next_offset(page(2), 2, 2, None), None);
        assert_eq!(d.into_ids(), ["u0", "u1", "u2", "u3"]);
        let mut d = IdPager::new("d", 2);
        assert!(d.next_token(page(0), 2, Some("b".into())).is_some());
        assert_eq!(d.next_token(page(2), 2, Some("c".into())), None);
    }

    #[test]
    fn discovery_keeps_wanted_ids_once_and_counts_every_id_as_new() {
        let mut d = IdPager::new("d", 10);
        let first = vec![
            ("a".into(), true),
            ("b".into(), false),
            (String::new(), true),
        ];
        assert_eq!(
            d.next_token(first, 3, Some("t".into())),
            Some("t".to_string())
        );
        // Only ids already seen (wanted or not): nothing new, the listing ends.
        let again = vec![("b".to_string(), false), ("a".to_string(), true)];
        assert_eq!(d.next_token(again, 2, Some("u".into())), None);
        assert_eq!(d.into_ids(), ["a"]);
        // The total counts distinct ids.
        let mut d = IdPager::new("d", 10);
        let page = vec![("a".to_string(), true), ("b".to_string(), true)];
        assert_eq!(d.next_offset(page, 2, 2, Some(2)), None);
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
            known: vec![],
        };
        assert_eq!(p.add_page(first), 4);
        // The same unreadable records again: nothing new, so paging stops.
        let again = Records {
            tasks: vec![],
            invalid: vec![bad(Some("2")), bad(Some("3")), bad(None)],
            raw: 3,
            unnamed: vec![42],
            known: vec![],
        };
        assert_eq!(p.add_page(again), 0);
        // Another id-less record is new.
        let other = Records {
            tasks: vec![],
            invalid: vec![bad(None)],
            raw: 1,
            unnamed: vec![7],
            known: vec![],
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
