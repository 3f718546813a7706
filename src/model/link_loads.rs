//! Media load on the links, kept per *group* of links rather than per link.
//!
//! Every call with media adds its flow to each link of its route at answer
//! and takes it off at hang-up. Links that every route crosses the same
//! number of times (zero, once, twice…) have had exactly the same flows at
//! all times, so their levels — value, time integral, interval maximum —
//! are equal: one level stands for all of them. A route is then a short
//! list of groups (one for the whole path when no other route shares part
//! of it), and a call costs one level update per group instead of one per
//! link.
//!
//! Groups are refined as routes appear (partition refinement): a new route
//! splits each group it touches by how many times it crosses each member;
//! the parts start as copies of the group's levels, which is exact because
//! their history so far was the same. Groups are never merged. The result
//! is identical to keeping a level per link (a property test below checks
//! it against that reference), including the overload ratio: the worst
//! load / capacity over a group's links is its load over the smallest
//! capacity, as correctly rounded division is monotone in the divisor.

use crate::engine::SimTime;
use crate::stats::Level;

/// Flows (one per call, both directions) and load per direction in kbit/s
/// of every link of a group, and the smallest capacity among them.
#[derive(Debug, Clone)]
struct GroupLoad {
    flows: Level,
    kbps: Level,
    min_capacity_kbps: f64,
}

/// A link's interval figures: (mean, maximum) of its flows and of its load
/// in kbit/s.
pub type LinkInterval = ((f64, u32), (f64, u32));

#[derive(Debug, Clone)]
pub struct LinkLoads {
    capacity_kbps: Vec<f64>,
    group_of: Vec<u32>,
    /// Each link's index in its group's member list (for O(1) moves).
    pos: Vec<u32>,
    members: Vec<Vec<u32>>,
    groups: Vec<GroupLoad>,
    /// Bumped at every split: a route's cached group list is valid while
    /// its generation matches.
    generation: u64,
    /// Per group, this interval's figures (reused across intervals).
    closing: Vec<LinkInterval>,
}

impl LinkLoads {
    /// All links start in one group: no flow has touched any of them.
    pub fn new(capacity_kbps: Vec<f64>) -> Self {
        let n = capacity_kbps.len();
        let (members, groups) = if n == 0 {
            (Vec::new(), Vec::new())
        } else {
            let all: Vec<u32> = (0..n as u32).collect();
            let load = GroupLoad {
                flows: Level::default(),
                kbps: Level::default(),
                min_capacity_kbps: min_capacity(&capacity_kbps, &all),
            };
            (vec![all], vec![load])
        };
        LinkLoads {
            capacity_kbps,
            group_of: vec![0; n],
            pos: (0..n as u32).collect(),
            members,
            groups,
            generation: 0,
            closing: Vec::new(),
        }
    }

    /// Changes whenever groups split (see [`register`](Self::register)).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Makes the route `links` (in order; a link may appear twice when two
    /// segments share it) a union of whole groups, splitting groups as
    /// needed, and returns the groups to update for one flow on it: each
    /// group as many times as the route crosses its links, in the order of
    /// first appearance. Call again when [`generation`](Self::generation)
    /// has changed since (later splits may have divided its groups).
    ///
    /// Costs O(L log L) for a route of L links, whatever the size of the
    /// groups it splits: only the route's links move (to new groups), the
    /// rest stay; the smallest capacity is recomputed only for the route's
    /// own groups, the only ones a flow on it touches.
    pub fn register(&mut self, links: &[u32]) -> Vec<u32> {
        // The route's distinct links with their crossing counts, by group
        // then count, so that each (group, count) class is a run.
        let mut crossed: Vec<(u32, u32)> = links.iter().map(|&l| (l, 0)).collect();
        crossed.sort_unstable();
        crossed.dedup_by(|next, first| {
            let same = next.0 == first.0;
            first.1 += same as u32;
            same
        });
        let mut classes: Vec<(u32, u32, u32)> = crossed
            .iter()
            .map(|&(l, extra)| (self.group_of[l as usize], extra + 1, l))
            .collect();
        classes.sort_unstable();
        let mut start = 0;
        while start < classes.len() {
            let g = classes[start].0;
            let mut end = start;
            while end < classes.len() && classes[end].0 == g {
                end += 1;
            }
            // The route's links in group g, as runs of equal count.
            let whole = end - start == self.members[g as usize].len();
            let mut run = start;
            let mut first_run = true;
            while run < end {
                let count = classes[run].1;
                let mut run_end = run;
                while run_end < end && classes[run_end].1 == count {
                    run_end += 1;
                }
                // When the route covers the whole group, its first count
                // class keeps the group; every other class moves out.
                if !(whole && first_run) {
                    let id = self.groups.len() as u32;
                    self.groups.push(self.groups[g as usize].clone());
                    self.members.push(Vec::with_capacity(run_end - run));
                    for &(_, _, l) in &classes[run..run_end] {
                        self.move_link(l, id);
                    }
                    self.generation += 1;
                }
                first_run = false;
                run = run_end;
            }
            start = end;
        }
        // One visit per crossing, groups in order of first appearance.
        let mut visits: Vec<u32> = Vec::new();
        let mut seen: Vec<u32> = Vec::new();
        for &l in links {
            let g = self.group_of[l as usize];
            if let Err(at) = seen.binary_search(&g) {
                seen.insert(at, g);
                let (_, extra) =
                    crossed[crossed.binary_search_by_key(&l, |c| c.0).expect("crossed")];
                visits.extend(std::iter::repeat_n(g, extra as usize + 1));
                self.groups[g as usize].min_capacity_kbps =
                    min_capacity(&self.capacity_kbps, &self.members[g as usize]);
            }
        }
        visits
    }

