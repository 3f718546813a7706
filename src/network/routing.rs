//! All-pairs least-cost routing with RFC 5286 loop-free alternates, under a
//! set of failed links and nodes, and the composition of link properties
//! along a path.
//!
//! # Least-cost paths and the tie-break
//!
//! Distances come from Dijkstra's algorithm run from every live node over the
//! live links (a link is live when it has not failed and neither endpoint
//! has). Costs are exact integers ([`Cost`]), so "equal cost" means equal.
//!
//! Among several least-cost paths from S to D the one chosen is the
//! **lexicographically smallest sequence of node indices** (file order).
//! It is built hop by hop: the next hop of S towards D is the
//! lowest-index neighbour N with `cost(S,N) + dist(N,D) = dist(S,D)`, and
//! the path continues with N's own path to D. This is what a network of IGP
//! routers doing destination-based forwarding would do if each broke ties by
//! lowest neighbour index, so the table is also a forwarding table: the path
//! of every (S, D) is the path of (next hop, D) with S in front. The choice
//! depends only on costs and indices, never on the order in which petgraph
//! happens to store edges. With positive costs every least-cost path is
//! simple (loop-free): the distance to D strictly decreases at each hop.
//!
//! # Loop-free alternates (RFC 5286)
//!
//! For each (S, D) with primary next hop E, a live neighbour N ≠ E of S is a
//! loop-free alternate when (RFC 5286 §3.5, inequality 1)
//!
//! ```text
//! dist(N, D) < dist(N, S) + dist(S, D)
//! ```
//!
//! i.e. N's own shortest path to D does not come back through S, so S can
//! hand packets to N the moment its link to E fails, before the IGP
//! reconverges. The alternate is **node-protecting** when also (inequality 3)
//!
//! ```text
//! dist(N, D) < dist(N, E) + dist(E, D)
//! ```
//!
//! i.e. N's path avoids E itself, so it survives E's failure too. When the
//! primary next hop is the destination (E = D) node protection is
//! meaningless (losing D loses the traffic anyway) and is reported as false
//! (the inequality itself reads `dist(N,D) < dist(N,D)` then, never true).
//! All distances here are those of the topology *with* the current failures
//! applied: the alternates are the ones the network holds in its current
//! state, ready for the next failure.
//!
//! # Local repair
//!
//! [`Routes::repaired_path`] answers "where do packets go right after a
//! failure, before the IGP reconverges": each node forwards with the table
//! it had *before* the failure, and a node whose primary next hop is lost
//! switches to one of its alternates (RFC 5286 §3.6 prefers node-protecting
//! ones). Once reconverged, a fresh [`Routes::compute`] under the new
//! failures gives the new paths.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use petgraph::graph::{EdgeIndex, NodeIndex};

use super::cost::Cost;
use super::topology::{Gilbert, LookupError, Loss, Topology};

/// The failed elements of a topology: links by index, nodes by index.
/// Recovering is just clearing the mark; routing is recomputed from scratch
/// for each state (cheap at telephony-network sizes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failures {
    links: Vec<bool>,
    nodes: Vec<bool>,
}

impl Failures {
    /// Nothing failed.
    pub fn none(topo: &Topology) -> Failures {
        Failures {
            links: vec![false; topo.link_count()],
            nodes: vec![false; topo.node_count()],
        }
    }

    pub fn fail_link(&mut self, e: EdgeIndex) {
        self.links[e.index()] = true;
    }

    pub fn recover_link(&mut self, e: EdgeIndex) {
        self.links[e.index()] = false;
    }

    pub fn fail_node(&mut self, n: NodeIndex) {
        self.nodes[n.index()] = true;
    }

    pub fn recover_node(&mut self, n: NodeIndex) {
        self.nodes[n.index()] = false;
    }

    /// Fails the link written `A-B` (see [`Topology::link_by_spec`]).
    pub fn fail_link_named(&mut self, topo: &Topology, spec: &str) -> Result<(), LookupError> {
        let e = topo.link_by_spec(spec)?;
        self.fail_link(e);
        Ok(())
    }

    /// Fails the node with this name.
    pub fn fail_node_named(&mut self, topo: &Topology, name: &str) -> Result<(), LookupError> {
        let n = topo.node_by_name(name)?;
        self.fail_node(n);
        Ok(())
    }

