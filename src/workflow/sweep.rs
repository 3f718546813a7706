//! `telsim sweep` and `telsim merge`: where does it break?
//!
//! A sweep is a list of `--vary PATH=VALUES`; the points are their cartesian
//! product (the first `--vary` varies slowest), numbered from 0. Each point is
//! the scenario with the base `--set` overrides and then the point's values
//! applied, exactly like `telsim run --set …`, and is run with all its
//! replications. `sweep.csv` holds one row per point, scope and metric:
//! `point,<each varied path>,scope,metric,mean,ci95_low,ci95_high,n`, tidy
//! for pandas or R; `points/<point>/` holds each point's `summary.csv` and
//! `intervals.csv`.
//!
//! Every point runs with the scenario's own seed (common random numbers: the
//! points differ only in what was varied, which sharpens comparisons between
//! them), so a point's results do not depend on which shard ran it. Shard K
//! of N runs the points with `point % N == K`, round robin, so that shards
//! get a fair mix of cheap and expensive points; it writes its rows plus a
//! `sweep-shard.txt` manifest, and [`merge`] reassembles the shards into the
//! same bytes the unsharded sweep writes.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::orchestrate::{self, RunOptions};
use crate::output::{opt_f64, quote, AtomicFile};
use crate::scenario::Override;
use crate::stats::SummaryRow;

use super::{bad_file, read_err, write_err, WorkflowError};

/// One `--vary PATH=VALUES`: a scenario path and the values it takes.
#[derive(Debug, Clone, PartialEq)]
pub struct Vary {
    pub path: String,
    /// RON literals, in order.
    pub values: Vec<String>,
}

/// Most points a sweep may have (a typo such as `1..100000` must not start a
/// month of simulation).
pub const MAX_POINTS: usize = 100_000;

impl FromStr for Vary {
    type Err = String;

    /// `PATH=a,b,c` (RON literals, commas inside brackets or strings do not
    /// split) or `PATH=LO..HI` / `PATH=LO..HI:STEP` (both ends included;
    /// integers when all three are, else floats).
    fn from_str(s: &str) -> Result<Self, String> {
        let (path, spec) = s
            .split_once('=')
            .ok_or_else(|| format!("'{s}' is not PATH=VALUES"))?;
        let (path, spec) = (path.trim(), spec.trim());
        if path.is_empty() || spec.is_empty() {
            return Err(format!("'{s}' is not PATH=VALUES"));
        }
        let values = match parse_range(spec)? {
            Some(v) => v,
            None => split_list(spec)?,
        };
        Ok(Vary {
            path: path.to_string(),
            values,
        })
    }
}

fn parse_range(spec: &str) -> Result<Option<Vec<String>>, String> {
    let Some((lo, rest)) = spec.split_once("..") else {
        return Ok(None);
    };
    // `..` inside brackets or strings is not a range.
    if lo.contains(['(', '[', '"', ',']) {
        return Ok(None);
    }
    let (hi, step) = match rest.split_once(':') {
        Some((h, st)) => (h.trim(), Some(st.trim())),
        None => (rest.trim(), None),
    };
    let lo = lo.trim();
    let bad = || format!("'{spec}' is not a range LO..HI[:STEP]");
    let is_int = |t: &str| !t.contains(['.', 'e', 'E']) && t.parse::<i64>().is_ok();
    if is_int(lo) && is_int(hi) && step.is_none_or(is_int) {
        let (lo, hi): (i64, i64) = (lo.parse().unwrap(), hi.parse().unwrap());
        let step: i64 = step.map_or(1, |s| s.parse().unwrap());
        if step <= 0 || hi < lo {
            return Err(format!("{}: need LO ≤ HI and STEP > 0", bad()));
        }
        let n = ((hi - lo) / step + 1) as usize;
        if n > MAX_POINTS {
            return Err(format!("'{spec}' has {n} values, more than {MAX_POINTS}"));
        }
        return Ok(Some(
            (0..n as i64).map(|i| (lo + i * step).to_string()).collect(),
        ));
    }
    let f = |t: &str| t.parse::<f64>().ok().filter(|v| v.is_finite());
    let (Some(lo), Some(hi)) = (f(lo), f(hi)) else {
        return Err(bad());
    };
    let step = match step {
        Some(st) => f(st).ok_or_else(bad)?,
        None => 1.0,
    };
    if step <= 0.0 || hi < lo {
        return Err(format!("{}: need LO ≤ HI and STEP > 0", bad()));
    }
    // Values are lo + i·step (not accumulated), rounded to 1e-9 so that
    // 0.1..0.3:0.1 gives 0.1, 0.2, 0.3; HI is included up to that rounding.
    let n = ((hi - lo) / step + 1e-9).floor() as usize + 1;
    if n > MAX_POINTS {
        return Err(format!("'{spec}' has {n} values, more than {MAX_POINTS}"));
    }
    Ok(Some(
        (0..n)
            .map(|i| {
                let v = ((lo + i as f64 * step) * 1e9).round() / 1e9;
                format!("{v:?}")
            })
            .collect(),
    ))
}

