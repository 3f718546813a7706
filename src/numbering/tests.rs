use proptest::prelude::*;

use super::*;

fn national(country: &str) -> TrunkFormat {
    TrunkFormat::National {
        country: country.to_owned(),
    }
}

fn ok(input: &str, home: &str) -> String {
    normalise(input, home).unwrap_or_else(|e| panic!("{input:?} (home {home}): {e}"))
}

fn err(input: &str, home: &str) -> NumberError {
    match normalise(input, home) {
        Ok(digits) => panic!("{input:?} (home {home}) read as {digits}"),
        Err(e) => e,
    }
}

// DESIGN §1, "Outgoing calls", exactly as written there; the `…` examples
// completed with the same Moscow number.
#[test]
fn design_examples_normalise() {
    assert_eq!(ok("8 (495) 445-11-20", "7"), "74954451120");
    assert_eq!(ok("+7 495 445-11-20", "7"), "74954451120");
    assert_eq!(ok("+7 495 445-11-20", "49"), "74954451120");
    assert_eq!(ok("007 495 445-11-20", "7"), "74954451120");
    assert_eq!(ok("007 495 445-11-20", "49"), "74954451120");
    assert_eq!(ok("0117 495 445-11-20", "1"), "74954451120");
}

#[test]
fn design_examples_format() {
    // "a leading `+`"
    assert_eq!(format("74954451120", &TrunkFormat::Plus), "+74954451120");
    // "Kazakh operators want `8495…` instead of `7495…`"
    assert_eq!(format("74954451120", &TrunkFormat::Kazakh), "84954451120");
    // "and `810` before international numbers outside KZ/RU"
    assert_eq!(
        format("442079460000", &TrunkFormat::Kazakh),
        "810442079460000"
    );
    // Kazakhstan itself is inside zone 7: Astana gets 8 too.
    assert_eq!(format("77172123456", &TrunkFormat::Kazakh), "87172123456");
    // "no country code"
    assert_eq!(format("74954451120", &national("7")), "84954451120");
}

#[test]
fn international_prefixes_of_each_plan() {
    assert_eq!(ok("810 44 20 7946 0000", "7"), "442079460000");
    assert_eq!(ok("00 44 20 7946 0000", "7"), "442079460000");
    assert_eq!(ok("011 44 20 7946 0000", "1"), "442079460000");
    assert_eq!(ok("00 44 20 7946 0000", "1"), "442079460000");
    assert_eq!(ok("0044 20 7946 0000", "380"), "442079460000");
}

#[test]
fn a_bracketed_trunk_zero_after_the_country_code_is_dropped() {
    assert_eq!(ok("+44 (0)20 7946 0000", "7"), "442079460000");
    assert_eq!(ok("0049 (0)30 1234567", "49"), "49301234567");
    // Before any digit it is an ordinary trunk prefix in brackets.
    assert_eq!(ok("(0)30 1234567", "49"), "49301234567");
}

#[test]
fn national_formats_of_each_plan() {
    // Zone 7: trunk 8 + 10 digits, 10 digits alone, or 7 + 10 digits.
    assert_eq!(ok("8 800 555-35-35", "7"), "78005553535");
    assert_eq!(ok("8-916-123-45-67", "7"), "79161234567");
    assert_eq!(ok("495 445 11 20", "7"), "74954451120");
    assert_eq!(ok("7 495 445 11 20", "7"), "74954451120");
    assert_eq!(ok("8 (7172) 12-34-56", "7"), "77172123456");
    // Ukraine: 0 + 9 digits.
    assert_eq!(ok("044 123 45 67", "380"), "380441234567");
    assert_eq!(ok("(050) 123-45-67", "380"), "380501234567");
    // NANP: 10 digits, or 1 + 10.
    assert_eq!(ok("(212) 555-0123", "1"), "12125550123");
    assert_eq!(ok("1-212-555-0123", "1"), "12125550123");
    assert_eq!(ok("212.555.0123", "1"), "12125550123");
    // Germany and the UK: the ITU-T recommended 0 trunk prefix.
    assert_eq!(ok("030 1234567", "49"), "49301234567");
    assert_eq!(ok("0151 12345678", "49"), "4915112345678");
    assert_eq!(ok("0049 30 1234567", "49"), "49301234567");
    assert_eq!(ok("020 7946 0000", "44"), "442079460000");
}

