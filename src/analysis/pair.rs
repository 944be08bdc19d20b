//! One ordered pair of subnets: split into address boxes, walk each box
//! both ways, and derive the verdict and its reasons.
//!
//! The forward walk carries every kind of traffic asked about (all of it,
//! or one named flow); network ACLs narrow it on the way. The return walk
//! carries the replies of what arrived, to the ephemeral ports. A box gets a
//! round trip when some traffic arrives and all its replies come back.

use std::borrow::Cow;

use crate::codes;
use crate::model::{text, Direction, Reason, Text, Verdict};
use crate::model::{Flow, FlowSet, Model};
use crate::net::{Family, Interval};

use super::walk::{self, Detail, Outcome, Packet};

/// One box of address pairs with its two walks.
#[derive(Debug, Clone)]
pub struct Cell {
    pub family: Family,
    pub src: Interval,
    pub dst: Interval,
    pub forward: walk::Leg,
    pub ret: walk::Leg,
    /// The traffic that gets there and whose replies get back, when that is
    /// less than what was asked about (`None`: all of it).
    pub round_trip: Option<FlowSet>,
}

impl Cell {
    /// True when the cell gets a round trip, taking unknown outcomes as
    /// delivered (`optimistic`) or as dropped.
    fn round_trips(&self, optimistic: bool) -> bool {
        self.trip().round_trips(optimistic)
    }

    /// What the verdict reads of the cell.
    fn trip(&self) -> Trip {
        Trip {
            forward: self.forward.outcome,
            ret: self.ret.outcome,
            carried: self.round_trip.as_ref().is_none_or(|r| !r.is_empty()),
        }
    }
}

/// One box of a pair as its verdict sees it: how far each walk got, and
/// whether some traffic that arrives has all its replies come back.
#[derive(Debug, Clone, Copy)]
pub(super) struct Trip {
    pub forward: Outcome,
    pub ret: Outcome,
    pub carried: bool,
}

impl Trip {
    /// True when the box gets a round trip, taking unknown outcomes as
    /// delivered (`optimistic`) or as dropped.
    fn round_trips(&self, optimistic: bool) -> bool {
        ok(self.forward, optimistic) && ok(self.ret, optimistic) && self.carried
    }
}

fn ok(o: Outcome, optimistic: bool) -> bool {
    o == Outcome::Delivered || (optimistic && o == Outcome::Unknown)
}

/// Everything known about one pair.
#[derive(Debug, Clone)]
pub struct PairEval {
    pub verdict: Verdict,
    pub reasons: Vec<Reason>,
    pub cells: Vec<Cell>,
    /// Which traffic gets a round trip, when network ACLs let through less
    /// than was asked about (`None`: all of it, or none at all).
    pub traffic: Option<String>,
}

/// The most boxes one pair is split into; beyond it the verdict is
/// `unknown` rather than slow.
pub(super) const MAX_CELLS: usize = 4096;

/// Evaluates one ordered pair of distinct subnets (model indices) for all
/// traffic. The `detail` says whether the cells carry reasons and hop lists.
pub fn evaluate_pair(model: &Model, s: usize, d: usize, detail: Detail) -> PairEval {
    evaluate_pair_flow(model, s, d, detail, None)
}

