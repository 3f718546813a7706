//! Voice codecs: what one RTP packet carries, what it costs on the wire, how
//! much delay the codec adds, and how the ITU-T G.107 E-model rates it.
//!
//! Wire sizes follow DESIGN §2: one packet per `ptime` per direction with 40
//! bytes of IP (20) + UDP (8) + RTP (12) header on top of the codec payload.
//! Layer-2 framing (Ethernet, VLAN, tunnels) is *not* counted.
//!
//! E-model factors: G.711 and G.729 come from ITU-T G.113 Appendix I, as
//! DESIGN §2 requires. ITU-T publishes no narrowband Ie/Bpl for Opus or
//! Speex; the values used for those two are planning assumptions, explained
//! on [`Codec::Opus`] and [`Codec::Speex`].

use serde::Deserialize;

use super::MediaError;

/// Bytes of IP (20) + UDP (8) + RTP (12) header per packet (DESIGN §2).
pub const IP_UDP_RTP_HEADER_BYTES: u32 = 40;

/// The usual packetisation interval of telephony RTP streams (DESIGN §2;
/// RFC 3551 §4.2 makes 20 ms the default packetisation interval).
pub const DEFAULT_PTIME_MS: f64 = 20.0;

/// A voice codec as negotiated for a call. Scenario files name them as
/// written here: `G711`, `G729`, `Opus`, `Speex`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
pub enum Codec {
    /// ITU-T G.711 PCM (A-law or µ-law), 64 kbit/s, with the packet-loss
    /// concealment of G.711 Appendix I. E-model: Ie 0, Bpl 25.1 (ITU-T
    /// G.113 Appendix I, "G.711 with PLC", random loss). The Appendix I PLC
    /// delays output by 3.75 ms (its history buffer), counted in
    /// [`Codec::algorithmic_delay_ms`].
    G711,
    /// ITU-T G.729 Annex A CS-ACELP, 8 kbit/s, 10 ms frames with 5 ms
    /// look-ahead. E-model: Ie 11, Bpl 19.0 (ITU-T G.113 Appendix I,
    /// "G.729A + VAD").
    G729,
    /// Opus (RFC 6716) in its VoIP mode at a nominal 24 kbit/s CBR, 20 ms
    /// frames; algorithmic delay 26.5 ms (20 ms frame + 6.5 ms look-ahead:
    /// the Opus project's published default, opus-codec.org; RFC 6716).
    ///
    /// **No ITU-T value exists**: G.113 Appendix I (narrowband) does not list
    /// Opus, and the wideband/fullband tables (G.113 Appendices IV/V) belong to
    /// the G.107.1/G.107.2 scales, which cannot be mixed with the narrowband
    /// R = 93.2 scale used here. We take **Ie = 0**: listening tests of Opus at
    /// this rate (Rämö & Toukomaa, "Voice quality characterization of IETF
    /// Opus codec", Interspeech 2011) put it at or above G.711 quality, and the
    /// narrowband E-model has no room above G.711 (Ie 0), so any wideband
    /// advantage is deliberately not credited. We take **Bpl = 25.1**, the
    /// G.711-with-PLC value: Opus has built-in concealment at least as capable
    /// as G.711 Appendix I; in-band FEC (which would make it far more robust)
    /// is assumed off. Both are planning assumptions, not measured values.
    Opus,
    /// Speex narrowband (RFC 5574) at 8 kbit/s (encoder quality 3, sub-mode
    /// 3: 160 bits per 20 ms frame; Asterisk's default Speex quality), 20 ms
    /// frames with 10 ms look-ahead: 30 ms algorithmic delay (Speex manual,
    /// "Delay and algorithmic delay").
    ///
    /// **No ITU-T value exists** for Speex. We take the values of the closest
    /// codec that has one: **Ie = 11, Bpl = 19.0**, those of G.729A (same bit
    /// rate, same CELP family with its own concealment). This is an
    /// assumption of comparable quality, not a measurement; replace it when a
    /// P.833/P.834 derivation for Speex is available.
    Speex,
}

/// The E-model's view of a codec: equipment impairment `Ie` and packet-loss
/// robustness `Bpl` (ITU-T G.107 §3.6, values from ITU-T G.113).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Impairment {
    /// Equipment impairment factor Ie (R points lost to the codec itself).
    pub ie: f64,
    /// Packet-loss robustness factor Bpl (higher: degrades more slowly).
    pub bpl: f64,
}

impl Codec {
    /// Every codec, for tables and tests.
    pub const ALL: [Codec; 4] = [Codec::G711, Codec::G729, Codec::Opus, Codec::Speex];

