//! Topology files (DESIGN §5): serde types, RON loading with positions,
//! validation that collects every problem, and the checked [`Topology`]
//! held in a petgraph [`UnGraph`].
//!
//! Node `i` of the file is `NodeIndex::new(i)` and link `j` is
//! `EdgeIndex::new(j)`, so "file order" and "index order" are the same thing
//! everywhere (routing's tie-break and the routes CSV rely on it).

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use petgraph::graph::{EdgeIndex, NodeIndex, UnGraph};
use petgraph::unionfind::UnionFind;
use serde::{de, Deserialize, Deserializer};

use crate::scenario::diagnostics::{Diagnostics, ProblemList};
use crate::scenario::{parse_ron, Problem};

use super::cost::Cost;

// ---------------------------------------------------------------------------
// File format
// ---------------------------------------------------------------------------

/// The file as written: `Topology(nodes: [..], links: [..])`. Field names are
/// a contract (DESIGN §5).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename = "Topology", deny_unknown_fields)]
pub struct TopologyFile {
    pub nodes: Vec<NodeEntry>,
    #[serde(default)]
    pub links: Vec<LinkEntry>,
}

/// `Node(name: "msk", kind: Datacenter)`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename = "Node", deny_unknown_fields)]
pub struct NodeEntry {
    pub name: String,
    pub kind: NodeKind,
}

/// What sits at a node. Routing treats every kind alike; the platform uses
/// the kind to check placement (a portal's office, a server's data centre).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
pub enum NodeKind {
    /// A customer site: agents' phones and browsers.
    Office,
    /// An access or aggregation region of a carrier (where callers are).
    Region,
    /// A transit router with nothing attached.
    Router,
    /// A data centre that can host SIP servers, media servers, the controller.
    Datacenter,
    /// Interconnect with the public telephone network.
    PstnGateway,
}

impl NodeKind {
    /// The spelling used in topology files.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Office => "Office",
            NodeKind::Region => "Region",
            NodeKind::Router => "Router",
            NodeKind::Datacenter => "Datacenter",
            NodeKind::PstnGateway => "PstnGateway",
        }
    }
}

/// Sane ranges of a link's physical quantities (docs/robustness.md).
pub const MAX_DELAY_MS: f64 = 60_000.0;
pub const MAX_JITTER_MS: f64 = 10_000.0;
/// 10 Tbit/s: above any single link.
pub const MAX_CAPACITY_MBPS: f64 = 1e7;

/// `Link(a: "office", b: "msk", delay_ms: 6.0, jitter_ms: 1.0, loss: 0.001,
/// capacity_mbps: 100.0, cost: None)`. Undirected: `a`/`b` order carries no
/// meaning. `jitter_ms` and `loss` default to zero, `cost` to `delay_ms`,
/// `capacity_mbps` to unlimited (`inf`, which may also be written).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename = "Link", deny_unknown_fields)]
pub struct LinkEntry {
    pub a: String,
    pub b: String,
    pub delay_ms: f64,
    #[serde(default)]
    pub jitter_ms: f64,
    #[serde(default)]
    pub loss: Loss,
    #[serde(default = "unlimited")]
    pub capacity_mbps: f64,
    #[serde(default)]
    pub cost: Option<f64>,
}

fn unlimited() -> f64 {
    f64::INFINITY
}

/// Packet loss on a link, per direction.
///
/// Written either as a plain probability (`loss: 0.001`, independent losses)
/// or as a two-state Gilbert–Elliott chain (`loss: Gilbert(p: 0.01, r: 0.3)`),
/// because VoIP quality depends on how losses cluster, not only on their rate:
/// ITU-T G.107 gives bursty loss its own term (`BurstR`, DESIGN §2).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Loss {
    /// Each packet is lost independently with this probability (Bernoulli).
    Random(f64),
    /// A Gilbert–Elliott chain stepped once per packet.
    Gilbert(Gilbert),
}

impl Default for Loss {
    fn default() -> Self {
        Loss::Random(0.0)
    }
}

/// Gilbert–Elliott two-state loss (Gilbert 1960, Elliott 1963): a good and a
/// bad state, each with its own loss probability; `p` = P(good → bad) and
/// `r` = P(bad → good) per packet. With `loss_good` 0 and `loss_bad` 1 (the
/// defaults) this is the "simple Gilbert" model of ITU-T G.107, whose
/// stationary loss is `p/(p+r)` and mean burst `1/r` packets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gilbert {
    pub p: f64,
    pub r: f64,
    pub loss_good: f64,
    pub loss_bad: f64,
}

