//! AWS Backup: a backup rule's `ScheduleExpression` in its `ScheduleExpressionTimezone`
//! (`docs/providers.md` "AWS Backup schedules").
//!
//! The expression is an EventBridge cron expression, `cron(Minutes Hours Day-of-month Month
//! Day-of-week Year)`, read as the EventBridge reference writes it
//! (<https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html>):
//!
//! - every field takes `*`, a number, `a-b`, `a/n`, `*/n`, `a-b/n` and `,` lists of them;
//!   months also `JAN`–`DEC`, days of the week `SUN`–`SAT` (1 is Sunday, 7 Saturday);
//! - exactly one of Day-of-month and Day-of-week is `?`;
//! - Day-of-month `L` (the month's last day), `LW` (its last weekday), `nW` (the weekday
//!   nearest day n, within the month); Day-of-week `L` (Saturday, the week's last day), `nL`
//!   (the month's last weekday n), `n#k` (its k-th weekday n). These stand alone in their
//!   field.
//!
//! What is not read, as `Unsupported` (never a guess): a range that wraps (`FRI-MON`),
//! `L-n`, a special form inside a list, and `rate(...)`, which AWS Backup rules do not take
//! (the model's `ScheduleExpression` is "a cron expression"). A rule without an expression
//! runs at AWS Backup's default `cron(0 5 ? * * *)` ([`DEFAULT_EXPRESSION`]).
//!
//! Wall times are read in the rule's IANA zone (UTC when absent) across daylight-saving
//! changes as EventBridge Scheduler documents: a wall time the clocks skip has no run; one
//! they pass twice runs once, the first time.

use jiff::{Timestamp, tz::TimeZone};

use super::{DAY, ScheduleError, civil};

/// The expression AWS Backup uses for a rule without one (the model's `BackupRule`
/// `ScheduleExpression`): 05:00 every day.
pub(crate) const DEFAULT_EXPRESSION: &str = "cron(0 5 ? * * *)";

/// The years a cron expression may name.
const YEARS: (u16, u16) = (1970, 2199);

const MONTH_NAMES: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];

/// Day-of-week names, 1 (Sunday) to 7 (Saturday).
const DAY_NAMES: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// Which days of a month the expression runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Days {
    /// Day-of-month values (bits 1–31), Day-of-week `?`.
    OfMonth(u32),
    /// `L`: the month's last day.
    Last,
    /// `LW`: the month's last Monday-to-Friday day.
    LastWeekday,
    /// `nW`: the Monday-to-Friday day nearest day n, within the month.
    NearestWeekday(u8),
    /// Day-of-week values, a bit per day, Monday bit 0 (as `civil::weekday`); Day-of-month `?`.
    OfWeek(u8),
    /// `nL`: the month's last weekday (Monday 0 … Sunday 6).
    LastOf(u8),
    /// `n#k`: the month's k-th weekday (Monday 0 … Sunday 6).
    Nth(u8, u8),
}

/// An AWS Backup rule's schedule, read.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Aws {
    /// Minutes after local midnight, ascending.
    times: Vec<u32>,
    days: Days,
    /// Bits 1–12.
    months: u16,
    /// A bit per year from 1970.
    years: [u64; 4],
    zone: TimeZone,
}

/// The time zone of a rule's `ScheduleExpressionTimezone`: UTC when absent or empty, else the
/// IANA zone of that name from the system's time zone database.
pub(crate) fn zone(name: Option<&str>) -> Result<TimeZone, ScheduleError> {
    match name.map(str::trim) {
        None | Some("") | Some("UTC") | Some("Etc/UTC") => Ok(TimeZone::UTC),
        Some(n) => TimeZone::get(n).map_err(|_| ScheduleError::Unsupported {
            field: "ScheduleExpressionTimezone",
            value: n.chars().take(64).collect(),
            why: "the time zone is not in this system's time zone database",
        }),
    }
}

