//! One direction of a call's RTP stream over a media path: packets sent and
//! received (the "251 packets received, 248 sent" a call server reports),
//! loss, the RFC 3550 interarrival jitter, a fixed jitter buffer, mouth-to-ear
//! delay and the E-model rating of what the listener hears.
//!
//! Two modes with the same model and the same report:
//! [`simulate_exact`] walks every packet; [`simulate_statistical`] draws the
//! same quantities from their distributions with a handful of random numbers
//! and no loop over packets — the default, cheap enough to run once per call
//! at engine speed. `tests/media.rs` shows the two agree within confidence
//! intervals.
//!
//! # The model
//!
//! * **Sending.** One packet per `ptime` (DESIGN §2) for the talk time:
//!   `sent = ⌊duration / ptime⌋` ([`CodecCfg::packets_in`]).
//! * **Transit.** Packet i takes `one_way_delay_ms + Xᵢ`, the Xᵢ independent
//!   and exponential with mean `jitter_ms` (queueing delay has roughly this
//!   shape, and it lets packets overtake each other). Because the difference
//!   of two independent Exp(m) draws is Laplace(0, m), **E|D| = jitter_ms**:
//!   a path's `jitter_ms` is exactly what an RFC 3550 receiver converges to.
//! * **Loss** by the path's [`LossModel`], independent of transit.
//! * **RFC 3550 jitter** (§6.4.1, A.8): for consecutive received packets
//!   `D = (Rⱼ − Rᵢ) − (Sⱼ − Sᵢ)` = difference of their transit times, and
//!   `J += (|D| − J)/16`, starting from J = 0, in milliseconds. Late packets
//!   are included (RTP counts them before the jitter buffer sees them). The
//!   report gives the **final** J, what the receiver's last RTCP report or the
//!   server's end-of-call statistics show. One documented deviation: pairs
//!   are taken in sequence order, where RFC 3550 takes them in arrival order.
//!   The two differ only for reordered packets (with Exp(m) jitter two
//!   consecutive packets swap with probability ½·e^(−ptime/m): 0.9 % at
//!   m = 5 ms, ptime 20 ms); sequence order keeps each D a difference of two
//!   independent draws, which is what lets the statistical mode know J's
//!   distribution exactly.
//! * **Jitter buffer.** Fixed depth: packet i plays at `Sᵢ + one_way_delay +
//!   depth`, so it is late — discarded, lost for quality, but *received* in
//!   the RTP counters — when `Xᵢ > depth`. (An idealised buffer anchored on
//!   the path's base delay, where an adaptive buffer settles; a real fixed
//!   buffer anchors on its first packet and inherits that packet's jitter.)
//! * **Quality.** Mouth-to-ear delay = one-way delay + buffer depth + codec
//!   delay (packetisation + look-ahead); loss for quality = (lost + late) /
//!   sent; R and MOS by the E-model ([`super::emodel`]) with the codec's Ie
//!   and Bpl and BurstR of the path's loss model. Late discards are given the
//!   same BurstR as network loss (with independent jitter they are in fact
//!   random, so a path with both bursty loss and many late packets is rated
//!   slightly pessimistically).

use rand::Rng;
use rand_distr::{Distribution, Exp1, Gamma};
use serde::Deserialize;

use super::codec::CodecCfg;
use super::emodel;
use super::loss::LossModel;
use super::MediaError;

/// The RFC 3550 estimator's gain, 1/16 (§6.4.1: "a good noise reduction ratio
/// while maintaining a reasonable rate of convergence").
pub const RFC3550_GAIN: f64 = 1.0 / 16.0;

/// A jitter buffer of 60 ms: three packets at 20 ms. With this model's
/// exponential jitter a packet is late with probability e^(−60/m): under
/// 0.25 % for paths with up to 10 ms of jitter (e^(−6)), while the buffer
/// adds only 1.44 to the delay impairment Id (0.024 × 60).
pub const DEFAULT_JITTER_BUFFER_MS: f64 = 60.0;

