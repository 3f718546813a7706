use std::collections::HashSet;

use crate::engine::{Sampler, SimTime};
use std::path::Path;

use crate::model::{
    ArrivalSpec, CheckSpec, Model, NetEvent, NetworkSpec, NoAnswerRule, PortalSpec, Scope,
    ServerSpec,
};
use crate::network::load_topology;
use crate::stats::Metric;

use super::diagnostics::{suggest, suggest_upto, Diagnostics};
use super::error::ScenarioError;
use super::load::Loaded;
use super::types::{Agents, Arrivals, Dist, MediaPath, NoAnswer, Scenario, ServerKind, TimedEvent};

/// Shortest ring time and interval: simulated time has microsecond
/// resolution, and a step that rounds to zero would stall the clock.
const MIN_STEP_S: f64 = 0.001;

/// Highest arrival rate per portal (≈ 2 800 calls/s): beyond it calls would
/// arrive closer than the clock's resolution and the run would never end.
const MAX_PER_HOUR: f64 = 1e7;
/// Ten years in seconds: the longest run, and the longest any drawn
/// duration (talk, wrap-up, patience, …) may be on average.
const MAX_SPAN_S: f64 = 10.0 * 365.0 * 86_400.0;

/// Longest name (scenario, portal, server, agent), in bytes: the scenario's
/// names a folder (file systems allow 255).
const MAX_NAME_BYTES: usize = 200;

/// Agents over all portals: each has a name and state in the model, so this
/// bounds the model's memory (about 100 MB) before any estimate is made.
const MAX_TOTAL_AGENTS: i64 = 2_000_000;

/// Portal–server pairs: every portal lists the servers it may use.
const MAX_PORTAL_SERVER_PAIRS: usize = 4_000_000;

type Checker<'a> = Diagnostics<'a>;

/// Distributions built from the file, with problems reported at their path.
pub(super) trait SamplerCheck {
    fn sampler(&mut self, path: &str, d: &Dist) -> Sampler;
}

impl SamplerCheck for Diagnostics<'_> {
    fn sampler(&mut self, path: &str, d: &Dist) -> Sampler {
        // A duration longer than the longest run is a typo (and at 1e300 s
        // it reaches the results as inf): capped at ten years, in the
        // field's own unit.
        let (max, unit) = if path.ends_with("_h") {
            (MAX_SPAN_S / 3600.0, "h")
        } else {
            (MAX_SPAN_S, "s")
        };
        let scale = match *d {
            Dist::Const(v) => v,
            Dist::Exp { mean } | Dist::Gamma { mean, .. } | Dist::Erlang { mean, .. } => mean,
            Dist::Uniform { max, .. } => max,
            Dist::LogNormal { mean, sd } => mean.max(sd),
            Dist::Weibull { scale, .. } => scale,
        };
        if scale.is_finite() && scale > max {
            self.problem(
                path,
                format!("must stay within ten years ({max:e} {unit}), got {scale:e} {unit}"),
            );
            return Sampler::Const(0.0);
        }
        let built = match d {
            Dist::Const(v) => Sampler::constant(*v),
            Dist::Exp { mean } => Sampler::exponential(*mean),
            Dist::Uniform { min, max } => Sampler::uniform(*min, *max),
            Dist::LogNormal { mean, sd } => Sampler::log_normal(*mean, *sd),
            Dist::Gamma { shape, mean } => Sampler::gamma(*shape, *mean),
            Dist::Erlang { k, mean } => Sampler::erlang(*k, *mean),
            Dist::Weibull { shape, scale } => Sampler::weibull(*shape, *scale),
        };
        built.unwrap_or_else(|e| {
            // `Const(x)` has no named field: point at the distribution itself.
            let at = match d {
                Dist::Const(_) => path.to_string(),
                _ => format!("{path}.{}", e.field()),
            };
            self.problem(at, e.to_string());
            Sampler::Const(0.0)
        })
    }
}

