//! End-to-end checks of the platform and money model (issue #4), on the
//! shipped scenarios and the real binary: the alert rules compare as the
//! model says, money is conserved per portal and currency, a lazy rollout
//! spares the controller, and the per-call log matches calls.csv.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

type Row = BTreeMap<String, String>;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(name: &str, out: &Path, extra: &[&str]) -> Output {
    let scenario = root().join("scenarios").join(format!("{name}.ron"));
    let o = Command::new(env!("CARGO_BIN_EXE_telsim"))
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .args(extra)
        .output()
        .expect("the telsim binary runs");
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "telsim run {name} {extra:?}: {:?}\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn rows(path: &Path) -> Vec<Row> {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            headers
                .iter()
                .zip(rec.iter())
                // `-` is the "does not apply" of text columns.
                .map(|(h, v)| (h.to_string(), if v == "-" { "" } else { v }.to_string()))
                .collect()
        })
        .collect()
}

/// A decimal amount with two places as exact minor units.
fn cents(s: &str) -> i64 {
    if s.is_empty() {
        return 0;
    }
    let neg = s.starts_with('-');
    let (whole, frac) = s
        .trim_start_matches('-')
        .split_once('.')
        .expect("two decimals");
    assert_eq!(frac.len(), 2, "amount {s:?} has two decimals");
    let v = whole.parse::<i64>().unwrap() * 100 + frac.parse::<i64>().unwrap();
    if neg {
        -v
    } else {
        v
    }
}

/// Mean of a numeric column over the rows of one portal (empty cells skipped).
fn mean_of(rows: &[Row], portal: &str, col: &str) -> f64 {
    let v: Vec<f64> = rows
        .iter()
        .filter(|r| r["portal"] == portal && !r[col].is_empty())
        .map(|r| r[col].parse().unwrap())
        .collect();
    assert!(!v.is_empty(), "no {col} for {portal}");
    v.iter().sum::<f64>() / v.len() as f64
}

