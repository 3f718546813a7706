//! Telephone numbers: from the way people write them to international digits,
//! and from international digits to the way a trunk wants them (DESIGN §1,
//! "Outgoing calls").
//!
//! Tariffs are keyed by destination prefix of the international number, so
//! every number is brought to one form before rating: E.164 digits without
//! `+` (ITU-T E.164: country code + national significant number, 7 to 15
//! digits). On the way out some trunks want another form, which
//! [`format()`] writes from those digits.
//!
//! # Reading a number ([`normalise`])
//!
//! Separators (spaces of any kind, dashes, dots, parentheses, slashes) are
//! dropped, and so is a bracketed `(0)` after the first digits
//! (`+44 (0)20 7946 0000`): it is the trunk prefix shown for national
//! callers, which callers from abroad skip. A leading `+` means the digits
//! are already international.
//! Otherwise the digits are read with the dialling plan of the portal's home
//! country (`plans.rs`), trying these rules in order, first match wins:
//!
//! | # | rule                    | takes                                          | example (home)                                |
//! |---|-------------------------|------------------------------------------------|-----------------------------------------------|
//! | 1 | international prefix    | `810`, `00` (7); `011`, `00` (1); `00` (others) | `810 44 20 7946 0000` (7) → `442079460000`    |
//! | 2 | trunk prefix + NSN      | `8` (7), `1` (1), `0` (others) + a valid NSN   | `8 (495) 445-11-20` (7) → `74954451120`       |
//! | 3 | bare NSN                | a 10-digit NSN alone, only for 7 and 1         | `495 445 11 20` (7) → `74954451120`           |
//! | 4 | already international   | anything else not starting with 0              | `442079460000` (7) → `442079460000`           |
//!
//! Why this order: a prefix can only be read once the longer readings are
//! ruled out, and the plans make rules 1 and 2 disjoint — in zone 7 national
//! numbers never start with 0 or 1, so `810…` is never `8` + a national
//! number, and `8` + 10 digits starting 2–9 always is; in `0`-trunk
//! countries NSNs never start with 0, so `00…` is never `0` + a national
//! number. Rules 2 and 3 before rule 4 are a choice: in zone 7, 10 digits,
//! or 8 and 10 more, are a Russian or Kazakh number, even though a foreign
//! number of that length written without `+` (Estonia's `372…`, Vietnam's
//! `84…`) looks the same; foreign numbers need their `+` or prefix there. `+`
//! is never second-guessed: `+8 495…` is Vietnam, not a mistyped Moscow
//! number.
//!
//! The result must be 7 to 15 digits (E.164's maximum is 15; the shortest
//! assigned international numbers, e.g. Niue's, have 7) and not start with 0
//! (no country code does).
//!
//! # Writing a number ([`format()`])
//!
//! See [`TrunkFormat`]. For every style, `normalise(format(d, style), home)`
//! gives `d` back when `home` is the style's own country (any home for
//! `Plus`); for `International` the exceptions are the foreign numbers that
//! rules 2 and 3 read as national (above).
//!
//! # Invariant
//!
//! Pure functions of the text and a country code: no I/O, no portals, no
//! tariffs. They allocate, so numbers are normalised when input is read,
//! never per event.

mod countries;
mod plans;

use serde::Deserialize;

pub use countries::{country_of, is_calling_code};
use plans::{plan_for, DiallingPlan};

/// E.164 allows at most 15 digits in an international number.
pub const MAX_DIGITS: usize = 15;
/// The shortest international numbers in service (country code + NSN) have
/// 7 digits; anything shorter is a typo or a short code.
pub const MIN_DIGITS: usize = 7;

