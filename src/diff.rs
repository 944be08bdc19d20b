//! Two analyses in, the changes between them out.
//!
//! [`diff`] compares the verdicts of every ordered pair of subnets in an
//! old and a new analysis (a plan's prior state and its planned values, or
//! two documents) and keeps exactly the pairs whose verdict differs. A
//! subnet that exists on one side only has the verdict `absent` on the
//! other. Reasons come from the new side: they say why the pair is what it
//! becomes. Findings are compared as whole records (code, resource and
//! message): the ones only the new side has are introduced, the ones only
//! the old side has are removed.
//!
//! Each side is read through a [`Lookup`]: from the pairs its analysis
//! lists, or from its classes and model, in which case nothing of the size
//! of all pairs is held and the cost follows the number of classes and of
//! changes, not of pairs.

use foldhash::HashMap;
use std::collections::BTreeSet;

use serde::{Serialize, Serializer};

use rayon::prelude::*;

use crate::analysis::endpoints::EndpointPair;
use crate::analysis::internet::INTERNET;
use crate::analysis::lookup::{by_group, group_in_order};
use crate::analysis::{address_order, Analysis, Lookup, SubnetInfo, Summary};
use crate::report::{Finding, Reason, Verdict};

/// The verdict of a pair on one side of a diff: a verdict, or `absent`
/// when one of the two subnets does not exist on that side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    Absent,
    Is(Verdict),
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Absent => "absent",
            Status::Is(v) => v.as_str(),
        }
    }

    /// True when traffic from the source arrives at the destination (a
    /// forward path delivers), replies or not.
    pub fn delivers(self) -> bool {
        matches!(
            self,
            Status::Is(Verdict::Reachable | Verdict::Partial | Verdict::OneWay)
        )
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Status {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// What a change means for a reviewer. Each change has exactly one kind,
/// decided by the new verdict first and the old one second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// A connection from the internet to a subnet starts to work: the plan
    /// exposes the subnet's instances.
    Exposes,
    /// Now `reachable` or `partial`, and before neither (blocked, one-way,
    /// unknown or absent): connections start to work.
    Opens,
    /// Before `reachable` or `partial` (or one-way, unknown), now `blocked`.
    Closes,
    /// Now `one_way`: requests arrive, replies are lost.
    OneWay,
    /// `reachable` before, `partial` after: part of the address space stops
    /// getting replies.
    Narrows,
    /// `partial` before, `reachable` after.
    Widens,
    /// Now `unknown`: the plan makes the verdict depend on values known
    /// only after apply.
    Unknown,
    /// A subnet's connections to the internet stop working (they worked,
    /// in full or in part, and now do not).
    LosesEgress,
    /// A subnet that is new, and the pair is `blocked`.
    Added,
    /// A subnet that goes away.
    Removed,
}

impl ChangeKind {
    /// In the order reports show them: the most alarming first.
    pub const ALL: [ChangeKind; 10] = [
        ChangeKind::Exposes,
        ChangeKind::Opens,
        ChangeKind::OneWay,
        ChangeKind::LosesEgress,
        ChangeKind::Closes,
        ChangeKind::Narrows,
        ChangeKind::Widens,
        ChangeKind::Unknown,
        ChangeKind::Added,
        ChangeKind::Removed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Exposes => "exposes",
            ChangeKind::Opens => "opens",
            ChangeKind::LosesEgress => "loses_egress",
            ChangeKind::Closes => "closes",
            ChangeKind::OneWay => "one_way",
            ChangeKind::Narrows => "narrows",
            ChangeKind::Widens => "widens",
            ChangeKind::Unknown => "unknown",
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
        }
    }

    /// A heading for reports.
    pub fn title(self) -> &'static str {
        match self {
            ChangeKind::Exposes => "Exposes to the internet",
            ChangeKind::Opens => "Opens",
            ChangeKind::LosesEgress => "Loses internet egress",
            ChangeKind::Closes => "Closes",
            ChangeKind::OneWay => "Becomes one-way",
            ChangeKind::Narrows => "Narrows to partial",
            ChangeKind::Widens => "Widens to reachable",
            ChangeKind::Unknown => "Becomes unknown",
            ChangeKind::Added => "New subnet, no path",
            ChangeKind::Removed => "Subnet removed",
        }
    }

    /// Classifies a change from `before` to `after` (which differ).
    pub fn of(before: Status, after: Status) -> ChangeKind {
        use Verdict as V;
        match after {
            Status::Absent => ChangeKind::Removed,
            Status::Is(V::Unknown) => ChangeKind::Unknown,
            Status::Is(V::OneWay) => ChangeKind::OneWay,
            Status::Is(V::Blocked) if before == Status::Absent => ChangeKind::Added,
            Status::Is(V::Blocked) => ChangeKind::Closes,
            Status::Is(V::Partial) if before == Status::Is(V::Reachable) => ChangeKind::Narrows,
            Status::Is(V::Reachable) if before == Status::Is(V::Partial) => ChangeKind::Widens,
            Status::Is(V::Partial | V::Reachable) => ChangeKind::Opens,
        }
    }

    /// Classifies a change of a pair between a subnet and an endpoint:
    /// [`ChangeKind::of`], except that a connection from the internet that
    /// opens exposes the subnet, and one to the internet that stops
    /// working loses the subnet its egress.
    pub fn of_endpoint_pair(before: Status, after: Status, from: &str, to: &str) -> ChangeKind {
        use Verdict as V;
        let kind = ChangeKind::of(before, after);
        let worked = matches!(before, Status::Is(V::Reachable | V::Partial));
        let works = matches!(after, Status::Is(V::Reachable | V::Partial));
        match kind {
            ChangeKind::Opens if from == INTERNET => ChangeKind::Exposes,
            _ if to == INTERNET && worked && !works && after != Status::Absent => {
                ChangeKind::LosesEgress
            }
            k => k,
        }
    }
}

