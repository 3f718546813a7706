//! docs/scenario.md cannot drift from the types telsim deserialises: every
//! field of every scenario and topology struct, and every variant (with its
//! named values) of every enum, appears in the reference, and the reference
//! lists nothing the types do not have.
//!
//! The types are read from their source with a small parser (the derive and
//! `pub` field lines of plain serde types), so a field added to
//! `src/scenario/types.rs` without a line in the reference fails here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A struct's field names, or an enum's variants with their named values.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Shape {
    Struct(BTreeSet<String>),
    Enum(BTreeMap<String, BTreeSet<String>>),
}

/// The serde-visible name of a field or variant (`#[serde(rename = "x")]`).
fn renamed(attrs: &[String]) -> Option<String> {
    attrs.iter().find_map(|a| {
        let rest = a.split("rename = \"").nth(1)?;
        Some(rest.split('"').next()?.to_string())
    })
}

/// Parses `pub struct` and `pub enum` items of a Rust source. `only`: the
/// type names to keep; `None` keeps every type that derives `Deserialize`.
fn parse_types(src: &str, only: Option<&[&str]>) -> BTreeMap<String, Shape> {
    let mut out = BTreeMap::new();
    let lines: Vec<&str> = src.lines().collect();
    let mut attrs: Vec<String> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim_end();
        if line.starts_with("#[") {
            attrs.push(line.to_string());
            i += 1;
            continue;
        }
        let header = line
            .strip_prefix("pub struct ")
            .map(|r| (true, r))
            .or_else(|| line.strip_prefix("pub enum ").map(|r| (false, r)));
        let Some((is_struct, rest)) = header.filter(|_| line.ends_with('{')) else {
            if !line.trim_start().starts_with("//") {
                attrs.clear();
            }
            i += 1;
            continue;
        };
        let rust_name = rest.trim_end_matches('{').trim().to_string();
        let derives = attrs.iter().any(|a| a.contains("Deserialize"));
        let keep = match only {
            Some(names) => names.contains(&rust_name.as_str()),
            None => derives,
        };
        let name = renamed(&attrs).unwrap_or(rust_name);
        attrs.clear();
        // The body: up to the closing brace at column 0.
        let mut body = Vec::new();
        i += 1;
        while i < lines.len() && lines[i] != "}" {
            body.push(lines[i]);
            i += 1;
        }
        if keep {
            out.insert(
                name,
                if is_struct {
                    Shape::Struct(struct_fields(&body))
                } else {
                    Shape::Enum(enum_variants(&body))
                },
            );
        }
        i += 1;
    }
    out
}

fn struct_fields(body: &[&str]) -> BTreeSet<String> {
    let mut fields = BTreeSet::new();
    let mut attrs = Vec::new();
    for l in body {
        let t = l.trim();
        if t.starts_with("#[") {
            attrs.push(t.to_string());
        } else if let Some(rest) = t.strip_prefix("pub ") {
            if let Some((name, _)) = rest.split_once(':') {
                fields.insert(renamed(&attrs).unwrap_or_else(|| name.trim().to_string()));
            }
            attrs.clear();
        } else if !t.starts_with("//") {
            attrs.clear();
        }
    }
    fields
}

/// Variants at four spaces of indent: `A,`, `A(T),`, `A { x: T },` or a
/// multi-line `A {` whose fields follow at eight.
fn enum_variants(body: &[&str]) -> BTreeMap<String, BTreeSet<String>> {
    let mut variants = BTreeMap::new();
    let mut current: Option<String> = None;
    for l in body {
        let t = l.trim();
        if t.is_empty() || t.starts_with("//") || t.starts_with("#[") || t.starts_with('}') {
            continue;
        }
        let indent = l.len() - l.trim_start().len();
        if indent == 4 {
            let name: String = t
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let mut fields = BTreeSet::new();
            if let Some(inner) = t.split_once('{').map(|(_, r)| r) {
                if let Some(inner) = inner.strip_suffix("},").or_else(|| inner.strip_suffix('}')) {
                    for f in inner.split(',') {
                        if let Some((n, _)) = f.split_once(':') {
                            fields.insert(n.trim().to_string());
                        }
                    }
                    current = None;
                } else {
                    current = Some(name.clone());
                }
            } else {
                current = None;
            }
            variants.insert(name, fields);
        } else if indent == 8 {
            if let (Some(v), Some((n, _))) = (&current, t.split_once(':')) {
                variants
                    .get_mut(v)
                    .expect("variant")
                    .insert(n.trim().to_string());
            }
        }
    }
    variants
}

/// The types the reference documents, from their sources.
fn program_types() -> BTreeMap<String, Shape> {
    let read =
        |p: &str| std::fs::read_to_string(root().join(p)).unwrap_or_else(|e| panic!("{p}: {e}"));
    let mut all = parse_types(&read("src/scenario/types.rs"), None);
    let others: [(&str, &[&str]); 5] = [
        (
            "src/network/topology.rs",
            &[
                "TopologyFile",
                "NodeEntry",
                "LinkEntry",
                "NodeKind",
                "Gilbert",
            ],
        ),
        ("src/media/codec.rs", &["Codec"]),
        ("src/media/stream.rs", &["MediaMode"]),
        ("src/money/calendar.rs", &["Weekday"]),
        ("src/numbering/mod.rs", &["TrunkFormat"]),
    ];
    for (file, names) in others {
        let found = parse_types(&read(file), Some(names));
        assert_eq!(
            found.len(),
            names.len(),
            "{file}: expected types {names:?}, found {:?}",
            found.keys()
        );
        all.extend(found);
    }
    all
}

