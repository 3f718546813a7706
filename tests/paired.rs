//! `telsim diff --paired` through the real binary: one agent fewer at
//! ρ = 0.95 (erlang_c, 50 → 49 agents), same seed on both sides. With 3
//! replications Welch's test on the summaries calls it the same; the paired
//! test on replications.csv sees it. With 8, Welch over the primary metrics
//! sees it too, where over every metric (the 55 rows) it did not.

mod common;

use std::path::Path;

use common::{describe, scenario, telsim};

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

fn run(out: &Path, reps: &str, extra: &[&str]) {
    let mut a = vec![
        "run".to_string(),
        scenario("erlang_c"),
        "--replications".into(),
        reps.into(),
        "--no-calls".into(),
        "-q".into(),
        "--out".into(),
        s(out),
    ];
    a.extend(extra.iter().map(|x| x.to_string()));
    let o = telsim(&a);
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
}

#[test]
fn paired_diff_sees_one_agent_less_where_welch_does_not() {
    let tmp = tempfile::tempdir().unwrap();
    let (base, cand) = (tmp.path().join("50"), tmp.path().join("49"));
    run(&base, "3", &[]);
    run(&cand, "3", &["--set", "portals.acme.agents=49"]);
    let diff = |extra: &[&str]| {
        let mut a = vec![
            "diff".to_string(),
            s(&base),
            s(&cand),
            "--tolerance".into(),
            "5%".into(),
        ];
        a.extend(extra.iter().map(|x| x.to_string()));
        telsim(&a)
    };
    let o = diff(&["--unpaired"]);
    assert_eq!(o.status.code(), Some(0), "Welch: {}", describe(&o));
    // Same seed, same replications: paired without being asked.
    let o = diff(&[]);
    assert_eq!(o.status.code(), Some(1), "auto: {}", describe(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("paired: same seeds"));
    let o = diff(&["--paired"]);
    assert_eq!(o.status.code(), Some(1), "paired: {}", describe(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("paired t-test on replication differences"),
        "{out}"
    );
    let pw = out
        .lines()
        .find(|l| l.starts_with("platform") && l.contains(" p_wait "))
        .expect("p_wait row");
    assert!(pw.contains("WORSE"), "{pw}");

    // The same run on both sides: every difference is zero.
    let mut a = vec!["diff".to_string(), s(&base), s(&base), "--paired".into()];
    let o = telsim(&a);
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));

    // Another seed: Welch by default, said so; --paired still pairs.
    let other = tmp.path().join("seed2");
    run(&other, "3", &["--seed", "2"]);
    a = vec!["diff".into(), s(&base), s(&other)];
    let o = telsim(&a);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        !out.contains("paired") && out.contains("(Welch t-test,"),
        "{out}"
    );
    a.push("--format".into());
    a.push("json".into());
    let o = telsim(&a);
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("{\"test\":\"welch\""));

    // Pairing needs the same replications on both sides, and the files.
    let five = tmp.path().join("five");
    run(&five, "5", &[]);
    a = vec!["diff".into(), s(&five), s(&cand)];
    let o = telsim(&a);
    assert!(String::from_utf8_lossy(&o.stdout).contains("(Welch t-test,"));
    a = vec!["diff".into(), s(&five), s(&cand), "--paired".into()];
    let o = telsim(&a);
    assert_eq!(o.status.code(), Some(2), "{}", describe(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("5 and 3 replication(s)"));
    std::fs::remove_file(five.join("replications.csv")).unwrap();
    let o = telsim(&a);
    assert_eq!(o.status.code(), Some(2), "{}", describe(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("replications.csv"));
    // Rank tests need the per-replication values too.
    a = vec![
        "diff".into(),
        s(&five),
        s(&cand),
        "--test".into(),
        "rank".into(),
    ];
    let o = telsim(&a);
    assert_eq!(o.status.code(), Some(2), "{}", describe(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("replications.csv"));
}

#[test]
fn welch_over_the_primary_metrics_sees_one_agent_less_with_8_replications() {
    let tmp = tempfile::tempdir().unwrap();
    let (base, cand) = (tmp.path().join("50"), tmp.path().join("49"));
    run(&base, "8", &[]);
    run(&cand, "8", &["--set", "portals.acme.agents=49"]);
    let diff = |extra: &[&str]| {
        let mut a = vec!["diff".to_string(), s(&base), s(&cand)];
        a.extend(extra.iter().map(|x| x.to_string()));
        telsim(&a)
    };
    let o = diff(&["--unpaired"]);
    assert_eq!(o.status.code(), Some(1), "{}", describe(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    // 17 rows with a direction and a p-value on each of 2 scopes (the
    // portal's repeat the platform's) and 11 outside the primary set: 6
    // are tested (4 shown, abandon_rate and blocking_rate constant 0).
    assert!(
        out.contains("55 metric(s) compared, 6 in the Holm family, 11 not gated, 17 repeating the platform's row: 2 worse"),
        "{out}"
    );
    for m in [" p_wait ", " service_level "] {
        let line = out
            .lines()
            .find(|l| l.starts_with("platform") && l.contains(m))
            .unwrap();
        assert!(line.ends_with("WORSE"), "{line}");
    }
    let asa = out
        .lines()
        .find(|l| l.starts_with("platform") && l.contains(" asa_s "))
        .unwrap();
    assert!(asa.ends_with("not gated"), "{asa}");
    assert!(out
        .lines()
        .filter(|l| l.starts_with("acme"))
        .all(|l| l.ends_with("= platform")));
    // Rank tests: Mann–Whitney (unpaired) sees it; the signed-rank test on
    // 8 pairs cannot go below p = 0.0117 (z = 2.52 when every pair moves
    // the same way), × 6 by Holm: not enough replications for it.
    let o = diff(&["--test", "rank", "--unpaired"]);
    assert_eq!(o.status.code(), Some(1), "{}", describe(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("(Mann–Whitney U test"));
    let o = diff(&["--test", "rank"]);
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("paired: same seeds") && out.contains("(Wilcoxon signed-rank"));
    assert!(out.contains(" 0.0703 "), "{out}");

    // Gating on all 17 distinct rows still sees it here: counting the
    // portal once was enough at 8 replications (exit 0 at 4 and 6).
    let o = diff(&["--all-metrics", "--unpaired"]);
    assert_eq!(o.status.code(), Some(1), "{}", describe(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("17 in the Holm family"));
}

#[test]
fn welch_from_replications_agrees_with_welch_from_summaries() {
    let tmp = tempfile::tempdir().unwrap();
    let (base, cand) = (tmp.path().join("50"), tmp.path().join("49"));
    run(&base, "6", &[]);
    run(&cand, "6", &["--set", "portals.acme.agents=49"]);
    let json = |a: &Path, b: &Path| {
        let o = telsim(&[
            "diff".to_string(),
            s(a),
            s(b),
            "--format".into(),
            "json".into(),
            "--unpaired".into(),
        ]);
        assert!(o.status.code().unwrap_or(9) <= 1, "{}", describe(&o));
        String::from_utf8(o.stdout).unwrap()
    };
    // From replications.csv (both folders have it).
    let raw = json(&base, &cand);
    // From summary.csv alone: copies without replications.csv.
    let only = |d: &Path, name: &str| {
        let to = tmp.path().join(name);
        std::fs::create_dir(&to).unwrap();
        std::fs::copy(d.join("summary.csv"), to.join("summary.csv")).unwrap();
        to
    };
    let summ = json(&only(&base, "b"), &only(&cand, "c"));
    let field = |text: &str, key: &str| -> Vec<String> {
        text.split(&format!("\"{key}\":"))
            .skip(1)
            .map(|t| t.split([',', '}']).next().unwrap().trim().to_string())
            .collect()
    };
    assert_eq!(field(&raw, "verdict"), field(&summ, "verdict"));
    let nums =
        |v: Vec<String>| -> Vec<f64> { v.iter().map(|x| x.parse().unwrap_or(f64::NAN)).collect() };
    let (p_raw, p_sum) = (nums(field(&raw, "p")), nums(field(&summ, "p")));
    assert_eq!(p_raw.len(), p_sum.len());
    assert!(!p_raw.is_empty());
    for (a, b) in p_raw.iter().zip(&p_sum) {
        assert!(
            (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-6 * a.abs().max(1e-12) + 1e-12,
            "p from replications {a} vs from summaries {b}"
        );
    }
}
