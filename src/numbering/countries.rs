//! Country calling codes: the codes of libphonenumber's metadata (every
//! assigned geographic code and the non-geographic ones such as 800 and
//! 882), so the answer is the same as the one [`super::normalise`] reads
//! numbers with.

use super::metadata;

/// The country calling code an international number (digits, no `+`)
/// belongs to; `None` when no code begins it.
///
/// Calling codes form a prefix-free set (ITU-T E.164 assigns them so that
/// digit analysis can stop at the first match), so there is at most one.
/// Russia and Kazakhstan share zone 7: both answer `"7"`, which is what the
/// Kazakh trunk rule needs (8 inside the zone, 810 outside it). Tariff
/// prefixes are matched on the same digits, so a tariff for `"7"` rates
/// exactly the numbers whose country is `"7"`.
pub fn country_of(digits: &str) -> Option<&'static str> {
    metadata::code_of(digits)
}

/// Whether `code` is an assigned country calling code (`"7"`, `"380"`,
/// `"677"`; not `"4"`, `"74"` or `"+7"`).
pub fn is_calling_code(code: &str) -> bool {
    (1..=3).contains(&code.len())
        && code.bytes().all(|b| b.is_ascii_digit())
        && metadata::main_region(code).is_some()
}

/// Whether `code` is the calling code of a country or zone a portal can be
/// in: a calling code that is not non-geographic (800 freephone, 882
/// networks, … have no national dialling).
pub fn is_country_code(code: &str) -> bool {
    is_calling_code(code) && metadata::main_region(code).is_some_and(|r| r.id != "001")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_prefix_free_and_each_is_a_calling_code() {
        let codes: Vec<&str> = metadata::codes().collect();
        assert!(codes.len() > 200, "{}", codes.len());
        for a in &codes {
            assert!(is_calling_code(a), "{a}");
            for b in &codes {
                assert!(a == b || !b.starts_with(a), "{a} is a prefix of {b}");
            }
        }
    }

    #[test]
    fn country_of_finds_the_code_of_known_numbers() {
        assert_eq!(country_of("74954451120"), Some("7"));
        assert_eq!(country_of("77012345678"), Some("7")); // Kazakhstan
        assert_eq!(country_of("442079460000"), Some("44"));
        assert_eq!(country_of("380441234567"), Some("380"));
        assert_eq!(country_of("12125550123"), Some("1"));
        assert_eq!(country_of("4930123456"), Some("49"));
        assert_eq!(country_of("998712345678"), Some("998"));
        assert_eq!(country_of("37061234567"), Some("370"));
        // Codes a hand-kept table had missed: Solomon Islands, a
        // non-geographic (international freephone) code.
        assert_eq!(country_of("6771234567"), Some("677"));
        assert_eq!(country_of("80012345678"), Some("800"));
    }

    #[test]
    fn country_of_answers_none_without_a_code() {
        assert_eq!(country_of(""), None);
        assert_eq!(country_of("3"), None);
        assert_eq!(country_of("0441234567"), None);
        // 28x is a spare zone: no code is 2, 28 or 281.
        assert_eq!(country_of("2812345678"), None);
    }

    #[test]
    fn calling_codes_are_checked_against_the_metadata() {
        for good in ["7", "1", "380", "49", "44", "677", "800"] {
            assert!(is_calling_code(good), "{good}");
        }
        for bad in ["", "0", "07", "4", "74", "3801", "12", "4x", "+7", "281"] {
            assert!(!is_calling_code(bad), "{bad}");
            assert!(!is_country_code(bad), "{bad}");
        }
        assert!(is_country_code("7") && is_country_code("677"));
        assert!(!is_country_code("800") && !is_country_code("882"));
    }
}
