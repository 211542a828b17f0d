//! Records already accounted as finished, remembered by their bytes (`docs/design.md` "Finished records are read once").
//!
//! Most of what a poll lists is finished tasks it listed before, byte for byte: a backup that
//! ended yesterday is sent again every interval until it leaves `lookback`. Decoding such a
//! record again, parsing its four times, building its task and looking its id up in the
//! seen-set change nothing: the seen-set already holds it as finished, so accounting would
//! count nothing and move nothing. This module lets a listing skip that work.
//!
//! A record is known by a [`RecordKey`]: two independent 64-bit hashes (seeded per process)
//! of the polled unit and the record's exact JSON text; a record whose text changed in any
//! byte (a status, a time, a message, the order of its fields) has another key and is decoded
//! in full. Accounting remembers a key (`RecordMemo::remember`) once the task it decoded
//! to is recorded as finished and carries a time; the listing asks for a page's keys at once
//! ([`Recall`]) and passes over the records it knows. A known record still counts for paging
//! (the page's size, the "no new records" rule) and for the windowed pass's stop rule, by
//! the one time the memo keeps of it ([`Known`]).
//!
//! Why skipping is exact: a remembered key means the task it decoded to was recorded as
//! finished with a time. Its seen-set entry lasts until that time leaves `lookback`; after
//! that, the same bytes carry the same too-old time, which accounting ignores too. Either way
//! the full path would change nothing. Two things a skipped record does not do: it does not
//! claim its id for the poll (a second unit listing the same id later in the poll is
//! accounted as if the first had not), and a listing that shows one id twice with different
//! texts keeps the decoded one. Both need an API that lists one task twice in one poll.
//!
//! Records of active tasks are known too, for as long as their task stays in its unit's
//! active set (`docs/design.md` "Running records unchanged"): a backup that runs through a
//! nightly window is listed every poll with the same bytes until its progress moves. The
//! memo keeps such a record's key with the task's id and the earliest and latest times it
//! carries ([`ActiveRecord`]); a listing passes it over as a [`Known`] with those, and
//! accounting keeps the unit's active task that record made, as it was. Accounting keeps
//! this exact: it remembers an active record when its task enters the unit's active set
//! with a time, and forgets it when the task leaves the set (a listing without it, another
//! record of it); a reload that may read the same bytes otherwise forgets them all
//! (`RecordMemo::forget_all_active`). A record without any time is never remembered.
//!
//! Entries go when their record has not been listed for `lookback` (every record inside it
//! is listed at least every `reconcile_interval`, which is at most `lookback`); the memo
//! lives in the account, so a new or restored account starts without one. An entry is 24
//! bytes, about 50 a finished task with the hash table's slack.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::{Arc, LazyLock};

use jiff::Timestamp;

/// A record's identity: the polled unit and the record's exact JSON text, hashed twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RecordKey {
    key: u64,
    check: u32,
}

/// Two hash states seeded per process: a collision needs both to collide (96 bits).
static STATES: LazyLock<[foldhash::fast::RandomState; 2]> = LazyLock::new(Default::default);

impl RecordKey {
    /// The key of `record` (its JSON text, as text or as bytes: the same key) as listed for
    /// `unit`.
    pub fn of(unit: &str, record: impl AsRef<[u8]>) -> RecordKey {
        let [a, b] = &*STATES;
        let record = record.as_ref();
        RecordKey {
            key: a.hash_one((unit, record)),
            check: b.hash_one(record) as u32,
        }
    }

    /// The key's first hash: what a listing de-duplicates known records by.
    pub(crate) fn id(self) -> u64 {
        self.key
    }
}

/// What the memo knows of a record: the one time paging needs, and for an active task's
/// record what its listing and accounting need of the task.
#[derive(Debug, Clone, PartialEq)]
pub struct Recalled {
    /// Where a newest-first list places it (`Task::order_time`: its creation time, else its
    /// start, else its latest time).
    pub order: Option<Timestamp>,
    /// `None` for a finished task's record; the task for an active one's (boxed: most
    /// records known are finished ones, and a page's answers are moved about).
    pub active: Option<Box<ActiveRecord>>,
}

