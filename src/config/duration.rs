//! Durations as users write them: `500ms`, `30s`, `5m`, `2h`, `7d`, and sums like `1h30m`.

use std::time::Duration;

/// Parses `500ms`, `30s`, `5m`, `2h`, `7d`, `1w`, or a sum such as `1h30m`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("empty duration".to_string());
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
            return Err(format!(
                "invalid duration {s:?}: expected a number, e.g. 30s, 5m, 7d"
            ));
        }
        let n: u128 = t[start..i]
            .parse()
            .map_err(|_| format!("invalid duration {s:?}: number too large"))?;
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
                return Err(format!(
                    "invalid duration {s:?}: fractions are not supported (write e.g. 1h30m or 90s)"
                ));
            }
            "" => {
                return Err(format!(
                    "invalid duration {s:?}: missing unit (ms, s, m, h, d, w)"
                ));
            }
            u => {
                return Err(format!(
                    "invalid duration {s:?}: unknown unit {u:?} (ms, s, m, h, d, w)"
                ));
            }
        };
        total = n
            .checked_mul(unit_ms)
            .and_then(|v| total.checked_add(v))
            .filter(|v| *v <= u128::from(u64::MAX))
            .ok_or_else(|| format!("invalid duration {s:?}: too large"))?;
    }
    Ok(Duration::from_millis(total as u64))
}

/// Formats a duration the way [`parse_duration`] reads it (largest exact unit).
pub fn format_duration(d: Duration) -> String {
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
    fn formats() {
        assert_eq!(format_duration(Duration::from_secs(300)), "5m");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1500ms");
        assert_eq!(format_duration(Duration::from_secs(7 * 86400)), "1w");
    }
}