    pub fn link_failed(&self, e: EdgeIndex) -> bool {
        self.links[e.index()]
    }

    pub fn node_failed(&self, n: NodeIndex) -> bool {
        self.nodes[n.index()]
    }

    /// A link carries traffic when it is up and both its ends are up.
    pub fn link_usable(&self, topo: &Topology, e: EdgeIndex) -> bool {
        let l = topo.link(e);
        !self.links[e.index()] && !self.nodes[l.a.index()] && !self.nodes[l.b.index()]
    }

    /// True when nothing is failed.
    pub fn is_empty(&self) -> bool {
        !self.links.iter().chain(&self.nodes).any(|&f| f)
    }
}

/// One loop-free alternate next hop of (S, D).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lfa {
    /// The neighbour N of S to send to if the primary next hop is lost.
    pub via: NodeIndex,
    /// N's path to D also avoids the primary next hop node E (RFC 5286 §3.5
    /// inequality 3), so the alternate survives E failing, not only the link.
    pub node_protecting: bool,
}

const UNREACHABLE: u64 = u64::MAX;
const NO_HOP: u32 = u32::MAX;

/// The routing state of a topology under a set of failures: for every
/// ordered pair of nodes the least cost, next hop, full path and loop-free
/// alternates. Rows are kept in flat arrays indexed `src * n + dst`.
#[derive(Debug, Clone)]
pub struct Routes {
    n: usize,
    /// Least cost in [`Cost`] micro-units; `UNREACHABLE` when none.
    dist: Vec<u64>,
    next: Vec<u32>,
    /// `path_nodes[path_at[i]..path_at[i + 1]]` is pair i's path.
    path_at: Vec<usize>,
    path_nodes: Vec<NodeIndex>,
    lfa_at: Vec<usize>,
    lfas: Vec<Lfa>,
}

/// Live adjacency in compressed rows, neighbours in ascending index order
/// (the tie-break walks them in that order).
struct Adjacency {
    at: Vec<usize>,
    to: Vec<u32>,
    cost: Vec<u64>,
}

impl Adjacency {
    fn new(topo: &Topology, failures: &Failures) -> Adjacency {
        let n = topo.node_count();
        let mut rows: Vec<Vec<(u32, u64)>> = vec![Vec::new(); n];
        for (e, l) in topo.links() {
            if failures.link_usable(topo, e) {
                let c = l.cost.micros();
                rows[l.a.index()].push((l.b.index() as u32, c));
                rows[l.b.index()].push((l.a.index() as u32, c));
            }
        }
        let mut adj = Adjacency {
            at: Vec::with_capacity(n + 1),
            to: Vec::new(),
            cost: Vec::new(),
        };
        adj.at.push(0);
        for mut row in rows {
            row.sort_unstable_by_key(|&(m, _)| m);
            for (m, c) in row {
                adj.to.push(m);
                adj.cost.push(c);
            }
            adj.at.push(adj.to.len());
        }
        adj
    }

    fn of(&self, v: usize) -> impl Iterator<Item = (usize, u64)> + '_ {
        let r = self.at[v]..self.at[v + 1];
        self.to[r.clone()]
            .iter()
            .zip(&self.cost[r])
            .map(|(&m, &c)| (m as usize, c))
    }
}

