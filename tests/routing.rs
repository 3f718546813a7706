//! Several queues per portal (issue #14): what `telsim check` says about
//! each queue, and that `telsim run` refuses them (not simulated yet)
//! instead of silently running the portal's single queue.

mod common;
use common::*;

const SKILLS: &str = r#"Scenario(name: "skills", duration_s: 3600.0, portals: [Portal(
    name: "shop", agents: ["ann", "bob", "cid", "dan", "eve", "fay"],
    inbound: Traffic(arrivals: Poisson(per_hour: 60.0), talk_s: Exp(mean: 120.0)),
    classes: [CallClass(name: "vip", priority: 2)],
    queues: [
        QueueDef(name: "sales", agents: {"ann": 1, "bob": 2}),
        QueueDef(name: "support", policy: LongestIdle, agents: {"bob": 1, "cid": 1},
                 overflow: Some(Overflow(after_s: 60.0, to: "sales"))),
        QueueDef(name: "billing", agents: {"dan": 1, "eve": 1, "fay": 1}),
    ],
    lines: [
        Line(name: "help", queue: "support", arrivals: Poisson(per_hour: 30.0),
             talk_s: Exp(mean: 240.0), classes: {"vip": 0.1}),
        Line(name: "pay", queue: "billing", arrivals: Poisson(per_hour: 60.0),
             talk_s: Exp(mean: 120.0)),
    ],
)])"#;

fn write(dir: &std::path::Path) -> String {
    let f = dir.join("skills.ron");
    std::fs::write(&f, SKILLS).unwrap();
    f.to_string_lossy().into_owned()
}

#[test]
fn check_gives_each_queue_its_load_and_erlang_c_where_it_applies() {
    let tmp = tempfile::tempdir().unwrap();
    let o = telsim(&["check".to_string(), write(tmp.path())]);
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("3 queue(s), 3 line(s), 2 class(es), router LongestWaiting"),
        "{text}"
    );
    // sales: inbound 60/h × 120 s = 2 Erl; support: 30/h × 240 s = 2 Erl.
    assert!(
        text.contains(
            "queue \"sales\": 2 member(s), policy Evenly, priority 0, offered load 2 Erl"
        ),
        "{text}"
    );
    assert!(
        text.contains("queue \"support\": 2 member(s), policy LongestIdle"),
        "{text}"
    );
    // billing is a dedicated M/M/3 at 2 Erl: C(3, 2) = 4/9, ASA = C/(3μ − λ)
    // = (4/9)/(3/120 − 1/60) = 53.33 s. Sales and support share bob: no
    // closed form is printed for them.
    assert!(
        text.contains("M/M/3 queue: Erlang C predicts P(wait>0) = 0.4444, ASA = 53.3333 s"),
        "{text}"
    );
    assert_eq!(text.matches("Erlang C predicts").count(), 1, "{text}");
}

#[test]
fn run_refuses_a_portal_with_queues_with_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let f = write(tmp.path());
    let out = tmp.path().join("out");
    let o = telsim(&[
        "run".to_string(),
        f,
        "--out".into(),
        out.to_string_lossy().into_owned(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", describe(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("portal 'shop' declares `queues`") && err.contains("not simulated yet"),
        "{err}"
    );
    assert!(!out.join("calls.csv").exists());
}