/// What the media path looks like to one direction of a stream; the network
/// module computes it from the route. `jitter_ms` is the mean of the
/// per-packet extra delay (see the module docs). For a route of several
/// links with independent jitter mᵢ, √(Σ mᵢ²) keeps the variance of transit
/// right, Σ mᵢ its mean: the first is the better fit for RFC 3550 jitter
/// and late packets.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
pub struct PathMedia {
    /// Fixed one-way network delay (propagation + serialisation), ms.
    pub one_way_delay_ms: f64,
    /// Mean per-packet queueing jitter, ms (E|D| of RFC 3550).
    pub jitter_ms: f64,
    /// Packet loss along the path.
    pub loss: LossModel,
}

impl PathMedia {
    /// Delay and jitter finite and not negative; loss model valid.
    pub fn check(&self) -> Result<(), MediaError> {
        non_negative("one_way_delay_ms", self.one_way_delay_ms)?;
        non_negative("jitter_ms", self.jitter_ms)?;
        self.loss.check()
    }
}

/// The receiving end's fixed jitter buffer.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
pub struct JitterBufferCfg {
    /// How long after the path's base delay a packet is played out, ms.
    #[serde(default = "default_depth_ms")]
    pub depth_ms: f64,
}

fn default_depth_ms() -> f64 {
    DEFAULT_JITTER_BUFFER_MS
}

impl Default for JitterBufferCfg {
    fn default() -> Self {
        JitterBufferCfg {
            depth_ms: DEFAULT_JITTER_BUFFER_MS,
        }
    }
}

impl JitterBufferCfg {
    pub fn check(&self) -> Result<(), MediaError> {
        non_negative("depth_ms", self.depth_ms)
    }
}

fn non_negative(field: &'static str, v: f64) -> Result<(), MediaError> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(MediaError::new(
            field,
            "must be a finite number, not negative",
        ))
    }
}

/// Which way to compute a stream: per packet (small runs, the reference) or
/// from distributions (the default; no per-packet work).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Deserialize)]
pub enum MediaMode {
    #[default]
    Statistical,
    PerPacket,
}

/// What one direction of a call's media came to.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct StreamReport {
    /// RTP packets the sender sent.
    pub sent: u64,
    /// RTP packets that reached the receiver, late ones included.
    pub received: u64,
    /// Packets lost in the network: `sent − received`.
    pub lost: u64,
    /// Received packets the jitter buffer discarded for arriving after their
    /// playout time.
    pub late: u64,
    /// Loss as the listener hears it, percent: 100 · (lost + late) / sent.
    pub loss_pct: f64,
    /// Final RFC 3550 interarrival jitter, ms.
    pub jitter_ms: f64,
    /// Mouth-to-ear delay, ms: network + jitter buffer + codec.
    pub delay_ms: f64,
    /// E-model transmission rating.
    pub r: f64,
    /// E-model mean opinion score (1–4.5).
    pub mos: f64,
}

/// One direction, packet by packet: the reference implementation of the
/// model in the module docs. Cost O(sent); no allocation.
///
/// Inputs are assumed valid ([`PathMedia::check`], [`CodecCfg::check`],
/// [`JitterBufferCfg::check`]); the scenario validator runs those.
pub fn simulate_exact<R: Rng + ?Sized>(
    path: &PathMedia,
    codec: CodecCfg,
    jitter_buffer: &JitterBufferCfg,
    duration_s: f64,
    rng: &mut R,
) -> StreamReport {
    let sent = codec.packets_in(duration_s);
    let jitter_mean = path.jitter_ms;
    let depth = jitter_buffer.depth_ms;
    let mut loss = path.loss.process(rng);
    let mut received = 0u64;
    let mut late = 0u64;
    let mut j = 0.0f64;
    // Extra transit (beyond the base delay) of the previous received packet.
    let mut prev_extra: Option<f64> = None;
    for _ in 0..sent {
        if loss.next_lost(rng) {
            continue;
        }
        received += 1;
        let extra = if jitter_mean > 0.0 {
            let unit: f64 = Exp1.sample(rng);
            jitter_mean * unit
        } else {
            0.0
        };
        if extra > depth {
            late += 1;
        }
        if let Some(prev) = prev_extra {
            // D = difference of transit times; the base delay cancels.
            let d: f64 = extra - prev;
            j += (d.abs() - j) * RFC3550_GAIN;
        }
        prev_extra = Some(extra);
    }
    report(path, codec, jitter_buffer, sent, received, late, j)
}

