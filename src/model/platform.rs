use std::ops::ControlFlow;

use petgraph::graph::NodeIndex;
use rand::Rng;

use crate::media::{emodel, Codec, CodecCfg, JitterBufferCfg, StreamModel};
use crate::network::{compose_loss, Loss};

use crate::engine::{stream, EventQueue, Handler, SimTime, StreamRng};
use crate::stats::{
    IntervalCounters, IntervalRow, Level, MetricValues, ScopeTotals, FINE_WAIT_PORTALS,
};

mod agents;
mod billing;
mod devices;
mod outbound;
mod routing;
mod steps;
mod trace;
mod transfer;

pub use billing::PortalRow;
pub use trace::TraceFilter;
use trace::Tracer;

use crate::money::AlertEvent;

use super::agents::{AgentState, Agents};
use super::call::{Call, CallNet, CallState, CallTable, Direction, Step};
use super::callers::{CallerStreams, Callers};
use super::controller::{Controller, ControllerCounters};
use super::event::{CallRef, Event};
use super::invariants::{Invariants, Violation};
use super::money::Money;
use super::network_state::{Flow, LinkRow, NetworkState, Repair, SegmentQuality};
use super::record::MediaRecord;
use super::record::{CallRecord, Outcome, RecordSink};
use super::routing::{Routing, CURSOR_UNSET};
use super::server::ServerState;
use super::spec::{Model, NetEvent};
use crate::stats::WindowLevels;

/// Purposes of the per-portal random streams (see `engine::stream`).
const STREAM_ARRIVALS: u64 = 1;
const STREAM_TALK: u64 = 2;
const STREAM_PATIENCE: u64 = 3;
const STREAM_AGENTS: u64 = 4;
const STREAM_MEDIA: u64 = 5;
const STREAM_SIGNALLING: u64 = 6;
const STREAM_STEPS: u64 = 7;
const STREAM_OUTBOUND: u64 = 8;
const STREAM_MONEY: u64 = 9;
/// Platform-wide streams (entity 0).
const STREAM_CONTROLLER: u64 = 10;
const STREAM_POLLS: u64 = 11;

/// SIP timer T1 (RFC 3261 §17.1.1.1): INVITE retransmissions at T1, 2·T1,
/// 4·T1…; the transaction fails at 64·T1 (Timer B) with no response.
const SIP_T1: SimTime = SimTime(500_000);
const SIP_TIMER_B: SimTime = SimTime(64 * 500_000);
/// Transmissions of an INVITE before Timer B fires: at 0, 0.5, 1.5, 3.5, 7.5,
/// 15.5 and 31.5 s.
const INVITE_TRANSMISSIONS: u32 = 7;

struct PortalRuntime {
    rng_media: StreamRng,
    rng_signalling: StreamRng,
    rng_steps: StreamRng,
    rng_outbound: StreamRng,
    /// Calls go straight to the queue: no controller and no scenario steps
    /// (worked out once, not per arrival).
    plain: bool,
    /// When the telephony account is (or will be) ready; `None`: never
    /// provisioned (or the last attempt timed out).
    provisioned: Option<SimTime>,
    /// SIP servers hold the portal's settings until then.
    cache_until: SimTime,
    lookups: u32,
    cache_hits: u32,
    /// Call-scenario version of the account, and when its upgrade finishes.
    version: u32,
    upgrade_ready: SimTime,
    upgraded_at: Option<SimTime>,
    outbound: OutboundCounts,
}

/// A portal's outbound calls (kept apart from the inbound queue metrics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboundCounts {
    pub calls: u64,
    pub answered: u64,
    pub rejected_balance: u64,
    pub credit_ended: u64,
    pub talk_us: u64,
}

/// What one replication produced, besides the streamed call records.
#[derive(Debug, Clone)]
pub struct ReplicationResult {
    pub replication: u32,
    /// Metric values per scope: platform first, then portals in file order.
    pub metrics: Vec<MetricValues>,
    pub intervals: Vec<IntervalRow>,
    /// `links.csv` rows (with a topology).
    pub links: Vec<LinkRow>,
    pub events: u64,
    /// Calls generated (including warm-up), i.e. rows in `calls.csv`.
    pub calls: u64,
    pub unfinished: u64,
    /// Peak number of calls in the system at once (memory follows this).
    pub peak_calls: usize,
    /// `portals.csv` rows: money, alerts, controller state per portal.
    pub portals: Vec<PortalRow>,
    /// `alerts.csv` rows.
    pub alerts: Vec<AlertEvent>,
    /// Controller totals over the run, when modelled.
    pub controller: Option<ControllerCounters>,
    /// The per-call log, when asked for (`--trace`).
    pub trace: Vec<String>,
    /// The first invariant found broken (a bug: the run reports it as an
    /// internal error).
    pub violation: Option<Violation>,
}

/// The platform as an event handler: one replication of the scenario.
///
/// Scope indices used by the level and counter arrays: 0 is the platform,
/// `1 + p` portal p, and (for in-system levels and interval counters only)
/// `1 + P + s` server s.
pub struct Platform<'m, S: RecordSink> {
    m: &'m Model,
    sink: S,
    calls: CallTable,
    portals: Vec<PortalRuntime>,
    servers: Vec<ServerState>,
    /// The agents' states (the agents actor).
    agents: Agents,
    /// The waiting lines and hunting policies (the routing actor).
    routing: Routing,
    /// Arrivals, patience and talk times (the callers actor).
    callers: Callers,
    stopped: bool,
    peak_calls: usize,
    totals: Vec<ScopeTotals>,
    iv: Vec<IntervalCounters>,
    in_system: Vec<Level>,
    waiting: Vec<Level>,
    busy: Vec<Level>,
    interval_start: SimTime,
    interval_rows: Vec<IntervalRow>,
    /// Reused buffer for agent lists (ring-all), so no event allocates.
    scratch: Vec<u32>,
    /// Calls closed by the drain limit, warm-up arrivals included.
    unfinished: u64,
    /// Routing state, with a topology.
    net: Option<NetworkState<'m>>,
    link_rows: Vec<LinkRow>,
    /// Network state of live calls by slot (with a topology only).
    call_net: Vec<CallNet>,
    /// The broker, when modelled, and the current call-scenario version.
    ctrl: Option<Controller>,
    version: u32,
    /// Next account the eager rollout upgrades.
    eager_cursor: usize,
    rng_polls: StreamRng,
    trace: Option<Tracer>,
    /// Events decided where no queue is at hand (money reacting to a
    /// charge inside `finish`), scheduled when the current event is done.
    deferred: Vec<(SimTime, Event)>,
    /// Upgrades per second of the running eager rollout (0: none).
    eager_rate: f64,
    /// An interval tick is scheduled: the current interval is open and has
    /// to be closed, at the drain limit if not before.
    tick_pending: bool,
    /// Wallets, alerts, top-ups and rent (the money actor).
    money: Money,
    /// Transfers of live calls by slot (empty until a call transfers).
    xfers: Vec<Option<super::call::Xfer>>,
    /// SIP phones by global agent index (empty without devices).
    phones: Vec<Option<devices::Phone>>,
    /// Agents offline per portal (phone not registered).
    offline: Vec<u32>,
    /// Always-on invariant checks (see `invariants.rs`).
    inv: Invariants,
}

