use std::fmt::Write;

use crate::model::{ArrivalSpec, Model, NoAnswerRule};
use crate::stats::{CheckResult, Verdict};
use crate::theory;

fn fmt_value(v: f64) -> String {
    if v == 0.0 || (v.abs() >= 0.01 && v.abs() < 1e6) {
        format!("{v:.4}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    } else {
        format!("{v:.4e}")
    }
}

/// The table printed after a run: each check, its value with the 95% CI, the
/// limit and the verdict.
pub fn render_checks(results: &[CheckResult]) -> String {
    let mut rows: Vec<[String; 5]> = vec![[
        "scope".into(),
        "metric".into(),
        "value [95% CI]".into(),
        "limit".into(),
        "verdict".into(),
    ]];
    for r in results {
        let value = match (r.mean, r.ci95) {
            (Some(m), Some((lo, hi))) => {
                format!("{} [{}, {}]", fmt_value(m), fmt_value(lo), fmt_value(hi))
            }
            (Some(m), None) => fmt_value(m),
            (None, _) => "no data".into(),
        };
        let limit = match (r.check.min, r.check.max) {
            (Some(lo), Some(hi)) => format!("{} ≤ x ≤ {}", fmt_value(lo), fmt_value(hi)),
            (Some(lo), None) => format!("≥ {}", fmt_value(lo)),
            (None, Some(hi)) => format!("≤ {}", fmt_value(hi)),
            (None, None) => "-".into(),
        };
        let verdict = match r.verdict {
            Verdict::Pass => "pass",
            Verdict::Fail => "FAIL",
            Verdict::NoData => "FAIL (no data)",
        };
        rows.push([
            r.check.scope_name.clone(),
            r.check.metric.name().into(),
            value,
            limit,
            verdict.into(),
        ]);
    }
    let mut widths = [0usize; 5];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
            .collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
    }
    out
}

