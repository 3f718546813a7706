use std::collections::VecDeque;

use super::event::CallRef;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentState {
    Free,
    Ringing(CallRef),
    Talking(CallRef),
    Wrapup,
    /// The agent's SIP phone is not registered: cannot be rung.
    Offline,
}

/// A portal's queue: its agents' states and the FIFO line of waiting calls.
///
/// Invariant (kept by `Platform::dispatch`): after every event, either the
/// line is empty or no agent is free, so a waiting call never sits next to an
/// idle agent.
#[derive(Debug, Clone)]
pub struct PortalQueue {
    agents: Vec<AgentState>,
    /// Bit i set ⇔ agent i is free: finding the next free agent from a
    /// cursor is a few `trailing_zeros` instead of a scan over every agent.
    free_bits: Vec<u64>,
    pub free: u32,
    /// `Evenly`: where the next fresh call starts (after the agent who took
    /// the last call).
    pub rr_next: u32,
    /// Waiting calls in arrival order. Calls that leave the line early
    /// (abandon, max wait) stay here as stale references and are skipped when
    /// they reach the head: removal from the middle would cost O(n).
    line: VecDeque<CallRef>,
    /// Calls really waiting (the line minus its stale entries).
    pub waiting: u32,
}

impl PortalQueue {
    pub fn new(agents: usize) -> Self {
        let mut free_bits = vec![0u64; agents.div_ceil(64)];
        for i in 0..agents {
            free_bits[i / 64] |= 1 << (i % 64);
        }
        PortalQueue {
            agents: vec![AgentState::Free; agents],
            free_bits,
            free: agents as u32,
            rr_next: 0,
            line: VecDeque::new(),
            waiting: 0,
        }
    }

    pub fn len(&self) -> u32 {
        self.agents.len() as u32
    }

    pub fn state(&self, local: u32) -> AgentState {
        self.agents[local as usize]
    }

    /// Changes an agent's state, keeping the free count and bitset in step.
    #[inline]
    pub fn set_state(&mut self, local: u32, state: AgentState) {
        let i = local as usize;
        let was_free = self.agents[i] == AgentState::Free;
        let is_free = state == AgentState::Free;
        self.agents[i] = state;
        if was_free != is_free {
            self.free_bits[i / 64] ^= 1 << (i % 64);
            if is_free {
                self.free += 1;
            } else {
                self.free -= 1;
            }
        }
    }

    /// Local indices of the agents ringing for `c`.
    pub fn ringing_for(&self, c: CallRef) -> impl Iterator<Item = u32> + '_ {
        self.agents
            .iter()
            .enumerate()
            .filter(move |(_, a)| **a == AgentState::Ringing(c))
            .map(|(i, _)| i as u32)
    }

    /// The first free agent at or after `start`, wrapping around.
    #[inline]
    pub fn find_free_from(&self, start: u32) -> Option<u32> {
        if self.free == 0 {
            return None;
        }
        let n = self.agents.len();
        let start = if start as usize >= n {
            0
        } else {
            start as usize
        };
        let words = self.free_bits.len();
        let first_word = start / 64;
        // The start word's bits at or after `start`, then the following
        // words, then wrap round to the start word's lower bits.
        let masked = self.free_bits[first_word] & (!0u64 << (start % 64));
        if masked != 0 {
            return Some((first_word * 64 + masked.trailing_zeros() as usize) as u32);
        }
        let mut w = first_word;
        for _ in 0..words {
            w = if w + 1 == words { 0 } else { w + 1 };
            let bits = self.free_bits[w];
            if bits != 0 {
                return Some((w * 64 + bits.trailing_zeros() as usize) as u32);
            }
        }
        None
    }

    /// Free agents in list order (ring-all).
    pub fn free_agents(&self) -> impl Iterator<Item = u32> + '_ {
        self.free_bits.iter().enumerate().flat_map(|(w, &bits)| {
            let mut b = bits;
            std::iter::from_fn(move || {
                if b == 0 {
                    return None;
                }
                let i = b.trailing_zeros();
                b &= b - 1;
                Some((w * 64) as u32 + i)
            })
        })
    }

    /// Drops the line's entries once nobody waits (they are all calls that
    /// left; removal is lazy).
    #[inline]
    pub fn clear_line(&mut self) {
        debug_assert_eq!(self.waiting, 0);
        self.line.clear();
    }

    pub fn push_back(&mut self, c: CallRef) {
        self.line.push_back(c);
        self.waiting += 1;
    }

    /// A call whose ring round failed goes back ahead of everyone who arrived
    /// after it (it was at the head when it started ringing).
    pub fn push_front(&mut self, c: CallRef) {
        self.line.push_front(c);
        self.waiting += 1;
    }

    /// Marks a waiting call as gone; its entry becomes stale.
    pub fn left_line(&mut self) {
        debug_assert!(self.waiting > 0);
        self.waiting -= 1;
    }

    /// Pops entries until `is_waiting` accepts one (stale ones are dropped).
    pub fn pop_waiting(&mut self, mut is_waiting: impl FnMut(CallRef) -> bool) -> Option<CallRef> {
        if self.waiting == 0 {
            self.clear_line();
            return None;
        }
        while let Some(c) = self.line.pop_front() {
            if is_waiting(c) {
                self.waiting -= 1;
                return Some(c);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_agent_scan_wraps_around() {
        let mut q = PortalQueue::new(4);
        let c = CallRef { slot: 0, gen: 0 };
        q.set_state(0, AgentState::Talking(c));
        q.set_state(2, AgentState::Wrapup);
        q.set_state(3, AgentState::Ringing(c));
        assert_eq!(q.free, 1);
        assert_eq!(q.find_free_from(2), Some(1));
        assert_eq!(q.find_free_from(9), Some(1));
        assert_eq!(q.ringing_for(c).collect::<Vec<_>>(), vec![3]);
        q.set_state(1, AgentState::Wrapup);
        assert_eq!(q.free, 0);
        assert_eq!(q.find_free_from(0), None);
    }

    #[test]
    fn bitset_agrees_with_a_linear_scan_across_word_boundaries() {
        use rand::Rng;
        let mut rng = crate::engine::stream(5, 0, 0, 0);
        let n = 200;
        let mut q = PortalQueue::new(n);
        let c = CallRef { slot: 0, gen: 0 };
        for _ in 0..5_000 {
            let i = rng.gen_range(0..n as u32);
            let st = if rng.gen_bool(0.5) {
                AgentState::Free
            } else {
                AgentState::Talking(c)
            };
            q.set_state(i, st);
            let start = rng.gen_range(0..n as u32 + 3);
            let s = if start as usize >= n { 0 } else { start };
            let linear = (s..n as u32)
                .chain(0..s)
                .find(|&k| q.state(k) == AgentState::Free);
            assert_eq!(q.find_free_from(start), linear);
            let frees: Vec<u32> = (0..n as u32)
                .filter(|&k| q.state(k) == AgentState::Free)
                .collect();
            assert_eq!(q.free_agents().collect::<Vec<_>>(), frees);
            assert_eq!(q.free as usize, frees.len());
        }
    }

    #[test]
    fn stale_entries_are_skipped() {
        let mut q = PortalQueue::new(1);
        let a = CallRef { slot: 0, gen: 0 };
        let b = CallRef { slot: 1, gen: 0 };
        q.push_back(a);
        q.push_back(b);
        q.left_line(); // a abandoned
        assert_eq!(q.pop_waiting(|c| c == b), Some(b));
        assert_eq!(q.waiting, 0);
        assert_eq!(q.pop_waiting(|_| true), None);
    }
}
