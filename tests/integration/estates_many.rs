//! Several documents read as one estate (`tfreach analyze A.json B.json`):
//! links by AWS ID across documents, addresses prefixed with each
//! document's label, the same object seen twice kept once, conflicting
//! documents reported; one document reads exactly as it always did.

use assert_cmd::Command;
use serde_json::Value;

use crate::support::root;

const ESTATES: &str = "fixtures/estates";

fn tfreach() -> Command {
    let mut c = Command::cargo_bin("tfreach").unwrap();
    c.current_dir(root().join(ESTATES));
    c
}

/// `tfreach ARGS`, which must succeed, as JSON.
fn json(args: &[&str]) -> Value {
    let out = tfreach().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

/// `analyze --format json` of the documents.
fn report(files: &[&str]) -> Value {
    let mut args = vec!["analyze", "--format", "json"];
    args.extend(files);
    json(&args)
}

/// The verdict of the pair (from, to) in a report.
fn verdict(report: &Value, from: &str, to: &str) -> String {
    report["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["from"] == from && p["to"] == to)
        .unwrap_or_else(|| panic!("no pair {from} -> {to} in {}", report["pairs"]))["verdict"]
        .as_str()
        .unwrap()
        .to_string()
}

fn subnets(report: &Value) -> Vec<(String, String)> {
    report["subnets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["address"].as_str().unwrap().to_string(),
                s["vpc"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn finding_codes(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn cross_account_peering_turns_from_unknown_to_reachable_when_the_accepter_document_is_given() {
    let alone = report(&["cross_account_peering/requester.json"]);
    assert_eq!(
        verdict(&alone, "aws_subnet.app", "data.aws_subnet.hub_app"),
        "unknown"
    );
    let both = report(&[
        "cross_account_peering/requester.json",
        "cross_account_peering/accepter.json",
    ]);
    for (from, to) in [
        ("requester:aws_subnet.app", "accepter:aws_subnet.hub_app"),
        ("accepter:aws_subnet.hub_app", "requester:aws_subnet.app"),
    ] {
        assert_eq!(verdict(&both, from, to), "reachable", "{from} -> {to}");
    }
    // The data source that read the peer subnet is the accepter's subnet.
    let names: Vec<String> = subnets(&both).into_iter().map(|(a, _)| a).collect();
    assert_eq!(
        names,
        ["accepter:aws_subnet.hub_app", "requester:aws_subnet.app"]
    );
    assert_eq!(both["summary"]["unknown"], 0);
}

#[test]
fn spoke_reaches_the_hub_through_a_transit_gateway_another_document_owns() {
    let both = report(&[
        "transit_gateway_hub/network.json",
        "transit_gateway_hub/spoke.json",
    ]);
    for (from, to) in [
        ("spoke:aws_subnet.app", "network:aws_subnet.shared_app"),
        ("network:aws_subnet.shared_app", "spoke:aws_subnet.app"),
    ] {
        assert_eq!(verdict(&both, from, to), "reachable", "{from} -> {to}");
    }
    let spoke = report(&["transit_gateway_hub/spoke.json"]);
    assert_eq!(spoke["summary"]["pairs"], 0, "the hub side is not in it");
}

#[test]
fn a_route_table_another_document_manages_routes_the_shared_subnet() {
    let alone = report(&["shared_subnet_routed_elsewhere/network.json"]);
    assert_eq!(
        verdict(&alone, "aws_subnet.app", "aws_subnet.b_app"),
        "blocked",
        "alone, the subnet uses its VPC's main route table"
    );
    let both = report(&[
        "shared_subnet_routed_elsewhere/network.json",
        "shared_subnet_routed_elsewhere/routing.json",
    ]);
    for (from, to) in [
        ("network:aws_subnet.app", "network:aws_subnet.b_app"),
        ("network:aws_subnet.b_app", "network:aws_subnet.app"),
    ] {
        assert_eq!(verdict(&both, from, to), "reachable", "{from} -> {to}");
    }
    assert!(finding_codes(&both).is_empty(), "{}", both["findings"]);
}

#[test]
fn a_data_source_gives_way_to_the_vpc_another_document_manages() {
    let alone = report(&["data_vpc_reads_other_document/app.json"]);
    assert_eq!(
        subnets(&alone),
        [("aws_subnet.app".to_string(), "data.aws_vpc.hub".to_string())]
    );
    let both = report(&[
        "data_vpc_reads_other_document/network.json",
        "data_vpc_reads_other_document/app.json",
    ]);
    assert_eq!(
        subnets(&both),
        [
            ("app:aws_subnet.app".into(), "network:aws_vpc.hub".into()),
            (
                "network:aws_subnet.shared".into(),
                "network:aws_vpc.hub".into()
            ),
        ]
    );
    assert_eq!(
        verdict(&both, "app:aws_subnet.app", "network:aws_subnet.shared"),
        "reachable"
    );
    let text = both.to_string();
    assert!(!text.contains("data.aws_vpc"), "{text}");
}

#[test]
fn the_same_state_given_twice_is_read_once() {
    let once = report(&["same_state_twice/monday.json"]);
    let twice = report(&[
        "same_state_twice/monday.json",
        "same_state_twice/tuesday.json",
    ]);
    assert_eq!(once["summary"], twice["summary"]);
    assert!(finding_codes(&twice).is_empty(), "{}", twice["findings"]);
    let prefixed: Vec<(String, String)> = subnets(&once)
        .into_iter()
        .map(|(a, v)| (format!("monday:{a}"), format!("monday:{v}")))
        .collect();
    assert_eq!(subnets(&twice), prefixed);
    assert!(!twice.to_string().contains("tuesday:aws_"));
}

#[test]
fn documents_that_manage_one_object_with_different_values_are_a_conflict() {
    let r = report(&[
        "conflicting_documents/current.json",
        "conflicting_documents/stale.json",
    ]);
    let conflicts: Vec<&Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == tfreach::codes::CONFLICTING_DOCUMENTS)
        .collect();
    assert_eq!(conflicts.len(), 1, "{}", r["findings"]);
    let f = conflicts[0];
    assert_eq!(f["resource"], "current:aws_vpc.b");
    assert_eq!(f["severity"], "error");
    let message = f["message"].as_str().unwrap();
    assert!(message.contains("stale:aws_vpc.b"), "{message}");
    // The first document's values are kept: VPC b is 10.1.0.0/16.
    let b = r["subnets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["address"] == "current:aws_subnet.b_app")
        .unwrap();
    assert_eq!(b["vpc"], "current:aws_vpc.b");
    assert_eq!(
        verdict(&r, "current:aws_subnet.a_app", "current:aws_subnet.b_app"),
        "reachable"
    );
    // An error finding fails the gate.
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.toml");
    std::fs::write(&policy, "").unwrap();
    tfreach()
        .args(["check", "--policy"])
        .arg(&policy)
        .args([
            "conflicting_documents/current.json",
            "conflicting_documents/stale.json",
        ])
        .assert()
        .code(1);
}

#[test]
fn explain_matrix_and_check_read_several_documents_as_one_estate() {
    let files = [
        "cross_account_peering/requester.json",
        "cross_account_peering/accepter.json",
    ];
    let mut args = vec![
        "explain",
        "--from",
        "requester:aws_subnet.*",
        "--to",
        "accepter:*",
        "--format",
        "json",
    ];
    args.extend(files);
    let list = json(&args);
    assert_eq!(list[0]["from"], "requester:aws_subnet.app");
    assert_eq!(list[0]["to"], "accepter:aws_subnet.hub_app");
    assert_eq!(list[0]["verdict"], "reachable");

    let out = tfreach()
        .args(["matrix", "--format", "csv"])
        .args(files)
        .output()
        .unwrap();
    assert!(out.status.success());
    let csv = String::from_utf8(out.stdout).unwrap();
    assert!(
        csv.contains("requester:aws_subnet.app,accepter:aws_subnet.hub_app,reachable"),
        "{csv}"
    );

    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        "[[expect]]\nfrom = 'requester:*'\nto = 'accepter:*'\nverdict = \"reachable\"\n",
    )
    .unwrap();
    tfreach()
        .args(["check", "--policy"])
        .arg(&policy)
        .args(files)
        .assert()
        .code(0);
    // The requester alone cannot pass it: the accepter's subnets are not there.
    tfreach()
        .args(["check", "--policy"])
        .arg(&policy)
        .arg(files[0])
        .assert()
        .code(1);
}

#[test]
fn name_sets_a_label_and_one_document_keeps_its_addresses() {
    let r = json(&[
        "analyze",
        "--format",
        "json",
        "--name",
        "hub=data_vpc_reads_other_document/network.json",
        "data_vpc_reads_other_document/network.json",
        "data_vpc_reads_other_document/app.json",
    ]);
    assert_eq!(subnets(&r)[1].0, "hub:aws_subnet.shared");
    assert_eq!(r["input"]["documents"][0]["label"], "hub");
    assert_eq!(r["input"]["documents"][1]["label"], "app");
    // With one document, a label changes nothing.
    let plain = tfreach()
        .args(["analyze", "same_state_twice/monday.json"])
        .output()
        .unwrap();
    let named = tfreach()
        .args([
            "analyze",
            "--name",
            "x=same_state_twice/monday.json",
            "same_state_twice/monday.json",
        ])
        .output()
        .unwrap();
    assert_eq!(plain.stdout, named.stdout);
    let one = report(&["same_state_twice/monday.json"]);
    assert!(one["input"].get("documents").is_none());
    assert_eq!(one["input"]["file"], "same_state_twice/monday.json");
}

#[test]
fn labels_must_be_unique_and_standard_input_is_read_once() {
    let out = tfreach()
        .args([
            "analyze",
            "transit_gateway_hub/network.json",
            "shared_subnet_routed_elsewhere/network.json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("shared_subnet_routed_elsewhere/network.json")
            && err.contains("transit_gateway_hub/network.json")
            && err.contains("--name"),
        "{err}"
    );
    let out = tfreach().args(["analyze", "-", "-"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = tfreach()
        .args([
            "analyze",
            "--name",
            "a:b=same_state_twice/monday.json",
            "same_state_twice/monday.json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_document_that_cannot_be_read_is_named_and_exits_2() {
    let out = tfreach()
        .args(["analyze", "same_state_twice/monday.json", "nowhere.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("tfreach: error: nowhere.json: "), "{err}");
}

#[test]
fn estate_reports_validate_against_their_schemas() {
    let files = [
        "cross_account_peering/requester.json",
        "cross_account_peering/accepter.json",
    ];
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.toml");
    std::fs::write(&policy, "").unwrap();
    let policy = policy.to_string_lossy().to_string();
    for (schema, args) in [
        ("report", vec!["analyze", "--format", "json"]),
        ("matrix", vec!["matrix", "--format", "json"]),
        ("vpc-matrix", vec!["matrix", "--by-vpc", "--format", "json"]),
        (
            "check",
            vec!["check", "--format", "json", "--policy", &policy],
        ),
    ] {
        let mut args = args.clone();
        args.extend(files);
        let out = tfreach().args(&args).output().unwrap();
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        let path = root().join(format!("schemas/{schema}.v1.schema.json"));
        let s: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let v = jsonschema::draft202012::new(&s).unwrap();
        let errs: Vec<String> = v.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errs.is_empty(), "{schema}: {errs:?}");
        assert_eq!(doc["input"]["documents"].as_array().unwrap().len(), 2);
    }
}

#[test]
fn build_many_of_one_document_is_build() {
    let path = root().join(ESTATES).join("same_state_twice/monday.json");
    let doc = tfreach::ingest::parse(&std::fs::read(&path).unwrap(), "monday.json").unwrap();
    let view = tfreach::ingest::View::Planned;
    let one = tfreach::model::build_many(&[("monday", &doc)], view);
    let plain = tfreach::model::build(&doc, view);
    let names = |b: &tfreach::model::Built| -> Vec<String> {
        b.model.subnets.iter().map(|s| s.address.clone()).collect()
    };
    assert_eq!(names(&one), names(&plain));
    let two = tfreach::model::build_many(&[("monday", &doc), ("again", &doc)], view);
    assert_eq!(
        names(&two),
        names(&plain)
            .iter()
            .map(|a| format!("monday:{a}"))
            .collect::<Vec<_>>()
    );
    assert!(two.findings.is_empty());
}

const QUARANTINE: &str = "plan_lifts_a_quarantine";

/// The (from, to, before, after) of each change in a `diff --format json`.
fn changes(diff: &Value) -> Vec<(String, String, String, String)> {
    diff["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap().to_string();
            (s("from"), s("to"), s("before"), s("after"))
        })
        .collect()
}

fn quarantine_file(name: &str) -> String {
    format!("{QUARANTINE}/{name}")
}

/// What lifting the quarantine of spoke b changes: spoke b's pairs with
/// both other VPCs open, and nothing else.
fn lifted_quarantine() -> Vec<(String, String, String, String)> {
    let c = |f: &str, t: &str, b: &str| {
        (
            f.to_string(),
            t.to_string(),
            b.to_string(),
            "reachable".to_string(),
        )
    };
    vec![
        c(
            "network:aws_subnet.shared_app",
            "spoke_b:aws_subnet.app",
            "blocked",
        ),
        c(
            "spoke_a:aws_subnet.app",
            "spoke_b:aws_subnet.app",
            "blocked",
        ),
        c(
            "spoke_b:aws_subnet.app",
            "network:aws_subnet.shared_app",
            "one_way",
        ),
        c(
            "spoke_b:aws_subnet.app",
            "spoke_a:aws_subnet.app",
            "one_way",
        ),
    ]
}

#[test]
fn diff_with_the_estate_shows_a_plan_changing_pairs_between_other_documents() {
    let plan = quarantine_file("network.plan.json");
    let (a, b) = (
        quarantine_file("spoke_a.json"),
        quarantine_file("spoke_b.json"),
    );
    let d = json(&["diff", &plan, "--with", &a, &b, "--format", "json"]);
    // spoke_a -> spoke_b: two other documents' subnets; shared -> spoke_b:
    // the plan's own subnet and another document's. shared <-> spoke_a does
    // not change, so it is not listed.
    assert_eq!(changes(&d), lifted_quarantine());
    let docs = |side: &str| -> Vec<(String, String)> {
        d[side]["documents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                (
                    x["label"].as_str().unwrap().into(),
                    x["view"].as_str().unwrap().into(),
                )
            })
            .collect()
    };
    assert_eq!(
        docs("before"),
        [
            ("network".into(), "prior".into()),
            ("spoke_a".into(), "planned".into()),
            ("spoke_b".into(), "planned".into())
        ]
    );
    assert_eq!(
        docs("after")[0],
        ("network".to_string(), "planned".to_string())
    );
    // The plan alone holds one subnet: nothing to compare it with.
    let alone = json(&["diff", &plan, "--format", "json"]);
    assert!(changes(&alone).is_empty(), "{alone}");
    // The document validates against the diff schema.
    let path = root().join("schemas/diff.v1.schema.json");
    let s: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let v = jsonschema::draft202012::new(&s).unwrap();
    let errs: Vec<String> = v.iter_errors(&d).map(|e| e.to_string()).collect();
    assert!(errs.is_empty(), "{errs:?}");
}

#[test]
fn diff_of_two_versions_of_one_document_reads_both_with_the_same_label() {
    let old = quarantine_file("quarantined.json");
    let new = quarantine_file("network.plan.json");
    let (a, b) = (
        quarantine_file("spoke_a.json"),
        quarantine_file("spoke_b.json"),
    );
    let d = json(&["diff", &old, &new, "--with", &a, &b, "--format", "json"]);
    assert_eq!(changes(&d), lifted_quarantine());
    assert_eq!(d["before"]["documents"][0]["file"], old.as_str());
    assert_eq!(d["before"]["documents"][0]["label"], "network");
    // --name on either names both.
    let d = json(&[
        "diff",
        &old,
        &new,
        "--with",
        &a,
        &b,
        "--name",
        &format!("hub={old}"),
        "--format",
        "json",
    ]);
    assert_eq!(d["changes"][0]["from"], "hub:aws_subnet.shared_app");
}

#[test]
fn diff_markdown_over_an_estate_labels_addresses_and_names_what_changes() {
    let out = tfreach()
        .args(["diff", &quarantine_file("network.plan.json"), "--with"])
        .args([
            quarantine_file("spoke_a.json"),
            quarantine_file("spoke_b.json"),
        ])
        .args(["--format", "markdown"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(
        md.contains("(`network`): prior state → planned values, with")
            && md.contains("(`spoke_b`) as they are"),
        "{md}"
    );
    assert!(
        md.contains(
            "| `spoke_a:aws_subnet.app` | `spoke_b:aws_subnet.app` | blocked | reachable |"
        ),
        "{md}"
    );
}

#[test]
fn diff_labels_are_unique_and_standard_input_is_read_once() {
    let plan = quarantine_file("network.plan.json");
    let out = tfreach()
        .args([
            "diff",
            &plan,
            "--with",
            &quarantine_file("quarantined.json"),
        ])
        .args(["--name", &format!("quarantined={plan}")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--name"));
    let out = tfreach()
        .args(["diff", "-", "--with", "-"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn check_compares_the_estate_with_the_plans_prior_state_or_a_baseline_in_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        "[[no_new_path]]\nfrom = 'spoke_a:*'\nto = 'spoke_b:*'\n",
    )
    .unwrap();
    let policy = policy.to_string_lossy().to_string();
    let (plan, a, b) = (
        quarantine_file("network.plan.json"),
        quarantine_file("spoke_a.json"),
        quarantine_file("spoke_b.json"),
    );
    let old = quarantine_file("quarantined.json");
    // The plan's prior state, the states as they are: the rule sees the path open.
    tfreach()
        .args(["check", "--policy", &policy, &plan, &a, &b])
        .assert()
        .code(1);
    // A baseline stands for the document its label names (here the second)...
    let out = tfreach()
        .args([
            "check",
            "--format",
            "json",
            "--policy",
            &policy,
            "--baseline",
        ])
        .args([format!("network={old}"), a.clone(), plan.clone(), b.clone()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let base = &r["baseline"]["documents"];
    assert_eq!(base[1]["label"], "network");
    assert_eq!(base[1]["file"], old.as_str());
    assert_eq!(base[0]["file"], a.as_str());
    assert_eq!(r["passed"], false, "{r}");
    // ... or for the first; against itself nothing opens.
    let r = json(&[
        "check",
        "--format",
        "json",
        "--policy",
        &policy,
        "--baseline",
        &a,
        &a,
        &old,
        &b,
    ]);
    assert_eq!(r["baseline"]["documents"][0]["label"], "spoke_a");
    assert_eq!(r["passed"], true, "{r}");
}

/// The reasons of a pair in a report, as `CODE message` lines.
fn reasons(report: &Value, from: &str, to: &str) -> Vec<String> {
    report["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["from"] == from && p["to"] == to)
        .unwrap()["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r["code"].as_str().unwrap(),
                r["message"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn auto_accept_across_accounts_is_not_accepted() {
    // The new VPC has no owner_id until apply; the caller identity the plan
    // reads says the requester's account, and the peer is in another.
    let r = report(&[
        "auto_accept_across_accounts/requester.json",
        "auto_accept_across_accounts/accepter.json",
    ]);
    let (from, to) = ("requester:aws_subnet.app", "accepter:aws_subnet.hub_app");
    assert_eq!(verdict(&r, from, to), "blocked");
    let why = reasons(&r, from, to);
    assert!(
        why[0].starts_with("BAD_STATE")
            && why[0].contains("auto_accept")
            && why[0].contains("the peer is in account 444455556666, the requester in 111122223333 (requester:data.aws_caller_identity.current)"),
        "{why:?}"
    );
}

#[test]
fn auto_accept_is_unknown_when_no_document_says_the_requesters_account() {
    let r = report(&[
        "auto_accept_across_accounts/requester_silent.json",
        "auto_accept_across_accounts/accepter.json",
    ]);
    let (from, to) = (
        "requester_silent:aws_subnet.app",
        "accepter:aws_subnet.hub_app",
    );
    assert_eq!(verdict(&r, from, to), "unknown");
    let why = reasons(&r, from, to).join("\n");
    assert!(
        why.contains("the peer account 444455556666 may differ from the requester's: the input does not say which account"),
        "{why}"
    );
}

#[test]
fn region_read_from_provider_config() {
    // Provider 5: no resource records a `region`. The provider block names
    // the Region, the same as `peer_region`: a same-account, same-Region
    // peering nobody accepts stays pending.
    let r = report(&["region_from_provider_config/plan.json"]);
    assert_eq!(
        verdict(&r, "aws_subnet.a_app", "aws_subnet.b_app"),
        "blocked"
    );
    assert!(
        reasons(&r, "aws_subnet.a_app", "aws_subnet.b_app")[0].contains("stays pending-acceptance")
    );
    // Without the Region in the provider block the same plan cannot be told.
    let r = report(&["region_from_provider_config/plan_region_unset.json"]);
    assert_eq!(
        verdict(&r, "aws_subnet.a_app", "aws_subnet.b_app"),
        "unknown"
    );
    let why = reasons(&r, "aws_subnet.a_app", "aws_subnet.b_app").join("\n");
    assert!(
        why.contains("the peer Region eu-west-1 may differ"),
        "{why}"
    );
}

/// A document of the estates fixtures, parsed, after `edit`.
fn parsed(path: &str, edit: impl FnOnce(&mut Value)) -> tfreach::ingest::Document {
    let text = std::fs::read(root().join(ESTATES).join(path)).unwrap();
    let mut v: Value = serde_json::from_slice(&text).unwrap();
    edit(&mut v);
    tfreach::ingest::parse(&serde_json::to_vec(&v).unwrap(), path).unwrap()
}

/// The account and Region of the VPC at `address` in the model of the documents.
fn place(
    docs: &[(&str, &tfreach::ingest::Document)],
    address: &str,
) -> (Result<String, String>, Result<String, String>) {
    let built = tfreach::model::build_many(docs, tfreach::ingest::View::Planned);
    let m = &built.model;
    let v = m.vpcs.iter().position(|v| v.address == address).unwrap();
    let own = |r: Result<&str, &str>| r.map(str::to_string).map_err(str::to_string);
    (own(m.vpc_account(v)), own(m.vpc_region(v)))
}

#[test]
fn the_model_tells_each_vpcs_account_and_region_or_why_not() {
    let accepter = parsed("auto_accept_across_accounts/accepter.json", |_| {});
    let requester = parsed("auto_accept_across_accounts/requester.json", |_| {});
    let docs = [("requester", &requester), ("accepter", &accepter)];
    assert_eq!(
        place(&docs, "requester:aws_vpc.app"),
        (Ok("111122223333".into()), Ok("us-east-1".into()))
    );
    assert_eq!(
        place(&docs, "accepter:aws_vpc.hub").0,
        Ok("444455556666".into())
    );
    let silent = parsed("auto_accept_across_accounts/requester_silent.json", |_| {});
    let (account, region) = place(
        &[("silent", &silent), ("accepter", &accepter)],
        "silent:aws_vpc.app",
    );
    assert!(account.unwrap_err().contains("does not say which account"));
    assert_eq!(region, Ok("us-east-1".into()));
}

#[test]
fn account_read_from_the_role_the_provider_assumes_and_unknown_when_two_sources_disagree() {
    let role = |account: &str| serde_json::json!([{"role_arn": {"constant_value": format!("arn:aws:iam::{account}:role/deploy")}}]);
    let assumed = parsed("auto_accept_across_accounts/requester_silent.json", |v| {
        v["configuration"]["provider_config"]["aws"]["expressions"]["assume_role"] =
            role("111122223333");
    });
    let (account, _) = place(&[("r", &assumed)], "aws_vpc.app");
    assert_eq!(account, Ok("111122223333".into()));
    // A caller identity that names another account than the role's: unknown.
    let disagree = parsed("auto_accept_across_accounts/requester.json", |v| {
        v["configuration"]["provider_config"]["aws"]["expressions"]["assume_role"] =
            role("999988887777");
    });
    let (account, _) = place(&[("r", &disagree)], "aws_vpc.app");
    let why = account.unwrap_err();
    assert!(
        why.contains("several accounts")
            && why.contains("999988887777")
            && why.contains("111122223333"),
        "{why}"
    );
}

/// `check` over the quarantine estate in `format`, with more arguments.
fn check_estate(format: &str, policy: &std::path::Path, more: &[&str]) -> String {
    let out = tfreach()
        .current_dir(root().join(ESTATES).join(QUARANTINE))
        .args([
            "check",
            "network.plan.json",
            "spoke_a.json",
            "spoke_b.json",
            "--format",
            format,
            "--policy",
        ])
        .arg(policy)
        .args(more)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn sarif_and_junit_point_at_each_resources_own_document_or_its_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.toml");
    // Fails on the planned estate (the quarantine is lifted); the finding
    // about the hub's default route table is the network document's.
    std::fs::write(
        &policy,
        "[[expect]]\nfrom = 'spoke_a:*'\nto = 'spoke_b:*'\nverdict = 'blocked'\n",
    )
    .unwrap();
    let locations = |more: &[&str]| -> Vec<(String, String, u64)> {
        let sarif: Value = serde_json::from_str(&check_estate("sarif", &policy, more)).unwrap();
        sarif["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let at = &r["locations"][0]["physicalLocation"];
                (
                    r["ruleId"].as_str().unwrap().to_string(),
                    at["artifactLocation"]["uri"].as_str().unwrap().to_string(),
                    at["region"]["startLine"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let finding = |l: &[(String, String, u64)]| {
        l.iter()
            .find(|(id, _, _)| id == tfreach::codes::ASSUMED_TGW_DEFAULT_ROUTE_TABLE)
            .cloned()
            .unwrap()
    };
    // Without its configuration: the network document itself.
    let plain = locations(&[]);
    assert_eq!(finding(&plain).1, "network.plan.json");
    // With the network's configuration: the .tf line of the gateway. The
    // spoke's configuration is not given: nothing points into another's.
    let with = locations(&["--config-dir", "network=config/network"]);
    assert_eq!(
        finding(&with),
        (finding(&with).0, "config/network/main.tf".into(), 9)
    );
    // The expectation's issue is on spoke_a's subnet: its .tf line when
    // spoke_a's configuration is given, else the policy line.
    let expect = |l: &[(String, String, u64)]| {
        l.iter()
            .find(|(id, _, _)| id == "POLICY_EXPECT")
            .cloned()
            .unwrap()
    };
    assert!(expect(&with).1.ends_with("policy.toml"));
    let spoke = locations(&["--config-dir", "spoke_a=config/spoke_a"]);
    assert_eq!(
        (expect(&spoke).1.as_str(), expect(&spoke).2),
        ("config/spoke_a/main.tf", 14)
    );

    let junit = check_estate(
        "junit",
        &policy,
        &["--config-dir", "network=config/network"],
    );
    assert!(
        junit.contains(
            r#"name="ASSUMED_TGW_DEFAULT_ROUTE_TABLE" file="config/network/main.tf" line="9""#
        ),
        "{junit}"
    );
    assert!(
        junit.contains(r#"value="network.plan.json, spoke_a.json, spoke_b.json""#),
        "{junit}"
    );
    let junit = check_estate("junit", &policy, &[]);
    assert!(
        junit.contains(r#"name="ASSUMED_TGW_DEFAULT_ROUTE_TABLE" file="network.plan.json""#),
        "{junit}"
    );
}

#[test]
fn config_dir_with_several_documents_names_its_document() {
    let out = tfreach()
        .current_dir(root().join(ESTATES).join(QUARANTINE))
        .args([
            "check",
            "network.plan.json",
            "spoke_a.json",
            "--policy",
            "nowhere.toml",
        ])
        .args(["--config-dir", "config/network"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    // The policy is read first; a readable one shows the config-dir error.
    assert!(err.contains("nowhere.toml"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.toml");
    std::fs::write(&policy, "").unwrap();
    let out = tfreach()
        .current_dir(root().join(ESTATES).join(QUARANTINE))
        .args(["check", "network.plan.json", "spoke_a.json", "--policy"])
        .arg(&policy)
        .args(["--config-dir", "config/network"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--config-dir LABEL=DIR") && err.contains("network, spoke_a"),
        "{err}"
    );
}

/// The `summary` of `analyze --format json --pairs none` over the files.
fn summary_of(files: &[std::path::PathBuf]) -> Value {
    let out = tfreach()
        .args(["analyze", "--format", "json", "--pairs", "none"])
        .args(files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Value>(&out.stdout).unwrap()["summary"].clone()
}

/// A generated estate split over one document per group of VPCs (and the
/// transit gateway's network document), linked by ID, gives the verdict
/// counts of the same estate in one plan, for every kind of link.
#[test]
fn a_split_estate_gives_the_summary_of_the_same_estate_in_one_document() {
    use tfreach_synth::{self as synth, EstateSpec, Mode, Topology};
    let dir = tempfile::tempdir().unwrap();
    for (n, topology) in [
        Topology::HubChain,
        Topology::Mesh { group: 5 },
        Topology::TransitGateway,
        Topology::TgwInspection,
    ]
    .into_iter()
    .enumerate()
    {
        let spec = EstateSpec {
            nat: true,
            nacls: true,
            gateway_endpoints: true,
            ..EstateSpec::new(23, 4, topology, Mode::Steady, 7)
        };
        let one = dir.path().join(format!("one-{n}.json"));
        synth::write_plan(&spec, std::fs::File::create(&one).unwrap()).unwrap();
        let split =
            synth::split::write_split(&spec, 6, &dir.path().join(format!("split-{n}"))).unwrap();
        // 23 VPCs in groups of 6: four documents, and the network's with a transit gateway.
        assert_eq!(
            split.len(),
            4 + usize::from(topology.transit_gateway()),
            "{topology:?}"
        );
        let whole = summary_of(&[one]);
        assert_eq!(summary_of(&split), whole, "{topology:?}");
        let mut want = synth::expected_summary(&spec);
        if let Some(i) = synth::expected_internet(&spec) {
            want.pairs += i.pairs;
            want.reachable += i.reachable;
            want.blocked += i.blocked;
            want.one_way += i.one_way;
            want.partial += i.partial;
            want.unknown += i.unknown;
        }
        assert_eq!(whole["pairs"], want.pairs, "{topology:?}");
        assert_eq!(whole["reachable"], want.reachable, "{topology:?}");
    }
    // A greenfield estate has no IDs to link its documents by.
    let greenfield = EstateSpec::new(4, 2, Topology::Chain, Mode::Greenfield, 1);
    let err = synth::split::write_split(&greenfield, 2, &dir.path().join("g")).unwrap_err();
    assert!(err.to_string().contains("steady"), "{err}");
}

#[test]
fn attachment_from_another_account_waits_for_the_gateway_owner_to_accept_it() {
    let dir = "shared_attachment_needs_acceptance";
    let (a, b) = ("network:aws_subnet.shared_app", "spoke:aws_subnet.app");
    let pending = report(&[&format!("{dir}/network.json"), &format!("{dir}/spoke.json")]);
    for (from, to) in [(a, b), (b, a)] {
        assert_eq!(verdict(&pending, from, to), "unknown", "{from} -> {to}");
    }
    let why = reasons(&pending, b, a).join("\n");
    assert!(
        why.contains("attaches a VPC of account 444455556666")
            && why.contains("which account 111122223333 owns")
            && why.contains("pendingAcceptance"),
        "{why}"
    );
    // The network's configuration accepts it: certain, and reachable.
    let accepted = json(&[
        "analyze",
        "--format",
        "json",
        "--name",
        &format!("network={dir}/network_accepts.json"),
        &format!("{dir}/network_accepts.json"),
        &format!("{dir}/spoke.json"),
    ]);
    for (from, to) in [(a, b), (b, a)] {
        assert_eq!(verdict(&accepted, from, to), "reachable", "{from} -> {to}");
    }
    // The spoke alone cannot tell the gateway's owner: as before, no rule applies.
    let alone = report(&[
        "transit_gateway_hub/network.json",
        "transit_gateway_hub/spoke.json",
    ]);
    assert_eq!(
        alone["summary"]["unknown"], 0,
        "auto_accept_shared_attachments = enable"
    );
}
