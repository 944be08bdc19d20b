//! The random networks of the differential and metamorphic tests: a plain
//! description (indices, not IDs, so the reference model never has to
//! resolve anything), the proptest generator that produces it, and the
//! renderer that turns it into the JSON `terraform show -json` prints for a
//! state, or a plan.
//!
//! The generator only builds networks AWS would accept (one subnet per
//! address range in a VPC, routes no more specific than `local` unless they
//! target an appliance, gateways in the route table's own VPC, one peering
//! per pair of VPCs), with two deliberate exceptions that the engine must
//! still survive: routes into a peering that does not touch the table's VPC,
//! and peerings between overlapping VPCs that claim to be active.
//!
//! Shape choices that keep the reference simple and exact are said where
//! they are made (NAT gateways, for instance, sit in subnets whose table
//! only leads to the internet).

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::{json, Map, Value};

// ---------------------------------------------------------------------------
// Addresses

/// The address family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fam {
    V4,
    V6,
}

impl Fam {
    pub fn bits(self) -> u8 {
        match self {
            Fam::V4 => 32,
            Fam::V6 => 128,
        }
    }
}

/// A CIDR block: the family, the first address and the prefix length.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Net {
    pub fam: Fam,
    pub start: u128,
    pub len: u8,
}

impl Net {
    /// A block, with its host bits cleared.
    pub fn new(fam: Fam, addr: u128, len: u8) -> Net {
        let host = u32::from(fam.bits() - len);
        let start = if host >= 128 {
            0
        } else {
            addr & !((1u128 << host) - 1)
        };
        Net { fam, start, len }
    }

    pub fn v4(a: u8, b: u8, c: u8, d: u8, len: u8) -> Net {
        Net::new(
            Fam::V4,
            u128::from(u32::from(Ipv4Addr::new(a, b, c, d))),
            len,
        )
    }

    pub fn last(&self) -> u128 {
        let host = u32::from(self.fam.bits() - self.len);
        if host >= 128 {
            u128::MAX
        } else {
            self.start | ((1u128 << host) - 1)
        }
    }

    pub fn has(&self, fam: Fam, addr: u128) -> bool {
        self.fam == fam && self.start <= addr && addr <= self.last()
    }

    /// Every address of `other` is in `self`.
    pub fn covers(&self, other: &Net) -> bool {
        self.fam == other.fam && self.start <= other.start && other.last() <= self.last()
    }

    pub fn overlaps(&self, other: &Net) -> bool {
        self.fam == other.fam && self.start <= other.last() && other.start <= self.last()
    }

    /// The `index`-th block of length `len` inside this one.
    pub fn sub(&self, len: u8, index: u128) -> Net {
        let len = len.clamp(self.len, self.fam.bits());
        let count_bits = u32::from(len - self.len);
        let index = if count_bits >= 128 {
            index
        } else {
            index % (1u128 << count_bits)
        };
        let host = u32::from(self.fam.bits() - len);
        let offset = if host >= 128 { 0 } else { index << host };
        Net::new(self.fam, self.start + offset, len)
    }
}

/// Formats one address of a family.
pub fn fmt_addr(fam: Fam, a: u128) -> String {
    match fam {
        Fam::V4 => Ipv4Addr::from(a as u32).to_string(),
        Fam::V6 => Ipv6Addr::from(a).to_string(),
    }
}

impl fmt::Display for Net {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", fmt_addr(self.fam, self.start), self.len)
    }
}

impl fmt::Debug for Net {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

// ---------------------------------------------------------------------------
// The description

/// A whole network. Every cross-reference is an index into these vectors.
#[derive(Clone, Debug)]
pub struct Topology {
    pub vpcs: Vec<Vpc>,
    pub subnets: Vec<Subnet>,
    pub tables: Vec<Table>,
    pub peerings: Vec<Peering>,
    pub gateways: Vec<Gateway>,
}

#[derive(Clone, Debug)]
pub struct Vpc {
    /// The primary IPv4 block first, then the secondary ones (each an
    /// `aws_vpc_ipv4_cidr_block_association`).
    pub v4: Vec<Net>,
    pub v6: Option<Net>,
    /// 0 or 1: which of two AWS accounts owns the VPC.
    pub account: u8,
    /// The table AWS created with the VPC (index into `tables`).
    pub default_table: usize,
    /// Whether the input manages that table (`aws_default_route_table`).
    /// When it does not, its routes are not in the input.
    pub default_managed: bool,
    /// A custom table made main by `aws_main_route_table_association`.
    pub main_assoc: Option<usize>,
    /// Whether `main_route_table_id` of the VPC already shows `main_assoc`
    /// (a refreshed state) or still the default table.
    pub main_id_refreshed: bool,
}

impl Vpc {
    pub fn blocks(&self, fam: Fam) -> Vec<Net> {
        match fam {
            Fam::V4 => self.v4.clone(),
            Fam::V6 => self.v6.into_iter().collect(),
        }
    }

