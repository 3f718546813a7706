//! The column types of every CSV file, in one table: `datapackage.json` is
//! written from it, unit tests hold every writer's header to it, and a test
//! holds `docs/outputs.md` to it. A column has one type whatever the
//! scenario: empty cells are missing numbers, `-` is "does not apply" in
//! text columns (see [`NONE`](super::csv_text::NONE)).

use std::io::{self, Write};

use crate::model::{Model, Outcome};
use crate::stats::Metric;

/// A column's type, as Frictionless Table Schema names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Digits with an optional sign (read as i64).
    Integer,
    /// A decimal number (read as f64); always written with a point or an
    /// exponent.
    Number,
    String,
    /// `true` or `false`.
    Boolean,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Integer => "integer",
            Kind::Number => "number",
            Kind::String => "string",
            Kind::Boolean => "boolean",
        }
    }
}

/// One column: name, type, unit (empty for none) and meaning.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
    pub unit: &'static str,
    pub doc: &'static str,
}

const fn c(name: &'static str, kind: Kind, unit: &'static str, doc: &'static str) -> Column {
    Column {
        name,
        kind,
        unit,
        doc,
    }
}

use Kind::{Boolean as B, Integer as I, Number as N, String as S};

/// A CSV file of a run folder.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    pub file: &'static str,
    pub doc: &'static str,
    pub columns: &'static [Column],
    /// Enumerated values of text columns, for `constraints.enum`.
    pub enums: &'static [(&'static str, &'static [&'static str])],
}

const OUTCOMES: [&str; Outcome::ALL.len()] = {
    let mut names = [""; Outcome::ALL.len()];
    let mut i = 0;
    while i < names.len() {
        names[i] = Outcome::ALL[i].as_str();
        i += 1;
    }
    names
};

pub const CALLS: Table = Table {
    file: "calls.csv",
    doc: "One row per finished call, every replication (calls that arrived during warm-up included), in the order calls ended within a replication.",
    columns: &[
        c("replication", I, "", "Replication index, from 0."),
        c("call_id", I, "", "Sequential per replication, in order of arrival (inbound and outbound share the sequence)."),
        c("portal", S, "", "The portal (tenant) the call belongs to."),
        c("direction", S, "", "`inbound` (a caller rings the portal) or `outbound` (an agent dials out)."),
        c("arrival_s", N, "s", "When the call arrived (outbound: was placed), seconds since the replication's start."),
        c("answer_s", N, "s", "When an agent (outbound: the called party) answered; empty if never answered."),
        c("end_s", N, "s", "When the call ended."),
        c("wait_s", N, "s", "From joining the queue (or the start of a targeted ring) to answer or to leaving unanswered; includes ringing. Empty for calls that never reached the queue (blocked, failed, ended in the steps, outbound)."),
        c("talk_s", N, "s", "end_s − answer_s; empty if never answered."),
        c("outcome", S, "", "How the call ended (see the outcome list)."),
        c("agent", S, "", "Inbound: the agent who answered; outbound: the agent who dialled; `-` if none."),
        c("sip_server", S, "", "The SIP server that admitted the call (for `failed`: the one its INVITE never reached); `-` if none."),
        c("media_server", S, "", "The media server relaying the call; `-` if none."),
        c("codec", S, "", "The codec negotiated (runs with a topology); `-` without a topology."),
        c("pdd_ms", N, "ms", "Post-dial delay, INVITE to 180 Ringing, with retransmissions (topology runs); empty otherwise."),
        c("rtp_sent", I, "packets", "RTP packets sent towards the caller (answered calls with media); empty otherwise."),
        c("rtp_received", I, "packets", "RTP packets the caller received; empty without media."),
        c("loss_pct", N, "%", "Packets lost for quality (network loss, late arrivals, media gaps), percent of those sent; empty without media."),
        c("jitter_ms", N, "ms", "RFC 3550 interarrival jitter at the caller; empty without media."),
        c("delay_ms", N, "ms", "Mouth-to-ear delay; empty without media."),
        c("mos", N, "MOS (1-4.5)", "ITU-T G.107 E-model MOS of what the caller heard; empty without media."),
        c("media_gap_s", N, "s", "Total time the media was interrupted by failures; empty without media."),
        c("steps_s", N, "s", "Time in the scenario steps before waiting for an agent (settings look-up, greeting, extension code...)."),
        c("destination", S, "", "Outbound: the number dialled as sent to the trunk, prefixed `tel:` (`tel:+14155550100`) so it is never read as a number; `-` for inbound calls."),
        c("charge", N, "currency units", "What the call cost the portal, in its currency's major units with two decimals (0.00 for a free call); empty when the scenario has no money."),
        c("transfer", S, "", "`blind` or `attended` for a transferred call; `-` otherwise."),
        c("transfer_to", S, "", "The agent the call was transferred to; `-` if not transferred."),
        c("leg1_talk_s", N, "s", "Transferred calls: caller with the first agent until the transfer started; empty otherwise."),
        c("consult_s", N, "s", "Attended transfers: first agent with the target while the caller held; empty otherwise."),
        c("leg3_talk_s", N, "s", "Transferred calls: caller with the target; empty otherwise."),
        c("abandoned_in", S, "", "Abandoned calls: where the caller hung up (`setup`, `greeting`, `extension`, `ringing`, `queue`); `-` otherwise."),
        c("transfer_failed", S, "", "Why a transfer the agent meant to make did not happen (`short_talk`: the talk ended before `after_s`; `no_free_agent`; `no_answer`: the target did not answer); `-` otherwise."),
    ],
    enums: &[
        ("direction", &["inbound", "outbound"]),
        ("outcome", &OUTCOMES),
        ("transfer", &["blind", "attended", "-"]),
        ("abandoned_in", &["setup", "greeting", "extension", "ringing", "queue", "-"]),
        ("transfer_failed", &["short_talk", "no_free_agent", "no_answer", "-"]),
    ],
};

