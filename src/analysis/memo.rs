//! Walks shared between the class pairs of one source VPC.
//!
//! The verdict of a class pair takes a forward walk from a representative
//! of the source class to one of the destination class, and a return walk
//! back. Most of those walks repeat: every destination class of a VPC that
//! a transit gateway or peering route sends the traffic to is reached by
//! the same decisions, and every source class of one VPC gets its replies
//! back by them. A walk records what it depended on: the destination
//! addresses over which its decisions hold (`dst_valid`), what it read of
//! the destination subnet beyond its address ([`GoalUse`]), and the
//! subnets it passed through. A walk that passed through its own
//! destination is not remembered (it was delivered there without crossing
//! into it). Another destination subnet whose block lies
//! within that range, that the walk did not pass through, and that agrees
//! on what was read (its VPC and its network ACL) gets the same walk, to
//! the outcome, the flows let through and the source range.
//!
//! Only outcome-only verdicts use the memo, only for pairs whose two walks
//! each hold over both subnets' whole blocks (one box per family), and
//! only without NAT on the way and with replies not narrowed by a network
//! ACL, so that the walks are exactly the ones `evaluate_pair_flow` would
//! make. Anything else is left to it.

use std::borrow::Cow;

use crate::model::{Direction, Flow, FlowSet, Link, Model, Verdict};
use crate::net::{Family, Interval};

use super::pair::{round_trip_verdict, Trip};
use super::walk::{self, Detail, GoalUse, Leg, Outcome, Packet, Passed};

/// What a forward walk of a decided pair tells the caller: per family, the
/// outcome, the destination range it holds over and what it read of the
/// destination.
pub(super) type ForwardFacts = [Option<(Outcome, Interval, GoalUse)>; 2];

/// The walks remembered for the rows of one group of source classes.
///
/// Forward walks start from the row's source and are kept per destination
/// VPC; return walks start from a destination class and end in the
/// group's VPC, and are kept per destination class. Index slots are
/// stamped with the row or group they belong to, so starting a row or a
/// group forgets the earlier walks without touching the index.
#[derive(Debug)]
pub(super) struct Memo {
    row: u32,
    group: u32,
    /// Per family: slot 0 for forward walks that did not read the
    /// destination subnet, slot `v + 1` for those that read it, by its VPC
    /// `v`; each the stamp of its row and a position in `forward`.
    forward_at: [Vec<(u32, u32)>; 2],
    /// Per family, by destination class: the stamp of its group and a
    /// position in `back`.
    back_at: [Vec<(u32, u32)>; 2],
    forward: Vec<Entry>,
    back: Vec<Entry>,
}

#[derive(Debug, Clone)]
struct Entry {
    goal_use: GoalUse,
    /// The destination's network ACL, when the walk read it (`None`: the
    /// default ACL).
    acl: Option<usize>,
    /// The destination's VPC, when the walk read it.
    vpc: Option<usize>,
    passed: Passed,
    leg: Slim,
}

/// Where a walk is kept: its direction's slot.
#[derive(Debug, Clone, Copy)]
pub(super) enum Slot {
    /// A forward walk of the current row.
    Forward,
    /// A return walk of the current group, from this destination class.
    Back(usize),
}

/// What a verdict reads of a walk.
#[derive(Debug, Clone)]
pub(super) struct Slim {
    pub outcome: Outcome,
    pub src_valid: Interval,
    pub dst_valid: Interval,
    pub goal_use: GoalUse,
    pub flows: Option<FlowSet>,
    /// The walk passed a NAT gateway.
    pub natted: bool,
}

impl From<Leg> for Slim {
    fn from(l: Leg) -> Slim {
        Slim {
            outcome: l.outcome,
            src_valid: l.src_valid,
            dst_valid: l.dst_valid,
            goal_use: l.goal_use,
            flows: l.flows,
            natted: !l.nats.is_empty(),
        }
    }
}

/// The network ACL of a subnet as a memo key: `Some(None)` for the default
/// ACL, `None` when it is not known (such destinations are never shared).
fn acl_key(model: &Model, s: usize) -> Option<Option<usize>> {
    match model.subnets[s].network_acl {
        Link::None => Some(None),
        Link::To(a) => Some(Some(a)),
        _ => None,
    }
}

