//! `queue_log`: one replication as an Asterisk queue log
//! (`time|callid|queue|agent|event|data1|data2|…`), for tools that read
//! queue logs (wallboards, reporting suites) and for `telsim fit` /
//! `telsim backtest`. Event names and data fields follow Asterisk's queue
//! log documentation; what telsim writes is listed in docs/outputs.md.
//!
//! Calls reach the writer as they finish, but their events (ENTERQUEUE at
//! queue entry, CONNECT at answer, …) lie earlier, interleaved with other
//! calls'. Events wait in a reorder heap and leave, in time order, once no
//! unfinished call can still produce an earlier one: call ids are given in
//! arrival order and no event precedes its call's arrival, so every event
//! before the arrival of the last call with all lower ids finished is
//! final. Memory is bounded by the calls open at once, not by the day.

use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::io::{self, Write};

use crate::engine::SimTime;
use crate::model::{CallRecord, Direction, Model, Outcome, RecordSink};

/// Simulated time 0 in epoch seconds when the scenario starts on a Monday:
/// Monday 2026-01-05 00:00 UTC (the origin `telsim fit` gives `calls.csv`).
/// A scenario with `start_weekday: Wed` starts two days later, so weekdays
/// in the log are the scenario's.
pub const QUEUE_LOG_ORIGIN_S: i64 = 1_767_571_200;

/// Epoch seconds of simulated time 0 for `model`.
pub fn queue_log_origin(model: &Model) -> i64 {
    let day = model
        .portals
        .first()
        .map_or(0, |p| p.steps.calendar.weekday(0) as i64);
    QUEUE_LOG_ORIGIN_S + day * 86_400
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Enter,
    Full,
    Connect,
    CompleteCaller,
    CompleteAgent,
    Transfer,
    Abandon,
    Timeout,
}

/// One pending line. `hold`/`talk` in microseconds; `to`: transfer target.
#[derive(Clone, Copy)]
struct Ev {
    t: u64,
    seq: u64,
    call: u64,
    kind: Kind,
    portal: u16,
    agent: Option<u32>,
    to: u32,
    hold: u64,
    talk: u64,
}

impl PartialEq for Ev {
    fn eq(&self, o: &Self) -> bool {
        (self.t, self.seq) == (o.t, o.seq)
    }
}
impl Eq for Ev {}
impl PartialOrd for Ev {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Ev {
    /// Reversed: `BinaryHeap` pops the earliest (time, then call id, then
    /// the call's own order) first.
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (o.t, o.seq).cmp(&(self.t, self.seq))
    }
}

/// Writes one replication's `queue_log` as its calls finish
/// ([`RecordSink`]); [`QueueLogSink::finish`] writes the rest and the
/// agents' log-offs. The first I/O error is kept and returned by `finish`.
pub struct QueueLogSink<W: Write> {
    out: W,
    err: Option<io::Error>,
    origin: i64,
    queues: Vec<String>,
    agents: Vec<(u16, String)>,
    heap: BinaryHeap<Ev>,
    /// Lowest call id not yet finished, and finished ids above it.
    next_id: u64,
    ahead: BTreeMap<u64, SimTime>,
    /// Events before this (µs) are final.
    bound: u64,
    /// Per portal: (queue entry µs, call id) of the callers in line.
    waiting: Vec<BTreeMap<(u64, u64), ()>>,
    /// Position at entry of the calls in line or talking.
    orig: HashMap<u64, u32>,
    last: u64,
}

/// `|` separates fields: a name containing one would shift them.
fn field(s: &str) -> String {
    s.replace(['|', '\n', '\r'], "_")
}

impl<W: Write> QueueLogSink<W> {
    /// Starts the log with an AGENTLOGIN per agent at time 0.
    pub fn new(model: &Model, out: W) -> QueueLogSink<W> {
        let queues: Vec<String> = model.portals.iter().map(|p| field(&p.name)).collect();
        let agents: Vec<(u16, String)> = model
            .portals
            .iter()
            .enumerate()
            .flat_map(|(i, p)| p.agent_names.iter().map(move |a| (i as u16, field(a))))
            .collect();
        let mut s = QueueLogSink {
            out,
            err: None,
            origin: queue_log_origin(model),
            queues,
            agents,
            heap: BinaryHeap::new(),
            next_id: 0,
            ahead: BTreeMap::new(),
            bound: 0,
            waiting: vec![BTreeMap::new(); model.portals.len()],
            orig: HashMap::new(),
            last: 0,
        };
        for i in 0..s.agents.len() {
            let (p, ref a) = s.agents[i];
            let line = format!(
                "{}|NONE|{}|{a}|AGENTLOGIN|Agent/{a}\n",
                s.origin, s.queues[p as usize]
            );
            s.put(&line);
        }
        s
    }

