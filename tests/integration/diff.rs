//! `tfreach diff`: the pairs whose verdict a plan changes, with the reasons
//! of the new side, in the terminal, Markdown and JSON forms.

use std::collections::BTreeSet;

use assert_cmd::Command;
use serde_json::Value;
use tfreach::analysis::Lookup;
use tfreach::analysis::{Analysis, PairResult, SubnetInfo, Summary};
use tfreach::diff::{ChangeKind, Diff, Status};
use tfreach::ingest::{DocKind, View};
use tfreach::report::doc::{DiffDoc, GITHUB_COMMENT_LIMIT};
use tfreach::report::{Direction, InputInfo, Reason, Verdict};

use crate::support::{analyse, root};

fn rule(name: &str) -> std::path::PathBuf {
    root().join("fixtures/rules").join(name).join("plan.json")
}

/// The diff of two analyses that list every pair.
fn diff(old: &Analysis, new: &Analysis) -> Diff {
    tfreach::diff::diff(&Lookup::listed(old), &Lookup::listed(new))
}

fn plan_diff(path: &std::path::Path) -> Diff {
    diff(&analyse(path, View::Prior), &analyse(path, View::Planned))
}

fn tfreach() -> Command {
    let mut c = Command::cargo_bin("tfreach").unwrap();
    c.current_dir(root());
    c
}

fn changes(d: &Diff) -> Vec<(String, String, String, String, ChangeKind)> {
    d.changes
        .iter()
        .map(|c| {
            (
                c.from.clone(),
                c.to.clone(),
                c.before.to_string(),
                c.after.to_string(),
                c.kind,
            )
        })
        .collect()
}

#[test]
fn deleting_the_peering_closes_both_directions() {
    let d = plan_diff(&rule("plan_deletes_peering"));
    let s = |a: &str, b: &str| {
        (
            a.to_string(),
            b.to_string(),
            "reachable".to_string(),
            "blocked".to_string(),
            ChangeKind::Closes,
        )
    };
    assert_eq!(
        changes(&d),
        vec![
            s("aws_subnet.a_app", "aws_subnet.b_app"),
            s("aws_subnet.b_app", "aws_subnet.a_app"),
        ]
    );
    // The reasons are the new side's: no route once the peering is gone.
    for c in &d.changes {
        assert!(
            c.reasons
                .iter()
                .any(|r| r.code == "NO_ROUTE_TO_DESTINATION"),
            "{c:?}"
        );
    }
}

#[test]
fn a_more_specific_route_to_a_nat_gateway_narrows_to_partial() {
    let d = plan_diff(&rule("longest_prefix_match_splits_subnet"));
    let got: Vec<_> = changes(&d)
        .into_iter()
        .map(|(f, t, b, a, k)| format!("{f} -> {t}: {b} -> {a} ({k:?})"))
        .collect();
    assert_eq!(
        got,
        vec![
            "aws_subnet.a_app -> aws_subnet.b_app: reachable -> partial (Narrows)",
            "aws_subnet.b_app -> aws_subnet.a_app: reachable -> partial (Narrows)",
        ]
    );
    assert!(d.changes[0]
        .reasons
        .iter()
        .any(|r| r.code == "CANNOT_ROUTE"));
}

#[test]
fn new_reasons_without_a_new_verdict_are_not_a_change() {
    // The NAT gateway's deletion blackholes a route, but every subnet pair
    // keeps its verdict: the diff lists none of them (only the subnet that
    // loses its way out to the internet).
    let d = plan_diff(&rule("route_to_deleted_nat_is_blackhole"));
    let got: Vec<(&str, &str, ChangeKind)> = d
        .changes
        .iter()
        .map(|c| (c.from.as_str(), c.to.as_str(), c.kind))
        .collect();
    assert_eq!(
        got,
        [("aws_subnet.a_app", "internet", ChangeKind::LosesEgress)],
        "{:?}",
        changes(&d)
    );
    let prior = analyse(&rule("route_to_deleted_nat_is_blackhole"), View::Prior);
    let planned = analyse(&rule("route_to_deleted_nat_is_blackhole"), View::Planned);
    assert_ne!(
        prior.pairs.iter().map(|p| &p.reasons).collect::<Vec<_>>(),
        planned.pairs.iter().map(|p| &p.reasons).collect::<Vec<_>>(),
        "the fixture should change reasons, or this test proves nothing"
    );
}