/// Checks a loaded scenario and builds the indexed model the engine runs.
pub fn validate(loaded: &Loaded) -> Result<Model, ScenarioError> {
    let sc: &Scenario = &loaded.scenario;
    let mut ck = Diagnostics::new(&loaded.text);

    // Names end up in folder names and in every CSV row: keep them short
    // and printable (a NUL or an escape code would reach every file and
    // terminal that shows them).
    let too_long = |ck: &mut Checker, path: &str, name: &str| {
        if let Some(c) = name.chars().find(|c| c.is_control()) {
            ck.problem(
                path,
                format!(
                    "must not contain control characters, got U+{:04X} in {:?}",
                    c as u32, name
                ),
            );
            true
        } else if name.len() > MAX_NAME_BYTES {
            ck.problem(
                path,
                format!(
                    "at most {MAX_NAME_BYTES} bytes, got a name of {} bytes",
                    name.len()
                ),
            );
            true
        } else {
            false
        }
    };
    if too_long(&mut ck, "name", &sc.name) {
    } else if sc.name.trim().is_empty() {
        ck.problem("name", "must not be empty (it names the output folder)");
    } else if sc.name.contains(['/', '\\']) || sc.name == "." || sc.name == ".." {
        ck.problem(
            "name",
            "must not contain path separators (it names the output folder)",
        );
    }
    if sc.replications == 0 {
        ck.problem("replications", "must be at least 1");
    } else if sc.replications > 100_000 {
        ck.problem("replications", "must be at most 100000");
    }
    let duration_s = ck.positive("duration_s", sc.duration_s);
    let warmup_s = ck.non_negative("warmup_s", sc.warmup_s);
    if duration_s.is_finite() && warmup_s.is_finite() && duration_s > 0.0 && warmup_s >= duration_s
    {
        ck.problem(
            "warmup_s",
            format!("warm-up ({warmup_s} s) must be shorter than duration_s ({duration_s} s): no call would be counted"),
        );
    }
    if duration_s.is_finite() && duration_s > MAX_SPAN_S {
        ck.problem("duration_s", "must be at most ten years of simulated time");
    }
    let interval_s = ck.positive("interval_s", sc.interval_s);
    if interval_s > 0.0 && interval_s < MIN_STEP_S {
        ck.problem(
            "interval_s",
            format!("must be at least {MIN_STEP_S} s, got {interval_s}"),
        );
    }
    if interval_s > 0.0 && duration_s > 0.0 && duration_s / interval_s > 1_000_000.0 {
        ck.problem(
            "interval_s",
            "too small: more than a million intervals per replication",
        );
    }
    let service_level_s = ck.non_negative("service_level_s", sc.service_level_s);
    let drain_s = match sc.drain_s {
        Some(d) => ck.non_negative("drain_s", d),
        None => duration_s.max(3600.0),
    };
    let topology = sc.topology.as_ref().and_then(|rel| {
        // Paths inside a scenario are relative to the scenario file.
        let base = loaded.file.parent().unwrap_or_else(|| Path::new("."));
        match load_topology(&base.join(rel)) {
            Ok(t) => Some(t),
            Err(e) => {
                ck.problem("topology", format!("cannot use topology: {e}"));
                None
            }
        }
    });
    let net = &sc.network;
    let jitter_buffer_ms = ck.positive("network.jitter_buffer_ms", net.jitter_buffer_ms);
    if jitter_buffer_ms.is_finite() && jitter_buffer_ms > 10_000.0 {
        ck.problem(
            "network.jitter_buffer_ms",
            format!("must be at most 10000 ms, got {jitter_buffer_ms}"),
        );
    }
    let detection_s = ck.non_negative("network.detection_s", net.detection_s);
    let reconvergence_s = ck.non_negative("network.reconvergence_s", net.reconvergence_s);
    let drop_gap_s = ck.positive("network.drop_gap_s", net.drop_gap_s);
    // A node named in the scenario, resolved in the topology.
    let node_of = |ck: &mut Checker, path: String, name: &Option<String>, required: bool| match (
        name, &topology,
    ) {
        (Some(n), Some(t)) => match t.find_node(n) {
            Some(i) => Some(i),
            None => {
                ck.problem(
                    path,
                    format!(
                        "unknown node '{n}'{}",
                        suggest(n, "nodes", t.nodes().map(|(_, nd)| nd.name.as_str()), '\'')
                    ),
                );
                None
            }
        },
        (Some(_), None) => {
            if sc.topology.is_none() {
                ck.problem(
                    path,
                    "placing on a node needs a topology (set topology: Some(\"...\"))",
                );
            }
            None
        }
        (None, Some(_)) if required => {
            ck.problem(path, "a scenario with a topology must place this on a node");
            None
        }
        (None, _) => None,
    };

    // Servers
    let mut server_names = HashSet::new();
    let mut servers = Vec::new();
    for (i, s) in sc.servers.iter().enumerate() {
        let path = format!("servers.{i}");
        if too_long(&mut ck, &format!("{path}.name"), &s.name) {
        } else if s.name.trim().is_empty() {
            ck.problem(format!("{path}.name"), "must not be empty");
        } else if !server_names.insert(s.name.as_str()) {
            ck.problem(
                format!("{path}.name"),
                format!("duplicate server name '{}'", s.name),
            );
        }
        if s.max_calls == Some(0) {
            ck.problem(
                format!("{path}.max_calls"),
                "must be at least 1 (or None for unlimited)",
            );
        }
        if s.max_cps == Some(0) {
            ck.problem(
                format!("{path}.max_cps"),
                "must be at least 1 (or None for unlimited)",
            );
        }
        let node = node_of(&mut ck, format!("{path}.node"), &s.node, true);
        servers.push(ServerSpec {
            name: s.name.clone(),
            kind: s.kind,
            max_calls: s.max_calls,
            max_cps: s.max_cps,
            node,
            max_registers_per_s: s.max_registers_per_s,
        });
    }
    if servers.len() > u16::MAX as usize {
        ck.problem("servers", "too many servers (at most 65535)");
    }
    if sc.portals.len().saturating_mul(sc.servers.len()) > MAX_PORTAL_SERVER_PAIRS {
        ck.problem(
            "servers",
            format!(
                "{} portals × {} servers: at most {MAX_PORTAL_SERVER_PAIRS} portal–server pairs",
                sc.portals.len(),
                sc.servers.len()
            ),
        );
    }
    if sc.portals.len() + sc.servers.len() >= u16::MAX as usize {
        // Interval rows number platform, portals and servers with 16 bits.
        ck.problem("portals", "at most 65534 portals and servers together");
    }

    // Portals
    if sc.portals.is_empty() {
        ck.problem("portals", "at least one portal is needed");
    }
    if sc.portals.len() > u16::MAX as usize - 1 {
        ck.problem("portals", "too many portals (at most 65534)");
    }
    let mut portal_names = HashSet::new();
    let mut portals = Vec::new();
    let mut name_count: std::collections::HashMap<&str, usize> = Default::default();
    for p in &sc.portals {
        *name_count.entry(p.name.as_str()).or_default() += 1;
    }
    let mut total_agents: i64 = 0;
    let mut first_agent: u32 = 0;
    for (i, p) in sc.portals.iter().enumerate() {
        let key = if p.name.trim().is_empty()
            || p.name.len() > MAX_NAME_BYTES
            || p.name.contains(char::is_control)
            || name_count[p.name.as_str()] > 1
        {
            i.to_string()
        } else {
            p.name.clone()
        };
        let path = format!("portals.{key}");
        if too_long(&mut ck, &format!("{path}.name"), &p.name) {
        } else if p.name.trim().is_empty() {
            ck.problem(format!("{path}.name"), "must not be empty");
        } else if p.name == "platform" {
            ck.problem(
                format!("{path}.name"),
                "'platform' is reserved for platform-wide statistics",
            );
        } else if !portal_names.insert(p.name.as_str()) {
            ck.problem(
                format!("{path}.name"),
                format!("duplicate portal name '{}'", p.name),
            );
        }
        ck.finite(&format!("{path}.balance"), p.balance);

        let agent_names: Vec<String> = match &p.agents {
            Agents::Count(n) if *n <= 0 => {
                ck.problem(
                    format!("{path}.agents"),
                    format!("a portal with a queue needs at least one agent, got {n}"),
                );
                vec![]
            }
            Agents::Count(n) if *n > 1_000_000 => {
                ck.problem(
                    format!("{path}.agents"),
                    format!("at most 1000000 agents per portal, got {n}"),
                );
                vec![]
            }
            Agents::Count(n) if total_agents + n > MAX_TOTAL_AGENTS => {
                ck.problem(
                    format!("{path}.agents"),
                    format!("at most {MAX_TOTAL_AGENTS} agents over all portals, this portal brings the total to {}", total_agents + n),
                );
                vec![]
            }
            Agents::Count(n) => (1..=*n).map(|k| format!("agent-{k}")).collect(),
            Agents::Named(names) if total_agents + names.len() as i64 > MAX_TOTAL_AGENTS => {
                ck.problem(
                    format!("{path}.agents"),
                    format!("at most {MAX_TOTAL_AGENTS} agents over all portals, this portal brings the total to {}", total_agents + names.len() as i64),
                );
                vec![]
            }
            Agents::Named(names) => {
                if names.is_empty() {
                    ck.problem(
                        format!("{path}.agents"),
                        "a portal with a queue needs at least one agent, got an empty list",
                    );
                }
                let mut seen = HashSet::new();
                for (k, n) in names.iter().enumerate() {
                    if too_long(&mut ck, &format!("{path}.agents.{k}"), n) {
                    } else if n.trim().is_empty() {
                        ck.problem(format!("{path}.agents.{k}"), "agent name must not be empty");
                    } else if !seen.insert(n) {
                        ck.problem(
                            format!("{path}.agents.{k}"),
                            format!("duplicate agent name '{n}'"),
                        );
                    }
                }
                names.clone()
            }
        };

        total_agents += agent_names.len() as i64;

        let qp = format!("{path}.queue");
        let ring_time_s = ck.positive(&format!("{qp}.ring_time_s"), p.queue.ring_time_s);
        if ring_time_s > 0.0 && ring_time_s < MIN_STEP_S {
            // A ring round that takes no simulated time would repeat forever
            // at one instant.
            ck.problem(
                format!("{qp}.ring_time_s"),
                format!("must be at least {MIN_STEP_S} s, got {ring_time_s}"),
            );
        }
        let max_wait = p
            .queue
            .max_wait_s
            .map(|w| SimTime::from_secs_f64(ck.positive(&format!("{qp}.max_wait_s"), w)));
        let no_answer = match &p.queue.no_answer {
            NoAnswer::Voicemail => NoAnswerRule::Voicemail,
            NoAnswer::Hangup => NoAnswerRule::Hangup,
            // Checked with the portal's queues (validate_routing).
            NoAnswer::ToQueue(_) => NoAnswerRule::Hangup,
            NoAnswer::Forward(number) => {
                if number.len() > 64 {
                    ck.problem(
                        format!("{qp}.no_answer"),
                        format!(
                            "a forward number has at most 64 characters, got {}",
                            number.len()
                        ),
                    );
                } else if !number.chars().any(|c| c.is_ascii_digit()) {
                    ck.problem(
                        format!("{qp}.no_answer"),
                        format!("forward number '{number}' has no digits"),
                    );
                }
                NoAnswerRule::Forward(number.clone())
            }
        };

        let tp = format!("{path}.inbound");
        let arrivals = arrivals(&mut ck, &tp, &p.inbound.arrivals);
        let talk = ck.sampler(&format!("{tp}.talk_s"), &p.inbound.talk_s);
        let patience = p
            .inbound
            .patience_s
            .as_ref()
            .map(|d| ck.sampler(&format!("{tp}.patience_s"), d));

        let agp = format!("{path}.agent");
        let answer_prob = p.agent.answer_prob;
        if !(0.0..=1.0).contains(&answer_prob) {
            ck.problem(
                format!("{agp}.answer_prob"),
                format!("must be a probability in [0, 1], got {answer_prob}"),
            );
        } else if answer_prob == 0.0 && max_wait.is_none() && patience.is_none() {
            ck.problem(
                format!("{agp}.answer_prob"),
                "agents never answer and callers never leave: set queue.max_wait_s or inbound.patience_s",
            );
        }
        let answer_delay = ck.sampler(&format!("{agp}.answer_delay_s"), &p.agent.answer_delay_s);
        let wrapup = ck.sampler(&format!("{agp}.wrapup_s"), &p.agent.wrapup_s);

        let portal_servers = pick_servers(
            &mut ck,
            sc,
            &format!("{path}.server"),
            &p.server,
            ServerKind::Sip,
        );
        let media_servers = if sc.network.media == MediaPath::Relayed {
            pick_servers(
                &mut ck,
                sc,
                &format!("{path}.media_server"),
                &p.media_server,
                ServerKind::Media,
            )
        } else {
            if p.media_server.is_some() {
                ck.problem(
                    format!("{path}.media_server"),
                    "media flows directly (network.media: Direct): no media server is used",
                );
            }
            vec![]
        };
        let node = node_of(&mut ck, format!("{path}.node"), &p.node, true);
        let callers_node = match &p.callers_node {
            Some(_) => node_of(
                &mut ck,
                format!("{path}.callers_node"),
                &p.callers_node,
                false,
            ),
            None => node,
        };
        // Every server the portal may use must be reachable from both ends.
        if let (Some(t), Some(a), Some(c)) = (&topology, node, callers_node) {
            for &s in portal_servers.iter().chain(&media_servers) {
                if let Some(sn) = servers.get(s as usize).and_then(|x| x.node) {
                    for (end, what) in [(a, "node"), (c, "callers_node")] {
                        if !t.connected(t.name(end), t.name(sn)) {
                            ck.problem(
                                format!("{path}.{what}"),
                                format!(
                                    "server '{}' on node '{}' is unreachable from '{}' (no path in the topology)",
                                    servers[s as usize].name, t.name(sn), t.name(end)
                                ),
                            );
                        }
                    }
                }
            }
        }

        let mut agent_codecs = vec![p.codec; agent_names.len()];
        let agent_index: std::collections::HashMap<&str, usize> = if p.agent_codecs.is_empty() {
            Default::default()
        } else {
            agent_names
                .iter()
                .enumerate()
                .rev()
                .map(|(i, a)| (a.as_str(), i))
                .collect()
        };
        for (name, codec) in &p.agent_codecs {
            match agent_index.get(name.as_str()).copied() {
                Some(i) => agent_codecs[i] = *codec,
                None => ck.problem(
                    format!("{path}.agent_codecs"),
                    format!(
                        "unknown agent '{name}'{}",
                        suggest(name, "agents", agent_names.iter().map(String::as_str), '\'')
                    ),
                ),
            }
        }
        let country = super::validate_business::country_of(&mut ck, &path, p);
        let steps = super::validate_business::steps(&mut ck, &path, p, sc.start_weekday);
        let outbound = super::validate_business::outbound(&mut ck, &path, p, &country);
        let money = super::validate_business::money(&mut ck, &path, p);
        let transfers = super::validate_business::transfers(&mut ck, &path, p);
        let devices = super::validate_business::devices(
            &mut ck,
            &path,
            p,
            agent_names.len(),
            &portal_servers,
        );
        if let Some(n) = p.copies {
            if n == 0 || n > 100_000 {
                ck.problem(
                    format!("{path}.copies"),
                    format!("must be 1 to 100000, got {n}"),
                );
            }
        }
        let queues = super::validate_routing::queues(&mut ck, &path, p, &agent_names);
        let portal_first_agent = first_agent;
        first_agent += agent_names.len() as u32;
        portals.push(PortalSpec {
            name: p.name.clone(),
            currency: p.currency,
            balance: p.balance,
            agent_names,
            policy: p.queue.policy,
            ring_time: SimTime::from_secs_f64(ring_time_s),
            max_wait,
            no_answer,
            arrivals,
            talk,
            patience,
            patience_from: p.inbound.patience_from,
            answer_prob,
            answer_delay,
            wrapup,
            servers: portal_servers,
            media_servers,
            codec: p.codec,
            first_agent: portal_first_agent,
            agent_codecs,
            node,
            callers_node,
            stream: 0,
            steps,
            outbound,
            money,
            transfers,
            devices,
            queues,
        });
    }
    let portals = expand_copies(&mut ck, sc, portals);

    if topology.is_some()
        && sc.network.media == MediaPath::Relayed
        && !sc.servers.iter().any(|s| s.kind == ServerKind::Media)
    {
        ck.problem(
            "network.media",
            "relayed media needs a Media server (add Server(kind: Media, node: ..)) or set network.media: Direct",
        );
    }

    let controller = super::validate_business::controller(&mut ck, sc, duration_s);

    // Timed failures and recoveries
    let mut events = Vec::new();
    for (i, e) in sc.events.iter().enumerate() {
        let path = format!("events.{i}");
        let at_s = e.at_s();
        if !at_s.is_finite() || at_s < 0.0 || at_s > duration_s {
            ck.problem(
                format!("{path}.at_s"),
                format!("must be within [0, duration_s = {duration_s}], got {at_s}"),
            );
        }
        let at = SimTime::from_secs_f64(at_s);
        // A topology that could not be read was reported once, above; its
        // events are not reported again as lacking one.
        let topology_failed = sc.topology.is_some() && topology.is_none();
        let link = |ck: &mut Checker, a: &str, b: &str| match &topology {
            None if topology_failed => None,
            None => {
                ck.problem(&path, "link events need a topology");
                None
            }
            Some(t) => match (t.find_node(a), t.find_node(b)) {
                (Some(x), Some(y)) => match t.link_between(x, y) {
                    Some(l) => Some(l),
                    None => {
                        ck.problem(&path, format!("no link joins '{a}' and '{b}'"));
                        None
                    }
                },
                (x, _) => {
                    let (field, n) = if x.is_none() { ("a", a) } else { ("b", b) };
                    let names = t.nodes().map(|(_, nd)| nd.name.as_str());
                    ck.problem(
                        format!("{path}.{field}"),
                        format!("unknown node '{n}'{}", suggest(n, "nodes", names, '\'')),
                    );
                    None
                }
            },
        };
        let node = |ck: &mut Checker, n: &str| match &topology {
            None if topology_failed => None,
            None => {
                ck.problem(&path, "node events need a topology");
                None
            }
            Some(t) => t.find_node(n).or_else(|| {
                let names = t.nodes().map(|(_, nd)| nd.name.as_str());
                ck.problem(
                    format!("{path}.node"),
                    format!("unknown node '{n}'{}", suggest(n, "nodes", names, '\'')),
                );
                None
            }),
        };
        let server = |ck: &mut Checker, n: &str| match sc.servers.iter().position(|s| s.name == n) {
            Some(i) => Some(i as u16),
            None => {
                let names = sc.servers.iter().map(|s| s.name.as_str());
                ck.problem(
                    format!("{path}.server"),
                    format!("unknown server '{n}'{}", suggest(n, "servers", names, '\'')),
                );
                None
            }
        };
        let ev = match e {
            TimedEvent::FailLink { a, b, .. } => link(&mut ck, a, b).map(NetEvent::FailLink),
            TimedEvent::RecoverLink { a, b, .. } => link(&mut ck, a, b).map(NetEvent::RecoverLink),
            TimedEvent::FailNode { node: n, .. } => node(&mut ck, n).map(NetEvent::FailNode),
            TimedEvent::RecoverNode { node: n, .. } => node(&mut ck, n).map(NetEvent::RecoverNode),
            TimedEvent::FailServer { server: n, .. } => {
                server(&mut ck, n).map(NetEvent::FailServer)
            }
            TimedEvent::RecoverServer { server: n, .. } => {
                server(&mut ck, n).map(NetEvent::RecoverServer)
            }
        };
        if let Some(ev) = ev {
            events.push((at, ev));
        }
    }
    if sc.events.len() > u16::MAX as usize {
        ck.problem("events", "at most 65535 timed events");
    }
    // Stable: simultaneous events keep file order.
    events.sort_by_key(|(t, _)| *t);

    // Checks (against the portals after copies)
    let expanded_index: std::collections::HashMap<&str, usize> = portals
        .iter()
        .enumerate()
        .rev()
        .map(|(i, p)| (p.name.as_str(), i))
        .collect();
    let mut checks = Vec::new();
    for (i, c) in sc.checks.iter().enumerate() {
        let path = format!("checks.{i}");
        let scope = if c.scope == "platform" {
            Some(Scope::Platform)
        } else if let Some(&p) = expanded_index.get(c.scope.as_str()) {
            Some(Scope::Portal(p as u16))
        } else {
            ck.problem(
                format!("{path}.scope"),
                format!(
                    "unknown scope '{}'{}",
                    c.scope,
                    suggest(
                        &c.scope,
                        "scopes",
                        std::iter::once("platform").chain(portals.iter().map(|p| p.name.as_str())),
                        '\''
                    )
                ),
            );
            None
        };
        let metric = Metric::from_name(&c.metric);
        match metric {
            None => ck.problem(
                format!("{path}.metric"),
                format!(
                    "unknown metric '{}'{}",
                    c.metric,
                    suggest_upto(
                        &c.metric,
                        "metrics",
                        Metric::ALL.iter().map(|m| m.name()),
                        '\'',
                        usize::MAX
                    )
                ),
            ),
            Some(m) if matches!(scope, Some(Scope::Portal(_))) && !m.per_portal() => ck.problem(
                format!("{path}.metric"),
                format!("'{}' exists for the platform scope only", c.metric),
            ),
            _ => {}
        }
        let media_metric = matches!(
            metric,
            Some(
                Metric::MeanMos
                    | Metric::P5Mos
                    | Metric::MeanLossPct
                    | Metric::MeanPddMs
                    | Metric::MeanMediaGapS
            )
        );
        if media_metric && sc.topology.is_none() {
            ck.problem(
                format!("{path}.metric"),
                format!(
                    "'{}' is measured only on a topology (set topology: Some(\"...\"))",
                    c.metric
                ),
            );
        }
        if c.max.is_none() && c.min.is_none() {
            ck.problem(&path, "a check needs a max, a min, or both");
        }
        for (bound, v) in [("max", c.max), ("min", c.min)] {
            if let Some(v) = v {
                ck.finite(&format!("{path}.{bound}"), v);
            }
        }
        if let (Some(lo), Some(hi)) = (c.min, c.max) {
            if lo > hi {
                ck.problem(
                    &path,
                    format!("min ({lo}) is greater than max ({hi}): the check can never pass"),
                );
            }
        }
        if let (Some(scope), Some(metric)) = (scope, metric) {
            checks.push(CheckSpec {
                scope,
                scope_name: c.scope.clone(),
                metric,
                max: c.max,
                min: c.min,
            });
        }
    }

    if !ck.problems.is_empty() {
        return Err(ScenarioError::Invalid {
            file: loaded.file.clone(),
            problems: ck.problems,
            after_overrides: loaded.overridden,
        });
    }
    Ok(Model {
        name: sc.name.clone(),
        seed: sc.seed,
        replications: sc.replications,
        duration: SimTime::from_secs_f64(duration_s),
        warmup: SimTime::from_secs_f64(warmup_s),
        interval: SimTime::from_secs_f64(interval_s),
        service_level: SimTime::from_secs_f64(service_level_s),
        drain: SimTime::from_secs_f64(drain_s),
        servers,
        portals,
        checks,
        network: topology.map(|topology| NetworkSpec {
            topology,
            media: sc.network.media,
            media_model: sc.network.media_model,
            jitter_buffer_ms,
            detection: SimTime::from_secs_f64(detection_s),
            reconvergence: SimTime::from_secs_f64(reconvergence_s),
            drop_gap: SimTime::from_secs_f64(drop_gap_s),
            codec_kbps: crate::media::Codec::ALL
                .map(|c| crate::media::CodecCfg::new(c).ip_bandwidth_kbps().round() as u32),
        }),
        events,
        controller,
    })
}

