//! Validation of the business side of a portal (scenario steps, outbound
//! calls, money) and of the controller: each field checked with its path,
//! numbers normalised and rated once here so the event loop never parses.

use crate::engine::{Sampler, SimTime};
use crate::model::{
    ControllerSpec, DestinationSpec, DevicesSpec, MoneySpec, OutboundSpec, RolloutSpec, StepsSpec,
    TopUpRule, TopUpSpec, TransfersSpec,
};
use crate::money::{to_minor, AlertRule, Calendar, Rate, TariffTable, Weekday};
use crate::numbering;

use super::diagnostics::Diagnostics;
use super::types::{AlertRuleSpec, Currency, Portal, Scenario, TopUpAmount};
use super::validate::SamplerCheck;

/// A share in [0, 1].
fn share(ck: &mut Diagnostics, path: &str, v: f64) -> f64 {
    if !(0.0..=1.0).contains(&v) {
        ck.problem(path, format!("must be a share in [0, 1], got {v}"));
        return 0.0;
    }
    v
}

/// The country calling code a portal's national numbers belong to.
pub fn country_of(ck: &mut Diagnostics, path: &str, p: &Portal) -> String {
    match &p.country {
        Some(c) => {
            if !numbering::is_country_code(c) {
                ck.problem(
                    format!("{path}.country"),
                    format!("must be the calling code of a country (7, 380, 1, 49), got '{c}'"),
                );
            }
            c.clone()
        }
        None => match p.currency {
            Currency::RUB => "7",
            Currency::UAH => "380",
            Currency::USD => "1",
            Currency::EUR => "49",
        }
        .to_string(),
    }
}

pub fn steps(ck: &mut Diagnostics, path: &str, p: &Portal, start: Weekday) -> StepsSpec {
    let tz = p.timezone_h;
    if !tz.is_finite() || !(-12.0..=14.0).contains(&tz) {
        ck.problem(
            format!("{path}.timezone_h"),
            format!("must be between -12 and 14 hours, got {tz}"),
        );
    }
    let tz = if tz.is_finite() {
        tz.clamp(-12.0, 14.0)
    } else {
        0.0
    };
    let (calendar, after_hours) = match &p.worktime {
        None => (Calendar::always(start, tz), None),
        Some(w) => {
            let wp = format!("{path}.worktime");
            if w.days.is_empty() {
                ck.problem(format!("{wp}.days"), "needs at least one working weekday");
            }
            let ok_h = |h: f64| h.is_finite() && (0.0..=24.0).contains(&h);
            if !ok_h(w.open_h) || !ok_h(w.close_h) || w.open_h >= w.close_h {
                ck.problem(
                    &wp,
                    format!(
                        "opening hours must satisfy 0 <= open_h < close_h <= 24, got {}–{}",
                        w.open_h, w.close_h
                    ),
                );
            }
            let length = ck.sampler(&format!("{wp}.after_hours_s"), &w.after_hours_s);
            let days = if w.days.is_empty() {
                Weekday::ALL.to_vec()
            } else {
                w.days.clone()
            };
            let (open, close) = if ok_h(w.open_h) && ok_h(w.close_h) && w.open_h < w.close_h {
                (w.open_h, w.close_h)
            } else {
                (0.0, 24.0)
            };
            if w.holidays.len() > 100_000 {
                ck.problem(format!("{wp}.holidays"), "at most 100000 holidays");
            }
            (
                Calendar::new(&days, open, close, &w.holidays, tz, start),
                Some((w.after_hours, length)),
            )
        }
    };
    let greeting = p
        .greeting_s
        .as_ref()
        .map(|d| ck.sampler(&format!("{path}.greeting_s"), d));
    let extensions = p.extensions.as_ref().map(|e| {
        let ep = format!("{path}.extensions");
        (
            ck.sampler(&format!("{ep}.listen_s"), &e.listen_s),
            share(ck, &format!("{ep}.share"), e.share),
            e.fallback,
        )
    });
    let crm = p.crm.as_ref().map(|c| {
        (
            share(ck, &format!("{path}.crm.known_share"), c.known_share),
            c.fallback,
        )
    });
    StepsSpec {
        calendar,
        after_hours,
        blacklist_share: share(ck, &format!("{path}.blacklist_share"), p.blacklist_share),
        greeting,
        extensions,
        crm,
    }
}

