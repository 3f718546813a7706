use proptest::prelude::*;

use super::*;

fn national(country: &str) -> TrunkFormat {
    TrunkFormat::National {
        country: country.to_owned(),
    }
}

/// How many of the home region's international prefixes at the start of
/// `written` leave a valid international number.
fn readings_after_international_prefixes(written: &str, home: &str) -> usize {
    let Some(region) = metadata::main_region(home) else {
        return 0;
    };
    let digits: String = written.chars().filter(char::is_ascii_digit).collect();
    if written.starts_with('+') {
        return 0;
    }
    international_prefix_lens(region, &digits)
        .into_iter()
        .filter(|&len| after_international_prefix(&digits[..len], &digits[len..]).is_ok())
        .count()
}

#[test]
fn an_ambiguous_international_prefix_takes_the_longest() {
    // From Hong Kong, `009` is a carrier's international prefix as well as
    // `00` followed by 9: the longest prefix that leaves a valid number wins.
    assert_eq!(
        readings_after_international_prefixes("00994123123456", "852"),
        2
    );
    assert_eq!(ok("00994123123456", "852"), "94123123456");
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

// The outgoing-call examples telsim was specified with; the `…` ones
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
    // 8 + a valid zone 7 NSN is national in zone 7 ...
    assert_eq!(ok("84954451120", "7"), "74954451120");
    // ... but 8 + digits that are no zone 7 number is an international
    // number starting with 8 (China here), written without +.
    assert_eq!(ok("86 138 1234 5678", "7"), "8613812345678");
    // 810 means nothing special outside zone 7: 8 10… is read as written;
    // 81 0442079460000 is no Japanese number (it would be a German one with
    // its trunk 0, says libphonenumber).
    assert!(matches!(
        err("810 44 20 7946 0000", "49"),
        NumberError::MissingTrunkPrefix { .. }
    ));
    // Ten digits in zone 7 are a national number when they are a valid one
    // there ...
    assert_eq!(ok("4912345678", "7"), "74912345678");
    // ... and not otherwise: 7 372… is no number of zone 7 (libphonenumber),
    // so these are Estonia's 372 written without +.
    assert_eq!(ok("3726123456", "7"), "3726123456");
    assert_eq!(ok("+3726123456", "7"), "3726123456");
    // Likewise 8 + 10 digits: a Vietnamese 84… number written without + is
    // read as the valid Ryazan number 8 491… in zone 7 and needs its +.
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
    // In a country with a trunk prefix, bare digits are international even
    // where they are also a national number (Germany takes 4420… too).
    assert_eq!(ok("442079460000", "49"), "442079460000");
    // Countries without a trunk prefix write national numbers bare, the
    // Italian leading 0 included.
    assert_eq!(ok("06 1234 5678", "39"), "390612345678");
    assert_eq!(ok("71 234 56 78", "998"), "998712345678");
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

fn short(code: &str, digits: usize, lengths: &str) -> NumberError {
    NumberError::TooShort {
        code: code.to_owned(),
        digits,
        lengths: lengths.to_owned(),
    }
}

fn long(code: &str, digits: usize, lengths: &str) -> NumberError {
    NumberError::TooLong {
        code: code.to_owned(),
        digits,
        lengths: lengths.to_owned(),
    }
}

#[test]
fn lengths_outside_the_plan_are_rejected() {
    // Read as international: 1 and 2345.
    assert_eq!(err("12345", "49"), short("1", 4, "10 digits"));
    assert_eq!(err("+44 20", "7"), short("44", 2, "7, 9 or 10 digits"));
    // 0 + a short NSN (German pager numbers have 4 digits, so 3).
    assert_eq!(err("030 1", "49"), short("49", 3, "4 to 15 digits"));
    assert_eq!(
        err("+7 495 445 11 20 123 45", "7"),
        long("7", 15, "10 or 14 digits")
    );
    assert_eq!(
        err("810 44 20 7946 0000 1234", "7"),
        long("44", 14, "7, 9 or 10 digits")
    );
    assert_eq!(
        err("12345", "49").to_string(),
        "too short: 4 digit(s) after country code 1, whose numbers have 10 digits"
    );
    // The shortest numbers in service are valid (Niue: 683 + 4 digits) ...
    assert_eq!(ok("+6834002", "7"), "6834002");
    // ... but 15 digits are not enough: +1 with 14 is no NANP number.
    assert_eq!(err("+123456789012345", "7"), long("1", 14, "10 digits"));
    assert_eq!(
        err(&"1".repeat(21), "7"),
        NumberError::TooManyDigits { digits: 21 }
    );
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
    // Ukraine: 0 must be followed by 9 digits.
    assert_eq!(
        err("044 123 45 6", "380"),
        short("380", 8, "9 or 10 digits")
    );
    assert_eq!(
        err("000 44 20 7946 0000", "49"),
        NumberError::ZeroAfterInternationalPrefix {
            prefix: "00".to_owned()
        }
    );
    assert_eq!(
        err("+0 44 20 7946 0000", "49"),
        NumberError::ZeroAfterInternationalPrefix {
            prefix: "+".to_owned()
        }
    );
}

#[test]
fn home_country_must_be_a_calling_code() {
    for home in ["", "0", "74", "+7", "4", "RU", "3800", "800"] {
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

#[test]
fn a_trunk_prefix_after_the_country_code_is_reported_with_the_number_meant() {
    let kyiv = NumberError::TrunkPrefixAfterCode {
        code: "380".to_owned(),
        prefix: "0".to_owned(),
        nsn: "441234567".to_owned(),
    };
    // Not 3800441234567, not a UK number behind 00.
    assert_eq!(err("+380 044 123 45 67", "380"), kyiv);
    assert_eq!(err("00 380 044 123 45 67", "49"), kyiv);
    assert_eq!(
        kyiv.to_string(),
        "national trunk prefix 0 after country code 380: with the country code it is left out; the number is +380 441234567"
    );
    // Not 784954451120.
    assert_eq!(
        err("+7 8 (495) 445-11-20", "7"),
        NumberError::TrunkPrefixAfterCode {
            code: "7".to_owned(),
            prefix: "8".to_owned(),
            nsn: "4954451120".to_owned(),
        }
    );
    assert!(matches!(
        err("+49 030 1234567", "49"),
        NumberError::TrunkPrefixAfterCode { ref prefix, .. } if prefix == "0"
    ));
    // A number that starts with the trunk digit and is valid as written is
    // left alone: 8-800 is zone 7's toll-free range (the phonenumber crate
    // strips the 8 here and gets an invalid number).
    assert_eq!(ok("+7 800 555 35 35", "7"), "78005553535");
    assert!(phonenumber::parse(None, "+7 800 555 35 35").is_ok_and(|n| !n.is_valid()));
    // The bracketed (0) convention is the one way to show it.
    assert_eq!(ok("+380 (0)44 123 45 67", "49"), "380441234567");
}

#[test]
fn national_numbers_with_a_wrong_or_missing_trunk_prefix_say_so() {
    // The former USSR's trunk 8 before Ukraine's 0: not 80441234567.
    assert_eq!(
        err("8 044 123 45 67", "380"),
        NumberError::BeforeTrunkPrefix {
            written: "8".to_owned(),
            home: "380".to_owned(),
            prefix: "0".to_owned(),
            nsn: "441234567".to_owned(),
        }
    );
    assert_eq!(
        err("8 044 123 45 67", "380").to_string(),
        "8 before the trunk prefix 0 of country 380: without the 8 it is +380 441234567"
    );
    // A German area number without its 0 is no international number.
    assert_eq!(
        err("30 1234567", "49"),
        NumberError::MissingTrunkPrefix {
            home: "49".to_owned(),
            prefix: "0".to_owned(),
            nsn: "301234567".to_owned(),
        }
    );
}

#[test]
fn too_short_and_unassigned_numbers_are_rejected_with_the_reason() {
    assert_eq!(
        err("+7 495 445 11 2", "7"),
        short("7", 9, "10 or 14 digits")
    );
    assert_eq!(err("8 495 445 11", "7"), short("7", 8, "10 or 14 digits"));
    assert_eq!(
        err("+380 44 123 45", "7"),
        short("380", 7, "9 or 10 digits")
    );
    assert_eq!(err("044 123 45", "380"), short("380", 7, "9 or 10 digits"));
    // Seven digits in NANP are a local number; trunks need the area code.
    assert_eq!(err("+1 555 0123", "1"), short("1", 7, "10 digits"));
    // The right length, but in no range of the plan: zone 7 numbers do not
    // start with 1.
    assert_eq!(
        err("+7 100 123 45 67", "7"),
        NumberError::NotInPlan {
            code: "7".to_owned(),
            nsn: "1001234567".to_owned()
        }
    );
    // 28x is a spare zone of E.164.
    assert_eq!(
        err("+28 1234 5678", "7"),
        NumberError::UnknownCountryCode {
            tried: "2, 28 or 281".to_owned()
        }
    );
    assert_eq!(
        err("+28 1234 5678", "7").to_string(),
        "no country calling code is 2, 28 or 281"
    );
}

/// libphonenumber's example number of every type of every region, as
/// international digits.
fn example_numbers() -> Vec<String> {
    metadata::REGIONS
        .iter()
        .flat_map(|r| {
            r.types
                .iter()
                .filter_map(|d| Some([r.code, d.example?].concat()))
        })
        .collect()
}

#[test]
fn every_example_number_of_the_metadata_is_valid_and_reads_back_from_plus() {
    let examples = example_numbers();
    assert!(examples.len() > 1000, "{}", examples.len());
    for digits in &examples {
        assert!(is_valid(digits), "{digits}");
        assert_eq!(
            normalise(&["+", digits].concat(), "49").as_ref(),
            Ok(digits)
        );
        // Iran's 4-digit UAN numbers make the shortest: 98 9601.
        assert!((6..=17).contains(&digits.len()), "{digits}");
    }
}

#[test]
fn validity_agrees_with_the_phonenumber_crate_where_its_parser_keeps_the_digits() {
    // The crate strips a trunk prefix after the country code whenever the
    // rest is not too short (so +7 800… loses its 8) and matches patterns at
    // the start only; on the numbers it reads as written, both must agree.
    let mut compared = 0;
    for digits in example_numbers() {
        let Ok(parsed) = phonenumber::parse(None, ["+", &digits].concat()) else {
            continue;
        };
        let theirs = format!("{}{}", parsed.code().value(), parsed.national());
        if theirs == digits {
            compared += 1;
            assert!(parsed.is_valid() || digits.starts_with("39"), "{digits}");
        }
    }
    assert!(compared > 1000, "{compared}");
    // And on invalid numbers, read both ways.
    for digits in ["74951234", "3804412345678", "12125550", "4420794600001"] {
        assert!(!is_valid(digits), "{digits}");
        let parsed = phonenumber::parse(None, ["+", digits].concat());
        assert!(parsed.map_or(true, |n| !n.is_valid()), "{digits}");
    }
}

/// An example number of the metadata with a home country: the homes are the
/// main countries of every calling code that has countries.
fn number_and_home() -> impl Strategy<Value = (String, String)> {
    let homes: Vec<&str> = metadata::codes().filter(|c| is_country_code(c)).collect();
    (
        prop::sample::select(example_numbers()),
        prop::sample::select(homes),
    )
        .prop_map(|(digits, home)| (digits, home.to_owned()))
}

proptest! {
    #[test]
    fn normalise_never_panics_and_returns_valid_numbers(input in any::<String>(), home in "[0-9]{0,4}") {
        if let Ok(digits) = normalise(&input, &home) {
            prop_assert!(digits.bytes().all(|b| b.is_ascii_digit()), "{digits}");
            prop_assert!(is_valid(&digits), "{digits}");
        }
    }

    #[test]
    fn phone_like_text_normalises_to_valid_numbers_that_read_back(
        input in "[+]?[0-9 ()./-]{0,24}",
        home in prop::sample::select(vec!["7", "1", "380", "49", "44", "39"]),
    ) {
        if let Ok(digits) = normalise(&input, home) {
            prop_assert!(digits.bytes().all(|b| b.is_ascii_digit()), "{digits}");
            prop_assert!(is_valid(&digits), "{digits}");
            prop_assert!(!digits.starts_with('0'), "{digits}");
            let plus = format(&digits, &TrunkFormat::Plus);
            for other in ["7", "1", "380", "49"] {
                prop_assert_eq!(normalise(&plus, other), Ok(digits.clone()));
            }
        }
    }

    #[test]
    fn every_style_round_trips_through_the_home_country((digits, home) in number_and_home()) {
        let mut styles = vec![TrunkFormat::Plus, national(&home)];
        if home == "7" {
            styles.push(TrunkFormat::Kazakh);
        }
        for style in &styles {
            let written = format(&digits, style);
            // Where two of the home region's international prefixes each
            // leave a valid number (Hong Kong dials `00` and the carrier
            // prefix `009`: `00 994…` and `009 94…`), the string is
            // ambiguous to any reader; the longest prefix wins, as pinned
            // in `an_ambiguous_international_prefix_takes_the_longest`.
            if readings_after_international_prefixes(&written, &home) > 1 {
                continue;
            }
            prop_assert_eq!(normalise(&written, &home), Ok(digits.clone()), "{:?} {}", style, written);
        }
    }

    #[test]
    fn a_valid_number_with_a_digit_dropped_or_added_is_not_read_as_itself(
        digits in prop::sample::select(example_numbers()),
        extra in 0u8..10,
    ) {
        let shorter = &digits[..digits.len() - 1];
        let longer = format!("{digits}{extra}");
        for wrong in [shorter, longer.as_str()] {
            if let Ok(read) = normalise(&["+", wrong].concat(), "7") {
                prop_assert_eq!(&read, wrong);
                prop_assert!(is_valid(wrong));
            }
        }
    }
}
