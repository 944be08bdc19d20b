//! The `workloads` document (`tfreach/workloads/v1`) and its two
//! renderings: a table for the terminal and JSON. The command builds the
//! document (`commands::workloads`); this file only formats it.

use std::io::{self, Write};

use rayon::prelude::*;
use serde::Serialize;

use super::markdown::{cell, code};
use super::style::Styles;
use super::table::describe_input;
use super::text::term;
use super::{Finding, InputInfo, Reason, Verdict};
use crate::analysis::Summary;
use crate::diff::ChangeKind;
use crate::workload_diff::{WorkloadChange, WorkloadDiff};

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
    /// What opens, as a set: what `diff --workloads` compares (not
    /// written; `traffic` says it in words).
    #[serde(skip)]
    pub opened: crate::model::FlowSet,
    /// The destination's served ports and the verdict on each.
    pub ports: Vec<PortOut>,
    pub places: Vec<PlaceOut>,
    pub reasons: Vec<Reason>,
}

/// Where the workloads reporters read a document's pairs from: every pair
/// in the document's order, handed out a batch at a time, so a document of
/// a million pairs is written without being held. The command builds it;
/// a `Vec` of pairs is one batch.
pub trait WorkloadPairSource {
    /// Hands every pair to `f`, a batch at a time, in order.
    fn each_batch(&self, f: &mut dyn FnMut(&[WorkloadPairOut]) -> io::Result<()>)
        -> io::Result<()>;
}

impl WorkloadPairSource for Vec<WorkloadPairOut> {
    fn each_batch(
        &self,
        f: &mut dyn FnMut(&[WorkloadPairOut]) -> io::Result<()>,
    ) -> io::Result<()> {
        if self.is_empty() {
            return Ok(());
        }
        f(self)
    }
}

/// The whole document; its pairs held (`Vec<WorkloadPairOut>`) or handed
/// out as they are computed.
#[derive(Debug, Clone)]
pub struct WorkloadsDoc<P = Vec<WorkloadPairOut>> {
    pub json_schema: &'static str,
    pub schema: &'static str,
    pub input: InputInfo,
    /// The traffic asked about (`all traffic`, `tcp 5432`).
    pub asked: String,
    pub workloads: Vec<WorkloadInfo>,
    /// Verdict counts over the pairs listed.
    pub summary: Summary,
    pub pairs: P,
    pub findings: Vec<Finding>,
}

impl<P: WorkloadPairSource> WorkloadsDoc<P> {
    /// The document with its pairs read into memory.
    pub fn held(self) -> WorkloadsDoc {
        let mut pairs = Vec::new();
        // Gathering pairs into a `Vec` cannot fail.
        let _ = self.pairs.each_batch(&mut |batch| {
            pairs.extend_from_slice(batch);
            Ok(())
        });
        WorkloadsDoc {
            json_schema: self.json_schema,
            schema: self.schema,
            input: self.input,
            asked: self.asked,
            workloads: self.workloads,
            summary: self.summary,
            pairs,
            findings: self.findings,
        }
    }
}

/// The document's fields before its pairs, as JSON writes them.
#[derive(Serialize)]
struct Head<'a> {
    #[serde(rename = "$schema")]
    json_schema: &'static str,
    schema: &'static str,
    input: &'a InputInfo,
    asked: &'a str,
    workloads: &'a [WorkloadInfo],
    summary: &'a Summary,
}

/// The layout of `serde_json`'s pretty printer (two spaces a level, `": "`
/// after a key) for a value that sits `depth` levels into the document, so
/// that a part of a document can be written on its own.
struct Nested {
    depth: usize,
    has_value: bool,
}

impl Nested {
    fn line<W: ?Sized + Write>(&self, w: &mut W) -> io::Result<()> {
        w.write_all(b"\n")?;
        for _ in 0..self.depth {
            w.write_all(b"  ")?;
        }
        Ok(())
    }

    fn open<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    fn close<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.line(w)?;
        }
        w.write_all(bracket)
    }

    fn item<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        self.line(w)
    }
}

