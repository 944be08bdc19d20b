//! One packet, one direction: from a subnet towards an address, hop by hop.
//!
//! The walk follows AWS forwarding: the route table of the subnet the
//! packet is in, the longest-prefix route, then the target: local delivery,
//! a peering connection, an appliance, NAT gateway or Gateway Load Balancer
//! endpoint whose subnet's table is consulted next, a transit gateway
//! (the route table associated with the attachment the packet enters by,
//! then the attachment subnet of the VPC it leaves into, whose table is
//! consulted next), or a gateway that leaves the network. Where the packet
//! leaves or enters a subnet, that subnet's network ACL filters the flows
//! it carries.
//!
//! It records every reason the packet would be dropped, not only the first,
//! and the address intervals over which its decisions hold, so the pair
//! analysis can split subnets exactly where routes and ACL rules split
//! them.

use crate::codes;
use crate::model::endpoint::EndpointKind;
use crate::model::tgw::{carries, zone_of, AttachmentKind, TgwTarget};
use crate::model::{text, Direction, Reason, SubnetPart, Text};
use crate::model::{FlowSet, GatewayKind, Link, Model, PeeringState, Target};
use crate::net::{Family, Interval, Prefix};

use super::acl::{describe_denials, evaluate};
use super::lpm::{lookup_for, tgw_lookup, ServiceAddr};

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

/// Where a walk towards an AWS service ended up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reached {
    /// A gateway endpoint of the service (index into `Model::endpoints`).
    Endpoint(usize),
    /// The internet, through an internet or egress-only gateway.
    Internet(Exit),
    /// An on-premises network (index into `Model::on_prem`), through its
    /// connection.
    OnPrem(usize),
}

/// Where a packet left for the internet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exit {
    /// The gateway's address or ID.
    pub label: String,
    /// An internet gateway, or an egress-only one (IPv6, outbound only).
    pub kind: GatewayKind,
    /// The VPC the packet left from.
    pub vpc: usize,
    /// A NAT gateway gave the packet its own address on the way.
    pub natted: bool,
}

/// One network ACL check the packet passed: the subnet and whether it was
/// leaving (`true`) or entering it.
pub type AclStep = (usize, bool);

/// A NAT gateway the packet passed, which gave it its own address as the
/// source: the replies are addressed to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NatHop {
    /// Index into `Model::gateways`.
    pub gateway: usize,
    /// The NAT gateway's subnet, which holds its address.
    pub subnet: usize,
    /// Its address, when the input says which (`private_ip`); otherwise AWS
    /// picks one of its subnet's addresses at apply time.
    pub addr: Option<u128>,
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
    /// The flows that got through, when network ACLs narrowed the ones the
    /// walk started with (`None`: all of them).
    pub flows: Option<FlowSet>,
    /// Walks towards a service: where the packet arrived.
    pub reached: Option<Reached>,
    /// Walks towards a service: the ACL checks on the way, in order.
    pub acl_steps: Vec<AclStep>,
    /// Walks towards a service: the route that first took the packet out
    /// of its VPC (into a peering or transit gateway).
    pub crossed_by: Option<String>,
    /// Walks towards a service: the VPC and peering connection the packet
    /// was sent into.
    pub peered_into: Option<(usize, String)>,
    /// The NAT gateways that translated the source, in order.
    pub nats: Vec<NatHop>,
    /// What of the destination subnet, beyond its address, the walk's
    /// decisions read.
    pub goal_use: GoalUse,
    /// The subnets whose route tables the walk consulted.
    pub passed: Passed,
}

/// The subnets a walk was in, up to a few (a walk that passes more is not
/// shared with other destinations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Passed {
    subnets: [usize; Passed::CAP],
    /// How many are held; `CAP + 1` once more were passed than fit.
    len: usize,
}

impl Default for Passed {
    fn default() -> Passed {
        Passed::new()
    }
}

impl Passed {
    const CAP: usize = 8;

    const fn new() -> Passed {
        Passed {
            subnets: [usize::MAX; Passed::CAP],
            len: 0,
        }
    }

