use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::SimTime;

/// What the domain plugs into the engine: it receives each event in order and
/// may schedule more on the queue it is handed.
pub trait Handler {
    type Event: Copy;
    fn handle(&mut self, now: SimTime, event: Self::Event, queue: &mut EventQueue<Self::Event>);

    /// Shown the event due after the one about to be handled, so the
    /// handler can start fetching the memory that event will touch (see
    /// [`prefetch`]) while it works on the current one. A hint only: it must
    /// not change any state (and the next event may yet be preceded by
    /// events the current one schedules).
    #[inline]
    fn prefetch(&self, _next: &Self::Event) {}
}

/// Asks the CPU to start loading the cache lines holding `value` (its first
/// and last byte: both lines of a value up to 64 bytes that straddles two).
///
/// A simulation's entities (a call, an agent) are touched when their event
/// comes due, minutes of simulated time after the last touch, and by then
/// have left the L1/L2 caches: the load that finds them is a miss on the
/// handler's critical path. Issued one event ahead it overlaps with the
/// current event's work.
#[inline(always)]
pub fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: PREFETCHT0 is a hint: it reads nothing into the program, never
    // faults and has no architectural effect (the pointer comes from a live
    // reference anyway). SSE is part of the x86-64 baseline.
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let first = (value as *const T).cast::<i8>();
        _mm_prefetch::<_MM_HINT_T0>(first);
        _mm_prefetch::<_MM_HINT_T0>(first.wrapping_add(std::mem::size_of::<T>().max(1) - 1));
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

/// Bits of a key that hold the payload slot (16.7 M pending events).
const SLOT_BITS: u32 = 24;
const SLOT_MASK: u128 = (1 << SLOT_BITS) - 1;
/// Bits of the insertion sequence inside a key (1.1 × 10¹² events before the
/// sequence is renumbered, which keeps the order).
const SEQ_BITS: u32 = 64 - SLOT_BITS;

/// Width of a calendar bucket: 2^20 µs ≈ 1.05 s of simulated time. (2^18
/// and 2^16 measured 1–2% and 7% more instructions on bench_mmc.)
const BUCKET_SHIFT: u32 = 20;
/// End of a ring bucket's list of slots.
const NIL: u32 = u32::MAX;
/// Buckets in the calendar ring: with the width above, the ring covers the
/// next ≈ 4 300 s; events further ahead wait in an overflow heap.
const RING: usize = 4096;
/// A current bucket of at most this many keys is kept as a sorted vector
/// (pop: O(1); insert: a binary search and a short move); a bigger one, or
/// one that grows past `SORTED_LIMIT`, as a binary heap, so that dense
/// buckets never pay for long moves.
const SORTED_MAX: usize = 48;
const SORTED_LIMIT: usize = 96;

/// Future event list for monotone simulated time: a two-level calendar
/// queue of bare 16-byte keys, with the events themselves in a slab beside
/// it.
///
/// A key is `time << 64 | sequence << 24 | slot`: comparing keys compares
/// (time, insertion sequence), so ties pop first-scheduled-first whatever the
/// layout. Only events of the current bucket (`time >> BUCKET_SHIFT ≤ cur`)
/// are ordered — in a vector sorted latest-first while the bucket is small,
/// which makes a pop a `Vec::pop`, else in a binary heap; later ones are
/// linked, unsorted, into their bucket
/// in a ring of `RING` buckets (a bitmap marks the non-empty ones), or go to
/// a second binary heap beyond the ring (each far event is moved from it to
/// the ring once, in order). When the heap runs dry the next non-empty
/// bucket is poured into it. Telephony schedules most events seconds to
/// minutes ahead (talk, patience, max wait), so the current bucket stays a
/// few dozen keys deep and in cache however many events are pending; a
/// plain binary heap of all pending keys measured slower (see README, Speed).
///
/// Invariant: every key in `sorted` or `heap` belongs to a bucket ≤ `cur`
/// (at most one of the two is non-empty), every key in the ring to a bucket
/// in `cur+1 .. cur+RING`, every key in the overflow to a later one; the
/// current bucket is empty only when the whole queue is.
///
/// A ring bucket is a singly linked list threaded through the slab (a head
/// slot per bucket; per slot the key and the next slot), not a vector of
/// its own: a talk-end filed minutes ahead then writes into the slab, which
/// the loop keeps warm (freed slots are reused last in, first out), instead
/// of into one of 4 096 separately allocated vectors last touched a ring
/// revolution ago. Those vectors cost a cache miss or two per insert (30% of
/// `answer`'s time in a profile of bench_media) and 2 MB once every bucket
/// had been used. Buckets of 7-key chunks from a shared pool measured 9%
/// slower on bench_mmc than the list. The price: pouring a deep bucket walks
/// the slab in slot order, so with a million pending events (thousands per
/// bucket, far beyond telephony's) the hold benchmark drops from 5.9 to
/// 3.3 M operations/s; at 1 000–100 000 pending it gains 3–50%.
///
/// Events are `Copy` and stored inline in the slab; freed slots are reused,
/// so once the queue has grown to the peak number of pending events nothing
/// allocates.
pub struct EventQueue<E> {
    /// The current bucket while small: descending, the next key last.
    sorted: Vec<u128>,
    heap: BinaryHeap<Reverse<u128>>,
    /// First slot of each ring bucket's list (`NIL`: empty).
    ring: Box<[u32; RING]>,
    /// Bit i set ⇔ ring bucket i is non-empty.
    occupied: Box<[u64; RING / 64]>,
    ring_len: usize,
    overflow: BinaryHeap<Reverse<u128>>,
    /// Bucket number of the heap's window.
    cur: u64,
    events: Vec<E>,
    /// Per slot, while its event sits in the ring: its key and the next
    /// slot of the same bucket.
    keys: Vec<u128>,
    next: Vec<u32>,
    free_slots: Vec<u32>,
    now: SimTime,
    next_seq: u64,
    processed: u64,
}

