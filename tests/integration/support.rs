//! Shared helpers: load a fixture, analyse it, check an expect file.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use tfreach::analysis::{Analysis, Options};
use tfreach::ingest::View;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    #[serde(default)]
    pub view: Option<String>,
    #[serde(default)]
    pub pair: Vec<ExpectPair>,
    #[serde(default)]
    pub finding: Vec<ExpectFinding>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectPair {
    pub from: String,
    pub to: String,
    pub verdict: String,
    #[serde(default)]
    pub codes: Vec<String>,
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
    let bytes = std::fs::read(path).unwrap();
    let (_, a) = tfreach::analyze_bytes(
        &bytes,
        &path.display().to_string(),
        view,
        &Options::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    a
}

/// Checks every expect*.toml of a fixture directory; returns how many
/// assertions were checked.
pub fn check_fixture(dir: &Path) -> usize {
    let doc = document(dir);
    let mut checked = 0;
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
    let mut failures = Vec::new();
    for e in expects {
        let expect: Expect = toml::from_str(&std::fs::read_to_string(&e).unwrap())
            .unwrap_or_else(|err| panic!("{}: {err}", e.display()));
        let view = match expect.view.as_deref() {
            Some("prior") => View::Prior,
            _ => View::Planned,
        };
        let a = analyse(&doc, view);
        for p in &expect.pair {
            checked += 1;
            let found = a
                .pairs
                .iter()
                .find(|r| a.subnets[r.from].address == p.from && a.subnets[r.to].address == p.to);
            let Some(found) = found else {
                failures.push(format!("{}: no pair {} -> {}", e.display(), p.from, p.to));
                continue;
            };
            if found.verdict.as_str() != p.verdict {
                failures.push(format!(
                    "{}: {} -> {}: expected {}, got {} ({:?})",
                    e.display(),
                    p.from,
                    p.to,
                    p.verdict,
                    found.verdict,
                    found
                        .reasons
                        .iter()
                        .map(|r| format!("{}: {}", r.code, r.message))
                        .collect::<Vec<_>>()
                ));
            }
            for c in &p.codes {
                if !found.reasons.iter().any(|r| r.code == c) {
                    failures.push(format!(
                        "{}: {} -> {}: reason {c} missing; got {:?}",
                        e.display(),
                        p.from,
                        p.to,
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
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    checked
}
