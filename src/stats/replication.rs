use hdrhistogram::Histogram;

use crate::engine::SimTime;
use crate::model::{CallRecord, Outcome, XferFail};

use super::metric::{Metric, MetricValues, METRIC_COUNT};

/// Per-replication totals of one scope (the platform or one portal), over the
/// calls that arrived after warm-up. Constant memory: waits go into an HDR
/// histogram rather than a list, with 3 significant digits for the platform
/// ([`ScopeTotals::default`]) and, on platforms of more than
/// [`FINE_WAIT_PORTALS`] portals, 2 for a portal ([`ScopeTotals::portal`]):
/// a 3-digit histogram of waits up to a few minutes holds ~150 KB of
/// counters, which 50 000 portals could not afford; 2 digits (p95 within 1%)
/// take ~20 KB at most, and nothing until a portal's first non-zero wait.
#[derive(Debug, Clone)]
pub struct ScopeTotals {
    pub offered: u64,
    pub outcomes: [u64; Outcome::ALL.len()],
    answered_waited: u64,
    wait_answered_us: u128,
    wait_queued_us: u128,
    queued: u64,
    answered_within_sl: u64,
    talk_us: u128,
    max_wait_us: u64,
    /// Zero waits are counted apart (in light load they are most calls) and
    /// added to the histogram only when a quantile is asked for.
    zero_waits: u64,
    waits_us: Histogram<u64>,
    /// Calls with media statistics (topology runs).
    media_calls: u64,
    mos_sum: f64,
    loss_pct_sum: f64,
    media_gap_us: u128,
    /// Calls per MOS step of 0.01 (MOS 1.00 to 4.50): MOS lives on a short
    /// fixed scale, so a plain counting array gives exact percentiles at
    /// that resolution for one add per call.
    /// Allocated at the first call with media (most scopes of most runs
    /// have none).
    mos_counts: Option<Box<[u64; MOS_STEPS]>>,
    pdd_calls: u64,
    pdd_us: u128,
    /// Calls handed to a transfer target (the `transfer` column set, the
    /// transfer not failed), and transfers that could not happen by reason
    /// (`XferFail` order).
    transferred: u64,
    transfer_failed: [u64; XferFail::ALL.len()],
}

impl Default for ScopeTotals {
    fn default() -> Self {
        ScopeTotals::with_wait_digits(3)
    }
}

/// Up to this many portals every portal keeps 3-digit waits and the
/// platform's totals are a plain merge of the portals' (exact, and nothing
/// recorded twice); beyond it portals use [`ScopeTotals::portal`] and the
/// platform records its waits itself ([`ScopeTotals::record_wait`]).
pub const FINE_WAIT_PORTALS: usize = 256;

impl ScopeTotals {
    /// Totals of one portal: waits at 2 significant digits (see the type).
    pub fn portal() -> Self {
        ScopeTotals::with_wait_digits(2)
    }

    fn with_wait_digits(digits: u8) -> Self {
        ScopeTotals {
            offered: 0,
            outcomes: [0; Outcome::ALL.len()],
            answered_waited: 0,
            wait_answered_us: 0,
            wait_queued_us: 0,
            queued: 0,
            answered_within_sl: 0,
            talk_us: 0,
            max_wait_us: 0,
            zero_waits: 0,
            waits_us: Histogram::new(digits).expect("2 or 3 significant digits is valid"),
            media_calls: 0,
            mos_sum: 0.0,
            loss_pct_sum: 0.0,
            media_gap_us: 0,
            mos_counts: None,
            pdd_calls: 0,
            pdd_us: 0,
            transferred: 0,
            transfer_failed: [0; XferFail::ALL.len()],
        }
    }
}

/// Time-weighted inputs to the level-based metrics, integrated over the
/// statistics window.
#[derive(Debug, Clone, Copy, Default)]
pub struct WindowLevels {
    pub window_s: f64,
    pub agents: usize,
    pub busy_agent_s: f64,
    pub calls_in_system_s: f64,
    pub waiting_s: f64,
}

/// MOS 1.00 … 4.50 in steps of 0.01.
const MOS_STEPS: usize = 351;

fn mos_step(mos: f64) -> usize {
    (((mos - 1.0) * 100.0 + 0.5) as usize).min(MOS_STEPS - 1)
}

/// The smallest MOS step at or below which at least a share `q` of calls lie
/// (nearest-rank definition).
fn mos_quantile(counts: &[u64], total: u64, q: f64) -> f64 {
    let rank = ((q * total as f64).ceil() as u64).max(1);
    let mut seen = 0;
    for (i, c) in counts.iter().enumerate() {
        seen += c;
        if seen >= rank {
            return 1.0 + i as f64 / 100.0;
        }
    }
    4.5
}

