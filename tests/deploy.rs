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
