//! The per-call log (`--trace CALL_ID`, `--trace-portal NAME`): what a
//! support engineer reads in the provider's logs — settings loaded,
//! worktime verdict, greeting, invites, connection, hang-up with its code —
//! one timestamped line per step, for the selected calls only. Costs one
//! branch per step when off.

use crate::engine::SimTime;
use crate::model::call::Direction;
use crate::model::event::CallRef;
use crate::model::record::{CallRecord, Outcome, RecordSink};

use super::Platform;

/// Which calls to log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TraceFilter {
    pub call: Option<u64>,
    pub portal: Option<u16>,
}

/// Log lines are kept in memory up to this many (a busy portal over a long
/// run would otherwise grow without bound); the log says when it stopped.
const MAX_LINES: usize = 1_000_000;

pub(super) struct Tracer {
    filter: TraceFilter,
    /// `(time, sequence, line)`: controller answers are logged when asked
    /// for, with the future time they arrive, so lines are sorted at the end.
    lines: Vec<(SimTime, u64, String)>,
    truncated: bool,
}

impl Tracer {
    pub(super) fn new(filter: TraceFilter) -> Self {
        Tracer {
            filter,
            lines: Vec::new(),
            truncated: false,
        }
    }

    pub(super) fn wants(&self, call_id: u64, portal: u16) -> bool {
        self.filter.call.is_none_or(|c| c == call_id)
            && self.filter.portal.is_none_or(|p| p == portal)
    }

    fn push(&mut self, at: SimTime, line: String) {
        if self.lines.len() >= MAX_LINES {
            self.truncated = true;
            return;
        }
        let seq = self.lines.len() as u64;
        self.lines.push((at, seq, line));
    }

    /// The log in time order.
    pub(super) fn finish(mut self) -> Vec<String> {
        self.lines.sort_by_key(|(t, s, _)| (*t, *s));
        let mut out: Vec<String> = self.lines.into_iter().map(|(_, _, l)| l).collect();
        if self.truncated {
            out.push(format!("… log truncated at {MAX_LINES} lines"));
        }
        out
    }
}

/// `d1 08:15:02.120` (simulated day and UTC time of day) then seconds.
fn stamp(t: SimTime) -> String {
    let us = t.micros();
    let s = us / 1_000_000;
    format!(
        "d{} {:02}:{:02}:{:02}.{:03} [{:>12}]",
        s / 86_400,
        s % 86_400 / 3600,
        s % 3600 / 60,
        s % 60,
        us % 1_000_000 / 1000,
        t.to_string()
    )
}

/// The SIP status a support engineer would see for each outcome.
fn sip_code(o: Outcome) -> &'static str {
    match o {
        Outcome::Answered => "BYE after 200 OK",
        Outcome::Abandoned => "CANCEL, 487 Request Terminated (caller hung up)",
        Outcome::Blocked => "503 Service Unavailable",
        Outcome::Voicemail => "200 OK (voicemail)",
        Outcome::Forwarded => "302 Moved Temporarily (forwarded)",
        Outcome::NoAnswer => "480 Temporarily Unavailable",
        Outcome::Unfinished => "still up at the drain limit",
        Outcome::Dropped => "BYE (media lost / server failure)",
        Outcome::Failed => "408 Request Timeout",
        Outcome::RejectedBalance => "402 Payment Required",
        Outcome::Blacklisted => "603 Decline (blacklist)",
        Outcome::AfterHours => "200 OK (after-hours message)",
        Outcome::CreditEnded => "BYE (credit ended)",
    }
}

impl<S: RecordSink> Platform<'_, S> {
    fn trace_line(&mut self, at: SimTime, c: CallRef, text: impl FnOnce() -> String) {
        let Some(t) = &self.trace else {
            return;
        };
        let Some(call) = self.calls.get(c) else {
            return;
        };
        if !t.wants(call.id, call.portal) {
            return;
        }
        let line = format!(
            "{} call {} {}: {}",
            stamp(at),
            call.id,
            self.m.portals[call.portal as usize].name,
            text()
        );
        self.trace.as_mut().expect("checked").push(at, line);
    }

    /// Logs a step of call `c` now.
    pub(super) fn trace_call(&mut self, now: SimTime, c: CallRef, text: impl FnOnce() -> String) {
        if self.trace.is_some() {
            self.trace_line(now, c, text);
        }
    }

    /// Logs something that will happen at `at` (a controller's answer).
    pub(super) fn trace_at(&mut self, at: SimTime, c: CallRef, text: impl FnOnce() -> String) {
        if self.trace.is_some() {
            self.trace_line(at, c, text);
        }
    }

    pub(super) fn trace_arrival(&mut self, now: SimTime, c: CallRef, pdd: Option<SimTime>) {
        let Some(call) = self.calls.get(c).copied() else {
            return;
        };
        let m = self.m;
        let server = call
            .server
            .map(|s| format!(" via {}", m.servers[s as usize].name))
            .unwrap_or_default();
        let pdd = pdd
            .map(|d| {
                format!(
                    ", 180 Ringing to the caller after {:.0} ms",
                    d.as_secs_f64() * 1000.0
                )
            })
            .unwrap_or_default();
        self.trace_call(now, c, || format!("incoming call (INVITE){server}{pdd}"));
    }

    /// The last line restates the call's row of calls.csv.
    pub(super) fn trace_end(&mut self, r: &CallRecord) {
        let Some(t) = self.trace.as_mut() else {
            return;
        };
        if !t.wants(r.call_id, r.portal) {
            return;
        }
        let spec = &self.m.portals[r.portal as usize];
        let agent = r
            .agent
            .map(|a| {
                format!(
                    ", agent {}",
                    spec.agent_names[(a - spec.first_agent) as usize]
                )
            })
            .unwrap_or_default();
        let wait = r.wait.map(|w| format!(", wait {w} s")).unwrap_or_default();
        let talk = r
            .talk()
            .map(|x| format!(", talk {x} s"))
            .unwrap_or_default();
        let charge = if r.charge != 0 {
            format!(
                ", charged {} {:?}",
                crate::money::format_minor(r.charge),
                spec.currency
            )
        } else {
            String::new()
        };
        let dir = if r.direction == Direction::Outbound {
            "outbound "
        } else {
            ""
        };
        let line = format!(
            "{} call {} {}: hangup ({}): {dir}outcome {}{wait}{talk}{agent}{charge}",
            stamp(r.end),
            r.call_id,
            spec.name,
            sip_code(r.outcome),
            r.outcome.as_str(),
        );
        t.push(r.end, line);
    }

    pub(super) fn take_trace(&mut self) -> Vec<String> {
        self.trace.take().map(Tracer::finish).unwrap_or_default()
    }
}
