//! Packet loss on a media path: independent (Bernoulli) loss, or bursty loss
//! by the two-state Gilbert–Elliott model (Gilbert 1960, "Capacity of a
//! burst-noise channel"; Elliott 1963, "Estimates of error rates for codes on
//! burst-noise channels").
//!
//! Two ways to draw it, for the two media modes: [`LossProcess`] decides each
//! packet in turn (exact mode); [`LossModel::sample_lost`] draws the number
//! of packets lost out of n with a handful of random numbers (statistical
//! mode). Both start the chain in its stationary distribution, so a call of
//! any length sees the long-run loss rate on average.

use rand::Rng;
use serde::Deserialize;

use super::draw::{self, BinomialSampler};
use super::MediaError;

/// How a path loses packets. Scenario form: `Random(p: 0.01)` or
/// `Gilbert(p: 0.005, r: 0.25)` (`loss_good` defaults to 0, `loss_bad` to 1:
/// the simple Gilbert model of DESIGN §2).
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
pub enum LossModel {
    /// Every packet is lost independently with probability `p`.
    Random { p: f64 },
    /// Gilbert–Elliott: a good and a bad state; per packet the chain moves
    /// good→bad with probability `p` and bad→good with probability `r`; a
    /// packet is lost with probability `loss_good` in the good state and
    /// `loss_bad` in the bad state.
    Gilbert {
        p: f64,
        r: f64,
        #[serde(default)]
        loss_good: f64,
        #[serde(default = "one")]
        loss_bad: f64,
    },
}

fn one() -> f64 {
    1.0
}

impl Default for LossModel {
    fn default() -> Self {
        LossModel::NONE
    }
}

/// Up to this many expected bad-state visits in a stream, the statistical
/// Gilbert draw walks the sojourns one by one (exact, one exponential draw
/// per sojourn, about 25 ns per visit); above it, it draws the loss count
/// from a Gamma-shaped law with the exact mean and variance. Twelve visits
/// bound the walk to about 300 ns in the worst case; beyond that the count is
/// a sum of many independent sojourns and close to its two-moment Gamma fit.
pub const GILBERT_EXACT_MAX_VISITS: f64 = 12.0;

impl LossModel {
    /// A path that loses nothing.
    pub const NONE: LossModel = LossModel::Random { p: 0.0 };

    /// The simple Gilbert model (no loss in the good state, all packets lost
    /// in the bad state) with a given long-run loss rate and mean burst
    /// length in packets: r = 1/burst, p = rate·r/(1 − rate).
    pub fn gilbert_from_rate(loss_rate: f64, mean_burst_packets: f64) -> LossModel {
        let r = 1.0 / mean_burst_packets;
        let p = loss_rate * r / (1.0 - loss_rate);
        LossModel::Gilbert {
            p,
            r,
            loss_good: 0.0,
            loss_bad: 1.0,
        }
    }

    /// Every probability in [0, 1]; a Gilbert chain must be able to leave at
    /// least one of its states (p + r > 0) or it has no stationary law.
    pub fn check(&self) -> Result<(), MediaError> {
        fn prob(field: &'static str, v: f64) -> Result<(), MediaError> {
            if v.is_finite() && (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err(MediaError::new(field, "must be a probability in [0, 1]"))
            }
        }
        match *self {
            LossModel::Random { p } => prob("p", p),
            LossModel::Gilbert {
                p,
                r,
                loss_good,
                loss_bad,
            } => {
                prob("p", p)?;
                prob("r", r)?;
                prob("loss_good", loss_good)?;
                prob("loss_bad", loss_bad)?;
                if p + r == 0.0 {
                    return Err(MediaError::new(
                        "r",
                        "p and r cannot both be zero (the chain would never change state)",
                    ));
                }
                Ok(())
            }
        }
    }

    /// Long-run share of time in the bad state, p/(p + r) (0 for random loss).
    pub fn stationary_bad(&self) -> f64 {
        match *self {
            LossModel::Random { .. } => 0.0,
            LossModel::Gilbert { p, r, .. } => p / (p + r),
        }
    }

