use std::fs::File;
use std::io::{self, Write};
use std::path::Path;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;

use crate::engine::SimTime;
use crate::model::{CallRecord, Direction, Model, Outcome, Place, RecordSink};

use super::csv_text::{quote, NONE};

/// Written before a destination number in `calls.csv` (RFC 3966 style), so
/// that `+14155550100` or `84954451120` stays text when read back instead of
/// turning into a float.
pub const TEL: &str = "tel:";

/// Header of `calls.csv` (contract: columns may be added, never renamed).
pub const CALLS_HEADER: &str = "replication,call_id,portal,direction,arrival_s,answer_s,end_s,wait_s,talk_s,outcome,agent,\
sip_server,media_server,codec,pdd_ms,rtp_sent,rtp_received,loss_pct,jitter_ms,delay_ms,mos,media_gap_s,\
steps_s,destination,charge,transfer,transfer_to,leg1_talk_s,consult_s,leg3_talk_s,abandoned_in,transfer_failed\n";

/// Bytes of output gathered before one `write` to the file.
const CHUNK: usize = 1 << 18;

/// Longest possible row without its names: eleven numbers of at most 20
/// digits with their separators, an outcome, commas, and four media floats
/// with fixed decimals (at most 309 integer digits each).
const ROW_FIXED_MAX: usize = 2048;
/// Longest time field: 20 integer digits, a point, six decimals.
const TIME_MAX: usize = 27;

/// Records per batch handed from the event loop to the writer thread.
const BATCH: usize = 2048;
/// Full batches that may wait for the writer before the event loop blocks:
/// bounds memory (a few MB) whatever the number of calls.
const BATCHES_IN_FLIGHT: usize = 4;
/// Batches the writer prepares besides the event loop's first one: enough
/// that the loop finds an empty one whenever the writer keeps up (the
/// channel's `BATCHES_IN_FLIGHT` plus the one being written).
const SPARE_BATCHES: usize = BATCHES_IN_FLIGHT + 1;

/// Streams one replication's finished calls to a part file as they end, so
/// memory never grows with the number of calls. The first I/O error is kept
/// and reported when the part is closed (the event loop cannot fail).
///
/// Formatting and writing run on a thread of their own: the event loop only
/// copies each record into a batch of fixed-size records and hands full
/// batches over a bounded channel; emptied batches come back for reuse, so
/// nothing allocates in the steady state. Rows come out in the order calls
/// finished, so the file is the same as if written inline.
pub struct CallsCsv {
    batch: Batch,
    full: Option<SyncSender<Batch>>,
    empty: Receiver<Batch>,
    writer: Option<JoinHandle<io::Result<u64>>>,
}

/// Finished calls on their way to the writer. Most records (no media, no
/// transfer, no post-dial delay) travel as a 72-byte [`Slim`] row instead of
/// the 216-byte [`CallRecord`]: a third of the memory the event loop writes
/// and the writer reads. The others are kept whole in `whole`, in order,
/// and their slim rows only mark the place.
struct Batch {
    rows: Vec<Slim>,
    whole: Vec<CallRecord>,
}

impl Batch {
    fn new() -> Batch {
        Batch {
            rows: Vec::with_capacity(BATCH),
            whole: Vec::new(),
        }
    }

    fn len(&self) -> usize {
        self.rows.len()
    }

    fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    fn clear(&mut self) {
        self.rows.clear();
        self.whole.clear();
    }

    #[inline]
    fn push(&mut self, r: &CallRecord) {
        match Slim::of(r) {
            Some(slim) => self.rows.push(slim),
            None => {
                self.rows.push(Slim::WHOLE);
                self.whole.push(*r);
            }
        }
    }

    /// The records again, in the order they were pushed.
    fn records(&self) -> impl Iterator<Item = CallRecord> + '_ {
        let mut whole = self.whole.iter();
        self.rows.iter().map(move |s| {
            if s.is_whole() {
                *whole.next().expect("a whole record per marker")
            } else {
                s.record()
            }
        })
    }
}

