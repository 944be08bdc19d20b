//! Markdown for pull-request comments and the GitHub step summary: the
//! diff of a plan and the result of a check.
//!
//! A comment holds at most 65,536 characters. The reporter renders the full
//! detail first and, when that is too long, renders again with less: fewer
//! rows per VPC pair, then no pair lists, then only the largest VPC pairs,
//! until the text fits. Tables are never cut in the middle.
//!
//! Every string that comes from the input (addresses, messages, for_each
//! keys) or from the policy (rule names) is written as a code span, where
//! Markdown makes no links, mentions, HTML or emphasis; the span's fence is
//! longer than any backtick run inside, `|` is escaped in table cells, and
//! line breaks and control characters become spaces. Inside the few HTML
//! elements used (`<details>`, `<summary>`), text is HTML-escaped.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::doc::{clip, vpc_order, CheckDoc, DiffDoc, NO_VPC};
use super::table::describe_input;
use super::{Direction, DocumentInfo, Reason, Verdict};
use crate::diff::{Change, ChangeKind};
use crate::policy::{Level, Outcome, RuleKind, RuleResult};

/// Longest string from the input shown whole.
const MAX_STR: usize = 300;

fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn fenced(s: &str) -> String {
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') || s.is_empty() {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// A code span for running text.
pub fn code(s: &str) -> String {
    fenced(&clean(&clip(s, MAX_STR)))
}

/// A code span for a table cell (`|` escaped, as GFM tables need even
/// inside code).
pub fn cell(s: &str) -> String {
    cell_clip(s, MAX_STR)
}

fn code_clip(s: &str, max: usize) -> String {
    fenced(&clean(&clip(s, max)))
}

fn cell_clip(s: &str, max: usize) -> String {
    code_clip(s, max).replace('|', "\\|")
}

/// Text inside an HTML element.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in clean(&clip(s, MAX_STR)).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '@' => out.push_str("&#64;"),
            c => out.push(c),
        }
    }
    out
}

/// How much to show; each level of [`LEVELS`] shows less.
#[derive(Debug, Clone, Copy)]
struct Detail {
    /// List the pairs (or issues) at all.
    rows: bool,
    /// At most this many rows per VPC pair (per rule for check).
    rows_per_group: Option<usize>,
    /// At most this many VPC pairs (rules) in the summary table.
    groups: Option<usize>,
    /// At most this many resources and findings.
    list: Option<usize>,
    /// Longest message shown.
    message: usize,
    /// At most this many fix hints per pair (check).
    fixes: Option<usize>,
}

const LEVELS: &[Detail] = &[
    Detail {
        rows: true,
        rows_per_group: None,
        groups: None,
        list: None,
        message: MAX_STR,
        fixes: None,
    },
    Detail {
        rows: true,
        rows_per_group: Some(10),
        groups: None,
        list: Some(50),
        message: 200,
        fixes: Some(2),
    },
    Detail {
        rows: true,
        rows_per_group: Some(3),
        groups: None,
        list: Some(30),
        message: 120,
        fixes: Some(1),
    },
    Detail {
        rows: false,
        rows_per_group: None,
        groups: None,
        list: Some(30),
        message: 120,
        fixes: Some(0),
    },
    Detail {
        rows: false,
        rows_per_group: None,
        groups: Some(200),
        list: Some(20),
        message: 100,
        fixes: Some(0),
    },
    Detail {
        rows: false,
        rows_per_group: None,
        groups: Some(50),
        list: Some(10),
        message: 100,
        fixes: Some(0),
    },
    Detail {
        rows: false,
        rows_per_group: None,
        groups: Some(10),
        list: Some(5),
        message: 80,
        fixes: Some(0),
    },
    Detail {
        rows: false,
        rows_per_group: None,
        groups: Some(0),
        list: Some(0),
        message: 80,
        fixes: Some(0),
    },
];

