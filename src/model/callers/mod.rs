//! The callers actor: when calls arrive, how long callers wait before they
//! hang up, and how long they talk once connected.
//!
//! It owns, per portal, the arrival source and the `arrivals`, `patience`
//! and `talk` random streams, plus the call-id counter (ids number calls in
//! generation order, inbound and outbound alike). The dispatcher asks it
//! for the next arrival instant and for patience and talk draws; it decides
//! nothing about where a call goes.
//!
//! Invariant: draws only from its own streams and reads only the portal's
//! spec, so the sequence of arrivals does not depend on anything the rest of
//! the platform does (common random numbers across policies).

mod arrivals;

pub use arrivals::ArrivalProcess;

use crate::engine::{SimTime, StreamRng};

use super::spec::PortalSpec;

/// Where a portal's arrival instants come from. A new kind of source (for
/// example instants replayed from a recorded call log, pulled from an
/// iterator the orchestrator supplies) is a new variant here and an arm in
/// [`ArrivalSource::next_s`]; nothing else in the platform changes.
#[derive(Debug, Clone)]
pub enum ArrivalSource {
    /// Drawn from a (possibly non-homogeneous) Poisson process.
    Process(ArrivalProcess),
}

impl ArrivalSource {
    /// The next arrival instant in seconds, `None` when the source is dry.
    #[inline]
    fn next_s(&mut self, rng: &mut StreamRng) -> Option<f64> {
        match self {
            ArrivalSource::Process(p) => p.next(rng),
        }
    }
}

/// One portal's callers.
pub struct PortalCallers {
    source: ArrivalSource,
    rng_arrivals: StreamRng,
    rng_talk: StreamRng,
    rng_patience: StreamRng,
    /// Patience starts at queue entry (`patience_from: Queue`, or a portal
    /// without steps, where arrival is queue entry); otherwise it is drawn
    /// at arrival.
    patience_at_queue: bool,
}

/// Every portal's callers, indexed by portal.
pub struct Callers {
    portals: Vec<PortalCallers>,
    next_call_id: u64,
}

/// A portal's callers' random streams, in the order [`Callers::new`] takes
/// them.
pub struct CallerStreams {
    pub arrivals: StreamRng,
    pub talk: StreamRng,
    pub patience: StreamRng,
}

impl Callers {
    /// `plain(p)`: portal p's calls go straight to the queue (no steps, no
    /// controller); `streams(p)` its random streams.
    pub fn new(
        specs: &[PortalSpec],
        plain: impl Fn(usize) -> bool,
        mut streams: impl FnMut(usize) -> CallerStreams,
    ) -> Self {
        let portals = specs
            .iter()
            .enumerate()
            .map(|(p, spec)| {
                let s = streams(p);
                PortalCallers {
                    source: ArrivalSource::Process(ArrivalProcess::new(spec.arrivals.clone())),
                    rng_arrivals: s.arrivals,
                    rng_talk: s.talk,
                    rng_patience: s.patience,
                    patience_at_queue: plain(p)
                        || spec.patience_from == crate::scenario::types::PatienceFrom::Queue,
                }
            })
            .collect();
        Callers {
            portals,
            next_call_id: 0,
        }
    }

    /// The next arrival instant of portal `p`, if there is one before
    /// `close` (when arrivals stop).
    #[inline]
    pub fn next_arrival(&mut self, p: usize, close: SimTime) -> Option<SimTime> {
        let pc = &mut self.portals[p];
        let at = SimTime::from_secs_f64(pc.source.next_s(&mut pc.rng_arrivals)?);
        (at < close).then_some(at)
    }

    /// A fresh call id.
    #[inline]
    pub fn new_call_id(&mut self) -> u64 {
        let id = self.next_call_id;
        self.next_call_id += 1;
        id
    }

    /// Calls generated so far (inbound and outbound, warm-up included).
    pub fn generated(&self) -> u64 {
        self.next_call_id
    }

    /// The caller's patience, when it runs from arrival.
    #[inline]
    pub fn patience_at_arrival(&mut self, spec: &PortalSpec, p: usize) -> Option<SimTime> {
        let pc = &mut self.portals[p];
        match &spec.patience {
            Some(patience) if !pc.patience_at_queue => Some(patience.sample(&mut pc.rng_patience)),
            _ => None,
        }
    }

    /// The caller's patience, when it runs from queue entry.
    #[inline(always)]
    pub fn patience_in_queue(&mut self, spec: &PortalSpec, p: usize) -> Option<SimTime> {
        let pc = &mut self.portals[p];
        match &spec.patience {
            Some(patience) if pc.patience_at_queue => Some(patience.sample(&mut pc.rng_patience)),
            _ => None,
        }
    }

    /// How long the caller talks once connected.
    #[inline(always)]
    pub fn draw_talk(&mut self, spec: &PortalSpec, p: usize) -> SimTime {
        spec.talk.sample(&mut self.portals[p].rng_talk)
    }
}
