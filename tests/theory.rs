//! Validation of simulated results against queueing theory (DESIGN §3): the
//! product's core credibility test.
//!
//! Every comparison runs `REPS` independent replications of a scenario built
//! here from its parameters, takes the mean of the per-replication values and
//! their Student-t standard error, and requires
//!
//! ```text
//! |mean − theory| ≤ t(1 − α/2, R − 1) · s / √R
//! ```
//!
//! with α Bonferroni-corrected over every comparison in this file (see
//! [`COMPARISONS`]): if the simulator were exact, the probability that *any*
//! assertion here fails by chance is at most [`FAMILY_ALPHA`] = 5 %. The
//! tolerance therefore comes from the confidence interval, not from a tuned
//! constant. To stop a test from passing merely by being noisy, each
//! comparison also requires the ordinary 95 % half-width to be a small
//! fraction of the theoretical value ([`MAX_REL_HALF_WIDTH`]); run lengths are
//! chosen to meet it.
//!
//! The analytic values come from `telsim::theory` (the same module `telsim
//! check` uses), which is itself unit-tested against published tables; the
//! scenarios' parameters are turned into loads here, never copied numbers.
//!
//! Run with `cargo test --test theory -- --nocapture` to see the table.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::ops::ControlFlow;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use telsim::model::{run_replication, ArrivalSpec, Model};
use telsim::stats::{student_t_975, t_quantile, Metric, MetricValues};
use telsim::theory::{asa_s, erlang_a, erlang_b, erlang_c, p_wait_longer};

/// Mean (exponential) talk time of every generated scenario.
const TALK_MEAN_S: f64 = 100.0;
const MU: f64 = 1.0 / TALK_MEAN_S;
/// Independent replications per generated scenario.
const REPS: u32 = 20;
/// Family-wise error rate of the whole file.
const FAMILY_ALPHA: f64 = 0.05;
/// The 95 % half-width must be below this fraction of the theoretical value
/// for generated scenarios (their run lengths are ours to choose).
const MAX_REL_HALF_WIDTH: f64 = 0.10;
/// The shipped scenarios' run length is the file's choice (10 replications of
/// 10 h); we only require their interval to be informative.
const MAX_REL_HALF_WIDTH_SHIPPED: f64 = 0.35;

/// An M/M/c point: `c` agents at utilisation `rho`, patient callers.
struct CPoint {
    c: u32,
    rho: f64,
    duration_s: f64,
    warmup_s: f64,
}

/// Erlang C grid. Warm-up: the queue starts empty, which biases waits down;
/// the heavy-traffic relaxation time of M/M/c is about
/// `1 / (cμ (1 − √ρ)²)` (≈ 7 800 s at c = 20, ρ = 0.95), and each warm-up is
/// at least seven of them and 10 % of the run. Durations give a 95 % half-width
/// of roughly 5–8 % on ASA, the noisiest metric.
#[rustfmt::skip]
const ERLANG_C_GRID: [CPoint; 7] = [
    CPoint { c: 1, rho: 0.5, duration_s: 400_000.0, warmup_s: 40_000.0 },
    CPoint { c: 2, rho: 0.9, duration_s: 1_500_000.0, warmup_s: 150_000.0 },
    CPoint { c: 5, rho: 0.8, duration_s: 300_000.0, warmup_s: 30_000.0 },
    CPoint { c: 10, rho: 0.9, duration_s: 400_000.0, warmup_s: 40_000.0 },
    CPoint { c: 20, rho: 0.95, duration_s: 800_000.0, warmup_s: 80_000.0 },
    CPoint { c: 30, rho: 0.7, duration_s: 400_000.0, warmup_s: 40_000.0 },
    CPoint { c: 50, rho: 0.95, duration_s: 500_000.0, warmup_s: 50_000.0 },
];
/// Per Erlang C point: P(wait > 0), ASA, P(wait > t).
const ERLANG_C_METRICS: usize = 3;

/// An M/M/c/c point: a server admitting `c` calls, `a` Erlangs offered.
struct BPoint {
    c: u32,
    a: f64,
    duration_s: f64,
    warmup_s: f64,
}

