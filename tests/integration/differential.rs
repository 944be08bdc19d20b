//! Differential tests: the engine against the reference model
//! (`reference.rs`) on random networks (`topology.rs`), rendered as the
//! `terraform show -json` of a state or a plan and read through the public
//! API. Every ordered pair's verdict must match, and TRANSITIVE_PEERING
//! must be raised on exactly the routes where the reference sees a packet
//! sent into a peering towards a third VPC's block.
//!
//! The runs use a fixed seed, so CI is repeatable; a failure prints the
//! seed, the shrunk network and where its document was written. To explore
//! further: `TFREACH_PROPTEST_SEED=<n> TFREACH_PROPTEST_CASES=<n> cargo test
//! differential`. A failing network becomes a named test at the end of this
//! file.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};
use tfreach::analysis::{Analysis, Options};
use tfreach::ingest::View;

use crate::reference;
use crate::topology::{self, Naming, Shapes, Topology};

/// The seed CI uses.
const SEED: u64 = 0x7f_2e_a6;

/// Runs `test` on `cases` values of `strategy`, shrinking a failure to a
/// small case and reporting it with the seed.
pub fn run<S>(
    name: &str,
    cases: u32,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) where
    S: Strategy,
    S::Value: Debug,
{
    let seed = std::env::var("TFREACH_PROPTEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(SEED);
    let cases = std::env::var("TFREACH_PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(cases);
    let config = Config {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        max_shrink_iters: 4096,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    if let Err(e) = runner.run(&strategy, test) {
        panic!(
            "{name}: {e}\nseed {seed} (rerun with TFREACH_PROPTEST_SEED={seed}); the last \
             failing document is {}",
            failure_path(name).display()
        );
    }
}

fn failure_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("tfreach-{name}.json"))
}

/// Verdicts by (source, destination) subnet index of the topology, with the
/// engine's reasons.
pub type Matrix = BTreeMap<(usize, usize), (String, Vec<String>)>;

/// The kind of document a network is rendered as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Doc {
    /// `terraform show -json` of a state.
    State,
    /// `terraform show -json` of a plan whose VPCs (and everything else)
    /// already exist.
    Plan,
    /// A raw `terraform.tfstate`.
    RawState,
}

/// Renders a network, analyses it through the public API, and returns the
/// rendered form, the document and the analysis.
pub fn analyse(
    t: &Topology,
    naming: &Naming,
    plan: bool,
    view: View,
) -> Result<(topology::Rendered, Vec<u8>, Analysis), String> {
    analyse_doc(t, naming, if plan { Doc::Plan } else { Doc::State }, view)
}

/// [`analyse`] for any kind of document.
pub fn analyse_doc(
    t: &Topology,
    naming: &Naming,
    kind: Doc,
    view: View,
) -> Result<(topology::Rendered, Vec<u8>, Analysis), String> {
    let r = t.render(naming);
    let doc = match kind {
        Doc::State => r.state(),
        Doc::Plan => r.plan(),
        Doc::RawState => r.raw_state(),
    };
    let bytes = serde_json::to_vec_pretty(&doc).expect("a document serialises");
    let (_, a) = tfreach::analyze_bytes(&bytes, "generated.json", view, &Options::default())
        .map_err(|e| format!("the engine rejected the document: {e}"))?;
    Ok((r, bytes, a))
}

/// The engine's verdicts, keyed by topology subnet index.
pub fn matrix(r: &topology::Rendered, a: &Analysis) -> Result<Matrix, String> {
    let index: BTreeMap<&str, usize> = r
        .subnet_addr
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    if a.subnets.len() != index.len() {
        return Err(format!(
            "the engine lists {} subnets, the network has {}",
            a.subnets.len(),
            index.len()
        ));
    }
    let mut out = Matrix::new();
    for p in &a.pairs {
        let from = &a.subnets[p.from].address;
        let to = &a.subnets[p.to].address;
        let (Some(&s), Some(&d)) = (index.get(from.as_str()), index.get(to.as_str())) else {
            return Err(format!(
                "the engine names a subnet the network lacks: {from} or {to}"
            ));
        };
        let reasons = p
            .reasons
            .iter()
            .map(|r| format!("{:?} {}: {}", r.direction, r.code, r.message))
            .collect();
        out.insert((s, d), (p.verdict.as_str().to_string(), reasons));
    }
    Ok(out)
}

