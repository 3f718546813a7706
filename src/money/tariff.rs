//! Tariffs: a price per minute by destination prefix, billed in whole
//! increments, plus a connection fee.

use crate::engine::SimTime;

use super::Minor;

/// The price of calls to one destination prefix.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Minor units per minute (may be fractional: 1.5 kopecks a minute).
    pub per_min: f64,
    /// Billing increment: talk is rounded up to whole increments (60 s is
    /// per-minute billing, 1 s per-second billing).
    pub increment_s: u32,
    pub connection: Minor,
}

impl Rate {
    pub const FREE: Rate = Rate {
        per_min: 0.0,
        increment_s: 1,
        connection: 0,
    };

    pub fn is_free(&self) -> bool {
        self.per_min == 0.0 && self.connection == 0
    }

    /// Seconds billed for `talk`: whole increments, the first one starting at
    /// connection, so a 61 s call on per-minute billing pays 120 s.
    pub fn billed_s(&self, talk: SimTime) -> u64 {
        let inc = u64::from(self.increment_s.max(1)) * SimTime::MICROS_PER_S;
        talk.micros().div_ceil(inc) * u64::from(self.increment_s.max(1))
    }

    /// The charge of one answered call, rounded once to the minor unit.
    pub fn charge(&self, talk: SimTime) -> Minor {
        let billed = self.billed_s(talk) as f64;
        self.connection + (billed * self.per_min / 60.0).round() as Minor
    }

    /// The price of one billing increment (without the connection fee),
    /// rounded up: the most a call cut at its credit's end can overshoot by.
    pub fn increment_price(&self) -> Minor {
        (self.per_min.max(0.0) * f64::from(self.increment_s.max(1)) / 60.0).ceil() as Minor
    }

    /// The longest talk `balance` pays for, for a call cut when its credit
    /// ends: the last whole increment that stays within the balance.
    pub fn affordable(&self, balance: Minor) -> Option<SimTime> {
        if self.per_min <= 0.0 {
            return None;
        }
        let left = (balance - self.connection).max(0) as f64;
        let inc = f64::from(self.increment_s.max(1));
        let per_inc = self.per_min * inc / 60.0;
        let increments = (left / per_inc).floor();
        Some(SimTime::from_secs_f64(increments * inc))
    }
}

/// Prices by destination prefix; the longest matching prefix wins, as in
/// every telephony rating engine.
#[derive(Debug, Clone, Default)]
pub struct TariffTable {
    entries: Vec<(String, Rate)>,
}

impl TariffTable {
    pub fn new(mut entries: Vec<(String, Rate)>) -> Self {
        // Longest first, so the first match is the longest.
        entries.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
        TariffTable { entries }
    }

    /// The rate for international digits, with the prefix that matched.
    pub fn rate(&self, digits: &str) -> Option<(&str, Rate)> {
        self.entries
            .iter()
            .find(|(p, _)| digits.starts_with(p.as_str()))
            .map(|(p, r)| (p.as_str(), *r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: f64) -> SimTime {
        SimTime::from_secs_f64(x)
    }

    #[test]
    fn billing_rounds_talk_up_to_whole_increments() {
        let per_minute = Rate {
            per_min: 150.0,
            increment_s: 60,
            connection: 0,
        };
        assert_eq!(per_minute.charge(s(0.0)), 0);
        assert_eq!(per_minute.charge(s(1.0)), 150);
        assert_eq!(per_minute.charge(s(60.0)), 150);
        assert_eq!(per_minute.charge(s(60.000001)), 300);
        let per_second = Rate {
            per_min: 150.0,
            increment_s: 1,
            connection: 20,
        };
        assert_eq!(per_second.charge(s(61.0)), 20 + 153); // 152.5 rounds half away
        assert_eq!(per_second.charge(s(30.5)), 20 + 78); // 31 s billed
    }

    #[test]
    fn affordable_talk_never_costs_more_than_the_balance() {
        let r = Rate {
            per_min: 300.0,
            increment_s: 60,
            connection: 50,
        };
        for balance in [0, 49, 50, 349, 350, 351, 10_000] {
            let t = r.affordable(balance).unwrap();
            assert!(r.charge(t) <= balance.max(r.connection), "{balance}");
            assert!(
                r.charge(t + s(60.0)) > balance.max(r.connection),
                "{balance}"
            );
        }
        assert_eq!(Rate::FREE.affordable(0), None);
    }

    #[test]
    fn longest_prefix_wins() {
        let r = |m| Rate {
            per_min: m,
            increment_s: 60,
            connection: 0,
        };
        let t = TariffTable::new(vec![
            ("7".into(), r(1.0)),
            ("7495".into(), r(2.0)),
            ("79".into(), r(3.0)),
            ("".into(), r(9.0)),
        ]);
        assert_eq!(t.rate("74954451120").unwrap().0, "7495");
        assert_eq!(t.rate("79161234567").unwrap().1.per_min, 3.0);
        assert_eq!(t.rate("78121234567").unwrap().0, "7");
        assert_eq!(t.rate("442079460000").unwrap().0, "");
        assert!(TariffTable::new(vec![("7".into(), r(1.0))])
            .rate("44")
            .is_none());
    }
}
