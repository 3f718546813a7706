//! The readers' documented treatment (docs/logs.md) of malformed lines,
//! unknown events, out-of-order timestamps, calls with no end and
//! duplicate ids, per format, through the library.

use std::io::Write;
use std::path::PathBuf;

use telsim::logs::{
    self, AgentEventKind, LogFormat, LogItem, LogStats, LoggedCall, LoggedOutcome, ReadOptions,
};

fn file(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::File::create(&p)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    p
}

fn read_all(p: &std::path::Path, f: &LogFormat, o: &ReadOptions) -> (Vec<LogItem>, LogStats) {
    let mut items = Vec::new();
    let stats = logs::for_each(p, f, o, |i| items.push(i)).unwrap();
    (items, stats)
}

fn calls(items: &[LogItem]) -> Vec<&LoggedCall> {
    items
        .iter()
        .filter_map(|i| match i {
            LogItem::Call(c) => Some(c),
            _ => None,
        })
        .collect()
}

const T0: u64 = 1_767_600_000;

fn q(lines: &[(u64, &str, &str, &str, &str)]) -> String {
    lines
        .iter()
        .map(|(t, id, agent, ev, data)| format!("{}|{id}|support|{agent}|{ev}|{data}\n", T0 + t))
        .collect()
}

#[test]
fn queue_log_assembles_calls_and_agent_events() {
    let dir = tempfile::tempdir().unwrap();
    let p = file(
        &dir,
        "queue_log",
        &q(&[
            (0, "NONE", "SIP/1001", "ADDMEMBER", ""),
            (1, "NONE", "SIP/1001", "AGENTLOGIN", "SIP/1001"),
            (10, "a", "NONE", "ENTERQUEUE", "|5550100|1"),
            (12, "b", "NONE", "ENTERQUEUE", "|5550101|2"),
            (14, "a", "SIP/1002", "RINGNOANSWER", "15000"),
            (20, "a", "SIP/1001", "CONNECT", "10|1767600020.5|2"),
            (30, "b", "NONE", "ABANDON", "1|2|18"),
            (40, "c", "NONE", "ENTERQUEUE", "|5550102|1"),
            (50, "c", "NONE", "EXITWITHTIMEOUT", "1|1|10"),
            (60, "d", "NONE", "ENTERQUEUE", "|5550103|1"),
            (61, "d", "NONE", "EXITWITHKEY", "5|1|1|1"),
            (70, "e", "NONE", "ENTERQUEUE", "|5550104|1"),
            (71, "e", "NONE", "EXITEMPTY", "1|1|1"),
            (80, "f", "NONE", "ENTERQUEUE", "|5550105|1"),
            (85, "f", "SIP/1001", "CONNECT", "5|x|1"),
            (95, "f", "SIP/1001", "BLINDTRANSFER", "200|ctx|5|10|1"),
            (120, "a", "SIP/1001", "COMPLETEAGENT", "10|100|1"),
            (130, "NONE", "SIP/1001", "PAUSE", "lunch"),
            (131, "NONE", "SIP/1001", "UNPAUSE", ""),
            (140, "NONE", "SIP/1001", "REMOVEMEMBER", ""),
            (141, "NONE", "SIP/1001", "AGENTLOGOFF", "SIP/1001|140"),
        ]),
    );
    let (items, stats) = read_all(&p, &LogFormat::QueueLog, &ReadOptions::default());
    let cs = calls(&items);
    let ids: Vec<&str> = cs.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["a", "b", "c", "d", "e", "f"], "arrival order");
    let a = cs[0];
    assert_eq!(a.outcome, LoggedOutcome::Answered);
    assert_eq!(a.answer_s, Some((T0 + 20) as f64));
    assert_eq!(a.end_s, Some((T0 + 120) as f64));
    assert_eq!(a.agent.as_deref(), Some("SIP/1001"));
    assert_eq!(a.caller.as_deref(), Some("5550100"));
    assert_eq!(a.ring_no_answer, 1);
    assert_eq!(cs[1].outcome, LoggedOutcome::Abandoned);
    assert_eq!(cs[1].wait_s(), Some(18.0));
    assert_eq!(cs[2].outcome, LoggedOutcome::TimedOut);
    assert_eq!(cs[3].outcome, LoggedOutcome::ExitKey);
    assert_eq!(cs[4].outcome, LoggedOutcome::ExitEmpty);
    assert!(cs[5].transferred && cs[5].outcome == LoggedOutcome::Answered);
    let kinds: Vec<AgentEventKind> = items
        .iter()
        .filter_map(|i| match i {
            LogItem::Agent(e) => Some(e.kind),
            _ => None,
        })
        .collect();
    use AgentEventKind::*;
    assert_eq!(kinds, [Add, Login, Pause, Unpause, Remove, Logoff]);
    // Items come out in time order overall.
    let times: Vec<f64> = items.iter().map(|i| i.time_s()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    assert_eq!((stats.calls, stats.agent_events), (6, 6));
    assert!(stats.unknown_events.is_empty() && stats.skipped.is_empty());
}

