//! The terminal table: pairs grouped by VPC pair, the summary line, and
//! the findings.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::doc::VpcMatrix;
use super::style::Styles;
use super::{InputInfo, Verdict};
use crate::analysis::{address_order, Analysis, Summary};
use crate::ingest::{DocKind, View};

fn width(items: impl Iterator<Item = usize>, min: usize) -> usize {
    items.max().unwrap_or(0).max(min)
}

/// One line that names what was analysed.
pub fn describe_input(input: &InputInfo) -> String {
    let kind = |kind, view| match (kind, view) {
        (DocKind::Plan, View::Planned) => "plan, planned values (after apply)",
        (DocKind::Plan, View::Prior) => "plan, prior state (before apply)",
        (DocKind::State, _) => "state",
        (DocKind::RawState, _) => "state file",
    };
    if !input.documents.is_empty() {
        let each: Vec<String> = input
            .documents
            .iter()
            .map(|d| format!("{} ({}: {})", d.label, d.file, kind(d.kind, d.view)))
            .collect();
        return format!("{} documents: {}", each.len(), each.join(", "));
    }
    let kind = kind(input.kind, input.view);
    match &input.file {
        Some(f) => format!("{f}: {kind}"),
        None => kind.to_string(),
    }
}

/// The summary counts as one line.
pub fn summary_line(a: &Analysis) -> String {
    let s = &a.total_summary();
    let names: Vec<&str> = a.endpoint_list.iter().map(|e| e.name.as_str()).collect();
    let beyond = match names.len() {
        0 => String::new(),
        _ => format!(" and {}", names.join(", ")),
    };
    format!(
        "{} subnets{beyond}, {} ordered pairs: {} reachable, {} partial, {} one-way, {} blocked, {} unknown",
        a.subnets.len(),
        s.pairs,
        s.reachable,
        s.partial,
        s.one_way,
        s.blocked,
        s.unknown
    )
}

/// Writes the table, without colour.
pub fn write(out: &mut dyn Write, input: &InputInfo, a: &Analysis) -> io::Result<()> {
    write_styled(out, input, a, Styles::PLAIN)
}

/// Writes the table, verdicts and severities in the colours of `st`.
pub fn write_styled(
    out: &mut dyn Write,
    input: &InputInfo,
    a: &Analysis,
    st: Styles,
) -> io::Result<()> {
    writeln!(out, "{}", describe_input(input))?;
    writeln!(out, "{}", summary_line(a))?;
    let vpc_of = |i: usize| a.subnets[i].vpc.as_deref().unwrap_or("(unknown VPC)");
    let mut groups: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (k, p) in a.pairs.iter().enumerate() {
        groups
            .entry((vpc_of(p.from).to_string(), vpc_of(p.to).to_string()))
            .or_default()
            .push(k);
    }
    let mut keys: Vec<_> = groups.keys().cloned().collect();
    keys.sort_by(|x, y| address_order(&x.0, &y.0).then_with(|| address_order(&x.1, &y.1)));
    let wf = width(a.pairs.iter().map(|p| a.subnets[p.from].address.len()), 4);
    let wt = width(a.pairs.iter().map(|p| a.subnets[p.to].address.len()), 2);
    for key in keys {
        let members = &groups[&key];
        let mut counts: BTreeMap<Verdict, usize> = BTreeMap::new();
        for &k in members {
            *counts.entry(a.pairs[k].verdict).or_default() += 1;
        }
        let counts: Vec<String> = counts
            .iter()
            .map(|(v, n)| format!("{n} {}", st.paint(st.verdict(*v), v)))
            .collect();
        writeln!(out)?;
        let head = format!("{} -> {}", key.0, key.1);
        writeln!(
            out,
            "{}  ({})",
            st.paint(st.heading(), head),
            counts.join(", ")
        )?;
        writeln!(out, "  {:wf$}  {:wt$}  VERDICT", "FROM", "TO")?;
        for &k in members {
            let p = &a.pairs[k];
            writeln!(
                out,
                "  {:wf$}  {:wt$}  {}",
                a.subnets[p.from].address,
                a.subnets[p.to].address,
                st.paint(st.verdict(p.verdict), p.verdict)
            )?;
            if let Some(t) = &p.traffic {
                writeln!(out, "      round trip for: {t}")?;
            }
            write_reasons(out, &p.reasons)?;
        }
    }
    if a.pairs.is_empty() && a.summary.pairs > 0 {
        writeln!(
            out,
            "\n(pairs not listed; use --pairs all or --pairs failing)"
        )?;
    }
    write_tail(out, a, st)
}

/// The internet pairs, the services and the findings, which end every
/// table.
fn write_tail(out: &mut dyn Write, a: &Analysis, st: Styles) -> io::Result<()> {
    write_endpoints(out, a, st)?;
    write_services(out, a, st)?;
    writeln!(out)?;
    if a.findings.is_empty() {
        writeln!(out, "No findings.")?;
    } else {
        writeln!(out, "Findings ({}):", a.findings.len())?;
        for f in &a.findings {
            writeln!(
                out,
                "  {}  {}  {}",
                st.pad(st.severity(f.severity), f.severity.as_str(), 7),
                f.code,
                f.resource
            )?;
            writeln!(out, "           {}", f.message)?;
        }
    }
    Ok(())
}

