//! The command line: exit codes, output formats, error messages.

use assert_cmd::Command;
use predicates::prelude::*;

use crate::support::root;

fn tfreach() -> Command {
    Command::cargo_bin("tfreach").unwrap()
}

fn example() -> String {
    root()
        .join("fixtures/example/plan.json")
        .display()
        .to_string()
}

#[test]
fn analyze_prints_the_table_with_summary_and_findings() {
    tfreach()
        .args(["analyze", &example()])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "12 ordered pairs: 6 reachable, 0 partial, 1 one-way, 5 blocked, 0 unknown",
        ))
        .stdout(predicate::str::contains("aws_vpc.prod -> aws_vpc.staging"))
        .stdout(predicate::str::contains("TRANSITIVE_PEERING"));
}

/// The developer's switches in the environment are on when set to anything
/// but nothing or `0`.
#[test]
fn timings_are_printed_when_asked_and_not_for_zero() {
    for (value, printed) in [("1", true), ("0", false), ("", false)] {
        let out = tfreach()
            .env("TFREACH_TIMINGS", value)
            .args(["analyze", &example(), "--format", "json", "--pairs", "none"])
            .output()
            .unwrap();
        assert!(out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            stderr.contains("timing:"),
            printed,
            "TFREACH_TIMINGS={value}: {stderr}"
        );
    }
}

#[test]
fn analyze_json_follows_the_contract() {
    let out = tfreach()
        .args(["analyze", &example(), "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema"], "tfreach/report/v1");
    assert_eq!(v["input"]["kind"], "plan");
    assert_eq!(v["input"]["view"], "planned");
    assert_eq!(v["summary"]["pairs"], 12);
    assert_eq!(v["pairs"].as_array().unwrap().len(), 12);
    let blocked = v["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["from"] == "aws_subnet.prod_app[0]" && p["to"] == "aws_subnet.staging_app")
        .unwrap();
    assert_eq!(blocked["verdict"], "blocked");
    assert!(blocked["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["code"] == "PCX_REQUIRES_ADDRESS_IN_VPC_CIDR"
            && r["resource"] == "aws_route_table.prod"));
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["code"] == "TRANSITIVE_PEERING" && f["severity"] == "error"));
    for s in v["subnets"].as_array().unwrap() {
        assert!(s["address"].is_string() && s["vpc"].is_string() && s["cidr"].is_string());
    }
}

#[test]
fn pairs_filter_keeps_summary_whole() {
    for (filter, listed) in [("all", 12), ("failing", 6), ("none", 0)] {
        let out = tfreach()
            .args(["analyze", &example(), "--format", "json", "--pairs", filter])
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["pairs"].as_array().unwrap().len(), listed, "{filter}");
        assert_eq!(v["summary"]["pairs"], 12);
        assert_eq!(v["summary"]["reachable"], 6);
    }
}

#[test]
fn prior_view_of_a_plan_is_the_network_before_apply() {
    let plan = root().join("fixtures/rules/plan_deletes_peering/plan.json");
    let out = tfreach()
        .args([
            "analyze",
            plan.to_str().unwrap(),
            "--format",
            "json",
            "--view",
            "prior",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["input"]["view"], "prior");
    assert!(v["summary"]["reachable"].as_u64().unwrap() > 0);
}

#[test]
fn standard_input_and_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.json");
    tfreach()
        .args([
            "analyze",
            "-",
            "--format",
            "json",
            "--output",
            out.to_str().unwrap(),
        ])
        .pipe_stdin(root().join("fixtures/example/plan.json"))
        .unwrap()
        .assert()
        .success()
        .stdout("");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(out).unwrap()).unwrap();
    assert_eq!(v["summary"]["pairs"], 12);
}

#[test]
fn output_is_identical_with_one_thread_and_many() {
    let run = |threads: &str| {
        tfreach()
            .args([
                "analyze",
                &example(),
                "--format",
                "json",
                "--threads",
                threads,
            ])
            .output()
            .unwrap()
            .stdout
    };
    assert_eq!(run("1"), run("4"));
}

#[test]
fn explain_shows_both_directions_hop_by_hop() {
    tfreach()
        .args([
            "explain",
            &example(),
            "--from",
            "aws_subnet.prod_app[0]",
            "--to",
            "aws_subnet.staging_app",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "aws_subnet.prod_app[0] -> aws_subnet.staging_app: blocked",
        ))
        .stdout(predicate::str::contains(
            "forward IPv4 10.10.1.0/24 -> 10.20.1.0/24: dropped",
        ))
        .stdout(predicate::str::contains(
            "return IPv4 10.20.1.0/24 -> 10.10.1.0/24: dropped",
        ))
        .stdout(predicate::str::contains("crosses into aws_vpc.shared"))
        .stdout(predicate::str::contains("<-- stops here"));
}