    /// Long-run loss probability per packet: `p` for random loss;
    /// π_good·loss_good + π_bad·loss_bad for Gilbert–Elliott, which is
    /// p/(p + r) in the simple form (DESIGN §2).
    pub fn stationary_loss(&self) -> f64 {
        match *self {
            LossModel::Random { p } => p,
            LossModel::Gilbert {
                loss_good,
                loss_bad,
                ..
            } => {
                let bad = self.stationary_bad();
                (1.0 - bad) * loss_good + bad * loss_bad
            }
        }
    }

    /// The E-model's burst ratio BurstR (ITU-T G.107 §3.6): the mean length
    /// of observed loss bursts divided by the mean length expected under
    /// random loss at the same rate, 1/(1 − P).
    ///
    /// For random loss it is 1; for the simple Gilbert model it is
    /// 1/(p + r), the formula of G.107 and DESIGN §2 (mean burst 1/r,
    /// P = p/(p + r)). For the general Gilbert–Elliott model we apply G.107's
    /// definition to the chain's own loss runs: mean run length =
    /// P(loss) / P(no loss, then loss), with the pair probability
    /// Σᵢⱼ πᵢ lᵢ Tᵢⱼ lⱼ from the stationary law π, loss probabilities l and
    /// transitions T; this reduces to 1/(p + r) in the simple form.
    pub fn burst_r(&self) -> f64 {
        match *self {
            LossModel::Random { .. } => 1.0,
            LossModel::Gilbert {
                p,
                r,
                loss_good: lg,
                loss_bad: lb,
            } => {
                let loss = self.stationary_loss();
                if loss <= 0.0 || loss >= 1.0 {
                    return 1.0;
                }
                let bad = self.stationary_bad();
                let good = 1.0 - bad;
                // P(loss at t−1 and loss at t) in the stationary chain.
                let both =
                    good * lg * ((1.0 - p) * lg + p * lb) + bad * lb * (r * lg + (1.0 - r) * lb);
                let run_starts = loss - both;
                if run_starts <= 0.0 {
                    return 1.0;
                }
                let mean_run = loss / run_starts;
                (mean_run * (1.0 - loss)).max(1e-9)
            }
        }
    }

    /// A per-packet loss process started in the stationary distribution.
    pub fn process<R: Rng + ?Sized>(&self, rng: &mut R) -> LossProcess {
        let bad = match *self {
            LossModel::Random { .. } => false,
            LossModel::Gilbert { .. } => rng.gen::<f64>() < self.stationary_bad(),
        };
        LossProcess { model: *self, bad }
    }

    /// Number of packets lost out of `n` consecutive packets, drawn without
    /// walking the packets (statistical mode). Prepares a [`LossSampler`]
    /// each time; keep one per path to draw many.
    pub fn sample_lost<R: Rng + ?Sized>(&self, n: u64, rng: &mut R) -> u64 {
        self.sampler().sample_lost(n, rng)
    }

    /// The statistical-mode sampler of this model, with everything that
    /// depends only on the model computed once.
    pub fn sampler(&self) -> LossSampler {
        match *self {
            LossModel::Random { p } => LossSampler::Random(BinomialSampler::new(p)),
            LossModel::Gilbert {
                p,
                r,
                loss_good,
                loss_bad,
            } => {
                let bad = self.stationary_bad();
                let loss = self.stationary_loss();
                let lambda = 1.0 - p - r;
                let dl = loss_bad - loss_good;
                // n beyond which |λ|ⁿ < 1e-12 and drops out of the variance.
                let lambda_negligible_after = if lambda.abs() < 1.0 && lambda != 0.0 {
                    (-27.6 / lambda.abs().ln()).ceil()
                } else if lambda == 0.0 {
                    1.0
                } else {
                    f64::INFINITY
                };
                LossSampler::Gilbert(GilbertSampler {
                    bad,
                    loss,
                    visits_per_packet: (1.0 - bad) * p,
                    inv_rate_good: draw::geometric_inv_rate(p),
                    inv_rate_bad: draw::geometric_inv_rate(r),
                    loss_good: BinomialSampler::new(loss_good),
                    loss_bad: BinomialSampler::new(loss_bad),
                    lambda,
                    lambda_negligible_after,
                    corr: 2.0 * bad * (1.0 - bad) * dl * dl,
                })
            }
        }
    }

