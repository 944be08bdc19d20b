//! The subcommands, one function each, between a parsed document and what
//! its reporter renders: the model and the analysis, and anything else a
//! report shows that must be computed. The shell (`main.rs`) reads the
//! input and parses it, calls one of these, and writes what it returns
//! with the reporter it picks.
//!
//! Nothing here reads files, prints or decides about colour or exit codes:
//! a command returns a value, or an [`Error`] that says what in the input
//! or the options stops it, and tells the caller which phase it is in
//! through a [`Phase`] callback (the shell draws a spinner from it).
//!
//! Reports that list every pair take them from [`Pairs`], which computes
//! them as the reporter reads them when the command has not held them.

mod analyze;
mod check;
mod diff;
mod explain;
mod matrix;
mod workloads;

use std::io;

pub use analyze::{analyze, AnalyzeOptions, Analyzed, Listing, TABLE_PAIRS};
pub use check::{check, Baseline, CheckInputs, Checked, Config};
pub use diff::{diff, DiffInputs, Diffed};
pub use explain::{explain, ExplainOptions};
pub use matrix::{matrix, Layout, Matrix, MatrixOptions, GRID_PAIRS};
pub use workloads::{
    diff_workloads, select_workloads, workloads, ComputedPairs, Workloads, WorkloadsDiffed,
    WorkloadsOptions,
};

use crate::analysis::{self, Analysis, PairResult, PairsFilter, Summary};
use crate::ingest::{Document, View};
use crate::model::{Built, Model, Verdict};
use crate::report::{InputInfo, PairSource};

/// What a command is doing, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Building the network model of a document.
    Model,
    /// Analysing the pairs of that many subnets.
    Analysis { subnets: usize },
    /// Building and analysing both sides of a comparison.
    BothSides,
    /// Comparing two analyses.
    Comparison,
    /// Checking a policy.
    Policy,
}

/// Why a command cannot give its result.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A `--from` or `--to` selector matches no subnet.
    #[error(
        "{file}: {flag} {selector:?} matches no subnet (subnets are named by their resource \
         address, for example aws_subnet.app or module.net[\"prod\"].aws_subnet.private[0])"
    )]
    NoSubnet {
        file: String,
        flag: &'static str,
        selector: String,
    },
    /// A `--from` or `--to` selector of `workloads` matches no workload.
    #[error("{file}: {flag} {selector:?} matches no workload (workloads are named by their resource address, for example aws_lambda_function.api); the input has: {known}")]
    NoWorkload {
        file: String,
        flag: &'static str,
        selector: String,
        known: String,
    },
    /// `--from` and `--to` select one and the same subnet only.
    #[error(
        "{file}: --from and --to name the same subnet; a subnet reaches itself without routing"
    )]
    SameSubnet { file: String },
    /// A matrix laid out as a grid of subnets would hold too many pairs.
    #[error(
        "{file}: {subnets} subnets make {pairs} ordered pairs, too many for a {format} matrix of \
         subnets (at most {limit}); use --by-vpc, or --format csv or json, which write the pairs \
         as they are computed"
    )]
    GridTooLarge {
        file: String,
        subnets: u64,
        pairs: u64,
        format: String,
        limit: u64,
    },
    /// `--on-prem` names a network the input does not hold.
    #[error(
        "{file}: --on-prem {name:?} names no on-premises network (a VPN connection or Direct \
         Connect gateway association by its address); the input has: {known}"
    )]
    UnknownOnPrem {
        file: String,
        name: String,
        known: String,
    },
    /// `diff` of a single document that has one view only.
    #[error(
        "{file}: a state has one view, so there is nothing to compare; give two documents: \
         tfreach diff OLD NEW"
    )]
    OneView { file: String },
    /// A source of pairs could not hand them out.
    #[error("cannot read the pairs: {0}")]
    Pairs(#[from] std::io::Error),
}

/// A file name as messages give it (`-` is standard input).
fn shown(file: &str) -> &str {
    if file == "-" {
        "<stdin>"
    } else {
        file
    }
}

/// One input document of a command, and where it was read from. Several
/// are read as one estate (`model::build_many`).
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    pub doc: &'a Document,
    /// The file it was read from, as given (`-` for standard input).
    pub file: &'a str,
    /// With several documents, the prefix of its resources' addresses
    /// (`network` in `network:aws_vpc.hub`), unique among them; unused
    /// with one.
    pub label: &'a str,
}

impl<'a> Input<'a> {
    /// A document read alone.
    pub fn new(doc: &'a Document, file: &'a str) -> Self {
        Input {
            doc,
            file,
            label: "",
        }
    }

    /// A document of an estate, named by its label.
    pub fn labelled(doc: &'a Document, file: &'a str, label: &'a str) -> Self {
        Input { doc, file, label }
    }
}

/// A document a command takes to keep, with its file and label. A command
/// that takes these ([`analyze`]) frees the raw resources and the
/// configuration once the model is built, so that the analysis reuses their
/// memory instead of adding to it.
#[derive(Debug)]
pub struct Owned {
    pub doc: Document,
    pub file: String,
    pub label: String,
}

impl Owned {
    /// A document read alone.
    pub fn new(doc: Document, file: impl Into<String>) -> Self {
        Owned::labelled(doc, file, "")
    }

    /// A document of an estate, named by its label.
    pub fn labelled(doc: Document, file: impl Into<String>, label: impl Into<String>) -> Self {
        Owned {
            doc,
            file: file.into(),
            label: label.into(),
        }
    }

    /// The document as commands read it.
    pub fn input(&self) -> Input<'_> {
        Input::labelled(&self.doc, &self.file, &self.label)
    }
}