impl<'m, S: RecordSink> Platform<'m, S> {
    pub fn new(m: &'m Model, replication: u32, sink: S) -> Self {
        let portals = m
            .portals
            .iter()
            .map(|spec| {
                let entity = spec.stream;
                let rep = replication as u64;
                PortalRuntime {
                    rng_media: stream(m.seed, rep, entity, STREAM_MEDIA),
                    rng_signalling: stream(m.seed, rep, entity, STREAM_SIGNALLING),
                    rng_steps: stream(m.seed, rep, entity, STREAM_STEPS),
                    rng_outbound: stream(m.seed, rep, entity, STREAM_OUTBOUND),
                    plain: m.controller.is_none() && spec.steps.none(),
                    provisioned: None,
                    cache_until: SimTime::ZERO,
                    lookups: 0,
                    cache_hits: 0,
                    version: 1,
                    upgrade_ready: SimTime::ZERO,
                    upgraded_at: None,
                    outbound: OutboundCounts::default(),
                }
            })
            .collect();
        let np = m.portals.len();
        let ns = m.servers.len();
        Platform {
            m,
            sink,
            calls: CallTable::default(),
            portals,
            servers: m.servers.iter().map(ServerState::new).collect(),
            agents: Agents::new(&m.portals, |p| {
                stream(
                    m.seed,
                    replication as u64,
                    m.portals[p].stream,
                    STREAM_AGENTS,
                )
            }),
            routing: Routing::new(np),
            callers: Callers::new(
                &m.portals,
                |p| m.controller.is_none() && m.portals[p].steps.none(),
                |p| {
                    let (rep, entity) = (replication as u64, m.portals[p].stream);
                    CallerStreams {
                        arrivals: stream(m.seed, rep, entity, STREAM_ARRIVALS),
                        talk: stream(m.seed, rep, entity, STREAM_TALK),
                        patience: stream(m.seed, rep, entity, STREAM_PATIENCE),
                    }
                },
            ),
            stopped: false,
            peak_calls: 0,
            totals: std::iter::once(ScopeTotals::default())
                .chain(std::iter::repeat_with(if np <= FINE_WAIT_PORTALS {
                    ScopeTotals::default
                } else {
                    ScopeTotals::portal
                }))
                .take(1 + np)
                .collect(),
            iv: vec![IntervalCounters::default(); 1 + np + ns],
            in_system: vec![Level::default(); 1 + np + ns],
            waiting: vec![Level::default(); 1 + np],
            busy: vec![Level::default(); 1 + np],
            interval_start: SimTime::ZERO,
            interval_rows: Vec::new(),
            scratch: Vec::new(),
            unfinished: 0,
            net: m.network.as_ref().map(NetworkState::new),
            link_rows: Vec::new(),
            call_net: Vec::new(),
            ctrl: m.controller.as_ref().map(|c| {
                Controller::new(c, stream(m.seed, replication as u64, 0, STREAM_CONTROLLER))
            }),
            version: 1,
            eager_cursor: 0,
            rng_polls: stream(m.seed, replication as u64, 0, STREAM_POLLS),
            trace: None,
            deferred: Vec::new(),
            eager_rate: 0.0,
            tick_pending: false,
            phones: if m.portals.iter().any(|p| p.devices.is_some()) {
                vec![None; m.total_agents()]
            } else {
                Vec::new()
            },
            offline: vec![0; np],
            money: Money::new(m, |p| {
                stream(
                    m.seed,
                    replication as u64,
                    m.portals[p].stream,
                    STREAM_MONEY,
                )
            }),
            xfers: Vec::new(),
            inv: Invariants::new(m.seed, replication),
        }
    }

    /// Writes a support engineer's log of the calls `filter` selects.
    pub fn with_trace(mut self, filter: TraceFilter) -> Self {
        self.trace = Some(Tracer::new(filter));
        self
    }

    /// Schedules the first arrivals and the replication's fixed milestones.
    pub fn start(&mut self, q: &mut EventQueue<Event>) {
        let m = self.m;
        // Milestones first: at equal times they run before calls' events.
        if m.warmup > SimTime::ZERO {
            q.schedule_at(m.warmup, Event::WarmupEnd);
        } else {
            self.open_windows(SimTime::ZERO);
        }
        q.schedule_at(m.duration, Event::ArrivalsClose);
        q.schedule_at(m.duration + m.drain, Event::DrainLimit);
        for (i, (at, _)) in m.events.iter().enumerate() {
            q.schedule_at(*at, Event::Network(i as u16));
        }
        schedule_tick(m, m.interval.min(m.duration), q);
        self.tick_pending = true;
        for p in 0..self.portals.len() {
            self.schedule_next_arrival(p, q);
            self.schedule_next_outbound(p, SimTime::ZERO, q);
        }
        self.start_business(q);
        self.start_devices(q);
    }

    /// The first counted level (scope or link) that went below zero.
    fn underflowed_level(&self) -> Option<String> {
        let scopes = [
            ("calls in the system", &self.in_system),
            ("calls waiting", &self.waiting),
            ("agents busy", &self.busy),
        ];
        for (what, levels) in scopes {
            if let Some(i) = levels.iter().position(|l| l.underflowed()) {
                return Some(format!("{what} (scope {i})"));
            }
        }
        let net = self.net.as_ref()?;
        net.underflowed_link()
            .map(|l| format!("the load of link {l}"))
    }

    pub fn sink(&self) -> &S {
        &self.sink
    }

    pub fn into_sink(self) -> S {
        self.sink
    }

    fn schedule_next_arrival(&mut self, p: usize, q: &mut EventQueue<Event>) {
        if let Some(at) = self.callers.next_arrival(p, self.m.duration) {
            q.schedule_at(at, Event::Arrival { portal: p as u16 });
        }
    }

    fn open_windows(&mut self, now: SimTime) {
        for l in self
            .in_system
            .iter_mut()
            .chain(&mut self.waiting)
            .chain(&mut self.busy)
        {
            l.open_window(now);
        }
    }

    fn close_windows(&mut self, now: SimTime) {
        for l in self
            .in_system
            .iter_mut()
            .chain(&mut self.waiting)
            .chain(&mut self.busy)
        {
            l.close_window(now);
        }
    }

    // ---- calls -----------------------------------------------------------

