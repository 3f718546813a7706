//! End-to-end tests: the real `telsim` binary on the shipped scenarios,
//! checking the user contract of DESIGN §4 (CLI, exit codes, output files).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use std::process::{Command, Output};

mod common;
use common::*;

const CALLS_PREFIX: &str =
    "replication,call_id,portal,direction,arrival_s,answer_s,end_s,wait_s,talk_s,outcome,agent";
const SUMMARY_HEADER: &str = "scope,metric,mean,ci95_low,ci95_high,n,sd";
/// DESIGN §4: metric names summary.csv has at least.
const CONTRACT_METRICS: [&str; 14] = [
    "offered",
    "answered",
    "abandoned",
    "blocked",
    "p_wait",
    "asa_s",
    "mean_wait_s",
    "p95_wait_s",
    "service_level",
    "abandon_rate",
    "blocking_rate",
    "agent_occupancy",
    "mean_mos",
    "events",
];
/// DESIGN §4 outcomes plus telsim's extensions.
const OUTCOMES: [&str; 13] = [
    "answered",
    "abandoned",
    "blocked",
    "voicemail",
    "forwarded",
    "rejected_balance",
    "blacklisted",
    "after_hours",
    "failed",
    "dropped",
    "no_answer",
    "unfinished",
    "credit_ended",
];
const SCENARIOS: [&str; 3] = ["call_centre", "erlang_b", "erlang_c"];

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `telsim run` on a shipped scenario into `out`, with extra arguments.
fn run(name: &str, out: &Path, extra: &[&str]) -> Output {
    let mut args: Vec<String> = vec![
        "run".into(),
        scenario(name),
        "--out".into(),
        out.to_string_lossy().into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    telsim(&args)
}

fn run_ok(name: &str, out: &Path, extra: &[&str]) -> Output {
    let o = run(name, out, extra);
    assert_eq!(
        o.status.code(),
        Some(0),
        "telsim run {name} {extra:?}\n{}",
        describe(&o)
    );
    o
}

/// Arguments that keep each shipped scenario quick (debug build) while still
/// exercising all of it.
fn quick(name: &str) -> Vec<&'static str> {
    match name {
        "call_centre" => vec!["--replications", "4", "--set", "duration_s=43200.0"],
        "erlang_b" => vec![
            "--replications",
            "4",
            "--set",
            "duration_s=7200.0",
            "--set",
            "warmup_s=600.0",
        ],
        "erlang_c" => vec![
            "--replications",
            "4",
            "--set",
            "duration_s=7200.0",
            "--set",
            "warmup_s=600.0",
        ],
        _ => unreachable!(),
    }
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// summary.csv as (scope, metric) → mean.
fn summary(dir: &Path) -> BTreeMap<(String, String), Option<f64>> {
    let text = read(&dir.join("summary.csv"));
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(SUMMARY_HEADER));
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), 7, "summary row {l:?}");
            (
                (f[0].to_string(), f[1].to_string()),
                f[2].parse::<f64>().ok(),
            )
        })
        .collect()
}

fn mean(s: &BTreeMap<(String, String), Option<f64>>, scope: &str, metric: &str) -> f64 {
    s.get(&(scope.to_string(), metric.to_string()))
        .copied()
        .flatten()
        .unwrap_or_else(|| panic!("summary.csv has no value for {scope} {metric}"))
}

/// calls.csv rows as maps from column name to value.
fn calls(dir: &Path) -> Vec<BTreeMap<String, String>> {
    let text = read(&dir.join("calls.csv"));
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .expect("a header")
        .split(',')
        .map(String::from)
        .collect();
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), header.len(), "calls.csv row {l:?}");
            header
                .iter()
                .cloned()
                // `-` is calls.csv's "does not apply" in text columns.
                .zip(
                    f.iter()
                        .map(|s| if *s == "-" { "" } else { *s }.to_string()),
                )
                .collect()
        })
        .collect()
}

