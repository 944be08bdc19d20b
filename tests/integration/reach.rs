//! The forwarding graph of VPCs (`graph::reach`): which VPCs a VPC's traffic
//! can be delivered into, through peerings and transit gateway route
//! tables. The class engine counts every pair towards any other VPC
//! `blocked` without a walk, so a closure must never leave out a VPC that a
//! walk could reach, and must not exist where a walk could stop on an
//! unknown: `alike::counts` compares the counts with pair-by-pair
//! evaluation.

use serde_json::{json, Value};
use tfreach::graph::reach::Forwarding;
use tfreach::ingest::{self, View};
use tfreach_synth::{self as synth, EstateSpec, Mode, Topology};

use crate::alike::{add, counts, find, sync_changes, value};

/// Nine VPCs of four subnets on one transit gateway with three route
/// tables: VPC `i` is associated with table `i mod 3` and propagates to it.
fn segmented() -> (EstateSpec, Value) {
    let spec = EstateSpec {
        nacls: true,
        nat: true,
        ..EstateSpec::new(9, 4, Topology::TgwSegments { segments: 3 }, Mode::Steady, 3)
    };
    let mut buf = Vec::new();
    synth::write_plan(&spec, &mut buf).unwrap();
    (spec, serde_json::from_slice(&buf).unwrap())
}

/// Each VPC's closure, by the generator's VPC number, and whether a walk
/// from it may stop on an unknown (`None`: for every destination).
fn closures(plan: &Value) -> Vec<Option<(Vec<usize>, bool)>> {
    let bytes = serde_json::to_vec(plan).unwrap();
    let doc = ingest::parse(&bytes, "plan.json").unwrap();
    let m = tfreach::model::build(&doc, View::Planned).model;
    let number = |v: usize| -> usize {
        let a = &m.vpcs[v].address;
        a["module.vpc[".len()..a.find(']').unwrap()]
            .parse()
            .unwrap()
    };
    let by_model = Forwarding::build(&m).closures();
    let mut out = vec![None; m.vpcs.len()];
    for (v, c) in by_model.into_iter().enumerate() {
        out[number(v)] = c.map(|c| {
            let mut vpcs: Vec<usize> = c.vpcs.iter().map(|&w| number(w)).collect();
            vpcs.sort_unstable();
            (vpcs, !c.unknown.is_empty())
        });
    }
    out
}

#[test]
fn transit_gateway_route_tables_deliver_only_to_the_attachments_they_route_to() {
    let (spec, plan) = segmented();
    let got = closures(&plan);
    for (i, c) in got.iter().enumerate() {
        let segment: Vec<usize> = (0..9).filter(|w| w % 3 == i % 3).collect();
        assert_eq!(c.as_ref(), Some(&(segment, false)), "VPC {i}");
    }
    let (s, _) = counts(&serde_json::to_vec(&plan).unwrap(), "segments");
    let want = synth::expected_summary(&spec);
    assert_eq!(
        (s.pairs, s.reachable, s.one_way, s.blocked, s.unknown),
        (
            want.pairs,
            want.reachable,
            want.one_way,
            want.blocked,
            want.unknown
        )
    );
}