    pub fn all_blocks(&self) -> Vec<Net> {
        self.v4.iter().copied().chain(self.v6).collect()
    }
}

#[derive(Clone, Debug)]
pub struct Subnet {
    pub vpc: usize,
    pub v4: Net,
    pub v6: Option<Net>,
    /// Explicit route table association.
    pub table: Option<usize>,
}

impl Subnet {
    pub fn block(&self, fam: Fam) -> Option<Net> {
        match fam {
            Fam::V4 => Some(self.v4),
            Fam::V6 => self.v6,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Table {
    pub vpc: usize,
    pub routes: Vec<Route>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub dest: Net,
    pub target: Target,
    pub style: Style,
}

/// How the configuration writes a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// A `route` block of the table.
    Inline,
    /// An `aws_route` resource; `listed` when the table's (computed) route
    /// list shows it too, as it does once the state has been refreshed.
    Standalone { listed: bool },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Peering(usize),
    Gateway(usize),
}

#[derive(Clone, Debug)]
pub struct Peering {
    pub requester: usize,
    pub accepter: usize,
    pub status: Status,
    /// An `aws_vpc_peering_connection_accepter` with `auto_accept = true`
    /// is in the input.
    pub accepter_resource: bool,
}

/// `accept_status` of a peering connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Active,
    PendingAcceptance,
    Failed,
    Rejected,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::PendingAcceptance => "pending-acceptance",
            Status::Failed => "failed",
            Status::Rejected => "rejected",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Gateway {
    pub vpc: usize,
    pub kind: GwKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GwKind {
    Internet,
    EgressOnly,
    Vpn,
    /// A NAT gateway in a subnet.
    Nat {
        subnet: usize,
        private: bool,
    },
    /// An appliance's network interface in a subnet (source/destination
    /// check off): it forwards what it receives through its subnet's table.
    Eni {
        subnet: usize,
    },
    /// An appliance instance (`instance_id`): forwards like an interface.
    Instance {
        subnet: usize,
    },
    /// A Gateway Load Balancer endpoint in a subnet: a bump in the wire that
    /// forwards like an interface (SPEC B.4.3).
    Gwlbe {
        subnet: usize,
    },
    /// A transit gateway attached to the VPC. Only routes AWS refuses (inside
    /// the VPC's own blocks) ever target it, so it never carries traffic.
    TransitGateway,
    /// A gateway endpoint (S3). Only refused routes target it.
    GatewayEndpoint,
}

impl GwKind {
    /// The subnet of an appliance the route table forwards through (an
    /// interface, an instance, a GWLB endpoint, a NAT gateway).
    pub fn appliance_subnet(self) -> Option<usize> {
        match self {
            GwKind::Eni { subnet }
            | GwKind::Instance { subnet }
            | GwKind::Gwlbe { subnet }
            | GwKind::Nat { subnet, .. } => Some(subnet),
            _ => None,
        }
    }
}

/// The shapes of issue 10 a generator may produce, on top of the default
/// ones. Each is an option so that a shape whose engine behaviour is not yet
/// right can be left out (with a named, ignored test) while the rest runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Shapes {
    /// VPCs whose main route table is not in the input (no
    /// `aws_default_route_table`, no main association) with subnets that
    /// have no explicit association. Off, the generator never leaves a
    /// subnet on a main table that is not in the input.
    pub unmanaged_main: bool,
    /// Routes whose destination is inside one of the table's VPC blocks,
    /// to every kind of middlebox (interface, instance, GWLB endpoint,
    /// private NAT gateway), for a whole subnet's or a whole block's range.
    /// Off, only such routes to interfaces.
    pub inside_routes: bool,
    /// With `inside_routes`, also the routes AWS refuses there: targets
    /// that are not middleboxes (peering, internet, egress-only, VPN and
    /// transit gateways, gateway endpoints), and middlebox routes narrower
    /// than a block that match no subnet.
    pub refused_routes: bool,
    /// VPC blocks taken from two /16s only, so most VPCs overlap.
    pub reuse: bool,
    /// Private NAT gateways in subnets with route tables of their own that
    /// random routes fill (so the NAT's traffic can reach other VPCs), and
    /// NAT gateways as targets of routes to any IPv4 destination.
    pub private_nat: bool,
}

impl Shapes {
    pub const ALL: Shapes = Shapes {
        unmanaged_main: true,
        inside_routes: true,
        refused_routes: true,
        reuse: true,
        private_nat: true,
    };
}

impl Topology {
    /// The address of NAT gateway `g` (also its private IP in the documents).
    pub fn nat_ip(&self, g: usize) -> u128 {
        match self.gateways[g].kind {
            GwKind::Nat { subnet, .. } => self.subnets[subnet].v4.start + 5,
            _ => panic!("gateway {g} is not a NAT gateway"),
        }
    }

    /// Whether a table is rendered (an unmanaged default table is not).
    pub fn table_in_input(&self, t: usize) -> bool {
        let v = &self.vpcs[self.tables[t].vpc];
        v.default_table != t || v.default_managed
    }
}

// ---------------------------------------------------------------------------
// The generator: raw choices, interpreted modulo what exists, so that
// shrinking (fewer elements, smaller numbers) gives simpler networks.

#[derive(Clone, Debug)]
pub struct RawVpc {
    pub base: u8,
    pub len: u8,
    pub secondary: Option<(u8, u8)>,
    pub v6: Option<u8>,
    pub account: u8,
    pub igw: bool,
    pub vgw: bool,
    pub default_managed: u8,
    pub main_assoc: Option<u8>,
    pub refreshed: bool,
}

#[derive(Clone, Debug)]
pub struct RawSubnet {
    pub vpc: u8,
    pub extra_len: u8,
    pub slot: u16,
    pub secondary: bool,
    pub v6: bool,
    pub table: Option<u8>,
}

#[derive(Clone, Debug)]
pub struct RawRoute {
    pub table: u8,
    pub dest_kind: u8,
    pub a: u8,
    pub b: u8,
    pub target_kind: u8,
    pub t: u8,
    pub style: u8,
}

#[derive(Clone, Debug)]
pub struct RawPeering {
    pub a: u8,
    pub b: u8,
    pub kind: u8,
}

#[derive(Clone, Debug)]
pub struct RawDevice {
    pub subnet: u8,
    pub nat: bool,
    pub private: bool,
}

#[derive(Clone, Debug)]
pub struct Raw {
    pub vpcs: Vec<RawVpc>,
    pub extra_tables: Vec<u8>,
    pub subnets: Vec<RawSubnet>,
    pub devices: Vec<RawDevice>,
    pub peerings: Vec<RawPeering>,
    pub routes: Vec<RawRoute>,
}

fn raw_vpc() -> impl Strategy<Value = RawVpc> {
    (
        (0u8..6, 0u8..3),
        proptest::option::weighted(0.4, (0u8..4, 0u8..3)),
        proptest::option::weighted(0.3, 0u8..3),
        (0u8..4, any::<bool>(), any::<bool>()),
        (
            0u8..8,
            proptest::option::weighted(0.25, any::<u8>()),
            any::<bool>(),
        ),
    )
        .prop_map(
            |((base, len), secondary, v6, (account, igw, vgw), (dm, main_assoc, refreshed))| {
                RawVpc {
                    base,
                    len,
                    secondary,
                    v6,
                    account,
                    igw,
                    vgw,
                    default_managed: dm,
                    main_assoc,
                    refreshed,
                }
            },
        )
}

fn raw_subnet() -> impl Strategy<Value = RawSubnet> {
    (
        any::<u8>(),
        2u8..9,
        any::<u16>(),
        proptest::bool::weighted(0.2),
        proptest::bool::weighted(0.7),
        proptest::option::weighted(0.6, any::<u8>()),
    )
        .prop_map(|(vpc, extra_len, slot, secondary, v6, table)| RawSubnet {
            vpc,
            extra_len,
            slot,
            secondary,
            v6,
            table,
        })
}

fn raw_route() -> impl Strategy<Value = RawRoute> {
    (
        any::<u8>(),
        0u8..12,
        any::<u8>(),
        any::<u8>(),
        0u8..10,
        any::<u8>(),
        0u8..5,
    )
        .prop_map(|(table, dest_kind, a, b, target_kind, t, style)| RawRoute {
            table,
            dest_kind,
            a,
            b,
            target_kind,
            t,
            style,
        })
}

fn raw_peering() -> impl Strategy<Value = RawPeering> {
    (any::<u8>(), any::<u8>(), 0u8..10).prop_map(|(a, b, kind)| RawPeering { a, b, kind })
}

fn raw_device() -> impl Strategy<Value = RawDevice> {
    (any::<u8>(), proptest::bool::weighted(0.4), any::<bool>()).prop_map(
        |(subnet, nat, private)| RawDevice {
            subnet,
            nat,
            private,
        },
    )
}

/// Random raw networks of up to `max_vpcs` VPCs.
pub fn raw(max_vpcs: usize) -> impl Strategy<Value = Raw> {
    (
        vec(raw_vpc(), 1..=max_vpcs),
        vec(any::<u8>(), 0..=max_vpcs * 2),
        vec(raw_subnet(), 1..=max_vpcs * 3),
        vec(raw_device(), 0..=max_vpcs),
        vec(raw_peering(), 0..=max_vpcs * 2),
        vec(raw_route(), 0..=max_vpcs * 8),
    )
        .prop_map(
            |(vpcs, extra_tables, subnets, devices, peerings, routes)| Raw {
                vpcs,
                extra_tables,
                subnets,
                devices,
                peerings,
                routes,
            },
        )
}

/// Random networks, as the tests use them.
pub fn topology(max_vpcs: usize) -> impl Strategy<Value = Topology> {
    raw(max_vpcs).prop_map(|r| build(&r))
}

/// Random networks that also take the given shapes of issue 10.
pub fn topology_with(max_vpcs: usize, shapes: Shapes) -> impl Strategy<Value = Topology> {
    raw(max_vpcs).prop_map(move |r| build_with(&r, shapes))
}

/// Turns raw choices into a valid network of the default shapes.
pub fn build(raw: &Raw) -> Topology {
    build_with(raw, Shapes::default())
}

/// Turns raw choices into a network AWS accepts, except for the refused
/// routes and impossible peerings the module doc and [`Shapes`] name.
pub fn build_with(raw: &Raw, shapes: Shapes) -> Topology {
    let mut t = Topology {
        vpcs: Vec::new(),
        subnets: Vec::new(),
        tables: Vec::new(),
        peerings: Vec::new(),
        gateways: Vec::new(),
    };
    // VPCs: 10.<base>.0.0/<16|18|20>; equal bases overlap. Secondary blocks
    // come from a small pool, so they overlap across VPCs too.
    let v6_base: u128 = 0x2600_1f18_0000_0000_0000_0000_0000_0000;
    for rv in &raw.vpcs {
        let base = if shapes.reuse { rv.base % 2 } else { rv.base };
        let primary = Net::v4(10, base, 0, 0, 16 + 2 * rv.len);
        let mut v4 = vec![primary];
        if let Some((c, k)) = rv.secondary {
            let s = match k {
                0 => Net::v4(100, 64, c * 4, 0, 22),
                1 => Net::v4(172, 16, c * 16, 0, 20),
                _ => Net::v4(100, 64, (c / 2) * 8, 0, 21),
            };
            if !v4.iter().any(|x| x.overlaps(&s)) {
                v4.push(s);
            }
        }
        let v6 = rv
            .v6
            .map(|k| Net::new(Fam::V6, v6_base + (u128::from(k) << 72), 56));
        let vi = t.vpcs.len();
        let default_table = t.tables.len();
        t.tables.push(Table {
            vpc: vi,
            routes: Vec::new(),
        });
        t.vpcs.push(Vpc {
            v4,
            v6,
            account: u8::from(rv.account == 3),
            default_table,
            default_managed: if shapes.unmanaged_main {
                rv.default_managed >= 4
            } else {
                rv.default_managed != 0
            },
            main_assoc: None,
            main_id_refreshed: rv.refreshed,
        });
        let mut gw = |kind| {
            t.gateways.push(Gateway { vpc: vi, kind });
        };
        if rv.igw {
            gw(GwKind::Internet);
        }
        if rv.vgw {
            gw(GwKind::Vpn);
        }
        if v6.is_some() {
            gw(GwKind::EgressOnly);
        }
        if shapes.inside_routes {
            gw(GwKind::TransitGateway);
            gw(GwKind::GatewayEndpoint);
        }
    }
    let nv = t.vpcs.len();
    // Custom tables.
    for &x in &raw.extra_tables {
        t.tables.push(Table {
            vpc: usize::from(x) % nv,
            routes: Vec::new(),
        });
    }
    for (vi, rv) in raw.vpcs.iter().enumerate() {
        if let Some(m) = rv.main_assoc {
            let own = tables_of(&t, vi, false);
            if !own.is_empty() {
                t.vpcs[vi].main_assoc = Some(own[usize::from(m) % own.len()]);
            }
        }
    }
    // Subnets: non-overlapping within their VPC.
    for rs in &raw.subnets {
        let vi = usize::from(rs.vpc) % nv;
        let vpc = &t.vpcs[vi];
        let block = if rs.secondary && vpc.v4.len() > 1 {
            vpc.v4[1]
        } else {
            vpc.v4[0]
        };
        let len = (block.len + rs.extra_len).min(28);
        let v4 = block.sub(len, u128::from(rs.slot));
        let taken = t.subnets.iter().any(|s| s.vpc == vi && s.v4.overlaps(&v4));
        if taken {
            continue;
        }
        let v6 = match (vpc.v6, rs.v6) {
            (Some(b), true) => {
                let n = t.subnets.iter().filter(|s| s.vpc == vi).count();
                Some(b.sub(64, n as u128))
            }
            _ => None,
        };
        let tables = tables_of(&t, vi, true);
        let table = rs.table.map(|x| tables[usize::from(x) % tables.len()]);
        t.subnets.push(Subnet {
            vpc: vi,
            v4,
            v6,
            table,
        });
    }
    // Devices. A NAT gateway's subnet gets a table of its own that leads
    // only to the internet (a public subnet). Since only appliance routes
    // may be more specific than `local`, a NAT gateway only ever receives
    // traffic for addresses outside its VPC, which its table drops at the
    // internet gateway: its source address translation, which the
    // reference leaves out, changes no verdict. Appliances (ENIs) forward
    // transparently, as AWS does.
    let mut nat_subnets = Vec::new();
    let mut private_nat_subnets = Vec::new();
    for d in &raw.devices {
        if t.subnets.is_empty() {
            break;
        }
        let si = usize::from(d.subnet) % t.subnets.len();
        let vi = t.subnets[si].vpc;
        if d.nat {
            if nat_subnets.contains(&si) || private_nat_subnets.contains(&si) {
                continue;
            }
            if shapes.private_nat && d.private {
                private_nat_subnets.push(si);
            } else {
                nat_subnets.push(si);
            }
            t.gateways.push(Gateway {
                vpc: vi,
                kind: GwKind::Nat {
                    subnet: si,
                    private: d.private,
                },
            });
        } else {
            let kind = match (shapes.inside_routes, d.subnet / 64 % 3) {
                (true, 1) => GwKind::Instance { subnet: si },
                (true, 2) => GwKind::Gwlbe { subnet: si },
                _ => GwKind::Eni { subnet: si },
            };
            t.gateways.push(Gateway { vpc: vi, kind });
        }
    }
    // A private NAT gateway (with `private_nat`) gets a table of its own,
    // which random routes fill like any other: its traffic, translated to
    // its own address, may go anywhere.
    for &si in &private_nat_subnets {
        let vi = t.subnets[si].vpc;
        t.subnets[si].table = Some(t.tables.len());
        t.tables.push(Table {
            vpc: vi,
            routes: Vec::new(),
        });
    }
    let mut public_tables = Vec::new();
    for &si in &nat_subnets {
        let vi = t.subnets[si].vpc;
        let existing = public_tables
            .iter()
            .copied()
            .find(|&pt: &usize| t.tables[pt].vpc == vi);
        let pt = match existing {
            Some(pt) => pt,
            None => {
                let pt = t.tables.len();
                let mut routes = Vec::new();
                if let Some(g) = gateway_of(&t, vi, GwKind::Internet) {
                    routes.push(Route {
                        dest: Net::v4(0, 0, 0, 0, 0),
                        target: Target::Gateway(g),
                        style: Style::Inline,
                    });
                }
                t.tables.push(Table { vpc: vi, routes });
                public_tables.push(pt);
                pt
            }
        };
        t.subnets[si].table = Some(pt);
    }
    // A main table that is also a public table would send other subnets'
    // traffic to the NAT's subnet table: keep mains elsewhere.
    for v in &mut t.vpcs {
        if v.main_assoc.is_some_and(|m| public_tables.contains(&m)) {
            v.main_assoc = None;
        }
    }
    // Without `unmanaged_main`, no subnet uses a table that is not in the
    // input (the main table, or the default table associated explicitly
    // when the VPC has no other): such a table is managed after all.
    if !shapes.unmanaged_main {
        for vi in 0..t.vpcs.len() {
            let v = &t.vpcs[vi];
            let main = v.main_assoc.unwrap_or(v.default_table);
            let used = t
                .subnets
                .iter()
                .any(|s| s.vpc == vi && !t.table_in_input(s.table.unwrap_or(main)));
            if used {
                t.vpcs[vi].default_managed = true;
            }
        }
    }
    // Peerings: at most one per pair of VPCs.
    for rp in &raw.peerings {
        let (a, b) = (usize::from(rp.a) % nv, usize::from(rp.b) % nv);
        if a == b
            || t.peerings
                .iter()
                .any(|p| (p.requester, p.accepter) == (a, b) || (p.requester, p.accepter) == (b, a))
        {
            continue;
        }
        let (status, accepter_resource) = match rp.kind {
            0..=3 => (Status::Active, false),
            4 | 5 => (Status::Active, true),
            6 | 7 => (Status::PendingAcceptance, false),
            8 => (Status::Failed, false),
            _ => (Status::Rejected, false),
        };
        t.peerings.push(Peering {
            requester: a,
            accepter: b,
            status,
            accepter_resource,
        });
    }
    // Routes.
    let routable: Vec<usize> = (0..t.tables.len())
        .filter(|&ti| !public_tables.contains(&ti) && t.table_in_input(ti))
        .collect();
    if shapes.private_nat {
        wire_private_nats(&mut t, &routable, raw);
    }
    for rr in raw.routes.iter().filter(|_| !routable.is_empty()) {
        let ti = routable[usize::from(rr.table) % routable.len()];
        let vi = t.tables[ti].vpc;
        let Some((dest, middlebox)) = pick_dest(&t, vi, rr, shapes) else {
            continue;
        };
        let Some(target) = pick_target(&t, vi, rr, dest.fam, middlebox, shapes) else {
            continue;
        };
        if t.tables[ti].routes.iter().any(|r| r.dest == dest) {
            continue;
        }
        if middlebox && !shapes.refused_routes && !accepted_inside(&t, vi, dest, target) {
            continue;
        }
        let style = match rr.style {
            0 | 1 => Style::Inline,
            2 => Style::Standalone { listed: false },
            _ => Style::Standalone { listed: true },
        };
        t.tables[ti].routes.push(Route {
            dest,
            target,
            style,
        });
    }
    t
}

/// Gives each private NAT gateway a path to a VPC its own VPC is peered
/// with: the NAT's table sends that VPC's primary block into the peering,
/// another table of the VPC sends it to the NAT, and the peer VPC's tables
/// route back either the NAT's subnet only or the whole VPC (a raw bit
/// picks), so that replies to the NAT's address and replies to the
/// client's own address part ways.
fn wire_private_nats(t: &mut Topology, routable: &[usize], raw: &Raw) {
    let nats: Vec<(usize, usize, usize)> = (0..t.gateways.len())
        .filter_map(|g| match t.gateways[g].kind {
            GwKind::Nat {
                subnet,
                private: true,
            } => Some((g, subnet, t.gateways[g].vpc)),
            _ => None,
        })
        .collect();
    for (k, (g, si, vi)) in nats.into_iter().enumerate() {
        let bits = raw.devices.get(k).map_or(0, |d| d.subnet);
        let Some(p) = (0..t.peerings.len()).find(|&p| {
            let pc = &t.peerings[p];
            pc.requester == vi || pc.accepter == vi
        }) else {
            continue;
        };
        let pc = &t.peerings[p];
        let wi = if pc.requester == vi {
            pc.accepter
        } else {
            pc.requester
        };
        let far = t.vpcs[wi].v4[0];
        let back = if bits % 2 == 0 {
            t.subnets[si].v4
        } else {
            t.vpcs[vi].v4[0]
        };
        let add = |t: &mut Topology, ti: usize, dest: Net, target: Target| {
            let inside = t.vpcs[t.tables[ti].vpc]
                .all_blocks()
                .iter()
                .any(|b| b.overlaps(&dest));
            if !inside && !t.tables[ti].routes.iter().any(|r| r.dest == dest) {
                t.tables[ti].routes.push(Route {
                    dest,
                    target,
                    style: Style::Inline,
                });
            }
        };
        let Some(nat_table) = t.subnets[si].table else {
            continue;
        };
        add(t, nat_table, far, Target::Peering(p));
        for &ti in routable {
            if t.tables[ti].vpc == vi && ti != nat_table {
                add(t, ti, far, Target::Gateway(g));
            } else if t.tables[ti].vpc == wi && (bits / 2) % 3 != 0 {
                add(t, ti, back, Target::Peering(p));
            }
        }
    }
}

/// Whether AWS accepts a route inside VPC `vi`'s blocks (SPEC B.1.2): to a
/// middlebox, for exactly a block or a subnet's block of the VPC.
fn accepted_inside(t: &Topology, vi: usize, dest: Net, target: Target) -> bool {
    let middlebox = match target {
        Target::Gateway(g) => t.gateways[g].kind.appliance_subnet().is_some(),
        Target::Peering(_) => false,
    };
    let whole = t.vpcs[vi].all_blocks().contains(&dest)
        || t.subnets
            .iter()
            .any(|s| s.vpc == vi && (s.v4 == dest || s.v6 == Some(dest)));
    middlebox && whole
}

/// The tables of a VPC; with `assoc`, those a subnet may be associated
/// with (rendered ones only: the default table only when managed).
fn tables_of(t: &Topology, vi: usize, assoc: bool) -> Vec<usize> {
    let out: Vec<usize> = (0..t.tables.len())
        .filter(|&x| t.tables[x].vpc == vi)
        .filter(|&x| !assoc || t.table_in_input(x))
        .collect();
    if out.is_empty() {
        vec![t.vpcs[vi].default_table]
    } else {
        out
    }
}

fn gateway_of(t: &Topology, vi: usize, kind: GwKind) -> Option<usize> {
    t.gateways
        .iter()
        .position(|g| g.vpc == vi && g.kind == kind)
}

/// A route destination, and whether it is an appliance route (more specific
/// than `local`, allowed only towards an appliance).
fn pick_dest(t: &Topology, vi: usize, rr: &RawRoute, shapes: Shapes) -> Option<(Net, bool)> {
    let nv = t.vpcs.len();
    let other = &t.vpcs[usize::from(rr.a) % nv];
    let own = &t.vpcs[vi];
    let (dest, middlebox) = match rr.dest_kind {
        // Another VPC's block (possibly its own: then skipped below).
        0 | 1 => {
            let blocks = other.all_blocks();
            (blocks[usize::from(rr.b) % blocks.len()], false)
        }
        // A subnet's block, of any VPC.
        2 => {
            let s = t.subnets.get(usize::from(rr.a) % t.subnets.len().max(1))?;
            let b = if rr.b % 2 == 0 {
                s.v6.unwrap_or(s.v4)
            } else {
                s.v4
            };
            (b, false)
        }
        // A part of another VPC's block: a more specific route.
        3 | 4 => {
            let blocks = other.all_blocks();
            let b = blocks[usize::from(rr.b) % blocks.len()];
            let extra = 1 + rr.b % 4;
            (b.sub(b.len + extra, u128::from(rr.a / 7)), false)
        }
        // Supernets, the default routes.
        5 => {
            let pool = [
                Net::v4(0, 0, 0, 0, 0),
                Net::v4(10, 0, 0, 0, 8),
                Net::v4(10, 0, 0, 0, 12),
                Net::v4(100, 64, 0, 0, 10),
                Net::new(Fam::V6, 0, 0),
                Net::v4(10, 0, 0, 0, 14),
            ];
            (pool[usize::from(rr.b) % pool.len()], false)
        }
        // A range no VPC uses (on premises).
        6 => (Net::v4(192, 168, rr.b, 0, 24), false),
        // Appliance routes: a whole subnet of the own VPC, or (rarely) a
        // whole block of the VPC, replacing the `local` target.
        7 | 8 => {
            let own_subnets: Vec<&Subnet> = t.subnets.iter().filter(|s| s.vpc == vi).collect();
            let s = own_subnets.get(usize::from(rr.b) % own_subnets.len().max(1))?;
            let b = if rr.a % 3 == 0 {
                s.v6.unwrap_or(s.v4)
            } else {
                s.v4
            };
            (b, true)
        }
        9 => {
            let blocks = own.all_blocks();
            (blocks[usize::from(rr.b) % blocks.len()], true)
        }
        // IPv6 default route and the other VPC's IPv6 block.
        10 => (Net::new(Fam::V6, 0, 0), false),
        _ => (other.v6.unwrap_or(other.v4[0]), false),
    };
    let inside_own = own.all_blocks().iter().any(|b| b.covers(&dest));
    if shapes.inside_routes {
        // Any destination, and any target for it: the target picks whether
        // AWS accepts the route.
        return Some((dest, inside_own));
    }
    if inside_own != middlebox {
        return None;
    }
    Some((dest, middlebox))
}

fn pick_target(
    t: &Topology,
    vi: usize,
    rr: &RawRoute,
    fam: Fam,
    middlebox: bool,
    shapes: Shapes,
) -> Option<Target> {
    let own_gw = |pred: &dyn Fn(&GwKind) -> bool| -> Vec<usize> {
        (0..t.gateways.len())
            .filter(|&g| t.gateways[g].vpc == vi && pred(&t.gateways[g].kind))
            .collect()
    };
    let pick = |v: Vec<usize>| -> Option<usize> {
        (!v.is_empty()).then(|| v[usize::from(rr.t) % v.len()])
    };
    // Appliances that forward both families, and those kept to IPv4
    // (instances and GWLB endpoints, whose IPv6 support SPEC E leaves open).
    let appliance = |k: &GwKind| match k {
        GwKind::Eni { .. } => true,
        GwKind::Instance { .. } | GwKind::Gwlbe { .. } => fam == Fam::V4,
        _ => false,
    };
    let peerings = || -> Vec<usize> {
        (0..t.peerings.len())
            .filter(|&p| t.peerings[p].requester == vi || t.peerings[p].accepter == vi)
            .collect()
    };
    if middlebox && shapes.inside_routes {
        // Inside the VPC's own blocks: every kind of target (issue 10, 2).
        let g = match rr.target_kind {
            0 => pick(own_gw(&|k| matches!(k, GwKind::Eni { .. }))),
            1 => pick(own_gw(&|k| matches!(k, GwKind::Instance { .. }))),
            2 => pick(own_gw(&|k| matches!(k, GwKind::Gwlbe { .. }))),
            // NAT gateways translate the source, which `private_nat` is
            // about: with it only.
            3 if fam == Fam::V4 && shapes.private_nat => {
                pick(own_gw(&|k| matches!(k, GwKind::Nat { private: true, .. })))
            }
            4 => return pick(peerings()).map(Target::Peering),
            5 => pick(own_gw(&|k| {
                matches!(k, GwKind::Internet | GwKind::EgressOnly | GwKind::Vpn)
            })),
            6 => pick(own_gw(&|k| *k == GwKind::TransitGateway)),
            7 => pick(own_gw(&|k| *k == GwKind::GatewayEndpoint)),
            _ => pick(own_gw(&appliance)),
        };
        return g.map(Target::Gateway);
    }
    if middlebox {
        return pick(own_gw(&|k| matches!(k, GwKind::Eni { .. }))).map(Target::Gateway);
    }
    match rr.target_kind {
        // A peering of this VPC.
        0..=4 => pick(peerings()).map(Target::Peering),
        // A peering that does not touch this VPC (AWS would refuse it).
        5 => {
            let theirs: Vec<usize> = (0..t.peerings.len())
                .filter(|&p| t.peerings[p].requester != vi && t.peerings[p].accepter != vi)
                .collect();
            pick(theirs).map(Target::Peering)
        }
        6 => match fam {
            Fam::V4 => pick(own_gw(&|k| *k == GwKind::Internet)).map(Target::Gateway),
            Fam::V6 => pick(own_gw(&|k| *k == GwKind::EgressOnly)).map(Target::Gateway),
        },
        7 => pick(own_gw(&|k| *k == GwKind::Vpn)).map(Target::Gateway),
        // NAT gateways take only IPv4 default routes: see `build`.
        8 if fam == Fam::V4 => {
            pick(own_gw(&|k| matches!(k, GwKind::Nat { .. }))).map(Target::Gateway)
        }
        _ => pick(own_gw(&appliance)).map(Target::Gateway),
    }
}

// ---------------------------------------------------------------------------
// Names and IDs

/// How resources are named: the same network can be rendered under
/// different addresses and IDs.
#[derive(Clone, Copy, Debug, Default)]
pub struct Naming {
    /// Changes every name and ID.
    pub salt: u32,
    /// Places each VPC's resources in a module instance of its own.
    pub modules: bool,
    /// Uses `for_each` keys with dots, quotes, brackets, markup and
    /// non-ASCII letters.
    pub odd_keys: bool,
}

/// Go's `%q`, for the characters the keys below use.
fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

const ODD_KEYS: [&str; 8] = [
    "a.b",
    "q\"uote",
    "br[0]",
    "ключ",
    "<script>alert(1)</script>",
    "sp ace",
    "back\\slash",
    "@here [x](http://e)",
];

/// Where and under which name a resource appears.
#[derive(Clone, Debug)]
pub struct Placed {
    pub module: Option<String>,
    pub rtype: &'static str,
    pub name: String,
    pub index: Option<Value>,
    pub address: String,
}

impl Naming {
    /// Places resource number `i` of type `rtype`, which belongs to VPC `vpc`.
    pub fn place(&self, rtype: &'static str, i: usize, vpc: usize) -> Placed {
        let s = self.salt;
        let module = self.modules.then(|| {
            if (vpc + s as usize) % 2 == 0 {
                format!("module.vpc{}_{s}", vpc)
            } else {
                format!("module.net[{}]", go_quote(&format!("v.{vpc}.{s}")))
            }
        });
        let (name, index) = if self.odd_keys && i % 2 == 0 {
            let key = format!(
                "{}{}{}",
                ODD_KEYS[(i / 2 + s as usize) % ODD_KEYS.len()],
                i,
                s
            );
            (format!("each{s}"), Some(Value::String(key)))
        } else if self.odd_keys {
            (format!("counted{s}"), Some(json!(i)))
        } else {
            (format!("r{s}_{i}"), None)
        };
        let mut address = String::new();
        if let Some(m) = &module {
            address.push_str(m);
            address.push('.');
        }
        address.push_str(rtype);
        address.push('.');
        address.push_str(&name);
        match &index {
            Some(Value::String(k)) => address.push_str(&format!("[{}]", go_quote(k))),
            Some(v) => address.push_str(&format!("[{v}]")),
            None => {}
        }
        Placed {
            module,
            rtype,
            name,
            index,
            address,
        }
    }

    pub fn id(&self, prefix: &str, i: usize) -> String {
        format!(
            "{prefix}-{:08x}{:09x}",
            self.salt.wrapping_mul(2654435761),
            i
        )
    }
}

// ---------------------------------------------------------------------------
// Rendering

/// A rendered network: the resources, and the addresses of the things the
/// tests compare.
pub struct Rendered {
    pub resources: Vec<(Placed, Value)>,
    /// Subnet index -> address.
    pub subnet_addr: Vec<String>,
    /// VPC index -> address.
    pub vpc_addr: Vec<String>,
    /// (table, route) -> the address of the resource that defines it.
    pub route_addr: Vec<Vec<String>>,
}

const REGION: &str = "us-east-1";
const ACCOUNTS: [&str; 2] = ["111122223333", "444455556666"];

fn route_fields(dest: &Net) -> Map<String, Value> {
    let mut m = Map::new();
    for k in [
        "carrier_gateway_id",
        "core_network_arn",
        "destination_prefix_list_id",
        "egress_only_gateway_id",
        "gateway_id",
        "local_gateway_id",
        "nat_gateway_id",
        "network_interface_id",
        "transit_gateway_id",
        "vpc_endpoint_id",
        "vpc_peering_connection_id",
    ] {
        m.insert(k.into(), json!(""));
    }
    let (v4, v6) = match dest.fam {
        Fam::V4 => (dest.to_string(), String::new()),
        Fam::V6 => (String::new(), dest.to_string()),
    };
    m.insert("cidr_block".into(), json!(v4));
    m.insert("ipv6_cidr_block".into(), json!(v6));
    m
}

impl Topology {
    fn table_id(&self, n: &Naming, t: usize) -> String {
        n.id("rtb", t)
    }

    fn target_attr(&self, n: &Naming, target: Target) -> (&'static str, String) {
        match target {
            Target::Peering(p) => ("vpc_peering_connection_id", n.id("pcx", p)),
            Target::Gateway(g) => match self.gateways[g].kind {
                GwKind::Internet => ("gateway_id", n.id("igw", g)),
                GwKind::Vpn => ("gateway_id", n.id("vgw", g)),
                GwKind::EgressOnly => ("egress_only_gateway_id", n.id("eigw", g)),
                GwKind::Nat { .. } => ("nat_gateway_id", n.id("nat", g)),
                GwKind::Eni { .. } => ("network_interface_id", n.id("eni", g)),
                GwKind::Instance { .. } => ("instance_id", n.id("i", g)),
                GwKind::Gwlbe { .. } | GwKind::GatewayEndpoint => {
                    ("vpc_endpoint_id", n.id("vpce", g))
                }
                GwKind::TransitGateway => ("transit_gateway_id", n.id("tgw", g)),
            },
        }
    }

    /// Renders every resource with its values.
    pub fn render(&self, n: &Naming) -> Rendered {
        let mut out: Vec<(Placed, Value)> = Vec::new();
        let owner = |vi: usize| ACCOUNTS[usize::from(self.vpcs[vi].account)];
        let vpc_id = |vi: usize| n.id("vpc", vi);
        let mut vpc_addr = Vec::new();
        for (vi, v) in self.vpcs.iter().enumerate() {
            vpc_addr.push(n.place("aws_vpc", vi, vi).address);
            let main = match (v.main_assoc, v.main_id_refreshed) {
                (Some(m), true) => self.table_id(n, m),
                _ => self.table_id(n, v.default_table),
            };
            out.push((
                n.place("aws_vpc", vi, vi),
                json!({
                    "id": vpc_id(vi),
                    "arn": format!("arn:aws:ec2:{REGION}:{}:vpc/{}", owner(vi), vpc_id(vi)),
                    "cidr_block": v.v4[0].to_string(),
                    "ipv6_cidr_block": v.v6.map(|b| b.to_string()).unwrap_or_default(),
                    "assign_generated_ipv6_cidr_block": v.v6.is_some(),
                    "default_route_table_id": self.table_id(n, v.default_table),
                    "main_route_table_id": main,
                    "default_network_acl_id": n.id("acl", vi),
                    "owner_id": owner(vi),
                    "region": REGION,
                    "tags": {},
                }),
            ));
            for (k, b) in v.v4.iter().enumerate().skip(1) {
                out.push((
                    n.place("aws_vpc_ipv4_cidr_block_association", vi * 4 + k, vi),
                    json!({
                        "id": n.id("vpc-cidr-assoc", vi * 4 + k),
                        "vpc_id": vpc_id(vi),
                        "cidr_block": b.to_string(),
                        "region": REGION,
                    }),
                ));
            }
            if let Some(m) = v.main_assoc {
                out.push((
                    n.place("aws_main_route_table_association", vi, vi),
                    json!({
                        "id": n.id("rtbassoc", 1000 + vi),
                        "vpc_id": vpc_id(vi),
                        "route_table_id": self.table_id(n, m),
                        "original_route_table_id": self.table_id(n, v.default_table),
                        "region": REGION,
                    }),
                ));
            }
        }
        let mut subnet_addr = Vec::new();
        for (si, s) in self.subnets.iter().enumerate() {
            let p = n.place("aws_subnet", si, s.vpc);
            subnet_addr.push(p.address.clone());
            out.push((
                p,
                json!({
                    "id": n.id("subnet", si),
                    "vpc_id": vpc_id(s.vpc),
                    "cidr_block": s.v4.to_string(),
                    "ipv6_cidr_block": s.v6.map(|b| b.to_string()).unwrap_or_default(),
                    "availability_zone": format!("{REGION}{}", ['a', 'b', 'c'][si % 3]),
                    "owner_id": owner(s.vpc),
                    "region": REGION,
                    "tags": {},
                }),
            ));
            if let Some(ti) = s.table {
                out.push((
                    n.place("aws_route_table_association", si, s.vpc),
                    json!({
                        "id": n.id("rtbassoc", si),
                        "subnet_id": n.id("subnet", si),
                        "route_table_id": self.table_id(n, ti),
                        "gateway_id": "",
                        "region": REGION,
                    }),
                ));
            }
        }
        for (gi, g) in self.gateways.iter().enumerate() {
            let (rtype, values) = match g.kind {
                GwKind::Internet => (
                    "aws_internet_gateway",
                    json!({"id": n.id("igw", gi), "vpc_id": vpc_id(g.vpc), "owner_id": owner(g.vpc)}),
                ),
                GwKind::Vpn => (
                    "aws_vpn_gateway",
                    json!({"id": n.id("vgw", gi), "vpc_id": vpc_id(g.vpc), "amazon_side_asn": "64512"}),
                ),
                GwKind::EgressOnly => (
                    "aws_egress_only_internet_gateway",
                    json!({"id": n.id("eigw", gi), "vpc_id": vpc_id(g.vpc)}),
                ),
                GwKind::Nat { subnet, private } => (
                    "aws_nat_gateway",
                    json!({
                        "id": n.id("nat", gi),
                        "subnet_id": n.id("subnet", subnet),
                        "connectivity_type": if private { "private" } else { "public" },
                        "allocation_id": if private { String::new() } else { n.id("eipalloc", gi) },
                        "private_ip": fmt_addr(Fam::V4, self.nat_ip(gi)),
                    }),
                ),
                GwKind::Eni { subnet } => (
                    "aws_network_interface",
                    json!({
                        "id": n.id("eni", gi),
                        "subnet_id": n.id("subnet", subnet),
                        "private_ip": fmt_addr(Fam::V4, self.subnets[subnet].v4.start + 6),
                        "source_dest_check": false,
                    }),
                ),
                GwKind::Instance { subnet } => (
                    "aws_instance",
                    json!({
                        "id": n.id("i", gi),
                        "subnet_id": n.id("subnet", subnet),
                        "private_ip": fmt_addr(Fam::V4, self.subnets[subnet].v4.start + 7),
                        "source_dest_check": false,
                        "ami": "ami-0123456789abcdef0",
                        "instance_type": "c6in.large",
                    }),
                ),
                GwKind::Gwlbe { subnet } => (
                    "aws_vpc_endpoint",
                    json!({
                        "id": n.id("vpce", gi),
                        "vpc_id": vpc_id(g.vpc),
                        "vpc_endpoint_type": "GatewayLoadBalancer",
                        "service_name": "com.amazonaws.vpce.us-east-1.vpce-svc-0aaaabbbbccccdddd",
                        "subnet_ids": [n.id("subnet", subnet)],
                        "route_table_ids": [],
                        "state": "available",
                        "region": REGION,
                    }),
                ),
                GwKind::GatewayEndpoint => (
                    "aws_vpc_endpoint",
                    json!({
                        "id": n.id("vpce", gi),
                        "vpc_id": vpc_id(g.vpc),
                        "vpc_endpoint_type": "Gateway",
                        "service_name": format!("com.amazonaws.{REGION}.s3"),
                        "route_table_ids": [],
                        "prefix_list_id": "pl-63a5400a",
                        "state": "available",
                        "region": REGION,
                    }),
                ),
                GwKind::TransitGateway => {
                    // Attached to the VPC through its first subnet, so that
                    // only the refusal, not a missing attachment, decides.
                    if let Some(si) = self.subnets.iter().position(|s| s.vpc == g.vpc) {
                        out.push((
                            n.place("aws_ec2_transit_gateway_vpc_attachment", gi, g.vpc),
                            json!({
                                "id": n.id("tgw-attach", gi),
                                "transit_gateway_id": n.id("tgw", gi),
                                "vpc_id": vpc_id(g.vpc),
                                "subnet_ids": [n.id("subnet", si)],
                                "appliance_mode_support": "disable",
                                "ipv6_support": "disable",
                                "transit_gateway_default_route_table_association": true,
                                "transit_gateway_default_route_table_propagation": true,
                                "region": REGION,
                            }),
                        ));
                    }
                    (
                        "aws_ec2_transit_gateway",
                        json!({
                            "id": n.id("tgw", gi),
                            "owner_id": owner(g.vpc),
                            "default_route_table_association": "enable",
                            "default_route_table_propagation": "enable",
                            "association_default_route_table_id": n.id("tgw-rtb", gi),
                            "propagation_default_route_table_id": n.id("tgw-rtb", gi),
                            "region": REGION,
                        }),
                    )
                }
            };
            out.push((n.place(rtype, gi, g.vpc), values));
        }
        for (pi, p) in self.peerings.iter().enumerate() {
            let auto = p.status == Status::Active
                && !p.accepter_resource
                && self.vpcs[p.requester].account == self.vpcs[p.accepter].account;
            out.push((
                n.place("aws_vpc_peering_connection", pi, p.requester),
                json!({
                    "id": n.id("pcx", pi),
                    "vpc_id": vpc_id(p.requester),
                    "peer_vpc_id": vpc_id(p.accepter),
                    "peer_owner_id": owner(p.accepter),
                    "peer_region": REGION,
                    "auto_accept": auto,
                    "accept_status": p.status.as_str(),
                    "region": REGION,
                    "tags": {},
                }),
            ));
            if p.accepter_resource {
                out.push((
                    n.place("aws_vpc_peering_connection_accepter", pi, p.accepter),
                    json!({
                        "id": n.id("pcx", pi),
                        "vpc_peering_connection_id": n.id("pcx", pi),
                        "vpc_id": vpc_id(p.accepter),
                        "peer_vpc_id": vpc_id(p.requester),
                        "peer_owner_id": owner(p.requester),
                        "peer_region": REGION,
                        "auto_accept": true,
                        "accept_status": p.status.as_str(),
                        "region": REGION,
                    }),
                ));
            }
        }
        let mut route_addr = Vec::new();
        for (ti, table) in self.tables.iter().enumerate() {
            let vi = table.vpc;
            let default = self.vpcs[vi].default_table == ti;
            let (rtype, idx) = if default {
                ("aws_default_route_table", ti)
            } else {
                ("aws_route_table", ti)
            };
            let tp = n.place(rtype, idx, vi);
            let mut inline = Vec::new();
            let mut addrs = Vec::new();
            for (ri, r) in table.routes.iter().enumerate() {
                let (attr, id) = self.target_attr(n, r.target);
                let mut item = route_fields(&r.dest);
                item.insert(attr.into(), json!(id));
                match r.style {
                    Style::Inline => {
                        inline.push(Value::Object(item));
                        addrs.push(tp.address.clone());
                    }
                    Style::Standalone { listed } => {
                        if listed {
                            inline.push(Value::Object(item));
                        }
                        let k = ti * 64 + ri;
                        let rp = n.place("aws_route", k, vi);
                        addrs.push(rp.address.clone());
                        let (d4, d6) = match r.dest.fam {
                            Fam::V4 => (r.dest.to_string(), String::new()),
                            Fam::V6 => (String::new(), r.dest.to_string()),
                        };
                        let mut v = Map::new();
                        for k in [
                            "carrier_gateway_id",
                            "core_network_arn",
                            "destination_prefix_list_id",
                            "egress_only_gateway_id",
                            "gateway_id",
                            "instance_id",
                            "local_gateway_id",
                            "nat_gateway_id",
                            "network_interface_id",
                            "transit_gateway_id",
                            "vpc_endpoint_id",
                            "vpc_peering_connection_id",
                        ] {
                            v.insert(k.into(), json!(""));
                        }
                        v.insert(attr.into(), json!(id));
                        v.insert(
                            "id".into(),
                            json!(format!("r-{}{}", self.table_id(n, ti), k)),
                        );
                        v.insert("route_table_id".into(), json!(self.table_id(n, ti)));
                        v.insert("destination_cidr_block".into(), json!(d4));
                        v.insert("destination_ipv6_cidr_block".into(), json!(d6));
                        v.insert("origin".into(), json!("CreateRoute"));
                        v.insert("state".into(), json!("active"));
                        v.insert("region".into(), json!(REGION));
                        out.push((rp, Value::Object(v)));
                    }
                }
            }
            route_addr.push(addrs);
            if !self.table_in_input(ti) {
                continue;
            }
            let mut v = json!({
                "id": self.table_id(n, ti),
                "vpc_id": vpc_id(vi),
                "owner_id": owner(vi),
                "propagating_vgws": [],
                "route": inline,
                "region": REGION,
                "tags": {},
            });
            if default {
                v["default_route_table_id"] = json!(self.table_id(n, ti));
            }
            out.push((tp, v));
        }
        Rendered {
            resources: out,
            subnet_addr,
            vpc_addr,
            route_addr,
        }
    }
}

/// Groups rendered resources into a module tree (root first).
fn module_tree(resources: &[(Placed, Value)], with_values: bool) -> Value {
    let entry = |p: &Placed, v: &Value| {
        let mut e = json!({
            "address": p.address,
            "mode": "managed",
            "type": p.rtype,
            "name": p.name,
            "provider_name": "registry.terraform.io/hashicorp/aws",
            "schema_version": 0,
            "sensitive_values": {},
        });
        if let Some(i) = &p.index {
            e["index"] = i.clone();
        }
        if with_values {
            e["values"] = v.clone();
        }
        e
    };
    let mut root = Vec::new();
    let mut children: Vec<(String, Vec<Value>)> = Vec::new();
    for (p, v) in resources {
        match &p.module {
            None => root.push(entry(p, v)),
            Some(m) => match children.iter_mut().find(|(a, _)| a == m) {
                Some((_, list)) => list.push(entry(p, v)),
                None => children.push((m.clone(), vec![entry(p, v)])),
            },
        }
    }
    let child_modules: Vec<Value> = children
        .into_iter()
        .map(|(a, r)| json!({"address": a, "resources": r}))
        .collect();
    let mut m = json!({ "resources": root });
    if !child_modules.is_empty() {
        m["child_modules"] = json!(child_modules);
    }
    m
}

impl Rendered {
    /// `terraform show -json` of a state.
    pub fn state(&self) -> Value {
        json!({
            "format_version": "1.0",
            "terraform_version": "1.9.8",
            "values": { "root_module": module_tree(&self.resources, true) },
        })
    }

    /// A raw `terraform.tfstate` (version 4): resources grouped by module,
    /// type and name, each with its instances.
    pub fn raw_state(&self) -> Value {
        type Group<'a> = ((Option<String>, &'a str, &'a str), Vec<Value>);
        let mut groups: Vec<Group<'_>> = Vec::new();
        for (p, v) in &self.resources {
            let key = (p.module.clone(), p.rtype, p.name.as_str());
            let mut inst =
                json!({"schema_version": 0, "attributes": v, "sensitive_attributes": []});
            if let Some(i) = &p.index {
                inst["index_key"] = i.clone();
            }
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, list)) => list.push(inst),
                None => groups.push((key, vec![inst])),
            }
        }
        let resources: Vec<Value> = groups
            .into_iter()
            .map(|((module, rtype, name), instances)| {
                let mut r = json!({
                    "mode": "managed",
                    "type": rtype,
                    "name": name,
                    "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
                    "instances": instances,
                });
                if let Some(m) = module {
                    r["module"] = json!(m);
                }
                r
            })
            .collect();
        json!({
            "version": 4,
            "terraform_version": "1.9.8",
            "serial": 7,
            "lineage": "5b0c8a2e-2f0e-4c1a-9d7e-000000000010",
            "outputs": {},
            "resources": resources,
            "check_results": null,
        })
    }

