//! Backup schedules: when a policy's next run is due and when its latest one was
//! (`docs/providers.md` "Backup schedules").
//!
//! A `Schedule` holds one provider's form, read from the API's own strings and values:
//! a VBS `scheduled_policy` (`vbs::Vbs`), the RRULE patterns of a CBR policy trigger
//! (`cbr::Cbr`), the `time` of a Yandex Cloud Backup backup set (`yandex::Yandex`), or the
//! cron `ScheduleExpression` of an AWS Backup rule (`aws::Aws`). It answers two questions,
//! `Schedule::next_after` and `Schedule::latest_at_or_before`, within `HORIZON_DAYS`
//! of the instant asked about, so no input makes them loop. Runs fall on whole minutes.
//!
//! Every form is a set of *days* (a date filter: weekdays, every N days or weeks from an
//! anchor, days of the month) and, on each of those days, a set of *times*. The arithmetic is
//! done on day numbers (days since 1970-01-01 in the schedule's day zone, `civil`) without
//! building a calendar; a Yandex or AWS wall time goes through the zone's rules (jiff) to become an
//! instant. The unit tests check both queries against a minute-by-minute expansion of each
//! rule's definition, written apart from this code.
//!
//! This module reads no JSON and knows no provider's client: the providers decode their
//! policies and hand the fields over. A policy that is switched off (VBS `status` `OFF`, CBR
//! `enabled` false, Yandex `scheduling.enabled` false) has no schedule: the caller builds none.

pub(crate) mod aws;
pub(crate) mod cbr;
mod civil;
mod policies;
pub(crate) mod vbs;
pub(crate) mod yandex;

#[cfg(test)]
mod tests;

use jiff::Timestamp;

pub use policies::{Due, Policies, Policy, Runs, SkipReason, Skipped};

/// How far from the instant asked about the queries look, in days: past it, a schedule that
/// has not run (a monthly set on the 31st of February only, an `INTERVAL` of 60 weeks) gives
/// `None`.
pub(crate) const HORIZON_DAYS: i64 = 400;

const DAY: i64 = 86_400;

/// A schedule that cannot be read: every message names the field and the value at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ScheduleError {
    /// A value is not of the field's form or outside its range.
    #[error("{field}: {value:?} is not {expected}")]
    Invalid {
        /// The API's field (`start_time`, `BYDAY`, `repeatAt`, ...).
        field: &'static str,
        /// The offending value (shortened).
        value: String,
        /// What the field holds.
        expected: &'static str,
    },
    /// A list that must name at least one value is empty: the schedule would never run.
    #[error("{field} is empty: the schedule names no {what}")]
    Empty {
        /// The API's field.
        field: &'static str,
        /// What it should list (`time`, `day`).
        what: &'static str,
    },
    /// A field the form needs is absent.
    #[error("{field} is missing: {why}")]
    Missing {
        /// The API's field.
        field: &'static str,
        /// Why this form needs it.
        why: &'static str,
    },
    /// A form the API allows that this module does not compute.
    #[error("{field}: {value:?} is not supported: {why}")]
    Unsupported {
        /// The API's field.
        field: &'static str,
        /// The value.
        value: String,
        /// Why it cannot be turned into runs.
        why: &'static str,
    },
}

impl ScheduleError {
    fn invalid(field: &'static str, value: impl std::fmt::Display, expected: &'static str) -> Self {
        Self::Invalid {
            field,
            value: value.to_string().chars().take(64).collect(),
            expected,
        }
    }
}

/// One policy's schedule, in the form its provider publishes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Schedule {
    /// A Huawei VBS `scheduled_policy`.
    Vbs(vbs::Vbs),
    /// A Huawei CBR policy's trigger patterns.
    Cbr(cbr::Cbr),
    /// A Yandex Cloud Backup backup set's `time`.
    Yandex(yandex::Yandex),
    /// An AWS Backup rule's `ScheduleExpression` in its time zone.
    Aws(aws::Aws),
    /// Several schedules of one policy (a Yandex policy's backup sets): a run of any of them
    /// is a run of the policy.
    Any(Vec<Schedule>),
}

impl Schedule {
    /// The first run strictly after `t`, if one falls within [`HORIZON_DAYS`] of it.
    pub(crate) fn next_after(&self, t: Timestamp) -> Option<Timestamp> {
        if let Self::Any(all) = self {
            return all.iter().filter_map(|s| s.next_after(t)).min();
        }
        let f = floor_second(t);
        let d0 = self.day_of(f);
        let mut best: Option<i64> = None;
        for d in d0 - 1..=d0 + HORIZON_DAYS {
            // A later day's runs start no earlier than a day and a zone offset (at most 26
            // hours) before its midnight: once that is past the best run, none can beat it.
            if best.is_some_and(|b| (d - 2) * DAY > b) {
                break;
            }
            for s in self.runs_on(d) {
                if s > f && best.is_none_or(|b| s < b) {
                    best = Some(s);
                }
            }
        }
        best.and_then(|s| Timestamp::from_second(s).ok())
    }

