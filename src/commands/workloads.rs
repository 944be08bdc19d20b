//! `workloads`: which workloads can open connections to which, on what,
//! and what stops the rest.

use wildmatch::WildMatch;

use crate::analysis::security_group;
use crate::analysis::workloads::{evaluate, internet_pairs, onprem_pairs, WorkloadPair};
use crate::analysis::{address_order, Summary};
use crate::ingest::View;
use crate::model::flow::protocol_name;
use crate::model::workload::Port;
use crate::model::{Flow, Model};
use crate::report::workloads::{PlaceOut, PortOut, WorkloadInfo, WorkloadPairOut, WorkloadsDoc};
use crate::report::InputInfo;
use crate::workload_diff::WorkloadDiff;

use super::{shown_all, Error, Input, Phase};

/// What `workloads` is asked.
#[derive(Debug, Clone)]
pub struct WorkloadsOptions<'a> {
    pub view: View,
    /// The one kind of traffic asked about, or any traffic.
    pub flow: Option<Flow>,
    /// Source workloads: an address or a glob over addresses (`None`: all).
    pub from: Option<&'a str>,
    /// Destination workloads, the same way.
    pub to: Option<&'a str>,
    /// Ranges named for on-premises networks.
    pub on_prem: super::OnPremRanges,
}

/// The workloads a selector names (all when `None`), in address order.
pub fn select_workloads(model: &Model, selector: Option<&str>) -> Vec<usize> {
    let mut out: Vec<usize> = match selector {
        None => (0..model.workloads.len()).collect(),
        Some(sel) => {
            let exact: Vec<usize> = (0..model.workloads.len())
                .filter(|&i| model.workloads[i].address == sel)
                .collect();
            if exact.is_empty() {
                let pat = WildMatch::new(sel);
                (0..model.workloads.len())
                    .filter(|&i| pat.matches(&model.workloads[i].address))
                    .collect()
            } else {
                exact
            }
        }
    };
    out.sort_by(|a, b| address_order(&model.workloads[*a].address, &model.workloads[*b].address));
    out
}

/// The workloads document of one view of the documents: every workload,
/// and every ordered pair the selectors take.
pub fn workloads(
    inputs: &[Input],
    opts: &WorkloadsOptions,
    progress: &mut dyn FnMut(Phase),
) -> Result<WorkloadsDoc, Error> {
    progress(Phase::Model);
    let built = super::build(inputs, opts.view, &opts.on_prem)?;
    let model = &built.model;
    let from = select_workloads(model, opts.from);
    let to = select_workloads(model, opts.to);
    for (sel, found, flag) in [(opts.from, &from, "--from"), (opts.to, &to, "--to")] {
        if let Some(selector) = sel {
            let internet = crate::analysis::internet::present(model)
                && crate::explain::selects_internet(model, selector);
            if found.is_empty() && !internet && select_onprem(model, Some(selector)).is_empty() {
                return Err(Error::NoWorkload {
                    file: shown_all(inputs),
                    flag,
                    selector: selector.to_string(),
                    known: known_workloads(model),
                });
            }
        }
    }
    progress(Phase::Analysis {
        subnets: model.subnets.len(),
    });
    let ends = Ends {
        from: &from,
        to: &to,
        from_selector: opts.from,
        to_selector: opts.to,
    };
    Ok(document(
        model,
        super::input_info(inputs, opts.view),
        opts.flow.as_ref(),
        &ends,
    ))
}

/// The workloads a document pairs: the selected ones, and the selectors
/// that took them (which say whether the internet is taken too).
struct Ends<'a> {
    from: &'a [usize],
    to: &'a [usize],
    from_selector: Option<&'a str>,
    to_selector: Option<&'a str>,
}

