"""Side-by-side benchmark of telsim, SimPy and Ciw on one M/M/c model.

Run through bench/compare.sh (which builds telsim and prepares the virtualenv).
Each tool runs the same model (scenarios/bench_simpy.ron, bench/mmc_simpy.py,
bench/mmc_ciw.py) as separate whole processes with seeds 1..R, each process
one independent replication for the statistical check. The tools take turns
in rounds, each tool's runs spread evenly over the session (with 100 telsim,
10 SimPy and 3 Ciw runs: 10 rounds of 10 telsim runs, a SimPy run and, every
third or fourth round, a Ciw run), so that a change in the machine's speed
touches all of them alike. Each tool's first run goes
under GNU time for its peak RSS; the other runs are children of this script
directly, timed by the wall clock and getrusage (CPU), without GNU time's own
fork and exec in the figure. telsim writes calls.csv in every run; the SimPy
and Ciw models only count (which favours them).

Prints a Markdown table: median wall time, peak RSS, calls per run, the
anchor/telsim speed ratios, and P(wait) and ASA as mean ± 95% Student-t
half-width over the replications, then whether every pair of tools (and the
Erlang C prediction) agrees within the combined half-widths.
"""

import argparse
import csv
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TELSIM = os.path.join(ROOT, "target", "release", "telsim")
SCENARIO = os.path.join(ROOT, "scenarios", "bench_simpy.ron")
PYTHON = sys.executable

LAMBDA, TALK_MEAN, C = 10.0, 180.0, 1900

# Two-sided 95% Student-t quantiles t(0.975, df), df = 1..30.
T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
        2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
        2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]


def t975(df):
    return T975[df - 1] if df <= len(T975) else 1.96


def mean_hw(xs):
    m = statistics.fmean(xs)
    if len(xs) < 2:
        return m, math.inf
    return m, t975(len(xs) - 1) * statistics.stdev(xs) / math.sqrt(len(xs))


def erlang_c(lam, mean_talk, c):
    """P(wait > 0) and ASA of M/M/c (DESIGN §3)."""
    a = lam * mean_talk
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    pw = c * b / (c - a * (1 - b))
    return pw, pw / (c / mean_talk - lam)


def timed(cmd, rss):
    """Runs cmd; returns ((wall s, CPU s), peak RSS KiB or None, stdout, stderr).
    CPU is user + system time of all its threads (getrusage of the waited-for
    process tree, µs resolution): on a shared machine it suffers less from
    other load than the wall clock. With `rss`, the command runs under GNU
    time, whose small fork is what the command replaces (the getrusage peak of
    a child of this Python process would count Python's own memory).
    """
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err, \
            tempfile.NamedTemporaryFile("r", suffix=".rss") as rss_file:
        if rss:
            cmd = ["/usr/bin/time", "-f", "%M", "-o", rss_file.name] + cmd
        start = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=out, stderr=err)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - start
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
        if p.returncode != 0:
            sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{stderr}")
        peak = int(rss_file.read().split()[-1]) if rss else None
    return (wall, usage.ru_utime + usage.ru_stime), peak, stdout, stderr


def run_telsim(seed, out, rss):
    wall, rss, _, err = timed([TELSIM, "run", SCENARIO, "--seed", str(seed),
                               "--jobs", "1", "--out", out], rss)
    calls = int(re.search(r"(\d+) calls", err).group(1))
    vals = {}
    with open(os.path.join(out, "summary.csv")) as f:
        for row in csv.DictReader(f):
            if row["scope"] == "platform" and row["metric"] in ("p_wait", "asa_s"):
                vals[row["metric"]] = float(row["mean"])
    rows = sum(1 for _ in open(os.path.join(out, "calls.csv"))) - 1
    assert rows == calls, (rows, calls)
    return wall, rss, calls, vals["p_wait"], vals["asa_s"]