pub const INTERVALS: Table = Table {
    file: "intervals.csv",
    doc: "One row per interval and scope (the platform, each portal, each server) and replication. Intervals are half-open [start, end): each count belongs to the interval containing the instant of its event: `offered` at arrival, `answered` (and asa_s, service_level) at answer, the outcome columns when the call ended. So an interval can show more answers than arrivals (calls that arrived in an earlier interval). The last interval also holds the calls cut at the drain limit, at its end instant. Rows continue after `duration_s` while calls are still ending.",
    columns: &[
        c("replication", I, "", "Replication index, from 0."),
        c("interval_start_s", N, "s", "Start of the interval (included)."),
        c("interval_end_s", N, "s", "End of the interval (excluded)."),
        c("scope", S, "", "`platform`, a portal's name or a server's name."),
        c("kind", S, "", "`platform`, `portal` or `server`."),
        c("offered", I, "calls", "Inbound calls that arrived in the interval."),
        c("answered", I, "calls", "Calls answered in the interval (by answer instant)."),
        c("abandoned", I, "calls", "Calls that ended in the interval with outcome `abandoned`."),
        c("blocked", I, "calls", "Ended in the interval as `blocked`."),
        c("voicemail", I, "calls", "Ended in the interval as `voicemail`."),
        c("forwarded", I, "calls", "Ended in the interval as `forwarded`."),
        c("no_answer", I, "calls", "Ended in the interval as `no_answer`."),
        c("dropped", I, "calls", "Ended in the interval as `dropped`."),
        c("failed", I, "calls", "Ended in the interval as `failed`."),
        c("unfinished", I, "calls", "Cut at the drain limit (counted in the last interval)."),
        c("mean_concurrency", N, "calls", "Time-average number of calls in the scope over the interval."),
        c("max_concurrency", I, "calls", "Most calls in the scope at once."),
        c("mean_queue", N, "calls", "Time-average number of callers waiting for an agent; empty for servers."),
        c("max_queue", I, "calls", "Most callers waiting at once; empty for servers."),
        c("agent_occupancy", N, "share (0-1)", "Time-average share of agents busy (ringing, talking, wrap-up); empty for servers and scopes without agents."),
        c("server_utilisation", N, "share (0-1)", "Servers with max_calls: mean concurrent calls over max_calls; empty otherwise."),
        c("asa_s", N, "s", "Mean wait of the calls answered in the interval; empty if none."),
        c("service_level", N, "share (0-1)", "Share of the calls answered in the interval that waited at most service_level_s; empty if none."),
        c("mean_mos", N, "MOS (1-4.5)", "Mean MOS of the calls with media that ended in the interval; empty if none."),
        c("blacklisted", I, "calls", "Ended in the interval as `blacklisted`."),
        c("after_hours", I, "calls", "Ended in the interval as `after_hours`."),
        c("outbound", I, "calls", "Outbound calls that ended in the interval."),
        c("rejected_balance", I, "calls", "Outbound calls refused in the interval for want of money."),
        c("ctrl_requests", I, "requests", "Platform rows with a controller: requests submitted in the interval; empty otherwise."),
        c("ctrl_load", N, "ratio", "Controller work submitted over its capacity (workers × interval length); above 1 a backlog builds. Empty without a controller."),
        c("ctrl_mean_wait_ms", N, "ms", "Mean wait of controller requests for a worker; empty without requests."),
        c("ctrl_max_wait_ms", N, "ms", "Longest wait of a controller request; empty without a controller."),
        c("ctrl_timeouts", I, "requests", "Controller requests that timed out; empty without a controller."),
        c("cache_hit_ratio", N, "share (0-1)", "Settings look-ups served from the cache; empty without look-ups."),
        c("upgraded", I, "portals", "Portals whose call scenario was upgraded in the interval; empty without a controller."),
        c("balance", N, "currency units", "Portal rows with money: the balance at the interval's end; empty otherwise."),
        c("registers", I, "requests", "REGISTER requests taken in the interval (server rows; 0 elsewhere)."),
        c("register_rejects", I, "requests", "REGISTER requests refused in the interval."),
        c("offline_agents", I, "agents", "With devices: agents whose phone is not registered at the interval's end; empty otherwise."),
    ],
    enums: &[("kind", &["platform", "portal", "server"])],
};