/// Erlang B grid, from light blocking to a server offered 1.5× its capacity.
/// A loss system forgets its start within a few talk times (100 s).
#[rustfmt::skip]
const ERLANG_B_GRID: [BPoint; 5] = [
    BPoint { c: 1, a: 0.5, duration_s: 100_000.0, warmup_s: 10_000.0 },
    BPoint { c: 10, a: 5.0, duration_s: 200_000.0, warmup_s: 20_000.0 },
    BPoint { c: 10, a: 10.0, duration_s: 20_000.0, warmup_s: 2_000.0 },
    BPoint { c: 30, a: 25.0, duration_s: 30_000.0, warmup_s: 3_000.0 },
    BPoint { c: 20, a: 30.0, duration_s: 10_000.0, warmup_s: 2_000.0 },
];

/// An M/M/c+M point: `c` agents, `a` Erlangs offered, exponential patience.
struct APoint {
    c: u32,
    a: f64,
    patience_mean_s: f64,
    duration_s: f64,
    warmup_s: f64,
}

/// Erlang A grid, under- to over-loaded (abandonment keeps ρ ≥ 1 stable).
#[rustfmt::skip]
const ERLANG_A_GRID: [APoint; 4] = [
    APoint { c: 5, a: 4.5, patience_mean_s: 300.0, duration_s: 200_000.0, warmup_s: 20_000.0 },
    APoint { c: 10, a: 10.0, patience_mean_s: 120.0, duration_s: 100_000.0, warmup_s: 10_000.0 },
    APoint { c: 20, a: 24.0, patience_mean_s: 60.0, duration_s: 20_000.0, warmup_s: 2_000.0 },
    APoint { c: 50, a: 48.0, patience_mean_s: 180.0, duration_s: 50_000.0, warmup_s: 5_000.0 },
];
/// Per Erlang A point: abandonment, P(an arrival waits).
const ERLANG_A_METRICS: usize = 2;

/// Shipped files: erlang_c.ron P(wait > 0), ASA, P(wait > service level
/// threshold); erlang_b.ron blocking.
const SHIPPED_COMPARISONS: usize = 4;

/// Size of the Bonferroni family: every statistical assertion in this file.
const COMPARISONS: usize = ERLANG_C_GRID.len() * ERLANG_C_METRICS
    + ERLANG_B_GRID.len()
    + ERLANG_A_GRID.len() * ERLANG_A_METRICS
    + SHIPPED_COMPARISONS;

/// The Bonferroni-corrected two-sided t factor: `t(1 − α/(2K), df)`.
fn bonferroni_t(df: usize) -> f64 {
    t_quantile(1.0 - FAMILY_ALPHA / (2.0 * COMPARISONS as f64), df)
}

// ---- statistics ------------------------------------------------------------

/// Mean over replications with its 95 % and Bonferroni half-widths.
#[derive(Debug, Clone, Copy)]
struct Estimate {
    mean: f64,
    n: usize,
    /// Half-width of the ordinary 95 % Student-t interval.
    half95: f64,
    /// Half-width at the Bonferroni-corrected level (the assertion's tolerance).
    tolerance: f64,
}

impl Estimate {
    /// From independent per-replication values (computed here rather than by
    /// `telsim::stats::mean_ci`, so the test does not trust the code it checks).
    fn of(values: &[f64]) -> Estimate {
        let n = values.len();
        assert!(n >= 2, "need at least two replications, got {n}");
        let mean = values.iter().sum::<f64>() / n as f64;
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let se = (var / n as f64).sqrt();
        Estimate {
            mean,
            n,
            half95: student_t_975(n - 1) * se,
            tolerance: bonferroni_t(n - 1) * se,
        }
    }

    /// From a `summary.csv` row: the 95 % half-width from its `sd` (the
    /// written interval may be clipped to the metric's range), widened to
    /// the Bonferroni level by the ratio of t quantiles.
    fn from_summary(mean: f64, low: f64, high: f64, n: usize, sd: f64) -> Estimate {
        assert!(
            n >= 2 && low <= mean && mean <= high && sd >= 0.0,
            "bad summary row {mean} [{low}, {high}] n={n} sd={sd}"
        );
        let half95 = student_t_975(n - 1) * sd / (n as f64).sqrt();
        Estimate {
            mean,
            n,
            half95,
            tolerance: half95 * bonferroni_t(n - 1) / student_t_975(n - 1),
        }
    }
}

/// Collects comparisons, prints them as a table and fails with every
/// disagreement at once.
#[derive(Default)]
struct Report {
    rows: Vec<(String, f64, Estimate, f64, bool, bool)>,
}

