//! Fuzzes summary.csv as diff reads it (see
//! `telsim::robustness::fuzz_entry::summary_csv_bytes`).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    telsim::robustness::fuzz_entry::summary_csv_bytes(data);
});
