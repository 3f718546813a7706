//! `telsim diff`: did a change make us worse? Compares two runs' summaries
//! metric by metric with Welch's two-sample t-test on the replication means.
//!
//! Each `summary.csv` row gives a metric's mean over n replications and its
//! 95% Student-t interval; the replications' standard deviation follows from
//! the interval's half-width (see [`SummaryEntry::sd`]). Welch's test (B. L.
//! Welch, *Biometrika* 34, 1947) does not assume equal variances, which
//! matters: a capacity change moves the spread of waits as much as the mean.
//! Comparing many metrics at once invites false alarms, so the verdicts use
//! Holm's step-down correction (S. Holm, *Scand. J. Statist.* 6, 1979) over
//! every metric compared: with the default α = 0.05 the chance that two runs
//! of the same system report any significant change stays at most 5%.

use std::collections::{HashMap, HashSet};
use std::fmt::Write;

use statrs::distribution::{ContinuousCDF, StudentsT};

use super::summary_file::SummaryEntry;
use super::{fmt_num, json_num, json_str, render_table};

/// Which way a metric should move. Counts of bad outcomes, waits, loss and
/// delay should fall; answers, service level and MOS should rise; load
/// (offered, concurrency, occupancy, talk time, events) is neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    Higher,
    Lower,
    Neither,
}

/// The direction of a summary metric by name (unknown metrics: neither).
pub fn better(metric: &str) -> Better {
    match metric {
        "answered" | "service_level" | "mean_mos" | "p5_mos" | "mean_lead_h"
        | "cache_hit_ratio" => Better::Higher,
        "abandoned" | "blocked" | "voicemail" | "no_answer" | "unfinished" | "dropped"
        | "failed" | "p_wait" | "asa_s" | "mean_wait_s" | "p95_wait_s" | "max_wait_s"
        | "abandon_rate" | "blocking_rate" | "mean_queue" | "mean_loss_pct" | "mean_pdd_ms"
        | "mean_media_gap_s" | "rejected_balance" | "zero_balance_h" | "ctrl_timeouts"
        | "ctrl_mean_wait_ms" | "ctrl_max_wait_ms" => Better::Lower,
        _ => Better::Neither,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffVerdict {
    /// Significant, in the bad direction, and beyond the tolerance: fails the gate.
    Worse,
    /// Significant and in the good direction.
    Better,
    /// Significant change of a metric with no good direction.
    Changed,
    /// Significant but in the bad direction only within the tolerance, or
    /// not significant at all.
    Same,
    /// A side has no confidence interval (one replication) or no value.
    Untested,
    /// The metric is in only one of the two files.
    Missing,
    /// Compared and shown, but outside the gated set: never fails the gate
    /// and does not enter Holm's family.
    NotGated,
    /// A portal scope whose values equal the platform's (one portal): the
    /// platform's row is the one tested.
    Duplicate,
}

impl DiffVerdict {
    pub fn word(self) -> &'static str {
        match self {
            DiffVerdict::Worse => "WORSE",
            DiffVerdict::Better => "better",
            DiffVerdict::Changed => "changed",
            DiffVerdict::Same => "same",
            DiffVerdict::Untested => "untested",
            DiffVerdict::Missing => "missing",
            DiffVerdict::NotGated => "not gated",
            DiffVerdict::Duplicate => "= platform",
        }
    }
}

/// The metrics a capacity gate judges by default: what a caller waits for
/// (P(wait), mean and 95th-percentile wait, service level), what it loses
/// (abandonment, blocking) and how it hears (mean and 5th-percentile MOS,
/// present only with media). Each has a bad direction, so each can fail the
/// gate. Counts (`answered`, `abandoned`, …) scale with the offered load and
/// restate the rates; `asa_s` equals `mean_wait_s` on answered calls,
/// `mean_queue` follows from the waits (Little's law) and `max_wait_s` is
/// one extreme draw: testing them too would only enlarge Holm's family and
/// cost the gate its power. They are still shown, marked "not gated".
pub const PRIMARY_METRICS: &[&str] = &[
    "service_level",
    "p_wait",
    "mean_wait_s",
    "p95_wait_s",
    "abandon_rate",
    "blocking_rate",
    "mean_mos",
    "p5_mos",
];

#[derive(Debug, Clone)]
pub struct DiffOptions {
    /// Metric names to compare and gate on; empty means every metric with a
    /// direction shown, the [`PRIMARY_METRICS`] gated.
    pub metrics: Vec<String>,
    /// Gate on every metric compared, not only the primary set.
    pub all_metrics: bool,
    /// Scopes to compare (`platform`, portal names); empty means all.
    pub scopes: Vec<String>,
    /// Relative change (0.05 = 5% of the baseline mean) a significant
    /// worsening must exceed to fail the gate.
    pub tolerance: f64,
    /// Family-wise significance level.
    pub alpha: f64,
    /// The test the p-values come from, as the summary line names it.
    pub test: DiffTest,
}

/// Which test produced the p-values (only named in the output).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffTest {
    Welch,
    /// Paired on replication differences; `auto` when chosen because both
    /// runs recorded the same seed and replications.
    Paired {
        auto: bool,
    },
    /// Wilcoxon's signed-rank test on replication differences.
    SignedRank {
        auto: bool,
    },
    /// Mann–Whitney's U test on the two runs' replications.
    MannWhitney,
}

