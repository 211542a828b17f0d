//! How each unit's next listing pages (`docs/design.md` "Window-bounded fetching"): a full pass over
//! the whole `lookback` window on the unit's first poll (a new runner, after a restart or a
//! reload, starts with full passes) and again every `reconcile_interval`; a windowed pass
//! in between, which reads only what can have changed. This module keeps what each unit's
//! listings taught and turns it into the [`Window`] of its next one; the pager applies the
//! window (`provider/pager.rs`), the providers with a server-side time filter start it at
//! the watermark ([`crate::provider::PollContext::filter_since`]).

use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use tokio::time::Instant;

use crate::config::settings::Settings;
use crate::memo::ActiveRecord;
use crate::model::{Listing, Task};
use crate::provider::{KnownTerminal, Window};

/// The least margin before a unit's last listing that a watermark keeps: tasks created
/// shortly before a listing may show up in the list only after it.
const MIN_MARGIN: Duration = Duration::from_secs(300);

/// When a poll began, by both clocks: the monotonic one schedules full passes (and moves
/// with paused test time), the wall clock places watermarks among the API's times.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PollStart {
    pub(crate) at: Instant,
    pub(crate) wall: Timestamp,
}

impl PollStart {
    pub(crate) fn now() -> PollStart {
        PollStart {
            at: Instant::now(),
            wall: Timestamp::now(),
        }
    }
}

/// What the latest listings of one unit showed.
#[derive(Debug)]
struct UnitFetch {
    /// Start of the poll of the unit's latest full pass.
    last_full: Instant,
    /// The list came newest first on that pass and on every windowed pass since.
    newest_first: bool,
    /// Wall-clock start of the poll of the unit's latest successful listing.
    listed_at: Timestamp,
    /// Ids of the tasks that listing showed active.
    active: Arc<foldhash::HashSet<String>>,
    /// The earliest time any of them carries.
    oldest_active: Option<Timestamp>,
    /// One of them carries no time at all: a time filter cannot be narrowed around it.
    untimed_active: bool,
}

/// The fetch state of every unit of one target; lives in its runner, so a new runner
/// starts over with full passes.
#[derive(Debug, Default)]
pub(crate) struct Windows {
    units: foldhash::HashMap<String, UnitFetch>,
}

impl Windows {
    /// The window of `unit`'s listing in the poll that began at `start`, or `None` for a full
    /// pass: the unit was never listed, or its latest full pass began `reconcile_interval`
    /// ago (within half an interval, so that a tick a hair early does not put the full pass
    /// off by a whole interval).
    pub(crate) fn plan(
        &self,
        unit: &str,
        start: PollStart,
        settings: &Settings,
        since: Timestamp,
        known: &KnownTerminal,
    ) -> Option<Window> {
        let f = self.units.get(unit)?;
        let due = start.at.saturating_duration_since(f.last_full) + settings.interval / 2
            >= settings.reconcile_every();
        if due {
            return None;
        }
        Some(Window {
            watermark: watermark(f, start.wall, settings.interval, since),
            active: Arc::clone(&f.active),
            known_terminal: Arc::clone(known),
            newest_first: f.newest_first,
        })
    }

    /// Notes a unit's successful listing (`full`: a full pass) in the poll that began at
    /// `start`; `since` is that poll's `now − lookback`.
    pub(crate) fn record(
        &mut self,
        unit: &str,
        listing: &Listing,
        full: bool,
        start: PollStart,
        since: Timestamp,
    ) {
        let active: Vec<&Task> = listing
            .tasks
            .iter()
            .filter(|t| t.state.is_active() && t.latest_timestamp().is_none_or(|ts| ts >= since))
            .collect();
        // Active tasks whose records the memo passed over carry times (it keeps no other).
        let still: Vec<&ActiveRecord> = (listing.still_active.iter())
            .map(|(_, a)| a)
            .filter(|a| a.latest >= since)
            .collect();
        let oldest_active = (active.iter().filter_map(|t| t.earliest_timestamp()))
            .chain(still.iter().map(|a| a.earliest))
            .min();
        let untimed_active = active.iter().any(|t| t.earliest_timestamp().is_none());
        let active = Arc::new(
            (active.iter().map(|t| t.id.clone()))
                .chain(still.iter().map(|a| a.id.clone()))
                .collect(),
        );
        let newest_first = listing.paging.newest_first;
        match self.units.get_mut(unit) {
            Some(f) if !full => {
                f.newest_first &= newest_first;
                f.listed_at = start.wall;
                f.active = active;
                f.oldest_active = oldest_active;
                f.untimed_active = untimed_active;
            }
            // A windowed pass needs an earlier one, so this is a full pass (or, defensively,
            // a windowed one without a record: its start then counts as a full pass's).
            _ => {
                self.units.insert(
                    unit.to_string(),
                    UnitFetch {
                        last_full: start.at,
                        newest_first: newest_first && full,
                        listed_at: start.wall,
                        active,
                        oldest_active,
                        untimed_active,
                    },
                );
            }
        }
    }

    /// Forgets units no longer polled: one that comes back starts with a full pass.
    pub(crate) fn retain(&mut self, units: &[String]) {
        // Through a set: looking each unit up in the list took units² comparisons a poll
        // (a tenth of all the instructions at 1,000 units).
        let polled: foldhash::HashSet<&str> = units.iter().map(String::as_str).collect();
        self.units.retain(|u, _| polled.contains(u.as_str()));
    }
}

