//! Money in the platform: charging calls and number rent, balance alerts
//! and reminders, the owner's top-ups, and the controller's rollouts and
//! balance polls (the account-level traffic that is not a call).

use rand::Rng;

use crate::engine::{EventQueue, SimTime};
use crate::model::controller::{Reply, Request};
use crate::model::event::Event;
use crate::model::record::RecordSink;
use crate::money::Minor;

use super::Platform;

/// Per-portal money metrics whose platform value is the sum over portals
/// (`zero_balance_h`: the mean). All but `outbound` exist only with money.
const SUMMED: [crate::stats::Metric; 6] = [
    crate::stats::Metric::Outbound,
    crate::stats::Metric::RejectedBalance,
    crate::stats::Metric::Alerts,
    crate::stats::Metric::Reminders,
    crate::stats::Metric::ZeroBalanceH,
    crate::stats::Metric::TopUps,
];

impl<S: RecordSink> Platform<'_, S> {
    /// What runs besides calls: rent, the first alert check, rollouts and
    /// balance polls.
    pub(super) fn start_business(&mut self, q: &mut EventQueue<Event>) {
        let m = self.m;
        self.money.start(m, q, &mut self.deferred);
        if let Some(c) = &m.controller {
            for (i, r) in c.rollouts.iter().enumerate() {
                q.schedule_at(r.at, Event::Rollout(i as u16));
            }
            self.schedule_poll(SimTime::ZERO, q);
        }
        self.flush_deferred(q);
    }

    pub(super) fn flush_deferred(&mut self, q: &mut EventQueue<Event>) {
        for (t, e) in self.deferred.drain(..) {
            q.schedule_at(t, e);
        }
    }

    fn schedule_poll(&mut self, now: SimTime, q: &mut EventQueue<Event>) {
        let Some(c) = &self.m.controller else {
            return;
        };
        let rate = c.balance_polls_per_portal_h * self.portals.len() as f64 / 3600.0;
        if rate <= 0.0 {
            return;
        }
        let u: f64 = self.rng_polls.gen();
        // At least a microsecond later: the clock must move.
        let gap = SimTime::from_secs_f64(-(1.0 - u).ln() / rate).max(SimTime(1));
        let at = now + gap;
        if at < self.m.duration {
            q.schedule_at(at, Event::BalancePoll);
        }
    }

    /// A portal UI asks for the balance; an outdated account is upgraded on
    /// the way (the lazy rollout's other trigger).
    pub(super) fn on_balance_poll(&mut self, now: SimTime, q: &mut EventQueue<Event>) {
        self.schedule_poll(now, q);
        let p = self.rng_polls.gen_range(0..self.portals.len());
        let spec = self.m.controller.as_ref().expect("polls need a controller");
        let ctrl = self.ctrl.as_mut().expect("controller");
        ctrl.submit(spec, now, Request::Balance);
        if self.portals[p].version < self.version && self.portals[p].upgrade_ready <= now {
            self.upgrade(now, p);
        }
    }

    /// Submits an upgrade of portal `p`'s account to the current version.
    fn upgrade(&mut self, now: SimTime, p: usize) {
        let spec = self
            .m
            .controller
            .as_ref()
            .expect("rollouts need a controller");
        let ctrl = self.ctrl.as_mut().expect("controller");
        if let Reply::At(t) = ctrl.submit(spec, now, Request::Upgrade) {
            let pr = &mut self.portals[p];
            pr.version = self.version;
            pr.upgrade_ready = t;
            pr.upgraded_at = Some(t);
            ctrl.count(|k| k.upgraded += 1);
        }
    }

    pub(super) fn on_rollout(&mut self, now: SimTime, i: usize, q: &mut EventQueue<Event>) {
        let r = self
            .m
            .controller
            .as_ref()
            .expect("rollouts need a controller")
            .rollouts[i];
        self.version = r.version;
        if let Some(rate) = r.eager_per_s {
            self.eager_rate = rate;
            self.eager_cursor = 0;
            q.schedule_at(now, Event::EagerUpgrade);
        } else {
            self.eager_rate = 0.0;
        }
    }

    /// The eager rollout: one account after another at the set rate,
    /// skipping those a call already upgraded.
    pub(super) fn on_eager_upgrade(&mut self, now: SimTime, q: &mut EventQueue<Event>) {
        if self.eager_rate <= 0.0 {
            return; // a later lazy rollout replaced it
        }
        while self.eager_cursor < self.portals.len() {
            let p = self.eager_cursor;
            self.eager_cursor += 1;
            if self.portals[p].version < self.version {
                self.upgrade(now, p);
                if self.eager_cursor < self.portals.len() {
                    q.schedule_at(
                        now + SimTime::from_secs_f64(1.0 / self.eager_rate),
                        Event::EagerUpgrade,
                    );
                }
                return;
            }
        }
    }

    /// The call-finished statistics request every call makes at its end.
    pub(super) fn record_stats(&mut self, now: SimTime) {
        if let (Some(spec), Some(ctrl)) = (self.m.controller.as_ref(), self.ctrl.as_mut()) {
            ctrl.submit(spec, now, Request::Stats);
        }
    }
}

