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
            message: explain(text, &e),
        })
}

/// Struct-like variants and the names of their values, in order: what
/// `Exp(180.0)` should have been. Only `Const`, `Fixed` (a top-up amount) and
/// `Random` (link loss) take a bare value. A unit test parses each entry
/// written with these names, so the table cannot drift from the types.
const NAMED_VALUES: &[(&str, &[&str])] = &[
    ("Exp", &["mean"]),
    ("Uniform", &["min", "max"]),
    ("LogNormal", &["mean", "sd"]),
    ("Gamma", &["shape", "mean"]),
    ("Erlang", &["k", "mean"]),
    ("Weibull", &["shape", "scale"]),
    ("Poisson", &["per_hour"]),
    ("Fixed", &["threshold"]),
    ("Adaptive", &["days_of_cover", "window_days"]),
    ("Cover", &["days", "min"]),
    ("Gilbert", &["p", "r", "loss_good", "loss_bad"]),
    ("National", &["country"]),
];

/// Integer fields and their types, for "expected an integer" when a float is
/// written (RON otherwise says only `Expected comma`). A unit test checks the
/// table against every integer field of the scenario types.
const INTEGER_FIELDS: &[(&str, &str)] = &[
    ("seed", "u64"),
    ("replications", "u32"),
    ("max_calls", "u32"),
    ("max_cps", "u32"),
    ("max_registers_per_s", "u32"),
    ("copies", "u32"),
    ("numbers", "u32"),
    ("increment_s", "u32"),
    ("window_days", "u32"),
    ("workers", "u32"),
    ("version", "u32"),
    ("k", "u32"),
    ("holidays", "a list of u32"),
    ("priority", "u32"),
];

/// RON's message turned into one that says how to fix the text: named values
/// where a variant was given positional ones, the integer a float should be,
/// the nearest field or variant name and the valid ones.
fn explain(text: &str, e: &ron::error::SpannedError) -> String {
    use ron::Error as E;
    let offset = byte_offset(text, e.position.line, e.position.col);
    if let Some(hint) = positional_hint(text, offset) {
        return hint;
    }
    if let Some(hint) = float_for_integer(text, offset) {
        return hint;
    }
    let name = |o: &Option<String>| {
        o.as_deref()
            .map(|o| format!(" in `{o}`"))
            .unwrap_or_default()
    };
    match &e.code {
        E::NoSuchStructField {
            expected,
            found,
            outer,
        } => format!(
            "unknown field `{found}`{}{}",
            name(outer),
            backticked(found, "fields", expected)
        ),
        E::NoSuchEnumVariant {
            expected,
            found,
            outer,
        } => format!(
            "unknown variant `{found}`{}{}",
            name(outer),
            backticked(found, "variants", expected)
        ),
        other => other.to_string(),
    }
}

/// `: did you mean `x`? (WHAT: `a`, `b`)` with RON's identifier quoting.
fn backticked(found: &str, what: &str, expected: &[&str]) -> String {
    let quoted: Vec<String> = expected.iter().map(|e| format!("`{e}`")).collect();
    let mut s = match super::diagnostics::nearest(found, expected.iter().copied()) {
        Some(n) => format!(": did you mean `{n}`?"),
        None => String::new(),
    };
    if !quoted.is_empty() {
        s.push_str(&format!(" ({what}: {})", quoted.join(", ")));
    }
    s
}

/// Byte offset of RON's 1-based line and byte column.
fn byte_offset(text: &str, line: usize, col: usize) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (start + col.saturating_sub(1)).min(text.len())
}

/// The error is inside `Name(v, ..)` where `Name` takes named values.
fn positional_hint(text: &str, offset: usize) -> Option<String> {
    use super::ron_path::{scan, Kind, Node};
    let root = scan(text).ok()?;
    // The innermost struct-like value around the offset.
    fn innermost<'n>(n: &'n Node, offset: usize, best: &mut Option<&'n Node>) {
        if offset < n.start || offset > n.end {
            return;
        }
        match &n.kind {
            Kind::Struct { fields, items, .. } => {
                *best = Some(n);
                for c in fields.iter().map(|(_, c)| c).chain(items) {
                    innermost(c, offset, best);
                }
            }
            Kind::List(items) => items.iter().for_each(|c| innermost(c, offset, best)),
            Kind::Map(kv) => kv.iter().for_each(|(_, v)| innermost(v, offset, best)),
            Kind::Atom => {}
        }
    }
    let mut best = None;
    innermost(&root, offset, &mut best);
    let n = best?;
    let Kind::Struct {
        fields,
        items,
        open,
    } = &n.kind
    else {
        return None;
    };
    let head = text[n.start..open - 1].trim();
    let (_, names) = NAMED_VALUES.iter().find(|(v, _)| *v == head)?;
    if !fields.is_empty() || items.is_empty() {
        return None;
    }
    let written: Vec<String> = names
        .iter()
        .zip(items)
        .map(|(f, v)| format!("{f}: {}", text[v.start..v.end].trim()))
        .collect();
    Some(format!(
        "`{head}` takes named values: write `{head}({})`",
        written.join(", ")
    ))
}

