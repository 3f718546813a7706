//! Property tests of the platform model: random but valid scenarios are
//! written as RON text, parsed with `telsim::model_from_str`, run for one
//! replication with a `Vec<CallRecord>` sink, and the records and the
//! replication's metrics are checked against invariants that must hold for
//! every scenario (DESIGN §1, §4, §5).
//!
//! `PROPTEST_CASES=N` overrides the (deliberately modest) number of cases.

use std::collections::{BTreeMap, HashMap};
use std::ops::ControlFlow;

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use telsim::engine::{Sampler, SimTime};
use telsim::model::{
    run_replication, CallRecord, Model, NoAnswerRule, Outcome, Policy, ReplicationResult,
};
use telsim::stats::Metric;

// ---------------------------------------------------------------------------
// Scenario generation
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Dist {
    Const(f64),
    Exp(f64),
    Uniform(f64, f64),
    LogNormal(f64, f64),
    Gamma(f64, f64),
    Erlang(u32, f64),
    Weibull(f64, f64),
}

impl Dist {
    fn ron(&self) -> String {
        match self {
            Dist::Const(v) => format!("Const({v:?})"),
            Dist::Exp(m) => format!("Exp(mean: {m:?})"),
            Dist::Uniform(a, b) => format!("Uniform(min: {a:?}, max: {b:?})"),
            Dist::LogNormal(m, s) => format!("LogNormal(mean: {m:?}, sd: {s:?})"),
            Dist::Gamma(k, m) => format!("Gamma(shape: {k:?}, mean: {m:?})"),
            Dist::Erlang(k, m) => format!("Erlang(k: {k}, mean: {m:?})"),
            Dist::Weibull(k, s) => format!("Weibull(shape: {k:?}, scale: {s:?})"),
        }
    }
}

#[derive(Debug, Clone)]
enum ArrivalsGen {
    Poisson(f64),
    /// (hour, per_hour) steps, the first at hour 0; and a scale.
    Profile(Vec<(f64, f64)>, f64),
}

#[derive(Debug, Clone)]
struct ServerGen {
    max_calls: Option<u32>,
    max_cps: Option<u32>,
}

#[derive(Debug, Clone)]
struct PortalGen {
    agents: u32,
    named: bool,
    policy: &'static str,
    ring_time_s: f64,
    max_wait_s: Option<f64>,
    no_answer: &'static str,
    arrivals: ArrivalsGen,
    talk: Dist,
    patience: Option<Dist>,
    answer_prob: f64,
    answer_delay: Dist,
    wrapup: Dist,
    /// Index (modulo the number of servers) of the server this portal is
    /// pinned to, if any.
    server: Option<usize>,
}

#[derive(Debug, Clone)]
struct ScenarioGen {
    seed: u64,
    duration_s: f64,
    warmup_s: f64,
    interval_s: f64,
    service_level_s: f64,
    drain_s: Option<f64>,
    servers: Vec<ServerGen>,
    portals: Vec<PortalGen>,
}

impl ScenarioGen {
    fn ron(&self) -> String {
        let servers: Vec<String> = self
            .servers
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let opt = |v: Option<u32>| v.map_or("None".to_string(), |v| format!("Some({v})"));
                format!(
                    "Server(name: \"s{i}\", max_calls: {}, max_cps: {})",
                    opt(s.max_calls),
                    opt(s.max_cps)
                )
            })
            .collect();
        let portals: Vec<String> = self
            .portals
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let agents = if p.named {
                    let names: Vec<String> = (0..p.agents)
                        .map(|k| format!("\"p{i}-agent{k}\""))
                        .collect();
                    format!("[{}]", names.join(", "))
                } else {
                    p.agents.to_string()
                };
                let max_wait = p
                    .max_wait_s
                    .map_or("None".to_string(), |w| format!("Some({w:?})"));
                let arrivals = match &p.arrivals {
                    ArrivalsGen::Poisson(r) => format!("Poisson(per_hour: {r:?})"),
                    ArrivalsGen::Profile(steps, scale) => {
                        let s: Vec<String> = steps
                            .iter()
                            .map(|(h, r)| format!("({h:?}, {r:?})"))
                            .collect();
                        format!("Profile(steps: [{}], scale: {scale:?})", s.join(", "))
                    }
                };
                let patience = p
                    .patience
                    .as_ref()
                    .map_or("None".to_string(), |d| format!("Some({})", d.ron()));
                let server = match (p.server, self.servers.len()) {
                    (Some(s), n) if n > 0 => format!("Some(\"s{}\")", s % n),
                    _ => "None".to_string(),
                };
                format!(
                    "Portal(
            name: \"p{i}\",
            currency: EUR,
            balance: 1000.0,
            agents: {agents},
            queue: Queue(policy: {}, ring_time_s: {:?}, max_wait_s: {max_wait}, no_answer: {}),
            inbound: Traffic(arrivals: {arrivals}, talk_s: {}, patience_s: {patience}),
            agent: Agent(answer_prob: {:?}, answer_delay_s: {}, wrapup_s: {}),
            server: {server},
        )",
                    p.policy,
                    p.ring_time_s,
                    p.no_answer,
                    p.talk.ron(),
                    p.answer_prob,
                    p.answer_delay.ron(),
                    p.wrapup.ron(),
                )
            })
            .collect();
        let drain = self
            .drain_s
            .map_or("None".to_string(), |d| format!("Some({d:?})"));
        format!(
            "// generated by tests/properties.rs
Scenario(
    name: \"prop\",
    seed: {},
    replications: 1,
    duration_s: {:?},
    warmup_s: {:?},
    interval_s: {:?},
    service_level_s: {:?},
    drain_s: {drain},
    servers: [{}],
    portals: [
        {}
    ],
    checks: [],
)
",
            self.seed,
            self.duration_s,
            self.warmup_s,
            self.interval_s,
            self.service_level_s,
            servers.join(", "),
            portals.join(",\n        "),
        )
    }
}

