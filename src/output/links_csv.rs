use std::io::{self, Write};

use crate::model::{Model, ReplicationResult};

use super::csv_text::{opt_f64, quote};

pub const LINKS_HEADER: &str = "replication,interval_start_s,interval_end_s,link,a,b,capacity_mbps,failed,mean_flows,max_flows,mean_load_mbps,max_load_mbps,utilisation\n";

/// Writes per-interval link use for runs with a topology: media flows (one
/// per call) and their load per direction, against the link's capacity.
/// `utilisation` is mean load over capacity; above 1 the overload model drops
/// the excess.
pub fn write_links(
    w: &mut impl Write,
    model: &Model,
    results: &[ReplicationResult],
) -> io::Result<()> {
    let Some(net) = &model.network else {
        return Ok(());
    };
    let topo = &net.topology;
    w.write_all(LINKS_HEADER.as_bytes())?;
    for r in results {
        for row in &r.links {
            let link = topo.link(petgraph::graph::EdgeIndex::new(row.link as usize));
            let (a, b) = (topo.name(link.a), topo.name(link.b));
            write!(
                w,
                "{},{},{},{},{},{},",
                r.replication,
                row.start,
                row.end,
                quote(&format!("{a}-{b}")),
                quote(a),
                quote(b)
            )?;
            opt_f64(w, Some(link.capacity_mbps))?;
            write!(w, ",{},", row.failed)?;
            opt_f64(w, Some(row.mean_flows))?;
            write!(w, ",{},", row.max_flows)?;
            opt_f64(w, Some(row.mean_load_mbps))?;
            w.write_all(b",")?;
            opt_f64(w, Some(row.max_load_mbps))?;
            w.write_all(b",")?;
            let util = (link.capacity_mbps.is_finite() && link.capacity_mbps > 0.0)
                .then(|| row.mean_load_mbps / link.capacity_mbps);
            opt_f64(w, util)?;
            w.write_all(b"\n")?;
        }
    }
    Ok(())
}