#[test]
fn unknown_events_are_counted_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let p = file(
        &dir,
        "queue_log",
        &q(&[
            (0, "a", "NONE", "ENTERQUEUE", "|1|1"),
            (1, "a", "NONE", "FROBNICATE", "x"),
            (2, "NONE", "NONE", "QUEUESTART", ""),
            (3, "a", "NONE", "FROBNICATE", ""),
            (4, "a", "NONE", "ABANDON", "1|1|4"),
        ]),
    );
    let (items, stats) = read_all(&p, &LogFormat::QueueLog, &ReadOptions::default());
    assert_eq!(calls(&items).len(), 1);
    assert_eq!(stats.unknown_events.get("FROBNICATE"), Some(&2));
    // QUEUESTART is known and used for nothing: not counted as unknown.
    assert_eq!(stats.unknown_events.len(), 1);
}

#[test]
fn malformed_lines_fail_located_unless_tolerated() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = q(&[(0, "a", "NONE", "ENTERQUEUE", "|1|1")]);
    text.push_str("garbage\n");
    text.push_str(&q(&[(5, "a", "NONE", "ABANDON", "1|1|5")]));
    let p = file(&dir, "queue_log", &text);
    let err = logs::for_each(&p, &LogFormat::QueueLog, &ReadOptions::default(), |_| {})
        .unwrap_err()
        .to_string();
    assert!(
        err.ends_with(
            "queue_log:2: line: expected time|callid|queue|agent|event|data…, found 1 field(s)"
        ),
        "{err}"
    );
    let o = ReadOptions {
        max_malformed: 1,
        ..ReadOptions::default()
    };
    let (items, stats) = read_all(&p, &LogFormat::QueueLog, &o);
    assert_eq!(calls(&items).len(), 1);
    assert_eq!(stats.malformed, 1);
}

#[test]
fn out_of_order_timestamps_are_put_back_in_order_within_the_window() {
    let dir = tempfile::tempdir().unwrap();
    // Two calls whose lines were written a few seconds out of order.
    let p = file(
        &dir,
        "queue_log",
        &q(&[
            (10, "b", "NONE", "ENTERQUEUE", "|1|1"),
            (5, "a", "NONE", "ENTERQUEUE", "|1|1"),
            (20, "b", "NONE", "ABANDON", "1|1|10"),
            (18, "a", "NONE", "ABANDON", "1|1|13"),
        ]),
    );
    let (items, stats) = read_all(&p, &LogFormat::QueueLog, &ReadOptions::default());
    let ids: Vec<&str> = calls(&items).iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["a", "b"]);
    assert_eq!(stats.out_of_order, 2);
    assert_eq!(stats.late, 0);

    // calls.csv rows come in end order: arrival order is restored.
    let p = file(
        &dir,
        "calls.csv",
        "replication,call_id,portal,direction,arrival_s,answer_s,end_s,outcome,agent\n\
         0,1,s,inbound,50.0,,60.0,abandoned,-\n\
         0,0,s,inbound,10.0,11.0,300.0,answered,agent-1\n\
         0,2,s,inbound,100.0,101.0,400.0,answered,agent-2\n",
    );
    let (items, stats) = read_all(&p, &LogFormat::Calls, &ReadOptions::default());
    let ids: Vec<&str> = calls(&items).iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["0", "1", "2"]);
    assert_eq!(stats.late, 0);

    // Beyond the window an item is late: yielded anyway, counted.
    let p = file(
        &dir,
        "g.csv",
        "id,arrival,end\n1,1000,1010\n2,5000,5010\n3,900,950\n",
    );
    let m = logs::parse_mapping("id=id,arrival=arrival,end=end").unwrap();
    let o = ReadOptions {
        window_s: 60.0,
        ..ReadOptions::default()
    };
    let (items, stats) = read_all(&p, &LogFormat::Generic(m), &o);
    assert_eq!(calls(&items).len(), 3);
    assert_eq!(stats.late, 1);
    assert_eq!(stats.out_of_order, 1);
}

