//! CLI edge: parse arguments, call the library, report errors with context
//! and choose the exit code. Only this file knows exit codes.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use clap::Parser;

use telsim::cli::{
    Cli, Command, DiffArgs, Format, ManArgs, MergeArgs, ReportArgs, RoutesArgs, RunArgs, SizeArgs,
    SweepArgs,
};
use telsim::model::TraceFilter;
use telsim::network::{self, Failures, Routes, TopologyError};
use telsim::orchestrate::{self, RunError, RunOptions};
use telsim::output::{describe_model, render_checks};
use telsim::robustness::budget::{routing_table_bytes, Bytes};
use telsim::robustness::Limits;
use telsim::scenario::{Override, ScenarioError};
use telsim::stats::{Metric, Verdict};
use telsim::workflow::{self, WorkflowError};

/// Terminal output that never panics (`print!` panics when stdout is a
/// full disk or a closed pipe). A closed pipe (`telsim diff … | head -1`) is
/// a normal end: nothing more is printed there and the exit code stays the
/// one the command would give anyway, so a CI gate under `pipefail` still
/// sees a regression. Any other write failure (`> /dev/full`, an I/O error)
/// makes the exit code 3, with one line on stderr when stderr can take it:
/// a run whose files were written but whose report was lost did not succeed.
mod term {
    use std::io::{self, Write};
    use std::sync::atomic::{AtomicBool, Ordering};

    static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);
    static STDERR_CLOSED: AtomicBool = AtomicBool::new(false);
    static FAILED: AtomicBool = AtomicBool::new(false);

    fn note(e: &io::Error, what: &str, closed: &AtomicBool) {
        closed.store(true, Ordering::Relaxed);
        if e.kind() == io::ErrorKind::BrokenPipe {
            return;
        }
        FAILED.store(true, Ordering::Relaxed);
        if !STDERR_CLOSED.load(Ordering::Relaxed) {
            let mut err = io::stderr().lock();
            if writeln!(err, "error: writing to {what}: {e}").is_err() {
                STDERR_CLOSED.store(true, Ordering::Relaxed);
            }
        }
    }

    /// Writes (and flushes) text on stdout.
    pub fn out(args: std::fmt::Arguments) {
        if STDOUT_CLOSED.load(Ordering::Relaxed) {
            return;
        }
        let mut o = io::stdout().lock();
        if let Err(e) = o.write_fmt(args).and_then(|()| o.flush()) {
            drop(o);
            note(&e, "stdout", &STDOUT_CLOSED);
        }
    }

    /// Writes a line on stderr.
    pub fn err(args: std::fmt::Arguments) {
        if STDERR_CLOSED.load(Ordering::Relaxed) {
            return;
        }
        let mut o = io::stderr().lock();
        if let Err(e) = o.write_fmt(args).and_then(|()| o.write_all(b"\n")) {
            drop(o);
            note(&e, "stderr", &STDERR_CLOSED);
        }
    }

    /// Reports a write error met by a caller that wrote stdout itself.
    pub fn stdout_failed(e: &io::Error) {
        note(e, "stdout", &STDOUT_CLOSED);
    }

    /// Whether output other than to a closed pipe was lost (stdout is
    /// flushed first, so a last buffered write is judged too).
    pub fn failed() -> bool {
        if !STDOUT_CLOSED.load(Ordering::Relaxed) {
            let flushed = io::stdout().lock().flush();
            if let Err(e) = flushed {
                note(&e, "stdout", &STDOUT_CLOSED);
            }
        }
        FAILED.load(Ordering::Relaxed)
    }
}

/// `print!` through [`term`].
macro_rules! out {
    ($($t:tt)*) => { term::out(format_args!($($t)*)) };
}
/// `println!` through [`term`].
macro_rules! outln {
    ($($t:tt)*) => { term::out(format_args!("{}\n", format_args!($($t)*))) };
}
/// `eprintln!` through [`term`].
macro_rules! errln {
    ($($t:tt)*) => { term::err(format_args!($($t)*)) };
}

