//! Gateways to the internet (internet and egress-only gateways): packets
//! that leave through them (towards an AWS service's public address or the
//! internet), and packets that come in through them.

use super::*;

impl Walker<'_> {
    /// Leaving for the internet towards an AWS service.
    pub(super) fn internet(
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
        self.leg.reached = Some(Reached::Internet(Exit {
            label: label.to_string(),
            kind,
            vpc,
            natted: self.natted.is_some(),
        }));
    }
}

/// A packet from the internet (`p.src`) that an internet gateway (`gateway`,
/// for the trace) hands to subnet `to` (`p.dst` is an address of it): a
/// connection to one of its instances' public addresses, or a reply to a
/// connection it opened. A reply to a connection that passed NAT gateways
/// (`nats`) is addressed to the last of them: it enters that gateway's
/// subnet, is translated back and goes on from there by that subnet's route
/// table. Otherwise the gateway translates the public address to the
/// private one and the packet enters `to` directly. Network ACLs apply
/// wherever it enters or leaves a subnet.
pub fn arrive_from_internet(
    model: &Model,
    to: usize,
    gateway: &str,
    nats: &[NatHop],
    p: Packet<'_>,
    detail: Detail,
) -> Leg {
    let here = Interval {
        lo: p.src,
        hi: p.src,
    };
    let mut w = Walker::new(model, Goal::Subnet(to), p, detail, here, None);
    w.hop(gateway, || "comes in from the internet".into(), false);
    let Some((last, before)) = nats.split_last() else {
        w.acl_context = " from the internet";
        if w.acl(to, false) && w.leg.outcome == Outcome::Delivered {
            let sub = &model.subnets[to].address;
            w.hop(
                sub,
                || format!("the internet gateway delivers it to {sub}"),
                false,
            );
        }
        return w.leg;
    };
    w.acl_context = " from the internet";
    if !w.acl(last.subnet, false) {
        return w.leg;
    }
    w.acl_context = "";
    let gw = &model.gateways[last.gateway].address;
    if before.is_empty() {
        w.hop(
            gw,
            || "the NAT gateway translates the reply back to the client's address".into(),
            false,
        );
        w.leg.goal_use = GoalUse::More;
        w.run(last.subnet);
        return w.leg;
    }
    let mut out = w.leg;
    let flows = out.flows.clone().unwrap_or_else(|| p.flows.clone());
    let rest = super::nat::walk_reply(
        model,
        to,
        last.subnet,
        before,
        Packet { flows: &flows, ..p },
        detail,
    );
    super::nat::absorb(&mut out, rest, true);
    out
}