    fn on_arrival(&mut self, now: SimTime, p: usize, q: &mut EventQueue<Event>) {
        self.schedule_next_arrival(p, q);
        let id = self.callers.new_call_id();
        self.iv[1 + p].offered += 1;

        // Admission: a SIP server slot, and a media server slot when media
        // is relayed. Either missing blocks the call.
        let spec = &self.m.portals[p];
        let server = self.pick_server(now, &spec.servers);
        let media_server = self.pick_server(now, &spec.media_servers);
        let refused = (!spec.servers.is_empty() && server.is_none())
            || (!spec.media_servers.is_empty() && media_server.is_none());
        let (pdd, outcome) = if refused {
            // The server answers 503 at once.
            (None, Some(Outcome::Blocked))
        } else {
            match self.signalling(p, server) {
                Signalling::NotModelled => (None, None),
                Signalling::Ringing(pdd) => (Some(pdd), None),
                Signalling::TimedOut => (None, Some(Outcome::Failed)),
            }
        };
        if let Some(outcome) = outcome {
            let failed = outcome == Outcome::Failed;
            let end = if failed { now + SIP_TIMER_B } else { now };
            let rec = CallRecord {
                call_id: id,
                portal: p as u16,
                arrival: now,
                answer: None,
                end,
                wait: None,
                lined: false,
                outcome,
                agent: None,
                // A failed call names the server its INVITE never reached.
                server: if failed { server } else { None },
                media_server: None,
                pdd: None,
                media: None,
                direction: Direction::Inbound,
                steps: SimTime::ZERO,
                destination: None,
                charge: 0,
                transfer: None,
                abandoned_in: None,
                transfer_failed: None,
            };
            if self.trace.as_ref().is_some_and(|t| t.wants(id, p as u16)) {
                self.trace_end(&rec);
            }
            self.emit(&rec);
            return;
        }

        let plain = self.portals[p].plain;
        let c = self.calls.insert(Call {
            id,
            portal: p as u16,
            arrival: now,
            state: if plain {
                CallState::Waiting
            } else {
                CallState::Steps
            },
            answer: None,
            agent: None,
            server,
            media_server,
            ringing: 0,
            rung_agent: 0,
            cursor: CURSOR_UNSET,
            direction: Direction::Inbound,
            step: if plain { Step::Done } else { Step::Provision },
            queued_at: now,
            target: 0,
            fallback_queue: false,
            credit_cut: false,
            lined: false,
        });
        if self.trace.is_some() {
            self.trace_arrival(now, c, pdd);
        }
        self.peak_calls = self.peak_calls.max(self.calls.live());
        if self.net.is_some() {
            let slot = c.slot as usize;
            if self.call_net.len() <= slot {
                self.call_net.resize(slot + 1, CallNet::default());
            }
            self.call_net[slot] = CallNet {
                pdd,
                ..CallNet::default()
            };
        }
        let np = self.portals.len();
        self.in_system[0].inc(now);
        self.in_system[1 + p].inc(now);
        for s in [server, media_server].into_iter().flatten() {
            self.servers[s as usize].accept(now);
            self.in_system[1 + np + s as usize].inc(now);
            self.iv[1 + np + s as usize].offered += 1;
        }

        if plain {
            self.enter_queue(now, c, q);
        } else {
            // Patience may run from the first moment in the platform.
            if let Some(d) = self.callers.patience_at_arrival(&self.m.portals[p], p) {
                q.schedule_in(d, Event::Patience(c));
            }
            self.advance(now, c, q);
        }
    }

    /// The INVITE / 100 / 180 exchange between the callers' node and the
    /// SIP server, over UDP with retransmissions (RFC 3261): each attempt
    /// succeeds when both the INVITE and the provisional response get
    /// through; attempt k (from 0) leaves at T1·(2^k − 1). Post-dial delay
    /// is that plus the round trip. No path, or seven lost attempts, and the
    /// transaction times out (Timer B, 64·T1): outcome `failed`.
    fn signalling(&mut self, p: usize, server: Option<u16>) -> Signalling {
        let (Some(net), Some(s)) = (self.net.as_mut(), server) else {
            return Signalling::NotModelled;
        };
        let spec = &self.m.portals[p];
        let (Some(from), Some(to)) = (spec.callers_node, self.m.servers[s as usize].node) else {
            return Signalling::NotModelled;
        };
        let class = p * self.servers.len() + s as usize;
        let Some((rtt, through)) = net.sip_path(class, from, to) else {
            return Signalling::TimedOut;
        };
        let rng = &mut self.portals[p].rng_signalling;
        for k in 0..INVITE_TRANSMISSIONS {
            if through >= 1.0 || rng.gen::<f64>() < through {
                let waited = SimTime(SIP_T1.micros() * ((1u64 << k) - 1));
                return Signalling::Ringing(waited + rtt);
            }
        }
        Signalling::TimedOut
    }

    /// Least-loaded server among `candidates` (ties: first listed) that
    /// accepts a call now.
    fn pick_server(&self, now: SimTime, candidates: &[u16]) -> Option<u16> {
        let mut best: Option<(u32, u16)> = None;
        for &s in candidates {
            let st = &self.servers[s as usize];
            if st.can_accept(now) && best.is_none_or(|(a, _)| st.active < a) {
                best = Some((st.active, s));
            }
        }
        best.map(|(_, s)| s)
    }

    fn answer(&mut self, now: SimTime, c: CallRef, agent: u32, q: &mut EventQueue<Event>) {
        let Some(call) = self.calls.get(c) else {
            return;
        };
        let p = call.portal as usize;
        let arrival = call.queued_at;
        let rung = call.ringing;
        // Kept from this look-up: the counters below need them and the
        // call's servers never change once it is admitted.
        let servers = [call.server, call.media_server];
        let others_rung = rung > 1;
        if rung > 0 {
            // Not when put straight through (`connect_at_once`).
            self.release_ringing(now, c, p, Some(agent));
        }
        let pa = &mut self.agents.portals[p];
        let local = agent - pa.base;
        let to = AgentState::Talking(c);
        self.inv.agent(now, agent, pa.pool.state(local), to);
        pa.pool.set_state(local, to);
        let spec = &self.m.portals[p];
        self.routing.answered(p, spec.policy, local, pa.pool.len());
        let talk = self.callers.draw_talk(spec, p);
        let call = self.calls.get_mut(c).expect("live");
        call.state = CallState::Talking;
        call.step = Step::Done;
        call.answer = Some(now);
        call.agent = Some(agent);
        if self.trace.is_some() {
            let name = &self.m.portals[p].agent_names[local as usize];
            let wait = (now - arrival).as_secs_f64();
            self.trace_call(now, c, || {
                format!("connected to {name} (waited {wait:.1} s)")
            });
        }
        if let Some(net) = self.net.as_mut() {
            // Media starts on the paths of the table in force now.
            let call = self.calls.get(c).expect("live");
            let cn = &mut self.call_net[c.slot as usize];
            cn.epoch = net.epoch();
            // Count the flow on its links if every segment has a path. Over
            // capacity, the excess is dropped in proportion (a fluid model):
            // a link loaded to ratio x > 1 loses 1 − 1/x of every flow's
            // packets.
            let flow = flow_of(self.m, call);
            if let Some(worst) = net.carry_if_routed(now, &flow) {
                cn.carried = Some(flow);
                cn.extra_loss = overload_loss(worst);
            } else {
                cn.silence(now, SimTime::MAX);
                cn.no_path = true;
                q.schedule_in(
                    self.m.network.as_ref().expect("net").drop_gap,
                    Event::MediaDrop(c),
                );
            }
        }

        let wait = now - arrival;
        let within_sl = wait <= self.m.service_level;
        let count = |iv: &mut IntervalCounters| {
            iv.answered_now += 1;
            iv.wait_answered_us += wait.micros();
            iv.answered_within_sl += within_sl as u32;
        };
        count(&mut self.iv[1 + p]);
        if servers.iter().any(Option::is_some) {
            let np = self.portals.len();
            for s in servers.into_iter().flatten() {
                count(&mut self.iv[1 + np + s as usize]);
            }
        }
        self.schedule_talk(c, p, agent, talk, q);
        if others_rung {
            // Agents released by a ring-all round may serve waiting calls.
            // Deferred to an event at this same instant rather than called
            // here: answering can happen inside a dispatch, and a chain of
            // ring-all answers would otherwise recurse once per waiting call.
            q.schedule_in(SimTime::ZERO, Event::Dispatch { portal: p as u16 });
        }
    }