/// Compares the engine with the reference on one network; the error lists
/// every disagreement.
pub fn compare(t: &Topology, naming: &Naming, plan: bool, view: View) -> Result<(), String> {
    compare_doc(t, naming, if plan { Doc::Plan } else { Doc::State }, view)
}

/// [`compare`] for any kind of document.
pub fn compare_doc(t: &Topology, naming: &Naming, kind: Doc, view: View) -> Result<(), String> {
    let (r, bytes, a) = analyse_doc(t, naming, kind, view)?;
    let mut problems = Vec::new();
    let m = matrix(&r, &a)?;
    let n = t.subnets.len();
    if m.len() != n * n.saturating_sub(1) {
        problems.push(format!(
            "{} pairs, expected {}",
            m.len(),
            n * n.saturating_sub(1)
        ));
    }
    // The summary is counted on the class analysis's outcome-only path
    // (which decides some destinations without walking them): it must
    // count exactly the listed verdicts.
    let mut listed = tfreach::analysis::Summary::default();
    for p in &a.pairs {
        listed.add(p.verdict, 1);
    }
    if listed != a.summary {
        problems.push(format!(
            "summary {:?}, but the listed pairs count {listed:?}",
            a.summary
        ));
    }
    for ((s, d), (got, reasons)) in &m {
        let want = reference::verdict(t, *s, *d);
        if got != want {
            problems.push(format!(
                "{} -> {} (subnets {s} -> {d}): engine {got}, reference {want}; engine reasons: {reasons:#?}",
                r.subnet_addr[*s], r.subnet_addr[*d]
            ));
        }
    }
    let addrs = |set: BTreeSet<(usize, usize)>| -> BTreeSet<String> {
        set.into_iter()
            .map(|(ti, ri)| r.route_addr[ti][ri].clone())
            .collect()
    };
    // Issue 10, 3: transitive only towards a VPC the peer is peered with.
    let want = addrs(reference::transitive_routes(t));
    let got = resources_of(&a, tfreach::codes::TRANSITIVE_PEERING);
    if want != got {
        problems.push(format!(
            "TRANSITIVE_PEERING: engine only {:?}, reference only {:?}",
            got.difference(&want).collect::<Vec<_>>(),
            want.difference(&got).collect::<Vec<_>>()
        ));
    }
    // Issue 10, 2: every route AWS refuses is an error finding, and
    // nothing else is.
    let want = addrs(reference::refused_routes(t));
    let got = resources_of(&a, tfreach::codes::REFUSED_BY_AWS);
    if want != got {
        problems.push(format!(
            "REFUSED_BY_AWS: engine only {:?}, reference only {:?}",
            got.difference(&want).collect::<Vec<_>>(),
            want.difference(&got).collect::<Vec<_>>()
        ));
    }
    // Issue 10, 1: one assumption per VPC whose main table, not in the
    // input, routes some subnet.
    let want: BTreeSet<String> = reference::assumed_main_tables(t)
        .into_iter()
        .map(|v| r.vpc_addr[v].clone())
        .collect();
    let assumed: Vec<&str> = a
        .findings
        .iter()
        .filter(|f| f.code == tfreach::codes::ASSUMED_MAIN_ROUTE_TABLE)
        .map(|f| f.resource.as_str())
        .collect();
    let got: BTreeSet<String> = assumed.iter().map(|s| s.to_string()).collect();
    if want != got || assumed.len() != got.len() {
        problems.push(format!(
            "ASSUMED_MAIN_ROUTE_TABLE: engine {assumed:?}, reference {want:?} (once each)"
        ));
    }
    if problems.is_empty() {
        return Ok(());
    }
    let _ = std::fs::write(failure_path("differential"), &bytes);
    Err(format!(
        "{kind:?} ({view:?} view):\n{}\n\nnetwork:\n{}",
        problems.join("\n"),
        topology::describe(t)
    ))
}

