use rand::Rng;
use rand_distr::{Distribution, Exp, Gamma, LogNormal, Uniform, Weibull};

use super::SimTime;

/// A ready-to-draw distribution of non-negative durations (seconds).
///
/// Built once from the checked scenario so that drawing in the event loop is a
/// plain match and a call into rand_distr: no parsing, no allocation.
#[derive(Clone, Debug)]
pub enum Sampler {
    Const(f64),
    Exp(Exp<f64>, f64),
    Uniform(Uniform<f64>, f64),
    LogNormal(LogNormal<f64>, f64),
    /// Gamma (Erlang is Gamma with an integer shape).
    Gamma(Gamma<f64>, f64),
    Weibull(Weibull<f64>, f64),
}

/// Why a sampler could not be built; the scenario validator turns this into a
/// message with the field path.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SamplerError {
    #[error("{0} must be a finite number")]
    NotFinite(&'static str),
    #[error("{0} must be greater than zero")]
    NotPositive(&'static str),
    #[error("{0} must not be negative")]
    Negative(&'static str),
    #[error("min must not exceed max")]
    EmptyRange,
}

impl SamplerError {
    /// The distribution parameter at fault, to build the field path.
    pub fn field(&self) -> &'static str {
        match self {
            SamplerError::NotFinite(f)
            | SamplerError::NotPositive(f)
            | SamplerError::Negative(f) => f,
            SamplerError::EmptyRange => "min",
        }
    }
}

fn finite(name: &'static str, v: f64) -> Result<f64, SamplerError> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(SamplerError::NotFinite(name))
    }
}

fn positive(name: &'static str, v: f64) -> Result<f64, SamplerError> {
    if finite(name, v)? > 0.0 {
        Ok(v)
    } else {
        Err(SamplerError::NotPositive(name))
    }
}

fn non_negative(name: &'static str, v: f64) -> Result<f64, SamplerError> {
    if finite(name, v)? >= 0.0 {
        Ok(v)
    } else {
        Err(SamplerError::Negative(name))
    }
}

impl Sampler {
    pub fn constant(value: f64) -> Result<Sampler, SamplerError> {
        Ok(Sampler::Const(non_negative("value", value)?))
    }

    pub fn exponential(mean: f64) -> Result<Sampler, SamplerError> {
        let mean = positive("mean", mean)?;
        Ok(Sampler::Exp(Exp::new(1.0 / mean).expect("rate > 0"), mean))
    }

    pub fn uniform(min: f64, max: f64) -> Result<Sampler, SamplerError> {
        let min = non_negative("min", min)?;
        let max = non_negative("max", max)?;
        if min > max {
            return Err(SamplerError::EmptyRange);
        }
        if min == max {
            return Ok(Sampler::Const(min));
        }
        Ok(Sampler::Uniform(Uniform::new(min, max), (min + max) / 2.0))
    }

    /// Parameterised by the mean and standard deviation of the duration
    /// itself (what a call-log analyst measures), not of its logarithm.
    pub fn log_normal(mean: f64, sd: f64) -> Result<Sampler, SamplerError> {
        let mean = positive("mean", mean)?;
        let sd = positive("sd", sd)?;
        let sigma2 = (1.0 + (sd / mean).powi(2)).ln();
        let mu = mean.ln() - sigma2 / 2.0;
        let d = LogNormal::new(mu, sigma2.sqrt()).map_err(|_| SamplerError::NotFinite("sd"))?;
        Ok(Sampler::LogNormal(d, mean))
    }

    /// Gamma by shape and mean (scale = mean / shape).
    pub fn gamma(shape: f64, mean: f64) -> Result<Sampler, SamplerError> {
        let shape = positive("shape", shape)?;
        let mean = positive("mean", mean)?;
        let d = Gamma::new(shape, mean / shape).map_err(|_| SamplerError::NotFinite("shape"))?;
        Ok(Sampler::Gamma(d, mean))
    }