/// What `telsim check` prints: the model as understood, with offered load and,
/// where the portal is a textbook queue, the Erlang C prediction.
pub fn describe_model(m: &Model) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "scenario {:?}: valid", m.name);
    let _ = writeln!(
        o,
        "  {} replication(s) of {} s (warm-up {} s, intervals of {} s), seed {}",
        m.replications,
        fmt_value(m.duration.as_secs_f64()),
        fmt_value(m.warmup.as_secs_f64()),
        fmt_value(m.interval.as_secs_f64()),
        m.seed
    );
    if let Some(net) = &m.network {
        let t = &net.topology;
        let _ = writeln!(
            o,
            "  topology {}: {} nodes, {} links; media {:?} ({:?}), jitter buffer {} ms, detection {} s, reconvergence {} s, drop after {} s of silence",
            t.file().display(),
            t.node_count(),
            t.link_count(),
            net.media,
            net.media_model,
            fmt_value(net.jitter_buffer_ms),
            fmt_value(net.detection.as_secs_f64()),
            fmt_value(net.reconvergence.as_secs_f64()),
            fmt_value(net.drop_gap.as_secs_f64()),
        );
        if !m.events.is_empty() {
            let _ = writeln!(o, "  {} timed failure/recovery event(s)", m.events.len());
        }
    }
    if m.servers.is_empty() {
        let _ = writeln!(o, "  servers: none (calls are not capacity-limited)");
    }
    for s in &m.servers {
        let cap = s
            .max_calls
            .map_or("unlimited".to_string(), |c| c.to_string());
        let cps = s.max_cps.map_or("unlimited".to_string(), |c| c.to_string());
        let place = match (&m.network, s.node) {
            (Some(net), Some(n)) => format!(" on {}", net.topology.name(n)),
            _ => String::new(),
        };
        let _ = writeln!(
            o,
            "  {:?} server {:?}{place}: max_calls {cap}, max_cps {cps}",
            s.kind, s.name
        );
    }
    if let Some(c) = &m.controller {
        let rollouts: Vec<String> = c
            .rollouts
            .iter()
            .map(|r| match r.eager_per_s {
                Some(x) => format!(
                    "v{} at {} s eagerly ({}/s)",
                    r.version,
                    fmt_value(r.at.as_secs_f64()),
                    fmt_value(x)
                ),
                None => format!(
                    "v{} at {} s lazily",
                    r.version,
                    fmt_value(r.at.as_secs_f64())
                ),
            })
            .collect();
        let _ = writeln!(
            o,
            "  controller: {} worker(s), timeout {} s, settings cache {}, {} balance poll(s)/portal/h{}",
            c.workers,
            fmt_value(c.timeout.as_secs_f64()),
            c.cache_ttl
                .map_or("off".to_string(), |t| format!("{} s", fmt_value(t.as_secs_f64()))),
            fmt_value(c.balance_polls_per_portal_h),
            if rollouts.is_empty() {
                String::new()
            } else {
                format!("; rollouts: {}", rollouts.join(", "))
            }
        );
    }
    for p in &m.portals {
        let c = p.agent_names.len();
        let a = p.offered_erlangs();
        let arrivals = match &p.arrivals {
            ArrivalSpec::Poisson { per_s } => {
                format!("Poisson {} calls/h", fmt_value(per_s * 3600.0))
            }
            ArrivalSpec::Profile { per_s, .. } => format!(
                "daily profile, {} steps, mean {} calls/h, peak {} calls/h",
                per_s.len(),
                fmt_value(p.arrivals.mean_per_s() * 3600.0),
                fmt_value(per_s.iter().cloned().fold(0.0, f64::max) * 3600.0)
            ),
        };
        let rule = match &p.no_answer {
            NoAnswerRule::Voicemail => "voicemail".to_string(),
            NoAnswerRule::Forward(n) => format!("forward to {n}"),
            NoAnswerRule::Hangup => "hang up".to_string(),
        };
        let _ = writeln!(
            o,
            "  portal {:?} ({:?}): {c} agent(s), policy {:?}, ring {} s, no-answer rule: {rule}",
            p.name,
            p.currency,
            p.policy,
            fmt_value(p.ring_time.as_secs_f64())
        );
        let _ = writeln!(
            o,
            "    arrivals: {arrivals}; mean talk {} s; offered load {} Erl ({} per agent)",
            fmt_value(p.talk.mean()),
            fmt_value(a),
            fmt_value(a / c as f64)
        );
        describe_business(&mut o, p);
        let textbook = matches!(p.arrivals, ArrivalSpec::Poisson { .. })
            && p.talk.is_exponential()
            && p.patience.is_none()
            && p.max_wait.is_none()
            && plain_agents(p)
            && p.queues.is_none();
        if let Some(qs) = &p.queues {
            describe_queues(&mut o, p, qs);
        }
        if textbook {
            if a < c as f64 {
                let mu = 1.0 / p.talk.mean();
                let pw = theory::erlang_c(c as u32, a);
                let asa = theory::asa_s(c as u32, a, mu);
                let _ = writeln!(
                    o,
                    "    M/M/{c} queue: Erlang C predicts P(wait>0) = {}, ASA = {} s",
                    fmt_value(pw),
                    fmt_value(asa)
                );
            } else {
                let _ = writeln!(
                    o,
                    "    warning: offered load ≥ agents: the queue grows without bound"
                );
            }
        }
    }
    if !m.checks.is_empty() {
        let _ = writeln!(o, "  checks:");
        for c in &m.checks {
            let lim = match (c.min, c.max) {
                (Some(lo), Some(hi)) => format!("between {} and {}", fmt_value(lo), fmt_value(hi)),
                (Some(lo), None) => format!("≥ {}", fmt_value(lo)),
                (None, Some(hi)) => format!("≤ {}", fmt_value(hi)),
                (None, None) => String::new(),
            };
            let _ = writeln!(o, "    {} {} {lim}", c.scope_name, c.metric.name());
        }
    }
    o
}

/// The provider's scenario, outbound calls, money, transfers and devices of
/// a portal, one line each when present.
/// Agents that answer at once and free at once, with nothing of the
/// provider's call scenario around them: the part of a textbook queue that
/// a portal and each of its queues share.
fn plain_agents(p: &crate::model::PortalSpec) -> bool {
    p.answer_prob >= 1.0
        && p.answer_delay.is_zero()
        && p.wrapup.is_zero()
        && p.servers.is_empty()
        && p.steps.none()
        && p.outbound.is_none()
        && p.transfers.is_none()
        && p.devices.is_none()
}