impl Aws {
    /// Reads a rule's `ScheduleExpression` (the default one when absent), its wall times in
    /// `zone`.
    pub(crate) fn parse(expression: Option<&str>, zone: TimeZone) -> Result<Self, ScheduleError> {
        let expr = expression
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .unwrap_or(DEFAULT_EXPRESSION);
        if expr.starts_with("rate(") {
            return Err(unsupported(
                expr,
                "AWS Backup rules take cron expressions; a rate is not computed",
            ));
        }
        let inner = expr
            .strip_prefix("cron(")
            .and_then(|r| r.strip_suffix(')'))
            .ok_or_else(|| {
                invalid(
                    expr,
                    "cron(Minutes Hours Day-of-month Month Day-of-week Year)",
                )
            })?;
        let f: Vec<&str> = inner.split_whitespace().collect();
        let [mi, h, dom, mon, dow, y] = f[..] else {
            return Err(invalid(expr, "a cron expression of 6 fields"));
        };
        let minutes = values(mi, 0, 59, &[])?;
        let hours = values(h, 0, 23, &[])?;
        let months = values(mon, 1, 12, &MONTH_NAMES)?;
        let years = values(y, YEARS.0, YEARS.1, &[])?;
        let days = match (dom.trim(), dow.trim()) {
            ("?", "?") => return Err(invalid(expr, "a Day-of-month or a Day-of-week")),
            ("?", w) => week_days(w)?,
            (d, "?") => month_days(d)?,
            _ => {
                return Err(invalid(
                    expr,
                    "an expression with ? in one of Day-of-month and Day-of-week",
                ));
            }
        };
        let mut times = Vec::new();
        for h in &hours {
            for m in &minutes {
                times.push(u32::from(*h) * 60 + u32::from(*m));
            }
        }
        times.sort_unstable();
        times.dedup();
        let mut year_bits = [0u64; 4];
        for y in years {
            let i = usize::from(y - YEARS.0);
            year_bits[i / 64] |= 1 << (i % 64);
        }
        Ok(Self {
            times,
            days,
            months: months.iter().fold(0, |acc, m| acc | (1 << m)),
            years: year_bits,
            zone,
        })
    }

    /// The local day number of the Unix second `s`.
    pub(super) fn day_of(&self, s: i64) -> i64 {
        let off = Timestamp::from_second(s).map_or(0, |t| self.zone.to_offset(t).seconds());
        (s + i64::from(off)).div_euclid(DAY)
    }

    /// Whether local day `d` is one of the expression's days.
    fn runs_that_day(&self, d: i64) -> bool {
        let (y, m, dd) = civil::civil_from_days(d);
        let year_ok = y
            .checked_sub(i64::from(YEARS.0))
            .and_then(|i| usize::try_from(i).ok())
            .filter(|i| *i < 256)
            .is_some_and(|i| self.years[i / 64] & (1 << (i % 64)) != 0);
        if !year_ok || self.months & (1 << m) == 0 {
            return false;
        }
        let last = civil::days_in_month(y, m);
        let wd = civil::weekday(d);
        let is_weekday = |day: u8| civil::weekday(d - i64::from(dd) + i64::from(day)) < 5;
        match self.days {
            Days::OfMonth(bits) => bits & (1 << dd) != 0,
            Days::Last => dd == last,
            Days::LastWeekday => (1..=last).rev().find(|&x| is_weekday(x)) == Some(dd),
            Days::NearestWeekday(n) => {
                // A month without day n has no run.
                if n > last {
                    return false;
                }
                let target = if is_weekday(n) {
                    n
                } else if civil::weekday(d - i64::from(dd) + i64::from(n)) == 5 {
                    // Saturday: the Friday before, or the Monday after the 1st.
                    if n == 1 { 3 } else { n - 1 }
                } else if n == last {
                    // Sunday: the Monday after, or the Friday before the month's last day.
                    n - 2
                } else {
                    n + 1
                };
                dd == target
            }
            Days::OfWeek(bits) => bits & (1 << wd) != 0,
            Days::LastOf(w) => wd == w && dd + 7 > last,
            Days::Nth(w, k) => wd == w && (dd - 1) / 7 + 1 == k,
        }
    }

