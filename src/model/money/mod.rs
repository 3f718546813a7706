//! The money actor: charging calls and number rent, prepaid credit held by
//! running calls, balance alerts and reminders, and the owner's top-ups.
//!
//! It owns, per portal, the wallet, the alert state, the pending reminder
//! and top-up, and the `money` random stream; for the run, the `alerts.csv`
//! log and the credit reserved by live prepaid calls (by call slot). It
//! handles `AlertRepeat`, `TopUp` and `MonthlyFees`. Events it decides in
//! the middle of another actor's work (a reminder, a top-up) go to the
//! dispatcher's deferred list, in order, so their scheduling sequence is the
//! same wherever the charge came from.
//!
//! Invariant: reads calls and specs, never changes them; knows nothing about
//! queues, agents, servers or the network. A new billing rule (a tariff, an
//! alert rule, a top-up rule) is a change here and in `crate::money` only.

use crate::engine::{EventQueue, SimTime, StreamRng};
use crate::money::{AlertEvent, AlertKind, AlertState, Minor, Rate, Wallet};

use super::call::{Call, Direction};
use super::event::Event;
use super::invariants::{Invariant, Invariants};
use super::spec::{Model, PortalSpec, TopUpRule};

/// Number rent falls due every 30 days from the start.
const MONTH: SimTime = SimTime(30 * 86_400 * 1_000_000);

/// Events decided where no queue is at hand, scheduled by the dispatcher in
/// this order once the current event is done.
pub type Deferred = Vec<(SimTime, Event)>;

/// One portal's books.
pub struct PortalMoney {
    pub wallet: Wallet,
    pub alerts: Option<AlertState>,
    /// The one pending reminder (stale `AlertRepeat` events are ignored).
    reminder_at: SimTime,
    topup_pending: bool,
    rng: StreamRng,
}

/// Every portal's books, indexed by portal.
pub struct Money {
    pub portals: Vec<PortalMoney>,
    /// `alerts.csv` rows of this replication (alerts are few: a handful per
    /// portal and month), kept so lead times can be filled in later.
    pub alert_log: Vec<AlertEvent>,
    /// Credit held by running prepaid calls by slot (empty until one
    /// connects, so other scenarios pay nothing for it).
    reservations: Vec<Option<Minor>>,
    /// Whether any balance can move (see `Model::has_money`): plain runs
    /// skip billing altogether.
    pub active: bool,
}

impl Money {
    /// `rng(p)` gives portal p's `money` stream.
    pub fn new(m: &Model, mut rng: impl FnMut(usize) -> StreamRng) -> Self {
        Money {
            portals: m
                .portals
                .iter()
                .enumerate()
                .map(|(p, spec)| PortalMoney {
                    wallet: Wallet::new(spec.money.start, alert_window(spec)),
                    alerts: spec.money.alert.map(AlertState::new),
                    reminder_at: SimTime::MAX,
                    topup_pending: false,
                    rng: rng(p),
                })
                .collect(),
            alert_log: Vec::new(),
            reservations: Vec::new(),
            active: m.has_money(),
        }
    }

    #[inline]
    pub fn wallet(&self, p: usize) -> &Wallet {
        &self.portals[p].wallet
    }

    /// Whether a prepaid call holds credit (settled when it finishes).
    #[inline]
    pub fn has_reservations(&self) -> bool {
        !self.reservations.is_empty()
    }

    /// A prepaid call in slot `slot` holds `held` of portal `p`'s credit
    /// until it hangs up.
    pub fn reserve(&mut self, slot: u32, p: usize, held: Minor) {
        self.portals[p].wallet.reserve(held);
        let slot = slot as usize;
        if self.reservations.len() <= slot {
            self.reservations.resize(slot + 1, None);
        }
        self.reservations[slot] = Some(held);
    }

    /// Charges a finished call's talk at its rate; returns the charge.
    pub fn bill(
        &mut self,
        m: &Model,
        now: SimTime,
        p: usize,
        call: &Call,
        talk: SimTime,
        out: &mut Deferred,
    ) -> Minor {
        let rate = rate_of(&m.portals[p], call);
        if rate.is_free() {
            return 0;
        }
        let amount = rate.charge(talk);
        self.charge(m, now, p, amount, out);
        amount
    }

