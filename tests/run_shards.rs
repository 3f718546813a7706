//! `telsim run --shard K/N` and `telsim merge` of run shards, through the
//! real binary: the merged folder is byte-identical to the unsharded run for
//! any N (more shards than replications too) and any order of the shards;
//! missing, duplicate and foreign shards are refused by name.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use common::{describe, scenario, telsim};

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        assert!(p.is_file(), "a run folder is flat: {}", p.display());
        out.insert(
            p.file_name().unwrap().to_string_lossy().into_owned(),
            fs::read(&p).unwrap(),
        );
    }
    out
}

fn run(name: &str, out: &Path, extra: &[&str]) {
    let mut a = vec![
        "run".to_string(),
        scenario(name),
        "--out".into(),
        s(out),
        "-q".into(),
        "--set".into(),
        "duration_s=3600.0".into(),
        "--set".into(),
        "warmup_s=300.0".into(),
    ];
    a.extend(extra.iter().map(|x| x.to_string()));
    let o = telsim(&a);
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
}

fn merge(dirs: &[&Path], out: &Path) -> std::process::Output {
    let mut a = vec!["merge".to_string()];
    a.extend(dirs.iter().map(|d| s(d)));
    a.extend(["--out".into(), s(out)]);
    telsim(&a)
}

#[test]
fn run_shards_merge_into_the_unsharded_run_for_any_count_and_order() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, extra) in [
        ("erlang_c", &["--replications", "5"][..]),
        // A topology (links.csv) and money (portals.csv, alerts.csv rows).
        ("busy_uplink", &["--replications", "3", "--no-calls"][..]),
        ("balance_alerts", &["--replications", "3"][..]),
    ] {
        let full = tmp.path().join(format!("{name}-full"));
        run(name, &full, &[extra, &["-j", "2"]].concat());
        let files = tree(&full);
        assert!(files.contains_key("replications.csv"), "{name}");
        let reps = files["replications.csv"]
            .split(|&b| b == b'\n')
            .nth(1)
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .unwrap();
        assert!(reps.starts_with("0,platform,offered,"), "{reps}");
        for n in [1usize, 2, 4] {
            let dirs: Vec<_> = (0..n)
                .map(|k| tmp.path().join(format!("{name}-{n}-{k}")))
                .collect();
            for (k, d) in dirs.iter().enumerate() {
                let shard = format!("{k}/{n}");
                run(name, d, &[extra, &["--shard", &shard, "-j", "1"]].concat());
                let manifest = fs::read_to_string(d.join("run-shard.txt")).unwrap();
                assert!(
                    manifest.starts_with(&format!("shard={shard}\n")),
                    "{manifest}"
                );
            }
            // Shards given in reverse order.
            let rev: Vec<&Path> = dirs.iter().rev().map(|d| d.as_path()).collect();
            let merged = tmp.path().join(format!("{name}-{n}-merged"));
            let o = merge(&rev, &merged);
            assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
            let got = tree(&merged);
            assert_eq!(
                got.keys().collect::<Vec<_>>(),
                files.keys().collect::<Vec<_>>(),
                "{name} {n}"
            );
            for (f, bytes) in &files {
                assert!(got[f] == *bytes, "{name}, {n} shard(s): {f} differs");
            }
        }
    }
}

#[test]
fn merge_names_missing_duplicate_and_foreign_run_shards() {
    let tmp = tempfile::tempdir().unwrap();
    let d = |n: &str| tmp.path().join(n);
    // More shards than replications: shard 2 of 3 runs none and still merges.
    for k in 0..3 {
        run(
            "erlang_c",
            &d(&format!("s{k}")),
            &["--replications", "2", "--shard", &format!("{k}/3")],
        );
    }
    run("erlang_c", &d("full"), &["--replications", "2"]);
    let o = merge(&[&d("s0"), &d("s1"), &d("s2")], &d("m"));
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    assert_eq!(tree(&d("m")), tree(&d("full")));

    let err = |o: std::process::Output| {
        assert_eq!(o.status.code(), Some(2), "{}", describe(&o));
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let e = err(merge(&[&d("s0"), &d("s2")], &d("x")));
    assert!(e.contains("missing shard(s) 1/3"), "{e}");
    let e = err(merge(&[&d("s0"), &d("s1"), &d("s1"), &d("s2")], &d("x")));
    assert!(e.contains("shard 1/3 appears twice"), "{e}");
    // Same shard number, another seed: foreign.
    run(
        "erlang_c",
        &d("seed"),
        &["--replications", "2", "--shard", "1/3", "--seed", "9"],
    );
    let e = err(merge(&[&d("s0"), &d("seed"), &d("s2")], &d("x")));
    assert!(
        e.contains("is not a shard of the same run") && e.contains("seed"),
        "{e}"
    );
    assert!(!d("x").exists(), "nothing written on refusal");
    // A complete run's folder is no shard: a rerun without --shard removes
    // the manifest of an earlier shard there.
    run("erlang_c", &d("s1"), &["--replications", "2"]);
    assert!(!d("s1").join("run-shard.txt").exists());
}