/// Splits `a,b,(c,d)` at top-level commas.
fn split_list(spec: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut in_str = false;
    let mut escaped = false;
    let mut cur = String::new();
    for ch in spec.chars() {
        if in_str {
            cur.push(ch);
            match (escaped, ch) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match ch {
            '"' => in_str = true,
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut cur).trim().to_string());
                continue;
            }
            _ => {}
        }
        cur.push(ch);
    }
    out.push(cur.trim().to_string());
    if in_str || depth != 0 {
        return Err(format!("'{spec}': unbalanced brackets or quotes"));
    }
    if out.iter().any(String::is_empty) {
        return Err(format!("'{spec}': empty value in the list"));
    }
    Ok(out)
}

/// `--shard K/N`: this process runs shard K (0-based) of N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (k, n) = s
            .split_once('/')
            .ok_or_else(|| format!("'{s}' is not K/N (shard K of N, K from 0)"))?;
        let (k, n): (usize, usize) = match (k.trim().parse(), n.trim().parse()) {
            (Ok(k), Ok(n)) => (k, n),
            _ => return Err(format!("'{s}' is not K/N (shard K of N, K from 0)")),
        };
        if n == 0 || k >= n {
            return Err(format!("shard '{s}': need 0 ≤ K < N"));
        }
        Ok(Shard { index: k, count: n })
    }
}

impl Shard {
    pub fn owns(&self, point: usize) -> bool {
        point % self.count == self.index
    }
}

/// Every point of the cartesian product, as the values of each `Vary` in
/// order (the first varies slowest).
pub fn points(varies: &[Vary]) -> Result<Vec<Vec<String>>, String> {
    let total = varies
        .iter()
        .try_fold(1usize, |acc, v| acc.checked_mul(v.values.len()))
        .filter(|&n| n <= MAX_POINTS)
        .ok_or_else(|| format!("the sweep has more than {MAX_POINTS} points"))?;
    let mut out = Vec::with_capacity(total);
    for i in 0..total {
        let mut rest = i;
        let mut point = vec![String::new(); varies.len()];
        for (slot, v) in point.iter_mut().zip(varies).rev() {
            *slot = v.values[rest % v.values.len()].clone();
            rest /= v.values.len();
        }
        out.push(point);
    }
    Ok(out)
}

/// The folder name of a point: zero-padded so folders sort in point order.
pub fn point_dir_name(point: usize) -> String {
    format!("{point:04}")
}

/// The header of `sweep.csv` for these varied paths.
pub fn sweep_header(varies: &[Vary]) -> String {
    let mut h = String::from("point");
    for v in varies {
        h.push(',');
        h.push_str(&quote(&v.path));
    }
    h.push_str(",scope,metric,mean,ci95_low,ci95_high,n\n");
    h
}