    /// `terraform show -json` of a plan that changes nothing: the prior
    /// state and the planned values are the same network.
    pub fn plan(&self) -> Value {
        let changes: Vec<Value> = self
            .resources
            .iter()
            .map(|(p, v)| {
                let mut c = json!({
                    "address": p.address,
                    "mode": "managed",
                    "type": p.rtype,
                    "name": p.name,
                    "provider_name": "registry.terraform.io/hashicorp/aws",
                    "change": {
                        "actions": ["no-op"],
                        "before": v,
                        "after": v,
                        "after_unknown": {},
                        "before_sensitive": {},
                        "after_sensitive": {},
                    },
                });
                if let Some(m) = &p.module {
                    c["module_address"] = json!(m);
                }
                if let Some(i) = &p.index {
                    c["index"] = i.clone();
                }
                c
            })
            .collect();
        json!({
            "format_version": "1.2",
            "terraform_version": "1.9.8",
            "planned_values": { "root_module": module_tree(&self.resources, true) },
            "resource_changes": changes,
            "prior_state": {
                "format_version": "1.0",
                "terraform_version": "1.9.8",
                "values": { "root_module": module_tree(&self.resources, true) },
            },
            "configuration": { "root_module": {} },
        })
    }
}

/// Random networks whose subnets are small enough (at most 64 addresses,
/// IPv4 only) to list every address.
pub fn small_topology(max_vpcs: usize) -> impl Strategy<Value = Topology> {
    raw(max_vpcs).prop_map(|mut r| {
        for v in &mut r.vpcs {
            v.len = 2;
            v.v6 = None;
        }
        for s in &mut r.subnets {
            s.extra_len = 6 + s.extra_len % 3;
        }
        build(&r)
    })
}

