//! The same calls through every reader: tests/data/sample_calls.csv (made
//! by `telsim run tests/data/sample.ron`) is rewritten as an Asterisk CDR
//! `Master.csv` and as a generic CSV with ISO 8601 times, and all three must
//! fit to the same arrivals, talk and patience (up to the whole seconds a
//! CDR keeps). The shipped sample fitted by the binary passes `check`.

mod common;

use std::fmt::Write;
use std::path::Path;

use telsim::fit::{FitOptions, FitReport, Fitter};
use telsim::logs::{self, LogFormat, ReadOptions, CALLS_ORIGIN_S};

fn sample() -> std::path::PathBuf {
    common::root().join("tests/data/sample_calls.csv")
}

fn fit(p: &Path, f: &LogFormat) -> FitReport {
    let mut fitter = Fitter::new(FitOptions::default());
    let stats = logs::for_each(p, f, &ReadOptions::default(), |i| fitter.add(&i)).unwrap();
    fitter.finish(vec![(p.display().to_string(), stats)])
}

fn date(t: f64) -> String {
    chrono::DateTime::from_timestamp(t as i64, 0)
        .unwrap()
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// Rewrites calls.csv rows as CDR and generic rows (times truncated to
/// whole seconds, as Asterisk writes them).
fn convert(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let mut rdr = csv::Reader::from_path(sample()).unwrap();
    let h = rdr.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let (id, arr, ans, end, out, agent) = (
        col("call_id"),
        col("arrival_s"),
        col("answer_s"),
        col("end_s"),
        col("outcome"),
        col("agent"),
    );
    let mut cdr = String::new();
    let mut gen = String::from("id,arrival,answer,end,outcome,agent\n");
    for r in rdr.records() {
        let r = r.unwrap();
        let t = |i: usize| -> Option<f64> {
            (!r[i].is_empty()).then(|| (CALLS_ORIGIN_S + r[i].parse::<f64>().unwrap()).floor())
        };
        let (a, s, e) = (t(arr).unwrap(), t(ans), t(end).unwrap());
        let disp = match &r[out] {
            "answered" => "ANSWERED",
            "abandoned" => "NO ANSWER",
            other => panic!("outcome {other} not in the sample"),
        };
        let billsec = s.map_or(0.0, |s| e - s);
        writeln!(
            cdr,
            "\"\",\"5550{}\",\"support\",\"from-pstn\",\"\",\"SIP/trunk-{:08x}\",\"{}\",\"Queue\",\"support\",\"{}\",\"{}\",\"{}\",{},{},\"{disp}\",\"DOCUMENTATION\",\"{}.{}\",\"\"",
            &r[id],
            r[id].parse::<u32>().unwrap(),
            if &r[agent] == "-" { String::new() } else { format!("SIP/{}-0000{:04x}", &r[agent], r[id].parse::<u32>().unwrap()) },
            date(a),
            s.map_or(String::new(), date),
            date(e),
            e - a,
            billsec,
            a as u64,
            &r[id],
        )
        .unwrap();
        let iso = |t: f64| {
            chrono::DateTime::from_timestamp(t as i64, 0)
                .unwrap()
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string()
        };
        writeln!(
            gen,
            "{},{},{},{},{},{}",
            &r[id],
            iso(a),
            s.map_or(String::new(), iso),
            iso(e),
            &r[out],
            &r[agent]
        )
        .unwrap();
    }
    let c = dir.join("Master.csv");
    let g = dir.join("generic.csv");
    std::fs::write(&c, cdr).unwrap();
    std::fs::write(&g, gen).unwrap();
    (c, g)
}

#[test]
fn every_format_fits_the_same_calls_alike() {
    let dir = tempfile::tempdir().unwrap();
    let (cdr, gen) = convert(dir.path());
    let calls = fit(&sample(), &LogFormat::Calls);
    let map = logs::parse_mapping(
        "id=id,arrival=arrival,answer=answer,end=end,outcome=outcome,agent=agent",
    )
    .unwrap();
    let others = [
        fit(&cdr, &LogFormat::Cdr),
        fit(&gen, &LogFormat::Generic(map)),
    ];
    let c = &calls.queues[0];
    assert_eq!(c.calls, 511);
    assert_eq!(c.agents_seen, 4);
    for o in &others {
        assert_eq!(o.queues.len(), 1);
        let q = &o.queues[0];
        assert_eq!(q.calls, c.calls);
        assert_eq!(q.outcomes, c.outcomes);
        assert_eq!(q.agents_seen, 4);
        // Same counts per interval (arrivals truncated to the second stay in
        // their hour).
        let counts = |r: &telsim::fit::QueueFit| -> Vec<u64> {
            r.arrivals.daily().iter().map(|x| x.count).collect()
        };
        assert_eq!(counts(q), counts(c));
        // Talk and patience: whole seconds move each duration by < 1 s.
        let (tq, tc) = (q.talk.as_ref().unwrap(), c.talk.as_ref().unwrap());
        assert!(
            (tq.mean - tc.mean).abs() < 1.0,
            "{} vs {}",
            tq.mean,
            tc.mean
        );
        let (pq, pc) = (q.patience.as_ref().unwrap(), c.patience.as_ref().unwrap());
        assert_eq!(pq.abandons, pc.abandons);
        assert!(
            (pq.exp_mean / pc.exp_mean - 1.0).abs() < 0.02,
            "{} vs {}",
            pq.exp_mean,
            pc.exp_mean
        );
    }
}

#[test]
fn the_shipped_sample_fits_to_a_scenario_check_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fitted.ron");
    let r = common::telsim(&[
        "fit",
        "tests/data/sample_calls.csv",
        "--format",
        "calls",
        "--out",
        out.to_str().unwrap(),
        "--name",
        "refit",
    ]);
    assert!(r.status.success(), "{}", common::describe(&r));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("name: \"refit\""));
    assert!(text.contains("agents: 4,"), "{text}");
    assert!(text.contains("511 call(s)"), "{text}");
    let check = common::telsim(&["check", out.to_str().unwrap()]);
    assert!(check.status.success(), "{}", common::describe(&check));
    // Deterministic: the same log gives the same bytes.
    let out2 = dir.path().join("again.ron");
    let r2 = common::telsim(&[
        "fit",
        "tests/data/sample_calls.csv",
        "--format",
        "calls",
        "--out",
        out2.to_str().unwrap(),
        "--name",
        "refit",
    ]);
    assert!(r2.status.success());
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&out2).unwrap());
}