fn rate(ck: &mut Diagnostics, path: &str, per_min: f64, increment_s: u32, connection: f64) -> Rate {
    let per_min = ck.non_negative(&format!("{path}.per_min"), per_min);
    let connection = ck.non_negative(&format!("{path}.connection"), connection);
    if increment_s == 0 || increment_s > 3600 {
        ck.problem(
            format!("{path}.increment_s"),
            format!("must be 1 to 3600 seconds, got {increment_s}"),
        );
    }
    Rate {
        per_min: per_min.max(0.0) * 100.0,
        increment_s: increment_s.clamp(1, 3600),
        connection: to_minor(connection.max(0.0)),
    }
}

/// Largest amount accepted anywhere (a trillion): beyond it minor units
/// would lose exactness in the f64 the file gives.
const MAX_AMOUNT: f64 = 1e12;

fn amount(ck: &mut Diagnostics, path: &str, v: f64) -> f64 {
    if !v.is_finite() || v.abs() > MAX_AMOUNT {
        ck.problem(
            path,
            format!("must be a finite amount within ±{MAX_AMOUNT:e}, got {v}"),
        );
        return 0.0;
    }
    v
}

pub fn outbound(
    ck: &mut Diagnostics,
    path: &str,
    p: &Portal,
    country: &str,
) -> Option<OutboundSpec> {
    let o = p.outbound.as_ref()?;
    let op = format!("{path}.outbound");
    let per_h = ck.non_negative(&format!("{op}.per_agent_per_hour"), o.per_agent_per_hour);
    if per_h > 3600.0 {
        ck.problem(
            format!("{op}.per_agent_per_hour"),
            format!("at most 3600 calls per agent per hour, got {per_h}"),
        );
    }
    let tariffs = TariffTable::new(
        p.tariffs
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let tp = format!("{path}.tariffs.{i}");
                if !t.prefix.bytes().all(|b| b.is_ascii_digit()) {
                    ck.problem(
                        format!("{tp}.prefix"),
                        format!(
                            "must be international digits without '+', got '{}'",
                            t.prefix
                        ),
                    );
                }
                (
                    t.prefix.clone(),
                    rate(ck, &tp, t.per_min, t.increment_s, t.connection),
                )
            })
            .collect(),
    );
    if o.destinations.is_empty() {
        ck.problem(
            format!("{op}.destinations"),
            "needs at least one destination",
        );
    }
    if let numbering::TrunkFormat::National { country: c } = &o.trunk {
        if !numbering::is_country_code(c) {
            ck.problem(
                format!("{op}.trunk.country"),
                format!("must be the calling code of a country (7, 380, 1, 49), got '{c}'"),
            );
        }
    }
    // A bad home country is reported once, at `country`, not per number.
    let home_ok = numbering::is_country_code(country);
    let mut destinations = Vec::new();
    let mut cumulative = Vec::new();
    let mut total = 0.0;
    for (i, d) in o.destinations.iter().enumerate() {
        let dp = format!("{op}.destinations.{i}");
        let w = ck.non_negative(&format!("{dp}.share"), d.share);
        total += w.max(0.0);
        cumulative.push(total);
        match numbering::normalise(&d.number, country) {
            Err(numbering::NumberError::HomeCountry { .. }) if !home_ok => {}
            Err(e) => ck.problem(format!("{dp}.number"), format!("'{}': {e}", d.number)),
            Ok(digits) => match tariffs.rate(&digits) {
                None => ck.problem(
                    format!("{dp}.number"),
                    format!(
                        "no tariff of portal '{}' matches {digits} (add a Tariff with a prefix of it, or prefix \"\" for all)",
                        p.name
                    ),
                ),
                Some((prefix, rate)) => destinations.push(DestinationSpec {
                    dialled: d.number.clone(),
                    sent: numbering::format(&digits, &o.trunk),
                    prefix: prefix.to_string(),
                    digits,
                    rate,
                }),
            },
        }
    }
    if total <= 0.0 && !o.destinations.is_empty() {
        ck.problem(format!("{op}.destinations"), "shares must not all be zero");
    }
    for c in &mut cumulative {
        *c /= total.max(f64::MIN_POSITIVE);
    }
    let answer_prob = share(ck, &format!("{op}.answer_prob"), o.answer_prob);
    Some(OutboundSpec {
        per_agent_s: per_h.max(0.0) / 3600.0,
        talk: ck.sampler(&format!("{op}.talk_s"), &o.talk_s),
        answer_prob,
        ring: ck.sampler(&format!("{op}.ring_s"), &o.ring_s),
        destinations,
        cumulative,
        via_pbx: o.via_pbx,
    })
}