/// A readable listing of a network, for failure messages.
pub fn describe(t: &Topology) -> String {
    use std::fmt::Write;
    let mut o = String::new();
    for (i, v) in t.vpcs.iter().enumerate() {
        let _ = writeln!(
            o,
            "vpc {i}: {:?} v6 {:?} account {} default table {}{} main assoc {:?}",
            v.v4,
            v.v6,
            v.account,
            v.default_table,
            if v.default_managed {
                ""
            } else {
                " (not in input)"
            },
            v.main_assoc
        );
    }
    for (i, s) in t.subnets.iter().enumerate() {
        let _ = writeln!(
            o,
            "subnet {i}: vpc {} {} v6 {:?} table {:?}",
            s.vpc, s.v4, s.v6, s.table
        );
    }
    for (i, tb) in t.tables.iter().enumerate() {
        let _ = writeln!(o, "table {i}: vpc {}", tb.vpc);
        for (j, r) in tb.routes.iter().enumerate() {
            let _ = writeln!(
                o,
                "  route {j}: {} -> {:?} ({:?})",
                r.dest, r.target, r.style
            );
        }
    }
    for (i, p) in t.peerings.iter().enumerate() {
        let _ = writeln!(
            o,
            "peering {i}: vpc {} -> vpc {} {:?}{}",
            p.requester,
            p.accepter,
            p.status,
            if p.accepter_resource {
                " + accepter"
            } else {
                ""
            }
        );
    }
    for (i, g) in t.gateways.iter().enumerate() {
        let _ = writeln!(o, "gateway {i}: vpc {} {:?}", g.vpc, g.kind);
    }
    o
}

