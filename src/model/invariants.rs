//! Invariants checked in every run, cheaply, as the replication goes: a
//! violation is a bug in telsim (never bad input), so it stops the
//! replication and surfaces as an internal error naming the invariant, the
//! replication, the seed and the simulated time, which is all it takes to
//! reproduce it (`telsim run SCENARIO --seed S`, replication R).
//!
//! The checks cost a compare or two per event and per finished call (see
//! README, Robustness, for the measured cost), so they are always on.
//!
//! Adding one: give it an [`Invariant`] variant and a name, and call
//! [`Invariants::check`] where it must hold, e.g. for money
//! `inv.check(now, Invariant::BalanceConservation, spent == charged, || format!(..))`.

use std::fmt;

use crate::engine::SimTime;

use super::agents::AgentState;
use super::record::CallRecord;

/// The invariants telsim guarantees; the names are what error messages and
/// README use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invariant {
    /// Every call that arrives leaves exactly once: records emitted plus
    /// calls still live equal calls generated.
    CallConservation,
    /// An agent rings or talks for one call at a time.
    AgentNeverDoubleBooked,
    /// Events are handled in non-decreasing time, and a call's record is
    /// causal: arrival ≤ answer ≤ end, and arrival ≤ now.
    TimeNeverGoesBackwards,
    /// Money is neither created nor lost: per currency, the opening balances
    /// minus the charges equal the closing balances.
    BalanceConservation,
    /// RTP packets received never exceed packets sent.
    PacketsReceivedAtMostSent,
    /// Counted quantities (calls in the system, waiting, agents busy, flows
    /// and bandwidth on each link) never go below zero.
    LevelNeverNegative,
    /// A prepaid portal (`cut_on_zero`) is never overdrawn by its calls by
    /// more than one billing increment of one call: running calls hold
    /// credit, so concurrent calls cannot spend the same money.
    CreditNeverOverdrawn,
}

impl Invariant {
    pub fn name(self) -> &'static str {
        match self {
            Invariant::CallConservation => "call conservation",
            Invariant::AgentNeverDoubleBooked => "agent never double-booked",
            Invariant::TimeNeverGoesBackwards => "time never goes backwards",
            Invariant::BalanceConservation => "balance conservation per currency",
            Invariant::PacketsReceivedAtMostSent => "packets received <= sent",
            Invariant::LevelNeverNegative => "counts never below zero",
            Invariant::CreditNeverOverdrawn => "prepaid credit never overdrawn",
        }
    }
}

/// A broken invariant, with what it takes to reproduce it.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    pub invariant: Invariant,
    pub replication: u32,
    pub seed: u64,
    pub at: SimTime,
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invariant '{}' violated in replication {} (seed {}) at t = {} s: {} \
             (reproduce with --seed {}; this is a bug in telsim, please report it with the scenario)",
            self.invariant.name(),
            self.replication,
            self.seed,
            self.at.as_secs_f64(),
            self.detail,
            self.seed
        )
    }
}

/// The running checks of one replication. Keeps the first violation only:
/// later ones are usually its consequences.
#[derive(Debug, Clone)]
pub struct Invariants {
    replication: u32,
    seed: u64,
    last_event: SimTime,
    /// Call records emitted so far.
    pub records: u64,
    violation: Option<Violation>,
}

impl Invariants {
    pub fn new(seed: u64, replication: u32) -> Self {
        Invariants {
            replication,
            seed,
            last_event: SimTime::ZERO,
            records: 0,
            violation: None,
        }
    }

    pub fn violated(&self) -> bool {
        self.violation.is_some()
    }

    pub fn violation(&self) -> Option<&Violation> {
        self.violation.as_ref()
    }

    /// Records a violation of `invariant` unless `holds`; `detail` is only
    /// formatted when it does not.
    #[inline]
    pub fn check(
        &mut self,
        now: SimTime,
        invariant: Invariant,
        holds: bool,
        detail: impl FnOnce() -> String,
    ) {
        if !holds {
            self.fail(now, invariant, detail());
        }
    }

    #[cold]
    #[inline(never)]
    fn fail(&mut self, now: SimTime, invariant: Invariant, detail: String) {
        if self.violation.is_none() {
            self.violation = Some(Violation {
                invariant,
                replication: self.replication,
                seed: self.seed,
                at: now,
                detail,
            });
        }
    }

    /// An event is about to be handled at `now`.
    #[inline]
    pub fn event(&mut self, now: SimTime) {
        let last = self.last_event;
        self.check(now, Invariant::TimeNeverGoesBackwards, now >= last, || {
            format!(
                "an event at {} s was handled after one at {} s",
                now.as_secs_f64(),
                last.as_secs_f64()
            )
        });
        self.last_event = now;
    }

    /// Agent `agent` (global index) goes from `from` to `to`: it may start
    /// ringing or talking for a call only when free or already ringing for
    /// that very call.
    #[inline]
    pub fn agent(&mut self, now: SimTime, agent: u32, from: AgentState, to: AgentState) {
        let ok = match to {
            AgentState::Ringing(c) | AgentState::Talking(c) => {
                from == AgentState::Free || from == AgentState::Ringing(c)
            }
            AgentState::Free | AgentState::Wrapup => true,
            // A phone's registration lapsing takes only a free agent offline.
            AgentState::Offline => from == AgentState::Free,
        };
        self.check(now, Invariant::AgentNeverDoubleBooked, ok, || {
            format!("agent {agent} went from {from:?} to {to:?}")
        });
    }

