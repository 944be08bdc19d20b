//! Pairwise subnet reachability: verdicts, reasons and findings.
//!
//! For an ordered pair (S, D) and each address family both hold, the pair
//! of blocks is split into boxes of (source range, destination range) over
//! which every routing decision is the same, using the validity intervals
//! that each walk reports. Each box gets a forward walk (S to D) and an
//! independent return walk (D to S: AWS has no reverse-path forwarding), and
//! the verdict follows from which boxes make the round trip. Values unknown
//! until apply are resolved both ways (as delivered and as dropped): when
//! the two answers differ, the verdict is `unknown`.
//!
//! Rayon is used here only; results are sorted by address and identical
//! with one thread or many.

pub mod findings;
pub mod lpm;
pub mod walk;

use std::cmp::Ordering;

use rayon::prelude::*;
use serde::Serialize;

use crate::codes;
use crate::model::Model;
use crate::net::{Family, Interval, Prefix};
use crate::report::{Direction, Finding, Reason, Verdict};

pub use walk::{Hop, Outcome};

/// Which pairs a report lists (the summary always counts all).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum PairsFilter {
    /// Every ordered pair.
    #[default]
    All,
    /// Pairs whose verdict is not `reachable`.
    Failing,
    /// No pairs (for estates too large to list).
    None,
}

/// What to analyse and what to keep. Build it with struct update syntax
/// (`Options { pairs, ..Default::default() }`) so new fields stay
/// compatible.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub pairs: PairsFilter,
}

/// A subnet as reports show it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SubnetInfo {
    pub address: String,
    pub vpc: Option<String>,
    pub cidr: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipv6_cidr: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub availability_zone: Option<String>,
}

/// The verdict for one ordered pair; `from` and `to` index
/// [`Analysis::subnets`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairResult {
    pub from: usize,
    pub to: usize,
    pub verdict: Verdict,
    pub reasons: Vec<Reason>,
}

/// Verdict counts over all ordered pairs (CONTRACT.md).
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub pairs: u64,
    pub reachable: u64,
    pub one_way: u64,
    pub blocked: u64,
    pub partial: u64,
    pub unknown: u64,
}

impl Summary {
    pub fn add(&mut self, v: Verdict, n: u64) {
        self.pairs += n;
        *match v {
            Verdict::Reachable => &mut self.reachable,
            Verdict::OneWay => &mut self.one_way,
            Verdict::Blocked => &mut self.blocked,
            Verdict::Partial => &mut self.partial,
            Verdict::Unknown => &mut self.unknown,
        } += n;
    }

    fn merge(mut self, o: Summary) -> Summary {
        self.pairs += o.pairs;
        self.reachable += o.reachable;
        self.one_way += o.one_way;
        self.blocked += o.blocked;
        self.partial += o.partial;
        self.unknown += o.unknown;
        self
    }

    pub fn count(&self, v: Verdict) -> u64 {
        match v {
            Verdict::Reachable => self.reachable,
            Verdict::OneWay => self.one_way,
            Verdict::Blocked => self.blocked,
            Verdict::Partial => self.partial,
            Verdict::Unknown => self.unknown,
        }
    }
}

/// The analysis of one model.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// Subnets sorted by address.
    pub subnets: Vec<SubnetInfo>,
    /// Model index of each entry of `subnets`.
    pub model_index: Vec<usize>,
    /// The pairs the filter kept, sorted by (from, to).
    pub pairs: Vec<PairResult>,
    pub summary: Summary,
    /// Findings, sorted and without duplicates.
    pub findings: Vec<Finding>,
}

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