/// Evaluates one ordered pair for one named flow (`None`: any traffic).
pub fn evaluate_pair_flow(
    model: &Model,
    s: usize,
    d: usize,
    detail: Detail,
    flow: Option<&Flow>,
) -> PairEval {
    let (src, dst) = (&model.subnets[s], &model.subnets[d]);
    for (i, sub) in [(s, src), (d, dst)] {
        if sub.cidrs.unknown.is_some() {
            return PairEval {
                verdict: Verdict::Unknown,
                reasons: vec![Reason {
                    code: codes::UNKNOWN_CIDR,
                    resource: Some(model.subnet_text(i)),
                    message: model.subnet_blocks_text(i),
                    direction: Direction::Forward,
                }],
                cells: Vec::new(),
                traffic: None,
            };
        }
    }
    let mut cells = Vec::new();
    for family in [Family::V4, Family::V6] {
        let (Some(sp), Some(dp)) = (src.cidr(family), dst.cidr(family)) else {
            continue;
        };
        let asked_sets = asked(flow, family);
        let (asked, all_replies): (&FlowSet, &FlowSet) = (&asked_sets.forward, &asked_sets.replies);
        // The first box needs no allocation; the rest, when routes or
        // rules split the blocks, wait in `work`.
        let mut first = Some((sp.interval(), dp.interval()));
        let mut work = Vec::new();
        while let Some((si, di)) = first.take().or_else(|| work.pop()) {
            if cells.len() >= MAX_CELLS {
                return too_many_cells(model.subnet_text(s));
            }
            let fwd = walk::walk(
                model,
                s,
                d,
                Packet {
                    family,
                    src: si.lo,
                    dst: di.lo,
                    flows: asked,
                    dir: Direction::Forward,
                },
                detail,
            );
            // The replies of what arrived (of everything, when nothing did,
            // so the return path is still explained).
            let narrowed;
            let replies: &FlowSet = match (fwd.outcome, &fwd.flows) {
                (Outcome::Dropped, _) | (_, None) => all_replies,
                (_, Some(f)) => {
                    narrowed = f.replies_for();
                    &narrowed
                }
            };
            let ret = walk::walk_reply(
                model,
                s,
                d,
                &fwd.nats,
                Packet {
                    family,
                    src: di.lo,
                    dst: si.lo,
                    flows: replies,
                    dir: Direction::Return,
                },
                detail,
            );
            // Nothing narrowed either way: everything asked round-trips.
            let round_trip = if fwd.flows.is_none() && ret.flows.is_none() {
                None
            } else {
                let arrived = fwd.flows.as_ref().unwrap_or(asked);
                let back = ret.flows.as_ref().unwrap_or(replies);
                Some(arrived.round_trips(back))
            };
            let vs = clip(si, &[fwd.src_valid, ret.dst_valid]);
            let vd = clip(di, &[fwd.dst_valid, ret.src_valid]);
            for rest in si.minus(&vs) {
                work.push((rest, di));
            }
            for rest in di.minus(&vd) {
                work.push((vs, rest));
            }
            cells.push(Cell {
                family,
                src: vs,
                dst: vd,
                round_trip,
                forward: fwd,
                ret,
            });
        }
    }
    if cells.is_empty() {
        return PairEval {
            verdict: Verdict::Blocked,
            reasons: vec![Reason {
                code: codes::NO_COMMON_ADDRESS_FAMILY,
                resource: Some(model.subnet_text(d)),
                message: text![
                    model.subnet_text(s),
                    " and ",
                    model.subnet_text(d),
                    " have no address family in common"
                ],
                direction: Direction::Forward,
            }],
            cells,
            traffic: None,
        };
    }
    conclude(cells, detail, flow)
}

/// The verdict, reasons and traffic of a pair from its cells (at least
/// one).
pub(super) fn conclude(mut cells: Vec<Cell>, detail: Detail, flow: Option<&Flow>) -> PairEval {
    cells.sort_by_key(|c| (c.family, c.src.lo, c.dst.lo));
    let trips: Vec<Trip> = cells.iter().map(Cell::trip).collect();
    let verdict = round_trip_verdict(&trips);
    let mut reasons = Vec::new();
    if verdict != Verdict::Reachable {
        for c in &cells {
            let tag = |r: &Reason| -> Reason {
                let mut r = r.clone();
                if c.family == Family::V6 && !r.message.starts_with("IPv6") {
                    r.message = text!["IPv6: ", &r.message];
                }
                r
            };
            if c.forward.outcome != Outcome::Delivered {
                reasons.extend(c.forward.reasons.iter().map(tag));
            }
            if c.ret.outcome != Outcome::Delivered {
                reasons.extend(c.ret.reasons.iter().map(tag));
            }
        }
        reasons.sort_by(|a, b| a.direction.cmp(&b.direction).then_with(|| a.cmp(b)));
        reasons.dedup();
    }
    let traffic = if detail == Detail::Outcome {
        None
    } else {
        describe_traffic(&cells, verdict, flow)
    };
    PairEval {
        verdict,
        reasons,
        cells,
        traffic,
    }
}

