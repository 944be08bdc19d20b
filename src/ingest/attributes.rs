//! Which top-level resource attributes ingest keeps.
//!
//! A provider writes dozens of attributes per resource (ARNs, tags, DNS
//! options, timeouts); the model reads a few. Ingest decodes only the
//! top-level attributes named here, with everything nested under them, and
//! skips the rest without building values for them: on a plan of tens of
//! thousands of resources this is most of the decoding time and memory.
//!
//! The list is every lowercase word the model's source spells out (a test in
//! `model` reads the source and fails when a word is missing), so it errs on
//! the side of keeping: a few entries are values rather than attribute
//! names, which costs nothing.

use std::fmt;
use std::sync::OnceLock;

use super::json::Json;
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};

/// Sorted (a test keeps it so, which keeps it free of repeats).
pub const ATTRIBUTES: &[&str] = &[
    "accept_status",
    "acceptance_required",
    "account",
    "account_id",
    "action",
    "active",
    "all",
    "allow",
    "allowed_prefixes",
    "ami_type",
    "any",
    "appliance_mode_support",
    "application",
    "arn",
    "assign_generated_ipv6_cidr_block",
    "assign_ipv6_address_on_creation",
    "assign_public_ip",
    "associate_public_ip_address",
    "associated_gateway_id",
    "association_default_route_table_id",
    "associations",
    "auto_accept",
    "auto_accept_shared_attachments",
    "autoscaling_group",
    "availability_zone",
    "availability_zone_id",
    "available",
    "blackhole",
    "block",
    "cache",
    "carrier_gateway_id",
    "cidr",
    "cidr_block",
    "cidr_block_associations",
    "cidr_blocks",
    "cidr_ip",
    "cidr_ipv4",
    "cidr_ipv6",
    "cidr_ipv_6",
    "cluster_name",
    "code",
    "connectivity_type",
    "core_network_arn",
    "database",
    "db_subnet_group_name",
    "default_association_route_table",
    "default_network_acl_id",
    "default_propagation_route_table",
    "default_route_table_association",
    "default_route_table_id",
    "default_route_table_propagation",
    "deleted",
    "deny",
    "destination_cidr_block",
    "destination_ipv6_cidr_block",
    "destination_prefix_list_id",
    "destination_security_group_id",
    "disable",
    "dual_stack",
    "dualstack",
    "dx_gateway_id",
    "ecs_service",
    "egress",
    "egress_only_gateway_id",
    "eks_cluster",
    "eks_node_group",
    "enable",
    "engine",
    "entries",
    "entry",
    "expired",
    "failed",
    "false",
    "from",
    "from_port",
    "gateway",
    "gateway_id",
    "gateway_load_balancer_arns",
    "gatewayloadbalancer",
    "group_id",
    "icmp",
    "icmp6",
    "icmp_code",
    "icmp_type",
    "icmpv6",
    "id",
    "ingress",
    "instance",
    "instance_id",
    "interface",
    "interface_endpoint",
    "internal",
    "internet_gateway_id",
    "ip_address_type",
    "ip_family",
    "ip_protocol",
    "ipv6",
    "ipv6_address_count",
    "ipv6_address_list",
    "ipv6_addresses",
    "ipv6_allowed_for_dual_stack",
    "ipv6_cidr_block",
    "ipv6_cidr_blocks",
    "ipv6_ipam_pool_id",
    "ipv6_native",
    "ipv6_support",
    "ipv_6_cidr_block",
    "ipv_6_cidr_blocks",
    "ipv_6_support",
    "kubernetes_network_config",
    "lambda",
    "launch_template",
    "load_balancer",
    "load_balancer_arn",
    "load_balancer_type",
    "local",
    "local_gateway_id",
    "main",
    "main_route_table_id",
    "map_public_ip_on_launch",
    "mariadb",
    "memcached",
    "mysql",
    "name",
    "nat_gateway_id",
    "network",
    "network_acl_id",
    "network_configuration",
    "network_interface",
    "network_interface_id",
    "network_interfaces",
    "network_type",
    "odb_network_arn",
    "options",
    "oracle",
    "owner_id",
    "peer_owner_id",
    "peer_region",
    "peer_transit_gateway_id",
    "peer_vpc_id",
    "peering",
    "pending",
    "port",
    "port_range",
    "ports",
    "postgres",
    "prefix_list_id",
    "prefix_list_ids",
    "private",
    "private_dns_enabled",
    "private_ip",
    "propagating_vgws",
    "propagation_default_route_table_id",
    "protocol",
    "publicly_accessible",
    "redis",
    "referenced_security_group_id",
    "region",
    "rejected",
    "remote_access",
    "replace_default_association",
    "route",
    "route_table_id",
    "route_table_ids",
    "routes",
    "rule_action",
    "rule_no",
    "rule_number",
    "security_group_egress",
    "security_group_id",
    "security_group_ids",
    "security_group_ingress",
    "security_group_referencing_support",
    "security_groups",
    "self",
    "service_name",
    "source_prefix_list_id",
    "source_security_group_id",
    "source_security_group_ids",
    "sqlserver",
    "state",
    "static_routes_only",
    "subnet",
    "subnet_group_name",
    "subnet_id",
    "subnet_ids",
    "subnet_mapping",
    "subnets",
    "tcp",
    "to",
    "to_port",
    "transit_gateway_attachment_id",
    "transit_gateway_default_route_table_association",
    "transit_gateway_default_route_table_propagation",
    "transit_gateway_id",
    "transit_gateway_route_table_id",
    "true",
    "tunnel_inside_ip_version",
    "type",
    "udp",
    "valkey",
    "vpc_config",
    "vpc_endpoint_id",
    "vpc_endpoint_type",
    "vpc_id",
    "vpc_peering_connection_id",
    "vpc_security_group_ids",
    "vpc_zone_identifier",
    "vpn_connection_id",
    "vpn_gateway_id",
];