pub fn money(ck: &mut Diagnostics, path: &str, p: &Portal) -> MoneySpec {
    let start = to_minor(amount(ck, &format!("{path}.balance"), p.balance));
    let inbound = rate(ck, path, p.inbound_per_min, 60, 0.0);
    let fee = amount(ck, &format!("{path}.number_fee_month"), p.number_fee_month);
    if fee < 0.0 {
        ck.problem(format!("{path}.number_fee_month"), "must not be negative");
    }
    let alert = p.alert.as_ref().map(|a| match a {
        AlertRuleSpec::Fixed { threshold } => AlertRule::Fixed {
            threshold: to_minor(amount(ck, &format!("{path}.alert.threshold"), *threshold)),
        },
        AlertRuleSpec::Adaptive {
            days_of_cover,
            window_days,
        } => {
            let d = ck.positive(&format!("{path}.alert.days_of_cover"), *days_of_cover);
            if *window_days == 0 || *window_days > 366 {
                ck.problem(
                    format!("{path}.alert.window_days"),
                    format!("must be 1 to 366 days, got {window_days}"),
                );
            }
            AlertRule::Adaptive {
                days_of_cover: d.clamp(0.0, 1e6),
                window_days: (*window_days).clamp(1, 366),
            }
        }
    });
    let alert_repeat = p.alert_repeat_h.map(|h| {
        let h = ck.positive(&format!("{path}.alert_repeat_h"), h);
        SimTime::from_secs_f64(h.max(0.01) * 3600.0)
    });
    let topup = p.topup.as_ref().map(|t| TopUpSpec {
        delay_h: ck.sampler(&format!("{path}.topup.delay_h"), &t.delay_h),
        amount: match t.amount {
            TopUpAmount::Fixed(a) => {
                let a = amount(ck, &format!("{path}.topup.amount"), a);
                let a = ck.positive(&format!("{path}.topup.amount"), a);
                TopUpRule::Fixed(to_minor(a.max(0.0)))
            }
            TopUpAmount::Cover { days, min } => TopUpRule::Cover {
                days: ck
                    .positive(&format!("{path}.topup.amount.days"), days)
                    .clamp(0.0, 1e6),
                min: {
                    let m = amount(ck, &format!("{path}.topup.amount.min"), min);
                    to_minor(
                        ck.non_negative(&format!("{path}.topup.amount.min"), m)
                            .max(0.0),
                    )
                },
            },
        },
    });
    MoneySpec {
        start,
        inbound,
        monthly_fee: to_minor(fee.max(0.0)) * i64::from(p.numbers.min(1_000_000)),
        cut_on_zero: p.cut_on_zero,
        alert,
        alert_repeat,
        topup,
    }
}

