//! `tfreach check`: the policy gate, its exit codes, and its reports
//! (table, JSON, SARIF, JUnit, Markdown).

use std::collections::BTreeSet;
use std::path::PathBuf;

use assert_cmd::Command;
use serde_json::Value;

use crate::support::root;

const EXAMPLE: &str = "fixtures/example/plan.json";
const POLICY: &str = "fixtures/policies/example.toml";

/// Finding codes that are errors under an empty policy: each gets a result
/// in every check.
pub(crate) fn default_error_codes() -> Vec<&'static str> {
    let empty = tfreach::policy::Policy::default();
    tfreach::codes::ALL
        .iter()
        .filter(|c| {
            tfreach::policy::finding_level(&empty, c.code, c.severity)
                == tfreach::policy::Level::Error
        })
        .map(|c| c.code)
        .collect()
}

fn tfreach() -> Command {
    let mut c = Command::cargo_bin("tfreach").unwrap();
    c.current_dir(root());
    c
}

/// Writes a policy to a temporary file.
fn policy(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("policy.toml");
    std::fs::write(&p, text).unwrap();
    (dir, p)
}

fn run(args: &[&str], code: i32) -> String {
    let out = tfreach()
        .args(args)
        .assert()
        .code(code)
        .get_output()
        .clone();
    String::from_utf8(out.stdout).unwrap()
}

fn json(args: &[&str], code: i32) -> Value {
    let mut a = args.to_vec();
    a.extend(["--format", "json"]);
    serde_json::from_str(&run(&a, code)).unwrap()
}

fn outcome<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no result {name}: {v:#}"))
}

#[test]
fn the_example_plan_fails_the_example_policy_for_the_right_reasons() {
    let v = json(&["check", EXAMPLE, "--policy", POLICY], 1);
    assert_eq!(v["schema"], "tfreach/check/v1");
    assert_eq!(v["passed"], false);
    let o = |n: &str| outcome(&v, n)["outcome"].as_str().unwrap().to_string();
    assert_eq!(o("prod reaches shared services"), "pass");
    assert_eq!(o("staging reaches shared services"), "fail");
    assert_eq!(o("staging never reaches prod"), "pass");
    assert_eq!(o("no change opens a path between staging and prod"), "pass");
    assert_eq!(o("no half-open paths"), "fail");
    assert_eq!(o("TRANSITIVE_PEERING"), "fail");
    // Set to warning by the policy: reported, not failing.
    let one_sided = outcome(&v, "PEERING_ROUTE_ONE_SIDED");
    assert_eq!(one_sided["outcome"], "pass");
    assert_eq!(one_sided["level"], "warning");
    assert_eq!(
        one_sided["issues"][0]["resource"],
        "aws_vpc_peering_connection.staging_shared"
    );
    let failing = outcome(&v, "staging reaches shared services");
    assert_eq!(failing["line"], 15);
    let issue = &failing["issues"][0];
    assert_eq!(issue["from"], "aws_subnet.staging_app");
    assert_eq!(issue["to"], "aws_subnet.shared_tools");
    assert_eq!(issue["resource"], "aws_route_table.shared");
    assert_eq!(v["summary"]["failed"], 3);
}

#[test]
fn a_policy_that_holds_exits_zero() {
    let (_d, p) = policy(
        r#"
[[expect]]
from = "aws_subnet.a_app"
to = "aws_subnet.b_app"
verdict = "reachable"

[[expect]]
from = "aws_subnet.*"
to = "aws_subnet.*"
verdict = "!blocked"
"#,
    );
    let out = run(
        &[
            "check",
            "fixtures/rules/peering_two_way/plan.json",
            "--policy",
            p.to_str().unwrap(),
        ],
        0,
    );
    // Two expects, and the finding codes that are errors by default.
    let passed = 2 + default_error_codes().len();
    assert!(
        out.contains(&format!("OK: {passed} passed, 0 failed, 0 skipped")),
        "{out}"
    );
}

