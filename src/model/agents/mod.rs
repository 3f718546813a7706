//! The agents actor: who is free, ringing, talking, wrapping up or offline,
//! and the agents' own random choices (whether and when they pick up, how
//! long they wrap up).
//!
//! It owns, per portal, the agents' states with a free-agent bitset
//! ([`AgentPool`]), the global index of the portal's first agent and the
//! `agents` random stream. Routing reads the pool to choose whom to ring;
//! the dispatcher asks this actor to change a state and records the
//! transition in the invariants.
//!
//! Invariant: knows nothing about waiting lines or hunting policies (that is
//! routing), calls' scenario steps, money or the network. A state changes
//! only through [`Agents::set`] / [`AgentPool::set_state`], which keep the
//! free count and bitset in step.

mod pool;

pub use pool::{AgentPool, AgentState};

use rand::Rng;

use crate::engine::{SimTime, StreamRng};

use super::event::CallRef;
use super::invariants::Invariants;
use super::spec::PortalSpec;

/// One portal's agents. Kept together (not one vector per field) so the
/// hot path pays one bounds check per portal look-up.
pub struct PortalAgents {
    pub pool: AgentPool,
    /// Global index of this portal's first agent.
    pub base: u32,
    pub rng: StreamRng,
    /// Agents always answer, at once (`answer_prob` 1, answer delay 0, a
    /// ring time): a rung agent can be put straight through without passing
    /// through the ringing state (see `Platform::connect_at_once`).
    pub answers_at_once: bool,
}

/// Every portal's agents, indexed by portal; agents are named by their
/// global index across portals.
pub struct Agents {
    pub portals: Vec<PortalAgents>,
    /// Portal owning each global agent index.
    portal_of: Vec<u16>,
}

impl Agents {
    /// `rng(p)` gives portal p's `agents` stream.
    pub fn new(specs: &[PortalSpec], mut rng: impl FnMut(usize) -> StreamRng) -> Self {
        let mut portal_of = Vec::with_capacity(specs.iter().map(|s| s.agent_names.len()).sum());
        let portals = specs
            .iter()
            .enumerate()
            .map(|(p, spec)| {
                let base = portal_of.len() as u32;
                portal_of.extend(std::iter::repeat_n(p as u16, spec.agent_names.len()));
                PortalAgents {
                    pool: AgentPool::new(spec.agent_names.len()),
                    base,
                    rng: rng(p),
                    answers_at_once: spec.answer_prob >= 1.0
                        && matches!(spec.answer_delay, crate::engine::Sampler::Const(d)
                            if SimTime::from_secs_f64(d) == SimTime::ZERO)
                        && spec.ring_time > SimTime::ZERO,
                }
            })
            .collect();
        Agents { portals, portal_of }
    }

    /// The portal a global agent index belongs to.
    #[inline]
    pub fn portal_of(&self, agent: u32) -> usize {
        self.portal_of[agent as usize] as usize
    }

    #[inline]
    pub fn base(&self, p: usize) -> u32 {
        self.portals[p].base
    }

    #[inline]
    pub fn pool(&self, p: usize) -> &AgentPool {
        &self.portals[p].pool
    }

    /// The state of agent `agent` (global index) of portal `p`.
    #[inline]
    pub fn state(&self, p: usize, agent: u32) -> AgentState {
        let pa = &self.portals[p];
        pa.pool.state(agent - pa.base)
    }

    /// Moves agent `agent` (global index) of portal `p` to `to`.
    #[inline]
    pub fn set(&mut self, p: usize, agent: u32, to: AgentState) {
        let pa = &mut self.portals[p];
        pa.pool.set_state(agent - pa.base, to);
    }

    /// The agent's wrap-up time after a conversation.
    #[inline(always)]
    pub fn draw_wrapup(&mut self, spec: &PortalSpec, p: usize) -> SimTime {
        spec.wrapup.sample(&mut self.portals[p].rng)
    }

    /// Whether an agent rung now would pick up, and after what delay (both
    /// drawn, in this order, whatever the first answer).
    #[inline(always)]
    pub fn draw_pickup(&mut self, spec: &PortalSpec, p: usize) -> (bool, SimTime) {
        let rng = &mut self.portals[p].rng;
        let answers = spec.answer_prob >= 1.0 || rng.gen::<f64>() < spec.answer_prob;
        (answers, spec.answer_delay.sample(rng))
    }
}

/// The outcome of ringing a set of agents, decided when the ring starts:
/// only the earliest pick-up matters.
pub struct RingPlan {
    pub rung: u32,
    pub last_rung: u32,
    pub best: Option<(SimTime, u32)>,
}

/// Marks `agents` (local indices of portal `p`) ringing for `c` and draws,
/// for each, whether and when they would pick up.
#[inline(always)]
pub fn plan_ring(
    spec: &PortalSpec,
    pa: &mut PortalAgents,
    inv: &mut Invariants,
    now: SimTime,
    c: CallRef,
    agents: &[u32],
) -> RingPlan {
    let ring_time = spec.ring_time;
    let always_answers = spec.answer_prob >= 1.0;
    let mut plan = RingPlan {
        rung: 0,
        last_rung: 0,
        best: None,
    };
    for &local in agents {
        let to = AgentState::Ringing(c);
        inv.agent(now, pa.base + local, pa.pool.state(local), to);
        pa.pool.set_state(local, to);
        plan.rung += 1;
        plan.last_rung = local;
        let answers = always_answers || pa.rng.gen::<f64>() < spec.answer_prob;
        let delay = spec.answer_delay.sample(&mut pa.rng);
        if answers && delay < ring_time && plan.best.is_none_or(|(d, _)| delay < d) {
            plan.best = Some((delay, local));
        }
    }
    plan
}