/// A float such as `200.0` or `2e2` where an integer field is: RON stops at
/// its `.` (`Expected comma`) or at its start (`Expected integer`).
fn float_for_integer(text: &str, offset: usize) -> Option<String> {
    let numeric = |ch: char| ch.is_ascii_digit() || matches!(ch, '.' | 'e' | 'E' | '-' | '+');
    // RON points at the `.` or just after the number.
    let offset = if text[offset..].starts_with(numeric) {
        offset
    } else if text[..offset].ends_with(|ch: char| ch.is_ascii_digit()) {
        offset - 1
    } else {
        return None;
    };
    let start = text[..offset]
        .rfind(|ch: char| !numeric(ch))
        .map_or(0, |i| i + 1);
    let end = text[offset..]
        .find(|ch: char| !numeric(ch))
        .map_or(text.len(), |i| offset + i);
    let number = &text[start..end];
    if !number.contains(['.', 'e', 'E']) || number.parse::<f64>().is_err() {
        return None;
    }
    let path = path_at(text, start)?;
    let field = path.rsplit('.').find(|s| s.parse::<usize>().is_err())?;
    let (_, ty) = INTEGER_FIELDS.iter().find(|(f, _)| *f == field)?;
    let fix = match number.parse::<f64>() {
        Ok(v) if v.fract() == 0.0 && v.abs() < 1e15 => format!(": write `{}`", v as i64),
        _ => String::new(),
    };
    Some(format!(
        "{path}: expected an integer ({ty}), found `{number}`{fix}"
    ))
}

