//! Shared helpers: load a fixture, analyse it, check an expect file.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use tfreach::analysis::{Analysis, Options};
use tfreach::ingest::View;
use tfreach::model::{Reason, Verdict};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    #[serde(default)]
    pub view: Option<String>,
    /// One named flow the verdicts are for (`tcp/443`); all traffic when absent.
    #[serde(default)]
    pub flow: Option<String>,
    #[serde(default)]
    pub pair: Vec<ExpectPair>,
    #[serde(default)]
    pub finding: Vec<ExpectFinding>,
    #[serde(default)]
    pub service: Vec<ExpectService>,
    /// Findings that must not be reported (any resource when none is named).
    #[serde(default)]
    pub no_finding: Vec<ExpectNoFinding>,
    /// Ranges named for on-premises networks (as `--on-prem NAME=CIDR,...`
    /// does), by the network's name.
    #[serde(default)]
    pub on_prem: std::collections::BTreeMap<String, Vec<String>>,
    /// Pairs of workloads (`tfreach workloads`).
    #[serde(default)]
    pub workload: Vec<ExpectWorkload>,
    /// Findings of the workloads document.
    #[serde(default)]
    pub workload_finding: Vec<ExpectFinding>,
    /// Workload pairs that change between a plan's prior state and its
    /// planned values (`diff --workloads`).
    #[serde(default)]
    pub workload_change: Vec<ExpectWorkloadChange>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectWorkloadChange {
    pub from: String,
    pub to: String,
    /// The change's kind (`exposes`, `opens`, ...).
    pub kind: String,
    #[serde(default)]
    pub before: Option<String>,
    #[serde(default)]
    pub after: Option<String>,
    /// What opens (the change's `opens` text must contain it).
    #[serde(default)]
    pub opens: Option<String>,
    /// What closes (the change's `closes` text must contain it).
    #[serde(default)]
    pub closes: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectWorkload {
    pub from: String,
    pub to: String,
    pub verdict: String,
    /// Reason codes that must appear among the pair's reasons.
    #[serde(default)]
    pub codes: Vec<String>,
    /// What opens (the pair's `traffic` text must contain it).
    #[serde(default)]
    pub traffic: Option<String>,
    /// A port the destination serves (`tcp/5432`) and its verdict.
    #[serde(default)]
    pub port: Option<String>,
    #[serde(default)]
    pub port_verdict: Option<String>,
    /// How many place pairs the pair has.
    #[serde(default)]
    pub places: Option<usize>,
    /// A rule that must be named among the rules that let it through.
    #[serde(default)]
    pub allowed_by: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectNoFinding {
    pub code: String,
    #[serde(default)]
    pub resource: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectService {
    pub from: String,
    pub service: String,
    pub verdict: String,
    /// The endpoint address, "internet", or "" for none.
    pub via: String,
    #[serde(default)]
    pub codes: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectPair {
    pub from: String,
    pub to: String,
    pub verdict: String,
    #[serde(default)]
    pub codes: Vec<String>,
    /// Which traffic round-trips (the pair's `traffic` text must contain it).
    #[serde(default)]
    pub traffic: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectFinding {
    pub code: String,
    pub resource: String,
}

/// The document of a fixture directory.
pub fn document(dir: &Path) -> PathBuf {
    for name in ["plan.json", "state.json", "terraform.tfstate"] {
        let p = dir.join(name);
        if p.exists() {
            return p;
        }
    }
    panic!(
        "{}: no plan.json, state.json or terraform.tfstate",
        dir.display()
    );
}

pub fn analyse(path: &Path, view: View) -> Analysis {
    analyse_with(path, view, &Options::default())
}

pub fn analyse_with(path: &Path, view: View, opts: &Options) -> Analysis {
    let bytes = std::fs::read(path).unwrap();
    let (_, a) = tfreach::analyze_bytes(&bytes, &path.display().to_string(), view, opts)
        .unwrap_or_else(|e| panic!("{e}"));
    a
}

/// Analyses a document with ranges named for its on-premises networks.
pub fn analyse_named(
    path: &Path,
    view: View,
    opts: &Options,
    named: &std::collections::BTreeMap<String, Vec<String>>,
) -> Analysis {
    let bytes = std::fs::read(path).unwrap();
    let doc = tfreach::ingest::parse(&bytes, "fixture").unwrap();
    let mut built = tfreach::model::build(&doc, view);
    for (name, cidrs) in named {
        let prefixes: Vec<tfreach::net::Prefix> = cidrs
            .iter()
            .map(|c| c.parse().unwrap_or_else(|e| panic!("{name}: {c}: {e}")))
            .collect();
        assert!(
            built.model.name_on_prem_ranges(name, &prefixes),
            "{}: no on-premises network {name}",
            path.display()
        );
    }
    tfreach::analysis::analyze(&built.model, built.findings, opts)
}

/// The `traffic` text of one pair: which traffic gets a round trip.
pub fn traffic_of(
    path: &Path,
    view: View,
    flow: Option<&tfreach::model::Flow>,
    from: &str,
    to: &str,
) -> Option<String> {
    let bytes = std::fs::read(path).unwrap();
    let doc = tfreach::ingest::parse(&bytes, "fixture").unwrap();
    let built = tfreach::model::build(&doc, view);
    let m = &built.model;
    let s = m.subnets.iter().position(|x| x.address == from)?;
    let d = m.subnets.iter().position(|x| x.address == to)?;
    tfreach::analysis::evaluate_pair_flow(m, s, d, tfreach::analysis::Detail::Reasons, flow).traffic
}

/// Checks every expect*.toml of a fixture directory; returns how many
/// assertions were checked.
pub fn check_fixture(dir: &Path) -> usize {
    let doc = document(dir);
    let mut expects: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.starts_with("expect") && n.ends_with(".toml")
        })
        .collect();
    expects.sort();
    assert!(!expects.is_empty(), "{}: no expect.toml", dir.display());
    check_expects(&doc, &expects)
}

/// Checks expect files against one document; returns how many assertions
/// were checked.
pub fn check_expects(doc: &Path, expects: &[PathBuf]) -> usize {
    let doc = doc.to_path_buf();
    let mut checked = 0;
    let mut failures = Vec::new();
    for e in expects {
        let expect: Expect = toml::from_str(&std::fs::read_to_string(e).unwrap())
            .unwrap_or_else(|err| panic!("{}: {err}", e.display()));
        let view = match expect.view.as_deref() {
            Some("prior") => View::Prior,
            _ => View::Planned,
        };
        let flow: Option<tfreach::model::Flow> = expect.flow.as_deref().map(|f| {
            f.parse()
                .unwrap_or_else(|err| panic!("{}: flow: {err}", e.display()))
        });
        let opts = Options {
            flow,
            ..Options::default()
        };
        let a = if expect.on_prem.is_empty() {
            analyse_with(&doc, view, &opts)
        } else {
            analyse_named(&doc, view, &opts, &expect.on_prem)
        };
        for p in &expect.pair {
            // A subnet pair, or a pair between a subnet and the internet.
            let found: Option<(Verdict, Vec<Reason>, Option<Option<String>>)> = a
                .pairs
                .iter()
                .find(|r| a.subnets[r.from].address == p.from && a.subnets[r.to].address == p.to)
                .map(|r| (r.verdict, r.reasons.clone(), None))
                .or_else(|| {
                    a.endpoints
                        .iter()
                        .find(|r| r.from == p.from && r.to == p.to)
                        .map(|r| (r.verdict, r.reasons.clone(), Some(r.traffic.clone())))
                });
            if let Some(t) = &p.traffic {
                checked += 1;
                let got: Option<String> = match &found {
                    Some((_, _, Some(endpoint))) => endpoint.clone(),
                    _ => traffic_of(&doc, view, flow.as_ref(), &p.from, &p.to),
                };
                if !got.as_deref().is_some_and(|g| g.contains(t.as_str())) {
                    failures.push(format!(
                        "{}: {} -> {}: traffic should mention {t:?}, got {got:?}",
                        e.display(),
                        p.from,
                        p.to
                    ));
                }
            }
            checked += 1;
            let Some((verdict, reasons, _)) = found else {
                failures.push(format!("{}: no pair {} -> {}", e.display(), p.from, p.to));
                continue;
            };
            if verdict.as_str() != p.verdict {
                failures.push(format!(
                    "{}: {} -> {}: expected {}, got {} ({:?})",
                    e.display(),
                    p.from,
                    p.to,
                    p.verdict,
                    verdict,
                    reasons
                        .iter()
                        .map(|r| format!("{}: {}", r.code, r.message))
                        .collect::<Vec<_>>()
                ));
            }
            for c in &p.codes {
                if !reasons.iter().any(|r| r.code == c) {
                    failures.push(format!(
                        "{}: {} -> {}: reason {c} missing; got {:?}",
                        e.display(),
                        p.from,
                        p.to,
                        reasons.iter().map(|r| r.code).collect::<Vec<_>>()
                    ));
                }
            }
        }
        for x in &expect.service {
            checked += 1;
            let found = a
                .services
                .iter()
                .find(|r| r.from == x.from && r.service == x.service);
            let Some(found) = found else {
                failures.push(format!(
                    "{}: no service entry {} -> {}; got {:?}",
                    e.display(),
                    x.from,
                    x.service,
                    a.services
                        .iter()
                        .map(|r| format!("{} -> {}", r.from, r.service))
                        .collect::<Vec<_>>()
                ));
                continue;
            };
            let via = found.via.clone().unwrap_or_default();
            if found.verdict.as_str() != x.verdict || via != x.via {
                failures.push(format!(
                    "{}: service {} -> {}: expected {} via {:?}, got {} via {:?} ({:?})",
                    e.display(),
                    x.from,
                    x.service,
                    x.verdict,
                    x.via,
                    found.verdict,
                    via,
                    found
                        .reasons
                        .iter()
                        .map(|r| format!("{}: {}", r.code, r.message))
                        .collect::<Vec<_>>()
                ));
            }
            for c in &x.codes {
                if !found.reasons.iter().any(|r| r.code == c) {
                    failures.push(format!(
                        "{}: service {} -> {}: reason {c} missing; got {:?}",
                        e.display(),
                        x.from,
                        x.service,
                        found.reasons.iter().map(|r| r.code).collect::<Vec<_>>()
                    ));
                }
            }
        }
        for f in &expect.finding {
            checked += 1;
            if !a
                .findings
                .iter()
                .any(|x| x.code == f.code && x.resource == f.resource)
            {
                failures.push(format!(
                    "{}: finding {} on {} missing; got {:?}",
                    e.display(),
                    f.code,
                    f.resource,
                    a.findings
                        .iter()
                        .map(|x| format!("{} {}", x.code, x.resource))
                        .collect::<Vec<_>>()
                ));
            }
        }
        if !expect.workload.is_empty() || !expect.workload_finding.is_empty() {
            let (n, mut fails) = check_workloads(
                &doc,
                view,
                flow,
                &expect.workload,
                &expect.workload_finding,
                e,
            );
            checked += n;
            failures.append(&mut fails);
        }
        if !expect.workload_change.is_empty() {
            let (n, mut fails) = check_workload_changes(&doc, flow, &expect.workload_change, e);
            checked += n;
            failures.append(&mut fails);
        }
        for f in &expect.no_finding {
            checked += 1;
            let hits: Vec<String> = a
                .findings
                .iter()
                .filter(|x| {
                    x.code == f.code && f.resource.as_ref().is_none_or(|r| *r == x.resource)
                })
                .map(|x| format!("{} {}: {}", x.code, x.resource, x.message))
                .collect();
            if !hits.is_empty() {
                failures.push(format!(
                    "{}: finding {} should not be reported; got {hits:?}",
                    e.display(),
                    f.code
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    checked
}

/// Checks the workload pairs and findings of an expect file against the
/// `workloads` document of `doc`.
fn check_workloads(
    doc: &Path,
    view: View,
    flow: Option<tfreach::model::Flow>,
    pairs: &[ExpectWorkload],
    findings: &[ExpectFinding],
    e: &Path,
) -> (usize, Vec<String>) {
    let bytes = std::fs::read(doc).unwrap();
    let d = tfreach::ingest::parse(&bytes, "fixture").unwrap();
    let opts = tfreach::commands::WorkloadsOptions {
        view,
        flow,
        from: None,
        to: None,
        on_prem: Vec::new(),
    };
    let wd = tfreach::commands::workloads(
        &[tfreach::commands::Input::new(&d, "fixture")],
        &opts,
        &mut |_| {},
    )
    .unwrap_or_else(|err| panic!("{}: {err}", doc.display()))
    .held();
    let mut checked = 0;
    let mut failures = Vec::new();
    let at = e.display();
    for x in pairs {
        checked += 1;
        let Some(p) = wd.pairs.iter().find(|p| p.from == x.from && p.to == x.to) else {
            failures.push(format!(
                "{at}: no workload pair {} -> {}; workloads: {:?}",
                x.from,
                x.to,
                wd.workloads
                    .iter()
                    .map(|w| w.address.as_str())
                    .collect::<Vec<_>>()
            ));
            continue;
        };
        let codes: Vec<&str> = p.reasons.iter().map(|r| r.code).collect();
        if p.verdict.as_str() != x.verdict {
            failures.push(format!(
                "{at}: {} -> {}: expected {}, got {} ({:?})",
                x.from,
                x.to,
                x.verdict,
                p.verdict,
                p.reasons
                    .iter()
                    .map(|r| format!("{}: {}", r.code, r.message))
                    .collect::<Vec<_>>()
            ));
        }
        for c in &x.codes {
            if !codes.contains(&c.as_str()) {
                failures.push(format!(
                    "{at}: {} -> {}: reason {c} missing; got {codes:?}",
                    x.from, x.to
                ));
            }
        }
        if let Some(t) = &x.traffic {
            if !p.traffic.as_deref().is_some_and(|g| g.contains(t.as_str())) {
                failures.push(format!(
                    "{at}: {} -> {}: traffic should mention {t:?}, got {:?}",
                    x.from, x.to, p.traffic
                ));
            }
        }
        if let Some(port) = &x.port {
            let found = p
                .ports
                .iter()
                .find(|q| format!("{}/{}", q.protocol, q.port) == *port);
            let got = found.and_then(|q| q.verdict).map(|v| v.as_str());
            if got != x.port_verdict.as_deref() {
                failures.push(format!(
                    "{at}: {} -> {} on {port}: expected {:?}, got {got:?}",
                    x.from, x.to, x.port_verdict
                ));
            }
        }
        if let Some(n) = x.places {
            if p.places.len() != n {
                failures.push(format!(
                    "{at}: {} -> {}: expected {n} place pairs, got {}",
                    x.from,
                    x.to,
                    p.places.len()
                ));
            }
        }
        if let Some(rule) = &x.allowed_by {
            let named = p
                .places
                .iter()
                .any(|pl| pl.egress_rules.contains(rule) || pl.ingress_rules.contains(rule));
            if !named {
                failures.push(format!(
                    "{at}: {} -> {}: rule {rule} should let it through",
                    x.from, x.to
                ));
            }
        }
    }
    for f in findings {
        checked += 1;
        if !wd
            .findings
            .iter()
            .any(|x| x.code == f.code && x.resource == f.resource)
        {
            failures.push(format!(
                "{at}: workload finding {} on {} missing; got {:?}",
                f.code,
                f.resource,
                wd.findings
                    .iter()
                    .map(|x| format!("{} {}", x.code, x.resource))
                    .collect::<Vec<_>>()
            ));
        }
    }
    (checked, failures)
}

/// Checks the workload changes of an expect file against `diff
/// --workloads` of the plan `doc` (prior state against planned values).
fn check_workload_changes(
    doc: &Path,
    flow: Option<tfreach::model::Flow>,
    expected: &[ExpectWorkloadChange],
    e: &Path,
) -> (usize, Vec<String>) {
    let bytes = std::fs::read(doc).unwrap();
    let d = tfreach::ingest::parse(&bytes, "fixture").unwrap();
    let inputs = tfreach::commands::DiffInputs {
        old: tfreach::commands::Input::new(&d, "fixture"),
        new: None,
        with: &[],
        on_prem: &Vec::new(),
    };
    let done = tfreach::commands::diff_workloads(&inputs, View::Planned, flow, &mut |_| {})
        .unwrap_or_else(|err| panic!("{}: {err}", doc.display()));
    let at = e.display();
    let mut failures = Vec::new();
    for x in expected {
        let Some(c) = done
            .diff
            .changes
            .iter()
            .find(|c| c.from == x.from && c.to == x.to)
        else {
            failures.push(format!(
                "{at}: no workload change {} -> {}; changes: {:?}",
                x.from,
                x.to,
                done.diff
                    .changes
                    .iter()
                    .map(|c| format!("{} -> {}", c.from, c.to))
                    .collect::<Vec<_>>()
            ));
            continue;
        };
        let got = (
            c.kind.as_str(),
            c.before.as_str(),
            c.after.as_str(),
            c.opens.as_deref(),
            c.closes.as_deref(),
        );
        let holds = got.0 == x.kind
            && x.before.as_deref().is_none_or(|b| b == got.1)
            && x.after.as_deref().is_none_or(|a| a == got.2)
            && x.opens
                .as_deref()
                .is_none_or(|o| got.3.is_some_and(|g| g.contains(o)))
            && x.closes
                .as_deref()
                .is_none_or(|o| got.4.is_some_and(|g| g.contains(o)));
        if !holds {
            failures.push(format!(
                "{at}: workload change {} -> {}: expected {x:?}, got {got:?}",
                x.from, x.to
            ));
        }
    }
    (expected.len(), failures)
}
