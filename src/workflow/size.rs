//! `telsim size`: how many agents (or channels) do we need?
//!
//! Start from the closed form — Erlang C for agents (M/M/c, DESIGN §3),
//! Erlang B for a server's `max_calls`, Erlang A when callers abandon with
//! exponential patience — then let the simulation decide: find the smallest
//! value whose 95% interval lies entirely on the right side of the target
//! (for `service_level>=0.8`, the interval's low end ≥ 0.8). The search
//! gallops away from the estimate (1, 2, 4… steps) until the target flips,
//! then bisects, so it needs a handful of runs even when patience, ring
//! time, wrap-up, policies or a daily profile move the answer far from the
//! formula. Every candidate runs with the scenario's seed (common random
//! numbers), which keeps the metric monotone in the staffing in practice.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};

use crate::model::{ArrivalSpec, Model, PortalSpec};
use crate::orchestrate::{self, RunOptions};
use crate::scenario::types::Policy;
use crate::scenario::Override;
use crate::theory;

use super::{fmt_num, json_num, json_str, render_table, WorkflowError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    AtLeast,
    AtMost,
}

/// `--target 'service_level>=0.8'`.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub metric: String,
    pub op: Op,
    pub value: f64,
}

impl FromStr for Target {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (metric, op, value) = if let Some((m, v)) = s.split_once(">=") {
            (m, Op::AtLeast, v)
        } else if let Some((m, v)) = s.split_once("<=") {
            (m, Op::AtMost, v)
        } else {
            return Err(format!(
                "'{s}' is not METRIC>=VALUE or METRIC<=VALUE (e.g. 'service_level>=0.8')"
            ));
        };
        let metric = metric.trim();
        if crate::stats::Metric::from_name(metric).is_none() {
            return Err(format!(
                "unknown metric '{metric}'; known: {}",
                crate::stats::Metric::names()
            ));
        }
        let value: f64 = value
            .trim()
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| format!("'{}' is not a number", value.trim()))?;
        let (lo, hi) = metric_range(metric);
        let unreachable = match op {
            Op::AtLeast => value > hi,
            Op::AtMost => value < lo,
        };
        if unreachable {
            let range = if hi.is_finite() {
                format!("between {} and {}", fmt_num(lo), fmt_num(hi))
            } else {
                format!("at least {}", fmt_num(lo))
            };
            return Err(format!(
                "'{s}' can never be met: {metric} is always {range}"
            ));
        }
        Ok(Target {
            metric: metric.to_string(),
            op,
            value,
        })
    }
}

/// The values a metric can take, so a target outside them is refused before
/// any run (sizing towards `service_level>=1.5` would gallop to `--max`).
fn metric_range(metric: &str) -> (f64, f64) {
    use crate::stats::Metric;
    match Metric::from_name(metric) {
        Some(
            Metric::PWait
            | Metric::ServiceLevel
            | Metric::AbandonRate
            | Metric::BlockingRate
            | Metric::AgentOccupancy
            | Metric::CacheHitRatio,
        ) => (0.0, 1.0),
        // ITU-T G.107: MOS from the R factor lies in [1, 4.5].
        Some(Metric::MeanMos | Metric::P5Mos) => (1.0, 4.5),
        Some(Metric::MeanLossPct) => (0.0, 100.0),
        _ => (0.0, f64::INFINITY),
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let op = match self.op {
            Op::AtLeast => ">=",
            Op::AtMost => "<=",
        };
        write!(f, "{}{op}{}", self.metric, fmt_num(self.value))
    }
}

impl Target {
    pub fn holds(&self, v: f64) -> bool {
        match self.op {
            Op::AtLeast => v >= self.value,
            Op::AtMost => v <= self.value,
        }
    }
}

/// What is being sized.
#[derive(Debug, Clone, PartialEq)]
pub enum Knob {
    /// The portal's agent count.
    Agents,
    /// A server's `max_calls` (channels).
    ServerCalls(String),
    /// Any other integer field, by `--set` path.
    Path(String),
}

