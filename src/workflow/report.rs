//! `telsim report`: a run folder as SVG charts and an `index.html` that
//! shows them with the summary table.
//!
//! Reads only the run's files: `summary.csv` and `intervals.csv` (required),
//! `calls.csv` (the wait-time and MOS distributions need it), `links.csv`,
//! `events.csv` and `alerts.csv` when present. Interval values are averaged
//! over replications, interval by interval, with a 95% band. Charts: offered
//! and carried load, concurrency, queue length, service level and occupancy
//! over time; link utilisation, MOS over time and controller load when the
//! run has them; the wait-time and MOS distributions; the balance per portal
//! (one panel each when their sizes differ tenfold) with alert markers. Every
//! time series marks the scenario's failures and recoveries; runs longer
//! than two days are plotted in days.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use super::csv_input::{self, Problem};
use super::summary_file::{read_summary, SummaryEntry};
use super::svg::{self, escape, Histogram, LineChart, Marker, Series};
use super::{bad_csv, bad_file, fmt_num, open_input, write_err, WorkflowError};

/// Interval columns the charts use, averaged over replications.
const COLUMNS: [&str; 11] = [
    "offered",
    "answered",
    "mean_concurrency",
    "max_concurrency",
    "mean_queue",
    "max_queue",
    "agent_occupancy",
    "service_level",
    "mean_mos",
    "balance",
    "ctrl_load",
];

/// `links.csv` columns the link chart uses.
const LINK_COLUMNS: [&str; 1] = ["utilisation"];

#[derive(Debug, Default, Clone)]
struct Acc {
    sum: Vec<f64>,
    sumsq: Vec<f64>,
    n: Vec<u32>,
}

/// Per scope (in file order), per interval: (start_s, end_s, column sums
/// over replications).
#[derive(Debug, Default)]
pub(crate) struct Intervals {
    columns: Vec<&'static str>,
    scopes: Vec<(String, String)>,
    rows: BTreeMap<(usize, u64), (f64, f64, Acc)>,
}

/// A time series: the mean over replications per interval at the
/// interval's middle, and its 95% Student-t band (where two or more
/// replications have a value).
type Line = (Vec<(f64, f64)>, Vec<(f64, f64, f64)>);

impl Intervals {
    /// `column` of `scope` over time, x in units of `x_unit_s` seconds,
    /// values per hour when `per_hour` (counts per interval).
    fn line(&self, scope: usize, column: &str, per_hour: bool, x_unit_s: f64) -> Line {
        // A file without the column (or none read) has no line to draw.
        let Some(c) = self.columns.iter().position(|x| *x == column) else {
            return (Vec::new(), Vec::new());
        };
        let mut points = Vec::new();
        let mut band = Vec::new();
        for (start, end, acc) in self.rows.range((scope, 0)..(scope + 1, 0)).map(|(_, v)| v) {
            let x = (start + end) / 2.0 / x_unit_s;
            let scale = if per_hour && end > start {
                3600.0 / (end - start)
            } else {
                1.0
            };
            let n = acc.n[c];
            if n == 0 {
                points.push((x, f64::NAN));
                band.push((x, f64::NAN, f64::NAN));
                continue;
            }
            let mean = acc.sum[c] / f64::from(n);
            points.push((x, mean * scale));
            if n >= 2 {
                let var = ((acc.sumsq[c] - f64::from(n) * mean * mean) / f64::from(n - 1)).max(0.0);
                let half =
                    crate::stats::student_t_975(n as usize - 1) * (var / f64::from(n)).sqrt();
                let (lo, hi) = column_range(column);
                band.push((
                    x,
                    ((mean - half) * scale).max(lo),
                    ((mean + half) * scale).min(hi),
                ));
            } else {
                band.push((x, f64::NAN, f64::NAN));
            }
        }
        (points, band)
    }

    fn has(&self, scope: usize, column: &str) -> bool {
        self.line(scope, column, false, 1.0)
            .0
            .iter()
            .any(|p| p.1.is_finite())
    }

