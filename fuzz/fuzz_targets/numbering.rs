//! Number normalisation and trunk formatting: never panics, and formatting a
//! normalised number never fails. Enable in fuzz/Cargo.toml once
//! `telsim::numbering` is merged.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // First line: default country; rest: the number as a human typed it.
    let (country, number) = text.split_once('\n').unwrap_or(("RU", text));
    if let Ok(digits) = telsim::numbering::normalise(number, country) {
        assert!(
            digits.bytes().all(|b| b.is_ascii_digit()),
            "normalised number {digits:?} has non-digits"
        );
        for style in telsim::numbering::TrunkFormat::ALL {
            let _ = telsim::numbering::format(&digits, style);
        }
    }
});
