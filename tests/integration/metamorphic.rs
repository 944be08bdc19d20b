//! Metamorphic properties: relations between two analyses that must hold
//! whatever the right verdicts are, so they need no reference model.
//!
//! - Renaming every resource (addresses, modules, `for_each` keys, IDs)
//!   changes no verdict and no finding code.
//! - A route for an address range no subnet uses changes no verdict.
//! - Deleting a route never turns `blocked` into `reachable`, unless a less
//!   specific route (or the `local` route it replaced) takes over its range.
//! - The report is byte-identical with one thread and with many.

use std::collections::BTreeMap;

use assert_cmd::Command;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};
use tfreach::analysis::Options;
use tfreach::ingest::View;
use tfreach::report::{self, InputInfo};

use crate::differential::{analyse, matrix, run};
use crate::topology::{self, Fam, Naming, Net, Route, Style, Target, Topology};

/// Verdicts by (source, destination) subnet index.
type Verdicts = BTreeMap<(usize, usize), String>;

/// Verdicts by subnet index pair, and the sorted finding codes.
fn verdicts(t: &Topology, n: &Naming) -> Result<(Verdicts, Vec<String>), TestCaseError> {
    let (r, _, a) = analyse(t, n, false, View::Planned).map_err(TestCaseError::fail)?;
    let m = matrix(&r, &a).map_err(TestCaseError::fail)?;
    let mut codes: Vec<String> = a.findings.iter().map(|f| f.code.to_string()).collect();
    codes.sort();
    Ok((m.into_iter().map(|(k, (v, _))| (k, v)).collect(), codes))
}

#[test]
fn renaming_resources_changes_no_verdict() {
    run(
        "rename",
        150,
        (
            topology::topology(5),
            1u32..1000,
            any::<bool>(),
            any::<bool>(),
        ),
        |(t, salt, modules, odd_keys)| {
            let plain = verdicts(&t, &Naming::default())?;
            let renamed = verdicts(
                &t,
                &Naming {
                    salt,
                    modules,
                    odd_keys,
                },
            )?;
            prop_assert_eq!(plain, renamed, "\n{}", topology::describe(&t));
            Ok(())
        },
    );
}

/// A prefix disjoint from every subnet's block, from raw choices.
fn unused_range(t: &Topology, kind: u8, a: u8, b: u8) -> Option<Net> {
    let blocks: Vec<Net> = t.vpcs.iter().flat_map(|v| v.all_blocks()).collect();
    let candidates = [
        // Inside a VPC block, where no subnet is.
        blocks
            .get(usize::from(a) % blocks.len().max(1))
            .map(|v| v.sub(v.len + 1 + b % 12, u128::from(a) * 7 + u128::from(b))),
        Some(Net::v4(192, 168, a, 0, 16 + b % 17)),
        Some(Net::v4(10, 200 + a % 50, b, 0, 24)),
        Some(Net::new(
            Fam::V6,
            0xfd00_u128 << 112 | u128::from(a) << 80,
            48 + b % 80,
        )),
    ];
    let c = candidates[usize::from(kind) % candidates.len()]?;
    let used = t
        .subnets
        .iter()
        .any(|s| s.v4.overlaps(&c) || s.v6.is_some_and(|x| x.overlaps(&c)));
    (!used).then_some(c)
}

#[test]
fn a_route_for_an_unused_range_changes_no_verdict() {
    run(
        "unused-route",
        150,
        (topology::topology(5), any::<(u8, u8, u8, u8, u8)>()),
        |(t, (kind, a, b, table, target))| {
            let Some(dest) = unused_range(&t, kind, a, b) else {
                return Ok(());
            };
            let tables: Vec<usize> = (0..t.tables.len())
                .filter(|&x| t.table_in_input(x))
                .collect();
            let targets: Vec<Target> = (0..t.peerings.len())
                .map(Target::Peering)
                .chain((0..t.gateways.len()).map(Target::Gateway))
                .collect();
            if tables.is_empty() || targets.is_empty() {
                return Ok(());
            }
            let ti = tables[usize::from(table) % tables.len()];
            if t.tables[ti].routes.iter().any(|r| r.dest == dest) {
                return Ok(());
            }
            let mut more = t.clone();
            more.tables[ti].routes.push(Route {
                dest,
                target: targets[usize::from(target) % targets.len()],
                style: if a % 2 == 0 {
                    Style::Inline
                } else {
                    Style::Standalone { listed: b % 2 == 0 }
                },
            });
            let (before, _) = verdicts(&t, &Naming::default())?;
            let (after, _) = verdicts(&more, &Naming::default())?;
            prop_assert_eq!(
                before,
                after,
                "added {} to table {}\n{}",
                dest,
                ti,
                topology::describe(&t)
            );
            Ok(())
        },
    );
}

