//! Unix conventions of the binary: completions and manual pages generated
//! from the clap definitions, and `-` for a scenario on standard input.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::{describe, root, scenario, telsim};

#[test]
fn completions_cover_every_verb_in_each_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = telsim(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", describe(&out));
        let text = String::from_utf8_lossy(&out.stdout);
        for verb in [
            "run", "check", "routes", "diff", "sweep", "merge", "size", "report", "man",
        ] {
            assert!(text.contains(verb), "{shell} completions lack '{verb}'");
        }
        assert!(
            text.contains("no-calls"),
            "{shell} completions lack run's options"
        );
    }
    let out = telsim(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
}

#[test]
fn man_prints_a_page_and_writes_one_per_verb() {
    let out = telsim(&["man"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(page.contains(".TH telsim 1"), "{page}");
    assert!(page.contains("telsim\\-run(1)"), "the page lists the verbs");
    let dir = tempfile::tempdir().unwrap();
    let out = telsim(&[
        std::ffi::OsStr::new("man"),
        "--out-dir".as_ref(),
        dir.path().as_os_str(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    for verb in ["run", "check", "sweep", "size", "completions"] {
        let p = dir.path().join(format!("telsim-{verb}.1"));
        let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        assert!(text.contains(".SH OPTIONS"), "{}", p.display());
    }
    assert!(std::fs::read_to_string(dir.path().join("telsim-run.1"))
        .unwrap()
        .contains("replications"));
}

/// Runs telsim with `input` on standard input from `cwd`.
fn with_stdin(args: &[&str], input: &str, cwd: &std::path::Path) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_telsim"))
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("telsim starts");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_string();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let out = child.wait_with_output().expect("telsim runs");
    writer.join().unwrap();
    out
}

#[test]
fn a_dash_reads_the_scenario_from_stdin() {
    let text = std::fs::read_to_string(scenario("erlang_c")).unwrap();
    let out = with_stdin(&["check", "-"], &text, &root());
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("scenario \"erlang_c\": valid"));

    // Errors name standard input; --set applies as to a file.
    let bad = text.replace("Exp(mean: 100.0)", "Exp(100.0)");
    let out = with_stdin(&["check", "-"], &bad, &root());
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("<stdin>:") && err.contains("write `Exp(mean: 100.0)`"),
        "{err}"
    );

    // A run: the scenario is read once although sweep loads it per point.
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("grid");
    let out = with_stdin(
        &[
            "sweep",
            "-",
            "--vary",
            "portals.acme.agents=50,52",
            "--set",
            "replications=2",
            "--set",
            "duration_s=3600.0",
            "--set",
            "warmup_s=0.0",
            "--out",
            out_dir.to_str().unwrap(),
        ],
        &text,
        &root(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(out_dir.join("sweep.csv").is_file());
}

#[test]
fn a_topology_named_on_stdin_is_relative_to_the_working_directory() {
    let text = std::fs::read_to_string(scenario("link_failure")).unwrap();
    // As shipped the path is relative to scenarios/: from the root it is not found...
    let out = with_stdin(&["check", "-"], &text, &root());
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read ../topologies/two_dc.ron"));
    // ...and from scenarios/ it is.
    let out = with_stdin(&["check", "-"], &text, &root().join("scenarios"));
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
}

#[test]
fn stdin_is_capped_like_a_file() {
    let huge = format!("Scenario(name: \"x\" /* {} */)", "x".repeat(17 << 20));
    let out = with_stdin(&["check", "-"], &huge, &root());
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("larger than"),
        "{}",
        describe(&out)
    );
}