impl Report {
    /// Records `theory` against `est`; `max_rel_half` bounds the 95 %
    /// half-width relative to the theoretical value.
    fn compare(&mut self, what: String, theory: f64, est: Estimate, max_rel_half: f64) {
        assert!(
            theory.is_finite() && theory > 0.0,
            "{what}: theory value {theory} is not a positive number"
        );
        let agrees = (est.mean - theory).abs() <= est.tolerance;
        let precise = est.half95 <= max_rel_half * theory;
        self.rows
            .push((what, theory, est, max_rel_half, agrees, precise));
    }

    /// Prints the table and fails on any disagreement. `planned` is this
    /// test's share of [`COMPARISONS`], so the Bonferroni family cannot
    /// silently fall out of step with the assertions actually made.
    fn finish(self, title: &str, planned: usize) {
        assert_eq!(
            self.rows.len(),
            planned,
            "{title}: update COMPARISONS to the comparisons made"
        );
        let mut out = String::new();
        let _ = writeln!(
            out,
            "\n{title} (Bonferroni family K = {COMPARISONS}, per-comparison α = {:.5})",
            FAMILY_ALPHA / COMPARISONS as f64
        );
        let _ = writeln!(
            out,
            "{:<44} {:>11} {:>11} {:>10} {:>10} {:>7}  verdict",
            "comparison", "theory", "sim mean", "±95%", "±Bonf", "rel95"
        );
        let mut failures = Vec::new();
        for &(ref what, theory, est, max_rel, agrees, precise) in &self.rows {
            let verdict = match (agrees, precise) {
                (true, true) => "ok".to_string(),
                (false, _) => "DISAGREES".to_string(),
                (true, false) => format!("TOO NOISY (> {:.0}%)", max_rel * 100.0),
            };
            let line = format!(
                "{what:<44} {theory:>11.5} {:>11.5} {:>10.5} {:>10.5} {:>6.1}%  {verdict}",
                est.mean,
                est.half95,
                est.tolerance,
                100.0 * est.half95 / theory,
            );
            let _ = writeln!(out, "{line} (n={})", est.n);
            if !(agrees && precise) {
                failures.push(line);
            }
        }
        println!("{out}");
        assert!(
            failures.is_empty(),
            "{title}: simulation disagrees with theory:\n{}",
            failures.join("\n")
        );
    }
}

// ---- running scenarios -----------------------------------------------------

/// Scenario text for one portal of `agents` agents answering at once, Poisson
/// arrivals of `a` Erlangs at exponential talk times, optionally exponential
/// patience and a SIP server admitting at most `server_cap` calls.
struct Spec {
    name: String,
    duration_s: f64,
    warmup_s: f64,
    service_level_s: f64,
    agents: u32,
    a: f64,
    patience_mean_s: Option<f64>,
    server_cap: Option<u32>,
}

impl Spec {
    fn ron(&self) -> String {
        let per_hour = self.a * MU * 3600.0;
        let patience = match self.patience_mean_s {
            Some(m) => format!("Some(Exp(mean: {m:?}))"),
            None => "None".to_string(),
        };
        let (servers, server) = match self.server_cap {
            Some(cap) => (
                format!("[Server(name: \"sip\", max_calls: Some({cap}), max_cps: None)]"),
                "Some(\"sip\")",
            ),
            None => ("[]".to_string(), "None"),
        };
        format!(
            r#"Scenario(
    name: "{name}",
    seed: 20240611,
    replications: {REPS},
    duration_s: {duration:?},
    warmup_s: {warmup:?},
    interval_s: {duration:?},
    service_level_s: {sl:?},
    topology: None,
    servers: {servers},
    portals: [
        Portal(
            name: "p",
            currency: RUB,
            balance: 0.0,
            agents: {agents},
            server: {server},
            queue: Queue(policy: Evenly, ring_time_s: 15.0, max_wait_s: None, no_answer: Voicemail),
            inbound: Traffic(
                arrivals: Poisson(per_hour: {per_hour:?}),
                talk_s: Exp(mean: {TALK_MEAN_S:?}),
                patience_s: {patience},
            ),
            agent: Agent(answer_prob: 1.0, answer_delay_s: Const(0.0), wrapup_s: Const(0.0)),
        ),
    ],
)"#,
            name = self.name,
            duration = self.duration_s,
            warmup = self.warmup_s,
            sl = self.service_level_s,
            agents = self.agents,
        )
    }

    fn model(&self) -> Model {
        let text = self.ron();
        telsim::model_from_str(&text, &format!("{}.ron", self.name))
            .unwrap_or_else(|e| panic!("generated scenario is invalid: {e}\n{text}"))
    }
}

