//! Agents per interval of the day and queue: logged in and not paused
//! (from login, membership and pause events), and busy (talking, from the
//! answered calls' talk intervals — all a CDR can show).

use std::collections::{BTreeMap, BTreeSet, HashMap};

#[derive(Debug, Clone, Default)]
struct QueueStaff {
    available: i64,
    last_t: Option<f64>,
    /// Agent-seconds available per interval of the day, pooled over days.
    agent_s: Vec<f64>,
    /// Agent-seconds talking per interval of the day.
    busy_s: Vec<f64>,
    has_events: bool,
    /// The most agents available at any instant.
    peak: i64,
}

#[derive(Debug, Clone, Default)]
struct AgentState {
    on: bool,
    paused: bool,
    queues: BTreeSet<String>,
}

impl AgentState {
    fn available(&self) -> bool {
        self.on && !self.paused
    }
}

/// The staffing accumulator.
#[derive(Debug, Clone)]
pub struct Staffing {
    interval_s: f64,
    bins: usize,
    queues: BTreeMap<String, QueueStaff>,
    agents: HashMap<String, AgentState>,
}

/// Adds `amount` per second over `[t0, t1)` into per-interval-of-day bins.
fn spread(bins: &mut [f64], interval_s: f64, t0: f64, t1: f64, amount: f64) {
    if t1.partial_cmp(&t0) != Some(std::cmp::Ordering::Greater) || amount == 0.0 {
        return;
    }
    let mut t = t0;
    while t < t1 {
        let k = (t / interval_s).floor();
        let end = ((k + 1.0) * interval_s).min(t1);
        let b = ((t.rem_euclid(86400.0)) / interval_s) as usize;
        let b = b.min(bins.len() - 1);
        bins[b] += amount * (end - t);
        t = end;
    }
}

impl Staffing {
    pub fn new(interval_s: f64) -> Staffing {
        let bins = (86400.0 / interval_s).ceil() as usize;
        Staffing {
            interval_s,
            bins,
            queues: BTreeMap::new(),
            agents: HashMap::new(),
        }
    }

    fn queue(&mut self, q: &str) -> &mut QueueStaff {
        let bins = self.bins;
        self.queues
            .entry(q.to_string())
            .or_insert_with(|| QueueStaff {
                agent_s: vec![0.0; bins],
                busy_s: vec![0.0; bins],
                ..Default::default()
            })
    }

    fn advance(&mut self, q: &str, t: f64) {
        let w = self.interval_s;
        let s = self.queue(q);
        if let Some(l) = s.last_t {
            if t > l {
                let a = s.available as f64;
                spread(&mut s.agent_s, w, l, t, a);
                s.last_t = Some(t);
            }
        } else {
            s.last_t = Some(t);
        }
    }

    /// An agent's state changes at `t` (`queue` None: all its queues).
    pub fn agent_event(
        &mut self,
        t: f64,
        agent: &str,
        queue: Option<&str>,
        kind: crate::logs::AgentEventKind,
    ) {
        use crate::logs::AgentEventKind as K;
        let before = self.agents.get(agent).cloned().unwrap_or_default();
        let mut after = before.clone();
        match kind {
            K::Login => {
                after.on = true;
                if let Some(q) = queue {
                    after.queues.insert(q.to_string());
                }
            }
            K::Logoff => after.on = false,
            K::Pause => after.paused = true,
            K::Unpause => after.paused = false,
            K::Add => {
                after.on = true;
                if let Some(q) = queue {
                    after.queues.insert(q.to_string());
                }
            }
            K::Remove => {
                if let Some(q) = queue {
                    after.queues.remove(q);
                }
            }
        }
        self.apply(t, agent, before, after);
    }

    fn apply(&mut self, t: f64, agent: &str, before: AgentState, after: AgentState) {
        let all: BTreeSet<String> = before.queues.union(&after.queues).cloned().collect();
        for q in &all {
            self.advance(q, t);
            let was = before.available() && before.queues.contains(q);
            let is = after.available() && after.queues.contains(q);
            let s = self.queue(q);
            s.has_events = true;
            s.available += is as i64 - was as i64;
            s.peak = s.peak.max(s.available);
        }
        self.agents.insert(agent.to_string(), after);
    }

    /// An answered call: its talk counts as busy; its agent is learnt to
    /// serve its queue.
    pub fn call(&mut self, queue: &str, agent: Option<&str>, answer: f64, end: f64) {
        let w = self.interval_s;
        spread(&mut self.queue(queue).busy_s, w, answer, end, 1.0);
        if let Some(a) = agent {
            if let Some(st) = self.agents.get(a) {
                if !st.queues.contains(queue) {
                    let before = st.clone();
                    let mut after = before.clone();
                    after.queues.insert(queue.to_string());
                    self.apply(answer, a, before, after);
                }
            }
        }
    }

    /// Closes every queue's accumulation at `t` (the log's end).
    pub fn finish(&mut self, t: f64) {
        let qs: Vec<String> = self.queues.keys().cloned().collect();
        for q in qs {
            self.advance(&q, t);
        }
    }

    /// The most agents available at once in `queue` (None without agent
    /// events).
    pub fn peak_available(&self, queue: &str) -> Option<u64> {
        let s = self.queues.get(queue)?;
        s.has_events.then_some(s.peak.max(0) as u64)
    }

    /// Mean agents available and busy per interval of the day over
    /// `days` days; `available` is None without agent events.
    pub fn profile(&self, queue: &str, days: usize) -> (Option<Vec<f64>>, Vec<f64>) {
        let d = days.max(1) as f64 * self.interval_s;
        match self.queues.get(queue) {
            None => (None, vec![0.0; self.bins]),
            Some(s) => (
                s.has_events
                    .then(|| s.agent_s.iter().map(|a| a / d).collect()),
                s.busy_s.iter().map(|b| b / d).collect(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::AgentEventKind as K;

    #[test]
    fn logged_in_time_is_spread_over_intervals() {
        let mut s = Staffing::new(3600.0);
        s.agent_event(0.0, "a", Some("q"), K::Add);
        s.agent_event(1800.0, "b", Some("q"), K::Add);
        s.agent_event(3600.0, "b", None, K::Pause);
        s.agent_event(5400.0, "a", None, K::Logoff);
        s.finish(7200.0);
        let (avail, _) = s.profile("q", 1);
        let avail = avail.unwrap();
        // Hour 0: a all hour, b half → 1.5; hour 1: a half → 0.5.
        assert!((avail[0] - 1.5).abs() < 1e-12, "{avail:?}");
        assert!((avail[1] - 0.5).abs() < 1e-12, "{avail:?}");
    }

    #[test]
    fn a_login_naming_a_queue_makes_a_member() {
        let mut s = Staffing::new(3600.0);
        s.agent_event(0.0, "a", Some("q"), K::Login);
        s.agent_event(0.0, "b", None, K::Login);
        s.finish(3600.0);
        // b logged in to no queue and answered nothing: not counted in q.
        assert_eq!(s.profile("q", 1).0.unwrap()[0], 1.0);
    }

    #[test]
    fn busy_from_talk() {
        let mut s = Staffing::new(3600.0);
        s.call("q", None, 3000.0, 4200.0);
        let (avail, busy) = s.profile("q", 1);
        assert!(avail.is_none());
        assert!((busy[0] - 600.0 / 3600.0).abs() < 1e-12);
        assert!((busy[1] - 600.0 / 3600.0).abs() < 1e-12);
    }
}