/// Seconds with one decimal in `[lo, hi]`.
fn secs(lo: u32, hi: u32) -> impl Strategy<Value = f64> {
    (lo * 10..=hi * 10).prop_map(|x| x as f64 / 10.0)
}

/// A duration distribution with a mean in `[lo, hi]` seconds.
fn duration_dist(lo: u32, hi: u32) -> impl Strategy<Value = Dist> {
    prop_oneof![
        secs(lo, hi).prop_map(Dist::Const),
        secs(lo, hi).prop_map(Dist::Exp),
        (secs(0, lo), secs(lo, hi)).prop_map(|(a, b)| Dist::Uniform(a, a + b)),
        (secs(lo, hi), 1u32..=150).prop_map(|(m, cv)| Dist::LogNormal(m, m * cv as f64 / 100.0)),
        (1u32..=40, secs(lo, hi)).prop_map(|(k, m)| Dist::Gamma(k as f64 / 10.0, m)),
        (1u32..=4, secs(lo, hi)).prop_map(|(k, m)| Dist::Erlang(k, m)),
        (5u32..=30, secs(lo, hi)).prop_map(|(k, s)| Dist::Weibull(k as f64 / 10.0, s)),
    ]
}

/// Answer delays and wrap-up: often exactly zero or constant (so tests can
/// use the exact value), sometimes random.
fn short_dist(hi: u32) -> impl Strategy<Value = Dist> {
    prop_oneof![
        2 => Just(Dist::Const(0.0)),
        2 => secs(0, hi).prop_map(Dist::Const),
        1 => (secs(0, hi / 2), secs(0, hi / 2)).prop_map(|(a, b)| Dist::Uniform(a, a + b)),
        1 => secs(1, hi).prop_map(Dist::Exp),
    ]
}

fn arrivals() -> impl Strategy<Value = ArrivalsGen> {
    prop_oneof![
        (10u32..=300).prop_map(|r| ArrivalsGen::Poisson(r as f64)),
        (
            0u32..=300,
            prop::collection::btree_map(1u32..12, 0u32..=300, 0..4),
            prop_oneof![Just(1.0), Just(0.5), Just(2.0)],
        )
            .prop_map(|(first, rest, scale)| {
                let mut steps = vec![(0.0, first as f64)];
                steps.extend(rest.into_iter().map(|(h, r)| (h as f64 * 0.5, r as f64)));
                ArrivalsGen::Profile(steps, scale)
            }),
    ]
}

fn portal() -> impl Strategy<Value = PortalGen> {
    let queue = (
        1u32..=8,
        any::<bool>(),
        prop_oneof![Just("Evenly"), Just("Strictly"), Just("All")],
        secs(1, 20),
        prop::option::weighted(0.6, secs(5, 120)),
        prop_oneof![
            Just("Voicemail"),
            Just("Forward(\"+7 495 445 11 20\")"),
            Just("Hangup")
        ],
    );
    let traffic = (
        arrivals(),
        duration_dist(10, 300),
        prop::option::weighted(0.6, duration_dist(5, 200)),
    );
    let agent = (
        prop_oneof![1 => Just(1.0), 2 => (30u32..=100).prop_map(|p| p as f64 / 100.0)],
        short_dist(10),
        short_dist(30),
        prop::option::of(0usize..4),
    );
    (queue, traffic, agent).prop_map(
        |(
            (agents, named, policy, ring_time_s, max_wait_s, no_answer),
            (arrivals, talk, patience),
            (answer_prob, answer_delay, wrapup, server),
        )| PortalGen {
            agents,
            named,
            policy,
            ring_time_s,
            max_wait_s,
            no_answer,
            arrivals,
            talk,
            patience,
            answer_prob,
            answer_delay,
            wrapup,
            server,
        },
    )
}

fn server() -> impl Strategy<Value = ServerGen> {
    (prop::option::of(1u32..=20), prop::option::of(1u32..=5))
        .prop_map(|(max_calls, max_cps)| ServerGen { max_calls, max_cps })
}

fn scenario() -> impl Strategy<Value = ScenarioGen> {
    (
        any::<u64>(),
        2u32..=6,
        0u32..=60,
        prop_oneof![Just(600.0), Just(900.0), Just(1800.0), Just(3600.0)],
        secs(5, 60),
        prop::option::weighted(0.5, secs(60, 1800)),
        prop::collection::vec(server(), 0..=2),
        prop::collection::vec(portal(), 1..=3),
    )
        .prop_map(
            |(seed, hours, warmup_min, interval_s, service_level_s, drain_s, servers, portals)| {
                ScenarioGen {
                    seed,
                    duration_s: hours as f64 * 3600.0,
                    warmup_s: warmup_min as f64 * 60.0,
                    interval_s,
                    service_level_s,
                    drain_s,
                    servers,
                    portals,
                }
            },
        )
}

/// Scenarios whose callers never leave and whose agents always answer.
fn patient_scenario() -> impl Strategy<Value = ScenarioGen> {
    scenario().prop_map(|mut s| {
        for p in &mut s.portals {
            p.patience = None;
            p.max_wait_s = None;
            p.answer_prob = 1.0;
        }
        s
    })
}