#[inline]
fn bucket_of(key: u128) -> u64 {
    ((key >> 64) as u64) >> BUCKET_SHIFT
}

impl<E: Copy> EventQueue<E> {
    pub fn with_capacity(capacity: usize) -> Self {
        EventQueue {
            sorted: Vec::with_capacity(SORTED_LIMIT),
            heap: BinaryHeap::with_capacity(capacity.min(1024)),
            ring: Box::new([NIL; RING]),
            occupied: Box::new([0; RING / 64]),
            ring_len: 0,
            overflow: BinaryHeap::new(),
            cur: 0,
            events: Vec::with_capacity(capacity),
            keys: Vec::with_capacity(capacity),
            next: Vec::with_capacity(capacity),
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
        self.sorted.len() + self.heap.len() + self.ring_len + self.overflow.len()
    }

    #[inline]
    fn current_is_empty(&self) -> bool {
        self.sorted.is_empty() && self.heap.is_empty()
    }

    /// Schedules `event` at absolute time `at`. Scheduling in the past is a
    /// logic error in the caller; it is clamped to `now` so time never runs
    /// backwards.
    #[inline(always)]
    pub fn schedule_at(&mut self, at: SimTime, event: E) {
        let seq = self.next_seq;
        self.schedule_with_seq(at, event, seq);
        self.next_seq += 1;
    }

    /// Schedules `event` at `at` ahead of every other event of that instant,
    /// whenever those were or will be scheduled (events scheduled this way
    /// for one instant pop among themselves in an unspecified but
    /// deterministic order). For boundaries: an interval that closes at `t`
    /// must close before anything happening at `t` is counted.
    pub fn schedule_first_at(&mut self, at: SimTime, event: E) {
        self.schedule_with_seq(at, event, 0);
    }

    #[inline(always)]
    fn schedule_with_seq(&mut self, at: SimTime, event: E, seq: u64) {
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
                self.keys.push(0);
                self.next.push(NIL);
                (self.events.len() - 1) as u32
            }
        };
        let seq = if seq > 0 && self.next_seq >= 1 << SEQ_BITS {
            self.renumber();
            self.next_seq
        } else {
            seq
        };
        let key = ((at.0 as u128) << 64) | ((seq as u128) << SLOT_BITS) | slot as u128;
        self.insert(key);
        if self.current_is_empty() {
            self.refill();
        }
    }

    /// Files a key under its bucket: the heap, the ring or the overflow.
    #[inline(always)]
    fn insert(&mut self, key: u128) {
        let n = bucket_of(key);
        if n <= self.cur {
            self.insert_current(key);
        } else if n - self.cur < RING as u64 {
            let i = n as usize & (RING - 1);
            let slot = (key & SLOT_MASK) as usize;
            self.keys[slot] = key;
            self.next[slot] = self.ring[i];
            self.ring[i] = slot as u32;
            self.occupied[i / 64] |= 1 << (i % 64);
            self.ring_len += 1;
        } else {
            self.overflow.push(Reverse(key));
        }
    }

    /// Adds a key of the current bucket to whichever order holds it.
    #[inline(always)]
    fn insert_current(&mut self, key: u128) {
        if !self.heap.is_empty() {
            self.heap.push(Reverse(key));
        } else if self.sorted.len() < SORTED_LIMIT {
            // From the end, the next key's side: most new keys are due soon
            // after the now and pass few (keys are unique, the sequence breaks
            // ties), which beats a binary search and a `memmove` call.
            let v = &mut self.sorted;
            v.push(key);
            let mut i = v.len() - 1;
            while i > 0 && v[i - 1] < key {
                v[i] = v[i - 1];
                i -= 1;
            }
            v[i] = key;
        } else {
            self.heap.extend(self.sorted.drain(..).map(Reverse));
            self.heap.push(Reverse(key));
        }
    }

    /// The current bucket has run dry: moves the next non-empty one in.
    #[cold]
    fn refill(&mut self) {
        while self.current_is_empty() {
            if self.ring_len > 0 {
                let i = self.next_occupied((self.cur as usize + 1) & (RING - 1));
                let ahead = (i + RING - (self.cur as usize & (RING - 1))) & (RING - 1);
                self.cur += ahead as u64;
                self.occupied[i / 64] &= !(1 << (i % 64));
                let mut s = std::mem::replace(&mut self.ring[i], NIL);
                while s != NIL {
                    self.sorted.push(self.keys[s as usize]);
                    s = self.next[s as usize];
                }
                self.ring_len -= self.sorted.len();
                if self.sorted.len() <= SORTED_MAX {
                    self.sorted.sort_unstable_by(|a, b| b.cmp(a));
                } else {
                    self.heap.extend(self.sorted.drain(..).map(Reverse));
                }
            } else if let Some(&Reverse(key)) = self.overflow.peek() {
                self.cur = bucket_of(key);
            } else {
                return;
            }
            // Far events that the ring now reaches move to their bucket.
            while let Some(&Reverse(key)) = self.overflow.peek() {
                if bucket_of(key) - self.cur >= RING as u64 {
                    break;
                }
                self.overflow.pop();
                self.insert(key);
            }
        }
    }

    /// The first non-empty ring slot at or after `start`, wrapping round
    /// (the ring must not be empty).
    fn next_occupied(&self, start: usize) -> usize {
        let words = RING / 64;
        let first = start / 64;
        let masked = self.occupied[first] & (!0u64 << (start % 64));
        if masked != 0 {
            return first * 64 + masked.trailing_zeros() as usize;
        }
        let mut w = first;
        for _ in 0..words {
            w = if w + 1 == words { 0 } else { w + 1 };
            if self.occupied[w] != 0 {
                return w * 64 + self.occupied[w].trailing_zeros() as usize;
            }
        }
        unreachable!("next_occupied on an empty ring")
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
        keys.append(&mut self.sorted);
        for head in self.ring.iter_mut() {
            let mut s = std::mem::replace(head, NIL);
            while s != NIL {
                keys.push(self.keys[s as usize]);
                s = self.next[s as usize];
            }
        }
        keys.extend(std::mem::take(&mut self.overflow).into_iter().map(|r| r.0));
        self.occupied.iter_mut().for_each(|w| *w = 0);
        self.ring_len = 0;
        keys.sort_unstable();
        let seq_mask: u128 = ((1u128 << SEQ_BITS) - 1) << SLOT_BITS;
        self.next_seq = keys.len() as u64;
        for (i, k) in keys.into_iter().enumerate() {
            self.insert((k & !seq_mask) | ((i as u128) << SLOT_BITS));
        }
        self.refill();
    }

    #[inline]
    pub fn schedule_in(&mut self, delay: SimTime, event: E) {
        self.schedule_at(self.now + delay, event);
    }

    /// Time of the next pending event, if any.
    #[inline]
    pub fn peek_time(&self) -> Option<SimTime> {
        Some(SimTime((self.peek_key()? >> 64) as u64))
    }

    /// The next pending event, if any.
    #[inline]
    fn peek_event(&self) -> Option<&E> {
        self.events.get((self.peek_key()? & SLOT_MASK) as usize)
    }

    /// The next pending key: the current bucket is never empty unless the
    /// whole queue is.
    #[inline(always)]
    fn peek_key(&self) -> Option<u128> {
        match self.sorted.last() {
            Some(&k) => Some(k),
            None => self.heap.peek().map(|r| r.0),
        }
    }

    /// Removes the next event and advances the clock to it. Always inlined:
    /// when the compiler once left it out of `run_until` (a change elsewhere
    /// shifted its size estimates) bench_mmc ran 4% slower.
    #[inline(always)]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let key = match self.sorted.pop() {
            Some(k) => k,
            None => self.heap.pop()?.0,
        };
        if self.current_is_empty() {
            self.refill();
        }
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
            // Two ahead: the event after next's payload (written when it
            // was scheduled, often minutes ago), and what the next event
            // will touch (its payload was fetched one step earlier).
            if let Some(k) = self.sorted.len().checked_sub(2) {
                if let Some(e) = self.events.get((self.sorted[k] & SLOT_MASK) as usize) {
                    prefetch(e);
                }
            }
            if let Some(next) = self.peek_event() {
                handler.prefetch(next);
            }
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

    /// Times spread over many ring revolutions, far beyond the ring and
    /// back into the current bucket, against a sorted reference.
    #[test]
    fn calendar_pops_in_order_across_ring_and_overflow() {
        use rand::Rng;
        let mut rng = crate::engine::stream(11, 0, 0, 0);
        let mut q = EventQueue::with_capacity(4);
        let mut expected: Vec<(u64, u32)> = Vec::new();
        let bucket = 1u64 << BUCKET_SHIFT;
        let ring_span = bucket * RING as u64;
        for i in 0..20_000u32 {
            let now = q.now().0;
            let ahead = match rng.gen_range(0..6) {
                0 => 0,
                1 => rng.gen_range(0..bucket),
                2 => rng.gen_range(0..bucket * 50),
                3 => rng.gen_range(0..ring_span * 3),
                4 => ring_span - bucket + rng.gen_range(0..bucket * 2),
                _ => rng.gen_range(0..1_000_000),
            };
            q.schedule_at(SimTime(now + ahead), i);
            expected.push((now + ahead, i));
            assert_eq!(q.pending(), expected.len());
            if rng.gen_bool(0.45) {
                expected.sort();
                let want = expected.remove(0);
                let (t, e) = q.pop().unwrap();
                assert_eq!((t.0, e), want);
            }
        }
        expected.sort();
        let got: Vec<(u64, u32)> = std::iter::from_fn(|| q.pop().map(|(t, e)| (t.0, e))).collect();
        assert_eq!(got, expected);
        assert_eq!(q.pending(), 0);
        assert!(q.peek_time().is_none());
    }

    /// A bucket poured in small is kept sorted, one poured in big goes to
    /// the heap, and a sorted one that grows too big by inserts is converted;
    /// the order is the same in all three.
    #[test]
    fn current_bucket_switches_between_sorted_vector_and_heap() {
        let bucket = 1u64 << BUCKET_SHIFT;
        let mut q = EventQueue::with_capacity(4);
        let mut expected = Vec::new();
        let mut push = |q: &mut EventQueue<u32>, t: u64, e: u32| {
            q.schedule_at(SimTime(t), e);
            expected.push((t, e));
        };
        // Bucket 1: few keys (sorted); bucket 2: many (heap).
        for i in 0..10u32 {
            push(&mut q, bucket + 1000 * (10 - i as u64), i);
        }
        for i in 0..(SORTED_MAX as u32 + 20) {
            push(&mut q, 2 * bucket + 77 * (i as u64 % 13), 100 + i);
        }
        let (t, _) = q.pop().unwrap();
        assert_eq!(t.0, bucket + 1000);
        assert!(
            !q.sorted.is_empty() && q.heap.is_empty(),
            "small bucket sorted"
        );
        // Grow the sorted bucket past its limit with same-bucket inserts.
        for i in 0..(SORTED_LIMIT as u32 + 5) {
            push(&mut q, bucket + 5000 + 31 * (i as u64 % 17), 1000 + i);
        }
        assert!(
            q.sorted.is_empty() && !q.heap.is_empty(),
            "converted to heap"
        );
        expected.sort();
        expected.remove(0);
        let mut got = Vec::new();
        let mut saw_big_heap = false;
        while let Some((t, e)) = q.pop() {
            saw_big_heap |= t.0 >= 2 * bucket && !q.heap.is_empty();
            got.push((t.0, e));
        }
        assert!(saw_big_heap, "a big bucket is poured into the heap");
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
        // Far ahead (overflow) and mid-ring keys are renumbered too.
        q.schedule_at(SimTime(1 << 40), 7);
        q.schedule_at(SimTime(1 << 22), 8);
        assert!(q.next_seq < 12, "renumbered");
        let order: Vec<u32> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, vec![99, 0, 1, 2, 3, 4, 5, 8, 7]);
    }

    /// The prefetch hint is shown the event that is handled next (when the
    /// current one schedules nothing sooner), across ring buckets.
    #[test]
    fn prefetch_is_shown_the_next_event() {
        struct Peeker {
            shown: Option<u32>,
            handled: Vec<u32>,
            hits: usize,
        }
        impl Handler for Peeker {
            type Event = u32;
            fn handle(&mut self, _: SimTime, ev: u32, _: &mut EventQueue<u32>) {
                if self.handled.last().is_some() && self.shown == Some(ev) {
                    self.hits += 1;
                }
                self.handled.push(ev);
            }
            fn prefetch(&self, next: &u32) {
                // `&self`: the hint cannot change state; smuggle it out.
                PEEKED.with(|p| p.set(Some(*next)));
            }
        }
        thread_local!(static PEEKED: std::cell::Cell<Option<u32>> = const { std::cell::Cell::new(None) });
        let mut q = EventQueue::with_capacity(8);
        let bucket = 1u64 << BUCKET_SHIFT;
        for i in 0..50u32 {
            q.schedule_at(SimTime(bucket * (i as u64 % 7) + i as u64), i);
        }
        let mut h = Peeker {
            shown: None,
            handled: vec![],
            hits: 0,
        };
        while let Some(t) = q.peek_time() {
            q.run_until(&mut h, t);
            h.shown = PEEKED.with(|p| p.take());
        }
        // Distinct times: each run_until handles one event, having shown
        // the one after it; every event but the first was announced.
        assert_eq!(h.handled.len(), 50);
        assert_eq!(h.hits, 49);
    }

    /// Any interleaving of schedules (now, within the current bucket,
    /// across the ring, beyond it) and pops, with the sequence renumbered
    /// mid-way or not, pops exactly what a sorted reference pops: time
    /// first, then scheduling order.
    mod differential {
        use super::*;
        use proptest::prelude::*;
        use std::collections::BTreeSet;

        #[derive(Debug, Clone)]
        enum Op {
            Schedule(u64),
            Pop,
        }

        fn op() -> impl Strategy<Value = Op> {
            let bucket = 1u64 << BUCKET_SHIFT;
            let ring = bucket * RING as u64;
            prop_oneof![
                1 => Just(Op::Schedule(0)),
                3 => (0..bucket).prop_map(Op::Schedule),
                3 => (0..bucket * 200).prop_map(Op::Schedule),
                1 => (ring - bucket..ring + bucket).prop_map(Op::Schedule),
                1 => (0..ring * 3).prop_map(Op::Schedule),
                5 => Just(Op::Pop),
            ]
        }

        proptest! {
            #[test]
            fn pops_like_a_sorted_reference(
                ops in prop::collection::vec(op(), 0..600),
                renumber_soon in any::<bool>(),
            ) {
                let mut q: EventQueue<u32> = EventQueue::with_capacity(4);
                if renumber_soon {
                    q.next_seq = (1 << SEQ_BITS) - 50;
                }
                // (time, scheduling order) → event.
                let mut reference = BTreeSet::new();
                for (i, op) in ops.into_iter().enumerate() {
                    match op {
                        Op::Schedule(ahead) => {
                            let at = q.now().0 + ahead;
                            q.schedule_at(SimTime(at), i as u32);
                            reference.insert((at, i as u32));
                        }
                        Op::Pop => {
                            let want = reference.pop_first();
                            let got = q.pop().map(|(t, e)| (t.0, e));
                            prop_assert_eq!(got, want);
                        }
                    }
                    prop_assert_eq!(q.pending(), reference.len());
                    prop_assert_eq!(q.peek_time().map(|t| t.0), reference.first().map(|k| k.0));
                }
                while let Some(want) = reference.pop_first() {
                    prop_assert_eq!(q.pop().map(|(t, e)| (t.0, e)), Some(want));
                }
                prop_assert!(q.pop().is_none());
            }
        }
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
