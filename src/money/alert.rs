//! Balance alerts: the classic fixed threshold against the adaptive rule
//! whose threshold follows the portal's own trailing spending (DESIGN §1).

use crate::engine::SimTime;

use super::{Calendar, DailySpend, Minor};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AlertRule {
    /// One threshold, whatever the portal spends.
    Fixed { threshold: Minor },
    /// Warn `days_of_cover` working days before the money would run out at
    /// the mean spending per working day of the last `window_days` days.
    Adaptive {
        days_of_cover: f64,
        window_days: u32,
    },
}

impl AlertRule {
    pub fn name(&self) -> &'static str {
        match self {
            AlertRule::Fixed { .. } => "fixed",
            AlertRule::Adaptive { .. } => "adaptive",
        }
    }

    pub fn threshold(&self, spend: &DailySpend, today: i64, cal: &Calendar) -> Minor {
        match *self {
            AlertRule::Fixed { threshold } => threshold,
            AlertRule::Adaptive {
                days_of_cover,
                window_days,
            } => (days_of_cover * spend.per_working_day(today, window_days, cal)).ceil() as Minor,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertKind {
    /// The balance fell below the threshold: a new episode.
    Alert,
    /// Still below the threshold a repeat period later.
    Reminder,
    TopUp,
    /// The balance reached zero.
    Exhausted,
}

impl AlertKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::Alert => "alert",
            AlertKind::Reminder => "reminder",
            AlertKind::TopUp => "top_up",
            AlertKind::Exhausted => "exhausted",
        }
    }
}

/// One row of `alerts.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertEvent {
    pub time: SimTime,
    pub portal: u16,
    pub kind: AlertKind,
    pub balance: Minor,
    pub threshold: Option<Minor>,
    /// For alerts: time until the money that was left at the alert had been
    /// spent (the warning's lead time), `None` if the run ended first.
    pub lead: Option<SimTime>,
    /// For top-ups: the amount.
    pub amount: Option<Minor>,
}

/// The alert side of one portal.
#[derive(Debug, Clone)]
pub struct AlertState {
    pub rule: AlertRule,
    /// An episode is open: the balance went below the threshold and has not
    /// been lifted above it since.
    pub below: bool,
    pub sent: u32,
    pub reminders: u32,
    /// Alerts whose lead time is still running: `(row in the alert log,
    /// alert time, money left at the alert minus what was spent since)`.
    /// Measured on spending, not on the balance, so a top-up after the
    /// alert does not hide how early the warning came.
    open: Vec<(usize, SimTime, Minor)>,
    pub lead_sum_s: f64,
    pub leads: u32,
}

impl AlertState {
    pub fn new(rule: AlertRule) -> Self {
        AlertState {
            rule,
            below: false,
            sent: 0,
            reminders: 0,
            open: Vec::new(),
            lead_sum_s: 0.0,
            leads: 0,
        }
    }

    /// After a balance change: opens an episode (an alert, to be logged at
    /// row `row`) when the balance is below the threshold, closes it when the
    /// balance is back at or above it.
    pub fn check(&mut self, now: SimTime, balance: Minor, threshold: Minor, row: usize) -> bool {
        if !self.below && balance < threshold {
            self.below = true;
            self.sent += 1;
            self.open.push((row, now, balance));
            if balance <= 0 {
                self.settle(now, 0, &mut |_, _| {});
            }
            return true;
        }
        if self.below && balance >= threshold {
            self.below = false;
        }
        false
    }

    /// Spending `amount` at `now`: alerts whose money is now spent get their
    /// lead time, handed to `done(row, lead)`.
    pub fn settle(&mut self, now: SimTime, amount: Minor, done: &mut impl FnMut(usize, SimTime)) {
        let mut i = 0;
        while i < self.open.len() {
            self.open[i].2 -= amount;
            if self.open[i].2 <= 0 {
                let (row, at, _) = self.open.swap_remove(i);
                let lead = now - at;
                self.lead_sum_s += lead.as_secs_f64();
                self.leads += 1;
                done(row, lead);
            } else {
                i += 1;
            }
        }
    }

    /// Alerts whose money was not spent by the end of the run.
    pub fn censored(&self) -> usize {
        self.open.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Weekday;

    #[test]
    fn an_episode_alerts_once_until_the_balance_is_lifted() {
        let mut a = AlertState::new(AlertRule::Fixed { threshold: 1000 });
        let t = SimTime::from_secs_f64;
        assert!(!a.check(t(0.0), 5000, 1000, 0));
        assert!(a.check(t(1.0), 900, 1000, 0));
        assert!(!a.check(t(2.0), 500, 1000, 1)); // same episode
        assert!(!a.check(t(3.0), 1500, 1000, 1)); // lifted: episode closes
        assert!(a.check(t(4.0), 999, 1000, 2));
        assert_eq!(a.sent, 2);
    }

    #[test]
    fn lead_time_is_when_the_money_left_at_the_alert_is_spent() {
        let mut a = AlertState::new(AlertRule::Fixed { threshold: 1000 });
        let t = SimTime::from_secs_f64;
        a.check(t(10.0), 600, 1000, 7);
        let mut got = vec![];
        a.settle(t(20.0), 500, &mut |r, l| got.push((r, l)));
        assert!(got.is_empty());
        a.settle(t(70.0), 100, &mut |r, l| got.push((r, l)));
        assert_eq!(got, vec![(7, t(60.0))]);
        assert_eq!((a.leads, a.censored()), (1, 0));
    }

    #[test]
    fn adaptive_threshold_scales_with_spending() {
        let cal = Calendar::always(Weekday::Mon, 0.0);
        let rule = AlertRule::Adaptive {
            days_of_cover: 3.0,
            window_days: 7,
        };
        let mut small = DailySpend::new(7);
        let mut big = DailySpend::new(7);
        for day in 0..7 {
            small.add(day, 100);
            big.add(day, 100_000);
        }
        assert_eq!(rule.threshold(&small, 7, &cal), 300);
        assert_eq!(rule.threshold(&big, 7, &cal), 300_000);
    }
}