#[test]
fn balance_alert_rules_and_money_conservation() {
    let tmp = tempfile::tempdir().unwrap();
    run("balance_alerts", tmp.path(), &["--replications", "4"]);
    let portals = rows(&tmp.path().join("portals.csv"));
    // calls.csv is big (a month of a call centre): one streaming pass,
    // columns by index, sums per (replication, portal).
    let mut reader = csv::Reader::from_path(tmp.path().join("calls.csv")).unwrap();
    let h = reader.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|x| x == name).unwrap();
    let (c_rep, c_id, c_portal, c_dir) = (
        col("replication"),
        col("call_id"),
        col("portal"),
        col("direction"),
    );
    let (c_talk, c_out, c_charge) = (col("talk_s"), col("outcome"), col("charge"));
    let mut charges: BTreeMap<(String, String), i64> = BTreeMap::new();
    let mut seen = BTreeSet::new();
    let mut refused = 0u64;
    for rec in reader.records() {
        let c = rec.unwrap();
        // No call is charged twice: one row per call, charges only on
        // outbound calls that talked, and every answered outbound call to a
        // priced number paid.
        assert!(seen.insert((
            c[c_rep].parse::<u32>().unwrap(),
            c[c_id].parse::<u64>().unwrap()
        )));
        let charge = cents(&c[c_charge]);
        let talked = !c[c_talk].is_empty() && c[c_talk].parse::<f64>().unwrap() > 0.0;
        let outbound = &c[c_dir] == "outbound";
        assert_eq!(charge != 0, talked && outbound, "{c:?}");
        *charges
            .entry((c[c_rep].to_string(), c[c_portal].to_string()))
            .or_default() += charge;
        refused += (&c[c_out] == "rejected_balance") as u64;
    }
    let alerts = rows(&tmp.path().join("alerts.csv"));
    assert_eq!(portals.len(), 4 * 4);

    // What the scenario's header claims, read from the model's output.
    let lead = |p| mean_of(&portals, p, "mean_lead_h");
    assert!(
        lead("centre_adaptive") > 2.0 * lead("centre_fixed"),
        "adaptive warns the busy centre earlier: {} h vs {} h",
        lead("centre_adaptive"),
        lead("centre_fixed")
    );
    let sent = |p| mean_of(&portals, p, "alerts");
    assert!(
        sent("shop_adaptive") * 5.0 < sent("shop_fixed"),
        "adaptive spares the small shop: {} vs {} messages",
        sent("shop_adaptive"),
        sent("shop_fixed")
    );
    let zero = |p| mean_of(&portals, p, "zero_balance_h");
    assert!(zero("centre_fixed") > 0.0 && zero("centre_adaptive") == 0.0);

    // Money: per replication and portal, the balance moves only by charges
    // and top-ups; the charges are exactly the calls' charges (this scenario
    // rents no numbers) and the top-ups exactly alerts.csv's payments.
    let mut by_currency: BTreeMap<&str, (i64, i64, i64, i64)> = BTreeMap::new();
    for p in &portals {
        let (start, charged, topped, end) = (
            cents(&p["start_balance"]),
            cents(&p["charged"]),
            cents(&p["topped_up"]),
            cents(&p["end_balance"]),
        );
        assert_eq!(start - charged + topped, end, "books of {p:?}");
        let key = |r: &Row| (r["replication"].clone(), r["portal"].clone());
        let mine = |r: &&Row| key(r) == key(p);
        let call_charges = charges.get(&key(p)).copied().unwrap_or(0);
        assert_eq!(call_charges, charged, "calls.csv charges of {p:?}");
        let paid: i64 = alerts
            .iter()
            .filter(mine)
            .filter(|a| a["event"] == "top_up")
            .map(|a| cents(&a["amount"]))
            .sum();
        assert_eq!(paid, topped, "alerts.csv top-ups of {p:?}");
        let e = by_currency.entry(p["currency"].as_str()).or_default();
        *e = (e.0 + start, e.1 + charged, e.2 + topped, e.3 + end);
    }
    for (cur, (start, charged, topped, end)) in by_currency {
        assert_eq!(start - charged + topped, end, "{cur}");
    }

    let refused_csv: u64 = portals
        .iter()
        .map(|p| p["rejected_balance"].parse::<u64>().unwrap())
        .sum();
    assert_eq!(refused, refused_csv);
    assert!(
        refused > 0,
        "the fixed rule leaves the centre without money sometimes"
    );
}

#[test]
fn lazy_rollout_keeps_the_controller_peak_well_under_eager() {
    let tmp = tempfile::tempdir().unwrap();
    run(
        "rollout",
        tmp.path(),
        &["--replications", "2", "--no-calls"],
    );
    let iv = rows(&tmp.path().join("intervals.csv"));
    let platform: Vec<&Row> = iv.iter().filter(|r| r["scope"] == "platform").collect();
    let t = |r: &Row| r["interval_start_s"].parse::<f64>().unwrap();
    let f = |r: &Row, c: &str| r[c].parse::<f64>().unwrap_or(0.0);
    // Version 2 ships lazily at 3 600 s, version 3 eagerly at 10 800 s.
    let lazy: Vec<&&Row> = platform
        .iter()
        .filter(|r| (3600.0..10800.0).contains(&t(r)))
        .collect();
    let eager: Vec<&&Row> = platform
        .iter()
        .filter(|r| (10800.0..18000.0).contains(&t(r)))
        .collect();
    let peak = |rs: &[&&Row], c: &str| rs.iter().map(|r| f(r, c)).fold(0.0, f64::max);
    let sum = |rs: &[&&Row], c: &str| rs.iter().map(|r| f(r, c)).sum::<f64>();
    assert!(
        peak(&lazy, "ctrl_load") * 2.0 < peak(&eager, "ctrl_load"),
        "lazy peak {} vs eager peak {}",
        peak(&lazy, "ctrl_load"),
        peak(&eager, "ctrl_load")
    );
    // A few provisioning requests time out on their own (log-normal tail
    // past the 5 s timeout); the eager storm times out thousands.
    assert!(
        sum(&lazy, "ctrl_timeouts") * 100.0 < sum(&eager, "ctrl_timeouts"),
        "timeouts lazy {} eager {}",
        sum(&lazy, "ctrl_timeouts"),
        sum(&eager, "ctrl_timeouts")
    );
    assert!(peak(&eager, "ctrl_max_wait_ms") > 5000.0);
    // Both rollouts reach (nearly) every account: 2 000 per replication.
    for rs in [&lazy, &eager] {
        let upgraded = sum(rs, "upgraded") / 2.0;
        assert!((1950.0..=2000.0).contains(&upgraded), "upgraded {upgraded}");
    }
}

