use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::SimTime;

/// What the domain plugs into the engine: it receives each event in order and
/// may schedule more on the queue it is handed.
pub trait Handler {
    type Event: Copy;
    fn handle(&mut self, now: SimTime, event: Self::Event, queue: &mut EventQueue<Self::Event>);
}

/// Bits of a heap key that hold the payload slot (16.7 M pending events).
const SLOT_BITS: u32 = 24;
const SLOT_MASK: u128 = (1 << SLOT_BITS) - 1;
/// Bits of the insertion sequence inside a key (1.1 × 10¹² events before the
/// sequence is renumbered, which keeps the order).
const SEQ_BITS: u32 = 64 - SLOT_BITS;

/// Future event list: a binary min-heap of bare 16-byte keys, with the events
/// themselves in a slab beside it.
///
/// A key is `time << 64 | sequence << 24 | slot`: comparing keys compares
/// (time, insertion sequence), so ties pop first-scheduled-first, whatever the
/// heap's layout. Keeping the events out of the heap halves the bytes every
/// sift moves; popping is the hot spot of the whole simulator. Events are
/// `Copy` and stored inline in the slab; freed slots are reused, so once the
/// queue has grown to the peak number of pending events nothing allocates.
pub struct EventQueue<E> {
    heap: BinaryHeap<Reverse<u128>>,
    events: Vec<E>,
    free_slots: Vec<u32>,
    now: SimTime,
    next_seq: u64,
    processed: u64,
}

impl<E: Copy> EventQueue<E> {
    pub fn with_capacity(capacity: usize) -> Self {
        EventQueue {
            heap: BinaryHeap::with_capacity(capacity),
            events: Vec::with_capacity(capacity),
            free_slots: Vec::new(),
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
    #[inline]
    pub fn schedule_at(&mut self, at: SimTime, event: E) {
        let at = at.max(self.now);
        let slot = match self.free_slots.pop() {
            Some(s) => {
                self.events[s as usize] = event;
                s
            }
            None => {
                assert!(
                    self.events.len() < (1 << SLOT_BITS),
                    "more than 16.7 million pending events"
                );
                self.events.push(event);
                (self.events.len() - 1) as u32
            }
        };
        if self.next_seq >= 1 << SEQ_BITS {
            self.renumber();
        }
        let key = ((at.0 as u128) << 64) | ((self.next_seq as u128) << SLOT_BITS) | slot as u128;
        self.next_seq += 1;
        self.heap.push(Reverse(key));
    }

    /// Gives pending keys fresh sequence numbers 0..n in their current
    /// order, so the sequence field never overflows. Runs once per 10¹²
    /// events at most.
    #[cold]
    fn renumber(&mut self) {
        let mut keys: Vec<u128> = std::mem::take(&mut self.heap)
            .into_iter()
            .map(|r| r.0)
            .collect();
        keys.sort_unstable();
        let seq_mask: u128 = ((1u128 << SEQ_BITS) - 1) << SLOT_BITS;
        self.heap = keys
            .into_iter()
            .enumerate()
            .map(|(i, k)| Reverse((k & !seq_mask) | ((i as u128) << SLOT_BITS)))
            .collect();
        self.next_seq = self.heap.len() as u64;
    }

    #[inline]
    pub fn schedule_in(&mut self, delay: SimTime, event: E) {
        self.schedule_at(self.now + delay, event);
    }

    /// Time of the next pending event, if any.
    #[inline]
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|r| SimTime((r.0 >> 64) as u64))
    }

    /// Removes the next event and advances the clock to it.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let Reverse(key) = self.heap.pop()?;
        let slot = (key & SLOT_MASK) as u32;
        self.free_slots.push(slot);
        self.now = SimTime((key >> 64) as u64);
        self.processed += 1;
        Some((self.now, self.events[slot as usize]))
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
    fn renumbering_the_sequence_keeps_the_order() {
        let mut q = EventQueue::with_capacity(4);
        q.next_seq = (1 << SEQ_BITS) - 2;
        for i in 0..6u32 {
            q.schedule_at(SimTime(7), i);
        }
        q.schedule_at(SimTime(3), 99);
        assert!(q.next_seq < 10, "renumbered");
        let order: Vec<u32> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, vec![99, 0, 1, 2, 3, 4, 5]);
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
