//! The small, bounded history the exporter keeps of each (resource, type): what it learns each
//! resource's rhythm and usual duration from, and what the status page's 14-day strip and
//! "last failure" show (`docs/alerts.md` "How the rhythm is learned", "The status page").
//!
//! Per pair it keeps the end times (and durations) of the last [`SUCCESSES_KEPT`] successful
//! completions, completion counts per UTC day for the last [`DAYS_KEPT`] days, and the latest
//! failure with the API's own message cut to [`MESSAGE_MAX`] bytes: a few hundred bytes whatever
//! the task volume. Accounting records each task here exactly once (the first time it is seen
//! terminal, baseline included) and only with a timestamp the API gave. Pure: time comes in as
//! an argument. What the exporter *expects* from this data is `rhythm.rs`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::TaskState;

/// Successful completions remembered per pair (end time and duration).
pub const SUCCESSES_KEPT: usize = 10;
/// Days of per-day completion counts remembered per pair (today included).
pub const DAYS_KEPT: i64 = 14;
/// Longest error message kept (bytes, cut at a character boundary).
pub const MESSAGE_MAX: usize = 160;
/// Longest task id kept with the latest failure (bytes).
pub const TASK_ID_MAX: usize = 64;
/// Successes needed before a rhythm (median gap) is learned: two gaps.
pub const MIN_SUCCESSES: usize = 3;
/// Durations needed before a usual duration (median) is learned.
pub const MIN_DURATIONS: usize = 3;
/// A pair whose latest completion is older than this (or than `lookback`, or three learned
/// gaps, whichever is longest) is forgotten.
pub const FORGET_AFTER_SECS: f64 = 35.0 * 86_400.0;

/// One remembered successful completion.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Success {
    /// End time (unix seconds).
    pub end: f64,
    /// Duration in seconds, when the API gave a start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secs: Option<f32>,
}

/// Completions of one UTC day, by colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Day {
    /// Days since 1970-01-01 (UTC).
    pub day: i32,
    /// `succeeded` and `warning`.
    pub ok: u16,
    /// `failed` and `timed_out`.
    pub bad: u16,
    /// Every other result (`cancelled`, `skipped`, `unknown`).
    pub other: u16,
}

/// The latest failed or timed-out completion of a pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    /// End time (unix seconds).
    pub at: f64,
    /// `failed` or `timed_out`.
    pub result: String,
    /// Task id, cut to [`TASK_ID_MAX`].
    pub task_id: String,
    /// The API's error message, cut to [`MESSAGE_MAX`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Everything remembered of one (resource, type).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PairHistory {
    /// The latest successes, oldest first, at most [`SUCCESSES_KEPT`].
    #[serde(default)]
    pub successes: Vec<Success>,
    /// Per-day counts, oldest first, at most [`DAYS_KEPT`].
    #[serde(default)]
    pub days: Vec<Day>,
    /// The latest failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    /// End time of the latest completion recorded, whatever its result.
    #[serde(default)]
    pub latest: f64,
    /// Failures and timeouts recorded since the latest success ("N failures in a row"); 0 in
    /// state files written before it was kept. A lower bound when a success arrives after
    /// failures that ended later than it (out of order): the streak restarts at the latest
    /// failure.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub failures_in_row: u32,
    /// End time of the first failure of that streak (unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failing_since: Option<f64>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// What [`History::record`] needs of a completed task.
#[derive(Debug, Clone, Copy)]
pub struct Completion<'a> {
    /// The task that completed; the failure it keeps names it.
    pub task_id: &'a str,
    /// How it ended; only successes teach the rhythm.
    pub result: TaskState,
    /// End time (unix seconds), from the API.
    pub end: f64,
    /// Duration in seconds, when known.
    pub secs: Option<f64>,
    /// The API's error message.
    pub message: Option<&'a str>,
}

/// The histories of one target, by (resource, type).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct History {
    /// By (resource, type).
    pub pairs: BTreeMap<(String, String), PairHistory>,
}

/// Unix seconds → UTC day number.
pub fn day_of(unix: f64) -> i32 {
    (unix / 86_400.0)
        .floor()
        .clamp(i32::MIN as f64, i32::MAX as f64) as i32
}

