//! One direction of a call's RTP stream over a media path: packets sent and
//! received (the "251 packets received, 248 sent" a call server reports),
//! loss, the RFC 3550 interarrival jitter, a fixed jitter buffer, mouth-to-ear
//! delay and the E-model rating of what the listener hears.
//!
//! Two modes with the same model and the same report:
//! [`simulate_exact`] walks every packet; [`simulate_statistical`] draws the
//! same quantities from their distributions with a handful of random numbers
//! and no loop over packets — the default, cheap enough to run once per call
//! at engine speed (tens of nanoseconds per direction). `tests/media.rs`
//! shows the two agree within confidence intervals.
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
use rand_distr::{Distribution, Exp1};
use serde::Deserialize;

use super::codec::CodecCfg;
use super::draw::{self, BinomialSampler};
use super::loss::{LossModel, LossSampler};
use super::{emodel, MediaError};

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

/// One direction of a stream on one path with one codec and one jitter
/// buffer, prepared once: every constant that does not depend on the talk
/// time (E-model delay impairment, BurstR, the loss sampler, the late-packet
/// probability, RFC 3550 moments of long calls) is computed here, so that a
/// call costs only its few random draws. Build one per (path, codec, buffer)
/// and keep it while the route is unchanged; it is `Copy` and small.
///
/// Inputs are assumed valid ([`PathMedia::check`], [`CodecCfg::check`],
/// [`JitterBufferCfg::check`]); the scenario validator runs those.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StreamModel {
    path: PathMedia,
    codec: CodecCfg,
    depth_ms: f64,
    packets_per_s: f64,
    loss: LossSampler,
    /// P(a received packet is late) = e^(−depth/jitter); 0 when negligible.
    p_late: f64,
    late: BinomialSampler,
    /// Wilson–Hilferty constants of J once bᵏ has vanished (k ≥ 600).
    j_c: f64,
    j_sqrt_c: f64,
    delay_ms: f64,
    /// 93.2 − Id: the rating before loss.
    r_before_loss: f64,
    ie: f64,
    bpl: f64,
    inv_burst_r: f64,
}

/// Beyond this many RFC 3550 differences (12 s of talk at 20 ms), (15/16)ᵏ <
/// 1.6·10⁻¹⁷ and J's moments are those of an infinitely long stream.
const RFC3550_SETTLED: u64 = 600;

impl StreamModel {
    pub fn new(path: &PathMedia, codec: CodecCfg, jitter_buffer: &JitterBufferCfg) -> StreamModel {
        let depth_ms = jitter_buffer.depth_ms;
        let m = path.jitter_ms;
        // e^(−45) ≈ 3·10⁻²⁰ per packet: not one late packet in 10¹⁰
        // hour-long calls, so the draw is skipped.
        let p_late = if m > 0.0 && depth_ms / m < 45.0 {
            (-depth_ms / m).exp()
        } else {
            0.0
        };
        let (_, var_settled) = rfc3550_final_moments(1.0, RFC3550_SETTLED);
        let j_c = var_settled / 9.0;
        let delay_ms = path.one_way_delay_ms + depth_ms + codec.codec_delay_ms();
        let imp = codec.codec.impairment();
        StreamModel {
            path: *path,
            codec,
            depth_ms,
            packets_per_s: codec.packets_per_s(),
            loss: path.loss.sampler(),
            p_late,
            late: BinomialSampler::new(p_late),
            j_c,
            j_sqrt_c: j_c.sqrt(),
            delay_ms,
            r_before_loss: emodel::R_DEFAULT - emodel::delay_impairment(delay_ms),
            ie: imp.ie,
            bpl: imp.bpl,
            inv_burst_r: 1.0 / path.loss.burst_r(),
        }
    }

    /// Mouth-to-ear delay of every call on this stream, ms.
    pub fn delay_ms(&self) -> f64 {
        self.delay_ms
    }

    /// The stream in the chosen mode.
    #[inline]
    pub fn simulate<R: Rng + ?Sized>(
        &self,
        mode: MediaMode,
        duration_s: f64,
        rng: &mut R,
    ) -> StreamReport {
        match mode {
            MediaMode::Statistical => self.statistical(duration_s, rng),
            MediaMode::PerPacket => self.exact(duration_s, rng),
        }
    }