    pub(super) fn push(&mut self, s: usize) {
        if self.len > Passed::CAP || self.subnets[..self.len].contains(&s) {
            return;
        }
        if self.len == Passed::CAP {
            self.len = Passed::CAP + 1;
        } else {
            self.subnets[self.len] = s;
            self.len += 1;
        }
    }

    /// More subnets were passed than are held.
    pub fn overflowed(&self) -> bool {
        self.len > Passed::CAP
    }

    /// Whether the walk was in subnet `s` (true too when it overflowed).
    pub fn includes(&self, s: usize) -> bool {
        self.overflowed() || self.subnets[..self.len].contains(&s)
    }

    /// Marks the walk as passing more than is held: part of a composite
    /// walk (through NAT gateways) that is never shared.
    pub(crate) fn give_up(&mut self) {
        self.len = Passed::CAP + 1;
    }
}

/// What a walk towards a subnet read of that subnet beyond the address it
/// was sent to. A walk that read nothing more has the same outcome towards
/// every subnet whose addresses lie in its `dst_valid`, which lets the
/// class analysis decide many destinations with one walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GoalUse {
    /// Nothing: the destination address alone decided.
    Nothing,
    /// Only that the subnet's VPC is known and is not this one: the
    /// local route of this VPC held the packet, and the walk dropped it.
    NotInVpc(usize),
    /// More (its network ACL, its VPC for delivery, a reason that names it).
    More,
}

impl Leg {
    /// A leg that has delivered so far, over every address of the family,
    /// with nothing recorded yet: where every walk starts.
    pub(crate) fn start(family: Family) -> Leg {
        Leg {
            outcome: Outcome::Delivered,
            reasons: Vec::new(),
            hops: Vec::new(),
            src_valid: Interval::full(family),
            dst_valid: Interval::full(family),
            flows: None,
            reached: None,
            acl_steps: Vec::new(),
            crossed_by: None,
            peered_into: None,
            nats: Vec::new(),
            goal_use: GoalUse::Nothing,
            passed: Passed::new(),
        }
    }
}

/// Where a walk is going.
#[derive(Debug, Clone, Copy)]
pub enum Goal<'a> {
    /// An address of this subnet.
    Subnet(usize),
    /// An address of an AWS service, reached over a gateway endpoint or the
    /// internet.
    Service(ServiceAddr<'a>),
    /// An address of an on-premises network, reached over its VPN
    /// connection or Direct Connect gateway association.
    OnPrem(OnPremAddr),
}

/// Where a walk towards an on-premises network is going.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OnPremAddr {
    /// Index into `Model::on_prem`.
    pub net: usize,
    /// The network's range the address is in: the prefix a propagated
    /// route for it has.
    pub range: Prefix,
}

/// One packet to walk.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    pub family: Family,
    pub src: u128,
    pub dst: u128,
    /// The flows it may carry (protocols and destination ports).
    pub flows: &'a FlowSet,
    pub dir: Direction,
}

/// Formats a message only when the walk keeps its details.
macro_rules! say {
    ($w:expr, $($arg:tt)*) => {
        if $w.detail { format!($($arg)*) } else { String::new() }
    };
}

/// A reason's text from pieces (see [`crate::model::Text`]), built only
/// when the walk keeps reasons.
macro_rules! tell {
    ($w:expr, $($piece:expr),* $(,)?) => {
        if $w.detail { crate::model::text![$($piece),*] } else { Text::new() }
    };
}

mod endpoint;
mod internet;
mod nat;
mod network_acl;
mod onprem;
mod peering;
mod transit;

pub use internet::arrive_from_internet;
pub use nat::walk_reply;
pub use onprem::arrive_from_onprem;
use transit::Next;

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
    goal: Goal<'a>,
    /// The destination subnet's block, to describe ranges within it.
    dst_bound: Interval,
    /// The source subnet's block, likewise.
    src_bound: Interval,
    /// The subnet whose block `src_bound` is, when it is one.
    origin: Option<usize>,
    /// Said of network ACL checks at the current step.
    acl_context: &'static str,
    /// The flows the walk started with.
    start: &'a FlowSet,
    /// After a NAT gateway: the subnet whose address is now the source.
    natted: Option<usize>,
    /// That NAT gateway is a private one (no internet access).
    private_nat: bool,
    /// The packet left the VPC it started in (peering or transit gateway).
    crossed: bool,
    /// The subnet the packet entered from a transit gateway, while it is
    /// still there.
    from_tgw: Option<usize>,
    leg: Leg,
}

