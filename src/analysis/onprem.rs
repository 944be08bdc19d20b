//! On-premises networks as endpoints of the analysis, next to the subnets.
//!
//! Each network beyond a VPN connection or a Direct Connect gateway
//! association is named by that resource's address. For each network and
//! subnet, two ordered pairs:
//!
//! * `subnet -> network`: a connection from the subnet to an address of each
//!   of the network's ranges (its first address outside the VPCs' blocks), out by the subnet's route
//!   table to the network's virtual private gateway (a static or a
//!   propagated route) or to a transit gateway whose tables send the range to
//!   the network's attachment; the replies come in through the same
//!   connection (`walk::arrive_from_onprem`).
//! * `network -> subnet`: the same two legs in the other order.
//!
//! The verdict is over all the network's ranges: every range making the
//! round trip is `reachable`, some is `partial`. The ranges are those the
//! input gives (static routes) and those the caller names; a network whose
//! ranges are learned over BGP only (a dynamic VPN, a Direct Connect
//! gateway) and that nobody named is `unknown`. Network ACLs apply both
//! ways, with the replies to the ephemeral ports.

use rayon::prelude::*;

use crate::codes;
use crate::model::onprem::{OnPremNetwork, Range, Routing, Via};
use crate::model::{Direction, Flow, Model, Verdict};
use crate::net::Prefix;

use super::endpoints::{cell, Way};
use super::endpoints::{Computed, EndpointInfo};
use super::internet::{drop_leg, no_block, reason, replies_of};
use super::pair::asked;
use super::pair::{conclude, too_many_cells, PairEval, MAX_CELLS};
use super::walk::Reached;
use super::walk::{arrive_from_onprem, walk_to, Detail, Goal, Leg, OnPremAddr, Outcome, Packet};
use super::PairsFilter;

/// The kind of these endpoints in reports.
pub const KIND: &str = "on_premises";

/// The model's on-premises networks (indices), in address order.
fn order(model: &Model) -> Vec<usize> {
    let mut v: Vec<usize> = (0..model.on_prem.len()).collect();
    v.sort_by(|a, b| super::address_order(&model.on_prem[*a].address, &model.on_prem[*b].address));
    v
}

/// The on-premises endpoints and their pairs with the subnets of `order`
/// (whole where `keep` lists them): network by network, first every subnet
/// towards it, then it towards every subnet.
pub(super) fn pairs(
    model: &Model,
    subnets: &[usize],
    flow: Option<&Flow>,
    keep: PairsFilter,
) -> (Vec<EndpointInfo>, Vec<Computed>) {
    let mut list = Vec::new();
    let mut out = Vec::new();
    let address = |s: usize| model.subnets[s].address.clone();
    for n in order(model) {
        let name = model.on_prem[n].address.clone();
        list.push(EndpointInfo {
            name: name.clone(),
            kind: KIND,
        });
        let to: Vec<Computed> = subnets
            .par_iter()
            .map(|&s| {
                let (e, note) = to_onprem(model, s, n, flow, Detail::Reasons);
                Computed::of(keep, || address(s), || name.clone(), e, note)
            })
            .collect();
        let from: Vec<Computed> = subnets
            .par_iter()
            .map(|&s| {
                let (e, note) = from_onprem(model, n, s, flow, Detail::Reasons);
                Computed::of(keep, || name.clone(), || address(s), e, note)
            })
            .collect();
        out.extend(to);
        out.extend(from);
    }
    (list, out)
}

fn answer(verdict: Verdict, r: crate::model::Reason) -> PairEval {
    PairEval {
        verdict,
        reasons: vec![r],
        cells: Vec::new(),
        traffic: None,
    }
}