/// One direction from distributions, with no loop over packets: the default
/// per-call mode. About half a dozen random draws, no allocation.
///
/// * lost ~ [`LossModel::sample_lost`] (Binomial for random loss; sojourn
///   walk or exact-moment normal for Gilbert–Elliott);
/// * late ~ Binomial(received, e^(−depth/jitter)), exact: each received
///   packet is late independently with P(X > depth);
/// * J ~ Gamma with J's exact mean and variance (below).
///
/// **J.** With k = received − 1 differences, the final estimate is
/// `J = Σⱼ a bᵏ⁻ʲ |Dⱼ|` (a = 1/16, b = 15/16). Each |Dⱼ| is Exp(m)
/// (|Laplace(0, m)|): mean m, variance m²; neighbours share a packet and have
/// covariance m²/3 (E[g(X)²] − m² with g(x) = E|x − X| = x − m + 2m e^(−x/m)),
/// others are independent. Hence
/// `E J = m (1 − bᵏ)` and
/// `Var J = m² a² [(1 − b²ᵏ) + (2/3) b (1 − b²ᵏ⁻²)] / (1 − b²)`,
/// about (0.23 m)² for long calls. The Gamma with these two moments stands
/// in for J's exact law (a weighted sum of dependent exponentials, itself
/// close to Gamma with shape ≈ 19); means and variances match the exact mode
/// exactly, the shape approximately.
pub fn simulate_statistical<R: Rng + ?Sized>(
    path: &PathMedia,
    codec: CodecCfg,
    jitter_buffer: &JitterBufferCfg,
    duration_s: f64,
    rng: &mut R,
) -> StreamReport {
    let sent = codec.packets_in(duration_s);
    let lost = path.loss.sample_lost(sent, rng);
    let received = sent - lost;
    let m = path.jitter_ms;
    let late = if m > 0.0 && received > 0 {
        let p_late = (-jitter_buffer.depth_ms / m).exp();
        // Below one late packet in 10⁹ calls, skip the draw.
        if p_late * received as f64 > 1e-9 {
            binomial(received, p_late, rng)
        } else {
            0
        }
    } else {
        0
    };
    let j = if m > 0.0 && received >= 2 {
        let (mean, var) = rfc3550_final_moments(m, received - 1);
        let shape = mean * mean / var;
        let scale = var / mean;
        Gamma::new(shape, scale).map_or(mean, |g| g.sample(rng))
    } else {
        0.0
    };
    report(path, codec, jitter_buffer, sent, received, late, j)
}

/// Either mode, as the scenario chooses.
pub fn simulate<R: Rng + ?Sized>(
    mode: MediaMode,
    path: &PathMedia,
    codec: CodecCfg,
    jitter_buffer: &JitterBufferCfg,
    duration_s: f64,
    rng: &mut R,
) -> StreamReport {
    match mode {
        MediaMode::Statistical => simulate_statistical(path, codec, jitter_buffer, duration_s, rng),
        MediaMode::PerPacket => simulate_exact(path, codec, jitter_buffer, duration_s, rng),
    }
}

