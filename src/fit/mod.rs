//! `telsim fit`: call logs (see [`crate::logs`]) → the statistics a
//! scenario needs, per queue: arrival profile ([`arrivals`]), talk time
//! ([`talk`]), patience ([`patience`]), agents ([`staffing`]), ring-no-answer
//! and transfer shares; [`scenario_writer`] writes them as a commented
//! scenario. One pass over the log; memory is bounded by the number of
//! queues, the days × intervals of the arrival table and the fixed-size
//! samples of durations (reservoirs of [`SAMPLE`] values per queue).

pub mod arrivals;
pub mod dist;
pub mod patience;
pub mod scenario_writer;
pub mod staffing;
pub mod talk;

use std::collections::BTreeMap;

use rand::{Rng, SeedableRng};

use crate::logs::{LogItem, LogStats, LoggedOutcome};
use arrivals::ArrivalCounts;
use patience::PatienceFit;
use staffing::Staffing;
use talk::TalkFit;

/// Durations kept per queue for the family fits (a uniform reservoir sample
/// beyond it: the estimates' sampling error at 200 000 values is far below
/// any day-to-day variation in a centre).
pub const SAMPLE: usize = 200_000;

/// Options of a fit.
#[derive(Debug, Clone, PartialEq)]
pub struct FitOptions {
    /// Width of an interval of the day, seconds (must divide a day).
    pub interval_s: f64,
    /// The centre's clock, seconds east of UTC: days and intervals are
    /// local.
    pub utc_offset_s: f64,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            interval_s: 3600.0,
            utc_offset_s: 0.0,
        }
    }
}

/// A uniform sample of at most [`SAMPLE`] items (Algorithm R, fixed seed:
/// the same log gives the same fit).
#[derive(Debug, Clone)]
pub struct Reservoir<T> {
    pub items: Vec<T>,
    pub seen: u64,
    rng: rand_xoshiro::Xoshiro256PlusPlus,
}

impl<T> Default for Reservoir<T> {
    fn default() -> Self {
        Reservoir {
            items: Vec::new(),
            seen: 0,
            rng: rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(0x7e15),
        }
    }
}

impl<T> Reservoir<T> {
    pub fn push(&mut self, x: T) {
        self.seen += 1;
        if self.items.len() < SAMPLE {
            self.items.push(x);
        } else {
            let j = self.rng.gen_range(0..self.seen);
            if (j as usize) < SAMPLE {
                self.items[j as usize] = x;
            }
        }
    }
}

/// Wilson 95% interval for a share `k` of `n`.
pub fn wilson(k: u64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let (k, n) = (k as f64, n as f64);
    let z = 1.959963984540054;
    let p = k / n;
    let den = 1.0 + z * z / n;
    let c = (p + z * z / (2.0 * n)) / den;
    let h = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / den;
    ((c - h).max(0.0), (c + h).min(1.0))
}

#[derive(Debug, Clone)]
struct QueueAcc {
    arrivals: ArrivalCounts,
    outcomes: BTreeMap<LoggedOutcome, u64>,
    talk: Reservoir<f64>,
    waits: Reservoir<(f64, bool)>,
    rings: u64,
    ring_no_answer: u64,
    transferred: u64,
    agents: std::collections::BTreeSet<String>,
}

/// One queue's fit.
#[derive(Debug, Clone)]
pub struct QueueFit {
    pub name: String,
    pub calls: u64,
    pub outcomes: BTreeMap<LoggedOutcome, u64>,
    pub arrivals: ArrivalCounts,
    pub talk: Option<TalkFit>,
    pub patience: Option<PatienceFit>,
    /// Mean agents available (None without agent events) and busy per
    /// interval of the day.
    pub available: Option<Vec<f64>>,
    pub busy: Vec<f64>,
    /// The most agents available at any instant (None without agent
    /// events).
    pub peak_available: Option<u64>,
    /// Distinct agents who answered calls of the queue.
    pub agents_seen: usize,
    /// Rings not answered over rings (each answer is one answered ring),
    /// with its Wilson interval; None when the log has no ring events.
    pub ring_no_answer: Option<(u64, u64, (f64, f64))>,
    /// Transferred over answered calls, with its Wilson interval.
    pub transfer: (u64, u64, (f64, f64)),
}

