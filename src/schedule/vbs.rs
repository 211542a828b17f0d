//! Huawei VBS: a backup policy's `scheduled_policy` (`docs/providers.md` "Backup schedules").
//!
//! `start_time` lists UTC times (`"02:00,14:00"`); the days are either every `frequency` days
//! (1–14, counted from an anchor date the API does not publish: a run's day, which the caller
//! supplies, [`Vbs::anchored`]) or the `week_frequency` days (`SUN` … `SAT`). When the policy
//! has a `time_zone`
//! (`UTC+08:00`), its days are the local days of that fixed offset, while the times stay in
//! UTC: a run is a UTC time of `start_time` whose local date is one of the policy's days.

use jiff::civil::Date;

use super::{DAY, ScheduleError, civil, hh_mm, weekday};

/// What a VBS `scheduled_policy` says about when it runs, as the API returns it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct VbsPolicy<'a> {
    /// `start_time`: UTC `HH:mm` times, comma-separated.
    pub start_time: &'a str,
    /// `frequency`: every this many days (1–14); takes precedence over `week_frequency`.
    pub frequency: Option<i64>,
    /// `week_frequency`: `SUN`, `MON`, `TUE`, `WED`, `THU`, `FRI`, `SAT`.
    pub week_frequency: &'a [&'a str],
    /// The policy's `time_zone`, `UTC±HH:mm`; absent means UTC.
    pub time_zone: Option<&'a str>,
    /// The local date that `frequency` counts from (a run day). The API publishes none: without
    /// it, a `frequency` above 1 gives no runs until [`Vbs::anchored`] to a run seen.
    pub anchor: Option<Date>,
}

/// A VBS schedule, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Vbs {
    /// Minutes after UTC midnight, ascending, without repeats.
    times: Vec<u32>,
    days: Days,
    /// The `time_zone` offset in seconds (local = UTC + offset).
    offset: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Days {
    /// Every `n` days from day number `anchor`.
    Every { n: i64, anchor: i64 },
    /// Every `n` (above 1) days from a day not known yet: no runs until anchored.
    Unanchored { n: i64 },
    /// A bit per weekday, Monday bit 0.
    Week(u8),
}

/// How early before its slot a run may be created and still be that slot's run (clocks
/// differ); a run created later than its slot belongs to the latest slot before it.
pub(crate) const ANCHOR_SLACK: i64 = 30 * 60;

const WEEK_NAMES: [&str; 7] = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"];

impl Vbs {
    /// Reads a `scheduled_policy`.
    pub(crate) fn parse(p: &VbsPolicy<'_>) -> Result<Self, ScheduleError> {
        let times = start_times(p.start_time)?;
        let offset = match p.time_zone {
            None => 0,
            Some(z) if z.trim().is_empty() => 0,
            Some(z) => time_zone(z)?,
        };
        let days = match p.frequency {
            Some(n) if !(1..=14).contains(&n) => {
                return Err(ScheduleError::invalid(
                    "frequency",
                    n,
                    "a number of days from 1 to 14",
                ));
            }
            Some(1) => Days::Every { n: 1, anchor: 0 },
            Some(n) => match p.anchor {
                Some(a) => Days::Every {
                    n,
                    anchor: civil::days_from_civil(
                        i64::from(a.year()),
                        a.month().unsigned_abs(),
                        a.day().unsigned_abs(),
                    ),
                },
                None => Days::Unanchored { n },
            },
            None => {
                if p.week_frequency.is_empty() {
                    return Err(ScheduleError::Empty {
                        field: "frequency and week_frequency",
                        what: "day",
                    });
                }
                let mut mask = 0u8;
                for d in p.week_frequency {
                    let w = weekday(
                        "week_frequency",
                        d,
                        WEEK_NAMES,
                        "a day SUN, MON, TUE, WED, THU, FRI or SAT",
                    )?;
                    mask |= 1 << w;
                }
                Days::Week(mask)
            }
        };
        Ok(Self {
            times,
            days,
            offset,
        })
    }

    /// Whether its days count from a run still to be seen (`frequency` above 1, no anchor).
    pub(crate) fn needs_anchor(&self) -> bool {
        matches!(self.days, Days::Unanchored { .. })
    }