impl Gilbert {
    /// Long-run share of packets sent in the bad state: `p/(p+r)`.
    pub fn stationary_bad(&self) -> f64 {
        self.p / (self.p + self.r)
    }

    /// Long-run loss probability: `(r·loss_good + p·loss_bad)/(p+r)`.
    pub fn mean_loss(&self) -> f64 {
        (self.r * self.loss_good + self.p * self.loss_bad) / (self.p + self.r)
    }

    /// Mean number of consecutive packets spent in the bad state, `1/r`.
    pub fn mean_burst_packets(&self) -> f64 {
        1.0 / self.r
    }
}

impl Loss {
    /// Long-run loss probability.
    pub fn mean(&self) -> f64 {
        match self {
            Loss::Random(p) => *p,
            Loss::Gilbert(g) => g.mean_loss(),
        }
    }

    /// ITU-T G.107 burst ratio: 1 for random loss, `1/(p+r)` for a Gilbert
    /// chain (exact for the simple form, loss_good 0 and loss_bad 1).
    pub fn burst_r(&self) -> f64 {
        match self {
            Loss::Random(_) => 1.0,
            Loss::Gilbert(g) => 1.0 / (g.p + g.r),
        }
    }
}

/// Accepts both spellings with ron 0.8: a number goes through
/// `deserialize_any` to `visit_f64`/`visit_u64`, and `Gilbert(p: .., r: ..)`
/// arrives as a map (ron drops the struct name under `deserialize_any`, so
/// validation checks the name in the text instead).
impl<'de> Deserialize<'de> for Loss {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        const EXPECTING: &str = "a loss probability such as 0.001, or Gilbert(p: .., r: .., loss_good: .., loss_bad: ..)";
        impl<'de> de::Visitor<'de> for V {
            type Value = Loss;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(EXPECTING)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Loss, E> {
                Ok(Loss::Random(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Loss, E> {
                Ok(Loss::Random(v as f64))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Loss, E> {
                Ok(Loss::Random(v as f64))
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Loss, D2::Error> {
                Loss::deserialize(d)
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Loss, A::Error> {
                // Keys arrive as identifiers (ron's struct keys refuse
                // `deserialize_string`), hence a field-identifier enum.
                #[derive(Deserialize)]
                #[serde(field_identifier, rename_all = "snake_case")]
                enum Field {
                    P,
                    R,
                    LossGood,
                    LossBad,
                }
                let (mut p, mut r, mut loss_good, mut loss_bad) = (None, None, None, None);
                while let Some(key) = map.next_key::<Field>()? {
                    let (slot, name) = match key {
                        Field::P => (&mut p, "p"),
                        Field::R => (&mut r, "r"),
                        Field::LossGood => (&mut loss_good, "loss_good"),
                        Field::LossBad => (&mut loss_bad, "loss_bad"),
                    };
                    if slot.is_some() {
                        return Err(de::Error::duplicate_field(name));
                    }
                    *slot = Some(map.next_value::<f64>()?);
                }
                Ok(Loss::Gilbert(Gilbert {
                    p: p.ok_or_else(|| de::Error::missing_field("p"))?,
                    r: r.ok_or_else(|| de::Error::missing_field("r"))?,
                    loss_good: loss_good.unwrap_or(0.0),
                    loss_bad: loss_bad.unwrap_or(1.0),
                }))
            }
        }
        d.deserialize_any(V)
    }
}

// ---------------------------------------------------------------------------
// Checked topology
// ---------------------------------------------------------------------------

/// A node of the checked topology (the graph's node weight).
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub name: String,
    pub kind: NodeKind,
}

/// A link of the checked topology (the graph's edge weight); `a` and `b` are
/// the endpoints as written in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub a: NodeIndex,
    pub b: NodeIndex,
    pub delay_ms: f64,
    pub jitter_ms: f64,
    pub loss: Loss,
    /// Per direction; `f64::INFINITY` when the file sets no limit (the link
    /// never congests).
    pub capacity_mbps: f64,
    /// IGP cost (the file's `cost`, else `delay_ms`), kept exact.
    pub cost: Cost,
}

impl Link {
    /// The endpoint that is not `n` (`n` must be an endpoint).
    pub fn other(&self, n: NodeIndex) -> NodeIndex {
        if n == self.a {
            self.b
        } else {
            self.a
        }
    }
}

/// A validated network: unique node names, links between known distinct
/// nodes, at most one link per pair, every number in range. Everything
/// downstream (routing, the platform) trusts it.
#[derive(Debug, Clone)]
pub struct Topology {
    file: PathBuf,
    graph: UnGraph<Node, Link>,
    by_name: HashMap<String, NodeIndex>,
    /// Connected-component label per node (smallest node index in it), for
    /// O(1) reachability questions during scenario validation.
    component: Vec<usize>,
}

/// Why a node or link named on the command line (or in a scenario's failure
/// event) does not identify anything in the topology.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    #[error("no node named '{0}' in the topology")]
    UnknownNode(String),
    #[error("expected two node names joined by '-', as in msk-fra")]
    Malformed,
    #[error("'{a}' and '{b}' are both nodes, but no link joins them")]
    NoLink { a: String, b: String },
    #[error("ambiguous: it can be read as {}", .0.join(" or "))]
    Ambiguous(Vec<String>),
}

impl Topology {
    /// The file this topology came from (for messages).
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// The underlying graph: node weights are [`Node`], edge weights
    /// [`Link`], indices in file order.
    pub fn graph(&self) -> &UnGraph<Node, Link> {
        &self.graph
    }

