//! Scenario text → parse → validate → resource estimate → (small models) one
//! replication with the invariant checks on.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    telsim::robustness::fuzz_entry::scenario_bytes(data);
});
