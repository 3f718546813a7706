//! The router core of a portal with several queues (issue #14): calls wait
//! in per-queue, per-class-priority FIFO lines; a freed agent picks a call
//! across the queues it is skilled for; a call picks a free member of its
//! queue by the queue's policy.
//!
//! Everything is preallocated when the portal is built: no allocation per
//! event beyond a `VecDeque` growing to the longest line seen.
//!
//! # Order of service
//!
//! Inside a queue the head is the oldest call of the highest class priority
//! present (non-preemptive priority, FIFO within a class). A call carries a
//! `since` key, the order it first joined any queue (an overflowed call
//! keeps it), so "longest waiting" compares across queues exactly, without
//! floating-point times.
//!
//! A freed agent compares the heads of its queues ([`RouterPolicy`]):
//! - `LongestWaiting`: the head of highest class priority, then the
//!   smallest `since`;
//! - `QueuePriority`: the queue of highest `priority` with a waiting call,
//!   then as `LongestWaiting` among equal priorities;
//! - `SkillLevel`: the queue where the agent's level is highest with a
//!   waiting call, then as `LongestWaiting` among equal levels.
//!
//! Remaining ties go to the agent's first queue (file order of `queues`).
//!
//! # Lazy removal
//!
//! A call that leaves (abandons, times out, is taken from its other queue
//! after an `Also` overflow) stays in the lines as a stale entry; its owner
//! bumps the call's ticket, and entries whose ticket no longer matches are
//! dropped when they reach a head. Removal is O(1), a head look-up
//! amortised O(1).

// Not wired into the event loop yet: a run with `queues` is refused
// (`RunError::NotSimulated`); `check` describes the queues.
#![allow(dead_code)]

use std::collections::VecDeque;

use crate::engine::SimTime;
use crate::model::event::CallRef;
use crate::model::spec_routing::{ClassIx, QueueIx, QueuesSpec, Skill};
use crate::scenario::types::{QueuePolicy, RouterPolicy};

/// One waiting call's place in a queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub call: CallRef,
    /// Order of first entry into any queue (smaller: waiting longer).
    pub since: u64,
    /// The call's ticket when it joined; stale when the call's differs.
    pub ticket: u32,
    pub class: ClassIx,
}

/// A queue's waiting calls: one FIFO per priority band, highest first.
#[derive(Debug, Clone)]
pub struct ClassLines {
    bands: Vec<VecDeque<Entry>>,
    /// Live entries (stale ones excluded).
    pub waiting: u32,
}

impl ClassLines {
    fn new(bands: usize) -> Self {
        ClassLines {
            bands: (0..bands).map(|_| VecDeque::new()).collect(),
            waiting: 0,
        }
    }

    /// Drops stale heads; the live head of the highest band, if any.
    fn head(&mut self, live: &impl Fn(&Entry) -> bool) -> Option<Entry> {
        if self.waiting == 0 {
            for b in &mut self.bands {
                b.clear();
            }
            return None;
        }
        for b in &mut self.bands {
            while let Some(e) = b.front() {
                if live(e) {
                    return Some(*e);
                }
                b.pop_front();
            }
        }
        None
    }
}

/// Every queue's lines of one portal, with the class → band map.
#[derive(Debug, Clone)]
pub struct Router {
    pub lines: Vec<ClassLines>,
    /// Band of each class (0: highest priority).
    band_of: Vec<u8>,
    /// Priority of each class, for comparing heads across queues.
    class_priority: Vec<u32>,
    queue_priority: Vec<u32>,
    policy: RouterPolicy,
    next_since: u64,
}

impl Router {
    pub fn new(spec: &QueuesSpec) -> Self {
        let mut prios: Vec<u32> = spec.classes.iter().map(|c| c.priority).collect();
        prios.sort_unstable_by(|a, b| b.cmp(a));
        prios.dedup();
        let band_of = spec
            .classes
            .iter()
            .map(|c| prios.iter().position(|&p| p == c.priority).unwrap_or(0) as u8)
            .collect();
        Router {
            lines: (0..spec.queues.len())
                .map(|_| ClassLines::new(prios.len()))
                .collect(),
            band_of,
            class_priority: spec.classes.iter().map(|c| c.priority).collect(),
            queue_priority: spec.queues.iter().map(|q| q.priority).collect(),
            policy: spec.router,
            next_since: 0,
        }
    }

