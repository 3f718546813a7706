//! Serde types mirroring the scenario file (DESIGN §5). Field names are a
//! contract: users' `--set` paths and scripts rely on them. New fields always
//! get a default so old files keep loading.

use serde::{de, Deserialize, Deserializer};

pub use crate::media::Codec;
use std::fmt;

fn default_interval_s() -> f64 {
    900.0
}
fn default_service_level_s() -> f64 {
    20.0
}
fn default_replications() -> u32 {
    10
}
fn one() -> f64 {
    1.0
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub seed: u64,
    #[serde(default = "default_replications")]
    pub replications: u32,
    pub duration_s: f64,
    #[serde(default)]
    pub warmup_s: f64,
    #[serde(default = "default_interval_s")]
    pub interval_s: f64,
    /// Answered within this many seconds counts towards `service_level`.
    #[serde(default = "default_service_level_s")]
    pub service_level_s: f64,
    /// Calls still in the system this long after `duration_s` are closed as
    /// `unfinished` (guards against scenarios where nobody ever answers).
    #[serde(default)]
    pub drain_s: Option<f64>,
    /// Path of a topology file, relative to the scenario file. With a
    /// topology, portals and servers sit on its nodes and calls get media
    /// quality (MOS) from their paths.
    #[serde(default)]
    pub topology: Option<String>,
    /// How media is carried and how failures are handled (needs a topology).
    #[serde(default)]
    pub network: Network,
    /// Timed failures and recoveries of links, nodes and servers.
    #[serde(default)]
    pub events: Vec<TimedEvent>,
    #[serde(default)]
    pub servers: Vec<Server>,
    pub portals: Vec<Portal>,
    #[serde(default)]
    pub checks: Vec<Check>,
}

/// Media through the media server, or straight between caller and agent
/// (signalling-only mode: the servers only see SIP).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
pub enum MediaPath {
    #[default]
    Relayed,
    Direct,
}

/// Statistical per-call media (default: a few random draws per call) or an
/// exact walk over every RTP packet (small runs; agrees within CIs).
pub use crate::media::MediaMode as MediaModel;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Network {
    #[serde(default)]
    pub media: MediaPath,
    #[serde(default)]
    pub media_model: MediaModel,
    /// Fixed jitter-buffer depth; packets later than this count as lost.
    #[serde(default = "default_jitter_buffer_ms")]
    pub jitter_buffer_ms: f64,
    /// Time to detect a failed link or node (BFD-like) before traffic moves
    /// to a loop-free alternate.
    #[serde(default = "default_detection_s")]
    pub detection_s: f64,
    /// Time for routing to reconverge when no alternate exists.
    #[serde(default = "default_reconvergence_s")]
    pub reconvergence_s: f64,
    /// A media gap longer than this drops the call (callers hang up on
    /// silence; RTP timeouts end it).
    #[serde(default = "default_drop_gap_s")]
    pub drop_gap_s: f64,
}

fn default_jitter_buffer_ms() -> f64 {
    60.0
}
/// Three missed BFD hellos at 50 ms.
fn default_detection_s() -> f64 {
    0.15
}
fn default_reconvergence_s() -> f64 {
    5.0
}
fn default_drop_gap_s() -> f64 {
    10.0
}

impl Default for Network {
    fn default() -> Self {
        Network {
            media: MediaPath::default(),
            media_model: MediaModel::default(),
            jitter_buffer_ms: default_jitter_buffer_ms(),
            detection_s: default_detection_s(),
            reconvergence_s: default_reconvergence_s(),
            drop_gap_s: default_drop_gap_s(),
        }
    }
}

/// A failure or recovery at a set time.
#[derive(Debug, Clone, Deserialize)]
pub enum TimedEvent {
    FailLink { a: String, b: String, at_s: f64 },
    RecoverLink { a: String, b: String, at_s: f64 },
    FailNode { node: String, at_s: f64 },
    RecoverNode { node: String, at_s: f64 },
    FailServer { server: String, at_s: f64 },
    RecoverServer { server: String, at_s: f64 },
}