/// Orders addresses so that `x[2]` comes before `x[10]`.
pub fn address_order(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    loop {
        match (x.first(), y.first()) {
            (None, None) => return Ordering::Equal,
            (None, _) => return Ordering::Less,
            (_, None) => return Ordering::Greater,
            (Some(c), Some(d)) if c.is_ascii_digit() && d.is_ascii_digit() => {
                let nx = x.iter().take_while(|c| c.is_ascii_digit()).count();
                let ny = y.iter().take_while(|c| c.is_ascii_digit()).count();
                let (dx, dy) = (&x[..nx], &y[..ny]);
                let tx = dx.iter().skip_while(|c| **c == b'0').count();
                let ty = dy.iter().skip_while(|c| **c == b'0').count();
                let o = tx
                    .cmp(&ty)
                    .then_with(|| dx[nx - tx..].cmp(&dy[ny - ty..]))
                    .then_with(|| nx.cmp(&ny));
                if o != Ordering::Equal {
                    return o;
                }
                x = &x[nx..];
                y = &y[ny..];
            }
            (Some(c), Some(d)) => {
                if c != d {
                    return c.cmp(d);
                }
                x = &x[1..];
                y = &y[1..];
            }
        }
    }
}

/// Evaluates one ordered pair of distinct subnets (model indices). With
/// `trace`, the cells carry the hop lists for `explain`.
pub fn evaluate_pair(model: &Model, s: usize, d: usize, trace: bool) -> PairEval {
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
            let fwd = walk::walk(model, s, d, family, si.lo, di.lo, Direction::Forward, trace);
            let ret = walk::walk(model, d, s, family, di.lo, si.lo, Direction::Return, trace);
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

fn subnet_info(model: &Model, i: usize) -> SubnetInfo {
    let s = &model.subnets[i];
    SubnetInfo {
        address: s.address.clone(),
        vpc: match &s.vpc {
            crate::model::Link::To(v) => Some(model.vpcs[*v].address.clone()),
            crate::model::Link::External(id) => Some(id.clone()),
            _ => None,
        },
        cidr: s.cidr(Family::V4).map(|p: Prefix| p.to_string()),
        ipv6_cidr: s.cidr(Family::V6).map(|p| p.to_string()),
        availability_zone: s.availability_zone.clone(),
    }
}

/// Analyses every ordered pair of distinct subnets, in parallel.
pub fn analyze(model: &Model, mut found: Vec<Finding>, opts: &Options) -> Analysis {
    let filter = opts.pairs;
    let mut order: Vec<usize> = (0..model.subnets.len()).collect();
    order.sort_by(|a, b| address_order(&model.subnets[*a].address, &model.subnets[*b].address));
    let subnets: Vec<SubnetInfo> = order.iter().map(|&i| subnet_info(model, i)).collect();
    let n = order.len();
    let rows: Vec<(Vec<PairResult>, Summary)> = (0..n)
        .into_par_iter()
        .map(|from| {
            let mut kept = Vec::new();
            let mut summary = Summary::default();
            for to in 0..n {
                if to == from {
                    continue;
                }
                let e = evaluate_pair(model, order[from], order[to], false);
                summary.add(e.verdict, 1);
                let keep = match filter {
                    PairsFilter::All => true,
                    PairsFilter::Failing => e.verdict != Verdict::Reachable,
                    PairsFilter::None => false,
                };
                if keep {
                    kept.push(PairResult {
                        from,
                        to,
                        verdict: e.verdict,
                        reasons: e.reasons,
                    });
                }
            }
            (kept, summary)
        })
        .collect();
    let mut pairs = Vec::new();
    let mut summary = Summary::default();
    for (p, s) in rows {
        pairs.extend(p);
        summary = summary.merge(s);
    }
    found.extend(findings::findings(model));
    found.sort();
    found.dedup();
    Analysis {
        subnets,
        model_index: order,
        pairs,
        summary,
        findings: found,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_address_order() {
        let mut v = vec!["a[10]", "a[2]", "a[1]", "b", "a"];
        v.sort_by(|a, b| address_order(a, b));
        assert_eq!(v, vec!["a", "a[1]", "a[2]", "a[10]", "b"]);
    }
}
