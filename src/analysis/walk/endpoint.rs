//! VPC endpoints as hops: gateway endpoints for services, Gateway Load Balancer endpoints on the
//! path.

use super::*;

impl Walker<'_> {
    /// A route to a VPC endpoint: a Gateway Load Balancer endpoint sends the
    /// traffic through its appliances and back out of its subnet (the
    /// subnet returned); a gateway endpoint ends a walk to its service.
    pub(super) fn endpoint(
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
                self.sends(route, &range, || {
                    format!(" to VPC endpoint {label}, which is not in the input")
                }),
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
                        self.sends(route, &range, || {
                            format!(
                                " to gateway endpoint {}, which only carries traffic to {}",
                                ep.address,
                                ep.service_name()
                            )
                        }),
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
}
