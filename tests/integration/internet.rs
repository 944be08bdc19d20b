//! The internet as an endpoint in every command: `analyze` lists and counts
//! its pairs, `check` selects them by name, `diff` names what a plan
//! exposes or takes away, `explain` walks them hop by hop and `matrix`
//! gives them a row and a column.

use std::path::PathBuf;

use assert_cmd::Command;
use serde_json::Value;

use crate::support::root;

const PUBLIC: &str = "fixtures/rules/public_subnet_reaches_and_is_reached_from_internet/plan.json";

fn tfreach() -> Command {
    let mut c = Command::cargo_bin("tfreach").unwrap();
    c.current_dir(root());
    c
}

fn json(args: &[&str]) -> Value {
    let out = tfreach().args(args).output().unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stderr)))
}

fn policy(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("policy.toml");
    std::fs::write(&p, text).unwrap();
    (dir, p)
}

#[test]
fn analyze_lists_and_counts_the_internet_pairs() {
    let r = json(&["analyze", PUBLIC, "--format", "json"]);
    let pairs = r["pairs"].as_array().unwrap();
    let n = r["subnets"].as_array().unwrap().len();
    assert_eq!(r["endpoints"][0]["name"], "internet");
    let internet = pairs
        .iter()
        .filter(|p| p["from"] == "internet" || p["to"] == "internet")
        .count();
    assert_eq!(internet, 2 * n, "each subnet, both ways");
    assert_eq!(
        r["summary"]["pairs"].as_u64().unwrap() as usize,
        pairs.len()
    );
    let out: Vec<&str> = pairs
        .iter()
        .filter(|p| p["to"] == "internet")
        .map(|p| p["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(
        out,
        ["partial", "partial", "partial", "reachable", "blocked"]
    );
    // --pairs failing keeps the internet pairs that are not reachable.
    let failing = json(&["analyze", PUBLIC, "--format", "json", "--pairs", "failing"]);
    assert!(failing["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["verdict"] != "reachable"));
    assert_eq!(failing["summary"], r["summary"]);
}

#[test]
fn a_plan_without_a_way_to_the_internet_has_no_internet_pairs() {
    let r = json(&["analyze", "fixtures/example/plan.json", "--format", "json"]);
    assert!(r.get("endpoints").is_none());
    assert!(r["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["from"] != "internet" && p["to"] != "internet"));
}

#[test]
fn check_selects_the_internet_by_name_and_never_by_a_bare_wildcard() {
    let (_d, ok) = policy(
        "[[expect]]\nfrom = \"internet\"\nto = \"aws_subnet.public_no_ip\"\nverdict = \"blocked\"\n\n\
         [[expect]]\nfrom = \"aws_subnet.*\"\nto = \"internet\"\nverdict = \"!unknown\"\n",
    );
    let out = tfreach()
        .args(["check", PUBLIC, "--policy"])
        .arg(&ok)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{r}");
    let results = r["results"].as_array().unwrap();
    assert_eq!(results[0]["checked"], 1);
    assert_eq!(results[1]["checked"], 5);

    let (_d, bad) = policy(
        "[[expect]]\nfrom = \"internet\"\nto = \"aws_subnet.*\"\nverdict = \"blocked\"\n\n\
         [[expect]]\nfrom = \"*\"\nto = \"*\"\nverdict = \"reachable\"\n",
    );
    let out = tfreach()
        .args(["check", PUBLIC, "--policy"])
        .arg(&bad)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = r["results"].as_array().unwrap();
    let exposed: Vec<&str> = results[0]["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["to"].as_str().unwrap())
        .collect();
    assert_eq!(
        exposed,
        [
            "aws_subnet.eip_assoc",
            "aws_subnet.eip_host",
            "aws_subnet.instance_public_ip",
            "aws_subnet.public"
        ]
    );
    // `*` takes the 20 subnet pairs only, all reachable.
    assert_eq!(results[1]["checked"], 20);
    assert_eq!(results[1]["outcome"], "pass");
}

#[test]
fn diff_names_what_a_plan_exposes_and_the_egress_it_takes_away() {
    let r = json(&[
        "diff",
        "fixtures/real/terraform-compliance__test_issue-158.plan.out.json",
        "--format",
        "json",
    ]);
    let exposes: Vec<&str> = r["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "exposes")
        .map(|c| c["to"].as_str().unwrap())
        .collect();
    assert_eq!(exposes.len(), 3, "{exposes:?}");
    assert!(exposes.iter().all(|s| s.contains("aws_subnet.public")));

    let r = json(&[
        "diff",
        "fixtures/rules/route_to_deleted_nat_is_blackhole/plan.json",
        "--format",
        "json",
    ]);
    let lost: Vec<(&str, &str)> = r["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "loses_egress")
        .map(|c| (c["from"].as_str().unwrap(), c["after"].as_str().unwrap()))
        .collect();
    assert_eq!(lost, [("aws_subnet.a_app", "blocked")]);
    // The Markdown comment puts what the plan exposes first.
    let out = tfreach()
        .args([
            "diff",
            "fixtures/real/terraform-compliance__test_issue-158.plan.out.json",
            "--format",
            "markdown",
        ])
        .output()
        .unwrap();
    let md = String::from_utf8(out.stdout).unwrap();
    let exposes = md
        .find("<b>Exposes to the internet</b>")
        .expect("an exposes section");
    let opens = md.find("<b>Opens</b>").expect("an opens section");
    assert!(exposes < opens);
}

#[test]
fn explain_walks_the_internet_pairs_hop_by_hop() {
    let r = json(&[
        "explain",
        PUBLIC,
        "--from",
        "internet",
        "--to",
        "aws_subnet.eip_host",
        "--protocol",
        "tcp",
        "--port",
        "22",
        "--format",
        "json",
    ]);
    let first = &r[0];
    assert_eq!(first["from"], "internet");
    assert_eq!(first["to"], "aws_subnet.eip_host");
    assert_eq!(first["verdict"], "partial");
    assert!(first["note"]
        .as_str()
        .unwrap()
        .contains("aws_instance.bastion"));
    let hops: Vec<&str> = first["forward"][0]["hops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["at"].as_str().unwrap())
        .collect();
    assert_eq!(hops, ["aws_internet_gateway.main", "aws_subnet.eip_host"]);
    let back = first["return"][0]["hops"].as_array().unwrap();
    assert_eq!(back.last().unwrap()["at"], "aws_internet_gateway.main");

    let r = json(&[
        "explain",
        "fixtures/rules/central_egress_through_transit_gateway/plan.json",
        "--from",
        "aws_subnet.b_app",
        "--to",
        "internet",
        "--format",
        "json",
    ]);
    assert_eq!(r[0]["verdict"], "one_way");
    assert_eq!(r[0]["forward"][0]["outcome"], "delivered");
    assert_eq!(r[0]["return"][0]["outcome"], "dropped");
}

#[test]
fn matrix_gives_the_internet_a_row_and_a_column() {
    let out = tfreach()
        .args(["matrix", PUBLIC, "--format", "csv", "--square"])
        .output()
        .unwrap();
    let csv = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].ends_with(",internet"));
    assert_eq!(lines.len(), 1 + 5 + 1);
    assert_eq!(
        *lines.last().unwrap(),
        "internet,partial,partial,partial,reachable,blocked,-"
    );
    assert!(lines[5].ends_with(",blocked"), "public_no_ip -> internet");
    let m = json(&["matrix", PUBLIC, "--format", "json"]);
    assert_eq!(m["to_endpoints"][3][0], "reachable");
    assert_eq!(m["from_endpoints"][0][4], "blocked");
}

#[test]
fn no_new_path_from_the_internet_catches_what_a_plan_exposes() {
    let (_d, p) = policy(
        "[groups]\nprivate = [\"module.vpc.aws_subnet.private*\"]\npublic = [\"module.vpc.aws_subnet.public*\"]\n\n\
         [[no_new_path]]\nname = \"nothing new from the internet to private\"\nfrom = \"internet\"\nto = \"@private\"\n\n\
         [[no_new_path]]\nname = \"nothing new from the internet to public\"\nfrom = \"internet\"\nto = \"@public\"\n",
    );
    let out = tfreach()
        .args([
            "check",
            "fixtures/real/terraform-compliance__test_issue-158.plan.out.json",
            "--policy",
        ])
        .arg(&p)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = r["results"].as_array().unwrap();
    let rule = |name: &str| {
        results
            .iter()
            .find(|x| x["name"] == name)
            .unwrap_or_else(|| panic!("no result {name}: {r}"))
    };
    let private = rule("nothing new from the internet to private");
    assert_eq!(private["outcome"], "pass", "{private}");
    assert_eq!(private["checked"], 3);
    let public = rule("nothing new from the internet to public");
    assert_eq!(public["outcome"], "fail");
    assert_eq!(public["issues"].as_array().unwrap().len(), 3);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn explain_and_check_take_an_on_premises_network_by_its_address() {
    const VPN: &str = "fixtures/rules/vpn_with_static_routes_reaches_subnets/plan.json";
    let r = json(&[
        "explain",
        VPN,
        "--from",
        "aws_subnet.app",
        "--to",
        "aws_vpn_connection.*",
        "--format",
        "json",
    ]);
    assert_eq!(r.as_array().unwrap().len(), 1);
    assert_eq!(r[0]["to"], "aws_vpn_connection.office");
    assert_eq!(r[0]["verdict"], "reachable");
    let last = r[0]["forward"][0]["hops"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["at"], "aws_vpn_gateway.main");

    let (_d, p) = policy(
        "[[expect]]\nfrom = \"aws_vpn_connection.*\"\nto = \"aws_subnet.app\"\nverdict = \"reachable\"\n\n\
         [[expect]]\nfrom = \"*\"\nto = \"*\"\nverdict = \"!unknown\"\n",
    );
    let out = tfreach()
        .args(["check", VPN, "--policy"])
        .arg(&p)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = r["results"].as_array().unwrap();
    assert_eq!(results[0]["checked"], 1, "{r}");
    assert_eq!(results[0]["outcome"], "pass");
    // `*` takes subnet pairs only.
    let subnets = json(&["analyze", VPN, "--format", "json"])["subnets"]
        .as_array()
        .unwrap()
        .len() as u64;
    assert_eq!(results[1]["checked"], subnets * (subnets - 1));
}

#[test]
fn on_prem_flag_names_the_ranges_a_vpn_learns_over_bgp() {
    const BGP: &str = "fixtures/rules/vpn_with_propagation_only_is_unknown/plan.json";
    let verdicts = |extra: &[&str]| -> Vec<(String, String, String)> {
        let mut args = vec!["analyze", BGP, "--format", "json"];
        args.extend_from_slice(extra);
        json(&args)["pairs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| {
                p["from"] == "aws_vpn_connection.office" || p["to"] == "aws_vpn_connection.office"
            })
            .map(|p| {
                (
                    p["from"].as_str().unwrap().to_string(),
                    p["to"].as_str().unwrap().to_string(),
                    p["verdict"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    assert!(verdicts(&[]).iter().all(|(_, _, v)| v == "unknown"));
    let named = verdicts(&["--on-prem", "aws_vpn_connection.office=192.168.0.0/16"]);
    let of = |from: &str, to: &str| {
        named
            .iter()
            .find(|(f, t, _)| f == from && t == to)
            .map(|(_, _, v)| v.clone())
            .unwrap()
    };
    assert_eq!(
        of("aws_subnet.private", "aws_vpn_connection.office"),
        "reachable"
    );
    assert_eq!(
        of("aws_vpn_connection.office", "aws_subnet.private"),
        "reachable"
    );
    assert_ne!(
        of("aws_subnet.no_propagation", "aws_vpn_connection.office"),
        "unknown"
    );

    // A name the input does not hold, or a value that is not NAME=CIDR: exit 2.
    for bad in [
        "aws_vpn_connection.nowhere=10.9.0.0/16",
        "aws_vpn_connection.office",
    ] {
        let out = tfreach()
            .args(["analyze", BGP, "--on-prem", bad])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--on-prem"), "{bad}: {err}");
    }
}

/// `diff --on-prem` names a network's BGP-learned ranges on both sides: a
/// plan that adds the VPN then shows what it opens instead of `unknown`;
/// a name the input lacks exits 2 and lists the networks it has.
#[test]
fn diff_names_bgp_ranges_with_on_prem() {
    const BGP: &str = "fixtures/rules/vpn_with_propagation_only_is_unknown/plan.json";
    let changes = |extra: &[&str]| -> Vec<(String, String, String)> {
        let mut args = vec!["diff", BGP, "--format", "json"];
        args.extend(extra);
        let out = tfreach().args(&args).assert().code(0).get_output().clone();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["changes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["from"] == "aws_subnet.private" || c["to"] == "aws_subnet.private")
            .filter(|c| {
                c["from"] == "aws_vpn_connection.office" || c["to"] == "aws_vpn_connection.office"
            })
            .map(|c| {
                (
                    c["from"].as_str().unwrap().to_string(),
                    c["after"].as_str().unwrap().to_string(),
                    c["kind"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let unnamed = changes(&[]);
    assert_eq!(unnamed.len(), 2, "{unnamed:?}");
    assert!(
        unnamed.iter().all(|(_, after, _)| after == "unknown"),
        "{unnamed:?}"
    );
    let named = changes(&["--on-prem", "aws_vpn_connection.office=192.168.0.0/16"]);
    assert_eq!(named.len(), 2, "{named:?}");
    assert!(
        named
            .iter()
            .all(|(_, after, kind)| after == "reachable" && kind == "opens"),
        "{named:?}"
    );

    let out = tfreach()
        .args([
            "diff",
            BGP,
            "--on-prem",
            "aws_vpn_connection.nope=10.9.0.0/16",
        ])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("aws_vpn_connection.nope") && err.contains("aws_vpn_connection.office"),
        "{err}"
    );
}

/// Endpoint pairs a report does not list are counted all the same: the
/// analysis keeps, of the internet's and an on-premises network's pairs,
/// exactly those the filter lists, with what keeping them all gave, and the
/// same counts.
#[test]
fn endpoint_pairs_not_listed_are_counted_and_not_kept() {
    use tfreach::analysis::{Options, PairsFilter};
    use tfreach::ingest::View;
    use tfreach::model::Verdict;
    let docs = [
        PUBLIC,
        "fixtures/rules/vpn_with_static_routes_reaches_subnets/plan.json",
    ];
    for doc in docs {
        let path = root().join(doc);
        let with = |endpoints| {
            let opts = Options {
                endpoints,
                ..Default::default()
            };
            crate::support::analyse_with(&path, View::Planned, &opts)
        };
        let all = with(PairsFilter::All);
        assert!(!all.endpoints.is_empty(), "{doc}");
        for filter in [PairsFilter::Failing, PairsFilter::None] {
            let some = with(filter);
            assert_eq!(some.endpoint_summary, all.endpoint_summary, "{doc}");
            let listed: Vec<_> = all
                .endpoints
                .iter()
                .filter(|p| filter != PairsFilter::None && p.verdict != Verdict::Reachable)
                .collect();
            assert_eq!(some.endpoints.iter().collect::<Vec<_>>(), listed, "{doc}");
        }
    }
}
