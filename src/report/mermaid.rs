//! Mermaid flowchart of the VPC-level matrix, for Markdown that GitHub
//! renders. GitHub draws at most 500 edges and Mermaid refuses text over
//! 50,000 characters, so the chart keeps only VPC pairs where some traffic
//! gets through (or may), problems first, then the largest, up to those
//! limits; a note says how many were left out. Traffic inside a VPC is
//! counted in the VPC's box instead of a loop edge.
//!
//! Every name from the input is written with Mermaid entity codes
//! (`#34;`) for anything but letters, digits and a few plain marks, so a
//! crafted key cannot close a label, start a link or inject markup.

use foldhash::HashMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::doc::{MatrixDoc, VpcCell, VpcMatrix};
use super::dot::{dominant, style};
use super::Verdict;
use crate::analysis::Summary;

/// Most edges GitHub renders in one diagram.
pub const MAX_EDGES: usize = 500;
/// Mermaid's default limit on a diagram's text, with room to spare.
pub const MAX_TEXT: usize = 45_000;

/// Text for inside a quoted Mermaid label.
pub fn label(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, ' ' | '_' | '.' | ',' | '-' | '/' | ':') {
            out.push(c);
        } else if c.is_control() {
            out.push(' ');
        } else {
            let _ = write!(out, "#{};", u32::from(c));
        }
    }
    out
}

fn counts(s: &Summary) -> String {
    Verdict::ALL
        .iter()
        .filter(|v| s.count(**v) > 0)
        .map(|v| format!("{} {v}", s.count(*v)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes the chart (without a Markdown fence).
pub fn write_matrix(out: &mut dyn Write, m: &MatrixDoc) -> io::Result<()> {
    out.write_all(chart(m)?.as_bytes())
}

/// The chart's text.
pub fn chart(m: &MatrixDoc) -> io::Result<String> {
    let vm = VpcMatrix::of_doc(m)?;
    let inside: HashMap<usize, &Summary> = vm
        .cells
        .iter()
        .filter(|c| c.from == c.to)
        .map(|c| (c.from, &c.counts))
        .collect();
    // Candidate edges: VPC pairs where some traffic gets through, or may.
    let mut cand: Vec<(&VpcCell, Verdict)> = vm
        .cells
        .iter()
        .filter(|c| c.from != c.to)
        .filter_map(|c| dominant(&c.counts).map(|v| (c, v)))
        .collect();
    let rank = |v: Verdict| match v {
        Verdict::OneWay => 0,
        Verdict::Partial => 1,
        Verdict::Unknown => 2,
        _ => 3,
    };
    cand.sort_by(|x, y| {
        rank(x.1)
            .cmp(&rank(y.1))
            .then_with(|| y.0.counts.pairs.cmp(&x.0.counts.pairs))
            .then_with(|| (x.0.from, x.0.to).cmp(&(y.0.from, y.0.to)))
    });
    let total = cand.len();
    // Merge a pair and its reverse when their labels match.
    let by_key: HashMap<(usize, usize), &Summary> = cand
        .iter()
        .map(|(c, _)| ((c.from, c.to), &c.counts))
        .collect();
    let mut nodes: Vec<bool> = vec![false; vm.vpcs.len()];
    let mut edges: Vec<String> = Vec::new();
    let mut styles: Vec<String> = Vec::new();
    let mut drawn = 0usize;
    let mut size = 0usize;
    for (c, v) in &cand {
        let twin = by_key.get(&(c.to, c.from)).is_some_and(|s| **s == c.counts);
        if twin && c.from > c.to {
            // Drawn with its twin.
            continue;
        }
        let arrow = if twin { "<-->" } else { "-->" };
        let text = format!(
            "  v{} {arrow}|\"{}\"| v{}\n",
            c.from,
            label(&counts(&c.counts)),
            c.to
        );
        let node_cost: usize = [c.from, c.to]
            .iter()
            .filter(|i| !nodes[**i])
            .map(|i| vm.vpcs[*i].address.len() * 6 + 60)
            .sum();
        if edges.len() >= MAX_EDGES || size + text.len() + node_cost + 40 > MAX_TEXT {
            break;
        }
        size += text.len() + node_cost + 40;
        nodes[c.from] = true;
        nodes[c.to] = true;
        let (color, st) = style(*v).unwrap_or(("#757575", "dotted"));
        let dash = if st == "solid" {
            ""
        } else {
            ",stroke-dasharray:4 3"
        };
        styles.push(format!(
            "  linkStyle {} stroke:{color},stroke-width:2px{dash}\n",
            edges.len()
        ));
        edges.push(text);
        drawn += if twin { 2 } else { 1 };
    }
    let mut s = String::from("flowchart LR\n");
    let mut unlisted = 0usize;
    for (i, v) in vm.vpcs.iter().enumerate() {
        // VPCs without a drawn edge are listed while the text allows.
        if !nodes[i] {
            let cost = v.address.len() * 6 + 60;
            if size + cost > MAX_TEXT {
                unlisted += 1;
                continue;
            }
            size += cost;
        }
        let mut text = format!("{}<br/>{} subnet(s)", label(&v.address), v.subnets.len());
        if let Some(c) = inside.get(&i) {
            let _ = write!(text, "<br/>inside: {}", label(&counts(c)));
        }
        let _ = writeln!(s, "  v{i}[\"{text}\"]");
    }
    for e in &edges {
        s.push_str(e);
    }
    let omitted = total - drawn;
    if omitted > 0 {
        let _ = writeln!(
            s,
            "  note[\"{omitted} VPC pair(s) with traffic not drawn (GitHub draws at most {MAX_EDGES} edges); tfreach matrix --by-vpc --format csv lists them all\"]"
        );
    }
    if unlisted > 0 {
        let _ = writeln!(
            s,
            "  note2[\"{unlisted} VPC(s) without a drawn edge not shown\"]"
        );
    }
    for st in &styles {
        s.push_str(st);
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_use_entity_codes() {
        assert_eq!(label(r#"module.net["a"]"#), "module.net#91;#34;a#34;#93;");
        assert_eq!(label("<b>|x"), "#60;b#62;#124;x");
    }
}
