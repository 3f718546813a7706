use std::collections::VecDeque;

use super::event::CallRef;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentState {
    Free,
    Ringing(CallRef),
    Talking(CallRef),
    Wrapup,
}

/// A portal's queue: its agents' states and the FIFO line of waiting calls.
///
/// Invariant (kept by `Platform::dispatch`): after every event, either the
/// line is empty or no agent is free, so a waiting call never sits next to an
/// idle agent.
#[derive(Debug, Clone)]
pub struct PortalQueue {
    pub agents: Vec<AgentState>,
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
        PortalQueue {
            agents: vec![AgentState::Free; agents],
            free: agents as u32,
            rr_next: 0,
            line: VecDeque::new(),
            waiting: 0,
        }
    }

    /// The first free agent at or after `start`, wrapping around.
    pub fn find_free_from(&self, start: u32) -> Option<u32> {
        if self.free == 0 {
            return None;
        }
        let n = self.agents.len() as u32;
        let start = if start >= n { 0 } else { start };
        (start..n)
            .chain(0..start)
            .find(|&i| self.agents[i as usize] == AgentState::Free)
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
            self.line.clear();
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
        q.agents[0] = AgentState::Talking(c);
        q.agents[2] = AgentState::Wrapup;
        q.agents[3] = AgentState::Ringing(c);
        q.free = 1;
        assert_eq!(q.find_free_from(2), Some(1));
        assert_eq!(q.find_free_from(9), Some(1));
        q.agents[1] = AgentState::Wrapup;
        q.free = 0;
        assert_eq!(q.find_free_from(0), None);
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
