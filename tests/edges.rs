//! The edges of every verb, through the real binary: what is printed to a
//! closed or full stdout/stderr, special files given as inputs, a run or
//! sweep folder that must never mix two runs, signals during sweep and
//! size, and the input checks that refuse what no run could mean.
//! docs/robustness.md states the guarantees these tests hold.

mod common;

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{describe, root, scenario};

const BIN: &str = env!("CARGO_BIN_EXE_telsim");

fn telsim_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .output()
        .expect("the telsim binary runs")
}

/// Runs with stdout (or stderr) redirected to `/dev/full`.
fn to_dev_full(dir: &Path, args: &[&str], stderr_too: bool) -> Output {
    let full = || {
        fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap()
    };
    let mut c = Command::new(BIN);
    c.args(args)
        .current_dir(dir)
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .stdout(full());
    if stderr_too {
        c.stderr(full());
    } else {
        c.stderr(Stdio::piped());
    }
    c.output().expect("the telsim binary runs")
}

/// Runs with stdout (`err` false) or stderr a pipe whose read end is closed
/// before telsim writes: `telsim … | head -0`.
fn to_closed_pipe(dir: &Path, args: &[&str], err: bool) -> (Option<i32>, String) {
    let mut c = Command::new(BIN);
    c.args(args)
        .current_dir(dir)
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null());
    if err {
        c.stderr(Stdio::piped()).stdout(Stdio::piped());
    } else {
        c.stdout(Stdio::piped()).stderr(Stdio::piped());
    }
    let mut child = c.spawn().unwrap();
    let mut other = String::new();
    if err {
        drop(child.stderr.take());
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut other)
            .unwrap();
    } else {
        drop(child.stdout.take());
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut other)
            .unwrap();
    }
    (child.wait().unwrap().code(), other)
}

fn no_panic(what: &str, text: &str) {
    assert!(
        !text.contains("panicked") && !text.contains("RUST_BACKTRACE"),
        "{what}: {text}"
    );
}

/// A small complete run folder (2 replications of erlang_c).
fn small_run(dir: &Path, out: &str, seed: &str) {
    let o = telsim_in(
        dir,
        &[
            "run",
            &scenario("erlang_c"),
            "--out",
            out,
            "--seed",
            seed,
            "--replications",
            "2",
            "-q",
        ],
    );
    assert!(o.status.success(), "{}", describe(&o));
}

/// Every file under `dir` with its bytes, names relative to `dir`.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.push((p.strip_prefix(dir).unwrap().to_path_buf(), Vec::new()));
                stack.push(p);
            } else {
                let bytes = fs::read(&p).unwrap();
                out.push((p.strip_prefix(dir).unwrap().to_path_buf(), bytes));
            }
        }
    }
    out.sort();
    out
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn a_full_stdout_or_stderr_is_an_io_error_not_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    small_run(d, "a", "1");
    small_run(d, "b", "2");
    let erlang_c = scenario("erlang_c");
    let cases: Vec<Vec<&str>> = vec![
        vec!["check", &erlang_c],
        vec![
            "run",
            &erlang_c,
            "--out",
            "r1",
            "--replications",
            "2",
            "--format",
            "json",
        ],
        vec!["run", &erlang_c, "--out", "r2", "--replications", "2"],
        vec!["diff", "a", "b"],
        vec!["report", "a", "--out", "rep"],
        vec!["--help"],
    ];
    for args in &cases {
        let o = to_dev_full(d, args, false);
        let stderr = String::from_utf8_lossy(&o.stderr);
        no_panic(&args.join(" "), &stderr);
        assert_eq!(o.status.code(), Some(3), "{args:?} > /dev/full: {stderr}");
        if args[0] != "--help" {
            assert!(
                stderr.contains("error: writing to stdout: No space left on device"),
                "{args:?}: {stderr}"
            );
        }
    }
    // stderr full as well: exit 3, nothing to say it on.
    for args in [&cases[0], &cases[2]] {
        let o = to_dev_full(d, args, true);
        assert_eq!(o.status.code(), Some(3), "{args:?} >/dev/full 2>&1");
    }
    // Only stderr full: `run` wrote its files but its report was lost.
    let o = Command::new(BIN)
        .args(["run", &erlang_c, "--out", "r3", "--replications", "2"])
        .current_dir(d)
        .stdout(Stdio::null())
        .stderr(
            fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .unwrap(),
        )
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3), "run 2>/dev/full");
}

