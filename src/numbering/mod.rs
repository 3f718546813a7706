//! Telephone numbers: from the way people write them to international digits,
//! and from international digits to the way a trunk wants them.
//!
//! Tariffs are keyed by destination prefix of the international number, so
//! every number is brought to one form before rating: E.164 digits without
//! `+` (country calling code + national significant number, NSN). On the way
//! out some trunks want another form, which [`format()`] writes from those
//! digits.
//!
//! What a country's numbers look like — its calling code, international
//! and national (trunk) prefixes, number ranges and lengths — is
//! libphonenumber's metadata, as the `phonenumber` crate carries it
//! (`metadata.rs`). A number is accepted only when libphonenumber holds it
//! valid; what telsim adds on top are the few rules of the providers it
//! models, marked *(provider rule)* below.
//!
//! # Reading a number ([`normalise`])
//!
//! Separators (spaces of any kind, dashes, dots, parentheses, slashes) are
//! dropped, and so is a bracketed `(0)` after the first digits
//! (`+44 (0)20 7946 0000`): it is the trunk prefix shown for national
//! callers, which callers from abroad skip. A leading `+` means the digits
//! are international. Otherwise they are read with the portal's home
//! country, trying these readings in order; the first that gives a valid
//! number wins:
//!
//! | # | reading                 | takes                                                     | example (home)                             |
//! |---|-------------------------|-----------------------------------------------------------|--------------------------------------------|
//! | 1 | international prefix    | the home's (`810` in zone 7, `011` in NANP, `00` in most); also `00` in zone 7 and NANP *(provider rule: numbers copied from abroad)* | `810 44 20 7946 0000` (7) → `442079460000` |
//! | 2 | trunk prefix + NSN      | the home's national prefix (`8` in zone 7, `1` in NANP, `0` in most) and a valid NSN | `8 (495) 445-11-20` (7) → `74954451120` |
//! | 3 | bare NSN                | a valid NSN alone, in zone 7 and NANP (ten digits is how numbers are written there) and in countries without a trunk prefix (Italy, Spain) | `495 445 11 20` (7) → `74954451120` |
//! | 4 | international digits    | a valid international number written without `+`          | `442079460000` (7) → `442079460000`        |
//!
//! An international prefix, once present, decides: what follows it must be
//! a valid international number. Readings 2 and 3 before 4 is a choice: in
//! zone 7 ten digits that are a Russian or Kazakh number are read so even
//! where the same digits would also be a foreign number written without `+`;
//! foreign numbers need their `+` or prefix there. In countries with a
//! trunk prefix (Germany, Ukraine, the UK) bare digits are international:
//! `442079460000` from Germany is London, although libphonenumber would also
//! take it for a German NSN. `+` is never second-guessed: `+8 495…` is
//! Vietnam, not a mistyped Moscow number.
//!
//! **A trunk prefix after the country code is an error**, not silently
//! fixed: `+380 044 123 45 67` (and `00 380 044…`) is refused with "national
//! trunk prefix 0 after country code 380", naming the number meant
//! (`+380 44 123 45 67`). A switch given `3800441234567` would fail the
//! call, and the written number is not always a typo of the stripped one
//! (`+7 800 555 35 35` is a valid toll-free number that starts with zone 7's
//! trunk 8), so the file is corrected instead. Only the bracketed `(0)`
//! convention is read as the trunk prefix it shows. libphonenumber itself
//! strips such a prefix when the rest is long enough, which is how the
//! `phonenumber` crate turns `+7 800 555 35 35` into an invalid number.
//!
//! An invalid number says why: too short, too long or of a wrong length for
//! its country, no such calling code, a trunk prefix after the code, a
//! missing trunk prefix (`30 1234567` in Germany), a digit before the trunk
//! prefix (`8 044 123 45 67` in Ukraine: the former USSR's trunk 8 before
//! today's 0), or a number outside every range of its country's plan. The
//! home country must be a country's calling code (not a non-geographic one
//! such as 800).
//!
//! # Writing a number ([`format()`])
//!
//! See [`TrunkFormat`]. For every style, `normalise(format(d, style), home)`
//! gives `d` back for every valid `d` when `home` is the style's own country
//! (any home for `Plus`); for `International` the exceptions are the foreign
//! numbers that readings 2 and 3 take as national (above).
//!
//! # Invariant
//!
//! Pure functions of the text and a country code: no I/O, no portals, no
//! tariffs. They allocate (and compile a country's patterns the first time
//! one of its numbers is read), so numbers are normalised when input is read,
//! never per event.

