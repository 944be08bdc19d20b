//! Sharing work between subnets that behave alike.
//!
//! Two subnets fall in one class when every walk treats them the same: the
//! same [`Model::behaviour_key`] (VPC, route table, ...) and blocks that lie
//! in the same atom of the address space, an atom being a range that no
//! [`Model::decision_prefixes`] boundary cuts. A subnet that a boundary cuts
//! (a route more specific than the subnet) is a class of its own. The
//! verdict of a class pair is computed once on representatives and holds
//! for every member pair; reason messages, which name the subnets' blocks
//! and addresses, are rewritten for each member pair.

use foldhash::{HashMap, HashMapExt};

use rayon::prelude::*;

use crate::graph::reach::{Closure, Ranges};
use crate::model::tgw::zone_of;
use crate::model::{Model, Named};
use crate::model::{Reason, Verdict};
use crate::net::{Family, Interval, OverlapIndex, Prefix};

use super::memo;
use super::pair::evaluate_pair_flow;
use super::walk::{Detail, GoalUse, Outcome};
use super::Summary;

/// What a row of class pairs remembers from one walk to the next: per
/// family, the destination range a forward walk was dropped over having
/// read only the address, and the VPC (if any) whose subnets are excepted.
#[derive(Debug, Default)]
struct Memo {
    dropped: [Option<(crate::net::Interval, Option<usize>)>; 2],
}

/// The subnets of a model grouped into classes.
#[derive(Debug, Clone)]
pub struct Classes {
    /// Per class: the VPC of its subnets; when the forwarding graph tells
    /// where that VPC's traffic can go ([`crate::graph::reach`]), its
    /// closure: the VPCs it can enter, and the destinations for which a walk
    /// may stop on an unknown; and the span of the class's blocks.
    reach: Vec<ClassReach>,
    /// Members of each class: positions in the sorted subnet order, ascending.
    pub members: Vec<Vec<usize>>,
    /// Class of each subnet, by position in the sorted order.
    pub class_of: Vec<usize>,
    /// Per class: its members' blocks are known and no decision prefix
    /// cuts them, so every walk between two such classes holds over whole
    /// blocks (one box per address family).
    uncut: Vec<bool>,
    /// The classes in the order of their blocks (IPv4 start, then IPv6),
    /// so that destinations one walk decides come one after another.
    by_block: Vec<usize>,
    /// The classes of each VPC, in block order; `without_vpc` those whose
    /// VPC is not in the model (their walks are never shortcut).
    of_vpc: Vec<Vec<usize>>,
    without_vpc: Vec<usize>,
    /// Per family: each class's hull (the span of its members' blocks).
    hulls: [OverlapIndex<usize>; 2],
    /// Each class's place in `by_block`.
    block_rank: Vec<usize>,
    /// The number of subnets.
    subnets: u64,
    /// The one kind of traffic the verdicts are for (`None`: any).
    pub flow: Option<crate::model::Flow>,
    /// Groups of VPCs that nothing in the model tells apart (see
    /// [`super::alike`]): the counts of one member's rows stand for every
    /// member's. Empty: every VPC's rows are evaluated.
    pub alike: Vec<Vec<usize>>,
}

/// Sorted boundary points of one family: every prefix start and every
/// address just past a prefix end.
fn boundaries(prefixes: &[Prefix], family: Family) -> Vec<u128> {
    let mut b: Vec<u128> = Vec::new();
    for p in prefixes.iter().filter(|p| p.family == family) {
        b.push(p.start);
        if p.end() < family.max() {
            b.push(p.end() + 1);
        }
    }
    b.sort_unstable();
    b.dedup();
    b
}

/// The atom of a block: `Some(index)` when no boundary falls strictly
/// inside it, `None` when it is cut.
fn atom(bounds: &[u128], p: &Prefix) -> Option<usize> {
    let first_after_start = bounds.partition_point(|&b| b <= p.start);
    let cut = bounds.get(first_after_start).is_some_and(|&b| b <= p.end());
    (!cut).then_some(first_after_start)
}

