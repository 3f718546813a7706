//! Replication shards of one run and their merge.
//!
//! `telsim run … --shard K/N` runs the replications with `r % N == K`. Each
//! replication's random streams are keyed by its number, so its rows are
//! those of the unsharded run; every per-replication file (`calls.csv`,
//! `intervals.csv`, `links.csv`, `portals.csv`, `alerts.csv`,
//! `replications.csv`) holds the shard's replications in order, one row
//! group per replication, the replication number first. The shard writes a
//! `run-shard.txt` manifest last, with the run's fingerprint. [`merge_runs`]
//! interleaves the shards' rows back into replication order and recomputes
//! `summary.csv` from the pooled `replications.csv` with the same code, in
//! the same floating-point order, as the unsharded run: the merged folder is
//! byte for byte the unsharded one.

use std::fmt::Write as _;
use std::fs;
use std::hash::Hasher;
use std::io::{self, BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};

use crate::model::Model;
use crate::output::{write_summary, AtomicFile, REPLICATIONS_HEADER};
use crate::stats::{summarize, Metric, MetricValues};

use super::sweep::Shard;
use super::{bad_file, read_err, write_err, WorkflowError};

pub const RUN_MANIFEST: &str = "run-shard.txt";

/// The per-replication files a run may write, merged row group by row group.
const PER_REPLICATION: [&str; 6] = [
    "calls.csv",
    "intervals.csv",
    "links.csv",
    "portals.csv",
    "alerts.csv",
    "replications.csv",
];

struct FnvWriter(fnv::FnvHasher);

impl std::fmt::Write for FnvWriter {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.write(s.as_bytes());
        Ok(())
    }
}

/// What determines a run's bytes: the telsim version, the model as loaded
/// (every scenario field after `--set`, seed and replication count; the
/// topology's nodes and links in graph order), and which optional files are
/// written. Shards of one run agree on it; any difference makes a shard
/// foreign. File paths inside the model count too, so the shards of one run
/// must see the scenario at the same path (shared storage).
pub fn run_fingerprint(model: &Model, write_calls: bool, trace: bool) -> String {
    let mut h = FnvWriter(fnv::FnvHasher::default());
    let mut bare = model.clone();
    let net = bare.network.take();
    // Debug output of plain data: deterministic (the model holds no hash
    // maps outside the topology, which is hashed through its graph order).
    let _ = write!(h, "telsim {}\n{bare:?}\n", env!("CARGO_PKG_VERSION"));
    if let Some(net) = net {
        let _ = write!(
            h,
            "{:?}{:?}{:?}{:?}{:?}{:?}{:?}",
            net.media,
            net.media_model,
            net.jitter_buffer_ms,
            net.detection,
            net.reconvergence,
            net.drop_gap,
            net.codec_kbps
        );
        for n in net.topology.nodes() {
            let _ = write!(h, "{n:?}");
        }
        for l in net.topology.links() {
            let _ = write!(h, "{l:?}");
        }
    }
    let _ = write!(h, "calls={write_calls} trace={trace}");
    format!("{:016x}", h.0.finish())
}

/// Writes the manifest of a finished shard, last: its presence says the
/// shard's files are complete.
pub fn write_run_manifest(
    out_dir: &Path,
    shard: Shard,
    replications: u32,
    fingerprint: &str,
) -> Result<PathBuf, WorkflowError> {
    let path = out_dir.join(RUN_MANIFEST);
    let mut f = AtomicFile::create(&path).map_err(write_err(&path))?;
    write!(
        f.writer(),
        "shard={}/{}\nreplications={replications}\nfingerprint={fingerprint}\n",
        shard.index,
        shard.count
    )
    .map_err(write_err(&path))?;
    f.commit().map_err(write_err(&path))
}

/// Removes a manifest an earlier shard left, before the folder is rewritten
/// (a full run's folder is no shard).
pub fn remove_run_manifest(out_dir: &Path) -> Result<(), WorkflowError> {
    let path = out_dir.join(RUN_MANIFEST);
    match fs::remove_file(&path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(write_err(&path)(e)),
        _ => Ok(()),
    }
}

