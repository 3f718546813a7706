//! Timestamps in logs: epoch seconds, ISO 8601 / RFC 3339 with a zone, and
//! zone-less date-times (CDRs) read in a given offset.

use chrono::{DateTime, NaiveDateTime};

/// The latest time a log may hold, seconds since the epoch (year 2286):
/// later ones are refused, so that a corrupt timestamp cannot make the fit
/// count arrivals over millions of days.
pub const MAX_EPOCH_S: f64 = 1e10;

/// Whether `t` is a time a log may hold: from the epoch to [`MAX_EPOCH_S`].
pub fn plausible(t: f64) -> bool {
    (0.0..MAX_EPOCH_S).contains(&t)
}

/// Seconds since the Unix epoch from a plain number (`1767571200`,
/// `1767571200.25`); None if `s` is not one.
pub fn epoch(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    if b.is_empty() || !b.iter().all(|c| c.is_ascii_digit() || *c == b'.') {
        return None;
    }
    let v: f64 = s.parse().ok()?;
    v.is_finite().then_some(v)
}

/// ISO 8601 with a zone: `2026-01-05T09:00:00Z`, `2026-01-05 09:00:00+01:00`,
/// fractions allowed. None without a zone or when not a date-time.
pub fn iso8601(s: &str) -> Option<f64> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(to_s(t.timestamp(), t.timestamp_subsec_nanos()));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M:%S%.f%:z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(s, fmt) {
            return Some(to_s(t.timestamp(), t.timestamp_subsec_nanos()));
        }
    }
    if let Some(rest) = s.strip_suffix('Z').or_else(|| s.strip_suffix(" UTC")) {
        return naive(rest, 0.0);
    }
    None
}

/// A date-time without a zone (`2026-01-05 09:00:00`, `T` or space,
/// fractions allowed), written `offset_s` seconds east of UTC.
pub fn naive(s: &str, offset_s: f64) -> Option<f64> {
    for fmt in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            let u = t.and_utc();
            return Some(to_s(u.timestamp(), u.timestamp_subsec_nanos()) - offset_s);
        }
    }
    None
}

fn to_s(secs: i64, nanos: u32) -> f64 {
    secs as f64 + nanos as f64 * 1e-9
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_numbers_only() {
        assert_eq!(epoch("1767571200"), Some(1_767_571_200.0));
        assert_eq!(epoch("1767571200.5"), Some(1_767_571_200.5));
        assert_eq!(epoch("-5"), None);
        assert_eq!(epoch("2026-01-05"), None);
        assert_eq!(epoch(""), None);
    }

    #[test]
    fn iso_needs_a_zone() {
        assert_eq!(iso8601("2026-01-05T00:00:00Z"), Some(1_767_571_200.0));
        assert_eq!(iso8601("2026-01-05T01:00:00+01:00"), Some(1_767_571_200.0));
        assert_eq!(iso8601("2026-01-05 01:00:00+0100"), Some(1_767_571_200.0));
        assert_eq!(iso8601("2026-01-05 00:00:00.25Z"), Some(1_767_571_200.25));
        assert_eq!(iso8601("2026-01-05 00:00:00"), None);
        assert_eq!(iso8601("yesterday"), None);
    }

    #[test]
    fn naive_in_an_offset() {
        assert_eq!(naive("2026-01-05 00:00:00", 0.0), Some(1_767_571_200.0));
        assert_eq!(
            naive("2026-01-05 03:00:00", 3.0 * 3600.0),
            Some(1_767_571_200.0)
        );
        assert_eq!(naive("05/01/2026", 0.0), None);
    }
}
