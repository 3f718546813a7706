use std::path::PathBuf;

use super::diagnostics::ProblemList;

/// One semantic problem: where (field path and, when the field is written in
/// the file, its line and column) and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub path: String,
    pub line_col: Option<(usize, usize)>,
    pub reason: String,
}

/// Everything that can be wrong with a scenario. All variants are bad input
/// (exit code 2) except `Read`, which may also be an I/O fault.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}:{line}:{col}: {message}", file.display())]
    Syntax {
        file: PathBuf,
        line: usize,
        col: usize,
        message: String,
    },
    #[error("--set {assignment}: {reason}")]
    Override { assignment: String, reason: String },
    #[error("{}", ProblemList {
        file,
        what: "scenario",
        problems,
        note: after_overrides.then_some("after --set overrides; positions refer to the overridden text"),
    })]
    Invalid {
        file: PathBuf,
        problems: Vec<Problem>,
        /// Positions then refer to the text after `--set` was applied.
        after_overrides: bool,
    },
}
