//! Security groups on a connection between two workloads.
//!
//! AWS checks the source's groups on the way out and the destination's on
//! the way in, for the packet that opens the connection only: groups are
//! stateful, so the replies always pass them (network ACLs and routes
//! still apply to the replies, which the subnet walk decides). A group
//! only allows, the groups of an interface are one union of rules, and
//! what no rule admits is refused.
//!
//! A rule admits a peer by block (the peer's address must fall in it:
//! when the block covers only part of the peer's subnet, it depends on
//! the address AWS picks), by group (the peer's interface carries the
//! group, and the two VPCs allow the reference: the same VPC, an active
//! peering within one Region, or a transit gateway with referencing on at
//! the gateway and both attachments, for inbound rules only), by `self`,
//! or by prefix list (whose entries decide; those of lists outside the
//! input are not known). A reference never matches traffic whose source a
//! NAT gateway translated.

use crate::codes;
use crate::model::workload::Workload;
use crate::model::{Finding, FlowSet, Link, Model, PeeringState, SgRule};
use crate::net::{Family, Interval, Prefix};

/// Which of a group's rule lists applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The source's outbound rules.
    Egress,
    /// The destination's inbound rules.
    Ingress,
}

/// The other end of the connection, as a group's rules see it.
pub struct PeerEnd<'a> {
    pub family: Family,
    /// The addresses the peer may have.
    pub addrs: Interval,
    pub workload: &'a Workload,
    /// The peer's VPC.
    pub vpc: Option<usize>,
    /// A NAT gateway gave the peer's packets its own address: references
    /// to the peer's groups do not match them.
    pub translated: bool,
    /// The peer is the internet: a block admits it when it holds some
    /// public address, and no group names it.
    pub internet: bool,
}

/// The ranges that are not on the internet (private, shared, loopback,
/// link-local, unique local): a rule confined to them admits no internet
/// address.
fn private_ranges() -> &'static [Prefix] {
    static RANGES: std::sync::OnceLock<Vec<Prefix>> = std::sync::OnceLock::new();
    RANGES.get_or_init(|| {
        [
            "10.0.0.0/8",
            "172.16.0.0/12",
            "192.168.0.0/16",
            "100.64.0.0/10",
            "127.0.0.0/8",
            "169.254.0.0/16",
            "fc00::/7",
            "fe80::/10",
            "::1/128",
        ]
        .iter()
        .filter_map(|c| c.parse().ok())
        .collect()
    })
}

/// What one workload's groups admit towards (or from) a peer.
#[derive(Debug, Clone, Default)]
pub struct Admitted {
    /// Flows a rule admits for every address the peer may have.
    pub sure: FlowSet,
    /// Flows that may be admitted, depending on what is not known.
    pub maybe: FlowSet,
    /// The rules that admit (their resources), with what each admits.
    pub rules: Vec<(String, FlowSet)>,
    /// Why `maybe` is not decided.
    pub unknown: Vec<String>,
    /// Rules that name the peer's group but can never match it: (rule
    /// resource, why).
    pub never: Vec<(String, String)>,
}

enum Match {
    Yes,
    Maybe(String),
    No,
    Never(String),
}

/// How a rule of a group in VPC `own` may name a group of VPC `peer`:
/// `Ok(None)` within a VPC, `Ok(Some(via))` through a peering or transit
/// gateway, `Err(why)` when the reference never matches.
pub fn reference_scope(
    model: &Model,
    own: Option<usize>,
    peer: Option<usize>,
    side: Side,
) -> Result<Option<String>, String> {
    let (Some(a), Some(b)) = (own, peer) else {
        return Ok(None);
    };
    if a == b {
        return Ok(None);
    }
    let (va, vb) = (&model.vpcs[a], &model.vpcs[b]);
    let mut why = Vec::new();
    for p in &model.peerings {
        let joins = (p.requester == Link::To(a) && p.accepter == Link::To(b))
            || (p.requester == Link::To(b) && p.accepter == Link::To(a));
        if !joins {
            continue;
        }
        if let (Ok(ra), Ok(rb)) = (model.vpc_region(a), model.vpc_region(b)) {
            if ra != rb {
                why.push(format!(
                    "{} joins {} ({ra}) and {} ({rb}), and a group cannot be referenced across Regions",
                    p.address, va.address, vb.address
                ));
                continue;
            }
        }
        match &p.state {
            PeeringState::Active => return Ok(Some(p.address.clone())),
            PeeringState::Inactive(w) | PeeringState::Undetermined(w) => {
                why.push(format!("{} will not be active: {w}", p.address))
            }
        }
    }
    for &x in &va.attachments {
        for &y in &vb.attachments {
            let (ax, ay) = (&model.tgw_attachments[x], &model.tgw_attachments[y]);
            let Some(t) = ax.tgw.index().filter(|t| ay.tgw.index() == Some(*t)) else {
                continue;
            };
            let tgw = &model.transit_gateways[t];
            if !tgw.sg_referencing {
                why.push(format!(
                    "{} does not have security group referencing enabled (security_group_referencing_support)",
                    tgw.address
                ));
            } else if !ax.sg_referencing || !ay.sg_referencing {
                let off = if ax.sg_referencing { ay } else { ax };
                why.push(format!(
                    "{} turns security group referencing off",
                    off.address
                ));
            } else if side == Side::Egress {
                why.push(format!(
                    "over {} only inbound rules may reference groups of other VPCs",
                    tgw.address
                ));
            } else {
                return Ok(Some(tgw.address.clone()));
            }
        }
    }
    if why.is_empty() {
        why.push(format!(
            "no active peering connection or transit gateway joins {} and {}",
            va.address, vb.address
        ));
    }
    Err(why.join("; "))
}

