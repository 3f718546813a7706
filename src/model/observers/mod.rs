//! The observers: what the platform records about itself without changing
//! it — statistics ([`Stats`]: per-scope totals, time-weighted levels and
//! interval rows), the per-call trace (`platform/trace.rs`) and the
//! always-on invariant checks ([`invariants`]).
//!
//! Scope indices used by the level and counter arrays: 0 is the platform,
//! `1 + p` portal p, and (for in-system levels and interval counters only)
//! `1 + P + s` server s.
//!
//! Invariant: observers only read what the other actors report; no actor
//! decides anything from a statistic, so turning the trace on or adding a
//! metric never changes a call's outcome.

pub mod invariants;

use crate::engine::SimTime;
use crate::stats::{IntervalCounters, IntervalRow, Level, ScopeTotals, FINE_WAIT_PORTALS};

/// The replication's statistics.
pub struct Stats {
    pub totals: Vec<ScopeTotals>,
    pub iv: Vec<IntervalCounters>,
    pub in_system: Vec<Level>,
    pub waiting: Vec<Level>,
    pub busy: Vec<Level>,
    pub interval_start: SimTime,
    pub interval_rows: Vec<IntervalRow>,
    /// An interval tick is scheduled: the current interval is open and has
    /// to be closed, at the drain limit if not before.
    pub tick_pending: bool,
}

impl Stats {
    /// For `np` portals and `ns` servers.
    pub fn new(np: usize, ns: usize) -> Self {
        Stats {
            totals: std::iter::once(ScopeTotals::default())
                .chain(std::iter::repeat_with(if np <= FINE_WAIT_PORTALS {
                    ScopeTotals::default
                } else {
                    ScopeTotals::portal
                }))
                .take(1 + np)
                .collect(),
            iv: vec![IntervalCounters::default(); 1 + np + ns],
            in_system: vec![Level::default(); 1 + np + ns],
            waiting: vec![Level::default(); 1 + np],
            busy: vec![Level::default(); 1 + np],
            interval_start: SimTime::ZERO,
            interval_rows: Vec::new(),
            tick_pending: false,
        }
    }

    /// The statistics window opens (end of the warm-up).
    pub fn open_windows(&mut self, now: SimTime) {
        for l in self
            .in_system
            .iter_mut()
            .chain(&mut self.waiting)
            .chain(&mut self.busy)
        {
            l.open_window(now);
        }
    }

    /// The statistics window closes (arrivals stop).
    pub fn close_windows(&mut self, now: SimTime) {
        for l in self
            .in_system
            .iter_mut()
            .chain(&mut self.waiting)
            .chain(&mut self.busy)
        {
            l.close_window(now);
        }
    }

    #[inline]
    pub fn waiting_inc(&mut self, now: SimTime, p: usize) {
        self.waiting[0].inc(now);
        self.waiting[1 + p].inc(now);
    }
    #[inline]
    pub fn waiting_dec(&mut self, now: SimTime, p: usize) {
        self.waiting[0].dec(now);
        self.waiting[1 + p].dec(now);
    }
    #[inline]
    pub fn busy_inc(&mut self, now: SimTime, p: usize) {
        self.busy[0].inc(now);
        self.busy[1 + p].inc(now);
    }
    #[inline]
    pub fn busy_dec(&mut self, now: SimTime, p: usize) {
        self.busy[0].dec(now);
        self.busy[1 + p].dec(now);
    }

    /// The first counted level that went below zero (a bug).
    pub fn underflowed_level(&self) -> Option<String> {
        let scopes = [
            ("calls in the system", &self.in_system),
            ("calls waiting", &self.waiting),
            ("agents busy", &self.busy),
        ];
        for (what, levels) in scopes {
            if let Some(i) = levels.iter().position(|l| l.underflowed()) {
                return Some(format!("{what} (scope {i})"));
            }
        }
        None
    }
}
