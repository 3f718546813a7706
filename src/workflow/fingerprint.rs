//! The fingerprint of a sharded job: everything that determines the bytes
//! a shard writes, so that shards of *different* jobs are never merged into
//! one result that looks valid.
//!
//! Two shards belong together when their fingerprints are equal: the same
//! telsim version, the same scenario file and topology file (by SHA-256 of
//! their bytes, so an edited file is caught even under the same name), the
//! same `--set` overrides and `--vary` values in the same order, and the
//! same effective seed and replications (after the overrides). A difference
//! is reported as the first field that differs, in the order of
//! [`Fingerprint::FIELDS`], so the message names the likeliest cause
//! ("shard 0 has seed 1, shard 1 has seed 99").
//!
//! The fingerprint is stored as `fingerprint.FIELD=VALUE` lines inside a
//! shard's manifest ([`Fingerprint::to_lines`], [`Fingerprint::parse`]);
//! other lines of the manifest are left to its owner. Values are escaped
//! (`\\`, `\n`, `\r`) so any override text fits on one line.

use std::fmt;
use std::io;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::model::Model;
use crate::scenario::Override;

/// Everything that determines a shard's bytes. Fields are public so other
/// sharded verbs can fill in what applies to them (a replication-sharded
/// run has no `varies`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// `CARGO_PKG_VERSION` of the telsim that wrote the shard.
    pub telsim_version: String,
    /// SHA-256 (lowercase hex) of the scenario file's bytes.
    pub scenario_sha256: String,
    /// SHA-256 of the topology file the scenario uses; `None` without one.
    pub topology_sha256: Option<String>,
    /// The `--set PATH=VALUE` overrides, in command-line order.
    pub sets: Vec<String>,
    /// The `--vary PATH=VALUES` axes as `PATH=v1,v2,…` with every value
    /// spelled out (a range is expanded), in command-line order.
    pub varies: Vec<String>,
    /// The effective base seed and replications, after the overrides.
    pub seed: u64,
    pub replications: u32,
}

/// The first field in which two fingerprints differ, with both values as
/// text (`left` from the fingerprint `first_difference` was called on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// A field name, or for a list `--set #N` / `--vary #N` (1-based).
    pub field: String,
    pub left: String,
    pub right: String,
}

impl Difference {
    /// `"<a> has seed 1, <b> has seed 99"`.
    pub fn describe(&self, left_name: &str, right_name: &str) -> String {
        format!(
            "{left_name} has {} {}, {right_name} has {} {}",
            self.field, self.left, self.field, self.right
        )
    }
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} vs {}", self.field, self.left, self.right)
    }
}

/// Most `--set` or `--vary` entries a stored fingerprint may list, and the
/// longest value: a manifest claiming more is damaged.
pub const MAX_ENTRIES: usize = 10_000;
pub const MAX_VALUE_BYTES: usize = 1 << 20;

const PREFIX: &str = "fingerprint.";

impl Fingerprint {
    /// Field names in comparison order (also the keys in a manifest).
    pub const FIELDS: [&'static str; 7] = [
        "telsim",
        "scenario_sha256",
        "topology_sha256",
        "seed",
        "replications",
        "set",
        "vary",
    ];

    /// The fingerprint of running `scenario` as loaded into `model` with
    /// `sets` applied (`varies` left empty for the caller to fill).
    pub fn of_run(scenario: &Path, model: &Model, sets: &[Override]) -> io::Result<Fingerprint> {
        let topology_sha256 = match &model.network {
            Some(net) => Some(sha256_file(net.topology.file())?),
            None => None,
        };
        Ok(Fingerprint {
            telsim_version: env!("CARGO_PKG_VERSION").to_string(),
            scenario_sha256: sha256_file(scenario)?,
            topology_sha256,
            sets: sets
                .iter()
                .map(|o| format!("{}={}", o.path, o.value))
                .collect(),
            varies: Vec::new(),
            seed: model.seed,
            replications: model.replications,
        })
    }

