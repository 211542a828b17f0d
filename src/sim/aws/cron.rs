//! AWS cron expressions as backup plan rules write them
//! (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/events/ScheduledEvents.html#CronExpressions>,
//! the format AWS Backup's `ScheduleExpression` uses): `cron(Minutes Hours Day-of-month
//! Month Day-of-week Year)`, evaluated in the rule's `ScheduleExpressionTimezone` (UTC when
//! absent), for `GetBackupPlan`'s `ScheduledRunsPreview`.
//!
//! Supported in every field: `*`, numbers, `a-b` ranges, `a/n` and `*/n` increments, `,`
//! lists; `?` in day-of-month or day-of-week (one of them must be `?`, as AWS requires);
//! month names `JAN`–`DEC` and weekday names `SUN`–`SAT` (day-of-week 1 is Sunday).
//! Not supported (refused as invalid): `L`, `W` and `#`, `rate(...)` expressions.

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

/// Why a cron expression was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronError(pub String);

/// A parsed AWS cron expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronSchedule {
    minutes: Vec<u8>,
    hours: Vec<u8>,
    /// `None`: `?`.
    days: Option<Vec<u8>>,
    months: Vec<u8>,
    /// `None`: `?`; 1 = Sunday … 7 = Saturday.
    weekdays: Option<Vec<u8>>,
    years: Vec<u16>,
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

fn value(s: &str, names: &[&str]) -> Option<u16> {
    if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
        return u16::try_from(i + 1).ok();
    }
    s.parse().ok()
}

/// The values of one field within `lo..=hi`; `None` for `?` where allowed.
fn field(
    s: &str,
    lo: u16,
    hi: u16,
    names: &[&str],
    question: bool,
    what: &str,
) -> Result<Option<Vec<u16>>, CronError> {
    let bad = || CronError(format!("invalid {what} field '{s}'"));
    if s == "?" {
        return if question { Ok(None) } else { Err(bad()) };
    }
    let mut out = Vec::new();
    for part in s.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, st)) => (
                r,
                st.parse::<u16>().ok().filter(|n| *n > 0).ok_or_else(bad)?,
            ),
            None => (part, 1),
        };
        let (a, b) = if range == "*" {
            (lo, hi)
        } else if let Some((a, b)) = range.split_once('-') {
            (
                value(a, names).ok_or_else(bad)?,
                value(b, names).ok_or_else(bad)?,
            )
        } else {
            let a = value(range, names).ok_or_else(bad)?;
            (a, if part.contains('/') { hi } else { a })
        };
        if a < lo || b > hi || a > b {
            return Err(bad());
        }
        out.extend((a..=b).step_by(usize::from(step)));
    }
    out.sort_unstable();
    out.dedup();
    Ok(Some(out))
}

fn narrow(v: Vec<u16>) -> Vec<u8> {
    v.into_iter().filter_map(|x| u8::try_from(x).ok()).collect()
}

impl CronSchedule {
    /// Parses `cron(m h dom mon dow year)`.
    pub fn parse(expr: &str) -> Result<CronSchedule, CronError> {
        let inner = expr
            .trim()
            .strip_prefix("cron(")
            .and_then(|r| r.strip_suffix(')'))
            .ok_or_else(|| CronError(format!("not a cron(...) expression: '{expr}'")))?;
        let f: Vec<&str> = inner.split_whitespace().collect();
        let [mi, h, dom, mon, dow, y] = f[..] else {
            return Err(CronError(format!(
                "a cron expression has 6 fields, not {}",
                f.len()
            )));
        };
        let minutes = field(mi, 0, 59, &[], false, "minutes")?.unwrap_or_default();
        let hours = field(h, 0, 23, &[], false, "hours")?.unwrap_or_default();
        let days = field(dom, 1, 31, &[], true, "day-of-month")?;
        let months = field(mon, 1, 12, &MONTHS, false, "month")?.unwrap_or_default();
        let weekdays = field(dow, 1, 7, &WEEKDAYS, true, "day-of-week")?;
        let years = field(y, 1970, 2199, &[], false, "year")?.unwrap_or_default();
        if days.is_some() == weekdays.is_some() {
            return Err(CronError(
                "one of day-of-month and day-of-week must be '?'".into(),
            ));
        }
        Ok(CronSchedule {
            minutes: narrow(minutes),
            hours: narrow(hours),
            days: days.map(narrow),
            months: narrow(months),
            weekdays: weekdays.map(narrow),
            years,
        })
    }