    /// Moves link `l` from its group to group `to` (a swap-remove).
    fn move_link(&mut self, l: u32, to: u32) {
        let from = self.group_of[l as usize] as usize;
        let at = self.pos[l as usize] as usize;
        let members = &mut self.members[from];
        members.swap_remove(at);
        if let Some(&moved) = members.get(at) {
            self.pos[moved as usize] = at as u32;
        }
        let dest = &mut self.members[to as usize];
        self.pos[l as usize] = dest.len() as u32;
        dest.push(l);
        self.group_of[l as usize] = to;
    }

    /// Adds (`add`) or removes a flow of `kbps` on the groups of a route (as
    /// [`register`](Self::register) returned them); when adding, returns
    /// the worst load / capacity ratio over the route's links if above 1,
    /// else 0 — all the overload loss model needs. The division is paid
    /// only then: `load > capacity` is exactly `load / capacity > 1` for
    /// the correctly rounded quotient.
    #[inline(always)]
    pub fn carry(&mut self, now: SimTime, groups: &[u32], kbps: u32, add: bool) -> f64 {
        if !add {
            for &g in groups {
                let l = &mut self.groups[g as usize];
                l.flows.dec(now);
                l.kbps.sub(now, kbps);
            }
            return 0.0;
        }
        let mut over = false;
        for &g in groups {
            let l = &mut self.groups[g as usize];
            l.flows.inc(now);
            l.kbps.add(now, kbps);
            over |= l.kbps.value() as f64 > l.min_capacity_kbps;
        }
        if !over {
            return 0.0;
        }
        groups.iter().fold(0.0, |worst: f64, &g| {
            let l = &self.groups[g as usize];
            worst.max(l.kbps.value() as f64 / l.min_capacity_kbps)
        })
    }

    /// Closes the interval of length `len` ending at `now` and hands each
    /// link's figures, in link order, to `row`.
    pub fn close_interval(
        &mut self,
        now: SimTime,
        len: SimTime,
        mut row: impl FnMut(usize, LinkInterval),
    ) {
        self.closing.clear();
        for g in &mut self.groups {
            let flows = g.flows.close_interval(now, len);
            let kbps = g.kbps.close_interval(now, len);
            self.closing.push((flows, kbps));
        }
        for (link, &g) in self.group_of.iter().enumerate() {
            row(link, self.closing[g as usize]);
        }
    }

    /// The first link whose flow or bandwidth count went below zero.
    pub fn underflowed_link(&self) -> Option<usize> {
        self.group_of.iter().position(|&g| {
            let l = &self.groups[g as usize];
            l.flows.underflowed() || l.kbps.underflowed()
        })
    }
}

