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
