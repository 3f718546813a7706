//! telsim: a discrete-event simulator of a cloud telephony platform.
//!
//! Data flows one way: scenario file → [`scenario`] (parse, override,
//! validate) → [`model::Model`] → [`engine`] event loop driving the
//! [`model`] platform → [`stats`] → [`output`]. [`orchestrate`] runs
//! replications in parallel around the engine. See ARCHITECTURE.md.

pub mod cli;
pub mod engine;
pub mod fit;
pub mod logs;
pub mod media;
pub mod model;
pub mod money;
pub mod network;
pub mod numbering;
pub mod orchestrate;
pub mod output;
pub mod robustness;
pub mod scenario;
pub mod stats;
pub mod theory;
pub mod workflow;

use std::path::Path;

use scenario::{Override, ScenarioError};

/// Loads, overrides and validates a scenario file in one step.
pub fn load_model(path: &Path, overrides: &[Override]) -> Result<model::Model, ScenarioError> {
    let loaded = scenario::load_scenario(path, overrides)?;
    scenario::validate(&loaded)
}

/// Loads, overrides and validates a scenario file, then refuses it when the
/// run's estimated work or memory exceeds `limits` (see
/// [`robustness::budget`]): the refusal is bad input, located at the field
/// to change.
pub fn load_model_within(
    path: &Path,
    overrides: &[Override],
    limits: &robustness::Limits,
) -> Result<(model::Model, robustness::Estimate), ScenarioError> {
    let loaded = scenario::load_scenario_capped(path, overrides, limits.max_input())?;
    let model = scenario::validate(&loaded)?;
    let est = robustness::estimate(&model, limits);
    let over = robustness::over_budget(&model, &est, limits);
    if over.is_empty() {
        return Ok((model, est));
    }
    let mut ck = scenario::diagnostics::Diagnostics::new(&loaded.text);
    for p in over {
        ck.problem(p.path, p.reason);
    }
    Err(ScenarioError::Invalid {
        file: loaded.file.clone(),
        problems: ck.problems,
        after_overrides: loaded.overridden,
    })
}

/// Parses and validates scenario text (tests, embedding); `origin` names it
/// in error messages.
pub fn model_from_str(text: &str, origin: &str) -> Result<model::Model, ScenarioError> {
    let file = Path::new(origin);
    let scenario = scenario::parse_scenario(text, file)?;
    let loaded = scenario::Loaded {
        scenario,
        text: text.to_string(),
        file: file.to_path_buf(),
        overridden: false,
    };
    scenario::validate(&loaded)
}
