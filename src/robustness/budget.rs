//! Resource guards: an estimate of the work (events) and memory a run will
//! take, worked out from the checked model before anything runs, so absurd
//! inputs (10¹² agents, a ten-year horizon at a million calls per second, a
//! million-node topology routed all-pairs) are refused with the number
//! instead of exhausting the machine.
//!
//! The estimates are deliberately coarse upper-side figures built from the
//! same sizes the engine allocates (agents, live calls, interval rows kept
//! until the merge, routing tables of `n²` pairs per failure state). They
//! decide only "refuse or run"; users raise the limits with `--max-events`
//! and `--max-memory`.

use std::fmt;

use crate::model::{ArrivalSpec, Model, NetEvent, PortalSpec};
use crate::network::{Lfa, Topology};
use crate::scenario::Problem;
use crate::stats::{IntervalRow, MetricValues};

/// Default `--max-events`: about half an hour of one core at the measured
/// 5–9 M events/s (README, Speed).
pub const DEFAULT_MAX_EVENTS: u64 = 10_000_000_000;
/// Default `--max-memory`: half a GiB, far above any shipped scenario (they
/// peak under 10 MB) and well below a CI runner's memory.
pub const DEFAULT_MAX_MEMORY: u64 = 512 << 20;
/// Input files (scenario, topology) larger than this are refused before
/// parsing: parsing and locating fields take a few dozen bytes of memory per
/// byte of text, and hand-written inputs are far smaller. A run's scenario
/// may be bigger when `--max-memory` allows (see [`Limits::max_input`]).
pub const MAX_INPUT_BYTES: u64 = 16 << 20;
/// Memory per byte of scenario text while it is parsed and validated (the
/// 50 000-portal platform of `bench/gen_platform.py`: 626 MB for 26 MB).
const PARSE_BYTES_PER_INPUT_BYTE: u64 = 32;

/// Bytes per scope for the wait-time histogram (HDR, 3 significant digits,
/// grown to hours of wait) and the counters beside it.
const SCOPE_TOTALS_BYTES: f64 = 48.0 * 1024.0;
/// A live call: its slab entry, network side table and ~3 pending events.
const LIVE_CALL_BYTES: f64 = 256.0;
/// An agent: its name in the model, queue state, codec and owner index.
const AGENT_BYTES: f64 = 64.0;
/// Rough events per second of one core, for the time hint in messages.
const EVENTS_PER_S: f64 = 5e6;

/// Limits a run must stay within; `jobs` is how many replications run at
/// once (memory of replications in flight).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    pub max_events: u64,
    pub max_memory: u64,
    pub jobs: usize,
}

impl Limits {
    /// Largest scenario file a run reads: what `max_memory` can parse
    /// (16 MiB at the default 512 MiB), never less than [`MAX_INPUT_BYTES`].
    /// Generated national platforms need `--max-memory` raised anyway.
    pub fn max_input(&self) -> u64 {
        (self.max_memory / PARSE_BYTES_PER_INPUT_BYTE).max(MAX_INPUT_BYTES)
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_events: DEFAULT_MAX_EVENTS,
            max_memory: DEFAULT_MAX_MEMORY,
            jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

/// What a run is expected to cost, with the part each input is responsible
/// for, so a refusal can point at the field to change.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    pub calls: f64,
    pub events: f64,
    pub memory_bytes: f64,
    /// Memory by cause: (field path, bytes), largest first.
    pub memory_parts: Vec<(String, f64)>,
    /// The portal with the most arrivals (its field path), for messages.
    pub busiest_portal: Option<String>,
}

/// `1.2e11`-style short numbers for messages.
struct Sci(f64);

impl fmt::Display for Sci {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 < 1e6 {
            write!(f, "{:.0}", self.0)
        } else {
            write!(f, "{:.2e}", self.0)
        }
    }
}

/// Bytes as `512.0 MiB`.
pub struct Bytes(pub f64);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        let mut v = self.0;
        let mut u = 0;
        while v >= 1024.0 && u + 1 < UNITS.len() {
            v /= 1024.0;
            u += 1;
        }
        if u == 0 {
            write!(f, "{v:.0} B")
        } else {
            write!(f, "{v:.1} {}", UNITS[u])
        }
    }
}

