//! Each Huawei API's time format on the wire (`docs/providers.md` "Time formats"), for whoever seeds the
//! simulator: the demo, the example data set and the tests.

use jiff::Timestamp;
use jiff::tz::{Offset, TimeZone};

/// VBS: naive UTC with milliseconds, `2016-12-02T09:06:46.706`.
pub fn vbs_time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.3f").to_string()
}

/// CBR: RFC3339 with milliseconds and a numeric offset, `2019-05-23T14:35:23.584+00:00`.
pub fn cbr_time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.3f+00:00").to_string()
}

/// CCE: Go's `time.String()` in China Standard Time, `2023-11-25 17:03:46.739012 +0800 CST`.
pub fn cce_time(t: Timestamp) -> String {
    t.to_zoned(TimeZone::fixed(Offset::constant(8)))
        .strftime("%Y-%m-%d %H:%M:%S%.6f +0800 CST")
        .to_string()
}

/// DMS: UTC with milliseconds and `Z`, `2020-05-15T03:19:51.046Z`.
pub fn dms_time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_match_the_documented_examples() {
        let t: Timestamp = "2023-11-25T09:03:46.739012Z".parse().unwrap();
        assert_eq!(vbs_time(t), "2023-11-25T09:03:46.739");
        assert_eq!(cbr_time(t), "2023-11-25T09:03:46.739+00:00");
        assert_eq!(cce_time(t), "2023-11-25 17:03:46.739012 +0800 CST");
        assert_eq!(dms_time(t), "2023-11-25T09:03:46.739Z");
    }
}