    /// A fresh `since` key for a call joining its first queue.
    pub fn new_since(&mut self) -> u64 {
        self.next_since += 1;
        self.next_since
    }

    /// Puts an entry at the back of its class's line in queue `q`.
    pub fn push(&mut self, q: QueueIx, e: Entry) {
        let l = &mut self.lines[q as usize];
        l.bands[self.band_of[e.class as usize] as usize].push_back(e);
        l.waiting += 1;
    }

    /// Puts an entry back at the front of its class's line (a ring round
    /// failed: it was at the head).
    pub fn push_front(&mut self, q: QueueIx, e: Entry) {
        let l = &mut self.lines[q as usize];
        l.bands[self.band_of[e.class as usize] as usize].push_front(e);
        l.waiting += 1;
    }

    /// A call of queue `q` left it (its entry is now stale: the caller has
    /// bumped its ticket).
    pub fn left(&mut self, q: QueueIx) {
        let l = &mut self.lines[q as usize];
        debug_assert!(l.waiting > 0);
        l.waiting -= 1;
    }

    /// The call a freed agent with `skills` takes, by the router policy, and
    /// the queue it is taken from; the entry is removed from that queue
    /// (the caller removes it from any other queue it waits in).
    pub fn take_for_agent(
        &mut self,
        skills: &[Skill],
        live: impl Fn(&Entry) -> bool,
    ) -> Option<(QueueIx, Entry)> {
        let mut best: Option<(QueueIx, Entry, (u32, u32, u64))> = None;
        for s in skills {
            let Some(e) = self.lines[s.queue as usize].head(&live) else {
                continue;
            };
            let cp = self.class_priority[e.class as usize];
            // Larger is better on the first two keys, smaller `since` better.
            let first = match self.policy {
                RouterPolicy::LongestWaiting => 0,
                RouterPolicy::QueuePriority => self.queue_priority[s.queue as usize],
                RouterPolicy::SkillLevel => s.level,
            };
            let key = (first, cp, e.since);
            let better = match &best {
                None => true,
                Some((_, _, b)) => {
                    (key.0, key.1) > (b.0, b.1) || ((key.0, key.1) == (b.0, b.1) && key.2 < b.2)
                }
            };
            if better {
                best = Some((s.queue, e, key));
            }
        }
        let (q, e, _) = best?;
        let l = &mut self.lines[q as usize];
        let band = self.band_of[e.class as usize] as usize;
        let popped = l.bands[band].pop_front();
        debug_assert_eq!(popped, Some(e));
        l.waiting -= 1;
        Some((q, e))
    }
}

/// Per-queue member sets and the agent-side state the queue policies read.
#[derive(Debug, Clone)]
pub struct Members {
    /// Per queue, a bitset of its members (words of 64 agents).
    bits: Vec<Vec<u64>>,
    /// Per queue, `Evenly`'s cursor (local agent index).
    pub rr_next: Vec<u32>,
    /// Per agent, when it last became free (`LongestIdle`).
    pub free_since: Vec<SimTime>,
    /// Per agent, calls answered (`FewestCalls`).
    pub answered: Vec<u32>,
}

/// What a queue's policy chose for a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// Every free member (`All`).
    All,
    One(u32),
    Nobody,
}

impl Members {
    pub fn new(spec: &QueuesSpec) -> Self {
        let n = spec.skills.len();
        let words = n.div_ceil(64);
        let bits = spec
            .queues
            .iter()
            .map(|q| {
                let mut b = vec![0u64; words];
                for m in &q.members {
                    b[m.agent as usize / 64] |= 1 << (m.agent % 64);
                }
                b
            })
            .collect();
        Members {
            bits,
            rr_next: vec![0; spec.queues.len()],
            free_since: vec![SimTime::ZERO; n],
            answered: vec![0; n],
        }
    }

