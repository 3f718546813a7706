//! Round trip: run a scenario, read its calls.csv back with the log reader,
//! fit, and compare with the truth the scenario was built from.
//!
//! - Coverage: tests/data/coverage.ron has 200 replications; each is fitted
//!   on its own (in-process, one pass over one calls.csv) and every 95%
//!   interval must cover the true value in 90–99% of the 200 fits (the
//!   binomial sd of a 95% coverage over 200 is 1.5 points: the band is
//!   about −3.3σ…+2.7σ).
//! - The talk family is recovered from all replications pooled.
//! - Patience: the Kaplan–Meier survival is unbiased where the naive mean of
//!   abandoned waits is not.
//! - The fitted scenario is accepted by `telsim check`.

mod common;

use std::collections::BTreeMap;

use telsim::fit::{FitOptions, Fitter, QueueFit};
use telsim::logs::{self, LogFormat, LogItem, ReadOptions};

const TRUE_NIGHT_PER_H: f64 = 40.0;
const TRUE_DAY_PER_H: f64 = 80.0;
const TRUE_TALK_MEAN: f64 = 180.0;
const TRUE_PATIENCE_MEAN: f64 = 60.0;

fn run_coverage(dir: &std::path::Path) -> std::path::PathBuf {
    let out = dir.join("cov");
    let r = common::telsim(&[
        "run",
        "tests/data/coverage.ron",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(r.status.success(), "{}", common::describe(&r));
    out.join("calls.csv")
}

/// Fits every replication of `calls` on its own.
fn fit_each(calls: &std::path::Path) -> Vec<QueueFit> {
    let read = ReadOptions {
        replication: None,
        ..ReadOptions::default()
    };
    let mut fits = Vec::new();
    let mut current: Option<(String, Fitter)> = None;
    let finish = |f: Fitter, fits: &mut Vec<QueueFit>| {
        let mut r = f.finish(Vec::new());
        assert_eq!(r.queues.len(), 1);
        fits.push(r.queues.remove(0));
    };
    logs::for_each(calls, &LogFormat::Calls, &read, |item| {
        let LogItem::Call(c) = &item else {
            panic!("calls.csv has no agent events")
        };
        let rep = c.id.split(':').next().unwrap().to_string();
        if current.as_ref().is_some_and(|(r, _)| *r != rep) {
            let (_, f) = current.take().unwrap();
            finish(f, &mut fits);
        }
        current
            .get_or_insert_with(|| (rep, Fitter::new(FitOptions::default())))
            .1
            .add(&item);
    })
    .unwrap();
    if let Some((_, f)) = current {
        finish(f, &mut fits);
    }
    fits
}

fn covered(lo: f64, hi: f64, truth: f64) -> bool {
    lo <= truth && truth <= hi
}

#[test]
fn intervals_cover_the_truth_at_their_rate_and_patience_is_unbiased() {
    let dir = tempfile::tempdir().unwrap();
    let calls = run_coverage(dir.path());
    let fits = fit_each(&calls);
    assert_eq!(fits.len(), 200);

    let mut cover: BTreeMap<&str, usize> = BTreeMap::new();
    let mut km_s30 = Vec::new();
    let mut naive = Vec::new();
    for q in &fits {
        let daily = q.arrivals.daily();
        assert_eq!(daily.len(), 24);
        for (name, bin, truth) in [
            ("arrivals 03:00", 3, TRUE_NIGHT_PER_H),
            ("arrivals 15:00", 15, TRUE_DAY_PER_H),
        ] {
            let r = daily[bin];
            *cover.entry(name).or_default() += covered(r.lo, r.hi, truth) as usize;
        }
        let t = q.talk.as_ref().expect("answered calls");
        *cover.entry("talk mean").or_default() +=
            covered(t.mean_ci.0, t.mean_ci.1, TRUE_TALK_MEAN) as usize;
        let p = q.patience.as_ref().expect("abandons");
        *cover.entry("patience mean (censored Exp)").or_default() +=
            covered(p.exp_ci.0, p.exp_ci.1, TRUE_PATIENCE_MEAN) as usize;
        naive.push(p.naive_mean);
        km_s30.push(p.km_s30);
    }
    for (name, k) in &cover {
        let rate = *k as f64 / fits.len() as f64;
        eprintln!("{name}: covered in {k} of {} fits", fits.len());
        assert!(
            (0.90..=0.99).contains(&rate),
            "{name}: the 95% interval covered the truth in {k} of {} fits ({rate:.3})",
            fits.len()
        );
    }

    // Kaplan–Meier S(30 s) averages to the true exp(−30/60) within three
    // standard errors of the mean over the fits.
    let (m, se) = mean_se(&km_s30);
    let s_true = (-30.0 / TRUE_PATIENCE_MEAN).exp();
    assert!(
        (m - s_true).abs() < 3.0 * se,
        "KM S(30) mean {m} ± {se}, truth {s_true}"
    );
    // The naive mean of abandoned waits is far below the true mean (it
    // averages the short patiences only).
    let (nm, nse) = mean_se(&naive);
    eprintln!("KM S(30) {m:.4} ± {se:.4} (truth {s_true:.4}); naive mean {nm:.2} ± {nse:.2} (truth {TRUE_PATIENCE_MEAN})");
    assert!(
        nm + 10.0 * nse < TRUE_PATIENCE_MEAN,
        "naive mean {nm} ± {nse} is not biased low against {TRUE_PATIENCE_MEAN}"
    );
}

fn mean_se(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, (var / n).sqrt())
}

#[test]
fn pooled_replications_recover_the_talk_family_and_fit_checks() {
    let dir = tempfile::tempdir().unwrap();
    let calls = run_coverage(dir.path());
    // All replications as one sample (ids kept apart by their prefix).
    let read = ReadOptions {
        replication: None,
        ..ReadOptions::default()
    };
    let mut f = Fitter::new(FitOptions::default());
    logs::for_each(&calls, &LogFormat::Calls, &read, |item| f.add(&item)).unwrap();
    let r = f.finish(Vec::new());
    let t = r.queues[0].talk.as_ref().unwrap();
    assert_eq!(t.best().family.name(), "LogNormal", "{:?}", t.fits);

    // The binary: replication 0 fitted back is a scenario `check` accepts.
    let out = dir.path().join("fitted.ron");
    let fit = common::telsim(&[
        "fit",
        calls.to_str().unwrap(),
        "--format",
        "calls",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(fit.status.success(), "{}", common::describe(&fit));
    let check = common::telsim(&["check", out.to_str().unwrap()]);
    assert!(check.status.success(), "{}", common::describe(&check));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("talk_s: LogNormal("), "{text}");
    assert!(text.contains("patience_s: Some("), "{text}");
    assert!(text.contains("biased low"), "{text}");
}
