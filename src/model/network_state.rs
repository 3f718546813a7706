//! The platform's view of the network during one replication: the current
//! failures, the routing tables in force over time, and cached path
//! properties. Calls keep the index of the table their media was routed with
//! (an *epoch*), so a failure can tell which calls' paths it cuts without
//! storing a path per call.

use std::borrow::Cow;
use std::collections::HashMap;

use petgraph::graph::NodeIndex;

use crate::engine::SimTime;
use crate::media::{Codec, CodecCfg, JitterBufferCfg, LossModel, PathMedia, StreamModel};
use crate::network::{compose_loss, path_metrics, Failures, Loss, Routes};

use super::link_loads::LinkLoads;
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
    /// Prepared media models per (epoch, callers, relay, agents, codec), so
    /// a call's media costs a lookup and a few draws.
    streams: HashMap<StreamKey, Option<StreamModel>>,
    /// Media load of the links, kept per group of links that every route
    /// crosses alike (see `LinkLoads`).
    loads: LinkLoads,
    /// Per route class (a portal and its media server, chosen by the
    /// platform), for one epoch: the links the media crosses and the
    /// prepared media model. Most calls hit this: no hashing, no path walk.
    classes: Vec<Option<ClassRoute>>,
    /// Per (portal, SIP server): the signalling path's round trip and the
    /// probability that an INVITE and its response both get through.
    sip_classes: Vec<Option<SipPath>>,
}

/// Epoch, and the round trip and pass probability of a signalling path
/// (`None`: unreachable).
type SipPath = (u16, Option<(SimTime, f64)>);

/// A call's media flow as the caches see it.
#[derive(Debug, Clone, Copy)]
pub struct Flow {
    /// Route class: the platform numbers (portal, media server) pairs.
    pub class: usize,
    pub segs: [Option<(NodeIndex, NodeIndex)>; 2],
    pub codec: Codec,
    /// Bandwidth per direction on each link, kbit/s.
    pub kbps: u32,
}

#[derive(Debug, Clone)]
struct ClassRoute {
    epoch: u16,
    codec: Codec,
    /// Link indices of every segment's path, in order.
    links: Vec<u32>,
    /// The link groups a flow on this route updates, valid while the
    /// loads' generation is `groups_gen`.
    groups: Vec<u32>,
    groups_gen: u64,
    /// Every segment has a path in the current epoch (false for a route
    /// built for an older epoch, which is never asked).
    routed: bool,
    model: Option<StreamModel>,
}

type StreamKey = (u16, u32, u32, u32, Codec);

/// The cached route of a flow's class when it is for `epoch` and the flow's
/// codec and its link groups are current (`generation` of the loads): the
/// case of nearly every call. A free function so that the caller can borrow
/// the route beside the loads it changes.
#[inline]
fn ready_route<'a>(
    classes: &'a [Option<ClassRoute>],
    flow: &Flow,
    epoch: u16,
    generation: u64,
) -> Option<&'a ClassRoute> {
    match classes.get(flow.class) {
        Some(Some(r))
            if r.epoch == epoch && r.codec == flow.codec && r.groups_gen == generation =>
        {
            Some(r)
        }
        _ => None,
    }
}

/// One row of `links.csv`.
#[derive(Debug, Clone)]
pub struct LinkRow {
    pub start: SimTime,
    pub end: SimTime,
    pub link: u32,
    pub mean_flows: f64,
    pub max_flows: u32,
    pub mean_load_mbps: f64,
    pub max_load_mbps: f64,
    pub failed: bool,
}

impl<'m> NetworkState<'m> {
    /// The first link whose flow or bandwidth count went below zero.
    pub fn underflowed_link(&self) -> Option<usize> {
        self.loads.underflowed_link()
    }

    pub fn new(spec: &'m NetworkSpec) -> Self {
        let failures = Failures::none(&spec.topology);
        let routes = Routes::compute(&spec.topology, &failures);
        NetworkState {
            spec,
            failures,
            epochs: vec![routes],
            quality: HashMap::new(),
            streams: HashMap::new(),
            loads: LinkLoads::new(
                spec.topology
                    .links()
                    .map(|(_, l)| l.capacity_mbps * 1000.0)
                    .collect(),
            ),
            classes: Vec::new(),
            sip_classes: Vec::new(),
        }
    }

