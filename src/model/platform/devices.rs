//! Agents' devices. Browser agents (WebRTC; signalling through the
//! controller's WebSocket side) are always reachable. SIP phones register
//! with a SIP server and refresh the registration before it expires (at a
//! random fraction of the lifetime, see [`REFRESH_FRACTION`]);
//! a refused REGISTER (server down, or over its registrations per second)
//! is retried after a delay, and a phone whose registration lapses cannot be
//! rung. A failed server loses every registration on it; when it comes back
//! all its phones re-register within seconds — the burst that can overrun
//! `max_registers_per_s` and keep agents offline for minutes.

use rand::Rng;

use crate::engine::{EventQueue, SimTime};
use crate::model::agents::AgentState;
use crate::model::event::Event;
use crate::model::record::RecordSink;

use super::Platform;

/// Per agent: its phone's server and registration, for agents on SIP phones.
#[derive(Debug, Clone, Copy)]
pub(super) struct Phone {
    pub server: u16,
    pub registered_until: SimTime,
    pub gen: u32,
    /// Go offline when the current call (and wrap-up) ends.
    pub offline_pending: bool,
}

/// Phones spread their first registration uniformly over this long after
/// the start (desk phones booting as the day begins).
const FIRST_REGISTER_SPREAD_S: f64 = 60.0;
/// A phone refreshes its registration after a uniformly drawn fraction of
/// the lifetime the server granted, in this range, drawn anew for every
/// refresh. RFC 3261 §10.2.4 lets a user agent refresh at any time before
/// the binding expires and only recommends not refreshing far ahead of it;
/// widely used stacks (PJSIP, Linphone, many desk phones) refresh at a
/// fraction of `expires` with jitter for the reason modelled here: phones
/// that registered together (a boot, a server restart) would otherwise
/// refresh together again every period, and a storm's echo would repeat
/// forever. With the range below, phones that registered within seconds
/// of each other refresh spread over 40% of the lifetime.
pub(super) const REFRESH_FRACTION: (f64, f64) = (0.5, 0.9);
/// After a server restart, phones re-register within this long.
const RESTART_BURST_S: f64 = 5.0;

