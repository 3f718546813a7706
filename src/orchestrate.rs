//! Runs replications in parallel and turns their results into output files.
//!
//! tokio schedules whole replications onto `--jobs` blocking threads; each
//! replication is the plain synchronous event loop. Results are merged in
//! replication order, so the files are byte-identical whatever `--jobs` is.

use std::fs;
use std::io::{self, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::engine::SimTime;
use crate::model::{self, Model, ReplicationResult};
use crate::output::{
    commit_set, write_alerts, write_intervals, write_links, write_portals, write_replications,
    write_summary, AtomicFile, CallsCsv, QueueLogSink, StagingDir,
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
    /// Show a progress bar on stderr for runs longer than a second.
    pub progress: bool,
    /// Print a line per replication and per phase on stderr.
    pub verbose: bool,
    /// Also write every table as `NAME.parquet`, and the calls only so.
    pub parquet: bool,
    /// Set from outside (SIGINT, SIGTERM: see `main.rs`) to stop every
    /// replication promptly; the completed ones are written under
    /// incomplete-marked names ([`PARTIAL_SUFFIX`], [`INCOMPLETE_MARKER`]).
    pub cancel: Arc<AtomicBool>,
    /// Write `trace.log` for these calls of the first replication.
    pub trace: Option<model::TraceFilter>,
    /// Also write `queue_log` (replication 0 as an Asterisk queue log).
    pub queue_log: bool,
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
        if .0.files.is_empty() { "; nothing was written (files under the final names are from an earlier complete run)".to_string() } else { format!("; their results are in *{PARTIAL_SUFFIX}.csv files (see {INCOMPLETE_MARKER})") }
    )]
    Interrupted(Interrupted),
    #[error("internal error: {0}")]
    Internal(String),
    /// A portal declares several `queues`: they are validated and described
    /// by `telsim check`, but the event loop does not route them yet.
    #[error("portal '{0}' declares `queues`: several queues per portal are checked (telsim check) but not simulated yet; remove `queues`, `lines` and `classes` to run its single queue")]
    NotSimulated(String),
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
        // stderr may be closed or full: losing this line must not panic.
        let _ = writeln!(
            io::stderr(),
            "\ninterrupted: stopping the replications (press Ctrl-C again to quit at once)"
        );
    }
}

/// Events above which a run is expected to take more than a second or so:
/// its progress bar is shown from the start.
const LONG_RUN_EVENTS: f64 = 2e7;

/// The run's progress on a terminal, over the whole run: simulated time of
/// all replications, then the bytes of `calls.csv` as the parts are joined.
/// A run expected to be long ([`LONG_RUN_EVENTS`]) shows it from the start,
/// others only once they have gone on for a second (short runs print
/// nothing). Progress ticks reveal it, so no timer has to run beside them.
struct Progress {
    bar: ProgressBar,
    show: bool,
    verbose: bool,
    reveal_at: Instant,
    revealed: AtomicBool,
    started: Instant,
    done: AtomicU32,
    replications: u32,
}

impl Progress {
    fn new(model: &Model, show: bool, verbose: bool) -> Progress {
        let limits = crate::robustness::Limits {
            max_events: u64::MAX,
            max_memory: u64::MAX,
            jobs: 1,
        };
        // Only a bar that may be shown needs the estimate.
        let long = show && crate::robustness::estimate(model, &limits).events >= LONG_RUN_EVENTS;
        let now = Instant::now();
        let p = Progress {
            bar: progress_bar(model, show),
            show,
            verbose,
            reveal_at: if long {
                now
            } else {
                now + Duration::from_secs(1)
            },
            revealed: AtomicBool::new(false),
            started: now,
            done: AtomicU32::new(0),
            replications: model.replications,
        };
        p.bar
            .set_message(format!("0/{} replications", model.replications));
        p.reveal();
        p
    }

    fn reveal(&self) {
        if self.show
            && !self.revealed.load(Ordering::Relaxed)
            && Instant::now() >= self.reveal_at
            && !self.revealed.swap(true, Ordering::Relaxed)
        {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.bar.enable_steady_tick(Duration::from_millis(200));
        }
    }