    /// The name as scenario files and `calls.csv` write it.
    pub fn name(self) -> &'static str {
        match self {
            Codec::G711 => "G711",
            Codec::G729 => "G729",
            Codec::Opus => "Opus",
            Codec::Speex => "Speex",
        }
    }

    /// Nominal payload bit rate, bit/s (without headers).
    pub fn bitrate_bps(self) -> u32 {
        match self {
            Codec::G711 => 64_000,
            Codec::G729 => 8_000,
            Codec::Opus => 24_000,
            Codec::Speex => 8_000,
        }
    }

    /// The codec's frame (ms): a packet's `ptime` must be a whole number of
    /// frames. G.711 is sample-based; we use 10 ms as its granule (any
    /// multiple of 0.125 ms would do; 10/20/30 ms are what phones offer).
    /// Opus accepts 2.5–60 ms frames; 2.5 ms is the granule.
    pub fn frame_ms(self) -> f64 {
        match self {
            Codec::G711 => 10.0,
            Codec::G729 => 10.0,
            Codec::Opus => 2.5,
            Codec::Speex => 20.0,
        }
    }

    /// Delay the codec adds beyond packetisation: encoder look-ahead, and for
    /// G.711 the 3.75 ms of its Appendix I concealment buffer. Encoder and
    /// decoder processing time is implementation-dependent and not counted.
    pub fn algorithmic_delay_ms(self) -> f64 {
        match self {
            Codec::G711 => 3.75,
            Codec::G729 => 5.0,
            Codec::Opus => 6.5,
            Codec::Speex => 10.0,
        }
    }

    /// E-model factors (see the variant docs for sources and assumptions).
    pub fn impairment(self) -> Impairment {
        match self {
            Codec::G711 => Impairment { ie: 0.0, bpl: 25.1 },
            Codec::G729 => Impairment {
                ie: 11.0,
                bpl: 19.0,
            },
            Codec::Opus => Impairment { ie: 0.0, bpl: 25.1 },
            Codec::Speex => Impairment {
                ie: 11.0,
                bpl: 19.0,
            },
        }
    }
}

/// A codec with its packetisation interval: everything a stream needs to
/// know about the media encoding. Scenario form: `(codec: G711, ptime_ms: 20.0)`
/// (`ptime_ms` defaults to 20).
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
pub struct CodecCfg {
    pub codec: Codec,
    #[serde(default = "default_ptime_ms")]
    pub ptime_ms: f64,
}

fn default_ptime_ms() -> f64 {
    DEFAULT_PTIME_MS
}

impl From<Codec> for CodecCfg {
    fn from(codec: Codec) -> Self {
        CodecCfg::new(codec)
    }
}

impl CodecCfg {
    /// The codec at the default 20 ms packetisation.
    pub fn new(codec: Codec) -> CodecCfg {
        CodecCfg {
            codec,
            ptime_ms: DEFAULT_PTIME_MS,
        }
    }

    /// The codec at a chosen packetisation, checked by [`CodecCfg::check`].
    pub fn with_ptime(codec: Codec, ptime_ms: f64) -> Result<CodecCfg, MediaError> {
        let cfg = CodecCfg { codec, ptime_ms };
        cfg.check()?;
        Ok(cfg)
    }

    /// `ptime_ms` must be finite, between one frame and 120 ms (RFC 6716's
    /// longest Opus packet; nobody sends longer voice packets), and a whole
    /// number of codec frames.
    pub fn check(&self) -> Result<(), MediaError> {
        let p = self.ptime_ms;
        if !p.is_finite() || p <= 0.0 {
            return Err(MediaError::new("ptime_ms", "must be a positive number"));
        }
        let frame = self.codec.frame_ms();
        if !(frame..=120.0).contains(&p) {
            return Err(MediaError::new(
                "ptime_ms",
                "must be between one codec frame and 120 ms",
            ));
        }
        let frames = p / frame;
        if (frames - frames.round()).abs() > 1e-9 {
            return Err(MediaError::new(
                "ptime_ms",
                "must be a whole number of codec frames",
            ));
        }
        Ok(())
    }

    /// Codec payload bytes per packet: the bit rate times `ptime`, rounded up
    /// to whole bytes (RFC 5574 pads Speex to an octet boundary; the others
    /// are whole bytes at every allowed `ptime`).
    pub fn payload_bytes(&self) -> u32 {
        let bits = self.codec.bitrate_bps() as f64 * self.ptime_ms / 1000.0;
        ((bits / 8.0) - 1e-9).ceil() as u32
    }

    /// Bytes of one packet at the IP layer: payload + 40 (DESIGN §2).
    pub fn packet_bytes(&self) -> u32 {
        self.payload_bytes() + IP_UDP_RTP_HEADER_BYTES
    }

    /// Packets per second per direction.
    pub fn packets_per_s(&self) -> f64 {
        1000.0 / self.ptime_ms
    }

    /// IP-layer bandwidth of one direction, kbit/s (G.711 at 20 ms: 200 bytes
    /// × 8 / 20 ms = 80 kbit/s). What a link carries per media flow.
    pub fn ip_bandwidth_kbps(&self) -> f64 {
        self.packet_bytes() as f64 * 8.0 / self.ptime_ms
    }

