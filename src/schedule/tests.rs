//! The schedules against an oracle: every minute of a window around a random instant is
//! checked against the rule's definition, written here from `docs/providers.md` "Backup
//! schedules" with jiff's calendar (dates, weekdays, day differences, zone conversions) and
//! nothing of the module's own arithmetic. The schedule under test is built from the API
//! strings the generated rule is written as, through the parsers; the oracle reads the
//! generated rule itself.

use jiff::{
    Span, Timestamp,
    civil::{Date, Weekday},
    tz::{Offset, TimeZone},
};
use proptest::prelude::*;

use super::Schedule;
use super::aws::Aws;
use super::cbr::Cbr;
use super::vbs::{Vbs, VbsPolicy};
use super::yandex::{Yandex, YandexTime};

/// How far on either side of the instant the oracle expands the rule, in days.
const WINDOW_DAYS: i64 = 20;

const WEEK: [Weekday; 7] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
    Weekday::Saturday,
    Weekday::Sunday,
];

/// A rule as generated: what the oracle reads.
#[derive(Debug, Clone)]
enum Spec {
    Vbs {
        /// UTC `(hour, minute)`.
        times: Vec<(i8, i8)>,
        /// `frequency` and its anchor date, or else `week_frequency`.
        every: Option<(i64, Date)>,
        week: Vec<Weekday>,
        /// `time_zone` in minutes.
        offset: i32,
    },
    Cbr {
        rules: Vec<CbrRule>,
        start: Option<Timestamp>,
    },
    Yandex {
        kind: &'static str,
        repeat_at: Vec<(i8, i8)>,
        /// Hourly: step in minutes, from and to as `(hour, minute)`.
        every: i32,
        from: (i8, i8),
        to: (i8, i8),
        weekdays: Vec<Weekday>,
        monthdays: Vec<i8>,
        last: bool,
        months: Vec<i8>,
        zone: TimeZone,
    },
    Aws {
        minutes: Vec<Item>,
        hours: Vec<Item>,
        days: CronDays,
        months: Vec<Item>,
        years: Vec<Item>,
        /// Months and days of the week written by name where a value is.
        names: bool,
        zone: TimeZone,
    },
}

/// Whether `v` is one of the values `items` name, in a field of `lo..=hi`, by the cron
/// reference's words.
fn in_items(items: &[Item], lo: u16, hi: u16, v: u16) -> bool {
    items.iter().any(|i| match *i {
        Item::Star => true,
        Item::StarStep(n) => (v - lo) % n == 0,
        Item::One(a) => v == a,
        Item::Range(a, b) => a <= v && v <= b,
        Item::From(a, n) => v >= a && v <= hi && (v - a) % n == 0,
        Item::RangeStep(a, b, n) => a <= v && v <= b && (v - a) % n == 0,
    })
}

/// A cron field's text; `names` (1-based) replace plain values when given.
fn render(items: &[Item], names: Option<&[&str]>) -> String {
    let v = |x: u16| match names {
        Some(n) => n[usize::from(x) - 1].to_string(),
        None => x.to_string(),
    };
    items
        .iter()
        .map(|i| match *i {
            Item::Star => "*".to_string(),
            Item::StarStep(n) => format!("*/{n}"),
            Item::One(a) => v(a),
            Item::Range(a, b) => format!("{}-{}", v(a), v(b)),
            Item::From(a, n) => format!("{}/{n}", v(a)),
            Item::RangeStep(a, b, n) => format!("{}-{}/{n}", v(a), v(b)),
        })
        .collect::<Vec<_>>()
        .join(",")
}

const CRON_MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const CRON_DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