    fn advance(&self, simulated_ms: u64) {
        self.bar.inc(simulated_ms);
        self.reveal();
    }

    /// A line for `--verbose`, above the bar when it is shown.
    fn note(&self, line: String) {
        if !self.verbose {
            return;
        }
        if self.revealed.load(Ordering::Relaxed) {
            self.bar.println(line);
        } else {
            eprintln!("{line}");
        }
    }

    fn replication_done(&self, rep: u32, events: u64, wall: Duration) {
        let n = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        self.bar
            .set_message(format!("{n}/{} replications", self.replications));
        self.note(format!(
            "replication {rep} done: {events} events in {:.2} s ({n} of {} done, {:.1} s elapsed)",
            wall.as_secs_f64(),
            self.replications,
            self.started.elapsed().as_secs_f64()
        ));
    }

    /// The second phase: `bytes` of `calls.csv` to join.
    fn start_writing(&self, bytes: u64) {
        self.note(format!(
            "simulation done in {:.2} s; joining {:.1} MB of calls.csv",
            self.started.elapsed().as_secs_f64(),
            bytes as f64 / 1e6
        ));
        if self.show {
            self.bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} writing calls.csv [{bar:30}] {binary_bytes}/{binary_total_bytes} ({binary_bytes_per_sec}, ~{eta} left)",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
        }
        self.bar.set_length(bytes);
        self.bar.set_position(0);
        self.bar.reset_eta();
    }

    fn wrote(&self, bytes: u64) {
        self.bar.inc(bytes);
        self.reveal();
    }
}

impl Drop for Progress {
    /// The bar leaves the terminal when the run is over, however it ended.
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

/// Appends `from` to `to` in chunks, reporting each to `progress`.
fn copy_counted(
    from: &mut impl io::Read,
    to: &mut impl Write,
    progress: &Progress,
) -> io::Result<()> {
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        to.write_all(&buf[..n])?;
        progress.wrote(n as u64);
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
    let started = Instant::now();
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
            progress.replication_done(rep, result.events, started.elapsed());
            Ok(Ok(result))
        }
        None => {
            let done = model::run_replication_traced(model, rep, (), &mut tick, trace)
                .map(|(r, ())| r)
                .ok_or(Cancelled);
            if let Ok(r) = &done {
                progress.replication_done(rep, r.events, started.elapsed());
            }
            Ok(done)
        }
    }
}

fn progress_bar(model: &Model, show: bool) -> ProgressBar {
    let total_ms = model.duration.micros() / 1000 * model.replications as u64;
    let pb = ProgressBar::with_draw_target(Some(total_ms), ProgressDrawTarget::hidden());
    if show {
        pb.set_style(
            ProgressStyle::with_template(
                "{spinner} simulating [{bar:30}] {percent:>3}% {msg} ({elapsed} elapsed, ~{eta} left)",
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
    if let Some(p) = model.portals.iter().find(|p| p.queues.is_some()) {
        return Err(RunError::NotSimulated(p.name.clone()));
    }
    let started = Instant::now();
    let reps: Vec<u32> = (0..model.replications)
        .filter(|r| shard.is_none_or(|(k, n)| r % n == k))
        .collect();
    let last_rep = reps.last().copied();
    fs::create_dir_all(&opts.out_dir).map_err(io_err(&opts.out_dir))?;
    let staging = StagingDir::create(&opts.out_dir).map_err(io_err(&opts.out_dir))?;
    let jobs = opts.jobs.max(1);
    let progress = Arc::new(Progress::new(&model, opts.progress, opts.verbose));
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
        let mut staged = if completed.is_empty() {
            Vec::new()
        } else {
            write_outputs(
                &model,
                opts,
                &staging,
                &completed,
                PARTIAL_SUFFIX,
                &mut deferred,
                &progress,
            )?
            .staged
        };
        staged.push(incomplete_note(opts, &reps, model.replications)?);
        // Partial files of an earlier interrupted run that this one does not
        // rewrite would contradict the note.
        let remove: Vec<PathBuf> = partial_names(&staged)
            .into_iter()
            .map(|n| opts.out_dir.join(n))
            .filter(|p| !staged.iter().any(|f| f.target() == p))
            .collect();
        let files = commit_set(staged, &remove).map_err(io_err(&opts.out_dir))?;
        return Err(RunError::Interrupted(Interrupted {
            completed: reps,
            total: model.replications,
            files,
        }));
    }
    let results = completed;
    let mut written = write_outputs(
        &model,
        opts,
        &staging,
        &results,
        "",
        &mut deferred,
        &progress,
    )?;
    if opts.queue_log && results.iter().any(|r| r.replication == 0) {
        written.staged.push(write_queue_log(&model, opts)?);
    }
    // A signal while the files were being written is obeyed too: nothing is
    // put in place, the earlier run's files stay.
    if opts.cancel.load(Ordering::Relaxed) {
        announce_interrupt();
        return Err(RunError::Interrupted(Interrupted {
            completed: results.iter().map(|r| r.replication).collect(),
            total: model.replications,
            files: Vec::new(),
        }));
    }
    // Every partial file of an earlier interrupted run, its note, and the
    // files an earlier run wrote that this one does not (they would not match
    // these results) leave in the same commit as the new files arrive.
    let mut remove: Vec<PathBuf> = partial_names(&written.staged)
        .into_iter()
        .chain([INCOMPLETE_MARKER.to_string()])
        .map(|n| opts.out_dir.join(n))
        .collect();
    remove.extend(
        RUN_FILES
            .iter()
            .map(|n| opts.out_dir.join(n))
            .filter(|p| !written.staged.iter().any(|f| f.target() == p)),
    );
    let files = commit_set(written.staged, &remove).map_err(io_err(&opts.out_dir))?;
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
        files,
    })
}