pub const SUMMARY: Table = Table {
    file: "summary.csv",
    doc: "One row per scope and metric: the mean over replications of each replication's value (over calls that arrived after warm-up), its 95% confidence interval and the standard deviation.",
    columns: &[
        c("scope", S, "", "`platform` or a portal's name."),
        c("metric", S, "", "The metric's name (see the metric list)."),
        c("mean", N, "the metric's", "Mean over the replications that had a value; empty if none had."),
        c("ci95_low", N, "the metric's", "Lower bound of the 95% Student-t interval over replications, clipped to the metric's range; empty below two values."),
        c("ci95_high", N, "the metric's", "Upper bound, clipped likewise."),
        c("n", I, "replications", "Replications with a value (a ratio with an empty denominator has none)."),
        c("sd", N, "the metric's", "Sample standard deviation of the replications' values (unclipped); empty below two values."),
    ],
    enums: &[],
};

pub const PORTALS: Table = Table {
    file: "portals.csv",
    doc: "One row per portal and replication: money, alerts and the controller's view of the portal over the whole run (warm-up included).",
    columns: &[
        c("replication", I, "", "Replication index, from 0."),
        c("portal", S, "", "The portal's name."),
        c("currency", S, "", "The portal's currency (ISO 4217 code)."),
        c("alert_rule", S, "", "`fixed` or `adaptive` balance alert; `-` without alerts."),
        c("start_balance", N, "currency units", "Balance at the start."),
        c("charged", N, "currency units", "Total charged (calls and number rent)."),
        c("charges", I, "charges", "Number of charges."),
        c("topped_up", N, "currency units", "Total the owner topped up."),
        c("topups", I, "top-ups", "Number of top-ups."),
        c("end_balance", N, "currency units", "Balance at the end (start − charged + topped_up)."),
        c("outbound_calls", I, "calls", "Outbound calls placed."),
        c("outbound_answered", I, "calls", "Outbound calls answered."),
        c("rejected_balance", I, "calls", "Outbound calls refused for want of money."),
        c("credit_ended", I, "calls", "Outbound calls cut when the credit ran out."),
        c("alerts", I, "messages", "Balance alerts sent, reminders included."),
        c("reminders", I, "messages", "Reminders among them."),
        c("mean_lead_h", N, "h", "Mean time from an alert to the balance reaching zero, over alerts whose balance did reach zero; empty if none."),
        c("leads_censored", I, "alerts", "Alerts whose balance had not reached zero by the end (their lead is unknown)."),
        c("zero_balance_h", N, "h", "Hours the balance spent at or below zero; empty when the scenario has no money."),
        c("exhaustions", I, "episodes", "Times the balance reached zero."),
        c("provisioned_at_s", N, "s", "When the portal was provisioned (settings first loaded); empty if never."),
        c("scenario_version", I, "", "Call-scenario version in force at the end."),
        c("upgraded_at_s", N, "s", "When the portal's call scenario was upgraded; empty if never."),
        c("lookups", I, "requests", "Settings look-ups sent to the controller."),
        c("cache_hits", I, "requests", "Settings look-ups served from the cache."),
    ],
    enums: &[],
};

