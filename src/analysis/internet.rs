//! The internet as an endpoint of the analysis, next to the subnets.
//!
//! For each subnet, two ordered pairs: `subnet -> internet` (egress: a
//! connection opened from the subnet towards a public address, and its
//! replies) and `internet -> subnet` (a connection opened from the
//! internet to the subnet's instances, and their replies). The verdicts
//! mean what they mean for subnet pairs, over the subnet's addresses in
//! each family it has a block of.
//!
//! * Egress follows the subnet's route table towards a public address that
//!   no prefix of the input names other than a default route (so default
//!   routes decide, as they do for most of the internet): out of an
//!   internet or egress-only gateway of the subnet's own VPC, or of another
//!   VPC's behind a NAT gateway (through a transit gateway to a central
//!   egress VPC). An internet gateway translates only its own VPC's
//!   instances, and only those that have a public address, which the
//!   report notes. The replies come back through the gateway: to the
//!   instance, or to the NAT gateway, which sends them on to the client by
//!   its own subnet's route table.
//! * Ingress comes in through an internet gateway attached to the subnet's
//!   VPC, to instances with a public address (IPv4: mapped on launch, asked
//!   for by an instance, or an Elastic IP; IPv6 addresses are public), and
//!   the replies must leave by the subnet's route table through that same
//!   gateway: never through a NAT gateway or an egress-only gateway.
//!
//! Network ACLs apply both ways, with the replies to the ephemeral ports.

use foldhash::{HashMap, HashMapExt};
use std::borrow::Cow;

use rayon::prelude::*;

use crate::codes;
use crate::model::{Direction, Reason, Verdict};
use crate::model::{Flow, FlowSet, GatewayKind, Link, Model, Target};
use crate::net::{Family, Interval, Prefix};

use super::endpoints::{cell, Computed, Way};
use super::lpm::ServiceAddr;
use super::pair::{asked, conclude, too_many_cells, Asked, PairEval, MAX_CELLS};
use super::walk::Reached;
use super::walk::{arrive_from_internet, walk_to, Detail, Exit, Goal, Leg, Outcome, Packet};
use super::PairsFilter;

/// The name of the internet endpoint in every report and selector.
pub const INTERNET: &str = "internet";

/// Is the internet an endpoint of this model: does the input hold a
/// gateway to it, or a route to one?
pub fn present(model: &Model) -> bool {
    let to_internet =
        |k: &GatewayKind| matches!(k, GatewayKind::Internet | GatewayKind::EgressOnly);
    model.gateways.iter().any(|g| to_internet(&g.kind))
        || model.route_tables.iter().any(|t| {
            t.routes
                .iter()
                .any(|r| matches!(&r.target, Target::Gateway { kind, .. } if to_internet(kind)))
        })
}

/// An address of `family` that no prefix of the model other than a default
/// route contains: it stands for the internet (and for an AWS service's
/// public address when the input does not give the service's ranges).
pub fn public_stand_in(model: &Model, family: Family) -> u128 {
    let mut prefixes: Vec<Prefix> = model
        .decision_prefixes()
        .into_iter()
        .filter(|p| p.family == family && p.len > 0)
        .collect();
    prefixes.sort_by_key(|p| p.start);
    // 52.0.0.1 or 2600:1f00::1, then upwards past every prefix that covers
    // the candidate.
    let (first, top) = match family {
        Family::V4 => ((52u128 << 24) | 1, u32::MAX as u128),
        Family::V6 => ((0x2600_1f00u128 << 96) | 1, u128::MAX),
    };
    let mut a = first;
    loop {
        match prefixes
            .iter()
            .filter(|p| p.contains_addr(a))
            .map(|p| p.end())
            .max()
        {
            Some(end) if end < top => a = end + 1,
            Some(_) => return first,
            None => return a,
        }
    }
}

/// What every pair with the internet reads of the model, gathered once: the
/// internet's stand-in address per family, the internet gateway of each
/// VPC, and the gateways whose traffic in is routed by a table of their own.
#[derive(Debug, Clone)]
pub struct Gathered {
    v4: u128,
    v6: u128,
    /// The first internet gateway the input attaches to each VPC.
    igw_of_vpc: Vec<Option<usize>>,
    /// An internet gateway whose VPC is not known until apply.
    unattached: Option<usize>,
    /// Gateway address -> the association that gives it a route table
    /// (ingress routing), and an association whose gateway is not known.
    edge: HashMap<String, String>,
    edge_unresolved: Option<String>,
}