    fn put(&mut self, line: &str) {
        if self.err.is_none() {
            if let Err(e) = self.out.write_all(line.as_bytes()) {
                self.err = Some(e);
            }
        }
    }

    /// Epoch seconds of `t` µs, to the nearest second (Asterisk's unit).
    fn secs(&self, t: u64) -> i64 {
        self.origin + ((t + 500_000) / 1_000_000) as i64
    }

    fn callid(&self, call: u64) -> String {
        format!("{}.{call}", self.origin)
    }

    fn agent(&self, a: Option<u32>) -> &str {
        a.and_then(|a| self.agents.get(a as usize))
            .map_or("NONE", |(_, n)| n.as_str())
    }

    /// Position in line of `call` (1 = next to be served), and its removal.
    fn leave_line(&mut self, e: &Ev) -> u32 {
        let line = &mut self.waiting[e.portal as usize];
        let key = line
            .keys()
            .find(|k| k.1 == e.call)
            .copied()
            .unwrap_or((e.t, e.call));
        let pos = line.range(..key).count() as u32 + 1;
        line.remove(&key);
        pos
    }

    fn emit(&mut self, e: Ev) {
        let t = self.secs(e.t);
        let id = self.callid(e.call);
        let q = self.queues[e.portal as usize].clone();
        let agent = self.agent(e.agent).to_string();
        let hold = (e.hold + 500_000) / 1_000_000;
        let talk = (e.talk + 500_000) / 1_000_000;
        self.last = self.last.max(e.t);
        let line = match e.kind {
            Kind::Enter => {
                let line = &mut self.waiting[e.portal as usize];
                line.insert((e.t, e.call), ());
                let pos = line.len() as u32;
                self.orig.insert(e.call, pos);
                format!("{t}|{id}|{q}|NONE|ENTERQUEUE||unknown|{pos}\n")
            }
            Kind::Full => format!("{t}|{id}|{q}|NONE|FULL\n"),
            Kind::Connect => {
                self.leave_line(&e);
                format!("{t}|{id}|{q}|{agent}|CONNECT|{hold}|{id}.1|0\n")
            }
            Kind::CompleteCaller | Kind::CompleteAgent => {
                let o = self.orig.remove(&e.call).unwrap_or(1);
                let ev = if e.kind == Kind::CompleteCaller {
                    "COMPLETECALLER"
                } else {
                    "COMPLETEAGENT"
                };
                format!("{t}|{id}|{q}|{agent}|{ev}|{hold}|{talk}|{o}\n")
            }
            Kind::Transfer => {
                let o = self.orig.remove(&e.call).unwrap_or(1);
                let to = self.agent(Some(e.to)).to_string();
                format!("{t}|{id}|{q}|{agent}|TRANSFER|{to}|telsim|{hold}|{talk}|{o}\n")
            }
            Kind::Abandon | Kind::Timeout => {
                let pos = self.leave_line(&e);
                let o = self.orig.remove(&e.call).unwrap_or(pos);
                let ev = if e.kind == Kind::Abandon {
                    "ABANDON"
                } else {
                    "EXITWITHTIMEOUT"
                };
                format!("{t}|{id}|{q}|NONE|{ev}|{pos}|{o}|{hold}\n")
            }
        };
        self.put(&line);
    }

    fn flush_before(&mut self, bound: u64) {
        while self.heap.peek().is_some_and(|e| e.t < bound) {
            let e = self.heap.pop().expect("peeked");
            self.emit(e);
        }
    }

    /// Writes the remaining events, an AGENTLOGOFF per agent at the end of
    /// the day (`duration`, or the last event if later), and flushes.
    pub fn finish(mut self, duration: SimTime) -> io::Result<W> {
        self.flush_before(u64::MAX);
        let end = self.last.max(duration.micros());
        let t = self.secs(end);
        let logged = t - self.origin;
        for i in 0..self.agents.len() {
            let (p, ref a) = self.agents[i];
            let line = format!(
                "{t}|NONE|{}|{a}|AGENTLOGOFF|Agent/{a}|{logged}\n",
                self.queues[p as usize]
            );
            self.put(&line);
        }
        if let Some(e) = self.err.take() {
            return Err(e);
        }
        self.out.flush()?;
        Ok(self.out)
    }

    fn push(&mut self, r: &CallRecord, k: u64, t: SimTime, kind: Kind) {
        let talk = r.talk().map_or(0, SimTime::micros);
        self.heap.push(Ev {
            t: t.micros(),
            seq: r.call_id * 8 + k,
            call: r.call_id,
            kind,
            portal: r.portal,
            agent: r.agent,
            to: r.transfer.map_or(0, |x| x.to),
            hold: r.wait.map_or(0, SimTime::micros),
            talk,
        });
    }

