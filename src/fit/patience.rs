//! Patience from waits: an abandoned call's wait is an observed patience;
//! an answered (or timed-out) call's wait is right-censored — the caller
//! would have waited at least that long. Kaplan–Meier gives the survival
//! curve without a family; censored maximum likelihood fits Exp (abandons
//! over total exposure), Weibull and LogNormal. The naive mean of the
//! abandoned waits alone is biased low: it only sees the impatient.

use super::dist::{wald_ci, Family};
use super::talk::fit_weibull_censored;

/// The result of [`fit_patience`].
#[derive(Debug, Clone, PartialEq)]
pub struct PatienceFit {
    /// Waits in the sample and how many ended in an abandon.
    pub n: usize,
    pub abandons: usize,
    /// Mean of the abandoned waits only (biased low).
    pub naive_mean: f64,
    /// Kaplan–Meier median (None when the curve stays above 1/2) and the
    /// restricted mean (area under the curve up to the longest wait).
    pub km_median: Option<f64>,
    pub km_restricted_mean: f64,
    /// Exponential: mean = total exposure / abandons, 95% interval from
    /// χ² quantiles (exact for Poisson counts of abandons given the
    /// exposure).
    pub exp_mean: f64,
    pub exp_ci: (f64, f64),
    /// Censored-likelihood fits (Exp, Weibull, LogNormal) with their AIC,
    /// best first.
    pub fits: Vec<(Family, f64)>,
    /// The mean of the best fit and its Wald 95% interval.
    pub best_mean_ci: (f64, f64),
    /// Kaplan–Meier survival at 30 s (the share of callers who would wait
    /// longer than 30 s).
    pub km_s30: f64,
}

/// Kaplan–Meier survival steps `(time, S(time))` at each distinct abandon
/// time. Censored waits tied with an abandon count as at risk at it.
pub fn kaplan_meier(waits: &[f64], abandoned: &[bool]) -> Vec<(f64, f64)> {
    let mut idx: Vec<usize> = (0..waits.len()).collect();
    idx.sort_by(|&a, &b| {
        waits[a]
            .total_cmp(&waits[b])
            .then(abandoned[b].cmp(&abandoned[a]))
    });
    let mut at_risk = waits.len() as f64;
    let mut s = 1.0;
    let mut out = Vec::new();
    let mut i = 0;
    while i < idx.len() {
        let t = waits[idx[i]];
        let (mut d, mut c) = (0.0, 0.0);
        while i < idx.len() && waits[idx[i]] == t {
            if abandoned[idx[i]] {
                d += 1.0;
            } else {
                c += 1.0;
            }
            i += 1;
        }
        if d > 0.0 {
            s *= 1.0 - d / at_risk;
            out.push((t, s));
        }
        at_risk -= d + c;
    }
    out
}

/// Censored log-likelihood of a family.
pub fn censored_ll(f: &Family, waits: &[f64], abandoned: &[bool]) -> f64 {
    waits
        .iter()
        .zip(abandoned)
        .map(|(&t, &e)| if e { f.ln_pdf(t) } else { f.ln_sf(t) })
        .sum()
}

/// LogNormal censored MLE: Newton on (μ, ln σ) with numerical derivatives,
/// from the moments of the log-waits.
fn fit_lognormal_censored(waits: &[f64], abandoned: &[bool]) -> Option<Family> {
    let n = waits.len() as f64;
    let mu0 = waits.iter().map(|t| t.ln()).sum::<f64>() / n;
    let v0 = waits.iter().map(|t| (t.ln() - mu0).powi(2)).sum::<f64>() / n;
    let mut th = [mu0 + 0.5, 0.5 * v0.max(1e-6).ln()];
    let ll = |t: &[f64]| {
        censored_ll(
            &Family::LogNormal {
                mu: t[0],
                sigma: t[1].exp(),
            },
            waits,
            abandoned,
        )
    };
    let h = 1e-4;
    for _ in 0..100 {
        let f0 = ll(&th);
        let mut g = [0.0; 2];
        let mut hs = [[0.0; 2]; 2];
        for i in 0..2 {
            let mut p = th;
            p[i] += h;
            let fp = ll(&p);
            p[i] -= 2.0 * h;
            let fm = ll(&p);
            g[i] = (fp - fm) / (2.0 * h);
            hs[i][i] = (fp - 2.0 * f0 + fm) / (h * h);
        }
        let mut p = th;
        p[0] += h;
        p[1] += h;
        let a = ll(&p);
        p[1] -= 2.0 * h;
        let b = ll(&p);
        p[0] -= 2.0 * h;
        let d = ll(&p);
        p[1] += 2.0 * h;
        let c = ll(&p);
        hs[0][1] = (a - b - c + d) / (4.0 * h * h);
        hs[1][0] = hs[0][1];
        let det = hs[0][0] * hs[1][1] - hs[0][1] * hs[1][0];
        let mut step = if det > 0.0 && hs[0][0] < 0.0 {
            [
                -(hs[1][1] * g[0] - hs[0][1] * g[1]) / det,
                -(-hs[1][0] * g[0] + hs[0][0] * g[1]) / det,
            ]
        } else {
            // Not concave here: a small gradient step.
            [g[0] * 1e-3 / n, g[1] * 1e-3 / n]
        };
        // Halve until the likelihood does not fall.
        let mut tries = 0;
        loop {
            let cand = [th[0] + step[0], th[1] + step[1]];
            let cand = [cand[0], cand[1].max(1e-3f64.ln())];
            if ll(&cand) >= f0 - 1e-9 || tries > 30 {
                th = cand;
                break;
            }
            step = [step[0] / 2.0, step[1] / 2.0];
            tries += 1;
        }
        if step[0].abs() + step[1].abs() < 1e-9 {
            break;
        }
    }
    let f = Family::LogNormal {
        mu: th[0],
        sigma: th[1].exp(),
    };
    ll(&th).is_finite().then_some(f)
}