impl Gathered {
    pub fn of(model: &Model) -> Gathered {
        let mut igw_of_vpc = vec![None; model.vpcs.len()];
        let mut unattached = None;
        for (i, g) in model.gateways.iter().enumerate() {
            if g.kind != GatewayKind::Internet {
                continue;
            }
            match g.vpc {
                Link::To(v) => {
                    igw_of_vpc[v].get_or_insert(i);
                }
                Link::Unresolved(_) => {
                    unattached.get_or_insert(i);
                }
                _ => {}
            }
        }
        let mut edge = HashMap::new();
        let mut edge_unresolved = None;
        for e in &model.edge_associations {
            match &e.gateway {
                Link::To(g) => {
                    edge.entry(model.gateways[*g].address.clone())
                        .or_insert_with(|| e.address.clone());
                }
                Link::Unresolved(_) => {
                    edge_unresolved.get_or_insert_with(|| e.address.clone());
                }
                _ => {}
            }
        }
        Gathered {
            v4: public_stand_in(model, Family::V4),
            v6: public_stand_in(model, Family::V6),
            igw_of_vpc,
            unattached,
            edge,
            edge_unresolved,
        }
    }

    /// The association that routes what gateway `gw` brings in by a route
    /// table of its own, or may (its gateway not known until apply).
    fn ingress_routing(&self, gw: &str) -> Option<&str> {
        self.edge
            .get(gw)
            .or(self.edge_unresolved.as_ref())
            .map(String::as_str)
    }

    fn get(&self, f: Family) -> u128 {
        match f {
            Family::V4 => self.v4,
            Family::V6 => self.v6,
        }
    }
}

fn goal(family: Family) -> Goal<'static> {
    Goal::Service(ServiceAddr {
        name: INTERNET,
        prefix_len: match family {
            Family::V4 => 32,
            Family::V6 => 128,
        },
    })
}

pub(super) fn reason(
    code: &'static str,
    resource: &str,
    message: String,
    direction: Direction,
) -> Reason {
    Reason {
        code,
        resource: Some(resource.into()),
        message: message.into(),
        direction,
    }
}

/// Every subnet's two pairs with the internet (whole where `keep` lists
/// them): first each subnet towards the internet, then the internet
/// towards each subnet, in `order`.
pub(super) fn pairs(
    model: &Model,
    order: &[usize],
    flow: Option<&Flow>,
    keep: PairsFilter,
) -> Vec<Computed> {
    let gathered = Gathered::of(model);
    let address = |s: usize| model.subnets[s].address.clone();
    let egress: Vec<Computed> = order
        .par_iter()
        .map(|&s| {
            let (e, note) = egress(model, s, &gathered, flow, Detail::Reasons);
            Computed::of(keep, || address(s), || INTERNET.into(), e, note)
        })
        .collect();
    let ingress: Vec<Computed> = order
        .par_iter()
        .map(|&s| {
            let (e, note) = ingress(model, s, &gathered, flow, Detail::Reasons);
            Computed::of(keep, || INTERNET.into(), || address(s), e, note)
        })
        .collect();
    let mut out = egress;
    out.extend(ingress);
    out
}

/// The subnet's blocks, or the pair's answer when they are not known.
pub(super) fn blocks(model: &Model, s: usize) -> Result<Vec<(Family, Interval)>, PairEval> {
    let sub = &model.subnets[s];
    if let Some(why) = &sub.cidrs.unknown {
        return Err(PairEval {
            verdict: Verdict::Unknown,
            reasons: vec![reason(
                codes::UNKNOWN_CIDR,
                &sub.address,
                why.clone(),
                Direction::Forward,
            )],
            cells: Vec::new(),
            traffic: None,
        });
    }
    Ok([Family::V4, Family::V6]
        .into_iter()
        .filter_map(|f| sub.cidr(f).map(|p| (f, p.interval())))
        .collect())
}

/// The replies of what arrived (of everything, when nothing did).
pub(super) fn replies_of<'a>(fwd: &Leg, asked: &'a Asked) -> Cow<'a, FlowSet> {
    match (fwd.outcome, &fwd.flows) {
        (Outcome::Dropped, _) | (_, None) => Cow::Borrowed(&*asked.replies),
        (_, Some(f)) => Cow::Owned(f.replies_for()),
    }
}