/// A queue_log with logins, pauses, unanswered rings and transfers: the
/// fitted scenario carries agents, answer_prob and transfers and passes
/// `check`.
#[test]
fn queue_log_with_agents_rings_and_transfers_fits_and_checks() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = 1_767_571_200u64; // Monday 2026-01-05 00:00 UTC
    let mut log = String::new();
    for day in 0..2u64 {
        let base = t0 + day * 86400;
        for a in 0..3 {
            writeln!(log, "{}|NONE|sales|SIP/10{a}|ADDMEMBER|", base + 8 * 3600).unwrap();
        }
        writeln!(log, "{}|NONE|sales|SIP/100|PAUSE|lunch", base + 12 * 3600).unwrap();
        writeln!(log, "{}|NONE|sales|SIP/100|UNPAUSE|", base + 13 * 3600).unwrap();
        for i in 0..100u64 {
            let t = base + 8 * 3600 + 1 + i * 300;
            let id = format!("{t}.{i}");
            let agent = format!("SIP/10{}", 1 + i % 2);
            writeln!(log, "{t}|{id}|sales|NONE|ENTERQUEUE||5550{i:03}|1").unwrap();
            if i % 3 == 0 {
                writeln!(log, "{}|{id}|sales|SIP/100|RINGNOANSWER|15000", t + 15).unwrap();
            }
            if i % 10 == 9 {
                writeln!(
                    log,
                    "{}|{id}|sales|NONE|ABANDON|1|1|{}",
                    t + 5 + i % 7,
                    5 + i % 7
                )
                .unwrap();
                continue;
            }
            let ans = t + 20 + i % 5;
            writeln!(log, "{ans}|{id}|sales|{agent}|CONNECT|{}|{id}.1|3", ans - t).unwrap();
            let end = ans + 60 + (i * 37) % 200;
            let ev = if i % 8 == 0 {
                "BLINDTRANSFER|200|ctx"
            } else {
                "COMPLETECALLER"
            };
            let data = format!("{}|{}|1", ans - t, end - ans);
            writeln!(log, "{end}|{id}|sales|{agent}|{ev}|{data}").unwrap();
        }
        for a in 0..3 {
            writeln!(
                log,
                "{}|NONE|sales|SIP/10{a}|REMOVEMEMBER|",
                base + 18 * 3600
            )
            .unwrap();
        }
    }
    let p = dir.path().join("queue_log");
    std::fs::write(&p, log).unwrap();
    let out = dir.path().join("fitted.ron");
    let r = common::telsim(&[
        "fit",
        p.to_str().unwrap(),
        "--format",
        "queue-log",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(r.status.success(), "{}", common::describe(&r));
    let text = std::fs::read_to_string(&out).unwrap();
    // 3 members, one paused an hour: the peak available is 3.
    assert!(text.contains("agents: 3,"), "{text}");
    // 68 rings unanswered (every third call) of 68 + 180 rings.
    assert!(text.contains("68 of 248 rings"), "{text}");
    assert!(text.contains("answer_prob: 0.725806"), "{text}");
    assert!(text.contains("transfers: Some(Transfers(share: "), "{text}");
    assert!(text.contains("patience_s: Some("), "{text}");
    let check = common::telsim(&["check", out.to_str().unwrap()]);
    assert!(
        check.status.success(),
        "{}\n{text}",
        common::describe(&check)
    );
}