impl DiffTest {
    fn describe(self) -> &'static str {
        match self {
            DiffTest::Welch => "Welch t-test",
            DiffTest::Paired { .. } => "paired t-test on replication differences",
            DiffTest::SignedRank { .. } => {
                "Wilcoxon signed-rank test on replication differences, normal approximation"
            }
            DiffTest::MannWhitney => "Mann–Whitney U test, normal approximation",
        }
    }

    fn json_name(self) -> &'static str {
        match self {
            DiffTest::Welch => "welch",
            DiffTest::Paired { .. } => "paired",
            DiffTest::SignedRank { .. } => "signed_rank",
            DiffTest::MannWhitney => "mann_whitney",
        }
    }
}

impl Default for DiffOptions {
    fn default() -> Self {
        DiffOptions {
            metrics: Vec::new(),
            all_metrics: false,
            scopes: Vec::new(),
            tolerance: 0.0,
            alpha: 0.05,
            test: DiffTest::Welch,
        }
    }
}

/// One compared metric.
#[derive(Debug, Clone)]
pub struct DiffRow {
    pub scope: String,
    pub metric: String,
    pub old: Option<SummaryEntry>,
    pub new: Option<SummaryEntry>,
    /// new − old.
    pub change: Option<f64>,
    /// 95% Welch interval of new − old.
    pub change_ci: Option<(f64, f64)>,
    /// Two-sided Welch p-value, before and after Holm's correction.
    pub p: Option<f64>,
    pub p_holm: Option<f64>,
    pub verdict: DiffVerdict,
    /// In the gated set (and not a duplicate scope): its p-value enters
    /// Holm's family and it can fail the gate.
    pub gated: bool,
    /// The scope whose identical row is tested in this one's place.
    pub duplicate_of: Option<String>,
}

impl DiffRow {
    /// Nothing to look at: no data on either side, or the same constant
    /// (zero spread) in both runs. Still counted as compared.
    pub fn is_uninformative(&self) -> bool {
        let (Some(o), Some(n)) = (&self.old, &self.new) else {
            return false;
        };
        let no_data = o.mean.is_none() && n.mean.is_none();
        let constant = o.mean.is_some()
            && o.mean == n.mean
            && o.ci95_low == o.ci95_high
            && n.ci95_low == n.ci95_high;
        no_data || constant
    }

    /// The change relative to the baseline mean (None when that is zero).
    pub fn relative_change(&self) -> Option<f64> {
        let old = self.old.as_ref()?.mean?;
        let change = self.change?;
        (old != 0.0).then(|| change / old.abs())
    }
}