/// Every file name a run may write under its final name. A complete run
/// removes those it did not write this time (`calls.csv` after
/// `--no-calls`, `links.csv` without a topology, `trace.log` without
/// `--trace`), and the partial versions of all of them.
pub const RUN_FILES: &[&str] = &[
    "calls.csv",
    "intervals.csv",
    "links.csv",
    "portals.csv",
    "alerts.csv",
    "events.csv",
    "trace.log",
    "summary.csv",
    "replications.csv",
    "datapackage.json",
    "calls.parquet",
    "intervals.parquet",
    "links.parquet",
    "portals.parquet",
    "alerts.parquet",
    "events.parquet",
    "summary.parquet",
    "replications.parquet",
    "queue_log",
];

/// `queue_log`: replication 0 run again into a [`QueueLogSink`] (the same
/// calls as in `calls.csv`: a replication is a function of the scenario, the
/// seed and its number), so the replications' own path is untouched.
fn write_queue_log(model: &Arc<Model>, opts: &RunOptions) -> Result<AtomicFile, RunError> {
    let path = opts.out_dir.join("queue_log");
    let mut f = AtomicFile::create(&path).map_err(io_err(&path))?;
    let sink = QueueLogSink::new(model, f.writer());
    let keep_going = |_: SimTime| {
        if opts.cancel.load(Ordering::Relaxed) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    let Some((_, sink)) = model::run_replication(model, 0, sink, keep_going) else {
        announce_interrupt();
        return Err(RunError::Interrupted(Interrupted {
            completed: Vec::new(),
            total: model.replications,
            files: Vec::new(),
        }));
    };
    sink.finish(model.duration).map_err(io_err(&path))?;
    f.finish().map_err(io_err(&path))?;
    Ok(f)
}

/// `summary.csv` → `summary.partial.csv`.
pub fn partial_name(name: &str) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.ends_with(PARTIAL_SUFFIX) => {
            format!("{stem}{PARTIAL_SUFFIX}.{ext}")
        }
        _ => name.to_string(),
    }
}

/// The partial names of [`RUN_FILES`] and of every staged file (a file
/// another writer adds to the set gets its partial version cleaned up too).
fn partial_names(staged: &[AtomicFile]) -> Vec<String> {
    // `queue_log` has no extension, hence no partial name of its own.
    let mut names: Vec<String> = RUN_FILES
        .iter()
        .map(|n| partial_name(n))
        .filter(|p| RUN_FILES.iter().all(|n| n != p))
        .collect();
    for f in staged {
        if let Some(n) = f.target().file_name().and_then(|n| n.to_str()) {
            let p = partial_name(n);
            if !names.contains(&p) && p != n {
                names.push(p);
            }
        }
    }
    names
}

