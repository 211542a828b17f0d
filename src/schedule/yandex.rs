//! Yandex Cloud Backup: a backup set's `time` (`docs/providers.md` "Backup schedules").
//!
//! The policy names no time zone: its wall times are read in a zone the caller gives (UTC
//! unless told otherwise), across daylight-saving changes. A wall time the clocks skip has no
//! run that day; one they pass twice runs the first time only, so no run is expected that
//! might never come.
//!
//! - `HOURLY`: every `repeatEvery` (minutes or hours) from `timeFrom` (default 00:00) up to
//!   `timeTo` (default 23:59), on `weekdays` (every day when empty).
//! - `DAILY`: at each `repeatAt`, on `weekdays` (every day when empty).
//! - `WEEKLY`: at each `repeatAt`, on `weekdays`.
//! - `MONTHLY`: at each `repeatAt`, on `monthdays` (a month without that day skips it) and on
//!   the last day when `includeLastDayOfMonth`, in `months` (every month when empty).
//!
//! A backup set of `sinceLastExecTime` runs a delay after the previous run ended, which no
//! calendar holds: it is not a schedule here.

use jiff::{Timestamp, tz::TimeZone};

use super::{DAY, ScheduleError, civil, weekday};

/// A backup set's `time`, as the API returns it (int64 values already read from their JSON
/// strings; enums by name).
#[derive(Debug, Clone, Copy)]
pub(crate) struct YandexTime<'a> {
    /// `type`: `HOURLY`, `DAILY`, `WEEKLY` or `MONTHLY`.
    pub kind: &'a str,
    /// `repeatAt[]`: `(hour, minute)`.
    pub repeat_at: &'a [(i64, i64)],
    /// `repeatEvery`: `(type, count)`, e.g. `("HOURS", 2)`.
    pub repeat_every: Option<(&'a str, i64)>,
    /// `timeFrom`: `(hour, minute)`.
    pub time_from: Option<(i64, i64)>,
    /// `timeTo`: `(hour, minute)`.
    pub time_to: Option<(i64, i64)>,
    /// `weekdays[]`: `MONDAY` … `SUNDAY`.
    pub weekdays: &'a [&'a str],
    /// `monthdays[]`: 1–31.
    pub monthdays: &'a [i64],
    /// `includeLastDayOfMonth`.
    pub include_last_day_of_month: bool,
    /// `months[]`: 1–12.
    pub months: &'a [i64],
}

/// A Yandex backup set's schedule, read.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Yandex {
    /// Minutes after local midnight, ascending, without repeats.
    times: Vec<u32>,
    /// A bit per weekday, Monday bit 0; 0 = every day.
    weekdays: u8,
    /// Bits 1–31 for the days of the month, bit 0 for the last day; 0 = not monthly.
    monthdays: u32,
    /// Bits 1–12; 0 = every month.
    months: u16,
    zone: TimeZone,
}

const DAY_NAMES: [&str; 7] = [
    "MONDAY",
    "TUESDAY",
    "WEDNESDAY",
    "THURSDAY",
    "FRIDAY",
    "SATURDAY",
    "SUNDAY",
];

