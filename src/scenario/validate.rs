use std::collections::HashSet;

use crate::engine::{Sampler, SimTime};
use crate::model::{ArrivalSpec, CheckSpec, Model, NoAnswerRule, PortalSpec, Scope, ServerSpec};
use crate::stats::Metric;

use super::error::{Problem, ScenarioError};
use super::load::Loaded;
use super::ron_path::{line_col, resolve, scan, Node, Target};
use super::types::{Agents, Arrivals, Dist, NoAnswer, Scenario};

/// Shortest ring time and interval: simulated time has microsecond
/// resolution, and a step that rounds to zero would stall the clock.
const MIN_STEP_S: f64 = 0.001;

/// Highest arrival rate per portal (≈ 2 800 calls/s): beyond it calls would
/// arrive closer than the clock's resolution and the run would never end.
const MAX_PER_HOUR: f64 = 1e7;

/// Collects every problem rather than stopping at the first, so a user fixes
/// a file in one pass.
struct Checker<'a> {
    text: &'a str,
    root: Option<Node>,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn locate(&self, path: &str) -> Option<(usize, usize)> {
        let root = self.root.as_ref()?;
        let mut p = path;
        loop {
            match resolve(self.text, root, p) {
                Ok(Target::Value(n)) => return Some(line_col(self.text, n.start)),
                Ok(Target::MissingField { parent, .. }) => {
                    return Some(line_col(self.text, parent.start))
                }
                Err(_) => p = p.rsplit_once('.')?.0,
            }
        }
    }

    fn problem(&mut self, path: impl Into<String>, reason: impl Into<String>) {
        let path = path.into();
        let line_col = self.locate(&path);
        self.problems.push(Problem {
            path,
            line_col,
            reason: reason.into(),
        });
    }

    fn finite(&mut self, path: &str, v: f64) -> bool {
        if v.is_finite() {
            true
        } else {
            self.problem(path, format!("must be a finite number, got {v}"));
            false
        }
    }

    fn positive(&mut self, path: &str, v: f64) -> f64 {
        if self.finite(path, v) && v <= 0.0 {
            self.problem(path, format!("must be greater than zero, got {v}"));
        }
        v
    }

    fn non_negative(&mut self, path: &str, v: f64) -> f64 {
        if self.finite(path, v) && v < 0.0 {
            self.problem(path, format!("must not be negative, got {v}"));
        }
        v
    }

    fn sampler(&mut self, path: &str, d: &Dist) -> Sampler {
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
    let mut ck = Checker {
        text: &loaded.text,
        root: scan(&loaded.text).ok(),
        problems: vec![],
    };

    if sc.name.trim().is_empty() {
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
    if duration_s.is_finite() && duration_s > 10.0 * 365.0 * 86_400.0 {
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
    if sc.topology.is_some() {
        ck.problem(
            "topology",
            "network topologies are not modelled yet; set topology: None",
        );
    }

    // Servers
    let mut server_names = HashSet::new();
    let mut servers = Vec::new();
    for (i, s) in sc.servers.iter().enumerate() {
        let path = format!("servers.{i}");
        if s.name.trim().is_empty() {
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
        if s.node.is_some() {
            ck.problem(
                format!("{path}.node"),
                "placing a server on a node needs a topology, which is not modelled yet",
            );
        }
        servers.push(ServerSpec {
            name: s.name.clone(),
            max_calls: s.max_calls,
            max_cps: s.max_cps,
        });
    }
    if servers.len() > u16::MAX as usize {
        ck.problem("servers", "too many servers (at most 65535)");
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
    for (i, p) in sc.portals.iter().enumerate() {
        let key = if p.name.trim().is_empty()
            || sc.portals.iter().filter(|q| q.name == p.name).count() > 1
        {
            i.to_string()
        } else {
            p.name.clone()
        };
        let path = format!("portals.{key}");
        if p.name.trim().is_empty() {
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
            Agents::Count(n) => (1..=*n).map(|k| format!("agent-{k}")).collect(),
            Agents::Named(names) => {
                if names.is_empty() {
                    ck.problem(
                        format!("{path}.agents"),
                        "a portal with a queue needs at least one agent, got an empty list",
                    );
                }
                let mut seen = HashSet::new();
                for (k, n) in names.iter().enumerate() {
                    if n.trim().is_empty() {
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
            NoAnswer::Forward(number) => {
                if !number.chars().any(|c| c.is_ascii_digit()) {
                    ck.problem(
                        format!("{qp}.no_answer"),
                        format!("forward number '{number}' has no digits"),
                    );
                }
                NoAnswerRule::Forward(number.clone())
            }
        };

        let tp = format!("{path}.inbound");
        let arrivals = match &p.inbound.arrivals {
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
        };
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

        let portal_servers: Vec<u16> = match &p.server {
            Some(name) => match sc.servers.iter().position(|s| &s.name == name) {
                Some(s) => vec![s as u16],
                None => {
                    let known: Vec<&str> = sc.servers.iter().map(|s| s.name.as_str()).collect();
                    let hint = if known.is_empty() {
                        "the scenario declares no servers".to_string()
                    } else {
                        format!("known servers: {}", known.join(", "))
                    };
                    ck.problem(
                        format!("{path}.server"),
                        format!("unknown server '{name}' ({hint})"),
                    );
                    vec![]
                }
            },
            None => (0..servers.len() as u16).collect(),
        };

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
            answer_prob,
            answer_delay,
            wrapup,
            servers: portal_servers,
        });
    }

    // Checks
    let mut checks = Vec::new();
    for (i, c) in sc.checks.iter().enumerate() {
        let path = format!("checks.{i}");
        let scope = if c.scope == "platform" {
            Some(Scope::Platform)
        } else if let Some(p) = sc.portals.iter().position(|p| p.name == c.scope) {
            Some(Scope::Portal(p as u16))
        } else {
            ck.problem(
                format!("{path}.scope"),
                format!(
                    "unknown scope '{}': use \"platform\" or a portal name",
                    c.scope
                ),
            );
            None
        };
        let metric = Metric::from_name(&c.metric);
        match metric {
            None => ck.problem(
                format!("{path}.metric"),
                format!(
                    "unknown metric '{}'; known metrics: {}",
                    c.metric,
                    Metric::names()
                ),
            ),
            Some(m) if matches!(scope, Some(Scope::Portal(_))) && !m.per_portal() => ck.problem(
                format!("{path}.metric"),
                format!("'{}' exists for the platform scope only", c.metric),
            ),
            _ => {}
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
    })
}