#[test]
fn every_changed_pair_and_only_those() {
    // Against a brute-force comparison, on every rule fixture that is a plan.
    for e in std::fs::read_dir(root().join("fixtures/rules")).unwrap() {
        let p = e.unwrap().path().join("plan.json");
        if !p.exists() {
            continue;
        }
        let (old, new) = (analyse(&p, View::Prior), analyse(&p, View::Planned));
        let verdicts = |a: &Analysis| {
            a.pairs
                .iter()
                .map(|x| {
                    (
                        (
                            a.subnets[x.from].address.clone(),
                            a.subnets[x.to].address.clone(),
                        ),
                        x.verdict.as_str(),
                    )
                })
                .chain(
                    a.endpoints
                        .iter()
                        .map(|x| ((x.from.clone(), x.to.clone()), x.verdict.as_str())),
                )
                .collect::<std::collections::BTreeMap<_, _>>()
        };
        let (vo, vn) = (verdicts(&old), verdicts(&new));
        let keys: BTreeSet<_> = vo.keys().chain(vn.keys()).cloned().collect();
        let expected: BTreeSet<_> = keys
            .into_iter()
            .filter_map(|k| {
                let b = vo.get(&k).copied().unwrap_or("absent");
                let a = vn.get(&k).copied().unwrap_or("absent");
                (b != a).then(|| (k.0, k.1, b.to_string(), a.to_string()))
            })
            .collect();
        let got: BTreeSet<_> = diff(&old, &new)
            .changes
            .into_iter()
            .map(|c| (c.from, c.to, c.before.to_string(), c.after.to_string()))
            .collect();
        assert_eq!(got, expected, "{}", p.display());
    }
}

#[test]
fn the_example_plan_adds_staging_with_a_one_way_path_and_two_findings() {
    let d = plan_diff(&root().join("fixtures/example/plan.json"));
    assert_eq!(d.changes.len(), 6);
    assert!(d.changes.iter().all(|c| c.before == Status::Absent));
    let one_way: Vec<_> = d
        .changes
        .iter()
        .filter(|c| c.kind == ChangeKind::OneWay)
        .collect();
    assert_eq!(one_way.len(), 1);
    assert_eq!(one_way[0].from, "aws_subnet.staging_app");
    assert_eq!(one_way[0].to, "aws_subnet.shared_tools");
    assert_eq!(one_way[0].reasons[0].direction, Direction::Return);
    let introduced: BTreeSet<_> = d.findings_introduced.iter().map(|f| f.code).collect();
    assert_eq!(
        introduced,
        BTreeSet::from(["PEERING_ROUTE_ONE_SIDED", "TRANSITIVE_PEERING"])
    );
    assert!(d.findings_removed.is_empty());
    assert_eq!(d.subnets_added.len(), 1);
}

#[test]
fn json_follows_the_contract() {
    let out = tfreach()
        .args(["diff", "fixtures/example/plan.json", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["schema"], "tfreach/diff/v1");
    let lib = plan_diff(&root().join("fixtures/example/plan.json"));
    let list = v["changes"].as_array().unwrap();
    assert_eq!(list.len(), lib.changes.len());
    let verdicts: BTreeSet<&str> = [
        "reachable",
        "partial",
        "one_way",
        "blocked",
        "unknown",
        "absent",
    ]
    .into();
    for (c, l) in list.iter().zip(&lib.changes) {
        assert_eq!(c["from"], l.from.as_str());
        assert_eq!(c["to"], l.to.as_str());
        assert!(verdicts.contains(c["before"].as_str().unwrap()));
        assert!(verdicts.contains(c["after"].as_str().unwrap()));
        assert_ne!(c["before"], c["after"]);
        for r in c["reasons"].as_array().unwrap() {
            assert!(r["code"]
                .as_str()
                .unwrap()
                .chars()
                .all(|ch| ch.is_ascii_uppercase() || ch == '_'));
            assert!(r["message"].is_string());
            assert!(r.get("resource").is_some());
        }
    }
    assert_eq!(v["findings"]["introduced"].as_array().unwrap().len(), 2);
    assert_eq!(v["summary"]["after"]["pairs"], 12);
}

#[test]
fn exit_code_option_tells_whether_reachability_changed() {
    tfreach()
        .args([
            "diff",
            "fixtures/example/plan.json",
            "--exit-code",
            "-f",
            "json",
        ])
        .assert()
        .code(1);
    tfreach()
        .args(["diff", "fixtures/example/plan.json", "-f", "json"])
        .assert()
        .code(0);
    // The same network as a state and as a raw state file: nothing changes.
    let out = tfreach()
        .args([
            "diff",
            "fixtures/rules/state_document/state.json",
            "fixtures/rules/raw_tfstate_v4/terraform.tfstate",
            "--exit-code",
            "-f",
            "json",
        ])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["changes"], serde_json::json!([]));
}

