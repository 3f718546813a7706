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
//! `sweep-shard.txt` manifest carrying the sweep's
//! [`Fingerprint`], and [`merge`]
//! reassembles the shards into the same bytes the unsharded sweep writes,
//! refusing shards whose fingerprints differ. With more shards than points,
//! each shard runs some replications of one point instead (a run shard in
//! the point's folder, no `sweep.csv` rows), and `merge` pools each point's
//! run shards and computes its rows from the pooled replications.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::orchestrate::{self, RunOptions};
use crate::output::{opt_f64, quote, AtomicFile, DirCommit};
use crate::scenario::Override;
use crate::stats::SummaryRow;

use super::csv_input::shorten;
use super::fingerprint::Fingerprint;
use super::{bad_file, open_input, read_err, write_err, WorkflowError};

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
        // i128: `i64::MIN..i64::MAX` must not overflow.
        let n = (hi as i128 - lo as i128) / step as i128 + 1;
        if n > MAX_POINTS as i128 {
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
    // Counted in floating point: a tiny step gives more values than a usize
    // holds, and the cast would saturate (and `+ 1` wrap to zero points).
    let count = ((hi - lo) / step + 1e-9).floor() + 1.0;
    if count > MAX_POINTS as f64 {
        return Err(format!(
            "'{spec}' has {count:.3e} values, more than {MAX_POINTS}"
        ));
    }
    let n = count as usize;
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

    /// Whether this sweep shard runs (some of) `point` of a sweep of
    /// `points` points: round robin over points when N ≤ points, else the
    /// one point `K % points` (see [`Shard::replication_shard`]).
    pub fn owns_point(&self, point: usize, points: usize) -> bool {
        if self.count <= points {
            self.owns(point)
        } else {
            point == self.index % points
        }
    }

    /// When there are more shards than points, shard K runs point
    /// `p = K % points` and, of its replications, run shard `K / points` of
    /// the shards that share p (`r % n == K / points`): every shard gets
    /// work while replications last, and each point folder is a run shard
    /// that `merge` pools like those of `telsim run --shard`. `None` when
    /// N ≤ points (whole points, as ever).
    pub fn replication_shard(&self, points: usize) -> Option<Shard> {
        (self.count > points).then(|| {
            let p = self.index % points;
            Shard {
                index: self.index / points,
                count: (self.count - 1 - p) / points + 1,
            }
        })
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
/// What a sweep or merge folder holds.
const SWEEP_FILES: &[&str] = &["sweep.csv", SHARD_MANIFEST, "points"];

fn interrupted(out_dir: &Path) -> WorkflowError {
    WorkflowError::Interrupted(format!(
        "interrupted: the sweep was stopped and nothing was written; {} is as it was",
        out_dir.display()
    ))
}

/// Most shards a sweep may be split into: more than points is allowed (the
/// shards then split the points' replications; see
/// [`Shard::replication_shard`]), but not more than [`MAX_POINTS`].
pub const MAX_SHARDS: usize = MAX_POINTS;

/// Longest manifest read: a few lines plus the fingerprint's overrides.
const MAX_MANIFEST_BYTES: u64 = 4 << 20;

/// Most files a point folder may hold (a run writes half a dozen).
const MAX_FILES_PER_POINT: usize = 64;

fn manifest(shard: Shard, total: usize, header: &str, fingerprint: &Fingerprint) -> String {
    format!(
        "shard={}/{}\npoints={total}\n{}header={}",
        shard.index,
        shard.count,
        fingerprint.to_lines(),
        header
    )
}

/// The fingerprint of this sweep (the same for each of its shards).
fn sweep_fingerprint(
    opts: &SweepOptions,
    all: &[Vec<String>],
) -> Result<Fingerprint, WorkflowError> {
    let first = crate::load_model(&opts.scenario, &point_overrides(opts, &all[0]))?;
    let mut fp = Fingerprint::of_run(&opts.scenario, &first, &opts.base)
        .map_err(read_err(&opts.scenario))?;
    fp.varies = opts
        .varies
        .iter()
        .map(|v| format!("{}={}", v.path, v.values.join(",")))
        .collect();
    Ok(fp)
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
        .filter(|&p| opts.shard.is_none_or(|s| s.owns_point(p, all.len())))
        .collect();
    let rep_shard = opts.shard.and_then(|s| s.replication_shard(all.len()));
    let mut models = Vec::with_capacity(mine.len());
    for &p in &mine {
        let model = crate::load_model(&opts.scenario, &point_overrides(opts, &all[p]))?;
        models.push(Arc::new(model));
    }
    // The whole folder is built beside the destination and swapped in at
    // the end: an earlier, bigger sweep's point folders or manifest never
    // sit beside this one's, and an interrupted sweep leaves the earlier
    // result as it was.
    let folder = DirCommit::create(&opts.out_dir, SWEEP_FILES).map_err(write_err(&opts.out_dir))?;
    let staged = folder.path().to_path_buf();
    let manifest_path = staged.join(SHARD_MANIFEST);

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
            queue_log: false,
            jobs: opts.jobs,
            out_dir: staged.join("points").join(point_dir_name(p)),
            write_calls: false,
            progress: false,
            verbose: false,
            parquet: false,
            cancel: opts.cancel.clone(),
        };
        let result = match rep_shard {
            Some(rs) => {
                orchestrate::run_shard(model.clone(), &run_opts, (rs.index as u32, rs.count as u32))
            }
            None => orchestrate::run(model.clone(), &run_opts),
        };
        let report = match result {
            Err(orchestrate::RunError::Interrupted(_)) => return Err(interrupted(&opts.out_dir)),
            r => r?,
        };
        match rep_shard {
            // A fraction of the replications makes no row of the sweep:
            // `merge` computes the point's rows from the pooled shards.
            Some(rs) => {
                let fp = super::merge_runs::run_fingerprint(&model, false, false);
                super::merge_runs::write_run_manifest(
                    &run_opts.out_dir,
                    rs,
                    model.replications,
                    &fp,
                )?;
            }
            None => body.push_str(&sweep_rows(p, &all[p], &report.summary)),
        }
        pb.inc(1);
    }
    pb.finish_and_clear();
    if opts.cancel.load(std::sync::atomic::Ordering::Relaxed) {
        return Err(interrupted(&opts.out_dir));
    }

    let path = staged.join("sweep.csv");
    let mut f = AtomicFile::create(&path).map_err(write_err(&path))?;
    f.writer()
        .write_all(header.as_bytes())
        .and_then(|()| f.writer().write_all(body.as_bytes()))
        .map_err(write_err(&path))?;
    files.push(f.commit().map_err(write_err(&path))?);
    // The manifest goes last: its presence tells a waiting merge (see
    // deploy/kubernetes/sweep-job.yaml) that the shard is complete.
    if let Some(s) = opts.shard {
        let fp = sweep_fingerprint(opts, &all)?;
        let mut f = AtomicFile::create(&manifest_path).map_err(write_err(&manifest_path))?;
        f.writer()
            .write_all(manifest(s, all.len(), &header, &fp).as_bytes())
            .map_err(write_err(&manifest_path))?;
        files.push(f.commit().map_err(write_err(&manifest_path))?);
    }
    folder.commit().map_err(write_err(&opts.out_dir))?;
    let files = files
        .iter()
        .filter_map(|f| f.file_name())
        .map(|n| opts.out_dir.join(n))
        .collect();
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

/// A shard's `sweep-shard.txt`: which shard of how many, how many points
/// the whole sweep has, the `sweep.csv` header and the sweep's fingerprint.
#[derive(Debug, Clone, PartialEq)]
pub struct ShardManifest {
    pub shard: Shard,
    pub points: usize,
    /// With its final `\n`.
    pub header: String,
    pub fingerprint: Fingerprint,
}

/// Parses a shard manifest, checking it against hard limits before anything
/// is sized by it: at most [`MAX_SHARDS`] shards and [`MAX_POINTS`] points,
/// each key once, and a fingerprint (manifests of telsim versions before
/// fingerprints are refused: their shards cannot be proven to match).
pub fn parse_manifest(text: &str) -> Result<ShardManifest, String> {
    let mut shard = None;
    let mut points = None;
    let mut header = None;
    for line in text.lines() {
        if line.starts_with("fingerprint.") {
            continue;
        }
        let (key, v) = line
            .split_once('=')
            .ok_or_else(|| format!("line '{}' is not KEY=VALUE", shorten(line)))?;
        let slot = match key {
            "shard" => &mut shard,
            "points" => &mut points,
            "header" => &mut header,
            _ => return Err(format!("unknown key '{}'", shorten(key))),
        };
        if slot.replace(v).is_some() {
            return Err(format!("'{key}' appears twice"));
        }
    }
    let shard: Shard = shard
        .ok_or("no 'shard=K/N' line")?
        .parse()
        .map_err(|e| format!("shard: {e}"))?;
    if shard.count > MAX_SHARDS {
        return Err(format!(
            "shard: {} shards, more than {MAX_SHARDS}",
            shard.count
        ));
    }
    let points_text = points.ok_or("no 'points=N' line")?;
    let points: usize = points_text
        .parse()
        .ok()
        .filter(|&p| (1..=MAX_POINTS).contains(&p))
        .ok_or_else(|| {
            format!(
                "points: '{}' is not a count from 1 to {MAX_POINTS}",
                shorten(points_text)
            )
        })?;
    let header = header.ok_or("no 'header=' line")?;
    if !header.starts_with("point,") {
        return Err(format!(
            "header '{}' is not a sweep.csv header",
            shorten(header)
        ));
    }
    let fingerprint = Fingerprint::parse(text)?
        .ok_or("no fingerprint (written by a telsim before shard fingerprints): rerun the shard")?;
    Ok(ShardManifest {
        shard,
        points,
        header: format!("{header}\n"),
        fingerprint,
    })
}

struct ShardOutput {
    dir: PathBuf,
    manifest: ShardManifest,
}

/// Reads a file a verb reads back, at most `max` bytes, as UTF-8.
fn read_small(path: &Path, max: u64) -> Result<String, WorkflowError> {
    use std::io::Read;
    let mut bytes = Vec::new();
    open_input(path)?
        .take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(read_err(path))?;
    if bytes.len() as u64 > max {
        return Err(bad_file(path, format!("larger than {max} bytes")));
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let line = 1 + e.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count();
        WorkflowError::BadFile {
            path: path.to_path_buf(),
            line: Some(line as u64),
            message: "not UTF-8 text".into(),
        }
    })
}