    fn events(&mut self, r: &CallRecord) {
        if r.direction != Direction::Inbound {
            return;
        }
        let Some(wait) = r.wait else {
            if r.outcome == Outcome::Blocked {
                self.push(r, 0, r.arrival, Kind::Full);
            }
            return;
        };
        let enter = r.arrival + r.steps;
        self.push(r, 0, enter, Kind::Enter);
        // Voicemail and forwarding "answer" too, with no agent: for the
        // queue those calls timed out.
        match r.answer.filter(|_| r.agent.is_some()) {
            Some(answer) => {
                self.push(r, 1, answer, Kind::Connect);
                if r.outcome == Outcome::Unfinished {
                    return;
                }
                match r.transfer {
                    Some(x) => {
                        let at = answer + x.leg1 + x.consult;
                        let mut ev = *r;
                        ev.end = at;
                        self.push(&ev, 2, at.min(r.end), Kind::Transfer);
                    }
                    None => {
                        let kind = if r.outcome == Outcome::Answered {
                            Kind::CompleteCaller
                        } else {
                            Kind::CompleteAgent
                        };
                        self.push(r, 2, r.end, kind);
                    }
                }
            }
            None => {
                let kind = match r.outcome {
                    Outcome::Unfinished => return,
                    Outcome::Abandoned => Kind::Abandon,
                    _ => Kind::Timeout,
                };
                // Left the queue: the caller hung up, or the wait limit
                // sent the call on (voicemail, forward, hang-up).
                self.push(r, 2, (enter + wait).min(r.end), kind);
            }
        }
    }
}

impl<W: Write> RecordSink for QueueLogSink<W> {
    fn call_finished(&mut self, r: &CallRecord) {
        self.events(r);
        if r.call_id == self.next_id {
            self.bound = r.arrival.micros();
            self.next_id += 1;
            while let Some(a) = self.ahead.remove(&self.next_id) {
                self.bound = a.micros();
                self.next_id += 1;
            }
        } else if r.call_id > self.next_id {
            self.ahead.insert(r.call_id, r.arrival);
        }
        self.flush_before(self.bound);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: u64, arrival: f64, answer: Option<f64>, end: f64, outcome: Outcome) -> CallRecord {
        let s = SimTime::from_secs_f64;
        let mut r = CallRecord::bare(
            id,
            s(arrival),
            answer.map(s),
            s(end),
            Some(s(answer.unwrap_or(end) - arrival)),
            outcome,
        );
        r.agent = answer.map(|_| 0);
        r
    }

    #[test]
    fn lines_come_out_in_time_order_with_positions() {
        let model = crate::model_from_str(
            "Scenario(name: \"q\", duration_s: 100.0, portals: [Portal(name: \"desk\", agents: 1, \
             inbound: Traffic(arrivals: Poisson(per_hour: 10.0), talk_s: Exp(mean: 10.0)))])",
            "q.ron",
        )
        .expect("scenario");
        let mut sink = QueueLogSink::new(&model, Vec::new());
        // Call 1 ends before call 0: its lines wait for call 0's.
        sink.call_finished(&rec(1, 5.0, None, 9.0, Outcome::Abandoned));
        sink.call_finished(&rec(0, 1.0, Some(12.0), 40.0, Outcome::Answered));
        sink.call_finished(&rec(2, 50.0, None, 70.0, Outcome::NoAnswer));
        let out = String::from_utf8(sink.finish(model.duration).expect("ok")).expect("utf8");
        let o = QUEUE_LOG_ORIGIN_S;
        let agent = &model.portals[0].agent_names[0];
        let want = format!(
            "{o}|NONE|desk|{agent}|AGENTLOGIN|Agent/{agent}\n\
             {}|{o}.0|desk|NONE|ENTERQUEUE||unknown|1\n\
             {}|{o}.1|desk|NONE|ENTERQUEUE||unknown|2\n\
             {}|{o}.1|desk|NONE|ABANDON|2|2|4\n\
             {}|{o}.0|desk|{agent}|CONNECT|11|{o}.0.1|0\n\
             {}|{o}.0|desk|{agent}|COMPLETECALLER|11|28|1\n\
             {}|{o}.2|desk|NONE|ENTERQUEUE||unknown|1\n\
             {}|{o}.2|desk|NONE|EXITWITHTIMEOUT|1|1|20\n\
             {}|NONE|desk|{agent}|AGENTLOGOFF|Agent/{agent}|100\n",
            o + 1,
            o + 5,
            o + 9,
            o + 12,
            o + 40,
            o + 50,
            o + 70,
            o + 100,
        );
        assert_eq!(out, want);
    }
}