/// Renders at the first level that fits in `max` characters.
fn fit(max: usize, render: impl Fn(&Detail) -> String) -> String {
    for d in LEVELS {
        let s = render(d);
        if s.chars().count() <= max {
            return s;
        }
    }
    // Not even the headline fits: a budget this small is the caller's
    // choice; cut at a line end.
    let s = render(LEVELS.last().expect("levels"));
    let mut out = String::new();
    for line in s.lines() {
        if out.chars().count() + line.chars().count() + 1 > max {
            break;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn omitted(total: usize, shown: usize, what: &str) -> Option<String> {
    (total > shown).then(|| format!("*{} more {what} not shown.*", total - shown))
}

fn reason_text(r: &Reason, d: &Detail) -> String {
    let dir = match r.direction {
        Direction::Forward => "",
        Direction::Return => "return: ",
    };
    let at = r
        .resource
        .as_deref()
        .map(|x| format!(" at {}", cell(x)))
        .unwrap_or_default();
    format!(
        "{dir}`{}`{at}: {}",
        r.code,
        cell_clip(&r.message, d.message)
    )
}

/// The diff as a pull-request comment.
pub fn write_diff(out: &mut dyn Write, doc: &DiffDoc) -> io::Result<()> {
    out.write_all(diff_text(doc).as_bytes())
}

/// The diff's Markdown, within `doc.max_chars`.
pub fn diff_text(doc: &DiffDoc) -> String {
    fit(doc.max_chars, |d| render_diff(doc, d))
}

fn sides(doc: &DiffDoc) -> String {
    let (b, a) = (doc.before, doc.after);
    if !b.documents.is_empty() && b.documents.len() == a.documents.len() {
        return estate_sides(&b.documents, &a.documents);
    }
    if b.file.is_some() && b.file == a.file {
        format!(
            "{}: prior state → planned values",
            code(b.file.as_deref().unwrap_or("-"))
        )
    } else {
        format!(
            "{} → {}",
            code(&describe_input(b)),
            code(&describe_input(a))
        )
    }
}

/// The two sides of a diff over an estate: what changes (a plan's two
/// views, or an old and a new document), then the documents read as they
/// are on both sides.
fn estate_sides(before: &[DocumentInfo], after: &[DocumentInfo]) -> String {
    let named = |d: &DocumentInfo| format!("{} ({})", code(&d.file), code(&d.label));
    let mut changed = Vec::new();
    let mut same = Vec::new();
    for (b, a) in before.iter().zip(after) {
        if b.file != a.file {
            changed.push(format!("{} → {}", named(b), named(a)));
        } else if b.view != a.view {
            changed.push(format!("{}: prior state → planned values", named(a)));
        } else {
            same.push(named(a));
        }
    }
    let changed = if changed.is_empty() {
        "no document changes".to_string()
    } else {
        changed.join(", ")
    };
    if same.is_empty() {
        changed
    } else {
        format!("{changed}, with {} as they are", same.join(", "))
    }
}

fn vpc_key(c: &Change) -> (&str, &str) {
    (
        c.from_vpc.as_deref().unwrap_or(NO_VPC),
        c.to_vpc.as_deref().unwrap_or(NO_VPC),
    )
}

fn render_diff(doc: &DiffDoc, d: &Detail) -> String {
    let diff = doc.diff;
    let mut s = String::new();
    let _ = writeln!(s, "## tfreach: reachability changes\n");
    let kinds = diff.counts();
    let changed = if diff.changes.is_empty() {
        "**No pair changes its verdict.**".to_string()
    } else {
        let list: Vec<String> = kinds
            .iter()
            .map(|(k, n)| format!("{n} {}", k.title().to_lowercase()))
            .collect();
        format!(
            "**{} pair(s) change**: {}.",
            diff.changes.len(),
            list.join(", ")
        )
    };
    let _ = writeln!(s, "{}\n", sides(doc));
    let _ = writeln!(
        s,
        "{changed} Subnets: {} added, {} removed. Findings: {} introduced, {} removed.\n",
        diff.subnets_added.len(),
        diff.subnets_removed.len(),
        diff.findings_introduced.len(),
        diff.findings_removed.len()
    );

    // The VPC pairs, with counts per kind, reasons and resources.
    let mut groups: BTreeMap<(&str, &str), Vec<&Change>> = BTreeMap::new();
    for c in &diff.changes {
        groups.entry(vpc_key(c)).or_default().push(c);
    }
    let mut keys: Vec<(&str, &str)> = groups.keys().copied().collect();
    keys.sort_by(|x, y| {
        groups[y]
            .len()
            .cmp(&groups[x].len())
            .then_with(|| vpc_order(x.0, y.0))
            .then_with(|| vpc_order(x.1, y.1))
    });
    if !keys.is_empty() {
        let shown = d.groups.unwrap_or(keys.len()).min(keys.len());
        if shown > 0 {
            let _ = write!(s, "| From VPC | To VPC |");
            for (k, _) in &kinds {
                let _ = write!(s, " {} |", k.title());
            }
            let _ = writeln!(s, " Reasons (new side) |");
            let _ = write!(s, "|---|---|");
            for _ in &kinds {
                let _ = write!(s, "--:|");
            }
            let _ = writeln!(s, "---|");
            for key in &keys[..shown] {
                let list = &groups[key];
                let _ = write!(s, "| {} | {} |", cell(key.0), cell(key.1));
                for (k, _) in &kinds {
                    let n = list.iter().filter(|c| c.kind == *k).count();
                    if n == 0 {
                        let _ = write!(s, " |");
                    } else {
                        let _ = write!(s, " {n} |");
                    }
                }
                let mut codes: BTreeMap<&str, usize> = BTreeMap::new();
                for c in list {
                    let mut seen: Vec<&str> = c.reasons.iter().map(|r| r.code).collect();
                    seen.sort_unstable();
                    seen.dedup();
                    for code in seen {
                        *codes.entry(code).or_default() += 1;
                    }
                }
                let codes: Vec<String> = codes.iter().map(|(c, n)| format!("`{c}` ×{n}")).collect();
                let _ = writeln!(s, " {} |", codes.join(", "));
            }
            let _ = writeln!(s);
        }
        if let Some(m) = omitted(keys.len(), shown, "VPC pair(s)") {
            let _ = writeln!(s, "{m}\n");
        }
    }

    // Resources at fault: every resource named by a new-side reason.
    let mut blame: BTreeMap<&str, (usize, Vec<&str>)> = BTreeMap::new();
    for c in &diff.changes {
        let mut seen: Vec<(&str, &str)> = c
            .reasons
            .iter()
            .filter_map(|r| r.resource.as_deref().map(|x| (x, r.code)))
            .collect();
        seen.sort_unstable();
        seen.dedup();
        let mut counted: Vec<&str> = Vec::new();
        for (res, code) in seen {
            let e = blame.entry(res).or_default();
            if !counted.contains(&res) {
                e.0 += 1;
                counted.push(res);
            }
            if !e.1.contains(&code) {
                e.1.push(code);
            }
        }
    }
    if !blame.is_empty() {
        let mut list: Vec<_> = blame.into_iter().collect();
        list.sort_by(|x, y| y.1 .0.cmp(&x.1 .0).then_with(|| x.0.cmp(y.0)));
        let shown = d.list.unwrap_or(list.len()).min(list.len());
        if shown > 0 {
            let _ = writeln!(s, "### Resources at fault\n");
            let _ = writeln!(s, "| Resource | Codes | Pairs |\n|---|---|--:|");
            for (res, (n, codes)) in &list[..shown] {
                let codes: Vec<String> = codes.iter().map(|c| format!("`{c}`")).collect();
                let _ = writeln!(s, "| {} | {} | {n} |", cell(res), codes.join(", "));
            }
            let _ = writeln!(s);
        }
        if let Some(m) = omitted(list.len(), shown, "resource(s)") {
            let _ = writeln!(s, "{m}\n");
        }
    }

    for (title, list) in [
        ("Findings introduced", &diff.findings_introduced),
        ("Findings removed", &diff.findings_removed),
    ] {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(s, "### {title}\n");
        let shown = d.list.unwrap_or(list.len()).min(list.len());
        for f in &list[..shown] {
            let _ = writeln!(
                s,
                "- **{}** `{}` on {}: {}",
                f.severity.as_str(),
                f.code,
                code(&f.resource),
                code_clip(&f.message, d.message)
            );
        }
        if let Some(m) = omitted(list.len(), shown, "finding(s)") {
            let _ = writeln!(s, "- {m}");
        }
        let _ = writeln!(s);
    }

    if d.rows {
        for (kind, n) in &kinds {
            write_kind_details(&mut s, diff, *kind, *n, d);
        }
    } else if !diff.changes.is_empty() {
        let _ = writeln!(
            s,
            "*The list of pairs is left out to fit a comment; `tfreach diff --format table` prints every pair.*\n"
        );
    }
    s
}

fn write_kind_details(
    s: &mut String,
    diff: &crate::diff::Diff,
    kind: ChangeKind,
    n: usize,
    d: &Detail,
) {
    let _ = writeln!(
        s,
        "<details><summary><b>{}</b>: {n} pair(s)</summary>\n",
        kind.title()
    );
    let _ = writeln!(
        s,
        "| From | To | Before | After | Why (new side) |\n|---|---|---|---|---|"
    );
    let mut per_group: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    let mut hidden: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for c in diff.changes.iter().filter(|c| c.kind == kind) {
        let g = per_group.entry(vpc_key(c)).or_default();
        *g += 1;
        if d.rows_per_group.is_some_and(|m| *g > m) {
            *hidden.entry(vpc_key(c)).or_default() += 1;
            continue;
        }
        let why: Vec<String> = c.reasons.iter().map(|r| reason_text(r, d)).collect();
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} |",
            cell(&c.from),
            cell(&c.to),
            c.before,
            c.after,
            why.join("<br>")
        );
    }
    for ((fv, tv), h) in hidden {
        let _ = writeln!(
            s,
            "| *{h} more from* {} | *to* {} | | | |",
            cell(fv),
            cell(tv)
        );
    }
    let _ = writeln!(s, "\n</details>\n");
}

// ---------------------------------------------------------------------------
// check

fn mark(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "✅",
        Outcome::Fail => "❌",
        Outcome::Skip => "➖",
    }
}