impl serde_json::ser::Formatter for Nested {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.item(w, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.item(w, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// Appends `value` to `buf` as the pretty printer lays it out `depth`
/// levels into a document.
fn nested<T: Serialize>(buf: &mut Vec<u8>, value: &T, depth: usize) -> io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(
        buf,
        Nested {
            depth,
            has_value: false,
        },
    );
    value.serialize(&mut ser).map_err(io::Error::other)
}

/// Pairs laid out by one task of [`write_json`].
const PAIRS_PER_TASK: usize = 256;

/// The JSON document, laid out as `serde_json`'s pretty printer lays it
/// out. The pairs are written a batch at a time as the source hands them
/// out, each batch laid out in parallel.
pub fn write_json<P: WorkloadPairSource>(
    out: &mut dyn Write,
    doc: &WorkloadsDoc<P>,
) -> io::Result<()> {
    let head = serde_json::to_vec_pretty(&Head {
        json_schema: doc.json_schema,
        schema: doc.schema,
        input: &doc.input,
        asked: &doc.asked,
        workloads: &doc.workloads,
        summary: &doc.summary,
    })
    .map_err(io::Error::other)?;
    // The head without its closing brace, then the pairs and findings.
    out.write_all(&head[..head.len() - 2])?;
    out.write_all(b",\n  \"pairs\": [")?;
    let mut first = true;
    // One buffer per task, kept from batch to batch.
    let mut laid: Vec<Vec<u8>> = Vec::new();
    doc.pairs.each_batch(&mut |batch| {
        let tasks = batch.len().div_ceil(PAIRS_PER_TASK);
        if laid.len() < tasks {
            laid.resize_with(tasks, Vec::new);
        }
        laid[..tasks]
            .par_iter_mut()
            .zip(batch.par_chunks(PAIRS_PER_TASK))
            .try_for_each(|(buf, pairs)| {
                buf.clear();
                for p in pairs {
                    buf.extend_from_slice(b",\n    ");
                    nested(buf, p, 2)?;
                }
                Ok::<(), io::Error>(())
            })?;
        for buf in &laid[..tasks] {
            // The first pair follows the bracket, without a comma.
            out.write_all(if first { &buf[1..] } else { buf })?;
            first = false;
        }
        Ok(())
    })?;
    out.write_all(if first { b"]" } else { b"\n  ]" })?;
    out.write_all(b",\n  \"findings\": ")?;
    let mut findings = Vec::new();
    nested(&mut findings, &doc.findings, 1)?;
    out.write_all(&findings)?;
    out.write_all(b"\n}\n")
}

fn verdict_text(v: Verdict, st: Styles) -> String {
    st.paint(st.verdict(v), v.as_str()).to_string()
}

/// The terminal table: the workloads, then one line per pair with what
/// opens, the ports served and why the rest does not.
pub fn write_table<P: WorkloadPairSource>(
    out: &mut dyn Write,
    doc: &WorkloadsDoc<P>,
    st: Styles,
) -> io::Result<()> {
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
    let mut first = true;
    doc.pairs.each_batch(&mut |batch| {
        if first {
            writeln!(out)?;
            first = false;
        }
        let lines: Vec<io::Result<Vec<u8>>> = batch.par_iter().map(|p| pair_lines(p, st)).collect();
        for l in lines {
            out.write_all(&l?)?;
        }
        Ok(())
    })?;
    if !doc.findings.is_empty() {
        writeln!(out)?;
        writeln!(out, "Findings:")?;
        for f in &doc.findings {
            writeln!(out, "  {} {}: {}", f.code, f.resource, f.message)?;
        }
    }
    Ok(())
}

/// One pair's lines of the terminal table: the verdict and what opens,
/// the served ports, the reasons.
fn pair_lines(p: &WorkloadPairOut, st: Styles) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
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
    Ok(out)
}

/// The workload diff (`diff --workloads`) as its reporters read it.
#[derive(Debug, Clone, Copy)]
pub struct WorkloadDiffDoc<'a> {
    pub before: &'a InputInfo,
    pub after: &'a InputInfo,
    /// The traffic asked about (`all traffic`, `tcp 22`).
    pub asked: &'a str,
    pub diff: &'a WorkloadDiff,
    /// Markdown: at most this many characters.
    pub max_chars: usize,
}

#[derive(Serialize)]
struct DiffSummaryOut<'a> {
    before: &'a Summary,
    after: &'a Summary,
    changes: usize,
    kinds: std::collections::BTreeMap<&'static str, usize>,
}

