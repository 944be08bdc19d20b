//! The floor any analyzer of a plan must pay: read the file and parse the
//! planned resources' addresses and network attributes with a typed,
//! borrowing serde parse (no whole-document tree). `benches/scale.sh`
//! compares tfreach's time with this.
//!
//! ```text
//! cargo run --release --example floor -- plan.json
//! ```

use std::borrow::Cow;

use serde::Deserialize;

#[derive(Deserialize)]
struct Plan<'a> {
    #[serde(borrow)]
    resource_changes: Vec<Change<'a>>,
}

#[derive(Deserialize)]
struct Change<'a> {
    #[serde(borrow)]
    address: Cow<'a, str>,
    #[serde(rename = "type", borrow)]
    rtype: Cow<'a, str>,
    #[serde(borrow)]
    change: Inner<'a>,
}

#[derive(Deserialize)]
struct Inner<'a> {
    #[serde(borrow)]
    after: Option<Attrs<'a>>,
}

/// The attributes reachability reads, borrowed from the input.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Attrs<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    vpc_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    cidr_block: Option<Cow<'a, str>>,
    #[serde(borrow)]
    subnet_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    route_table_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    peer_vpc_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    destination_cidr_block: Option<Cow<'a, str>>,
    #[serde(borrow)]
    gateway_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    vpc_peering_connection_id: Option<Cow<'a, str>>,
}

fn main() {
    let path = std::env::args().nth(1).expect("usage: floor PLAN.json");
    let bytes = std::fs::read(&path).expect("read");
    let plan: Plan = serde_json::from_slice(&bytes).expect("parse");
    let mut with_cidr = 0usize;
    let mut bytes_of_names = 0usize;
    for c in &plan.resource_changes {
        bytes_of_names += c.address.len() + c.rtype.len();
        if let Some(a) = &c.change.after {
            with_cidr +=
                a.cidr_block.is_some() as usize + a.destination_cidr_block.is_some() as usize;
            bytes_of_names += [
                &a.id,
                &a.vpc_id,
                &a.subnet_id,
                &a.route_table_id,
                &a.peer_vpc_id,
                &a.gateway_id,
                &a.vpc_peering_connection_id,
            ]
            .iter()
            .filter_map(|x| x.as_ref().map(|s| s.len()))
            .sum::<usize>();
        }
    }
    println!(
        "{} resources, {with_cidr} CIDR attributes, {bytes_of_names} bytes of names",
        plan.resource_changes.len()
    );
}
