//! A deliberately simple reference model of AWS forwarding, written from
//! the rules of SPEC.md Part D (and B.1, B.2, B.8) without looking at how
//! the engine does it, and sharing none of its code or model.
//!
//! It works on a [`Topology`] (plain indices, nothing to resolve), moves one
//! packet at a time, and repeats every lookup from scratch: no interval
//! arithmetic, no caching, no sharing between pairs. Where the engine splits
//! a pair of subnets into exact boxes of addresses, the reference samples
//! addresses instead: the first and last address of each subnet, and the
//! addresses on both sides of every boundary that any prefix of the network
//! (route destination, VPC block, subnet block) draws inside it. Every
//! forwarding decision compares an address with one of those prefixes, so
//! addresses between two consecutive samples are treated alike, and the
//! samples stand for all of them.
//!
//! What the reference models: route tables (explicit association, else the
//! VPC's current main table; `local` routes for every VPC block;
//! longest-prefix match per address family; a configured route for exactly
//! a VPC block replaces its `local` route), peering connections (active
//! only when accepted and the two VPCs share no address; one hop; the
//! destination must be in the peer VPC and the source in the sender's),
//! gateways that leave the network (internet, egress-only, VPN: never a
//! private subnet of another VPC), and appliances (a network interface or
//! NAT gateway that forwards the packet through its own subnet's table).
//! A packet that passes 64 tables is in a loop and dropped.
//!
//! Left out on purpose: network ACLs, transit gateways, endpoints and the
//! source translation of NAT gateways (the generator keeps NAT gateways in
//! subnets where it makes no difference; see `topology::build`). Adding
//! transit gateways means one more `Next` variant that looks up the
//! attachment's associated TGW table and re-enters a VPC through its
//! attachment subnet's table; adding ACLs means a check of the source
//! subnet's outbound and the destination subnet's inbound rules at the
//! points where [`walk`] returns `Delivered` (and a protocol/port in the
//! sample).

use std::collections::BTreeSet;

use crate::topology::{Fam, GwKind, Net, Peering, Status, Target, Topology};

/// What happens to one packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    Delivered,
    Dropped,
    /// Depends on something the input cannot tell.
    Unknown,
}

/// The state a peering connection is in (SPEC B.2.1, B.2.3, C.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PcxState {
    Active,
    Inactive,
    /// Pending acceptance by another account, which may accept it outside
    /// this configuration: "indeterminate" (C.5).
    Undetermined,
}

/// Rule 5: VPCs whose blocks overlap (any block, either family) cannot be
/// peered, whatever the document says. Otherwise the accept status decides;
/// a request pending in another account may still be accepted there.
pub fn peering_state(t: &Topology, p: &Peering) -> PcxState {
    let (a, b) = (&t.vpcs[p.requester], &t.vpcs[p.accepter]);
    let overlap = a
        .all_blocks()
        .iter()
        .any(|x| b.all_blocks().iter().any(|y| x.overlaps(y)));
    if overlap {
        return PcxState::Inactive;
    }
    match p.status {
        Status::Active => PcxState::Active,
        Status::PendingAcceptance if a.account != b.account => PcxState::Undetermined,
        _ => PcxState::Inactive,
    }
}

/// Rule 1: the table a subnet's traffic is routed by: its explicit
/// association, else the VPC's main table (a main-table association
/// overrides the table created with the VPC). `None` when that table's
/// routes are not in the input.
pub fn table_of(t: &Topology, subnet: usize) -> Option<usize> {
    let s = &t.subnets[subnet];
    let v = &t.vpcs[s.vpc];
    let table = s.table.or(v.main_assoc).unwrap_or(v.default_table);
    t.table_in_input(table).then_some(table)
}

/// The route that wins a lookup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    Local,
    Route(usize),
}