fn config(default_cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_cases);
    ProptestConfig {
        cases,
        // Failures are reported with the generated RON text; no regression
        // files are written next to the sources.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------

fn model_of(s: &ScenarioGen) -> Result<(Model, String), TestCaseError> {
    let text = s.ron();
    match telsim::model_from_str(&text, "generated.ron") {
        Ok(m) => Ok((m, text)),
        Err(e) => Err(TestCaseError::fail(format!(
            "generated scenario rejected: {e}\n{text}"
        ))),
    }
}

fn replicate(model: &Model, rep: u32) -> (ReplicationResult, Vec<CallRecord>) {
    run_replication(model, rep, Vec::new(), |_| ControlFlow::Continue(()))
        .expect("never interrupted")
}

fn secs_of(t: SimTime) -> f64 {
    t.as_secs_f64()
}

fn const_value(s: &Sampler) -> Option<SimTime> {
    match s {
        Sampler::Const(v) => Some(SimTime::from_secs_f64(*v)),
        _ => None,
    }
}

/// First global agent index of each portal (agents are numbered portal by
/// portal, in file order).
fn agent_bases(model: &Model) -> Vec<u32> {
    let mut base = 0u32;
    model
        .portals
        .iter()
        .map(|p| {
            let b = base;
            base += p.agent_names.len() as u32;
            b
        })
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

// ---------------------------------------------------------------------------
// Invariants
// ---------------------------------------------------------------------------

/// Invariant 1: Conservation: every call id once; outcome counts add up; the summary
/// metrics agree with the records of calls that arrived after warm-up.
fn check_conservation(
    model: &Model,
    res: &ReplicationResult,
    recs: &[CallRecord],
) -> Result<(), TestCaseError> {
    prop_assert_eq!(
        recs.len() as u64,
        res.calls,
        "one record per generated call"
    );
    let mut ids: Vec<u64> = recs.iter().map(|r| r.call_id).collect();
    ids.sort_unstable();
    let expected: Vec<u64> = (0..res.calls).collect();
    prop_assert!(ids == expected, "call ids are not exactly 0..{}", res.calls);

    let np = model.portals.len();
    prop_assert_eq!(
        res.metrics.len(),
        1 + np,
        "one metric set for the platform and each portal"
    );
    for (s, values) in res.metrics.iter().enumerate() {
        let scope: Vec<&CallRecord> = recs
            .iter()
            .filter(|r| r.arrival >= model.warmup && (s == 0 || r.portal as usize == s - 1))
            .collect();
        let get = |m: Metric| values[m as usize];
        let count = |o: Outcome| scope.iter().filter(|r| r.outcome == o).count() as f64;
        let label = if s == 0 {
            "platform".to_string()
        } else {
            model.portals[s - 1].name.clone()
        };

        // offered = answered + abandoned + blocked + voicemail + forwarded + no_answer + unfinished
        let outcome_metrics = [
            (Outcome::Answered, Metric::Answered),
            (Outcome::Abandoned, Metric::Abandoned),
            (Outcome::Blocked, Metric::Blocked),
            (Outcome::Voicemail, Metric::Voicemail),
            (Outcome::Forwarded, Metric::Forwarded),
            (Outcome::NoAnswer, Metric::NoAnswer),
            (Outcome::Unfinished, Metric::Unfinished),
        ];
        prop_assert_eq!(
            get(Metric::Offered),
            Some(scope.len() as f64),
            "{}: offered",
            label
        );
        let mut sum = 0.0;
        for (o, m) in outcome_metrics {
            prop_assert_eq!(get(m), Some(count(o)), "{}: {}", label, m.name());
            sum += get(m).unwrap_or(f64::NAN);
        }
        prop_assert_eq!(
            get(Metric::Offered),
            Some(sum),
            "{}: offered ≠ sum of outcomes",
            label
        );

        let answered: Vec<&CallRecord> = scope
            .iter()
            .copied()
            .filter(|r| r.outcome == Outcome::Answered)
            .collect();
        let queued: Vec<SimTime> = scope.iter().filter_map(|r| r.wait).collect();
        let ratio = |num: f64, den: usize| (den > 0).then(|| num / den as f64);
        let expect_close = |m: Metric, want: Option<f64>| -> Result<(), TestCaseError> {
            let got = get(m);
            match (got, want) {
                (None, None) => Ok(()),
                (Some(g), Some(w)) if close(g, w) => Ok(()),
                _ => Err(TestCaseError::fail(format!(
                    "{label}: {} = {got:?}, records give {want:?}",
                    m.name()
                ))),
            }
        };
        let offered = scope.len();
        // Waiting in the line, not ringing: only calls that found no free
        // agent, and those reached the queue.
        prop_assert!(scope.iter().all(|r| !r.lined || r.wait.is_some()));
        expect_close(
            Metric::PWait,
            ratio(
                answered.iter().filter(|r| r.lined).count() as f64,
                answered.len(),
            ),
        )?;
        expect_close(
            Metric::AsaS,
            ratio(
                answered
                    .iter()
                    .map(|r| secs_of(r.wait.unwrap_or_default()))
                    .sum(),
                answered.len(),
            ),
        )?;
        expect_close(
            Metric::MeanWaitS,
            ratio(queued.iter().map(|w| secs_of(*w)).sum(), queued.len()),
        )?;
        expect_close(Metric::MaxWaitS, queued.iter().max().map(|w| secs_of(*w)))?;
        expect_close(
            Metric::ServiceLevel,
            ratio(
                answered
                    .iter()
                    .filter(|r| r.wait.unwrap_or_default() <= model.service_level)
                    .count() as f64,
                answered.len(),
            ),
        )?;
        expect_close(
            Metric::AbandonRate,
            ratio(count(Outcome::Abandoned), offered),
        )?;
        expect_close(
            Metric::BlockingRate,
            ratio(count(Outcome::Blocked), offered),
        )?;

        // p95 comes from an HDR histogram with 3 significant digits for the
        // platform, and for portals unless there are more than
        // FINE_WAIT_PORTALS of them (then 2; buckets of 1/1024 and 1/128
        // relative width): the nearest-rank 95th percentile, rounded up
        // within its bucket.
        let fine = s == 0 || model.portals.len() <= telsim::stats::FINE_WAIT_PORTALS;
        let bucket = if fine { 1.0 / 1024.0 } else { 1.0 / 128.0 };
        match get(Metric::P95WaitS) {
            None => prop_assert!(queued.is_empty(), "{}: p95_wait_s missing", label),
            Some(p95) => {
                let mut sorted = queued.clone();
                sorted.sort_unstable();
                let rank = ((0.95 * sorted.len() as f64).ceil() as usize).max(1);
                let exact = secs_of(sorted[rank - 1]);
                prop_assert!(
                    p95 >= exact - 1e-9 && p95 <= exact * (1.0 + bucket) + 2e-6,
                    "{}: p95_wait_s {} but the nearest-rank p95 of the records is {}",
                    label,
                    p95,
                    exact
                );
            }
        }
        if let Some(occ) = get(Metric::AgentOccupancy) {
            prop_assert!(
                (0.0..=1.0 + 1e-9).contains(&occ),
                "{}: agent_occupancy {}",
                label,
                occ
            );
        }
        for m in [Metric::MeanConcurrency, Metric::MeanQueue] {
            if let Some(v) = get(m) {
                prop_assert!(v >= 0.0 && v.is_finite(), "{}: {} = {}", label, m.name(), v);
            }
        }
    }
    prop_assert_eq!(
        res.metrics[0][Metric::Events as usize],
        Some(res.events as f64)
    );

    // Interval rows tile [0, end] for every scope, and every arrival is
    // counted in exactly one of them. They reach duration_s, and go on
    // through the drain while calls are still in the system: never past the
    // drain limit, and never stopping before the last call has ended.
    let scopes = 1 + np + model.servers.len();
    for s in 0..scopes {
        let rows: Vec<_> = res
            .intervals
            .iter()
            .filter(|r| r.scope as usize == s)
            .collect();
        let mut t = SimTime::ZERO;
        for r in &rows {
            prop_assert_eq!(r.start, t, "scope {}: intervals are not contiguous", s);
            prop_assert!(r.end > r.start);
            t = r.end;
        }
        prop_assert!(
            t >= model.duration && t <= model.duration + model.drain,
            "scope {}: intervals end at {:?}, outside [duration, drain limit]",
            s,
            t
        );
        let last_end = recs.iter().map(|r| r.end).max().unwrap_or(SimTime::ZERO);
        prop_assert!(
            t >= last_end.min(model.duration + model.drain)
                || recs.iter().any(|r| r.outcome == Outcome::Failed),
            "scope {}: intervals end at {:?} before the last call ({:?})",
            s,
            t,
            last_end
        );
        let in_scope = |r: &CallRecord| {
            if s == 0 {
                true
            } else if s <= np {
                r.portal as usize == s - 1
            } else {
                r.server == Some((s - 1 - np) as u16)
            }
        };
        let scope_recs: Vec<&CallRecord> = recs.iter().filter(|r| in_scope(r)).collect();
        if s <= np {
            let offered: u64 = rows.iter().map(|r| r.counters.offered as u64).sum();
            prop_assert_eq!(
                offered,
                scope_recs.len() as u64,
                "scope {}: interval offered counts",
                s
            );
        }
        // Each row counts what happened inside it: arrivals by arrival time,
        // answers by answer time, outcomes by end time. Events exactly on a
        // boundary may fall on either side.
        for row in &rows {
            let (a, b) = (row.start, row.end);
            let bounds = |f: &dyn Fn(&CallRecord) -> Option<(SimTime, u64)>| {
                let (mut lo, mut hi) = (0u64, 0u64);
                for r in &scope_recs {
                    if let Some((t, v)) = f(r) {
                        if a < t && t < b || (t == SimTime::ZERO && a == SimTime::ZERO) {
                            lo += v;
                        }
                        if a <= t && t <= b {
                            hi += v;
                        }
                    }
                }
                (lo, hi)
            };
            let c = &row.counters;
            let check = |what: &str, got: u64, (lo, hi): (u64, u64)| {
                if got < lo || got > hi {
                    Err(TestCaseError::fail(format!(
                        "scope {s}, interval [{a}, {b}): {what} = {got}, records give {lo}..={hi}"
                    )))
                } else {
                    Ok(())
                }
            };
            if s <= np {
                check(
                    "offered",
                    c.offered as u64,
                    bounds(&|r| Some((r.arrival, 1))),
                )?;
                check(
                    "answered_now",
                    c.answered_now as u64,
                    bounds(&|r| r.answer.map(|t| (t, 1))),
                )?;
                check(
                    "answered_within_sl",
                    c.answered_within_sl as u64,
                    bounds(&|r| {
                        r.answer
                            .filter(|_| r.wait.unwrap() <= model.service_level)
                            .map(|t| (t, 1))
                    }),
                )?;
                check(
                    "wait_answered_us",
                    c.wait_answered_us,
                    bounds(&|r| r.answer.map(|t| (t, r.wait.unwrap().micros()))),
                )?;
            }
            for o in Outcome::ALL {
                check(
                    o.as_str(),
                    c.outcome(o) as u64,
                    bounds(&|r| (r.outcome == o).then_some((r.end, 1))),
                )?;
            }
        }
    }
    Ok(())
}

/// Invariant 2: No agent is on two calls at once, and wrap-up separates their calls.
fn check_agents(model: &Model, recs: &[CallRecord]) -> Result<(), TestCaseError> {
    let bases = agent_bases(model);
    let mut by_agent: BTreeMap<u32, Vec<&CallRecord>> = BTreeMap::new();
    for r in recs {
        let Some(a) = r.agent else { continue };
        let p = r.portal as usize;
        let n = model.portals[p].agent_names.len() as u32;
        prop_assert!(
            a >= bases[p] && a < bases[p] + n,
            "call {} of portal {} taken by agent {} of another portal",
            r.call_id,
            p,
            a
        );
        by_agent.entry(a).or_default().push(r);
    }
    for (agent, mut calls) in by_agent {
        calls.sort_by_key(|r| (r.answer, r.call_id));
        let p = calls[0].portal as usize;
        let wrapup = const_value(&model.portals[p].wrapup).unwrap_or(SimTime::ZERO);
        for w in calls.windows(2) {
            let (prev, next) = (w[0], w[1]);
            prop_assert!(
                prev.outcome == Outcome::Answered,
                "agent {}: call {} ({:?}) is followed by call {}",
                agent,
                prev.call_id,
                prev.outcome,
                next.call_id
            );
            let free_at = prev.end + wrapup;
            prop_assert!(
                next.answer.unwrap() >= free_at,
                "agent {} answered call {} at {} while busy with call {} [{} s, {} s) + wrap-up {} s",
                agent,
                next.call_id,
                next.answer.unwrap(),
                prev.call_id,
                prev.answer.unwrap(),
                prev.end,
                wrapup
            );
        }
    }
    Ok(())
}

/// Invariant 3: Causality and per-record consistency, and outcomes the portal's rules
/// allow.
fn check_causality(model: &Model, recs: &[CallRecord]) -> Result<(), TestCaseError> {
    let drain_limit = model.duration + model.drain;
    for r in recs {
        let p = &model.portals[r.portal as usize];
        let id = r.call_id;
        prop_assert!(
            r.arrival < model.duration,
            "call {} arrived after the end of arrivals",
            id
        );
        prop_assert!(
            r.arrival <= r.end && r.end <= drain_limit,
            "call {}: arrival {} end {}",
            id,
            r.arrival,
            r.end
        );
        if let Some(a) = r.answer {
            prop_assert!(
                r.arrival <= a && a <= r.end,
                "call {}: arrival {} answer {} end {}",
                id,
                r.arrival,
                a,
                r.end
            );
            prop_assert!(r.agent.is_some(), "call {}: answered without an agent", id);
            prop_assert_eq!(
                r.wait,
                Some(a - r.arrival),
                "call {}: wait ≠ answer - arrival",
                id
            );
            prop_assert_eq!(r.talk(), Some(r.end - a));
        } else {
            prop_assert!(r.agent.is_none(), "call {}: an agent but no answer", id);
            prop_assert!(r.talk().is_none());
        }
        match r.outcome {
            Outcome::Answered => {
                prop_assert!(
                    r.answer.is_some(),
                    "call {}: answered without answer time",
                    id
                );
                if let Some(talk) = const_value(&p.talk) {
                    prop_assert_eq!(r.talk(), Some(talk), "call {}: constant talk time", id);
                }
                // The answering agent was rung at or after the arrival and
                // picked up after the (constant) answer delay.
                if let Some(delay) = const_value(&p.answer_delay) {
                    prop_assert!(
                        r.wait.unwrap() >= delay,
                        "call {} answered before the answer delay",
                        id
                    );
                }
            }
            Outcome::Blocked => {
                prop_assert!(
                    !model.servers.is_empty(),
                    "call {} blocked without any server",
                    id
                );
                prop_assert!(r.wait.is_none(), "blocked call {} has a wait", id);
                prop_assert!(
                    r.answer.is_none() && r.agent.is_none() && r.server.is_none(),
                    "blocked call {}",
                    id
                );
                prop_assert_eq!(r.end, r.arrival, "blocked call {} lasted", id);
            }
            Outcome::Unfinished => {
                prop_assert_eq!(
                    r.end,
                    drain_limit,
                    "unfinished call {} not closed at the drain limit",
                    id
                );
                if r.answer.is_none() {
                    prop_assert_eq!(
                        r.wait,
                        Some(r.end - r.arrival),
                        "unfinished call {}: wait",
                        id
                    );
                }
            }
            Outcome::Dropped
            | Outcome::Failed
            | Outcome::RejectedBalance
            | Outcome::Blacklisted
            | Outcome::AfterHours
            | Outcome::CreditEnded => {
                // Only failures, signalling over a topology, money and
                // scenario steps produce these, and the generated scenarios
                // have none of them.
                prop_assert!(
                    false,
                    "call {} {:?} without failures or a topology",
                    id,
                    r.outcome
                );
            }
            Outcome::Abandoned | Outcome::Voicemail | Outcome::Forwarded | Outcome::NoAnswer => {
                prop_assert!(
                    r.answer.is_none(),
                    "call {} {:?} but answered",
                    id,
                    r.outcome
                );
                prop_assert_eq!(
                    r.wait,
                    Some(r.end - r.arrival),
                    "call {} {:?}: wait ≠ end - arrival",
                    id,
                    r.outcome
                );
                match r.outcome {
                    Outcome::Abandoned => prop_assert!(
                        p.patience.is_some(),
                        "call {} abandoned without patience",
                        id
                    ),
                    o => {
                        let rule = match o {
                            Outcome::Voicemail => NoAnswerRule::Voicemail,
                            Outcome::NoAnswer => NoAnswerRule::Hangup,
                            _ => NoAnswerRule::Forward(String::new()),
                        };
                        prop_assert!(p.max_wait.is_some(), "call {} {:?} without max_wait", id, o);
                        prop_assert_eq!(
                            std::mem::discriminant(&p.no_answer),
                            std::mem::discriminant(&rule),
                            "call {} {:?} under rule {:?}",
                            id,
                            o,
                            p.no_answer
                        );
                        // The queue gives up exactly at max_wait (unless the
                        // caller's patience ran out first, which is `abandoned`).
                        prop_assert_eq!(r.wait, p.max_wait, "call {} left the queue early", id);
                    }
                }
            }
        }
        if let (Some(w), Some(max)) = (r.wait, p.max_wait) {
            prop_assert!(
                w <= max,
                "call {} ({:?}) waited {} s > max_wait {} s",
                id,
                r.outcome,
                w,
                max
            );
        }
        // Servers: unlimited platforms carry no server; otherwise every
        // admitted call sits on one of the portal's servers.
        if model.servers.is_empty() {
            prop_assert!(r.server.is_none());
        } else if r.outcome != Outcome::Blocked {
            let s = r.server;
            prop_assert!(
                s.is_some_and(|s| p.servers.contains(&s)),
                "call {} of portal {} on server {:?}, allowed {:?}",
                id,
                p.name,
                s,
                p.servers
            );
        }
    }
    Ok(())
}

/// Portals whose agents always answer after a constant delay shorter than the
/// ring time serve calls in arrival order (FIFO), and, when that delay is zero,
/// never leave a call waiting while an agent is idle.
fn check_queue_discipline(model: &Model, recs: &[CallRecord]) -> Result<(), TestCaseError> {
    let bases = agent_bases(model);
    for (pi, p) in model.portals.iter().enumerate() {
        let (Some(delay), Some(wrapup)) = (const_value(&p.answer_delay), const_value(&p.wrapup))
        else {
            continue;
        };
        if p.answer_prob < 1.0 || delay >= p.ring_time {
            continue;
        }
        let mut calls: Vec<&CallRecord> = recs.iter().filter(|r| r.portal as usize == pi).collect();
        calls.sort_by_key(|r| r.call_id);
        let answered: Vec<&CallRecord> = calls
            .iter()
            .copied()
            .filter(|r| r.answer.is_some())
            .collect();
        for w in answered.windows(2) {
            prop_assert!(
                w[0].answer <= w[1].answer,
                "portal {}: call {} (arrived {}) answered at {} after call {} (arrived {}) at {}",
                p.name,
                w[0].call_id,
                w[0].arrival,
                w[0].answer.unwrap(),
                w[1].call_id,
                w[1].arrival,
                w[1].answer.unwrap()
            );
        }
        if delay != SimTime::ZERO {
            continue;
        }
        // Busy intervals, closed at both ends (generous at exact ties).
        let busy: Vec<(u32, SimTime, SimTime)> = answered
            .iter()
            .map(|r| (r.agent.unwrap(), r.answer.unwrap(), r.end + wrapup))
            .collect();
        let n_agents = p.agent_names.len();
        let busy_at = |t: SimTime, except: u64| -> Vec<u32> {
            let mut a: Vec<u32> = answered
                .iter()
                .zip(&busy)
                .filter(|(r, (_, s, e))| r.call_id != except && *s <= t && t <= *e)
                .map(|(_, (a, _, _))| *a)
                .collect();
            a.sort_unstable();
            a.dedup();
            a
        };
        for r in calls
            .iter()
            .filter(|r| r.wait.is_some_and(|w| w > SimTime::ZERO))
        {
            let busy_agents = busy_at(r.arrival, r.call_id);
            prop_assert!(
                busy_agents.len() >= n_agents,
                "portal {}: call {} waited {} s though only agents {:?} of {} were busy at its arrival {}",
                p.name,
                r.call_id,
                r.wait.unwrap(),
                busy_agents,
                n_agents,
                r.arrival
            );
        }
        if p.policy == Policy::Strictly {
            // Strictly: the lowest-listed free agent takes the call.
            for r in &answered {
                let t = r.answer.unwrap();
                let local = r.agent.unwrap() - bases[pi];
                let busy_agents = busy_at(t, r.call_id);
                for j in 0..local {
                    prop_assert!(
                        busy_agents.contains(&(bases[pi] + j)),
                        "portal {} (Strictly): call {} went to agent #{} at {} while agent #{} was free",
                        p.name,
                        r.call_id,
                        local,
                        t,
                        j
                    );
                }
            }
        }
        if p.policy == Policy::Evenly {
            // Evenly: round-robin with memory, the search starts after the
            // agent who took the previous call. Skipped at exact ties, where
            // the order of the two answers is not visible in the records.
            let n = p.agent_names.len() as u32;
            let mut by_answer: Vec<&CallRecord> = answered.clone();
            by_answer.sort_by_key(|r| (r.answer, r.call_id));
            for w in by_answer.windows(2) {
                let (prev, r) = (w[0], w[1]);
                let t = r.answer.unwrap();
                if prev.answer.unwrap() == t {
                    continue;
                }
                let start = (prev.agent.unwrap() - bases[pi] + 1) % n;
                let local = r.agent.unwrap() - bases[pi];
                let busy_agents = busy_at(t, r.call_id);
                let mut j = start;
                while j != local {
                    prop_assert!(
                        busy_agents.contains(&(bases[pi] + j)),
                        "portal {} (Evenly): call {} went to agent #{} at {} while agent #{} (next after #{}) was free",
                        p.name,
                        r.call_id,
                        local,
                        t,
                        j,
                        prev.agent.unwrap() - bases[pi]
                    );
                    j = (j + 1) % n;
                }
            }
        }
    }
    Ok(())
}

/// Invariant 4: Servers never carry more than `max_calls`, never admit more than
/// `max_cps` calls in a one-second window, and block a call only when every
/// server it may use is at one of its limits.
fn check_servers(model: &Model, recs: &[CallRecord]) -> Result<(), TestCaseError> {
    for (si, spec) in model.servers.iter().enumerate() {
        let s = si as u16;
        let admitted: Vec<&CallRecord> = recs.iter().filter(|r| r.server == Some(s)).collect();
        // Concurrency sweep: ends before starts at equal times, except for
        // zero-length calls whose end follows their own start.
        if let Some(cap) = spec.max_calls {
            let mut ev: Vec<(SimTime, u8, i32)> = Vec::with_capacity(2 * admitted.len());
            for r in &admitted {
                ev.push((r.arrival, 1, 1));
                ev.push((r.end, if r.end == r.arrival { 2 } else { 0 }, -1));
            }
            ev.sort_unstable();
            let mut active = 0i32;
            for (t, _, d) in ev {
                active += d;
                prop_assert!(
                    active <= cap as i32,
                    "server {} carries {} calls at {} (max_calls {})",
                    spec.name,
                    active,
                    t,
                    cap
                );
            }
        }
        if let Some(cps) = spec.max_cps {
            let mut per_second: HashMap<u64, u32> = HashMap::new();
            for r in &admitted {
                *per_second
                    .entry(r.arrival.micros() / SimTime::MICROS_PER_S)
                    .or_default() += 1;
            }
            for (sec, n) in per_second {
                prop_assert!(
                    n <= cps,
                    "server {} admitted {} calls in [{}, {}) s (max_cps {})",
                    spec.name,
                    n,
                    sec,
                    sec + 1,
                    cps
                );
            }
        }
    }

    // Blocking is justified: at a blocked call's arrival every server the
    // portal may use was full or had used up its one-second budget. Upper
    // bounds throughout (calls starting or ending at the very same instant
    // count as present), so ties never cause a false alarm.
    if recs.iter().any(|r| r.outcome == Outcome::Blocked) {
        let ns = model.servers.len();
        let mut admitted_at: Vec<Vec<SimTime>> = vec![Vec::new(); ns];
        let mut ends_at: Vec<Vec<SimTime>> = vec![Vec::new(); ns];
        for r in recs {
            if let Some(s) = r.server {
                admitted_at[s as usize].push(r.arrival);
                ends_at[s as usize].push(r.end);
            }
        }
        for v in admitted_at.iter_mut().chain(ends_at.iter_mut()) {
            v.sort_unstable();
        }
        for r in recs.iter().filter(|r| r.outcome == Outcome::Blocked) {
            let t = r.arrival;
            let p = &model.portals[r.portal as usize];
            for &s in &p.servers {
                let spec = &model.servers[s as usize];
                let si = s as usize;
                let started = admitted_at[si].partition_point(|&a| a <= t);
                let ended = ends_at[si].partition_point(|&e| e < t);
                let active_max = started - ended;
                let sec_start = SimTime(t.micros() / SimTime::MICROS_PER_S * SimTime::MICROS_PER_S);
                let in_second = started - admitted_at[si].partition_point(|&a| a < sec_start);
                let full = spec.max_calls.is_some_and(|c| active_max >= c as usize);
                let rate_limited = spec.max_cps.is_some_and(|c| in_second >= c as usize);
                prop_assert!(
                    full || rate_limited,
                    "call {} blocked at {} though server {} had ≤ {} active calls (max {:?}) and ≤ {} admitted this second (max_cps {:?})",
                    r.call_id,
                    t,
                    spec.name,
                    active_max,
                    spec.max_calls,
                    in_second,
                    spec.max_cps
                );
            }
        }
    }
    Ok(())
}

fn check_all(
    model: &Model,
    text: &str,
) -> Result<(ReplicationResult, Vec<CallRecord>), TestCaseError> {
    let (res, recs) = replicate(model, 0);
    let checks = [
        check_conservation(model, &res, &recs),
        check_agents(model, &recs),
        check_causality(model, &recs),
        check_servers(model, &recs),
        check_queue_discipline(model, &recs),
    ];
    for c in checks {
        if let Err(e) = c {
            return Err(TestCaseError::fail(format!("{e}\nscenario:\n{text}")));
        }
    }
    Ok((res, recs))
}

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(64))]

    /// Invariants 1-4 (conservation and metrics, agents, causality, servers)
    /// plus queue discipline, on arbitrary valid scenarios.
    #[test]
    fn invariants_hold_for_random_scenarios(s in scenario()) {
        let (model, text) = model_of(&s)?;
        check_all(&model, &text)?;
    }
}