impl Classes {
    /// Groups the subnets (model indices in sorted order) into classes.
    pub fn build(model: &Model, order: &[usize]) -> Classes {
        let prefixes = model.decision_prefixes();
        let b4 = boundaries(&prefixes, Family::V4);
        let b6 = boundaries(&prefixes, Family::V6);
        let mut index: HashMap<(String, Option<usize>, Option<usize>), usize> = HashMap::new();
        let mut members: Vec<Vec<usize>> = Vec::new();
        let mut uncut: Vec<bool> = Vec::new();
        let mut class_of = Vec::with_capacity(order.len());
        for (pos, &s) in order.iter().enumerate() {
            let sub = &model.subnets[s];
            let a4 = sub.cidr(Family::V4).map(|p| atom(&b4, &p));
            let a6 = sub.cidr(Family::V6).map(|p| atom(&b6, &p));
            let shareable = sub.cidrs.unknown.is_none()
                && a4.is_none_or(|a| a.is_some())
                && a6.is_none_or(|a| a.is_some());
            let class = if shareable {
                let key = (shared_key(model, s), a4.flatten(), a6.flatten());
                *index.entry(key).or_insert_with(|| {
                    members.push(Vec::new());
                    uncut.push(true);
                    members.len() - 1
                })
            } else {
                members.push(Vec::new());
                uncut.push(false);
                members.len() - 1
            };
            members[class].push(pos);
            class_of.push(class);
        }
        let forwarding = crate::graph::reach::Forwarding::build(model);
        let closed = forwarding.closures();
        // A closure of every VPC prunes nothing: such a VPC is walked as an
        // open one, in block order.
        let everywhere = model.vpcs.len();
        let reach: Vec<ClassReach> = members
            .iter()
            .map(|m| {
                let sub = &model.subnets[order[m[0]]];
                let vpc = sub.vpc.index().filter(|_| sub.cidrs.unknown.is_none());
                let mut hull = [None; 2];
                for (i, f) in [Family::V4, Family::V6].into_iter().enumerate() {
                    for &x in m {
                        if let Some(p) = model.subnets[order[x]].cidr(f) {
                            let iv = p.interval();
                            hull[i] = Some(hull[i].map_or(iv, |h: Interval| Interval {
                                lo: h.lo.min(iv.lo),
                                hi: h.hi.max(iv.hi),
                            }));
                        }
                    }
                }
                ClassReach {
                    vpc,
                    closure: vpc
                        .filter(|&v| zone_of(sub).is_some() || !forwarding.reads_zone(v))
                        .and_then(|v| closed[v].as_ref())
                        .filter(|c| c.vpcs.len() < everywhere)
                        .cloned(),
                    hull,
                }
            })
            .collect();
        let hulls = [0, 1].map(|i| {
            let spans = reach.iter().enumerate();
            OverlapIndex::new(spans.filter_map(|(c, r)| Some((r.hull[i]?, c))).collect())
        });
        let start = |c: usize, f: Family| {
            model.subnets[order[members[c][0]]]
                .cidr(f)
                .map_or(u128::MAX, |p| p.start)
        };
        let mut by_block: Vec<usize> = (0..members.len()).collect();
        by_block.sort_by_key(|&c| (start(c, Family::V4), start(c, Family::V6), c));
        let mut block_rank = vec![0; members.len()];
        for (rank, &c) in by_block.iter().enumerate() {
            block_rank[c] = rank;
        }
        let mut of_vpc = vec![Vec::new(); model.vpcs.len()];
        let mut without_vpc = Vec::new();
        for &c in &by_block {
            match reach[c].vpc {
                Some(v) => of_vpc[v].push(c),
                None => without_vpc.push(c),
            }
        }
        Classes {
            subnets: order.len() as u64,
            members,
            class_of,
            uncut,
            by_block,
            of_vpc,
            without_vpc,
            reach,
            hulls,
            block_rank,
            flow: None,
            alike: Vec::new(),
        }
    }