mod countries;
mod metadata;

use serde::Deserialize;

pub use countries::{country_of, is_calling_code, is_country_code};

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
    #[error("0 follows the international prefix {prefix}: no country calling code starts with 0")]
    ZeroAfterInternationalPrefix { prefix: String },
    #[error(
        "starts with 0, which is neither an international prefix nor the start \
         of a national number in country {home}"
    )]
    LeadingZero { home: String },
    #[error("no country calling code is {tried}")]
    UnknownCountryCode { tried: String },
    #[error(
        "too short: {digits} digit(s) after country code {code}, whose numbers have {lengths}"
    )]
    TooShort {
        code: String,
        digits: usize,
        lengths: String,
    },
    #[error("too long: {digits} digits after country code {code}, whose numbers have {lengths}")]
    TooLong {
        code: String,
        digits: usize,
        lengths: String,
    },
    #[error("{digits} digits after country code {code}, whose numbers have {lengths}")]
    WrongLength {
        code: String,
        digits: usize,
        lengths: String,
    },
    #[error(
        "+{code} {nsn} is in no number range of country {code} (libphonenumber's \
         numbering plan)"
    )]
    NotInPlan { code: String, nsn: String },
    #[error(
        "national trunk prefix {prefix} after country code {code}: with the \
         country code it is left out; the number is +{code} {nsn}"
    )]
    TrunkPrefixAfterCode {
        code: String,
        prefix: String,
        nsn: String,
    },
    #[error(
        "no valid number read as international digits (no '+', no international \
         prefix); as a national number of country {home} it needs the trunk \
         prefix: {prefix}{nsn}"
    )]
    MissingTrunkPrefix {
        home: String,
        prefix: String,
        nsn: String,
    },
    #[error(
        "{written} before the trunk prefix {prefix} of country {home}: without \
         the {written} it is +{home} {nsn}"
    )]
    BeforeTrunkPrefix {
        written: String,
        home: String,
        prefix: String,
        nsn: String,
    },
    #[error(
        "{digits} digits: longer than any telephone number (E.164 allows 15, \
         libphonenumber's longest valid numbers have 17)"
    )]
    TooManyDigits { digits: usize },
    #[error("home country {code:?} is not a country calling code")]
    HomeCountry { code: String },
}

/// At most this many digits are read: the longest valid numbers of the
/// metadata have 17 (German NSNs of 15); anything longer is refused before
/// patterns are matched.
const MAX_DIGITS: usize = 20;

/// Brings a number as a person or a CRM wrote it to international digits
/// without `+`, the form tariffs are keyed by. `home_country` is the portal's
/// country calling code (`"7"`, `"380"`, `"1"`, `"49"`): its national and
/// international prefixes decide what national formats mean. The readings
/// and their precedence are in the module docs.
pub fn normalise(input: &str, home_country: &str) -> Result<String, NumberError> {
    let home = metadata::main_region(home_country)
        .filter(|_| is_country_code(home_country))
        .ok_or_else(|| NumberError::HomeCountry {
            code: home_country.to_owned(),
        })?;
    let (plus, digits) = dialled_digits(input)?;
    if digits.is_empty() {
        return Err(NumberError::Empty);
    }
    if digits.len() > MAX_DIGITS {
        return Err(NumberError::TooManyDigits {
            digits: digits.len(),
        });
    }
    if plus {
        return after_international_prefix("+", &digits);
    }
    // 1: an international prefix decides.
    let prefixes = international_prefix_lens(home, &digits);
    if !prefixes.is_empty() {
        return after_international_prefixes(&digits, &prefixes);
    }
    // 2: the trunk prefix and a valid NSN.
    let trunk = home.strip_national_prefix(&digits);
    if let Some(nsn) = &trunk {
        if metadata::is_valid(home_country, nsn) {
            return Ok([home_country, nsn].concat());
        }
    }
    // 3: a valid NSN alone, where numbers are written so.
    let bare_is_national = bare_nsn_is_national(home);
    if bare_is_national && metadata::is_valid(home_country, &digits) {
        return Ok([home_country, &digits].concat());
    }
    // 4: international digits without `+`.
    let international = if digits.starts_with('0') {
        Err(NumberError::LeadingZero {
            home: home_country.to_owned(),
        })
    } else {
        international(&digits)
    };
    international.map_err(|international_error| {
        why_not_national(home, &digits, trunk.as_deref()).unwrap_or(international_error)
    })
}

