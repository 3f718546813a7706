//! Asterisk `queue_log`: `time|callid|queue|agent|event|data1|data2|…`, one
//! event a line. A call opens at ENTERQUEUE and is yielded when it closes
//! (COMPLETECALLER/COMPLETEAGENT, a transfer, ABANDON, EXITWITH…); the data
//! fields are those of Asterisk's queue log documentation:
//!
//! | event | data |
//! |---|---|
//! | ENTERQUEUE | url, callerid |
//! | CONNECT | holdtime, bridged channel uniqueid, ringtime |
//! | COMPLETECALLER, COMPLETEAGENT | holdtime, calltime, origposition |
//! | ABANDON | position, origposition, waittime |
//! | EXITWITHTIMEOUT, EXITEMPTY | position, origposition, waittime |
//! | EXITWITHKEY | key, position, origposition, waittime |
//! | RINGNOANSWER | ringtime (ms) |
//! | TRANSFER, BLINDTRANSFER | extension, context, holdtime, calltime, origposition |
//! | ATTENDEDTRANSFER | method, data, holdtime, calltime, origposition |
//! | AGENTLOGIN | channel |
//! | AGENTLOGOFF | channel, logintime |
//! | ADDMEMBER, REMOVEMEMBER, PAUSE, UNPAUSE, PAUSEALL, UNPAUSEALL | (reason) |
//! | FULL, JOINEMPTY, JOINUNAVAIL | — (refused on entry, no ENTERQUEUE) |

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

use super::reorder::Reorder;
use super::{
    bad, time, AgentEvent, AgentEventKind, LogError, LogItem, LogStats, LoggedCall, LoggedOutcome,
    ReadOptions, Source,
};

/// The longest line read (a queue_log line is a few hundred bytes).
const MAX_LINE: u64 = 1 << 16;

/// Events read and used for nothing (known, so not counted as unknown).
const IGNORED: &[&str] = &[
    "QUEUESTART",
    "CONFIGRELOAD",
    "RINGCANCELED",
    "DID",
    "INFO",
    "AGENTDUMP",
    "SYSCOMPAT",
    "AGENTCALLBACKLOGIN",
    "AGENTCALLBACKLOGOFF",
    "PRESENCE",
];

#[derive(Clone, Copy, PartialEq)]
struct Key(f64, u64);
impl Eq for Key {}
impl PartialOrd for Key {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Key {
    fn cmp(&self, o: &Self) -> Ordering {
        self.0.total_cmp(&o.0).then(self.1.cmp(&o.1))
    }
}

pub(crate) struct QueueLogSource {
    file: PathBuf,
    reader: Box<dyn BufRead>,
    buf: Vec<u8>,
    line: u64,
    open: HashMap<String, LoggedCall>,
    by_arrival: BTreeMap<Key, String>,
    reorder: Reorder,
    watermark: f64,
    options: ReadOptions,
    eof: bool,
}

impl QueueLogSource {
    pub fn new(file: &Path, reader: Box<dyn BufRead>, options: &ReadOptions) -> QueueLogSource {
        QueueLogSource {
            file: file.to_path_buf(),
            reader,
            buf: Vec::with_capacity(256),
            line: 0,
            open: HashMap::new(),
            by_arrival: BTreeMap::new(),
            reorder: Reorder::new(),
            watermark: f64::NEG_INFINITY,
            options: options.clone(),
            eof: false,
        }
    }

    /// Items may leave once the log is a window past them and no open call
    /// arrived earlier.
    fn release_upto(&self) -> f64 {
        let w = self.watermark - self.options.window_s;
        match self.by_arrival.keys().next() {
            Some(k) => w.min(k.0 - 1e-9),
            None => w,
        }
    }

    fn close(&mut self, id: &str, stats: &mut LogStats) -> Option<LoggedCall> {
        let c = self.open.remove(id)?;
        self.by_arrival.remove(&Key(c.arrival_s, c.line));
        let _ = stats;
        Some(c)
    }

    fn close_stale(&mut self, stats: &mut LogStats) {
        let limit = self.watermark - self.options.max_open_s;
        while let Some((k, id)) = self.by_arrival.iter().next() {
            if k.0 >= limit {
                break;
            }
            let id = id.clone();
            if let Some(mut c) = self.close(&id, stats) {
                c.outcome = LoggedOutcome::Unfinished;
                stats.unfinished += 1;
                self.reorder.push(LogItem::Call(c), stats);
            }
        }
    }

