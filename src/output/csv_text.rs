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

/// Writes an optional float; empty cell when absent. `{}` on f64 prints the
/// shortest text that round-trips, the same on every platform.
pub fn opt_f64(w: &mut impl Write, v: Option<f64>) -> io::Result<()> {
    match v {
        Some(v) if v.is_finite() => write!(w, "{v}"),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(quote("acme"), "acme");
        assert_eq!(quote("a,b"), "\"a,b\"");
        assert_eq!(quote("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