#[derive(Serialize)]
struct DiffOut<'a> {
    #[serde(rename = "$schema")]
    json_schema: &'static str,
    schema: &'static str,
    before: &'a InputInfo,
    after: &'a InputInfo,
    asked: &'a str,
    summary: DiffSummaryOut<'a>,
    changes: &'a [WorkloadChange],
    workloads_added: &'a [String],
    workloads_removed: &'a [String],
    findings_introduced: &'a [Finding],
    findings_removed: &'a [Finding],
}

/// The workload diff as JSON (`tfreach/workload-diff/v1`).
pub fn write_diff_json(out: &mut dyn Write, doc: &WorkloadDiffDoc) -> io::Result<()> {
    let d = doc.diff;
    let body = DiffOut {
        json_schema: super::schema_id::WORKLOAD_DIFF,
        schema: "tfreach/workload-diff/v1",
        before: doc.before,
        after: doc.after,
        asked: doc.asked,
        summary: DiffSummaryOut {
            before: &d.before,
            after: &d.after,
            changes: d.changes.len(),
            kinds: d
                .counts()
                .into_iter()
                .map(|(k, n)| (k.as_str(), n))
                .collect(),
        },
        changes: &d.changes,
        workloads_added: &d.workloads_added,
        workloads_removed: &d.workloads_removed,
        findings_introduced: &d.findings_introduced,
        findings_removed: &d.findings_removed,
    };
    serde_json::to_writer_pretty(&mut *out, &body).map_err(io::Error::other)?;
    writeln!(out)
}

/// What changes on a pair, in words: the verdict, what opens, what closes.
fn change_words(c: &WorkloadChange) -> String {
    let mut parts = Vec::new();
    if c.before != c.after {
        parts.push(format!("{} -> {}", c.before, c.after));
    } else {
        parts.push(format!("still {}", c.after));
    }
    if let Some(o) = &c.opens {
        parts.push(format!("opens {o}"));
    }
    if let Some(x) = &c.closes {
        parts.push(format!("closes {x}"));
    }
    parts.join("; ")
}

/// A kind's heading, for workload pairs: `diff`'s, with workloads where
/// it speaks of subnets.
fn title(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Added => "New workload, no path",
        ChangeKind::Removed => "Workload removed",
        k => k.title(),
    }
}

fn headline(d: &WorkloadDiff) -> String {
    if d.changes.is_empty() {
        return "No workload pair changes.".to_string();
    }
    let kinds: Vec<String> = d
        .counts()
        .iter()
        .map(|(k, n)| format!("{n} {}", title(*k).to_lowercase()))
        .collect();
    format!(
        "{} workload pair(s) change: {}",
        d.changes.len(),
        kinds.join(", ")
    )
}

/// The workload diff for the terminal: the changes kind by kind, the most
/// alarming first, each with its ports and the new side's reasons.
pub fn write_diff_table(out: &mut dyn Write, doc: &WorkloadDiffDoc, st: Styles) -> io::Result<()> {
    let d = doc.diff;
    writeln!(out, "before: {}", term(&describe_input(doc.before)))?;
    writeln!(out, "after:  {}", term(&describe_input(doc.after)))?;
    writeln!(
        out,
        "{} -> {} workload pairs ({}); {} workload(s) added, {} removed",
        d.before.pairs,
        d.after.pairs,
        doc.asked,
        d.workloads_added.len(),
        d.workloads_removed.len()
    )?;
    writeln!(out, "{}", headline(d))?;
    for kind in ChangeKind::ALL {
        let list: Vec<&WorkloadChange> = d.changes.iter().filter(|c| c.kind == kind).collect();
        if list.is_empty() {
            continue;
        }
        writeln!(out)?;
        writeln!(out, "{}", st.paint(st.heading(), title(kind)))?;
        for c in list {
            writeln!(
                out,
                "  {} -> {}: {}",
                term(&c.from),
                term(&c.to),
                change_words(c)
            )?;
            for p in &c.ports {
                writeln!(
                    out,
                    "      {} {} ({}): {} -> {}",
                    p.protocol,
                    p.port,
                    term(&p.resource),
                    p.before,
                    p.after
                )?;
            }
            for r in &c.reasons {
                writeln!(
                    out,
                    "      {} {}: {}",
                    r.code,
                    term(r.resource.as_deref().unwrap_or("-")),
                    term(&r.message)
                )?;
            }
        }
    }
    for (title, list) in [
        ("Findings introduced", &d.findings_introduced),
        ("Findings removed", &d.findings_removed),
    ] {
        if list.is_empty() {
            continue;
        }
        writeln!(out)?;
        writeln!(out, "{title}:")?;
        for f in list {
            writeln!(
                out,
                "  {} {}: {}",
                f.code,
                term(&f.resource),
                term(&f.message)
            )?;
        }
    }
    Ok(())
}