fn read_manifest(dir: &Path) -> Result<ShardOutput, WorkflowError> {
    let path = dir.join(SHARD_MANIFEST);
    let text = read_small(&path, MAX_MANIFEST_BYTES)?;
    let manifest = parse_manifest(&text)
        .map_err(|m| bad_file(&path, format!("not a valid sweep shard manifest: {m}")))?;
    Ok(ShardOutput {
        dir: dir.to_path_buf(),
        manifest,
    })
}

/// The point folders of a shard, checked against its manifest before
/// anything is copied: `points/` holds exactly one real folder (no
/// symlink) per point the shard owns, named as `sweep` names it, and each
/// holds only regular files. Returns (point, folder, files) in point order.
fn shard_points(s: &ShardOutput) -> Result<Vec<(usize, PathBuf, Vec<PathBuf>)>, WorkflowError> {
    let m = &s.manifest;
    let root = s.dir.join("points");
    let owned = (0..m.points)
        .filter(|&p| m.shard.owns_point(p, m.points))
        .count();
    let mut found: Vec<(usize, PathBuf, Vec<PathBuf>)> = Vec::new();
    match fs::symlink_metadata(&root) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && owned == 0 => return Ok(found),
        Err(e) => return Err(read_err(&root)(e)),
        Ok(meta) if !meta.is_dir() => {
            return Err(bad_file(
                &root,
                "not a folder (a symlink or file is not followed)",
            ))
        }
        Ok(_) => {}
    }
    for entry in fs::read_dir(&root).map_err(read_err(&root))? {
        let entry = entry.map_err(read_err(&root))?;
        let path = entry.path();
        let name = entry.file_name();
        let point = name
            .to_str()
            .filter(|n| n.len() >= 4 && n.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|&p| p < m.points && point_dir_name(p) == name.to_string_lossy());
        let Some(point) = point else {
            return Err(bad_file(&path, "not a point folder of this sweep"));
        };
        if !m.shard.owns_point(point, m.points) {
            if m.shard.count > m.points {
                return Err(bad_file(
                    &path,
                    format!(
                        "point {point} is not run by this shard {}/{} (it runs point {})",
                        m.shard.index,
                        m.shard.count,
                        m.shard.index % m.points
                    ),
                ));
            }
            return Err(bad_file(
                &path,
                format!(
                    "point {point} belongs to shard {}/{}, not to this shard {}/{}",
                    point % m.shard.count,
                    m.shard.count,
                    m.shard.index,
                    m.shard.count
                ),
            ));
        }
        let meta = fs::symlink_metadata(&path).map_err(read_err(&path))?;
        if !meta.is_dir() {
            return Err(bad_file(
                &path,
                "not a folder (a symlink or file is not followed)",
            ));
        }
        if found.len() >= owned {
            return Err(bad_file(
                &root,
                format!("more than the {owned} point folder(s) the shard owns"),
            ));
        }
        let mut files = Vec::new();
        for f in fs::read_dir(&path).map_err(read_err(&path))? {
            let f = f.map_err(read_err(&path))?.path();
            let meta = fs::symlink_metadata(&f).map_err(read_err(&f))?;
            if !meta.file_type().is_file() {
                let kind = if meta.file_type().is_symlink() {
                    "a symlink"
                } else if meta.is_dir() {
                    "a folder"
                } else {
                    "a special file (FIFO, socket or device)"
                };
                return Err(bad_file(
                    &f,
                    format!("is {kind}: merge copies regular files only"),
                ));
            }
            if files.len() == MAX_FILES_PER_POINT {
                return Err(bad_file(
                    &path,
                    format!("more than {MAX_FILES_PER_POINT} files"),
                ));
            }
            files.push(f);
        }
        files.sort();
        found.push((point, path, files));
    }
    found.sort_by_key(|f| f.0);
    if found.len() != owned {
        let have: std::collections::HashSet<usize> = found.iter().map(|f| f.0).collect();
        let p = (0..m.points)
            .find(|&p| m.shard.owns_point(p, m.points) && !have.contains(&p))
            .expect("a point is missing");
        return Err(bad_file(
            &root.join(point_dir_name(p)),
            "missing: the shard did not finish this point",
        ));
    }
    Ok(found)
}

