//! Transit gateways: entering by the VPC's attachment, route tables, peering attachments, leaving
//! into a VPC.

use super::*;

/// What to do after a transit gateway.
pub(super) enum Next {
    /// The packet is in this subnet (of this VPC) and follows its table.
    At(usize, usize),
    Stop,
}

impl Walker<'_> {
    /// Through a transit gateway: from the subnet `at` of VPC `vpc` into
    /// the attachment subnet of the VPC the gateway's route table sends the
    /// packet to.
    pub(super) fn transit(
        &mut self,
        at: usize,
        vpc: usize,
        link: &Link,
        route: &str,
        label: &str,
    ) -> Next {
        let m = self.model;
        let range = self.range();
        let Some(t) = link.index().and_then(|g| m.gateways[g].transit_gateway) else {
            self.unknown(
                codes::EXTERNAL_RESOURCE,
                route,
                self.sends(route, &range, || {
                    format!(" to transit gateway {label}, which is not in the input")
                }),
            );
            return Next::Stop;
        };
        let tgw = &m.transit_gateways[t];
        // The VPC's attachment to this transit gateway.
        let Some(a) = m.tgw_attachment_of(vpc, t) else {
            // An attachment whose VPC is not known could be this VPC's.
            let unresolved = m
                .unresolved_vpc_attachment(t)
                .map(|a| link_reason(&a.vpc, &a.address, "VPC"));
            match unresolved {
                Some(why) => self.unknown(codes::UNRESOLVED_REFERENCE, &tgw.address, why),
                None => self.drop_(
                    codes::BAD_STATE_ROUTE,
                    route,
                    self.sends(route, &range, || {
                        format!(
                            " to {}, but {} has no attachment to it: the route is a blackhole",
                            tgw.address, m.vpcs[vpc].address
                        )
                    }),
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
                tell!(self, m.subnet_text(at)),
                tell!(self, "the Availability Zone of ", m.subnet_text(at), format!(" is not known until apply, and {} carries traffic only from zones where it has a subnet", att.address)),
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
                tell!(self,
                    m.subnet_text(at),
                    format!(" is in {zone}, where {} has no subnet (it has {}): a transit gateway only takes traffic from zones its VPC attachment is in",
                    att.address,
                    if zones.is_empty() { "none".to_string() } else { zones.join(", ") })
                ),
            );
            return Next::Stop;
        };
        // The entry subnet is passed through even when its route table is
        // not consulted: a walk towards it is not one towards another.
        self.leg.passed.push(entry);
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
        self.tgw_route(a, t, zone)
    }

    /// Through the route tables of transit gateway `t`, for a packet that
    /// entered by attachment `a`, up to the attachment it leaves by (`zone`:
    /// the Availability Zone it came from, which picks the subnet it leaves
    /// into).
    pub(super) fn tgw_route(&mut self, a: usize, t: usize, zone: &str) -> Next {
        let m = self.model;
        let mut ingress = a;
        let mut g = t;
        let mut rt_link = m.tgw_attachments[a].association(t);
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
            if self.tgw_propagated_wins(rt, lk.route) {
                return Next::Stop;
            }
            let range = self.range();
            let Some(r) = lk.route else {
                self.drop_(
                    codes::TGW_RTB_NO_ROUTE_TO_TGW_ATTACHMENT,
                    &table.address,
                    tell!(
                        self,
                        format!(
                            "{} (associated with {}) has no route that matches ",
                            table.address, ingress_att.address
                        ),
                        range
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
                        tell!(
                            self,
                            &table.address,
                            " matches ",
                            range,
                            format!(
                                " with blackhole route {dest} ({}): the transit gateway drops it",
                                r.resource
                            )
                        ),
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
                            if self.onprem_attachment(*b) {
                                return Next::Stop;
                            }
                            let whom = match self.goal {
                                Goal::Subnet(to) => m.subnet_text(to),
                                Goal::Service(s) => s.name.into(),
                                Goal::OnPrem(o) => (&m.on_prem[o.net].address).into(),
                            };
                            self.drop_(
                                codes::CANNOT_ROUTE,
                                &r.resource,
                                tell!(
                                    self,
                                    &table.address,
                                    " sends ",
                                    range,
                                    format!(
                                        " to {} {}, which leaves AWS; ",
                                        out.kind.describe(),
                                        out.address
                                    ),
                                    whom,
                                    " is not there"
                                ),
                            );
                            return Next::Stop;
                        }
                    }
                }
            }
        }
    }

    /// Whether an attachment carries traffic (its state and family).
    pub(super) fn attachment_usable(&mut self, a: usize) -> bool {
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
    pub(super) fn leave_tgw(&mut self, b: usize, zone: &str, g: usize) -> Next {
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
}
