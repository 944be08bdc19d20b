//! Work shared between subnets of one class must give exactly what
//! evaluating every pair on its own gives: verdicts and reason texts.

use tfreach::analysis::{analyze, evaluate_pair, Detail, Options, Summary};
use tfreach::ingest::{self, View};
use tfreach_synth::{self as synth, EstateSpec, Mode, Topology};

use crate::support::{document, root};
use crate::topology::{self, Shapes};

fn check(bytes: &[u8], name: &str) -> usize {
    let doc = ingest::parse(bytes, name).unwrap();
    let mut compared = 0;
    for view in [View::Planned, View::Prior] {
        let built = tfreach::model::build(&doc, view);
        let m = &built.model;
        let a = analyze(m, built.findings.clone(), &Options::default());
        let n = a.subnets.len();
        assert_eq!(a.pairs.len(), n * n.saturating_sub(1), "{name}");
        let mut brute = Summary::default();
        for s in 0..m.subnets.len() {
            for d in (0..m.subnets.len()).filter(|&d| d != s) {
                brute.add(evaluate_pair(m, s, d, Detail::Outcome).verdict, 1);
            }
        }
        assert_eq!(a.summary, brute, "{name}: summary");
        for p in &a.pairs {
            let e = evaluate_pair(
                m,
                a.model_index[p.from],
                a.model_index[p.to],
                Detail::Reasons,
            );
            assert_eq!(
                p.verdict, e.verdict,
                "{name}: {} -> {}",
                a.subnets[p.from].address, a.subnets[p.to].address
            );
            assert_eq!(
                p.reasons, e.reasons,
                "{name}: {} -> {}",
                a.subnets[p.from].address, a.subnets[p.to].address
            );
            compared += 1;
        }
    }
    compared
}

