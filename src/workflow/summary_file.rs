//! Reading a run's `summary.csv` back (DESIGN §4 contract:
//! `scope,metric,mean,ci95_low,ci95_high,n` and, since it was added, `sd`).

use std::collections::HashMap;
use std::path::Path;

use super::csv_input::{self, Problem};
use super::{bad_csv, open_input, WorkflowError};

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
        self.sd_with(crate::stats::student_t_975)
    }

    /// [`Self::sd`] with the quantile `t975(df)` given, so a caller that
    /// needs thousands of rows can work each distinct `n` out once.
    pub fn sd_with(&self, t975: impl FnOnce(usize) -> f64) -> Option<f64> {
        if self.sd_written.is_some() {
            return self.sd_written;
        }
        let (lo, hi) = (self.ci95_low?, self.ci95_high?);
        if self.n < 2 {
            return None;
        }
        // Halved before subtracting: the ends of an interval near ±f64::MAX
        // must not overflow to infinity.
        let half = hi / 2.0 - lo / 2.0;
        let sd = half.max(0.0) * (self.n as f64).sqrt() / t975(self.n - 1);
        sd.is_finite().then_some(sd)
    }
}

/// Most replications a summary row may count: the most a scenario may ask
/// for. A larger `n` is a damaged file, and believing it would send the
/// Student-t quantiles off to degrees of freedom no run has.
pub const MAX_REPLICATIONS: u64 = 100_000;

/// The columns a summary starts with, in this order.
pub const SUMMARY_COLUMNS: [&str; 6] = ["scope", "metric", "mean", "ci95_low", "ci95_high", "n"];

/// Reads `summary.csv` from a run folder (or the file itself).
pub fn read_summary(path: &Path) -> Result<Vec<SummaryEntry>, WorkflowError> {
    let file = if path.is_dir() {
        path.join("summary.csv")
    } else {
        path.to_path_buf()
    };
    let input = std::io::BufReader::new(open_input(&file)?);
    parse_summary_from(input).map_err(|p| bad_csv(&file, p))
}

/// Parses the text of a `summary.csv`.
pub fn parse_summary(text: &str) -> Result<Vec<SummaryEntry>, Problem> {
    parse_summary_from(text.as_bytes())
}

/// Parses a `summary.csv` from any reader. Every value is checked: names
/// are non-empty, means and interval ends finite with `ci95_low ≤
/// ci95_high`, `n` a whole number up to [`MAX_REPLICATIONS`], and no
/// (scope, metric) pair twice.
pub fn parse_summary_from(input: impl std::io::Read) -> Result<Vec<SummaryEntry>, Problem> {
    let mut t = csv_input::open(input, "summary.csv", &SUMMARY_COLUMNS)?;
    if t.header.iter().take(6).ne(SUMMARY_COLUMNS.iter()) {
        let shown: String = t.header.join(",").chars().take(200).collect();
        return Err(Problem::at(
            1,
            format!(
                "not a telsim summary: header is '{shown}', expected '{}'",
                SUMMARY_COLUMNS.join(",")
            ),
        ));
    }
    let sd_col = t.column("sd");
    let mut rows = Vec::new();
    let mut seen: HashMap<(String, String), u64> = HashMap::new();
    while let Some((line, rec)) = t.next_row()? {
        let f = |k: usize| &rec[k];
        for k in [0, 1] {
            if f(k).is_empty() {
                return Err(Problem::in_column(line, SUMMARY_COLUMNS[k], "empty name"));
            }
        }
        let num = |k: usize| csv_input::finite(f(k), line, SUMMARY_COLUMNS[k]);
        let (mean, lo, hi) = (num(2)?, num(3)?, num(4)?);
        if let (Some(lo), Some(hi)) = (lo, hi) {
            if lo > hi {
                return Err(Problem::in_column(
                    line,
                    "ci95_low",
                    format!("{lo} is above ci95_high {hi}"),
                ));
            }
        }
        let n = csv_input::count(f(5), line, "n", MAX_REPLICATIONS, "replications")?;
        let key = (f(0).to_string(), f(1).to_string());
        if let Some(first) = seen.get(&key) {
            return Err(Problem::at(
                line,
                format!(
                    "duplicate row: scope '{}' metric '{}' is already on line {first}",
                    csv_input::shorten(&key.0),
                    csv_input::shorten(&key.1)
                ),
            ));
        }
        rows.push(SummaryEntry {
            scope: key.0.clone(),
            metric: key.1.clone(),
            mean,
            ci95_low: lo,
            ci95_high: hi,
            n: n as usize,
            sd_written: match sd_col {
                Some(k) => csv_input::finite(f(k), line, "sd")?,
                None => None,
            },
        });
        seen.insert(key, line);
    }
    if rows.is_empty() {
        return Err(Problem::at(2, "no rows after the header"));
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
            .reason
            .contains("not a telsim"));
        let e = parse_summary("scope,metric,mean,ci95_low,ci95_high,n\np,m,zz,,,1\n").unwrap_err();
        assert_eq!((e.line, e.column.as_deref()), (2, Some("mean")));
    }
}
