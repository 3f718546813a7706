//! Media quality: codecs, RTP packet streams over a path with random or
//! bursty (Gilbert–Elliott) loss and jitter, the RFC 3550 jitter estimator, a
//! jitter buffer, and MOS by the ITU-T G.107 E-model.
//!
//! Architecture invariant: pure functions of a path's properties, a codec and
//! a random stream; no knowledge of the event loop, calls or topology files.