    /// Reads and applies one line; Ok(false) at the end of the file.
    fn step(&mut self, stats: &mut LogStats) -> Result<bool, LogError> {
        self.buf.clear();
        let n = (&mut self.reader)
            .take(MAX_LINE)
            .read_until(b'\n', &mut self.buf)
            .map_err(|source| LogError::Io {
                file: self.file.clone(),
                source,
            })?;
        if n == 0 {
            return Ok(false);
        }
        self.line += 1;
        if n as u64 == MAX_LINE && self.buf.last() != Some(&b'\n') {
            // Not a queue_log: do not grow a line without bound.
            return Err(bad(
                &self.file,
                self.line,
                "line",
                format!("longer than {MAX_LINE} bytes: not a queue_log line"),
            ));
        }
        stats.lines = self.line;
        let buf = std::mem::take(&mut self.buf);
        let r = self.apply(&buf, stats);
        self.buf = buf;
        match r {
            Err(LogError::Bad { .. }) if stats.malformed < self.options.max_malformed => {
                stats.malformed += 1;
                Ok(true)
            }
            Err(e) => Err(e),
            Ok(()) => Ok(true),
        }
    }

    fn apply(&mut self, raw: &[u8], stats: &mut LogStats) -> Result<(), LogError> {
        let line = self.line;
        let file = self.file.clone();
        let text =
            std::str::from_utf8(raw).map_err(|_| bad(&file, line, "line", "not UTF-8 text"))?;
        let text = text.trim_end_matches(['\n', '\r']);
        if text.trim().is_empty() {
            return Ok(());
        }
        let mut f = text.split('|');
        let (Some(t), Some(callid), Some(queue), Some(agent), Some(event)) =
            (f.next(), f.next(), f.next(), f.next(), f.next())
        else {
            return Err(bad(
                &file,
                line,
                "line",
                format!(
                    "expected time|callid|queue|agent|event|data…, found {} field(s)",
                    text.split('|').count()
                ),
            ));
        };
        let data: [&str; 5] = std::array::from_fn(|_| f.next().unwrap_or(""));
        let t = t.trim();
        let time = time::epoch(t)
            .or_else(|| time::naive(t, self.options.utc_offset_s))
            .ok_or_else(|| bad(&file, line, "time", format!("`{t}` is not epoch seconds")))?;
        if !time::plausible(time) {
            return Err(bad(
                &file,
                line,
                "time",
                format!("`{t}` is after the year 2286: not a log time"),
            ));
        }
        if time < self.watermark {
            stats.out_of_order += 1;
        } else {
            self.watermark = time;
        }
        let none = |s: &str| {
            let s = s.trim();
            (!s.is_empty() && s != "NONE").then(|| s.to_string())
        };
        let num = |i: usize, name: &str| -> Result<f64, LogError> {
            let v = data[i].trim();
            v.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && *x >= 0.0)
                .ok_or_else(|| {
                    bad(
                        &file,
                        line,
                        &format!("data{} ({name})", i + 1),
                        format!("`{v}` is not a number of seconds"),
                    )
                })
        };
        let event = event.trim();
        let agent_kind = match event {
            "AGENTLOGIN" => Some(AgentEventKind::Login),
            "AGENTLOGOFF" => Some(AgentEventKind::Logoff),
            "ADDMEMBER" => Some(AgentEventKind::Add),
            "REMOVEMEMBER" => Some(AgentEventKind::Remove),
            "PAUSE" | "PAUSEALL" => Some(AgentEventKind::Pause),
            "UNPAUSE" | "UNPAUSEALL" => Some(AgentEventKind::Unpause),
            _ => None,
        };
        if let Some(kind) = agent_kind {
            let Some(agent) = none(agent) else {
                return Err(bad(&file, line, "agent", format!("{event} names no agent")));
            };
            let q = if event.ends_with("ALL") {
                None
            } else {
                none(queue)
            };
            self.reorder.push(
                LogItem::Agent(AgentEvent {
                    time_s: time,
                    queue: q,
                    agent,
                    kind,
                    line,
                }),
                stats,
            );
            return Ok(());
        }
        let callid = callid.trim();
        match event {
            "ENTERQUEUE" => {
                if self.open.contains_key(callid) {
                    stats.skip("ENTERQUEUE for a call already in a queue");
                    return Ok(());
                }
                let c = LoggedCall {
                    id: callid.to_string(),
                    line,
                    queue: none(queue),
                    caller: none(data[1]),
                    agent: None,
                    arrival_s: time,
                    answer_s: None,
                    end_s: None,
                    outcome: LoggedOutcome::Unfinished,
                    ring_no_answer: 0,
                    transferred: false,
                };
                self.by_arrival.insert(Key(time, line), callid.to_string());
                self.open.insert(callid.to_string(), c);
                self.close_stale(stats);
            }
            "FULL" | "JOINEMPTY" | "JOINUNAVAIL" => {
                let outcome = if event == "FULL" {
                    LoggedOutcome::Blocked
                } else {
                    LoggedOutcome::ExitEmpty
                };
                let c = LoggedCall {
                    id: callid.to_string(),
                    line,
                    queue: none(queue),
                    caller: None,
                    agent: None,
                    arrival_s: time,
                    answer_s: None,
                    end_s: Some(time),
                    outcome,
                    ring_no_answer: 0,
                    transferred: false,
                };
                self.reorder.push(LogItem::Call(c), stats);
            }
            "CONNECT" | "RINGNOANSWER" | "COMPLETECALLER" | "COMPLETEAGENT" | "TRANSFER"
            | "BLINDTRANSFER" | "ATTENDEDTRANSFER" | "ABANDON" | "EXITWITHTIMEOUT"
            | "EXITWITHKEY" | "EXITEMPTY" => {
                let Some(c) = self.open.get_mut(callid) else {
                    stats.skip("event for a call with no open ENTERQUEUE in the log");
                    return Ok(());
                };
                if time < c.arrival_s {
                    return Err(bad(
                        &file,
                        line,
                        "time",
                        format!(
                            "{event} is {:.3} s before the call's ENTERQUEUE (line {})",
                            c.arrival_s - time,
                            c.line
                        ),
                    ));
                }
                let closing = match event {
                    "CONNECT" => {
                        if c.answer_s.is_none() {
                            num(0, "holdtime")?;
                            c.answer_s = Some(time);
                            c.agent = none(agent);
                        } else {
                            stats.skip("second CONNECT for a call");
                        }
                        None
                    }
                    "RINGNOANSWER" => {
                        c.ring_no_answer += 1;
                        None
                    }
                    "COMPLETECALLER" | "COMPLETEAGENT" => {
                        let talk = num(1, "calltime")?;
                        Some((LoggedOutcome::Answered, Some(talk), false))
                    }
                    "TRANSFER" | "BLINDTRANSFER" | "ATTENDEDTRANSFER" => {
                        let talk = num(3, "calltime")?;
                        Some((LoggedOutcome::Answered, Some(talk), true))
                    }
                    "ABANDON" => {
                        num(2, "waittime")?;
                        Some((LoggedOutcome::Abandoned, None, false))
                    }
                    "EXITWITHTIMEOUT" => {
                        num(2, "waittime")?;
                        Some((LoggedOutcome::TimedOut, None, false))
                    }
                    "EXITEMPTY" => {
                        num(2, "waittime")?;
                        Some((LoggedOutcome::ExitEmpty, None, false))
                    }
                    _ => {
                        num(3, "waittime")?;
                        Some((LoggedOutcome::ExitKey, None, false))
                    }
                };
                if let Some((outcome, talk, transferred)) = closing {
                    let mut c = self.close(callid, stats).expect("open call");
                    if outcome == LoggedOutcome::Answered {
                        if c.answer_s.is_none() {
                            // No CONNECT line: the answer is calltime before the end.
                            c.answer_s = Some((time - talk.unwrap_or(0.0)).max(c.arrival_s));
                        }
                        if c.agent.is_none() {
                            c.agent = none(agent);
                        }
                    } else if c.answer_s.is_some() {
                        stats.skip("caller-side exit after CONNECT (answer kept)");
                    }
                    c.end_s = Some(time);
                    c.outcome = outcome;
                    c.transferred = transferred;
                    self.reorder.push(LogItem::Call(c), stats);
                }
            }
            _ if IGNORED.contains(&event) => {}
            _ => {
                *stats.unknown_events.entry(event.to_string()).or_insert(0) += 1;
            }
        }
        Ok(())
    }
}

impl Source for QueueLogSource {
    fn next_item(&mut self, stats: &mut LogStats) -> Option<Result<LogItem, LogError>> {
        loop {
            if let Some(it) = self.reorder.pop_upto(self.release_upto()) {
                return Some(Ok(it));
            }
            if self.eof {
                return self.reorder.pop_any().map(Ok);
            }
            match self.step(stats) {
                Ok(true) => {}
                Ok(false) => {
                    self.eof = true;
                    let ids: Vec<(Key, String)> =
                        std::mem::take(&mut self.by_arrival).into_iter().collect();
                    for (_, id) in ids {
                        if let Some(mut c) = self.open.remove(&id) {
                            c.outcome = LoggedOutcome::Unfinished;
                            stats.unfinished += 1;
                            self.reorder.push(LogItem::Call(c), stats);
                        }
                    }
                }
                Err(e) => return Some(Err(e)),
            }
        }
    }
}
