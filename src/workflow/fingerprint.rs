//! Sweep fingerprints.