struct RunShard {
    dir: PathBuf,
    shard: Shard,
    replications: u32,
    fingerprint: String,
}

fn read_run_manifest(dir: &Path) -> Result<RunShard, WorkflowError> {
    let path = dir.join(RUN_MANIFEST);
    let text = fs::read_to_string(&path).map_err(read_err(&path))?;
    let (mut shard, mut reps, mut fp) = (None, None, None);
    for line in text.lines() {
        match line.split_once('=') {
            Some(("shard", v)) => shard = v.parse::<Shard>().ok(),
            Some(("replications", v)) => reps = v.parse::<u32>().ok(),
            Some(("fingerprint", v)) => fp = Some(v.to_string()),
            _ => {}
        }
    }
    match (shard, reps, fp) {
        (Some(shard), Some(replications), Some(fingerprint)) => Ok(RunShard {
            dir: dir.to_path_buf(),
            shard,
            replications,
            fingerprint,
        }),
        _ => Err(bad_file(&path, "not a telsim run shard manifest")),
    }
}

/// Whether `dir` holds a run shard (rather than a sweep shard).
pub fn is_run_shard(dir: &Path) -> bool {
    dir.join(RUN_MANIFEST).is_file()
}

#[derive(Debug)]
pub struct RunMergeReport {
    pub shards: usize,
    pub replications: u32,
    pub files: Vec<PathBuf>,
    /// The pooled summary (what `summary.csv` holds), for a sweep's rows.
    pub summary: Vec<crate::stats::SummaryRow>,
}

/// One shard's file, read row group by row group.
struct Rows {
    path: PathBuf,
    lines: io::Lines<BufReader<fs::File>>,
    peeked: Option<(u32, String)>,
}

impl Rows {
    fn open(path: PathBuf) -> Result<(String, Rows), WorkflowError> {
        let f = fs::File::open(&path).map_err(read_err(&path))?;
        let mut lines = BufReader::new(f).lines();
        let header = match lines.next() {
            Some(h) => h.map_err(read_err(&path))?,
            None => return Err(bad_file(&path, "empty file (no header)")),
        };
        let mut rows = Rows {
            path,
            lines,
            peeked: None,
        };
        rows.advance()?;
        Ok((header, rows))
    }

    fn advance(&mut self) -> Result<(), WorkflowError> {
        self.peeked = match self.lines.next() {
            None => None,
            Some(line) => {
                let line = line.map_err(read_err(&self.path))?;
                let rep = line
                    .split(',')
                    .next()
                    .and_then(|r| r.parse::<u32>().ok())
                    .ok_or_else(|| {
                        bad_file(&self.path, format!("row without a replication: {line}"))
                    })?;
                Some((rep, line))
            }
        };
        Ok(())
    }
}