    pub fn node_count(&self) -> usize {
        self.graph.node_count()
    }

    pub fn link_count(&self) -> usize {
        self.graph.edge_count()
    }

    pub fn node(&self, n: NodeIndex) -> &Node {
        &self.graph[n]
    }

    pub fn name(&self, n: NodeIndex) -> &str {
        &self.graph[n].name
    }

    pub fn link(&self, e: EdgeIndex) -> &Link {
        &self.graph[e]
    }

    /// Nodes in file order.
    pub fn nodes(&self) -> impl Iterator<Item = (NodeIndex, &Node)> + '_ {
        self.graph.node_indices().map(move |n| (n, &self.graph[n]))
    }

    /// Links in file order.
    pub fn links(&self) -> impl Iterator<Item = (EdgeIndex, &Link)> + '_ {
        self.graph.edge_indices().map(move |e| (e, &self.graph[e]))
    }

    /// The node with this name.
    pub fn find_node(&self, name: &str) -> Option<NodeIndex> {
        self.by_name.get(name).copied()
    }

    /// The node with this name, or an error naming it.
    pub fn node_by_name(&self, name: &str) -> Result<NodeIndex, LookupError> {
        self.find_node(name)
            .ok_or_else(|| LookupError::UnknownNode(name.to_string()))
    }

    /// The link joining `a` and `b` (either direction), if any.
    pub fn link_between(&self, a: NodeIndex, b: NodeIndex) -> Option<EdgeIndex> {
        self.graph.find_edge(a, b)
    }

    /// Whether `a` and `b` are in the same connected part of the intact
    /// network (no failures). False when either name is unknown. Scenario
    /// validation uses it to refuse, say, a portal whose office cannot reach
    /// its SIP server's data centre at all.
    pub fn connected(&self, a: &str, b: &str) -> bool {
        match (self.find_node(a), self.find_node(b)) {
            (Some(a), Some(b)) => self.component[a.index()] == self.component[b.index()],
            _ => false,
        }
    }

