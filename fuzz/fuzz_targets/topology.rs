//! Topology text → parse → validate → (small graphs) all-pairs routes, LFAs
//! and the routes CSV.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    telsim::robustness::fuzz_entry::topology_bytes(data);
});
