//! Huawei CBR: a policy trigger's `properties.pattern` (`docs/providers.md` "Backup
//! schedules").
//!
//! Each pattern is an RFC 2445 recurrence rule in UTC, of the subset CBR documents: `FREQ`
//! (`DAILY` or `WEEKLY`), `INTERVAL`, `BYDAY` (`MO` … `SU`), `BYHOUR` (0–23) and `BYMINUTE`
//! (0–59); a policy has up to 24 of them and runs at each of their times. The trigger's
//! `start_time` is the rule's start (RFC 2445 `DTSTART`): no run is before it, `INTERVAL`
//! counts days or Monday-based weeks from its date, and a weekly rule without `BYDAY` runs on
//! its weekday.

use jiff::{Timestamp, civil::DateTime};

use super::{DAY, ScheduleError, civil, weekday};

/// A CBR schedule, read: the union of its rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cbr {
    rules: Vec<Rule>,
    /// `start_time` as a Unix second.
    start: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    weekly: bool,
    interval: i64,
    /// A bit per weekday, Monday bit 0; 0 = every day.
    days: u8,
    /// Minutes after UTC midnight, ascending, without repeats.
    times: Vec<u32>,
}

const DAY_NAMES: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

impl Cbr {
    /// Reads a trigger: its `pattern` list and its `start_time` (`2020-01-08 09:59:49`, UTC;
    /// RFC 3339 with an offset is read too).
    pub(crate) fn parse(
        patterns: &[&str],
        start_time: Option<&str>,
    ) -> Result<Self, ScheduleError> {
        let start = match start_time.map(str::trim) {
            None | Some("") => None,
            Some(s) => Some(start(s)?),
        };
        if patterns.is_empty() {
            return Err(ScheduleError::Empty {
                field: "pattern",
                what: "rule",
            });
        }
        let rules = patterns
            .iter()
            .map(|p| rule(p, start))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { rules, start })
    }

    /// The runs of UTC day `d`.
    pub(super) fn runs_on(&self, d: i64) -> Vec<i64> {
        let anchor = self.start.map(|s| s.div_euclid(DAY));
        let mut out = Vec::new();
        for r in &self.rules {
            if r.days != 0 && r.days & (1 << civil::weekday(d)) == 0 {
                continue;
            }
            if let Some(a) = anchor {
                let apart = if r.weekly {
                    civil::week(d) - civil::week(a)
                } else {
                    d - a
                };
                if apart.rem_euclid(r.interval) != 0 {
                    continue;
                }
            }
            out.extend(r.times.iter().map(|&m| d * DAY + i64::from(m) * 60));
        }
        if let Some(s) = self.start {
            out.retain(|&x| x >= s);
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// The trigger's `start_time`: naive (UTC) with a space or `T`, or with an offset.
fn start(s: &str) -> Result<i64, ScheduleError> {
    if let Ok(t) = s.parse::<Timestamp>() {
        return Ok(t.as_second());
    }
    s.parse::<DateTime>()
        .ok()
        .and_then(|dt| dt.to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|z| z.timestamp().as_second())
        .ok_or_else(|| ScheduleError::invalid("start_time", s, "a time YYYY-MM-DD HH:MM:SS (UTC)"))
}

/// One pattern, e.g. `FREQ=WEEKLY;BYDAY=MO,TH;BYHOUR=02;BYMINUTE=30`.
fn rule(p: &str, start: Option<i64>) -> Result<Rule, ScheduleError> {
    let (mut freq, mut interval, mut days, mut hours, mut minutes) = (None, None, None, None, None);
    for part in p.trim().trim_end_matches(';').split(';') {
        let (key, value) = part
            .split_once('=')
            .ok_or_else(|| ScheduleError::invalid("pattern", part, "a KEY=VALUE part"))?;
        let key = key.trim().to_ascii_uppercase();
        let value = value.trim();
        let seen = match key.as_str() {
            "FREQ" => freq.replace(value).is_some(),
            "INTERVAL" => interval.replace(value).is_some(),
            "BYDAY" => days.replace(value).is_some(),
            "BYHOUR" => hours.replace(value).is_some(),
            "BYMINUTE" => minutes.replace(value).is_some(),
            "WKST" if value.eq_ignore_ascii_case("MO") => false,
            _ => {
                return Err(ScheduleError::Unsupported {
                    field: "pattern",
                    value: part.chars().take(64).collect(),
                    why: "CBR rules use only FREQ, INTERVAL, BYDAY, BYHOUR and BYMINUTE",
                });
            }
        };
        if seen {
            return Err(ScheduleError::invalid(
                "pattern",
                p,
                "a rule naming each key once",
            ));
        }
    }
    let weekly = match freq {
        None => {
            return Err(ScheduleError::Missing {
                field: "FREQ",
                why: "a rule says whether it repeats DAILY or WEEKLY",
            });
        }
        Some(f) if f.eq_ignore_ascii_case("DAILY") => false,
        Some(f) if f.eq_ignore_ascii_case("WEEKLY") => true,
        Some(f) => return Err(ScheduleError::invalid("FREQ", f, "DAILY or WEEKLY")),
    };
    let interval = match interval {
        None => 1,
        Some(i) => i
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=10_000).contains(n))
            .ok_or_else(|| ScheduleError::invalid("INTERVAL", i, "a whole number from 1"))?,
    };
    if interval > 1 && start.is_none() {
        return Err(ScheduleError::Missing {
            field: "start_time",
            why: "an INTERVAL above 1 counts from the trigger's start time",
        });
    }
    let mut mask = 0u8;
    for d in list("BYDAY", days)? {
        mask |= 1 << weekday("BYDAY", d, DAY_NAMES, "a day MO, TU, WE, TH, FR, SA or SU")?;
    }
    if weekly && mask == 0 {
        // RFC 2445: a weekly rule without BYDAY repeats on its start's weekday.
        let s = start.ok_or(ScheduleError::Missing {
            field: "BYDAY",
            why: "a weekly rule without it runs on the weekday of the trigger's start_time, which is absent",
        })?;
        mask = 1 << civil::weekday(s.div_euclid(DAY));
    }
    let hours = numbers("BYHOUR", hours, 23, "an hour from 0 to 23")?;
    let minutes = numbers("BYMINUTE", minutes, 59, "a minute from 0 to 59")?;
    let mut times: Vec<u32> = hours
        .iter()
        .flat_map(|h| minutes.iter().map(move |m| h * 60 + m))
        .collect();
    times.sort_unstable();
    times.dedup();
    Ok(Rule {
        weekly,
        interval,
        days: mask,
        times,
    })
}

