use std::fmt;
use std::ops::{Add, Sub};

/// Simulated time in integer microseconds since the start of a replication.
///
/// Integers, not floats, so that event order never depends on rounding and the
/// same scenario gives byte-identical output on every machine. A u64 of
/// microseconds covers 584 000 years, far beyond any scenario.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);
    pub const MAX: SimTime = SimTime(u64::MAX);
    pub const MICROS_PER_S: u64 = 1_000_000;

    /// Converts seconds to simulated time, rounding to the nearest microsecond.
    /// Negative and NaN inputs clamp to zero: durations are never negative.
    pub fn from_secs_f64(s: f64) -> SimTime {
        if s.is_nan() || s <= 0.0 {
            return SimTime::ZERO;
        }
        // `+ 0.5` then truncation rounds half up for positive values without
        // a libm call (this runs for every sampled duration).
        let us = s * Self::MICROS_PER_S as f64 + 0.5;
        if us >= u64::MAX as f64 {
            SimTime::MAX
        } else {
            SimTime(us as u64)
        }
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / Self::MICROS_PER_S as f64
    }

    pub fn micros(self) -> u64 {
        self.0
    }

    pub fn saturating_sub(self, other: SimTime) -> SimTime {
        SimTime(self.0.saturating_sub(other.0))
    }
}

impl Add for SimTime {
    type Output = SimTime;
    fn add(self, rhs: SimTime) -> SimTime {
        SimTime(self.0.saturating_add(rhs.0))
    }
}

impl Sub for SimTime {
    type Output = SimTime;
    fn sub(self, rhs: SimTime) -> SimTime {
        SimTime(self.0.saturating_sub(rhs.0))
    }
}

/// Seconds with exactly six decimals, computed with integers so the text is
/// the same on every platform (and cheap: no float formatting in CSV rows).
impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{:06}",
            self.0 / Self::MICROS_PER_S,
            self.0 % Self::MICROS_PER_S
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_seconds_to_the_microsecond() {
        let t = SimTime::from_secs_f64(12.345_678_9);
        assert_eq!(t.micros(), 12_345_679);
        assert_eq!(t.to_string(), "12.345679");
        assert_eq!(SimTime::from_secs_f64(-3.0), SimTime::ZERO);
        assert_eq!(SimTime::from_secs_f64(f64::NAN), SimTime::ZERO);
        assert_eq!(SimTime(5).to_string(), "0.000005");
    }

    #[test]
    fn arithmetic_saturates_instead_of_wrapping() {
        assert_eq!(SimTime(3) - SimTime(5), SimTime::ZERO);
        assert_eq!(SimTime::MAX + SimTime(1), SimTime::MAX);
    }
}
