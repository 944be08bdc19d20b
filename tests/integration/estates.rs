//! Generated estates (`tools/synth`): the verdict counts the generator
//! derives in closed form are what the analysis reports.

use tfreach::analysis::Options;
use tfreach::ingest::View;
use tfreach_synth::{self as synth, locals, EstateSpec, Mode, Topology};

/// Counted blocks linked through locals: nothing is invented, every pair is
/// unknown, and the only findings are the unresolved links.
#[test]
fn counted_blocks_linked_through_locals_give_unknown_not_invented_errors() {
    let (v, s) = (4, 3);
    let mut buf = Vec::new();
    locals::write_plan(v, s, &mut buf).expect("written");
    let (doc, a) = tfreach::analyze_bytes(&buf, "estate.json", View::Planned, &Options::default())
        .expect("parsed");
    assert_eq!(
        doc.view(View::Planned).resources.len(),
        locals::resource_count(v, s)
    );
    let want = locals::expected_summary(v, s);
    assert_eq!(
        (a.summary.pairs, a.summary.unknown, a.summary.blocked),
        (want.pairs, want.unknown, 0)
    );
    assert!(a
        .findings
        .iter()
        .any(|f| f.code == tfreach::codes::UNRESOLVED_REFERENCE));
    assert!(
        a.findings
            .iter()
            .all(|f| f.severity != tfreach::report::Severity::Error
                && f.code != tfreach::codes::ASSUMED_REFERENCE),
        "{:?}",
        a.findings
    );
}

/// Every topology, with internet or NAT default routes or none, with and
/// without network ACLs and gateway endpoints, steady and greenfield: the
/// analysis reports exactly the generator's expected counts, and no error.
#[test]
fn analysis_reports_the_expected_counts_of_every_generated_topology() {
    let topologies = [
        Topology::None,
        Topology::HubAndSpoke,
        Topology::HubChain,
        Topology::Chain,
        Topology::Mesh { group: 5 },
        Topology::TransitGateway,
        Topology::TgwInspection,
        Topology::TgwSegments { segments: 5 },
    ];
    // (igw, nat, nacls and gateway endpoints)
    let variants = [
        (true, false, false),
        (true, true, false),
        (false, false, false),
        (true, true, true),
    ];
    let mut checked = 0;
    for topology in topologies {
        for mode in [Mode::Steady, Mode::Greenfield] {
            for (igw, nat, extras) in variants {
                let spec = EstateSpec {
                    igw,
                    nat,
                    nacls: extras,
                    gateway_endpoints: extras,
                    ..EstateSpec::new(12, 4, topology, mode, 5)
                };
                check_counts(&spec);
                checked += 1;
            }
        }
    }
    // Larger and odder shapes: several hubs, one or three attachment
    // zones, an inspection VPC whose appliance sits in zone b.
    for spec in [
        EstateSpec::new(103, 2, Topology::HubChain, Mode::Steady, 2),
        EstateSpec::new(103, 2, Topology::HubChain, Mode::Greenfield, 2),
        EstateSpec {
            tgw_zones: 1,
            nat: true,
            ..EstateSpec::new(20, 5, Topology::TransitGateway, Mode::Greenfield, 3)
        },
        EstateSpec {
            tgw_zones: 3,
            ..EstateSpec::new(15, 6, Topology::TgwInspection, Mode::Steady, 3)
        },
        EstateSpec {
            nat: true,
            nacls: true,
            ..EstateSpec::new(30, 5, Topology::TgwInspection, Mode::Greenfield, 4)
        },
        // A route in every VPC to a transit gateway another account shares.
        EstateSpec {
            shared_tgw_route: true,
            ..EstateSpec::new(40, 3, Topology::HubChain, Mode::Steady, 6)
        },
        EstateSpec {
            shared_tgw_route: true,
            nat: true,
            ..EstateSpec::new(40, 3, Topology::HubChain, Mode::Greenfield, 6)
        },
        EstateSpec {
            shared_tgw_route: true,
            nacls: true,
            ..EstateSpec::new(
                24,
                4,
                Topology::TgwSegments { segments: 4 },
                Mode::Steady,
                6,
            )
        },
    ] {
        check_counts(&spec);
        checked += 1;
    }
    assert_eq!(checked, topologies.len() * 2 * variants.len() + 8);
}