#[test]
fn an_expect_that_selects_nothing_does_not_hold() {
    let (_d, p) = policy(
        "[[expect]]\nfrom = \"aws_subnet.a_ap\"\nto = \"aws_subnet.b_app\"\nverdict = \"reachable\"\n\n[findings]\nTRANSITIVE_PEERING = \"off\"\n",
    );
    let v = json(
        &[
            "check",
            "fixtures/rules/peering_two_way/plan.json",
            "--policy",
            p.to_str().unwrap(),
        ],
        1,
    );
    let r = outcome(&v, "aws_subnet.a_ap -> aws_subnet.b_app is reachable");
    assert_eq!(r["outcome"], "fail");
    assert!(r["note"].as_str().unwrap().contains("selects no pair"));
    assert_eq!(outcome(&v, "TRANSITIVE_PEERING")["outcome"], "skip");
}

#[test]
fn finding_severities_come_from_the_policy() {
    // Without the transitive route's error the example still fails on its
    // one-way path, so check the finding results alone.
    for (sev, want) in [("error", "fail"), ("warning", "pass"), ("off", "skip")] {
        let (_d, p) = policy(&format!("[findings]\nTRANSITIVE_PEERING = \"{sev}\"\n"));
        let code = if sev == "error" { 1 } else { 0 };
        let v = json(&["check", EXAMPLE, "--policy", p.to_str().unwrap()], code);
        assert_eq!(outcome(&v, "TRANSITIVE_PEERING")["outcome"], want, "{sev}");
    }
    // An empty policy still makes transitive routes an error (CONTRACT.md).
    let (_d, p) = policy("");
    let v = json(&["check", EXAMPLE, "--policy", p.to_str().unwrap()], 1);
    assert_eq!(outcome(&v, "TRANSITIVE_PEERING")["level"], "error");
}

#[test]
fn a_plan_that_opens_a_forbidden_path_fails_no_new_path() {
    let (_d, p) = policy(
        r#"
[groups]
a = "aws_subnet.a_*"
b = "aws_subnet.b_*"

[[no_new_path]]
from = "@a"
to = "@b"

[[no_new_path]]
name = "b and a stay apart"
from = "@b"
to = "@a"
both_ways = true
"#,
    );
    let v = json(
        &[
            "check",
            "fixtures/rules/peering_two_way/plan.json",
            "--policy",
            p.to_str().unwrap(),
        ],
        1,
    );
    let one = outcome(&v, "no new path @a -> @b");
    assert_eq!(one["outcome"], "fail");
    assert_eq!(one["issues_total"], 1);
    assert_eq!(one["issues"][0]["from"], "aws_subnet.a_app");
    let both = outcome(&v, "b and a stay apart");
    assert_eq!(both["issues_total"], 2);
    // The plan that deletes the peering only closes paths.
    let v = json(
        &[
            "check",
            "fixtures/rules/plan_deletes_peering/plan.json",
            "--policy",
            p.to_str().unwrap(),
        ],
        0,
    );
    assert_eq!(outcome(&v, "b and a stay apart")["outcome"], "pass");
}

#[test]
fn no_new_path_needs_a_change_to_look_at() {
    let (_d, p) = policy("[[no_new_path]]\nname = \"apart\"\nfrom = \"aws_subnet.a_app\"\nto = \"aws_subnet.b_app\"\n");
    let p = p.to_str().unwrap();
    // A state has no change: skipped, and the gate passes.
    let v = json(
        &[
            "check",
            "fixtures/rules/state_document/state.json",
            "--policy",
            p,
        ],
        0,
    );
    assert_eq!(outcome(&v, "apart")["outcome"], "skip");
    // Against a baseline where the VPCs are not yet peered, the state opens the path.
    let v = json(
        &[
            "check",
            "fixtures/rules/state_document/state.json",
            "--policy",
            p,
            "--baseline",
            "fixtures/rules/plan_deletes_peering/plan.json",
        ],
        1,
    );
    assert_eq!(outcome(&v, "apart")["outcome"], "fail");
    assert_eq!(
        v["baseline"]["file"],
        "fixtures/rules/plan_deletes_peering/plan.json"
    );
}

