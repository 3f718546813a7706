//! `telsim diff --paired` through the real binary: one agent fewer at
//! ρ = 0.95 (erlang_c, 50 → 49 agents), same seed on both sides. With 4
//! replications Welch's test on the summaries, over the whole default
//! family, calls it the same; the paired test on replications.csv sees it.

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
    run(&base, "4", &[]);
    run(&cand, "4", &["--set", "portals.acme.agents=49"]);
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
    let o = diff(&[]);
    assert_eq!(o.status.code(), Some(0), "Welch: {}", describe(&o));
    let o = diff(&["--paired"]);
    assert_eq!(o.status.code(), Some(1), "paired: {}", describe(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("paired t-test on replication differences"),
        "{out}"
    );
    let sl = out
        .lines()
        .find(|l| l.starts_with("platform") && l.contains(" service_level "))
        .expect("service_level row");
    assert!(sl.contains("WORSE"), "{sl}");

    // The same run on both sides: every difference is zero.
    let mut a = vec!["diff".to_string(), s(&base), s(&base), "--paired".into()];
    let o = telsim(&a);
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));

    // Pairing needs the same replications on both sides, and the files.
    let five = tmp.path().join("five");
    run(&five, "5", &[]);
    a = vec!["diff".into(), s(&five), s(&cand), "--paired".into()];
    let o = telsim(&a);
    assert_eq!(o.status.code(), Some(2), "{}", describe(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("5 and 4 replication(s)"));
    std::fs::remove_file(five.join("replications.csv")).unwrap();
    let o = telsim(&a);
    assert_eq!(o.status.code(), Some(2), "{}", describe(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("replications.csv"));
}
