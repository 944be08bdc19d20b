//! What an analysis says, and the output formats that render it.
//!
//! Reporters write to a `std::io::Write` they are given; none of them opens
//! files or decides exit codes. They only render: what they show is
//! computed before they are called (`crate::commands`), or handed to them
//! as it is computed through a [`PairSource`] the caller builds.

pub mod csv;
pub mod doc;
pub mod dot;
pub mod html;
pub mod json;
pub mod json_docs;
pub mod junit;
pub mod markdown;
pub mod mermaid;
pub mod sarif;
pub mod style;
pub mod table;
pub mod text;
pub mod workloads;

use std::collections::BTreeMap;
use std::io;

use serde::Serialize;

use crate::analysis::{PairResult, Summary};

/// The `$schema` of each JSON document tfreach writes: the `$id` of its
/// JSON Schema (draft 2020-12) in the repository's `schemas/` directory,
/// `schemas/NAME.v1.schema.json` for `urn:tfreach:schema:NAME:v1`. The
/// explain document is a bare list (CONTRACT.md), so it names none.
pub mod schema_id {
    pub const REPORT: &str = "urn:tfreach:schema:report:v1";
    pub const DIFF: &str = "urn:tfreach:schema:diff:v1";
    pub const CHECK: &str = "urn:tfreach:schema:check:v1";
    pub const MATRIX: &str = "urn:tfreach:schema:matrix:v1";
    pub const VPC_MATRIX: &str = "urn:tfreach:schema:vpc-matrix:v1";
    pub const WORKLOADS: &str = "urn:tfreach:schema:workloads:v1";
    pub const WORKLOAD_DIFF: &str = "urn:tfreach:schema:workload-diff:v1";
}

pub use crate::model::words::{Direction, Finding, Reason, Severity, Verdict};

/// What was analysed, as the report's `input` object shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct InputInfo {
    pub kind: crate::ingest::DocKind,
    pub view: crate::ingest::View,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terraform_version: Option<String>,
    /// The file name as given (`-` for standard input).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// With several documents read as one estate, each of them (`kind`,
    /// `view` and `terraform_version` above are then the first's); empty
    /// with one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<DocumentInfo>,
}

/// One document of an estate, as the report's `input.documents` shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DocumentInfo {
    /// The prefix of its resources' addresses (`network` in
    /// `network:aws_vpc.hub`).
    pub label: String,
    /// The file name as given (`-` for standard input).
    pub file: String,
    pub kind: crate::ingest::DocKind,
    pub view: crate::ingest::View,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terraform_version: Option<String>,
}

impl InputInfo {
    pub fn new(doc: &crate::ingest::Document, view: crate::ingest::View, file: &str) -> Self {
        let view = match doc.kind {
            crate::ingest::DocKind::Plan => view,
            _ => crate::ingest::View::Planned,
        };
        InputInfo {
            kind: doc.kind,
            view,
            terraform_version: doc.terraform_version.clone(),
            file: Some(file.to_string()),
            documents: Vec::new(),
        }
    }

    /// Several documents read as one estate, each with its label, file and
    /// the view it is read in; `view` is the view asked for (the first
    /// document's, unless that is a state).
    pub fn estate(
        docs: &[(&str, &crate::ingest::Document, &str, crate::ingest::View)],
        view: crate::ingest::View,
    ) -> Self {
        let documents: Vec<DocumentInfo> = docs
            .iter()
            .map(|(label, doc, file, view)| {
                let one = InputInfo::new(doc, *view, file);
                DocumentInfo {
                    label: label.to_string(),
                    file: file.to_string(),
                    kind: one.kind,
                    view: one.view,
                    terraform_version: one.terraform_version,
                }
            })
            .collect();
        let first = documents.first();
        InputInfo {
            kind: first.map_or(crate::ingest::DocKind::State, |d| d.kind),
            view: first.map_or(view, |d| d.view),
            terraform_version: first.and_then(|d| d.terraform_version.clone()),
            file: None,
            documents,
        }
    }
}

/// Where a reporter reads an analysis's pairs from, in (from, to) order.
/// The caller builds it: the pairs an analysis holds (a `Vec` of them is a
/// source), or pairs computed as they are read (`commands::Pairs`), so a
/// report of any size is written without its pairs being held, and the
/// reporter never computes one.
pub trait PairSource {
    /// Hands every pair to `f`, in (from, to) order.
    fn each_pair(&self, f: &mut dyn FnMut(&PairResult) -> io::Result<()>) -> io::Result<()>;

    /// Hands `f` the verdict of every pair as (from, to, verdict), in
    /// (from, to) order: [`PairSource::each_pair`] without the reasons.
    fn each_verdict(
        &self,
        f: &mut dyn FnMut(usize, usize, Verdict) -> io::Result<()>,
    ) -> io::Result<()> {
        self.each_pair(&mut |p| f(p.from, p.to, p.verdict))
    }

    /// The verdict counts of the pairs from one group of subnets to
    /// another, where `group_of[subnet]` is the subnet's group (its VPC,
    /// say), groups numbered from 0: every cell with a pair, sorted by
    /// (from, to).
    fn group_counts(&self, group_of: &[usize]) -> io::Result<Vec<((usize, usize), Summary)>> {
        count_groups(self, group_of)
    }
}

/// [`PairSource::group_counts`] by counting each verdict the source hands
/// out.
pub fn count_groups<S: PairSource + ?Sized>(
    source: &S,
    group_of: &[usize],
) -> io::Result<Vec<((usize, usize), Summary)>> {
    let mut cells: BTreeMap<(usize, usize), Summary> = BTreeMap::new();
    source.each_verdict(&mut |from, to, v| {
        cells
            .entry((group_of[from], group_of[to]))
            .or_default()
            .add(v, 1);
        Ok(())
    })?;
    Ok(cells.into_iter().collect())
}

/// Pairs held in memory, in (from, to) order.
impl PairSource for Vec<PairResult> {
    fn each_pair(&self, f: &mut dyn FnMut(&PairResult) -> io::Result<()>) -> io::Result<()> {
        self.iter().try_for_each(f)
    }
}

#[cfg(test)]
mod tests {
    /// Reporters only render (ARCHITECTURE.md): none of them computes a
    /// verdict, a pair or a path; what they show is computed by the caller
    /// or handed out by the `PairSource` it gives them.
    #[test]
    fn reporters_call_nothing_that_computes() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/report");
        let mut sources = Vec::new();
        for entry in std::fs::read_dir(&dir).expect("src/report is readable") {
            let path = entry.expect("src/report is readable").path();
            let text = std::fs::read_to_string(&path).expect("a reporter's source is readable");
            // This test names the words it looks for.
            let text = text.split("#[cfg(test)]").next().unwrap_or("").to_string();
            sources.push((
                path.file_name().unwrap().to_string_lossy().to_string(),
                text,
            ));
        }
        assert!(sources.len() > 10, "{}: the reporters", dir.display());
        let computing = [
            "model::build",
            "analysis::analyze",
            "stream_pairs",
            "stream_verdicts",
            "list_pairs",
            "classes",
            "evaluate_pair",
            "Lookup",
            "explain::explain",
            "policy::check",
            "diff::diff",
        ];
        for (file, text) in &sources {
            for word in computing {
                assert!(
                    !text.contains(word),
                    "report/{file} names `{word}`: a reporter renders what it is given"
                );
            }
        }
    }
}