/// The dotted field path (as validation names it: list items by their
/// `name` when they have one) of the value at a byte offset.
fn path_at(text: &str, offset: usize) -> Option<String> {
    use super::ron_path::{scan, string_value, Kind, Node};
    let root = scan(text).ok()?;
    fn walk(text: &str, n: &Node, offset: usize, path: &mut Vec<String>) {
        match &n.kind {
            Kind::Struct { fields, items, .. } => {
                if let Some((f, c)) = fields
                    .iter()
                    .find(|(_, c)| c.start <= offset && offset <= c.end)
                {
                    path.push(f.clone());
                    walk(text, c, offset, path);
                } else if let Some(c) = items.iter().find(|c| c.start <= offset && offset <= c.end)
                {
                    walk(text, c, offset, path);
                }
            }
            Kind::List(items) => {
                if let Some((i, c)) = items
                    .iter()
                    .enumerate()
                    .find(|(_, c)| c.start <= offset && offset <= c.end)
                {
                    let named = match &c.kind {
                        Kind::Struct { fields, .. } => fields
                            .iter()
                            .find(|(f, _)| f == "name")
                            .and_then(|(_, v)| string_value(text, v)),
                        _ => None,
                    };
                    // Servers are validated by index, portals by name.
                    let seg = match (path.last().map(String::as_str), named) {
                        (Some("portals"), Some(name)) => name.to_string(),
                        _ => i.to_string(),
                    };
                    path.push(seg);
                    walk(text, c, offset, path);
                }
            }
            Kind::Map(kv) => {
                if let Some((k, v)) = kv
                    .iter()
                    .find(|(_, v)| v.start <= offset && offset <= v.end)
                {
                    path.push(text[k.start..k.end].trim().trim_matches('"').to_string());
                    walk(text, v, offset, path);
                }
            }
            Kind::Atom => {}
        }
    }
    let mut path = Vec::new();
    walk(text, &root, offset, &mut path);
    (!path.is_empty()).then(|| path.join("."))
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

/// The scenario path that means standard input.
pub const STDIN_PATH: &str = "-";
/// How standard input is named in messages. Its parent is the empty path, so
/// a topology named in the scenario is relative to the working directory.
const STDIN_NAME: &str = "<stdin>";

/// Standard input, read once per process: `sweep` and `size` load the
/// scenario again for every point, and a pipe cannot be read twice.
fn read_stdin_once(max_bytes: u64) -> std::io::Result<String> {
    static TEXT: std::sync::OnceLock<Result<String, (std::io::ErrorKind, String)>> =
        std::sync::OnceLock::new();
    TEXT.get_or_init(|| {
        crate::robustness::input::read_capped_from(std::io::stdin().lock(), max_bytes)
            .map_err(|e| (e.kind(), e.to_string()))
    })
    .clone()
    .map_err(|(kind, msg)| std::io::Error::new(kind, msg))
}

/// Reads a scenario file (`-`: standard input) and applies `--set`
/// overrides in order.
pub fn load_scenario(path: &Path, overrides: &[Override]) -> Result<Loaded, ScenarioError> {
    load_scenario_capped(path, overrides, crate::robustness::budget::MAX_INPUT_BYTES)
}

/// [`load_scenario`] reading files of up to `max_bytes`.
pub fn load_scenario_capped(
    path: &Path,
    overrides: &[Override],
    max_bytes: u64,
) -> Result<Loaded, ScenarioError> {
    let (original, path) = if path == Path::new(STDIN_PATH) {
        let text = read_stdin_once(max_bytes).map_err(|source| ScenarioError::Read {
            path: PathBuf::from(STDIN_NAME),
            source,
        })?;
        (text, Path::new(STDIN_NAME))
    } else {
        let text =
            crate::robustness::input::read_text_capped(path, max_bytes).map_err(|source| {
                ScenarioError::Read {
                    path: path.to_path_buf(),
                    source,
                }
            })?;
        (text, path)
    };
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::types::{AlertRuleSpec, Arrivals, Dist, TopUpAmount};

    fn message<T: serde::de::DeserializeOwned + std::fmt::Debug>(text: &str) -> String {
        parse_ron::<T>(text).unwrap_err().message
    }

    #[test]
    fn every_named_values_entry_parses_when_written_with_its_names() {
        for (variant, names) in NAMED_VALUES {
            let args: Vec<String> = names.iter().map(|n| format!("{n}: 1")).collect();
            let text = format!("{variant}({})", args.join(", "));
            let ok = parse_ron::<Dist>(&text).is_ok()
                || parse_ron::<Arrivals>(&text).is_ok()
                || parse_ron::<AlertRuleSpec>(&text).is_ok()
                || parse_ron::<TopUpAmount>(&text).is_ok()
                || parse_ron::<crate::media::LossModel>(&text).is_ok()
                || parse_ron::<crate::numbering::TrunkFormat>(&text.replace(": 1", ": \"1\""))
                    .is_ok();
            assert!(
                ok,
                "{text} does not parse: the table has drifted from the types"
            );
        }
    }

    #[test]
    fn positional_values_get_the_named_form() {
        assert_eq!(
            message::<Dist>("Exp(180.0)"),
            "`Exp` takes named values: write `Exp(mean: 180.0)`"
        );
        assert_eq!(
            message::<Dist>("Uniform(1.0, 3.0)"),
            "`Uniform` takes named values: write `Uniform(min: 1.0, max: 3.0)`"
        );
        assert_eq!(
            message::<AlertRuleSpec>("Fixed(5000.0)"),
            "`Fixed` takes named values: write `Fixed(threshold: 5000.0)`"
        );
        // Const is positional: nothing to suggest, it parses.
        assert!(parse_ron::<Dist>("Const(3.0)").is_ok());
    }

    #[test]
    fn misspelt_fields_and_variants_get_the_nearest_name() {
        assert_eq!(
            message::<AlertRuleSpec>("Fixed(treshold: 1.0)"),
            "unknown field `treshold` in `Fixed`: did you mean `threshold`? (fields: `threshold`)"
        );
        let m = message::<Dist>("Expo(mean: 1.0)");
        assert!(
            m.starts_with(
                "unknown variant `Expo` in `Dist`: did you mean `Exp`? (variants: `Const`, `Exp`"
            ),
            "{m}"
        );
    }

    #[test]
    fn a_float_for_an_integer_names_the_field_and_its_type() {
        let text = "Scenario(name: \"x\", duration_s: 10.0, replications: 2.0, portals: [])";
        let e = parse_ron::<crate::scenario::types::Scenario>(text).unwrap_err();
        assert_eq!(
            e.message,
            "replications: expected an integer (u32), found `2.0`: write `2`"
        );
        let text = "Scenario(name: \"x\", duration_s: 10.0, seed: 1e3, portals: [])";
        let e = parse_ron::<crate::scenario::types::Scenario>(text).unwrap_err();
        assert_eq!(
            e.message,
            "seed: expected an integer (u64), found `1e3`: write `1000`"
        );
        // A float in a float field with a missing comma is not this case.
        let text = "Scenario(name: \"x\", duration_s: 10.0 replications: 2, portals: [])";
        let e = parse_ron::<crate::scenario::types::Scenario>(text).unwrap_err();
        assert_eq!(e.message, "Expected comma");
    }

    /// Every integer field of the scenario types is in `INTEGER_FIELDS`, so
    /// a new one cannot fall back to RON's bare `Expected comma`.
    #[test]
    fn integer_fields_table_covers_the_types() {
        let src = include_str!("types.rs");
        for line in src.lines() {
            let l = line.trim();
            let Some(rest) = l.strip_prefix("pub ") else {
                continue;
            };
            let Some((name, ty)) = rest.split_once(':') else {
                continue;
            };
            let ty = ty.trim().trim_end_matches(',');
            let int = ["u8", "u16", "u32", "u64", "i32", "i64", "usize"];
            let is_int = int
                .iter()
                .any(|t| ty == *t || ty == format!("Option<{t}>") || ty == format!("Vec<{t}>"));
            if is_int && !name.contains(' ') {
                assert!(
                    INTEGER_FIELDS.iter().any(|(f, _)| *f == name.trim()),
                    "integer field `{name}` missing from INTEGER_FIELDS"
                );
            }
        }
    }
}
