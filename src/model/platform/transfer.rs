//! Transfers of answered incoming calls: the agent talking (transferor)
//! hands the caller (transferee) to another agent (target). Blind: the
//! transferor leaves at once and the target rings. Attended: the transferor
//! rings the target and consults while the caller holds, then leaves. Either
//! way the provider joins caller and target and every leg sees
//! `TransferComplete`; an unanswered target returns the caller to the
//! transferor (attended) or to voicemail (blind).

use rand::Rng;

use crate::engine::{EventQueue, SimTime};
use crate::model::agents::AgentState;
use crate::model::call::{CallState, Xfer, XferKind};
use crate::model::event::{CallRef, Event};
use crate::model::record::{Outcome, RecordSink, TransferRecord, XferFail};

use super::Platform;

impl<'m, S: RecordSink> Platform<'m, S> {
    /// Schedules the end of a just-answered inbound call's first leg: its
    /// hang-up, or the start of a transfer before it.
    pub(super) fn schedule_talk(
        &mut self,
        c: CallRef,
        p: usize,
        agent: u32,
        talk: SimTime,
        q: &mut EventQueue<Event>,
    ) {
        let Some(t) = &self.m.portals[p].transfers else {
            q.schedule_in(talk, Event::TalkEnd(c));
            return;
        };
        let pr = &mut self.portals[p];
        let transfers = t.share > 0.0 && pr.rng_steps.gen::<f64>() < t.share;
        let after = t.after.sample(&mut pr.rng_steps);
        if !transfers {
            q.schedule_in(talk, Event::TalkEnd(c));
            return;
        }
        if after >= talk {
            // The conversation is over before the transfer was due.
            self.set_xfer(c, Some(failed_xfer(agent, XferFail::ShortTalk)));
            q.schedule_in(talk, Event::TalkEnd(c));
            return;
        }
        let kind = if pr.rng_steps.gen::<f64>() < t.attended_share {
            XferKind::Attended
        } else {
            XferKind::Blind
        };
        let target_talk = t.target_talk.sample(&mut pr.rng_steps);
        self.set_xfer(
            c,
            Some(Xfer {
                kind,
                from: agent,
                to: None,
                started: SimTime::ZERO,
                consult_from: None,
                completed: None,
                remaining: talk - after,
                target_talk,
                failed: None,
            }),
        );
        q.schedule_in(after, Event::TransferStart(c));
    }

    pub(super) fn on_transfer_start(
        &mut self,
        now: SimTime,
        c: CallRef,
        q: &mut EventQueue<Event>,
    ) {
        let Some(call) = self.calls.get(c).copied() else {
            return;
        };
        let (Some(mut x), CallState::Talking) = (self.xfer(c), call.state) else {
            return;
        };
        let p = call.portal as usize;
        x.started = now;
        let pool = self.agents.pool(p);
        let n = pool.len();
        let start = self.portals[p].rng_steps.gen_range(0..n);
        let target = pool.find_free_from(start);
        let Some(local) = target else {
            // Nobody free to take the caller: the transferor carries on.
            self.trace_call(now, c, || {
                "transfer: no free agent to transfer to, caller stays".into()
            });
            self.set_xfer(c, Some(failed_xfer(x.from, XferFail::NoFreeAgent)));
            q.schedule_in(x.remaining, Event::TalkEnd(c));
            return;
        };
        let to = self.agents.base(p) + local;
        x.to = Some(to);
        self.inv
            .agent(now, to, self.agents.state(p, to), AgentState::Ringing(c));
        self.agents.set(p, to, AgentState::Ringing(c));
        self.busy_inc(now, p);
        let (answers, delay) = self.agents.draw_pickup(&self.m.portals[p], p);
        let (from_name, to_name) = (self.agent_name(x.from), self.agent_name(to));
        let kind = x.kind;
        self.trace_call(now, c, || {
            let article = if kind == XferKind::Attended {
                "an"
            } else {
                "a"
            };
            format!(
                "{from_name} starts {article} {} transfer to {to_name} (REFER); {to_name} rings",
                kind.as_str()
            )
        });
        self.set_xfer(c, Some(x));
        if kind == XferKind::Blind {
            // The transferor leaves now: wrap-up, then free.
            self.agent_wrapup(now, p, x.from, q);
        }
        let ring_time = self.m.portals[p].ring_time;
        if answers && delay < ring_time {
            q.schedule_in(delay, Event::TransferAnswer(c));
        } else {
            q.schedule_in(ring_time, Event::TransferTimeout(c));
        }
    }

