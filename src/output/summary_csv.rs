use std::io::{self, Write};

use crate::stats::SummaryRow;

use super::csv_text::{opt_f64, quote};

pub const SUMMARY_HEADER: &str = "scope,metric,mean,ci95_low,ci95_high,n,sd\n";

pub fn write_summary(w: &mut impl Write, rows: &[SummaryRow]) -> io::Result<()> {
    w.write_all(SUMMARY_HEADER.as_bytes())?;
    for r in rows {
        write!(w, "{},{},", quote(&r.scope), r.metric.name())?;
        opt_f64(w, r.mean)?;
        w.write_all(b",")?;
        opt_f64(w, r.ci95_low)?;
        w.write_all(b",")?;
        opt_f64(w, r.ci95_high)?;
        write!(w, ",{},", r.n)?;
        opt_f64(w, r.sd)?;
        w.write_all(b"\n")?;
    }
    Ok(())
}
