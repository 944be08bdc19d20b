//! On-premises networks on the path: packets that leave through a virtual
//! private gateway or a transit gateway's VPN or Direct Connect attachment,
//! and packets that come in through them.
//!
//! The AWS rules it implements:
//!
//! * A VPC route table sends a range to a virtual private gateway by a
//!   static route, or learns it by propagation (`propagating_vgws`,
//!   `aws_vpn_gateway_route_propagation`). A propagated route loses to the
//!   local route whatever its length, and to a static route of the same
//!   length; otherwise the longest prefix wins.
//! * The gateway must be attached to the VPC, carries no IPv6 over a VPN,
//!   and hands the packet to the connection whose range is the most
//!   specific (Direct Connect before a static VPN before a dynamic one).
//! * A transit gateway sends a range to the VPN or Direct Connect
//!   attachment by a static route, or by one the attachment propagates
//!   (ranges learned over BGP, so only those the caller names).
//! * Coming in, a virtual private gateway hands the packet to the VPC router,
//!   which delivers it to the subnet; a transit gateway routes it by the
//!   table associated with the connection's attachment into a VPC
//!   attachment's subnet, whose route table decides the rest.

use super::transit::Next;
use super::*;
use crate::model::onprem::{ConnectionKind, Routing, Via};
use crate::model::tgw::TgwRoute;

/// The connection of virtual private gateway `g` that takes `dst`: the one
/// with the most specific range holding it; for the same range, Direct
/// Connect, then a static VPN, then a dynamic one.
fn vgw_connection(m: &Model, g: usize, family: Family, dst: u128) -> Option<usize> {
    let mut best: Option<((u8, u8), usize)> = None;
    for (n, net) in m.on_prem.iter().enumerate() {
        if net.via != Via::Vgw(g) {
            continue;
        }
        let kind = match (net.kind, &net.routing) {
            (ConnectionKind::DirectConnect, _) => 2,
            (ConnectionKind::Vpn, Routing::Static) => 1,
            _ => 0,
        };
        for r in net.all_ranges() {
            if r.prefix.family == family && r.prefix.contains_addr(dst) {
                let key = (r.prefix.len, kind);
                if best.is_none_or(|(k, _)| key > k) {
                    best = Some((key, n));
                }
            }
        }
    }
    best.map(|(_, n)| n)
}

/// The longest range of network `n` that holds `dst` among those the
/// caller named (what BGP propagates), if any.
fn named_len(m: &Model, n: usize, family: Family, dst: u128) -> Option<u8> {
    m.on_prem[n]
        .named
        .iter()
        .filter(|p| p.family == family && p.contains_addr(dst))
        .map(|p| p.len)
        .max()
}

