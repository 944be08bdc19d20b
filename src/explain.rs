//! `explain`: the hop-by-hop path of one pair, both directions, like a
//! traceroute, with the reason at each failing hop.

use std::io::{self, Write};

use serde::Serialize;
use wildmatch::WildMatch;

use crate::analysis::fix::Fix;
use crate::analysis::workloads::PlaceResult;
use crate::analysis::{address_order, evaluate_pair_flow, Detail, Hop, Outcome, PairEval};
use crate::analysis::{internet, onprem};
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
    /// A condition of the answer (which instances it holds for).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// With `--intent reachable`: the checked changes that make the pair
    /// reachable, fewest resources first (empty when it is reachable, or
    /// when nothing tfreach can propose helps). `None`: not asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixes: Option<Vec<Fix>>,
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
    let (from, to) = (&model.subnets[s].address, &model.subnets[d].address);
    explanation(from, to, e, None, flow, &[])
}

/// Explains the pair between subnet `s` and the internet: from the subnet
/// (`outbound`) or to it.
pub fn explain_internet(
    model: &Model,
    s: usize,
    outbound: bool,
    flow: Option<&Flow>,
) -> Explanation {
    let gathered = internet::Gathered::of(model);
    let sub = &model.subnets[s].address;
    if outbound {
        let (e, note) = internet::egress(model, s, &gathered, flow, Detail::Trace);
        explanation(
            sub,
            internet::INTERNET,
            e,
            note,
            flow,
            &[internet::INTERNET],
        )
    } else {
        let (e, note) = internet::ingress(model, s, &gathered, flow, Detail::Trace);
        explanation(
            internet::INTERNET,
            sub,
            e,
            note,
            flow,
            &[internet::INTERNET],
        )
    }
}

/// Explains the pair between subnet `s` and on-premises network `n` (an
/// index into `Model::on_prem`): from the subnet (`outbound`) or to it.
pub fn explain_onprem(
    model: &Model,
    s: usize,
    n: usize,
    outbound: bool,
    flow: Option<&Flow>,
) -> Explanation {
    let sub = &model.subnets[s].address;
    let net = &model.on_prem[n].address;
    if outbound {
        let (e, note) = onprem::to_onprem(model, s, n, flow, Detail::Trace);
        explanation(sub, net, e, note, flow, &[net])
    } else {
        let (e, note) = onprem::from_onprem(model, n, s, flow, Detail::Trace);
        explanation(net, sub, e, note, flow, &[net])
    }
}

/// The on-premises networks (indices into `Model::on_prem`, in address
/// order) a selector names: by their address, or a pattern that matches it
/// and is not made of wildcards alone.
pub fn select_onprem(model: &Model, selector: &str) -> Vec<usize> {
    let pat = WildMatch::new(selector);
    let bare = selector.chars().all(|c| matches!(c, '*' | '?'));
    let mut out: Vec<usize> = (0..model.on_prem.len())
        .filter(|&n| {
            let a = &model.on_prem[n].address;
            a == selector || (!bare && pat.matches(a))
        })
        .collect();
    out.sort_by(|a, b| address_order(&model.on_prem[*a].address, &model.on_prem[*b].address));
    out
}

/// Does a selector name the internet: the name itself, or a pattern that
/// matches it and is not made of wildcards alone (which takes subnets
/// only)?
pub fn selects_internet(model: &Model, selector: &str) -> bool {
    internet::present(model)
        && (selector == internet::INTERNET
            || (!selector.chars().all(|c| matches!(c, '*' | '?'))
                && WildMatch::new(selector).matches(internet::INTERNET)))
}

/// The workloads (indices into `Model::workloads`, in address order) a
/// selector names: by their address, or a pattern that matches some and is
/// not made of wildcards alone (which takes subnets only, as before
/// workloads were modelled).
pub fn select_workloads(model: &Model, selector: &str) -> Vec<usize> {
    let pat = WildMatch::new(selector);
    let bare = selector.chars().all(|c| matches!(c, '*' | '?'));
    let mut out: Vec<usize> = (0..model.workloads.len())
        .filter(|&w| {
            let a = &model.workloads[w].address;
            a == selector || (!bare && pat.matches(a))
        })
        .collect();
    out.sort_by(|a, b| address_order(&model.workloads[*a].address, &model.workloads[*b].address));
    out
}