/// What [`Fitter::finish`] returns.
#[derive(Debug, Clone)]
pub struct FitReport {
    pub queues: Vec<QueueFit>,
    pub first_s: f64,
    pub last_s: f64,
    pub days: usize,
    pub options: FitOptions,
    pub log_stats: Vec<(String, LogStats)>,
}

/// The one-pass accumulator: feed it every item of every log, then
/// [`Fitter::finish`].
#[derive(Debug, Clone)]
pub struct Fitter {
    options: FitOptions,
    queues: BTreeMap<String, QueueAcc>,
    staffing: Staffing,
    first_s: f64,
    last_s: f64,
    last_end_s: f64,
    has_rings: bool,
}

/// The wait an abandon logged at 0 s is taken to have had: half of a
/// whole-second log's resolution.
pub const ZERO_WAIT_S: f64 = 0.5;

/// The queue name of calls whose log names none.
pub const DEFAULT_QUEUE: &str = "default";

impl Fitter {
    pub fn new(options: FitOptions) -> Fitter {
        Fitter {
            staffing: Staffing::new(options.interval_s),
            options,
            queues: BTreeMap::new(),
            first_s: f64::INFINITY,
            last_s: f64::NEG_INFINITY,
            last_end_s: f64::NEG_INFINITY,
            has_rings: false,
        }
    }

    /// Marks that the log reports unanswered rings (queue_log
    /// RINGNOANSWER); other formats cannot.
    pub fn log_has_rings(&mut self, yes: bool) {
        self.has_rings |= yes;
    }

