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
    /// A decrement found the level too low (a bookkeeping bug: something
    /// left that never came). Flagged, not panicked on, so the replication's
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
        self.value = self.value.wrapping_add(n);
        self.interval_max = self.interval_max.max(self.value);
    }

    #[inline]
    pub fn sub(&mut self, now: SimTime, n: u32) {
        // Branch-free: a level taken below zero wraps, but the flag makes the
        // replication's invariants refuse the run, so no wrapped number is
        // ever written.
        self.underflow |= self.value < n;
        self.acc += now.micros() as i128 * n as i128;
        self.value = self.value.wrapping_sub(n);
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

    /// Taking away more than there is flags the level (whose numbers are
    /// then meaningless: the run is refused by the invariants).
    #[test]
    fn a_decrement_below_zero_is_flagged() {
        let mut l = Level::default();
        l.add(SimTime(0), 3);
        l.sub(SimTime(1_000_000), 2);
        l.dec(SimTime(1_500_000));
        assert!(!l.underflowed(), "down to exactly zero is fine");
        l.inc(SimTime(2_000_000));
        l.sub(SimTime(2_500_000), 2);
        assert!(l.underflowed());
        l.add(SimTime(3_000_000), 5);
        assert!(l.underflowed(), "the flag stays");
        let mut z = Level::default();
        z.dec(SimTime(5));
        assert!(z.underflowed());
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