/// The last line of a call's log restates its calls.csv row.
fn check_trace_against_row(trace: &str, row: &Row) {
    let id = &row["call_id"];
    let lines: Vec<&str> = trace
        .lines()
        .filter(|l| l.contains(&format!(" call {id} ")))
        .collect();
    assert!(lines.len() >= 2, "call {id}: {trace}");
    let last = lines.last().unwrap();
    assert!(last.contains("hangup ("), "{last}");
    assert!(
        last.contains(&format!("outcome {}", row["outcome"])),
        "{last} vs {row:?}"
    );
    assert!(
        last.contains(&format!("[{:>12}]", row["end_s"])),
        "{last} vs {row:?}"
    );
    for (col, label) in [("wait_s", "wait"), ("talk_s", "talk"), ("agent", "agent")] {
        if !row[col].is_empty() {
            let want = match col {
                "agent" => format!("agent {}", row[col]),
                _ => format!("{label} {} s", row[col]),
            };
            assert!(last.contains(&want), "{last} lacks {want:?}");
        }
    }
    // The first line is the arrival, at arrival_s.
    assert!(
        lines[0].contains(&format!("[{:>12}]", row["arrival_s"])),
        "{}",
        lines[0]
    );
    // Times never go backwards in the log.
    let stamps: Vec<f64> = lines
        .iter()
        .map(|l| {
            let a = l.find('[').unwrap() + 1;
            let b = l.find(']').unwrap();
            l[a..b].trim().parse().unwrap()
        })
        .collect();
    assert!(stamps.windows(2).all(|w| w[0] <= w[1]), "{lines:?}");
}

#[test]
fn a_traced_call_reads_like_the_provider_log_and_matches_its_row() {
    let tmp = tempfile::tempdir().unwrap();
    run(
        "call_centre",
        tmp.path(),
        &["--replications", "1", "--trace", "1002"],
    );
    let trace = std::fs::read_to_string(tmp.path().join("trace.log")).unwrap();
    let calls = rows(&tmp.path().join("calls.csv"));
    let row = calls.iter().find(|r| r["call_id"] == "1002").unwrap();
    check_trace_against_row(&trace, row);
    // The steps of the provider's scenario are all there, in order.
    let order = [
        "incoming call (INVITE)",
        "settings loaded",
        "greeting played",
        "extension code",
    ];
    let mut at = 0;
    for step in order {
        let found = trace[at..]
            .find(step)
            .unwrap_or_else(|| panic!("no {step:?} after {at}:\n{trace}"));
        at += found;
    }
    assert!(
        trace.lines().all(|l| l.contains(" call 1002 pizza: ")),
        "{trace}"
    );
}

#[test]
fn tracing_a_portal_logs_each_of_its_calls_once_to_the_end() {
    let tmp = tempfile::tempdir().unwrap();
    run(
        "call_centre",
        tmp.path(),
        &[
            "--replications",
            "1",
            "--trace-portal",
            "support",
            "--set",
            "duration_s=43200.0",
        ],
    );
    let trace = std::fs::read_to_string(tmp.path().join("trace.log")).unwrap();
    let calls = rows(&tmp.path().join("calls.csv"));
    let support: Vec<&Row> = calls.iter().filter(|r| r["portal"] == "support").collect();
    assert!(support.iter().any(|r| r["direction"] == "outbound"));
    assert_eq!(
        trace.lines().filter(|l| l.contains(": hangup (")).count(),
        support.len()
    );
    for row in support.iter().take(200) {
        check_trace_against_row(&trace, row);
    }
    assert!(!trace.contains(" pizza: ") && !trace.contains(" clinic: "));
    // An unknown portal is bad input.
    let o = Command::new(env!("CARGO_BIN_EXE_telsim"))
        .args([
            "run",
            "scenarios/call_centre.ron",
            "--trace-portal",
            "nope",
            "--out",
        ])
        .arg(tmp.path())
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown portal 'nope'"));
}