    /// The field's value(s) as text, for comparison and messages.
    fn values(&self, field: &str) -> Vec<String> {
        match field {
            "telsim" => vec![self.telsim_version.clone()],
            "scenario_sha256" => vec![self.scenario_sha256.clone()],
            "topology_sha256" => vec![self
                .topology_sha256
                .clone()
                .unwrap_or_else(|| "none".into())],
            "seed" => vec![self.seed.to_string()],
            "replications" => vec![self.replications.to_string()],
            "set" => self.sets.clone(),
            "vary" => self.varies.clone(),
            _ => unreachable!("not a fingerprint field: {field}"),
        }
    }

    /// `fingerprint.FIELD=VALUE` lines, one per value (none for an empty
    /// list), each ending in `\n`.
    pub fn to_lines(&self) -> String {
        let mut out = String::new();
        for field in Self::FIELDS {
            for v in self.values(field) {
                out.push_str(PREFIX);
                out.push_str(field);
                out.push('=');
                out.push_str(&escape(&v));
                out.push('\n');
            }
        }
        out
    }

    /// Reads the `fingerprint.` lines of `text` (other lines are ignored).
    /// `Ok(None)` when there are none (a manifest from before
    /// fingerprints); an error for an unknown field, a repeated single
    /// field, a missing one or a value that does not parse.
    pub fn parse(text: &str) -> Result<Option<Fingerprint>, String> {
        let mut single: [Option<String>; 5] = Default::default();
        let (mut sets, mut varies) = (Vec::new(), Vec::new());
        let mut any = false;
        for line in text.lines() {
            let Some(rest) = line.strip_prefix(PREFIX) else {
                continue;
            };
            any = true;
            let (field, raw) = rest
                .split_once('=')
                .ok_or_else(|| format!("fingerprint line '{}' has no '='", short(line)))?;
            if raw.len() > MAX_VALUE_BYTES {
                return Err(format!(
                    "fingerprint.{} is longer than {MAX_VALUE_BYTES} bytes",
                    short(field)
                ));
            }
            let value = unescape(raw)?;
            match field {
                "set" | "vary" => {
                    let list = if field == "set" {
                        &mut sets
                    } else {
                        &mut varies
                    };
                    if list.len() == MAX_ENTRIES {
                        return Err(format!("more than {MAX_ENTRIES} fingerprint.{field} lines"));
                    }
                    list.push(value);
                }
                _ => {
                    let i = Self::FIELDS[..5]
                        .iter()
                        .position(|f| *f == field)
                        .ok_or_else(|| format!("unknown fingerprint field '{}'", short(field)))?;
                    if single[i].replace(value).is_some() {
                        return Err(format!("fingerprint.{field} appears twice"));
                    }
                }
            }
        }
        if !any {
            return Ok(None);
        }
        let [telsim, scenario, topology, seed, reps] = single;
        let need =
            |v: Option<String>, f: &str| v.ok_or_else(|| format!("fingerprint.{f} is missing"));
        let topology = need(topology, "topology_sha256")?;
        let seed = need(seed, "seed")?;
        let reps = need(reps, "replications")?;
        Ok(Some(Fingerprint {
            telsim_version: need(telsim, "telsim")?,
            scenario_sha256: need(scenario, "scenario_sha256")?,
            topology_sha256: (topology != "none").then_some(topology),
            sets,
            varies,
            seed: seed
                .parse()
                .map_err(|_| format!("fingerprint.seed '{}' is not a seed", short(&seed)))?,
            replications: reps.parse().map_err(|_| {
                format!("fingerprint.replications '{}' is not a count", short(&reps))
            })?,
        }))
    }

    /// The first field (in [`Self::FIELDS`] order) where `self` and
    /// `other` differ; for lists, the first entry that differs (or the
    /// count, when one is a prefix of the other). `None` when equal.
    pub fn first_difference(&self, other: &Fingerprint) -> Option<Difference> {
        for field in Self::FIELDS {
            let (a, b) = (self.values(field), other.values(field));
            if a == b {
                continue;
            }
            let list = matches!(field, "set" | "vary");
            if !list {
                return Some(Difference {
                    field: field.to_string(),
                    left: a[0].clone(),
                    right: b[0].clone(),
                });
            }
            let shown = |v: Option<&String>| match v {
                Some(v) => format!("'{}'", short(v)),
                None => "nothing".to_string(),
            };
            let i = (0..a.len().max(b.len()))
                .find(|&i| a.get(i) != b.get(i))
                .expect("lists differ");
            let name = if field == "set" { "--set" } else { "--vary" };
            return Some(Difference {
                field: format!("{name} #{}", i + 1),
                left: shown(a.get(i)),
                right: shown(b.get(i)),
            });
        }
        None
    }
}

