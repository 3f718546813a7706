use crate::engine::SimTime;

use super::event::CallRef;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallState {
    /// In the waiting line, no agent ringing.
    Waiting,
    /// One or more agents are ringing for it.
    Ringing,
    Talking,
    /// Going through the scenario steps before the queue (controller
    /// requests, greeting, extension code), or dialling out.
    Steps,
}

/// Where a call is in the provider's scenario; steps run in this order and
/// each may be skipped (see `Platform::advance`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    Provision,
    Lookup,
    Upgrade,
    /// Outbound only: the balance query.
    Balance,
    Blacklist,
    Worktime,
    /// After-hours message or voicemail playing; the call ends after it.
    AfterHours,
    Greeting,
    Extension,
    Crm,
    /// Ringing one agent (dialled extension or CRM's responsible agent).
    Target,
    Queue,
    /// Outbound only: ringing the other side.
    Dial,
    /// Outbound only: the other side picks up at the end of the ring.
    Answer,
    /// Outbound only: nobody picks up; the agent gives up.
    Unanswered,
    /// The controller did not answer in time; the call fails when the
    /// client gives up.
    Failing,
    /// In conversation or done with the steps.
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Inbound,
    Outbound,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Call {
    pub id: u64,
    pub portal: u16,
    pub arrival: SimTime,
    pub state: CallState,
    pub answer: Option<SimTime>,
    pub agent: Option<u32>,
    pub server: Option<u16>,
    pub media_server: Option<u16>,
    /// Agents currently ringing for this call.
    pub ringing: u32,
    /// The agent rung last (global index): when only one rings, releasing it
    /// needs no scan.
    pub rung_agent: u32,
    /// Local index of the agent the next ring attempt starts from.
    pub cursor: u32,
    pub direction: Direction,
    pub step: Step,
    /// When the caller started waiting for an agent (queue entry, or the
    /// start of a targeted ring): waits are measured from here.
    pub queued_at: SimTime,
    /// Targeted agent (local index) for extension/CRM steps; destination
    /// index for outbound calls.
    pub target: u32,
    /// Whether a targeted ring that fails goes on to the queue (else to
    /// voicemail).
    pub fallback_queue: bool,
    /// Outbound: the talk ends because the credit ran out.
    pub credit_cut: bool,
    /// The caller waited in the line for a free agent at some point (not
    /// only rang one): what `p_wait` counts.
    pub lined: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XferKind {
    /// The first agent hands the caller over at once and leaves.
    Blind,
    /// The first agent talks to the target first (caller on hold), then
    /// leaves.
    Attended,
}

impl XferKind {
    pub fn as_str(self) -> &'static str {
        match self {
            XferKind::Blind => "blind",
            XferKind::Attended => "attended",
        }
    }
}

/// A call's transfer: three legs (caller–transferor, transferor–target
/// consultation, caller–target), timed so each leg's talk can be accounted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Xfer {
    pub kind: XferKind,
    /// The agent transferring (global index) and the target, once chosen.
    pub from: u32,
    pub to: Option<u32>,
    /// When the transferor started the transfer (end of leg 1).
    pub started: SimTime,
    /// Consultation (attended): when the target picked up and when the
    /// transferor left.
    pub consult_from: Option<SimTime>,
    /// `TransferComplete`: caller and target joined.
    pub completed: Option<SimTime>,
    /// Talk left with the transferor if the transfer fails.
    pub remaining: SimTime,
    /// Talk of the caller with the target after completion.
    pub target_talk: SimTime,
    /// The transfer could not happen (the call carries on, or ended in the
    /// target's voicemail): why, for `transfer_failed`.
    pub failed: Option<super::record::XferFail>,
}

impl CallNet {
    /// Media is lost with no known end: the call awaits its drop.
    pub fn lost(&self) -> bool {
        self.silent_until == SimTime::MAX
    }

    /// Silence charged up to `now`: closed intervals plus the current one.
    pub fn silence_until(&self, now: SimTime) -> SimTime {
        self.gap + (self.silent_until.min(now) - self.silent_from)
    }

    /// Starts silence at `now` lasting `len` (`SimTime::MAX`: until further
    /// notice), merged with a silence still running.
    pub fn silence(&mut self, now: SimTime, len: SimTime) {
        let until = if len == SimTime::MAX {
            SimTime::MAX
        } else {
            now + len
        };
        if now < self.silent_until && self.silent_until != self.silent_from {
            self.silent_until = self.silent_until.max(until);
        } else {
            self.gap = self.gap + (self.silent_until - self.silent_from);
            self.silent_from = now;
            self.silent_until = until;
        }
    }

    /// Media flows again from `now`.
    pub fn resume(&mut self, now: SimTime) {
        self.silent_until = self.silent_until.min(now);
        self.no_path = false;
    }
}

