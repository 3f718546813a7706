//! The routing actor: the portal's waiting line and its hunting policy —
//! which free agent(s) a call rings, and in what order waiting calls are
//! served.
//!
//! It owns, per portal, the FIFO line of waiting calls and the `Evenly`
//! round-robin cursor. It reads the agents' free set (an [`AgentPool`]) to
//! choose, but never changes an agent's state: the dispatcher rings the
//! agents routing picked (see `platform/routing.rs`).
//!
//! Invariant (kept by `Platform::dispatch`): after every event, either a
//! portal's line is empty or none of its agents is free, so a waiting call
//! never sits next to an idle agent. Routing knows nothing about scenario
//! steps, money, servers or the network; a new hunting policy is a new arm
//! in [`Routing::pick`] (and, if it keeps a cursor, in
//! [`Routing::answered`]).

mod line;

pub use line::WaitingLine;

use super::agents::AgentPool;
use crate::scenario::types::Policy;

/// Marks a call that has not rung anyone yet (its cursor is chosen by policy).
pub const CURSOR_UNSET: u32 = u32::MAX;

/// Whom to ring for a call, as the portal's policy decides.
pub enum Pick {
    /// Every free agent at once (`Policy::All`).
    All,
    /// One agent (local index); `cursor` is where the call's next ring round
    /// starts.
    One { local: u32, cursor: u32 },
    /// Nobody is free.
    Nobody,
}

/// Every portal's line and policy state, indexed by portal.
pub struct Routing {
    pub lines: Vec<WaitingLine>,
}

impl Routing {
    pub fn new(portals: usize) -> Self {
        Routing {
            lines: (0..portals).map(|_| WaitingLine::default()).collect(),
        }
    }

    /// Calls really waiting in portal `p`'s line.
    #[inline]
    pub fn waiting(&self, p: usize) -> u32 {
        self.lines[p].waiting
    }

    /// The agent(s) to ring for a call of portal `p` whose ring cursor is
    /// `cursor` (`CURSOR_UNSET` before its first round). `hint` is the local
    /// index of an agent known to be free (the one that just came free),
    /// which spares a scan when it is the only one.
    #[inline(always)]
    pub fn pick(
        &self,
        p: usize,
        policy: Policy,
        cursor: u32,
        hint: Option<u32>,
        pool: &AgentPool,
    ) -> Pick {
        match policy {
            Policy::All => Pick::All,
            Policy::Evenly | Policy::Strictly => {
                let local = match hint {
                    Some(local) if pool.free == 1 => local,
                    _ => {
                        let start = match (cursor, policy) {
                            (CURSOR_UNSET, Policy::Evenly) => self.lines[p].rr_next,
                            (CURSOR_UNSET, _) => 0,
                            (cur, _) => cur,
                        };
                        match pool.find_free_from(start) {
                            Some(a) => a,
                            None => return Pick::Nobody,
                        }
                    }
                };
                Pick::One {
                    local,
                    cursor: next_round_robin(local, pool.len()),
                }
            }
        }
    }

    /// Agent `local` of a pool of `n` answered a call of portal `p`.
    #[inline(always)]
    pub fn answered(&mut self, p: usize, policy: Policy, local: u32, n: u32) {
        if policy == Policy::Evenly {
            self.lines[p].rr_next = next_round_robin(local, n);
        }
    }
}

/// The agent after `local` in a ring of `n`, without an integer division
/// (this runs for every call).
#[inline]
fn next_round_robin(local: u32, n: u32) -> u32 {
    if local + 1 >= n {
        0
    } else {
        local + 1
    }
}