/// The reason to give when no reading worked and the digits look national:
/// they start with the trunk prefix, or with one digit more before it (`8
/// 044…` in Ukraine, the former USSR's trunk 8 before today's 0), or are a
/// valid NSN that needs the trunk prefix (`30 1234567` in Germany).
fn why_not_national(
    home: &metadata::Region,
    digits: &str,
    trunk: Option<&str>,
) -> Option<NumberError> {
    let code = home.code;
    if let Some(nsn) = trunk {
        return Some(invalid_nsn(code, nsn));
    }
    let prefix = home.national_prefix.filter(|p| !p.is_empty())?;
    let after_extra = digits.get(1..).and_then(|rest| rest.strip_prefix(prefix));
    if let Some(nsn) = after_extra.filter(|nsn| metadata::is_valid(code, nsn)) {
        return Some(NumberError::BeforeTrunkPrefix {
            written: digits[..1].to_owned(),
            home: code.to_owned(),
            prefix: prefix.to_owned(),
            nsn: nsn.to_owned(),
        });
    }
    (!bare_nsn_is_national(home) && metadata::is_valid(code, digits)).then(|| {
        NumberError::MissingTrunkPrefix {
            home: code.to_owned(),
            prefix: prefix.to_owned(),
            nsn: digits.to_owned(),
        }
    })
}

/// Where a national number may be written without its trunk prefix: zone 7
/// and NANP, whose ten-digit numbers are commonly written so *(provider
/// rule)*, and countries that have no trunk prefix at all.
fn bare_nsn_is_national(home: &metadata::Region) -> bool {
    matches!(home.code, "7" | "1") || home.national_prefix.is_none_or(str::is_empty)
}

/// The lengths of the international prefixes `digits` can start with when
/// dialled from `home`, shortest first: the metadata's, and `00` in zone 7
/// and NANP *(provider rule)*. A prefix must be followed by something.
fn international_prefix_lens(home: &metadata::Region, digits: &str) -> Vec<usize> {
    let mut lens = home.international_prefix_lens(digits);
    if matches!(home.code, "7" | "1") && digits.starts_with("00") && !lens.contains(&2) {
        lens.push(2);
        lens.sort_unstable();
    }
    lens.retain(|&len| len < digits.len());
    lens
}

/// The digits after the longest of the international prefixes that leaves
/// a valid number; else the reason of the longest that leaves one not
/// starting with 0, else that of the shortest.
fn after_international_prefixes(digits: &str, lens: &[usize]) -> Result<String, NumberError> {
    let mut reasons = Vec::new();
    for &len in lens.iter().rev() {
        match after_international_prefix(&digits[..len], &digits[len..]) {
            Ok(international) => return Ok(international),
            Err(reason) => reasons.push(reason),
        }
    }
    let zero = |e: &NumberError| matches!(e, NumberError::ZeroAfterInternationalPrefix { .. });
    let pick = reasons
        .iter()
        .position(|e| !zero(e))
        .unwrap_or(reasons.len() - 1);
    Err(reasons.swap_remove(pick))
}

/// The digits after `+` or an international prefix: a valid international
/// number.
fn after_international_prefix(prefix: &str, rest: &str) -> Result<String, NumberError> {
    if rest.starts_with('0') {
        return Err(NumberError::ZeroAfterInternationalPrefix {
            prefix: prefix.to_owned(),
        });
    }
    international(rest)
}

