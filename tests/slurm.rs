//! deploy/slurm/ on a real scheduler: a single-node Slurm cluster on this
//! machine (deploy/slurm/local-cluster.sh: munged, slurmctld, slurmd), a
//! sharded sweep submitted through submit.sh, one shard cancelled, the merge
//! job's failure report, the rerun by the command it prints, and the merged
//! result compared byte for byte with the sweep run here.
//!
//! Needs root and Debian's slurm-wlm and munge (.ci/run installs them).
//! Without them the test says SKIPPED loudly, except under CI=true, where it
//! fails.

mod common;

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::{describe, root, scenario, telsim, tree};

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// Stops the cluster's daemons however the test ends.
struct Cluster {
    state: PathBuf,
    conf: PathBuf,
    port: u16,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let o = Command::new("bash")
            .arg(root().join("deploy/slurm/local-cluster.sh"))
            .args(["stop", &s(&self.state)])
            .env("TELSIM_SLURM_PORT", self.port.to_string())
            .output();
        if let Ok(o) = o {
            if !o.status.success() {
                eprintln!("local-cluster.sh stop: {}", describe(&o));
            }
        }
    }
}

impl Cluster {
    fn cmd(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("SLURM_CONF", &self.conf)
            .env("TELSIM", env!("CARGO_BIN_EXE_telsim"))
            .current_dir(root());
        c
    }

    fn run(&self, program: &str, args: &[String]) -> Output {
        self.cmd(program).args(args).output().expect("runs")
    }

    fn scontrol(&self, args: &[&str]) {
        let o = self.run(
            "scontrol",
            &args.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
        );
        assert!(o.status.success(), "scontrol {args:?}: {}", describe(&o));
    }

    /// Waits until the job has left the queue (completed, failed or cancelled).
    fn wait_gone(&self, job: &str) {
        let start = Instant::now();
        loop {
            let o = self.run("squeue", &["-h".into(), "-j".into(), job.into()]);
            if String::from_utf8_lossy(&o.stdout).trim().is_empty() {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(90),
                "job {job} still queued after 90 s:\n{}",
                String::from_utf8_lossy(&o.stdout)
            );
            std::thread::sleep(Duration::from_millis(300));
        }
    }
}

fn prerequisites() -> Result<(), String> {
    for bin in [
        "munged",
        "slurmctld",
        "slurmd",
        "sbatch",
        "scancel",
        "squeue",
    ] {
        if Command::new("sh")
            .args(["-c", &format!("command -v {bin}")])
            .output()
            .map(|o| !o.status.success())
            .unwrap_or(true)
        {
            return Err(format!("{bin} not found (apt-get install slurm-wlm munge)"));
        }
    }
    let id = Command::new("id")
        .arg("-u")
        .output()
        .map_err(|e| e.to_string())?;
    if String::from_utf8_lossy(&id.stdout).trim() != "0" {
        return Err("slurmd needs root".into());
    }
    Ok(())
}

/// Two consecutive free ports (slurmctld, slurmd).
fn free_ports() -> u16 {
    for _ in 0..100 {
        let a = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = a.local_addr().unwrap().port();
        if port < 65000 && TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
            return port;
        }
    }
    panic!("no two consecutive free ports");
}

fn start_cluster(dir: &Path) -> Result<Cluster, String> {
    prerequisites()?;
    let state = dir.join("slurm");
    let port = free_ports();
    let cluster = Cluster {
        conf: state.join("slurm.conf"),
        state: state.clone(),
        port,
    };
    let o = Command::new("bash")
        .arg(root().join("deploy/slurm/local-cluster.sh"))
        .args(["start", &s(&state)])
        .env("TELSIM_SLURM_PORT", port.to_string())
        .output()
        .map_err(|e| e.to_string())?;
    if !o.status.success() {
        return Err(format!("local-cluster.sh start failed: {}", describe(&o)));
    }
    Ok(cluster)
}

/// `shard array job A (…), merge job M: …` → (A, M).
fn job_ids(o: &Output) -> (String, String) {
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    let words: Vec<&str> = text.split_whitespace().collect();
    let after = |w: &str| {
        let i = words
            .iter()
            .position(|x| *x == w)
            .expect("job id in output");
        words[i + 1].trim_end_matches([',', ':']).to_string()
    };
    (
        after("job"),
        after("merge").replace("job", "").trim().to_string(),
    )
}

fn merge_job(o: &Output) -> String {
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    let i = text.find("merge job ").expect("merge job in output") + "merge job ".len();
    text[i..].split(':').next().unwrap().trim().to_string()
}

const SWEEP: [&str; 8] = [
    "--vary",
    "portals.acme.agents=46..53",
    "--set",
    "duration_s=3600.0",
    "--set",
    "warmup_s=300.0",
    "--set",
    "replications=3",
];

const RUN: [&str; 6] = [
    "--replications",
    "7",
    "--set",
    "duration_s=3600.0",
    "--set",
    "warmup_s=300.0",
];