/// The ranges a walk is sent towards, or the pair's answer when there are
/// none to decide over.
fn ranges(net: &OnPremNetwork) -> Result<Vec<Range>, PairEval> {
    if let Via::Unknown(why) = &net.via {
        // Which gateway carries the network is not known: neither way can
        // be walked.
        let r = reason(
            codes::UNRESOLVED_REFERENCE,
            &net.address,
            why.clone(),
            Direction::Forward,
        );
        return Err(answer(Verdict::Unknown, r));
    }
    let all = net.all_ranges();
    if !all.is_empty() {
        return Ok(all);
    }
    let at = &net.address;
    if let Some(why) = &net.ranges_unknown {
        let r = reason(
            codes::UNRESOLVED_REFERENCE,
            at,
            why.clone(),
            Direction::Forward,
        );
        return Err(answer(Verdict::Unknown, r));
    }
    if let Routing::Unknown(why) = &net.routing {
        let r = reason(
            codes::ONPREM_RANGES_LEARNED_BY_BGP,
            at,
            format!("{why}: if false, the ranges of {at} are learned over BGP when the connection is up, and the input gives none"),
            Direction::Forward,
        );
        return Err(answer(Verdict::Unknown, r));
    }
    if net.learns() {
        let how = match net.kind {
            crate::model::onprem::ConnectionKind::Vpn => {
                "the VPN connection uses BGP (static_routes_only is not true)"
            }
            crate::model::onprem::ConnectionKind::DirectConnect => {
                "a Direct Connect gateway learns them from the on-premises routers"
            }
        };
        let r = reason(
            codes::ONPREM_RANGES_LEARNED_BY_BGP,
            at,
            format!(
                "the address ranges of {at} are learned over BGP at run time ({how}), and the input gives none; name them to decide the pair (--on-prem {at}=CIDR,...)"
            ),
            Direction::Forward,
        );
        return Err(answer(Verdict::Unknown, r));
    }
    let r = reason(
        codes::ONPREM_NO_STATIC_ROUTES,
        at,
        format!(
            "{at} uses static routes only, and no static route of the input sends a range to it"
        ),
        Direction::Forward,
    );
    Err(answer(Verdict::Blocked, r))
}

/// Which ranges the answer is over, and whether BGP may add more.
fn note_of(net: &OnPremNetwork, ranges: &[Range]) -> Option<String> {
    let list: Vec<String> = ranges.iter().map(|r| r.prefix.to_string()).collect();
    let mut note = format!("over {}", list.join(", "));
    if net.learns() && net.named.is_empty() {
        note.push_str("; more ranges may be learned over BGP");
    }
    Some(note)
}

fn goal(n: usize, r: &Range) -> Goal<'static> {
    Goal::OnPrem(OnPremAddr {
        net: n,
        range: r.prefix,
    })
}

/// The address a range is walked to: its first address outside every VPC
/// block of the model (an on-premises supernet such as 10.0.0.0/8 often
/// holds the VPCs' blocks, which are not on-premises), else its first.
pub(super) fn stand_in(model: &Model, range: Prefix) -> u128 {
    let mut a = range.start;
    loop {
        let inside = model
            .vpcs
            .iter()
            .flat_map(|v| v.cidrs.of(range.family))
            .filter(|p| p.contains_addr(a))
            .map(|p| p.end())
            .max();
        match inside {
            Some(end) if end < range.end() => a = end + 1,
            Some(_) => return range.start,
            None => return a,
        }
    }
}

/// The walk towards the network delivered without reaching it.
fn check_reached(model: &Model, s: usize, n: usize, leg: &mut Leg, dir: Direction) {
    if leg.outcome != Outcome::Dropped && leg.reached != Some(Reached::OnPrem(n)) {
        let sub = &model.subnets[s].address;
        let why = format!(
            "the traffic of {sub} does not reach {}",
            model.on_prem[n].address
        );
        drop_leg(leg, reason(codes::NO_ROUTE_TO_DESTINATION, sub, why, dir));
    }
}