impl Routes {
    /// Computes routes, paths and alternates for every ordered pair.
    /// O(n · m log n) for the distances plus O(n² · degree) for next hops and
    /// alternates; memory O(n² · (path length + degree)).
    pub fn compute(topo: &Topology, failures: &Failures) -> Routes {
        let n = topo.node_count();
        let adj = Adjacency::new(topo, failures);
        let alive = |v: usize| !failures.node_failed(NodeIndex::new(v));

        let mut dist = vec![UNREACHABLE; n * n];
        let mut heap: BinaryHeap<Reverse<(u64, u32)>> = BinaryHeap::new();
        for s in (0..n).filter(|&s| alive(s)) {
            let row = &mut dist[s * n..(s + 1) * n];
            row[s] = 0;
            heap.push(Reverse((0, s as u32)));
            while let Some(Reverse((d, v))) = heap.pop() {
                let v = v as usize;
                if d > row[v] {
                    continue; // stale entry
                }
                for (m, c) in adj.of(v) {
                    let nd = d.saturating_add(c);
                    if nd < row[m] {
                        row[m] = nd;
                        heap.push(Reverse((nd, m as u32)));
                    }
                }
            }
        }

        // Next hops: the lowest-index neighbour on a least-cost path.
        let mut next = vec![NO_HOP; n * n];
        for s in 0..n {
            for d in 0..n {
                let sd = dist[s * n + d];
                if s == d || sd == UNREACHABLE {
                    continue;
                }
                next[s * n + d] = adj
                    .of(s)
                    .find(|&(m, c)| c.saturating_add(dist[m * n + d]) == sd)
                    .map(|(m, _)| m as u32)
                    .expect("a reachable destination has a neighbour on a least-cost path");
            }
        }

        // Paths: follow next hops (each hop strictly closer to d).
        let mut path_at = Vec::with_capacity(n * n + 1);
        let mut path_nodes = Vec::new();
        path_at.push(0);
        for s in 0..n {
            for d in 0..n {
                if dist[s * n + d] != UNREACHABLE {
                    let mut v = s;
                    path_nodes.push(NodeIndex::new(v));
                    while v != d {
                        v = next[v * n + d] as usize;
                        path_nodes.push(NodeIndex::new(v));
                    }
                }
                path_at.push(path_nodes.len());
            }
        }

        // Loop-free alternates (RFC 5286 §3.5 inequalities 1 and 3).
        let mut lfa_at = Vec::with_capacity(n * n + 1);
        let mut lfas = Vec::new();
        lfa_at.push(0);
        for s in 0..n {
            for d in 0..n {
                let sd = dist[s * n + d];
                if s != d && sd != UNREACHABLE {
                    let e = next[s * n + d] as usize;
                    for (m, _) in adj.of(s).filter(|&(m, _)| m != e) {
                        let nd = dist[m * n + d];
                        if nd < dist[m * n + s].saturating_add(sd) {
                            let node_protecting =
                                e != d && nd < dist[m * n + e].saturating_add(dist[e * n + d]);
                            lfas.push(Lfa {
                                via: NodeIndex::new(m),
                                node_protecting,
                            });
                        }
                    }
                }
                lfa_at.push(lfas.len());
            }
        }

        Routes {
            n,
            dist,
            next,
            path_at,
            path_nodes,
            lfa_at,
            lfas,
        }
    }

    /// Number of nodes (rows and columns of the table).
    pub fn node_count(&self) -> usize {
        self.n
    }

    fn at(&self, src: NodeIndex, dst: NodeIndex) -> usize {
        src.index() * self.n + dst.index()
    }

    /// Whether `dst` can be reached from `src` (false when either is failed).
    pub fn reachable(&self, src: NodeIndex, dst: NodeIndex) -> bool {
        self.dist[self.at(src, dst)] != UNREACHABLE
    }

    /// Least cost from `src` to `dst`; `Some(Cost::ZERO)` for a live node to
    /// itself, `None` when unreachable.
    pub fn cost(&self, src: NodeIndex, dst: NodeIndex) -> Option<Cost> {
        let d = self.dist[self.at(src, dst)];
        (d != UNREACHABLE).then(|| Cost::from_micros(d))
    }

    /// The primary next hop; `None` for a node to itself or when unreachable.
    pub fn next_hop(&self, src: NodeIndex, dst: NodeIndex) -> Option<NodeIndex> {
        let h = self.next[self.at(src, dst)];
        (h != NO_HOP).then(|| NodeIndex::new(h as usize))
    }

    /// The chosen least-cost path, `src` first and `dst` last (`[src]` for a
    /// live node to itself); `None` when unreachable.
    pub fn path(&self, src: NodeIndex, dst: NodeIndex) -> Option<&[NodeIndex]> {
        let i = self.at(src, dst);
        let p = &self.path_nodes[self.path_at[i]..self.path_at[i + 1]];
        (!p.is_empty()).then_some(p)
    }

    /// Loop-free alternates of (src, dst) in ascending node index; empty
    /// when there are none or `dst` is unreachable.
    pub fn alternates(&self, src: NodeIndex, dst: NodeIndex) -> &[Lfa] {
        let i = self.at(src, dst);
        &self.lfas[self.lfa_at[i]..self.lfa_at[i + 1]]
    }

