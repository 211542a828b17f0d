//! Parsers and formatters for every time format the providers' APIs use (`docs/providers.md` "Time formats").
//!
//! All parsers return `Ok(None)` for values that mean "not set" (empty, the proto zero
//! timestamp, the Unix epoch) and a [`TimeError`] naming the value for anything malformed.
//! None of them panic, whatever the input.

use jiff::{
    Timestamp,
    civil::DateTime,
    tz::{Offset, TimeZone},
};

/// A time string that is not in the expected format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a {format} time")]
pub(crate) struct TimeError {
    /// Which format was expected (`valid RFC3339`, ..., `supported` for [`lenient`]).
    pub format: &'static str,
    /// The offending value (shortened).
    pub value: String,
}

fn err(format: &'static str, value: &str) -> TimeError {
    TimeError {
        format,
        value: value.chars().take(64).collect(),
    }
}

/// `s` without leading and trailing whitespace, exactly as [`str::trim`], but without
/// decoding a character when `s` starts and ends with a visible ASCII byte (every value of
/// a normal record: a poll trims some ten values per task).
pub(crate) fn trim(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(a), Some(z)) if a.is_ascii_graphic() && z.is_ascii_graphic() => s,
        _ => s.trim(),
    }
}

/// True for values that mean "no time" (`docs/providers.md` "Time formats").
fn is_unset(s: &str) -> bool {
    s.is_empty()
        || s.starts_with("0001-01-01T00:00:00")
        || s == "1970-01-01T00:00:00Z"
        || s.starts_with("0001-01-01 00:00:00")
}

/// Splits `YYYY-MM-DD[T|t| ]HH:MM:SS[.f]` (0–9 fraction digits) off the front of `s`:
/// the civil time and what follows it. `None` when `s` does not start with that shape.
fn civil_prefix(s: &str) -> Option<(DateTime, &str)> {
    let b = s.as_bytes();
    // The fixed part as an array: its indexes need no bounds checks.
    let h: &[u8; 19] = b.get(..19)?.try_into().ok()?;
    // Two ASCII digits at `i`, read directly (a poll parses up to four times per task;
    // formatting and re-parsing, then per-byte closures, were a fifth of a poll).
    let two = |i: usize| {
        let (x, y) = (h[i].wrapping_sub(b'0'), h[i + 1].wrapping_sub(b'0'));
        (x < 10 && y < 10).then(|| i32::from(x) * 10 + i32::from(y))
    };
    let separators = h[4] == b'-'
        && h[7] == b'-'
        && matches!(h[10], b'T' | b't' | b' ')
        && h[13] == b':'
        && h[16] == b':';
    if !separators {
        return None;
    }
    let year = two(0)? * 100 + two(2)?;
    let (month, day) = (two(5)?, two(8)?);
    let (hour, minute, second) = (two(11)?, two(14)?, two(17)?);
    let mut end = 19;
    let mut nanos = 0;
    if b.get(19) == Some(&b'.') {
        let n = b[20..].iter().take_while(|c| c.is_ascii_digit()).count();
        if !(1..=9).contains(&n) {
            return None;
        }
        end = 20 + n;
        let value = b[20..end]
            .iter()
            .fold(0i32, |v, d| v * 10 + i32::from(d - b'0'));
        nanos = value * 10i32.pow(9 - n as u32);
    }
    // A leap second (`:60`) reads as `:59`, as jiff's parser reads it.
    let second = if second == 60 { 59 } else { second };
    let dt = DateTime::new(
        i16::try_from(year).ok()?,
        i8::try_from(month).ok()?,
        i8::try_from(day).ok()?,
        i8::try_from(hour).ok()?,
        i8::try_from(minute).ok()?,
        i8::try_from(second).ok()?,
        nanos,
    )
    .ok()?;
    Some((dt, &s[end..]))
}