fn is_weekend(d: Date) -> bool {
    matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// Whether date `d` is one of the cron expression's days.
fn cron_day(days: &CronDays, d: Date) -> bool {
    let dom = d.day() as u16;
    let dow = d.weekday().to_sunday_one_offset() as u16;
    match days {
        CronDays::Dom(items) => in_items(items, 1, 31, dom),
        CronDays::Last => d == d.last_of_month(),
        CronDays::LastWeekday => {
            let mut x = d.last_of_month();
            while is_weekend(x) {
                x = x.yesterday().unwrap();
            }
            x == d
        }
        CronDays::Nearest(n) => {
            let Ok(day) = Date::new(d.year(), d.month(), *n as i8) else {
                return false;
            };
            let target = match day.weekday() {
                Weekday::Saturday if *n == 1 => day.tomorrow().unwrap().tomorrow().unwrap(),
                Weekday::Saturday => day.yesterday().unwrap(),
                Weekday::Sunday if day == day.last_of_month() => {
                    day.yesterday().unwrap().yesterday().unwrap()
                }
                Weekday::Sunday => day.tomorrow().unwrap(),
                _ => day,
            };
            target == d
        }
        CronDays::Dow(items) => in_items(items, 1, 7, dow),
        CronDays::DowL => d.weekday() == Weekday::Saturday,
        CronDays::LastOf(w) => {
            dow == *w && d.checked_add(Span::new().days(7)).unwrap().month() != d.month()
        }
        CronDays::Nth(w, k) => {
            let wd = Weekday::from_sunday_one_offset(*w as i8).unwrap();
            d.nth_weekday_of_month(*k as i8, wd).is_ok_and(|x| x == d)
        }
    }
}

/// One item of a cron field's list.
#[derive(Debug, Clone, Copy)]
enum Item {
    /// `*`
    Star,
    /// `*/n`
    StarStep(u16),
    /// `a`
    One(u16),
    /// `a-b`
    Range(u16, u16),
    /// `a/n`
    From(u16, u16),
    /// `a-b/n`
    RangeStep(u16, u16, u16),
}

/// The day fields of a cron expression.
#[derive(Debug, Clone)]
enum CronDays {
    /// Day-of-month items, Day-of-week `?`.
    Dom(Vec<Item>),
    /// `L ?`
    Last,
    /// `LW ?`
    LastWeekday,
    /// `nW ?`
    Nearest(u16),
    /// `? items`
    Dow(Vec<Item>),
    /// `? L`
    DowL,
    /// `? nL`, n = 1 (Sunday) … 7.
    LastOf(u16),
    /// `? n#k`
    Nth(u16, u16),
}

#[derive(Debug, Clone)]
struct CbrRule {
    weekly: bool,
    interval: i64,
    byday: Vec<Weekday>,
    hours: Vec<i8>,
    minutes: Vec<i8>,
}

/// The zones the Yandex rules are tried in: UTC, a fixed half-hour offset, European and
/// American daylight saving, Lord Howe's half-hour DST, and DST changing at midnight.
const ZONES: [&str; 6] = [
    "UTC0",
    "<+0530>-5:30",
    "CET-1CEST,M3.5.0,M10.5.0/3",
    "EST5EDT,M3.2.0,M11.1.0",
    "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0",
    "<-03>3<-02>,M10.3.0/0,M2.3.0/0",
];

fn zone(posix: &str) -> TimeZone {
    TimeZone::posix(posix).unwrap()
}

fn days_between(from: Date, to: Date) -> i64 {
    i64::from(to.since(from).unwrap().get_days())
}

fn monday_of(d: Date) -> Date {
    d.checked_sub(Span::new().days(d.weekday().to_monday_zero_offset()))
        .unwrap()
}

/// Whether the minute starting at `ts` is a run of `spec`, by the definition.
fn is_run(spec: &Spec, ts: Timestamp) -> bool {
    match spec {
        Spec::Vbs {
            times,
            every,
            week,
            offset,
        } => {
            let utc = ts.to_zoned(TimeZone::UTC);
            if !times.contains(&(utc.hour(), utc.minute())) {
                return false;
            }
            let local = ts
                .to_zoned(TimeZone::fixed(Offset::from_seconds(offset * 60).unwrap()))
                .date();
            match every {
                Some((n, anchor)) => days_between(*anchor, local).rem_euclid(*n) == 0,
                None => week.contains(&local.weekday()),
            }
        }
        Spec::Cbr { rules, start } => {
            if start.is_some_and(|s| ts < s) {
                return false;
            }
            let c = ts.to_zoned(TimeZone::UTC).datetime();
            let start_date = start.map(|s| s.to_zoned(TimeZone::UTC).date());
            rules.iter().any(|r| {
                let day_ok = if !r.byday.is_empty() {
                    r.byday.contains(&c.weekday())
                } else if r.weekly {
                    start_date.is_some_and(|s| s.weekday() == c.weekday())
                } else {
                    true
                };
                let interval_ok = match start_date {
                    None => r.interval == 1,
                    Some(s) if r.weekly => {
                        (days_between(monday_of(s), monday_of(c.date())) / 7).rem_euclid(r.interval)
                            == 0
                    }
                    Some(s) => days_between(s, c.date()).rem_euclid(r.interval) == 0,
                };
                day_ok
                    && interval_ok
                    && r.hours.contains(&c.hour())
                    && r.minutes.contains(&c.minute())
            })
        }
        Spec::Yandex {
            kind,
            repeat_at,
            every,
            from,
            to,
            weekdays,
            monthdays,
            last,
            months,
            zone: tz,
        } => {
            let c = ts.to_zoned(tz.clone()).datetime();
            // The first time the wall clock shows this minute (the earlier of a repeated hour).
            if c.to_zoned(tz.clone()).unwrap().timestamp() != ts {
                return false;
            }
            let time_ok = if *kind == "HOURLY" {
                let m = |(h, m): (i8, i8)| i32::from(h) * 60 + i32::from(m);
                let tod = m((c.hour(), c.minute()));
                (m(*from)..=m(*to)).contains(&tod) && (tod - m(*from)) % every == 0
            } else {
                repeat_at.contains(&(c.hour(), c.minute()))
            };
            let weekday_ok = weekdays.is_empty() || weekdays.contains(&c.weekday());
            let month_ok = *kind != "MONTHLY"
                || ((monthdays.contains(&c.day())
                    || (*last && c.day() == c.date().days_in_month()))
                    && (months.is_empty() || months.contains(&c.month())));
            time_ok && weekday_ok && month_ok
        }
        Spec::Aws {
            minutes,
            hours,
            days,
            months,
            years,
            zone: tz,
            ..
        } => {
            let c = ts.to_zoned(tz.clone()).datetime();
            // The first time the wall clock shows this minute (the earlier of a repeated hour).
            if c.to_zoned(tz.clone()).unwrap().timestamp() != ts {
                return false;
            }
            in_items(minutes, 0, 59, c.minute() as u16)
                && in_items(hours, 0, 23, c.hour() as u16)
                && in_items(months, 1, 12, c.month() as u16)
                && in_items(years, 1970, 2199, c.year() as u16)
                && cron_day(days, c.date())
        }
    }
}

/// The API's strings for `spec`, read by the parsers.
fn build(spec: &Spec) -> Schedule {
    match spec {
        Spec::Vbs {
            times,
            every,
            week,
            offset,
        } => {
            let start_time = times
                .iter()
                .map(|(h, m)| format!("{h:02}:{m:02}"))
                .collect::<Vec<_>>()
                .join(",");
            let names: Vec<&str> = week
                .iter()
                .map(|w| {
                    ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
                        [w.to_monday_zero_offset() as usize]
                })
                .collect();
            let sign = if *offset < 0 { '-' } else { '+' };
            let tz = format!("UTC{sign}{:02}:{:02}", offset.abs() / 60, offset.abs() % 60);
            let p = VbsPolicy {
                start_time: &start_time,
                frequency: every.map(|(n, _)| n),
                week_frequency: &names,
                time_zone: Some(&tz),
                anchor: every.map(|(_, a)| a),
            };
            Schedule::Vbs(Vbs::parse(&p).unwrap())
        }
        Spec::Cbr { rules, start } => {
            let list = |v: &[i8]| {
                v.iter()
                    .map(|x| format!("{x:02}"))
                    .collect::<Vec<_>>()
                    .join(",")
            };
            let patterns: Vec<String> = rules
                .iter()
                .map(|r| {
                    let mut p = format!("FREQ={}", if r.weekly { "WEEKLY" } else { "DAILY" });
                    if r.interval > 1 {
                        p += &format!(";INTERVAL={}", r.interval);
                    }
                    if !r.byday.is_empty() {
                        let days: Vec<&str> = r
                            .byday
                            .iter()
                            .map(|w| {
                                ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
                                    [w.to_monday_zero_offset() as usize]
                            })
                            .collect();
                        p += &format!(";BYDAY={}", days.join(","));
                    }
                    p + &format!(";BYHOUR={};BYMINUTE={}", list(&r.hours), list(&r.minutes))
                })
                .collect();
            let patterns: Vec<&str> = patterns.iter().map(String::as_str).collect();
            let start = start.map(|s| s.strftime("%Y-%m-%d %H:%M:%S").to_string());
            Schedule::Cbr(Cbr::parse(&patterns, start.as_deref()).unwrap())
        }
        Spec::Yandex {
            kind,
            repeat_at,
            every,
            from,
            to,
            weekdays,
            monthdays,
            last,
            months,
            zone: z,
        } => {
            let repeat_at: Vec<(i64, i64)> = repeat_at
                .iter()
                .map(|&(h, m)| (i64::from(h), i64::from(m)))
                .collect();
            let names: Vec<&str> = weekdays
                .iter()
                .map(|w| {
                    [
                        "MONDAY",
                        "TUESDAY",
                        "WEDNESDAY",
                        "THURSDAY",
                        "FRIDAY",
                        "SATURDAY",
                        "SUNDAY",
                    ][w.to_monday_zero_offset() as usize]
                })
                .collect();
            let monthdays: Vec<i64> = monthdays.iter().map(|&d| i64::from(d)).collect();
            let months: Vec<i64> = months.iter().map(|&m| i64::from(m)).collect();
            let hm = |(h, m): (i8, i8)| (i64::from(h), i64::from(m));
            // Whole hours are sent as HOURS, the rest as MINUTES.
            let repeat_every = if every % 60 == 0 {
                ("HOURS", i64::from(every / 60))
            } else {
                ("MINUTES", i64::from(*every))
            };
            let t = YandexTime {
                kind,
                repeat_at: &repeat_at,
                repeat_every: (*kind == "HOURLY").then_some(repeat_every),
                time_from: (*kind == "HOURLY").then(|| hm(*from)),
                time_to: (*kind == "HOURLY").then(|| hm(*to)),
                weekdays: &names,
                monthdays: &monthdays,
                include_last_day_of_month: *last,
                months: &months,
            };
            Schedule::Yandex(Yandex::parse(&t, z.clone()).unwrap())
        }
        Spec::Aws {
            minutes,
            hours,
            days,
            months,
            years,
            names,
            zone: z,
        } => {
            let (month_names, day_names) = if *names {
                (Some(&CRON_MONTHS[..]), Some(&CRON_DAYS[..]))
            } else {
                (None, None)
            };
            let (dom, dow) = match days {
                CronDays::Dom(items) => (render(items, None), "?".to_string()),
                CronDays::Last => ("L".into(), "?".into()),
                CronDays::LastWeekday => ("LW".into(), "?".into()),
                CronDays::Nearest(n) => (format!("{n}W"), "?".into()),
                CronDays::Dow(items) => ("?".into(), render(items, day_names)),
                CronDays::DowL => ("?".into(), "L".into()),
                CronDays::LastOf(w) => (
                    "?".into(),
                    format!("{}L", render(&[Item::One(*w)], day_names)),
                ),
                CronDays::Nth(w, k) => ("?".into(), format!("{w}#{k}")),
            };
            let expr = format!(
                "cron({} {} {dom} {} {dow} {})",
                render(minutes, None),
                render(hours, None),
                render(months, month_names),
                render(years, None)
            );
            Schedule::Aws(Aws::parse(Some(&expr), z.clone()).unwrap())
        }
    }
}

/// Checks both queries at `t` against the oracle's runs in the window around it: where the
/// window holds the answer, it must be the answer; where it does not, the answer must lie
/// beyond the window.
fn check(schedule: &Schedule, spec: &Spec, t: Timestamp) -> Result<(), TestCaseError> {
    let w = WINDOW_DAYS * 86_400;
    let ts = t.as_second();
    let first = (ts - w).div_euclid(60) * 60;
    let runs: Vec<Timestamp> = (0..)
        .map(|k| first + 60 * k)
        .take_while(|s| *s <= ts + w)
        .map(|s| Timestamp::from_second(s).unwrap())
        .filter(|s| is_run(spec, *s))
        .collect();
    let next = schedule.next_after(t);
    match runs.iter().find(|r| **r > t) {
        Some(r) => prop_assert_eq!(next, Some(*r), "next_after({})", t),
        None => prop_assert!(
            next.is_none_or(|n| n.as_second() > ts + w),
            "next_after({}) = {:?}, the oracle has no run within {} days",
            t,
            next,
            WINDOW_DAYS
        ),
    }
    let latest = schedule.latest_at_or_before(t);
    match runs.iter().rev().find(|r| **r <= t) {
        Some(r) if r.as_second() > ts - w => {
            prop_assert_eq!(latest, Some(*r), "latest_at_or_before({})", t)
        }
        _ => prop_assert!(
            latest.is_none_or(|l| l.as_second() <= ts - w),
            "latest_at_or_before({}) = {:?}, the oracle has no run within {} days",
            t,
            latest,
            WINDOW_DAYS
        ),
    }
    Ok(())
}

/// How many runs [`check_every_run`] walks at most.
const MAX_RUNS: usize = 400;

/// Checks that walking `next_after` from the window's start meets exactly the oracle's runs
/// in the window around `t`, and that each is its own latest run: no run too many or missing
/// anywhere in the window, not only next to `t`.
fn check_every_run(spec: &Spec, t: Timestamp) -> Result<(), TestCaseError> {
    let schedule = build(spec);
    let w = WINDOW_DAYS * 86_400;
    let (from, to) = (t.as_second() - w, t.as_second() + w);
    let first = from.div_euclid(60) * 60;
    let want: Vec<Timestamp> = (0..)
        .map(|k| first + 60 * k)
        .take_while(|s| *s <= to)
        .filter(|s| *s > from)
        .map(|s| Timestamp::from_second(s).unwrap())
        .filter(|s| is_run(spec, *s))
        .collect();
    // Every run of the window, or the first `MAX_RUNS` of a schedule that runs many times a
    // day (walking each of those costs a day's expansion: quadratic in the runs).
    let mut got = Vec::new();
    let mut at = Timestamp::from_second(from).unwrap();
    while got.len() < MAX_RUNS {
        let Some(n) = schedule.next_after(at).filter(|n| n.as_second() <= to) else {
            break;
        };
        prop_assert_eq!(schedule.latest_at_or_before(n), Some(n));
        got.push(n);
        at = n;
    }
    if got.len() < MAX_RUNS {
        prop_assert_eq!(got, want);
    } else {
        prop_assert_eq!(Some(&got[..]), want.get(..got.len()));
    }
    check_around(spec, t)
}

/// Checks at a random instant, then exactly at the next run found (a run is at or before
/// itself and not after itself).
fn check_around(spec: &Spec, t: Timestamp) -> Result<(), TestCaseError> {
    let schedule = build(spec);
    check(&schedule, spec, t)?;
    if let Some(n) = schedule.next_after(t) {
        prop_assert_eq!(schedule.latest_at_or_before(n), Some(n));
        check(&schedule, spec, n)?;
    }
    Ok(())
}

/// An instant from 2019 to 2030: on a whole minute half the time, else with seconds and
/// nanoseconds.
fn instant() -> impl Strategy<Value = Timestamp> {
    let base = 1_546_300_800i64; // 2019-01-01T00:00:00Z
    (
        0i64..12 * 365 * 1440,
        prop::bool::ANY,
        0i64..60,
        0i32..1_000_000_000,
    )
        .prop_map(move |(minute, whole, s, ns)| {
            let sec = base + minute * 60;
            if whole {
                Timestamp::from_second(sec).unwrap()
            } else {
                Timestamp::new(sec + s, ns).unwrap()
            }
        })
}

fn weekdays(min: usize) -> impl Strategy<Value = Vec<Weekday>> {
    prop::sample::subsequence(WEEK.to_vec(), min..=7).prop_shuffle()
}

fn time_of_day() -> impl Strategy<Value = (i8, i8)> {
    (0i8..24, prop_oneof![Just(0i8), 0i8..60])
}

fn date() -> impl Strategy<Value = Date> {
    (2018i16..2032, 1i8..=12, 1i8..=28).prop_map(|(y, m, d)| Date::new(y, m, d).unwrap())
}

fn vbs() -> impl Strategy<Value = Spec> {
    (
        prop::collection::vec(time_of_day(), 1..4),
        prop::option::of((1i64..=14, date())),
        weekdays(1),
        prop_oneof![Just(0i32), (-72i32..=72).prop_map(|q| q * 15)],
    )
        .prop_map(|(times, every, week, offset)| Spec::Vbs {
            times,
            every,
            week,
            offset,
        })
}

fn cbr() -> impl Strategy<Value = Spec> {
    let rule = (
        prop::bool::ANY,
        1i64..=4,
        weekdays(0),
        prop::collection::vec(0i8..24, 1..3),
        prop::collection::vec(prop_oneof![Just(0i8), 0i8..60], 1..3),
    )
        .prop_map(|(weekly, interval, byday, hours, minutes)| CbrRule {
            weekly,
            interval,
            byday,
            hours,
            minutes,
        });
    let start = prop::option::of(
        (1_546_300_800i64..1_924_992_000).prop_map(|s| Timestamp::from_second(s).unwrap()),
    );
    (prop::collection::vec(rule, 1..3), start).prop_map(|(mut rules, start)| {
        if start.is_none() {
            // Without a start, a rule must not need one.
            for r in &mut rules {
                r.interval = 1;
                if r.weekly && r.byday.is_empty() {
                    r.byday.push(Weekday::Monday);
                }
            }
        }
        Spec::Cbr { rules, start }
    })
}

fn yandex() -> impl Strategy<Value = Spec> {
    let kind = prop::sample::select(vec!["HOURLY", "DAILY", "WEEKLY", "MONTHLY"]);
    (
        kind,
        // Most offset changes are between 00:00 and 03:00.
        prop::collection::vec(prop_oneof![time_of_day(), (0i8..4, 0i8..60)], 1..4),
        prop_oneof![15i32..=300, (1i32..=6).prop_map(|h| h * 60)],
        time_of_day(),
        time_of_day(),
        weekdays(0),
        prop::collection::vec(1i8..=31, 0..4),
        prop::bool::ANY,
        prop_oneof![Just(Vec::new()), prop::collection::vec(1i8..=12, 1..5)],
        prop::sample::select(ZONES.to_vec()).prop_map(zone),
    )
        .prop_map(
            |(kind, repeat_at, every, a, b, mut weekdays, mut monthdays, last, months, zone)| {
                let (from, to) = if a <= b { (a, b) } else { (b, a) };
                match kind {
                    "WEEKLY" if weekdays.is_empty() => weekdays.push(Weekday::Wednesday),
                    "MONTHLY" => {
                        weekdays.clear();
                        if monthdays.is_empty() && !last {
                            monthdays.push(15);
                        }
                    }
                    _ => {}
                }
                Spec::Yandex {
                    kind,
                    repeat_at,
                    every,
                    from,
                    to,
                    weekdays,
                    monthdays,
                    last,
                    months,
                    zone,
                }
            },
        )
}

/// A cron field item within `lo..=hi`, increments up to `step`.
fn item(lo: u16, hi: u16, step: u16) -> impl Strategy<Value = Item> {
    prop_oneof![
        1 => Just(Item::Star),
        1 => (1..=step).prop_map(Item::StarStep),
        3 => (lo..=hi).prop_map(Item::One),
        1 => (lo..=hi, lo..=hi).prop_map(|(a, b)| Item::Range(a.min(b), a.max(b))),
        1 => (lo..=hi, 1..=step).prop_map(|(a, n)| Item::From(a, n)),
        1 => (lo..=hi, lo..=hi, 1..=step).prop_map(|(a, b, n)| Item::RangeStep(a.min(b), a.max(b), n)),
    ]
}

fn aws() -> impl Strategy<Value = Spec> {
    let days = prop_oneof![
        2 => prop::collection::vec(item(1, 31, 10), 1..3).prop_map(CronDays::Dom),
        1 => Just(CronDays::Last),
        1 => Just(CronDays::LastWeekday),
        1 => (1u16..=31).prop_map(CronDays::Nearest),
        2 => prop::collection::vec(item(1, 7, 3), 1..3).prop_map(CronDays::Dow),
        1 => Just(CronDays::DowL),
        1 => (1u16..=7).prop_map(CronDays::LastOf),
        1 => (1u16..=7, 1u16..=5).prop_map(|(w, k)| CronDays::Nth(w, k)),
    ];
    (
        // Few minutes and hours, mostly: the oracle expands every minute.
        prop::collection::vec(
            prop_oneof![3 => (0u16..60).prop_map(Item::One), 1 => item(0, 59, 30)],
            1..3,
        ),
        prop::collection::vec(
            prop_oneof![3 => (0u16..24).prop_map(Item::One), 1 => item(0, 23, 12)],
            1..3,
        ),
        days,
        prop_oneof![
            Just(vec![Item::Star]),
            prop::collection::vec(item(1, 12, 4), 1..3)
        ],
        prop_oneof![
            3 => Just(vec![Item::Star]),
            1 => prop::collection::vec(item(2018, 2032, 3), 1..3),
        ],
        prop::bool::ANY,
        prop::sample::select(ZONES.to_vec()).prop_map(zone),
    )
        .prop_map(
            |(minutes, hours, days, months, years, names, zone)| Spec::Aws {
                minutes,
                hours,
                days,
                months,
                years,
                names,
                zone,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn aws_schedules_match_the_oracle(spec in aws(), t in instant()) {
        check_every_run(&spec, t)?;
    }

    #[test]
    fn vbs_schedules_match_the_oracle(spec in vbs(), t in instant()) {
        check_around(&spec, t)?;
    }

    #[test]
    fn cbr_schedules_match_the_oracle(spec in cbr(), t in instant()) {
        check_around(&spec, t)?;
    }

    #[test]
    fn yandex_schedules_match_the_oracle(
        spec in yandex(),
        t in instant(),
        near_change in prop::bool::ANY,
        shift in -2 * 86_400i64..2 * 86_400,
    ) {
        // Half the cases are within two days of the zone's next offset change, with a wall
        // time that the change skips or repeats among the set's times.
        let mut spec = spec;
        let mut t = t;
        if let Spec::Yandex { zone: tz, repeat_at, .. } = &mut spec {
            if let Some(change) = tz.following(t).next().filter(|_| near_change) {
                let at = change.timestamp();
                let before = tz.to_offset(at.checked_sub(Span::new().seconds(1)).unwrap());
                let forward = change.offset() > before;
                let minutes = if forward { 15 } else { -15 };
                let wall = at
                    .checked_add(Span::new().minutes(minutes))
                    .unwrap()
                    .to_zoned(TimeZone::fixed(before))
                    .datetime();
                repeat_at.push((wall.hour(), wall.minute()));
                t = at.checked_add(Span::new().seconds(shift)).unwrap();
            }
        }
        check_around(&spec, t)?;
    }
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

#[test]
fn a_yandex_wall_time_skipped_by_dst_has_no_run_and_a_repeated_one_runs_once() {
    let t = YandexTime {
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
    let s = Schedule::Yandex(Yandex::parse(&t, zone("CET-1CEST,M3.5.0,M10.5.0/3")).unwrap());
    // 02:30 CET is 01:30Z; 2024-03-31 has no 02:30 (02:00 CET → 03:00 CEST).
    assert_eq!(
        s.next_after(at("2024-03-30T00:00:00Z")),
        Some(at("2024-03-30T01:30:00Z"))
    );
    assert_eq!(
        s.next_after(at("2024-03-30T01:30:00Z")),
        Some(at("2024-04-01T00:30:00Z"))
    );
    assert_eq!(
        s.latest_at_or_before(at("2024-04-01T00:29:59Z")),
        Some(at("2024-03-30T01:30:00Z"))
    );
    // 2024-10-27 shows 02:30 twice (CEST, then CET): the run is the first, 00:30Z.
    assert_eq!(
        s.next_after(at("2024-10-26T12:00:00Z")),
        Some(at("2024-10-27T00:30:00Z"))
    );
    assert_eq!(
        s.next_after(at("2024-10-27T00:30:00Z")),
        Some(at("2024-10-28T01:30:00Z"))
    );
    assert_eq!(
        s.latest_at_or_before(at("2024-10-27T01:30:00Z")),
        Some(at("2024-10-27T00:30:00Z"))
    );
}

#[test]
fn a_schedule_that_never_runs_within_the_horizon_gives_none() {
    // The 30th of February, then the 31st of April: never.
    let t = YandexTime {
        kind: "MONTHLY",
        repeat_at: &[(1, 0)],
        repeat_every: None,
        time_from: None,
        time_to: None,
        weekdays: &[],
        monthdays: &[30, 31],
        include_last_day_of_month: false,
        months: &[2],
    };
    let s = Schedule::Yandex(Yandex::parse(&t, TimeZone::UTC).unwrap());
    assert_eq!(s.next_after(at("2024-01-01T00:00:00Z")), None);
    assert_eq!(s.latest_at_or_before(at("2024-01-01T00:00:00Z")), None);
}

#[test]
fn vbs_every_n_days_counts_from_the_anchor_both_ways() {
    let p = VbsPolicy {
        start_time: "14:00",
        frequency: Some(3),
        week_frequency: &[],
        time_zone: None,
        anchor: Some(Date::new(2024, 5, 10).unwrap()),
    };
    let s = Schedule::Vbs(Vbs::parse(&p).unwrap());
    assert_eq!(
        s.next_after(at("2024-05-10T14:00:00Z")),
        Some(at("2024-05-13T14:00:00Z"))
    );
    assert_eq!(
        s.latest_at_or_before(at("2024-05-10T13:59:59.999Z")),
        Some(at("2024-05-07T14:00:00Z"))
    );
}

/// A policy of several sets runs when any of them does: the earliest next run of its parts,
/// the latest due one; a part that never runs adds nothing, and no part at all is no run.
#[test]
fn any_of_several_sets_takes_the_earliest_next_and_the_latest_due_run() {
    let daily_at_2 = YandexTime {
        kind: "DAILY",
        repeat_at: &[(2, 0)],
        repeat_every: None,
        time_from: None,
        time_to: None,
        weekdays: &[],
        monthdays: &[],
        include_last_day_of_month: false,
        months: &[],
    };
    let sunday_at_22 = YandexTime {
        kind: "WEEKLY",
        repeat_at: &[(22, 0)],
        weekdays: &["SUNDAY"],
        ..daily_at_2
    };
    let never = YandexTime {
        kind: "MONTHLY",
        monthdays: &[30],
        months: &[2],
        ..daily_at_2
    };
    let part = |t: &YandexTime<'_>| Schedule::Yandex(Yandex::parse(t, TimeZone::UTC).unwrap());
    let s = Schedule::Any(vec![part(&daily_at_2), part(&sunday_at_22), part(&never)]);
    // 2024-06-08 is a Saturday, 2024-06-09 a Sunday.
    assert_eq!(
        s.next_after(at("2024-06-08T03:00:00Z")),
        Some(at("2024-06-09T02:00:00Z"))
    );
    assert_eq!(
        s.next_after(at("2024-06-09T02:00:00Z")),
        Some(at("2024-06-09T22:00:00Z"))
    );
    assert_eq!(
        s.latest_at_or_before(at("2024-06-10T01:59:59Z")),
        Some(at("2024-06-09T22:00:00Z"))
    );
    assert_eq!(
        s.latest_at_or_before(at("2024-06-10T02:00:00Z")),
        Some(at("2024-06-10T02:00:00Z"))
    );
    let never = Schedule::Any(vec![part(&never)]);
    assert_eq!(never.next_after(at("2024-06-08T03:00:00Z")), None);
    let empty = Schedule::Any(Vec::new());
    assert_eq!(empty.latest_at_or_before(at("2024-06-08T03:00:00Z")), None);
}
