//! Every input that ever crashed a fuzz target (`tests/fuzz_crashers/TARGET/*`,
//! minimised) replays through the same entry point the target uses
//! (`telsim::robustness::fuzz_entry`), in-process, and must return normally.
//! A sample of each target's corpus (`fuzz/corpus/TARGET/`) replays too, so
//! the inputs that reached the most code keep being exercised by
//! `cargo test` without a nightly toolchain.

use std::path::{Path, PathBuf};

use telsim::robustness::fuzz_entry;

type Entry = fn(&[u8]);

const TARGETS: [(&str, Entry); 9] = [
    ("scenario", fuzz_entry::scenario_bytes),
    ("topology", fuzz_entry::topology_bytes),
    ("set_path", fuzz_entry::set_path_bytes),
    ("numbering", fuzz_entry::numbering_bytes),
    ("summary_csv", fuzz_entry::summary_csv_bytes),
    ("intervals_csv", fuzz_entry::intervals_csv_bytes),
    ("calls_csv", fuzz_entry::calls_csv_bytes),
    ("svg_scales", fuzz_entry::svg_scales_bytes),
    ("shard_manifest", fuzz_entry::shard_manifest_bytes),
];

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Replays `inputs` on a thread with the main thread's 8 MiB stack (what the
/// fuzzer and the binary have), naming the first input that panics.
fn replay(target: &'static str, entry: Entry, inputs: Vec<PathBuf>) -> Result<usize, String> {
    std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(move || {
            for f in &inputs {
                let data = std::fs::read(f).unwrap();
                let outcome = std::panic::catch_unwind(|| entry(&data));
                if outcome.is_err() {
                    return Err(format!("{target}: {} panics", f.display()));
                }
            }
            Ok(inputs.len())
        })
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn fuzz_crashers_stay_fixed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut replayed = 0;
    for (target, entry) in TARGETS {
        let crashers = files(&root.join("tests/fuzz_crashers").join(target));
        replayed += replay(target, entry, crashers).unwrap();
    }
    assert!(replayed > 0, "no crashers found: wrong folder?");
}

#[test]
fn fuzz_corpus_sample_replays_cleanly() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (target, entry) in TARGETS {
        // Every 7th input: a few hundred per target, a couple of seconds.
        let sample: Vec<PathBuf> = files(&root.join("fuzz/corpus").join(target))
            .into_iter()
            .step_by(7)
            .collect();
        let n = replay(target, entry, sample).unwrap();
        assert!(n > 0, "{target}: empty corpus");
    }
}
