//! JSON for the matrix (`tfreach/matrix/v1`, `tfreach/vpc-matrix/v1`), the
//! diff (`tfreach/diff/v1`, CONTRACT.md) and the check (`tfreach/check/v1`).
//! Fields may be added to these documents; none is removed or renamed.
//! Each names its JSON Schema in `$schema` ([`super::schema_id`]).

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use super::doc::{CheckDoc, DiffDoc, MatrixDoc, VpcMatrix};
use super::{Finding, InputInfo, Reason};
use crate::analysis::endpoints::{EndpointGrid, EndpointInfo};
use crate::analysis::{SubnetInfo, Summary};
use crate::diff::Status;
use crate::model::Verdict;
use crate::policy::{Outcome, RuleResult};

fn write_json<T: Serialize>(out: &mut dyn Write, v: &T) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, v).map_err(io::Error::other)?;
    writeln!(out)
}

/// `tfreach/matrix/v1` but its last member, `verdicts` (`verdicts[i][j]`:
/// from subnet i to subnet j; null on the diagonal), which is written as
/// it is computed.
#[derive(Serialize)]
struct MatrixHead<'a> {
    #[serde(rename = "$schema")]
    json_schema: &'static str,
    schema: &'static str,
    input: &'a InputInfo,
    summary: &'a Summary,
    subnets: &'a [SubnetInfo],
    /// The endpoints beyond the subnets, when the input has any.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    endpoints: &'a [EndpointInfo],
    /// A row per subnet: its verdict towards each endpoint.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    to_endpoints: Vec<Vec<Option<Verdict>>>,
    /// A row per endpoint: its verdict towards each subnet.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    from_endpoints: Vec<Vec<Option<Verdict>>>,
}

#[derive(Serialize)]
struct VpcOut<'a> {
    address: &'a str,
    subnets: usize,
}

#[derive(Serialize)]
struct VpcCellOut<'a> {
    from: &'a str,
    to: &'a str,
    #[serde(flatten)]
    counts: &'a Summary,
}

#[derive(Serialize)]
struct VpcMatrixOut<'a> {
    #[serde(rename = "$schema")]
    json_schema: &'static str,
    schema: &'static str,
    input: &'a InputInfo,
    summary: &'a Summary,
    vpcs: Vec<VpcOut<'a>>,
    cells: Vec<VpcCellOut<'a>>,
}

/// The square matrix, or the VPC aggregate with `by_vpc`.
pub fn write_matrix(out: &mut dyn Write, m: &MatrixDoc) -> io::Result<()> {
    let a = m.analysis;
    if m.by_vpc {
        let vm = VpcMatrix::of_doc(m)?;
        return write_json(
            out,
            &VpcMatrixOut {
                json_schema: super::schema_id::VPC_MATRIX,
                schema: "tfreach/vpc-matrix/v1",
                input: m.input,
                summary: &a.summary,
                vpcs: vm
                    .vpcs
                    .iter()
                    .map(|v| VpcOut {
                        address: &v.address,
                        subnets: v.subnets.len(),
                    })
                    .collect(),
                cells: vm
                    .cells
                    .iter()
                    .map(|c| VpcCellOut {
                        from: &vm.vpcs[c.from].address,
                        to: &vm.vpcs[c.to].address,
                        counts: &c.counts,
                    })
                    .collect(),
            },
        );
    }
    // Everything but the verdicts as serde_json lays it out, then the
    // verdicts row by row as they are computed, laid out the same way.
    let eg = EndpointGrid::of(a);
    let head = serde_json::to_string_pretty(&MatrixHead {
        json_schema: super::schema_id::MATRIX,
        schema: "tfreach/matrix/v1",
        input: m.input,
        summary: &a.summary,
        subnets: &a.subnets,
        endpoints: &a.endpoint_list,
        to_endpoints: if eg.names.is_empty() {
            Vec::new()
        } else {
            eg.to
        },
        from_endpoints: eg.from,
    })
    .map_err(io::Error::other)?;
    let head = head.strip_suffix("\n}").unwrap_or(&head);
    let n = a.subnets.len();
    if n == 0 {
        return writeln!(out, "{head},\n  \"verdicts\": []\n}}");
    }
    write!(out, "{head},\n  \"verdicts\": [")?;
    m.each_row(&mut |from, row| {
        out.write_all(if from == 0 { b"\n    [" } else { b",\n    [" })?;
        for (to, cell) in row.iter().enumerate() {
            let sep = if to == 0 { "" } else { "," };
            match cell {
                Some(v) => write!(out, "{sep}\n      \"{}\"", v.as_str())?,
                None => write!(out, "{sep}\n      null")?,
            }
        }
        out.write_all(b"\n    ]")
    })?;
    writeln!(out, "\n  ]\n}}")
}

