//! Arrivals as a non-homogeneous Poisson process, piecewise constant per
//! weekday and interval of the day: counts per (day, interval), rates with
//! exact Poisson (Garwood) intervals, and the index of dispersion over days
//! with its χ² test of "Poisson with this rate".

use statrs::distribution::{ChiSquared, ContinuousCDF};

/// Exact (Garwood) 95% interval for a Poisson mean from a count `n`:
/// [χ²(0.025, 2n)/2, χ²(0.975, 2n+2)/2]; the lower end is 0 for n = 0.
pub fn garwood(n: u64) -> (f64, f64) {
    let lo = if n == 0 {
        0.0
    } else {
        ChiSquared::new(2.0 * n as f64).unwrap().inverse_cdf(0.025) / 2.0
    };
    let hi = ChiSquared::new(2.0 * n as f64 + 2.0)
        .unwrap()
        .inverse_cdf(0.975)
        / 2.0;
    (lo, hi)
}

/// The dispersion test over days: for each cell (weekday × interval) with
/// counts c₁…c_m on m ≥ 2 days and mean c̄ > 0, Σ(cᵢ − c̄)²/c̄ is χ²(m−1)
/// under Poisson; the cells' sums and degrees of freedom add.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dispersion {
    pub statistic: f64,
    pub df: f64,
    /// statistic / df: about 1 for Poisson, above 1 for over-dispersion.
    pub index: f64,
    /// Upper-tail χ² p-value (small: counts vary more than Poisson).
    pub p_value: f64,
}

pub fn dispersion(cells: &[Vec<u64>]) -> Option<Dispersion> {
    let (mut stat, mut df) = (0.0, 0.0);
    for c in cells {
        if c.len() < 2 {
            continue;
        }
        let m = c.iter().sum::<u64>() as f64 / c.len() as f64;
        if m <= 0.0 {
            continue;
        }
        stat += c.iter().map(|&x| (x as f64 - m).powi(2)).sum::<f64>() / m;
        df += (c.len() - 1) as f64;
    }
    if df < 1.0 {
        return None;
    }
    let p = 1.0 - ChiSquared::new(df).unwrap().cdf(stat);
    Some(Dispersion {
        statistic: stat,
        df,
        index: stat / df,
        p_value: p,
    })
}

/// Counts per day and interval of the day, for days `first_day..`.
#[derive(Debug, Clone, Default)]
pub struct ArrivalCounts {
    pub interval_s: f64,
    pub bins: usize,
    pub first_day: Option<i64>,
    /// `days[d][b]`: arrivals on day `first_day + d` in interval `b`.
    pub days: Vec<Vec<u64>>,
}

/// Weekday of a day number since the epoch, 0 = Monday (1970-01-01 was a
/// Thursday).
pub fn weekday(day: i64) -> usize {
    (day + 3).rem_euclid(7) as usize
}

pub const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// A rate per hour with its interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub count: u64,
    pub per_hour: f64,
    pub lo: f64,
    pub hi: f64,
}

impl ArrivalCounts {
    pub fn new(interval_s: f64) -> ArrivalCounts {
        ArrivalCounts {
            interval_s,
            bins: (86400.0 / interval_s).ceil() as usize,
            first_day: None,
            days: Vec::new(),
        }
    }

    /// Counts an arrival at `t` seconds since the epoch (local time: the
    /// caller adds the zone offset).
    pub fn add(&mut self, t: f64) {
        let day = (t / 86400.0).floor() as i64;
        let bin = (((t - day as f64 * 86400.0) / self.interval_s) as usize).min(self.bins - 1);
        let first = *self.first_day.get_or_insert(day);
        if day < first {
            // An arrival before the first day seen (a late record): shift.
            let extra = (first - day) as usize;
            let mut v = vec![vec![0; self.bins]; extra];
            v.append(&mut self.days);
            self.days = v;
            self.first_day = Some(day);
        }
        let d = (day - self.first_day.unwrap()) as usize;
        while self.days.len() <= d {
            self.days.push(vec![0; self.bins]);
        }
        self.days[d][bin] += 1;
    }

    pub fn n_days(&self) -> usize {
        self.days.len()
    }

