//! A generic CSV of calls: a header row, one row a call, the columns named
//! by a [`Mapping`] (header names or 1-based numbers).

use std::path::Path;

use super::rows::{check_times, Cols, Row, RowParser};
use super::{
    bad, time, LogError, LogStats, LoggedCall, LoggedOutcome, Mapping, ReadOptions, TimeFormat,
};

pub(crate) struct GenericRows {
    map: Mapping,
    arrival: Option<usize>,
    answer: Option<usize>,
    end: Option<usize>,
    outcome: Option<usize>,
    queue: Option<usize>,
    agent: Option<usize>,
    caller: Option<usize>,
    id: Option<usize>,
}

impl GenericRows {
    pub fn new(map: Mapping, _options: &ReadOptions) -> GenericRows {
        GenericRows {
            map,
            arrival: None,
            answer: None,
            end: None,
            outcome: None,
            queue: None,
            agent: None,
            caller: None,
            id: None,
        }
    }

    fn time(&self, file: &Path, line: u64, v: &str, name: &str) -> Result<f64, LogError> {
        let t = match self.map.time {
            TimeFormat::EpochSeconds => time::epoch(v),
            TimeFormat::Iso8601 => time::iso8601(v),
            TimeFormat::Auto => time::epoch(v).or_else(|| time::iso8601(v)),
        };
        t.ok_or_else(|| {
            let want = match self.map.time {
                TimeFormat::EpochSeconds => "epoch seconds",
                TimeFormat::Iso8601 => "an ISO 8601 date-time with a zone",
                TimeFormat::Auto => "epoch seconds or an ISO 8601 date-time with a zone",
            };
            bad(file, line, name, format!("`{v}` is not {want}"))
        })
    }

    fn opt_time(
        &self,
        file: &Path,
        line: u64,
        rec: &csv::StringRecord,
        i: Option<usize>,
        name: &str,
    ) -> Result<Option<f64>, LogError> {
        match Cols::opt(rec, i) {
            Some(v) => self.time(file, line, v, name).map(Some),
            None => Ok(None),
        }
    }
}

/// Outcome words a call log may use (case-insensitive).
pub(crate) fn outcome_word(s: &str) -> Option<LoggedOutcome> {
    let l = s.to_ascii_lowercase().replace([' ', '-'], "_");
    Some(match l.as_str() {
        "answered" | "answer" | "connected" | "completed" | "complete" | "completecaller"
        | "completeagent" => LoggedOutcome::Answered,
        "abandoned" | "abandon" | "no_answer" | "noanswer" | "hangup" => LoggedOutcome::Abandoned,
        "timeout" | "timed_out" | "timedout" | "exitwithtimeout" => LoggedOutcome::TimedOut,
        "exit_key" | "exitwithkey" => LoggedOutcome::ExitKey,
        "exit_empty" | "exitempty" => LoggedOutcome::ExitEmpty,
        "blocked" | "busy" | "failed" | "congestion" | "full" => LoggedOutcome::Blocked,
        "unfinished" => LoggedOutcome::Unfinished,
        "other" => LoggedOutcome::Other,
        _ => return None,
    })
}

impl RowParser for GenericRows {
    fn header(&mut self, file: &Path, header: &csv::StringRecord) -> Result<(), LogError> {
        let find = |field: &str, col: &Option<String>| -> Result<Option<usize>, LogError> {
            let Some(col) = col else { return Ok(None) };
            if let Ok(n) = col.parse::<usize>() {
                if n >= 1 && n <= header.len() {
                    return Ok(Some(n - 1));
                }
                return Err(bad(
                    file,
                    1,
                    field,
                    format!(
                        "column {n} does not exist: the header has {} columns",
                        header.len()
                    ),
                ));
            }
            header
                .iter()
                .position(|h| h.trim() == col)
                .map(Some)
                .ok_or_else(|| {
                    let names: Vec<&str> = header.iter().collect();
                    bad(
                        file,
                        1,
                        field,
                        format!("no column `{col}` in the header ({})", names.join(", ")),
                    )
                })
        };
        let m = self.map.clone();
        self.arrival = find("arrival", &Some(m.arrival.clone()))?;
        self.answer = find("answer", &m.answer)?;
        self.end = find("end", &m.end)?;
        self.outcome = find("outcome", &m.outcome)?;
        self.queue = find("queue", &m.queue)?;
        self.agent = find("agent", &m.agent)?;
        self.caller = find("caller", &m.caller)?;
        self.id = find("id", &m.id)?;
        Ok(())
    }

