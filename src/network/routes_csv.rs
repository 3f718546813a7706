//! The `telsim routes` CSV (DESIGN §4).

use std::io::{self, Write};

use petgraph::graph::NodeIndex;

use super::routing::Routes;
use super::topology::Topology;

/// `src,dst,cost,next_hop,path,lfa` is the contract (DESIGN §4);
/// `lfa_node_protecting` extends it: the subset of `lfa` whose alternates
/// are also node-protecting (RFC 5286 §3.5 inequality 3), in the same order.
pub const ROUTES_HEADER: &str = "src,dst,cost,next_hop,path,lfa,lfa_node_protecting";

/// Writes one row per ordered pair of distinct nodes, sources then
/// destinations in file order. Unreachable pairs have every column after
/// `dst` empty. Costs use Rust's shortest round-trip float text; paths and
/// alternates are `|`-separated node names. Node names never need CSV
/// quoting: validation refuses `,`, `|` and quotes in them.
pub fn write_routes_csv(w: &mut impl Write, topo: &Topology, routes: &Routes) -> io::Result<()> {
    writeln!(w, "{ROUTES_HEADER}")?;
    let join = |w: &mut dyn Write, nodes: &mut dyn Iterator<Item = NodeIndex>| -> io::Result<()> {
        for (i, n) in nodes.enumerate() {
            if i > 0 {
                w.write_all(b"|")?;
            }
            w.write_all(topo.name(n).as_bytes())?;
        }
        Ok(())
    };
    for s in topo.graph().node_indices() {
        for d in topo.graph().node_indices().filter(|&d| d != s) {
            write!(w, "{},{},", topo.name(s), topo.name(d))?;
            if let (Some(cost), Some(next), Some(path)) =
                (routes.cost(s, d), routes.next_hop(s, d), routes.path(s, d))
            {
                write!(w, "{cost},{},", topo.name(next))?;
                join(w, &mut path.iter().copied())?;
                w.write_all(b",")?;
                let lfas = routes.alternates(s, d);
                join(w, &mut lfas.iter().map(|l| l.via))?;
                w.write_all(b",")?;
                join(
                    w,
                    &mut lfas.iter().filter(|l| l.node_protecting).map(|l| l.via),
                )?;
                writeln!(w)?;
            } else {
                writeln!(w, ",,,,")?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::{parse_topology, Failures};
    use std::path::Path;

    #[test]
    fn rows_cover_every_ordered_pair_in_file_order() {
        let t = parse_topology(
            r#"Topology(
                nodes: [Node(name: "x", kind: Office), Node(name: "y", kind: Router),
                        Node(name: "z", kind: Datacenter), Node(name: "lone", kind: Router)],
                links: [Link(a: "x", b: "y", delay_ms: 1.5, capacity_mbps: 1.0),
                        Link(a: "y", b: "z", delay_ms: 2.0, capacity_mbps: 1.0),
                        Link(a: "x", b: "z", delay_ms: 1.0, capacity_mbps: 1.0, cost: 4)])"#,
            Path::new("t.ron"),
        )
        .unwrap();
        let r = Routes::compute(&t, &Failures::none(&t));
        let mut out = Vec::new();
        write_routes_csv(&mut out, &t, &r).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1 + 4 * 3);
        assert_eq!(lines[0], ROUTES_HEADER);
        assert_eq!(lines[1], "x,y,1.5,y,x|y,z,");
        assert_eq!(lines[2], "x,z,3.5,y,x|y|z,z,z");
        assert_eq!(lines[3], "x,lone,,,,,");
        assert_eq!(lines[4], "y,x,1.5,x,y|x,,");
        assert_eq!(lines[12], "lone,z,,,,,");
    }
}
