use std::io::{self, Write};

use crate::model::{Model, ReplicationResult};
use crate::money::format_minor;

use super::csv_text::{opt_f64, quote, NONE};

pub const PORTALS_HEADER: &str = "replication,portal,currency,alert_rule,start_balance,charged,charges,topped_up,topups,end_balance,\
outbound_calls,outbound_answered,rejected_balance,credit_ended,alerts,reminders,mean_lead_h,leads_censored,zero_balance_h,exhaustions,\
provisioned_at_s,scenario_version,upgraded_at_s,lookups,cache_hits\n";

/// One row per replication and portal: the money story of the run. Amounts
/// are exact decimals in the portal's currency; `start_balance − charged +
/// topped_up = end_balance` holds on every row.
pub fn write_portals(
    w: &mut impl Write,
    model: &Model,
    results: &[ReplicationResult],
) -> io::Result<()> {
    w.write_all(PORTALS_HEADER.as_bytes())?;
    let money = model.has_money();
    for r in results {
        for row in &r.portals {
            let spec = &model.portals[row.portal as usize];
            write!(
                w,
                "{},{},{:?},{},{},{},{},{},{},{},{},{},{},{},{},{},",
                r.replication,
                quote(&spec.name),
                spec.currency,
                row.alert_rule.unwrap_or(NONE),
                format_minor(row.start_balance),
                format_minor(row.charged),
                row.charges,
                format_minor(row.topped_up),
                row.topups,
                format_minor(row.end_balance),
                row.outbound.calls,
                row.outbound.answered,
                row.outbound.rejected_balance,
                row.outbound.credit_ended,
                row.alerts,
                row.reminders,
            )?;
            opt_f64(w, row.mean_lead.map(|l| l.as_secs_f64() / 3600.0))?;
            write!(w, ",{},", row.leads_censored)?;
            // Without money no balance is kept: time at zero is undefined.
            opt_f64(w, money.then(|| row.zero_balance.as_secs_f64() / 3600.0))?;
            write!(w, ",{},", row.exhaustions)?;
            if let Some(t) = row.provisioned_at {
                write!(w, "{t}")?;
            }
            write!(w, ",{},", row.version)?;
            if let Some(t) = row.upgraded_at {
                write!(w, "{t}")?;
            }
            writeln!(w, ",{},{}", row.lookups, row.cache_hits)?;
        }
    }
    Ok(())
}

pub const ALERTS_HEADER: &str =
    "replication,time_s,portal,currency,event,balance,threshold,lead_h,amount\n";

/// Every money event in time order per replication: alerts, reminders,
/// top-ups, balances running out. `lead_h` on an alert is how long the
/// money left at the alert lasted (empty if the run ended first).
pub fn write_alerts(
    w: &mut impl Write,
    model: &Model,
    results: &[ReplicationResult],
) -> io::Result<()> {
    w.write_all(ALERTS_HEADER.as_bytes())?;
    for r in results {
        for a in &r.alerts {
            let spec = &model.portals[a.portal as usize];
            write!(
                w,
                "{},{},{},{:?},{},{},",
                r.replication,
                a.time,
                quote(&spec.name),
                spec.currency,
                a.kind.as_str(),
                format_minor(a.balance),
            )?;
            if let Some(t) = a.threshold {
                w.write_all(format_minor(t).as_bytes())?;
            }
            w.write_all(b",")?;
            opt_f64(w, a.lead.map(|l| l.as_secs_f64() / 3600.0))?;
            w.write_all(b",")?;
            if let Some(x) = a.amount {
                w.write_all(format_minor(x).as_bytes())?;
            }
            w.write_all(b"\n")?;
        }
    }
    Ok(())
}
