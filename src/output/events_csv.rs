use std::io::{self, Write};

use crate::model::{Model, NetEvent};

use super::csv_text::quote;

pub const EVENTS_HEADER: &str = "time_s,event,target\n";

/// The scenario's timed failures and recoveries, in time order: the same in
/// every replication, so readers (and `telsim report`) can mark them on
/// time series without the scenario file.
pub fn write_events(w: &mut impl Write, model: &Model) -> io::Result<()> {
    w.write_all(EVENTS_HEADER.as_bytes())?;
    let mut events: Vec<_> = model.events.iter().collect();
    events.sort_by_key(|(at, _)| *at);
    for (at, ev) in events {
        let topo = model.network.as_ref().map(|n| &n.topology);
        let link = |e| {
            topo.map_or_else(String::new, |t| {
                let l = t.link(e);
                format!("{}-{}", t.name(l.a), t.name(l.b))
            })
        };
        let node = |n| topo.map_or_else(String::new, |t| t.name(n).to_string());
        let server = |s: u16| model.servers[s as usize].name.clone();
        let (what, target) = match *ev {
            NetEvent::FailLink(e) => ("fail_link", link(e)),
            NetEvent::RecoverLink(e) => ("recover_link", link(e)),
            NetEvent::FailNode(n) => ("fail_node", node(n)),
            NetEvent::RecoverNode(n) => ("recover_node", node(n)),
            NetEvent::FailServer(s) => ("fail_server", server(s)),
            NetEvent::RecoverServer(s) => ("recover_server", server(s)),
        };
        writeln!(w, "{at},{what},{}", quote(&target))?;
    }
    Ok(())
}