fn describe_business(o: &mut String, p: &crate::model::PortalSpec) {
    use crate::money::{format_minor, AlertRule};
    let st = &p.steps;
    let mut steps = Vec::new();
    if st.after_hours.is_some() {
        steps.push("worktime".to_string());
    }
    if st.blacklist_share > 0.0 {
        steps.push(format!(
            "blacklist {}%",
            fmt_value(st.blacklist_share * 100.0)
        ));
    }
    if let Some(g) = &st.greeting {
        steps.push(format!("greeting {} s", fmt_value(g.mean())));
    }
    if let Some((listen, share, _)) = &st.extensions {
        steps.push(format!(
            "extension codes ({} s, {}% dial)",
            fmt_value(listen.mean()),
            fmt_value(share * 100.0)
        ));
    }
    if let Some((known, _)) = &st.crm {
        steps.push(format!("CRM ({}% known)", fmt_value(known * 100.0)));
    }
    if !steps.is_empty() {
        let _ = writeln!(o, "    before the queue: {}", steps.join(", "));
    }
    if let Some(ob) = &p.outbound {
        let dests: Vec<String> = ob
            .destinations
            .iter()
            .map(|d| {
                format!(
                    "{:?} → {} sent as {} at {}/min",
                    d.dialled,
                    d.digits,
                    d.sent,
                    format_minor(d.rate.per_min.round() as i64)
                )
            })
            .collect();
        let _ = writeln!(
            o,
            "    outbound: {} call(s)/agent/h; {}",
            fmt_value(ob.per_agent_s * 3600.0),
            dests.join("; ")
        );
    }
    let money = &p.money;
    let alert = match money.alert {
        Some(AlertRule::Fixed { threshold }) => {
            format!("fixed alert at {}", format_minor(threshold))
        }
        Some(AlertRule::Adaptive {
            days_of_cover,
            window_days,
        }) => format!(
            "adaptive alert ({} working days of cover, {}-day window)",
            fmt_value(days_of_cover),
            window_days
        ),
        None => "no alerts".to_string(),
    };
    let _ = writeln!(
        o,
        "    money: balance {} {:?}, {}{}",
        format_minor(money.start),
        p.currency,
        alert,
        if money.topup.is_some() {
            ", owner tops up"
        } else {
            ""
        }
    );
    if let Some(t) = &p.transfers {
        let _ = writeln!(
            o,
            "    transfers: {}% of answered calls ({}% attended)",
            fmt_value(t.share * 100.0),
            fmt_value(t.attended_share * 100.0)
        );
    }
    if let Some(d) = &p.devices {
        let _ = writeln!(
            o,
            "    devices: {} SIP phone(s) registering every {} s, the rest browsers",
            d.phones.len(),
            fmt_value(d.expires.as_secs_f64() * 0.9)
        );
    }
}

/// One line per queue of a portal with `queues`: policy, members, offered
/// load, and the Erlang C prediction when the queue is a textbook M/M/c on
/// its own (dedicated members, Poisson lines of one exponential talk mean,
/// patient callers, nothing moving calls in or out).
fn describe_queues(
    o: &mut String,
    p: &crate::model::PortalSpec,
    qs: &crate::model::spec_routing::QueuesSpec,
) {
    use crate::model::spec_routing::QueueNoAnswer;
    let loads = qs.offered_erlangs();
    let _ = writeln!(
        o,
        "    {} queue(s), {} line(s), {} class(es), router {:?}",
        qs.queues.len(),
        qs.lines.len(),
        qs.classes.len(),
        qs.router
    );
    let plain_agents = plain_agents(p);
    for (k, q) in qs.queues.iter().enumerate() {
        let c = q.members.len();
        let a = loads[k];
        let _ = writeln!(
            o,
            "    queue {:?}: {c} member(s), policy {:?}, priority {}, offered load {} Erl",
            q.name,
            q.policy,
            q.priority,
            fmt_value(a)
        );
        let lines: Vec<_> = qs.lines.iter().filter(|l| l.queue as usize == k).collect();
        let dedicated = q
            .members
            .iter()
            .all(|m| qs.skills[m.agent as usize].len() == 1);
        let moved_in = qs.queues.iter().any(|x| {
            x.overflow.is_some_and(|ov| ov.to as usize == k)
                || matches!(x.no_answer, QueueNoAnswer::ToQueue(t) if t as usize == k)
        });
        let mean = lines.first().map(|l| l.talk.mean());
        let textbook = plain_agents
            && dedicated
            && !moved_in
            && q.overflow.is_none()
            && q.max_wait.is_none()
            && !lines.is_empty()
            && lines.iter().all(|l| {
                matches!(l.arrivals, ArrivalSpec::Poisson { .. })
                    && l.talk.is_exponential()
                    && Some(l.talk.mean()) == mean
                    && l.patience.is_none()
            });
        match mean {
            Some(mean) if textbook && a < c as f64 => {
                let mu = 1.0 / mean;
                let _ = writeln!(
                    o,
                    "      M/M/{c} queue: Erlang C predicts P(wait>0) = {}, ASA = {} s",
                    fmt_value(theory::erlang_c(c as u32, a)),
                    fmt_value(theory::asa_s(c as u32, a, mu))
                );
            }
            _ if textbook => {
                let _ = writeln!(
                    o,
                    "      warning: offered load ≥ members: the queue grows without bound"
                );
            }
            _ => {}
        }
    }
}