/// Why a written number cannot be turned into international digits. The
/// messages are reasons; the caller adds which number and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    #[error("no digits")]
    Empty,
    #[error(
        "extension marker {marker:?}: only the main number can be dialled; \
         give the extension separately"
    )]
    Extension { marker: String },
    #[error(
        "letter {letter:?} at column {column}: letters are not translated to \
         digits (vanity numbers are not supported)"
    )]
    Letter { letter: char, column: usize },
    #[error(
        "{character:?} at column {column} is neither a digit nor a separator \
         (spaces, - . ( ) /)"
    )]
    Character { character: char, column: usize },
    #[error("'+' at column {column}: a plus may only stand once, before the first digit")]
    MisplacedPlus { column: usize },
    #[error("0 follows the international prefix {prefix}: no country code starts with 0")]
    ZeroAfterInternationalPrefix { prefix: &'static str },
    #[error(
        "starts with 0, which is neither an international prefix nor the start \
         of a national number in country {home}"
    )]
    LeadingZero { home: String },
    #[error("{digits} digits: too short for an international number (at least {MIN_DIGITS})")]
    TooShort { digits: usize },
    #[error(
        "{digits} digits: too long for an international number (E.164 allows at most {MAX_DIGITS})"
    )]
    TooLong { digits: usize },
    #[error("home country {code:?} is not a country calling code")]
    HomeCountry { code: String },
}

/// Words that introduce an extension in written numbers: `ext`, `x`,
/// Russian `доб.` (добавочный), and the pause and wait letters of phone
/// dial strings (`p`, `w`).
const EXTENSION_WORDS: &[&str] = &[
    "x",
    "ext",
    "extn",
    "extension",
    "доб",
    "добавочный",
    "p",
    "w",
];

/// Symbols that introduce an extension or post-dial digits in dial strings
/// (pause `,`, wait `;`, and `#` before a PBX extension).
const EXTENSION_SYMBOLS: &[char] = &[',', ';', '#'];

/// What the digits of a number turned out to be.
enum Reading<'a> {
    /// International digits (country code first).
    International(&'a str),
    /// International digits after the named international prefix.
    AfterPrefix(&'static str, &'a str),
    /// A national significant number of the home country.
    National(&'a str),
}

/// One way to read dialled digits with a home country's plan.
type Rule = for<'a> fn(&DiallingPlan, &'a str) -> Option<Reading<'a>>;

/// The reading rules in precedence order (the table in the module docs).
const RULES: &[Rule] = &[
    // 1: an international prefix followed by something.
    |plan, digits| {
        plan.international_prefixes.iter().find_map(|prefix| {
            digits
                .strip_prefix(prefix)
                .filter(|rest| !rest.is_empty())
                .map(|rest| Reading::AfterPrefix(prefix, rest))
        })
    },
    // 2: the trunk prefix followed by a national significant number.
    |plan, digits| {
        digits
            .strip_prefix(plan.trunk_prefix)
            .filter(|nsn| plan.is_nsn(nsn))
            .map(Reading::National)
    },
    // 3: a national significant number alone, where that is unambiguous
    // enough.
    |plan, digits| {
        (plan.bare_nsn_is_national && plan.is_nsn(digits)).then_some(Reading::National(digits))
    },
    // 4: international digits without `+`.
    |_, digits| Some(Reading::International(digits)),
];

/// Brings a number as a person or a CRM wrote it to international digits
/// without `+`, the form tariffs are keyed by. `home_country` is the portal's
/// country calling code (`"7"`, `"380"`, `"1"`, `"49"`): its dialling plan
/// decides what national formats mean. The rules and their precedence are in
/// the module docs.
pub fn normalise(input: &str, home_country: &str) -> Result<String, NumberError> {
    if !is_calling_code(home_country) {
        return Err(NumberError::HomeCountry {
            code: home_country.to_owned(),
        });
    }
    let (plus, digits) = dialled_digits(input)?;
    if digits.is_empty() {
        return Err(NumberError::Empty);
    }
    let reading = if plus {
        Reading::International(&digits)
    } else {
        let plan = plan_for(home_country);
        RULES
            .iter()
            .find_map(|rule| rule(plan, &digits))
            .expect("the last rule reads anything")
    };
    let international = match reading {
        Reading::International(rest) if rest.starts_with('0') => {
            return Err(NumberError::LeadingZero {
                home: home_country.to_owned(),
            })
        }
        Reading::AfterPrefix(prefix, rest) if rest.starts_with('0') => {
            return Err(NumberError::ZeroAfterInternationalPrefix { prefix })
        }
        Reading::International(rest) | Reading::AfterPrefix(_, rest) => rest.to_owned(),
        Reading::National(nsn) => [home_country, nsn].concat(),
    };
    match international.len() {
        n if n < MIN_DIGITS => Err(NumberError::TooShort { digits: n }),
        n if n > MAX_DIGITS => Err(NumberError::TooLong { digits: n }),
        _ => Ok(international),
    }
}

