//! Model rules that only show in a whole run, checked through the binary:
//! prepaid credit, failures of nodes, loop-free alternates in both media
//! directions, where callers give up, spread SIP refreshes, and transfers
//! that could not happen.

mod common;

use std::path::Path;

use common::{describe, telsim};

/// Writes `text` as `name` in `dir` and returns its path.
fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

/// Runs `scenario` into `dir/out` (quiet, extra args appended) and returns
/// the output folder; panics with the run's account unless it exits 0.
fn run(dir: &Path, scenario: &str, extra: &[&str]) -> std::path::PathBuf {
    let out = dir.join("out");
    let mut args = vec!["run", scenario, "--out", out.to_str().unwrap(), "-q"];
    args.extend_from_slice(extra);
    let o = telsim(&args);
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    out
}

/// Rows of a CSV file as maps from header to value.
fn rows(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_owned)
        .collect();
    lines
        .map(|l| {
            header
                .iter()
                .cloned()
                .zip(l.split(',').map(str::to_owned))
                .collect()
        })
        .collect()
}

const PREPAID: &str = r#"Scenario(
    name: "prepaid", seed: 3, replications: 3, duration_s: 7200.0,
    portals: [Portal(
        name: "p", currency: RUB, balance: 10.0, agents: 50,
        inbound: Traffic(arrivals: Poisson(per_hour: 0.001), talk_s: Exp(mean: 120.0)),
        outbound: Some(Outbound(
            per_agent_per_hour: 30.0,
            talk_s: Exp(mean: 110.0),
            destinations: [Destination(number: "8 (495) 445-11-20", share: 1.0)],
        )),
        tariffs: [Tariff(prefix: "7", per_min: 1.5)],
        cut_on_zero: true,
    )],
)"#;

/// 50 agents dialling out on 10 RUB at once: each connecting call holds the
/// credit its talk may use, so the calls together never spend more than the
/// balance (one 60 s increment at 1.5 RUB a minute is the most allowed).
#[test]
fn prepaid_calls_never_overdraw_the_balance() {
    let tmp = tempfile::tempdir().unwrap();
    let sc = write(tmp.path(), "prepaid.ron", PREPAID);
    let out = run(tmp.path(), &sc, &["--jobs", "1"]);
    let portals = rows(&out.join("portals.csv"));
    assert_eq!(portals.len(), 3);
    for r in &portals {
        let end: f64 = r["end_balance"].parse().unwrap();
        assert!(end >= -1.5, "end balance {end} RUB: {r:?}");
        let charged: f64 = r["charged"].parse().unwrap();
        assert!(charged <= 11.5, "charged {charged} RUB of 10");
        assert!(r["outbound_answered"].parse::<u32>().unwrap() >= 1);
    }
}
