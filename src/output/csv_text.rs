use std::io::{self, Write};

/// Quotes a CSV field when it needs it (RFC 4180). Names are quoted once, up
/// front, so the per-row path never inspects strings.
pub fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

/// Writes an optional float; empty cell when absent. `{:?}` on f64 prints
/// the shortest text that round-trips, the same on every platform, and
/// always with a point or an exponent (`3.0`, not `3`): a column of floats
/// that happen to be whole is still read as floats (pandas would otherwise
/// make it int64 in one run and float64 in the next).
pub fn opt_f64(w: &mut impl Write, v: Option<f64>) -> io::Result<()> {
    match v {
        Some(v) if v.is_finite() => write!(w, "{v:?}"),
        _ => Ok(()),
    }
}

/// What a text column holds where the value does not apply (no agent, no
/// server, no codec, no transfer): a non-empty marker, so that a column
/// that happens to be all "none" is still read as text, not as an empty
/// float column. Listed among `missingValues` in `datapackage.json`.
pub const NONE: &str = "-";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(quote("acme"), "acme");
        assert_eq!(quote("a,b"), "\"a,b\"");
        assert_eq!(quote("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn floats_always_look_like_floats() {
        let text = |v: Option<f64>| {
            let mut b = Vec::new();
            opt_f64(&mut b, v).unwrap();
            String::from_utf8(b).unwrap()
        };
        assert_eq!(text(Some(3.0)), "3.0");
        assert_eq!(text(Some(0.1)), "0.1");
        assert_eq!(text(Some(1e-7)), "1e-7");
        assert_eq!(text(Some(f64::NAN)), "");
        assert_eq!(text(None), "");
        for v in [3.0, 0.1, 1e-7, 123456789.125, 1e300] {
            assert_eq!(text(Some(v)).parse::<f64>().unwrap(), v);
        }
    }
}