// ---------------------------------------------------------------------------
// Greenfield plans whose counted blocks are linked through a local

/// The part of a network a greenfield plan of counted blocks linked
/// through `local.layout` renders (issue 10, 5): one account, IPv4 only, no
/// gateways, every peering requested with `auto_accept` (active) or without
/// it (pending in the same account: never active), the tables AWS creates
/// with the VPCs not managed (they hold the local routes), no main-table
/// associations, and only the routes into peerings.
pub fn greenfield(t: &Topology) -> Topology {
    let mut g = t.clone();
    g.gateways.clear();
    for v in &mut g.vpcs {
        v.v6 = None;
        v.account = 0;
        v.default_managed = false;
        v.main_assoc = None;
    }
    for s in &mut g.subnets {
        s.v6 = None;
        if s.table.is_some_and(|ti| g.vpcs[s.vpc].default_table == ti) {
            s.table = None;
        }
    }
    for (ti, tb) in g.tables.iter_mut().enumerate() {
        let default = t.vpcs[tb.vpc].default_table == ti;
        tb.routes.retain(|r| {
            !default && r.dest.fam == Fam::V4 && matches!(r.target, Target::Peering(_))
        });
        for r in &mut tb.routes {
            r.style = Style::Standalone { listed: false };
        }
    }
    for p in &mut g.peerings {
        p.accepter_resource = false;
        if p.status != Status::Active {
            p.status = Status::PendingAcceptance;
        }
    }
    g
}

