//! Robustness: resource guards that refuse absurd inputs before they run
//! ([`budget`]), bounded reading of input files ([`input`]), and the entry
//! points the fuzz targets share with the crash regression tests
//! ([`fuzz_entry`]). The always-on invariant checks live with the model
//! (`model::invariants`); graceful interruption lives in `orchestrate`.

pub mod budget;
#[doc(hidden)]
pub mod fuzz_entry;
pub mod input;

pub use budget::{estimate, over_budget, Estimate, Limits};