/// The digits of `input` and whether a `+` came before them; rejects
/// anything that is neither a digit nor a separator.
fn dialled_digits(input: &str) -> Result<(bool, String), NumberError> {
    let mut plus = false;
    let mut digits = String::with_capacity(input.len());
    let mut skip = 0;
    for (index, (byte, c)) in input.char_indices().enumerate() {
        if skip > 0 {
            skip -= 1;
            continue;
        }
        let column = index + 1;
        match c {
            '0'..='9' => digits.push(c),
            '(' if !digits.is_empty() && input[byte..].starts_with("(0)") => skip = 2,
            '+' if plus || !digits.is_empty() => return Err(NumberError::MisplacedPlus { column }),
            '+' => plus = true,
            _ if is_separator(c) => {}
            _ if c.is_alphabetic() => {
                let word: String = input[byte..]
                    .chars()
                    .take_while(|c| c.is_alphabetic())
                    .flat_map(char::to_lowercase)
                    .collect();
                return Err(if EXTENSION_WORDS.contains(&word.as_str()) {
                    NumberError::Extension { marker: word }
                } else {
                    NumberError::Letter { letter: c, column }
                });
            }
            _ if EXTENSION_SYMBOLS.contains(&c) => {
                return Err(NumberError::Extension {
                    marker: c.to_string(),
                })
            }
            _ => {
                return Err(NumberError::Character {
                    character: c,
                    column,
                })
            }
        }
    }
    Ok((plus, digits))
}

/// Whitespace of any kind (copy-paste brings no-break and thin spaces),
/// ASCII and typographic dashes, the minus sign, dots, parentheses, slashes.
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '-' | '.' | '(' | ')' | '/' | '\u{2010}'..='\u{2015}' | '\u{2212}'
        )
}

/// How a trunk wants numbers written. Scenario files name the styles as
/// written here: `International`, `Plus`, `National(country: "7")`,
/// `Kazakh`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum TrunkFormat {
    /// International digits as rated: `74954451120`.
    International,
    /// E.164 with a plus (RFC 3966 global number): `+74954451120`.
    Plus,
    /// As dialled from inside `country`: its own numbers with the national
    /// trunk prefix instead of the country code (`8` in zone 7, `0` in most
    /// countries, nothing in NANP, which dials 10 digits), everything else
    /// behind that country's international prefix (`810` in zone 7, `011` in
    /// NANP, `00` elsewhere).
    National { country: String },
    /// What Kazakh operators want (DESIGN §1): `7495…` as `8495…`, numbers
    /// outside zone 7 (Kazakhstan and Russia) behind `810`. This is
    /// `National { country: "7" }` under the name their documents use.
    Kazakh,
}

/// Writes international digits (the output of [`normalise`]) the way a
/// trunk wants them.
pub fn format(digits: &str, style: &TrunkFormat) -> String {
    debug_assert!(digits.bytes().all(|b| b.is_ascii_digit()), "{digits:?}");
    match style {
        TrunkFormat::International => digits.to_owned(),
        TrunkFormat::Plus => ["+", digits].concat(),
        TrunkFormat::National { country } => national(digits, country),
        TrunkFormat::Kazakh => national(digits, "7"),
    }
}

/// `digits` as dialled from inside `country`.
fn national(digits: &str, country: &str) -> String {
    let plan = plan_for(country);
    match digits.strip_prefix(country) {
        Some(nsn) if !country.is_empty() => [plan.national_prefix_out(), nsn].concat(),
        _ => [plan.international_prefixes[0], digits].concat(),
    }
}

#[cfg(test)]
mod tests;
