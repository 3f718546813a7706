//! The verbs that read a run's files back (`diff`, `report`, `merge`) never
//! panic, hang or write a result on a hostile file: each case exits with the
//! code it must and says where and what.
//!
//! Data-driven, beside the scenario corpus of `tests/bad_inputs.rs`:
//!
//! - `tests/bad_inputs/diff/NAME.csv`: a broken `summary.csv`, compared
//!   against `_good.csv` in both directions.
//! - `tests/bad_inputs/report/NAME/`: files that replace those of the run
//!   folder `_base/` before `telsim report` reads it.
//! - `tests/bad_inputs/merge/NAME/`: files that replace those of the two
//!   shard folders `_base/s0`, `_base/s1` before `telsim merge s0 s1`.
//!
//! `NAME.expected` lists, one per line, substrings that stderr must contain;
//! a first line `exit N` expects exit code N instead of 2 (then stdout
//! counts too). `NAME.setup`, when present, makes what git cannot store,
//! one command a line, paths relative to the case's folder: `fifo PATH`,
//! `symlink TARGET PATH`, `mkdir PATH`, `remove PATH`.
//!
//! A refusal (exit 2) must be one line on stderr, `error: …`, and leave no
//! result behind (no merged `sweep.csv`, no report `index.html`).

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_telsim");
/// Refusals are immediate; a case taking longer read a FIFO or a device.
const TIMEOUT: Duration = Duration::from_secs(15);

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/bad_inputs")
}

struct Outcome {
    status: Option<ExitStatus>,
    stdout: String,
    stderr: String,
}

fn run_telsim(args: &[OsString]) -> Outcome {
    let mut child = Command::new(BIN)
        .args(args)
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start the telsim binary");
    let read = |mut p: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = p.read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = read(Box::new(child.stdout.take().unwrap()));
    let err = read(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        match child.try_wait().expect("cannot wait for telsim") {
            Some(s) => break Some(s),
            None if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            None => std::thread::sleep(Duration::from_millis(10)),
        }
    };
    Outcome {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), &dst).unwrap();
        }
    }
}

/// Runs the `NAME.setup` commands inside `root`.
fn setup(script: &Path, root: &Path) -> Result<(), String> {
    let Ok(text) = std::fs::read_to_string(script) else {
        return Ok(());
    };
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let done = match words.as_slice() {
            ["fifo", p] => Command::new("mkfifo")
                .arg(root.join(p))
                .status()
                .map_err(|e| e.to_string())
                .and_then(|s| s.success().then_some(()).ok_or("mkfifo failed".into())),
            ["symlink", target, p] => {
                std::os::unix::fs::symlink(target, root.join(p)).map_err(|e| e.to_string())
            }
            ["mkdir", p] => std::fs::create_dir_all(root.join(p)).map_err(|e| e.to_string()),
            ["remove", p] => {
                let p = root.join(p);
                if p.is_dir() {
                    std::fs::remove_dir_all(p)
                } else {
                    std::fs::remove_file(p)
                }
                .map_err(|e| e.to_string())
            }
            _ => Err(format!("unknown setup command '{line}'")),
        };
        done.map_err(|e| format!("{}: {line}: {e}", script.display()))?;
    }
    Ok(())
}

/// (exit code, substrings) of `NAME.expected`.
fn expected(path: &Path) -> (i32, Vec<String>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    let code = match lines.first().and_then(|l| l.strip_prefix("exit ")) {
        Some(n) => {
            let n = n.parse().expect("exit N");
            lines.remove(0);
            n
        }
        None => 2,
    };
    assert!(
        !lines.is_empty(),
        "{}: no expected substring",
        path.display()
    );
    (code, lines)
}

/// The cases of one verb's folder: names of `*.expected`, sorted.
fn cases(verb: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(corpus().join(verb))
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().ok()?;
            name.strip_suffix(".expected").map(String::from)
        })
        .collect();
    names.sort();
    names
}

/// Checks one invocation; `Some(why)` when it misbehaved.
fn check(
    label: &str,
    args: &[OsString],
    code: i32,
    want: &[String],
    no_result: Option<&Path>,
) -> Option<String> {
    let o = run_telsim(args);
    let mut why = Vec::new();
    match o.status.and_then(|s| s.code()) {
        None if o.status.is_none() => why.push(format!("killed after {} s", TIMEOUT.as_secs())),
        c if c != Some(code) => why.push(format!("exit {c:?}, expected {code}")),
        _ => {}
    }
    if o.stderr.contains("panicked") {
        why.push("panicked".into());
    }
    let seen = if code == 0 {
        format!("{}{}", o.stdout, o.stderr)
    } else {
        o.stderr.clone()
    };
    for w in want {
        if !seen.contains(w.as_str()) {
            why.push(format!("output lacks {w:?}"));
        }
    }
    if code == 2 {
        let lines: Vec<&str> = o.stderr.lines().collect();
        if lines.len() != 1 || !lines[0].starts_with("error: ") {
            why.push("stderr is not one 'error: ' line".into());
        }
        if let Some(p) = no_result.filter(|p| p.exists()) {
            why.push(format!("wrote {} despite refusing", p.display()));
        }
    }
    (!why.is_empty()).then(|| {
        format!(
            "{label}\n    telsim {}\n    - {}\n    stderr: {}",
            args.iter()
                .map(|a| a.to_string_lossy().chars().take(200).collect::<String>())
                .collect::<Vec<_>>()
                .join(" "),
            why.join("\n    - "),
            o.stderr.chars().take(2000).collect::<String>()
        )
    })
}