    /// The cached route of `class` for `epoch`, (re)built when missing or
    /// stale. Only the current epoch is cached; older ones are rebuilt.
    fn class_route(
        &mut self,
        class: usize,
        epoch: u16,
        segs: [Option<(NodeIndex, NodeIndex)>; 2],
        codec: Codec,
    ) -> ClassRoute {
        if let Some(Some(r)) = self.classes.get(class) {
            if r.epoch == epoch && r.codec == codec {
                return r.clone();
            }
        }
        let topo = &self.spec.topology;
        let mut links = Vec::new();
        for &(a, b) in segs.iter().flatten() {
            if let Some(path) = self.epochs[epoch as usize].path(a, b) {
                links.extend(
                    path.windows(2)
                        .filter_map(|w| topo.link_between(w[0], w[1]))
                        .map(|e| e.index() as u32),
                );
            }
        }
        let groups = self.loads.register(&links);
        let routed =
            epoch == self.epoch() && segs.iter().flatten().all(|&(a, b)| self.reachable(a, b));
        let route = ClassRoute {
            epoch,
            codec,
            links,
            groups,
            groups_gen: self.loads.generation(),
            routed,
            model: self.stream_model(epoch, segs, codec),
        };
        if epoch == self.epoch() {
            if self.classes.len() <= class {
                self.classes.resize(class + 1, None);
            }
            self.classes[class] = Some(route.clone());
        }
        route
    }

    /// Adds or removes a call's media flow (`kbps` per direction) on the
    /// links of its route class in `epoch`; when adding, returns the worst
    /// load / capacity ratio on them if above 1 (else 0), for the overload
    /// loss model.
    pub fn carry_class(&mut self, now: SimTime, flow: &Flow, epoch: u16, add: bool) -> f64 {
        // Fast path: the cached route's groups, borrowed beside the loads
        // they change.
        match ready_route(&self.classes, flow, epoch, self.loads.generation()) {
            Some(r) => self.loads.carry(now, &r.groups, flow.kbps, add),
            None => self.carry_class_slow(now, flow, epoch, add),
        }
    }

    /// A new call's media in the current epoch: adds the flow to its links
    /// and returns the worst load ratio as [`carry_class`](Self::carry_class)
    /// does, or `None` (nothing added) when a segment has no path. The
    /// class's cached route knows, so most calls skip the reachability
    /// look-ups.
    pub fn carry_if_routed(&mut self, now: SimTime, flow: &Flow) -> Option<f64> {
        let epoch = self.epoch();
        match ready_route(&self.classes, flow, epoch, self.loads.generation()) {
            Some(r) => r
                .routed
                .then(|| self.loads.carry(now, &r.groups, flow.kbps, true)),
            None => {
                let routed = flow
                    .segs
                    .iter()
                    .flatten()
                    .all(|&(a, b)| self.reachable(a, b));
                routed.then(|| self.carry_class(now, flow, epoch, true))
            }
        }
    }

    /// [`carry_class`](Self::carry_class) when the class's route is not
    /// cached for `epoch`, or its groups were split by another route since.
    #[cold]
    #[inline(never)]
    fn carry_class_slow(&mut self, now: SimTime, flow: &Flow, epoch: u16, add: bool) -> f64 {
        if let Some(Some(r)) = self.classes.get_mut(flow.class) {
            if r.epoch == epoch && r.codec == flow.codec {
                // Another route split some of its groups since.
                r.groups = self.loads.register(&r.links);
                r.groups_gen = self.loads.generation();
                return self.loads.carry(now, &r.groups, flow.kbps, add);
            }
        }
        // Built just now (registered with the loads: its groups are current).
        let route = self.class_route(flow.class, epoch, flow.segs, flow.codec);
        self.loads.carry(now, &route.groups, flow.kbps, add)
    }