impl Knob {
    pub fn parse(s: &str) -> Knob {
        if s == "agents" {
            return Knob::Agents;
        }
        if let Some(name) = s
            .strip_prefix("servers.")
            .and_then(|r| r.strip_suffix(".max_calls"))
        {
            return Knob::ServerCalls(name.to_string());
        }
        Knob::Path(s.to_string())
    }

    pub fn path(&self, portal: &str) -> String {
        match self {
            Knob::Agents => format!("portals.{portal}.agents"),
            Knob::ServerCalls(s) => format!("servers.{s}.max_calls"),
            Knob::Path(p) => p.clone(),
        }
    }

    fn noun(&self) -> &str {
        match self {
            Knob::Agents => "agents",
            Knob::ServerCalls(_) => "channels",
            Knob::Path(p) => p.rsplit('.').next().unwrap_or(p),
        }
    }
}

#[derive(Debug, Clone)]
pub struct SizeOptions {
    pub scenario: PathBuf,
    pub base: Vec<Override>,
    /// The portal whose metric is judged (and whose agents are sized).
    pub portal: Option<String>,
    pub target: Target,
    pub knob: Knob,
    pub jobs: usize,
    /// Candidates run into `out_dir/<value>/`.
    pub out_dir: Option<PathBuf>,
    /// Largest value tried before giving up.
    pub max: u32,
    /// A spinner on stderr naming the candidate being simulated.
    pub progress: bool,
    pub cancel: Arc<AtomicBool>,
}

/// The closed-form answer next to the simulated one.
#[derive(Debug, Clone)]
pub struct Estimate {
    pub formula: &'static str,
    pub value: u32,
    /// The formula's prediction of the target metric at `value`.
    pub predicted: f64,
    /// Offered load used, Erlangs.
    pub erlangs: f64,
}