    /// Hands `f` the outcome-only verdict of every class pair with source
    /// class `a` that holds pairs, in block order of the destination.
    ///
    /// A forward walk that is dropped having read nothing of its
    /// destination subnet but the address (see [`GoalUse`]) is dropped the
    /// same way towards every subnet in its `dst_valid`: the destination
    /// classes that follow it in block order and lie inside are `blocked`
    /// without a walk. Both classes must be uncut, so that each walk holds
    /// for whole blocks; the memory is one interval per family.
    #[inline]
    fn each_verdict(
        &self,
        model: &Model,
        order: &[usize],
        a: usize,
        legs: &mut memo::Memo,
        mut f: impl FnMut(usize, Verdict),
    ) {
        let mut memo = Memo::default();
        legs.begin_row();
        for &b in &self.by_block {
            if let Some(v) = self.class_pair_verdict(model, order, a, b, &mut memo, legs) {
                f(b, v);
            }
        }
    }

    /// The outcome-only verdict of class pair (a, b), `None` for a class
    /// paired with itself when it has one member: blocked when the source
    /// VPC is closed to the destination's, or when `memo` holds a dropped
    /// range that covers the destination; else evaluated (with the walks
    /// `legs` remembers, when both classes are uncut), and the memo
    /// updated from the walk.
    #[inline]
    fn class_pair_verdict(
        &self,
        model: &Model,
        order: &[usize],
        a: usize,
        b: usize,
        memo: &mut Memo,
        legs: &mut memo::Memo,
    ) -> Option<Verdict> {
        if self.surely_blocked(a, b) {
            return Some(Verdict::Blocked);
        }
        let (x, y) = self.representatives(a, b)?;
        let src = &model.subnets[order[x]];
        let families = [Family::V4, Family::V6];
        let memo_ok = self.uncut[a] && self.uncut[b];
        if memo_ok {
            let dst = &model.subnets[order[y]];
            let dst_vpc = dst.vpc.index();
            let mut common = 0;
            let covered = families.iter().enumerate().all(|(i, &fam)| {
                let (Some(_), Some(p)) = (src.cidr(fam), dst.cidr(fam)) else {
                    return true;
                };
                common += 1;
                memo.dropped[i].is_some_and(|(iv, except)| {
                    iv.lo <= p.start
                        && p.end() <= iv.hi
                        && except.is_none_or(|v| dst_vpc.is_some_and(|w| w != v))
                })
            });
            if covered && common > 0 {
                return Some(Verdict::Blocked);
            }
        }
        if memo_ok {
            if let Some((verdict, facts)) =
                memo::verdict(model, order[x], order[y], b, self.flow.as_ref(), legs)
            {
                for (i, fact) in facts.iter().enumerate() {
                    let Some((outcome, dst_valid, goal_use)) = fact else {
                        continue;
                    };
                    let except = match goal_use {
                        GoalUse::Nothing => None,
                        GoalUse::NotInVpc(v) => Some(*v),
                        GoalUse::More => continue,
                    };
                    if *outcome == Outcome::Dropped {
                        memo.dropped[i] = Some((*dst_valid, except));
                    }
                }
                return Some(verdict);
            }
        }
        let e = evaluate_pair_flow(
            model,
            order[x],
            order[y],
            Detail::Outcome,
            self.flow.as_ref(),
        );
        if memo_ok {
            for c in &e.cells {
                let whole = src.cidr(c.family).is_some_and(|p| c.src == p.interval());
                let except = match c.forward.goal_use {
                    GoalUse::Nothing => None,
                    GoalUse::NotInVpc(v) => Some(v),
                    GoalUse::More => continue,
                };
                if whole && c.forward.outcome == Outcome::Dropped {
                    let i = usize::from(c.family == Family::V6);
                    memo.dropped[i] = Some((c.forward.dst_valid, except));
                }
            }
        }
        Some(e.verdict)
    }