pub const ALERTS: Table = Table {
    file: "alerts.csv",
    doc: "One row per money event of a portal (alert, reminder, exhaustion, top-up), every replication, in time order within a replication. Written even when empty (header only).",
    columns: &[
        c("replication", I, "", "Replication index, from 0."),
        c("time_s", N, "s", "When it happened."),
        c("portal", S, "", "The portal's name."),
        c("currency", S, "", "The portal's currency."),
        c("event", S, "", "`alert` (the balance crossed the threshold), `reminder` (a repeat while still below), `exhausted` (the balance reached zero) or `top_up` (the owner added money)."),
        c("balance", N, "currency units", "The balance at that instant."),
        c("threshold", N, "currency units", "Alerts and reminders: the threshold crossed; empty otherwise."),
        c("lead_h", N, "h", "Alerts: hours from the alert until the balance reached zero; empty if it did not (or for other events)."),
        c("amount", N, "currency units", "Top-ups: the amount added; empty otherwise."),
    ],
    enums: &[("event", &["alert", "reminder", "top_up", "exhausted"])],
};

pub const LINKS: Table = Table {
    file: "links.csv",
    doc: "Runs with a topology: one row per interval, link and replication (same half-open intervals as intervals.csv).",
    columns: &[
        c("replication", I, "", "Replication index, from 0."),
        c("interval_start_s", N, "s", "Start of the interval (included)."),
        c("interval_end_s", N, "s", "End of the interval (excluded)."),
        c("link", S, "", "`a-b`, the link's two node names."),
        c("a", S, "", "One end of the link."),
        c("b", S, "", "The other end."),
        c("capacity_mbps", N, "Mbit/s", "The link's capacity; empty for an unlimited link."),
        c("failed", B, "", "Whether the link was down at the interval's end."),
        c("mean_flows", N, "flows", "Time-average number of media flows on the link."),
        c("max_flows", I, "flows", "Most flows at once."),
        c("mean_load_mbps", N, "Mbit/s", "Time-average media load."),
        c("max_load_mbps", N, "Mbit/s", "Highest load."),
        c("utilisation", N, "ratio", "mean_load_mbps / capacity_mbps (above 1: overloaded, the excess is lost); empty for an unlimited link."),
    ],
    enums: &[],
};

