//! What an analysis says, and the output formats that render it.
//!
//! Reporters write to a `std::io::Write` they are given; none of them opens
//! files or decides exit codes.

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

use serde::Serialize;

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
        }
    }
}