    /// Packet by packet: the reference implementation of the model in the
    /// module docs. Cost O(sent); no allocation.
    pub fn exact<R: Rng + ?Sized>(&self, duration_s: f64, rng: &mut R) -> StreamReport {
        let sent = self.codec.packets_in(duration_s);
        let jitter_mean = self.path.jitter_ms;
        let mut loss = self.path.loss.process(rng);
        let mut received = 0u64;
        let mut late = 0u64;
        let mut jitter = InterarrivalJitter::new();
        for _ in 0..sent {
            if loss.next_lost(rng) {
                continue;
            }
            received += 1;
            // Transit beyond the base delay (the base delay cancels in D).
            let extra = if jitter_mean > 0.0 {
                let unit: f64 = Exp1.sample(rng);
                jitter_mean * unit
            } else {
                0.0
            };
            if extra > self.depth_ms {
                late += 1;
            }
            jitter.on_packet(extra);
        }
        self.report(sent, received, late, jitter.jitter_ms())
    }

    /// The path's ITU-T G.107 BurstR (1 for random loss).
    pub fn burst_r(&self) -> f64 {
        1.0 / self.inv_burst_r
    }

    /// From distributions, with no loop over packets: the default per-call
    /// mode. Two to four normal or exponential draws, no allocation.
    ///
    /// * lost ~ [`LossSampler::sample_lost`] (Binomial for random loss;
    ///   sojourn walk or two-moment Gamma fit for Gilbert–Elliott);
    /// * late ~ Binomial(received, e^(−depth/jitter)): each received packet
    ///   is late independently with P(X > depth);
    /// * J from its exact mean and variance (below), Gamma-shaped.
    ///
    /// The binomials are exact when n·p·q < 10 and a skewness-corrected
    /// normal above (`draw::BinomialSampler`): exact mean, variance and
    /// skewness.
    ///
    /// **J.** With k = received − 1 differences, the final estimate is
    /// `J = Σⱼ a bᵏ⁻ʲ |Dⱼ|` (a = 1/16, b = 15/16). Each |Dⱼ| is Exp(m)
    /// (|Laplace(0, m)|): mean m, variance m²; neighbours share a packet and
    /// have covariance m²/3 (E[g(X)²] − m² with g(x) = E|x − X| =
    /// x − m + 2m e^(−x/m)), others are independent. Hence
    /// `E J = m (1 − bᵏ)` and
    /// `Var J = m² a² [(1 − b²ᵏ) + (2/3) b (1 − b²ᵏ⁻²)] / (1 − b²)`,
    /// about (0.23 m)² for long calls. J's exact law (a weighted sum of
    /// dependent exponentials) is close to a Gamma of shape ≈ 19; we draw the
    /// Gamma with those two moments by the Wilson–Hilferty transform (one
    /// normal draw). Means and variances match the exact mode; the shape
    /// approximately.
    #[inline]
    pub fn statistical<R: Rng + ?Sized>(&self, duration_s: f64, rng: &mut R) -> StreamReport {
        let sent = packets_in(self.packets_per_s, duration_s);
        let lost = self.loss.sample_lost(sent, rng);
        let received = sent - lost;
        let late = if self.p_late > 0.0 {
            self.late.sample(received, rng)
        } else {
            0
        };
        let m = self.path.jitter_ms;
        let j = if m > 0.0 && received >= 2 {
            let k = received - 1;
            if k >= RFC3550_SETTLED {
                draw::gamma_like_c(m, self.j_c, self.j_sqrt_c, rng)
            } else {
                let (mean, var) = rfc3550_final_moments(m, k);
                draw::gamma_like(mean, var, rng)
            }
        } else {
            0.0
        };
        self.report(sent, received, late, j)
    }

    #[inline]
    fn report(&self, sent: u64, received: u64, late: u64, jitter_ms: f64) -> StreamReport {
        let lost = sent - received;
        let loss_pct = if sent == 0 {
            0.0
        } else {
            100.0 * (lost + late) as f64 / sent as f64
        };
        // G.107 planning form with the path's constants (see `emodel`).
        let ie_eff = if loss_pct > 0.0 {
            self.ie + (95.0 - self.ie) * loss_pct / (loss_pct * self.inv_burst_r + self.bpl)
        } else {
            self.ie
        };
        let r = self.r_before_loss - ie_eff;
        StreamReport {
            sent,
            received,
            lost,
            late,
            loss_pct,
            jitter_ms,
            delay_ms: self.delay_ms,
            r,
            mos: emodel::mos_from_r(r),
        }
    }
}

