//! Engine throughput on the shipped scenarios: events/s and calls/s on one
//! core, best of several runs (the minimum time is the least disturbed by
//! other load on the machine). Run with `cargo bench`.

use std::ops::ControlFlow;
use std::path::Path;
use std::time::Instant;

use telsim::model::{run_replication, Model};
use telsim::output::CallsCsv;

fn measure(label: &str, model: &Model, runs: usize, with_csv: bool) {
    let mut best = f64::INFINITY;
    let (mut events, mut calls, mut peak) = (0, 0, 0);
    let dir = tempfile::tempdir().expect("temp dir");
    for run in 0..runs {
        let start = Instant::now();
        let result = if with_csv {
            let sink = CallsCsv::create(&dir.path().join("calls.csv"), model, 0).expect("csv");
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
    let mmc =
        telsim::load_model(&root.join("scenarios/bench_mmc.ron"), &[]).expect("bench_mmc.ron");
    let centre =
        telsim::load_model(&root.join("scenarios/call_centre.ron"), &[]).expect("call_centre.ron");
    let media =
        telsim::load_model(&root.join("scenarios/bench_media.ron"), &[]).expect("bench_media.ron");
    println!("telsim engine benchmark (one core, one replication per run)");
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
