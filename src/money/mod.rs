//! Money: tariffs, balances, balance alerts and top-ups.
//!
//! Amounts are integers in minor units (kopecks, cents) so that the books
//! balance exactly: the sum of charges equals the change in balance minus
//! top-ups, with no floating-point drift over a month of calls.

mod alert;
mod calendar;
mod tariff;
mod wallet;

pub use alert::{AlertEvent, AlertKind, AlertRule, AlertState};
pub use calendar::{Calendar, Weekday};
pub use tariff::{Rate, TariffTable};
pub use wallet::{DailySpend, Wallet};

/// An amount in minor units of the portal's currency (1/100).
pub type Minor = i64;

/// Minor units from a decimal amount in the file (rounded to the nearest).
pub fn to_minor(amount: f64) -> Minor {
    (amount * 100.0).round() as Minor
}

/// Formats minor units as a decimal with two places (`-12.05`), without
/// going through floating point.
pub fn format_minor(m: Minor) -> String {
    let sign = if m < 0 { "-" } else { "" };
    let a = m.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minor_units_round_and_print_exactly() {
        assert_eq!(to_minor(1.005 + 1e-9), 101);
        assert_eq!(to_minor(-2.5), -250);
        assert_eq!(format_minor(-1205), "-12.05");
        assert_eq!(format_minor(7), "0.07");
        assert_eq!(format_minor(100_000), "1000.00");
    }
}