/// Parses `--max-memory`: bytes, optionally with a binary suffix `K`, `M`,
/// `G`, `T` (`KiB`, `MB`… accepted alike).
pub fn parse_bytes(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let v: f64 = num
        .parse()
        .map_err(|_| format!("'{s}' is not a size such as 2G or 512M"))?;
    let mult = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1u64,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        "T" | "TB" | "TIB" => 1 << 40,
        _ => return Err(format!("'{s}': unknown unit (use K, M, G or T)")),
    };
    let bytes = v * mult as f64;
    if !bytes.is_finite() || bytes < 1.0 || bytes > u64::MAX as f64 {
        return Err(format!("'{s}' is not a usable size"));
    }
    Ok(bytes as u64)
}

/// Parses `--max-events`: a count, `1e11` notation allowed.
pub fn parse_count(s: &str) -> Result<u64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a number of events such as 1e11"))?;
    if !v.is_finite() || v < 1.0 || v > u64::MAX as f64 {
        return Err(format!("'{s}' is not a usable number of events"));
    }
    Ok(v as u64)
}

/// Highest number of hops a least-cost path can have, bounded by a BFS from
/// node 0: every path is at most twice its eccentricity (+1 for other
/// components, which are never longer than the graph).
fn hop_bound(topo: &Topology) -> f64 {
    let n = topo.node_count();
    if n == 0 {
        return 0.0;
    }
    let g = topo.graph();
    let mut depth = vec![u32::MAX; n];
    let mut queue = std::collections::VecDeque::new();
    depth[0] = 0;
    queue.push_back(petgraph::graph::NodeIndex::new(0));
    let mut ecc = 0;
    while let Some(v) = queue.pop_front() {
        let d = depth[v.index()];
        ecc = ecc.max(d);
        for w in g.neighbors(v) {
            if depth[w.index()] == u32::MAX {
                depth[w.index()] = d + 1;
                queue.push_back(w);
            }
        }
    }
    let disconnected = depth.contains(&u32::MAX);
    if disconnected {
        // Another component may be a long chain: only n bounds it.
        n as f64
    } else {
        (2 * ecc + 1).min(n as u32) as f64
    }
}

/// Memory of one all-pairs routing table (`Routes`) of `topo`: per ordered
/// pair the distance, next hop, offsets, the path's nodes and the alternates.
pub fn routing_table_bytes(topo: &Topology) -> f64 {
    let n = topo.node_count() as f64;
    let avg_degree = if n > 0.0 {
        2.0 * topo.link_count() as f64 / n
    } else {
        0.0
    };
    let per_pair = 8.0
        + 4.0
        + 8.0
        + 8.0
        + 4.0 * (hop_bound(topo) + 1.0)
        + std::mem::size_of::<Lfa>() as f64 * avg_degree.min(n);
    n * n * per_pair
}

fn arrival_per_s(p: &PortalSpec) -> f64 {
    match &p.arrivals {
        ArrivalSpec::Poisson { per_s } => *per_s,
        a @ ArrivalSpec::Profile { per_s, .. } => {
            // The mean over a day, but a short run may sit in the peak.
            a.mean_per_s()
                .max(per_s.iter().copied().fold(0.0, f64::max) / 24.0)
        }
    }
}

/// Events one call causes: arrival and end, plus the timers it may set.
fn events_per_call(p: &PortalSpec) -> f64 {
    let mut e = 2.0;
    if p.patience.is_some() {
        e += 1.0;
    }
    if p.max_wait.is_some() {
        e += 1.0;
    }
    if p.answer_prob < 1.0 || !p.answer_delay.is_zero() {
        e += 1.0;
    }
    if !p.wrapup.is_zero() {
        e += 1.0;
    }
    e
}

