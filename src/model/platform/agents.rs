//! The dispatcher's side of the agents actor: an agent's conversation
//! ends (wrap-up) and the agent comes free (and is offered to the line).

use crate::engine::{EventQueue, SimTime};
use crate::model::agents::AgentState;
use crate::model::event::Event;
use crate::model::record::RecordSink;

use super::Platform;

impl<S: RecordSink> Platform<'_, S> {
    /// The agent's conversation is over: wrap-up, then free.
    #[inline(always)]
    pub(super) fn agent_wrapup(
        &mut self,
        now: SimTime,
        p: usize,
        agent: u32,
        q: &mut EventQueue<Event>,
    ) {
        let wrapup = self.agents.draw_wrapup(&self.m.portals[p], p);
        if wrapup == SimTime::ZERO {
            self.agent_free_in(now, p, agent, q);
        } else {
            self.agents.set(p, agent, AgentState::Wrapup);
            q.schedule_in(wrapup, Event::WrapupEnd { agent });
        }
    }

    pub(super) fn agent_free(&mut self, now: SimTime, agent: u32, q: &mut EventQueue<Event>) {
        let p = self.agents.portal_of(agent);
        self.agent_free_in(now, p, agent, q);
    }

    /// `agent_free` where the agent's portal `p` is known (no look-up).
    #[inline(always)]
    fn agent_free_in(&mut self, now: SimTime, p: usize, agent: u32, q: &mut EventQueue<Event>) {
        debug_assert!(self.agents.state(p, agent) != AgentState::Free);
        self.agents.set(p, agent, AgentState::Free);
        self.busy_dec(now, p);
        if !self.phones.is_empty() && !self.phone_ready(p, agent) {
            return;
        }
        self.dispatch(now, p, Some(agent), q);
    }
}
