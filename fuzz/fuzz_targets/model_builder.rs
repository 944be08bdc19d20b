//! The model builder over structured random documents: resources of the
//! network types tfreach reads, whose IDs, CIDR blocks and references are
//! drawn from small pools so that they link up, with values that are
//! sometimes of the wrong type or not known until apply. Rendered as a
//! state, a plan or a raw state file, then parsed, built and analysed.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Map, Value};
use tfreach::analysis::Options;
use tfreach::ingest::View;

const TYPES: &[&str] = &[
    "aws_vpc",
    "aws_vpc_ipv4_cidr_block_association",
    "aws_subnet",
    "aws_route_table",
    "aws_default_route_table",
    "aws_route",
    "aws_route_table_association",
    "aws_main_route_table_association",
    "aws_vpc_peering_connection",
    "aws_vpc_peering_connection_accepter",
    "aws_internet_gateway",
    "aws_nat_gateway",
    "aws_network_interface",
    "aws_egress_only_internet_gateway",
    "aws_vpn_gateway",
    "aws_ec2_transit_gateway",
    "aws_ec2_transit_gateway_vpc_attachment",
    "aws_ec2_transit_gateway_route_table",
    "aws_ec2_transit_gateway_route",
    "aws_network_acl",
    "aws_network_acl_rule",
    "aws_vpc_endpoint",
    "aws_default_vpc",
    "aws_default_subnet",
];

const ATTRS: &[&str] = &[
    "id",
    "vpc_id",
    "peer_vpc_id",
    "subnet_id",
    "route_table_id",
    "cidr_block",
    "ipv6_cidr_block",
    "destination_cidr_block",
    "destination_ipv6_cidr_block",
    "destination_prefix_list_id",
    "gateway_id",
    "nat_gateway_id",
    "network_interface_id",
    "vpc_peering_connection_id",
    "transit_gateway_id",
    "egress_only_gateway_id",
    "main_route_table_id",
    "default_route_table_id",
    "accept_status",
    "auto_accept",
    "peer_owner_id",
    "peer_region",
    "owner_id",
    "region",
    "availability_zone",
    "route",
    "subnet_ids",
    "assign_generated_ipv6_cidr_block",
    "connectivity_type",
    "ingress",
    "egress",
    "transit_gateway_route_table_id",
    "transit_gateway_attachment_id",
    "blackhole",
];

const IDS: &[&str] = &[
    "vpc-1",
    "vpc-2",
    "subnet-1",
    "subnet-2",
    "rtb-1",
    "rtb-2",
    "pcx-1",
    "igw-1",
    "nat-1",
    "eni-1",
    "tgw-1",
    "tgw-attach-1",
    "tgw-rtb-1",
    "vpce-1",
    "local",
    "",
];

const CIDRS: &[&str] = &[
    "10.0.0.0/16",
    "10.0.1.0/24",
    "10.1.0.0/16",
    "10.1.1.0/24",
    "0.0.0.0/0",
    "10.0.0.0/8",
    "2600:1f18::/56",
    "2600:1f18::/64",
    "::/0",
    "10.0.1.7/24",
    "300.1.1.1/8",
    "not a cidr",
];

#[derive(Arbitrary, Debug)]
enum Val {
    Id(u8),
    Cidr(u8),
    Str(String),
    Bool(bool),
    Int(i64),
    Null,
    Unknown,
    List(Vec<Val>),
    Obj(Vec<(u8, Val)>),
}

#[derive(Arbitrary, Debug)]
struct Res {
    rtype: u8,
    name: u8,
    key: Option<String>,
    module: Option<u8>,
    data: bool,
    attrs: Vec<(u8, Val)>,
    action: u8,
}

#[derive(Arbitrary, Debug)]
struct Doc {
    kind: u8,
    resources: Vec<Res>,
    refs: Vec<(u8, u8, u8)>,
}

fn value(v: &Val, depth: u8, unknown: &mut Value) -> Value {
    match v {
        Val::Id(i) => json!(IDS[*i as usize % IDS.len()]),
        Val::Cidr(i) => json!(CIDRS[*i as usize % CIDRS.len()]),
        Val::Str(s) => json!(s),
        Val::Bool(b) => json!(b),
        Val::Int(i) => json!(i),
        Val::Null => Value::Null,
        Val::Unknown => {
            *unknown = json!(true);
            Value::Null
        }
        Val::List(items) if depth < 4 => {
            let mut u = Vec::new();
            let out = items
                .iter()
                .map(|x| {
                    let mut ux = json!(false);
                    let v = value(x, depth + 1, &mut ux);
                    u.push(ux);
                    v
                })
                .collect();
            *unknown = Value::Array(u);
            Value::Array(out)
        }
        Val::Obj(items) if depth < 4 => {
            let (m, u) = object(items, depth + 1);
            *unknown = u;
            m
        }
        _ => Value::Null,
    }
}