    /// The caller or the queue gives up on an unanswered call.
    fn leave_unanswered(
        &mut self,
        now: SimTime,
        c: CallRef,
        outcome: Outcome,
        q: &mut EventQueue<Event>,
    ) {
        let (p, state) = match self.calls.get(c) {
            Some(call) => (call.portal as usize, call.state),
            None => return,
        };
        match state {
            CallState::Talking => return,
            CallState::Waiting => {
                self.routing.lines[p].left_line();
                self.waiting_dec(now, p);
            }
            CallState::Ringing => self.release_ringing(now, c, p, None),
            CallState::Steps => {
                // Outbound calls hold their agent from the start.
                let call = *self.calls.get(c).expect("live");
                if outcome == Outcome::Abandoned
                    && matches!(call.step, Step::AfterHours | Step::Failing)
                {
                    // The call ends on its own when the after-hours message
                    // or the failing set-up is over; patience does not
                    // change how it is counted.
                    return;
                }
                if let (Direction::Outbound, Some(agent)) = (call.direction, call.agent) {
                    self.finish(now, c, outcome);
                    self.agent_free(now, agent, q);
                    return;
                }
            }
        }
        self.finish(now, c, outcome);
        self.dispatch(now, p, None, q);
    }

    fn on_talk_end(&mut self, now: SimTime, c: CallRef, q: &mut EventQueue<Event>) {
        let Some(call) = self.calls.get(c) else {
            return;
        };
        let (p, agent) = (
            call.portal as usize,
            call.agent.expect("talking call has an agent"),
        );
        let outcome = if call.credit_cut {
            Outcome::CreditEnded
        } else {
            Outcome::Answered
        };
        self.end_talk(now, c, p, agent, outcome, q);
    }

    /// Ends a call in conversation (hang-up, or cut by a failure) and starts
    /// the agent's wrap-up.
    fn end_talk(
        &mut self,
        now: SimTime,
        c: CallRef,
        p: usize,
        agent: u32,
        outcome: Outcome,
        q: &mut EventQueue<Event>,
    ) {
        // A blind transferor has already left the call it is named on.
        let on_call = matches!(self.agents.state(p, agent), AgentState::Talking(k) if k == c);
        if !self.xfers.is_empty() {
            self.release_transfer(now, c, agent, q);
        }
        self.finish(now, c, outcome);
        if on_call {
            self.agent_wrapup(now, p, agent, q);
        }
    }

    /// Removes a call from the system and emits its record.
    fn finish(&mut self, now: SimTime, c: CallRef, outcome: Outcome) {
        let call = self.calls.remove(c).expect("finishing a live call");
        let p = call.portal as usize;
        let np = self.portals.len();
        self.in_system[0].dec(now);
        self.in_system[1 + p].dec(now);
        for s in [call.server, call.media_server].into_iter().flatten() {
            self.servers[s as usize].release();
            self.in_system[1 + np + s as usize].dec(now);
        }
        // Waits count from queue entry (or a targeted ring); calls that ended
        // in the steps never waited for an agent.
        let (xfer, transfer_failed) = if self.xfers.is_empty() {
            (None, None)
        } else {
            let x = self.take_xfer(c);
            (x, x.and_then(|x| x.failed))
        };
        let reached_agent = call.step == Step::Done && call.direction == Direction::Inbound;
        let wait = reached_agent.then(|| call.answer.unwrap_or(now) - call.queued_at);
        let charge = match (call.answer, outcome) {
            (Some(a), Outcome::Answered | Outcome::CreditEnded | Outcome::Dropped)
                if self.money.active =>
            {
                self.money
                    .bill(self.m, now, p, &call, now - a, &mut self.deferred)
            }
            _ => 0,
        };
        if self.money.has_reservations() {
            self.money.settle_reservation(c.slot, p, charge);
        }
        let mut rec = CallRecord {
            call_id: call.id,
            portal: call.portal,
            arrival: call.arrival,
            answer: call.answer,
            end: now,
            wait,
            lined: call.lined,
            outcome,
            // The agent who answered; a transfer's target is in `transfer`.
            agent: xfer.map(|x| x.from).or(call.agent),
            server: call.server,
            media_server: call.media_server,
            pdd: None,
            media: None,
            direction: call.direction,
            steps: call.queued_at.min(now) - call.arrival,
            destination: (call.direction == Direction::Outbound).then_some(call.target),
            charge,
            transfer: self.transfer_record(&call, xfer, now),
            abandoned_in: (outcome == Outcome::Abandoned).then(|| place_of(&call)),
            transfer_failed,
        };
        if self.net.is_some() {
            // Filled in place: plain runs do not move an empty media record.
            (rec.pdd, rec.media) = self.finish_network(now, c, &call);
        }
        if self.trace.is_some() {
            self.trace_end(&rec);
        }
        self.emit(&rec);
        if self.ctrl.is_some() {
            self.record_stats(now);
        }
    }

    /// The network side of a call's end (kept out of `finish` so plain runs
    /// pay nothing for it): its flow leaves the links, its silence is
    /// settled, and its media quality is drawn.
    #[inline(never)]
    fn finish_network(
        &mut self,
        now: SimTime,
        c: CallRef,
        call: &Call,
    ) -> (Option<SimTime>, Option<MediaRecord>) {
        let Some(net) = self.net.as_mut() else {
            return (None, None);
        };
        let mut cn = self.call_net[c.slot as usize];
        // The call's flow for its media: the one it put on the links unless a
        // transfer handed it to an agent with another codec (the flow is a
        // function of portal, media server and codec, fixed after answer
        // but for that codec).
        let flow = match cn.carried {
            Some(f) if f.codec == call_codec(self.m, call) => f,
            _ => flow_of(self.m, call),
        };
        if let Some(carried) = cn.carried {
            net.carry_class(now, &carried, cn.epoch, false);
        }
        // Charge only the silence the caller heard: up to now for media still
        // lost, and not beyond the hang-up for a gap still running.
        cn.gap = cn.silence_until(now);
        let media = call.answer.map(|answer| {
            media_quality(
                self.m,
                net,
                &cn,
                &flow,
                now - answer,
                &mut self.portals[call.portal as usize].rng_media,
            )
        });
        (cn.pdd, media)
    }

    fn emit(&mut self, rec: &CallRecord) {
        self.inv.record(rec);
        let p = rec.portal as usize;
        if rec.direction == Direction::Outbound {
            self.emit_outbound(rec);
            return;
        }
        if rec.arrival >= self.m.warmup {
            self.totals[1 + p].record(rec, self.m.service_level);
            if self.portals.len() > FINE_WAIT_PORTALS {
                self.totals[0].record_wait(rec);
            }
        }
        let o = rec.outcome.index();
        self.iv[1 + p].outcomes[o] += 1;
        if let Some(m) = &rec.media {
            self.iv[1 + p].media_calls += 1;
            self.iv[1 + p].mos_sum += m.mos;
        }
        for s in [rec.server, rec.media_server].into_iter().flatten() {
            self.iv[1 + self.portals.len() + s as usize].outcomes[o] += 1;
        }
        self.sink.call_finished(rec);
    }

    fn waiting_inc(&mut self, now: SimTime, p: usize) {
        self.waiting[0].inc(now);
        self.waiting[1 + p].inc(now);
    }
    fn waiting_dec(&mut self, now: SimTime, p: usize) {
        self.waiting[0].dec(now);
        self.waiting[1 + p].dec(now);
    }
    fn busy_inc(&mut self, now: SimTime, p: usize) {
        self.busy[0].inc(now);
        self.busy[1 + p].inc(now);
    }
    fn busy_dec(&mut self, now: SimTime, p: usize) {
        self.busy[0].dec(now);
        self.busy[1 + p].dec(now);
    }

    // ---- milestones ------------------------------------------------------

