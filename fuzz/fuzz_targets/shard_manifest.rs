//! Fuzzes the sweep shard manifest and its fingerprint (see
//! `telsim::robustness::fuzz_entry::shard_manifest_bytes`).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    telsim::robustness::fuzz_entry::shard_manifest_bytes(data);
});
