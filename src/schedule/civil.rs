//! Day numbers (days since 1970-01-01) and the proleptic Gregorian calendar, in integers:
//! the schedules' date filters without building a date per day.

use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, TimeZone};

/// The instants (Unix seconds) of the wall times `times` (minutes after midnight, below
/// 24 × 60) on the civil date `(y, m, d)` in `zone`: a wall time the clocks skip has none,
/// one they pass twice its first (the rule the Yandex and AWS schedules follow).
pub(super) fn wall_times(zone: &TimeZone, (y, m, d): (i64, u8, u8), times: &[u32]) -> Vec<i64> {
    let (Ok(y), Ok(m), Ok(d)) = (i16::try_from(y), i8::try_from(m), i8::try_from(d)) else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(times.len());
    for &t in times {
        let (Ok(h), Ok(mi)) = (i8::try_from(t / 60), i8::try_from(t % 60)) else {
            continue;
        };
        let Ok(dt) = DateTime::new(y, m, d, h, mi, 0, 0) else {
            continue;
        };
        let at = zone.to_ambiguous_timestamp(dt);
        if matches!(at.offset(), AmbiguousOffset::Gap { .. }) {
            continue;
        }
        if let Ok(ts) = at.earlier() {
            out.push(ts.as_second());
        }
    }
    out
}

/// The day number of 1970-01-01's Monday-based week start is −3 (1970-01-01 was a Thursday).
const THURSDAY: i64 = 3;

/// The day of the week of day number `d`: Monday 0 to Sunday 6.
pub(super) fn weekday(d: i64) -> u8 {
    // In 0..7, so the cast cannot truncate.
    (d + THURSDAY).rem_euclid(7) as u8
}

/// The number of the Monday-based week that holds day `d` (week 0 starts 1969-12-29).
pub(super) fn week(d: i64) -> i64 {
    (d + THURSDAY).div_euclid(7)
}

/// Year, month (1–12) and day (1–31) of day number `d` (H. Hinnant's `civil_from_days`).
pub(super) fn civil_from_days(d: i64) -> (i64, u8, u8) {
    let z = d + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    // day in 1..=31 and month in 1..=12 by construction.
    (year, month as u8, day as u8)
}

/// The day number of `year`-`month`-`day` (H. Hinnant's `days_from_civil`).
pub(super) fn days_from_civil(year: i64, month: u8, day: u8) -> i64 {
    let (m, d) = (i64::from(month), i64::from(day));
    let y = if m <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The number of days in `month` of `year`.
pub(super) fn days_in_month(year: i64, month: u8) -> u8 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_round_trip_and_know_the_weekday() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(weekday(0), 3, "1970-01-01 was a Thursday");
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(2100, 2), 28);
        assert_eq!(days_in_month(2000, 2), 29);
        assert_eq!(week(-3), 0);
        assert_eq!(week(-4), -1);
        for d in -800_000..800_000 {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
    }
}