    /// This schedule with its `frequency` counted from the day of the run that started at
    /// Unix second `run`: the local day of the latest `start_time` slot at or before
    /// `run` + [`ANCHOR_SLACK`] (a run is created at its slot or soon after; the slack takes
    /// one created a little early). A schedule that needs no anchor stays as it is.
    pub(crate) fn anchored(&self, run: i64) -> Vbs {
        let Days::Unanchored { n } = self.days else {
            return self.clone();
        };
        let daily = Vbs {
            days: Days::Every { n: 1, anchor: 0 },
            ..self.clone()
        };
        let t = run.saturating_add(ANCHOR_SLACK);
        let d = daily.day_of(t);
        // Every slot falls on its local day; the latest at or before t is on day d or d − 1.
        let slot = (d - 1..=d)
            .flat_map(|x| daily.runs_on(x))
            .filter(|&s| s <= t)
            .max()
            .unwrap_or(t);
        Vbs {
            days: Days::Every {
                n,
                anchor: self.day_of(slot),
            },
            ..daily
        }
    }

    /// The local day number of the Unix second `s`.
    pub(super) fn day_of(&self, s: i64) -> i64 {
        (s + self.offset).div_euclid(DAY)
    }

    /// The runs whose local date is day `d`.
    pub(super) fn runs_on(&self, d: i64) -> Vec<i64> {
        let on = match self.days {
            Days::Every { n, anchor } => (d - anchor).rem_euclid(n) == 0,
            Days::Unanchored { .. } => false,
            Days::Week(mask) => mask & (1 << civil::weekday(d)) != 0,
        };
        if !on {
            return Vec::new();
        }
        // Local day d is [lo, lo + DAY) in UTC; each UTC time of day falls in it once.
        let lo = d * DAY - self.offset;
        let mut out: Vec<i64> = self
            .times
            .iter()
            .map(|&m| {
                let s = d * DAY + i64::from(m) * 60;
                if s < lo {
                    s + DAY
                } else if s >= lo + DAY {
                    s - DAY
                } else {
                    s
                }
            })
            .collect();
        out.sort_unstable();
        out
    }
}

