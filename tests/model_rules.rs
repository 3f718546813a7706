//! Model rules that only show in a whole run, checked through the binary:
//! prepaid credit, failures of nodes, loop-free alternates in both media
//! directions, where callers give up, spread SIP refreshes, and transfers
//! that could not happen.

mod common;

use std::path::Path;

use common::{describe, telsim};

/// Writes `text` as `name` in `dir` and returns its path.
fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

/// Runs `scenario` into `dir/out` (quiet, extra args appended) and returns
/// the output folder; panics with the run's account unless it exits 0.
fn run(dir: &Path, scenario: &str, extra: &[&str]) -> std::path::PathBuf {
    let out = dir.join("out");
    let mut args = vec!["run", scenario, "--out", out.to_str().unwrap(), "-q"];
    args.extend_from_slice(extra);
    let o = telsim(&args);
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    out
}

/// Rows of a CSV file as maps from header to value.
fn rows(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_owned)
        .collect();
    lines
        .map(|l| {
            header
                .iter()
                .cloned()
                .zip(l.split(',').map(str::to_owned))
                .collect()
        })
        .collect()
}

const PREPAID: &str = r#"Scenario(
    name: "prepaid", seed: 3, replications: 3, duration_s: 7200.0,
    portals: [Portal(
        name: "p", currency: RUB, balance: 10.0, agents: 50,
        inbound: Traffic(arrivals: Poisson(per_hour: 0.001), talk_s: Exp(mean: 120.0)),
        outbound: Some(Outbound(
            per_agent_per_hour: 30.0,
            talk_s: Exp(mean: 110.0),
            destinations: [Destination(number: "8 (495) 445-11-20", share: 1.0)],
        )),
        tariffs: [Tariff(prefix: "7", per_min: 1.5)],
        cut_on_zero: true,
    )],
)"#;

/// 50 agents dialling out on 10 RUB at once: each connecting call holds the
/// credit its talk may use, so the calls together never spend more than the
/// balance (one 60 s increment at 1.5 RUB a minute is the most allowed).
#[test]
fn prepaid_calls_never_overdraw_the_balance() {
    let tmp = tempfile::tempdir().unwrap();
    let sc = write(tmp.path(), "prepaid.ron", PREPAID);
    let out = run(tmp.path(), &sc, &["--jobs", "1"]);
    let portals = rows(&out.join("portals.csv"));
    assert_eq!(portals.len(), 3);
    for r in &portals {
        let end: f64 = r["end_balance"].parse().unwrap();
        assert!(end >= -1.5, "end balance {end} RUB: {r:?}");
        let charged: f64 = r["charged"].parse().unwrap();
        assert!(charged <= 11.5, "charged {charged} RUB of 10");
        assert!(r["outbound_answered"].parse::<u32>().unwrap() >= 1);
    }
}

/// A 30 s greeting to callers who wait 20 s at most: patience runs from the
/// caller's first moment, so nearly all hang up during the greeting (counted
/// as `abandoned`, `abandoned_in` = greeting); with `patience_from: Queue`
/// the greeting does not use it up and nobody abandons there.
#[test]
fn callers_give_up_during_a_long_greeting() {
    let scenario = |from: &str| {
        format!(
            r#"Scenario(name: "greeting", seed: 5, duration_s: 7200.0, portals: [Portal(
                name: "p", agents: 30, greeting_s: Some(Const(30.0)),
                inbound: Traffic(arrivals: Poisson(per_hour: 600.0), talk_s: Exp(mean: 60.0),
                    patience_s: Some(Const(20.0)){from}))])"#
        )
    };
    let tmp = tempfile::tempdir().unwrap();
    let sc = write(tmp.path(), "a.ron", &scenario(""));
    let out = run(tmp.path(), &sc, &[]);
    let calls = rows(&out.join("calls.csv"));
    let n = calls.len();
    let in_greeting = calls
        .iter()
        .filter(|r| r["outcome"] == "abandoned" && r["abandoned_in"] == "greeting")
        .count();
    assert!(n > 1000, "{n} calls");
    assert!(
        in_greeting as f64 >= 0.99 * n as f64,
        "{in_greeting} of {n}"
    );
    assert!(calls
        .iter()
        .all(|r| (r["outcome"] == "abandoned") != (r["abandoned_in"] == "-")));

    let tmp = tempfile::tempdir().unwrap();
    let sc = write(tmp.path(), "q.ron", &scenario(", patience_from: Queue"));
    let out = run(tmp.path(), &sc, &[]);
    let calls = rows(&out.join("calls.csv"));
    assert!(calls.iter().all(|r| r["abandoned_in"] != "greeting"));
    let answered = calls.iter().filter(|r| r["outcome"] == "answered").count();
    assert!(answered as f64 > 0.9 * calls.len() as f64, "{answered}");
}

