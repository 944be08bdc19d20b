//! `check`: a policy's expectations and rules against one view of a
//! document.

use crate::analysis::{self, Lookup, Summary};
use crate::ingest::{DocKind, Document, View};
use crate::model::Flow;
use crate::policy::locate::{Locator, SourceFile};
use crate::policy::{CheckReport, Policy};
use crate::report::InputInfo;

use super::Phase;

/// The Terraform configuration the plan came from, for reports to point
/// at the line that declares a resource.
pub struct Config<'a> {
    /// The directory, as given.
    pub dir: &'a str,
    /// Its `.tf` files.
    pub files: &'a [SourceFile],
}

/// What `check` reads.
pub struct CheckInputs<'a> {
    pub doc: &'a Document,
    /// The file `doc` was read from (`-` for standard input).
    pub file: &'a str,
    /// The document `[[no_new_path]]` rules compare against, and its file,
    /// instead of a plan's prior state.
    pub baseline: Option<(&'a Document, &'a str)>,
    pub policy: &'a Policy,
    pub config: Option<Config<'a>>,
}

/// The result of `check`.
pub struct Checked {
    pub input: InputInfo,
    pub baseline: Option<InputInfo>,
    pub report: CheckReport,
    /// The verdict counts of every pair of the view checked.
    pub summary: Summary,
    pub locator: Option<Locator>,
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
) -> Checked {
    // Pairs are read through a `Lookup`, group by group: none is held.
    let opts = analysis::Options {
        pairs: analysis::PairsFilter::None,
        flow,
    };
    let doc = inputs.doc;
    progress(Phase::Model);
    let built = crate::model::build(doc, view);
    progress(Phase::Analysis {
        subnets: built.model.subnets.len(),
    });
    let analysis = analysis::analyze(&built.model, built.findings, &opts);
    let pairs = Lookup::computed(&analysis, &built.model);
    let old_side = if inputs.policy.no_new_path.is_empty() {
        None
    } else if let Some((baseline, _)) = inputs.baseline {
        Some((baseline, view))
    } else if doc.kind == DocKind::Plan && view == View::Planned {
        Some((doc, View::Prior))
    } else {
        None
    };
    let change = old_side.map(|(old_doc, old_view)| {
        progress(Phase::Comparison);
        let old = crate::model::build(old_doc, old_view);
        let old_a = analysis::analyze(&old.model, old.findings, &opts);
        crate::diff::diff(&Lookup::computed(&old_a, &old.model), &pairs)
    });
    progress(Phase::Policy);
    let report = crate::policy::check(inputs.policy, &pairs, change.as_ref());
    Checked {
        input: InputInfo::new(doc, view, inputs.file),
        baseline: inputs
            .baseline
            .map(|(baseline, file)| InputInfo::new(baseline, view, file)),
        report,
        summary: analysis.summary,
        locator: inputs.config.as_ref().map(|c| Locator::new(c.dir, c.files)),
    }
}
