//! A small structural scanner for RON text that maps dotted field paths
//! (`portals.acme.inbound.arrivals.per_hour`) to byte spans.
//!
//! Why not go through `ron::Value`? It drops struct and enum-variant names, so
//! a round trip would turn `Poisson(per_hour: 10)` into an anonymous map and
//! break enums. Working on the text keeps every name, keeps comments, and lets
//! validation errors point at the line and column of the offending field.

use std::fmt;

#[derive(Debug, Clone)]
pub struct Node {
    pub start: usize,
    pub end: usize,
    pub kind: Kind,
}

#[derive(Debug, Clone)]
pub enum Kind {
    /// `Name(a: 1, b: 2)`, `Name(1, 2)`, `(1, 2)`, `Some(x)`; `open` is the
    /// byte just after `(`.
    Struct {
        fields: Vec<(String, Node)>,
        items: Vec<Node>,
        open: usize,
    },
    List(Vec<Node>),
    Map(Vec<(Node, Node)>),
    Atom,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanError {
    pub offset: usize,
    pub message: String,
}

impl fmt::Display for ScanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Where a path leads in the text.
#[derive(Debug, Clone)]
pub enum Target<'n> {
    /// The path names an existing value.
    Value(&'n Node),
    /// The last segment names a field the struct does not spell out (it is
    /// defaulted); `insert_at` is just after the struct's `(`.
    MissingField { insert_at: usize, parent: &'n Node },
}

/// Deepest nesting of brackets the scanner follows (the RON parser's own
/// default limit): deeper text is refused rather than overflowing the stack.
const MAX_DEPTH: usize = 128;

struct Scanner<'a> {
    s: &'a [u8],
    pos: usize,
    depth: usize,
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn is_atom_byte(b: u8) -> bool {
    is_ident_byte(b) || matches!(b, b'.' | b'+' | b'-')
}

impl<'a> Scanner<'a> {
    fn err<T>(&self, message: impl Into<String>) -> Result<T, ScanError> {
        Err(ScanError {
            offset: self.pos,
            message: message.into(),
        })
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn skip_ws(&mut self) -> Result<(), ScanError> {
        loop {
            match self.peek() {
                Some(b) if b.is_ascii_whitespace() => self.pos += 1,
                Some(b'/') if self.s.get(self.pos + 1) == Some(&b'/') => {
                    while let Some(b) = self.peek() {
                        self.pos += 1;
                        if b == b'\n' {
                            break;
                        }
                    }
                }
                Some(b'/') if self.s.get(self.pos + 1) == Some(&b'*') => {
                    self.pos += 2;
                    let mut depth = 1;
                    while depth > 0 {
                        match (self.peek(), self.s.get(self.pos + 1)) {
                            (None, _) => return self.err("unterminated block comment"),
                            (Some(b'*'), Some(b'/')) => {
                                depth -= 1;
                                self.pos += 2
                            }
                            (Some(b'/'), Some(b'*')) => {
                                depth += 1;
                                self.pos += 2
                            }
                            _ => self.pos += 1,
                        }
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    fn expect(&mut self, b: u8) -> Result<(), ScanError> {
        self.skip_ws()?;
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            self.err(format!("expected '{}'", b as char))
        }
    }

    fn quoted(&mut self, quote: u8) -> Result<(), ScanError> {
        self.pos += 1;
        loop {
            match self.peek() {
                None => return self.err("unterminated string"),
                Some(b'\\') => self.pos += 2,
                Some(b) if b == quote => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => self.pos += 1,
            }
        }
    }

    fn raw_string(&mut self) -> Result<(), ScanError> {
        // r"..." or r#"..."# with any number of hashes
        self.pos += 1;
        let mut hashes = 0;
        while self.peek() == Some(b'#') {
            hashes += 1;
            self.pos += 1;
        }
        if self.peek() != Some(b'"') {
            return self.err("malformed raw string");
        }
        self.pos += 1;
        loop {
            match self.peek() {
                None => return self.err("unterminated raw string"),
                Some(b'"') => {
                    self.pos += 1;
                    let closing = (0..hashes).all(|i| self.s.get(self.pos + i) == Some(&b'#'));
                    if closing {
                        self.pos += hashes;
                        return Ok(());
                    }
                }
                _ => self.pos += 1,
            }
        }
    }

    fn ident_at(&self, at: usize) -> usize {
        let mut end = at;
        while end < self.s.len() && is_ident_byte(self.s[end]) {
            end += 1;
        }
        end
    }

    fn value(&mut self) -> Result<Node, ScanError> {
        if self.depth >= MAX_DEPTH {
            return self.err(format!("nested deeper than {MAX_DEPTH} levels"));
        }
        self.depth += 1;
        let node = self.value_inner();
        self.depth -= 1;
        node
    }

    fn value_inner(&mut self) -> Result<Node, ScanError> {
        self.skip_ws()?;
        let start = self.pos;
        match self.peek() {
            None => self.err("unexpected end of input"),
            Some(b'(') => self.parenthesised(start),
            Some(b'[') => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_ws()?;
                    if self.peek() == Some(b']') {
                        self.pos += 1;
                        break;
                    }
                    items.push(self.value()?);
                    self.separator(b']')?;
                }
                Ok(Node {
                    start,
                    end: self.pos,
                    kind: Kind::List(items),
                })
            }
            Some(b'{') => {
                self.pos += 1;
                let mut entries = Vec::new();
                loop {
                    self.skip_ws()?;
                    if self.peek() == Some(b'}') {
                        self.pos += 1;
                        break;
                    }
                    let k = self.value()?;
                    self.expect(b':')?;
                    let v = self.value()?;
                    entries.push((k, v));
                    self.separator(b'}')?;
                }
                Ok(Node {
                    start,
                    end: self.pos,
                    kind: Kind::Map(entries),
                })
            }
            Some(b'"') => {
                self.quoted(b'"')?;
                Ok(Node {
                    start,
                    end: self.pos,
                    kind: Kind::Atom,
                })
            }
            Some(b'\'') => {
                self.quoted(b'\'')?;
                Ok(Node {
                    start,
                    end: self.pos,
                    kind: Kind::Atom,
                })
            }
            Some(b'r') if matches!(self.s.get(self.pos + 1), Some(b'"') | Some(b'#')) => {
                self.raw_string()?;
                Ok(Node {
                    start,
                    end: self.pos,
                    kind: Kind::Atom,
                })
            }
            Some(b) if is_atom_byte(b) => {
                while self.peek().is_some_and(is_atom_byte) {
                    self.pos += 1;
                }
                let after = self.pos;
                self.skip_ws()?;
                if self.peek() == Some(b'(') && is_ident_byte(self.s[start]) {
                    self.parenthesised(start)
                } else {
                    self.pos = after;
                    Ok(Node {
                        start,
                        end: after,
                        kind: Kind::Atom,
                    })
                }
            }
            Some(b) => self.err(format!("unexpected character '{}'", b as char)),
        }
    }

    /// After an element: a comma, or the closing bracket (left unconsumed).
    fn separator(&mut self, close: u8) -> Result<(), ScanError> {
        self.skip_ws()?;
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                Ok(())
            }
            Some(b) if b == close => Ok(()),
            _ => self.err(format!("expected ',' or '{}'", close as char)),
        }
    }

    fn parenthesised(&mut self, start: usize) -> Result<Node, ScanError> {
        self.expect(b'(')?;
        let open = self.pos;
        let mut fields = Vec::new();
        let mut items = Vec::new();
        loop {
            self.skip_ws()?;
            if self.peek() == Some(b')') {
                self.pos += 1;
                break;
            }
            // `name: value` or a positional value
            let id_end = self.ident_at(self.pos);
            let mut named = false;
            if id_end > self.pos && !self.s[self.pos].is_ascii_digit() {
                let save = self.pos;
                let name = String::from_utf8_lossy(&self.s[self.pos..id_end]).into_owned();
                self.pos = id_end;
                self.skip_ws()?;
                if self.peek() == Some(b':') {
                    self.pos += 1;
                    let v = self.value()?;
                    fields.push((name, v));
                    named = true;
                } else {
                    self.pos = save;
                }
            }
            if !named {
                items.push(self.value()?);
            }
            self.separator(b')')?;
        }
        Ok(Node {
            start,
            end: self.pos,
            kind: Kind::Struct {
                fields,
                items,
                open,
            },
        })
    }
}

/// Scans a whole RON document (skipping `#![enable(...)]` attributes).
pub fn scan(text: &str) -> Result<Node, ScanError> {
    let mut sc = Scanner {
        s: text.as_bytes(),
        pos: 0,
        depth: 0,
    };
    loop {
        sc.skip_ws()?;
        if sc.s[sc.pos..].starts_with(b"#!") {
            while sc.peek().is_some_and(|b| b != b']') {
                sc.pos += 1;
            }
            sc.expect(b']')?;
        } else {
            break;
        }
    }
    let root = sc.value()?;
    sc.skip_ws()?;
    if sc.pos != sc.s.len() {
        return sc.err("trailing characters after the document");
    }
    Ok(root)
}

/// The unquoted text of a string atom, if the node is one.
pub fn string_value<'t>(text: &'t str, node: &Node) -> Option<&'t str> {
    let raw = &text[node.start..node.end];
    raw.strip_prefix('"')?.strip_suffix('"')
}

/// Follows a dotted path from `root`. List items are chosen by index or by the
/// value of their `name` field; single-item wrappers such as `Some(..)` are
/// looked through, so `patience_s.mean` reaches into `Some(Exp(mean: 60))`.
pub fn resolve<'n>(text: &str, root: &'n Node, path: &str) -> Result<Target<'n>, String> {
    let segments: Vec<&str> = path.split('.').collect();
    if segments.iter().any(|s| s.is_empty()) {
        return Err(format!("'{path}' is not a valid path (empty segment)"));
    }
    let mut node = root;
    for (i, seg) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        let here = segments[..i].join(".");
        let here = if here.is_empty() {
            "the scenario".to_string()
        } else {
            format!("'{here}'")
        };
        node = loop {
            match &node.kind {
                Kind::Struct {
                    fields,
                    items,
                    open,
                } => {
                    if let Some((_, v)) = fields.iter().find(|(n, _)| n == seg) {
                        break v;
                    }
                    if fields.is_empty() && items.len() == 1 {
                        node = &items[0];
                        continue;
                    }
                    if let Ok(idx) = seg.parse::<usize>() {
                        if let Some(v) = items.get(idx) {
                            break v;
                        }
                    }
                    if last && (!fields.is_empty() || items.is_empty()) {
                        return Ok(Target::MissingField {
                            insert_at: *open,
                            parent: node,
                        });
                    }
                    return Err(format!("{here} has no field '{seg}'"));
                }
                Kind::List(items) => {
                    if let Ok(idx) = seg.parse::<usize>() {
                        match items.get(idx) {
                            Some(v) => break v,
                            None => {
                                return Err(format!(
                                    "{here} has {} item(s); index {idx} is out of range",
                                    items.len()
                                ))
                            }
                        }
                    }
                    let by_name = items.iter().find(|it| match &it.kind {
                        Kind::Struct { fields, .. } => fields
                            .iter()
                            .any(|(n, v)| n == "name" && string_value(text, v) == Some(seg)),
                        _ => false,
                    });
                    match by_name {
                        Some(v) => break v,
                        None => return Err(format!("{here} has no item named '{seg}'")),
                    }
                }
                Kind::Map(entries) => {
                    let found = entries.iter().find(|(k, _)| {
                        string_value(text, k) == Some(seg) || &text[k.start..k.end] == *seg
                    });
                    match found {
                        Some((_, v)) => break v,
                        None => return Err(format!("{here} has no key '{seg}'")),
                    }
                }
                Kind::Atom => {
                    return Err(format!("{here} is a plain value; it has no field '{seg}'"))
                }
            }
        };
    }
    Ok(Target::Value(node))
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"
// comment with ( and [
Scenario(
    name: "x", /* block ( */
    portals: [
        Portal(name: "acme", agents: 5, inbound: Traffic(arrivals: Poisson(per_hour: 10.0),
               patience_s: Some(Exp(mean: 60.0)))),
        Portal(name: "beta", agents: ["a", "b"], queue: Queue(no_answer: Forward("+7 495")), inbound: T()),
    ],
    topology: None,
)
"#;

    fn text_of(path: &str) -> String {
        let root = scan(DOC).unwrap();
        match resolve(DOC, &root, path).unwrap() {
            Target::Value(n) => DOC[n.start..n.end].to_string(),
            Target::MissingField { .. } => "<missing>".into(),
        }
    }

    #[test]
    fn resolves_fields_by_name_index_and_through_some() {
        assert_eq!(text_of("name"), "\"x\"");
        assert_eq!(text_of("portals.acme.agents"), "5");
        assert_eq!(text_of("portals.1.agents"), "[\"a\", \"b\"]");
        assert_eq!(text_of("portals.acme.inbound.arrivals.per_hour"), "10.0");
        assert_eq!(text_of("portals.acme.inbound.patience_s.mean"), "60.0");
        assert_eq!(
            text_of("portals.beta.queue.no_answer"),
            "Forward(\"+7 495\")"
        );
        assert_eq!(text_of("portals.beta.queue.policy"), "<missing>");
        assert_eq!(text_of("topology"), "None");
    }

    #[test]
    fn explains_paths_that_lead_nowhere() {
        let root = scan(DOC).unwrap();
        let e = resolve(DOC, &root, "portals.gamma.agents").unwrap_err();
        assert!(e.contains("no item named 'gamma'"), "{e}");
        let e = resolve(DOC, &root, "portals.7").unwrap_err();
        assert!(e.contains("out of range"), "{e}");
        let e = resolve(DOC, &root, "name.first").unwrap_err();
        assert!(e.contains("plain value"), "{e}");
        assert!(resolve(DOC, &root, "a..b").is_err());
    }

    #[test]
    fn refuses_deep_nesting_instead_of_overflowing_the_stack() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let e = scan(&deep).unwrap_err();
        assert!(e.message.contains("nested deeper than 128"), "{e}");
        let ok = format!("{}{}", "(".repeat(100), ")".repeat(100));
        assert!(scan(&ok).is_ok());
    }

    #[test]
    fn reports_malformed_text_instead_of_panicking() {
        for bad in [
            "Scenario(",
            "Scenario(a: [1, 2)",
            "\"open",
            "/* never closed",
            "X(a: 1) junk",
            "",
        ] {
            assert!(scan(bad).is_err(), "{bad:?} should not scan");
        }
    }

    #[test]
    fn line_and_column_are_one_based() {
        assert_eq!(line_col("ab\ncd", 0), (1, 1));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
    }
}
