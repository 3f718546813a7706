//! A portal's balance and what happened to it.

use crate::engine::SimTime;

use super::{Calendar, Minor};

/// Spending per local day over a trailing window: what the adaptive alert
/// rule and the `Cover` top-up amount look at. A ring of day buckets, so it
/// costs the same on day 3 and day 300.
#[derive(Debug, Clone)]
pub struct DailySpend {
    /// `(day, spent)`, slot `day mod len`.
    buckets: Vec<(i64, Minor)>,
    first_day: Option<i64>,
}

impl DailySpend {
    pub fn new(window_days: u32) -> Self {
        DailySpend {
            buckets: vec![(i64::MIN, 0); window_days.max(1) as usize + 1],
            first_day: None,
        }
    }

    pub fn add(&mut self, day: i64, amount: Minor) {
        self.first_day.get_or_insert(day);
        let n = self.buckets.len() as i64;
        let slot = &mut self.buckets[day.rem_euclid(n) as usize];
        if slot.0 != day {
            *slot = (day, 0);
        }
        slot.1 += amount;
    }

    fn spent_on(&self, day: i64) -> Minor {
        let n = self.buckets.len() as i64;
        let (d, v) = self.buckets[day.rem_euclid(n) as usize];
        if d == day {
            v
        } else {
            0
        }
    }

    /// Mean spending per working day over the last `window` complete days
    /// before `today` (working days by `cal`). Before a whole day has passed,
    /// today's spending so far stands in for one day.
    pub fn per_working_day(&self, today: i64, window: u32, cal: &Calendar) -> f64 {
        let Some(first) = self.first_day else {
            return 0.0;
        };
        let from = (today - i64::from(window)).max(first);
        if from >= today {
            return self.spent_on(today) as f64;
        }
        let (mut spent, mut working) = (0, 0);
        for day in from..today {
            spent += self.spent_on(day);
            working += cal.is_working_day(day) as i64;
        }
        spent as f64 / working.max(1) as f64
    }
}

#[derive(Debug, Clone)]
pub struct Wallet {
    pub balance: Minor,
    pub start: Minor,
    /// Sum of every charge (calls, connection fees, number rent).
    pub charged: Minor,
    pub charges: u64,
    pub topped_up: Minor,
    pub topups: u32,
    /// Times the balance fell to zero or below.
    pub exhaustions: u32,
    /// Total time at or below zero (closed spells; see `zero_time_until`).
    zero_time: SimTime,
    zero_since: Option<SimTime>,
    pub spend: DailySpend,
    /// Credit held for running calls of a prepaid portal (`cut_on_zero`):
    /// each call reserves what its affordable talk costs when it connects and
    /// settles at hang-up, so concurrent calls cannot spend the same money.
    pub reserved: Minor,
    /// Charges of calls that held a reservation, settled so far.
    pub settled: Minor,
    /// The lowest `start + topped_up - settled` seen at a settlement: how far
    /// reserved calls alone took the books below zero (`Minor::MAX` until the
    /// first settlement). The overdraft invariant reads it.
    pub lowest_cover: Minor,
}

impl Wallet {
    pub fn new(balance: Minor, window_days: u32) -> Self {
        Wallet {
            balance,
            start: balance,
            charged: 0,
            charges: 0,
            topped_up: 0,
            topups: 0,
            exhaustions: 0,
            zero_time: SimTime::ZERO,
            zero_since: (balance <= 0).then_some(SimTime::ZERO),
            spend: DailySpend::new(window_days),
            reserved: 0,
            settled: 0,
            lowest_cover: Minor::MAX,
        }
    }

    /// The balance not held for running calls.
    pub fn available(&self) -> Minor {
        self.balance - self.reserved
    }

    /// Holds `amount` for a call that is connecting.
    pub fn reserve(&mut self, amount: Minor) {
        self.reserved += amount;
    }

    /// Releases a call's reservation `held`; `charged` is what the call was
    /// actually charged (already taken by [`Wallet::charge`]).
    pub fn settle(&mut self, held: Minor, charged: Minor) {
        self.reserved -= held;
        self.settled += charged;
        self.lowest_cover = self
            .lowest_cover
            .min(self.start + self.topped_up - self.settled);
    }