/// A connection from subnet `s` to on-premises network `n`, and its
/// replies. Returns the evaluation and the ranges it is over.
pub fn to_onprem(
    model: &Model,
    s: usize,
    n: usize,
    flow: Option<&Flow>,
    detail: Detail,
) -> (PairEval, Option<String>) {
    let net = &model.on_prem[n];
    let ranges = match ranges(net) {
        Ok(r) => r,
        Err(e) => return (e, None),
    };
    let sub = &model.subnets[s];
    if let Some(why) = &sub.cidrs.unknown {
        let r = reason(
            codes::UNKNOWN_CIDR,
            &sub.address,
            why.clone(),
            Direction::Forward,
        );
        return (answer(Verdict::Unknown, r), None);
    }
    let mut cells = Vec::new();
    for range in &ranges {
        let family = range.prefix.family;
        let Some(block) = sub.cidr(family) else {
            continue;
        };
        let addr = stand_in(model, range.prefix);
        let asked = asked(flow, family);
        let mut work = vec![block.interval()];
        while let Some(si) = work.pop() {
            if cells.len() >= MAX_CELLS {
                return (too_many_cells(model.subnet_text(s)), None);
            }
            let p = Packet {
                family,
                src: si.lo,
                dst: addr,
                flows: &asked.forward,
                dir: Direction::Forward,
            };
            let mut fwd = walk_to(model, s, goal(n, range), p, detail);
            check_reached(model, s, n, &mut fwd, Direction::Forward);
            let replies = replies_of(&fwd, &asked);
            let ret = if fwd.outcome == Outcome::Dropped {
                Leg::start(family)
            } else {
                let back = Packet {
                    family,
                    src: addr,
                    dst: si.lo,
                    flows: &replies,
                    dir: Direction::Return,
                };
                arrive_from_onprem(model, n, s, back, detail)
            };
            let flows = (&*asked.forward, &*replies);
            let (c, done) = cell(Way::Out, family, si, addr, (fwd, ret), flows);
            work.extend(si.minus(&done));
            cells.push(c);
        }
    }
    if cells.is_empty() {
        return (no_block(&sub.address), None);
    }
    (conclude(cells, detail, flow), note_of(net, &ranges))
}

/// A connection from on-premises network `n` to subnet `s`, and its
/// replies. Returns the evaluation and the ranges it is over.
pub fn from_onprem(
    model: &Model,
    n: usize,
    s: usize,
    flow: Option<&Flow>,
    detail: Detail,
) -> (PairEval, Option<String>) {
    let net = &model.on_prem[n];
    let ranges = match ranges(net) {
        Ok(r) => r,
        Err(e) => return (e, None),
    };
    let sub = &model.subnets[s];
    if let Some(why) = &sub.cidrs.unknown {
        let r = reason(
            codes::UNKNOWN_CIDR,
            &sub.address,
            why.clone(),
            Direction::Forward,
        );
        return (answer(Verdict::Unknown, r), None);
    }
    let mut cells = Vec::new();
    for range in &ranges {
        let family = range.prefix.family;
        let Some(block) = sub.cidr(family) else {
            continue;
        };
        let addr = stand_in(model, range.prefix);
        let asked = asked(flow, family);
        let mut work = vec![block.interval()];
        while let Some(di) = work.pop() {
            if cells.len() >= MAX_CELLS {
                return (too_many_cells(model.subnet_text(s)), None);
            }
            let p = Packet {
                family,
                src: addr,
                dst: di.lo,
                flows: &asked.forward,
                dir: Direction::Forward,
            };
            let fwd = arrive_from_onprem(model, n, s, p, detail);
            let replies = replies_of(&fwd, &asked);
            let ret = if fwd.outcome == Outcome::Dropped {
                Leg::start(family)
            } else {
                let back = Packet {
                    family,
                    src: di.lo,
                    dst: addr,
                    flows: &replies,
                    dir: Direction::Return,
                };
                let mut ret = walk_to(model, s, goal(n, range), back, detail);
                check_reached(model, s, n, &mut ret, Direction::Return);
                ret
            };
            let flows = (&*asked.forward, &*replies);
            let (c, done) = cell(Way::In, family, di, addr, (fwd, ret), flows);
            work.extend(di.minus(&done));
            cells.push(c);
        }
    }
    if cells.is_empty() {
        return (no_block(&sub.address), None);
    }
    (conclude(cells, detail, flow), note_of(net, &ranges))
}