mod money_properties {
    use proptest::prelude::*;
    use std::collections::BTreeSet;
    use telsim::model::{run_replication, CallRecord, Direction, Outcome};

    /// A random portal with outbound calls, tariffs, inbound billing, rent,
    /// an alert rule and top-ups, as scenario text.
    #[derive(Clone, Copy)]
    struct Knobs {
        per_min: [u32; 2],
        increment: u32,
        cut: bool,
        adaptive: bool,
        topup: u32,
        inbound_per_min: u32,
    }

    fn portal(i: usize, balance: u32, k: &Knobs) -> String {
        let Knobs {
            per_min,
            increment,
            cut,
            adaptive,
            topup,
            inbound_per_min,
        } = *k;
        format!(
            r#"Portal(
                name: "p{i}", currency: {cur}, balance: {b}, agents: 3,
                inbound: Traffic(arrivals: Poisson(per_hour: 6.0), talk_s: Exp(mean: 90.0)),
                inbound_per_min: {inb},
                numbers: 2, number_fee_month: 3.5,
                outbound: Some(Outbound(per_agent_per_hour: 4.0, talk_s: Exp(mean: 80.0),
                    destinations: [Destination(number: "8 495 445 11 20"), Destination(number: "+44 20 7946 0000", share: 0.5)])),
                tariffs: [Tariff(prefix: "7", per_min: {a}, increment_s: {inc}, connection: 0.05),
                          Tariff(prefix: "", per_min: {c}, increment_s: 1)],
                cut_on_zero: {cut},
                alert: Some({alert}),
                topup: Some(TopUp(delay_h: Exp(mean: 3.0), amount: Fixed({t}))),
            )"#,
            cur = ["RUB", "UAH", "USD", "EUR"][i % 4],
            b = f64::from(balance) / 100.0,
            inb = f64::from(inbound_per_min) / 100.0,
            a = f64::from(per_min[0]) / 100.0,
            c = f64::from(per_min[1]) / 100.0,
            inc = increment,
            alert = if adaptive {
                "Adaptive(days_of_cover: 1.0)"
            } else {
                "Fixed(threshold: 3.0)"
            },
            t = f64::from(topup) / 100.0,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        /// Sum of charges per portal equals the balance change minus
        /// top-ups, per currency; each call appears once and pays at most
        /// once, and only for talk.
        #[test]
        fn money_is_conserved_and_no_call_is_charged_twice(
            seed in 0u64..1000,
            balances in proptest::collection::vec(0u32..3000, 1..4),
            per_min in (0u32..400, 0u32..400),
            increment in prop::sample::select(vec![1u32, 6, 60]),
            cut in any::<bool>(),
            adaptive in any::<bool>(),
            topup in 1u32..5000,
            inbound_per_min in prop::sample::select(vec![0u32, 0, 25]),
        ) {
            let portals: Vec<String> = balances
                .iter()
                .enumerate()
                .map(|(i, &b)| {
                    let k = Knobs { per_min: [per_min.0, per_min.1], increment, cut, adaptive, topup, inbound_per_min };
                    portal(i, b, &k)
                })
                .collect();
            let text = format!(
                "Scenario(name: \"money\", seed: {seed}, replications: 1, duration_s: 172800.0, interval_s: 3600.0, portals: [{}])",
                portals.join(",")
            );
            let model = telsim::model_from_str(&text, "money.ron").expect("valid");
            let (res, recs) = run_replication(&model, 0, Vec::<CallRecord>::new(), |_| std::ops::ControlFlow::Continue(())).unwrap();
            let mut ids = BTreeSet::new();
            for r in &recs {
                prop_assert!(ids.insert(r.call_id), "call {} twice", r.call_id);
                let talked = r.talk().is_some_and(|t| t.micros() > 0);
                if r.charge != 0 {
                    // Connection fees make even a zero-second answer cost.
                    prop_assert!(r.charge > 0 && r.answer.is_some(), "{r:?}");
                }
                if r.outcome == Outcome::CreditEnded {
                    prop_assert!(talked, "cut before it started: {r:?}");
                }
                if r.direction == Direction::Outbound && talked && per_min.0 >= 100 && per_min.1 >= 100 {
                    // At 1.00 a minute or more even one second costs a minor unit.
                    prop_assert!(r.charge > 0, "an outbound call talked for free: {r:?}");
                }
                if r.outcome == Outcome::CreditEnded {
                    prop_assert!(cut);
                }
            }
            for row in &res.portals {
                prop_assert_eq!(row.start_balance - row.charged + row.topped_up, row.end_balance);
                let calls: i64 = recs.iter().filter(|r| r.portal == row.portal).map(|r| r.charge).sum();
                // Rent: 2 numbers at 3.50 a month, charged at the start.
                prop_assert_eq!(calls + 700, row.charged, "portal {}", row.portal);
                prop_assert_eq!(row.outbound.calls as usize,
                    recs.iter().filter(|r| r.portal == row.portal && r.direction == Direction::Outbound).count());
            }
        }
    }
}