    fn on_interval_tick(&mut self, now: SimTime, q: &mut EventQueue<Event>) {
        self.tick_pending = false;
        self.close_interval(now);
        if now < self.m.duration {
            schedule_tick(self.m, (now + self.m.interval).min(self.m.duration), q);
            self.tick_pending = true;
        } else if self.calls.live() > 0 {
            // Arrivals have stopped but calls are still ending: keep
            // writing intervals through the drain so that interval counts
            // add up to calls.csv.
            let drain_end = self.m.duration + self.m.drain;
            schedule_tick(self.m, (now + self.m.interval).min(drain_end), q);
            self.tick_pending = true;
        }
    }

    /// Emits the rows of the interval ending at `now` for every scope.
    fn close_interval(&mut self, now: SimTime) {
        let len = now - self.interval_start;
        let np = self.portals.len();
        let agents_per_scope = |s: usize| -> usize {
            if s == 0 {
                self.m.total_agents()
            } else {
                self.m.portals[s - 1].agent_names.len()
            }
        };
        let scopes = 1 + np + self.servers.len();
        let money = self.money.active;
        // The platform's counters are the sum of its portals'.
        let mut platform = IntervalCounters::default();
        for p in 0..np {
            platform.merge(&self.iv[1 + p]);
        }
        self.iv[0] = platform;
        for s in 0..scopes {
            let (mean_c, max_c) = self.in_system[s].close_interval(now, len);
            let mut row = IntervalRow {
                start: self.interval_start,
                end: now,
                scope: s as u16,
                counters: std::mem::take(&mut self.iv[s]),
                mean_concurrency: mean_c,
                max_concurrency: max_c,
                mean_queue: None,
                max_queue: None,
                agent_occupancy: None,
                server_utilisation: None,
                controller: None,
                balance: (money && (1..=np).contains(&s)).then(|| self.money.wallet(s - 1).balance),
                offline: (!self.phones.is_empty() && s <= np).then(|| {
                    if s == 0 {
                        self.offline.iter().sum()
                    } else {
                        self.offline[s - 1]
                    }
                }),
            };
            if s == 0 {
                row.controller = self.ctrl.as_mut().map(|c| std::mem::take(&mut c.interval));
            }
            if s <= np {
                let (mean_q, max_q) = self.waiting[s].close_interval(now, len);
                let (mean_busy, _) = self.busy[s].close_interval(now, len);
                row.mean_queue = Some(mean_q);
                row.max_queue = Some(max_q);
                let agents = agents_per_scope(s);
                row.agent_occupancy = (agents > 0).then(|| mean_busy / agents as f64);
            } else {
                let cap = self.servers[s - 1 - np].max_calls;
                row.server_utilisation = (cap != u32::MAX && cap > 0).then(|| mean_c / cap as f64);
            }
            self.interval_rows.push(row);
        }
        if let Some(net) = self.net.as_mut() {
            net.close_interval(self.interval_start, now, &mut self.link_rows);
        }
        self.interval_start = now;
    }

    /// A timed failure or recovery from the scenario's `events`.
    fn on_network_event(&mut self, now: SimTime, i: usize, q: &mut EventQueue<Event>) {
        let ev = self.m.events[i].1;
        match ev {
            NetEvent::FailServer(s) => self.server_down(now, s, false, true, q),
            NetEvent::RecoverServer(s) => self.server_down(now, s, false, false, q),
            NetEvent::FailLink(_) | NetEvent::RecoverLink(_) => self.on_topology_change(now, ev, q),
            NetEvent::FailNode(n) => {
                // A failed node takes down every server placed on it, as a
                // `FailServer` would (its calls dropped, its registrations
                // lost), before the other calls are rerouted around it.
                for s in 0..self.m.servers.len() as u16 {
                    if self.m.servers[s as usize].node == Some(n) {
                        self.server_down(now, s, true, true, q);
                    }
                }
                self.on_topology_change(now, ev, q);
            }
            NetEvent::RecoverNode(n) => {
                self.on_topology_change(now, ev, q);
                for s in 0..self.m.servers.len() as u16 {
                    if self.m.servers[s as usize].node == Some(n) {
                        self.server_down(now, s, true, false, q);
                    }
                }
            }
        }
    }

    /// Server `s` goes down or comes back for one cause (its own failure,
    /// or its node's); it is down while either holds. Going down drops every
    /// call it carries and loses its registrations; coming back starts the
    /// phones' re-registration burst.
    fn server_down(
        &mut self,
        now: SimTime,
        s: u16,
        by_node: bool,
        down: bool,
        q: &mut EventQueue<Event>,
    ) {
        if !self.servers[s as usize].set_down(by_node, down) {
            return;
        }
        if !down {
            self.server_restart_burst(now, s, q);
            return;
        }
        // First the calls not yet answered, so that agents freed by the
        // others do not pick them up in the same instant.
        let on_it = |k: &Call| k.server == Some(s) || k.media_server == Some(s);
        for talking in [false, true] {
            for c in self.calls.live_refs() {
                let hit = self
                    .calls
                    .get(c)
                    .is_some_and(|k| on_it(k) && (k.state == CallState::Talking) == talking);
                if hit {
                    self.drop_call(now, c, q);
                }
            }
        }
        self.server_lost_registrations(now, s, q);
    }

    /// A link or node fails or recovers: route anew (new calls use the new
    /// table at once). On a failure, every call in conversation whose media
    /// path was cut gets its media gap: the detection time with a loop-free
    /// alternate, the reconvergence time without; a gap longer than
    /// `drop_gap_s`, or no path at all, loses media until a recovery brings a
    /// path back, and drops the call once `drop_gap_s` of silence has passed.
    fn on_topology_change(&mut self, now: SimTime, ev: NetEvent, q: &mut EventQueue<Event>) {
        let Some(net) = self.net.as_mut() else { return };
        let failure = matches!(ev, NetEvent::FailLink(_) | NetEvent::FailNode(_));
        net.apply(ev);
        let drop_gap = self.m.network.as_ref().expect("net").drop_gap;
        let new_epoch = net.epoch();
        for c in self.calls.live_refs() {
            let call = *self.calls.get(c).expect("live");
            if call.state != CallState::Talking {
                continue;
            }
            let slot = c.slot as usize;
            let cn = self.call_net[slot];
            let segs = media_segments(self.m, &call);
            let flow = flow_of(self.m, &call);
            if !failure {
                // A recovery: calls that lost media for want of a path get it
                // back if one exists again; the others keep theirs.
                let routed = segs.iter().flatten().all(|&(a, b)| net.reachable(a, b));
                if cn.lost() && cn.no_path && routed {
                    let worst = net.carry_class(now, &flow, new_epoch, true);
                    let k = &mut self.call_net[slot];
                    k.resume(now);
                    k.epoch = new_epoch;
                    k.carried = Some(flow);
                    k.extra_loss = k.extra_loss.max(overload_loss(worst));
                }
                continue;
            }
            if cn.lost() {
                continue;
            }
            // Each media direction has its own path and its own repair
            // verdict (a loop-free alternate may exist one way only): the
            // caller → agent stream crosses the segments forward, the
            // agent → caller stream backward. The call's silence is their
            // union (both start now, so the longer gap); a direction lost
            // for good loses the call's media (RTP timeout drops it).
            let (mut to_agent, mut to_caller) = (Repair::Untouched, Repair::Untouched);
            for &(a, b) in segs.iter().flatten() {
                to_agent = worse(to_agent, net.repair(cn.epoch, a, b));
                to_caller = worse(to_caller, net.repair(cn.epoch, b, a));
            }
            let worst = worse(to_agent, to_caller);
            match worst {
                Repair::Untouched => {}
                Repair::Gap(g) if g <= drop_gap => {
                    let mut overload = 0.0;
                    if let Some(carried) = cn.carried {
                        // The flow moves to the new path, whose links may
                        // be busier.
                        net.carry_class(now, &carried, cn.epoch, false);
                        overload = net.carry_class(now, &carried, new_epoch, true);
                    }
                    let k = &mut self.call_net[slot];
                    k.extra_loss = k.extra_loss.max(overload_loss(overload));
                    k.silence(now, g);
                    k.epoch = new_epoch;
                    let heard = match to_caller {
                        Repair::Gap(h) => h,
                        _ => SimTime::ZERO,
                    };
                    k.heard_less = k.heard_less + (g - heard);
                }
                Repair::Gap(_) | Repair::Lost => {
                    // Media stops: the flow leaves the links, and the call is
                    // dropped once the silence (which may have begun with an
                    // earlier gap) has lasted drop_gap_s.
                    if let Some(carried) = cn.carried {
                        net.carry_class(now, &carried, cn.epoch, false);
                    }
                    let k = &mut self.call_net[slot];
                    k.carried = None;
                    k.no_path = worst == Repair::Lost;
                    k.silence(now, SimTime::MAX);
                    let drop_at = (k.silent_from + drop_gap).max(now);
                    q.schedule_at(drop_at, Event::MediaDrop(c));
                }
            }
        }
    }

