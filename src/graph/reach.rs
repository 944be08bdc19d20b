//! The forwarding graph of VPCs: which VPCs the traffic leaving a VPC's
//! subnets can enter at all, through its peerings and through transit
//! gateway route tables, told from the routes alone.
//!
//! Nodes are the VPCs (twice: traffic their route tables forward, and
//! traffic delivered into them), the transit gateway route tables, and one
//! node for "the walk may stop on something not known". Each edge carries
//! the destination addresses that can take it: the prefixes of the routes
//! it stands for. Traffic from a VPC is pushed through the graph as a set
//! of destination ranges, cut down by every edge it takes (longest-prefix
//! match is left out: a range that a more specific route takes elsewhere
//! is kept, so the answer can only be too wide, never too narrow).
//!
//! Where a VPC's traffic arrives is its *closure*: the VPCs whose own
//! blocks some of it is delivered into, and the destinations for which it
//! reaches the unknown node. A walk from one of its subnets towards a
//! subnet of any other VPC whose blocks are outside those destinations ends
//! in a drop that is certain (no route, a blackhole, a peering that carries
//! nothing further, a transit gateway table without the route, the
//! internet), because every step that could stop a walk on an unknown (a
//! link not followed, a route or a zone not known until apply, an
//! attachment's state or association) leads to the unknown node. The class
//! engine counts those pairs `blocked` without walking them.

use foldhash::{HashMap, HashMapExt};
use std::sync::Arc;

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

use crate::model::tgw::{zone_of, AttachmentKind, TgwTarget};
use crate::model::{Dest, GatewayKind, Link, Model, PeeringState, Target};
use crate::net::{Family, Interval, Prefix};

/// A node of the forwarding graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Node {
    /// Traffic in a VPC that its route tables forward: from its subnets,
    /// or handed in by a transit gateway.
    Routed(usize),
    /// Traffic delivered into a VPC's own blocks, which goes no further.
    Entered(usize),
    /// A transit gateway route table.
    TgwTable(usize),
    /// A walk may stop here on something not known until apply.
    Unknown,
}

/// Destination addresses: sorted, disjoint intervals per family.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Ranges {
    v4: Vec<Interval>,
    v6: Vec<Interval>,
}

impl Ranges {
    /// Every address of both families.
    pub fn all() -> Ranges {
        Ranges {
            v4: vec![Interval::full(Family::V4)],
            v6: vec![Interval::full(Family::V6)],
        }
    }

    /// The addresses of some prefixes.
    pub fn of<'a>(prefixes: impl IntoIterator<Item = &'a Prefix>) -> Ranges {
        let mut r = Ranges::default();
        for p in prefixes {
            r.family_mut(p.family).push(p.interval());
        }
        r.v4 = normal(std::mem::take(&mut r.v4));
        r.v6 = normal(std::mem::take(&mut r.v6));
        r
    }

    fn family_mut(&mut self, f: Family) -> &mut Vec<Interval> {
        match f {
            Family::V4 => &mut self.v4,
            Family::V6 => &mut self.v6,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }

    /// Whether an address of `iv`, of family `f`, is in the ranges.
    pub fn meets(&self, f: Family, iv: &Interval) -> bool {
        let v = self.intervals(f);
        let k = v.partition_point(|y| y.hi < iv.lo);
        v.get(k).is_some_and(|y| y.lo <= iv.hi)
    }

    /// The intervals of family `f`, sorted and disjoint.
    pub fn intervals(&self, f: Family) -> &[Interval] {
        match f {
            Family::V4 => &self.v4,
            Family::V6 => &self.v6,
        }
    }

    /// The addresses in both.
    pub fn intersect(&self, other: &Ranges) -> Ranges {
        Ranges {
            v4: intersect(&self.v4, &other.v4),
            v6: intersect(&self.v6, &other.v6),
        }
    }

    /// The addresses of `self` outside `other`.
    pub fn minus(&self, other: &Ranges) -> Ranges {
        Ranges {
            v4: minus(&self.v4, &other.v4),
            v6: minus(&self.v6, &other.v6),
        }
    }

    /// Adds `other`; true when that added an address.
    fn absorb(&mut self, other: &Ranges) -> bool {
        let mut grew = false;
        for (mine, theirs) in [(&mut self.v4, &other.v4), (&mut self.v6, &other.v6)] {
            if theirs.is_empty() || covers(mine, theirs) {
                continue;
            }
            grew = true;
            mine.extend_from_slice(theirs);
            *mine = normal(std::mem::take(mine));
        }
        grew
    }
}