    /// Exact mean and variance of the number of packets lost out of `n`
    /// consecutive packets, the chain started in its stationary law.
    pub fn loss_count_moments(&self, n: u64) -> (f64, f64) {
        match self.sampler() {
            LossSampler::Random(_) => {
                let (nf, p) = (n as f64, self.stationary_loss());
                (nf * p, nf * p * (1.0 - p))
            }
            LossSampler::Gilbert(g) => g.moments(n),
        }
    }
}

/// A [`LossModel`] prepared for drawing loss counts (statistical mode): see
/// [`LossSampler::sample_lost`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LossSampler {
    Random(BinomialSampler),
    Gilbert(GilbertSampler),
}

/// The constants of a Gilbert–Elliott chain that the count draw needs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GilbertSampler {
    bad: f64,
    loss: f64,
    visits_per_packet: f64,
    inv_rate_good: f64,
    inv_rate_bad: f64,
    loss_good: BinomialSampler,
    loss_bad: BinomialSampler,
    lambda: f64,
    lambda_negligible_after: f64,
    corr: f64,
}

impl LossSampler {
    /// Number of packets lost out of `n` consecutive packets.
    ///
    /// * Random loss: Binomial(n, p) (exact for small n·p·q, a
    ///   skewness-corrected normal above; see `draw::BinomialSampler`).
    /// * Gilbert–Elliott with few expected bad-state visits
    ///   (≤ [`GILBERT_EXACT_MAX_VISITS`]): walk the alternating good and bad
    ///   sojourns, whose lengths are geometric (the chain is memoryless, so a
    ///   stationary start has a geometric residual sojourn too); then
    ///   Binomial(bad packets, loss_bad) + Binomial(good packets, loss_good).
    ///   Exact in distribution up to those binomials.
    /// * Otherwise: a Gamma-shaped draw (`draw::gamma_like`) with the exact
    ///   mean n·P and the exact variance of a stationary two-state chain,
    ///   `n P(1−P) + 2 π_g π_b (l_b − l_g)² Σ_{k=1}^{n−1} (n−k) λᵏ`,
    ///   λ = 1 − p − r (the lag-k autocovariance of the state indicator is
    ///   π_g π_b λᵏ), rounded and clamped to [0, n]. A Gamma rather than a
    ///   normal because the count is a sum of right-skewed burst lengths.
    #[inline]
    pub fn sample_lost<R: Rng + ?Sized>(&self, n: u64, rng: &mut R) -> u64 {
        if n == 0 {
            return 0;
        }
        match self {
            LossSampler::Random(b) => b.sample(n, rng),
            LossSampler::Gilbert(g) => {
                let visits = g.bad + (n - 1) as f64 * g.visits_per_packet;
                if visits <= GILBERT_EXACT_MAX_VISITS {
                    let n_bad = g.bad_packets_by_sojourns(n, rng);
                    g.loss_bad.sample(n_bad, rng) + g.loss_good.sample(n - n_bad, rng)
                } else {
                    let (mean, var) = g.moments(n);
                    draw::round_count(draw::gamma_like(mean, var, rng), n as f64)
                }
            }
        }
    }
}

impl GilbertSampler {
    /// Exact mean and variance of the loss count over `n` packets.
    fn moments(&self, n: u64) -> (f64, f64) {
        let nf = n as f64;
        let lambda = self.lambda;
        // Σ_{k=1}^{n−1} (n − k) λᵏ in closed form.
        let lag_sum = if (1.0 - lambda).abs() < 1e-15 {
            nf * (nf - 1.0) / 2.0
        } else {
            let lambda_n = if nf >= self.lambda_negligible_after {
                0.0
            } else {
                lambda.powf(nf)
            };
            lambda * (nf * (1.0 - lambda) - (1.0 - lambda_n)) / ((1.0 - lambda) * (1.0 - lambda))
        };
        let var = nf * self.loss * (1.0 - self.loss) + self.corr * lag_sum;
        (nf * self.loss, var.max(0.0))
    }

