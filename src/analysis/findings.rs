//! Findings that need no pair to show them: routes that rely on transitive
//! peering, routes into inactive peerings, peerings routed from one side.

use std::collections::BTreeSet;

use crate::codes;
use crate::model::Finding;
use crate::model::{Dest, Link, Model, PeeringState, Route, Target};
use crate::net::{Family, Interval, OverlapIndex, Prefix};

use super::lpm::lookup;

/// The parts of `range` for which `route` wins the lookup in table `t`.
fn winning_parts(
    model: &Model,
    t: usize,
    route: &Route,
    family: Family,
    range: Interval,
) -> Vec<Interval> {
    let table = &model.route_tables[t];
    let mut out = Vec::new();
    let mut a = range.lo;
    loop {
        let lk = lookup(table, family, a);
        let end = lk.valid.hi.min(range.hi);
        if lk.route.is_some_and(|r| std::ptr::eq(r, route)) {
            out.push(Interval { lo: a, hi: end });
        }
        if end >= range.hi {
            break;
        }
        a = end + 1;
    }
    out
}

/// Removes `cut` from every interval of `parts`.
fn subtract(parts: Vec<Interval>, cut: &Interval) -> Vec<Interval> {
    parts
        .into_iter()
        .flat_map(|p| match p.intersect(cut) {
            Some(i) => p.minus(&i),
            None => vec![p],
        })
        .collect()
}

/// The VPC blocks of each family, so the blocks overlapping an interval are
/// found without a scan of every VPC.
struct BlockIndex {
    v4: OverlapIndex<(Prefix, usize)>,
    v6: OverlapIndex<(Prefix, usize)>,
}

impl BlockIndex {
    fn new(model: &Model) -> Self {
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        for (i, vpc) in model.vpcs.iter().enumerate() {
            v4.extend(vpc.cidrs.v4.iter().map(|p| (p.interval(), (*p, i))));
            v6.extend(vpc.cidrs.v6.iter().map(|p| (p.interval(), (*p, i))));
        }
        BlockIndex {
            v4: OverlapIndex::new(v4),
            v6: OverlapIndex::new(v6),
        }
    }

    /// (VPC, block) pairs whose block overlaps one of `parts`, in block order.
    fn overlapping(&self, f: Family, parts: &[Interval]) -> Vec<(usize, Prefix)> {
        let blocks = match f {
            Family::V4 => &self.v4,
            Family::V6 => &self.v6,
        };
        let mut out: Vec<(usize, Prefix)> = parts
            .iter()
            .flat_map(|part| blocks.overlapping(*part))
            .map(|&(_, (p, v))| (v, p))
            .collect();
        out.sort_by_key(|(v, p)| (*p, *v));
        out.dedup();
        out
    }
}