    fn day_matches(&self, d: Date) -> bool {
        let month_ok = u8::try_from(d.month()).is_ok_and(|m| self.months.contains(&m));
        let year_ok = u16::try_from(d.year()).is_ok_and(|y| self.years.contains(&y));
        let dom_ok = self
            .days
            .as_ref()
            .is_none_or(|ds| u8::try_from(d.day()).is_ok_and(|x| ds.contains(&x)));
        let dow_ok = self.weekdays.as_ref().is_none_or(|ws| {
            let n = d.weekday().to_sunday_one_offset();
            u8::try_from(n).is_ok_and(|x| ws.contains(&x))
        });
        month_ok && year_ok && dom_ok && dow_ok
    }

    /// The first `n` run times strictly after `after`, in time zone `tz` (looking at most
    /// about five years ahead).
    pub fn next_runs(&self, after: Timestamp, tz: &TimeZone, n: usize) -> Vec<Timestamp> {
        let mut out = Vec::new();
        let mut day = after.to_zoned(tz.clone()).date();
        for _ in 0..(5 * 366 + 2) {
            if out.len() >= n {
                break;
            }
            if self.day_matches(day) {
                for &h in &self.hours {
                    for &m in &self.minutes {
                        let Ok(t) = Time::new(
                            i8::try_from(h).unwrap_or(0),
                            i8::try_from(m).unwrap_or(0),
                            0,
                            0,
                        ) else {
                            continue;
                        };
                        let Ok(z) = tz
                            .to_ambiguous_zoned(DateTime::from_parts(day, t))
                            .compatible()
                        else {
                            continue;
                        };
                        let ts = z.timestamp();
                        if ts > after && out.len() < n && !out.contains(&ts) {
                            out.push(ts);
                        }
                    }
                }
            }
            match day.checked_add(1.day()) {
                Ok(d) => day = d,
                Err(_) => break,
            }
        }
        out.sort();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn daily_and_weekly_runs() {
        let c = CronSchedule::parse("cron(0 5 ? * * *)").unwrap();
        let runs = c.next_runs(ts("2026-12-07T10:00:00Z"), &TimeZone::UTC, 2);
        assert_eq!(
            runs,
            [ts("2026-12-08T05:00:00Z"), ts("2026-12-09T05:00:00Z")]
        );
        let c = CronSchedule::parse("cron(30 1 ? * MON,FRI *)").unwrap();
        // 2026-12-07 is a Monday.
        let runs = c.next_runs(ts("2026-12-07T00:00:00Z"), &TimeZone::UTC, 3);
        assert_eq!(
            runs,
            [
                ts("2026-12-07T01:30:00Z"),
                ts("2026-12-11T01:30:00Z"),
                ts("2026-12-14T01:30:00Z")
            ]
        );
        let c = CronSchedule::parse("cron(0 */12 1 JAN-MAR ? 2027)").unwrap();
        let runs = c.next_runs(ts("2026-12-07T00:00:00Z"), &TimeZone::UTC, 3);
        assert_eq!(
            runs,
            [
                ts("2027-01-01T00:00:00Z"),
                ts("2027-01-01T12:00:00Z"),
                ts("2027-02-01T00:00:00Z")
            ]
        );
    }

    #[test]
    fn time_zones_shift_the_runs() {
        let tz = TimeZone::get("Europe/Berlin").unwrap();
        let c = CronSchedule::parse("cron(0 5 ? * * *)").unwrap();
        let runs = c.next_runs(ts("2026-12-07T10:00:00Z"), &tz, 1);
        assert_eq!(runs, [ts("2026-12-08T04:00:00Z")]);
    }

    #[test]
    fn refuses_what_aws_refuses_or_the_simulator_does_not_support() {
        for bad in [
            "cron(0 5 * * * *)",
            "cron(0 5 ? * ? *)",
            "cron(0 5 L * ? *)",
            "cron(0 5 ? * 2#1 *)",
            "cron(60 5 ? * * *)",
            "cron(0 5 ? *)",
            "rate(1 day)",
        ] {
            assert!(CronSchedule::parse(bad).is_err(), "{bad}");
        }
    }
}
