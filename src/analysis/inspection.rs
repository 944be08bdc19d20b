//! Inspection VPCs behind a transit gateway, and appliance mode.
//!
//! Traffic a transit gateway sends into a VPC enters by the attachment's
//! network interface in one Availability Zone and follows the route table
//! of that zone's attachment subnet. In an inspection VPC that table sends
//! it to an appliance (a network interface, an instance, a Gateway Load
//! Balancer endpoint), whose subnet hands it back to the transit gateway.
//! Without appliance mode the transit gateway keeps each direction of a
//! flow in the zone of its own source, so when the two ends of a flow sit
//! in different zones the request and the reply enter the inspection VPC
//! in different zones and cross different appliances. A stateful appliance
//! that sees only one direction drops the flow. AWS itself delivers the
//! packets, so this is a risk reported as a finding; verdicts are left as
//! they are.

use std::collections::{BTreeMap, BTreeSet};

use crate::codes;
use crate::model::endpoint::EndpointKind;
use crate::model::tgw::{zone_of, AttachmentKind};
use crate::model::Finding;
use crate::model::{GatewayKind, Link, Model, Target};

/// Zone name used for a subnet whose zone is not known until apply: it may
/// be any zone, so it counts as one of its own.
const UNKNOWN_ZONE: &str = "a zone not known until apply";

/// One `TGW_APPLIANCE_MODE_DISABLED` warning per VPC attachment without
/// appliance mode whose subnets, in different zones, hand traffic from the
/// transit gateway to different appliances that send it back, on a transit
/// gateway that carries traffic from more than one zone. Cost: one pass
/// over the attachments and the routes of their subnets' tables.
pub fn appliance_mode_findings(model: &Model) -> Vec<Finding> {
    let mut out = Vec::new();
    for (a, att) in model.tgw_attachments.iter().enumerate() {
        if att.kind != AttachmentKind::Vpc || att.appliance_mode {
            continue;
        }
        let Link::To(t) = att.tgw else { continue };
        // Per zone of the attachment: the appliances its subnet sends to.
        let mut by_zone: BTreeMap<&str, BTreeSet<usize>> = BTreeMap::new();
        for &s in &att.subnets {
            let zone = zone_of(&model.subnets[s]).unwrap_or(UNKNOWN_ZONE);
            let appliances = inspecting_appliances(model, s, t);
            if !appliances.is_empty() {
                by_zone.entry(zone).or_default().extend(appliances);
            }
        }
        if by_zone.len() < 2 {
            continue;
        }
        let sets: Vec<&BTreeSet<usize>> = by_zone.values().collect();
        if sets.iter().all(|x| x.len() == 1 && *x == sets[0]) {
            continue; // every zone uses the same one appliance
        }
        if source_zones(model, a, t) < 2 {
            continue;
        }
        let per_zone: Vec<String> = by_zone
            .iter()
            .map(|(z, gs)| {
                let names: Vec<&str> = gs
                    .iter()
                    .map(|&g| model.gateways[g].address.as_str())
                    .collect();
                format!("{z}: {}", names.join(", "))
            })
            .collect();
        let vpc = att
            .vpc
            .index()
            .map_or("the VPC".to_string(), |v| model.vpcs[v].address.clone());
        let off = if att.appliance_mode_unknown {
            "may not enable appliance_mode_support (its value is not known until apply)"
        } else {
            "does not enable appliance_mode_support"
        };
        out.push(Finding::new(
            codes::TGW_APPLIANCE_MODE_DISABLED,
            &att.address,
            format!(
                "{} {off}, and the transit gateway's traffic into {vpc} is inspected by a different appliance in each Availability Zone ({}); the transit gateway keeps each direction of a flow in the zone it came from, so a flow between subnets in different zones goes through one appliance and its replies through another, which a stateful appliance drops. The verdicts assume the appliances forward everything (AWS delivers the packets); set appliance_mode_support = \"enable\" to keep both directions on one appliance",
                att.address,
                per_zone.join("; ")
            ),
        ));
    }
    out
}

/// The appliances (indices into `Model::gateways`) that the route table of
/// attachment subnet `s` sends traffic to and whose own subnet's table
/// routes back into transit gateway `t`.
fn inspecting_appliances(model: &Model, s: usize, t: usize) -> BTreeSet<usize> {
    let mut out = BTreeSet::new();
    let Link::To(table) = model.subnets[s].route_table else {
        return out;
    };
    for r in &model.route_tables[table].routes {
        let Target::Gateway {
            kind,
            link: Link::To(g),
            ..
        } = &r.target
        else {
            continue;
        };
        let gw = &model.gateways[*g];
        let home = match kind {
            GatewayKind::NetworkInterface | GatewayKind::Instance => gw.subnet.index(),
            GatewayKind::VpcEndpoint => gw
                .endpoint
                .map(|e| &model.endpoints[e])
                .filter(|e| e.kind == EndpointKind::GatewayLoadBalancer)
                .and_then(|e| e.subnets.first().copied()),
            _ => None,
        };
        let Some(home) = home else { continue };
        if routes_into_tgw(model, home, t) {
            out.insert(*g);
        }
    }
    out
}

/// True when the route table of subnet `s` has a route into transit
/// gateway `t`.
fn routes_into_tgw(model: &Model, s: usize, t: usize) -> bool {
    let Link::To(table) = model.subnets[s].route_table else {
        return false;
    };
    model.route_tables[table].routes.iter().any(|r| {
        matches!(&r.target, Target::Gateway { kind: GatewayKind::TransitGateway, link: Link::To(g), .. }
            if model.gateways[*g].transit_gateway == Some(t))
    })
}

/// How many zones traffic can enter transit gateway `t` from, by its
/// attachments other than `a` (an attachment that is not a VPC's, such as
/// a VPN, counts as a zone of its own).
fn source_zones(model: &Model, a: usize, t: usize) -> usize {
    let mut zones: BTreeSet<&str> = BTreeSet::new();
    let mut others = 0;
    for (b, att) in model.tgw_attachments.iter().enumerate() {
        if b == a || !(att.tgw == Link::To(t) || att.peer_tgw == Link::To(t)) {
            continue;
        }
        if att.kind != AttachmentKind::Vpc {
            others += 1;
            continue;
        }
        for &s in &att.subnets {
            zones.insert(zone_of(&model.subnets[s]).unwrap_or(UNKNOWN_ZONE));
        }
    }
    zones.len() + others.min(1)
}