    /// Verdict counts of the class pairs with source class `a`. When `a`'s
    /// VPC is closed, only the destination classes of that VPC, of the VPCs
    /// it can reach and of no known VPC are looked at: every other pair is
    /// blocked and counted at once.
    fn row_summary(
        &self,
        model: &Model,
        order: &[usize],
        a: usize,
        legs: &mut memo::Memo,
    ) -> Summary {
        let mut s = Summary::default();
        let ra = &self.reach[a];
        let (Some(v), Some(closure)) = (ra.vpc, &ra.closure) else {
            self.each_verdict(model, order, a, legs, |b, v| s.add(v, self.weight(a, b)));
            return s;
        };
        let mut memo = Memo::default();
        legs.begin_row();
        let mut seen = 0;
        let peers = &closure.vpcs;
        let beyond = self.meeting(&closure.unknown, |w| {
            w != v && peers.binary_search(&w).is_err()
        });
        let open = std::iter::once(v)
            .chain(peers.iter().copied().filter(|&w| w != v))
            .flat_map(|w| &self.of_vpc[w])
            .chain(&self.without_vpc)
            .chain(&beyond);
        for &b in open {
            seen += self.members[b].len() as u64;
            if let Some(verdict) = self.class_pair_verdict(model, order, a, b, &mut memo, legs) {
                s.add(verdict, self.weight(a, b));
            }
        }
        let na = self.members[a].len() as u64;
        s.add(Verdict::Blocked, na * (self.subnets - seen));
        s
    }

    /// True when the forward path of class pair (a, b) cannot deliver, so
    /// the verdict is `blocked` without walking: the source VPC is closed,
    /// none of its traffic enters the destination's VPC, and no walk
    /// towards the destination's blocks may stop on an unknown.
    #[inline]
    fn surely_blocked(&self, a: usize, b: usize) -> bool {
        let (ra, rb) = (&self.reach[a], &self.reach[b]);
        match (ra.vpc, &ra.closure, rb.vpc) {
            // The closure's VPCs are sorted (`Forwarding::closures`).
            (Some(v), Some(c), Some(w)) => {
                v != w && c.vpcs.binary_search(&w).is_err() && !self.meets(b, &c.unknown)
            }
            _ => false,
        }
    }

    /// Whether class `b`'s blocks may meet `ranges`.
    fn meets(&self, b: usize, ranges: &Ranges) -> bool {
        let hull = &self.reach[b].hull;
        [Family::V4, Family::V6]
            .into_iter()
            .zip(hull)
            .any(|(f, h)| h.is_some_and(|h| ranges.meets(f, &h)))
    }

    /// The classes of a known VPC that `keep` takes whose blocks may meet
    /// `ranges`, in block order.
    fn meeting(&self, ranges: &Ranges, keep: impl Fn(usize) -> bool) -> Vec<usize> {
        let mut out = Vec::new();
        for (i, f) in [Family::V4, Family::V6].into_iter().enumerate() {
            for u in ranges.intervals(f) {
                let hits = self.hulls[i].overlapping(*u).map(|&(_, c)| c);
                out.extend(hits.filter(|&c| self.reach[c].vpc.is_some_and(&keep)));
            }
        }
        out.sort_unstable_by_key(|&c| self.block_rank[c]);
        out.dedup();
        out
    }

    /// The representative pair of class pair (a, b), as sorted positions;
    /// `None` for a class paired with itself when it has one member.
    pub fn representatives(&self, a: usize, b: usize) -> Option<(usize, usize)> {
        let (ma, mb) = (&self.members[a], &self.members[b]);
        if a == b {
            (ma.len() >= 2).then(|| (ma[0], ma[1]))
        } else {
            Some((ma[0], mb[0]))
        }
    }

    /// How many ordered pairs of distinct subnets class pair (a, b) stands for.
    pub fn weight(&self, a: usize, b: usize) -> u64 {
        let (na, nb) = (self.members[a].len() as u64, self.members[b].len() as u64);
        if a == b {
            na * na.saturating_sub(1)
        } else {
            na * nb
        }
    }

    /// An empty memo of walks for this model's VPCs and classes.
    fn memo(&self, model: &Model) -> memo::Memo {
        memo::Memo::new(model.vpcs.len(), self.members.len())
    }