/// Explains the workload pair `a -> b` (indices into `Model::workloads`):
/// for every place pair, the subnet walk both ways with the source's
/// outbound security group decision before the first hop and the
/// destination's inbound decision after the last.
pub fn explain_workloads(model: &Model, a: usize, b: usize, flow: Option<&Flow>) -> Explanation {
    let (src, dst) = (&model.workloads[a], &model.workloads[b]);
    let pair = crate::analysis::workloads::evaluate(model, &[a], &[b], flow)
        .pop()
        .unwrap_or_else(|| crate::analysis::workloads::WorkloadPair::undecided(a, b));
    let mut forward = Vec::new();
    let mut ret = Vec::new();
    for place in &pair.places {
        let (sa, sb) = (place.from_subnet, place.to_subnet);
        let (sub_a, sub_b) = (&model.subnets[sa].address, &model.subnets[sb].address);
        let opens = place.opens.clone();
        let out_hop = group_hop(model, src, place, Side::Out);
        let in_hop = group_hop(model, dst, place, Side::In);
        let traces = if sa == sb {
            let fam = if model.subnets[sa].cidr(Family::V4).is_some() {
                "IPv4"
            } else {
                "IPv6"
            };
            let local = Hop {
                at: sub_a.clone(),
                action: "same subnet: delivered directly, no route table or network ACL".into(),
                fails: false,
            };
            vec![(
                Trace {
                    family: fam,
                    source: format!("{} in {sub_a}", src.address),
                    destination: format!("{} in {sub_b}", dst.address),
                    outcome: outcome_name(if opens.is_some() {
                        Outcome::Delivered
                    } else {
                        Outcome::Dropped
                    }),
                    hops: vec![out_hop.clone(), local.clone(), in_hop.clone()],
                    reasons: place.reasons.clone(),
                },
                Trace {
                    family: fam,
                    source: format!("{} in {sub_b}", dst.address),
                    destination: format!("{} in {sub_a}", src.address),
                    outcome: outcome_name(Outcome::Delivered),
                    hops: vec![local],
                    reasons: Vec::new(),
                },
            )]
        } else {
            let e = explain(model, sa, sb, flow);
            e.forward
                .into_iter()
                .zip(e.ret)
                .map(|(mut f, r)| {
                    let mut hops = vec![out_hop.clone()];
                    hops.append(&mut f.hops);
                    hops.push(in_hop.clone());
                    f.hops = hops;
                    if opens.is_none() && f.outcome == outcome_name(Outcome::Delivered) {
                        f.outcome = outcome_name(Outcome::Dropped);
                    }
                    f.source = format!("{} in {sub_a} ({})", src.address, f.source);
                    f.destination = format!("{} in {sub_b} ({})", dst.address, f.destination);
                    for reason in &place.reasons {
                        if !f.reasons.contains(reason) {
                            f.reasons.push(reason.clone());
                        }
                    }
                    (f, r)
                })
                .collect()
        };
        for (f, r) in traces {
            forward.push(f);
            ret.push(r);
        }
    }
    workload_explanation(
        src.address.clone(),
        dst.address.clone(),
        pair,
        (forward, ret),
        flow,
    )
}

/// The explanation of a workload pair (or a workload's pair with an
/// endpoint) from its answer and its traces.
fn workload_explanation(
    from: String,
    to: String,
    pair: crate::analysis::workloads::WorkloadPair,
    (forward, ret): (Vec<Trace>, Vec<Trace>),
    flow: Option<&Flow>,
) -> Explanation {
    Explanation {
        from,
        to,
        verdict: pair.verdict,
        forward,
        ret,
        reasons: pair.reasons,
        asked: flow.map_or_else(|| "all traffic".to_string(), |f| f.to_string()),
        traffic: pair.traffic,
        note: None,
        fixes: None,
    }
}

