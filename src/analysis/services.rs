//! The `services` section: for each subnet and each AWS service that an
//! endpoint of the input names, whether the subnet reaches the service and
//! how (CONTRACT.md).
//!
//! A subnet reaches a service through
//! * an interface endpoint of its own VPC with private DNS, which answers
//!   for the service's name there: the endpoint's network interfaces must
//!   be reachable (routes and network ACLs, both ways) and its security
//!   groups must admit HTTPS from the subnet;
//! * else whatever its route table does with the service's addresses: a
//!   gateway endpoint's prefix-list route (the endpoint must be in the VPC
//!   the traffic started in), or the internet through an internet gateway,
//!   possibly behind a NAT gateway or a transit gateway to an egress VPC;
//! * else an interface endpoint of another VPC reachable over a peering or
//!   transit gateway, addressed by the endpoint's own DNS names.
//!
//! The services' addresses come from the gateway endpoints' `cidr_blocks`
//! when the input has them; otherwise tfreach uses a public address that no
//! prefix of the input names, so only default routes and rules match it.

use std::collections::BTreeMap;

use rayon::prelude::*;

use serde::Serialize;

use crate::codes;
use crate::model::endpoint::EndpointKind;
use crate::model::flow::TCP;
use crate::model::{Direction, Finding, Reason, Verdict};
use crate::model::{Flow, FlowSet, Link, Model, PeeringState};
use crate::net::{Family, Interval, Prefix};

use super::acl::{describe_denials, evaluate};
use super::address_order;
use super::lpm::ServiceAddr;
use super::pair::evaluate_pair_flow;
use super::walk::{walk_to, Detail, Goal, Outcome, Packet, Reached};

/// How one subnet reaches one service.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ServiceReach {
    pub from: String,
    pub service: String,
    pub verdict: Verdict,
    /// The endpoint's address, `"internet"`, or `null`.
    pub via: Option<String>,
    /// What stopped the traffic (empty when reachable).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<Reason>,
    /// A condition of the answer, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// What AWS services are reached with: HTTPS.
fn https() -> FlowSet {
    FlowSet::ports(TCP, 443, 443)
}

/// A service an endpoint of the input names.
struct Service {
    name: String,
    /// Its address (a range of it, or the public stand-in) and prefix length.
    addr: u128,
    len: u8,
    /// The interface endpoints for it, in model order.
    interface: Vec<usize>,
    /// An endpoint service of a VPC (PrivateLink), not an AWS service with
    /// a public endpoint.
    private: bool,
}

/// Every service an endpoint of the input names, with what `reach` needs of
/// it, in two passes over the endpoints (not one per service and subnet).
fn service_list(model: &Model, stand_in: u128) -> Vec<Service> {
    // Gateway and interface endpoints name the services listed.
    let mut by_name: BTreeMap<String, (Service, bool)> = BTreeMap::new();
    for e in &model.endpoints {
        if matches!(e.kind, EndpointKind::Gateway | EndpointKind::Interface) {
            let name = e.service_name();
            by_name.entry(name.clone()).or_insert_with(|| {
                let service = Service {
                    private: name.starts_with("com.amazonaws.vpce.")
                        || !name.starts_with("com.amazonaws.") && !name.starts_with("aws."),
                    name,
                    addr: stand_in,
                    len: 1,
                    interface: Vec::new(),
                };
                (service, false)
            });
        }
    }
    // Endpoints of every kind tell the first known range and whether a VPC
    // of the input offers the service; interface endpoints are listed.
    for (i, e) in model.endpoints.iter().enumerate() {
        let Some((svc, ranged)) = by_name.get_mut(&e.service_name()) else {
            continue;
        };
        svc.private |= e.endpoint_service.is_some();
        if e.kind == EndpointKind::Interface {
            svc.interface.push(i);
        }
        if !*ranged {
            if let Some(p) = e.service_cidrs.iter().find(|p| p.family == Family::V4) {
                (svc.addr, svc.len, *ranged) = (p.start, p.len, true);
            }
        }
    }
    by_name.into_values().map(|(svc, _)| svc).collect()
}

