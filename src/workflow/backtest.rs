//! `telsim backtest`: the KPIs of a real (or simulated) day read from a call
//! log beside the same KPIs of a scenario's replications, with a verdict per
//! KPI and interval: is the logged day one the scenario could have produced?
//!
//! The log is one realisation, so it is compared with the spread of single
//! replications — a prediction interval, `mean ± t · sd · √(1 + 1/n)` over
//! the `n` replications — not with the confidence interval of their mean
//! (which shrinks with `n` and would reject the scenario's own days). Every
//! cell (KPI × interval, and overall) is tested at the Bonferroni level
//! `1 − 0.05 / cells`, so a scenario tested against a day it made itself
//! fails somewhere with probability at most 5% (docs/logs.md).

use std::fmt::Write as _;
use std::ops::ControlFlow;
use std::path::Path;

use crate::engine::SimTime;
use crate::logs::{self, LogError, LogFormat, LogItem, LoggedOutcome, ReadOptions};
use crate::model::{self, CallRecord, Direction, Model, Outcome, RecordSink};
use crate::output::queue_log_origin;
use crate::stats::{mean_sd, t_quantile};

/// The KPIs, in report order.
pub const KPIS: [&str; 5] = [
    "offered",
    "answered",
    "abandon_rate",
    "asa_s",
    "service_level",
];

/// Family-wise error of all the verdicts together.
pub const ALPHA: f64 = 0.05;

/// Counts of one interval (or the whole day).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Cell {
    pub offered: u64,
    pub answered: u64,
    pub abandoned: u64,
    pub wait_answered_s: f64,
    pub within_sl: u64,
}

impl Cell {
    fn add(&mut self, wait_s: f64, answered: bool, abandoned: bool, sl_s: f64) {
        self.offered += 1;
        if answered {
            self.answered += 1;
            self.wait_answered_s += wait_s;
            if wait_s <= sl_s {
                self.within_sl += 1;
            }
        }
        if abandoned {
            self.abandoned += 1;
        }
    }

    /// KPI `k` of [`KPIS`]; `None` when undefined (no calls, none answered).
    pub fn kpi(&self, k: usize) -> Option<f64> {
        let share = |n: u64, d: u64| (d > 0).then(|| n as f64 / d as f64);
        match k {
            0 => Some(self.offered as f64),
            1 => Some(self.answered as f64),
            2 => share(self.abandoned, self.offered),
            3 => (self.answered > 0).then(|| self.wait_answered_s / self.answered as f64),
            _ => share(self.within_sl, self.offered),
        }
    }
}

/// A day's KPIs: per interval and overall.
#[derive(Debug, Clone, PartialEq)]
pub struct Day {
    pub intervals: Vec<Cell>,
    pub overall: Cell,
    /// Calls outside `[0, duration)` of the scenario's day (left out).
    pub outside: u64,
}

impl Day {
    fn new(n: usize) -> Day {
        Day {
            intervals: vec![Cell::default(); n],
            overall: Cell::default(),
            outside: 0,
        }
    }

    fn add(
        &mut self,
        t_s: f64,
        width_s: f64,
        wait_s: f64,
        answered: bool,
        abandoned: bool,
        sl: f64,
    ) {
        let i = (t_s / width_s).floor();
        if !(i >= 0.0 && (i as usize) < self.intervals.len()) {
            self.outside += 1;
            return;
        }
        self.intervals[i as usize].add(wait_s, answered, abandoned, sl);
        self.overall.add(wait_s, answered, abandoned, sl);
    }
}

/// What to compare.
#[derive(Debug, Clone)]
pub struct BacktestOptions {
    pub interval_s: f64,
    pub read: ReadOptions,
}

fn n_intervals(model: &Model, width: f64) -> usize {
    (model.duration.as_secs_f64() / width).ceil().max(1.0) as usize
}

/// The log's day. Times are placed on the scenario's day by the origin
/// `telsim run --queue-log` uses when the log's first call falls inside it,
/// else from midnight UTC of the first call's day.
pub fn log_day(
    path: &Path,
    format: &LogFormat,
    model: &Model,
    o: &BacktestOptions,
) -> Result<Day, LogError> {
    let mut day = Day::new(n_intervals(model, o.interval_s));
    let sl = model.service_level.as_secs_f64();
    let mut origin: Option<f64> = None;
    let model_origin = queue_log_origin(model) as f64;
    let duration = model.duration.as_secs_f64();
    for item in logs::read_with(path, format, &o.read)? {
        let LogItem::Call(c) = item? else { continue };
        if matches!(
            c.outcome,
            LoggedOutcome::Blocked | LoggedOutcome::Unfinished
        ) {
            continue;
        }
        let origin = *origin.get_or_insert_with(|| {
            if c.arrival_s >= model_origin && c.arrival_s < model_origin + duration {
                model_origin
            } else {
                (c.arrival_s / 86_400.0).floor() * 86_400.0
            }
        });
        let answered = c.answer_s.is_some() && c.outcome == LoggedOutcome::Answered;
        let wait = c.answer_s.map_or(0.0, |a| a - c.arrival_s);
        let abandoned = c.outcome == LoggedOutcome::Abandoned;
        day.add(
            c.arrival_s - origin,
            o.interval_s,
            wait,
            answered,
            abandoned,
            sl,
        );
    }
    Ok(day)
}

