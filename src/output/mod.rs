//! Writers: CSV files (atomically committed) and the human-readable reports
//! the CLI prints.
//!
//! Architecture invariant: only consumes records, rows and results; never
//! drives the simulation. Everything written to CSV is a function of the
//! scenario and seed alone (no wall-clock values).

mod atomic;
mod calls_csv;
mod csv_text;
pub(crate) mod events_csv;
pub(crate) mod intervals_csv;
pub(crate) mod links_csv;
mod money_csv;
mod parquet_out;
mod queue_log;
mod replications_csv;
mod report;
pub mod schema;
pub(crate) mod summary_csv;

pub use atomic::{commit_set, sweep_stale, AtomicFile, DirCommit, StagingDir};
pub use calls_csv::{CallsCsv, CALLS_HEADER, TEL};
pub use csv_text::{opt_f64, quote, NONE};
pub use events_csv::write_events;
pub use intervals_csv::write_intervals;
pub use links_csv::write_links;
pub use money_csv::{write_alerts, write_portals, ALERTS_HEADER, PORTALS_HEADER};
pub use parquet_out::csv_to_parquet;
pub use queue_log::{queue_log_origin, QueueLogSink, QUEUE_LOG_ORIGIN_S};
pub use replications_csv::{write_replications, REPLICATIONS_HEADER};
pub use report::{describe_model, render_checks};
pub use schema::write_datapackage;
pub use summary_csv::write_summary;