/// The fields of a plain call's record, `Option`s folded into sentinels.
#[derive(Clone, Copy)]
struct Slim {
    call_id: u64,
    arrival: u64,
    answer: u64,
    end: u64,
    wait: u64,
    steps: u64,
    charge: i64,
    agent: u32,
    destination: u32,
    portal: u16,
    server: u16,
    media_server: u16,
    /// `Outcome::index` in the low four bits; above them `abandoned_in`
    /// (0: none, else `Place` index + 1), so the row stays 72 bytes.
    outcome: u8,
    direction: u8,
    lined: bool,
}

// An outcome index fits the low four bits of `Slim::outcome`.
const _: () = assert!(Outcome::ALL.len() <= 16);

const NONE_64: u64 = u64::MAX;
const NONE_32: u32 = u32::MAX;
const NONE_16: u16 = u16::MAX;
/// `direction` of a marker whose record is in `Batch::whole`.
const WHOLE: u8 = u8::MAX;

impl Slim {
    const WHOLE: Slim = Slim {
        call_id: 0,
        arrival: 0,
        answer: 0,
        end: 0,
        wait: 0,
        steps: 0,
        charge: 0,
        agent: 0,
        destination: 0,
        portal: 0,
        server: 0,
        media_server: 0,
        outcome: 0,
        direction: WHOLE,
        lined: false,
    };

    fn is_whole(&self) -> bool {
        self.direction == WHOLE
    }

    /// `None` when the record has fields a slim row cannot hold (media,
    /// transfer, post-dial delay) or values that collide with a sentinel.
    #[inline]
    fn of(r: &CallRecord) -> Option<Slim> {
        let fits = r.media.is_none()
            && r.transfer.is_none()
            && r.transfer_failed.is_none()
            && r.pdd.is_none()
            && r.answer.is_none_or(|t| t.micros() != NONE_64)
            && r.wait.is_none_or(|t| t.micros() != NONE_64)
            && r.agent != Some(NONE_32)
            && r.destination != Some(NONE_32)
            && r.server != Some(NONE_16)
            && r.media_server != Some(NONE_16);
        fits.then(|| Slim {
            call_id: r.call_id,
            arrival: r.arrival.micros(),
            answer: r.answer.map_or(NONE_64, SimTime::micros),
            end: r.end.micros(),
            wait: r.wait.map_or(NONE_64, SimTime::micros),
            steps: r.steps.micros(),
            charge: r.charge,
            agent: r.agent.unwrap_or(NONE_32),
            destination: r.destination.unwrap_or(NONE_32),
            portal: r.portal,
            server: r.server.unwrap_or(NONE_16),
            media_server: r.media_server.unwrap_or(NONE_16),
            outcome: r.outcome.index() as u8 | r.abandoned_in.map_or(0, |pl| (pl as u8 + 1) << 4),
            direction: r.direction as u8,
            lined: r.lined,
        })
    }

    fn record(&self) -> CallRecord {
        let opt64 = |v: u64| (v != NONE_64).then_some(SimTime(v));
        CallRecord {
            call_id: self.call_id,
            portal: self.portal,
            arrival: SimTime(self.arrival),
            answer: opt64(self.answer),
            end: SimTime(self.end),
            wait: opt64(self.wait),
            lined: self.lined,
            outcome: Outcome::ALL[(self.outcome & 0xf) as usize],
            agent: (self.agent != NONE_32).then_some(self.agent),
            server: (self.server != NONE_16).then_some(self.server),
            media_server: (self.media_server != NONE_16).then_some(self.media_server),
            pdd: None,
            media: None,
            direction: if self.direction == Direction::Outbound as u8 {
                Direction::Outbound
            } else {
                Direction::Inbound
            },
            steps: SimTime(self.steps),
            destination: (self.destination != NONE_32).then_some(self.destination),
            charge: self.charge,
            transfer: None,
            abandoned_in: match self.outcome >> 4 {
                0 => None,
                k => Some(Place::ALL[k as usize - 1]),
            },
            transfer_failed: None,
        }
    }
}

