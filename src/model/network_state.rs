//! The platform's view of the network during one replication: the current
//! failures, the routing tables in force over time, and cached path
//! properties. Calls keep the index of the table their media was routed with
//! (an *epoch*), so a failure can tell which calls' paths it cuts without
//! storing a path per call.

use std::collections::HashMap;

use petgraph::graph::NodeIndex;

use crate::engine::SimTime;
use crate::media::{LossModel, PathMedia};
use crate::network::{compose_loss, path_metrics, Failures, Loss, Routes};

use super::spec::{NetEvent, NetworkSpec};

/// How a call's media segment fares when an element on its path fails.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Repair {
    /// The path does not use the failed element.
    Untouched,
    /// Media stops for this long, then flows on a new path.
    Gap(SimTime),
    /// No path is left: media never resumes.
    Lost,
}

/// One-way properties of a segment (or of two segments end to end).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SegmentQuality {
    pub delay_ms: f64,
    pub jitter_ms: f64,
    pub loss: Loss,
}

impl SegmentQuality {
    /// Two segments in series: delays add, jitters add in quadrature, losses
    /// compose as for links in series (network::compose_loss).
    pub fn then(self, next: SegmentQuality) -> SegmentQuality {
        SegmentQuality {
            delay_ms: self.delay_ms + next.delay_ms,
            jitter_ms: (self.jitter_ms.powi(2) + next.jitter_ms.powi(2)).sqrt(),
            loss: compose_loss([self.loss, next.loss]),
        }
    }

    pub fn media(self) -> PathMedia {
        let loss = match self.loss {
            Loss::Random(p) => LossModel::Random { p },
            Loss::Gilbert(g) => LossModel::Gilbert {
                p: g.p,
                r: g.r,
                loss_good: g.loss_good,
                loss_bad: g.loss_bad,
            },
        };
        PathMedia {
            one_way_delay_ms: self.delay_ms,
            jitter_ms: self.jitter_ms,
            loss,
        }
    }
}

pub struct NetworkState<'m> {
    spec: &'m NetworkSpec,
    failures: Failures,
    /// Routing tables in force over time; calls refer to them by index.
    epochs: Vec<Routes>,
    /// Path properties per (epoch, src, dst), computed on first use.
    quality: HashMap<(u16, u32, u32), Option<SegmentQuality>>,
}

impl<'m> NetworkState<'m> {
    pub fn new(spec: &'m NetworkSpec) -> Self {
        let failures = Failures::none(&spec.topology);
        let routes = Routes::compute(&spec.topology, &failures);
        NetworkState {
            spec,
            failures,
            epochs: vec![routes],
            quality: HashMap::new(),
        }
    }

    /// The table new calls are routed with.
    pub fn epoch(&self) -> u16 {
        (self.epochs.len() - 1) as u16
    }

    pub fn reachable(&self, src: NodeIndex, dst: NodeIndex) -> bool {
        src == dst || self.epochs.last().expect("one table").reachable(src, dst)
    }

    /// Quality of the path from `src` to `dst` in `epoch`; `None` when
    /// unreachable. A node to itself is a perfect zero-length path.
    pub fn quality(
        &mut self,
        epoch: u16,
        src: NodeIndex,
        dst: NodeIndex,
    ) -> Option<SegmentQuality> {
        if src == dst {
            return Some(SegmentQuality {
                delay_ms: 0.0,
                jitter_ms: 0.0,
                loss: Loss::Random(0.0),
            });
        }
        let key = (epoch, src.index() as u32, dst.index() as u32);
        if let Some(q) = self.quality.get(&key) {
            return *q;
        }
        let q = self.epochs[epoch as usize]
            .path(src, dst)
            .and_then(|path| path_metrics(&self.spec.topology, path))
            .map(|m| SegmentQuality {
                delay_ms: m.delay_ms,
                jitter_ms: m.jitter_ms,
                loss: m.loss,
            });
        self.quality.insert(key, q);
        q
    }

    /// Applies a link or node failure or recovery and routes anew (new
    /// calls use the new table at once). Returns the previous epoch.
    pub fn apply(&mut self, ev: NetEvent) -> u16 {
        let before = self.epoch();
        match ev {
            NetEvent::FailLink(e) => self.failures.fail_link(e),
            NetEvent::RecoverLink(e) => self.failures.recover_link(e),
            NetEvent::FailNode(n) => self.failures.fail_node(n),
            NetEvent::RecoverNode(n) => self.failures.recover_node(n),
            NetEvent::FailServer(_) | NetEvent::RecoverServer(_) => return before,
        }
        self.epochs
            .push(Routes::compute(&self.spec.topology, &self.failures));
        before
    }

    /// What the failure just applied does to a segment routed in `epoch`.
    ///
    /// If the segment's path avoids every failed element, nothing happens.
    /// Otherwise routers first detect the failure (`detection`); if the old
    /// table's loop-free alternates (RFC 5286) carry the packets around it,
    /// media is back after detection. If not, packets are lost until routing
    /// reconverges (`reconvergence`), and if the new table has no path
    /// either, media is lost for good.
    pub fn repair(&self, epoch: u16, src: NodeIndex, dst: NodeIndex) -> Repair {
        if src == dst {
            return if self.failures.node_failed(src) {
                Repair::Lost
            } else {
                Repair::Untouched
            };
        }
        let old = &self.epochs[epoch as usize];
        let topo = &self.spec.topology;
        let Some(path) = old.path(src, dst) else {
            return Repair::Lost;
        };
        let cut = path.iter().any(|&n| self.failures.node_failed(n))
            || path.windows(2).any(|w| {
                topo.link_between(w[0], w[1])
                    .is_none_or(|e| !self.failures.link_usable(topo, e))
            });
        if !cut {
            return Repair::Untouched;
        }
        if old.repaired_path(topo, src, dst, &self.failures).is_some() {
            Repair::Gap(self.spec.detection)
        } else if self.reachable(src, dst) {
            Repair::Gap(self.spec.detection.max(self.spec.reconvergence))
        } else {
            Repair::Lost
        }
    }
}