#[test]
fn deleting_a_route_never_unblocks_a_pair_unless_a_wider_route_takes_over() {
    run(
        "delete-route",
        150,
        (topology::topology(5), any::<u16>()),
        |(t, pick)| {
            let routes: Vec<(usize, usize)> = (0..t.tables.len())
                .filter(|&ti| t.table_in_input(ti))
                .flat_map(|ti| (0..t.tables[ti].routes.len()).map(move |ri| (ti, ri)))
                .collect();
            if routes.is_empty() {
                return Ok(());
            }
            let (ti, ri) = routes[usize::from(pick) % routes.len()];
            let mut fewer = t.clone();
            let gone = fewer.tables[ti].routes.remove(ri);
            let vpc = &t.vpcs[t.tables[ti].vpc];
            // What can take over the deleted route's range: a less specific
            // route of the same table, or the `local` route it replaced.
            let taken_over = fewer.tables[ti]
                .routes
                .iter()
                .map(|r| r.dest)
                .chain(vpc.all_blocks())
                .any(|d| d.covers(&gone.dest) && (d.len < gone.dest.len || d == gone.dest));
            let (before, _) = verdicts(&t, &Naming::default())?;
            let (after, _) = verdicts(&fewer, &Naming::default())?;
            for (k, v) in &before {
                if v == "blocked" && after.get(k).map(String::as_str) == Some("reachable") {
                    prop_assert!(
                        taken_over,
                        "deleting {} -> {:?} from table {} made subnets {:?} reachable\n{}",
                        gone.dest,
                        gone.target,
                        ti,
                        k,
                        topology::describe(&t)
                    );
                }
            }
            Ok(())
        },
    );
}

/// The JSON and table reports of a document, analysed on `threads` threads.
fn reports(bytes: &[u8], threads: usize) -> Vec<u8> {
    let doc = tfreach::ingest::parse(bytes, "generated.json").expect("generated documents parse");
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool");
    pool.install(|| {
        let a = tfreach::analyze_document(&doc, View::Planned, &Options::default());
        let input = InputInfo::new(&doc, View::Planned, "generated.json");
        let mut out = Vec::new();
        report::json::write(&mut out, &input, &a).expect("writing to memory");
        report::table::write(&mut out, &input, &a).expect("writing to memory");
        out
    })
}

#[test]
fn reports_are_byte_identical_with_one_thread_and_many() {
    run(
        "threads",
        40,
        (topology::topology(6), 0u32..1000, any::<bool>()),
        |(t, salt, odd_keys)| {
            let n = Naming {
                salt,
                modules: odd_keys,
                odd_keys,
            };
            let bytes = serde_json::to_vec(&t.render(&n).state()).expect("serialises");
            let one = reports(&bytes, 1);
            prop_assert!(
                one == reports(&bytes, 4),
                "reports differ between 1 and 4 threads"
            );
            Ok(())
        },
    );
}

/// The same through the binary: `--threads 1` against the default.
#[test]
fn binary_output_is_the_same_with_one_thread_and_the_default() {
    let mut runner = TestRunner::new(Config {
        rng_seed: RngSeed::Fixed(11),
        ..Config::default()
    });
    let dir = tempfile::tempdir().expect("a temporary directory");
    let strategy = topology::topology(8);
    for case in 0..4 {
        let t = strategy.new_tree(&mut runner).expect("a network").current();
        let path = dir.path().join(format!("net{case}.json"));
        let n = Naming {
            salt: case,
            modules: true,
            odd_keys: true,
        };
        std::fs::write(
            &path,
            serde_json::to_vec(&t.render(&n).state()).expect("serialises"),
        )
        .expect("written");
        let out = |extra: &[&str]| {
            let o = Command::cargo_bin("tfreach")
                .expect("the binary")
                .arg("analyze")
                .arg(&path)
                .args(["--format", "json"])
                .args(extra)
                .output()
                .expect("runs");
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            o.stdout
        };
        let one = out(&["--threads", "1"]);
        assert!(!one.is_empty());
        assert_eq!(
            one,
            out(&[]),
            "case {case}: --threads 1 differs from the default"
        );
        assert_eq!(
            one,
            out(&["--threads", "3"]),
            "case {case}: --threads 1 differs from 3"
        );
    }
}
