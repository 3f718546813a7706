//! Validation of a portal's `queues`, `lines`, `classes` and `router`
//! (issue #14): every name resolved (with a did-you-mean on a typo), every
//! number range-checked, and overflow / no-answer forwarding chains refused
//! when they loop, so a call is moved between queues a bounded number of
//! times.

use std::collections::BTreeMap;

use crate::engine::SimTime;
use crate::model::spec_routing::{
    ClassIx, ClassSpec, LineSpec, Member, OverflowSpec, QueueIx, QueueNoAnswer, QueueSpec,
    QueuesSpec, Skill,
};
use crate::model::NoAnswerRule;

use super::diagnostics::{suggest, Diagnostics};
use super::types::{NoAnswer, Portal};
use super::validate::SamplerCheck;

/// At most this many queues per portal (indices are `u16`; more is a typo).
const MAX_QUEUES: usize = 1024;
/// Classes are `u8` indices, `normal` included.
const MAX_CLASSES: usize = 255;
const MIN_STEP_S: f64 = 0.001;

/// The checked queues of portal `p` (at `path`), or `None` when it declares
/// none (then `lines` and `classes` must be empty too).
pub fn queues(
    ck: &mut Diagnostics,
    path: &str,
    p: &Portal,
    agent_names: &[String],
) -> Option<Box<QueuesSpec>> {
    if p.queues.is_empty() {
        if !p.lines.is_empty() {
            ck.problem(
                format!("{path}.lines"),
                "lines are routed to queues: declare the portal's `queues` too",
            );
        }
        if !p.classes.is_empty() {
            ck.problem(
                format!("{path}.classes"),
                "call classes rank calls inside queues: declare the portal's `queues` too",
            );
        }
        return None;
    }
    if p.queues.len() > MAX_QUEUES {
        ck.problem(
            format!("{path}.queues"),
            format!(
                "at most {MAX_QUEUES} queues per portal, got {}",
                p.queues.len()
            ),
        );
        return None;
    }
    let qnames: Vec<&str> = p.queues.iter().map(|q| q.name.as_str()).collect();
    let queue_ix = |ck: &mut Diagnostics, at: String, name: &str| -> Option<QueueIx> {
        match qnames.iter().position(|&n| n == name) {
            Some(i) => Some(i as QueueIx),
            None => {
                ck.problem(
                    at,
                    format!(
                        "unknown queue '{name}'{}",
                        suggest(name, "queues", qnames.iter().copied(), '\'')
                    ),
                );
                None
            }
        }
    };

    // Classes: index 0 is `normal`.
    let mut classes = vec![ClassSpec {
        name: "normal".into(),
        priority: 0,
    }];
    if p.classes.len() >= MAX_CLASSES {
        ck.problem(
            format!("{path}.classes"),
            format!(
                "at most {} classes, got {}",
                MAX_CLASSES - 1,
                p.classes.len()
            ),
        );
    }
    for (k, c) in p.classes.iter().take(MAX_CLASSES - 1).enumerate() {
        let cp = format!("{path}.classes.{k}");
        if c.name.is_empty() {
            ck.problem(format!("{cp}.name"), "a class needs a name");
        } else if classes.iter().any(|x| x.name == c.name) {
            let why = if c.name == "normal" {
                "'normal' is the class of calls of no listed class (priority 0)".to_string()
            } else {
                format!("duplicate class name '{}'", c.name)
            };
            ck.problem(format!("{cp}.name"), why);
        }
        classes.push(ClassSpec {
            name: c.name.clone(),
            priority: c.priority,
        });
    }

    let agent_ix: BTreeMap<&str, u32> = agent_names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i as u32))
        .collect();
    let mut skills: Vec<Vec<Skill>> = vec![Vec::new(); agent_names.len()];
    let mut queues = Vec::with_capacity(p.queues.len());
    for (k, q) in p.queues.iter().enumerate() {
        let qp = format!("{path}.queues.{k}");
        if q.name.is_empty() {
            ck.problem(format!("{qp}.name"), "a queue needs a name");
        } else if qnames[..k].contains(&q.name.as_str()) {
            ck.problem(
                format!("{qp}.name"),
                format!("duplicate queue name '{}'", q.name),
            );
        }
        let ring_time_s = ck.positive(&format!("{qp}.ring_time_s"), q.ring_time_s);
        if ring_time_s > 0.0 && ring_time_s < MIN_STEP_S {
            ck.problem(
                format!("{qp}.ring_time_s"),
                format!("must be at least {MIN_STEP_S} s, got {ring_time_s}"),
            );
        }
        let max_wait = q
            .max_wait_s
            .map(|w| SimTime::from_secs_f64(ck.positive(&format!("{qp}.max_wait_s"), w)));
        let no_answer = match &q.no_answer {
            NoAnswer::Voicemail => QueueNoAnswer::Rule(NoAnswerRule::Voicemail),
            NoAnswer::Hangup => QueueNoAnswer::Rule(NoAnswerRule::Hangup),
            NoAnswer::Forward(number) => {
                if number.len() > 64 || !number.chars().any(|c| c.is_ascii_digit()) {
                    ck.problem(
                        format!("{qp}.no_answer"),
                        format!(
                            "forward number '{number}' must have digits and at most 64 characters"
                        ),
                    );
                }
                QueueNoAnswer::Rule(NoAnswerRule::Forward(number.clone()))
            }
            NoAnswer::ToQueue(name) => {
                let to = queue_ix(ck, format!("{qp}.no_answer"), name);
                if to == Some(k as QueueIx) {
                    ck.problem(
                        format!("{qp}.no_answer"),
                        format!("queue '{}' cannot forward to itself", q.name),
                    );
                }
                QueueNoAnswer::ToQueue(to.unwrap_or(0))
            }
        };
        if q.agents.is_empty() {
            ck.problem(
                format!("{qp}.agents"),
                "a queue needs at least one member ({\"agent\": level})",
            );
        }
        // Members in the portal's agent order: a queue's `Strictly` order is
        // the order agents are listed in, whatever the map's key order.
        let mut members = Vec::with_capacity(q.agents.len());
        for (name, &level) in &q.agents {
            match agent_ix.get(name.as_str()) {
                Some(&agent) => members.push(Member { agent, level }),
                None => ck.problem(
                    format!("{qp}.agents"),
                    format!(
                        "unknown agent '{name}'{}",
                        suggest(name, "agents", agent_names.iter().map(String::as_str), '\'')
                    ),
                ),
            }
        }
        members.sort_by_key(|m| m.agent);
        for m in &members {
            skills[m.agent as usize].push(Skill {
                queue: k as QueueIx,
                level: m.level,
            });
        }
        let overflow = q.overflow.as_ref().and_then(|o| {
            let op = format!("{qp}.overflow");
            let after = ck.positive(&format!("{op}.after_s"), o.after_s);
            let to = queue_ix(ck, format!("{op}.to"), &o.to)?;
            if to == k as QueueIx {
                ck.problem(
                    format!("{op}.to"),
                    format!("queue '{}' cannot overflow to itself", q.name),
                );
                return None;
            }
            Some(OverflowSpec {
                after: SimTime::from_secs_f64(after),
                to,
                mode: o.mode,
            })
        });
        queues.push(QueueSpec {
            name: q.name.clone(),
            policy: q.policy,
            ring_time: SimTime::from_secs_f64(ring_time_s),
            max_wait,
            no_answer,
            priority: q.priority,
            members,
            overflow,
        });
    }
    for (a, s) in skills.iter().enumerate() {
        if s.is_empty() {
            ck.problem(
                format!("{path}.queues"),
                format!(
                    "agent '{}' is in no queue (it would never take a call): add it to a queue's agents",
                    agent_names[a]
                ),
            );
        }
    }
    if let Some(cycle) = forwarding_cycle(&queues) {
        let names: Vec<&str> = cycle.iter().map(|&q| qnames[q as usize]).collect();
        ck.problem(
            format!("{path}.queues"),
            format!(
                "overflow / no-answer forwarding loops: {} (a call would move forever)",
                names.join(" -> ")
            ),
        );
    }

    // Lines: the portal's `inbound` is line 0, to the first queue.
    let class_names: Vec<&str> = classes.iter().map(|c| c.name.as_str()).collect();
    let mut lines = vec![LineSpec {
        name: "inbound".into(),
        queue: 0,
        arrivals: super::validate::arrivals(ck, &format!("{path}.inbound"), &p.inbound.arrivals),
        talk: ck.sampler(&format!("{path}.inbound.talk_s"), &p.inbound.talk_s),
        patience: p
            .inbound
            .patience_s
            .as_ref()
            .map(|d| ck.sampler(&format!("{path}.inbound.patience_s"), d)),
        class_cdf: vec![],
    }];
    for (k, l) in p.lines.iter().enumerate() {
        let lp = format!("{path}.lines.{k}");
        if l.name.is_empty() || l.name == "inbound" {
            ck.problem(
                format!("{lp}.name"),
                "a line needs a name other than 'inbound' (the portal's own inbound traffic)",
            );
        } else if p.lines[..k].iter().any(|x| x.name == l.name) {
            ck.problem(
                format!("{lp}.name"),
                format!("duplicate line name '{}'", l.name),
            );
        }
        let queue = queue_ix(ck, format!("{lp}.queue"), &l.queue).unwrap_or(0);
        let mut class_cdf = Vec::with_capacity(l.classes.len());
        let mut total = 0.0;
        for (name, &share) in &l.classes {
            let Some(c) = class_names.iter().position(|&n| n == name) else {
                ck.problem(
                    format!("{lp}.classes"),
                    format!(
                        "unknown class '{name}'{}",
                        suggest(name, "classes", class_names.iter().copied(), '\'')
                    ),
                );
                continue;
            };
            if !(0.0..=1.0).contains(&share) {
                ck.problem(
                    format!("{lp}.classes"),
                    format!("share of '{name}' must be in [0, 1], got {share}"),
                );
                continue;
            }
            total += share;
            class_cdf.push((total, c as ClassIx));
        }
        if total > 1.0 + 1e-9 {
            ck.problem(
                format!("{lp}.classes"),
                format!("class shares add up to {total}, more than 1"),
            );
        }
        lines.push(LineSpec {
            name: l.name.clone(),
            queue,
            arrivals: super::validate::arrivals(ck, &lp, &l.arrivals),
            talk: ck.sampler(&format!("{lp}.talk_s"), &l.talk_s),
            patience: l
                .patience_s
                .as_ref()
                .map(|d| ck.sampler(&format!("{lp}.patience_s"), d)),
            class_cdf,
        });
    }
    Some(Box::new(QueuesSpec {
        queues,
        lines,
        classes,
        router: p.router,
        skills,
    }))
}

