//! Per-target task accounting (`docs/design.md` "Exactly-once accounting"): which tasks are active, which completions were
//! counted (each exactly once), durations, last success/failure per resource.
//!
//! [`Account::apply`] takes one poll, unit by unit, and is the only mutator: units listed in
//! full are accounted, units that failed change nothing of their own (`docs/design.md`
//! "Exactly-once accounting", rule 3). It is pure (time comes in as an argument) so that property tests can
//! drive it with arbitrary histories. The baseline (rule 2) is per polled unit, so a newly
//! discovered resource's old tasks are not counted either.
//!
//! The exported part, [`Tallies`], is kept apart from the seen-set so that a snapshot for
//! scraping copies only what the metrics show.

mod active;
pub mod histogram;
mod labels;
mod tallies;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use jiff::Timestamp;

pub use active::{ActiveTask, ActiveTasks};
pub use histogram::HistogramData;
use labels::bounded;
pub(crate) use labels::{MAX_LABEL_BYTES, OTHER_TYPE, bound_label};
pub use tallies::{LastCompletion, Tallies};

use crate::memo::{ActiveRecord, RecordKey, RecordMemo};
use crate::model::{IdMap, InvalidTask, Listing, Task, TaskState};
use crate::timefmt::unix_seconds;
use crate::transition::Transition;

/// What a target's configuration says about accounting.
#[derive(Debug, Clone, Copy)]
pub struct Rules<'a> {
    /// Tasks older than this are ignored and their ids forgotten.
    pub lookback: Duration,
    /// Bounds of the duration histogram.
    pub buckets: &'a [f64],
    /// Distinct task types kept; more fold into `OTHER_TYPE`.
    pub max_task_types: usize,
}

/// Counters are keyed by (resource, type, result).
pub(crate) type CompletionKey = (String, String, TaskState);

/// A target's accounting state, shared by its poll loop, the state-file writer and a reload
/// that hands it to the target's next runner. Locked only for short, synchronous work.
pub(crate) type SharedAccount = Arc<Mutex<Account>>;

/// Locks an account; a poisoned lock (a panic while it was held) still yields the data.
pub fn lock(account: &SharedAccount) -> MutexGuard<'_, Account> {
    account.lock().unwrap_or_else(|e| e.into_inner())
}

/// What the seen-set remembers of a task id.
#[derive(Debug, Clone, PartialEq)]
pub struct Seen {
    /// Recorded as terminal (counted, or baselined).
    pub terminal: bool,
    /// Latest timestamp the task carried (unix seconds), for the lookback rule; for a task
    /// without any timestamp, the latest poll that listed it.
    pub last_ts: f64,
    /// The unknown raw status already counted for this task, if any.
    pub(crate) unknown_counted: Option<String>,
    /// The poll that last listed it ([`Account::begin_poll`]): a task a second unit lists in
    /// the same poll counts for the first only. Not kept in the state file.
    pub(crate) poll: u32,
}

/// A record that could not be understood, for the log (`docs/metrics.md` "Records the exporter cannot read").
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NewInvalid {
    /// The unit whose listing held it.
    pub unit: String,
    pub task: InvalidTask,
}

/// Outcome of one [`Account::apply`], for logs and tests.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApplyReport {
    /// Completions counted by this poll.
    pub counted: u64,
    /// Terminal tasks recorded without counting (baseline).
    pub baselined: u64,
    /// Raw statuses seen for the first time that the mapping does not know.
    pub(crate) new_unknown_statuses: Vec<String>,
    /// Tasks dropped because they are older than `lookback`.
    pub(crate) too_old: u64,
    /// New tasks whose label values were cut to `MAX_LABEL_BYTES`.
    pub truncated: u64,
    /// New tasks whose type folded into [`OTHER_TYPE`].
    pub(crate) folded: u64,
    /// Records that could not be understood, seen for the first time.
    pub(crate) new_invalid: Vec<NewInvalid>,
    /// Task transitions to log: new active tasks, state changes, ends after the baseline.
    pub transitions: Vec<Transition>,
}

/// What one poll brought, unit by unit (`docs/metrics.md` "Up, down, and half down").
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PollResult {
    /// Units listed in full, in poll order, with what they returned.
    pub listed: Vec<(String, Listing)>,
    /// Units whose listing failed: nothing of theirs changes.
    pub failed: Vec<String>,
}

/// All accounting state of one target.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Account {
    /// Units whose first successful poll has happened.
    pub baselined: BTreeSet<String>,
    /// Task ids seen, bounded by `lookback`.
    pub seen: IdMap<Seen>,
    /// Records that could not be understood, already counted: identity → latest poll that
    /// listed it (unix seconds), bounded by `lookback`.
    pub(crate) invalid_seen: IdMap<f64>,
    /// The records of tasks recorded as finished, which listings pass over ([`crate::memo`]).
    pub memo: RecordMemo,
    /// What the metrics show.
    pub tallies: Tallies,
    /// The current poll's number ([`Account::begin_poll`]).
    poll: u32,
    /// After a restore: the history of the pairs the saved state lacked, being rebuilt from
    /// the listings ([`Rebuild`]).
    pub(crate) rebuild: Option<Rebuild>,
}

/// Rebuilds the history of pairs a restored state lacks (a file written before the history
/// existed, an entry that could not be read) from the finished tasks the listings still show,
/// so that the rhythm and usual duration are back after one poll. Nothing is counted again:
/// only the history is written, each task once.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Rebuild {
    /// The pairs the restored history held: theirs is kept as it is.
    kept: BTreeSet<(String, String)>,
    /// Tasks written into a rebuilt history.
    recorded: crate::model::IdSet,
    /// The pairs whose history was rebuilt so far.
    pairs: BTreeSet<(String, String)>,
}

