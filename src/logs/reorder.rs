//! The reorder buffer every reader shares: items go in as their records
//! complete, and come out in time order (ties by source line) once the log
//! has moved far enough past them that nothing earlier can still come.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use super::{LogItem, LogStats};

struct Pending {
    time: f64,
    line: u64,
    seq: u64,
    item: LogItem,
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Pending {
    fn cmp(&self, other: &Self) -> Ordering {
        self.time
            .total_cmp(&other.time)
            .then(self.line.cmp(&other.line))
            .then(self.seq.cmp(&other.seq))
    }
}

#[derive(Default)]
pub(crate) struct Reorder {
    heap: BinaryHeap<Reverse<Pending>>,
    last_out: f64,
    seq: u64,
}

impl Reorder {
    pub fn new() -> Reorder {
        Reorder {
            heap: BinaryHeap::new(),
            last_out: f64::NEG_INFINITY,
            seq: 0,
        }
    }

    /// Holds `item` until its time is released. An item earlier than one
    /// already released is late: it comes out next, out of order, counted.
    pub fn push(&mut self, item: LogItem, stats: &mut LogStats) {
        let time = item.time_s();
        if time < self.last_out {
            stats.late += 1;
        }
        self.seq += 1;
        self.heap.push(Reverse(Pending {
            time,
            line: item.line(),
            seq: self.seq,
            item,
        }));
    }

    /// The earliest item if its time is at most `upto`.
    pub fn pop_upto(&mut self, upto: f64) -> Option<LogItem> {
        let ready = self.heap.peek().is_some_and(|p| p.0.time <= upto);
        if ready {
            self.pop_any()
        } else {
            None
        }
    }

    /// The earliest item, whatever its time (end of the log).
    pub fn pop_any(&mut self) -> Option<LogItem> {
        let p = self.heap.pop()?.0;
        if p.time > self.last_out {
            self.last_out = p.time;
        }
        Some(p.item)
    }
}
