//! Talk time: maximum-likelihood fits of Exp, LogNormal, Gamma and Weibull
//! (Gamma and Weibull shapes by Newton iteration), the choice by AIC, and
//! the Kolmogorov–Smirnov statistic of the chosen fit with its p-value.

use super::dist::{psi, trigamma, wald_ci, Family};

/// One family's fit.
#[derive(Debug, Clone, PartialEq)]
pub struct FamilyFit {
    pub family: Family,
    pub log_lik: f64,
    pub aic: f64,
}

/// Everything `fit` reports on a sample of durations.
#[derive(Debug, Clone, PartialEq)]
pub struct TalkFit {
    pub n: usize,
    /// Every family that could be fitted, best (lowest AIC) first.
    pub fits: Vec<FamilyFit>,
    /// The sample mean and its 95% interval under the chosen family
    /// (Wald on the log scale from the observed information; exact
    /// chi-square for Exp).
    pub mean: f64,
    pub mean_ci: (f64, f64),
    /// Kolmogorov–Smirnov distance of the chosen fit and its asymptotic
    /// p-value (see [`ks_p_value`]).
    pub ks: f64,
    pub ks_p: f64,
}

impl TalkFit {
    pub fn best(&self) -> &FamilyFit {
        &self.fits[0]
    }
}

pub fn log_lik(f: &Family, xs: &[f64]) -> f64 {
    xs.iter().map(|&x| f.ln_pdf(x)).sum()
}

pub fn fit_exp(xs: &[f64]) -> Family {
    Family::Exp {
        mean: xs.iter().sum::<f64>() / xs.len() as f64,
    }
}

pub fn fit_lognormal(xs: &[f64]) -> Family {
    let n = xs.len() as f64;
    let mu = xs.iter().map(|x| x.ln()).sum::<f64>() / n;
    let var = xs.iter().map(|x| (x.ln() - mu).powi(2)).sum::<f64>() / n;
    Family::LogNormal {
        mu,
        // Floored: identical durations (a log in whole seconds, one talk
        // repeated) must still give a valid, if narrow, distribution.
        sigma: var.sqrt().max(1e-3),
    }
}

/// Gamma MLE: Newton on ln k − ψ(k) = ln x̄ − mean(ln x) from Minka's
/// starting point; scale = x̄ / k.
pub fn fit_gamma(xs: &[f64]) -> Option<Family> {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let s = mean.ln() - xs.iter().map(|x| x.ln()).sum::<f64>() / n;
    if !s.is_finite() || s <= 0.0 {
        return None;
    }
    let mut k = (3.0 - s + ((s - 3.0).powi(2) + 24.0 * s).sqrt()) / (12.0 * s);
    for _ in 0..100 {
        let f = k.ln() - psi(k) - s;
        let d = 1.0 / k - trigamma(k);
        let next = k - f / d;
        let next = if next <= 0.0 { k / 2.0 } else { next };
        if (next - k).abs() < 1e-12 * k {
            k = next;
            break;
        }
        k = next;
    }
    k.is_finite().then_some(Family::Gamma {
        shape: k,
        scale: mean / k,
    })
}

/// Weibull MLE on (possibly right-censored) data: Newton on the shape k of
/// d/k + Σ_events ln t − d·Σ t^k ln t / Σ t^k = 0, then
/// scale = (Σ t^k / d)^(1/k). `events[i]` says whether `ts[i]` is observed
/// (false: censored). Times are scaled by their mean for stability.
pub fn fit_weibull_censored(ts: &[f64], events: &[bool]) -> Option<Family> {
    let d = events.iter().filter(|e| **e).count() as f64;
    if d < 2.0 {
        return None;
    }
    let m = ts.iter().sum::<f64>() / ts.len() as f64;
    let u: Vec<f64> = ts.iter().map(|t| t / m).collect();
    let sum_ln_ev: f64 = u
        .iter()
        .zip(events)
        .filter(|(_, e)| **e)
        .map(|(x, _)| x.ln())
        .sum();
    let mut k = 1.0f64;
    for _ in 0..200 {
        let (mut a, mut b, mut c) = (0.0, 0.0, 0.0);
        for &x in &u {
            let p = x.powf(k);
            let l = x.ln();
            a += p;
            b += p * l;
            c += p * l * l;
        }
        let f = d / k + sum_ln_ev - d * b / a;
        let df = -d / (k * k) - d * (c * a - b * b) / (a * a);
        let mut next = k - f / df;
        if !next.is_finite() || next <= 0.0 {
            next = k / 2.0;
        }
        // Identical times have no finite MLE (k → ∞): stop at a shape whose
        // spread is 0.1% of the scale.
        let next = next.min(1e3);
        if (next - k).abs() < 1e-10 * k {
            k = next;
            break;
        }
        k = next;
    }
    let a: f64 = u.iter().map(|x| x.powf(k)).sum();
    let scale = (a / d).powf(1.0 / k) * m;
    (k.is_finite() && scale.is_finite()).then_some(Family::Weibull { shape: k, scale })
}