/// The `sweep.csv` rows of one point.
pub fn sweep_rows(point: usize, values: &[String], summary: &[SummaryRow]) -> String {
    let mut prefix = point.to_string();
    for v in values {
        prefix.push(',');
        prefix.push_str(&quote(v));
    }
    let mut out = Vec::new();
    for r in summary {
        let _ = write!(out, "{prefix},{},{},", quote(&r.scope), r.metric.name());
        let _ = opt_f64(&mut out, r.mean);
        out.push(b',');
        let _ = opt_f64(&mut out, r.ci95_low);
        out.push(b',');
        let _ = opt_f64(&mut out, r.ci95_high);
        let _ = writeln!(out, ",{}", r.n);
    }
    String::from_utf8(out).expect("CSV text is UTF-8")
}

#[derive(Debug, Clone)]
pub struct SweepOptions {
    pub scenario: PathBuf,
    /// `--set` overrides applied to every point, before the point's own.
    pub base: Vec<Override>,
    pub varies: Vec<Vary>,
    pub shard: Option<Shard>,
    pub jobs: usize,
    pub out_dir: PathBuf,
    pub progress: bool,
    pub cancel: Arc<AtomicBool>,
}

#[derive(Debug)]
pub struct SweepReport {
    pub points_total: usize,
    pub points_run: usize,
    pub files: Vec<PathBuf>,
}

pub const SHARD_MANIFEST: &str = "sweep-shard.txt";

fn manifest(shard: Shard, total: usize, header: &str) -> String {
    format!(
        "shard={}/{}\npoints={total}\nheader={}",
        shard.index, shard.count, header
    )
}

fn point_overrides(opts: &SweepOptions, values: &[String]) -> Vec<Override> {
    let mut o = opts.base.clone();
    o.extend(opts.varies.iter().zip(values).map(|(v, val)| Override {
        path: v.path.clone(),
        value: val.clone(),
    }));
    o
}