/// Pools run shards 0..N of one run (any order, each exactly once) into
/// `out_dir`: the files the unsharded run writes, byte for byte.
pub fn merge_runs(dirs: &[PathBuf], out_dir: &Path) -> Result<RunMergeReport, WorkflowError> {
    let shards: Vec<RunShard> = dirs
        .iter()
        .map(|d| read_run_manifest(d))
        .collect::<Result<_, _>>()?;
    let first = &shards[0];
    let count = first.shard.count;
    let mut by_index: Vec<Option<&RunShard>> = vec![None; count];
    for s in &shards {
        if s.shard.count != count
            || s.replications != first.replications
            || s.fingerprint != first.fingerprint
        {
            return Err(WorkflowError::BadInput(format!(
                "{} is not a shard of the same run as {} (shard {}/{} of {} replication(s), \
                 fingerprint {} vs {}/{} of {}, fingerprint {})",
                s.dir.display(),
                first.dir.display(),
                s.shard.index,
                s.shard.count,
                s.replications,
                s.fingerprint,
                first.shard.index,
                count,
                first.replications,
                first.fingerprint
            )));
        }
        if let Some(other) = by_index[s.shard.index] {
            return Err(WorkflowError::BadInput(format!(
                "shard {}/{count} appears twice: {} and {}",
                s.shard.index,
                other.dir.display(),
                s.dir.display()
            )));
        }
        by_index[s.shard.index] = Some(s);
    }
    let missing: Vec<String> = (0..count)
        .filter(|&k| by_index[k].is_none())
        .map(|k| format!("{k}/{count}"))
        .collect();
    if !missing.is_empty() {
        return Err(WorkflowError::BadInput(format!(
            "missing shard(s) {}: rerun them before merging",
            missing.join(", ")
        )));
    }
    let ordered: Vec<&RunShard> = by_index.into_iter().flatten().collect();
    let reps = first.replications;

    fs::create_dir_all(out_dir).map_err(write_err(out_dir))?;
    let mut staged = Vec::new();
    let mut pooled = None::<String>;
    for name in PER_REPLICATION {
        let present: Vec<bool> = ordered.iter().map(|s| s.dir.join(name).is_file()).collect();
        if !present.iter().any(|&p| p) {
            continue;
        }
        if let Some(k) = present.iter().position(|&p| !p) {
            return Err(bad_file(
                &ordered[k].dir.join(name),
                "missing, while other shards of the run have it",
            ));
        }
        let path = out_dir.join(name);
        let mut f = AtomicFile::create(&path).map_err(write_err(&path))?;
        let fail = |e| match e {
            Interleave::Read(e) => e,
            Interleave::Write(e) => write_err(&path)(e),
        };
        if name == "replications.csv" {
            // Kept for the summary, which is computed from it.
            let mut buf = Vec::new();
            interleave(&ordered, name, reps, &mut buf).map_err(fail)?;
            f.writer().write_all(&buf).map_err(write_err(&path))?;
            pooled = Some(String::from_utf8(buf).map_err(|_| bad_file(&path, "not UTF-8"))?);
        } else {
            interleave(&ordered, name, reps, f.writer()).map_err(fail)?;
        }
        f.finish().map_err(write_err(&path))?;
        staged.push(f);
    }
    // The trace is of replication 0, which shard 0 runs; the files that
    // describe the run as a whole are the same in every shard.
    for (name, same_in_all) in [
        ("trace.log", false),
        ("events.csv", true),
        ("datapackage.json", true),
    ] {
        let from = ordered[0].dir.join(name);
        if !from.is_file() {
            continue;
        }
        let bytes = crate::robustness::input::read_text_capped(
            &from,
            crate::robustness::input::MAX_TABLE_BYTES,
        )
        .map_err(read_err(&from))?;
        if same_in_all {
            for s in &ordered[1..] {
                let other = s.dir.join(name);
                let theirs = crate::robustness::input::read_text_capped(
                    &other,
                    crate::robustness::input::MAX_TABLE_BYTES,
                )
                .map_err(read_err(&other))?;
                if theirs != bytes {
                    return Err(bad_file(
                        &other,
                        format!(
                            "differs from {}: not a shard of the same run",
                            from.display()
                        ),
                    ));
                }
            }
        }
        let path = out_dir.join(name);
        let mut f = AtomicFile::create(&path).map_err(write_err(&path))?;
        f.writer()
            .write_all(bytes.as_bytes())
            .map_err(write_err(&path))?;
        f.finish().map_err(write_err(&path))?;
        staged.push(f);
    }
    let path = out_dir.join("summary.csv");
    let Some(pooled) = pooled else {
        return Err(bad_file(
            &ordered[0].dir.join("replications.csv"),
            "missing: the shards were not written by telsim run --shard",
        ));
    };
    let (scopes, per_rep) = parse_replications(&pooled, reps)
        .map_err(|m| bad_file(&out_dir.join("replications.csv"), m))?;
    let rows = summarize(&scopes, &per_rep);
    let mut summary = Vec::new();
    write_summary(&mut summary, &rows).map_err(write_err(&path))?;
    let mut f = AtomicFile::create(&path).map_err(write_err(&path))?;
    f.writer().write_all(&summary).map_err(write_err(&path))?;
    f.finish().map_err(write_err(&path))?;
    staged.push(f);

    // Committed as a set, as a run's own files are: a failure leaves the
    // folder as it was.
    let files = crate::output::commit_set(staged, &[]).map_err(write_err(out_dir))?;
    Ok(RunMergeReport {
        shards: count,
        replications: reps,
        files,
        summary: rows,
    })
}