/// Fits patience from waits (seconds > 0) and whether each ended in an
/// abandon. None without any abandon (the log says nothing about patience
/// beyond "longer than every wait").
pub fn fit_patience(waits: &[f64], abandoned: &[bool]) -> Option<PatienceFit> {
    let abandons = abandoned.iter().filter(|a| **a).count();
    if abandons == 0 {
        return None;
    }
    let exposure: f64 = waits.iter().sum();
    let naive_mean = waits
        .iter()
        .zip(abandoned)
        .filter(|(_, a)| **a)
        .map(|(w, _)| w)
        .sum::<f64>()
        / abandons as f64;
    let km = kaplan_meier(waits, abandoned);
    let km_median = km.iter().find(|(_, s)| *s <= 0.5).map(|(t, _)| *t);
    let t_max = waits.iter().cloned().fold(0.0, f64::max);
    let mut area = 0.0;
    let (mut t0, mut s0) = (0.0, 1.0);
    for &(t, s) in &km {
        area += s0 * (t - t0);
        t0 = t;
        s0 = s;
    }
    area += s0 * (t_max - t0);
    let exp_mean = exposure / abandons as f64;
    let exp_ci = {
        use statrs::distribution::{ChiSquared, ContinuousCDF};
        // Rate interval d → [χ²(α/2, 2d), χ²(1−α/2, 2d+2)] / (2·exposure).
        let d = abandons as f64;
        let lo = ChiSquared::new(2.0 * d).unwrap().inverse_cdf(0.025) / (2.0 * exposure);
        let hi = ChiSquared::new(2.0 * d + 2.0).unwrap().inverse_cdf(0.975) / (2.0 * exposure);
        (1.0 / hi, 1.0 / lo)
    };
    let mut fams = vec![Family::Exp { mean: exp_mean }];
    fams.extend(fit_weibull_censored(waits, abandoned));
    fams.extend(fit_lognormal_censored(waits, abandoned));
    let mut fits: Vec<(Family, f64)> = fams
        .into_iter()
        .map(|f| {
            (
                f,
                2.0 * f.n_params() as f64 - 2.0 * censored_ll(&f, waits, abandoned),
            )
        })
        .filter(|(_, a)| a.is_finite())
        .collect();
    fits.sort_by(|a, b| a.1.total_cmp(&b.1));
    let best = fits[0].0;
    let best_mean_ci = match best {
        Family::Exp { .. } => exp_ci,
        _ => wald_ci(
            &|t: &[f64]| censored_ll(&best.with_theta(t), waits, abandoned),
            &best.theta(),
            &|t: &[f64]| best.with_theta(t).mean(),
        )
        .unwrap_or((f64::NAN, f64::NAN)),
    };
    Some(PatienceFit {
        n: waits.len(),
        abandons,
        naive_mean,
        km_median,
        km_restricted_mean: area,
        exp_mean,
        exp_ci,
        fits,
        best_mean_ci,
        km_s30: km_at(&km, 30.0),
    })
}

/// The Kaplan–Meier survival at `t` from the steps of [`kaplan_meier`].
pub fn km_at(steps: &[(f64, f64)], t: f64) -> f64 {
    steps
        .iter()
        .take_while(|(s, _)| *s <= t)
        .last()
        .map_or(1.0, |(_, v)| *v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn kaplan_meier_textbook_example() {
        // Times 1, 2+, 3, 3, 4+ (+ = censored): S(1) = 4/5, S(3) = 4/5 · 1/3.
        let km = kaplan_meier(
            &[1.0, 2.0, 3.0, 3.0, 4.0],
            &[true, false, true, true, false],
        );
        assert_eq!(km.len(), 2);
        assert!((km[0].1 - 0.8).abs() < 1e-12);
        assert!((km[1].1 - 0.8 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn censoring_is_undone_where_the_naive_mean_is_not() {
        // Patience Exp(mean 100) censored by an independent Exp(mean 50)
        // answer time: abandons are the short patiences.
        let mut r = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
        let (mut w, mut a) = (Vec::new(), Vec::new());
        for _ in 0..20000 {
            let p: f64 = -100.0 * r.gen::<f64>().ln();
            let c: f64 = -50.0 * r.gen::<f64>().ln();
            w.push(p.min(c));
            a.push(p < c);
        }
        let f = fit_patience(&w, &a).unwrap();
        // The naive mean estimates E[min] = 1/(1/100 + 1/50) ≈ 33.
        assert!((f.naive_mean - 33.3).abs() < 2.0, "{}", f.naive_mean);
        assert!(f.exp_ci.0 < 100.0 && 100.0 < f.exp_ci.1, "{:?}", f.exp_ci);
        // KM median ≈ 100 ln 2.
        let m = f.km_median.unwrap();
        assert!((m - 69.3).abs() < 5.0, "{m}");
        let weib = f
            .fits
            .iter()
            .find(|(f, _)| f.name() == "Weibull")
            .unwrap()
            .0;
        let Family::Weibull { shape, .. } = weib else {
            panic!()
        };
        assert!((shape - 1.0).abs() < 0.05, "{shape}");
    }

    #[test]
    fn no_abandons_no_fit() {
        assert!(fit_patience(&[1.0, 2.0], &[false, false]).is_none());
    }
}
