//! The controller: the broker every portal talks to, modelled as a pool of
//! workers serving requests first come, first served.
//!
//! FIFO service with service times drawn at submission makes each request's
//! start time known the moment it is submitted (the earliest time a worker
//! is free, or now): the pool is a min-heap of the workers' next free times,
//! and no event is needed inside the controller. A client that would wait
//! longer than the timeout gives up at the timeout, but the controller, which
//! cannot know, still does the work: timed-out requests keep loading it, as
//! they do on a real broker under a storm.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::engine::{Sampler, SimTime, StreamRng};

/// Request kinds, by what they cost the controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// Licence check and account creation at the provider on a portal's
    /// first call: the slow one.
    Provision,
    /// Routing look-up of the callee portal's settings (cache misses only).
    Lookup,
    /// Call-finished statistics (fire and forget).
    Stats,
    /// Balance query (before outbound calls, and portal UIs polling).
    Balance,
    /// Moving an account to the current call-scenario version.
    Upgrade,
}

impl Request {
    pub const ALL: [Request; 5] = [
        Request::Provision,
        Request::Lookup,
        Request::Stats,
        Request::Balance,
        Request::Upgrade,
    ];
}

/// Checked controller settings.
#[derive(Debug, Clone)]
pub struct ControllerSpec {
    pub workers: u32,
    /// Service time per request kind, by `Request as usize`.
    pub service: [Sampler; 5],
    pub timeout: SimTime,
    /// How long a SIP server keeps a portal's settings; `None`: no cache.
    pub cache_ttl: Option<SimTime>,
    /// Balance queries from portal UIs, per portal per hour.
    pub balance_polls_per_portal_h: f64,
    /// Call-scenario versions published, in time order.
    pub rollouts: Vec<RolloutSpec>,
    /// Windows `[from, until)` in which every service time is multiplied.
    pub slowdowns: Vec<(SimTime, SimTime, f64)>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RolloutSpec {
    pub at: SimTime,
    pub version: u32,
    /// Upgrade every account at this many per second from `at`; `None`:
    /// lazily, at each account's next call or balance check.
    pub eager_per_s: Option<f64>,
}

/// What the client sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// The answer arrives at this time.
    At(SimTime),
    /// No answer within the timeout: the client gives up at this time.
    TimedOut(SimTime),
}

/// Per-interval (and whole-run) controller counters.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ControllerCounters {
    pub requests: [u32; 5],
    /// Work submitted (sum of service times): over `workers × interval` it
    /// is the offered load, which exceeds 1 when a backlog builds.
    pub work_us: u64,
    /// Queueing delay before service, summed and at most.
    pub wait_us: u64,
    pub max_wait_us: u64,
    pub timeouts: u32,
    pub cache_hits: u32,
    pub cache_misses: u32,
    pub upgraded: u32,
}

impl ControllerCounters {
    pub fn total_requests(&self) -> u32 {
        self.requests.iter().sum()
    }

    pub fn merge(&mut self, o: &ControllerCounters) {
        for (a, b) in self.requests.iter_mut().zip(o.requests) {
            *a += b;
        }
        self.work_us += o.work_us;
        self.wait_us += o.wait_us;
        self.max_wait_us = self.max_wait_us.max(o.max_wait_us);
        self.timeouts += o.timeouts;
        self.cache_hits += o.cache_hits;
        self.cache_misses += o.cache_misses;
        self.upgraded += o.upgraded;
    }
}

pub struct Controller {
    free_at: BinaryHeap<Reverse<SimTime>>,
    rng: StreamRng,
    pub interval: ControllerCounters,
    pub total: ControllerCounters,
}

impl Controller {
    pub fn new(spec: &ControllerSpec, rng: StreamRng) -> Self {
        Controller {
            free_at: (0..spec.workers.max(1))
                .map(|_| Reverse(SimTime::ZERO))
                .collect(),
            rng,
            interval: ControllerCounters::default(),
            total: ControllerCounters::default(),
        }
    }