pub fn fit_weibull(xs: &[f64]) -> Option<Family> {
    fit_weibull_censored(xs, &vec![true; xs.len()])
}

/// Kolmogorov–Smirnov distance between the sample and `f`'s CDF (sorts a
/// copy).
pub fn ks_distance(f: &Family, xs: &[f64]) -> f64 {
    let mut s = xs.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len() as f64;
    let mut d = 0.0f64;
    for (i, &x) in s.iter().enumerate() {
        let c = f.cdf(x);
        d = d.max(c - i as f64 / n).max((i + 1) as f64 / n - c);
    }
    d
}

/// The asymptotic Kolmogorov p-value of distance `d` on `n` points
/// (Stephens' small-sample correction √n + 0.12 + 0.11/√n). With
/// parameters estimated from the same data the true null distribution is
/// narrower (Lilliefors), so this p-value is conservative: a small p
/// still rejects the family; a large one does not prove it.
pub fn ks_p_value(d: f64, n: usize) -> f64 {
    let sn = (n as f64).sqrt();
    let l = (sn + 0.12 + 0.11 / sn) * d;
    if l < 0.2 {
        return 1.0;
    }
    let mut p = 0.0;
    for j in 1..=100 {
        let j = j as f64;
        let term = 2.0 * (-1.0f64).powf(j - 1.0) * (-2.0 * j * j * l * l).exp();
        p += term;
        if term.abs() < 1e-12 {
            break;
        }
    }
    p.clamp(0.0, 1.0)
}

/// Fits the four families to positive durations (zeros and negatives are
/// dropped by the caller). None for fewer than two values.
pub fn fit_talk(xs: &[f64]) -> Option<TalkFit> {
    if xs.len() < 2 {
        return None;
    }
    let mut fams = vec![fit_exp(xs), fit_lognormal(xs)];
    fams.extend(fit_gamma(xs));
    fams.extend(fit_weibull(xs));
    let mut fits: Vec<FamilyFit> = fams
        .into_iter()
        .map(|f| {
            let ll = log_lik(&f, xs);
            FamilyFit {
                family: f,
                log_lik: ll,
                aic: 2.0 * f.n_params() as f64 - 2.0 * ll,
            }
        })
        .filter(|f| f.aic.is_finite())
        .collect();
    fits.sort_by(|a, b| a.aic.total_cmp(&b.aic));
    let best = fits.first()?.family;
    let n = xs.len();
    let mean = xs.iter().sum::<f64>() / n as f64;
    let mean_ci = match best {
        Family::Exp { .. } => exp_mean_ci(xs.iter().sum(), n as f64),
        _ => wald_ci(
            &|t: &[f64]| log_lik(&best.with_theta(t), xs),
            &best.theta(),
            &|t: &[f64]| best.with_theta(t).mean(),
        )
        .unwrap_or((f64::NAN, f64::NAN)),
    };
    let ks = ks_distance(&best, xs);
    Some(TalkFit {
        n,
        fits,
        mean,
        mean_ci,
        ks,
        ks_p: ks_p_value(ks, n),
    })
}

