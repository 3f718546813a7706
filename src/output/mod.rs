//! Writers: CSV files (atomically committed) and the human-readable reports
//! the CLI prints.
//!
//! Architecture invariant: only consumes records, rows and results; never
//! drives the simulation. Everything written to CSV is a function of the
//! scenario and seed alone (no wall-clock values).

mod atomic;
mod calls_csv;
mod csv_text;
mod intervals_csv;
mod links_csv;
mod money_csv;
mod replications_csv;
mod report;
mod summary_csv;

pub use atomic::{sweep_stale, AtomicFile, StagingDir};
pub use calls_csv::{CallsCsv, CALLS_HEADER};
pub use csv_text::{opt_f64, quote};
pub use intervals_csv::write_intervals;
pub use links_csv::write_links;
pub use money_csv::{write_alerts, write_portals, ALERTS_HEADER, PORTALS_HEADER};
pub use replications_csv::{write_replications, REPLICATIONS_HEADER};
pub use report::{describe_model, render_checks};
pub use summary_csv::write_summary;