/// Runs the sweep (or one shard of it) and writes `sweep.csv` and the point
/// folders. Every point of the shard is loaded and validated before the
/// first one runs, so a bad value fails fast.
pub fn run_sweep(opts: &SweepOptions) -> Result<SweepReport, WorkflowError> {
    if opts.varies.is_empty() {
        return Err(WorkflowError::BadInput(
            "a sweep needs at least one --vary PATH=VALUES".into(),
        ));
    }
    let all = points(&opts.varies).map_err(WorkflowError::BadInput)?;
    let mine: Vec<usize> = (0..all.len())
        .filter(|&p| opts.shard.is_none_or(|s| s.owns(p)))
        .collect();
    let mut models = Vec::with_capacity(mine.len());
    for &p in &mine {
        let model = crate::load_model(&opts.scenario, &point_overrides(opts, &all[p]))?;
        models.push(Arc::new(model));
    }
    fs::create_dir_all(&opts.out_dir).map_err(write_err(&opts.out_dir))?;
    // A manifest left by an earlier run would mark this folder complete
    // while it is being rewritten (and a full sweep's folder is no shard).
    let manifest_path = opts.out_dir.join(SHARD_MANIFEST);
    if manifest_path.exists() {
        fs::remove_file(&manifest_path).map_err(write_err(&manifest_path))?;
    }

    let pb = ProgressBar::with_draw_target(Some(mine.len() as u64), ProgressDrawTarget::hidden());
    if opts.progress {
        pb.set_style(
            ProgressStyle::with_template(
                "{spinner} sweep [{bar:30}] {pos}/{len} points ({elapsed} elapsed, ~{eta} left) {msg}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        pb.set_draw_target(ProgressDrawTarget::stderr());
        pb.enable_steady_tick(std::time::Duration::from_millis(200));
    }
    let header = sweep_header(&opts.varies);
    let mut body = String::new();
    let mut files = Vec::new();
    for (&p, model) in mine.iter().zip(models) {
        pb.set_message(
            opts.varies
                .iter()
                .zip(&all[p])
                .map(|(v, val)| format!("{}={val}", v.path))
                .collect::<Vec<_>>()
                .join(" "),
        );
        let run_opts = RunOptions {
            trace: None,
            jobs: opts.jobs,
            out_dir: opts.out_dir.join("points").join(point_dir_name(p)),
            write_calls: false,
            progress: false,
            verbose: false,
            parquet: false,
            cancel: opts.cancel.clone(),
        };
        let report = orchestrate::run(model, &run_opts)?;
        body.push_str(&sweep_rows(p, &all[p], &report.summary));
        pb.inc(1);
    }
    pb.finish_and_clear();

    let path = opts.out_dir.join("sweep.csv");
    let mut f = AtomicFile::create(&path).map_err(write_err(&path))?;
    f.writer()
        .write_all(header.as_bytes())
        .and_then(|()| f.writer().write_all(body.as_bytes()))
        .map_err(write_err(&path))?;
    files.push(f.commit().map_err(write_err(&path))?);
    // The manifest goes last: its presence tells a waiting merge (see
    // deploy/kubernetes/sweep-job.yaml) that the shard is complete.
    if let Some(s) = opts.shard {
        let mut f = AtomicFile::create(&manifest_path).map_err(write_err(&manifest_path))?;
        f.writer()
            .write_all(manifest(s, all.len(), &header).as_bytes())
            .map_err(write_err(&manifest_path))?;
        files.push(f.commit().map_err(write_err(&manifest_path))?);
    }
    Ok(SweepReport {
        points_total: all.len(),
        points_run: mine.len(),
        files,
    })
}

#[derive(Debug)]
pub struct MergeReport {
    pub shards: usize,
    pub points: usize,
    pub files: Vec<PathBuf>,
}

struct ShardOutput {
    dir: PathBuf,
    shard: Shard,
    points: usize,
    header: String,
}

fn read_manifest(dir: &Path) -> Result<ShardOutput, WorkflowError> {
    let path = dir.join(SHARD_MANIFEST);
    let text = fs::read_to_string(&path).map_err(read_err(&path))?;
    let mut shard = None;
    let mut points = None;
    let mut header = None;
    for line in text.lines() {
        match line.split_once('=') {
            Some(("shard", v)) => shard = v.parse::<Shard>().ok(),
            Some(("points", v)) => points = v.parse::<usize>().ok(),
            Some(("header", v)) => header = Some(format!("{v}\n")),
            _ => {}
        }
    }
    match (shard, points, header) {
        (Some(shard), Some(points), Some(header)) => Ok(ShardOutput {
            dir: dir.to_path_buf(),
            shard,
            points,
            header,
        }),
        _ => Err(bad_file(&path, "not a telsim sweep shard manifest")),
    }
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), WorkflowError> {
    fs::create_dir_all(to).map_err(write_err(to))?;
    let mut entries: Vec<_> = fs::read_dir(from)
        .map_err(read_err(from))?
        .collect::<Result<_, _>>()
        .map_err(read_err(from))?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let src = e.path();
        let dst = to.join(e.file_name());
        if src.is_dir() {
            copy_dir(&src, &dst)?;
        } else {
            fs::copy(&src, &dst).map_err(write_err(&dst))?;
        }
    }
    Ok(())
}

/// Joins the outputs of shards 0..N of one sweep (any order, each exactly
/// once) into `out_dir`: the same `sweep.csv` and point folders, byte for
/// byte, as the unsharded sweep.
pub fn merge(dirs: &[PathBuf], out_dir: &Path) -> Result<MergeReport, WorkflowError> {
    if dirs.is_empty() {
        return Err(WorkflowError::BadInput("merge needs shard folders".into()));
    }
    let shards: Vec<ShardOutput> = dirs
        .iter()
        .map(|d| read_manifest(d))
        .collect::<Result<_, _>>()?;
    let first = &shards[0];
    let count = first.shard.count;
    let mut seen = vec![None::<&Path>; count];
    for s in &shards {
        if s.shard.count != count || s.points != first.points || s.header != first.header {
            return Err(WorkflowError::BadInput(format!(
                "{} and {} are shards of different sweeps",
                first.dir.display(),
                s.dir.display()
            )));
        }
        if let Some(other) = seen[s.shard.index] {
            return Err(WorkflowError::BadInput(format!(
                "shard {}/{count} appears twice: {} and {}",
                s.shard.index,
                other.display(),
                s.dir.display()
            )));
        }
        seen[s.shard.index] = Some(&s.dir);
    }
    let missing: Vec<String> = (0..count)
        .filter(|&k| seen[k].is_none())
        .map(|k| format!("{k}/{count}"))
        .collect();
    if !missing.is_empty() {
        return Err(WorkflowError::BadInput(format!(
            "missing shard(s) {}: rerun them before merging",
            missing.join(", ")
        )));
    }

    // Rows grouped by point; each point's rows stay in their order.
    let mut by_point: Vec<Option<String>> = vec![None; first.points];
    for s in &shards {
        let path = s.dir.join("sweep.csv");
        let text = fs::read_to_string(&path).map_err(read_err(&path))?;
        let Some(body) = text.strip_prefix(s.header.as_str()) else {
            return Err(bad_file(&path, "header differs from the shard manifest"));
        };
        for line in body.lines() {
            let point: usize = line
                .split(',')
                .next()
                .and_then(|p| p.parse().ok())
                .filter(|&p| p < first.points && s.shard.owns(p))
                .ok_or_else(|| {
                    bad_file(&path, format!("row does not belong to this shard: {line}"))
                })?;
            let slot = by_point[point].get_or_insert_with(String::new);
            slot.push_str(line);
            slot.push('\n');
        }
    }
    if let Some(p) = by_point.iter().position(Option::is_none) {
        return Err(WorkflowError::BadInput(format!(
            "point {p} has no rows: its shard did not finish"
        )));
    }

    fs::create_dir_all(out_dir).map_err(write_err(out_dir))?;
    for s in &shards {
        let points_dir = s.dir.join("points");
        if points_dir.is_dir() {
            copy_dir(&points_dir, &out_dir.join("points"))?;
        }
    }
    let path = out_dir.join("sweep.csv");
    let mut f = AtomicFile::create(&path).map_err(write_err(&path))?;
    let mut text = first.header.clone();
    for rows in by_point.into_iter().flatten() {
        text.push_str(&rows);
    }
    f.writer()
        .write_all(text.as_bytes())
        .map_err(write_err(&path))?;
    let written = f.commit().map_err(write_err(&path))?;
    Ok(MergeReport {
        shards: shards.len(),
        points: first.points,
        files: vec![written],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vary(s: &str) -> Vary {
        s.parse().unwrap()
    }

    #[test]
    fn ranges_and_lists() {
        assert_eq!(vary("a=40..60:5").values, ["40", "45", "50", "55", "60"]);
        assert_eq!(vary("a=1..3").values, ["1", "2", "3"]);
        assert_eq!(vary("a=0.1..0.3:0.1").values, ["0.1", "0.2", "0.3"]);
        assert_eq!(vary("a=1.0..2.0:0.5").values, ["1.0", "1.5", "2.0"]);
        assert_eq!(vary("a=40,45, 50").values, ["40", "45", "50"]);
        assert_eq!(
            vary("p.talk_s=Exp(mean: 90.0),Const(100.0)").values,
            ["Exp(mean: 90.0)", "Const(100.0)"]
        );
        assert_eq!(vary("p.policy=All,Evenly").values, ["All", "Evenly"]);
        assert!("a=5..1".parse::<Vary>().unwrap_err().contains("LO ≤ HI"));
        assert!("a=1..5:0".parse::<Vary>().unwrap_err().contains("STEP > 0"));
        assert!("a=1..x"
            .parse::<Vary>()
            .unwrap_err()
            .contains("not a range"));
        assert!("a=(1,".parse::<Vary>().unwrap_err().contains("unbalanced"));
        assert!("a=1,,2"
            .parse::<Vary>()
            .unwrap_err()
            .contains("empty value"));
        assert!("a".parse::<Vary>().unwrap_err().contains("PATH=VALUES"));
        assert!("a=0..1000000"
            .parse::<Vary>()
            .unwrap_err()
            .contains("more than"));
    }

    #[test]
    fn cartesian_product_first_varies_slowest() {
        let p = points(&[vary("a=1,2"), vary("b=x,y,z")]).unwrap();
        let flat: Vec<String> = p.iter().map(|v| v.join("")).collect();
        assert_eq!(flat, ["1x", "1y", "1z", "2x", "2y", "2z"]);
    }

    #[test]
    fn shards_partition_the_points() {
        for n in 1..6 {
            let shards: Vec<Shard> = (0..n)
                .map(|k| format!("{k}/{n}").parse().unwrap())
                .collect();
            for p in 0..50 {
                assert_eq!(shards.iter().filter(|s| s.owns(p)).count(), 1);
            }
        }
        assert!("3/3".parse::<Shard>().is_err());
        assert!("1/0".parse::<Shard>().is_err());
        assert!("x".parse::<Shard>().is_err());
    }

    /// Splits a made-up full sweep into N shard folders the way `run_sweep`
    /// writes them, merges them back in a shuffled order, and expects the
    /// full bytes, for every N from 1 to 7 (more shards than points too).
    #[test]
    fn merge_reassembles_any_number_of_shards() {
        use crate::stats::{summarize, Metric, MetricValues};
        let varies = vec![
            vary("portals.acme.queue.policy=All,Evenly"),
            vary("x=\"a,b\",2,3"),
        ];
        let all = points(&varies).unwrap();
        let header = sweep_header(&varies);
        let rows_of = |p: usize| {
            let mut v: MetricValues = [None; Metric::ALL.len()];
            v[Metric::AsaS as usize] = Some(p as f64 / 3.0);
            let summary = summarize(&["platform".into()], &[vec![v], vec![v]]);
            sweep_rows(p, &all[p], &summary)
        };
        let full: String = std::iter::once(header.clone())
            .chain((0..all.len()).map(rows_of))
            .collect();
        // The RON literal "a,b" (quotes included), CSV-quoted.
        assert!(full.contains(",\"\"\"a,b\"\"\",platform,asa_s,"), "{full}");
        for n in 1..=7 {
            let tmp = tempfile::tempdir().unwrap();
            let mut dirs = Vec::new();
            for k in 0..n {
                let shard = Shard { index: k, count: n };
                let dir = tmp.path().join(format!("s{k}"));
                fs::create_dir_all(&dir).unwrap();
                let body: String = (0..all.len())
                    .filter(|&p| shard.owns(p))
                    .map(rows_of)
                    .collect();
                fs::write(dir.join("sweep.csv"), format!("{header}{body}")).unwrap();
                fs::write(
                    dir.join(SHARD_MANIFEST),
                    manifest(shard, all.len(), &header),
                )
                .unwrap();
                dirs.push(dir);
            }
            dirs.reverse();
            let out = tmp.path().join("merged");
            let r = merge(&dirs, &out).unwrap();
            assert_eq!((r.shards, r.points), (n, all.len()));
            assert_eq!(
                fs::read_to_string(out.join("sweep.csv")).unwrap(),
                full,
                "N = {n}"
            );
            if n > 1 {
                let err = merge(&dirs[1..], &tmp.path().join("m2")).unwrap_err();
                assert!(err.to_string().contains("missing shard"), "{err}");
            }
        }
    }

    #[test]
    fn header_quotes_paths() {
        assert_eq!(
            sweep_header(&[vary("portals.acme.agents=1")]),
            "point,portals.acme.agents,scope,metric,mean,ci95_low,ci95_high,n\n"
        );
    }
}