proptest! {
    #![proptest_config(config(48))]

    /// Invariant 5: Without patience and without a queue limit, and with agents who
    /// always answer, nobody leaves unanswered: only answered, blocked (a
    /// server limit) or unfinished (still there at the drain limit).
    #[test]
    fn patient_callers_never_abandon(s in patient_scenario()) {
        let (model, text) = model_of(&s)?;
        let (_, recs) = check_all(&model, &text)?;
        for r in &recs {
            prop_assert!(
                matches!(r.outcome, Outcome::Answered | Outcome::Blocked | Outcome::Unfinished),
                "call {} ended {:?}\n{}", r.call_id, r.outcome, text
            );
        }
        if model.servers.is_empty() {
            prop_assert!(recs.iter().all(|r| r.outcome != Outcome::Blocked));
        }
    }
}

proptest! {
    #![proptest_config(config(32))]

    /// Invariant 6: The same model and replication give identical records and results;
    /// another replication index gives different records.
    #[test]
    fn replications_are_deterministic_and_distinct(s in scenario()) {
        let (model, text) = model_of(&s)?;
        let (res_a, recs_a) = replicate(&model, 3);
        let (res_b, recs_b) = replicate(&model, 3);
        prop_assert!(recs_a == recs_b, "same replication, different records\n{}", text);
        prop_assert_eq!(&res_a.metrics, &res_b.metrics);
        prop_assert_eq!(res_a.events, res_b.events);
        prop_assert_eq!(res_a.intervals.len(), res_b.intervals.len());

        // Parsing the text again gives a model that behaves the same.
        let (model2, _) = model_of(&s)?;
        let (_, recs_c) = replicate(&model2, 3);
        prop_assert!(recs_a == recs_c, "re-parsed model, different records\n{}", text);

        let (_, recs_other) = replicate(&model, 4);
        if recs_a.len().max(recs_other.len()) >= 5 {
            prop_assert!(recs_a != recs_other, "replications 3 and 4 are identical\n{}", text);
        }
    }
}