/// The entry slot `i` of `index` points at, when it is stamped `stamp`.
fn at<'e>(index: &[(u32, u32)], i: usize, stamp: u32, entries: &'e [Entry]) -> Option<&'e Entry> {
    index
        .get(i)
        .filter(|(s, _)| *s == stamp)
        .and_then(|&(_, pos)| entries.get(pos as usize))
}

fn covers(outer: &Interval, inner: &Interval) -> bool {
    outer.lo <= inner.lo && inner.hi <= outer.hi
}

impl Memo {
    /// A memo for a model of `vpcs` VPCs and `classes` classes.
    pub(super) fn new(vpcs: usize, classes: usize) -> Memo {
        Memo {
            row: 1,
            group: 1,
            forward_at: [vec![(0, 0); vpcs + 1], vec![(0, 0); vpcs + 1]],
            back_at: [vec![(0, 0); classes], vec![(0, 0); classes]],
            forward: Vec::new(),
            back: Vec::new(),
        }
    }

    /// Starts a row: forgets the forward walks.
    pub(super) fn begin_row(&mut self) {
        self.row += 1;
        self.forward.clear();
    }

    /// Starts a row of any group: forgets the forward walks, and the return
    /// walks too once they hold more than two per destination class. (A
    /// remembered return walk is checked against every destination it is
    /// used for, so keeping it across groups is exact; forgetting only
    /// bounds the memory.)
    pub(super) fn begin_any_row(&mut self) {
        if self.back.len() > 2 * self.back_at[0].len() + 1024 {
            self.begin_group();
        } else {
            self.begin_row();
        }
    }

    /// Starts a group: forgets every walk.
    pub(super) fn begin_group(&mut self) {
        self.begin_row();
        self.group += 1;
        self.back.clear();
    }

    /// A remembered walk that holds for subnet `to` (its block `block`).
    fn get(
        &self,
        model: &Model,
        family: Family,
        slot: Slot,
        to: usize,
        block: &Interval,
    ) -> Option<&Slim> {
        let vpc = model.subnets[to].vpc.index();
        let acl = acl_key(model, to)?;
        let fam = usize::from(family == Family::V6);
        let fits = |e: &Entry| {
            covers(&e.leg.dst_valid, block)
                && !e.passed.includes(to)
                && match e.goal_use {
                    GoalUse::Nothing => true,
                    GoalUse::NotInVpc(v) => vpc.is_some_and(|w| w != v),
                    GoalUse::More => e.acl == acl && vpc.is_some() && e.vpc == vpc,
                }
        };
        let found = match slot {
            Slot::Forward => {
                let index = &self.forward_at[fam];
                vpc.and_then(|v| at(index, v + 1, self.row, &self.forward))
                    .filter(|e| fits(e))
                    .or_else(|| at(index, 0, self.row, &self.forward).filter(|e| fits(e)))
            }
            Slot::Back(b) => at(&self.back_at[fam], b, self.group, &self.back).filter(|e| fits(e)),
        };
        found.map(|e| &e.leg)
    }

    /// Remembers a walk to subnet `to`, when what it depended on is known.
    fn put(
        &mut self,
        model: &Model,
        family: Family,
        slot: Slot,
        to: usize,
        passed: Passed,
        leg: &Slim,
    ) {
        // A walk that passed through its own destination was delivered
        // there without crossing into it (no network ACL read): it says
        // nothing of any other destination.
        if passed.overflowed() || leg.natted || passed.includes(to) {
            return;
        }
        let Some(acl) = acl_key(model, to) else {
            return;
        };
        let vpc = model.subnets[to].vpc.index();
        let fam = usize::from(family == Family::V6);
        let entry = Entry {
            goal_use: leg.goal_use,
            acl,
            vpc,
            passed,
            leg: leg.clone(),
        };
        match slot {
            Slot::Forward => {
                let i = match leg.goal_use {
                    GoalUse::More => match vpc {
                        Some(v) => v + 1,
                        None => return,
                    },
                    GoalUse::Nothing | GoalUse::NotInVpc(_) => 0,
                };
                if let Some(cell) = self.forward_at[fam].get_mut(i) {
                    *cell = (self.row, self.forward.len() as u32);
                    self.forward.push(entry);
                }
            }
            Slot::Back(b) => {
                if let Some(cell) = self.back_at[fam].get_mut(b) {
                    *cell = (self.group, self.back.len() as u32);
                    self.back.push(entry);
                }
            }
        }
    }