#[test]
fn separators_of_every_kind_are_dropped() {
    for written in [
        "+7 (495) 445-11-20",
        "+7.495.445.11.20",
        "+7/495/4451120",
        "\t+7 495\u{a0}445\u{202f}11 20 ",
        "+7 495 445\u{2013}11\u{2014}20",
        "+7 495 445\u{2212}11\u{2010}20",
        "(+7) 4954451120",
    ] {
        assert_eq!(ok(written, "380"), "74954451120", "{written:?}");
    }
}

#[test]
fn precedence_between_rules() {
    // 810 is international in zone 7 even though it starts with the trunk 8:
    // zone 7 numbers never start with 1.
    assert_eq!(ok("810 1 212 555 0123", "7"), "12125550123");
    // 8 + 10 digits starting 2–9 is national in zone 7 ...
    assert_eq!(ok("84954451120", "7"), "74954451120");
    // ... but 8 + another length is an international number starting with 8
    // (China here), written without +.
    assert_eq!(ok("86 138 1234 5678", "7"), "8613812345678");
    // 810 means nothing special outside zone 7: 8 10… is read as written.
    assert_eq!(ok("810 44 20 7946 0000", "49"), "810442079460000");
    // 10 digits in zone 7 are a national number, even where they could be a
    // foreign number written without + (Estonia's 372 here).
    assert_eq!(ok("3726123456", "7"), "73726123456");
    assert_eq!(ok("+3726123456", "7"), "3726123456");
    // Likewise 8 + 10 digits: a Vietnamese 84… number needs its +.
    assert_eq!(ok("84912345678", "7"), "74912345678");
    assert_eq!(ok("+84912345678", "7"), "84912345678");
    // A plus is never second-guessed: +8 495… is Vietnam.
    assert_eq!(ok("+8 495 445 11 20", "7"), "84954451120");
    // Zone 7 also takes 00, the ITU prefix.
    assert_eq!(ok("00 380 44 123 45 67", "7"), "380441234567");
    // Foreign digits without any prefix are already international.
    assert_eq!(ok("442079460000", "7"), "442079460000");
    assert_eq!(ok("74954451120", "1"), "74954451120");
    assert_eq!(ok("74954451120", "380"), "74954451120");
}

#[test]
fn format_in_every_style() {
    let moscow = "74954451120";
    let london = "442079460000";
    let new_york = "12125550123";
    let berlin = "49301234567";
    let kyiv = "380441234567";
    assert_eq!(format(moscow, &TrunkFormat::International), moscow);
    assert_eq!(format(london, &TrunkFormat::Plus), "+442079460000");
    assert_eq!(format(london, &national("7")), "810442079460000");
    assert_eq!(format(moscow, &national("49")), "0074954451120");
    assert_eq!(format(berlin, &national("49")), "0301234567");
    assert_eq!(format(new_york, &national("1")), "2125550123");
    assert_eq!(format(moscow, &national("1")), "01174954451120");
    assert_eq!(format(kyiv, &national("380")), "0441234567");
    assert_eq!(format(london, &national("44")), "02079460000");
    assert_eq!(format(new_york, &TrunkFormat::Kazakh), "81012125550123");
}

#[test]
fn format_then_normalise_gives_the_digits_back() {
    let numbers = [
        "74954451120",
        "77172123456",
        "78005553535",
        "12125550123",
        "380441234567",
        "49301234567",
        "4915112345678",
        "442079460000",
        "8613812345678",
        "37061234567",
    ];
    for home in ["7", "1", "380", "49", "44", "998"] {
        let mut styles = vec![
            TrunkFormat::International,
            TrunkFormat::Plus,
            national(home),
        ];
        if home == "7" {
            styles.push(TrunkFormat::Kazakh);
        }
        for digits in numbers {
            for style in &styles {
                let written = format(digits, style);
                assert_eq!(
                    normalise(&written, home),
                    Ok(digits.to_owned()),
                    "{digits} as {style:?} = {written}, home {home}"
                );
            }
        }
    }
}