/// The check as a pull-request comment or step summary.
pub fn write_check(out: &mut dyn Write, doc: &CheckDoc) -> io::Result<()> {
    out.write_all(check_text(doc).as_bytes())
}

/// The check's Markdown, within `doc.max_chars`.
pub fn check_text(doc: &CheckDoc) -> String {
    fit(doc.max_chars, |d| render_check(doc, d))
}

fn has_details(r: &RuleResult) -> bool {
    r.outcome != Outcome::Skip && (r.issues_total > 0 || r.note.is_some())
}

fn render_check(doc: &CheckDoc, d: &Detail) -> String {
    let r = doc.report;
    let (pass, fail, skip) = (
        r.count(Outcome::Pass),
        r.count(Outcome::Fail),
        r.count(Outcome::Skip),
    );
    let mut s = String::new();
    if r.passed() {
        let _ = writeln!(s, "## ✅ tfreach check passed\n");
    } else {
        let _ = writeln!(
            s,
            "## ❌ tfreach check failed: {fail} of {} rule(s)\n",
            r.results.len()
        );
    }
    let mut against = format!(
        "{} against the policy {}",
        code(&describe_input(doc.input)),
        code(&r.policy)
    );
    if let Some(b) = doc.baseline {
        let _ = write!(
            against,
            ", changes measured from {}",
            code(&describe_input(b))
        );
    }
    let verdicts: Vec<String> = Verdict::ALL
        .iter()
        .filter(|v| doc.summary.count(**v) > 0)
        .map(|v| format!("{} {v}", doc.summary.count(*v)))
        .collect();
    let _ = writeln!(
        s,
        "{against}: {pass} passed, {fail} failed, {skip} skipped. {} ordered pairs{}.\n",
        doc.summary.pairs,
        if verdicts.is_empty() {
            String::new()
        } else {
            format!(": {}", verdicts.join(", "))
        }
    );
    // Failing rules first, then those with warnings, then the rest.
    let mut order: Vec<&RuleResult> = r.results.iter().collect();
    order.sort_by_key(|x| {
        (
            x.outcome != Outcome::Fail,
            !(x.issues_total > 0 && x.level == Level::Warning),
            x.outcome == Outcome::Skip,
        )
    });
    // Finding codes with nothing found are named in one line.
    let (quiet, order): (Vec<&RuleResult>, Vec<&RuleResult>) = order.into_iter().partition(|x| {
        x.kind == RuleKind::Finding && x.outcome == Outcome::Pass && x.issues_total == 0
    });
    let shown = d.groups.unwrap_or(order.len()).min(order.len());
    if shown > 0 {
        let _ = writeln!(
            s,
            "| | Rule | Line | Checked | Issues |\n|---|---|--:|--:|--:|"
        );
        for x in &order[..shown] {
            let line = x.line.map(|l| l.to_string()).unwrap_or_default();
            let _ = writeln!(
                s,
                "| {} | {} | {line} | {} | {} |",
                mark(x.outcome),
                cell_clip(&x.name, d.message),
                x.checked,
                x.issues_total
            );
        }
        let _ = writeln!(s);
    }
    if let Some(m) = omitted(order.len(), shown, "rule(s)") {
        let _ = writeln!(s, "{m}\n");
    }
    if !quiet.is_empty() && d.list != Some(0) {
        let names: Vec<String> = quiet.iter().map(|x| format!("`{}`", x.id)).collect();
        let _ = writeln!(s, "Also checked, nothing found: {}.\n", names.join(", "));
    }
    if d.rows {
        for x in order.iter().filter(|x| has_details(x)) {
            let line = x.line.map(|l| format!(" (line {l})")).unwrap_or_default();
            let open = if x.outcome == Outcome::Fail {
                " open"
            } else {
                ""
            };
            let _ = writeln!(
                s,
                "<details{open}><summary>{} <code>{}</code>{line}: {} issue(s)</summary>\n",
                mark(x.outcome),
                html(&x.name),
                x.issues_total
            );
            if let Some(note) = &x.note {
                let _ = writeln!(s, "- {}", code_clip(note, 400));
            }
            let limit = d.rows_per_group.unwrap_or(usize::MAX);
            for i in x.issues.iter().take(limit) {
                let _ = writeln!(
                    s,
                    "- **{}** {}",
                    i.level.as_str(),
                    code_clip(&i.message, d.message)
                );
            }
            let kept = x.issues.len().min(limit);
            if let Some(m) = omitted(x.issues_total as usize, kept, "issue(s)") {
                let _ = writeln!(s, "- {m}");
            }
            write_fixes(&mut s, x, d);
            let _ = writeln!(s, "\n</details>\n");
        }
    } else if order.iter().any(|x| has_details(x)) {
        let _ = writeln!(
            s,
            "*The issues are left out to fit a comment; `tfreach check --format table` prints them all.*\n"
        );
    }
    s
}

