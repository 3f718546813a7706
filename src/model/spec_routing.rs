//! The checked form of a portal's `queues`, `lines`, `classes` and `router`
//! (issue #14): names resolved to compact indices, times to [`SimTime`], so
//! the router never looks a name up. A portal without `queues` has no
//! [`QueuesSpec`] and runs the single-queue path unchanged.

use crate::engine::{Sampler, SimTime};
use crate::scenario::types::{OverflowMode, QueuePolicy, RouterPolicy};

use super::spec::{ArrivalSpec, NoAnswerRule};

/// Index of a queue inside its portal.
pub type QueueIx = u16;
/// Index of a call class inside its portal (0 is `normal`).
pub type ClassIx = u8;

#[derive(Debug, Clone)]
pub struct QueuesSpec {
    pub queues: Vec<QueueSpec>,
    pub lines: Vec<LineSpec>,
    /// Class names and priorities; index 0 is `normal` (priority 0).
    pub classes: Vec<ClassSpec>,
    pub router: RouterPolicy,
    /// Per agent (local index), the queues it serves with its level there,
    /// in queue order (the router's tie-break order).
    pub skills: Vec<Vec<Skill>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Skill {
    pub queue: QueueIx,
    pub level: u32,
}

#[derive(Debug, Clone)]
pub struct QueueSpec {
    pub name: String,
    pub policy: QueuePolicy,
    pub ring_time: SimTime,
    pub max_wait: Option<SimTime>,
    pub no_answer: QueueNoAnswer,
    pub priority: u32,
    /// Members (local agent indices) in file order, with their level.
    pub members: Vec<Member>,
    pub overflow: Option<OverflowSpec>,
}

/// A member of a queue: the agent (local index) and its level there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member {
    pub agent: u32,
    pub level: u32,
}

#[derive(Debug, Clone)]
pub enum QueueNoAnswer {
    Rule(NoAnswerRule),
    ToQueue(QueueIx),
}

#[derive(Debug, Clone, Copy)]
pub struct OverflowSpec {
    pub after: SimTime,
    pub to: QueueIx,
    pub mode: OverflowMode,
}

#[derive(Debug, Clone)]
pub struct LineSpec {
    pub name: String,
    pub queue: QueueIx,
    pub arrivals: ArrivalSpec,
    pub talk: Sampler,
    pub patience: Option<Sampler>,
    /// Cumulative class shares: `(upper bound, class)`; a draw `u` in [0, 1)
    /// takes the first entry whose bound exceeds it, else `normal`.
    pub class_cdf: Vec<(f64, ClassIx)>,
}

impl LineSpec {
    /// The class of a call whose uniform draw is `u`.
    pub fn class_of(&self, u: f64) -> ClassIx {
        self.class_cdf
            .iter()
            .find(|&&(bound, _)| u < bound)
            .map_or(0, |&(_, c)| c)
    }
}

#[derive(Debug, Clone)]
pub struct ClassSpec {
    pub name: String,
    pub priority: u32,
}

impl QueuesSpec {
    /// Offered load of each queue (Erlangs): its lines' arrival rate times
    /// their mean talk time. Overflow and forwarding are not counted (they
    /// move load the prediction cannot know in advance).
    pub fn offered_erlangs(&self) -> Vec<f64> {
        let mut a = vec![0.0; self.queues.len()];
        for l in &self.lines {
            a[l.queue as usize] += l.arrivals.mean_per_s() * l.talk.mean();
        }
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_draw_follows_the_cumulative_shares() {
        let l = LineSpec {
            name: "sales".into(),
            queue: 0,
            arrivals: ArrivalSpec::Poisson { per_s: 1.0 },
            talk: Sampler::Const(1.0),
            patience: None,
            class_cdf: vec![(0.1, 1), (0.3, 2)],
        };
        assert_eq!(l.class_of(0.05), 1);
        assert_eq!(l.class_of(0.1), 2);
        assert_eq!(l.class_of(0.29), 2);
        assert_eq!(l.class_of(0.3), 0);
        assert_eq!(l.class_of(0.99), 0);
    }
}
