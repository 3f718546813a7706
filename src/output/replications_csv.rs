use std::io::{self, Write};

use crate::stats::{Metric, MetricValues};

use super::csv_text::quote;

pub const REPLICATIONS_HEADER: &str = "replication,scope,metric,value\n";

/// One row per replication, scope and metric: the values `summary.csv`
/// averages, so that a diff can test raw values and `telsim merge` can pool
/// replication shards into the very summary of the unsharded run. The rows
/// are those of [`crate::stats::summarize`] (platform first, then each
/// portal; engine-wide metrics for the platform only); an undefined value
/// is an empty cell. `{}` on f64 round-trips exactly (also `inf`, `NaN`).
pub fn write_replications(
    w: &mut impl Write,
    scope_names: &[String],
    per_rep: &[(u32, &[MetricValues])],
) -> io::Result<()> {
    w.write_all(REPLICATIONS_HEADER.as_bytes())?;
    let scopes: Vec<String> = scope_names.iter().map(|s| quote(s)).collect();
    for &(rep, values) in per_rep {
        for (s, scope) in scopes.iter().enumerate() {
            let Some(v) = values.get(s) else { continue };
            for metric in Metric::ALL {
                if s > 0 && !metric.per_portal() {
                    continue;
                }
                write!(w, "{rep},{scope},{},", metric.name())?;
                if let Some(x) = v[metric as usize] {
                    // `{:?}`: the shortest text that reads back exactly, and
                    // always with a point or an exponent (a number column).
                    write!(w, "{x:?}")?;
                }
                w.write_all(b"\n")?;
            }
        }
    }
    Ok(())
}