    /// The runs on local day `d`.
    pub(super) fn runs_on(&self, d: i64) -> Vec<i64> {
        if !self.runs_that_day(d) {
            return Vec::new();
        }
        let (y, m, dd) = civil::civil_from_days(d);
        civil::wall_times(&self.zone, (y, m, dd), &self.times)
    }
}

fn invalid(expr: &str, expected: &'static str) -> ScheduleError {
    ScheduleError::invalid("ScheduleExpression", expr, expected)
}

fn unsupported(value: &str, why: &'static str) -> ScheduleError {
    ScheduleError::Unsupported {
        field: "ScheduleExpression",
        value: value.chars().take(64).collect(),
        why,
    }
}

/// A number or a name (1-based position in `names`).
fn number(s: &str, names: &[&str]) -> Option<u16> {
    if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
        return u16::try_from(i + 1).ok();
    }
    if s.is_empty() || s.len() > 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// The values of a plain field (`*`, numbers, ranges, increments, lists) within `lo..=hi`.
fn values(field: &str, lo: u16, hi: u16, names: &[&str]) -> Result<Vec<u16>, ScheduleError> {
    let bad = || {
        invalid(
            field,
            "a cron field of values, ranges, increments and lists",
        )
    };
    let mut out = Vec::new();
    for part in field.trim().split(',') {
        let special = part.split(['-', '/']).any(|a| {
            number(a, names).is_none() && a.to_ascii_uppercase().contains(['L', 'W', '#', '?'])
        });
        if special {
            return Err(unsupported(
                part,
                "L, W, # and ? stand alone in their field, never in a list or range",
            ));
        }
        let (range, step) = match part.split_once('/') {
            Some((r, st)) => (r, Some(number(st, &[]).filter(|n| *n > 0).ok_or_else(bad)?)),
            None => (part, None),
        };
        let (a, b) = if range == "*" {
            (lo, hi)
        } else if let Some((a, b)) = range.split_once('-') {
            let (a, b) = (
                number(a, names).ok_or_else(bad)?,
                number(b, names).ok_or_else(bad)?,
            );
            if a > b {
                return Err(unsupported(
                    part,
                    "a range that wraps past the field's end is not read",
                ));
            }
            (a, b)
        } else {
            let a = number(range, names).ok_or_else(bad)?;
            (a, if step.is_some() { hi } else { a })
        };
        if a < lo || b > hi {
            return Err(invalid(field, "values within the field's range"));
        }
        out.extend((a..=b).step_by(usize::from(step.unwrap_or(1))));
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// Day-of-month (Day-of-week is `?`).
fn month_days(f: &str) -> Result<Days, ScheduleError> {
    let up = f.to_ascii_uppercase();
    if up == "L" {
        return Ok(Days::Last);
    }
    if up == "LW" {
        return Ok(Days::LastWeekday);
    }
    if let Some(n) = up.strip_suffix('W') {
        let n = number(n, &[])
            .filter(|n| (1..=31).contains(n))
            .ok_or_else(|| invalid(f, "nW with n a day from 1 to 31"))?;
        return Ok(Days::NearestWeekday(n as u8));
    }
    let bits = values(f, 1, 31, &[])?
        .into_iter()
        .fold(0u32, |acc, d| acc | (1 << d));
    Ok(Days::OfMonth(bits))
}

/// Day-of-week (Day-of-month is `?`), converted to Monday 0 … Sunday 6.
fn week_days(f: &str) -> Result<Days, ScheduleError> {
    let up = f.to_ascii_uppercase();
    let monday_zero = |n: u16| ((n + 5) % 7) as u8;
    let day = |s: &str| {
        number(s, &DAY_NAMES)
            .filter(|n| (1..=7).contains(n))
            .map(monday_zero)
    };
    if up == "L" {
        return Ok(Days::OfWeek(1 << monday_zero(7)));
    }
    if let Some(w) = up.strip_suffix('L') {
        let w = day(w).ok_or_else(|| invalid(f, "nL with n a day of the week 1–7 or SUN–SAT"))?;
        return Ok(Days::LastOf(w));
    }
    if let Some((w, k)) = up.split_once('#') {
        let w = day(w).ok_or_else(|| invalid(f, "n#k with n a day of the week 1–7 or SUN–SAT"))?;
        let k = number(k, &[])
            .filter(|k| (1..=5).contains(k))
            .ok_or_else(|| invalid(f, "n#k with k from 1 to 5"))?;
        return Ok(Days::Nth(w, k as u8));
    }
    let bits = values(f, 1, 7, &DAY_NAMES)?
        .into_iter()
        .fold(0u8, |acc, d| acc | (1 << monday_zero(d)));
    Ok(Days::OfWeek(bits))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(expr: &str) -> String {
        Aws::parse(Some(expr), TimeZone::UTC)
            .map(|_| ())
            .unwrap_err()
            .to_string()
    }

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn each_malformed_or_unsupported_expression_is_named() {
        assert!(err("rate(1 day)").contains("is not supported: AWS Backup rules take cron"));
        assert!(err("0 5 * * ? *").contains("is not cron(Minutes"));
        assert!(err("cron(0 5 * * ?)").contains("a cron expression of 6 fields"));
        assert!(err("cron(0 5 ? * ? *)").contains("a Day-of-month or a Day-of-week"));
        assert!(err("cron(0 5 * * * *)").contains("with ? in one of"));
        assert!(err("cron(60 5 ? * * *)").contains("\"60\" is not values within"));
        assert!(err("cron(0 5 ? * FRI-MON *)").contains("\"FRI-MON\" is not supported"));
        assert!(err("cron(0 5 L-2 * ? *)").contains("is not supported"));
        assert!(err("cron(0 5 1,L * ? *)").contains("\"L\" is not supported"));
        assert!(err("cron(0 5 ? * 2#6 *)").contains("k from 1 to 5"));
        assert!(err("cron(0 5 ? * 8L *)").contains("nL with n"));
        assert!(err("cron(0 */0 ? * * *)").contains("is not a cron field"));
        assert!(err("cron(0 5 ? * * 2200)").contains("within the field's range"));
        assert!(matches!(
            zone(Some("Mars/Olympus_Mons")),
            Err(ScheduleError::Unsupported { .. })
        ));
    }

    #[test]
    fn no_expression_is_the_default_of_five_in_the_morning() {
        let s = super::super::Schedule::Aws(Aws::parse(None, TimeZone::UTC).unwrap());
        assert_eq!(
            s.next_after(at("2026-12-07T05:00:00Z")),
            Some(at("2026-12-08T05:00:00Z"))
        );
    }

    #[test]
    fn special_days_fall_where_the_reference_says() {
        let next = |e: &str, t: &str| {
            super::super::Schedule::Aws(Aws::parse(Some(e), TimeZone::UTC).unwrap())
                .next_after(at(t))
        };
        // 2026-02-28 is a Saturday: the last weekday of February is Friday the 27th.
        assert_eq!(
            next("cron(0 1 LW * ? *)", "2026-02-01T00:00:00Z"),
            Some(at("2026-02-27T01:00:00Z"))
        );
        // 2026-08-01 is a Saturday: 1W is Monday the 3rd.
        assert_eq!(
            next("cron(0 1 1W 8 ? *)", "2026-07-01T00:00:00Z"),
            Some(at("2026-08-03T01:00:00Z"))
        );
        // The second Tuesday of December 2026 is the 8th; its last Friday the 25th.
        assert_eq!(
            next("cron(30 2 ? * 3#2 *)", "2026-12-01T00:00:00Z"),
            Some(at("2026-12-08T02:30:00Z"))
        );
        assert_eq!(
            next("cron(0 0 ? DEC FRIL *)", "2026-12-01T00:00:00Z"),
            Some(at("2026-12-25T00:00:00Z"))
        );
        assert_eq!(
            next("cron(0 0 L FEB ? 2028)", "2027-06-01T00:00:00Z"),
            Some(at("2028-02-29T00:00:00Z"))
        );
    }
}
