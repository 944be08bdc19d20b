//! A greenfield estate whose counted blocks are linked through locals.
//!
//! Every resource sits in the root module, counted; which VPC a subnet, a
//! peering or a route belongs to is read from a layout in `locals`, which a
//! plan does not record:
//!
//! | address | links |
//! |---|---|
//! | `aws_vpc.vpc[i]` | |
//! | `aws_subnet.subnet[k]` | `vpc_id = aws_vpc.vpc[local.subnets[count.index].vpc].id`: VPC `k / S` |
//! | `aws_route_table.rt[i]` | `vpc_id = aws_vpc.vpc[count.index].id` |
//! | `aws_route_table_association.subnet[k]` | `subnet_id = aws_subnet.subnet[count.index].id`, `route_table_id` through `local.subnets` |
//! | `aws_vpc_peering_connection.pcx[p]` | VPC `p` with VPC `p + 1` (a chain), both ends through `local.peerings` |
//! | `aws_route.peer[r]` | table, destination and peering through `local.routes` |
//!
//! Matching instance keys would put `subnet[k]` in `vpc[k]` and peer
//! `vpc[p]` with itself. A correct analyzer leaves these links unresolved:
//! every pair is `unknown`, and no peering or routing finding is invented.

use std::io::{self, BufWriter, Write};

use serde_json::{json, Value};

use super::{
    EstateSpec, ExpectedSummary, Layout, Mode, Topology, PROVIDER, REGION, TERRAFORM_VERSION,
    TIMESTAMP,
};

/// The verdict counts of [`write_plan`]'s estate: every pair is unknown.
pub fn expected_summary(vpcs: usize, subnets_per_vpc: usize) -> ExpectedSummary {
    let n = (vpcs * subnets_per_vpc) as u64;
    let pairs = n * n.saturating_sub(1);
    ExpectedSummary {
        pairs,
        unknown: pairs,
        ..ExpectedSummary::default()
    }
}

/// Number of resources the plan holds.
pub fn resource_count(vpcs: usize, subnets_per_vpc: usize) -> usize {
    let peerings = vpcs.saturating_sub(1);
    2 * vpcs + 2 * vpcs * subnets_per_vpc + 3 * peerings
}

struct Block {
    rtype: &'static str,
    name: &'static str,
    count: usize,
    /// Attribute -> references of its expression.
    refs: Vec<(&'static str, Vec<&'static str>)>,
    count_refs: Vec<&'static str>,
}

