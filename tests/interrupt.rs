//! SIGINT and SIGTERM stop a run gracefully: exit code 130, replications in
//! flight stopped, completed ones written under `*.partial.csv` names with an
//! `INCOMPLETE` note, and never a file under a final name (`summary.csv`…).
//! The signal is sent to the real binary while it simulates.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_telsim");
const FINAL_NAMES: [&str; 4] = ["calls.csv", "intervals.csv", "links.csv", "summary.csv"];

fn scenario(name: &str) -> String {
    format!("{}/scenarios/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Starts a long run, sends `signal` after `after`, and returns the exit code
/// and stderr.
fn interrupt(signal: &str, out: &Path, after: Duration) -> (Option<i32>, String) {
    let out_s = out.to_str().unwrap();
    let child = Command::new(BIN)
        .args([
            "run",
            &scenario("bench_mmc.ron"),
            "--replications",
            // Far more than finish before the signal on a fast, idle
            // machine (40 could all finish in 2.5 s), so it lands mid-run.
            "400",
            "--jobs",
            "1",
            "--set",
            "duration_s=300000",
            "--out",
            out_s,
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start telsim");
    std::thread::sleep(after);
    let sent = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
    let started = Instant::now();
    let output = child.wait_with_output().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?} to stop after {signal}",
        started.elapsed()
    );
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// What must hold in `out` after an interrupted run; returns the
/// replications the note says were completed.
fn check_partial_outputs(out: &Path) -> usize {
    let names: Vec<String> = std::fs::read_dir(out)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    for f in FINAL_NAMES {
        assert!(!names.iter().any(|n| n == f), "{f} written: {names:?}");
    }
    assert!(
        !names.iter().any(|n| n.starts_with('.')),
        "temporary files left behind: {names:?}"
    );
    let note = std::fs::read_to_string(out.join("INCOMPLETE")).expect("INCOMPLETE note");
    let list = note
        .split_once('[')
        .and_then(|(_, r)| r.split_once(']'))
        .map(|(l, _)| l)
        .expect("note lists the replications");
    let completed = list.split(", ").filter(|s| !s.is_empty()).count();
    if completed > 0 {
        let summary = std::fs::read_to_string(out.join("summary.partial.csv")).unwrap();
        let offered = summary
            .lines()
            .find(|l| l.starts_with("platform,offered,"))
            .expect("offered row");
        let n: usize = offered.split(',').nth(5).unwrap().parse().unwrap();
        assert_eq!(n, completed, "{offered}");
        let calls = std::fs::read_to_string(out.join("calls.partial.csv")).unwrap();
        assert!(calls.starts_with("replication,"));
        let reps: std::collections::BTreeSet<&str> = calls
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap())
            .collect();
        assert_eq!(reps.len(), completed);
    } else {
        assert!(
            !names.iter().any(|n| n.ends_with(".partial.csv")),
            "{names:?}"
        );
    }
    assert!(completed < 400, "the run was not interrupted: {note}");
    completed
}

#[test]
fn sigint_keeps_completed_replications_under_partial_names_and_exits_130() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let (code, stderr) = interrupt("INT", &out, Duration::from_millis(2500));
    assert_eq!(code, Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    check_partial_outputs(&out);

    // A complete run into the same folder replaces the partial results.
    let status = Command::new(BIN)
        .args(["run", &scenario("erlang_b.ron"), "-q", "--out"])
        .arg(&out)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.code().is_some_and(|c| c <= 1), "{status:?}");
    assert!(out.join("summary.csv").exists());
    assert!(!out.join("INCOMPLETE").exists());
    assert!(!out.join("summary.partial.csv").exists());
}

#[test]
fn sigterm_stops_a_run_the_same_way() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let (code, stderr) = interrupt("TERM", &out, Duration::from_millis(1500));
    assert_eq!(code, Some(130), "{stderr}");
    check_partial_outputs(&out);
}
