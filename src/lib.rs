//! tfreach: which AWS subnets can reach which, from a Terraform plan,
//! before `terraform apply`.
//!
//! The pipeline is `ingest -> model -> graph -> analysis -> report`:
//! [`ingest`] reads the JSON that `terraform show -json` prints (a plan, a
//! state or a raw state file) into loose resource records, resolving values
//! unknown until apply through the configuration's references; [`model`]
//! turns them into VPCs, subnets, route tables and peerings linked by
//! index; [`graph`] is the forwarding graph of its VPCs and transit gateway
//! route tables in petgraph, which tells where a VPC's traffic can arrive at
//! all; [`analysis`] walks packets through AWS's routing rules for every
//! ordered pair of subnets that graph leaves open, in parallel; [`report`]
//! renders the verdicts. [`commands`] holds one
//! function per subcommand of the `tfreach` binary, from parsed documents
//! to the value its reporter renders.
//!
//! ```
//! let plan = br#"{"format_version":"1.2","planned_values":{"root_module":{}},
//!                "resource_changes":[]}"#;
//! let doc = tfreach::ingest::parse(plan, "plan.json").unwrap();
//! let built = tfreach::model::build(&doc, tfreach::ingest::View::Planned);
//! let analysis = tfreach::analysis::analyze(
//!     &built.model, built.findings, &tfreach::analysis::Options::default());
//! assert_eq!(analysis.summary.pairs, 0);
//! ```
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod analysis;
pub mod commands;
pub mod diff;
pub mod explain;
pub mod graph;
pub mod ingest;
pub mod model;
pub mod net;
pub mod policy;
pub mod report;
pub mod workload_diff;

/// The reason and finding codes (they live in the model, below every stage
/// that reports them).
pub use model::codes;

use analysis::{Analysis, Options};
use ingest::{Document, InputError, View};

/// Reads a document and analyses one of its views.
pub fn analyze_bytes(
    bytes: &[u8],
    file: &str,
    view: View,
    opts: &Options,
) -> Result<(Document, Analysis), InputError> {
    let doc = ingest::parse(bytes, file)?;
    let analysis = analyze_document(&doc, view, opts);
    Ok((doc, analysis))
}

/// Analyses one view of a parsed document.
pub fn analyze_document(doc: &Document, view: View, opts: &Options) -> Analysis {
    let built = model::build(doc, view);
    analysis::analyze(&built.model, built.findings, opts)
}
