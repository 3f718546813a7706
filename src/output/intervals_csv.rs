use std::io::{self, Write};

use crate::model::{Model, Outcome, ReplicationResult};

use super::csv_text::{opt_f64, quote};

pub const INTERVALS_HEADER: &str = "replication,interval_start_s,interval_end_s,scope,kind,offered,answered,abandoned,blocked,voicemail,forwarded,no_answer,dropped,failed,unfinished,mean_concurrency,max_concurrency,mean_queue,max_queue,agent_occupancy,server_utilisation,asa_s,service_level,mean_mos,blacklisted,after_hours,outbound,rejected_balance,ctrl_requests,ctrl_load,ctrl_mean_wait_ms,ctrl_max_wait_ms,ctrl_timeouts,cache_hit_ratio,upgraded,balance,registers,register_rejects,offline_agents\n";

/// Writes every replication's interval rows, replication by replication.
/// `answered` counts answers given inside the interval; the other outcome
/// columns count calls that ended inside it.
pub fn write_intervals(
    w: &mut impl Write,
    model: &Model,
    results: &[ReplicationResult],
) -> io::Result<()> {
    let mut scopes: Vec<(String, &str)> = vec![("platform".into(), "platform")];
    scopes.extend(model.portals.iter().map(|p| (quote(&p.name), "portal")));
    scopes.extend(model.servers.iter().map(|s| (quote(&s.name), "server")));
    w.write_all(INTERVALS_HEADER.as_bytes())?;
    for r in results {
        for row in &r.intervals {
            let (name, kind) = &scopes[row.scope as usize];
            let c = &row.counters;
            write!(
                w,
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},",
                r.replication,
                row.start,
                row.end,
                name,
                kind,
                c.offered,
                c.answered_now,
                c.outcome(Outcome::Abandoned),
                c.outcome(Outcome::Blocked),
                c.outcome(Outcome::Voicemail),
                c.outcome(Outcome::Forwarded),
                c.outcome(Outcome::NoAnswer),
                c.outcome(Outcome::Dropped),
                c.outcome(Outcome::Failed),
                c.outcome(Outcome::Unfinished),
            )?;
            opt_f64(w, Some(row.mean_concurrency))?;
            write!(w, ",{},", row.max_concurrency)?;
            opt_f64(w, row.mean_queue)?;
            w.write_all(b",")?;
            if let Some(m) = row.max_queue {
                write!(w, "{m}")?;
            }
            w.write_all(b",")?;
            opt_f64(w, row.agent_occupancy)?;
            w.write_all(b",")?;
            opt_f64(w, row.server_utilisation)?;
            w.write_all(b",")?;
            let answered = c.answered_now as f64;
            let asa = (c.answered_now > 0).then(|| c.wait_answered_us as f64 / 1e6 / answered);
            let sl = (c.answered_now > 0).then(|| c.answered_within_sl as f64 / answered);
            opt_f64(w, asa)?;
            w.write_all(b",")?;
            opt_f64(w, sl)?;
            w.write_all(b",")?;
            let mos = (c.media_calls > 0).then(|| c.mos_sum / c.media_calls as f64);
            opt_f64(w, mos)?;
            write!(
                w,
                ",{},{},{},{},",
                c.outcome(Outcome::Blacklisted),
                c.outcome(Outcome::AfterHours),
                c.outbound,
                c.rejected_balance
            )?;
            match (&row.controller, &model.controller) {
                (Some(k), Some(spec)) => {
                    let n = k.total_requests();
                    let len_s = (row.end - row.start).as_secs_f64();
                    // Offered work over capacity: above 1 a backlog builds.
                    let load = (len_s > 0.0)
                        .then(|| k.work_us as f64 / 1e6 / (len_s * f64::from(spec.workers)));
                    write!(w, "{n},")?;
                    opt_f64(w, load)?;
                    w.write_all(b",")?;
                    opt_f64(w, (n > 0).then(|| k.wait_us as f64 / f64::from(n) / 1000.0))?;
                    w.write_all(b",")?;
                    opt_f64(w, Some(k.max_wait_us as f64 / 1000.0))?;
                    write!(w, ",{},", k.timeouts)?;
                    let looks = k.cache_hits + k.cache_misses;
                    opt_f64(
                        w,
                        (looks > 0).then(|| f64::from(k.cache_hits) / f64::from(looks)),
                    )?;
                    write!(w, ",{}", k.upgraded)?;
                }
                _ => w.write_all(b",,,,,,")?,
            }
            w.write_all(b",")?;
            if let Some(b) = row.balance {
                w.write_all(crate::money::format_minor(b).as_bytes())?;
            }
            write!(w, ",{},{},", c.registers, c.register_rejects)?;
            if let Some(n) = row.offline {
                write!(w, "{n}")?;
            }
            w.write_all(b"\n")?;
        }
    }
    Ok(())
}
