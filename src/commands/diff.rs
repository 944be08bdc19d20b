//! `diff`: the pairs whose verdict changes between two views or two
//! documents, alone or against the rest of an estate.

use crate::analysis::{self, Lookup};
use crate::diff::Diff;
use crate::ingest::{DocKind, Document, View};
use crate::model::{Built, Flow};
use crate::report::InputInfo;

use super::{shown, Error, Input, Phase};

/// What `diff` compares.
#[derive(Debug, Clone, Copy)]
pub struct DiffInputs<'a> {
    /// A plan, whose prior state is compared with its planned values; or,
    /// with `new`, the old document.
    pub old: Input<'a>,
    /// The new document, compared with `old` in the same view. It stands
    /// for the same configuration, so it carries `old`'s label.
    pub new: Option<Input<'a>>,
    /// The rest of the estate: documents read on both sides as they are (a
    /// plan in the view asked for), so that the change is seen against
    /// every configuration given. Empty for a document alone.
    pub with: &'a [Input<'a>],
    /// Ranges named for on-premises networks, on both sides (a network on
    /// one side only is named there).
    pub on_prem: &'a super::OnPremRanges,
}

/// The result of `diff`.
pub struct Diffed {
    pub before: InputInfo,
    pub after: InputInfo,
    pub diff: Diff,
}

/// Compares the `view` of `old` with the same view of `new`, or, without
/// `new`, a plan's prior state with its planned values, each side read
/// with the documents `with` names as one estate; verdicts for `flow`, or
/// for any traffic.
pub fn diff(
    inputs: &DiffInputs,
    view: View,
    flow: Option<Flow>,
    progress: &mut dyn FnMut(Phase),
) -> Result<Diffed, Error> {
    let (old_m, new_m, before, after) = both_sides(inputs, view, progress)?;
    // Pairs are read through a `Lookup`, group by group: none is held.
    let opts = analysis::Options {
        pairs: analysis::PairsFilter::None,
        flow,
        ..Default::default()
    };
    let old_a = analysis::analyze(&old_m.model, old_m.findings, &opts);
    let new_a = analysis::analyze(&new_m.model, new_m.findings, &opts);
    progress(Phase::Comparison);
    let diff = crate::diff::diff(
        &Lookup::computed(&old_a, &old_m.model),
        &Lookup::computed(&new_a, &new_m.model),
    );
    Ok(Diffed {
        before,
        after,
        diff,
    })
}

/// The two sides `diff` compares, each built as one estate, and what each
/// read as reports show it: `old` in `view` against `new` in the same
/// view, or a plan's prior state against its planned values.
pub(super) fn both_sides(
    inputs: &DiffInputs,
    view: View,
    progress: &mut dyn FnMut(Phase),
) -> Result<(Built, Built, InputInfo, InputInfo), Error> {
    let old = inputs.old;
    let (old_view, new_view, new) = match inputs.new {
        Some(new) => (view, view, new),
        None if old.doc.kind == DocKind::Plan => (View::Prior, View::Planned, old),
        None => {
            return Err(Error::OneView {
                file: shown(old.file).to_string(),
            })
        }
    };
    progress(Phase::BothSides);
    let before = side(old, old_view, inputs.with, view);
    let after = side(new, new_view, inputs.with, view);
    let (mut b, mut a) = (
        crate::model::build_views(&before),
        crate::model::build_views(&after),
    );
    for (name, ranges) in inputs.on_prem {
        let held = [&mut b, &mut a]
            .into_iter()
            .filter(|x| x.model.on_prem.iter().any(|n| &n.address == name))
            .map(|x| x.model.name_on_prem_ranges(name, ranges))
            .count();
        if held == 0 {
            let mut known: Vec<&str> = b
                .model
                .on_prem
                .iter()
                .chain(&a.model.on_prem)
                .map(|n| n.address.as_str())
                .collect();
            known.sort_unstable();
            known.dedup();
            return Err(Error::UnknownOnPrem {
                file: shown(old.file).to_string(),
                name: name.clone(),
                known: if known.is_empty() {
                    "none".into()
                } else {
                    known.join(", ")
                },
            });
        }
    }
    Ok((
        b,
        a,
        side_info(old, old_view, inputs.with, view),
        side_info(new, new_view, inputs.with, view),
    ))
}

/// One side of the comparison as the model builder reads it: the compared
/// document in its view, then the rest of the estate in `view`.
fn side<'a>(
    doc: Input<'a>,
    doc_view: View,
    with: &[Input<'a>],
    view: View,
) -> Vec<(&'a str, &'a Document, View)> {
    std::iter::once((doc.label, doc.doc, doc_view))
        .chain(with.iter().map(|i| (i.label, i.doc, view)))
        .collect()
}

/// What one side read, as reports show it: a document alone as it always
/// was, an estate with each document's label, file and view.
fn side_info(doc: Input, doc_view: View, with: &[Input], view: View) -> InputInfo {
    if with.is_empty() {
        return InputInfo::new(doc.doc, doc_view, doc.file);
    }
    let docs: Vec<(&str, &Document, &str, View)> = std::iter::once(doc)
        .chain(with.iter().copied())
        .zip(std::iter::once(doc_view).chain(std::iter::repeat(view)))
        .map(|(i, v)| (i.label, i.doc, i.file, v))
        .collect();
    InputInfo::estate(&docs, doc_view)
}
