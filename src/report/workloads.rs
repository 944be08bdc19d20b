//! The `workloads` document (`tfreach/workloads/v1`) and its two
//! renderings: a table for the terminal and JSON. The command builds the
//! document (`commands::workloads`); this file only formats it.

use std::io::{self, Write};

use serde::Serialize;

use super::style::Styles;
use super::{Finding, InputInfo, Reason, Verdict};
use crate::analysis::Summary;

/// A port a workload serves, and whether a pair's connection opens on it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PortOut {
    pub protocol: String,
    pub port: u16,
    /// The resource that says the workload serves it.
    pub resource: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
}

/// One workload, as the document lists it.
#[derive(Debug, Clone, Serialize)]
pub struct WorkloadInfo {
    pub address: String,
    pub kind: &'static str,
    pub vpc: Option<String>,
    pub subnets: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subnets_unknown: Option<String>,
    pub security_groups: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_groups_unknown: Option<String>,
    /// No security group filters its traffic.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unguarded: bool,
    pub ports: Vec<PortOut>,
}

/// One place pair of a workload pair.
#[derive(Debug, Clone, Serialize)]
pub struct PlaceOut {
    pub from_subnet: String,
    pub to_subnet: String,
    pub verdict: Verdict,
    /// What opens there, when anything does.
    pub opens: Option<String>,
    /// The source's outbound rules that let it out.
    pub egress_rules: Vec<String>,
    /// The destination's inbound rules that let it in.
    pub ingress_rules: Vec<String>,
    pub reasons: Vec<Reason>,
}

/// One ordered pair of workloads.
#[derive(Debug, Clone, Serialize)]
pub struct WorkloadPairOut {
    pub from: String,
    pub to: String,
    pub verdict: Verdict,
    /// What opens, when anything does.
    pub traffic: Option<String>,
    /// The destination's served ports and the verdict on each.
    pub ports: Vec<PortOut>,
    pub places: Vec<PlaceOut>,
    pub reasons: Vec<Reason>,
}

/// The whole document.
#[derive(Debug, Clone, Serialize)]
pub struct WorkloadsDoc {
    #[serde(rename = "$schema")]
    pub json_schema: &'static str,
    pub schema: &'static str,
    pub input: InputInfo,
    /// The traffic asked about (`all traffic`, `tcp 5432`).
    pub asked: String,
    pub workloads: Vec<WorkloadInfo>,
    /// Verdict counts over the pairs listed.
    pub summary: Summary,
    pub pairs: Vec<WorkloadPairOut>,
    pub findings: Vec<Finding>,
}

/// The JSON document.
pub fn write_json(out: &mut dyn Write, doc: &WorkloadsDoc) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, doc).map_err(io::Error::other)?;
    writeln!(out)
}

fn verdict_text(v: Verdict, st: Styles) -> String {
    st.paint(st.verdict(v), v.as_str()).to_string()
}

/// The terminal table: the workloads, then one line per pair with what
/// opens, the ports served and why the rest does not.
pub fn write_table(out: &mut dyn Write, doc: &WorkloadsDoc, st: Styles) -> io::Result<()> {
    writeln!(
        out,
        "{} workloads, {} pairs ({}): {} reachable, {} partial, {} one-way, {} blocked, {} unknown",
        doc.workloads.len(),
        doc.summary.pairs,
        doc.asked,
        doc.summary.reachable,
        doc.summary.partial,
        doc.summary.one_way,
        doc.summary.blocked,
        doc.summary.unknown
    )?;
    writeln!(out)?;
    for w in &doc.workloads {
        let groups = if w.unguarded {
            "no security group".to_string()
        } else {
            w.security_groups.join(", ")
        };
        writeln!(out, "{} ({})", st.paint(st.heading(), &w.address), w.kind)?;
        writeln!(
            out,
            "    subnets: {}",
            if w.subnets.is_empty() {
                "none known".to_string()
            } else {
                w.subnets.join(", ")
            }
        )?;
        writeln!(out, "    security groups: {groups}")?;
        if !w.ports.is_empty() {
            let ports: Vec<String> = w
                .ports
                .iter()
                .map(|p| format!("{} {}", p.protocol, p.port))
                .collect();
            writeln!(out, "    serves: {}", ports.join(", "))?;
        }
    }
    if !doc.pairs.is_empty() {
        writeln!(out)?;
    }
    for p in &doc.pairs {
        let mut line = format!("{} -> {}: {}", p.from, p.to, verdict_text(p.verdict, st));
        if let Some(t) = &p.traffic {
            line.push_str(&format!(" ({t})"));
        }
        writeln!(out, "{line}")?;
        for port in &p.ports {
            if let Some(v) = port.verdict {
                writeln!(
                    out,
                    "    {} {} ({}): {}",
                    port.protocol,
                    port.port,
                    port.resource,
                    verdict_text(v, st)
                )?;
            }
        }
        for r in &p.reasons {
            writeln!(
                out,
                "    {} {}: {}",
                r.code,
                r.resource.as_deref().unwrap_or("-"),
                r.message
            )?;
        }
    }
    if !doc.findings.is_empty() {
        writeln!(out)?;
        writeln!(out, "Findings:")?;
        for f in &doc.findings {
            writeln!(out, "  {} {}: {}", f.code, f.resource, f.message)?;
        }
    }
    Ok(())
}
