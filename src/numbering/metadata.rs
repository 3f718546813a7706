//! libphonenumber's metadata (as the `phonenumber` crate carries it, copied
//! into a static table by build.rs) and the checks telsim makes with it:
//! which calling code begins a string of digits, whether a national
//! significant number (NSN) is a number in service of a country, and if not,
//! why.
//!
//! Validity is libphonenumber's `isValidNumber`: for a code shared by several
//! regions (7: Russia and Kazakhstan; 1: the NANP) the region is the first,
//! main country first, whose leading digits start the NSN or, for a region
//! without leading digits, whose number types the NSN matches; the NSN is
//! valid when it matches the region's general pattern and one of its number
//! types (fixed line, mobile, toll free, …) entirely. The crate's own
//! `is_valid` matches patterns at the start only and strips a trunk prefix
//! after `+` even where that breaks the number (`+7 800…`), so telsim
//! matches the metadata itself.

use std::sync::OnceLock;

use regex_lite::Regex;

/// The number types a valid number must match one of (the order of the
/// metadata; validity does not depend on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    FixedLine,
    Mobile,
    TollFree,
    PremiumRate,
    SharedCost,
    PersonalNumber,
    Voip,
    Pager,
    Uan,
    Voicemail,
}

/// One number type of one region.
#[derive(Debug)]
pub(super) struct Desc {
    /// Which type the pattern is; nothing branches on it (validity takes any
    /// type), it names the rows for the reader and in `Debug` output.
    #[allow(dead_code)]
    pub kind: Kind,
    pub pattern: &'static str,
    /// NSN lengths of this type; empty means "as the pattern says".
    pub lengths: &'static [u16],
    /// libphonenumber's example NSN of the type (what the tests read).
    #[cfg_attr(not(test), allow(dead_code))]
    pub example: Option<&'static str>,
}

/// One region (country or territory) of the metadata.
#[derive(Debug)]
pub(super) struct Region {
    /// ISO 3166 region (`RU`, `KZ`), or `001` for a non-geographic code.
    pub id: &'static str,
    pub code: &'static str,
    pub national_prefix: Option<&'static str>,
    pub national_prefix_for_parsing: Option<&'static str>,
    pub national_prefix_transform_rule: Option<&'static str>,
    pub international_prefix: Option<&'static str>,
    pub preferred_international_prefix: Option<&'static str>,
    pub leading_digits: Option<&'static str>,
    pub general: &'static str,
    pub types: &'static [Desc],
    /// The patterns above, compiled when a number first needs them.
    compiled: OnceLock<Compiled>,
}

/// A region's patterns, compiled the first time a number needs them.
#[derive(Debug)]
struct Compiled {
    leading_digits: Option<Regex>,
    general: Regex,
    types: Vec<Regex>,
    international_prefix: Option<Regex>,
    national_prefix_for_parsing: Option<Regex>,
}

include!(concat!(env!("OUT_DIR"), "/phone_metadata.rs"));

/// International prefixes are looked for among this many first digits (the
/// metadata's longest, with a carrier code, have 5).
const MAX_PREFIX: usize = 8;

/// `pattern` matching a whole string (`whole`) or a prefix of it.
fn compile(pattern: &str, whole: bool) -> Regex {
    let anchored = if whole {
        format!("^(?:{pattern})$")
    } else {
        format!("^(?:{pattern})")
    };
    // The table's tests compile every pattern, so this cannot fail on data
    // that passed them.
    Regex::new(&anchored).unwrap_or_else(|e| panic!("libphonenumber pattern {pattern:?}: {e}"))
}

impl Region {
    fn compiled(&self) -> &Compiled {
        self.compiled.get_or_init(|| Compiled {
            leading_digits: self.leading_digits.map(|p| compile(p, false)),
            general: compile(self.general, true),
            types: self
                .types
                .iter()
                .map(|d| compile(d.pattern, true))
                .collect(),
            international_prefix: self.international_prefix.map(|p| compile(p, true)),
            national_prefix_for_parsing: self
                .national_prefix_for_parsing
                .map(|p| compile(p, false)),
        })
    }

    /// Whether `nsn` is a number of one of this region's types.
    fn has_number(&self, nsn: &str) -> bool {
        let compiled = self.compiled();
        compiled.general.is_match(nsn)
            && self.types.iter().zip(&compiled.types).any(|(desc, re)| {
                (desc.lengths.is_empty() || desc.lengths.contains(&(nsn.len() as u16)))
                    && re.is_match(nsn)
            })
    }