fn report_failures(verb: &str, n: usize, failures: Vec<String>) {
    assert!(n >= 15, "only {n} {verb} cases: the corpus went missing?");
    assert!(
        failures.is_empty(),
        "{} of {n} {verb} case(s) misbehaved:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn diff_refuses_hostile_summaries_with_a_located_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = corpus().join("diff");
    let good = dir.join("_good.csv");
    let names = cases("diff");
    let mut failures = Vec::new();
    for name in &names {
        let root = tmp.path().join(name);
        std::fs::create_dir_all(&root).unwrap();
        let file = format!("{name}.csv");
        let src = dir.join(&file);
        if src.exists() {
            std::fs::copy(&src, root.join(&file)).unwrap();
        }
        if let Err(e) = setup(&dir.join(format!("{name}.setup")), &root) {
            failures.push(e);
            continue;
        }
        let (code, want) = expected(&dir.join(format!("{name}.expected")));
        let bad: OsString = root.join(&file).into();
        for (label, args) in [
            (
                "candidate",
                vec!["diff".into(), good.clone().into(), bad.clone()],
            ),
            (
                "baseline",
                vec!["diff".into(), bad.clone(), good.clone().into()],
            ),
        ] {
            failures.extend(check(
                &format!("diff {name} as {label}"),
                &args,
                code,
                &want,
                None,
            ));
        }
    }
    report_failures("diff", names.len(), failures);
}

#[test]
fn report_draws_any_finite_data_and_refuses_the_rest() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = corpus().join("report");
    let names = cases("report");
    let mut failures = Vec::new();
    for name in &names {
        let root = tmp.path().join(name).join("run");
        copy_tree(&dir.join("_base"), &root);
        if dir.join(name).is_dir() {
            copy_tree(&dir.join(name), &root);
        }
        if let Err(e) = setup(&dir.join(format!("{name}.setup")), &root) {
            failures.push(e);
            continue;
        }
        let (code, want) = expected(&dir.join(format!("{name}.expected")));
        let out = tmp.path().join(name).join("report");
        let args: Vec<OsString> = vec![
            "report".into(),
            root.into(),
            "--out".into(),
            out.clone().into(),
        ];
        let index = out.join("index.html");
        failures.extend(check(
            &format!("report {name}"),
            &args,
            code,
            &want,
            Some(&index),
        ));
        if code == 0 && failures.is_empty() {
            // Every chart drawn is a complete SVG with finite coordinates.
            for e in std::fs::read_dir(&out).unwrap() {
                let p = e.unwrap().path();
                if p.extension().is_some_and(|x| x == "svg") {
                    let svg = std::fs::read_to_string(&p).unwrap();
                    let bad = svg.split('<').any(|t| {
                        t.split('>')
                            .next()
                            .is_some_and(|a| a.contains("NaN") || a.contains("inf"))
                    });
                    if bad || !svg.trim_end().ends_with("</svg>") {
                        failures.push(format!("report {name}: {} is broken", p.display()));
                    }
                }
            }
        }
    }
    report_failures("report", names.len(), failures);
}

#[test]
fn merge_refuses_hostile_shards_before_writing_anything() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = corpus().join("merge");
    let names = cases("merge");
    let mut failures = Vec::new();
    for name in &names {
        let root = tmp.path().join(name);
        copy_tree(&dir.join("_base"), &root);
        if dir.join(name).is_dir() {
            copy_tree(&dir.join(name), &root);
        }
        if let Err(e) = setup(&dir.join(format!("{name}.setup")), &root) {
            failures.push(e);
            continue;
        }
        let (code, want) = expected(&dir.join(format!("{name}.expected")));
        let out = root.join("out");
        let args: Vec<OsString> = vec![
            "merge".into(),
            root.join("s0").into(),
            root.join("s1").into(),
            "--out".into(),
            out.clone().into(),
        ];
        failures.extend(check(
            &format!("merge {name}"),
            &args,
            code,
            &want,
            Some(&out.join("sweep.csv")),
        ));
    }
    // The untouched base merges: the corpus tests what it says it tests.
    let root = tmp.path().join("_base");
    copy_tree(&dir.join("_base"), &root);
    let args: Vec<OsString> = vec![
        "merge".into(),
        root.join("s0").into(),
        root.join("s1").into(),
        "--out".into(),
        root.join("out").into(),
    ];
    failures.extend(check(
        "merge _base",
        &args,
        0,
        &["merged 2 shard(s), 3 point(s)".into()],
        None,
    ));
    report_failures("merge", names.len(), failures);
}