// ---------------------------------------------------------------------------
// Targeted cases (fixed scenarios for edge cases the generator avoids)
// ---------------------------------------------------------------------------

fn run_text(text: &str) -> (Model, ReplicationResult, Vec<CallRecord>) {
    let model = telsim::model_from_str(text, "fixed.ron").expect("valid scenario");
    let (res, recs) = replicate(&model, 0);
    (model, res, recs)
}

/// A textbook run: every invariant above holds on a busy M/M/c queue with a
/// capacity-limited server and a CPS limit that both bite.
#[test]
fn limits_that_bite_keep_the_invariants() {
    let text = r#"Scenario(
        name: "busy", seed: 11, duration_s: 7200.0, warmup_s: 600.0,
        servers: [Server(name: "a", max_calls: Some(4), max_cps: Some(1)), Server(name: "b", max_calls: Some(2), max_cps: None)],
        portals: [
            Portal(name: "x", agents: 3, queue: Queue(policy: Strictly, ring_time_s: 5.0, max_wait_s: Some(30.0), no_answer: Hangup),
                inbound: Traffic(arrivals: Poisson(per_hour: 400.0), talk_s: Exp(mean: 60.0), patience_s: Some(Exp(mean: 20.0))),
                agent: Agent(answer_prob: 0.7, answer_delay_s: Uniform(min: 0.5, max: 6.0), wrapup_s: Const(4.0))),
            Portal(name: "y", agents: ["ann", "bob"], server: Some("b"), queue: Queue(policy: All, ring_time_s: 8.0, max_wait_s: None, no_answer: Voicemail),
                inbound: Traffic(arrivals: Poisson(per_hour: 200.0), talk_s: Const(45.0), patience_s: None),
                agent: Agent(answer_prob: 1.0, answer_delay_s: Const(0.0), wrapup_s: Const(0.0))),
        ],
    )"#;
    let model = telsim::model_from_str(text, "fixed.ron").expect("valid scenario");
    let (_, recs) = check_all(&model, text).unwrap_or_else(|e| panic!("{e}"));
    let blocked = recs
        .iter()
        .filter(|r| r.outcome == Outcome::Blocked)
        .count();
    assert!(blocked > 0, "the limits were meant to block some calls");
}