#[test]
fn policy_mistakes_exit_2_with_every_line_at_fault() {
    let (_d, p) = policy(
        r#"[groups]
prod = "aws_subnet.prod_*"

[[expect]]
from = "@prod"
to = "@stagin"
verdict = "reachable"

[[expect]]
from = "@prod"
to = "@prod"
verdict = "reachble"

[findings]
TRANSITIVE_PEERING = "fatal"
"#,
    );
    let ps = p.to_str().unwrap();
    let out = tfreach()
        .args(["check", EXAMPLE, "--policy", ps])
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    assert!(
        lines[0].starts_with(&format!(
            "tfreach: error: {ps}: line 6: to: no group named \"stagin\""
        )),
        "{err}"
    );
    assert!(
        lines[1].starts_with(&format!(
            "tfreach: error: {ps}: line 12: unknown verdict \"reachble\""
        )),
        "{err}"
    );
    assert!(
        lines[2].starts_with(&format!(
            "tfreach: error: {ps}: line 15: unknown severity \"fatal\""
        )),
        "{err}"
    );
}

#[test]
fn a_policy_that_is_not_toml_names_its_line() {
    let (_d, p) = policy("[[expect]]\nfrom = \"a\"\nto = [\n");
    tfreach()
        .args(["check", EXAMPLE, "--policy", p.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(
            predicates::str::is_match(
                r"^tfreach: error: .*policy\.toml: line [34]: not valid TOML: ",
            )
            .unwrap(),
        );
    tfreach()
        .args(["check", EXAMPLE, "--policy", "no/such/policy.toml"])
        .assert()
        .code(2)
        .stderr(predicates::str::starts_with(
            "tfreach: error: no/such/policy.toml: cannot read",
        ));
}

#[test]
fn bad_input_is_exit_2_even_with_a_good_policy() {
    tfreach()
        .args([
            "check",
            "fixtures/policies/example.toml",
            "--policy",
            POLICY,
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::starts_with(
            "tfreach: error: fixtures/policies/example.toml: ",
        ));
}

// ---------------------------------------------------------------------------
// SARIF

/// Checks what GitHub code scanning requires of a SARIF log; returns the
/// results.
pub fn validate_sarif(v: &Value) -> Vec<Value> {
    assert_eq!(v["version"], "2.1.0");
    assert!(v["$schema"].as_str().unwrap().contains("sarif"));
    let run = &v["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "tfreach");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let mut ids = Vec::new();
    for r in rules {
        let id = r["id"].as_str().unwrap();
        assert!(!ids.contains(&id), "duplicate rule {id}");
        ids.push(id);
        for k in ["shortDescription", "fullDescription", "help"] {
            assert!(!r[k]["text"].as_str().unwrap().is_empty(), "{id}: {k}");
        }
        assert!(["error", "warning", "note"]
            .contains(&r["defaultConfiguration"]["level"].as_str().unwrap()));
    }
    let results = run["results"].as_array().unwrap().clone();
    let mut prints = BTreeSet::new();
    for r in &results {
        let id = r["ruleId"].as_str().unwrap();
        let idx = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(ids[idx], id);
        assert!(!r["message"]["text"].as_str().unwrap().is_empty());
        assert!(["error", "warning", "note"].contains(&r["level"].as_str().unwrap()));
        let loc = &r["locations"][0]["physicalLocation"];
        let uri = loc["artifactLocation"]["uri"].as_str().unwrap();
        assert!(
            !uri.is_empty() && !uri.starts_with("./") && !uri.contains('\\') && !uri.contains(' '),
            "{uri}"
        );
        assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
        let fp = r["partialFingerprints"]["tfreachIssue/v1"]
            .as_str()
            .unwrap();
        assert_eq!(fp.len(), 16);
        assert!(prints.insert(fp.to_string()), "fingerprint {fp} repeats");
    }
    results
}

fn sarif(extra: &[&str]) -> Value {
    let mut a = vec!["check", EXAMPLE, "--policy", POLICY, "--format", "sarif"];
    a.extend(extra);
    serde_json::from_str(&run(&a, 1)).unwrap()
}

#[test]
fn sarif_has_what_github_code_scanning_needs() {
    let v = sarif(&[]);
    let results = validate_sarif(&v);
    // Two failed policy rules, the transitive route (error) and the
    // one-sided peering (warning).
    let got: BTreeSet<(&str, &str)> = results
        .iter()
        .map(|r| (r["ruleId"].as_str().unwrap(), r["level"].as_str().unwrap()))
        .collect();
    assert_eq!(
        got,
        BTreeSet::from([
            ("POLICY_EXPECT", "error"),
            ("POLICY_NO_ONE_WAY", "error"),
            ("TRANSITIVE_PEERING", "error"),
            ("PEERING_ROUTE_ONE_SIDED", "warning"),
        ])
    );
    // Without --config-dir: policy rules point at their policy line,
    // findings at the plan file.
    let at = |id: &str| {
        let r = results.iter().find(|r| r["ruleId"] == id).unwrap();
        let loc = &r["locations"][0]["physicalLocation"];
        (
            loc["artifactLocation"]["uri"].as_str().unwrap().to_string(),
            loc["region"]["startLine"].as_u64().unwrap(),
        )
    };
    assert_eq!(at("POLICY_EXPECT"), (POLICY.to_string(), 15));
    assert_eq!(at("TRANSITIVE_PEERING"), (EXAMPLE.to_string(), 1));
}

fn line_of(file: &str, needle: &str) -> u64 {
    let text = std::fs::read_to_string(root().join(file)).unwrap();
    text.lines().position(|l| l.starts_with(needle)).unwrap() as u64 + 1
}

#[test]
fn sarif_points_at_the_tf_line_of_the_resource_with_config_dir() {
    let v = sarif(&["--config-dir", "fixtures/example"]);
    let results = validate_sarif(&v);
    let at = |id: &str| {
        let r = results.iter().find(|r| r["ruleId"] == id).unwrap();
        let loc = &r["locations"][0]["physicalLocation"];
        (
            loc["artifactLocation"]["uri"].as_str().unwrap().to_string(),
            loc["region"]["startLine"].as_u64().unwrap(),
        )
    };
    let main = "fixtures/example/main.tf";
    assert_eq!(
        at("TRANSITIVE_PEERING"),
        (
            main.into(),
            line_of(main, "resource \"aws_route_table\" \"prod\"")
        )
    );
    assert_eq!(
        at("POLICY_EXPECT"),
        (
            main.into(),
            line_of(main, "resource \"aws_route_table\" \"shared\"")
        )
    );
    assert_eq!(
        at("PEERING_ROUTE_ONE_SIDED"),
        (
            main.into(),
            line_of(
                main,
                "resource \"aws_vpc_peering_connection\" \"staging_shared\""
            )
        )
    );
}

#[test]
fn sarif_fingerprints_are_stable() {
    let prints = |v: &Value| -> Vec<String> {
        v["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["partialFingerprints"]["tfreachIssue/v1"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    let a = prints(&sarif(&[]));
    // Pointing at other lines does not move an alert's identity.
    let b = prints(&sarif(&["--config-dir", "fixtures/example"]));
    assert_eq!(a, b);
    assert_eq!(a.len(), 4);
}

#[test]
fn sarif_for_a_module_resource_follows_the_local_module_source() {
    let (_d, p) = policy(
        "[[expect]]\nname = \"prod is cut off from shared\"\nfrom = 'module.vpc[\"prod\"].*'\nto = 'module.vpc[\"shared\"].*'\nverdict = \"blocked\"\n",
    );
    let out = run(
        &[
            "check",
            "fixtures/rules/greenfield_modules_for_each_count/plan.json",
            "--policy",
            p.to_str().unwrap(),
            "--config-dir",
            "fixtures/rules/greenfield_modules_for_each_count",
            "--format",
            "sarif",
        ],
        1,
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    let results = validate_sarif(&v);
    assert_eq!(results.len(), 4);
    let module = "fixtures/rules/greenfield_modules_for_each_count/modules/vpc/main.tf";
    for r in &results {
        // A reachable pair has no culprit: the source subnet is shown.
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], module);
        assert_eq!(
            loc["region"]["startLine"],
            line_of(module, "resource \"aws_subnet\" \"private\"")
        );
    }
}

// ---------------------------------------------------------------------------
// JUnit, Markdown, table

#[test]
fn junit_is_well_formed_with_one_case_per_rule() {
    let out = run(
        &["check", EXAMPLE, "--policy", POLICY, "--format", "junit"],
        1,
    );
    let doc = roxmltree::Document::parse(&out).unwrap();
    let root_el = doc.root_element();
    assert_eq!(root_el.tag_name().name(), "testsuites");
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    let v = json(&["check", EXAMPLE, "--policy", POLICY], 1);
    assert_eq!(cases.len(), v["results"].as_array().unwrap().len());
    assert_eq!(root_el.attribute("tests").unwrap(), cases.len().to_string());
    let failures: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .collect();
    assert_eq!(failures.len(), 3);
    assert_eq!(root_el.attribute("failures"), Some("3"));
    for suite in doc.descendants().filter(|n| n.has_tag_name("testsuite")) {
        let n = suite
            .children()
            .filter(|c| c.has_tag_name("testcase"))
            .count();
        assert_eq!(suite.attribute("tests").unwrap(), n.to_string());
    }
    let expect = cases
        .iter()
        .find(|c| c.attribute("name") == Some("staging reaches shared services"))
        .unwrap();
    assert_eq!(expect.attribute("line"), Some("15"));
    assert_eq!(expect.attribute("file"), Some(POLICY));
    let f = expect
        .children()
        .find(|c| c.has_tag_name("failure"))
        .unwrap();
    assert_eq!(f.attribute("type"), Some("POLICY_EXPECT"));
    assert!(f
        .text()
        .unwrap()
        .contains("aws_subnet.staging_app -> aws_subnet.shared_tools is one_way"));
}

#[test]
fn junit_marks_skipped_rules() {
    let (_d, p) = policy("[[no_new_path]]\nfrom = \"*\"\nto = \"*\"\n");
    let out = run(
        &[
            "check",
            "fixtures/rules/state_document/state.json",
            "--policy",
            p.to_str().unwrap(),
            "-f",
            "junit",
        ],
        0,
    );
    let doc = roxmltree::Document::parse(&out).unwrap();
    assert_eq!(doc.root_element().attribute("skipped"), Some("1"));
    assert_eq!(
        doc.descendants()
            .filter(|n| n.has_tag_name("skipped"))
            .count(),
        1
    );
}

#[test]
fn markdown_check_lists_failures_first() {
    let md = run(
        &["check", EXAMPLE, "--policy", POLICY, "--format", "markdown"],
        1,
    );
    assert!(md.starts_with("## ❌ tfreach check failed: 3 of "));
    let t = crate::diff::tables(&md);
    assert_eq!(t.len(), 1);
    let rows = &t[0];
    assert_eq!(rows[0], ["", "Rule", "Line", "Checked", "Issues"]);
    let marks: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(&marks[..3], ["❌", "❌", "❌"]);
    assert!(marks[3..].iter().all(|m| *m == "✅"));
    let also = md
        .lines()
        .find(|l| l.starts_with("Also checked, nothing found: "))
        .unwrap();
    assert!(also.contains("`DUPLICATE_PEERING`") && !also.contains("TRANSITIVE_PEERING"));
    assert!(md.contains(
        "<details open><summary>❌ <code>staging reaches shared services</code> (line 15)"
    ));
    // The finding codes checked grow with tfreach; the snapshot names them
    // by count only.
    let quiet: Vec<String> = default_error_codes()
        .into_iter()
        .filter(|c| *c != "TRANSITIVE_PEERING")
        .map(|c| format!("`{c}`"))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let total = quiet.len() + 7;
    let normal = md
        .replace(
            &format!("Also checked, nothing found: {}.", quiet.join(", ")),
            "Also checked, nothing found: (the other error-level codes).",
        )
        .replace(&format!("3 of {total} rule(s)"), "3 of (N) rule(s)")
        .replace(
            &format!("{} passed, 3 failed", total - 3),
            "(N - 3) passed, 3 failed",
        );
    insta::assert_snapshot!("check_example_markdown", normal);
}

#[test]
fn table_ends_with_the_counts() {
    let out = run(&["check", EXAMPLE, "--policy", POLICY], 1);
    assert!(
        out.contains("FAIL  staging reaches shared services (line 15)"),
        "{out}"
    );
    // Five rules of the policy and the one-sided peering it names, plus
    // the codes that are errors by default; three fail.
    let passed = 6 + default_error_codes().len() - 3;
    assert!(
        out.trim_end().ends_with(&format!(
            "FAILED: {passed} passed, 3 failed, 0 skipped (6 reachable, 1 one_way, 5 blocked)"
        )),
        "{out}"
    );
}

#[test]
fn output_file_gets_the_report_and_the_exit_code_stays() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.sarif");
    tfreach()
        .args([
            "check", EXAMPLE, "--policy", POLICY, "-f", "sarif", "--output",
        ])
        .arg(&path)
        .assert()
        .code(1)
        .stdout("");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    validate_sarif(&v);
}

/// A check read from classes and the model (what `tfreach check` does,
/// holding no pair) equals the check of an analysis that lists every pair:
/// same results, counts, issues and reasons, on every rule fixture, the
/// example and a generated estate, with rules that select broadly.
#[test]
fn check_from_classes_equals_check_from_listed_pairs() {
    use tfreach::analysis::{analyze, Lookup, Options, PairsFilter};
    use tfreach::ingest::View;
    let policy = tfreach::policy::parse(
        r#"
[[expect]]
from = "*"
to = "*"
verdict = "reachable"

[[expect]]
from = "*[0]*"
to = "*"
verdict = "!blocked"

[[expect]]
from = "*prod*"
to = "*"
verdict = "blocked"

[[no_one_way]]
"#,
        "broad.toml",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let estate = dir.path().join("estate.json");
    let spec = tfreach_synth::EstateSpec::new(
        14,
        3,
        tfreach_synth::Topology::HubAndSpoke,
        tfreach_synth::Mode::Steady,
        5,
    );
    tfreach_synth::write_plan(&spec, std::fs::File::create(&estate).unwrap()).unwrap();
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("fixtures/rules"))
        .unwrap()
        .map(|e| crate::support::document(&e.unwrap().path()))
        .collect();
    docs.sort();
    docs.push(root().join(EXAMPLE));
    docs.push(estate);
    let mut issues = 0;
    for path in &docs {
        let doc =
            tfreach::ingest::parse(&std::fs::read(path).unwrap(), &path.display().to_string())
                .unwrap();
        let built = tfreach::model::build(&doc, View::Planned);
        let run = |pairs| {
            let opts = Options {
                pairs,
                ..Default::default()
            };
            analyze(&built.model, built.findings.clone(), &opts)
        };
        let (all, none) = (run(PairsFilter::All), run(PairsFilter::None));
        let listed = tfreach::policy::check(&policy, &Lookup::listed(&all), None);
        let computed =
            tfreach::policy::check(&policy, &Lookup::computed(&none, &built.model), None);
        assert_eq!(
            serde_json::to_string(&computed).unwrap(),
            serde_json::to_string(&listed).unwrap(),
            "{}",
            path.display()
        );
        issues += listed.results.iter().map(|r| r.issues.len()).sum::<usize>();
    }
    assert!(issues > 100, "the rules found only {issues} issues");
}

/// A failing expect for `reachable` carries fix hints in every format: a
/// `fixes` list per issue in JSON (with the `.tf` line of the resource each
/// change goes beside, given --config-dir), SARIF fixes that insert the HCL
/// there, the HCL under the issue in the table and a line in JUnit; an
/// expect for another verdict that fails gets none.
#[test]
fn failed_reachable_expect_carries_fix_hints_in_every_format() {
    let (_d, p) = policy(
        r#"
[[expect]]
name = "a reaches b"
from = "aws_subnet.a_app"
to = "aws_subnet.b_app"
verdict = "reachable"

[[expect]]
name = "b is blocked from a"
from = "aws_subnet.a_app"
to = "aws_subnet.b_app"
verdict = "blocked"
"#,
    );
    let plan = "fixtures/rules/fix_route_into_active_peering/plan.json";
    let dir = "fixtures/rules/fix_route_into_active_peering";
    let p = p.to_str().unwrap();
    let base = ["check", plan, "--policy", p, "--config-dir", dir];
    let v = json(&base, 1);
    let issue = &outcome(&v, "a reaches b")["issues"][0];
    let change = &issue["fixes"][0]["changes"][0];
    assert_eq!(change["kind"], "add_route");
    assert_eq!(change["resource"], "aws_route_table.b");
    let tf = std::fs::read_to_string(root().join(dir).join("main.tf")).unwrap();
    let line = change["placed"]["line"].as_u64().unwrap() as usize;
    assert_eq!(change["placed"]["file"], format!("{dir}/main.tf"));
    assert_eq!(
        tf.lines().nth(line - 1),
        Some("resource \"aws_route_table\" \"b\" {")
    );
    assert!(outcome(&v, "b is blocked from a")["issues"][0]
        .get("fixes")
        .is_none());

    let mut args = base.to_vec();
    args.extend(["--format", "sarif"]);
    let s: Value = serde_json::from_str(&run(&args, 1)).unwrap();
    let results = s["runs"][0]["results"].as_array().unwrap();
    let with_fix: Vec<&Value> = results
        .iter()
        .filter(|r| r.get("fixes").is_some())
        .collect();
    assert_eq!(with_fix.len(), 1, "{results:#?}");
    let ch = &with_fix[0]["fixes"][0]["artifactChanges"][0];
    assert_eq!(ch["artifactLocation"]["uri"], format!("{dir}/main.tf"));
    let r = &ch["replacements"][0];
    assert_eq!(r["deletedRegion"]["startLine"], line);
    assert_eq!(r["deletedRegion"]["endColumn"], 1);
    let inserted = r["insertedContent"]["text"].as_str().unwrap();
    assert_eq!(inserted, format!("{}\n", change["hcl"].as_str().unwrap()));

    let table = run(&[&base[..], &["--format", "table"]].concat(), 1);
    assert!(table.contains("fixes (each applied to the model and checked"));
    assert!(table.contains(&format!("[in the root module, {dir}/main.tf:{line}]")));
    let junit = run(&[&base[..], &["--format", "junit"]].concat(), 1);
    assert!(junit.contains("fix hint (1 change(s)): add a route for 10.0.0.0/16"));
}

/// The failing pairs of one expect beyond the first ten get no hints, and
/// the result counts them.
#[test]
fn fix_hints_stop_after_ten_pairs_of_an_expect() {
    let (_d, p) = policy(
        r#"
[[expect]]
from = "*"
to = "*"
verdict = "reachable"
"#,
    );
    let plan = "fixtures/rules/central_egress_through_transit_gateway/plan.json";
    let v = json(&["check", plan, "--policy", p.to_str().unwrap()], 1);
    let r = &v["results"][0];
    let issues = r["issues"].as_array().unwrap();
    let hinted = issues.iter().filter(|i| i.get("fixes").is_some()).count();
    assert!(issues.len() > 10, "{}", issues.len());
    assert_eq!(hinted, 10);
    assert_eq!(
        r["fixes_omitted"].as_u64().unwrap() as usize,
        issues.len() - 10
    );
}

/// An expect between workloads that fails on a security group gets the
/// rule that opens it, and one towards the internet gets the default route.
#[test]
fn failed_reachable_expects_for_workloads_and_the_internet_carry_hints() {
    let (_d, p) = policy(
        r#"
[[expect]]
name = "app reaches the database"
from = "aws_instance.app"
to = "aws_db_instance.main"
verdict = "reachable"
"#,
    );
    let plan = "fixtures/rules/fix_security_group_rule_for_workload_pair/plan.json";
    let v = json(&["check", plan, "--policy", p.to_str().unwrap()], 1);
    let fix = &outcome(&v, "app reaches the database")["issues"][0]["fixes"][0];
    assert_eq!(fix["changes"][0]["kind"], "add_security_group_rule");
    assert_eq!(fix["changes"][0]["resource"], "aws_security_group.db");

    let (_d, p) = policy(
        r#"
[[expect]]
name = "out to the internet"
from = "aws_subnet.private"
to = "internet"
verdict = "reachable"
"#,
    );
    let plan = "fixtures/rules/fix_nat_gateway_route_for_private_subnet/plan.json";
    let v = json(&["check", plan, "--policy", p.to_str().unwrap()], 1);
    let fix = &outcome(&v, "out to the internet")["issues"][0]["fixes"][0];
    let hcl = fix["changes"][0]["hcl"].as_str().unwrap();
    assert!(hcl.contains("aws_nat_gateway.main.id"), "{hcl}");
}

/// `explain --intent reachable --config-dir DIR` places each change of a
/// fix hint as `check` does: the `.tf` file and line of the resource it goes
/// in or beside, in JSON and in the text; without the directory the change
/// has no place, and a directory without `.tf` files is refused (exit 2).
#[test]
fn explain_with_config_dir_places_each_change_at_its_tf_line() {
    let plan = "fixtures/rules/fix_route_into_active_peering/plan.json";
    let dir = "fixtures/rules/fix_route_into_active_peering";
    let base = [
        "explain",
        plan,
        "--from",
        "aws_subnet.a_app",
        "--to",
        "aws_subnet.b_app",
        "--intent",
        "reachable",
    ];
    let mut args = base.to_vec();
    args.extend(["--config-dir", dir]);
    let v = json(&args, 0);
    let change = &v[0]["fixes"][0]["changes"][0];
    assert_eq!(change["resource"], "aws_route_table.b");
    assert_eq!(change["placed"]["file"], format!("{dir}/main.tf"));
    let line = change["placed"]["line"].as_u64().unwrap() as usize;
    let tf = std::fs::read_to_string(root().join(dir).join("main.tf")).unwrap();
    assert_eq!(
        tf.lines().nth(line - 1),
        Some("resource \"aws_route_table\" \"b\" {")
    );
    let text = run(&args, 0);
    assert!(text.contains(&format!("{dir}/main.tf:{line}")), "{text}");

    let v = json(&base, 0);
    assert!(v[0]["fixes"][0]["changes"][0].get("placed").is_none());

    let empty = tempfile::tempdir().unwrap();
    let mut args = base.to_vec();
    args.extend(["--config-dir", empty.path().to_str().unwrap()]);
    let err = tfreach().args(&args).assert().code(2).get_output().clone();
    assert!(String::from_utf8_lossy(&err.stderr).contains("holds no .tf file"));
}