fn check_counts(spec: &EstateSpec) {
    let mut buf = Vec::new();
    synth::write_plan(spec, &mut buf).expect("written");
    let (_, a) = tfreach::analyze_bytes(&buf, "estate.json", View::Planned, &Options::default())
        .expect("parsed");
    let json: serde_json::Value = serde_json::from_slice(&buf).expect("JSON");
    assert_eq!(
        json["resource_changes"].as_array().map(Vec::len),
        Some(synth::resource_count(spec)),
        "{spec:?}"
    );
    let want = synth::expected_summary(spec);
    let got = &a.summary;
    assert_eq!(
        (
            got.pairs,
            got.reachable,
            got.one_way,
            got.blocked,
            got.partial,
            got.unknown
        ),
        (
            want.pairs,
            want.reachable,
            want.one_way,
            want.blocked,
            want.partial,
            want.unknown
        ),
        "{spec:?}: (pairs, reachable, one_way, blocked, partial, unknown)"
    );
    let internet = synth::expected_internet(spec).map(|w| {
        (
            w.pairs,
            w.reachable,
            w.one_way,
            w.blocked,
            w.partial,
            w.unknown,
        )
    });
    let e = &a.endpoint_summary;
    let got_internet = (!a.endpoint_list.is_empty()).then_some((
        e.pairs,
        e.reachable,
        e.one_way,
        e.blocked,
        e.partial,
        e.unknown,
    ));
    assert_eq!(got_internet, internet, "{spec:?}: the internet pairs");
    let errors: Vec<_> = a
        .findings
        .iter()
        .filter(|f| f.severity == tfreach::report::Severity::Error)
        .map(|f| format!("{} {}", f.code, f.message))
        .collect();
    assert!(errors.is_empty(), "{spec:?}: {errors:#?}");
}

/// A route made by an `aws_route` resource is also listed in its table's
/// `route` attribute once applied (the refreshed state reads every route of
/// the table). It is one route in the model, the resource's, placed after
/// the table's own routes; the table's other routes keep their order.
#[test]
fn a_route_a_state_also_lists_inline_in_its_table_is_one_route() {
    let mut spec = EstateSpec::new(6, 2, Topology::HubChain, Mode::Steady, 7);
    spec.igw = true;
    let mut buf = Vec::new();
    synth::write_plan(&spec, &mut buf).expect("written");
    let doc = tfreach::ingest::parse(&buf, "estate.json").expect("parsed");
    let listed_inline: usize = doc
        .view(View::Planned)
        .resources
        .iter()
        .filter(|r| r.rtype == "aws_route_table")
        .filter_map(|r| r.values.get("route").and_then(|v| v.as_array()))
        .map(<[_]>::len)
        .sum();
    let standalone = doc
        .view(View::Planned)
        .resources
        .iter()
        .filter(|r| r.rtype == "aws_route")
        .count();
    assert!(standalone > 0 && listed_inline >= standalone);
    let built = tfreach::model::build(&doc, View::Planned);
    let mut routes = 0;
    for t in &built.model.route_tables {
        let mut seen = std::collections::HashSet::new();
        let mut standalone_started = false;
        for r in t
            .routes
            .iter()
            .filter(|r| r.origin == tfreach::model::Origin::Static)
        {
            assert!(
                seen.insert(format!("{:?}", r.dest)),
                "{} twice in {}",
                r.resource,
                t.address
            );
            let own = r.resource == t.address;
            assert!(
                !(own && standalone_started),
                "{} after a route resource",
                t.address
            );
            standalone_started |= !own;
            routes += 1;
        }
    }
    assert_eq!(routes, listed_inline);
}
