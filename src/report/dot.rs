//! Graphviz DOT: subnets clustered by VPC, one edge per ordered pair that
//! gets traffic through, coloured by verdict (a pair and its reverse with
//! the same verdict share one two-headed edge). Blocked pairs have no edge.
//! With `--by-vpc`, VPCs are the nodes and edges carry verdict counts. The
//! internet, when it is an endpoint, is a node of its own with an edge to
//! and from each subnet, as between subnets.
//!
//! Node ids are generated (`s0`, `v0`); every name from the input is a
//! quoted string with `\` and `"` escaped and control characters replaced,
//! so a crafted key cannot end the string or add attributes.

use foldhash::HashMap;
use std::io::{self, Write};

use super::doc::{MatrixDoc, VpcMatrix};
use super::Verdict;
use crate::analysis::endpoints::EndpointGrid;
use crate::analysis::Summary;

/// A DOT quoted string.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Colour and line style of an edge.
pub fn style(v: Verdict) -> Option<(&'static str, &'static str)> {
    match v {
        Verdict::Reachable => Some(("#2e7d32", "solid")),
        Verdict::Partial => Some(("#ef6c00", "solid")),
        Verdict::OneWay => Some(("#c62828", "dashed")),
        Verdict::Unknown => Some(("#757575", "dotted")),
        Verdict::Blocked => None,
    }
}

const LEGEND: &str = "edges: green reachable, orange partial, red dashed one-way, grey dotted unknown; no edge: blocked";

fn header(out: &mut dyn Write, m: &MatrixDoc) -> io::Result<()> {
    let title = format!(
        "{}\\n{LEGEND}",
        super::table::describe_input(m.input)
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
    );
    writeln!(out, "digraph tfreach {{")?;
    writeln!(
        out,
        "  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=10, labelloc=t, label=\"{}\"];",
        title
            .chars()
            .filter(|c| !c.is_control())
            .collect::<String>()
    )?;
    writeln!(
        out,
        "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", fontname=\"Helvetica\", fontsize=10];"
    )?;
    writeln!(out, "  edge [fontname=\"Helvetica\", fontsize=9];")
}

fn counts_label(s: &Summary) -> String {
    Verdict::ALL
        .iter()
        .filter(|v| s.count(**v) > 0)
        .map(|v| format!("{} {v}", s.count(*v)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The most telling verdict of a VPC pair: a problem before success.
pub fn dominant(s: &Summary) -> Option<Verdict> {
    [
        Verdict::OneWay,
        Verdict::Partial,
        Verdict::Unknown,
        Verdict::Reachable,
    ]
    .into_iter()
    .find(|v| s.count(*v) > 0)
}

/// Writes the graph.
pub fn write_matrix(out: &mut dyn Write, m: &MatrixDoc) -> io::Result<()> {
    let a = m.analysis;
    let vm = VpcMatrix::of_doc(m)?;
    header(out, m)?;
    if m.by_vpc {
        for (i, v) in vm.vpcs.iter().enumerate() {
            let label = format!("{}\n{} subnet(s)", v.address, v.subnets.len());
            writeln!(out, "  v{i} [label={}];", quote(&label))?;
        }
        for c in &vm.cells {
            if c.from == c.to {
                continue;
            }
            if let Some((color, st)) = dominant(&c.counts).and_then(style) {
                writeln!(
                    out,
                    "  v{} -> v{} [color=\"{color}\", style={st}, label={}];",
                    c.from,
                    c.to,
                    quote(&counts_label(&c.counts))
                )?;
            }
        }
        return writeln!(out, "}}");
    }
    for (i, v) in vm.vpcs.iter().enumerate() {
        writeln!(out, "  subgraph cluster_{i} {{")?;
        writeln!(
            out,
            "    label={}; style=\"rounded\"; color=\"#90a4ae\";",
            quote(&v.address)
        )?;
        for &s in &v.subnets {
            let info = &a.subnets[s];
            let label = match &info.cidr {
                Some(c) => format!("{}\n{c}", info.address),
                None => info.address.clone(),
            };
            writeln!(out, "    s{s} [label={}];", quote(&label))?;
        }
        writeln!(out, "  }}")?;
    }
    let verdict: HashMap<(usize, usize), Verdict> = a
        .pairs
        .iter()
        .map(|p| ((p.from, p.to), p.verdict))
        .collect();
    for p in &a.pairs {
        let Some((color, st)) = style(p.verdict) else {
            continue;
        };
        let back = verdict.get(&(p.to, p.from)).copied();
        if back == Some(p.verdict) {
            if p.from < p.to {
                writeln!(
                    out,
                    "  s{} -> s{} [color=\"{color}\", style={st}, dir=both, tooltip=\"{}\"];",
                    p.from, p.to, p.verdict
                )?;
            }
        } else {
            writeln!(
                out,
                "  s{} -> s{} [color=\"{color}\", style={st}, tooltip=\"{}\"];",
                p.from, p.to, p.verdict
            )?;
        }
    }
    write_endpoints(out, m)?;
    writeln!(out, "}}")
}

/// The endpoints beyond the subnets (the internet) as nodes of their own,
/// with an edge per subnet pair that gets traffic through, as above.
fn write_endpoints(out: &mut dyn Write, m: &MatrixDoc) -> io::Result<()> {
    let eg = EndpointGrid::of(m.analysis);
    for (k, name) in eg.names.iter().enumerate() {
        writeln!(
            out,
            "  e{k} [label={}, shape=ellipse, fillcolor=\"#e3f2fd\"];",
            quote(name)
        )?;
        for s in 0..eg.to.len() {
            let (to, from) = (eg.to[s][k], eg.from[k][s]);
            let edge = |a: String, b: String, v: Verdict, both: bool| -> Option<String> {
                let (color, st) = style(v)?;
                let dir = if both { ", dir=both" } else { "" };
                Some(format!(
                    "  {a} -> {b} [color=\"{color}\", style={st}{dir}, tooltip=\"{v}\"];"
                ))
            };
            let lines = match (to, from) {
                (Some(x), Some(y)) if x == y => {
                    vec![edge(format!("s{s}"), format!("e{k}"), x, true)]
                }
                _ => vec![
                    to.and_then(|v| edge(format!("s{s}"), format!("e{k}"), v, false)),
                    from.and_then(|v| edge(format!("e{k}"), format!("s{s}"), v, false)),
                ],
            };
            for line in lines.into_iter().flatten() {
                writeln!(out, "{line}")?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_cannot_be_closed_from_inside() {
        assert_eq!(quote(r#"a"]; x [label="b\"#), r#""a\"]; x [label=\"b\\""#);
        assert_eq!(quote("a\nb\u{7}"), "\"a\\nb\u{FFFD}\"");
    }
}