impl Yandex {
    /// Reads a backup set's `time`, its wall times in `zone`.
    pub(crate) fn parse(t: &YandexTime<'_>, zone: TimeZone) -> Result<Self, ScheduleError> {
        let mut weekdays = 0u8;
        for d in t.weekdays {
            weekdays |= 1 << weekday("weekdays", d, DAY_NAMES, "a day MONDAY … SUNDAY")?;
        }
        let repeat_at = || -> Result<Vec<u32>, ScheduleError> {
            if t.repeat_at.is_empty() {
                return Err(ScheduleError::Empty {
                    field: "repeatAt",
                    what: "time",
                });
            }
            t.repeat_at
                .iter()
                .map(|&hm| time_of_day("repeatAt", hm))
                .collect()
        };
        let (mut monthdays, mut months) = (0u32, 0u16);
        let mut times = match t.kind.trim() {
            "HOURLY" => series(t)?,
            "DAILY" => repeat_at()?,
            "WEEKLY" => {
                if weekdays == 0 {
                    return Err(ScheduleError::Empty {
                        field: "weekdays",
                        what: "day",
                    });
                }
                repeat_at()?
            }
            "MONTHLY" => {
                if weekdays != 0 {
                    return Err(ScheduleError::Unsupported {
                        field: "weekdays",
                        value: t.weekdays.join(","),
                        why: "a monthly set is read by its monthdays; the API says nothing of weekdays in a month",
                    });
                }
                for &d in t.monthdays {
                    let d = u32::try_from(d)
                        .ok()
                        .filter(|d| (1..=31).contains(d))
                        .ok_or_else(|| {
                            ScheduleError::invalid("monthdays", d, "a day from 1 to 31")
                        })?;
                    monthdays |= 1 << d;
                }
                if t.include_last_day_of_month {
                    monthdays |= 1;
                }
                if monthdays == 0 {
                    return Err(ScheduleError::Empty {
                        field: "monthdays",
                        what: "day",
                    });
                }
                for &m in t.months {
                    let m = u32::try_from(m)
                        .ok()
                        .filter(|m| (1..=12).contains(m))
                        .ok_or_else(|| {
                            ScheduleError::invalid("months", m, "a month from 1 to 12")
                        })?;
                    months |= 1 << m;
                }
                repeat_at()?
            }
            k => {
                return Err(ScheduleError::invalid(
                    "type",
                    k,
                    "HOURLY, DAILY, WEEKLY or MONTHLY",
                ));
            }
        };
        times.sort_unstable();
        times.dedup();
        Ok(Self {
            times,
            weekdays,
            monthdays,
            months,
            zone,
        })
    }

    /// The local day number of the Unix second `s`.
    pub(super) fn day_of(&self, s: i64) -> i64 {
        let off = Timestamp::from_second(s).map_or(0, |t| self.zone.to_offset(t).seconds());
        (s + i64::from(off)).div_euclid(DAY)
    }

    /// The runs on local day `d`.
    pub(super) fn runs_on(&self, d: i64) -> Vec<i64> {
        if self.weekdays != 0 && self.weekdays & (1 << civil::weekday(d)) == 0 {
            return Vec::new();
        }
        let (y, m, dd) = civil::civil_from_days(d);
        if self.monthdays != 0 {
            let last = dd == civil::days_in_month(y, m) && self.monthdays & 1 != 0;
            if !last && self.monthdays & (1 << dd) == 0 {
                return Vec::new();
            }
            if self.months != 0 && self.months & (1 << m) == 0 {
                return Vec::new();
            }
        }
        civil::wall_times(&self.zone, (y, m, dd), &self.times)
    }
}

/// A `TimeOfDay` as minutes after midnight.
fn time_of_day(field: &'static str, (h, m): (i64, i64)) -> Result<u32, ScheduleError> {
    match (u32::try_from(h), u32::try_from(m)) {
        (Ok(h), Ok(m)) if h < 24 && m < 60 => Ok(h * 60 + m),
        _ => Err(ScheduleError::invalid(
            field,
            format!("{h}:{m}"),
            "a time of day (hour 0–23, minute 0–59)",
        )),
    }
}