    /// `drop_gap_s` after media was lost: drop the call, unless a recovery
    /// gave it media back (or it lost media again later: that loss has its
    /// own pending drop).
    fn on_media_drop(&mut self, now: SimTime, c: CallRef, q: &mut EventQueue<Event>) {
        let drop_gap = self
            .m
            .network
            .as_ref()
            .map_or(SimTime::ZERO, |n| n.drop_gap);
        let due = self.calls.get(c).is_some_and(|k| {
            let cn = &self.call_net[c.slot as usize];
            k.state == CallState::Talking && cn.lost() && now >= cn.silent_from + drop_gap
        });
        if due {
            self.drop_call(now, c, q);
        }
    }

    /// Ends a live call as `dropped`, whatever stage it is at.
    fn drop_call(&mut self, now: SimTime, c: CallRef, q: &mut EventQueue<Event>) {
        let Some(call) = self.calls.get(c) else {
            return;
        };
        match (call.state, call.agent) {
            (CallState::Talking, Some(agent)) => {
                let p = call.portal as usize;
                self.end_talk(now, c, p, agent, Outcome::Dropped, q);
            }
            _ => self.leave_unanswered(now, c, Outcome::Dropped, q),
        }
    }

    fn on_drain_limit(&mut self, now: SimTime) {
        for c in self.calls.live_refs() {
            let Some(call) = self.calls.get(c) else {
                continue;
            };
            let p = call.portal as usize;
            match call.state {
                CallState::Waiting => {
                    self.routing.lines[p].left_line();
                    self.waiting_dec(now, p);
                }
                CallState::Ringing => self.release_ringing(now, c, p, None),
                CallState::Talking | CallState::Steps => {}
            }
            self.finish(now, c, Outcome::Unfinished);
            self.unfinished += 1;
        }
        // The interval running at the drain limit (with no drain time, the
        // last one before `duration`) is still open: close it here — unless
        // every call had ended before: ticks stopped at the last one and the
        // time since holds nothing (no empty row up to the drain limit).
        if self.interval_start < now && self.tick_pending {
            self.close_interval(now);
        }
        self.stopped = true;
    }

    /// Per-scope metric values of the finished replication.
    pub fn result(&self, replication: u32, events: u64) -> ReplicationResult {
        let window_s = (self.m.duration - self.m.warmup).as_secs_f64();
        // The sum of the portals'; on big platforms without their coarse
        // waits, which were recorded per call at full precision.
        let mut platform_totals = self.totals[0].clone();
        for t in &self.totals[1..] {
            if self.portals.len() > FINE_WAIT_PORTALS {
                platform_totals.merge_counts(t);
            } else {
                platform_totals.merge(t);
            }
        }
        let mut metrics = Vec::with_capacity(1 + self.portals.len());
        for s in 0..=self.portals.len() {
            let agents = if s == 0 {
                self.m.total_agents()
            } else {
                self.m.portals[s - 1].agent_names.len()
            };
            let levels = WindowLevels {
                window_s,
                agents,
                busy_agent_s: self.busy[s].window_integral_s(),
                calls_in_system_s: self.in_system[s].window_integral_s(),
                waiting_s: self.waiting[s].window_integral_s(),
            };
            let events = (s == 0).then_some(events);
            let totals = if s == 0 {
                &platform_totals
            } else {
                &self.totals[s]
            };
            metrics.push(totals.metrics(&levels, events));
        }
        self.business_metrics(&mut metrics);
        ReplicationResult {
            replication,
            metrics,
            portals: self.portal_rows(),
            alerts: self.money.alert_log.clone(),
            controller: self.ctrl.as_ref().map(|c| c.total),
            trace: Vec::new(),
            intervals: self.interval_rows.clone(),
            links: self.link_rows.clone(),
            events,
            calls: self.callers.generated(),
            unfinished: self.unfinished,
            peak_calls: self.peak_calls,
            violation: self.inv.violation().cloned(),
        }
    }
}

/// Schedules the interval boundary at `at`. Intervals are half-open
/// `[start, end)`: the tick runs before anything else happening at its
/// instant, so an arrival, answer or end at exactly `end` counts in the next
/// interval. The one exception is the drain limit, which closes the last
/// interval itself after cutting the calls still running (counted in it).
fn schedule_tick(m: &Model, at: SimTime, q: &mut EventQueue<Event>) {
    if at < m.duration + m.drain {
        q.schedule_first_at(at, Event::IntervalTick);
    } else {
        q.schedule_at(at, Event::IntervalTick);
    }
}

