//! SARIF 2.1.0 for GitHub code scanning: one rule per policy rule kind and
//! per finding code that has results, each with short and full
//! descriptions and help; one result per issue, with a message, a file
//! location and a stable fingerprint.
//!
//! A result points at the `.tf` file and line that declares the resource at
//! fault when the configuration directory was given (`--config-dir`);
//! otherwise at the policy line of the rule, or at the input file.
//! Fingerprints hash the rule, the pair and the resource, never a line
//! number, so an alert keeps its identity when files move around it.
//!
//! Message text is plain; strings from the input have `\`, `[` and `]`
//! escaped as SARIF asks, so they cannot form embedded links.

use std::io::{self, Write};

use serde_json::{json, Value};

use super::doc::{stable_hash, CheckDoc};
use crate::analysis::fix::{Fix, Insert};
use crate::policy::{rule_doc, Issue, Level, Outcome, RuleResult};

/// Plain SARIF message text.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() && c != '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A relative path as a URI reference: `/`-separated, without a leading
/// `./`, with characters outside the unreserved set percent-encoded.
pub fn uri(path: &str) -> String {
    let p = path.replace('\\', "/");
    let p = p.strip_prefix("./").unwrap_or(&p);
    let mut out = String::with_capacity(p.len());
    for b in p.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn level(l: Level) -> &'static str {
    match l {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Note | Level::Off => "note",
    }
}

/// `NO_ROUTE_TO_DESTINATION` -> `NoRouteToDestination`.
fn camel(id: &str) -> String {
    id.split('_')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f
                    .to_uppercase()
                    .chain(c.flat_map(char::to_lowercase))
                    .collect(),
                None => String::new(),
            }
        })
        .collect()
}

fn rule(r: &RuleResult) -> Value {
    let (summary, help) = match rule_doc(&r.id) {
        Some(d) => (d.summary, d.help),
        None => (
            "A finding reported by tfreach.",
            "See the finding's message.",
        ),
    };
    let kind = if r.kind == crate::policy::RuleKind::Finding {
        "finding"
    } else {
        "policy"
    };
    json!({
        "id": r.id,
        "name": camel(&r.id),
        "shortDescription": {"text": summary},
        "fullDescription": {"text": format!("{summary} {help}")},
        "help": {
            "text": help,
            "markdown": format!("**{}**\n\n{summary}\n\n**How to fix:** {help}", r.id),
        },
        "defaultConfiguration": {"level": level(r.level)},
        "properties": {"tags": ["network", "reachability", kind], "precision": "high"},
    })
}

/// Where a result points: (uri, line).
/// Where a result points: (uri, line). The `.tf` line that declares the
/// resource when its document's configuration was given; else the policy
/// line of the rule; else the document the resource is in (with several,
/// each resource's own), or the policy file.
fn location(doc: &CheckDoc, r: &RuleResult, resource: Option<&str>) -> (String, usize) {
    if let Some((path, line)) = resource.and_then(|res| doc.sources.declaration(res)) {
        return (uri(path), line);
    }
    if let Some(line) = r.line {
        return (uri(&doc.report.policy), line);
    }
    let file = resource
        .and_then(|res| doc.sources.document_file(res))
        .or_else(|| doc.sources.only_file());
    match file {
        Some(f) => (uri(f), 1),
        None => (uri(&doc.report.policy), 1),
    }
}

fn result(doc: &CheckDoc, r: &RuleResult, index: usize, issue: Option<&Issue>) -> Value {
    let resource = issue.and_then(|i| i.resource.as_deref());
    let (file, line) = location(doc, r, resource);
    let message = match issue {
        Some(i) => format!("{}: {}", r.name, i.message),
        None => format!(
            "{}: {}",
            r.name,
            r.note.as_deref().unwrap_or("does not hold")
        ),
    };
    let from = issue.and_then(|i| i.from.as_deref()).unwrap_or("");
    let to = issue.and_then(|i| i.to.as_deref()).unwrap_or("");
    let identity = match (r.kind, issue) {
        // Findings: the same code on the same resource can occur with
        // different messages (two routes of one table).
        (crate::policy::RuleKind::Finding, Some(i)) => i.message.as_str(),
        _ => r.name.as_str(),
    };
    let fp = stable_hash(&[&r.id, identity, from, to, resource.unwrap_or("")]);
    let mut v = json!({
        "ruleId": r.id,
        "ruleIndex": index,
        "level": level(issue.map(|i| i.level).unwrap_or(r.level)),
        "message": {"text": text(&message)},
        "locations": [{
            "physicalLocation": {
                "artifactLocation": {"uri": file},
                "region": {"startLine": line},
            },
        }],
        "partialFingerprints": {"tfreachIssue/v1": format!("{fp:016x}")},
    });
    if let Some(res) = resource {
        v["locations"][0]["logicalLocations"] =
            json!([{"fullyQualifiedName": res, "kind": "resource"}]);
    }
    if issue.is_some_and(|i| i.from.is_some()) {
        v["properties"] = json!({"from": from, "to": to});
    }
    let fixes: Vec<Value> = issue
        .and_then(|i| i.fixes.as_deref())
        .unwrap_or_default()
        .iter()
        .filter_map(sarif_fix)
        .collect();
    if !fixes.is_empty() {
        v["fixes"] = Value::Array(fixes);
    }
    v
}

