//! Property tests for the always-on invariants (`model::invariants`) on
//! random valid scenarios, determinism of the written bytes, and a monotone
//! sanity law: more agents never increase the mean wait for the same seed.

use std::ops::ControlFlow;
use std::process::Command;

use proptest::prelude::*;
use telsim::model::{run_replication, Model};
use telsim::stats::Metric;

fn config(default_cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_cases);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

#[derive(Debug, Clone)]
struct PortalGen {
    agents: u32,
    policy: &'static str,
    per_hour: u32,
    talk_mean: u32,
    patience: Option<u32>,
    max_wait: Option<u32>,
    answer_prob: f64,
    answer_delay: u32,
    wrapup: u32,
    no_answer: &'static str,
}

#[derive(Debug, Clone)]
struct ScenarioGen {
    seed: u64,
    duration: u32,
    warmup: u32,
    servers: Vec<(Option<u32>, Option<u32>)>,
    portals: Vec<PortalGen>,
}

impl ScenarioGen {
    fn ron(&self) -> String {
        let servers: Vec<String> = self
            .servers
            .iter()
            .enumerate()
            .map(|(i, (calls, cps))| {
                let opt = |v: &Option<u32>| v.map_or("None".into(), |v| format!("Some({v})"));
                format!(
                    "Server(name: \"s{i}\", max_calls: {}, max_cps: {})",
                    opt(calls),
                    opt(cps)
                )
            })
            .collect();
        let portals: Vec<String> = self
            .portals
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let opt = |v: Option<u32>, f: &dyn Fn(u32) -> String| {
                    v.map_or("None".to_string(), |v| format!("Some({})", f(v)))
                };
                format!(
                    "Portal(name: \"p{i}\", agents: {}, \
                     queue: Queue(policy: {}, ring_time_s: 10.0, max_wait_s: {}, no_answer: {}), \
                     inbound: Traffic(arrivals: Poisson(per_hour: {}.0), talk_s: Exp(mean: {}.0), patience_s: {}), \
                     agent: Agent(answer_prob: {}, answer_delay_s: Const({}.0), wrapup_s: Const({}.0)))",
                    p.agents,
                    p.policy,
                    opt(p.max_wait, &|v| format!("{v}.0")),
                    p.no_answer,
                    p.per_hour,
                    p.talk_mean,
                    opt(p.patience, &|v| format!("Exp(mean: {v}.0)")),
                    p.answer_prob,
                    p.answer_delay,
                    p.wrapup,
                )
            })
            .collect();
        format!(
            "Scenario(name: \"prop\", seed: {}, replications: 2, duration_s: {}.0, warmup_s: {}.0, \
             interval_s: 300.0, servers: [{}], portals: [{}], checks: [])",
            self.seed,
            self.duration,
            self.warmup,
            servers.join(", "),
            portals.join(", ")
        )
    }
}

fn portal() -> impl Strategy<Value = PortalGen> {
    (
        (
            1u32..12,
            prop::sample::select(vec!["Evenly", "Strictly", "All"]),
        ),
        (10u32..600, 5u32..300),
        (
            prop::option::of(5u32..200),
            prop::option::of(5u32..300),
            prop::sample::select(vec![1.0, 0.9, 0.5]),
        ),
        (0u32..12, 0u32..20),
        prop::sample::select(vec!["Voicemail", "Hangup", "Forward(\"+74954451120\")"]),
    )
        .prop_map(
            |(
                (agents, policy),
                (per_hour, talk_mean),
                (patience, max_wait, answer_prob),
                (answer_delay, wrapup),
                no_answer,
            )| {
                // Agents who may never answer need callers who leave.
                let max_wait = if answer_prob < 1.0 && patience.is_none() {
                    Some(max_wait.unwrap_or(60))
                } else {
                    max_wait
                };
                PortalGen {
                    agents,
                    policy,
                    per_hour,
                    talk_mean,
                    patience,
                    max_wait,
                    answer_prob,
                    answer_delay,
                    wrapup,
                    no_answer,
                }
            },
        )
}

fn scenario() -> impl Strategy<Value = ScenarioGen> {
    (
        any::<u64>(),
        (600u32..7200, 0u32..300),
        prop::collection::vec(
            (prop::option::of(1u32..30), prop::option::of(1u32..5)),
            0..3,
        ),
        prop::collection::vec(portal(), 1..4),
    )
        .prop_map(|(seed, (duration, warmup), servers, portals)| ScenarioGen {
            seed,
            duration,
            warmup,
            servers,
            portals,
        })
}