/// Does `rule` (of group `g`) admit the peer?
fn rule_matches(model: &Model, g: usize, rule: &SgRule, side: Side, peer: &PeerEnd) -> Match {
    if let Some(why) = &rule.unknown {
        return Match::Maybe(why.clone());
    }
    if peer.internet {
        return match (rule.cidr, &rule.prefix_list) {
            (Some(p), _) if p.family != peer.family => Match::No,
            (Some(p), _) if private_ranges().iter().any(|r| r.contains(&p)) => Match::No,
            (Some(_), _) => Match::Yes,
            (None, Some(pl)) => Match::Maybe(format!(
                "{} admits prefix list {pl}, whose entries decide",
                rule.resource
            )),
            (None, None) => Match::No,
        };
    }
    if let Some(p) = rule.cidr {
        if p.family != peer.family {
            return Match::No;
        }
        let iv = p.interval();
        return match iv.intersect(&peer.addrs) {
            Some(x) if x == peer.addrs => Match::Yes,
            Some(_) => Match::Maybe(format!(
                "{} admits {p}, which holds only some of the addresses {} may have",
                rule.resource, peer.workload.address
            )),
            None => Match::No,
        };
    }
    let own_vpc = model.security_groups[g].vpc.index();
    let named = if rule.self_ref {
        Some(g)
    } else {
        match &rule.group {
            Some(Link::To(h)) => Some(*h),
            Some(Link::Unresolved(why)) => return Match::Maybe(why.clone()),
            Some(Link::External(id)) => {
                return match &peer.workload.security_groups_unknown {
                    Some(why) => Match::Maybe(format!(
                        "{} names group {id}, which is not in the input, and {why}",
                        rule.resource
                    )),
                    None => Match::No,
                };
            }
            Some(Link::None) => return Match::No,
            None => None,
        }
    };
    if let Some(h) = named {
        if !peer.workload.security_groups.contains(&h) {
            return match &peer.workload.security_groups_unknown {
                Some(why) => Match::Maybe(why.clone()),
                None => Match::No,
            };
        }
        if peer.translated {
            return Match::No;
        }
        return match reference_scope(model, own_vpc, peer.vpc, side) {
            Ok(_) => Match::Yes,
            Err(why) => Match::Never(why),
        };
    }
    if let Some(pl) = &rule.prefix_list {
        return Match::Maybe(format!(
            "{} admits prefix list {pl}, whose entries decide",
            rule.resource
        ));
    }
    match &rule.peer {
        Some(p) => Match::Maybe(format!("{} admits {p}", rule.resource)),
        None => Match::No,
    }
}