#[test]
fn calls_with_no_end_are_unfinished() {
    let dir = tempfile::tempdir().unwrap();
    let p = file(
        &dir,
        "queue_log",
        &q(&[
            (0, "a", "NONE", "ENTERQUEUE", "|1|1"),
            (5, "b", "NONE", "ENTERQUEUE", "|1|1"),
            (10, "b", "NONE", "ABANDON", "1|1|5"),
            (200_000, "c", "NONE", "ENTERQUEUE", "|1|1"),
            (200_010, "c", "NONE", "ABANDON", "1|1|10"),
            (200_020, "d", "NONE", "ENTERQUEUE", "|1|1"),
        ]),
    );
    let (items, stats) = read_all(&p, &LogFormat::QueueLog, &ReadOptions::default());
    let cs = calls(&items);
    let got: Vec<(&str, LoggedOutcome)> = cs.iter().map(|c| (c.id.as_str(), c.outcome)).collect();
    use LoggedOutcome::*;
    // `a` is closed a day after its ENTERQUEUE (memory stays bounded),
    // `d` at the end of the log; both keep no end time.
    assert_eq!(
        got,
        [
            ("a", Unfinished),
            ("b", Abandoned),
            ("c", Abandoned),
            ("d", Unfinished)
        ]
    );
    assert_eq!(stats.unfinished, 2);
    assert!(cs[0].end_s.is_none() && cs[3].end_s.is_none());
}

#[test]
fn duplicate_ids() {
    let dir = tempfile::tempdir().unwrap();
    // queue_log: a second ENTERQUEUE while open is skipped; after the call
    // closed, the same id entering again (another queue leg) is a new call.
    let p = file(
        &dir,
        "queue_log",
        &q(&[
            (0, "a", "NONE", "ENTERQUEUE", "|1|1"),
            (1, "a", "NONE", "ENTERQUEUE", "|1|1"),
            (5, "a", "NONE", "EXITWITHTIMEOUT", "1|1|5"),
            (6, "a", "NONE", "ENTERQUEUE", "|1|1"),
            (9, "a", "NONE", "ABANDON", "1|1|3"),
        ]),
    );
    let (items, stats) = read_all(&p, &LogFormat::QueueLog, &ReadOptions::default());
    let cs = calls(&items);
    assert_eq!(cs.len(), 2);
    assert_eq!(
        (cs[0].outcome, cs[1].outcome),
        (LoggedOutcome::TimedOut, LoggedOutcome::Abandoned)
    );
    assert_eq!(
        stats
            .skipped
            .get("ENTERQUEUE for a call already in a queue"),
        Some(&1)
    );

    // CDR: the same uniqueid twice within the window: the later row is dropped.
    let row = |id: &str, start: &str, end: &str, disp: &str| {
        format!("\"\",\"5550100\",\"support\",\"from-pstn\",\"\",\"SIP/trunk-01\",\"SIP/1001-02\",\"Queue\",\"support\",\"{start}\",\"\",\"{end}\",60,0,\"{disp}\",\"DOCUMENTATION\",\"{id}\",\"\"\n")
    };
    let text = [
        row(
            "u1",
            "2026-01-05 09:00:00",
            "2026-01-05 09:01:00",
            "NO ANSWER",
        ),
        row(
            "u1",
            "2026-01-05 09:00:00",
            "2026-01-05 09:01:00",
            "NO ANSWER",
        ),
        row("u2", "2026-01-05 09:02:00", "2026-01-05 09:03:00", "BUSY"),
        row("u3", "2026-01-05 09:02:00", "2026-01-05 09:03:00", "PURPLE"),
    ]
    .concat();
    let p = file(&dir, "Master.csv", &text);
    let (items, stats) = read_all(&p, &LogFormat::Cdr, &ReadOptions::default());
    let cs = calls(&items);
    assert_eq!(cs.len(), 2);
    assert_eq!(cs[0].outcome, LoggedOutcome::Abandoned);
    assert_eq!(cs[1].outcome, LoggedOutcome::Blocked);
    assert_eq!(cs[0].agent.as_deref(), Some("SIP/1001"));
    assert_eq!(
        stats
            .skipped
            .get("duplicate call id (the later row is dropped)"),
        Some(&1)
    );
    assert_eq!(stats.unknown_events.get("disposition PURPLE"), Some(&1));
}

