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
//! VPC's current main table, which holds only `local` routes when the input
//! does not have it; `local` routes for every VPC block; longest-prefix
//! match per address family; a configured route for exactly a VPC block
//! replaces its `local` route; a route inside the VPC's blocks that AWS
//! refuses never exists), peering connections (active only when accepted
//! and the two VPCs share no address; one hop; the destination must be in
//! the peer VPC and the source in the sender's), gateways that leave the
//! network (internet, egress-only, VPN: never a private subnet of another
//! VPC), appliances (a network interface, instance or GWLB endpoint that
//! forwards the packet through its own subnet's table) and NAT gateways
//! (the same, with the source translated to the NAT's address, so that
//! replies go back to the NAT; a public one reaches no other VPC). A packet
//! that passes 64 tables is in a loop and dropped.
//!
//! Left out on purpose: network ACLs, transit gateways and endpoints other
//! than GWLB endpoints (the generator names them only in routes AWS
//! refuses, so they never carry traffic). Adding
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
    if !can_exist(t, p) {
        return PcxState::Inactive;
    }
    let (a, b) = (&t.vpcs[p.requester], &t.vpcs[p.accepter]);
    match p.status {
        Status::Active => PcxState::Active,
        Status::PendingAcceptance if a.account != b.account => PcxState::Undetermined,
        _ => PcxState::Inactive,
    }
}

/// Rule 1: the table a subnet's traffic is routed by: its explicit
/// association, else the VPC's main table (a main-table association
/// overrides the table created with the VPC). A main table that is not in
/// the input is the one AWS created with the VPC, which holds only the
/// `local` routes (SPEC B.1.1: "By default a non-default VPC's main table
/// contains only a local route"); the topology gives it no routes, so the
/// lookup sees exactly those.
pub fn table_of(t: &Topology, subnet: usize) -> usize {
    let s = &t.subnets[subnet];
    let v = &t.vpcs[s.vpc];
    s.table.or(v.main_assoc).unwrap_or(v.default_table)
}

/// The VPCs whose main table is not in the input and routes some subnet:
/// the ones whose traffic rests on the table being as AWS created it.
pub fn assumed_main_tables(t: &Topology) -> BTreeSet<usize> {
    (0..t.subnets.len())
        .filter_map(|s| {
            let v = &t.vpcs[t.subnets[s].vpc];
            let main = v.main_assoc.unwrap_or(v.default_table);
            let table = table_of(t, s);
            (table == main && !t.table_in_input(table)).then_some(t.subnets[s].vpc)
        })
        .collect()
}

/// The routes (table, route) AWS refuses to create: see [`refused`].
pub fn refused_routes(t: &Topology) -> BTreeSet<(usize, usize)> {
    let mut out = BTreeSet::new();
    for (ti, tb) in t.tables.iter().enumerate() {
        for ri in 0..tb.routes.len() {
            if refused(t, ti, ri) {
                out.insert((ti, ri));
            }
        }
    }
    out
}

/// Whether AWS refuses to create route `r` of table `table` (SPEC B.1.2,
/// "more-specific-than-local routes"): a route whose destination lies
/// inside one of the VPC's blocks exists only when its target is a
/// middlebox (network interface, instance, GWLB endpoint, NAT gateway) and
/// its destination is exactly a block of the VPC (replacing the `local`
/// target) or exactly a subnet's block. Any other such route fails at apply
/// and never exists: the `local` route keeps its range.
pub fn refused(t: &Topology, table: usize, r: usize) -> bool {
    let tb = &t.tables[table];
    let route = &tb.routes[r];
    let v = &t.vpcs[tb.vpc];
    if !v.all_blocks().iter().any(|b| b.covers(&route.dest)) {
        return false;
    }
    let middlebox = match route.target {
        Target::Gateway(g) => t.gateways[g].kind.appliance_subnet().is_some(),
        Target::Peering(_) => false,
    };
    let whole = v.all_blocks().contains(&route.dest)
        || t.subnets
            .iter()
            .any(|s| s.vpc == tb.vpc && [Some(s.v4), s.v6].contains(&Some(route.dest)));
    !(middlebox && whole)
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
    let exists = |i: usize| !refused(t, table, i);
    for (i, r) in tb.routes.iter().enumerate() {
        if exists(i) && r.dest.has(fam, dst) && best.is_none_or(|(len, _)| r.dest.len > len) {
            best = Some((r.dest.len, Next::Route(i)));
        }
    }
    for b in t.vpcs[tb.vpc].blocks(fam) {
        let replaced = (0..tb.routes.len()).any(|i| exists(i) && tb.routes[i].dest == b);
        if !replaced && b.has(fam, dst) && best.is_none_or(|(len, _)| b.len > len) {
            best = Some((b.len, Next::Local));
        }
    }
    best.map(|(_, n)| n)
}

