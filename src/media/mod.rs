//! Media quality: codecs, RTP packet streams over a path with random or
//! bursty (Gilbert–Elliott) loss and jitter, the RFC 3550 jitter estimator, a
//! jitter buffer, and MOS by the ITU-T G.107 E-model.
//!
//! Data flow: the network gives a route's [`PathMedia`] (delay, jitter,
//! loss); the platform gives the call's [`CodecCfg`], the receiver's
//! [`JitterBufferCfg`] and the talk time; a [`StreamModel`] built once per
//! (path, codec, buffer) returns a [`StreamReport`] per call direction in
//! either mode ([`simulate`] and friends do both steps in one call).
//!
//! * [`codec`] — payload, ptime, bandwidth, codec delay, Ie/Bpl (G.113).
//! * [`emodel`] — G.107 planning form: R and MOS.
//! * [`loss`] — random and Gilbert–Elliott loss, per packet or counted.
//! * [`stream`] — one direction of a stream, per packet or statistical.
//!
//! Architecture invariant: pure functions of a path's properties, a codec and
//! a random stream; no knowledge of the event loop, calls or topology files.
//! Nothing allocates; the statistical mode makes a handful of random draws.

pub mod codec;
mod draw;
pub mod emodel;
pub mod loss;
pub mod stream;

pub use codec::{Codec, CodecCfg, Impairment, DEFAULT_PTIME_MS, IP_UDP_RTP_HEADER_BYTES};
pub use loss::{LossModel, LossProcess, LossSampler};
pub use stream::{
    simulate, simulate_exact, simulate_statistical, InterarrivalJitter, JitterBufferCfg, MediaMode,
    PathMedia, StreamModel, StreamReport, DEFAULT_JITTER_BUFFER_MS,
};

/// A media parameter that cannot be used, with the field at fault (the
/// scenario validator prefixes the path to it).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field} {reason}")]
pub struct MediaError {
    pub field: &'static str,
    pub reason: &'static str,
}

impl MediaError {
    pub fn new(field: &'static str, reason: &'static str) -> MediaError {
        MediaError { field, reason }
    }
}