fn object(items: &[(u8, Val)], depth: u8) -> (Value, Value) {
    let mut m = Map::new();
    let mut u = Map::new();
    for (k, v) in items {
        let key = ATTRS[*k as usize % ATTRS.len()];
        let mut uk = json!(false);
        let val = value(v, depth, &mut uk);
        if uk == json!(true) {
            u.insert(key.into(), uk);
        } else {
            m.insert(key.into(), val);
            if uk != json!(false) {
                u.insert(key.into(), uk);
            }
        }
    }
    (Value::Object(m), Value::Object(u))
}

fn address(r: &Res) -> (Option<String>, String, String) {
    let t = TYPES[r.rtype as usize % TYPES.len()];
    let name = format!("n{}", r.name % 4);
    let module = r.module.map(|m| format!("module.m{}", m % 3));
    let mut a = String::new();
    if let Some(m) = &module {
        a.push_str(m);
        a.push('.');
    }
    if r.data {
        a.push_str("data.");
    }
    a.push_str(&format!("{t}.{name}"));
    if let Some(k) = &r.key {
        a.push_str(&format!(
            "[{}]",
            serde_json::to_string(k).unwrap_or_default()
        ));
    }
    (module, t.to_string(), a)
}

fn render(d: &Doc) -> Value {
    let mut values = Vec::new();
    let mut changes = Vec::new();
    let mut raw = Vec::new();
    for r in &d.resources {
        let (module, t, addr) = address(r);
        let (after, unk) = object(&r.attrs, 0);
        let mode = if r.data { "data" } else { "managed" };
        let mut e = json!({"address": addr, "mode": mode, "type": t,
            "name": format!("n{}", r.name % 4), "values": after});
        if let Some(k) = &r.key {
            e["index"] = json!(k);
        }
        values.push(e);
        let actions: &[&str] = match r.action % 5 {
            0 => &["create"],
            1 => &["no-op"],
            2 => &["delete"],
            3 => &["delete", "create"],
            _ => &["update"],
        };
        let mut c = json!({"address": addr, "mode": mode, "type": t,
            "name": format!("n{}", r.name % 4),
            "change": {"actions": actions, "before": after, "after": after, "after_unknown": unk}});
        if let Some(m) = &module {
            c["module_address"] = json!(m);
        }
        changes.push(c);
        raw.push(
            json!({"mode": mode, "type": t, "name": format!("n{}", r.name % 4),
            "module": module, "instances": [{"attributes": after, "index_key": r.key}]}),
        );
    }
    let mut cfg = Vec::new();
    for (i, (a, attr, b)) in d.refs.iter().enumerate() {
        let Some(from) = d.resources.get(*a as usize % d.resources.len().max(1)) else {
            break;
        };
        let Some(to) = d.resources.get(*b as usize % d.resources.len().max(1)) else {
            break;
        };
        let (_, ft, _) = address(from);
        let (_, tt, _) = address(to);
        let target = format!("{tt}.n{}", to.name % 4);
        cfg.push(json!({"address": format!("{ft}.n{}", from.name % 4), "mode": "managed",
            "type": ft, "name": format!("n{}", from.name % 4),
            "expressions": {ATTRS[*attr as usize % ATTRS.len()]:
                {"references": [format!("{target}.id"), target, format!("var.v{i}"), format!("module.m{}.out", i % 3)]}}}));
    }
    let configuration = json!({"root_module": {"resources": cfg,
        "module_calls": {"m0": {"source": "./m", "expressions": {"v": {"references": ["module.m1.out"]}},
            "module": {"outputs": {"out": {"expression": {"references": ["var.v", "module.m0.out"]}}},
                "variables": {"v": {}}}},
            "m1": {"source": "./m", "expressions": {"v": {"references": ["module.m0.out"]}},
            "module": {"outputs": {"out": {"expression": {"references": ["var.v"]}}}}}}}});
    match d.kind % 3 {
        0 => json!({"format_version": "1.0", "values": {"root_module": {"resources": values}}}),
        1 => json!({"format_version": "1.2", "resource_changes": changes,
            "planned_values": {"root_module": {"resources": values}},
            "prior_state": {"format_version": "1.0", "values": {"root_module": {"resources": values}}},
            "configuration": configuration, "variables": {"v0": {"value": "vpc-1"}}}),
        _ => json!({"version": 4, "terraform_version": "1.9.8", "resources": raw}),
    }
}

fuzz_target!(|d: Doc| {
    let bytes = serde_json::to_vec(&render(&d)).expect("serialises");
    if let Ok(doc) = tfreach::ingest::parse(&bytes, "fuzz.json") {
        for view in [View::Planned, View::Prior] {
            let built = tfreach::model::build(&doc, view);
            let _ = tfreach::analysis::analyze(&built.model, built.findings, &Options::default());
        }
    }
});
