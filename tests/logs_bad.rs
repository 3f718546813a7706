//! The bad-log corpus: every `tests/bad_logs/NAME.EXT` is a broken log and
//! `NAME.expected` lists, one per line, substrings stderr must contain
//! (`file:line: field: reason`). The format comes from the extension:
//! `.queue_log`, `.cdr`, `.calls.csv`, `.generic.csv` (mapped as
//! id,arrival,answer,end,outcome). Each is fed to `telsim fit`, which must
//! exit with exactly 2, print every expected substring, not panic, and
//! write no scenario.

use std::path::{Path, PathBuf};
use std::process::Command;

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/bad_logs")
}

fn format_args(name: &str) -> Option<Vec<&'static str>> {
    Some(if name.ends_with(".queue_log") {
        vec!["--format", "queue-log"]
    } else if name.ends_with(".cdr") {
        vec!["--format", "cdr"]
    } else if name.ends_with(".calls.csv") {
        vec!["--format", "calls"]
    } else if name.ends_with(".generic.csv") {
        vec![
            "--format",
            "generic",
            "--map",
            "id=id,arrival=arrival,answer=answer,end=end,outcome=outcome",
        ]
    } else {
        return None;
    })
}

#[test]
fn every_bad_log_is_refused_with_its_located_message() {
    let dir = corpus();
    let out_dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    let mut n = 0;
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".expected"))
        .collect();
    names.sort();
    for name in names {
        let Some(fmt) = format_args(&name) else {
            failures.push(format!("{name}: unknown extension"));
            continue;
        };
        let stem = name.split('.').next().unwrap();
        let expected = std::fs::read_to_string(dir.join(format!("{stem}.expected")))
            .unwrap_or_else(|_| panic!("{stem}.expected is missing"));
        let out = out_dir.path().join(format!("{stem}.ron"));
        let r = Command::new(env!("CARGO_BIN_EXE_telsim"))
            .arg("fit")
            .arg(&name)
            .args(&fmt)
            .arg("--out")
            .arg(&out)
            .current_dir(&dir)
            .env_remove("RUST_BACKTRACE")
            .output()
            .unwrap();
        n += 1;
        let stderr = String::from_utf8_lossy(&r.stderr);
        if r.status.code() != Some(2) {
            failures.push(format!(
                "{name}: exit {:?}, stderr:\n{stderr}",
                r.status.code()
            ));
        }
        if stderr.contains("panicked") {
            failures.push(format!("{name}: panicked:\n{stderr}"));
        }
        for want in expected.lines().filter(|l| !l.trim().is_empty()) {
            if !stderr.contains(want) {
                failures.push(format!("{name}: stderr lacks `{want}`:\n{stderr}"));
            }
        }
        if Path::new(&out).exists() {
            failures.push(format!("{name}: a scenario was written"));
        }
    }
    assert!(n >= 15, "only {n} bad logs found");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
