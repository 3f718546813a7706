//! The deployment scripts without a scheduler: the shard entry point as a
//! rerun of one Slurm array index, `-j` given by the user, a missing binary,
//! the Kubernetes stamp, the capacity gate's what-if on the default
//! scenario list, and the Kubernetes manifests against the API schemas.
//! tests/slurm.rs runs the same scripts on a real Slurm cluster.

mod common;

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use common::{describe, root, scenario};

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

fn bash(script: &str, args: &[String], env: &[(&str, String)]) -> Output {
    let mut c = Command::new("bash");
    c.arg(root().join(script)).args(args).current_dir(root());
    for var in [
        "SHARD_INDEX",
        "SHARD_COUNT",
        "SHARD_JOBS",
        "SHARD_STAMP",
        "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_TASK_COUNT",
        "SLURM_ARRAY_TASK_MIN",
        "SLURM_SUBMIT_DIR",
        "JOB_COMPLETION_INDEX",
        "JOB_COMPLETIONS",
        "GITHUB_STEP_SUMMARY",
        "SCENARIOS",
        "CANDIDATE_ARGS",
    ] {
        c.env_remove(var);
    }
    c.env("TELSIM", env!("CARGO_BIN_EXE_telsim"));
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("bash runs")
}

fn quick_sweep() -> Vec<String> {
    [
        "--vary",
        "portals.acme.agents=48..51",
        "--set",
        "duration_s=1800.0",
        "--set",
        "warmup_s=300.0",
        "--set",
        "replications=2",
    ]
    .map(String::from)
    .to_vec()
}

#[test]
fn a_single_array_index_reruns_exactly_that_shard_and_jobs_are_not_doubled() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    // `sbatch --array=2` with SHARD_COUNT=4 (what submit.sh --rerun 2 does):
    // the array has one task whose index is also its minimum.
    let mut a = vec![s(&out), scenario("erlang_c")];
    a.extend(quick_sweep());
    a.extend(["-j".into(), "1".into()]);
    let o = bash(
        "deploy/slurm/sweep.sbatch",
        &a,
        &[
            ("SLURM_ARRAY_TASK_ID", "2".into()),
            ("SLURM_ARRAY_TASK_COUNT", "1".into()),
            ("SLURM_ARRAY_TASK_MIN", "2".into()),
            ("SLURM_CPUS_PER_TASK", "2".into()),
            ("SHARD_COUNT", "4".into()),
            ("SLURM_SUBMIT_DIR", s(&root())),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    let shards: Vec<String> = fs::read_dir(out.join("shards"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(shards, ["2"], "only shard 2 is written");
    let manifest = fs::read_to_string(out.join("shards/2/sweep-shard.txt")).unwrap();
    assert!(manifest.starts_with("shard=2/4\n"), "{manifest}");
    let sweep = fs::read_to_string(out.join("shards/2/sweep.csv")).unwrap();
    assert!(
        sweep.lines().skip(1).all(|l| l.starts_with("2,")),
        "{sweep}"
    );
}

#[test]
fn a_missing_binary_is_a_clear_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let nowhere = s(&tmp.path().join("no-telsim"));
    let o = bash(
        "deploy/sweep-shard.sh",
        &[s(tmp.path()), scenario("erlang_c")],
        &[
            ("TELSIM", nowhere.clone()),
            ("SHARD_INDEX", "0".into()),
            ("SHARD_COUNT", "1".into()),
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", describe(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not found"));

    let bin = env!("CARGO_BIN_EXE_telsim").to_string();
    for args in [[nowhere.clone(), bin.clone()], [bin, nowhere.clone()]] {
        let o = bash(
            "ci/capacity-gate.sh",
            &args,
            &[("OUT", s(&tmp.path().join("gate")))],
        );
        assert_eq!(o.status.code(), Some(2), "{}", describe(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(&nowhere) && err.contains("not found"), "{err}");
    }
}

#[test]
fn the_kubernetes_stamp_tells_one_sweep_from_another() {
    let stamp = |args: &[&str]| {
        let mut a = vec!["4".to_string(), scenario("erlang_c")];
        a.extend(args.iter().map(|s| s.to_string()));
        let o = bash("deploy/sweep-stamp.sh", &a, &[]);
        assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
        String::from_utf8(o.stdout).unwrap()
    };
    let one = stamp(&["--vary", "portals.acme.agents=46..56"]);
    assert_eq!(one.trim().len(), 64, "{one}");
    assert_eq!(one, stamp(&["--vary", "portals.acme.agents=46..56"]));
    assert_ne!(one, stamp(&["--vary", "portals.acme.agents=46..57"]));
    let o = bash(
        "deploy/sweep-stamp.sh",
        &["4".into(), "nope.ron".into()],
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "{}", describe(&o));
}

#[test]
fn the_capacity_gate_what_if_runs_on_the_default_scenario_list() {
    // README's example as written: only erlang_c has the portal acme.
    let tmp = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_telsim").to_string();
    let o = bash(
        "ci/capacity-gate.sh",
        &[bin.clone(), bin],
        &[
            ("CANDIDATE_ARGS", "--set portals.acme.agents=45".into()),
            (
                "RUN_ARGS",
                "--set duration_s=7200.0 --set warmup_s=600.0 --replications 6".into(),
            ),
            ("OUT", s(&tmp.path().join("gate"))),
        ],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{}", describe(&o));
    assert!(
        err.contains("skipping") && err.contains("erlang_b.ron"),
        "{err}"
    );
    assert!(err.contains("call_centre.ron"), "{err}");
    assert!(err.contains("erlang_c REGRESSED"), "{err}");
    let report = fs::read_to_string(tmp.path().join("gate/report.md")).unwrap();
    assert!(report.contains("#### erlang_c") && !report.contains("#### erlang_b"));
}

/// The Kubernetes versions docs/deploy.md names: the oldest with every field
/// the manifests use (backoffLimitPerIndex, podFailurePolicy's FailIndex)
/// and a current one.
const KUBERNETES_VERSIONS: [&str; 2] = ["1.29.0", "1.33.0"];

#[test]
fn kubernetes_manifests_validate_against_the_api_schemas() {
    // kubernetes-validate (PyPI) ships the schemas of every release.
    let tool = std::env::var("KUBERNETES_VALIDATE").unwrap_or("kubernetes-validate".into());
    if Command::new(&tool).arg("--version").output().is_err() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{tool} not found: .ci/run installs it (pip install kubernetes-validate)"
        );
        eprintln!(
            "SKIPPED: {tool} not found (pip install kubernetes-validate); manifests not validated"
        );
        return;
    }
    for version in KUBERNETES_VERSIONS {
        let o = Command::new(&tool)
            .args(["--strict", "--quiet", "-k", version])
            .arg(root().join("deploy/kubernetes/sweep-job.yaml"))
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "Kubernetes {version}\n{}",
            describe(&o)
        );
    }
}

/// The `args: - |` shell blocks of a manifest, in order (sweep pod, merge pod).
fn manifest_scripts(yaml: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut lines = yaml.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim() != "- |" {
            continue;
        }
        let indent = line.len() - line.trim_start().len() + 2;
        let mut block = String::new();
        while let Some(next) = lines.peek() {
            if !next.trim().is_empty() && next.len() - next.trim_start().len() < indent {
                break;
            }
            block.push_str(next.get(indent..).unwrap_or(""));
            block.push('\n');
            lines.next();
        }
        out.push(block);
    }
    out
}