    /// Verdict counts over all ordered pairs, one evaluation per class pair,
    /// in parallel over groups of source classes (see the `memo` module). Of each
    /// group of [`Classes::alike`] VPCs, only the first member's rows are
    /// evaluated, and counted once per member: a swap of two alike VPCs
    /// maps the rows of one onto the rows of the other.
    pub fn summary(&self, model: &Model, order: &[usize]) -> Summary {
        let mut times = vec![1u64; self.of_vpc.len()];
        for g in &self.alike {
            times[g[0]] = g.len() as u64;
            for &v in &g[1..] {
                times[v] = 0;
            }
        }
        let groups: Vec<(&[usize], u64)> = self
            .of_vpc
            .iter()
            .zip(&times)
            .filter(|(g, &k)| !g.is_empty() && k > 0)
            .map(|(g, &k)| (g.as_slice(), k))
            .chain(self.without_vpc.chunks(1).map(|g| (g, 1)))
            .collect();
        groups
            .into_par_iter()
            .map_init(
                || self.memo(model),
                |legs, (group, k)| {
                    legs.begin_group();
                    group
                        .iter()
                        .map(|&a| self.row_summary(model, order, a, legs))
                        .fold(Summary::default(), Summary::merge)
                        .times(k)
                },
            )
            .reduce(Summary::default, Summary::merge)
    }

    /// The verdict of the pairs from class `a` to class `b`, outcome only
    /// (`None` when the two classes hold no pair).
    #[inline]
    pub fn verdict(&self, model: &Model, order: &[usize], a: usize, b: usize) -> Option<Verdict> {
        // The cheap test first: most class pairs of a large estate are
        // surely blocked.
        if self.surely_blocked(a, b) {
            // Two classes in different VPCs: they hold pairs.
            return Some(Verdict::Blocked);
        }
        let (x, y) = self.representatives(a, b)?;
        Some(self.walked(model, order, x, y))
    }

    /// The outcome-only verdict of the representative pair (x, y).
    #[inline(never)]
    fn walked(&self, model: &Model, order: &[usize], x: usize, y: usize) -> Verdict {
        evaluate_pair_flow(
            model,
            order[x],
            order[y],
            Detail::Outcome,
            self.flow.as_ref(),
        )
        .verdict
    }

    /// The verdict of every class pair with source class `a`, without
    /// reasons (`None` where the two classes hold no pair).
    pub fn verdict_row(&self, model: &Model, order: &[usize], a: usize) -> Vec<Option<Verdict>> {
        self.verdict_row_in(model, order, a, &mut self.memo(model))
    }

    /// [`Classes::verdict_row`] with the walks `legs` remembers.
    fn verdict_row_in(
        &self,
        model: &Model,
        order: &[usize],
        a: usize,
        legs: &mut memo::Memo,
    ) -> Vec<Option<Verdict>> {
        let mut row = vec![None; self.members.len()];
        self.each_verdict(model, order, a, legs, |b, v| row[b] = Some(v));
        row
    }

    /// [`Classes::verdict_row`] of each of the classes `sources`, in
    /// parallel, with the walks that rows run on one thread share.
    pub fn verdict_rows(
        &self,
        model: &Model,
        order: &[usize],
        sources: &[usize],
    ) -> Vec<(usize, Vec<Option<Verdict>>)> {
        sources
            .par_iter()
            .map_init(
                || self.memo(model),
                |legs, &a| {
                    legs.begin_any_row();
                    (a, self.verdict_row_in(model, order, a, legs))
                },
            )
            .collect()
    }

    /// How many members of each class are in each group: (group, count).
    fn split(&self, group_of: &[usize]) -> Vec<Vec<(usize, u64)>> {
        self.members
            .iter()
            .map(|m| {
                let mut c: Vec<(usize, u64)> = Vec::new();
                for &i in m {
                    match c.iter_mut().find(|(g, _)| *g == group_of[i]) {
                        Some((_, n)) => *n += 1,
                        None => c.push((group_of[i], 1)),
                    }
                }
                c
            })
            .collect()
    }

