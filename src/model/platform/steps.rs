//! The provider's incoming call scenario before the queue (DESIGN §1):
//! account provisioning, settings look-up, call-scenario upgrade,
//! blacklist, worktime, greeting, extension code, CRM rule. Each step costs
//! simulated time the way the provider's scenario does; controller steps
//! wait for the controller's answer.

use rand::Rng;

use crate::engine::{EventQueue, SimTime};
use crate::model::agents::AgentState;
use crate::model::call::{CallState, Direction, Step};
use crate::model::controller::{Reply, Request};
use crate::model::event::{CallRef, Event};
use crate::model::record::{Outcome, RecordSink};
use crate::scenario::types::{AfterHours, Fallback};

use super::Platform;

/// What a controller step decided.
enum Wait {
    /// Nothing to wait for: go on now.
    Go,
    /// Come back at this time.
    Until(SimTime),
    /// The controller did not answer in time: the call fails then.
    Fail(SimTime),
}

impl<S: RecordSink> Platform<'_, S> {
    /// Runs the call's steps from its current one until one takes time (an
    /// event is scheduled to come back) or the call ends or reaches an agent.
    pub(super) fn advance(&mut self, now: SimTime, c: CallRef, q: &mut EventQueue<Event>) {
        loop {
            let Some(call) = self.calls.get(c) else {
                return;
            };
            let (p, step, dir) = (call.portal as usize, call.step, call.direction);
            let next = match step {
                Step::Provision | Step::Lookup | Step::Upgrade | Step::Balance => {
                    match self.controller_step(now, c, p, step) {
                        Wait::Go => None,
                        Wait::Until(t) => Some(t),
                        Wait::Fail(t) => {
                            // The caller hears nothing until the client
                            // gives up, then the call fails.
                            self.set_step(c, Step::Failing);
                            self.trace_at(t, c, || {
                                "controller did not answer in time: call fails".into()
                            });
                            q.schedule_at(t, Event::Step(c));
                            return;
                        }
                    }
                }
                Step::Blacklist => {
                    let share = self.m.portals[p].steps.blacklist_share;
                    if share > 0.0 && self.portals[p].rng_steps.gen::<f64>() < share {
                        self.trace_call(now, c, || "caller is on the blacklist: rejected".into());
                        self.end_in_steps(now, c, Outcome::Blacklisted, q);
                        return;
                    }
                    None
                }
                Step::Worktime => match &self.m.portals[p].steps.after_hours {
                    Some((_, length)) if !self.m.portals[p].steps.calendar.is_open(now) => {
                        let d = length.sample(&mut self.portals[p].rng_steps);
                        let when = self.m.portals[p].steps.calendar.describe(now);
                        self.trace_call(now, c, || {
                            format!("worktime: closed ({when}), after-hours message")
                        });
                        self.set_step(c, Step::AfterHours);
                        q.schedule_in(d, Event::Step(c));
                        return;
                    }
                    Some(_) => {
                        let when = self.m.portals[p].steps.calendar.describe(now);
                        self.trace_call(now, c, || format!("worktime: open ({when})"));
                        None
                    }
                    None => None,
                },
                Step::AfterHours => {
                    let outcome = match self.m.portals[p].steps.after_hours {
                        Some((AfterHours::Voicemail, _)) => Outcome::Voicemail,
                        _ => Outcome::AfterHours,
                    };
                    self.end_in_steps(now, c, outcome, q);
                    return;
                }
                Step::Greeting => match &self.m.portals[p].steps.greeting {
                    Some(g) => {
                        let d = g.sample(&mut self.portals[p].rng_steps);
                        self.trace_call(now, c, || {
                            format!("greeting played ({:.1} s)", d.as_secs_f64())
                        });
                        self.set_step(c, Step::Extension);
                        q.schedule_in(d, Event::Step(c));
                        return;
                    }
                    None => None,
                },
                Step::Extension => match &self.m.portals[p].steps.extensions {
                    Some((listen, share, fallback)) => {
                        let d = listen.sample(&mut self.portals[p].rng_steps);
                        let rng = &mut self.portals[p].rng_steps;
                        let dials = *share > 0.0 && rng.gen::<f64>() < *share;
                        let n = self.m.portals[p].agent_names.len() as u32;
                        let target = rng.gen_range(0..n);
                        let call = self.calls.get_mut(c).expect("live");
                        if dials {
                            call.target = target;
                            call.fallback_queue = *fallback == Fallback::Queue;
                            call.step = Step::Target;
                        } else {
                            call.step = Step::Crm;
                        }
                        let name = &self.m.portals[p].agent_names[target as usize];
                        self.trace_call(now, c, || {
                            if dials {
                                format!("extension code for {name} dialled")
                            } else {
                                format!(
                                    "listened {:.1} s for an extension code: none",
                                    d.as_secs_f64()
                                )
                            }
                        });
                        q.schedule_in(d, Event::Step(c));
                        return;
                    }
                    None => None,
                },
                Step::Crm => match self.m.portals[p].steps.crm {
                    Some((known, fallback)) => {
                        let rng = &mut self.portals[p].rng_steps;
                        let is_known = known > 0.0 && rng.gen::<f64>() < known;
                        let n = self.m.portals[p].agent_names.len() as u32;
                        let target = rng.gen_range(0..n);
                        if is_known {
                            let call = self.calls.get_mut(c).expect("live");
                            call.target = target;
                            call.fallback_queue = fallback == Fallback::Queue;
                            call.step = Step::Target;
                            let name = &self.m.portals[p].agent_names[target as usize];
                            self.trace_call(now, c, || {
                                format!("CRM: known caller, responsible agent {name}")
                            });
                            continue;
                        }
                        self.trace_call(now, c, || "CRM: unknown caller, lead created".into());
                        None
                    }
                    None => None,
                },
                Step::Target => {
                    self.ring_target(now, c, p, q);
                    return;
                }
                Step::Queue => {
                    self.set_step(c, Step::Done);
                    self.enter_queue(now, c, q);
                    return;
                }
                Step::Dial => {
                    self.outbound_dial(now, c, q);
                    return;
                }
                Step::Answer => {
                    self.outbound_answer(now, c, q);
                    return;
                }
                Step::Unanswered => {
                    self.trace_call(now, c, || "no answer (480 Temporarily Unavailable)".into());
                    self.end_in_steps(now, c, Outcome::NoAnswer, q);
                    return;
                }
                Step::Failing => {
                    self.end_in_steps(now, c, Outcome::Failed, q);
                    return;
                }
                Step::Done => return,
            };
            let following = next_step(step, dir);
            self.set_step(c, following);
            if let Some(t) = next {
                q.schedule_at(t, Event::Step(c));
                return;
            }
        }
    }

    fn set_step(&mut self, c: CallRef, step: Step) {
        if let Some(call) = self.calls.get_mut(c) {
            call.step = step;
        }
    }

    /// A controller step of call `c`: provisioning on the portal's first
    /// call, the settings look-up (unless cached), the lazy upgrade to the
    /// current call-scenario version, the balance query of an outbound call.
    fn controller_step(&mut self, now: SimTime, c: CallRef, p: usize, step: Step) -> Wait {
        let Some(spec) = self.m.controller.as_ref() else {
            return Wait::Go;
        };
        let ctrl = self.ctrl.as_mut().expect("controller with its spec");
        let pr = &mut self.portals[p];
        let (reply, line) = match step {
            Step::Provision => match pr.provisioned {
                Some(ready) if ready <= now => return Wait::Go,
                // Another call is provisioning the account: wait with it.
                Some(ready) => return Wait::Until(ready),
                None => {
                    let r = ctrl.submit(spec, now, Request::Provision);
                    if let Reply::At(t) = r {
                        pr.provisioned = Some(t);
                    }
                    (r, "first call: licence checked, telephony account created, SIP credentials issued")
                }
            },
            Step::Lookup => {
                if pr.cache_until > now {
                    ctrl.count(|k| k.cache_hits += 1);
                    pr.cache_hits += 1;
                    self.trace_call(now, c, || "settings loaded (cache)".into());
                    return Wait::Go;
                }
                ctrl.count(|k| k.cache_misses += 1);
                pr.lookups += 1;
                let r = ctrl.submit(spec, now, Request::Lookup);
                if let (Reply::At(t), Some(ttl)) = (r, spec.cache_ttl) {
                    pr.cache_until = t + ttl;
                }
                (r, "settings loaded from the controller")
            }
            Step::Upgrade => {
                if pr.version >= self.version {
                    return Wait::Go;
                }
                if pr.upgrade_ready > now {
                    return Wait::Until(pr.upgrade_ready);
                }
                let r = ctrl.submit(spec, now, Request::Upgrade);
                if let Reply::At(t) = r {
                    pr.version = self.version;
                    pr.upgrade_ready = t;
                    pr.upgraded_at = Some(t);
                    ctrl.count(|k| k.upgraded += 1);
                }
                (r, "call scenario upgraded on this call (lazy rollout)")
            }
            Step::Balance => {
                let r = ctrl.submit(spec, now, Request::Balance);
                (r, "balance checked")
            }
            _ => return Wait::Go,
        };
        match reply {
            Reply::At(t) => {
                let version = self.portals[p].version;
                self.trace_at(t, c, || format!("{line} (version {version})"));
                Wait::Until(t)
            }
            Reply::TimedOut(t) => {
                if step == Step::Provision {
                    self.portals[p].provisioned = None;
                }
                Wait::Fail(t)
            }
        }
    }

    /// Rings the one agent a dialled extension or the CRM rule chose; a busy
    /// agent sends the call to its fallback at once.
    fn ring_target(&mut self, now: SimTime, c: CallRef, p: usize, q: &mut EventQueue<Event>) {
        let call = *self.calls.get(c).expect("live");
        let local = call.target;
        self.calls.get_mut(c).expect("live").queued_at = now;
        if self.agents.portals[p].pool.state(local) != AgentState::Free {
            let name = &self.m.portals[p].agent_names[local as usize];
            self.trace_call(now, c, || format!("agent {name} is busy"));
            self.target_failed(now, c, q);
            return;
        }
        let cursor = self.calls.get(c).expect("live").cursor;
        self.ring_agents(now, c, p, &[local], cursor, q);
    }

    /// A targeted ring found the agent busy or unanswered: the queue or
    /// voicemail, as configured.
    pub(super) fn target_failed(&mut self, now: SimTime, c: CallRef, q: &mut EventQueue<Event>) {
        let Some(call) = self.calls.get_mut(c) else {
            return;
        };
        call.state = CallState::Steps;
        if call.fallback_queue {
            call.step = Step::Queue;
            let queued_at = call.queued_at;
            self.trace_call(now, c, || "to the queue".into());
            self.enter_queue(now, c, q);
            // The caller has been waiting since the targeted ring began.
            if let Some(k) = self.calls.get_mut(c) {
                k.queued_at = queued_at;
            }
        } else {
            self.trace_call(now, c, || "to voicemail".into());
            self.end_in_steps(now, c, Outcome::Voicemail, q);
        }
    }

    /// Ends a call that never reached an agent's conversation, from the
    /// steps (blacklist, after hours, controller failure, voicemail).
    pub(super) fn end_in_steps(
        &mut self,
        now: SimTime,
        c: CallRef,
        outcome: Outcome,
        q: &mut EventQueue<Event>,
    ) {
        let Some(call) = self.calls.get(c) else {
            return;
        };
        // An outbound call holds its agent from the start.
        let agent = (call.direction == Direction::Outbound)
            .then_some(call.agent)
            .flatten();
        self.finish(now, c, outcome);
        if let Some(agent) = agent {
            self.agent_free(now, agent, q);
        }
    }
}

/// The step after `step` for a call going `dir`.
fn next_step(step: Step, dir: Direction) -> Step {
    match (dir, step) {
        (Direction::Outbound, Step::Provision) => Step::Upgrade,
        (Direction::Outbound, Step::Upgrade) => Step::Balance,
        (Direction::Outbound, _) => Step::Dial,
        (_, Step::Provision) => Step::Lookup,
        (_, Step::Lookup) => Step::Upgrade,
        (_, Step::Upgrade) => Step::Blacklist,
        (_, Step::Blacklist) => Step::Worktime,
        (_, Step::Worktime) => Step::Greeting,
        (_, Step::Greeting) => Step::Extension,
        (_, Step::Extension) => Step::Crm,
        (_, Step::Crm) => Step::Queue,
        _ => Step::Done,
    }
}
