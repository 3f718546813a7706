use crate::engine::SimTime;

/// A piecewise-constant quantity (calls in the system, agents busy, calls
/// waiting) integrated over time, for time averages per interval and over the
/// statistics window (warm-up to end of arrivals).
///
/// Instead of adding `value × dt` at every change, it keeps
/// `acc = Σ t(dec) − Σ t(inc)`: the integral from 0 to `t` is then
/// `F(t) = acc + value·t`, and the integral over [a, b] is `F(b) − F(a)`.
/// A change costs one integer add, with no multiplication or branch: these
/// run several times per call.
#[derive(Debug, Clone, Default)]
pub struct Level {
    value: u32,
    acc: i128,
    interval_max: u32,
    /// F at the start of the current interval.
    interval_base: i128,
    /// F at the window's opening, then the window's integral once closed.
    window_base: i128,
    window_area: i128,
    /// A decrement found the level at zero (a bookkeeping bug: something
    /// left that never came). Kept, not panicked on, so the replication's
    /// invariants report it with its seed (`Invariant::LevelNeverNegative`).
    underflow: bool,
}

impl Level {
    /// The integral from time 0 to `now` (count·µs).
    #[inline]
    fn integral(&self, now: SimTime) -> i128 {
        self.acc + self.value as i128 * now.micros() as i128
    }

    #[inline]
    pub fn inc(&mut self, now: SimTime) {
        self.acc -= now.micros() as i128;
        self.value += 1;
        self.interval_max = self.interval_max.max(self.value);
    }

    #[inline]
    pub fn dec(&mut self, now: SimTime) {
        self.sub(now, 1);
    }

    /// Raises the level by `n` at once (a flow's bandwidth, say).
    #[inline]
    pub fn add(&mut self, now: SimTime, n: u32) {
        self.acc -= now.micros() as i128 * n as i128;
        self.value += n;
        self.interval_max = self.interval_max.max(self.value);
    }

    #[inline]
    pub fn sub(&mut self, now: SimTime, n: u32) {
        match self.value.checked_sub(n) {
            Some(v) => {
                self.acc += now.micros() as i128 * n as i128;
                self.value = v;
            }
            None => self.underflow = true,
        }
    }

    /// Whether a decrement ever found the level too low.
    pub fn underflowed(&self) -> bool {
        self.underflow
    }

    pub fn value(&self) -> u32 {
        self.value
    }

    /// Closes the current interval of length `len`: returns (time average,
    /// maximum) and starts the next interval.
    pub fn close_interval(&mut self, now: SimTime, len: SimTime) -> (f64, u32) {
        let f = self.integral(now);
        let area = f - self.interval_base;
        let mean = if len.micros() == 0 {
            self.value as f64
        } else {
            area as f64 / len.micros() as f64
        };
        let max = self.interval_max;
        self.interval_base = f;
        self.interval_max = self.value;
        (mean, max)
    }

    pub fn open_window(&mut self, now: SimTime) {
        self.window_base = self.integral(now);
    }

    pub fn close_window(&mut self, now: SimTime) {
        self.window_area = self.integral(now) - self.window_base;
    }

    /// Integral over the statistics window, in count·seconds.
    pub fn window_integral_s(&self) -> f64 {
        self.window_area as f64 / SimTime::MICROS_PER_S as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Taking away more than there is leaves the level (and its integral)
    /// as it was and flags the bug instead of wrapping round to 4 × 10⁹.
    #[test]
    fn a_decrement_below_zero_is_flagged_not_wrapped() {
        let mut l = Level::default();
        l.add(SimTime(0), 3);
        l.sub(SimTime(1_000_000), 2);
        assert!(!l.underflowed());
        l.sub(SimTime(2_000_000), 2);
        assert!(l.underflowed());
        assert_eq!(l.value(), 1);
        let (mean, max) = l.close_interval(SimTime(2_000_000), SimTime(2_000_000));
        assert_eq!((mean, max), (2.0, 3));
        let mut z = Level::default();
        z.dec(SimTime(5));
        assert!(z.underflowed() && z.value() == 0);
    }

    #[test]
    fn time_average_and_window() {
        let mut l = Level::default();
        l.inc(SimTime(0)); // 1 from 0
        l.open_window(SimTime(1_000_000));
        l.inc(SimTime(2_000_000)); // 2 from 2 s
        l.dec(SimTime(3_000_000)); // 1 from 3 s
        let (mean, max) = l.close_interval(SimTime(4_000_000), SimTime(4_000_000));
        assert!((mean - 5.0 / 4.0).abs() < 1e-12);
        assert_eq!(max, 2);
        l.close_window(SimTime(5_000_000));
        // window 1..5 s: 1 + 2 + 1 + 1 = 5 count·s
        assert!((l.window_integral_s() - 5.0).abs() < 1e-12);
    }
}
