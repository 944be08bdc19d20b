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
use crate::model::{Direction, Reason};
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
    /// The internet, through this gateway (its address); `true` when a
    /// NAT gateway translated the source on the way.
    Internet(String, bool),
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
    fn start(family: Family) -> Leg {
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
    let dst_bound = match goal {
        Goal::Subnet(to) => model.subnets[to]
            .cidr(p.family)
            .map(|x| x.interval())
            .unwrap_or(Interval {
                lo: p.dst,
                hi: p.dst,
            }),
        Goal::Service(_) => Interval {
            lo: p.dst,
            hi: p.dst,
        },
    };
    let src_bound = model.subnets[origin]
        .cidr(p.family)
        .map(|x| x.interval())
        .unwrap_or(Interval {
            lo: p.src,
            hi: p.src,
        });
    let mut w = Walker {
        src_bound,
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
    };
    w.run(at);
    w.leg
}

/// How many address ranges of a NAT gateway's subnet are walked, when its
/// address is not known, before the answer is given up as unknown.
const MAX_NAT_RANGES: usize = 64;

/// Walks the replies of a connection from subnet `s` to subnet `d` whose
/// forward walk passed the NAT gateways `nats`; `p` carries the reply (from
/// an address of `d` to one of `s`). Without NAT it is the plain walk from
/// `d` to `s`. With NAT the reply is addressed to the last NAT gateway:
/// `d`'s route table takes it there, the gateway puts back the address it
/// replaced (the one before it, or finally the client's) and sends the
/// reply on from its own subnet, whose route table and network ACL apply.
/// Cost: one walk per NAT gateway passed, plus one.
pub fn walk_reply(
    model: &Model,
    s: usize,
    d: usize,
    nats: &[NatHop],
    p: Packet<'_>,
    detail: Detail,
) -> Leg {
    if nats.is_empty() {
        return walk(model, d, s, p, detail);
    }
    let trace = detail == Detail::Trace;
    let mut out = Leg::start(p.family);
    let mut at = d;
    for (i, nat) in nats.iter().enumerate().rev() {
        let flows = out.flows.clone().unwrap_or_else(|| p.flows.clone());
        let leg = towards_nat(model, at, d, nat, Packet { flows: &flows, ..p }, detail);
        absorb(&mut out, leg, false);
        let gw = &model.gateways[nat.gateway];
        if trace {
            let back = match i.checked_sub(1) {
                Some(j) => format!("{}'s address", model.gateways[nats[j].gateway].address),
                None => format!("the client's address in {}", model.subnets[s].address),
            };
            out.hops.push(Hop {
                at: gw.address.clone(),
                action: format!(
                    "the NAT gateway translates the reply back to {back} and sends it on from {}",
                    model.subnets[nat.subnet].address
                ),
                fails: false,
            });
        }
        at = nat.subnet;
    }
    let flows = out.flows.clone().unwrap_or_else(|| p.flows.clone());
    let last = walk_at(
        model,
        at,
        d,
        Goal::Subnet(s),
        Packet { flows: &flows, ..p },
        detail,
    );
    absorb(&mut out, last, true);
    out
}

/// Adds one part of a reply's walk to the whole: the worst outcome, every
/// reason and hop, the flows left, and the source addresses (the replying
/// subnet's, in every part) for which it holds. The destination addresses
/// are the client's only in the `last` part.
fn absorb(out: &mut Leg, leg: Leg, last: bool) {
    out.outcome = match (out.outcome, leg.outcome) {
        (Outcome::Dropped, _) | (_, Outcome::Dropped) => Outcome::Dropped,
        (Outcome::Unknown, _) | (_, Outcome::Unknown) => Outcome::Unknown,
        _ => Outcome::Delivered,
    };
    out.reasons.extend(leg.reasons);
    out.hops.extend(leg.hops);
    out.src_valid = out
        .src_valid
        .intersect(&leg.src_valid)
        .unwrap_or(out.src_valid);
    if last {
        out.dst_valid = leg.dst_valid;
    }
    if leg.flows.is_some() {
        out.flows = leg.flows;
    }
    out.goal_use = GoalUse::More;
}