    /// The codec's share of mouth-to-ear delay: packetisation (the first
    /// sample of a packet waits `ptime` before the packet can leave) plus the
    /// codec's algorithmic delay (look-ahead, PLC buffer), the way ITU-T G.114
    /// budgets codec delay; processing time is not counted.
    pub fn codec_delay_ms(&self) -> f64 {
        self.ptime_ms + self.codec.algorithmic_delay_ms()
    }

    /// Number of packets one direction sends in a talk time of `duration_s`:
    /// one per `ptime`, counting only complete intervals (a tolerance of 1e-9
    /// packets absorbs decimal rounding, so 0.06 s at 20 ms is 3 packets).
    pub fn packets_in(&self, duration_s: f64) -> u64 {
        // NaN and non-positive durations send nothing.
        if duration_s.is_nan() || duration_s <= 0.0 {
            return 0;
        }
        let n = duration_s * 1000.0 / self.ptime_ms;
        // Truncation is ⌊·⌋ for a non-negative value and saturates at
        // u64::MAX; `floor` is a library call on baseline x86-64 (1% of a
        // media run).
        (n + 1e-9) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g711_at_20ms_is_80_kbps_on_the_wire() {
        let c = CodecCfg::new(Codec::G711);
        assert_eq!(c.payload_bytes(), 160);
        assert_eq!(c.packet_bytes(), 200);
        assert_eq!(c.ip_bandwidth_kbps(), 80.0);
        assert_eq!(c.packets_per_s(), 50.0);
    }

    #[test]
    fn wire_sizes_of_every_codec() {
        // (codec, payload bytes at 20 ms, kbit/s at the IP layer)
        let expected = [
            (Codec::G711, 160, 80.0),
            (Codec::G729, 20, 24.0),
            (Codec::Opus, 60, 40.0),
            (Codec::Speex, 20, 24.0),
        ];
        for (codec, payload, kbps) in expected {
            let c = CodecCfg::new(codec);
            assert_eq!(c.payload_bytes(), payload, "{codec:?}");
            assert!((c.ip_bandwidth_kbps() - kbps).abs() < 1e-12, "{codec:?}");
        }
        // G.729 at 30 ms: 3 frames of 10 bytes; (30 + 40) × 8 / 30 ms.
        let g729_30 = CodecCfg::with_ptime(Codec::G729, 30.0).unwrap();
        assert_eq!(g729_30.payload_bytes(), 30);
        assert!((g729_30.ip_bandwidth_kbps() - 560.0 / 30.0).abs() < 1e-12);
    }

    #[test]
    fn g711_and_g729_use_the_itu_t_g113_values() {
        assert_eq!(Codec::G711.impairment(), Impairment { ie: 0.0, bpl: 25.1 });
        assert_eq!(
            Codec::G729.impairment(),
            Impairment {
                ie: 11.0,
                bpl: 19.0
            }
        );
    }

    #[test]
    fn codec_delay_is_packetisation_plus_look_ahead() {
        assert_eq!(CodecCfg::new(Codec::G711).codec_delay_ms(), 23.75);
        assert_eq!(CodecCfg::new(Codec::G729).codec_delay_ms(), 25.0);
        assert_eq!(CodecCfg::new(Codec::Opus).codec_delay_ms(), 26.5);
        assert_eq!(CodecCfg::new(Codec::Speex).codec_delay_ms(), 30.0);
    }

    #[test]
    fn packets_count_whole_ptimes_only() {
        let c = CodecCfg::new(Codec::G711);
        assert_eq!(c.packets_in(120.0), 6000);
        assert_eq!(c.packets_in(0.06), 3);
        assert_eq!(c.packets_in(0.059), 2);
        assert_eq!(c.packets_in(0.0), 0);
        assert_eq!(c.packets_in(-1.0), 0);
        assert_eq!(c.packets_in(f64::NAN), 0);
    }

    #[test]
    fn bad_ptimes_are_refused() {
        assert!(CodecCfg::with_ptime(Codec::G729, 25.0).is_err());
        assert!(CodecCfg::with_ptime(Codec::Speex, 10.0).is_err());
        assert!(CodecCfg::with_ptime(Codec::G711, 0.0).is_err());
        assert!(CodecCfg::with_ptime(Codec::G711, f64::NAN).is_err());
        assert!(CodecCfg::with_ptime(Codec::Opus, 240.0).is_err());
        assert!(CodecCfg::with_ptime(Codec::Opus, 2.5).is_ok());
        assert!(CodecCfg::with_ptime(Codec::Speex, 40.0).is_ok());
    }

    #[test]
    fn names_round_trip_through_ron() {
        for codec in Codec::ALL {
            let parsed: Codec = ron::from_str(codec.name()).unwrap();
            assert_eq!(parsed, codec);
        }
        let cfg: CodecCfg = ron::from_str("(codec: G729)").unwrap();
        assert_eq!(cfg, CodecCfg::new(Codec::G729));
    }
}
