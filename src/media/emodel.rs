//! The ITU-T G.107 E-model in its planning form (DESIGN §2): a transmission
//! rating R from mouth-to-ear delay, the codec and packet loss, and the MOS
//! that R maps to.
//!
//! Only the factors a packet network changes are modelled; everything else
//! (loudness, noise, echo, sidetone) sits at the G.107 defaults, which is
//! where the basic rating R0 − Is = 93.2 comes from.

use super::codec::Impairment;

/// R for a default connection with no delay, no codec impairment and no
/// loss: G.107's R0 − Is with every other parameter at its default.
pub const R_DEFAULT: f64 = 93.2;

/// Delay impairment Id (G.107 planning form of the absolute-delay term):
/// `Id = 0.024 d + 0.11 (d − 177.3) H(d − 177.3)`, d the one-way
/// mouth-to-ear delay in ms and H the Heaviside step. Talker echo is assumed
/// perfectly cancelled, so only the interactivity cost of delay counts.
pub fn delay_impairment(delay_ms: f64) -> f64 {
    let d = delay_ms.max(0.0);
    let mut id = 0.024 * d;
    if d >= 177.3 {
        id += 0.11 * (d - 177.3);
    }
    id
}

/// Effective equipment impairment under packet loss (ITU-T G.107 §3.6):
/// `Ie_eff = Ie + (95 − Ie) · Ppl / (Ppl / BurstR + Bpl)`.
///
/// `ppl_pct` is the loss in **percent** (0–100); `burst_r` is 1 for random
/// loss and above 1 for bursty loss (see [`super::loss::LossModel::burst_r`]).
pub fn effective_impairment(codec: Impairment, ppl_pct: f64, burst_r: f64) -> f64 {
    let ppl = ppl_pct.clamp(0.0, 100.0);
    if ppl == 0.0 {
        return codec.ie;
    }
    let burst_r = burst_r.max(1e-9);
    codec.ie + (95.0 - codec.ie) * ppl / (ppl / burst_r + codec.bpl)
}

/// Transmission rating `R = 93.2 − Id − Ie_eff` (G.107 planning form).
pub fn r_factor(delay_ms: f64, codec: Impairment, ppl_pct: f64, burst_r: f64) -> f64 {
    R_DEFAULT - delay_impairment(delay_ms) - effective_impairment(codec, ppl_pct, burst_r)
}

/// Mean opinion score from R (ITU-T G.107 Annex B):
/// `MOS = 1 + 0.035 R + 7·10⁻⁶ R (R − 60)(100 − R)` for 0 < R < 100, 1 at
/// R ≤ 0 and 4.5 at R ≥ 100. The cubic dips slightly below 1 for small R
/// (0.992 at R = 5); a MOS is never below 1, so it is clamped.
pub fn mos_from_r(r: f64) -> f64 {
    if r.is_nan() || r <= 0.0 {
        1.0
    } else if r >= 100.0 {
        4.5
    } else {
        (1.0 + 0.035 * r + 7.0e-6 * r * (r - 60.0) * (100.0 - r)).max(1.0)
    }
}

/// R and MOS together, the pair every call record carries.
pub fn rate(delay_ms: f64, codec: Impairment, ppl_pct: f64, burst_r: f64) -> (f64, f64) {
    let r = r_factor(delay_ms, codec, ppl_pct, burst_r);
    (r, mos_from_r(r))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::codec::Codec;

    const G711: Impairment = Impairment { ie: 0.0, bpl: 25.1 };
    const G729: Impairment = Impairment {
        ie: 11.0,
        bpl: 19.0,
    };

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn g711_without_delay_or_loss_is_the_default_connection() {
        // R = 93.2; MOS = 1 + 0.035·93.2 + 7e-6·93.2·33.2·6.8
        //             = 1 + 3.262 + 7e-6·21040.832 = 4.409285824
        let (r, mos) = rate(0.0, Codec::G711.impairment(), 0.0, 1.0);
        assert!(close(r, 93.2));
        assert!(close(mos, 4.409285824));
    }

    #[test]
    fn delay_impairment_bends_at_177_3_ms() {
        assert!(close(delay_impairment(100.0), 2.4));
        assert!(close(delay_impairment(177.3), 0.024 * 177.3));
        // 0.024·200 + 0.11·22.7 = 4.8 + 2.497
        assert!(close(delay_impairment(200.0), 7.297));
        assert_eq!(delay_impairment(-5.0), 0.0);
    }

    #[test]
    fn hand_computed_ratings() {
        // G.711, d = 160 ms, 1 % random loss:
        //   Id = 0.024·160 = 3.84
        //   Ie_eff = 0 + 95·1/(1/1 + 25.1) = 95/26.1 = 3.639846743…
        //   R = 93.2 − 3.84 − 3.639846743 = 85.720153257
        //   MOS = 1 + 3.000205364 + 7e-6·85.720153·25.720153·14.279847
        //       = 4.220588357
        let (r, mos) = rate(160.0, G711, 1.0, 1.0);
        assert!((r - 85.720153257).abs() < 1e-9, "{r}");
        assert!((mos - 4.220588357).abs() < 1e-9, "{mos}");

        // G.729A, d = 100 ms, 2 % loss with BurstR 2:
        //   Id = 2.4; Ie_eff = 11 + 84·2/(2/2 + 19) = 11 + 8.4 = 19.4
        //   R = 93.2 − 2.4 − 19.4 = 71.4
        //   MOS = 1 + 2.499 + 7e-6·71.4·11.4·28.6 = 3.661954792
        let (r, mos) = rate(100.0, G729, 2.0, 2.0);
        assert!(close(r, 71.4), "{r}");
        assert!(close(mos, 3.661954792), "{mos}");

        // G.711, d = 400 ms, no loss (beyond the knee, R < 60 so the cubic
        // term is negative):
        //   Id = 9.6 + 0.11·222.7 = 34.097; R = 59.103
        //   MOS = 1 + 2.068605 − 7e-6·59.103·0.897·40.897 = 3.053427807
        let (r, mos) = rate(400.0, G711, 0.0, 1.0);
        assert!(close(r, 59.103), "{r}");
        assert!((mos - 3.053427807).abs() < 1e-9, "{mos}");
    }

    #[test]
    fn bursty_loss_costs_more_than_random_loss() {
        let random = effective_impairment(G711, 5.0, 1.0);
        let bursty = effective_impairment(G711, 5.0, 4.0);
        // 95·5/(5 + 25.1) = 15.78…; 95·5/(1.25 + 25.1) = 18.02…
        assert!(close(random, 475.0 / 30.1));
        assert!(close(bursty, 475.0 / 26.35));
        assert!(bursty > random);
        // Total loss drives Ie_eff towards 95 whatever the codec.
        assert!(effective_impairment(G729, 100.0, 1.0) > 80.0);
    }

    #[test]
    fn mos_is_clamped_to_its_scale() {
        assert_eq!(mos_from_r(-10.0), 1.0);
        assert_eq!(mos_from_r(0.0), 1.0);
        assert_eq!(mos_from_r(f64::NAN), 1.0);
        assert_eq!(mos_from_r(100.0), 4.5);
        assert_eq!(mos_from_r(120.0), 4.5);
        // The raw cubic gives 0.992125 at R = 5: never below 1.
        assert_eq!(mos_from_r(5.0), 1.0);
        // Monotone over the useful range.
        let mut last = 1.0;
        for i in 1..100 {
            let m = mos_from_r(i as f64);
            assert!(m >= last, "R {i}");
            last = m;
        }
    }
}