/// A call's network state, kept beside the call table (indexed by slot) and
/// only when the scenario has a topology, so calls of plain runs stay small.
#[derive(Debug, Clone, Copy, Default)]
pub struct CallNet {
    /// Post-dial delay of the INVITE exchange.
    pub pdd: Option<SimTime>,
    /// Routing table (see `NetworkState`) the media path was chosen in.
    pub epoch: u16,
    /// Silence from failures already over (closed intervals).
    pub gap: SimTime,
    /// The current or last silence: `[silent_from, silent_until)`, where
    /// `silent_until` is `SimTime::MAX` while media is lost with no known
    /// end. Overlapping failures extend one silence instead of adding up.
    pub silent_from: SimTime,
    pub silent_until: SimTime,
    /// Media is lost because no path exists (a recovery can restore it), as
    /// opposed to a gap longer than `drop_gap_s` on a path that exists.
    pub no_path: bool,
    /// The flow counted on the links of the call's path, if it is (class,
    /// codec, bandwidth as at answer): what leaves the links at hang-up or a
    /// failure. A transfer to an agent with another codec does not change
    /// it; recomputing it then took a flow off the links that was never put
    /// on (link load below zero).
    pub carried: Option<super::network_state::Flow>,
    /// Extra random loss from links loaded beyond capacity at answer.
    pub extra_loss: f32,
    /// How much shorter the caller's own silence (agent → caller) was than
    /// the call's (either direction) over its repaired failures: each
    /// direction has its own repair verdict, `gap` is their union and what
    /// the caller hears is `gap` minus this.
    pub heard_less: SimTime,
}

struct Slot {
    gen: u32,
    call: Option<Call>,
}

/// Live calls in a slab: slots are reused, so memory follows the peak number
/// of calls in the system, not the number of calls simulated.
#[derive(Default)]
pub struct CallTable {
    slots: Vec<Slot>,
    free: Vec<u32>,
    live: usize,
}

impl CallTable {
    pub fn insert(&mut self, call: Call) -> CallRef {
        self.live += 1;
        if let Some(slot) = self.free.pop() {
            let s = &mut self.slots[slot as usize];
            s.call = Some(call);
            CallRef { slot, gen: s.gen }
        } else {
            let slot = self.slots.len() as u32;
            self.slots.push(Slot {
                gen: 0,
                call: Some(call),
            });
            CallRef { slot, gen: 0 }
        }
    }

    /// Starts loading the call's slot into the cache (see
    /// [`crate::engine::prefetch`]).
    #[inline]
    pub fn prefetch(&self, r: CallRef) {
        if let Some(s) = self.slots.get(r.slot as usize) {
            crate::engine::prefetch(s);
        }
    }

    /// The live call an event refers to, or `None` if the event is stale.
    pub fn get(&self, r: CallRef) -> Option<&Call> {
        let s = self.slots.get(r.slot as usize)?;
        if s.gen == r.gen {
            s.call.as_ref()
        } else {
            None
        }
    }

    pub fn get_mut(&mut self, r: CallRef) -> Option<&mut Call> {
        let s = self.slots.get_mut(r.slot as usize)?;
        if s.gen == r.gen {
            s.call.as_mut()
        } else {
            None
        }
    }

    pub fn remove(&mut self, r: CallRef) -> Option<Call> {
        let s = self.slots.get_mut(r.slot as usize)?;
        if s.gen != r.gen {
            return None;
        }
        let call = s.call.take()?;
        s.gen = s.gen.wrapping_add(1);
        self.free.push(r.slot);
        self.live -= 1;
        Some(call)
    }

    pub fn live(&self) -> usize {
        self.live
    }

    /// References to every live call, in slot order (deterministic).
    pub fn live_refs(&self) -> Vec<CallRef> {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.call.is_some())
            .map(|(i, s)| CallRef {
                slot: i as u32,
                gen: s.gen,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(id: u64) -> Call {
        Call {
            id,
            portal: 0,
            arrival: SimTime::ZERO,
            state: CallState::Waiting,
            answer: None,
            agent: None,
            server: None,
            media_server: None,
            ringing: 0,
            rung_agent: 0,
            cursor: 0,
            direction: Direction::Inbound,
            step: Step::Queue,
            queued_at: SimTime::ZERO,
            target: 0,
            fallback_queue: false,
            credit_cut: false,
            lined: false,
        }
    }

    #[test]
    fn stale_references_do_not_reach_a_reused_slot() {
        let mut t = CallTable::default();
        let a = t.insert(call(1));
        assert_eq!(t.remove(a).unwrap().id, 1);
        let b = t.insert(call(2));
        assert_eq!(a.slot, b.slot);
        assert!(t.get(a).is_none());
        assert!(t.remove(a).is_none());
        assert_eq!(t.get(b).unwrap().id, 2);
        assert_eq!(t.live(), 1);
        assert_eq!(t.live_refs(), vec![b]);
    }
}
