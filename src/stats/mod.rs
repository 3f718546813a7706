//! Statistics: time-weighted levels, per-replication counters, interval rows,
//! and the across-replication summary with Student-t confidence intervals.
//!
//! Architecture invariant: consumes call records and level changes only; knows
//! nothing of how the platform produces them, and does no I/O.

mod checks;
mod intervals;
mod level;
mod metric;
mod replication;
mod summary;

pub use checks::{evaluate_checks, CheckResult, Verdict};
pub use intervals::{IntervalCounters, IntervalRow};
pub use level::Level;
pub use metric::{Metric, MetricValues};
pub use replication::{ScopeTotals, WindowLevels, FINE_WAIT_PORTALS};
pub use summary::{mean_ci, mean_sd, student_t_975, summarize, t_quantile, SummaryRow};