/// One ordered pair whose verdict differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub from: String,
    pub to: String,
    /// The VPC of each subnet (new side when it exists there, else old);
    /// an endpoint's own name for an endpoint.
    pub from_vpc: Option<String>,
    pub to_vpc: Option<String>,
    pub before: Status,
    pub after: Status,
    pub kind: ChangeKind,
    /// Why the pair is what it becomes (the new side's reasons; empty when
    /// it becomes `reachable` or `absent`).
    pub reasons: Vec<Reason>,
}

/// The changes between two analyses.
#[derive(Debug, Clone, Default)]
pub struct Diff {
    /// Sorted by (from, to) in address order.
    pub changes: Vec<Change>,
    /// Findings on the new side only.
    pub findings_introduced: Vec<Finding>,
    /// Findings on the old side only.
    pub findings_removed: Vec<Finding>,
    /// Subnets on the new side only, in address order.
    pub subnets_added: Vec<SubnetInfo>,
    /// Subnets on the old side only, in address order.
    pub subnets_removed: Vec<SubnetInfo>,
    pub before: Summary,
    pub after: Summary,
}

/// How many of `kinds` there are of each kind, in [`ChangeKind::ALL`]
/// order, leaving out kinds with none.
pub(crate) fn count_kinds(kinds: impl Iterator<Item = ChangeKind>) -> Vec<(ChangeKind, usize)> {
    let mut n = [0usize; ChangeKind::ALL.len()];
    for k in kinds {
        if let Some(i) = ChangeKind::ALL.iter().position(|&x| x == k) {
            n[i] += 1;
        }
    }
    ChangeKind::ALL
        .into_iter()
        .zip(n)
        .filter(|(_, n)| *n > 0)
        .collect()
}

impl Diff {
    /// How many changes there are of each kind, in [`ChangeKind::ALL`]
    /// order, leaving out kinds with none.
    pub fn counts(&self) -> Vec<(ChangeKind, usize)> {
        count_kinds(self.changes.iter().map(|c| c.kind))
    }

    /// True when nothing changed: no verdict and no finding.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
            && self.findings_introduced.is_empty()
            && self.findings_removed.is_empty()
    }
}

/// A subnet's group on the old side (none when it is new) and on the new.
type JointKey = (Option<usize>, usize);