/// Runs `REPS` replications of every model on all cores and returns each
/// model's per-replication platform metrics, in replication order.
fn replicate(models: &[Model]) -> Vec<Vec<MetricValues>> {
    let jobs: Vec<(usize, u32)> = (0..models.len())
        .flat_map(|m| (0..REPS).map(move |r| (m, r)))
        .collect();
    let results = Mutex::new(vec![vec![None; REPS as usize]; models.len()]);
    let next = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(jobs.len());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                while let Some(&(m, r)) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let (res, ()) =
                        run_replication(&models[m], r, (), |_| ControlFlow::Continue(()))
                            .expect("never interrupted");
                    let platform = res.metrics[0];
                    assert_eq!(
                        platform[Metric::Unfinished as usize],
                        Some(0.0),
                        "{}: calls left unfinished",
                        models[m].name
                    );
                    results.lock().unwrap()[m][r as usize] = Some(platform);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap()
        .into_iter()
        .map(|reps| {
            reps.into_iter()
                .map(|v| v.expect("every replication ran"))
                .collect()
        })
        .collect()
}

/// One metric's per-replication values (all must be defined).
fn values(reps: &[MetricValues], metric: Metric) -> Vec<f64> {
    reps.iter()
        .map(|v| {
            v[metric as usize]
                .unwrap_or_else(|| panic!("{} undefined in a replication", metric.name()))
        })
        .collect()
}

fn metric_estimate(reps: &[MetricValues], metric: Metric) -> Estimate {
    Estimate::of(&values(reps, metric))
}

// ---- Erlang C --------------------------------------------------------------

/// M/M/c with patient callers: P(wait > 0), ASA and the wait tail must match
/// Erlang C. In this model every call is answered, so `p_wait` (over answered
/// calls) is Erlang C's P(wait > 0) over arrivals. The tail is probed through
/// `service_level` at t = 1/((c − a)μ), the mean wait of those who wait, where
/// P(wait > t) = C/e is of the same order as C (a threshold deep in the tail
/// would need far longer runs for the same relative precision).
#[test]
fn erlang_c_grid_matches_theory() {
    let specs: Vec<(Spec, &CPoint)> = ERLANG_C_GRID
        .iter()
        .map(|p| {
            let a = p.rho * p.c as f64;
            let t = 1.0 / ((p.c as f64 - a) * MU);
            let spec = Spec {
                name: format!("erlang_c_{}_{}", p.c, p.rho),
                duration_s: p.duration_s,
                warmup_s: p.warmup_s,
                service_level_s: t,
                agents: p.c,
                a,
                patience_mean_s: None,
                server_cap: None,
            };
            (spec, p)
        })
        .collect();
    let models: Vec<Model> = specs.iter().map(|(s, _)| s.model()).collect();
    let runs = replicate(&models);

    let mut report = Report::default();
    for ((spec, p), reps) in specs.iter().zip(&runs) {
        let (c, a, t) = (p.c, spec.a, spec.service_level_s);
        let label = format!("C c={c} ρ={}", p.rho);
        assert!(
            values(reps, Metric::Abandoned).iter().all(|&x| x == 0.0),
            "{label}: patient callers abandoned"
        );

        report.compare(
            format!("{label} P(wait>0)"),
            erlang_c(c, a),
            metric_estimate(reps, Metric::PWait),
            MAX_REL_HALF_WIDTH,
        );
        report.compare(
            format!("{label} ASA s"),
            asa_s(c, a, MU),
            metric_estimate(reps, Metric::AsaS),
            MAX_REL_HALF_WIDTH,
        );
        let tail: Vec<f64> = values(reps, Metric::ServiceLevel)
            .iter()
            .map(|sl| 1.0 - sl)
            .collect();
        report.compare(
            format!("{label} P(wait>{t:.1}s)"),
            p_wait_longer(c, a, MU, t),
            Estimate::of(&tail),
            MAX_REL_HALF_WIDTH,
        );
    }
    report.finish("Erlang C (M/M/c)", ERLANG_C_GRID.len() * ERLANG_C_METRICS);
}