pub(super) fn drop_leg(leg: &mut Leg, r: Reason) {
    leg.outcome = Outcome::Dropped;
    leg.reasons.push(r);
}

/// A connection from subnet `s` to the internet, and its replies. Returns
/// the evaluation and a note on which instances it holds for.
pub fn egress(
    model: &Model,
    s: usize,
    gathered: &Gathered,
    flow: Option<&Flow>,
    detail: Detail,
) -> (PairEval, Option<String>) {
    egress_as(model, s, gathered, flow, detail, public_ipv4(model, s))
}

/// Whether one workload has a public IPv4 address, as its own attributes
/// say (`None`: not known until apply).
fn public_of(public: Option<bool>, own: Option<&str>) -> Public {
    match public {
        Some(true) => Public::All,
        Some(false) => Public::None(own.map(str::to_string)),
        None => Public::Unknown,
    }
}

/// [`egress`] for one workload of the subnet, whose own attributes say
/// whether it has a public IPv4 address.
pub fn egress_of_workload(
    model: &Model,
    s: usize,
    gathered: &Gathered,
    flow: Option<&Flow>,
    detail: Detail,
    (public, own): (Option<bool>, Option<&str>),
) -> PairEval {
    egress_as(model, s, gathered, flow, detail, public_of(public, own)).0
}

/// [`ingress`] for one workload of the subnet, whose own attributes say
/// whether it has a public IPv4 address.
pub fn ingress_of_workload(
    model: &Model,
    s: usize,
    gathered: &Gathered,
    flow: Option<&Flow>,
    detail: Detail,
    (public, own): (Option<bool>, Option<&str>),
) -> PairEval {
    ingress_as(model, s, gathered, flow, detail, public_of(public, own)).0
}

fn egress_as(
    model: &Model,
    s: usize,
    gathered: &Gathered,
    flow: Option<&Flow>,
    detail: Detail,
    public: Public,
) -> (PairEval, Option<String>) {
    let families = match blocks(model, s) {
        Ok(b) => b,
        Err(e) => return (e, None),
    };
    let sub = &model.subnets[s];
    let mut cells = Vec::new();
    let mut straight_out: Option<String> = None;
    for (family, block) in families {
        let addr = gathered.get(family);
        let asked = asked(flow, family);
        let mut work = vec![block];
        while let Some(si) = work.pop() {
            if cells.len() >= MAX_CELLS {
                return (too_many_cells(model.subnet_text(s)), None);
            }
            let p = Packet {
                family,
                src: si.lo,
                dst: addr,
                flows: &asked.forward,
                dir: Direction::Forward,
            };
            let mut fwd = walk_to(model, s, goal(family), p, detail);
            let exit = match &fwd.reached {
                Some(Reached::Internet(e)) => Some(e.clone()),
                _ => None,
            };
            if fwd.outcome != Outcome::Dropped {
                match &exit {
                    // Not known until apply: the walk says why.
                    None if fwd.outcome == Outcome::Unknown => {}
                    None => drop_leg(
                        &mut fwd,
                        reason(
                            codes::NO_ROUTE_TO_DESTINATION,
                            &sub.address,
                            format!("the traffic of {} does not reach an internet gateway", sub.address),
                            Direction::Forward,
                        ),
                    ),
                    Some(e) if !e.natted && sub.vpc.index() != Some(e.vpc) => drop_leg(
                        &mut fwd,
                        reason(
                            codes::IGW_SOURCE_NOT_IN_VPC,
                            &e.label,
                            format!(
                                "the traffic of {} reaches {} of {} without passing a NAT gateway; an internet gateway translates only the addresses of its own VPC's instances",
                                sub.address, e.label, model.vpcs[e.vpc].address
                            ),
                            Direction::Forward,
                        ),
                    ),
                    Some(e) if !e.natted && family == Family::V4 => {
                        straight_out.get_or_insert_with(|| e.label.clone());
                        match &public {
                            Public::None(own) => drop_leg(
                                &mut fwd,
                                no_public_address(sub, Some(&e.label), own.as_deref()),
                            ),
                            Public::Unknown => unknown_public(sub, &mut fwd),
                            Public::All | Public::Some(_) => {}
                        }
                    }
                    Some(_) => {}
                }
            }
            let replies = replies_of(&fwd, &asked);
            let ret = match (&exit, fwd.outcome) {
                (Some(e), Outcome::Delivered | Outcome::Unknown) => arrive_from_internet(
                    model,
                    s,
                    &e.label,
                    &fwd.nats,
                    Packet {
                        family,
                        src: addr,
                        dst: si.lo,
                        flows: &replies,
                        dir: Direction::Return,
                    },
                    detail,
                ),
                // Nothing left: no reply to walk.
                _ => Leg::start(family),
            };
            let mut ret = ret;
            if let (Some(e), false) = (&exit, fwd.outcome == Outcome::Dropped) {
                ingress_routed(gathered, &e.label, &mut ret, Direction::Return);
            }
            let flows = (&*asked.forward, &*replies);
            let (c, done) = cell(Way::Out, family, si, addr, (fwd, ret), flows);
            work.extend(si.minus(&done));
            cells.push(c);
        }
    }
    if cells.is_empty() {
        return (no_block(&sub.address), None);
    }
    let mut e = conclude(cells, detail, flow);
    let mut note = None;
    if let (Some(gw), Public::Some(holders)) = (straight_out, public) {
        if e.verdict == Verdict::Reachable {
            e.verdict = Verdict::Partial;
        }
        if e.verdict == Verdict::Partial {
            note = Some(format!(
                "straight out of {gw}, which translates only instances with a public IPv4 address: {}",
                holders.join(", ")
            ));
        }
    }
    (e, note)
}