/// The workload diff as a pull-request comment: the pairs newly exposed to
/// the internet first, then each kind in [`ChangeKind::ALL`] order, within
/// `doc.max_chars` (fewer rows per kind until it fits).
pub fn write_diff_markdown(out: &mut dyn Write, doc: &WorkloadDiffDoc) -> io::Result<()> {
    let mut text = String::new();
    for rows in [None, Some(50), Some(10), Some(3), Some(0)] {
        text = diff_markdown(doc, rows);
        if text.chars().count() <= doc.max_chars {
            break;
        }
    }
    out.write_all(text.as_bytes())
}

fn diff_markdown(doc: &WorkloadDiffDoc, rows: Option<usize>) -> String {
    use std::fmt::Write as _;
    let d = doc.diff;
    let mut s = String::new();
    let _ = writeln!(s, "## tfreach: workload reachability changes\n");
    let _ = writeln!(
        s,
        "{} → {} ({})\n",
        code(&describe_input(doc.before)),
        code(&describe_input(doc.after)),
        code(doc.asked)
    );
    let _ = writeln!(
        s,
        "**{}** Workloads: {} added, {} removed. Findings: {} introduced, {} removed.\n",
        headline(d),
        d.workloads_added.len(),
        d.workloads_removed.len(),
        d.findings_introduced.len(),
        d.findings_removed.len()
    );
    for kind in ChangeKind::ALL {
        let list: Vec<&WorkloadChange> = d.changes.iter().filter(|c| c.kind == kind).collect();
        if list.is_empty() {
            continue;
        }
        let shown = rows.unwrap_or(list.len()).min(list.len());
        let _ = writeln!(s, "### {} ({})\n", title(kind), list.len());
        if shown > 0 {
            let _ = writeln!(
                s,
                "| From | To | Before | After | Opens | Closes | Ports | Why (new side) |"
            );
            let _ = writeln!(s, "|---|---|---|---|---|---|---|---|");
        }
        for c in &list[..shown] {
            let opt = |x: &Option<String>| x.as_deref().map(cell).unwrap_or_default();
            let ports: Vec<String> = c
                .ports
                .iter()
                .map(|p| {
                    cell(&format!(
                        "{} {}: {} → {}",
                        p.protocol, p.port, p.before, p.after
                    ))
                })
                .collect();
            let why: Vec<String> = c
                .reasons
                .iter()
                .map(|r| format!("`{}` {}", r.code, cell(&r.message)))
                .collect();
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                cell(&c.from),
                cell(&c.to),
                c.before,
                c.after,
                opt(&c.opens),
                opt(&c.closes),
                ports.join("<br>"),
                why.join("<br>")
            );
        }
        if shown < list.len() {
            let _ = writeln!(
                s,
                "\n*{} more not shown; `tfreach diff --workloads --format table` lists every pair.*",
                list.len() - shown
            );
        }
        let _ = writeln!(s);
    }
    for (title, list) in [
        ("Findings introduced", &d.findings_introduced),
        ("Findings removed", &d.findings_removed),
    ] {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(s, "### {title}\n");
        let shown = rows.unwrap_or(list.len()).min(list.len());
        for f in &list[..shown] {
            let _ = writeln!(
                s,
                "- **{}** `{}` on {}: {}",
                f.severity.as_str(),
                f.code,
                code(&f.resource),
                code(&f.message)
            );
        }
        if shown < list.len() {
            let _ = writeln!(s, "- *{} more not shown.*", list.len() - shown);
        }
        let _ = writeln!(s);
    }
    s
}
