//! Prefix-list routes built from small documents.

use crate::ingest::{self, View};
use crate::model::{Dest, Origin};
use crate::net::Prefix;

fn res(address: &str, values: serde_json::Value) -> serde_json::Value {
    let (mode, rest) = match address.strip_prefix("data.") {
        Some(r) => ("data", r),
        None => ("managed", address),
    };
    let (rtype, name) = rest.split_once('.').unwrap();
    serde_json::json!({"address": address, "mode": mode, "type": rtype, "name": name,
                       "values": values})
}

/// The destinations and origins of the routes of the one route table.
fn routes(resources: Vec<serde_json::Value>) -> Vec<(Dest, Origin)> {
    let doc = serde_json::json!({"format_version": "1.0",
        "values": {"root_module": {"resources": resources}}});
    let bytes = serde_json::to_vec(&doc).unwrap();
    let doc = ingest::parse(&bytes, "state.json").unwrap();
    let built = crate::model::build(&doc, View::Planned);
    let t = &built.model.route_tables[0];
    let mut out: Vec<(Dest, Origin)> = t
        .routes
        .iter()
        .filter(|r| r.origin != Origin::Local)
        .map(|r| (r.dest.clone(), r.origin))
        .collect();
    out.sort_by_key(|(d, _)| format!("{d:?}"));
    out
}

fn cidr(s: &str) -> Dest {
    Dest::Cidr(s.parse::<Prefix>().unwrap())
}

#[test]
fn a_data_source_list_and_entry_resources_expand_the_route() {
    let got = routes(vec![
        res(
            "aws_vpc.a",
            serde_json::json!({"id": "vpc-a", "cidr_block": "10.0.0.0/16"}),
        ),
        res(
            "aws_route_table.a",
            serde_json::json!({"id": "rtb-a", "vpc_id": "vpc-a",
            "route": [{"destination_prefix_list_id": "pl-1", "gateway_id": "igw-1"}]}),
        ),
        res(
            "data.aws_ec2_managed_prefix_list.partners",
            serde_json::json!({"id": "pl-1",
            "entries": [{"cidr": "192.0.2.0/24", "description": ""}]}),
        ),
        res(
            "aws_ec2_managed_prefix_list_entry.extra",
            serde_json::json!({
            "id": "pl-1,198.51.100.0/24", "prefix_list_id": "pl-1",
            "cidr": "198.51.100.0/24"}),
        ),
    ]);
    assert_eq!(
        got,
        vec![
            (cidr("192.0.2.0/24"), Origin::PrefixList),
            (cidr("198.51.100.0/24"), Origin::PrefixList),
        ]
    );
}

#[test]
fn an_entry_that_cannot_be_read_leaves_the_route_unknown() {
    let got = routes(vec![
        res(
            "aws_vpc.a",
            serde_json::json!({"id": "vpc-a", "cidr_block": "10.0.0.0/16"}),
        ),
        res(
            "aws_route_table.a",
            serde_json::json!({"id": "rtb-a", "vpc_id": "vpc-a",
            "route": [{"destination_prefix_list_id": "pl-1", "gateway_id": "igw-1"}]}),
        ),
        res(
            "aws_ec2_managed_prefix_list.p",
            serde_json::json!({"id": "pl-1",
            "entry": [{"cidr": "192.0.2.0/24"}, {"cidr": "not a block"}]}),
        ),
    ]);
    assert_eq!(got.len(), 1);
    assert!(matches!(got[0].0, Dest::Unknown(_)), "{got:?}");
}

#[test]
fn a_list_outside_the_input_stays_a_prefix_list_destination() {
    let got = routes(vec![
        res(
            "aws_vpc.a",
            serde_json::json!({"id": "vpc-a", "cidr_block": "10.0.0.0/16"}),
        ),
        res(
            "aws_route_table.a",
            serde_json::json!({"id": "rtb-a", "vpc_id": "vpc-a",
            "route": [{"destination_prefix_list_id": "pl-9", "gateway_id": "igw-1"}]}),
        ),
        res(
            "aws_ec2_managed_prefix_list.p",
            serde_json::json!({"id": "pl-1",
            "entry": [{"cidr": "192.0.2.0/24"}]}),
        ),
    ]);
    assert_eq!(got, vec![(Dest::PrefixList("pl-9".into()), Origin::Static)]);
}