/// A comma-separated list; absent is empty, a present list must name something.
fn list<'a>(field: &'static str, v: Option<&'a str>) -> Result<Vec<&'a str>, ScheduleError> {
    let Some(v) = v else { return Ok(Vec::new()) };
    if v.is_empty() {
        return Err(ScheduleError::Empty {
            field,
            what: "value",
        });
    }
    Ok(v.split(',').collect())
}

/// `BYHOUR`, `BYMINUTE`: required lists of numbers up to `max`.
fn numbers(
    field: &'static str,
    v: Option<&str>,
    max: u32,
    expected: &'static str,
) -> Result<Vec<u32>, ScheduleError> {
    if v.is_none() {
        return Err(ScheduleError::Missing {
            field,
            why: "CBR rules name the times they run at",
        });
    }
    list(field, v)?
        .into_iter()
        .map(|x| {
            let t = x.trim();
            t.bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| t.parse::<u32>().ok())
                .flatten()
                .filter(|n| *n <= max)
                .ok_or_else(|| ScheduleError::invalid(field, x, expected))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(patterns: &[&str], start: Option<&str>) -> String {
        Cbr::parse(patterns, start)
            .map(|_| ())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn the_documented_examples_read() {
        let c = Cbr::parse(
            &["FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU;BYHOUR=14;BYMINUTE=00"],
            None,
        )
        .unwrap();
        assert_eq!(c.rules[0].days, 0x7f);
        assert_eq!(c.rules[0].times, vec![840]);
        let c = Cbr::parse(
            &["FREQ=DAILY;INTERVAL=1;BYHOUR=6;BYMINUTE=00"],
            Some("2020-01-08 09:59:49"),
        )
        .unwrap();
        assert_eq!(c.start, Some(1_578_477_589));
        let c = Cbr::parse(&["FREQ=WEEKLY;BYDAY=MO,TH;BYHOUR=02,14;BYMINUTE=30"], None).unwrap();
        assert_eq!(c.rules[0].days, 0b1001);
        assert_eq!(c.rules[0].times, vec![150, 870]);
    }

    #[test]
    fn each_malformed_rule_is_named() {
        assert_eq!(
            err(&["FREQ=WEEKLY;BYDAY=MO,XX;BYHOUR=02;BYMINUTE=30"], None),
            "BYDAY: \"XX\" is not a day MO, TU, WE, TH, FR, SA or SU"
        );
        assert_eq!(
            err(&["FREQ=DAILY;BYHOUR=24;BYMINUTE=00"], None),
            "BYHOUR: \"24\" is not an hour from 0 to 23"
        );
        assert_eq!(
            err(&["FREQ=DAILY;BYHOUR=1;BYMINUTE=-5"], None),
            "BYMINUTE: \"-5\" is not a minute from 0 to 59"
        );
        assert_eq!(
            err(&["FREQ=MONTHLY;BYHOUR=1;BYMINUTE=0"], None),
            "FREQ: \"MONTHLY\" is not DAILY or WEEKLY"
        );
        assert_eq!(
            err(&["BYHOUR=1;BYMINUTE=0"], None),
            "FREQ is missing: a rule says whether it repeats DAILY or WEEKLY"
        );
        assert_eq!(
            err(&["FREQ=DAILY;BYMINUTE=0"], None),
            "BYHOUR is missing: CBR rules name the times they run at"
        );
        assert_eq!(
            err(&["FREQ=DAILY;BYHOUR=;BYMINUTE=0"], None),
            "BYHOUR is empty: the schedule names no value"
        );
        assert!(
            err(&["FREQ=DAILY;COUNT=3;BYHOUR=1;BYMINUTE=0"], None)
                .starts_with("pattern: \"COUNT=3\" is not supported")
        );
        assert!(
            err(&["FREQ=DAILY;FREQ=DAILY;BYHOUR=1;BYMINUTE=0"], None)
                .ends_with("is not a rule naming each key once")
        );
        assert_eq!(
            err(&["FREQ=DAILY;INTERVAL=0;BYHOUR=1;BYMINUTE=0"], None),
            "INTERVAL: \"0\" is not a whole number from 1"
        );
        assert_eq!(
            err(&["FREQ=DAILY;INTERVAL=2;BYHOUR=1;BYMINUTE=0"], None),
            "start_time is missing: an INTERVAL above 1 counts from the trigger's start time"
        );
        assert!(err(&["FREQ=WEEKLY;BYHOUR=1;BYMINUTE=0"], None).starts_with("BYDAY is missing"));
        assert_eq!(
            err(&[], None),
            "pattern is empty: the schedule names no rule"
        );
        assert_eq!(
            err(&["FREQ=DAILY;BYHOUR=1;BYMINUTE=0"], Some("yesterday")),
            "start_time: \"yesterday\" is not a time YYYY-MM-DD HH:MM:SS (UTC)"
        );
        assert!(
            err(&["FREQ=DAILY;BYHOUR"], None).starts_with("pattern: \"BYHOUR\" is not a KEY=VALUE")
        );
    }

    #[test]
    fn no_run_before_the_start() {
        let c = Cbr::parse(
            &["FREQ=DAILY;BYHOUR=6,12;BYMINUTE=0"],
            Some("2020-01-08T09:59:49Z"),
        )
        .unwrap();
        let day = civil::days_from_civil(2020, 1, 8);
        assert_eq!(c.runs_on(day), vec![day * DAY + 12 * 3600]);
    }
}
