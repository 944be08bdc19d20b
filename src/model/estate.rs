//! Several documents read as one estate.
//!
//! The resources of every document go into one list, in document order,
//! each address prefixed with its document's label (`network:aws_vpc.hub`).
//! References through a document's `configuration` resolve within that
//! document (each keeps its own module tree, variables and instance index);
//! links by AWS ID go across documents, since the ID index is built over the
//! whole list.
//!
//! The same object seen in two documents is one resource: a data source and
//! a managed resource with the same ID keep the managed one, and the same
//! state given twice keeps the first document's. Two documents that manage
//! one ID with different values are a finding (`CONFLICTING_DOCUMENTS`), and
//! the first document's values are kept. Within one document nothing
//! changes: it is read as it would be alone.

use foldhash::{HashMap, HashMapExt};
use std::collections::hash_map::Entry;
use std::sync::OnceLock;

use super::build::{own_id_attrs, run, str_attr, Linker, Part};
use super::build::{RT_TYPES, SUBNET_TYPES, VPC_TYPES};
use super::{Built, Finding};
use crate::codes;
use crate::ingest::{Document, Mode, RawResource, View};

/// Builds one model from one view of several documents, each named by its
/// label (unique; the prefix of its resources' addresses). With one
/// document this is [`build`](fn@super::build): no label, addresses as the
/// document prints them.
pub fn build_many(docs: &[(&str, &Document)], view: View) -> Built {
    let docs: Vec<(&str, &Document, View)> = docs.iter().map(|(l, d)| (*l, *d, view)).collect();
    build_views(&docs)
}

/// [`build_many`] with a view per document: `diff` reads the plan under
/// review in its prior view on one side and its planned view on the
/// other, and the rest of the estate in one view on both.
pub fn build_views(docs: &[(&str, &Document, View)]) -> Built {
    if let [(_, doc, view)] = docs {
        return super::build(doc, *view);
    }
    let merged = merge(docs);
    let parts = docs
        .iter()
        .zip(merged.parts)
        .map(|((_, doc, view), (range, global))| Part {
            doc,
            view: *view,
            range,
            index: OnceLock::new(),
            global: Some(global),
        })
        .collect();
    run(
        Linker::over(&merged.raw, parts, merged.deleted),
        merged.findings,
    )
}

/// The documents' resources in one list.
struct Merged {
    raw: Vec<RawResource>,
    /// Per document: where its resources sit in `raw`, and the index in
    /// `raw` of each of its resources (the one kept, for one seen twice).
    parts: Vec<(std::ops::Range<usize>, Vec<usize>)>,
    /// IDs of the objects a plan deletes, with their labelled addresses.
    deleted: HashMap<String, String>,
    findings: Vec<Finding>,
}

/// What object a resource is, to tell the same object seen twice: the kind
/// (a managed resource and a data source of one type, or `aws_vpc` and
/// `aws_default_vpc`, read the same kind of object) and its AWS ID. A
/// peering and its accepter share an ID but are different resources, so
/// the kind is the type apart from VPCs, subnets and route tables.
fn identity(r: &RawResource) -> Option<(&str, &str)> {
    let t = r.rtype.as_str();
    let kind = if VPC_TYPES.contains(&t) {
        "vpc"
    } else if SUBNET_TYPES.contains(&t) {
        "subnet"
    } else if RT_TYPES.contains(&t) {
        "route_table"
    } else {
        t
    };
    own_id_attrs(t)
        .into_iter()
        .find_map(|a| str_attr(&r.values, a))
        .map(|id| (kind, id))
}

/// Puts the documents' resources in one list, the same object once.
fn merge(docs: &[(&str, &Document, View)]) -> Merged {
    let views: Vec<&[RawResource]> = docs
        .iter()
        .map(|(_, d, view)| &d.view(*view).resources[..])
        .collect();
    let label = |d: usize, r: &RawResource| format!("{}:{}", docs[d].0, r.address);
    // The first holder of each object: managed resources first, in
    // document order, then data sources, so a data source that reads an
    // object another document manages gives way to it.
    let mut first: HashMap<(&str, &str), (usize, usize)> = HashMap::new();
    let mut same: Vec<((usize, usize), (usize, usize))> = Vec::new();
    let mut findings = Vec::new();
    for mode in [Mode::Managed, Mode::Data] {
        for (d, res) in views.iter().enumerate() {
            for (j, r) in res.iter().enumerate().filter(|(_, r)| r.mode == mode) {
                let Some(key) = identity(r) else { continue };
                match first.entry(key) {
                    Entry::Vacant(e) => {
                        e.insert((d, j));
                    }
                    // Within one document, as it would be read alone.
                    Entry::Occupied(e) if e.get().0 == d => {}
                    Entry::Occupied(e) => {
                        let (d0, j0) = *e.get();
                        let kept = &views[d0][j0];
                        if mode == Mode::Managed && kept.values != r.values {
                            findings.push(Finding::new(
                                codes::CONFLICTING_DOCUMENTS,
                                label(d0, kept),
                                format!(
                                    "{} and {} manage the same object {} with different values \
                                     (one document is out of date, or two configurations manage \
                                     one object); tfreach keeps {} and leaves {} out",
                                    label(d0, kept),
                                    label(d, r),
                                    key.1,
                                    label(d0, kept),
                                    label(d, r)
                                ),
                            ));
                        }
                        same.push(((d, j), (d0, j0)));
                    }
                }
            }
        }
    }
    let dropped: foldhash::HashSet<(usize, usize)> = same.iter().map(|(at, _)| *at).collect();
    let mut raw = Vec::with_capacity(views.iter().map(|v| v.len()).sum());
    let mut parts = Vec::with_capacity(views.len());
    for (d, res) in views.iter().enumerate() {
        let start = raw.len();
        let mut global = vec![usize::MAX; res.len()];
        for (j, r) in res.iter().enumerate() {
            if dropped.contains(&(d, j)) {
                continue;
            }
            global[j] = raw.len();
            raw.push(RawResource {
                address: label(d, r),
                ..r.clone()
            });
        }
        parts.push((start..raw.len(), global));
    }
    // The resource kept for each one left out is never itself left out.
    for ((d, j), (d0, j0)) in same {
        parts[d].1[j] = parts[d0].1[j0];
    }
    let mut deleted = HashMap::new();
    for (d, (_, doc, view)) in docs.iter().enumerate() {
        for r in &doc.view(*view).deleted {
            if let Some(id) = str_attr(&r.values, "id") {
                deleted.entry(id.to_string()).or_insert_with(|| label(d, r));
            }
        }
    }
    Merged {
        raw,
        parts,
        deleted,
        findings,
    }
}