/// Submits through submit.sh with the node drained (so that shard 1 is
/// surely cancelled before it could run, however fast the machine), cancels
/// shard 1, checks the merge job's report, runs the rerun command it
/// prints, and compares the merged folder with `local`.
fn submit_cancel_rerun(cluster: &Cluster, node: &str, args: &[String], out: &Path, local: &Path) {
    cluster.scontrol(&[
        "update",
        &format!("nodename={node}"),
        "state=drain",
        "reason=test",
    ]);
    let o = cluster.run(&s(&root().join("deploy/slurm/submit.sh")), args);
    assert_eq!(o.status.code(), Some(0), "submit: {}", describe(&o));
    let (array, _) = job_ids(&o);
    let merge = merge_job(&o);
    let o = cluster.run("scancel", &[format!("{array}_1")]);
    assert!(o.status.success(), "scancel: {}", describe(&o));
    cluster.scontrol(&["update", &format!("nodename={node}"), "state=resume"]);
    cluster.wait_gone(&array);
    cluster.wait_gone(&merge);

    let failed =
        fs::read_to_string(out.join("FAILED.txt")).expect("the merge job reports the failure");
    assert!(
        failed.contains("1 of 3 shard(s) did not finish: 1\n"),
        "{failed}"
    );
    assert!(
        !out.join("merged").exists(),
        "no merge with a shard missing"
    );
    let log = fs::read_to_string(out.join(format!("logs/merge-{merge}.out"))).unwrap();
    assert!(log.contains("did not finish: 1"), "{log}");
    let rerun = failed
        .lines()
        .skip_while(|l| !l.starts_with("rerun them"))
        .nth(1)
        .expect("the rerun command")
        .trim()
        .to_string();
    assert!(
        rerun.ends_with(&format!("submit.sh --rerun 1 {}", s(out))),
        "{rerun}"
    );

    // The documented command, as printed.
    let o = cluster.run("bash", &["-c".into(), rerun]);
    assert_eq!(o.status.code(), Some(0), "rerun: {}", describe(&o));
    let (array2, _) = job_ids(&o);
    let merge2 = merge_job(&o);
    cluster.wait_gone(&array2);
    cluster.wait_gone(&merge2);
    let log = fs::read_to_string(out.join(format!("logs/merge-{merge2}.out"))).unwrap();
    assert!(log.contains("merged 3 shard(s)"), "{log}");
    assert!(!out.join("FAILED.txt").exists());
    assert_eq!(
        tree(local),
        tree(&out.join("merged")),
        "merged result differs from the local one"
    );
    // The rerun ran shard 1 only: shard 0's log is the first submission's.
    let logs: Vec<String> = fs::read_dir(out.join("logs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("shard-"))
        .collect();
    assert_eq!(
        logs.iter().filter(|n| n.starts_with("shard-0-")).count(),
        1,
        "{logs:?}"
    );
    assert!(logs.contains(&format!("shard-1-{array2}.out")), "{logs:?}");
}

#[test]
fn sharded_sweep_and_run_on_slurm_survive_a_cancelled_shard_and_merge_byte_identical() {
    let tmp = tempfile::tempdir().unwrap();
    let cluster = match start_cluster(tmp.path()) {
        Ok(c) => c,
        Err(why) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "the Slurm test must run in CI: {why}"
            );
            eprintln!("\n\n*** SKIPPED tests/slurm.rs: {why} ***\n\n");
            return;
        }
    };
    let node = String::from_utf8(Command::new("hostname").arg("-s").output().unwrap().stdout)
        .unwrap()
        .trim()
        .to_string();

    let local = tmp.path().join("local");
    let mut a = vec!["sweep".to_string(), scenario("erlang_c")];
    a.extend(SWEEP.map(String::from));
    a.extend(["--out".into(), s(&local), "-q".into()]);
    let o = telsim(&a);
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    let out = tmp.path().join("grid");
    let mut a = vec![
        "--time=10".to_string(),
        "3".into(),
        s(&out),
        scenario("erlang_c"),
    ];
    a.extend(SWEEP.map(String::from));
    a.extend(["-j".into(), "1".into()]);
    submit_cancel_rerun(&cluster, &node, &a, &out, &local);

    // One run's replications spread over 3 shards (7 replications: the
    // shards are uneven), shard 1 cancelled and rerun alike.
    let local_run = tmp.path().join("local-run");
    let mut a = vec!["run".to_string(), scenario("call_centre")];
    a.extend(RUN.map(String::from));
    a.extend(["--out".into(), s(&local_run), "-q".into()]);
    let o = telsim(&a);
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    let out_run = tmp.path().join("run");
    let mut a = vec![
        "--run".to_string(),
        "3".into(),
        s(&out_run),
        scenario("call_centre"),
    ];
    a.extend(RUN.map(String::from));
    submit_cancel_rerun(&cluster, &node, &a, &out_run, &local_run);
    assert!(out_run.join("merged/replications.csv").is_file());

    // A second submission into the same folder is refused.
    let mut a = vec!["3".to_string(), s(&out), scenario("erlang_c")];
    a.extend(SWEEP.map(String::from));
    let o = cluster.run(&s(&root().join("deploy/slurm/submit.sh")), &a);
    assert_eq!(o.status.code(), Some(2), "{}", describe(&o));
    drop(cluster);
}
