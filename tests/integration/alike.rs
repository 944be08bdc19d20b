//! Alike VPCs: the class analysis counts the rows of one VPC of each group
//! of VPCs that nothing in the model tells apart. One difference anywhere
//! (in the VPC, or in what other objects say of its addresses) must keep
//! it out of the group, and the counts must always be those of evaluating
//! every VPC's rows, and every pair on its own.

use serde_json::{json, Value};
use tfreach::analysis::alike::alike_vpcs;
use tfreach::analysis::{analyze, evaluate_pair, Detail, Options, Summary};
use tfreach::ingest::{self, View};
use tfreach_synth::{self as synth, EstateSpec, Mode, Topology};

use crate::support::{document, root};

/// Counts with alike VPCs shared, with every VPC's rows, and pair by pair,
/// which must agree; and the groups of alike VPCs, by VPC address.
pub(crate) fn counts(bytes: &[u8], name: &str) -> (Summary, Vec<Vec<String>>) {
    let doc = ingest::parse(bytes, name).unwrap();
    let built = tfreach::model::build(&doc, View::Planned);
    let m = &built.model;
    let a = analyze(m, Vec::new(), &Options::default());
    let shared = a.summary;
    let each = Options {
        each_vpc: true,
        ..Default::default()
    };
    assert_eq!(shared, analyze(m, Vec::new(), &each).summary, "{name}");
    // VPC by VPC counts: rows of alike VPCs taken from one another's, or
    // each evaluated.
    let order = &a.model_index;
    let vpcs = m.vpcs.len();
    let group_of: Vec<usize> = order
        .iter()
        .map(|&s| m.subnets[s].vpc.index().unwrap_or(vpcs))
        .collect();
    let mut alone = a.classes.clone();
    alone.alike.clear();
    assert_eq!(
        a.classes.group_counts(m, order, &group_of, vpcs + 1),
        alone.group_counts(m, order, &group_of, vpcs + 1),
        "{name}: VPC by VPC"
    );
    assert_eq!(
        a.classes.traffic_counts(m, order, &group_of),
        alone.traffic_counts(m, order, &group_of),
        "{name}: VPC pairs that carry traffic"
    );
    let mut brute = Summary::default();
    for s in 0..m.subnets.len() {
        for d in (0..m.subnets.len()).filter(|&d| d != s) {
            brute.add(evaluate_pair(m, s, d, Detail::Outcome).verdict, 1);
        }
    }
    assert_eq!(shared, brute, "{name}: pair by pair");
    let groups = alike_vpcs(m)
        .into_iter()
        .map(|g| g.into_iter().map(|v| m.vpcs[v].address.clone()).collect())
        .collect();
    (shared, groups)
}

fn resources(plan: &mut Value) -> &mut Vec<Value> {
    plan["planned_values"]["root_module"]["resources"]
        .as_array_mut()
        .unwrap()
}

fn modules(plan: &mut Value) -> &mut Vec<Value> {
    plan["planned_values"]["root_module"]["child_modules"]
        .as_array_mut()
        .unwrap()
}

/// The resource `address` of the generated plan (in a VPC module or the root).
pub(crate) fn find<'a>(plan: &'a mut Value, address: &str) -> &'a mut Value {
    let in_root = resources(plan).iter().position(|r| r["address"] == address);
    if let Some(i) = in_root {
        return &mut resources(plan)[i];
    }
    modules(plan)
        .iter_mut()
        .flat_map(|m| m["resources"].as_array_mut().unwrap().iter_mut())
        .find(|r| r["address"] == address)
        .unwrap_or_else(|| panic!("no {address} in the generated plan"))
}

pub(crate) fn value(plan: &mut Value, address: &str, attr: &str) -> String {
    find(plan, address)["values"][attr]
        .as_str()
        .unwrap()
        .to_string()
}

pub(crate) fn add(plan: &mut Value, kind: &str, name: &str, values: Value) {
    resources(plan).push(json!({
        "address": format!("{kind}.{name}"),
        "mode": "managed",
        "type": kind,
        "name": name,
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "schema_version": 0,
        "values": values,
    }));
}

/// Makes `resource_changes` say what `planned_values` now says: the
/// changed values, and the added resources as created.
pub(crate) fn sync_changes(plan: &mut Value) {
    let mut planned: Vec<Value> = resources(plan).clone();
    for m in modules(plan).iter() {
        planned.extend(m["resources"].as_array().unwrap().iter().cloned());
    }
    let changes = plan["resource_changes"].as_array_mut().unwrap();
    for r in planned {
        match changes.iter_mut().find(|c| c["address"] == r["address"]) {
            Some(c) => c["change"]["after"] = r["values"].clone(),
            None => changes.push(json!({
                "address": r["address"],
                "mode": "managed",
                "type": r["type"],
                "name": r["name"],
                "provider_name": r["provider_name"],
                "change": {"actions": ["create"], "before": null, "after": r["values"],
                           "after_unknown": {}},
            })),
        }
    }
}

fn same_group(groups: &[Vec<String>], a: usize, b: usize) -> bool {
    let (a, b) = (
        format!("module.vpc[{a}].aws_vpc.this"),
        format!("module.vpc[{b}].aws_vpc.this"),
    );
    groups.iter().any(|g| g.contains(&a) && g.contains(&b))
}