    /// Resolves `A-B` to the link joining nodes A and B. Node names may
    /// themselves contain `-`, so every split at a `-` is tried; exactly one
    /// split must name two nodes joined by a link.
    pub fn link_by_spec(&self, spec: &str) -> Result<EdgeIndex, LookupError> {
        let splits: Vec<(&str, &str)> = spec
            .match_indices('-')
            .map(|(i, _)| (&spec[..i], &spec[i + 1..]))
            .filter(|(a, b)| !a.is_empty() && !b.is_empty())
            .collect();
        if splits.is_empty() {
            return Err(LookupError::Malformed);
        }
        let named: Vec<(&str, &str, NodeIndex, NodeIndex)> = splits
            .iter()
            .filter_map(|&(a, b)| Some((a, b, self.find_node(a)?, self.find_node(b)?)))
            .collect();
        let linked: Vec<(&str, &str, EdgeIndex)> = named
            .iter()
            .filter_map(|&(a, b, na, nb)| Some((a, b, self.link_between(na, nb)?)))
            .collect();
        match (linked.as_slice(), named.as_slice()) {
            ([(_, _, e)], _) => Ok(*e),
            ([], [(a, b, ..), ..]) => Err(LookupError::NoLink {
                a: a.to_string(),
                b: b.to_string(),
            }),
            ([], []) => {
                // Point at the unknown name when the split is unambiguous.
                if let [(a, b)] = splits.as_slice() {
                    let unknown = if self.find_node(a).is_none() { a } else { b };
                    Err(LookupError::UnknownNode(unknown.to_string()))
                } else {
                    Err(LookupError::Malformed)
                }
            }
            (many, _) => Err(LookupError::Ambiguous(
                many.iter()
                    .map(|(a, b, _)| format!("'{a}'–'{b}'"))
                    .collect(),
            )),
        }
    }
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// Everything that can be wrong with a topology file. All variants are bad
/// input (exit 2) except `Read`, which may also be an I/O fault.
#[derive(Debug, thiserror::Error)]
pub enum TopologyError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}:{line}:{col}: {message}", file.display())]
    Syntax {
        file: PathBuf,
        line: usize,
        col: usize,
        message: String,
    },
    #[error("{}", ProblemList { file, what: "topology", problems, note: None })]
    Invalid {
        file: PathBuf,
        problems: Vec<Problem>,
    },
}

// ---------------------------------------------------------------------------
// Loading and validation
// ---------------------------------------------------------------------------

/// Reads, parses and validates a topology file.
pub fn load_topology(path: &Path) -> Result<Topology, TopologyError> {
    let text = crate::robustness::input::read_text(path).map_err(|source| TopologyError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_topology(&text, path)
}

/// Parses and validates topology text; `origin` names it in messages. Syntax
/// and type errors carry `file:line:col`; semantic problems are collected
/// (all of them, so a user fixes a file in one pass) with field paths such
/// as `links.3.delay_ms` and, where the field is written, line and column.
pub fn parse_topology(text: &str, origin: &Path) -> Result<Topology, TopologyError> {
    // Read exactly as scenarios are: `Some(..)` may be omitted (`cost: 5.0`).
    let parsed = parse_ron::<TopologyFile>(text).map_err(|e| TopologyError::Syntax {
        file: origin.to_path_buf(),
        line: e.line,
        col: e.col,
        message: e.message,
    })?;
    build(&parsed, text, origin)
}

type Checker<'a> = Diagnostics<'a>;

/// Checks specific to topology files, on top of the shared diagnostics.
trait TopologyChecks {
    fn probability(&mut self, path: &str, v: f64);
    fn transition(&mut self, path: &str, v: f64);
}

impl TopologyChecks for Diagnostics<'_> {
    fn probability(&mut self, path: &str, v: f64) {
        if !(0.0..=1.0).contains(&v) {
            self.problem(
                path,
                format!("must be a probability between 0 and 1, got {v}"),
            );
        }
    }

    /// Gilbert transition probabilities: zero would freeze the chain in one
    /// state (and make `p/(p+r)` undefined when both are zero).
    fn transition(&mut self, path: &str, v: f64) {
        if !(v > 0.0 && v <= 1.0) {
            self.problem(
                path,
                format!("must be a transition probability in (0, 1], got {v}"),
            );
        }
    }
}

/// Characters a node name must not contain: they separate fields in the
/// routes CSV (`,`), nodes within a path (`|`), or would need quoting.
const NAME_FORBIDDEN: [char; 4] = [',', '|', '"', '\''];

