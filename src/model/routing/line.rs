use std::collections::VecDeque;

use crate::model::event::CallRef;

/// A portal's FIFO line of waiting calls.
#[derive(Debug, Clone, Default)]
pub struct WaitingLine {
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

impl WaitingLine {
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
    fn stale_entries_are_skipped() {
        let mut q = WaitingLine::default();
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