/// Files written from a set of replications, complete but not yet in
/// place: the caller commits them as one set ([`commit_set`]).
struct Written {
    summary: Vec<SummaryRow>,
    checks: Vec<CheckResult>,
    staged: Vec<AtomicFile>,
}

/// `INCOMPLETE`: which replications the partial files hold.
fn incomplete_note(opts: &RunOptions, reps: &[u32], total: u32) -> Result<AtomicFile, RunError> {
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
    Ok(f)
}

/// Summarises `results` and writes every output file, named `NAME{suffix}.csv`,
/// each staged completely, for the caller to commit together.
fn write_outputs(
    model: &Model,
    opts: &RunOptions,
    staging: &StagingDir,
    results: &[ReplicationResult],
    suffix: &str,
    deferred: &mut Option<(PathBuf, CallsCsv)>,
    progress: &Progress,
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

    if !model.events.is_empty() {
        let path = name("events");
        let mut f = AtomicFile::create(&path).map_err(io_err(&path))?;
        crate::output::write_events(f.writer(), model).map_err(io_err(&path))?;
        f.finish().map_err(io_err(&path))?;
        staged.push(f);
    }

    if complete {
        // The types of the files above, for typed loading in one call.
        let mut csvs = vec![
            "intervals.csv",
            "summary.csv",
            "replications.csv",
            "portals.csv",
            "alerts.csv",
        ];
        csvs.extend((opts.write_calls && !opts.parquet).then_some("calls.csv"));
        csvs.extend(model.network.is_some().then_some("links.csv"));
        csvs.extend((!model.events.is_empty()).then_some("events.csv"));
        let path = opts.out_dir.join("datapackage.json");
        let mut f = AtomicFile::create(&path).map_err(io_err(&path))?;
        crate::output::write_datapackage(
            f.writer(),
            model,
            &csvs,
            opts.write_calls && opts.parquet,
        )
        .map_err(io_err(&path))?;
        f.finish().map_err(io_err(&path))?;
        staged.push(f);
    }

    // The last replication's rows may still be on their way to its part
    // (see `replicate`): the files above were written meanwhile.
    if let Some((part, sink)) = deferred.take() {
        progress.bar.set_message("finishing calls.csv");
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
        let parts: Vec<PathBuf> = rest
            .iter()
            .map(|rep| staging.path().join(format!("calls.{rep}.csv")))
            .collect();
        let mut bytes = 0;
        for part in &parts {
            bytes += fs::metadata(part).map_err(io_err(part))?.len();
        }
        progress.start_writing(bytes);
        for part in &parts {
            let mut r = fs::File::open(part).map_err(io_err(part))?;
            copy_counted(&mut r, f.writer(), progress).map_err(io_err(&path))?;
        }
        f.finish().map_err(io_err(&path))?;
        // Renamed into place first, as when it was staged first.
        staged.insert(0, f);
    }
    if opts.parquet {
        // Every table also as Parquet, converted from its staged text; the
        // calls only as Parquet (their text is what a long run cannot
        // afford).
        let mut parquets = Vec::new();
        let mut keep = Vec::with_capacity(staged.len());
        for f in staged.drain(..) {
            let file = f
                .target()
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let Some(table) =
                crate::output::schema::table_of(&file).filter(|_| file.ends_with(".csv"))
            else {
                keep.push(f);
                continue;
            };
            let path = f.target().with_extension("parquet");
            let mut p = AtomicFile::create(&path).map_err(io_err(&path))?;
            let text = fs::File::open(f.staged_path()).map_err(io_err(f.target()))?;
            crate::output::csv_to_parquet(table, io::BufReader::new(text), p.writer())
                .map_err(io_err(&path))?;
            p.finish().map_err(io_err(&path))?;
            parquets.push(p);
            if table.file != "calls.csv" {
                keep.push(f);
            }
        }
        staged = keep;
        staged.extend(parquets);
    }
    Ok(Written {
        summary,
        checks,
        staged,
    })
}
