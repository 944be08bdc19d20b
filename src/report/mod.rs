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

/// The answer for one ordered pair of subnets (CONTRACT.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Reachable,
    Partial,
    OneWay,
    Blocked,
    Unknown,
}

impl Verdict {
    pub const ALL: [Verdict; 5] = [
        Verdict::Reachable,
        Verdict::Partial,
        Verdict::OneWay,
        Verdict::Blocked,
        Verdict::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Reachable => "reachable",
            Verdict::Partial => "partial",
            Verdict::OneWay => "one_way",
            Verdict::Blocked => "blocked",
            Verdict::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Verdict> {
        Verdict::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// Which leg of the round trip a reason is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From the source subnet to the destination.
    Forward,
    /// The replies, from the destination back to the source.
    Return,
}

/// Why a pair is not reachable: what stopped the traffic and where.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Reason {
    pub code: &'static str,
    /// The resource at fault.
    pub resource: Option<String>,
    pub message: String,
    pub direction: Direction,
}

/// A problem of the configuration itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Finding {
    pub code: &'static str,
    pub severity: Severity,
    pub resource: String,
    pub message: String,
}

impl Finding {
    /// A finding with the code's default severity.
    pub fn new(
        code: &'static str,
        resource: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        let severity = crate::codes::lookup(code)
            .map(|c| c.severity)
            .unwrap_or(Severity::Warning);
        Finding {
            code,
            severity,
            resource: resource.into(),
            message: message.into(),
        }
    }
}

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
