//! `telsim sweep --shard K/N` with more shards than points, through the real
//! binary: each shard runs some replications of one point, and `telsim
//! merge` pools them into the bytes of the unsharded sweep, for any N and
//! any order of the shards; a missing or foreign shard is refused by name.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{describe, scenario, telsim, tree};

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// Two points of four replications each.
fn sweep(out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "sweep".to_string(),
        scenario("erlang_c"),
        "--vary".into(),
        "portals.acme.agents=48,50".into(),
        "--set".into(),
        "duration_s=1800.0".into(),
        "--set".into(),
        "warmup_s=300.0".into(),
        "--set".into(),
        "replications=4".into(),
        "--out".into(),
        s(out),
        "-q".into(),
    ];
    args.extend(extra.iter().map(|a| a.to_string()));
    telsim(&args)
}

fn merge(dirs: &[PathBuf], out: &Path) -> Output {
    let mut a = vec!["merge".to_string()];
    a.extend(dirs.iter().map(|d| s(d)));
    a.extend(["--out".into(), s(out)]);
    telsim(&a)
}

fn ok(o: Output, what: &str) {
    assert_eq!(o.status.code(), Some(0), "{what}: {}", describe(&o));
}

#[test]
fn replication_sharded_sweep_merges_into_the_unsharded_sweep() {
    let tmp = tempfile::tempdir().unwrap();
    let full = tmp.path().join("full");
    ok(sweep(&full, &["-j", "2"]), "unsharded sweep");
    let want = tree(&full);
    assert!(want.contains_key("points/0001/replications.csv"));
    for n in [3usize, 5, 8] {
        let mut dirs: Vec<PathBuf> = (0..n)
            .map(|k| {
                let dir = tmp.path().join(format!("n{n}/s{k}"));
                ok(
                    sweep(&dir, &["--shard", &format!("{k}/{n}"), "-j", "1"]),
                    "shard",
                );
                dir
            })
            .collect();
        // Shard K runs point K % 2 only, and a fraction of its replications.
        // Shard 0 shares point 0 with at least one other: replication 1 is
        // not its own.
        let own = tree(&dirs[0]);
        assert!(own.keys().all(|k| !k.starts_with("points/0001/")), "{n}");
        let reps = String::from_utf8(own["points/0000/replications.csv"].clone()).unwrap();
        assert!(reps.lines().skip(1).any(|l| l.starts_with("0,")), "{n}");
        assert!(reps.lines().skip(1).all(|l| !l.starts_with("1,")), "{n}");
        dirs.reverse();
        let out = tmp.path().join(format!("n{n}/merged"));
        ok(merge(&dirs, &out), "merge");
        let got = tree(&out);
        assert_eq!(
            want.keys().collect::<Vec<_>>(),
            got.keys().collect::<Vec<_>>(),
            "same files, N = {n}"
        );
        for (name, bytes) in &want {
            assert!(bytes == &got[name], "{name} differs after merge, N = {n}");
        }

        let o = merge(&dirs[1..], &tmp.path().join(format!("n{n}/short")));
        assert_eq!(o.status.code(), Some(2), "{}", describe(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains(&format!("missing shard(s) {}/{n}", n - 1)),
            "{err}"
        );
    }
    // A shard of another sweep (4 vs 3 replications) is foreign.
    let other = tmp.path().join("other");
    ok(
        sweep(&other, &["--shard", "0/3", "--set", "replications=3"]),
        "other shard",
    );
    let mut dirs: Vec<PathBuf> = (1..3)
        .map(|k| tmp.path().join(format!("n3/s{k}")))
        .collect();
    dirs.push(other);
    let o = merge(&dirs, &tmp.path().join("foreign"));
    assert_eq!(o.status.code(), Some(2), "{}", describe(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("shards of different sweeps"),
        "{}",
        describe(&o)
    );
}
