//! Gateways to the internet (internet and egress-only gateways), for walks towards an AWS service.

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
        self.leg.reached = Some(Reached::Internet(label.to_string(), self.natted.is_some()));
    }
}