/// `share: 1.0` transfers every answered call unless it cannot: the talk
/// ends before `after_s`, no agent is free, or the target does not answer.
/// Every answered call is either transferred or counted under one reason,
/// in calls.csv and summary.csv alike.
#[test]
fn transfers_that_could_not_happen_are_counted_by_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let sc = write(
        tmp.path(),
        "t.ron",
        r#"Scenario(name: "xfer", seed: 11, replications: 1, duration_s: 14400.0, warmup_s: 0.0, portals: [Portal(
            name: "p", agents: 6,
            queue: Queue(policy: Evenly, ring_time_s: 10.0),
            transfers: Some(Transfers(share: 1.0, attended_share: 0.5, after_s: Exp(mean: 90.0),
                consult_s: Exp(mean: 20.0), target_talk_s: Exp(mean: 60.0))),
            inbound: Traffic(arrivals: Poisson(per_hour: 60.0), talk_s: Exp(mean: 120.0)),
            agent: Agent(answer_prob: 0.8, answer_delay_s: Uniform(min: 1.0, max: 4.0)))])"#,
    );
    let out = run(tmp.path(), &sc, &[]);
    let calls = rows(&out.join("calls.csv"));
    let mut by = std::collections::HashMap::<String, u32>::new();
    for r in calls.iter().filter(|r| !r["answer_s"].is_empty()) {
        // `-`: the column does not apply (no failed transfer).
        let key = if r["transfer_failed"] == "-" {
            assert!(
                r["transfer"] != "-",
                "neither transferred nor failed: {r:?}"
            );
            "transferred".to_owned()
        } else {
            r["transfer_failed"].clone()
        };
        *by.entry(key).or_default() += 1;
    }
    for reason in ["transferred", "short_talk", "no_free_agent", "no_answer"] {
        assert!(by.get(reason).copied().unwrap_or(0) > 0, "{reason}: {by:?}");
    }
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    for (metric, key) in [
        ("transferred", "transferred"),
        ("transfer_failed_short_talk", "short_talk"),
        ("transfer_failed_no_free_agent", "no_free_agent"),
        ("transfer_failed_no_answer", "no_answer"),
    ] {
        let line = summary
            .lines()
            .find(|l| l.starts_with(&format!("p,{metric},")))
            .unwrap_or_else(|| panic!("{metric} in summary.csv"));
        let v: f64 = line.split(',').nth(2).unwrap().parse().unwrap();
        assert_eq!(v, f64::from(by[key]), "{metric}");
    }
}

/// After sip-1's restart its phones re-register within 5 s; each refresh is
/// then drawn in [0.5, 0.9] of the hour-long lifetime, so the refreshes of
/// the next periods spread out instead of coming back as one burst (with a
/// fixed 90% refresh the burst and its refusals repeat every 3 240 s).
#[test]
fn sip_refreshes_do_not_repeat_a_storm() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run(
        tmp.path(),
        &common::scenario("register_storm"),
        &["--replications", "1", "--set", "portals.0.copies=20"],
    );
    let rows = rows(&out.join("intervals.csv"));
    let sip1: Vec<_> = rows
        .iter()
        .filter(|r| r["scope"] == "sip-1")
        .map(|r| {
            let at: f64 = r["interval_start_s"].parse().unwrap();
            let n: u32 = r["registers"].parse().unwrap();
            let refused: u32 = r["register_rejects"].parse().unwrap();
            (at, n, refused)
        })
        .collect();
    let after: Vec<_> = sip1.iter().filter(|r| r.0 >= 4500.0).collect();
    let total: u32 = after.iter().map(|r| r.1).sum();
    let peak = after.iter().map(|r| r.1).max().unwrap();
    let refused: u32 = after.iter().map(|r| r.2).sum();
    assert!(total > 200, "{total} refreshes after the storm");
    assert!(peak <= 40, "{peak} REGISTERs in one minute of {total}");
    assert_eq!(refused, 0, "refusals after the storm");
}

