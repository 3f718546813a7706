//! `telsim report`: a run folder as SVG charts and an `index.html` that
//! shows them with the summary table.
//!
//! Reads only the run's files: `summary.csv` and `intervals.csv` (required),
//! `calls.csv` (optional: the wait-time and MOS distributions need it).
//! Interval values are averaged over replications, interval by interval.
//! Charts: offered and carried load, concurrency, queue length, service
//! level and occupancy over time; the wait-time distribution; the MOS
//! distribution when calls carry media; the balance per portal when the
//! intervals carry a `balance` column (money on).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use super::summary_file::{read_summary, SummaryEntry};
use super::svg::{self, escape, Histogram, LineChart, Series};
use super::{bad_file, fmt_num, read_err, write_err, WorkflowError};
use crate::robustness::input::{open_capped, MAX_STREAM_BYTES};

/// Interval columns the charts use, averaged over replications.
const COLUMNS: [&str; 10] = [
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
];

#[derive(Debug, Default, Clone)]
struct Acc {
    sum: [f64; COLUMNS.len()],
    n: [u32; COLUMNS.len()],
}

/// Per scope (in file order), per interval: (start_s, end_s, column means).
#[derive(Debug, Default)]
struct Intervals {
    scopes: Vec<(String, String)>,
    rows: BTreeMap<(usize, u64), (f64, f64, Acc)>,
}

impl Intervals {
    fn series(&self, scope: usize, column: &str, per_hour: bool) -> Vec<(f64, f64)> {
        let c = COLUMNS
            .iter()
            .position(|x| *x == column)
            .expect("known column");
        self.rows
            .range((scope, 0)..(scope + 1, 0))
            .map(|(_, (start, end, acc))| {
                let mid_h = (start + end) / 2.0 / 3600.0;
                let v = if acc.n[c] == 0 {
                    f64::NAN
                } else {
                    acc.sum[c] / acc.n[c] as f64
                };
                let v = if per_hour && end > start {
                    v * 3600.0 / (end - start)
                } else {
                    v
                };
                (mid_h, v)
            })
            .collect()
    }

    fn has(&self, scope: usize, column: &str) -> bool {
        self.series(scope, column, false)
            .iter()
            .any(|p| p.1.is_finite())
    }
}

/// A CSV reading error: a failed or refused read keeps its I/O kind (a
/// file over the cap is bad input, a disk error is I/O), the rest is a
/// malformed file.
fn csv_err(path: &Path, e: csv::Error) -> WorkflowError {
    let message = e.to_string();
    match e.into_kind() {
        csv::ErrorKind::Io(source) => read_err(path)(source),
        _ => bad_file(path, message),
    }
}

fn read_intervals(path: &Path) -> Result<Intervals, WorkflowError> {
    let mut r = csv::Reader::from_reader(std::io::BufReader::new(
        open_capped(path, MAX_STREAM_BYTES).map_err(read_err(path))?,
    ));
    let header = r.headers().map_err(|e| csv_err(path, e))?.clone();
    let col = |name: &str| header.iter().position(|h| h == name);
    let (Some(start), Some(end), Some(scope), Some(kind)) = (
        col("interval_start_s"),
        col("interval_end_s"),
        col("scope"),
        col("kind"),
    ) else {
        return Err(bad_file(
            path,
            "not a telsim intervals.csv (no interval_start_s, interval_end_s, scope, kind)",
        ));
    };
    let cols: Vec<Option<usize>> = COLUMNS.iter().map(|c| col(c)).collect();
    let mut out = Intervals::default();
    for (i, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| csv_err(path, e))?;
        let num = |k: usize| rec.get(k).and_then(|s| s.parse::<f64>().ok());
        let (Some(s), Some(e)) = (num(start), num(end)) else {
            return Err(bad_file(
                path,
                format!("line {}: bad interval bounds", i + 2),
            ));
        };
        let key = (
            rec.get(scope).unwrap_or("").to_string(),
            rec.get(kind).unwrap_or("").to_string(),
        );
        let si = match out.scopes.iter().position(|x| *x == key) {
            Some(si) => si,
            None => {
                out.scopes.push(key);
                out.scopes.len() - 1
            }
        };
        let entry = out
            .rows
            .entry((si, (s * 1000.0).round() as u64))
            .or_insert_with(|| (s, e, Acc::default()));
        for (c, k) in cols.iter().enumerate() {
            if let Some(v) = k.and_then(num).filter(|v| v.is_finite()) {
                entry.2.sum[c] += v;
                entry.2.n[c] += 1;
            }
        }
    }
    Ok(out)
}

