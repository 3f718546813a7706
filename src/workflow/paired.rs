//! `telsim diff --paired`: common random numbers, tested as such.
//!
//! Two runs of one scenario with the same seed draw the same random numbers
//! in replication r (the streams are keyed by replication), so replication
//! r of the baseline and of the candidate saw the same arrivals and the same
//! talk times: much of what varies between replications varies alike on
//! both sides. Testing the per-replication differences (a paired t-test on
//! `replications.csv`, Student 1908) removes that shared noise, where
//! Welch's test on the two summaries counts it twice; a CI gate comparing
//! two builds on one scenario is exactly this case. The p-values then go
//! through the same Holm correction and verdicts as the unpaired diff
//! ([`super::diff::judge`]).

use std::fs;
use std::path::Path;

use statrs::distribution::{ContinuousCDF, StudentsT};

use super::diff::{DiffRow, DiffVerdict};
use super::merge_runs::parse_replications;
use super::{bad_file, read_err, WorkflowError};
use crate::stats::{Metric, MetricValues};

/// A run's per-replication values: scope names and `values[r][scope]`.
pub struct Replications {
    pub scopes: Vec<String>,
    pub values: Vec<Vec<MetricValues>>,
}

/// Reads `replications.csv` from a run folder (or beside a `summary.csv`).
pub fn read_replications(path: &Path) -> Result<Replications, WorkflowError> {
    let dir = if path.is_dir() {
        path
    } else {
        path.parent().unwrap_or(Path::new("."))
    };
    let file = dir.join("replications.csv");
    let text = fs::read_to_string(&file).map_err(read_err(&file))?;
    // Replications are numbered 0..R: R is one more than the largest.
    let reps = text
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next()?.parse::<u32>().ok())
        .max()
        .map_or(0, |r| r + 1);
    let (scopes, values) = parse_replications(&text, reps).map_err(|m| bad_file(&file, m))?;
    Ok(Replications { scopes, values })
}

/// The seed recorded in a run folder's `datapackage.json` (None when the
/// file or the field is absent: a summary copied on its own, an older run).
pub fn run_seed(path: &Path) -> Option<u64> {
    let dir = if path.is_dir() {
        path
    } else {
        path.parent().unwrap_or(Path::new("."))
    };
    let text = crate::robustness::input::read_text_capped(
        &dir.join("datapackage.json"),
        crate::robustness::input::MAX_TABLE_BYTES,
    )
    .ok()?;
    serde_json::from_str::<serde_json::Value>(&text)
        .ok()?
        .get("seed")?
        .as_u64()
}

/// Whether two runs can be paired replication by replication: the same
/// seed recorded in both and the same replications (0..R) on both sides.
pub fn pairable(seeds: (Option<u64>, Option<u64>), old: &Replications, new: &Replications) -> bool {
    matches!(seeds, (Some(a), Some(b)) if a == b)
        && !old.values.is_empty()
        && old.values.len() == new.values.len()
}

/// Paired t-test of `new − old` over the pairs: (mean difference, its 95%
/// interval, two-sided p-value); None with fewer than two pairs.
pub fn paired_t(pairs: &[(f64, f64)]) -> Option<(f64, (f64, f64), f64)> {
    let n = pairs.len();
    if n < 2 {
        return None;
    }
    let d: Vec<f64> = pairs.iter().map(|(o, c)| c - o).collect();
    let mean = d.iter().sum::<f64>() / n as f64;
    let var = d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let se = (var / n as f64).sqrt();
    if se == 0.0 || !se.is_finite() {
        // Every replication moved by the same amount: certain.
        let p = if mean == 0.0 { 1.0 } else { 0.0 };
        return Some((mean, (mean, mean), p));
    }
    let t = StudentsT::new(0.0, 1.0, (n - 1) as f64).expect("df ≥ 1 is valid");
    let p = (2.0 * (1.0 - t.cdf((mean / se).abs()))).clamp(0.0, 1.0);
    let half = t.inverse_cdf(0.975) * se;
    Some((mean, (mean - half, mean + half), p))
}

