//! The checked, indexed model that validation produces from a scenario file.
//! Every number here has been range-checked and every name resolved to an
//! index, so the event loop never has to look anything up by name or fail.

use petgraph::graph::{EdgeIndex, NodeIndex};

use crate::engine::{Sampler, SimTime};
use crate::money::{AlertRule, Calendar, Minor, Rate};
use crate::scenario::types::{AfterHours, Fallback};

pub use super::controller::{ControllerSpec, RolloutSpec};
use crate::media::Codec;
use crate::network::Topology;
use crate::scenario::types::{Currency, MediaModel, MediaPath, Policy, ServerKind};
use crate::stats::Metric;

#[derive(Debug, Clone)]
pub struct Model {
    pub name: String,
    pub seed: u64,
    pub replications: u32,
    pub duration: SimTime,
    pub warmup: SimTime,
    pub interval: SimTime,
    pub service_level: SimTime,
    /// How long after `duration` calls may still finish before being closed
    /// as `unfinished`.
    pub drain: SimTime,
    pub servers: Vec<ServerSpec>,
    pub portals: Vec<PortalSpec>,
    pub checks: Vec<CheckSpec>,
    /// Present when the scenario names a topology.
    pub network: Option<NetworkSpec>,
    /// Timed failures and recoveries, in time order (ties: file order).
    pub events: Vec<(SimTime, NetEvent)>,
    /// The broker, when modelled.
    pub controller: Option<ControllerSpec>,
}

impl Model {
    /// Whether any balance can move (calls billed, rent, top-ups): only then
    /// do balances belong in the interval rows.
    pub fn has_money(&self) -> bool {
        self.portals.iter().any(|p| {
            p.outbound.is_some()
                || !p.money.inbound.is_free()
                || p.money.monthly_fee > 0
                || p.money.topup.is_some()
        })
    }

    pub fn total_agents(&self) -> usize {
        self.portals.iter().map(|p| p.agent_names.len()).sum()
    }
}

#[derive(Debug, Clone)]
pub struct ServerSpec {
    pub name: String,
    pub kind: ServerKind,
    pub max_calls: Option<u32>,
    pub max_cps: Option<u32>,
    /// Topology node (only with a topology).
    pub node: Option<NodeIndex>,
    pub max_registers_per_s: Option<u32>,
}

/// The network side of a scenario with a topology.
#[derive(Debug, Clone)]
pub struct NetworkSpec {
    pub topology: Topology,
    pub media: MediaPath,
    pub media_model: MediaModel,
    pub jitter_buffer_ms: f64,
    pub detection: SimTime,
    pub reconvergence: SimTime,
    pub drop_gap: SimTime,
    /// IP bandwidth of one direction of a call per codec (by `Codec as
    /// usize`), kbit/s, rounded: worked out once, used per call.
    pub codec_kbps: [u32; 4],
}

/// A failure or recovery, resolved to indices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetEvent {
    FailLink(EdgeIndex),
    RecoverLink(EdgeIndex),
    FailNode(NodeIndex),
    RecoverNode(NodeIndex),
    FailServer(u16),
    RecoverServer(u16),
}

#[derive(Debug, Clone, PartialEq)]
pub enum NoAnswerRule {
    Voicemail,
    Forward(String),
    Hangup,
}

#[derive(Debug, Clone)]
pub enum ArrivalSpec {
    Poisson {
        per_s: f64,
    },
    /// Piecewise-constant daily profile: `starts_s[i]` (second of the day,
    /// first is 0) opens a segment with rate `per_s[i]`.
    Profile {
        starts_s: Vec<f64>,
        per_s: Vec<f64>,
    },
}