/// No instance of the subnet has a public IPv4 address, or (`own`) the one
/// workload asked about has none of its own settings' giving (`gw`: the
/// internet gateway its traffic leaves by, for egress).
fn no_public_address(sub: &crate::model::Subnet, gw: Option<&str>, own: Option<&str>) -> Reason {
    if let Some(w) = own {
        let what = match gw {
            Some(gw) => format!(
                "{gw} translates only addresses that have a public IPv4 address, and {w} has none"
            ),
            None => format!("{w} has no public IPv4 address"),
        };
        return reason(
            codes::NO_PUBLIC_ADDRESS,
            &sub.address,
            format!(
                "{what}: its own settings decide (for its kind, or an attribute such as associate_public_ip_address, publicly_accessible or internal), not what {} maps on launch",
                sub.address
            ),
            Direction::Forward,
        );
    }
    let what = match gw {
        Some(gw) => format!(
            "{gw} translates only instances with a public IPv4 address, and no instance of {} has one",
            sub.address
        ),
        None => format!("no instance of {} has a public IPv4 address", sub.address),
    };
    reason(
        codes::NO_PUBLIC_ADDRESS,
        &sub.address,
        format!(
            "{what}: the subnet does not map one on launch (map_public_ip_on_launch), and no instance or Elastic IP of the input gives one in it"
        ),
        Direction::Forward,
    )
}

/// What `gw` brings into the VPC is routed by the route table of an edge
/// association (ingress routing), which tfreach does not follow yet: the
/// leg's outcome is unknown.
fn ingress_routed(gathered: &Gathered, gw: &str, leg: &mut Leg, direction: Direction) {
    if leg.outcome == Outcome::Dropped {
        return;
    }
    let Some(assoc) = gathered.ingress_routing(gw) else {
        return;
    };
    if leg.outcome == Outcome::Delivered {
        leg.outcome = Outcome::Unknown;
    }
    leg.reasons.push(reason(
        codes::UNSUPPORTED_HOP,
        assoc,
        format!(
            "{assoc} gives {gw} a route table for what it brings into the VPC (ingress routing), which tfreach does not follow yet"
        ),
        direction,
    ));
}

/// Whether the subnet maps public IPv4 addresses is not known until apply.
fn unknown_public(sub: &crate::model::Subnet, leg: &mut Leg) {
    if leg.outcome == Outcome::Delivered {
        leg.outcome = Outcome::Unknown;
    }
    leg.reasons.push(reason(
        codes::UNRESOLVED_REFERENCE,
        &sub.address,
        format!(
            "whether {} gives its instances a public IPv4 address (map_public_ip_on_launch) is not known until apply",
            sub.address
        ),
        Direction::Forward,
    ));
}