#[test]
fn cdr_answered_rows_and_zones() {
    let dir = tempfile::tempdir().unwrap();
    let text = "\"\",\"5550100\",\"support\",\"from-pstn\",\"\",\"SIP/trunk-01\",\"SIP/1001-0a\",\"Queue\",\"support\",\"2026-01-05 12:00:00\",\"2026-01-05 12:00:20\",\"2026-01-05 12:03:20\",200,180,\"ANSWERED\",\"DOCUMENTATION\"\n";
    let p = file(&dir, "Master.csv", text);
    let o = ReadOptions {
        utc_offset_s: 3.0 * 3600.0,
        ..ReadOptions::default()
    };
    let (items, _) = read_all(&p, &LogFormat::Cdr, &o);
    let c = calls(&items)[0].clone();
    // 12:00 at UTC+3 is 09:00 UTC.
    assert_eq!(c.arrival_s, 1_767_603_600.0);
    assert_eq!(c.talk_s(), Some(180.0));
    assert_eq!(c.wait_s(), Some(20.0));
    assert_eq!(
        c.id, "line-1",
        "no uniqueid column: the line names the call"
    );
}

#[test]
fn generic_csv_with_iso_times_and_a_ron_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let p = file(
        &dir,
        "calls.csv",
        "who,start,picked,stop,result\n\
         ann,2026-01-05T09:00:00+01:00,2026-01-05T09:00:30+01:00,2026-01-05T09:05:30+01:00,Answered\n\
         bob,2026-01-05T08:01:00Z,,2026-01-05T08:02:00Z,NO ANSWER\n",
    );
    let m: logs::Mapping = ron::from_str(
        r#"Mapping(arrival: "start", answer: Some("picked"), end: Some("stop"), outcome: Some("result"), caller: Some("who"), time: Iso8601)"#,
    )
    .unwrap();
    let (items, _) = read_all(&p, &LogFormat::Generic(m), &ReadOptions::default());
    let cs = calls(&items);
    assert_eq!(cs[0].arrival_s, 1_767_600_000.0);
    assert_eq!(cs[0].talk_s(), Some(300.0));
    assert_eq!(cs[0].caller.as_deref(), Some("ann"));
    assert_eq!(cs[1].outcome, LoggedOutcome::Abandoned);
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    fn lines() -> impl Strategy<Value = String> {
        // Lines built from queue_log-ish and CSV-ish pieces, so that many
        // get past the first checks.
        let piece = prop_oneof![
            Just("|".to_string()),
            Just(",".to_string()),
            Just("\"".to_string()),
            Just("\n".to_string()),
            Just("ENTERQUEUE".to_string()),
            Just("CONNECT".to_string()),
            Just("COMPLETECALLER".to_string()),
            Just("ABANDON".to_string()),
            Just("NONE".to_string()),
            Just("ANSWERED".to_string()),
            Just("2026-01-05 09:00:00".to_string()),
            (0u64..3_000_000_000).prop_map(|n| n.to_string()),
            "[a-z0-9.:-]{0,6}",
            Just("1e308".to_string()),
            Just("9".repeat(300)),
            Just("-1".to_string()),
            Just("NaN".to_string()),
        ];
        proptest::collection::vec(piece, 0..60).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn readers_and_fit_never_panic(text in lines()) {
            let dir = tempfile::tempdir().unwrap();
            let p = file(&dir, "log", &text);
            let m = logs::parse_mapping("arrival=1,answer=2,end=3,outcome=4").unwrap();
            for f in [LogFormat::QueueLog, LogFormat::Cdr, LogFormat::Calls, LogFormat::Generic(m)] {
                let mut fitter = telsim::fit::Fitter::new(telsim::fit::FitOptions::default());
                if logs::for_each(&p, &f, &ReadOptions::default(), |i| fitter.add(&i)).is_ok() {
                    let r = fitter.finish(Vec::new());
                    if !r.queues.is_empty() {
                        let text = telsim::fit::scenario_writer::write_scenario(&r, &["log".into()], "x");
                        // Whatever was read, the scenario written is valid.
                        prop_assert!(telsim::model_from_str(&text, "x.ron").is_ok(), "{}", text);
                    }
                }
            }
        }
    }
}
