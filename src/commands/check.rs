//! `check`: a policy's expectations and rules against one view of the
//! documents.

use foldhash::HashMap;

use crate::analysis::internet::INTERNET;
use crate::analysis::{self, fix, Lookup, Summary};
use crate::ingest::{DocKind, Document, View};
use crate::model::{Flow, Model, Verdict};
use crate::policy::locate::{Locator, Source, SourceFile, Sources};
use crate::policy::{CheckReport, Expect, Expected, Outcome, Policy, MAX_HINTED_PAIRS};
use crate::report::InputInfo;

use super::{Input, Phase};

/// The Terraform configuration a document came from, for reports to
/// point at the line that declares a resource.
#[derive(Debug, Clone, Copy)]
pub struct Config<'a> {
    /// The position of the document among those checked.
    pub document: usize,
    /// The directory, as given.
    pub dir: &'a str,
    /// Its `.tf` files.
    pub files: &'a [SourceFile],
}

/// What `check` reads.
pub struct CheckInputs<'a> {
    /// The documents checked: one, or several read as one estate.
    pub docs: &'a [Input<'a>],
    /// The document `[[no_new_path]]` rules compare against, instead of a
    /// plan's prior state.
    pub baseline: Option<Baseline<'a>>,
    pub policy: &'a Policy,
    /// The configurations of the documents that have one given.
    pub config: Vec<Config<'a>>,
    /// Ranges named for on-premises networks.
    pub on_prem: &'a super::OnPremRanges,
}

/// An older version of one of the documents checked: on the side the
/// change is measured from, it takes that document's place (and label),
/// and the other documents are read as they are checked.
#[derive(Debug, Clone, Copy)]
pub struct Baseline<'a> {
    pub doc: &'a Document,
    /// The file it was read from, as given.
    pub file: &'a str,
    /// The position among the documents checked of the one it stands for
    /// (0 with one document).
    pub replaces: usize,
}

/// The result of `check`.
pub struct Checked {
    pub input: InputInfo,
    pub baseline: Option<InputInfo>,
    pub report: CheckReport,
    /// The verdict counts of every pair of the view checked.
    pub summary: Summary,
    /// Where each document was read from and, where its configuration was
    /// given, where its resources are declared.
    pub sources: Sources,
}

/// Checks the policy against the `view` of the document, verdicts for
/// `flow` or for any traffic. Rules about what a change adds compare with
/// the baseline, or with a plan's prior state when the planned values are
/// checked, and only when the policy has such a rule.
pub fn check(
    inputs: &CheckInputs,
    view: View,
    flow: Option<Flow>,
    progress: &mut dyn FnMut(Phase),
) -> Result<Checked, super::Error> {
    // Pairs are read through a `Lookup`, group by group: none is held.
    let opts = analysis::Options {
        pairs: analysis::PairsFilter::None,
        flow,
        ..Default::default()
    };
    let docs = inputs.docs;
    progress(Phase::Model);
    let built = super::build(docs, view, inputs.on_prem)?;
    progress(Phase::Analysis {
        subnets: built.model.subnets.len(),
    });
    let analysis = analysis::analyze(&built.model, built.findings, &opts);
    let pairs = Lookup::computed(&analysis, &built.model);
    // The baseline in the place of the document it stands for.
    let baseline: Option<Vec<Input>> = inputs.baseline.map(|b| {
        docs.iter()
            .enumerate()
            .map(|(i, d)| {
                if i == b.replaces {
                    Input::labelled(b.doc, b.file, d.label)
                } else {
                    *d
                }
            })
            .collect()
    });
    let old_side = if inputs.policy.no_new_path.is_empty() {
        None
    } else if let Some(baseline) = &baseline {
        Some((&baseline[..], view))
    } else if docs.iter().any(|i| i.doc.kind == DocKind::Plan) && view == View::Planned {
        Some((docs, View::Prior))
    } else {
        None
    };
    let change = old_side.map(|(old_docs, old_view)| {
        progress(Phase::Comparison);
        // A network named for the checked side may not exist before.
        let old = super::build_naming(old_docs, old_view, inputs.on_prem);
        let old_a = analysis::analyze(&old.model, old.findings, &opts);
        crate::diff::diff(&Lookup::computed(&old_a, &old.model), &pairs)
    });
    progress(Phase::Policy);
    let model = &built.model;
    let workload_pairs = |e: &crate::policy::Expect| -> Vec<crate::policy::WorkloadVerdict> {
        let pick = |s: &crate::policy::Selector| -> Vec<usize> {
            let mut out: Vec<usize> = (0..model.workloads.len())
                .filter(|&w| s.matches_endpoint(&model.workloads[w].address))
                .collect();
            out.sort_by(|a, b| {
                analysis::address_order(&model.workloads[*a].address, &model.workloads[*b].address)
            });
            out
        };
        let (from, to) = (pick(&e.from), pick(&e.to));
        if from.is_empty() || to.is_empty() {
            return Vec::new();
        }
        let asked = e.flow.or(flow);
        analysis::workloads::evaluate(model, &from, &to, asked.as_ref())
            .into_iter()
            .map(|p| crate::policy::WorkloadVerdict {
                from: model.workloads[p.from].address.clone(),
                to: model.workloads[p.to].address.clone(),
                verdict: p.verdict,
                reasons: p.reasons,
            })
            .collect()
    };
    let mut report = crate::policy::check_with_workloads(
        inputs.policy,
        &pairs,
        change.as_ref(),
        &workload_pairs,
    );
    add_fixes(&mut report, inputs.policy, model, flow.as_ref());
    let sources = sources(docs, &inputs.config);
    place_fixes(&mut report, &sources);
    Ok(Checked {
        input: super::input_info(docs, view),
        baseline: baseline.as_deref().map(|b| super::input_info(b, view)),
        report,
        summary: analysis.summary,
        sources,
    })
}