/// Replaces each row's change, interval and p-value by the paired test's.
/// Both runs must hold the same replications (pairing r with r); rows whose
/// scope or metric a side lacks keep their verdict (missing) or become
/// untested. Call [`super::diff::judge`] afterwards.
pub fn retest_paired(
    rows: &mut [DiffRow],
    old: &Replications,
    new: &Replications,
) -> Result<(), String> {
    if old.values.len() != new.values.len() {
        return Err(format!(
            "--paired pairs replication r with replication r: the runs have {} and {} replication(s)",
            old.values.len(),
            new.values.len()
        ));
    }
    for row in rows.iter_mut() {
        let Some((metric, so, sn)) = retest_target(row, old, new) else {
            continue;
        };
        let value = |r: &[MetricValues], s: usize| r.get(s).and_then(|v| v[metric as usize]);
        let pairs: Vec<(f64, f64)> = old
            .values
            .iter()
            .zip(&new.values)
            .filter_map(|(o, n)| Some((value(o, so)?, value(n, sn)?)))
            .collect();
        if let Some((d, ci, p)) = paired_t(&pairs) {
            row.change = Some(d);
            row.change_ci = Some(ci);
            row.p = Some(p);
        }
    }
    Ok(())
}

/// Replaces each row's change, interval and p-value by Welch's test on the
/// raw per-replication values (exact means and standard deviations, where
/// the summaries give them back only through rounded interval widths).
/// Call [`super::diff::judge`] afterwards.
pub fn retest_welch(rows: &mut [DiffRow], old: &Replications, new: &Replications) {
    for row in rows.iter_mut() {
        if row.verdict == DiffVerdict::Missing {
            continue;
        }
        let (Some(metric), Some(so), Some(sn)) = (
            Metric::from_name(&row.metric),
            old.scopes.iter().position(|s| *s == row.scope),
            new.scopes.iter().position(|s| *s == row.scope),
        ) else {
            continue;
        };
        let sample = |reps: &Replications, s: usize| -> Vec<f64> {
            reps.values
                .iter()
                .filter_map(|r| r.get(s).and_then(|v| v[metric as usize]))
                .collect()
        };
        let (a, b) = (sample(old, so), sample(new, sn));
        if a.len() < 2 || b.len() < 2 {
            continue;
        }
        let stats = |v: &[f64]| {
            let n = v.len();
            let m = v.iter().sum::<f64>() / n as f64;
            let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1) as f64;
            (m, var.sqrt(), n)
        };
        let Some((d, ci, p)) = super::diff::welch(stats(&a), stats(&b)) else {
            continue;
        };
        row.change = Some(d);
        row.change_ci = Some(ci);
        row.p = Some(p);
        row.p_holm = None;
    }
}

/// Replaces each row's change and p-value by a rank test's on the
/// per-replication values: Wilcoxon's signed-rank test of the differences
/// when `paired` (the runs must hold the same replications), Mann–Whitney's
/// U test otherwise (see [`super::rank`]). Rank tests give no interval of
/// the change. Call [`super::diff::judge`] afterwards.
pub fn retest_rank(
    rows: &mut [DiffRow],
    old: &Replications,
    new: &Replications,
    paired: bool,
) -> Result<(), String> {
    if paired && old.values.len() != new.values.len() {
        return Err(format!(
            "the signed-rank test pairs replication r with replication r: the runs have {} and {} replication(s)",
            old.values.len(),
            new.values.len()
        ));
    }
    for row in rows.iter_mut() {
        let Some((metric, so, sn)) = retest_target(row, old, new) else {
            continue;
        };
        let value = |r: &[MetricValues], s: usize| r.get(s).and_then(|v| v[metric as usize]);
        let tested = if paired {
            let pairs: Vec<(f64, f64)> = old
                .values
                .iter()
                .zip(&new.values)
                .filter_map(|(o, n)| Some((value(o, so)?, value(n, sn)?)))
                .collect();
            super::rank::signed_rank(&pairs)
        } else {
            let sample = |reps: &Replications, s: usize| -> Vec<f64> {
                reps.values.iter().filter_map(|r| value(r, s)).collect()
            };
            super::rank::mann_whitney(&sample(old, so), &sample(new, sn))
        };
        if let Some((d, p)) = tested {
            row.change = Some(d);
            row.p = Some(p);
        }
    }
    Ok(())
}