/// How many route tables a packet may pass through before it is a loop.
const MAX_HOPS: usize = 16;

/// Walks a packet from subnet `from` to an address of subnet `to`. Cost:
/// one route lookup per route table passed (usually one or two) and one
/// ACL evaluation per subnet boundary crossed.
pub fn walk(model: &Model, from: usize, to: usize, p: Packet<'_>, detail: Detail) -> Leg {
    walk_to(model, from, Goal::Subnet(to), p, detail)
}

/// Walks a packet from subnet `from` towards `goal`.
pub fn walk_to<'a>(
    model: &'a Model,
    from: usize,
    goal: Goal<'a>,
    p: Packet<'a>,
    detail: Detail,
) -> Leg {
    walk_at(model, from, from, goal, p, detail)
}

/// Walks a packet that is in subnet `at` (a NAT gateway's, for a reply it
/// has translated back) and whose source address belongs to subnet `origin`.
fn walk_at<'a>(
    model: &'a Model,
    at: usize,
    origin: usize,
    goal: Goal<'a>,
    p: Packet<'a>,
    detail: Detail,
) -> Leg {
    let src_bound = model.subnets[origin]
        .cidr(p.family)
        .map(|x| x.interval())
        .unwrap_or(Interval {
            lo: p.src,
            hi: p.src,
        });
    let mut w = Walker::new(model, goal, p, detail, src_bound, Some(origin));
    w.run(at);
    w.leg
}

/// A leg that stands for nothing walked (never returned in practice: the
/// loops above walk at least once).
fn unreachable_leg(family: Family) -> Leg {
    Leg {
        outcome: Outcome::Unknown,
        ..Leg::start(family)
    }
}

impl<'a> Walker<'a> {
    /// A walker at the start of a walk towards `goal`; `src_bound` is the
    /// range the source address is described within.
    fn new(
        model: &'a Model,
        goal: Goal<'a>,
        p: Packet<'a>,
        detail: Detail,
        src_bound: Interval,
        origin: Option<usize>,
    ) -> Walker<'a> {
        let dst_bound = match goal {
            Goal::Subnet(to) => model.subnets[to]
                .cidr(p.family)
                .map(|x| x.interval())
                .unwrap_or(Interval {
                    lo: p.dst,
                    hi: p.dst,
                }),
            Goal::Service(_) | Goal::OnPrem(_) => Interval {
                lo: p.dst,
                hi: p.dst,
            },
        };
        Walker {
            src_bound,
            origin,
            acl_context: "",
            detail: detail != Detail::Outcome,
            model,
            family: p.family,
            src: p.src,
            dst: p.dst,
            dir: p.dir,
            trace: detail == Detail::Trace,
            goal,
            dst_bound,
            start: p.flows,
            natted: None,
            private_nat: false,
            crossed: false,
            from_tgw: None,
            leg: Leg::start(p.family),
        }
    }
}

