//! telsim's own `calls.csv` (see docs/outputs.md): inbound rows only, times
//! shifted to [`CALLS_ORIGIN_S`](super::CALLS_ORIGIN_S).

use std::path::Path;

use super::rows::{check_times, Cols, Row, RowParser};
use super::{bad, LogError, LogStats, LoggedCall, LoggedOutcome, ReadOptions, CALLS_ORIGIN_S};

#[derive(Default)]
struct Idx {
    replication: Option<usize>,
    call_id: Option<usize>,
    portal: Option<usize>,
    direction: Option<usize>,
    arrival: Option<usize>,
    answer: Option<usize>,
    end: Option<usize>,
    outcome: Option<usize>,
    agent: Option<usize>,
    transfer: Option<usize>,
}

pub(crate) struct CallsRows {
    idx: Idx,
    replication: Option<u32>,
}

impl CallsRows {
    pub fn new(options: &ReadOptions) -> CallsRows {
        CallsRows {
            idx: Idx::default(),
            replication: options.replication,
        }
    }
}

/// `calls.csv` outcome names onto logged outcomes: what a queue log would
/// show for it.
fn outcome(s: &str) -> Option<LoggedOutcome> {
    Some(match s {
        "answered" => LoggedOutcome::Answered,
        "abandoned" => LoggedOutcome::Abandoned,
        "blocked" | "blacklisted" | "failed" | "rejected_balance" => LoggedOutcome::Blocked,
        // The queue's max_wait_s expired; the no-answer rule decided the rest.
        "voicemail" | "forwarded" | "no_answer" => LoggedOutcome::TimedOut,
        "unfinished" => LoggedOutcome::Unfinished,
        "dropped" | "after_hours" | "credit_ended" => LoggedOutcome::Other,
        _ => return None,
    })
}

impl RowParser for CallsRows {
    fn header(&mut self, file: &Path, header: &csv::StringRecord) -> Result<(), LogError> {
        let find = |name: &str| header.iter().position(|h| h.trim() == name);
        let need = |name: &str| {
            find(name).ok_or_else(|| {
                bad(
                    file,
                    1,
                    name,
                    "missing column: not a telsim calls.csv (see docs/outputs.md)",
                )
            })
        };
        self.idx = Idx {
            replication: Some(need("replication")?),
            call_id: Some(need("call_id")?),
            portal: find("portal"),
            direction: find("direction"),
            arrival: Some(need("arrival_s")?),
            answer: Some(need("answer_s")?),
            end: Some(need("end_s")?),
            outcome: Some(need("outcome")?),
            agent: find("agent"),
            transfer: find("transfer"),
        };
        Ok(())
    }

    fn row(
        &mut self,
        file: &Path,
        line: u64,
        rec: &csv::StringRecord,
        stats: &mut LogStats,
    ) -> Result<Option<Row>, LogError> {
        let i = &self.idx;
        let rep_s =
            Cols::opt(rec, i.replication).ok_or_else(|| bad(file, line, "replication", "empty"))?;
        let rep: u32 = rep_s.parse().map_err(|_| {
            bad(
                file,
                line,
                "replication",
                format!("`{rep_s}` is not a replication number"),
            )
        })?;
        if self.replication.is_some_and(|r| r != rep) {
            stats.skip("row of another replication");
            return Ok(None);
        }
        if Cols::opt(rec, i.direction).is_some_and(|d| d != "inbound") {
            stats.skip("outbound call");
            return Ok(None);
        }
        let id = Cols::opt(rec, i.call_id).ok_or_else(|| bad(file, line, "call_id", "empty"))?;
        let arrival = Cols::number(file, line, rec, i.arrival, "arrival_s")?
            .ok_or_else(|| bad(file, line, "arrival_s", "empty"))?;
        let answer = Cols::number(file, line, rec, i.answer, "answer_s")?;
        let end = Cols::number(file, line, rec, i.end, "end_s")?;
        let out_s = Cols::opt(rec, i.outcome).unwrap_or("");
        let outcome = outcome(out_s).ok_or_else(|| {
            bad(
                file,
                line,
                "outcome",
                format!("`{out_s}` is not a calls.csv outcome"),
            )
        })?;
        let call = LoggedCall {
            id: if self.replication.is_none() {
                format!("{rep}:{id}")
            } else {
                id.to_string()
            },
            line,
            queue: Cols::opt(rec, i.portal).map(str::to_string),
            caller: None,
            agent: Cols::opt(rec, i.agent).map(str::to_string),
            arrival_s: CALLS_ORIGIN_S + arrival,
            answer_s: answer.map(|a| CALLS_ORIGIN_S + a),
            end_s: end.map(|e| CALLS_ORIGIN_S + e),
            outcome,
            ring_no_answer: 0,
            transferred: Cols::opt(rec, i.transfer).is_some(),
        };
        check_times(file, &call, ["arrival_s", "answer_s", "end_s"])?;
        let key_s = call.end_s.unwrap_or(call.arrival_s);
        Ok(Some(Row {
            call,
            key_s,
            group: rep as u64,
        }))
    }
}
