use crate::engine::SimTime;

use super::spec::ServerSpec;

/// Admission state of one SIP server: active calls and the calls accepted in
/// the current one-second window (fixed-window CPS limiter, as SIP servers'
/// `max_cps` settings usually behave).
#[derive(Debug, Clone)]
pub struct ServerState {
    pub max_calls: u32,
    pub max_cps: u32,
    pub active: u32,
    /// Down: refuses new calls and registrations until recovered. It is
    /// down while either cause below holds.
    pub failed: bool,
    /// A timed `FailServer` took it down (until `RecoverServer`).
    pub failed_itself: bool,
    /// The topology node it is placed on is down (`FailNode` until
    /// `RecoverNode`).
    pub node_down: bool,
    window_s: u64,
    accepted_in_window: u32,
    pub max_registers_per_s: u32,
    register_window_s: u64,
    registers_in_window: u32,
}

impl ServerState {
    pub fn new(spec: &ServerSpec) -> Self {
        ServerState {
            max_calls: spec.max_calls.unwrap_or(u32::MAX),
            max_cps: spec.max_cps.unwrap_or(u32::MAX),
            active: 0,
            failed: false,
            failed_itself: false,
            node_down: false,
            window_s: u64::MAX,
            accepted_in_window: 0,
            max_registers_per_s: spec.max_registers_per_s.unwrap_or(u32::MAX),
            register_window_s: u64::MAX,
            registers_in_window: 0,
        }
    }

    /// Whether a new call could be accepted at `now`, without accepting it.
    pub fn can_accept(&self, now: SimTime) -> bool {
        let sec = now.micros() / SimTime::MICROS_PER_S;
        let in_window = if sec == self.window_s {
            self.accepted_in_window
        } else {
            0
        };
        !self.failed && self.active < self.max_calls && in_window < self.max_cps
    }

    pub fn accept(&mut self, now: SimTime) {
        let sec = now.micros() / SimTime::MICROS_PER_S;
        if sec != self.window_s {
            self.window_s = sec;
            self.accepted_in_window = 0;
        }
        self.accepted_in_window += 1;
        self.active += 1;
    }

    /// Takes a REGISTER at `now` if the server is up and within its
    /// registrations per second; false: refused (503).
    pub fn register(&mut self, now: SimTime) -> bool {
        let sec = now.micros() / SimTime::MICROS_PER_S;
        if sec != self.register_window_s {
            self.register_window_s = sec;
            self.registers_in_window = 0;
        }
        if self.failed || self.registers_in_window >= self.max_registers_per_s {
            return false;
        }
        self.registers_in_window += 1;
        true
    }

    /// Sets one cause of being down; true when the server just went down
    /// or came back (the other cause does not hold).
    pub fn set_down(&mut self, by_node: bool, down: bool) -> bool {
        if by_node {
            self.node_down = down;
        } else {
            self.failed_itself = down;
        }
        let was = self.failed;
        self.failed = self.failed_itself || self.node_down;
        was != self.failed
    }

    pub fn release(&mut self) {
        debug_assert!(self.active > 0);
        self.active -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(max_calls: Option<u32>, max_cps: Option<u32>) -> ServerSpec {
        ServerSpec {
            name: "s".into(),
            kind: crate::scenario::types::ServerKind::Sip,
            max_calls,
            max_cps,
            node: None,
            max_registers_per_s: None,
        }
    }

    #[test]
    fn capacity_limits_concurrent_calls() {
        let mut s = ServerState::new(&spec(Some(2), None));
        let t = SimTime(10);
        assert!(s.can_accept(t));
        s.accept(t);
        s.accept(t);
        assert!(!s.can_accept(t));
        s.release();
        assert!(s.can_accept(t));
    }

    #[test]
    fn cps_window_resets_each_second() {
        let mut s = ServerState::new(&spec(None, Some(2)));
        s.accept(SimTime(1_000_000));
        s.accept(SimTime(1_500_000));
        assert!(!s.can_accept(SimTime(1_999_999)));
        assert!(s.can_accept(SimTime(2_000_000)));
    }
}
