//! Cheap random draws for the statistical media mode, which runs once per
//! call direction and must cost tens of nanoseconds, not hundreds. Each
//! function says whether it is exact or an approximation and how good.

use rand::Rng;
use rand_distr::{Distribution, Exp1, StandardNormal};

/// Below this variance n·p·(1 − p) the binomial is drawn exactly by
/// inversion; at or above it by a skewness-corrected normal. 10 is the
/// textbook threshold for the normal approximation to the binomial; with the
/// Cornish–Fisher term the remaining error is in the kurtosis (excess
/// (1 − 6pq)/(npq) ≤ 0.1) and is invisible in means of anything smooth.
pub(crate) const BINOMIAL_EXACT_MAX_VARIANCE: f64 = 10.0;

/// Binomial(n, p) for a fixed p and any n, with everything that depends on
/// p alone computed once (the statistical media mode prepares one per path).
///
/// * Small variance n·p·q < [`BINOMIAL_EXACT_MAX_VARIANCE`]: exact, by
///   sequential inversion from 0 (algorithm BINV of Kachitvichyanukul &
///   Schmeiser 1988, "Binomial random variate generation", CACM 31(2));
///   expected n·min(p, q) + 1 multiply-divide steps, so at most ~11 here.
/// * Otherwise: mean n·p, variance n·p·q and skewness γ = (q − p)/σ exact via
///   the Cornish–Fisher expansion `x = μ + σ (z + γ (z² − 1)/6)`, z standard
///   normal, rounded to the nearest integer and clamped to [0, n]. One normal
///   draw (a ziggurat, a few ns) instead of the ~100 ns of BTPE.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BinomialSampler {
    /// min(p, 1 − p): the sampler draws the rarer outcome.
    p: f64,
    /// Whether p above was 1 − p (then the result is n − draw).
    flipped: bool,
    /// ln(1 − p), for P(X = 0) = (1 − p)ⁿ.
    ln_q: f64,
    /// p / (1 − p), the BINV recurrence constant.
    odds: f64,
    /// √(p (1 − p)).
    sd_unit: f64,
    /// (1 − 2p) / √(p (1 − p)): the skewness times √n.
    skew_unit: f64,
}

impl BinomialSampler {
    pub fn new(p: f64) -> BinomialSampler {
        let p = if p.is_nan() { 0.0 } else { p.clamp(0.0, 1.0) };
        let flipped = p > 0.5;
        let p = if flipped { 1.0 - p } else { p };
        let q = 1.0 - p;
        let sd_unit = (p * q).sqrt();
        BinomialSampler {
            p,
            flipped,
            ln_q: (-p).ln_1p(),
            odds: p / q,
            sd_unit,
            skew_unit: if sd_unit > 0.0 {
                (q - p) / sd_unit
            } else {
                0.0
            },
        }
    }

    /// One draw of Binomial(n, p).
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, n: u64, rng: &mut R) -> u64 {
        let x = self.sample_rare(n, rng);
        if self.flipped {
            n - x
        } else {
            x
        }
    }

    #[inline]
    fn sample_rare<R: Rng + ?Sized>(&self, n: u64, rng: &mut R) -> u64 {
        if n == 0 || self.p <= 0.0 {
            return 0;
        }
        let nf = n as f64;
        let var = self.sd_unit * self.sd_unit * nf;
        if var < BINOMIAL_EXACT_MAX_VARIANCE {
            // BINV: walk the CDF from 0; r is P(X = x), updated by the ratio
            // P(x)/P(x − 1) = (n − x + 1) p / (x q) = a/x − s.
            let mut u: f64 = rng.gen();
            // P(X = 0) = (1 − p)ⁿ ≥ 1 − n·p: below that bound the answer is
            // 0 without computing the power (the common case for rare
            // events such as late packets behind a deep buffer).
            if u <= 1.0 - nf * self.p {
                return 0;
            }
            let s = self.odds;
            let a = (nf + 1.0) * s;
            let mut r = (nf * self.ln_q).exp();
            let mut x = 0u64;
            while u > r {
                u -= r;
                x += 1;
                if x >= n {
                    return n;
                }
                r *= a * recip(x) - s;
                if r <= 0.0 {
                    // Rounding left u above the total mass; the tail beyond
                    // is below 1e-300.
                    break;
                }
            }
            x
        } else {
            let sqrt_n = nf.sqrt();
            let sd = self.sd_unit * sqrt_n;
            let skew = self.skew_unit / sqrt_n;
            let z: f64 = StandardNormal.sample(rng);
            let x = nf * self.p + sd * (z + skew * (z * z - 1.0) / 6.0);
            round_count(x, nf)
        }
    }
}

