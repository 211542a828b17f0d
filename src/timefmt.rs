//! Parsers and formatters for every time format the five APIs use (PROVIDERS.md §7).
//!
//! All parsers return `Ok(None)` for values that mean "not set" (empty, the proto zero
//! timestamp, the Unix epoch) and a [`TimeError`] naming the value for anything malformed.
//! None of them panic, whatever the input.

use jiff::{Timestamp, civil::DateTime, tz::TimeZone};

/// A time string that is not in the expected format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {format} time {value:?}")]
pub struct TimeError {
    /// Which format was expected.
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

/// True for values that mean "no time" (PROVIDERS.md §7).
fn is_unset(s: &str) -> bool {
    s.is_empty()
        || s.starts_with("0001-01-01T00:00:00")
        || s == "1970-01-01T00:00:00Z"
        || s.starts_with("0001-01-01 00:00:00")
}

/// RFC3339 with `Z` or a numeric offset and 0–9 fraction digits (Yandex, CBR, DMS).
pub fn rfc3339(raw: &str) -> Result<Option<Timestamp>, TimeError> {
    let s = raw.trim();
    if is_unset(s) {
        return Ok(None);
    }
    // jiff accepts RFC 9557 extras (`[Zone]` annotations); RFC3339 has none.
    if s.contains('[') || !(s.contains('T') || s.contains('t')) {
        return Err(err("RFC3339", raw));
    }
    s.parse::<Timestamp>()
        .map(Some)
        .map_err(|_| err("RFC3339", raw))
}

/// A naive `YYYY-MM-DDTHH:MM:SS[.fff]` documented as UTC (VBS).
pub fn naive_utc(raw: &str) -> Result<Option<Timestamp>, TimeError> {
    let s = raw.trim();
    if is_unset(s) {
        return Ok(None);
    }
    let dt: DateTime = s.parse().map_err(|_| err("naive UTC", raw))?;
    TimeZone::UTC
        .to_timestamp(dt)
        .map(Some)
        .map_err(|_| err("naive UTC", raw))
}

/// Go's `time.Time.String()`: `2023-11-25 17:03:46.739012 +0800 CST` (CCE).
///
/// The zone abbreviation is ignored (it is ambiguous); the numeric offset decides. A Go
/// monotonic-clock suffix (` m=+1.23`) is dropped.
pub fn go_time(raw: &str) -> Result<Option<Timestamp>, TimeError> {
    let s = raw.trim();
    if is_unset(s) {
        return Ok(None);
    }
    let mut parts = s.split_ascii_whitespace();
    let (Some(date), Some(time), Some(offset)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(err("Go time.String()", raw));
    };
    let off = offset.as_bytes();
    let valid_offset = off.len() == 5
        && (off[0] == b'+' || off[0] == b'-')
        && off[1..].iter().all(u8::is_ascii_digit);
    if !valid_offset {
        return Err(err("Go time.String()", raw));
    }
    let iso = format!("{date}T{time}{}:{}", &offset[..3], &offset[3..]);
    iso.parse::<Timestamp>()
        .map(Some)
        .map_err(|_| err("Go time.String()", raw))
}

/// Tries RFC3339, then Go's format, then naive-as-UTC (PROVIDERS.md §7 recommendation).
pub fn lenient(raw: &str) -> Result<Option<Timestamp>, TimeError> {
    rfc3339(raw)
        .or_else(|_| go_time(raw))
        .or_else(|_| naive_utc(raw))
        .map_err(|_| err("timestamp", raw))
}

/// `YYYYMMDDHHmmss` in UTC (DMS `begin_time`/`end_time`).
pub fn compact_utc(t: Timestamp) -> String {
    t.to_zoned(TimeZone::UTC)
        .strftime("%Y%m%d%H%M%S")
        .to_string()
}

/// `YYYY-MM-DDTHH:MM:SSZ` in UTC, second precision (CBR `start_time`).
pub fn rfc3339_seconds(t: Timestamp) -> String {
    t.to_zoned(TimeZone::UTC)
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// Seconds since the epoch as f64 with the nanoseconds kept as far as f64 allows.
pub fn unix_seconds(t: Timestamp) -> f64 {
    t.as_second() as f64 + f64::from(t.subsec_nanosecond()) / 1e9
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(t: Option<Timestamp>) -> i128 {
        t.unwrap().as_nanosecond()
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

    proptest::proptest! {
        #[test]
        fn random_input_never_panics(s in "\\PC{0,40}", b in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40)) {
            let _ = (rfc3339(&s), go_time(&s), naive_utc(&s), lenient(&s));
            let lossy = String::from_utf8_lossy(&b);
            let _ = (rfc3339(&lossy), go_time(&lossy), naive_utc(&lossy), lenient(&lossy));
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
