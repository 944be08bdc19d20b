//! Terminal text for the matrix, diff and check commands (`--format
//! table`). Control characters taken from the input are shown escaped, so a
//! crafted `for_each` key cannot move the cursor or recolour the terminal.
//! Verdicts, severities and rule outcomes are drawn in the colours of the
//! [`Styles`] given.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{self, Write};

use super::doc::{vpc_order, CheckDoc, DiffDoc, MatrixDoc, VpcMatrix};
use super::style::Styles;
use super::table::describe_input;
use super::{Direction, Reason, Verdict};
use crate::analysis::endpoints::EndpointGrid;
use crate::analysis::fix::Fix;
use crate::analysis::Summary;
use crate::diff::Change;
use crate::policy::{Outcome, MAX_HINTED_PAIRS};

/// A string from the input, safe to print on a terminal.
pub fn term(s: &str) -> Cow<'_, str> {
    if s.chars().any(char::is_control) {
        Cow::Owned(
            s.chars()
                .map(|c| {
                    if c.is_control() {
                        c.escape_default().to_string()
                    } else {
                        c.to_string()
                    }
                })
                .collect(),
        )
    } else {
        Cow::Borrowed(s)
    }
}

/// One letter per verdict, for the square matrix.
pub fn letter(v: Verdict) -> char {
    match v {
        Verdict::Reachable => 'R',
        Verdict::Partial => 'P',
        Verdict::OneWay => 'O',
        Verdict::Blocked => '.',
        Verdict::Unknown => '?',
    }
}

fn counts_line(s: &Summary) -> String {
    let parts: Vec<String> = Verdict::ALL
        .iter()
        .filter(|v| s.count(**v) > 0)
        .map(|v| format!("{} {v}", s.count(*v)))
        .collect();
    if parts.is_empty() {
        "no pairs".into()
    } else {
        parts.join(", ")
    }
}

fn write_reasons(out: &mut dyn Write, reasons: &[Reason], indent: &str) -> io::Result<()> {
    for r in reasons {
        let dir = match r.direction {
            Direction::Forward => "",
            Direction::Return => "return: ",
        };
        writeln!(out, "{indent}{dir}{} {}", r.code, term(&r.message))?;
    }
    Ok(())
}

