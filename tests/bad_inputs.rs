//! Bad input never panics and always exits with code 2 and a message that says
//! where and what.
//!
//! Data-driven: every `tests/bad_inputs/NAME.ron` is a broken scenario and
//! `NAME.expected` lists, one per line, substrings that stderr must contain
//! (blank lines are ignored). Each file is fed to the real binary as
//! `telsim check FILE` and as `telsim run FILE --out DIR`; both must exit with
//! exactly 2, print every expected substring on stderr, not panic, and `run`
//! must not leave any CSV behind. Bad command lines are tested the same way.
//!
//! Every invocation runs under a timeout, and all failures are collected and
//! reported together rather than stopping at the first.

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_telsim");
/// Bad input must be refused at once; anything slower is a hang or a file
/// that was accepted and simulated.
const TIMEOUT: Duration = Duration::from_secs(15);
const EXIT_BAD_INPUT: i32 = 2;

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Outcome {
    status: Option<ExitStatus>,
    stderr: String,
    timed_out: bool,
}

/// Runs the binary in `cwd` with `args`, killing it after `TIMEOUT`.
fn run_telsim(args: &[OsString], cwd: &Path) -> Outcome {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(cwd)
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start the telsim binary");
    let mut pipe = child.stderr.take().expect("stderr is piped");
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    });
    let deadline = Instant::now() + TIMEOUT;
    let (status, timed_out) = loop {
        match child.try_wait().expect("cannot wait for telsim") {
            Some(s) => break (Some(s), false),
            None if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break (None, true);
            }
            None => std::thread::sleep(Duration::from_millis(10)),
        }
    };
    let stderr = reader.join().unwrap_or_default();
    Outcome {
        status,
        stderr,
        timed_out,
    }
}

/// CSV files anywhere under `dir` (which may not exist).
fn csv_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "csv") {
                found.push(p);
            }
        }
    }
    found
}

/// One invocation and what must hold for it.
struct Case {
    label: String,
    args: Vec<OsString>,
    expected: Vec<String>,
    /// For `run`: this folder must hold no CSV afterwards.
    out_dir: Option<PathBuf>,
}

impl Case {
    /// Runs the case; `None` when it behaved, otherwise why not.
    fn check(&self, cwd: &Path) -> Option<String> {
        let o = run_telsim(&self.args, cwd);
        let mut why = Vec::new();
        if o.timed_out {
            why.push(format!(
                "did not finish within {} s (killed)",
                TIMEOUT.as_secs()
            ));
        } else {
            let code = o.status.and_then(|s| s.code());
            if code != Some(EXIT_BAD_INPUT) {
                why.push(format!(
                    "exit code {code:?}, expected Some({EXIT_BAD_INPUT})"
                ));
            }
        }
        if o.stderr.contains("panicked") {
            why.push("panicked".to_string());
        }
        for want in &self.expected {
            if !o.stderr.contains(want.as_str()) {
                why.push(format!("stderr lacks {want:?}"));
            }
        }
        if let Some(dir) = &self.out_dir {
            let csv = csv_files(dir);
            if !csv.is_empty() {
                why.push(format!("wrote CSV files: {csv:?}"));
            }
        }
        if why.is_empty() {
            return None;
        }
        let args: Vec<_> = self
            .args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let stderr: String = o
            .stderr
            .lines()
            .take(20)
            .map(|l| format!("\n      | {l}"))
            .collect();
        Some(format!(
            "{}\n    telsim {}\n    - {}\n    stderr:{}",
            self.label,
            args.join(" "),
            why.join("\n    - "),
            if stderr.is_empty() {
                " (empty)".to_string()
            } else {
                stderr
            }
        ))
    }
}