impl Walker<'_> {
    /// A VPC route table that propagates the routes of the on-premises
    /// network's virtual private gateway: when the propagated route wins
    /// over `route` (the best static one), the packet leaves through the
    /// gateway and the walk ends here (`true`).
    pub(super) fn propagated_wins(
        &mut self,
        t: usize,
        route: Option<&crate::model::Route>,
        at: usize,
        vpc: usize,
    ) -> bool {
        let Goal::OnPrem(_) = self.goal else {
            return false;
        };
        let m = self.model;
        let table = &m.route_tables[t];
        let Some(p) = m.vgw_propagations.iter().find(|p| p.table == t) else {
            return false;
        };
        let g = p.vgw;
        // The longest range of the gateway's connections that holds the
        // address: the propagated route AWS installs for it.
        let Some(plen) = m
            .on_prem
            .iter()
            .filter(|n| n.via == Via::Vgw(g))
            .flat_map(|n| n.all_ranges())
            .filter(|r| r.prefix.family == self.family && r.prefix.contains_addr(self.dst))
            .map(|r| r.prefix.len)
            .max()
        else {
            return false;
        };
        // The local route wins over a propagated one, however specific.
        let local = table.routes.iter().any(|r| {
            r.target == Target::Local
                && matches!(r.dest, crate::model::Dest::Cidr(x) if x.family == self.family && x.contains_addr(self.dst))
        });
        let wins = !local
            && match route.map(|r| &r.dest) {
                None => true,
                Some(crate::model::Dest::Cidr(x)) => x.len < plen,
                Some(_) => false,
            };
        if !wins {
            return false;
        }
        let gw = &m.gateways[g];
        let resource = p.resource.clone();
        self.hop(
            &table.address,
            || {
                format!(
                    "propagated route -> {} (learned from the gateway's connections; {resource})",
                    gw.address
                )
            },
            false,
        );
        self.vgw_exit(at, vpc, &Link::To(g), &gw.address, &resource);
        true
    }

    /// Leaving through virtual private gateway `link` towards the
    /// on-premises network of the goal.
    pub(super) fn vgw_exit(
        &mut self,
        at: usize,
        vpc: usize,
        link: &Link,
        label: &str,
        route: &str,
    ) {
        let Goal::OnPrem(o) = self.goal else { return };
        let m = self.model;
        let range = self.range();
        let g = match link {
            Link::To(g) => *g,
            Link::External(id) => {
                match m
                    .gateways
                    .iter()
                    .position(|x| x.aws_id.as_deref() == Some(id))
                {
                    Some(g) => g,
                    None => {
                        self.unknown(
                            codes::EXTERNAL_RESOURCE,
                            route,
                            say!(self, "{route} sends {range} to virtual private gateway {id}, which is not in the input"),
                        );
                        return;
                    }
                }
            }
            other => {
                let why = link_reason(other, route, "virtual private gateway");
                self.unknown(codes::UNRESOLVED_REFERENCE, route, why);
                return;
            }
        };
        match &m.gateways[g].vpc {
            Link::To(v) if *v == vpc => {}
            Link::Unresolved(why) => {
                let why = why.clone();
                self.unknown(codes::UNRESOLVED_REFERENCE, label, why);
                return;
            }
            other => {
                let there = match other {
                    Link::To(v) => format!("is attached to {}", m.vpcs[*v].address),
                    _ => "is attached to no VPC of the input".to_string(),
                };
                self.drop_(
                    codes::ONPREM_GATEWAY_NOT_IN_VPC,
                    route,
                    say!(
                        self,
                        "{route} sends {range} to {label}, which {there}, not to {}",
                        m.vpcs[vpc].address
                    ),
                );
                return;
            }
        }
        match vgw_connection(m, g, self.family, self.dst) {
            Some(n) if n == o.net => {}
            Some(n) => {
                self.drop_(
                    codes::CANNOT_ROUTE,
                    label,
                    say!(
                        self,
                        "{label} sends {range} to {}, whose range is the more specific",
                        m.on_prem[n].address
                    ),
                );
                return;
            }
            None => {
                self.drop_(
                    codes::CANNOT_ROUTE,
                    route,
                    say!(
                        self,
                        "{route} sends {range} to {label}, which does not carry {}",
                        m.on_prem[o.net].address
                    ),
                );
                return;
            }
        }
        let net = &m.on_prem[o.net];
        if !net.carries(self.family) {
            self.drop_(
                codes::ONPREM_FAMILY_NOT_CARRIED,
                label,
                say!(self, "{} carries no {} traffic: a VPN on a virtual private gateway carries IPv4 only", net.address, self.family.name()),
            );
            return;
        }
        if !self.acl(at, true) {
            return;
        }
        self.hop(label, || format!("leaves for {}", net.address), false);
        self.leg.reached = Some(Reached::OnPrem(o.net));
    }

    /// Transit gateway attachment `b` is the goal's connection: the packet
    /// leaves for the on-premises network (`true`, the walk ends).
    pub(super) fn onprem_attachment(&mut self, b: usize) -> bool {
        let Goal::OnPrem(o) = self.goal else {
            return false;
        };
        let m = self.model;
        let net = &m.on_prem[o.net];
        let Via::Tgw { attachments, .. } = &net.via else {
            return false;
        };
        if !attachments.contains(&b) {
            return false;
        }
        let att = &m.tgw_attachments[b];
        if !net.carries(self.family) {
            self.drop_(
                codes::ONPREM_FAMILY_NOT_CARRIED,
                &att.address,
                say!(
                    self,
                    "{} carries no {} traffic inside its tunnels (tunnel_inside_ip_version)",
                    net.address,
                    self.family.name()
                ),
            );
            return true;
        }
        self.hop(
            &att.address,
            || format!("leaves for {}", net.address),
            false,
        );
        self.leg.reached = Some(Reached::OnPrem(o.net));
        true
    }

    /// A transit gateway route table into which the goal's attachment
    /// propagates the ranges it learns over BGP: when that route wins over
    /// `route` (static beats propagated at the same length), the packet
    /// leaves by the attachment and the walk ends here (`true`).
    pub(super) fn tgw_propagated_wins(&mut self, rt: usize, route: Option<&TgwRoute>) -> bool {
        let Goal::OnPrem(o) = self.goal else {
            return false;
        };
        let m = self.model;
        let net = &m.on_prem[o.net];
        let Via::Tgw { attachments, .. } = &net.via else {
            return false;
        };
        if !net.learns() {
            return false;
        }
        let Some(plen) = named_len(m, o.net, self.family, self.dst) else {
            return false;
        };
        let table = &m.tgw_route_tables[rt];
        let Some(&a) = attachments.iter().find(|&&a| {
            table
                .external_propagations
                .contains(&m.tgw_attachments[a].address)
        }) else {
            return false;
        };
        let wins = match route.map(|r| &r.dest) {
            None => true,
            Some(crate::model::Dest::Cidr(x)) => x.len < plen,
            Some(_) => false,
        };
        if !wins {
            return false;
        }
        let att = &m.tgw_attachments[a];
        self.hop(
            &table.address,
            || format!("propagated route -> {} (learned over BGP)", att.address),
            false,
        );
        if !self.attachment_usable(a) {
            return true;
        }
        self.onprem_attachment(a)
    }

    /// Coming in from on-premises network `n` to subnet `to`.
    fn enter_from_onprem(&mut self, n: usize, to: usize) {
        let m = self.model;
        let net = &m.on_prem[n];
        if !net.carries(self.family) {
            self.drop_(
                codes::ONPREM_FAMILY_NOT_CARRIED,
                &net.address,
                say!(
                    self,
                    "{} carries no {} traffic",
                    net.address,
                    self.family.name()
                ),
            );
            return;
        }
        match &net.via {
            Via::Unknown(why) => {
                let why = why.clone();
                self.unknown(codes::UNRESOLVED_REFERENCE, &net.address, why);
            }
            Via::Vgw(g) => self.enter_by_vgw(n, *g, to),
            Via::Tgw { tgw, attachments } => self.enter_by_tgw(n, *tgw, attachments, to),
        }
    }

    /// The Direct Connect gateway advertises the destination to
    /// on-premises: with a virtual private gateway, a VPC block that an
    /// allowed prefix covers; with a transit gateway, the allowed prefixes
    /// themselves. False when the walk stops.
    fn advertised(&mut self, n: usize, vpc_block: Option<Prefix>) -> bool {
        let m = self.model;
        let net = &m.on_prem[n];
        let Some(allowed) = &net.allowed_prefixes else {
            // A virtual private gateway association advertises the VPC's
            // block by default.
            if vpc_block.is_some() || net.kind == ConnectionKind::Vpn {
                return true;
            }
            self.unknown(
                codes::ONPREM_PREFIX_NOT_ADVERTISED,
                &net.address,
                say!(self, "{} gives no allowed_prefixes in the input, so what it advertises to on-premises is not known", net.address),
            );
            return false;
        };
        let allowed = match allowed {
            Ok(a) => a,
            Err(why) => {
                let why = why.clone();
                self.unknown(codes::UNRESOLVED_REFERENCE, &net.address, why);
                return false;
            }
        };
        let covered = match vpc_block {
            Some(b) => allowed
                .iter()
                .any(|p| p.family == b.family && p.contains(&b)),
            None => allowed
                .iter()
                .any(|p| p.family == self.family && p.contains_addr(self.dst)),
        };
        if !covered {
            let range = self.range();
            self.drop_(
                codes::ONPREM_PREFIX_NOT_ADVERTISED,
                &net.address,
                tell!(
                    self,
                    format!("{} does not advertise ", net.address),
                    range,
                    format!(
                        " to on-premises: no allowed prefix covers {}",
                        vpc_block.map_or_else(|| "it".to_string(), |b| b.to_string())
                    )
                ),
            );
        }
        covered
    }

    fn enter_by_vgw(&mut self, n: usize, g: usize, to: usize) {
        let m = self.model;
        let gw = &m.gateways[g];
        let sub = &m.subnets[to];
        self.read_goal(GoalUse::More);
        match (&gw.vpc, &sub.vpc) {
            (Link::To(a), Link::To(b)) if a == b => {}
            (Link::Unresolved(why), _) => {
                let why = why.clone();
                self.unknown(codes::UNRESOLVED_REFERENCE, &gw.address, why);
                return;
            }
            (_, Link::Unresolved(_)) => {
                let why = tell!(self, m.subnet_link_text(to, SubnetPart::Vpc, "VPC"));
                self.unknown(codes::UNRESOLVED_REFERENCE, &gw.address, why);
                return;
            }
            (there, _) => {
                let there = match there {
                    Link::To(v) => format!("is attached to {}", m.vpcs[*v].address),
                    _ => "is attached to no VPC of the input".to_string(),
                };
                self.drop_(
                    codes::ONPREM_GATEWAY_NOT_IN_VPC,
                    &gw.address,
                    tell!(
                        self,
                        format!(
                            "{} comes in through {}, which {there}; ",
                            m.on_prem[n].address, gw.address
                        ),
                        m.subnet_text(to),
                        " is not in that VPC"
                    ),
                );
                return;
            }
        }
        if m.on_prem[n].kind == ConnectionKind::DirectConnect {
            let block = sub.vpc.index().and_then(|v| {
                m.vpcs[v]
                    .cidrs
                    .of(self.family)
                    .iter()
                    .copied()
                    .find(|p| p.contains_addr(self.dst))
            });
            if block.is_some() && !self.advertised(n, block) {
                return;
            }
        }
        self.hop(
            &gw.address,
            || "the virtual private gateway hands it to the VPC router".into(),
            false,
        );
        self.acl_context = " from on-premises";
        if self.acl(to, false) && self.leg.outcome == Outcome::Delivered {
            self.hop(
                &sub.address,
                || "delivered by the local route".into(),
                false,
            );
        }
        self.acl_context = "";
    }

    fn enter_by_tgw(&mut self, n: usize, tgw: usize, attachments: &[usize], to: usize) {
        let m = self.model;
        if m.on_prem[n].kind == ConnectionKind::DirectConnect && !self.advertised(n, None) {
            return;
        }
        // The attachment that is associated with a route table: the
        // connection's own, or a data source that describes it.
        let a = attachments
            .iter()
            .copied()
            .find(|&a| *m.tgw_attachments[a].association(tgw) != Link::None)
            .unwrap_or(attachments[0]);
        if !self.attachment_usable(a) {
            return;
        }
        let att = &m.tgw_attachments[a];
        self.hop(
            &att.address,
            || format!("enters {}", m.transit_gateways[tgw].address),
            false,
        );
        // No zone to come from: the subnet's own zone picks the
        // attachment's subnet, else all of them must behave alike.
        let zone = zone_of(&m.subnets[to]).unwrap_or("");
        self.read_goal(GoalUse::More);
        match self.tgw_route(a, tgw, zone) {
            Next::At(s, _) => self.run(s),
            Next::Stop => {}
        }
    }
}

/// A packet from on-premises network `n` (`p.src` is an address of one of
/// its ranges) to subnet `to` (`p.dst` is an address of it): a connection
/// opened from on-premises, or a reply to one the subnet opened. It enters
/// through the network's virtual private gateway or transit gateway
/// attachment; network ACLs apply wherever it enters or leaves a subnet.
pub fn arrive_from_onprem(
    model: &Model,
    n: usize,
    to: usize,
    p: Packet<'_>,
    detail: Detail,
) -> Leg {
    // Described within the network's range that holds the source.
    let here = model.on_prem[n]
        .all_ranges()
        .into_iter()
        .filter(|r| r.prefix.family == p.family && r.prefix.contains_addr(p.src))
        .max_by_key(|r| r.prefix.len)
        .map_or(
            Interval {
                lo: p.src,
                hi: p.src,
            },
            |r| r.prefix.interval(),
        );
    let mut w = Walker::new(model, Goal::Subnet(to), p, detail, here, None);
    let name = &model.on_prem[n].address;
    w.hop(
        name,
        || "comes in from the on-premises network".into(),
        false,
    );
    w.enter_from_onprem(n, to);
    w.leg
}
