use rand::Rng;
use rand_distr::{Distribution, Exp1};

use crate::model::spec::ArrivalSpec;

const DAY_S: f64 = 86_400.0;

/// Generates arrival instants of a (possibly non-homogeneous) Poisson process.
///
/// For the piecewise-constant profile it draws an exponential gap at the
/// current segment's rate; if the gap crosses the segment's end it restarts
/// from that boundary with the next rate. By memorylessness this is exact
/// (no thinning, no rejected draws), and zero-rate segments cost nothing.
#[derive(Debug, Clone)]
pub struct ArrivalProcess {
    spec: ArrivalSpec,
    /// Exact (unrounded) time of the last arrival, seconds.
    t_s: f64,
}

impl ArrivalProcess {
    pub fn new(spec: ArrivalSpec) -> Self {
        ArrivalProcess { spec, t_s: 0.0 }
    }

    /// Time of the next arrival in seconds, or `None` if the process has no
    /// traffic at all.
    pub fn next<R: Rng + ?Sized>(&mut self, rng: &mut R) -> Option<f64> {
        match &self.spec {
            ArrivalSpec::Poisson { per_s } => {
                if *per_s <= 0.0 {
                    return None;
                }
                let e: f64 = Exp1.sample(rng);
                self.t_s += e / per_s;
            }
            ArrivalSpec::Profile { starts_s, per_s } => {
                if per_s.iter().all(|r| *r <= 0.0) {
                    return None;
                }
                let mut t = self.t_s;
                loop {
                    let day = (t / DAY_S).floor();
                    let sod = t - day * DAY_S;
                    let seg = starts_s.partition_point(|s| *s <= sod).saturating_sub(1);
                    let seg_end = day * DAY_S + starts_s.get(seg + 1).copied().unwrap_or(DAY_S);
                    let rate = per_s[seg];
                    if rate > 0.0 {
                        let e: f64 = Exp1.sample(rng);
                        let cand = t + e / rate;
                        if cand < seg_end {
                            t = cand;
                            break;
                        }
                    }
                    // Guard against a boundary that float rounding fails to pass.
                    t = if seg_end > t { seg_end } else { t + 1e-6 };
                }
                self.t_s = t;
            }
        }
        Some(self.t_s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::stream;

    #[test]
    fn poisson_rate_matches() {
        let mut p = ArrivalProcess::new(ArrivalSpec::Poisson { per_s: 2.0 });
        let mut rng = stream(3, 0, 0, 0);
        let mut n = 0u32;
        while p.next(&mut rng).unwrap() < 50_000.0 {
            n += 1;
        }
        // Poisson count: sd = √(λT) = 316; allow 4 sd.
        assert!((n as f64 - 100_000.0).abs() < 4.0 * 316.3, "{n}");
    }

    #[test]
    fn profile_counts_follow_each_segment() {
        // 0-8h: 0/s, 8-20h: 1/s, 20-24h: 0.25/s
        let spec = ArrivalSpec::Profile {
            starts_s: vec![0.0, 8.0 * 3600.0, 20.0 * 3600.0],
            per_s: vec![0.0, 1.0, 0.25],
        };
        let mut p = ArrivalProcess::new(spec);
        let mut rng = stream(4, 0, 0, 0);
        let mut counts = [0u32; 3];
        let days = 5.0;
        while let Some(t) = p.next(&mut rng) {
            if t >= days * DAY_S {
                break;
            }
            let h = (t % DAY_S) / 3600.0;
            counts[if h < 8.0 {
                0
            } else if h < 20.0 {
                1
            } else {
                2
            }] += 1;
        }
        assert_eq!(counts[0], 0);
        let expect1 = days * 12.0 * 3600.0;
        let expect2 = days * 4.0 * 3600.0 * 0.25;
        assert!(
            (counts[1] as f64 - expect1).abs() < 4.0 * expect1.sqrt(),
            "{counts:?}"
        );
        assert!(
            (counts[2] as f64 - expect2).abs() < 4.0 * expect2.sqrt(),
            "{counts:?}"
        );
    }

    #[test]
    fn silent_processes_end() {
        let mut rng = stream(1, 0, 0, 0);
        assert_eq!(
            ArrivalProcess::new(ArrivalSpec::Poisson { per_s: 0.0 }).next(&mut rng),
            None
        );
        let spec = ArrivalSpec::Profile {
            starts_s: vec![0.0],
            per_s: vec![0.0],
        };
        assert_eq!(ArrivalProcess::new(spec).next(&mut rng), None);
    }
}