/// `### \`Name\`` sections of the reference with their tables: the first
/// cell of each row names a field (struct tables, header `| field |`) or a
/// variant (header `| variant |`, the second cell listing its named values
/// in backticks).
fn reference_types(md: &str) -> BTreeMap<String, Shape> {
    let mut out = BTreeMap::new();
    for section in md.split("\n### `").skip(1) {
        let name = section.split('`').next().expect("a name").to_string();
        let rows: Vec<Vec<&str>> = section
            .lines()
            .filter(|l| l.starts_with('|'))
            .map(|l| l.trim_matches('|').split(" | ").map(str::trim).collect())
            .collect();
        let Some(header) = rows.first() else { continue };
        let body = rows.iter().skip(2);
        let first_code = |cell: &str| cell.split('`').nth(1).map(str::to_string);
        let shape = match header[0] {
            "field" => Shape::Struct(body.filter_map(|r| first_code(r[0])).collect()),
            "variant" => Shape::Enum(
                body.filter_map(|r| {
                    let v = first_code(r[0])?;
                    // Backticked identifiers before any parenthesis or colon
                    // in the values cell are the variant's field names.
                    let fields = r
                        .get(1)
                        .map(|c| {
                            c.split('`')
                                .skip(1)
                                .step_by(2)
                                .filter(|s| s.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
                                .map(str::to_string)
                                .collect()
                        })
                        .unwrap_or_default();
                    Some((v, fields))
                })
                .collect(),
            ),
            other => panic!("### `{name}`: table header starts with '{other}', not field/variant"),
        };
        assert!(
            out.insert(name.clone(), shape).is_none(),
            "### `{name}` appears twice"
        );
    }
    out
}

#[test]
fn the_reference_lists_exactly_the_fields_and_variants_of_the_types() {
    let md = std::fs::read_to_string(root().join("docs/scenario.md")).expect("docs/scenario.md");
    let program = program_types();
    let reference = reference_types(&md);
    let mut problems = Vec::new();
    for (name, shape) in &program {
        match reference.get(name) {
            None => problems.push(format!("type `{name}` is not in docs/scenario.md")),
            Some(doc) if doc != shape => match (shape, doc) {
                (Shape::Struct(p), Shape::Struct(d)) => {
                    for f in p.difference(d) {
                        problems.push(format!("`{name}.{f}` is not in docs/scenario.md"));
                    }
                    for f in d.difference(p) {
                        problems.push(format!(
                            "docs/scenario.md lists `{name}.{f}`, which the type does not have"
                        ));
                    }
                }
                (Shape::Enum(p), Shape::Enum(d)) => {
                    for (v, fields) in p {
                        match d.get(v) {
                            None => problems
                                .push(format!("variant `{name}::{v}` is not in docs/scenario.md")),
                            Some(df) if df != fields => problems.push(format!(
                                "`{name}::{v}` has values {fields:?}, docs/scenario.md lists {df:?}"
                            )),
                            Some(_) => {}
                        }
                    }
                    for v in d.keys().filter(|v| !p.contains_key(*v)) {
                        problems.push(format!(
                            "docs/scenario.md lists `{name}::{v}`, which the type does not have"
                        ));
                    }
                }
                _ => problems.push(format!(
                    "`{name}` is a struct in one and an enum in the other"
                )),
            },
            Some(_) => {}
        }
    }
    for name in reference.keys().filter(|n| !program.contains_key(*n)) {
        problems.push(format!(
            "docs/scenario.md documents `{name}`, which is not a scenario type"
        ));
    }
    assert!(
        problems.is_empty(),
        "docs/scenario.md has drifted:\n  {}",
        problems.join("\n  ")
    );
}

/// The parser finds what it must, so the comparison above cannot pass by
/// reading nothing.
#[test]
fn the_source_parser_sees_fields_variants_and_renames() {
    let program = program_types();
    let Some(Shape::Struct(portal)) = program.get("Portal") else {
        panic!("no Portal: {program:?}")
    };
    assert!(portal.contains("agents") && portal.contains("devices") && portal.len() > 30);
    let Some(Shape::Enum(dist)) = program.get("Dist") else {
        panic!("no Dist")
    };
    assert_eq!(
        dist["Uniform"],
        ["min".to_string(), "max".to_string()].into()
    );
    assert!(dist["Const"].is_empty());
    let Some(Shape::Enum(arrivals)) = program.get("Arrivals") else {
        panic!("no Arrivals")
    };
    assert_eq!(
        arrivals["Profile"],
        ["scale".to_string(), "steps".to_string()].into()
    );
    assert!(
        program.contains_key("Topology") && program.contains_key("Link"),
        "renamed types"
    );
    assert!(
        !program.contains_key("Agents"),
        "hand-written Deserialize types are prose in the reference"
    );

    let src = "#[derive(Deserialize)]\npub struct A {\n    pub x: f64,\n    #[serde(rename = \"z\")]\n    pub y: u32,\n}\n";
    let Some(Shape::Struct(a)) = parse_types(src, None).remove("A") else {
        panic!()
    };
    assert_eq!(a, ["x".to_string(), "z".to_string()].into());
}
