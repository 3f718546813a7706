//! Asterisk CDR CSV (`cdr_csv`, `Master.csv`): no header; columns
//! accountcode, src, dst, dcontext, clid, channel, dstchannel, lastapp,
//! lastdata, start, answer, end, duration, billsec, disposition, amaflags,
//! and with `loguniqueid` / `loguserfield` uniqueid and userfield.

use std::path::Path;

use super::rows::{check_times, Cols, Row, RowParser};
use super::{bad, time, LogError, LogStats, LoggedCall, LoggedOutcome, ReadOptions};

const SRC: usize = 1;
const DST: usize = 2;
const DSTCHANNEL: usize = 6;
const START: usize = 9;
const ANSWER: usize = 10;
const END: usize = 11;
const BILLSEC: usize = 13;
const DISPOSITION: usize = 14;
const UNIQUEID: usize = 16;

pub(crate) struct CdrRows {
    offset_s: f64,
}

impl CdrRows {
    pub fn new(options: &ReadOptions) -> CdrRows {
        CdrRows {
            offset_s: options.utc_offset_s,
        }
    }

    fn time(&self, file: &Path, line: u64, v: &str, name: &str) -> Result<f64, LogError> {
        time::naive(v, self.offset_s)
            .or_else(|| time::epoch(v))
            .or_else(|| time::iso8601(v))
            .ok_or_else(|| {
                bad(
                    file,
                    line,
                    name,
                    format!("`{v}` is not a date-time (YYYY-MM-DD HH:MM:SS)"),
                )
            })
    }
}

/// The agent's channel without Asterisk's per-call suffix
/// (`SIP/1001-0000002a` → `SIP/1001`).
pub(crate) fn channel_owner(ch: &str) -> &str {
    match ch.rfind('-') {
        Some(i) if i + 1 < ch.len() && ch[i + 1..].bytes().all(|b| b.is_ascii_hexdigit()) => {
            &ch[..i]
        }
        _ => ch,
    }
}

impl RowParser for CdrRows {
    fn header(&mut self, _file: &Path, _header: &csv::StringRecord) -> Result<(), LogError> {
        Ok(())
    }

    fn row(
        &mut self,
        file: &Path,
        line: u64,
        rec: &csv::StringRecord,
        stats: &mut LogStats,
    ) -> Result<Option<Row>, LogError> {
        if line == 1 && rec.get(0).is_some_and(|h| h.trim() == "accountcode") {
            stats.skip("header row");
            return Ok(None);
        }
        if !(16..=18).contains(&rec.len()) {
            return Err(bad(
                file,
                line,
                "line",
                format!(
                    "expected 16 to 18 columns (cdr_csv Master.csv: accountcode … amaflags[, uniqueid, userfield]), found {}",
                    rec.len()
                ),
            ));
        }
        let disp = rec[DISPOSITION].trim();
        let outcome = match disp {
            "ANSWERED" => LoggedOutcome::Answered,
            // A CDR cannot tell a caller who hung up from a queue timeout.
            "NO ANSWER" => LoggedOutcome::Abandoned,
            "BUSY" | "CONGESTION" => LoggedOutcome::Blocked,
            "FAILED" => LoggedOutcome::Other,
            other => {
                *stats
                    .unknown_events
                    .entry(format!("disposition {other}"))
                    .or_insert(0) += 1;
                return Ok(None);
            }
        };
        let start_v =
            Cols::opt(rec, Some(START)).ok_or_else(|| bad(file, line, "start", "empty"))?;
        let arrival = self.time(file, line, start_v, "start")?;
        let end = match Cols::opt(rec, Some(END)) {
            Some(v) => Some(self.time(file, line, v, "end")?),
            None => None,
        };
        let mut answer = match Cols::opt(rec, Some(ANSWER)) {
            Some(v) => Some(self.time(file, line, v, "answer")?),
            None => None,
        };
        let billsec = Cols::number(file, line, rec, Some(BILLSEC), "billsec")?;
        if outcome == LoggedOutcome::Answered && answer.is_none() {
            if let (Some(e), Some(b)) = (end, billsec) {
                answer = Some(e - b);
            }
        }
        if outcome != LoggedOutcome::Answered {
            answer = None;
        }
        let id = Cols::opt(rec, Some(UNIQUEID))
            .map(str::to_string)
            .unwrap_or_else(|| format!("line-{line}"));
        let call = LoggedCall {
            id,
            line,
            queue: Cols::opt(rec, Some(DST)).map(str::to_string),
            caller: Cols::opt(rec, Some(SRC)).map(str::to_string),
            agent: Cols::opt(rec, Some(DSTCHANNEL)).map(|c| channel_owner(c).to_string()),
            arrival_s: arrival,
            answer_s: answer,
            end_s: end,
            outcome,
            ring_no_answer: 0,
            transferred: false,
        };
        check_times(file, &call, ["start", "answer", "end"])?;
        let key_s = call.end_s.unwrap_or(call.arrival_s);
        Ok(Some(Row {
            call,
            key_s,
            group: 0,
        }))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn channel_suffix_is_stripped() {
        assert_eq!(super::channel_owner("SIP/1001-0000002a"), "SIP/1001");
        assert_eq!(
            super::channel_owner("PJSIP/agent-7-00000001"),
            "PJSIP/agent-7"
        );
        assert_eq!(super::channel_owner("Local/queue-x"), "Local/queue-x");
    }
}