impl ArrivalSpec {
    /// Mean arrival rate over a day (calls per second).
    pub fn mean_per_s(&self) -> f64 {
        match self {
            ArrivalSpec::Poisson { per_s } => *per_s,
            ArrivalSpec::Profile { starts_s, per_s } => {
                let mut total = 0.0;
                for i in 0..starts_s.len() {
                    let end = starts_s.get(i + 1).copied().unwrap_or(86_400.0);
                    total += per_s[i] * (end - starts_s[i]);
                }
                total / 86_400.0
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct PortalSpec {
    pub name: String,
    pub currency: Currency,
    pub balance: f64,
    pub agent_names: Vec<String>,
    pub policy: Policy,
    pub ring_time: SimTime,
    pub max_wait: Option<SimTime>,
    pub no_answer: NoAnswerRule,
    pub arrivals: ArrivalSpec,
    pub talk: Sampler,
    pub patience: Option<Sampler>,
    pub patience_from: crate::scenario::types::PatienceFrom,
    pub answer_prob: f64,
    pub answer_delay: Sampler,
    pub wrapup: Sampler,
    /// SIP servers that may carry this portal's calls (empty: not limited).
    pub servers: Vec<u16>,
    /// Media servers that may relay its RTP (empty: none, or direct media).
    pub media_servers: Vec<u16>,
    pub codec: Codec,
    /// Global index of the portal's first agent (agents of all portals are
    /// numbered in file order).
    pub first_agent: u32,
    /// Codec per agent (local index): the portal's unless overridden.
    pub agent_codecs: Vec<Codec>,
    /// Agents' node and callers' node (only with a topology).
    pub node: Option<NodeIndex>,
    pub callers_node: Option<NodeIndex>,
    /// Entity number of the portal's random streams (shared by portals with
    /// the same `random_stream` key).
    pub stream: u64,
    /// The steps of an incoming call before the queue.
    pub steps: StepsSpec,
    pub outbound: Option<OutboundSpec>,
    pub money: MoneySpec,
    pub transfers: Option<TransfersSpec>,
    pub devices: Option<DevicesSpec>,
    /// Several queues with skilled agents; `None`: the one queue of all.
    pub queues: Option<Box<super::spec_routing::QueuesSpec>>,
}

#[derive(Debug, Clone)]
pub struct DevicesSpec {
    /// Local indices of the agents on SIP phones, with their SIP server.
    pub phones: Vec<(u32, u16)>,
    pub expires: SimTime,
    pub retry: Sampler,
}

#[derive(Debug, Clone)]
pub struct TransfersSpec {
    pub share: f64,
    pub attended_share: f64,
    pub after: Sampler,
    pub consult: Sampler,
    pub target_talk: Sampler,
}

/// The provider's incoming call scenario before the queue (DESIGN §1).
#[derive(Debug, Clone)]
pub struct StepsSpec {
    /// Opening hours in the portal's time zone (always open without a
    /// worktime); also when agents dial out and owners pay.
    pub calendar: Calendar,
    /// What after-hours callers get, when a worktime is set.
    pub after_hours: Option<(AfterHours, Sampler)>,
    pub blacklist_share: f64,
    pub greeting: Option<Sampler>,
    /// Extension codes: listening time, share dialling one, fallback.
    pub extensions: Option<(Sampler, f64, Fallback)>,
    /// CRM: share of known callers, fallback.
    pub crm: Option<(f64, Fallback)>,
}

impl StepsSpec {
    /// Nothing before the queue: calls go straight in (the foundation's
    /// model, and what the theory tests need).
    pub fn none(&self) -> bool {
        self.after_hours.is_none()
            && self.blacklist_share == 0.0
            && self.greeting.is_none()
            && self.extensions.is_none()
            && self.crm.is_none()
    }
}

#[derive(Debug, Clone)]
pub struct OutboundSpec {
    /// Calls per second per agent during worktime.
    pub per_agent_s: f64,
    pub talk: Sampler,
    pub answer_prob: f64,
    pub ring: Sampler,
    pub destinations: Vec<DestinationSpec>,
    /// Cumulative shares, last = 1.
    pub cumulative: Vec<f64>,
    pub via_pbx: bool,
}

/// A destination with everything worked out at validation, so that placing
/// a call costs one draw.
#[derive(Debug, Clone)]
pub struct DestinationSpec {
    /// As the agent typed it.
    pub dialled: String,
    /// Normalised international digits.
    pub digits: String,
    /// As sent to the trunk.
    pub sent: String,
    /// The tariff prefix that matched and its rate.
    pub prefix: String,
    pub rate: Rate,
}

#[derive(Debug, Clone)]
pub struct MoneySpec {
    pub start: Minor,
    pub inbound: Rate,
    /// Number rent per 30 days.
    pub monthly_fee: Minor,
    pub cut_on_zero: bool,
    pub alert: Option<AlertRule>,
    pub alert_repeat: Option<SimTime>,
    pub topup: Option<TopUpSpec>,
}

#[derive(Debug, Clone)]
pub struct TopUpSpec {
    /// Hours.
    pub delay_h: Sampler,
    pub amount: TopUpRule,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TopUpRule {
    Fixed(Minor),
    Cover { days: f64, min: Minor },
}

impl PortalSpec {
    /// Offered load in Erlangs (mean arrival rate × mean talk time).
    pub fn offered_erlangs(&self) -> f64 {
        self.arrivals.mean_per_s() * self.talk.mean()
    }
}

/// What a check or a summary row is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Platform,
    Portal(u16),
}

#[derive(Debug, Clone)]
pub struct CheckSpec {
    pub scope: Scope,
    pub scope_name: String,
    pub metric: Metric,
    pub max: Option<f64>,
    pub min: Option<f64>,
}
