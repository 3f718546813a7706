//! Runs replications in parallel and turns their results into output files.
//!
//! tokio schedules whole replications onto `--jobs` blocking threads; each
//! replication is the plain synchronous event loop. Results are merged in
//! replication order, so the files are byte-identical whatever `--jobs` is.

use std::fs;
use std::io::{self, BufReader};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::engine::SimTime;
use crate::model::{self, Model, ReplicationResult};
use crate::output::{
    write_intervals, write_links, write_summary, AtomicFile, CallsCsv, StagingDir,
};
use crate::stats::{evaluate_checks, summarize, CheckResult, SummaryRow};

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub jobs: usize,
    pub out_dir: PathBuf,
    /// `false` skips `calls.csv` (benchmarks, huge sweeps).
    pub write_calls: bool,
    /// Show a progress bar on stderr for runs longer than a couple of seconds.
    pub progress: bool,
    /// Set from outside (Ctrl-C) to stop every replication promptly.
    pub cancel: Arc<AtomicBool>,
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
    #[error("interrupted: no output was written")]
    Interrupted,
    #[error("internal error: {0}")]
    Internal(String),
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> RunError + '_ {
    move |source| RunError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// One replication with its calls streamed to `calls_part` (when given).
fn replicate(
    model: &Model,
    rep: u32,
    calls_part: Option<&Path>,
    cancel: &AtomicBool,
    progress: &ProgressBar,
) -> Result<ReplicationResult, RunError> {
    let mut last = SimTime::ZERO;
    let mut tick = |reached: SimTime| {
        progress.inc((reached - last).micros() / 1000);
        last = reached;
        if cancel.load(Ordering::Relaxed) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    match calls_part {
        Some(path) => {
            let sink = CallsCsv::create(path, model, rep, rep == 0).map_err(io_err(path))?;
            let (result, sink) =
                model::run_replication(model, rep, sink, &mut tick).ok_or(RunError::Interrupted)?;
            sink.close().map_err(io_err(path))?;
            Ok(result)
        }
        None => model::run_replication(model, rep, (), &mut tick)
            .map(|(r, ())| r)
            .ok_or(RunError::Interrupted),
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
/// complete.
pub fn run(model: Arc<Model>, opts: &RunOptions) -> Result<RunReport, RunError> {
    let started = Instant::now();
    fs::create_dir_all(&opts.out_dir).map_err(io_err(&opts.out_dir))?;
    let staging = StagingDir::create(&opts.out_dir).map_err(io_err(&opts.out_dir))?;
    let jobs = opts.jobs.max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .max_blocking_threads(jobs)
        .enable_all()
        .build()
        .map_err(|e| RunError::Internal(format!("cannot start the thread pool: {e}")))?;

    let pb = progress_bar(&model, opts.progress);
    let results: Vec<Result<ReplicationResult, RunError>> =
        runtime.block_on(async {
            // Reveal the bar only if the run is still going after two seconds.
            let reveal = {
                let pb = pb.clone();
                let show = opts.progress;
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_secs(2)).await;
                    if show && !pb.is_finished() {
                        pb.set_draw_target(ProgressDrawTarget::stderr());
                        pb.enable_steady_tick(Duration::from_millis(200));
                    }
                })
            };
            let interrupt = {
                let cancel = opts.cancel.clone();
                tokio::spawn(async move {
                    if tokio::signal::ctrl_c().await.is_ok() {
                        cancel.store(true, Ordering::Relaxed);
                    }
                })
            };
            let handles: Vec<_> = (0..model.replications)
                .map(|rep| {
                    let model = model.clone();
                    let cancel = opts.cancel.clone();
                    let pb = pb.clone();
                    let part = opts
                        .write_calls
                        .then(|| staging.path().join(format!("calls.{rep}.csv")));
                    tokio::task::spawn_blocking(move || {
                        replicate(&model, rep, part.as_deref(), &cancel, &pb)
                    })
                })
                .collect();
            let mut results = Vec::with_capacity(handles.len());
            for h in handles {
                results.push(h.await.unwrap_or_else(|e| {
                    Err(RunError::Internal(format!("replication panicked: {e}")))
                }));
            }
            reveal.abort();
            interrupt.abort();
            results
        });
    pb.finish_and_clear();
    drop(runtime);

    if opts.cancel.load(Ordering::Relaxed) {
        return Err(RunError::Interrupted);
    }
    let results: Vec<ReplicationResult> = results.into_iter().collect::<Result<_, _>>()?;

    let mut scope_names = vec!["platform".to_string()];
    scope_names.extend(model.portals.iter().map(|p| p.name.clone()));
    let per_rep: Vec<_> = results.iter().map(|r| r.metrics.clone()).collect();
    let summary = summarize(&scope_names, &per_rep);
    let checks = evaluate_checks(&model.checks, &summary);

    // Stage every file completely, then rename them into place together.
    let mut staged = Vec::new();
    if opts.write_calls {
        // Replication 0's part starts with the header and becomes the file
        // itself (a rename, no copy); the other parts are appended.
        let path = opts.out_dir.join("calls.csv");
        let first = staging.path().join("calls.0.csv");
        let mut f = AtomicFile::adopt(&first, &path).map_err(io_err(&path))?;
        for rep in 1..model.replications {
            let part = staging.path().join(format!("calls.{rep}.csv"));
            let mut r = BufReader::new(fs::File::open(&part).map_err(io_err(&part))?);
            io::copy(&mut r, f.writer()).map_err(io_err(&path))?;
        }
        f.finish().map_err(io_err(&path))?;
        staged.push(f);
    }
    let path = opts.out_dir.join("intervals.csv");
    let mut f = AtomicFile::create(&path).map_err(io_err(&path))?;
    write_intervals(f.writer(), &model, &results).map_err(io_err(&path))?;
    f.finish().map_err(io_err(&path))?;
    staged.push(f);

    if model.network.is_some() {
        let path = opts.out_dir.join("links.csv");
        let mut f = AtomicFile::create(&path).map_err(io_err(&path))?;
        write_links(f.writer(), &model, &results).map_err(io_err(&path))?;
        f.finish().map_err(io_err(&path))?;
        staged.push(f);
    }

    let path = opts.out_dir.join("summary.csv");
    let mut f = AtomicFile::create(&path).map_err(io_err(&path))?;
    write_summary(f.writer(), &summary).map_err(io_err(&path))?;
    f.finish().map_err(io_err(&path))?;
    staged.push(f);

    let mut files = Vec::new();
    for f in staged {
        let target = f.target().to_path_buf();
        files.push(f.commit().map_err(io_err(&target))?);
    }
    // Files an earlier run left that this one does not write would not
    // match these results.
    let not_written = [
        (!opts.write_calls).then_some("calls.csv"),
        model.network.is_none().then_some("links.csv"),
    ];
    for name in not_written.into_iter().flatten() {
        let stale = opts.out_dir.join(name);
        if stale.exists() {
            fs::remove_file(&stale).map_err(io_err(&stale))?;
        }
    }

    Ok(RunReport {
        events: results.iter().map(|r| r.events).sum(),
        calls: results.iter().map(|r| r.calls).sum(),
        unfinished: results.iter().map(|r| r.unfinished).sum(),
        peak_calls: results.iter().map(|r| r.peak_calls).max().unwrap_or(0),
        summary,
        checks,
        wall: started.elapsed(),
        files,
    })
}