impl Rebuild {
    /// A rebuild of every pair but those `history` holds.
    pub(crate) fn keeping(history: &crate::history::History) -> Rebuild {
        Rebuild {
            kept: history.pairs.keys().cloned().collect(),
            ..Rebuild::default()
        }
    }
}

/// Per-task context of [`Account::note_task`].
struct Noted<'a> {
    before: &'a foldhash::HashMap<&'a str, TaskState>,
    counting: bool,
    truncated: bool,
    folded: bool,
    now_s: f64,
    horizon: f64,
    buckets: &'a [f64],
}

/// The identity of a record that could not be understood: its id, else what is wrong with it.
fn invalid_identity(unit: &str, t: &InvalidTask) -> String {
    match &t.id {
        Some(id) => format!("{unit}\u{1f}{id}"),
        None => format!("{unit}\u{1f}\u{1f}{}\u{1f}{}", t.field, t.detail),
    }
}

impl Account {
    /// An account that knows these types and resources from the start (zero-valued series).
    pub fn new(known_types: &[&str], resources: &[String]) -> Account {
        Account {
            tallies: Tallies {
                types: known_types.iter().map(|s| s.to_string()).collect(),
                resources: resources.iter().cloned().collect(),
                ..Tallies::default()
            },
            ..Account::default()
        }
    }

    /// Applies one poll. Units in `poll.listed` are accounted in full: each new completion
    /// counted once (not for units listed for the first time: the baseline), `last_*`
    /// updated, their active tasks replaced, records that could not be understood counted
    /// once. Units in `poll.failed` change nothing: their active tasks stay as they were.
    /// A task listed by two units counts for the first. Ids older than `lookback` are
    /// forgotten.
    ///
    /// A listing may be partial (a windowed pass reads only the newest part of a list): a
    /// task it leaves out is not gone, its seen entry and `last_*` values stay. Only a listed
    /// unit's active tasks are replaced wholesale, and a partial listing holds each task that
    /// was active at the unit's last listing (the pager reads on until it has seen them).
    /// A task without timestamps is remembered `lookback` after a listing last showed it;
    /// full passes come at least that often (`reconcile_interval` ≤ `lookback`).
    pub fn apply(&mut self, poll: &PollResult, now: Timestamp, rules: &Rules<'_>) -> ApplyReport {
        let mut report = ApplyReport::default();
        self.begin_poll();
        for (unit, listing) in &poll.listed {
            self.apply_unit(unit, listing, now, rules, &mut report);
        }
        self.end_poll(now, rules);
        if poll.failed.is_empty() {
            self.finish_rebuild();
        }
        report
    }

    /// Ends the rebuild of missing histories once every unit has been listed since the
    /// restore (call it after a poll in which none failed); returns the pairs rebuilt.
    pub(crate) fn finish_rebuild(&mut self) -> Vec<(String, String)> {
        self.rebuild
            .take()
            .map(|r| r.pairs.into_iter().collect())
            .unwrap_or_default()
    }

    /// Starts a poll: [`Account::apply_unit`] for each unit listed in full, as each arrives
    /// (so a poll never holds every listing at once), then [`Account::end_poll`].
    pub fn begin_poll(&mut self) {
        self.poll = self.poll.wrapping_add(1);
    }

    /// Applies one unit's whole listing: each new completion counted once (not on the unit's
    /// first listing: the baseline), `last_*` updated, the unit's active tasks replaced,
    /// records that could not be understood counted once. Other units change nothing.
    pub fn apply_unit(
        &mut self,
        unit: &str,
        listing: &Listing,
        now: Timestamp,
        rules: &Rules<'_>,
        report: &mut ApplyReport,
    ) {
        let now_s = unix_seconds(now);
        let horizon = now_s - rules.lookback.as_secs_f64();
        let previous = self.tallies.active.take_unit(unit);
        let mut active: Vec<ActiveTask> = Vec::new();
        // Active tasks decoded with a time: their records are remembered below.
        let mut entered = Vec::new();
        let counting = self.baselined.contains(unit);
        {
            // The unit's previous active states, to report transitions.
            let before: foldhash::HashMap<&str, TaskState> =
                previous.iter().map(|a| (a.id.as_str(), a.state)).collect();
            for task in &listing.tasks {
                let cut = bounded(task);
                let mut task = cut.as_ref().unwrap_or(task);
                let folded = self.fold_type(task, rules.max_task_types);
                if let Some(f) = &folded {
                    task = f;
                }
                let ctx = Noted {
                    before: &before,
                    counting,
                    truncated: cut.is_some(),
                    folded: folded.is_some(),
                    now_s,
                    horizon,
                    buckets: rules.buckets,
                };
                if let Some(a) = self.note_task(unit, task, &ctx, report) {
                    if let (Some(key), Some(earliest), Some(latest)) =
                        (a.record, task.earliest_timestamp(), task.latest_timestamp())
                    {
                        let id = a.id.clone();
                        let record = ActiveRecord {
                            id,
                            earliest,
                            latest,
                        };
                        entered.push((key, task.order_time(), record));
                    }
                    active.push(a);
                }
            }
        }
        let kept = self.keep_still_active(&previous, listing, horizon, report);
        // The memo knows an active record while its task is in the unit's active set.
        for (i, a) in previous.into_iter().enumerate() {
            if kept.get(i).is_some_and(|k| *k) {
                active.push(a);
            } else if let Some(key) = a.record {
                self.memo.forget_active(key);
            }
        }
        for (key, order, record) in entered {
            self.memo.remember_active(key, order, record, now_s);
        }
        for inv in &listing.invalid {
            let identity = invalid_identity(unit, inv);
            if self.invalid_seen.insert(identity, now_s).is_none() {
                *self
                    .tallies
                    .invalid_tasks
                    .entry(inv.field.to_string())
                    .or_insert(0) += 1;
                report.new_invalid.push(NewInvalid {
                    unit: unit.to_string(),
                    task: inv.clone(),
                });
            }
        }
        self.tallies.active.set_unit(unit, active);
        if !self.baselined.contains(unit) {
            self.baselined.insert(unit.to_string());
        }
    }