/// The most route tables a packet passes before it counts as looping.
const TTL: usize = 64;

/// What became of one packet: its fate, and the NAT gateways that
/// translated its source address on the way, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trip {
    pub fate: Fate,
    pub nats: Vec<usize>,
}

/// Walks one packet from subnet `from` (source address `src`) to `dst`,
/// an address of subnet `to`, and says whether it arrives there.
///
/// A NAT gateway translates the source address to its own (SPEC B.8, step
/// 3) and forwards the packet through its subnet's table. A public NAT
/// gateway only reaches the internet: never a private subnet of another
/// VPC. Appliances (interfaces, instances, GWLB endpoints) forward the
/// packet unchanged through their subnet's table.
pub fn walk(t: &Topology, from: usize, to: usize, fam: Fam, src: u128, dst: u128) -> Trip {
    let mut vpc = t.subnets[from].vpc;
    let mut table = table_of(t, from);
    let mut src = src;
    let mut nats = Vec::new();
    let end = |fate: Fate, nats: Vec<usize>| Trip { fate, nats };
    for _ in 0..TTL {
        let next = match lookup(t, table, fam, dst) {
            None => return end(Fate::Dropped, nats),
            Some(Next::Local) => {
                // Delivered inside this VPC: to the destination only if it
                // is there (overlapping VPCs hold the same addresses).
                let fate = if t.subnets[to].vpc == vpc {
                    Fate::Delivered
                } else {
                    Fate::Dropped
                };
                return end(fate, nats);
            }
            Some(Next::Route(r)) => t.tables[table].routes[r].target,
        };
        let g = match next {
            Target::Peering(p) => return end(cross(t, p, vpc, to, fam, src, dst), nats),
            Target::Gateway(g) => g,
        };
        let kind = t.gateways[g].kind;
        match kind {
            // Leaves the network: a private subnet of another VPC is not
            // out there (rule 5, no edge-to-edge routing). Transit gateways
            // and gateway endpoints are only ever named by routes AWS
            // refuses (see `topology::Shapes::inside_routes`), which
            // `lookup` never returns.
            GwKind::Internet
            | GwKind::EgressOnly
            | GwKind::Vpn
            | GwKind::TransitGateway
            | GwKind::GatewayEndpoint => return end(Fate::Dropped, nats),
            GwKind::Nat { private, .. } => {
                let inside = t.vpcs[vpc].blocks(fam).iter().any(|b| b.has(fam, dst));
                if !private && !inside {
                    return end(Fate::Dropped, nats);
                }
                src = t.nat_ip(g);
                nats.push(g);
            }
            GwKind::Eni { .. } | GwKind::Instance { .. } | GwKind::Gwlbe { .. } => {}
        }
        let subnet = kind.appliance_subnet().expect("an appliance has a subnet");
        vpc = t.subnets[subnet].vpc;
        table = table_of(t, subnet);
    }
    end(Fate::Dropped, nats)
}

