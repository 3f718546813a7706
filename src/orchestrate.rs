//! Runs replications in parallel and turns their results into output files.
//!
//! tokio schedules whole replications onto `--jobs` blocking threads; each
//! replication is the plain synchronous event loop. Results are merged in
//! replication order, so the files are byte-identical whatever `--jobs` is.

use std::fs;
use std::io::{self, BufReader, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::engine::SimTime;
use crate::model::{self, Model, ReplicationResult};
use crate::output::{
    write_alerts, write_intervals, write_links, write_portals, write_replications, write_summary,
    AtomicFile, CallsCsv, StagingDir,
};

type WriteFn =
    fn(&mut std::io::BufWriter<fs::File>, &Model, &[ReplicationResult]) -> io::Result<()>;
use crate::stats::{evaluate_checks, summarize, CheckResult, SummaryRow};

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub jobs: usize,
    pub out_dir: PathBuf,
    /// `false` skips `calls.csv` (benchmarks, huge sweeps).
    pub write_calls: bool,
    /// Show a progress bar on stderr for runs longer than a couple of seconds.
    pub progress: bool,
    /// Set from outside (SIGINT, SIGTERM: see `main.rs`) to stop every
    /// replication promptly; the completed ones are written under
    /// incomplete-marked names ([`PARTIAL_SUFFIX`], [`INCOMPLETE_MARKER`]).
    pub cancel: Arc<AtomicBool>,
    /// Write `trace.log` for these calls of the first replication.
    pub trace: Option<model::TraceFilter>,
}

/// Inserted before `.csv` in the names of files written by an interrupted
/// run: `summary.partial.csv`. A file under a final name is always complete.
pub const PARTIAL_SUFFIX: &str = ".partial";
/// Written beside the partial files of an interrupted run, saying which
/// replications they hold; removed by the next complete run.
pub const INCOMPLETE_MARKER: &str = "INCOMPLETE";

/// What an interrupted run kept.
#[derive(Debug, Clone, PartialEq)]
pub struct Interrupted {
    /// Replications that finished before the signal, in order.
    pub completed: Vec<u32>,
    pub total: u32,
    /// The partial files and the marker written.
    pub files: Vec<PathBuf>,
}

/// What a finished run produced.
#[derive(Debug)]
pub struct RunReport {
    pub summary: Vec<SummaryRow>,
    pub checks: Vec<CheckResult>,
    pub events: u64,
    pub calls: u64,
    pub unfinished: u64,
    pub peak_calls: usize,
    pub wall: Duration,
    pub files: Vec<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "interrupted after {} of {} replication(s) completed{}",
        .0.completed.len(),
        .0.total,
        if .0.files.is_empty() { String::new() } else { format!("; their results are in *{PARTIAL_SUFFIX}.csv files (see {INCOMPLETE_MARKER})") }
    )]
    Interrupted(Interrupted),
    #[error("internal error: {0}")]
    Internal(String),
    /// A model invariant broke: a bug in telsim, reported with what it
    /// takes to reproduce it.
    #[error("internal error: {0}")]
    Invariant(crate::model::Violation),
}

