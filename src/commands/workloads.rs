//! `workloads`: which workloads can open connections to which, on what,
//! and what stops the rest.

use std::borrow::Cow;
use std::io;

use rayon::prelude::*;
use wildmatch::WildMatch;

use crate::analysis::security_group;
use crate::analysis::workloads::{
    internet_pairs, onprem_pairs, ordered_pairs, Evaluation, WorkloadPair,
};
use crate::analysis::{address_order, Summary};
use crate::ingest::View;
use crate::model::flow::protocol_name;
use crate::model::workload::Port;
use crate::model::{Flow, Model};
use crate::report::workloads::{
    PlaceOut, PortOut, WorkloadInfo, WorkloadPairOut, WorkloadPairSource, WorkloadsDoc,
};
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

/// A `workloads` run: the model of one view of the documents and the
/// workloads the selectors take, ready to give its document
/// ([`Workloads::document`]).
pub struct Workloads {
    built: crate::model::Built,
    input: InputInfo,
    flow: Option<Flow>,
    from: Vec<usize>,
    to: Vec<usize>,
    from_selector: Option<String>,
    to_selector: Option<String>,
}

impl Workloads {
    /// The document, its pairs computed a batch at a time as a reporter
    /// reads them: a million pairs are written without being held.
    pub fn document(&self) -> WorkloadsDoc<ComputedPairs<'_>> {
        let ends = Ends {
            from: &self.from,
            to: &self.to,
            from_selector: self.from_selector.as_deref(),
            to_selector: self.to_selector.as_deref(),
        };
        document(
            &self.built.model,
            self.input.clone(),
            self.flow.as_ref(),
            &ends,
        )
    }

    /// The document with every pair held, in order: for a caller that
    /// looks pairs up.
    pub fn held(&self) -> WorkloadsDoc {
        self.document().held()
    }
}

/// The workloads of one view of the documents: every workload, and every
/// ordered pair the selectors take.
pub fn workloads(
    inputs: &[Input],
    opts: &WorkloadsOptions,
    progress: &mut dyn FnMut(Phase),
) -> Result<Workloads, Error> {
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
    Ok(Workloads {
        input: super::input_info(inputs, opts.view),
        flow: opts.flow,
        from,
        to,
        from_selector: opts.from.map(str::to_string),
        to_selector: opts.to.map(str::to_string),
        built,
    })
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

/// An ordered pair of workloads, by their indices in `Model::workloads`.
type WorkloadIndexPair = (usize, usize);

/// About this many workload pairs are evaluated and handed to the reporter
/// at a time.
const BATCH_PAIRS: usize = 16_384;

/// The pairs of a workloads document, computed a batch of source workloads
/// at a time as they are read: every ordered pair of workloads, then the
/// pairs with the internet and the on-premises networks (computed
/// beforehand: there are a few per workload).
pub struct ComputedPairs<'m> {
    model: &'m Model,
    eval: Evaluation<'m>,
    from: &'m [usize],
    to: &'m [usize],
    ends: Vec<WorkloadPairOut>,
}

impl ComputedPairs<'_> {
    /// `eval` of the workload pairs, in order, a batch of source workloads
    /// at a time; each batch's values are handed to `sink` (never an empty
    /// batch).
    fn each_batch_of<T>(
        &self,
        eval: &dyn Fn(&[WorkloadIndexPair]) -> Vec<T>,
        sink: &mut dyn FnMut(Vec<T>) -> io::Result<()>,
    ) -> io::Result<()> {
        let rows = (BATCH_PAIRS / self.to.len().max(1)).max(1);
        for sources in self.from.chunks(rows) {
            let pairs = ordered_pairs(sources, self.to);
            if !pairs.is_empty() {
                sink(eval(&pairs))?;
            }
        }
        Ok(())
    }

    /// The verdict counts of every pair.
    fn summary(&self) -> Summary {
        let mut summary = Summary::default();
        // Counting cannot fail.
        let _ = self.each_batch_of(&|pairs| self.eval.verdicts(pairs), &mut |verdicts| {
            for v in verdicts {
                summary.add(v, 1);
            }
            Ok(())
        });
        for p in &self.ends {
            summary.add(p.verdict, 1);
        }
        summary
    }
}

impl WorkloadPairSource for ComputedPairs<'_> {
    fn each_batch(
        &self,
        f: &mut dyn FnMut(&[WorkloadPairOut]) -> io::Result<()>,
    ) -> io::Result<()> {
        let model = self.model;
        let out = |a, b, p: Cow<'_, WorkloadPair>| pair_out(model, a, b, p);
        self.each_batch_of(&|pairs| self.eval.map_pairs(pairs, &out), &mut |listed| {
            f(&listed)?;
            // A batch holds thousands of strings: freed on every thread.
            listed.into_par_iter().for_each(drop);
            Ok(())
        })?;
        if self.ends.is_empty() {
            return Ok(());
        }
        f(&self.ends)
    }
}

/// The workloads document of a model: the workloads the ends take, and
/// every ordered pair of them (with the internet where the input has a way
/// to it and a selector takes it), computed as they are read.
fn document<'m>(
    model: &'m Model,
    input: InputInfo,
    flow: Option<&'m Flow>,
    ends: &Ends<'m>,
) -> WorkloadsDoc<ComputedPairs<'m>> {
    let (from, to) = (ends.from, ends.to);
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
    let mut listed: Vec<WorkloadPairOut> = net_pairs
        .into_iter()
        .map(|p| {
            let inbound = p.inbound;
            let mut out = pair_out(model, p.pair.from, p.pair.to, Cow::Owned(p.pair));
            let internet = crate::analysis::internet::INTERNET.to_string();
            if inbound {
                out.from = internet;
            } else {
                out.to = internet;
            }
            out
        })
        .collect();
    listed.extend(prem_pairs.into_iter().map(|p| {
        let (inbound, network) = (p.inbound, p.network);
        let mut out = pair_out(model, p.pair.from, p.pair.to, Cow::Owned(p.pair));
        let name = model.on_prem[network].address.clone();
        if inbound {
            out.from = name;
        } else {
            out.to = name;
        }
        out
    }));
    let pairs = ComputedPairs {
        model,
        eval: Evaluation::prepare(model, from, to, flow),
        from,
        to,
        ends: listed,
    };
    let summary = pairs.summary();
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
        pairs,
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
    let (old_all, new_all) = (
        select_workloads(&old_m.model, None),
        select_workloads(&new_m.model, None),
    );
    let old_doc = document(
        &old_m.model,
        before.clone(),
        flow.as_ref(),
        &Ends::all(&old_all),
    );
    let new_doc = document(
        &new_m.model,
        after.clone(),
        flow.as_ref(),
        &Ends::all(&new_all),
    );
    progress(Phase::Comparison);
    Ok(WorkloadsDiffed {
        diff: crate::workload_diff::diff(&old_doc, &new_doc, flow.as_ref())?,
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

/// The pair from workload `a` to `b` as the document lists it, with the
/// answer `p` (which may be another pair's of the same profiles, borrowed:
/// it is read for everything but the two workloads).
fn pair_out(model: &Model, a: usize, b: usize, p: Cow<'_, WorkloadPair>) -> WorkloadPairOut {
    let p = p.into_owned();
    WorkloadPairOut {
        from: model.workloads[a].address.clone(),
        to: model.workloads[b].address.clone(),
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