impl Recalled {
    /// A finished task's record placed at `order`.
    pub fn finished(order: Option<Timestamp>) -> Recalled {
        Recalled {
            order,
            active: None,
        }
    }
}

/// What the memo keeps of an active task's record besides its key.
#[derive(Debug, Clone, PartialEq)]
pub struct ActiveRecord {
    /// The task's id.
    pub id: String,
    /// The earliest time the record carries (`Task::earliest_timestamp`).
    pub earliest: Timestamp,
    /// The latest time it carries (`Task::latest_timestamp`).
    pub latest: Timestamp,
}

/// What a listing learns of a record it skipped: where it stood on its page and what the
/// memo knows of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Known {
    /// Understood tasks before it on its page.
    pub at: usize,
    /// Its key.
    pub key: RecordKey,
    /// Where a newest-first list places it (`Task::order_time`: its creation time, else its
    /// start, else its latest time).
    pub order: Option<Timestamp>,
    /// The task, when the record is an active task's.
    pub active: Option<Box<ActiveRecord>>,
}

/// Asks which of a page's records are known: for each key, what the memo knows of the
/// record when it is. Backed by the target's account, locked once a page (and once for each
/// record whose bounds a [`Layouts`] guessed).
#[derive(Clone)]
pub struct Recall {
    f: Arc<RecallFn>,
    layouts: Option<(Arc<Layouts>, u64)>,
    /// Active tasks' records are known too (see [`Recall::finished_only`]).
    active: bool,
}

type RecallFn = dyn Fn(&[RecordKey]) -> Vec<Option<Recalled>> + Send + Sync;

impl Recall {
    /// A memo answering with `f`.
    pub fn new(
        f: impl Fn(&[RecordKey]) -> Vec<Option<Recalled>> + Send + Sync + 'static,
    ) -> Recall {
        Recall {
            f: Arc::new(f),
            layouts: None,
            active: true,
        }
    }

    /// The same memo, with where each unit's records stood at its last listing, for the
    /// poll numbered `poll`.
    pub fn with_layouts(self, layouts: Arc<Layouts>, poll: u64) -> Recall {
        Recall {
            layouts: Some((layouts, poll)),
            ..self
        }
    }

    /// The same memo knowing finished tasks' records only: for a listing whose active
    /// tasks take more than their records (a progress read from another call).
    pub(crate) fn finished_only(&self) -> Recall {
        Recall {
            active: false,
            ..self.clone()
        }
    }

    /// For each key, what the memo knows of the record, `None` when it does not know it.
    pub(crate) fn ask(&self, keys: &[RecordKey]) -> Vec<Option<Recalled>> {
        let mut known = (self.f)(keys);
        if !self.active {
            for k in &mut known {
                if k.as_ref().is_some_and(|k| k.active.is_some()) {
                    *k = None;
                }
            }
        }
        known
    }

    /// The lengths of `unit`'s records on its first page at its last listing, when this is
    /// its first page of the poll.
    pub(crate) fn layout(&self, unit: &str) -> Option<Vec<u32>> {
        let (layouts, poll) = self.layouts.as_ref()?;
        layouts.get(unit, *poll)
    }

    /// Notes the lengths of `unit`'s records on a page: kept when it is the unit's first
    /// page of the poll.
    pub(crate) fn place(&self, unit: &str, lens: impl FnOnce() -> Vec<u32>) {
        if let Some((layouts, poll)) = &self.layouts {
            layouts.put(unit, *poll, lens);
        }
    }
}

/// Where the records stood on each unit's first page at its last listing: their lengths in
/// bytes. A finished record is listed again byte for byte, usually where it stood, shifted
/// by the records that arrived since; so a listing can try a known record's bounds from
/// here before reading it (`provider::records`). A guess stands only when the memo knows the
/// text it bounds, and a known text is a whole JSON value: a wrong guess costs a look-up,
/// never a wrong record. Four bytes a record on a unit's first page; a unit not polled any
/// more goes at the next poll ([`Layouts::retain`]).
#[derive(Debug, Default)]
pub struct Layouts(std::sync::Mutex<foldhash::HashMap<String, (u64, Vec<u32>)>>);