/// `two_dc.ron` with media relayed by `media-fra` (on node fra) or
/// `media-eu` (on eu), one SIP server on msk, and the timed events given.
fn two_dc(events: &str) -> String {
    format!(
        r#"Scenario(name: "nodes", seed: 21, replications: 1, duration_s: 10800.0, warmup_s: 0.0,
    topology: Some("{topo}"),
    network: Network(media: Relayed, detection_s: 0.15, reconvergence_s: 5.0, drop_gap_s: 10.0),
    events: [{events}],
    servers: [
        Server(name: "sip-msk", kind: Sip, node: "msk"),
        Server(name: "media-fra", kind: Media, node: "fra"),
        Server(name: "media-eu", kind: Media, node: "eu"),
    ],
    portals: [Portal(name: "moscow", node: "office", callers_node: "pstn", agents: 40,
        inbound: Traffic(arrivals: Poisson(per_hour: 600.0), talk_s: Exp(mean: 180.0)))],
)"#,
        topo = common::root().join("topologies/two_dc.ron").display()
    )
}

fn secs(r: &std::collections::HashMap<String, String>, col: &str) -> Option<f64> {
    r[col].parse().ok()
}

/// FailNode on a media server's node takes the server out of service for
/// as long as the node is down, exactly as FailServer does: its calls are
/// dropped at the failure, new calls are relayed by the other media server
/// (none sends packets into a dead node), and it serves again after.
#[test]
fn a_failed_node_takes_its_media_server_down() {
    let (fail, back) = (3600.0, 5400.0);
    for events in [
        r#"FailNode(node: "fra", at_s: 3600.0), RecoverNode(node: "fra", at_s: 5400.0)"#,
        r#"FailServer(server: "media-fra", at_s: 3600.0), RecoverServer(server: "media-fra", at_s: 5400.0)"#,
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let sc = write(tmp.path(), "n.ron", &two_dc(events));
        let out = run(tmp.path(), &sc, &[]);
        let calls = rows(&out.join("calls.csv"));
        let on_fra =
            |r: &&std::collections::HashMap<String, String>| r["media_server"] == "media-fra";
        let mut cut = 0;
        for r in calls.iter().filter(on_fra) {
            let (arrival, end) = (secs(r, "arrival_s").unwrap(), secs(r, "end_s").unwrap());
            assert!(
                !(fail..back).contains(&arrival),
                "{events}: a call arriving at {arrival} s was relayed by media-fra"
            );
            if arrival < fail && end >= fail {
                assert_eq!(end, fail, "{events}: {r:?}");
                assert_eq!(r["outcome"], "dropped", "{events}: {r:?}");
                cut += 1;
            }
            if !r["rtp_sent"].is_empty() && r["rtp_sent"] != "0" {
                assert_ne!(
                    r["rtp_received"], "0",
                    "{events}: media into a dead node: {r:?}"
                );
            }
        }
        assert!(cut > 5, "{events}: {cut} calls cut");
        let during = calls
            .iter()
            .filter(|r| (fail..back).contains(&secs(r, "arrival_s").unwrap()))
            .filter(|r| r["outcome"] == "answered")
            .count();
        assert!(during > 100, "{events}: {during} calls answered while down");
        assert!(
            calls
                .iter()
                .filter(on_fra)
                .any(|r| secs(r, "arrival_s").unwrap() > back),
            "{events}: media-fra serves again"
        );
    }
}