const EXIT_CHECK_FAILED: u8 = 1;
const EXIT_BAD_INPUT: u8 = 2;
const EXIT_IO: u8 = 3;
/// Stopped by SIGINT or SIGTERM (128 + SIGINT, as shells report Ctrl-C).
const EXIT_INTERRUPTED: u8 = 130;
/// Most replication threads a run may ask for.
const MAX_JOBS: usize = 1024;

/// Catches SIGINT and SIGTERM from the start of a run (so a signal during
/// loading is caught too): the first sets `cancel`, which stops the
/// replications gracefully (the run loop says so on stderr); a second one
/// exits at once with 130. The handlers are installed here, synchronously:
/// the listener thread with its own runtime that did this before cost
/// 0.4–1.5 ms of every run's start.
fn listen_for_interrupts(cancel: &Arc<AtomicBool>) {
    use signal_hook::consts::{SIGINT, SIGTERM};
    use signal_hook::flag;
    for signal in [SIGINT, SIGTERM] {
        // The exit check is registered first, so it sees the flag as it was
        // before this signal set it: only a second signal exits.
        let _ = flag::register_conditional_shutdown(
            signal,
            EXIT_INTERRUPTED.into(),
            Arc::clone(cancel),
        );
        let _ = flag::register(signal, Arc::clone(cancel));
    }
}

/// Runs within the limits but long enough to surprise get a warning with
/// the estimate (1e9 events: minutes of one core).
fn warn_if_long(est: &telsim::robustness::Estimate) {
    if est.events > 1e9 {
        errln!(
            "warning: this run is estimated at {:.2e} events ({:.2e} calls) and about {} of memory; \
             it may take a while",
            est.events,
            est.calls,
            Bytes(est.memory_bytes)
        );
    }
}

/// A cancel flag set by SIGINT/SIGTERM (a second signal exits at once).
fn interruptible() -> Arc<AtomicBool> {
    let cancel = Arc::new(AtomicBool::new(false));
    listen_for_interrupts(&cancel);
    cancel
}

/// The resource limits from the command line, defaults for the rest.
fn limits(args: &telsim::cli::ScenarioArgs, jobs: usize) -> Limits {
    // Not `Limits::default()`: its job count asks the OS (cgroup files) for
    // the cores, which `jobs` already says.
    Limits {
        max_events: args
            .max_events
            .unwrap_or(telsim::robustness::budget::DEFAULT_MAX_EVENTS),
        max_memory: args
            .max_memory
            .unwrap_or(telsim::robustness::budget::DEFAULT_MAX_MEMORY),
        jobs,
    }
}

/// An input file that cannot be read because it is missing, not text, too
/// large, a folder, or a path through a file or a link loop is bad input;
/// other read failures (permissions, disk) are I/O.
fn read_exit(source: &std::io::Error) -> u8 {
    use std::io::ErrorKind;
    match source.kind() {
        ErrorKind::NotFound
        | ErrorKind::InvalidData
        | ErrorKind::InvalidInput
        | ErrorKind::IsADirectory
        | ErrorKind::NotADirectory
        | ErrorKind::InvalidFilename => EXIT_BAD_INPUT,
        // A symbolic link loop (ELOOP) is a path that leads nowhere.
        _ if source.raw_os_error() == Some(40) => EXIT_BAD_INPUT,
        _ => EXIT_IO,
    }
}

fn scenario_exit(e: &ScenarioError) -> u8 {
    match e {
        ScenarioError::Read { source, .. } => read_exit(source),
        _ => EXIT_BAD_INPUT,
    }
}

fn main() -> ExitCode {
    let code = dispatch();
    if term::failed() {
        ExitCode::from(EXIT_IO)
    } else {
        code
    }
}

fn dispatch() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_BAD_INPUT } else { 0 };
            // `--help > /dev/full` lost the help: an I/O error, not success.
            return match e.print() {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => ExitCode::from(EXIT_IO),
                _ => ExitCode::from(code),
            };
        }
    };
    match cli.command {
        Command::Check(args) => {
            let limits = limits(&args.scenario, Limits::default().jobs);
            match telsim::load_model_within(
                &args.scenario.scenario,
                &args.scenario.overrides,
                &limits,
            ) {
                Ok((model, est)) => {
                    warn_if_long(&est);
                    out!("{}", describe_model(&model));
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    errln!("error: {e}");
                    ExitCode::from(scenario_exit(&e))
                }
            }
        }
        Command::Run(args) => run(args),
        Command::Routes(args) => routes(args),
        Command::Diff(args) => diff(args),
        Command::Sweep(args) => sweep(args),
        Command::Merge(args) => merge(args),
        Command::Size(args) => size(args),
        Command::Report(args) => report(args),
        Command::Fit(args) => fit(args),
        Command::Backtest(args) => backtest(args),
        Command::Completions(args) => completions(args.shell),
        Command::Man(args) => man_page(args),
    }
}