#[test]
fn kubernetes_pod_scripts_shard_merge_and_ignore_an_earlier_sweep() {
    // The pods' own scripts, run here with the image's layout replaced: the
    // shard scripts and telsim on PATH, /results a temporary folder.
    let tmp = tempfile::tempdir().unwrap();
    let yaml = fs::read_to_string(root().join("deploy/kubernetes/sweep-job.yaml")).unwrap();
    let results = tmp.path().join("results");
    let scripts: Vec<String> = manifest_scripts(&yaml)
        .into_iter()
        .map(|text| {
            text.replace("/results", &s(&results))
                .replace("sleep 10", "sleep 0.2")
        })
        .collect();
    assert_eq!(scripts.len(), 2, "{scripts:?}");
    let bin = tmp.path().join("bin");
    fs::create_dir(&bin).unwrap();
    for (name, target) in [
        ("sweep-shard.sh", root().join("deploy/sweep-shard.sh")),
        ("sweep-stamp.sh", root().join("deploy/sweep-stamp.sh")),
        ("telsim", env!("CARGO_BIN_EXE_telsim").into()),
    ] {
        std::os::unix::fs::symlink(target, bin.join(name)).unwrap();
    }
    let path = format!("{}:{}", s(&bin), std::env::var("PATH").unwrap_or_default());
    let pod = |script: &str, index: Option<usize>, args: &str, timeout: &str| {
        let mut c = Command::new("timeout");
        c.args([timeout, "bash", "-c", script])
            .current_dir(root())
            .env("PATH", &path)
            .env("SHARD_VERB", "sweep")
            .env("SCENARIO", scenario("erlang_c"))
            .env("SWEEP_ARGS", args)
            .env("SHARD_COUNT", "2")
            .env("SHARD_JOBS", "1")
            .env_remove("TELSIM")
            .env_remove("SHARD_STAMP");
        if let Some(k) = index {
            c.env("JOB_COMPLETION_INDEX", k.to_string());
        }
        c.output().unwrap()
    };
    let quick = quick_sweep().join(" ");
    let other = quick.replace("48..51", "48..49");
    // An earlier, different sweep left both shards on the volume.
    for k in 0..2 {
        let o = pod(&scripts[0], Some(k), &other, "60");
        assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    }
    let o = pod(&scripts[1], None, &quick, "2");
    assert_eq!(
        o.status.code(),
        Some(124),
        "the merge must wait: {}",
        describe(&o)
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("waiting: 0 of 2"));
    for k in 0..2 {
        let o = pod(&scripts[0], Some(k), &quick, "60");
        assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    }
    let o = pod(&scripts[1], None, &quick, "60");
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    let full = tmp.path().join("full");
    let mut a = vec!["sweep".to_string(), scenario("erlang_c")];
    a.extend(quick_sweep());
    a.extend(["--out".into(), s(&full), "-q".into()]);
    let o = common::telsim(&a);
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    for f in ["sweep.csv", "points/0003/summary.csv"] {
        assert_eq!(
            fs::read(full.join(f)).unwrap(),
            fs::read(results.join("merged").join(f)).unwrap(),
            "{f}"
        );
    }
    // A shard refused as bad input stops the merge at once.
    let bad = format!("{quick} --set duration_s=-5.0");
    let o = pod(&scripts[0], Some(1), &bad, "60");
    assert_eq!(o.status.code(), Some(2), "{}", describe(&o));
    let o = pod(&scripts[1], None, &bad, "60");
    assert_eq!(o.status.code(), Some(1), "{}", describe(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("failed on bad input"));
}
