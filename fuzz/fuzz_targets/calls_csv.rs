//! Fuzzes calls.csv waits and MOS as report reads and draws them (see
//! `telsim::robustness::fuzz_entry::calls_csv_bytes`).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    telsim::robustness::fuzz_entry::calls_csv_bytes(data);
});