    pub(super) fn on_transfer_answer(
        &mut self,
        now: SimTime,
        c: CallRef,
        q: &mut EventQueue<Event>,
    ) {
        let Some((call, mut x)) = self.live_xfer(c) else {
            return;
        };
        let Some(to) = x.to else {
            return;
        };
        let p = call.portal as usize;
        let local = to - self.agents.base(p);
        self.agents.portals[p]
            .pool
            .set_state(local, AgentState::Talking(c));
        match x.kind {
            XferKind::Blind => self.complete_transfer(now, c, x, q),
            XferKind::Attended => {
                x.consult_from = Some(now);
                let t = self.m.portals[p].transfers.as_ref().expect("transfers");
                let consult = t.consult.sample(&mut self.portals[p].rng_steps);
                self.set_xfer(c, Some(x));
                let to_name = self.agent_name(to);
                self.trace_call(now, c, || {
                    format!("{to_name} answers the consultation; caller on hold")
                });
                q.schedule_in(consult, Event::ConsultEnd(c));
            }
        }
    }

    pub(super) fn on_consult_end(&mut self, now: SimTime, c: CallRef, q: &mut EventQueue<Event>) {
        let Some((call, x)) = self.live_xfer(c) else {
            return;
        };
        let p = call.portal as usize;
        self.agent_wrapup(now, p, x.from, q);
        self.complete_transfer(now, c, x, q);
    }

    /// `TransferComplete`: the caller now talks with the target.
    fn complete_transfer(
        &mut self,
        now: SimTime,
        c: CallRef,
        mut x: Xfer,
        q: &mut EventQueue<Event>,
    ) {
        x.completed = Some(now);
        let to = x.to.expect("a target answered");
        self.set_xfer(c, Some(x));
        self.calls.get_mut(c).expect("live").agent = Some(to);
        let (from, to_name) = (self.agent_name(x.from), self.agent_name(to));
        self.trace_call(now, c, || {
            format!("TransferComplete (NOTIFY 200) to caller, {from} and {to_name}: caller now with {to_name}")
        });
        q.schedule_in(x.target_talk, Event::TalkEnd(c));
    }

    pub(super) fn on_transfer_timeout(
        &mut self,
        now: SimTime,
        c: CallRef,
        q: &mut EventQueue<Event>,
    ) {
        let Some((call, x)) = self.live_xfer(c) else {
            return;
        };
        let (Some(to), None) = (x.to, x.consult_from) else {
            return;
        };
        let p = call.portal as usize;
        let local = to - self.agents.base(p);
        self.agents.portals[p]
            .pool
            .set_state(local, AgentState::Free);
        self.busy_dec(now, p);
        let to_name = self.agent_name(to);
        match x.kind {
            XferKind::Attended => {
                // Back to the transferor, who is still on the line.
                self.trace_call(now, c, || format!("{to_name} does not answer: transfer cancelled, caller back with the transferor"));
                self.set_xfer(c, Some(failed_xfer(x.from, XferFail::NoAnswer)));
                q.schedule_in(x.remaining, Event::TalkEnd(c));
            }
            XferKind::Blind => {
                self.trace_call(now, c, || {
                    format!("{to_name} does not answer: caller to voicemail")
                });
                // The transferor has left; the call ends in the target's
                // voicemail (answered by the transferor, transfer to the
                // target with no third leg).
                self.set_xfer(
                    c,
                    Some(Xfer {
                        failed: Some(XferFail::NoAnswer),
                        ..x
                    }),
                );
                self.finish(now, c, Outcome::Voicemail);
            }
        }
        self.dispatch(now, p, None, q);
    }

