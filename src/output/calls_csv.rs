use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::engine::SimTime;
use crate::model::{CallRecord, Model, RecordSink};

use super::csv_text::quote;

/// Header of `calls.csv` (contract: columns may be added, never renamed).
pub const CALLS_HEADER: &str = "replication,call_id,portal,direction,arrival_s,answer_s,end_s,wait_s,talk_s,outcome,agent,\
sip_server,media_server,codec,pdd_ms,rtp_sent,rtp_received,loss_pct,jitter_ms,delay_ms,mos,media_gap_s,\
steps_s,destination,charge,transfer,transfer_to,leg1_talk_s,consult_s,leg3_talk_s\n";

/// Streams one replication's finished calls to a part file as they end, so
/// memory never grows with the number of calls. The first I/O error is kept
/// and reported when the part is closed (the event loop cannot fail).
pub struct CallsCsv {
    replication: u32,
    out: BufWriter<File>,
    portal_names: Vec<String>,
    agent_names: Vec<String>,
    server_names: Vec<String>,
    /// Codec name per portal, for runs with a topology.
    codecs: Vec<Option<&'static str>>,
    /// Outbound destinations per portal, as sent to the trunk.
    destinations: Vec<Vec<String>>,
    rows: u64,
    error: Option<io::Error>,
    line: Vec<u8>,
}

fn push_u64(buf: &mut Vec<u8>, v: u64) {
    buf.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// Seconds with exactly six decimals, like `SimTime`'s `Display`.
fn push_time(buf: &mut Vec<u8>, t: SimTime) {
    let us = t.micros();
    push_u64(buf, us / SimTime::MICROS_PER_S);
    let mut frac = us % SimTime::MICROS_PER_S;
    let mut digits = [b'0'; 7];
    digits[0] = b'.';
    for d in digits[1..].iter_mut().rev() {
        *d = b'0' + (frac % 10) as u8;
        frac /= 10;
    }
    buf.extend_from_slice(&digits);
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
            codecs: model
                .portals
                .iter()
                .map(|p| model.network.as_ref().map(|_| p.codec.name()))
                .collect(),
            destinations: model
                .portals
                .iter()
                .map(|p| {
                    p.outbound.as_ref().map_or_else(Vec::new, |o| {
                        o.destinations.iter().map(|d| quote(&d.sent)).collect()
                    })
                })
                .collect(),
            rows: 0,
            error: None,
            line: Vec::with_capacity(256),
        })
    }

    /// Formats one row into the reusable line buffer with `itoa` and integer
    /// arithmetic (no `fmt` machinery: this runs once per call), then hands
    /// it to the buffered writer.
    fn write_row(&mut self, r: &CallRecord) -> io::Result<()> {
        let line = &mut self.line;
        line.clear();
        push_u64(line, self.replication as u64);
        line.push(b',');
        push_u64(line, r.call_id);
        line.push(b',');
        line.extend_from_slice(self.portal_names[r.portal as usize].as_bytes());
        line.push(b',');
        line.extend_from_slice(r.direction.as_str().as_bytes());
        line.push(b',');
        push_time(line, r.arrival);
        line.push(b',');
        if let Some(a) = r.answer {
            push_time(line, a);
        }
        line.push(b',');
        push_time(line, r.end);
        line.push(b',');
        if let Some(wait) = r.wait {
            push_time(line, wait);
        }
        line.push(b',');
        if let Some(t) = r.talk() {
            push_time(line, t);
        }
        line.push(b',');
        line.extend_from_slice(r.outcome.as_str().as_bytes());
        line.push(b',');
        if let Some(a) = r.agent {
            line.extend_from_slice(self.agent_names[a as usize].as_bytes());
        }
        line.push(b',');
        if let Some(s) = r.server {
            line.extend_from_slice(self.server_names[s as usize].as_bytes());
        }
        line.push(b',');
        if let Some(s) = r.media_server {
            line.extend_from_slice(self.server_names[s as usize].as_bytes());
        }
        line.push(b',');
        // The negotiated codec for calls with media, else the portal's
        // (with a topology).
        match (&r.media, self.codecs[r.portal as usize]) {
            (Some(m), _) => line.extend_from_slice(m.codec.name().as_bytes()),
            (None, Some(codec)) => line.extend_from_slice(codec.as_bytes()),
            (None, None) => {}
        }
        line.push(b',');
        if let Some(pdd) = r.pdd {
            // Milliseconds with microsecond resolution.
            let us = pdd.micros();
            push_u64(line, us / 1000);
            line.push(b'.');
            let frac = us % 1000;
            line.extend_from_slice(&[
                b'0' + (frac / 100) as u8,
                b'0' + (frac / 10 % 10) as u8,
                b'0' + (frac % 10) as u8,
            ]);
        }
        match &r.media {
            Some(m) => {
                line.push(b',');
                push_u64(line, m.rtp_sent);
                line.push(b',');
                push_u64(line, m.rtp_received);
                // Fixed decimals: enough for analysis, stable across platforms.
                let _ = write!(
                    line,
                    ",{:.3},{:.3},{:.3},{:.4},",
                    m.loss_pct, m.jitter_ms, m.delay_ms, m.mos
                );
                push_time(line, m.media_gap);
            }
            None => line.extend_from_slice(b",,,,,,,"),
        }
        line.push(b',');
        push_time(line, r.steps);
        line.push(b',');
        if let Some(d) = r.destination {
            line.extend_from_slice(self.destinations[r.portal as usize][d as usize].as_bytes());
        }
        line.push(b',');
        if r.charge != 0 {
            line.extend_from_slice(crate::money::format_minor(r.charge).as_bytes());
        }
        match &r.transfer {
            Some(x) => {
                line.push(b',');
                line.extend_from_slice(x.kind.as_str().as_bytes());
                line.push(b',');
                line.extend_from_slice(self.agent_names[x.to as usize].as_bytes());
                for t in [x.leg1, x.consult, x.leg3] {
                    line.push(b',');
                    push_time(line, t);
                }
            }
            None => line.extend_from_slice(b",,,,,"),
        }
        line.push(b'\n');
        self.out.write_all(line)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_match_the_display_format() {
        for us in [0u64, 5, 999_999, 1_000_000, 12_345_678_901, u64::MAX / 2] {
            let mut b = Vec::new();
            push_time(&mut b, SimTime(us));
            assert_eq!(String::from_utf8(b).unwrap(), SimTime(us).to_string());
        }
    }
}