impl Layouts {
    fn lock(&self) -> std::sync::MutexGuard<'_, foldhash::HashMap<String, (u64, Vec<u32>)>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `unit`'s lengths from a poll before `poll`; `None` once it was placed in `poll` (a
    /// later page of it is being read).
    fn get(&self, unit: &str, poll: u64) -> Option<Vec<u32>> {
        self.lock()
            .get(unit)
            .filter(|(at, _)| *at != poll)
            .map(|(_, lens)| lens.clone())
    }

    /// Keeps `unit`'s lengths unless it was placed in `poll` already.
    fn put(&self, unit: &str, poll: u64, lens: impl FnOnce() -> Vec<u32>) {
        let mut units = self.lock();
        match units.get_mut(unit) {
            Some((at, _)) if *at == poll => {}
            Some(entry) => *entry = (poll, lens()),
            None => {
                units.insert(unit.to_string(), (poll, lens()));
            }
        }
    }

    /// Forgets the units that are not in `units` (the units of a poll: once they were placed,
    /// any other unit makes the map larger than the list).
    pub fn retain(&self, units: &[String]) {
        let mut placed = self.lock();
        if placed.len() > units.len() {
            let keep: foldhash::HashSet<&String> = units.iter().collect();
            placed.retain(|u, _| keep.contains(u));
        }
    }
}

impl std::fmt::Debug for Recall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Recall")
    }
}

/// No order time.
const NO_ORDER: i64 = i64::MIN;

#[derive(Debug, Clone, Copy, PartialEq)]
struct Entry {
    check: u32,
    /// When a listing last showed it (unix seconds).
    listed: u32,
    /// Order time in nanoseconds, [`NO_ORDER`] for none.
    order: i64,
}

/// An active task's record: its entry and the task.
#[derive(Debug, Clone, PartialEq)]
struct ActiveEntry {
    entry: Entry,
    task: Box<ActiveRecord>,
}

/// The keys of the records accounted as finished, and of active tasks' records unchanged
/// since their task entered its unit's active set (see the module documentation).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordMemo {
    entries: HashMap<u64, Entry, foldhash::fast::RandomState>,
    active: HashMap<u64, ActiveEntry, foldhash::fast::RandomState>,
}

impl RecordMemo {
    /// Remembers the record of a task recorded as finished, with its order time, listed at
    /// `now_s`.
    pub(crate) fn remember(&mut self, key: RecordKey, order: Option<Timestamp>, now_s: f64) {
        self.entries.insert(key.key, Entry::new(key, order, now_s));
    }

    /// Remembers the record of a task that entered its unit's active set, with its order
    /// time, listed at `now_s`: until [`RecordMemo::forget_active`], a listing passes it
    /// over and accounting keeps the task as it was.
    pub(crate) fn remember_active(
        &mut self,
        key: RecordKey,
        order: Option<Timestamp>,
        task: ActiveRecord,
        now_s: f64,
    ) {
        let entry = Entry::new(key, order, now_s);
        let task = Box::new(task);
        self.active.insert(key.key, ActiveEntry { entry, task });
    }

    /// Forgets an active task's record: its task left its unit's active set.
    pub(crate) fn forget_active(&mut self, key: RecordKey) {
        if self
            .active
            .get(&key.key)
            .is_some_and(|a| a.entry.check == key.check)
        {
            self.active.remove(&key.key);
        }
    }

    /// Forgets every active task's record (a reload may read the same bytes otherwise).
    pub(crate) fn forget_all_active(&mut self) {
        self.active.clear();
    }