/// What the table shows of an estate with more pairs than a table can
/// usefully list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overview {
    /// How many pairs the list would have held.
    pub listed: u64,
    /// The VPC pairs where some traffic is not blocked, with their counts
    /// (VPCs numbered as in [`VpcMatrix::empty`]), sorted.
    pub cells: Vec<((usize, usize), Summary)>,
}

/// The table of an estate with more pairs than a table can usefully list:
/// the summary, the VPC pairs where some traffic is not blocked with their
/// counts, then the services and findings.
pub fn write_overview(
    out: &mut dyn Write,
    input: &InputInfo,
    a: &Analysis,
    overview: &Overview,
    st: Styles,
) -> io::Result<()> {
    writeln!(out, "{}", describe_input(input))?;
    writeln!(out, "{}", summary_line(a))?;
    let vm = VpcMatrix::empty(a);
    let vpcs: Vec<&str> = vm.vpcs.iter().map(|v| v.address.as_str()).collect();
    let (listed, cells) = (overview.listed, &overview.cells);
    writeln!(
        out,
        "\n{listed} pairs are too many to list one by one. Below: the VPC pairs where some \
         traffic is not blocked ({} of {}); every other pair is blocked. `--format json` streams \
         the pairs and `tfreach matrix --format csv` exports them, in little memory; `--pairs \
         all` or `--pairs failing` forces the list here, held in memory.",
        cells.len(),
        vpcs.len() * vpcs.len()
    )?;
    let w = width(vpcs.iter().map(|v| v.chars().count()), 8);
    writeln!(out)?;
    writeln!(
        out,
        "  {:w$}  {:w$}  {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "FROM VPC", "TO VPC", "PAIRS", "REACHABLE", "PARTIAL", "ONE_WAY", "BLOCKED", "UNKNOWN"
    )?;
    for ((x, y), c) in cells {
        writeln!(
            out,
            "  {:w$}  {:w$}  {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
            vpcs[*x], vpcs[*y], c.pairs, c.reachable, c.partial, c.one_way, c.blocked, c.unknown
        )?;
    }
    write_tail(out, a, st)
}

/// The pairs between subnets and the endpoints beyond them, both ways.
fn write_endpoints(out: &mut dyn Write, a: &Analysis, st: Styles) -> io::Result<()> {
    if a.endpoints.is_empty() {
        return Ok(());
    }
    let wf = width(a.endpoints.iter().map(|p| p.from.len()), 4);
    let wt = width(a.endpoints.iter().map(|p| p.to.len()), 2);
    writeln!(out)?;
    let names: Vec<&str> = a.endpoint_list.iter().map(|e| e.name.as_str()).collect();
    writeln!(
        out,
        "Subnets and {} ({} pairs):",
        names.join(", "),
        a.endpoints.len()
    )?;
    writeln!(out, "  {:wf$}  {:wt$}  VERDICT", "FROM", "TO")?;
    for p in &a.endpoints {
        writeln!(
            out,
            "  {:wf$}  {:wt$}  {}",
            p.from,
            p.to,
            st.paint(st.verdict(p.verdict), p.verdict)
        )?;
        if let Some(t) = &p.traffic {
            writeln!(out, "      round trip for: {t}")?;
        }
        if let Some(n) = &p.note {
            writeln!(out, "      note: {n}")?;
        }
        write_reasons(out, &p.reasons)?;
    }
    Ok(())
}

/// A pair's reasons, one per line under it.
fn write_reasons(out: &mut dyn Write, reasons: &[super::Reason]) -> io::Result<()> {
    for r in reasons {
        let dir = match r.direction {
            super::Direction::Forward => "",
            super::Direction::Return => "return: ",
        };
        writeln!(out, "      {dir}{} {}", r.code, r.message)?;
    }
    Ok(())
}

/// The services section: per subnet, each AWS service and how it is reached.
fn write_services(out: &mut dyn Write, a: &Analysis, st: Styles) -> io::Result<()> {
    if a.services.is_empty() {
        return Ok(());
    }
    let wf = width(a.services.iter().map(|s| s.from.len()), 6);
    let ws = width(a.services.iter().map(|s| s.service.len()), 7);
    writeln!(out)?;
    writeln!(out, "Services ({}):", a.services.len())?;
    writeln!(
        out,
        "  {:wf$}  {:ws$}  {:9}  VIA",
        "SUBNET", "SERVICE", "VERDICT"
    )?;
    for s in &a.services {
        writeln!(
            out,
            "  {:wf$}  {:ws$}  {}  {}",
            s.from,
            s.service,
            st.pad(st.verdict(s.verdict), s.verdict.as_str(), 9),
            s.via.as_deref().unwrap_or("-")
        )?;
        if let Some(n) = &s.note {
            writeln!(out, "      note: {n}")?;
        }
        write_reasons(out, &s.reasons)?;
    }
    Ok(())
}