/// `Z`, `z`, `±HH:MM` or `±HHMM`.
fn offset(s: &str) -> Option<Offset> {
    if s == "Z" || s == "z" {
        return Some(Offset::UTC);
    }
    let b = s.as_bytes();
    let sign = match b.first() {
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return None,
    };
    let rest = &b[1..];
    let (h, m) = match rest {
        [h1, h2, b':', m1, m2] | [h1, h2, m1, m2] => ([*h1, *h2], [*m1, *m2]),
        _ => return None,
    };
    let num = |d: [u8; 2]| -> Option<i32> {
        d.iter()
            .all(u8::is_ascii_digit)
            .then(|| i32::from(d[0] - b'0') * 10 + i32::from(d[1] - b'0'))
    };
    let (h, m) = (num(h)?, num(m)?);
    if h > 23 || m > 59 {
        return None;
    }
    Offset::from_seconds(sign * (h * 3600 + m * 60)).ok()
}

fn at_offset(dt: DateTime, off: Offset) -> Option<Timestamp> {
    off.to_timestamp(dt).ok()
}

/// RFC3339 with `Z` or a numeric offset and 0–9 fraction digits (Yandex; also the first
/// form [`lenient`] tries). A space instead of the `T` is accepted (RFC 3339 §5.6 note).
pub(crate) fn rfc3339(raw: &str) -> Result<Option<Timestamp>, TimeError> {
    let s = trim(raw);
    if is_unset(s) {
        return Ok(None);
    }
    civil_prefix(s)
        .and_then(|(dt, rest)| at_offset(dt, offset(rest)?))
        .map(Some)
        .ok_or_else(|| err("valid RFC3339", raw))
}

/// A naive `YYYY-MM-DD[T| ]HH:MM:SS[.f]` (0–9 fraction digits), documented as UTC (VBS).
pub(crate) fn naive_utc(raw: &str) -> Result<Option<Timestamp>, TimeError> {
    let s = trim(raw);
    if is_unset(s) {
        return Ok(None);
    }
    civil_prefix(s)
        .filter(|(_, rest)| rest.is_empty())
        .and_then(|(dt, _)| at_offset(dt, Offset::UTC))
        .map(Some)
        .ok_or_else(|| err("valid naive UTC", raw))
}

/// Go's `time.Time.String()`: `2023-11-25 17:03:46.739012 +0800 CST` (CCE).
///
/// The zone abbreviation is ignored (it is ambiguous, and Go writes the offset again when
/// a zone has none); the numeric offset decides. A Go monotonic-clock suffix (` m=+1.23`)
/// is dropped.
pub(crate) fn go_time(raw: &str) -> Result<Option<Timestamp>, TimeError> {
    let s = trim(raw);
    if is_unset(s) {
        return Ok(None);
    }
    let parse = || {
        let (dt, rest) = civil_prefix(s)?;
        let mut tokens = rest.split_ascii_whitespace();
        let off = offset(tokens.next()?).filter(|_| rest.starts_with(' '))?;
        let zone = tokens.next();
        let monotonic = match zone {
            Some(z) if z.starts_with("m=") => Some(z),
            _ => tokens.next(),
        };
        let trailing_ok = monotonic.is_none_or(|m| m.starts_with("m=")) && tokens.next().is_none();
        if !trailing_ok {
            return None;
        }
        at_offset(dt, off)
    };
    parse()
        .map(Some)
        .ok_or_else(|| err("valid Go time.String()", raw))
}

/// Every Huawei time format (`docs/providers.md` "Time formats"): RFC3339 with `Z` or any offset, Go's
/// `time.String()` with its zone (and monotonic suffix), then naive UTC; each with 0–9
/// fraction digits and `T` or a space between date and time. None of them guesses: a value
/// in none of these forms is an error.
pub(crate) fn lenient(raw: &str) -> Result<Option<Timestamp>, TimeError> {
    rfc3339(raw)
        .or_else(|_| go_time(raw))
        .or_else(|_| naive_utc(raw))
        .map_err(|_| err("supported", raw))
}

/// `YYYYMMDDHHmmss` in UTC (DMS `begin_time`/`end_time`).
pub(crate) fn compact_utc(t: Timestamp) -> String {
    t.to_zoned(TimeZone::UTC)
        .strftime("%Y%m%d%H%M%S")
        .to_string()
}

