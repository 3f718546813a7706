//! Round trip through telsim's own queue_log writer: `telsim run
//! --queue-log` writes the first replication as an Asterisk queue_log, and
//! fitting it must give what fitting the same run's calls.csv gives (up to
//! the whole seconds a queue_log keeps); the shipped sample
//! tests/data/sample_queue_log (made by `telsim run tests/data/sample.ron
//! --queue-log`) fits to a scenario `check` accepts.

mod common;

use std::path::Path;

use telsim::fit::{FitOptions, FitReport, Fitter};
use telsim::logs::{self, LogFormat, LoggedOutcome, ReadOptions};

fn fit(p: &Path, f: &LogFormat) -> FitReport {
    let mut fitter = Fitter::new(FitOptions::default());
    fitter.log_has_rings(matches!(f, LogFormat::QueueLog));
    let stats = logs::for_each(p, f, &ReadOptions::default(), |i| fitter.add(&i)).unwrap();
    fitter.finish(vec![(p.display().to_string(), stats)])
}

#[test]
fn a_runs_queue_log_fits_like_its_calls_csv() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let r = common::telsim(&[
        "run",
        "tests/data/coverage.ron",
        "--set",
        "replications=1",
        "--queue-log",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(r.status.success(), "{}", common::describe(&r));
    let q = fit(&out.join("queue_log"), &LogFormat::QueueLog);
    let c = fit(&out.join("calls.csv"), &LogFormat::Calls);
    let (q, c) = (&q.queues[0], &c.queues[0]);
    assert_eq!(q.calls, c.calls);
    assert_eq!(q.outcomes, c.outcomes);
    let counts = |r: &telsim::fit::QueueFit| -> Vec<u64> {
        r.arrivals.daily().iter().map(|x| x.count).collect()
    };
    // Arrivals truncated to the second stay in their hour.
    assert_eq!(counts(q), counts(c));
    let (tq, tc) = (q.talk.as_ref().unwrap(), c.talk.as_ref().unwrap());
    assert!(
        (tq.mean - tc.mean).abs() < 1.0,
        "talk {} vs {}",
        tq.mean,
        tc.mean
    );
    assert_eq!(tq.best().family.name(), tc.best().family.name());
    let (pq, pc) = (q.patience.as_ref().unwrap(), c.patience.as_ref().unwrap());
    assert_eq!(pq.abandons, pc.abandons);
    assert!(
        (pq.exp_mean / pc.exp_mean - 1.0).abs() < 0.02,
        "patience {} vs {}",
        pq.exp_mean,
        pc.exp_mean
    );
    // The queue_log logs the 5 agents in at the start and off at the end of
    // the drain (a few minutes past midnight, pooled into 00:00–01:00).
    let avail = q.available.as_ref().expect("agent events");
    assert!(
        avail[1..].iter().all(|a| (a - 5.0).abs() < 1e-9),
        "{avail:?}"
    );
    assert!(avail[0] >= 5.0 && avail[0] < 5.5, "{avail:?}");
    assert_eq!(q.peak_available, Some(5));
    assert_eq!(
        c.outcomes.get(&LoggedOutcome::Answered),
        q.outcomes.get(&LoggedOutcome::Answered)
    );
}

#[test]
fn the_shipped_queue_log_sample_fits_and_checks() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fitted.ron");
    let r = common::telsim(&[
        "fit",
        "tests/data/sample_queue_log",
        "--format",
        "queue-log",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(r.status.success(), "{}", common::describe(&r));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("agents: 4,"), "{text}");
    assert!(text.contains("511 call(s)"), "{text}");
    let check = common::telsim(&["check", out.to_str().unwrap()]);
    assert!(check.status.success(), "{}", common::describe(&check));
}
