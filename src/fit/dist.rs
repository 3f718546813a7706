//! The duration families `fit` chooses among, their log-densities and
//! log-survival functions, the numerical observed information used for
//! Wald intervals, and small special functions.

use statrs::distribution::{ContinuousCDF, Normal};
use statrs::function::erf::erfc;
use statrs::function::gamma::{digamma, ln_gamma};

/// A fitted duration family (parameters as the scenario writes them).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Family {
    Exp { mean: f64 },
    LogNormal { mu: f64, sigma: f64 },
    Gamma { shape: f64, scale: f64 },
    Weibull { shape: f64, scale: f64 },
}

impl Family {
    pub fn name(&self) -> &'static str {
        match self {
            Family::Exp { .. } => "Exp",
            Family::LogNormal { .. } => "LogNormal",
            Family::Gamma { .. } => "Gamma",
            Family::Weibull { .. } => "Weibull",
        }
    }

    pub fn n_params(&self) -> usize {
        match self {
            Family::Exp { .. } => 1,
            _ => 2,
        }
    }

    pub fn mean(&self) -> f64 {
        match *self {
            Family::Exp { mean } => mean,
            Family::LogNormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
            Family::Gamma { shape, scale } => shape * scale,
            Family::Weibull { shape, scale } => scale * ln_gamma(1.0 + 1.0 / shape).exp(),
        }
    }

    pub fn ln_pdf(&self, x: f64) -> f64 {
        match *self {
            Family::Exp { mean } => -mean.ln() - x / mean,
            Family::LogNormal { mu, sigma } => {
                let z = (x.ln() - mu) / sigma;
                -x.ln() - sigma.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln() - 0.5 * z * z
            }
            Family::Gamma { shape, scale } => {
                (shape - 1.0) * x.ln() - x / scale - ln_gamma(shape) - shape * scale.ln()
            }
            Family::Weibull { shape, scale } => {
                let r = x / scale;
                shape.ln() - scale.ln() + (shape - 1.0) * r.ln() - r.powf(shape)
            }
        }
    }

    pub fn cdf(&self, x: f64) -> f64 {
        if x <= 0.0 {
            return 0.0;
        }
        match *self {
            Family::Exp { mean } => 1.0 - (-x / mean).exp(),
            Family::LogNormal { mu, sigma } => {
                0.5 * erfc(-(x.ln() - mu) / (sigma * std::f64::consts::SQRT_2))
            }
            Family::Gamma { shape, scale } => statrs::function::gamma::gamma_lr(shape, x / scale),
            Family::Weibull { shape, scale } => 1.0 - (-(x / scale).powf(shape)).exp(),
        }
    }

    /// ln S(x), the log-probability of lasting beyond `x` (censored
    /// likelihood terms).
    pub fn ln_sf(&self, x: f64) -> f64 {
        if x <= 0.0 {
            return 0.0;
        }
        match *self {
            Family::Exp { mean } => -x / mean,
            Family::Weibull { shape, scale } => -(x / scale).powf(shape),
            Family::LogNormal { mu, sigma } => {
                let z = (x.ln() - mu) / sigma;
                (0.5 * erfc(z / std::f64::consts::SQRT_2)).max(1e-300).ln()
            }
            Family::Gamma { shape, scale } => statrs::function::gamma::gamma_ur(shape, x / scale)
                .max(1e-300)
                .ln(),
        }
    }

    /// The family's parameters on an unconstrained scale (logs), for the
    /// numerical information matrix.
    pub fn theta(&self) -> Vec<f64> {
        match *self {
            Family::Exp { mean } => vec![mean.ln()],
            Family::LogNormal { mu, sigma } => vec![mu, sigma.ln()],
            Family::Gamma { shape, scale } => vec![shape.ln(), scale.ln()],
            Family::Weibull { shape, scale } => vec![shape.ln(), scale.ln()],
        }
    }

    pub fn with_theta(&self, t: &[f64]) -> Family {
        match self {
            Family::Exp { .. } => Family::Exp { mean: t[0].exp() },
            Family::LogNormal { .. } => Family::LogNormal {
                mu: t[0],
                sigma: t[1].exp(),
            },
            Family::Gamma { .. } => Family::Gamma {
                shape: t[0].exp(),
                scale: t[1].exp(),
            },
            Family::Weibull { .. } => Family::Weibull {
                shape: t[0].exp(),
                scale: t[1].exp(),
            },
        }
    }

    /// The scenario's `Dist` for this family.
    pub fn ron(&self) -> String {
        match *self {
            Family::Exp { mean } => format!("Exp(mean: {})", num(mean)),
            Family::LogNormal { mu, sigma } => {
                let mean = self.mean();
                let sd = mean * ((sigma * sigma).exp() - 1.0).sqrt();
                let _ = mu;
                format!("LogNormal(mean: {}, sd: {})", num(mean), num(sd))
            }
            Family::Gamma { shape, scale } => {
                format!("Gamma(shape: {}, mean: {})", num(shape), num(shape * scale))
            }
            Family::Weibull { shape, scale } => {
                format!("Weibull(shape: {}, scale: {})", num(shape), num(scale))
            }
        }
    }
}

/// A float for RON: always with a decimal point, about six significant
/// digits.
pub fn num(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return "0.0".into();
    }
    let s = if v != 0.0 && (v.abs() >= 1e7 || v.abs() < 1e-4) {
        format!("{v:e}")
    } else {
        let d = (5i32.saturating_sub(v.abs().log10().floor() as i32)).clamp(1, 8) as usize;
        let s = format!("{v:.d$}");
        let s = s.trim_end_matches('0');
        if s.ends_with('.') {
            format!("{s}0")
        } else {
            s.to_string()
        }
    };
    if s.contains(['.', 'e']) {
        s
    } else {
        format!("{s}.0")
    }
}