impl CallsCsv {
    /// Creates the part file and starts its writer thread; `header` starts
    /// the part with the `calls.csv` header (replication 0's part becomes
    /// the file).
    ///
    /// The file is created here, so that a bad path fails at once; the rest
    /// of the set-up (quoting every portal, agent and server name: ~0.5 ms
    /// for 2 000 agents) happens on the writer thread while the event loop
    /// already runs.
    pub fn create(
        path: &Path,
        model: &Arc<Model>,
        replication: u32,
        header: bool,
    ) -> io::Result<CallsCsv> {
        let file = File::create(path)?;
        let model = Arc::clone(model);
        let (full_tx, full_rx) = mpsc::sync_channel::<Batch>(BATCHES_IN_FLIGHT);
        let (empty_tx, empty_rx) = mpsc::channel();
        let writer = std::thread::Builder::new()
            .name(format!("calls-csv-{replication}"))
            .spawn(move || {
                let mut rows = RowWriter::new(file, &model, replication);
                drop(model);
                if header {
                    rows.write_header();
                }
                // The spare batches are allocated and their pages touched
                // here, off the event loop, which only reuses them.
                for _ in 0..SPARE_BATCHES {
                    let _ = empty_tx.send(prefaulted_batch());
                }
                for mut batch in full_rx {
                    for r in batch.records() {
                        rows.call_finished(&r);
                    }
                    batch.clear();
                    // The event loop may be gone already: nothing to return.
                    let _ = empty_tx.send(batch);
                }
                rows.close()
            })?;
        Ok(CallsCsv {
            batch: Batch::new(),
            full: Some(full_tx),
            empty: empty_rx,
            writer: Some(writer),
        })
    }

    #[cold]
    fn hand_over(&mut self) {
        // Waiting for a batch bounds memory as the full channel does; a
        // writer gone (panicked) returns none, and a new one is made.
        let next = self.empty.recv().unwrap_or_else(|_| Batch::new());
        let full = std::mem::replace(&mut self.batch, next);
        if let Some(tx) = &self.full {
            // A writer that stopped has its error ready for `close`.
            let _ = tx.send(full);
        }
    }

    /// Writes what is left, stops the writer; returns the number of rows or
    /// the first error.
    pub fn close(mut self) -> io::Result<u64> {
        if !self.batch.is_empty() {
            self.hand_over();
        }
        self.finish()
    }

    fn finish(&mut self) -> io::Result<u64> {
        self.full = None;
        match self.writer.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(io::Error::other("the calls.csv writer thread panicked")),
            None => Ok(0),
        }
    }
}

/// An empty batch whose memory is already mapped in: it is filled once and
/// emptied, so the kernel provides its pages now rather than when the event
/// loop first writes them.
fn prefaulted_batch() -> Batch {
    let mut batch = Batch::new();
    batch.rows.resize(BATCH, Slim::WHOLE);
    batch.clear();
    batch
}

impl Drop for CallsCsv {
    /// An abandoned replication (Ctrl-C) still stops its writer thread.
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

impl RecordSink for CallsCsv {
    #[inline]
    fn call_finished(&mut self, record: &CallRecord) {
        self.batch.push(record);
        if self.batch.len() == BATCH {
            self.hand_over();
        }
    }
}

/// Formats rows straight into one fixed output buffer (no `String`, no
/// `fmt` machinery for plain calls, no per-field length checks): the buffer
/// always has room for the longest possible row, and it goes to the file in
/// `CHUNK`-sized writes.
struct RowWriter {
    /// `"<replication>,"`, the same on every row.
    prefix: Vec<u8>,
    file: File,
    buf: Box<[u8]>,
    /// Bytes of `buf` filled.
    len: usize,
    /// Flush when `len` passes this: the rest always fits the longest row.
    flush_at: usize,
    portal_names: Vec<Field>,
    agent_names: Vec<Field>,
    server_names: Vec<Field>,
    /// Outcome names by `Outcome::index`.
    outcomes: Vec<Field>,
    /// Codec name per portal, for runs with a topology.
    codecs: Vec<Option<&'static str>>,
    /// Outbound destinations per portal, as sent to the trunk.
    destinations: Vec<Vec<String>>,
    /// Whether the scenario has money (charges are then always written).
    money: bool,
    rows: u64,
    error: Option<io::Error>,
}

/// "00".."99": two digits per table lookup.
const DIGIT_PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Decimal digits of `v` (1 for 0).
#[inline]
fn decimal_len(v: u64) -> usize {
    const POW10: [u64; 20] = {
        let mut t = [1u64; 20];
        let mut i = 1;
        while i < 20 {
            t[i] = t[i - 1] * 10;
            i += 1;
        }
        t
    };
    // log10 from log2 (1233/4096 ≈ log10 2), corrected by one comparison.
    let bits = 64 - (v | 1).leading_zeros() as usize;
    let t = (bits * 1233) >> 12;
    t + 1 - usize::from((v | 1) < POW10[t])
}

/// Writes `v` in decimal at `buf[pos..]`; returns the position after it.
/// Digits go straight to their place, two per table lookup.
#[inline]
fn put_u64(buf: &mut [u8], pos: usize, mut v: u64) -> usize {
    let end = pos + decimal_len(v);
    let mut i = end;
    while v >= 100 {
        let d = (v % 100) as usize * 2;
        v /= 100;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&DIGIT_PAIRS[d..d + 2]);
    }
    if v >= 10 {
        let d = v as usize * 2;
        buf[i - 2..i].copy_from_slice(&DIGIT_PAIRS[d..d + 2]);
    } else {
        buf[i - 1] = b'0' + v as u8;
    }
    end
}