/// Joins the outputs of shards 0..N of one sweep (any order, each exactly
/// once) into `out_dir`: the same `sweep.csv` and point folders, byte for
/// byte, as the unsharded sweep.
///
/// Everything is checked before the first byte is written: manifests
/// against hard limits, shards against each other by fingerprint (the
/// first difference is named), point folders against the manifests. Point
/// files are copied into a staging folder that replaces `out_dir/points`
/// only when complete.
pub fn merge(dirs: &[PathBuf], out_dir: &Path) -> Result<MergeReport, WorkflowError> {
    if dirs.is_empty() {
        return Err(WorkflowError::BadInput("merge needs shard folders".into()));
    }
    if dirs.len() > MAX_SHARDS {
        return Err(WorkflowError::BadInput(format!(
            "{} shard folders, more than {MAX_SHARDS}",
            dirs.len()
        )));
    }
    let shards: Vec<ShardOutput> = dirs
        .iter()
        .map(|d| read_manifest(d))
        .collect::<Result<_, _>>()?;
    let first = &shards[0];
    let (count, points) = (first.manifest.shard.count, first.manifest.points);
    let name = |s: &ShardOutput| format!("shard {} ({})", s.manifest.shard.index, s.dir.display());
    for s in &shards[1..] {
        if let Some(d) = first
            .manifest
            .fingerprint
            .first_difference(&s.manifest.fingerprint)
        {
            return Err(WorkflowError::BadInput(format!(
                "shards of different sweeps: {}",
                d.describe(&name(first), &name(s))
            )));
        }
        let m = &s.manifest;
        let differs = if m.shard.count != count {
            Some(format!(
                "{} of {count} shards vs {} of {}",
                name(first),
                name(s),
                m.shard.count
            ))
        } else if m.points != points {
            Some(format!(
                "{} has {points} points, {} has {}",
                name(first),
                name(s),
                m.points
            ))
        } else if m.header != first.manifest.header {
            Some(format!(
                "{} and {} have different sweep.csv headers",
                name(first),
                name(s)
            ))
        } else {
            None
        };
        if let Some(d) = differs {
            return Err(WorkflowError::BadInput(format!(
                "shards of different sweeps: {d}"
            )));
        }
    }
    let mut seen = vec![None::<&Path>; count];
    for s in &shards {
        let k = s.manifest.shard.index;
        if let Some(other) = seen[k] {
            return Err(WorkflowError::BadInput(format!(
                "shard {k}/{count} appears twice: {} and {}",
                other.display(),
                s.dir.display()
            )));
        }
        seen[k] = Some(&s.dir);
    }
    let missing: Vec<String> = (0..count)
        .filter(|&k| seen[k].is_none())
        .take(20)
        .map(|k| format!("{k}/{count}"))
        .collect();
    if !missing.is_empty() {
        return Err(WorkflowError::BadInput(format!(
            "missing shard(s) {}: rerun them before merging",
            missing.join(", ")
        )));
    }
    let mut copies = Vec::new();
    for s in &shards {
        copies.extend(shard_points(s)?);
    }

    // Rows grouped by point; each point's rows stay in their order. With
    // more shards than points the shards' sweep.csv hold no rows (see
    // `Shard::replication_shard`): each point's rows are computed from its
    // pooled replications below.
    let split = count > points;
    let header = &first.manifest.header;
    let mut by_point: Vec<Option<String>> = vec![None; points];
    for s in &shards {
        let path = s.dir.join("sweep.csv");
        let text = read_small(&path, MAX_SWEEP_CSV_BYTES)?;
        let Some(body) = text.strip_prefix(header.as_str()) else {
            return Err(bad_file(&path, "header differs from the shard manifest"));
        };
        for (i, line) in body.lines().enumerate() {
            let point: usize = line
                .split(',')
                .next()
                .and_then(|p| p.parse().ok())
                .filter(|&p| p < points && !split && s.manifest.shard.owns(p))
                .ok_or_else(|| WorkflowError::BadFile {
                    path: path.clone(),
                    line: Some(i as u64 + 2),
                    message: format!("row does not belong to this shard: {}", shorten(line)),
                })?;
            let slot = by_point[point].get_or_insert_with(String::new);
            slot.push_str(line);
            slot.push('\n');
        }
    }
    if let Some(p) = by_point.iter().position(Option::is_none).filter(|_| !split) {
        return Err(WorkflowError::BadInput(format!(
            "point {p} has no rows: its shard did not finish"
        )));
    }

    // Built beside the destination and swapped in whole (see `run_sweep`).
    let folder = DirCommit::create(out_dir, SWEEP_FILES).map_err(write_err(out_dir))?;
    let staged = folder.path();
    if split {
        let values = point_values(first, points)?;
        for (p, rows) in by_point.iter_mut().enumerate() {
            let dirs: Vec<PathBuf> = copies
                .iter()
                .filter(|c| c.0 == p)
                .map(|c| c.1.clone())
                .collect();
            let pooled = super::merge_runs::merge_runs(
                &dirs,
                &staged.join("points").join(point_dir_name(p)),
            )?;
            *rows = Some(sweep_rows(p, &values[p], &pooled.summary));
        }
    } else {
        stage_points(&staged.join("points"), &copies)?;
    }
    let path = staged.join("sweep.csv");
    let mut f = AtomicFile::create(&path).map_err(write_err(&path))?;
    let mut text = header.clone();
    for rows in by_point.into_iter().flatten() {
        text.push_str(&rows);
    }
    f.writer()
        .write_all(text.as_bytes())
        .map_err(write_err(&path))?;
    f.commit().map_err(write_err(&path))?;
    folder.commit().map_err(write_err(out_dir))?;
    Ok(MergeReport {
        shards: shards.len(),
        points,
        files: vec![out_dir.join("sweep.csv")],
    })
}

