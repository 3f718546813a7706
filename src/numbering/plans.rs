//! National dialling plans: which prefixes a caller in a country dials, and
//! how long national numbers there are.
//!
//! Source: the ITU's "Dialling procedures (international prefix, national
//! (trunk) prefix and national (significant) number)" list kept under ITU-T
//! Recommendation E.164. Most countries follow the ITU-T recommended prefixes
//! (`00` international, `0` trunk), which is [`DEFAULT_PLAN`]; only the
//! countries that differ in a way telsim's portals meet get a row.

use std::ops::RangeInclusive;

/// How numbers are dialled from inside one country.
#[derive(Debug)]
pub(super) struct DiallingPlan {
    /// Country calling code the row is for (empty for the default row).
    pub country: &'static str,
    /// Prefixes that mark an international number when dialled from this
    /// country; [`super::format`] writes the first.
    pub international_prefixes: &'static [&'static str],
    /// Prefix before a national significant number (NSN) in national
    /// dialling; written by [`super::TrunkFormat::National`].
    pub trunk_prefix: &'static str,
    /// Whether the trunk prefix may be left out when the number is written
    /// for [`super::TrunkFormat::National`] (NANP trunks take the 10 digits).
    pub trunk_prefix_optional_out: bool,
    /// Lengths an NSN can have; a trunk prefix followed by another length is
    /// not a national number.
    pub nsn_len: RangeInclusive<usize>,
    /// Digits an NSN can start with. Excluding the trunk prefix's digit (or
    /// `1` in zone 7) is what keeps `810…`/`00…` from ever reading as
    /// national.
    pub nsn_first_digits: &'static str,
    /// Whether an NSN written with no prefix at all (`495 445-11-20`) is
    /// taken as national. Only safe where NSNs have one fixed length, and
    /// still ambiguous with international numbers of that length written
    /// without `+` (the national reading wins).
    pub bare_nsn_is_national: bool,
}

/// Countries whose plan differs from the ITU-T recommendation.
const PLANS: &[DiallingPlan] = &[
    // Zone 7 (Russia, Kazakhstan): trunk 8, international 8~10 written
    // `810`; `00` is accepted too because people copy numbers from abroad.
    // NSNs are 10 digits and never start with 0 or 1, so `810…` is never a
    // national number and `8` + 10 digits always is.
    DiallingPlan {
        country: "7",
        international_prefixes: &["810", "00"],
        trunk_prefix: "8",
        trunk_prefix_optional_out: false,
        nsn_len: 10..=10,
        nsn_first_digits: "23456789",
        bare_nsn_is_national: true,
    },
    // NANP: trunk 1, international 011; area codes start with 2–9. `00` is
    // accepted as international: no NANP number starts with 0. Ten-digit
    // dialling works on trunks everywhere, so the 1 is not written out.
    DiallingPlan {
        country: "1",
        international_prefixes: &["011", "00"],
        trunk_prefix: "1",
        trunk_prefix_optional_out: true,
        nsn_len: 10..=10,
        nsn_first_digits: "23456789",
        bare_nsn_is_national: true,
    },
    // Ukraine: the recommended prefixes, with 9-digit NSNs (`0XX XXX XX XX`).
    DiallingPlan {
        country: "380",
        international_prefixes: &["00"],
        trunk_prefix: "0",
        trunk_prefix_optional_out: false,
        nsn_len: 9..=9,
        nsn_first_digits: "123456789",
        bare_nsn_is_national: false,
    },
];

/// The ITU-T recommended prefixes (`00`, `0`) with any NSN length: Germany,
/// the UK, France and most of the world. The length of the result is checked
/// later against E.164's bounds.
pub(super) static DEFAULT_PLAN: DiallingPlan = DiallingPlan {
    country: "",
    international_prefixes: &["00"],
    trunk_prefix: "0",
    trunk_prefix_optional_out: false,
    nsn_len: 1..=14,
    nsn_first_digits: "123456789",
    bare_nsn_is_national: false,
};

/// The plan of the country with calling code `country`.
pub(super) fn plan_for(country: &str) -> &'static DiallingPlan {
    PLANS
        .iter()
        .find(|plan| plan.country == country)
        .unwrap_or(&DEFAULT_PLAN)
}

impl DiallingPlan {
    /// Whether `nsn` can be a national significant number in this plan.
    pub(super) fn is_nsn(&self, nsn: &str) -> bool {
        self.nsn_len.contains(&nsn.len())
            && nsn
                .bytes()
                .next()
                .is_some_and(|first| self.nsn_first_digits.as_bytes().contains(&first))
    }

    /// The prefix written before an NSN in national format.
    pub(super) fn national_prefix_out(&self) -> &'static str {
        if self.trunk_prefix_optional_out {
            ""
        } else {
            self.trunk_prefix
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_rows_are_calling_codes_whose_prefixes_cannot_read_as_national() {
        for plan in PLANS.iter().chain([&DEFAULT_PLAN]) {
            assert!(
                plan.country.is_empty() || crate::numbering::is_calling_code(plan.country),
                "{plan:?}"
            );
            assert!(!plan.international_prefixes.is_empty(), "{plan:?}");
            // An international prefix that begins with the trunk prefix must
            // continue with a digit no NSN starts with.
            for prefix in plan.international_prefixes {
                if let Some(rest) = prefix.strip_prefix(plan.trunk_prefix) {
                    let next = rest.as_bytes()[0];
                    assert!(
                        !plan.nsn_first_digits.as_bytes().contains(&next),
                        "{plan:?}: {prefix}"
                    );
                }
            }
        }
        assert_eq!(plan_for("49").country, "");
        assert_eq!(plan_for("7").trunk_prefix, "8");
    }
}