/// Writes the two digits of `v` (< 100).
#[inline]
fn put_pair(buf: &mut [u8], pos: usize, v: u64) -> usize {
    let d = v as usize * 2;
    buf[pos..pos + 2].copy_from_slice(&DIGIT_PAIRS[d..d + 2]);
    pos + 2
}

/// Seconds with exactly six decimals, like `SimTime`'s `Display`.
#[inline]
fn put_time(buf: &mut [u8], pos: usize, t: SimTime) -> usize {
    let us = t.micros();
    if us == 0 {
        // Most waits and most `steps_s` are zero: one 8-byte copy.
        return put_bytes(buf, pos, b"0.000000");
    }
    let pos = put_u64(buf, pos, us / SimTime::MICROS_PER_S);
    let frac = us % SimTime::MICROS_PER_S;
    buf[pos] = b'.';
    let pos = put_pair(buf, pos + 1, frac / 10_000);
    let pos = put_pair(buf, pos, frac / 100 % 100);
    put_pair(buf, pos, frac % 100)
}

#[inline]
fn put_bytes(buf: &mut [u8], pos: usize, s: &[u8]) -> usize {
    buf[pos..pos + s.len()].copy_from_slice(s);
    pos + s.len()
}

/// Width of a padded field: names up to this long are copied as one
/// fixed-size block (two vector moves, no `memcpy` call); the buffer's slack
/// takes the padding, which the next field overwrites.
const PAD: usize = 32;

/// A name or constant ready to copy into a row.
struct Field {
    padded: [u8; PAD],
    text: Box<[u8]>,
}

impl Field {
    fn new(text: &str) -> Field {
        let mut padded = [0u8; PAD];
        let n = text.len().min(PAD);
        padded[..n].copy_from_slice(&text.as_bytes()[..n]);
        Field {
            padded,
            text: text.as_bytes().into(),
        }
    }

    #[inline]
    fn put(&self, buf: &mut [u8], pos: usize) -> usize {
        let n = self.text.len();
        if n <= PAD {
            buf[pos..pos + PAD].copy_from_slice(&self.padded);
            pos + n
        } else {
            put_bytes(buf, pos, &self.text)
        }
    }
}

