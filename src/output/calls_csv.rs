use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::model::{CallRecord, Model, RecordSink};

use super::csv_text::quote;

/// Header of `calls.csv` (contract: columns may be added, never renamed).
pub const CALLS_HEADER: &str =
    "replication,call_id,portal,direction,arrival_s,answer_s,end_s,wait_s,talk_s,outcome,agent,server\n";

/// Streams one replication's finished calls to a part file as they end, so
/// memory never grows with the number of calls. The first I/O error is kept
/// and reported when the part is closed (the event loop cannot fail).
pub struct CallsCsv {
    replication: u32,
    out: BufWriter<File>,
    portal_names: Vec<String>,
    agent_names: Vec<String>,
    server_names: Vec<String>,
    rows: u64,
    error: Option<io::Error>,
}

impl CallsCsv {
    pub fn create(path: &Path, model: &Model, replication: u32) -> io::Result<CallsCsv> {
        Ok(CallsCsv {
            replication,
            out: BufWriter::with_capacity(1 << 16, File::create(path)?),
            portal_names: model.portals.iter().map(|p| quote(&p.name)).collect(),
            agent_names: model
                .portals
                .iter()
                .flat_map(|p| p.agent_names.iter().map(|a| quote(a)))
                .collect(),
            server_names: model.servers.iter().map(|s| quote(&s.name)).collect(),
            rows: 0,
            error: None,
        })
    }

    fn write_row(&mut self, r: &CallRecord) -> io::Result<()> {
        let w = &mut self.out;
        write!(
            w,
            "{},{},{},inbound,{},",
            self.replication, r.call_id, self.portal_names[r.portal as usize], r.arrival
        )?;
        if let Some(a) = r.answer {
            write!(w, "{a}")?;
        }
        write!(w, ",{},", r.end)?;
        if let Some(wait) = r.wait {
            write!(w, "{wait}")?;
        }
        w.write_all(b",")?;
        if let Some(t) = r.talk() {
            write!(w, "{t}")?;
        }
        write!(w, ",{},", r.outcome.as_str())?;
        if let Some(a) = r.agent {
            w.write_all(self.agent_names[a as usize].as_bytes())?;
        }
        w.write_all(b",")?;
        if let Some(s) = r.server {
            w.write_all(self.server_names[s as usize].as_bytes())?;
        }
        w.write_all(b"\n")
    }

    /// Flushes the part; returns the number of rows or the first error.
    pub fn close(mut self) -> io::Result<u64> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.out.flush()?;
        Ok(self.rows)
    }
}

impl RecordSink for CallsCsv {
    #[inline]
    fn call_finished(&mut self, record: &CallRecord) {
        if self.error.is_some() {
            return;
        }
        match self.write_row(record) {
            Ok(()) => self.rows += 1,
            Err(e) => self.error = Some(e),
        }
    }
}
