//! Calls placed by agents: a Poisson stream per portal during worktime,
//! taken by a free agent when nobody is waiting in the queue, checked
//! against the balance, rung, talked and billed per tariff.

use rand::Rng;

use crate::engine::{EventQueue, SimTime};
use crate::model::agents::AgentState;
use crate::model::call::{Call, CallState, Direction, Step};
use crate::model::event::{CallRef, Event};
use crate::model::record::{CallRecord, Outcome, RecordSink};

use super::Platform;
use crate::model::routing::CURSOR_UNSET;

impl<S: RecordSink> Platform<'_, S> {
    pub(super) fn schedule_next_outbound(
        &mut self,
        p: usize,
        now: SimTime,
        q: &mut EventQueue<Event>,
    ) {
        let spec = &self.m.portals[p];
        let Some(o) = &spec.outbound else {
            return;
        };
        let rate = o.per_agent_s * spec.agent_names.len() as f64;
        if rate <= 0.0 {
            return;
        }
        let u: f64 = self.portals[p].rng_outbound.gen();
        // At least a microsecond later: the clock must move.
        let at = now + SimTime::from_secs_f64(-(1.0 - u).ln() / rate).max(SimTime(1));
        if at < self.m.duration {
            q.schedule_at(at, Event::OutboundAttempt { portal: p as u16 });
        }
    }

    /// An agent of portal `p` wants to dial out. Only while the portal is
    /// open, only a free agent, and only when no caller is waiting (agents
    /// serve the queue first).
    pub(super) fn on_outbound_attempt(
        &mut self,
        now: SimTime,
        p: usize,
        q: &mut EventQueue<Event>,
    ) {
        self.schedule_next_outbound(p, now, q);
        let spec = &self.m.portals[p];
        let o = spec.outbound.as_ref().expect("attempts need outbound");
        let pool = self.agents.pool(p);
        if !spec.steps.calendar.is_open(now) || pool.free == 0 || self.routing.waiting(p) > 0 {
            return;
        }
        let pr = &mut self.portals[p];
        let n = pool.len();
        let start = pr.rng_outbound.gen_range(0..n);
        let Some(local) = pool.find_free_from(start) else {
            return;
        };
        let u: f64 = pr.rng_outbound.gen();
        let dest = o
            .cumulative
            .iter()
            .position(|&c| u < c)
            .unwrap_or(o.cumulative.len() - 1);
        let agent = self.agents.base(p) + local;
        let id = self.callers.new_call_id();
        let server = if o.via_pbx {
            None
        } else {
            self.pick_server(now, &spec.servers)
        };
        let blocked = !o.via_pbx && !spec.servers.is_empty() && server.is_none();
        let c = self.calls.insert(Call {
            id,
            portal: p as u16,
            arrival: now,
            state: CallState::Steps,
            answer: None,
            agent: Some(agent),
            server,
            media_server: None,
            ringing: 0,
            rung_agent: agent,
            cursor: CURSOR_UNSET,
            direction: Direction::Outbound,
            step: Step::Provision,
            queued_at: now,
            target: dest as u32,
            fallback_queue: false,
            credit_cut: false,
            lined: false,
        });
        self.peak_calls = self.peak_calls.max(self.calls.live());
        if self.net.is_some() {
            let slot = c.slot as usize;
            if self.call_net.len() <= slot {
                self.call_net.resize(slot + 1, Default::default());
            }
            self.call_net[slot] = Default::default();
        }
        let to = AgentState::Talking(c);
        self.inv.agent(now, agent, AgentState::Free, to);
        self.agents.portals[p].pool.set_state(local, to);
        self.busy_inc(now, p);
        let np = self.portals.len();
        self.in_system[0].inc(now);
        self.in_system[1 + p].inc(now);
        if let Some(s) = server {
            self.servers[s as usize].accept(now);
            self.in_system[1 + np + s as usize].inc(now);
        }
        if self.trace.is_some() {
            let d = &o.destinations[dest];
            let who = &spec.agent_names[local as usize];
            let (dialled, digits, sent) = (d.dialled.clone(), d.digits.clone(), d.sent.clone());
            let prefix = d.prefix.clone();
            self.trace_call(now, c, || {
                format!("outbound call by {who}: dialled '{dialled}' → normalised {digits} → sent to trunk as {sent} (tariff prefix '{prefix}')")
            });
        }
        if blocked {
            self.end_in_steps(now, c, Outcome::Blocked, q);
            return;
        }
        self.advance(now, c, q);
    }

    /// The balance was checked: refuse at zero, else ring the other side.
    pub(super) fn outbound_dial(&mut self, now: SimTime, c: CallRef, q: &mut EventQueue<Event>) {
        let call = *self.calls.get(c).expect("live");
        let p = call.portal as usize;
        let o = self.m.portals[p].outbound.as_ref().expect("outbound call");
        let pr = &mut self.portals[p];
        // Refused at zero balance; with `cut_on_zero`, also when the money
        // not held by running calls would not pay for the connection and
        // one billing increment.
        let rate = o.destinations[call.target as usize].rate;
        let wallet = self.money.wallet(p);
        let broke = wallet.is_empty()
            || (self.m.portals[p].money.cut_on_zero
                && rate.affordable(wallet.available()) == Some(SimTime::ZERO));
        if broke {
            let balance = crate::money::format_minor(wallet.balance);
            self.trace_call(now, c, || {
                format!("refused: balance {balance} (402 Payment Required)")
            });
            self.end_in_steps(now, c, Outcome::RejectedBalance, q);
            return;
        }
        let ring = o.ring.sample(&mut pr.rng_outbound);
        let answers = pr.rng_outbound.gen::<f64>() < o.answer_prob;
        let k = self.calls.get_mut(c).expect("live");
        k.step = if answers {
            Step::Answer
        } else {
            Step::Unanswered
        };
        q.schedule_in(ring, Event::Step(c));
    }

    /// The other side picked up: talk, cut short when the credit runs out
    /// if the portal says so.
    pub(super) fn outbound_answer(&mut self, now: SimTime, c: CallRef, q: &mut EventQueue<Event>) {
        let call = *self.calls.get(c).expect("live");
        let p = call.portal as usize;
        let spec = &self.m.portals[p];
        let o = spec.outbound.as_ref().expect("outbound call");
        let pr = &mut self.portals[p];
        let mut talk = o.talk.sample(&mut pr.rng_outbound);
        let mut cut = false;
        if spec.money.cut_on_zero {
            // Prepaid billing: the talk this call may have is what the
            // balance pays for after the credit running calls hold, and it
            // holds that much itself until it hangs up (settled in `finish`).
            let rate = o.destinations[call.target as usize].rate;
            let affordable = rate.affordable(self.money.wallet(p).available());
            if affordable == Some(SimTime::ZERO) {
                // Other calls spent or hold the credit while this one rang:
                // the platform cancels it rather than connect it for nothing.
                self.trace_call(now, c, || {
                    "credit gone while ringing: cancelled (402 Payment Required)".into()
                });
                self.end_in_steps(now, c, Outcome::RejectedBalance, q);
                return;
            }
            if let Some(max) = affordable {
                if max < talk {
                    talk = max;
                    cut = true;
                }
                let held = rate.charge(talk);
                self.money.reserve(c.slot, p, held);
            }
        }
        let k = self.calls.get_mut(c).expect("live");
        k.answer = Some(now);
        k.state = CallState::Talking;
        k.step = Step::Done;
        k.credit_cut = cut;
        self.trace_call(now, c, || "connected (200 OK)".into());
        q.schedule_in(talk, Event::TalkEnd(c));
    }

    pub(super) fn emit_outbound(&mut self, rec: &CallRecord) {
        let p = rec.portal as usize;
        let o = &mut self.portals[p].outbound;
        o.calls += 1;
        match rec.outcome {
            Outcome::Answered | Outcome::CreditEnded => {
                o.answered += 1;
                o.talk_us += rec.talk().unwrap_or_default().micros();
                if rec.outcome == Outcome::CreditEnded {
                    o.credit_ended += 1;
                }
            }
            Outcome::RejectedBalance => o.rejected_balance += 1,
            _ => {}
        }
        let iv = &mut self.iv[1 + p];
        iv.outbound += 1;
        iv.rejected_balance += (rec.outcome == Outcome::RejectedBalance) as u32;
        self.sink.call_finished(rec);
    }
}