def run_python(script, seed, rss):
    wall, rss, out, _ = timed([PYTHON, os.path.join(ROOT, "bench", script),
                               "--seed", str(seed)], rss)
    r = json.loads(out)
    return wall, rss, r["calls"], r["p_wait"], r["asa_s"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--telsim-reps", type=int, default=100)
    ap.add_argument("--simpy-reps", type=int, default=10)
    ap.add_argument("--ciw-reps", type=int, default=3)
    args = ap.parse_args()

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        plan = [("telsim", args.telsim_reps,
                 lambda s, rss: run_telsim(s, os.path.join(tmp, f"telsim{s}"), rss)),
                ("SimPy 4.1", args.simpy_reps,
                 lambda s, rss: run_python("mmc_simpy.py", s, rss)),
                ("Ciw 3.2", args.ciw_reps, lambda s, rss: run_python("mmc_ciw.py", s, rss))]
        # Rounds as many as the slowest tool's runs; each tool's runs are
        # spread evenly over them, so every tool is timed across the whole
        # session (telsim's 100 runs are not all taken after SimPy's).
        rounds = max(max(reps for _, reps, _ in plan), 1)
        next_seed = {}
        for name, _, _ in plan:
            results[name] = []
            next_seed[name] = 1
        for r in range(1, rounds + 1):
            for name, reps, run in plan:
                due = math.ceil(reps * r / rounds)
                while next_seed[name] <= due:
                    seed = next_seed[name]
                    row = run(seed, seed == 1)
                    results[name].append(row)
                    next_seed[name] += 1
                    print(f"  {name} seed {seed}: {row[0][0]:.3f} s wall, "
                          f"{row[0][1]:.2f} s CPU", file=sys.stderr)

    def timing_rows(rows):
        """The runs timed directly (all but the first, unless it is alone)."""
        return rows[1:] or rows

    pw_theory, asa_theory = erlang_c(LAMBDA, TALK_MEAN, C)
    base = statistics.median(r[0][0] for r in timing_rows(results["telsim"]))
    base_cpu = statistics.median(r[0][1] for r in timing_rows(results["telsim"]))
    print(f"M/M/{C}, λ = {LAMBDA:g}/s, mean talk {TALK_MEAN:g} s, 10 000 s of arrivals, "
          f"warm-up 1 000 s; one replication per process, whole-process wall time.")
    print("Wall and CPU times are medians of each tool's runs 2..R (run 1 went under GNU time "
          "for the peak RSS); P(wait) and ASA use all runs.")
    print()
    print("| tool | runs | wall median (min–max) | wall / telsim's | CPU median | CPU / telsim's "
          "| peak RSS | calls/run | P(wait) ± 95% | ASA s ± 95% |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    summary = {}
    for name, rows in results.items():
        if not rows:
            continue
        timed_rows = timing_rows(rows)
        walls = [r[0][0] for r in timed_rows]
        med = statistics.median(walls)
        cpu = statistics.median(r[0][1] for r in timed_rows)
        rss = rows[0][1] / 1024
        calls = statistics.median(r[2] for r in rows)
        pw = mean_hw([r[3] for r in rows])
        asa = mean_hw([r[4] for r in rows])
        summary[name] = ((*pw, len(rows)), (*asa, len(rows)))
        print(f"| {name} | {len(rows)} | {med:.3f} s ({min(walls):.3f}–{max(walls):.3f}) "
              f"| {med / base:,.1f}× | {cpu:.3f} s | {cpu / base_cpu:,.1f}× "
              f"| {rss:.1f} MB | {calls:,.0f} "
              f"| {pw[0]:.4f} ± {pw[1]:.4f} | {asa[0]:.4f} ± {asa[1]:.4f} |")
    print(f"| Erlang C | | | | | | | | | {pw_theory:.4f} | {asa_theory:.4f} |")
    print()
    summary["Erlang C"] = ((pw_theory, 0.0, 0), (asa_theory, 0.0, 0))
    # Every pair of tools (and Erlang C) on both measures: 12 comparisons with
    # Ciw, so one "differs" at the 5% level by chance about half the time if
    # each were judged alone. Each gets a two-sided Welch t-test (standard
    # errors from the t half-widths), and Holm's step-down keeps the chance
    # of any false "differ" among them all at 5%.
    names = [n for n in summary]
    tests = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            for k, metric in enumerate(("P(wait)", "ASA")):
                (ma, ha, na), (mb, hb, nb) = summary[a][k], summary[b][k]
                sa, sb = standard_error(ha, na), standard_error(hb, nb)
                p = welch_p(ma - mb, sa, na, sb, nb)
                tests.append((p, a, b, metric, ma, mb))
    tests.sort()
    ok = True
    still_testing = True
    for rank, (p, a, b, metric, ma, mb) in enumerate(tests):
        level = 0.05 / (len(tests) - rank)
        still_testing &= p > level
        differ = not still_testing
        ok &= not differ
        print(f"- {a} vs {b}, {metric}: {ma:.4f} vs {mb:.4f}, p = {p:.3f} "
              f"(Holm level {level:.4f}): {'DIFFER' if differ else 'agree'}")
    print()
    print("All agree (Holm, 5% family-wise)." if ok else "Some results DIFFER.")


def welch_p(diff, sa, na, sb, nb):
    """Two-sided p-value of Welch's t-test for a difference of means with
    standard errors sa, sb over na, nb runs (n = 0: a formula, no error)."""
    se = math.hypot(sa, sb)
    if math.isinf(se):
        return 1.0
    if se == 0:
        return 1.0 if diff == 0 else 0.0
    parts = [(s ** 4 / (n - 1)) for s, n in ((sa, na), (sb, nb)) if n > 1]
    df = se ** 4 / sum(parts)  # Welch–Satterthwaite
    return 2 * t_upper_tail(abs(diff) / se, df)


def t_upper_tail(t, df):
    """P(T > t) for Student's t with df degrees of freedom (Simpson's rule on
    the density; ample for a benchmark's verdict)."""
    log_c = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    density = lambda x: math.exp(log_c - (df + 1) / 2 * math.log1p(x * x / df))
    steps = 2000
    h = t / steps
    area = density(0) + density(t) + sum(
        (4 if i % 2 else 2) * density(i * h) for i in range(1, steps))
    return max(0.0, 0.5 - area * h / 3)


def standard_error(half_width, n):
    """Standard error behind a 95% Student-t half-width over n runs (0 for a
    formula, inf for a single run)."""
    if n == 0:
        return 0.0
    if n < 2:
        return math.inf
    return half_width / t975(n - 1)


if __name__ == "__main__":
    main()
