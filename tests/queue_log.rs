//! `telsim run --queue-log`: the queue_log is replication 0 of the run, in
//! time order, byte-identical for any --jobs, absent without the flag, and
//! read back by telsim's own queue_log reader into the calls of calls.csv.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use common::{describe, scenario, telsim, tree};
use telsim::logs::{self, LogFormat, LogItem, LoggedOutcome};

fn run(dir: &Path, extra: &[&str]) {
    let mut args = vec![
        "run",
        "-q",
        "--replications",
        "3",
        "--out",
        dir.to_str().unwrap(),
    ];
    let sc = scenario("call_centre");
    args.insert(1, &sc);
    args.extend_from_slice(extra);
    let o = telsim(&args);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", describe(&o));
}

#[test]
fn queue_log_is_replication_0_in_time_order_and_reads_back_as_calls_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    let plain = tmp.path().join("plain");
    run(&a, &["--queue-log", "--jobs", "1"]);
    run(&b, &["--queue-log", "--jobs", "2"]);
    run(&plain, &["--jobs", "1"]);
    assert_eq!(tree(&a), tree(&b), "byte-identical whatever --jobs");
    assert!(!plain.join("queue_log").exists());
    // The flag adds one file and changes none of the others.
    let mut with = tree(&a);
    assert!(with.remove("queue_log").is_some());
    assert_eq!(with, tree(&plain));

    let text = fs::read_to_string(a.join("queue_log")).unwrap();
    let times: Vec<i64> = text
        .lines()
        .map(|l| l.split('|').next().unwrap().parse().unwrap())
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "lines in time order"
    );
    for ev in [
        "AGENTLOGIN",
        "ENTERQUEUE",
        "CONNECT",
        "COMPLETECALLER",
        "ABANDON",
        "EXITWITHTIMEOUT",
        "TRANSFER",
        "AGENTLOGOFF",
    ] {
        assert!(text.contains(&format!("|{ev}|")), "some {ev}");
    }

    // Replication 0's queued inbound calls of calls.csv, by call id.
    let calls = fs::read_to_string(a.join("calls.csv")).unwrap();
    let mut rows = calls.lines();
    let head: Vec<&str> = rows.next().unwrap().split(',').collect();
    let col = |n: &str| head.iter().position(|h| *h == n).unwrap();
    let (rep, id, arr, steps, wait, outcome, dir) = (
        col("replication"),
        col("call_id"),
        col("arrival_s"),
        col("steps_s"),
        col("wait_s"),
        col("outcome"),
        col("direction"),
    );
    let (answer, agent) = (col("answer_s"), col("agent"));
    let mut want: BTreeMap<String, (i64, String)> = BTreeMap::new();
    for r in rows {
        let f: Vec<&str> = r.split(',').collect();
        if f[rep] != "0" || f[dir] != "inbound" || f[wait].is_empty() || f[outcome] == "unfinished"
        {
            continue;
        }
        let enter: f64 = f[arr].parse::<f64>().unwrap() + f[steps].parse::<f64>().unwrap();
        let origin = telsim::output::QUEUE_LOG_ORIGIN_S;
        // An agent answered (and maybe transferred it to voicemail).
        let by_agent = !f[answer].is_empty() && f[agent] != "-";
        let expect = match f[outcome] {
            _ if by_agent => "answered",
            "abandoned" => "abandoned",
            _ => "timed_out",
        };
        want.insert(
            format!("{origin}.{}", f[id]),
            (origin + enter.round() as i64, expect.to_string()),
        );
    }
    assert!(want.len() > 100, "a real day: {} calls", want.len());
    let mut got: BTreeMap<String, (i64, String)> = BTreeMap::new();
    for item in logs::read(&a.join("queue_log"), &LogFormat::QueueLog).unwrap() {
        let LogItem::Call(c) = item.unwrap() else {
            continue;
        };
        if c.outcome == LoggedOutcome::Unfinished {
            continue;
        }
        let o = match c.outcome {
            LoggedOutcome::Answered => "answered",
            LoggedOutcome::Abandoned => "abandoned",
            LoggedOutcome::TimedOut => "timed_out",
            _ => "other",
        };
        got.insert(c.id.clone(), (c.arrival_s.round() as i64, o.to_string()));
    }
    assert_eq!(got.len(), want.len(), "one logged call per queued call");
    for (k, (t, outcome)) in &want {
        let (gt, go) = &got[k];
        assert_eq!(gt, t, "{k}: ENTERQUEUE time");
        assert_eq!(go, outcome, "{k}: outcome");
    }
}

#[test]
fn a_later_run_without_the_flag_removes_the_queue_log() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("d");
    run(&d, &["--queue-log"]);
    assert!(d.join("queue_log").exists());
    run(&d, &[]);
    assert!(
        !d.join("queue_log").exists(),
        "it would not match the new run"
    );
}
