//! The bare discrete-event core: simulated time, an event queue ordered by
//! (time, insertion sequence), seeded random streams and samplers.
//!
//! Architecture invariant: nothing in here knows about telephony. The domain
//! supplies a [`Handler`]; the engine only pops events in a deterministic order
//! and hands them over. Nothing here allocates per event in the steady state.

mod queue;
mod rng;
mod sampler;
mod time;

pub use queue::{prefetch, EventQueue, Handler};
pub use rng::{stream, StreamRng};
pub use sampler::{Sampler, SamplerError};
pub use time::SimTime;
