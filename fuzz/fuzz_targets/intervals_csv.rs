//! Fuzzes intervals.csv as report reads and draws it (see
//! `telsim::robustness::fuzz_entry::intervals_csv_bytes`).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    telsim::robustness::fuzz_entry::intervals_csv_bytes(data);
});
