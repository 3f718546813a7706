//! Serde types mirroring the scenario file (reference: docs/scenario.md). Field names are a
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
    /// The broker portals talk to (provisioning, settings look-ups, call
    /// stats, balance, call-scenario versions). `None`: not modelled —
    /// every answer is instant.
    #[serde(default)]
    pub controller: Option<Controller>,
    /// Weekday of day 0 (simulated time 0 is its midnight, UTC).
    #[serde(default = "default_weekday")]
    pub start_weekday: Weekday,
}

fn default_weekday() -> Weekday {
    Weekday::Mon
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
// Unknown fields of a variant are named as such, not reported as a
// missing field.
#[serde(deny_unknown_fields)]
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
    /// REGISTER requests processed per second (a fixed one-second window);
    /// beyond it they are refused with 503 and phones retry.
    #[serde(default)]
    pub max_registers_per_s: Option<u32>,
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
    /// This many identical portals named `name-1`, `name-2`, … (a thousand
    /// small shops without a thousand entries). Each has its own random
    /// streams.
    #[serde(default)]
    pub copies: Option<u32>,
    /// Portals with the same key draw the same random numbers (common random
    /// numbers): the same traffic under two policies, told apart by the
    /// policy alone.
    #[serde(default)]
    pub random_stream: Option<String>,
    /// Country calling code for national numbers (`7`, `380`, `1`, `49`…);
    /// default from the currency (RUB 7, UAH 380, USD 1, EUR 49).
    #[serde(default)]
    pub country: Option<String>,
    /// Hours east of UTC of the portal's clock (worktime, top-ups).
    #[serde(default)]
    pub timezone_h: f64,
    /// Opening hours; `None`: always open.
    #[serde(default)]
    pub worktime: Option<Worktime>,
    /// Share of incoming callers on the portal's blacklist (rejected at once).
    #[serde(default)]
    pub blacklist_share: f64,
    /// Welcome melody / greeting played before the queue.
    #[serde(default)]
    pub greeting_s: Option<Dist>,
    /// Direct extension codes: callers may dial an agent's code after the
    /// greeting.
    #[serde(default)]
    pub extensions: Option<Extensions>,
    /// CRM rule: a known caller goes to the responsible agent first.
    #[serde(default)]
    pub crm: Option<Crm>,
    /// Calls placed by the portal's agents.
    #[serde(default)]
    pub outbound: Option<Outbound>,
    /// Price per minute by destination prefix (longest match).
    #[serde(default)]
    pub tariffs: Vec<Tariff>,
    /// Price of answered incoming calls per minute (inbound is free unless set).
    #[serde(default)]
    pub inbound_per_min: f64,
    /// Rented numbers and their monthly fee each (charged every 30 days from
    /// the start).
    #[serde(default)]
    pub numbers: u32,
    #[serde(default)]
    pub number_fee_month: f64,
    /// Cut a running outbound call when its credit ends.
    #[serde(default)]
    pub cut_on_zero: bool,
    /// Low-balance warning rule; `None`: no alerts.
    #[serde(default)]
    pub alert: Option<AlertRuleSpec>,
    /// While the balance stays below the threshold, remind every this many
    /// hours; `None`: one alert per episode.
    #[serde(default = "default_alert_repeat_h")]
    pub alert_repeat_h: Option<f64>,
    /// How the portal owner tops up; `None`: never.
    #[serde(default)]
    pub topup: Option<TopUp>,
    /// A share of answered incoming calls is transferred to another agent.
    #[serde(default)]
    pub transfers: Option<Transfers>,
    /// Agents' devices: SIP phones that register with a SIP server, or
    /// browsers (WebRTC, signalling through the controller's WebSocket side).
    #[serde(default)]
    pub devices: Option<Devices>,
    /// Several queues (groups) with skilled agents; empty: the portal's one
    /// `queue` of all its agents, as before.
    #[serde(default)]
    pub queues: Vec<QueueDef>,
    /// Inbound numbers, each with its own traffic, routed to a queue; empty:
    /// `inbound` feeds the first queue.
    #[serde(default)]
    pub lines: Vec<Line>,
    /// Call classes with a priority inside a queue (non-preemptive); a call
    /// of no listed class is `normal`, priority 0 (the lowest).
    #[serde(default)]
    pub classes: Vec<CallClass>,
    /// Which waiting call a freed agent takes across its queues.
    #[serde(default)]
    pub router: RouterPolicy,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Devices {
    /// Share of agents on SIP phones (desk phones, softphones); the rest are
    /// on browsers, always reachable.
    pub sip_phones: f64,
    /// Registration lifetime; phones re-register at 90% of it.
    #[serde(default = "default_expires_s")]
    pub expires_s: f64,
    /// After a refused REGISTER, phones retry after a delay drawn from this.
    #[serde(default = "default_register_retry_s")]
    pub retry_s: Dist,
}

fn default_expires_s() -> f64 {
    3600.0
}
fn default_register_retry_s() -> Dist {
    Dist::Uniform {
        min: 30.0,
        max: 90.0,
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transfers {
    /// Share of answered incoming calls the agent transfers.
    pub share: f64,
    /// Of those, the share transferred attended (consult first); the rest
    /// blind.
    #[serde(default = "half")]
    pub attended_share: f64,
    /// Talk with the first agent before the transfer starts.
    #[serde(default = "default_before_s")]
    pub after_s: Dist,
    /// Attended: how long the agents talk while the caller holds.
    #[serde(default = "default_consult_s")]
    pub consult_s: Dist,
    /// Talk of the caller with the target.
    #[serde(default = "default_target_talk_s")]
    pub target_talk_s: Dist,
}

fn half() -> f64 {
    0.5
}
fn default_before_s() -> Dist {
    Dist::Exp { mean: 45.0 }
}
fn default_consult_s() -> Dist {
    Dist::Exp { mean: 20.0 }
}
fn default_target_talk_s() -> Dist {
    Dist::Exp { mean: 120.0 }
}

fn default_alert_repeat_h() -> Option<f64> {
    Some(24.0)
}

pub use crate::money::Weekday;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Worktime {
    #[serde(default = "weekdays")]
    pub days: Vec<Weekday>,
    #[serde(default = "default_open_h")]
    pub open_h: f64,
    #[serde(default = "default_close_h")]
    pub close_h: f64,
    /// Local day numbers (day 0 = the first simulated day) that are closed.
    #[serde(default)]
    pub holidays: Vec<u32>,
    /// What callers get after hours.
    #[serde(default)]
    pub after_hours: AfterHours,
    /// Length of the after-hours message or voicemail.
    #[serde(default = "default_after_hours_s")]
    pub after_hours_s: Dist,
}

fn weekdays() -> Vec<Weekday> {
    vec![
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
    ]
}
fn default_open_h() -> f64 {
    9.0
}
fn default_close_h() -> f64 {
    18.0
}
fn default_after_hours_s() -> Dist {
    Dist::Const(15.0)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
pub enum AfterHours {
    /// A recorded message, then hang-up: outcome `after_hours`.
    #[default]
    Message,
    /// The caller may leave a voicemail: outcome `voicemail`.
    Voicemail,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Extensions {
    /// Time every caller spends listening for a code after the greeting
    /// (the provider's log shows about 2 s).
    #[serde(default = "default_listen_s")]
    pub listen_s: Dist,
    /// Share of callers who dial an agent's code.
    #[serde(default)]
    pub share: f64,
    /// When the dialled agent is busy or does not answer.
    #[serde(default)]
    pub fallback: Fallback,
}

fn default_listen_s() -> Dist {
    Dist::Const(2.0)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Crm {
    /// Share of callers the CRM knows (each has a responsible agent).
    pub known_share: f64,
    /// When the responsible agent is busy or does not answer.
    #[serde(default = "queue_fallback")]
    pub fallback: Fallback,
}

fn queue_fallback() -> Fallback {
    Fallback::Queue
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
pub enum Fallback {
    #[default]
    Voicemail,
    Queue,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outbound {
    /// Calls each agent places per hour of worktime (only free agents dial).
    pub per_agent_per_hour: f64,
    pub talk_s: Dist,
    /// Share of outbound calls the other side answers.
    #[serde(default = "default_outbound_answer")]
    pub answer_prob: f64,
    /// Ringing before the other side answers or the agent gives up.
    #[serde(default = "default_outbound_ring")]
    pub ring_s: Dist,
    /// Numbers dialled, as agents type them, with their shares.
    pub destinations: Vec<Destination>,
    /// How numbers are written towards the trunk.
    #[serde(default = "default_trunk")]
    pub trunk: crate::numbering::TrunkFormat,
    /// Calls leave through the portal's own PBX (SIP connector) rather than
    /// the platform's SIP servers: no server capacity is used.
    #[serde(default)]
    pub via_pbx: bool,
}

fn default_trunk() -> crate::numbering::TrunkFormat {
    crate::numbering::TrunkFormat::International
}

fn default_outbound_answer() -> f64 {
    0.7
}
fn default_outbound_ring() -> Dist {
    Dist::Uniform {
        min: 5.0,
        max: 20.0,
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Destination {
    pub number: String,
    #[serde(default = "one")]
    pub share: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tariff {
    /// International digits the destination starts with (`""` matches all).
    pub prefix: String,
    pub per_min: f64,
    #[serde(default = "default_increment_s")]
    pub increment_s: u32,
    #[serde(default)]
    pub connection: f64,
}

fn default_increment_s() -> u32 {
    60
}

#[derive(Debug, Clone, Deserialize)]
// Unknown fields of a variant are named as such, not reported as a
// missing field.
#[serde(deny_unknown_fields)]
pub enum AlertRuleSpec {
    Fixed {
        threshold: f64,
    },
    Adaptive {
        days_of_cover: f64,
        #[serde(default = "default_window_days")]
        window_days: u32,
    },
}

fn default_window_days() -> u32 {
    7
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopUp {
    /// From the alert (or the balance running out, whichever comes first) to
    /// the payment; moved to the next working moment of the portal.
    pub delay_h: Dist,
    pub amount: TopUpAmount,
}

#[derive(Debug, Clone, Deserialize)]
// Unknown fields of a variant are named as such, not reported as a
// missing field.
#[serde(deny_unknown_fields)]
pub enum TopUpAmount {
    /// The same sum every time.
    Fixed(f64),
    /// Enough for this many working days at the trailing 7-day spending,
    /// and at least `min`.
    Cover { days: f64, min: f64 },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Controller {
    #[serde(default = "default_workers")]
    pub workers: u32,
    #[serde(default = "default_lookup_s")]
    pub lookup_s: Dist,
    #[serde(default = "default_provision_s")]
    pub provision_s: Dist,
    #[serde(default = "default_stats_s")]
    pub stats_s: Dist,
    #[serde(default = "default_balance_s")]
    pub balance_s: Dist,
    #[serde(default = "default_upgrade_s")]
    pub upgrade_s: Dist,
    /// Clients give up after this long without an answer.
    #[serde(default = "default_ctrl_timeout_s")]
    pub timeout_s: f64,
    /// SIP servers keep a portal's settings this long; `None`: no cache.
    #[serde(default = "default_cache_ttl_s")]
    pub cache_ttl_s: Option<f64>,
    /// Balance queries from portal UIs, per portal per hour.
    #[serde(default)]
    pub balance_polls_per_portal_h: f64,
    #[serde(default)]
    pub rollouts: Vec<Rollout>,
    #[serde(default)]
    pub slowdowns: Vec<Slowdown>,
}

fn default_workers() -> u32 {
    8
}
fn default_lookup_s() -> Dist {
    Dist::Exp { mean: 0.05 }
}
fn default_provision_s() -> Dist {
    Dist::LogNormal { mean: 2.0, sd: 1.0 }
}
fn default_stats_s() -> Dist {
    Dist::Exp { mean: 0.005 }
}
fn default_balance_s() -> Dist {
    Dist::Exp { mean: 0.01 }
}
fn default_upgrade_s() -> Dist {
    Dist::Exp { mean: 0.5 }
}
fn default_ctrl_timeout_s() -> f64 {
    5.0
}
fn default_cache_ttl_s() -> Option<f64> {
    Some(600.0)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rollout {
    pub at_s: f64,
    pub version: u32,
    /// Upgrade all accounts at this rate from `at_s`; `None`: lazily.
    #[serde(default)]
    pub eager_per_s: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Slowdown {
    pub from_s: f64,
    pub until_s: f64,
    /// Service times are multiplied by this.
    pub factor: f64,
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

/// One queue (group) of a portal with `queues`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueDef {
    pub name: String,
    #[serde(default = "default_queue_policy")]
    pub policy: QueuePolicy,
    #[serde(default = "default_ring_time_s")]
    pub ring_time_s: f64,
    #[serde(default)]
    pub max_wait_s: Option<f64>,
    #[serde(default = "default_no_answer")]
    pub no_answer: NoAnswer,
    /// Higher is served first by `router: QueuePriority`.
    #[serde(default)]
    pub priority: u32,
    /// Members (agent names) with their skill level in this queue (higher is
    /// better; `router: SkillLevel` prefers it): `{"olena": 2, "ivan": 1}`.
    pub agents: std::collections::BTreeMap<String, u32>,
    /// After a time in this queue the call is also offered to, or moved to,
    /// another queue.
    #[serde(default)]
    pub overflow: Option<Overflow>,
}

fn default_queue_policy() -> QueuePolicy {
    QueuePolicy::Evenly
}

/// Which free member a queue rings for a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum QueuePolicy {
    Evenly,
    Strictly,
    All,
    /// The member free for the longest time (ties: listed order).
    LongestIdle,
    /// The member who answered the fewest calls so far (ties: listed order).
    FewestCalls,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overflow {
    pub after_s: f64,
    pub to: String,
    #[serde(default)]
    pub mode: OverflowMode,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum OverflowMode {
    /// The call waits in both queues; the first agent of either takes it.
    #[default]
    Also,
    /// The call leaves this queue for the other.
    Move,
}

/// An inbound number of a portal with `queues`: its call type.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Line {
    pub name: String,
    pub queue: String,
    pub arrivals: Arrivals,
    pub talk_s: Dist,
    #[serde(default)]
    pub patience_s: Option<Dist>,
    /// Share of the line's calls in each class (`{"vip": 0.1}`); the rest
    /// are `normal`.
    #[serde(default)]
    pub classes: std::collections::BTreeMap<String, f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallClass {
    pub name: String,
    /// Higher is served first inside a queue; `normal` is 0.
    pub priority: u32,
}

/// How a freed agent chooses among the calls waiting in its queues.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum RouterPolicy {
    /// The call that has waited longest across the agent's queues (class
    /// priority first inside each queue); ties: the agent's first queue.
    #[default]
    LongestWaiting,
    /// The queue with the highest `priority` that has a call, then the call
    /// that has waited longest; ties: the agent's first queue.
    QueuePriority,
    /// The queue where the agent's skill level is highest that has a call,
    /// then longest waiting; ties: the agent's first queue.
    SkillLevel,
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
    /// Only in `queues`: the call moves to the named queue of the portal.
    ToQueue(String),
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
    /// Where patience starts counting (see [`PatienceFrom`]).
    #[serde(default)]
    pub patience_from: PatienceFrom,
}

/// When a caller's patience (`patience_s`) starts running.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum PatienceFrom {
    /// From the caller's first moment in the platform: greeting, extension
    /// code, targeted ring and queue all use it up, as callers experience
    /// them. On a portal without steps arrival is queue entry.
    #[default]
    Arrival,
    /// From queue entry only (the textbook queue's reading): greeting and
    /// targeted rings do not count.
    Queue,
}

#[derive(Debug, Clone, Deserialize)]
// Unknown fields of a variant are named as such, not reported as a
// missing field.
#[serde(deny_unknown_fields)]
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
// Unknown fields of a variant are named as such, not reported as a
// missing field.
#[serde(deny_unknown_fields)]
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
