//! Hostile inputs too big or too binary to keep as files in
//! `tests/bad_inputs/`: generated here into a temporary folder, then fed to
//! the real binary as `telsim check` and `telsim run`. Each must exit 2 with a
//! located message (file:line:col or a field path), within 10 s, without
//! panicking, under a 1.5 GiB address-space limit (`ulimit -v`), and `run`
//! must write no CSV.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_telsim");
const TIMEOUT: Duration = Duration::from_secs(10);
/// Address space the child may map, KiB (threads and allocator arenas
/// reserve more than they touch, so this is looser than 1 GiB of RSS).
const ADDRESS_SPACE_KIB: u64 = 1536 * 1024;

const BASE: &str = r#"// generated
Scenario(
    name: "hostile",
    seed: 1,
    replications: 1,
    duration_s: 3600.0,
    warmup_s: 0.0,
    interval_s: 900.0,
    topology: None,
    servers: [],
    portals: [
        Portal(
            name: "acme",
            agents: 5,
            queue: Queue(policy: Evenly, ring_time_s: 15.0),
            inbound: Traffic(arrivals: Poisson(per_hour: 100.0), talk_s: Exp(mean: 100.0)),
        ),
    ],
    checks: [],
)
"#;

struct Outcome {
    code: Option<i32>,
    stderr: String,
    elapsed: Duration,
}

fn telsim(args: &[&str], cwd: &Path) -> Outcome {
    let started = Instant::now();
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v {ADDRESS_SPACE_KIB} && exec \"$0\" \"$@\""
        ))
        .arg(BIN)
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start telsim");
    let mut pipe = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    });
    let code = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s.code();
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Outcome {
        code,
        stderr: reader.join().unwrap(),
        elapsed: started.elapsed(),
    }
}

fn csv_under(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return vec![];
    };
    rd.flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect()
}

/// Runs `check` and `run` on `file`; returns what went wrong, if anything.
fn refused(dir: &Path, file: &str, extra: &[&str], expected: &[&str]) -> Vec<String> {
    let mut why = Vec::new();
    let out = dir.join(format!("out-{file}"));
    let out_s = out.to_str().unwrap().to_string();
    let mut check = vec!["check", file];
    check.extend(extra);
    let mut run = vec!["run", file, "--out", &out_s, "--jobs", "1"];
    run.extend(extra);
    for args in [check, run] {
        let o = telsim(&args, dir);
        let label = format!(
            "telsim {}",
            args.join(" ").chars().take(120).collect::<String>()
        );
        if o.code != Some(2) {
            why.push(format!(
                "{label}: exit {:?} after {:?}, expected 2; stderr: {}",
                o.code,
                o.elapsed,
                o.stderr.chars().take(600).collect::<String>()
            ));
        }
        if o.stderr.contains("panicked") || o.stderr.contains("memory allocation") {
            why.push(format!("{label}: crashed: {}", o.stderr));
        }
        if o.stderr.len() > 100_000 {
            why.push(format!("{label}: {} bytes of messages", o.stderr.len()));
        }
        for want in expected {
            if !o.stderr.contains(want) {
                why.push(format!(
                    "{label}: stderr lacks {want:?}: {}",
                    o.stderr.chars().take(600).collect::<String>()
                ));
            }
        }
    }
    let csv = csv_under(&out);
    if !csv.is_empty() {
        why.push(format!("{file}: run wrote {csv:?}"));
    }
    why
}

fn topology(nodes: usize, name_len: usize) -> String {
    let mut t = String::from("Topology(nodes: [");
    let pad = "n".repeat(name_len);
    for i in 0..nodes {
        t.push_str(&format!("Node(name: \"{pad}{i}\", kind: Router),\n"));
    }
    t.push_str("], links: [");
    for i in 1..nodes {
        t.push_str(&format!(
            "Link(a: \"{pad}{}\", b: \"{pad}{i}\", delay_ms: 1.0),\n",
            i - 1
        ));
    }
    t.push_str("])\n");
    t
}

