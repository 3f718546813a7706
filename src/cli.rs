//! Command-line definitions. Parsed into plain structs that `main` hands to
//! the library; nothing here runs a simulation.
// The doc comments below are clap's `--help` text, plain text rather than
// Markdown: `<scenario name>` and `[:STEP]` are meant literally.
#![allow(rustdoc::invalid_html_tags, rustdoc::broken_intra_doc_links)]

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::scenario::Override;
use crate::workflow::size::Target;
use crate::workflow::sweep::{Shard, Vary};

#[derive(Debug, Parser)]
#[command(
    name = "telsim",
    version,
    about = "Discrete-event simulator of a cloud telephony platform",
    long_about = "Discrete-event simulator of a cloud telephony platform.\n\n\
        Describe portals, queues, agents and servers in a RON scenario file; telsim replays \
        that world over independent replications and writes CSV results with 95% confidence \
        intervals. Checks declared in the scenario turn a run into a capacity regression test.",
    after_help = "Examples:\n  \
        telsim check scenarios/erlang_c.ron\n  \
        telsim run scenarios/erlang_c.ron --set portals.acme.agents=52 --out /tmp/52\n  \
        telsim run scenarios/call_centre.ron --trace 1000\n  \
        telsim diff output/base output/candidate --format md\n  \
        telsim sweep scenarios/erlang_c.ron --vary portals.acme.agents=48..56:2\n  \
        telsim size scenarios/erlang_c.ron --target 'service_level>=0.8'\n  \
        telsim report output/erlang_c\n\n\
        Exit codes: 0 ran and every check held; 1 ran and a check failed (or diff found a \
        regression); 2 bad input (usage, syntax, validation, over the resource limits); 3 I/O \
        or internal error (including a broken invariant); 130 interrupted (SIGINT or SIGTERM: \
        finished replications are written as *.partial.csv)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario and write calls.csv, intervals.csv and summary.csv.
    #[command(after_help = "Examples:\n  \
        telsim run scenarios/erlang_c.ron\n  \
        telsim run scenarios/erlang_c.ron --seed 9 --replications 20 --jobs 2 --out /tmp/run\n  \
        telsim run scenarios/call_centre.ron --set portals.pizza.agents=14 --no-calls\n  \
        telsim run scenarios/erlang_b.ron --quiet --format json > summary.json")]
    Run(RunArgs),
    /// Parse and validate a scenario; print what the model contains.
    #[command(after_help = "Examples:\n  \
        telsim check scenarios/erlang_c.ron\n  \
        telsim check scenarios/call_centre.ron --set portals.pizza.agents=14")]
    Check(CheckArgs),
    /// Print least-cost routes and RFC 5286 loop-free alternates of a
    /// topology as CSV: one row per ordered pair of nodes.
    #[command(
        long_about = "Print least-cost routes and RFC 5286 loop-free alternates of a topology \
            as CSV on stdout: src,dst,cost,next_hop,path,lfa,lfa_node_protecting, one row per \
            ordered pair of distinct nodes in file order. path and lfa are |-separated node \
            names; lfa_node_protecting lists the alternates that also avoid the primary next \
            hop node. Unreachable pairs leave every column after dst empty. Among equal-cost \
            paths the one with the lexicographically smallest node sequence (file order) wins.",
        after_help = "Examples:\n  \
            telsim routes topologies/two_dc.ron\n  \
            telsim routes topologies/two_dc.ron --fail-link office-msk --fail-node fra"
    )]
    Routes(RoutesArgs),
    /// Compare two runs' summary.csv with Welch's t-test; exit 1 on a
    /// significant change for the worse beyond the tolerance.
    #[command(
        long_about = "Compare two runs' summary.csv metric by metric with Welch's two-sample \
            t-test on the replication means (the replications' standard deviation is recovered \
            from each row's 95% interval and n). Verdicts use Holm's correction over all the \
            metrics compared, so two runs of the same system fail the gate at most 5% of the \
            time. Each metric knows its good direction (waits, abandonment, blocking down; \
            answers, service level, MOS up); by default every metric with a direction is \
            compared, in every scope. Exit 1 only when some metric is significantly worse by \
            more than --tolerance (relative to the baseline mean).",
        after_help = "Examples:\n  \
            telsim diff output/base output/candidate\n  \
            telsim diff base/ cand/ --metric p95_wait_s --metric service_level --tolerance 5%\n  \
            telsim diff base/ cand/ --scope platform --format md >> $GITHUB_STEP_SUMMARY\n\n\
            Exit codes: 0 no regression; 1 regression; 2 bad input; 3 I/O error."
    )]
    Diff(DiffArgs),
    /// Run a scenario over a grid of values (cartesian product) and write
    /// sweep.csv: one row per point, scope and metric.
    #[command(
        long_about = "Run a scenario over a grid of values and write sweep.csv: one row per \
            point, scope and metric (point, each varied path, scope, metric, mean, ci95_low, \
            ci95_high, n), plus points/NNNN/ with each point's summary.csv and intervals.csv. \
            Each --vary is PATH=a,b,c (RON literals) or PATH=LO..HI[:STEP] (both ends \
            included); the first --vary varies slowest. Every point runs all replications with \
            the scenario's seed, so results do not depend on --jobs or --shard. --shard K/N \
            runs only points with point % N == K and records a manifest; `telsim merge` joins \
            the shard folders into exactly what the unsharded sweep writes.",
        after_help = "Examples:\n  \
            telsim sweep scenarios/erlang_c.ron --vary portals.acme.agents=48..56:2\n  \
            telsim sweep scenarios/erlang_c.ron --vary portals.acme.agents=48,50,52 \\\n      \
            --vary portals.acme.inbound.arrivals.per_hour=1500..1800:100 --out /tmp/grid\n  \
            telsim sweep scenarios/erlang_c.ron --vary portals.acme.agents=40..60 --shard 2/4 --out shard-2\n  \
            telsim merge shard-0 shard-1 shard-2 shard-3 --out grid"
    )]
    Sweep(SweepArgs),
    /// Join the folders of sweep shards 0..N into one sweep output, or of run
    /// shards (`telsim run --shard K/N`) into one run folder.
    #[command(after_help = "Examples:\n  \
        telsim merge shards/0 shards/1 shards/2 shards/3 --out output/grid\n  \
        telsim merge shards/* --out output/grid")]
    Merge(MergeArgs),
    /// Find the smallest number of agents (or channels) meeting a target,
    /// from the Erlang estimate and then by simulation.
    #[command(
        long_about = "Find the smallest number of agents (or a server's channels) meeting a \
            target with 95% confidence: the 95% interval of the portal's metric must lie on the \
            target's side. The search starts at the closed form (Erlang C for agents, Erlang A \
            for abandon_rate with exponential patience, Erlang B for a server's max_calls and \
            blocking_rate), gallops until the verdict flips and bisects. The formula's answer \
            is printed beside the simulated one, with what in the scenario the formula ignores.",
        after_help = "Examples:\n  \
            telsim size scenarios/erlang_c.ron --target 'service_level>=0.8'\n  \
            telsim size scenarios/call_centre.ron --portal pizza --target 'abandon_rate<=0.05'\n  \
            telsim size scenarios/erlang_b.ron --vary servers.sip-msk-1.max_calls --target 'blocking_rate<=0.01'\n  \
            telsim size scenarios/erlang_c.ron --target 'p95_wait_s<=60' --format json"
    )]
    Size(SizeArgs),
    /// Draw a run: SVG charts and an index.html with the summary table.
    #[command(
        long_about = "Draw a run folder: SVG charts of offered and carried load, concurrency, \
            queue length, service level and occupancy over time, the wait-time distribution \
            (needs calls.csv), the MOS distribution when calls carry media and the balance per \
            portal when money is on, and an index.html showing them with the summary table. \
            Open index.html in any browser.",
        after_help = "Examples:\n  \
            telsim run scenarios/call_centre.ron && telsim report output/call_centre\n  \
            telsim report output/erlang_c --out /tmp/erlang_c-report"
    )]
    Report(ReportArgs),
    /// Fit a scenario to call logs: arrival profile, talk time, patience,
    /// agents, ring-no-answer and transfer shares, with intervals.
    #[command(
        long_about = "Read call logs (Asterisk queue_log, Asterisk CDR CSV, a generic CSV of calls \
            with a column mapping, or telsim's own calls.csv) and write a commented scenario that \
            `telsim check` and `telsim run` accept: arrivals as a daily piecewise Poisson profile \
            with exact 95% intervals and a dispersion test, talk time by maximum likelihood \
            (Exp, LogNormal, Gamma, Weibull, chosen by AIC, with a Kolmogorov-Smirnov test), \
            patience from abandons with answered waits censored (Kaplan-Meier and censored \
            likelihood), agents per interval, ring-no-answer and transfer shares. What a log cannot \
            tell (queue policy, servers, money) is left at the defaults with a comment. See \
            docs/logs.md.",
        after_help = "Examples:\n  \
            telsim fit /var/log/asterisk/queue_log --format queue-log --out fitted.ron\n  \
            telsim fit Master.csv --format cdr --utc-offset-h 3 --out fitted.ron\n  \
            telsim fit calls.csv --format generic --map arrival=start,answer=answered,end=stop --out fitted.ron\n  \
            telsim fit output/demo/calls.csv --format calls --out refit.ron && telsim check refit.ron\n\n\
            Exit codes: 0 written; 2 bad input (located file:line: field: reason); 3 I/O error."
    )]
    Fit(FitArgs),
    /// Compare a call log's KPIs (offered, answered, abandon rate, ASA,
    /// service level; per interval and overall) with a scenario's
    /// replications: a verdict per KPI and interval (the log value inside the
    /// replications' prediction interval, Bonferroni over all cells).
    #[command(after_help = "Examples:\n  \
        telsim backtest /var/log/asterisk/queue_log fitted.ron --interval 30m\n  \
        telsim backtest day.queue_log scenarios/erlang_c.ron --format-out markdown --out bt/\n\n\
        Exit codes: 0 every verdict passes; 1 some fail; 2 bad input (located); 3 I/O error.")]
    Backtest(BacktestArgs),
    /// Print a shell completion script for bash, zsh, fish, elvish or
    /// PowerShell on stdout.
    #[command(after_help = "Examples:\n  \
        telsim completions bash > ~/.local/share/bash-completion/completions/telsim\n  \
        telsim completions zsh > ~/.zfunc/_telsim\n  \
        telsim completions fish > ~/.config/fish/completions/telsim.fish")]
    Completions(CompletionsArgs),
    /// Print the manual page telsim(1) (roff) on stdout, or write it and a
    /// page per verb (telsim-run(1), …) into a folder.
    #[command(after_help = "Examples:\n  \
        telsim man > telsim.1 && man ./telsim.1\n  \
        telsim man --out-dir /usr/local/share/man/man1")]
    Man(ManArgs),
}

/// `telsim backtest LOG SCENARIO`.
#[derive(Debug, Args)]
pub struct BacktestArgs {
    /// The call log.
    #[arg(value_name = "LOG")]
    pub log: PathBuf,
    /// The scenario to test against the log (RON).
    #[arg(value_name = "SCENARIO")]
    pub scenario: PathBuf,
    /// Override one scenario field before validation (as `run --set`).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub overrides: Vec<Override>,
    /// The log's format.
    #[arg(long, value_enum, default_value = "queue-log")]
    pub format: LogFormatArg,
    /// Interval width: seconds, or with a unit: 900s, 30m, 1h.
    #[arg(long, default_value = "30m", value_name = "WIDTH")]
    pub interval: String,
    /// How the table is printed.
    #[arg(long, value_enum, default_value = "text")]
    pub format_out: TableFormat,
    /// Also write backtest.csv into this folder (`telsim report DIR`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// `backtest --format-out`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TableFormat {
    Text,
    Markdown,
    Json,
}

/// The formats `telsim fit` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormatArg {
    /// Asterisk queue_log (time|callid|queue|agent|event|data…).
    QueueLog,
    /// Asterisk cdr_csv Master.csv.
    Cdr,
    /// A CSV of calls with a header; columns named by --map or --map-file.
    Generic,
    /// telsim's own calls.csv.
    Calls,
}

#[derive(Debug, Args)]
pub struct FitArgs {
    /// Log files, read in order and pooled (e.g. one per month).
    #[arg(required = true, value_name = "LOG")]
    pub logs: Vec<PathBuf>,
    /// The logs' format.
    #[arg(long, value_enum)]
    pub format: LogFormatArg,
    /// Where to write the scenario (RON).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// generic: columns as arrival=COL,answer=COL,end=COL,outcome=COL,queue=COL,agent=COL,
    /// caller=COL,id=COL,time=epoch|iso8601|auto (COL a header name or a 1-based number).
    #[arg(long, value_name = "MAPPING", conflicts_with = "map_file")]
    pub map: Option<String>,
    /// generic: the mapping as a RON file, Mapping(arrival: "start", answer: Some("answered"), …).
    #[arg(long, value_name = "FILE")]
    pub map_file: Option<PathBuf>,
    /// Width of an interval of the day in the arrival profile, seconds (divides 86400).
    #[arg(long, default_value_t = 3600.0, value_name = "S")]
    pub interval_s: f64,
    /// The centre's clock, hours east of UTC: days and intervals are local, and zone-less
    /// times (CDR) are read in it.
    #[arg(
        long,
        default_value_t = 0.0,
        value_name = "H",
        allow_hyphen_values = true
    )]
    pub utc_offset_h: f64,
    /// calls: the replication to read [default: 0].
    #[arg(long, value_name = "N")]
    pub replication: Option<u32>,
    /// Tolerate this many malformed lines (skipped, counted in the scenario's header).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub skip_malformed: u64,
    /// How far back in time a record may come and still be put in order, seconds.
    #[arg(long, default_value_t = 3600.0, value_name = "S")]
    pub window_s: f64,
    /// queue_log: a call open this long is closed as unfinished, seconds.
    #[arg(long, default_value_t = 86400.0, value_name = "S")]
    pub max_open_s: f64,
    /// The scenario's name [default: fitted].
    #[arg(long, default_value = "fitted")]
    pub name: String,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write telsim.1 and telsim-VERB.1 for every verb into this folder.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to write completions for.
    pub shell: clap_complete::Shell,
}

/// How a verb prints its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned plain text.
    Text,
    /// GitHub Markdown (pull-request comments, job summaries).
    Md,
    /// One JSON document for machines.
    Json,
}

/// The family of tests `telsim diff` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TestKind {
    T,
    Rank,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The baseline run folder (or its summary.csv).
    pub baseline: PathBuf,
    /// The candidate run folder (or its summary.csv).
    pub candidate: PathBuf,
    /// Compare and gate on only this metric (repeatable) [default: show
    /// every metric with a good direction, gate on the primary set:
    /// service_level, p_wait, mean_wait_s, p95_wait_s, abandon_rate,
    /// blocking_rate, mean_mos, p5_mos].
    #[arg(long = "metric", value_name = "M")]
    pub metrics: Vec<String>,
    /// Gate on every metric shown, not only the primary set (a larger Holm
    /// family: less power per metric).
    #[arg(long, conflicts_with = "metrics")]
    pub all_metrics: bool,
    /// Compare only this scope: `platform` or a portal (repeatable)
    /// [default: all].
    #[arg(long = "scope", value_name = "S")]
    pub scopes: Vec<String>,
    /// Allowed worsening relative to the baseline mean, as a fraction (0.05)
    /// or percentage (5%).
    #[arg(long, value_name = "X", default_value = "0", value_parser = parse_tolerance)]
    pub tolerance: f64,
    /// Family-wise significance level.
    #[arg(long, default_value_t = 0.05, value_parser = parse_alpha)]
    pub alpha: f64,
    /// Pair replication r of one run with replication r of the other and
    /// test the differences (paired t-test on replications.csv): for two
    /// runs with the same seed and replications (common random numbers,
    /// e.g. two builds on one scenario), far more powerful than Welch.
    /// This is the default when both runs recorded the same seed and hold
    /// the same replications; with --paired, a run that cannot be paired
    /// is an error.
    #[arg(long, conflicts_with = "unpaired")]
    pub paired: bool,
    /// Welch's two-sample test even when the runs could be paired.
    #[arg(long)]
    pub unpaired: bool,
    /// `t`: t-tests (paired, or Welch's). `rank`: rank tests on
    /// replications.csv — Wilcoxon signed-rank when paired, Mann–Whitney U
    /// otherwise (normal approximation, tie-corrected) — for skewed metrics.
    #[arg(long = "test", value_enum, default_value_t = TestKind::T)]
    pub test: TestKind,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

fn parse_tolerance(s: &str) -> Result<f64, String> {
    let (num, scale) = match s.trim().strip_suffix('%') {
        Some(n) => (n, 0.01),
        None => (s.trim(), 1.0),
    };
    match num.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v * scale),
        _ => Err(format!("'{s}' is not a tolerance ≥ 0 (0.05 or 5%)")),
    }
}

fn parse_alpha(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v < 1.0 => Ok(v),
        _ => Err(format!("'{s}' is not a significance level between 0 and 1")),
    }
}

#[derive(Debug, Args)]
pub struct SweepArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// A path and its values: PATH=a,b,c or PATH=LO..HI[:STEP]. Repeatable:
    /// the points are the cartesian product.
    #[arg(long = "vary", value_name = "PATH=VALUES", required = true)]
    pub varies: Vec<Vary>,
    /// Run only shard K of N (K from 0): the points with point % N == K.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<Shard>,
    /// Replications run in parallel on this many threads [default: all cores].
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
    /// Output folder [default: output/<scenario name>-sweep/].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// No progress bar on stderr.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Shard output folders (each written by `telsim sweep --shard K/N` or
    /// `telsim run --shard K/N`).
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Where to write the merged sweep.
    #[arg(long, required = true)]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct SizeArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// The portal to size and judge [default: the only one].
    #[arg(long)]
    pub portal: Option<String>,
    /// METRIC>=VALUE or METRIC<=VALUE, judged on the portal's 95% interval.
    #[arg(long, value_name = "METRIC>=X")]
    pub target: Target,
    /// What to size: `agents`, `servers.NAME.max_calls`, or any integer
    /// field's --set path.
    #[arg(long, default_value = "agents")]
    pub vary: String,
    /// Largest value to try.
    #[arg(long, default_value_t = 10_000)]
    pub max: u32,
    /// Replications run in parallel on this many threads [default: all cores].
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
    /// Keep each candidate's output in OUT/<value>/ [default: not kept].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// No progress spinner on stderr.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A run's output folder (summary.csv, intervals.csv, calls.csv).
    pub run: PathBuf,
    /// Where to write the charts and index.html [default: RUN/report/].
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ScenarioArgs {
    /// Scenario file (RON); `-` reads it from standard input (a topology
    /// path in it is then relative to the working directory).
    pub scenario: PathBuf,
    /// Override one field before validation, e.g. `portals.acme.agents=52`
    /// or `portals.0.inbound.arrivals.per_hour=1800`. VALUE is a RON literal.
    /// Repeatable; applied in order.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub overrides: Vec<Override>,
    /// Refuse runs estimated to handle more events than this (all
    /// replications together; `1e11` notation allowed) [default: 1e10].
    #[arg(long, value_name = "N", value_parser = crate::robustness::budget::parse_count)]
    pub max_events: Option<u64>,
    /// Refuse runs estimated to need more memory than this (`512M`, `4G`)
    /// [default: 512M].
    #[arg(long, value_name = "SIZE", value_parser = crate::robustness::budget::parse_bytes)]
    pub max_memory: Option<u64>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Base random seed (same as --set seed=N).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Number of independent replications (same as --set replications=R).
    #[arg(long)]
    pub replications: Option<u32>,
    /// Replications run in parallel on this many threads [default: all cores].
    /// Results do not depend on it.
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
    /// Run only shard K of N (K from 0): the replications with r % N == K,
    /// each exactly as in the whole run; writes run-shard.txt last. `telsim
    /// merge` pools shards 0..N into the unsharded run's files.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<Shard>,
    /// Output folder [default: output/<scenario name>/].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Do not write calls.csv (one row per call); summary and intervals only.
    #[arg(long)]
    pub no_calls: bool,
    /// Write the calls as calls.parquet instead of calls.csv (typed,
    /// compressed: about a third of the text), and every other table also
    /// as NAME.parquet beside its CSV.
    #[arg(long)]
    pub parquet: bool,
    /// Also write queue_log: replication 0 as an Asterisk queue log
    /// (ENTERQUEUE, CONNECT, COMPLETECALLER, ABANDON, …; epoch seconds) for
    /// wallboards, reporting suites, `telsim fit` and `telsim backtest`.
    #[arg(long)]
    pub queue_log: bool,
    /// No progress bar and no run report on stderr.
    #[arg(long, short = 'q', conflicts_with = "verbose")]
    pub quiet: bool,
    /// A line on stderr per replication as it finishes and per phase
    /// (simulation, joining calls.csv), and each file's size at the end.
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Write OUT/trace.log: a timestamped, human-readable log of this call
    /// (its call_id in calls.csv) in the first replication — settings,
    /// worktime, greeting, invites, connection, hang-up with its code.
    #[arg(long, value_name = "CALL_ID")]
    pub trace: Option<u64>,
    /// Log every call of this portal (first replication) to OUT/trace.log;
    /// with --trace, only that call if it belongs to the portal.
    #[arg(long, value_name = "NAME")]
    pub trace_portal: Option<String>,
    /// `json` prints the summary and checks as one JSON document on stdout.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
}

#[derive(Debug, Args)]
pub struct RoutesArgs {
    /// Topology file (RON).
    pub topology: PathBuf,
    /// Fail the link joining nodes A and B before routing (either order;
    /// names may contain '-' when the split is unambiguous). Repeatable.
    #[arg(long = "fail-link", value_name = "A-B")]
    pub fail_links: Vec<String>,
    /// Fail a node (and so every link at it) before routing. Repeatable.
    #[arg(long = "fail-node", value_name = "NODE")]
    pub fail_nodes: Vec<String>,
    /// Refuse topologies whose all-pairs routing table would need more
    /// memory than this (`512M`, `4G`) [default: 512M].
    #[arg(long, value_name = "SIZE", value_parser = crate::robustness::budget::parse_bytes)]
    pub max_memory: Option<u64>,
}