#[test]
fn transfers_account_talk_per_leg() {
    let tmp = tempfile::tempdir().unwrap();
    run(
        "call_centre",
        tmp.path(),
        &["--replications", "2", "--trace-portal", "support"],
    );
    let calls = rows(&tmp.path().join("calls.csv"));
    let trace = std::fs::read_to_string(tmp.path().join("trace.log")).unwrap();
    let f = |r: &Row, c: &str| r[c].parse::<f64>().unwrap();
    let mut kinds = BTreeSet::new();
    for r in calls.iter().filter(|r| !r["transfer"].is_empty()) {
        kinds.insert(r["transfer"].clone());
        assert_eq!(r["portal"], "support", "only support transfers: {r:?}");
        assert_ne!(r["agent"], r["transfer_to"], "{r:?}");
        let (l1, cons, l3) = (f(r, "leg1_talk_s"), f(r, "consult_s"), f(r, "leg3_talk_s"));
        assert!(l1 > 0.0 && cons >= 0.0 && l3 >= 0.0, "{r:?}");
        // The legs fit in the call: leg 1, then the target's ring (blind) or
        // the consultation, then leg 3.
        assert!(l1 + cons + l3 <= f(r, "talk_s") + 1e-6, "{r:?}");
        if r["transfer"] == "blind" {
            assert_eq!(cons, 0.0, "{r:?}");
        }
        if r["outcome"] == "answered" && r["replication"] == "0" {
            // Every leg saw TransferComplete: the log says so for this call.
            let id = &r["call_id"];
            assert!(
                trace
                    .lines()
                    .any(|l| l.contains(&format!(" call {id} ")) && l.contains("TransferComplete")),
                "call {id}"
            );
        }
    }
    assert_eq!(
        kinds.len(),
        2,
        "both blind and attended transfers happen: {kinds:?}"
    );
}

