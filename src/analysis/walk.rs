//! One packet, one direction: from a subnet towards an address, hop by hop.
//!
//! The walk follows AWS forwarding: the source subnet's route table, the
//! longest-prefix route, then the target (local delivery, a peering
//! connection, an appliance or NAT gateway whose subnet's table is consulted
//! next, or a gateway that leaves the network). It records every reason the
//! packet would be dropped, not only the first, and the address intervals
//! over which its decisions hold, so the pair analysis can split subnets
//! exactly where routes split them.

use crate::codes;
use crate::model::{GatewayKind, Link, Model, PeeringState, Target};
use crate::net::{Family, Interval, Prefix};
use crate::report::{Direction, Reason};

use super::lpm::lookup;

/// How much a walk records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// The outcome and validity intervals only.
    Outcome,
    /// Also the reasons.
    Reasons,
    /// Also every hop, for `explain`.
    Trace,
}

/// How far the packet got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    Delivered,
    Dropped,
    /// Depends on a value not known until apply.
    Unknown,
}

/// One step of the path, for `explain`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Hop {
    /// The resource at this hop.
    pub at: String,
    /// What happened there.
    pub action: String,
    /// True when the packet was dropped here (or its fate is unknown).
    pub fails: bool,
}

/// The result of one walk.
#[derive(Debug, Clone)]
pub struct Leg {
    pub outcome: Outcome,
    pub reasons: Vec<Reason>,
    pub hops: Vec<Hop>,
    /// Source addresses for which this result holds.
    pub src_valid: Interval,
    /// Destination addresses for which this result holds.
    pub dst_valid: Interval,
}

/// Formats a message only when the walk keeps its details.
macro_rules! say {
    ($w:expr, $($arg:tt)*) => {
        if $w.detail { format!($($arg)*) } else { String::new() }
    };
}

struct Walker<'a> {
    /// Keep reasons (and, with `trace`, hops). Off when only the outcome
    /// matters, which saves the formatting on the hot path.
    detail: bool,
    model: &'a Model,
    family: Family,
    src: u128,
    dst: u128,
    dir: Direction,
    trace: bool,
    /// The destination subnet's block, to describe ranges within it.
    dst_bound: Interval,
    leg: Leg,
}

/// How many route tables a packet may pass through before it is a loop.
const MAX_HOPS: usize = 16;

/// Walks a packet from subnet `from` (source address `src`) to address
/// `dst`, which lies in subnet `to`. Cost: one route lookup per route table
/// passed (usually one or two).
#[allow(clippy::too_many_arguments)]
pub fn walk(
    model: &Model,
    from: usize,
    to: usize,
    family: Family,
    src: u128,
    dst: u128,
    dir: Direction,
    detail: Detail,
) -> Leg {
    let dst_bound = model.subnets[to]
        .cidr(family)
        .map(|p| p.interval())
        .unwrap_or(Interval { lo: dst, hi: dst });
    let mut w = Walker {
        detail: detail != Detail::Outcome,
        model,
        family,
        src,
        dst,
        dir,
        trace: detail == Detail::Trace,
        dst_bound,
        leg: Leg {
            outcome: Outcome::Delivered,
            reasons: Vec::new(),
            hops: Vec::new(),
            src_valid: Interval::full(family),
            dst_valid: Interval::full(family),
        },
    };
    w.run(from, to);
    w.leg
}