    /// Packets spent in the bad state among `n`, walking the sojourns of the
    /// stationary chain.
    fn bad_packets_by_sojourns<R: Rng + ?Sized>(&self, n: u64, rng: &mut R) -> u64 {
        let mut in_bad = rng.gen::<f64>() < self.bad;
        let mut pos = 0u64;
        let mut n_bad = 0u64;
        while pos < n {
            if in_bad {
                let take = draw::geometric(self.inv_rate_bad, rng).min(n - pos);
                n_bad += take;
                pos += take;
            } else {
                pos = pos.saturating_add(draw::geometric(self.inv_rate_good, rng));
            }
            in_bad = !in_bad;
        }
        n_bad
    }
}

/// The per-packet form of a [`LossModel`]: a Markov chain stepped once per
/// packet (exact mode).
#[derive(Clone, Debug)]
pub struct LossProcess {
    model: LossModel,
    bad: bool,
}

impl LossProcess {
    /// Whether the next packet is lost; then the chain takes one step.
    #[inline]
    pub fn next_lost<R: Rng + ?Sized>(&mut self, rng: &mut R) -> bool {
        match self.model {
            LossModel::Random { p } => p > 0.0 && rng.gen::<f64>() < p,
            LossModel::Gilbert {
                p,
                r,
                loss_good,
                loss_bad,
            } => {
                let l = if self.bad { loss_bad } else { loss_good };
                let lost = l > 0.0 && rng.gen::<f64>() < l;
                let leave = if self.bad { r } else { p };
                if leave > 0.0 && rng.gen::<f64>() < leave {
                    self.bad = !self.bad;
                }
                lost
            }
        }
    }

    /// Whether the chain is in its bad state (for tests and traces).
    pub fn is_bad(&self) -> bool {
        self.bad
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::stream;

    fn general() -> LossModel {
        LossModel::Gilbert {
            p: 0.02,
            r: 0.3,
            loss_good: 0.005,
            loss_bad: 0.7,
        }
    }

    #[test]
    fn stationary_loss_of_the_simple_and_general_forms() {
        let simple = LossModel::Gilbert {
            p: 0.01,
            r: 0.24,
            loss_good: 0.0,
            loss_bad: 1.0,
        };
        assert!((simple.stationary_loss() - 0.04).abs() < 1e-15);
        // π_bad = 0.02/0.32 = 0.0625; 0.9375·0.005 + 0.0625·0.7 = 0.0484375
        assert!((general().stationary_loss() - 0.0484375).abs() < 1e-15);
        assert_eq!(LossModel::Random { p: 0.03 }.stationary_loss(), 0.03);
        let g = LossModel::gilbert_from_rate(0.05, 10.0);
        assert!((g.stationary_loss() - 0.05).abs() < 1e-15);
    }

    #[test]
    fn burst_r_is_one_over_p_plus_r_in_the_simple_form() {
        let simple = LossModel::gilbert_from_rate(0.02, 4.0);
        let LossModel::Gilbert { p, r, .. } = simple else {
            unreachable!()
        };
        assert!((simple.burst_r() - 1.0 / (p + r)).abs() < 1e-12);
        assert_eq!(LossModel::Random { p: 0.1 }.burst_r(), 1.0);
        // A "Gilbert" chain that forgets its state every packet (p + r = 1)
        // is random loss: BurstR 1.
        let memoryless = LossModel::Gilbert {
            p: 0.3,
            r: 0.7,
            loss_good: 0.0,
            loss_bad: 1.0,
        };
        assert!((memoryless.burst_r() - 1.0).abs() < 1e-12);
        // Equal loss in both states is random loss whatever p and r are.
        let flat = LossModel::Gilbert {
            p: 0.01,
            r: 0.1,
            loss_good: 0.2,
            loss_bad: 0.2,
        };
        assert!((flat.burst_r() - 1.0).abs() < 1e-12);
    }

    /// Run lengths measured on a long per-packet trace match the BurstR the
    /// model claims (the general form's definition, checked empirically).
    #[test]
    fn burst_r_matches_measured_runs_of_the_general_model() {
        let m = general();
        let mut rng = stream(11, 0, 0, 0);
        let mut proc_ = m.process(&mut rng);
        let (mut lost, mut runs, mut prev) = (0u64, 0u64, false);
        let n = 2_000_000;
        for _ in 0..n {
            let l = proc_.next_lost(&mut rng);
            if l {
                lost += 1;
                if !prev {
                    runs += 1;
                }
            }
            prev = l;
        }
        let rate = lost as f64 / n as f64;
        let measured = (lost as f64 / runs as f64) * (1.0 - rate);
        assert!((rate / m.stationary_loss() - 1.0).abs() < 0.03, "{rate}");
        assert!(
            (measured / m.burst_r() - 1.0).abs() < 0.03,
            "{measured} vs {}",
            m.burst_r()
        );
    }

    /// Per-packet and counted draws have the same mean and variance, for a
    /// model on each side of the visit threshold. Tolerances: 4 standard
    /// errors of the mean; the variance within 12 % (its relative standard
    /// error here is about √(2/N) ≈ 3 % for near-normal counts).
    #[test]
    fn counted_losses_match_the_per_packet_chain() {
        let cases = [
            (LossModel::gilbert_from_rate(0.03, 8.0), 2000), // ~7.5 visits: sojourn walk
            (general(), 3000),                               // ~56 visits: Gamma fit
            (LossModel::Random { p: 0.02 }, 1500),
        ];
        for (k, (m, n)) in cases.into_iter().enumerate() {
            let reps = 2000;
            let (mut a, mut b) = (Vec::new(), Vec::new());
            let mut r1 = stream(5, k as u64, 1, 0);
            let mut r2 = stream(5, k as u64, 2, 0);
            for _ in 0..reps {
                let mut pr = m.process(&mut r1);
                a.push((0..n).filter(|_| pr.next_lost(&mut r1)).count() as f64);
                b.push(m.sample_lost(n, &mut r2) as f64);
            }
            let (ma, va) = mean_var(&a);
            let (mb, vb) = mean_var(&b);
            let se = ((va + vb) / reps as f64).sqrt();
            assert!((ma - mb).abs() < 4.0 * se, "{m:?}: {ma} vs {mb}");
            assert!((ma / (n as f64 * m.stationary_loss()) - 1.0).abs() < 0.05);
            assert!((vb / va - 1.0).abs() < 0.12, "{m:?}: var {va} vs {vb}");
        }
    }

    fn mean_var(x: &[f64]) -> (f64, f64) {
        let n = x.len() as f64;
        let m = x.iter().sum::<f64>() / n;
        let v = x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1.0);
        (m, v)
    }

