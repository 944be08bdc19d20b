//! The words every stage of the pipeline speaks: verdicts, severities,
//! directions, reasons and findings. They live below the stages that use
//! them, so the model, the analysis and the reporters all import them from
//! here and nothing points back up the pipeline.

use serde::Serialize;

use super::Text;

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
    pub resource: Option<Text>,
    pub message: Text,
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
        let severity = super::codes::lookup(code)
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