fn min_capacity(capacity_kbps: &[f64], links: &[u32]) -> f64 {
    links
        .iter()
        .map(|&l| capacity_kbps[l as usize])
        .fold(f64::INFINITY, f64::min)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The reference: a level per link, every link of a route updated.
    #[derive(Clone)]
    struct PerLink {
        flows: Vec<Level>,
        kbps: Vec<Level>,
        capacity: Vec<f64>,
    }

    impl PerLink {
        fn carry(&mut self, now: SimTime, links: &[u32], kbps: u32, add: bool) -> f64 {
            let mut worst: f64 = 0.0;
            for &i in links {
                let i = i as usize;
                if add {
                    self.flows[i].inc(now);
                    self.kbps[i].add(now, kbps);
                    worst = worst.max(self.kbps[i].value() as f64 / self.capacity[i]);
                } else {
                    self.flows[i].dec(now);
                    self.kbps[i].sub(now, kbps);
                }
            }
            if worst > 1.0 {
                worst
            } else {
                0.0
            }
        }
    }

    #[derive(Debug, Clone)]
    enum Op {
        /// Add a flow of this bandwidth on route r.
        Add(usize, u32),
        /// Remove the oldest flow still carried.
        Remove,
        CloseInterval,
    }

    /// Link capacities, routes (link lists), and timed operations.
    type Scenario = (Vec<f64>, Vec<Vec<u32>>, Vec<(u64, Op)>);

    fn scenario() -> impl Strategy<Value = Scenario> {
        (1usize..10).prop_flat_map(|links| {
            let caps = prop::collection::vec(prop_oneof![Just(80.0), Just(200.0), 1.0..500.0f64], links);
            let routes = prop::collection::vec(
                prop::collection::vec(0..links as u32, 1..7),
                1..6,
            );
            (caps, routes).prop_flat_map(|(caps, routes)| {
                let n = routes.len();
                let op = prop_oneof![
                    4 => (0..n, prop_oneof![Just(80u32), Just(24), 1..200u32]).prop_map(|(r, k)| Op::Add(r, k)),
                    3 => Just(Op::Remove),
                    1 => Just(Op::CloseInterval),
                ];
                let ops = prop::collection::vec((1u64..5_000_000, op), 0..120);
                (Just(caps), Just(routes), ops)
            })
        })
    }

    proptest! {
        /// Groups give exactly what a level per link gives: the same
        /// overload ratios and the same interval rows for every link, with
        /// routes appearing (and splitting groups) at any time.
        #[test]
        fn groups_equal_a_level_per_link((caps, routes, ops) in scenario()) {
            let mut reference = PerLink {
                flows: vec![Level::default(); caps.len()],
                kbps: vec![Level::default(); caps.len()],
                capacity: caps.clone(),
            };
            let mut loads = LinkLoads::new(caps.clone());
            let mut cached: Vec<Option<(u64, Vec<u32>)>> = vec![None; routes.len()];
            let mut carried: std::collections::VecDeque<(usize, u32)> = Default::default();
            let mut now = 0u64;
            let mut start = 0u64;
            for (dt, op) in ops {
                now += dt;
                let t = SimTime(now);
                let mut groups_of = |r: usize, loads: &mut LinkLoads| {
                    match &cached[r] {
                        Some((gen, g)) if *gen == loads.generation() => g.clone(),
                        _ => {
                            let g = loads.register(&routes[r]);
                            cached[r] = Some((loads.generation(), g.clone()));
                            g
                        }
                    }
                };
                match op {
                    Op::Add(r, kbps) => {
                        let g = groups_of(r, &mut loads);
                        let got = loads.carry(t, &g, kbps, true);
                        let want = reference.carry(t, &routes[r], kbps, true);
                        prop_assert_eq!(got.to_bits(), want.to_bits());
                        carried.push_back((r, kbps));
                    }
                    Op::Remove => {
                        if let Some((r, kbps)) = carried.pop_front() {
                            let g = groups_of(r, &mut loads);
                            loads.carry(t, &g, kbps, false);
                            reference.carry(t, &routes[r], kbps, false);
                        }
                    }
                    Op::CloseInterval => {
                        let len = SimTime(now - start);
                        let mut rows = Vec::new();
                        loads.close_interval(t, len, |l, figures| rows.push((l, figures)));
                        prop_assert_eq!(rows.len(), caps.len());
                        for (l, ((mf, xf), (mk, xk))) in rows {
                            let (rf, rxf) = reference.flows[l].close_interval(t, len);
                            let (rk, rxk) = reference.kbps[l].close_interval(t, len);
                            prop_assert_eq!((mf.to_bits(), xf, mk.to_bits(), xk), (rf.to_bits(), rxf, rk.to_bits(), rxk), "link {}", l);
                        }
                        start = now;
                    }
                }
            }
            prop_assert_eq!(loads.underflowed_link(), None);
        }
    }

    /// A route crossing one link twice (two segments sharing it) splits it
    /// from the route's other links, and a removal below zero names the
    /// first link of the group that underflowed.
    #[test]
    fn multiplicity_splits_and_underflow_names_the_first_link() {
        let mut loads = LinkLoads::new(vec![100.0, 50.0, 100.0, 100.0]);
        let g = loads.register(&[0, 1, 1, 2]);
        assert_eq!(g.len(), 3, "{g:?}: links 0 and 2 once, link 1 twice");
        assert_eq!(g[1], g[2]);
        assert!(loads.generation() > 0);
        // 40 kbit/s crossing link 1 twice is 80 on 50: ratio 1.6, then 3.2.
        assert_eq!(loads.carry(SimTime(1), &g, 40, true), 80.0 / 50.0);
        let worst = loads.carry(SimTime(2), &g, 40, true);
        assert_eq!(worst, 160.0 / 50.0);
        let other = loads.register(&[3]);
        loads.carry(SimTime(3), &other, 10, false);
        assert_eq!(loads.underflowed_link(), Some(3));
    }
}