/// The resources the engine reports a finding of `code` on.
fn resources_of(a: &Analysis, code: &str) -> BTreeSet<String> {
    a.findings
        .iter()
        .filter(|f| f.code == code)
        .map(|f| f.resource.clone())
        .collect()
}

pub fn naming() -> impl Strategy<Value = Naming> {
    (0u32..1000, any::<bool>(), any::<bool>()).prop_map(|(salt, modules, odd_keys)| Naming {
        salt,
        modules,
        odd_keys,
    })
}

#[test]
fn engine_agrees_with_reference_on_random_states() {
    run(
        "differential",
        1000,
        (topology::topology(5), naming()),
        |(t, n)| compare(&t, &n, false, View::Planned).map_err(TestCaseError::fail),
    );
}

#[test]
fn engine_agrees_with_reference_on_random_plans_in_both_views() {
    run(
        "differential",
        200,
        (topology::topology(4), naming()),
        |(t, n)| {
            compare(&t, &n, true, View::Planned).map_err(TestCaseError::fail)?;
            compare(&t, &n, true, View::Prior).map_err(TestCaseError::fail)
        },
    );
}

/// The shapes of issue 10, each on states, plans (both views) and raw
/// state files.
fn shapes_differential(name: &str, cases: u32, max_vpcs: usize, shapes: Shapes) {
    let kinds = prop_oneof![
        Just((Doc::State, View::Planned)),
        Just((Doc::Plan, View::Planned)),
        Just((Doc::Plan, View::Prior)),
        Just((Doc::RawState, View::Planned)),
    ];
    run(
        name,
        cases,
        (topology::topology_with(max_vpcs, shapes), naming(), kinds),
        |(t, n, (kind, view))| compare_doc(&t, &n, kind, view).map_err(TestCaseError::fail),
    );
}

/// Issue 10, 1: main tables that the input does not hold (AWS created them
/// with the local routes only), with subnets that use them.
#[test]
fn engine_agrees_with_reference_on_main_tables_not_in_the_input() {
    let shapes = Shapes {
        unmanaged_main: true,
        ..Shapes::default()
    };
    shapes_differential("differential-main", 300, 4, shapes);
}

/// Issue 10, 2: routes inside a VPC's own blocks to every kind of
/// middlebox, for whole subnets and whole blocks (the routes AWS accepts).
#[test]
fn engine_agrees_with_reference_on_middlebox_routes_inside_own_blocks() {
    let shapes = Shapes {
        inside_routes: true,
        ..Shapes::default()
    };
    shapes_differential("differential-middlebox", 300, 4, shapes);
}

/// Issue 10, 2: routes inside a VPC's own blocks with every kind of
/// target, AWS refusing all but whole-subnet or whole-block middlebox
/// routes.
#[test]
fn engine_agrees_with_reference_on_routes_aws_refuses_inside_own_blocks() {
    let shapes = Shapes {
        inside_routes: true,
        refused_routes: true,
        ..Shapes::default()
    };
    shapes_differential("differential-refused", 300, 4, shapes);
}

/// Issue 10, 3: most VPCs reuse the same blocks.
#[test]
fn engine_agrees_with_reference_on_reused_blocks() {
    let shapes = Shapes {
        reuse: true,
        ..Shapes::default()
    };
    shapes_differential("differential-reuse", 300, 5, shapes);
}

/// Issue 10, 6: private NAT gateways whose traffic reaches other VPCs, and
/// NAT gateways as middleboxes inside their own VPC. (Agrees with the engine
/// of branch nat-pl-appliance, commit 8d48586, on 3,000 cases.)
#[test]
fn engine_agrees_with_reference_on_private_nat_gateways() {
    let shapes = Shapes {
        private_nat: true,
        inside_routes: true,
        reuse: true,
        ..Shapes::default()
    };
    shapes_differential("differential-nat", 300, 4, shapes);
}

