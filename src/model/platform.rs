use std::ops::ControlFlow;

use rand::Rng;

use crate::engine::{stream, EventQueue, Handler, SimTime, StreamRng};
use crate::scenario::types::Policy;
use crate::stats::{IntervalCounters, IntervalRow, Level, MetricValues, ScopeTotals};

use super::arrivals::ArrivalProcess;
use super::call::{Call, CallState, CallTable};
use super::event::{CallRef, Event};
use super::queue::{AgentState, PortalQueue};
use super::record::{CallRecord, Outcome, RecordSink};
use super::server::ServerState;
use super::spec::{Model, NoAnswerRule};
use crate::stats::WindowLevels;

/// Purposes of the per-portal random streams (see `engine::stream`).
const STREAM_ARRIVALS: u64 = 1;
const STREAM_TALK: u64 = 2;
const STREAM_PATIENCE: u64 = 3;
const STREAM_AGENTS: u64 = 4;

/// Marks a call that has not rung anyone yet (its cursor is chosen by policy).
const CURSOR_UNSET: u32 = u32::MAX;

struct PortalRuntime {
    queue: PortalQueue,
    arrivals: ArrivalProcess,
    rng_arrivals: StreamRng,
    rng_talk: StreamRng,
    rng_patience: StreamRng,
    rng_agents: StreamRng,
    /// Global index of this portal's first agent.
    agent_base: u32,
}

/// What one replication produced, besides the streamed call records.
#[derive(Debug, Clone)]
pub struct ReplicationResult {
    pub replication: u32,
    /// Metric values per scope: platform first, then portals in file order.
    pub metrics: Vec<MetricValues>,
    pub intervals: Vec<IntervalRow>,
    pub events: u64,
    /// Calls generated (including warm-up), i.e. rows in `calls.csv`.
    pub calls: u64,
    pub unfinished: u64,
    /// Peak number of calls in the system at once (memory follows this).
    pub peak_calls: usize,
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
    /// Portal owning each global agent index.
    agent_portal: Vec<u16>,
    next_call_id: u64,
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
}

