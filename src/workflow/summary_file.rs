//! Reading a run's `summary.csv` back (DESIGN §4 contract:
//! `scope,metric,mean,ci95_low,ci95_high,n` and, since it was added, `sd`).

use std::path::Path;

use super::{bad_file, read_err, WorkflowError};

/// One row of `summary.csv`. The metric stays a name: files written by other
/// telsim versions may hold metrics this one does not know.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryEntry {
    pub scope: String,
    pub metric: String,
    pub mean: Option<f64>,
    pub ci95_low: Option<f64>,
    pub ci95_high: Option<f64>,
    pub n: usize,
    /// The `sd` column, in files that have it (the interval may be clipped
    /// to the metric's range, so it cannot always give the sd back).
    pub sd_written: Option<f64>,
}

impl SummaryEntry {
    /// The sample standard deviation of the replication values, recovered
    /// from the 95% Student-t interval: `half = t(0.975, n−1) · s / √n`, so
    /// `s = half · √n / t(0.975, n−1)`. Exact up to the 17 significant digits
    /// the file keeps, so no per-replication file is needed.
    pub fn sd(&self) -> Option<f64> {
        if self.sd_written.is_some() {
            return self.sd_written;
        }
        let (lo, hi) = (self.ci95_low?, self.ci95_high?);
        if self.n < 2 {
            return None;
        }
        let half = (hi - lo) / 2.0;
        Some(half.max(0.0) * (self.n as f64).sqrt() / crate::stats::student_t_975(self.n - 1))
    }
}

fn opt(field: &str) -> Result<Option<f64>, String> {
    if field.is_empty() {
        Ok(None)
    } else {
        field
            .parse::<f64>()
            .map(Some)
            .map_err(|_| format!("'{field}' is not a number"))
    }
}

/// Reads `summary.csv` from a run folder (or the file itself).
pub fn read_summary(path: &Path) -> Result<Vec<SummaryEntry>, WorkflowError> {
    let file = if path.is_dir() {
        path.join("summary.csv")
    } else {
        path.to_path_buf()
    };
    let text = std::fs::read_to_string(&file).map_err(read_err(&file))?;
    parse_summary(&text).map_err(|m| bad_file(&file, m))
}

/// Parses the text of a `summary.csv`.
pub fn parse_summary(text: &str) -> Result<Vec<SummaryEntry>, String> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let header = r.headers().map_err(|e| e.to_string())?.clone();
    let want = ["scope", "metric", "mean", "ci95_low", "ci95_high", "n"];
    if header.iter().take(6).collect::<Vec<_>>() != want {
        return Err(format!(
            "not a telsim summary: header is '{}', expected '{}'",
            header.iter().collect::<Vec<_>>().join(","),
            want.join(",")
        ));
    }
    let sd_col = header.iter().position(|h| h == "sd");
    let mut rows = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| e.to_string())?;
        let line = i + 2;
        let f = |k: usize| rec.get(k).unwrap_or("");
        let row = (|| {
            Ok::<_, String>(SummaryEntry {
                scope: f(0).to_string(),
                metric: f(1).to_string(),
                mean: opt(f(2))?,
                ci95_low: opt(f(3))?,
                ci95_high: opt(f(4))?,
                n: f(5)
                    .parse()
                    .map_err(|_| format!("n '{}' is not a count", f(5)))?,
                sd_written: match sd_col {
                    Some(k) => opt(f(k))?,
                    None => None,
                },
            })
        })()
        .map_err(|m| format!("line {line}: {m}"))?;
        rows.push(row);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::mean_ci;

    #[test]
    fn sd_is_recovered_from_the_interval() {
        let values = [3.0, 5.0, 4.5, 6.0, 2.0];
        let (m, lo, hi) = mean_ci(&values);
        let e = SummaryEntry {
            scope: "platform".into(),
            metric: "asa_s".into(),
            mean: m,
            ci95_low: lo,
            ci95_high: hi,
            n: values.len(),
            sd_written: None,
        };
        let mean = m.unwrap();
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 4.0;
        assert!((e.sd().unwrap() - var.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn parses_quoted_scopes_and_empty_cells() {
        let t = "scope,metric,mean,ci95_low,ci95_high,n\n\"a,b\",p_wait,0.5,0.4,0.6,10\nplatform,mean_mos,,,,0\n";
        let rows = parse_summary(t).unwrap();
        assert_eq!(rows[0].scope, "a,b");
        assert_eq!(rows[1].mean, None);
        assert!(parse_summary("x,y\n1,2\n")
            .unwrap_err()
            .contains("not a telsim summary"));
        assert!(
            parse_summary("scope,metric,mean,ci95_low,ci95_high,n\np,m,zz,,,1\n")
                .unwrap_err()
                .contains("line 2")
        );
    }
}
