//! The JSON Schemas in `schemas/`: every JSON document tfreach writes,
//! from every subcommand over the bundled example, the rule fixtures and
//! the real plans, validates against its schema, names it in `$schema`,
//! and the schemas are strict enough to reject a document that drifts.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::{json, Value};

use crate::support::{document, root};

fn tfreach() -> Command {
    Command::cargo_bin("tfreach").unwrap()
}

/// Every schema file, by name (`schemas/NAME.v1.schema.json`).
const SCHEMAS: [&str; 8] = [
    "report",
    "diff",
    "check",
    "matrix",
    "vpc-matrix",
    "explain",
    "workloads",
    "workload-diff",
];

fn schema(name: &str) -> Value {
    let path = root().join(format!("schemas/{name}.v1.schema.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

fn validator(name: &str) -> jsonschema::Validator {
    jsonschema::draft202012::new(&schema(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The validation errors of `doc`, one line each.
fn errors(v: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{e} (at {})", e.instance_path()))
        .collect()
}

fn assert_valid(v: &jsonschema::Validator, doc: &Value, what: &str) {
    let errs = errors(v, doc);
    assert!(errs.is_empty(), "{what}:\n{}", errs.join("\n"));
}

/// The bundled example, every real plan and every rule fixture.
fn documents() -> Vec<PathBuf> {
    let mut out = vec![root().join("fixtures/example/plan.json")];
    let mut real: Vec<PathBuf> = std::fs::read_dir(root().join("fixtures/real"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    real.sort();
    assert!(real.len() >= 5, "fixtures/real holds the real plans");
    out.extend(real);
    let mut rules: Vec<PathBuf> = std::fs::read_dir(root().join("fixtures/rules"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|d| document(&d))
        .collect();
    rules.sort();
    assert!(rules.len() >= 10, "fixtures/rules holds the rule fixtures");
    out.extend(rules);
    out
}

/// Runs tfreach and parses its standard output; exit status 0, or 1 where
/// `may_fail` (a policy that does not hold).
fn run_json(args: &[&str], may_fail: bool) -> Value {
    let out = tfreach().args(args).output().unwrap();
    let code = out.status.code();
    assert!(
        code == Some(0) || (may_fail && code == Some(1)),
        "tfreach {args:?} exited {code:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("tfreach {args:?}: not JSON: {e}"))
}

fn shown(p: &Path) -> String {
    p.display().to_string()
}

/// Validates `doc` against the schema `name` and checks that it names
/// that schema's `$id` in `$schema`.
fn check_doc(name: &str, v: &jsonschema::Validator, doc: &Value, what: &str) {
    assert_valid(v, doc, what);
    assert_eq!(doc["$schema"], schema(name)["$id"], "{what}: $schema");
}

#[test]
fn every_schema_is_a_valid_draft_2020_12_schema_named_after_its_file() {
    for name in SCHEMAS {
        let s = schema(name);
        jsonschema::meta::validate(&s).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
        assert_eq!(s["$id"], format!("urn:tfreach:schema:{name}:v1"));
        assert!(
            s["title"].is_string() && s["description"].is_string(),
            "{name}"
        );
    }
}

#[test]
fn definitions_shared_by_several_schemas_are_the_same_everywhere() {
    let mut seen: std::collections::BTreeMap<String, (String, Value)> = Default::default();
    for name in SCHEMAS {
        let s = schema(name);
        for (def, body) in s["$defs"].as_object().expect("$defs") {
            match seen.get(def) {
                Some((first, b)) => {
                    assert_eq!(b, body, "$defs/{def} differs in {first} and {name}")
                }
                None => {
                    seen.insert(def.clone(), (name.to_string(), body.clone()));
                }
            }
        }
    }
    for def in ["reason", "finding", "summary", "input", "verdict"] {
        assert!(seen.contains_key(def), "{def} is defined");
    }
}

#[test]
fn analyze_json_of_every_fixture_matches_the_report_schema() {
    let v = validator("report");
    for doc in documents() {
        let d = shown(&doc);
        for extra in [&[][..], &["--pairs", "failing"], &["--view", "prior"]] {
            let mut args = vec!["analyze", &d, "--format", "json", "-q"];
            args.extend_from_slice(extra);
            check_doc("report", &v, &run_json(&args, false), &format!("{args:?}"));
        }
    }
}

#[test]
fn workloads_json_of_every_fixture_matches_the_workloads_schema() {
    let v = validator("workloads");
    for doc in documents() {
        let d = shown(&doc);
        for extra in [&[][..], &["--protocol", "tcp", "--port", "5432"]] {
            let mut args = vec!["workloads", &d, "--format", "json", "-q"];
            args.extend_from_slice(extra);
            check_doc(
                "workloads",
                &v,
                &run_json(&args, false),
                &format!("{args:?}"),
            );
        }
    }
}

#[test]
fn workloads_schema_rejects_documents_that_drift_from_the_code() {
    let fixture = shown(&root().join("fixtures/rules/three_tier_greenfield_plan/plan.json"));
    let doc = run_json(&["workloads", &fixture, "--format", "json"], false);
    assert_rejects(
        "workloads",
        &doc,
        &[
            ("an unknown workload kind", |d| {
                d["workloads"][0]["kind"] = json!("mainframe")
            }),
            ("a pair without places", |d| {
                d["pairs"][0].as_object_mut().unwrap().remove("places");
            }),
            ("a port above 65535", |d| {
                d["workloads"][0]["ports"][0]["port"] = json!(70000)
            }),
            ("an unknown verdict", |d| {
                d["pairs"][0]["verdict"] = json!("open")
            }),
        ],
    );
}

#[test]
fn matrix_json_of_every_fixture_matches_the_matrix_schemas() {
    let (m, vm) = (validator("matrix"), validator("vpc-matrix"));
    for doc in documents() {
        let d = shown(&doc);
        let args = ["matrix", &d, "--format", "json", "-q"];
        let out = run_json(&args, false);
        check_doc("matrix", &m, &out, &format!("{args:?}"));
        let n = out["subnets"].as_array().unwrap().len();
        assert_eq!(out["verdicts"].as_array().unwrap().len(), n, "{d}");
        let args = ["matrix", &d, "--format", "json", "--by-vpc", "-q"];
        check_doc(
            "vpc-matrix",
            &vm,
            &run_json(&args, false),
            &format!("{args:?}"),
        );
    }
}

#[test]
fn diff_json_of_plans_and_of_document_pairs_matches_the_diff_schema() {
    let v = validator("diff");
    let docs = documents();
    let mut plans = 0;
    for doc in &docs {
        let d = shown(doc);
        let out = tfreach()
            .args(["diff", &d, "--format", "json", "-q"])
            .output()
            .unwrap();
        if out.status.code() == Some(2) {
            // A state has one view: nothing to compare within it.
            assert!(String::from_utf8_lossy(&out.stderr).contains("a state has one view"));
            continue;
        }
        plans += 1;
        let json: Value = serde_json::from_slice(&out.stdout).unwrap();
        check_doc("diff", &v, &json, &d);
    }
    assert!(plans >= 20, "only {plans} plans diffed");
    // Two documents: subnets added and removed, verdicts that change.
    for w in docs.windows(2).step_by(3) {
        let (a, b) = (shown(&w[0]), shown(&w[1]));
        let args = ["diff", &a, &b, "--format", "json", "-q"];
        check_doc("diff", &v, &run_json(&args, false), &format!("{args:?}"));
    }
}

#[test]
fn workload_diff_json_of_every_plan_matches_the_workload_diff_schema() {
    let v = validator("workload-diff");
    let mut changed = 0;
    for doc in documents() {
        let d = shown(&doc);
        for extra in [&[][..], &["--protocol", "tcp", "--port", "22"]] {
            let mut args = vec!["diff", &d, "--workloads", "--format", "json", "-q"];
            args.extend_from_slice(extra);
            let out = tfreach().args(&args).output().unwrap();
            if out.status.code() == Some(2) {
                assert!(String::from_utf8_lossy(&out.stderr).contains("a state has one view"));
                continue;
            }
            let json: Value = serde_json::from_slice(&out.stdout).unwrap();
            check_doc("workload-diff", &v, &json, &format!("{args:?}"));
            changed += usize::from(json["summary"]["changes"].as_u64() > Some(0));
        }
    }
    assert!(changed >= 2, "some plan changes a workload pair");
}

#[test]
fn check_json_of_every_fixture_matches_the_check_schema() {
    let v = validator("check");
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        r#"
[[expect]]
name = "every subnet reaches every other"
from = "*"
to = "*"
verdict = "reachable"

[[no_one_way]]
name = "no half-open paths"

[[no_new_path]]
name = "nothing opens"
from = "*"
to = "*"

[findings]
TRANSITIVE_PEERING = "warning"
"#,
    )
    .unwrap();
    let p = shown(&policy);
    for doc in documents() {
        let d = shown(&doc);
        let args = ["check", &d, "--policy", &p, "--format", "json", "-q"];
        check_doc("check", &v, &run_json(&args, true), &format!("{args:?}"));
    }
    let example = shown(&root().join("fixtures/example/plan.json"));
    let policy = shown(&root().join("fixtures/policies/example.toml"));
    let args = ["check", &example, "--policy", &policy, "--format", "json"];
    let out = run_json(&args, true);
    check_doc("check", &v, &out, "the example policy");
    assert_eq!(out["passed"], false);
    let args = [
        "check",
        &example,
        "--policy",
        &policy,
        "--format",
        "json",
        "--baseline",
        &example,
    ];
    check_doc("check", &v, &run_json(&args, true), "with a baseline");
}

#[test]
fn explain_json_of_every_fixture_matches_the_explain_schema() {
    let v = validator("explain");
    let mut explained = 0;
    let mut with_fixes = 0;
    for doc in documents() {
        let d = shown(&doc);
        let report = run_json(
            &["analyze", &d, "--format", "json", "--pairs", "none"],
            false,
        );
        let subnets: Vec<&str> = report["subnets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["address"].as_str().unwrap())
            .collect();
        if subnets.len() < 2 {
            continue;
        }
        let (first, last) = (subnets[0], subnets[subnets.len() - 1]);
        for (from, to) in [(first, last), (last, first)] {
            let args = [
                "explain", &d, "--from", from, "--to", to, "--format", "json",
            ];
            assert_valid(&v, &run_json(&args, false), &format!("{args:?}"));
            // With fix hints for the pairs that are not reachable.
            let args = [
                "explain",
                &d,
                "--from",
                from,
                "--to",
                to,
                "--format",
                "json",
                "--intent",
                "reachable",
            ];
            let out = run_json(&args, false);
            assert_valid(&v, &out, &format!("{args:?}"));
            for x in out.as_array().unwrap() {
                if x["fixes"].as_array().is_some_and(|f| !f.is_empty()) {
                    with_fixes += 1;
                }
            }
        }
        let args = [
            "explain",
            &d,
            "--from",
            first,
            "--to",
            last,
            "--format",
            "json",
            "--protocol",
            "tcp",
            "--port",
            "443",
        ];
        assert_valid(&v, &run_json(&args, false), &format!("{args:?}"));
        explained += 1;
    }
    assert!(explained >= 20, "only {explained} documents explained");
    assert!(
        with_fixes >= 5,
        "only {with_fixes} explanations with fix hints"
    );
    // Globs select several pairs: a list of several explanations.
    let example = shown(&root().join("fixtures/example/plan.json"));
    let args = [
        "explain", &example, "--from", "*", "--to", "*", "--format", "json",
    ];
    let out = run_json(&args, false);
    assert_eq!(out.as_array().unwrap().len(), 12);
    assert_valid(&v, &out, "every pair of the example");
}

fn example_json(args: &[&str]) -> Value {
    let example = shown(&root().join("fixtures/example/plan.json"));
    let mut all = vec![args[0], &example];
    all.extend_from_slice(&args[1..]);
    run_json(&all, true)
}

/// A change to a document, and what it does.
type Mutation = (&'static str, fn(&mut Value));

/// Each mutation of a valid document that the schema must reject.
fn assert_rejects(name: &str, doc: &Value, mutations: &[Mutation]) {
    let v = validator(name);
    assert_valid(&v, doc, name);
    for (what, mutate) in mutations {
        let mut d = doc.clone();
        mutate(&mut d);
        assert!(!v.is_valid(&d), "{name}: the schema accepts {what}");
    }
}

#[test]
fn the_schemas_reject_documents_that_drift_from_the_code() {
    let report = example_json(&["analyze", "--format", "json"]);
    assert_rejects(
        "report",
        &report,
        &[
            ("an unknown top-level field", |d| d["extra"] = json!(1)),
            ("a missing summary count", |d| {
                d["summary"].as_object_mut().unwrap().remove("blocked");
            }),
            ("an unknown verdict", |d| {
                d["pairs"][0]["verdict"] = json!("maybe")
            }),
            ("a reason without a direction", |d| {
                let p = d["pairs"].as_array_mut().unwrap();
                let failing = p.iter_mut().find(|p| p["verdict"] != "reachable").unwrap();
                failing["reasons"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("direction");
            }),
            ("a lower-case finding code", |d| {
                d["findings"][0]["code"] = json!("transitive")
            }),
            ("an unknown severity", |d| {
                d["findings"][0]["severity"] = json!("fatal")
            }),
            ("another $schema", |d| {
                d["$schema"] = json!("urn:tfreach:schema:diff:v1")
            }),
            ("a missing pairs list", |d| {
                d.as_object_mut().unwrap().remove("pairs");
            }),
        ],
    );
    // Codes are patterned, not listed: a code added later is accepted.
    let mut later = report.clone();
    later["findings"][0]["code"] = json!("SOME_CODE_ADDED_LATER");
    assert_valid(&validator("report"), &later, "a new finding code");

    let diff = example_json(&["diff", "--format", "json"]);
    assert_rejects(
        "diff",
        &diff,
        &[
            ("an unknown status", |d| {
                d["changes"][0]["before"] = json!("gone")
            }),
            ("an unknown change kind", |d| {
                d["changes"][0]["kind"] = json!("flips")
            }),
            ("a change without reasons", |d| {
                d["changes"][0].as_object_mut().unwrap().remove("reasons");
            }),
        ],
    );
    let policy = shown(&root().join("fixtures/policies/example.toml"));
    let check = example_json(&["check", "--policy", &policy, "--format", "json"]);
    assert_rejects(
        "check",
        &check,
        &[
            ("an unknown outcome", |d| {
                d["results"][0]["outcome"] = json!("maybe")
            }),
            ("passed as a string", |d| d["passed"] = json!("no")),
            ("line 0", |d| d["results"][0]["line"] = json!(0)),
        ],
    );
    let matrix = example_json(&["matrix", "--format", "json"]);
    assert_rejects(
        "matrix",
        &matrix,
        &[("a cell that is no verdict", |d| {
            d["verdicts"][0][1] = json!("R")
        })],
    );
    let explain = example_json(&[
        "explain",
        "--from",
        "aws_subnet.prod_app[0]",
        "--to",
        "aws_subnet.staging_app",
        "--format",
        "json",
    ]);
    assert_rejects(
        "explain",
        &explain,
        &[
            ("an empty list", |d| *d = json!([])),
            ("a hop whose fails is a string", |d| {
                d[0]["forward"][0]["hops"][0]["fails"] = json!("yes")
            }),
            ("an unknown trace outcome", |d| {
                d[0]["return"][0]["outcome"] = json!("lost")
            }),
        ],
    );
}