    fn last_end_s(&self) -> f64 {
        self.rows.values().map(|r| r.1).fold(0.0, f64::max)
    }
}

/// The values a column can take, to clip its confidence band to (as
/// summary.csv clips its intervals): shares within [0, 1], MOS within
/// [1, 4.5], counts, levels and loads non-negative; balances unbounded.
fn column_range(column: &str) -> (f64, f64) {
    match column {
        "agent_occupancy" | "service_level" => (0.0, 1.0),
        "mean_mos" => (1.0, 4.5),
        "balance" => (f64::NEG_INFINITY, f64::INFINITY),
        _ => (0.0, f64::INFINITY),
    }
}

/// Reads a per-interval file (`intervals.csv`, `links.csv`) through the
/// guarded reader: rows keyed by the values of `key` columns, the `columns`
/// summed over replications.
fn read_intervals(
    path: &Path,
    key: &[&str],
    columns: &[&'static str],
) -> Result<Intervals, WorkflowError> {
    let input = std::io::BufReader::new(open_input(path)?);
    let what = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    parse_intervals(input, &what, key, columns).map_err(|p| bad_csv(path, p))
}

/// Most distinct (scope, kind) pairs an intervals file may hold: one per
/// portal plus the platform, far above any platform telsim simulates.
pub const MAX_SCOPES: usize = 1_000_000;

/// Parses a per-interval file. Interval bounds must be finite with
/// `0 ≤ start ≤ end`; the charted columns empty or finite numbers.
pub(crate) fn parse_intervals(
    input: impl std::io::Read,
    what: &str,
    key: &[&str],
    columns: &[&'static str],
) -> Result<Intervals, Problem> {
    let mut required = vec!["interval_start_s", "interval_end_s"];
    required.extend_from_slice(key);
    let mut t = csv_input::open(input, what, &required)?;
    let idx = |name: &str| t.column(name).expect("checked by open");
    let (start, end) = (idx("interval_start_s"), idx("interval_end_s"));
    let keys: Vec<usize> = key.iter().map(|k| idx(k)).collect();
    let cols: Vec<Option<usize>> = columns.iter().map(|c| t.column(c)).collect();
    let mut out = Intervals {
        columns: columns.to_vec(),
        ..Intervals::default()
    };
    let empty = Acc {
        sum: vec![0.0; columns.len()],
        sumsq: vec![0.0; columns.len()],
        n: vec![0; columns.len()],
    };
    let mut scope_at: HashMap<(String, String), usize> = HashMap::new();
    while let Some((line, rec)) = t.next_row()? {
        let bound = |k: usize, name: &str| match csv_input::finite(&rec[k], line, name)? {
            Some(v) if v >= 0.0 => Ok(v),
            Some(v) => Err(Problem::in_column(line, name, format!("{v} is negative"))),
            None => Err(Problem::in_column(line, name, "empty")),
        };
        let s = bound(start, "interval_start_s")?;
        let e = bound(end, "interval_end_s")?;
        if e < s {
            return Err(Problem::in_column(
                line,
                "interval_end_s",
                format!("{e} is before interval_start_s {s}"),
            ));
        }
        let k = |j: usize| keys.get(j).map(|&c| rec[c].to_string()).unwrap_or_default();
        let key = (k(0), k(1));
        let si = match scope_at.get(&key) {
            Some(&si) => si,
            None => {
                if out.scopes.len() == MAX_SCOPES {
                    return Err(Problem::at(line, format!("more than {MAX_SCOPES} scopes")));
                }
                out.scopes.push(key.clone());
                scope_at.insert(key, out.scopes.len() - 1);
                out.scopes.len() - 1
            }
        };
        let mut values = vec![None; columns.len()];
        for (c, k) in cols.iter().enumerate() {
            if let Some(k) = *k {
                values[c] = csv_input::finite(&rec[k], line, columns[c])?;
            }
        }
        let entry = out
            .rows
            .entry((si, (s * 1000.0).round() as u64))
            .or_insert_with(|| (s, e, empty.clone()));
        for (c, v) in values.into_iter().enumerate() {
            if let Some(v) = v {
                entry.2.sum[c] += v;
                entry.2.sumsq[c] += v * v;
                entry.2.n[c] += 1;
            }
        }
    }
    Ok(out)
}

/// `(time_s, label)` of the scenario's failures and recoveries, from
/// `events.csv` (none when the file is absent).
fn read_events(path: &Path) -> Result<Vec<(f64, String)>, WorkflowError> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let mut r = csv::Reader::from_path(path).map_err(|e| bad_file(path, e.to_string()))?;
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| bad_file(path, e.to_string()))?;
        if let Some(t) = rec.get(0).and_then(|s| s.parse::<f64>().ok()) {
            let what = rec.get(1).unwrap_or("").replace('_', " ");
            out.push((t, format!("{what} {}", rec.get(2).unwrap_or(""))));
        }
    }
    Ok(out)
}

