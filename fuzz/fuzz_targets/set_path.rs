//! `--set PATH=VALUE` (first line) applied to a scenario (the rest, or a
//! built-in one), then validated like a file.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    telsim::robustness::fuzz_entry::set_path_bytes(data);
});
