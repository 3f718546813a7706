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