pub(super) fn no_block(address: &str) -> PairEval {
    PairEval {
        verdict: Verdict::Blocked,
        reasons: vec![reason(
            codes::NO_COMMON_ADDRESS_FAMILY,
            address,
            format!("{address} has no CIDR block"),
            Direction::Forward,
        )],
        cells: Vec::new(),
        traffic: None,
    }
}

/// The internet gateway a connection from the internet to subnet `s`
/// comes in by: one the input attaches to the subnet's VPC, else one its
/// route table names by ID (AWS accepts a route to an internet gateway
/// only when it is attached to the table's VPC). `Err` holds the reason
/// there is none.
fn inbound_gateway(model: &Model, gathered: &Gathered, s: usize) -> Result<String, Reason> {
    let sub = &model.subnets[s];
    let v = match &sub.vpc {
        Link::To(v) => *v,
        other => {
            let why = match other {
                Link::Unresolved(why) => why.clone(),
                Link::External(id) => {
                    format!("the VPC of {} ({id}) is not in the input", sub.address)
                }
                _ => format!("{} has no VPC", sub.address),
            };
            return Err(reason(
                codes::UNRESOLVED_REFERENCE,
                &sub.address,
                why,
                Direction::Forward,
            ));
        }
    };
    if let Some(g) = gathered.igw_of_vpc[v] {
        return Ok(model.gateways[g].address.clone());
    }
    if let Link::To(t) = sub.route_table {
        for r in &model.route_tables[t].routes {
            if let Target::Gateway {
                kind: GatewayKind::Internet,
                link: Link::External(_),
                label,
            } = &r.target
            {
                return Ok(label.clone());
            }
        }
    }
    if let Some(g) = gathered.unattached.map(|g| &model.gateways[g]) {
        let why = match &g.vpc {
            Link::Unresolved(why) => why.clone(),
            _ => String::new(),
        };
        return Err(reason(
            codes::UNRESOLVED_REFERENCE,
            &g.address,
            format!(
                "{} may be attached to {}: {why}",
                g.address, model.vpcs[v].address
            ),
            Direction::Forward,
        ));
    }
    Err(reason(
        codes::NO_INTERNET_GATEWAY,
        &model.vpcs[v].address,
        format!(
            "no internet gateway is attached to {}, so nothing comes in from the internet to {}",
            model.vpcs[v].address, sub.address
        ),
        Direction::Forward,
    ))
}

/// Which of the subnet's IPv4 addresses the internet can address.
enum Public {
    All,
    Some(Vec<String>),
    /// None; `Some(workload)` when that workload's own settings give it
    /// none, whatever its subnet maps.
    None(Option<String>),
    Unknown,
}

fn public_ipv4(model: &Model, s: usize) -> Public {
    let p = &model.subnets[s].public_ipv4;
    match p.on_launch {
        Some(true) => Public::All,
        None => Public::Unknown,
        Some(false) if p.holders.is_empty() => Public::None(None),
        Some(false) => Public::Some(p.holders.clone()),
    }
}

/// A connection from the internet to subnet `s`, and its replies. Returns
/// the evaluation and a note on which instances it holds for.
pub fn ingress(
    model: &Model,
    s: usize,
    gathered: &Gathered,
    flow: Option<&Flow>,
    detail: Detail,
) -> (PairEval, Option<String>) {
    ingress_as(model, s, gathered, flow, detail, public_ipv4(model, s))
}