    /// For each key, what the memo knows of the record (and notes it listed at `now_s`);
    /// `None` when it knows nothing.
    pub(crate) fn recall(&mut self, keys: &[RecordKey], now_s: f64) -> Vec<Option<Recalled>> {
        let listed = secs(now_s);
        keys.iter()
            .map(|k| {
                if let Some(e) = self.entries.get_mut(&k.key).filter(|e| e.check == k.check) {
                    e.listed = listed;
                    return Some(Recalled::finished(e.order()));
                }
                let a = self
                    .active
                    .get_mut(&k.key)
                    .filter(|a| a.entry.check == k.check)?;
                a.entry.listed = listed;
                Some(Recalled {
                    order: a.entry.order(),
                    active: Some(a.task.clone()),
                })
            })
            .collect()
    }

    /// Forgets the records not listed since `horizon` (unix seconds).
    pub(crate) fn forget_before(&mut self, horizon: f64) {
        let horizon = secs(horizon);
        self.entries.retain(|_, e| e.listed >= horizon);
        self.active.retain(|_, a| a.entry.listed >= horizon);
    }

    /// Finished tasks' records remembered.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// No finished task's record remembered.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Active tasks' records remembered.
    pub fn active_len(&self) -> usize {
        self.active.len()
    }
}

impl Entry {
    fn new(key: RecordKey, order: Option<Timestamp>, now_s: f64) -> Entry {
        let order = order.map_or(NO_ORDER, |t| {
            t.as_nanosecond()
                .clamp(i128::from(NO_ORDER) + 1, i128::from(i64::MAX)) as i64
        });
        Entry {
            check: key.check,
            listed: secs(now_s),
            order,
        }
    }

    fn order(&self) -> Option<Timestamp> {
        (self.order != NO_ORDER)
            .then(|| Timestamp::from_nanosecond(i128::from(self.order)).ok())
            .flatten()
    }
}

/// Unix seconds as stored: saturating, so a clock before 1970 or after 2106 keeps order.
fn secs(s: f64) -> u32 {
    s.clamp(0.0, f64::from(u32::MAX)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn a_key_is_the_unit_and_every_byte_of_the_record() {
        let r = r#"{"id":"1","status":"OK"}"#;
        assert_eq!(RecordKey::of("vm1", r), RecordKey::of("vm1", r));
        assert_ne!(RecordKey::of("vm1", r), RecordKey::of("vm2", r));
        assert_ne!(
            RecordKey::of("vm1", r),
            RecordKey::of("vm1", r#"{"id":"1","status":"OK" }"#)
        );
        // The unit and the record do not run together.
        assert_ne!(RecordKey::of("ab", "c"), RecordKey::of("a", "bc"));
    }

    #[test]
    fn recall_knows_remembered_keys_with_their_order_and_both_hashes() {
        let mut m = RecordMemo::default();
        let a = RecordKey::of("u", "a");
        let b = RecordKey::of("u", "b");
        let at = ts("2024-05-01T12:00:00.123456789Z");
        m.remember(a, Some(at), 1000.0);
        m.remember(b, None, 1000.0);
        let c = RecordKey::of("u", "c");
        let forged = RecordKey {
            key: a.key,
            check: a.check ^ 1,
        };
        assert_eq!(
            m.recall(&[a, b, c, forged], 1000.0),
            [
                Some(Recalled::finished(Some(at))),
                Some(Recalled::finished(None)),
                None,
                None
            ]
        );
    }

    #[test]
    fn records_not_listed_since_the_horizon_are_forgotten() {
        let mut m = RecordMemo::default();
        let (a, b) = (RecordKey::of("u", "a"), RecordKey::of("u", "b"));
        m.remember(a, None, 100.0);
        m.remember(b, None, 100.0);
        // Listing `a` again keeps it.
        assert_eq!(m.recall(&[a], 500.0), [Some(Recalled::finished(None))]);
        m.forget_before(200.0);
        assert_eq!(m.len(), 1);
        assert_eq!(
            m.recall(&[a, b], 600.0),
            [Some(Recalled::finished(None)), None]
        );
    }
}
