//! Public addresses: which instances of a subnet the internet can address.
//!
//! An internet gateway translates between an instance's private IPv4
//! address and a public one, and only for instances that have one: the
//! subnet hands one to every instance it launches (`map_public_ip_on_launch`),
//! or an instance asks for one (`associate_public_ip_address`), or an
//! Elastic IP is bound to the instance or to one of its network interfaces
//! (`aws_eip` with `instance` / `network_interface`, or
//! `aws_eip_association`). IPv6 addresses are public already.

use crate::ingest::Json;

use super::build::{attr_unknown, str_attr, Builder, Found};
use super::{GatewayKind, Link};

/// The resource types whose public addresses the model reads.
const EIP_TYPES: &[&str] = &["aws_eip", "aws_eip_association"];

/// A route table associated with a gateway (`aws_route_table_association`
/// with `gateway_id`): AWS routes what the gateway brings into the VPC by
/// that table (ingress routing), to an appliance for instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeAssociation {
    /// The association's address.
    pub address: String,
    /// The gateway (an index into `Model::gateways` when in the input).
    pub gateway: Link,
}

/// What the input says of a subnet's public IPv4 addresses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublicIpv4 {
    /// `map_public_ip_on_launch`: `Some(true)` when every instance gets
    /// one, `None` when the value is not known until apply.
    pub on_launch: Option<bool>,
    /// Resources of the input placed in the subnet that hold a public IPv4
    /// address (an instance that asks for one, an Elastic IP's instance or
    /// network interface), by address.
    pub holders: Vec<String>,
}

impl PublicIpv4 {
    /// The value a subnet has when the input says nothing more: AWS maps no
    /// public address unless asked (a default subnet does).
    pub fn mapped(on_launch: bool) -> Self {
        PublicIpv4 {
            on_launch: Some(on_launch),
            holders: Vec::new(),
        }
    }
}

/// `map_public_ip_on_launch` of a subnet resource: absent means the AWS
/// default (false, true for a default subnet), a value unknown until apply
/// is `None`.
pub fn on_launch(values: &Json, default_subnet: bool) -> Option<bool> {
    match values.get("map_public_ip_on_launch") {
        Some(Json::Bool(b)) => Some(*b),
        Some(Json::String(s)) if &**s == "true" => Some(true),
        Some(Json::String(s)) if &**s == "false" => Some(false),
        Some(Json::Null) | None => Some(default_subnet),
        Some(_) => None,
    }
}

/// Whether a subnet gives what is launched in it an IPv6 address of its
/// own accord: `assign_ipv6_address_on_creation` (or the AWSCC spelling),
/// or an IPv6-only subnet (`ipv6_native`). Not set: it does not.
pub fn assigns_ipv6(values: &Json) -> Option<bool> {
    let mut known = Some(false);
    for attr in [
        "assign_ipv6_address_on_creation",
        "assign_ipv_6_address_on_creation",
        "ipv6_native",
        "ipv_6_native",
    ] {
        match values.get(attr) {
            Some(Json::Bool(true)) => return Some(true),
            Some(Json::String(s)) if &**s == "true" => return Some(true),
            Some(Json::Bool(false) | Json::Null) | None => {}
            Some(Json::String(s)) if &**s == "false" => {}
            Some(_) => known = None,
        }
    }
    known
}

impl Builder<'_> {
    /// Records the route tables associated with a gateway. Runs after
    /// `gateways`.
    pub(super) fn edge_associations(&mut self) {
        for i in 0..self.lk.raw.len() {
            let r = self.raw(i);
            if r.rtype != "aws_route_table_association" {
                continue;
            }
            let named = str_attr(&r.values, "gateway_id").is_some()
                || attr_unknown(&r.values, "gateway_id");
            if !named {
                continue;
            }
            let found = self.lk.link(
                r,
                "gateway_id",
                &["aws_internet_gateway", "aws_vpn_gateway"],
            );
            let gateway = self.link_of(found, |b| &b.gw_of, "gateway");
            self.model.edge_associations.push(EdgeAssociation {
                address: r.address.clone(),
                gateway,
            });
        }
    }

    /// Records, on each subnet, the instances and network interfaces of the
    /// input that hold a public IPv4 address. Runs after `gateways`, which
    /// links instances and network interfaces to their subnets.
    pub(super) fn public_addresses(&mut self) {
        let mut holders: Vec<(usize, String)> = Vec::new();
        for i in 0..self.lk.raw.len() {
            let r = self.raw(i);
            let asks = r.rtype == "aws_instance"
                && matches!(
                    r.values.get("associate_public_ip_address"),
                    Some(Json::Bool(true))
                );
            if asks {
                if let Some(&g) = self.gw_of.get(&i) {
                    holders.push((g, r.address.clone()));
                }
                continue;
            }
            if !EIP_TYPES.contains(&r.rtype.as_str()) {
                continue;
            }
            for (attr, types) in [
                ("instance", &["aws_instance"][..]),
                ("instance_id", &["aws_instance"][..]),
                ("network_interface", &["aws_network_interface"][..]),
                ("network_interface_id", &["aws_network_interface"][..]),
            ] {
                let found = self.lk.link(r, attr, types);
                if let Found::Raw(j) = found {
                    if let Some(&g) = self.gw_of.get(&j) {
                        holders.push((g, r.address.clone()));
                    }
                }
            }
        }
        for (g, eip) in holders {
            let gw = &self.model.gateways[g];
            if !matches!(
                gw.kind,
                GatewayKind::Instance | GatewayKind::NetworkInterface
            ) {
                continue;
            }
            let Link::To(s) = gw.subnet else { continue };
            let name = if eip == gw.address {
                eip
            } else {
                format!("{} ({eip})", gw.address)
            };
            let list = &mut self.model.subnets[s].public_ipv4.holders;
            if !list.contains(&name) {
                list.push(name);
            }
        }
    }
}