/// A greenfield plan of a [`greenfield`] network: every block counted
/// (`aws_vpc.vpc[i]`, `aws_subnet.subnet[j]`, ...), every link between
/// them written as `aws_vpc.vpc[local.layout[count.index].vpc].id`, whose
/// references Terraform records as `["aws_vpc.vpc", "local.layout",
/// "count.index"]`: the plan says that the link exists, not which instance
/// it names. Returns the plan, the subnets' addresses (by index), and the
/// routes' addresses (by table and route).
pub fn counted_plan(g: &Topology) -> (Value, Vec<String>, Vec<Vec<String>>) {
    let mut changes = Vec::new();
    let mut planned = Vec::new();
    let mut config = Vec::new();
    let mut add = |rtype: &str,
                   name: &str,
                   i: usize,
                   after: Value,
                   unknown: &[&str],
                   links: &[(&str, &str)]|
     -> String {
        let address = format!("{rtype}.{name}[{i}]");
        let mut au = Map::new();
        au.insert("id".into(), json!(true));
        for k in unknown {
            au.insert((*k).into(), json!(true));
        }
        for (k, _) in links {
            au.insert((*k).into(), json!(true));
        }
        changes.push(json!({
            "address": address, "mode": "managed", "type": rtype, "name": name, "index": i,
            "provider_name": "registry.terraform.io/hashicorp/aws",
            "change": {"actions": ["create"], "before": null, "after": after,
                       "after_unknown": Value::Object(au), "before_sensitive": false,
                       "after_sensitive": {}},
        }));
        planned.push(json!({
            "address": address, "mode": "managed", "type": rtype, "name": name, "index": i,
            "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
            "values": after, "sensitive_values": {},
        }));
        if i == 0 {
            let mut exprs = Map::new();
            for (k, target) in links {
                exprs.insert(
                    (*k).into(),
                    json!({"references": [target, "local.layout", "count.index"]}),
                );
            }
            config.push(json!({
                "address": format!("{rtype}.{name}"), "mode": "managed", "type": rtype,
                "name": name, "provider_config_key": "aws", "schema_version": 0,
                "expressions": Value::Object(exprs),
                "count_expression": {"references": ["local.layout"]},
            }));
        }
        address
    };
    let mut k = 0;
    for (vi, v) in g.vpcs.iter().enumerate() {
        add(
            "aws_vpc",
            "vpc",
            vi,
            json!({"cidr_block": v.v4[0].to_string(), "region": REGION,
                   "assign_generated_ipv6_cidr_block": null, "ipv6_ipam_pool_id": null}),
            &[
                "arn",
                "default_route_table_id",
                "main_route_table_id",
                "default_network_acl_id",
                "owner_id",
                "ipv6_cidr_block",
            ],
            &[],
        );
        for b in v.v4.iter().skip(1) {
            add(
                "aws_vpc_ipv4_cidr_block_association",
                "cidr",
                k,
                json!({"cidr_block": b.to_string(), "region": REGION}),
                &[],
                &[("vpc_id", "aws_vpc.vpc")],
            );
            k += 1;
        }
    }
    let mut subnet_addr = Vec::new();
    for (si, s) in g.subnets.iter().enumerate() {
        subnet_addr.push(add(
            "aws_subnet",
            "subnet",
            si,
            json!({"cidr_block": s.v4.to_string(), "region": REGION,
                   "availability_zone": format!("{REGION}{}", ['a', 'b', 'c'][si % 3]),
                   "assign_ipv6_address_on_creation": false}),
            &["arn", "owner_id", "ipv6_cidr_block"],
            &[("vpc_id", "aws_vpc.vpc")],
        ));
    }
    // Custom tables only: the default ones are AWS's, not in the plan.
    let mut n = 0;
    for (ti, tb) in g.tables.iter().enumerate() {
        if g.vpcs[tb.vpc].default_table == ti {
            continue;
        }
        add(
            "aws_route_table",
            "rt",
            n,
            json!({"region": REGION}),
            &["arn", "owner_id", "propagating_vgws", "route"],
            &[("vpc_id", "aws_vpc.vpc")],
        );
        n += 1;
    }
    let mut a = 0;
    for s in &g.subnets {
        if s.table.is_some() {
            add(
                "aws_route_table_association",
                "assoc",
                a,
                json!({"region": REGION, "gateway_id": null}),
                &[],
                &[
                    ("subnet_id", "aws_subnet.subnet"),
                    ("route_table_id", "aws_route_table.rt"),
                ],
            );
            a += 1;
        }
    }
    for (pi, p) in g.peerings.iter().enumerate() {
        add(
            "aws_vpc_peering_connection",
            "pcx",
            pi,
            json!({"auto_accept": p.status == Status::Active, "region": REGION,
                   "peer_region": null}),
            &["accept_status", "peer_owner_id", "peer_region"],
            &[("vpc_id", "aws_vpc.vpc"), ("peer_vpc_id", "aws_vpc.vpc")],
        );
    }
    let mut route_addr = Vec::new();
    let mut r = 0;
    for tb in &g.tables {
        let mut addrs = Vec::new();
        for route in &tb.routes {
            addrs.push(add(
                "aws_route",
                "route",
                r,
                json!({"destination_cidr_block": route.dest.to_string(), "region": REGION,
                       "destination_ipv6_cidr_block": null, "gateway_id": null,
                       "nat_gateway_id": null, "transit_gateway_id": null,
                       "egress_only_gateway_id": null, "vpc_endpoint_id": null}),
                &["origin", "state", "instance_id", "network_interface_id"],
                &[
                    ("route_table_id", "aws_route_table.rt"),
                    (
                        "vpc_peering_connection_id",
                        "aws_vpc_peering_connection.pcx",
                    ),
                ],
            ));
            r += 1;
        }
        route_addr.push(addrs);
    }
    let plan = json!({
        "format_version": "1.2",
        "terraform_version": "1.9.8",
        "planned_values": {"root_module": {"resources": planned}},
        "resource_changes": changes,
        "configuration": {"root_module": {"resources": config}},
    });
    (plan, subnet_addr, route_addr)
}