    /// Settles the credit a prepaid call held (see `Wallet::reserve`):
    /// `charged` is what `bill` took.
    #[cold]
    #[inline(never)]
    pub fn settle_reservation(&mut self, slot: u32, p: usize, charged: Minor) {
        let held = self
            .reservations
            .get_mut(slot as usize)
            .and_then(Option::take);
        if let Some(h) = held {
            self.portals[p].wallet.settle(h, charged);
        }
    }

    /// Takes `amount` from portal `p`: alerts settle their lead times, an
    /// emptied balance calls the owner, and the alert rule is checked.
    pub fn charge(&mut self, m: &Model, now: SimTime, p: usize, amount: Minor, out: &mut Deferred) {
        if amount == 0 {
            return;
        }
        let cal = &m.portals[p].steps.calendar;
        let pm = &mut self.portals[p];
        let emptied = pm.wallet.charge(now, cal.day(now), amount);
        if let Some(a) = pm.alerts.as_mut() {
            let log = &mut self.alert_log;
            a.settle(now, amount, &mut |row, lead| log[row].lead = Some(lead));
        }
        if emptied {
            let balance = pm.wallet.balance;
            self.log(now, p, AlertKind::Exhausted, balance, None, None);
            self.owner_reacts(m, now, p, out);
        }
        self.check_alert(m, now, p, out);
    }

    fn threshold(&self, m: &Model, now: SimTime, p: usize) -> Option<Minor> {
        let cal = &m.portals[p].steps.calendar;
        let pm = &self.portals[p];
        pm.alerts
            .as_ref()
            .map(|a| a.rule.threshold(&pm.wallet.spend, cal.day(now), cal))
    }

    /// Opens an alert episode when the balance is below the rule's
    /// threshold (sending the alert, starting reminders, calling the owner),
    /// closes it when the balance is back above.
    pub fn check_alert(&mut self, m: &Model, now: SimTime, p: usize, out: &mut Deferred) {
        let Some(threshold) = self.threshold(m, now, p) else {
            return;
        };
        let row = self.alert_log.len();
        let pm = &mut self.portals[p];
        let balance = pm.wallet.balance;
        let a = pm.alerts.as_mut().expect("threshold implies alerts");
        if a.check(now, balance, threshold, row) {
            self.log(now, p, AlertKind::Alert, balance, Some(threshold), None);
            self.schedule_reminder(m, now, p, out);
            self.owner_reacts(m, now, p, out);
        }
    }

    pub fn on_alert_repeat(&mut self, m: &Model, now: SimTime, p: usize, out: &mut Deferred) {
        if self.portals[p].reminder_at != now {
            return; // superseded by a later episode's reminder
        }
        let Some(threshold) = self.threshold(m, now, p) else {
            return;
        };
        let pm = &mut self.portals[p];
        let balance = pm.wallet.balance;
        let a = pm.alerts.as_mut().expect("threshold implies alerts");
        if !a.below || balance >= threshold {
            a.below = balance < threshold && a.below;
            pm.reminder_at = SimTime::MAX;
            return;
        }
        a.reminders += 1;
        self.log(now, p, AlertKind::Reminder, balance, Some(threshold), None);
        self.schedule_reminder(m, now, p, out);
    }

    /// The next reminder of an open episode, within the simulated period
    /// (money events stop at `duration_s`; the drain only lets calls end).
    fn schedule_reminder(&mut self, m: &Model, now: SimTime, p: usize, out: &mut Deferred) {
        if let Some(repeat) = m.portals[p].money.alert_repeat {
            let at = now + repeat;
            if at < m.duration {
                self.portals[p].reminder_at = at;
                out.push((at, Event::AlertRepeat { portal: p as u16 }));
            }
        }
    }

    /// The owner acts on the first alert of an episode or on running dry
    /// (reminders inside an episode are ignored): one payment at a time,
    /// after a reaction delay, at the next working moment of the portal.
    fn owner_reacts(&mut self, m: &Model, now: SimTime, p: usize, out: &mut Deferred) {
        let spec = &m.portals[p];
        let Some(topup) = &spec.money.topup else {
            return;
        };
        let pm = &mut self.portals[p];
        if pm.topup_pending {
            return;
        }
        let delay_s = topup.delay_h.sample_secs(&mut pm.rng) * 3600.0;
        let at = spec
            .steps
            .calendar
            .next_open(now + SimTime::from_secs_f64(delay_s));
        if at >= m.duration {
            return; // after the simulated period (or never open)
        }
        pm.topup_pending = true;
        out.push((at, Event::TopUp { portal: p as u16 }));
    }

