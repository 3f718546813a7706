//! The platform being simulated, as actors that own their state — callers
//! (`callers`), routing (`routing`), agents (`agents`), money (`money`),
//! observers (`observers`), servers and controller, network and media — and
//! a thin dispatcher (`platform`) that plugs into the engine as a
//! [`Handler`], hands each event to its actor and emits a [`CallRecord`] for
//! every finished call. Actors talk through narrow methods the dispatcher
//! calls with the others' handles, so each can be read (and changed) alone.
//!
//! Architecture invariant: no I/O and no formatting here. Finished calls go to
//! a [`RecordSink`]; time-averaged quantities go to `stats` levels.
//!
//! [`Handler`]: crate::engine::Handler

mod agents;
mod call;
mod callers;
pub mod controller;
mod event;
mod link_loads;
mod money;
mod observers;
pub use invariants::{Invariant, Invariants, Violation};
use observers::invariants;
mod network_state;
pub use network_state::LinkRow;
mod platform;
mod record;
mod routing;
mod server;
mod spec;
pub mod spec_routing;

pub use crate::scenario::types::{Currency, Policy};
pub use call::{Direction, XferKind};
pub use callers::{ArrivalProcess, ArrivalSource};
pub use event::Event;
pub use platform::{
    run_replication, run_replication_traced, OutboundCounts, Platform, PortalRow,
    ReplicationResult, TraceFilter,
};
pub use record::{CallRecord, MediaRecord, Outcome, Place, RecordSink, TransferRecord, XferFail};
pub use spec::{
    ArrivalSpec, CheckSpec, ControllerSpec, DestinationSpec, DevicesSpec, Model, MoneySpec,
    NetEvent, NetworkSpec, NoAnswerRule, OutboundSpec, PortalSpec, RolloutSpec, Scope, ServerSpec,
    StepsSpec, TopUpRule, TopUpSpec, TransfersSpec,
};