#[test]
fn shared_work_equals_pair_by_pair_on_every_fixture() {
    let mut dirs: Vec<_> = std::fs::read_dir(root().join("fixtures/rules"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.push(root().join("fixtures/example"));
    let mut compared = 0;
    for d in dirs {
        let doc = document(&d);
        compared += check(&std::fs::read(&doc).unwrap(), &doc.display().to_string());
    }
    assert!(compared > 100);
}

#[test]
fn shared_work_equals_pair_by_pair_on_generated_estates() {
    for topology in [
        Topology::HubAndSpoke,
        Topology::HubChain,
        Topology::Chain,
        Topology::None,
        Topology::TransitGateway,
        Topology::TgwInspection,
        Topology::Mesh { group: 3 },
    ] {
        for mode in [Mode::Steady, Mode::Greenfield] {
            for (nat, extras) in [(false, false), (true, false), (false, true), (true, true)] {
                let spec = EstateSpec {
                    nat,
                    nacls: extras,
                    gateway_endpoints: extras,
                    ..EstateSpec::new(6, 4, topology, mode, 7)
                };
                let mut buf = Vec::new();
                synth::write_plan(&spec, &mut buf).unwrap();
                let name = format!("{topology:?}/{mode:?}/nat {nat}/acl+gwe {extras}");
                assert!(check(&buf, &name) > 0);
            }
        }
    }
}

/// Random networks of every shape the differential test draws, blocks
/// reused across VPCs among them: where a source and a destination subnet
/// have the same block, a member pair's reason must name the range of the
/// subnet it is about (a reason told for a member by replacing the
/// representatives' texts named the source's block in both places).
#[test]
fn shared_work_equals_pair_by_pair_on_random_networks() {
    crate::differential::run(
        "sharing-random",
        1000,
        (
            topology::topology_with(5, Shapes::ALL),
            crate::differential::naming(),
        ),
        |(t, n)| {
            let r = t.render(&n);
            for doc in [r.plan(), r.state()] {
                let bytes = serde_json::to_vec(&doc).expect("a document serialises");
                check(&bytes, "random network");
            }
            Ok(())
        },
    );
}

/// Greenfield plans whose subnets' VPCs are not known until apply: such
/// subnets share classes (their keys differ only by their own address), and
/// the reasons of each member pair (message and resource) must still be its
/// own.
#[test]
fn shared_work_equals_pair_by_pair_on_unresolved_greenfield_estates() {
    let mut buf = Vec::new();
    synth::locals::write_plan(5, 3, &mut buf).unwrap();
    let doc = ingest::parse(&buf, "locals").unwrap();
    let built = tfreach::model::build(&doc, View::Planned);
    let order: Vec<usize> = (0..built.model.subnets.len()).collect();
    let classes = tfreach::analysis::Classes::build(&built.model, &order);
    assert!(
        classes.members.len() < order.len(),
        "subnets whose links differ only by their own address share classes"
    );
    assert!(check(&buf, "greenfield-locals") > 0);
}

/// Workload pairs shared by profile (the same subnets, groups, ports and
/// public address) against every pair evaluated by itself, on a file.
fn check_workloads(bytes: &[u8], name: &str) -> usize {
    use tfreach::analysis::workloads::{evaluate, evaluate_each, ordered_pairs, Evaluation};
    let doc = ingest::parse(bytes, name).unwrap();
    let mut compared = 0;
    for view in [View::Planned, View::Prior] {
        let built = tfreach::model::build(&doc, view);
        let m = &built.model;
        let all: Vec<usize> = (0..m.workloads.len()).collect();
        for flow in [
            None,
            Some(tfreach::model::Flow::new(Some(6), Some(443)).unwrap()),
        ] {
            let shared = evaluate(m, &all, &all, flow.as_ref());
            let each = evaluate_each(m, &all, &all, flow.as_ref());
            assert_eq!(shared.len(), each.len(), "{name}");
            for (s, e) in shared.iter().zip(&each) {
                assert_eq!(format!("{s:?}"), format!("{e:?}"), "{name} {view:?}");
            }
            // In batches of a few pairs, as `workloads` writes them, and
            // verdicts alone, as its summary counts them.
            let eval = Evaluation::prepare(m, &all, &all, flow.as_ref());
            let pairs = ordered_pairs(&all, &all);
            let mut batched = Vec::new();
            for batch in pairs.chunks(7) {
                batched.extend(eval.pairs(batch));
            }
            for (s, e) in batched.iter().zip(&each) {
                assert_eq!(
                    format!("{s:?}"),
                    format!("{e:?}"),
                    "{name} {view:?} batched"
                );
            }
            // Pairs outside the selections an evaluation was prepared for
            // are evaluated when asked, never refused.
            let unprepared = Evaluation::prepare(m, &[], &[], flow.as_ref()).pairs(&pairs);
            for (s, e) in unprepared.iter().zip(&each) {
                assert_eq!(
                    format!("{s:?}"),
                    format!("{e:?}"),
                    "{name} {view:?} unprepared"
                );
            }
            let verdicts: Vec<_> = each.iter().map(|p| p.verdict).collect();
            assert_eq!(eval.verdicts(&pairs), verdicts, "{name} {view:?} verdicts");
            compared += shared.len();
        }
    }
    compared
}

/// Workloads that share subnets and groups share one evaluation, and every
/// pair still gets exactly the answer (verdict, what opens, ports, places,
/// reasons naming its own workloads) it gets evaluated by itself, whether
/// evaluated all at once, in batches, or for its verdict alone: on
/// generated estates with workloads in every topology, and on every rule
/// fixture.
#[test]
fn shared_workload_pairs_equal_pair_by_pair_evaluation() {
    for topology in [
        Topology::HubAndSpoke,
        Topology::TransitGateway,
        Topology::Mesh { group: 3 },
    ] {
        for nat in [false, true] {
            let spec = EstateSpec {
                nat,
                workloads_per_vpc: 7,
                ..EstateSpec::new(5, 3, topology, Mode::Steady, 11)
            };
            let mut buf = Vec::new();
            synth::write_plan(&spec, &mut buf).unwrap();
            let n = check_workloads(&buf, &format!("{topology:?}/nat {nat}"));
            // 35 workloads, every ordered pair, two flows, two views.
            assert_eq!(n, 2 * 2 * 35 * 34, "{topology:?}");
        }
    }
    let mut compared = 0;
    for e in std::fs::read_dir(root().join("fixtures/rules")).unwrap() {
        let doc = document(&e.unwrap().path());
        let bytes = std::fs::read(&doc).unwrap();
        compared += check_workloads(&bytes, &doc.display().to_string());
    }
    assert!(compared > 100, "{compared} fixture pairs compared");
}
