//! A portal's working calendar: weekdays, opening hours in its own time
//! zone, and holidays. Used for the worktime step of incoming calls, for
//! when agents place outbound calls, when owners top up, and for counting
//! working days in the adaptive alert rule.

use serde::Deserialize;

use crate::engine::SimTime;

const DAY_S: i64 = 86_400;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Weekday {
    pub const ALL: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];

    pub fn name(self) -> &'static str {
        ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][self as usize]
    }
}

/// Simulated time 0 is midnight UTC of day 0; a portal's local day starts
/// `tz_offset_s` earlier or later.
#[derive(Debug, Clone, PartialEq)]
pub struct Calendar {
    /// Bit `d` set: weekday `d` (Mon = 0) is a working day.
    days: u8,
    /// Opening hours, seconds after local midnight: `[open, close)`.
    open_s: i64,
    close_s: i64,
    /// Local day numbers (day 0 = the day the simulation starts) that are
    /// holidays, sorted.
    holidays: Vec<i64>,
    tz_offset_s: i64,
    /// Weekday of day 0.
    start: Weekday,
}

impl Calendar {
    /// Every day, all day: the calendar of a portal with no worktime set.
    pub fn always(start: Weekday, tz_h: f64) -> Calendar {
        Calendar::new(&Weekday::ALL, 0.0, 24.0, &[], tz_h, start)
    }

    /// Callers guarantee `0 ≤ open_h < close_h ≤ 24` and at least one working
    /// weekday (validation checks it), so `next_open` always finds a time.
    pub fn new(
        days: &[Weekday],
        open_h: f64,
        close_h: f64,
        holidays: &[u32],
        tz_h: f64,
        start: Weekday,
    ) -> Calendar {
        let mut h: Vec<i64> = holidays.iter().map(|&d| i64::from(d)).collect();
        h.sort_unstable();
        h.dedup();
        Calendar {
            days: days.iter().fold(0, |m, d| m | 1 << (*d as u8)),
            open_s: (open_h * 3600.0).round() as i64,
            close_s: (close_h * 3600.0).round() as i64,
            holidays: h,
            tz_offset_s: (tz_h * 3600.0).round() as i64,
            start,
        }
    }

    fn local_s(&self, t: SimTime) -> i64 {
        (t.micros() / SimTime::MICROS_PER_S) as i64 + self.tz_offset_s
    }

    /// Local day number of `t` (may be −1 just after the start in a time
    /// zone west of UTC).
    pub fn day(&self, t: SimTime) -> i64 {
        self.local_s(t).div_euclid(DAY_S)
    }

    pub fn weekday(&self, day: i64) -> Weekday {
        Weekday::ALL[(self.start as i64 + day).rem_euclid(7) as usize]
    }

    pub fn is_working_day(&self, day: i64) -> bool {
        self.days & (1 << self.weekday(day) as u8) != 0
            && self.holidays.binary_search(&day).is_err()
    }

    pub fn is_open(&self, t: SimTime) -> bool {
        let local = self.local_s(t);
        let sec = local.rem_euclid(DAY_S);
        self.is_working_day(local.div_euclid(DAY_S)) && sec >= self.open_s && sec < self.close_s
    }

    /// The first moment at or after `t` when the portal is open.
    pub fn next_open(&self, t: SimTime) -> SimTime {
        if self.is_open(t) {
            return t;
        }
        let local = self.local_s(t);
        let mut day = local.div_euclid(DAY_S);
        // Later today, if the day works and opening is still ahead.
        if self.is_working_day(day) && local.rem_euclid(DAY_S) < self.open_s {
            return self.at(day, self.open_s);
        }
        // Holidays are finite and one weekday works, so this ends within
        // (holidays + 7) days.
        for _ in 0..=(self.holidays.len() + 7) {
            day += 1;
            if self.is_working_day(day) {
                return self.at(day, self.open_s);
            }
        }
        SimTime::MAX
    }

    fn at(&self, day: i64, sec: i64) -> SimTime {
        let utc = day * DAY_S + sec - self.tz_offset_s;
        SimTime(utc.max(0) as u64 * SimTime::MICROS_PER_S)
    }

    /// Local `Www HH:MM` of `t`, for logs.
    pub fn describe(&self, t: SimTime) -> String {
        let local = self.local_s(t);
        let sec = local.rem_euclid(DAY_S);
        format!(
            "{} {:02}:{:02} local",
            self.weekday(local.div_euclid(DAY_S)).name(),
            sec / 3600,
            sec % 3600 / 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Weekday::*;

    fn h(hours: f64) -> SimTime {
        SimTime::from_secs_f64(hours * 3600.0)
    }

    fn office() -> Calendar {
        // Mon–Fri 9–18 in UTC+3, day 2 (a Wednesday) a holiday.
        Calendar::new(&[Mon, Tue, Wed, Thu, Fri], 9.0, 18.0, &[2], 3.0, Mon)
    }

    #[test]
    fn opening_hours_follow_the_local_clock() {
        let c = office();
        assert!(!c.is_open(h(5.9))); // 08:54 local
        assert!(c.is_open(h(6.0))); // 09:00 local Monday
        assert!(c.is_open(h(14.99)));
        assert!(!c.is_open(h(15.0))); // 18:00 local
        assert!(!c.is_open(h(48.0 + 8.0))); // Wednesday: holiday
        assert!(!c.is_open(h(5.0 * 24.0 + 8.0))); // Saturday
        assert_eq!(c.describe(h(6.5)), "Mon 09:30 local");
    }

    #[test]
    fn next_open_skips_nights_weekends_and_holidays() {
        let c = office();
        assert_eq!(c.next_open(h(7.0)), h(7.0));
        assert_eq!(c.next_open(h(2.0)), h(6.0)); // Monday morning
        assert_eq!(c.next_open(h(16.0)), h(24.0 + 6.0)); // Tuesday
        assert_eq!(c.next_open(h(24.0 + 16.0)), h(72.0 + 6.0)); // past Wednesday
        assert_eq!(c.next_open(h(4.0 * 24.0 + 16.0)), h(7.0 * 24.0 + 6.0)); // Fri → Mon
        for k in 0..500 {
            let t = h(k as f64 * 0.77);
            let n = c.next_open(t);
            assert!(n >= t && c.is_open(n), "{k}");
        }
    }

    #[test]
    fn a_west_time_zone_starts_on_the_previous_local_day() {
        let c = Calendar::new(&[Mon], 0.0, 24.0, &[], -5.0, Tue);
        assert_eq!(c.day(h(1.0)), -1);
        assert!(c.is_open(h(1.0))); // still Monday in UTC−5
        assert!(!c.is_open(h(5.0)));
        assert!(Calendar::always(Mon, 0.0).is_open(h(100.0)));
    }
}