impl Walker<'_> {
    fn hop(&mut self, at: &str, action: impl FnOnce() -> String, fails: bool) {
        if self.trace {
            self.leg.hops.push(Hop {
                at: at.to_string(),
                action: action(),
                fails,
            });
        }
    }

    fn drop_(&mut self, code: &'static str, resource: &str, message: String) {
        // A certain drop decides the outcome, even after an earlier unknown:
        // the walk only goes on past an unknown when the later checks hold
        // whatever the unknown turns out to be.
        self.leg.outcome = Outcome::Dropped;
        if !self.detail {
            return;
        }
        self.hop(resource, || message.clone(), true);
        self.leg.reasons.push(Reason {
            code,
            resource: Some(resource.to_string()),
            message,
            direction: self.dir,
        });
    }

    fn unknown(&mut self, code: &'static str, resource: &str, message: String) {
        if self.leg.outcome != Outcome::Dropped {
            self.leg.outcome = Outcome::Unknown;
        }
        if !self.detail {
            return;
        }
        self.hop(resource, || message.clone(), true);
        self.leg.reasons.push(Reason {
            code,
            resource: Some(resource.to_string()),
            message,
            direction: self.dir,
        });
    }

    fn range(&self) -> String {
        if !self.detail {
            return String::new();
        }
        match self.leg.dst_valid.intersect(&self.dst_bound) {
            Some(iv) => iv.describe(self.family),
            None => Prefix::fmt_addr(self.family, self.dst),
        }
    }

    fn run(&mut self, from: usize, to: usize) {
        let m = self.model;
        let src_subnet = &m.subnets[from];
        let dst_subnet = &m.subnets[to];
        let dst_vpc = dst_subnet.vpc.index();
        let Some(mut vpc) = src_subnet.vpc.index() else {
            let why = link_reason(&src_subnet.vpc, &src_subnet.address, "VPC");
            self.unknown(codes::UNRESOLVED_REFERENCE, &src_subnet.address, why);
            return;
        };
        let mut table_link = src_subnet.route_table.clone();
        let mut at_subnet = from;
        // Route tables passed so far (no allocation on the hot path).
        let mut visited = [usize::MAX; MAX_HOPS];
        for step in 0..MAX_HOPS {
            let t = match table_link {
                Link::To(t) => t,
                other => {
                    let who = &m.subnets[at_subnet].address;
                    let why = link_reason(&other, who, "route table");
                    self.unknown(codes::UNRESOLVED_REFERENCE, who, why);
                    return;
                }
            };
            if visited[..step].contains(&t) {
                let addr = m.route_tables[t].address.clone();
                self.drop_(
                    codes::ROUTING_LOOP,
                    &addr,
                    say!(self, "the traffic comes back to {addr}: a routing loop"),
                );
                return;
            }
            visited[step] = t;
            let table = &m.route_tables[t];
            let lk = lookup(table, self.family, self.dst);
            self.leg.dst_valid = self.leg.dst_valid.intersect(&lk.valid).unwrap_or(lk.valid);
            if let Some(why) = lk.unknown {
                self.unknown(codes::UNRESOLVED_REFERENCE, &table.address, why);
                return;
            }
            let Some(route) = lk.route else {
                let range = self.range();
                self.drop_(
                    codes::NO_ROUTE_TO_DESTINATION,
                    &table.address,
                    say!(self, "{} has no route that matches {range}", table.address),
                );
                return;
            };
            let dest = match route.dest {
                crate::model::Dest::Cidr(p) => p,
                _ => unreachable!("lookup returns CIDR routes"),
            };
            if self.trace {
                self.hop(
                    &table.address,
                    || {
                        format!(
                            "route {dest} -> {} ({})",
                            target_label(m, &route.target),
                            route.resource
                        )
                    },
                    false,
                );
            }
            match &route.target {
                Target::Local => {
                    if dst_vpc == Some(vpc) {
                        self.hop(
                            &dst_subnet.address,
                            || "delivered by the local route".into(),
                            false,
                        );
                    } else {
                        let range = self.range();
                        let here = &m.vpcs[vpc].address;
                        let there = dst_vpc
                            .map_or("another VPC".to_string(), |v| m.vpcs[v].address.clone());
                        self.drop_(
                            codes::VPC_LOCAL_ROUTE_CIDR_RESTRICTION,
                            &table.address,
                            say!(self,
                                "{range} lies inside {here}'s own CIDR block {dest}, so the local route keeps the traffic in {here}; {} is in {there}",
                                dst_subnet.address
                            ),
                        );
                    }
                    return;
                }
                Target::Blackhole(why) => {
                    let range = self.range();
                    self.drop_(
                        codes::BAD_STATE_ROUTE,
                        &route.resource,
                        say!(self, "the route for {range} is a blackhole: {why}"),
                    );
                    return;
                }
                Target::Unknown(why) => {
                    self.unknown(codes::UNRESOLVED_REFERENCE, &route.resource, why.clone());
                    return;
                }
                Target::Peering(link) => {
                    self.peering(vpc, link, &route.resource, to);
                    return;
                }
                Target::Gateway { kind, link, label } => {
                    let range = self.range();
                    let there = dst_vpc.map_or("the destination VPC".to_string(), |v| {
                        m.vpcs[v].address.clone()
                    });
                    match kind {
                        GatewayKind::Nat
                        | GatewayKind::NetworkInterface
                        | GatewayKind::Instance => {
                            // The device forwards the packet out of its own subnet.
                            let sub = link
                                .index()
                                .map(|g| &m.gateways[g])
                                .and_then(|g| g.subnet.index());
                            match sub {
                                Some(s) => {
                                    let what = if *kind == GatewayKind::Nat {
                                        "the NAT gateway forwards it (replies return to its address)"
                                    } else {
                                        "the appliance forwards it"
                                    };
                                    self.hop(
                                        label,
                                        || format!("{what} from {}", m.subnets[s].address),
                                        false,
                                    );
                                    at_subnet = s;
                                    table_link = m.subnets[s].route_table.clone();
                                    if let Some(v) = m.subnets[s].vpc.index() {
                                        vpc = v;
                                    }
                                    continue;
                                }
                                None => {
                                    self.unknown(
                                        codes::EXTERNAL_RESOURCE,
                                        &route.resource,
                                        say!(self,
                                            "{} sends {range} to {} {label}, whose subnet is not in the input",
                                            route.resource,
                                            kind.describe()
                                        ),
                                    );
                                    return;
                                }
                            }
                        }
                        GatewayKind::TransitGateway
                        | GatewayKind::CoreNetwork
                        | GatewayKind::VpcEndpoint
                        | GatewayKind::Other => {
                            self.unknown(
                                codes::UNSUPPORTED_HOP,
                                &route.resource,
                                say!(self,
                                    "{} sends {range} to {} {label}, which tfreach does not model yet",
                                    route.resource,
                                    kind.describe()
                                ),
                            );
                            return;
                        }
                        _ => {
                            self.drop_(
                                codes::CANNOT_ROUTE,
                                &route.resource,
                                say!(self,
                                    "{} sends {range} to {} {label}, which does not deliver to private addresses in {there}",
                                    route.resource,
                                    kind.describe()
                                ),
                            );
                            return;
                        }
                    }
                }
            }
        }
        let addr = m.subnets[at_subnet].address.clone();
        self.drop_(
            codes::ROUTING_LOOP,
            &addr,
            say!(self, "the traffic passes more than {MAX_HOPS} route tables"),
        );
    }

    /// Crossing a peering connection: it must be active, and carries only
    /// traffic between its two VPCs' own CIDR blocks.
    fn peering(&mut self, vpc: usize, link: &Link, route: &str, to: usize) {
        let m = self.model;
        let range = self.range();
        let p = match link {
            Link::To(p) => &m.peerings[*p],
            Link::External(id) => {
                self.unknown(
                    codes::EXTERNAL_RESOURCE,
                    route,
                    say!(self, "{route} sends {range} to peering connection {id}, which is not in the input"),
                );
                return;
            }
            Link::Unresolved(why) => {
                self.unknown(codes::UNRESOLVED_REFERENCE, route, why.clone());
                return;
            }
            Link::None => {
                self.unknown(
                    codes::UNRESOLVED_REFERENCE,
                    route,
                    say!(self, "{route} names no peering connection"),
                );
                return;
            }
        };
        match &p.state {
            PeeringState::Active => {}
            PeeringState::Inactive(why) => {
                self.drop_(
                    codes::BAD_STATE,
                    &p.address,
                    say!(self, "{} will not be active: {why}", p.address),
                );
            }
            PeeringState::Undetermined(why) => {
                self.unknown(codes::UNRESOLVED_REFERENCE, &p.address, why.clone());
            }
        }
        let Some(other) = p.other_side(vpc) else {
            self.drop_(
                codes::BAD_STATE_ROUTE,
                route,
                say!(
                    self,
                    "{route} uses {}, which does not connect {}",
                    p.address,
                    m.vpcs[vpc].address
                ),
            );
            return;
        };
        let x = match other {
            Link::To(x) => *x,
            other => {
                let why = link_reason(other, &p.address, "peer VPC");
                self.unknown(codes::UNRESOLVED_REFERENCE, &p.address, why);
                return;
            }
        };
        let peer = &m.vpcs[x];
        if self.trace {
            self.hop(
                &p.address,
                || format!("crosses into {}", peer.address),
                false,
            );
        }
        // The source must belong to the sending VPC (no edge-to-edge).
        if !m.vpcs[vpc].cidrs.contains_addr(self.family, self.src)
            && m.vpcs[vpc].cidrs.unknown.is_none()
        {
            self.drop_(
                codes::PCX_REQUIRES_ADDRESS_IN_VPC_CIDR,
                route,
                say!(self,
                    "the source address is not in {}'s CIDR blocks, and {} carries only traffic from its own VPCs",
                    m.vpcs[vpc].address, p.address
                ),
            );
        }
        let blocks = peer.cidrs.of(self.family);
        match blocks.iter().find(|b| b.contains_addr(self.dst)) {
            Some(b) => {
                self.leg.dst_valid = self
                    .leg
                    .dst_valid
                    .intersect(&b.interval())
                    .unwrap_or(self.leg.dst_valid);
            }
            None if peer.cidrs.unknown.is_some() => {
                let why = peer.cidrs.unknown.clone().unwrap_or_default();
                self.unknown(codes::UNKNOWN_CIDR, &peer.address, why);
                return;
            }
            None => {
                // Bound the interval to the gap between the peer's blocks.
                for b in blocks {
                    let iv = b.interval();
                    if iv.hi < self.dst {
                        self.leg.dst_valid.lo = self.leg.dst_valid.lo.max(iv.hi + 1);
                    } else if iv.lo > self.dst {
                        self.leg.dst_valid.hi = self.leg.dst_valid.hi.min(iv.lo - 1);
                    }
                }
                let range = self.range();
                let owner = self
                    .detail
                    .then(|| m.vpcs_containing(self.family, self.dst))
                    .into_iter()
                    .flatten()
                    .find(|&v| v != x && v != vpc)
                    .map(|v| m.vpcs[v].address.clone());
                let why = match owner {
                    Some(o) => format!(
                        "{range} belongs to {o}, not to {}; peering is not transitive, so {} does not carry it on",
                        peer.address, p.address
                    ),
                    None => format!(
                        "{range} is outside {}'s CIDR blocks, and {} carries only traffic addressed to its peer VPC",
                        peer.address, p.address
                    ),
                };
                self.drop_(
                    codes::PCX_REQUIRES_ADDRESS_IN_VPC_CIDR,
                    route,
                    say!(self, "{route} sends traffic into {}: {why}", p.address),
                );
                return;
            }
        }
        let dst_subnet = &m.subnets[to];
        if dst_subnet.vpc.index() == Some(x) {
            if self.leg.outcome == Outcome::Delivered {
                self.hop(
                    &dst_subnet.address,
                    || format!("delivered inside {}", peer.address),
                    false,
                );
            }
        } else {
            let range = self.range();
            self.drop_(
                codes::NO_SUBNET_AT_DESTINATION,
                &p.address,
                say!(
                    self,
                    "{range} arrives in {}, but {} is not there (overlapping CIDR blocks)",
                    peer.address,
                    dst_subnet.address
                ),
            );
        }
    }
}

fn link_reason(link: &Link, who: &str, what: &str) -> String {
    match link {
        Link::Unresolved(why) => why.clone(),
        Link::External(id) => format!("the {what} of {who} ({id}) is not in the input"),
        Link::None => format!("{who} has no {what}"),
        Link::To(_) => String::new(),
    }
}

fn target_label(m: &Model, t: &Target) -> String {
    match t {
        Target::Local => "local".into(),
        Target::Peering(Link::To(p)) => m.peerings[*p].address.clone(),
        Target::Peering(Link::External(id)) => id.clone(),
        Target::Peering(_) => "peering connection (unresolved)".into(),
        Target::Gateway { label, .. } => label.clone(),
        Target::Unknown(_) => "a target not known until apply".into(),
        Target::Blackhole(_) => "blackhole".into(),
    }
}