/// The services section and the findings it shows.
pub fn services(model: &Model) -> (Vec<ServiceReach>, Vec<Finding>) {
    let mut findings = Vec::new();
    if model.endpoints.is_empty() {
        return (Vec::new(), findings);
    }
    let stand_in = super::internet::public_stand_in(model, Family::V4);
    let list = service_list(model, stand_in);
    let mut order: Vec<usize> = (0..model.subnets.len()).collect();
    order.sort_by(|a, b| address_order(&model.subnets[*a].address, &model.subnets[*b].address));
    // In parallel over subnets, kept in their order.
    let per_subnet: Vec<(Vec<ServiceReach>, Vec<Finding>)> = order
        .par_iter()
        .map(|&s| {
            let mut found = Vec::new();
            let reached = list
                .iter()
                .map(|svc| reach(model, s, svc, &mut found))
                .collect();
            (reached, found)
        })
        .collect();
    let mut out = Vec::with_capacity(order.len() * list.len());
    for (reached, found) in per_subnet {
        out.extend(reached);
        findings.extend(found);
    }
    privatelink_findings(model, &mut findings);
    findings.sort();
    findings.dedup();
    (out, findings)
}

fn reach(model: &Model, s: usize, svc: &Service, findings: &mut Vec<Finding>) -> ServiceReach {
    let (name, addr, len) = (svc.name.as_str(), svc.addr, svc.len);
    let sub = &model.subnets[s];
    let base = ServiceReach {
        from: sub.address.clone(),
        service: name.to_string(),
        verdict: Verdict::Blocked,
        via: None,
        reasons: Vec::new(),
        note: None,
    };
    let interface = &svc.interface;
    // 1. An interface endpoint of the subnet's VPC with private DNS.
    let own: Vec<usize> = interface
        .iter()
        .copied()
        .filter(|&e| model.endpoints[e].vpc == sub.vpc && model.endpoints[e].private_dns)
        .collect();
    if let Some(&e) = own.first() {
        let mut r = via_interface(model, s, e, base.clone());
        r.note = None;
        return r;
    }
    // 2. The route table: a gateway endpoint, or the internet.
    let private = svc.private;
    let routed = if private {
        None
    } else {
        Some(via_routes(
            model,
            s,
            name,
            addr,
            len,
            base.clone(),
            findings,
        ))
    };
    if let Some(r) = &routed {
        if r.verdict == Verdict::Reachable {
            return r.clone();
        }
    }
    // 3. An interface endpoint elsewhere, by its own DNS names.
    let mut best: Option<ServiceReach> = None;
    for &e in interface {
        let mut r = via_interface(model, s, e, base.clone());
        let usable = matches!(r.verdict, Verdict::Reachable | Verdict::Partial);
        if usable && (model.endpoints[e].vpc != sub.vpc || !model.endpoints[e].private_dns) {
            r.note = Some(format!(
                "through {}'s own DNS names: its private DNS name for the service answers only inside its VPC",
                model.endpoints[e].address
            ));
        }
        let better = match &best {
            None => true,
            Some(b) => rank(r.verdict) < rank(b.verdict),
        };
        if better {
            best = Some(r);
        }
    }
    match (best, routed) {
        (Some(b), _) if b.verdict == Verdict::Reachable => b,
        (Some(mut b), Some(r)) => {
            if rank(r.verdict) < rank(b.verdict) {
                r
            } else {
                for x in r.reasons {
                    if !b.reasons.contains(&x) {
                        b.reasons.push(x);
                    }
                }
                b
            }
        }
        (Some(mut b), None) => {
            // An endpoint service: its own VPC reaches it through its load
            // balancer, which the input does not describe.
            if private && matches!(b.verdict, Verdict::Blocked | Verdict::OneWay) {
                b.verdict = Verdict::Unknown;
                b.via = None;
                b.note = None;
                b.reasons.insert(0, not_modelled(name));
            }
            b
        }
        (None, Some(r)) => r,
        (None, None) => {
            let mut r = base;
            if private {
                r.verdict = Verdict::Unknown;
                r.reasons.push(not_modelled(name));
            } else {
                r.reasons.push(Reason {
                    code: codes::NO_ROUTE_TO_DESTINATION,
                    resource: Some(sub.address.as_str().into()),
                    message: format!("no endpoint of {name} serves {}, and the service has no public address to route to", sub.address).into(),
                    direction: Direction::Forward,
                });
            }
            r
        }
    }
}