/// All the shapes of issue 10 at once.
#[test]
fn engine_agrees_with_reference_on_all_shapes_together() {
    shapes_differential("differential-all", 300, 5, Shapes::ALL);
}

/// The reference's samples must stand for every address: on networks
/// whose subnets are small enough to list, the verdict from the samples
/// equals the verdict from every address pair.
#[test]
fn reference_samples_stand_for_every_address() {
    run("reference-samples", 60, topology::small_topology(3), |t| {
        for s in 0..t.subnets.len() {
            for d in 0..t.subnets.len() {
                if s == d {
                    continue;
                }
                let (a, b) = (
                    reference::verdict(&t, s, d),
                    reference::verdict_exhaustive(&t, s, d),
                );
                prop_assert_eq!(a, b, "subnets {} -> {}\n{}", s, d, topology::describe(&t));
            }
        }
        Ok(())
    });
}

// ---------------------------------------------------------------------------
// Disagreements found on the way, each kept as a named test.

use crate::topology::{Peering, Route, Status, Style, Subnet, Table, Target, Vpc};

fn vpc(v4: Vec<topology::Net>, account: u8, default_table: usize, default_managed: bool) -> Vpc {
    Vpc {
        v4,
        v6: None,
        account,
        default_table,
        default_managed,
        main_assoc: None,
        main_id_refreshed: false,
    }
}

/// Found by the differential test against the engine of commit c7ef1d8
/// (already fixed in 37c7465, independently): a route in VPC 1 sends
/// 10.1.0.0/16 into a peering with VPC 0 that is pending acceptance by
/// another account, so whether the peering will carry traffic cannot be
/// told. But 10.1.0.0/16 is VPC 2's block, not VPC 0's: AWS drops the
/// traffic at the peering whatever its state (peering is not transitive),
/// so the pair is `blocked`, not `unknown`.
#[test]
fn a_certain_drop_beyond_an_undetermined_peering_is_blocked_not_unknown() {
    let t = Topology {
        vpcs: vec![
            vpc(vec![topology::Net::v4(10, 0, 0, 0, 16)], 1, 0, false),
            vpc(vec![topology::Net::v4(10, 3, 0, 0, 16)], 0, 1, true),
            vpc(vec![topology::Net::v4(10, 1, 0, 0, 16)], 0, 2, true),
        ],
        subnets: vec![
            Subnet {
                vpc: 2,
                v4: topology::Net::v4(10, 1, 0, 0, 18),
                v6: None,
                table: None,
            },
            Subnet {
                vpc: 1,
                v4: topology::Net::v4(10, 3, 0, 0, 18),
                v6: None,
                table: None,
            },
        ],
        tables: vec![
            Table {
                vpc: 0,
                routes: vec![],
            },
            Table {
                vpc: 1,
                routes: vec![Route {
                    dest: topology::Net::v4(10, 1, 0, 0, 16),
                    target: Target::Peering(0),
                    style: Style::Inline,
                }],
            },
            Table {
                vpc: 2,
                routes: vec![],
            },
        ],
        peerings: vec![Peering {
            requester: 1,
            accepter: 0,
            status: Status::PendingAcceptance,
            accepter_resource: false,
        }],
        gateways: vec![],
    };
    assert_eq!(reference::verdict(&t, 1, 0), "blocked");
    compare(&t, &Naming::default(), false, View::Planned).unwrap_or_else(|e| panic!("{e}"));
}