fn files_in(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

// ---------------------------------------------------------------------------
// 1. A run writes the contract files and nothing else
// ---------------------------------------------------------------------------

#[test]
fn run_writes_the_contract_files() {
    let tmp = tempfile::tempdir().unwrap();
    // A folder that does not exist yet: the run creates it.
    let out = tmp.path().join("nested").join("call_centre");
    run_ok("call_centre", &out, &["--replications", "2"]);

    assert_eq!(
        files_in(&out),
        [
            "alerts.csv",
            "calls.csv",
            "datapackage.json",
            "intervals.csv",
            "portals.csv",
            "replications.csv",
            "summary.csv"
        ]
        .map(String::from)
        .into(),
        "exactly the contract files, no temporary or hidden leftovers"
    );

    let calls = read(&out.join("calls.csv"));
    let header = calls.lines().next().unwrap();
    assert!(
        header.starts_with(CALLS_PREFIX),
        "calls.csv header {header:?}"
    );
    assert!(
        calls.lines().count() > 100,
        "a day at the call centre has calls"
    );

    let intervals = read(&out.join("intervals.csv"));
    assert!(intervals.lines().count() > 1, "intervals.csv has rows");
    let iv_header = intervals.lines().next().unwrap();
    let width = iv_header.split(',').count();
    assert!(
        intervals.lines().all(|l| l.split(',').count() == width),
        "intervals.csv rows match the header"
    );

    let text = read(&out.join("summary.csv"));
    assert_eq!(text.lines().next(), Some(SUMMARY_HEADER));
    let s = summary(&out);
    for m in CONTRACT_METRICS {
        assert!(
            s.contains_key(&("platform".to_string(), m.to_string())),
            "summary.csv lacks platform {m}"
        );
    }
    for portal in ["pizza", "clinic", "support"] {
        assert!(
            s.contains_key(&(portal.to_string(), "offered".to_string())),
            "summary.csv lacks scope {portal}"
        );
    }
    // n is the number of replications with a value.
    assert!(text
        .lines()
        .skip(1)
        .filter(|l| l.starts_with("platform,offered,"))
        .all(|l| l.split(',').nth(5) == Some("2")));
}

// ---------------------------------------------------------------------------
// 2. Determinism
// ---------------------------------------------------------------------------

#[test]
fn results_do_not_depend_on_jobs() {
    let tmp = tempfile::tempdir().unwrap();
    for name in SCENARIOS {
        let one = tmp.path().join(format!("{name}-j1"));
        let two = tmp.path().join(format!("{name}-j2"));
        let args = quick(name);
        run_ok(name, &one, &[&args[..], &["--jobs", "1"]].concat());
        run_ok(name, &two, &[&args[..], &["--jobs", "2"]].concat());
        for f in ["calls.csv", "intervals.csv", "summary.csv"] {
            let (a, b) = (
                fs::read(one.join(f)).unwrap(),
                fs::read(two.join(f)).unwrap(),
            );
            assert!(a == b, "{name}: {f} differs between --jobs 1 and --jobs 2");
        }
    }
}

#[test]
fn the_seed_decides_the_results() {
    let tmp = tempfile::tempdir().unwrap();
    let args = quick("call_centre");
    let base = tmp.path().join("base");
    let again = tmp.path().join("again");
    let set = tmp.path().join("set");
    let other = tmp.path().join("other");
    run_ok(
        "call_centre",
        &base,
        &[&args[..], &["--seed", "5"]].concat(),
    );
    run_ok(
        "call_centre",
        &again,
        &[&args[..], &["--seed", "5"]].concat(),
    );
    run_ok(
        "call_centre",
        &set,
        &[&args[..], &["--set", "seed=5"]].concat(),
    );
    run_ok(
        "call_centre",
        &other,
        &[&args[..], &["--seed", "6"]].concat(),
    );
    let calls = |d: &Path| fs::read(d.join("calls.csv")).unwrap();
    assert!(
        calls(&base) == calls(&again),
        "same seed, different calls.csv"
    );
    assert!(
        calls(&base) == calls(&set),
        "--seed 5 and --set seed=5 differ"
    );
    assert!(
        calls(&base) != calls(&other),
        "--seed 5 and --seed 6 give the same calls.csv"
    );
}

// ---------------------------------------------------------------------------
// 3. Checks, exit codes, `check`
// ---------------------------------------------------------------------------

#[test]
fn a_failing_check_exits_1_with_a_table() {
    let tmp = tempfile::tempdir().unwrap();
    let o = run(
        "erlang_c",
        tmp.path(),
        &[
            &quick("erlang_c")[..],
            &["--no-calls", "--set", "checks.0.max=1.0"],
        ]
        .concat(),
    );
    assert_eq!(o.status.code(), Some(1), "{}", describe(&o));
    let table = stdout(&o);
    let row = table
        .lines()
        .find(|l| l.contains("p95_wait_s"))
        .unwrap_or_else(|| panic!("no p95 row\n{table}"));
    assert!(
        row.contains("FAIL"),
        "the tightened check is not marked FAIL:\n{table}"
    );
    assert!(
        table.lines().any(|l| l.contains("agent_occupancy")),
        "every check is listed:\n{table}"
    );
    // The results are written even when a check fails.
    assert!(tmp.path().join("summary.csv").exists());
}

#[test]
fn passing_checks_exit_0() {
    let tmp = tempfile::tempdir().unwrap();
    // The shipped scenario as is (its checks must hold), without calls.csv.
    let o = run_ok("erlang_c", tmp.path(), &["--no-calls"]);
    let table = stdout(&o);
    assert!(!table.contains("FAIL"), "{table}");
    assert_eq!(
        table.lines().filter(|l| l.contains("pass")).count(),
        2,
        "{table}"
    );
}

#[test]
fn check_prints_the_model_and_exits_0() {
    for name in SCENARIOS {
        let o = telsim(&["check".to_string(), scenario(name)]);
        assert_eq!(o.status.code(), Some(0), "check {name}\n{}", describe(&o));
        let text = stdout(&o);
        assert!(
            text.contains(name),
            "check {name} does not name the scenario:\n{text}"
        );
    }
    let o = telsim(&["check".to_string(), scenario("erlang_c")]);
    let text = stdout(&o);
    for want in ["acme", "50 agent", "Evenly", "p95_wait_s", "Erlang C"] {
        assert!(
            text.contains(want),
            "check erlang_c lacks {want:?}:\n{text}"
        );
    }
    // `check` honours --set too.
    let o = telsim(&[
        "check".to_string(),
        scenario("erlang_c"),
        "--set".into(),
        "portals.acme.agents=60".into(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    assert!(stdout(&o).contains("60 agent"), "{}", describe(&o));
}

#[test]
fn bad_input_exits_2_and_io_errors_exit_3() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let bad: Vec<Vec<String>> = vec![
        vec!["run".into(), "scenarios/no_such_file.ron".into()],
        vec![
            "run".into(),
            scenario("erlang_c"),
            "--set".into(),
            "portals.acme.agents=0".into(),
        ],
        vec![
            "run".into(),
            scenario("erlang_c"),
            "--set".into(),
            "portals.nobody.agents=3".into(),
        ],
        vec![
            "run".into(),
            scenario("erlang_c"),
            "--set".into(),
            "not-an-assignment".into(),
        ],
        vec![
            "check".into(),
            scenario("erlang_c"),
            "--set".into(),
            "duration_s=-1.0".into(),
        ],
        vec!["frobnicate".into()],
    ];
    for mut args in bad {
        if args[0] == "run" {
            args.extend(["--out".to_string(), out.to_string_lossy().into_owned()]);
        }
        let o = telsim(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}\n{}", describe(&o));
        assert!(!o.stderr.is_empty(), "{args:?}: no message on stderr");
    }
    assert!(!out.exists(), "bad input must not create the output folder");

    // --out names an existing file: the run cannot write there.
    let file = tmp.path().join("a-file");
    fs::write(&file, "x").unwrap();
    let o = run("erlang_b", &file, &quick("erlang_b"));
    assert_eq!(o.status.code(), Some(3), "{}", describe(&o));
}

// ---------------------------------------------------------------------------
// 4. --set changes the model
// ---------------------------------------------------------------------------

#[test]
fn overrides_change_the_results() {
    let tmp = tempfile::tempdir().unwrap();
    let args = [&quick("erlang_c")[..], &["--no-calls"]].concat();
    let base = tmp.path().join("base");
    let more_agents = tmp.path().join("agents");
    let less_traffic = tmp.path().join("traffic");
    run_ok("erlang_c", &base, &args);
    // Checks may fail under these overrides; only the results matter here.
    let o = run(
        "erlang_c",
        &more_agents,
        &[&args[..], &["--set", "portals.acme.agents=60"]].concat(),
    );
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", describe(&o));
    let o = run(
        "erlang_c",
        &less_traffic,
        &[
            &args[..],
            &["--set", "portals.0.inbound.arrivals.per_hour=100.0"],
        ]
        .concat(),
    );
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", describe(&o));

    let (b, a, t) = (
        summary(&base),
        summary(&more_agents),
        summary(&less_traffic),
    );
    let asa = |s| mean(s, "platform", "asa_s");
    assert!(asa(&b) > 1.0, "the base case queues (asa {})", asa(&b));
    assert!(
        asa(&a) < asa(&b) / 2.0,
        "60 agents: asa {} vs {} with 50",
        asa(&a),
        asa(&b)
    );
    assert!(
        mean(&a, "platform", "agent_occupancy") < mean(&b, "platform", "agent_occupancy"),
        "more agents, lower occupancy"
    );
    let offered = |s| mean(s, "platform", "offered");
    // 100 calls/h instead of 1710 over the 6600 s statistics window.
    assert!(
        offered(&t) < offered(&b) / 5.0,
        "offered {} vs {}",
        offered(&t),
        offered(&b)
    );
    assert!(
        offered(&t) > 50.0 && offered(&t) < 400.0,
        "offered {} at 100 calls/h",
        offered(&t)
    );
    assert!(
        asa(&t) < asa(&b),
        "less traffic: asa {} vs {}",
        asa(&t),
        asa(&b)
    );
}

// ---------------------------------------------------------------------------
// 5. --no-calls, --help
// ---------------------------------------------------------------------------

#[test]
fn no_calls_writes_no_calls_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    // A calls.csv from an earlier run would not match the new results.
    fs::write(out.join("calls.csv"), "stale").unwrap();
    run_ok(
        "erlang_b",
        out,
        &[&quick("erlang_b")[..], &["--no-calls"]].concat(),
    );
    assert_eq!(
        files_in(out),
        [
            "alerts.csv",
            "datapackage.json",
            "intervals.csv",
            "portals.csv",
            "replications.csv",
            "summary.csv"
        ]
        .map(String::from)
        .into()
    );
}

#[test]
fn help_lists_the_commands() {
    for args in [vec!["--help"], vec!["help"], vec!["run", "--help"]] {
        let o = telsim(&args);
        assert_eq!(o.status.code(), Some(0), "{args:?}\n{}", describe(&o));
    }
    let text = stdout(&telsim(&["--help"]));
    assert!(
        text.lines().any(|l| l.trim_start().starts_with("run")),
        "{text}"
    );
    assert!(
        text.lines().any(|l| l.trim_start().starts_with("check")),
        "{text}"
    );
    let run_help = stdout(&telsim(&["run", "--help"]));
    for flag in [
        "--seed",
        "--replications",
        "--jobs",
        "--out",
        "--set",
        "--no-calls",
    ] {
        assert!(
            run_help.contains(flag),
            "run --help lacks {flag}:\n{run_help}"
        );
    }
}

// ---------------------------------------------------------------------------
// 6. Conservation, read back from calls.csv
// ---------------------------------------------------------------------------

#[test]
fn calls_csv_conserves_calls() {
    let tmp = tempfile::tempdir().unwrap();
    let reps = 3;
    run_ok(
        "call_centre",
        tmp.path(),
        &["--replications", &reps.to_string()],
    );
    let rows = calls(tmp.path());
    let mut per_rep: BTreeMap<u32, Vec<&BTreeMap<String, String>>> = BTreeMap::new();
    for r in &rows {
        per_rep
            .entry(r["replication"].parse().unwrap())
            .or_default()
            .push(r);
        let outcome = r["outcome"].as_str();
        assert!(OUTCOMES.contains(&outcome), "unknown outcome {outcome:?}");
        let answered = !r["answer_s"].is_empty();
        if r["direction"] == "outbound" {
            // An agent places it: the agent is named whatever the outcome.
            assert!(!r["agent"].is_empty(), "{r:?}");
            assert_eq!(answered, !r["talk_s"].is_empty(), "{r:?}");
            continue;
        }
        assert_eq!(r["direction"], "inbound");
        match outcome {
            "answered" => assert!(
                answered && !r["agent"].is_empty() && !r["talk_s"].is_empty(),
                "{r:?}"
            ),
            "unfinished" => assert_eq!(answered, !r["agent"].is_empty(), "{r:?}"),
            // A blind transfer nobody picked up ends in the target's voicemail.
            "voicemail" if !r["transfer"].is_empty() => assert!(
                answered && r["transfer"] == "blind" && r["leg3_talk_s"] == "0.000000",
                "{r:?}"
            ),
            _ => assert!(
                !answered && r["agent"].is_empty() && r["talk_s"].is_empty(),
                "{r:?}"
            ),
        }
        let t = |c: &str| r[c].parse::<f64>().unwrap();
        assert!(t("arrival_s") <= t("end_s"), "{r:?}");
        if answered {
            assert!(
                t("arrival_s") <= t("answer_s") && t("answer_s") <= t("end_s"),
                "{r:?}"
            );
        }
    }
    assert_eq!(
        per_rep.keys().copied().collect::<Vec<_>>(),
        (0..reps).collect::<Vec<_>>()
    );

    let mut answered_total = 0usize;
    for (rep, rs) in &per_rep {
        let ids: BTreeSet<u64> = rs.iter().map(|r| r["call_id"].parse().unwrap()).collect();
        let max = *ids.iter().max().unwrap();
        assert_eq!(
            rs.len(),
            ids.len(),
            "replication {rep}: a call_id appears twice"
        );
        assert_eq!(
            ids.len() as u64,
            max + 1,
            "replication {rep}: call ids have gaps"
        );
        answered_total += rs
            .iter()
            .filter(|r| r["outcome"] == "answered" && r["direction"] == "inbound")
            .count();
    }

    // The summary agrees (warm-up is zero in call_centre: every call counts;
    // `offered` is inbound calls, outbound ones are counted apart).
    let s = summary(tmp.path());
    let inbound = rows.iter().filter(|r| r["direction"] == "inbound").count();
    let outbound = rows.len() - inbound;
    assert!(outbound > 0, "call_centre's help desk calls back");
    assert!(
        (mean(&s, "platform", "outbound") - outbound as f64 / reps as f64).abs() < 1e-6,
        "outbound {outbound}"
    );
    let offered = inbound as f64 / reps as f64;
    assert!(
        (mean(&s, "platform", "offered") - offered).abs() < 1e-6,
        "offered {offered}"
    );
    let answered = answered_total as f64 / reps as f64;
    assert!(
        (mean(&s, "platform", "answered") - answered).abs() < 1e-6,
        "answered {answered}"
    );
    let by_portal: f64 = ["pizza", "clinic", "support"]
        .iter()
        .map(|p| mean(&s, p, "offered"))
        .sum();
    assert!(
        (by_portal - offered).abs() < 1e-6,
        "portals' offered add up to the platform's"
    );
}

/// DESIGN §4: summary metrics are over the calls that *arrived* after the
/// warm-up. Recomputed from calls.csv for erlang_c (warm-up 600 s here).
#[test]
fn summary_counts_calls_arriving_after_warmup() {
    let tmp = tempfile::tempdir().unwrap();
    let reps = 4.0;
    let warmup = 600.0;
    let o = run("erlang_c", tmp.path(), &quick("erlang_c"));
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", describe(&o));
    let rows = calls(tmp.path());
    let counted: Vec<_> = rows
        .iter()
        .filter(|r| r["arrival_s"].parse::<f64>().unwrap() >= warmup)
        .collect();
    assert!(
        counted.len() < rows.len(),
        "some calls arrive during warm-up"
    );
    let s = summary(tmp.path());
    let offered = counted.len() as f64 / reps;
    let answered = counted
        .iter()
        .filter(|r| r["outcome"] == "answered")
        .count() as f64
        / reps;
    let waits: Vec<f64> = counted
        .iter()
        .map(|r| r["wait_s"].parse::<f64>().unwrap())
        .collect();
    let asa = waits.iter().sum::<f64>() / waits.len() as f64; // all answered, patient callers
    assert!(
        (mean(&s, "platform", "offered") - offered).abs() < 1e-6,
        "summary offered {} but {offered} calls per replication arrived after warm-up",
        mean(&s, "platform", "offered")
    );
    assert!(
        (mean(&s, "platform", "answered") - answered).abs() < 1e-6,
        "answered {answered}"
    );
    // asa_s is a mean of per-replication means; with near-equal counts it is
    // close to the pooled mean.
    assert!(
        (mean(&s, "platform", "asa_s") - asa).abs() < 0.05 * asa.max(1.0),
        "asa {asa}"
    );
}

/// The scale benchmark's generator and the binary still fit together
/// (benchmarks do not run in CI, so a change to the scenario format could
/// break `bench/scale.sh` unnoticed; its 26 MB input against the size cap is
/// covered by `Limits::max_input`'s unit test). A 50-portal platform is
/// generated by `bench/gen_platform.py`, described by `telsim check` and run
/// for ten hours of its day (into the morning ramp, so calls arrive).
#[test]
fn the_scale_generator_makes_a_platform_that_runs() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("scale.ron");
    let generated = Command::new("python3")
        .current_dir(root())
        .args(["bench/gen_platform.py", "--portals", "50", "--out"])
        .arg(&file)
        .output()
        .expect("python3 runs (every machine of this kind has it)");
    assert!(
        generated.status.success(),
        "gen_platform.py: {}",
        String::from_utf8_lossy(&generated.stderr)
    );
    let file = file.to_string_lossy().into_owned();
    let checked = telsim(&["check", &file]);
    assert_eq!(checked.status.code(), Some(0), "{}", describe(&checked));
    assert!(
        stdout(&checked).contains("platform_50"),
        "{}",
        describe(&checked)
    );
    let out = dir.path().join("out");
    let ran = telsim(&[
        "run",
        &file,
        "--set",
        "duration_s=36000",
        "--no-calls",
        "--quiet",
        "--out",
        &out.to_string_lossy(),
    ]);
    assert_eq!(ran.status.code(), Some(0), "{}", describe(&ran));
    let offered = summary(&out)[&("platform".to_string(), "offered".to_string())];
    assert!(offered.is_some_and(|n| n > 100.0), "offered {offered:?}");
}