fn not_modelled(name: &str) -> Reason {
    Reason {
        code: codes::ENDPOINT_NOT_MODELLED,
        resource: Some(name.into()),
        message: format!(
            "no interface endpoint of {name} serves this subnet; the VPC that offers the service reaches it through its load balancer, which tfreach does not model"
        ).into(),
        direction: Direction::Forward,
    }
}

fn rank(v: Verdict) -> u8 {
    match v {
        Verdict::Reachable => 0,
        Verdict::Partial => 1,
        Verdict::Unknown => 2,
        Verdict::OneWay => 3,
        Verdict::Blocked => 4,
    }
}

/// Through the route table, towards the service's address, for each range
/// of the subnet's addresses that network ACLs treat alike.
fn via_routes(
    model: &Model,
    s: usize,
    name: &str,
    addr: u128,
    len: u8,
    mut r: ServiceReach,
    findings: &mut Vec<Finding>,
) -> ServiceReach {
    let sub = &model.subnets[s];
    let Some(block) = sub.cidr(Family::V4) else {
        r.reasons.push(Reason {
            code: codes::NO_COMMON_ADDRESS_FAMILY,
            resource: Some(sub.address.as_str().into()),
            message: format!(
                "{} has no IPv4 block; tfreach checks services over IPv4",
                sub.address
            )
            .into(),
            direction: Direction::Forward,
        });
        return r;
    };
    let flows = https();
    let goal = Goal::Service(ServiceAddr {
        name,
        prefix_len: len,
    });
    let mut work = vec![block.interval()];
    let (mut ok, mut failed, mut unknown) = (0, 0, 0);
    let mut via = None;
    while let Some(iv) = work.pop() {
        let leg = walk_to(
            model,
            s,
            goal,
            Packet {
                family: Family::V4,
                src: iv.lo,
                dst: addr,
                flows: &flows,
                dir: Direction::Forward,
            },
            Detail::Reasons,
        );
        let mut valid = iv.intersect(&leg.src_valid).unwrap_or(iv);
        let mut outcome = leg.outcome;
        let mut reasons = leg.reasons.clone();
        if outcome != Outcome::Dropped && leg.reached.is_some() {
            let (back, back_valid, why) = replies_back(model, &leg.acl_steps, iv.lo, addr, name);
            valid = valid.intersect(&back_valid).unwrap_or(valid);
            match back {
                Outcome::Dropped => outcome = Outcome::Dropped,
                Outcome::Unknown if outcome == Outcome::Delivered => outcome = Outcome::Unknown,
                _ => {}
            }
            reasons.extend(why);
        }
        if outcome == Outcome::Delivered && leg.reached.is_none() {
            outcome = Outcome::Dropped;
        }
        for rest in iv.minus(&valid) {
            work.push(rest);
        }
        match outcome {
            Outcome::Delivered => {
                ok += 1;
                via = leg.reached.clone();
            }
            Outcome::Dropped => failed += 1,
            Outcome::Unknown => unknown += 1,
        }
        for reason in &reasons {
            if reason.code == codes::TRANSITIVE_GATEWAY_ENDPOINT {
                if let Some(route) = &leg.crossed_by {
                    findings.push(Finding::new(
                        codes::TRANSITIVE_GATEWAY_ENDPOINT,
                        route,
                        format!("{route} sends {name} traffic of {} out of its VPC towards another VPC's gateway endpoint, which does not serve it: {}", sub.address, reason.message),
                    ));
                }
            }
        }
        if let Some(f) = peered_endpoint_finding(model, &leg, &reasons, name, &sub.address) {
            findings.push(f);
        }
        for reason in reasons {
            if !r.reasons.contains(&reason) {
                r.reasons.push(reason);
            }
        }
        if ok + failed + unknown > 64 {
            break;
        }
    }
    r.verdict = if unknown > 0 && ok + unknown > 0 && failed == 0 && ok == 0 {
        Verdict::Unknown
    } else if ok > 0 && failed == 0 && unknown == 0 {
        Verdict::Reachable
    } else if ok > 0 {
        Verdict::Partial
    } else if unknown > 0 {
        Verdict::Unknown
    } else {
        Verdict::Blocked
    };
    if r.verdict == Verdict::Reachable {
        r.reasons.clear();
    }
    if let Some(Reached::Internet(exit)) = &via {
        if !exit.natted {
            r.note = Some(format!(
                "straight out of {}: only instances with a public IPv4 address (or an Elastic IP) get through",
                exit.label
            ));
        }
    }
    r.via = match via {
        Some(Reached::Endpoint(e)) => Some(model.endpoints[e].address.clone()),
        Some(Reached::Internet(..)) => Some("internet".into()),
        Some(Reached::OnPrem(n)) => Some(model.on_prem[n].address.clone()),
        None => None,
    };
    r
}