/// Streams the plan of `vpcs` VPCs of `subnets_per_vpc` subnets each, in the
/// layout of this module, to `out`.
pub fn write_plan<W: Write>(vpcs: usize, subnets_per_vpc: usize, out: W) -> io::Result<()> {
    let spec = EstateSpec::new(vpcs, subnets_per_vpc, Topology::Chain, Mode::Greenfield, 1);
    spec.validate()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let layout = Layout::new(&spec).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let s = subnets_per_vpc;
    let n = vpcs * s;
    let peerings = vpcs.saturating_sub(1);
    let blocks = [
        Block {
            rtype: "aws_vpc",
            name: "vpc",
            count: vpcs,
            refs: vec![("cidr_block", vec!["local.vpcs", "count.index"])],
            count_refs: vec!["local.vpcs"],
        },
        Block {
            rtype: "aws_subnet",
            name: "subnet",
            count: n,
            refs: vec![
                ("cidr_block", vec!["local.subnets", "count.index"]),
                (
                    "vpc_id",
                    vec!["aws_vpc.vpc", "local.subnets", "count.index"],
                ),
            ],
            count_refs: vec!["local.subnets"],
        },
        Block {
            rtype: "aws_route_table",
            name: "rt",
            count: vpcs,
            refs: vec![("vpc_id", vec!["aws_vpc.vpc", "count.index"])],
            count_refs: vec!["aws_vpc.vpc"],
        },
        Block {
            rtype: "aws_route_table_association",
            name: "subnet",
            count: n,
            refs: vec![
                (
                    "route_table_id",
                    vec!["aws_route_table.rt", "local.subnets", "count.index"],
                ),
                ("subnet_id", vec!["aws_subnet.subnet", "count.index"]),
            ],
            count_refs: vec!["local.subnets"],
        },
        Block {
            rtype: "aws_vpc_peering_connection",
            name: "pcx",
            count: peerings,
            refs: vec![
                (
                    "peer_vpc_id",
                    vec!["aws_vpc.vpc", "local.peerings", "count.index"],
                ),
                (
                    "vpc_id",
                    vec!["aws_vpc.vpc", "local.peerings", "count.index"],
                ),
            ],
            count_refs: vec!["local.peerings"],
        },
        Block {
            rtype: "aws_route",
            name: "peer",
            count: 2 * peerings,
            refs: vec![
                (
                    "destination_cidr_block",
                    vec!["local.routes", "count.index"],
                ),
                (
                    "route_table_id",
                    vec!["aws_route_table.rt", "local.routes", "count.index"],
                ),
                (
                    "vpc_peering_connection_id",
                    vec![
                        "aws_vpc_peering_connection.pcx",
                        "local.routes",
                        "count.index",
                    ],
                ),
            ],
            count_refs: vec!["local.routes"],
        },
    ];
    // The known values and the unknown attributes of instance `i` of a block.
    let instance = |b: &Block, i: usize| -> (Value, Vec<&'static str>) {
        let tags = json!({ "Name": format!("{}-{i}", b.name) });
        match b.rtype {
            "aws_vpc" => (
                json!({ "cidr_block": layout.vpc_cidr(i), "enable_dns_hostnames": true,
                        "enable_dns_support": true, "region": REGION, "tags": tags }),
                vec![
                    "arn",
                    "default_network_acl_id",
                    "default_route_table_id",
                    "id",
                    "main_route_table_id",
                ],
            ),
            "aws_subnet" => (
                json!({ "availability_zone": "us-east-1a", "cidr_block": layout.subnet_cidr(i / s, i % s),
                        "region": REGION, "tags": tags }),
                vec!["arn", "id", "vpc_id"],
            ),
            "aws_route_table" => (
                json!({ "region": REGION, "tags": tags }),
                vec!["id", "route", "vpc_id"],
            ),
            "aws_route_table_association" => (
                json!({ "region": REGION }),
                vec!["id", "route_table_id", "subnet_id"],
            ),
            "aws_vpc_peering_connection" => (
                json!({ "auto_accept": true, "region": REGION, "tags": tags }),
                vec!["accept_status", "id", "peer_vpc_id", "vpc_id"],
            ),
            _ => {
                // Route r: peering r / 2, from its requester (even) or accepter (odd).
                let p = i / 2;
                let to = if i % 2 == 0 { p + 1 } else { p };
                (
                    json!({ "destination_cidr_block": layout.vpc_cidr(to), "region": REGION }),
                    vec!["id", "route_table_id", "vpc_peering_connection_id"],
                )
            }
        }
    };

    let mut w = BufWriter::with_capacity(1 << 20, out);
    write!(
        w,
        "{{\"format_version\":\"1.2\",\"terraform_version\":\"{TERRAFORM_VERSION}\""
    )?;
    w.write_all(b",\"planned_values\":{\"root_module\":{\"resources\":[")?;
    let mut first = true;
    for b in &blocks {
        for i in 0..b.count {
            let (values, _) = instance(b, i);
            let e = json!({
                "address": format!("{}.{}[{i}]", b.rtype, b.name), "mode": "managed",
                "type": b.rtype, "name": b.name, "index": i, "provider_name": PROVIDER,
                "schema_version": 0, "values": values, "sensitive_values": {},
            });
            item(&mut w, &mut first, &e)?;
        }
    }
    w.write_all(b"]}},\"resource_changes\":[")?;
    first = true;
    for b in &blocks {
        for i in 0..b.count {
            let (after, unknown) = instance(b, i);
            let after_unknown: serde_json::Map<String, Value> = unknown
                .iter()
                .map(|k| (k.to_string(), Value::Bool(true)))
                .collect();
            let e = json!({
                "address": format!("{}.{}[{i}]", b.rtype, b.name), "mode": "managed",
                "type": b.rtype, "name": b.name, "index": i, "provider_name": PROVIDER,
                "change": { "actions": ["create"], "before": null, "after": after,
                            "after_unknown": after_unknown, "before_sensitive": false,
                            "after_sensitive": {} },
            });
            item(&mut w, &mut first, &e)?;
        }
    }
    w.write_all(b"],\"configuration\":")?;
    let resources: Vec<Value> = blocks
        .iter()
        .map(|b| {
            let expressions: serde_json::Map<String, Value> = b
                .refs
                .iter()
                .map(|(a, r)| (a.to_string(), json!({ "references": r })))
                .collect();
            json!({
                "address": format!("{}.{}", b.rtype, b.name), "mode": "managed",
                "type": b.rtype, "name": b.name, "provider_config_key": "aws",
                "expressions": expressions, "schema_version": 0,
                "count_expression": { "references": b.count_refs },
            })
        })
        .collect();
    let configuration = json!({
        "provider_config": { "aws": { "name": "aws", "full_name": PROVIDER,
            "expressions": { "region": { "constant_value": REGION } } } },
        "root_module": { "resources": resources },
    });
    serde_json::to_writer(&mut w, &configuration).map_err(io::Error::other)?;
    writeln!(
        w,
        ",\"timestamp\":\"{TIMESTAMP}\",\"applyable\":true,\"complete\":true,\"errored\":false}}"
    )?;
    w.flush()
}

fn item<W: Write>(w: &mut W, first: &mut bool, v: &Value) -> io::Result<()> {
    if !std::mem::replace(first, false) {
        w.write_all(b",")?;
    }
    serde_json::to_writer(&mut *w, v).map_err(io::Error::other)
}