    /// The path packets from `src` to `dst` take when `now` has failed but
    /// routers still use this (pre-failure) table, each falling back on a
    /// loop-free alternate when its own next hop link or node is down.
    ///
    /// At a node whose next hop is unusable the alternate is chosen as RFC
    /// 5286 §3.6 suggests: a node-protecting one first, then any other, the
    /// lowest index within each group, skipping alternates whose own link or
    /// node is down. From the alternate on, forwarding again follows this
    /// table (repairing again if needed).
    ///
    /// Returns `None` when the packets are lost until reconvergence: `src` or
    /// `dst` is down or was unreachable, some node on the way has no usable
    /// alternate, or repairs under several failures send packets in a loop.
    /// When nothing on the primary path failed, this is the primary path.
    pub fn repaired_path(
        &self,
        topo: &Topology,
        src: NodeIndex,
        dst: NodeIndex,
        now: &Failures,
    ) -> Option<Vec<NodeIndex>> {
        if now.node_failed(src) || now.node_failed(dst) || !self.reachable(src, dst) {
            return None;
        }
        let usable = |from: NodeIndex, to: NodeIndex| {
            !now.node_failed(to)
                && topo
                    .link_between(from, to)
                    .is_some_and(|e| now.link_usable(topo, e))
        };
        let mut path = vec![src];
        let mut visited = vec![false; self.n];
        visited[src.index()] = true;
        let mut v = src;
        while v != dst {
            let primary = self.next_hop(v, dst)?;
            let hop = if usable(v, primary) {
                primary
            } else {
                let alts = self.alternates(v, dst);
                let protecting = alts.iter().filter(|l| l.node_protecting);
                let others = alts.iter().filter(|l| !l.node_protecting);
                protecting
                    .chain(others)
                    .map(|l| l.via)
                    .find(|&n| usable(v, n))?
            };
            if std::mem::replace(&mut visited[hop.index()], true) {
                return None; // a forwarding loop: lost until reconvergence
            }
            path.push(hop);
            v = hop;
        }
        Some(path)
    }
}

/// What a path does to packets, composed from its links.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PathMetrics {
    pub hops: usize,
    /// Sum of link propagation delays.
    pub delay_ms: f64,
    /// Square root of the sum of squared link jitters: per-link delay
    /// variations are independent, so their variances add.
    pub jitter_ms: f64,
    /// Composed by [`compose_loss`].
    pub loss: Loss,
    /// Smallest link capacity on the path (infinite for a zero-hop path).
    pub bottleneck_mbps: f64,
    pub cost: Cost,
}

/// The links along a path, in order. `None` if two consecutive nodes are not
/// joined by a link.
pub fn path_links(topo: &Topology, path: &[NodeIndex]) -> Option<Vec<EdgeIndex>> {
    path.windows(2)
        .map(|w| topo.link_between(w[0], w[1]))
        .collect()
}

/// Delay, jitter, loss, bottleneck and cost of a path (see [`PathMetrics`]).
/// `None` if two consecutive nodes are not joined by a link.
pub fn path_metrics(topo: &Topology, path: &[NodeIndex]) -> Option<PathMetrics> {
    let links = path_links(topo, path)?;
    let mut m = PathMetrics {
        hops: links.len(),
        delay_ms: 0.0,
        jitter_ms: 0.0,
        loss: Loss::Random(0.0),
        bottleneck_mbps: f64::INFINITY,
        cost: Cost::ZERO,
    };
    let mut jitter_sq = 0.0;
    for &e in &links {
        let l = topo.link(e);
        m.delay_ms += l.delay_ms;
        jitter_sq += l.jitter_ms * l.jitter_ms;
        m.bottleneck_mbps = m.bottleneck_mbps.min(l.capacity_mbps);
        m.cost = m.cost.saturating_add(l.cost);
    }
    m.jitter_ms = jitter_sq.sqrt();
    m.loss = compose_loss(links.iter().map(|&e| topo.link(e).loss));
    Some(m)
}