/// `s` cut to at most `max` bytes at a character boundary, with `…` when cut.
pub fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// The median of `v` (sorted in place); `None` when empty.
fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

impl PairHistory {
    /// When the latest success kept started (its end less its duration; those without a
    /// duration are passed over), unix seconds.
    pub fn latest_success_start(&self) -> Option<f64> {
        (self.successes.iter())
            .filter_map(|s| Some(s.end - f64::from(s.secs?)))
            .max_by(f64::total_cmp)
    }

    /// The median gap between the remembered successes, once there are [`MIN_SUCCESSES`].
    /// Gaps of zero (two reports of one instant) are left out.
    pub fn learned_interval(&self) -> Option<f64> {
        if self.successes.len() < MIN_SUCCESSES {
            return None;
        }
        let mut gaps: Vec<f64> = self
            .successes
            .windows(2)
            .map(|w| w[1].end - w[0].end)
            .filter(|g| *g > 0.0)
            .collect();
        if gaps.len() + 1 < MIN_SUCCESSES {
            return None;
        }
        median(&mut gaps)
    }

    /// How far the kept gaps between successes stray from the learned interval: the largest
    /// difference, once an interval is learned. A gap more than half an interval off is a
    /// missed or failed run (about two intervals) or an extra one, not drift: it is left out,
    /// as it is from the median, so that one missed night does not stretch the grace to a
    /// whole interval (0 when every gap is such a gap).
    pub fn jitter(&self) -> Option<f64> {
        let interval = self.learned_interval()?;
        Some(
            self.successes
                .windows(2)
                .map(|w| w[1].end - w[0].end)
                .filter(|g| *g > 0.0)
                .map(|g| (g - interval).abs())
                .filter(|d| *d <= interval / 2.0)
                .fold(0.0, f64::max),
        )
    }

    /// The median duration of the remembered successes, once [`MIN_DURATIONS`] have one.
    pub fn usual_duration(&self) -> Option<f64> {
        let mut d: Vec<f64> = self
            .successes
            .iter()
            .filter_map(|s| s.secs.map(f64::from))
            .collect();
        if d.len() < MIN_DURATIONS {
            return None;
        }
        median(&mut d)
    }

    /// End time of the latest remembered success.
    pub fn last_success(&self) -> Option<f64> {
        self.successes.last().map(|s| s.end)
    }

    /// Counts of the [`DAYS_KEPT`] days ending with `today`, oldest first; days without a
    /// completion are zero.
    pub fn strip(&self, today: i32) -> Vec<Day> {
        (0..DAYS_KEPT as i32)
            .rev()
            .map(|back| {
                let day = today - back;
                self.days
                    .iter()
                    .find(|d| d.day == day)
                    .copied()
                    .unwrap_or(Day {
                        day,
                        ..Day::default()
                    })
            })
            .collect()
    }

    fn record(&mut self, c: &Completion<'_>, today: i32) {
        self.latest = self.latest.max(c.end);
        self.streak(c);
        if c.result.is_success() {
            let s = Success {
                end: c.end,
                secs: c.secs.map(|d| d as f32),
            };
            // Keep the latest SUCCESSES_KEPT by end time; never grow past the bound.
            let older_than_all = self.successes.first().is_some_and(|f| s.end < f.end);
            if self.successes.len() >= SUCCESSES_KEPT {
                if older_than_all {
                    return self.count_day(c, today);
                }
                self.successes.remove(0);
            } else if self.successes.capacity() == 0 {
                self.successes.reserve_exact(SUCCESSES_KEPT);
            }
            let at = self.successes.partition_point(|x| x.end <= s.end);
            self.successes.insert(at, s);
        }
        if c.result.is_failure() && self.failure.as_ref().is_none_or(|f| c.end >= f.at) {
            self.failure = Some(Failure {
                at: c.end,
                result: c.result.as_label().to_string(),
                task_id: cut(c.task_id, TASK_ID_MAX),
                message: c
                    .message
                    .map(str::trim)
                    .filter(|m| !m.is_empty())
                    .map(|m| cut(m, MESSAGE_MAX)),
            });
        }
        self.count_day(c, today);
    }