#[test]
fn vpcs_that_differ_in_one_thing_are_not_counted_alike() {
    let spec = EstateSpec {
        nacls: true,
        ..EstateSpec::new(6, 4, Topology::TransitGateway, Mode::Steady, 3)
    };
    let mut buf = Vec::new();
    synth::write_plan(&spec, &mut buf).unwrap();
    let plain: Value = serde_json::from_slice(&buf).unwrap();
    let (base, groups) = counts(&buf, "unchanged");
    assert!(
        (0..6).all(|v| same_group(&groups, 1, v)),
        "the generated VPCs are alike: {groups:?}"
    );

    type Change = fn(&mut Value);
    let changes: [(&str, Change); 6] = [
        ("a subnet in another zone", |p| {
            let s = find(p, "module.vpc[3].aws_subnet.this[2]");
            s["values"]["availability_zone"] = json!("us-east-1b");
            s["values"]["availability_zone_id"] = json!("use1-az2");
        }),
        ("a transit gateway blackhole for one subnet", |p| {
            let block = value(p, "module.vpc[3].aws_subnet.this[1]", "cidr_block");
            let table = value(
                p,
                "aws_ec2_transit_gateway.this",
                "association_default_route_table_id",
            );
            add(
                p,
                "aws_ec2_transit_gateway_route",
                "cut",
                json!({"destination_cidr_block": block, "blackhole": true,
                       "transit_gateway_route_table_id": table}),
            );
        }),
        ("another VPC's ACL denies one subnet", |p| {
            let block = value(p, "module.vpc[3].aws_subnet.this[1]", "cidr_block");
            let acl = find(p, "module.vpc[0].aws_network_acl.this");
            let rules = acl["values"]["ingress"].as_array_mut().unwrap();
            let mut deny = rules[0].clone();
            deny["action"] = json!("deny");
            deny["cidr_block"] = json!(block);
            deny["rule_no"] = json!(50);
            rules.push(deny);
        }),
        (
            "another VPC routes one VPC's block to its internet gateway",
            |p| {
                let block = value(p, "module.vpc[3].aws_vpc.this", "cidr_block");
                let table = value(p, "module.vpc[0].aws_route_table.this", "id");
                let igw = value(p, "module.vpc[0].aws_internet_gateway.this", "id");
                add(
                    p,
                    "aws_route",
                    "detour",
                    json!({"route_table_id": table, "destination_cidr_block": block,
                       "gateway_id": igw}),
                );
            },
        ),
        ("a route whose prefix holds two VPCs of six", |p| {
            // The generator's VPC blocks are consecutive /20s: a /19 holds
            // two of them.
            let block = value(p, "module.vpc[2].aws_vpc.this", "cidr_block");
            let start = block.split('/').next().unwrap().to_string();
            let table = value(p, "module.vpc[0].aws_route_table.this", "id");
            let igw = value(p, "module.vpc[0].aws_internet_gateway.this", "id");
            add(
                p,
                "aws_route",
                "pair",
                json!({"route_table_id": table, "destination_cidr_block": format!("{start}/19"),
                       "gateway_id": igw}),
            );
        }),
        (
            "one VPC's own table routes another VPC's block elsewhere",
            |p| {
                let block = value(p, "module.vpc[5].aws_vpc.this", "cidr_block");
                let table = value(p, "module.vpc[3].aws_route_table.this", "id");
                let igw = value(p, "module.vpc[3].aws_internet_gateway.this", "id");
                add(
                    p,
                    "aws_route",
                    "own",
                    json!({"route_table_id": table, "destination_cidr_block": block,
                       "gateway_id": igw}),
                );
            },
        ),
    ];
    let mut differed = 0;
    for (what, change) in changes {
        let mut plan = plain.clone();
        change(&mut plan);
        sync_changes(&mut plan);
        let bytes = serde_json::to_vec(&plan).unwrap();
        let (s, groups) = counts(&bytes, what);
        differed += usize::from(s != base);
        // VPC 3 (VPC 2 or 3 for the /19) stands apart from VPC 1 now.
        let touched = if what.contains("two VPCs") { 2 } else { 3 };
        assert!(!same_group(&groups, 1, touched), "{what}: {groups:?}");
        assert!(same_group(&groups, 1, 4), "{what}: the others stay alike");
    }
    assert!(differed >= 4, "most changes change verdicts: {differed}");
}

/// On every rule fixture and the real plans, sharing the rows of alike
/// VPCs gives the counts of evaluating each VPC's rows.
#[test]
fn alike_vpcs_count_as_each_vpc_on_every_fixture() {
    let mut files: Vec<_> = std::fs::read_dir(root().join("fixtures/rules"))
        .unwrap()
        .map(|e| document(&e.unwrap().path()))
        .collect();
    files.push(document(&root().join("fixtures/example")));
    for e in std::fs::read_dir(root().join("fixtures/real")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "json") {
            files.push(p);
        }
    }
    let mut grouped = 0;
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let Ok(doc) = ingest::parse(&bytes, &f.display().to_string()) else {
            continue;
        };
        for view in [View::Planned, View::Prior] {
            let built = tfreach::model::build(&doc, view);
            let m = &built.model;
            let each = Options {
                each_vpc: true,
                ..Default::default()
            };
            let a = analyze(m, Vec::new(), &Options::default()).summary;
            assert_eq!(a, analyze(m, Vec::new(), &each).summary, "{}", f.display());
            grouped += alike_vpcs(m).len();
        }
    }
    assert!(files.len() > 100, "{}", files.len());
    assert!(grouped > 0, "some fixture has alike VPCs");
}