/// Works out the expected events and peak memory of running `model` with
/// `limits.jobs` replications at once.
pub fn estimate(model: &Model, limits: &Limits) -> Estimate {
    let reps = model.replications as f64;
    let horizon_s = model.duration.as_secs_f64();
    let span_s = (model.duration + model.drain).as_secs_f64();
    let intervals = (span_s / model.interval.as_secs_f64().max(1e-6)).ceil() + 1.0;
    let portals = model.portals.len() as f64;
    let scopes = 1.0 + portals + model.servers.len() as f64;
    let in_flight = (limits.jobs.max(1) as f64).min(reps);

    let mut calls = 0.0;
    let mut events = intervals * reps;
    let mut live_calls = 0.0;
    let mut busiest: Option<(f64, &str)> = None;
    for p in &model.portals {
        let rate = arrival_per_s(p);
        let c = rate * horizon_s * reps;
        calls += c;
        events += c * events_per_call(p);
        // Calls in the system: talking (the offered load) plus those waiting
        // or ringing. Agents that keep up leave waits short; an overloaded
        // queue grows until callers give up (max wait, patience) or the run
        // ends.
        let talk_s = p.talk.mean();
        let capacity = p.agent_names.len() as f64 * p.answer_prob.max(1e-9);
        let give_up_s = p.max_wait.map_or(f64::INFINITY, |w| w.as_secs_f64()).min(
            p.patience
                .as_ref()
                .map_or(f64::INFINITY, |s| s.mean() * 4.0),
        );
        let stay_s = if rate * talk_s < capacity {
            2.0 * talk_s + p.ring_time.as_secs_f64() + give_up_s.min(600.0)
        } else {
            talk_s + give_up_s.min(horizon_s)
        };
        live_calls += rate * stay_s;
        if busiest.is_none_or(|(r, _)| rate > r) {
            busiest = Some((rate, &p.name));
        }
    }
    events += model.events.len() as f64 * reps;
    // What runs besides inbound calls: outbound attempts (each at most a
    // call's worth of events), balance polls, phone registrations.
    for p in &model.portals {
        if let Some(o) = &p.outbound {
            events += o.per_agent_s * p.agent_names.len() as f64 * horizon_s * reps * 6.0;
        }
        if let Some(d) = &p.devices {
            events +=
                d.phones.len() as f64 * (horizon_s / (0.9 * d.expires.as_secs_f64()) + 1.0) * reps;
        }
    }
    if let Some(c) = &model.controller {
        events += c.balance_polls_per_portal_h / 3600.0 * portals * horizon_s * reps;
    }

    let mut parts: Vec<(String, f64)> = Vec::new();
    let agents = model.total_agents() as f64;
    let biggest_portal = model
        .portals
        .iter()
        .max_by_key(|p| p.agent_names.len())
        .map_or("portals".to_string(), |p| {
            format!("portals.{}.agents", p.name)
        });
    parts.push((biggest_portal, agents * AGENT_BYTES * (1.0 + in_flight)));
    let busiest_path = busiest.map(|(_, name)| format!("portals.{name}.inbound.arrivals"));
    parts.push((
        busiest_path
            .clone()
            .unwrap_or_else(|| "portals".to_string()),
        (live_calls * 2.0 + 1024.0) * LIVE_CALL_BYTES * in_flight,
    ));
    parts.push((
        "portals".to_string(),
        (1.0 + portals)
            * (SCOPE_TOTALS_BYTES * in_flight + std::mem::size_of::<MetricValues>() as f64 * reps),
    ));
    let mut interval_rows = intervals * scopes * std::mem::size_of::<IntervalRow>() as f64 * reps;
    if let Some(net) = &model.network {
        let topo = &net.topology;
        let link_rows = intervals * topo.link_count() as f64 * 64.0 * reps;
        interval_rows += link_rows;
        let tables = 1.0
            + model
                .events
                .iter()
                .filter(|(_, e)| !matches!(e, NetEvent::FailServer(_) | NetEvent::RecoverServer(_)))
                .count() as f64;
        parts.push((
            "topology".to_string(),
            routing_table_bytes(topo) * tables * in_flight,
        ));
    }
    parts.push(("interval_s".to_string(), interval_rows));
    parts.sort_by(|a, b| b.1.total_cmp(&a.1));
    Estimate {
        calls,
        events,
        memory_bytes: parts.iter().map(|(_, b)| b).sum(),
        memory_parts: parts,
        busiest_portal: busiest_path,
    }
}