#[test]
fn a_closed_pipe_ends_quietly_with_the_commands_own_code() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    small_run(d, "a", "1");
    let erlang_c = scenario("erlang_c");
    for (args, code) in [
        (vec!["check", erlang_c.as_str()], 0),
        (vec!["diff", "a", "a"], 0),
        (vec!["diff", "a", "a", "--format", "json"], 0),
        (vec!["report", "a", "--out", "rep"], 0),
        (
            vec![
                "routes",
                "topologies/two_dc.ron",
                "--fail-link",
                "office-msk",
            ],
            0,
        ),
    ] {
        let dir = if args[0] == "routes" {
            root()
        } else {
            d.to_path_buf()
        };
        let (got, stderr) = to_closed_pipe(&dir, &args, false);
        no_panic(&args.join(" "), &stderr);
        assert_eq!(got, Some(code), "{args:?} | (closed): {stderr}");
        assert!(!stderr.contains("error"), "{args:?}: {stderr}");
    }
    // stderr closed: the run still succeeds and says nothing.
    let (got, stdout) = to_closed_pipe(
        d,
        &["run", &erlang_c, "--out", "r", "--replications", "2"],
        true,
    );
    no_panic("run 2>|closed", &stdout);
    assert_eq!(got, Some(0));
}

fn mkfifo(path: &Path) {
    let st = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(st.success());
}

/// Refused at once with exit 2 and `expected` on stderr.
fn refused_fast(dir: &Path, args: &[&str], expected: &str) {
    let started = Instant::now();
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{args:?} hung");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    no_panic(&args.join(" "), &stderr);
    assert_eq!(status.code(), Some(2), "{args:?}: {stderr}");
    assert!(stderr.contains(expected), "{args:?}: {stderr}");
}

#[test]
fn special_files_are_refused_at_once_by_every_verb() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    mkfifo(&d.join("f.ron"));
    refused_fast(d, &["run", "f.ron", "--out", "o"], "is a FIFO");
    refused_fast(d, &["check", "f.ron"], "is a FIFO");
    refused_fast(d, &["check", "/dev/zero"], "is a device");
    fs::create_dir(d.join("dir.ron")).unwrap();
    std::os::unix::fs::symlink(d.join("dir.ron"), d.join("link.ron")).unwrap();
    refused_fast(d, &["check", "link.ron"], "is a directory");

    small_run(d, "a", "1");
    // calls.csv → /dev/zero: report used to read until memory ran out.
    fs::remove_file(d.join("a/calls.csv")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", d.join("a/calls.csv")).unwrap();
    refused_fast(
        d,
        &["report", "a", "--out", "rep"],
        "calls.csv: is a device",
    );
    fs::remove_file(d.join("a/calls.csv")).unwrap();
    fs::rename(d.join("a/intervals.csv"), d.join("intervals.bak")).unwrap();
    mkfifo(&d.join("a/intervals.csv"));
    refused_fast(
        d,
        &["report", "a", "--out", "rep"],
        "intervals.csv: is a FIFO",
    );
    mkfifo(&d.join("summary.csv"));
    refused_fast(d, &["diff", "a", "summary.csv"], "summary.csv: is a FIFO");
    refused_fast(d, &["diff", "/dev/zero", "a"], "is a device");
    fs::create_dir(d.join("shard")).unwrap();
    mkfifo(&d.join("shard/sweep-shard.txt"));
    refused_fast(d, &["merge", "shard", "--out", "m"], "is a FIFO");
}

/// The issue's case: a complete run, then summary.csv replaced by a folder,
/// then a run with another seed. It fails (exit 3) and the folder holds the
/// first run's files exactly, with no temporary beside them.
#[test]
fn a_failed_commit_leaves_every_old_file_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    small_run(d, "out", "1");
    fs::remove_file(d.join("out/summary.csv")).unwrap();
    fs::create_dir_all(d.join("out/summary.csv/x")).unwrap();
    let before = snapshot(&d.join("out"));
    let o = telsim_in(
        d,
        &[
            "run",
            &scenario("erlang_c"),
            "--out",
            "out",
            "--seed",
            "2",
            "--replications",
            "2",
            "-q",
        ],
    );
    assert_eq!(o.status.code(), Some(3), "{}", describe(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("a folder is in the way"), "{stderr}");
    assert_eq!(snapshot(&d.join("out")), before, "old files changed");
}