/// `start_time`: `"HH:mm"` times separated by commas, in any order, repeats allowed.
fn start_times(s: &str) -> Result<Vec<u32>, ScheduleError> {
    if s.trim().is_empty() {
        return Err(ScheduleError::Empty {
            field: "start_time",
            what: "time",
        });
    }
    let mut out = s
        .split(',')
        .map(|t| hh_mm("start_time", t))
        .collect::<Result<Vec<_>, _>>()?;
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// `time_zone`: `UTC+08:00`, `UTC-02:00` (up to ±18:00) as an offset in seconds.
fn time_zone(s: &str) -> Result<i64, ScheduleError> {
    let bad = || ScheduleError::invalid("time_zone", s, "an offset UTC+HH:mm or UTC-HH:mm");
    let rest = s.trim().strip_prefix("UTC").ok_or_else(bad)?;
    let (sign, hm) = match rest.split_at_checked(1) {
        Some(("+", hm)) => (1, hm),
        Some(("-", hm)) => (-1, hm),
        _ => return Err(bad()),
    };
    let m = i64::from(hh_mm("time_zone", hm).map_err(|_| bad())?);
    if m > 18 * 60 {
        return Err(bad());
    }
    Ok(sign * m * 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(start_time: &str) -> VbsPolicy<'_> {
        VbsPolicy {
            start_time,
            frequency: Some(1),
            week_frequency: &[],
            time_zone: None,
            anchor: None,
        }
    }

    fn err(p: &VbsPolicy<'_>) -> String {
        Vbs::parse(p).map(|_| ()).unwrap_err().to_string()
    }

    #[test]
    fn start_times_are_read_in_any_order() {
        let v = Vbs::parse(&policy("14:00, 02:30,02:30")).unwrap();
        assert_eq!(v.times, vec![150, 840]);
    }

    #[test]
    fn each_malformed_field_is_named() {
        assert_eq!(
            err(&policy("25:00")),
            "start_time: \"25:00\" is not a time of day HH:MM from 00:00 to 23:59"
        );
        assert!(err(&policy("02:30,")).starts_with("start_time: \"\" is not"));
        assert!(err(&policy("2:5")).starts_with("start_time: \"2:5\""));
        assert!(err(&policy("02:60")).starts_with("start_time: \"02:60\""));
        assert_eq!(
            err(&policy(" ")),
            "start_time is empty: the schedule names no time"
        );
        let p = VbsPolicy {
            frequency: Some(15),
            ..policy("02:00")
        };
        assert_eq!(
            err(&p),
            "frequency: \"15\" is not a number of days from 1 to 14"
        );
        let p = VbsPolicy {
            frequency: Some(3),
            ..policy("02:00")
        };
        assert!(
            Vbs::parse(&p).unwrap().needs_anchor(),
            "not an error: no runs yet"
        );
        let p = VbsPolicy {
            frequency: None,
            week_frequency: &["MON", "FUNDAY"],
            ..policy("02:00")
        };
        assert_eq!(
            err(&p),
            "week_frequency: \"FUNDAY\" is not a day SUN, MON, TUE, WED, THU, FRI or SAT"
        );
        let p = VbsPolicy {
            frequency: None,
            ..policy("02:00")
        };
        assert_eq!(
            err(&p),
            "frequency and week_frequency is empty: the schedule names no day"
        );
        for z in ["UTC+8", "GMT+08:00", "UTC08:00", "UTC+19:00", "UTC+08:60"] {
            let p = VbsPolicy {
                time_zone: Some(z),
                ..policy("02:00")
            };
            assert!(err(&p).starts_with("time_zone: "), "{z}: {}", err(&p));
        }
    }

    /// A `frequency` above 1 has no runs until anchored; then its days count from the local
    /// day of the slot the run seen belongs to, whether it was created on time, a little
    /// early or hours late.
    #[test]
    fn every_n_days_counts_from_the_day_of_a_run_seen() {
        let p = VbsPolicy {
            frequency: Some(3),
            time_zone: Some("UTC+08:00"),
            ..policy("22:00")
        };
        let v = Vbs::parse(&p).unwrap();
        let d = civil::days_from_civil(2024, 5, 10);
        assert!(v.needs_anchor());
        assert!((d - 5..d + 5).all(|x| v.runs_on(x).is_empty()));
        // Created 2024-05-09 22:03 UTC: the 22:00 UTC slot of local 2024-05-10 (UTC+8).
        let run = (d - 1) * DAY + 22 * 3600 + 180;
        let a = v.anchored(run);
        assert!(!a.needs_anchor());
        let slot = |day: i64| vec![(day - 1) * DAY + 22 * 3600];
        assert_eq!(a.runs_on(d), slot(d));
        assert!(a.runs_on(d + 1).is_empty() && a.runs_on(d + 2).is_empty());
        assert_eq!(a.runs_on(d + 3), slot(d + 3));
        assert_eq!(a.runs_on(d - 3), slot(d - 3));
        assert_eq!(v.anchored(run - 13 * 60), a, "13 minutes early");
        assert_eq!(v.anchored(run + 5 * 3600), a, "5 hours late");
        assert_eq!(a.anchored(run + 86_400), a, "anchored already");
        let next = v.anchored(run + 86_400);
        assert_eq!(next.runs_on(d + 1), slot(d + 1), "a day later");
    }

    #[test]
    fn a_time_zone_moves_the_days_not_the_times() {
        // Local Monday in UTC+02:00 is Sunday 22:00 to Monday 22:00 UTC: 22:00 UTC belongs to
        // local Tuesday, so a Monday-only policy at 22:00 UTC runs on Sunday at 22:00 UTC.
        let p = VbsPolicy {
            frequency: None,
            week_frequency: &["MON"],
            time_zone: Some("UTC+02:00"),
            ..policy("22:00,00:00")
        };
        let v = Vbs::parse(&p).unwrap();
        assert_eq!(v.offset, 7200);
        // 2024-05-06 is a Monday.
        let monday = civil::days_from_civil(2024, 5, 6);
        assert_eq!(
            v.runs_on(monday),
            vec![(monday - 1) * DAY + 22 * 3600, monday * DAY]
        );
    }
}