    pub fn is_empty(&self) -> bool {
        self.balance <= 0
    }

    /// Takes `amount`; true when this charge emptied the balance.
    pub fn charge(&mut self, now: SimTime, day: i64, amount: Minor) -> bool {
        if amount == 0 {
            return false;
        }
        self.balance -= amount;
        self.charged += amount;
        self.charges += 1;
        self.spend.add(day, amount);
        if self.balance <= 0 && self.zero_since.is_none() {
            self.zero_since = Some(now);
            self.exhaustions += 1;
            return true;
        }
        false
    }

    /// Adds `amount`; true when this lifted the balance out of zero.
    pub fn top_up(&mut self, now: SimTime, amount: Minor) -> bool {
        self.balance += amount;
        self.topped_up += amount;
        self.topups += 1;
        if self.balance > 0 {
            if let Some(z) = self.zero_since.take() {
                self.zero_time = self.zero_time + (now - z);
                return true;
            }
        }
        false
    }

    /// Time spent at or below zero up to `now`, the spell still running
    /// included.
    pub fn zero_time_until(&self, now: SimTime) -> SimTime {
        self.zero_time
            + self
                .zero_since
                .map_or(SimTime::ZERO, |z| now.saturating_sub(z))
    }

    /// The books: every change of balance is a charge or a top-up.
    pub fn conserved(&self) -> bool {
        self.balance == self.start - self.charged + self.topped_up
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Weekday;

    fn s(x: f64) -> SimTime {
        SimTime::from_secs_f64(x)
    }

    #[test]
    fn balance_moves_only_by_charges_and_top_ups() {
        let mut w = Wallet::new(1000, 7);
        assert!(!w.charge(s(1.0), 0, 400));
        assert!(w.charge(s(2.0), 0, 700)); // emptied
        assert!(!w.charge(s(3.0), 0, 10)); // already empty
        assert_eq!(w.balance, -110);
        assert!(!w.top_up(s(10.0), 50)); // still below zero
        assert!(w.top_up(s(12.0), 500));
        assert_eq!(w.zero_time_until(s(100.0)), s(10.0));
        assert!(w.conserved());
        assert_eq!((w.charged, w.topped_up, w.exhaustions), (1110, 550, 1));
        let empty = Wallet::new(0, 7);
        assert_eq!(empty.zero_time_until(s(5.0)), s(5.0));
    }

    #[test]
    fn reservations_hold_credit_until_settled() {
        let mut w = Wallet::new(1000, 7);
        w.reserve(600);
        assert_eq!(w.available(), 400);
        w.reserve(400);
        assert_eq!(w.available(), 0);
        w.charge(s(5.0), 0, 450);
        w.settle(600, 450);
        assert_eq!((w.balance, w.reserved, w.available()), (550, 400, 150));
        w.charge(s(6.0), 0, 400);
        w.settle(400, 400);
        assert_eq!((w.balance, w.reserved, w.lowest_cover), (150, 0, 150));
        assert!(w.conserved());
    }

    #[test]
    fn daily_spend_averages_complete_working_days_of_the_window() {
        let cal = Calendar::new(
            &[
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
            ],
            9.0,
            18.0,
            &[],
            0.0,
            Weekday::Mon,
        );
        let mut d = DailySpend::new(7);
        assert_eq!(d.per_working_day(0, 7, &cal), 0.0);
        d.add(0, 300);
        assert_eq!(d.per_working_day(0, 7, &cal), 300.0); // day 0 so far
        for day in 1..5 {
            d.add(day, 100);
        }
        // Days 0–4 (Mon–Fri) complete on day 7 (Mon): 700 over 5 working days.
        assert_eq!(d.per_working_day(7, 7, &cal), 140.0);
        d.add(7, 1000);
        // On day 12 the window is days 5–11: only day 7's 1000 over 5 working days.
        assert_eq!(d.per_working_day(12, 7, &cal), 200.0);
        // Old buckets are overwritten, not summed in.
        d.add(15, 70);
        assert_eq!(d.per_working_day(16, 1, &cal), 70.0);
    }
}
