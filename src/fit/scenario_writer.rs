//! Writes a [`FitReport`] as a scenario `telsim check` and `telsim run`
//! accept, every fitted value with a comment saying where it comes from,
//! how sure it is, and what the log could not tell.

use std::collections::BTreeSet;
use std::fmt::Write;

use super::arrivals::{weekday, WEEKDAYS};
use super::dist::num;
use super::{FitReport, QueueFit};

fn hhmm(h: f64) -> String {
    let m = (h * 60.0).round() as i64;
    format!("{:02}:{:02}", m / 60, m % 60)
}

fn date(t: f64) -> String {
    chrono::DateTime::from_timestamp(t.floor() as i64, 0)
        .map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| format!("{t}"))
}

fn p(v: f64) -> String {
    if v < 1e-4 {
        format!("{v:.1e}")
    } else {
        format!("{v:.4}")
    }
}

/// A portal name the scenario accepts: no `,` `|` or quotes, at most 200
/// bytes, unique among `taken`.
fn portal_name(q: &str, taken: &mut BTreeSet<String>) -> String {
    let mut s: String = q
        .chars()
        .map(|c| {
            if matches!(c, ',' | '|' | '"' | '\'' | '\\') || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    if s.trim().is_empty() {
        s = "queue".into();
    }
    while s.len() > 190 {
        s.pop();
    }
    let base = s.clone();
    let mut i = 2;
    while taken.contains(&s) {
        s = format!("{base}-{i}");
        i += 1;
    }
    taken.insert(s.clone());
    s
}

/// The scenario text. `sources` names the logs read (for the header).
pub fn write_scenario(r: &FitReport, sources: &[String], name: &str) -> String {
    let mut o = String::new();
    let off_h = r.options.utc_offset_s / 3600.0;
    let calls: u64 = r.queues.iter().map(|q| q.calls).sum();
    let _ = writeln!(o, "// Fitted by `telsim fit` from {}.", sources.join(", "));
    if r.first_s.is_finite() {
        let _ = writeln!(
            o,
            "// Log period {} to {} (clock UTC{:+}): {} day(s) counted from the first record's day to the last's, {} call(s), {} queue(s).",
            date(r.first_s),
            date(r.last_s),
            off_h,
            r.days,
            calls,
            r.queues.len()
        );
    }
    for (src, s) in &r.log_stats {
        let mut parts = vec![format!(
            "{} line(s), {} call(s), {} agent event(s)",
            s.lines, s.calls, s.agent_events
        )];
        if !s.unknown_events.is_empty() {
            let u: Vec<String> = s
                .unknown_events
                .iter()
                .map(|(k, v)| format!("{k} ×{v}"))
                .collect();
            parts.push(format!("unknown events skipped: {}", u.join(", ")));
        }
        for (k, v) in &s.skipped {
            parts.push(format!("{k}: {v}"));
        }
        if s.out_of_order > 0 {
            parts.push(format!(
                "{} record(s) out of time order (reordered)",
                s.out_of_order
            ));
        }
        if s.late > 0 {
            parts.push(format!("{} later than the reorder window", s.late));
        }
        if s.unfinished > 0 {
            parts.push(format!("{} call(s) with no end (unfinished)", s.unfinished));
        }
        if s.malformed > 0 {
            parts.push(format!("{} malformed line(s) skipped", s.malformed));
        }
        let _ = writeln!(o, "// {src}: {}.", parts.join("; "));
    }
    o.push_str(
        "//\n// What a call log cannot tell is left at telsim's defaults — set it yourself:\n\
         // the queue policy and ring time, max_wait_s and the no-answer rule, wrap-up time\n\
         // (after-call work is not logged), servers and their capacity, the network and\n\
         // media, money (tariffs, balances, top-ups), worktime and holidays.\n",
    );
    let start_weekday = if r.first_s.is_finite() {
        WEEKDAYS[weekday((r.first_s / 86400.0).floor() as i64)]
    } else {
        "Mon"
    };
    let _ = writeln!(o, "Scenario(");
    let _ = writeln!(o, "    name: \"{name}\",");
    let _ = writeln!(o, "    seed: 1,");
    let _ = writeln!(o, "    replications: 10,");
    let _ = writeln!(o, "    // The log's length; the first day's weekday.");
    let _ = writeln!(
        o,
        "    duration_s: {},",
        num(r.days.max(1) as f64 * 86400.0)
    );
    let _ = writeln!(o, "    start_weekday: {start_weekday},");
    let _ = writeln!(o, "    interval_s: {},", num(r.options.interval_s));
    let _ = writeln!(o, "    portals: [");
    let mut taken = BTreeSet::new();
    for q in &r.queues {
        write_portal(&mut o, q, r, &mut taken);
    }
    let _ = writeln!(o, "    ],");
    let _ = writeln!(o, ")");
    o
}

fn write_portal(o: &mut String, q: &QueueFit, r: &FitReport, taken: &mut BTreeSet<String>) {
    let ind = "        ";
    let width_h = r.options.interval_s / 3600.0;
    let _ = writeln!(o, "{ind}Portal(");
    let _ = writeln!(
        o,
        "{ind}    name: \"{}\", // queue `{}` in the log",
        portal_name(&q.name, taken),
        q.name
    );
    let outs: Vec<String> = q
        .outcomes
        .iter()
        .map(|(k, v)| format!("{} {v}", k.as_str()))
        .collect();
    let _ = writeln!(o, "{ind}    // {} call(s): {}.", q.calls, outs.join(", "));
    // Agents.
    let peak_busy = q.busy.iter().cloned().fold(0.0, f64::max);
    let agents = match &q.available {
        Some(av) => {
            let peak = q.peak_available.unwrap_or(0);
            let _ = writeln!(
                o,
                "{ind}    // Agents available (logged in, member, not paused), mean per interval of the day: {}.\n\
                 {ind}    // A scenario has one number: the most available at once ({peak}) is written.",
                av.iter().map(|a| format!("{a:.1}")).collect::<Vec<_>>().join(" ")
            );
            peak.max(1)
        }
        None if q.agents_seen > 0 => {
            let _ = writeln!(
                o,
                "{ind}    // No login/pause events: the {} distinct agent(s) who answered calls (at most that many\n\
                 {ind}    // were on at once; the most talking at once, on average, in any interval: {peak_busy:.1}).",
                q.agents_seen
            );
            q.agents_seen as u64
        }
        None => {
            let _ = writeln!(
                o,
                "{ind}    // No login/pause events and no agent names: agents from concurrency — the most talking at once,\n\
                 {ind}    // on average, in any interval ({peak_busy:.1}), a LOWER BOUND on the staff (idle agents do not show)."
            );
            peak_busy.ceil().max(1.0) as u64
        }
    };
    let _ = writeln!(
        o,
        "{ind}    // Busy agents per interval: {}.",
        q.busy
            .iter()
            .map(|a| format!("{a:.1}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let _ = writeln!(o, "{ind}    agents: {agents},");
    let _ = writeln!(
        o,
        "{ind}    queue: Queue(), // policy, ring time and limits are not in a call log"
    );
    let _ = writeln!(o, "{ind}    inbound: Traffic(");
    // Arrivals.
    let a = &q.arrivals;
    let _ = writeln!(
        o,
        "{ind}        // Arrivals: a non-homogeneous Poisson process, one rate per {} h interval of the day over {} day(s),",
        num(width_h),
        a.n_days()
    );
    let _ = writeln!(
        o,
        "{ind}        // each with its exact (Garwood) 95% interval from the count."
    );
    match a.dispersion_by_weekday() {
        Some(d) => {
            let verdict = if d.p_value < 0.05 {
                "counts vary more than Poisson allows: expect more day-to-day spread than a run shows"
            } else {
                "consistent with Poisson"
            };
            let _ = writeln!(
                o,
                "{ind}        // Dispersion over days within weekday × interval: index {:.3} (χ² {:.1} on {} df, p = {}): {verdict}.",
                d.index,
                d.statistic,
                d.df,
                p(d.p_value)
            );
        }
        None => {
            let _ = writeln!(
                o,
                "{ind}        // Dispersion: not testable (fewer than two days of any weekday)."
            );
        }
    }
    if let Some(d) = a.dispersion_daily() {
        let _ = writeln!(
            o,
            "{ind}        // Over all days within each interval (the one daily profile below): index {:.3}, p = {}{}",
            d.index,
            p(d.p_value),
            if d.p_value < 0.05 { " — weekdays differ; per weekday (calls/h):" } else { "; per weekday (calls/h):" }
        );
    }
    for (w, entry) in a.by_weekday().iter().enumerate() {
        if let Some((n, rates)) = entry {
            let _ = writeln!(
                o,
                "{ind}        //   {} ({n} day(s)): {}",
                WEEKDAYS[w],
                rates
                    .iter()
                    .map(|r| format!("{:.1}", r.per_hour))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
        }
    }
    let _ = writeln!(o, "{ind}        arrivals: Profile(steps: [");
    for (b, rate) in a.daily().iter().enumerate() {
        let h = b as f64 * width_h;
        let _ = writeln!(
            o,
            "{ind}            ({}, {}), // {}–{} {} call(s), 95% [{:.2}, {:.2}] /h",
            num(h),
            num(rate.per_hour),
            hhmm(h),
            hhmm(h + width_h),
            rate.count,
            rate.lo,
            rate.hi
        );
    }
    let _ = writeln!(o, "{ind}        ]),");
    // Talk.
    match &q.talk {
        Some(t) => {
            let _ = writeln!(
                o,
                "{ind}        // Talk time: maximum likelihood on {} answered call(s); AIC (lower is better): {}.",
                t.n,
                t.fits.iter().map(|f| format!("{} {:.1}", f.family.name(), f.aic)).collect::<Vec<_>>().join(", ")
            );
            let _ = writeln!(
                o,
                "{ind}        // Mean {:.2} s, 95% [{:.2}, {:.2}]. Kolmogorov–Smirnov D = {:.4}, p = {} (asymptotic Kolmogorov p-value:",
                t.mean,
                t.mean_ci.0,
                t.mean_ci.1,
                t.ks,
                p(t.ks_p)
            );
            let _ = writeln!(
                o,
                "{ind}        // conservative because the parameters were estimated from the same data; a small p rejects the family)."
            );
            let _ = writeln!(o, "{ind}        talk_s: {},", t.best().family.ron());
        }
        None => {
            let _ = writeln!(o, "{ind}        // Talk time: no answered call with an end in the log; a placeholder.");
            let _ = writeln!(o, "{ind}        talk_s: Exp(mean: 180.0),");
        }
    }
    // Patience.
    match &q.patience {
        Some(pf) => {
            let _ = writeln!(
                o,
                "{ind}        // Patience: {} abandon(s) among {} wait(s); answered and timed-out waits are right-censored.",
                pf.abandons, pf.n
            );
            let _ = writeln!(
                o,
                "{ind}        // Naive mean of the abandoned waits {:.2} s — biased low (it sees only the callers who gave up first).",
                pf.naive_mean
            );
            let _ = writeln!(
                o,
                "{ind}        // Kaplan–Meier: median {}, restricted mean {:.2} s. Censored MLE: Exp mean = exposure / abandons = {:.2} s,",
                pf.km_median.map_or("beyond the longest wait".to_string(), |m| format!("{m:.2} s")),
                pf.km_restricted_mean,
                pf.exp_mean
            );
            let _ = writeln!(
                o,
                "{ind}        // 95% [{:.2}, {:.2}]; AIC: {}. Chosen mean 95% [{:.2}, {:.2}].",
                pf.exp_ci.0,
                pf.exp_ci.1,
                pf.fits
                    .iter()
                    .map(|(f, a)| format!("{} {a:.1}", f.name()))
                    .collect::<Vec<_>>()
                    .join(", "),
                pf.best_mean_ci.0,
                pf.best_mean_ci.1
            );
            let fam = pf.fits[0].0;
            let _ = writeln!(o, "{ind}        patience_s: Some({}),", fam.ron());
        }
        None => {
            let _ = writeln!(o, "{ind}        // Patience: no abandoned call in the log: callers are written as never hanging up.");
            let _ = writeln!(o, "{ind}        patience_s: None,");
        }
    }
    let _ = writeln!(o, "{ind}    ),");
    // Agent behaviour.
    let answer_prob = match q.ring_no_answer {
        Some((k, n, (lo, hi))) if n > 0 => {
            let _ = writeln!(
                o,
                "{ind}    // Rings not answered (RINGNOANSWER): {k} of {n} rings, share {:.4}, 95% [{:.4}, {:.4}] (Wilson).",
                k as f64 / n as f64,
                lo,
                hi
            );
            1.0 - k as f64 / n as f64
        }
        _ => {
            let _ = writeln!(o, "{ind}    // The log has no ring events: answer_prob left at 1, answer delay unknown.");
            1.0
        }
    };
    let _ = writeln!(
        o,
        "{ind}    agent: Agent(answer_prob: {}),",
        num(answer_prob)
    );
    let (k, n, (lo, hi)) = q.transfer;
    if k > 0 {
        let _ = writeln!(
            o,
            "{ind}    // Transferred: {k} of {n} answered ({:.4}, 95% [{:.4}, {:.4}]); the legs' times are not in the log.",
            k as f64 / n.max(1) as f64,
            lo,
            hi
        );
        let _ = writeln!(
            o,
            "{ind}    transfers: Some(Transfers(share: {})),",
            num(k as f64 / n.max(1) as f64)
        );
    }
    let _ = writeln!(o, "{ind}),");
}