    /// Hands `f` every (group cell, verdict, number of pairs) of source
    /// class `a`, one outcome-only evaluation per class pair.
    fn cells_of(
        &self,
        model: &Model,
        order: &[usize],
        split: &[Vec<(usize, u64)>],
        a: usize,
        legs: &mut memo::Memo,
        f: &mut dyn FnMut((usize, usize), Verdict, u64),
    ) {
        self.each_verdict(model, order, a, legs, |b, v| {
            for &(x, nx) in &split[a] {
                for &(y, ny) in &split[b] {
                    // Within one class, a subnet is not paired with itself.
                    let pairs = nx * ny - if a == b && x == y { nx } else { 0 };
                    if pairs > 0 {
                        f((x, y), v, pairs);
                    }
                }
            }
        });
    }

    /// Verdict counts from one group of subnets to another, where
    /// `group_of` puts each subnet (sorted position) in one of `groups`
    /// groups (its VPC, say), for every cell with a pair, sorted. In
    /// parallel over source groups, each counted in a row of its own, so
    /// nothing but the cells themselves is held.
    pub fn group_counts(
        &self,
        model: &Model,
        order: &[usize],
        group_of: &[usize],
        groups: usize,
    ) -> Vec<((usize, usize), Summary)> {
        self.cells_where(model, order, group_of, groups, |s| s.pairs > 0)
    }

    /// [`Classes::group_counts`] for the cells where some pair is not
    /// blocked: what carries traffic, or may.
    pub fn traffic_counts(
        &self,
        model: &Model,
        order: &[usize],
        group_of: &[usize],
    ) -> Vec<((usize, usize), Summary)> {
        let groups = group_of.iter().max().map_or(0, |&g| g + 1);
        self.cells_where(model, order, group_of, groups, |s| s.blocked < s.pairs)
    }

    /// The cells of [`Classes::group_counts`] that `keep` keeps. A source
    /// group that is exactly the subnets of a VPC alike with another's
    /// (see [`Classes::alike`]) takes its row from that VPC's: the swap of
    /// the two VPCs maps one row onto the other, with the two VPCs' own
    /// cells exchanged.
    fn cells_where(
        &self,
        model: &Model,
        order: &[usize],
        group_of: &[usize],
        groups: usize,
        keep: impl Fn(&Summary) -> bool + Sync,
    ) -> Vec<((usize, usize), Summary)> {
        let split = self.split(group_of);
        // The classes with members in each group.
        let mut classes_in: Vec<Vec<usize>> = vec![Vec::new(); groups];
        for (a, parts) in split.iter().enumerate() {
            for &(x, _) in parts {
                classes_in[x].push(a);
            }
        }
        let like = self.alike_groups(group_of, groups);
        let row_of = |legs: &mut memo::Memo, x: usize| {
            legs.begin_group();
            let mut row = vec![Summary::default(); groups];
            for &a in &classes_in[x] {
                self.cells_of(model, order, &split, a, legs, &mut |(from, y), v, pairs| {
                    if from == x {
                        row[y].add(v, pairs);
                    }
                });
            }
            row
        };
        let sparse = |x: usize, row: &[Summary]| -> Vec<((usize, usize), Summary)> {
            row.iter()
                .enumerate()
                .filter(|(_, s)| keep(s))
                .map(|(y, s)| ((x, y), *s))
                .collect()
        };
        // The rows of the first member of each group of alike VPCs, whole.
        let firsts: HashMap<usize, Vec<Summary>> = like
            .par_iter()
            .map_init(|| self.memo(model), |legs, g| (g[0], row_of(legs, g[0])))
            .collect();
        let mut derived: Vec<Option<usize>> = vec![None; groups];
        for g in &like {
            for &x in g {
                derived[x] = Some(g[0]);
            }
        }
        (0..groups)
            .into_par_iter()
            .map_init(
                || self.memo(model),
                |legs, x| match derived[x] {
                    Some(first) => {
                        let row = &firsts[&first];
                        // The swap of `first` and `x` exchanges their cells.
                        let swapped: Vec<Summary> = (0..groups)
                            .map(|y| {
                                let z = if y == x {
                                    first
                                } else if y == first {
                                    x
                                } else {
                                    y
                                };
                                row[z]
                            })
                            .collect();
                        sparse(x, &swapped)
                    }
                    None => sparse(x, &row_of(legs, x)),
                },
            )
            .flatten_iter()
            .collect()
    }