fn model(text: &str) -> Result<Model, TestCaseError> {
    telsim::model_from_str(text, "generated.ron")
        .map_err(|e| TestCaseError::fail(format!("generated scenario rejected: {e}\n{text}")))
}

fn mean_wait(model: &Model) -> f64 {
    let (r, ()) = run_replication(model, 0, (), |_| ControlFlow::Continue(())).unwrap();
    assert!(r.violation.is_none(), "{:?}", r.violation);
    r.metrics[0][Metric::MeanWaitS as usize].unwrap_or(0.0)
}

proptest! {
    #![proptest_config(config(48))]

    /// No invariant breaks on any valid scenario, in any replication.
    #[test]
    fn invariants_hold_on_random_scenarios(s in scenario()) {
        let text = s.ron();
        let m = model(&text)?;
        for rep in 0..2 {
            let (r, recs) = run_replication(&m, rep, Vec::new(), |_| ControlFlow::Continue(())).unwrap();
            prop_assert!(r.violation.is_none(), "{}\n{}", r.violation.unwrap(), text);
            prop_assert_eq!(recs.len() as u64, r.calls, "{}", text);
        }
    }
}

proptest! {
    #![proptest_config(config(24))]

    /// FIFO queue, patient callers, agents who answer at once: the same
    /// seed gives the same arrivals and talk times (drawn in answer order,
    /// which is arrival order), so with more agents no caller waits longer
    /// (a sample-path law for G/G/c queues), hence the mean wait cannot rise.
    #[test]
    fn more_agents_never_increase_the_mean_wait(
        seed in any::<u64>(),
        agents in 1u32..20,
        extra in 1u32..5,
        per_hour in 20u32..800,
        talk_mean in 10u32..300,
        wrapup in 0u32..10,
    ) {
        let text = |n: u32| format!(
            "Scenario(name: \"mono\", seed: {seed}, replications: 1, duration_s: 7200.0, warmup_s: 0.0, \
             interval_s: 900.0, servers: [], portals: [Portal(name: \"p\", agents: {n}, \
             queue: Queue(policy: Strictly, ring_time_s: 10.0), \
             inbound: Traffic(arrivals: Poisson(per_hour: {per_hour}.0), talk_s: Exp(mean: {talk_mean}.0)), \
             agent: Agent(answer_prob: 1.0, answer_delay_s: Const(0.0), wrapup_s: Const({wrapup}.0)))], checks: [])"
        );
        let fewer = mean_wait(&model(&text(agents))?);
        let more = mean_wait(&model(&text(agents + extra))?);
        prop_assert!(more <= fewer + 1e-9, "{agents}+{extra} agents: mean wait {more} > {fewer}");
    }
}

proptest! {
    #![proptest_config(config(4))]

    /// Same scenario and seed → byte-identical files, whatever `--jobs`.
    #[test]
    fn same_seed_gives_the_same_bytes(s in scenario()) {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("s.ron");
        std::fs::write(&file, s.ron()).unwrap();
        let run = |jobs: &str, out: &str| {
            let status = Command::new(env!("CARGO_BIN_EXE_telsim"))
                .args(["run", file.to_str().unwrap(), "-q", "--jobs", jobs, "--out"])
                .arg(tmp.path().join(out))
                .status()
                .unwrap();
            assert_eq!(status.code(), Some(0));
        };
        run("1", "a");
        run("2", "b");
        for f in ["calls.csv", "intervals.csv", "summary.csv"] {
            let a = std::fs::read(tmp.path().join("a").join(f)).unwrap();
            let b = std::fs::read(tmp.path().join("b").join(f)).unwrap();
            prop_assert!(a == b, "{} differs between runs", f);
        }
    }
}

/// The shipped scenarios (topologies, failures, ringing, patience) keep
/// every invariant, shortened to keep the test quick.
#[test]
fn shipped_scenarios_keep_the_invariants() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    for name in [
        "call_centre.ron",
        "link_failure.ron",
        "busy_uplink.ron",
        "erlang_b.ron",
    ] {
        let path = dir.join(name);
        let overrides = ["replications=2".parse().unwrap()];
        let m = telsim::load_model(&path, &overrides).unwrap();
        for rep in 0..m.replications {
            let (r, recs) =
                run_replication(&m, rep, Vec::new(), |_| ControlFlow::Continue(())).unwrap();
            assert!(r.violation.is_none(), "{name}: {}", r.violation.unwrap());
            assert_eq!(recs.len() as u64, r.calls, "{name}");
        }
    }
}