/// Accumulates a replication's day as its calls finish.
struct DaySink {
    day: Day,
    width: f64,
    sl: f64,
}

impl RecordSink for DaySink {
    fn call_finished(&mut self, r: &CallRecord) {
        if r.direction != Direction::Inbound || r.outcome == Outcome::Unfinished {
            return;
        }
        // Calls that reached the queue, as ENTERQUEUE lines would show them.
        let Some(wait) = r.wait else { return };
        let answered = r.answer.is_some() && r.agent.is_some();
        let t = (r.arrival + r.steps).as_secs_f64();
        let abandoned = r.outcome == Outcome::Abandoned;
        self.day.add(
            t,
            self.width,
            wait.as_secs_f64(),
            answered,
            abandoned,
            self.sl,
        );
    }
}

/// The scenario's days, one per replication, in replication order.
pub fn simulated_days(model: &Model, o: &BacktestOptions) -> Vec<Day> {
    (0..model.replications)
        .filter_map(|rep| {
            let sink = DaySink {
                day: Day::new(n_intervals(model, o.interval_s)),
                width: o.interval_s,
                sl: model.service_level.as_secs_f64(),
            };
            model::run_replication(model, rep, sink, |_: SimTime| ControlFlow::Continue(()))
                .map(|(_, s)| s.day)
        })
        .collect()
}

/// One KPI of one interval (`interval: None` = the whole day).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Row {
    pub interval: Option<usize>,
    pub start_s: f64,
    pub kpi: &'static str,
    pub log: Option<f64>,
    pub mean: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub pi_low: Option<f64>,
    pub pi_high: Option<f64>,
    /// `None`: no verdict (the KPI is undefined in the log or in a
    /// replication, or the replications do not vary).
    pub pass: Option<bool>,
}

/// Compares `log` with `sims` cell by cell.
pub fn compare(log: &Day, sims: &[Day], interval_s: f64) -> Vec<Row> {
    let n = sims.len();
    let mut cells: Vec<(Option<usize>, Cell, Vec<Cell>)> = Vec::new();
    cells.push((None, log.overall, sims.iter().map(|d| d.overall).collect()));
    for i in 0..log.intervals.len() {
        cells.push((
            Some(i),
            log.intervals[i],
            sims.iter().map(|d| d.intervals[i]).collect(),
        ));
    }
    let mut rows = Vec::new();
    for (interval, l, s) in &cells {
        for (k, kpi) in KPIS.iter().enumerate() {
            let vals: Option<Vec<f64>> = s.iter().map(|c| c.kpi(k)).collect();
            let mean = vals.as_deref().and_then(|v| mean_sd(v).0);
            rows.push(Row {
                interval: *interval,
                start_s: interval.map_or(0.0, |i| i as f64 * interval_s),
                kpi,
                log: l.kpi(k),
                mean,
                ci_low: None,
                ci_high: None,
                pi_low: None,
                pi_high: None,
                pass: None,
            });
        }
    }
    // Bonferroni over the cells that get a verdict.
    let testable = |r: &Row, sd: Option<f64>| r.log.is_some() && sd.is_some_and(|s| s > 0.0);
    let sds: Vec<Option<f64>> = cells
        .iter()
        .flat_map(|(_, _, s)| {
            (0..KPIS.len()).map(move |k| {
                let vals: Option<Vec<f64>> = s.iter().map(|c| c.kpi(k)).collect();
                vals.as_deref().and_then(|v| mean_sd(v).1)
            })
        })
        .collect();
    let m = rows
        .iter()
        .zip(&sds)
        .filter(|(r, sd)| testable(r, **sd))
        .count()
        .max(1);
    let t_ci = t_quantile(0.975, n.saturating_sub(1));
    let t_pi = t_quantile(1.0 - ALPHA / (2.0 * m as f64), n.saturating_sub(1));
    for (r, sd) in rows.iter_mut().zip(&sds) {
        match (r.mean, sd) {
            (Some(mean), Some(sd)) if n >= 2 => {
                let ci = t_ci * sd / (n as f64).sqrt();
                let pi = t_pi * sd * (1.0 + 1.0 / n as f64).sqrt();
                r.ci_low = Some(mean - ci);
                r.ci_high = Some(mean + ci);
                // KPIs are never negative; shares never above 1.
                let top = if matches!(r.kpi, "abandon_rate" | "service_level") {
                    1.0
                } else {
                    f64::INFINITY
                };
                r.pi_low = Some((mean - pi).max(0.0));
                r.pi_high = Some((mean + pi).min(top));
                if testable(r, Some(*sd)) {
                    let v = r.log.expect("testable");
                    r.pass = Some(v >= mean - pi && v <= mean + pi);
                }
            }
            _ => {}
        }
    }
    rows
}

