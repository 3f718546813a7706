//! The network: topology files loaded into a petgraph graph, least-cost
//! routing with RFC 5286 loop-free alternates, and failures.
//!
//! Architecture invariant: a data structure with algorithms on it; it knows
//! nothing of calls or portals (the platform asks it for paths).
//!
//! * [`topology`] — the file format (DESIGN §5), loading with `file:line:col`
//!   errors, validation with field paths, the checked [`Topology`].
//! * [`routing`] — [`Routes`]: least cost, next hop, path and loop-free
//!   alternates for every ordered pair under a set of [`Failures`]; path
//!   delay, jitter and loss composition.
//! * [`routes_csv`] — the `telsim routes` CSV (DESIGN §4).

mod cost;
pub mod routes_csv;
pub mod routing;
pub mod topology;

pub use cost::Cost;
pub use routes_csv::{write_routes_csv, ROUTES_HEADER};
pub use routing::{compose_loss, path_links, path_metrics, Failures, Lfa, PathMetrics, Routes};
pub use topology::{
    load_topology, parse_topology, Gilbert, Link, LookupError, Loss, Node, NodeKind, Topology,
    TopologyError,
};
