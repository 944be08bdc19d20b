//! Network ACLs on the way: a subnet's rules for the packet leaving or entering it.

use super::*;

impl Walker<'_> {
    /// Applies the network ACL of `subnet` to the packet leaving it
    /// (`egress`) or entering it. Returns false when no flow is left.
    pub(super) fn acl(&mut self, subnet: usize, egress: bool) -> bool {
        let m = self.model;
        let sub = &m.subnets[subnet];
        let a = match &sub.network_acl {
            Link::None => return true, // the default ACL: allows everything
            Link::To(a) => *a,
            _ => {
                self.unknown_link(subnet, SubnetPart::NetworkAcl, "network ACL");
                return true;
            }
        };
        if matches!(self.goal, Goal::Service(_)) {
            self.leg.acl_steps.push((subnet, egress));
        }
        let acl = &m.network_acls[a];
        // Inbound rules look at the source: after a NAT gateway, that is
        // the NAT gateway's address in its own subnet.
        let nat = if egress { None } else { self.nat_source() };
        let addr = match (egress, nat) {
            (true, _) => self.dst,
            (false, None) => self.src,
            (false, Some((a, _))) => a,
        };
        let mut d = evaluate(acl, egress, self.family, addr, self.flows());
        // A reply goes to whichever ephemeral port the client picked: the
        // replies of a protocol get through only if all of them do.
        let mut partial = None;
        if self.dir == Direction::Return && d.unknown.is_none() {
            if let Some(a) = &d.allowed {
                let whole = a.whole_protocols(self.flows());
                if &whole != a {
                    partial = Some(a.minus(&whole));
                    d.allowed = Some(whole);
                }
            }
        }
        match nat {
            // The NAT gateway's address is one AWS picks in its subnet.
            Some((_, Some(block))) => {
                if d.valid.intersect(&block) != Some(block) {
                    self.unknown(
                        codes::SUBNET_ACL_RESTRICTION,
                        &acl.address,
                        tell!(self, &acl.address, " treats addresses of ", m.subnet_text(self.natted.unwrap_or(subnet)), " differently, and which one the NAT gateway uses is not known until apply"),
                    );
                }
            }
            // Its address is known: the decision does not depend on the
            // packet's original source.
            Some((_, None)) => {}
            None if egress => {
                self.leg.dst_valid = self
                    .leg
                    .dst_valid
                    .intersect(&d.valid)
                    .unwrap_or(self.leg.dst_valid);
            }
            None => {
                self.leg.src_valid = self
                    .leg
                    .src_valid
                    .intersect(&d.valid)
                    .unwrap_or(self.leg.src_valid);
            }
        }
        if let Some(why) = &d.unknown {
            self.unknown(codes::UNRESOLVED_REFERENCE, &acl.address, why.clone());
        }
        let way = if egress { "outbound" } else { "inbound" };
        let rel = if egress { "leaving" } else { "entering" };
        let ctx = self.acl_context;
        if d.denies_all() {
            if !self.detail {
                self.leg.outcome = Outcome::Dropped;
                return false;
            }
            let range = self.range();
            let what = self.flows().describe_within(&self.universe(), 4);
            let source = match (egress, nat) {
                (true, _) => text!["to ", range, ctx],
                (false, None) => text!["from ", self.src_range(), ctx],
                (false, Some(_)) => text![format!("from the NAT gateway's address{ctx}")],
            };
            let msg = match &partial {
                Some(some) => text![
                    format!("{} lets replies {rel} ", acl.address),
                    m.subnet_text(subnet),
                    " ",
                    source,
                    format!(
                        " through on {} only: replies go to the client's ephemeral port (1024-65535), so clients that pick another port get none ({way} {} denies the rest)",
                        some.describe(4),
                        describe_denials(&d.denied_by)
                    )
                ],
                None => text![
                    format!("{} denies {what} {rel} ", acl.address),
                    m.subnet_text(subnet),
                    " ",
                    source,
                    format!("; {way} {} decides", describe_denials(&d.denied_by))
                ],
            };
            self.drop_(codes::SUBNET_ACL_RESTRICTION, &acl.address, msg);
            return false;
        }
        if let Some(allowed_set) = d.allowed {
            if self.trace {
                let (acl_addr, sub_addr) = (acl.address.clone(), sub.address.clone());
                let allowed = allowed_set.describe_within(&self.universe(), 6);
                let denied = describe_denials(&d.denied_by);
                self.hop(
                    &acl_addr,
                    || format!("{way} rules for traffic {rel} {sub_addr}: only {allowed} pass ({denied} denies the rest)"),
                    false,
                );
            }
            self.leg.flows = Some(allowed_set);
        } else if self.trace {
            let (acl_addr, sub_addr) = (acl.address.clone(), sub.address.clone());
            let by: Vec<String> = d.allowed_by.iter().map(|n| n.to_string()).collect();
            self.hop(
                &acl_addr,
                || {
                    format!(
                        "{way} rule {} allows the traffic {rel} {sub_addr}",
                        by.join(", ")
                    )
                },
                false,
            );
        }
        true
    }
}