    fn row(
        &mut self,
        file: &Path,
        line: u64,
        rec: &csv::StringRecord,
        stats: &mut LogStats,
    ) -> Result<Option<Row>, LogError> {
        let arrival = self
            .opt_time(file, line, rec, self.arrival, "arrival")?
            .ok_or_else(|| bad(file, line, "arrival", "empty"))?;
        let answer = self.opt_time(file, line, rec, self.answer, "answer")?;
        let end = self.opt_time(file, line, rec, self.end, "end")?;
        let outcome = match Cols::opt(rec, self.outcome) {
            Some(w) => match outcome_word(w) {
                Some(o) => o,
                None => {
                    *stats
                        .unknown_events
                        .entry(format!("outcome {w}"))
                        .or_insert(0) += 1;
                    return Ok(None);
                }
            },
            None if answer.is_some() => LoggedOutcome::Answered,
            None if end.is_some() => LoggedOutcome::Abandoned,
            None => LoggedOutcome::Unfinished,
        };
        let call = LoggedCall {
            id: Cols::opt(rec, self.id)
                .map(str::to_string)
                .unwrap_or_else(|| format!("line-{line}")),
            line,
            queue: Cols::opt(rec, self.queue).map(str::to_string),
            caller: Cols::opt(rec, self.caller).map(str::to_string),
            agent: Cols::opt(rec, self.agent).map(str::to_string),
            arrival_s: arrival,
            answer_s: if outcome == LoggedOutcome::Answered {
                answer
            } else {
                None
            },
            end_s: end,
            outcome,
            ring_no_answer: 0,
            transferred: false,
        };
        if call.outcome == LoggedOutcome::Unfinished {
            stats.unfinished += 1;
        }
        check_times(file, &call, ["arrival", "answer", "end"])?;
        Ok(Some(Row {
            key_s: call.arrival_s,
            call,
            group: 0,
        }))
    }
}

/// Parses `arrival=col,answer=col,…` (the `--map` option).
pub fn parse_mapping(s: &str) -> Result<Mapping, String> {
    let mut m = Mapping::default();
    let mut arrival = None;
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| format!("`{part}`: expected FIELD=COLUMN"))?;
        let v = v.trim().to_string();
        match k.trim() {
            "arrival" => arrival = Some(v),
            "answer" => m.answer = Some(v),
            "end" => m.end = Some(v),
            "outcome" => m.outcome = Some(v),
            "queue" => m.queue = Some(v),
            "agent" => m.agent = Some(v),
            "caller" => m.caller = Some(v),
            "id" => m.id = Some(v),
            "time" => {
                m.time = match v.as_str() {
                    "epoch" => TimeFormat::EpochSeconds,
                    "iso8601" | "iso" => TimeFormat::Iso8601,
                    "auto" => TimeFormat::Auto,
                    _ => return Err(format!("time={v}: expected epoch, iso8601 or auto")),
                }
            }
            other => {
                return Err(format!(
                    "unknown field `{other}`: expected arrival, answer, end, outcome, queue, agent, caller, id or time"
                ))
            }
        }
    }
    m.arrival = arrival.ok_or("the mapping needs arrival=COLUMN")?;
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_parses_and_refuses() {
        let m = parse_mapping("arrival=start,answer=3,end=stop,time=iso8601").unwrap();
        assert_eq!(m.arrival, "start");
        assert_eq!(m.answer.as_deref(), Some("3"));
        assert_eq!(m.time, TimeFormat::Iso8601);
        assert!(parse_mapping("answer=x").unwrap_err().contains("arrival"));
        assert!(parse_mapping("arrival=a,colour=b")
            .unwrap_err()
            .contains("colour"));
    }

    #[test]
    fn outcome_words() {
        assert_eq!(outcome_word("NO ANSWER"), Some(LoggedOutcome::Abandoned));
        assert_eq!(outcome_word("Answered"), Some(LoggedOutcome::Answered));
        assert_eq!(outcome_word("purple"), None);
    }
}