/// Trigamma ψ'(x) (recurrence up to 6, then the asymptotic series).
pub fn trigamma(mut x: f64) -> f64 {
    let mut acc = 0.0;
    while x < 6.0 {
        acc += 1.0 / (x * x);
        x += 1.0;
    }
    let x2 = 1.0 / (x * x);
    acc + 1.0 / x
        + x2 / 2.0
        + (1.0 / x) * x2 * (1.0 / 6.0 - x2 * (1.0 / 30.0 - x2 * (1.0 / 42.0 - x2 / 30.0)))
}

/// Digamma (re-exported for the fits).
pub fn psi(x: f64) -> f64 {
    digamma(x)
}

/// The standard normal quantile.
pub fn z_quantile(p: f64) -> f64 {
    Normal::new(0.0, 1.0).unwrap().inverse_cdf(p)
}

/// A Wald 95% interval for `g(θ̂)` from the numerical observed information
/// of the log-likelihood `ll` at its maximum `theta` (delta method on the
/// unconstrained parameters). None when the information is not positive
/// definite.
pub fn wald_ci(
    ll: &dyn Fn(&[f64]) -> f64,
    theta: &[f64],
    g: &dyn Fn(&[f64]) -> f64,
) -> Option<(f64, f64)> {
    let k = theta.len();
    let h = 1e-4;
    let mut hess = vec![vec![0.0; k]; k];
    let f0 = ll(theta);
    for i in 0..k {
        for j in i..k {
            let mut t = theta.to_vec();
            let v = if i == j {
                t[i] += h;
                let fp = ll(&t);
                t[i] -= 2.0 * h;
                let fm = ll(&t);
                (fp - 2.0 * f0 + fm) / (h * h)
            } else {
                let mut e = |di: f64, dj: f64| {
                    t = theta.to_vec();
                    t[i] += di;
                    t[j] += dj;
                    ll(&t)
                };
                (e(h, h) - e(h, -h) - e(-h, h) + e(-h, -h)) / (4.0 * h * h)
            };
            hess[i][j] = -v;
            hess[j][i] = -v;
        }
    }
    // Covariance = inverse of the observed information (1x1 or 2x2).
    let cov = match k {
        1 => {
            if hess[0][0] <= 0.0 {
                return None;
            }
            vec![vec![1.0 / hess[0][0]]]
        }
        2 => {
            let det = hess[0][0] * hess[1][1] - hess[0][1] * hess[1][0];
            if det <= 0.0 || hess[0][0] <= 0.0 {
                return None;
            }
            vec![
                vec![hess[1][1] / det, -hess[0][1] / det],
                vec![-hess[1][0] / det, hess[0][0] / det],
            ]
        }
        _ => return None,
    };
    let g0 = g(theta);
    let mut grad = vec![0.0; k];
    for i in 0..k {
        let mut t = theta.to_vec();
        t[i] += h;
        let gp = g(&t);
        t[i] -= 2.0 * h;
        let gm = g(&t);
        grad[i] = (gp - gm) / (2.0 * h);
    }
    let mut var = 0.0;
    for i in 0..k {
        for j in 0..k {
            var += grad[i] * cov[i][j] * grad[j];
        }
    }
    if var.is_nan() || var < 0.0 {
        return None;
    }
    // On the log scale of g (g > 0 here: means, rates): better coverage.
    let lg = g0.ln();
    let se = var.sqrt() / g0;
    let z = 1.959963984540054;
    Some(((lg - z * se).exp(), (lg + z * se).exp()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigamma_known_values() {
        // ψ'(1) = π²/6, ψ'(1/2) = π²/2.
        let pi2 = std::f64::consts::PI.powi(2);
        assert!((trigamma(1.0) - pi2 / 6.0).abs() < 1e-9);
        assert!((trigamma(0.5) - pi2 / 2.0).abs() < 1e-9);
    }

    #[test]
    fn means_and_cdfs() {
        let e = Family::Exp { mean: 2.0 };
        assert!((e.cdf(2.0) - (1.0 - (-1.0f64).exp())).abs() < 1e-12);
        let w = Family::Weibull {
            shape: 1.0,
            scale: 3.0,
        };
        assert!((w.mean() - 3.0).abs() < 1e-9);
        let g = Family::Gamma {
            shape: 2.0,
            scale: 5.0,
        };
        assert!((g.mean() - 10.0).abs() < 1e-12);
        // Gamma(1, θ) is Exp(θ).
        let g1 = Family::Gamma {
            shape: 1.0,
            scale: 2.0,
        };
        assert!((g1.cdf(1.3) - e.cdf(1.3)).abs() < 1e-9);
        assert!((g1.ln_sf(1.3) - e.ln_sf(1.3)).abs() < 1e-9);
        let ln = Family::LogNormal {
            mu: 0.0,
            sigma: 1.0,
        };
        assert!((ln.cdf(1.0) - 0.5).abs() < 1e-12);
        assert!((ln.mean() - 0.5f64.exp()).abs() < 1e-12);
    }

    #[test]
    fn ron_numbers_have_a_point() {
        assert_eq!(num(180.0), "180.0");
        assert_eq!(num(0.5), "0.5");
        assert_eq!(num(123.456789), "123.457");
        assert!(Family::Gamma {
            shape: 2.0,
            scale: 60.0
        }
        .ron()
        .contains("mean: 120.0"));
    }
}
