//! Two workloads documents in, the workload pairs whose answer changes out.
//!
//! [`diff`] compares the pairs of an old and a new [`WorkloadsDoc`] (a
//! plan's prior state and its planned values) by their two addresses. A
//! pair is listed when its verdict changes, when what opens on it changes
//! (a security group rule that lets tcp 22 in more, with the verdict still
//! `reachable`), or when the verdict on a port the destination serves
//! changes. A pair that exists on one side only has the verdict `absent`
//! on the other. The kinds are [`crate::diff::ChangeKind`]'s, so a
//! connection from the internet that starts to open is `exposes`; reasons
//! come from the new side. Findings of the two documents are compared as
//! whole records, as `diff` does for subnets.

use foldhash::{HashMap, HashMapExt};
use std::collections::BTreeSet;
use std::io;

use serde::Serialize;

use crate::analysis::internet::INTERNET;
use crate::analysis::{address_order, Summary};
use crate::diff::{ChangeKind, Status};
use crate::model::{Flow, FlowSet};
use crate::net::Family;
use crate::report::workloads::{
    PortOut, WorkloadInfo, WorkloadPairOut, WorkloadPairSource, WorkloadsDoc,
};
use crate::report::{Finding, Reason};

/// A served port whose verdict changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortChange {
    pub protocol: String,
    pub port: u16,
    /// The resource that says the destination serves it.
    pub resource: String,
    pub before: Status,
    pub after: Status,
}

/// One workload pair whose answer changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkloadChange {
    pub from: String,
    pub to: String,
    pub before: Status,
    pub after: Status,
    pub kind: ChangeKind,
    /// What opens now and did not before, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opens: Option<String>,
    /// What opened before and does not now, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closes: Option<String>,
    /// The served ports whose verdict changes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<PortChange>,
    /// Why the pair is what it becomes (empty when it becomes `reachable`
    /// or `absent`).
    pub reasons: Vec<Reason>,
}

/// The changes between two workloads documents.
#[derive(Debug, Clone, Default)]
pub struct WorkloadDiff {
    /// Sorted by (from, to) in address order.
    pub changes: Vec<WorkloadChange>,
    pub findings_introduced: Vec<Finding>,
    pub findings_removed: Vec<Finding>,
    /// Workloads on the new side only, in address order.
    pub workloads_added: Vec<String>,
    /// Workloads on the old side only, in address order.
    pub workloads_removed: Vec<String>,
    /// Verdict counts of the pairs on each side.
    pub before: Summary,
    pub after: Summary,
}

impl WorkloadDiff {
    /// How many changes there are of each kind, in [`ChangeKind::ALL`]
    /// order, leaving out kinds with none.
    pub fn counts(&self) -> Vec<(ChangeKind, usize)> {
        crate::diff::count_kinds(self.changes.iter().map(|c| c.kind))
    }
}

fn port_key(p: &PortOut) -> (String, u16) {
    (p.protocol.clone(), p.port)
}

fn status(p: Option<&WorkloadPairOut>) -> Status {
    p.map_or(Status::Absent, |p| Status::Is(p.verdict))
}

fn opened(p: Option<&WorkloadPairOut>) -> FlowSet {
    p.map_or_else(FlowSet::empty, |p| p.opened.clone())
}

/// Words for a set of flows, `None` when it is empty: plainly when a flow
/// is asked (`tcp 22`), else relative to every connection (`all traffic`,
/// `all traffic but tcp 22`), as the workloads document says it.
fn words(set: &FlowSet, flow: Option<&Flow>) -> Option<String> {
    if set.is_empty() {
        return None;
    }
    Some(match flow {
        Some(_) => set.describe(8),
        None => set.describe_within(FlowSet::connections_ref(Family::V4), 8),
    })
}

/// The served ports whose verdict differs between the two sides.
fn port_changes(old: Option<&WorkloadPairOut>, new: Option<&WorkloadPairOut>) -> Vec<PortChange> {
    fn ports(p: Option<&WorkloadPairOut>) -> HashMap<(String, u16), &PortOut> {
        p.map(|p| p.ports.iter().map(|q| (port_key(q), q)).collect())
            .unwrap_or_default()
    }
    let (before, after) = (ports(old), ports(new));
    let mut keys: Vec<&(String, u16)> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    let verdict =
        |q: Option<&&PortOut>| q.and_then(|q| q.verdict).map_or(Status::Absent, Status::Is);
    keys.into_iter()
        .filter_map(|k| {
            let (b, a) = (before.get(k), after.get(k));
            let (vb, va) = (verdict(b), verdict(a));
            let shown = a.or(b)?;
            (vb != va).then(|| PortChange {
                protocol: k.0.clone(),
                port: k.1,
                resource: shown.resource.clone(),
                before: vb,
                after: va,
            })
        })
        .collect()
}