/// What a failing pair of an expect for `reachable` gets its hints from.
#[derive(Clone, Copy)]
enum Hint {
    /// A subnet towards a subnet, or the internet (`None`).
    Pair(usize, Option<usize>),
    /// A subnet towards an on-premises network.
    OnPrem(usize, usize),
    /// A workload towards a workload.
    Workload(usize, usize),
}

/// The hint search a failing pair (by the names an issue gives) takes.
fn hint_of(
    model: &Model,
    subnets: &HashMap<&str, usize>,
    workloads: &HashMap<&str, usize>,
    from: &str,
    to: &str,
) -> Option<Hint> {
    if let (Some(&a), Some(&b)) = (workloads.get(from), workloads.get(to)) {
        return Some(Hint::Workload(a, b));
    }
    let &s = subnets.get(from)?;
    if let Some(&d) = subnets.get(to) {
        return Some(Hint::Pair(s, Some(d)));
    }
    if to == INTERNET {
        return Some(Hint::Pair(s, None));
    }
    let n = model.on_prem.iter().position(|n| n.address == to)?;
    Some(Hint::OnPrem(s, n))
}

/// Fix hints for the failing pairs of each expect that asks for
/// `reachable` (subnet pairs, a subnet towards the internet or an
/// on-premises network, workload pairs for the expect's own flow): the
/// first [`MAX_HINTED_PAIRS`] pairs of each expect get them, and the rest
/// are counted in `fixes_omitted`. Expects for another verdict, and rules
/// of other kinds, get none.
fn add_fixes(report: &mut CheckReport, policy: &Policy, model: &Model, flow: Option<&Flow>) {
    let wanted = |e: &Expect| e.verdict == Expected::Is(Verdict::Reachable);
    if !policy.expects.iter().any(wanted) {
        return;
    }
    let subnets: HashMap<&str, usize> = (model.subnets.iter().enumerate())
        .map(|(i, x)| (x.address.as_str(), i))
        .collect();
    let workloads: HashMap<&str, usize> = (model.workloads.iter().enumerate())
        .map(|(i, x)| (x.address.as_str(), i))
        .collect();
    // (result, issue, search, the expect's flow).
    let mut jobs: Vec<(usize, usize, Hint, Option<Flow>)> = Vec::new();
    // Expects come first among the results, in policy order.
    for (ri, (r, e)) in report.results.iter_mut().zip(&policy.expects).enumerate() {
        if !wanted(e) || r.outcome != Outcome::Fail {
            continue;
        }
        let mut hinted = 0;
        for (ii, issue) in r.issues.iter().enumerate() {
            let (Some(from), Some(to)) = (&issue.from, &issue.to) else {
                continue;
            };
            let Some(hint) = hint_of(model, &subnets, &workloads, from, to) else {
                continue;
            };
            if hinted == MAX_HINTED_PAIRS {
                r.fixes_omitted += 1;
                continue;
            }
            hinted += 1;
            jobs.push((ri, ii, hint, e.flow.or(flow.copied())));
        }
        if hinted == MAX_HINTED_PAIRS {
            r.fixes_omitted += r.issues_total - r.issues.len() as u64;
        }
    }
    // Subnet and internet pairs are searched in parallel.
    let pairs: Vec<(usize, Option<usize>)> = jobs
        .iter()
        .filter_map(|j| match j.2 {
            Hint::Pair(s, d) => Some((s, d)),
            _ => None,
        })
        .collect();
    let mut found = fix::fixes_of_pairs(model, &pairs, flow).into_iter();
    for (ri, ii, hint, asked) in jobs {
        let fixes = match hint {
            Hint::Pair(..) => found.next().unwrap_or_default(),
            Hint::OnPrem(s, n) => fix::onprem_fixes(model, s, n, flow),
            Hint::Workload(a, b) => fix::workload_fixes(model, a, b, asked.as_ref()),
        };
        report.results[ri].issues[ii].fixes = Some(fixes);
    }
}

/// Says, for each change of each hint, the file and line of the resource
/// it goes in or beside, where that resource's configuration was given.
fn place_fixes(report: &mut CheckReport, sources: &Sources) {
    let fixes = report
        .results
        .iter_mut()
        .flat_map(|r| r.issues.iter_mut())
        .filter_map(|i| i.fixes.as_mut())
        .flatten();
    place(fixes, sources);
}

/// Where each document's resources are declared: its own file, and the
/// `.tf` lines of the documents whose configuration directory is given.
pub(super) fn sources(docs: &[Input], config: &[Config]) -> Sources {
    Sources::new(
        docs.iter()
            .enumerate()
            .map(|(i, d)| Source {
                label: d.label.to_string(),
                file: d.file.to_string(),
                locator: config
                    .iter()
                    .find(|c| c.document == i)
                    .map(|c| Locator::new(c.dir, c.files)),
            })
            .collect(),
    )
}

/// Says, for each change of `fixes`, the `.tf` file and line of the
/// resource it goes in or beside, where `sources` knows it.
pub(super) fn place<'f>(fixes: impl Iterator<Item = &'f mut fix::Fix>, sources: &Sources) {
    for c in fixes.flat_map(|f| f.changes.iter_mut()) {
        c.placed = sources
            .declaration(&c.resource)
            .map(|(file, line)| fix::Placement {
                file: file.to_string(),
                line,
            });
    }
}
