//! The one record type every log reader produces: a call (one per call id,
//! assembled from however many lines the format spreads it over) or an
//! agent event (login, pause, membership). Readers are small adapters from a
//! format onto these types; everything downstream (`telsim fit`, backtests,
//! replay) sees only these.

/// Which reader to use.
#[derive(Debug, Clone, PartialEq)]
pub enum LogFormat {
    /// Asterisk `queue_log`: `time|callid|queue|agent|event|data…`.
    QueueLog,
    /// Asterisk `cdr_csv` `Master.csv`.
    Cdr,
    /// Any CSV of calls, one row a call, columns named by a [`Mapping`].
    Generic(Mapping),
    /// telsim's own `calls.csv`.
    Calls,
}

/// How a timestamp column is written in a generic CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
pub enum TimeFormat {
    /// Decide per value: a plain number is epoch seconds, anything else
    /// ISO 8601 / RFC 3339 with a time zone.
    #[default]
    Auto,
    /// Seconds since the Unix epoch (fractions allowed).
    EpochSeconds,
    /// ISO 8601 with a time zone (`2026-03-02T09:00:00Z`,
    /// `2026-03-02 09:00:00+01:00`).
    Iso8601,
}

/// Column names of a generic CSV of calls (header names, or 1-based column
/// numbers written as digits). Only `arrival` is required.
///
/// As a RON file (`fit --map-file`): `Mapping(arrival: "start", answer:
/// Some("answered_at"), end: Some("ended_at"), time: Iso8601)`.
#[derive(Debug, Clone, PartialEq, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    pub arrival: String,
    #[serde(default)]
    pub answer: Option<String>,
    #[serde(default)]
    pub end: Option<String>,
    #[serde(default)]
    pub outcome: Option<String>,
    #[serde(default)]
    pub queue: Option<String>,
    #[serde(default)]
    pub agent: Option<String>,
    #[serde(default)]
    pub caller: Option<String>,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub time: TimeFormat,
}

/// How a call left the system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LoggedOutcome {
    /// Reached an agent (`answer_s` set).
    Answered,
    /// The caller hung up while waiting.
    Abandoned,
    /// The queue's timeout expired.
    TimedOut,
    /// The caller left by pressing a key.
    ExitKey,
    /// Left because the queue had no (available) members.
    ExitEmpty,
    /// Refused on arrival (queue full, trunk busy, CDR `BUSY`/`FAILED`).
    Blocked,
    /// Still open when the log ended (no end record).
    Unfinished,
    /// Anything else the format reports.
    Other,
}

impl LoggedOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            LoggedOutcome::Answered => "answered",
            LoggedOutcome::Abandoned => "abandoned",
            LoggedOutcome::TimedOut => "timed_out",
            LoggedOutcome::ExitKey => "exit_key",
            LoggedOutcome::ExitEmpty => "exit_empty",
            LoggedOutcome::Blocked => "blocked",
            LoggedOutcome::Unfinished => "unfinished",
            LoggedOutcome::Other => "other",
        }
    }
}

/// One call, assembled from its records.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedCall {
    pub id: String,
    /// Source line of the call's first record, for messages.
    pub line: u64,
    pub queue: Option<String>,
    pub caller: Option<String>,
    pub agent: Option<String>,
    /// Seconds since the Unix epoch, UTC (telsim's `calls.csv`: the run's
    /// origin, see [`super::CALLS_ORIGIN_S`], plus the simulated time).
    pub arrival_s: f64,
    /// When an agent answered.
    pub answer_s: Option<f64>,
    /// When the call ended (hang-up after talk, abandon, timeout).
    pub end_s: Option<f64>,
    pub outcome: LoggedOutcome,
    /// Agents rung who did not answer (queue_log `RINGNOANSWER`).
    pub ring_no_answer: u32,
    pub transferred: bool,
}

impl LoggedCall {
    /// Seconds waited before an answer or before leaving (None when the
    /// log has neither).
    pub fn wait_s(&self) -> Option<f64> {
        match (self.answer_s, self.end_s) {
            (Some(a), _) => Some(a - self.arrival_s),
            (None, Some(e)) => Some(e - self.arrival_s),
            _ => None,
        }
    }

    /// Talk time of an answered call with an end.
    pub fn talk_s(&self) -> Option<f64> {
        match (self.answer_s, self.end_s) {
            (Some(a), Some(e)) => Some(e - a),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AgentEventKind {
    Login,
    Logoff,
    Pause,
    Unpause,
    /// Added as a queue member.
    Add,
    /// Removed as a queue member.
    Remove,
}

/// An agent's state change.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentEvent {
    pub time_s: f64,
    pub queue: Option<String>,
    pub agent: String,
    pub kind: AgentEventKind,
    pub line: u64,
}

/// What a reader yields.
#[derive(Debug, Clone, PartialEq)]
pub enum LogItem {
    Call(LoggedCall),
    Agent(AgentEvent),
}

impl LogItem {
    /// The time the item is ordered by (a call's arrival, an event's time).
    pub fn time_s(&self) -> f64 {
        match self {
            LogItem::Call(c) => c.arrival_s,
            LogItem::Agent(a) => a.time_s,
        }
    }

    pub fn line(&self) -> u64 {
        match self {
            LogItem::Call(c) => c.line,
            LogItem::Agent(a) => a.line,
        }
    }
}