/// Epoch seconds as a decimal text, `1516925490.087` (the JSON numbers of AWS REST-JSON
/// timestamps, read as their text so no digit is lost to a float): whole seconds and 0–9
/// fraction digits read exactly (more are cut to nanoseconds), an exponent form through a
/// float to the microsecond. `0` means "not set", as the epoch does for the text forms; a negative or
/// non-numeric value, or one past the year 9999, is an error.
pub(crate) fn epoch_seconds(raw: &str) -> Result<Option<Timestamp>, TimeError> {
    let s = trim(raw);
    let fail = || err("valid epoch seconds", raw);
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    let nanos = if !whole.is_empty() && digits(whole) && digits(frac) && whole.len() <= 12 {
        let secs: i128 = whole.parse().map_err(|_| fail())?;
        let cut = &frac[..frac.len().min(9)];
        let part: i128 = if cut.is_empty() {
            0
        } else {
            cut.parse::<i128>().map_err(|_| fail())? * 10_i128.pow(9 - cut.len() as u32)
        };
        secs * 1_000_000_000 + part
    } else {
        // `1.516925490087E9`: a float, whose precision near today is a quarter of a
        // microsecond, rounded to the microsecond.
        match s.parse::<f64>() {
            Ok(f) if f.is_finite() && f >= 0.0 && (s.contains('e') || s.contains('E')) => {
                (f * 1e6).round() as i128 * 1000
            }
            _ => return Err(fail()),
        }
    };
    if nanos == 0 {
        return Ok(None);
    }
    Timestamp::from_nanosecond(nanos)
        .map(Some)
        .map_err(|_| fail())
}