/// One `portals.csv` row: a portal's money, alerts and account state at the
/// end of a replication (whole run, warm-up included: balances have no
/// warm-up).
#[derive(Debug, Clone, PartialEq)]
pub struct PortalRow {
    pub portal: u16,
    pub start_balance: Minor,
    pub charged: Minor,
    pub charges: u64,
    pub topped_up: Minor,
    pub topups: u32,
    pub end_balance: Minor,
    pub outbound: super::OutboundCounts,
    pub alert_rule: Option<&'static str>,
    /// Warning messages sent: first alerts of episodes plus reminders.
    pub alerts: u32,
    pub reminders: u32,
    /// Mean warning lead time over alerts whose money ran out in the run.
    pub mean_lead: Option<SimTime>,
    pub leads_censored: usize,
    pub zero_balance: SimTime,
    pub exhaustions: u32,
    pub provisioned_at: Option<SimTime>,
    pub version: u32,
    pub upgraded_at: Option<SimTime>,
    pub lookups: u32,
    pub cache_hits: u32,
}

impl<S: RecordSink> Platform<'_, S> {
    pub(super) fn portal_rows(&self) -> Vec<PortalRow> {
        let end = self.m.duration;
        self.portals
            .iter()
            .enumerate()
            .map(|(p, pr)| {
                let pm = &self.money.portals[p];
                let w = &pm.wallet;
                debug_assert!(w.conserved());
                let a = pm.alerts.as_ref();
                PortalRow {
                    portal: p as u16,
                    start_balance: w.start,
                    charged: w.charged,
                    charges: w.charges,
                    topped_up: w.topped_up,
                    topups: w.topups,
                    end_balance: w.balance,
                    outbound: pr.outbound,
                    alert_rule: a.map(|a| a.rule.name()),
                    alerts: a.map_or(0, |a| a.sent + a.reminders),
                    reminders: a.map_or(0, |a| a.reminders),
                    mean_lead: a
                        .filter(|a| a.leads > 0)
                        .map(|a| SimTime::from_secs_f64(a.lead_sum_s / f64::from(a.leads))),
                    leads_censored: a.map_or(0, |a| a.censored()),
                    zero_balance: w.zero_time_until(end),
                    exhaustions: w.exhaustions,
                    provisioned_at: pr.provisioned,
                    version: pr.version,
                    upgraded_at: pr.upgraded_at,
                    lookups: pr.lookups,
                    cache_hits: pr.cache_hits,
                }
            })
            .collect()
    }

    /// Money, alert and controller metrics of the replication, per portal
    /// and summed (or pooled) for the platform.
    pub(super) fn business_metrics(&self, metrics: &mut [crate::stats::MetricValues]) {
        use crate::stats::Metric as M;
        let end = self.m.duration;
        let (mut lead_sum, mut leads) = (0.0, 0u32);
        let mut sums = [0.0f64; 6];
        for (p, pr) in self.portals.iter().enumerate() {
            let v = &mut metrics[1 + p];
            let pm = &self.money.portals[p];
            let a = pm.alerts.as_ref();
            let vals = [
                pr.outbound.calls as f64,
                pr.outbound.rejected_balance as f64,
                a.map_or(0, |a| a.sent + a.reminders) as f64,
                a.map_or(0, |a| a.reminders) as f64,
                pm.wallet.zero_time_until(end).as_secs_f64() / 3600.0,
                pm.wallet.topups as f64,
            ];
            for (k, (m, x)) in SUMMED.iter().zip(vals).enumerate() {
                // Without money there are no balances, alerts or top-ups:
                // their metrics are undefined, not zero.
                if self.money.active || k == 0 {
                    v[*m as usize] = Some(x);
                }
                sums[k] += x;
            }
            if let Some(a) = a.filter(|a| a.leads > 0) {
                v[M::MeanLeadH as usize] = Some(a.lead_sum_s / f64::from(a.leads) / 3600.0);
                lead_sum += a.lead_sum_s;
                leads += a.leads;
            }
            let looks = pr.lookups + pr.cache_hits;
            if self.ctrl.is_some() && looks > 0 {
                v[M::CacheHitRatio as usize] = Some(f64::from(pr.cache_hits) / f64::from(looks));
            }
        }
        let v = &mut metrics[0];
        for (k, (m, x)) in SUMMED.iter().zip(sums).enumerate() {
            if self.money.active || k == 0 {
                // Hours at zero do not add up across portals: the platform's
                // value is the mean per portal.
                let portals = self.portals.len().max(1) as f64;
                v[*m as usize] = Some(if *m == M::ZeroBalanceH {
                    x / portals
                } else {
                    x
                });
            }
        }
        if leads > 0 {
            v[M::MeanLeadH as usize] = Some(lead_sum / f64::from(leads) / 3600.0);
        }
        if let Some(c) = self.ctrl.as_ref().map(|c| c.total) {
            let n = c.total_requests();
            v[M::CtrlRequests as usize] = Some(f64::from(n));
            v[M::CtrlTimeouts as usize] = Some(f64::from(c.timeouts));
            if n > 0 {
                v[M::CtrlMeanWaitMs as usize] = Some(c.wait_us as f64 / f64::from(n) / 1000.0);
                v[M::CtrlMaxWaitMs as usize] = Some(c.max_wait_us as f64 / 1000.0);
            }
            let looks = c.cache_hits + c.cache_misses;
            if looks > 0 {
                v[M::CacheHitRatio as usize] = Some(f64::from(c.cache_hits) / f64::from(looks));
            }
            v[M::Upgraded as usize] = Some(f64::from(c.upgraded));
        }
    }
}
