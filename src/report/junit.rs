//! JUnit XML for GitLab, Jenkins and other CI test views: one test suite
//! per kind of rule (expect, no_new_path, no_one_way, findings), one test
//! case per assertion, rule or finding code. A failing case carries its
//! issues; a skipped one says why; warnings go to `system-out`.
//!
//! Text is XML-escaped, and characters XML 1.0 cannot hold are replaced,
//! so any input yields a well-formed document.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::doc::CheckDoc;
use crate::policy::{Outcome, RuleKind, RuleResult};

/// Text or attribute content for XML 1.0.
pub fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn suite_name(k: RuleKind) -> &'static str {
    match k {
        RuleKind::Expect => "expect",
        RuleKind::NoNewPath => "no_new_path",
        RuleKind::NoOneWay => "no_one_way",
        RuleKind::Finding => "findings",
    }
}

/// The file (and line) a test case names: the policy line of its rule;
/// else where its first issue's resource is declared (with the document's
/// configuration given) or the document it is in; else the only document,
/// or with several the policy.
fn case_file<'a>(doc: &'a CheckDoc, r: &RuleResult) -> (&'a str, Option<usize>) {
    if let Some(line) = r.line {
        return (doc.report.policy.as_str(), Some(line));
    }
    let resource = r.issues.iter().find_map(|i| i.resource.as_deref());
    if let Some((path, line)) = resource.and_then(|res| doc.sources.declaration(res)) {
        return (path, Some(line));
    }
    let file = resource
        .and_then(|res| doc.sources.document_file(res))
        .or_else(|| doc.sources.only_file())
        .unwrap_or(if doc.input.documents.is_empty() {
            "-"
        } else {
            doc.report.policy.as_str()
        });
    (file, None)
}

fn case(s: &mut String, doc: &CheckDoc, r: &RuleResult) {
    let (file, line) = case_file(doc, r);
    let line = line.map(|l| format!(" line=\"{l}\"")).unwrap_or_default();
    let _ = write!(
        s,
        "    <testcase classname=\"tfreach.{}\" name=\"{}\" file=\"{}\"{line} assertions=\"{}\"",
        suite_name(r.kind),
        xml(&r.name),
        xml(file),
        r.checked
    );
    let lines: Vec<String> = r
        .note
        .iter()
        .cloned()
        .chain(r.issues.iter().flat_map(|i| {
            std::iter::once(format!("{}: {}", i.level.as_str(), i.message)).chain(
                i.fixes
                    .iter()
                    .flatten()
                    .map(|f| format!("  fix hint ({} change(s)): {}", f.cost, f.summary)),
            )
        }))
        .chain(
            (r.issues_total > r.issues.len() as u64)
                .then(|| format!("... and {} more", r.issues_total - r.issues.len() as u64)),
        )
        .collect();
    let body = xml(&lines.join("\n")).replace("&#10;", "\n");
    match r.outcome {
        Outcome::Fail => {
            let _ = write!(
                s,
                ">\n      <failure type=\"{}\" message=\"{}\">{body}</failure>\n    </testcase>\n",
                xml(&r.id),
                xml(&format!("{} issue(s)", r.issues_total.max(1)))
            );
        }
        Outcome::Skip => {
            let _ = write!(
                s,
                ">\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                xml(r.note.as_deref().unwrap_or("skipped"))
            );
        }
        Outcome::Pass if !lines.is_empty() => {
            let _ = write!(
                s,
                ">\n      <system-out>{body}</system-out>\n    </testcase>\n"
            );
        }
        Outcome::Pass => {
            let _ = writeln!(s, "/>");
        }
    }
}

/// The JUnit document's text.
pub fn document(doc: &CheckDoc) -> String {
    let r = doc.report;
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        s,
        "<testsuites name=\"tfreach check\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\">",
        r.results.len(),
        r.count(Outcome::Fail),
        r.count(Outcome::Skip)
    );
    for kind in [
        RuleKind::Expect,
        RuleKind::NoNewPath,
        RuleKind::NoOneWay,
        RuleKind::Finding,
    ] {
        let list: Vec<&RuleResult> = r.results.iter().filter(|x| x.kind == kind).collect();
        if list.is_empty() {
            continue;
        }
        let count = |o| list.iter().filter(|x| x.outcome == o).count();
        let _ = writeln!(
            s,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\">",
            suite_name(kind),
            list.len(),
            count(Outcome::Fail),
            count(Outcome::Skip)
        );
        let _ = writeln!(
            s,
            "    <properties>\n      <property name=\"input\" value=\"{}\"/>\n      <property name=\"policy\" value=\"{}\"/>\n    </properties>",
            xml(&doc.sources.files()),
            xml(&r.policy)
        );
        for x in list {
            case(&mut s, doc, x);
        }
        let _ = writeln!(s, "  </testsuite>");
    }
    let _ = writeln!(s, "</testsuites>");
    s
}

/// Writes the JUnit document.
pub fn write_check(out: &mut dyn Write, doc: &CheckDoc) -> io::Result<()> {
    out.write_all(document(doc).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_invalid_characters_are_neutralised() {
        assert_eq!(
            xml("<a href='x'>&\u{0}</a>"),
            "&lt;a href=&apos;x&apos;&gt;&amp;\u{FFFD}&lt;/a&gt;"
        );
    }
}