/// `YYYY-MM-DDTHH:MM:SSZ` in UTC, second precision (CBR `start_time`).
pub(crate) fn rfc3339_seconds(t: Timestamp) -> String {
    t.to_zoned(TimeZone::UTC)
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// Seconds since the epoch as f64 with the nanoseconds kept as far as f64 allows.
pub(crate) fn unix_seconds(t: Timestamp) -> f64 {
    t.as_second() as f64 + f64::from(t.subsec_nanosecond()) / 1e9
}

/// Unix seconds now, from the wall clock (only for `*_timestamp_seconds`).
pub fn wall_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(t: Option<Timestamp>) -> i128 {
        t.unwrap().as_nanosecond()
    }

    #[test]
    fn epoch_seconds_exact_and_refused() {
        let base = 1_516_925_490_i128 * 1_000_000_000;
        assert_eq!(ns(epoch_seconds("1516925490").unwrap()), base);
        assert_eq!(ns(epoch_seconds("1516925490.0").unwrap()), base);
        assert_eq!(
            ns(epoch_seconds("1516925490.087").unwrap()),
            base + 87_000_000
        );
        assert_eq!(
            ns(epoch_seconds("1516925490.123456789").unwrap()),
            base + 123_456_789
        );
        assert_eq!(
            ns(epoch_seconds("1516925490.1234567891").unwrap()),
            base + 123_456_789
        );
        assert_eq!(
            ns(epoch_seconds("1.516925490087E9").unwrap()),
            base + 87_000_000
        );
        assert_eq!(epoch_seconds("0").unwrap(), None);
        assert_eq!(epoch_seconds("0.000").unwrap(), None);
        for bad in [
            "",
            "-1",
            "1.2.3",
            "abc",
            "2018-01-26T00:11:30Z",
            "1e400",
            ".5",
            "5.",
            "999999999999999",
        ] {
            if bad == "5." {
                assert!(epoch_seconds(bad).is_ok(), "{bad:?}");
                continue;
            }
            assert!(epoch_seconds(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn rfc3339_fraction_digits_0_3_6_9_exact() {
        let base = 1_714_564_800_i128 * 1_000_000_000; // 2024-05-01T12:00:00Z
        assert_eq!(ns(rfc3339("2024-05-01T12:00:00Z").unwrap()), base);
        assert_eq!(
            ns(rfc3339("2024-05-01T12:00:00.123Z").unwrap()),
            base + 123_000_000
        );
        assert_eq!(
            ns(rfc3339("2024-05-01T12:00:00.123456Z").unwrap()),
            base + 123_456_000
        );
        assert_eq!(
            ns(rfc3339("2024-05-01T12:00:00.123456789Z").unwrap()),
            base + 123_456_789
        );
        assert_eq!(
            ns(rfc3339("2024-05-01T14:00:00.5+02:00").unwrap()),
            base + 500_000_000
        );
    }

    #[test]
    fn unset_values_are_none() {
        for s in ["", "  ", "0001-01-01T00:00:00Z", "1970-01-01T00:00:00Z"] {
            assert_eq!(rfc3339(s).unwrap(), None, "{s:?}");
            assert_eq!(lenient(s).unwrap(), None, "{s:?}");
        }
    }

    #[test]
    fn naive_is_utc() {
        let t = naive_utc("2016-12-02T09:06:46.706").unwrap().unwrap();
        assert_eq!(t.to_string(), "2016-12-02T09:06:46.706Z");
        assert!(naive_utc("2016-12-02 nonsense").is_err());
        assert!(naive_utc("2016-12-02T09:06:46.706Z").is_err(), "not naive");
    }

    #[test]
    fn go_time_uses_numeric_offset() {
        let t = go_time("2023-11-25 17:03:46.739012 +0800 CST")
            .unwrap()
            .unwrap();
        assert_eq!(t.to_string(), "2023-11-25T09:03:46.739012Z");
        let t = go_time("2020-02-02 03:48:58.968214406 +0000 UTC")
            .unwrap()
            .unwrap();
        assert_eq!(t.as_nanosecond() % 1_000_000_000, 968_214_406);
        let t = go_time("2020-02-02 03:48:58 -0530 XYZ m=+12.5")
            .unwrap()
            .unwrap();
        assert_eq!(t.to_string(), "2020-02-02T09:18:58Z");
        assert!(go_time("2020-02-02 03:48:58").is_err());
        assert!(go_time("2020-02-02 03:48:58 CST +0800").is_err());
    }

    #[test]
    fn lenient_reads_every_huawei_form_to_the_nanosecond() {
        let base = 1_714_564_800_i128 * 1_000_000_000; // 2024-05-01T12:00:00Z
        let cases = [
            ("2024-05-01T12:00:00Z", 0),
            ("2024-05-01T12:00:00.5Z", 500_000_000),
            ("2024-05-01T12:00:00.123456789z", 123_456_789),
            ("2024-05-01T20:00:00.123+08:00", 123_000_000),
            ("2024-05-01T06:30:00.1-05:30", 100_000_000),
            ("2024-05-01T20:00:00+0800", 0),
            ("2024-05-01 12:00:00.000001+00:00", 1_000),
            ("2024-05-01T12:00:00", 0),
            ("2024-05-01T12:00:00.7", 700_000_000),
            ("2024-05-01 12:00:00.123456", 123_456_000),
            ("2024-05-01 12:00:00.000000001", 1),
            ("2024-05-01 20:00:00.739012 +0800 CST", 739_012_000),
            ("2024-05-01 12:00:00.968214406 +0000 UTC", 968_214_406),
            ("2024-05-01 17:30:00 +0530 +0530", 0),
            ("2024-05-01 12:00:00.25 +0000 UTC m=+3.141592", 250_000_000),
            ("  2024-05-01T12:00:00Z  ", 0),
        ];
        for (s, nanos) in cases {
            assert_eq!(ns(lenient(s).unwrap()), base + nanos, "{s:?}");
        }
    }

    #[test]
    fn lenient_guesses_nothing() {
        for s in [
            "2024-05-01",
            "2024-05-01T12",
            "2024-05-01T12:00",
            "2024-05-01T12:00:00.",
            "2024-05-01T12:00:00.1234567890",
            "2024-05-01T12:00:00+8",
            "2024-05-01T12:00:00 CST",
            "2024-05-01T12:00:00Z[UTC]",
            "2024-05-01 12:00:00 +0800 CST trailing",
            "2024-13-01T12:00:00Z",
            "01/05/2024 12:00:00",
            "1714564800",
            "yesterday",
        ] {
            let e = lenient(s).unwrap_err();
            assert_eq!(e.format, "supported", "{s:?}");
            assert!(e.to_string().contains("is not a supported time"), "{e}");
        }
    }

    #[test]
    fn formatters() {
        let t: Timestamp = "2020-06-23T03:00:03.471Z".parse().unwrap();
        assert_eq!(compact_utc(t), "20200623030003");
        assert_eq!(rfc3339_seconds(t), "2020-06-23T03:00:03Z");
    }

    #[test]
    fn garbage_never_panics() {
        for s in [
            "\u{0}",
            "9999-99-99T99:99:99Z",
            "2024-05-01T12:00:00.1234567890Z",
            "ä ö ü",
            "- - -",
            "2024-05-01T12:00:00Z[UTC]",
        ] {
            let _ = rfc3339(s);
            let _ = go_time(s);
            let _ = naive_utc(s);
            let _ = lenient(s);
        }
    }

    /// The civil part as jiff's own parser reads it: the oracle of the fast path.
    fn civil_by_jiff(s: &str) -> Option<DateTime> {
        let b = s.as_bytes();
        let end = 19
            + b.get(19).filter(|c| **c == b'.').map_or(0, |_| {
                1 + b[20..].iter().take_while(|c| c.is_ascii_digit()).count()
            });
        format!("{}T{}", s.get(..10)?, s.get(11..end)?).parse().ok()
    }

    #[test]
    fn the_fast_civil_parser_agrees_with_jiff() {
        for s in [
            "2024-05-01T12:00:00",
            "2024-02-29T23:59:59.999999999",
            "2023-02-29T00:00:00",
            "2024-13-01T00:00:00",
            "2024-04-31T00:00:00",
            "2024-05-01T24:00:00",
            "2024-05-01T23:60:00",
            "2024-05-01T23:59:60",
            "0000-01-01T00:00:00.1",
            "9999-12-31T23:59:59.000000001",
            "2024-05-01 12:00:00.5",
        ] {
            assert_eq!(civil_prefix(s).map(|(dt, _)| dt), civil_by_jiff(s), "{s}");
        }
    }

    proptest::proptest! {
        #[test]
        fn the_fast_civil_parser_agrees_with_jiff_everywhere(
            y in 0u32..10000, mo in 0u32..14, d in 0u32..33, h in 0u32..26, mi in 0u32..62,
            se in 0u32..62, frac in proptest::option::of("[0-9]{1,9}")
        ) {
            let mut s = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{se:02}");
            if let Some(f) = frac {
                s.push('.');
                s.push_str(&f);
            }
            proptest::prop_assert_eq!(civil_prefix(&s).map(|(dt, _)| dt), civil_by_jiff(&s), "{}", s);
        }
    }

    proptest::proptest! {
        #[test]
        fn random_input_never_panics(s in "\\PC{0,40}", b in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40)) {
            let _ = (rfc3339(&s), go_time(&s), naive_utc(&s), lenient(&s));
            let lossy = String::from_utf8_lossy(&b);
            let _ = (rfc3339(&lossy), go_time(&lossy), naive_utc(&lossy), lenient(&lossy));
        }

        #[test]
        fn trim_is_str_trim(s in "[ \t\n\u{a0}\u{2003}\u{3000}a-z0-9é:.-]{0,12}") {
            proptest::prop_assert_eq!(trim(&s), s.trim());
        }

        #[test]
        fn rfc3339_round_trips_nanoseconds(secs in 0i64..253_402_300_799, nanos in 0i32..1_000_000_000) {
            let t = Timestamp::new(secs, nanos).unwrap();
            let parsed = rfc3339(&t.to_string()).unwrap();
            if secs != 0 || nanos != 0 {
                proptest::prop_assert_eq!(parsed, Some(t));
            }
        }
    }
}