#[test]
fn empty_input_is_rejected() {
    for input in ["", "   ", "()-", "+", " + "] {
        assert_eq!(err(input, "7"), NumberError::Empty, "{input:?}");
    }
    assert_eq!(NumberError::Empty.to_string(), "no digits");
}

#[test]
fn extensions_are_rejected_with_their_marker() {
    for (input, marker) in [
        ("+7 495 445-11-20 ext. 123", "ext"),
        ("+7 495 445-11-20 EXT 123", "ext"),
        ("(212) 555-0123 x45", "x"),
        ("+7 495 445-11-20 доб. 123", "доб"),
        ("+74954451120p123", "p"),
        ("+74954451120,123", ","),
        ("+74954451120;123", ";"),
        ("2125550123#45", "#"),
    ] {
        assert_eq!(
            err(input, "1"),
            NumberError::Extension {
                marker: marker.to_owned()
            },
            "{input:?}"
        );
    }
    assert_eq!(
        err("+7 495 445-11-20 ext. 123", "7").to_string(),
        "extension marker \"ext\": only the main number can be dialled; give the extension separately"
    );
}

#[test]
fn letters_and_other_characters_are_rejected_where_they_stand() {
    assert_eq!(
        err("1-800-FLOWERS", "1"),
        NumberError::Letter {
            letter: 'F',
            column: 7
        }
    );
    assert_eq!(
        err("1-800-FLOWERS", "1").to_string(),
        "letter 'F' at column 7: letters are not translated to digits (vanity numbers are not supported)"
    );
    // Columns count characters, not bytes.
    assert_eq!(
        err("Тел 8 495", "7"),
        NumberError::Letter {
            letter: 'Т',
            column: 1
        }
    );
    assert_eq!(
        err("*100*74954451120", "7"),
        NumberError::Character {
            character: '*',
            column: 1
        }
    );
    assert_eq!(
        err("+7 495_445", "7").to_string(),
        "'_' at column 7 is neither a digit nor a separator (spaces, - . ( ) /)"
    );
    // Digits of other scripts are not ASCII digits.
    assert!(matches!(
        err("+٧٤٩٥٤٤٥١١٢٠", "7"),
        NumberError::Character { column: 2, .. }
    ));
}

#[test]
fn plus_only_before_the_first_digit() {
    assert_eq!(
        err("7+495 445 11 20", "7"),
        NumberError::MisplacedPlus { column: 2 }
    );
    assert_eq!(
        err("++7 495 445 11 20", "7"),
        NumberError::MisplacedPlus { column: 2 }
    );
    assert_eq!(
        err("7+495", "7").to_string(),
        "'+' at column 2: a plus may only stand once, before the first digit"
    );
}

#[test]
fn lengths_outside_e164_are_rejected() {
    assert_eq!(err("12345", "49"), NumberError::TooShort { digits: 5 });
    assert_eq!(err("+44 20", "7"), NumberError::TooShort { digits: 4 });
    // 0 + a short NSN: 49 + 4 digits.
    assert_eq!(err("030 12", "49"), NumberError::TooShort { digits: 6 });
    assert_eq!(
        err("+7 495 445 11 20 123 45", "7"),
        NumberError::TooLong { digits: 16 }
    );
    assert_eq!(
        err("810 44 20 7946 0000 1234", "7"),
        NumberError::TooLong { digits: 16 }
    );
    assert_eq!(
        err("12345", "49").to_string(),
        "5 digits: too short for an international number (at least 7)"
    );
    assert_eq!(
        NumberError::TooLong { digits: 16 }.to_string(),
        "16 digits: too long for an international number (E.164 allows at most 15)"
    );
    // The bounds themselves are fine.
    assert_eq!(ok("+6834002", "7"), "6834002");
    assert_eq!(ok("+123456789012345", "7"), "123456789012345");
}