/// The kind of a change: the verdict's when it changes (from the internet,
/// `exposes`; to it, `loses_egress`), else what opens or closes.
fn kind_of(from: &str, to: &str, c: &WorkloadChange) -> ChangeKind {
    if c.before != c.after {
        return ChangeKind::of_endpoint_pair(c.before, c.after, from, to);
    }
    if c.opens.is_some() {
        return if from == INTERNET {
            ChangeKind::Exposes
        } else {
            ChangeKind::Opens
        };
    }
    if c.closes.is_some() {
        return ChangeKind::Closes;
    }
    // Only a served port's verdict changes.
    c.ports
        .first()
        .map_or(ChangeKind::Unknown, |p| ChangeKind::of(p.before, p.after))
}

/// The change of one pair, `None` when nothing of it changes.
fn change(
    (from, to): (&str, &str),
    flow: Option<&Flow>,
    old: Option<&WorkloadPairOut>,
    new: Option<&WorkloadPairOut>,
) -> Option<WorkloadChange> {
    let (was, is) = (opened(old), opened(new));
    let mut c = WorkloadChange {
        from: from.to_string(),
        to: to.to_string(),
        before: status(old),
        after: status(new),
        kind: ChangeKind::Unknown,
        opens: words(&is.minus(&was), flow),
        closes: words(&was.minus(&is), flow),
        ports: port_changes(old, new),
        reasons: match new {
            Some(p) if p.verdict != crate::model::Verdict::Reachable => p.reasons.clone(),
            _ => Vec::new(),
        },
    };
    if c.before == c.after && c.opens.is_none() && c.closes.is_none() && c.ports.is_empty() {
        return None;
    }
    c.kind = kind_of(from, to, &c);
    Some(c)
}

/// Compares two workloads documents for `flow` (`None`: any traffic) pair
/// by pair (there is one pair per ordered pair of workloads, and two per
/// workload and endpoint). The pairs are read as the documents hand them
/// out: the old side's kept only as what a change reads of them (verdict,
/// what opens, served ports), the new side's compared as they come, so
/// two documents of a million pairs each are compared without being held.
pub fn diff<P: WorkloadPairSource, Q: WorkloadPairSource>(
    old: &WorkloadsDoc<P>,
    new: &WorkloadsDoc<Q>,
    flow: Option<&Flow>,
) -> io::Result<WorkloadDiff> {
    let mut before: HashMap<(String, String), WorkloadPairOut> = HashMap::new();
    old.pairs.each_batch(&mut |batch| {
        for p in batch {
            let kept = WorkloadPairOut {
                from: String::new(),
                to: String::new(),
                verdict: p.verdict,
                traffic: None,
                opened: p.opened.clone(),
                ports: p.ports.clone(),
                places: Vec::new(),
                reasons: Vec::new(),
            };
            before.insert((p.from.clone(), p.to.clone()), kept);
        }
        Ok(())
    })?;
    let mut changes = Vec::new();
    new.pairs.each_batch(&mut |batch| {
        for p in batch {
            let was = before.remove(&(p.from.clone(), p.to.clone()));
            changes.extend(change((&p.from, &p.to), flow, was.as_ref(), Some(p)));
        }
        Ok(())
    })?;
    for ((from, to), was) in &before {
        changes.extend(change((from, to), flow, Some(was), None));
    }
    changes.sort_by(|a: &WorkloadChange, b: &WorkloadChange| {
        address_order(&a.from, &b.from).then_with(|| address_order(&a.to, &b.to))
    });
    let names =
        |d: &[WorkloadInfo]| -> BTreeSet<String> { d.iter().map(|w| w.address.clone()).collect() };
    let (was, is) = (names(&old.workloads), names(&new.workloads));
    let only = |a: &BTreeSet<String>, b: &BTreeSet<String>| -> Vec<String> {
        let mut v: Vec<String> = a.difference(b).cloned().collect();
        v.sort_by(|x, y| address_order(x, y));
        v
    };
    let old_findings: BTreeSet<&Finding> = old.findings.iter().collect();
    let new_findings: BTreeSet<&Finding> = new.findings.iter().collect();
    Ok(WorkloadDiff {
        changes,
        findings_introduced: new_findings
            .difference(&old_findings)
            .map(|f| (*f).clone())
            .collect(),
        findings_removed: old_findings
            .difference(&new_findings)
            .map(|f| (*f).clone())
            .collect(),
        workloads_added: only(&is, &was),
        workloads_removed: only(&was, &is),
        before: old.summary,
        after: new.summary,
    })
}