/// What the groups of `own` admit on `side` towards `peer`, of `asked`.
pub fn admitted(
    model: &Model,
    own: &Workload,
    side: Side,
    peer: &PeerEnd,
    asked: &FlowSet,
) -> Admitted {
    let mut out = Admitted::default();
    if own.unguarded {
        out.sure = asked.clone();
        return out;
    }
    if let Some(why) = &own.security_groups_unknown {
        out.maybe = asked.clone();
        out.unknown.push(why.clone());
    }
    for &g in &own.security_groups {
        let sg = &model.security_groups[g];
        if let Some(why) = &sg.rules_unknown {
            out.maybe = out.maybe.union(asked);
            out.unknown.push(why.clone());
        }
        let rules = match side {
            Side::Egress => &sg.egress,
            Side::Ingress => &sg.ingress,
        };
        for rule in rules {
            let flows = rule.flows.intersect(asked);
            if flows.is_empty() {
                continue;
            }
            match rule_matches(model, g, rule, side, peer) {
                Match::Yes => {
                    out.sure = out.sure.union(&flows);
                    out.rules.push((rule.resource.clone(), flows));
                }
                Match::Maybe(why) => {
                    out.maybe = out.maybe.union(&flows);
                    if !out.unknown.contains(&why) {
                        out.unknown.push(why);
                    }
                }
                Match::Never(why) => {
                    if !out.never.iter().any(|(r, _)| *r == rule.resource) {
                        out.never.push((rule.resource.clone(), why));
                    }
                }
                Match::No => {}
            }
        }
    }
    out.maybe = out.maybe.minus(&out.sure);
    out
}

/// Configuration findings of security groups: rules that name a group of
/// a VPC they cannot reference, and workloads left without egress by the
/// provider's removal of the default rule.
pub fn findings(model: &Model) -> Vec<Finding> {
    let mut out = Vec::new();
    for sg in &model.security_groups {
        for (side, rules) in [(Side::Ingress, &sg.ingress), (Side::Egress, &sg.egress)] {
            for rule in rules {
                let Some(Link::To(h)) = rule.group else {
                    continue;
                };
                let other = &model.security_groups[h];
                if let Err(why) = reference_scope(model, sg.vpc.index(), other.vpc.index(), side) {
                    out.push(Finding::new(
                        codes::SG_REFERENCE_NEVER_MATCHES,
                        &rule.resource,
                        format!(
                            "{} names {} of another VPC, and {why}: the rule never matches",
                            rule.resource, other.address
                        ),
                    ));
                }
            }
        }
    }
    for w in &model.workloads {
        if w.unguarded || w.security_groups_unknown.is_some() || w.security_groups.is_empty() {
            continue;
        }
        let groups: Vec<_> = w
            .security_groups
            .iter()
            .map(|&g| &model.security_groups[g])
            .collect();
        if groups
            .iter()
            .all(|g| g.egress.is_empty() && g.rules_unknown.is_none())
            && groups.iter().any(|g| g.egress_removed)
        {
            let names: Vec<&str> = groups.iter().map(|g| g.address.as_str()).collect();
            out.push(Finding::new(
                codes::DEFAULT_EGRESS_REMOVED,
                &w.address,
                format!(
                    "{} has no outbound rule ({}): the Terraform provider removed the allow-all egress rule AWS adds to a new group, so {} can open no connection",
                    names.join(", "),
                    if names.len() == 1 { "its only group" } else { "its groups" },
                    w.address
                ),
            ));
        }
    }
    out.extend(wider_than_routes(model));
    out.sort_by(|a, b| (a.code, &a.resource, &a.message).cmp(&(b.code, &b.resource, &b.message)));
    out.dedup_by(|a, b| a.code == b.code && a.resource == b.resource && a.message == b.message);
    out
}

/// What the routes of one subnet do with the addresses of a rule's block.
#[derive(Debug, Default, Clone, Copy)]
struct Carried {
    /// Some address of the block is routed where the connection can work.
    any: bool,
    /// Some address of the block outside the private ranges is.
    public: bool,
}

/// Can a route to `target` carry the packets of a connection a rule
/// admits? For an inbound rule they are the replies to the peer, which a
/// NAT gateway (it opens connections, it does not carry replies to ones
/// opened towards the subnet) and an egress-only gateway (it refuses
/// connections opened from outside) do not carry; a missing route or a
/// blackhole carries nothing. `None`: not known.
fn carries(target: &crate::model::Target, side: Side) -> Option<bool> {
    use crate::model::{GatewayKind, Target};
    match target {
        Target::Unknown(_) => None,
        Target::Blackhole(_) => Some(false),
        Target::Gateway {
            kind: GatewayKind::Nat | GatewayKind::EgressOnly,
            ..
        } => Some(side == Side::Egress),
        Target::Local | Target::Peering(_) | Target::Gateway { .. } => Some(true),
    }
}