impl<S: RecordSink> Handler for Platform<'_, S> {
    type Event = Event;

    #[inline]
    fn handle(&mut self, now: SimTime, event: Event, q: &mut EventQueue<Event>) {
        if self.stopped {
            return;
        }
        self.inv.event(now);
        if self.inv.violated() {
            self.stopped = true;
            return;
        }
        match event {
            Event::Arrival { portal } => self.on_arrival(now, portal as usize, q),
            Event::Patience(c) => self.leave_unanswered(now, c, Outcome::Abandoned, q),
            Event::MaxWait(c) => self.on_max_wait(now, c, q),
            Event::RingAnswer { call, agent } => self.on_ring_answer(now, call, agent, q),
            Event::RingTimeout(c) => self.on_ring_timeout(now, c, q),
            Event::TalkEnd(c) => self.on_talk_end(now, c, q),
            Event::WrapupEnd { agent } => self.agent_free(now, agent, q),
            Event::IntervalTick => self.on_interval_tick(now, q),
            Event::Dispatch { portal } => self.dispatch(now, portal as usize, None, q),
            Event::WarmupEnd => self.open_windows(now),
            Event::ArrivalsClose => self.close_windows(now),
            Event::DrainLimit => self.on_drain_limit(now),
            Event::Network(i) => self.on_network_event(now, i as usize, q),
            Event::MediaDrop(c) => self.on_media_drop(now, c, q),
            Event::Step(c) => self.advance(now, c, q),
            Event::OutboundAttempt { portal } => self.on_outbound_attempt(now, portal as usize, q),
            Event::AlertRepeat { portal } => {
                let p = portal as usize;
                self.money
                    .on_alert_repeat(self.m, now, p, &mut self.deferred)
            }
            Event::TopUp { portal } => {
                let p = portal as usize;
                self.money.on_top_up(self.m, now, p, &mut self.deferred)
            }
            Event::MonthlyFees => self
                .money
                .on_monthly_fees(self.m, now, q, &mut self.deferred),
            Event::Rollout(i) => self.on_rollout(now, i as usize, q),
            Event::EagerUpgrade => self.on_eager_upgrade(now, q),
            Event::BalancePoll => self.on_balance_poll(now, q),
            Event::TransferStart(c) => self.on_transfer_start(now, c, q),
            Event::TransferAnswer(c) => self.on_transfer_answer(now, c, q),
            Event::TransferTimeout(c) => self.on_transfer_timeout(now, c, q),
            Event::ConsultEnd(c) => self.on_consult_end(now, c, q),
            Event::Register { agent, gen } => self.on_register(now, agent, gen, q),
        }
        if !self.deferred.is_empty() {
            self.flush_deferred(q);
        }
    }

    #[inline]
    fn prefetch(&self, next: &Event) {
        if let Event::TalkEnd(c)
        | Event::Patience(c)
        | Event::MaxWait(c)
        | Event::RingAnswer { call: c, .. }
        | Event::RingTimeout(c) = *next
        {
            self.calls.prefetch(c);
            // With a topology the call's network state too (answer and
            // hang-up read it); empty without one.
            if let Some(cn) = self.call_net.get(c.slot as usize) {
                crate::engine::prefetch(cn);
            }
        }
    }
}

/// The worse of two repair verdicts: lost beats a gap, a longer gap a
/// shorter one, any gap no cut.
fn worse(a: Repair, b: Repair) -> Repair {
    match (a, b) {
        (Repair::Lost, _) | (_, Repair::Lost) => Repair::Lost,
        (Repair::Gap(x), Repair::Gap(y)) => Repair::Gap(x.max(y)),
        (Repair::Untouched, r) | (r, Repair::Untouched) => r,
    }
}

/// Where an unanswered call is, for `abandoned_in`. While a delay runs the
/// call's step is the one that follows it (see `Platform::advance`): the
/// greeting plays with the step at `Extension`, and the extension code is
/// listened for with it at `Target` or `Crm`.
fn place_of(call: &Call) -> super::record::Place {
    use super::record::Place;
    match (call.state, call.step) {
        (CallState::Waiting, _) => Place::Queue,
        (CallState::Ringing | CallState::Talking, _) => Place::Ringing,
        (CallState::Steps, Step::Extension) => Place::Greeting,
        (CallState::Steps, Step::Target | Step::Crm) => Place::Extension,
        (CallState::Steps, _) => Place::Setup,
    }
}

/// Result of the SIP exchange that starts a call.
enum Signalling {
    /// No topology, or the portal or server is not placed: not modelled.
    NotModelled,
    /// 180 Ringing reached the caller after this post-dial delay.
    Ringing(SimTime),
    /// No response by Timer B.
    TimedOut,
}

/// A call's media flow as the network caches see it: its route class (the
/// portal and the media server relaying it, or none), segments, codec and
/// bandwidth.
fn flow_of(m: &Model, call: &Call) -> Flow {
    let relays = m.servers.len() + 1;
    let codec = call_codec(m, call);
    let kbps = m
        .network
        .as_ref()
        .map_or(0, |n| n.codec_kbps[codec as usize]);
    Flow {
        class: (call.portal as usize * relays
            + call.media_server.map_or(m.servers.len(), |s| s as usize))
            * Codec::ALL.len()
            + codec as usize,
        segs: media_segments(m, call),
        codec,
        kbps,
    }
}

/// Share of packets a link overloaded to `ratio` (load / capacity) drops in
/// the fluid overload model.
fn overload_loss(ratio: f64) -> f32 {
    if ratio > 1.0 {
        (1.0 - 1.0 / ratio) as f32
    } else {
        0.0
    }
}

/// The codec of a call: its agent's (the portal's unless overridden).
fn call_codec(m: &Model, call: &Call) -> Codec {
    let spec = &m.portals[call.portal as usize];
    match call.agent {
        Some(a) => spec.agent_codecs[(a - spec.first_agent) as usize],
        None => spec.codec,
    }
}

/// The one or two node pairs a call's media crosses: callers → media server
/// → agents when relayed, callers → agents when direct.
fn media_segments(m: &Model, call: &Call) -> [Option<(NodeIndex, NodeIndex)>; 2] {
    let spec = &m.portals[call.portal as usize];
    let (Some(callers), Some(agents)) = (spec.callers_node, spec.node) else {
        return [None, None];
    };
    match call.media_server.and_then(|s| m.servers[s as usize].node) {
        Some(relay) => [Some((callers, relay)), Some((relay, agents))],
        None => [Some((callers, agents)), None],
    }
}

/// Media statistics of a finished call as heard by the caller: both RTP
/// directions over the call's media path (the network is symmetric), talk
/// time as the stream length. Overload loss from busy links (see
/// `Platform::answer`) adds random loss. The packets of any media gap replace
/// that share of the stream as one burst of loss, which also raises BurstR,
/// so a gap hurts more than the same number of scattered losses.
fn media_quality(
    m: &Model,
    net: &mut NetworkState,
    cn: &CallNet,
    flow: &Flow,
    talk: SimTime,
    rng: &mut StreamRng,
) -> MediaRecord {
    let netspec = m.network.as_ref().expect("called with a network");
    let codec_name = flow.codec;
    let codec = CodecCfg::new(codec_name);
    let talk_s = talk.as_secs_f64();
    let segs = flow.segs;
    let model = if cn.extra_loss > 0.0 {
        net.path_quality(cn.epoch, segs).map(|q| {
            let q = SegmentQuality {
                loss: compose_loss([q.loss, Loss::Random(cn.extra_loss as f64)]),
                ..q
            };
            let jb = JitterBufferCfg {
                depth_ms: netspec.jitter_buffer_ms,
            };
            std::borrow::Cow::Owned(StreamModel::new(&q.media(), codec, &jb))
        })
    } else {
        net.class_model(flow.class, cn.epoch, segs, codec_name)
    };
    // Borrowed, not moved: the model is a few hundred bytes.
    let Some(model) = model.as_deref() else {
        // Never had a path: everything sent was lost.
        let sent = codec.packets_in(talk_s);
        return MediaRecord {
            codec: codec_name,
            rtp_sent: sent,
            rtp_received: 0,
            loss_pct: if sent > 0 { 100.0 } else { 0.0 },
            jitter_ms: 0.0,
            delay_ms: 0.0,
            mos: 1.0,
            media_gap: cn.gap,
        };
    };
    // What the caller hears is the agent → caller stream over the same
    // path. Both sides send one packet per ptime for the same talk time, so
    // the caller's count is the stream's (no second division by ptime).
    let mut heard = model.simulate(netspec.media_model, talk_s, rng);
    let rtp_sent = heard.sent;
    // The caller hears their own direction's silence (see `CallNet`).
    let heard_gap = cn.gap.saturating_sub(cn.heard_less);
    let gap_packets = codec.packets_in(heard_gap.as_secs_f64()).min(heard.sent);
    let mut rtp_received = heard.received;
    if gap_packets > 0 && heard.sent > 0 {
        // The stream was drawn for the whole talk time; the gap's share of
        // it never arrived, so only the rest keeps its own losses.
        let outside = 1.0 - gap_packets as f64 / heard.sent as f64;
        rtp_received = (heard.received as f64 * outside).round() as u64;
        let lost_outside = (heard.sent - heard.received + heard.late) as f64 * outside;
        let lost = (lost_outside + gap_packets as f64).min(heard.sent as f64);
        heard.loss_pct = 100.0 * lost / heard.sent as f64;
        // One burst of `gap_packets` where random loss would average
        // 1/(1 − loss) packets per burst (ITU-T G.107 BurstR definition).
        let base_burst_r = model.burst_r();
        let burst_r = (gap_packets as f64 * (1.0 - heard.loss_pct / 100.0))
            .max(base_burst_r)
            .max(1.0);
        let (r, mos) = emodel::rate(
            heard.delay_ms,
            codec_name.impairment(),
            heard.loss_pct,
            burst_r,
        );
        heard.r = r;
        heard.mos = mos;
    }
    MediaRecord {
        codec: codec_name,
        rtp_sent,
        rtp_received,
        loss_pct: heard.loss_pct,
        jitter_ms: heard.jitter_ms,
        delay_ms: heard.delay_ms,
        mos: heard.mos,
        media_gap: cn.gap,
    }
}

