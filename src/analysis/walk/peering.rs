//! VPC peering connections: active, between the two VPCs' own blocks only, no transit.

use super::*;

impl Walker<'_> {
    /// Crossing a peering connection: it must be active, and carries only
    /// traffic between its two VPCs' own CIDR blocks.
    pub(super) fn peering(&mut self, vpc: usize, at: usize, link: &Link, route: &str) {
        let m = self.model;
        let range = self.range();
        let p = match link {
            Link::To(p) => &m.peerings[*p],
            Link::External(id) => {
                self.unknown(
                    codes::EXTERNAL_RESOURCE,
                    route,
                    self.sends(route, &range, || {
                        format!(" to peering connection {id}, which is not in the input")
                    }),
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
                        " is not in {}; a peering carries no traffic to the peer's gateways or endpoints (no edge-to-edge routing), so {} is not reached this way",
                        peer.address, s.name
                    ),
                    (_, Goal::OnPrem(o)) => format!(
                        " is not in {}; a peering carries no traffic to the peer's VPN or Direct Connect gateways (no edge-to-edge routing), so {} is not reached this way",
                        peer.address, m.on_prem[o.net].address
                    ),
                    (Some(o), _) => format!(
                        " belongs to {o}, not to {}; peering is not transitive, so {} does not carry it on",
                        peer.address, p.address
                    ),
                    (None, _) => format!(
                        " is outside {}'s CIDR blocks, and {} carries only traffic addressed to its peer VPC",
                        peer.address, p.address
                    ),
                };
                self.drop_(
                    codes::PCX_REQUIRES_ADDRESS_IN_VPC_CIDR,
                    route,
                    tell!(
                        self,
                        format!("{route} sends traffic into {}: ", p.address),
                        range,
                        why
                    ),
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
                tell!(
                    self,
                    range,
                    format!(" arrives in {}, but ", peer.address),
                    m.subnet_text(to),
                    " is not there (overlapping CIDR blocks)"
                ),
            );
        }
    }
}