/// SHA-256 of a file's bytes, lowercase hex.
pub fn sha256_file(path: &Path) -> io::Result<String> {
    use std::io::Read;
    let mut hasher = Sha256::new();
    let mut f = std::fs::File::open(path)?;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

/// SHA-256 of bytes, lowercase hex.
pub fn sha256_bytes(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn escape(v: &str) -> String {
    let mut o = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            c => o.push(c),
        }
    }
    o
}

fn unescape(v: &str) -> Result<String, String> {
    let mut o = String::with_capacity(v.len());
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            o.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => o.push('\\'),
            Some('n') => o.push('\n'),
            Some('r') => o.push('\r'),
            _ => return Err(format!("bad escape in fingerprint value '{}'", short(v))),
        }
    }
    Ok(o)
}

fn short(s: &str) -> String {
    super::csv_input::shorten(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp() -> Fingerprint {
        Fingerprint {
            telsim_version: "0.1.0".into(),
            scenario_sha256: sha256_bytes(b"Scenario()"),
            topology_sha256: None,
            sets: vec!["replications=3".into(), "name=\"a\nb\\\"".into()],
            varies: vec!["portals.0.agents=48,49,50".into()],
            seed: 1,
            replications: 3,
        }
    }

    #[test]
    fn lines_round_trip_and_other_lines_are_ignored() {
        let a = fp();
        let text = format!("shard=0/4\npoints=7\n{}header=point\n", a.to_lines());
        assert_eq!(Fingerprint::parse(&text).unwrap(), Some(a.clone()));
        assert_eq!(a.to_lines().lines().count(), 8);
        let b = Fingerprint {
            topology_sha256: Some(sha256_bytes(b"")),
            sets: vec![],
            ..a
        };
        assert_eq!(Fingerprint::parse(&b.to_lines()).unwrap(), Some(b));
        assert_eq!(Fingerprint::parse("shard=0/1\n").unwrap(), None);
        // The SHA-256 of the empty string (FIPS 180-2 test vector).
        assert_eq!(
            sha256_bytes(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn damaged_fingerprints_are_refused() {
        let good = fp().to_lines();
        for (text, want) in [
            (
                good.replace("fingerprint.seed=1\n", ""),
                "fingerprint.seed is missing",
            ),
            (format!("{good}fingerprint.seed=2\n"), "appears twice"),
            (
                format!("{good}fingerprint.colour=red\n"),
                "unknown fingerprint field",
            ),
            (good.replace("seed=1", "seed=-1"), "not a seed"),
            (
                good.replace("replications=3\n", "replications=1e9\n"),
                "not a count",
            ),
            (format!("{good}fingerprint.set=a\\x\n"), "bad escape"),
            (format!("{good}fingerprint.vary\n"), "has no '='"),
        ] {
            let e = Fingerprint::parse(&text).unwrap_err();
            assert!(e.contains(want), "{e} (wanted {want})");
        }
    }

    #[test]
    fn the_first_difference_is_named() {
        let a = fp();
        assert_eq!(a.first_difference(&a), None);
        let b = Fingerprint {
            seed: 99,
            replications: 5,
            varies: vec!["portals.0.agents=40,41".into()],
            ..a.clone()
        };
        let d = a.first_difference(&b).unwrap();
        assert_eq!(
            d.describe("shard 0", "shard 1"),
            "shard 0 has seed 1, shard 1 has seed 99"
        );
        let c = Fingerprint {
            sets: vec!["replications=3".into()],
            ..a.clone()
        };
        assert_eq!(
            a.first_difference(&c).unwrap().describe("x", "y"),
            "x has --set #2 'name=\"a\nb\\\"', y has --set #2 nothing"
        );
        let v = Fingerprint {
            telsim_version: "0.2.0".into(),
            ..a.clone()
        };
        assert_eq!(a.first_difference(&v).unwrap().field, "telsim");
    }
}