/// `(time_s, portal)` of the balance alerts of replication 0, from
/// `alerts.csv` (none when the file is absent).
fn read_alerts(path: &Path) -> Result<Vec<(f64, String)>, WorkflowError> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let mut r = csv::Reader::from_path(path).map_err(|e| bad_file(path, e.to_string()))?;
    let header = r
        .headers()
        .map_err(|e| bad_file(path, e.to_string()))?
        .clone();
    let col = |name: &str| header.iter().position(|h| h == name);
    let (Some(rep), Some(time), Some(portal), Some(event)) = (
        col("replication"),
        col("time_s"),
        col("portal"),
        col("event"),
    ) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| bad_file(path, e.to_string()))?;
        if rec.get(rep) != Some("0") || rec.get(event) != Some("alert") {
            continue;
        }
        if let Some(t) = rec.get(time).and_then(|s| s.parse::<f64>().ok()) {
            out.push((t, rec.get(portal).unwrap_or("").to_string()));
        }
    }
    Ok(out)
}

/// Wait times of queued calls and MOS of calls with media, from calls.csv.
fn read_calls(path: &Path) -> Result<(Vec<f64>, Vec<f64>), WorkflowError> {
    let input = std::io::BufReader::new(open_input(path)?);
    parse_calls(input).map_err(|p| bad_csv(path, p))
}

/// Parses the `wait_s` and `mos` columns of a `calls.csv` (either may be
/// absent; empty cells are calls that did not queue or had no media).
pub(crate) fn parse_calls(input: impl std::io::Read) -> Result<(Vec<f64>, Vec<f64>), Problem> {
    let mut t = csv_input::open(input, "calls.csv", &[])?;
    let wait = t.column("wait_s");
    let mos = t.column("mos");
    let mut waits = Vec::new();
    let mut moses = Vec::new();
    while let Some((line, rec)) = t.next_row()? {
        if let Some(w) = wait {
            if let Some(v) = csv_input::finite(&rec[w], line, "wait_s")? {
                waits.push(v);
            }
        }
        if let Some(m) = mos {
            if let Some(v) = csv_input::finite(&rec[m], line, "mos")? {
                moses.push(v);
            }
        }
    }
    Ok((waits, moses))
}

/// One chart written by the report.
#[derive(Debug, Clone)]
pub struct Chart {
    pub file: String,
    pub title: String,
    pub caption: String,
    /// The image's height in pixels (its width is 760).
    pub height: f64,
}

