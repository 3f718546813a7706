//! The dispatcher's side of routing: a call joins the line, the agents
//! [`Routing::pick`] chose are rung, ring rounds end, and freed agents are
//! handed to waiting calls. Whom to ring is routing's decision
//! (`model/routing`); the agents' states are the agents actor's
//! (`model/agents`); this file only sequences them with the call table,
//! the levels and the trace.
//!
//! [`Routing::pick`]: crate::model::routing::Routing::pick

use crate::engine::{EventQueue, SimTime};
use crate::model::agents::{plan_ring, AgentState, RingPlan};
use crate::model::call::{CallState, Step};
use crate::model::event::{CallRef, Event};
use crate::model::record::{Outcome, RecordSink};
use crate::model::routing::Pick;
use crate::model::spec::NoAnswerRule;

use super::Platform;

impl<S: RecordSink> Platform<'_, S> {
    /// The caller joins the portal's queue: patience and the queue's time
    /// limit start now, and a free agent is rung at once.
    #[inline(always)]
    pub(super) fn enter_queue(&mut self, now: SimTime, c: CallRef, q: &mut EventQueue<Event>) {
        let Some(call) = self.calls.get_mut(c) else {
            return;
        };
        call.state = CallState::Waiting;
        call.queued_at = now;
        let p = call.portal as usize;
        let spec = &self.m.portals[p];
        if let Some(d) = self.callers.patience_in_queue(spec, p) {
            q.schedule_in(d, Event::Patience(c));
        }
        if let Some(max_wait) = spec.max_wait {
            q.schedule_in(max_wait, Event::MaxWait(c));
        }

        if self.routing.waiting(p) == 0 && self.agents.pool(p).free > 0 {
            self.try_ring(now, c, None, q);
        } else {
            if self.trace.is_some() {
                let ahead = self.routing.waiting(p);
                self.trace_call(now, c, || {
                    format!("queue: all agents busy, {ahead} caller(s) ahead; hold music")
                });
            }
            self.routing.lines[p].push_back(c);
            self.calls.get_mut(c).expect("live").lined = true;
            self.waiting_inc(now, p);
        }
    }

    /// Rings agent(s) for a call that is not in the line; at least one agent
    /// of its portal must be free. `hint` is an agent known to be free (the
    /// one that just became free), which spares a scan.
    pub(super) fn try_ring(
        &mut self,
        now: SimTime,
        c: CallRef,
        hint: Option<u32>,
        q: &mut EventQueue<Event>,
    ) {
        // Two fields, not a copy of the whole call: this runs for every call.
        let Some((portal, cursor)) = self.calls.get(c).map(|k| (k.portal, k.cursor)) else {
            return;
        };
        let p = portal as usize;
        let m = self.m;
        let spec = &m.portals[p];
        let pa = &self.agents.portals[p];
        let hint = hint.map(|g| g - pa.base);
        match self.routing.pick(p, spec.policy, cursor, hint, &pa.pool) {
            Pick::All => {
                // Collected first: ringing changes the free set being walked.
                let mut scratch = std::mem::take(&mut self.scratch);
                scratch.clear();
                scratch.extend(pa.pool.free_agents());
                let pa = &mut self.agents.portals[p];
                let plan = plan_ring(spec, pa, &mut self.inv, now, c, &scratch);
                self.scratch = scratch;
                self.start_ringing(now, c, p, plan, cursor, q);
            }
            Pick::One { local, cursor } => {
                if pa.answers_at_once && self.trace.is_none() {
                    self.connect_at_once(now, c, p, local, cursor, q);
                } else {
                    self.ring_agents(now, c, p, &[local], cursor, q);
                }
            }
            Pick::Nobody => {}
        }
    }

    /// Rings one free agent who answers at once: the same as `ring_agents`
    /// followed by an answer at this instant (neither draws a random number
    /// when the answer is certain and immediate), without passing through
    /// the ringing state. Most capacity models (and every Erlang C check)
    /// take this path for every call.
    #[inline]
    pub(super) fn connect_at_once(
        &mut self,
        now: SimTime,
        c: CallRef,
        p: usize,
        local: u32,
        cursor: u32,
        q: &mut EventQueue<Event>,
    ) {
        self.busy_inc(now, p);
        let agent = self.agents.base(p) + local;
        let call = self.calls.get_mut(c).expect("checked by try_ring");
        call.ringing = 0;
        call.rung_agent = agent;
        call.cursor = cursor;
        self.answer(now, c, agent, q);
    }

    /// Rings `agents` (local indices, all free) for call `c`; `cursor` is
    /// where the next ring round starts.
    pub(super) fn ring_agents(
        &mut self,
        now: SimTime,
        c: CallRef,
        p: usize,
        agents: &[u32],
        cursor: u32,
        q: &mut EventQueue<Event>,
    ) {
        let plan = plan_ring(
            &self.m.portals[p],
            &mut self.agents.portals[p],
            &mut self.inv,
            now,
            c,
            agents,
        );
        self.start_ringing(now, c, p, plan, cursor, q);
    }

    #[inline(always)]
    pub(super) fn start_ringing(
        &mut self,
        now: SimTime,
        c: CallRef,
        p: usize,
        plan: RingPlan,
        cursor: u32,
        q: &mut EventQueue<Event>,
    ) {
        if plan.rung == 0 {
            return;
        }
        let base = self.agents.base(p);
        for _ in 0..plan.rung {
            self.busy_inc(now, p);
        }
        if self.trace.is_some() {
            let names = &self.m.portals[p].agent_names;
            let who = if plan.rung == 1 {
                names[plan.last_rung as usize].clone()
            } else {
                format!("{} agents at once", plan.rung)
            };
            let ring_s = self.m.portals[p].ring_time.as_secs_f64();
            self.trace_call(now, c, || {
                format!("invite to {who} (ring time {ring_s:.0} s)")
            });
        }
        let call = self.calls.get_mut(c).expect("checked above");
        call.state = CallState::Ringing;
        call.ringing = plan.rung;
        call.rung_agent = base + plan.last_rung;
        call.cursor = cursor;
        match plan.best {
            Some((delay, local)) if delay == SimTime::ZERO => self.answer(now, c, base + local, q),
            Some((delay, local)) => q.schedule_in(
                delay,
                Event::RingAnswer {
                    call: c,
                    agent: base + local,
                },
            ),
            None => q.schedule_in(self.m.portals[p].ring_time, Event::RingTimeout(c)),
        }
    }

    /// Frees every agent still ringing for `c` except `keep`.
    pub(super) fn release_ringing(
        &mut self,
        now: SimTime,
        c: CallRef,
        p: usize,
        keep: Option<u32>,
    ) {
        let Some(call) = self.calls.get_mut(c) else {
            return;
        };
        let remaining = call.ringing;
        call.ringing = 0;
        if remaining == 0 {
            return;
        }
        let pa = &mut self.agents.portals[p];
        if remaining == 1 {
            // The common case (Evenly, Strictly): no scan.
            if keep != Some(call.rung_agent) {
                pa.pool
                    .set_state(call.rung_agent - pa.base, AgentState::Free);
                self.busy_dec(now, p);
            }
            return;
        }
        let keep_local = keep.map(|g| g - pa.base);
        let mut ringing = std::mem::take(&mut self.scratch);
        ringing.clear();
        ringing.extend(pa.pool.ringing_for(c));
        let mut freed = 0;
        for &local in &ringing {
            if Some(local) != keep_local {
                pa.pool.set_state(local, AgentState::Free);
                freed += 1;
            }
        }
        self.scratch = ringing;
        for _ in 0..freed {
            self.busy_dec(now, p);
        }
    }

    pub(super) fn on_ring_answer(
        &mut self,
        now: SimTime,
        c: CallRef,
        agent: u32,
        q: &mut EventQueue<Event>,
    ) {
        match self.calls.get(c) {
            Some(call) if call.state == CallState::Ringing => self.answer(now, c, agent, q),
            _ => {} // the caller left meanwhile; agents were released then
        }
    }

    pub(super) fn on_ring_timeout(&mut self, now: SimTime, c: CallRef, q: &mut EventQueue<Event>) {
        let (p, step) = match self.calls.get(c) {
            Some(call) if call.state == CallState::Ringing => (call.portal as usize, call.step),
            _ => return,
        };
        self.release_ringing(now, c, p, None);
        self.trace_call(now, c, || "no answer within the ring time".into());
        if step == Step::Target {
            self.target_failed(now, c, q);
            self.dispatch(now, p, None, q);
            return;
        }
        self.calls.get_mut(c).expect("live").state = CallState::Waiting;
        if self.agents.pool(p).free > 0 {
            self.try_ring(now, c, None, q);
        } else {
            self.routing.lines[p].push_front(c);
            self.calls.get_mut(c).expect("live").lined = true;
            self.waiting_inc(now, p);
        }
        self.dispatch(now, p, None, q);
    }

    pub(super) fn on_max_wait(&mut self, now: SimTime, c: CallRef, q: &mut EventQueue<Event>) {
        let Some(call) = self.calls.get(c) else {
            return;
        };
        let outcome = match self.m.portals[call.portal as usize].no_answer {
            NoAnswerRule::Voicemail => Outcome::Voicemail,
            NoAnswerRule::Forward(_) => Outcome::Forwarded,
            NoAnswerRule::Hangup => Outcome::NoAnswer,
        };
        self.leave_unanswered(now, c, outcome, q);
    }

    /// Gives free agents to waiting calls, head of the line first, until one
    /// side runs out.
    #[inline(always)]
    pub(super) fn dispatch(
        &mut self,
        now: SimTime,
        p: usize,
        hint: Option<u32>,
        q: &mut EventQueue<Event>,
    ) {
        // Most agents come free with nobody waiting: no call for that.
        let line = &mut self.routing.lines[p];
        if line.waiting == 0 {
            line.clear_line();
            return;
        }
        self.dispatch_waiting(now, p, hint, q);
    }

    pub(super) fn dispatch_waiting(
        &mut self,
        now: SimTime,
        p: usize,
        mut hint: Option<u32>,
        q: &mut EventQueue<Event>,
    ) {
        while self.agents.pool(p).free > 0 {
            let calls = &self.calls;
            let next = self.routing.lines[p]
                .pop_waiting(|c| calls.get(c).is_some_and(|k| k.state == CallState::Waiting));
            let Some(c) = next else { break };
            self.waiting_dec(now, p);
            self.try_ring(now, c, hint.take(), q);
        }
    }
}