/// The change of pair (s, d), subnets of `side`, from `before` to `after`.
fn change(
    side: &Analysis,
    (s, d): (usize, usize),
    before: Status,
    after: Status,
    reasons: Vec<Reason>,
) -> Change {
    Change {
        from: side.subnets[s].address.clone(),
        to: side.subnets[d].address.clone(),
        from_vpc: side.subnets[s].vpc.clone(),
        to_vpc: side.subnets[d].vpc.clone(),
        before,
        after,
        kind: ChangeKind::of(before, after),
        reasons,
    }
}

/// Compares two analyses, each through a [`Lookup`]: listed pairs, or
/// classes and the model. The new side's subnets are grouped by their pair
/// of groups (old, new); every two such joint groups hold pairs with one
/// verdict before and one after, so each is compared once, and only the
/// pairs of joint groups whose verdict changes are listed one by one.
///
/// # Panics
///
/// When a side built with [`Lookup::listed`] does not list every pair.
pub fn diff(old_side: &Lookup, new_side: &Lookup) -> Diff {
    let (old, new) = (old_side.analysis, new_side.analysis);
    let old_index: HashMap<&str, usize> = old
        .subnets
        .iter()
        .enumerate()
        .map(|(i, s)| (s.address.as_str(), i))
        .collect();
    let new_index: HashMap<&str, usize> = new
        .subnets
        .iter()
        .enumerate()
        .map(|(i, s)| (s.address.as_str(), i))
        .collect();
    // For each new subnet, its index on the old side.
    let to_old: Vec<Option<usize>> = new
        .subnets
        .iter()
        .map(|s| old_index.get(s.address.as_str()).copied())
        .collect();
    // Joint groups: (old group, new group) -> new subnets, in order of
    // their first subnet.
    let joints: Vec<(JointKey, Vec<usize>)> = group_in_order(0..new.subnets.len(), |i| {
        (
            to_old[i].map(|o| old_side.group_of(o)),
            new_side.group_of(i),
        )
    });
    let mut changes: Vec<Change> = joints
        .par_iter()
        .flat_map_iter(|((old_g, new_g), from)| {
            let after_row = new_side.row(*new_g);
            let before_row = old_g.map(|g| old_side.row(g));
            let mut out = Vec::new();
            for ((old_h, new_h), to) in &joints {
                let Some(after) = after_row[*new_h] else {
                    continue;
                };
                let before = match (&before_row, old_h) {
                    (Some(row), Some(h)) => match row[*h] {
                        Some(v) => Status::Is(v),
                        None => continue, // one old subnet on both sides: no pair
                    },
                    _ => Status::Absent,
                };
                if before == Status::Is(after) {
                    continue;
                }
                new_side.each_pair_between((*new_g, from), (*new_h, to), &mut |p| {
                    let after = Status::Is(p.verdict);
                    out.push(change(new, (p.from, p.to), before, after, p.reasons));
                });
            }
            out
        })
        .collect();
    // Pairs with a subnet that only the old side has.
    let gone: Vec<bool> = old
        .subnets
        .iter()
        .map(|s| !new_index.contains_key(s.address.as_str()))
        .collect();
    if gone.contains(&true) {
        let all_old: Vec<usize> = (0..old.subnets.len()).collect();
        let groups = by_group(old_side, &all_old);
        let has_gone: Vec<bool> = groups
            .iter()
            .map(|(_, m)| m.iter().any(|&i| gone[i]))
            .collect();
        for (k, (g, from)) in groups.iter().enumerate() {
            let row = old_side.row(*g);
            for (l, (h, to)) in groups.iter().enumerate() {
                if !(has_gone[k] || has_gone[l]) {
                    continue;
                }
                let Some(v) = row[*h] else { continue };
                for &s in from {
                    for &d in to.iter().filter(|&&d| d != s && (gone[s] || gone[d])) {
                        let before = Status::Is(v);
                        changes.push(change(old, (s, d), before, Status::Absent, Vec::new()));
                    }
                }
            }
        }
    }
    changes
        .sort_by(|a, b| address_order(&a.from, &b.from).then_with(|| address_order(&a.to, &b.to)));
    changes.extend(endpoint_changes(old, new));

    let old_findings: BTreeSet<&Finding> = old.findings.iter().collect();
    let new_findings: BTreeSet<&Finding> = new.findings.iter().collect();
    Diff {
        changes,
        findings_introduced: new_findings
            .difference(&old_findings)
            .map(|f| (*f).clone())
            .collect(),
        findings_removed: old_findings
            .difference(&new_findings)
            .map(|f| (*f).clone())
            .collect(),
        subnets_added: new
            .subnets
            .iter()
            .zip(&to_old)
            .filter(|(_, o)| o.is_none())
            .map(|(s, _)| s.clone())
            .collect(),
        subnets_removed: old
            .subnets
            .iter()
            .zip(&gone)
            .filter(|(_, g)| **g)
            .map(|(s, _)| s.clone())
            .collect(),
        before: old.total_summary(),
        after: new.total_summary(),
    }
}