impl ScopeTotals {
    #[inline]
    pub fn record(&mut self, rec: &CallRecord, service_level: SimTime) {
        self.offered += 1;
        self.outcomes[rec.outcome.index()] += 1;
        if let Some(wait) = rec.wait {
            let w = wait.micros();
            self.queued += 1;
            self.wait_queued_us += w as u128;
            self.max_wait_us = self.max_wait_us.max(w);
            if w == 0 {
                self.zero_waits += 1;
            } else {
                // Auto-resizing histogram: recording cannot fail for u64 values.
                let _ = self.waits_us.record(w);
            }
            if rec.outcome == Outcome::Answered {
                self.wait_answered_us += w as u128;
                if rec.lined {
                    self.answered_waited += 1;
                }
                if wait <= service_level {
                    self.answered_within_sl += 1;
                }
            }
        }
        if let Some(m) = &rec.media {
            self.media_calls += 1;
            self.mos_sum += m.mos;
            self.loss_pct_sum += m.loss_pct;
            self.media_gap_us += m.media_gap.micros() as u128;
            self.mos_counts
                .get_or_insert_with(|| Box::new([0; MOS_STEPS]))[mos_step(m.mos)] += 1;
        }
        if let Some(pdd) = rec.pdd {
            self.pdd_calls += 1;
            self.pdd_us += pdd.micros() as u128;
        }
        if rec.transfer.is_some() || rec.transfer_failed.is_some() {
            self.count_transfer(rec);
        }
        // Talk of calls cut by the drain limit is partial: leave it out.
        if rec.outcome == Outcome::Answered {
            if let Some(talk) = rec.talk() {
                self.talk_us += talk.micros() as u128;
            }
        }
    }

    /// Kept out of `record`: only runs with transfers get here.
    #[cold]
    #[inline(never)]
    fn count_transfer(&mut self, rec: &CallRecord) {
        match rec.transfer_failed {
            Some(f) => self.transfer_failed[f as usize] += 1,
            None => self.transferred += 1,
        }
    }

    /// Records only the wait of a call (the platform's full-precision wait
    /// histogram, fed per call; its other totals come from
    /// [`merge_counts`](Self::merge_counts) of the portals').
    #[inline]
    pub fn record_wait(&mut self, rec: &CallRecord) {
        match rec.wait.map(SimTime::micros) {
            Some(0) => self.zero_waits += 1,
            Some(w) => {
                let _ = self.waits_us.record(w);
            }
            None => {}
        }
    }

    /// Adds another scope's totals: the platform's totals are the sum of its
    /// portals', so the per-call path records each call only once.
    pub fn merge(&mut self, other: &ScopeTotals) {
        self.merge_counts(other);
        self.zero_waits += other.zero_waits;
        // Both histograms auto-resize, so adding cannot fail.
        let _ = self.waits_us.add(&other.waits_us);
    }

    /// Adds everything but the wait histogram (see
    /// [`record_wait`](Self::record_wait)).
    pub fn merge_counts(&mut self, other: &ScopeTotals) {
        self.offered += other.offered;
        for (a, b) in self.outcomes.iter_mut().zip(other.outcomes) {
            *a += b;
        }
        self.answered_waited += other.answered_waited;
        self.wait_answered_us += other.wait_answered_us;
        self.wait_queued_us += other.wait_queued_us;
        self.queued += other.queued;
        self.answered_within_sl += other.answered_within_sl;
        self.talk_us += other.talk_us;
        self.max_wait_us = self.max_wait_us.max(other.max_wait_us);
        self.media_calls += other.media_calls;
        self.mos_sum += other.mos_sum;
        self.loss_pct_sum += other.loss_pct_sum;
        self.media_gap_us += other.media_gap_us;
        if let Some(theirs) = &other.mos_counts {
            let ours = self
                .mos_counts
                .get_or_insert_with(|| Box::new([0; MOS_STEPS]));
            for (a, b) in ours.iter_mut().zip(theirs.iter()) {
                *a += b;
            }
        }
        self.pdd_calls += other.pdd_calls;
        self.pdd_us += other.pdd_us;
        self.transferred += other.transferred;
        for (a, b) in self.transfer_failed.iter_mut().zip(other.transfer_failed) {
            *a += b;
        }
    }

    pub fn count(&self, o: Outcome) -> u64 {
        self.outcomes[o.index()]
    }

