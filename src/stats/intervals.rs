use crate::engine::SimTime;
use crate::model::Outcome;

/// Counts of what happened inside one interval for one scope, by the time it
/// happened (arrivals at arrival, outcomes when the call ended).
#[derive(Debug, Clone, Copy, Default)]
pub struct IntervalCounters {
    pub offered: u32,
    pub outcomes: [u32; Outcome::ALL.len()],
    pub answered_now: u32,
    pub wait_answered_us: u64,
    pub answered_within_sl: u32,
    /// Calls with media that ended in the interval, and their MOS sum.
    pub media_calls: u32,
    pub mos_sum: f64,
    /// Outbound calls that ended in the interval, and those refused for
    /// want of money (kept apart from the inbound outcome columns).
    pub outbound: u32,
    pub rejected_balance: u32,
    /// Servers: REGISTERs taken and refused in the interval.
    pub registers: u32,
    pub register_rejects: u32,
}

impl IntervalCounters {
    /// Adds a portal's counts into the platform's (counted once per call,
    /// summed when the interval closes).
    pub fn merge(&mut self, other: &IntervalCounters) {
        self.offered += other.offered;
        for (a, b) in self.outcomes.iter_mut().zip(other.outcomes) {
            *a += b;
        }
        self.answered_now += other.answered_now;
        self.wait_answered_us += other.wait_answered_us;
        self.answered_within_sl += other.answered_within_sl;
        self.media_calls += other.media_calls;
        self.mos_sum += other.mos_sum;
        self.outbound += other.outbound;
        self.rejected_balance += other.rejected_balance;
        self.registers += other.registers;
        self.register_rejects += other.register_rejects;
    }

    pub fn outcome(&self, o: Outcome) -> u32 {
        self.outcomes[o.index()]
    }
}

/// One row of `intervals.csv`. Scope is the platform, a portal, or a server;
/// fields that do not apply to a scope are `None` (empty cells).
#[derive(Debug, Clone)]
pub struct IntervalRow {
    pub start: SimTime,
    pub end: SimTime,
    /// Index into the replication's scope names (platform, portals, servers).
    pub scope: u16,
    pub counters: IntervalCounters,
    pub mean_concurrency: f64,
    pub max_concurrency: u32,
    pub mean_queue: Option<f64>,
    pub max_queue: Option<u32>,
    pub agent_occupancy: Option<f64>,
    /// Servers: mean concurrent calls over capacity.
    pub server_utilisation: Option<f64>,
    /// Platform rows, with a controller: its work in the interval.
    pub controller: Option<crate::model::controller::ControllerCounters>,
    /// Portal rows: the balance at the interval's end (minor units).
    pub balance: Option<crate::money::Minor>,
    /// Platform and portal rows, with devices: agents whose phone is not
    /// registered at the interval's end.
    pub offline: Option<u32>,
}