    /// The lengths of the international prefixes `digits` start with,
    /// shortest first: a pattern such as Hong Kong's `00(?:30|5[09]|[126-9]?)`
    /// takes both `00` and `006`, and only what follows tells which was
    /// meant.
    pub(super) fn international_prefix_lens(&self, digits: &str) -> Vec<usize> {
        let Some(re) = &self.compiled().international_prefix else {
            return Vec::new();
        };
        (1..=MAX_PREFIX.min(digits.len()))
            .filter(|&len| re.is_match(&digits[..len]))
            .collect()
    }

    /// `digits` without the national (trunk) prefix, when they start with one:
    /// libphonenumber's `national_prefix_for_parsing` (with its transform
    /// rule) where the region has one, else the plain national prefix.
    pub(super) fn strip_national_prefix(&self, digits: &str) -> Option<String> {
        if let Some(re) = &self.compiled().national_prefix_for_parsing {
            let captures = re.captures(digits)?;
            let end = captures.get(0).map_or(0, |m| m.end());
            // A transform rule rewrites the prefix when its last group took
            // part (Argentina's `15` mobile prefix); otherwise the prefix
            // is dropped.
            let transformed = captures.len() > 1 && captures.get(captures.len() - 1).is_some();
            return match self.national_prefix_transform_rule {
                Some(rule) if transformed => Some(re.replace(digits, rule).into_owned()),
                _ if end > 0 => Some(digits[end..].to_owned()),
                _ => None,
            };
        }
        let prefix = self.national_prefix.filter(|p| !p.is_empty())?;
        digits.strip_prefix(prefix).map(str::to_owned)
    }

    /// The international prefix written before foreign numbers: the
    /// preferred one with its "wait for dial tone" marks (`8~10`) removed,
    /// else the prefix itself when it is one fixed string of digits, else
    /// the smallest string of digits the prefix pattern takes (`011` for
    /// Palau's `01[12]`), else the ITU-T recommended `00`.
    pub(super) fn international_prefix_out(&self) -> String {
        let plain = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
        let preferred = self
            .preferred_international_prefix
            .map(|p| p.replace('~', ""))
            .filter(|p| plain(p));
        let fixed = || {
            self.international_prefix
                .filter(|p| plain(p))
                .map(str::to_owned)
        };
        let smallest = || {
            let re = self.compiled().international_prefix.as_ref()?;
            (1..=4u32)
                .flat_map(|len| {
                    (0..10u32.pow(len)).map(move |n| format!("{n:0len$}", len = len as usize))
                })
                .find(|p| re.is_match(p))
        };
        preferred
            .or_else(fixed)
            .or_else(smallest)
            .unwrap_or_else(|| "00".to_owned())
    }

    /// The NSN lengths of the region's numbers, shortest first.
    pub(super) fn lengths(&self) -> Vec<u16> {
        let mut lengths: Vec<u16> = self
            .types
            .iter()
            .flat_map(|d| d.lengths.iter().copied())
            .collect();
        lengths.sort_unstable();
        lengths.dedup();
        lengths
    }
}

/// The regions of calling code `code`, main country first; empty when no
/// country has it.
pub(super) fn regions(code: &str) -> &'static [Region] {
    let start = REGIONS.partition_point(|r| by_code(r.code, code).is_lt());
    let end = start + REGIONS[start..].partition_point(|r| r.code == code);
    &REGIONS[start..end]
}

/// Calling codes in the order REGIONS is sorted in (numerically).
fn by_code(a: &str, b: &str) -> std::cmp::Ordering {
    (a.len(), a).cmp(&(b.len(), b))
}

/// The main region of calling code `code`.
pub(super) fn main_region(code: &str) -> Option<&'static Region> {
    regions(code).first()
}

/// The calling code `digits` begin with (calling codes are prefix-free, so
/// there is at most one).
pub(super) fn code_of(digits: &str) -> Option<&'static str> {
    (1..=3.min(digits.len()))
        .filter_map(|len| main_region(digits.get(..len)?))
        .map(|r| r.code)
        .next()
}

/// Whether `nsn` is a valid number of calling code `code` (libphonenumber's
/// `isValidNumber`, see the module docs).
pub(super) fn is_valid(code: &str, nsn: &str) -> bool {
    let regions = regions(code);
    if let [only] = regions {
        return only.has_number(nsn);
    }
    for region in regions {
        match &region.compiled().leading_digits {
            Some(leading) if leading.is_match(nsn) => return region.has_number(nsn),
            Some(_) => {}
            None if region.has_number(nsn) => return true,
            None => {}
        }
    }
    false
}

/// Every calling code, ascending.
#[cfg(test)]
pub(super) fn codes() -> impl Iterator<Item = &'static str> {
    REGIONS
        .iter()
        .enumerate()
        .filter(|(i, r)| *i == 0 || REGIONS[i - 1].code != r.code)
        .map(|(_, r)| r.code)
}
