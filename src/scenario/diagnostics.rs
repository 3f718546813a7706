//! Semantic checks of a RON file with positions: collect every problem with
//! its field path and, where the field is written, line and column. Shared by
//! scenario and topology validation so both report problems the same way.

use std::fmt;
use std::path::Path;

use super::error::Problem;
use super::ron_path::{line_col, resolve, scan, Kind, Node, Target};

/// Problems listed with their positions; beyond this a file is not worth
/// reading problem by problem (and locating each costs a walk of the text).
const MAX_PROBLEMS: usize = 200;

/// Collects every problem rather than stopping at the first, so a user fixes
/// a file in one pass (up to `MAX_PROBLEMS`, then one line saying more
/// were left out).
pub struct Diagnostics<'a> {
    text: &'a str,
    /// Scanned on the first problem: a valid file is never scanned.
    root: std::cell::OnceCell<Option<Node>>,
    pub problems: Vec<Problem>,
}

impl<'a> Diagnostics<'a> {
    pub fn new(text: &'a str) -> Self {
        Diagnostics {
            text,
            root: std::cell::OnceCell::new(),
            problems: Vec::new(),
        }
    }

    fn root(&self) -> Option<&Node> {
        self.root.get_or_init(|| scan(self.text).ok()).as_ref()
    }

    /// Line and column of the value at `path`, or of its nearest written
    /// ancestor when the field is left to its default.
    fn locate(&self, path: &str) -> Option<(usize, usize)> {
        let root = self.root()?;
        let mut p = path;
        loop {
            match resolve(self.text, root, p) {
                Ok(Target::Value(n)) => return Some(line_col(self.text, n.start)),
                Ok(Target::MissingField { parent, .. }) => {
                    return Some(line_col(self.text, parent.start))
                }
                Err(_) => p = p.rsplit_once('.')?.0,
            }
        }
    }

    pub fn problem(&mut self, path: impl Into<String>, reason: impl Into<String>) {
        if self.problems.len() > MAX_PROBLEMS {
            return;
        }
        if self.problems.len() == MAX_PROBLEMS {
            self.problems.push(Problem {
                path: "...".to_string(),
                line_col: None,
                reason: format!("more problems not listed after the first {MAX_PROBLEMS}"),
            });
            return;
        }
        let path = path.into();
        let line_col = self.locate(&path);
        self.problems.push(Problem {
            path,
            line_col,
            reason: reason.into(),
        });
    }

    /// The identifier written before `(` at `path`, if the value there is a
    /// named struct (`Gilbert(..)` → "Gilbert"), looking through `Some(..)`.
    pub fn struct_name(&self, path: &str) -> Option<&str> {
        let root = self.root()?;
        let Ok(Target::Value(mut n)) = resolve(self.text, root, path) else {
            return None;
        };
        loop {
            let Kind::Struct { open, items, .. } = &n.kind else {
                return None;
            };
            let head = self.text[n.start..open - 1].trim();
            match items.as_slice() {
                [inner] if head == "Some" => n = inner,
                _ => return Some(head),
            }
        }
    }

    pub fn finite(&mut self, path: &str, v: f64) -> bool {
        if v.is_finite() {
            true
        } else {
            self.problem(path, format!("must be a finite number, got {v}"));
            false
        }
    }

    pub fn positive(&mut self, path: &str, v: f64) -> f64 {
        if self.finite(path, v) && v <= 0.0 {
            self.problem(path, format!("must be greater than zero, got {v}"));
        }
        v
    }

    pub fn non_negative(&mut self, path: &str, v: f64) -> f64 {
        if self.finite(path, v) && v < 0.0 {
            self.problem(path, format!("must not be negative, got {v}"));
        }
        v
    }

    /// A physical quantity with a sane range `[0, max]` (`unit` names what
    /// it is measured in): beyond it the number is a typo, and letting it
    /// through would put `inf` into the results.
    pub fn in_range(&mut self, path: &str, v: f64, max: f64, unit: &str) -> f64 {
        if self.finite(path, v) {
            if v < 0.0 {
                self.problem(path, format!("must not be negative, got {v}"));
            } else if v > max {
                self.problem(path, format!("must be at most {max} {unit}, got {v:e}"));
            }
        }
        v
    }
}