/// Replaces each portal that has `copies: Some(n)` by n portals named
/// `name-1` … `name-n`, then numbers agents and random streams in the final
/// order: streams follow the portal's position, or the first portal with the
/// same `random_stream` key.
/// The arrival process at `tp` (`…inbound` or a line): rates checked and
/// bounded, in calls per second.
pub(super) fn arrivals(ck: &mut Checker, tp: &str, a: &Arrivals) -> ArrivalSpec {
    match a {
        Arrivals::Poisson { per_hour } => {
            let r = ck.non_negative(&format!("{tp}.arrivals.per_hour"), *per_hour);
            if r > MAX_PER_HOUR {
                ck.problem(
                    format!("{tp}.arrivals.per_hour"),
                    format!("at most {MAX_PER_HOUR:e} calls per hour per portal, got {r:e}"),
                );
            }
            ArrivalSpec::Poisson {
                per_s: r.max(0.0) / 3600.0,
            }
        }
        Arrivals::Profile { steps, scale } => {
            let ap = format!("{tp}.arrivals");
            let scale = ck.non_negative(&format!("{ap}.scale"), *scale);
            if steps.is_empty() {
                ck.problem(
                    format!("{ap}.steps"),
                    "needs at least one (hour, per_hour) step",
                );
            } else if steps[0].0 != 0.0 {
                ck.problem(
                    format!("{ap}.steps.0"),
                    "the first step must start at hour 0.0",
                );
            }
            let mut starts_s = Vec::new();
            let mut per_s = Vec::new();
            for (k, (hour, rate)) in steps.iter().enumerate() {
                let sp = format!("{ap}.steps.{k}");
                if !hour.is_finite() || *hour < 0.0 || *hour >= 24.0 {
                    ck.problem(&sp, format!("hour must be in [0, 24), got {hour}"));
                } else if k > 0 && *hour <= steps[k - 1].0 {
                    ck.problem(
                        &sp,
                        format!("hours must increase, {hour} follows {}", steps[k - 1].0),
                    );
                }
                let r = ck.non_negative(&sp, *rate);
                if r * scale > MAX_PER_HOUR {
                    ck.problem(&sp, format!("at most {MAX_PER_HOUR:e} calls per hour per portal (after scale), got {:e}", r * scale));
                }
                starts_s.push(hour * 3600.0);
                per_s.push(r.max(0.0) * scale.max(0.0) / 3600.0);
            }
            ArrivalSpec::Profile { starts_s, per_s }
        }
    }
}