#[test]
fn explain_accepts_globs_and_json() {
    let out = tfreach()
        .args([
            "explain",
            &example(),
            "--from",
            "aws_subnet.prod_app*",
            "--to",
            "aws_subnet.shared_tools",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = v.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert!(list.iter().all(|x| x["verdict"] == "reachable"));
    assert_eq!(
        list[0]["forward"][0]["hops"][0]["at"],
        "aws_route_table.prod"
    );
}

#[test]
fn explain_with_unknown_subnet_is_a_usage_error() {
    tfreach()
        .args([
            "explain",
            &example(),
            "--from",
            "aws_subnet.nope",
            "--to",
            "aws_subnet.staging_app",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--from \"aws_subnet.nope\" matches no subnet",
        ));
}

#[test]
fn bad_input_exits_two_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &[u8], &str)] = &[
        ("empty.json", b"", "the input is empty"),
        ("array.json", b"[1,2]", "expected a JSON object"),
        ("truncated.json", b"{\"format_version\": \"1.2\", \"planned_values\": {", "truncated"),
        ("future.json", b"{\"format_version\": \"2.0\", \"planned_values\": {}}", "newer than this tfreach reads"),
        ("wrongtype.json", b"{\"format_version\": \"1.2\", \"resource_changes\": {}}", "at resource_changes"),
        ("notterraform.json", b"{\"hello\": 1}", "not terraform output"),
        (
            "log.json",
            b"{\"@level\":\"info\",\"@message\":\"Terraform 1.9.5\",\"type\":\"version\"}\n{\"@level\":\"info\",\"@message\":\"x\",\"type\":\"planned_change\"}\n",
            "terraform show -json plan.out",
        ),
    ];
    for (name, bytes, needle) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        let out = tfreach()
            .args(["analyze", p.to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains(needle), "{name}: {err}");
        assert!(
            err.contains(name),
            "{name}: the message names the file: {err}"
        );
        assert_eq!(err.trim_end().lines().count(), 1, "{name}: one line: {err}");
        assert!(!err.contains("panicked"), "{name}");
    }
}

#[test]
fn missing_file_and_bad_flag_exit_two() {
    tfreach()
        .args(["analyze", "/nonexistent/plan.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read"));
    tfreach()
        .args(["analyze", &example(), "--format", "yaml"])
        .assert()
        .code(2);
    tfreach()
        .args(["analyze", &example(), "--view", "later"])
        .assert()
        .code(2);
}

#[test]
fn analyze_says_which_traffic_round_trips_when_acls_narrow_it() {
    let plan = root().join("fixtures/rules/nacl_lowest_rule_number_wins/plan.json");
    let out = tfreach()
        .args(["analyze", plan.to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let narrowed: Vec<&serde_json::Value> = v["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["traffic"].is_string())
        .collect();
    assert!(
        !narrowed.is_empty(),
        "some pair says which traffic round-trips"
    );
    for p in narrowed {
        assert!(matches!(
            p["verdict"].as_str(),
            Some("reachable" | "partial")
        ));
    }
}

/// A file is mapped into memory and its decoded pages handed back as ingest
/// goes, a few thousand resources at a time; standard input is read whole.
/// On a plan of several such chunks (prior state, planned values and
/// changes, with data sources and ACLs) both give the same report.
#[test]
fn a_mapped_file_and_standard_input_give_the_same_report() {
    use tfreach_synth::{write_plan, EstateSpec, Mode, Topology};
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("estate.json");
    let mut spec = EstateSpec::new(220, 10, Topology::Chain, Mode::Steady, 9);
    spec.nacls = true;
    spec.gateway_endpoints = true;
    write_plan(&spec, std::fs::File::create(&plan).unwrap()).unwrap();
    assert!(std::fs::metadata(&plan).unwrap().len() > 8 << 20);
    let path = plan.to_str().unwrap();
    for args in [
        vec!["analyze", "--format", "json", "--pairs", "none"],
        vec!["matrix", "--format", "csv", "--by-vpc"],
    ] {
        let mapped = tfreach().args(&args).arg(path).output().unwrap();
        let piped = tfreach()
            .args(&args)
            .arg("-")
            .pipe_stdin(&plan)
            .unwrap()
            .output()
            .unwrap();
        assert!(mapped.status.success() && piped.status.success());
        let norm = |b: &[u8]| {
            String::from_utf8_lossy(b)
                .replace(path, "INPUT")
                .replace("<stdin>", "INPUT")
                .replace("\"file\":\"-\"", "\"file\":\"INPUT\"")
        };
        let (m, p) = (norm(&mapped.stdout), norm(&piped.stdout));
        assert!(m.len() > 10_000, "{args:?}");
        assert!(m == p, "{args:?}: the mapped and piped reports differ");
    }
}