impl<'a> Ends<'a> {
    /// Every workload, both ways.
    fn all(every: &'a [usize]) -> Ends<'a> {
        Ends {
            from: every,
            to: every,
            from_selector: None,
            to_selector: None,
        }
    }
}

/// The workloads document of a model: the workloads the ends take, and
/// every ordered pair of them (with the internet where the input has a way
/// to it and a selector takes it).
fn document(model: &Model, input: InputInfo, flow: Option<&Flow>, ends: &Ends) -> WorkloadsDoc {
    let (from, to) = (ends.from, ends.to);
    let pairs = evaluate(model, from, to, flow);
    // The internet, when the input has a way to it: named by a selector,
    // or taken with every workload when none is given.
    let internet = crate::analysis::internet::present(model);
    let names_internet = |sel: Option<&str>| {
        internet
            && match sel {
                None => true,
                Some(s) => crate::explain::selects_internet(model, s),
            }
    };
    let mut net_pairs = Vec::new();
    if names_internet(ends.from_selector) {
        net_pairs.extend(internet_pairs(model, to, flow, &[true]));
    }
    if names_internet(ends.to_selector) {
        net_pairs.extend(internet_pairs(model, from, flow, &[false]));
    }
    let mut prem_pairs = onprem_pairs(
        model,
        &select_onprem(model, ends.from_selector),
        to,
        flow,
        &[true],
    );
    prem_pairs.extend(onprem_pairs(
        model,
        &select_onprem(model, ends.to_selector),
        from,
        flow,
        &[false],
    ));
    let mut summary = Summary::default();
    for p in &pairs {
        summary.add(p.verdict, 1);
    }
    for p in &net_pairs {
        summary.add(p.pair.verdict, 1);
    }
    for p in &prem_pairs {
        summary.add(p.pair.verdict, 1);
    }
    let mut listed: Vec<WorkloadPairOut> = pairs.into_iter().map(|p| pair_out(model, p)).collect();
    listed.extend(net_pairs.into_iter().map(|p| {
        let inbound = p.inbound;
        let mut out = pair_out(model, p.pair);
        let internet = crate::analysis::internet::INTERNET.to_string();
        if inbound {
            out.from = internet;
        } else {
            out.to = internet;
        }
        out
    }));
    listed.extend(prem_pairs.into_iter().map(|p| {
        let (inbound, network) = (p.inbound, p.network);
        let mut out = pair_out(model, p.pair);
        let name = model.on_prem[network].address.clone();
        if inbound {
            out.from = name;
        } else {
            out.to = name;
        }
        out
    }));
    let mut findings = model.workload_findings.clone();
    findings.extend(security_group::findings(model));
    findings
        .sort_by(|a, b| (a.code, &a.resource, &a.message).cmp(&(b.code, &b.resource, &b.message)));
    findings.dedup();
    let mut shown: Vec<usize> = from.iter().chain(to).copied().collect();
    shown.sort_by(|a, b| address_order(&model.workloads[*a].address, &model.workloads[*b].address));
    shown.dedup();
    WorkloadsDoc {
        json_schema: crate::report::schema_id::WORKLOADS,
        schema: "tfreach/workloads/v1",
        input,
        asked: asked_words(flow),
        workloads: shown.iter().map(|&w| info(model, w)).collect(),
        summary,
        pairs: listed,
        findings,
    }
}

fn asked_words(flow: Option<&Flow>) -> String {
    flow.map_or_else(|| "all traffic".to_string(), |f| f.to_string())
}

/// The result of `diff --workloads`.
pub struct WorkloadsDiffed {
    pub before: InputInfo,
    pub after: InputInfo,
    /// The traffic asked about (`all traffic`, `tcp 22`).
    pub asked: String,
    pub diff: WorkloadDiff,
}

/// `diff --workloads`: the workload pairs whose answer changes between the
/// two sides `diff` compares (a plan's prior state and planned values, or
/// two documents, with the rest of the estate), for `flow` or any traffic.
/// Each side's workloads document is built whole, every workload with
/// every other and with the internet, then compared pair by pair.
pub fn diff_workloads(
    inputs: &super::DiffInputs,
    view: View,
    flow: Option<Flow>,
    progress: &mut dyn FnMut(Phase),
) -> Result<WorkloadsDiffed, Error> {
    let (old_m, new_m, before, after) = super::diff::both_sides(inputs, view, progress)?;
    let side = |built: &crate::model::Built, input: &InputInfo| {
        let every: Vec<usize> = select_workloads(&built.model, None);
        document(
            &built.model,
            input.clone(),
            flow.as_ref(),
            &Ends::all(&every),
        )
    };
    let (old_doc, new_doc) = (side(&old_m, &before), side(&new_m, &after));
    progress(Phase::Comparison);
    Ok(WorkloadsDiffed {
        diff: crate::workload_diff::diff(&old_doc, &new_doc, flow.as_ref()),
        before,
        after,
        asked: asked_words(flow.as_ref()),
    })
}

/// The on-premises networks a selector names, in address order: every one
/// when there is no selector, else by its address or a pattern that is not
/// wildcards alone (those take workloads only).
fn select_onprem(model: &Model, selector: Option<&str>) -> Vec<usize> {
    let mut v: Vec<usize> = (0..model.on_prem.len())
        .filter(|&n| {
            let name = &model.on_prem[n].address;
            selector.is_none_or(|s| {
                s == name
                    || (!s.chars().all(|c| matches!(c, '*' | '?'))
                        && WildMatch::new(s).matches(name))
            })
        })
        .collect();
    v.sort_by(|a, b| address_order(&model.on_prem[*a].address, &model.on_prem[*b].address));
    v
}

fn known_workloads(model: &Model) -> String {
    let mut names: Vec<&str> = model.workloads.iter().map(|w| w.address.as_str()).collect();
    names.sort_by(|a, b| address_order(a, b));
    match names.len() {
        0 => "none".into(),
        n if n > 12 => format!("{}, and {} more", names[..12].join(", "), n - 12),
        _ => names.join(", "),
    }
}

fn port_out(p: &Port, verdict: Option<crate::model::Verdict>) -> PortOut {
    PortOut {
        protocol: protocol_name(p.protocol),
        port: p.port,
        resource: p.resource.clone(),
        verdict,
    }
}

fn info(model: &Model, i: usize) -> WorkloadInfo {
    let w = &model.workloads[i];
    WorkloadInfo {
        address: w.address.clone(),
        kind: w.kind.name(),
        vpc: w
            .places
            .first()
            .and_then(|&s| model.subnet_vpc(s))
            .map(|v| model.vpcs[v].address.clone()),
        subnets: w
            .places
            .iter()
            .map(|&s| model.subnets[s].address.clone())
            .collect(),
        subnets_unknown: w.places_unknown.clone(),
        security_groups: w
            .security_groups
            .iter()
            .map(|&g| model.security_groups[g].address.clone())
            .collect(),
        security_groups_unknown: w.security_groups_unknown.clone(),
        unguarded: w.unguarded,
        ports: w.ports.iter().map(|p| port_out(p, None)).collect(),
    }
}

/// A pair as the document lists it (taken by value: a large document is
/// not held twice).
fn pair_out(model: &Model, p: WorkloadPair) -> WorkloadPairOut {
    WorkloadPairOut {
        from: model.workloads[p.from].address.clone(),
        to: model.workloads[p.to].address.clone(),
        verdict: p.verdict,
        traffic: p.traffic,
        opened: p.opened,
        ports: p
            .ports
            .iter()
            .map(|r| port_out(&r.port, Some(r.verdict)))
            .collect(),
        places: p
            .places
            .into_iter()
            .map(|pl| PlaceOut {
                from_subnet: model.subnets[pl.from_subnet].address.clone(),
                to_subnet: model.subnets[pl.to_subnet].address.clone(),
                verdict: pl.verdict,
                opens: pl.opens,
                egress_rules: pl.egress_rules,
                ingress_rules: pl.ingress_rules,
                reasons: pl.reasons,
            })
            .collect(),
        reasons: p.reasons,
    }
}