/// Welch's two-sample test of equal means from (mean, sd, n) of each sample:
/// returns (difference b − a, its 95% interval, two-sided p-value). `None`
/// when the numbers are too large for the test to mean anything (the
/// standard error overflows) or a sample has fewer than two values.
pub fn welch(a: (f64, f64, usize), b: (f64, f64, usize)) -> Option<(f64, (f64, f64), f64)> {
    let (ma, sa, na) = a;
    let (mb, sb, nb) = b;
    if na < 2 || nb < 2 {
        return None;
    }
    let d = mb - ma;
    let va = sa * sa / na as f64;
    let vb = sb * sb / nb as f64;
    let se = (va + vb).sqrt();
    if !se.is_finite() || !d.is_finite() {
        return None;
    }
    if se == 0.0 {
        // No spread on either side: any difference is certain.
        let p = if d == 0.0 { 1.0 } else { 0.0 };
        return Some((d, (d, d), p));
    }
    // Welch–Satterthwaite degrees of freedom, kept within what a run can
    // have (an underflowing denominator must not give infinite or NaN df).
    let df = (va + vb).powi(2) / (va * va / (na - 1) as f64 + vb * vb / (nb - 1) as f64);
    let df = if df.is_nan() { 1.0 } else { df.clamp(1.0, 1e7) };
    let t = StudentsT::new(0.0, 1.0, df).ok()?;
    let p = (2.0 * (1.0 - t.cdf((d / se).abs()))).clamp(0.0, 1.0);
    let half = t.inverse_cdf(0.975) * se;
    Some((d, (d - half, d + half), p))
}

/// Holm's step-down adjustment of a family of p-values (same order out).
pub fn holm(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]).then(a.cmp(&b)));
    let mut adjusted = vec![0.0; m];
    let mut running: f64 = 0.0;
    for (rank, &i) in order.iter().enumerate() {
        running = running.max(((m - rank) as f64 * p[i]).min(1.0));
        adjusted[i] = running;
    }
    adjusted
}

/// The first row of each (scope, metric).
fn index(rows: &[SummaryEntry]) -> HashMap<(&str, &str), usize> {
    let mut map = HashMap::with_capacity(rows.len());
    for (i, e) in rows.iter().enumerate() {
        map.entry((e.scope.as_str(), e.metric.as_str()))
            .or_insert(i);
    }
    map
}

/// Compares `new` against `old`. Unknown `--metric` or `--scope` names are an
/// error (a typo must not turn the gate green). Rows are matched by (scope,
/// metric) through hash maps, so the time grows as rows · log rows.
pub fn diff(
    old: &[SummaryEntry],
    new: &[SummaryEntry],
    opts: &DiffOptions,
) -> Result<Vec<DiffRow>, String> {
    let metric_names: HashSet<&str> = old.iter().chain(new).map(|e| e.metric.as_str()).collect();
    let scope_names: HashSet<&str> = old.iter().chain(new).map(|e| e.scope.as_str()).collect();
    for m in &opts.metrics {
        if !metric_names.contains(m.as_str()) {
            return Err(format!("no metric '{m}' in either summary"));
        }
    }
    for s in &opts.scopes {
        if !scope_names.contains(s.as_str()) {
            return Err(format!("no scope '{s}' in either summary"));
        }
    }
    let metrics: HashSet<&str> = opts.metrics.iter().map(String::as_str).collect();
    let scopes: HashSet<&str> = opts.scopes.iter().map(String::as_str).collect();
    let wanted = |e: &SummaryEntry| {
        let metric_ok = if metrics.is_empty() {
            better(&e.metric) != Better::Neither
        } else {
            metrics.contains(e.metric.as_str())
        };
        metric_ok && (scopes.is_empty() || scopes.contains(e.scope.as_str()))
    };
    let gated =
        |metric: &str| opts.all_metrics || !metrics.is_empty() || PRIMARY_METRICS.contains(&metric);
    let (old_at, new_at) = (index(old), index(new));
    // Baseline order first, then what only the candidate has.
    let mut keys: Vec<(&str, &str)> = Vec::new();
    let mut listed: HashSet<(&str, &str)> = HashSet::new();
    for e in old.iter().chain(new).filter(|e| wanted(e)) {
        let k = (e.scope.as_str(), e.metric.as_str());
        if listed.insert(k) {
            keys.push(k);
        }
    }
    // t(0.975, n − 1) for each distinct n, worked out once.
    let mut t975: HashMap<usize, f64> = HashMap::new();
    let mut sd = |e: &SummaryEntry| {
        e.sd_with(|df| {
            *t975
                .entry(df)
                .or_insert_with(|| crate::stats::student_t_975(df))
        })
    };
    let mut rows: Vec<DiffRow> = Vec::with_capacity(keys.len());
    for k in &keys {
        let o = old_at.get(k).map(|&i| old[i].clone());
        let n = new_at.get(k).map(|&i| new[i].clone());
        let mut row = DiffRow {
            scope: k.0.to_string(),
            metric: k.1.to_string(),
            change: None,
            change_ci: None,
            p: None,
            p_holm: None,
            verdict: DiffVerdict::Untested,
            gated: gated(k.1),
            duplicate_of: None,
            old: o,
            new: n,
        };
        let (Some(o), Some(n)) = (&row.old, &row.new) else {
            row.verdict = DiffVerdict::Missing;
            rows.push(row);
            continue;
        };
        if let (Some(mo), Some(mn)) = (o.mean, n.mean) {
            row.change = Some(mn - mo).filter(|d| d.is_finite());
            if let (Some(so), Some(sn)) = (sd(o), sd(n)) {
                if let Some((d, ci, p)) = welch((mo, so, o.n), (mn, sn, n.n)) {
                    row.change = Some(d);
                    row.change_ci = Some(ci);
                    row.p = Some(p);
                }
            }
        }
        rows.push(row);
    }
    mark_duplicates(&mut rows, |row, platform| {
        same_entry(&row.old, &platform.old) && same_entry(&row.new, &platform.new)
    });
    judge(&mut rows, opts);
    Ok(rows)
}