    /// The replication's metric values for this scope.
    pub fn metrics(&self, levels: &WindowLevels, events: Option<u64>) -> MetricValues {
        let mut v: MetricValues = [None; METRIC_COUNT];
        let ratio = |num: f64, den: u64| (den > 0).then(|| num / den as f64);
        let secs = |us: u128| us as f64 / SimTime::MICROS_PER_S as f64;
        let answered = self.count(Outcome::Answered);
        v[Metric::Offered as usize] = Some(self.offered as f64);
        v[Metric::Answered as usize] = Some(answered as f64);
        v[Metric::Abandoned as usize] = Some(self.count(Outcome::Abandoned) as f64);
        v[Metric::Blocked as usize] = Some(self.count(Outcome::Blocked) as f64);
        v[Metric::Voicemail as usize] = Some(self.count(Outcome::Voicemail) as f64);
        v[Metric::Forwarded as usize] = Some(self.count(Outcome::Forwarded) as f64);
        v[Metric::NoAnswer as usize] = Some(self.count(Outcome::NoAnswer) as f64);
        v[Metric::Unfinished as usize] = Some(self.count(Outcome::Unfinished) as f64);
        v[Metric::Dropped as usize] = Some(self.count(Outcome::Dropped) as f64);
        v[Metric::Failed as usize] = Some(self.count(Outcome::Failed) as f64);
        v[Metric::PWait as usize] = ratio(self.answered_waited as f64, answered);
        v[Metric::AsaS as usize] = ratio(secs(self.wait_answered_us), answered);
        v[Metric::MeanWaitS as usize] = ratio(secs(self.wait_queued_us), self.queued);
        if self.queued > 0 {
            let mut waits = self.waits_us.clone();
            let _ = waits.record_n(0, self.zero_waits);
            // The histogram reports a bucket's upper edge; never above the
            // longest wait actually seen.
            let p95 = waits.value_at_quantile(0.95).min(self.max_wait_us);
            v[Metric::P95WaitS as usize] = Some(secs(p95 as u128));
            v[Metric::MaxWaitS as usize] = Some(secs(self.max_wait_us as u128));
        }
        v[Metric::ServiceLevel as usize] = ratio(self.answered_within_sl as f64, answered);
        v[Metric::AbandonRate as usize] =
            ratio(self.count(Outcome::Abandoned) as f64, self.offered);
        v[Metric::BlockingRate as usize] = ratio(self.count(Outcome::Blocked) as f64, self.offered);
        v[Metric::MeanTalkS as usize] = ratio(secs(self.talk_us), answered);
        if levels.window_s > 0.0 {
            if levels.agents > 0 {
                v[Metric::AgentOccupancy as usize] =
                    Some(levels.busy_agent_s / (levels.agents as f64 * levels.window_s));
            }
            v[Metric::MeanConcurrency as usize] = Some(levels.calls_in_system_s / levels.window_s);
            v[Metric::MeanQueue as usize] = Some(levels.waiting_s / levels.window_s);
        }
        v[Metric::MeanMos as usize] = ratio(self.mos_sum, self.media_calls);
        v[Metric::MeanLossPct as usize] = ratio(self.loss_pct_sum, self.media_calls);
        v[Metric::MeanMediaGapS as usize] = ratio(secs(self.media_gap_us), self.media_calls);
        if let Some(counts) = self.mos_counts.as_deref().filter(|_| self.media_calls > 0) {
            v[Metric::P5Mos as usize] = Some(mos_quantile(counts, self.media_calls, 0.05));
        }
        v[Metric::MeanPddMs as usize] = ratio(secs(self.pdd_us) * 1000.0, self.pdd_calls);
        v[Metric::Events as usize] = events.map(|e| e as f64);
        v[Metric::Blacklisted as usize] = Some(self.count(Outcome::Blacklisted) as f64);
        v[Metric::AfterHours as usize] = Some(self.count(Outcome::AfterHours) as f64);
        v[Metric::Transferred as usize] = Some(self.transferred as f64);
        for (m, n) in [
            Metric::TransferFailedShortTalk,
            Metric::TransferFailedNoFreeAgent,
            Metric::TransferFailedNoAnswer,
        ]
        .into_iter()
        .zip(self.transfer_failed)
        {
            v[m as usize] = Some(n as f64);
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(outcome: Outcome, wait_s: Option<f64>, talk_s: f64) -> CallRecord {
        let arrival = SimTime::from_secs_f64(100.0);
        let wait = wait_s.map(SimTime::from_secs_f64);
        let answer = (outcome == Outcome::Answered).then(|| arrival + wait.unwrap());
        let end =
            answer.unwrap_or(arrival + wait.unwrap_or_default()) + SimTime::from_secs_f64(talk_s);
        CallRecord::bare(0, arrival, answer, end, wait, outcome)
    }

    #[test]
    fn mos_quantiles_use_nearest_rank() {
        let mut counts = Box::new([0u64; MOS_STEPS]);
        for mos in [1.0, 3.0, 3.5, 4.2, 4.41] {
            counts[mos_step(mos)] += 1;
        }
        assert_eq!(mos_quantile(&counts[..], 5, 0.05), 1.0);
        assert_eq!(mos_quantile(&counts[..], 5, 0.5), 3.5);
        assert_eq!(mos_quantile(&counts[..], 5, 1.0), 4.41);
        assert_eq!(mos_step(0.5), 0);
        assert_eq!(mos_step(4.5), MOS_STEPS - 1);
    }

    #[test]
    fn merged_totals_equal_recording_everything_in_one() {
        let sl = SimTime::from_secs_f64(20.0);
        let calls = [
            rec(Outcome::Answered, Some(0.0), 60.0),
            rec(Outcome::Answered, Some(30.0), 120.0),
            rec(Outcome::Abandoned, Some(10.0), 0.0),
            rec(Outcome::Blocked, None, 0.0),
            rec(Outcome::Answered, Some(5.0), 10.0),
        ];
        let mut all = ScopeTotals::default();
        let (mut a, mut b) = (ScopeTotals::default(), ScopeTotals::default());
        for (i, c) in calls.iter().enumerate() {
            all.record(c, sl);
            if i % 2 == 0 {
                a.record(c, sl)
            } else {
                b.record(c, sl)
            }
        }
        let mut merged = ScopeTotals::default();
        merged.merge(&a);
        merged.merge(&b);
        let lv = WindowLevels::default();
        assert_eq!(merged.metrics(&lv, None), all.metrics(&lv, None));

        // The platform's way: coarse portal histograms, counts merged, waits
        // recorded once more at full precision.
        let (mut a, mut b) = (ScopeTotals::portal(), ScopeTotals::portal());
        let mut platform = ScopeTotals::default();
        for (i, c) in calls.iter().enumerate() {
            platform.record_wait(c);
            if i % 2 == 0 {
                a.record(c, sl)
            } else {
                b.record(c, sl)
            }
        }
        platform.merge_counts(&a);
        platform.merge_counts(&b);
        assert_eq!(platform.metrics(&lv, None), all.metrics(&lv, None));
    }

    #[test]
    fn portal_histograms_are_small_and_within_one_percent() {
        let sl = SimTime::from_secs_f64(20.0);
        let (mut fine, mut coarse) = (ScopeTotals::default(), ScopeTotals::portal());
        for i in 0..10_000 {
            let c = rec(Outcome::Answered, Some(0.037 * i as f64), 1.0);
            fine.record(&c, sl);
            coarse.record(&c, sl);
        }
        let lv = WindowLevels::default();
        let p95 = |t: &ScopeTotals| t.metrics(&lv, None)[Metric::P95WaitS as usize].unwrap();
        assert!((p95(&coarse) / p95(&fine) - 1.0).abs() < 0.01);
        assert_ne!(p95(&coarse), p95(&fine), "precision really differs");
        let bytes = |t: &ScopeTotals| t.waits_us.distinct_values() * 8;
        assert!(bytes(&coarse) < 25_000, "{}", bytes(&coarse));
        assert!(bytes(&fine) > 100_000, "{}", bytes(&fine));
    }

    #[test]
    fn metric_definitions_follow_design_section_4() {
        let mut t = ScopeTotals::default();
        let sl = SimTime::from_secs_f64(20.0);
        t.record(&rec(Outcome::Answered, Some(0.0), 60.0), sl);
        t.record(&rec(Outcome::Answered, Some(30.0), 120.0), sl);
        t.record(&rec(Outcome::Abandoned, Some(10.0), 0.0), sl);
        t.record(&rec(Outcome::Blocked, None, 0.0), sl);
        let m = t.metrics(&WindowLevels::default(), None);
        let get = |x: Metric| m[x as usize].unwrap();
        assert_eq!(get(Metric::Offered), 4.0);
        assert_eq!(get(Metric::PWait), 0.5); // of answered calls
        assert_eq!(get(Metric::AsaS), 15.0); // zero waits included
        assert!((get(Metric::MeanWaitS) - 40.0 / 3.0).abs() < 1e-9); // all queued calls
        assert_eq!(get(Metric::ServiceLevel), 0.5);
        assert_eq!(get(Metric::AbandonRate), 0.25);
        assert_eq!(get(Metric::BlockingRate), 0.25);
        assert_eq!(get(Metric::MeanTalkS), 90.0);
        assert_eq!(get(Metric::MaxWaitS), 30.0);
        assert!(m[Metric::AgentOccupancy as usize].is_none());
        assert!(m[Metric::MeanMos as usize].is_none());
    }
}