/// Runs one replication, logging the calls `trace` selects (see
/// `Platform::with_trace`).
pub fn run_replication_traced<S: RecordSink>(
    model: &Model,
    replication: u32,
    sink: S,
    progress: impl FnMut(SimTime) -> ControlFlow<()>,
    trace: Option<TraceFilter>,
) -> Option<(ReplicationResult, S)> {
    run(model, replication, sink, progress, trace)
}

/// Runs one replication to completion, streaming finished calls to `sink`.
/// `progress` is called every slice of simulated time with the time reached;
/// returning `Break` abandons the replication (used for Ctrl-C).
pub fn run_replication<S: RecordSink>(
    model: &Model,
    replication: u32,
    sink: S,
    progress: impl FnMut(SimTime) -> ControlFlow<()>,
) -> Option<(ReplicationResult, S)> {
    run(model, replication, sink, progress, None)
}

fn run<S: RecordSink>(
    model: &Model,
    replication: u32,
    sink: S,
    mut progress: impl FnMut(SimTime) -> ControlFlow<()>,
    trace: Option<TraceFilter>,
) -> Option<(ReplicationResult, S)> {
    let mut platform = Platform::new(model, replication, sink);
    if let Some(f) = trace {
        platform = platform.with_trace(f);
    }
    let mut q = EventQueue::with_capacity(1024);
    platform.start(&mut q);
    let end = model.duration + model.drain;
    let slice = SimTime((model.duration.micros() / 200).max(1_000_000));
    let mut reached = SimTime::ZERO;
    while !platform.stopped && q.peek_time().is_some() {
        reached = (reached + slice).min(end);
        q.run_until(&mut platform, reached);
        if progress(reached.min(model.duration)).is_break() {
            return None;
        }
        if reached >= end {
            break;
        }
    }
    if !platform.inv.violated() {
        let generated = platform.callers.generated();
        let live = platform.calls.live() as u64;
        platform.inv.conservation(q.now(), generated, live);
        let first = platform.underflowed_level();
        platform.inv.levels(q.now(), first);
        platform.money.check(model, &mut platform.inv, q.now());
    }
    let mut result = platform.result(replication, q.processed());
    result.trace = platform.take_trace();
    Some((result, platform.into_sink()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs one replication to its end, optionally with the immediate
    /// connection turned off; returns every record and the summary numbers.
    fn records(model: &Model, rep: u32, at_once: bool) -> (Vec<CallRecord>, String) {
        let mut platform = Platform::new(model, rep, Vec::new());
        for pa in &mut platform.agents.portals {
            pa.answers_at_once &= at_once;
        }
        let mut q = EventQueue::with_capacity(64);
        platform.start(&mut q);
        q.run_until(&mut platform, model.duration + model.drain);
        assert!(!platform.inv.violated());
        // Every statistic (occupancy, levels, intervals), not only the records.
        let result = format!("{:?}", platform.result(rep, q.processed()));
        (platform.into_sink(), result)
    }

    /// Putting an agent who answers at once straight through gives exactly
    /// what ringing them and answering at the same instant gives: every
    /// record, in order, for both hunting policies, with patience and a
    /// queue time limit, heavy load included.
    #[test]
    fn connecting_at_once_matches_ringing_and_answering_at_once() {
        for policy in ["Evenly", "Strictly"] {
            let model = crate::model_from_str(
                &format!(
                    r#"Scenario(name: "t", duration_s: 14400.0, portals: [Portal(name: "p", agents: 12,
                    queue: Queue(policy: {policy}, ring_time_s: 15.0, max_wait_s: 240.0),
                    inbound: Traffic(arrivals: Poisson(per_hour: 400.0), talk_s: Exp(mean: 110.0),
                        patience_s: Some(Exp(mean: 90.0))),
                    agent: Agent(answer_prob: 1.0, answer_delay_s: Const(0.0), wrapup_s: Exp(mean: 5.0)))])"#
                ),
                "t.ron",
            )
            .expect("valid");
            assert!(Platform::new(&model, 0, ()).agents.portals[0].answers_at_once);
            for rep in 0..3 {
                let (fast, fast_stats) = records(&model, rep, true);
                let (rung, rung_stats) = records(&model, rep, false);
                assert!(fast.len() > 1000, "{policy}: {} calls", fast.len());
                assert!(fast
                    .iter()
                    .any(|r| r.wait.is_some_and(|w| w > SimTime::ZERO)));
                assert_eq!(fast, rung, "{policy}, replication {rep}");
                assert_eq!(fast_stats, rung_stats, "{policy}, replication {rep}");
            }
        }
    }

    /// The overdraft invariant reads what reserved calls did to the books:
    /// a run keeps it, and books taken two increments below zero break it.
    #[test]
    fn prepaid_overdraft_is_an_invariant() {
        let model = crate::model_from_str(
            r#"Scenario(name: "t", duration_s: 3600.0, portals: [Portal(name: "p", currency: RUB,
                balance: 10.0, agents: 20,
                inbound: Traffic(arrivals: Poisson(per_hour: 0.001), talk_s: Exp(mean: 60.0)),
                outbound: Some(Outbound(per_agent_per_hour: 30.0, talk_s: Exp(mean: 110.0),
                    destinations: [Destination(number: "+7 495 445-11-20", share: 1.0)])),
                tariffs: [Tariff(prefix: "7", per_min: 1.5)], cut_on_zero: true)])"#,
            "t.ron",
        )
        .expect("valid");
        let mut platform = Platform::new(&model, 0, Vec::new());
        let mut q = EventQueue::with_capacity(64);
        platform.start(&mut q);
        q.run_until(&mut platform, model.duration + model.drain);
        platform.money.check(&model, &mut platform.inv, q.now());
        assert!(!platform.inv.violated(), "{:?}", platform.inv.violation());
        let w = &platform.money.portals[0].wallet;
        assert!(w.settled > 0 && w.lowest_cover >= -150, "{w:?}");
        platform.money.portals[0].wallet.lowest_cover = -301;
        platform.money.check(&model, &mut platform.inv, q.now());
        let v = platform.inv.violation().expect("broken");
        assert_eq!(v.invariant.name(), "prepaid credit never overdrawn");
    }
}