/// Which end of a place pair a workload is: the one a connection leaves or
/// the one it enters.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Out,
    In,
}

/// The hop where a workload's security groups judge a place pair's opening
/// packet: its outbound rules where the packet leaves, its inbound rules
/// where it enters (which says why nothing opens, when nothing does).
fn group_hop(model: &Model, w: &crate::model::Workload, place: &PlaceResult, side: Side) -> Hop {
    let groups = if w.unguarded {
        "no security group".to_string()
    } else {
        w.security_groups
            .iter()
            .map(|&g| model.security_groups[g].address.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let why = || {
        place
            .reasons
            .iter()
            .map(|r| r.message.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    };
    let (sub, rules, verb, verb_rules) = match side {
        Side::Out => (
            &model.subnets[place.from_subnet].address,
            &place.egress_rules,
            "leaves",
            "let out",
        ),
        Side::In => (
            &model.subnets[place.to_subnet].address,
            &place.ingress_rules,
            "enters",
            "admit",
        ),
    };
    let action = match (&place.opens, rules.is_empty(), side) {
        (Some(o), false, _) => format!(
            "{verb} {sub}: {groups} {verb_rules} {o} ({})",
            rules.join(", ")
        ),
        (Some(o), true, Side::Out) => format!("leaves {sub}: {o} goes out"),
        (Some(o), true, Side::In) => format!("enters {sub}: {o} comes in"),
        (None, _, Side::Out) => format!("leaves {sub} behind {groups}"),
        (None, _, Side::In) => format!("nothing opens into {sub}: {}", why()),
    };
    Hop {
        at: w.address.clone(),
        action,
        fails: side == Side::In && place.opens.is_none(),
    }
}

/// The far end of a workload's pair with an endpoint.
#[derive(Debug, Clone, Copy)]
pub enum FarEnd {
    Internet,
    /// An on-premises network (an index into `Model::on_prem`).
    OnPrem(usize),
}

/// Explains the pair between workload `wi` and an endpoint: from the
/// endpoint to the workload (`inbound`) or from the workload to it. For
/// each of the workload's subnets, the walk between the subnet and the
/// endpoint (for the internet, with the workload's own public address),
/// with the workload's security group decision where the connection leaves
/// or enters it.
pub fn explain_workload_endpoint(
    model: &Model,
    wi: usize,
    far: FarEnd,
    inbound: bool,
    flow: Option<&Flow>,
) -> Explanation {
    use crate::analysis::workloads::{
        internet_pairs, onprem_pairs, own_public, public_of_place, WorkloadPair,
    };
    let w = &model.workloads[wi];
    let pair = match far {
        FarEnd::Internet => internet_pairs(model, &[wi], flow, &[inbound])
            .pop()
            .map(|p| p.pair),
        FarEnd::OnPrem(n) => onprem_pairs(model, &[n], &[wi], flow, &[inbound])
            .pop()
            .map(|p| p.pair),
    }
    .unwrap_or_else(|| WorkloadPair::undecided(wi, wi));
    let far_name = match far {
        FarEnd::Internet => internet::INTERNET,
        FarEnd::OnPrem(n) => model.on_prem[n].address.as_str(),
    };
    let gathered = internet::Gathered::of(model);
    let mut forward = Vec::new();
    let mut ret = Vec::new();
    for place in &pair.places {
        let s = place.from_subnet;
        let sub = &model.subnets[s].address;
        let net = match far {
            FarEnd::Internet => {
                let public = (public_of_place(model, w, s), own_public(w));
                let e = if inbound {
                    internet::ingress_of_workload(model, s, &gathered, flow, Detail::Trace, public)
                } else {
                    internet::egress_of_workload(model, s, &gathered, flow, Detail::Trace, public)
                };
                let (from, to) = if inbound {
                    (internet::INTERNET, sub.as_str())
                } else {
                    (sub.as_str(), internet::INTERNET)
                };
                explanation(from, to, e, None, flow, &[internet::INTERNET])
            }
            FarEnd::OnPrem(n) => explain_onprem(model, s, n, !inbound, flow),
        };
        let side = if inbound { Side::In } else { Side::Out };
        let mut hop = group_hop(model, w, place, side);
        let label = |t: &str| format!("{} in {sub} ({t})", w.address);
        for (mut f, r) in net.forward.into_iter().zip(net.ret) {
            let delivered = f.outcome == outcome_name(Outcome::Delivered);
            // The network carries it; the groups do not open it.
            hop.fails = place.opens.is_none() && delivered;
            if place.opens.is_none() && delivered {
                f.outcome = outcome_name(Outcome::Dropped);
            }
            if inbound {
                f.hops.push(hop.clone());
                f.destination = label(&f.destination);
            } else {
                f.hops.insert(0, hop.clone());
                f.source = label(&f.source);
            }
            for reason in &place.reasons {
                if !f.reasons.contains(reason) {
                    f.reasons.push(reason.clone());
                }
            }
            forward.push(f);
            ret.push(r);
        }
    }
    let (from, to) = if inbound {
        (far_name.to_string(), w.address.clone())
    } else {
        (w.address.clone(), far_name.to_string())
    };
    workload_explanation(from, to, pair, (forward, ret), flow)
}

/// An explanation from a pair's evaluation.
fn explanation(
    from: &str,
    to: &str,
    e: PairEval,
    note: Option<String>,
    flow: Option<&Flow>,
    endpoints: &[&str],
) -> Explanation {
    let mut forward = Vec::new();
    let mut ret = Vec::new();
    // An endpoint's address is shown with the endpoint's name.
    let describe = |iv: &crate::net::Interval, f: Family, side: &str| {
        let text = iv.describe(f);
        if endpoints.contains(&side) {
            format!("{side} ({text})")
        } else {
            text
        }
    };
    for c in &e.cells {
        let fam = match c.family {
            Family::V4 => "IPv4",
            Family::V6 => "IPv6",
        };
        let (source, destination) = (
            describe(&c.src, c.family, from),
            describe(&c.dst, c.family, to),
        );
        forward.push(Trace {
            family: fam,
            source: source.clone(),
            destination: destination.clone(),
            outcome: outcome_name(c.forward.outcome),
            hops: c.forward.hops.clone(),
            reasons: c.forward.reasons.clone(),
        });
        ret.push(Trace {
            family: fam,
            source: destination,
            destination: source,
            outcome: outcome_name(c.ret.outcome),
            hops: c.ret.hops.clone(),
            reasons: c.ret.reasons.clone(),
        });
    }
    Explanation {
        from: from.to_string(),
        to: to.to_string(),
        verdict: e.verdict,
        forward,
        ret,
        reasons: e.reasons,
        asked: flow.map_or_else(|| "all traffic".to_string(), |f| f.to_string()),
        traffic: e.traffic,
        note,
        fixes: None,
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
        if let Some(n) = &x.note {
            writeln!(out, "  note: {n}")?;
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
        if let Some(fixes) = &x.fixes {
            write_fixes(out, x, fixes)?;
        }
    }
    Ok(())
}

/// The fix hints of one pair, after its path and reasons.
fn write_fixes(out: &mut dyn Write, x: &Explanation, fixes: &[Fix]) -> io::Result<()> {
    if x.verdict == Verdict::Reachable {
        return Ok(());
    }
    if fixes.is_empty() {
        writeln!(
            out,
            "  fixes: none found (tfreach proposes routes into peerings and transit gateways both VPCs use, route table associations, transit gateway associations, propagations and static routes, peering acceptance, direct peering, network ACL rules, default routes to the internet, NAT and egress-only gateways of the subnet's VPC, and security group rules for workload pairs)"
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "  fixes (each applied to the model and checked: the pair becomes reachable):"
    )?;
    crate::report::text::write_fix_list(out, fixes, "    ")
}
