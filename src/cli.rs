//! Command-line definitions. Parsed into plain structs that `main` hands to
//! the library; nothing here runs a simulation.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::scenario::Override;

#[derive(Debug, Parser)]
#[command(
    name = "telsim",
    version,
    about = "Discrete-event simulator of a cloud telephony platform",
    long_about = "Discrete-event simulator of a cloud telephony platform.\n\n\
        Describe portals, queues, agents and servers in a RON scenario file; telsim replays \
        that world over independent replications and writes CSV results with 95% confidence \
        intervals. Checks declared in the scenario turn a run into a capacity regression test.",
    after_help = "Exit codes: 0 ran and every check held; 1 ran and a check failed; \
        2 bad input (usage, syntax, validation); 3 I/O or internal error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario and write calls.csv, intervals.csv and summary.csv.
    Run(RunArgs),
    /// Parse and validate a scenario; print what the model contains.
    Check(CheckArgs),
}

#[derive(Debug, Args)]
pub struct ScenarioArgs {
    /// Scenario file (RON).
    pub scenario: PathBuf,
    /// Override one field before validation, e.g. `portals.acme.agents=52`
    /// or `portals.0.inbound.arrivals.per_hour=1800`. VALUE is a RON literal.
    /// Repeatable; applied in order.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub overrides: Vec<Override>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Base random seed (same as --set seed=N).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Number of independent replications (same as --set replications=R).
    #[arg(long)]
    pub replications: Option<u32>,
    /// Replications run in parallel on this many threads [default: all cores].
    /// Results do not depend on it.
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
    /// Output folder [default: output/<scenario name>/].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Do not write calls.csv (one row per call); summary and intervals only.
    #[arg(long)]
    pub no_calls: bool,
    /// No progress bar and no run report on stderr.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
}