#[test]
fn a_sip_server_restart_causes_a_registration_burst() {
    let tmp = tempfile::tempdir().unwrap();
    run(
        "register_storm",
        tmp.path(),
        &["--replications", "2", "--no-calls"],
    );
    let iv = rows(&tmp.path().join("intervals.csv"));
    let t = |r: &Row| r["interval_start_s"].parse::<f64>().unwrap();
    let n = |r: &Row, c: &str| r[c].parse::<f64>().unwrap_or(0.0);
    for rep in ["0", "1"] {
        let sip1: Vec<&Row> = iv
            .iter()
            .filter(|r| r["replication"] == rep && r["scope"] == "sip-1")
            .collect();
        let platform: Vec<&Row> = iv
            .iter()
            .filter(|r| r["replication"] == rep && r["scope"] == "platform")
            .collect();
        // Every phone registers once at the start without a refusal (40/s
        // over a minute is room for 2 400).
        let first: f64 = sip1
            .iter()
            .filter(|r| t(r) < 60.0)
            .map(|r| n(r, "registers"))
            .sum();
        assert_eq!(first, 1200.0, "replication {rep}");
        // While down, every attempt is refused; the restart minute takes at
        // most 40 a second and refuses the rest of the burst.
        let down: Vec<&&Row> = sip1
            .iter()
            .filter(|r| (3600.0..3900.0).contains(&t(r)))
            .collect();
        assert!(down.iter().all(|r| n(r, "registers") == 0.0));
        let restart = sip1.iter().find(|r| t(r) == 3900.0).unwrap();
        assert!(n(restart, "registers") <= 40.0 * 60.0);
        assert!(n(restart, "register_rejects") > 500.0, "{restart:?}");
        // Agents go offline with the server and are all back within minutes.
        let offline = |from: f64, to: f64| {
            platform
                .iter()
                .filter(|r| (from..to).contains(&t(r)))
                .map(|r| n(r, "offline_agents"))
                .fold(0.0, f64::max)
        };
        assert_eq!(offline(60.0, 3540.0), 0.0);
        assert!(offline(3600.0, 3900.0) > 800.0);
        assert_eq!(offline(4200.0, 10800.0), 0.0);
        // Callers notice: service level dips while the phones are away.
        let sl = |from: f64, to: f64| {
            let rs: Vec<f64> = platform
                .iter()
                .filter(|r| (from..to).contains(&t(r)))
                .map(|r| n(r, "service_level"))
                .collect();
            rs.iter().sum::<f64>() / rs.len() as f64
        };
        assert!(
            sl(3780.0, 3960.0) + 0.1 < sl(600.0, 3500.0),
            "replication {rep}"
        );
    }
}

mod platform_properties {
    use proptest::prelude::*;
    use std::collections::BTreeSet;
    use telsim::model::{run_replication, CallRecord};

    #[derive(Debug, Clone)]
    struct Knobs {
        seed: u64,
        agents: u32,
        policy: &'static str,
        controller: Option<(u32, u32, bool)>,
        steps: (bool, u32, u32, u32),
        outbound: u32,
        transfers: u32,
        phones: u32,
        failure: bool,
    }