/// Each change adds something a walk may stop on beyond (or on the way
/// into) the transit gateway; the VPCs whose traffic can meet it are told
/// so (for the destinations it concerns, or for all), and the pairs it
/// decides are `unknown`, not `blocked`.
#[test]
fn a_walk_that_may_stop_on_an_unknown_at_a_transit_gateway_is_not_counted_blocked() {
    let (_, plain) = segmented();
    type Change = fn(&mut Value);
    // (what, the change, the VPCs whose walks may stop on it)
    let changes: [(&str, Change, &[usize]); 4] = [
        (
            // Only this subnet's class is open (the class engine checks a
            // source subnet's zone): nothing else stops on it.
            "the zone of a subnet that sends to the transit gateway",
            |p| {
                let s = find(p, "module.vpc[3].aws_subnet.this[2]");
                s["values"]["availability_zone"] = Value::Null;
                s["values"]["availability_zone_id"] = Value::Null;
            },
            &[],
        ),
        (
            "a route to an attachment that is not in the input",
            |p| {
                let block = value(p, "module.vpc[4].aws_vpc.this", "cidr_block");
                let table = value(p, "aws_ec2_transit_gateway_route_table.segment0", "id");
                add(
                    p,
                    "aws_ec2_transit_gateway_route",
                    "elsewhere",
                    json!({"destination_cidr_block": block,
                           "transit_gateway_attachment_id": "tgw-attach-0f00000000000000e",
                           "transit_gateway_route_table_id": table, "blackhole": false}),
                );
            },
            &[0, 3, 6],
        ),
        (
            "an attachment associated with a table that is not in the input",
            |p| {
                let a = find(p, "aws_ec2_transit_gateway_route_table_association.vpc5");
                a["values"]["transit_gateway_route_table_id"] = json!("tgw-rtb-0f00000000000000e");
            },
            &[5],
        ),
        (
            "the zone of an attachment subnet another segment's traffic leaves into",
            |p| {
                let s = find(p, "module.vpc[7].aws_subnet.this[0]");
                s["values"]["availability_zone"] = Value::Null;
                s["values"]["availability_zone_id"] = Value::Null;
            },
            &[1, 4, 7],
        ),
    ];
    for (what, change, open) in changes {
        let mut plan = plain.clone();
        change(&mut plan);
        sync_changes(&mut plan);
        let got = closures(&plan);
        for (i, c) in got.iter().enumerate() {
            let stops = c.as_ref().is_none_or(|c| c.1);
            assert_eq!(stops, open.contains(&i), "{what}: VPC {i}: {c:?}");
        }
        let (s, _) = counts(&serde_json::to_vec(&plan).unwrap(), what);
        assert!(s.unknown > 0, "{what}: {s:?}");
    }
}

/// A route whose target is not in the input stops a walk only for the
/// addresses its prefix holds: the VPC stays closed for every other
/// destination, and the pairs towards the subnets it may hold are walked.
#[test]
fn a_route_to_a_gateway_not_in_the_input_leaves_unknown_only_its_own_prefix() {
    let (_, plain) = segmented();
    let (base, _) = counts(&serde_json::to_vec(&plain).unwrap(), "segments");
    // (where the route goes, whether a subnet of the estate is there)
    for (prefix, holds_subnets) in [("172.16.0.0/12", false), ("vpc4", true)] {
        let mut plan = plain.clone();
        let dest = if prefix == "vpc4" {
            value(&mut plan, "module.vpc[4].aws_vpc.this", "cidr_block")
        } else {
            prefix.to_string()
        };
        let table = value(&mut plan, "module.vpc[2].aws_route_table.this", "id");
        add(
            &mut plan,
            "aws_route",
            "shared_network",
            json!({"route_table_id": table, "destination_cidr_block": dest,
                   "transit_gateway_id": "tgw-0f00000000000000e"}),
        );
        sync_changes(&mut plan);
        let got = closures(&plan);
        let segment: Vec<usize> = vec![2, 5, 8];
        assert_eq!(got[2], Some((segment, true)), "{prefix}");
        assert!(
            got[5].as_ref().is_some_and(|c| !c.1),
            "{prefix}: only VPC 2 routes it"
        );
        let (s, _) = counts(&serde_json::to_vec(&plan).unwrap(), prefix);
        if holds_subnets {
            assert!(s.unknown > 0, "{prefix}: {s:?}");
        } else {
            assert_eq!(s, base, "{prefix}: no subnet is there");
        }
    }
}

/// VPCs whose routes to a transit gateway have one prefix share the work
/// of pushing it through the gateway's tables (the local routes each
/// prefix holds differ from VPC to VPC): on 1,000 VPCs every closure is
/// found within the work the graph allows.
#[test]
fn vpcs_with_one_route_prefix_share_the_push_through_the_transit_gateway() {
    let spec = EstateSpec::new(
        1000,
        1,
        Topology::TgwSegments { segments: 10 },
        Mode::Steady,
        1,
    );
    let mut buf = Vec::new();
    synth::write_plan(&spec, &mut buf).unwrap();
    let got = closures(&serde_json::from_slice(&buf).unwrap());
    for (i, c) in got.iter().enumerate() {
        let segment: Vec<usize> = (0..1000).filter(|w| w % 10 == i % 10).collect();
        assert_eq!(c.as_ref(), Some(&(segment, false)), "VPC {i}");
    }
}