#[test]
fn two_documents_with_different_subnets_show_absent_on_each_side() {
    let out = tfreach()
        .args([
            "diff",
            "fixtures/rules/state_document/state.json",
            "fixtures/example/plan.json",
            "-f",
            "json",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    let list = v["changes"].as_array().unwrap();
    // 2 pairs only before, 12 only after.
    assert_eq!(list.iter().filter(|c| c["after"] == "absent").count(), 2);
    assert_eq!(list.iter().filter(|c| c["before"] == "absent").count(), 12);
    assert_eq!(list.len(), 14);
}

#[test]
fn a_state_alone_has_nothing_to_compare() {
    tfreach()
        .args(["diff", "fixtures/rules/state_document/state.json"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "tfreach: error: fixtures/rules/state_document/state.json: a state has one view",
        ));
}

#[test]
fn table_groups_changes_by_vpc_pair() {
    let out = tfreach()
        .args(["diff", "fixtures/rules/plan_deletes_peering/plan.json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("2 pair(s) change: 2 closes"), "{text}");
    assert!(
        text.contains("aws_vpc.a -> aws_vpc.b  (1 change(s))"),
        "{text}"
    );
    let row = text
        .lines()
        .find(|l| l.trim_start().starts_with("aws_subnet.a_app"))
        .unwrap();
    let cols: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(
        cols,
        [
            "aws_subnet.a_app",
            "aws_subnet.b_app",
            "reachable",
            "blocked",
            "closes"
        ]
    );
}

// ---------------------------------------------------------------------------
// Markdown

/// Table rows and cells of rendered Markdown, by pulldown-cmark (GFM).
pub fn tables(md: &str) -> Vec<Vec<Vec<String>>> {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let mut out: Vec<Vec<Vec<String>>> = Vec::new();
    let mut cell: Option<String> = None;
    for ev in Parser::new_ext(md, Options::ENABLE_TABLES) {
        match ev {
            Event::Start(Tag::Table(_)) => out.push(Vec::new()),
            Event::Start(Tag::TableHead) | Event::Start(Tag::TableRow) => {
                out.last_mut().unwrap().push(Vec::new())
            }
            Event::Start(Tag::TableCell) => cell = Some(String::new()),
            Event::End(TagEnd::TableCell) => {
                let c = cell.take().unwrap();
                out.last_mut().unwrap().last_mut().unwrap().push(c);
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some(c) = cell.as_mut() {
                    c.push_str(&t);
                }
            }
            _ => {}
        }
    }
    out
}

fn example_markdown() -> String {
    let out = tfreach()
        .args(["diff", "fixtures/example/plan.json", "--format", "markdown"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).unwrap()
}

#[test]
fn markdown_summarises_by_vpc_pair_with_reasons_and_resources() {
    let md = example_markdown();
    let t = tables(&md);
    // VPC pairs, resources at fault, one table per kind of change.
    assert_eq!(t.len(), 4, "{md}");
    let vpc = &t[0];
    assert_eq!(
        vpc[0],
        [
            "From VPC",
            "To VPC",
            "Becomes one-way",
            "New subnet, no path",
            "Reasons (new side)"
        ]
    );
    assert_eq!(vpc.len(), 5);
    let one_way = vpc
        .iter()
        .find(|r| r[0] == "aws_vpc.staging" && r[1] == "aws_vpc.shared")
        .unwrap();
    assert_eq!(one_way[2], "1");
    let blame = &t[1];
    assert_eq!(blame[0], ["Resource", "Codes", "Pairs"]);
    assert!(blame
        .iter()
        .any(|r| r[0] == "aws_route_table.prod" && r[2] == "4"));
    assert!(md.contains("**6 pair(s) change**"));
    assert!(md.contains("### Findings introduced"));
    // Every pair row has as many cells as its header.
    for table in &t {
        assert!(table.iter().all(|r| r.len() == table[0].len()));
    }
    insta::assert_snapshot!("diff_example_markdown", md);
}

#[test]
fn the_readme_shows_the_current_pull_request_comment() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let marker = "<!-- tfreach diff fixtures/example/plan.json --format markdown -->\n";
    let start = readme.find(marker).expect("README has the example comment") + marker.len();
    let end = start + readme[start..].find("\n<!-- end -->").unwrap();
    let shown: Vec<&str> = readme[start..end]
        .lines()
        .map(|l| {
            l.strip_prefix("> ")
                .or_else(|| l.strip_prefix('>'))
                .unwrap()
        })
        .collect();
    assert_eq!(
        shown.join("\n"),
        example_markdown().trim_end(),
        "regenerate the README block with the command in its marker"
    );
}

/// The analysis of an empty plan: every field there is, none filled (so
/// the tests keep compiling when the analysis gains fields).
fn blank() -> Analysis {
    let plan =
        br#"{"format_version":"1.2","planned_values":{"root_module":{}},"resource_changes":[]}"#;
    let (_, a) =
        tfreach::analyze_bytes(plan, "empty.json", View::Planned, &Default::default()).unwrap();
    a
}

/// A diff of `n` changes spread over `vpcs` x `vpcs` VPC pairs, with long
/// reasons.
fn big_diff(vpcs: usize, per_vpc: usize) -> Diff {
    let mut subnets = Vec::new();
    for v in 0..vpcs {
        for s in 0..per_vpc {
            subnets.push(SubnetInfo {
                address: format!("module.vpc[{v}].aws_subnet.private[{s}]"),
                vpc: Some(format!("module.vpc[{v}].aws_vpc.this")),
                cidr: None,
                ipv6_cidr: None,
                availability_zone: None,
            });
        }
    }
    let n = subnets.len();
    let mk = |verdict: &dyn Fn(usize, usize) -> Verdict| {
        let mut pairs = Vec::new();
        let mut summary = Summary::default();
        for i in 0..n {
            for j in 0..n {
                if i != j {
                    let v = verdict(i, j);
                    summary.add(v, 1);
                    pairs.push(PairResult {
                        traffic: None,
                        from: i,
                        to: j,
                        verdict: v,
                        reasons: if v == Verdict::Reachable {
                            vec![]
                        } else {
                            vec![Reason {
                                code: "NO_ROUTE_TO_DESTINATION",
                                resource: Some(
                                    format!("module.vpc[{}].aws_route_table.this", j / per_vpc)
                                        .into(),
                                ),
                                message: "x".repeat(150).into(),
                                direction: Direction::Return,
                            }]
                        },
                    });
                }
            }
        }
        let mut a = blank();
        a.subnets = subnets.clone();
        a.model_index = (0..n).collect();
        a.pairs = pairs;
        a.summary = summary;
        a
    };
    let old = mk(&|_, _| Verdict::Reachable);
    let new = mk(&|i, j| {
        if (i + j) % 3 == 0 {
            Verdict::OneWay
        } else {
            Verdict::Reachable
        }
    });
    diff(&old, &new)
}

fn info(view: View) -> InputInfo {
    InputInfo {
        kind: DocKind::Plan,
        view,
        terraform_version: None,
        file: Some("plan.json".into()),
        documents: Vec::new(),
    }
}

fn render(d: &Diff, max: usize) -> String {
    let (b, a) = (info(View::Prior), info(View::Planned));
    tfreach::report::markdown::diff_text(&DiffDoc {
        before: &b,
        after: &a,
        diff: d,
        max_chars: max,
    })
}

#[test]
fn a_large_diff_fits_a_pull_request_comment_by_summarising() {
    // 60 VPCs of 4 subnets: 57,360 ordered pairs, a third of them change.
    let d = big_diff(60, 4);
    assert!(d.changes.len() > 15_000);
    let md = render(&d, GITHUB_COMMENT_LIMIT);
    assert!(
        md.chars().count() <= GITHUB_COMMENT_LIMIT,
        "{}",
        md.chars().count()
    );
    // Summarised: the VPC pair table, whole rows only, with the counts.
    let t = tables(&md);
    assert!(!t.is_empty());
    for table in &t {
        assert!(table.iter().all(|r| r.len() == table[0].len()));
    }
    let total: usize = t[0][1..]
        .iter()
        .map(|r| r[2].parse::<usize>().unwrap())
        .sum();
    let said = md.contains("VPC pair(s) not shown");
    assert!(
        total == d.changes.len() || said,
        "rows add up to {total} of {}",
        d.changes.len()
    );
    assert!(md.contains(&format!("**{} pair(s) change**", d.changes.len())));
    // A small diff keeps every pair.
    let small = big_diff(3, 2);
    let md = render(&small, GITHUB_COMMENT_LIMIT);
    assert!(md.contains("<details>"));
    assert!(!md.contains("not shown"));
}

#[test]
fn the_budget_is_kept_at_every_size() {
    let d = big_diff(12, 3);
    let full = render(&d, usize::MAX).chars().count();
    for max in [full, full - 1, full / 2, 20_000, 5_000, 2_000, 800] {
        let md = render(&d, max);
        assert!(md.chars().count() <= max, "{max}: {}", md.chars().count());
        assert!(md.starts_with("## tfreach: reachability changes"));
        for table in tables(&md) {
            assert!(table.iter().all(|r| r.len() == table[0].len()));
        }
    }
}

/// Two sides to compare: (label, old document, old view, new document, new
/// view).
type Sides = (String, std::path::PathBuf, View, std::path::PathBuf, View);

/// Every rule fixture's prior state against its planned values, and
/// generated estates that change: peerings rewired (hub to chain), subnets
/// added, subnets removed, all of it at once.
fn diff_cases(dir: &std::path::Path) -> Vec<Sides> {
    use tfreach_synth::{write_plan, EstateSpec, Mode, Topology};
    let mut cases: Vec<Sides> = std::fs::read_dir(root().join("fixtures/rules"))
        .unwrap()
        .map(|e| {
            let d = crate::support::document(&e.unwrap().path());
            (
                d.display().to_string(),
                d.clone(),
                View::Prior,
                d,
                View::Planned,
            )
        })
        .collect();
    cases.sort_by(|a, b| a.0.cmp(&b.0));
    let estate = |vpcs, subnets, topology, name: &str| {
        let path = dir.join(name);
        let spec = EstateSpec::new(vpcs, subnets, topology, Mode::Steady, 3);
        write_plan(&spec, std::fs::File::create(&path).unwrap()).unwrap();
        path
    };
    let hub = estate(14, 3, Topology::HubAndSpoke, "hub.json");
    let chain = estate(14, 3, Topology::Chain, "chain.json");
    let small = estate(12, 3, Topology::HubAndSpoke, "small.json");
    let fewer = estate(14, 2, Topology::Chain, "fewer.json");
    for (name, old, new) in [
        ("rewired", &hub, &chain),
        ("grown", &small, &hub),
        ("shrunk", &hub, &small),
        ("everything", &fewer, &hub),
    ] {
        cases.push((
            name.into(),
            old.clone(),
            View::Planned,
            new.clone(),
            View::Planned,
        ));
    }
    cases
}

/// A diff read from classes and models (what `tfreach diff` does, holding
/// no pair) equals the diff of analyses that list every pair.
#[test]
fn diff_from_classes_equals_diff_from_listed_pairs() {
    use tfreach::analysis::{analyze, Options, PairsFilter};
    let dir = tempfile::tempdir().unwrap();
    let mut changed = 0;
    for (label, old_path, old_view, new_path, new_view) in diff_cases(dir.path()) {
        let read = |p: &std::path::Path| {
            tfreach::ingest::parse(&std::fs::read(p).unwrap(), &p.display().to_string()).unwrap()
        };
        let (old_doc, new_doc) = (read(&old_path), read(&new_path));
        let old_m = tfreach::model::build(&old_doc, old_view);
        let new_m = tfreach::model::build(&new_doc, new_view);
        let run = |m: &tfreach::model::Built, pairs| {
            let opts = Options {
                pairs,
                ..Default::default()
            };
            analyze(&m.model, m.findings.clone(), &opts)
        };
        let listed = tfreach::diff::diff(
            &Lookup::listed(&run(&old_m, PairsFilter::All)),
            &Lookup::listed(&run(&new_m, PairsFilter::All)),
        );
        let (old_a, new_a) = (
            run(&old_m, PairsFilter::None),
            run(&new_m, PairsFilter::None),
        );
        let computed = tfreach::diff::diff(
            &Lookup::computed(&old_a, &old_m.model),
            &Lookup::computed(&new_a, &new_m.model),
        );
        assert_eq!(format!("{computed:?}"), format!("{listed:?}"), "{label}");
        changed += usize::from(!listed.changes.is_empty());
    }
    assert!(changed >= 8, "only {changed} cases change anything");
}