#[test]
fn generated_hostile_files_are_refused_quickly_and_located() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let write = |name: &str, body: &[u8]| std::fs::write(dir.join(name), body).unwrap();
    let mut problems = Vec::new();

    // A 10 MB portal name.
    write(
        "long_name.ron",
        BASE.replace("\"acme\"", &format!("\"{}\"", "x".repeat(10 << 20)))
            .as_bytes(),
    );
    problems.extend(refused(
        dir,
        "long_name.ron",
        &[],
        &["long_name.ron:13:19", "portals.0.name", "at most 200 bytes"],
    ));

    // 1 MB of binary garbage (deterministic bytes, not UTF-8).
    let mut x: u32 = 12345;
    let garbage: Vec<u8> = (0..1 << 20)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (x >> 16) as u8 | 0x80
        })
        .collect();
    write("garbage.ron", &garbage);
    problems.extend(refused(dir, "garbage.ron", &[], &["garbage.ron", "UTF-8"]));

    // Larger than the input cap.
    let mut big = BASE.as_bytes().to_vec();
    big.extend(std::iter::repeat_n(b' ', 17 << 20));
    write("big.ron", &big);
    problems.extend(refused(
        dir,
        "big.ron",
        &[],
        &["big.ron", "larger than 16.0 MiB"],
    ));

    // 20 000 portals with one name: validation stays linear and lists at
    // most 200 problems.
    let portal = "Portal(name: \"same\", agents: 1, inbound: Traffic(arrivals: Poisson(per_hour: 1.0), talk_s: Const(1.0))),\n";
    let many = BASE.replace(
        "    ],\n    checks",
        &format!("{}    ],\n    checks", portal.repeat(20_000)),
    );
    write("many_portals.ron", many.as_bytes());
    problems.extend(refused(
        dir,
        "many_portals.ron",
        &[],
        &[
            "many_portals.ron:19:",
            "duplicate portal name 'same'",
            "more problems not listed",
        ],
    ));

    // 10 000 portals of 1000 agents each: 10^7 agents in all.
    let portal = "Portal(name: \"p{i}\", agents: 1000, inbound: Traffic(arrivals: Poisson(per_hour: 1.0), talk_s: Const(1.0))),\n";
    let portals: String = (0..10_000)
        .map(|i| portal.replace("{i}", &i.to_string()))
        .collect();
    let crowd = BASE.replace(
        "    ],\n    checks",
        &format!("{portals}    ],\n    checks"),
    );
    write("crowd.ron", crowd.as_bytes());
    problems.extend(refused(
        dir,
        "crowd.ron",
        &[],
        &[
            "crowd.ron:",
            ".agents",
            "at most 2000000 agents over all portals",
        ],
    ));

    // A 150 000-node topology under the scenario: all-pairs routing refused.
    write("chain.topology.ron", topology(150_000, 1).as_bytes());
    let sc = BASE
        .replace("topology: None", "topology: Some(\"chain.topology.ron\")")
        .replace("agents: 5,", "agents: 5, node: \"n0\",")
        .replace(
            "servers: [],",
            "servers: [], network: Network(media: Direct),",
        );
    write("huge_topology.ron", sc.as_bytes());
    problems.extend(refused(
        dir,
        "huge_topology.ron",
        &[],
        &[
            "huge_topology.ron:9:15",
            "topology",
            "routing tables",
            "--max-memory",
        ],
    ));

    // A million-node topology file: beyond the input cap.
    write("million.topology.ron", topology(1_000_000, 1).as_bytes());
    let o = telsim(&["routes", "million.topology.ron"], dir);
    if o.code != Some(2) || !o.stderr.contains("larger than") {
        problems.push(format!(
            "routes on a million nodes: {:?} {}",
            o.code, o.stderr
        ));
    }
    // 6000 nodes fit the input cap; their all-pairs table does not fit
    // the default memory limit.
    write("six_thousand.topology.ron", topology(6000, 1).as_bytes());
    let o = telsim(&["routes", "six_thousand.topology.ron"], dir);
    if o.code != Some(2) || !o.stderr.contains("--max-memory") || o.elapsed > TIMEOUT {
        problems.push(format!("routes on 6000 nodes: {:?} {}", o.code, o.stderr));
    }

    // --set with a deeply nested or huge value.
    write("base.ron", BASE.as_bytes());
    let deep = format!("servers={}{}", "[".repeat(50_000), "]".repeat(50_000));
    problems.extend(refused(
        dir,
        "base.ron",
        &["--set", &deep],
        &["--set", "nested deeper than 128"],
    ));
    let huge = format!("portals.acme.name=\"{}\"", "y".repeat(100_000));
    problems.extend(refused(
        dir,
        "base.ron",
        &["--set", &huge],
        &["portals.0.name", "at most 200 bytes"],
    ));

    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn byte_order_marks_and_crlf_line_ends_are_read_as_text() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("windows.ron");
    let mut text = b"\xEF\xBB\xBF".to_vec();
    text.extend(BASE.replace('\n', "\r\n").bytes());
    std::fs::write(&file, &text).unwrap();
    let o = telsim(&["check", file.to_str().unwrap()], tmp.path());
    assert_eq!(o.code, Some(0), "{}", o.stderr);
}