impl TimedEvent {
    pub fn at_s(&self) -> f64 {
        match self {
            TimedEvent::FailLink { at_s, .. }
            | TimedEvent::RecoverLink { at_s, .. }
            | TimedEvent::FailNode { at_s, .. }
            | TimedEvent::RecoverNode { at_s, .. }
            | TimedEvent::FailServer { at_s, .. }
            | TimedEvent::RecoverServer { at_s, .. } => *at_s,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Currency {
    RUB,
    UAH,
    USD,
    EUR,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Server {
    pub name: String,
    #[serde(default)]
    pub max_calls: Option<u32>,
    /// New calls accepted per second (a fixed one-second window).
    #[serde(default)]
    pub max_cps: Option<u32>,
    /// `Sip` servers carry signalling (and admission limits); `Media`
    /// servers relay RTP.
    #[serde(default)]
    pub kind: ServerKind,
    /// Topology node the server sits on.
    #[serde(default)]
    pub node: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
pub enum ServerKind {
    #[default]
    Sip,
    Media,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Portal {
    pub name: String,
    #[serde(default = "default_currency")]
    pub currency: Currency,
    #[serde(default)]
    pub balance: f64,
    pub agents: Agents,
    #[serde(default)]
    pub queue: Queue,
    pub inbound: Traffic,
    #[serde(default)]
    pub agent: Agent,
    /// The SIP server that carries this portal's calls; `None` spreads them
    /// over all SIP servers (least loaded first).
    #[serde(default)]
    pub server: Option<String>,
    /// The media server that relays this portal's RTP; `None`: least loaded.
    #[serde(default)]
    pub media_server: Option<String>,
    /// Topology node of the portal's agents (their office).
    #[serde(default)]
    pub node: Option<String>,
    /// Topology node where the portal's callers enter (a PSTN gateway or a
    /// region); defaults to the agents' node.
    #[serde(default)]
    pub callers_node: Option<String>,
    #[serde(default = "default_codec")]
    pub codec: Codec,
    /// Agents whose phone negotiates another codec than the portal's
    /// (`{"olena": G729}`), e.g. a softphone on a thin uplink.
    #[serde(default)]
    pub agent_codecs: std::collections::BTreeMap<String, Codec>,
}

fn default_codec() -> Codec {
    Codec::G711
}

fn default_currency() -> Currency {
    Currency::RUB
}

/// `agents: 50` or `agents: ["ivan", "olga"]`.
#[derive(Debug, Clone, PartialEq)]
pub enum Agents {
    Count(i64),
    Named(Vec<String>),
}

impl<'de> Deserialize<'de> for Agents {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = Agents;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number of agents or a list of agent names")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Agents, E> {
                Ok(Agents::Count(v.min(i64::MAX as u64) as i64))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Agents, E> {
                Ok(Agents::Count(v))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Agents, A::Error> {
                let mut names = Vec::new();
                while let Some(n) = seq.next_element::<String>()? {
                    names.push(n);
                }
                Ok(Agents::Named(names))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Policy {
    /// Round-robin with memory: start after the agent who took the last call.
    Evenly,
    /// Always in the listed order.
    Strictly,
    /// Ring every free agent at once; the first to answer wins.
    All,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub enum NoAnswer {
    Voicemail,
    Forward(String),
    Hangup,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Queue {
    #[serde(default = "default_policy")]
    pub policy: Policy,
    #[serde(default = "default_ring_time_s")]
    pub ring_time_s: f64,
    #[serde(default)]
    pub max_wait_s: Option<f64>,
    #[serde(default = "default_no_answer")]
    pub no_answer: NoAnswer,
}

fn default_policy() -> Policy {
    Policy::Evenly
}
/// The provider's call log shows 3 s per agent as the usual setting.
fn default_ring_time_s() -> f64 {
    3.0
}
fn default_no_answer() -> NoAnswer {
    NoAnswer::Voicemail
}

impl Default for Queue {
    fn default() -> Self {
        Queue {
            policy: default_policy(),
            ring_time_s: default_ring_time_s(),
            max_wait_s: None,
            no_answer: default_no_answer(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Traffic {
    pub arrivals: Arrivals,
    pub talk_s: Dist,
    #[serde(default)]
    pub patience_s: Option<Dist>,
}

#[derive(Debug, Clone, Deserialize)]
pub enum Arrivals {
    /// Homogeneous Poisson process.
    Poisson { per_hour: f64 },
    /// Non-homogeneous Poisson process with a piecewise-constant rate that
    /// repeats every day: `steps` are `(hour_of_day, per_hour)` pairs, the
    /// first at hour 0, hours increasing; `scale` multiplies every rate.
    Profile {
        steps: Vec<(f64, f64)>,
        #[serde(default = "one")]
        scale: f64,
    },
}

#[derive(Debug, Clone, Deserialize)]
pub enum Dist {
    Const(f64),
    Exp { mean: f64 },
    Uniform { min: f64, max: f64 },
    LogNormal { mean: f64, sd: f64 },
    Gamma { shape: f64, mean: f64 },
    Erlang { k: u32, mean: f64 },
    Weibull { shape: f64, scale: f64 },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agent {
    #[serde(default = "one")]
    pub answer_prob: f64,
    #[serde(default = "zero_dist")]
    pub answer_delay_s: Dist,
    #[serde(default = "zero_dist")]
    pub wrapup_s: Dist,
}

fn zero_dist() -> Dist {
    Dist::Const(0.0)
}

impl Default for Agent {
    fn default() -> Self {
        Agent {
            answer_prob: 1.0,
            answer_delay_s: zero_dist(),
            wrapup_s: zero_dist(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    #[serde(default = "default_scope")]
    pub scope: String,
    pub metric: String,
    #[serde(default)]
    pub max: Option<f64>,
    #[serde(default)]
    pub min: Option<f64>,
}

fn default_scope() -> String {
    "platform".to_string()
}