// ---- Erlang B --------------------------------------------------------------

/// M/M/c/c: a server admitting `c` calls in front of more agents than it can
/// feed, so nobody queues and the blocking rate must match Erlang B.
#[test]
fn erlang_b_grid_matches_theory() {
    let specs: Vec<Spec> = ERLANG_B_GRID
        .iter()
        .map(|p| Spec {
            name: format!("erlang_b_{}_{}", p.c, p.a),
            duration_s: p.duration_s,
            warmup_s: p.warmup_s,
            service_level_s: 20.0,
            agents: p.c + 5,
            a: p.a,
            patience_mean_s: None,
            server_cap: Some(p.c),
        })
        .collect();
    let models: Vec<Model> = specs.iter().map(Spec::model).collect();
    let runs = replicate(&models);

    let mut report = Report::default();
    for ((spec, p), reps) in specs.iter().zip(&ERLANG_B_GRID).zip(&runs) {
        let label = format!("B c={} A={}", p.c, spec.a);
        // Not statistical: with more agents than channels nobody may wait.
        assert!(
            values(reps, Metric::PWait).iter().all(|&x| x == 0.0),
            "{label}: a call waited"
        );
        report.compare(
            format!("{label} blocking"),
            erlang_b(p.c, p.a),
            metric_estimate(reps, Metric::BlockingRate),
            MAX_REL_HALF_WIDTH,
        );
    }
    report.finish("Erlang B (M/M/c/c)", ERLANG_B_GRID.len());
}

// ---- Erlang A --------------------------------------------------------------

/// M/M/c+M: exponential patience. `erlang_a` gives, per arrival, the
/// probability of abandoning and of waiting at all. telsim's `p_wait` is over
/// *answered* calls, so the arrival-level probability is rebuilt from the
/// per-replication counts: a call waits iff it is answered after a wait or
/// abandons (exponential patience is never exactly zero), so
/// P(wait) = (p_wait · answered + abandoned) / offered.
#[test]
fn erlang_a_grid_matches_theory() {
    let specs: Vec<Spec> = ERLANG_A_GRID
        .iter()
        .map(|p| Spec {
            name: format!("erlang_a_{}_{}_{}", p.c, p.a, p.patience_mean_s),
            duration_s: p.duration_s,
            warmup_s: p.warmup_s,
            service_level_s: 20.0,
            agents: p.c,
            a: p.a,
            patience_mean_s: Some(p.patience_mean_s),
            server_cap: None,
        })
        .collect();
    let models: Vec<Model> = specs.iter().map(Spec::model).collect();
    let runs = replicate(&models);

    let mut report = Report::default();
    for (p, reps) in ERLANG_A_GRID.iter().zip(&runs) {
        let label = format!("A c={} A={} patience={}s", p.c, p.a, p.patience_mean_s);
        let (abandon, wait) = erlang_a(p.c, p.a * MU, MU, 1.0 / p.patience_mean_s);
        report.compare(
            format!("{label} abandon"),
            abandon,
            metric_estimate(reps, Metric::AbandonRate),
            MAX_REL_HALF_WIDTH,
        );
        let waited: Vec<f64> = reps
            .iter()
            .map(|v| {
                let get = |m: Metric| v[m as usize].expect("defined");
                (get(Metric::PWait) * get(Metric::Answered) + get(Metric::Abandoned))
                    / get(Metric::Offered)
            })
            .collect();
        report.compare(
            format!("{label} P(wait>0)"),
            wait,
            Estimate::of(&waited),
            MAX_REL_HALF_WIDTH,
        );
    }
    report.finish("Erlang A (M/M/c+M)", ERLANG_A_GRID.len() * ERLANG_A_METRICS);
}

// ---- the shipped scenarios through the real binary -------------------------