/// Which traffic round-trips, when that is less than what was asked.
fn describe_traffic(cells: &[Cell], verdict: Verdict, flow: Option<&Flow>) -> Option<String> {
    if !matches!(verdict, Verdict::Reachable | Verdict::Partial) {
        return None;
    }
    let trips: Vec<&Cell> = cells.iter().filter(|c| c.round_trips(true)).collect();
    if trips.iter().all(|c| c.round_trip.is_none()) {
        return None;
    }
    let family = trips.first()?.family;
    let asked = match flow {
        Some(f) => f.forward(family),
        None => FlowSet::connections(family),
    };
    let mut common: Option<FlowSet> = None;
    let mut any = FlowSet::empty();
    for c in &trips {
        let rt = c.round_trip.clone().unwrap_or_else(|| asked.clone());
        common = Some(match common {
            None => rt.clone(),
            Some(x) => x.intersect(&rt),
        });
        any = any.union(&rt);
    }
    let common = common.unwrap_or_default();
    if common == any {
        Some(any.describe_within(&asked, 8))
    } else if common.is_empty() {
        Some(format!(
            "{}, depending on the addresses",
            any.describe_within(&asked, 8)
        ))
    } else {
        Some(format!(
            "{} for every address pair; also {} for some",
            common.describe_within(&asked, 8),
            any.minus(&common).describe(8)
        ))
    }
}

pub(super) fn too_many_cells(subnet: Text) -> PairEval {
    PairEval {
        verdict: Verdict::Unknown,
        reasons: vec![Reason {
            code: codes::UNSUPPORTED_HOP,
            resource: Some(subnet),
            message: format!(
                "the routes split this pair into more than {MAX_CELLS} address ranges"
            )
            .into(),
            direction: Direction::Forward,
        }],
        cells: Vec::new(),
        traffic: None,
    }
}

pub(super) fn clip(base: Interval, bounds: &[Interval]) -> Interval {
    bounds
        .iter()
        .fold(base, |acc, b| acc.intersect(b).unwrap_or(acc))
}

/// The verdict of a pair from its boxes: the same whether unknown outcomes
/// turn out delivered or dropped, else `unknown`.
pub(super) fn round_trip_verdict(trips: &[Trip]) -> Verdict {
    let optimistic = verdict_of(trips, true);
    let pessimistic = verdict_of(trips, false);
    if optimistic == pessimistic {
        optimistic
    } else {
        Verdict::Unknown
    }
}

/// The verdict of a set of boxes, taking unknown outcomes as delivered
/// (`optimistic`) or as dropped.
fn verdict_of(trips: &[Trip], optimistic: bool) -> Verdict {
    let round_trips = trips.iter().filter(|t| t.round_trips(optimistic)).count();
    if round_trips == trips.len() {
        Verdict::Reachable
    } else if round_trips > 0 {
        Verdict::Partial
    } else if trips.iter().any(|t| ok(t.forward, optimistic)) {
        Verdict::OneWay
    } else {
        Verdict::Blocked
    }
}

/// The flows asked about in one family, and all their replies: shared
/// sets for any traffic, which spares building them for every subnet.
pub(super) struct Asked {
    pub(super) forward: Cow<'static, FlowSet>,
    pub(super) replies: Cow<'static, FlowSet>,
}

pub(super) fn asked(flow: Option<&Flow>, family: Family) -> Asked {
    match flow {
        Some(f) => {
            let forward = f.forward(family);
            Asked {
                replies: Cow::Owned(forward.replies_for()),
                forward: Cow::Owned(forward),
            }
        }
        None => Asked {
            forward: Cow::Borrowed(FlowSet::connections_ref(family)),
            replies: Cow::Borrowed(FlowSet::replies_ref(family)),
        },
    }
}