    /// The groups of alike VPCs as groups of `group_of`: only VPCs whose
    /// subnets make up a group by themselves, and only while the rows the
    /// first members keep stay small.
    fn alike_groups(&self, group_of: &[usize], groups: usize) -> Vec<Vec<usize>> {
        // The group of each VPC's subnets, when they share one.
        let mut group_of_vpc: Vec<Option<usize>> = vec![None; self.of_vpc.len()];
        let mut size = vec![0usize; groups];
        for &g in group_of {
            size[g] += 1;
        }
        for (v, classes) in self.of_vpc.iter().enumerate() {
            let mut at: Option<usize> = None;
            let mut count = 0;
            let mut one = true;
            for &c in classes {
                for &i in &self.members[c] {
                    count += 1;
                    match at {
                        None => at = Some(group_of[i]),
                        Some(g) if g != group_of[i] => one = false,
                        Some(_) => {}
                    }
                }
            }
            if let (true, Some(g)) = (one, at) {
                if size[g] == count {
                    group_of_vpc[v] = Some(g);
                }
            }
        }
        let out: Vec<Vec<usize>> = self
            .alike
            .iter()
            .filter_map(|vs| {
                vs.iter()
                    .map(|&v| group_of_vpc[v])
                    .collect::<Option<Vec<usize>>>()
            })
            .collect();
        // Rows of `groups` cells each, one per group of alike VPCs.
        if out.len().saturating_mul(groups) > 4_000_000 {
            return Vec::new();
        }
        out
    }

    /// Verdicts and reasons of every class pair with source class `a`,
    /// computed on the representatives.
    pub fn row(&self, model: &Model, order: &[usize], a: usize) -> Vec<Option<ClassResult>> {
        (0..self.members.len())
            .map(|b| self.result(model, order, a, b))
            .collect()
    }

    /// The verdict and reasons of the pairs from class `a` to class `b`,
    /// computed on their representatives (`None` when the two classes hold
    /// no pair).
    pub fn result(
        &self,
        model: &Model,
        order: &[usize],
        a: usize,
        b: usize,
    ) -> Option<ClassResult> {
        let (x, y) = self.representatives(a, b)?;
        let e = evaluate_pair_flow(
            model,
            order[x],
            order[y],
            Detail::Reasons,
            self.flow.as_ref(),
        );
        Some(ClassResult {
            rep: (x, y),
            verdict: e.verdict,
            reasons: e.reasons,
            traffic: e.traffic,
        })
    }
}

#[derive(Debug, Clone)]
struct ClassReach {
    vpc: Option<usize>,
    /// Where the VPC's traffic can go, when its subnets' walks can be told
    /// from the forwarding graph (see [`crate::graph::reach`]).
    closure: Option<Closure>,
    /// Per family, the span of the members' blocks.
    hull: [Option<Interval>; 2],
}

/// The result of one class pair, on its representatives.
#[derive(Debug, Clone)]
pub struct ClassResult {
    /// The representative pair (sorted positions).
    pub rep: (usize, usize),
    pub verdict: Verdict,
    pub reasons: Vec<Reason>,
    /// Which traffic makes the round trip, when network ACLs narrow it.
    pub traffic: Option<String>,
}

/// The behaviour key of subnet `s` with its own address taken out: a link
/// that is not known until apply is explained in a text that names the
/// subnet ("`vpc_id` of aws_subnet.a[3] is not known ..."), and subnets
/// whose texts differ only there behave alike. Their reasons name the
/// member's own subnet, blocks and texts by their marks
/// ([`member_reasons`]).
///
/// A subnet whose VPC is not in the model stops every walk that starts
/// there or heads for it at that link (see `walk::Walker::run` and its
/// local route): nothing else of it is read, so the VPC link alone is its
/// key.
fn shared_key(model: &Model, s: usize) -> String {
    let sub = &model.subnets[s];
    let key = match sub.vpc {
        crate::model::Link::To(_) => model.behaviour_key(s),
        ref other => format!("{other:?}"),
    };
    let address = &sub.address;
    if !key.contains(address.as_str()) {
        return key;
    }
    // The key spells texts as Rust debug strings, which escape quotes.
    let debug = format!("{address:?}");
    let escaped = debug[1..debug.len() - 1].to_string();
    let own = "\u{1}".to_string();
    replace_tokens(&key, &[(address.clone(), own.clone()), (escaped, own)])
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '[' | ']' | '"' | '/' | ':' | '-')
}

