use std::path::{Path, PathBuf};

use ron::extensions::Extensions;

use super::error::ScenarioError;
use super::overrides::{apply_override, Override};
use super::types::Scenario;

/// A parsed scenario with the text it came from (after `--set` overrides), so
/// validation can point at lines and columns.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub scenario: Scenario,
    pub text: String,
    pub file: PathBuf,
    pub overridden: bool,
}

/// Where and why RON text failed to parse into its type.
#[derive(Debug, Clone, PartialEq)]
pub struct RonSyntaxError {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

/// Parses RON the way every telsim input file is read: `Some(..)` may be
/// omitted around optional values (`max_wait_s: 30.0`), and syntax and type
/// errors keep their line and column.
pub fn parse_ron<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, RonSyntaxError> {
    ron::Options::default()
        .with_default_extension(Extensions::IMPLICIT_SOME)
        .from_str::<T>(text)
        .map_err(|e| RonSyntaxError {
            line: e.position.line,
            col: e.position.col,
            message: e.code.to_string(),
        })
}

/// Parses scenario text; syntax and type errors carry file, line and column.
pub fn parse_scenario(text: &str, file: &Path) -> Result<Scenario, ScenarioError> {
    parse_ron(text).map_err(|e| ScenarioError::Syntax {
        file: file.to_path_buf(),
        line: e.line,
        col: e.col,
        message: e.message,
    })
}

/// An assignment as quoted in a message: a pasted megabyte is cut to its
/// first hundred characters.
fn shorten(s: &str) -> String {
    shorten_to(s, 100)
}

fn shorten_to(s: &str, chars: usize) -> String {
    match s.char_indices().nth(chars) {
        Some((cut, _)) => format!("{}... ({} bytes)", &s[..cut], s.len()),
        None => s.to_string(),
    }
}

/// Reads a scenario file and applies `--set` overrides in order.
pub fn load_scenario(path: &Path, overrides: &[Override]) -> Result<Loaded, ScenarioError> {
    load_scenario_capped(path, overrides, crate::robustness::budget::MAX_INPUT_BYTES)
}

/// [`load_scenario`] reading files of up to `max_bytes`.
pub fn load_scenario_capped(
    path: &Path,
    overrides: &[Override],
    max_bytes: u64,
) -> Result<Loaded, ScenarioError> {
    let original =
        crate::robustness::input::read_text_capped(path, max_bytes).map_err(|source| {
            ScenarioError::Read {
                path: path.to_path_buf(),
                source,
            }
        })?;
    if overrides.is_empty() {
        let scenario = parse_scenario(&original, path)?;
        return Ok(Loaded {
            scenario,
            text: original,
            file: path.to_path_buf(),
            overridden: false,
        });
    }
    // Report the file's own syntax errors against the file as written.
    parse_scenario(&original, path)?;
    let mut text = original;
    for o in overrides {
        text = apply_override(&text, o).map_err(|reason| ScenarioError::Override {
            assignment: shorten(&o.to_string()),
            reason: shorten_to(&reason, 500),
        })?;
        if let Err(ScenarioError::Syntax { message, .. }) = parse_scenario(&text, path) {
            return Err(ScenarioError::Override {
                assignment: shorten(&o.to_string()),
                reason: shorten_to(&message, 500),
            });
        }
    }
    let scenario = parse_scenario(&text, path)?;
    Ok(Loaded {
        scenario,
        text,
        file: path.to_path_buf(),
        overridden: true,
    })
}
