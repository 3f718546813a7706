//! Call-log readers: Asterisk `queue_log`, Asterisk CDR CSV (`cdr_csv`), a
//! generic CSV of calls with a column mapping, and telsim's own
//! `calls.csv`. Each format is a small adapter onto one record type
//! ([`record`]); [`read`] streams a file into [`LogItem`]s in arrival order,
//! holding only the calls open at once (memory flat in the log's length).
//! Every error names `file:line: field: reason`. See docs/logs.md for how
//! malformed lines, unknown events, out-of-order timestamps, calls with no
//! end and duplicate ids are treated.

mod calls_csv;
mod cdr;
mod generic;
mod queue_log;
pub mod record;
mod reorder;
mod rows;
pub mod time;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use generic::parse_mapping;
pub use record::{
    AgentEvent, AgentEventKind, LogFormat, LogItem, LoggedCall, LoggedOutcome, Mapping, TimeFormat,
};

/// Where telsim's `calls.csv` times start: `arrival_s = 0` is read as
/// Monday 2026-01-05 00:00 UTC, so a run's day `d` is weekday `d mod 7`
/// (0 = Monday) when fitted back.
pub const CALLS_ORIGIN_S: f64 = 1_767_571_200.0;

/// A located log error.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// The file could not be opened or read.
    #[error("{}: {source}", file.display())]
    Io {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A line (or the file as a whole, line 0 omitted) is not what the
    /// format says.
    #[error("{}{}: {field}: {reason}", file.display(), if *line > 0 { format!(":{line}") } else { String::new() })]
    Bad {
        file: PathBuf,
        line: u64,
        field: String,
        reason: String,
    },
}

/// What a reader skipped and why (for the report `fit` prints and the
/// comment it writes).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogStats {
    /// Lines read (header included).
    pub lines: u64,
    /// Calls yielded.
    pub calls: u64,
    /// Agent events yielded.
    pub agent_events: u64,
    /// Events the reader does not know, by name: counted and skipped.
    pub unknown_events: BTreeMap<String, u64>,
    /// Lines or calls dropped, by reason ("duplicate call id", "event for
    /// a call never entered", ...).
    pub skipped: BTreeMap<String, u64>,
    /// Records whose time was earlier than a record before them (kept:
    /// the reorder buffer puts them back in order).
    pub out_of_order: u64,
    /// Items that came later than the reorder window allows: yielded
    /// anyway, out of arrival order.
    pub late: u64,
    /// Malformed lines skipped (only with [`ReadOptions::max_malformed`]).
    pub malformed: u64,
    /// Calls still open when the log ended (yielded as
    /// [`LoggedOutcome::Unfinished`]).
    pub unfinished: u64,
}

impl LogStats {
    pub(crate) fn skip(&mut self, reason: &str) {
        *self.skipped.entry(reason.to_string()).or_insert(0) += 1;
    }
}

/// A streaming reader: an iterator of items in arrival order (ties by
/// source line). The first `Err` ends the stream.
pub struct LogReader {
    source: Box<dyn Source>,
    stats: LogStats,
    done: bool,
}

/// One format's adapter: yields items (in any order within its reorder
/// window; [`LogReader`] does not reorder further) and counts what it skips.
pub(crate) trait Source {
    fn next_item(&mut self, stats: &mut LogStats) -> Option<Result<LogItem, LogError>>;
}

impl LogReader {
    pub(crate) fn new(source: Box<dyn Source>) -> LogReader {
        LogReader {
            source,
            stats: LogStats::default(),
            done: false,
        }
    }

    /// What was read and skipped so far (complete once the iterator is
    /// exhausted).
    pub fn stats(&self) -> &LogStats {
        &self.stats
    }
}

impl Iterator for LogReader {
    type Item = Result<LogItem, LogError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.source.next_item(&mut self.stats);
        match &item {
            None | Some(Err(_)) => self.done = true,
            Some(Ok(LogItem::Call(_))) => self.stats.calls += 1,
            Some(Ok(LogItem::Agent(_))) => self.stats.agent_events += 1,
        }
        item
    }
}

/// How a reader treats what the format leaves open.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadOptions {
    /// How far (seconds) a record may be earlier than the latest record
    /// before it and still be put back in order. Default one hour.
    pub window_s: f64,
    /// A queue_log call still open this long after its ENTERQUEUE (by the
    /// log's clock) is closed as [`LoggedOutcome::Unfinished`]: bounds the
    /// calls held open. Default one day.
    pub max_open_s: f64,
    /// Malformed lines tolerated (skipped and counted) before the next one
    /// is an error. Default 0: the first malformed line is an error.
    pub max_malformed: u64,
    /// Added to times written without a zone (CDR date-times, queue_log
    /// database dumps), seconds: the zone they were written in, east of
    /// UTC, is subtracted. Default 0 (UTC).
    pub utc_offset_s: f64,
    /// telsim `calls.csv`: the replication read (`None`: all, one after
    /// another, each in arrival order, ids prefixed by the replication).
    /// Default `Some(0)`.
    pub replication: Option<u32>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            window_s: 3600.0,
            max_open_s: 86400.0,
            max_malformed: 0,
            utc_offset_s: 0.0,
            replication: Some(0),
        }
    }
}

/// Opens `path` as a log of `format` and returns the streaming reader
/// (default [`ReadOptions`]).
pub fn read(path: &Path, format: &LogFormat) -> Result<LogReader, LogError> {
    read_with(path, format, &ReadOptions::default())
}

/// [`read`] with options. The file is opened through the guarded input
/// reader (regular files only) and streamed.
pub fn read_with(
    path: &Path,
    format: &LogFormat,
    options: &ReadOptions,
) -> Result<LogReader, LogError> {
    let file =
        crate::robustness::input::open_capped(path, crate::robustness::input::MAX_STREAM_BYTES)
            .map_err(|source| LogError::Io {
                file: path.to_path_buf(),
                source,
            })?;
    let reader = std::io::BufReader::with_capacity(1 << 16, file);
    let source: Box<dyn Source> = match format {
        LogFormat::QueueLog => Box::new(queue_log::QueueLogSource::new(
            path,
            Box::new(reader),
            options,
        )),
        LogFormat::Cdr => Box::new(rows::RowSource::new(
            path,
            Box::new(reader),
            options,
            Box::new(cdr::CdrRows::new(options)),
            false,
        )?),
        LogFormat::Generic(m) => Box::new(rows::RowSource::new(
            path,
            Box::new(reader),
            options,
            Box::new(generic::GenericRows::new(m.clone(), options)),
            true,
        )?),
        LogFormat::Calls => Box::new(rows::RowSource::new(
            path,
            Box::new(reader),
            options,
            Box::new(calls_csv::CallsRows::new(options)),
            true,
        )?),
    };
    Ok(LogReader::new(source))
}

/// A malformed-line error, located.
pub(crate) fn bad(file: &Path, line: u64, field: &str, reason: impl Into<String>) -> LogError {
    LogError::Bad {
        file: file.to_path_buf(),
        line,
        field: field.to_string(),
        reason: reason.into(),
    }
}

/// Reads every item of a log, calling `f` for each; returns the stats.
pub fn for_each(
    path: &Path,
    format: &LogFormat,
    options: &ReadOptions,
    mut f: impl FnMut(LogItem),
) -> Result<LogStats, LogError> {
    let mut r = read_with(path, format, options)?;
    for item in r.by_ref() {
        f(item?);
    }
    Ok(r.stats().clone())
}