    #[test]
    fn degenerate_models() {
        let mut rng = stream(1, 0, 0, 0);
        assert_eq!(LossModel::NONE.sample_lost(1000, &mut rng), 0);
        assert_eq!(
            LossModel::Random { p: 1.0 }.sample_lost(1000, &mut rng),
            1000
        );
        assert_eq!(LossModel::Random { p: 0.5 }.sample_lost(0, &mut rng), 0);
        // Absorbing bad state (r = 0): everything is lost.
        let stuck = LossModel::Gilbert {
            p: 0.1,
            r: 0.0,
            loss_good: 0.0,
            loss_bad: 1.0,
        };
        assert_eq!(stuck.stationary_loss(), 1.0);
        assert_eq!(stuck.sample_lost(500, &mut rng), 500);
        let mut pr = stuck.process(&mut rng);
        assert!((0..100).all(|_| pr.next_lost(&mut rng)));
    }

    #[test]
    fn bad_parameters_are_refused() {
        assert!(LossModel::Random { p: 1.5 }.check().is_err());
        assert!(LossModel::Random { p: f64::NAN }.check().is_err());
        let frozen = LossModel::Gilbert {
            p: 0.0,
            r: 0.0,
            loss_good: 0.0,
            loss_bad: 1.0,
        };
        assert_eq!(frozen.check().unwrap_err().field, "r");
        assert!(general().check().is_ok());
    }

    #[test]
    fn scenario_form_parses() {
        let m: LossModel = ron::from_str("Gilbert(p: 0.01, r: 0.25)").unwrap();
        assert_eq!(
            m,
            LossModel::Gilbert {
                p: 0.01,
                r: 0.25,
                loss_good: 0.0,
                loss_bad: 1.0
            }
        );
        let m: LossModel = ron::from_str("Random(p: 0.001)").unwrap();
        assert_eq!(m, LossModel::Random { p: 0.001 });
    }
}