/// 1/x from a table of correctly rounded reciprocals for the first steps
/// of the BINV walk (its mean is n·p < 10 steps): each step's factor is on
/// the walk's dependency chain, where a division's latency is three times a
/// multiplication's. `a · (1/x)` may differ from `a / x` in the last bit.
#[inline]
fn recip(x: u64) -> f64 {
    const N: usize = 64;
    const TABLE: [f64; N] = {
        let mut t = [f64::INFINITY; N];
        let mut i = 1;
        while i < N {
            t[i] = 1.0 / i as f64;
            i += 1;
        }
        t
    };
    match TABLE.get(x as usize) {
        Some(&r) => r,
        None => 1.0 / x as f64,
    }
}

/// Binomial(n, p) in one call (prepares the sampler each time).
#[cfg(test)]
pub(crate) fn binomial<R: Rng + ?Sized>(n: u64, p: f64, rng: &mut R) -> u64 {
    BinomialSampler::new(p).sample(n, rng)
}

/// A geometric sojourn length (≥ 1 steps) of a chain that leaves each step
/// with probability q, given `inv_rate` = 1/(−ln(1 − q)): exactly
/// 1 + ⌊E · inv_rate⌋ with E ~ Exp(1), since P(⌊E/λ⌋ ≥ k) = e^(−kλ) =
/// (1 − q)ᵏ. One ziggurat exponential, no logarithm. `inv_rate` = ∞ (q = 0)
/// gives u64::MAX: the chain never leaves.
#[inline]
pub(crate) fn geometric<R: Rng + ?Sized>(inv_rate: f64, rng: &mut R) -> u64 {
    if inv_rate == f64::INFINITY {
        return u64::MAX;
    }
    let e: f64 = Exp1.sample(rng);
    // Truncation is ⌊·⌋ for a non-negative value (and saturates at
    // u64::MAX); cheaper than `floor`, a library call on baseline x86-64.
    (e * inv_rate) as u64 + 1
}

/// A continuous draw `x` rounded to the nearest count in [0, n]: half-up
/// rounding by truncation (`round` is a library call on baseline x86-64).
#[inline]
pub(crate) fn round_count(x: f64, n: f64) -> u64 {
    (x.clamp(0.0, n) + 0.5).min(n) as u64
}

/// 1/(−ln(1 − q)) for [`geometric`]: 0 when q = 1 (always leave after one
/// step), ∞ when q = 0.
#[inline]
pub(crate) fn geometric_inv_rate(q: f64) -> f64 {
    if q >= 1.0 {
        0.0
    } else {
        -1.0 / (-q).ln_1p()
    }
}

/// A non-negative draw with the given mean and variance, Gamma-shaped, by
/// the Wilson–Hilferty transform (Wilson & Hilferty 1931): for Gamma with
/// shape k, (X/μ)^(1/3) is nearly normal with mean 1 − c and variance c,
/// c = 1/(9k) = σ²/(9μ²). So X = μ (1 − c + z√c)³. Its mean is μ(1 − c³)
/// and its variance σ²(1 + O(c²)); one normal draw instead of the rejection
/// loop of an exact Gamma sampler.
#[inline]
pub(crate) fn gamma_like<R: Rng + ?Sized>(mean: f64, var: f64, rng: &mut R) -> f64 {
    if mean <= 0.0 {
        return 0.0;
    }
    if var <= 0.0 {
        return mean;
    }
    let c = var / (9.0 * mean * mean);
    gamma_like_c(mean, c, c.sqrt(), rng)
}