/// Does ingest keep this top-level attribute? Called for every member of
/// every network resource, so it looks in a bucket of names of the same
/// length and compares the first byte before the rest.
pub fn kept(name: &str) -> bool {
    static BY_LEN: OnceLock<Vec<Vec<&'static [u8]>>> = OnceLock::new();
    let buckets = BY_LEN.get_or_init(|| {
        let longest = ATTRIBUTES.iter().map(|a| a.len()).max().unwrap_or(0);
        let mut b = vec![Vec::new(); longest + 1];
        for a in ATTRIBUTES {
            b[a.len()].push(a.as_bytes());
        }
        b
    });
    let n = name.as_bytes();
    buckets
        .get(n.len())
        .is_some_and(|b| b.iter().any(|a| a[0] == n[0] && *a == n))
}

/// Decodes one resource's values. An object keeps the attributes
/// [`kept`] names, except those that are `null` or `""` (the provider
/// writes `""` for every unset optional string, and the model treats both as
/// "not set"); the others are skipped without being built. Anything that is
/// not an object is decoded whole.
pub fn decode(json: &str) -> Result<Json, serde_json::Error> {
    if json.trim_start().starts_with('{') {
        serde_json::from_str::<Kept>(json).map(|k| k.0)
    } else {
        serde_json::from_str(json)
    }
}

struct Kept(Json);

impl<'de> Deserialize<'de> for Kept {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(KeptVisitor)
    }
}

struct KeptVisitor;

impl<'de> Visitor<'de> for KeptVisitor {
    type Value = Kept;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of attribute values")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Kept, A::Error> {
        let mut out: Vec<(Box<str>, Json)> = Vec::new();
        while let Some(Wanted(key)) = map.next_key()? {
            match key {
                Some(k) => {
                    let v: Json = map.next_value()?;
                    let unset = v.is_null() || matches!(&v, Json::String(s) if s.is_empty());
                    if !unset {
                        out.push((k, v));
                    }
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Kept(Json::object(out)))
    }
}

/// A member name, owned only when the attribute is kept.
struct Wanted(Option<Box<str>>);

impl<'de> Deserialize<'de> for Wanted {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(WantedVisitor)
    }
}

struct WantedVisitor;

impl Visitor<'_> for WantedVisitor {
    type Value = Wanted;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an attribute name")
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Wanted, E> {
        Ok(Wanted(kept(s).then(|| s.into())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_sorted_and_free_of_repeats() {
        assert!(ATTRIBUTES.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn decoding_keeps_network_attributes_and_drops_unset_ones() {
        let v = decode(
            r#"{"id":"subnet-1","arn":"","tags":{"Name":"a"},"vpc_id":null,
               "route":[{"cidr_block":"0.0.0.0/0","gateway_id":"","extra":1}],
               "enable_dns64":false}"#,
        )
        .unwrap();
        // Nested values are kept whole: only the top level is filtered.
        assert_eq!(
            v.to_value(),
            serde_json::json!({"id":"subnet-1",
                "route":[{"cidr_block":"0.0.0.0/0","gateway_id":"","extra":1}]})
        );
        assert_eq!(decode("null").unwrap(), Json::Null);
        assert_eq!(decode("[1]").unwrap().to_value(), serde_json::json!([1]));
        assert!(decode(r#"{"id":"#).is_err());
    }

    #[test]
    fn network_attributes_are_kept_and_decoration_is_not() {
        for a in [
            "id",
            "vpc_id",
            "cidr_block",
            "route",
            "ingress",
            "subnet_ids",
            "arn",
        ] {
            assert!(kept(a), "{a}");
        }
        for a in [
            "tags",
            "tags_all",
            "timeouts",
            "enable_dns_hostnames",
            "instance_tenancy",
        ] {
            assert!(!kept(a), "{a}");
        }
    }
}