pub fn controller(ck: &mut Diagnostics, sc: &Scenario, duration_s: f64) -> Option<ControllerSpec> {
    let c = sc.controller.as_ref()?;
    let path = "controller";
    if c.workers == 0 || c.workers > 100_000 {
        ck.problem(
            format!("{path}.workers"),
            format!("must be 1 to 100000, got {}", c.workers),
        );
    }
    let s = |ck: &mut Diagnostics, f: &str, d| -> Sampler { ck.sampler(&format!("{path}.{f}"), d) };
    let service = [
        s(ck, "provision_s", &c.provision_s),
        s(ck, "lookup_s", &c.lookup_s),
        s(ck, "stats_s", &c.stats_s),
        s(ck, "balance_s", &c.balance_s),
        s(ck, "upgrade_s", &c.upgrade_s),
    ];
    let timeout = ck.positive(&format!("{path}.timeout_s"), c.timeout_s);
    let cache_ttl = c
        .cache_ttl_s
        .map(|t| SimTime::from_secs_f64(ck.positive(&format!("{path}.cache_ttl_s"), t)));
    let polls = ck.non_negative(
        &format!("{path}.balance_polls_per_portal_h"),
        c.balance_polls_per_portal_h,
    );
    if polls > 3600.0 {
        // Beyond one a second per portal the polls would outnumber
        // everything else, and at absurd rates fall below the clock's
        // microsecond.
        ck.problem(
            format!("{path}.balance_polls_per_portal_h"),
            format!("at most 3600 balance polls per portal per hour, got {polls:e}"),
        );
    }
    let mut rollouts = Vec::new();
    for (i, r) in c.rollouts.iter().enumerate() {
        let rp = format!("{path}.rollouts.{i}");
        if !r.at_s.is_finite() || r.at_s < 0.0 || r.at_s > duration_s {
            ck.problem(
                format!("{rp}.at_s"),
                format!(
                    "must be within [0, duration_s = {duration_s}], got {}",
                    r.at_s
                ),
            );
        }
        if let Some(prev) = c.rollouts[..i].last() {
            if r.version <= prev.version || r.at_s < prev.at_s {
                ck.problem(
                    format!("{rp}.version"),
                    "rollouts must come in time order with increasing versions",
                );
            }
        }
        if r.version < 2 {
            ck.problem(
                format!("{rp}.version"),
                "accounts start on version 1: publish 2 or later",
            );
        }
        let eager = r.eager_per_s.map(|x| {
            let x = ck.positive(&format!("{rp}.eager_per_s"), x);
            if x > 1e6 {
                ck.problem(
                    format!("{rp}.eager_per_s"),
                    "at most 1000000 upgrades per second",
                );
            }
            x.clamp(1e-9, 1e6)
        });
        rollouts.push(RolloutSpec {
            at: SimTime::from_secs_f64(r.at_s.clamp(0.0, duration_s.max(0.0))),
            version: r.version,
            eager_per_s: eager,
        });
    }
    let mut slowdowns = Vec::new();
    for (i, w) in c.slowdowns.iter().enumerate() {
        let wp = format!("{path}.slowdowns.{i}");
        let from = ck.non_negative(&format!("{wp}.from_s"), w.from_s);
        let until = ck.non_negative(&format!("{wp}.until_s"), w.until_s);
        if from >= until {
            ck.problem(
                &wp,
                format!("from_s ({from}) must be before until_s ({until})"),
            );
        }
        let f = ck.positive(&format!("{wp}.factor"), w.factor);
        if f > 1e6 {
            ck.problem(format!("{wp}.factor"), "at most 1000000");
        }
        slowdowns.push((
            SimTime::from_secs_f64(from.max(0.0)),
            SimTime::from_secs_f64(until.max(0.0)),
            f.clamp(0.0, 1e6),
        ));
    }
    Some(ControllerSpec {
        workers: c.workers.clamp(1, 100_000),
        service,
        timeout: SimTime::from_secs_f64(timeout.max(0.0)),
        cache_ttl,
        balance_polls_per_portal_h: polls.max(0.0),
        rollouts,
        slowdowns,
    })
}

pub fn transfers(ck: &mut Diagnostics, path: &str, p: &Portal) -> Option<TransfersSpec> {
    let t = p.transfers.as_ref()?;
    let tp = format!("{path}.transfers");
    let n = match &p.agents {
        super::types::Agents::Count(n) => *n as usize,
        super::types::Agents::Named(v) => v.len(),
    };
    if n < 2 && t.share > 0.0 {
        ck.problem(
            &tp,
            "transfers need at least two agents (someone to transfer to)",
        );
    }
    Some(TransfersSpec {
        share: share(ck, &format!("{tp}.share"), t.share),
        attended_share: share(ck, &format!("{tp}.attended_share"), t.attended_share),
        after: ck.sampler(&format!("{tp}.after_s"), &t.after_s),
        consult: ck.sampler(&format!("{tp}.consult_s"), &t.consult_s),
        target_talk: ck.sampler(&format!("{tp}.target_talk_s"), &t.target_talk_s),
    })
}

/// SIP phones: the first `sip_phones` share of the agents (by position),
/// spread over the portal's SIP servers in turn.
pub fn devices(
    ck: &mut Diagnostics,
    path: &str,
    p: &Portal,
    agents: usize,
    sip_servers: &[u16],
) -> Option<DevicesSpec> {
    let d = p.devices.as_ref()?;
    let dp = format!("{path}.devices");
    let phones = share(ck, &format!("{dp}.sip_phones"), d.sip_phones);
    let expires = ck.positive(&format!("{dp}.expires_s"), d.expires_s);
    if expires.is_finite() && !(10.0..=604_800.0).contains(&expires) {
        ck.problem(
            format!("{dp}.expires_s"),
            format!("must be 10 s to 7 days, got {expires}"),
        );
    }
    let n = (phones * agents as f64).round() as usize;
    if n > 0 && sip_servers.is_empty() {
        ck.problem(
            format!("{dp}.sip_phones"),
            "SIP phones register with a SIP server: declare one (Server(kind: Sip, ..))",
        );
    }
    Some(DevicesSpec {
        phones: if sip_servers.is_empty() {
            vec![]
        } else {
            (0..n)
                .map(|k| (k as u32, sip_servers[k % sip_servers.len()]))
                .collect()
        },
        expires: SimTime::from_secs_f64(expires.clamp(10.0, 604_800.0)),
        retry: ck.sampler(&format!("{dp}.retry_s"), &d.retry_s),
    })
}