fn log_exit(e: &telsim::logs::LogError) -> u8 {
    match e {
        telsim::logs::LogError::Io { source, .. } => read_exit(source),
        telsim::logs::LogError::Bad { .. } => EXIT_BAD_INPUT,
    }
}

/// `--interval 30m` → seconds.
fn interval_seconds(v: &str) -> Option<f64> {
    let (n, unit) = match v.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => (&v[..i], &v[i..]),
        None => (v, "s"),
    };
    let f = match unit {
        "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        _ => return None,
    };
    let x: f64 = n.trim().parse().ok()?;
    (x.is_finite() && x * f >= 1.0).then_some(x * f)
}

/// `telsim backtest`: a log's KPIs beside the scenario's replications.
fn backtest(args: telsim::cli::BacktestArgs) -> ExitCode {
    use telsim::cli::{LogFormatArg, TableFormat};
    use telsim::logs::{LogFormat, ReadOptions};
    use telsim::workflow::backtest as bt;
    let bad = |msg: String| {
        errln!("error: {msg}");
        ExitCode::from(EXIT_BAD_INPUT)
    };
    let Some(interval_s) = interval_seconds(&args.interval) else {
        return bad(format!(
            "--interval {}: expected seconds or a width with a unit (900s, 30m, 1h), at least 1 s",
            args.interval
        ));
    };
    let format = match args.format {
        LogFormatArg::QueueLog => LogFormat::QueueLog,
        LogFormatArg::Cdr => LogFormat::Cdr,
        LogFormatArg::Calls => LogFormat::Calls,
        LogFormatArg::Generic => {
            return bad("backtest reads --format queue-log, cdr or calls".into());
        }
    };
    let model = match telsim::load_model(&args.scenario, &args.overrides) {
        Ok(m) => m,
        Err(e) => {
            errln!("error: {e}");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    if model.replications < 2 {
        return bad(format!(
            "{}: backtest needs at least 2 replications to know the scenario's spread (replications: {})",
            args.scenario.display(),
            model.replications
        ));
    }
    let opts = bt::BacktestOptions {
        interval_s,
        read: ReadOptions::default(),
    };
    let log = match bt::log_day(&args.log, &format, &model, &opts) {
        Ok(d) => d,
        Err(e) => {
            errln!("error: {e}");
            return ExitCode::from(log_exit(&e));
        }
    };
    if log.overall.offered == 0 {
        return bad(format!(
            "{}: no queued calls inside the scenario's day (0 to {} s)",
            args.log.display(),
            model.duration.as_secs_f64()
        ));
    }
    let sims = bt::simulated_days(&model, &opts);
    let rows = bt::compare(&log, &sims, interval_s);
    if let Some(dir) = &args.out {
        let path = dir.join("backtest.csv");
        let written = std::fs::create_dir_all(dir).and_then(|()| {
            let mut f = telsim::output::AtomicFile::create(&path)?;
            std::io::Write::write_all(f.writer(), bt::render_csv(&rows).as_bytes())?;
            f.finish()?;
            f.commit().map(|_| ())
        });
        if let Err(e) = written {
            errln!("error: {}: {e}", path.display());
            return ExitCode::from(EXIT_IO);
        }
    }
    match args.format_out {
        TableFormat::Text => out!("{}", bt::render_table(&rows, false)),
        TableFormat::Markdown => out!("{}", bt::render_table(&rows, true)),
        TableFormat::Json => out!("{}", bt::render_json(&rows)),
    }
    if log.outside > 0 {
        errln!(
            "note: {} logged call(s) outside the scenario's day were left out",
            log.outside
        );
    }
    if bt::all_pass(&rows) {
        ExitCode::SUCCESS
    } else {
        let failed = rows.iter().filter(|r| r.pass == Some(false)).count();
        errln!("backtest: {failed} verdict(s) fail");
        ExitCode::from(1)
    }
}

/// `telsim fit`: logs → a commented scenario, checked before it is written.
fn fit(args: telsim::cli::FitArgs) -> ExitCode {
    use std::io::Write;
    use telsim::cli::LogFormatArg;
    use telsim::logs::{LogFormat, ReadOptions};
    let bad = |msg: String| {
        errln!("error: {msg}");
        ExitCode::from(EXIT_BAD_INPUT)
    };
    if !(args.interval_s >= 60.0 && args.interval_s <= 86400.0)
        || (86400.0 / args.interval_s).fract() != 0.0
    {
        return bad(format!(
            "--interval-s {}: must divide a day (86400 s) and be at least 60",
            args.interval_s
        ));
    }
    if args.utc_offset_h.is_nan() || args.utc_offset_h.abs() > 14.0 {
        return bad(format!(
            "--utc-offset-h {}: must be within ±14",
            args.utc_offset_h
        ));
    }
    let window_ok = args.window_s.is_finite() && args.window_s >= 0.0;
    let open_ok = args.max_open_s.is_finite() && args.max_open_s > 0.0;
    if !window_ok || !open_ok {
        return bad("--window-s must be ≥ 0 and --max-open-s > 0 (finite)".into());
    }
    let format = match args.format {
        LogFormatArg::QueueLog => LogFormat::QueueLog,
        LogFormatArg::Cdr => LogFormat::Cdr,
        LogFormatArg::Calls => LogFormat::Calls,
        LogFormatArg::Generic => {
            let mapping = match (&args.map, &args.map_file) {
                (Some(m), _) => telsim::logs::parse_mapping(m).map_err(|e| format!("--map: {e}")),
                (None, Some(f)) => telsim::robustness::input::read_text(f)
                    .map_err(|e| format!("{}: {e}", f.display()))
                    .and_then(|t| {
                        ron::from_str::<telsim::logs::Mapping>(&t)
                            .map_err(|e| format!("{}: {e}", f.display()))
                    }),
                (None, None) => Err("--format generic needs --map or --map-file".into()),
            };
            match mapping {
                Ok(m) => LogFormat::Generic(m),
                Err(e) => return bad(e),
            }
        }
    };
    if (args.map.is_some() || args.map_file.is_some()) && args.format != LogFormatArg::Generic {
        return bad("--map and --map-file apply to --format generic only".into());
    }
    if args.replication.is_some() && args.format != LogFormatArg::Calls {
        return bad("--replication applies to --format calls only".into());
    }
    let read = ReadOptions {
        window_s: args.window_s,
        max_open_s: args.max_open_s,
        max_malformed: args.skip_malformed,
        utc_offset_s: args.utc_offset_h * 3600.0,
        replication: Some(args.replication.unwrap_or(0)),
    };
    let options = telsim::fit::FitOptions {
        interval_s: args.interval_s,
        utc_offset_s: args.utc_offset_h * 3600.0,
    };
    let report = match telsim::fit::fit_logs(&args.logs, &format, &read, &options) {
        Ok(r) => r,
        Err(e) => {
            errln!("error: {e}");
            return ExitCode::from(log_exit(&e));
        }
    };
    if report.queues.is_empty() {
        return bad("no calls in the log(s): nothing to fit".into());
    }
    let sources: Vec<String> = args.logs.iter().map(|p| p.display().to_string()).collect();
    let text = telsim::fit::scenario_writer::write_scenario(&report, &sources, &args.name);
    if let Err(e) = telsim::model_from_str(&text, &args.out.display().to_string()) {
        errln!("error: the fitted scenario does not validate (a telsim bug): {e}");
        return ExitCode::from(EXIT_IO);
    }
    let written = telsim::output::AtomicFile::create(&args.out).and_then(|mut f| {
        f.writer().write_all(text.as_bytes())?;
        f.commit()
    });
    match written {
        Ok(p) => {
            for q in &report.queues {
                let talk = q
                    .talk
                    .as_ref()
                    .map_or("-".to_string(), |t| t.best().family.ron());
                errln!(
                    "queue {}: {} call(s), talk {}, patience {}",
                    q.name,
                    q.calls,
                    talk,
                    q.patience
                        .as_ref()
                        .map_or("-".to_string(), |p| p.fits[0].0.ron())
                );
            }
            outln!("{}", p.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            errln!("error: cannot write {}: {e}", args.out.display());
            ExitCode::from(EXIT_IO)
        }
    }
}

/// Completions generated from the clap definitions, so they follow every
/// new verb and option.
fn completions(shell: clap_complete::Shell) -> ExitCode {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "telsim", &mut out);
    write_stdout(&out)
}

/// The manual pages, from the same definitions as `--help`.
fn man_page(args: ManArgs) -> ExitCode {
    use clap::CommandFactory;
    let cmd = Cli::command();
    if let Some(dir) = args.out_dir {
        return match clap_mangen::generate_to(cmd, &dir) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                errln!("error: cannot write manual pages to {}: {e}", dir.display());
                ExitCode::from(EXIT_IO)
            }
        };
    }
    let mut out = Vec::new();
    if let Err(e) = clap_mangen::Man::new(cmd).render(&mut out) {
        errln!("error: cannot render the manual page: {e}");
        return ExitCode::from(EXIT_IO);
    }
    write_stdout(&out)
}