    /// A call ending mid-transfer (a failure, the drain) frees a target who
    /// is still ringing or consulting, and a transferor still consulting.
    pub(super) fn release_transfer(
        &mut self,
        now: SimTime,
        c: CallRef,
        ending_agent: u32,
        q: &mut EventQueue<Event>,
    ) {
        let Some((call, x)) = self.live_xfer(c) else {
            return;
        };
        if x.completed.is_some() {
            return;
        }
        let p = call.portal as usize;
        if let Some(to) = x.to.filter(|&t| t != ending_agent) {
            let local = to - self.agents.base(p);
            if matches!(self.agents.portals[p].pool.state(local), AgentState::Ringing(k) | AgentState::Talking(k) if k == c)
            {
                self.agents.portals[p]
                    .pool
                    .set_state(local, AgentState::Free);
                self.busy_dec(now, p);
                self.deferred
                    .push((now, Event::Dispatch { portal: p as u16 }));
            }
        }
        if x.kind == XferKind::Attended && x.from != ending_agent && x.to.is_some() {
            // Still consulting: the transferor is on this call too.
            let local = x.from - self.agents.base(p);
            if matches!(self.agents.portals[p].pool.state(local), AgentState::Talking(k) if k == c)
            {
                self.agent_wrapup(now, p, x.from, q);
            }
        }
    }

    /// A live call and its transfer, for the transfer's events.
    fn live_xfer(&self, c: CallRef) -> Option<(crate::model::call::Call, Xfer)> {
        Some((*self.calls.get(c)?, self.xfer(c)?))
    }

    /// The transfer of call `c`, kept in a side table by slot (only with
    /// transfers) so that calls stay small for the common path.
    pub(super) fn xfer(&self, c: CallRef) -> Option<Xfer> {
        self.xfers.get(c.slot as usize).copied().flatten()
    }

    pub(super) fn set_xfer(&mut self, c: CallRef, x: Option<Xfer>) {
        let slot = c.slot as usize;
        if self.xfers.len() <= slot {
            self.xfers.resize(slot + 1, None);
        }
        self.xfers[slot] = x;
    }

    /// Takes the transfer of a call leaving the system (its slot is reused).
    pub(super) fn take_xfer(&mut self, c: CallRef) -> Option<Xfer> {
        self.xfers.get_mut(c.slot as usize).and_then(Option::take)
    }

    pub(super) fn transfer_record(
        &self,
        call: &crate::model::call::Call,
        xfer: Option<Xfer>,
        now: SimTime,
    ) -> Option<TransferRecord> {
        let x = xfer?;
        let to = x.to?;
        let answer = call.answer?;
        let completed = x.completed.unwrap_or(now);
        Some(TransferRecord {
            kind: x.kind,
            to,
            leg1: x.started.min(now) - answer,
            consult: x
                .consult_from
                .map_or(SimTime::ZERO, |f| completed.min(now) - f),
            leg3: x.completed.map_or(SimTime::ZERO, |done| now - done),
        })
    }

    pub(super) fn agent_name(&self, agent: u32) -> &'m str {
        let p = self.agents.portal_of(agent);
        let m: &'m crate::model::Model = self.m;
        let spec = &m.portals[p];
        &spec.agent_names[(agent - spec.first_agent) as usize]
    }
}

/// The record of a transfer that did not happen: no target, so the call
/// carries on as untransferred (its transfer events find nothing to do) and
/// leaves only the reason in its record.
fn failed_xfer(from: u32, why: XferFail) -> Xfer {
    Xfer {
        kind: XferKind::Blind,
        from,
        to: None,
        started: SimTime::ZERO,
        consult_from: None,
        completed: None,
        remaining: SimTime::ZERO,
        target_talk: SimTime::ZERO,
        failed: Some(why),
    }
}
