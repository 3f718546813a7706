/// A call slot plus the generation it had when the event was scheduled.
/// Events are never removed from the queue; an event whose generation no
/// longer matches the slot's is stale and ignored (lazy cancellation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallRef {
    pub slot: u32,
    pub gen: u32,
}

/// Everything that can happen in the platform. Small and `Copy` (16 bytes) so
/// the event queue stores events inline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The next inbound call of a portal arrives.
    Arrival {
        portal: u16,
    },
    /// The caller runs out of patience and hangs up, unless answered by now.
    Patience(CallRef),
    /// The queue's `max_wait_s` expires: the no-answer rule applies.
    MaxWait(CallRef),
    /// One of the agents ringing for the call picks up.
    RingAnswer {
        call: CallRef,
        agent: u32,
    },
    /// Nobody picked up within `ring_time_s`.
    RingTimeout(CallRef),
    TalkEnd(CallRef),
    WrapupEnd {
        agent: u32,
    },
    IntervalTick,
    WarmupEnd,
    /// `duration_s` reached: no more arrivals, statistics windows close.
    ArrivalsClose,
    /// Calls still in the system now are closed as `unfinished`.
    DrainLimit,
    /// The scenario's timed event number i (failure or recovery).
    Network(u16),
    /// Media has been gone for `drop_gap_s`: the call is dropped.
    MediaDrop(CallRef),
    /// Give a portal's free agents to its waiting calls (deferred from a
    /// ring-all answer that released agents).
    Dispatch {
        portal: u16,
    },
    /// The call's current scenario step is over (a controller answer came,
    /// the greeting ended…): go on to the next.
    Step(CallRef),
    /// An agent of the portal may place an outbound call.
    OutboundAttempt {
        portal: u16,
    },
    /// A reminder is due while the portal's balance stays low.
    AlertRepeat {
        portal: u16,
    },
    /// The portal owner's payment arrives.
    TopUp {
        portal: u16,
    },
    /// Number rent is charged (every 30 days).
    MonthlyFees,
    /// Call-scenario version number i of the controller's rollouts is out.
    Rollout(u16),
    /// The eager rollout upgrades its next account.
    EagerUpgrade,
    /// A portal UI asks the controller for the balance.
    BalancePoll,
    /// The agent talking to the caller starts a transfer.
    TransferStart(CallRef),
    /// The transfer target picks up.
    TransferAnswer(CallRef),
    /// The transfer target did not pick up within the ring time.
    TransferTimeout(CallRef),
    /// Attended transfer: the consultation ends, the transferor leaves.
    ConsultEnd(CallRef),
    /// An agent's SIP phone (re-)registers; `gen` drops superseded attempts.
    Register {
        agent: u32,
        gen: u32,
    },
}

#[cfg(test)]
mod tests {
    #[test]
    fn events_stay_small() {
        assert!(std::mem::size_of::<super::Event>() <= 16);
    }
}
