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
        2 bad input (usage, syntax, validation, over the resource limits); 3 I/O or \
        internal error (including a broken invariant); 130 interrupted (SIGINT or SIGTERM: \
        finished replications are written as *.partial.csv)."
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
    /// Print least-cost routes and RFC 5286 loop-free alternates of a
    /// topology as CSV: one row per ordered pair of nodes.
    #[command(
        long_about = "Print least-cost routes and RFC 5286 loop-free alternates of a topology \
            as CSV on stdout: src,dst,cost,next_hop,path,lfa,lfa_node_protecting, one row per \
            ordered pair of distinct nodes in file order. path and lfa are |-separated node \
            names; lfa_node_protecting lists the alternates that also avoid the primary next \
            hop node. Unreachable pairs leave every column after dst empty. Among equal-cost \
            paths the one with the lexicographically smallest node sequence (file order) wins."
    )]
    Routes(RoutesArgs),
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
    /// Refuse runs estimated to handle more events than this (all
    /// replications together; `1e11` notation allowed) [default: 1e10].
    #[arg(long, value_name = "N", value_parser = crate::robustness::budget::parse_count)]
    pub max_events: Option<u64>,
    /// Refuse runs estimated to need more memory than this (`512M`, `4G`)
    /// [default: 512M].
    #[arg(long, value_name = "SIZE", value_parser = crate::robustness::budget::parse_bytes)]
    pub max_memory: Option<u64>,
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

#[derive(Debug, Args)]
pub struct RoutesArgs {
    /// Topology file (RON).
    pub topology: PathBuf,
    /// Fail the link joining nodes A and B before routing (either order;
    /// names may contain '-' when the split is unambiguous). Repeatable.
    #[arg(long = "fail-link", value_name = "A-B")]
    pub fail_links: Vec<String>,
    /// Fail a node (and so every link at it) before routing. Repeatable.
    #[arg(long = "fail-node", value_name = "NODE")]
    pub fail_nodes: Vec<String>,
    /// Refuse topologies whose all-pairs routing table would need more
    /// memory than this (`512M`, `4G`) [default: 512M].
    #[arg(long, value_name = "SIZE", value_parser = crate::robustness::budget::parse_bytes)]
    pub max_memory: Option<u64>,
}