    /// Which of the unit's `previous` active tasks stay as they were: those whose records a
    /// listing passed over as unchanged (`Listing::still_active`). Each is what decoding
    /// its record again would give: the same task in the same state (no transition),
    /// already counted where it counts, unless its latest time left `lookback` (too old) or
    /// another unit, or a decoded copy, claimed its id earlier in the poll.
    fn keep_still_active(
        &mut self,
        previous: &[ActiveTask],
        listing: &Listing,
        horizon: f64,
        report: &mut ApplyReport,
    ) -> Vec<bool> {
        if listing.still_active.is_empty() {
            return Vec::new();
        }
        let mut kept = vec![false; previous.len()];
        let by_record: foldhash::HashMap<RecordKey, usize> = (previous.iter().enumerate())
            .filter_map(|(i, a)| Some((a.record?, i)))
            .collect();
        for (key, record) in &listing.still_active {
            let Some(&i) = by_record.get(key) else {
                // The memo knows an active record only while its task is in the set. Should
                // that ever not hold, the record is forgotten: the next poll decodes it.
                debug_assert!(false, "an active record without its task: {}", record.id);
                self.memo.forget_active(*key);
                continue;
            };
            let latest = unix_seconds(record.latest);
            if latest < horizon {
                report.too_old += 1;
                continue;
            }
            match self.seen.get_mut(&record.id) {
                Some(s) if s.poll == self.poll => continue,
                Some(s) => {
                    s.poll = self.poll;
                    s.last_ts = s.last_ts.max(latest);
                }
                None => {
                    self.seen.insert(
                        record.id.clone(),
                        Seen {
                            terminal: false,
                            last_ts: latest,
                            unknown_counted: None,
                            poll: self.poll,
                        },
                    );
                }
            }
            kept[i] = true;
        }
        kept
    }

    /// Ends a poll: forgets ids older than `lookback` and pairs that went quiet.
    pub fn end_poll(&mut self, now: Timestamp, rules: &Rules<'_>) {
        let now_s = unix_seconds(now);
        let horizon = now_s - rules.lookback.as_secs_f64();
        self.seen.retain(|_, s| s.last_ts >= horizon);
        self.invalid_seen.retain(|_, t| *t >= horizon);
        self.memo.forget_before(horizon);
        self.tallies
            .history
            .prune(now_s, rules.lookback.as_secs_f64());
        self.tallies.forget_quiet_pairs(horizon);
    }

    /// The task with its type folded into [`OTHER_TYPE`] when the target already knows
    /// `max` types and this is not one of them; `None` when it keeps its type.
    fn fold_type(&self, task: &Task, max: usize) -> Option<Task> {
        let types = &self.tallies.types;
        if types.contains(&task.task_type) || types.len() < max {
            return None;
        }
        let mut t = task.clone();
        t.task_type = OTHER_TYPE.to_string();
        Some(t)
    }

