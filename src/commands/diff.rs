//! `diff`: the pairs whose verdict changes between two views or two
//! documents.

use crate::analysis::{self, Lookup};
use crate::diff::Diff;
use crate::ingest::{DocKind, Document, View};
use crate::model::Flow;
use crate::report::InputInfo;

use super::{shown, Error, Phase};

/// The result of `diff`.
pub struct Diffed {
    pub before: InputInfo,
    pub after: InputInfo,
    pub diff: Diff,
}

/// Compares the `view` of `old` (read from `old_file`) with the same view
/// of `new`, or, without `new`, a plan's prior state with its planned
/// values; verdicts for `flow`, or for any traffic.
pub fn diff(
    old: &Document,
    old_file: &str,
    new: Option<(&Document, &str)>,
    view: View,
    flow: Option<Flow>,
    progress: &mut dyn FnMut(Phase),
) -> Result<Diffed, Error> {
    let (old_view, new_view, new, new_file) = match new {
        Some((doc, file)) => (view, view, doc, file),
        None if old.kind == DocKind::Plan => (View::Prior, View::Planned, old, old_file),
        None => {
            return Err(Error::OneView {
                file: shown(old_file).to_string(),
            })
        }
    };
    progress(Phase::BothSides);
    // Pairs are read through a `Lookup`, group by group: none is held.
    let opts = analysis::Options {
        pairs: analysis::PairsFilter::None,
        flow,
    };
    let old_m = crate::model::build(old, old_view);
    let new_m = crate::model::build(new, new_view);
    let old_a = analysis::analyze(&old_m.model, old_m.findings, &opts);
    let new_a = analysis::analyze(&new_m.model, new_m.findings, &opts);
    progress(Phase::Comparison);
    let diff = crate::diff::diff(
        &Lookup::computed(&old_a, &old_m.model),
        &Lookup::computed(&new_a, &new_m.model),
    );
    Ok(Diffed {
        before: InputInfo::new(old, old_view, old_file),
        after: InputInfo::new(new, new_view, new_file),
        diff,
    })
}