/// The problems (field path and reason) that make `est` exceed `limits`;
/// empty when the run fits.
pub fn over_budget(model: &Model, est: &Estimate, limits: &Limits) -> Vec<Problem> {
    let mut problems = Vec::new();
    if est.events > limits.max_events as f64 {
        let secs = est.events / EVENTS_PER_S;
        let duration = if secs >= 3600.0 {
            format!("{} hours", Sci(secs / 3600.0))
        } else if secs >= 60.0 {
            format!("{:.0} minutes", secs / 60.0)
        } else {
            format!("{secs:.1} s")
        };
        problems.push(Problem {
            path: "duration_s".to_string(),
            line_col: None,
            reason: format!(
                "the run would take about {} events ({} calls over {} replication(s) of {} s; roughly {duration} of one core), \
                 above the limit of {} events: shorten duration_s, lower the arrival rates or replications, \
                 or raise the limit with --max-events",
                Sci(est.events),
                Sci(est.calls),
                model.replications,
                model.duration.as_secs_f64(),
                Sci(limits.max_events as f64),
            ),
        });
    }
    if est.memory_bytes > limits.max_memory as f64 {
        let (path, bytes) = est
            .memory_parts
            .first()
            .cloned()
            .unwrap_or_else(|| ("portals".to_string(), est.memory_bytes));
        let why = if path == "topology" {
            "all-pairs routing tables of the topology, one per failure state"
        } else if path == "interval_s" {
            "interval rows kept for every replication until the merge"
        } else if path.ends_with(".agents") {
            "agents"
        } else if path.ends_with(".arrivals") {
            "calls in the system at once"
        } else {
            "per-portal statistics"
        };
        problems.push(Problem {
            path,
            line_col: None,
            reason: format!(
                "the run would need about {} of memory ({} of it for {why}), above the limit of {}: \
                 make the input smaller or raise the limit with --max-memory",
                Bytes(est.memory_bytes),
                Bytes(bytes),
                Bytes(limits.max_memory as f64),
            ),
        });
    }
    problems
}

#[cfg(test)]
mod tests {
    #[test]
    fn scenario_size_cap_follows_max_memory() {
        let at = |mem: u64| Limits {
            max_memory: mem,
            ..Limits::default()
        };
        assert_eq!(at(DEFAULT_MAX_MEMORY).max_input(), MAX_INPUT_BYTES);
        assert_eq!(at(1 << 20).max_input(), MAX_INPUT_BYTES, "never below");
        assert_eq!(at(8 << 30).max_input(), 256 << 20);
    }

    use super::*;

    #[test]
    fn sizes_parse_with_binary_suffixes() {
        assert_eq!(parse_bytes("512").unwrap(), 512);
        assert_eq!(parse_bytes("2K").unwrap(), 2048);
        assert_eq!(parse_bytes("1.5G").unwrap(), 3 << 29);
        assert_eq!(parse_bytes("4 GiB").unwrap(), 4 << 30);
        assert!(parse_bytes("lots").is_err());
        assert!(parse_bytes("3X").is_err());
        assert!(parse_bytes("0").is_err());
        assert_eq!(parse_count("1e11").unwrap(), 100_000_000_000);
        assert!(parse_count("-5").is_err());
        assert!(parse_count("inf").is_err());
    }

    /// The estimate is a planning figure, but must be the right size: within
    /// a factor of two of the events a real run handles.
    #[test]
    fn event_estimate_is_close_to_a_real_run() {
        let text = r#"Scenario(name: "e", seed: 3, replications: 1, duration_s: 20000.0,
            warmup_s: 0.0, interval_s: 900.0, servers: [], portals: [Portal(name: "p",
            agents: 12, queue: Queue(policy: Evenly, ring_time_s: 10.0, max_wait_s: Some(120.0)),
            inbound: Traffic(arrivals: Poisson(per_hour: 400.0), talk_s: Exp(mean: 90.0),
                patience_s: Some(Exp(mean: 60.0))),
            agent: Agent(answer_prob: 0.9, answer_delay_s: Const(3.0), wrapup_s: Const(5.0)))],
            checks: [])"#;
        let model = crate::model_from_str(text, "e.ron").unwrap();
        let est = estimate(&model, &Limits::default());
        let (r, ()) =
            crate::model::run_replication(&model, 0, (), |_| std::ops::ControlFlow::Continue(()))
                .unwrap();
        let ratio = est.events / r.events as f64;
        assert!(
            (0.5..=2.0).contains(&ratio),
            "estimated {} events, ran {}",
            est.events,
            r.events
        );
        let calls = est.calls / r.calls as f64;
        assert!(
            (0.9..=1.1).contains(&calls),
            "estimated {} calls, ran {}",
            est.calls,
            r.calls
        );
        assert!(over_budget(&model, &est, &Limits::default()).is_empty());
        let tight = Limits {
            max_events: 1000,
            max_memory: 1024,
            jobs: 1,
        };
        let over = over_budget(&model, &est, &tight);
        assert_eq!(over.len(), 2);
        assert_eq!(over[0].path, "duration_s");
        assert!(
            over[1].reason.contains("--max-memory"),
            "{}",
            over[1].reason
        );
    }

    #[test]
    fn bytes_print_in_binary_units() {
        assert_eq!(Bytes(512.0).to_string(), "512 B");
        assert_eq!(Bytes(1536.0 * 1024.0).to_string(), "1.5 MiB");
    }
}