fn os(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// `check` and `run` cases for every broken scenario file.
fn file_cases(tmp: &Path, problems: &mut Vec<String>) -> Vec<Case> {
    let dir = manifest_dir().join("tests").join("bad_inputs");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .collect();
    files.sort();
    if files.len() < 20 {
        problems.push(format!(
            "only {} bad scenario files in {}, want at least 20",
            files.len(),
            dir.display()
        ));
    }

    let mut cases = Vec::new();
    for file in files {
        let name = file.file_stem().unwrap().to_string_lossy().into_owned();
        // Raw bytes: a file may be deliberately broken UTF-8.
        let text = std::fs::read(&file).unwrap();
        if !text.starts_with(b"//") {
            problems.push(format!(
                "{name}.ron: must start with a `//` comment saying what is broken"
            ));
        }
        let expected_path = file.with_extension("expected");
        let expected: Vec<String> = match std::fs::read_to_string(&expected_path) {
            Ok(t) => t
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(String::from)
                .collect(),
            Err(e) => {
                problems.push(format!("{}: {e}", expected_path.display()));
                continue;
            }
        };
        if expected.is_empty() {
            problems.push(format!(
                "{}: lists no expected substrings",
                expected_path.display()
            ));
        }
        cases.push(Case {
            label: format!("{name}.ron (check)"),
            args: vec!["check".into(), file.clone().into()],
            expected: expected.clone(),
            out_dir: None,
        });
        let out = tmp.join(format!("out-{name}"));
        cases.push(Case {
            label: format!("{name}.ron (run)"),
            args: vec![
                "run".into(),
                file.into(),
                "--out".into(),
                out.clone().into(),
            ],
            expected,
            out_dir: Some(out),
        });
    }
    cases
}

/// Bad command lines on otherwise good scenarios.
fn cli_cases(tmp: &Path) -> Vec<Case> {
    let erlang_c = manifest_dir().join("scenarios").join("erlang_c.ron");
    let scenario = erlang_c.to_str().expect("UTF-8 path");
    let out = |label: &str| tmp.join(format!("cli-{label}"));
    let mut cases = Vec::new();
    let mut add =
        |label: &str, args: Vec<OsString>, expected: &[&str], out_dir: Option<PathBuf>| {
            cases.push(Case {
                label: format!("cli: {label}"),
                args,
                expected: strings(expected),
                out_dir,
            });
        };

    // --set, in both subcommands (run must not write anything either).
    let set_cases: [(&str, &str, &[&str]); 7] = [
        (
            "set unknown portal",
            "portals.nope.agents=3",
            &["portals.nope.agents=3", "'nope'"],
        ),
        (
            "set value of the wrong type",
            "portals.acme.agents=abc",
            &["portals.acme.agents=abc"],
        ),
        ("set without '='", "noequals", &["noequals", "PATH=VALUE"]),
        (
            "set with an empty value",
            "portals.acme.agents=",
            &["portals.acme.agents=", "PATH=VALUE"],
        ),
        (
            "set unknown field",
            "portals.acme.agnets=3",
            &["portals.acme.agnets=3", "agnets"],
        ),
        (
            "set index out of range",
            "portals.5.agents=3",
            &["portals.5.agents=3", "index 5"],
        ),
        (
            "set invalid value",
            "replications=0",
            &["replications", "at least 1"],
        ),
    ];
    for (label, set, expected) in set_cases {
        add(
            &format!("check --set {label}"),
            os(&["check", scenario, "--set", set]),
            expected,
            None,
        );
        let dir = out(&label.replace(' ', "-"));
        let args = vec![
            "run".into(),
            scenario.into(),
            "--set".into(),
            set.into(),
            "--out".into(),
            dir.clone().into(),
        ];
        add(&format!("run --set {label}"), args, expected, Some(dir));
    }

    let missing = tmp.join("does-not-exist.ron");
    let missing_s = missing.to_str().expect("UTF-8 path");
    add(
        "check missing file",
        os(&["check", missing_s]),
        &["does-not-exist.ron"],
        None,
    );
    let dir = out("missing");
    add(
        "run missing file",
        os(&["run", missing_s, "--out", dir.to_str().unwrap()]),
        &["does-not-exist.ron"],
        Some(dir),
    );

    let dir = out("jobs0");
    add(
        "run --jobs 0",
        os(&[
            "run",
            scenario,
            "--jobs",
            "0",
            "--out",
            dir.to_str().unwrap(),
        ]),
        &["--jobs"],
        Some(dir),
    );
    let dir = out("jobs-abc");
    add(
        "run --jobs abc",
        os(&[
            "run",
            scenario,
            "--jobs",
            "abc",
            "--out",
            dir.to_str().unwrap(),
        ]),
        &["--jobs", "abc"],
        Some(dir),
    );
    let dir = out("replications0");
    add(
        "run --replications 0",
        os(&[
            "run",
            scenario,
            "--replications",
            "0",
            "--out",
            dir.to_str().unwrap(),
        ]),
        &["replications", "at least 1"],
        Some(dir),
    );
    let dir = out("seed-negative");
    add(
        "run --seed -1",
        os(&[
            "run",
            scenario,
            "--seed",
            "-1",
            "--out",
            dir.to_str().unwrap(),
        ]),
        &["'-1'"],
        Some(dir),
    );
    let dir = out("unknown-flag");
    add(
        "run with an unknown flag",
        os(&[
            "run",
            scenario,
            "--frobnicate",
            "--out",
            dir.to_str().unwrap(),
        ]),
        &["--frobnicate"],
        Some(dir),
    );
    add(
        "unknown subcommand",
        os(&["frobnicate", scenario]),
        &["frobnicate"],
        None,
    );
    add("no subcommand", os(&[]), &["Usage"], None);
    add("run without a scenario", os(&["run"]), &["SCENARIO"], None);
    for (shard, expected) in [("3/3", "0 ≤ K < N"), ("1", "K/N"), ("a/2", "K/N")] {
        let dir = out(&format!("shard-{}", shard.replace('/', "-")));
        add(
            &format!("run --shard {shard}"),
            os(&[
                "run",
                scenario,
                "--shard",
                shard,
                "--out",
                dir.to_str().unwrap(),
            ]),
            &["--shard", expected],
            Some(dir),
        );
    }
    add(
        "merge of a folder that is no shard",
        os(&[
            "merge",
            tmp.to_str().unwrap(),
            "--out",
            out("merge-none").to_str().unwrap(),
        ]),
        &["sweep-shard.txt"],
        None,
    );
    add(
        "check without a scenario",
        os(&["check"]),
        &["SCENARIO"],
        None,
    );
    cases
}

#[test]
fn bad_inputs_exit_2_with_a_clear_message_and_no_output() {
    let tmp = tempfile::tempdir().expect("temporary folder");
    // The child runs in its own folder so nothing can land in the repository.
    let cwd = tmp.path().join("cwd");
    std::fs::create_dir(&cwd).unwrap();

    let mut problems = Vec::new();
    let mut cases = file_cases(tmp.path(), &mut problems);
    cases.extend(cli_cases(tmp.path()));
    let total = cases.len();

    // Run the cases on a few threads: a hang costs one timeout, not one each.
    let failures = Mutex::new(Vec::new());
    let next = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism()
        .map_or(8, |n| n.get())
        .max(8);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(case) = cases.get(i) else { break };
                if let Some(f) = case.check(&cwd) {
                    failures.lock().unwrap().push((i, f));
                }
            });
        }
    });
    let mut failures = failures.into_inner().unwrap();
    failures.sort();
    problems.extend(failures.into_iter().map(|(_, f)| f));

    if !problems.is_empty() {
        panic!(
            "{} of {total} bad-input cases misbehaved (or the data set is malformed):\n\n{}",
            problems.len(),
            problems.join("\n\n")
        );
    }
}