fn expand_copies(ck: &mut Checker, sc: &Scenario, specs: Vec<PortalSpec>) -> Vec<PortalSpec> {
    // Copies multiply portals and agents: bound both before cloning anything.
    let (mut portals, mut agents) = (0u64, 0u64);
    for (spec, p) in specs.iter().zip(&sc.portals) {
        let n = u64::from(p.copies.unwrap_or(1).clamp(1, 100_000));
        portals += n;
        agents += n * spec.agent_names.len() as u64;
    }
    if portals + sc.servers.len() as u64 >= u64::from(u16::MAX) {
        ck.problem(
            "portals",
            format!("at most 65534 portals and servers together (copies included), got {portals} portals"),
        );
        return specs;
    }
    if agents > MAX_TOTAL_AGENTS as u64 {
        ck.problem(
            "portals",
            format!("at most {MAX_TOTAL_AGENTS} agents over all portals (copies included), got {agents}"),
        );
        return specs;
    }
    let mut out: Vec<PortalSpec> = Vec::with_capacity(portals as usize);
    let mut keys: Vec<Option<String>> = Vec::new();
    for (spec, p) in specs.into_iter().zip(&sc.portals) {
        match p.copies {
            Some(n) if n > 1 && n <= 100_000 => {
                for k in 1..=n {
                    let mut c = spec.clone();
                    c.name = format!("{}-{k}", spec.name);
                    out.push(c);
                    keys.push(p.random_stream.as_ref().map(|s| format!("{s}-{k}")));
                }
            }
            _ => {
                out.push(spec);
                keys.push(p.random_stream.clone());
            }
        }
    }
    let mut seen = HashSet::new();
    let mut first_agent = 0u32;
    let mut stream_of: std::collections::HashMap<String, u64> = Default::default();
    for (i, (spec, key)) in out.iter_mut().zip(&keys).enumerate() {
        if !seen.insert(spec.name.clone()) {
            ck.problem(
                "portals",
                format!("duplicate portal name '{}' (after copies)", spec.name),
            );
        }
        spec.first_agent = first_agent;
        first_agent = first_agent.saturating_add(spec.agent_names.len() as u32);
        let own = i as u64 + 1;
        spec.stream = match key {
            Some(k) => *stream_of.entry(k.clone()).or_insert(own),
            None => own,
        };
    }
    out
}

/// The servers of `kind` a portal may use: the one it names, or all of them.
fn pick_servers(
    ck: &mut Checker,
    sc: &Scenario,
    path: &str,
    named: &Option<String>,
    kind: ServerKind,
) -> Vec<u16> {
    match named {
        Some(name) => match sc.servers.iter().position(|s| &s.name == name) {
            Some(i) if sc.servers[i].kind == kind => vec![i as u16],
            Some(_) => {
                ck.problem(path, format!("server '{name}' is not a {kind:?} server"));
                vec![]
            }
            None => {
                let known: Vec<&str> = sc
                    .servers
                    .iter()
                    .filter(|s| s.kind == kind)
                    .map(|s| s.name.as_str())
                    .collect();
                let hint = if known.is_empty() {
                    format!(" (the scenario declares no {kind:?} servers)")
                } else {
                    suggest(name, &format!("{kind:?} servers"), known, '\'')
                };
                ck.problem(path, format!("unknown server '{name}'{hint}"));
                vec![]
            }
        },
        None => (0..sc.servers.len())
            .filter(|&i| sc.servers[i].kind == kind)
            .map(|i| i as u16)
            .collect(),
    }
}