pub const EVENTS: Table = Table {
    file: "events.csv",
    doc: "Scenarios with timed failures: the failures and recoveries of the scenario's `events`, in time order (the same in every replication).",
    columns: &[
        c("time_s", N, "s", "When it happens."),
        c("event", S, "", "`fail_link`, `recover_link`, `fail_node`, `recover_node`, `fail_server` or `recover_server`."),
        c("target", S, "", "The link (`a-b`), node or server."),
    ],
    enums: &[(
        "event",
        &["fail_link", "recover_link", "fail_node", "recover_node", "fail_server", "recover_server"],
    )],
};

pub const REPLICATIONS: Table = Table {
    file: "replications.csv",
    doc: "One row per replication, scope and metric: the values summary.csv averages, in summary.csv's row order within each replication (for paired or rank tests, and for pooling replication shards).",
    columns: &[
        c("replication", I, "", "Replication index, from 0."),
        c("scope", S, "", "`platform` or a portal's name."),
        c("metric", S, "", "The metric's name (see the metric list)."),
        c("value", N, "the metric's", "The replication's value, printed so it reads back exactly; empty when undefined (a ratio with an empty denominator)."),
    ],
    enums: &[],
};

/// Every CSV a run can write, in the order `datapackage.json` lists them.
pub const TABLES: [Table; 8] = [
    CALLS,
    INTERVALS,
    SUMMARY,
    REPLICATIONS,
    PORTALS,
    ALERTS,
    LINKS,
    EVENTS,
];

/// What `missingValues` lists: an empty cell, and the "does not apply"
/// marker of text columns.
pub const MISSING: [&str; 2] = ["", super::csv_text::NONE];

/// The header line a table's writer must write.
pub fn header(t: &Table) -> String {
    let names: Vec<&str> = t.columns.iter().map(|c| c.name).collect();
    format!("{}\n", names.join(","))
}

/// A name fit for a Data Package (lower case, `a-z0-9._-`).
fn package_name(name: &str) -> String {
    let s: String = name
        .to_lowercase()
        .chars()
        .map(|ch| {
            if ch.is_ascii_alphanumeric() || ".-_".contains(ch) {
                ch
            } else {
                '-'
            }
        })
        .collect();
    if s.is_empty() {
        "telsim-run".into()
    } else {
        s
    }
}

fn field_json(col: &Column, enums: &[(&str, &[&str])]) -> serde_json::Value {
    let description = if col.unit.is_empty() {
        col.doc.to_string()
    } else {
        format!("Unit: {}. {}", col.unit, col.doc)
    };
    let mut f = serde_json::json!({
        "name": col.name,
        "type": col.kind.name(),
        "description": description,
    });
    if !col.unit.is_empty() {
        f["unit"] = col.unit.into();
    }
    if col.kind == Kind::Boolean {
        f["trueValues"] = serde_json::json!(["true"]);
        f["falseValues"] = serde_json::json!(["false"]);
    }
    if let Some((_, values)) = enums.iter().find(|(n, _)| *n == col.name) {
        f["constraints"] = serde_json::json!({ "enum": values });
    }
    f
}

/// The Frictionless Data Package describing the CSV files named in
/// `files` (`calls.csv`, ..., as written): typed loading is then one call in
/// pandas, R (`frictionless::read_resource`) or any Frictionless tool.
pub fn datapackage(title: &str, files: &[&str]) -> serde_json::Value {
    let resources: Vec<serde_json::Value> = TABLES
        .iter()
        .filter(|t| files.contains(&t.file))
        .map(|t| {
            let fields: Vec<serde_json::Value> =
                t.columns.iter().map(|c| field_json(c, t.enums)).collect();
            let mut schema = serde_json::json!({
                "fields": fields,
                "missingValues": MISSING,
            });
            if t.file == SUMMARY.file {
                let metrics: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
                schema["fields"][1]["constraints"] = serde_json::json!({ "enum": metrics });
            }
            serde_json::json!({
                "name": t.file.trim_end_matches(".csv"),
                "path": t.file,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "description": t.doc,
                "dialect": { "delimiter": ",", "header": true, "doubleQuote": true },
                "schema": schema,
            })
        })
        .collect();
    serde_json::json!({
        "profile": "tabular-data-package",
        "name": package_name(title),
        "title": format!("telsim run of scenario {title}"),
        "description": "Column types, units and meanings: see docs/outputs.md in the telsim repository. Empty cells are missing values; `-` in a text column means the field does not apply.",
        "resources": resources,
    })
}

