//! `telsim diff --test rank`: rank tests for metrics whose replication
//! values are far from normal (a tail percentile, a rate stuck near 0 or 1),
//! where a t-test's p-value can mislead with few replications.
//!
//! Paired runs use Wilcoxon's signed-rank test on the per-replication
//! differences (F. Wilcoxon, *Biometrics Bulletin* 1, 1945), unpaired runs
//! the Mann–Whitney U test (H. B. Mann and D. R. Whitney, *Ann. Math.
//! Statist.* 18, 1947). Both use the normal approximation of the statistic
//! with the variance corrected for ties (average ranks), without continuity
//! correction — as R's `wilcox.test(exact = FALSE, correct = FALSE)` and
//! SciPy's `method="asymptotic", use_continuity=False`. Zero differences
//! are dropped before ranking (Wilcoxon's convention). With very few
//! replications the approximation is rough and the smallest attainable
//! p-value large: 5 pairs cannot reach p < 0.05 two-sided, so a rank gate
//! needs more replications than a t-test gate.

use statrs::distribution::{ContinuousCDF, Normal};

/// Average ranks (1-based) of `v`, and Σ(t³ − t) over the tie groups.
fn ranks(v: &[f64]) -> (Vec<f64>, f64) {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut r = vec![0.0; v.len()];
    let mut ties = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i + 1;
        while j < order.len() && v[order[j]] == v[order[i]] {
            j += 1;
        }
        // Positions i..j share the average of ranks i+1..=j.
        let avg = (i + 1 + j) as f64 / 2.0;
        for &k in &order[i..j] {
            r[k] = avg;
        }
        let t = (j - i) as f64;
        ties += t * t * t - t;
        i = j;
    }
    (r, ties)
}

fn two_sided(z: f64) -> f64 {
    let n = Normal::new(0.0, 1.0).expect("the standard normal");
    (2.0 * (1.0 - n.cdf(z.abs()))).clamp(0.0, 1.0)
}

/// Wilcoxon signed-rank test of `new − old` over the pairs: (mean
/// difference, two-sided p-value); None with fewer than two pairs or a
/// non-finite value.
pub fn signed_rank(pairs: &[(f64, f64)]) -> Option<(f64, f64)> {
    if pairs.len() < 2 {
        return None;
    }
    let d: Vec<f64> = pairs.iter().map(|(o, c)| c - o).collect();
    if d.iter().any(|x| !x.is_finite()) {
        return None;
    }
    let mean = d.iter().sum::<f64>() / d.len() as f64;
    let nonzero: Vec<f64> = d.into_iter().filter(|&x| x != 0.0).collect();
    let n = nonzero.len() as f64;
    if nonzero.is_empty() {
        return Some((mean, 1.0));
    }
    let (r, ties) = ranks(&nonzero.iter().map(|x| x.abs()).collect::<Vec<_>>());
    let w_plus: f64 = nonzero
        .iter()
        .zip(&r)
        .filter(|(x, _)| **x > 0.0)
        .map(|(_, r)| r)
        .sum();
    let expected = n * (n + 1.0) / 4.0;
    let var = n * (n + 1.0) * (2.0 * n + 1.0) / 24.0 - ties / 48.0;
    if var <= 0.0 {
        return Some((mean, 1.0));
    }
    Some((mean, two_sided((w_plus - expected) / var.sqrt())))
}

/// Mann–Whitney U test of `new` against `old`: (difference of the means,
/// two-sided p-value); None with fewer than two values on a side or a
/// non-finite value.
pub fn mann_whitney(old: &[f64], new: &[f64]) -> Option<(f64, f64)> {
    if old.len() < 2 || new.len() < 2 || old.iter().chain(new).any(|x| !x.is_finite()) {
        return None;
    }
    let (n1, n2) = (old.len() as f64, new.len() as f64);
    let d = new.iter().sum::<f64>() / n2 - old.iter().sum::<f64>() / n1;
    let all: Vec<f64> = old.iter().chain(new).copied().collect();
    let (r, ties) = ranks(&all);
    let r1: f64 = r[..old.len()].iter().sum();
    let u1 = r1 - n1 * (n1 + 1.0) / 2.0;
    let total = n1 + n2;
    let var = n1 * n2 / 12.0 * ((total + 1.0) - ties / (total * (total - 1.0)));
    if var <= 0.0 {
        return Some((d, 1.0));
    }
    Some((d, two_sided((u1 - n1 * n2 / 2.0) / var.sqrt())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_average_ties() {
        let (r, ties) = ranks(&[3.0, 1.0, 1.0, 2.0]);
        assert_eq!(r, vec![4.0, 1.5, 1.5, 3.0]);
        assert_eq!(ties, 6.0);
    }

    #[test]
    fn signed_rank_matches_hand_computed_cases() {
        // d = 1..5, no ties: W+ = 15, E = 7.5, Var = 5·6·11/24 = 13.75,
        // z = 2.0226, p = 0.04311.
        let pairs: Vec<(f64, f64)> = (1..=5).map(|i| (10.0, 10.0 + i as f64)).collect();
        let (m, p) = signed_rank(&pairs).unwrap();
        assert_eq!(m, 3.0);
        assert!((p - 0.04311).abs() < 1e-4, "{p}");
        // d = 1, 1, 2, −3 and a zero (dropped): ranks 1.5, 1.5, 3, 4;
        // W+ = 6, E = 5, Var = 7.5 − 6/48 = 7.375, z = 0.3682, p = 0.7127.
        let pairs = [(0.0, 1.0), (0.0, 1.0), (0.0, 2.0), (3.0, 0.0), (5.0, 5.0)];
        let (_, p) = signed_rank(&pairs).unwrap();
        assert!((p - 0.7127).abs() < 1e-3, "{p}");
        // Nothing moved: p = 1; one pair: no test.
        assert_eq!(signed_rank(&[(1.0, 1.0), (2.0, 2.0)]).unwrap().1, 1.0);
        assert!(signed_rank(&[(1.0, 2.0)]).is_none());
        assert!(signed_rank(&[(1.0, f64::NAN), (1.0, 2.0)]).is_none());
    }

    #[test]
    fn mann_whitney_matches_hand_computed_cases() {
        // Complete separation of 5 and 5: U = 0, mean 12.5,
        // Var = 25/12 · 11 = 22.917, z = −2.6112, p = 0.009023.
        let a = [1.0, 2.0, 3.0, 4.0, 5.0];
        let b = [6.0, 7.0, 8.0, 9.0, 10.0];
        let (d, p) = mann_whitney(&a, &b).unwrap();
        assert_eq!(d, 5.0);
        assert!((p - 0.009023).abs() < 1e-5, "{p}");
        // Symmetric: swapping the sides keeps p, flips the change.
        let (d2, p2) = mann_whitney(&b, &a).unwrap();
        assert_eq!((d2, p2), (-5.0, p));
        // Ties across the samples: a = 1,2,2 b = 2,3,3: ranks 1,3,3 | 3,5.5,5.5,
        // R1 = 7, U1 = 1, mean 4.5, ties 24 + 6 = 30,
        // Var = 9/12 · (7 − 30/30) = 4.5, z = −1.6499, p = 0.09896.
        let (_, p) = mann_whitney(&[1.0, 2.0, 2.0], &[2.0, 3.0, 3.0]).unwrap();
        assert!((p - 0.09896).abs() < 1e-4, "{p}");
        assert_eq!(mann_whitney(&[1.0, 1.0], &[1.0, 1.0]).unwrap().1, 1.0);
        assert!(mann_whitney(&[1.0], &[1.0, 2.0]).is_none());
    }
}