fn ingress_as(
    model: &Model,
    s: usize,
    gathered: &Gathered,
    flow: Option<&Flow>,
    detail: Detail,
    public: Public,
) -> (PairEval, Option<String>) {
    let families = match blocks(model, s) {
        Ok(b) => b,
        Err(e) => return (e, None),
    };
    let sub = &model.subnets[s];
    let gw = match inbound_gateway(model, gathered, s) {
        Ok(g) => g,
        Err(r) => {
            let verdict = if r.code == codes::NO_INTERNET_GATEWAY {
                Verdict::Blocked
            } else {
                Verdict::Unknown
            };
            let e = PairEval {
                verdict,
                reasons: vec![r],
                cells: Vec::new(),
                traffic: None,
            };
            return (e, None);
        }
    };
    let vpc = sub.vpc.index();
    let mut cells = Vec::new();
    for (family, block) in families {
        let addr = gathered.get(family);
        let asked = asked(flow, family);
        let mut work = vec![block];
        while let Some(di) = work.pop() {
            if cells.len() >= MAX_CELLS {
                return (too_many_cells(model.subnet_text(s)), None);
            }
            let p = Packet {
                family,
                src: addr,
                dst: di.lo,
                flows: &asked.forward,
                dir: Direction::Forward,
            };
            let mut fwd = if let (Family::V4, Public::None(own)) = (family, &public) {
                let mut leg = Leg::start(family);
                drop_leg(&mut leg, no_public_address(sub, None, own.as_deref()));
                leg
            } else {
                arrive_from_internet(model, s, &gw, &[], p, detail)
            };
            if family == Family::V4 && matches!(public, Public::Unknown) {
                unknown_public(sub, &mut fwd);
            }
            ingress_routed(gathered, &gw, &mut fwd, Direction::Forward);
            let replies = replies_of(&fwd, &asked);
            let unaddressed = family == Family::V4 && matches!(public, Public::None(_));
            let ret = if unaddressed {
                // Nothing to reply from.
                Leg::start(family)
            } else {
                let mut ret = walk_to(
                    model,
                    s,
                    goal(family),
                    Packet {
                        family,
                        src: di.lo,
                        dst: addr,
                        flows: &replies,
                        dir: Direction::Return,
                    },
                    detail,
                );
                check_reply_exit(model, s, vpc, &gw, &mut ret);
                ret
            };
            let flows = (&*asked.forward, &*replies);
            let (c, done) = cell(Way::In, family, di, addr, (fwd, ret), flows);
            work.extend(di.minus(&done));
            cells.push(c);
        }
    }
    if cells.is_empty() {
        return (no_block(&sub.address), None);
    }
    let mut e = conclude(cells, detail, flow);
    let mut note = None;
    if let Public::Some(holders) = public {
        if e.verdict == Verdict::Reachable {
            e.verdict = Verdict::Partial;
        }
        if matches!(e.verdict, Verdict::Partial) {
            note = Some(format!(
                "only instances with a public IPv4 address: {}",
                holders.join(", ")
            ));
        }
    }
    (e, note)
}

/// The replies of a connection from the internet must leave through the
/// internet gateway that carried it in, untranslated: anything else (a NAT
/// gateway, an egress-only gateway, another VPC's gateway, no route) loses
/// them.
fn check_reply_exit(model: &Model, s: usize, vpc: Option<usize>, gw: &str, ret: &mut Leg) {
    let sub = &model.subnets[s].address;
    let wrong = |why: String| reason(codes::INTERNET_REPLY_ROUTE, sub, why, Direction::Return);
    match (&ret.reached, ret.outcome) {
        (_, Outcome::Dropped) => {
            // A network ACL is at fault on its own: its reason says it.
            let acl_only = !ret.reasons.is_empty()
                && ret
                    .reasons
                    .iter()
                    .all(|r| r.code == codes::SUBNET_ACL_RESTRICTION);
            if !acl_only {
                ret.reasons.push(wrong(format!(
                    "the replies of {sub} to the internet find no way out through {gw}, which carried the connection in"
                )));
            }
        }
        (
            Some(Reached::Internet(Exit {
                natted: true,
                label,
                ..
            })),
            _,
        ) => {
            let why = format!(
                "the replies of {sub} go out through a NAT gateway and {label}: the NAT gateway gives them its own address, so they do not match the connection that came in through {gw}"
            );
            drop_leg(ret, wrong(why));
        }
        (
            Some(Reached::Internet(Exit {
                kind: GatewayKind::EgressOnly,
                label,
                ..
            })),
            _,
        ) => {
            let why = format!(
                "the replies of {sub} go out through egress-only gateway {label}, which passes only connections opened from inside"
            );
            drop_leg(ret, wrong(why));
        }
        (Some(Reached::Internet(e)), _) if Some(e.vpc) != vpc => {
            let why = format!(
                "the replies of {sub} go out through {} of another VPC, not {gw}, which carried the connection in",
                e.label
            );
            drop_leg(ret, wrong(why));
        }
        (Some(Reached::Internet(_)), _) => {}
        // Not known until apply: the walk says why.
        (None, Outcome::Unknown) => {}
        (_, _) => {
            let why = format!("the replies of {sub} to the internet do not reach {gw}");
            drop_leg(ret, wrong(why));
        }
    }
}