/// The same summary line: mean, interval and replications all equal.
fn same_entry(a: &Option<SummaryEntry>, b: &Option<SummaryEntry>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => {
            a.mean.is_some()
                && a.mean == b.mean
                && a.ci95_low == b.ci95_low
                && a.ci95_high == b.ci95_high
                && a.n == b.n
        }
        _ => false,
    }
}

/// Marks each portal row that `same(row, platform row)` says repeats the
/// platform's row of its metric (a single-portal scenario): it is shown
/// but counted once, through the platform's row, in Holm's family. A
/// platform row that is itself not compared leaves its portals alone.
pub fn mark_duplicates(rows: &mut [DiffRow], same: impl Fn(&DiffRow, &DiffRow) -> bool) {
    let platform: HashMap<String, usize> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.scope == "platform" && r.verdict != DiffVerdict::Missing)
        .map(|(i, r)| (r.metric.clone(), i))
        .collect();
    let mut dup = vec![false; rows.len()];
    for (i, row) in rows.iter().enumerate() {
        if row.scope == "platform" || row.verdict == DiffVerdict::Missing {
            continue;
        }
        if let Some(&p) = platform.get(&row.metric) {
            dup[i] = same(row, &rows[p]);
        }
    }
    for (row, d) in rows.iter_mut().zip(dup) {
        row.duplicate_of = d.then(|| "platform".to_string());
    }
}

/// Holm's correction over the rows that have a p-value, then each row's
/// verdict (direction and tolerance). Also used after the p-values were
/// recomputed from the replications (`super::paired`).
pub fn judge(rows: &mut [DiffRow], opts: &DiffOptions) {
    for row in rows.iter_mut() {
        row.p_holm = None;
        if row.p.is_some() {
            if row.duplicate_of.is_some() {
                row.verdict = DiffVerdict::Duplicate;
            } else if !row.gated {
                row.verdict = DiffVerdict::NotGated;
            }
        }
    }
    let tested: Vec<usize> = (0..rows.len())
        .filter(|&i| rows[i].p.is_some() && rows[i].gated && rows[i].duplicate_of.is_none())
        .collect();
    let adjusted = holm(
        &tested
            .iter()
            .map(|&i| rows[i].p.unwrap())
            .collect::<Vec<_>>(),
    );
    for (&i, p_holm) in tested.iter().zip(adjusted) {
        let row = &mut rows[i];
        row.p_holm = Some(p_holm);
        let d = row.change.unwrap_or(0.0);
        row.verdict = if p_holm >= opts.alpha || d == 0.0 {
            DiffVerdict::Same
        } else {
            let worse = match better(&row.metric) {
                Better::Higher => d < 0.0,
                Better::Lower => d > 0.0,
                Better::Neither => {
                    row.verdict = DiffVerdict::Changed;
                    continue;
                }
            };
            let base = row.old.as_ref().and_then(|o| o.mean).unwrap_or(0.0).abs();
            if !worse {
                DiffVerdict::Better
            } else if d.abs() > opts.tolerance * base {
                DiffVerdict::Worse
            } else {
                DiffVerdict::Same
            }
        };
    }
}

