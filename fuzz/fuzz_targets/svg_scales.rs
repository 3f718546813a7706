//! Fuzzes the SVG ticks, ranges and charts (see
//! `telsim::robustness::fuzz_entry::svg_scales_bytes`).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    telsim::robustness::fuzz_entry::svg_scales_bytes(data);
});
