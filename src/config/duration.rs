//! Durations as users write them: `500ms`, `30s`, `5m`, `2h`, `7d`, and sums like `1h30m`.

use std::time::Duration;

/// Why a duration cannot be read; each message quotes the text and says what to write.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum DurationError {
    /// Nothing but space.
    #[error("empty duration")]
    Empty,
    /// A part does not start with a number.
    #[error("invalid duration {0:?}: expected a number, e.g. 30s, 5m, 7d")]
    NoNumber(String),
    /// A number beyond any duration.
    #[error("invalid duration {0:?}: number too large")]
    NumberTooLarge(String),
    /// `1.5h`.
    #[error("invalid duration {0:?}: fractions are not supported (write e.g. 1h30m or 90s)")]
    Fraction(String),
    /// `300`.
    #[error(
        "invalid duration {text:?}: the number needs a unit, e.g. {n}s or {n}m (units: ms, s, m, h, d, w)"
    )]
    NoUnit {
        /// The text as written.
        text: String,
        /// The number without a unit.
        n: u128,
    },
    /// `5 x`.
    #[error(
        "invalid duration {text:?}: expected a unit after {n} (ms, s, m, h, d, w), with no space"
    )]
    UnitAfter {
        /// The text as written.
        text: String,
        /// The number before the gap.
        n: u128,
    },
    /// `5x`.
    #[error("invalid duration {text:?}: unknown unit {unit:?} (ms, s, m, h, d, w)")]
    UnknownUnit {
        /// The text as written.
        text: String,
        /// The unit as written.
        unit: String,
    },
    /// A sum beyond any duration.
    #[error("invalid duration {0:?}: too large")]
    TooLarge(String),
    /// A duration written another way (`5 minutes`): how to write it.
    #[error(
        "invalid duration {text:?}: write {} (a whole number and a unit, no space: ms, s, m, h, d, w; sums such as 1h30m)",
        format_duration(*.meant)
    )]
    WriteInstead {
        /// The text as written.
        text: String,
        /// What it means.
        meant: Duration,
    },
}

/// Parses `500ms`, `30s`, `5m`, `2h`, `7d`, `1w`, or a sum such as `1h30m`. When the text is
/// a duration written another way (`5 minutes`, `1.5h`, `90 sec`), the error says how to write it.
pub(crate) fn parse_duration(s: &str) -> Result<Duration, DurationError> {
    strict(s).map_err(|why| match lenient(s) {
        Some(meant) => DurationError::WriteInstead {
            text: s.to_string(),
            meant,
        },
        None => why,
    })
}

/// The unit a word such as `minutes` or `sec` means, in milliseconds.
fn unit_word_ms(word: &str) -> Option<f64> {
    Some(match word {
        "ms" | "msec" | "msecs" | "millisecond" | "milliseconds" => 1.0,
        "s" | "sec" | "secs" | "second" | "seconds" => 1_000.0,
        "m" | "min" | "mins" | "minute" | "minutes" => 60_000.0,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3_600_000.0,
        "d" | "day" | "days" => 86_400_000.0,
        "w" | "wk" | "week" | "weeks" => 7.0 * 86_400_000.0,
        _ => return None,
    })
}

/// Reads what people write instead (`5 minutes`, `1.5h`, `1h 30m`, `2 Days`): `None` unless
/// every part is a number with a unit word and the sum is a whole, positive number of ms.
fn lenient(s: &str) -> Option<Duration> {
    let t: String = s
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ',')
        .collect();
    let mut rest = t.as_str();
    let mut total = 0.0f64;
    while !rest.is_empty() {
        let n_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let n: f64 = rest[..n_end].parse().ok()?;
        rest = &rest[n_end..];
        let u_end = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        total += n * unit_word_ms(&rest[..u_end])?;
        rest = &rest[u_end..];
    }
    (total >= 1.0 && total.fract() == 0.0 && total < 1e15)
        .then(|| Duration::from_millis(total as u64))
}

fn strict(s: &str) -> Result<Duration, DurationError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(DurationError::Empty);
    }
    let bytes = t.as_bytes();
    let mut i = 0;
    let mut total: u128 = 0;
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if start == i {
            return Err(DurationError::NoNumber(s.to_string()));
        }
        let n: u128 = t[start..i]
            .parse()
            .map_err(|_| DurationError::NumberTooLarge(s.to_string()))?;
        let ustart = i;
        while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
            i += 1;
        }
        let unit_ms: u128 = match &t[ustart..i] {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "w" => 7 * 86_400_000,
            "" if bytes.get(i) == Some(&b'.') => {
                return Err(DurationError::Fraction(s.to_string()));
            }
            "" if i == bytes.len() => {
                return Err(DurationError::NoUnit {
                    text: s.to_string(),
                    n,
                });
            }
            "" => {
                return Err(DurationError::UnitAfter {
                    text: s.to_string(),
                    n,
                });
            }
            u => {
                return Err(DurationError::UnknownUnit {
                    text: s.to_string(),
                    unit: u.to_string(),
                });
            }
        };
        total = n
            .checked_mul(unit_ms)
            .and_then(|v| total.checked_add(v))
            .filter(|v| *v <= u128::from(u64::MAX))
            .ok_or_else(|| DurationError::TooLarge(s.to_string()))?;
    }
    Ok(Duration::from_millis(total as u64))
}

/// Formats a duration the way [`parse_duration`] reads it (largest exact unit).
pub(crate) fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    for (unit, size) in [
        ("w", 604_800_000u128),
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
    ] {
        if ms > 0 && ms % size == 0 {
            return format!("{}{unit}", ms / size);
        }
    }
    format!("{ms}ms")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_sums() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(7 * 86400)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
    }

    #[test]
    fn rejects_bad_input() {
        for s in [
            "",
            "5",
            "5x",
            "m",
            "-5s",
            "1.5h",
            "99999999999999999999999d",
            "5 m",
        ] {
            assert!(parse_duration(s).is_err(), "{s:?}");
        }
    }

    #[test]
    fn errors_say_how_to_write_it() {
        let e = parse_duration("5 minutes").unwrap_err().to_string();
        assert!(e.contains("write 5m"), "{e}");
        assert!(e.contains("ms, s, m, h, d, w"), "{e}");
        let e = |s: &str| parse_duration(s).unwrap_err().to_string();
        assert!(e("1.5h").contains("write 90m"));
        assert!(e("1h 30m").contains("write 90m"));
        assert!(e("2 Days").contains("write 2d"));
        assert!(e("30sec").contains("write 30s"));
        let e300 = e("300");
        assert!(e300.contains("needs a unit, e.g. 300s or 300m"), "{e300}");
        let e = e("5 parsecs");
        assert!(e.contains("with no space"), "{e}");
    }

    #[test]
    fn formats() {
        assert_eq!(format_duration(Duration::from_secs(300)), "5m");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1500ms");
        assert_eq!(format_duration(Duration::from_secs(7 * 86400)), "1w");
    }
}
