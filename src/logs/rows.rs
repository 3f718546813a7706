//! The source for formats with one row per call (CDR, generic CSV,
//! telsim's `calls.csv`): a CSV reader, a per-format row parser, and the
//! reorder buffer keyed on each format's own record order.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::reorder::Reorder;
use super::{bad, LogError, LogItem, LogStats, LoggedCall, ReadOptions, Source};

/// One parsed row.
pub(crate) struct Row {
    pub call: LoggedCall,
    /// The time the file is ordered by (a CDR's or `calls.csv`'s end, a
    /// generic CSV's arrival): drives the reorder buffer's release.
    pub key_s: f64,
    /// Rows of a different group (a `calls.csv` replication) start a new
    /// timeline: everything held is released first.
    pub group: u64,
}

pub(crate) trait RowParser {
    /// Whether the first row is a header handed to [`RowParser::header`]
    /// (otherwise every row goes to [`RowParser::row`]).
    fn header(&mut self, file: &Path, header: &csv::StringRecord) -> Result<(), LogError>;
    /// Ok(None): the row is skipped (the parser counts why).
    fn row(
        &mut self,
        file: &Path,
        line: u64,
        rec: &csv::StringRecord,
        stats: &mut LogStats,
    ) -> Result<Option<Row>, LogError>;
}

pub(crate) struct RowSource {
    file: PathBuf,
    csv: csv::Reader<Box<dyn Read>>,
    rec: csv::StringRecord,
    parser: Box<dyn RowParser>,
    reorder: Reorder,
    held: HashMap<String, u32>,
    window_s: f64,
    max_malformed: u64,
    watermark: f64,
    group: Option<u64>,
    pending: Option<Row>,
    eof: bool,
}

impl RowSource {
    pub fn new(
        file: &Path,
        reader: Box<dyn Read>,
        options: &ReadOptions,
        mut parser: Box<dyn RowParser>,
        has_header: bool,
    ) -> Result<RowSource, LogError> {
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(reader);
        let mut rec = csv::StringRecord::new();
        if has_header {
            match csv.read_record(&mut rec) {
                Ok(true) => parser.header(file, &rec)?,
                Ok(false) => return Err(bad(file, 1, "header", "the file is empty")),
                Err(e) => return Err(csv_err(file, e)),
            }
        }
        Ok(RowSource {
            file: file.to_path_buf(),
            csv,
            rec,
            parser,
            reorder: Reorder::new(),
            held: HashMap::new(),
            window_s: options.window_s,
            max_malformed: options.max_malformed,
            watermark: f64::NEG_INFINITY,
            group: None,
            pending: None,
            eof: false,
        })
    }

    fn release(&mut self, item: LogItem) -> LogItem {
        if let LogItem::Call(c) = &item {
            if let Some(n) = self.held.get_mut(&c.id) {
                *n -= 1;
                if *n == 0 {
                    self.held.remove(&c.id);
                }
            }
        }
        item
    }

    fn hold(&mut self, row: Row, stats: &mut LogStats) {
        if self.held.contains_key(&row.call.id) {
            stats.skip("duplicate call id (the later row is dropped)");
            return;
        }
        if row.key_s < self.watermark {
            stats.out_of_order += 1;
        } else {
            self.watermark = row.key_s;
        }
        self.held.insert(row.call.id.clone(), 1);
        self.group = Some(row.group);
        self.reorder.push(LogItem::Call(row.call), stats);
    }
}

pub(crate) fn csv_err(file: &Path, e: csv::Error) -> LogError {
    let line = e.position().map_or(0, |p| p.line());
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => bad(file, line, "line", "not UTF-8 text"),
        csv::ErrorKind::Io(_) => match e.into_kind() {
            csv::ErrorKind::Io(source) => LogError::Io {
                file: file.to_path_buf(),
                source,
            },
            _ => unreachable!(),
        },
        _ => bad(file, line, "line", e.to_string()),
    }
}