    fn scenario(k: &Knobs) -> String {
        let controller = match k.controller {
            None => "None".to_string(),
            Some((workers, timeout, eager)) => format!(
                "Some(Controller(workers: {workers}, lookup_s: Exp(mean: 0.3), upgrade_s: Exp(mean: 1.0), \
                 timeout_s: {timeout}.0, balance_polls_per_portal_h: 3.0, \
                 rollouts: [Rollout(at_s: 1800.0, version: 2{})], slowdowns: [Slowdown(from_s: 600.0, until_s: 900.0, factor: 20.0)]))",
                if eager { ", eager_per_s: Some(2.0)" } else { "" }
            ),
        };
        let (worktime, greeting, ext, crm) = k.steps;
        let portal = |i: usize| {
            format!(
                r#"Portal(name: "p{i}", agents: {agents}, balance: 30.0,
                    queue: Queue(policy: {policy}, ring_time_s: 8.0, max_wait_s: Some(120.0)),
                    inbound: Traffic(arrivals: Poisson(per_hour: 90.0), talk_s: Exp(mean: 60.0), patience_s: Some(Exp(mean: 50.0))),
                    agent: Agent(answer_prob: 0.8, answer_delay_s: Uniform(min: 0.0, max: 6.0), wrapup_s: Exp(mean: 5.0)),
                    worktime: {wt}, blacklist_share: 0.05, greeting_s: {gr},
                    extensions: {ex}, crm: {cr},
                    outbound: {ob}, tariffs: [Tariff(prefix: "", per_min: 2.5, connection: 0.1)],
                    cut_on_zero: true, alert: Some(Adaptive(days_of_cover: 0.1)),
                    topup: Some(TopUp(delay_h: Exp(mean: 0.2), amount: Fixed(20.0))),
                    transfers: {tr}, devices: {dv})"#,
                agents = k.agents,
                policy = k.policy,
                wt = if worktime {
                    "Some(Worktime(days: [Mon], open_h: 0.5, close_h: 1.5))"
                } else {
                    "None"
                },
                gr = if greeting > 0 {
                    format!("Some(Uniform(min: 0.0, max: {greeting}.0))")
                } else {
                    "None".into()
                },
                ex = if ext > 0 {
                    format!("Some(Extensions(share: 0.{ext}, fallback: Queue))")
                } else {
                    "None".into()
                },
                cr = if crm > 0 {
                    format!("Some(Crm(known_share: 0.{crm}))")
                } else {
                    "None".into()
                },
                ob = if k.outbound > 0 {
                    format!("Some(Outbound(per_agent_per_hour: {}.0, talk_s: Exp(mean: 40.0), destinations: [Destination(number: \"8 495 445 11 20\")]))", k.outbound)
                } else {
                    "None".into()
                },
                tr = if k.transfers > 0 {
                    format!("Some(Transfers(share: 0.{}, after_s: Exp(mean: 20.0), target_talk_s: Exp(mean: 30.0)))", k.transfers)
                } else {
                    "None".into()
                },
                dv = if k.phones > 0 {
                    format!("Some(Devices(sip_phones: 0.{}, expires_s: 600.0, retry_s: Exp(mean: 20.0)))", k.phones)
                } else {
                    "None".into()
                },
            )
        };
        format!(
            r#"Scenario(name: "biz", seed: {seed}, replications: 1, duration_s: 7200.0, interval_s: 600.0,
                controller: {controller},
                servers: [Server(name: "s1", max_calls: Some(30), max_registers_per_s: Some(2)), Server(name: "s2", max_registers_per_s: Some(2))],
                events: [{events}],
                portals: [{p0}, {p1}])"#,
            seed = k.seed,
            events = if k.failure {
                r#"FailServer(server: "s1", at_s: 2000.0), RecoverServer(server: "s1", at_s: 2300.0)"#
            } else {
                ""
            },
            p0 = portal(0),
            p1 = portal(1),
        )
    }

    fn knobs() -> impl Strategy<Value = Knobs> {
        (
            (
                0u64..10_000,
                2u32..8,
                prop::sample::select(vec!["Evenly", "Strictly", "All"]),
            ),
            prop::option::of((1u32..4, 1u32..6, any::<bool>())),
            (any::<bool>(), 0u32..10, 0u32..6, 0u32..8),
            (0u32..20, 0u32..8, 0u32..9, any::<bool>()),
        )
            .prop_map(
                |(
                    (seed, agents, policy),
                    controller,
                    steps,
                    (outbound, transfers, phones, failure),
                )| Knobs {
                    seed,
                    agents,
                    policy,
                    controller,
                    steps,
                    outbound,
                    transfers,
                    phones,
                    failure,
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 32, failure_persistence: None, ..ProptestConfig::default() })]

        /// Every feature of the platform at once, at random: the always-on
        /// invariants hold (calls conserved, no agent on two calls, time
        /// forward, balances conserved per portal and currency, packets) and
        /// every call leaves exactly one record.
        #[test]
        fn every_platform_feature_together_keeps_the_invariants(k in knobs()) {
            let text = scenario(&k);
            let model = telsim::model_from_str(&text, "biz.ron")
                .unwrap_or_else(|e| panic!("{e}\n{text}"));
            let (res, recs) = run_replication(&model, 0, Vec::<CallRecord>::new(), |_| {
                std::ops::ControlFlow::Continue(())
            })
            .unwrap();
            prop_assert!(res.violation.is_none(), "{:?}\n{}", res.violation, text);
            // Not a trivial run: calls both ways, and money moved.
            prop_assert!(recs.len() > 100, "{} calls", recs.len());
            let ids: BTreeSet<u64> = recs.iter().map(|r| r.call_id).collect();
            prop_assert_eq!(ids.len(), recs.len());
            prop_assert_eq!(recs.len() as u64, res.calls);
            for row in &res.portals {
                prop_assert_eq!(row.start_balance - row.charged + row.topped_up, row.end_balance);
            }
        }
    }
}