    /// Keeps [`PairHistory::failures_in_row`] and [`PairHistory::failing_since`]: a failure
    /// after the latest success extends the streak, a success after the latest failure ends it.
    fn streak(&mut self, c: &Completion<'_>) {
        if c.result.is_failure() {
            if self.last_success().is_some_and(|s| c.end < s) {
                return;
            }
            self.failures_in_row = self.failures_in_row.saturating_add(1);
            self.failing_since = Some(self.failing_since.map_or(c.end, |f| f.min(c.end)));
        } else if c.result.is_success() {
            let latest_failure = self.failure.as_ref().map(|f| f.at);
            if latest_failure.is_none_or(|f| c.end > f) {
                self.failures_in_row = 0;
                self.failing_since = None;
            } else if self.failing_since.is_some_and(|f| c.end > f) {
                // Failures on both sides of this success: only the latest is known to follow it.
                self.failures_in_row = 1;
                self.failing_since = latest_failure;
            }
        }
    }

    fn count_day(&mut self, c: &Completion<'_>, today: i32) {
        let day = day_of(c.end);
        if day > today || i64::from(today) - i64::from(day) >= DAYS_KEPT {
            return;
        }
        let at = self.days.partition_point(|d| d.day < day);
        if self.days.get(at).is_none_or(|d| d.day != day) {
            if self.days.capacity() == 0 {
                self.days.reserve_exact(DAYS_KEPT as usize);
            }
            self.days.insert(
                at,
                Day {
                    day,
                    ..Day::default()
                },
            );
        }
        let d = &mut self.days[at];
        let n = if c.result.is_success() {
            &mut d.ok
        } else if c.result.is_failure() {
            &mut d.bad
        } else {
            &mut d.other
        };
        *n = n.saturating_add(1);
    }
}

impl History {
    /// Records one completion of (resource, type), seen at `now` (unix seconds). The caller
    /// records each task once, and only with a time the API gave.
    pub fn record(&mut self, resource: &str, task_type: &str, c: &Completion<'_>, now: f64) {
        self.pairs
            .entry((resource.to_string(), task_type.to_string()))
            .or_default()
            .record(c, day_of(now));
    }

    /// Drops day counts older than the strip, and forgets pairs with no completion for
    /// `max(lookback, FORGET_AFTER_SECS, three learned gaps)`.
    pub fn prune(&mut self, now: f64, lookback_secs: f64) {
        let first_day = day_of(now) - (DAYS_KEPT as i32 - 1);
        let keep = lookback_secs.max(FORGET_AFTER_SECS);
        self.pairs.retain(|_, p| {
            p.days.retain(|d| d.day >= first_day);
            // The learned gap (which allocates) only for the rare pair quiet that long.
            let quiet = now - p.latest;
            quiet <= keep || quiet <= 3.0 * p.learned_interval().unwrap_or(0.0)
        });
    }

    /// The history of one pair.
    pub fn get(&self, resource: &str, task_type: &str) -> Option<&PairHistory> {
        self.pairs
            .get(&(resource.to_string(), task_type.to_string()))
    }
}

/// A pair's history as stored in the state file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// The resource of the pair.
    pub resource: String,
    /// The task type of the pair (the `type` label).
    #[serde(rename = "type")]
    pub task_type: String,
    /// What is remembered.
    #[serde(flatten)]
    pub history: PairHistory,
}

impl History {
    /// The entries for the state file, in key order.
    pub fn to_entries(&self) -> Vec<HistoryEntry> {
        self.pairs
            .iter()
            .map(|((r, t), h)| HistoryEntry {
                resource: r.clone(),
                task_type: t.clone(),
                history: h.clone(),
            })
            .collect()
    }