#[test]
fn a_zero_where_a_country_code_should_start_is_rejected() {
    // Zone 7 has no 0 prefix: a number written with one is not a number.
    assert_eq!(
        err("0495 445 11 20", "7"),
        NumberError::LeadingZero {
            home: "7".to_owned()
        }
    );
    assert_eq!(
        err("0495 445 11 20", "7").to_string(),
        "starts with 0, which is neither an international prefix nor the start of a national number in country 7"
    );
    // Ukraine: 0 must be followed by exactly 9 digits.
    assert_eq!(
        err("044 123 45 6", "380"),
        NumberError::LeadingZero {
            home: "380".to_owned()
        }
    );
    assert_eq!(
        err("000 44 20 7946 0000", "49"),
        NumberError::ZeroAfterInternationalPrefix { prefix: "00" }
    );
    assert_eq!(
        err("+0 44 20 7946 0000", "49"),
        NumberError::LeadingZero {
            home: "49".to_owned()
        }
    );
}

#[test]
fn home_country_must_be_a_calling_code() {
    for home in ["", "0", "74", "+7", "4", "RU", "3800"] {
        assert_eq!(
            err("+7 495 445 11 20", home),
            NumberError::HomeCountry {
                code: home.to_owned()
            },
            "{home:?}"
        );
    }
    assert_eq!(
        err("+7 495 445 11 20", "74").to_string(),
        "home country \"74\" is not a country calling code"
    );
}

#[test]
fn scenarios_name_trunk_formats_in_ron() {
    let parse = |text: &str| ron::from_str::<TrunkFormat>(text);
    assert_eq!(parse("Plus").unwrap(), TrunkFormat::Plus);
    assert_eq!(parse("International").unwrap(), TrunkFormat::International);
    assert_eq!(parse("Kazakh").unwrap(), TrunkFormat::Kazakh);
    assert_eq!(parse("National(country: \"7\")").unwrap(), national("7"));
    assert!(parse("National(country: \"7\", prefix: \"8\")").is_err());
    assert!(parse("National").is_err());
    assert!(parse("E164").is_err());
}

/// International digits with a home country: either a number of the home
/// country (a valid NSN for its plan) or a foreign one.
fn number_and_home() -> impl Strategy<Value = (String, String)> {
    let homes = prop::sample::select(vec!["7", "1", "380", "49", "44", "33", "998"]);
    let foreign_codes =
        prop::sample::select(vec!["1", "7", "20", "44", "49", "86", "380", "371", "998"]);
    (homes, foreign_codes, any::<bool>(), "[2-9][0-9]{14}").prop_flat_map(
        |(home, foreign, domestic, pool)| {
            let code = if domestic || foreign == home {
                home
            } else {
                foreign
            };
            // NSN lengths: fixed in the plans with a row, anything that keeps
            // the number within E.164 elsewhere.
            let nsn_len = match (code, domestic || foreign == home) {
                ("7" | "1", true) => 10..=10,
                ("380", true) => 9..=9,
                _ => (MIN_DIGITS - code.len())..=(MAX_DIGITS - code.len()),
            };
            nsn_len.prop_map(move |len| (format!("{code}{}", &pool[..len]), home.to_owned()))
        },
    )
}

proptest! {
    #[test]
    fn normalise_never_panics_and_returns_e164_digits(input in any::<String>(), home in "[0-9]{0,4}") {
        if let Ok(digits) = normalise(&input, &home) {
            prop_assert!(digits.bytes().all(|b| b.is_ascii_digit()), "{digits}");
            prop_assert!((MIN_DIGITS..=MAX_DIGITS).contains(&digits.len()), "{digits}");
        }
    }

    #[test]
    fn phone_like_text_normalises_to_e164_digits(
        input in "[+]?[0-9 ()./-]{0,24}",
        home in prop::sample::select(vec!["7", "1", "380", "49", "44"]),
    ) {
        if let Ok(digits) = normalise(&input, home) {
            prop_assert!(digits.bytes().all(|b| b.is_ascii_digit()), "{digits}");
            prop_assert!((MIN_DIGITS..=MAX_DIGITS).contains(&digits.len()), "{digits}");
            prop_assert!(!digits.starts_with('0'), "{digits}");
        }
    }

    #[test]
    fn every_style_round_trips_through_the_home_plan((digits, home) in number_and_home()) {
        let mut styles = vec![TrunkFormat::Plus, national(&home)];
        if home == "7" {
            styles.push(TrunkFormat::Kazakh);
        }
        for style in &styles {
            let written = format(&digits, style);
            prop_assert_eq!(normalise(&written, &home), Ok(digits.clone()), "{:?} {}", style, written);
        }
    }
}