/// [`CodecCfg::packets_in`] with the packet rate already known.
#[inline]
fn packets_in(packets_per_s: f64, duration_s: f64) -> u64 {
    if duration_s.is_nan() || duration_s <= 0.0 {
        return 0;
    }
    // Truncation is ⌊·⌋ here (non-negative; saturating at u64::MAX).
    (duration_s * packets_per_s + 1e-9) as u64
}

/// One direction, packet by packet ([`StreamModel::exact`]); for many calls
/// on one path build the [`StreamModel`] once.
pub fn simulate_exact<R: Rng + ?Sized>(
    path: &PathMedia,
    codec: CodecCfg,
    jitter_buffer: &JitterBufferCfg,
    duration_s: f64,
    rng: &mut R,
) -> StreamReport {
    StreamModel::new(path, codec, jitter_buffer).exact(duration_s, rng)
}

/// One direction from distributions ([`StreamModel::statistical`]); for many
/// calls on one path build the [`StreamModel`] once (it saves the per-path
/// set-up: a few logarithms and divisions).
pub fn simulate_statistical<R: Rng + ?Sized>(
    path: &PathMedia,
    codec: CodecCfg,
    jitter_buffer: &JitterBufferCfg,
    duration_s: f64,
    rng: &mut R,
) -> StreamReport {
    StreamModel::new(path, codec, jitter_buffer).statistical(duration_s, rng)
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
    StreamModel::new(path, codec, jitter_buffer).simulate(mode, duration_s, rng)
}

/// The RFC 3550 interarrival jitter estimator (§6.4.1, Appendix A.8) in
/// milliseconds: fed each received packet's transit time (arrival minus
/// send time, any constant offset allowed), it keeps
/// `J += (|D| − J)/16` with D the change in transit from the previous packet.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct InterarrivalJitter {
    j: f64,
    prev_transit_ms: Option<f64>,
}

impl InterarrivalJitter {
    /// J = 0 before any packet.
    pub fn new() -> InterarrivalJitter {
        InterarrivalJitter::default()
    }

    /// One received packet's transit time, ms.
    #[inline]
    pub fn on_packet(&mut self, transit_ms: f64) {
        if let Some(prev) = self.prev_transit_ms {
            let d = transit_ms - prev;
            self.j += (d.abs() - self.j) * RFC3550_GAIN;
        }
        self.prev_transit_ms = Some(transit_ms);
    }

    /// The current estimate J, ms.
    pub fn jitter_ms(&self) -> f64 {
        self.j
    }
}

/// Mean and variance of the final RFC 3550 estimate after `k` differences of
/// Exp(`m`) jitter, from J = 0 (see [`simulate_statistical`]).
pub fn rfc3550_final_moments(m: f64, k: u64) -> (f64, f64) {
    let a = RFC3550_GAIN;
    let b = 1.0 - a;
    // bᵏ: below 1e-17 after 600 differences (12 s of talk), so skip the pow.
    let bk = if k >= 600 {
        0.0
    } else {
        (k as f64 * b.ln()).exp()
    };
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

    #[test]
    fn rfc3550_estimator_by_hand() {
        let mut j = InterarrivalJitter::new();
        j.on_packet(10.0);
        assert_eq!(j.jitter_ms(), 0.0, "one packet: no difference yet");
        j.on_packet(12.0); // |D| = 2: J = 2/16
        assert_eq!(j.jitter_ms(), 0.125);
        j.on_packet(9.0); // |D| = 3: J = 0.125 + (3 − 0.125)/16
        assert_eq!(j.jitter_ms(), 0.3046875);
        j.on_packet(9.0); // |D| = 0: J = 0.3046875 · 15/16
        assert_eq!(j.jitter_ms(), 0.28564453125);
        // Constant transit, whatever its value: J stays 0.
        let mut c = InterarrivalJitter::new();
        (0..100).for_each(|_| c.on_packet(57.25));
        assert_eq!(c.jitter_ms(), 0.0);
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