impl Source for RowSource {
    fn next_item(&mut self, stats: &mut LogStats) -> Option<Result<LogItem, LogError>> {
        loop {
            if self.pending.is_some() {
                // A new group: release everything of the old one first.
                if let Some(it) = self.reorder.pop_any() {
                    return Some(Ok(self.release(it)));
                }
                let row = self.pending.take().unwrap();
                self.watermark = f64::NEG_INFINITY;
                self.reorder = Reorder::new();
                self.hold(row, stats);
                continue;
            }
            if let Some(it) = self.reorder.pop_upto(self.watermark - self.window_s) {
                return Some(Ok(self.release(it)));
            }
            if self.eof {
                return self.reorder.pop_any().map(|it| Ok(self.release(it)));
            }
            match self.csv.read_record(&mut self.rec) {
                Ok(false) => {
                    self.eof = true;
                    stats.lines = self
                        .csv
                        .position()
                        .line()
                        .saturating_sub(1)
                        .max(stats.lines);
                }
                Err(e) => return Some(Err(csv_err(&self.file, e))),
                Ok(true) => {
                    let line = self.rec.position().map_or(0, |p| p.line());
                    stats.lines = line;
                    if self.rec.len() == 1 && self.rec[0].trim().is_empty() {
                        continue;
                    }
                    match self.parser.row(&self.file, line, &self.rec, stats) {
                        Ok(None) => {}
                        Ok(Some(row)) => {
                            if self.group.is_some_and(|g| g != row.group) {
                                self.pending = Some(row);
                            } else {
                                self.hold(row, stats);
                            }
                        }
                        Err(e @ LogError::Bad { .. }) if stats.malformed < self.max_malformed => {
                            let _ = e;
                            stats.malformed += 1;
                        }
                        Err(e) => return Some(Err(e)),
                    }
                }
            }
        }
    }
}

/// Helpers for row parsers.
pub(crate) struct Cols;

impl Cols {
    /// The trimmed cell `i`, None when empty or `-` or absent.
    pub fn opt(rec: &csv::StringRecord, i: Option<usize>) -> Option<&str> {
        let v = rec.get(i?)?.trim();
        (!v.is_empty() && v != "-").then_some(v)
    }

    pub fn number(
        file: &Path,
        line: u64,
        rec: &csv::StringRecord,
        i: Option<usize>,
        name: &str,
    ) -> Result<Option<f64>, LogError> {
        match Self::opt(rec, i) {
            None => Ok(None),
            Some(v) => match v.parse::<f64>() {
                Ok(x) if x.is_finite() => Ok(Some(x)),
                _ => Err(bad(file, line, name, format!("`{v}` is not a number"))),
            },
        }
    }
}

/// Checks the times of a call read from one row: answer and end not before
/// the arrival, end not before the answer.
pub(crate) fn check_times(file: &Path, c: &LoggedCall, names: [&str; 3]) -> Result<(), LogError> {
    for (t, name) in [
        (Some(c.arrival_s), names[0]),
        (c.answer_s, names[1]),
        (c.end_s, names[2]),
    ] {
        if let Some(t) = t {
            if !super::time::plausible(t) {
                return Err(bad(
                    file,
                    c.line,
                    name,
                    "before 1970 or after the year 2286: not a log time",
                ));
            }
        }
    }
    if let Some(a) = c.answer_s {
        if a < c.arrival_s {
            return Err(bad(
                file,
                c.line,
                names[1],
                format!(
                    "answered {:.3} s before it arrived ({})",
                    c.arrival_s - a,
                    names[0]
                ),
            ));
        }
    }
    if let Some(e) = c.end_s {
        let from = c.answer_s.unwrap_or(c.arrival_s);
        if e < from {
            let what = if c.answer_s.is_some() {
                names[1]
            } else {
                names[0]
            };
            return Err(bad(
                file,
                c.line,
                names[2],
                format!("ends {:.3} s before {what}", from - e),
            ));
        }
    }
    Ok(())
}