/// A route that sends the service's traffic into a peering whose other VPC
/// has a gateway endpoint for the service: it relies on the peer's endpoint,
/// which AWS does not extend across the peering.
fn peered_endpoint_finding(
    model: &Model,
    leg: &super::walk::Leg,
    reasons: &[Reason],
    name: &str,
    subnet: &str,
) -> Option<Finding> {
    let reason = reasons
        .iter()
        .find(|r| r.code == codes::PCX_REQUIRES_ADDRESS_IN_VPC_CIDR)?;
    let route = reason.resource.as_deref()?;
    let (peer_vpc, pcx) = leg.peered_into.as_ref()?;
    let ep = model.endpoints.iter().find(|e| {
        e.kind == EndpointKind::Gateway && e.service_name() == name && e.vpc == Link::To(*peer_vpc)
    })?;
    Some(Finding::new(
        codes::TRANSITIVE_GATEWAY_ENDPOINT,
        route,
        format!(
            "{route} sends {name} traffic of {subnet} into {pcx} towards {}, whose gateway endpoint {} serves only its own VPC: AWS drops it",
            model.vpcs[*peer_vpc].address, ep.address
        ),
    ))
}

/// The replies from the service: the network ACLs the request passed, in
/// reverse, each the other way round, for the ephemeral ports.
fn replies_back(
    model: &Model,
    steps: &[(usize, bool)],
    src: u128,
    service_addr: u128,
    name: &str,
) -> (Outcome, Interval, Vec<Reason>) {
    let replies = https().replies_for();
    let mut valid = Interval::full(Family::V4);
    for &(subnet, egress) in steps.iter().rev() {
        let sub = &model.subnets[subnet];
        let Link::To(a) = sub.network_acl else {
            continue;
        };
        let acl = &model.network_acls[a];
        // The request left through the subnet's outbound rules (towards
        // the service): the reply enters through its inbound rules (from
        // the service), and the other way round.
        let back_egress = !egress;
        let addr = if back_egress { src } else { service_addr };
        let d = evaluate(acl, back_egress, Family::V4, addr, &replies);
        if back_egress {
            valid = valid.intersect(&d.valid).unwrap_or(valid);
        }
        if let Some(why) = d.unknown {
            return (
                Outcome::Unknown,
                valid,
                vec![Reason {
                    code: codes::UNRESOLVED_REFERENCE,
                    resource: Some(acl.address.as_str().into()),
                    message: why.into(),
                    direction: Direction::Return,
                }],
            );
        }
        if d.allowed
            .as_ref()
            .is_some_and(|a| !a.contains_all(&replies))
        {
            let way = if back_egress { "outbound" } else { "inbound" };
            return (
                Outcome::Dropped,
                valid,
                vec![Reason {
                    code: codes::SUBNET_ACL_RESTRICTION,
                    resource: Some(acl.address.as_str().into()),
                    message: format!(
                        "{} does not let the replies from {name} (tcp 1024-65535) through {}: {way} {} decides",
                        acl.address,
                        sub.address,
                        describe_denials(&d.denied_by)
                    ).into(),
                    direction: Direction::Return,
                }],
            );
        }
    }
    (Outcome::Delivered, valid, Vec::new())
}