/// p95_wait_s is a percentile of the waits, so it can never exceed
/// max_wait_s (nor the queue's limit when no call waits longer).
#[test]
fn p95_wait_never_exceeds_max_wait() {
    // One agent, heavy load, a 60 s queue limit: far more than 5 % of the
    // callers wait exactly 60 s and go to voicemail.
    let (_, res, recs) = run_text(
        r#"Scenario(name: "p95", seed: 1, duration_s: 7200.0, interval_s: 1800.0, portals: [Portal(name: "a", agents: 1,
            queue: Queue(policy: Evenly, ring_time_s: 5.0, max_wait_s: Some(60.0), no_answer: Voicemail),
            inbound: Traffic(arrivals: Poisson(per_hour: 120.0), talk_s: Exp(mean: 120.0)))])"#,
    );
    let longest = recs.iter().filter_map(|r| r.wait).max().unwrap();
    assert_eq!(longest, SimTime::from_secs_f64(60.0));
    for (s, m) in res.metrics.iter().enumerate() {
        let p95 = m[Metric::P95WaitS as usize].unwrap();
        let max = m[Metric::MaxWaitS as usize].unwrap();
        assert!(
            p95 <= max,
            "scope {s}: p95_wait_s {p95} > max_wait_s {max} (no call waited more than 60 s)"
        );
    }
}

