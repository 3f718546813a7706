//! Scenario files: serde types, RON loading with positions, `--set`
//! overrides, and validation into a checked [`Model`](crate::model::Model).
//!
//! Architecture invariant: this is the only place that reads scenario text
//! and the only place that can reject it; everything downstream trusts the
//! model it returns.

pub mod diagnostics;
mod error;
mod load;
mod overrides;
pub mod ron_path;
pub mod types;
mod validate;
mod validate_business;
mod validate_routing;

pub use error::{Problem, ScenarioError};
pub use load::{
    load_scenario, load_scenario_capped, parse_ron, parse_scenario, Loaded, RonSyntaxError,
};
pub use overrides::{apply_override, Override};
pub use validate::validate;