/// Through interface endpoint `e`: its network interfaces reachable from
/// the subnet (HTTPS, both ways), its security groups admitting it, and the
/// connection accepted.
fn via_interface(model: &Model, s: usize, e: usize, mut r: ServiceReach) -> ServiceReach {
    let ep = &model.endpoints[e];
    let sub = &model.subnets[s];
    r.via = Some(ep.address.clone());
    let reason = |code: &'static str, resource: &str, message: String| Reason {
        code,
        resource: Some(resource.into()),
        message: message.into(),
        direction: Direction::Forward,
    };
    match &ep.state {
        PeeringState::Active => {}
        PeeringState::Inactive(why) => {
            r.verdict = Verdict::Blocked;
            r.reasons.push(reason(
                codes::BAD_STATE,
                &ep.address,
                format!("{} will not be available: {why}", ep.address),
            ));
            return r;
        }
        PeeringState::Undetermined(why) => {
            r.verdict = Verdict::Unknown;
            r.reasons.push(reason(
                codes::UNRESOLVED_REFERENCE,
                &ep.address,
                why.clone(),
            ));
            return r;
        }
    }
    if ep.subnets.is_empty() {
        r.verdict = Verdict::Unknown;
        let why = ep
            .subnets_unknown
            .clone()
            .unwrap_or_else(|| format!("{} has no subnet in the input", ep.address));
        r.reasons
            .push(reason(codes::UNRESOLVED_REFERENCE, &ep.address, why));
        return r;
    }
    let flow = Flow {
        protocol: Some(TCP),
        port: Some(443),
    };
    let mut verdicts = Vec::new();
    for &n in &ep.subnets {
        if n == s {
            verdicts.push(Verdict::Reachable);
            continue;
        }
        let e2 = evaluate_pair_flow(model, s, n, Detail::Reasons, Some(&flow));
        for x in e2.reasons {
            if !r.reasons.contains(&x) {
                r.reasons.push(x);
            }
        }
        verdicts.push(e2.verdict);
    }
    let network = combine(&verdicts);
    let sg = sg_admits(model, e, sub.cidr(Family::V4).or(sub.cidr(Family::V6)));
    r.verdict = match (network, sg) {
        (Verdict::Blocked | Verdict::OneWay, _) => Verdict::Blocked,
        (_, SgAnswer::Denied(why)) => {
            r.reasons
                .push(reason(codes::ENI_SG_RULES_MISMATCH, &ep.address, why));
            Verdict::Blocked
        }
        (v, SgAnswer::Unknown(why)) => {
            r.reasons
                .push(reason(codes::ENDPOINT_NOT_MODELLED, &ep.address, why));
            if v == Verdict::Reachable || v == Verdict::Partial || v == Verdict::Unknown {
                Verdict::Unknown
            } else {
                v
            }
        }
        (v, SgAnswer::Partial(why)) => {
            r.reasons
                .push(reason(codes::ENI_SG_RULES_MISMATCH, &ep.address, why));
            if v == Verdict::Reachable {
                Verdict::Partial
            } else {
                v
            }
        }
        (v, SgAnswer::Allowed) => v,
    };
    if r.verdict == Verdict::Reachable {
        r.reasons.clear();
    }
    if r.verdict == Verdict::Blocked {
        r.via = None;
    }
    r
}

fn combine(vs: &[Verdict]) -> Verdict {
    if vs.iter().all(|v| *v == Verdict::Reachable) {
        Verdict::Reachable
    } else if vs
        .iter()
        .all(|v| matches!(v, Verdict::Blocked | Verdict::OneWay))
    {
        Verdict::Blocked
    } else if vs
        .iter()
        .any(|v| matches!(v, Verdict::Reachable | Verdict::Partial))
    {
        Verdict::Partial
    } else {
        Verdict::Unknown
    }
}

enum SgAnswer {
    Allowed,
    Partial(String),
    Denied(String),
    Unknown(String),
}