    /// Submits a request at `now` and says when its answer arrives.
    pub fn submit(&mut self, spec: &ControllerSpec, now: SimTime, kind: Request) -> Reply {
        let Reverse(free) = self.free_at.pop().expect("at least one worker");
        let start = free.max(now);
        let mut service = spec.service[kind as usize].sample_secs(&mut self.rng);
        for &(from, until, factor) in &spec.slowdowns {
            if start >= from && start < until {
                service *= factor;
            }
        }
        let service = SimTime::from_secs_f64(service);
        let done = start + service;
        self.free_at.push(Reverse(done));
        let wait = (start - now).micros();
        let timed_out = done - now > spec.timeout;
        for c in [&mut self.interval, &mut self.total] {
            c.requests[kind as usize] += 1;
            c.work_us += service.micros();
            c.wait_us += wait;
            c.max_wait_us = c.max_wait_us.max(wait);
            c.timeouts += timed_out as u32;
        }
        if timed_out {
            Reply::TimedOut(now + spec.timeout)
        } else {
            Reply::At(done)
        }
    }

    pub fn count(&mut self, f: impl Fn(&mut ControllerCounters)) {
        f(&mut self.interval);
        f(&mut self.total);
    }

    /// Requests submitted but not yet started at `now` (the backlog).
    pub fn backlog_workers(&self, now: SimTime) -> usize {
        self.free_at.iter().filter(|Reverse(t)| *t > now).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::stream;

    fn spec(workers: u32, service_s: f64, timeout_s: f64) -> ControllerSpec {
        ControllerSpec {
            workers,
            service: std::array::from_fn(|_| Sampler::constant(service_s).unwrap()),
            timeout: SimTime::from_secs_f64(timeout_s),
            cache_ttl: None,
            balance_polls_per_portal_h: 0.0,
            rollouts: vec![],
            slowdowns: vec![],
        }
    }

    #[test]
    fn requests_queue_first_come_first_served_over_the_workers() {
        let s = spec(2, 1.0, 10.0);
        let mut c = Controller::new(&s, stream(1, 0, 0, 0));
        let t = SimTime::from_secs_f64;
        let at: Vec<Reply> = (0..5)
            .map(|_| c.submit(&s, t(0.0), Request::Lookup))
            .collect();
        assert_eq!(
            at,
            [1.0, 1.0, 2.0, 2.0, 3.0].map(|x| Reply::At(t(x))).to_vec()
        );
        assert_eq!(c.total.max_wait_us, 2_000_000);
        // Idle workers start at once.
        assert_eq!(c.submit(&s, t(10.0), Request::Stats), Reply::At(t(11.0)));
    }

    #[test]
    fn a_client_gives_up_at_the_timeout_but_the_work_is_still_done() {
        let s = spec(1, 2.0, 3.0);
        let mut c = Controller::new(&s, stream(1, 0, 0, 0));
        let t = SimTime::from_secs_f64;
        assert_eq!(c.submit(&s, t(0.0), Request::Lookup), Reply::At(t(2.0)));
        assert_eq!(
            c.submit(&s, t(0.0), Request::Lookup),
            Reply::TimedOut(t(3.0))
        );
        // The timed-out request still occupies the worker until 4 s.
        assert_eq!(c.submit(&s, t(3.5), Request::Lookup), Reply::At(t(6.0)));
        assert_eq!(c.total.timeouts, 1);
        assert_eq!(c.total.work_us, 6_000_000);
        assert_eq!(c.total.max_wait_us, 2_000_000);
    }

    #[test]
    fn slowdowns_stretch_service_that_starts_inside_them() {
        let mut s = spec(1, 1.0, 100.0);
        let t = SimTime::from_secs_f64;
        s.slowdowns = vec![(t(10.0), t(20.0), 5.0)];
        let mut c = Controller::new(&s, stream(1, 0, 0, 0));
        assert_eq!(c.submit(&s, t(9.0), Request::Lookup), Reply::At(t(10.0)));
        assert_eq!(c.submit(&s, t(10.0), Request::Lookup), Reply::At(t(15.0)));
        assert_eq!(c.submit(&s, t(25.0), Request::Lookup), Reply::At(t(26.0)));
    }
}