/// Each point's values of the varied paths, from the sweep's fingerprint
/// (which lists every `--vary` as `PATH=v1,v2,…`, the values as RON
/// literals that `Vary` splits back at their top-level commas).
fn point_values(s: &ShardOutput, points: usize) -> Result<Vec<Vec<String>>, WorkflowError> {
    let path = s.dir.join(SHARD_MANIFEST);
    let varies: Vec<Vary> = s
        .manifest
        .fingerprint
        .varies
        .iter()
        .map(|v| v.parse())
        .collect::<Result<_, String>>()
        .map_err(|m| bad_file(&path, format!("fingerprint: {m}")))?;
    let all = self::points(&varies).map_err(|m| bad_file(&path, m))?;
    if all.len() != points {
        return Err(bad_file(
            &path,
            format!(
                "the fingerprint's values make {} point(s), not {points}",
                all.len()
            ),
        ));
    }
    Ok(all)
}

/// Largest shard `sweep.csv` merge reads: 100 000 points of a few hundred
/// rows would be far more than a sweep writes in practice.
const MAX_SWEEP_CSV_BYTES: u64 = 1 << 30;

/// Copies each point's regular files into `staging/<point>/`. Files are
/// opened only after `shard_points` saw them as regular files, and checked
/// again on the open handle, so a file swapped for a FIFO meanwhile is
/// refused rather than read forever.
fn stage_points(
    staging: &Path,
    copies: &[(usize, PathBuf, Vec<PathBuf>)],
) -> Result<(), WorkflowError> {
    fs::create_dir_all(staging).map_err(write_err(staging))?;
    for (point, _, files) in copies {
        let dir = staging.join(point_dir_name(*point));
        fs::create_dir(&dir).map_err(write_err(&dir))?;
        for src in files {
            let meta = fs::symlink_metadata(src).map_err(read_err(src))?;
            if !meta.file_type().is_file() {
                return Err(bad_file(src, "is no longer a regular file"));
            }
            let mut from = open_input(src)?;
            let dst = dir.join(src.file_name().expect("a file in a folder"));
            let mut to = fs::File::create(&dst).map_err(write_err(&dst))?;
            std::io::copy(&mut from, &mut to).map_err(write_err(&dst))?;
        }
    }
    Ok(())
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
        for huge in [
            "a=1..2:1e-20",
            "a=0.0..1e300",
            "a=-9223372036854775808..9223372036854775807",
        ] {
            let e = huge.parse::<Vary>().unwrap_err();
            assert!(e.contains("more than"), "{huge}: {e}");
        }
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
        // More shards than points: every (point, replication) pair exactly
        // once, and N ≤ points keeps whole points.
        for points in 1..5 {
            for n in 1..12 {
                let reps = 7;
                let mut seen = vec![0; points * reps];
                for k in 0..n {
                    let s = Shard { index: k, count: n };
                    let mine: Vec<usize> =
                        (0..points).filter(|&p| s.owns_point(p, points)).collect();
                    match s.replication_shard(points) {
                        None => {
                            assert!(n <= points);
                            for p in mine {
                                assert!(s.owns(p));
                                (0..reps).for_each(|r| seen[p * reps + r] += 1);
                            }
                        }
                        Some(rs) => {
                            assert_eq!(mine, [k % points]);
                            for r in (0..reps).filter(|r| r % rs.count == rs.index) {
                                seen[mine[0] * reps + r] += 1;
                            }
                        }
                    }
                }
                assert!(seen.iter().all(|&c| c == 1), "{points} points, {n} shards");
            }
        }
        assert!("1/0".parse::<Shard>().is_err());
        assert!("x".parse::<Shard>().is_err());
    }

    /// Splits a made-up full sweep into N shard folders the way `run_sweep`
    /// writes them, merges them back in a shuffled order, and expects the
    /// full bytes, for every N from 1 to the number of points (more shards
    /// split replications: tests/sweep_shards.rs runs those).
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
        for n in 1..=all.len() {
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
                    manifest(shard, all.len(), &header, &fingerprint()),
                )
                .unwrap();
                for p in (0..all.len()).filter(|&p| shard.owns(p)) {
                    let pd = dir.join("points").join(point_dir_name(p));
                    fs::create_dir_all(&pd).unwrap();
                    fs::write(pd.join("summary.csv"), format!("point {p}\n")).unwrap();
                }
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
            for p in 0..all.len() {
                let f = out
                    .join("points")
                    .join(point_dir_name(p))
                    .join("summary.csv");
                assert_eq!(fs::read_to_string(f).unwrap(), format!("point {p}\n"));
            }
            let left: Vec<_> = fs::read_dir(&out)
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .filter(|n| n.starts_with('.'))
                .collect();
            assert!(left.is_empty(), "staging left behind: {left:?}");
            if n > 1 {
                let err = merge(&dirs[1..], &tmp.path().join("m2")).unwrap_err();
                assert!(err.to_string().contains("missing shard"), "{err}");
            }
        }
    }

    fn fingerprint() -> Fingerprint {
        Fingerprint {
            telsim_version: "0.1.0".into(),
            scenario_sha256: "ab".into(),
            topology_sha256: None,
            sets: vec![],
            varies: vec!["x=1,2".into()],
            seed: 1,
            replications: 3,
        }
    }

    /// A two-shard sweep of 4 points on disk; returns the shard folders.
    fn two_shards(root: &Path) -> Vec<PathBuf> {
        let header = "point,x,scope,metric,mean,ci95_low,ci95_high,n\n";
        (0..2)
            .map(|k| {
                let shard = Shard { index: k, count: 2 };
                let dir = root.join(format!("s{k}"));
                let mut body = String::new();
                for p in (0..4).filter(|&p| shard.owns(p)) {
                    body.push_str(&format!("{p},1,platform,asa_s,1,0,2,3\n"));
                    let pd = dir.join("points").join(point_dir_name(p));
                    fs::create_dir_all(&pd).unwrap();
                    fs::write(pd.join("summary.csv"), "x\n").unwrap();
                }
                fs::write(dir.join("sweep.csv"), format!("{header}{body}")).unwrap();
                fs::write(
                    dir.join(SHARD_MANIFEST),
                    manifest(shard, 4, header, &fingerprint()),
                )
                .unwrap();
                dir
            })
            .collect()
    }

    fn merge_err(dirs: &[PathBuf], out: &Path) -> String {
        let e = merge(dirs, out).unwrap_err();
        assert!(
            matches!(
                e,
                WorkflowError::BadFile { .. } | WorkflowError::BadInput(_)
            ),
            "{e:?}"
        );
        assert!(!out.join("sweep.csv").exists(), "wrote output despite {e}");
        e.to_string()
    }

    #[test]
    fn merge_refuses_what_is_not_a_regular_point_file() {
        #[cfg(unix)]
        {
            use std::os::unix::fs::symlink;
            let tmp = tempfile::tempdir().unwrap();
            let dirs = two_shards(tmp.path());
            let out = tmp.path().join("out");
            let p2 = dirs[0].join("points/0002");
            symlink("/etc/passwd", p2.join("stolen.csv")).unwrap();
            assert!(merge_err(&dirs, &out).contains("is a symlink"));
            fs::remove_file(p2.join("stolen.csv")).unwrap();
            symlink(p2.join("loop"), p2.join("loop")).unwrap();
            assert!(merge_err(&dirs, &out).contains("is a symlink"));
            fs::remove_file(p2.join("loop")).unwrap();
            let fifo = p2.join("fifo");
            let made = std::process::Command::new("mkfifo").arg(&fifo).status();
            if made.is_ok_and(|s| s.success()) {
                assert!(merge_err(&dirs, &out).contains("special file"));
                fs::remove_file(&fifo).unwrap();
            }
            // A point folder that is a symlink to another shard's folder.
            fs::rename(&p2, tmp.path().join("moved")).unwrap();
            symlink(tmp.path().join("moved"), &p2).unwrap();
            assert!(merge_err(&dirs, &out).contains("not a folder"));
            fs::remove_file(&p2).unwrap();
            assert!(merge_err(&dirs, &out).contains("missing: the shard did not finish"));
            fs::rename(tmp.path().join("moved"), &p2).unwrap();
            // A folder of another shard's point, or of no point.
            fs::create_dir(dirs[0].join("points/0001")).unwrap();
            assert!(merge_err(&dirs, &out).contains("belongs to shard 1/2"));
            fs::remove_dir(dirs[0].join("points/0001")).unwrap();
            fs::create_dir(dirs[0].join("points/0010")).unwrap();
            assert!(merge_err(&dirs, &out).contains("not a point folder"));
            fs::remove_dir(dirs[0].join("points/0010")).unwrap();
            merge(&dirs, &out).unwrap();
        }
    }

    #[test]
    fn manifests_are_checked_against_limits_before_anything_is_sized() {
        let fp = fingerprint().to_lines();
        let ok = |extra: &str| format!("shard=0/2\npoints=4\n{fp}{extra}header=point,x\n");
        assert!(parse_manifest(&ok("")).is_ok());
        for (text, want) in [
            (
                format!("shard=0/1000000000\npoints=4\n{fp}header=point,x"),
                "more than 100000",
            ),
            (
                format!("shard=0/2\npoints=1000000000\n{fp}header=point,x"),
                "not a count from 1 to 100000",
            ),
            (
                format!("shard=0/2\npoints=0\n{fp}header=point,x"),
                "not a count",
            ),
            (
                format!("shard=2/2\npoints=4\n{fp}header=point,x"),
                "need 0 ≤ K < N",
            ),
            (
                "shard=0/2\npoints=4\nheader=point,x".to_string(),
                "no fingerprint",
            ),
            (ok("points=5\n"), "appears twice"),
            (ok("colour=red\n"), "unknown key"),
            (
                format!("shard=0/2\npoints=4\n{fp}header=x"),
                "not a sweep.csv header",
            ),
            (format!("points=4\n{fp}header=point,x"), "no 'shard=K/N'"),
        ] {
            let e = parse_manifest(&text).unwrap_err();
            assert!(e.contains(want), "{e} (wanted {want})");
        }
        // A shard folder list longer than any sweep is refused before any
        // manifest is read.
        let many = vec![PathBuf::from("/nonexistent"); MAX_SHARDS + 1];
        assert!(merge(&many, Path::new("/nonexistent/out"))
            .unwrap_err()
            .to_string()
            .contains("more than 100000"));
    }

    #[test]
    fn merge_names_the_first_fingerprint_difference() {
        let tmp = tempfile::tempdir().unwrap();
        let dirs = two_shards(tmp.path());
        let other = Fingerprint {
            seed: 99,
            replications: 5,
            ..fingerprint()
        };
        let header = "point,x,scope,metric,mean,ci95_low,ci95_high,n\n";
        fs::write(
            dirs[1].join(SHARD_MANIFEST),
            manifest(Shard { index: 1, count: 2 }, 4, header, &other),
        )
        .unwrap();
        let e = merge_err(&dirs, &tmp.path().join("out"));
        assert!(e.contains("shards of different sweeps"), "{e}");
        assert!(e.contains("has seed 1, shard 1"), "{e}");
        assert!(e.ends_with("has seed 99"), "{e}");
    }

    #[test]
    fn header_quotes_paths() {
        assert_eq!(
            sweep_header(&[vary("portals.acme.agents=1")]),
            "point,portals.acme.agents,scope,metric,mean,ci95_low,ci95_high,n\n"
        );
    }
}
