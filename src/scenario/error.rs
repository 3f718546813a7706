use std::fmt;
use std::path::PathBuf;

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
    #[error("{}", Invalid { file, problems, after_overrides: *after_overrides })]
    Invalid {
        file: PathBuf,
        problems: Vec<Problem>,
        /// Positions then refer to the text after `--set` was applied.
        after_overrides: bool,
    },
}

struct Invalid<'a> {
    file: &'a PathBuf,
    problems: &'a [Problem],
    after_overrides: bool,
}

impl fmt::Display for Invalid<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        write!(
            f,
            "{}: {n} problem{} in the scenario",
            self.file.display(),
            if n == 1 { "" } else { "s" }
        )?;
        if self.after_overrides {
            write!(
                f,
                " (after --set overrides; positions refer to the overridden text)"
            )?;
        }
        for p in self.problems {
            write!(f, "\n  ")?;
            if let Some((l, c)) = p.line_col {
                write!(f, "{}:{l}:{c}: ", self.file.display())?;
            }
            write!(f, "{}: {}", p.path, p.reason)?;
        }
        Ok(())
    }
}