/// The ranges the user names for on-premises networks whose routes the
/// input does not hold: the network's address and its blocks
/// (`--on-prem NAME=CIDR,...`, read by `model::onprem::parse_named`).
pub type OnPremRanges = Vec<(String, Vec<crate::net::Prefix>)>;

/// The model of one view of the documents, read as one estate, with the
/// on-premises ranges the user names.
fn build(inputs: &[Input], view: View, on_prem: &OnPremRanges) -> Result<Built, Error> {
    let built = build_naming(inputs, view, on_prem);
    for (name, _) in on_prem {
        if !built.model.on_prem.iter().any(|n| &n.address == name) {
            let known: Vec<&str> = built
                .model
                .on_prem
                .iter()
                .map(|n| n.address.as_str())
                .collect();
            return Err(Error::UnknownOnPrem {
                file: shown_all(inputs),
                name: name.clone(),
                known: if known.is_empty() {
                    "none".into()
                } else {
                    known.join(", ")
                },
            });
        }
    }
    Ok(built)
}

/// [`build`] for documents a command owns, with what the reports say of
/// them. The documents are dropped once the model is built: nothing past it
/// reads them, and the analysis reuses their memory.
fn build_owned(
    docs: Vec<Owned>,
    view: View,
    on_prem: &OnPremRanges,
) -> Result<(InputInfo, Built), Error> {
    let inputs: Vec<Input> = docs.iter().map(Owned::input).collect();
    let built = build(&inputs, view, on_prem)?;
    Ok((input_info(&inputs, view), built))
}

/// [`build`], naming the ranges of the networks the model holds and
/// passing over the others.
fn build_naming(inputs: &[Input], view: View, on_prem: &OnPremRanges) -> Built {
    let docs: Vec<(&str, &Document)> = inputs.iter().map(|i| (i.label, i.doc)).collect();
    let mut built = crate::model::build_many(&docs, view);
    for (name, ranges) in on_prem {
        built.model.name_on_prem_ranges(name, ranges);
    }
    built
}

/// The documents' files as messages give them: `a.json, b.json`.
fn shown_all(inputs: &[Input]) -> String {
    let files: Vec<&str> = inputs.iter().map(|i| shown(i.file)).collect();
    files.join(", ")
}

/// What was analysed, as reports show it: one document as it always was,
/// several each with its label.
fn input_info(inputs: &[Input], view: View) -> InputInfo {
    match inputs {
        [one] => InputInfo::new(one.doc, view, one.file),
        _ => InputInfo::estate(
            &inputs
                .iter()
                .map(|i| (i.label, i.doc, i.file, view))
                .collect::<Vec<_>>(),
            view,
        ),
    }
}

/// The pairs of an analysis, for a reporter to read in (from, to) order.
#[derive(Clone, Copy)]
pub enum Pairs<'a> {
    /// The pairs the analysis holds.
    Held(&'a [PairResult]),
    /// The pairs that `filter` keeps, computed from the model and the
    /// analysis's classes a few source subnets at a time as they are read,
    /// so that no more than a few rows of them is held.
    Computed {
        model: &'a Model,
        analysis: &'a Analysis,
        filter: PairsFilter,
    },
}

impl PairSource for Pairs<'_> {
    fn each_pair(&self, f: &mut dyn FnMut(&PairResult) -> io::Result<()>) -> io::Result<()> {
        match *self {
            Pairs::Held(pairs) => pairs.iter().try_for_each(f),
            Pairs::Computed {
                model,
                analysis: a,
                filter,
            } => analysis::stream_pairs(model, &a.model_index, &a.classes, filter, &mut |p| f(&p)),
        }
    }

    /// Verdicts only, which spares the reasons when they are computed.
    fn each_verdict(
        &self,
        f: &mut dyn FnMut(usize, usize, Verdict) -> io::Result<()>,
    ) -> io::Result<()> {
        match *self {
            Pairs::Held(pairs) => pairs.iter().try_for_each(|p| f(p.from, p.to, p.verdict)),
            Pairs::Computed {
                filter: PairsFilter::None,
                ..
            } => Ok(()),
            Pairs::Computed {
                model,
                analysis: a,
                filter,
            } => analysis::stream_verdicts(model, &a.model_index, &a.classes, &mut |x, y, v| {
                if filter.keeps(v) {
                    f(x, y, v)
                } else {
                    Ok(())
                }
            }),
        }
    }

    /// Counted class pair by class pair when every pair is computed: no
    /// pair is walked twice, and only the cells are held.
    fn group_counts(&self, group_of: &[usize]) -> io::Result<Vec<((usize, usize), Summary)>> {
        match *self {
            Pairs::Computed {
                model,
                analysis: a,
                filter: PairsFilter::All,
            } => {
                let groups = group_of.iter().max().map_or(0, |g| g + 1);
                Ok(a.classes
                    .group_counts(model, &a.model_index, group_of, groups))
            }
            _ => crate::report::count_groups(self, group_of),
        }
    }
}

#[cfg(test)]
mod tests {
    /// The shell reads input, calls one command per subcommand and writes
    /// output (ARCHITECTURE.md): the model and analysis work is written
    /// here once, never in `main.rs`.
    #[test]
    fn the_shell_calls_one_command_per_subcommand_and_computes_nothing() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/main.rs");
        let main = std::fs::read_to_string(&path).expect("src/main.rs is readable");
        for word in [
            "model::build",
            "analysis::",
            "Lookup",
            "explain::explain",
            "explain::select",
            "policy::check",
            "diff::diff",
            "Locator::new",
        ] {
            assert!(!main.contains(word), "main.rs names `{word}`");
        }
        for command in ["analyze", "explain", "matrix", "diff", "check", "workloads"] {
            let call = format!("commands::{command}(");
            assert_eq!(main.matches(&call).count(), 1, "main.rs: {call}");
        }
    }
}
