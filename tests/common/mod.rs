//! Helpers the end-to-end test files share: where the repository is, the
//! real binary, and a readable account of a finished run. Each test file
//! uses only some of them.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The path of a shipped scenario, `scenarios/NAME.ron`.
pub fn scenario(name: &str) -> String {
    root()
        .join("scenarios")
        .join(format!("{name}.ron"))
        .to_string_lossy()
        .into_owned()
}

/// Runs the telsim binary from the repository root.
pub fn telsim<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_telsim"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("the telsim binary runs")
}

/// Exit code, stdout and stderr, for assertion messages.
pub fn describe(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Every file under `dir`, by relative path, with its bytes: two folders are
/// byte-identical when their trees are equal.
pub fn tree(dir: &std::path::Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    use std::collections::BTreeMap;
    use std::fs;
    use std::path::Path;
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
                out.insert(rel, fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}