impl<'m, S: RecordSink> Platform<'m, S> {
    pub fn new(m: &'m Model, replication: u32, sink: S) -> Self {
        let mut agent_portal = Vec::with_capacity(m.total_agents());
        let portals = m
            .portals
            .iter()
            .enumerate()
            .map(|(p, spec)| {
                let entity = p as u64 + 1;
                let rep = replication as u64;
                let agent_base = agent_portal.len() as u32;
                agent_portal.extend(std::iter::repeat_n(p as u16, spec.agent_names.len()));
                PortalRuntime {
                    queue: PortalQueue::new(spec.agent_names.len()),
                    arrivals: ArrivalProcess::new(spec.arrivals.clone()),
                    rng_arrivals: stream(m.seed, rep, entity, STREAM_ARRIVALS),
                    rng_talk: stream(m.seed, rep, entity, STREAM_TALK),
                    rng_patience: stream(m.seed, rep, entity, STREAM_PATIENCE),
                    rng_agents: stream(m.seed, rep, entity, STREAM_AGENTS),
                    agent_base,
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
            agent_portal,
            next_call_id: 0,
            stopped: false,
            peak_calls: 0,
            totals: vec![ScopeTotals::default(); 1 + np],
            iv: vec![IntervalCounters::default(); 1 + np + ns],
            in_system: vec![Level::default(); 1 + np + ns],
            waiting: vec![Level::default(); 1 + np],
            busy: vec![Level::default(); 1 + np],
            interval_start: SimTime::ZERO,
            interval_rows: Vec::new(),
            scratch: Vec::new(),
            unfinished: 0,
        }
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
        q.schedule_at(m.interval.min(m.duration), Event::IntervalTick);
        for p in 0..self.portals.len() {
            self.schedule_next_arrival(p, q);
        }
    }

    pub fn sink(&self) -> &S {
        &self.sink
    }

    pub fn into_sink(self) -> S {
        self.sink
    }

    fn schedule_next_arrival(&mut self, p: usize, q: &mut EventQueue<Event>) {
        let pr = &mut self.portals[p];
        if let Some(t) = pr.arrivals.next(&mut pr.rng_arrivals) {
            let at = SimTime::from_secs_f64(t);
            if at < self.m.duration {
                q.schedule_at(at, Event::Arrival { portal: p as u16 });
            }
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
        let id = self.next_call_id;
        self.next_call_id += 1;
        self.iv[1 + p].offered += 1;

        let server = if self.servers.is_empty() {
            None
        } else {
            match self.pick_server(now, p) {
                Some(s) => Some(s),
                None => {
                    let rec = CallRecord {
                        call_id: id,
                        portal: p as u16,
                        arrival: now,
                        answer: None,
                        end: now,
                        wait: None,
                        outcome: Outcome::Blocked,
                        agent: None,
                        server: None,
                    };
                    self.emit(&rec);
                    return;
                }
            }
        };

        let c = self.calls.insert(Call {
            id,
            portal: p as u16,
            arrival: now,
            state: CallState::Waiting,
            answer: None,
            agent: None,
            server,
            ringing: 0,
            rung_agent: 0,
            cursor: CURSOR_UNSET,
        });
        self.peak_calls = self.peak_calls.max(self.calls.live());
        let np = self.portals.len();
        self.in_system[0].inc(now);
        self.in_system[1 + p].inc(now);
        if let Some(s) = server {
            self.servers[s as usize].accept(now);
            self.in_system[1 + np + s as usize].inc(now);
        }

        let spec = &self.m.portals[p];
        if let Some(patience) = &spec.patience {
            let d = patience.sample(&mut self.portals[p].rng_patience);
            q.schedule_in(d, Event::Patience(c));
        }
        if let Some(max_wait) = spec.max_wait {
            q.schedule_in(max_wait, Event::MaxWait(c));
        }

        let queue = &self.portals[p].queue;
        if queue.waiting == 0 && queue.free > 0 {
            self.try_ring(now, c, None, q);
        } else {
            self.portals[p].queue.push_back(c);
            self.waiting_inc(now, p);
        }
    }

    /// Least-loaded server (ties: first listed) that accepts a call now.
    fn pick_server(&self, now: SimTime, p: usize) -> Option<u16> {
        let mut best: Option<(u32, u16)> = None;
        for &s in &self.m.portals[p].servers {
            let st = &self.servers[s as usize];
            if st.can_accept(now) && best.is_none_or(|(a, _)| st.active < a) {
                best = Some((st.active, s));
            }
        }
        best.map(|(_, s)| s)
    }

    /// Rings agent(s) for a call that is not in the line; at least one agent
    /// of its portal must be free. `hint` is an agent known to be free (the
    /// one that just became free), which spares a scan.
    fn try_ring(&mut self, now: SimTime, c: CallRef, hint: Option<u32>, q: &mut EventQueue<Event>) {
        let Some(call) = self.calls.get(c) else {
            return;
        };
        let p = call.portal as usize;
        let spec = &self.m.portals[p];
        let pr = &mut self.portals[p];
        let mut scratch = std::mem::take(&mut self.scratch);
        let n = pr.queue.len();
        let ring_time = spec.ring_time;
        let always_answers = spec.answer_prob >= 1.0;

        // Decide, for each agent rung, whether and when they would pick up;
        // only the earliest pick-up matters.
        let mut best: Option<(SimTime, u32)> = None;
        let mut rung = 0u32;
        let mut last_rung = 0u32;
        let mut ring = |local: u32, pr: &mut PortalRuntime| {
            pr.queue.set_state(local, AgentState::Ringing(c));
            rung += 1;
            last_rung = local;
            let answers = always_answers || pr.rng_agents.gen::<f64>() < spec.answer_prob;
            let delay = spec.answer_delay.sample(&mut pr.rng_agents);
            if answers && delay < ring_time && best.is_none_or(|(d, _)| delay < d) {
                best = Some((delay, local));
            }
        };
        let mut cursor = call.cursor;
        match spec.policy {
            Policy::All => {
                // Collected first: ringing changes the free set being walked.
                scratch.clear();
                scratch.extend(pr.queue.free_agents());
                for &local in &scratch {
                    ring(local, pr);
                }
            }
            Policy::Evenly | Policy::Strictly => {
                let local = match hint {
                    Some(g) if pr.queue.free == 1 => g - pr.agent_base,
                    _ => {
                        let start = match (cursor, spec.policy) {
                            (CURSOR_UNSET, Policy::Evenly) => pr.queue.rr_next,
                            (CURSOR_UNSET, _) => 0,
                            (cur, _) => cur,
                        };
                        match pr.queue.find_free_from(start) {
                            Some(a) => a,
                            None => {
                                self.scratch = scratch;
                                return;
                            }
                        }
                    }
                };
                ring(local, pr);
                cursor = (local + 1) % n;
            }
        }
        self.scratch = scratch;
        if rung == 0 {
            return;
        }
        let base = pr.agent_base;
        for _ in 0..rung {
            self.busy_inc(now, p);
        }
        let call = self.calls.get_mut(c).expect("checked above");
        call.state = CallState::Ringing;
        call.ringing = rung;
        call.rung_agent = base + last_rung;
        call.cursor = cursor;
        match best {
            Some((delay, local)) if delay == SimTime::ZERO => self.answer(now, c, base + local, q),
            Some((delay, local)) => q.schedule_in(
                delay,
                Event::RingAnswer {
                    call: c,
                    agent: base + local,
                },
            ),
            None => q.schedule_in(ring_time, Event::RingTimeout(c)),
        }
    }

    /// Frees every agent still ringing for `c` except `keep`.
    fn release_ringing(&mut self, now: SimTime, c: CallRef, p: usize, keep: Option<u32>) {
        let Some(call) = self.calls.get_mut(c) else {
            return;
        };
        let remaining = call.ringing;
        call.ringing = 0;
        if remaining == 0 {
            return;
        }
        let pr = &mut self.portals[p];
        if remaining == 1 {
            // The common case (Evenly, Strictly): no scan.
            if keep != Some(call.rung_agent) {
                pr.queue
                    .set_state(call.rung_agent - pr.agent_base, AgentState::Free);
                self.busy_dec(now, p);
            }
            return;
        }
        let keep_local = keep.map(|g| g - pr.agent_base);
        let mut ringing = std::mem::take(&mut self.scratch);
        ringing.clear();
        ringing.extend(pr.queue.ringing_for(c));
        let mut freed = 0;
        for &local in &ringing {
            if Some(local) != keep_local {
                pr.queue.set_state(local, AgentState::Free);
                freed += 1;
            }
        }
        self.scratch = ringing;
        for _ in 0..freed {
            self.busy_dec(now, p);
        }
    }

    fn answer(&mut self, now: SimTime, c: CallRef, agent: u32, q: &mut EventQueue<Event>) {
        let Some(call) = self.calls.get(c) else {
            return;
        };
        let p = call.portal as usize;
        let arrival = call.arrival;
        let others_rung = call.ringing > 1;
        self.release_ringing(now, c, p, Some(agent));
        let pr = &mut self.portals[p];
        let local = agent - pr.agent_base;
        pr.queue.set_state(local, AgentState::Talking(c));
        if self.m.portals[p].policy == Policy::Evenly {
            pr.queue.rr_next = (local + 1) % pr.queue.len();
        }
        let talk = self.m.portals[p].talk.sample(&mut pr.rng_talk);
        let call = self.calls.get_mut(c).expect("live");
        call.state = CallState::Talking;
        call.answer = Some(now);
        call.agent = Some(agent);

        let wait = now - arrival;
        let within_sl = wait <= self.m.service_level;
        let iv = &mut self.iv[1 + p];
        iv.answered_now += 1;
        iv.wait_answered_us += wait.micros();
        iv.answered_within_sl += within_sl as u32;
        q.schedule_in(talk, Event::TalkEnd(c));
        if others_rung {
            // Agents released by a ring-all round may serve waiting calls.
            self.dispatch(now, p, None, q);
        }
    }

    fn on_ring_answer(&mut self, now: SimTime, c: CallRef, agent: u32, q: &mut EventQueue<Event>) {
        match self.calls.get(c) {
            Some(call) if call.state == CallState::Ringing => self.answer(now, c, agent, q),
            _ => {} // the caller left meanwhile; agents were released then
        }
    }

    fn on_ring_timeout(&mut self, now: SimTime, c: CallRef, q: &mut EventQueue<Event>) {
        let p = match self.calls.get(c) {
            Some(call) if call.state == CallState::Ringing => call.portal as usize,
            _ => return,
        };
        self.release_ringing(now, c, p, None);
        self.calls.get_mut(c).expect("live").state = CallState::Waiting;
        if self.portals[p].queue.free > 0 {
            self.try_ring(now, c, None, q);
        } else {
            self.portals[p].queue.push_front(c);
            self.waiting_inc(now, p);
        }
        self.dispatch(now, p, None, q);
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
                self.portals[p].queue.left_line();
                self.waiting_dec(now, p);
            }
            CallState::Ringing => self.release_ringing(now, c, p, None),
        }
        self.finish(now, c, outcome);
        self.dispatch(now, p, None, q);
    }

    fn on_max_wait(&mut self, now: SimTime, c: CallRef, q: &mut EventQueue<Event>) {
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

    fn on_talk_end(&mut self, now: SimTime, c: CallRef, q: &mut EventQueue<Event>) {
        let Some(call) = self.calls.get(c) else {
            return;
        };
        let (p, agent) = (
            call.portal as usize,
            call.agent.expect("talking call has an agent"),
        );
        self.finish(now, c, Outcome::Answered);
        let pr = &mut self.portals[p];
        let local = agent - pr.agent_base;
        let wrapup = self.m.portals[p].wrapup.sample(&mut pr.rng_agents);
        if wrapup == SimTime::ZERO {
            self.agent_free(now, agent, q);
        } else {
            pr.queue.set_state(local, AgentState::Wrapup);
            q.schedule_in(wrapup, Event::WrapupEnd { agent });
        }
    }

    fn agent_free(&mut self, now: SimTime, agent: u32, q: &mut EventQueue<Event>) {
        let p = self.agent_portal[agent as usize] as usize;
        let pr = &mut self.portals[p];
        let local = agent - pr.agent_base;
        debug_assert!(pr.queue.state(local) != AgentState::Free);
        pr.queue.set_state(local, AgentState::Free);
        self.busy_dec(now, p);
        self.dispatch(now, p, Some(agent), q);
    }

    /// Gives free agents to waiting calls, head of the line first, until one
    /// side runs out.
    fn dispatch(
        &mut self,
        now: SimTime,
        p: usize,
        mut hint: Option<u32>,
        q: &mut EventQueue<Event>,
    ) {
        while self.portals[p].queue.free > 0 {
            let calls = &self.calls;
            let next = self.portals[p]
                .queue
                .pop_waiting(|c| calls.get(c).is_some_and(|k| k.state == CallState::Waiting));
            let Some(c) = next else { break };
            self.waiting_dec(now, p);
            self.try_ring(now, c, hint.take(), q);
        }
    }

    /// Removes a call from the system and emits its record.
    fn finish(&mut self, now: SimTime, c: CallRef, outcome: Outcome) {
        let call = self.calls.remove(c).expect("finishing a live call");
        let p = call.portal as usize;
        let np = self.portals.len();
        self.in_system[0].dec(now);
        self.in_system[1 + p].dec(now);
        if let Some(s) = call.server {
            self.servers[s as usize].release();
            self.in_system[1 + np + s as usize].dec(now);
        }
        let wait_end = call.answer.unwrap_or(now);
        let rec = CallRecord {
            call_id: call.id,
            portal: call.portal,
            arrival: call.arrival,
            answer: call.answer,
            end: now,
            wait: Some(wait_end - call.arrival),
            outcome,
            agent: call.agent,
            server: call.server,
        };
        self.emit(&rec);
    }

    fn emit(&mut self, rec: &CallRecord) {
        let p = rec.portal as usize;
        if rec.arrival >= self.m.warmup {
            self.totals[1 + p].record(rec, self.m.service_level);
        }
        let o = rec.outcome.index();
        self.iv[1 + p].outcomes[o] += 1;
        if let Some(s) = rec.server {
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
        self.close_interval(now);
        if now < self.m.duration {
            q.schedule_at(
                (now + self.m.interval).min(self.m.duration),
                Event::IntervalTick,
            );
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
            };
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
        self.interval_start = now;
    }

    fn on_drain_limit(&mut self, now: SimTime) {
        for c in self.calls.live_refs() {
            let Some(call) = self.calls.get(c) else {
                continue;
            };
            let p = call.portal as usize;
            match call.state {
                CallState::Waiting => {
                    self.portals[p].queue.left_line();
                    self.waiting_dec(now, p);
                }
                CallState::Ringing => self.release_ringing(now, c, p, None),
                CallState::Talking => {}
            }
            self.finish(now, c, Outcome::Unfinished);
            self.unfinished += 1;
        }
        // With no drain time the last interval tick (at `duration`) is still
        // queued behind this event: close that interval here.
        if self.interval_start < self.m.duration && now >= self.m.duration {
            self.close_interval(now);
        }
        self.stopped = true;
    }

    /// Per-scope metric values of the finished replication.
    pub fn result(&self, replication: u32, events: u64) -> ReplicationResult {
        let window_s = (self.m.duration - self.m.warmup).as_secs_f64();
        let mut platform_totals = ScopeTotals::default();
        for t in &self.totals[1..] {
            platform_totals.merge(t);
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
        ReplicationResult {
            replication,
            metrics,
            intervals: self.interval_rows.clone(),
            events,
            calls: self.next_call_id,
            unfinished: self.unfinished,
            peak_calls: self.peak_calls,
        }
    }
}

impl<S: RecordSink> Handler for Platform<'_, S> {
    type Event = Event;

    #[inline]
    fn handle(&mut self, now: SimTime, event: Event, q: &mut EventQueue<Event>) {
        if self.stopped {
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
            Event::WarmupEnd => self.open_windows(now),
            Event::ArrivalsClose => self.close_windows(now),
            Event::DrainLimit => self.on_drain_limit(now),
        }
    }
}

/// Runs one replication to completion, streaming finished calls to `sink`.
/// `progress` is called every slice of simulated time with the time reached;
/// returning `Break` abandons the replication (used for Ctrl-C).
pub fn run_replication<S: RecordSink>(
    model: &Model,
    replication: u32,
    sink: S,
    mut progress: impl FnMut(SimTime) -> ControlFlow<()>,
) -> Option<(ReplicationResult, S)> {
    let mut platform = Platform::new(model, replication, sink);
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
    let result = platform.result(replication, q.processed());
    Some((result, platform.into_sink()))
}
