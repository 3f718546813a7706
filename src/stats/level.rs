use crate::engine::SimTime;

/// A piecewise-constant quantity (calls in the system, agents busy, calls
/// waiting) integrated over time, for time averages per interval and over the
/// statistics window (warm-up to end of arrivals). O(1) per change.
#[derive(Debug, Clone, Default)]
pub struct Level {
    value: u32,
    last: SimTime,
    interval_area: u64,
    interval_max: u32,
    window_area: u64,
    window_on: bool,
}

impl Level {
    #[inline]
    fn advance(&mut self, now: SimTime) {
        let dt = now.micros().saturating_sub(self.last.micros());
        let a = dt.saturating_mul(self.value as u64);
        self.interval_area = self.interval_area.saturating_add(a);
        if self.window_on {
            self.window_area = self.window_area.saturating_add(a);
        }
        self.last = now;
    }

    #[inline]
    pub fn inc(&mut self, now: SimTime) {
        self.advance(now);
        self.value += 1;
        self.interval_max = self.interval_max.max(self.value);
    }

    #[inline]
    pub fn dec(&mut self, now: SimTime) {
        self.advance(now);
        debug_assert!(self.value > 0, "level below zero");
        self.value = self.value.saturating_sub(1);
    }

    pub fn value(&self) -> u32 {
        self.value
    }

    /// Closes the current interval of length `len`: returns (time average,
    /// maximum) and starts the next interval.
    pub fn close_interval(&mut self, now: SimTime, len: SimTime) -> (f64, u32) {
        self.advance(now);
        let mean = if len.micros() == 0 {
            self.value as f64
        } else {
            self.interval_area as f64 / len.micros() as f64
        };
        let max = self.interval_max;
        self.interval_area = 0;
        self.interval_max = self.value;
        (mean, max)
    }

    pub fn open_window(&mut self, now: SimTime) {
        self.advance(now);
        self.window_on = true;
        self.window_area = 0;
    }

    pub fn close_window(&mut self, now: SimTime) {
        self.advance(now);
        self.window_on = false;
    }

    /// Integral over the statistics window, in count·seconds.
    pub fn window_integral_s(&self) -> f64 {
        self.window_area as f64 / SimTime::MICROS_PER_S as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
