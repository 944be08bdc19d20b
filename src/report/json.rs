//! The JSON report (`tfreach/report/v1`, CONTRACT.md).
//!
//! Pairs are written one per line as their source hands them out, so a
//! large matrix is never held whole (or twice) in memory.

use std::io::{self, Write};

use serde::Serialize;

use super::{Finding, InputInfo, PairSource, Reason, Verdict};
use crate::analysis::services::ServiceReach;
use crate::analysis::{Analysis, Summary};

#[derive(Serialize)]
struct PairOut<'a> {
    from: &'a str,
    to: &'a str,
    verdict: Verdict,
    reasons: &'a [Reason],
    #[serde(skip_serializing_if = "Option::is_none")]
    traffic: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
}

#[derive(Serialize)]
struct Header<'a> {
    #[serde(rename = "$schema")]
    json_schema: &'static str,
    schema: &'static str,
    input: &'a InputInfo,
    subnets: &'a [crate::analysis::SubnetInfo],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    endpoints: &'a [crate::analysis::endpoints::EndpointInfo],
    summary: &'a Summary,
}

/// Writes the report with the pairs held in `a`.
pub fn write(out: &mut dyn Write, input: &InputInfo, a: &Analysis) -> io::Result<()> {
    write_from(out, input, a, &a.pairs)
}

/// Writes the report with the pairs `pairs` hands out, each written as it
/// comes (the pairs held in `a` are not read): given pairs computed as they
/// are read, the report streams them.
pub fn write_from(
    out: &mut dyn Write,
    input: &InputInfo,
    a: &Analysis,
    pairs: &dyn PairSource,
) -> io::Result<()> {
    let header = Header {
        json_schema: super::schema_id::REPORT,
        schema: "tfreach/report/v1",
        input,
        subnets: &a.subnets,
        endpoints: &a.endpoint_list,
        summary: &a.total_summary(),
    };
    // The header's fields, then the pairs streamed, then the findings.
    let head = serde_json::to_string(&header).map_err(io::Error::other)?;
    out.write_all(&head.as_bytes()[..head.len() - 1])?;
    out.write_all(b",\n\"pairs\": [")?;
    let mut first = true;
    pairs.each_pair(&mut |p| {
        out.write_all(if first { b"\n  " } else { b",\n  " })?;
        first = false;
        serde_json::to_writer(
            &mut *out,
            &PairOut {
                from: &a.subnets[p.from].address,
                to: &a.subnets[p.to].address,
                verdict: p.verdict,
                reasons: &p.reasons,
                traffic: p.traffic.as_deref(),
                note: None,
            },
        )
        .map_err(io::Error::other)
    })?;
    for p in &a.endpoints {
        out.write_all(if first { b"\n  " } else { b",\n  " })?;
        first = false;
        serde_json::to_writer(
            &mut *out,
            &PairOut {
                from: &p.from,
                to: &p.to,
                verdict: p.verdict,
                reasons: &p.reasons,
                traffic: p.traffic.as_deref(),
                note: p.note.as_deref(),
            },
        )
        .map_err(io::Error::other)?;
    }
    out.write_all(b"\n],\n\"findings\": ")?;
    write_findings(out, &a.findings)?;
    out.write_all(b",\n\"services\": ")?;
    write_services(out, &a.services)?;
    out.write_all(b"\n}\n")
}

/// The `services` section: one line per subnet and service.
fn write_services(out: &mut dyn Write, services: &[ServiceReach]) -> io::Result<()> {
    if services.is_empty() {
        return out.write_all(b"[]");
    }
    out.write_all(b"[")?;
    for (i, s) in services.iter().enumerate() {
        out.write_all(if i == 0 { b"\n  " } else { b",\n  " })?;
        serde_json::to_writer(&mut *out, s).map_err(io::Error::other)?;
    }
    out.write_all(b"\n]")
}

fn write_findings(out: &mut dyn Write, findings: &[Finding]) -> io::Result<()> {
    if findings.is_empty() {
        return out.write_all(b"[]");
    }
    out.write_all(b"[")?;
    for (i, f) in findings.iter().enumerate() {
        out.write_all(if i == 0 { b"\n  " } else { b",\n  " })?;
        serde_json::to_writer(&mut *out, f).map_err(io::Error::other)?;
    }
    out.write_all(b"\n]")
}