/// One simulated candidate.
#[derive(Debug, Clone)]
pub struct Evaluation {
    pub value: u32,
    pub mean: Option<f64>,
    pub ci95: Option<(f64, f64)>,
    pub meets: bool,
    /// The portal's abandonment at this value: a target on waits or service
    /// level is easier to meet when callers give up, so it is shown beside.
    pub abandon_rate: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct SizeResult {
    pub portal: String,
    pub path: String,
    pub noun: String,
    pub target: Target,
    pub estimate: Option<Estimate>,
    /// The smallest value meeting the target in simulation.
    pub answer: u32,
    /// Every candidate simulated, by value.
    pub evaluations: Vec<Evaluation>,
    /// What in the scenario departs from the formula's assumptions.
    pub departures: Vec<String>,
}

/// The metric as the formula predicts it with `c` servers, offered load `a`
/// Erlangs and mean holding time `hold_s`; None for metrics it cannot speak
/// about.
fn erlang_c_metric(metric: &str, c: u32, a: f64, hold_s: f64, sl_s: f64) -> Option<f64> {
    if a >= c as f64 {
        // Unstable: waits grow without bound.
        return Some(match metric {
            "service_level" => 0.0,
            "p_wait" => 1.0,
            "agent_occupancy" => 1.0,
            _ => f64::INFINITY,
        });
    }
    let mu = 1.0 / hold_s;
    Some(match metric {
        "service_level" => 1.0 - theory::p_wait_longer(c, a, mu, sl_s),
        "p_wait" => theory::erlang_c(c, a),
        "asa_s" | "mean_wait_s" => theory::asa_s(c, a, mu),
        "p95_wait_s" => theory::wait_quantile_s(c, a, mu, 0.95),
        "agent_occupancy" => a / c as f64,
        _ => return None,
    })
}

/// The arrival rate the formula staffs for: the Poisson rate, or a daily
/// profile's peak (staffing for the mean would fail every peak).
fn design_rate_per_s(p: &PortalSpec) -> f64 {
    match &p.arrivals {
        ArrivalSpec::Poisson { per_s } => *per_s,
        ArrivalSpec::Profile { per_s, .. } => per_s.iter().cloned().fold(0.0, f64::max),
    }
}

/// The closed-form estimate for the knob and target, where one applies.
pub fn estimate(
    model: &Model,
    portal: &PortalSpec,
    knob: &Knob,
    target: &Target,
) -> Option<Estimate> {
    let hold_s = portal.talk.mean() + portal.wrapup.mean();
    let sl_s = model.service_level.as_secs_f64();
    let search = |f: &dyn Fn(u32) -> Option<f64>, start: u32| {
        (start.max(1)..start.max(1) + 100_000).find_map(|c| {
            let v = f(c)?;
            target.holds(v).then_some((c, v))
        })
    };
    match knob {
        Knob::Agents => {
            let a = design_rate_per_s(portal) * hold_s;
            if target.metric == "abandon_rate" {
                let patience = portal.patience.as_ref()?;
                if !patience.is_exponential() {
                    return None;
                }
                let lambda = design_rate_per_s(portal);
                let (c, v) = search(
                    &|c| Some(theory::erlang_a(c, lambda, 1.0 / hold_s, 1.0 / patience.mean()).0),
                    1,
                )?;
                return Some(Estimate {
                    formula: "Erlang A",
                    value: c,
                    predicted: v,
                    erlangs: a,
                });
            }
            let (c, v) = search(
                &|c| erlang_c_metric(&target.metric, c, a, hold_s, sl_s),
                a.floor() as u32,
            )?;
            Some(Estimate {
                formula: "Erlang C",
                value: c,
                predicted: v,
                erlangs: a,
            })
        }
        Knob::ServerCalls(server) => {
            if target.metric != "blocking_rate" {
                return None;
            }
            let s = model.servers.iter().position(|s| &s.name == server)? as u16;
            // Load on the server: portals pinned to it, or free to use any.
            let a: f64 = model
                .portals
                .iter()
                .filter(|p| p.servers.is_empty() || p.servers.contains(&s))
                .map(|p| design_rate_per_s(p) * p.talk.mean())
                .sum();
            let (c, v) = search(&|c| Some(theory::erlang_b(c, a)), 1)?;
            Some(Estimate {
                formula: "Erlang B",
                value: c,
                predicted: v,
                erlangs: a,
            })
        }
        Knob::Path(_) => None,
    }
}

/// What the scenario does that the formula does not model: the reasons a
/// simulated answer may differ.
pub fn departures(model: &Model, p: &PortalSpec, formula: &str) -> Vec<String> {
    let mut d = Vec::new();
    if let Some(pat) = &p.patience {
        if formula != "Erlang A" {
            d.push(format!(
                "callers hang up after {} s on average (Erlang C assumes they never do): those who give up leave the queue, shortening the waits of the rest, and service level counts answered calls only, so fewer agents meet the target at the price of the abandon_rate shown",
                fmt_num(pat.mean())
            ));
        }
    }
    if !p.answer_delay.is_zero() {
        d.push(format!(
            "agents take {} s on average to answer: each call holds an agent longer and the caller waits longer",
            fmt_num(p.answer_delay.mean())
        ));
    }
    if p.answer_prob < 1.0 {
        d.push(format!(
            "agents pick up only {}% of rings: a missed ring costs the caller ring_time_s = {} s",
            fmt_num(p.answer_prob * 100.0),
            fmt_num(p.ring_time.as_secs_f64())
        ));
    }
    let ringing_matters = !p.answer_delay.is_zero() || p.answer_prob < 1.0;
    if ringing_matters && p.policy == Policy::All {
        d.push("policy All rings every free agent at once: the quickest pick-up wins, so ringing costs less than one agent at a time".into());
    }
    if !p.wrapup.is_zero() {
        d.push(format!(
            "wrap-up of {} s after each call is counted in the estimate's holding time",
            fmt_num(p.wrapup.mean())
        ));
    }
    if let ArrivalSpec::Profile { .. } = p.arrivals {
        d.push(
            "arrivals follow a daily profile: the estimate staffs every hour for the peak rate; the simulation judges the whole day"
                .into(),
        );
    }
    if !p.talk.is_exponential() {
        d.push("talk time is not exponential".into());
    }
    if let Some(w) = p.max_wait {
        d.push(format!(
            "callers leave the queue after max_wait_s = {} s (no-answer rule)",
            fmt_num(w.as_secs_f64())
        ));
    }
    if model
        .servers
        .iter()
        .any(|s| s.max_calls.is_some() || s.max_cps.is_some())
        && formula != "Erlang B"
    {
        d.push("SIP servers limit concurrent calls or calls per second".into());
    }
    d
}

/// Finds the smallest knob value meeting the target.
pub fn size(opts: &SizeOptions) -> Result<SizeResult, WorkflowError> {
    let model = crate::load_model(&opts.scenario, &opts.base)?;
    let portal = match &opts.portal {
        Some(name) => model
            .portals
            .iter()
            .find(|p| &p.name == name)
            .ok_or_else(|| {
                WorkflowError::BadInput(format!(
                    "no portal '{name}' in the scenario (it has: {})",
                    model
                        .portals
                        .iter()
                        .map(|p| p.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?,
        None if model.portals.len() == 1 => &model.portals[0],
        None => {
            return Err(WorkflowError::BadInput(
                "the scenario has several portals: name one with --portal".into(),
            ))
        }
    }
    .clone();
    let path = opts.knob.path(&portal.name);
    let est = estimate(&model, &portal, &opts.knob, &opts.target);
    let current = match &opts.knob {
        Knob::Agents => portal.agent_names.len() as u32,
        Knob::ServerCalls(s) => model
            .servers
            .iter()
            .find(|x| &x.name == s)
            .and_then(|x| x.max_calls)
            .unwrap_or(1),
        Knob::Path(_) => 1,
    };
    let start = est.as_ref().map_or(current, |e| e.value).clamp(1, opts.max);

    let spinner = if opts.progress {
        let pb = ProgressBar::new_spinner();
        pb.set_style(
            ProgressStyle::with_template("{spinner} sizing {msg} ({elapsed})")
                .expect("valid template"),
        );
        pb.enable_steady_tick(std::time::Duration::from_millis(200));
        pb
    } else {
        ProgressBar::hidden()
    };
    let mut cache: BTreeMap<u32, Evaluation> = BTreeMap::new();
    let mut evaluate = |c: u32| -> Result<bool, WorkflowError> {
        if let Some(e) = cache.get(&c) {
            return Ok(e.meets);
        }
        spinner.set_message(format!("{path} = {c}"));
        let mut overrides = opts.base.clone();
        overrides.push(Override {
            path: path.clone(),
            value: c.to_string(),
        });
        let m = crate::load_model(&opts.scenario, &overrides)?;
        let out_dir = match &opts.out_dir {
            Some(d) => d.join(c.to_string()),
            None => std::env::temp_dir().join(format!("telsim-size-{}", std::process::id())),
        };
        let report = orchestrate::run(
            Arc::new(m),
            &RunOptions {
                trace: None,
                queue_log: false,
                jobs: opts.jobs,
                out_dir: out_dir.clone(),
                write_calls: false,
                progress: false,
                verbose: false,
                parquet: false,
                cancel: opts.cancel.clone(),
            },
        );
        if opts.out_dir.is_none() {
            let _ = std::fs::remove_dir_all(&out_dir);
        }
        let report = match report {
            Err(orchestrate::RunError::Interrupted(_)) => {
                return Err(WorkflowError::Interrupted(match &opts.out_dir {
                    Some(d) => format!(
                        "interrupted while running {path} = {c}: no answer; the candidates run \
                         so far are in {} ({c}/ holds *.partial.csv files and an INCOMPLETE note)",
                        d.display()
                    ),
                    None => format!("interrupted while running {path} = {c}: no answer"),
                }))
            }
            r => r?,
        };
        let row = report
            .summary
            .iter()
            .find(|r| r.scope == portal.name && r.metric.name() == opts.target.metric);
        let mean = row.and_then(|r| r.mean);
        let ci95 = row.and_then(|r| Some((r.ci95_low?, r.ci95_high?)));
        // The side of the interval that must clear the target; with one
        // replication there is no interval and the mean decides.
        let judged = match (opts.target.op, ci95) {
            (Op::AtLeast, Some((lo, _))) => Some(lo),
            (Op::AtMost, Some((_, hi))) => Some(hi),
            (_, None) => mean,
        };
        let meets = judged.is_some_and(|v| opts.target.holds(v));
        let abandon_rate = report
            .summary
            .iter()
            .find(|r| r.scope == portal.name && r.metric.name() == "abandon_rate")
            .and_then(|r| r.mean);
        cache.insert(
            c,
            Evaluation {
                value: c,
                mean,
                ci95,
                meets,
                abandon_rate,
            },
        );
        Ok(meets)
    };

    // Gallop from the estimate until the verdict flips, then bisect.
    let (mut lo, mut hi); // lo fails (0 = not tried), hi meets
    if evaluate(start)? {
        hi = start;
        lo = 0;
        let mut step = 1;
        while hi > 1 {
            let c = hi.saturating_sub(step).max(1);
            if evaluate(c)? {
                hi = c;
                step *= 2;
            } else {
                lo = c;
                break;
            }
        }
    } else {
        lo = start;
        let mut step = 1;
        loop {
            let c = lo.saturating_add(step).min(opts.max);
            if evaluate(c)? {
                hi = c;
                break;
            }
            if c >= opts.max {
                let best = cache.get(&c).map_or("no data".into(), value_ci);
                return Err(WorkflowError::BadInput(format!(
                    "{} is not met even with {path} = {} ({} = {best}): the target may be out of reach of this knob (raise --max if not)",
                    opts.target, opts.max, opts.target.metric
                )));
            }
            lo = c;
            step *= 2;
        }
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if evaluate(mid)? {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    spinner.finish_and_clear();
    let formula = est.as_ref().map_or("", |e| e.formula);
    let noun = opts.knob.noun().to_string();
    let mut departures = departures(&model, &portal, formula);
    if opts.knob != Knob::Agents {
        departures.retain(|d| !d.starts_with("wrap-up"));
    }
    Ok(SizeResult {
        portal: portal.name.clone(),
        path,
        noun,
        target: opts.target.clone(),
        estimate: est,
        answer: hi,
        evaluations: cache.into_values().collect(),
        departures,
    })
}

fn value_ci(e: &Evaluation) -> String {
    match (e.mean, e.ci95) {
        (Some(m), Some((lo, hi))) => format!("{} [{}, {}]", fmt_num(m), fmt_num(lo), fmt_num(hi)),
        (Some(m), None) => fmt_num(m),
        (None, _) => "no data".into(),
    }
}

/// What `telsim size` prints.
pub fn render_size(r: &SizeResult) -> String {
    use std::fmt::Write;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "portal {}: smallest {} with {} (95% CI entirely on the target's side)",
        r.portal, r.path, r.target
    );
    match &r.estimate {
        Some(e) => {
            let _ = writeln!(
                o,
                "  {:<10} {} {} (offered {} Erl; predicts {} = {})",
                format!("{}:", e.formula),
                e.value,
                r.noun,
                fmt_num(e.erlangs),
                r.target.metric,
                fmt_num(e.predicted)
            );
        }
        None => {
            let _ = writeln!(
                o,
                "  no closed form for this target: search started from the scenario's value"
            );
        }
    }
    let sim = r.evaluations.iter().find(|e| e.value == r.answer);
    let _ = writeln!(
        o,
        "  {:<10} {} {} ({} = {})",
        "simulated:",
        r.answer,
        r.noun,
        r.target.metric,
        sim.map_or("-".into(), value_ci)
    );
    // Abandonment beside the target's metric (unless it is the target).
    let beside = r.target.metric != "abandon_rate";
    let mut rows = vec![vec![
        r.noun.clone(),
        format!("{} [95% CI]", r.target.metric),
    ]];
    if beside {
        rows[0].push("abandon_rate".into());
    }
    rows[0].push("meets".into());
    for e in &r.evaluations {
        let mut row = vec![e.value.to_string(), value_ci(e)];
        if beside {
            row.push(e.abandon_rate.map_or("-".into(), fmt_num));
        }
        row.push(if e.meets { "yes" } else { "no" }.into());
        rows.push(row);
    }
    let _ = writeln!(o, "  candidates simulated:");
    for line in render_table(&rows, false).lines() {
        let _ = writeln!(o, "    {line}");
    }
    if let Some(e) = &r.estimate {
        let delta = r.answer as i64 - e.value as i64;
        if delta == 0 {
            let _ = writeln!(o, "  simulation agrees with {}.", e.formula);
        } else {
            let _ = writeln!(
                o,
                "  simulation needs {delta:+} {} against {}{}",
                r.noun,
                e.formula,
                if r.departures.is_empty() {
                    " (sampling noise at the boundary: the interval must clear the target)."
                } else {
                    ", because:"
                }
            );
        }
        for d in &r.departures {
            let _ = writeln!(o, "    - {d}");
        }
    }
    o
}

pub fn render_size_json(r: &SizeResult) -> String {
    let est = r.estimate.as_ref().map_or("null".into(), |e| {
        format!(
            "{{\"formula\":{},\"value\":{},\"predicted\":{},\"erlangs\":{}}}",
            json_str(e.formula),
            e.value,
            json_num(Some(e.predicted)),
            json_num(Some(e.erlangs))
        )
    });
    let evals: Vec<String> = r
        .evaluations
        .iter()
        .map(|e| {
            format!(
                "{{\"value\":{},\"mean\":{},\"ci95_low\":{},\"ci95_high\":{},\"meets\":{},\"abandon_rate\":{}}}",
                e.value,
                json_num(e.mean),
                json_num(e.ci95.map(|c| c.0)),
                json_num(e.ci95.map(|c| c.1)),
                e.meets,
                json_num(e.abandon_rate)
            )
        })
        .collect();
    let deps: Vec<String> = r.departures.iter().map(|d| json_str(d)).collect();
    format!(
        "{{\"portal\":{},\"path\":{},\"target\":{},\"estimate\":{est},\"answer\":{},\"evaluations\":[{}],\"departures\":[{}]}}\n",
        json_str(&r.portal),
        json_str(&r.path),
        json_str(&r.target.to_string()),
        r.answer,
        evals.join(","),
        deps.join(",")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse() {
        let t: Target = "service_level>=0.8".parse().unwrap();
        assert_eq!(
            (t.metric.as_str(), t.op, t.value),
            ("service_level", Op::AtLeast, 0.8)
        );
        let t: Target = " p95_wait_s <= 60 ".parse().unwrap();
        assert_eq!(t.op, Op::AtMost);
        for never in [
            "service_level>=1.5",
            "p_wait<=-0.1",
            "asa_s<=-1",
            "mean_mos>=4.6",
        ] {
            let e = never.parse::<Target>().unwrap_err();
            assert!(e.contains("can never be met"), "{never}: {e}");
        }
        assert!("service_level>=1".parse::<Target>().is_ok());
        assert!("p_wait<=0".parse::<Target>().is_ok());
        assert!("service_level=0.8".parse::<Target>().is_err());
        assert!("nope>=1"
            .parse::<Target>()
            .unwrap_err()
            .contains("unknown metric"));
        assert!("p_wait<=x"
            .parse::<Target>()
            .unwrap_err()
            .contains("not a number"));
    }

    #[test]
    fn erlang_c_estimate_of_the_shipped_scenario() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scenarios/erlang_c.ron"
        ))
        .unwrap();
        let model = crate::model_from_str(&text, "erlang_c.ron").unwrap();
        let p = &model.portals[0];
        let t: Target = "service_level>=0.8".parse().unwrap();
        let e = estimate(&model, p, &Knob::Agents, &t).unwrap();
        // 47.5 Erl, 20 s threshold, 100 s talk: SL(51) ≈ 0.744, SL(52) ≈ 0.830.
        let sl = |c| 1.0 - theory::p_wait_longer(c, 47.5, 0.01, 20.0);
        assert_eq!(e.value, 52);
        assert!(sl(e.value) >= 0.8 && sl(e.value - 1) < 0.8);
        assert!((e.predicted - 0.8303).abs() < 1e-4);
        assert_eq!(e.formula, "Erlang C");
        assert!(departures(&model, p, e.formula).is_empty());
        let t: Target = "blocking_rate<=0.01".parse().unwrap();
        assert!(estimate(&model, p, &Knob::Agents, &t).is_none());
    }

    #[test]
    fn knobs() {
        assert_eq!(Knob::parse("agents").path("acme"), "portals.acme.agents");
        assert_eq!(
            Knob::parse("servers.sip-1.max_calls"),
            Knob::ServerCalls("sip-1".into())
        );
    }
}