    /// A call leaves the system with this record, during the event being
    /// handled.
    #[inline]
    pub fn record(&mut self, rec: &CallRecord) {
        let now = self.last_event;
        self.records += 1;
        // A call's end may lie ahead of `now`: a failed INVITE is settled at
        // arrival with its end at Timer B.
        let causal = rec.arrival <= rec.end
            && rec.arrival <= now
            && rec.answer.is_none_or(|a| rec.arrival <= a && a <= rec.end);
        self.check(now, Invariant::TimeNeverGoesBackwards, causal, || {
            format!(
                "call {} has arrival {} s, answer {:?}, end {} s",
                rec.call_id,
                rec.arrival.as_secs_f64(),
                rec.answer.map(SimTime::as_secs_f64),
                rec.end.as_secs_f64()
            )
        });
        if let Some(m) = &rec.media {
            self.check(
                now,
                Invariant::PacketsReceivedAtMostSent,
                m.rtp_received <= m.rtp_sent,
                || {
                    format!(
                        "call {} received {} RTP packets of {} sent",
                        rec.call_id, m.rtp_received, m.rtp_sent
                    )
                },
            );
        }
    }

    /// At the end of a replication: no counted level was ever decremented
    /// below zero; `first` names the first that was.
    pub fn levels(&mut self, now: SimTime, first: Option<String>) {
        self.check(now, Invariant::LevelNeverNegative, first.is_none(), || {
            format!("{} was decremented below zero", first.unwrap_or_default())
        });
    }

    /// At the end of a replication: calls generated = records + still live.
    pub fn conservation(&mut self, now: SimTime, generated: u64, live: u64) {
        let records = self.records;
        self.check(
            now,
            Invariant::CallConservation,
            generated == records + live,
            || format!("{generated} calls arrived but {records} left and {live} are still in the system"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::event::CallRef;
    use crate::model::Outcome;

    fn rec(arrival: u64, answer: Option<u64>, end: u64) -> CallRecord {
        CallRecord::bare(
            7,
            SimTime(arrival),
            answer.map(SimTime),
            SimTime(end),
            None,
            Outcome::Answered,
        )
    }

    #[test]
    fn a_level_below_zero_is_reported_by_name() {
        let mut inv = Invariants::new(5, 1);
        inv.levels(SimTime(3), None);
        assert!(!inv.violated());
        inv.levels(SimTime(3), Some("the load of link 2".into()));
        let v = inv.violation().unwrap();
        assert_eq!(v.invariant, Invariant::LevelNeverNegative);
        assert!(v
            .to_string()
            .contains("the load of link 2 was decremented below zero"));
    }

    #[test]
    fn time_running_backwards_is_caught_with_its_context() {
        let mut inv = Invariants::new(42, 3);
        inv.event(SimTime(10));
        inv.event(SimTime(10));
        assert!(!inv.violated());
        inv.event(SimTime(5));
        let v = inv.violation().unwrap();
        assert_eq!(v.invariant, Invariant::TimeNeverGoesBackwards);
        let msg = v.to_string();
        for want in [
            "time never goes backwards",
            "replication 3",
            "seed 42",
            "t = 0.000005 s",
        ] {
            assert!(msg.contains(want), "{msg}");
        }
        // The first violation is kept.
        inv.event(SimTime(1));
        assert_eq!(inv.violation().unwrap().at, SimTime(5));
    }

    #[test]
    fn agents_take_one_call_at_a_time() {
        let a = CallRef { slot: 1, gen: 1 };
        let b = CallRef { slot: 2, gen: 1 };
        let mut inv = Invariants::new(1, 0);
        inv.agent(SimTime(1), 4, AgentState::Free, AgentState::Ringing(a));
        inv.agent(
            SimTime(1),
            4,
            AgentState::Ringing(a),
            AgentState::Talking(a),
        );
        inv.agent(SimTime(2), 4, AgentState::Talking(a), AgentState::Wrapup);
        inv.agent(SimTime(3), 4, AgentState::Wrapup, AgentState::Free);
        assert!(!inv.violated());
        inv.agent(
            SimTime(4),
            4,
            AgentState::Talking(a),
            AgentState::Ringing(b),
        );
        let v = inv.violation().unwrap();
        assert_eq!(v.invariant, Invariant::AgentNeverDoubleBooked);
        assert!(v.to_string().contains("agent 4"), "{v}");
    }

    #[test]
    fn records_must_be_causal_and_conserved() {
        let mut inv = Invariants::new(1, 0);
        inv.event(SimTime(10));
        inv.record(&rec(1, Some(2), 10));
        inv.record(&rec(1, None, 3));
        assert!(!inv.violated());
        inv.conservation(SimTime(10), 3, 1);
        assert!(!inv.violated());
        inv.conservation(SimTime(10), 4, 1);
        assert_eq!(
            inv.violation().unwrap().invariant,
            Invariant::CallConservation
        );
        let mut inv = Invariants::new(1, 0);
        inv.event(SimTime(10));
        inv.record(&rec(5, Some(2), 10));
        assert_eq!(
            inv.violation().unwrap().invariant,
            Invariant::TimeNeverGoesBackwards
        );
    }
}