/// The fate of the reply to a packet that went from `src` in subnet `s` to
/// `dst` in subnet `d` through NAT gateways `nats`: it is addressed to the
/// last NAT's address, which sends it on (translated back) to the address
/// it came from, and so on back to `src`. Each leg is walked independently
/// (no reverse-path forwarding). A leg that passes a NAT gateway itself is
/// dropped: the reply reaches the NAT it is meant for from an address that
/// NAT has no connection for.
pub fn reply(
    t: &Topology,
    d: usize,
    s: usize,
    fam: Fam,
    dst: u128,
    src: u128,
    nats: &[usize],
) -> Fate {
    let mut from = d;
    let mut fate = Fate::Delivered;
    for &n in nats.iter().rev() {
        let nat_subnet = t.gateways[n]
            .kind
            .appliance_subnet()
            .expect("a NAT has a subnet");
        let leg = walk(t, from, nat_subnet, fam, dst, t.nat_ip(n));
        fate = worse(
            fate,
            if leg.nats.is_empty() {
                leg.fate
            } else {
                Fate::Dropped
            },
        );
        if fate == Fate::Dropped {
            return fate;
        }
        from = nat_subnet;
    }
    let leg = walk(t, from, s, fam, dst, src);
    worse(
        fate,
        if leg.nats.is_empty() {
            leg.fate
        } else {
            Fate::Dropped
        },
    )
}

/// The worse of two fates: dropped, then unknown, then delivered.
fn worse(a: Fate, b: Fate) -> Fate {
    match (a, b) {
        (Fate::Dropped, _) | (_, Fate::Dropped) => Fate::Dropped,
        (Fate::Unknown, _) | (_, Fate::Unknown) => Fate::Unknown,
        _ => Fate::Delivered,
    }
}

/// One sampled address pair: the forward fate from `a` in `s` to `b` in
/// `d`, and the fate of the reply.
fn cell(t: &Topology, s: usize, d: usize, fam: Fam, a: u128, b: u128) -> (Fate, Fate) {
    let fwd = walk(t, s, d, fam, a, b);
    (fwd.fate, reply(t, d, s, fam, b, a, &fwd.nats))
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
                cells.push(cell(t, s, d, fam, a, b));
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
                cells.push(cell(t, s, d, fam, a, b));
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

/// Whether a peering connection can exist at all: AWS refuses one
/// between VPCs whose blocks overlap (rule 5).
pub fn can_exist(t: &Topology, p: &Peering) -> bool {
    let (a, b) = (&t.vpcs[p.requester], &t.vpcs[p.accepter]);
    !a.all_blocks()
        .iter()
        .any(|x| b.all_blocks().iter().any(|y| x.overlaps(y)))
}

/// The routes (table, route) that rely on transitive peering (issue 10, 3):
/// a packet for some address, looked up in the route's table, takes this
/// route into a peering with VPC X, the address is not in X's blocks, and
/// it is in a third VPC that X is peered with by a peering that can exist
/// (the hop the route relies on X to make). The state of either peering
/// does not matter: the route relies on transit either way. A route AWS
/// refuses never exists and relies on nothing.
pub fn transitive_routes(t: &Topology) -> BTreeSet<(usize, usize)> {
    routes_into_third_vpcs(t, true)
}

/// The routes that send some address of any third VPC's block into a
/// peering, whether or not the peer VPC is peered with that third VPC:
/// the rule before issue 10, an upper bound of [`transitive_routes`].
pub fn routes_into_third_vpcs(t: &Topology, peered_only: bool) -> BTreeSet<(usize, usize)> {
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
            let peered_with_x = |y: usize| {
                t.peerings.iter().any(|q| {
                    ((q.requester, q.accepter) == (x, y) || (q.requester, q.accepter) == (y, x))
                        && can_exist(t, q)
                })
            };
            let transits = samples(t, r.dest).into_iter().any(|a| {
                lookup(t, ti, fam, a) == Some(Next::Route(ri))
                    && !in_vpc(x, a)
                    && (0..t.vpcs.len()).any(|y| {
                        y != v && y != x && in_vpc(y, a) && (!peered_only || peered_with_x(y))
                    })
            });
            if transits {
                out.insert((ti, ri));
            }
        }
    }
    out
}