/// Rules 2 and 3: the longest prefix containing `dst` among the table's
/// routes of that family and the `local` routes of every block of the
/// table's VPC (a configured route for exactly a VPC block takes its place).
pub fn lookup(t: &Topology, table: usize, fam: Fam, dst: u128) -> Option<Next> {
    let tb = &t.tables[table];
    let mut best: Option<(u8, Next)> = None;
    for (i, r) in tb.routes.iter().enumerate() {
        if r.dest.has(fam, dst) && best.is_none_or(|(len, _)| r.dest.len > len) {
            best = Some((r.dest.len, Next::Route(i)));
        }
    }
    for b in t.vpcs[tb.vpc].blocks(fam) {
        let replaced = tb.routes.iter().any(|r| r.dest == b);
        if !replaced && b.has(fam, dst) && best.is_none_or(|(len, _)| b.len > len) {
            best = Some((b.len, Next::Local));
        }
    }
    best.map(|(_, n)| n)
}

/// The most route tables a packet passes before it counts as looping.
const TTL: usize = 64;

/// Walks one packet from subnet `from` (source address `src`) to `dst`,
/// an address of subnet `to`, and says whether it arrives there.
pub fn walk(t: &Topology, from: usize, to: usize, fam: Fam, src: u128, dst: u128) -> Fate {
    let mut vpc = t.subnets[from].vpc;
    let Some(mut table) = table_of(t, from) else {
        return Fate::Unknown;
    };
    for _ in 0..TTL {
        let next = match lookup(t, table, fam, dst) {
            None => return Fate::Dropped,
            Some(Next::Local) => {
                // Delivered inside this VPC: to the destination only if it
                // is there (overlapping VPCs hold the same addresses).
                return if t.subnets[to].vpc == vpc {
                    Fate::Delivered
                } else {
                    Fate::Dropped
                };
            }
            Some(Next::Route(r)) => t.tables[table].routes[r].target,
        };
        match next {
            Target::Peering(p) => return cross(t, p, vpc, to, fam, src, dst),
            Target::Gateway(g) => match t.gateways[g].kind {
                // Leaves the network: a private subnet of another VPC is not
                // out there (rule 5, no edge-to-edge routing).
                GwKind::Internet | GwKind::EgressOnly | GwKind::Vpn => return Fate::Dropped,
                GwKind::Nat { subnet, .. } | GwKind::Eni { subnet } => {
                    vpc = t.subnets[subnet].vpc;
                    table = match table_of(t, subnet) {
                        Some(x) => x,
                        None => return Fate::Unknown,
                    };
                }
            },
        }
    }
    Fate::Dropped
}

/// Rules 4 to 6: one hop over a peering connection, delivered straight to
/// the destination inside the peer VPC, or dropped.
fn cross(t: &Topology, p: usize, vpc: usize, to: usize, fam: Fam, src: u128, dst: u128) -> Fate {
    let pc = &t.peerings[p];
    let peer = if pc.requester == vpc {
        pc.accepter
    } else if pc.accepter == vpc {
        pc.requester
    } else {
        // The connection does not touch this VPC: nothing to cross.
        return Fate::Dropped;
    };
    let inside = |v: usize, a: u128| t.vpcs[v].blocks(fam).iter().any(|b| b.has(fam, a));
    if !inside(vpc, src) || !inside(peer, dst) || t.subnets[to].vpc != peer {
        return Fate::Dropped;
    }
    match peering_state(t, pc) {
        PcxState::Active => Fate::Delivered,
        PcxState::Inactive => Fate::Dropped,
        PcxState::Undetermined => Fate::Unknown,
    }
}

/// Every prefix a forwarding decision compares addresses with.
fn prefixes(t: &Topology, fam: Fam) -> Vec<Net> {
    let mut out = Vec::new();
    for tb in &t.tables {
        out.extend(tb.routes.iter().map(|r| r.dest));
    }
    for v in &t.vpcs {
        out.extend(v.all_blocks());
    }
    for s in &t.subnets {
        out.push(s.v4);
        out.extend(s.v6);
    }
    out.retain(|p| p.fam == fam);
    out
}