fn build(file: &TopologyFile, text: &str, origin: &Path) -> Result<Topology, TopologyError> {
    let mut ck = Checker::new(text);

    if file.nodes.is_empty() {
        ck.problem("nodes", "must list at least one node");
    }
    let mut by_name: HashMap<String, NodeIndex> = HashMap::new();
    for (i, n) in file.nodes.iter().enumerate() {
        let path = format!("nodes.{i}.name");
        if n.name.trim().is_empty() {
            ck.problem(path, "must not be empty");
        } else if n.name.trim() != n.name {
            ck.problem(path, "must not start or end with spaces");
        } else if n.name.contains(NAME_FORBIDDEN) || n.name.contains(char::is_control) {
            ck.problem(
                path,
                format!(
                    "'{}' must not contain , | \" ' or control characters (they separate fields in the routes CSV)",
                    n.name
                ),
            );
        } else if let Some(first) = by_name.get(&n.name) {
            ck.problem(
                path,
                format!(
                    "duplicate node name '{}' (also nodes.{})",
                    n.name,
                    first.index()
                ),
            );
        } else {
            by_name.insert(n.name.clone(), NodeIndex::new(i));
        }
    }

    let declared: std::collections::HashSet<&str> =
        file.nodes.iter().map(|n| n.name.as_str()).collect();
    // Links: endpoints, duplicates, numbers.
    let mut pairs: HashMap<(NodeIndex, NodeIndex), usize> = HashMap::new();
    let mut links: Vec<Link> = Vec::with_capacity(file.links.len());
    for (i, l) in file.links.iter().enumerate() {
        let path = format!("links.{i}");
        let mut ends_ok = true;
        // A name declared but refused above (duplicate, bad characters) was
        // reported there; only names never declared are reported here.
        let endpoint = |ck: &mut Checker, field: &str, name: &str| -> Option<NodeIndex> {
            let found = by_name.get(name).copied();
            if found.is_none() && !declared.contains(name) {
                let names = file.nodes.iter().map(|n| n.name.as_str());
                ck.problem(
                    format!("{path}.{field}"),
                    format!(
                        "unknown node '{name}'{}",
                        crate::scenario::diagnostics::suggest(name, "nodes", names, '\'')
                    ),
                );
            }
            found
        };
        let a = endpoint(&mut ck, "a", &l.a);
        let b = endpoint(&mut ck, "b", &l.b);
        if let (Some(a), Some(b)) = (a, b) {
            if a == b {
                ck.problem(
                    format!("{path}.b"),
                    format!("a link cannot join '{}' to itself", l.a),
                );
                ends_ok = false;
            } else {
                let key = (a.min(b), a.max(b));
                if let Some(first) = pairs.get(&key) {
                    ck.problem(
                        path.clone(),
                        format!(
                            "duplicate link: links.{first} already joins '{}' and '{}'",
                            l.a, l.b
                        ),
                    );
                    ends_ok = false;
                } else {
                    pairs.insert(key, i);
                }
            }
        } else {
            ends_ok = false;
        }

        // A minute one way is beyond any terrestrial or satellite link, and
        // jitter beyond ten seconds is no longer a voice path.
        ck.in_range(&format!("{path}.delay_ms"), l.delay_ms, MAX_DELAY_MS, "ms");
        ck.in_range(
            &format!("{path}.jitter_ms"),
            l.jitter_ms,
            MAX_JITTER_MS,
            "ms",
        );
        match l.loss {
            Loss::Random(p) => ck.probability(&format!("{path}.loss"), p),
            Loss::Gilbert(g) => {
                let at = format!("{path}.loss");
                if let Some(name) = ck.struct_name(&at) {
                    if name != "Gilbert" && !name.is_empty() {
                        ck.problem(
                            at.clone(),
                            format!("unknown loss model '{name}'; write a probability such as 0.001 or Gilbert(p: .., r: ..)"),
                        );
                    }
                }
                ck.transition(&format!("{at}.p"), g.p);
                ck.transition(&format!("{at}.r"), g.r);
                ck.probability(&format!("{at}.loss_good"), g.loss_good);
                ck.probability(&format!("{at}.loss_bad"), g.loss_bad);
            }
        }
        // `inf` is allowed: it means "no limit", the default.
        let capacity = format!("{path}.capacity_mbps");
        if l.capacity_mbps.is_nan() {
            ck.problem(capacity, "must be a number, got NaN");
        } else if l.capacity_mbps <= 0.0 {
            ck.problem(
                capacity,
                format!("must be greater than zero, got {}", l.capacity_mbps),
            );
        } else if l.capacity_mbps.is_finite() && l.capacity_mbps > MAX_CAPACITY_MBPS {
            ck.problem(
                capacity,
                format!(
                    "must be at most {MAX_CAPACITY_MBPS:e} Mbit/s (or inf for no limit), got {}",
                    l.capacity_mbps
                ),
            );
        }
        let cost = match l.cost {
            Some(c) => check_cost(&mut ck, &format!("{path}.cost"), c, false),
            None if l.delay_ms.is_finite() && l.delay_ms >= 0.0 => {
                check_cost(&mut ck, &format!("{path}.cost"), l.delay_ms, true)
            }
            None => None, // the delay itself was reported
        };
        if let (true, Some(a), Some(b), Some(cost)) = (ends_ok, a, b, cost) {
            links.push(Link {
                a,
                b,
                delay_ms: l.delay_ms,
                jitter_ms: l.jitter_ms,
                loss: l.loss,
                capacity_mbps: l.capacity_mbps,
                cost,
            });
        }
    }

    if !ck.problems.is_empty() {
        return Err(TopologyError::Invalid {
            file: origin.to_path_buf(),
            problems: ck.problems,
        });
    }

    // Every link was accepted, so edge j is the file's link j.
    debug_assert_eq!(links.len(), file.links.len());
    let mut graph: UnGraph<Node, Link> = UnGraph::with_capacity(file.nodes.len(), file.links.len());
    for n in &file.nodes {
        graph.add_node(Node {
            name: n.name.clone(),
            kind: n.kind,
        });
    }
    let mut uf = UnionFind::<usize>::new(file.nodes.len());
    for l in links {
        uf.union(l.a.index(), l.b.index());
        graph.add_edge(l.a, l.b, l);
    }
    // Label each component by its smallest node index (stable, readable).
    let mut label_of_root: HashMap<usize, usize> = HashMap::new();
    let component = (0..file.nodes.len())
        .map(|i| *label_of_root.entry(uf.find(i)).or_insert(i))
        .collect();
    Ok(Topology {
        file: origin.to_path_buf(),
        graph,
        by_name,
        component,
    })
}