/// Renders a list of problems as `FILE: N problems in the WHAT (NOTE)` and
/// then one indented `FILE:LINE:COL: path: reason` line each.
pub struct ProblemList<'a> {
    pub file: &'a Path,
    pub what: &'static str,
    pub problems: &'a [Problem],
    pub note: Option<&'static str>,
}

impl fmt::Display for ProblemList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        let s = if n == 1 { "" } else { "s" };
        write!(
            f,
            "{}: {n} problem{s} in the {}",
            self.file.display(),
            self.what
        )?;
        if let Some(note) = self.note {
            write!(f, " ({note})")?;
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

/// Names listed in full in a message; beyond this a list is cut with `, ...`.
const LIST_NAMES: usize = 20;

/// The valid name closest to `found` by edit distance, if it is close enough
/// to be the one meant (a typo, not another word): at most a third of the
/// longer name's characters differ, or it differs only in case.
pub fn nearest<'c>(found: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    let lower = found.to_lowercase();
    candidates
        .into_iter()
        .filter(|c| *c != found)
        .map(|c| {
            let d = if c.to_lowercase() == lower {
                0
            } else {
                strsim::damerau_levenshtein(found, c)
            };
            (d, c)
        })
        .filter(|&(d, c)| 3 * d <= found.chars().count().max(c.chars().count()))
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// `: did you mean 'x'? (WHAT: a, b, c)` — the suggestion (when one is close)
/// and the valid names, so a misspelt name is fixed without opening the docs.
/// `quote` is the quote put around names (`'` in semantic problems, `` ` ``
/// for RON identifiers).
pub fn suggest<'c>(
    found: &str,
    what: &str,
    candidates: impl IntoIterator<Item = &'c str>,
    quote: char,
) -> String {
    suggest_upto(found, what, candidates, quote, LIST_NAMES)
}

/// [`suggest`] listing up to `limit` names.
pub fn suggest_upto<'c>(
    found: &str,
    what: &str,
    candidates: impl IntoIterator<Item = &'c str>,
    quote: char,
    limit: usize,
) -> String {
    let all: Vec<&str> = candidates.into_iter().collect();
    let mut s = String::new();
    if let Some(n) = nearest(found, all.iter().copied()) {
        s.push_str(&format!(": did you mean {quote}{n}{quote}?"));
    }
    if all.is_empty() {
        return s;
    }
    let shown = all.len().min(limit);
    let more = if all.len() > shown { ", ..." } else { "" };
    s.push_str(&format!(" ({what}: {}{more})", all[..shown].join(", ")));
    s
}

#[cfg(test)]
mod suggest_tests {
    use super::*;

    #[test]
    fn a_typo_gets_the_nearest_name_and_the_list() {
        assert_eq!(nearest("brnch", ["office", "branch", "dc"]), Some("branch"));
        assert_eq!(nearest("treshold", ["threshold"]), Some("threshold"));
        assert_eq!(nearest("evenly", ["Evenly", "All"]), Some("Evenly"));
        assert_eq!(
            suggest("brnch", "nodes", ["office", "branch", "dc"], '\''),
            ": did you mean 'branch'? (nodes: office, branch, dc)"
        );
    }

    #[test]
    fn an_unrelated_word_gets_the_list_only() {
        assert_eq!(nearest("zzz", ["office", "branch"]), None);
        assert_eq!(
            suggest("zzz", "nodes", ["office", "branch"], '\''),
            " (nodes: office, branch)"
        );
        assert_eq!(
            suggest("zzz", "nodes", std::iter::empty::<&str>(), '\''),
            ""
        );
    }

    #[test]
    fn long_lists_are_cut() {
        let names: Vec<String> = (0..30).map(|i| format!("n{i}")).collect();
        let s = suggest("x", "nodes", names.iter().map(String::as_str), '\'');
        assert!(s.ends_with("n19, ...)"), "{s}");
    }
}
