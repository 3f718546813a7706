//! The platform being simulated: calls, portals with their queues and agents,
//! servers, arrival processes. It plugs into the engine as a [`Handler`] and
//! emits a [`CallRecord`] for every finished call.
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
mod invariants;
mod link_loads;
mod money;
pub use invariants::{Invariant, Invariants, Violation};
mod network_state;
pub use network_state::LinkRow;
mod platform;
mod record;
mod routing;
mod server;
mod spec;

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
