//! One ordered pair of subnets: split into address boxes, walk each box
//! both ways, and derive the verdict and its reasons.

use crate::codes;
use crate::model::Model;
use crate::net::{Family, Interval};
use crate::report::{Direction, Reason, Verdict};

use super::walk::{self, Detail, Outcome};

/// One box of address pairs with its two walks.
#[derive(Debug, Clone)]
pub struct Cell {
    pub family: Family,
    pub src: Interval,
    pub dst: Interval,
    pub forward: walk::Leg,
    pub ret: walk::Leg,
}

/// Everything known about one pair.
#[derive(Debug, Clone)]
pub struct PairEval {
    pub verdict: Verdict,
    pub reasons: Vec<Reason>,
    pub cells: Vec<Cell>,
}

/// The most boxes one pair is split into; beyond it the verdict is
/// `unknown` rather than slow.
const MAX_CELLS: usize = 4096;

/// Evaluates one ordered pair of distinct subnets (model indices). The
/// `detail` says whether the cells carry reasons and hop lists.
pub fn evaluate_pair(model: &Model, s: usize, d: usize, detail: Detail) -> PairEval {
    let (src, dst) = (&model.subnets[s], &model.subnets[d]);
    for sub in [src, dst] {
        if let Some(why) = &sub.cidrs.unknown {
            return PairEval {
                verdict: Verdict::Unknown,
                reasons: vec![Reason {
                    code: codes::UNKNOWN_CIDR,
                    resource: Some(sub.address.clone()),
                    message: why.clone(),
                    direction: Direction::Forward,
                }],
                cells: Vec::new(),
            };
        }
    }
    let mut cells = Vec::new();
    for family in [Family::V4, Family::V6] {
        let (Some(sp), Some(dp)) = (src.cidr(family), dst.cidr(family)) else {
            continue;
        };
        let mut work = vec![(sp.interval(), dp.interval())];
        while let Some((si, di)) = work.pop() {
            if cells.len() >= MAX_CELLS {
                return too_many_cells(src.address.clone());
            }
            let fwd = walk::walk(
                model,
                s,
                d,
                family,
                si.lo,
                di.lo,
                Direction::Forward,
                detail,
            );
            let ret = walk::walk(model, d, s, family, di.lo, si.lo, Direction::Return, detail);
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
                resource: Some(dst.address.clone()),
                message: format!(
                    "{} and {} have no address family in common",
                    src.address, dst.address
                ),
                direction: Direction::Forward,
            }],
            cells,
        };
    }
    cells.sort_by_key(|c| (c.family, c.src.lo, c.dst.lo));
    let optimistic = verdict_of(&cells, true);
    let pessimistic = verdict_of(&cells, false);
    let verdict = if optimistic == pessimistic {
        optimistic
    } else {
        Verdict::Unknown
    };
    let mut reasons = Vec::new();
    if verdict != Verdict::Reachable {
        for c in &cells {
            let tag = |r: &Reason| -> Reason {
                let mut r = r.clone();
                if c.family == Family::V6 && !r.message.starts_with("IPv6") {
                    r.message = format!("IPv6: {}", r.message);
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
    PairEval {
        verdict,
        reasons,
        cells,
    }
}

fn too_many_cells(address: String) -> PairEval {
    PairEval {
        verdict: Verdict::Unknown,
        reasons: vec![Reason {
            code: codes::UNSUPPORTED_HOP,
            resource: Some(address),
            message: format!(
                "the routes split this pair into more than {MAX_CELLS} address ranges"
            ),
            direction: Direction::Forward,
        }],
        cells: Vec::new(),
    }
}

fn clip(base: Interval, bounds: &[Interval]) -> Interval {
    bounds
        .iter()
        .fold(base, |acc, b| acc.intersect(b).unwrap_or(acc))
}

/// The verdict of a set of cells, taking unknown outcomes as delivered
/// (`optimistic`) or as dropped.
fn verdict_of(cells: &[Cell], optimistic: bool) -> Verdict {
    let ok = |o: Outcome| o == Outcome::Delivered || (optimistic && o == Outcome::Unknown);
    let round_trips = cells
        .iter()
        .filter(|c| ok(c.forward.outcome) && ok(c.ret.outcome))
        .count();
    if round_trips == cells.len() {
        Verdict::Reachable
    } else if round_trips > 0 {
        Verdict::Partial
    } else if cells.iter().any(|c| ok(c.forward.outcome)) {
        Verdict::OneWay
    } else {
        Verdict::Blocked
    }
}