/// The limits are flags: lowered they refuse a normal scenario, raised they
/// let an absurd one through `check`, and malformed values are usage errors.
#[test]
fn resource_limits_can_be_lowered_and_raised() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let erlang_c = root.join("scenarios/erlang_c.ron");
    let absurd = root.join("tests/bad_inputs/hostile_horizon_rate.ron");
    let cwd = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| telsim(args, cwd.path());

    let o = run(&["check", erlang_c.to_str().unwrap(), "--max-events", "1e5"]);
    assert_eq!(o.code, Some(2), "{}", o.stderr);
    assert!(
        o.stderr.contains("erlang_c.ron:11:17: duration_s")
            && o.stderr.contains("limit of 100000 events"),
        "{}",
        o.stderr
    );
    let o = run(&["check", erlang_c.to_str().unwrap(), "--max-memory", "64K"]);
    assert_eq!(o.code, Some(2), "{}", o.stderr);
    assert!(o.stderr.contains("--max-memory"), "{}", o.stderr);

    let o = run(&[
        "check",
        absurd.to_str().unwrap(),
        "--max-events",
        "1e13",
        "--max-memory",
        "1000T",
    ]);
    assert_eq!(o.code, Some(0), "{}", o.stderr);

    let o = run(&["run", erlang_c.to_str().unwrap(), "--jobs", "100000"]);
    assert_eq!(o.code, Some(2), "{}", o.stderr);
    assert!(
        o.stderr.contains("--jobs must be at most 1024"),
        "{}",
        o.stderr
    );

    for bad in [
        ["--max-memory", "lots"],
        ["--max-events", "0"],
        ["--max-events", "NaN"],
    ] {
        let o = run(&["check", erlang_c.to_str().unwrap(), bad[0], bad[1]]);
        assert_eq!(o.code, Some(2), "{bad:?}: {}", o.stderr);
        assert!(o.stderr.contains(bad[0]), "{}", o.stderr);
    }
}

/// Paths that lead nowhere are bad input too: a link loop, a path through a
/// file, an empty topology path.
#[test]
fn paths_that_lead_nowhere_are_bad_input() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::os::unix::fs::symlink("b.ron", dir.join("a.ron")).unwrap();
    std::os::unix::fs::symlink("a.ron", dir.join("b.ron")).unwrap();
    std::fs::write(dir.join("plain.ron"), BASE).unwrap();
    let empty = BASE.replace("topology: None", "topology: Some(\"\")");
    std::fs::write(dir.join("empty_topology.ron"), empty).unwrap();
    for (file, want) in [
        ("a.ron", "a.ron"),
        ("plain.ron/inner.ron", "plain.ron/inner.ron"),
        ("empty_topology.ron", "empty_topology.ron:9:15: topology"),
    ] {
        let o = telsim(&["check", file], dir);
        assert_eq!(o.code, Some(2), "{file}: {}", o.stderr);
        assert!(o.stderr.contains(want), "{file}: {}", o.stderr);
    }
}