/// Every configuration finding the routing itself shows.
pub fn findings(model: &Model) -> Vec<Finding> {
    let mut out = Vec::new();
    let blocks = BlockIndex::new(model);
    // Which VPCs route into each peering.
    let mut routed_from: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); model.peerings.len()];
    for (t, table) in model.route_tables.iter().enumerate() {
        let Some(v) = table.vpc.index() else { continue };
        for route in &table.routes {
            let Target::Peering(Link::To(p)) = &route.target else {
                continue;
            };
            let peering = &model.peerings[*p];
            routed_from[*p].insert(v);
            if let PeeringState::Inactive(why) = &peering.state {
                out.push(Finding::new(
                    codes::PEERING_NOT_ACTIVE,
                    &route.resource,
                    format!(
                        "{} routes into {}, which will not be active: {why}",
                        route.resource, peering.address
                    ),
                ));
            }
            let Dest::Cidr(prefix) = route.dest else {
                continue;
            };
            let Some(&Link::To(x)) = peering.other_side(v) else {
                continue;
            };
            let peer = &model.vpcs[x];
            if peer.cidrs.unknown.is_some() {
                continue;
            }
            let parts = winning_parts(model, t, route, prefix.family, prefix.interval());
            let mut outside = parts.clone();
            for b in peer.cidrs.of(prefix.family) {
                outside = subtract(outside, &b.interval());
            }
            if outside.is_empty() {
                continue;
            }
            // Third VPCs whose blocks the route sends into the peering, and
            // that the peer could forward to: relying on that is relying on
            // transitive routing. A VPC the peer has no connection to (a
            // reused block elsewhere in the estate) makes the route merely
            // reach beyond the peer.
            let mut beyond = outside.clone();
            for (y, b) in blocks.overlapping(prefix.family, &outside) {
                if y == x || y == v || !connected(model, x, y) {
                    continue;
                }
                let third = &model.vpcs[y];
                let hit: Vec<Interval> = outside
                    .iter()
                    .filter_map(|o| o.intersect(&b.interval()))
                    .collect();
                if let Some(h) = hit.first() {
                    out.push(Finding::new(
                        codes::TRANSITIVE_PEERING,
                        &route.resource,
                        format!(
                            "{} sends {} ({}'s CIDR block {b}) into {}, which joins {} and {} only; peering is not transitive, so AWS drops this traffic",
                            route.resource,
                            h.describe(prefix.family),
                            third.address,
                            peering.address,
                            model.vpcs[v].address,
                            peer.address
                        ),
                    ));
                }
                beyond = subtract(beyond, &b.interval());
            }
            for own in model.vpcs[v].cidrs.of(prefix.family) {
                beyond = subtract(beyond, &own.interval());
            }
            if let Some(b) = beyond.first() {
                out.push(Finding::new(
                    codes::PEERING_ROUTE_BEYOND_PEER,
                    &route.resource,
                    format!(
                        "{} sends {} into {}, but only {}'s own blocks ({}) cross it: the rest is dropped (no transit, and the peer's internet, NAT or VPN gateways cannot be used through a peering)",
                        route.resource,
                        describe_parts(&beyond, b, prefix.family),
                        peering.address,
                        peer.address,
                        peer.cidrs
                            .of(prefix.family)
                            .iter()
                            .map(Prefix::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        }
    }
    for (p, peering) in model.peerings.iter().enumerate() {
        let (Link::To(a), Link::To(b)) = (&peering.requester, &peering.accepter) else {
            continue;
        };
        if matches!(peering.state, PeeringState::Inactive(_)) {
            continue;
        }
        let from_a = routed_from[p].contains(a);
        let from_b = routed_from[p].contains(b);
        if from_a != from_b {
            let (has, lacks) = if from_a { (a, b) } else { (b, a) };
            out.push(Finding::new(
                codes::PEERING_ROUTE_ONE_SIDED,
                &peering.address,
                format!(
                    "{} is routed from {} but no route table of {} routes back into it: traffic can only go one way",
                    peering.address, model.vpcs[*has].address, model.vpcs[*lacks].address
                ),
            ));
        }
    }
    out
}

/// Whether VPC `x` has a connection to VPC `y` that could carry traffic
/// between them: a peering between the two (accepted or not, but never
/// between overlapping blocks, which AWS refuses), or a transit gateway
/// both are attached to.
fn connected(model: &Model, x: usize, y: usize) -> bool {
    let (vx, vy) = (&model.vpcs[x], &model.vpcs[y]);
    let overlap = vx
        .cidrs
        .all()
        .any(|a| vy.cidrs.all().any(|b| a.overlaps(b)));
    let peered = !overlap
        && model
            .peerings
            .iter()
            .any(|p| p.other_side(x) == Some(&Link::To(y)));
    peered
        || vx.attachments.iter().any(|&a| {
            let tgw = &model.tgw_attachments[a].tgw;
            tgw.index().is_some()
                && vy
                    .attachments
                    .iter()
                    .any(|&b| &model.tgw_attachments[b].tgw == tgw)
        })
}

fn describe_parts(parts: &[Interval], first: &Interval, f: Family) -> String {
    if parts.len() == 1 {
        first.describe(f)
    } else {
        format!("{} and {} more ranges", first.describe(f), parts.len() - 1)
    }
}