impl Walker<'_> {
    /// Records that a decision read the destination subnet (`how`).
    fn read_goal(&mut self, how: GoalUse) {
        self.leg.goal_use = match self.leg.goal_use {
            GoalUse::Nothing => how,
            was if was == how => was,
            _ => GoalUse::More,
        };
    }

    fn hop(&mut self, at: &str, action: impl FnOnce() -> String, fails: bool) {
        if self.trace {
            self.leg.hops.push(Hop {
                at: at.to_string(),
                action: action(),
                fails,
            });
        }
    }

    fn drop_(&mut self, code: &'static str, resource: impl Into<Text>, message: impl Into<Text>) {
        // A certain drop decides the outcome, even after an earlier unknown:
        // the walk only goes on past an unknown when the later checks hold
        // whatever the unknown turns out to be.
        self.leg.outcome = Outcome::Dropped;
        if !self.detail {
            return;
        }
        let (resource, message) = (resource.into(), message.into());
        self.hop(&resource, || message.to_string(), true);
        self.leg.reasons.push(Reason {
            code,
            resource: Some(resource),
            message,
            direction: self.dir,
        });
    }

    fn unknown(&mut self, code: &'static str, resource: impl Into<Text>, message: impl Into<Text>) {
        if self.leg.outcome != Outcome::Dropped {
            self.leg.outcome = Outcome::Unknown;
        }
        if !self.detail {
            return;
        }
        let (resource, message) = (resource.into(), message.into());
        self.hop(&resource, || message.to_string(), true);
        self.leg.reasons.push(Reason {
            code,
            resource: Some(resource),
            message,
            direction: self.dir,
        });
    }

    /// The VPC the destination address belongs to, other than `peer` and
    /// `here`, for naming it in a message: the destination subnet's VPC
    /// when the packet is headed for a subnet (blocks are often reused, so
    /// another VPC may hold the same address), else the only other VPC
    /// that holds it, else none.
    fn owner_on_path(&self, peer: usize, here: usize) -> Option<usize> {
        let m = self.model;
        if let Goal::Subnet(to) = self.goal {
            let v = m.subnet_vpc(to)?;
            return (v != peer
                && v != here
                && m.vpcs[v].cidrs.contains_addr(self.family, self.dst))
            .then_some(v);
        }
        let mut others = m
            .vpcs_containing(self.family, self.dst)
            .filter(|&v| v != peer && v != here);
        let first = others.next()?;
        others.next().is_none().then_some(first)
    }

    /// The walk cannot go on at subnet `s`: its `part`, a link to `what`,
    /// is not known or not in the input.
    fn unknown_link(&mut self, s: usize, part: SubnetPart, what: &str) {
        let m = self.model;
        let why = tell!(self, m.subnet_link_text(s, part, what));
        self.unknown(
            codes::UNRESOLVED_REFERENCE,
            tell!(self, m.subnet_text(s)),
            why,
        );
    }

    /// "`route` sends `range` ...": how a route's decision is said.
    fn sends(&self, route: &str, range: &Text, rest: impl FnOnce() -> String) -> Text {
        if !self.detail {
            return Text::new();
        }
        text![route, " sends ", range, rest()]
    }

    /// The destination addresses the walk stands for, as a reason names
    /// them.
    fn range(&self) -> Text {
        if !self.detail {
            return Text::new();
        }
        let to = match self.goal {
            Goal::Subnet(to) => to,
            Goal::Service(s) => return format!("traffic to {}", s.name).into(),
            Goal::OnPrem(o) => {
                return format!(
                    "traffic to {} ({})",
                    o.range, self.model.on_prem[o.net].address
                )
                .into()
            }
        };
        match self.leg.dst_valid.intersect(&self.dst_bound) {
            Some(iv) => self.model.range_text(self.family, iv, Some(to)),
            None => Prefix::fmt_addr(self.family, self.dst).into(),
        }
    }

    /// The source addresses the walk stands for, likewise.
    fn src_range(&self) -> Text {
        if !self.detail {
            return Text::new();
        }
        match self.leg.src_valid.intersect(&self.src_bound) {
            Some(iv) => self.model.range_text(self.family, iv, self.origin),
            None => Prefix::fmt_addr(self.family, self.src).into(),
        }
    }

    /// What the walk could carry at most, to describe flows against.
    fn universe(&self) -> FlowSet {
        match self.dir {
            Direction::Forward => FlowSet::connections(self.family),
            Direction::Return => FlowSet::replies(self.family),
        }
    }

    fn flows(&self) -> &FlowSet {
        self.leg.flows.as_ref().unwrap_or(self.start)
    }

    /// The packet moves from one subnet to another through the VPC router:
    /// out through the first one's ACL, in through the second's. Within one
    /// subnet, ACLs do not apply.
    fn cross(&mut self, from: usize, to: usize) -> bool {
        if from == to {
            return true;
        }
        self.from_tgw = None;
        self.acl(from, true) && self.acl(to, false)
    }

    /// The local route of `vpc` keeps traffic for an address in its own
    /// blocks, while the destination is in `dst_vpc` (another VPC, or one
    /// not in the input): dropped.
    fn local_elsewhere(&mut self, vpc: usize, table: &str, dst_vpc: Option<usize>) {
        let m = self.model;
        let range = self.range();
        let here = &m.vpcs[vpc].address;
        let there = dst_vpc.map_or("another VPC".to_string(), |v| m.vpcs[v].address.clone());
        let what = match self.goal {
            Goal::Subnet(to) => text![m.subnet_text(to), " is in ", there],
            Goal::Service(_) => "the service is not there".into(),
            Goal::OnPrem(_) => "the on-premises network is not there".into(),
        };
        self.drop_(
            codes::VPC_LOCAL_ROUTE_CIDR_RESTRICTION,
            table,
            tell!(self,
                range, format!(" lies inside {here}'s own CIDR block, so the local route keeps the traffic in {here}; "), what
            ),
        );
    }

    fn run(&mut self, from: usize) {
        let m = self.model;
        let src_subnet = &m.subnets[from];
        let Some(mut vpc) = src_subnet.vpc.index() else {
            self.unknown_link(from, SubnetPart::Vpc, "VPC");
            return;
        };
        let dst_vpc = match self.goal {
            Goal::Subnet(to) => m.subnets[to].vpc.index(),
            Goal::Service(_) | Goal::OnPrem(_) => None,
        };
        let mut table_link = src_subnet.route_table.clone();
        let mut at = from;
        // Route tables passed so far (no allocation on the hot path).
        let mut visited = [usize::MAX; MAX_HOPS];
        for step in 0..MAX_HOPS {
            self.leg.passed.push(at);
            let t = match table_link {
                Link::To(t) => t,
                _ => {
                    self.unknown_link(at, SubnetPart::RouteTable, "route table");
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
            let service = match self.goal {
                Goal::Service(s) => Some(s),
                Goal::Subnet(_) | Goal::OnPrem(_) => None,
            };
            let lk = lookup_for(table, self.family, self.dst, service);
            if service.is_none() {
                self.leg.dst_valid = self.leg.dst_valid.intersect(&lk.valid).unwrap_or(lk.valid);
            }
            if let Some(why) = lk.unknown {
                self.unknown(codes::UNRESOLVED_REFERENCE, &table.address, why);
                return;
            }
            if self.propagated_wins(t, lk.route, at, vpc) {
                return;
            }
            let Some(route) = lk.route else {
                let range = self.range();
                self.drop_(
                    codes::NO_ROUTE_TO_DESTINATION,
                    &table.address,
                    tell!(self, &table.address, " has no route that matches ", range),
                );
                return;
            };
            if self.trace {
                let dest = match &route.dest {
                    crate::model::Dest::Cidr(p)
                        if route.origin == crate::model::Origin::PrefixList =>
                    {
                        format!("{p} (a prefix-list entry)")
                    }
                    crate::model::Dest::Cidr(p) => p.to_string(),
                    crate::model::Dest::Service(s) => format!("prefix list of {s}"),
                    crate::model::Dest::PrefixList(p) => p.clone(),
                    crate::model::Dest::Unknown(_) => "?".into(),
                };
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
                    self.read_goal(match dst_vpc {
                        Some(v) if v != vpc => GoalUse::NotInVpc(vpc),
                        _ => GoalUse::More,
                    });
                    match self.goal {
                        Goal::Subnet(to) if dst_vpc == Some(vpc) => {
                            if self.cross(at, to) && self.leg.outcome == Outcome::Delivered {
                                self.hop(
                                    &m.subnets[to].address,
                                    || "delivered by the local route".into(),
                                    false,
                                );
                            }
                        }
                        Goal::Subnet(to) if dst_vpc.is_none() => {
                            // The local route keeps the traffic in this VPC,
                            // and which VPC the destination is in is not
                            // known: it may well be this one.
                            if let Link::Unresolved(_) = &m.subnets[to].vpc {
                                self.unknown_link(to, SubnetPart::Vpc, "VPC");
                            } else {
                                self.local_elsewhere(vpc, &table.address, None);
                            }
                        }
                        _ => self.local_elsewhere(vpc, &table.address, dst_vpc),
                    }
                    return;
                }
                Target::Blackhole(why) => {
                    let range = self.range();
                    self.drop_(
                        codes::BAD_STATE_ROUTE,
                        &route.resource,
                        tell!(
                            self,
                            "the route for ",
                            range,
                            format!(" is a blackhole: {why}")
                        ),
                    );
                    return;
                }
                Target::Unknown(why) => {
                    self.unknown(codes::UNRESOLVED_REFERENCE, &route.resource, why.clone());
                    return;
                }
                Target::Peering(link) => {
                    self.peering(vpc, at, link, &route.resource);
                    return;
                }
                Target::Gateway { kind, link, label } => {
                    let range = self.range();
                    let there = || {
                        dst_vpc.map_or("the destination VPC".to_string(), |v| {
                            m.vpcs[v].address.clone()
                        })
                    };
                    let gw = link.index().map(|g| &m.gateways[g]);
                    match kind {
                        GatewayKind::Nat
                        | GatewayKind::NetworkInterface
                        | GatewayKind::Instance => {
                            // The device forwards the packet out of its own subnet.
                            let Some(s) = gw.and_then(|g| g.subnet.index()) else {
                                self.unknown(
                                    codes::EXTERNAL_RESOURCE,
                                    &route.resource,
                                    self.sends(&route.resource, &range, || {
                                        format!(
                                            " to {} {label}, whose subnet is not in the input",
                                            kind.describe()
                                        )
                                    }),
                                );
                                return;
                            };
                            if !self.cross(at, s) {
                                return;
                            }
                            if *kind == GatewayKind::Nat {
                                let Some(g) = link.index() else { return };
                                if !self.nat(g, s, label, &route.resource) {
                                    return;
                                }
                            } else {
                                self.hop(
                                    label,
                                    || {
                                        format!(
                                            "the appliance forwards it from {}",
                                            m.subnets[s].address
                                        )
                                    },
                                    false,
                                );
                            }
                            at = s;
                            table_link = m.subnets[s].route_table.clone();
                            if let Some(v) = m.subnets[s].vpc.index() {
                                vpc = v;
                            }
                            continue;
                        }
                        GatewayKind::TransitGateway => {
                            match self.transit(at, vpc, link, &route.resource, label) {
                                Next::At(s, v) => {
                                    at = s;
                                    vpc = v;
                                    table_link = m.subnets[s].route_table.clone();
                                    continue;
                                }
                                Next::Stop => return,
                            }
                        }
                        GatewayKind::VpcEndpoint => {
                            match self.endpoint(at, vpc, link, &route.resource, label) {
                                Some(s) => {
                                    at = s;
                                    table_link = m.subnets[s].route_table.clone();
                                    continue;
                                }
                                None => return,
                            }
                        }
                        GatewayKind::VpnGateway if matches!(self.goal, Goal::OnPrem(_)) => {
                            self.vgw_exit(at, vpc, link, label, &route.resource);
                            return;
                        }
                        GatewayKind::Internet | GatewayKind::EgressOnly
                            if matches!(self.goal, Goal::Service(_)) =>
                        {
                            self.internet(at, vpc, gw, *kind, label, &route.resource);
                            return;
                        }
                        GatewayKind::CoreNetwork | GatewayKind::Other => {
                            self.unknown(
                                codes::UNSUPPORTED_HOP,
                                &route.resource,
                                self.sends(&route.resource, &range, || {
                                    format!(
                                        " to {} {label}, which tfreach does not model yet",
                                        kind.describe()
                                    )
                                }),
                            );
                            return;
                        }
                        _ => {
                            let whom = match self.goal {
                                Goal::Subnet(_) => format!("private addresses in {}", there()),
                                Goal::Service(s) => s.name.to_string(),
                                Goal::OnPrem(o) => m.on_prem[o.net].address.clone(),
                            };
                            self.drop_(
                                codes::CANNOT_ROUTE,
                                &route.resource,
                                self.sends(&route.resource, &range, || {
                                    format!(
                                        " to {} {label}, which does not deliver to {whom}",
                                        kind.describe()
                                    )
                                }),
                            );
                            return;
                        }
                    }
                }
            }
        }
        self.drop_(
            codes::ROUTING_LOOP,
            tell!(self, m.subnet_text(at)),
            say!(self, "the traffic passes more than {MAX_HOPS} route tables"),
        );
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