/// With `drain_s: Some(0.0)` the replication stops at `duration_s`; the
/// interval rows must still cover the whole simulated time.
#[test]
fn zero_drain_keeps_the_last_interval() {
    for interval in ["1800.0", "9000.0"] {
        let (model, res, _) = run_text(&format!(
            r#"Scenario(name: "d", seed: 2, duration_s: 7200.0, interval_s: {interval}, drain_s: Some(0.0),
                portals: [Portal(name: "a", agents: 2, inbound: Traffic(arrivals: Poisson(per_hour: 30.0), talk_s: Exp(mean: 120.0)))])"#
        ));
        let last = res
            .intervals
            .iter()
            .filter(|r| r.scope == 0)
            .map(|r| r.end)
            .max();
        assert_eq!(
            last,
            Some(model.duration),
            "interval_s {interval}: intervals end at {last:?}, not at duration_s (7200 s)"
        );
    }
}

/// `ReplicationResult::unfinished` feeds the CLI's warning "N call(s) were
/// still in the system at the drain limit": it must count every such call,
/// including those that arrived during warm-up.
#[test]
fn unfinished_count_includes_warmup_arrivals() {
    // Calls last 10 000 s: everything that arrived is still talking when the
    // replication stops at 7200 s, warm-up arrivals included.
    let (model, res, recs) = run_text(
        r#"Scenario(name: "u", seed: 3, duration_s: 7200.0, warmup_s: 3600.0, drain_s: Some(0.0),
            portals: [Portal(name: "a", agents: 50, inbound: Traffic(arrivals: Poisson(per_hour: 10.0), talk_s: Const(10000.0)))])"#,
    );
    let unfinished = recs
        .iter()
        .filter(|r| r.outcome == Outcome::Unfinished)
        .count() as u64;
    assert!(recs
        .iter()
        .any(|r| r.arrival < model.warmup && r.outcome == Outcome::Unfinished));
    assert_eq!(
        res.unfinished, unfinished,
        "calls still in the system at the drain limit"
    );
}

/// `mean_talk_s` is the mean talk time of answered calls: a call cut off
/// mid-conversation at the drain limit (`unfinished`) must not add its talk
/// time to the numerator while being left out of the denominator.
#[test]
fn mean_talk_counts_answered_calls_only() {
    let (model, res, recs) = run_text(
        r#"Scenario(name: "t", seed: 4, duration_s: 7200.0, drain_s: Some(0.0),
            portals: [Portal(name: "a", agents: 20, inbound: Traffic(arrivals: Poisson(per_hour: 60.0), talk_s: Uniform(min: 10.0, max: 3000.0)))])"#,
    );
    let answered: Vec<&CallRecord> = recs
        .iter()
        .filter(|r| r.outcome == Outcome::Answered)
        .collect();
    assert!(recs.iter().any(|r| r.outcome == Outcome::Unfinished
        && r.answer.is_some()
        && r.arrival >= model.warmup));
    let want = answered
        .iter()
        .map(|r| secs_of(r.talk().unwrap()))
        .sum::<f64>()
        / answered.len() as f64;
    let got = res.metrics[0][Metric::MeanTalkS as usize].unwrap();
    assert!(
        close(got, want),
        "mean_talk_s {got}, mean talk of answered calls {want}"
    );
}