/// The walk of a reply from subnet `at` (its source an address of subnet
/// `origin`) to the address of NAT gateway `nat`. When the input does not
/// say which address of its subnet the gateway has, every range of the
/// subnet that the routes and ACLs treat apart is walked: the answer holds
/// if they all agree, and is unknown otherwise.
fn towards_nat(
    model: &Model,
    at: usize,
    origin: usize,
    nat: &NatHop,
    p: Packet<'_>,
    detail: Detail,
) -> Leg {
    let goal = Goal::Subnet(nat.subnet);
    if let Some(a) = nat.addr {
        return walk_at(model, at, origin, goal, Packet { dst: a, ..p }, detail);
    }
    let gw = &model.gateways[nat.gateway];
    let sub = &model.subnets[nat.subnet];
    let Some(block) = sub.cidr(p.family).map(|b| b.interval()) else {
        let mut leg = walk_at(model, at, origin, goal, p, detail);
        leg.outcome = Outcome::Unknown;
        leg.reasons.push(Reason {
            code: codes::UNKNOWN_CIDR,
            resource: Some(gw.address.clone()),
            message: format!(
                "{} has no block of this family, so the address of {} is not known",
                sub.address, gw.address
            ),
            direction: p.dir,
        });
        return leg;
    };
    let mut a = block.lo;
    let mut first: Option<Leg> = None;
    let mut src_valid = Interval::full(p.family);
    let (mut agree, mut covered) = (true, false);
    for _ in 0..MAX_NAT_RANGES {
        let leg = walk_at(model, at, origin, goal, Packet { dst: a, ..p }, detail);
        let end = leg.dst_valid.hi.min(block.hi);
        src_valid = src_valid.intersect(&leg.src_valid).unwrap_or(src_valid);
        match &first {
            None => first = Some(leg),
            Some(f) if f.outcome == leg.outcome && f.flows == leg.flows => {}
            Some(_) => {
                agree = false;
                break;
            }
        }
        if end >= block.hi {
            covered = true;
            break;
        }
        a = end + 1;
    }
    let mut leg = first.unwrap_or_else(|| unreachable_leg(p.family));
    leg.src_valid = src_valid;
    if agree && covered {
        return leg;
    }
    leg.outcome = Outcome::Unknown;
    let message = if agree {
        format!(
            "the routes and network ACLs split {} into more than {MAX_NAT_RANGES} ranges, and which address {} gets is not known until apply (setting its private_ip settles it)",
            sub.address, gw.address
        )
    } else {
        format!(
            "the replies reach some addresses of {} and not others, and which one {} gets is not known until apply (setting its private_ip settles it)",
            sub.address, gw.address
        )
    };
    leg.reasons.push(Reason {
        code: codes::UNRESOLVED_REFERENCE,
        resource: Some(gw.address.clone()),
        message,
        direction: p.dir,
    });
    leg
}

/// A leg that stands for nothing walked (never returned in practice: the
/// loops above walk at least once).
fn unreachable_leg(family: Family) -> Leg {
    Leg {
        outcome: Outcome::Unknown,
        ..Leg::start(family)
    }
}

/// What to do after a transit gateway.
enum Next {
    /// The packet is in this subnet (of this VPC) and follows its table.
    At(usize, usize),
    Stop,
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

    fn range(&self) -> String {
        if !self.detail {
            return String::new();
        }
        if let Goal::Service(s) = self.goal {
            return format!("traffic to {}", s.name);
        }
        match self.leg.dst_valid.intersect(&self.dst_bound) {
            Some(iv) => iv.describe(self.family),
            None => Prefix::fmt_addr(self.family, self.dst),
        }
    }