enum Interleave {
    Read(WorkflowError),
    Write(io::Error),
}

/// Writes the header once and then, for r = 0..R, replication r's row group
/// from shard r % N.
fn interleave(
    shards: &[&RunShard],
    name: &str,
    reps: u32,
    w: &mut impl io::Write,
) -> Result<(), Interleave> {
    let n = shards.len() as u32;
    let mut readers = Vec::with_capacity(shards.len());
    let mut header = None::<String>;
    for s in shards {
        let (h, rows) = Rows::open(s.dir.join(name)).map_err(Interleave::Read)?;
        if header.as_ref().is_some_and(|first| *first != h) {
            return Err(Interleave::Read(bad_file(
                &s.dir.join(name),
                "header differs from shard 0's",
            )));
        }
        header.get_or_insert(h);
        readers.push(rows);
    }
    writeln!(w, "{}", header.unwrap_or_default()).map_err(Interleave::Write)?;
    for r in 0..reps {
        let rows = &mut readers[(r % n) as usize];
        while let Some((rep, line)) = &rows.peeked {
            if *rep != r {
                break;
            }
            writeln!(w, "{line}").map_err(Interleave::Write)?;
            rows.advance().map_err(Interleave::Read)?;
        }
    }
    for (s, rows) in shards.iter().zip(&readers) {
        if let Some((rep, line)) = &rows.peeked {
            return Err(Interleave::Read(bad_file(
                &s.dir.join(name),
                format!(
                    "row out of place (replication {rep} is not shard {}/{n}'s next): {line}",
                    s.shard.index
                ),
            )));
        }
    }
    Ok(())
}

/// Scope names in order of first appearance and `per_rep[r][s]`, from the
/// text of a `replications.csv` holding replications 0..R.
pub fn parse_replications(
    text: &str,
    reps: u32,
) -> Result<(Vec<String>, Vec<Vec<MetricValues>>), String> {
    let body = text
        .strip_prefix(REPLICATIONS_HEADER)
        .ok_or("not a replications.csv (header)")?;
    let mut scopes: Vec<String> = Vec::new();
    let mut per_rep: Vec<Vec<MetricValues>> = vec![Vec::new(); reps as usize];
    for line in body.lines() {
        let mut rec = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(line.as_bytes());
        let row = rec
            .records()
            .next()
            .and_then(Result::ok)
            .filter(|r| r.len() == 4)
            .ok_or_else(|| format!("bad row: {line}"))?;
        let rep: usize = row[0]
            .parse()
            .ok()
            .filter(|&r| r < reps as usize)
            .ok_or_else(|| format!("bad replication: {line}"))?;
        let s = match scopes.iter().position(|x| *x == row[1]) {
            Some(s) => s,
            None => {
                scopes.push(row[1].to_string());
                scopes.len() - 1
            }
        };
        let metric = Metric::from_name(&row[2]).ok_or_else(|| format!("unknown metric: {line}"))?;
        let value = match &row[3] {
            "" => None,
            v => Some(v.parse::<f64>().map_err(|_| format!("bad value: {line}"))?),
        };
        let scopes_of_rep = &mut per_rep[rep];
        while scopes_of_rep.len() <= s {
            scopes_of_rep.push([None; Metric::ALL.len()]);
        }
        scopes_of_rep[s][metric as usize] = value;
    }
    Ok((scopes, per_rep))
}