#[derive(Serialize)]
struct ChangeOut<'a> {
    from: &'a str,
    to: &'a str,
    before: Status,
    after: Status,
    kind: &'static str,
    from_vpc: Option<&'a str>,
    to_vpc: Option<&'a str>,
    reasons: &'a [Reason],
}

#[derive(Serialize)]
struct DiffSummary<'a> {
    before: &'a Summary,
    after: &'a Summary,
    changes: usize,
    kinds: BTreeMap<&'static str, usize>,
}

#[derive(Serialize)]
struct SubnetsOut<'a> {
    added: &'a [SubnetInfo],
    removed: &'a [SubnetInfo],
}

#[derive(Serialize)]
struct FindingsOut<'a> {
    introduced: &'a [Finding],
    removed: &'a [Finding],
}

#[derive(Serialize)]
struct DiffOut<'a> {
    #[serde(rename = "$schema")]
    json_schema: &'static str,
    schema: &'static str,
    before: &'a InputInfo,
    after: &'a InputInfo,
    summary: DiffSummary<'a>,
    changes: Vec<ChangeOut<'a>>,
    subnets: SubnetsOut<'a>,
    findings: FindingsOut<'a>,
}

/// The diff (CONTRACT.md's `tfreach/diff/v1`, with more fields).
pub fn write_diff(out: &mut dyn Write, doc: &DiffDoc) -> io::Result<()> {
    let d = doc.diff;
    write_json(
        out,
        &DiffOut {
            json_schema: super::schema_id::DIFF,
            schema: "tfreach/diff/v1",
            before: doc.before,
            after: doc.after,
            summary: DiffSummary {
                before: &d.before,
                after: &d.after,
                changes: d.changes.len(),
                kinds: d
                    .counts()
                    .into_iter()
                    .map(|(k, n)| (k.as_str(), n))
                    .collect(),
            },
            changes: d
                .changes
                .iter()
                .map(|c| ChangeOut {
                    from: &c.from,
                    to: &c.to,
                    before: c.before,
                    after: c.after,
                    kind: c.kind.as_str(),
                    from_vpc: c.from_vpc.as_deref(),
                    to_vpc: c.to_vpc.as_deref(),
                    reasons: &c.reasons,
                })
                .collect(),
            subnets: SubnetsOut {
                added: &d.subnets_added,
                removed: &d.subnets_removed,
            },
            findings: FindingsOut {
                introduced: &d.findings_introduced,
                removed: &d.findings_removed,
            },
        },
    )
}

#[derive(Serialize)]
struct CheckSummary {
    rules: usize,
    passed: usize,
    failed: usize,
    skipped: usize,
}

#[derive(Serialize)]
struct CheckOut<'a> {
    #[serde(rename = "$schema")]
    json_schema: &'static str,
    schema: &'static str,
    input: &'a InputInfo,
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<&'a InputInfo>,
    policy: &'a str,
    passed: bool,
    summary: CheckSummary,
    pairs: &'a Summary,
    results: &'a [RuleResult],
}

/// The check's results.
pub fn write_check(out: &mut dyn Write, doc: &CheckDoc) -> io::Result<()> {
    let r = doc.report;
    write_json(
        out,
        &CheckOut {
            json_schema: super::schema_id::CHECK,
            schema: "tfreach/check/v1",
            input: doc.input,
            baseline: doc.baseline,
            policy: &r.policy,
            passed: r.passed(),
            summary: CheckSummary {
                rules: r.results.len(),
                passed: r.count(Outcome::Pass),
                failed: r.count(Outcome::Fail),
                skipped: r.count(Outcome::Skip),
            },
            pairs: doc.summary,
            results: &r.results,
        },
    )
}