/// Do the endpoint's security groups admit HTTPS from every address of
/// `block`? Security groups only allow, and a rule that names another
/// group or a prefix list admits members tfreach cannot see.
fn sg_admits(model: &Model, e: usize, block: Option<Prefix>) -> SgAnswer {
    let ep = &model.endpoints[e];
    let Some(block) = block else {
        return SgAnswer::Unknown(format!(
            "the subnet has no block to match {}'s security group rules against",
            ep.address
        ));
    };
    if let Some(why) = &ep.security_groups_unknown {
        return SgAnswer::Unknown(why.clone());
    }
    if ep.security_groups.is_empty() {
        return SgAnswer::Unknown(format!(
            "{} uses its VPC's default security group, which admits only members of the group unless the input manages it",
            ep.address
        ));
    }
    let want = https();
    let mut covered: Vec<Interval> = Vec::new();
    let mut peers: Vec<String> = Vec::new();
    let names: Vec<String> = ep
        .security_groups
        .iter()
        .map(|&g| model.security_groups[g].address.clone())
        .collect();
    for &g in &ep.security_groups {
        let sg = &model.security_groups[g];
        if let Some(why) = &sg.rules_unknown {
            return SgAnswer::Unknown(why.clone());
        }
        for rule in &sg.ingress {
            if !rule.flows.contains_all(&want) {
                continue;
            }
            if let Some(why) = &rule.unknown {
                return SgAnswer::Unknown(why.clone());
            }
            match (rule.cidr, &rule.peer) {
                (Some(p), _) if p.family == block.family => {
                    if let Some(iv) = p.interval().intersect(&block.interval()) {
                        covered.push(iv);
                    }
                }
                (None, Some(peer)) => peers.push(peer.clone()),
                _ => {}
            }
        }
    }
    covered.sort();
    let mut next = block.start;
    for iv in &covered {
        if iv.lo <= next && iv.hi >= next {
            next = iv.hi.saturating_add(1);
        }
    }
    let all = next > block.end();
    if all {
        return SgAnswer::Allowed;
    }
    if !peers.is_empty() {
        return SgAnswer::Unknown(format!(
            "{} admits HTTPS from {} only for {} of {block}: the rest depends on {}, whose members are outside the input",
            names.join(", "),
            ep.address,
            if covered.is_empty() { "none".to_string() } else { "part".to_string() },
            peers.join(", ")
        ));
    }
    if covered.is_empty() {
        SgAnswer::Denied(format!(
            "no inbound rule of {} admits HTTPS (tcp 443) from {block}",
            names.join(", ")
        ))
    } else {
        SgAnswer::Partial(format!(
            "the inbound rules of {} admit HTTPS (tcp 443) from only part of {block}",
            names.join(", ")
        ))
    }
}

/// One finding per PrivateLink connection: the consumer reaches the
/// provider's service, never the other way, whatever their CIDR blocks.
fn privatelink_findings(model: &Model, out: &mut Vec<Finding>) {
    for ep in &model.endpoints {
        let Some(svc) = ep.endpoint_service.map(|s| &model.endpoint_services[s]) else {
            continue;
        };
        if ep.kind != EndpointKind::Interface {
            continue;
        }
        let consumer = ep.vpc.index().map(|v| model.vpcs[v].address.clone());
        let overlap = ep.vpc.index().and_then(|v| {
            let mine = &model.vpcs[v].cidrs;
            model.vpcs.iter().enumerate().find_map(|(w, other)| {
                (w != v).then_some(())?;
                let hit = mine
                    .all()
                    .find(|a| other.cidrs.all().any(|b| a.overlaps(b)))?;
                Some((other.address.clone(), *hit))
            })
        });
        let overlap_note = match overlap {
            Some((other, block)) => {
                format!(" (its block {block} overlaps {other}, which PrivateLink does not mind)")
            }
            None => String::new(),
        };
        out.push(Finding::new(
            codes::VPCE_PRIVATELINK_ONE_WAY,
            &ep.address,
            format!(
                "{} connects {} to endpoint service {}{overlap_note}: connections go from the consumer to the service only; the provider cannot open any towards the consumer",
                ep.address,
                consumer.unwrap_or_else(|| "its VPC".into()),
                if svc.name() == svc.address {
                    svc.address.clone()
                } else {
                    format!("{} ({})", svc.name(), svc.address)
                }
            ),
        ));
    }
}