/// The addresses of `block` that stand for all of it (see the module doc).
pub fn samples(t: &Topology, block: Net) -> Vec<u128> {
    let fam = block.fam;
    let mut out = vec![block.start, block.last()];
    for p in prefixes(t, fam) {
        for a in [
            p.start.wrapping_sub(1),
            p.start,
            p.last(),
            p.last().wrapping_add(1),
        ] {
            if block.has(fam, a) {
                out.push(a);
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The verdict of a list of (forward, return) fates, reading `Unknown` as
/// delivered (`optimistic`) or as dropped: the definitions of CONTRACT.md.
fn judge(cells: &[(Fate, Fate)], optimistic: bool) -> &'static str {
    let ok = |f: Fate| f == Fate::Delivered || (optimistic && f == Fate::Unknown);
    let trips = cells.iter().filter(|(f, r)| ok(*f) && ok(*r)).count();
    if trips == cells.len() {
        "reachable"
    } else if trips > 0 {
        "partial"
    } else if cells.iter().any(|(f, _)| ok(*f)) {
        "one_way"
    } else {
        "blocked"
    }
}

/// The verdict for the ordered pair of subnets (`s`, `d`): for each
/// sampled address pair of each family both subnets hold, the forward walk
/// and the independent return walk (no reverse-path forwarding). It is
/// `unknown` when reading the unknown fates as delivered and as dropped
/// gives different verdicts: then, and only then, the verdict depends on
/// them.
pub fn verdict(t: &Topology, s: usize, d: usize) -> &'static str {
    let mut cells = Vec::new();
    for fam in [Fam::V4, Fam::V6] {
        let (Some(sb), Some(db)) = (t.subnets[s].block(fam), t.subnets[d].block(fam)) else {
            continue;
        };
        let (xs, ys) = (samples(t, sb), samples(t, db));
        for &a in &xs {
            for &b in &ys {
                cells.push((walk(t, s, d, fam, a, b), walk(t, d, s, fam, b, a)));
            }
        }
    }
    if cells.is_empty() {
        return "blocked";
    }
    let (opt, pess) = (judge(&cells, true), judge(&cells, false));
    if opt == pess {
        opt
    } else {
        "unknown"
    }
}

/// The verdict from every address pair, for subnets small enough to list:
/// checks that the samples stand for the whole blocks.
pub fn verdict_exhaustive(t: &Topology, s: usize, d: usize) -> &'static str {
    let mut cells = Vec::new();
    for fam in [Fam::V4, Fam::V6] {
        let (Some(sb), Some(db)) = (t.subnets[s].block(fam), t.subnets[d].block(fam)) else {
            continue;
        };
        for a in sb.start..=sb.last() {
            for b in db.start..=db.last() {
                cells.push((walk(t, s, d, fam, a, b), walk(t, d, s, fam, b, a)));
            }
        }
    }
    if cells.is_empty() {
        return "blocked";
    }
    let (opt, pess) = (judge(&cells, true), judge(&cells, false));
    if opt == pess {
        opt
    } else {
        "unknown"
    }
}

/// The routes (table, route) that send some address of a third VPC's block
/// into a peering connection: a packet for that address, looked up in the
/// route's table, takes this route into the peering, and the address is
/// not in the peer VPC but in a VPC other than the two the peering joins.
/// The peering's state does not matter: the route relies on transit either
/// way.
pub fn transitive_routes(t: &Topology) -> BTreeSet<(usize, usize)> {
    let mut out = BTreeSet::new();
    for (ti, tb) in t.tables.iter().enumerate() {
        if !t.table_in_input(ti) {
            continue;
        }
        let v = tb.vpc;
        for (ri, r) in tb.routes.iter().enumerate() {
            let Target::Peering(p) = r.target else {
                continue;
            };
            let pc = &t.peerings[p];
            let x = if pc.requester == v {
                pc.accepter
            } else if pc.accepter == v {
                pc.requester
            } else {
                continue;
            };
            let fam = r.dest.fam;
            let in_vpc = |y: usize, a: u128| t.vpcs[y].blocks(fam).iter().any(|b| b.has(fam, a));
            let transits = samples(t, r.dest).into_iter().any(|a| {
                lookup(t, ti, fam, a) == Some(crate::reference::Next::Route(ri))
                    && !in_vpc(x, a)
                    && (0..t.vpcs.len()).any(|y| y != v && y != x && in_vpc(y, a))
            });
            if transits {
                out.insert((ti, ri));
            }
        }
    }
    out
}