/// Checks an IGP cost: positive (with zero-cost links a least-cost path
/// could wander through a zero-cost cycle, and RFC 5286's strict
/// inequalities assume positive metrics), finite, at most
/// [`Cost::MAX_F64`], and not so small it rounds to zero.
fn check_cost(ck: &mut Checker, path: &str, c: f64, defaulted: bool) -> Option<Cost> {
    let hint = if defaulted {
        format!("; cost defaults to delay_ms, which is {c} here: give an explicit cost")
    } else {
        String::new()
    };
    if !c.is_finite() {
        ck.problem(path, format!("must be a finite number, got {c}"));
        return None;
    }
    if c <= 0.0 {
        ck.problem(
            path,
            format!("must be greater than zero (IGP costs must be positive so least-cost paths are loop-free), got {c}{hint}"),
        );
        return None;
    }
    let cost = Cost::from_f64(c);
    if cost.is_none() {
        ck.problem(
            path,
            format!(
                "must be between {} and {}, got {c}{hint}",
                Cost::RESOLUTION,
                Cost::MAX_F64
            ),
        );
    }
    cost
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO_DC: &str = r#"
// a comment
Topology(
    nodes: [
        Node(name: "office", kind: Office),
        Node(name: "msk", kind: Datacenter),
        Node(name: "fra", kind: Datacenter),
        Node(name: "far", kind: Router),
    ],
    links: [   // undirected; cost defaults to delay_ms
        Link(a: "office", b: "msk", delay_ms: 6.0, jitter_ms: 1.0, loss: 0.001, capacity_mbps: 100.0, cost: None),
        Link(a: "msk", b: "fra", delay_ms: 28.0, jitter_ms: 2.0, loss: Gilbert(p: 0.01, r: 0.25), capacity_mbps: 10000.0, cost: 3),
    ],
)
"#;

    fn parse(text: &str) -> Result<Topology, TopologyError> {
        parse_topology(text, Path::new("t.ron"))
    }

    fn problems(text: &str) -> String {
        match parse(text) {
            Err(e @ TopologyError::Invalid { .. }) => e.to_string(),
            other => panic!("expected validation problems, got {other:?}"),
        }
    }

    #[test]
    fn loads_the_design_example_with_both_loss_spellings() {
        let t = parse(TWO_DC).unwrap();
        assert_eq!(t.node_count(), 4);
        assert_eq!(t.link_count(), 2);
        let office = t.find_node("office").unwrap();
        let msk = t.find_node("msk").unwrap();
        assert_eq!(office.index(), 0, "file order is index order");
        let e = t.link_between(msk, office).unwrap();
        let l = t.link(e);
        assert_eq!(l.loss, Loss::Random(0.001));
        assert_eq!(l.cost.as_f64(), 6.0, "cost defaults to delay_ms");
        let l = t.link(EdgeIndex::new(1));
        assert_eq!(l.cost.as_f64(), 3.0, "integer cost, implicit Some");
        assert_eq!(
            l.loss,
            Loss::Gilbert(Gilbert {
                p: 0.01,
                r: 0.25,
                loss_good: 0.0,
                loss_bad: 1.0
            })
        );
        assert!((l.loss.mean() - 0.01 / 0.26).abs() < 1e-15);
        assert!((l.loss.burst_r() - 1.0 / 0.26).abs() < 1e-12);
        assert!(t.connected("office", "fra"));
        assert!(!t.connected("office", "far"));
        assert!(!t.connected("office", "nowhere"));
        assert!(t.connected("far", "far"));
        let t = parse(
            r#"Topology(nodes: [Node(name: "a", kind: Office), Node(name: "b", kind: Router)],
            links: [Link(a: "a", b: "b", delay_ms: 2)])"#,
        )
        .unwrap();
        let l = t.link(EdgeIndex::new(0));
        assert_eq!(l.capacity_mbps, f64::INFINITY, "no capacity: unlimited");
        assert_eq!(
            (l.jitter_ms, l.loss, l.cost.to_string().as_str()),
            (0.0, Loss::Random(0.0), "2")
        );
    }

    #[test]
    fn gilbert_accepts_explicit_state_losses_and_some() {
        let text = TWO_DC.replace(
            "Gilbert(p: 0.01, r: 0.25)",
            "Some(Gilbert(p: 0.1, r: 0.4, loss_good: 0.01, loss_bad: 0.5))",
        );
        let t = parse(&text).unwrap();
        let Loss::Gilbert(g) = t.link(EdgeIndex::new(1)).loss else {
            panic!()
        };
        assert_eq!((g.loss_good, g.loss_bad), (0.01, 0.5));
        assert!((g.mean_loss() - (0.4 * 0.01 + 0.1 * 0.5) / 0.5).abs() < 1e-15);
        assert!((g.stationary_bad() - 0.2).abs() < 1e-15);
        assert_eq!(g.mean_burst_packets(), 2.5);
    }

    #[test]
    fn syntax_errors_carry_line_and_column() {
        let text = TWO_DC.replace("delay_ms: 28.0", "delay_ms: 28.0 28");
        let e = parse(&text).unwrap_err();
        assert!(matches!(e, TopologyError::Syntax { line: 12, .. }), "{e}");
        assert!(e.to_string().starts_with("t.ron:12:"), "{e}");
        let text = TWO_DC.replace("loss: 0.001", "loss: Gilbert(p: 0.1)");
        let e = parse(&text).unwrap_err().to_string();
        assert!(e.contains("t.ron:11:") && e.contains("r"), "{e}");
        let text = TWO_DC.replace("loss: 0.001", "loss: Gilbert(p: 0.1, r: 0.2, q: 1.0)");
        let e = parse(&text).unwrap_err().to_string();
        assert!(e.contains("t.ron:11:") && e.contains("q"), "{e}");
        let text = TWO_DC.replace("loss: 0.001", "loss: \"high\"");
        let e = parse(&text).unwrap_err().to_string();
        assert!(e.contains("loss probability"), "{e}");
        let text = TWO_DC.replace("kind: Office", "kind: Home");
        assert!(matches!(
            parse(&text),
            Err(TopologyError::Syntax { line: 5, .. })
        ));
    }

    #[test]
    fn collects_every_semantic_problem_with_paths_and_positions() {
        let text = r#"Topology(
    nodes: [
        Node(name: "a", kind: Office),
        Node(name: "b", kind: Router),
        Node(name: "a", kind: Router),
        Node(name: "c|d", kind: Router),
    ],
    links: [
        Link(a: "a", b: "x", delay_ms: 1.0, capacity_mbps: 1.0),
        Link(a: "b", b: "b", delay_ms: 1.0, capacity_mbps: 1.0),
        Link(a: "a", b: "b", delay_ms: -1.0, jitter_ms: NaN, loss: 1.5, capacity_mbps: 0.0),
        Link(a: "b", b: "a", delay_ms: 0.0, loss: Gilbert(p: 0.0, r: 2.0, loss_bad: -1), capacity_mbps: NaN),
        Link(a: "c|d", b: "a", delay_ms: 0.0, capacity_mbps: 1.0, cost: 0.0),
        Link(a: "b", b: "c|d", delay_ms: 0.0, loss: Bursty(p: 0.1, r: 0.1), capacity_mbps: 1.0),
    ],
)"#;
        let e = problems(text);
        for want in [
            "t.ron:5:20: nodes.2.name: duplicate node name 'a' (also nodes.0)",
            "t.ron:6:20: nodes.3.name: 'c|d' must not contain",
            "t.ron:9:25: links.0.b: unknown node 'x'",
            "t.ron:10:25: links.1.b: a link cannot join 'b' to itself",
            "t.ron:11:40: links.2.delay_ms: must not be negative, got -1",
            "links.2.jitter_ms: must be a finite number, got NaN",
            "links.2.loss: must be a probability between 0 and 1, got 1.5",
            "links.2.capacity_mbps: must be greater than zero, got 0",
            "t.ron:12:9: links.3: duplicate link: links.2 already joins 'b' and 'a'",
            "links.3.loss.p: must be a transition probability in (0, 1], got 0",
            "links.3.loss.r: must be a transition probability in (0, 1], got 2",
            "links.3.loss.loss_bad: must be a probability between 0 and 1, got -1",
            "links.3.capacity_mbps: must be a number, got NaN",
            "t.ron:12:9: links.3.cost: must be greater than zero (IGP costs must be positive so least-cost paths are loop-free), got 0; cost defaults to delay_ms",
            "t.ron:13:73: links.4.cost: must be greater than zero (IGP costs must be positive so least-cost paths are loop-free), got 0\n",
            "links.5.loss: unknown loss model 'Bursty'",
        ] {
            assert!(e.contains(want), "missing {want:?} in\n{e}");
        }
        assert!(e.starts_with("t.ron: "), "{e}");
    }

    #[test]
    fn empty_and_out_of_range_costs_are_refused() {
        let e = problems("Topology(nodes: [])");
        assert!(e.contains("nodes: must list at least one node"), "{e}");
        let e = problems(
            r#"Topology(nodes: [Node(name: "a", kind: Office), Node(name: "b", kind: Office)],
                links: [Link(a: "a", b: "b", delay_ms: 1.0, capacity_mbps: 1.0, cost: 1e12),
                        Link(a: "a", b: "b", delay_ms: 1.0, capacity_mbps: 1.0, cost: 1e-9)])"#,
        );
        assert!(e.contains("links.0.cost: must be between"), "{e}");
        assert!(e.contains("links.1.cost: must be between"), "{e}");
        assert!(e.contains("links.1: duplicate link"), "{e}");
    }

    #[test]
    fn link_specs_split_names_that_contain_dashes() {
        let t = parse(
            r#"Topology(nodes: [
                Node(name: "a", kind: Router), Node(name: "a-b", kind: Router),
                Node(name: "b", kind: Router), Node(name: "c", kind: Router),
                Node(name: "b-c", kind: Router)],
            links: [
                Link(a: "a-b", b: "c", delay_ms: 1.0, capacity_mbps: 1.0),
                Link(a: "a", b: "b", delay_ms: 1.0, capacity_mbps: 1.0),
                Link(a: "a", b: "b-c", delay_ms: 1.0, capacity_mbps: 1.0),
            ])"#,
        )
        .unwrap();
        assert_eq!(
            t.link_by_spec("a-b-c"),
            Err(LookupError::Ambiguous(vec![
                "'a'–'b-c'".into(),
                "'a-b'–'c'".into()
            ]))
        );
        assert_eq!(t.link_by_spec("c-a-b"), Ok(EdgeIndex::new(0)));
        assert_eq!(t.link_by_spec("b-a"), Ok(EdgeIndex::new(1)));
        assert_eq!(t.link_by_spec("ab"), Err(LookupError::Malformed));
        assert_eq!(t.link_by_spec("a-"), Err(LookupError::Malformed));
        assert_eq!(
            t.link_by_spec("a-zz"),
            Err(LookupError::UnknownNode("zz".into()))
        );
        assert_eq!(
            t.link_by_spec("a-c"),
            Err(LookupError::NoLink {
                a: "a".into(),
                b: "c".into()
            })
        );
        assert_eq!(
            t.node_by_name("q"),
            Err(LookupError::UnknownNode("q".into()))
        );
    }
}