/// End-to-end loss of links in series, each losing packets independently of
/// the others.
///
/// * All random: `Random(1 − Π(1 − pᵢ))`.
/// * With Gilbert links: the result is one Gilbert chain so a packet-level
///   simulation still steps a single two-state model. Its `p` and `r` are
///   those of the *burstiest* Gilbert link (smallest `r`, i.e. longest mean
///   burst; ties → higher mean loss, then first on the path), because burst
///   length is what the E-model's `BurstR` and listeners punish. Every other
///   link contributes its long-run mean loss `q` as extra independent loss in
///   both states: `loss_good' = 1 − (1 − loss_good)(1 − q)`, likewise
///   `loss_bad'`, with `q = 1 − Π_others(1 − meanᵢ)`.
///
/// Either way the long-run mean loss equals `1 − Π(1 − meanᵢ)` over all
/// links exactly; only the burst structure of the weaker Gilbert links is
/// simplified away. Note that with `loss_good > 0` the G.107 `BurstR =
/// 1/(p+r)` is an approximation (it is exact for the simple form).
pub fn compose_loss(losses: impl IntoIterator<Item = Loss>) -> Loss {
    let losses: Vec<Loss> = losses.into_iter().collect();
    let burstiest = losses
        .iter()
        .enumerate()
        .filter_map(|(i, l)| match l {
            Loss::Gilbert(g) => Some((i, *g)),
            Loss::Random(_) => None,
        })
        .reduce(|best, cand| {
            let (b, c) = (best.1, cand.1);
            if c.r < b.r || (c.r == b.r && c.mean_loss() > b.mean_loss()) {
                cand
            } else {
                best
            }
        });
    let pass_others: f64 = losses
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != burstiest.map(|b| b.0))
        .map(|(_, l)| 1.0 - l.mean())
        .product();
    match burstiest {
        None => Loss::Random(1.0 - pass_others),
        Some((_, g)) => Loss::Gilbert(Gilbert {
            p: g.p,
            r: g.r,
            loss_good: 1.0 - (1.0 - g.loss_good) * pass_others,
            loss_bad: 1.0 - (1.0 - g.loss_bad) * pass_others,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::parse_topology;
    use std::path::Path;

    /// A square a–b–c–d–a with a diagonal a–c; all costs 1 except a–c = 2,
    /// so a→c has two equal-cost paths (via b and via d) plus the diagonal:
    /// three ways at cost 2.
    const SQUARE: &str = r#"Topology(
        nodes: [
            Node(name: "a", kind: Router), Node(name: "b", kind: Router),
            Node(name: "c", kind: Router), Node(name: "d", kind: Router),
        ],
        links: [
            Link(a: "d", b: "a", delay_ms: 1.0, jitter_ms: 3.0, loss: 0.5, capacity_mbps: 10.0),
            Link(a: "c", b: "d", delay_ms: 1.0, jitter_ms: 4.0, loss: Gilbert(p: 0.1, r: 0.4), capacity_mbps: 5.0),
            Link(a: "a", b: "c", delay_ms: 2.0, capacity_mbps: 100.0),
            Link(a: "b", b: "c", delay_ms: 1.0, capacity_mbps: 100.0),
            Link(a: "a", b: "b", delay_ms: 1.0, capacity_mbps: 100.0),
        ],
    )"#;

    fn square() -> Topology {
        parse_topology(SQUARE, Path::new("square.ron")).unwrap()
    }

    fn ix(t: &Topology, name: &str) -> NodeIndex {
        t.find_node(name).unwrap()
    }

    fn names(t: &Topology, p: &[NodeIndex]) -> Vec<String> {
        p.iter().map(|&n| t.name(n).to_string()).collect()
    }

    #[test]
    fn ties_go_to_the_lowest_index_next_hop_whatever_the_edge_order() {
        let t = square();
        let r = Routes::compute(&t, &Failures::none(&t));
        let (a, b, c, d) = (ix(&t, "a"), ix(&t, "b"), ix(&t, "c"), ix(&t, "d"));
        assert_eq!(r.cost(a, c), Some(Cost::from_f64(2.0).unwrap()));
        assert_eq!(names(&t, r.path(a, c).unwrap()), ["a", "b", "c"]);
        assert_eq!(r.next_hop(a, c), Some(b));
        // c → a: via b (index 1) beats the diagonal to a (index 0)? No: the
        // diagonal's next hop is a itself, index 0, the smallest.
        assert_eq!(names(&t, r.path(c, a).unwrap()), ["c", "a"]);
        assert_eq!(names(&t, r.path(d, b).unwrap()), ["d", "a", "b"]);
        assert_eq!(r.path(a, a), Some(&[a][..]));
        assert_eq!(r.cost(a, a), Some(Cost::ZERO));
        assert_eq!(r.next_hop(a, a), None);
        // Same answers when the links are listed in reverse.
        let mut lines: Vec<&str> = SQUARE.lines().collect();
        let (first, last) = (
            lines.iter().position(|l| l.contains("Link(")).unwrap(),
            lines.iter().rposition(|l| l.contains("Link(")).unwrap(),
        );
        lines[first..=last].reverse();
        let t2 = parse_topology(&lines.join("\n"), Path::new("rev.ron")).unwrap();
        let r2 = Routes::compute(&t2, &Failures::none(&t2));
        for s in t.graph().node_indices() {
            for x in t.graph().node_indices() {
                assert_eq!(r.path(s, x), r2.path(s, x));
                assert_eq!(r.cost(s, x), r2.cost(s, x));
                assert_eq!(r.alternates(s, x), r2.alternates(s, x));
            }
        }
    }

    #[test]
    fn alternates_follow_rfc_5286() {
        let t = square();
        let r = Routes::compute(&t, &Failures::none(&t));
        let (a, b, c, d) = (ix(&t, "a"), ix(&t, "b"), ix(&t, "c"), ix(&t, "d"));
        // a → c: primary b; d has dist(d,c)=1 < dist(d,a)+dist(a,c)=3 and
        // dist(d,c)=1 < dist(d,b)+dist(b,c)=3 → node-protecting; c itself
        // (the diagonal) is an LFA too: dist(c,c)=0 < 2+2, and 0 < 2+1.
        assert_eq!(
            r.alternates(a, c),
            [
                Lfa {
                    via: c,
                    node_protecting: true
                },
                Lfa {
                    via: d,
                    node_protecting: true
                }
            ]
        );
        // a → b: primary is b itself; c is an LFA (1 < 2+1) but node
        // protection is meaningless when E = D; d is not (dist(d,b)=2 = 1+1).
        assert_eq!(
            r.alternates(a, b),
            [Lfa {
                via: c,
                node_protecting: false
            }]
        );
        assert_eq!(r.alternates(a, a), []);
    }

    #[test]
    fn failures_remove_links_and_nodes() {
        let t = square();
        let (a, b, c, d) = (ix(&t, "a"), ix(&t, "b"), ix(&t, "c"), ix(&t, "d"));
        let mut f = Failures::none(&t);
        assert!(f.is_empty());
        f.fail_link_named(&t, "b-a").unwrap();
        let r = Routes::compute(&t, &f);
        assert_eq!(names(&t, r.path(a, b).unwrap()), ["a", "c", "b"]);
        assert_eq!(r.cost(a, b).unwrap().to_string(), "3");
        f.fail_node_named(&t, "c").unwrap();
        let r = Routes::compute(&t, &f);
        assert!(!r.reachable(a, b));
        assert_eq!(r.cost(a, b), None);
        assert_eq!(r.path(a, b), None);
        assert_eq!(r.next_hop(a, b), None);
        assert_eq!(r.alternates(a, b), []);
        assert_eq!(r.path(c, c), None, "a failed node reaches nothing");
        assert_eq!(names(&t, r.path(a, d).unwrap()), ["a", "d"]);
        f.recover_node(c);
        f.recover_link(t.link_between(a, b).unwrap());
        assert!(f.is_empty());
        assert_eq!(
            f.fail_node_named(&t, "zz"),
            Err(LookupError::UnknownNode("zz".into()))
        );
    }

    #[test]
    fn local_repair_uses_alternates_until_reconvergence() {
        let t = square();
        let (a, b, c, d) = (ix(&t, "a"), ix(&t, "b"), ix(&t, "c"), ix(&t, "d"));
        let intact = Failures::none(&t);
        let r = Routes::compute(&t, &intact);
        assert_eq!(
            r.repaired_path(&t, a, c, &intact).as_deref(),
            r.path(a, c),
            "nothing failed: the primary path"
        );
        // a→c primary a|b|c. Lose b: a prefers a node-protecting
        // alternate, c itself (lowest index among c and d).
        let mut now = intact.clone();
        now.fail_node(b);
        assert_eq!(r.repaired_path(&t, a, c, &now), Some(vec![a, c]));
        // Lose the a–c and a–b links too: d remains.
        now.fail_link(t.link_between(a, c).unwrap());
        assert_eq!(r.repaired_path(&t, a, c, &now), Some(vec![a, d, c]));
        // a→b primary is the direct link; its only alternate c is fine
        // after the link fails, but not once c is down as well.
        let mut now = intact.clone();
        now.fail_link(t.link_between(a, b).unwrap());
        assert_eq!(r.repaired_path(&t, a, b, &now), Some(vec![a, c, b]));
        now.fail_node(c);
        assert_eq!(r.repaired_path(&t, a, b, &now), None);
        assert_eq!(r.repaired_path(&t, c, a, &now), None, "source down");
        // Every single failure in the square: any repaired path is simple
        // and made of usable links.
        for e in t.graph().edge_indices() {
            let mut now = intact.clone();
            now.fail_link(e);
            for s in t.graph().node_indices() {
                for x in t.graph().node_indices() {
                    if let Some(p) = r.repaired_path(&t, s, x, &now) {
                        let links = path_links(&t, &p).unwrap();
                        assert!(links.iter().all(|&l| now.link_usable(&t, l)));
                        let mut seen = p.clone();
                        seen.sort();
                        seen.dedup();
                        assert_eq!(seen.len(), p.len());
                    }
                }
            }
        }
    }

    #[test]
    fn path_metrics_compose_links() {
        let t = square();
        let r = Routes::compute(&t, &Failures::none(&t));
        let (b, d) = (ix(&t, "b"), ix(&t, "d"));
        // b → d: b-a-d (cost 2, lowest index next hop a) .
        let p = r.path(b, d).unwrap();
        let m = path_metrics(&t, p).unwrap();
        assert_eq!(m.hops, 2);
        assert_eq!(m.delay_ms, 2.0);
        assert_eq!(m.jitter_ms, 3.0);
        assert_eq!(m.loss, Loss::Random(0.5));
        assert_eq!(m.bottleneck_mbps, 10.0);
        assert_eq!(m.cost.to_string(), "2");
        // a → d → c: random 0.5 then Gilbert(0.1, 0.4).
        let (a, c) = (ix(&t, "a"), ix(&t, "c"));
        let m = path_metrics(&t, &[a, d, c]).unwrap();
        assert_eq!(m.jitter_ms, 5.0);
        let Loss::Gilbert(g) = m.loss else { panic!() };
        assert_eq!((g.p, g.r, g.loss_good, g.loss_bad), (0.1, 0.4, 0.5, 1.0));
        assert!((m.loss.mean() - (1.0 - 0.5 * 0.8)).abs() < 1e-15);
        assert_eq!(path_metrics(&t, &[b, d]), None, "no b–d link");
        let one = path_metrics(&t, &[a]).unwrap();
        assert_eq!(
            (one.hops, one.delay_ms, one.loss),
            (0, 0.0, Loss::Random(0.0))
        );
    }

    #[test]
    fn loss_composition_keeps_the_mean_and_the_longest_burst() {
        let g = |p, r, lg, lb| {
            Loss::Gilbert(Gilbert {
                p,
                r,
                loss_good: lg,
                loss_bad: lb,
            })
        };
        let parts = [
            Loss::Random(0.01),
            g(0.02, 0.5, 0.0, 1.0),
            g(0.01, 0.2, 0.001, 0.8),
            Loss::Random(0.03),
        ];
        let want = 1.0 - parts.iter().map(|l| 1.0 - l.mean()).product::<f64>();
        let c = compose_loss(parts);
        assert!((c.mean() - want).abs() < 1e-14, "{} vs {want}", c.mean());
        let Loss::Gilbert(k) = c else { panic!() };
        assert_eq!((k.p, k.r), (0.01, 0.2), "the longest mean burst wins");
        let c = compose_loss([Loss::Random(0.1), Loss::Random(0.2)]);
        assert!((c.mean() - 0.28).abs() < 1e-15);
        assert_eq!(compose_loss([]), Loss::Random(0.0));
    }
}