/// Sorted and merged (touching intervals joined).
fn normal(mut v: Vec<Interval>) -> Vec<Interval> {
    v.sort_unstable();
    let mut out: Vec<Interval> = Vec::with_capacity(v.len());
    for iv in v {
        match out.last_mut() {
            Some(last) if iv.lo <= last.hi.saturating_add(1) => last.hi = last.hi.max(iv.hi),
            _ => out.push(iv),
        }
    }
    out
}

fn intersect(a: &[Interval], b: &[Interval]) -> Vec<Interval> {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        if let Some(x) = a[i].intersect(&b[j]) {
            out.push(x);
        }
        if a[i].hi < b[j].hi {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

fn minus(a: &[Interval], b: &[Interval]) -> Vec<Interval> {
    let mut out = Vec::new();
    for x in a {
        let mut rest = Some(*x);
        for y in b {
            let Some(r) = rest else { break };
            if y.hi < r.lo || y.lo > r.hi {
                continue;
            }
            if y.lo > r.lo {
                out.push(Interval {
                    lo: r.lo,
                    hi: y.lo - 1,
                });
            }
            rest = (y.hi < r.hi).then(|| Interval {
                lo: y.hi + 1,
                hi: r.hi,
            });
        }
        out.extend(rest);
    }
    out
}

/// Whether every interval of `b` lies inside one of `a` (both normal).
fn covers(a: &[Interval], b: &[Interval]) -> bool {
    b.iter().all(|x| {
        let k = a.partition_point(|y| y.hi < x.lo);
        a.get(k).is_some_and(|y| y.lo <= x.lo && x.hi <= y.hi)
    })
}

/// What an edge carries.
#[derive(Debug, Clone)]
pub struct Edge {
    /// The destination addresses that can take it.
    pub ranges: Ranges,
    /// For a route of a VPC's table: its prefix whole, with the local routes
    /// it holds left in. Traffic that starts in the VPC and is addressed
    /// there never takes the route, so for it the two say the same, and VPCs
    /// whose routes have one prefix share the work of pushing it further.
    pub prefix: Ranges,
}

/// The forwarding graph of a model's VPCs and transit gateway route tables.
pub struct Forwarding {
    pub graph: DiGraph<Node, Edge>,
    routed: Vec<NodeIndex>,
    unknown: NodeIndex,
    /// Per VPC: whether a route of its tables sends traffic to a transit
    /// gateway, which reads the zone of the subnet it comes from.
    reads_zone: Vec<bool>,
}

/// At most this many node visits per node of the graph are spent pushing
/// traffic through it, over all VPCs; past that, the VPCs left are told
/// open (walked in full), which is always correct.
const WORK_PER_NODE: usize = 64;

impl Forwarding {
    pub fn build(model: &Model) -> Forwarding {
        let mut g = DiGraph::new();
        let vpcs = model.vpcs.len();
        let routed: Vec<_> = (0..vpcs).map(|v| g.add_node(Node::Routed(v))).collect();
        let entered: Vec<_> = (0..vpcs).map(|v| g.add_node(Node::Entered(v))).collect();
        let tables: Vec<_> = (0..model.tgw_route_tables.len())
            .map(|r| g.add_node(Node::TgwTable(r)))
            .collect();
        let unknown = g.add_node(Node::Unknown);
        let to_node = |n: Node| match n {
            Node::Routed(v) => routed[v],
            Node::Entered(v) => entered[v],
            Node::TgwTable(r) => tables[r],
            Node::Unknown => unknown,
        };
        let mut edges = Edges::new(model);
        for v in 0..vpcs {
            edges.of_vpc(v);
        }
        for r in 0..model.tgw_route_tables.len() {
            edges.of_tgw_table(r);
        }
        let reads_zone = std::mem::take(&mut edges.reads_zone);
        for (from, to, ranges, prefix) in edges.out {
            if !ranges.is_empty() {
                g.add_edge(to_node(from), to_node(to), Edge { ranges, prefix });
            }
        }
        Forwarding {
            graph: g,
            routed,
            unknown,
            reads_zone,
        }
    }

    /// Whether the closure of VPC `v` holds for a subnet of it only when
    /// that subnet's zone is known: a route of the VPC sends traffic to a
    /// transit gateway, which takes it only from zones its attachment is in
    /// and stops a walk from a subnet whose zone is not known.
    pub fn reads_zone(&self, v: usize) -> bool {
        self.reads_zone[v]
    }

    /// For each VPC, where its traffic can go (see [`Closure`]), or `None`
    /// when a walk from it may stop on an unknown for any destination (or
    /// the graph was too costly to push through). VPCs whose closures are
    /// equal share their lists.
    pub fn closures(&self) -> Vec<Option<Closure>> {
        let mut push = Push::new(&self.graph, self.unknown);
        let mut budget = WORK_PER_NODE * self.graph.node_count().max(1);
        // What one transit gateway route table does with one set of
        // ranges, shared by every VPC whose traffic enters it so.
        let mut memo: HashMap<(NodeIndex, Ranges), Option<Closure>> = HashMap::new();
        let all = Ranges::all();
        let mut joiner = Joiner::default();
        self.routed
            .iter()
            .map(|&start| {
                let mut parts: Vec<Closure> = Vec::new();
                let mut own = Vec::new();
                let mut unknown = Ranges::default();
                for e in self.graph.edges(start) {
                    match self.graph[e.target()] {
                        Node::Entered(w) => own.push(w),
                        Node::Unknown => {
                            unknown.absorb(&e.weight().ranges);
                        }
                        Node::TgwTable(_) | Node::Routed(_) => {
                            let key = (e.target(), e.weight().prefix.clone());
                            let part = match memo.get(&key) {
                                Some(p) => p.clone(),
                                None => {
                                    let p = push.run(e.target(), &key.1, &mut budget);
                                    memo.insert(key, p.clone());
                                    p
                                }
                            };
                            parts.push(part?);
                        }
                    }
                }
                let c = joiner.join(own, unknown, parts);
                (*c.unknown != all).then_some(c)
            })
            .collect()
    }
}

/// Where the traffic leaving one VPC can go.
#[derive(Debug, Clone)]
pub struct Closure {
    /// The VPCs it can be delivered into, sorted (the VPC itself
    /// included).
    pub vpcs: Arc<[usize]>,
    /// The destinations for which a walk may stop on an unknown: a walk
    /// towards any other address outside `vpcs` ends in a certain drop.
    pub unknown: Arc<Ranges>,
}

/// Closures joined from the closures of the tables a VPC's routes reach,
/// each union made once per list of parts (VPCs whose routes reach the same
/// tables with the same prefixes share it).
#[derive(Default)]
struct Joiner {
    /// By the parts' lists (their addresses: the memo of pushes keeps them).
    unions: HashMap<Vec<usize>, Closure>,
}

impl Joiner {
    /// `own` (VPCs entered and destinations unknown from the VPC's own
    /// routes) and `parts` as one closure.
    fn join(&mut self, mut own: Vec<usize>, unknown: Ranges, parts: Vec<Closure>) -> Closure {
        let key: Vec<usize> = parts
            .iter()
            .flat_map(|p| {
                [
                    Arc::as_ptr(&p.vpcs) as *const usize as usize,
                    Arc::as_ptr(&p.unknown) as usize,
                ]
            })
            .collect();
        let base = self
            .unions
            .entry(key)
            .or_insert_with(|| union(&parts))
            .clone();
        let vpcs = if own.iter().all(|w| base.vpcs.binary_search(w).is_ok()) {
            base.vpcs
        } else {
            own.extend(base.vpcs.iter().copied());
            own.sort_unstable();
            own.dedup();
            own.into()
        };
        let unknown = if unknown.is_empty() {
            base.unknown
        } else {
            let mut all = unknown;
            all.absorb(&base.unknown);
            Arc::new(all)
        };
        Closure { vpcs, unknown }
    }
}

/// The union of some closures, reusing the lists of one that holds all the
/// others'.
fn union(parts: &[Closure]) -> Closure {
    let holds = |big: &[usize], list: &[usize]| list.iter().all(|w| big.binary_search(w).is_ok());
    let vpcs = match parts.iter().max_by_key(|p| p.vpcs.len()) {
        Some(big) if parts.iter().all(|p| holds(&big.vpcs, &p.vpcs)) => big.vpcs.clone(),
        _ => {
            let mut all: Vec<usize> = parts.iter().flat_map(|p| p.vpcs.iter().copied()).collect();
            all.sort_unstable();
            all.dedup();
            all.into()
        }
    };
    let unknown = match parts.first() {
        Some(first) if parts.iter().all(|p| p.unknown == first.unknown) => first.unknown.clone(),
        _ => {
            let mut all = Ranges::default();
            for p in parts {
                all.absorb(&p.unknown);
            }
            Arc::new(all)
        }
    };
    Closure { vpcs, unknown }
}

/// Pushing destination ranges through the graph from one node.
struct Push<'g> {
    graph: &'g DiGraph<Node, Edge>,
    unknown: NodeIndex,
    /// The ranges that reached each node in the current run, by node.
    seen: Vec<Option<Ranges>>,
    touched: Vec<NodeIndex>,
}

impl<'g> Push<'g> {
    fn new(graph: &'g DiGraph<Node, Edge>, unknown: NodeIndex) -> Push<'g> {
        Push {
            graph,
            unknown,
            seen: vec![None; graph.node_count()],
            touched: Vec::new(),
        }
    }

    /// Where `ranges` go from `start`, or `None` when the budget runs
    /// out.
    fn run(&mut self, start: NodeIndex, ranges: &Ranges, budget: &mut usize) -> Option<Closure> {
        for n in self.touched.drain(..) {
            self.seen[n.index()] = None;
        }
        let mut stack = vec![(start, ranges.clone())];
        let mut entered = Vec::new();
        let mut unknown = Ranges::default();
        while let Some((n, r)) = stack.pop() {
            if *budget == 0 {
                return None;
            }
            *budget -= 1;
            if n == self.unknown {
                unknown.absorb(&r);
                continue;
            }
            let grew = match &mut self.seen[n.index()] {
                Some(have) => have.absorb(&r),
                slot @ None => {
                    *slot = Some(r.clone());
                    self.touched.push(n);
                    true
                }
            };
            if !grew {
                continue;
            }
            if let Node::Entered(w) = self.graph[n] {
                entered.push(w);
                continue;
            }
            for e in self.graph.edges(n) {
                let next = r.intersect(&e.weight().ranges);
                if !next.is_empty() {
                    stack.push((e.target(), next));
                }
            }
        }
        entered.sort_unstable();
        entered.dedup();
        Some(Closure {
            vpcs: entered.into(),
            unknown: Arc::new(unknown),
        })
    }
}

/// The edges of the graph as they are read from the model.
struct Edges<'m> {
    model: &'m Model,
    /// (from, to, ranges, prefix): see [`Edge`].
    out: Vec<(Node, Node, Ranges, Ranges)>,
    /// Whether a route of the VPC's tables sends traffic to a transit
    /// gateway.
    reads_zone: Vec<bool>,
    /// Each VPC's subnets.
    subnets_of: Vec<Vec<usize>>,
    /// Each VPC's route tables: those its subnets use and those in it.
    tables_of: Vec<Vec<usize>>,
    /// Every zone a transit gateway VPC attachment has a subnet in: a
    /// packet enters a transit gateway from one of them.
    entry_zones: Vec<&'m str>,
    /// Each VPC's blocks (every address when one is not known).
    blocks: Vec<Ranges>,
}

impl<'m> Edges<'m> {
    fn new(model: &'m Model) -> Edges<'m> {
        let n = model.vpcs.len();
        let mut subnets_of = vec![Vec::new(); n];
        let mut tables_of = vec![Vec::new(); n];
        for (s, sub) in model.subnets.iter().enumerate() {
            if let Some(v) = sub.vpc.index() {
                subnets_of[v].push(s);
                if let Link::To(t) = sub.route_table {
                    tables_of[v].push(t);
                }
            }
        }
        for (t, table) in model.route_tables.iter().enumerate() {
            if let Link::To(v) = table.vpc {
                tables_of[v].push(t);
            }
        }
        for t in &mut tables_of {
            t.sort_unstable();
            t.dedup();
        }
        let mut entry_zones: Vec<&str> = model
            .tgw_attachments
            .iter()
            .filter(|a| a.kind == AttachmentKind::Vpc)
            .flat_map(|a| a.subnets.iter().filter_map(|&s| zone_of(&model.subnets[s])))
            .collect();
        entry_zones.sort_unstable();
        entry_zones.dedup();
        let blocks = model
            .vpcs
            .iter()
            .map(|vpc| match vpc.cidrs.unknown {
                Some(_) => Ranges::all(),
                None => Ranges::of(vpc.cidrs.all()),
            })
            .collect();
        Edges {
            model,
            blocks,
            out: Vec::new(),
            reads_zone: vec![false; n],
            subnets_of,
            tables_of,
            entry_zones,
        }
    }

    /// An edge that is not a route of a VPC's table.
    fn push(&mut self, from: Node, to: Node, ranges: Ranges) {
        self.out.push((from, to, ranges.clone(), ranges));
    }

    fn blocks(&self, v: usize) -> &Ranges {
        &self.blocks[v]
    }

    /// What the route tables of VPC `v` forward, and where.
    fn of_vpc(&mut self, v: usize) {
        let m = self.model;
        let from = Node::Routed(v);
        self.push(from, Node::Entered(v), self.blocks(v).clone());
        let subnets = std::mem::take(&mut self.subnets_of[v]);
        if subnets
            .iter()
            .any(|&s| !matches!(m.subnets[s].route_table, Link::To(_)))
        {
            self.push(from, Node::Unknown, Ranges::all());
        }
        let tables = std::mem::take(&mut self.tables_of[v]);
        // Traffic handed in by a transit gateway is in one of the VPC's
        // attachment subnets, or in the subnet of a device a route sends it
        // to; any of them may send it to a transit gateway, which reads its
        // zone. (The source subnet's own zone is the class engine's to
        // check: see `Forwarding::reads_zone`.)
        let devices = tables
            .iter()
            .flat_map(|&t| &m.route_tables[t].routes)
            .filter_map(|r| match &r.target {
                Target::Gateway {
                    kind: GatewayKind::Nat | GatewayKind::NetworkInterface | GatewayKind::Instance,
                    link,
                    ..
                } => link.index().and_then(|g| m.gateways[g].subnet.index()),
                _ => None,
            });
        let attached = m.vpcs[v]
            .attachments
            .iter()
            .flat_map(|&a| &m.tgw_attachments[a].subnets)
            .copied();
        let zones_known = devices
            .chain(attached)
            .all(|s| zone_of(&m.subnets[s]).is_some());
        for t in tables {
            let table = &m.route_tables[t];
            if table.routes_unknown.is_some() {
                self.push(from, Node::Unknown, Ranges::all());
                continue;
            }
            let local: Vec<Prefix> = table
                .routes
                .iter()
                .filter_map(|l| match l.dest {
                    Dest::Cidr(b) if l.target == Target::Local => Some(b),
                    _ => None,
                })
                .collect();
            for r in &table.routes {
                let endpoint = matches!(
                    r.target,
                    Target::Gateway {
                        kind: GatewayKind::VpcEndpoint,
                        ..
                    }
                );
                if let Target::Gateway {
                    kind: GatewayKind::TransitGateway,
                    ..
                } = r.target
                {
                    self.reads_zone[v] = true;
                }
                let (label, prefix) = match &r.dest {
                    // Within a local route that the route's prefix holds,
                    // the local route is the longer match.
                    Dest::Cidr(p) => {
                        let whole = Ranges::of([p]);
                        let mut inside = local.iter().filter(|b| p.contains(b) && p.len < b.len);
                        match inside.next() {
                            None => (whole.clone(), whole),
                            Some(first) => {
                                let holes: Vec<&Prefix> =
                                    std::iter::once(first).chain(inside).collect();
                                (whole.minus(&Ranges::of(holes)), whole)
                            }
                        }
                    }
                    // A gateway endpoint's route carries an AWS service's
                    // ranges into the endpoint, never to a subnet.
                    Dest::PrefixList(_) | Dest::Service(_) if endpoint => continue,
                    _ => {
                        self.push(from, Node::Unknown, Ranges::all());
                        continue;
                    }
                };
                let to = self.route_target(v, &r.target, &subnets, zones_known);
                if let Some(to) = to {
                    let label = match to {
                        Node::Entered(w) => label.intersect(self.blocks(w)),
                        _ => label,
                    };
                    self.out.push((from, to, label, prefix));
                }
            }
        }
    }

    /// Where a route of a table of VPC `v` sends traffic beyond the VPC:
    /// `None` for a drop, an exit that delivers to no VPC, or a device in
    /// the VPC itself (whose tables are read anyway).
    fn route_target(
        &self,
        v: usize,
        target: &Target,
        subnets: &[usize],
        zones_known: bool,
    ) -> Option<Node> {
        let m = self.model;
        match target {
            Target::Local | Target::Blackhole(_) => None,
            Target::Unknown(_) => Some(Node::Unknown),
            Target::Peering(Link::To(p)) => {
                let p = &m.peerings[*p];
                let (Some(x), Some(y)) = (p.requester.index(), p.accepter.index()) else {
                    return Some(Node::Unknown);
                };
                let other = match p.state {
                    PeeringState::Undetermined(_) => return Some(Node::Unknown),
                    PeeringState::Inactive(_) => return None,
                    PeeringState::Active if x == v => y,
                    PeeringState::Active if y == v => x,
                    PeeringState::Active => return None,
                };
                if m.vpcs[other].cidrs.unknown.is_some() {
                    return Some(Node::Unknown);
                }
                Some(Node::Entered(other))
            }
            Target::Peering(_) => Some(Node::Unknown),
            Target::Gateway { kind, link, .. } => match kind {
                GatewayKind::Internet
                | GatewayKind::EgressOnly
                | GatewayKind::VpnGateway
                | GatewayKind::CarrierGateway
                | GatewayKind::LocalGateway => None,
                GatewayKind::Nat | GatewayKind::NetworkInterface | GatewayKind::Instance => {
                    let inside = link
                        .index()
                        .and_then(|g| m.gateways[g].subnet.index())
                        .is_some_and(|s| subnets.contains(&s));
                    (!inside).then_some(Node::Unknown)
                }
                GatewayKind::TransitGateway => self.enter_tgw(v, link, zones_known),
                _ => Some(Node::Unknown),
            },
        }
    }

    /// The transit gateway route table that routes what VPC `v` sends to
    /// the transit gateway `link`; `None` when the gateway drops it.
    fn enter_tgw(&self, v: usize, link: &Link, zones_known: bool) -> Option<Node> {
        let m = self.model;
        let Some(t) = link.index().and_then(|g| m.gateways[g].transit_gateway) else {
            return Some(Node::Unknown);
        };
        let Some(a) = m.tgw_attachment_of(v, t) else {
            // No attachment: the route is a blackhole, unless an
            // attachment whose VPC is not known is this VPC's.
            return m.unresolved_vpc_attachment(t).map(|_| Node::Unknown);
        };
        let att = &m.tgw_attachments[a];
        let entry_known = att.subnets_unknown.is_none()
            && att
                .subnets
                .iter()
                .all(|&s| zone_of(&m.subnets[s]).is_some());
        if !zones_known || !entry_known {
            return Some(Node::Unknown);
        }
        match (&att.state, att.association(t)) {
            (PeeringState::Undetermined(_), _) => Some(Node::Unknown),
            // Dropped: the attachment will not be available, or no table
            // routes what enters by it.
            (PeeringState::Inactive(_), _) | (_, Link::None) => None,
            (PeeringState::Active, Link::To(r)) => Some(Node::TgwTable(*r)),
            _ => Some(Node::Unknown),
        }
    }

    /// Where transit gateway route table `r` sends traffic.
    fn of_tgw_table(&mut self, r: usize) {
        let m = self.model;
        let from = Node::TgwTable(r);
        let table = &m.tgw_route_tables[r];
        if table.index.unknown.is_some() {
            self.push(from, Node::Unknown, Ranges::all());
            return;
        }
        for route in &table.routes {
            let label = match &route.dest {
                Dest::Cidr(p) => Ranges::of([p]),
                _ => {
                    self.push(from, Node::Unknown, Ranges::all());
                    continue;
                }
            };
            let to = match &route.target {
                TgwTarget::Blackhole => continue,
                TgwTarget::Unknown(_) => Node::Unknown,
                TgwTarget::Attachment(b) => match self.out_of_tgw(table.tgw, *b) {
                    Some(n) => n,
                    None => continue,
                },
            };
            self.push(from, to, label);
        }
    }

    /// Where traffic leaves transit gateway `g` by attachment `b`: into a
    /// VPC's route tables, or through a peering attachment into the other
    /// gateway's table; `None` when it is dropped there.
    fn out_of_tgw(&self, g: Option<usize>, b: usize) -> Option<Node> {
        let m = self.model;
        let out = &m.tgw_attachments[b];
        match out.state {
            PeeringState::Active => {}
            PeeringState::Inactive(_) => return None,
            PeeringState::Undetermined(_) => return Some(Node::Unknown),
        }
        match out.kind {
            AttachmentKind::Vpc => {
                let Some(x) = out.vpc.index() else {
                    return Some(Node::Unknown);
                };
                // The packet goes on from one of these subnets, by its
                // route table, and may enter the gateway again from its
                // zone: both must be known, and the subnet in the VPC.
                let known = out.subnets.iter().all(|&s| {
                    let sub = &m.subnets[s];
                    sub.vpc == Link::To(x)
                        && matches!(sub.route_table, Link::To(_))
                        && zone_of(sub).is_some()
                });
                if out.subnets_unknown.is_some() || !known {
                    return Some(Node::Unknown);
                }
                let first = *out.subnets.first()?;
                // With no subnet in the packet's zone the gateway picks
                // another, and the outcome is known only when they all
                // behave alike.
                let alike = out.subnets.iter().all(|&s| {
                    let (x, y) = (&m.subnets[s], &m.subnets[first]);
                    x.route_table == y.route_table && x.network_acl == y.network_acl
                });
                let zones: Vec<&str> = out
                    .subnets
                    .iter()
                    .filter_map(|&s| zone_of(&m.subnets[s]))
                    .collect();
                let every_zone = self.entry_zones.iter().all(|z| zones.contains(z));
                Some(if alike || every_zone {
                    Node::Routed(x)
                } else {
                    Node::Unknown
                })
            }
            AttachmentKind::Peering => {
                let Some(g) = g else {
                    return Some(Node::Unknown);
                };
                let other = if out.tgw == Link::To(g) {
                    &out.peer_tgw
                } else {
                    &out.tgw
                };
                let Link::To(g2) = other else {
                    return Some(Node::Unknown);
                };
                match out.association(*g2) {
                    Link::To(r2) => Some(Node::TgwTable(*r2)),
                    Link::None => None,
                    _ => Some(Node::Unknown),
                }
            }
            // A VPN, Direct Connect or other attachment leaves AWS: no
            // subnet is there.
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(list: &[&str]) -> Ranges {
        let p: Vec<Prefix> = list.iter().map(|c| c.parse().unwrap()).collect();
        Ranges::of(&p)
    }

    #[test]
    fn ranges_merge_touching_prefixes_and_keep_families_apart() {
        assert_eq!(v4(&["10.0.0.0/25", "10.0.0.128/25"]), v4(&["10.0.0.0/24"]));
        let both = v4(&["10.0.0.0/8", "2001:db8::/32"]);
        assert_eq!(
            both.intersect(&v4(&["2001:db8:1::/48"])),
            v4(&["2001:db8:1::/48"])
        );
        assert!(both.intersect(&v4(&["11.0.0.0/8"])).is_empty());
    }

    #[test]
    fn ranges_minus_cuts_holes_and_ends() {
        let r = v4(&["10.0.0.0/16"]).minus(&v4(&["10.0.1.0/24", "10.0.255.0/24", "9.0.0.0/8"]));
        let want = v4(&["10.0.0.0/24", "10.0.2.0/23", "10.0.4.0/22", "10.0.8.0/21"])
            .intersect(&Ranges::all());
        assert_eq!(r.intersect(&v4(&["10.0.0.0/20"])), want);
        assert!(r.intersect(&v4(&["10.0.1.0/24"])).is_empty());
        assert!(r.intersect(&v4(&["10.0.255.0/24"])).is_empty());
        assert!(!r.intersect(&v4(&["10.0.254.0/24"])).is_empty());
        assert!(v4(&["10.0.1.0/24"]).minus(&v4(&["10.0.0.0/16"])).is_empty());
    }

    #[test]
    fn absorbing_what_is_held_adds_nothing() {
        let mut r = v4(&["10.0.0.0/16"]);
        assert!(!r.absorb(&v4(&["10.0.3.0/24"])));
        assert!(r.absorb(&v4(&["10.1.0.0/24"])));
        assert!(!r.absorb(&v4(&["10.1.0.0/25"])));
        assert_eq!(r, v4(&["10.0.0.0/16", "10.1.0.0/24"]));
    }
}