    /// Accounts one task of a listed unit; returns it as an active task when it is one.
    fn note_task(
        &mut self,
        unit: &str,
        task: &Task,
        ctx: &Noted<'_>,
        report: &mut ApplyReport,
    ) -> Option<ActiveTask> {
        let (now_s, horizon, counting, buckets) =
            (ctx.now_s, ctx.horizon, ctx.counting, ctx.buckets);
        let latest = task.latest_timestamp().map(unix_seconds);
        if latest.is_some_and(|t| t < horizon) {
            report.too_old += 1;
            return None;
        }
        // A repeat poll sees the same tasks again: look up before cloning a key.
        let tallies = &mut self.tallies;
        if !tallies.resources.contains(&task.resource) {
            tallies.resources.insert(task.resource.clone());
        }
        if !tallies
            .unit_resources
            .get(unit)
            .is_some_and(|r| r.contains(&task.resource))
        {
            tallies
                .unit_resources
                .entry(unit.to_string())
                .or_default()
                .insert(task.resource.clone());
        }
        if !tallies.types.contains(&task.task_type) {
            tallies.types.insert(task.task_type.clone());
        }
        if task.resource_name.is_some() || task.resource_type.is_some() {
            let name = task.resource_name.as_deref().unwrap_or_default();
            let kind = task.resource_type.as_deref().unwrap_or_default();
            let same = tallies
                .resource_info
                .get(&task.resource)
                .is_some_and(|(n, k)| n == name && k == kind);
            if !same {
                tallies
                    .resource_info
                    .insert(task.resource.clone(), (name.to_string(), kind.to_string()));
            }
        }
        let new = match self.seen.get_mut(&task.id) {
            // Listed by another unit earlier in this poll: it counts there.
            Some(s) if s.poll == self.poll => return None,
            Some(s) => {
                s.poll = self.poll;
                false
            }
            None => true,
        };
        if new {
            if ctx.truncated {
                tallies.truncated_labels += 1;
                report.truncated += 1;
            }
            if ctx.folded {
                tallies.folded_types += 1;
                report.folded += 1;
            }
        }
        if new {
            self.seen.insert(
                task.id.clone(),
                Seen {
                    terminal: false,
                    last_ts: latest.unwrap_or(now_s),
                    unknown_counted: None,
                    poll: self.poll,
                },
            );
        }
        let seen = self.seen.get_mut(&task.id)?;
        // A task without any timestamp is remembered while the API lists it, so that it is
        // never counted again; one with timestamps is forgotten `lookback` after them.
        seen.last_ts = seen.last_ts.max(latest.unwrap_or(now_s));
        if !task.status_known && seen.unknown_counted.as_deref() != Some(task.raw_status.as_str()) {
            seen.unknown_counted = Some(task.raw_status.clone());
            let n = tallies
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
            if let (false, Some(r)) = (first_time, &mut self.rebuild) {
                let pair = (task.resource.clone(), task.task_type.clone());
                if !r.kept.contains(&pair) && r.recorded.insert(task.id.clone()) {
                    tallies.note_history(task, now_s);
                    r.pairs.insert(pair);
                }
            }
            // Its record, unchanged, changes nothing from now on: listings may pass it over.
            if let (Some(key), Some(_)) = (task.record, latest) {
                self.memo.remember(key, task.order_time(), now_s);
            }
            if first_time {
                if counting {
                    report.counted += 1;
                    *tallies
                        .completions
                        .entry((task.resource.clone(), task.task_type.clone(), task.state))
                        .or_insert(0) += 1;
                    if let Some(d) = task.duration_seconds() {
                        tallies
                            .durations
                            .entry((task.task_type.clone(), task.state))
                            .or_insert_with(|| HistogramData::new(buckets))
                            .observe(buckets, d);
                    }
                } else {
                    report.baselined += 1;
                }
                if counting {
                    let from = match ctx.before.get(task.id.as_str()) {
                        Some(st) => st.as_label(),
                        None if !new => "active",
                        None => "new",
                    };
                    report.transitions.push(Transition::of(task, from));
                }
                tallies.note_history(task, now_s);
                // Seeing the same finished task again changes nothing of `last_*`.
                tallies.note_last(task);
            }
            None
        } else if task.state.is_active() {
            let prev = ctx.before.get(task.id.as_str()).copied();
            if new || prev.is_some_and(|p| p != task.state) {
                let from = prev.map_or("new", TaskState::as_label);
                report.transitions.push(Transition::of(task, from));
            }
            Some(ActiveTask {
                id: task.id.clone(),
                record: task.record,
                unit: unit.to_string(),
                resource: task.resource.clone(),
                task_type: task.task_type.clone(),
                state: task.state,
                start: task.start_or_created().map(unix_seconds),
                progress: task.progress.map(|p| p.clamp(0.0, 1.0)),
            })
        } else {
            None
        }
    }

    /// Whether the task with this id (as a provider lists it, before any cut) was already
    /// recorded as finished: counted, or baselined. The pager's stop rule asks it.
    pub(crate) fn known_terminal(&self, id: &str) -> bool {
        self.seen
            .get(bound_label(id).as_ref())
            .is_some_and(|s| s.terminal)
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
        let poll = PollResult {
            listed: vec![("u".to_string(), Listing::of(tasks.to_vec()))],
            failed: vec![],
        };
        a.apply(&poll, ts(now), &rules())
    }