impl RowWriter {
    fn new(file: File, model: &Model, replication: u32) -> RowWriter {
        let portal_names: Vec<String> = model.portals.iter().map(|p| quote(&p.name)).collect();
        let agent_names: Vec<String> = model
            .portals
            .iter()
            .flat_map(|p| p.agent_names.iter().map(|a| quote(a)))
            .collect();
        let server_names: Vec<String> = model.servers.iter().map(|s| quote(&s.name)).collect();
        let longest = |names: &[String]| names.iter().map(String::len).max().unwrap_or(0);
        let destinations: Vec<Vec<String>> = model
            .portals
            .iter()
            .map(|p| {
                p.outbound.as_ref().map_or_else(Vec::new, |o| {
                    o.destinations
                        .iter()
                        .map(|d| quote(&format!("{TEL}{}", d.sent)))
                        .collect()
                })
            })
            .collect();
        let longest_destination = destinations.iter().flatten().map(String::len).max();
        // The platform columns: steps, destination, charge (an i64 with a
        // sign and a point), transfer kind, target agent, three leg times.
        let row_platform = 5 * TIME_MAX
            + longest_destination.unwrap_or(0)
            + 24
            + 12
            + longest(&agent_names).max(PAD)
            + 8
            // abandoned_in and transfer_failed, with their commas.
            + 32;
        let row_max = ROW_FIXED_MAX
            + row_platform
            + longest(&portal_names).max(PAD)
            + longest(&agent_names).max(PAD)
            + 2 * longest(&server_names).max(PAD);
        let fields = |names: Vec<String>| names.iter().map(|n| Field::new(n)).collect();
        let buf_len = CHUNK.max(4 * row_max);
        RowWriter {
            prefix: format!("{replication},").into_bytes(),
            file,
            buf: vec![0u8; buf_len].into_boxed_slice(),
            len: 0,
            flush_at: buf_len - row_max,
            portal_names: fields(portal_names),
            agent_names: fields(agent_names),
            server_names: fields(server_names),
            outcomes: Outcome::ALL
                .iter()
                .map(|o| Field::new(o.as_str()))
                .collect(),
            codecs: model
                .portals
                .iter()
                .map(|p| model.network.as_ref().map(|_| p.codec.name()))
                .collect(),
            destinations,
            money: model.has_money(),
            rows: 0,
            error: None,
        }
    }

    /// Starts the part with the `calls.csv` header (the part of replication
    /// 0 becomes the file).
    fn write_header(&mut self) {
        self.len = put_bytes(&mut self.buf, self.len, CALLS_HEADER.as_bytes());
    }