    /// The most recent run that became due at or before `t`, if one falls within
    /// [`HORIZON_DAYS`] of it.
    pub(crate) fn latest_at_or_before(&self, t: Timestamp) -> Option<Timestamp> {
        if let Self::Any(all) = self {
            return all.iter().filter_map(|s| s.latest_at_or_before(t)).max();
        }
        let f = floor_second(t);
        let d0 = self.day_of(f);
        let mut best: Option<i64> = None;
        for d in (d0 - HORIZON_DAYS..=d0 + 1).rev() {
            if best.is_some_and(|b| (d + 3) * DAY < b) {
                break;
            }
            for s in self.runs_on(d) {
                if s <= f && best.is_none_or(|b| s > b) {
                    best = Some(s);
                }
            }
        }
        best.and_then(|s| Timestamp::from_second(s).ok())
    }

    /// Whether it counts its days from a run still to be seen (a VBS `frequency` above 1
    /// without an anchor): it has no runs until [`Schedule::anchored`].
    pub(crate) fn needs_anchor(&self) -> bool {
        match self {
            Self::Vbs(v) => v.needs_anchor(),
            Self::Any(all) => all.iter().any(Self::needs_anchor),
            Self::Cbr(_) | Self::Yandex(_) | Self::Aws(_) => false,
        }
    }

    /// The schedule with its days counted from the run that started at `run`, where they
    /// count from a run ([`Schedule::needs_anchor`]); otherwise itself.
    pub(crate) fn anchored(&self, run: Timestamp) -> Schedule {
        match self {
            Self::Vbs(v) => Self::Vbs(v.anchored(run.as_second())),
            Self::Any(all) => Self::Any(all.iter().map(|s| s.anchored(run)).collect()),
            other => other.clone(),
        }
    }

    /// The day number, in the schedule's day zone, of the Unix second `s`.
    fn day_of(&self, s: i64) -> i64 {
        match self {
            Self::Vbs(v) => v.day_of(s),
            Self::Cbr(_) => s.div_euclid(DAY),
            Self::Yandex(y) => y.day_of(s),
            Self::Aws(a) => a.day_of(s),
            // Not asked: each part answers the queries in its own day zone.
            Self::Any(_) => s.div_euclid(DAY),
        }
    }

    /// The runs of day `d` (day zone), as Unix seconds.
    fn runs_on(&self, d: i64) -> Vec<i64> {
        match self {
            Self::Vbs(v) => v.runs_on(d),
            Self::Cbr(c) => c.runs_on(d),
            Self::Yandex(y) => y.runs_on(d),
            Self::Aws(a) => a.runs_on(d),
            Self::Any(_) => Vec::new(),
        }
    }
}

/// `t` rounded down to its second: a run (a whole minute) is after `t` exactly when it is
/// after this second, and at or before `t` exactly when it is at or before it.
fn floor_second(t: Timestamp) -> i64 {
    let s = t.as_second();
    if t.subsec_nanosecond() < 0 { s - 1 } else { s }
}

/// `"HH:MM"` (one or two hour digits, two minute digits) as minutes after midnight.
fn hh_mm(field: &'static str, s: &str) -> Result<u32, ScheduleError> {
    let bad = || ScheduleError::invalid(field, s, "a time of day HH:MM from 00:00 to 23:59");
    let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
    let digits = |x: &str, n: std::ops::RangeInclusive<usize>| {
        n.contains(&x.len()) && x.bytes().all(|b| b.is_ascii_digit())
    };
    if !digits(h, 1..=2) || !digits(m, 2..=2) {
        return Err(bad());
    }
    let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if h > 23 || m > 59 {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

/// A day of the week, Monday 0 to Sunday 6, from its name in `names` (same order).
fn weekday(
    field: &'static str,
    s: &str,
    names: [&str; 7],
    expected: &'static str,
) -> Result<u8, ScheduleError> {
    let t = s.trim();
    names
        .iter()
        .position(|n| n.eq_ignore_ascii_case(t))
        .and_then(|i| u8::try_from(i).ok())
        .ok_or_else(|| ScheduleError::invalid(field, s, expected))
}