/// [`gamma_like`] with c = σ²/(9μ²) and √c already known (they are constants
/// of a path for the RFC 3550 jitter of long calls).
#[inline]
pub(crate) fn gamma_like_c<R: Rng + ?Sized>(mean: f64, c: f64, sqrt_c: f64, rng: &mut R) -> f64 {
    let z: f64 = StandardNormal.sample(rng);
    let base = (1.0 - c + z * sqrt_c).max(0.0);
    mean * base * base * base
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::stream;

    fn moments(xs: &[f64]) -> (f64, f64, f64) {
        let n = xs.len() as f64;
        let m = xs.iter().sum::<f64>() / n;
        let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
        let s = xs.iter().map(|x| (x - m).powi(3)).sum::<f64>() / n / v.powf(1.5);
        (m, v, s)
    }

    /// Mean within 4 standard errors, variance within 5 %, skewness within
    /// 0.05, on both sides of the exact/approximate threshold and for p > ½.
    #[test]
    fn binomial_moments() {
        let mut rng = stream(21, 0, 0, 0);
        for (n, p) in [
            (1000u64, 0.002),
            (6000, 0.001),
            (100, 0.05),
            (6000, 0.01),
            (3000, 0.2),
            (500, 0.97),
        ] {
            let xs: Vec<f64> = (0..200_000)
                .map(|_| binomial(n, p, &mut rng) as f64)
                .collect();
            let (m, v, s) = moments(&xs);
            let (em, ev) = (n as f64 * p, n as f64 * p * (1.0 - p));
            let es = (1.0 - 2.0 * p) / ev.sqrt();
            assert!(
                (m - em).abs() < 4.0 * (ev / 200_000.0).sqrt(),
                "{n} {p}: {m}"
            );
            assert!((v / ev - 1.0).abs() < 0.05, "{n} {p}: var {v} vs {ev}");
            assert!((s - es).abs() < 0.05, "{n} {p}: skew {s} vs {es}");
        }
    }

    /// Small cases against the exact probability of zero.
    #[test]
    fn binomial_probability_of_zero_is_exact_when_small() {
        let mut rng = stream(22, 0, 0, 0);
        let (n, p) = (3000u64, 0.0005);
        let zeros = (0..200_000)
            .filter(|_| binomial(n, p, &mut rng) == 0)
            .count() as f64
            / 200_000.0;
        let exact = (1.0 - p).powi(n as i32);
        let se = (exact * (1.0 - exact) / 200_000.0).sqrt();
        assert!((zeros - exact).abs() < 4.0 * se, "{zeros} vs {exact}");
    }

    #[test]
    fn geometric_has_mean_one_over_q() {
        let mut rng = stream(23, 0, 0, 0);
        for q in [0.01, 0.25, 0.9] {
            let inv = geometric_inv_rate(q);
            let xs: Vec<f64> = (0..200_000)
                .map(|_| geometric(inv, &mut rng) as f64)
                .collect();
            let (m, v, _) = moments(&xs);
            let ev = (1.0 - q) / (q * q);
            assert!(
                (m - 1.0 / q).abs() < 4.0 * (ev / 200_000.0).sqrt(),
                "{q}: {m}"
            );
            assert!(xs.iter().all(|&x| x >= 1.0));
            assert!((v / ev - 1.0).abs() < 0.05, "{q}: {v}");
        }
        assert_eq!(geometric(geometric_inv_rate(1.0), &mut rng), 1);
        assert_eq!(geometric(geometric_inv_rate(0.0), &mut rng), u64::MAX);
    }

    #[test]
    fn gamma_like_moments() {
        let mut rng = stream(24, 0, 0, 0);
        for (mean, var) in [(5.0, 1.3), (100.0, 2000.0), (1.0, 0.05)] {
            let xs: Vec<f64> = (0..200_000)
                .map(|_| gamma_like(mean, var, &mut rng))
                .collect();
            let (m, v, s) = moments(&xs);
            assert!((m - mean).abs() < 4.0 * (var / 200_000.0f64).sqrt(), "{m}");
            assert!((v / var - 1.0).abs() < 0.05, "{v} vs {var}");
            // Gamma skewness 2·sd/mean.
            let es = 2.0 * var.sqrt() / mean;
            assert!((s - es).abs() < 0.1 + 0.1 * es, "{s} vs {es}");
            assert!(xs.iter().all(|&x| x >= 0.0));
        }
    }
}