#[derive(Debug)]
pub struct ReportResult {
    pub index: PathBuf,
    pub charts: Vec<Chart>,
    /// Charts left out and why (no calls.csv, no media, no money).
    pub skipped: Vec<String>,
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

/// Most scopes the summary table has columns for: the table is scopes ×
/// metrics cells, and past a few dozen columns a page is unreadable anyway.
const MAX_TABLE_SCOPES: usize = 50;

fn summary_table(rows: &[SummaryEntry]) -> String {
    let mut scopes: Vec<&str> = Vec::new();
    let mut metrics: Vec<&str> = Vec::new();
    let mut seen_scopes: std::collections::HashSet<&str> = Default::default();
    let mut seen_metrics: std::collections::HashSet<&str> = Default::default();
    let mut cell: HashMap<(&str, &str), &SummaryEntry> = HashMap::with_capacity(rows.len());
    for r in rows {
        if seen_scopes.insert(&r.scope) {
            scopes.push(&r.scope);
        }
        if seen_metrics.insert(&r.metric) {
            metrics.push(&r.metric);
        }
        cell.entry((r.scope.as_str(), r.metric.as_str()))
            .or_insert(r);
    }
    let hidden = scopes.len().saturating_sub(MAX_TABLE_SCOPES);
    scopes.truncate(MAX_TABLE_SCOPES);
    let mut o = String::new();
    if hidden > 0 {
        let _ = writeln!(
            o,
            "<p>{hidden} more scope(s) not shown here; summary.csv has them all.</p>"
        );
    }
    o.push_str("<table id=\"summary\">\n<thead><tr><th>metric</th>");
    for s in &scopes {
        let _ = write!(o, "<th>{}</th>", escape(s));
    }
    o.push_str("</tr></thead>\n<tbody>\n");
    for m in &metrics {
        let cells: Vec<String> = scopes
            .iter()
            .map(|s| match cell.get(&(*s, *m)).copied() {
                Some(SummaryEntry {
                    mean: Some(v),
                    ci95_low: Some(lo),
                    ci95_high: Some(hi),
                    ..
                }) => format!(
                    "{} <small>[{}, {}]</small>",
                    fmt_num(*v),
                    fmt_num(*lo),
                    fmt_num(*hi)
                ),
                Some(SummaryEntry { mean: Some(v), .. }) => fmt_num(*v),
                _ => "–".into(),
            })
            .collect();
        if cells.iter().all(|c| c == "–") {
            continue;
        }
        let _ = write!(o, "<tr><th>{}</th>", escape(m));
        for c in cells {
            let _ = write!(o, "<td>{c}</td>");
        }
        o.push_str("</tr>\n");
    }
    o.push_str("</tbody>\n</table>\n");
    o
}

/// Writes the charts and `index.html` into `out_dir` (default
/// `<run>/report/`).
pub fn report(run_dir: &Path, out_dir: Option<&Path>) -> Result<ReportResult, WorkflowError> {
    let summary = read_summary(&run_dir.join("summary.csv"))?;
    let intervals = read_intervals(&run_dir.join("intervals.csv"), &["scope", "kind"], &COLUMNS)?;
    let links_path = run_dir.join("links.csv");
    let links = if links_path.exists() {
        Some(read_intervals(&links_path, &["link"], &LINK_COLUMNS)?)
    } else {
        None
    };
    let events = read_events(&run_dir.join("events.csv"))?;
    let alerts = read_alerts(&run_dir.join("alerts.csv"))?;
    let calls_path = run_dir.join("calls.csv");
    let (waits, moses) = if calls_path.exists() {
        read_calls(&calls_path)?
    } else {
        (Vec::new(), Vec::new())
    };
    let out = out_dir.map_or_else(|| run_dir.join("report"), Path::to_path_buf);
    fs::create_dir_all(&out).map_err(write_err(&out))?;

    let (charts, skipped) = draw(
        &intervals,
        links.as_ref(),
        &events,
        &alerts,
        &waits,
        &moses,
        calls_path.exists(),
    );
    for (c, body) in &charts {
        let path = out.join(&c.file);
        fs::write(&path, body).map_err(write_err(&path))?;
    }
    let index = out.join("index.html");
    let html = index_html(
        run_dir,
        &summary,
        &charts.iter().map(|c| c.0.clone()).collect::<Vec<_>>(),
        &skipped,
    );
    fs::write(&index, html).map_err(write_err(&index))?;
    Ok(ReportResult {
        index,
        charts: charts.into_iter().map(|c| c.0).collect(),
        skipped,
    })
}

/// Every chart of a report and the notes on charts left out, from what
/// the run's files held (`calls_present`: whether calls.csv exists).
fn draw(
    intervals: &Intervals,
    links: Option<&Intervals>,
    events: &[(f64, String)],
    alerts: &[(f64, String)],
    waits: &[f64],
    moses: &[f64],
    calls_present: bool,
) -> (Vec<(Chart, String)>, Vec<String>) {
    let mut charts: Vec<(Chart, String)> = Vec::new();
    let mut skipped = Vec::new();
    let platform = intervals
        .scopes
        .iter()
        .position(|s| s.1 == "platform")
        .unwrap_or(0);
    let portals: Vec<usize> = (0..intervals.scopes.len())
        .filter(|&i| intervals.scopes[i].1 == "portal")
        .collect();
    let name = |i: usize| intervals.scopes[i].0.clone();
    // Runs longer than two days are read in days.
    let (unit_s, x) = if intervals.last_end_s() > 2.0 * 86_400.0 {
        (86_400.0, "days from simulation start".to_string())
    } else {
        (3_600.0, "hours from simulation start".to_string())
    };
    let event_markers: Vec<Marker> = events
        .iter()
        .map(|(t, label)| Marker {
            x: t / unit_s,
            label: label.clone(),
            series: None,
        })
        .collect();
    let band_note = " Shaded: 95% confidence band over replications.";
    let events_note = if events.is_empty() {
        ""
    } else {
        " Dashed verticals: the scenario's failures and recoveries (events.csv)."
    };
    let line = |file: &str,
                title: &str,
                y: &str,
                caption: &str,
                series: Vec<Series>,
                markers: Vec<Marker>| {
        let chart = LineChart {
            title: title.into(),
            x_label: x.clone(),
            y_label: y.into(),
            series,
            markers,
        };
        (
            Chart {
                file: file.into(),
                title: title.into(),
                caption: format!("{caption}{band_note}{events_note}"),
                height: svg::line_chart_height(&chart),
            },
            svg::line_chart(&chart),
        )
    };
    let s = |n: String, (points, band): Line, dashed: bool| Series {
        name: n,
        points,
        dashed,
        band,
    };
    let iv = |scope: usize, column: &str, per_hour: bool| {
        intervals.line(scope, column, per_hour, unit_s)
    };

    let mut load = vec![
        s(
            "offered (platform)".into(),
            iv(platform, "offered", true),
            false,
        ),
        s(
            "carried: answered (platform)".into(),
            iv(platform, "answered", true),
            false,
        ),
    ];
    if portals.len() > 1 {
        for &p in portals.iter().take(5) {
            load.push(s(
                format!("offered ({})", name(p)),
                iv(p, "offered", true),
                true,
            ));
        }
    }
    charts.push(line(
        "load.svg",
        "Offered and carried load",
        "calls per hour",
        "Calls arriving (offered, by arrival instant) and calls answered (carried, by answer instant) per hour, interval by interval, averaged over replications.",
        load,
        event_markers.clone(),
    ));

    let mut conc = vec![
        s(
            "mean (platform)".into(),
            iv(platform, "mean_concurrency", false),
            false,
        ),
        s(
            "max (platform)".into(),
            iv(platform, "max_concurrency", false),
            true,
        ),
    ];
    if portals.len() > 1 {
        for &p in portals.iter().take(5) {
            conc.push(s(
                format!("mean ({})", name(p)),
                iv(p, "mean_concurrency", false),
                false,
            ));
        }
    }
    charts.push(line(
        "concurrency.svg",
        "Concurrent calls",
        "calls in the system",
        "Calls in the system (queued, ringing or talking): time-average and maximum per interval.",
        conc,
        event_markers.clone(),
    ));

    let mut queue: Vec<Series> = portals
        .iter()
        .take(6)
        .filter(|&&p| intervals.has(p, "mean_queue"))
        .map(|&p| {
            s(
                format!("mean ({})", name(p)),
                iv(p, "mean_queue", false),
                false,
            )
        })
        .collect();
    for &p in portals.iter().take(2) {
        if intervals.has(p, "max_queue") {
            queue.push(s(
                format!("max ({})", name(p)),
                iv(p, "max_queue", false),
                true,
            ));
        }
    }
    if intervals.has(platform, "mean_queue") && portals.is_empty() {
        queue.push(s(
            "mean (platform)".into(),
            iv(platform, "mean_queue", false),
            false,
        ));
    }
    charts.push(line(
        "queue.svg",
        "Queue length",
        "calls waiting",
        "Callers waiting in each portal's queue: time-average and maximum per interval.",
        queue,
        event_markers.clone(),
    ));

    let mut sl = vec![s(
        "platform".into(),
        iv(platform, "service_level", false),
        false,
    )];
    for &p in portals.iter().take(6) {
        if portals.len() > 1 {
            sl.push(s(name(p), iv(p, "service_level", false), false));
        }
    }
    charts.push(line(
        "service_level.svg",
        "Service level",
        "share answered within the threshold",
        "Share of calls answered in the interval that waited no longer than the service-level threshold.",
        sl,
        event_markers.clone(),
    ));

    let occ: Vec<Series> = portals
        .iter()
        .take(8)
        .map(|&p| s(name(p), iv(p, "agent_occupancy", false), false))
        .collect();
    charts.push(line(
        "occupancy.svg",
        "Agent occupancy",
        "busy share of agent time",
        "Ringing, talking and wrap-up time over available agent time, per portal.",
        occ,
        event_markers.clone(),
    ));

    if let Some(links) = links {
        // The busiest links (by their highest mean utilisation), at most six.
        let mut order: Vec<(usize, f64)> = (0..links.scopes.len())
            .map(|l| {
                let peak = links
                    .line(l, "utilisation", false, unit_s)
                    .0
                    .iter()
                    .map(|p| p.1)
                    .filter(|v| v.is_finite())
                    .fold(0.0, f64::max);
                (l, peak)
            })
            .collect();
        order.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let series: Vec<Series> = order
            .iter()
            .take(6)
            .map(|&(l, _)| {
                s(
                    links.scopes[l].0.clone(),
                    links.line(l, "utilisation", false, unit_s),
                    false,
                )
            })
            .collect();
        charts.push(line(
            "links.svg",
            "Link utilisation",
            "mean load / capacity",
            "Media load over capacity of the busiest links (at most six), per interval; above 1 the excess is lost.",
            series,
            event_markers.clone(),
        ));
    }

    if intervals.has(platform, "mean_mos") {
        let mut mos = vec![s("platform".into(), iv(platform, "mean_mos", false), false)];
        if portals.len() > 1 {
            for &p in portals.iter().take(5) {
                mos.push(s(name(p), iv(p, "mean_mos", false), false));
            }
        }
        charts.push(line(
            "mos_time.svg",
            "Call quality over time",
            "mean MOS of calls ending",
            "Mean E-model MOS of the calls with media that ended in each interval.",
            mos,
            event_markers.clone(),
        ));
    }

    if intervals.has(platform, "ctrl_load") {
        charts.push(line(
            "controller.svg",
            "Controller load",
            "work submitted / capacity",
            "Controller work submitted in each interval over its capacity (workers × interval); above 1 a backlog builds.",
            vec![s("platform".into(), iv(platform, "ctrl_load", false), false)],
            event_markers.clone(),
        ));
    }

    if waits.is_empty() {
        skipped.push(if calls_present {
            "wait-time distribution: no call reached a queue".to_string()
        } else {
            "wait-time distribution: no calls.csv (the run used --no-calls)".to_string()
        });
    } else {
        let mut sorted = waits.to_vec();
        sorted.sort_by(f64::total_cmp);
        let zero = sorted.iter().filter(|w| **w == 0.0).count();
        let hi = quantile(&sorted, 0.99).max(1.0);
        charts.push((
            Chart {
                file: "wait.svg".into(),
                title: "Wait-time distribution".into(),
                caption: format!(
                    "Waits of the {} calls that reached a queue ({}% did not wait; median {} s, p95 {} s, p99 {} s). Waits beyond p99 are counted in the last bar.",
                    sorted.len(),
                    fmt_num(zero as f64 * 100.0 / sorted.len() as f64),
                    fmt_num(quantile(&sorted, 0.5)),
                    fmt_num(quantile(&sorted, 0.95)),
                    fmt_num(quantile(&sorted, 0.99)),
                ),
                height: svg::HISTOGRAM_HEIGHT,
            },
            svg::histogram(&Histogram {
                title: "Wait-time distribution".into(),
                x_label: "wait, s".into(),
                y_label: "calls".into(),
                bins: svg::bin(&sorted, 0.0, hi, 40),
            }),
        ));
    }

    if moses.is_empty() {
        skipped.push("MOS distribution: no call carried media (no topology)".into());
    } else {
        let mut sorted = moses.to_vec();
        sorted.sort_by(f64::total_cmp);
        charts.push((
            Chart {
                file: "mos.svg".into(),
                title: "MOS distribution".into(),
                caption: format!(
                    "ITU-T G.107 E-model MOS of the {} calls with media (mean {}, p5 {}).",
                    sorted.len(),
                    fmt_num(sorted.iter().sum::<f64>() / sorted.len() as f64),
                    fmt_num(quantile(&sorted, 0.05)),
                ),
                height: svg::HISTOGRAM_HEIGHT,
            },
            svg::histogram(&Histogram {
                title: "MOS distribution".into(),
                x_label: "MOS".into(),
                y_label: "calls".into(),
                bins: svg::bin(&sorted, 1.0, 4.5, 35),
            }),
        ));
    }

    let with_money: Vec<usize> = portals
        .iter()
        .copied()
        .filter(|&p| intervals.has(p, "balance"))
        .collect();
    if with_money.is_empty() {
        skipped.push("balance over time: intervals.csv has no balance column (money off)".into());
    } else {
        // Balances of very different sizes flatten the small ones on a
        // shared axis: then one panel per portal.
        let peak = |p: usize| {
            iv(p, "balance", false)
                .0
                .iter()
                .map(|v| v.1.abs())
                .filter(|v| v.is_finite())
                .fold(0.0, f64::max)
        };
        let peaks: Vec<f64> = with_money.iter().map(|&p| peak(p)).collect();
        let (lo, hi) = (
            peaks.iter().copied().fold(f64::INFINITY, f64::min),
            peaks.iter().copied().fold(0.0, f64::max),
        );
        let panels = with_money.len() > 1 && hi > 10.0 * lo.max(f64::MIN_POSITIVE);
        let alerts_note = if alerts.is_empty() {
            ""
        } else {
            " Triangles: balance alerts sent (replication 0)."
        };
        let groups: Vec<Vec<usize>> = if panels {
            with_money.iter().map(|&p| vec![p]).collect()
        } else {
            vec![with_money.clone()]
        };
        for (g, group) in groups.iter().enumerate() {
            let series: Vec<Series> = group
                .iter()
                .map(|&p| s(name(p), iv(p, "balance", false), false))
                .collect();
            let markers: Vec<Marker> = alerts
                .iter()
                .filter_map(|(t, portal)| {
                    let i = group.iter().position(|&p| name(p) == *portal)?;
                    Some(Marker {
                        x: t / unit_s,
                        label: format!("alert ({portal})"),
                        series: Some(i),
                    })
                })
                .chain(event_markers.iter().cloned())
                .collect();
            let (file, title) = if panels {
                (
                    format!("balance_{}.svg", g + 1),
                    format!("Balance: {}", name(group[0])),
                )
            } else {
                ("balance.svg".to_string(), "Balance per portal".to_string())
            };
            charts.push(line(
                &file,
                &title,
                "balance, portal currency",
                &format!(
                    "{} at the end of each interval, averaged over replications.{alerts_note}",
                    if panels {
                        "The portal's balance (one panel per portal: their balances differ by more than ten times)"
                    } else {
                        "Each portal's balance"
                    }
                ),
                series,
                markers,
            ));
        }
    }

    (charts, skipped)
}

/// The charts `report` draws from an `intervals.csv` (fuzzing: the same
/// code path as a real report, without writing files).
pub(crate) fn fuzz_intervals(data: &[u8]) -> Vec<String> {
    match parse_intervals(data, "intervals.csv", &["scope", "kind"], &COLUMNS) {
        Ok(iv) => draw(&iv, None, &[], &[], &[], &[], false)
            .0
            .into_iter()
            .map(|c| c.1)
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// The histograms `report` draws from a `calls.csv`.
pub(crate) fn fuzz_calls(data: &[u8]) -> Vec<String> {
    match parse_calls(data) {
        Ok((w, m)) => draw(&Intervals::default(), None, &[], &[], &w, &m, true)
            .0
            .into_iter()
            .map(|c| c.1)
            .collect(),
        Err(_) => Vec::new(),
    }
}

fn index_html(
    run_dir: &Path,
    summary: &[SummaryEntry],
    charts: &[Chart],
    skipped: &[String],
) -> String {
    let title = run_dir
        .file_name()
        .map_or("run".into(), |n| n.to_string_lossy().into_owned());
    let mut o = String::new();
    let _ = write!(
        o,
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>telsim report: {t}</title>
<style>
body {{ font-family: sans-serif; margin: 2em auto; max-width: 1600px; padding: 0 1em; color: #222; }}
h1 {{ font-size: 1.6em; }}
.charts {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(600px, 1fr)); gap: 1.2em; }}
figure {{ margin: 0; border: 1px solid #ddd; border-radius: 6px; padding: 6px; background: #fff; }}
figure img {{ width: 100%; height: auto; display: block; }}
figcaption {{ font-size: 0.85em; color: #555; padding: 4px; }}
table {{ border-collapse: collapse; font-size: 0.85em; margin: 1em 0; }}
th, td {{ border: 1px solid #ddd; padding: 3px 8px; text-align: right; }}
thead th {{ background: #f3f3f3; }}
tbody th {{ text-align: left; font-weight: normal; font-family: monospace; }}
small {{ color: #777; }}
#status {{ font-size: 0.8em; color: #777; }}
</style>
</head>
<body>
<h1>telsim report: {t}</h1>
<p>From <code>{dir}</code>. Means over replications with 95% Student-t confidence intervals (shaded bands on the time series).</p>
<p id="status">charts: loading…</p>
<div class="charts">
"#,
        t = escape(&title),
        dir = escape(&run_dir.display().to_string())
    );
    for c in charts {
        let _ = writeln!(
            o,
            "<figure><img class=\"chart\" src=\"{}\" alt=\"{}\" width=\"760\" height=\"{}\"><figcaption><b>{}.</b> {}</figcaption></figure>",
            escape(&c.file),
            escape(&c.title),
            c.height,
            escape(&c.title),
            escape(&c.caption)
        );
    }
    o.push_str("</div>\n");
    if !skipped.is_empty() {
        o.push_str("<p>Not drawn:</p>\n<ul>\n");
        for s in skipped {
            let _ = writeln!(o, "<li>{}</li>", escape(s));
        }
        o.push_str("</ul>\n");
    }
    o.push_str("<h2>Summary</h2>\n");
    o.push_str(&summary_table(summary));
    // Marks the page once every chart has decoded, so a headless browser
    // (and the end-to-end test) can tell drawn charts from broken ones.
    o.push_str(
        r#"<script>
window.addEventListener("load", function () {
  var imgs = document.querySelectorAll("img.chart");
  var drawn = 0;
  imgs.forEach(function (img) { if (img.complete && img.naturalWidth > 0) drawn++; });
  document.body.setAttribute("data-charts-drawn", drawn + "/" + imgs.length);
  document.getElementById("status").textContent = "charts drawn: " + drawn + " of " + imgs.length;
});
</script>
</body>
</html>
"#,
    );
    o
}