/// FailNode on the SIP server's node takes the SIP server down, as
/// FailServer does: calls in progress on it are dropped at once and calls
/// arriving meanwhile are blocked (no INVITE sent into a dead node to time
/// out 32 s later).
#[test]
fn a_failed_node_takes_its_sip_server_down() {
    let (fail, back) = (3600.0, 4200.0);
    let tmp = tempfile::tempdir().unwrap();
    let sc = write(
        tmp.path(),
        "s.ron",
        &two_dc(r#"FailNode(node: "msk", at_s: 3600.0), RecoverNode(node: "msk", at_s: 4200.0)"#),
    );
    let out = run(tmp.path(), &sc, &[]);
    let calls = rows(&out.join("calls.csv"));
    let mut cut = 0;
    for r in &calls {
        let (arrival, end) = (secs(r, "arrival_s").unwrap(), secs(r, "end_s").unwrap());
        if arrival < fail && end >= fail {
            assert_eq!((end, r["outcome"].as_str()), (fail, "dropped"), "{r:?}");
            cut += 1;
        }
        if (fail..back).contains(&arrival) {
            assert_eq!(r["outcome"], "blocked", "{r:?}");
        }
        assert_ne!(r["outcome"], "failed", "{r:?}");
    }
    assert!(cut > 20, "{cut} calls cut");
    assert!(calls
        .iter()
        .any(|r| secs(r, "arrival_s").unwrap() > back && r["outcome"] == "answered"));
}

/// Two equal-cost ways between the callers' node `a` and the office `d`:
/// the tie-break sends a → d over p–q and d → a over s–r, so failing r–s
/// cuts only the agent → caller direction, and s has no loop-free
/// alternate towards a (`telsim routes` says so). That direction's verdict
/// is a reconvergence gap (5 s), and the call's `media_gap_s` is the longer
/// of its two directions' gaps.
#[test]
fn each_media_direction_gets_its_own_repair_verdict() {
    let tmp = tempfile::tempdir().unwrap();
    let link = |a: &str, b: &str| {
        format!(
            r#"Link(a: "{a}", b: "{b}", delay_ms: 5.0, jitter_ms: 0.5, loss: 0.0, capacity_mbps: 1000.0),"#
        )
    };
    let topo = format!(
        r#"Topology(nodes: [Node(name: "a", kind: PstnGateway), Node(name: "p", kind: Region),
            Node(name: "r", kind: Region), Node(name: "s", kind: Region), Node(name: "q", kind: Region),
            Node(name: "d", kind: Office)],
            links: [{}{}{}{}{}{}])"#,
        link("a", "p"),
        link("p", "q"),
        link("q", "d"),
        link("a", "r"),
        link("r", "s"),
        link("s", "d")
    );
    let topo_path = write(tmp.path(), "ring.ron", &topo);
    let o = telsim(&["routes", &topo_path]);
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    let table = String::from_utf8_lossy(&o.stdout);
    for row in ["a,d,15,p,a|p|q|d,", "d,a,15,s,d|s|r|a,", "s,a,10,r,s|r|a,,"] {
        assert!(table.contains(row), "{row} in\n{table}");
    }
    let sc = write(
        tmp.path(),
        "sc.ron",
        r#"Scenario(name: "asym", seed: 4, replications: 1, duration_s: 7200.0, warmup_s: 0.0,
            topology: Some("ring.ron"),
            network: Network(media: Direct, detection_s: 0.15, reconvergence_s: 5.0, drop_gap_s: 10.0),
            events: [FailLink(a: "r", b: "s", at_s: 3600.0)],
            servers: [Server(name: "sip", kind: Sip, node: "a")],
            portals: [Portal(name: "office", node: "d", callers_node: "a", agents: 30,
                inbound: Traffic(arrivals: Poisson(per_hour: 400.0), talk_s: Exp(mean: 180.0)))])"#,
    );
    let out = run(tmp.path(), &sc, &[]);
    let calls = rows(&out.join("calls.csv"));
    let mut through = 0;
    for r in &calls {
        let (Some(answer), Some(end)) = (secs(r, "answer_s"), secs(r, "end_s")) else {
            continue;
        };
        let gap = secs(r, "media_gap_s").unwrap();
        if answer < 3600.0 && end > 3605.0 {
            assert_eq!(gap, 5.0, "{r:?}");
            through += 1;
        } else if end < 3600.0 || answer > 3600.0 {
            assert_eq!(gap, 0.0, "{r:?}");
        }
    }
    assert!(through >= 5, "{through} calls through the failure");
}