fn write_stdout(bytes: &[u8]) -> ExitCode {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`| head`) is the reader's choice, not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            errln!("error: cannot write to stdout: {e}");
            ExitCode::from(EXIT_IO)
        }
    }
}

fn workflow_exit(e: &WorkflowError) -> u8 {
    match e {
        WorkflowError::Read { source, .. } => read_exit(source),
        WorkflowError::BadFile { .. } | WorkflowError::BadInput(_) => EXIT_BAD_INPUT,
        WorkflowError::Scenario(e) => scenario_exit(e),
        WorkflowError::Interrupted(_) | WorkflowError::Run(RunError::Interrupted(_)) => {
            EXIT_INTERRUPTED
        }
        WorkflowError::Run(_) | WorkflowError::Write { .. } => EXIT_IO,
    }
}

fn fail(e: WorkflowError) -> ExitCode {
    errln!("error: {e}");
    ExitCode::from(workflow_exit(&e))
}

fn jobs_or_default(jobs: Option<usize>) -> Result<usize, ExitCode> {
    if jobs == Some(0) {
        errln!("error: --jobs must be at least 1");
        return Err(ExitCode::from(EXIT_BAD_INPUT));
    }
    Ok(jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())))
}

fn diff(args: DiffArgs) -> ExitCode {
    use workflow::diff::{diff, render_diff, render_diff_json, DiffOptions, DiffVerdict};
    use workflow::summary_file::read_summary;
    let old = match read_summary(&args.baseline) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let new = match read_summary(&args.candidate) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    use workflow::paired::{pairable, read_replications, retest_paired, retest_welch, run_seed};
    let mut opts = DiffOptions {
        metrics: args.metrics,
        all_metrics: args.all_metrics,
        scopes: args.scopes,
        tolerance: args.tolerance,
        alpha: args.alpha,
        test: workflow::diff::DiffTest::Welch,
    };
    let mut rows = match diff(&old, &new, &opts) {
        Ok(r) => r,
        Err(m) => return fail(WorkflowError::BadInput(m)),
    };
    let reps = (
        read_replications(&args.baseline),
        read_replications(&args.candidate),
    );
    let rank = args.test == telsim::cli::TestKind::Rank;
    if args.paired || rank {
        // Both need the per-replication values.
        let (a, b) = match reps {
            (Ok(a), Ok(b)) => (a, b),
            (Err(e), _) | (_, Err(e)) => return fail(e),
        };
        let seeds = (run_seed(&args.baseline), run_seed(&args.candidate));
        let auto = !args.paired && !args.unpaired && pairable(seeds, &a, &b);
        let paired = args.paired || auto;
        let done = if rank {
            opts.test = if paired {
                workflow::diff::DiffTest::SignedRank { auto }
            } else {
                workflow::diff::DiffTest::MannWhitney
            };
            workflow::paired::retest_rank(&mut rows, &a, &b, paired)
        } else {
            opts.test = workflow::diff::DiffTest::Paired { auto: false };
            retest_paired(&mut rows, &a, &b)
        };
        if let Err(m) = done {
            return fail(WorkflowError::BadInput(m));
        }
        workflow::diff::judge(&mut rows, &opts);
    } else if let (Ok(a), Ok(b)) = reps {
        let seeds = (run_seed(&args.baseline), run_seed(&args.candidate));
        if !args.unpaired && pairable(seeds, &a, &b) {
            // Same seed, same replications: common random numbers.
            if let Err(m) = retest_paired(&mut rows, &a, &b) {
                return fail(WorkflowError::BadInput(m));
            }
            opts.test = workflow::diff::DiffTest::Paired { auto: true };
        } else {
            // The raw values, when both runs kept them: exact Welch.
            retest_welch(&mut rows, &a, &b);
        }
        workflow::diff::judge(&mut rows, &opts);
    }
    let text = match args.format {
        Format::Json => render_diff_json(&rows, &opts),
        f => render_diff(&rows, &opts, f == Format::Md),
    };
    out!("{text}");
    if rows.iter().any(|r| r.verdict == DiffVerdict::Worse) {
        ExitCode::from(EXIT_CHECK_FAILED)
    } else {
        ExitCode::SUCCESS
    }
}

