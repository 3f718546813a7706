//! The network: topology files loaded into a petgraph graph, least-cost
//! routing with RFC 5286 loop-free alternates, and failures.
//!
//! Architecture invariant: a data structure with algorithms on it; it knows
//! nothing of calls or portals (the platform asks it for paths).