/// Mean and variance of the final RFC 3550 estimate after `k` differences of
/// Exp(`m`) jitter, from J = 0 (see [`simulate_statistical`]).
pub fn rfc3550_final_moments(m: f64, k: u64) -> (f64, f64) {
    let a = RFC3550_GAIN;
    let b = 1.0 - a;
    let k = k.min(1 << 20) as i32;
    let bk = b.powi(k);
    let b2k = bk * bk;
    let mean = m * (1.0 - bk);
    let adjacent = if k >= 1 {
        b * (1.0 - b2k / (b * b))
    } else {
        0.0
    };
    let var = m * m * a * a * ((1.0 - b2k) + (2.0 / 3.0) * adjacent) / (1.0 - b * b);
    (mean, var)
}

#[inline]
fn binomial<R: Rng + ?Sized>(n: u64, p: f64, rng: &mut R) -> u64 {
    if p >= 1.0 {
        n
    } else {
        rand_distr::Binomial::new(n, p).map_or(0, |b| b.sample(rng))
    }
}

fn report(
    path: &PathMedia,
    codec: CodecCfg,
    jitter_buffer: &JitterBufferCfg,
    sent: u64,
    received: u64,
    late: u64,
    jitter_ms: f64,
) -> StreamReport {
    let lost = sent - received;
    let loss_pct = if sent == 0 {
        0.0
    } else {
        100.0 * (lost + late) as f64 / sent as f64
    };
    let delay_ms = path.one_way_delay_ms + jitter_buffer.depth_ms + codec.codec_delay_ms();
    let (r, mos) = emodel::rate(
        delay_ms,
        codec.codec.impairment(),
        loss_pct,
        path.loss.burst_r(),
    );
    StreamReport {
        sent,
        received,
        lost,
        late,
        loss_pct,
        jitter_ms,
        delay_ms,
        r,
        mos,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::stream;
    use crate::media::codec::Codec;

    fn path(jitter_ms: f64, loss: LossModel) -> PathMedia {
        PathMedia {
            one_way_delay_ms: 30.0,
            jitter_ms,
            loss,
        }
    }

    #[test]
    fn a_clean_path_delivers_everything() {
        let p = path(0.0, LossModel::NONE);
        let jb = JitterBufferCfg::default();
        let codec = CodecCfg::new(Codec::G711);
        for rep in [
            simulate_exact(&p, codec, &jb, 10.0, &mut stream(1, 0, 0, 0)),
            simulate_statistical(&p, codec, &jb, 10.0, &mut stream(1, 0, 0, 0)),
        ] {
            assert_eq!(rep.sent, 500);
            assert_eq!(rep.received, 500);
            assert_eq!((rep.lost, rep.late), (0, 0));
            assert_eq!(rep.loss_pct, 0.0);
            assert_eq!(rep.jitter_ms, 0.0, "constant transit: J = 0 (RFC 3550)");
            assert_eq!(rep.delay_ms, 30.0 + 60.0 + 23.75);
            let (r, mos) = emodel::rate(113.75, Codec::G711.impairment(), 0.0, 1.0);
            assert_eq!((rep.r, rep.mos), (r, mos));
        }
    }

    #[test]
    fn counters_are_consistent() {
        let p = path(
            25.0,
            LossModel::Gilbert {
                p: 0.01,
                r: 0.2,
                loss_good: 0.001,
                loss_bad: 0.8,
            },
        );
        let jb = JitterBufferCfg { depth_ms: 40.0 };
        let codec = CodecCfg::new(Codec::G729);
        let mut rng = stream(3, 0, 0, 0);
        for i in 0..200 {
            let dur = i as f64 * 0.731;
            let e = simulate_exact(&p, codec, &jb, dur, &mut rng);
            let s = simulate_statistical(&p, codec, &jb, dur, &mut rng);
            for rep in [e, s] {
                assert_eq!(rep.sent, codec.packets_in(dur));
                assert_eq!(rep.lost + rep.received, rep.sent);
                assert!(rep.late <= rep.received);
                assert!((0.0..=100.0).contains(&rep.loss_pct));
                assert!(rep.jitter_ms >= 0.0 && rep.jitter_ms.is_finite());
                assert!((1.0..=4.5).contains(&rep.mos));
            }
        }
    }

    #[test]
    fn zero_length_calls_send_nothing() {
        let p = path(5.0, LossModel::Random { p: 0.1 });
        let jb = JitterBufferCfg::default();
        let codec = CodecCfg::new(Codec::Opus);
        let e = simulate_exact(&p, codec, &jb, 0.0, &mut stream(1, 0, 0, 0));
        let s = simulate_statistical(&p, codec, &jb, 0.015, &mut stream(1, 0, 0, 0));
        for rep in [e, s] {
            assert_eq!((rep.sent, rep.received, rep.lost, rep.late), (0, 0, 0, 0));
            assert_eq!(rep.loss_pct, 0.0);
            assert_eq!(rep.jitter_ms, 0.0);
        }
    }

    /// The estimator's moments: k = 1 gives J = |D|/16; long streams settle
    /// at mean m and variance m² (1 + 2b/3) a/(2 − a) = 0.0524 m².
    #[test]
    fn rfc3550_moments_limits() {
        let (m1, v1) = rfc3550_final_moments(8.0, 1);
        assert!((m1 - 0.5).abs() < 1e-12);
        assert!((v1 - 64.0 / 256.0).abs() < 1e-12);
        let (m, v) = rfc3550_final_moments(1.0, 100_000);
        assert!((m - 1.0).abs() < 1e-12);
        let a = RFC3550_GAIN;
        let b = 1.0 - a;
        assert!((v - (1.0 + 2.0 * b / 3.0) * a / (2.0 - a)).abs() < 1e-12);
    }

    /// The exact mode's J has the mean and variance the statistical mode
    /// assumes (variance within 10 %: its relative standard error here is
    /// about √(2/N) ≈ 3 %, more with the Gamma's skew).
    #[test]
    fn exact_jitter_has_the_assumed_moments() {
        let p = path(4.0, LossModel::Random { p: 0.05 });
        let jb = JitterBufferCfg::default();
        let codec = CodecCfg::new(Codec::G711);
        let mut rng = stream(9, 0, 0, 0);
        let n = 2000;
        let js: Vec<f64> = (0..n)
            .map(|_| simulate_exact(&p, codec, &jb, 4.0, &mut rng).jitter_ms)
            .collect();
        let mean = js.iter().sum::<f64>() / n as f64;
        let var = js.iter().map(|j| (j - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        // 200 packets, ~190 received: k ≈ 189, b^k ≈ 5e-6.
        let (em, ev) = rfc3550_final_moments(4.0, 189);
        assert!(
            (mean - em).abs() < 4.0 * (ev / n as f64).sqrt(),
            "{mean} vs {em}"
        );
        assert!((var / ev - 1.0).abs() < 0.10, "{var} vs {ev}");
    }

    #[test]
    fn bad_inputs_are_refused() {
        assert!(path(-1.0, LossModel::NONE).check().is_err());
        assert!(PathMedia {
            one_way_delay_ms: f64::INFINITY,
            jitter_ms: 0.0,
            loss: LossModel::NONE
        }
        .check()
        .is_err());
        assert!(JitterBufferCfg { depth_ms: -5.0 }.check().is_err());
        assert!(path(3.0, LossModel::Random { p: 0.5 }).check().is_ok());
    }

    #[test]
    fn scenario_forms_parse() {
        let p: PathMedia =
            ron::from_str("(one_way_delay_ms: 40.0, jitter_ms: 2.0, loss: Random(p: 0.01))")
                .unwrap();
        assert_eq!(p.loss, LossModel::Random { p: 0.01 });
        let jb: JitterBufferCfg = ron::from_str("()").unwrap();
        assert_eq!(jb, JitterBufferCfg::default());
        let mode: MediaMode = ron::from_str("PerPacket").unwrap();
        assert_eq!(mode, MediaMode::PerPacket);
    }
}
