//! The capacity workflow around single runs: compare two runs (`diff`), run a
//! scenario over a grid of overrides (`sweep`, sharded and `merge`d), find the
//! smallest staffing that meets a target (`size`), and draw a run (`report`).
//!
//! Architecture invariant: everything here drives the simulation only through
//! [`crate::load_model`] and [`crate::orchestrate::run`], and reads runs only
//! through their output files (`summary.csv`, `intervals.csv`, `calls.csv`).
//! It never reaches into the engine or the model's internals, so it keeps
//! working whatever the platform learns to simulate. It does not print: the
//! CLI edge renders what it returns.

pub mod backtest;
pub mod csv_input;
pub mod diff;
pub mod fingerprint;
pub mod merge_runs;
pub mod paired;
pub mod rank;
pub mod report;
pub mod size;
pub mod summary_file;
pub mod svg;
pub mod sweep;

use std::io;
use std::path::{Path, PathBuf};

use crate::orchestrate::RunError;
use crate::scenario::ScenarioError;

/// What can go wrong in a workflow verb. `main` maps each kind to an exit
/// code: reading a missing file or a malformed one is bad input (2), writing
/// is I/O (3).
#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    #[error("{}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// A malformed file; `line` when the fault is on one line
    /// (`summary.csv:7: column 'n': …`).
    #[error("{}{}: {message}", path.display(), line.map_or(String::new(), |l| format!(":{l}")))]
    BadFile {
        path: PathBuf,
        line: Option<u64>,
        message: String,
    },
    #[error("{0}")]
    BadInput(String),
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    #[error(transparent)]
    Run(#[from] RunError),
    /// Stopped by SIGINT or SIGTERM; says what was kept.
    #[error("{0}")]
    Interrupted(String),
    #[error("{}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

pub(crate) fn read_err(path: &Path) -> impl FnOnce(io::Error) -> WorkflowError + '_ {
    move |source| WorkflowError::Read {
        path: path.to_path_buf(),
        source,
    }
}

pub(crate) fn write_err(path: &Path) -> impl FnOnce(io::Error) -> WorkflowError + '_ {
    move |source| WorkflowError::Write {
        path: path.to_path_buf(),
        source,
    }
}

pub(crate) fn bad_file(path: &Path, message: impl Into<String>) -> WorkflowError {
    WorkflowError::BadFile {
        path: path.to_path_buf(),
        line: None,
        message: message.into(),
    }
}

/// A located CSV problem of `path`.
pub(crate) fn bad_csv(path: &Path, p: csv_input::Problem) -> WorkflowError {
    WorkflowError::BadFile {
        path: path.to_path_buf(),
        line: Some(p.line),
        message: p.to_string(),
    }
}

/// Opens a file a verb reads back through the one guarded reader: only a
/// regular file (or a symlink to one) is opened, without blocking (a FIFO
/// would wait for a writer), and reading stops with an error past
/// [`MAX_STREAM_BYTES`](crate::robustness::input::MAX_STREAM_BYTES) (a
/// device such as `/dev/zero` never ends).
pub(crate) fn open_input(
    path: &Path,
) -> Result<crate::robustness::input::Capped<std::fs::File>, WorkflowError> {
    use crate::robustness::input::{open_capped, MAX_STREAM_BYTES};
    open_capped(path, MAX_STREAM_BYTES).map_err(read_err(path))
}

/// A number for people: about five significant digits (at most four
/// decimals), no trailing zeros.
pub fn fmt_num(v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    if v == 0.0 || (v.abs() >= 0.001 && v.abs() < 1e7) {
        let decimals = 4i32
            .saturating_sub(v.abs().log10().floor() as i32)
            .clamp(0, 4) as usize;
        let s = format!("{v:.decimals$}");
        let s = if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.')
        } else {
            &s
        };
        if s == "-0" {
            "0".into()
        } else {
            s.to_string()
        }
    } else {
        format!("{v:.3e}")
    }
}