    /// Erlang-k: the sum of k exponential phases; k = 1 is exponential.
    pub fn erlang(k: u32, mean: f64) -> Result<Sampler, SamplerError> {
        if k == 0 {
            return Err(SamplerError::NotPositive("k"));
        }
        Sampler::gamma(k as f64, mean)
    }

    pub fn weibull(shape: f64, scale: f64) -> Result<Sampler, SamplerError> {
        let shape = positive("shape", shape)?;
        let scale = positive("scale", scale)?;
        let d = Weibull::new(scale, shape).map_err(|_| SamplerError::NotFinite("shape"))?;
        // E[X] = scale * Γ(1 + 1/shape)
        let mean = scale * statrs::function::gamma::gamma(1.0 + 1.0 / shape);
        Ok(Sampler::Weibull(d, mean))
    }

    /// The distribution's mean in seconds, for offered-load estimates.
    pub fn mean(&self) -> f64 {
        match self {
            Sampler::Const(v) => *v,
            Sampler::Exp(_, m)
            | Sampler::Uniform(_, m)
            | Sampler::LogNormal(_, m)
            | Sampler::Gamma(_, m)
            | Sampler::Weibull(_, m) => *m,
        }
    }

    /// True when the distribution is exponential: the theory module can then
    /// offer closed-form predictions.
    pub fn is_exponential(&self) -> bool {
        matches!(self, Sampler::Exp(..))
    }

    pub fn is_zero(&self) -> bool {
        matches!(self, Sampler::Const(v) if *v == 0.0)
    }

    /// Draws one value in seconds.
    #[inline]
    pub fn sample_secs<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        let v = match self {
            Sampler::Const(v) => *v,
            Sampler::Exp(d, _) => d.sample(rng),
            Sampler::Uniform(d, _) => d.sample(rng),
            Sampler::LogNormal(d, _) => d.sample(rng),
            Sampler::Gamma(d, _) => d.sample(rng),
            Sampler::Weibull(d, _) => d.sample(rng),
        };
        v.max(0.0)
    }

    /// Draws one duration as simulated time.
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> SimTime {
        match self {
            Sampler::Const(v) => SimTime::from_secs_f64(*v),
            _ => SimTime::from_secs_f64(self.sample_secs(rng)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::stream;

    fn sample_mean(s: &Sampler, n: usize) -> f64 {
        let mut rng = stream(7, 0, 0, 0);
        (0..n).map(|_| s.sample_secs(&mut rng)).sum::<f64>() / n as f64
    }

    #[test]
    fn sample_means_match_declared_means() {
        let cases = [
            Sampler::exponential(100.0).unwrap(),
            Sampler::uniform(10.0, 30.0).unwrap(),
            Sampler::log_normal(120.0, 60.0).unwrap(),
            Sampler::gamma(2.5, 80.0).unwrap(),
            Sampler::erlang(3, 90.0).unwrap(),
            Sampler::weibull(1.5, 100.0).unwrap(),
        ];
        for s in &cases {
            let m = sample_mean(s, 200_000);
            // Coefficient of variation ≤ 1 for all cases: the standard error of
            // the mean is ≤ mean/√n ≈ 0.22 %; allow 5 standard errors.
            assert!(
                (m / s.mean() - 1.0).abs() < 5.0 / (200_000f64).sqrt(),
                "{s:?}: {m}"
            );
        }
    }

    #[test]
    fn bad_parameters_are_refused_not_panicking() {
        assert_eq!(
            Sampler::exponential(0.0).unwrap_err(),
            SamplerError::NotPositive("mean")
        );
        assert_eq!(
            Sampler::exponential(f64::NAN).unwrap_err(),
            SamplerError::NotFinite("mean")
        );
        assert_eq!(
            Sampler::uniform(5.0, 1.0).unwrap_err(),
            SamplerError::EmptyRange
        );
        assert_eq!(
            Sampler::constant(-1.0).unwrap_err(),
            SamplerError::Negative("value")
        );
        assert!(Sampler::erlang(0, 1.0).is_err());
        assert!(Sampler::weibull(-1.0, 1.0).is_err());
    }
}