    pub fn on_top_up(&mut self, m: &Model, now: SimTime, p: usize, out: &mut Deferred) {
        let spec = &m.portals[p];
        let Some(topup) = &spec.money.topup else {
            return;
        };
        let cal = &spec.steps.calendar;
        let pm = &mut self.portals[p];
        pm.topup_pending = false;
        let amount = match topup.amount {
            TopUpRule::Fixed(a) => a,
            TopUpRule::Cover { days, min } => {
                let per_day = pm.wallet.spend.per_working_day(cal.day(now), 7, cal);
                ((days * per_day).ceil() as Minor).max(min)
            }
        };
        pm.wallet.top_up(now, amount);
        let balance = pm.wallet.balance;
        self.log(now, p, AlertKind::TopUp, balance, None, Some(amount));
        self.check_alert(m, now, p, out);
    }

    /// Number rent of every portal, and the next month's due date.
    pub fn on_monthly_fees(
        &mut self,
        m: &Model,
        now: SimTime,
        q: &mut EventQueue<Event>,
        out: &mut Deferred,
    ) {
        for p in 0..self.portals.len() {
            let fee = m.portals[p].money.monthly_fee;
            self.charge(m, now, p, fee, out);
        }
        if now + MONTH < m.duration {
            q.schedule_at(now + MONTH, Event::MonthlyFees);
        }
    }

    /// What money runs besides calls: rent and the first alert check.
    pub fn start(&mut self, m: &Model, q: &mut EventQueue<Event>, out: &mut Deferred) {
        if m.portals.iter().any(|p| p.money.monthly_fee > 0) {
            q.schedule_at(SimTime::ZERO, Event::MonthlyFees);
        }
        for p in 0..self.portals.len() {
            self.check_alert(m, SimTime::ZERO, p, out);
        }
    }

    fn log(
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

    /// Balance conservation per portal and per currency: every change of a
    /// balance is a charge or a top-up (checked once, at the end); and
    /// prepaid calls never overdraw the credit by more than one increment.
    pub fn check(&self, m: &Model, inv: &mut Invariants, now: SimTime) {
        let mut by_currency = [(0i64, 0i64); 4];
        for (p, pm) in self.portals.iter().enumerate() {
            let w = &pm.wallet;
            let name = &m.portals[p].name;
            inv.check(now, Invariant::BalanceConservation, w.conserved(), || {
                format!(
                    "portal {name}: start {} - charged {} + topped up {} != balance {}",
                    w.start, w.charged, w.topped_up, w.balance
                )
            });
            let spec = &m.portals[p];
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
                inv.check(
                    now,
                    Invariant::CreditNeverOverdrawn,
                    w.lowest_cover == Minor::MAX || w.lowest_cover >= floor,
                    || {
                        format!(
                            "portal {name}: calls took the balance to {} (start {} + top-ups {} - charged {}), below the bound {floor}",
                            w.lowest_cover, w.start, w.topped_up, w.settled
                        )
                    },
                );
            }
            let k = &mut by_currency[m.portals[p].currency as usize];
            k.0 += w.balance - w.start;
            k.1 += w.topped_up - w.charged;
        }
        for (i, (change, flows)) in by_currency.into_iter().enumerate() {
            inv.check(now, Invariant::BalanceConservation, change == flows, || {
                format!("currency #{i}: balances moved {change} but charges and top-ups {flows}")
            });
        }
    }
}

/// The rate a call is charged at: its destination's when outbound, the
/// portal's inbound rate otherwise.
pub fn rate_of(spec: &PortalSpec, call: &Call) -> Rate {
    match (call.direction, &spec.outbound) {
        (Direction::Outbound, Some(o)) => o.destinations[call.target as usize].rate,
        _ => spec.money.inbound,
    }
}

/// Days of spending the wallet remembers: the adaptive rule's window (7 by
/// default, also what `Cover` top-ups look at).
fn alert_window(spec: &PortalSpec) -> u32 {
    match spec.money.alert {
        Some(crate::money::AlertRule::Adaptive { window_days, .. }) => window_days.max(7),
        _ => 7,
    }
}