    /// Free members of queue `q` given the portal's free bitset (as
    /// `AgentPool` keeps it, 64 agents a word), in agent order.
    pub fn free_members<'a>(
        &'a self,
        q: QueueIx,
        free: &'a [u64],
    ) -> impl Iterator<Item = u32> + 'a {
        self.bits[q as usize]
            .iter()
            .zip(free)
            .enumerate()
            .flat_map(|(w, (&m, &f))| {
                let mut b = m & f;
                std::iter::from_fn(move || {
                    if b == 0 {
                        return None;
                    }
                    let i = b.trailing_zeros();
                    b &= b - 1;
                    Some(w as u32 * 64 + i)
                })
            })
    }

    /// The first free member of `q` at or after agent `start`, wrapping.
    fn free_from(&self, q: QueueIx, free: &[u64], start: u32) -> Option<u32> {
        let bits = &self.bits[q as usize];
        let words = bits.len();
        if words == 0 {
            return None;
        }
        let start = start as usize;
        let first = (start / 64).min(words - 1);
        let masked =
            bits[first] & free[first] & (!0u64).checked_shl((start % 64) as u32).unwrap_or(0);
        if masked != 0 {
            return Some((first * 64) as u32 + masked.trailing_zeros());
        }
        let mut w = first;
        for _ in 0..words {
            w = if w + 1 == words { 0 } else { w + 1 };
            let b = bits[w] & free[w];
            if b != 0 {
                return Some((w * 64) as u32 + b.trailing_zeros());
            }
        }
        None
    }

    /// Whom queue `q` (of policy `policy`) rings for a fresh call.
    pub fn choose(&self, q: QueueIx, policy: QueuePolicy, free: &[u64]) -> Choice {
        let pick = match policy {
            QueuePolicy::All => {
                return if self.free_members(q, free).next().is_some() {
                    Choice::All
                } else {
                    Choice::Nobody
                }
            }
            QueuePolicy::Strictly => self.free_from(q, free, 0),
            QueuePolicy::Evenly => self.free_from(q, free, self.rr_next[q as usize]),
            QueuePolicy::LongestIdle => self
                .free_members(q, free)
                .min_by_key(|&a| (self.free_since[a as usize], a)),
            QueuePolicy::FewestCalls => self
                .free_members(q, free)
                .min_by_key(|&a| (self.answered[a as usize], a)),
        };
        pick.map_or(Choice::Nobody, Choice::One)
    }

    /// Agent `a` answered a call of queue `q`.
    pub fn answered(&mut self, q: QueueIx, a: u32, agents: u32) {
        self.answered[a as usize] += 1;
        self.rr_next[q as usize] = if a + 1 >= agents { 0 } else { a + 1 };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model_from_str;

    fn spec(router: &str, classes: &str) -> QueuesSpec {
        let text = format!(
            r#"Scenario(name: "q", duration_s: 3600.0, portals: [Portal(
                name: "shop", agents: 70,
                inbound: Traffic(arrivals: Poisson(per_hour: 60.0), talk_s: Exp(mean: 60.0)),
                router: {router}, classes: [{classes}],
                queues: [
                  QueueDef(name: "a", priority: 1, agents: {{"agent-1": 1, "agent-2": 5, "agent-66": 1}}),
                  QueueDef(name: "b", priority: 3, agents: {{"agent-2": 2, "agent-3": 1, {rest}}}),
                ])])"#,
            rest = (4..=70)
                .filter(|&i| i != 66)
                .map(|i| format!("\"agent-{i}\": 1"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        *model_from_str(&text, "q.ron").unwrap().portals[0]
            .queues
            .clone()
            .unwrap()
    }

    fn entry(slot: u32, since: u64, class: ClassIx) -> Entry {
        Entry {
            call: CallRef { slot, gen: 0 },
            since,
            ticket: 0,
            class,
        }
    }

    #[test]
    fn inside_a_queue_higher_classes_first_then_fifo() {
        let s = spec("LongestWaiting", r#"CallClass(name: "vip", priority: 9)"#);
        let mut r = Router::new(&s);
        r.push(0, entry(1, 1, 0));
        r.push(0, entry(2, 2, 1));
        r.push(0, entry(3, 3, 0));
        r.push(0, entry(4, 4, 1));
        let sk = &s.skills[0]; // agent-1: queue a only
        let order: Vec<u32> =
            std::iter::from_fn(|| r.take_for_agent(sk, |_| true).map(|(_, e)| e.call.slot))
                .collect();
        assert_eq!(order, vec![2, 4, 1, 3]);
        assert_eq!(r.lines[0].waiting, 0);
    }

    #[test]
    fn stale_entries_are_skipped_lazily() {
        let s = spec("LongestWaiting", "");
        let mut r = Router::new(&s);
        r.push(0, entry(1, 1, 0));
        r.push(0, entry(2, 2, 0));
        r.left(0); // call 1 abandoned: its ticket moved on
        let got = r.take_for_agent(&s.skills[0], |e| e.call.slot != 1);
        assert_eq!(got.map(|(q, e)| (q, e.call.slot)), Some((0, 2)));
        assert_eq!(r.take_for_agent(&s.skills[0], |_| true), None);
    }

    #[test]
    fn router_policies_and_their_tie_breaks() {
        // agent-2 serves a (level 5, priority 1) and b (level 2, priority 3).
        let classes = r#"CallClass(name: "vip", priority: 9)"#;
        let take = |router: &str, in_a: Entry, in_b: Entry| {
            let s = spec(router, classes);
            let mut r = Router::new(&s);
            r.push(0, in_a);
            r.push(1, in_b);
            r.take_for_agent(&s.skills[1], |_| true).map(|(q, _)| q)
        };
        // Longest waiting across queues.
        assert_eq!(
            take("LongestWaiting", entry(1, 2, 0), entry(2, 1, 0)),
            Some(1)
        );
        assert_eq!(
            take("LongestWaiting", entry(1, 1, 0), entry(2, 2, 0)),
            Some(0)
        );
        // A higher class beats a longer wait.
        assert_eq!(
            take("LongestWaiting", entry(1, 1, 0), entry(2, 2, 1)),
            Some(1)
        );
        // Queue priority: b (3) over a (1) whatever the wait.
        assert_eq!(
            take("QueuePriority", entry(1, 1, 1), entry(2, 2, 0)),
            Some(1)
        );
        // Skill level: a (5) over b (2).
        assert_eq!(take("SkillLevel", entry(1, 2, 0), entry(2, 1, 1)), Some(0));
        // Equal keys: the agent's first queue.
        assert_eq!(
            take("LongestWaiting", entry(1, 7, 0), entry(2, 7, 0)),
            Some(0)
        );
    }

    #[test]
    fn queue_policies_choose_among_free_members() {
        let s = spec("LongestWaiting", "");
        let mut m = Members::new(&s);
        let mut free = vec![!0u64, (1u64 << 6) - 1]; // 70 agents free
                                                     // Strictly: first member of b is agent-2 (index 1).
        assert_eq!(m.choose(1, QueuePolicy::Strictly, &free), Choice::One(1));
        // Evenly from a cursor past the word boundary, wrapping to a's agent-1.
        m.rr_next[0] = 66;
        assert_eq!(m.choose(0, QueuePolicy::Evenly, &free), Choice::One(0));
        m.rr_next[0] = 2;
        assert_eq!(m.choose(0, QueuePolicy::Evenly, &free), Choice::One(65));
        free[1] &= !(1 << 1); // agent-66 (index 65) busy
        assert_eq!(m.choose(0, QueuePolicy::Evenly, &free), Choice::One(0));
        // Longest idle and fewest calls, ties in agent order.
        m.free_since[0] = SimTime::from_secs_f64(10.0);
        assert_eq!(m.choose(0, QueuePolicy::LongestIdle, &free), Choice::One(1));
        m.answered[1] = 3;
        assert_eq!(m.choose(0, QueuePolicy::FewestCalls, &free), Choice::One(0));
        assert_eq!(m.choose(0, QueuePolicy::All, &free), Choice::All);
        let none = vec![0u64, 0];
        assert_eq!(m.choose(0, QueuePolicy::All, &none), Choice::Nobody);
        assert_eq!(m.choose(1, QueuePolicy::Evenly, &none), Choice::Nobody);
        assert_eq!(
            m.free_members(0, &free).collect::<Vec<_>>(),
            vec![0, 1],
            "agent-66 is busy"
        );
    }

    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        /// A call of class `class` joins queue `q`.
        Join { q: u16, class: u8 },
        /// Agent `a` comes free and takes a call.
        Free { a: usize },
        /// The `k`-th oldest live call leaves (abandon, max wait).
        Leave { k: usize },
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u16..2, 0u8..2).prop_map(|(q, class)| Op::Join { q, class }),
            (0usize..70).prop_map(|a| Op::Free { a }),
            (0usize..8).prop_map(|k| Op::Leave { k }),
        ]
    }

    proptest! {
        /// Against a brute-force reference over every live call: each call
        /// is taken at most once, only from a queue of the agent, only while
        /// live, and it is the best by the router policy's documented key
        /// (first key, class priority, then longest waiting; ties: the
        /// agent's first queue); the waiting counts stay exact.
        #[test]
        fn the_router_takes_the_best_live_call_exactly_once(
            router in prop_oneof![Just("LongestWaiting"), Just("QueuePriority"), Just("SkillLevel")],
            ops in proptest::collection::vec(op(), 1..200),
        ) {
            let s = spec(router, r#"CallClass(name: "vip", priority: 4)"#);
            let mut r = Router::new(&s);
            // Reference: live calls as (queue, slot, since, class).
            let mut live: Vec<(u16, u32, u64, u8)> = Vec::new();
            let mut gone = std::collections::HashSet::new();
            let mut slot = 0u32;
            for o in ops {
                match o {
                    Op::Join { q, class } => {
                        slot += 1;
                        let since = r.new_since();
                        r.push(q, Entry { call: CallRef { slot, gen: 0 }, since, ticket: 0, class });
                        live.push((q, slot, since, class));
                    }
                    Op::Leave { k } => {
                        if !live.is_empty() {
                            let (q, slot, ..) = live.remove(k % live.len());
                            r.left(q);
                            gone.insert(slot);
                        }
                    }
                    Op::Free { a } => {
                        let skills = &s.skills[a];
                        let key = |&(q, _, since, class): &(u16, u32, u64, u8)| {
                            let sk = skills.iter().position(|k| k.queue == q).unwrap();
                            let first = match router {
                                "QueuePriority" => s.queues[q as usize].priority,
                                "SkillLevel" => skills[sk].level,
                                _ => 0,
                            };
                            let cp = s.classes[class as usize].priority;
                            (std::cmp::Reverse(first), std::cmp::Reverse(cp), since, sk)
                        };
                        let want = live
                            .iter()
                            .filter(|c| skills.iter().any(|k| k.queue == c.0))
                            .min_by_key(|c| key(c))
                            .copied();
                        let got = r.take_for_agent(skills, |e| !gone.contains(&e.call.slot));
                        prop_assert_eq!(got.map(|(q, e)| (q, e.call.slot)), want.map(|w| (w.0, w.1)));
                        if let Some(w) = want {
                            live.retain(|c| c.1 != w.1);
                            gone.insert(w.1);
                        }
                    }
                }
                for q in 0..2u16 {
                    let n = live.iter().filter(|c| c.0 == q).count() as u32;
                    prop_assert_eq!(r.lines[q as usize].waiting, n);
                }
            }
        }
    }
}