/// Clears a row's test for a retest and finds its metric and its scope in
/// each run; `None` when the row is missing on a side (left as it is) or
/// cannot be retested (left untested).
fn retest_target(
    row: &mut DiffRow,
    old: &Replications,
    new: &Replications,
) -> Option<(Metric, usize, usize)> {
    if row.verdict == DiffVerdict::Missing {
        return None;
    }
    row.p = None;
    row.p_holm = None;
    row.change_ci = None;
    row.verdict = DiffVerdict::Untested;
    Some((
        Metric::from_name(&row.metric)?,
        old.scopes.iter().position(|s| *s == row.scope)?,
        new.scopes.iter().position(|s| *s == row.scope)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paired_t_matches_a_hand_computed_case() {
        // Differences 1, 2, 3: mean 2, sd 1, se 1/sqrt(3), t = 3.4641, df 2:
        // two-sided p = 0.07418 (tables).
        let (d, (lo, hi), p) = paired_t(&[(10.0, 11.0), (20.0, 22.0), (5.0, 8.0)]).unwrap();
        assert_eq!(d, 2.0);
        assert!((p - 0.074180).abs() < 1e-5, "{p}");
        let half = 4.302653 / 3f64.sqrt();
        assert!((lo - (2.0 - half)).abs() < 1e-5 && (hi - (2.0 + half)).abs() < 1e-5);
        assert!(paired_t(&[(1.0, 2.0)]).is_none());
        assert_eq!(paired_t(&[(1.0, 2.0), (5.0, 6.0)]).unwrap().2, 0.0);
        assert_eq!(paired_t(&[(1.0, 1.0), (5.0, 5.0)]).unwrap().2, 1.0);
    }

    #[test]
    fn pairing_needs_one_recorded_seed_and_the_same_replications() {
        let reps = |n: usize| Replications {
            scopes: vec!["platform".into()],
            values: vec![Vec::new(); n],
        };
        assert!(pairable((Some(7), Some(7)), &reps(4), &reps(4)));
        assert!(!pairable((Some(7), Some(8)), &reps(4), &reps(4)));
        assert!(!pairable((None, Some(7)), &reps(4), &reps(4)));
        assert!(!pairable((None, None), &reps(4), &reps(4)));
        assert!(!pairable((Some(7), Some(7)), &reps(4), &reps(5)));
        assert!(!pairable((Some(7), Some(7)), &reps(0), &reps(0)));
    }

    #[test]
    fn shared_noise_cancels_in_pairs() {
        // Both sides share a large per-replication term; the candidate is
        // 1 higher everywhere but for a small wobble.
        let noise = [50.0, -40.0, 10.0, 80.0, -70.0, 5.0];
        let pairs: Vec<(f64, f64)> = noise
            .iter()
            .enumerate()
            .map(|(i, &z)| (100.0 + z, 101.0 + z + 0.1 * (i as f64 % 2.0)))
            .collect();
        let (_, _, p) = paired_t(&pairs).unwrap();
        assert!(p < 1e-6, "{p}");
        let (o, n): (Vec<f64>, Vec<f64>) = pairs.iter().copied().unzip();
        let sd = |v: &[f64]| {
            let m = v.iter().sum::<f64>() / v.len() as f64;
            (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt()
        };
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let (_, _, p_welch) =
            super::super::diff::welch((mean(&o), sd(&o), 6), (mean(&n), sd(&n), 6))
                .expect("finite samples");
        assert!(p_welch > 0.5, "{p_welch}");
    }
}