/// A fix hint as a SARIF fix: each change an insertion into the `.tf`
/// file of the resource it goes in or beside (a new block before that
/// resource's block, a nested block just inside it). A hint with a change
/// whose place is not known, or that replaces an attribute (whose line is
/// not known), is left out.
fn sarif_fix(f: &Fix) -> Option<Value> {
    // (uri, line, text), in the order the changes are given.
    let mut edits: Vec<(String, usize, String)> = Vec::new();
    for c in &f.changes {
        let p = c.placed.as_ref()?;
        let (line, text) = match c.insert {
            Insert::Before => (p.line, format!("{}\n", c.hcl)),
            Insert::Inside => (
                p.line + 1,
                c.hcl.lines().map(|l| format!("  {l}\n")).collect(),
            ),
            Insert::Replace => return None,
        };
        edits.push((uri(&p.file), line, text));
    }
    let mut files: Vec<&str> = edits.iter().map(|e| e.0.as_str()).collect();
    files.sort();
    files.dedup();
    let changes: Vec<Value> = files
        .iter()
        .map(|file| {
            let mut here: Vec<&(String, usize, String)> =
                edits.iter().filter(|e| e.0 == *file).collect();
            here.sort_by_key(|e| e.1);
            let replacements: Vec<Value> = here
                .iter()
                .map(|(_, line, text)| {
                    json!({
                        "deletedRegion": {"startLine": line, "startColumn": 1, "endLine": line, "endColumn": 1},
                        "insertedContent": {"text": text},
                    })
                })
                .collect();
            json!({"artifactLocation": {"uri": file}, "replacements": replacements})
        })
        .collect();
    Some(json!({
        "description": {"text": text(&f.summary)},
        "artifactChanges": changes,
    }))
}

/// The SARIF log as a JSON value.
pub fn log(doc: &CheckDoc) -> Value {
    let mut rules: Vec<Value> = Vec::new();
    let mut ids: Vec<&str> = Vec::new();
    let mut results = Vec::new();
    for r in &doc.report.results {
        if r.outcome == Outcome::Skip || r.level == Level::Off {
            continue;
        }
        let reports = !r.issues.is_empty() || r.outcome == Outcome::Fail;
        if !reports {
            continue;
        }
        let index = match ids.iter().position(|x| *x == r.id) {
            Some(i) => i,
            None => {
                ids.push(&r.id);
                rules.push(rule(r));
                ids.len() - 1
            }
        };
        if r.issues.is_empty() {
            results.push(result(doc, r, index, None));
        }
        for i in &r.issues {
            results.push(result(doc, r, index, Some(i)));
        }
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "tfreach",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "automationDetails": {"id": "tfreach/check/"},
            "columnKind": "unicodeCodePoints",
            "invocations": [{"executionSuccessful": true}],
            "results": results,
        }],
    })
}

/// Writes the SARIF log.
pub fn write_check(out: &mut dyn Write, doc: &CheckDoc) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &log(doc)).map_err(io::Error::other)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brackets_cannot_form_links() {
        assert_eq!(text(r#"a["](http://x)"]"#), r#"a\["\](http://x)"\]"#);
    }

    #[test]
    fn uris_are_relative_and_encoded() {
        assert_eq!(uri("./infra/main tf/a.tf"), "infra/main%20tf/a.tf");
        assert_eq!(camel("NO_ROUTE_TO_DESTINATION"), "NoRouteToDestination");
    }
}