impl<S: RecordSink> Platform<'_, S> {
    /// Every phone registers once in the first minute.
    pub(super) fn start_devices(&mut self, q: &mut EventQueue<Event>) {
        for p in 0..self.portals.len() {
            let Some(d) = &self.m.portals[p].devices else {
                continue;
            };
            let base = self.agents.base(p);
            for &(local, server) in &d.phones {
                let agent = base + local;
                self.phones[agent as usize] = Some(Phone {
                    server,
                    registered_until: SimTime::ZERO,
                    gen: 0,
                    offline_pending: false,
                });
                // Not registered yet: offline until the first REGISTER.
                self.agents.portals[p]
                    .pool
                    .set_state(local, AgentState::Offline);
                self.offline[p] += 1;
                let at = self.portals[p].rng_steps.gen::<f64>() * FIRST_REGISTER_SPREAD_S;
                q.schedule_at(
                    SimTime::from_secs_f64(at),
                    Event::Register { agent, gen: 0 },
                );
            }
        }
    }

    pub(super) fn on_register(
        &mut self,
        now: SimTime,
        agent: u32,
        gen: u32,
        q: &mut EventQueue<Event>,
    ) {
        let Some(phone) = self.phones[agent as usize] else {
            return;
        };
        if phone.gen != gen {
            return; // superseded (a restart burst rescheduled it)
        }
        let p = self.agents.portal_of(agent);
        let np = self.portals.len();
        let s = phone.server as usize;
        let expires = self.m.portals[p].devices.as_ref().expect("phones").expires;
        if self.servers[s].register(now) {
            self.iv[1 + np + s].registers += 1;
            let ph = self.phones[agent as usize].as_mut().expect("phone");
            ph.registered_until = now + expires;
            let (lo, hi) = REFRESH_FRACTION;
            let u: f64 = self.portals[p].rng_steps.gen();
            let after = SimTime((expires.micros() as f64 * (lo + (hi - lo) * u)) as u64);
            self.next_register(agent, now + after, q);
            self.phone_online(now, p, agent, q);
        } else {
            self.iv[1 + np + s].register_rejects += 1;
            let retry = self.retry_delay(p);
            let until = self.phones[agent as usize].expect("phone").registered_until;
            if now >= until {
                self.phone_offline(p, agent);
            }
            // Retry, and try once more at expiry if that comes first.
            let at = if until > now {
                (now + retry).min(until)
            } else {
                now + retry
            };
            self.next_register(agent, at, q);
        }
    }

    /// A phone's wait before trying REGISTER again: at least a second (a
    /// zero draw against a server that is down would spin forever at one
    /// instant; real phones back off for seconds at least).
    fn retry_delay(&mut self, p: usize) -> SimTime {
        let d = self.m.portals[p].devices.as_ref().expect("phones");
        d.retry
            .sample(&mut self.portals[p].rng_steps)
            .max(SimTime::from_secs_f64(1.0))
    }

    fn phone_online(&mut self, now: SimTime, p: usize, agent: u32, q: &mut EventQueue<Event>) {
        let ph = self.phones[agent as usize].as_mut().expect("phone");
        ph.offline_pending = false;
        let local = agent - self.agents.base(p);
        if self.agents.portals[p].pool.state(local) == AgentState::Offline {
            self.agents.portals[p]
                .pool
                .set_state(local, AgentState::Free);
            self.offline[p] -= 1;
            self.dispatch(now, p, Some(agent), q);
        }
    }

    fn phone_offline(&mut self, p: usize, agent: u32) {
        let local = agent - self.agents.base(p);
        match self.agents.portals[p].pool.state(local) {
            AgentState::Free => {
                self.agents.portals[p]
                    .pool
                    .set_state(local, AgentState::Offline);
                self.offline[p] += 1;
            }
            AgentState::Offline => {}
            // A call in progress goes on; the phone is unreachable after it.
            _ => {
                self.phones[agent as usize]
                    .as_mut()
                    .expect("phone")
                    .offline_pending = true
            }
        }
    }

    /// An agent finishing work: free, or offline if the phone's registration
    /// lapsed meanwhile. True if the agent is free.
    pub(super) fn phone_ready(&mut self, p: usize, agent: u32) -> bool {
        match self.phones.get(agent as usize).copied().flatten() {
            Some(ph) if ph.offline_pending => {
                let local = agent - self.agents.base(p);
                self.agents.portals[p]
                    .pool
                    .set_state(local, AgentState::Offline);
                self.offline[p] += 1;
                self.phones[agent as usize]
                    .as_mut()
                    .expect("phone")
                    .offline_pending = false;
                false
            }
            _ => true,
        }
    }

    /// A SIP server failed: its registrations are gone; phones retry.
    pub(super) fn server_lost_registrations(
        &mut self,
        now: SimTime,
        s: u16,
        q: &mut EventQueue<Event>,
    ) {
        for agent in self.phones_on(s) {
            let p = self.agents.portal_of(agent);
            self.phones[agent as usize]
                .as_mut()
                .expect("phone")
                .registered_until = now;
            self.phone_offline(p, agent);
            let retry = self.retry_delay(p);
            self.next_register(agent, now + retry, q);
        }
    }

    /// A SIP server is back: every phone on it re-registers within seconds.
    pub(super) fn server_restart_burst(&mut self, now: SimTime, s: u16, q: &mut EventQueue<Event>) {
        for agent in self.phones_on(s) {
            let p = self.agents.portal_of(agent);
            let at = now
                + SimTime::from_secs_f64(self.portals[p].rng_steps.gen::<f64>() * RESTART_BURST_S);
            self.next_register(agent, at, q);
        }
    }

    /// The agents whose phone registers with server `s` (a failure or
    /// restart, not per event).
    fn phones_on(&self, s: u16) -> Vec<u32> {
        (0..self.phones.len() as u32)
            .filter(|&a| self.phones[a as usize].is_some_and(|ph| ph.server == s))
            .collect()
    }

    /// The phone's next REGISTER attempt at `at` (within the simulated
    /// period); any attempt scheduled before is superseded.
    fn next_register(&mut self, agent: u32, at: SimTime, q: &mut EventQueue<Event>) {
        let ph = self.phones[agent as usize].as_mut().expect("phone");
        ph.gen += 1;
        if at < self.m.duration {
            q.schedule_at(at, Event::Register { agent, gen: ph.gen });
        }
    }
}