/// What the route table of subnet `s` does with the block `b`, going
/// through it by the intervals over which one route wins; `None` when a
/// route or the table is not known.
fn carried(model: &Model, s: usize, b: Prefix, side: Side) -> Option<Carried> {
    let Link::To(t) = model.subnets[s].route_table else {
        return None;
    };
    let table = &model.route_tables[t];
    let whole = b.interval();
    let mut out = Carried::default();
    let mut addr = whole.lo;
    loop {
        let lk = super::lpm::lookup(table, b.family, addr);
        if lk.unknown.is_some() {
            return None;
        }
        let part = lk.valid.intersect(&whole)?;
        let ok = match lk.route {
            None => false,
            Some(r) => carries(&r.target, side)?,
        };
        if ok {
            out.any = true;
            let private = private_ranges()
                .iter()
                .any(|r| r.family == b.family && r.interval().intersect(&part) == Some(part));
            out.public |= !private;
        }
        if part.hi >= whole.hi {
            return Some(out);
        }
        addr = part.hi + 1;
    }
}

/// Rules wider than what any route can deliver (`SG_RULE_WIDER_THAN_ROUTES`):
/// a block no route of any member's subnet leads to (the rule can serve no
/// connection), or an inbound block that holds public addresses when the
/// members' subnets route none of them back (the rule admits the internet,
/// which can never open a connection to them). Decided only when every
/// member workload's subnets and every route that matters are known, for
/// every member alike: a group some member uses fully is not reported.
fn wider_than_routes(model: &Model) -> Vec<Finding> {
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); model.security_groups.len()];
    for (i, w) in model.workloads.iter().enumerate() {
        if w.unguarded {
            continue;
        }
        for &g in &w.security_groups {
            members[g].push(i);
        }
    }
    let mut out = Vec::new();
    for (g, sg) in model.security_groups.iter().enumerate() {
        let ws = &members[g];
        if ws.is_empty()
            || ws.iter().any(|&w| {
                let w = &model.workloads[w];
                w.places.is_empty() || w.places_unknown.is_some()
            })
        {
            continue;
        }
        let mut places: Vec<usize> = ws
            .iter()
            .flat_map(|&w| model.workloads[w].places.iter().copied())
            .collect();
        places.sort_unstable();
        places.dedup();
        for (side, rules) in [(Side::Ingress, &sg.ingress), (Side::Egress, &sg.egress)] {
            for rule in rules {
                let Some(b) = rule.cidr.filter(|_| rule.unknown.is_none()) else {
                    continue;
                };
                if let Some(f) = rule_beyond_routes(model, sg, rule, b, side, &places) {
                    out.push(f);
                }
            }
        }
    }
    out
}

/// The finding for one rule with block `b` of group `sg`, whose members sit
/// in `places`, when no route of theirs delivers what it admits.
fn rule_beyond_routes(
    model: &Model,
    sg: &crate::model::SecurityGroup,
    rule: &SgRule,
    b: Prefix,
    side: Side,
    places: &[usize],
) -> Option<Finding> {
    let mut total = Carried::default();
    for &s in places {
        // A subnet without a block of the rule's family: its members have
        // no address the rule could be used with; nothing to say here.
        model.subnets[s].cidr(b.family)?;
        let c = carried(model, s, b, side)?;
        total.any |= c.any;
        total.public |= c.public;
    }
    let names: Vec<&str> = places
        .iter()
        .map(|&s| model.subnets[s].address.as_str())
        .collect();
    let subnets = names.join(", ");
    let (way, towards, list) = match side {
        Side::Ingress => ("from", "back to", "inbound"),
        Side::Egress => ("to", "to", "outbound"),
    };
    let rule_name = if rule.resource == sg.address {
        format!("an {list} rule of {}", sg.address)
    } else {
        format!("{} ({list}, {})", rule.resource, sg.address)
    };
    let message = if !total.any {
        format!(
            "{rule_name} admits {} {way} {b}, but no route of {subnets} leads {towards} any address of it: the rule can serve no connection",
            rule.flows.describe(4)
        )
    } else if side == Side::Ingress
        && !total.public
        && !private_ranges().iter().any(|r| r.contains(&b))
    {
        format!(
            "{rule_name} admits {} {way} {b}, which holds internet addresses, but no route of {subnets} leads back to any of them except through a NAT gateway or an egress-only gateway, which carry no connection opened from outside: only the addresses the routes reach can use it",
            rule.flows.describe(4)
        )
    } else {
        return None;
    };
    Some(Finding::new(
        codes::SG_RULE_WIDER_THAN_ROUTES,
        &rule.resource,
        message,
    ))
}