    fn rules() -> Rules<'static> {
        Rules {
            lookback: LB,
            buckets: &B,
            max_task_types: 32,
        }
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
        assert!(a.tallies.completions.is_empty());
        let last = &a.tallies.last[&("vm1".to_string(), "backup".to_string())];
        assert_eq!(last.result, TaskState::Failed);
        assert_eq!(last.duration, Some(30.0));
        assert!(last.last_failure.is_some());
    }

    /// The memo holds the record of each task recorded as finished that carries a time
    /// (baselined or counted), with its order time, and of each active one with a time, and
    /// nothing else; a record not listed for `lookback` goes.
    #[test]
    fn finished_tasks_with_a_time_leave_their_record_in_the_memo() {
        use crate::memo::RecordKey;
        let keyed = |mut t: Task, text: &str| {
            t.record = Some(RecordKey::of("u", text));
            t
        };
        let done = keyed(
            task("1", TaskState::Succeeded, Some("2024-05-01T10:00:45Z")),
            "1",
        );
        let running = keyed(task("2", TaskState::Running, None), "2");
        let mut untimed = keyed(task("3", TaskState::Failed, None), "3");
        untimed.started = None;
        let unkeyed = task("4", TaskState::Succeeded, Some("2024-05-01T10:00:45Z"));
        let mut a = Account::new(&["backup"], &[]);
        let all = [done, running, untimed, unkeyed];
        apply(&mut a, &all, "2024-05-01T11:00:00Z");
        let keys: Vec<RecordKey> = ["1", "2", "3"]
            .iter()
            .map(|t| RecordKey::of("u", t))
            .collect();
        let started = Some(ts("2024-05-01T10:00:00Z"));
        let listed = unix_seconds(ts("2024-05-01T11:00:00Z"));
        let known: Vec<_> = (a.memo.recall(&keys, listed).into_iter())
            .map(|r| r.map(|r| (r.order, r.active.map(|a| a.id))))
            .collect();
        // The running task's record is known as an active one's.
        assert_eq!(
            known,
            [
                Some((started, None)),
                Some((started, Some("2".into()))),
                None
            ]
        );
        assert_eq!((a.memo.len(), a.memo.active_len()), (1, 1));
        // Not listed for less than `lookback`: kept; for longer: forgotten.
        apply(&mut a, &[], "2024-05-08T10:59:00Z");
        assert_eq!(a.memo.len(), 1);
        apply(&mut a, &[], "2024-05-08T11:00:01Z");
        assert!(a.memo.is_empty());
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
            a.tallies.completions[&("vm1".into(), "backup".into(), TaskState::Succeeded)],
            1
        );
        let h = &a.tallies.durations[&("backup".into(), TaskState::Succeeded)];
        assert_eq!(
            (h.count, h.sum, h.counts.clone()),
            (1, 45.0, vec![0, 1, 0, 0])
        );
        assert!(a.tallies.active.is_empty());
    }

    /// A windowed listing holds only the newest tasks (and every task active before): the
    /// ones it leaves out keep their seen entries and `last_*` values, a new completion counts
    /// once, and a full listing afterwards counts nothing again.
    #[test]
    fn a_partial_listing_forgets_nothing_it_leaves_out() {
        let mut a = Account::new(&["backup"], &[]);
        let old: Vec<Task> = (0..5)
            .map(|i| {
                task(
                    &format!("old{i}"),
                    TaskState::Succeeded,
                    Some("2024-05-01T10:01:00Z"),
                )
            })
            .collect();
        let mut full = old.clone();
        full.push(task("run", TaskState::Running, None));
        apply(&mut a, &full, "2024-05-01T11:00:00Z");
        let last = a.tallies.last.clone();
        let window = vec![
            task("new", TaskState::Failed, Some("2024-05-01T11:02:00Z")),
            task("run", TaskState::Running, None),
        ];
        for _ in 0..3 {
            apply(&mut a, &window, "2024-05-01T11:05:00Z");
        }
        assert!(old.iter().all(|t| a.known_terminal(&t.id)), "still known");
        assert!(a.known_terminal("new") && !a.known_terminal("run"));
        assert_eq!(a.tallies.active.len(), 1, "the active task stays");
        assert_ne!(a.tallies.last, last, "the new failure is the latest");
        let mut again = full.clone();
        again.extend(window);
        apply(&mut a, &again, "2024-05-01T12:00:00Z");
        let counted: u64 = a.tallies.completions.values().sum();
        assert_eq!(counted, 1, "only the new completion, once");
    }

    #[test]
    fn active_tasks_tracked_then_gone() {
        let mut a = Account::default();
        let mut t = task("1", TaskState::Running, None);
        t.progress = Some(0.25);
        apply(&mut a, &[t], "2024-05-01T10:01:00Z");
        assert_eq!(a.tallies.active.len(), 1);
        assert_eq!(a.tallies.active[0].progress, Some(0.25));
        apply(&mut a, &[], "2024-05-01T10:02:00Z");
        assert!(a.tallies.active.is_empty());
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
        assert_eq!(a.tallies.unknown_status["WEIRD"], 1);
    }

    fn two_units(a: &mut Account, one: Option<Vec<Task>>, two: Option<Vec<Task>>, now: &str) {
        let mut poll = PollResult::default();
        for (unit, tasks) in [("u1", one), ("u2", two)] {
            match tasks {
                Some(t) => poll.listed.push((unit.to_string(), Listing::of(t))),
                None => poll.failed.push(unit.to_string()),
            }
        }
        a.apply(&poll, ts(now), &rules());
    }

    fn on(id: &str, resource: &str, st: TaskState, end: Option<&str>) -> Task {
        let mut t = task(id, st, end);
        t.resource = resource.to_string();
        t
    }

    #[test]
    fn a_failed_unit_keeps_its_values_while_the_other_counts() {
        let mut a = Account::default();
        let run1 = on("1", "vm1", TaskState::Running, None);
        let run2 = on("2", "vm2", TaskState::Running, None);
        two_units(
            &mut a,
            Some(vec![run1.clone()]),
            Some(vec![run2]),
            "2024-05-01T10:01:00Z",
        );
        assert_eq!(a.tallies.active.len(), 2);
        // u2 fails: its running task stays active, u1's completion counts.
        let done1 = on(
            "1",
            "vm1",
            TaskState::Succeeded,
            Some("2024-05-01T10:05:00Z"),
        );
        two_units(&mut a, Some(vec![done1]), None, "2024-05-01T10:06:00Z");
        assert_eq!(
            a.tallies.completions[&("vm1".into(), "backup".into(), TaskState::Succeeded)],
            1
        );
        let active: Vec<&str> = a.tallies.active.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(active, ["2"]);
        // u2 was baselined by its first poll: when it recovers, its completion counts.
        let done2 = on("2", "vm2", TaskState::Failed, Some("2024-05-01T10:07:00Z"));
        two_units(
            &mut a,
            Some(vec![]),
            Some(vec![done2]),
            "2024-05-01T10:08:00Z",
        );
        assert_eq!(
            a.tallies.completions[&("vm2".into(), "backup".into(), TaskState::Failed)],
            1
        );
        assert!(a.tallies.active.is_empty());
    }

    #[test]
    fn a_task_two_units_list_in_one_poll_counts_for_the_first() {
        let mut a = Account::default();
        two_units(&mut a, Some(vec![]), Some(vec![]), "2024-05-01T10:00:00Z");
        let run = on("1", "vm1", TaskState::Running, None);
        two_units(
            &mut a,
            Some(vec![run.clone()]),
            Some(vec![run]),
            "2024-05-01T10:01:00Z",
        );
        assert_eq!(a.tallies.active.len(), 1, "active once");
        assert_eq!(a.tallies.active[0].unit, "u1");
        let done = on(
            "1",
            "vm1",
            TaskState::Succeeded,
            Some("2024-05-01T10:05:00Z"),
        );
        two_units(
            &mut a,
            Some(vec![done.clone()]),
            Some(vec![done]),
            "2024-05-01T10:06:00Z",
        );
        assert_eq!(a.tallies.completions.values().sum::<u64>(), 1);
        assert!(a.tallies.active.is_empty());
    }

    #[test]
    fn a_unit_that_never_listed_is_not_baselined() {
        let mut a = Account::default();
        two_units(&mut a, Some(vec![]), None, "2024-05-01T10:01:00Z");
        assert!(a.baselined.contains("u1") && !a.baselined.contains("u2"));
        // u2's first good poll is its baseline: old completions are not counted.
        let old = on("9", "vm2", TaskState::Failed, Some("2024-05-01T09:00:00Z"));
        two_units(
            &mut a,
            Some(vec![]),
            Some(vec![old]),
            "2024-05-01T10:02:00Z",
        );
        assert!(a.tallies.completions.is_empty());
    }

    #[test]
    fn a_completion_without_timestamps_counts_once_and_invents_no_time() {
        let mut a = Account::default();
        apply(&mut a, &[], "2024-05-01T10:00:00Z");
        let mut t = Task::new(
            "7",
            "vm1",
            "backup",
            "SUCCESS",
            Mapped::known(TaskState::Succeeded),
        );
        t.created = None;
        for now in [
            "2024-05-01T10:01:00Z",
            "2024-05-05T10:01:00Z",
            "2024-05-20T10:01:00Z",
            "2024-06-20T10:01:00Z",
        ] {
            apply(&mut a, std::slice::from_ref(&t), now);
        }
        assert_eq!(
            a.tallies.completions[&("vm1".into(), "backup".into(), TaskState::Succeeded)],
            1,
            "counted once, even after lookback has passed while it is still listed"
        );
        assert!(
            a.tallies.last.is_empty(),
            "no last_* from a task without time"
        );
        assert!(a.tallies.durations.is_empty());
    }

    #[test]
    fn invalid_records_are_counted_once_per_identity() {
        let mut a = Account::default();
        let bad = |id: Option<&str>| InvalidTask {
            id: id.map(str::to_string),
            field: "status",
            detail: "null".to_string(),
        };
        let listing = Listing {
            tasks: vec![task(
                "1",
                TaskState::Succeeded,
                Some("2024-05-01T10:00:45Z"),
            )],
            invalid: vec![bad(Some("x")), bad(None), bad(Some("y"))],
            ..Listing::default()
        };
        let poll = PollResult {
            listed: vec![("u".to_string(), listing)],
            failed: vec![],
        };
        let r = a.apply(&poll, ts("2024-05-01T10:01:00Z"), &rules());
        assert_eq!(r.new_invalid.len(), 3);
        let r = a.apply(&poll, ts("2024-05-01T10:02:00Z"), &rules());
        assert!(r.new_invalid.is_empty());
        assert_eq!(a.tallies.invalid_tasks["status"], 3);
        assert_eq!(a.tallies.last.len(), 1, "the good task on the page counts");
    }

    #[test]
    fn quiet_pairs_are_forgotten_once_the_history_lets_them_go() {
        let mut a = Account::default();
        apply(&mut a, &[], "2024-05-01T10:00:00Z");
        let done = task("1", TaskState::Succeeded, Some("2024-05-01T10:00:45Z"));
        apply(&mut a, std::slice::from_ref(&done), "2024-05-01T10:01:00Z");
        assert_eq!(a.tallies.completions.len(), 1);
        // Beyond lookback but within the history's 35 days: kept (the missed-backup alert
        // needs the last success).
        apply(&mut a, &[], "2024-05-20T10:00:00Z");
        assert_eq!(a.tallies.last.len(), 1);
        // Quiet for longer than the history keeps it, but running a task: kept.
        let mut running = task("2", TaskState::Running, None);
        running.started = Some(ts("2024-07-01T09:00:00Z"));
        apply(&mut a, &[running], "2024-07-01T10:00:00Z");
        assert_eq!(a.tallies.last.len(), 1);
        // Quiet and nothing running: forgotten.
        apply(&mut a, &[], "2024-07-01T10:01:00Z");
        assert!(a.tallies.last.is_empty() && a.tallies.completions.is_empty());
    }

    #[test]
    fn long_values_are_cut_with_a_stable_distinct_suffix() {
        let long_a = format!("{}a", "x".repeat(10_000));
        let long_b = format!("{}b", "x".repeat(10_000));
        let (a, b) = (bound_label(&long_a), bound_label(&long_b));
        assert!(a.len() <= MAX_LABEL_BYTES && b.len() <= MAX_LABEL_BYTES);
        assert_ne!(a, b);
        assert_eq!(a, bound_label(&long_a), "stable");
        assert_eq!(bound_label("short"), "short");
        let multibyte = "é".repeat(200);
        assert!(bound_label(&multibyte).len() <= MAX_LABEL_BYTES);

        let mut acc = Account::default();
        let mut t = task("1", TaskState::Succeeded, Some("2024-05-01T10:00:45Z"));
        t.resource = long_a.clone();
        t.task_type = long_b.clone();
        apply(&mut acc, &[], "2024-05-01T10:01:00Z");
        for now in ["2024-05-01T10:02:00Z", "2024-05-01T10:03:00Z"] {
            apply(&mut acc, std::slice::from_ref(&t), now);
        }
        assert_eq!(acc.tallies.truncated_labels, 1, "counted once per task");
        let key = (a.to_string(), b.to_string(), TaskState::Succeeded);
        assert_eq!(acc.tallies.completions[&key], 1);
        assert!(
            acc.tallies
                .resources
                .iter()
                .all(|r| r.len() <= MAX_LABEL_BYTES)
        );
    }

    /// A restored state without the history of a pair (a file from before the history, an
    /// entry that could not be read) gets it back from the next listing: the same history a
    /// fresh start learns, with nothing counted again; a pair whose history was kept stays
    /// as it was, and the rebuild ends with a poll in which no unit failed.
    #[test]
    fn a_missing_history_is_rebuilt_from_the_listing_without_counting_again() {
        let mut other = task("o1", TaskState::Succeeded, Some("2024-05-03T10:05:00Z"));
        other.resource = "vm2".to_string();
        let mut tasks = vec![
            task("1", TaskState::Succeeded, Some("2024-05-01T10:10:00Z")),
            task("2", TaskState::Succeeded, Some("2024-05-02T10:20:00Z")),
            task("3", TaskState::Failed, Some("2024-05-03T10:01:00Z")),
            other,
        ];
        let now = "2024-05-04T09:00:00Z";
        let mut a = Account::new(&["backup"], &[]);
        apply(&mut a, &tasks, now);
        tasks.push(task(
            "4",
            TaskState::Succeeded,
            Some("2024-05-04T08:30:00Z"),
        ));
        assert_eq!(apply(&mut a, &tasks, now).counted, 1);
        let learned = a.tallies.history.clone();
        let vm2 = ("vm2".to_string(), "backup".to_string());
        assert_eq!(learned.pairs.len(), 2);

        // Restored from a file that kept vm2's history only, its entry for vm2 changed so
        // that a rewrite would show.
        let mut b = a.clone();
        b.tallies.history.pairs.retain(|k, _| *k == vm2);
        b.tallies.history.pairs.get_mut(&vm2).unwrap().latest += 1.0;
        let kept = b.tallies.history.pairs[&vm2].clone();
        b.rebuild = Some(Rebuild::keeping(&b.tallies.history));
        let failed = PollResult {
            listed: vec![("u".to_string(), Listing::of(tasks.clone()))],
            failed: vec!["v".to_string()],
        };
        let r = b.apply(&failed, ts(now), &rules());
        assert_eq!((r.counted, r.baselined), (0, 0));
        assert_eq!(b.tallies.completions, a.tallies.completions);
        assert_eq!(b.tallies.durations, a.tallies.durations);
        let vm1 = ("vm1".to_string(), "backup".to_string());
        assert_eq!(b.tallies.history.pairs[&vm1], learned.pairs[&vm1]);
        assert_eq!(b.tallies.history.pairs[&vm2], kept);
        // A unit failed: the rebuild goes on, and a task already written is not again.
        let rebuilt: Vec<_> = b.rebuild.as_ref().unwrap().pairs.iter().cloned().collect();
        assert_eq!(rebuilt, std::slice::from_ref(&vm1));
        apply(&mut b, &tasks, now);
        assert_eq!(b.tallies.history.pairs[&vm1], learned.pairs[&vm1]);
        assert_eq!(b.finish_rebuild(), Vec::<(String, String)>::new(), "ended");
        assert!(b.rebuild.is_none());
        // Once ended, a listing writes nothing more into the history.
        let mut c = b.clone();
        c.tallies.history.pairs.remove(&vm1);
        apply(&mut c, &tasks, now);
        assert!(!c.tallies.history.pairs.contains_key(&vm1));
    }

    /// A listing costs in proportion to its own unit's active tasks, not to the target's: the
    /// tasks moved and the comparisons made applying one unit's listing (two running tasks)
    /// are the same whether 5 or 5,000 other units each have a task running. A counter, not a
    /// timing: it fails on any per-unit work over the target's whole active set.
    #[test]
    fn a_listing_touches_only_its_own_units_active_tasks() {
        let now = ts("2024-05-01T11:00:00Z");
        let running = |u: usize, n: usize| {
            let mut t = task(&format!("t{u}-{n}"), TaskState::Running, None);
            t.resource = format!("vm{u}");
            t
        };
        // (moved, compared) for listing unit 7 again in an estate of `units` running units.
        let work = |units: usize| {
            let mut a = Account::new(&["backup"], &[]);
            let mut report = ApplyReport::default();
            a.begin_poll();
            for u in 0..units {
                let listing = Listing::of(vec![running(u, 0), running(u, 1)]);
                a.apply_unit(&format!("u{u}"), &listing, now, &rules(), &mut report);
            }
            a.end_poll(now, &rules());
            assert_eq!(a.tallies.active.len(), 2 * units);
            a.tallies.active.moved = 0;
            a.tallies.active.compared = 0;
            a.begin_poll();
            let listing = Listing::of(vec![running(7, 1), running(7, 0)]);
            a.apply_unit("u7", &listing, now, &rules(), &mut report);
            a.end_poll(now, &rules());
            assert_eq!(a.tallies.active.len(), 2 * units);
            (a.tallies.active.moved, a.tallies.active.compared)
        };
        let small = work(8);
        assert_eq!(small.0, 4, "out and back in: two tasks, twice");
        assert!(small.1 <= 2, "two tasks ordered: {small:?}");
        assert_eq!(work(5_000), small, "the same work with 5,000 units running");
    }

    /// An active task whose record a listing passed over as unchanged (the memo knew it as
    /// an active task's) ends up as decoding its record again would leave it: the same
    /// active task, no transition, its id claimed for the poll (so a second unit listing it
    /// does not take it), too old once its latest time leaves `lookback`. The memo forgets
    /// the record when its task leaves the unit's active set.
    #[test]
    fn an_unchanged_active_record_keeps_its_task_as_decoding_it_would() {
        use crate::memo::RecordKey;
        let key = RecordKey::of("u", "2");
        let mut running = task("2", TaskState::Running, None);
        running.record = Some(key);
        running.progress = Some(0.4);
        let decoded = Listing::of(vec![running.clone()]);
        // The listing of the same record passed over: what the memo knows of it.
        let passed_over = |a: &mut Account, now: &str| {
            let now = unix_seconds(ts(now));
            let known = a.memo.recall(&[key], now).remove(0).expect("known");
            Listing {
                still_active: vec![(key, *known.active.expect("an active record"))],
                known: 1,
                ..Listing::default()
            }
        };
        let poll = |a: &mut Account, units: &[(&str, &Listing)], now: &str| {
            let listed = units.iter().map(|(u, l)| (u.to_string(), (*l).clone()));
            let poll = PollResult {
                listed: listed.collect(),
                failed: vec![],
            };
            a.apply(&poll, ts(now), &rules())
        };
        let (mut full, mut skipped) = (
            Account::new(&["backup"], &[]),
            Account::new(&["backup"], &[]),
        );
        for a in [&mut full, &mut skipped] {
            poll(a, &[("u", &decoded)], "2024-05-01T10:01:00Z");
        }
        let same = |full: &Account, skipped: &Account, what: &str| {
            assert_eq!(full.tallies, skipped.tallies, "{what}");
            assert_eq!(full.seen, skipped.seen, "{what}");
        };
        let again = passed_over(&mut skipped, "2024-05-01T10:02:00Z");
        let reports = (
            poll(&mut full, &[("u", &decoded)], "2024-05-01T10:02:00Z"),
            poll(&mut skipped, &[("u", &again)], "2024-05-01T10:02:00Z"),
        );
        assert_eq!(reports.0, reports.1);
        same(&full, &skipped, "passed over");
        assert_eq!(skipped.tallies.active[0].progress, Some(0.4));
        assert_eq!(skipped.memo.active_len(), 1);
        // Another unit lists the task first in the poll: it is that unit's.
        let (mut f, mut s) = (full.clone(), skipped.clone());
        let again = passed_over(&mut s, "2024-05-01T10:03:00Z");
        let mut there = running.clone();
        there.record = Some(RecordKey::of("v", "2"));
        let there = Listing::of(vec![there]);
        let reports = (
            poll(
                &mut f,
                &[("v", &there), ("u", &decoded)],
                "2024-05-01T10:03:00Z",
            ),
            poll(
                &mut s,
                &[("v", &there), ("u", &again)],
                "2024-05-01T10:03:00Z",
            ),
        );
        assert_eq!(reports.0, reports.1);
        same(&f, &s, "claimed by another unit");
        assert_eq!(s.tallies.active[0].unit, "v");
        // Its latest time (its start) out of `lookback`: too old.
        let (mut f, mut s) = (full.clone(), skipped.clone());
        let again = passed_over(&mut s, "2024-05-08T10:00:01Z");
        let reports = (
            poll(&mut f, &[("u", &decoded)], "2024-05-08T10:00:01Z"),
            poll(&mut s, &[("u", &again)], "2024-05-08T10:00:01Z"),
        );
        assert_eq!((reports.0.too_old, reports.1.too_old), (1, 1));
        same(&f, &s, "too old");
        assert!(s.tallies.active.is_empty());
        // A listing without it: the task leaves the set, its record the memo.
        poll(
            &mut skipped,
            &[("u", &Listing::default())],
            "2024-05-01T10:04:00Z",
        );
        assert!(skipped.tallies.active.is_empty());
        assert_eq!(skipped.memo.active_len(), 0);
    }

    #[test]
    fn task_types_beyond_the_cap_fold_into_other() {
        let mut acc = Account::new(&["backup"], &[]);
        apply(&mut acc, &[], "2024-05-01T10:00:00Z");
        let tasks: Vec<Task> = (0..200)
            .map(|i| {
                let mut t = task(
                    &i.to_string(),
                    TaskState::Failed,
                    Some("2024-05-01T10:00:45Z"),
                );
                t.task_type = format!("type{i}");
                t
            })
            .collect();
        let poll = PollResult {
            listed: vec![("u".to_string(), Listing::of(tasks))],
            failed: vec![],
        };
        let rules = Rules {
            max_task_types: 5,
            ..rules()
        };
        acc.apply(&poll, ts("2024-05-01T10:01:00Z"), &rules);
        acc.apply(&poll, ts("2024-05-01T10:02:00Z"), &rules);
        assert_eq!(acc.tallies.types.len(), 6, "5 kept plus {OTHER_TYPE}");
        assert!(acc.tallies.types.contains(OTHER_TYPE));
        assert_eq!(acc.tallies.folded_types, 196);
        let other: u64 = acc
            .tallies
            .completions
            .iter()
            .filter(|((_, t, _), _)| t == OTHER_TYPE)
            .map(|(_, n)| n)
            .sum();
        assert_eq!(other, 196);
    }
}