/// A fenced code block: a fence longer than any backtick run inside,
/// control characters (but line ends) as spaces.
fn code_block(lang: &str, s: &str) -> String {
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat((longest + 1).max(3));
    let body: Vec<String> = s.lines().map(clean).collect();
    format!("{fence}{lang}\n{}\n{fence}", body.join("\n"))
}

/// The fix hints of a failed expect, collapsed: per pair, each hint's
/// summary, where each change goes and its HCL.
fn write_fixes(s: &mut String, x: &RuleResult, d: &Detail) {
    let limit = d.fixes.unwrap_or(usize::MAX);
    let hinted: Vec<_> = x
        .issues
        .iter()
        .filter_map(|i| Some((i, i.fixes.as_deref()?)))
        .collect();
    if hinted.is_empty() || limit == 0 {
        return;
    }
    let _ = writeln!(
        s,
        "\n<details><summary>Fix hints for {} pair(s), each checked on the model</summary>\n",
        hinted.len()
    );
    for (i, fixes) in hinted {
        let from = i.from.as_deref().unwrap_or("");
        let to = i.to.as_deref().unwrap_or("");
        let _ = writeln!(s, "**{} → {}**\n", code(from), code(to));
        if fixes.is_empty() {
            let _ = writeln!(
                s,
                "No change tfreach can check makes this pair reachable.\n"
            );
            continue;
        }
        for (n, f) in fixes.iter().take(limit).enumerate() {
            let what = if f.cost == 1 { "change" } else { "changes" };
            let _ = writeln!(
                s,
                "{}. {} ({} {what})\n",
                n + 1,
                code_clip(&f.summary, d.message),
                f.cost
            );
            for c in &f.changes {
                let mut module = if c.module.is_empty() {
                    "the root module".to_string()
                } else {
                    code(&c.module)
                };
                if let Some(d) = &c.document {
                    module = format!("{module} of {}", code(d));
                }
                let at = c
                    .placed
                    .as_ref()
                    .map(|p| format!(", {}", code(&format!("{}:{}", p.file, p.line))))
                    .unwrap_or_default();
                let _ = writeln!(s, "   In {module}{at}:\n");
                for line in code_block("hcl", &c.hcl).lines() {
                    let _ = writeln!(s, "   {line}");
                }
                let _ = writeln!(s);
            }
            if !f.alters.is_empty() {
                let changed: Vec<String> = f
                    .alters
                    .iter()
                    .map(|a| {
                        format!(
                            "{} → {}: {} → {}",
                            code(&a.from),
                            code(&a.to),
                            a.before,
                            a.after
                        )
                    })
                    .collect();
                let _ = writeln!(s, "   Also changes {}.\n", changed.join(", "));
            }
        }
        if let Some(m) = omitted(fixes.len(), fixes.len().min(limit), "hint(s)") {
            let _ = writeln!(s, "{m}\n");
        }
    }
    let _ = writeln!(s, "</details>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_hold_any_backtick_run() {
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x`"), "`` `x` ``");
        assert_eq!(code("a\nb"), "`a b`");
        assert_eq!(cell("a|b"), "`a\\|b`");
    }

    #[test]
    fn html_text_is_escaped() {
        assert_eq!(
            html("<img src=x onerror=alert(1)>&@me"),
            "&lt;img src=x onerror=alert(1)&gt;&amp;&#64;me"
        );
    }

    #[test]
    fn fit_falls_back_to_less_detail() {
        let s = fit(50, |d| {
            if d.rows {
                "x".repeat(100)
            } else {
                "short\n".into()
            }
        });
        assert_eq!(s, "short\n");
        let s = fit(3, |_| "abcd\nefgh\n".into());
        assert_eq!(s, "");
    }
}