fn value_with_ci(e: &Option<SummaryEntry>) -> String {
    match e {
        None => "-".into(),
        Some(e) => match (e.mean, e.ci95_low, e.ci95_high) {
            (Some(m), Some(lo), Some(hi)) => {
                format!("{} [{}, {}]", fmt_num(m), fmt_num(lo), fmt_num(hi))
            }
            (Some(m), _, _) => fmt_num(m),
            (None, _, _) => "no data".into(),
        },
    }
}

fn signed(v: f64) -> String {
    if v > 0.0 {
        format!("+{}", fmt_num(v))
    } else {
        fmt_num(v)
    }
}

/// The diff table, plain text or GitHub Markdown (for pull-request comments).
pub fn render_diff(rows: &[DiffRow], opts: &DiffOptions, markdown: bool) -> String {
    let mut table = vec![[
        "scope",
        "metric",
        "old [95% CI]",
        "new [95% CI]",
        "change",
        "95% CI of change",
        "p (Holm)",
        "verdict",
    ]
    .map(String::from)
    .to_vec()];
    let mut hidden = 0;
    for r in rows {
        if r.is_uninformative() {
            hidden += 1;
            continue;
        }
        let change = match (r.change, r.relative_change()) {
            (Some(d), Some(rel)) => format!("{} ({:+.1}%)", signed(d), rel * 100.0),
            (Some(d), None) => signed(d),
            (None, _) => "-".into(),
        };
        let ci = r.change_ci.map_or("-".into(), |(lo, hi)| {
            format!("[{}, {}]", signed(lo), signed(hi))
        });
        let p = r.p_holm.map_or("-".into(), |p| {
            if p < 1e-4 {
                "<0.0001".into()
            } else {
                format!("{p:.4}")
            }
        });
        let verdict = match (markdown, r.verdict) {
            (true, DiffVerdict::Worse) => "🔴 **WORSE**".to_string(),
            (true, DiffVerdict::Better) => "🟢 better".to_string(),
            (_, v) => v.word().to_string(),
        };
        table.push(vec![
            r.scope.clone(),
            r.metric.clone(),
            value_with_ci(&r.old),
            value_with_ci(&r.new),
            change,
            ci,
            p,
            verdict,
        ]);
    }
    let mut out = String::new();
    if markdown {
        out.push_str("### telsim capacity diff\n\n");
    }
    out.push_str(&render_table(&table, markdown));
    let worse = rows
        .iter()
        .filter(|r| r.verdict == DiffVerdict::Worse)
        .count();
    let better = rows
        .iter()
        .filter(|r| r.verdict == DiffVerdict::Better)
        .count();
    if markdown {
        out.push('\n');
    }
    if hidden > 0 {
        let _ = writeln!(
            out,
            "{hidden} more metric(s) not shown: no data in either run, or the same constant in both."
        );
    }
    let not_gated = rows
        .iter()
        .filter(|r| r.verdict == DiffVerdict::NotGated)
        .count();
    let duplicates = rows
        .iter()
        .filter(|r| r.verdict == DiffVerdict::Duplicate)
        .count();
    let mut aside = String::new();
    if not_gated > 0 {
        let _ = write!(aside, ", {not_gated} not gated");
    }
    if duplicates > 0 {
        let _ = write!(aside, ", {duplicates} repeating the platform's row");
    }
    if matches!(
        opts.test,
        DiffTest::Paired { auto: true } | DiffTest::SignedRank { auto: true }
    ) {
        out.push_str(
            "paired: same seeds and replications in both runs (common random numbers); --unpaired for Welch's test.\n",
        );
    }
    let _ = writeln!(
        out,
        "{} metric(s) compared, {} in the Holm family{aside}: {worse} worse, {better} better ({}, Holm-corrected at α = {}; tolerance {}%).",
        rows.len(),
        holm_family(rows),
        opts.test.describe(),
        opts.alpha,
        fmt_num(opts.tolerance * 100.0)
    );
    out
}

/// How many rows had a p-value and so entered Holm's correction (rows with
/// one replication, no value or only one side are compared but not tested).
pub fn holm_family(rows: &[DiffRow]) -> usize {
    rows.iter().filter(|r| r.p_holm.is_some()).count()
}