/// The pairs between subnets and endpoints beyond them (the internet)
/// whose verdict differs, in the new side's order (then the old side's
/// pairs that are gone): there are two per subnet and endpoint, so they
/// are compared one by one.
fn endpoint_changes(old: &Analysis, new: &Analysis) -> Vec<Change> {
    let key = |p: &EndpointPair| (p.from.clone(), p.to.clone());
    let before: HashMap<(String, String), &EndpointPair> =
        old.endpoints.iter().map(|p| (key(p), p)).collect();
    let after: HashMap<(String, String), &EndpointPair> =
        new.endpoints.iter().map(|p| (key(p), p)).collect();
    // An endpoint stands for itself where subnets show their VPC.
    let vpc_of = |name: &str| {
        if new
            .endpoint_list
            .iter()
            .chain(&old.endpoint_list)
            .any(|e| e.name == name)
        {
            return Some(name.to_string());
        }
        new.subnets
            .iter()
            .chain(&old.subnets)
            .find(|s| s.address == name)
            .and_then(|s| s.vpc.clone())
    };
    let change = |p: &EndpointPair, before: Status, after: Status, reasons: Vec<Reason>| Change {
        from: p.from.clone(),
        to: p.to.clone(),
        from_vpc: vpc_of(&p.from),
        to_vpc: vpc_of(&p.to),
        before,
        after,
        kind: ChangeKind::of_endpoint_pair(before, after, &p.from, &p.to),
        reasons,
    };
    let mut out = Vec::new();
    for p in &new.endpoints {
        let was = before
            .get(&key(p))
            .map_or(Status::Absent, |o| Status::Is(o.verdict));
        if was != Status::Is(p.verdict) {
            out.push(change(p, was, Status::Is(p.verdict), p.reasons.clone()));
        }
    }
    for p in old
        .endpoints
        .iter()
        .filter(|p| !after.contains_key(&key(p)))
    {
        out.push(change(p, Status::Is(p.verdict), Status::Absent, Vec::new()));
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::analysis::lookup::pair_position;
    use crate::analysis::{Analysis, PairResult};

    fn diff(old: &Analysis, new: &Analysis) -> Diff {
        super::diff(&Lookup::listed(old), &Lookup::listed(new))
    }

    fn subnet(a: &str, vpc: &str) -> SubnetInfo {
        SubnetInfo {
            address: a.into(),
            vpc: Some(vpc.into()),
            cidr: None,
            ipv6_cidr: None,
            availability_zone: None,
        }
    }

    /// The analysis of an empty plan: every field there is, none filled.
    pub(crate) fn blank() -> Analysis {
        let plan = br#"{"format_version":"1.2","planned_values":{"root_module":{}},"resource_changes":[]}"#;
        let doc = crate::ingest::parse(plan, "empty.json").unwrap();
        crate::analyze_document(
            &doc,
            crate::ingest::View::Planned,
            &crate::analysis::Options::default(),
        )
    }

    /// An analysis of the named subnets where `verdict(from, to)` decides.
    fn analysis(names: &[&str], verdict: impl Fn(&str, &str) -> Verdict) -> Analysis {
        let subnets: Vec<_> = names.iter().map(|n| subnet(n, "aws_vpc.v")).collect();
        let mut pairs = Vec::new();
        let mut summary = Summary::default();
        for i in 0..names.len() {
            for j in 0..names.len() {
                if i != j {
                    let v = verdict(names[i], names[j]);
                    summary.add(v, 1);
                    pairs.push(PairResult {
                        traffic: None,
                        from: i,
                        to: j,
                        verdict: v,
                        reasons: Vec::new(),
                    });
                }
            }
        }
        let mut a = blank();
        a.model_index = (0..names.len()).collect();
        a.subnets = subnets;
        a.pairs = pairs;
        a.summary = summary;
        a
    }

    #[test]
    fn pair_positions_follow_the_sorted_list() {
        let n = 4;
        let mut k = 0;
        for i in 0..n {
            for j in 0..n {
                if i != j {
                    assert_eq!(pair_position(n, i, j), k);
                    k += 1;
                }
            }
        }
    }

    #[test]
    fn only_changed_pairs_are_listed() {
        let old = analysis(&["a", "b", "c"], |_, _| Verdict::Reachable);
        let new = analysis(&["a", "b", "c"], |f, t| {
            if (f, t) == ("a", "c") {
                Verdict::OneWay
            } else {
                Verdict::Reachable
            }
        });
        let d = diff(&old, &new);
        assert_eq!(d.changes.len(), 1);
        let c = &d.changes[0];
        assert_eq!((c.from.as_str(), c.to.as_str()), ("a", "c"));
        assert_eq!(c.kind, ChangeKind::OneWay);
        assert!(diff(&new, &new).is_empty());
    }

    #[test]
    fn a_subnet_on_one_side_is_absent_on_the_other() {
        let old = analysis(&["a", "b"], |_, _| Verdict::Reachable);
        let new = analysis(&["a", "c"], |_, _| Verdict::Blocked);
        let d = diff(&old, &new);
        let got: Vec<_> = d
            .changes
            .iter()
            .map(|c| (c.from.as_str(), c.to.as_str(), c.before, c.after, c.kind))
            .collect();
        let r = Status::Is(Verdict::Reachable);
        let b = Status::Is(Verdict::Blocked);
        assert_eq!(
            got,
            vec![
                ("a", "b", r, Status::Absent, ChangeKind::Removed),
                ("a", "c", Status::Absent, b, ChangeKind::Added),
                ("b", "a", r, Status::Absent, ChangeKind::Removed),
                ("c", "a", Status::Absent, b, ChangeKind::Added),
            ]
        );
        assert_eq!(d.subnets_added[0].address, "c");
        assert_eq!(d.subnets_removed[0].address, "b");
    }

    #[test]
    fn kinds_follow_the_new_verdict_first() {
        use Verdict as V;
        let k = |b, a| ChangeKind::of(b, a);
        let is = Status::Is;
        assert_eq!(k(is(V::Blocked), is(V::Reachable)), ChangeKind::Opens);
        assert_eq!(k(Status::Absent, is(V::Reachable)), ChangeKind::Opens);
        assert_eq!(k(is(V::OneWay), is(V::Partial)), ChangeKind::Opens);
        assert_eq!(k(is(V::Reachable), is(V::Partial)), ChangeKind::Narrows);
        assert_eq!(k(is(V::Partial), is(V::Reachable)), ChangeKind::Widens);
        assert_eq!(k(is(V::Reachable), is(V::OneWay)), ChangeKind::OneWay);
        assert_eq!(k(is(V::Reachable), is(V::Blocked)), ChangeKind::Closes);
        assert_eq!(k(is(V::Reachable), is(V::Unknown)), ChangeKind::Unknown);
        assert_eq!(k(is(V::Blocked), Status::Absent), ChangeKind::Removed);
    }

    #[test]
    #[should_panic(expected = "PairsFilter::All")]
    fn a_filtered_analysis_is_refused() {
        let mut a = analysis(&["a", "b"], |_, _| Verdict::Reachable);
        a.pairs.clear();
        diff(&a, &a);
    }
}