    /// The media model of a route class in `epoch` (cached for the current
    /// epoch).
    ///
    /// Borrowed from the cache when it holds the class (every call but the
    /// class's first in an epoch): the model is a few hundred bytes, and
    /// copying it twice per call was 3% of a run with media.
    pub fn class_model(
        &mut self,
        class: usize,
        epoch: u16,
        segs: [Option<(NodeIndex, NodeIndex)>; 2],
        codec: Codec,
    ) -> Option<Cow<'_, StreamModel>> {
        let cached = |classes: &[Option<ClassRoute>]| matches!(classes.get(class), Some(Some(r)) if r.epoch == epoch && r.codec == codec);
        if !cached(&self.classes) {
            let route = self.class_route(class, epoch, segs, codec);
            if !cached(&self.classes) {
                // An earlier epoch's route is not kept.
                return route.model.map(Cow::Owned);
            }
        }
        match self.classes.get(class) {
            Some(Some(r)) => r.model.as_ref().map(Cow::Borrowed),
            _ => None,
        }
    }

    /// Signalling path of a (portal, SIP server) class in the current epoch:
    /// round trip and the chance an INVITE/response pair gets through;
    /// `None` when unreachable.
    pub fn sip_path(
        &mut self,
        class: usize,
        from: NodeIndex,
        to: NodeIndex,
    ) -> Option<(SimTime, f64)> {
        let epoch = self.epoch();
        if let Some(Some((e, v))) = self.sip_classes.get(class) {
            if *e == epoch {
                return *v;
            }
        }
        let v = self.quality(epoch, from, to).map(|q| {
            let rtt = SimTime::from_secs_f64(2.0 * q.delay_ms / 1000.0);
            (rtt, (1.0 - q.loss.mean()).powi(2))
        });
        if self.sip_classes.len() <= class {
            self.sip_classes.resize(class + 1, None);
        }
        self.sip_classes[class] = Some((epoch, v));
        v
    }

    /// Closes the interval `[start, now]` for every link.
    pub fn close_interval(&mut self, start: SimTime, now: SimTime, rows: &mut Vec<LinkRow>) {
        let len = now - start;
        let (failures, topology) = (&self.failures, &self.spec.topology);
        self.loads.close_interval(now, len, |i, figures| {
            let ((mean_flows, max_flows), (mean_kbps, max_kbps)) = figures;
            let e = petgraph::graph::EdgeIndex::new(i);
            rows.push(LinkRow {
                start,
                end: now,
                link: i as u32,
                mean_flows,
                max_flows,
                mean_load_mbps: mean_kbps / 1000.0,
                max_load_mbps: max_kbps as f64 / 1000.0,
                failed: !failures.link_usable(topology, e),
            });
        });
    }

    /// The prepared media model of a call's path (both segments), cached.
    pub fn stream_model(
        &mut self,
        epoch: u16,
        segs: [Option<(NodeIndex, NodeIndex)>; 2],
        codec: Codec,
    ) -> Option<StreamModel> {
        let (callers, relay, agents) = match segs {
            [Some((a, r)), Some((_, b))] => (a, r, b),
            [Some((a, b)), None] => (a, a, b),
            _ => return None,
        };
        let key = (
            epoch,
            callers.index() as u32,
            relay.index() as u32,
            agents.index() as u32,
            codec,
        );
        if let Some(m) = self.streams.get(&key) {
            return *m;
        }
        let jb = JitterBufferCfg {
            depth_ms: self.spec.jitter_buffer_ms,
        };
        let model = self
            .path_quality(epoch, segs)
            .map(|q| StreamModel::new(&q.media(), CodecCfg::new(codec), &jb));
        self.streams.insert(key, model);
        model
    }

    /// End-to-end quality of a call's segments in `epoch`.
    pub fn path_quality(
        &mut self,
        epoch: u16,
        segs: [Option<(NodeIndex, NodeIndex)>; 2],
    ) -> Option<SegmentQuality> {
        let mut path: Option<SegmentQuality> = None;
        for &(a, b) in segs.iter().flatten() {
            let seg = self.quality(epoch, a, b)?;
            path = Some(match path {
                None => seg,
                Some(p) => p.then(seg),
            });
        }
        path
    }

    /// The table new calls are routed with.
    pub fn epoch(&self) -> u16 {
        (self.epochs.len() - 1) as u16
    }

    /// Whether `src` reaches `dst` on the current table (a node reaches
    /// itself while it is up).
    pub fn reachable(&self, src: NodeIndex, dst: NodeIndex) -> bool {
        if src == dst {
            return !self.failures.node_failed(src);
        }
        self.epochs.last().expect("one table").reachable(src, dst)
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
