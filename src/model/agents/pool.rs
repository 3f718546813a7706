use crate::model::event::CallRef;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentState {
    Free,
    Ringing(CallRef),
    Talking(CallRef),
    Wrapup,
    /// The agent's SIP phone is not registered: cannot be rung.
    Offline,
}

/// A portal's agents' states, with a free-agent bitset.
#[derive(Debug, Clone)]
pub struct AgentPool {
    agents: Vec<AgentState>,
    /// Bit i set ⇔ agent i is free: finding the next free agent from a
    /// cursor is a few `trailing_zeros` instead of a scan over every agent.
    free_bits: Vec<u64>,
    pub free: u32,
}

impl AgentPool {
    pub fn new(agents: usize) -> Self {
        let mut free_bits = vec![0u64; agents.div_ceil(64)];
        for i in 0..agents {
            free_bits[i / 64] |= 1 << (i % 64);
        }
        AgentPool {
            agents: vec![AgentState::Free; agents],
            free_bits,
            free: agents as u32,
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_agent_scan_wraps_around() {
        let mut q = AgentPool::new(4);
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
        let mut q = AgentPool::new(n);
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
}
