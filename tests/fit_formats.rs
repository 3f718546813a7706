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
