//! IGP costs as exact integers.

use std::fmt;

/// An IGP cost, kept as an integer count of millionths of the file's unit.
///
/// Why not `f64`: least-cost routing compares *sums* of costs for equality
/// (the tie-break among equal-cost paths) and RFC 5286's loop-free conditions
/// are strict inequalities between sums. With floats, `0.1 + 0.2` and `0.3`
/// differ and the answer would depend on summation order; with integers both
/// are exact. Real routers do the same (OSPF and IS-IS metrics are integers).
/// Costs are therefore rounded to the nearest millionth on loading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cost(u64);

impl Cost {
    /// Smallest cost step, in file units.
    pub const RESOLUTION: f64 = 1e-6;
    /// Largest cost of one link: the largest IS-IS wide metric (2^24 − 1),
    /// so that path sums over any realistic number of hops cannot overflow.
    pub const MAX_F64: f64 = 16_777_215.0;
    /// Zero (the cost from a node to itself).
    pub const ZERO: Cost = Cost(0);

    /// The cost nearest to `c` at [`Cost::RESOLUTION`], or `None` when `c`
    /// is not finite, rounds to zero or below, or exceeds [`Cost::MAX_F64`].
    pub fn from_f64(c: f64) -> Option<Cost> {
        if !c.is_finite() || c > Self::MAX_F64 {
            return None;
        }
        let units = (c / Self::RESOLUTION).round();
        (units >= 1.0).then_some(Cost(units as u64))
    }

    /// Whole millionths.
    pub fn from_micros(units: u64) -> Cost {
        Cost(units)
    }

    pub fn micros(self) -> u64 {
        self.0
    }

    /// The cost in file units: the nearest `f64` to the exact decimal, so
    /// `{}` prints what the user wrote (`3.52`, not `3.5200000000000005`).
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }

    /// Sum of two costs. Saturates rather than wrapping: with links at most
    /// [`Cost::MAX_F64`] a path would need about a million hops to get there.
    pub fn saturating_add(self, other: Cost) -> Cost {
        Cost(self.0.saturating_add(other.0))
    }
}

impl fmt::Display for Cost {
    /// Rust's shortest round-trip float text (`34`, `3.52`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.as_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_are_exact_and_print_as_written() {
        let a = Cost::from_f64(0.1).unwrap();
        let b = Cost::from_f64(0.2).unwrap();
        assert_eq!(a.saturating_add(b), Cost::from_f64(0.3).unwrap());
        assert_eq!(a.saturating_add(b).to_string(), "0.3");
        assert_eq!(Cost::from_f64(34.0).unwrap().to_string(), "34");
        assert_eq!(Cost::from_f64(3.52).unwrap().to_string(), "3.52");
        assert_eq!(
            Cost::from_f64(16_777_215.0).unwrap().to_string(),
            "16777215"
        );
    }

    #[test]
    fn refuses_what_cannot_be_a_cost() {
        for bad in [0.0, -1.0, 4e-7, f64::NAN, f64::INFINITY, 2e7] {
            assert_eq!(Cost::from_f64(bad), None, "{bad}");
        }
        assert_eq!(Cost::from_f64(6e-7).map(Cost::micros), Some(1));
    }
}
