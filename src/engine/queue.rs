use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::SimTime;

/// What the domain plugs into the engine: it receives each event in order and
/// may schedule more on the queue it is handed.
pub trait Handler {
    type Event: Copy;
    fn handle(&mut self, now: SimTime, event: Self::Event, queue: &mut EventQueue<Self::Event>);
}

/// Heap entry. The key packs (time, sequence) into one u128 so the heap does a
/// single integer comparison; the sequence number makes ties deterministic
/// (first scheduled, first served) whatever the heap's internal layout.
#[derive(Clone, Copy)]
struct Entry<E> {
    key: u128,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    fn cmp(&self, other: &Self) -> Ordering {
        // BinaryHeap is a max-heap: reverse so the earliest key pops first.
        other.key.cmp(&self.key)
    }
}

/// Future event list. Events are plain `Copy` values stored inline in the
/// heap: no boxing, and once the heap has grown to the peak number of pending
/// events no further allocation happens.
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    now: SimTime,
    next_seq: u64,
    processed: u64,
}

impl<E: Copy> EventQueue<E> {
    pub fn with_capacity(capacity: usize) -> Self {
        EventQueue {
            heap: BinaryHeap::with_capacity(capacity),
            now: SimTime::ZERO,
            next_seq: 0,
            processed: 0,
        }
    }

    /// The time of the event being handled (or of the last one handled).
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Events handed to the handler so far.
    pub fn processed(&self) -> u64 {
        self.processed
    }

    pub fn pending(&self) -> usize {
        self.heap.len()
    }

    /// Schedules `event` at absolute time `at`. Scheduling in the past is a
    /// logic error in the caller; it is clamped to `now` so time never runs
    /// backwards.
    pub fn schedule_at(&mut self, at: SimTime, event: E) {
        let at = at.max(self.now);
        let key = ((at.0 as u128) << 64) | self.next_seq as u128;
        self.next_seq += 1;
        self.heap.push(Entry { key, event });
    }

    pub fn schedule_in(&mut self, delay: SimTime, event: E) {
        self.schedule_at(self.now + delay, event);
    }

    /// Time of the next pending event, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|e| SimTime((e.key >> 64) as u64))
    }

    /// Removes the next event and advances the clock to it.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let entry = self.heap.pop()?;
        self.now = SimTime((entry.key >> 64) as u64);
        self.processed += 1;
        Some((self.now, entry.event))
    }

    /// Runs the handler until the queue is empty or the next event lies after
    /// `until`; returns the number of events handled by this call.
    pub fn run_until<H: Handler<Event = E>>(&mut self, handler: &mut H, until: SimTime) -> u64 {
        let start = self.processed;
        while let Some(t) = self.peek_time() {
            if t > until {
                break;
            }
            let (now, event) = self.pop().expect("peeked");
            handler.handle(now, event, self);
        }
        self.processed - start
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Recorder(Vec<(u64, u32)>);
    impl Handler for Recorder {
        type Event = u32;
        fn handle(&mut self, now: SimTime, ev: u32, q: &mut EventQueue<u32>) {
            self.0.push((now.0, ev));
            if ev == 1 {
                // Same-time follow-ups run after everything already queued for now.
                q.schedule_in(SimTime::ZERO, 10);
            }
        }
    }

    #[test]
    fn ties_pop_in_insertion_order() {
        let mut q = EventQueue::with_capacity(8);
        q.schedule_at(SimTime(5), 3);
        q.schedule_at(SimTime(1), 1);
        q.schedule_at(SimTime(1), 2);
        q.schedule_at(SimTime(5), 4);
        let mut r = Recorder(vec![]);
        let n = q.run_until(&mut r, SimTime::MAX);
        assert_eq!(n, 5);
        assert_eq!(r.0, vec![(1, 1), (1, 2), (1, 10), (5, 3), (5, 4)]);
    }

    #[test]
    fn pops_in_time_then_sequence_order_for_random_schedules() {
        use rand::Rng;
        let mut rng = crate::engine::stream(9, 0, 0, 0);
        let mut q = EventQueue::with_capacity(4);
        let mut expected = Vec::new();
        for i in 0..5_000u32 {
            let t = rng.gen_range(0..500u64).max(q.now().0);
            q.schedule_at(SimTime(t), i);
            expected.push((t, i));
            // Interleave pops with pushes, as a simulation does.
            if i % 7 == 0 {
                let (now, ev) = q.pop().unwrap();
                expected.sort();
                let want = expected.remove(0);
                assert_eq!((now.0, ev), want);
            }
        }
        expected.sort();
        let mut got = Vec::new();
        while let Some((t, e)) = q.pop() {
            got.push((t.0, e));
        }
        assert_eq!(got, expected);
    }

    #[test]
    fn run_until_stops_before_later_events_and_never_goes_back() {
        let mut q = EventQueue::with_capacity(8);
        q.schedule_at(SimTime(10), 7);
        q.schedule_at(SimTime(20), 8);
        let mut r = Recorder(vec![]);
        q.run_until(&mut r, SimTime(15));
        assert_eq!(r.0, vec![(10, 7)]);
        q.schedule_at(SimTime(3), 9); // in the past: clamped to now
        q.run_until(&mut r, SimTime::MAX);
        assert_eq!(r.0, vec![(10, 7), (10, 9), (20, 8)]);
    }
}