/// The times of an hourly set: `timeFrom`, then every `repeatEvery`, up to `timeTo`.
fn series(t: &YandexTime<'_>) -> Result<Vec<u32>, ScheduleError> {
    let (kind, count) = t.repeat_every.ok_or(ScheduleError::Missing {
        field: "repeatEvery",
        why: "an hourly set repeats every so many minutes or hours",
    })?;
    let unit = match kind.trim() {
        "MINUTES" => 1,
        "HOURS" => 60,
        k => {
            return Err(ScheduleError::invalid(
                "repeatEvery.type",
                k,
                "MINUTES or HOURS for an hourly set",
            ));
        }
    };
    let step = u32::try_from(count)
        .ok()
        .filter(|c| (1..=24 * 60).contains(&(c * unit)))
        .map(|c| c * unit)
        .ok_or_else(|| {
            ScheduleError::invalid("repeatEvery.count", count, "a count above 0 within a day")
        })?;
    let from = t
        .time_from
        .map_or(Ok(0), |hm| time_of_day("timeFrom", hm))?;
    let to = t
        .time_to
        .map_or(Ok(24 * 60 - 1), |hm| time_of_day("timeTo", hm))?;
    if to < from {
        return Err(ScheduleError::Unsupported {
            field: "timeTo",
            value: format!("{}:{:02}", to / 60, to % 60),
            why: "a window past midnight (timeTo before timeFrom) is not read",
        });
    }
    Ok((from..=to).step_by(step as usize).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONE: YandexTime<'static> = YandexTime {
        kind: "DAILY",
        repeat_at: &[(2, 30)],
        repeat_every: None,
        time_from: None,
        time_to: None,
        weekdays: &[],
        monthdays: &[],
        include_last_day_of_month: false,
        months: &[],
    };

    fn err(t: &YandexTime<'_>) -> String {
        Yandex::parse(t, TimeZone::UTC)
            .map(|_| ())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn each_malformed_field_is_named() {
        let t = YandexTime {
            kind: "YEARLY",
            ..NONE
        };
        assert_eq!(
            err(&t),
            "type: \"YEARLY\" is not HOURLY, DAILY, WEEKLY or MONTHLY"
        );
        let t = YandexTime {
            repeat_at: &[(25, 0)],
            ..NONE
        };
        assert_eq!(
            err(&t),
            "repeatAt: \"25:0\" is not a time of day (hour 0–23, minute 0–59)"
        );
        let t = YandexTime {
            repeat_at: &[],
            ..NONE
        };
        assert_eq!(err(&t), "repeatAt is empty: the schedule names no time");
        let t = YandexTime {
            kind: "WEEKLY",
            ..NONE
        };
        assert_eq!(err(&t), "weekdays is empty: the schedule names no day");
        let t = YandexTime {
            kind: "WEEKLY",
            weekdays: &["MONDAY", "MON"],
            ..NONE
        };
        assert_eq!(err(&t), "weekdays: \"MON\" is not a day MONDAY … SUNDAY");
        let t = YandexTime {
            kind: "MONTHLY",
            monthdays: &[32],
            ..NONE
        };
        assert_eq!(err(&t), "monthdays: \"32\" is not a day from 1 to 31");
        let t = YandexTime {
            kind: "MONTHLY",
            ..NONE
        };
        assert_eq!(err(&t), "monthdays is empty: the schedule names no day");
        let t = YandexTime {
            kind: "MONTHLY",
            monthdays: &[1],
            months: &[13],
            ..NONE
        };
        assert_eq!(err(&t), "months: \"13\" is not a month from 1 to 12");
        let t = YandexTime {
            kind: "HOURLY",
            ..NONE
        };
        assert!(err(&t).starts_with("repeatEvery is missing"));
        let t = YandexTime {
            kind: "HOURLY",
            repeat_every: Some(("DAYS", 1)),
            ..NONE
        };
        assert_eq!(
            err(&t),
            "repeatEvery.type: \"DAYS\" is not MINUTES or HOURS for an hourly set"
        );
        let t = YandexTime {
            kind: "HOURLY",
            repeat_every: Some(("HOURS", 0)),
            ..NONE
        };
        assert!(err(&t).starts_with("repeatEvery.count: \"0\""));
        let t = YandexTime {
            kind: "HOURLY",
            repeat_every: Some(("HOURS", 1)),
            time_from: Some((20, 0)),
            time_to: Some((4, 0)),
            ..NONE
        };
        assert!(err(&t).starts_with("timeTo: \"4:00\" is not supported"));
    }

    #[test]
    fn an_hourly_set_steps_from_time_from_to_time_to() {
        let t = YandexTime {
            kind: "HOURLY",
            repeat_every: Some(("MINUTES", 90)),
            time_from: Some((9, 15)),
            time_to: Some((13, 45)),
            ..NONE
        };
        let y = Yandex::parse(&t, TimeZone::UTC).unwrap();
        assert_eq!(y.times, vec![555, 645, 735, 825]);
    }
}
