//! Money in the platform: charging calls and number rent, balance alerts
//! and reminders, the owner's top-ups, and the controller's rollouts and
//! balance polls (the account-level traffic that is not a call).

use rand::Rng;

use crate::engine::{EventQueue, SimTime};
use crate::model::call::{Call, Direction};
use crate::model::controller::{Reply, Request};
use crate::model::event::Event;
use crate::model::record::RecordSink;
use crate::model::spec::TopUpRule;
use crate::money::{AlertEvent, AlertKind, Minor, Rate};

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

/// Number rent falls due every 30 days from the start.
const MONTH: SimTime = SimTime(30 * 86_400 * 1_000_000);

impl<S: RecordSink> Platform<'_, S> {
    /// Charges a finished call's talk at its rate; returns the charge.
    pub(super) fn bill(&mut self, now: SimTime, p: usize, call: &Call, talk: SimTime) -> Minor {
        let rate = self.rate_of(p, call);
        if rate.is_free() {
            return 0;
        }
        let amount = rate.charge(talk);
        self.charge(now, p, amount);
        amount
    }

    /// Settles the credit a prepaid call held (see `Wallet::reserve`):
    /// `charged` is what `bill` took.
    #[cold]
    #[inline(never)]
    pub(super) fn settle_reservation(&mut self, slot: u32, p: usize, charged: Minor) {
        let held = self
            .reservations
            .get_mut(slot as usize)
            .and_then(Option::take);
        if let Some(h) = held {
            self.portals[p].wallet.settle(h, charged);
        }
    }

    pub(super) fn rate_of(&self, p: usize, call: &Call) -> Rate {
        let spec = &self.m.portals[p];
        match (call.direction, &spec.outbound) {
            (Direction::Outbound, Some(o)) => o.destinations[call.target as usize].rate,
            _ => spec.money.inbound,
        }
    }

    /// Takes `amount` from portal `p`: alerts settle their lead times, an
    /// emptied balance calls the owner, and the alert rule is checked.
    pub(super) fn charge(&mut self, now: SimTime, p: usize, amount: Minor) {
        if amount == 0 {
            return;
        }
        let cal = &self.m.portals[p].steps.calendar;
        let pr = &mut self.portals[p];
        let emptied = pr.wallet.charge(now, cal.day(now), amount);
        if let Some(a) = pr.alerts.as_mut() {
            let log = &mut self.alert_log;
            a.settle(now, amount, &mut |row, lead| log[row].lead = Some(lead));
        }
        if emptied {
            let balance = pr.wallet.balance;
            self.log_money(now, p, AlertKind::Exhausted, balance, None, None);
            self.owner_reacts(now, p);
        }
        self.check_alert(now, p);
    }

    fn threshold(&self, now: SimTime, p: usize) -> Option<Minor> {
        let cal = &self.m.portals[p].steps.calendar;
        let pr = &self.portals[p];
        pr.alerts
            .as_ref()
            .map(|a| a.rule.threshold(&pr.wallet.spend, cal.day(now), cal))
    }

    /// Opens an alert episode when the balance is below the rule's
    /// threshold (sending the alert, starting reminders, calling the owner),
    /// closes it when the balance is back above.
    pub(super) fn check_alert(&mut self, now: SimTime, p: usize) {
        let Some(threshold) = self.threshold(now, p) else {
            return;
        };
        let row = self.alert_log.len();
        let pr = &mut self.portals[p];
        let balance = pr.wallet.balance;
        let a = pr.alerts.as_mut().expect("threshold implies alerts");
        if a.check(now, balance, threshold, row) {
            self.log_money(now, p, AlertKind::Alert, balance, Some(threshold), None);
            self.schedule_reminder(now, p);
            self.owner_reacts(now, p);
        }
    }

    pub(super) fn on_alert_repeat(&mut self, now: SimTime, p: usize, _q: &mut EventQueue<Event>) {
        if self.portals[p].reminder_at != now {
            return; // superseded by a later episode's reminder
        }
        let Some(threshold) = self.threshold(now, p) else {
            return;
        };
        let pr = &mut self.portals[p];
        let balance = pr.wallet.balance;
        let a = pr.alerts.as_mut().expect("threshold implies alerts");
        if !a.below || balance >= threshold {
            a.below = balance < threshold && a.below;
            pr.reminder_at = SimTime::MAX;
            return;
        }
        a.reminders += 1;
        self.log_money(now, p, AlertKind::Reminder, balance, Some(threshold), None);
        self.schedule_reminder(now, p);
    }

    /// The next reminder of an open episode, within the simulated period
    /// (money events stop at `duration_s`; the drain only lets calls end).
    fn schedule_reminder(&mut self, now: SimTime, p: usize) {
        if let Some(repeat) = self.m.portals[p].money.alert_repeat {
            let at = now + repeat;
            if at < self.m.duration {
                self.portals[p].reminder_at = at;
                self.deferred
                    .push((at, Event::AlertRepeat { portal: p as u16 }));
            }
        }
    }

    /// The owner acts on the first alert of an episode or on running dry
    /// (reminders inside an episode are ignored): one payment at a time,
    /// after a reaction delay, at the next working moment of the portal.
    fn owner_reacts(&mut self, now: SimTime, p: usize) {
        let spec = &self.m.portals[p];
        let Some(topup) = &spec.money.topup else {
            return;
        };
        let pr = &mut self.portals[p];
        if pr.topup_pending {
            return;
        }
        let delay_s = topup.delay_h.sample_secs(&mut pr.rng_money) * 3600.0;
        let at = spec
            .steps
            .calendar
            .next_open(now + SimTime::from_secs_f64(delay_s));
        if at >= self.m.duration {
            return; // after the simulated period (or never open)
        }
        pr.topup_pending = true;
        self.deferred.push((at, Event::TopUp { portal: p as u16 }));
    }

    pub(super) fn on_top_up(&mut self, now: SimTime, p: usize, _q: &mut EventQueue<Event>) {
        let spec = &self.m.portals[p];
        let Some(topup) = &spec.money.topup else {
            return;
        };
        let cal = &spec.steps.calendar;
        let pr = &mut self.portals[p];
        pr.topup_pending = false;
        let amount = match topup.amount {
            TopUpRule::Fixed(a) => a,
            TopUpRule::Cover { days, min } => {
                let per_day = pr.wallet.spend.per_working_day(cal.day(now), 7, cal);
                ((days * per_day).ceil() as Minor).max(min)
            }
        };
        pr.wallet.top_up(now, amount);
        let balance = pr.wallet.balance;
        self.log_money(now, p, AlertKind::TopUp, balance, None, Some(amount));
        self.check_alert(now, p);
    }

    pub(super) fn on_monthly_fees(&mut self, now: SimTime, q: &mut EventQueue<Event>) {
        for p in 0..self.portals.len() {
            let fee = self.m.portals[p].money.monthly_fee;
            self.charge(now, p, fee);
        }
        if now + MONTH < self.m.duration {
            q.schedule_at(now + MONTH, Event::MonthlyFees);
        }
    }

    fn log_money(
        &mut self,
        now: SimTime,
        p: usize,
        kind: AlertKind,
        balance: Minor,
        threshold: Option<Minor>,
        amount: Option<Minor>,
    ) {
        self.alert_log.push(AlertEvent {
            time: now,
            portal: p as u16,
            kind,
            balance,
            threshold,
            lead: None,
            amount,
        });
    }

    /// What runs besides calls: rent, the first alert check, rollouts and
    /// balance polls.
    pub(super) fn start_business(&mut self, q: &mut EventQueue<Event>) {
        let m = self.m;
        if m.portals.iter().any(|p| p.money.monthly_fee > 0) {
            q.schedule_at(SimTime::ZERO, Event::MonthlyFees);
        }
        for p in 0..self.portals.len() {
            self.check_alert(SimTime::ZERO, p);
        }
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

    /// Balance conservation per portal and per currency: every change of a
    /// balance is a charge or a top-up (checked once, at the end).
    pub(super) fn check_money(&mut self, now: SimTime) {
        use crate::model::invariants::Invariant;
        let mut by_currency = [(0i64, 0i64); 4];
        for (p, pr) in self.portals.iter().enumerate() {
            let w = &pr.wallet;
            let name = &self.m.portals[p].name;
            self.inv
                .check(now, Invariant::BalanceConservation, w.conserved(), || {
                    format!(
                        "portal {name}: start {} - charged {} + topped up {} != balance {}",
                        w.start, w.charged, w.topped_up, w.balance
                    )
                });
            let spec = &self.m.portals[p];
            if let (true, Some(o)) = (spec.money.cut_on_zero, &spec.outbound) {
                // One increment of the dearest destination: what a call cut
                // at its credit's end may overshoot by.
                let slack = o
                    .destinations
                    .iter()
                    .map(|d| d.rate.increment_price())
                    .max()
                    .unwrap_or(0);
                let floor = w.start.min(0) - slack;
                self.inv.check(
                    now,
                    Invariant::CreditNeverOverdrawn,
                    w.lowest_cover == crate::money::Minor::MAX || w.lowest_cover >= floor,
                    || {
                        format!(
                            "portal {name}: calls took the balance to {} (start {} + top-ups {} - charged {}), below the bound {floor}",
                            w.lowest_cover, w.start, w.topped_up, w.settled
                        )
                    },
                );
            }
            let k = &mut by_currency[self.m.portals[p].currency as usize];
            k.0 += w.balance - w.start;
            k.1 += w.topped_up - w.charged;
        }
        for (i, (change, flows)) in by_currency.into_iter().enumerate() {
            self.inv
                .check(now, Invariant::BalanceConservation, change == flows, || {
                    format!(
                        "currency #{i}: balances moved {change} but charges and top-ups {flows}"
                    )
                });
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
                let w = &pr.wallet;
                debug_assert!(w.conserved());
                let a = pr.alerts.as_ref();
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
            let a = pr.alerts.as_ref();
            let vals = [
                pr.outbound.calls as f64,
                pr.outbound.rejected_balance as f64,
                a.map_or(0, |a| a.sent + a.reminders) as f64,
                a.map_or(0, |a| a.reminders) as f64,
                pr.wallet.zero_time_until(end).as_secs_f64() / 3600.0,
                pr.wallet.topups as f64,
            ];
            for (k, (m, x)) in SUMMED.iter().zip(vals).enumerate() {
                // Without money there are no balances, alerts or top-ups:
                // their metrics are undefined, not zero.
                if self.money || k == 0 {
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
            if self.money || k == 0 {
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