    /// A walk to `to` (outcome only), remembered or made and remembered.
    fn walk(
        &mut self,
        model: &Model,
        from: usize,
        to: usize,
        slot: Slot,
        p: Packet<'_>,
        block: &Interval,
    ) -> Slim {
        if let Some(l) = self.get(model, p.family, slot, to, block) {
            return l.clone();
        }
        let leg = walk::walk(model, from, to, p, Detail::Outcome);
        let passed = leg.passed;
        let slim = Slim::from(leg);
        self.put(model, p.family, slot, to, passed, &slim);
        slim
    }
}

/// The outcome-only verdict of the ordered pair of subnets (`s`, `d`,
/// model indices; `d` the representative of class `b`) with walks shared
/// through `memo`, and what its forward
/// walks read; `None` when the pair needs more than one box per family, a
/// NAT gateway or replies narrowed by a network ACL, or has an unknown
/// block or no common family: the caller evaluates it in full.
pub(super) fn verdict(
    model: &Model,
    s: usize,
    d: usize,
    b: usize,
    flow: Option<&Flow>,
    memo: &mut Memo,
) -> Option<(Verdict, ForwardFacts)> {
    let (src, dst) = (&model.subnets[s], &model.subnets[d]);
    if src.cidrs.unknown.is_some() || dst.cidrs.unknown.is_some() {
        return None;
    }
    let mut trips: [Option<Trip>; 2] = [None, None];
    let mut facts: ForwardFacts = [None, None];
    for (i, family) in [Family::V4, Family::V6].into_iter().enumerate() {
        let (Some(sp), Some(dp)) = (src.cidr(family), dst.cidr(family)) else {
            continue;
        };
        let (si, di) = (sp.interval(), dp.interval());
        let asked = super::pair::asked(flow, family);
        let fwd = memo.walk(
            model,
            s,
            d,
            Slot::Forward,
            Packet {
                family,
                src: si.lo,
                dst: di.lo,
                flows: &asked.forward,
                dir: Direction::Forward,
            },
            &di,
        );
        if fwd.natted || !covers(&fwd.src_valid, &si) || !covers(&fwd.dst_valid, &di) {
            return None;
        }
        facts[i] = Some((fwd.outcome, fwd.dst_valid, fwd.goal_use));
        if fwd.outcome == Outcome::Dropped {
            // Every box of the pair is dropped on the way out: no round
            // trip, whatever the replies would meet.
            trips[i] = Some(Trip {
                forward: Outcome::Dropped,
                ret: Outcome::Dropped,
                carried: false,
            });
            continue;
        }
        // The replies of what arrived: all of them unless an ACL narrowed
        // the forward flows, and then a walk of their own.
        let replies: Cow<FlowSet> = match &fwd.flows {
            None => Cow::Borrowed(&asked.replies),
            Some(f) => Cow::Owned(f.replies_for()),
        };
        let back = Packet {
            family,
            src: di.lo,
            dst: si.lo,
            flows: &replies,
            dir: Direction::Return,
        };
        let ret = match replies {
            Cow::Borrowed(_) => memo.walk(model, d, s, Slot::Back(b), back, &si),
            Cow::Owned(_) => Slim::from(walk::walk(model, d, s, back, Detail::Outcome)),
        };
        if !covers(&ret.src_valid, &di) || !covers(&ret.dst_valid, &si) {
            return None;
        }
        let carried = if fwd.flows.is_none() && ret.flows.is_none() {
            true
        } else {
            let arrived = fwd.flows.as_ref().unwrap_or(&asked.forward);
            let back = ret.flows.as_ref().unwrap_or(&replies);
            !arrived.round_trips(back).is_empty()
        };
        trips[i] = Some(Trip {
            forward: fwd.outcome,
            ret: ret.outcome,
            carried,
        });
    }
    let verdict = match trips {
        [Some(x), Some(y)] => round_trip_verdict(&[x, y]),
        [Some(x), None] | [None, Some(x)] => round_trip_verdict(&[x]),
        [None, None] => return None,
    };
    Some((verdict, facts))
}