/// Runs a hand-written state through the public API and returns the
/// verdict of `from` -> `to`.
fn verdict_of(doc: &serde_json::Value, from: &str, to: &str) -> String {
    let bytes = serde_json::to_vec(doc).expect("serialises");
    let (_, a) = tfreach::analyze_bytes(&bytes, "state.json", View::Planned, &Options::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let p = a
        .pairs
        .iter()
        .find(|p| a.subnets[p.from].address == from && a.subnets[p.to].address == to)
        .expect("the pair is listed");
    p.verdict.as_str().to_string()
}

fn res(address: &str, values: serde_json::Value) -> serde_json::Value {
    let (mode, rest) = match address.strip_prefix("data.") {
        Some(r) => ("data", r),
        None => ("managed", address),
    };
    let mut parts = rest.splitn(2, '.');
    let rtype = parts.next().unwrap_or_default();
    let name = parts.next().unwrap_or_default();
    serde_json::json!({"address": address, "mode": mode, "type": rtype, "name": name,
                       "values": values})
}

/// A state (or a data source) shows a VPC's IPv6 block as a known value;
/// every route table of the VPC then holds a `local` route for it (SPEC
/// B.1.2), so two dual-stack subnets of one VPC reach each other over IPv6
/// too. The engine reads a VPC's `ipv6_cidr_block` only when
/// `assign_generated_ipv6_cidr_block` is true or a pool is named
/// (src/model/build.rs, `vpcs()`, the `cidr_will_exist` guard), so a known
/// block of a data source, or of a VPC whose block came another way, is
/// dropped and the pair is `partial`.
#[test]
fn a_known_ipv6_block_of_a_vpc_gets_its_local_route() {
    for vpc in [
        res(
            "data.aws_vpc.shared",
            serde_json::json!({"id": "vpc-1", "cidr_block": "10.0.0.0/16",
            "ipv6_cidr_block": "2600:1f18::/56", "main_route_table_id": "rtb-1"}),
        ),
        res(
            "aws_vpc.shared",
            serde_json::json!({"id": "vpc-1", "cidr_block": "10.0.0.0/16",
            "ipv6_cidr_block": "2600:1f18::/56", "assign_generated_ipv6_cidr_block": false,
            "ipv6_ipam_pool_id": "", "main_route_table_id": "rtb-1"}),
        ),
    ] {
        let doc = serde_json::json!({"format_version": "1.0", "values": {"root_module": {"resources": [
            vpc,
            res("aws_route_table.rt", serde_json::json!({"id": "rtb-2", "vpc_id": "vpc-1", "route": []})),
            res("aws_subnet.a", serde_json::json!({"id": "subnet-a", "vpc_id": "vpc-1",
                "cidr_block": "10.0.1.0/24", "ipv6_cidr_block": "2600:1f18:0:1::/64"})),
            res("aws_subnet.b", serde_json::json!({"id": "subnet-b", "vpc_id": "vpc-1",
                "cidr_block": "10.0.2.0/24", "ipv6_cidr_block": "2600:1f18:0:2::/64"})),
            res("aws_route_table_association.a", serde_json::json!({"id": "rtbassoc-a",
                "subnet_id": "subnet-a", "route_table_id": "rtb-2"})),
            res("aws_route_table_association.b", serde_json::json!({"id": "rtbassoc-b",
                "subnet_id": "subnet-b", "route_table_id": "rtb-2"})),
        ]}}});
        assert_eq!(
            verdict_of(&doc, "aws_subnet.a", "aws_subnet.b"),
            "reachable"
        );
    }
}

/// A private NAT gateway translates the source address to its own (SPEC
/// B.8, step 3: "For NAT: source becomes NAT IP (private NAT)"), so the
/// replies come back to the NAT gateway's address, not to the client's.
/// Here VPC B routes back only the NAT gateway's subnet: the round trip
/// works in AWS, and the engine walks the reply to the NAT gateway's
/// address and from there to the client. (The random networks keep NAT
/// gateways in subnets that lead only to the internet, where this makes no
/// difference.)
#[test]
fn replies_to_traffic_through_a_private_nat_gateway_return_to_its_address() {
    let doc = serde_json::json!({"format_version": "1.0", "values": {"root_module": {"resources": [
        res("aws_vpc.a", serde_json::json!({"id": "vpc-a", "cidr_block": "10.0.0.0/16",
            "main_route_table_id": "rtb-amain"})),
        res("aws_vpc.b", serde_json::json!({"id": "vpc-b", "cidr_block": "10.1.0.0/16",
            "main_route_table_id": "rtb-bmain"})),
        res("aws_subnet.client", serde_json::json!({"id": "subnet-c", "vpc_id": "vpc-a",
            "cidr_block": "10.0.1.0/24"})),
        res("aws_subnet.nat", serde_json::json!({"id": "subnet-n", "vpc_id": "vpc-a",
            "cidr_block": "10.0.2.0/24"})),
        res("aws_subnet.server", serde_json::json!({"id": "subnet-s", "vpc_id": "vpc-b",
            "cidr_block": "10.1.1.0/24"})),
        res("aws_nat_gateway.n", serde_json::json!({"id": "nat-1", "subnet_id": "subnet-n",
            "connectivity_type": "private", "private_ip": "10.0.2.5"})),
        res("aws_vpc_peering_connection.ab", serde_json::json!({"id": "pcx-1", "vpc_id": "vpc-a",
            "peer_vpc_id": "vpc-b", "auto_accept": true, "accept_status": "active"})),
        res("aws_route_table.client", serde_json::json!({"id": "rtb-c", "vpc_id": "vpc-a",
            "route": [{"cidr_block": "10.1.0.0/16", "nat_gateway_id": "nat-1"}]})),
        res("aws_route_table.nat", serde_json::json!({"id": "rtb-n", "vpc_id": "vpc-a",
            "route": [{"cidr_block": "10.1.0.0/16", "vpc_peering_connection_id": "pcx-1"}]})),
        res("aws_route_table.server", serde_json::json!({"id": "rtb-s", "vpc_id": "vpc-b",
            "route": [{"cidr_block": "10.0.2.0/24", "vpc_peering_connection_id": "pcx-1"}]})),
        res("aws_route_table_association.c", serde_json::json!({"id": "a1", "subnet_id": "subnet-c",
            "route_table_id": "rtb-c"})),
        res("aws_route_table_association.n", serde_json::json!({"id": "a2", "subnet_id": "subnet-n",
            "route_table_id": "rtb-n"})),
        res("aws_route_table_association.s", serde_json::json!({"id": "a3", "subnet_id": "subnet-s",
            "route_table_id": "rtb-s"})),
    ]}}});
    assert_eq!(
        verdict_of(&doc, "aws_subnet.client", "aws_subnet.server"),
        "reachable"
    );
}

// ---------------------------------------------------------------------------
// Issue 10: the smallest networks of each shape on which the engine and the
// reference disagreed, checked on every kind of document.

use crate::topology::{Gateway, GwKind, Net};

/// Compares the engine with the reference on a state, a plan (both views)
/// and a raw state file of `t`.
fn compare_everywhere(t: &Topology) {
    for (kind, view) in [
        (Doc::State, View::Planned),
        (Doc::Plan, View::Planned),
        (Doc::Plan, View::Prior),
        (Doc::RawState, View::Planned),
    ] {
        compare_doc(t, &Naming::default(), kind, view).unwrap_or_else(|e| panic!("{e}"));
    }
}

fn subnet(vpc: usize, v4: Net, table: Option<usize>) -> Subnet {
    Subnet {
        vpc,
        v4,
        v6: None,
        table,
    }
}

fn table(vpc: usize, routes: &[(Net, Target)]) -> Table {
    Table {
        vpc,
        routes: routes
            .iter()
            .map(|&(dest, target)| Route {
                dest,
                target,
                style: Style::Inline,
            })
            .collect(),
    }
}

/// One VPC (10.0.0.0/16) whose main table is not in the input, with two
/// subnets that have no association: AWS created that table with the
/// `local` route only, so they reach each other. Found by the differential
/// test: the engine said `unknown` ("route table ... is not in the input").
#[test]
fn a_main_table_not_in_the_input_holds_the_local_routes() {
    let t = Topology {
        vpcs: vec![vpc(vec![Net::v4(10, 0, 0, 0, 16)], 0, 0, false)],
        subnets: vec![
            subnet(0, Net::v4(10, 0, 128, 0, 20), None),
            subnet(0, Net::v4(10, 0, 192, 0, 18), None),
        ],
        tables: vec![table(0, &[])],
        peerings: vec![],
        gateways: vec![],
    };
    assert_eq!(reference::verdict(&t, 0, 1), "reachable");
    compare_everywhere(&t);
}

/// Subnet 0's block (10.0.128.0/20) routed, in the VPC's main table, to a
/// target AWS refuses inside the VPC's own blocks (transit, internet, VPN
/// gateway, gateway endpoint, peering), and an appliance route narrower
/// than a block that matches no subnet: apply fails for the route, so the
/// `local` route keeps the range and the two subnets reach each other.
/// Found by the differential test: the engine walked the route (`blocked`
/// into the transit gateway, `one_way` back).
#[test]
fn a_route_aws_refuses_inside_the_vpc_leaves_the_local_route() {
    let gateways = vec![
        Gateway {
            vpc: 0,
            kind: GwKind::TransitGateway,
        },
        Gateway {
            vpc: 0,
            kind: GwKind::Internet,
        },
        Gateway {
            vpc: 0,
            kind: GwKind::Vpn,
        },
        Gateway {
            vpc: 0,
            kind: GwKind::GatewayEndpoint,
        },
        Gateway {
            vpc: 0,
            kind: GwKind::Eni { subnet: 2 },
        },
    ];
    let sub = Net::v4(10, 0, 128, 0, 20);
    let routes = [
        (sub, Target::Gateway(0)),
        (sub, Target::Gateway(1)),
        (sub, Target::Gateway(2)),
        (sub, Target::Gateway(3)),
        (sub, Target::Peering(0)),
        (Net::v4(10, 0, 128, 0, 21), Target::Gateway(4)),
    ];
    for route in routes {
        let t = Topology {
            vpcs: vec![
                vpc(vec![Net::v4(10, 0, 0, 0, 16)], 0, 0, true),
                vpc(vec![Net::v4(10, 1, 0, 0, 16)], 0, 1, true),
            ],
            subnets: vec![
                subnet(0, sub, None),
                subnet(0, Net::v4(10, 0, 192, 0, 18), None),
                subnet(0, Net::v4(10, 0, 0, 0, 24), Some(2)),
            ],
            tables: vec![table(0, &[route]), table(1, &[]), table(0, &[])],
            peerings: vec![Peering {
                requester: 0,
                accepter: 1,
                status: Status::Active,
                accepter_resource: false,
            }],
            gateways: gateways.clone(),
        };
        assert!(reference::refused(&t, 0, 0), "{route:?}");
        assert_eq!(reference::verdict(&t, 0, 1), "reachable", "{route:?}");
        compare_everywhere(&t);
    }
}

/// A client in VPC 1 (10.1.192.0/20) reaches VPC 0 through a private NAT
/// gateway in 10.1.0.0/18, whose table sends 10.0.0.0/16 into the peering;
/// VPC 0 routes back only the NAT's subnet (10.1.0.0/18). The replies go to
/// the NAT's address, so the round trip works. Found by the differential
/// test: the engine said `one_way` ("no route that matches 10.1.192.0/20").
#[test]
fn replies_through_a_private_nat_gateway_follow_the_nat_address() {
    let t = Topology {
        vpcs: vec![
            vpc(vec![Net::v4(10, 0, 0, 0, 16)], 0, 0, true),
            vpc(vec![Net::v4(10, 1, 0, 0, 16)], 0, 1, true),
        ],
        subnets: vec![
            subnet(1, Net::v4(10, 1, 192, 0, 20), None),
            subnet(0, Net::v4(10, 0, 224, 0, 19), None),
            subnet(1, Net::v4(10, 1, 0, 0, 18), Some(2)),
        ],
        tables: vec![
            table(0, &[(Net::v4(10, 1, 0, 0, 18), Target::Peering(0))]),
            table(1, &[(Net::v4(10, 0, 0, 0, 16), Target::Gateway(0))]),
            table(1, &[(Net::v4(10, 0, 0, 0, 16), Target::Peering(0))]),
        ],
        peerings: vec![Peering {
            requester: 0,
            accepter: 1,
            status: Status::Active,
            accepter_resource: false,
        }],
        gateways: vec![Gateway {
            vpc: 1,
            kind: GwKind::Nat {
                subnet: 2,
                private: true,
            },
        }],
    };
    assert_eq!(reference::verdict(&t, 0, 1), "reachable");
    compare_everywhere(&t);
}

/// Issue 10, 5: in a greenfield plan whose counted blocks are linked
/// through a local (`aws_vpc.vpc[local.layout[count.index].vpc].id`), the
/// plan does not say which instance a link names. Whatever the engine
/// makes of it, a verdict is `unknown` or the network's real one (the
/// reference's, on the network the layout describes), and it reports no
/// error the real network does not have: no overlapping peering that is
/// not one, no transitive route that is not one. Aligning instance keys
/// (`aws_subnet.subnet[k]` in `aws_vpc.vpc[k]`) breaks both.
#[test]
fn counted_blocks_linked_through_a_local_are_not_aligned_by_key() {
    run("differential-counted", 200, topology::topology(4), |t| {
        let g = topology::greenfield(&t);
        let (plan, subnets, routes) = topology::counted_plan(&g);
        let bytes = serde_json::to_vec_pretty(&plan).expect("a plan serialises");
        let (_, a) =
            tfreach::analyze_bytes(&bytes, "counted.json", View::Planned, &Options::default())
                .map_err(|e| TestCaseError::fail(format!("the engine rejected the plan: {e}")))?;
        let index: BTreeMap<&str, usize> = subnets
            .iter()
            .enumerate()
            .map(|(i, s)| (s.as_str(), i))
            .collect();
        let mut problems = Vec::new();
        for p in &a.pairs {
            let (from, to) = (&a.subnets[p.from].address, &a.subnets[p.to].address);
            let (Some(&s), Some(&d)) = (index.get(from.as_str()), index.get(to.as_str())) else {
                problems.push(format!(
                    "the engine names a subnet the plan lacks: {from} or {to}"
                ));
                continue;
            };
            let (got, want) = (p.verdict.as_str(), reference::verdict(&g, s, d));
            if got != "unknown" && got != want {
                problems.push(format!("{from} -> {to}: engine {got}, reference {want}"));
            }
        }
        let impossible: BTreeSet<String> = g
            .peerings
            .iter()
            .enumerate()
            .filter(|(_, p)| !reference::can_exist(&g, p))
            .map(|(i, _)| format!("aws_vpc_peering_connection.pcx[{i}]"))
            .collect();
        let transit: BTreeSet<String> = reference::routes_into_third_vpcs(&g, false)
            .into_iter()
            .map(|(ti, ri)| routes[ti][ri].clone())
            .collect();
        for f in &a.findings {
            let ok = match f.code {
                c if c == tfreach::codes::PEERING_CIDR_OVERLAP => impossible.contains(&f.resource),
                c if c == tfreach::codes::TRANSITIVE_PEERING => transit.contains(&f.resource),
                _ => f.severity != tfreach::report::Severity::Error,
            };
            if !ok {
                problems.push(format!(
                    "invented finding {} on {}: {}",
                    f.code, f.resource, f.message
                ));
            }
        }
        if problems.is_empty() {
            return Ok(());
        }
        let _ = std::fs::write(failure_path("differential-counted"), &bytes);
        Err(TestCaseError::fail(format!(
            "{}\n\nnetwork:\n{}",
            problems.join("\n"),
            topology::describe(&g)
        )))
    });
}