    /// Formats one row at the end of the buffer with integer arithmetic
    /// (this runs once per call); flushes the buffer when it is nearly full.
    fn write_row(&mut self, r: &CallRecord) -> io::Result<()> {
        let b = &mut self.buf[..];
        let mut p = self.len;
        p = put_bytes(b, p, &self.prefix);
        p = put_u64(b, p, r.call_id);
        b[p] = b',';
        p = self.portal_names[r.portal as usize].put(b, p + 1);
        b[p] = b',';
        p = put_bytes(b, p + 1, r.direction.as_str().as_bytes());
        b[p] = b',';
        p = put_time(b, p + 1, r.arrival);
        b[p] = b',';
        p += 1;
        if let Some(a) = r.answer {
            p = put_time(b, p, a);
        }
        b[p] = b',';
        p = put_time(b, p + 1, r.end);
        b[p] = b',';
        p += 1;
        if let Some(wait) = r.wait {
            p = put_time(b, p, wait);
        }
        b[p] = b',';
        p += 1;
        if let Some(t) = r.talk() {
            p = put_time(b, p, t);
        }
        b[p] = b',';
        p = self.outcomes[r.outcome.index()].put(b, p + 1);
        b[p] = b',';
        p += 1;
        // Text columns write `NONE` where nothing applies (see there).
        p = match r.agent {
            Some(a) => self.agent_names[a as usize].put(b, p),
            None => put_bytes(b, p, NONE.as_bytes()),
        };
        b[p] = b',';
        p += 1;
        p = match r.server {
            Some(s) => self.server_names[s as usize].put(b, p),
            None => put_bytes(b, p, NONE.as_bytes()),
        };
        b[p] = b',';
        p += 1;
        p = match r.media_server {
            Some(s) => self.server_names[s as usize].put(b, p),
            None => put_bytes(b, p, NONE.as_bytes()),
        };
        b[p] = b',';
        p += 1;
        // The negotiated codec for calls with media, else the portal's
        // (with a topology).
        p = match (&r.media, self.codecs[r.portal as usize]) {
            (Some(m), _) => put_bytes(b, p, m.codec.name().as_bytes()),
            (None, Some(codec)) => put_bytes(b, p, codec.as_bytes()),
            (None, None) => put_bytes(b, p, NONE.as_bytes()),
        };
        b[p] = b',';
        p += 1;
        if let Some(pdd) = r.pdd {
            // Milliseconds with microsecond resolution.
            let us = pdd.micros();
            p = put_u64(b, p, us / 1000);
            let frac = us % 1000;
            b[p] = b'.';
            b[p + 1] = b'0' + (frac / 100) as u8;
            p = put_pair(b, p + 2, frac % 100);
        }
        match &r.media {
            Some(m) => {
                b[p] = b',';
                p = put_u64(b, p + 1, m.rtp_sent);
                b[p] = b',';
                p = put_u64(b, p + 1, m.rtp_received);
                // Fixed decimals: enough for analysis, stable across
                // platforms. Rare enough (media runs) for `fmt`.
                let mut rest = &mut b[p..];
                let room = rest.len();
                write!(
                    rest,
                    ",{:.3},{:.3},{:.3},{:.4},",
                    m.loss_pct, m.jitter_ms, m.delay_ms, m.mos
                )?;
                p += room - rest.len();
                p = put_time(b, p, m.media_gap);
            }
            None => p = put_bytes(b, p, b",,,,,,,"),
        }
        b[p] = b',';
        p = put_time(b, p + 1, r.steps);
        b[p] = b',';
        p += 1;
        p = match r.destination {
            Some(d) => put_bytes(
                b,
                p,
                self.destinations[r.portal as usize][d as usize].as_bytes(),
            ),
            None => put_bytes(b, p, NONE.as_bytes()),
        };
        b[p] = b',';
        p += 1;
        if r.charge != 0 {
            // Rare (money runs) and short: `fmt` is fine here.
            p = put_bytes(b, p, crate::money::format_minor(r.charge).as_bytes());
        } else if self.money {
            // With money a free call costs 0.00; without, no charge applies.
            p = put_bytes(b, p, b"0.00");
        }
        match &r.transfer {
            Some(x) => {
                b[p] = b',';
                p = put_bytes(b, p + 1, x.kind.as_str().as_bytes());
                b[p] = b',';
                p = self.agent_names[x.to as usize].put(b, p + 1);
                for t in [x.leg1, x.consult, x.leg3] {
                    b[p] = b',';
                    p = put_time(b, p + 1, t);
                }
            }
            None => p = put_bytes(b, p, b",-,-,,,"),
        }
        b[p] = b',';
        p += 1;
        p = match r.abandoned_in {
            Some(place) => put_bytes(b, p, place.as_str().as_bytes()),
            None => put_bytes(b, p, NONE.as_bytes()),
        };
        b[p] = b',';
        p += 1;
        p = match r.transfer_failed {
            Some(f) => put_bytes(b, p, f.as_str().as_bytes()),
            None => put_bytes(b, p, NONE.as_bytes()),
        };
        b[p] = b'\n';
        self.len = p + 1;
        if self.len >= self.flush_at {
            self.flush_buf()?;
        }
        Ok(())
    }

    fn flush_buf(&mut self) -> io::Result<()> {
        let filled = std::mem::take(&mut self.len);
        self.file.write_all(&self.buf[..filled])
    }

    /// Flushes the part; returns the number of rows or the first error.
    fn close(mut self) -> io::Result<u64> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.flush_buf()?;
        Ok(self.rows)
    }
}

