//! Country calling codes (ITU-T E.164, assigned list in the ITU Operational
//! Bulletin "List of ITU-T Recommendation E.164 assigned country codes").
//!
//! The table is **partial**: the codes telsim's portals and their callers
//! meet most (the former USSR, Europe, the big economies, the Middle East and
//! South Asia). A number whose country code is missing still normalises and
//! formats correctly — only [`country_of`] answers `None` for it. Add rows as
//! scenarios need them; the tests check the table stays sorted and
//! prefix-free.

/// `(calling code, country or zone)`, sorted by code. The names are for the
/// reader; nothing looks them up.
const CALLING_CODES: &[(&str, &str)] = &[
    ("1", "NANP: United States, Canada, Caribbean"),
    ("20", "Egypt"),
    ("212", "Morocco"),
    ("213", "Algeria"),
    ("216", "Tunisia"),
    ("234", "Nigeria"),
    ("254", "Kenya"),
    ("27", "South Africa"),
    ("30", "Greece"),
    ("31", "Netherlands"),
    ("32", "Belgium"),
    ("33", "France"),
    ("34", "Spain"),
    ("351", "Portugal"),
    ("352", "Luxembourg"),
    ("353", "Ireland"),
    ("354", "Iceland"),
    ("355", "Albania"),
    ("356", "Malta"),
    ("357", "Cyprus"),
    ("358", "Finland"),
    ("359", "Bulgaria"),
    ("36", "Hungary"),
    ("370", "Lithuania"),
    ("371", "Latvia"),
    ("372", "Estonia"),
    ("373", "Moldova"),
    ("374", "Armenia"),
    ("375", "Belarus"),
    ("380", "Ukraine"),
    ("381", "Serbia"),
    ("382", "Montenegro"),
    ("385", "Croatia"),
    ("386", "Slovenia"),
    ("387", "Bosnia and Herzegovina"),
    ("389", "North Macedonia"),
    ("39", "Italy"),
    ("40", "Romania"),
    ("41", "Switzerland"),
    ("420", "Czech Republic"),
    ("421", "Slovakia"),
    ("43", "Austria"),
    ("44", "United Kingdom"),
    ("45", "Denmark"),
    ("46", "Sweden"),
    ("47", "Norway"),
    ("48", "Poland"),
    ("49", "Germany"),
    ("51", "Peru"),
    ("52", "Mexico"),
    ("53", "Cuba"),
    ("54", "Argentina"),
    ("55", "Brazil"),
    ("56", "Chile"),
    ("57", "Colombia"),
    ("58", "Venezuela"),
    ("60", "Malaysia"),
    ("61", "Australia"),
    ("62", "Indonesia"),
    ("63", "Philippines"),
    ("64", "New Zealand"),
    ("65", "Singapore"),
    ("66", "Thailand"),
    ("7", "Russia and Kazakhstan (one shared zone)"),
    ("81", "Japan"),
    ("82", "South Korea"),
    ("84", "Vietnam"),
    ("852", "Hong Kong"),
    ("86", "China"),
    ("880", "Bangladesh"),
    ("886", "Taiwan"),
    ("90", "Turkey"),
    ("91", "India"),
    ("92", "Pakistan"),
    ("93", "Afghanistan"),
    ("94", "Sri Lanka"),
    ("95", "Myanmar"),
    ("961", "Lebanon"),
    ("962", "Jordan"),
    ("965", "Kuwait"),
    ("966", "Saudi Arabia"),
    ("971", "United Arab Emirates"),
    ("972", "Israel"),
    ("974", "Qatar"),
    ("976", "Mongolia"),
    ("98", "Iran"),
    ("992", "Tajikistan"),
    ("993", "Turkmenistan"),
    ("994", "Azerbaijan"),
    ("995", "Georgia"),
    ("996", "Kyrgyzstan"),
    ("998", "Uzbekistan"),
];

/// The country calling code an international number (digits, no `+`)
/// belongs to, by longest prefix over a partial table (see the module docs);
/// `None` when its code is not in the table.
///
/// Calling codes form a prefix-free set (ITU-T E.164 assigns them so that
/// digit analysis can stop at the first match), so the longest match is the
/// only one; the search still goes longest first so that finer rows could be
/// added later without changing callers. Russia and Kazakhstan share zone 7:
/// both answer `"7"`, which is what the Kazakh trunk rule needs (8 inside the
/// zone, 810 outside it).
pub fn country_of(digits: &str) -> Option<&'static str> {
    (1..=3.min(digits.len())).rev().find_map(|len| {
        let prefix = digits.get(..len)?;
        CALLING_CODES
            .binary_search_by(|(code, _)| (*code).cmp(prefix))
            .ok()
            .map(|i| CALLING_CODES[i].0)
    })
}

/// Whether `code` can be a country calling code: 1 to 3 ASCII digits, not
/// starting with 0 (no country code does), and not clashing with the table —
/// neither a proper prefix of a known code (`"4"`, because 40–49 exist) nor
/// an extension of one (`"74"`, because zone 7 owns every number starting
/// with 7). Codes the partial table lacks (`"677"`) are accepted.
pub fn is_calling_code(code: &str) -> bool {
    let syntax_ok = (1..=3).contains(&code.len())
        && code.bytes().all(|b| b.is_ascii_digit())
        && !code.starts_with('0');
    syntax_ok
        && CALLING_CODES.iter().all(|(known, _)| {
            *known == code || !(known.starts_with(code) || code.starts_with(known))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_prefix_free() {
        for pair in CALLING_CODES.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{} before {}", pair[0].0, pair[1].0);
        }
        for (a, _) in CALLING_CODES {
            assert!(is_calling_code(a), "{a}");
            for (b, _) in CALLING_CODES {
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
    }

    #[test]
    fn country_of_answers_none_outside_the_table_and_on_short_input() {
        assert_eq!(country_of("6771234567"), None); // Solomon Islands: not listed
        assert_eq!(country_of(""), None);
        assert_eq!(country_of("3"), None);
        assert_eq!(country_of("0441234567"), None);
    }

    #[test]
    fn calling_codes_are_checked_against_the_table() {
        for good in ["7", "1", "380", "49", "44", "677"] {
            assert!(is_calling_code(good), "{good}");
        }
        for bad in ["", "0", "07", "4", "74", "3801", "12", "4x", "+7"] {
            assert!(!is_calling_code(bad), "{bad}");
        }
    }
}