/// A replication that stopped early because the run was cancelled.
struct Cancelled;

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> RunError + '_ {
    move |source| RunError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Tells the user, once per process, that a signal is being obeyed (the
/// signal handler itself may not print).
fn announce_interrupt() {
    static ANNOUNCED: AtomicBool = AtomicBool::new(false);
    if !ANNOUNCED.swap(true, Ordering::Relaxed) {
        eprintln!("\ninterrupted: stopping the replications (press Ctrl-C again to quit at once)");
    }
}

/// The run's progress bar, shown on a terminal only once the run has gone
/// on for two seconds (short runs print nothing). The replications' progress
/// ticks reveal it, so no timer has to run beside them.
struct Progress {
    bar: ProgressBar,
    show: bool,
    reveal_at: Instant,
    revealed: AtomicBool,
}

impl Progress {
    fn new(model: &Model, show: bool) -> Progress {
        Progress {
            bar: progress_bar(model, show),
            show,
            reveal_at: Instant::now() + Duration::from_secs(2),
            revealed: AtomicBool::new(false),
        }
    }

    fn advance(&self, simulated_ms: u64) {
        self.bar.inc(simulated_ms);
        if self.show
            && !self.revealed.load(Ordering::Relaxed)
            && Instant::now() >= self.reveal_at
            && !self.revealed.swap(true, Ordering::Relaxed)
        {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.bar.enable_steady_tick(Duration::from_millis(200));
        }
    }
}

/// One replication with its calls streamed to `calls_part` (when given).
fn replicate(
    model: &Arc<Model>,
    rep: u32,
    calls_part: Option<&Path>,
    cancel: &AtomicBool,
    progress: &Progress,
    trace: Option<model::TraceFilter>,
    defer_close: Option<&mut Option<(PathBuf, CallsCsv)>>,
) -> Result<Result<ReplicationResult, Cancelled>, RunError> {
    if cancel.load(Ordering::Relaxed) {
        announce_interrupt();
        return Ok(Err(Cancelled));
    }
    let mut last = SimTime::ZERO;
    let mut tick = |reached: SimTime| {
        progress.advance((reached - last).micros() / 1000);
        last = reached;
        if cancel.load(Ordering::Relaxed) {
            announce_interrupt();
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    match calls_part {
        Some(path) => {
            let sink = CallsCsv::create(path, model, rep, rep == 0).map_err(io_err(path))?;
            let Some((result, sink)) =
                model::run_replication_traced(model, rep, sink, &mut tick, trace)
            else {
                return Ok(Err(Cancelled));
            };
            match defer_close {
                // The writer finishes the last rows while the caller writes
                // the other files (`write_outputs` closes it).
                Some(slot) => *slot = Some((path.to_path_buf(), sink)),
                None => {
                    sink.close().map_err(io_err(path))?;
                }
            }
            Ok(Ok(result))
        }
        None => Ok(
            model::run_replication_traced(model, rep, (), &mut tick, trace)
                .map(|(r, ())| r)
                .ok_or(Cancelled),
        ),
    }
}

fn progress_bar(model: &Model, show: bool) -> ProgressBar {
    let total_ms = model.duration.micros() / 1000 * model.replications as u64;
    let pb = ProgressBar::with_draw_target(Some(total_ms), ProgressDrawTarget::hidden());
    if show {
        pb.set_style(
            ProgressStyle::with_template(
                "{spinner} simulating [{bar:30}] {percent:>3}% ({elapsed} elapsed, ~{eta} left)",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
    }
    pb
}

/// Runs all replications of `model` and writes `calls.csv`, `intervals.csv`
/// and `summary.csv` into `opts.out_dir`, each renamed into place only once
/// complete. When `opts.cancel` is set during the run, replications in flight
/// stop, and the completed ones are written as `*.partial.csv` with an
/// `INCOMPLETE` note: [`RunError::Interrupted`].
pub fn run(model: Arc<Model>, opts: &RunOptions) -> Result<RunReport, RunError> {
    run_some(model, opts, None)
}

/// [`run`] for shard K of N (`(K, N)`): only the replications with
/// `r % N == K`. Each replication's streams are keyed by its number, so its
/// rows are those of the unsharded run; the files hold this shard's
/// replications in order, and `telsim merge` pools the shards
/// (`crate::workflow::merge_runs`).
pub fn run_shard(
    model: Arc<Model>,
    opts: &RunOptions,
    shard: (u32, u32),
) -> Result<RunReport, RunError> {
    run_some(model, opts, Some(shard))
}

fn run_some(
    model: Arc<Model>,
    opts: &RunOptions,
    shard: Option<(u32, u32)>,
) -> Result<RunReport, RunError> {
    let started = Instant::now();
    let reps: Vec<u32> = (0..model.replications)
        .filter(|r| shard.is_none_or(|(k, n)| r % n == k))
        .collect();
    let last_rep = reps.last().copied();
    fs::create_dir_all(&opts.out_dir).map_err(io_err(&opts.out_dir))?;
    let staging = StagingDir::create(&opts.out_dir).map_err(io_err(&opts.out_dir))?;
    let jobs = opts.jobs.max(1);
    let progress = Arc::new(Progress::new(&model, opts.progress));
    let mut deferred: Option<(PathBuf, CallsCsv)> = None;
    let part = |rep: u32| {
        opts.write_calls
            .then(|| staging.path().join(format!("calls.{rep}.csv")))
    };
    let results: Vec<Result<Result<ReplicationResult, Cancelled>, RunError>> =
        if jobs == 1 || reps.len() == 1 {
            // One at a time: on this thread, with no pool to start and no
            // thread to wake (up to 1.5 ms of a 30 ms run on this VM).
            reps.iter()
                .map(|&rep| {
                    let trace = opts.trace.clone().filter(|_| rep == 0);
                    // The last replication's writer is closed only by
                    // `write_outputs`; earlier ones before the next starts.
                    let defer = (Some(rep) == last_rep).then_some(&mut deferred);
                    let run = || {
                        replicate(
                            &model,
                            rep,
                            part(rep).as_deref(),
                            &opts.cancel,
                            &progress,
                            trace,
                            defer,
                        )
                    };
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(run))
                        .unwrap_or_else(|_| Err(RunError::Internal("replication panicked".into())))
                })
                .collect()
        } else {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .max_blocking_threads(jobs)
                .build()
                .map_err(|e| RunError::Internal(format!("cannot start the thread pool: {e}")))?;
            let results = runtime.block_on(async {
                let handles: Vec<_> = reps
                    .iter()
                    .map(|&rep| {
                        let model = model.clone();
                        let cancel = opts.cancel.clone();
                        let progress = progress.clone();
                        let part = part(rep);
                        let trace = opts.trace.clone().filter(|_| rep == 0);
                        tokio::task::spawn_blocking(move || {
                            replicate(
                                &model,
                                rep,
                                part.as_deref(),
                                &cancel,
                                &progress,
                                trace,
                                None,
                            )
                        })
                    })
                    .collect();
                let mut results = Vec::with_capacity(handles.len());
                for h in handles {
                    results.push(h.await.unwrap_or_else(|e| {
                        Err(RunError::Internal(format!("replication panicked: {e}")))
                    }));
                }
                results
            });
            drop(runtime);
            results
        };
    progress.bar.finish_and_clear();

    let mut completed = Vec::with_capacity(results.len());
    for r in results {
        if let Ok(r) = r? {
            completed.push(r);
        }
    }
    // A broken invariant makes every number suspect: nothing is written.
    if let Some(v) = completed.iter().find_map(|r| r.violation.clone()) {
        return Err(RunError::Invariant(v));
    }
    if completed.len() < reps.len() {
        let reps: Vec<u32> = completed.iter().map(|r| r.replication).collect();
        let files = if completed.is_empty() {
            Vec::new()
        } else {
            write_outputs(
                &model,
                opts,
                &staging,
                &completed,
                PARTIAL_SUFFIX,
                &mut deferred,
            )?
            .files
        };
        let mut files = files;
        // Partial files of an earlier interrupted run that this one did not
        // rewrite would contradict the note.
        for name in ["calls", "intervals", "links", "summary", "replications"] {
            let stale = opts.out_dir.join(format!("{name}{PARTIAL_SUFFIX}.csv"));
            if !files.contains(&stale) && stale.exists() {
                fs::remove_file(&stale).map_err(io_err(&stale))?;
            }
        }
        files.push(write_incomplete_note(opts, &reps, model.replications)?);
        return Err(RunError::Interrupted(Interrupted {
            completed: reps,
            total: model.replications,
            files,
        }));
    }
    let results = completed;
    let written = write_outputs(&model, opts, &staging, &results, "", &mut deferred)?;
    // An earlier interrupted run's partial files do not belong to these
    // results.
    for name in ["calls", "intervals", "links", "summary", "replications"] {
        let stale = opts.out_dir.join(format!("{name}{PARTIAL_SUFFIX}.csv"));
        if stale.exists() {
            fs::remove_file(&stale).map_err(io_err(&stale))?;
        }
    }
    let marker = opts.out_dir.join(INCOMPLETE_MARKER);
    if marker.exists() {
        fs::remove_file(&marker).map_err(io_err(&marker))?;
    }
    // Nor do the temporaries of runs killed outright.
    crate::output::sweep_stale(&opts.out_dir).map_err(io_err(&opts.out_dir))?;

    Ok(RunReport {
        events: results.iter().map(|r| r.events).sum(),
        calls: results.iter().map(|r| r.calls).sum(),
        unfinished: results.iter().map(|r| r.unfinished).sum(),
        peak_calls: results.iter().map(|r| r.peak_calls).max().unwrap_or(0),
        summary: written.summary,
        checks: written.checks,
        wall: started.elapsed(),
        files: written.files,
    })
}

/// Files written from a set of replications.
struct Written {
    summary: Vec<SummaryRow>,
    checks: Vec<CheckResult>,
    files: Vec<PathBuf>,
}

/// `INCOMPLETE`: which replications the partial files hold.
fn write_incomplete_note(opts: &RunOptions, reps: &[u32], total: u32) -> Result<PathBuf, RunError> {
    let path = opts.out_dir.join(INCOMPLETE_MARKER);
    let mut f = AtomicFile::create(&path).map_err(io_err(&path))?;
    let list: Vec<String> = reps.iter().map(u32::to_string).collect();
    write!(
        f.writer(),
        "This run was interrupted (SIGINT or SIGTERM) after {} of {total} replication(s) completed.\n\
         The *{PARTIAL_SUFFIX}.csv files beside this note hold only the completed replication(s): [{}].\n\
         Files under the final names (calls.csv, summary.csv, ...), if present, are from an earlier complete run.\n",
        reps.len(),
        list.join(", ")
    )
    .map_err(io_err(&path))?;
    f.commit().map_err(io_err(&path))
}

/// Summarises `results` and writes every output file, named `NAME{suffix}.csv`,
/// each staged completely and then renamed into place together.
fn write_outputs(
    model: &Model,
    opts: &RunOptions,
    staging: &StagingDir,
    results: &[ReplicationResult],
    suffix: &str,
    deferred: &mut Option<(PathBuf, CallsCsv)>,
) -> Result<Written, RunError> {
    let name = |base: &str| opts.out_dir.join(format!("{base}{suffix}.csv"));
    let mut scope_names = vec!["platform".to_string()];
    scope_names.extend(model.portals.iter().map(|p| p.name.clone()));
    let per_rep: Vec<_> = results.iter().map(|r| r.metrics.clone()).collect();
    let summary = summarize(&scope_names, &per_rep);
    let checks = evaluate_checks(&model.checks, &summary);
    let complete = suffix.is_empty();

    // Stage every file completely, then rename them into place together.
    let mut staged = Vec::new();
    let path = name("intervals");
    let mut f = AtomicFile::create(&path).map_err(io_err(&path))?;
    write_intervals(f.writer(), model, results).map_err(io_err(&path))?;
    f.finish().map_err(io_err(&path))?;
    staged.push(f);

    if model.network.is_some() {
        let path = name("links");
        let mut f = AtomicFile::create(&path).map_err(io_err(&path))?;
        write_links(f.writer(), model, results).map_err(io_err(&path))?;
        f.finish().map_err(io_err(&path))?;
        staged.push(f);
    }

    for (base, write) in [
        ("portals", write_portals as WriteFn),
        ("alerts", write_alerts as WriteFn),
    ] {
        let path = name(base);
        let mut f = AtomicFile::create(&path).map_err(io_err(&path))?;
        write(f.writer(), model, results).map_err(io_err(&path))?;
        f.finish().map_err(io_err(&path))?;
        staged.push(f);
    }
    if opts.trace.is_some() {
        // The trace is of the first replication (replication 0).
        let path = opts.out_dir.join(format!("trace{suffix}.log"));
        let mut f = AtomicFile::create(&path).map_err(io_err(&path))?;
        let lines = results
            .iter()
            .find(|r| r.replication == 0)
            .map(|r| r.trace.as_slice())
            .unwrap_or_default();
        for line in lines {
            writeln!(f.writer(), "{line}").map_err(io_err(&path))?;
        }
        f.finish().map_err(io_err(&path))?;
        staged.push(f);
    }

    let path = name("summary");
    let mut f = AtomicFile::create(&path).map_err(io_err(&path))?;
    write_summary(f.writer(), &summary).map_err(io_err(&path))?;
    f.finish().map_err(io_err(&path))?;
    staged.push(f);

    let path = name("replications");
    let mut f = AtomicFile::create(&path).map_err(io_err(&path))?;
    let rows: Vec<(u32, &[_])> = results
        .iter()
        .map(|r| (r.replication, r.metrics.as_slice()))
        .collect();
    write_replications(f.writer(), &scope_names, &rows).map_err(io_err(&path))?;
    f.finish().map_err(io_err(&path))?;
    staged.push(f);

    // The last replication's rows may still be on their way to its part
    // (see `replicate`): the files above were written meanwhile.
    if let Some((part, sink)) = deferred.take() {
        sink.close().map_err(io_err(&part))?;
    }
    if opts.write_calls {
        // Replication 0's part starts with the header and becomes the file
        // itself (a rename, no copy); the other parts are appended. An
        // interrupted run may lack replication 0: then a fresh file gets the
        // header and every kept part.
        let path = name("calls");
        let reps: Vec<u32> = results.iter().map(|r| r.replication).collect();
        let (mut f, rest) = if reps.first() == Some(&0) {
            let first = staging.path().join("calls.0.csv");
            (
                AtomicFile::adopt(&first, &path).map_err(io_err(&path))?,
                &reps[1..],
            )
        } else {
            let mut f = AtomicFile::create(&path).map_err(io_err(&path))?;
            f.writer()
                .write_all(crate::output::CALLS_HEADER.as_bytes())
                .map_err(io_err(&path))?;
            (f, &reps[..])
        };
        for &rep in rest {
            let part = staging.path().join(format!("calls.{rep}.csv"));
            let mut r = BufReader::new(fs::File::open(&part).map_err(io_err(&part))?);
            io::copy(&mut r, f.writer()).map_err(io_err(&path))?;
        }
        f.finish().map_err(io_err(&path))?;
        // Renamed into place first, as when it was staged first.
        staged.insert(0, f);
    }
    let mut files = Vec::new();
    for f in staged {
        let target = f.target().to_path_buf();
        files.push(f.commit().map_err(io_err(&target))?);
    }
    // Files an earlier run left that this one does not write would not
    // match these results (an interrupted run leaves final names alone).
    let not_written = [
        (!opts.write_calls).then_some("calls.csv"),
        model.network.is_none().then_some("links.csv"),
        opts.trace.is_none().then_some("trace.log"),
    ];
    for stale_name in not_written.into_iter().flatten().filter(|_| complete) {
        let stale = opts.out_dir.join(stale_name);
        if stale.exists() {
            fs::remove_file(&stale).map_err(io_err(&stale))?;
        }
    }

    Ok(Written {
        summary,
        checks,
        files,
    })
}