    /// Rebuilds from state-file entries; over-long lists (a hand-edited file) are cut back to
    /// their bounds, keeping the newest.
    pub fn from_entries(entries: &[HistoryEntry]) -> History {
        let mut pairs = BTreeMap::new();
        for e in entries {
            let mut h = e.history.clone();
            h.successes.sort_by(|a, b| a.end.total_cmp(&b.end));
            let extra = h.successes.len().saturating_sub(SUCCESSES_KEPT);
            h.successes.drain(..extra);
            h.days.sort_by_key(|d| d.day);
            h.days.dedup_by_key(|d| d.day);
            let extra = h.days.len().saturating_sub(DAYS_KEPT as usize);
            h.days.drain(..extra);
            pairs.insert((e.resource.clone(), e.task_type.clone()), h);
        }
        History { pairs }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: f64 = 86_400.0;
    const NOW: f64 = 20_000.0 * DAY;

    fn done(h: &mut History, id: &str, result: TaskState, end: f64, secs: Option<f64>) {
        let c = Completion {
            task_id: id,
            result,
            end,
            secs,
            message: Some("disk quota exceeded"),
        };
        h.record("vm1", "backup", &c, NOW);
    }

    #[test]
    fn rhythm_is_the_median_gap_of_the_last_successes() {
        let mut h = History::default();
        // Daily at 01:00 for 20 days, plus one manual run in between: the median ignores it.
        for i in 0..20 {
            done(
                &mut h,
                &format!("d{i}"),
                TaskState::Succeeded,
                NOW - f64::from(i) * DAY,
                Some(60.0),
            );
        }
        done(
            &mut h,
            "manual",
            TaskState::Succeeded,
            NOW - 0.5 * DAY,
            Some(60.0),
        );
        let p = h.get("vm1", "backup").unwrap();
        assert_eq!(p.successes.len(), SUCCESSES_KEPT);
        assert_eq!(p.successes.last().unwrap().end, NOW);
        assert_eq!(p.learned_interval(), Some(DAY));
        assert_eq!(p.usual_duration(), Some(60.0));
    }

    /// Gaps that drift count as jitter; the double gap of a missed night does not.
    #[test]
    fn jitter_is_the_drift_not_a_missed_run() {
        let mut h = History::default();
        // Daily, three hours late once, and no success on the night before last.
        for (i, late) in [(0, 0.0), (2, 0.0), (3, 3.0), (4, 0.0), (5, 0.0), (6, 0.0)] {
            let end = NOW - f64::from(i) * DAY + late * 3_600.0;
            done(&mut h, &format!("d{i}"), TaskState::Succeeded, end, None);
        }
        let p = h.get("vm1", "backup").unwrap();
        assert_eq!(p.learned_interval(), Some(DAY));
        assert_eq!(p.jitter(), Some(3.0 * 3_600.0));
    }

    #[test]
    fn too_little_history_learns_nothing() {
        let mut h = History::default();
        done(&mut h, "1", TaskState::Succeeded, NOW - DAY, Some(10.0));
        done(&mut h, "2", TaskState::Succeeded, NOW, Some(10.0));
        let p = h.get("vm1", "backup").unwrap();
        assert_eq!(p.learned_interval(), None);
        assert_eq!(p.usual_duration(), None);
        // The same instant reported twice is not a gap.
        done(&mut h, "3", TaskState::Warning, NOW, None);
        assert_eq!(h.get("vm1", "backup").unwrap().learned_interval(), None);
    }

    #[test]
    fn out_of_order_arrivals_keep_the_latest_successes() {
        let mut h = History::default();
        for i in (0..15).rev() {
            done(
                &mut h,
                &format!("{i}"),
                TaskState::Succeeded,
                NOW - f64::from(i) * 3600.0,
                None,
            );
        }
        // An old one arriving late is older than all kept: dropped.
        done(
            &mut h,
            "old",
            TaskState::Succeeded,
            NOW - 100.0 * 3600.0,
            None,
        );
        let p = h.get("vm1", "backup").unwrap();
        let ends: Vec<f64> = p.successes.iter().map(|s| s.end).collect();
        let want: Vec<f64> = (0..10).rev().map(|i| NOW - f64::from(i) * 3600.0).collect();
        assert_eq!(ends, want);
        assert!(
            p.successes.capacity() <= SUCCESSES_KEPT,
            "{}",
            p.successes.capacity()
        );
        assert_eq!(p.learned_interval(), Some(3600.0));
    }

    #[test]
    fn latest_failure_keeps_the_api_message_cut_short() {
        let mut h = History::default();
        done(&mut h, "f1", TaskState::Failed, NOW - DAY, None);
        let long = "é".repeat(200);
        h.record(
            "vm1",
            "backup",
            &Completion {
                task_id: &"x".repeat(100),
                result: TaskState::TimedOut,
                end: NOW,
                secs: None,
                message: Some(&long),
            },
            NOW,
        );
        // An older failure arriving later does not replace the latest one.
        done(&mut h, "f0", TaskState::Failed, NOW - 2.0 * DAY, None);
        let f = h.get("vm1", "backup").unwrap().failure.clone().unwrap();
        assert_eq!(f.result, "timed_out");
        assert!(f.task_id.len() <= TASK_ID_MAX && f.task_id.ends_with('…'));
        let m = f.message.unwrap();
        assert!(
            m.len() <= MESSAGE_MAX && m.starts_with("éé") && m.ends_with('…'),
            "{m}"
        );
    }

    #[test]
    fn failures_in_a_row_count_since_the_latest_success() {
        let mut h = History::default();
        let streak = |h: &History| {
            let p = h.get("vm1", "backup").unwrap();
            (p.failures_in_row, p.failing_since)
        };
        done(&mut h, "f-old", TaskState::Failed, NOW - 5.0 * DAY, None);
        done(&mut h, "s", TaskState::Succeeded, NOW - 4.0 * DAY, None);
        assert_eq!(streak(&h), (0, None), "a success ends the streak");
        done(&mut h, "f1", TaskState::Failed, NOW - 3.0 * DAY, None);
        done(&mut h, "f2", TaskState::TimedOut, NOW - 2.0 * DAY, None);
        done(&mut h, "f3", TaskState::Failed, NOW - DAY, None);
        assert_eq!(streak(&h), (3, Some(NOW - 3.0 * DAY)));
        // A failure older than the latest success, arriving late, is not part of the streak.
        done(&mut h, "f-late", TaskState::Failed, NOW - 4.5 * DAY, None);
        assert_eq!(streak(&h), (3, Some(NOW - 3.0 * DAY)));
        // A success between failures, arriving late: only the latest failure follows it.
        done(
            &mut h,
            "s-late",
            TaskState::Succeeded,
            NOW - 1.5 * DAY,
            None,
        );
        assert_eq!(streak(&h), (1, Some(NOW - DAY)));
        done(&mut h, "s2", TaskState::Succeeded, NOW, None);
        assert_eq!(streak(&h), (0, None));
        // A state file written before the streak was kept still loads: the streak is unknown (0).
        let old = r#"[{"resource":"vm1","type":"backup","successes":[],"days":[],"latest":1.0,
            "failure":{"at":1.0,"result":"failed","task_id":"t"}}]"#;
        let back: Vec<HistoryEntry> = serde_json::from_str(old).unwrap();
        assert_eq!(back[0].history.failures_in_row, 0);
        assert_eq!(back[0].history.failing_since, None);
    }

    #[test]
    fn strip_counts_fourteen_days_by_colour() {
        let mut h = History::default();
        done(&mut h, "a", TaskState::Succeeded, NOW, None);
        done(&mut h, "b", TaskState::Failed, NOW, None);
        done(&mut h, "c", TaskState::Cancelled, NOW - 2.0 * DAY, None);
        done(&mut h, "d", TaskState::Succeeded, NOW - 13.0 * DAY, None);
        done(&mut h, "e", TaskState::Succeeded, NOW - 14.0 * DAY, None);
        let strip = h.get("vm1", "backup").unwrap().strip(day_of(NOW));
        assert_eq!(strip.len(), 14);
        let today = strip[13];
        assert_eq!((today.ok, today.bad, today.other), (1, 1, 0));
        assert_eq!(strip[11].other, 1);
        assert_eq!(strip[0].ok, 1, "13 days ago is the strip's first day");
        assert_eq!(
            h.get("vm1", "backup").unwrap().days.len(),
            3,
            "14 days ago is not kept"
        );
    }

    #[test]
    fn prune_forgets_quiet_pairs_and_old_days() {
        let mut h = History::default();
        done(&mut h, "a", TaskState::Succeeded, NOW - 3.0 * DAY, None);
        h.record(
            "gone",
            "backup",
            &Completion {
                task_id: "z",
                result: TaskState::Succeeded,
                end: NOW - 36.0 * DAY,
                secs: None,
                message: None,
            },
            NOW - 36.0 * DAY,
        );
        for i in 0..3 {
            let end = NOW - 3.0 * DAY - f64::from(i) * 30.0 * DAY;
            h.record(
                "monthly",
                "backup",
                &Completion {
                    task_id: "m",
                    result: TaskState::Succeeded,
                    end,
                    secs: None,
                    message: None,
                },
                end,
            );
        }
        h.prune(NOW + 12.0 * DAY, 7.0 * DAY);
        assert!(h.get("gone", "backup").is_none());
        let p = h.get("vm1", "backup").unwrap();
        assert!(p.days.is_empty(), "{:?}", p.days);
        assert_eq!(p.successes.len(), 1);
        // 53 days quiet: past 35 days, within three monthly gaps.
        h.prune(NOW + 50.0 * DAY, 7.0 * DAY);
        assert!(h.get("vm1", "backup").is_none());
        assert!(h.get("monthly", "backup").is_some());
        h.prune(NOW + 88.0 * DAY, 7.0 * DAY);
        assert!(h.get("monthly", "backup").is_none());
        // A long lookback keeps pairs longer.
        done(&mut h, "b", TaskState::Succeeded, NOW, None);
        h.prune(NOW + 50.0 * DAY, 60.0 * DAY);
        assert!(h.get("vm1", "backup").is_some());
    }

    #[test]
    fn a_full_pair_stays_within_a_few_hundred_bytes() {
        let mut h = History::default();
        for i in 0..40 {
            let end = NOW - f64::from(i) * DAY / 2.0;
            done(
                &mut h,
                &format!("s{i}"),
                TaskState::Succeeded,
                end,
                Some(100.0),
            );
            done(&mut h, &format!("f{i}"), TaskState::Failed, end, None);
        }
        let p = h.get("vm1", "backup").unwrap();
        let f = p.failure.as_ref().unwrap();
        let heap = p.successes.capacity() * std::mem::size_of::<Success>()
            + p.days.capacity() * std::mem::size_of::<Day>()
            + f.task_id.capacity()
            + f.result.capacity()
            + f.message.as_ref().map_or(0, String::capacity);
        let total = heap + std::mem::size_of::<PairHistory>() + std::mem::size_of::<Failure>();
        assert!(total <= 600, "{total} bytes");
    }

    #[test]
    fn state_file_entries_round_trip_and_are_bounded() {
        let mut h = History::default();
        for i in 0..5 {
            done(
                &mut h,
                &format!("{i}"),
                TaskState::Succeeded,
                NOW - f64::from(i) * DAY,
                Some(1.5),
            );
        }
        done(&mut h, "f", TaskState::Failed, NOW, None);
        let json = serde_json::to_string(&h.to_entries()).unwrap();
        let back: Vec<HistoryEntry> = serde_json::from_str(&json).unwrap();
        assert_eq!(History::from_entries(&back), h);
        let mut long = back;
        long[0].history.successes = (0..50)
            .map(|i| Success {
                end: f64::from(i),
                secs: None,
            })
            .collect();
        let cut = History::from_entries(&long);
        let p = cut.get("vm1", "backup").unwrap();
        assert_eq!(p.successes.len(), SUCCESSES_KEPT);
        assert_eq!(p.successes[0].end, 40.0);
    }

    #[test]
    fn cut_respects_char_boundaries() {
        assert_eq!(cut("short", 10), "short");
        assert_eq!(cut("abcdefghij", 6), "abc…");
        assert_eq!(cut("ééé", 4), "…");
        assert!(cut("ééééé", 6).len() <= 6);
    }
}
