use crate::engine::SimTime;

/// How a call ended. The snake_case names are the `outcome` column of
/// `calls.csv` (a contract: extend, never rename).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    Answered,
    Abandoned,
    Blocked,
    Voicemail,
    Forwarded,
    /// The queue's no-answer rule `Hangup`: the platform ended the call.
    NoAnswer,
    /// Still in the system when the drain limit after `duration_s` expired.
    Unfinished,
    /// Cut by a failure: its server failed, or its media was lost for longer
    /// than `network.drop_gap_s`.
    Dropped,
    /// Signalling never completed: the INVITE timed out (64·T1), or the
    /// controller did not answer a look-up within its timeout.
    Failed,
    /// Outbound call refused: the portal's balance is zero or below.
    RejectedBalance,
    /// The caller is on the portal's blacklist.
    Blacklisted,
    /// Arrived outside working hours and heard the after-hours message.
    AfterHours,
    /// Outbound call cut when the portal's credit ran out (`cut_on_zero`).
    CreditEnded,
}

impl Outcome {
    pub const ALL: [Outcome; 13] = [
        Outcome::Answered,
        Outcome::Abandoned,
        Outcome::Blocked,
        Outcome::Voicemail,
        Outcome::Forwarded,
        Outcome::NoAnswer,
        Outcome::Unfinished,
        Outcome::Dropped,
        Outcome::Failed,
        Outcome::RejectedBalance,
        Outcome::Blacklisted,
        Outcome::AfterHours,
        Outcome::CreditEnded,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Answered => "answered",
            Outcome::Abandoned => "abandoned",
            Outcome::Blocked => "blocked",
            Outcome::Voicemail => "voicemail",
            Outcome::Forwarded => "forwarded",
            Outcome::NoAnswer => "no_answer",
            Outcome::Unfinished => "unfinished",
            Outcome::Dropped => "dropped",
            Outcome::Failed => "failed",
            Outcome::RejectedBalance => "rejected_balance",
            Outcome::Blacklisted => "blacklisted",
            Outcome::AfterHours => "after_hours",
            Outcome::CreditEnded => "credit_ended",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// Where a caller was in the platform when they hung up unanswered: the
/// `abandoned_in` column of `calls.csv` (snake_case names, a contract).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Place {
    /// Before the greeting: settings look-up, provisioning, upgrade.
    Setup,
    /// Listening to the greeting.
    Greeting,
    /// Listening for an extension code after the greeting.
    Extension,
    /// An agent was ringing (a targeted ring or one from the queue).
    Ringing,
    /// Waiting in the queue.
    Queue,
}

impl Place {
    pub const ALL: [Place; 5] = [
        Place::Setup,
        Place::Greeting,
        Place::Extension,
        Place::Ringing,
        Place::Queue,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Place::Setup => "setup",
            Place::Greeting => "greeting",
            Place::Extension => "extension",
            Place::Ringing => "ringing",
            Place::Queue => "queue",
        }
    }
}

/// Why a transfer the agent meant to make did not happen: the
/// `transfer_failed` column of `calls.csv` (snake_case names, a contract).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum XferFail {
    /// The conversation ended before the transfer was due (`after_s`
    /// drawn at least as long as the talk).
    ShortTalk,
    /// No agent of the portal was free to take the caller.
    NoFreeAgent,
    /// The target did not answer within the ring time (attended: back to
    /// the transferor; blind: the target's voicemail).
    NoAnswer,
}

impl XferFail {
    pub const ALL: [XferFail; 3] = [
        XferFail::ShortTalk,
        XferFail::NoFreeAgent,
        XferFail::NoAnswer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            XferFail::ShortTalk => "short_talk",
            XferFail::NoFreeAgent => "no_free_agent",
            XferFail::NoAnswer => "no_answer",
        }
    }
}