/// `digits` (country code first, not starting with 0) as a valid
/// international number.
fn international(digits: &str) -> Result<String, NumberError> {
    let Some(code) = metadata::code_of(digits) else {
        let tried: Vec<&str> = (1..=3.min(digits.len()))
            .map(|len| &digits[..len])
            .collect();
        let tried = match tried.as_slice() {
            [one] => (*one).to_owned(),
            [init @ .., last] => format!("{} or {last}", init.join(", ")),
            [] => String::new(),
        };
        return Err(NumberError::UnknownCountryCode { tried });
    };
    let nsn = &digits[code.len()..];
    if metadata::is_valid(code, nsn) {
        return Ok(digits.to_owned());
    }
    let region = metadata::main_region(code).expect("code_of gives codes with regions");
    if let Some(stripped) = region.strip_national_prefix(nsn) {
        if metadata::is_valid(code, &stripped) {
            let prefix = nsn
                .strip_suffix(stripped.as_str())
                .unwrap_or(region.national_prefix.unwrap_or_default());
            return Err(NumberError::TrunkPrefixAfterCode {
                code: code.to_owned(),
                prefix: prefix.to_owned(),
                nsn: stripped,
            });
        }
    }
    Err(invalid_nsn(code, nsn))
}

/// Why `nsn` is not a valid number of calling code `code`: its length
/// against the lengths of the code's main country (libphonenumber's
/// `isPossibleNumberWithReason`; a number only long enough to be dialled
/// within its area, such as a US 7-digit one, is too short), or else no
/// range of its plan.
fn invalid_nsn(code: &str, nsn: &str) -> NumberError {
    let Some(region) = metadata::main_region(code) else {
        return NumberError::UnknownCountryCode {
            tried: code.to_owned(),
        };
    };
    let lengths = region.lengths();
    let n = nsn.len();
    let describe = || describe_lengths(&lengths);
    match (lengths.first(), lengths.last()) {
        (Some(&min), _) if n < min as usize => NumberError::TooShort {
            code: code.to_owned(),
            digits: n,
            lengths: describe(),
        },
        (_, Some(&max)) if n > max as usize => too_long(code, n),
        _ if !lengths.is_empty() && !lengths.contains(&(n as u16)) => NumberError::WrongLength {
            code: code.to_owned(),
            digits: n,
            lengths: describe(),
        },
        _ => NumberError::NotInPlan {
            code: code.to_owned(),
            nsn: nsn.to_owned(),
        },
    }
}

fn too_long(code: &str, digits: usize) -> NumberError {
    let lengths = metadata::main_region(code).map_or_else(Vec::new, |r| r.lengths());
    NumberError::TooLong {
        code: code.to_owned(),
        digits,
        lengths: describe_lengths(&lengths),
    }
}

/// `9 digits`, `10 or 11 digits`, `5 to 15 digits`, `7, 9 or 10 digits`.
fn describe_lengths(lengths: &[u16]) -> String {
    let list = match lengths {
        [] => return "no fixed length".to_owned(),
        [one] => one.to_string(),
        [first, .., last]
            if usize::from(last - first) + 1 == lengths.len() && lengths.len() > 2 =>
        {
            format!("{first} to {last}")
        }
        [init @ .., last] => {
            let init: Vec<String> = init.iter().map(u16::to_string).collect();
            format!("{} or {last}", init.join(", "))
        }
    };
    format!("{list} digits")
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
    /// As dialled from inside `country`: its own numbers with its national
    /// trunk prefix instead of the country code (`8` in zone 7, `0` in most
    /// countries, nothing where there is none, and nothing in NANP, whose
    /// trunks take the 10 digits *(provider rule)*), everything else behind
    /// its international prefix (`810` in zone 7, `011` in NANP, `00` in
    /// most), both from libphonenumber's metadata.
    National { country: String },
    /// What Kazakh operators want: `7495…` as `8495…`, numbers outside zone 7
    /// (Kazakhstan and Russia) behind `810`. This is
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

/// `digits` as dialled from inside `country` (a calling code; scenario
/// validation refuses others, which get the ITU-T `00` here).
fn national(digits: &str, country: &str) -> String {
    let Some(region) = metadata::main_region(country) else {
        return ["00", digits].concat();
    };
    match digits.strip_prefix(country) {
        Some(nsn) => {
            let trunk = match country {
                "1" => "",
                _ => region.national_prefix.unwrap_or_default(),
            };
            [trunk, nsn].concat()
        }
        None => [region.international_prefix_out().as_str(), digits].concat(),
    }
}

/// Whether `digits` (country code first, no `+`) are a valid international
/// number: what [`normalise`] returns, and only that.
pub fn is_valid(digits: &str) -> bool {
    metadata::code_of(digits).is_some_and(|code| metadata::is_valid(code, &digits[code.len()..]))
}

#[cfg(test)]
mod tests;