    pub fn add(&mut self, item: &LogItem) {
        let off = self.options.utc_offset_s;
        match item {
            LogItem::Agent(a) => {
                // Days are counted from arrivals: a logoff at the end of the
                // day must not add an empty day.
                let t = a.time_s + off;
                self.last_end_s = self.last_end_s.max(t);
                self.staffing
                    .agent_event(t, &a.agent, a.queue.as_deref(), a.kind);
            }
            LogItem::Call(c) => {
                let t = c.arrival_s + off;
                self.seen(t);
                if let Some(e) = c.end_s {
                    self.last_end_s = self.last_end_s.max(e + off);
                }
                let qname = c.queue.clone().unwrap_or_else(|| DEFAULT_QUEUE.to_string());
                let interval_s = self.options.interval_s;
                let q = self
                    .queues
                    .entry(qname.clone())
                    .or_insert_with(|| QueueAcc {
                        arrivals: ArrivalCounts::new(interval_s),
                        outcomes: BTreeMap::new(),
                        talk: Reservoir::default(),
                        waits: Reservoir::default(),
                        rings: 0,
                        ring_no_answer: 0,
                        transferred: 0,
                        agents: Default::default(),
                    });
                q.arrivals.add(t);
                *q.outcomes.entry(c.outcome).or_insert(0) += 1;
                q.ring_no_answer += c.ring_no_answer as u64;
                q.rings += c.ring_no_answer as u64;
                match c.outcome {
                    LoggedOutcome::Answered => {
                        q.rings += 1;
                        if let Some(a) = &c.agent {
                            if !q.agents.contains(a) {
                                q.agents.insert(a.clone());
                            }
                        }
                        if c.transferred {
                            q.transferred += 1;
                        }
                        if let Some(w) = c.wait_s() {
                            if w > 0.0 {
                                q.waits.push((w, false));
                            }
                        }
                        if let Some(talk) = c.talk_s() {
                            if talk > 0.0 {
                                q.talk.push(talk);
                            }
                            let a = c.answer_s.unwrap() + off;
                            self.staffing.call(&qname, c.agent.as_deref(), a, a + talk);
                        }
                    }
                    LoggedOutcome::Abandoned => {
                        if let Some(w) = c.wait_s() {
                            // A zero wait in a whole-second log (queue_log,
                            // CDR) gave up within the first second.
                            q.waits.push((if w > 0.0 { w } else { ZERO_WAIT_S }, true));
                        }
                    }
                    // The queue gave up first: patience was longer.
                    LoggedOutcome::TimedOut | LoggedOutcome::ExitKey | LoggedOutcome::ExitEmpty => {
                        if let Some(w) = c.wait_s() {
                            if w > 0.0 {
                                q.waits.push((w, false));
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    fn seen(&mut self, t: f64) {
        self.first_s = self.first_s.min(t);
        self.last_s = self.last_s.max(t);
    }

    pub fn finish(mut self, log_stats: Vec<(String, LogStats)>) -> FitReport {
        self.staffing.finish(self.last_s.max(self.last_end_s));
        let first_day = (self.first_s / 86400.0).floor() as i64;
        let last_day = (self.last_s / 86400.0).floor() as i64;
        let days = if self.first_s.is_finite() {
            (last_day - first_day + 1).max(1) as usize
        } else {
            0
        };
        let mut queues = Vec::new();
        for (name, mut q) in std::mem::take(&mut self.queues) {
            // Every queue counts over the same days.
            let a = &mut q.arrivals;
            if let Some(f) = a.first_day {
                let pad = (f - first_day) as usize;
                let mut v = vec![vec![0; a.bins]; pad];
                v.append(&mut a.days);
                a.days = v;
            }
            a.first_day = Some(first_day);
            while a.days.len() < days {
                a.days.push(vec![0; a.bins]);
            }
            let talk = talk::fit_talk(&q.talk.items);
            let (w, ab): (Vec<f64>, Vec<bool>) = q.waits.items.iter().cloned().unzip();
            let patience = patience::fit_patience(&w, &ab);
            let (available, busy) = self.staffing.profile(&name, days);
            let answered = q
                .outcomes
                .get(&LoggedOutcome::Answered)
                .copied()
                .unwrap_or(0);
            queues.push(QueueFit {
                calls: q.outcomes.values().sum(),
                outcomes: q.outcomes,
                arrivals: q.arrivals,
                talk,
                patience,
                available,
                busy,
                peak_available: self.staffing.peak_available(&name),
                agents_seen: q.agents.len(),
                ring_no_answer: self
                    .has_rings
                    .then(|| (q.ring_no_answer, q.rings, wilson(q.ring_no_answer, q.rings))),
                transfer: (q.transferred, answered, wilson(q.transferred, answered)),
                name,
            });
        }
        FitReport {
            queues,
            first_s: self.first_s,
            last_s: self.last_s,
            days,
            options: self.options,
            log_stats,
        }
    }
}

/// Reads every log with `format` and fits them as one observation (the
/// logs' calls pooled, e.g. one file per month). Errors are the readers'
/// located [`crate::logs::LogError`]s.
pub fn fit_logs(
    paths: &[std::path::PathBuf],
    format: &crate::logs::LogFormat,
    read: &crate::logs::ReadOptions,
    options: &FitOptions,
) -> Result<FitReport, crate::logs::LogError> {
    let mut f = Fitter::new(options.clone());
    f.log_has_rings(matches!(format, crate::logs::LogFormat::QueueLog));
    let mut stats = Vec::new();
    for p in paths {
        let s = crate::logs::for_each(p, format, read, |item| f.add(&item))?;
        stats.push((p.display().to_string(), s));
    }
    Ok(f.finish(stats))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_known_value() {
        // 10 of 100: [0.0552, 0.1744] (Wilson 1927, z = 1.96).
        let (lo, hi) = wilson(10, 100);
        assert!((lo - 0.0552).abs() < 1e-3, "{lo}");
        assert!((hi - 0.1744).abs() < 1e-3, "{hi}");
        assert_eq!(wilson(0, 0), (0.0, 1.0));
    }

    #[test]
    fn reservoir_is_bounded_and_uniform() {
        let mut r = Reservoir::default();
        for i in 0..(3 * SAMPLE as u64) {
            r.push(i);
        }
        assert_eq!(r.items.len(), SAMPLE);
        let mean = r.items.iter().sum::<u64>() as f64 / SAMPLE as f64;
        // Uniform on [0, 3·SAMPLE): mean 1.5·SAMPLE, sd of the mean ≈ 0.0019·SAMPLE.
        assert!((mean / SAMPLE as f64 - 1.5).abs() < 0.02, "{mean}");
    }
}