/// The diff as one JSON document for machines: `compared` rows, of which
/// `holm_family` were tested.
pub fn render_diff_json(rows: &[DiffRow], opts: &DiffOptions) -> String {
    let entry = |e: &Option<SummaryEntry>| match e {
        None => "null".to_string(),
        Some(e) => format!(
            "{{\"mean\":{},\"ci95_low\":{},\"ci95_high\":{},\"n\":{}}}",
            json_num(e.mean),
            json_num(e.ci95_low),
            json_num(e.ci95_high),
            e.n
        ),
    };
    let items: Vec<String> = rows
        .iter()
        .map(|r| {
            format!(
                "{{\"scope\":{},\"metric\":{},\"old\":{},\"new\":{},\"change\":{},\"relative_change\":{},\"change_ci95\":{},\"p\":{},\"p_holm\":{},\"gated\":{},\"verdict\":{}}}",
                json_str(&r.scope),
                json_str(&r.metric),
                entry(&r.old),
                entry(&r.new),
                json_num(r.change),
                json_num(r.relative_change()),
                r.change_ci.map_or("null".into(), |(lo, hi)| format!(
                    "[{},{}]",
                    json_num(Some(lo)),
                    json_num(Some(hi))
                )),
                json_num(r.p),
                json_num(r.p_holm),
                r.gated && r.duplicate_of.is_none(),
                json_str(&r.verdict.word().to_lowercase()),
            )
        })
        .collect();
    let worse = rows
        .iter()
        .filter(|r| r.verdict == DiffVerdict::Worse)
        .count();
    format!(
        "{{\"test\":{},\"alpha\":{},\"tolerance\":{},\"compared\":{},\"holm_family\":{},\"regressions\":{worse},\"metrics\":[\n{}\n]}}\n",
        json_str(opts.test.json_name()),
        json_num(Some(opts.alpha)),
        json_num(Some(opts.tolerance)),
        rows.len(),
        holm_family(rows),
        items.join(",\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::mean_ci;

    fn entry(metric: &str, values: &[f64]) -> SummaryEntry {
        let (mean, lo, hi) = mean_ci(values);
        SummaryEntry {
            scope: "platform".into(),
            metric: metric.into(),
            mean,
            ci95_low: lo,
            ci95_high: hi,
            n: values.len(),
            sd_written: None,
        }
    }

    #[test]
    fn welch_matches_a_worked_example() {
        // Two samples with unequal variances; reference values (as R's
        // t.test(b, a) gives them, computed independently by integrating the
        // t density): t = 3.4700, df = 4.7398, p = 0.01946,
        // 95% CI of the difference [1.0366, 7.3634].
        let a = [10.0, 11.0, 12.0, 10.5, 11.5];
        let b = [12.0, 19.0, 15.0, 14.0, 16.0];
        let (ma, _, _) = mean_ci(&a);
        let (mb, _, _) = mean_ci(&b);
        let sd = |x: &[f64], m: f64| {
            (x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (x.len() - 1) as f64).sqrt()
        };
        let (ma, mb) = (ma.unwrap(), mb.unwrap());
        let (d, (lo, hi), p) = welch((ma, sd(&a, ma), 5), (mb, sd(&b, mb), 5)).unwrap();
        assert!((d - 4.2).abs() < 1e-12);
        assert!((p - 0.01946).abs() < 1e-4, "p = {p}");
        assert!(
            (lo - 1.0366).abs() < 1e-3 && (hi - 7.3634).abs() < 1e-3,
            "{lo} {hi}"
        );
    }

    #[test]
    fn holm_is_step_down_and_monotone() {
        let adj = holm(&[0.01, 0.04, 0.03, 0.005]);
        assert_eq!(adj, vec![0.03, 0.06, 0.06, 0.02]);
    }

    #[test]
    fn verdicts_follow_direction_significance_and_tolerance() {
        let old = vec![
            entry("mean_wait_s", &[10.0, 11.0, 10.5, 9.5, 10.2]),
            entry("service_level", &[0.80, 0.81, 0.79, 0.80, 0.82]),
            entry("p_wait", &[0.5, 0.52, 0.49, 0.51, 0.50]),
            entry("offered", &[100.0, 101.0, 99.0, 100.0, 102.0]),
        ];
        let new = vec![
            entry("mean_wait_s", &[20.0, 21.0, 20.5, 19.5, 20.2]), // much worse
            entry("service_level", &[0.90, 0.91, 0.89, 0.90, 0.92]), // better
            entry("p_wait", &[0.51, 0.50, 0.50, 0.52, 0.49]),      // same
            entry("offered", &[100.0, 101.0, 99.0, 100.0, 102.0]),
        ];
        let opts = DiffOptions::default();
        let rows = diff(&old, &new, &opts).unwrap();
        let v: Vec<_> = rows
            .iter()
            .map(|r| (r.metric.as_str(), r.verdict))
            .collect();
        // `offered` has no good direction, so it is left out by default.
        assert_eq!(
            v,
            vec![
                ("mean_wait_s", DiffVerdict::Worse),
                ("service_level", DiffVerdict::Better),
                ("p_wait", DiffVerdict::Same),
            ]
        );
        // A 100% tolerance forgives the doubled ASA.
        let lenient = DiffOptions {
            tolerance: 1.5,
            ..DiffOptions::default()
        };
        let rows = diff(&old, &new, &lenient).unwrap();
        assert_eq!(rows[0].verdict, DiffVerdict::Same);
        // Asking for a neutral metric compares it without judging.
        let opts = DiffOptions {
            metrics: vec!["offered".into()],
            ..DiffOptions::default()
        };
        let rows = diff(&old, &new, &opts).unwrap();
        assert_eq!(rows[0].verdict, DiffVerdict::Same);
        assert!(diff(
            &old,
            &new,
            &DiffOptions {
                metrics: vec!["nope".into()],
                ..DiffOptions::default()
            }
        )
        .unwrap_err()
        .contains("no metric 'nope'"));
    }

    fn scoped(scope: &str, metric: &str, values: &[f64]) -> SummaryEntry {
        SummaryEntry {
            scope: scope.into(),
            ..entry(metric, values)
        }
    }

    /// One portal: its rows repeat the platform's and enter Holm's family
    /// once; non-primary metrics are shown but not gated. 2 scopes × (3
    /// primary + 2 other) rows: 10 compared, 3 in the family, 2 not gated
    /// on the platform, and all 5 portal rows duplicates.
    #[test]
    fn family_counts_primary_metrics_once_per_distinct_scope() {
        let mk = |shift: f64| {
            let mut v = Vec::new();
            for scope in ["platform", "acme"] {
                for (m, base) in [
                    ("service_level", 0.8),
                    ("p_wait", 0.5),
                    ("mean_wait_s", 20.0),
                    ("asa_s", 20.0),
                    ("max_wait_s", 150.0),
                ] {
                    let b: f64 = base;
                    let vals: Vec<f64> = (0..8)
                        .map(|i| b * (1.0 + shift) + 0.01 * b * (i % 3) as f64)
                        .collect();
                    v.push(scoped(scope, m, &vals));
                }
            }
            v
        };
        let (old, new) = (mk(0.0), mk(0.02));
        let rows = diff(&old, &new, &DiffOptions::default()).unwrap();
        assert_eq!(rows.len(), 10);
        assert_eq!(holm_family(&rows), 3);
        let count = |v| rows.iter().filter(|r| r.verdict == v).count();
        assert_eq!(count(DiffVerdict::NotGated), 2);
        assert_eq!(count(DiffVerdict::Duplicate), 5);
        assert!(rows
            .iter()
            .filter(|r| r.scope == "acme")
            .all(|r| r.duplicate_of.as_deref() == Some("platform") && r.p_holm.is_none()));
        // The family's p-values are Holm over 3, not over 10: the smallest
        // raw p times 3.
        let min_p = rows
            .iter()
            .filter(|r| r.p_holm.is_some())
            .map(|r| r.p.unwrap())
            .fold(1.0, f64::min);
        let min_holm = rows.iter().filter_map(|r| r.p_holm).fold(1.0, f64::min);
        assert_eq!(min_holm, (3.0 * min_p).min(1.0));
        let txt = render_diff(&rows, &DiffOptions::default(), false);
        assert!(
            txt.contains("10 metric(s) compared, 3 in the Holm family, 2 not gated, 5 repeating the platform's row"),
            "{txt}"
        );
        // --all-metrics gates the other two as well; the portal still counts once.
        let all = DiffOptions {
            all_metrics: true,
            ..DiffOptions::default()
        };
        assert_eq!(holm_family(&diff(&old, &new, &all).unwrap()), 5);
        // --metric gates exactly what it names.
        let one = DiffOptions {
            metrics: vec!["max_wait_s".into()],
            ..DiffOptions::default()
        };
        let rows = diff(&old, &new, &one).unwrap();
        assert_eq!((rows.len(), holm_family(&rows)), (2, 1));
        // A portal that differs from the platform is its own row in the family.
        let mut new2 = new.clone();
        new2[5].mean = new2[5].mean.map(|m| m + 0.001);
        let rows = diff(&old, &new2, &DiffOptions::default()).unwrap();
        assert_eq!(holm_family(&rows), 4);
    }

    #[test]
    fn tables_render_in_both_formats() {
        let old = vec![entry("mean_wait_s", &[10.0, 11.0, 10.5])];
        let new = vec![entry("mean_wait_s", &[20.0, 21.0, 20.5])];
        let rows = diff(&old, &new, &DiffOptions::default()).unwrap();
        let md = render_diff(&rows, &DiffOptions::default(), true);
        assert!(md.contains("| platform | mean_wait_s"), "{md}");
        assert!(md.contains("🔴 **WORSE**"), "{md}");
        let txt = render_diff(&rows, &DiffOptions::default(), false);
        assert!(txt.contains("+10 (+95.2%)"), "{txt}");
        let json = render_diff_json(&rows, &DiffOptions::default());
        assert!(json.contains("\"regressions\":1"), "{json}");
    }
}

#[cfg(test)]
mod snapshot {
    use super::*;

    fn entry(scope: &str, metric: &str, mean: f64, half: f64, n: usize) -> SummaryEntry {
        SummaryEntry {
            scope: scope.into(),
            metric: metric.into(),
            mean: Some(mean),
            ci95_low: Some(mean - half),
            ci95_high: Some(mean + half),
            n,
            sd_written: None,
        }
    }

    /// The whole Markdown table, as a pull-request comment shows it. Checked
    /// by hand: mean wait s = 7.402 and 13.717 from the intervals, se 4.929,
    /// t = 3.642 on 13.8 df, p ≈ 0.0027, × 3 metrics (Holm) = 0.0081.
    #[test]
    fn markdown_table_snapshot() {
        let old = vec![
            entry("platform", "mean_wait_s", 22.724, 5.295, 10),
            entry("platform", "service_level", 0.642, 0.0546, 10),
            entry("platform", "blocking_rate", 0.0, 0.0, 10),
        ];
        let new = vec![
            entry("platform", "mean_wait_s", 40.676, 9.812, 10),
            entry("platform", "service_level", 0.6601, 0.05, 10),
            entry("platform", "blocking_rate", 0.0, 0.0, 10),
        ];
        let opts = DiffOptions {
            tolerance: 0.05,
            ..DiffOptions::default()
        };
        let rows = diff(&old, &new, &opts).unwrap();
        let got = render_diff(&rows, &opts, true);
        let want = "\
### telsim capacity diff

| scope    | metric        | old [95% CI]            | new [95% CI]            | change           | 95% CI of change   | p (Holm) | verdict     |
|----------|---------------|-------------------------|-------------------------|------------------|--------------------|----------|-------------|
| platform | mean_wait_s   | 22.724 [17.429, 28.019] | 40.676 [30.864, 50.488] | +17.952 (+79.0%) | [+7.3689, +28.535] | 0.0081   | 🔴 **WORSE** |
| platform | service_level | 0.642 [0.5874, 0.6966]  | 0.6601 [0.6101, 0.7101] | +0.0181 (+2.8%)  | [-0.0507, +0.0869] | 1.0000   | same        |

1 more metric(s) not shown: no data in either run, or the same constant in both.
3 metric(s) compared, 3 in the Holm family: 1 worse, 0 better (Welch t-test, Holm-corrected at α = 0.05; tolerance 5%).
";
        assert_eq!(got, want, "\n--- got\n{got}");
    }
}