/// The table written to `file` (`calls.csv`, `calls.parquet`, ...).
pub fn table_of(file: &str) -> Option<&'static Table> {
    let stem = file.rsplit_once('.')?.0;
    TABLES
        .iter()
        .find(|t| t.file.trim_end_matches(".csv") == stem)
}

/// Writes `datapackage.json` for a run of `model` whose folder holds `files`
/// (CSV files; `calls.parquet` is described in place of `calls.csv` when
/// `parquet_calls`).
pub fn write_datapackage(
    w: &mut impl Write,
    model: &Model,
    files: &[&str],
    parquet_calls: bool,
) -> io::Result<()> {
    let mut pkg = datapackage(&model.name, files);
    // The seed the run used (after `--seed`): two runs with the same seed
    // share replication r's random numbers, which lets `telsim diff` pair
    // them without being told.
    pkg["seed"] = model.seed.into();
    if parquet_calls {
        let mut calls = datapackage(&model.name, &[CALLS.file])["resources"][0].clone();
        calls["path"] = "calls.parquet".into();
        calls["format"] = "parquet".into();
        calls["mediatype"] = "application/vnd.apache.parquet".into();
        calls["profile"] = "data-resource".into();
        for k in ["encoding", "dialect"] {
            calls.as_object_mut().expect("an object").remove(k);
        }
        pkg["resources"]
            .as_array_mut()
            .expect("an array")
            .insert(0, calls);
    }
    serde_json::to_writer_pretty(&mut *w, &pkg).map_err(io::Error::other)?;
    w.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The writers' headers are the schema's columns, in order: the schema
    /// cannot drift from what is written.
    #[test]
    fn every_header_is_its_schema() {
        assert_eq!(super::super::CALLS_HEADER, header(&CALLS));
        assert_eq!(
            super::super::intervals_csv::INTERVALS_HEADER,
            header(&INTERVALS)
        );
        assert_eq!(super::super::summary_csv::SUMMARY_HEADER, header(&SUMMARY));
        assert_eq!(super::super::PORTALS_HEADER, header(&PORTALS));
        assert_eq!(super::super::ALERTS_HEADER, header(&ALERTS));
        assert_eq!(super::super::links_csv::LINKS_HEADER, header(&LINKS));
        assert_eq!(super::super::events_csv::EVENTS_HEADER, header(&EVENTS));
    }

    #[test]
    fn the_package_lists_only_written_files_with_typed_fields() {
        let pkg = datapackage("Two DC's run", &["summary.csv", "calls.csv"]);
        assert_eq!(pkg["name"], "two-dc-s-run");
        let res = pkg["resources"].as_array().unwrap();
        let names: Vec<&str> = res.iter().map(|r| r["path"].as_str().unwrap()).collect();
        assert_eq!(names, ["calls.csv", "summary.csv"]);
        let fields = res[0]["schema"]["fields"].as_array().unwrap();
        assert_eq!(fields.len(), CALLS.columns.len());
        let wait = fields.iter().find(|f| f["name"] == "wait_s").unwrap();
        assert_eq!(wait["type"], "number");
        assert!(wait["description"]
            .as_str()
            .unwrap()
            .starts_with("Unit: s."));
        let outcome = fields.iter().find(|f| f["name"] == "outcome").unwrap();
        assert_eq!(
            outcome["constraints"]["enum"].as_array().unwrap().len(),
            Outcome::ALL.len()
        );
        assert_eq!(
            res[0]["schema"]["missingValues"],
            serde_json::json!(["", "-"])
        );
    }
}