/// Runs a shipped scenario with the `telsim` binary and returns its model
/// (for the parameters) and the platform rows of `summary.csv`.
fn run_shipped(file: &str) -> (Model, HashMap<String, Estimate>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(file);
    let model = telsim::load_model(&path, &[]).unwrap_or_else(|e| panic!("{file}: {e}"));
    let out = tempfile::tempdir().expect("temporary folder");
    let run = Command::new(env!("CARGO_BIN_EXE_telsim"))
        .arg("run")
        .arg(&path)
        .arg("--out")
        .arg(out.path())
        .args(["--no-calls", "--quiet"])
        .output()
        .expect("telsim runs");
    // 0: every declared check held; 1: a check failed (still a full run, and
    // this test is about theory, not the file's own checks).
    assert!(
        matches!(run.status.code(), Some(0 | 1)),
        "{file}: telsim failed with {:?}\n{}",
        run.status,
        String::from_utf8_lossy(&run.stderr)
    );
    let csv = std::fs::read_to_string(out.path().join("summary.csv")).expect("summary.csv written");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("scope,metric,mean,ci95_low,ci95_high,n,sd")
    );
    let mut rows = HashMap::new();
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f.len(), 7, "{file}: summary row {line:?}");
        if f[0] != "platform" || f[2].is_empty() || f[3].is_empty() {
            continue;
        }
        let num = |s: &str| {
            s.parse::<f64>()
                .unwrap_or_else(|_| panic!("{file}: number {s:?} in {line:?}"))
        };
        let n: usize = f[5].parse().expect("n is a count");
        rows.insert(
            f[1].to_string(),
            Estimate::from_summary(num(f[2]), num(f[3]), num(f[4]), n, num(f[6])),
        );
    }
    (model, rows)
}

/// `scenarios/erlang_c.ron` and `scenarios/erlang_b.ron`, run as a user
/// would: the theory value (computed from the file's own parameters) must lie
/// in the CI written to `summary.csv`, widened to the Bonferroni level.
#[test]
fn shipped_scenarios_match_theory() {
    let mut report = Report::default();

    let (m, rows) = run_shipped("erlang_c.ron");
    let p = &m.portals[0];
    assert!(
        m.portals.len() == 1 && m.servers.is_empty(),
        "erlang_c.ron: one portal, no servers"
    );
    assert!(
        matches!(p.arrivals, ArrivalSpec::Poisson { .. }),
        "erlang_c.ron: Poisson arrivals"
    );
    assert!(
        p.talk.is_exponential() && p.patience.is_none(),
        "erlang_c.ron: exponential talk, patient callers"
    );
    assert!(
        p.answer_prob == 1.0
            && p.answer_delay.is_zero()
            && p.wrapup.is_zero()
            && p.max_wait.is_none(),
        "erlang_c.ron: agents must answer at once, without wrap-up"
    );
    let (c, a, mu) = (
        p.agent_names.len() as u32,
        p.offered_erlangs(),
        1.0 / p.talk.mean(),
    );
    let t = m.service_level.as_secs_f64();
    let label = format!("erlang_c.ron c={c} A={a}");
    report.compare(
        format!("{label} P(wait>0)"),
        erlang_c(c, a),
        rows["p_wait"],
        MAX_REL_HALF_WIDTH_SHIPPED,
    );
    report.compare(
        format!("{label} ASA s"),
        asa_s(c, a, mu),
        rows["asa_s"],
        MAX_REL_HALF_WIDTH_SHIPPED,
    );
    let sl = rows["service_level"];
    let tail = Estimate {
        mean: 1.0 - sl.mean,
        ..sl
    };
    report.compare(
        format!("{label} P(wait>{t}s)"),
        p_wait_longer(c, a, mu, t),
        tail,
        MAX_REL_HALF_WIDTH_SHIPPED,
    );

    let (m, rows) = run_shipped("erlang_b.ron");
    let p = &m.portals[0];
    assert!(
        m.portals.len() == 1 && m.servers.len() == 1,
        "erlang_b.ron: one portal behind one server"
    );
    assert!(
        matches!(p.arrivals, ArrivalSpec::Poisson { .. }),
        "erlang_b.ron: Poisson arrivals"
    );
    let c = m.servers[0]
        .max_calls
        .expect("erlang_b.ron: the server has a channel limit");
    assert!(
        p.agent_names.len() as u32 > c,
        "erlang_b.ron: more agents than channels, so nobody queues"
    );
    let a = p.offered_erlangs();
    report.compare(
        format!("erlang_b.ron c={c} A={a} blocking"),
        erlang_b(c, a),
        rows["blocking_rate"],
        MAX_REL_HALF_WIDTH_SHIPPED,
    );
    report.finish(
        "Shipped scenarios via the telsim binary",
        SHIPPED_COMPARISONS,
    );
}