/// Wait times of queued calls and MOS of calls with media, from calls.csv.
fn read_calls(path: &Path) -> Result<(Vec<f64>, Vec<f64>), WorkflowError> {
    let file = open_capped(path, MAX_STREAM_BYTES).map_err(read_err(path))?;
    let mut r = csv::Reader::from_reader(std::io::BufReader::new(file));
    let header = r.headers().map_err(|e| csv_err(path, e))?.clone();
    let wait = header.iter().position(|h| h == "wait_s");
    let mos = header.iter().position(|h| h == "mos");
    let mut waits = Vec::new();
    let mut moses = Vec::new();
    let mut rec = csv::StringRecord::new();
    while r.read_record(&mut rec).map_err(|e| csv_err(path, e))? {
        let num = |k: Option<usize>| {
            k.and_then(|k| rec.get(k))
                .and_then(|s| s.parse::<f64>().ok())
        };
        if let Some(w) = num(wait) {
            waits.push(w);
        }
        if let Some(m) = num(mos) {
            moses.push(m);
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

fn summary_table(rows: &[SummaryEntry]) -> String {
    let mut scopes: Vec<&str> = Vec::new();
    let mut metrics: Vec<&str> = Vec::new();
    for r in rows {
        if !scopes.contains(&r.scope.as_str()) {
            scopes.push(&r.scope);
        }
        if !metrics.contains(&r.metric.as_str()) {
            metrics.push(&r.metric);
        }
    }
    let mut o = String::from("<table id=\"summary\">\n<thead><tr><th>metric</th>");
    for s in &scopes {
        let _ = write!(o, "<th>{}</th>", escape(s));
    }
    o.push_str("</tr></thead>\n<tbody>\n");
    for m in &metrics {
        let cells: Vec<String> = scopes
            .iter()
            .map(
                |s| match rows.iter().find(|r| r.scope == *s && r.metric == *m) {
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
                },
            )
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
    let intervals = read_intervals(&run_dir.join("intervals.csv"))?;
    let calls_path = run_dir.join("calls.csv");
    let (waits, moses) = if calls_path.exists() {
        read_calls(&calls_path)?
    } else {
        (Vec::new(), Vec::new())
    };
    let out = out_dir.map_or_else(|| run_dir.join("report"), Path::to_path_buf);
    fs::create_dir_all(&out).map_err(write_err(&out))?;

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
    let x = "hours from simulation start".to_string();
    let line = |file: &str, title: &str, y: &str, caption: &str, series: Vec<Series>| {
        (
            Chart {
                file: file.into(),
                title: title.into(),
                caption: caption.into(),
            },
            svg::line_chart(&LineChart {
                title: title.into(),
                x_label: x.clone(),
                y_label: y.into(),
                series,
            }),
        )
    };
    let s = |n: String, points: Vec<(f64, f64)>, dashed: bool| Series {
        name: n,
        points,
        dashed,
    };

    let mut load = vec![
        s(
            "offered (platform)".into(),
            intervals.series(platform, "offered", true),
            false,
        ),
        s(
            "carried: answered (platform)".into(),
            intervals.series(platform, "answered", true),
            false,
        ),
    ];
    if portals.len() > 1 {
        for &p in portals.iter().take(5) {
            load.push(s(
                format!("offered ({})", name(p)),
                intervals.series(p, "offered", true),
                true,
            ));
        }
    }
    charts.push(line(
        "load.svg",
        "Offered and carried load",
        "calls per hour",
        "Calls arriving (offered) and calls answered (carried) per hour, interval by interval, averaged over replications.",
        load,
    ));

    let mut conc = vec![
        s(
            "mean (platform)".into(),
            intervals.series(platform, "mean_concurrency", false),
            false,
        ),
        s(
            "max (platform)".into(),
            intervals.series(platform, "max_concurrency", false),
            true,
        ),
    ];
    if portals.len() > 1 {
        for &p in portals.iter().take(5) {
            conc.push(s(
                format!("mean ({})", name(p)),
                intervals.series(p, "mean_concurrency", false),
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
    ));

    let mut queue: Vec<Series> = portals
        .iter()
        .take(6)
        .filter(|&&p| intervals.has(p, "mean_queue"))
        .map(|&p| {
            s(
                format!("mean ({})", name(p)),
                intervals.series(p, "mean_queue", false),
                false,
            )
        })
        .collect();
    for &p in portals.iter().take(2) {
        if intervals.has(p, "max_queue") {
            queue.push(s(
                format!("max ({})", name(p)),
                intervals.series(p, "max_queue", false),
                true,
            ));
        }
    }
    if intervals.has(platform, "mean_queue") && portals.is_empty() {
        queue.push(s(
            "mean (platform)".into(),
            intervals.series(platform, "mean_queue", false),
            false,
        ));
    }
    charts.push(line(
        "queue.svg",
        "Queue length",
        "calls waiting",
        "Callers waiting in each portal's queue: time-average and maximum per interval.",
        queue,
    ));

    let mut sl = vec![s(
        "platform".into(),
        intervals.series(platform, "service_level", false),
        false,
    )];
    for &p in portals.iter().take(6) {
        if portals.len() > 1 {
            sl.push(s(
                name(p),
                intervals.series(p, "service_level", false),
                false,
            ));
        }
    }
    charts.push(line(
        "service_level.svg",
        "Service level",
        "share answered within the threshold",
        "Share of calls answered in the interval that waited no longer than the service-level threshold.",
        sl,
    ));

    let occ: Vec<Series> = portals
        .iter()
        .take(8)
        .map(|&p| {
            s(
                name(p),
                intervals.series(p, "agent_occupancy", false),
                false,
            )
        })
        .collect();
    charts.push(line(
        "occupancy.svg",
        "Agent occupancy",
        "busy share of agent time",
        "Ringing, talking and wrap-up time over available agent time, per portal.",
        occ,
    ));

    if waits.is_empty() {
        skipped.push(if calls_path.exists() {
            "wait-time distribution: no call reached a queue".to_string()
        } else {
            "wait-time distribution: no calls.csv (the run used --no-calls)".to_string()
        });
    } else {
        let mut sorted = waits.clone();
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
        let mut sorted = moses.clone();
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
            },
            svg::histogram(&Histogram {
                title: "MOS distribution".into(),
                x_label: "MOS".into(),
                y_label: "calls".into(),
                bins: svg::bin(&sorted, 1.0, 4.5, 35),
            }),
        ));
    }

    let money: Vec<Series> = portals
        .iter()
        .filter(|&&p| intervals.has(p, "balance"))
        .map(|&p| s(name(p), intervals.series(p, "balance", false), false))
        .collect();
    if money.is_empty() {
        skipped.push("balance over time: intervals.csv has no balance column (money off)".into());
    } else {
        charts.push(line(
            "balance.svg",
            "Balance per portal",
            "balance, portal currency",
            "Each portal's balance at the end of each interval, averaged over replications.",
            money,
        ));
    }

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
<p>From <code>{dir}</code>. Means over replications with 95% Student-t confidence intervals.</p>
<p id="status">charts: loading…</p>
<div class="charts">
"#,
        t = escape(&title),
        dir = escape(&run_dir.display().to_string())
    );
    for c in charts {
        let _ = writeln!(
            o,
            "<figure><img class=\"chart\" src=\"{}\" alt=\"{}\" width=\"760\" height=\"360\"><figcaption><b>{}.</b> {}</figcaption></figure>",
            escape(&c.file),
            escape(&c.title),
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
