//! `telsim backtest`: a scenario passes against a queue_log it made itself
//! with another seed, and fails on the wait KPIs against a day made with 20%
//! fewer agents; bad input exits 2 with a located message.

mod common;

use std::fs;
use std::path::Path;

use common::{describe, scenario, telsim};

/// A queue_log of erlang_c's day with seed 7 and these overrides.
fn day(dir: &Path, sets: &[&str]) -> String {
    let mut args = vec![
        "run".to_string(),
        scenario("erlang_c"),
        "-q".into(),
        "--queue-log".into(),
        "--no-calls".into(),
        "--replications".into(),
        "1".into(),
        "--set".into(),
        "seed=7".into(),
        "--out".into(),
        dir.to_string_lossy().into_owned(),
    ];
    for s in sets {
        args.push("--set".into());
        args.push(s.to_string());
    }
    let o = telsim(&args);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", describe(&o));
    dir.join("queue_log").to_string_lossy().into_owned()
}

#[test]
fn a_day_of_the_same_scenario_passes_and_one_with_fewer_agents_fails_on_waits() {
    let tmp = tempfile::tempdir().unwrap();
    let same = day(&tmp.path().join("same"), &[]);
    let out = tmp.path().join("bt");
    let o = telsim(&[
        "backtest",
        &same,
        &scenario("erlang_c"),
        "--interval",
        "1h",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    let csv = fs::read_to_string(out.join("backtest.csv")).unwrap();
    assert!(csv.starts_with("interval,start_s,kpi,log,mean,"));
    // The whole day and ten hours, five KPIs each.
    assert_eq!(csv.lines().count(), 1 + 11 * 5);

    // 40 agents for 47.5 Erlangs: the queue grows all day.
    let few = day(&tmp.path().join("few"), &["portals.acme.agents=40"]);
    let o = telsim(&[
        "backtest",
        &few,
        &scenario("erlang_c"),
        "--interval",
        "1h",
        "--format-out",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", describe(&o));
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let verdict = |kpi: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["kpi"] == kpi && r["interval"].is_null())
            .unwrap()["pass"]
            .clone()
    };
    assert_eq!(verdict("asa_s"), serde_json::json!(false));
    assert_eq!(verdict("service_level"), serde_json::json!(false));
    // The arrivals are the scenario's: the counts still pass.
    assert_eq!(verdict("offered"), serde_json::json!(true));
}

#[test]
fn bad_input_is_located_and_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("bad_log");
    fs::write(
        &log,
        "1767571200|1.1|q|NONE|ENTERQUEUE||x|1\nnot a time|1.2|q|NONE|ENTERQUEUE||x|1\n",
    )
    .unwrap();
    let o = telsim(&["backtest", log.to_str().unwrap(), &scenario("erlang_c")]);
    assert_eq!(o.status.code(), Some(2), "{}", describe(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("bad_log:2"), "{err}");
    let o = telsim(&[
        "backtest",
        log.to_str().unwrap(),
        &scenario("erlang_c"),
        "--interval",
        "3x",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", describe(&o));
}