/// Exact 95% interval for an exponential mean from `n` observations
/// summing to `sum`: 2·sum/mean ~ χ²(2n).
pub fn exp_mean_ci(sum: f64, n: f64) -> (f64, f64) {
    use statrs::distribution::{ChiSquared, ContinuousCDF};
    let c = ChiSquared::new(2.0 * n).unwrap();
    (
        2.0 * sum / c.inverse_cdf(0.975),
        2.0 * sum / c.inverse_cdf(0.025),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::Distribution;

    fn sample<D: Distribution<f64>>(d: D, n: usize, seed: u64) -> Vec<f64> {
        let mut r = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
        (0..n).map(|_| d.sample(&mut r)).collect()
    }

    #[test]
    fn gamma_newton_recovers_the_shape() {
        let xs = sample(rand_distr::Gamma::new(2.5, 40.0).unwrap(), 20000, 1);
        let Some(Family::Gamma { shape, scale }) = fit_gamma(&xs) else {
            panic!()
        };
        // sd of the shape MLE at n = 20000 is about 0.024.
        assert!((shape - 2.5).abs() < 0.1, "{shape}");
        assert!((shape * scale - 100.0).abs() < 2.0);
    }

    #[test]
    fn weibull_newton_recovers_the_shape() {
        let xs = sample(rand_distr::Weibull::new(200.0, 1.5).unwrap(), 20000, 2);
        let Some(Family::Weibull { shape, scale }) = fit_weibull(&xs) else {
            panic!()
        };
        assert!((shape - 1.5).abs() < 0.05, "{shape}");
        assert!((scale - 200.0).abs() < 5.0, "{scale}");
    }

    #[test]
    fn aic_picks_the_generating_family() {
        let ln = sample(rand_distr::LogNormal::new(5.0, 0.8).unwrap(), 5000, 3);
        assert_eq!(fit_talk(&ln).unwrap().best().family.name(), "LogNormal");
        let w = sample(rand_distr::Weibull::new(100.0, 2.5).unwrap(), 5000, 4);
        assert_eq!(fit_talk(&w).unwrap().best().family.name(), "Weibull");
        let g = sample(rand_distr::Gamma::new(4.0, 30.0).unwrap(), 5000, 5);
        assert_eq!(fit_talk(&g).unwrap().best().family.name(), "Gamma");
    }

    #[test]
    fn identical_durations_give_a_valid_narrow_fit() {
        let t = fit_talk(&[60.0, 60.0, 60.0]).unwrap();
        let f = t.best().family;
        let ron = f.ron();
        assert!((f.mean() - 60.0).abs() < 0.1, "{ron}");
        let text = format!(
            "Scenario(name: \"x\", duration_s: 10.0, portals: [Portal(name: \"p\", agents: 1, \
             inbound: Traffic(arrivals: Poisson(per_hour: 1.0), talk_s: {ron}))])"
        );
        assert!(crate::model_from_str(&text, "x.ron").is_ok(), "{ron}");
    }

    #[test]
    fn ks_p_value_known_points() {
        // The Kolmogorov distribution: P(K > 1.358) ≈ 0.05, P(K > 1.628) ≈ 0.01.
        let n = 1_000_000;
        let d = 1.358 / ((n as f64).sqrt() + 0.12 + 0.11 / (n as f64).sqrt());
        assert!((ks_p_value(d, n) - 0.05).abs() < 0.001);
        let d = 1.628 / (n as f64).sqrt();
        assert!((ks_p_value(d, n) - 0.01).abs() < 0.001);
        assert_eq!(ks_p_value(0.0, 100), 1.0);
    }

    #[test]
    fn ks_rejects_the_wrong_family() {
        let w = sample(rand_distr::Weibull::new(100.0, 3.0).unwrap(), 2000, 6);
        let e = fit_exp(&w);
        assert!(ks_p_value(ks_distance(&e, &w), w.len()) < 1e-6);
    }

    #[test]
    fn exp_mean_interval_known_value() {
        // n = 10, sum = 10: [2·10/χ²₀.₉₇₅(20), 2·10/χ²₀.₀₂₅(20)] = [20/34.170, 20/9.591].
        let (lo, hi) = exp_mean_ci(10.0, 10.0);
        assert!((lo - 20.0 / 34.1696).abs() < 1e-3, "{lo}");
        assert!((hi - 20.0 / 9.59078).abs() < 1e-3, "{hi}");
    }
}