impl RecordSink for RowWriter {
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
        for us in [
            0u64,
            5,
            99,
            100,
            999_999,
            1_000_000,
            10_000_000,
            12_345_678_901,
            u64::MAX / 2,
            u64::MAX,
        ] {
            let mut b = [0u8; 40];
            let n = put_time(&mut b, 3, SimTime(us));
            assert_eq!(&b[3..n], SimTime(us).to_string().as_bytes());
        }
    }

    /// The writer thread writes exactly what formatting inline writes, in
    /// order, across several batches.
    #[test]
    fn threaded_writer_matches_inline_rows() {
        let model = crate::model_from_str(
            r#"Scenario(name: "t", duration_s: 60.0, portals: [Portal(name: "a,b", agents: 3,
                inbound: Traffic(arrivals: Poisson(per_hour: 60.0), talk_s: Exp(mean: 10.0)))])"#,
            "t.ron",
        )
        .expect("valid");
        let dir = tempfile::tempdir().unwrap();
        let (threaded, inline) = (dir.path().join("threaded"), dir.path().join("inline"));
        let model = Arc::new(model);
        let mut sink = CallsCsv::create(&threaded, &model, 2, true).unwrap();
        let mut rows = RowWriter::new(File::create(&inline).unwrap(), &model, 2);
        rows.write_header();
        let n = 3 * BATCH as u64 + 17;
        for i in 0..n {
            let answered = i % 3 != 0;
            let mut rec = CallRecord::bare(
                i,
                SimTime(i * 1_000_003),
                answered.then_some(SimTime(i * 1_000_003 + 7)),
                SimTime(i * 1_000_003 + 99_999),
                Some(SimTime(7)),
                if answered {
                    Outcome::Answered
                } else {
                    Outcome::Abandoned
                },
            );
            rec.agent = answered.then_some((i % 3) as u32);
            rec.charge = if answered { i as i64 - 50 } else { 0 };
            sink.call_finished(&rec);
            rows.call_finished(&rec);
        }
        assert_eq!(sink.close().unwrap(), n);
        assert_eq!(rows.close().unwrap(), n);
        let text = std::fs::read(&threaded).unwrap();
        assert_eq!(text, std::fs::read(&inline).unwrap());
        assert!(text.starts_with(CALLS_HEADER.as_bytes()));
        assert!(String::from_utf8(text).unwrap().contains(
            "\n2,1,\"a,b\",inbound,1.000003,1.000010,1.100002,0.000007,0.099992,answered,agent-2,"
        ));
    }

    /// Slim rows and whole records come back out of a batch as they went
    /// in, in order, including values that collide with a slim sentinel.
    #[test]
    fn batches_return_every_record_in_order() {
        use crate::model::{TransferRecord, XferKind};
        let mut records = Vec::new();
        for i in 0..40u64 {
            let mut r = CallRecord::bare(
                i,
                SimTime(i * 10),
                (i % 2 == 0).then_some(SimTime(i * 10 + 3)),
                SimTime(i * 10 + 9),
                (i % 3 != 0).then_some(SimTime(3)),
                Outcome::ALL[i as usize % Outcome::ALL.len()],
            );
            r.portal = (i % 4) as u16;
            r.agent = (i % 5 != 0).then_some(i as u32);
            r.server = (i % 6 == 1).then_some(2);
            r.media_server = (i % 6 == 2).then_some(1);
            r.steps = SimTime(i);
            r.charge = 25 - i as i64;
            match i % 9 {
                1 => r.pdd = Some(SimTime(120_000)),
                2 => {
                    r.transfer = Some(TransferRecord {
                        kind: XferKind::Blind,
                        to: 7,
                        leg1: SimTime(1),
                        consult: SimTime::ZERO,
                        leg3: SimTime(2),
                    })
                }
                3 => r.answer = Some(SimTime(NONE_64)),
                4 => r.agent = Some(NONE_32),
                5 => r.server = Some(NONE_16),
                6 => {
                    r.direction = Direction::Outbound;
                    r.destination = Some(3);
                }
                7 => r.abandoned_in = Some(Place::ALL[i as usize % Place::ALL.len()]),
                8 => r.transfer_failed = Some(crate::model::XferFail::NoFreeAgent),
                _ => {}
            }
            records.push(r);
        }
        let mut batch = prefaulted_batch();
        for r in &records {
            batch.push(r);
        }
        assert_eq!(batch.len(), records.len());
        assert!(!batch.whole.is_empty() && batch.whole.len() < records.len());
        assert_eq!(batch.records().collect::<Vec<_>>(), records);
        batch.clear();
        assert!(batch.is_empty() && batch.records().next().is_none());
    }

    #[test]
    fn integers_match_display_at_every_length() {
        let mut v = 1u64;
        let mut cases = vec![0u64, u64::MAX];
        while let Some(next) = v.checked_mul(10) {
            cases.extend([v - 1, v, v + 1]);
            v = next;
        }
        for v in cases {
            let mut b = [0u8; 24];
            let n = put_u64(&mut b, 1, v);
            assert_eq!(&b[1..n], v.to_string().as_bytes(), "{v}");
        }
    }
}