    fn src_range(&self) -> String {
        if !self.detail {
            return String::new();
        }
        match self.leg.src_valid.intersect(&self.src_bound) {
            Some(iv) => iv.describe(self.family),
            None => Prefix::fmt_addr(self.family, self.src),
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

    /// Applies the network ACL of `subnet` to the packet leaving it
    /// (`egress`) or entering it. Returns false when no flow is left.
    fn acl(&mut self, subnet: usize, egress: bool) -> bool {
        let m = self.model;
        let sub = &m.subnets[subnet];
        let a = match &sub.network_acl {
            Link::None => return true, // the default ACL: allows everything
            Link::To(a) => *a,
            other => {
                let why = link_reason(other, &sub.address, "network ACL");
                self.unknown(codes::UNRESOLVED_REFERENCE, &sub.address, why);
                return true;
            }
        };
        if matches!(self.goal, Goal::Service(_)) {
            self.leg.acl_steps.push((subnet, egress));
        }
        let acl = &m.network_acls[a];
        // Inbound rules look at the source: after a NAT gateway, that is
        // the NAT gateway's address in its own subnet.
        let nat = if egress { None } else { self.nat_source() };
        let addr = match (egress, nat) {
            (true, _) => self.dst,
            (false, None) => self.src,
            (false, Some((a, _))) => a,
        };
        let mut d = evaluate(acl, egress, self.family, addr, self.flows());
        // A reply goes to whichever ephemeral port the client picked: the
        // replies of a protocol get through only if all of them do.
        let mut partial = None;
        if self.dir == Direction::Return && d.unknown.is_none() {
            if let Some(a) = &d.allowed {
                let whole = a.whole_protocols(self.flows());
                if &whole != a {
                    partial = Some(a.minus(&whole));
                    d.allowed = Some(whole);
                }
            }
        }
        match nat {
            // The NAT gateway's address is one AWS picks in its subnet.
            Some((_, Some(block))) => {
                if d.valid.intersect(&block) != Some(block) {
                    self.unknown(
                        codes::SUBNET_ACL_RESTRICTION,
                        &acl.address,
                        say!(self, "{} treats addresses of {} differently, and which one the NAT gateway uses is not known until apply", acl.address, m.subnets[self.natted.unwrap_or(subnet)].address),
                    );
                }
            }
            // Its address is known: the decision does not depend on the
            // packet's original source.
            Some((_, None)) => {}
            None if egress => {
                self.leg.dst_valid = self
                    .leg
                    .dst_valid
                    .intersect(&d.valid)
                    .unwrap_or(self.leg.dst_valid);
            }
            None => {
                self.leg.src_valid = self
                    .leg
                    .src_valid
                    .intersect(&d.valid)
                    .unwrap_or(self.leg.src_valid);
            }
        }
        if let Some(why) = &d.unknown {
            self.unknown(codes::UNRESOLVED_REFERENCE, &acl.address, why.clone());
        }
        let way = if egress { "outbound" } else { "inbound" };
        let rel = if egress { "leaving" } else { "entering" };
        let ctx = self.acl_context;
        if d.denies_all() {
            if !self.detail {
                self.leg.outcome = Outcome::Dropped;
                return false;
            }
            let range = self.range();
            let what = self.flows().describe_within(&self.universe(), 4);
            let source = match (egress, nat) {
                (true, _) => format!("to {range}{ctx}"),
                (false, None) => format!("from {}{ctx}", self.src_range()),
                (false, Some(_)) => format!("from the NAT gateway's address{ctx}"),
            };
            let msg = match &partial {
                Some(some) => say!(self,
                    "{} lets replies {rel} {} {source} through on {} only: replies go to the client's ephemeral port (1024-65535), so clients that pick another port get none ({way} {} denies the rest)",
                    acl.address,
                    sub.address,
                    some.describe(4),
                    describe_denials(&d.denied_by)
                ),
                None => say!(self,
                    "{} denies {what} {rel} {} {source}; {way} {} decides",
                    acl.address,
                    sub.address,
                    describe_denials(&d.denied_by)
                ),
            };
            self.drop_(codes::SUBNET_ACL_RESTRICTION, &acl.address, msg);
            return false;
        }
        if let Some(allowed_set) = d.allowed {
            if self.trace {
                let (acl_addr, sub_addr) = (acl.address.clone(), sub.address.clone());
                let allowed = allowed_set.describe_within(&self.universe(), 6);
                let denied = describe_denials(&d.denied_by);
                self.hop(
                    &acl_addr,
                    || format!("{way} rules for traffic {rel} {sub_addr}: only {allowed} pass ({denied} denies the rest)"),
                    false,
                );
            }
            self.leg.flows = Some(allowed_set);
        } else if self.trace {
            let (acl_addr, sub_addr) = (acl.address.clone(), sub.address.clone());
            let by: Vec<String> = d.allowed_by.iter().map(|n| n.to_string()).collect();
            self.hop(
                &acl_addr,
                || {
                    format!(
                        "{way} rule {} allows the traffic {rel} {sub_addr}",
                        by.join(", ")
                    )
                },
                false,
            );
        }
        true
    }

    /// After a NAT gateway, the packet's source: the NAT gateway's address,
    /// with its subnet's block when AWS picks the address at apply time.
    fn nat_source(&self) -> Option<(u128, Option<Interval>)> {
        let hop = self.leg.nats.last()?;
        match hop.addr {
            Some(a) => Some((a, None)),
            None => {
                let p = self.model.subnets[hop.subnet].cidr(self.family)?;
                Some((p.start, Some(p.interval())))
            }
        }
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
            Goal::Subnet(to) => format!("{} is in {there}", m.subnets[to].address),
            Goal::Service(_) => "the service is not there".into(),
        };
        self.drop_(
            codes::VPC_LOCAL_ROUTE_CIDR_RESTRICTION,
            table,
            say!(self,
                "{range} lies inside {here}'s own CIDR block, so the local route keeps the traffic in {here}; {what}"
            ),
        );
    }

    fn run(&mut self, from: usize) {
        let m = self.model;
        let src_subnet = &m.subnets[from];
        let Some(mut vpc) = src_subnet.vpc.index() else {
            let why = link_reason(&src_subnet.vpc, &src_subnet.address, "VPC");
            self.unknown(codes::UNRESOLVED_REFERENCE, &src_subnet.address, why);
            return;
        };
        let dst_vpc = match self.goal {
            Goal::Subnet(to) => m.subnets[to].vpc.index(),
            Goal::Service(_) => None,
        };
        let mut table_link = src_subnet.route_table.clone();
        let mut at = from;
        // Route tables passed so far (no allocation on the hot path).
        let mut visited = [usize::MAX; MAX_HOPS];
        for step in 0..MAX_HOPS {
            let t = match table_link {
                Link::To(t) => t,
                other => {
                    let who = &m.subnets[at].address;
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
            let service = match self.goal {
                Goal::Service(s) => Some(s),
                Goal::Subnet(_) => None,
            };
            let lk = lookup_for(table, self.family, self.dst, service);
            if service.is_none() {
                self.leg.dst_valid = self.leg.dst_valid.intersect(&lk.valid).unwrap_or(lk.valid);
            }
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
                            if let Link::Unresolved(why) = &m.subnets[to].vpc {
                                let why = why.clone();
                                self.unknown(
                                    codes::UNRESOLVED_REFERENCE,
                                    &m.subnets[to].address,
                                    why,
                                );
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
                        say!(self, "the route for {range} is a blackhole: {why}"),
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
                                    say!(self,
                                        "{} sends {range} to {} {label}, whose subnet is not in the input",
                                        route.resource,
                                        kind.describe()
                                    ),
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
                                say!(self,
                                    "{} sends {range} to {} {label}, which tfreach does not model yet",
                                    route.resource,
                                    kind.describe()
                                ),
                            );
                            return;
                        }
                        _ => {
                            let whom = match self.goal {
                                Goal::Subnet(_) => format!("private addresses in {}", there()),
                                Goal::Service(s) => s.name.to_string(),
                            };
                            self.drop_(
                                codes::CANNOT_ROUTE,
                                &route.resource,
                                say!(self,
                                    "{} sends {range} to {} {label}, which does not deliver to {whom}",
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
        let addr = m.subnets[at].address.clone();
        self.drop_(
            codes::ROUTING_LOOP,
            &addr,
            say!(self, "the traffic passes more than {MAX_HOPS} route tables"),
        );
    }

    /// Through NAT gateway `g` in subnet `s`: it gives the packet its own
    /// address as the source (so the replies come back to it) and forwards
    /// it out of its subnet. It translates TCP, UDP and ICMP over IPv4; IPv6
    /// only towards IPv4 (NAT64), never to another IPv6 address. A reply
    /// that passes a NAT gateway its connection did not go through leaves
    /// with that gateway's address, which the client does not expect (the
    /// walk goes on, to report what else stops it). Returns false when the
    /// packet goes no further.
    fn nat(&mut self, g: usize, s: usize, label: &str, route: &str) -> bool {
        let m = self.model;
        let gw = &m.gateways[g];
        if self.family == Family::V6 {
            self.drop_(
                codes::CANNOT_ROUTE,
                route,
                say!(self, "{route} sends IPv6 traffic to NAT gateway {label}, which translates IPv6 only to IPv4 (NAT64, addresses in 64:ff9b::/96) and forwards no IPv6 traffic to a subnet"),
            );
            return false;
        }
        if self.dir == Direction::Return {
            let range = self.src_range();
            self.drop_(
                codes::REPLY_SOURCE_TRANSLATED,
                route,
                say!(self, "{route} sends the replies from {range} through NAT gateway {label}, which the connection did not pass: it rewrites their source to its own address, so they no longer match the connection"),
            );
            // Walked on, to report what else stops them.
        }
        let nat_protocols = FlowSet::protocol(6)
            .union(&FlowSet::protocol(17))
            .union(&FlowSet::protocol(1));
        let carried = self.flows().intersect(&nat_protocols);
        if carried.is_empty() {
            self.drop_(
                codes::CANNOT_ROUTE,
                &gw.address,
                say!(
                    self,
                    "{label} translates TCP, UDP and ICMP only, and the traffic is none of those"
                ),
            );
            return false;
        }
        if &carried != self.flows() {
            self.leg.flows = Some(carried);
        }
        let block = m.subnets[s].cidr(Family::V4);
        let addr = gw
            .private_ip
            .filter(|a| block.is_some_and(|b| b.contains_addr(*a)));
        self.hop(
            label,
            || {
                let own = match addr {
                    Some(a) => Prefix::fmt_addr(Family::V4, a),
                    None => format!("an address of {}", m.subnets[s].address),
                };
                format!(
                    "the NAT gateway forwards it from {} with its own address ({own}) as the source; the replies return to that address",
                    m.subnets[s].address
                )
            },
            false,
        );
        self.natted = Some(s);
        self.private_nat = gw.private;
        self.leg.nats.push(NatHop {
            gateway: g,
            subnet: s,
            addr,
        });
        true
    }

    /// Leaving for the internet towards an AWS service.
    fn internet(
        &mut self,
        at: usize,
        vpc: usize,
        gw: Option<&crate::model::Gateway>,
        kind: GatewayKind,
        label: &str,
        route: &str,
    ) {
        let m = self.model;
        if self.family == Family::V4 && kind == GatewayKind::EgressOnly {
            self.drop_(
                codes::CANNOT_ROUTE,
                route,
                say!(self, "{route} sends IPv4 traffic to egress-only internet gateway {label}, which carries IPv6 only"),
            );
            return;
        }
        if let Some(g) = gw {
            if g.vpc.index().is_some_and(|v| v != vpc) {
                self.drop_(
                    codes::CANNOT_ROUTE,
                    route,
                    say!(self, "{label} is attached to {}, not to {}: a VPC cannot use another VPC's internet gateway", m.vpcs[g.vpc.index().unwrap_or(vpc)].address, m.vpcs[vpc].address),
                );
                return;
            }
        }
        if self.private_nat {
            self.drop_(
                codes::CANNOT_ROUTE,
                route,
                say!(self, "the traffic went through a private NAT gateway, and an internet gateway drops what a private NAT gateway sends it"),
            );
            return;
        }
        if !self.acl(at, true) {
            return;
        }
        self.hop(label, || "leaves for the internet".into(), false);
        self.leg.reached = Some(Reached::Internet(label.to_string(), self.natted.is_some()));
    }

    /// A route to a VPC endpoint: a Gateway Load Balancer endpoint sends the
    /// traffic through its appliances and back out of its subnet (the
    /// subnet returned); a gateway endpoint ends a walk to its service.
    fn endpoint(
        &mut self,
        at: usize,
        vpc: usize,
        link: &Link,
        route: &str,
        label: &str,
    ) -> Option<usize> {
        let m = self.model;
        let range = self.range();
        let Some(e) = link.index().and_then(|g| m.gateways[g].endpoint) else {
            self.unknown(
                codes::EXTERNAL_RESOURCE,
                route,
                say!(
                    self,
                    "{route} sends {range} to VPC endpoint {label}, which is not in the input"
                ),
            );
            return None;
        };
        let ep = &m.endpoints[e];
        match ep.kind {
            EndpointKind::GatewayLoadBalancer => {
                match &ep.state {
                    PeeringState::Active => {}
                    PeeringState::Inactive(why) => {
                        self.drop_(
                            codes::BAD_STATE,
                            &ep.address,
                            say!(self, "{} will not be available: {why}", ep.address),
                        );
                        return None;
                    }
                    PeeringState::Undetermined(why) => {
                        self.unknown(codes::UNRESOLVED_REFERENCE, &ep.address, why.clone());
                    }
                }
                let Some(&s) = ep.subnets.first() else {
                    let why = ep
                        .subnets_unknown
                        .clone()
                        .unwrap_or_else(|| format!("{} has no subnet in the input", ep.address));
                    self.unknown(codes::UNRESOLVED_REFERENCE, &ep.address, why);
                    return None;
                };
                if !self.cross(at, s) {
                    return None;
                }
                let service = ep.service_name();
                self.hop(
                    &ep.address,
                    || format!("inspected: the Gateway Load Balancer endpoint hands the traffic to {service} and it comes back out of {}", m.subnets[s].address),
                    false,
                );
                Some(s)
            }
            EndpointKind::Gateway => {
                let Goal::Service(svc) = self.goal else {
                    self.drop_(
                        codes::CANNOT_ROUTE,
                        route,
                        say!(self, "{route} sends {range} to gateway endpoint {}, which only carries traffic to {}", ep.address, ep.service_name()),
                    );
                    return None;
                };
                if ep.service.as_deref() != Some(svc.name) {
                    self.drop_(
                        codes::CANNOT_ROUTE,
                        route,
                        say!(
                            self,
                            "{route} sends traffic to {} into {}, an endpoint of {}",
                            svc.name,
                            ep.address,
                            ep.service_name()
                        ),
                    );
                    return None;
                }
                if self.crossed || ep.vpc != Link::To(vpc) {
                    self.drop_(
                        codes::TRANSITIVE_GATEWAY_ENDPOINT,
                        route,
                        say!(self,
                            "the traffic reaches {} from outside its VPC ({}); a gateway endpoint serves only the VPC it belongs to, never traffic arriving over a peering connection, transit gateway or VPN",
                            ep.address, m.vpcs[vpc].address
                        ),
                    );
                    return None;
                }
                if !self.acl(at, true) {
                    return None;
                }
                self.hop(
                    &ep.address,
                    || format!("gateway endpoint delivers to {}", svc.name),
                    false,
                );
                self.leg.reached = Some(Reached::Endpoint(e));
                None
            }
            EndpointKind::Interface | EndpointKind::Other => {
                self.drop_(
                    codes::BAD_STATE_ROUTE,
                    route,
                    say!(self, "{route} names {}, which is not a Gateway Load Balancer endpoint; AWS accepts only those as route targets", ep.address),
                );
                None
            }
        }
    }

    /// Through a transit gateway: from the subnet `at` of VPC `vpc` into
    /// the attachment subnet of the VPC the gateway's route table sends the
    /// packet to.
    fn transit(&mut self, at: usize, vpc: usize, link: &Link, route: &str, label: &str) -> Next {
        let m = self.model;
        let range = self.range();
        let Some(t) = link.index().and_then(|g| m.gateways[g].transit_gateway) else {
            self.unknown(
                codes::EXTERNAL_RESOURCE,
                route,
                say!(
                    self,
                    "{route} sends {range} to transit gateway {label}, which is not in the input"
                ),
            );
            return Next::Stop;
        };
        let tgw = &m.transit_gateways[t];
        // The VPC's attachment to this transit gateway.
        let att = m.vpcs[vpc]
            .attachments
            .iter()
            .copied()
            .find(|&a| m.tgw_attachments[a].tgw == Link::To(t));
        let Some(a) = att else {
            // An attachment whose VPC is not known could be this VPC's.
            let unresolved = m
                .tgw_attachments
                .iter()
                .find(|a| {
                    a.tgw == Link::To(t)
                        && a.kind == AttachmentKind::Vpc
                        && !matches!(a.vpc, Link::To(_))
                })
                .map(|a| link_reason(&a.vpc, &a.address, "VPC"));
            match unresolved {
                Some(why) => self.unknown(codes::UNRESOLVED_REFERENCE, &tgw.address, why),
                None => self.drop_(
                    codes::BAD_STATE_ROUTE,
                    route,
                    say!(self, "{route} sends {range} to {}, but {} has no attachment to it: the route is a blackhole", tgw.address, m.vpcs[vpc].address),
                ),
            }
            return Next::Stop;
        };
        let att = &m.tgw_attachments[a];
        if !self.attachment_usable(a) {
            return Next::Stop;
        }
        // The packet enters by the attachment's interface in its own zone.
        let here = &m.subnets[at];
        let Some(zone) = zone_of(here) else {
            self.unknown(
                codes::UNKNOWN_AVAILABILITY_ZONE,
                &here.address,
                say!(self, "the Availability Zone of {} is not known until apply, and {} carries traffic only from zones where it has a subnet", here.address, att.address),
            );
            return Next::Stop;
        };
        let entry = att
            .subnets
            .iter()
            .copied()
            .find(|&s| zone_of(&m.subnets[s]) == Some(zone));
        let Some(entry) = entry else {
            if let Some(why) = &att.subnets_unknown {
                self.unknown(codes::UNRESOLVED_REFERENCE, &att.address, why.clone());
                return Next::Stop;
            }
            if att
                .subnets
                .iter()
                .any(|&s| zone_of(&m.subnets[s]).is_none())
            {
                self.unknown(
                    codes::UNKNOWN_AVAILABILITY_ZONE,
                    &att.address,
                    say!(
                        self,
                        "the Availability Zones of the subnets of {} are not known until apply",
                        att.address
                    ),
                );
                return Next::Stop;
            }
            let zones: Vec<&str> = if self.detail {
                att.subnets
                    .iter()
                    .filter_map(|&s| zone_of(&m.subnets[s]))
                    .collect()
            } else {
                Vec::new()
            };
            self.drop_(
                codes::TGW_ROUTE_AZ_RESTRICTION,
                &att.address,
                say!(self,
                    "{} is in {zone}, where {} has no subnet (it has {}): a transit gateway only takes traffic from zones its VPC attachment is in",
                    here.address,
                    att.address,
                    if zones.is_empty() { "none".to_string() } else { zones.join(", ") }
                ),
            );
            return Next::Stop;
        };
        // Back into the transit gateway straight from the attachment subnet
        // it came out of: no ACL is crossed.
        let hairpin = self.from_tgw == Some(at) && entry == at;
        if !hairpin {
            self.from_tgw = None;
            self.acl_context = " on the way into the transit gateway";
            let ok = self.acl(at, true) && self.acl(entry, false);
            self.acl_context = "";
            if !ok {
                return Next::Stop;
            }
        }
        if matches!(self.goal, Goal::Service(_)) && self.leg.crossed_by.is_none() {
            self.leg.crossed_by = Some(route.to_string());
        }
        self.hop(
            &att.address,
            || {
                format!(
                    "enters {} through {} ({zone})",
                    tgw.address, m.subnets[entry].address
                )
            },
            false,
        );
        let mut ingress = a;
        let mut g = t;
        let mut rt_link = att.association(t);
        // Transit gateway route tables passed so far (no allocation).
        let mut visited = [usize::MAX; MAX_HOPS];
        let mut passed = 0;
        loop {
            let ingress_att = &m.tgw_attachments[ingress];
            let rt = match rt_link {
                Link::To(r) => *r,
                Link::None => {
                    self.drop_(
                        codes::TGW_ATTACH_MISSING_TGW_RTB_ASSOCIATION,
                        &ingress_att.address,
                        say!(self, "{} is associated with no route table of {}, so the transit gateway cannot route what enters by it", ingress_att.address, m.transit_gateways[g].address),
                    );
                    return Next::Stop;
                }
                other => {
                    let why =
                        link_reason(other, &ingress_att.address, "transit gateway route table");
                    self.unknown(codes::UNRESOLVED_REFERENCE, &ingress_att.address, why);
                    return Next::Stop;
                }
            };
            if visited[..passed].contains(&rt) || passed >= MAX_HOPS {
                let addr = m.tgw_route_tables[rt].address.clone();
                self.drop_(
                    codes::ROUTING_LOOP,
                    &addr,
                    say!(self, "the traffic comes back to {addr}: a routing loop"),
                );
                return Next::Stop;
            }
            visited[passed] = rt;
            passed += 1;
            let table = &m.tgw_route_tables[rt];
            let lk = tgw_lookup(table, self.family, self.dst);
            if matches!(self.goal, Goal::Subnet(_)) {
                self.leg.dst_valid = self.leg.dst_valid.intersect(&lk.valid).unwrap_or(lk.valid);
            }
            if let Some(why) = lk.unknown {
                self.unknown(codes::TGW_RTB_ROUTES_ARE_UNKNOWN, &table.address, why);
                return Next::Stop;
            }
            let range = self.range();
            let Some(r) = lk.route else {
                self.drop_(
                    codes::TGW_RTB_NO_ROUTE_TO_TGW_ATTACHMENT,
                    &table.address,
                    say!(
                        self,
                        "{} (associated with {}) has no route that matches {range}",
                        table.address,
                        ingress_att.address
                    ),
                );
                return Next::Stop;
            };
            // Formatted only where it is said: this is the hot path.
            let dest = if self.detail || self.trace {
                match r.dest {
                    crate::model::Dest::Cidr(p) => p.to_string(),
                    _ => "?".into(),
                }
            } else {
                String::new()
            };
            let how = if r.propagated { "propagated" } else { "static" };
            match &r.target {
                TgwTarget::Blackhole => {
                    self.drop_(
                        codes::TGW_RTB_BAD_STATE_ROUTE,
                        &r.resource,
                        say!(self, "{} matches {range} with blackhole route {dest} ({}): the transit gateway drops it", table.address, r.resource),
                    );
                    return Next::Stop;
                }
                TgwTarget::Unknown(why) => {
                    self.unknown(codes::UNRESOLVED_REFERENCE, &r.resource, why.clone());
                    return Next::Stop;
                }
                TgwTarget::Attachment(b) => {
                    let out = &m.tgw_attachments[*b];
                    self.hop(
                        &table.address,
                        || format!("{how} route {dest} -> {} ({})", out.address, r.resource),
                        false,
                    );
                    if !self.attachment_usable(*b) {
                        return Next::Stop;
                    }
                    match out.kind {
                        AttachmentKind::Vpc => {
                            return self.leave_tgw(*b, zone, g);
                        }
                        AttachmentKind::Peering => {
                            let other = if out.tgw == Link::To(g) {
                                &out.peer_tgw
                            } else {
                                &out.tgw
                            };
                            let Link::To(g2) = other else {
                                let why = link_reason(other, &out.address, "peer transit gateway");
                                self.unknown(codes::EXTERNAL_RESOURCE, &out.address, why);
                                return Next::Stop;
                            };
                            let g2 = *g2;
                            let peer = m.transit_gateways[g2].address.clone();
                            self.hop(
                                &out.address,
                                || format!("crosses the peering into {peer}"),
                                false,
                            );
                            ingress = *b;
                            g = g2;
                            rt_link = out.association(g2);
                            continue;
                        }
                        _ => {
                            let whom = match self.goal {
                                Goal::Subnet(to) => m.subnets[to].address.clone(),
                                Goal::Service(s) => s.name.to_string(),
                            };
                            self.drop_(
                                codes::CANNOT_ROUTE,
                                &r.resource,
                                say!(self, "{} sends {range} to {} {}, which leaves AWS; {whom} is not there", table.address, out.kind.describe(), out.address),
                            );
                            return Next::Stop;
                        }
                    }
                }
            }
        }
    }

    /// Whether an attachment carries traffic (its state and family).
    fn attachment_usable(&mut self, a: usize) -> bool {
        let att = &self.model.tgw_attachments[a];
        match &att.state {
            PeeringState::Active => {}
            PeeringState::Inactive(why) => {
                self.drop_(
                    codes::BAD_STATE_ATTACHMENT,
                    &att.address,
                    say!(self, "{} will not be available: {why}", att.address),
                );
                return false;
            }
            PeeringState::Undetermined(why) => {
                self.unknown(codes::UNRESOLVED_REFERENCE, &att.address, why.clone());
                return false;
            }
        }
        if !carries(att, self.family) {
            self.drop_(
                codes::TGW_ATTACHMENT_IPV6_DISABLED,
                &att.address,
                say!(
                    self,
                    "{} does not carry IPv6 (ipv6_support is not enabled)",
                    att.address
                ),
            );
            return false;
        }
        true
    }

    /// Out of the transit gateway into a VPC attachment's subnet: the one in
    /// the zone the packet entered from, else one of the others (all must
    /// behave alike, or the outcome depends on AWS's pick).
    fn leave_tgw(&mut self, b: usize, zone: &str, g: usize) -> Next {
        let m = self.model;
        let out = &m.tgw_attachments[b];
        let Some(v) = out.vpc.index() else {
            let why = link_reason(&out.vpc, &out.address, "VPC");
            self.unknown(codes::UNRESOLVED_REFERENCE, &out.address, why);
            return Next::Stop;
        };
        let same_zone = out
            .subnets
            .iter()
            .copied()
            .find(|&s| zone_of(&m.subnets[s]) == Some(zone));
        let exit = match same_zone {
            Some(s) => s,
            None => {
                if let Some(why) = &out.subnets_unknown {
                    self.unknown(codes::UNRESOLVED_REFERENCE, &out.address, why.clone());
                    return Next::Stop;
                }
                let Some(&first) = out.subnets.first() else {
                    self.drop_(
                        codes::BAD_STATE_ATTACHMENT,
                        &out.address,
                        say!(self, "{} has no subnet", out.address),
                    );
                    return Next::Stop;
                };
                let alike = out.subnets.iter().all(|&s| {
                    let (x, y) = (&m.subnets[s], &m.subnets[first]);
                    x.route_table == y.route_table && x.network_acl == y.network_acl
                });
                if !alike {
                    self.unknown(
                        codes::TGW_ATTACH_VPC_AZ_RESTRICTION,
                        &out.address,
                        say!(self, "{} has no subnet in {zone}, so the transit gateway picks one of its other zones, and its subnets there do not all use the same route table and network ACL", out.address),
                    );
                    return Next::Stop;
                }
                first
            }
        };
        self.hop(
            &out.address,
            || {
                format!(
                    "leaves {} into {}, whose route table decides the next hop",
                    m.transit_gateways[g].address, m.subnets[exit].address
                )
            },
            false,
        );
        self.crossed = true;
        self.from_tgw = Some(exit);
        Next::At(exit, v)
    }

    /// Crossing a peering connection: it must be active, and carries only
    /// traffic between its two VPCs' own CIDR blocks.
    fn peering(&mut self, vpc: usize, at: usize, link: &Link, route: &str) {
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
        self.from_tgw = None;
        if !self.acl(at, true) {
            return;
        }
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
        if matches!(self.goal, Goal::Service(_)) {
            self.leg.peered_into = Some((x, p.address.clone()));
            if self.leg.crossed_by.is_none() {
                self.leg.crossed_by = Some(route.to_string());
            }
        }
        if self.trace {
            self.hop(
                &p.address,
                || format!("crosses into {}", peer.address),
                false,
            );
        }
        // The source must belong to the sending VPC (no edge-to-edge); after
        // a NAT gateway, the source is the NAT gateway's address.
        let src = self.nat_source().map_or(self.src, |(a, _)| a);
        if !m.vpcs[vpc].cidrs.contains_addr(self.family, src) && m.vpcs[vpc].cidrs.unknown.is_none()
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
                    .then(|| self.owner_on_path(x, vpc))
                    .flatten()
                    .map(|v| m.vpcs[v].address.clone());
                let why = match (owner, self.goal) {
                    (_, Goal::Service(s)) => format!(
                        "{} is not in {}; a peering carries no traffic to the peer's gateways or endpoints (no edge-to-edge routing), so {} is not reached this way",
                        range, peer.address, s.name
                    ),
                    (Some(o), _) => format!(
                        "{range} belongs to {o}, not to {}; peering is not transitive, so {} does not carry it on",
                        peer.address, p.address
                    ),
                    (None, _) => format!(
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
        let Goal::Subnet(to) = self.goal else { return };
        self.read_goal(GoalUse::More);
        let dst_subnet = &m.subnets[to];
        if dst_subnet.vpc.index() == Some(x) {
            if !self.acl(to, false) {
                return;
            }
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