    fn rate(&self, count: u64, days: usize) -> Rate {
        let h = days as f64 * self.interval_s / 3600.0;
        let (lo, hi) = garwood(count);
        Rate {
            count,
            per_hour: count as f64 / h,
            lo: lo / h,
            hi: hi / h,
        }
    }

    /// The daily profile over every observed day (what a scenario's
    /// `Profile` repeats).
    pub fn daily(&self) -> Vec<Rate> {
        (0..self.bins)
            .map(|b| self.rate(self.days.iter().map(|d| d[b]).sum(), self.n_days().max(1)))
            .collect()
    }

    /// Per weekday (0 = Monday): the days observed and the profile; None
    /// for a weekday not in the log.
    pub fn by_weekday(&self) -> Vec<Option<(usize, Vec<Rate>)>> {
        let first = self.first_day.unwrap_or(0);
        (0..7)
            .map(|w| {
                let days: Vec<&Vec<u64>> = self
                    .days
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| weekday(first + *i as i64) == w)
                    .map(|(_, d)| d)
                    .collect();
                if days.is_empty() {
                    return None;
                }
                let rates = (0..self.bins)
                    .map(|b| self.rate(days.iter().map(|d| d[b]).sum(), days.len()))
                    .collect();
                Some((days.len(), rates))
            })
            .collect()
    }

    /// Dispersion over days within each weekday × interval cell.
    pub fn dispersion_by_weekday(&self) -> Option<Dispersion> {
        let first = self.first_day.unwrap_or(0);
        let mut cells = Vec::new();
        for w in 0..7 {
            for b in 0..self.bins {
                let c: Vec<u64> = self
                    .days
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| weekday(first + *i as i64) == w)
                    .map(|(_, d)| d[b])
                    .collect();
                cells.push(c);
            }
        }
        dispersion(&cells)
    }

    /// Dispersion over all days within each interval (tests the single
    /// daily profile: weekday differences show up here).
    pub fn dispersion_daily(&self) -> Option<Dispersion> {
        let cells: Vec<Vec<u64>> = (0..self.bins)
            .map(|b| self.days.iter().map(|d| d[b]).collect())
            .collect();
        dispersion(&cells)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garwood_known_values() {
        // Tables: n = 0 → [0, 3.689]; n = 10 → [4.795, 18.390].
        let (lo, hi) = garwood(0);
        assert_eq!(lo, 0.0);
        assert!((hi - 3.6889).abs() < 1e-3, "{hi}");
        let (lo, hi) = garwood(10);
        assert!((lo - 4.7954).abs() < 1e-3, "{lo}");
        assert!((hi - 18.3904).abs() < 1e-3, "{hi}");
    }

    #[test]
    fn dispersion_of_constant_and_wild_counts() {
        // Equal counts: statistic 0, p = 1.
        let d = dispersion(&[vec![5, 5, 5, 5]]).unwrap();
        assert_eq!(d.statistic, 0.0);
        assert!((d.p_value - 1.0).abs() < 1e-12);
        // 0, 20, 0, 20: mean 10, Σ(c−m)²/m = 40 on 3 df: p ≈ 1e-8.
        let d = dispersion(&[vec![0, 20, 0, 20]]).unwrap();
        assert!((d.statistic - 40.0).abs() < 1e-12);
        assert!(d.p_value < 1e-7);
        assert!(dispersion(&[vec![3]]).is_none());
    }

    #[test]
    fn weekdays_and_counts() {
        assert_eq!(weekday(0), 3); // 1970-01-01, Thursday
        assert_eq!(weekday(20458), 0); // 2026-01-05, Monday
        let mut c = ArrivalCounts::new(3600.0);
        c.add(20458.0 * 86400.0 + 10.0);
        c.add(20459.0 * 86400.0 + 3600.0 * 5.5);
        c.add(20457.0 * 86400.0); // a day earlier, late
        assert_eq!(c.n_days(), 3);
        assert_eq!(c.first_day, Some(20457));
        assert_eq!(c.days[1][0], 1);
        assert_eq!(c.days[2][5], 1);
        let daily = c.daily();
        assert!((daily[0].per_hour - 2.0 / 3.0).abs() < 1e-12);
        assert!(c.by_weekday()[0].is_some() && c.by_weekday()[3].is_none());
    }
}