/// Replaces whole-token occurrences of each `from` with its `to`, in one
/// pass (so swapped names do not chain).
fn replace_tokens(msg: &str, subs: &[(String, String)]) -> String {
    let mut out = String::with_capacity(msg.len());
    let mut i = 0;
    'scan: while i < msg.len() {
        let prev_ok = msg[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !is_token_char(c));
        if prev_ok {
            for (from, to) in subs {
                if msg[i..].starts_with(from.as_str()) {
                    let after = msg[i + from.len()..].chars().next();
                    // A block may end a sentence with a period.
                    let end_ok = after.is_none_or(|c| {
                        !is_token_char(c)
                            || (c == '.'
                                && msg[i + from.len() + 1..]
                                    .chars()
                                    .next()
                                    .is_none_or(|d| !is_token_char(d)))
                    });
                    if end_ok {
                        out.push_str(to);
                        i += from.len();
                        continue 'scan;
                    }
                }
            }
        }
        let c = msg[i..].chars().next().unwrap_or(' ');
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// The reasons of a class pair, told for member pair (s, d) (sorted
/// positions): where a reason names a representative subnet, its address,
/// one of its blocks or why something of it is not known, the member's own
/// is said instead (`Text::retold`).
pub fn member_reasons(
    model: &Model,
    order: &[usize],
    r: &ClassResult,
    s: usize,
    d: usize,
) -> Vec<Reason> {
    if r.rep == (s, d) || r.reasons.is_empty() {
        return r.reasons.clone();
    }
    let (rs, rd) = (order[r.rep.0], order[r.rep.1]);
    let (ms, md) = (order[s], order[d]);
    let tell = |n: Named| {
        let at = n.subnet();
        let member = if at == rs {
            ms
        } else if at == rd {
            md
        } else {
            return None;
        };
        if member == at {
            return None;
        }
        let named = n.of(member);
        model.spell(named).map(|words| (named, words))
    };
    r.reasons
        .iter()
        .map(|x| Reason {
            message: x.message.retold(tell),
            resource: x.resource.as_ref().map(|t| t.retold(tell)),
            ..x.clone()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_replaced_whole() {
        let subs = vec![
            ("10.1.1.0/24".to_string(), "10.1.2.0/24".to_string()),
            ("aws_subnet.a[1]".to_string(), "aws_subnet.a[2]".to_string()),
        ];
        assert_eq!(
            replace_tokens("no route matches 10.1.1.0/24; 110.1.1.0/24 stays", &subs),
            "no route matches 10.1.2.0/24; 110.1.1.0/24 stays"
        );
        assert_eq!(
            replace_tokens(
                "aws_subnet.a[1] and module.x.aws_subnet.a[1] and aws_subnet.a[10]",
                &subs
            ),
            "aws_subnet.a[2] and module.x.aws_subnet.a[1] and aws_subnet.a[10]"
        );
        assert_eq!(
            replace_tokens("ends with 10.1.1.0/24.", &subs),
            "ends with 10.1.2.0/24."
        );
    }

    #[test]
    fn atoms_detect_cuts() {
        let p: Prefix = "10.1.1.0/24".parse().unwrap();
        let half: Prefix = "10.1.1.128/25".parse().unwrap();
        let vpc: Prefix = "10.1.0.0/16".parse().unwrap();
        let b = boundaries(&[vpc], Family::V4);
        assert!(atom(&b, &p).is_some());
        let b = boundaries(&[vpc, half], Family::V4);
        assert!(atom(&b, &p).is_none());
    }
}
