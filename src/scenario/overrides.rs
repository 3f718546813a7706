use super::ron_path::{resolve, scan, Target};

/// One `--set PATH=VALUE` assignment.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    pub path: String,
    pub value: String,
}

impl std::str::FromStr for Override {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (path, value) = s
            .split_once('=')
            .ok_or_else(|| format!("'{s}' is not PATH=VALUE"))?;
        let (path, value) = (path.trim(), value.trim());
        if path.is_empty() || value.is_empty() {
            return Err(format!("'{s}' is not PATH=VALUE"));
        }
        Ok(Override {
            path: path.to_string(),
            value: value.to_string(),
        })
    }
}

impl std::fmt::Display for Override {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}={}", self.path, self.value)
    }
}

/// Rewrites the scenario text so that `o.path` holds `o.value`: the value's
/// text replaces the old one, or is inserted as a new field when the field was
/// left to its default. The result is parsed like any file, so overrides get
/// exactly the same type checks and validation as hand-written values.
pub fn apply_override(text: &str, o: &Override) -> Result<String, String> {
    // The value must be one well-formed RON value on its own.
    scan(&o.value).map_err(|e| format!("value is not valid RON: {e}"))?;
    let root = scan(text).map_err(|e| format!("cannot locate fields in the file: {e}"))?;
    match resolve(text, &root, &o.path)? {
        Target::Value(node) => Ok(format!(
            "{}{}{}",
            &text[..node.start],
            o.value,
            &text[node.end..]
        )),
        Target::MissingField { insert_at, .. } => {
            let field = o.path.rsplit('.').next().unwrap_or(&o.path);
            Ok(format!(
                "{} {field}: {},{}",
                &text[..insert_at],
                o.value,
                &text[insert_at..]
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "Scenario(name: \"x\", portals: [Portal(name: \"acme\", agents: 5, queue: Queue(ring_time_s: 3.0))])";

    fn set(s: &str) -> Result<String, String> {
        apply_override(DOC, &s.parse::<Override>()?)
    }

    #[test]
    fn replaces_existing_values() {
        let out = set("portals.acme.agents=52").unwrap();
        assert!(out.contains("agents: 52,"), "{out}");
        let out = set("portals.0.queue.ring_time_s=10.0").unwrap();
        assert!(out.contains("ring_time_s: 10.0"), "{out}");
    }

    #[test]
    fn inserts_defaulted_fields() {
        let out = set("portals.acme.queue.policy=All").unwrap();
        assert!(
            out.contains("Queue( policy: All,ring_time_s: 3.0)"),
            "{out}"
        );
        let out = set("replications=20").unwrap();
        assert!(out.starts_with("Scenario( replications: 20,name"), "{out}");
    }

    #[test]
    fn refuses_bad_assignments() {
        assert!(set("agents").unwrap_err().contains("PATH=VALUE"));
        assert!(set("portals.nope.agents=3")
            .unwrap_err()
            .contains("no item named 'nope'"));
        assert!(set("portals.acme.agents=[1,")
            .unwrap_err()
            .contains("not valid RON"));
        assert!(set("portals.acme.agents=1 2")
            .unwrap_err()
            .contains("trailing characters"));
    }
}
