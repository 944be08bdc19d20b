//! `explain`: the hop-by-hop path of one pair, both directions, like a
//! traceroute, with the reason at each failing hop.

use std::io::{self, Write};

use serde::Serialize;
use wildmatch::WildMatch;

use crate::analysis::{address_order, evaluate_pair_flow, Detail, Hop, Outcome};
use crate::model::{Flow, Model};
use crate::net::Family;
use crate::report::style::Styles;
use crate::report::{Reason, Verdict};

/// One direction of one address range.
#[derive(Debug, Clone, Serialize)]
pub struct Trace {
    pub family: &'static str,
    /// Source addresses this trace holds for.
    pub source: String,
    /// Destination addresses this trace holds for.
    pub destination: String,
    pub outcome: &'static str,
    pub hops: Vec<Hop>,
    pub reasons: Vec<Reason>,
}

/// The explanation of one ordered pair.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    pub from: String,
    pub to: String,
    pub verdict: Verdict,
    pub forward: Vec<Trace>,
    #[serde(rename = "return")]
    pub ret: Vec<Trace>,
    pub reasons: Vec<Reason>,
    /// The kind of traffic asked about (`all traffic`, `tcp 443`).
    pub asked: String,
    /// Which traffic gets a round trip, when network ACLs narrow it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub traffic: Option<String>,
}

fn outcome_name(o: Outcome) -> &'static str {
    match o {
        Outcome::Delivered => "delivered",
        Outcome::Dropped => "dropped",
        Outcome::Unknown => "unknown",
    }
}

/// Subnets (model indices, sorted by address) whose address matches a
/// selector: an exact address or a glob (`*`, `?`).
pub fn select(model: &Model, selector: &str) -> Vec<usize> {
    let exact: Vec<usize> = (0..model.subnets.len())
        .filter(|&i| model.subnets[i].address == selector)
        .collect();
    let mut out = if exact.is_empty() {
        let pat = WildMatch::new(selector);
        (0..model.subnets.len())
            .filter(|&i| pat.matches(&model.subnets[i].address))
            .collect()
    } else {
        exact
    };
    out.sort_by(|a, b| address_order(&model.subnets[*a].address, &model.subnets[*b].address));
    out
}

/// Explains the pair `s -> d` (model indices), for one named flow or any
/// traffic.
pub fn explain(model: &Model, s: usize, d: usize, flow: Option<&Flow>) -> Explanation {
    let e = evaluate_pair_flow(model, s, d, Detail::Trace, flow);
    let mut forward = Vec::new();
    let mut ret = Vec::new();
    for c in &e.cells {
        let fam = match c.family {
            Family::V4 => "IPv4",
            Family::V6 => "IPv6",
        };
        forward.push(Trace {
            family: fam,
            source: c.src.describe(c.family),
            destination: c.dst.describe(c.family),
            outcome: outcome_name(c.forward.outcome),
            hops: c.forward.hops.clone(),
            reasons: c.forward.reasons.clone(),
        });
        ret.push(Trace {
            family: fam,
            source: c.dst.describe(c.family),
            destination: c.src.describe(c.family),
            outcome: outcome_name(c.ret.outcome),
            hops: c.ret.hops.clone(),
            reasons: c.ret.reasons.clone(),
        });
    }
    Explanation {
        from: model.subnets[s].address.clone(),
        to: model.subnets[d].address.clone(),
        verdict: e.verdict,
        forward,
        ret,
        reasons: e.reasons,
        asked: flow.map_or_else(|| "all traffic".to_string(), |f| f.to_string()),
        traffic: e.traffic,
    }
}

/// The style of a trace's outcome.
fn outcome_style(st: Styles, outcome: &str) -> anstyle::Style {
    match outcome {
        "delivered" => st.verdict(Verdict::Reachable),
        "dropped" => st.verdict(Verdict::Blocked),
        _ => st.verdict(Verdict::Unknown),
    }
}

/// Writes explanations as text, the verdict, each trace's outcome and the
/// hop that stops a packet in the colours of `st`.
pub fn write_text(out: &mut dyn Write, list: &[Explanation], st: Styles) -> io::Result<()> {
    for (i, x) in list.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        writeln!(
            out,
            "{} -> {}: {} ({})",
            x.from,
            x.to,
            st.paint(st.verdict(x.verdict), x.verdict),
            x.asked
        )?;
        if let Some(t) = &x.traffic {
            writeln!(out, "  round trip for: {t}")?;
        }
        for (label, traces) in [("forward", &x.forward), ("return", &x.ret)] {
            for t in traces {
                writeln!(
                    out,
                    "  {label} {} {} -> {}: {}",
                    t.family,
                    t.source,
                    t.destination,
                    st.paint(outcome_style(st, t.outcome), t.outcome)
                )?;
                let w = t.hops.iter().map(|h| h.at.len()).max().unwrap_or(0);
                for (n, h) in t.hops.iter().enumerate() {
                    let line = format!("    {:>2}  {:w$}  {}", n + 1, h.at, h.action);
                    if h.fails {
                        let line = format!("{line}  <-- stops here");
                        writeln!(out, "{}", st.paint(st.dropped(), line))?;
                    } else {
                        writeln!(out, "{line}")?;
                    }
                }
            }
        }
        if !x.reasons.is_empty() {
            writeln!(out, "  reasons:")?;
            for r in &x.reasons {
                let dir = match r.direction {
                    crate::report::Direction::Forward => "forward",
                    crate::report::Direction::Return => "return",
                };
                writeln!(
                    out,
                    "    {} ({dir}, {}): {}",
                    r.code,
                    r.resource.as_deref().unwrap_or("-"),
                    r.message
                )?;
            }
        }
    }
    Ok(())
}
