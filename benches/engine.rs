//! Engine throughput on the shipped scenarios: events/s and calls/s on one
//! core, best of several runs (the minimum time is the least disturbed by
//! other load on the machine). Run with `cargo bench`.
//!
//! First the event queue alone, in the classic "hold" model (pop the next
//! event, schedule one a random exponential time later, so the number
//! pending stays constant), against a bare `BinaryHeap` of the same keys:
//! the calendar queue must win where the simulator lives (minutes-ahead
//! timers, thousands to a million pending).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::ops::ControlFlow;
use std::path::Path;
use std::time::Instant;

use rand::Rng;
use std::sync::Arc;
use telsim::engine::{stream, EventQueue, SimTime};
use telsim::model::{run_replication, Model};
use telsim::output::CallsCsv;

/// Mean hold time of the hold model, µs: a telephony talk time (180 s).
const HOLD_MEAN_US: f64 = 180e6;

/// Hold-model operations per second (one pop + one schedule) with `pending`
/// events, on the calendar queue and on a bare binary heap of u128 keys.
fn hold(pending: usize, ops: usize) {
    let mut rng = stream(1, 0, 0, 0);
    let delays: Vec<u64> = (0..ops + pending)
        .map(|_| (-HOLD_MEAN_US * (1.0 - rng.gen::<f64>()).ln()) as u64)
        .collect();
    let mut best_q = f64::INFINITY;
    let mut best_h = f64::INFINITY;
    for _ in 0..3 {
        let mut q: EventQueue<u32> = EventQueue::with_capacity(pending);
        for (i, d) in delays[..pending].iter().enumerate() {
            q.schedule_at(SimTime(*d), i as u32);
        }
        let start = Instant::now();
        let mut sum = 0u64;
        for d in &delays[pending..] {
            let (now, e) = q.pop().expect("pending");
            sum = sum.wrapping_add(e as u64);
            q.schedule_at(SimTime(now.0 + d), e);
        }
        best_q = best_q.min(start.elapsed().as_secs_f64());
        std::hint::black_box(sum);

        let mut heap: BinaryHeap<Reverse<u128>> = BinaryHeap::with_capacity(pending);
        let mut seq = 0u128;
        for d in &delays[..pending] {
            heap.push(Reverse(((*d as u128) << 64) | seq << 24));
            seq += 1;
        }
        let start = Instant::now();
        for d in &delays[pending..] {
            let Reverse(k) = heap.pop().expect("pending");
            let now = (k >> 64) as u64;
            heap.push(Reverse(
                (((now + d) as u128) << 64) | seq << 24 | (k & 0xff_ffff),
            ));
            seq += 1;
        }
        best_h = best_h.min(start.elapsed().as_secs_f64());
    }
    println!(
        "hold, {pending:>9} pending: calendar queue {:>6.1} M ops/s, binary heap {:>6.1} M ops/s",
        ops as f64 / best_q / 1e6,
        ops as f64 / best_h / 1e6,
    );
}

fn measure(label: &str, model: &Arc<Model>, runs: usize, with_csv: bool) {
    let mut best = f64::INFINITY;
    let (mut events, mut calls, mut peak) = (0, 0, 0);
    let dir = tempfile::tempdir().expect("temp dir");
    for run in 0..runs {
        let start = Instant::now();
        let result = if with_csv {
            let sink =
                CallsCsv::create(&dir.path().join("calls.csv"), model, 0, true).expect("csv");
            let (r, sink) = run_replication(model, run as u32, sink, |_| ControlFlow::Continue(()))
                .expect("ran");
            sink.close().expect("flush");
            r
        } else {
            run_replication(model, run as u32, (), |_| ControlFlow::Continue(()))
                .expect("ran")
                .0
        };
        best = best.min(start.elapsed().as_secs_f64());
        events = result.events;
        calls = result.calls;
        peak = result.peak_calls;
    }
    println!(
        "{label:<40} {:>6.1} M events/s  {:>5.2} M calls/s  ({events} events, {calls} calls, peak {peak} calls in system, best of {runs}: {best:.3} s)",
        events as f64 / best / 1e6,
        calls as f64 / best / 1e6,
    );
}

fn main() {
    // `cargo bench` passes --bench; a filter argument selects nothing here.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mmc = Arc::new(
        telsim::load_model(&root.join("scenarios/bench_mmc.ron"), &[]).expect("bench_mmc.ron"),
    );
    let centre = Arc::new(
        telsim::load_model(&root.join("scenarios/call_centre.ron"), &[]).expect("call_centre.ron"),
    );
    let media = Arc::new(
        telsim::load_model(&root.join("scenarios/bench_media.ron"), &[]).expect("bench_media.ron"),
    );
    println!("event queue, hold model (exponential hold, mean 180 s)");
    for pending in [1_000, 10_000, 100_000, 1_000_000] {
        hold(pending, 3_000_000);
    }
    let simpy = Arc::new(
        telsim::load_model(&root.join("scenarios/bench_simpy.ron"), &[]).expect("bench_simpy.ron"),
    );
    println!("telsim engine benchmark (one core, one replication per run)");
    measure("bench_simpy (M/M/1900, 100 k calls)", &simpy, 20, false);
    measure("bench_simpy + calls.csv", &simpy, 10, true);
    measure("bench_mmc (M/M/100, 1.09 M calls)", &mmc, 12, false);
    measure("bench_mmc + calls.csv", &mmc, 3, true);
    measure(
        "bench_media (same on two_dc, SIP + RTP + MOS)",
        &media,
        5,
        false,
    );
    measure(
        "call_centre (3 portals, ring, patience)",
        &centre,
        10,
        false,
    );
}