/// A normal run removes every partial file of an earlier interrupted run
/// and its note, but keeps a user's file that merely looks like a
/// temporary.
#[test]
fn a_complete_run_removes_all_partial_files_and_only_telsims_temporaries() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let out = d.join("out");
    fs::create_dir(&out).unwrap();
    for n in [
        "alerts.partial.csv",
        "portals.partial.csv",
        "summary.partial.csv",
        "calls.partial.csv",
        "trace.partial.log",
        "INCOMPLETE",
        // A dead PID (above Linux's largest), telsim's own prefix.
        ".telsim-partial-4194999-summary.csv",
    ] {
        fs::write(out.join(n), "old").unwrap();
    }
    fs::write(out.join(".x.partial-4194999"), "the user's").unwrap();
    fs::write(out.join("notes.txt"), "the user's").unwrap();
    small_run(d, "out", "1");
    assert_eq!(
        names(&out),
        [
            ".x.partial-4194999",
            "alerts.csv",
            "calls.csv",
            "datapackage.json",
            "intervals.csv",
            "notes.txt",
            "portals.csv",
            "replications.csv",
            "summary.csv"
        ]
    );
}

fn sweep(dir: &Path, vary: &str, out: &str) -> Output {
    telsim_in(
        dir,
        &[
            "sweep",
            &scenario("erlang_c"),
            "--vary",
            vary,
            "--set",
            "replications=2",
            "--out",
            out,
            "-q",
        ],
    )
}

#[test]
fn a_smaller_sweep_replaces_a_bigger_one_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let o = sweep(d, "portals.0.agents=20,21,22", "sw");
    assert!(o.status.success(), "{}", describe(&o));
    assert_eq!(names(&d.join("sw/points")), ["0000", "0001", "0002"]);
    let o = sweep(d, "portals.0.agents=23", "sw");
    assert!(o.status.success(), "{}", describe(&o));
    assert_eq!(names(&d.join("sw/points")), ["0000"]);
    assert_eq!(names(d), ["sw"], "no staging or old folder beside it");
    let csv = fs::read_to_string(d.join("sw/sweep.csv")).unwrap();
    assert!(csv.lines().skip(1).all(|l| l.starts_with("0,23,")), "{csv}");
    // A folder that is not a sweep's is not replaced.
    fs::create_dir(d.join("mine")).unwrap();
    fs::write(d.join("mine/thesis.tex"), "precious").unwrap();
    let o = sweep(d, "portals.0.agents=23", "mine");
    assert_eq!(o.status.code(), Some(3), "{}", describe(&o));
    assert_eq!(
        fs::read_to_string(d.join("mine/thesis.tex")).unwrap(),
        "precious"
    );
}

/// Sends SIGINT after `after` and returns the exit code, stderr and how
/// long the process took to stop after the signal.
fn interrupt(dir: &Path, args: &[&str], after: Duration) -> (Option<i32>, String, Duration) {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(after);
    let sent = Instant::now();
    let st = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let status = child.wait().unwrap();
    let took = sent.elapsed();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (status.code(), stderr, took)
}

#[test]
fn sweep_and_size_stop_on_sigint_and_keep_the_previous_result() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let o = sweep(d, "portals.0.agents=20", "sw");
    assert!(o.status.success(), "{}", describe(&o));
    let before = snapshot(&d.join("sw"));
    let erlang_c = scenario("erlang_c");
    let (code, stderr, took) = interrupt(
        d,
        &[
            "sweep",
            &erlang_c,
            "--vary",
            "portals.0.agents=20..40",
            "--set",
            "replications=2000",
            "--out",
            "sw",
        ],
        Duration::from_millis(1500),
    );
    no_panic("sweep", &stderr);
    assert_eq!(code, Some(130), "{stderr}");
    assert!(took < Duration::from_secs(2), "took {took:?}");
    assert!(stderr.contains("sw is as it was"), "{stderr}");
    assert_eq!(snapshot(&d.join("sw")), before);
    assert_eq!(names(d), ["sw"], "no staging folder left");

    let (code, stderr, took) = interrupt(
        d,
        &[
            "size",
            &erlang_c,
            "--target",
            "p95_wait_s<=1",
            "--set",
            "replications=2000",
            "--out",
            "sz",
        ],
        Duration::from_millis(1500),
    );
    no_panic("size", &stderr);
    assert_eq!(code, Some(130), "{stderr}");
    assert!(took < Duration::from_secs(2), "took {took:?}");
    assert!(stderr.contains("interrupted while running"), "{stderr}");
}

#[test]
fn unreachable_targets_and_pointless_ranges_are_bad_input() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let erlang_c = scenario("erlang_c");
    for (args, expected) in [
        (
            vec!["size", &erlang_c, "--target", "service_level>=1.5"],
            "can never be met",
        ),
        (
            vec!["size", &erlang_c, "--target", "asa_s<=-1"],
            "can never be met",
        ),
        (
            vec![
                "sweep",
                &erlang_c,
                "--vary",
                "portals.0.agents=1..2:1e-20",
                "--out",
                "s",
            ],
            "more than 100000",
        ),
    ] {
        refused_fast(d, &args, expected);
    }
    assert!(!d.join("s").exists());
}