/// Where a server-side time filter starts for `f`'s unit: the earlier of the oldest time of
/// a task active at its last listing and that listing's start less a margin of
/// max(interval, 5 min); never before `since`, and `since` itself when an active task
/// carries no time. Every time a task carries is at or after its creation, so the filter
/// keeps each task active then and each task created since, whichever of its times the API
/// compares (which one CBR's `start_time` compares is undocumented).
fn watermark(f: &UnitFetch, now: Timestamp, interval: Duration, since: Timestamp) -> Timestamp {
    if f.untimed_active {
        return since;
    }
    let margin = SignedDuration::try_from(interval.max(MIN_MARGIN)).unwrap_or(SignedDuration::MAX);
    // A wall clock set back since the last listing must not move the mark past it.
    let listed = f.listed_at.min(now);
    let mut mark = listed.checked_sub(margin).unwrap_or(Timestamp::MIN);
    if let Some(oldest) = f.oldest_active {
        mark = mark.min(oldest);
    }
    mark.max(since)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Mapped, Paging, TaskState};

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn task(id: &str, st: TaskState, created: Option<&str>) -> Task {
        let mut t = Task::new(id, "r", "backup", "x", Mapped::known(st));
        t.created = created.map(ts);
        t
    }

    fn listing(tasks: Vec<Task>, newest_first: bool) -> Listing {
        Listing {
            tasks,
            invalid: vec![],
            known: 0,
            still_active: vec![],
            paging: Paging {
                newest_first,
                caught_up: false,
            },
        }
    }

    fn settings() -> Settings {
        Settings {
            interval: Duration::from_secs(600),
            reconcile_interval: Some(Duration::from_secs(3600)),
            ..Settings::default()
        }
    }

    fn known() -> KnownTerminal {
        Arc::new(|_: &str| false)
    }

    #[tokio::test(start_paused = true)]
    async fn full_pass_first_then_windows_until_reconcile_interval() {
        let s = settings();
        let since = ts("2024-04-24T12:00:00Z");
        let mut w = Windows::default();
        let first = PollStart {
            at: Instant::now(),
            wall: ts("2024-05-01T12:00:00Z"),
        };
        assert!(
            w.plan("u", first, &s, since, &known()).is_none(),
            "first poll: full"
        );
        let l = listing(
            vec![
                task("a", TaskState::Running, Some("2024-05-01T09:00:00Z")),
                task("b", TaskState::Succeeded, Some("2024-05-01T08:00:00Z")),
            ],
            true,
        );
        w.record("u", &l, true, first, since);
        for k in 1..6 {
            tokio::time::advance(Duration::from_secs(600)).await;
            let start = PollStart {
                at: Instant::now(),
                wall: first.wall + SignedDuration::from_secs(600 * k),
            };
            let win = w.plan("u", start, &s, since, &known()).expect("windowed");
            assert!(win.newest_first);
            assert_eq!(win.active.iter().collect::<Vec<_>>(), ["a"]);
            // The running task's creation is earlier than the last poll less the margin.
            assert_eq!(win.watermark, ts("2024-05-01T09:00:00Z"));
        }
        tokio::time::advance(Duration::from_secs(600)).await;
        let start = PollStart {
            at: Instant::now(),
            wall: first.wall,
        };
        assert!(
            w.plan("u", start, &s, since, &known()).is_none(),
            "1h later: full"
        );
        assert!(w.plan("other", start, &s, since, &known()).is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn watermark_follows_the_last_listing_and_order_sticks_until_a_full_pass() {
        let s = settings();
        let since = ts("2024-04-24T12:00:00Z");
        let mut w = Windows::default();
        let start = PollStart {
            at: Instant::now(),
            wall: ts("2024-05-01T12:00:00Z"),
        };
        w.record("u", &listing(vec![], true), true, start, since);
        let win = w.plan("u", start, &s, since, &known()).unwrap();
        assert_eq!(
            win.watermark,
            ts("2024-05-01T11:50:00Z"),
            "interval as margin"
        );
        // A windowed listing that saw the list out of order stops early stopping.
        w.record("u", &listing(vec![], false), false, start, since);
        assert!(
            !w.plan("u", start, &s, since, &known())
                .unwrap()
                .newest_first
        );
        w.record("u", &listing(vec![], true), false, start, since);
        assert!(
            !w.plan("u", start, &s, since, &known())
                .unwrap()
                .newest_first
        );
        w.record("u", &listing(vec![], true), true, start, since);
        assert!(
            w.plan("u", start, &s, since, &known())
                .unwrap()
                .newest_first
        );
        // An active task without any time: the filter cannot be narrowed.
        let untimed = listing(vec![task("x", TaskState::Queued, None)], true);
        w.record("u", &untimed, false, start, since);
        assert_eq!(
            w.plan("u", start, &s, since, &known()).unwrap().watermark,
            since
        );
        w.retain(&["v".to_string(), "u".to_string()]);
        assert!(w.plan("u", start, &s, since, &known()).is_some());
        w.retain(&["v".to_string()]);
        assert!(w.plan("u", start, &s, since, &known()).is_none());
    }
}