fn sweep(args: SweepArgs) -> ExitCode {
    use workflow::sweep::{run_sweep, SweepOptions};
    let jobs = match jobs_or_default(args.jobs) {
        Ok(j) => j,
        Err(code) => return code,
    };
    let out_dir = match args.out {
        Some(o) => o,
        None => match telsim::load_model(&args.scenario.scenario, &args.scenario.overrides) {
            Ok(m) => PathBuf::from("output").join(format!("{}-sweep", m.name)),
            Err(e) => {
                errln!("error: {e}");
                return ExitCode::from(scenario_exit(&e));
            }
        },
    };
    let opts = SweepOptions {
        scenario: args.scenario.scenario,
        base: args.scenario.overrides,
        varies: args.varies,
        shard: args.shard,
        jobs,
        out_dir,
        progress: !args.quiet && std::io::stderr().is_terminal(),
        cancel: interruptible(),
    };
    match run_sweep(&opts) {
        Ok(r) => {
            if !args.quiet {
                let shard = opts.shard.map_or(String::new(), |s| {
                    format!(" (shard {}/{})", s.index, s.count)
                });
                errln!(
                    "sweep: ran {} of {} point(s){shard}",
                    r.points_run,
                    r.points_total
                );
                for f in &r.files {
                    errln!("wrote {}", f.display());
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

fn merge(args: MergeArgs) -> ExitCode {
    if args
        .dirs
        .first()
        .is_some_and(|d| workflow::merge_runs::is_run_shard(d))
    {
        return match workflow::merge_runs::merge_runs(&args.dirs, &args.out) {
            Ok(r) => {
                errln!(
                    "merged {} run shard(s), {} replication(s)",
                    r.shards,
                    r.replications
                );
                for f in &r.files {
                    errln!("wrote {}", f.display());
                }
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        };
    }
    match workflow::sweep::merge(&args.dirs, &args.out) {
        Ok(r) => {
            errln!("merged {} shard(s), {} point(s)", r.shards, r.points);
            for f in &r.files {
                errln!("wrote {}", f.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

fn size(args: SizeArgs) -> ExitCode {
    use workflow::size::{render_size, render_size_json, size, Knob, SizeOptions};
    let jobs = match jobs_or_default(args.jobs) {
        Ok(j) => j,
        Err(code) => return code,
    };
    let opts = SizeOptions {
        scenario: args.scenario.scenario,
        base: args.scenario.overrides,
        portal: args.portal,
        target: args.target,
        knob: Knob::parse(&args.vary),
        jobs,
        out_dir: args.out,
        max: args.max.max(1),
        progress: !args.quiet && std::io::stderr().is_terminal(),
        cancel: interruptible(),
    };
    match size(&opts) {
        Ok(r) => {
            match args.format {
                Format::Json => out!("{}", render_size_json(&r)),
                _ => out!("{}", render_size(&r)),
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

fn report(args: ReportArgs) -> ExitCode {
    match workflow::report::report(&args.run, args.out.as_deref()) {
        Ok(r) => {
            for c in &r.charts {
                errln!("drew {}", c.file);
            }
            for s in &r.skipped {
                errln!("skipped {s}");
            }
            outln!("{}", r.index.display());
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

fn topology_exit(e: &TopologyError) -> u8 {
    match e {
        TopologyError::Read { source, .. } => read_exit(source),
        _ => EXIT_BAD_INPUT,
    }
}

fn routes(args: RoutesArgs) -> ExitCode {
    use std::io::Write;
    let topo = match network::load_topology(&args.topology) {
        Ok(t) => t,
        Err(e) => {
            errln!("error: {e}");
            return ExitCode::from(topology_exit(&e));
        }
    };
    let mut failures = Failures::none(&topo);
    for spec in &args.fail_links {
        if let Err(e) = failures.fail_link_named(&topo, spec) {
            errln!("error: --fail-link {spec}: {e}");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    }
    for name in &args.fail_nodes {
        if let Err(e) = failures.fail_node_named(&topo, name) {
            errln!("error: --fail-node {name}: {e}");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    }
    // All pairs are routed: refuse what would not fit rather than thrash.
    let need = routing_table_bytes(&topo);
    let max_memory = args.max_memory.unwrap_or(Limits::default().max_memory);
    if need > max_memory as f64 {
        errln!(
            "error: {}: {} nodes: the all-pairs routing table would need about {}, above the limit of {}; \
             raise it with --max-memory if you mean it",
            args.topology.display(),
            topo.node_count(),
            Bytes(need),
            Bytes(max_memory as f64)
        );
        return ExitCode::from(EXIT_BAD_INPUT);
    }
    let routes = Routes::compute(&topo, &failures);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match network::write_routes_csv(&mut out, &topo, &routes).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        // `telsim routes t.ron | head` closing the pipe early is not an error;
        // `term` decides.
        Err(e) => {
            term::stdout_failed(&e);
            ExitCode::SUCCESS
        }
    }
}

fn run(args: RunArgs) -> ExitCode {
    let mut overrides: Vec<Override> = args.scenario.overrides.clone();
    if let Some(seed) = args.seed {
        overrides.push(Override {
            path: "seed".into(),
            value: seed.to_string(),
        });
    }
    if let Some(r) = args.replications {
        overrides.push(Override {
            path: "replications".into(),
            value: r.to_string(),
        });
    }
    if args.jobs == Some(0) {
        errln!("error: --jobs must be at least 1");
        return ExitCode::from(EXIT_BAD_INPUT);
    }
    // One thread per job: thousands would exhaust the process, not help.
    if args.jobs.is_some_and(|j| j > MAX_JOBS) {
        errln!("error: --jobs must be at most {MAX_JOBS}");
        return ExitCode::from(EXIT_BAD_INPUT);
    }
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let cancel = Arc::new(AtomicBool::new(false));
    listen_for_interrupts(&cancel);
    let limits = limits(&args.scenario, jobs);
    let model = match telsim::load_model_within(&args.scenario.scenario, &overrides, &limits) {
        Ok((m, est)) => {
            if !args.quiet {
                warn_if_long(&est);
            }
            m
        }
        Err(e) => {
            errln!("error: {e}");
            return ExitCode::from(scenario_exit(&e));
        }
    };
    if cancel.load(Ordering::SeqCst) {
        errln!("error: interrupted before the run started: nothing was written");
        return ExitCode::from(EXIT_INTERRUPTED);
    }
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("output").join(&model.name));
    let trace = match (&args.trace, &args.trace_portal) {
        (None, None) => None,
        (call, portal) => {
            let portal = match portal {
                None => None,
                Some(name) => match model.portals.iter().position(|p| &p.name == name) {
                    Some(i) => Some(i as u16),
                    None => {
                        let known: Vec<&str> =
                            model.portals.iter().map(|p| p.name.as_str()).collect();
                        errln!(
                            "error: --trace-portal: unknown portal '{name}' (portals: {})",
                            known.join(", ")
                        );
                        return ExitCode::from(EXIT_BAD_INPUT);
                    }
                },
            };
            Some(TraceFilter {
                call: *call,
                portal,
            })
        }
    };
    let opts = RunOptions {
        jobs,
        out_dir,
        write_calls: !args.no_calls,
        progress: !args.quiet && std::io::stderr().is_terminal(),
        verbose: args.verbose,
        parquet: args.parquet,
        cancel,
        trace,
        queue_log: args.queue_log,
    };
    let fingerprint =
        workflow::merge_runs::run_fingerprint(&model, opts.write_calls, opts.trace.is_some());
    if let Err(e) = workflow::merge_runs::remove_run_manifest(&opts.out_dir) {
        return fail(e);
    }
    let model = Arc::new(model);
    let result = match args.shard {
        Some(s) => orchestrate::run_shard(model.clone(), &opts, (s.index as u32, s.count as u32)),
        None => orchestrate::run(model.clone(), &opts),
    };
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            errln!("error: {e}");
            return ExitCode::from(match e {
                RunError::Interrupted(stopped) => {
                    if !args.quiet {
                        for f in &stopped.files {
                            errln!("wrote {}", f.display());
                        }
                    }
                    EXIT_INTERRUPTED
                }
                RunError::Io { .. } | RunError::Internal(_) | RunError::Invariant(_) => EXIT_IO,
                RunError::NotSimulated(_) => EXIT_BAD_INPUT,
            });
        }
    };
    if let Some(shard) = args.shard {
        // Last: its presence says the shard is complete. A shard's checks
        // would judge a fraction of the replications, so a shard does not
        // judge them (nor exit 1 for them).
        match workflow::merge_runs::write_run_manifest(
            &opts.out_dir,
            shard,
            model.replications,
            &fingerprint,
        ) {
            Ok(f) => {
                if !args.quiet {
                    errln!("wrote {}", f.display());
                }
            }
            Err(e) => return fail(e),
        }
    }

    let get = |metric: Metric| {
        report
            .summary
            .iter()
            .find(|r| r.scope == "platform" && r.metric == metric)
            .and_then(|r| r.mean)
    };
    if args.format == Format::Json {
        out!(
            "{}",
            workflow::run_json(&model.name, &report.summary, &report.checks)
        );
    }
    if !args.quiet {
        let secs = report.wall.as_secs_f64().max(1e-9);
        errln!(
            "{}: {} replication(s), {} calls, {} events in {:.2} s ({:.1} M events/s, {:.2} M calls/s on {} thread(s))",
            model.name,
            model.replications,
            report.calls,
            report.events,
            secs,
            report.events as f64 / secs / 1e6,
            report.calls as f64 / secs / 1e6,
            jobs
        );
        let fmt = |m: Metric| get(m).map_or("-".to_string(), |v| format!("{v:.4}"));
        errln!(
            "platform: offered {} answered {} abandoned {} blocked {} | p_wait {} asa_s {} p95_wait_s {} service_level {} occupancy {}",
            fmt(Metric::Offered),
            fmt(Metric::Answered),
            fmt(Metric::Abandoned),
            fmt(Metric::Blocked),
            fmt(Metric::PWait),
            fmt(Metric::AsaS),
            fmt(Metric::P95WaitS),
            fmt(Metric::ServiceLevel),
            fmt(Metric::AgentOccupancy),
        );
        for f in &report.files {
            match std::fs::metadata(f).ok().filter(|_| args.verbose) {
                Some(m) if m.len() >= 1_000_000 => {
                    errln!("wrote {} ({:.1} MB)", f.display(), m.len() as f64 / 1e6)
                }
                Some(m) => errln!("wrote {} ({:.1} kB)", f.display(), m.len() as f64 / 1e3),
                None => errln!("wrote {}", f.display()),
            }
        }
        if report.unfinished > 0 {
            errln!(
                "warning: {} call(s) were still in the system at the drain limit and were closed as 'unfinished'",
                report.unfinished
            );
        }
    }
    if report.checks.is_empty() || args.shard.is_some() {
        return ExitCode::SUCCESS;
    }
    if args.format != Format::Json {
        out!("{}", render_checks(&report.checks));
    }
    if report.checks.iter().all(|c| c.verdict == Verdict::Pass) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_CHECK_FAILED)
    }
}