/// A loop in the graph whose edges are each queue's overflow target and
/// no-answer forward target, as the queues along it (first repeated last),
/// or `None`. Without one, a call changes queue at most `queues − 1` times.
pub fn forwarding_cycle(queues: &[QueueSpec]) -> Option<Vec<QueueIx>> {
    let n = queues.len();
    let next = |q: usize| {
        let a = queues[q].overflow.map(|o| o.to);
        let b = match queues[q].no_answer {
            QueueNoAnswer::ToQueue(t) => Some(t),
            QueueNoAnswer::Rule(_) => None,
        };
        a.into_iter().chain(b)
    };
    // Colours: 0 unseen, 1 on the stack, 2 done.
    let mut colour = vec![0u8; n];
    let mut stack: Vec<QueueIx> = Vec::new();
    fn dfs(
        q: usize,
        colour: &mut [u8],
        stack: &mut Vec<QueueIx>,
        next: &dyn Fn(
            usize,
        ) -> std::iter::Chain<
            std::option::IntoIter<QueueIx>,
            std::option::IntoIter<QueueIx>,
        >,
    ) -> Option<Vec<QueueIx>> {
        colour[q] = 1;
        stack.push(q as QueueIx);
        for t in next(q) {
            let t = t as usize;
            if colour[t] == 1 {
                let from = stack.iter().position(|&s| s as usize == t).unwrap_or(0);
                let mut cycle = stack[from..].to_vec();
                cycle.push(t as QueueIx);
                return Some(cycle);
            }
            if colour[t] == 0 {
                if let Some(c) = dfs(t, colour, stack, next) {
                    return Some(c);
                }
            }
        }
        stack.pop();
        colour[q] = 2;
        None
    }
    (0..n).find_map(|q| {
        if colour[q] == 0 {
            dfs(q, &mut colour, &mut stack, &next)
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use crate::model_from_str;

    fn scenario(queues: &str, extra: &str) -> String {
        format!(
            r#"Scenario(name: "q", duration_s: 3600.0, portals: [Portal(
                name: "shop", agents: ["ann", "bob", "cid"],
                inbound: Traffic(arrivals: Poisson(per_hour: 60.0), talk_s: Exp(mean: 60.0)),
                queues: [{queues}], {extra})])"#
        )
    }

    fn problems(text: &str) -> String {
        match model_from_str(text, "q.ron") {
            Err(e) => e.to_string(),
            Ok(_) => panic!("expected problems in {text}"),
        }
    }

    const TWO: &str = r#"QueueDef(name: "sales", agents: {"ann": 1, "bob": 2}),
        QueueDef(name: "support", policy: LongestIdle, priority: 2,
                 agents: {"bob": 1, "cid": 3},
                 overflow: Some(Overflow(after_s: 30.0, to: "sales")))"#;

    #[test]
    fn queues_lines_and_classes_become_indices() {
        let text = scenario(
            TWO,
            r#"classes: [CallClass(name: "vip", priority: 5)],
               router: SkillLevel,
               lines: [Line(name: "help", queue: "support",
                            arrivals: Poisson(per_hour: 30.0), talk_s: Exp(mean: 200.0),
                            classes: {"vip": 0.25})]"#,
        );
        let m = model_from_str(&text, "q.ron").unwrap();
        let q = m.portals[0].queues.as_ref().unwrap();
        assert_eq!(q.queues.len(), 2);
        assert_eq!(q.queues[1].overflow.unwrap().to, 0);
        let skills: Vec<Vec<(u16, u32)>> = q
            .skills
            .iter()
            .map(|s| s.iter().map(|k| (k.queue, k.level)).collect())
            .collect();
        assert_eq!(
            skills,
            vec![vec![(0, 1)], vec![(0, 2), (1, 1)], vec![(1, 3)]]
        );
        assert_eq!(q.lines.len(), 2, "inbound is line 0");
        assert_eq!((q.lines[0].queue, q.lines[1].queue), (0, 1));
        assert_eq!(q.lines[1].class_cdf, vec![(0.25, 1)]);
        assert_eq!(q.classes[0].name, "normal");
        // Offered load: 60/h × 60 s = 1 E to sales, 30/h × 200 s to support.
        let a = q.offered_erlangs();
        assert!((a[0] - 1.0).abs() < 1e-12 && (a[1] - 30.0 * 200.0 / 3600.0).abs() < 1e-12);
    }

    #[test]
    fn a_portal_without_queues_has_no_queue_spec() {
        let text = r#"Scenario(name: "q", duration_s: 3600.0, portals: [Portal(
            name: "shop", agents: 2,
            inbound: Traffic(arrivals: Poisson(per_hour: 60.0), talk_s: Exp(mean: 60.0)))])"#;
        assert!(model_from_str(text, "q.ron").unwrap().portals[0]
            .queues
            .is_none());
    }

    #[test]
    fn unknown_names_are_located_with_a_suggestion() {
        let e = problems(&scenario(
            r#"QueueDef(name: "sales", agents: {"ann": 1, "bbo": 1, "cid": 1},
                        overflow: Some(Overflow(after_s: 5.0, to: "sale")))"#,
            r#"lines: [Line(name: "l", queue: "slaes", arrivals: Poisson(per_hour: 1.0),
                            talk_s: Const(1.0), classes: {"vpi": 0.1})],
               classes: [CallClass(name: "vip", priority: 1)]"#,
        ));
        assert!(
            e.contains("unknown agent 'bbo': did you mean 'bob'?"),
            "{e}"
        );
        assert!(
            e.contains("unknown queue 'sale': did you mean 'sales'?"),
            "{e}"
        );
        assert!(
            e.contains("unknown queue 'slaes': did you mean 'sales'?"),
            "{e}"
        );
        assert!(
            e.contains("unknown class 'vpi': did you mean 'vip'?"),
            "{e}"
        );
        assert!(e.contains("portals.shop.queues.0.overflow.to"), "{e}");
        assert!(e.contains("portals.shop.lines.0.queue"), "{e}");
        assert!(e.contains("agent 'bob' is in no queue"), "{e}");
    }

    #[test]
    fn forwarding_loops_are_refused() {
        let e = problems(&scenario(
            r#"QueueDef(name: "a", agents: {"ann": 1, "bob": 1, "cid": 1},
                        overflow: Some(Overflow(after_s: 5.0, to: "b"))),
               QueueDef(name: "b", agents: {"ann": 1}, no_answer: ToQueue("c")),
               QueueDef(name: "c", agents: {"bob": 1}, overflow: Some(Overflow(after_s: 5.0, to: "a", mode: Move)))"#,
            "",
        ));
        assert!(e.contains("loops: a -> b -> c -> a"), "{e}");
        // A chain without a loop is fine.
        let ok = scenario(
            r#"QueueDef(name: "a", agents: {"ann": 1, "bob": 1, "cid": 1},
                        overflow: Some(Overflow(after_s: 5.0, to: "b"))),
               QueueDef(name: "b", agents: {"ann": 1}, no_answer: ToQueue("c")),
               QueueDef(name: "c", agents: {"bob": 1})"#,
            "",
        );
        model_from_str(&ok, "q.ron").unwrap();
    }

    #[test]
    fn lines_and_classes_need_queues_and_shares_are_bounded() {
        let text = r#"Scenario(name: "q", duration_s: 3600.0, portals: [Portal(
            name: "shop", agents: 2,
            inbound: Traffic(arrivals: Poisson(per_hour: 60.0), talk_s: Exp(mean: 60.0)),
            classes: [CallClass(name: "vip", priority: 1)])])"#;
        assert!(problems(text).contains("declare the portal's `queues` too"));
        let e = problems(&scenario(
            TWO,
            r#"classes: [CallClass(name: "vip", priority: 1), CallClass(name: "cb", priority: 1)],
               lines: [Line(name: "l", queue: "sales", arrivals: Poisson(per_hour: 1.0),
                            talk_s: Const(1.0), classes: {"vip": 0.7, "cb": 0.6})]"#,
        ));
        assert!(e.contains("class shares add up to"), "{e}");
    }
}