/// What the caller heard, for calls with media on a topology.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MediaRecord {
    /// Negotiated codec (the agent's, else the portal's).
    pub codec: crate::media::Codec,
    /// RTP packets the caller sent and received (the "251 packets received,
    /// 248 sent" of a call server's log).
    pub rtp_sent: u64,
    pub rtp_received: u64,
    /// Packets lost for quality (network loss, late arrivals, media gaps),
    /// percent of those sent towards the caller.
    pub loss_pct: f64,
    /// RFC 3550 interarrival jitter at the caller, ms.
    pub jitter_ms: f64,
    /// Mouth-to-ear delay, ms.
    pub delay_ms: f64,
    /// E-model MOS of what the caller heard.
    pub mos: f64,
    /// Total time media was interrupted by failures.
    pub media_gap: SimTime,
}

/// One finished call, as the platform hands it to statistics and writers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CallRecord {
    /// Sequential per replication, in order of arrival.
    pub call_id: u64,
    pub portal: u16,
    pub arrival: SimTime,
    pub answer: Option<SimTime>,
    pub end: SimTime,
    /// Time in the queue (arrival to answer, or to leaving unanswered);
    /// `None` for calls that never reached the queue (blocked).
    pub wait: Option<SimTime>,
    /// The caller waited in the line for a free agent (a wait that is only
    /// ringing does not count): the numerator of `p_wait`.
    pub lined: bool,
    pub outcome: Outcome,
    /// Global agent index (see `Platform::agent_name`).
    pub agent: Option<u32>,
    pub server: Option<u16>,
    pub media_server: Option<u16>,
    /// Post-dial delay (INVITE to 180), with a topology.
    pub pdd: Option<SimTime>,
    pub media: Option<MediaRecord>,
    pub direction: super::call::Direction,
    /// Time in the scenario steps before waiting for an agent (settings
    /// look-up, greeting, extension code…).
    pub steps: SimTime,
    /// Outbound: index of the destination dialled.
    pub destination: Option<u32>,
    /// What the call cost the portal, minor units of its currency.
    pub charge: crate::money::Minor,
    /// The transfer, when the call was transferred.
    pub transfer: Option<TransferRecord>,
    /// Abandoned calls: where the caller hung up.
    pub abandoned_in: Option<Place>,
    /// A transfer drawn for this call that could not happen, and why.
    pub transfer_failed: Option<XferFail>,
}

/// Talk accounted per leg of a transferred call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TransferRecord {
    pub kind: super::call::XferKind,
    /// Target agent (global index).
    pub to: u32,
    /// Caller with the first agent, until the transfer started.
    pub leg1: SimTime,
    /// First agent with the target while the caller held (attended).
    pub consult: SimTime,
    /// Caller with the target after `TransferComplete`.
    pub leg3: SimTime,
}

impl CallRecord {
    /// An inbound call with only the fields unit tests care about; the rest
    /// (servers, media, money, transfer) empty.
    #[cfg(test)]
    pub(crate) fn bare(
        call_id: u64,
        arrival: SimTime,
        answer: Option<SimTime>,
        end: SimTime,
        wait: Option<SimTime>,
        outcome: Outcome,
    ) -> CallRecord {
        CallRecord {
            call_id,
            portal: 0,
            arrival,
            answer,
            end,
            wait,
            lined: wait.is_some_and(|w| w > SimTime::ZERO),
            outcome,
            agent: None,
            server: None,
            media_server: None,
            pdd: None,
            media: None,
            direction: super::call::Direction::Inbound,
            steps: SimTime::ZERO,
            destination: None,
            charge: 0,
            transfer: None,
            abandoned_in: None,
            transfer_failed: None,
        }
    }

    pub fn talk(&self) -> Option<SimTime> {
        self.answer.map(|a| self.end - a)
    }
}

/// Where finished calls go. Generic (not a trait object) so the per-call path
/// is monomorphised and inlined.
pub trait RecordSink {
    fn call_finished(&mut self, record: &CallRecord);
}

/// Discards records (benchmarks, `check`).
impl RecordSink for () {
    fn call_finished(&mut self, _: &CallRecord) {}
}

/// Collects records (tests).
impl RecordSink for Vec<CallRecord> {
    fn call_finished(&mut self, record: &CallRecord) {
        self.push(*record);
    }
}