/// The matrix: numbered subnets with one letter per cell, or the VPC
/// aggregate with counts.
pub fn write_matrix(out: &mut dyn Write, m: &MatrixDoc, st: Styles) -> io::Result<()> {
    let a = m.analysis;
    writeln!(out, "{}", term(&describe_input(m.input)))?;
    if m.by_vpc {
        let vm = VpcMatrix::of_doc(m)?;
        let w = vm
            .vpcs
            .iter()
            .map(|v| v.address.chars().count())
            .max()
            .unwrap_or(4)
            .max(4);
        writeln!(
            out,
            "{} VPCs, {} subnets, {} ordered pairs",
            vm.vpcs.len(),
            a.subnets.len(),
            a.summary.pairs
        )?;
        writeln!(out)?;
        writeln!(
            out,
            "{:w$}  {:w$}  {:>7} {:>9} {:>7} {:>7} {:>7} {:>7}",
            "FROM", "TO", "PAIRS", "REACHABLE", "PARTIAL", "ONE_WAY", "BLOCKED", "UNKNOWN"
        )?;
        // A count in its verdict's colour, unless it is zero.
        let count = |n: u64, v: Verdict, w: usize| {
            let text = format!("{n:>w$}");
            if n == 0 {
                text
            } else {
                st.paint(st.verdict(v), text).to_string()
            }
        };
        for c in &vm.cells {
            let s = &c.counts;
            writeln!(
                out,
                "{:w$}  {:w$}  {:>7} {} {} {} {} {}",
                term(&vm.vpcs[c.from].address),
                term(&vm.vpcs[c.to].address),
                s.pairs,
                count(s.reachable, Verdict::Reachable, 9),
                count(s.partial, Verdict::Partial, 7),
                count(s.one_way, Verdict::OneWay, 7),
                count(s.blocked, Verdict::Blocked, 7),
                count(s.unknown, Verdict::Unknown, 7)
            )?;
        }
        return Ok(());
    }
    let n = a.subnets.len();
    let mut grid = vec![None; n * n];
    for p in &a.pairs {
        grid[p.from * n + p.to] = Some(p.verdict);
    }
    let num = n.to_string().len();
    let wa = a
        .subnets
        .iter()
        .map(|s| s.address.chars().count())
        .max()
        .unwrap_or(0);
    let legend: Vec<String> = Verdict::ALL
        .iter()
        .map(|&v| {
            let name = if v == Verdict::OneWay {
                "one-way"
            } else {
                v.as_str()
            };
            format!("{} {name}", st.paint(st.verdict(v), letter(v)))
        })
        .collect();
    let eg = EndpointGrid::of(a);
    writeln!(out, "rows: from, columns: to.  {}", legend.join("  "))?;
    if !eg.names.is_empty() {
        writeln!(
            out,
            "after the bar: towards {}; last rows: from {}",
            eg.names.join(", "),
            eg.names.join(", ")
        )?;
    }
    let paint = |v: Option<Verdict>| match v {
        Some(v) => st.paint(st.verdict(v), letter(v)).to_string(),
        None => " ".to_string(),
    };
    // Column numbers, written vertically.
    for d in 0..num {
        let mut line = format!("{:num$}  {:wa$}  ", "", "");
        for j in 0..n {
            let s = format!("{:>num$}", j + 1);
            line.push(s.as_bytes()[d] as char);
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    for i in 0..n {
        // Runs of one verdict share one colour change.
        let mut cells = String::new();
        let mut j = 0;
        while j < n {
            let cell = grid[i * n + j];
            let run = (j..n)
                .take_while(|&k| grid[i * n + k] == cell && k != i)
                .count();
            match cell {
                Some(v) if run > 0 => {
                    let letters: String = std::iter::repeat_n(letter(v), run).collect();
                    cells.push_str(&st.paint(st.verdict(v), letters).to_string());
                    j += run;
                    continue;
                }
                _ if i == j => cells.push('\\'),
                _ => cells.push(' '),
            }
            j += 1;
        }
        if !eg.names.is_empty() {
            cells.push_str(" |");
            for v in &eg.to[i] {
                cells.push_str(&paint(*v));
            }
        }
        writeln!(
            out,
            "{:>num$}  {:wa$}  {cells}",
            i + 1,
            term(&a.subnets[i].address)
        )?;
    }
    for (k, name) in eg.names.iter().enumerate() {
        let cells: String = eg.from[k].iter().map(|v| paint(*v)).collect();
        writeln!(out, "{:>num$}  {:wa$}  {cells}", "", term(name))?;
    }
    Ok(())
}

/// The diff: totals, then the changes grouped by VPC pair, then the
/// findings introduced and removed.
pub fn write_diff(out: &mut dyn Write, doc: &DiffDoc, st: Styles) -> io::Result<()> {
    let d = doc.diff;
    writeln!(out, "before: {}", term(&describe_input(doc.before)))?;
    writeln!(out, "after:  {}", term(&describe_input(doc.after)))?;
    writeln!(
        out,
        "{} -> {} ordered pairs; {} subnet(s) added, {} removed",
        d.before.pairs,
        d.after.pairs,
        d.subnets_added.len(),
        d.subnets_removed.len()
    )?;
    if d.changes.is_empty() {
        writeln!(out, "No pair changes its verdict.")?;
    } else {
        let kinds: Vec<String> = d
            .counts()
            .iter()
            .map(|(k, n)| format!("{n} {}", k.title().to_lowercase()))
            .collect();
        writeln!(
            out,
            "{} pair(s) change: {}",
            d.changes.len(),
            kinds.join(", ")
        )?;
    }
    let mut groups: BTreeMap<(&str, &str), Vec<&Change>> = BTreeMap::new();
    for c in &d.changes {
        groups
            .entry((
                c.from_vpc.as_deref().unwrap_or(super::doc::NO_VPC),
                c.to_vpc.as_deref().unwrap_or(super::doc::NO_VPC),
            ))
            .or_default()
            .push(c);
    }
    let mut keys: Vec<_> = groups.keys().copied().collect();
    keys.sort_by(|x, y| vpc_order(x.0, y.0).then_with(|| vpc_order(x.1, y.1)));
    let wf = d
        .changes
        .iter()
        .map(|c| c.from.chars().count())
        .max()
        .unwrap_or(0)
        .max(4);
    let wt = d
        .changes
        .iter()
        .map(|c| c.to.chars().count())
        .max()
        .unwrap_or(0)
        .max(2);
    for key in keys {
        let list = &groups[&key];
        writeln!(out)?;
        let head = format!("{} -> {}", term(key.0), term(key.1));
        writeln!(
            out,
            "{}  ({} change(s))",
            st.paint(st.heading(), head),
            list.len()
        )?;
        writeln!(
            out,
            "  {:wf$}  {:wt$}  {:9}  {:9}  KIND",
            "FROM", "TO", "BEFORE", "AFTER"
        )?;
        for c in list {
            writeln!(
                out,
                "  {:wf$}  {:wt$}  {}  {}  {}",
                term(&c.from),
                term(&c.to),
                st.pad(st.status(c.before), c.before.as_str(), 9),
                st.pad(st.status(c.after), c.after.as_str(), 9),
                c.kind.title().to_lowercase()
            )?;
            write_reasons(out, &c.reasons, "      ")?;
        }
    }
    for (title, list) in [
        ("Findings introduced", &d.findings_introduced),
        ("Findings removed", &d.findings_removed),
    ] {
        writeln!(out)?;
        if list.is_empty() {
            writeln!(out, "{title}: none.")?;
            continue;
        }
        writeln!(out, "{title} ({}):", list.len())?;
        for f in list.iter() {
            writeln!(
                out,
                "  {}  {}  {}",
                st.pad(st.severity(f.severity), f.severity.as_str(), 7),
                f.code,
                term(&f.resource)
            )?;
            writeln!(out, "           {}", term(&f.message))?;
        }
    }
    Ok(())
}

/// The check: one line per rule with its outcome, the issues under it,
/// and the verdict.
pub fn write_check(out: &mut dyn Write, doc: &CheckDoc, st: Styles) -> io::Result<()> {
    let r = doc.report;
    writeln!(out, "{}", term(&describe_input(doc.input)))?;
    if let Some(b) = doc.baseline {
        writeln!(out, "baseline: {}", term(&describe_input(b)))?;
    }
    writeln!(out, "policy: {}", term(&r.policy))?;
    writeln!(out)?;
    for res in &r.results {
        let mark = match res.outcome {
            Outcome::Pass => "PASS",
            Outcome::Fail => "FAIL",
            Outcome::Skip => "SKIP",
        };
        let line = res.line.map(|l| format!(" (line {l})")).unwrap_or_default();
        writeln!(
            out,
            "{}  {}{line}",
            st.paint(st.outcome(res.outcome), mark),
            term(&res.name)
        )?;
        if let Some(note) = &res.note {
            writeln!(out, "      {}", term(note))?;
        }
        if res.outcome == Outcome::Skip {
            continue;
        }
        for i in &res.issues {
            writeln!(out, "      {}: {}", i.level.as_str(), term(&i.message))?;
            match i.fixes.as_deref() {
                None => {}
                Some([]) => writeln!(out, "        fixes: none found that tfreach can check")?,
                Some(fixes) => {
                    writeln!(
                        out,
                        "        fixes (each applied to the model and checked: the pair becomes reachable):"
                    )?;
                    write_fix_list(out, fixes, "          ")?;
                }
            }
        }
        let more = res.issues_total - res.issues.len() as u64;
        if more > 0 {
            writeln!(out, "      ... and {more} more")?;
        }
        if res.fixes_omitted > 0 {
            writeln!(
                out,
                "      fix hints are shown for the first {MAX_HINTED_PAIRS} failing pairs; {} more left without (`tfreach explain --intent reachable` gives them pair by pair)",
                res.fixes_omitted
            )?;
        }
    }
    writeln!(out)?;
    let (pass, fail, skip) = (
        r.count(Outcome::Pass),
        r.count(Outcome::Fail),
        r.count(Outcome::Skip),
    );
    let (verdict, style) = if r.passed() {
        ("OK", st.outcome(Outcome::Pass))
    } else {
        ("FAILED", st.outcome(Outcome::Fail))
    };
    writeln!(
        out,
        "{}: {pass} passed, {fail} failed, {skip} skipped ({})",
        st.paint(style, verdict),
        counts_line(doc.summary)
    )?;
    Ok(())
}

/// A pair's fix hints, numbered, each change with its module (and its
/// file and line when known) and its HCL, then the other pairs it alters;
/// `indent` is the indentation of the numbered lines.
pub fn write_fix_list(out: &mut dyn Write, fixes: &[Fix], indent: &str) -> io::Result<()> {
    for (i, f) in fixes.iter().enumerate() {
        let n = f.cost;
        let what = if n == 1 { "change" } else { "changes" };
        writeln!(out, "{indent}{}. {} ({n} {what})", i + 1, term(&f.summary))?;
        for c in &f.changes {
            let mut module = if c.module.is_empty() {
                "the root module".to_string()
            } else {
                c.module.clone()
            };
            if let Some(d) = &c.document {
                module = format!("{module} of {d}");
            }
            let at = c
                .placed
                .as_ref()
                .map(|p| format!(", {}:{}", p.file, p.line))
                .unwrap_or_default();
            writeln!(
                out,
                "{indent}   - {} [in {}{}]",
                term(&c.description),
                term(&module),
                term(&at)
            )?;
            for line in c.hcl.lines() {
                writeln!(out, "{indent}       {}", term(line))?;
            }
        }
        if f.alters.is_empty() {
            writeln!(
                out,
                "{indent}   no other pair of these VPCs changes its verdict"
            )?;
        } else {
            writeln!(out, "{indent}   also changes:")?;
            for a in &f.alters {
                writeln!(
                    out,
                    "{indent}     {} -> {}: {} -> {}",
                    term(&a.from),
                    term(&a.to),
                    a.before,
                    a.after
                )?;
            }
        }
        if let Some(n) = &f.note {
            writeln!(out, "{indent}   note: {}", term(n))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(term("a\u{1b}[31mb\n"), "a\\u{1b}[31mb\\n");
        assert!(matches!(term("plain"), Cow::Borrowed(_)));
    }
}
