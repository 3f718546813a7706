//! Number normalisation and trunk formatting (see
//! `telsim::robustness::fuzz_entry::numbering_bytes`).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    telsim::robustness::fuzz_entry::numbering_bytes(data);
});