/// `true` when no verdict failed.
pub fn all_pass(rows: &[Row]) -> bool {
    rows.iter().all(|r| r.pass != Some(false))
}

fn num(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| {
        if v.fract() == 0.0 && v.abs() < 1e12 {
            format!("{v:.0}")
        } else {
            format!("{v:.3}")
        }
    })
}

fn verdict(p: Option<bool>) -> &'static str {
    match p {
        Some(true) => "pass",
        Some(false) => "FAIL",
        None => "-",
    }
}

fn when(r: &Row) -> String {
    match r.interval {
        None => "overall".into(),
        Some(_) => {
            let s = r.start_s as u64;
            format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
        }
    }
}

/// The table as aligned text (`markdown: false`) or a Markdown table.
pub fn render_table(rows: &[Row], markdown: bool) -> String {
    let head = [
        "interval",
        "kpi",
        "log",
        "sim mean",
        "95% CI",
        "prediction interval",
        "verdict",
    ];
    let body: Vec<[String; 7]> = rows
        .iter()
        .map(|r| {
            [
                when(r),
                r.kpi.to_string(),
                num(r.log),
                num(r.mean),
                format!("[{}, {}]", num(r.ci_low), num(r.ci_high)),
                format!("[{}, {}]", num(r.pi_low), num(r.pi_high)),
                verdict(r.pass).to_string(),
            ]
        })
        .collect();
    let mut out = String::new();
    if markdown {
        let _ = writeln!(out, "| {} |", head.join(" | "));
        let _ = writeln!(out, "|{}", " --- |".repeat(head.len()));
        for b in &body {
            let _ = writeln!(out, "| {} |", b.join(" | "));
        }
        return out;
    }
    let mut w: Vec<usize> = head.iter().map(|h| h.len()).collect();
    for b in &body {
        for (i, c) in b.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let line = |cells: &[&str]| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            let _ = write!(s, "{c:<width$}  ", width = w[i]);
        }
        s.trim_end().to_string()
    };
    let _ = writeln!(out, "{}", line(&head));
    for b in &body {
        let cells: Vec<&str> = b.iter().map(String::as_str).collect();
        let _ = writeln!(out, "{}", line(&cells));
    }
    out
}

/// The rows as JSON (an array of objects).
pub fn render_json(rows: &[Row]) -> String {
    serde_json::to_string_pretty(rows).expect("rows serialise") + "\n"
}

/// Header of `backtest.csv`.
pub const BACKTEST_HEADER: &str =
    "interval,start_s,kpi,log,mean,ci_low,ci_high,pi_low,pi_high,verdict\n";

/// The rows as `backtest.csv` (`interval` empty for the whole day).
pub fn render_csv(rows: &[Row]) -> String {
    let f = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.6}"));
    let mut out = BACKTEST_HEADER.to_string();
    for r in rows {
        let _ = writeln!(
            out,
            "{},{:.0},{},{},{},{},{},{},{},{}",
            r.interval.map_or(String::new(), |i| i.to_string()),
            r.start_s,
            r.kpi,
            f(r.log),
            f(r.mean),
            f(r.ci_low),
            f(r.ci_high),
            f(r.pi_low),
            f(r.pi_high),
            match r.pass {
                Some(true) => "pass",
                Some(false) => "fail",
                None => "",
            }
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(waits: &[(f64, bool)]) -> Day {
        let mut d = Day::new(1);
        for &(w, ans) in waits {
            d.add(1.0, 60.0, w, ans, !ans, 20.0);
        }
        d
    }

    #[test]
    fn kpis_of_a_cell() {
        let d = day(&[(10.0, true), (30.0, true), (5.0, false), (0.0, true)]);
        let c = d.overall;
        assert_eq!(c.kpi(0), Some(4.0));
        assert_eq!(c.kpi(1), Some(3.0));
        assert_eq!(c.kpi(2), Some(0.25));
        assert_eq!(c.kpi(3), Some(40.0 / 3.0));
        assert_eq!(c.kpi(4), Some(0.5));
        assert_eq!(Day::new(1).overall.kpi(3), None);
    }

    #[test]
    fn a_value_far_outside_the_replications_spread_fails() {
        let sims: Vec<Day> = (0..10)
            .map(|i| day(&[(10.0 + i as f64, true), (12.0, true)]))
            .collect();
        let inside = compare(&day(&[(14.0, true), (12.0, true)]), &sims, 60.0);
        assert!(all_pass(&inside), "{inside:?}");
        let outside = compare(&day(&[(100.0, true), (90.0, true)]), &sims, 60.0);
        let asa = outside
            .iter()
            .find(|r| r.kpi == "asa_s" && r.interval.is_none())
            .unwrap();
        assert_eq!(asa.pass, Some(false));
        assert!(!all_pass(&outside));
    }
}