/// Escapes a string for a JSON string literal (the JSON we write is small
/// and flat, so no JSON crate is needed).
pub fn json_str(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// A JSON number, or `null` for a missing or non-finite value.
pub fn json_num(v: Option<f64>) -> String {
    match v {
        Some(v) if v.is_finite() => format!("{v}"),
        _ => "null".into(),
    }
}

/// Renders rows as an aligned plain-text table or a GitHub Markdown table.
pub fn render_table(rows: &[Vec<String>], markdown: bool) -> String {
    use std::fmt::Write;
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0usize; cols];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for (i, row) in rows.iter().enumerate() {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
            .collect();
        if markdown {
            let _ = writeln!(out, "| {} |", cells.join(" | "));
            if i == 0 {
                let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
                let _ = writeln!(out, "|-{}-|", rule.join("-|-"));
            }
        } else {
            let _ = writeln!(out, "{}", cells.join("  ").trim_end());
        }
    }
    out
}

/// `telsim run --format json`: the summary and the checks as one document.
pub fn run_json(
    scenario: &str,
    summary: &[crate::stats::SummaryRow],
    checks: &[crate::stats::CheckResult],
) -> String {
    use crate::stats::Verdict;
    let rows: Vec<String> = summary
        .iter()
        .map(|r| {
            format!(
                "{{\"scope\":{},\"metric\":{},\"mean\":{},\"ci95_low\":{},\"ci95_high\":{},\"n\":{}}}",
                json_str(&r.scope),
                json_str(r.metric.name()),
                json_num(r.mean),
                json_num(r.ci95_low),
                json_num(r.ci95_high),
                r.n
            )
        })
        .collect();
    let checks_json: Vec<String> = checks
        .iter()
        .map(|c| {
            format!(
                "{{\"scope\":{},\"metric\":{},\"min\":{},\"max\":{},\"mean\":{},\"verdict\":{}}}",
                json_str(&c.check.scope_name),
                json_str(c.check.metric.name()),
                json_num(c.check.min),
                json_num(c.check.max),
                json_num(c.mean),
                json_str(match c.verdict {
                    Verdict::Pass => "pass",
                    Verdict::Fail => "fail",
                    Verdict::NoData => "no_data",
                })
            )
        })
        .collect();
    let passed = checks.iter().all(|c| c.verdict == Verdict::Pass);
    format!(
        "{{\"scenario\":{},\"checks_passed\":{passed},\"summary\":[\n{}\n],\"checks\":[{}]}}\n",
        json_str(scenario),
        rows.join(",\n"),
        checks_json.join(",")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_json() {
        assert_eq!(fmt_num(0.25), "0.25");
        assert_eq!(fmt_num(0.0), "0");
        assert_eq!(fmt_num(-0.0), "0");
        assert_eq!(fmt_num(-0.00001), "-1.000e-5");
        assert_eq!(fmt_num(12.0), "12");
        assert_eq!(fmt_num(15366.2), "15366");
        assert_eq!(fmt_num(22.72431), "22.724");
        assert_eq!(fmt_num(0.612649), "0.6126");
        assert_eq!(fmt_num(1200.0), "1200");
        assert_eq!(fmt_num(0.0), "0");
        assert_eq!(fmt_num(-0.0), "0");
        assert_eq!(fmt_num(5e-324), "4.941e-324");
        assert_eq!(json_str("a\"b\n"), "\"a\\\"b\\n\"");
        assert_eq!(json_num(Some(f64::NAN)), "null");
        assert_eq!(json_num(Some(1.5)), "1.5");
    }

    #[test]
    fn markdown_table_has_a_rule_under_the_header() {
        let t = render_table(
            &[
                vec!["a".into(), "bb".into()],
                vec!["ccc".into(), "d".into()],
            ],
            true,
        );
        assert_eq!(t, "| a   | bb |\n|-----|----|\n| ccc | d  |\n");
    }
}
