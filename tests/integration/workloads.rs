//! `tfreach workloads` and `explain` between workloads, through the
//! command line: what the reviewer of a plan runs.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

use crate::support::root;

fn tfreach() -> Command {
    Command::cargo_bin("tfreach").unwrap()
}

fn fixture(name: &str) -> String {
    root()
        .join("fixtures/rules")
        .join(name)
        .join("plan.json")
        .display()
        .to_string()
}

fn json(args: &[&str]) -> Value {
    let out = tfreach().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn explain_between_workloads_gives_the_flow_verdict_first() {
    let plan = fixture("security_group_reference_allows_members");
    let list = json(&[
        "explain",
        &plan,
        "--from",
        "aws_lambda_function.api",
        "--to",
        "aws_db_instance.main",
        "--protocol",
        "tcp",
        "--port",
        "5432",
        "--format",
        "json",
    ]);
    let first = &list[0];
    assert_eq!(first["from"], "aws_lambda_function.api");
    assert_eq!(first["to"], "aws_db_instance.main");
    assert_eq!(first["verdict"], "reachable");
    assert_eq!(first["asked"], "tcp 5432");
    // One forward trace per place pair (2 x 2 subnets), each with the
    // security group decisions around the network's hops.
    let forward = first["forward"].as_array().unwrap();
    assert_eq!(forward.len(), 4);
    for t in forward {
        let hops = t["hops"].as_array().unwrap();
        assert_eq!(hops[0]["at"], "aws_lambda_function.api");
        let last = hops.last().unwrap();
        assert_eq!(last["at"], "aws_db_instance.main");
        assert!(last["action"]
            .as_str()
            .unwrap()
            .contains("aws_vpc_security_group_ingress_rule.db_from_api"));
    }
}

#[test]
fn explain_shows_the_security_group_that_refuses() {
    let plan = fixture("security_group_reference_allows_members");
    tfreach()
        .args([
            "explain",
            &plan,
            "--from",
            "aws_instance.batch",
            "--to",
            "aws_db_instance.main",
            "--protocol",
            "tcp",
            "--port",
            "5432",
            "--color",
            "never",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "aws_instance.batch -> aws_db_instance.main: blocked (tcp 5432)",
        ))
        .stdout(predicate::str::contains("SG_INGRESS_DENIES"));
}

#[test]
fn workloads_selectors_and_a_named_flow() {
    let plan = fixture("three_tier_greenfield_plan");
    let doc = json(&[
        "workloads",
        &plan,
        "--from",
        "aws_ecs_service.*",
        "--to",
        "aws_db_instance.main",
        "--protocol",
        "tcp",
        "--port",
        "5432",
        "--format",
        "json",
    ]);
    assert_eq!(doc["asked"], "tcp 5432");
    let pairs = doc["pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), 1);
    assert_eq!(pairs[0]["verdict"], "reachable");
    assert_eq!(pairs[0]["traffic"], "tcp 5432");
    assert_eq!(doc["summary"]["pairs"], 1);
}

#[test]
fn workloads_table_lists_places_groups_and_ports() {
    let plan = fixture("alb_listener_port_to_ecs_service");
    tfreach()
        .args(["workloads", &plan, "--color", "never"])
        .assert()
        .success()
        .stdout(predicate::str::contains("aws_lb.web (load_balancer)"))
        .stdout(predicate::str::contains(
            "subnets: aws_subnet.public_a, aws_subnet.public_b",
        ))
        .stdout(predicate::str::contains("serves: tcp 443"))
        .stdout(predicate::str::contains(
            "aws_lb.web -> aws_ecs_service.app: reachable (tcp 8080)",
        ));
}

#[test]
fn a_selector_that_names_no_workload_is_a_usage_error() {
    let plan = fixture("three_tier_greenfield_plan");
    tfreach()
        .args(["workloads", &plan, "--from", "aws_lambda_function.nope"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("matches no workload"))
        .stderr(predicate::str::contains("aws_db_instance.main"));
}

#[test]
fn workload_output_is_identical_with_one_thread_and_many() {
    let plan = fixture("three_tier_greenfield_plan");
    let run = |threads: &str| {
        tfreach()
            .args(["workloads", &plan, "--format", "json", "--threads", threads])
            .output()
            .unwrap()
            .stdout
    };
    assert_eq!(run("1"), run("4"));
}

#[test]
fn check_asserts_workload_verdicts_for_a_port() {
    let plan = fixture("security_group_reference_allows_members");
    let policy = root().join("fixtures/policies/workloads.toml");
    let doc = {
        let out = tfreach()
            .args(["check", &plan, "--policy"])
            .arg(&policy)
            .args(["--format", "json"])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let results = doc["results"].as_array().unwrap();
    let expects: Vec<&Value> = results.iter().filter(|r| r["kind"] == "expect").collect();
    assert_eq!(expects.len(), 3);
    assert!(expects.iter().all(|r| r["outcome"] == "pass"));
    // Two pairs into the function (from the database and the batch instance).
    assert_eq!(expects[2]["checked"], 2);
}

#[test]
fn check_fails_a_workload_expect_that_does_not_hold() {
    let plan = fixture("security_group_reference_allows_members");
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("p.toml");
    std::fs::write(
        &policy,
        "[[expect]]\nfrom = \"aws_instance.batch\"\nto = \"aws_db_instance.main\"\nprotocol = \"tcp\"\nport = 5432\nverdict = \"reachable\"\n",
    )
    .unwrap();
    tfreach()
        .args(["check", &plan, "--color", "never", "--policy"])
        .arg(&policy)
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "aws_instance.batch -> aws_db_instance.main is blocked for tcp 5432, expected reachable",
        ))
        .stdout(predicate::str::contains("SG_INGRESS_DENIES"));
}

#[test]
fn a_port_without_a_protocol_is_a_policy_error_with_its_line() {
    let plan = fixture("security_group_reference_allows_members");
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("p.toml");
    std::fs::write(
        &policy,
        "[[expect]]\nfrom = \"aws_instance.batch\"\nto = \"aws_db_instance.main\"\nport = 5432\nverdict = \"reachable\"\n",
    )
    .unwrap();
    tfreach()
        .args(["check", &plan, "--policy"])
        .arg(&policy)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("line 1"))
        .stderr(predicate::str::contains("port but no protocol"));
}

fn output(args: &[&str]) -> std::process::Output {
    tfreach().args(args).output().unwrap()
}

#[test]
fn security_group_rule_wider_than_routes_is_reported_only_where_no_route_serves_it() {
    let plan = fixture("security_group_rule_wider_than_routes");
    let doc = json(&["workloads", &plan, "--format", "json"]);
    let wide: Vec<(String, String)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "SG_RULE_WIDER_THAN_ROUTES")
        .map(|f| {
            assert_eq!(f["severity"], "info");
            (
                f["resource"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let said = |group: &str, block: &str| {
        wide.iter()
            .any(|(r, m)| r == group && m.contains(&format!(" {block},")))
    };
    // No route of the isolated subnet leads to the partner ranges, either way.
    assert!(
        said("aws_security_group.partner", "192.168.50.0/24"),
        "{wide:?}"
    );
    assert!(
        said("aws_security_group.partner", "172.16.0.0/12"),
        "{wide:?}"
    );
    // HTTPS from anywhere, in a subnet whose way out is a NAT gateway.
    assert!(
        said("aws_security_group.private_web", "0.0.0.0/0"),
        "{wide:?}"
    );
    // Served rules: one member in a public subnet, the VPC's own block, the
    // partner group's rule to the VPC.
    assert_eq!(wide.len(), 3, "{wide:?}");
    assert!(!wide
        .iter()
        .any(|(r, _)| r.ends_with("shared_web") || r.ends_with(".db")));
    // The subnet report does not carry workload findings.
    let report = json(&["analyze", &plan, "--format", "json"]);
    assert!(!report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["code"] == "SG_RULE_WIDER_THAN_ROUTES"));
}

#[test]
fn diff_workloads_puts_what_a_plan_exposes_to_the_internet_first() {
    let plan = fixture("plan_exposes_workloads_to_internet");
    let out = output(&["diff", &plan, "--workloads", "--format", "markdown"]);
    assert!(out.status.success());
    let md = String::from_utf8(out.stdout).unwrap();
    let exposes = md.find("### Exposes to the internet (3)").expect(&md);
    let opens = md.find("### Opens (4)").expect(&md);
    assert!(exposes < opens, "{md}");
    assert!(md.contains("| `internet` | `aws_instance.bastion` | blocked | reachable | `tcp 22` |"));
    // The text says the same, and --exit-code says that something changed.
    let out = output(&["diff", &plan, "--workloads", "--exit-code"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("internet -> aws_instance.bastion: blocked -> reachable; opens tcp 22"));
}

#[test]
fn diff_workloads_lists_only_changed_pairs() {
    let plan = fixture("plan_exposes_workloads_to_internet");
    // The same document on both sides: nothing changes.
    let same = json(&["diff", &plan, &plan, "--workloads", "--format", "json"]);
    assert_eq!(same["summary"]["changes"], 0);
    assert!(same["changes"].as_array().unwrap().is_empty());
    // Prior against planned: the bastion's own way out does not change, and
    // no pair is listed twice.
    let d = json(&["diff", &plan, "--workloads", "--format", "json"]);
    let pairs: Vec<(String, String)> = d["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["from"].to_string(), c["to"].to_string()))
        .collect();
    assert_eq!(pairs.len(), 7, "{pairs:?}");
    assert!(!pairs.contains(&("\"aws_instance.bastion\"".into(), "\"internet\"".into())));
    // For one flow, only what changes on that flow.
    let ssh = json(&[
        "diff",
        &plan,
        "--workloads",
        "--protocol",
        "tcp",
        "--port",
        "22",
        "--format",
        "json",
    ]);
    assert_eq!(ssh["asked"], "tcp 22");
    assert_eq!(ssh["summary"]["kinds"]["exposes"], 1);
}

#[test]
fn diff_workloads_of_a_state_is_a_usage_error() {
    let state = root()
        .join("fixtures/rules/state_document/state.json")
        .display()
        .to_string();
    let out = output(&["diff", &state, "--workloads"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("a state has one view"));
}

/// `explain` between a workload and the internet: the subnet's walk with
/// the workload's own public address, and the workload's groups where the
/// connection enters it, both ways; its verdict is the `workloads` pair's.
#[test]
fn explain_between_a_workload_and_the_internet_adds_the_group_decision() {
    let plan = fixture("internet_reaches_a_workload_only_through_its_group");
    let flow = ["--protocol", "tcp", "--port", "22", "--format", "json"];
    let inbound = json(
        &[
            &[
                "explain",
                &plan,
                "--from",
                "internet",
                "--to",
                "aws_instance.*",
            ][..],
            &flow[..],
        ]
        .concat(),
    );
    let listed = json(&[&["workloads", &plan][..], &flow[..]].concat());
    let list = inbound.as_array().expect("a list of explanations");
    assert_eq!(list.len(), 3, "{inbound:#}");
    for x in list {
        let to = x["to"].as_str().unwrap();
        let pair = listed["pairs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["from"] == "internet" && p["to"] == to)
            .unwrap_or_else(|| panic!("no workloads pair internet -> {to}"));
        assert_eq!(x["verdict"], pair["verdict"], "internet -> {to}");
        // The last hop of the forward walk is the workload's groups.
        let hops = x["forward"][0]["hops"].as_array().unwrap();
        assert_eq!(hops.last().unwrap()["at"], to, "{x:#}");
    }
    let internal = list
        .iter()
        .find(|x| x["to"] == "aws_instance.internal")
        .unwrap();
    assert_eq!(internal["verdict"], "blocked");
    let last = internal["forward"][0]["hops"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["fails"], true, "{internal:#}");
    assert!(
        last["action"]
            .as_str()
            .unwrap()
            .contains("aws_security_group.internal"),
        "{last:#}"
    );
    let web = list.iter().find(|x| x["to"] == "aws_instance.web").unwrap();
    assert_eq!(web["verdict"], "reachable");
    // Outbound: the workload's groups come first.
    let out = json(&[
        "explain",
        &plan,
        "--from",
        "aws_instance.web",
        "--to",
        "internet",
        "--format",
        "json",
    ]);
    let x = &out.as_array().unwrap()[0];
    assert_eq!(
        (x["from"].as_str(), x["to"].as_str()),
        (Some("aws_instance.web"), Some("internet"))
    );
    assert_eq!(
        x["forward"][0]["hops"][0]["at"], "aws_instance.web",
        "{x:#}"
    );
}

/// `explain` between a workload and an on-premises network, both ways.
#[test]
fn explain_between_a_workload_and_an_on_premises_network() {
    let plan = fixture("workload_and_onprem_network_through_security_group");
    let listed = json(&["workloads", &plan, "--format", "json"]);
    for (from, to) in [
        ("aws_vpn_connection.office", "aws_instance.app"),
        ("aws_vpn_connection.office", "aws_instance.db"),
        ("aws_instance.app", "aws_vpn_connection.office"),
    ] {
        let x = json(&[
            "explain", &plan, "--from", from, "--to", to, "--format", "json",
        ]);
        let x = &x.as_array().expect("a list of explanations")[0];
        let pair = listed["pairs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["from"] == from && p["to"] == to)
            .unwrap_or_else(|| panic!("no workloads pair {from} -> {to}"));
        assert_eq!(x["verdict"], pair["verdict"], "{from} -> {to}");
        assert_eq!(
            (x["from"].as_str(), x["to"].as_str()),
            (Some(from), Some(to))
        );
    }
}

/// A workload whose own settings give it no public address (an EKS control
/// plane) in a subnet that maps one on launch: the reason names the
/// workload, not the subnet's mapping, which is not what decides.
#[test]
fn no_public_address_names_the_workload_whose_own_settings_give_none() {
    let plan = fixture("eks_node_group_remote_access_opens_ssh");
    let doc = json(&["workloads", &plan, "--format", "json"]);
    let pair = doc["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["from"] == "internet" && p["to"] == "aws_eks_cluster.main")
        .expect("the internet's pair with the cluster");
    assert_eq!(pair["verdict"], "blocked");
    let messages: Vec<&str> = pair["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["code"] == "NO_PUBLIC_ADDRESS")
        .map(|r| r["message"].as_str().unwrap())
        .collect();
    assert!(!messages.is_empty(), "{pair:#}");
    for m in messages {
        assert!(
            m.contains("aws_eks_cluster.main has no public IPv4 address"),
            "{m}"
        );
        assert!(!m.contains("does not map one on launch"), "{m}");
    }
}
