//! Call-log readers: Asterisk `queue_log`, Asterisk CDR CSV (`cdr_csv`), a
//! generic CSV of calls with a column mapping, and telsim's own
//! `calls.csv`. Each format is a small adapter onto one record type
//! ([`record`]); [`read`] streams a file into [`LogItem`]s in arrival order,
//! holding only the calls open at once (memory flat in the log's length).
//! Every error names `file:line: field: reason`. See docs/logs.md for how
//! malformed lines, unknown events, out-of-order timestamps, calls with no
//! end and duplicate ids are treated.

pub mod record;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

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
    /// Calls still open when the log ended (yielded as
    /// [`LoggedOutcome::Unfinished`]).
    pub unfinished: u64,
}

impl LogStats {
    #[allow(dead_code)] // used by the readers that follow
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
    #[allow(dead_code)] // used by the readers that follow
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

/// Opens `path` as a log of `format` and returns the streaming reader.
/// The file is opened through the guarded input reader (regular files only,
/// streamed).
pub fn read(path: &Path, format: &LogFormat) -> Result<LogReader, LogError> {
    let file =
        crate::robustness::input::open_capped(path, crate::robustness::input::MAX_STREAM_BYTES)
            .map_err(|source| LogError::Io {
                file: path.to_path_buf(),
                source,
            })?;
    let _ = (file, format);
    Err(LogError::Bad {
        file: path.to_path_buf(),
        line: 0,
        field: "format".into(),
        reason: "reader not implemented yet".into(),
    })
}
