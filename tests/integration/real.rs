//! Real `terraform show -json` files: those copied into fixtures/real, and,
//! when the project's shared folder sits beside the checkout, every file in
//! it. Each must be analysed without error.

use std::path::PathBuf;

use tfreach::ingest::View;

use crate::support::{analyse, check_expects, root};

fn real_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in [
        root().join("fixtures/real"),
        root().join("../shared/fixtures/real"),
    ] {
        if let Ok(rd) = std::fs::read_dir(&dir) {
            for e in rd {
                let p = e.unwrap().path();
                if p.extension().is_some_and(|x| x == "json") {
                    out.push(p);
                }
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_real_plan_is_analysed_in_both_views() {
    let files = real_files();
    assert!(!files.is_empty(), "no real plans found");
    for f in files {
        for view in [View::Planned, View::Prior] {
            let a = analyse(&f, view);
            let n = a.subnets.len() as u64;
            assert_eq!(a.summary.pairs, n * n.saturating_sub(1), "{}", f.display());
        }
    }
}

/// Verdict counts of the planned view, worked out by hand (see
/// fixtures/real/README.md): (file, reachable, blocked, total pairs).
const EXPECTED: &[(&str, u64, u64, u64)] = &[
    ("checkov__runner_resources_plan.tfplan.json", 4, 8, 12),
    (
        "jondon09__src-terraform-aws-ssm-project__plan.out.json",
        12,
        0,
        12,
    ),
    ("snyk-policy-engine__example-06-tf-v1.0.plan.json", 0, 0, 0),
    (
        "terraform-compliance__test_issue-158.plan.out.json",
        30,
        0,
        30,
    ),
    ("terraform-compliance__test_pull_330.plan.out.json", 0, 0, 0),
    ("tirith__terraform_plan_fixtures_input.json", 0, 0, 0),
];

#[test]
fn real_plans_give_the_verdicts_worked_out_by_hand() {
    for (file, reachable, blocked, pairs) in EXPECTED {
        let a = analyse(&root().join("fixtures/real").join(file), View::Planned);
        assert_eq!(
            (a.summary.reachable, a.summary.blocked, a.summary.pairs),
            (*reachable, *blocked, *pairs),
            "{file}"
        );
    }
}

#[test]
fn module_vpc_through_a_local_is_assumed_and_said() {
    let a = analyse(
        &root().join("fixtures/real/terraform-compliance__test_issue-158.plan.out.json"),
        View::Planned,
    );
    assert!(a
        .findings
        .iter()
        .any(|f| f.code == "ASSUMED_REFERENCE" && f.resource == "module.vpc.aws_vpc.this[0]"));
}

/// The hub-and-spoke transit gateway plan whose verdicts fixtures/real/README.md
/// works out by hand.
#[test]
fn gjkraken_transit_gateway_hub_and_spoke_verdicts_checked_by_hand() {
    let dir = root().join("fixtures/real");
    let doc = dir.join("gjkraken__aws-site-to-site-vpn-private-ip-vpn__plan.json");
    let expect = dir.join("gjkraken__aws-site-to-site-vpn-private-ip-vpn__expect.toml");
    assert!(check_expects(&doc, &[expect]) >= 12);
}

/// The same plan's on-premises networks (a VPN and a Direct Connect gateway
/// on the transit gateway): unknown from the plan alone (BGP), and with
/// ranges named, worked out by hand in fixtures/real/README.md
/// ("On-premises answers").
#[test]
fn gjkraken_on_premises_answers_checked_by_hand() {
    let dir = root().join("fixtures/real");
    let doc = dir.join("gjkraken__aws-site-to-site-vpn-private-ip-vpn__plan.json");
    let expects = [
        dir.join("gjkraken__aws-site-to-site-vpn-private-ip-vpn__onprem_expect.toml"),
        dir.join("gjkraken__aws-site-to-site-vpn-private-ip-vpn__onprem_named_expect.toml"),
    ];
    assert!(check_expects(&doc, &expects) >= 32);
}

/// Each real plan with an internet gateway: which subnets reach the
/// internet and are reached from it, worked out by hand in
/// fixtures/real/README.md ("Internet answers").
#[test]
fn real_plans_internet_answers_checked_by_hand() {
    let dir = root().join("fixtures/real");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let expect = entry.unwrap().path();
        let name = expect.file_name().unwrap().to_string_lossy().to_string();
        let Some(stem) = name.strip_suffix("__internet_expect.toml") else {
            continue;
        };
        let doc = dir.join(format!("{stem}.json"));
        assert!(doc.exists(), "{}: no plan {stem}.json", expect.display());
        checked += check_expects(&doc, &[expect]);
    }
    assert!(checked >= 20, "only {checked} internet answers checked");
}
