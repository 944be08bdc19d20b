//! Synthetic AWS estates, written as `terraform show -json` plan documents.
//!
//! [`write_plan`] streams a plan for an estate of `vpcs` VPCs with
//! `subnets_per_vpc` subnets each, linked by a chosen [`Topology`], in one of
//! two [`Mode`]s: `Steady` (everything exists, every id is known, every
//! action is `no-op`, `prior_state` holds the same resources) or `Greenfield`
//! (nothing exists, every action is `create`, ids and other computed values
//! are unknown, and the graph can only be rebuilt from the `configuration`
//! references). [`expected_summary`] gives, in closed form, the verdict
//! counts a correct analyzer must report for the generated estate.
//!
//! The output is meant for scale tests and benchmarks: it is deterministic
//! for a given [`EstateSpec`] (same seed, same bytes), it never holds the
//! whole document in memory (each resource is built, written and dropped),
//! and it follows the shapes Terraform 1.9 and the AWS provider 6.x print.
//!
//! # Layout of the generated configuration
//!
//! Every VPC is one instance of a local module called with `count`:
//!
//! | address | what it is |
//! |---|---|
//! | `module.vpc[i].aws_vpc.this` | the VPC; CIDR unique per VPC (see below) |
//! | `module.vpc[i].aws_subnet.this[j]` | subnet `j`, AZ `us-east-1{a,b,c}` cycling with `j` |
//! | `module.vpc[i].aws_route_table.this` | the route table of the VPC (of all its subnets but the last when it has a public table) |
//! | `module.vpc[i].aws_route_table_association.this[j]` | subnet `j` -> that table |
//! | `module.vpc[i].aws_route_table.public[0]` | with `nat`, and in the inspection VPC: the last subnet's table (the connections' routes, `0.0.0.0/0` -> the IGW) |
//! | `module.vpc[i].aws_route_table_association.public[0]` | the last subnet -> that table |
//! | `module.vpc[i].aws_internet_gateway.this` | with `igw` |
//! | `module.vpc[i].aws_route.internet` | `0.0.0.0/0` -> the IGW, with `igw` and without `nat` |
//! | `module.vpc[i].aws_eip.nat`, `module.vpc[i].aws_nat_gateway.this` | with `nat`: a public NAT gateway in the last subnet |
//! | `module.vpc[i].aws_route.nat` | with `nat`: `0.0.0.0/0` -> the NAT gateway in the table `this` |
//! | `module.vpc[i].aws_route.public_internet[0]`, `aws_route.public_transit[k]` | the public table's routes: to the IGW, and each private pool to the TGW |
//! | `module.vpc[0].aws_network_interface.appliance[0]` | TGW inspection: the appliance, in the last subnet, source/destination check off |
//! | `module.vpc[0].aws_route.appliance[k]` | TGW inspection: each private pool -> the appliance, in the table `this` |
//! | `module.vpc[i].aws_network_acl.this` | with `nacls`: allows everything the estate uses |
//! | `module.vpc[i].aws_vpc_endpoint.s3` | with `gateway_endpoints`: S3 gateway endpoint on the table |
//! | `module.vpc[i].aws_ec2_transit_gateway_vpc_attachment.this` | TGW topology: attachment subnets in the first `tgw_zones` AZs |
//! | `module.vpc[i].aws_route.transit[k]` | TGW topologies: each private pool in use -> the TGW (not in the inspection VPC) |
//! | `aws_ec2_transit_gateway.this` | TGW topologies; default route table association and propagation on, except with inspection |
//! | `aws_ec2_transit_gateway_route_table.{inspection,spokes}` | TGW inspection: the two transit gateway route tables |
//! | `aws_ec2_transit_gateway_route.to_inspection` | TGW inspection: `0.0.0.0/0` -> the inspection VPC's attachment, in `spokes` |
//! | `aws_ec2_transit_gateway_route_table_association.vpcI` | TGW inspection: VPC `I`'s attachment -> `inspection` (VPC 0) or `spokes` |
//! | `aws_ec2_transit_gateway_route_table_propagation.vpcI` | TGW inspection: spoke `I`'s attachment propagates to `inspection` |
//! | `aws_vpc_peering_connection.vpcA_vpcB` | one per peered pair, `auto_accept = true`, requester A < accepter B |
//! | `aws_route.vpcA_to_vpcB`, `aws_route.vpcB_to_vpcA` | the routes of that peering, one per direction (and `..._public` in the public tables, with `nat`) |
//!
//! All routes are standalone `aws_route` resources, so the configuration never
//! mixes inline and standalone route management. In `Steady` mode the route
//! table's `route` attribute still lists every route, as the provider reads
//! them back from AWS (each element with every target attribute, `""` when
//! unset); in `Greenfield` mode it is unknown, as in a real first plan of a
//! table configured without inline routes.
//!
//! VPC CIDRs are carved in order from `10.0.0.0/8`, then `172.16.0.0/12`,
//! `192.168.0.0/16` and `100.64.0.0/10`; subnet `j` is the `j`-th block of its
//! VPC. A VPC is a `/20` with `/24` subnets for up to 16 subnets per VPC and
//! up to 4,368 VPCs (VPC `i < 4096` of such an estate is
//! `10.(i/16).(i%16·16).0/20`);
//! more subnets per VPC make the VPC larger (up to `/16`), more VPCs make
//! VPCs and subnets smaller (down to `/28` subnets), so 100,000 subnets fit.

pub mod locals;
pub mod split;

use std::borrow::Cow;
use std::io::{self, BufWriter, Write};

use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::Serialize;

/// Spokes attached to one hub in [`Topology::HubAndSpoke`]. AWS allows at
/// most 125 active peering connections per VPC, so larger estates get one
/// hub per this many spokes (VPCs `0`, `101`, `202`, ... are hubs).
pub const SPOKES_PER_HUB: usize = 100;

/// The AWS quota of active VPC peering connections per VPC.
pub const MAX_PEERINGS_PER_VPC: usize = 125;

const REGION: &str = "us-east-1";
const TERRAFORM_VERSION: &str = "1.9.8";
const PROVIDER: &str = "registry.terraform.io/hashicorp/aws";
const TIMESTAMP: &str = "2026-01-15T10:00:00Z";
const AZS: [(&str, &str); 3] = [
    ("us-east-1a", "use1-az1"),
    ("us-east-1b", "use1-az2"),
    ("us-east-1c", "use1-az4"),
];
/// Private address pools, in the order VPC blocks are carved from them.
const POOLS: [(u32, u8); 4] = [
    (10 << 24, 8),
    ((172 << 24) | (16 << 16), 12),
    ((192 << 24) | (168 << 16), 16),
    ((100 << 24) | (64 << 16), 10),
];
/// Route targets the provider leaves `null` in a plan when unset.
const OPTIONAL_TARGETS: [&str; 10] = [
    "carrier_gateway_id",
    "core_network_arn",
    "egress_only_gateway_id",
    "gateway_id",
    "local_gateway_id",
    "nat_gateway_id",
    "odb_network_arn",
    "transit_gateway_id",
    "vpc_endpoint_id",
    "vpc_peering_connection_id",
];
const S3_PREFIX_LIST: &str = "pl-63a5400a";
const S3_CIDRS: [&str; 6] = [
    "16.15.176.0/20",
    "16.182.0.0/16",
    "18.34.0.0/19",
    "3.5.0.0/19",
    "52.216.0.0/15",
    "54.231.0.0/16",
];

/// How the VPCs of an estate are connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topology {
    /// No connections: every pair of subnets in different VPCs is blocked.
    None,
    /// VPC 0 is a hub peered with each of the next [`SPOKES_PER_HUB`] VPCs,
    /// VPC 101 the hub of the next group, and so on. Hubs are not peered
    /// with each other, and spokes do not reach each other (no transit).
    HubAndSpoke,
    /// VPC `i` is peered with VPC `i + 1`.
    Chain,
    /// Full mesh of peerings inside consecutive groups of `group` VPCs
    /// (the last group may be smaller). `group` is at most 126.
    Mesh {
        /// VPCs per fully meshed group.
        group: usize,
    },
    /// [`Topology::HubAndSpoke`] and [`Topology::Chain`] together: every
    /// VPC is peered with the next one as well as with its hub (spokes reach
    /// their hub and their neighbours, nothing further).
    HubChain,
    /// One transit gateway with default association and propagation, one
    /// VPC attachment per VPC with subnets in the first `tgw_zones` AZs
    /// only, and a route per private pool in use to the transit gateway.
    TransitGateway,
    /// One transit gateway and an inspection VPC (VPC 0) that every flow
    /// between VPCs crosses: the spokes' attachments are associated with a
    /// `spokes` transit gateway route table whose only route sends
    /// `0.0.0.0/0` to the inspection VPC's attachment (appliance mode on);
    /// that attachment is associated with an `inspection` table to which
    /// every spoke attachment propagates. In the inspection VPC the main
    /// table `this` sends each private pool in use to an appliance (a
    /// network interface with the source/destination check off) in the last
    /// subnet, whose own table (`public`) sends the pools to the transit
    /// gateway. Spokes route each pool to the transit gateway, as in
    /// [`Topology::TransitGateway`]. The last subnet's zone must be one of
    /// the attachment's (`(S−1) mod 3 < tgw_zones`), and it must not be an
    /// attachment subnet (`S > tgw_zones`).
    TgwInspection,
    /// One transit gateway split into `segments` route tables: VPC `i`'s
    /// attachment is associated with table `segment{i mod segments}` and
    /// propagates to it (no default table), so a VPC reaches the VPCs of
    /// its own segment only. The segments interleave: neighbouring VPCs
    /// (and blocks) belong to different segments. Routes and zones are as in
    /// [`Topology::TransitGateway`].
    TgwSegments {
        /// Transit gateway route tables, at least one.
        segments: usize,
    },
}

impl Topology {
    /// Whether the VPCs are connected by a transit gateway.
    pub fn transit_gateway(self) -> bool {
        matches!(
            self,
            Topology::TransitGateway | Topology::TgwInspection | Topology::TgwSegments { .. }
        )
    }

    /// Whether the transit gateway's route tables are the estate's own
    /// (no default association or propagation).
    fn own_tgw_tables(self) -> bool {
        matches!(self, Topology::TgwInspection | Topology::TgwSegments { .. })
    }
}

/// Whether the estate already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Applied and unchanged: ids known, `prior_state` present, all `no-op`.
    Steady,
    /// First plan: all `create`, computed values unknown, no `prior_state`.
    Greenfield,
}

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EstateSpec {
    /// Number of VPCs (module instances `module.vpc[0..vpcs]`).
    pub vpcs: usize,
    /// Subnets in every VPC (at least 1).
    pub subnets_per_vpc: usize,
    /// How the VPCs are connected.
    pub topology: Topology,
    /// Steady (applied, no-op) or greenfield (all create).
    pub mode: Mode,
    /// Seeds the resource ids and the account id.
    pub seed: u64,
    /// An internet gateway and a `0.0.0.0/0` route to it in every VPC.
    pub igw: bool,
    /// A custom network ACL on every subnet, allowing all traffic between
    /// the private pools in use (so it changes no verdict).
    pub nacls: bool,
    /// An S3 gateway endpoint on every route table (changes no verdict).
    pub gateway_endpoints: bool,
    /// A public NAT gateway (with its elastic IP) in the last subnet of
    /// every VPC, which gets a route table of its own (`public`: the
    /// connections' routes and `0.0.0.0/0` to the internet gateway); the
    /// other subnets' default route goes to the NAT gateway instead of the
    /// internet gateway. Needs `igw`. Changes no verdict: a NAT gateway's
    /// traffic to another VPC's private addresses goes on by the public
    /// table, which routes them as the private one does.
    pub nat: bool,
    /// The transit gateway topologies only: the attachment of every VPC has a
    /// subnet in the first `tgw_zones` AZs (1 to 3) of `a`, `b`, `c`.
    /// Subnets in the other AZs cannot use the transit gateway.
    pub tgw_zones: usize,
    /// Workloads in every VPC (steady estates only): `aws_instance.w[k]` in
    /// subnet `k mod subnets_per_vpc`, with group `aws_security_group.tier[k
    /// mod 3]` of three that reference each other (`web`: HTTPS from
    /// anywhere; `app`: 8080 from `web`; `db`: 5432 from `app`; each lets
    /// everything out). None by default; they change no subnet verdict.
    pub workloads_per_vpc: usize,
    /// A route in every VPC's table `this` that sends [`SHARED_RANGE`] to a
    /// transit gateway that is not in the plan (one another account shares,
    /// as a network account does). No subnet and no public address is in
    /// that range, so it changes no verdict; an analyzer must still not let
    /// a route it cannot follow cost it the VPC's other destinations.
    pub shared_tgw_route: bool,
}

/// The range [`EstateSpec::shared_tgw_route`] routes: TEST-NET-1, outside
/// every pool and every public stand-in address.
pub const SHARED_RANGE: &str = "192.0.2.0/24";

/// The transit gateway [`EstateSpec::shared_tgw_route`] routes to.
const SHARED_TGW: &str = "tgw-05ba7ed0000000000";

impl EstateSpec {
    /// A spec with the usual options: internet gateways on, NACLs and
    /// gateway endpoints off, transit gateway attachments in 2 AZs.
    pub fn new(
        vpcs: usize,
        subnets_per_vpc: usize,
        topology: Topology,
        mode: Mode,
        seed: u64,
    ) -> Self {
        EstateSpec {
            vpcs,
            subnets_per_vpc,
            topology,
            mode,
            seed,
            igw: true,
            nacls: false,
            gateway_endpoints: false,
            nat: false,
            tgw_zones: 2,
            workloads_per_vpc: 0,
            shared_tgw_route: false,
        }
    }

    /// Checks that the estate can exist in AWS: at least one subnet per VPC,
    /// a mesh group within the peering quota, 1 to 3 transit gateway zones,
    /// and enough private address space.
    pub fn validate(&self) -> Result<(), String> {
        if self.subnets_per_vpc == 0 {
            return Err("subnets_per_vpc must be at least 1".into());
        }
        if let Topology::Mesh { group } = self.topology {
            if group == 0 || group > MAX_PEERINGS_PER_VPC + 1 {
                return Err(format!(
                    "mesh group must be 1..={} (AWS allows {} peerings per VPC), got {group}",
                    MAX_PEERINGS_PER_VPC + 1,
                    MAX_PEERINGS_PER_VPC
                ));
            }
        }
        if let Topology::TgwSegments { segments: 0 } = self.topology {
            return Err("a segmented transit gateway needs at least one segment".into());
        }
        if self.topology.transit_gateway() && !(1..=3).contains(&self.tgw_zones) {
            return Err(format!("tgw_zones must be 1..=3, got {}", self.tgw_zones));
        }
        if self.workloads_per_vpc > 0 && self.mode != Mode::Steady {
            return Err("workloads are generated in steady estates only".into());
        }
        if self.nat && !self.igw {
            return Err("a public NAT gateway needs the internet gateway (igw)".into());
        }
        if self.topology == Topology::TgwInspection {
            let s = self.subnets_per_vpc;
            if s <= self.tgw_zones || (s - 1) % 3 >= self.tgw_zones {
                return Err(format!(
                    "the inspection VPC's appliance sits in the last subnet, which must be in \
                     one of the {} attachment zones and not an attachment subnet: \
                     subnets_per_vpc must exceed tgw_zones with (subnets_per_vpc - 1) mod 3 \
                     < tgw_zones, got {s} subnets",
                    self.tgw_zones
                ));
            }
        }
        Layout::new(self).map(|_| ())
    }
}

impl Default for EstateSpec {
    fn default() -> Self {
        EstateSpec::new(10, 3, Topology::HubAndSpoke, Mode::Steady, 1)
    }
}

/// Verdict counts over all ordered pairs of distinct subnets, as the report
/// `summary` of the tfreach contract names them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ExpectedSummary {
    /// Ordered pairs of distinct subnets: `N(N−1)`.
    pub pairs: u64,
    /// Round trip delivered.
    pub reachable: u64,
    /// Forward path delivered, return path not.
    pub one_way: u64,
    /// Forward path not delivered.
    pub blocked: u64,
    /// Some address pairs get a round trip (never, in generated estates).
    pub partial: u64,
    /// Depends on values unknown until apply (never: all resolvable).
    pub unknown: u64,
}

/// The verdict counts a correct analyzer reports for the estate `spec`
/// generates, in the planned view, in either mode (a greenfield estate is
/// fully resolvable through its configuration references).
///
/// With `V` VPCs of `S` subnets, `N = V·S` subnets and `pairs = N(N−1)`:
///
/// * Two subnets of the same VPC reach each other (local route): `V·S(S−1)`
///   reachable pairs. Network ACLs, endpoints and internet gateways change
///   nothing: the ACLs allow all the estate's traffic, and `0.0.0.0/0 → igw`
///   never delivers to another VPC.
/// * Peering topologies, with `P` peered VPC pairs: a pair of subnets in two
///   directly peered VPCs is reachable both ways (routes on both sides,
///   connection active), which adds `2·P·S²`; every other pair is blocked
///   (peering is not transitive: spokes of one hub do not reach each other).
///   `one_way = partial = unknown = 0`. `P` is `0` for `None`, `V−1` for
///   `Chain`, `V − ⌈V/(SPOKES_PER_HUB+1)⌉` for `HubAndSpoke`, and
///   `Σ k(k−1)/2` over the mesh groups of size `k` for `Mesh`.
/// * `TransitGateway`, with `Z = min(tgw_zones, 3)`: a subnet can use the
///   transit gateway only if its VPC's attachment has a subnet in its AZ,
///   which holds for `c = #{ j < S : j mod 3 < Z }` subnets of every VPC;
///   let `o = S − c`. For the `V(V−1)` ordered pairs of distinct VPCs, the
///   forward path delivers iff the source is one of the `c`, and the return
///   path iff the destination is: `V(V−1)·c²` reachable, `V(V−1)·c·o`
///   one-way, `V(V−1)·o·S` blocked.
/// * `TgwInspection`: as `TransitGateway` between two spokes (the appliance
///   hands every flow back to the transit gateway from an attached zone),
///   but every subnet of the inspection VPC reaches the transit gateway
///   (its routes lead to the appliance, whose subnet is in an attached
///   zone). So the `V−1` spokes give `(V−1)(V−2)·c²` reachable and
///   `(V−1)(V−2)·c·o` one-way pairs among themselves; from a spoke to the
///   inspection VPC `(V−1)·c·S` pairs are reachable (the rest blocked), and
///   from the inspection VPC to a spoke `(V−1)·S·c` are reachable and
///   `(V−1)·S·o` one-way.
/// * `TgwSegments`: as `TransitGateway`, but only between two VPCs of the
///   same segment: with `n_k` VPCs in segment `k`, `Q = Σ n_k(n_k−1)` ordered
///   pairs of VPCs give `Q·c²` reachable and `Q·c·o` one-way pairs.
///
/// NAT gateways (`nat`) change no count: their default route is taken only
/// by traffic that no connection route matches, and the NAT gateway's own
/// table sends it to the internet gateway, which drops private addresses.
pub fn expected_summary(spec: &EstateSpec) -> ExpectedSummary {
    let v = spec.vpcs as u64;
    let s = spec.subnets_per_vpc as u64;
    let n = v * s;
    let pairs = n * n.saturating_sub(1);
    let intra = v * s * s.saturating_sub(1);
    let cross_vpc_pairs = v * v.saturating_sub(1);
    let z = spec.tgw_zones.min(3);
    let c = (0..spec.subnets_per_vpc).filter(|j| j % 3 < z).count() as u64;
    let o = s - c;
    let (reachable, one_way) = match spec.topology {
        Topology::TransitGateway => (intra + cross_vpc_pairs * c * c, cross_vpc_pairs * c * o),
        Topology::TgwSegments { segments } => {
            let k = segments.max(1) as u64;
            let q: u64 = (0..k)
                .map(|seg| v / k + u64::from(seg < v % k))
                .map(|n| n * n.saturating_sub(1))
                .sum();
            (intra + q * c * c, q * c * o)
        }
        Topology::TgwInspection => {
            let spokes = v.saturating_sub(1);
            let spoke_pairs = spokes * spokes.saturating_sub(1);
            (
                intra + spoke_pairs * c * c + 2 * spokes * c * s,
                spoke_pairs * c * o + spokes * s * o,
            )
        }
        _ => (intra + 2 * peering_count(spec) as u64 * s * s, 0),
    };
    ExpectedSummary {
        pairs,
        reachable,
        one_way,
        blocked: pairs - reachable - one_way,
        partial: 0,
        unknown: 0,
    }
}

/// The verdict counts of the pairs between the subnets and the internet,
/// `None` when the estate has no internet gateway (the internet is then
/// not an endpoint). No subnet maps public IPv4 addresses on launch and no
/// instance has one, so:
///
/// * nothing comes in from the internet: `N` blocked pairs
///   (`NO_PUBLIC_ADDRESS`);
/// * without `nat`, every subnet's default route goes straight to its
///   VPC's internet gateway, which translates no address of it: `N`
///   blocked;
/// * with `nat`, the `S−1` private subnets of every VPC get out through the
///   NAT gateway (its subnet's table goes to the internet gateway, and the
///   replies come back by the local route): `V·(S−1)` reachable; the NAT
///   gateway's own subnet routes straight to the internet gateway: `V`
///   blocked.
pub fn expected_internet(spec: &EstateSpec) -> Option<ExpectedSummary> {
    if !spec.igw {
        return None;
    }
    let (v, s) = (spec.vpcs as u64, spec.subnets_per_vpc as u64);
    let n = v * s;
    let reachable = if spec.nat { v * s.saturating_sub(1) } else { 0 };
    Some(ExpectedSummary {
        pairs: 2 * n,
        reachable,
        one_way: 0,
        blocked: 2 * n - reachable,
        partial: 0,
        unknown: 0,
    })
}

/// The peered VPC pairs `(requester, accepter)`, requester < accepter, in
/// the order of [`Topology`]'s description (for `HubChain`, the hub's
/// peerings, then the chain's that are not among them). Empty for `None`
/// and the transit gateway topologies.
pub fn peerings(spec: &EstateSpec) -> Vec<(usize, usize)> {
    let v = spec.vpcs;
    let mut out = Vec::new();
    let hubs = |out: &mut Vec<(usize, usize)>| {
        for hub in (0..v).step_by(SPOKES_PER_HUB + 1) {
            let end = (hub + SPOKES_PER_HUB + 1).min(v);
            out.extend((hub + 1..end).map(|spoke| (hub, spoke)));
        }
    };
    match spec.topology {
        Topology::None
        | Topology::TransitGateway
        | Topology::TgwInspection
        | Topology::TgwSegments { .. } => {}
        Topology::Chain => out.extend((1..v).map(|i| (i - 1, i))),
        Topology::HubAndSpoke => hubs(&mut out),
        Topology::HubChain => {
            hubs(&mut out);
            // (i-1, i) is a hub's peering already when i-1 is a hub.
            let is_hub = |i: usize| i % (SPOKES_PER_HUB + 1) == 0;
            out.extend((1..v).filter(|&i| !is_hub(i - 1)).map(|i| (i - 1, i)));
        }
        Topology::Mesh { group } => {
            for start in (0..v).step_by(group.max(1)) {
                let end = (start + group).min(v);
                for a in start..end {
                    out.extend((a + 1..end).map(|b| (a, b)));
                }
            }
        }
    }
    out
}

fn peering_count(spec: &EstateSpec) -> usize {
    let v = spec.vpcs;
    match spec.topology {
        Topology::None
        | Topology::TransitGateway
        | Topology::TgwInspection
        | Topology::TgwSegments { .. } => 0,
        Topology::Chain => v.saturating_sub(1),
        Topology::HubAndSpoke => v - v.div_ceil(SPOKES_PER_HUB + 1),
        Topology::HubChain => {
            // The hub's peerings, and the chain's except (hub, hub + 1).
            let hubs_with_a_next = v.saturating_sub(1).div_ceil(SPOKES_PER_HUB + 1);
            (v - v.div_ceil(SPOKES_PER_HUB + 1)) + v.saturating_sub(1) - hubs_with_a_next
        }
        Topology::Mesh { group } => {
            let g = group.max(1);
            let tri = |k: usize| k * k.saturating_sub(1) / 2;
            (v / g) * tri(g) + tri(v % g)
        }
    }
}

/// Number of resources (entries of `resource_changes`) the plan holds.
pub fn resource_count(spec: &EstateSpec) -> usize {
    let pools = Layout::new(spec)
        .map(|l| l.pools_in_use().len())
        .unwrap_or(0);
    let order: Vec<usize> = (0..spec.subnets_per_vpc).collect();
    let mut modules = 0;
    for i in 0..spec.vpcs.min(2) {
        // Every VPC but the inspection VPC (VPC 0) has the parts of VPC 1.
        let n = vpc_parts(spec, pools, i, &order).len();
        modules += if i == 0 { n } else { n * (spec.vpcs - 1) };
    }
    let peering = if spec.nat { 5 } else { 3 }; // connection and routes
    let tgw = match spec.topology {
        Topology::TransitGateway => 1,
        // gateway, two tables, the default route, associations, propagations
        Topology::TgwInspection => 4 + 2 * spec.vpcs - 1,
        // gateway, tables, an association and a propagation per VPC
        Topology::TgwSegments { segments } => 1 + segments + 2 * spec.vpcs,
        _ => 0,
    };
    modules + tgw + peering * peering_count(spec)
}

/// Address of subnet `subnet` of VPC `vpc`, e.g. `module.vpc[3].aws_subnet.this[1]`.
pub fn subnet_address(vpc: usize, subnet: usize) -> String {
    format!("module.vpc[{vpc}].aws_subnet.this[{subnet}]")
}

/// The CIDR block of VPC `vpc` and of its subnet `subnet`, or `None` when
/// the spec does not fit the private address space.
pub fn cidrs(spec: &EstateSpec, vpc: usize, subnet: usize) -> Option<(String, String)> {
    let layout = Layout::new(spec).ok()?;
    Some((layout.vpc_cidr(vpc), layout.subnet_cidr(vpc, subnet)))
}

/// Streams the plan JSON of `spec` to `out` (buffered internally). Fails
/// with `InvalidInput` when [`EstateSpec::validate`] does.
pub fn write_plan<W: Write>(spec: &EstateSpec, out: W) -> io::Result<()> {
    spec.validate()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let gen = Gen::new(spec);
    let mut w = BufWriter::with_capacity(1 << 20, out);
    gen.write(&mut w)?;
    w.flush()
}

/// The root module of the state of a steady estate (the plan's
/// `prior_state.values.root_module`), as JSON bytes.
fn state_tree(spec: &EstateSpec) -> io::Result<Vec<u8>> {
    spec.validate()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let gen = Gen::new(spec);
    let mut buf = Vec::new();
    gen.write_tree(&mut buf, true)?;
    Ok(buf)
}

// ---------------------------------------------------------------------------
// A minimal JSON value whose object members keep the order they are given in.

#[derive(Debug, Clone)]
enum J {
    Null,
    Bool(bool),
    Int(i64),
    Str(Cow<'static, str>),
    Arr(Vec<J>),
    Obj(Vec<(Cow<'static, str>, J)>),
}

impl Serialize for J {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        match self {
            J::Null => ser.serialize_unit(),
            J::Bool(b) => ser.serialize_bool(*b),
            J::Int(i) => ser.serialize_i64(*i),
            J::Str(s) => ser.serialize_str(s),
            J::Arr(items) => {
                let mut seq = ser.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            J::Obj(fields) => {
                let mut map = ser.serialize_map(Some(fields.len()))?;
                for (k, v) in fields {
                    map.serialize_entry(k.as_ref(), v)?;
                }
                map.end()
            }
        }
    }
}

fn s(v: impl Into<Cow<'static, str>>) -> J {
    J::Str(v.into())
}

fn int(v: i64) -> J {
    J::Int(v)
}

fn strs<I: IntoIterator<Item = String>>(items: I) -> J {
    J::Arr(items.into_iter().map(s).collect())
}

/// An object with members in the given order (Terraform's struct order).
fn rec(fields: Vec<(&'static str, J)>) -> J {
    J::Obj(
        fields
            .into_iter()
            .map(|(k, v)| (Cow::Borrowed(k), v))
            .collect(),
    )
}

/// An object with members sorted by name, as Terraform prints attribute values.
fn attrs(mut fields: Vec<(&'static str, J)>) -> J {
    fields.sort_by(|a, b| a.0.cmp(b.0));
    rec(fields)
}

fn tags(name: String) -> J {
    rec(vec![("Name", s(name))])
}

/// The `sensitive_values` tree of a value with no sensitive leaves.
fn sensitive_tree(v: &J) -> J {
    match v {
        J::Obj(fields) => J::Obj(
            fields
                .iter()
                .filter(|(_, x)| matches!(x, J::Obj(_) | J::Arr(_)))
                .map(|(k, x)| (k.clone(), sensitive_tree(x)))
                .collect(),
        ),
        J::Arr(items) => J::Arr(
            items
                .iter()
                .map(|x| match x {
                    J::Obj(_) | J::Arr(_) => sensitive_tree(x),
                    _ => J::Bool(false),
                })
                .collect(),
        ),
        _ => J::Bool(false),
    }
}

fn write_json<W: Write>(w: &mut W, v: &J) -> io::Result<()> {
    serde_json::to_writer(&mut *w, v).map_err(io::Error::other)
}

/// Writes the elements of a JSON array or object one by one, with commas.
struct Seq {
    first: bool,
}

impl Seq {
    fn new() -> Self {
        Seq { first: true }
    }
    fn sep<W: Write>(&mut self, w: &mut W) -> io::Result<()> {
        if !std::mem::replace(&mut self.first, false) {
            w.write_all(b",")?;
        }
        Ok(())
    }
    fn item<W: Write>(&mut self, w: &mut W, v: &J) -> io::Result<()> {
        self.sep(w)?;
        write_json(w, v)
    }
}

// ---------------------------------------------------------------------------
// Deterministic ids.

/// The splitmix64 output function: a bijection on `u64`.
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[derive(Clone, Copy)]
enum Kind {
    Vpc = 1,
    Subnet,
    RouteTable,
    MainRouteTable,
    DefaultAcl,
    DefaultSg,
    Assoc,
    Igw,
    Acl,
    Vpce,
    Attach,
    Pcx,
    Tgw,
    TgwRtb,
    Dopt,
    Route,
    PublicRouteTable,
    PublicAssoc,
    Eip,
    Nat,
    Eni,
    Instance,
    Sg,
}

/// The workload groups' names and the TCP port each admits, from anywhere
/// (`None`) or from the members of the tier before it.
const WORKLOAD_TIERS: [(&str, i64, bool); 3] =
    [("web", 443, false), ("app", 8080, true), ("db", 5432, true)];

// ---------------------------------------------------------------------------
// Address plan.

struct Layout {
    vpc_len: u8,
    subnet_len: u8,
    /// Blocks of `vpc_len` available in each pool of `POOLS`.
    blocks: [u64; 4],
    vpcs: usize,
}

impl Layout {
    fn new(spec: &EstateSpec) -> Result<Layout, String> {
        let k = usize::BITS
            - spec
                .subnets_per_vpc
                .max(1)
                .saturating_sub(1)
                .leading_zeros();
        let k = k as u8; // bits to number the subnets of a VPC
                         // VPCs of /20 (larger if more than 16 subnets), subnets of /24; both
                         // shrink while the VPCs do not fit the pools.
        let mut vpc_len = 24u8.saturating_sub(k).clamp(16, 20);
        loop {
            let subnet_len = (vpc_len + k).max(24);
            if subnet_len > 28 || vpc_len > 28 {
                return Err(format!(
                    "{} VPCs of {} subnets do not fit the private address space",
                    spec.vpcs, spec.subnets_per_vpc
                ));
            }
            let blocks = POOLS.map(|(_, len)| 1u64 << (vpc_len - len));
            if blocks.iter().sum::<u64>() >= spec.vpcs as u64 {
                return Ok(Layout {
                    vpc_len,
                    subnet_len,
                    blocks,
                    vpcs: spec.vpcs,
                });
            }
            vpc_len += 1;
        }
    }

    /// Pool index and network address of VPC `i`.
    fn vpc_base(&self, i: usize) -> (usize, u32) {
        let mut rest = i as u64;
        for (p, &n) in self.blocks.iter().enumerate() {
            if rest < n {
                return (p, POOLS[p].0 + ((rest as u32) << (32 - self.vpc_len)));
            }
            rest -= n;
        }
        unreachable!("VPC index beyond the layout's capacity")
    }

    fn vpc_cidr(&self, i: usize) -> String {
        cidr(self.vpc_base(i).1, self.vpc_len)
    }

    fn subnet_cidr(&self, i: usize, j: usize) -> String {
        let base = self.vpc_base(i).1 + ((j as u32) << (32 - self.subnet_len));
        cidr(base, self.subnet_len)
    }

    /// Address `offset` of subnet `j` of VPC `i` (AWS keeps the first four
    /// of every subnet, so `offset` is 4 or more, and a `/28` has 16).
    fn subnet_host(&self, i: usize, j: usize, offset: u32) -> String {
        let base = self.vpc_base(i).1 + ((j as u32) << (32 - self.subnet_len));
        let [a, b, c, d] = (base + offset).to_be_bytes();
        format!("{a}.{b}.{c}.{d}")
    }

    /// The pools (as CIDRs) that hold at least one VPC.
    fn pools_in_use(&self) -> Vec<String> {
        if self.vpcs == 0 {
            return Vec::new();
        }
        let last = self.vpc_base(self.vpcs - 1).0;
        POOLS[..=last].iter().map(|&(a, l)| cidr(a, l)).collect()
    }
}

/// The public address of VPC `i`'s NAT gateway, one per VPC.
fn public_address(i: usize) -> String {
    let i = i as u32;
    format!("3.{}.{}.{}", 80 + (i >> 16) % 100, (i >> 8) & 255, i & 255)
}

fn cidr(addr: u32, len: u8) -> String {
    let [a, b, c, d] = addr.to_be_bytes();
    format!("{a}.{b}.{c}.{d}/{len}")
}

// ---------------------------------------------------------------------------
// Resources.

/// The resources of one VPC module instance. `[k]` parts are counted:
/// `Public*`, `Eni` and `RouteAppliance` exist only in VPCs with a public
/// table ([`has_public_table`]) or in the inspection VPC.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Part {
    Attach,
    Eip,
    /// Workload `k`: `aws_instance.w[k]`.
    Instance(usize),
    Igw,
    Nat,
    Acl,
    Eni,
    /// Inspection VPC: pool `k` -> the appliance, in the table `this`.
    RouteAppliance(usize),
    RouteInternet,
    RouteNat,
    /// `0.0.0.0/0` -> the internet gateway, in the table `public`.
    RoutePublicInternet,
    /// Pool `k` -> the transit gateway, in the table `public`.
    RoutePublicTransit(usize),
    /// [`SHARED_RANGE`] -> a transit gateway not in the plan, in the table
    /// `this`.
    RouteShared,
    RouteTransit(usize),
    RouteTablePublic,
    RouteTable,
    AssocPublic,
    Assoc(usize),
    /// `aws_security_group.tier[k]`, `k` < 3.
    SecurityGroup(usize),
    Subnet(usize),
    Vpc,
    Endpoint,
}

/// Which of a VPC's route tables.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Table {
    /// `aws_route_table.this`: every subnet but the last when there is a
    /// public table.
    This,
    /// `aws_route_table.public[0]`: the last subnet.
    Public,
}

/// The transit gateway route tables of [`Topology::TgwInspection`] and
/// [`Topology::TgwSegments`].
#[derive(Clone, Copy, PartialEq, Eq)]
enum TgwTable {
    Inspection,
    Spokes,
    Segment(usize),
}

impl TgwTable {
    fn name(self) -> Cow<'static, str> {
        match self {
            TgwTable::Inspection => "inspection".into(),
            TgwTable::Spokes => "spokes".into(),
            TgwTable::Segment(k) => format!("segment{k}").into(),
        }
    }

    /// The number its ID is made from.
    fn number(self) -> usize {
        match self {
            TgwTable::Inspection => 1,
            TgwTable::Spokes => 2,
            TgwTable::Segment(k) => 3 + k,
        }
    }

    /// The table VPC `i`'s attachment is associated with (`assoc`) or
    /// propagates to.
    fn of_vpc(spec: &EstateSpec, i: usize, assoc: bool) -> TgwTable {
        match spec.topology {
            Topology::TgwSegments { segments } => TgwTable::Segment(i % segments.max(1)),
            _ if assoc && i > 0 => TgwTable::Spokes,
            _ => TgwTable::Inspection,
        }
    }
}

#[derive(Clone, Copy)]
enum Item {
    Tgw,
    TgwRouteTable(TgwTable),
    /// The spokes' `0.0.0.0/0` to the inspection VPC's attachment.
    TgwRoute,
    /// VPC `i`'s attachment to its transit gateway route table.
    TgwAssoc(usize),
    /// VPC `i`'s attachment propagating to the inspection table.
    TgwProp(usize),
    /// Route of peering `pair`, in the route table of its requester (`false`)
    /// or its accepter (`true`), in that VPC's table `this` or `public`.
    PeerRoute(usize, bool, Table),
    Pcx(usize),
    Module(usize, Part),
}

/// Whether VPC `i` has a second route table (`public`) for its last subnet:
/// with NAT gateways, and in the inspection VPC (the appliance's subnet).
fn has_public_table(spec: &EstateSpec, i: usize) -> bool {
    spec.nat || is_inspection_vpc(spec, i)
}

fn is_inspection_vpc(spec: &EstateSpec, i: usize) -> bool {
    spec.topology == Topology::TgwInspection && i == 0
}

/// Module parts of VPC `i` in (type, name) order; indexed parts expanded
/// with `order` (numeric for changes and state, string order for values).
fn vpc_parts(spec: &EstateSpec, pools: usize, i: usize, order: &[usize]) -> Vec<Part> {
    let tgw = spec.topology.transit_gateway();
    let public = has_public_table(spec, i);
    let inspection = is_inspection_vpc(spec, i);
    let last = spec.subnets_per_vpc - 1;
    let mut v = Vec::with_capacity(16 + 2 * order.len());
    if tgw {
        v.push(Part::Attach);
    }
    if spec.nat {
        v.push(Part::Eip);
    }
    v.extend((0..spec.workloads_per_vpc).map(Part::Instance));
    if spec.igw {
        v.push(Part::Igw);
    }
    if spec.nat {
        v.push(Part::Nat);
    }
    if spec.nacls {
        v.push(Part::Acl);
    }
    if inspection {
        v.push(Part::Eni);
        v.extend((0..pools).map(Part::RouteAppliance));
    }
    if spec.igw && !spec.nat {
        v.push(Part::RouteInternet);
    }
    if spec.nat {
        v.push(Part::RouteNat);
    }
    if public && spec.igw {
        v.push(Part::RoutePublicInternet);
    }
    if public && tgw {
        v.extend((0..pools).map(Part::RoutePublicTransit));
    }
    if spec.shared_tgw_route {
        v.push(Part::RouteShared);
    }
    if tgw && !inspection {
        v.extend((0..pools).map(Part::RouteTransit));
    }
    if public {
        v.push(Part::RouteTablePublic);
    }
    v.push(Part::RouteTable);
    if public {
        v.push(Part::AssocPublic);
    }
    v.extend(
        order
            .iter()
            .filter(|&&j| !(public && j == last))
            .map(|&j| Part::Assoc(j)),
    );
    if spec.workloads_per_vpc > 0 {
        v.extend((0..WORKLOAD_TIERS.len()).map(Part::SecurityGroup));
    }
    v.extend(order.iter().map(|&j| Part::Subnet(j)));
    v.push(Part::Vpc);
    if spec.gateway_endpoints {
        v.push(Part::Endpoint);
    }
    v
}

/// Unknown-on-create attributes: whether the value is a scalar or a list
/// (an unknown list still shows as `[]` in the sensitivity tree).
#[derive(Clone, Copy)]
enum Shape {
    Scalar,
    List,
}

/// One resource instance, as every section of the plan needs it.
struct Built {
    module: Option<usize>,
    rtype: &'static str,
    name: Cow<'static, str>,
    index: Option<usize>,
    schema_version: i64,
    /// Steady: every attribute. Greenfield: the attributes known at plan time.
    values: J,
    /// Greenfield: the attributes not known until apply.
    unknown: Vec<(&'static str, Shape)>,
    /// Steady: the state's `depends_on` (configuration addresses, sorted).
    depends_on: Vec<Cow<'static, str>>,
}

impl Built {
    fn address(&self) -> String {
        let mut a = String::with_capacity(64);
        if let Some(i) = self.module {
            a.push_str(&format!("module.vpc[{i}]."));
        }
        a.push_str(self.rtype);
        a.push('.');
        a.push_str(&self.name);
        if let Some(k) = self.index {
            a.push_str(&format!("[{k}]"));
        }
        a
    }

    fn head(&self) -> Vec<(&'static str, J)> {
        let mut h = vec![
            ("address", s(self.address())),
            ("mode", s("managed")),
            ("type", s(self.rtype)),
            ("name", J::Str(self.name.clone())),
        ];
        if let Some(k) = self.index {
            h.push(("index", int(k as i64)));
        }
        h.push(("provider_name", s(PROVIDER)));
        h
    }

    fn sensitive(&self) -> J {
        let mut tree = sensitive_tree(&self.values);
        if let J::Obj(fields) = &mut tree {
            for &(k, shape) in &self.unknown {
                if let Shape::Scalar = shape {
                    continue;
                }
                let empty = J::Arr(Vec::new());
                let at = fields.partition_point(|(f, _)| f.as_ref() < k);
                fields.insert(at, (Cow::Borrowed(k), empty));
            }
        }
        tree
    }

    fn after_unknown(&self) -> J {
        let mut keys: Vec<&'static str> = self.unknown.iter().map(|u| u.0).collect();
        keys.sort_unstable();
        rec(keys.into_iter().map(|k| (k, J::Bool(true))).collect())
    }

    /// Entry of `planned_values` (or of a state when `depends_on` is wanted).
    fn values_entry(&self, state: bool) -> J {
        let mut e = self.head();
        e.push(("schema_version", int(self.schema_version)));
        e.push(("values", self.values.clone()));
        e.push(("sensitive_values", self.sensitive()));
        if state && !self.depends_on.is_empty() {
            let deps = self.depends_on.iter().map(|d| J::Str(d.clone())).collect();
            e.push(("depends_on", J::Arr(deps)));
        }
        rec(e)
    }

    fn change_entry(&self, steady: bool) -> J {
        let mut e = self.head();
        if let Some(i) = self.module {
            e.insert(1, ("module_address", s(format!("module.vpc[{i}]"))));
        }
        let sens = self.sensitive();
        let change = if steady {
            rec(vec![
                ("actions", J::Arr(vec![s("no-op")])),
                ("before", self.values.clone()),
                ("after", self.values.clone()),
                ("after_unknown", J::Obj(Vec::new())),
                ("before_sensitive", sens.clone()),
                ("after_sensitive", sens),
            ])
        } else {
            rec(vec![
                ("actions", J::Arr(vec![s("create")])),
                ("before", J::Null),
                ("after", self.values.clone()),
                ("after_unknown", self.after_unknown()),
                ("before_sensitive", J::Bool(false)),
                ("after_sensitive", sens),
            ])
        };
        e.push(("change", change));
        rec(e)
    }
}

/// What building one resource collects besides its type and name.
struct Res {
    a: Attrs,
    index: Option<usize>,
    schema_version: i64,
    /// Steady: the state's `depends_on` (configuration addresses).
    depends_on: Vec<Cow<'static, str>>,
}

/// Collects the attributes of one resource in either mode.
struct Attrs {
    greenfield: bool,
    known: Vec<(&'static str, J)>,
    unknown: Vec<(&'static str, Shape)>,
}

impl Attrs {
    fn new(greenfield: bool) -> Self {
        Attrs {
            greenfield,
            known: Vec::with_capacity(32),
            unknown: Vec::new(),
        }
    }
    /// Known in both modes.
    fn set(&mut self, k: &'static str, v: J) -> &mut Self {
        self.known.push((k, v));
        self
    }
    /// Computed by AWS: known when steady, unknown on create.
    fn computed(&mut self, k: &'static str, shape: Shape, v: impl FnOnce() -> J) -> &mut Self {
        if self.greenfield {
            self.unknown.push((k, shape));
        } else {
            self.known.push((k, v()));
        }
        self
    }
    /// Computed scalar string.
    fn cs(&mut self, k: &'static str, v: impl FnOnce() -> String) -> &mut Self {
        self.computed(k, Shape::Scalar, || s(v()))
    }
    /// An unset optional string: `null` in a plan, `""` once read back.
    fn unset(&mut self, k: &'static str) -> &mut Self {
        let v = if self.greenfield { J::Null } else { s("") };
        self.set(k, v)
    }
    /// An unset optional value with a read-back default.
    fn unset_or(&mut self, k: &'static str, read_back: J) -> &mut Self {
        let v = if self.greenfield { J::Null } else { read_back };
        self.set(k, v)
    }
    fn common(&mut self, name: String) -> &mut Self {
        self.set("region", s(REGION))
            .set("tags", tags(name.clone()))
            .set("tags_all", tags(name))
    }
}

struct Gen<'a> {
    spec: &'a EstateSpec,
    greenfield: bool,
    layout: Layout,
    key: u64,
    account: String,
    pairs: Vec<(usize, usize)>,
    /// Per VPC: (peer VPC, peering index), by peer.
    peers: Vec<Vec<(usize, usize)>>,
    pools: Vec<String>,
    /// Root resources, sorted by address.
    root: Vec<Item>,
    /// VPC indices in the string order of `module.vpc[i]`.
    module_order: Vec<usize>,
    /// Subnet indices in the string order of `[j]`.
    subnet_order: Vec<usize>,
}

impl<'a> Gen<'a> {
    fn new(spec: &'a EstateSpec) -> Self {
        let layout = Layout::new(spec).expect("spec validated");
        let key = mix64(spec.seed ^ 0x7466_7265_6163_6821);
        let account = format!("{:012}", 100_000_000_000 + mix64(key) % 900_000_000_000);
        let pairs = peerings(spec);
        let mut peers = vec![Vec::new(); spec.vpcs];
        for (p, &(a, b)) in pairs.iter().enumerate() {
            peers[a].push((b, p));
            peers[b].push((a, p));
        }
        for list in &mut peers {
            list.sort_unstable();
        }
        let pools = layout.pools_in_use();

        let mut root: Vec<(String, Item)> = Vec::with_capacity(5 * pairs.len() + 1);
        if spec.topology.transit_gateway() {
            root.push(("aws_ec2_transit_gateway.this".into(), Item::Tgw));
        }
        let tables = match spec.topology {
            Topology::TgwInspection => vec![TgwTable::Inspection, TgwTable::Spokes],
            Topology::TgwSegments { segments } => (0..segments).map(TgwTable::Segment).collect(),
            _ => Vec::new(),
        };
        if spec.topology.own_tgw_tables() {
            for t in tables {
                let name = t.name();
                root.push((
                    format!("aws_ec2_transit_gateway_route_table.{name}"),
                    Item::TgwRouteTable(t),
                ));
            }
            let segments = !matches!(spec.topology, Topology::TgwInspection);
            if !segments {
                root.push((
                    "aws_ec2_transit_gateway_route.to_inspection".into(),
                    Item::TgwRoute,
                ));
            }
            for i in 0..spec.vpcs {
                root.push((
                    format!("aws_ec2_transit_gateway_route_table_association.vpc{i}"),
                    Item::TgwAssoc(i),
                ));
                if i > 0 || segments {
                    root.push((
                        format!("aws_ec2_transit_gateway_route_table_propagation.vpc{i}"),
                        Item::TgwProp(i),
                    ));
                }
            }
        }
        let tables: &[Table] = if spec.nat {
            &[Table::This, Table::Public]
        } else {
            &[Table::This]
        };
        for (p, &(a, b)) in pairs.iter().enumerate() {
            for &t in tables {
                let suffix = if t == Table::Public { "_public" } else { "" };
                root.push((
                    format!("aws_route.vpc{a}_to_vpc{b}{suffix}"),
                    Item::PeerRoute(p, false, t),
                ));
                root.push((
                    format!("aws_route.vpc{b}_to_vpc{a}{suffix}"),
                    Item::PeerRoute(p, true, t),
                ));
            }
            root.push((
                format!("aws_vpc_peering_connection.vpc{a}_vpc{b}"),
                Item::Pcx(p),
            ));
        }
        root.sort_unstable_by(|x, y| x.0.cmp(&y.0));

        let string_order = |n: usize, fmt: &dyn Fn(usize) -> String| {
            let mut v: Vec<(String, usize)> = (0..n).map(|i| (fmt(i), i)).collect();
            v.sort_unstable();
            v.into_iter().map(|(_, i)| i).collect::<Vec<_>>()
        };
        let module_order = string_order(spec.vpcs, &|i| format!("module.vpc[{i}]"));
        let subnet_order = string_order(spec.subnets_per_vpc, &|j| format!("{j}]"));

        Gen {
            spec,
            greenfield: spec.mode == Mode::Greenfield,
            layout,
            key,
            account,
            pairs,
            peers,
            pools,
            root: root.into_iter().map(|(_, item)| item).collect(),
            module_order,
            subnet_order,
        }
    }

    fn hex(&self, kind: Kind, a: usize, b: usize) -> String {
        let x = ((kind as u64) << 56) ^ ((a as u64) << 28) ^ (b as u64);
        format!("0{:016x}", mix64(x ^ self.key))
    }
    fn id(&self, prefix: &str, kind: Kind, a: usize, b: usize) -> String {
        format!("{prefix}-{}", self.hex(kind, a, b))
    }
    fn arn(&self, what: &str, id: &str) -> String {
        format!("arn:aws:ec2:{REGION}:{}:{what}/{id}", self.account)
    }
    fn vpc_id(&self, i: usize) -> String {
        self.id("vpc", Kind::Vpc, i, 0)
    }
    fn subnet_id(&self, i: usize, j: usize) -> String {
        self.id("subnet", Kind::Subnet, i, j)
    }
    fn rtb_id(&self, i: usize) -> String {
        self.id("rtb", Kind::RouteTable, i, 0)
    }
    fn igw_id(&self, i: usize) -> String {
        self.id("igw", Kind::Igw, i, 0)
    }
    fn pcx_id(&self, p: usize) -> String {
        let (a, b) = self.pairs[p];
        self.id("pcx", Kind::Pcx, a, b)
    }
    fn tgw_id(&self) -> String {
        self.id("tgw", Kind::Tgw, 0, 0)
    }
    fn attach_id(&self, i: usize) -> String {
        self.id("tgw-attach", Kind::Attach, i, 0)
    }
    fn table_id(&self, i: usize, table: Table) -> String {
        match table {
            Table::This => self.rtb_id(i),
            Table::Public => self.id("rtb", Kind::PublicRouteTable, i, 0),
        }
    }
    fn nat_id(&self, i: usize) -> String {
        self.id("nat", Kind::Nat, i, 0)
    }
    fn eip_id(&self, i: usize) -> String {
        self.id("eipalloc", Kind::Eip, i, 0)
    }
    fn eni_id(&self, i: usize) -> String {
        self.id("eni", Kind::Eni, i, 0)
    }
    fn tgw_rtb_id(&self, t: TgwTable) -> String {
        self.id("tgw-rtb", Kind::TgwRtb, t.number(), 0)
    }
    /// The subnet holding the NAT gateway and the appliance.
    fn last_subnet(&self) -> usize {
        self.spec.subnets_per_vpc - 1
    }
    fn route_id(&self, i: usize, table: Table, slot: usize) -> String {
        // The public table's slots have bit 27 set.
        let t = u64::from(table == Table::Public) << 27;
        let x = ((Kind::Route as u64) << 56) | ((i as u64) << 28) | t | slot as u64;
        format!("r-{}{}", self.table_id(i, table), mix64(self.key ^ x) >> 33)
    }
    /// Subnet indices of a VPC's transit gateway attachment: the first
    /// subnet of each of the first `tgw_zones` AZs.
    fn attach_subnets(&self) -> std::ops::Range<usize> {
        0..self.spec.tgw_zones.min(3).min(self.spec.subnets_per_vpc)
    }
    fn vpc_name(i: usize) -> String {
        format!("vpc-{i}")
    }

    // -- the resources ------------------------------------------------------

    fn build(&self, item: Item) -> Built {
        let mut r = Res {
            a: Attrs::new(self.greenfield),
            index: None,
            schema_version: 0,
            depends_on: Vec::new(),
        };
        let (module, (rtype, name)) = match item {
            Item::Module(i, part) => (Some(i), self.module_resource(i, part, &mut r)),
            _ => (None, self.root_resource(item, &mut r)),
        };
        Built {
            module,
            rtype,
            name,
            index: r.index,
            schema_version: r.schema_version,
            values: attrs(r.a.known),
            unknown: r.a.unknown,
            depends_on: if self.greenfield {
                Vec::new()
            } else {
                r.depends_on
            },
        }
    }

    /// The attributes of a root resource; returns its type and name.
    fn root_resource(&self, item: Item, r: &mut Res) -> (&'static str, Cow<'static, str>) {
        let Res { a, depends_on, .. } = r;
        match item {
            Item::Tgw => {
                let id = self.tgw_id();
                // Without default association and propagation AWS makes no
                // default route table.
                let (defaults, rtb) = if self.spec.topology.own_tgw_tables() {
                    ("disable", String::new())
                } else {
                    ("enable", self.id("tgw-rtb", Kind::TgwRtb, 0, 0))
                };
                a.set("amazon_side_asn", int(64512))
                    .cs("arn", || self.arn("transit-gateway", &id))
                    .cs("association_default_route_table_id", || rtb.clone())
                    .set("auto_accept_shared_attachments", s("disable"))
                    .set("default_route_table_association", s(defaults))
                    .set("default_route_table_propagation", s(defaults))
                    .set("description", s("synthetic estate transit gateway"))
                    .set("dns_support", s("enable"))
                    .cs("encryption_support", || "disable".into())
                    .cs("id", || id.clone())
                    .set("multicast_support", s("disable"))
                    .cs("owner_id", || self.account.clone())
                    .cs("propagation_default_route_table_id", || rtb.clone())
                    .set("security_group_referencing_support", s("disable"))
                    .set("timeouts", J::Null)
                    .set("transit_gateway_cidr_blocks", J::Arr(Vec::new()))
                    .set("vpn_ecmp_support", s("enable"))
                    .common("tgw-main".into());
                ("aws_ec2_transit_gateway", "this".into())
            }
            Item::Pcx(p) => {
                let (x, y) = self.pairs[p];
                let dns = || {
                    J::Arr(vec![rec(vec![(
                        "allow_remote_vpc_dns_resolution",
                        J::Bool(false),
                    )])])
                };
                a.cs("accept_status", || "active".into())
                    .computed("accepter", Shape::List, dns)
                    .set("auto_accept", J::Bool(true))
                    .cs("id", || self.pcx_id(p))
                    .cs("peer_owner_id", || self.account.clone())
                    .cs("peer_region", || REGION.into())
                    .cs("peer_vpc_id", || self.vpc_id(y))
                    .computed("requester", Shape::List, dns)
                    .set("timeouts", J::Null)
                    .cs("vpc_id", || self.vpc_id(x))
                    .common(format!("vpc{x}-vpc{y}"));
                depends_on.push("module.vpc.aws_vpc.this".into());
                (
                    "aws_vpc_peering_connection",
                    format!("vpc{x}_vpc{y}").into(),
                )
            }
            Item::PeerRoute(p, reverse, table) => {
                let (x, y) = self.pairs[p];
                let (from, to) = if reverse { (y, x) } else { (x, y) };
                let slot = 1 + self.pools.len() + self.peers[from].partition_point(|e| e.0 < to);
                let dest = self.layout.vpc_cidr(to);
                let target = ("vpc_peering_connection_id", self.pcx_id(p));
                self.route_attrs(a, from, table, slot, dest, target);
                let (rtb_dep, suffix) = match table {
                    Table::This => ("module.vpc.aws_route_table.this", ""),
                    Table::Public => ("module.vpc.aws_route_table.public", "_public"),
                };
                depends_on.extend([
                    format!("aws_vpc_peering_connection.vpc{x}_vpc{y}").into(),
                    rtb_dep.into(),
                    "module.vpc.aws_vpc.this".into(),
                ]);
                ("aws_route", format!("vpc{from}_to_vpc{to}{suffix}").into())
            }
            Item::TgwRouteTable(t) => {
                let id = self.tgw_rtb_id(t);
                a.cs("arn", || self.arn("transit-gateway-route-table", &id))
                    .computed("default_association_route_table", Shape::Scalar, || {
                        J::Bool(false)
                    })
                    .computed("default_propagation_route_table", Shape::Scalar, || {
                        J::Bool(false)
                    })
                    .cs("id", || id.clone())
                    .set("timeouts", J::Null)
                    .cs("transit_gateway_id", || self.tgw_id())
                    .common(t.name().into_owned());
                depends_on.push("aws_ec2_transit_gateway.this".into());
                ("aws_ec2_transit_gateway_route_table", t.name())
            }
            Item::TgwRoute => {
                let rtb = self.tgw_rtb_id(TgwTable::Spokes);
                a.set("blackhole", J::Bool(false))
                    .set("destination_cidr_block", s("0.0.0.0/0"))
                    .cs("id", || format!("{rtb}_0.0.0.0/0"))
                    .set("region", s(REGION))
                    .set("timeouts", J::Null)
                    .cs("transit_gateway_attachment_id", || self.attach_id(0))
                    .cs("transit_gateway_route_table_id", || rtb.clone());
                depends_on.extend(deps(&[
                    "aws_ec2_transit_gateway.this",
                    "aws_ec2_transit_gateway_route_table.spokes",
                    "module.vpc.aws_ec2_transit_gateway_vpc_attachment.this",
                ]));
                ("aws_ec2_transit_gateway_route", "to_inspection".into())
            }
            Item::TgwAssoc(i) | Item::TgwProp(i) => {
                let assoc = matches!(item, Item::TgwAssoc(_));
                let t = TgwTable::of_vpc(self.spec, i, assoc);
                let rtb = self.tgw_rtb_id(t);
                if assoc {
                    a.set("replace_existing_association", J::Bool(false));
                }
                a.cs("id", || format!("{rtb}_{}", self.attach_id(i)))
                    .set("region", s(REGION))
                    .cs("resource_id", || self.vpc_id(i))
                    .cs("resource_type", || "vpc".into())
                    .set("timeouts", J::Null)
                    .cs("transit_gateway_attachment_id", || self.attach_id(i))
                    .cs("transit_gateway_route_table_id", || rtb.clone());
                depends_on.push(format!("aws_ec2_transit_gateway_route_table.{}", t.name()).into());
                depends_on.push("module.vpc.aws_ec2_transit_gateway_vpc_attachment.this".into());
                if assoc {
                    (
                        "aws_ec2_transit_gateway_route_table_association",
                        format!("vpc{i}").into(),
                    )
                } else {
                    (
                        "aws_ec2_transit_gateway_route_table_propagation",
                        format!("vpc{i}").into(),
                    )
                }
            }
            Item::Module(..) => unreachable!("a module resource"),
        }
    }

    /// The attributes of part `part` of VPC `i`'s module instance; returns
    /// its type and name.
    fn module_resource(
        &self,
        i: usize,
        part: Part,
        r: &mut Res,
    ) -> (&'static str, Cow<'static, str>) {
        match part {
            Part::Vpc
            | Part::Subnet(_)
            | Part::RouteTable
            | Part::RouteTablePublic
            | Part::AssocPublic
            | Part::Assoc(_) => self.module_network(i, part, r),
            Part::RouteAppliance(_)
            | Part::RouteInternet
            | Part::RouteNat
            | Part::RoutePublicInternet
            | Part::RoutePublicTransit(_)
            | Part::RouteShared
            | Part::RouteTransit(_) => self.module_route(i, part, r),
            _ => self.module_device(i, part, r),
        }
    }

    /// [`Gen::module_resource`] for its VPC, subnets, route tables and their associations.
    fn module_network(
        &self,
        i: usize,
        part: Part,
        r: &mut Res,
    ) -> (&'static str, Cow<'static, str>) {
        let Res {
            a,
            index,
            schema_version,
            depends_on,
        } = r;
        let vpc = || self.vpc_id(i);
        let name = Self::vpc_name(i);
        match part {
            Part::Vpc => {
                *schema_version = 1;
                let id = self.vpc_id(i);
                a.cs("arn", || self.arn("vpc", &id))
                    .set("assign_generated_ipv6_cidr_block", J::Bool(false))
                    .set("cidr_block", s(self.layout.vpc_cidr(i)))
                    .cs("default_network_acl_id", || {
                        self.id("acl", Kind::DefaultAcl, i, 0)
                    })
                    .cs("default_route_table_id", || {
                        self.id("rtb", Kind::MainRouteTable, i, 0)
                    })
                    .cs("default_security_group_id", || {
                        self.id("sg", Kind::DefaultSg, i, 0)
                    })
                    .cs("dhcp_options_id", || self.id("dopt", Kind::Dopt, 0, 0))
                    .set("enable_dns_hostnames", J::Bool(true))
                    .set("enable_dns_support", J::Bool(true))
                    .computed(
                        "enable_network_address_usage_metrics",
                        Shape::Scalar,
                        || J::Bool(false),
                    )
                    .cs("id", || id.clone())
                    .set("instance_tenancy", s("default"))
                    .set("ipv4_ipam_pool_id", J::Null)
                    .set("ipv4_netmask_length", J::Null)
                    .cs("ipv6_association_id", String::new)
                    .cs("ipv6_cidr_block", String::new)
                    .cs("ipv6_cidr_block_network_border_group", String::new)
                    .unset("ipv6_ipam_pool_id")
                    .unset_or("ipv6_netmask_length", int(0))
                    .cs("main_route_table_id", || {
                        self.id("rtb", Kind::MainRouteTable, i, 0)
                    })
                    .cs("owner_id", || self.account.clone())
                    .common(name);
                ("aws_vpc", "this".into())
            }
            Part::Subnet(j) => {
                *schema_version = 1;
                *index = Some(j);
                let id = self.subnet_id(i, j);
                let (az, az_id) = AZS[j % 3];
                a.cs("arn", || self.arn("subnet", &id))
                    .set("assign_ipv6_address_on_creation", J::Bool(false))
                    .set("availability_zone", s(az))
                    .cs("availability_zone_id", || az_id.into())
                    .set("cidr_block", s(self.layout.subnet_cidr(i, j)))
                    .unset("customer_owned_ipv4_pool")
                    .set("enable_dns64", J::Bool(false))
                    .unset_or("enable_lni_at_device_index", int(0))
                    .set(
                        "enable_resource_name_dns_a_record_on_launch",
                        J::Bool(false),
                    )
                    .set(
                        "enable_resource_name_dns_aaaa_record_on_launch",
                        J::Bool(false),
                    )
                    .cs("id", || id.clone())
                    .unset("ipv6_cidr_block")
                    .cs("ipv6_cidr_block_association_id", String::new)
                    .set("ipv6_native", J::Bool(false))
                    .unset_or("map_customer_owned_ip_on_launch", J::Bool(false))
                    .set("map_public_ip_on_launch", J::Bool(false))
                    .unset("outpost_arn")
                    .cs("owner_id", || self.account.clone())
                    .cs("private_dns_hostname_type_on_launch", || "ip-name".into())
                    .set("timeouts", J::Null)
                    .cs("vpc_id", vpc)
                    .common(format!("{name}-subnet-{j}"));
                depends_on.push("module.vpc.aws_vpc.this".into());
                ("aws_subnet", "this".into())
            }
            Part::RouteTable | Part::RouteTablePublic => {
                let table = if part == Part::RouteTable {
                    Table::This
                } else {
                    *index = Some(0);
                    Table::Public
                };
                let id = self.table_id(i, table);
                let tag = match table {
                    Table::This => format!("{name}-rt"),
                    Table::Public => format!("{name}-public-rt"),
                };
                a.cs("arn", || self.arn("route-table", &id))
                    .cs("id", || id.clone())
                    .cs("owner_id", || self.account.clone())
                    .computed("propagating_vgws", Shape::List, || J::Arr(Vec::new()))
                    .computed("route", Shape::List, || self.route_list(i, table))
                    .set("timeouts", J::Null)
                    .cs("vpc_id", vpc)
                    .common(tag);
                depends_on.push("module.vpc.aws_vpc.this".into());
                match table {
                    Table::This => ("aws_route_table", "this".into()),
                    Table::Public => ("aws_route_table", "public".into()),
                }
            }
            Part::AssocPublic => {
                *index = Some(0);
                let j = self.last_subnet();
                a.unset("gateway_id")
                    .cs("id", || self.id("rtbassoc", Kind::PublicAssoc, i, j))
                    .set("region", s(REGION))
                    .cs("route_table_id", || self.table_id(i, Table::Public))
                    .cs("subnet_id", || self.subnet_id(i, j))
                    .set("timeouts", J::Null);
                depends_on.extend(deps(&[
                    "module.vpc.aws_route_table.public",
                    "module.vpc.aws_subnet.this",
                    "module.vpc.aws_vpc.this",
                ]));
                ("aws_route_table_association", "public".into())
            }
            Part::Assoc(j) => {
                *index = Some(j);
                a.unset("gateway_id")
                    .cs("id", || self.id("rtbassoc", Kind::Assoc, i, j))
                    .set("region", s(REGION))
                    .cs("route_table_id", || self.rtb_id(i))
                    .cs("subnet_id", || self.subnet_id(i, j))
                    .set("timeouts", J::Null);
                depends_on.extend(deps(&[
                    "module.vpc.aws_route_table.this",
                    "module.vpc.aws_subnet.this",
                    "module.vpc.aws_vpc.this",
                ]));
                ("aws_route_table_association", "this".into())
            }
            _ => unreachable!("not a network part"),
        }
    }

    /// [`Gen::module_resource`] for its routes.
    fn module_route(&self, i: usize, part: Part, r: &mut Res) -> (&'static str, Cow<'static, str>) {
        let Res {
            a,
            index,
            depends_on,
            ..
        } = r;
        const TGW: &[&str] = &[
            "aws_ec2_transit_gateway.this",
            "module.vpc.aws_ec2_transit_gateway_vpc_attachment.this",
        ];
        const IGW: &[&str] = &["module.vpc.aws_internet_gateway.this"];
        // The instance key, the table, the pool routed (`None`: the default
        // route), the target, what the target depends on, and the name.
        let (key, table, pool, target, target_deps, name) = match part {
            Part::RouteAppliance(k) => (
                Some(k),
                Table::This,
                Some(k),
                ("network_interface_id", self.eni_id(i)),
                &["module.vpc.aws_network_interface.appliance"][..],
                "appliance",
            ),
            Part::RouteNat => (
                None,
                Table::This,
                None,
                ("nat_gateway_id", self.nat_id(i)),
                &["module.vpc.aws_nat_gateway.this"][..],
                "nat",
            ),
            Part::RoutePublicInternet => (
                Some(0),
                Table::Public,
                None,
                ("gateway_id", self.igw_id(i)),
                IGW,
                "public_internet",
            ),
            Part::RoutePublicTransit(k) => (
                Some(k),
                Table::Public,
                Some(k),
                ("transit_gateway_id", self.tgw_id()),
                TGW,
                "public_transit",
            ),
            Part::RouteInternet => (
                None,
                Table::This,
                None,
                ("gateway_id", self.igw_id(i)),
                IGW,
                "internet",
            ),
            Part::RouteTransit(k) => (
                Some(k),
                Table::This,
                Some(k),
                ("transit_gateway_id", self.tgw_id()),
                TGW,
                "transit",
            ),
            Part::RouteShared => (
                None,
                Table::This,
                None,
                ("transit_gateway_id", SHARED_TGW.to_string()),
                &[][..],
                "shared",
            ),
            _ => unreachable!("not a route part"),
        };
        if key.is_some() {
            *index = key;
        }
        let (slot, dest) = match pool {
            Some(k) => (1 + k, self.pools[k].clone()),
            // After the default route, the pools' and the peerings'.
            None if part == Part::RouteShared => (
                1 + self.pools.len() + self.peers[i].len(),
                SHARED_RANGE.into(),
            ),
            None => (0, "0.0.0.0/0".into()),
        };
        self.route_attrs(a, i, table, slot, dest, target);
        // In name order: the target, the table, the subnets (a pool route
        // waits for the attachment's or appliance's subnets), the VPC.
        depends_on.extend(deps(target_deps));
        depends_on.extend(deps(&[match table {
            Table::This => "module.vpc.aws_route_table.this",
            Table::Public => "module.vpc.aws_route_table.public",
        }]));
        if pool.is_some() {
            depends_on.extend(deps(&["module.vpc.aws_subnet.this"]));
        }
        depends_on.extend(deps(&["module.vpc.aws_vpc.this"]));
        ("aws_route", name.into())
    }

    /// [`Gen::module_resource`] for its internet and NAT gateways, appliance, transit gateway attachment, ACL and endpoint.
    fn module_device(
        &self,
        i: usize,
        part: Part,
        r: &mut Res,
    ) -> (&'static str, Cow<'static, str>) {
        let Res {
            a,
            index,
            depends_on,
            ..
        } = r;
        let vpc = || self.vpc_id(i);
        let name = Self::vpc_name(i);
        match part {
            Part::Eip => {
                let id = self.eip_id(i);
                let public_ip = public_address(i);
                a.set("address", J::Null)
                    .cs("allocation_id", || id.clone())
                    .cs("arn", || self.arn("elastic-ip", &id))
                    .set("associate_with_private_ip", J::Null)
                    .cs("association_id", || self.id("eipassoc", Kind::Eip, i, 1))
                    .cs("carrier_ip", String::new)
                    .cs("customer_owned_ip", String::new)
                    .set("customer_owned_ipv4_pool", J::Null)
                    .set("domain", s("vpc"))
                    .cs("id", || id.clone())
                    .cs("instance", String::new)
                    .set("ipam_pool_id", J::Null)
                    .cs("network_border_group", || REGION.into())
                    .cs("network_interface", || self.id("eni", Kind::Nat, i, 1))
                    .cs("private_dns", || {
                        let ip = self.layout.subnet_host(i, self.last_subnet(), 5);
                        format!("ip-{}.ec2.internal", ip.replace('.', "-"))
                    })
                    .cs("private_ip", || {
                        self.layout.subnet_host(i, self.last_subnet(), 5)
                    })
                    .cs("ptr_record", String::new)
                    .cs("public_dns", || {
                        format!(
                            "ec2-{}.compute-1.amazonaws.com",
                            public_ip.replace('.', "-")
                        )
                    })
                    .cs("public_ip", || public_ip.clone())
                    .cs("public_ipv4_pool", || "amazon".into())
                    .set("timeouts", J::Null)
                    .common(format!("{name}-nat"));
                ("aws_eip", "nat".into())
            }
            Part::Nat => {
                let id = self.nat_id(i);
                let j = self.last_subnet();
                a.cs("allocation_id", || self.eip_id(i))
                    .cs("association_id", || self.id("eipassoc", Kind::Eip, i, 1))
                    .set("connectivity_type", s("public"))
                    .cs("id", || id.clone())
                    .cs("network_interface_id", || self.id("eni", Kind::Nat, i, 1))
                    .cs("private_ip", || self.layout.subnet_host(i, j, 5))
                    .cs("public_ip", || public_address(i))
                    .computed("secondary_allocation_ids", Shape::List, || {
                        J::Arr(Vec::new())
                    })
                    .computed("secondary_private_ip_address_count", Shape::Scalar, || {
                        int(0)
                    })
                    .computed("secondary_private_ip_addresses", Shape::List, || {
                        J::Arr(Vec::new())
                    })
                    .cs("subnet_id", || self.subnet_id(i, j))
                    .set("timeouts", J::Null)
                    .common(format!("{name}-nat"));
                depends_on.extend(deps(&[
                    "module.vpc.aws_eip.nat",
                    "module.vpc.aws_subnet.this",
                    "module.vpc.aws_vpc.this",
                ]));
                ("aws_nat_gateway", "this".into())
            }
            Part::Eni => {
                *index = Some(0);
                let id = self.eni_id(i);
                let j = self.last_subnet();
                let ip = || self.layout.subnet_host(i, j, 6);
                a.cs("arn", || self.arn("network-interface", &id))
                    .computed("attachment", Shape::List, || J::Arr(Vec::new()))
                    .set("description", s("inspection appliance"))
                    .cs("id", || id.clone())
                    .cs("interface_type", || "interface".into())
                    .cs("mac_address", || {
                        let h = self.hex(Kind::Eni, i, 1);
                        format!(
                            "0e:{}:{}:{}:{}:{}",
                            &h[1..3],
                            &h[3..5],
                            &h[5..7],
                            &h[7..9],
                            &h[9..11]
                        )
                    })
                    .cs("owner_id", || self.account.clone())
                    .cs("private_ip", ip)
                    .computed("private_ips", Shape::List, || strs([ip()]))
                    .computed("security_groups", Shape::List, || {
                        strs([self.id("sg", Kind::DefaultSg, i, 0)])
                    })
                    .set("source_dest_check", J::Bool(false))
                    .cs("subnet_id", || self.subnet_id(i, j))
                    .common(format!("{name}-appliance"));
                depends_on.extend(deps(&[
                    "module.vpc.aws_subnet.this",
                    "module.vpc.aws_vpc.this",
                ]));
                ("aws_network_interface", "appliance".into())
            }
            Part::Igw => {
                let id = self.igw_id(i);
                a.cs("arn", || self.arn("internet-gateway", &id))
                    .cs("id", || id.clone())
                    .cs("owner_id", || self.account.clone())
                    .set("timeouts", J::Null)
                    .cs("vpc_id", vpc)
                    .common(format!("{name}-igw"));
                depends_on.push("module.vpc.aws_vpc.this".into());
                ("aws_internet_gateway", "this".into())
            }
            Part::Attach => {
                let id = self.attach_id(i);
                let appliance = if is_inspection_vpc(self.spec, i) {
                    "enable"
                } else {
                    "disable"
                };
                let defaults = !self.spec.topology.own_tgw_tables();
                let default_table = |a: &mut Attrs, k: &'static str| {
                    if defaults {
                        a.computed(k, Shape::Scalar, || J::Bool(true));
                    } else {
                        a.set(k, J::Bool(false));
                    }
                };
                default_table(a, "transit_gateway_default_route_table_association");
                default_table(a, "transit_gateway_default_route_table_propagation");
                a.set("appliance_mode_support", s(appliance))
                    .cs("arn", || self.arn("transit-gateway-attachment", &id))
                    .set("dns_support", s("enable"))
                    .cs("id", || id.clone())
                    .set("ipv6_support", s("disable"))
                    .cs("security_group_referencing_support", || "enable".into())
                    .computed("subnet_ids", Shape::List, || {
                        strs(self.attach_subnets().map(|j| self.subnet_id(i, j)))
                    })
                    .set("timeouts", J::Null)
                    .cs("transit_gateway_id", || self.tgw_id())
                    .cs("vpc_id", vpc)
                    .cs("vpc_owner_id", || self.account.clone())
                    .common(format!("{name}-tgw"));
                depends_on.extend(deps(&[
                    "aws_ec2_transit_gateway.this",
                    "module.vpc.aws_subnet.this",
                    "module.vpc.aws_vpc.this",
                ]));
                ("aws_ec2_transit_gateway_vpc_attachment", "this".into())
            }
            Part::Instance(k) => {
                self.workload_instance(i, k, a);
                *index = Some(k);
                depends_on.extend(deps(&[
                    "module.vpc.aws_security_group.tier",
                    "module.vpc.aws_subnet.this",
                ]));
                ("aws_instance", "w".into())
            }
            Part::SecurityGroup(k) => {
                self.workload_group(i, k, a);
                *index = Some(k);
                depends_on.extend(deps(&["module.vpc.aws_vpc.this"]));
                ("aws_security_group", "tier".into())
            }
            Part::Acl => {
                let id = self.id("acl", Kind::Acl, i, 0);
                let rule = |no: i64, cidr: &str, proto: &str, from: i64, to: i64| {
                    attrs(vec![
                        ("action", s("allow")),
                        ("cidr_block", s(cidr.to_owned())),
                        ("from_port", int(from)),
                        ("icmp_code", int(0)),
                        ("icmp_type", int(0)),
                        ("ipv6_cidr_block", s("")),
                        ("protocol", s(proto.to_owned())),
                        ("rule_no", int(no)),
                        ("to_port", int(to)),
                    ])
                };
                let mut ingress: Vec<J> = (self.pools.iter().enumerate())
                    .map(|(k, p)| rule(100 + 10 * k as i64, p, "-1", 0, 0))
                    .collect();
                ingress.push(rule(200, "0.0.0.0/0", "6", 1024, 65535));
                a.cs("arn", || self.arn("network-acl", &id))
                    .set("egress", J::Arr(vec![rule(100, "0.0.0.0/0", "-1", 0, 0)]))
                    .cs("id", || id.clone())
                    .set("ingress", J::Arr(ingress))
                    .cs("owner_id", || self.account.clone())
                    .computed("subnet_ids", Shape::List, || {
                        strs((0..self.spec.subnets_per_vpc).map(|j| self.subnet_id(i, j)))
                    })
                    .cs("vpc_id", vpc)
                    .common(format!("{name}-acl"));
                depends_on.extend(deps(&[
                    "module.vpc.aws_subnet.this",
                    "module.vpc.aws_vpc.this",
                ]));
                ("aws_network_acl", "this".into())
            }
            Part::Endpoint => {
                let id = self.id("vpce", Kind::Vpce, i, 0);
                let policy = r#"{"Statement":[{"Action":"*","Effect":"Allow","Principal":"*","Resource":"*"}],"Version":"2008-10-17"}"#;
                let empty = || J::Arr(Vec::new());
                a.cs("arn", || self.arn("vpc-endpoint", &id))
                    .set("auto_accept", J::Null)
                    .computed("cidr_blocks", Shape::List, || {
                        strs(S3_CIDRS.iter().map(|c| c.to_string()))
                    })
                    .computed("dns_entry", Shape::List, empty)
                    .computed("dns_options", Shape::List, empty)
                    .cs("id", || id.clone())
                    .cs("ip_address_type", String::new)
                    .computed("network_interface_ids", Shape::List, empty)
                    .cs("owner_id", || self.account.clone())
                    .cs("policy", || policy.into())
                    .cs("prefix_list_id", || S3_PREFIX_LIST.into())
                    .computed("private_dns_enabled", Shape::Scalar, || J::Bool(false))
                    .computed("requester_managed", Shape::Scalar, || J::Bool(false))
                    .unset("resource_configuration_arn")
                    .computed("route_table_ids", Shape::List, || strs([self.rtb_id(i)]))
                    .computed("security_group_ids", Shape::List, empty)
                    .set("service_name", s(format!("com.amazonaws.{REGION}.s3")))
                    .unset("service_network_arn")
                    .cs("service_region", || REGION.into())
                    .cs("state", || "available".into())
                    .computed("subnet_configuration", Shape::List, empty)
                    .computed("subnet_ids", Shape::List, empty)
                    .set("timeouts", J::Null)
                    .set("vpc_endpoint_type", s("Gateway"))
                    .cs("vpc_id", vpc)
                    .common(format!("{name}-s3"));
                depends_on.extend(deps(&[
                    "module.vpc.aws_route_table.this",
                    "module.vpc.aws_vpc.this",
                ]));
                ("aws_vpc_endpoint", "s3".into())
            }
            _ => unreachable!("not a device part"),
        }
    }

    /// The attributes every `aws_route` shares; the caller adds the three
    /// targets the estate uses (`gateway_id`, `transit_gateway_id`,
    /// `vpc_peering_connection_id`).
    fn route_attrs(
        &self,
        a: &mut Attrs,
        vpc: usize,
        table: Table,
        slot: usize,
        dest: String,
        (target, target_id): (&'static str, String),
    ) {
        // Optional targets are `null` in a plan and `""` once read back; the
        // provider computes the instance and network interface of a route.
        let mut target_id = Some(target_id);
        for k in OPTIONAL_TARGETS {
            if k == target {
                let id = target_id.take().expect("one target");
                a.cs(k, || id);
            } else {
                a.unset(k);
            }
        }
        for k in ["instance_id", "instance_owner_id", "network_interface_id"] {
            if k == target {
                let id = target_id.take().expect("one target");
                a.cs(k, || id);
            } else {
                a.cs(k, String::new);
            }
        }
        assert!(target_id.is_none(), "unknown route target {target}");
        a.set("destination_cidr_block", s(dest))
            .unset("destination_ipv6_cidr_block")
            .unset("destination_prefix_list_id")
            .cs("id", || self.route_id(vpc, table, slot))
            .cs("origin", || "CreateRoute".into())
            .set("region", s(REGION))
            .cs("route_table_id", || self.table_id(vpc, table))
            .cs("state", || "active".into())
            .set("timeouts", J::Null);
    }

    /// The `route` attribute of VPC `i`'s table `table` as read back from
    /// AWS, in the order of the route resources' slots.
    fn route_list(&self, i: usize, table: Table) -> J {
        let route = |dest: String, target: &'static str, id: String| {
            let mut f: Vec<(&'static str, J)> = [
                "carrier_gateway_id",
                "core_network_arn",
                "destination_prefix_list_id",
                "egress_only_gateway_id",
                "gateway_id",
                "ipv6_cidr_block",
                "local_gateway_id",
                "nat_gateway_id",
                "network_interface_id",
                "odb_network_arn",
                "transit_gateway_id",
                "vpc_endpoint_id",
                "vpc_peering_connection_id",
            ]
            .into_iter()
            .map(|k| (k, if k == target { s(id.clone()) } else { s("") }))
            .collect();
            f.push(("cidr_block", s(dest)));
            attrs(f)
        };
        let sp = self.spec;
        let any = || "0.0.0.0/0".to_string();
        let mut routes = Vec::new();
        match table {
            Table::This if sp.nat => routes.push(route(any(), "nat_gateway_id", self.nat_id(i))),
            _ if sp.igw => routes.push(route(any(), "gateway_id", self.igw_id(i))),
            _ => {}
        }
        if is_inspection_vpc(sp, i) && table == Table::This {
            for p in &self.pools {
                routes.push(route(p.clone(), "network_interface_id", self.eni_id(i)));
            }
        } else if sp.topology.transit_gateway() {
            for p in &self.pools {
                routes.push(route(p.clone(), "transit_gateway_id", self.tgw_id()));
            }
        }
        for &(peer, p) in &self.peers[i] {
            routes.push(route(
                self.layout.vpc_cidr(peer),
                "vpc_peering_connection_id",
                self.pcx_id(p),
            ));
        }
        if sp.shared_tgw_route && table == Table::This {
            routes.push(route(
                SHARED_RANGE.into(),
                "transit_gateway_id",
                SHARED_TGW.into(),
            ));
        }
        J::Arr(routes)
    }

    /// Module parts of VPC `i` (see [`vpc_parts`]).
    fn parts(&self, i: usize, order: &[usize]) -> Vec<Part> {
        vpc_parts(self.spec, self.pools.len(), i, order)
    }

    // -- the document ------------------------------------------------------

    fn write<W: Write>(&self, w: &mut W) -> io::Result<()> {
        let steady = !self.greenfield;
        w.write_all(b"{\"format_version\":\"1.2\",\"terraform_version\":")?;
        write_json(w, &s(TERRAFORM_VERSION))?;
        w.write_all(b",\"variables\":")?;
        write_json(
            w,
            &rec(vec![
                ("region", rec(vec![("value", s(REGION))])),
                (
                    "subnets_per_vpc",
                    rec(vec![("value", int(self.spec.subnets_per_vpc as i64))]),
                ),
            ]),
        )?;
        w.write_all(b",\"planned_values\":{\"root_module\":")?;
        self.write_tree(w, false)?;
        w.write_all(b"},\"resource_changes\":[")?;
        let mut seq = Seq::new();
        let numeric: Vec<usize> = (0..self.spec.subnets_per_vpc).collect();
        for &item in &self.root {
            seq.item(w, &self.build(item).change_entry(steady))?;
        }
        // Only the inspection VPC (VPC 0) has parts of its own.
        let first = self.parts(0, &numeric);
        let rest = self.parts(1, &numeric);
        for i in 0..self.spec.vpcs {
            for &part in if i == 0 { &first } else { &rest } {
                seq.item(w, &self.build(Item::Module(i, part)).change_entry(steady))?;
            }
        }
        w.write_all(b"]")?;
        if steady {
            w.write_all(b",\"prior_state\":{\"format_version\":\"1.0\",\"terraform_version\":")?;
            write_json(w, &s(TERRAFORM_VERSION))?;
            w.write_all(b",\"values\":{\"root_module\":")?;
            self.write_tree(w, true)?;
            w.write_all(b"}}")?;
        }
        w.write_all(b",\"configuration\":")?;
        self.write_configuration(w)?;
        w.write_all(b",\"timestamp\":")?;
        write_json(w, &s(TIMESTAMP))?;
        let applyable = if steady { "false" } else { "true" };
        write!(
            w,
            ",\"applyable\":{applyable},\"complete\":true,\"errored\":false}}"
        )?;
        w.write_all(b"\n")
    }

    /// The root module of `planned_values` (`state == false`) or of
    /// `prior_state.values` (`state == true`).
    fn write_tree<W: Write>(&self, w: &mut W, state: bool) -> io::Result<()> {
        w.write_all(b"{")?;
        let mut keys = Seq::new();
        if !self.root.is_empty() {
            keys.sep(w)?;
            w.write_all(b"\"resources\":[")?;
            let mut seq = Seq::new();
            for &item in &self.root {
                seq.item(w, &self.build(item).values_entry(state))?;
            }
            w.write_all(b"]")?;
        }
        if self.spec.vpcs > 0 {
            keys.sep(w)?;
            w.write_all(b"\"child_modules\":[")?;
            let numeric: Vec<usize> = (0..self.spec.subnets_per_vpc).collect();
            let order = if state { &numeric } else { &self.subnet_order };
            let first = self.parts(0, order);
            let rest = self.parts(1, order);
            let mut mods = Seq::new();
            for &i in &self.module_order {
                mods.sep(w)?;
                w.write_all(b"{\"resources\":[")?;
                let mut seq = Seq::new();
                for &part in if i == 0 { &first } else { &rest } {
                    seq.item(w, &self.build(Item::Module(i, part)).values_entry(state))?;
                }
                write!(w, "],\"address\":\"module.vpc[{i}]\"}}")?;
            }
            w.write_all(b"]")?;
        }
        w.write_all(b"}")
    }

    fn write_configuration<W: Write>(&self, w: &mut W) -> io::Result<()> {
        let sp = self.spec;
        let tgw = sp.topology.transit_gateway();
        let provider = rec(vec![(
            "aws",
            rec(vec![
                ("name", s("aws")),
                ("full_name", s(PROVIDER)),
                ("version_constraint", s("~> 6.0")),
                ("expressions", rec(vec![("region", refs(&["var.region"]))])),
            ]),
        )]);
        w.write_all(b"{\"provider_config\":")?;
        write_json(w, &provider)?;
        w.write_all(b",\"root_module\":{")?;
        let mut keys = Seq::new();
        if !self.root.is_empty() {
            keys.sep(w)?;
            w.write_all(b"\"resources\":[")?;
            let mut seq = Seq::new();
            for &item in &self.root {
                seq.item(w, &self.root_config(item))?;
            }
            w.write_all(b"]")?;
        }
        keys.sep(w)?;
        w.write_all(b"\"module_calls\":{\"vpc\":")?;
        let mut inputs = vec![
            ("azs", constant(strs(AZS.iter().map(|z| z.0.to_string())))),
            ("cidr_block", refs(&["local.vpc_cidrs", "count.index"])),
            ("name", refs(&["count.index"])),
            ("subnet_count", refs(&["var.subnets_per_vpc"])),
        ];
        if sp.nacls {
            inputs.push(("internal_cidrs", constant(strs(self.pools.clone()))));
        }
        if sp.topology == Topology::TgwInspection {
            // `count.index == 0`
            inputs.push(("inspection", refs(&["count.index"])));
        }
        if sp.nat {
            inputs.push(("public_subnet", constant(J::Bool(true))));
        } else if sp.topology == Topology::TgwInspection {
            // `count.index == 0`: the appliance's subnet
            inputs.push(("public_subnet", refs(&["count.index"])));
        }
        if tgw {
            inputs.push(("tgw_destinations", constant(strs(self.pools.clone()))));
            inputs.push((
                "transit_gateway_id",
                refs(&[
                    "aws_ec2_transit_gateway.this.id",
                    "aws_ec2_transit_gateway.this",
                ]),
            ));
        }
        let call = rec(vec![
            ("source", s("./modules/vpc")),
            ("expressions", attrs(inputs)),
            ("count_expression", refs(&["local.vpc_cidrs"])),
            ("module", self.module_config()),
        ]);
        write_json(w, &call)?;
        w.write_all(b"}")?;
        keys.sep(w)?;
        let vars = rec(vec![
            (
                "region",
                rec(vec![
                    ("default", s(REGION)),
                    ("description", s("AWS Region of the estate")),
                ]),
            ),
            (
                "subnets_per_vpc",
                rec(vec![("default", int(sp.subnets_per_vpc as i64))]),
            ),
        ]);
        w.write_all(b"\"variables\":")?;
        write_json(w, &vars)?;
        w.write_all(b"}}")
    }

    fn root_config(&self, item: Item) -> J {
        match item {
            Item::Tgw => {
                let defaults = if self.spec.topology.own_tgw_tables() {
                    "disable"
                } else {
                    "enable"
                };
                resource_config(
                    "aws_ec2_transit_gateway",
                    "this".into(),
                    vec![
                        ("amazon_side_asn", constant(int(64512))),
                        ("auto_accept_shared_attachments", constant(s("disable"))),
                        ("default_route_table_association", constant(s(defaults))),
                        ("default_route_table_propagation", constant(s(defaults))),
                        (
                            "description",
                            constant(s("synthetic estate transit gateway")),
                        ),
                        ("tags", constant(tags("tgw-main".into()))),
                    ],
                    None,
                    &[],
                )
            }
            Item::TgwRouteTable(t) => resource_config(
                "aws_ec2_transit_gateway_route_table",
                t.name().into_owned(),
                vec![
                    ("tags", constant(tags(t.name().into_owned()))),
                    ("transit_gateway_id", tgw_ref()),
                ],
                None,
                &[],
            ),
            Item::TgwRoute => resource_config(
                "aws_ec2_transit_gateway_route",
                "to_inspection".into(),
                vec![
                    ("destination_cidr_block", constant(s("0.0.0.0/0"))),
                    (
                        "transit_gateway_attachment_id",
                        module_ref(0, "tgw_attachment_id"),
                    ),
                    (
                        "transit_gateway_route_table_id",
                        tgw_table_ref(TgwTable::Spokes),
                    ),
                ],
                None,
                &[],
            ),
            Item::TgwAssoc(i) | Item::TgwProp(i) => {
                let assoc = matches!(item, Item::TgwAssoc(_));
                let rtype = if assoc {
                    "aws_ec2_transit_gateway_route_table_association"
                } else {
                    "aws_ec2_transit_gateway_route_table_propagation"
                };
                let t = TgwTable::of_vpc(self.spec, i, assoc);
                resource_config(
                    rtype,
                    format!("vpc{i}"),
                    vec![
                        (
                            "transit_gateway_attachment_id",
                            module_ref(i, "tgw_attachment_id"),
                        ),
                        ("transit_gateway_route_table_id", tgw_table_ref(t)),
                    ],
                    None,
                    &[],
                )
            }
            Item::Pcx(p) => {
                let (x, y) = self.pairs[p];
                resource_config(
                    "aws_vpc_peering_connection",
                    format!("vpc{x}_vpc{y}"),
                    vec![
                        ("auto_accept", constant(J::Bool(true))),
                        ("peer_vpc_id", module_ref(y, "vpc_id")),
                        ("tags", constant(tags(format!("vpc{x}-vpc{y}")))),
                        ("vpc_id", module_ref(x, "vpc_id")),
                    ],
                    None,
                    &[],
                )
            }
            Item::PeerRoute(p, reverse, table) => {
                let (x, y) = self.pairs[p];
                let (from, to) = if reverse { (y, x) } else { (x, y) };
                let pcx = format!("aws_vpc_peering_connection.vpc{x}_vpc{y}");
                let (output, suffix) = match table {
                    Table::This => ("route_table_id", ""),
                    Table::Public => ("public_route_table_id", "_public"),
                };
                resource_config(
                    "aws_route",
                    format!("vpc{from}_to_vpc{to}{suffix}"),
                    vec![
                        ("destination_cidr_block", module_ref(to, "cidr_block")),
                        ("route_table_id", module_ref(from, output)),
                        (
                            "vpc_peering_connection_id",
                            refs_owned(vec![format!("{pcx}.id"), pcx]),
                        ),
                    ],
                    None,
                    &[],
                )
            }
            Item::Module(..) => unreachable!("module resources are configured in the module"),
        }
    }

    /// The attributes of workload `k` of VPC `i` (steady only).
    fn workload_instance(&self, i: usize, k: usize, a: &mut Attrs) {
        let id = self.id("i", Kind::Instance, i, k);
        let subnet = k % self.spec.subnets_per_vpc;
        let tier = k % WORKLOAD_TIERS.len();
        a.set("ami", s("ami-0c02fb55956c7d316"))
            .cs("arn", || self.arn("instance", &id))
            .set("associate_public_ip_address", J::Bool(false))
            .cs("id", || id.clone())
            .set("instance_type", s("t3.micro"))
            .cs("private_ip", || {
                self.layout.subnet_host(i, subnet, 10 + k as u32)
            })
            .set("security_groups", J::Arr(Vec::new()))
            .cs("subnet_id", || self.subnet_id(i, subnet))
            .computed("vpc_security_group_ids", Shape::List, || {
                strs([self.id("sg", Kind::Sg, i, tier)])
            })
            .common(format!("{}-w{k}", Self::vpc_name(i)));
    }

    /// The attributes of workload group `k` of VPC `i` (steady only).
    fn workload_group(&self, i: usize, k: usize, a: &mut Attrs) {
        let id = self.id("sg", Kind::Sg, i, k);
        let (name, port, from_tier) = WORKLOAD_TIERS[k];
        let rule = |cidrs: Vec<String>, groups: Vec<String>, proto: &str, from: i64, to: i64| {
            attrs(vec![
                ("cidr_blocks", strs(cidrs)),
                ("description", s("")),
                ("from_port", int(from)),
                ("ipv6_cidr_blocks", J::Arr(Vec::new())),
                ("prefix_list_ids", J::Arr(Vec::new())),
                ("protocol", s(proto.to_owned())),
                ("security_groups", strs(groups)),
                ("self", J::Bool(false)),
                ("to_port", int(to)),
            ])
        };
        let ingress = if from_tier {
            rule(
                Vec::new(),
                vec![self.id("sg", Kind::Sg, i, k - 1)],
                "tcp",
                port,
                port,
            )
        } else {
            rule(vec!["0.0.0.0/0".into()], Vec::new(), "tcp", port, port)
        };
        a.cs("arn", || self.arn("security-group", &id))
            .set("description", s("Managed by Terraform"))
            .set(
                "egress",
                J::Arr(vec![rule(vec!["0.0.0.0/0".into()], Vec::new(), "-1", 0, 0)]),
            )
            .cs("id", || id.clone())
            .set("ingress", J::Arr(vec![ingress]))
            .set("name", s(format!("{}-{name}", Self::vpc_name(i))))
            .cs("owner_id", || self.account.clone())
            .set("revoke_rules_on_delete", J::Bool(false))
            .cs("vpc_id", || self.vpc_id(i))
            .common(format!("{}-{name}", Self::vpc_name(i)));
    }

    fn module_config(&self) -> J {
        let sp = self.spec;
        let vpc_id = || refs(&["aws_vpc.this.id", "aws_vpc.this"]);
        let rtb_id = || refs(&["aws_route_table.this.id", "aws_route_table.this"]);
        let name = || refs(&["var.name"]);
        let last = self.last_subnet();
        let last_subnet = || {
            refs_owned(vec![
                format!("aws_subnet.this[{last}].id"),
                format!("aws_subnet.this[{last}]"),
                "aws_subnet.this".into(),
            ])
        };
        let public_rtb_id = || {
            refs(&[
                "aws_route_table.public[0].id",
                "aws_route_table.public[0]",
                "aws_route_table.public",
            ])
        };
        let igw_id = || refs(&["aws_internet_gateway.this.id", "aws_internet_gateway.this"]);
        // `var.public_subnet ? 1 : 0`, `var.inspection ? 1 : 0`
        let if_public = || Some(refs(&["var.public_subnet"]));
        let public_anywhere = sp.nat || sp.topology == Topology::TgwInspection;
        // One configuration block per resource, `count` instances: the
        // union of the inspection VPC's blocks and the others'.
        let canonical = |p: Part| match p {
            Part::RouteAppliance(_) => Part::RouteAppliance(0),
            Part::RoutePublicTransit(_) => Part::RoutePublicTransit(0),
            Part::RouteTransit(_) => Part::RouteTransit(0),
            Part::Assoc(_) => Part::Assoc(0),
            Part::Subnet(_) => Part::Subnet(0),
            Part::Instance(_) => Part::Instance(0),
            Part::SecurityGroup(_) => Part::SecurityGroup(0),
            p => p,
        };
        let mut blocks: Vec<Part> = (0..sp.vpcs.min(2))
            .flat_map(|i| self.parts(i, &[0]))
            .map(canonical)
            .collect();
        if sp.subnets_per_vpc == 1 && public_anywhere {
            blocks.push(Part::Assoc(0)); // `count = 0` where there is a public table
        }
        blocks.sort_unstable();
        blocks.dedup();
        let mut res = Vec::new();
        for part in blocks {
            let r = match part {
                Part::Attach => {
                    let mut subnet_refs = Vec::new();
                    for j in self.attach_subnets() {
                        subnet_refs.push(format!("aws_subnet.this[{j}].id"));
                        subnet_refs.push(format!("aws_subnet.this[{j}]"));
                        subnet_refs.push("aws_subnet.this".to_string());
                    }
                    let mut e = vec![
                        ("subnet_ids", refs_owned(subnet_refs)),
                        ("tags", name()),
                        ("transit_gateway_id", refs(&["var.transit_gateway_id"])),
                        ("vpc_id", vpc_id()),
                    ];
                    if sp.topology == Topology::TgwInspection {
                        // `var.inspection ? "enable" : "disable"`
                        e.push(("appliance_mode_support", refs(&["var.inspection"])));
                        for k in [
                            "transit_gateway_default_route_table_association",
                            "transit_gateway_default_route_table_propagation",
                        ] {
                            e.push((k, constant(J::Bool(false))));
                        }
                    }
                    resource_config(
                        "aws_ec2_transit_gateway_vpc_attachment",
                        "this".into(),
                        e,
                        None,
                        &[],
                    )
                }
                Part::Instance(_) => resource_config(
                    "aws_instance",
                    "w".into(),
                    vec![
                        ("ami", constant(s("ami-0c02fb55956c7d316"))),
                        ("instance_type", constant(s("t3.micro"))),
                        ("subnet_id", refs(&["aws_subnet.this", "count.index"])),
                        ("tags", name()),
                        (
                            "vpc_security_group_ids",
                            refs(&["aws_security_group.tier", "count.index"]),
                        ),
                    ],
                    Some(constant(int(sp.workloads_per_vpc as i64))),
                    &[],
                ),
                Part::SecurityGroup(_) => resource_config(
                    "aws_security_group",
                    "tier".into(),
                    vec![
                        ("egress", constant(J::Arr(Vec::new()))),
                        ("ingress", refs(&["aws_security_group.tier", "count.index"])),
                        ("name", name()),
                        ("tags", name()),
                        ("vpc_id", vpc_id()),
                    ],
                    Some(constant(int(WORKLOAD_TIERS.len() as i64))),
                    &[],
                ),
                Part::Eip => resource_config(
                    "aws_eip",
                    "nat".into(),
                    vec![("domain", constant(s("vpc"))), ("tags", name())],
                    None,
                    &[],
                ),
                Part::Nat => resource_config(
                    "aws_nat_gateway",
                    "this".into(),
                    vec![
                        ("allocation_id", refs(&["aws_eip.nat.id", "aws_eip.nat"])),
                        ("subnet_id", last_subnet()),
                        ("tags", name()),
                    ],
                    None,
                    &[],
                ),
                Part::Eni => resource_config(
                    "aws_network_interface",
                    "appliance".into(),
                    vec![
                        ("description", constant(s("inspection appliance"))),
                        ("source_dest_check", constant(J::Bool(false))),
                        ("subnet_id", last_subnet()),
                        ("tags", name()),
                    ],
                    Some(refs(&["var.inspection"])),
                    &[],
                ),
                Part::RouteAppliance(_) => resource_config(
                    "aws_route",
                    "appliance".into(),
                    vec![
                        (
                            "destination_cidr_block",
                            refs(&["var.tgw_destinations", "count.index"]),
                        ),
                        (
                            "network_interface_id",
                            refs(&[
                                "aws_network_interface.appliance[0].id",
                                "aws_network_interface.appliance[0]",
                                "aws_network_interface.appliance",
                            ]),
                        ),
                        ("route_table_id", rtb_id()),
                    ],
                    Some(refs(&["var.inspection", "var.tgw_destinations"])),
                    &[],
                ),
                Part::RouteNat => resource_config(
                    "aws_route",
                    "nat".into(),
                    vec![
                        ("destination_cidr_block", constant(s("0.0.0.0/0"))),
                        (
                            "nat_gateway_id",
                            refs(&["aws_nat_gateway.this.id", "aws_nat_gateway.this"]),
                        ),
                        ("route_table_id", rtb_id()),
                    ],
                    None,
                    &[],
                ),
                Part::RoutePublicInternet => resource_config(
                    "aws_route",
                    "public_internet".into(),
                    vec![
                        ("destination_cidr_block", constant(s("0.0.0.0/0"))),
                        ("gateway_id", igw_id()),
                        ("route_table_id", public_rtb_id()),
                    ],
                    if_public(),
                    &[],
                ),
                Part::RoutePublicTransit(_) => resource_config(
                    "aws_route",
                    "public_transit".into(),
                    vec![
                        (
                            "destination_cidr_block",
                            refs(&["var.tgw_destinations", "count.index"]),
                        ),
                        ("route_table_id", public_rtb_id()),
                        ("transit_gateway_id", refs(&["var.transit_gateway_id"])),
                    ],
                    Some(refs(&["var.public_subnet", "var.tgw_destinations"])),
                    &["aws_ec2_transit_gateway_vpc_attachment.this"],
                ),
                Part::RouteTablePublic => resource_config(
                    "aws_route_table",
                    "public".into(),
                    vec![("tags", name()), ("vpc_id", vpc_id())],
                    if_public(),
                    &[],
                ),
                Part::AssocPublic => resource_config(
                    "aws_route_table_association",
                    "public".into(),
                    vec![
                        ("route_table_id", public_rtb_id()),
                        ("subnet_id", last_subnet()),
                    ],
                    if_public(),
                    &[],
                ),
                Part::Igw => resource_config(
                    "aws_internet_gateway",
                    "this".into(),
                    vec![("tags", name()), ("vpc_id", vpc_id())],
                    None,
                    &[],
                ),
                Part::Acl => {
                    let mut ingress = Vec::new();
                    for k in 0..self.pools.len() {
                        ingress.push(format!("var.internal_cidrs[{k}]"));
                        ingress.push("var.internal_cidrs".to_string());
                    }
                    ingress.push("var.egress_cidr".to_string());
                    resource_config(
                        "aws_network_acl",
                        "this".into(),
                        vec![
                            ("egress", refs(&["var.egress_cidr"])),
                            ("ingress", refs_owned(ingress)),
                            ("subnet_ids", refs(&["aws_subnet.this"])),
                            ("tags", name()),
                            ("vpc_id", vpc_id()),
                        ],
                        None,
                        &[],
                    )
                }
                Part::RouteInternet => resource_config(
                    "aws_route",
                    "internet".into(),
                    vec![
                        ("destination_cidr_block", constant(s("0.0.0.0/0"))),
                        (
                            "gateway_id",
                            refs(&["aws_internet_gateway.this.id", "aws_internet_gateway.this"]),
                        ),
                        ("route_table_id", rtb_id()),
                    ],
                    None,
                    &[],
                ),
                Part::RouteShared => resource_config(
                    "aws_route",
                    "shared".into(),
                    vec![
                        ("destination_cidr_block", constant(s(SHARED_RANGE))),
                        ("route_table_id", rtb_id()),
                        ("transit_gateway_id", constant(s(SHARED_TGW))),
                    ],
                    None,
                    &[],
                ),
                Part::RouteTransit(_) => resource_config(
                    "aws_route",
                    "transit".into(),
                    vec![
                        (
                            "destination_cidr_block",
                            refs(&["var.tgw_destinations", "count.index"]),
                        ),
                        ("route_table_id", rtb_id()),
                        ("transit_gateway_id", refs(&["var.transit_gateway_id"])),
                    ],
                    // `var.inspection ? 0 : length(var.tgw_destinations)`
                    Some(if sp.topology == Topology::TgwInspection {
                        refs(&["var.inspection", "var.tgw_destinations"])
                    } else {
                        refs(&["var.tgw_destinations"])
                    }),
                    &["aws_ec2_transit_gateway_vpc_attachment.this"],
                ),
                Part::RouteTable => resource_config(
                    "aws_route_table",
                    "this".into(),
                    vec![("tags", name()), ("vpc_id", vpc_id())],
                    None,
                    &[],
                ),
                Part::Assoc(_) => resource_config(
                    "aws_route_table_association",
                    "this".into(),
                    vec![
                        ("route_table_id", rtb_id()),
                        ("subnet_id", refs(&["aws_subnet.this", "count.index"])),
                    ],
                    // `var.subnet_count - (var.public_subnet ? 1 : 0)`: the
                    // last subnet has the public table
                    Some(if public_anywhere {
                        refs(&["var.subnet_count", "var.public_subnet"])
                    } else {
                        refs(&["var.subnet_count"])
                    }),
                    &[],
                ),
                Part::Subnet(_) => resource_config(
                    "aws_subnet",
                    "this".into(),
                    vec![
                        ("availability_zone", refs(&["var.azs", "count.index"])),
                        ("cidr_block", refs(&["var.cidr_block", "count.index"])),
                        ("tags", refs(&["var.name", "count.index"])),
                        ("vpc_id", vpc_id()),
                    ],
                    Some(refs(&["var.subnet_count"])),
                    &[],
                ),
                Part::Vpc => resource_config(
                    "aws_vpc",
                    "this".into(),
                    vec![
                        ("cidr_block", refs(&["var.cidr_block"])),
                        ("enable_dns_hostnames", constant(J::Bool(true))),
                        ("enable_dns_support", constant(J::Bool(true))),
                        ("tags", name()),
                    ],
                    None,
                    &[],
                ),
                Part::Endpoint => resource_config(
                    "aws_vpc_endpoint",
                    "s3".into(),
                    vec![
                        ("route_table_ids", rtb_id()),
                        (
                            "service_name",
                            constant(s(format!("com.amazonaws.{REGION}.s3"))),
                        ),
                        ("tags", name()),
                        ("vpc_endpoint_type", constant(s("Gateway"))),
                        ("vpc_id", vpc_id()),
                    ],
                    None,
                    &[],
                ),
            };
            res.push(r);
        }
        let output = |r: &[&'static str]| rec(vec![("expression", refs(r))]);
        let mut outputs = vec![
            (
                "cidr_block",
                output(&["aws_vpc.this.cidr_block", "aws_vpc.this"]),
            ),
            (
                "route_table_id",
                output(&["aws_route_table.this.id", "aws_route_table.this"]),
            ),
            ("subnet_ids", output(&["aws_subnet.this"])),
            ("vpc_id", output(&["aws_vpc.this.id", "aws_vpc.this"])),
        ];
        if public_anywhere {
            outputs.push((
                "public_route_table_id",
                output(&[
                    "aws_route_table.public[0].id",
                    "aws_route_table.public[0]",
                    "aws_route_table.public",
                ]),
            ));
        }
        if sp.topology.own_tgw_tables() {
            outputs.push((
                "tgw_attachment_id",
                output(&[
                    "aws_ec2_transit_gateway_vpc_attachment.this.id",
                    "aws_ec2_transit_gateway_vpc_attachment.this",
                ]),
            ));
        }
        let outputs = attrs(outputs);
        let mut vars = vec![
            ("azs", J::Obj(Vec::new())),
            ("cidr_block", J::Obj(Vec::new())),
            ("name", J::Obj(Vec::new())),
            ("subnet_count", J::Obj(Vec::new())),
        ];
        if sp.nacls {
            vars.push(("egress_cidr", rec(vec![("default", s("0.0.0.0/0"))])));
            vars.push(("internal_cidrs", J::Obj(Vec::new())));
        }
        if sp.topology.transit_gateway() {
            vars.push(("tgw_destinations", J::Obj(Vec::new())));
            vars.push(("transit_gateway_id", J::Obj(Vec::new())));
        }
        if sp.topology == Topology::TgwInspection {
            vars.push(("inspection", J::Obj(Vec::new())));
        }
        if public_anywhere {
            vars.push(("public_subnet", J::Obj(Vec::new())));
        }
        rec(vec![
            ("outputs", outputs),
            ("resources", J::Arr(res)),
            ("variables", attrs(vars)),
        ])
    }
}

fn deps(list: &[&'static str]) -> Vec<Cow<'static, str>> {
    list.iter().map(|d| Cow::Borrowed(*d)).collect()
}

fn tgw_ref() -> J {
    refs(&[
        "aws_ec2_transit_gateway.this.id",
        "aws_ec2_transit_gateway.this",
    ])
}

fn tgw_table_ref(t: TgwTable) -> J {
    let table = format!("aws_ec2_transit_gateway_route_table.{}", t.name());
    refs_owned(vec![format!("{table}.id"), table])
}

fn constant(v: J) -> J {
    rec(vec![("constant_value", v)])
}

fn refs(r: &[&'static str]) -> J {
    rec(vec![(
        "references",
        J::Arr(r.iter().map(|x| s(*x)).collect()),
    )])
}

fn refs_owned(r: Vec<String>) -> J {
    rec(vec![("references", strs(r))])
}

/// `module.vpc[i].<output>` as Terraform lists it: the output, then the
/// module instance.
fn module_ref(i: usize, output: &str) -> J {
    refs_owned(vec![
        format!("module.vpc[{i}].{output}"),
        format!("module.vpc[{i}]"),
    ])
}

fn resource_config(
    rtype: &'static str,
    name: String,
    expressions: Vec<(&'static str, J)>,
    count: Option<J>,
    depends_on: &[&'static str],
) -> J {
    let schema_version = i64::from(matches!(rtype, "aws_vpc" | "aws_subnet"));
    let mut f = vec![
        ("address", s(format!("{rtype}.{name}"))),
        ("mode", s("managed")),
        ("type", s(rtype)),
        ("name", s(name)),
        ("provider_config_key", s("aws")),
        ("expressions", attrs(expressions)),
        ("schema_version", int(schema_version)),
    ];
    if let Some(c) = count {
        f.push(("count_expression", c));
    }
    if !depends_on.is_empty() {
        f.push((
            "depends_on",
            J::Arr(depends_on.iter().map(|d| s(*d)).collect()),
        ));
    }
    rec(f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use std::collections::{HashMap, HashSet};

    fn plan(spec: &EstateSpec) -> Vec<u8> {
        let mut buf = Vec::new();
        write_plan(spec, &mut buf).unwrap();
        buf
    }

    fn parse(spec: &EstateSpec) -> Value {
        serde_json::from_slice(&plan(spec)).expect("generated plan is valid JSON")
    }

    fn full(v: usize, s: usize, topology: Topology, mode: Mode) -> EstateSpec {
        EstateSpec {
            nacls: true,
            gateway_endpoints: true,
            ..EstateSpec::new(v, s, topology, mode, 7)
        }
    }

    fn all_topologies() -> Vec<Topology> {
        vec![
            Topology::None,
            Topology::HubAndSpoke,
            Topology::Chain,
            Topology::Mesh { group: 3 },
            Topology::HubChain,
            Topology::TransitGateway,
            Topology::TgwInspection,
            Topology::TgwSegments { segments: 3 },
        ]
    }

    /// Every resource of a module tree (root and children), flattened.
    fn tree_resources(module: &Value) -> Vec<&Value> {
        let mut out: Vec<&Value> = module["resources"]
            .as_array()
            .map(|a| a.iter().collect())
            .unwrap_or_default();
        if let Some(children) = module["child_modules"].as_array() {
            for c in children {
                out.extend(tree_resources(c));
            }
        }
        out
    }

    #[test]
    fn output_is_valid_json_with_the_plan_keys() {
        for topology in all_topologies() {
            for mode in [Mode::Steady, Mode::Greenfield] {
                let doc = parse(&EstateSpec {
                    nat: true,
                    ..full(5, 4, topology, mode)
                });
                assert_eq!(doc["format_version"], "1.2");
                assert!(doc["planned_values"]["root_module"].is_object());
                assert!(doc["resource_changes"].is_array());
                assert!(doc["configuration"]["root_module"]["module_calls"]["vpc"].is_object());
                assert_eq!(doc.get("prior_state").is_some(), mode == Mode::Steady);
            }
        }
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_ids() {
        let spec = full(6, 3, Topology::Mesh { group: 3 }, Mode::Steady);
        assert_eq!(plan(&spec), plan(&spec));
        let other = EstateSpec {
            seed: 8,
            ..spec.clone()
        };
        assert_ne!(plan(&spec), plan(&other));
    }

    #[test]
    fn resource_counts_match_in_every_section() {
        for topology in all_topologies() {
            for (mode, nat) in [
                (Mode::Steady, false),
                (Mode::Greenfield, false),
                (Mode::Steady, true),
                (Mode::Greenfield, true),
            ] {
                let spec = EstateSpec {
                    nat,
                    ..full(7, 5, topology, mode)
                };
                let doc = parse(&spec);
                let n = resource_count(&spec);
                assert_eq!(doc["resource_changes"].as_array().unwrap().len(), n);
                let planned = tree_resources(&doc["planned_values"]["root_module"]);
                assert_eq!(planned.len(), n);
                if mode == Mode::Steady {
                    let prior = tree_resources(&doc["prior_state"]["values"]["root_module"]);
                    assert_eq!(prior.len(), n);
                }
                let mut by_type: HashMap<String, usize> = HashMap::new();
                for rc in doc["resource_changes"].as_array().unwrap() {
                    *by_type
                        .entry(rc["type"].as_str().unwrap().into())
                        .or_default() += 1;
                }
                assert_eq!(by_type["aws_vpc"], 7);
                assert_eq!(by_type["aws_subnet"], 35);

                assert_eq!(by_type["aws_network_acl"], 7);
                assert_eq!(by_type["aws_vpc_endpoint"], 7);
                let pcx = by_type
                    .get("aws_vpc_peering_connection")
                    .copied()
                    .unwrap_or(0);
                assert_eq!(pcx, peerings(&spec).len());
                let tgw = usize::from(topology.transit_gateway());
                let public = |i: usize| {
                    usize::from(nat || (i == 0 && tgw == 1 && topology == Topology::TgwInspection))
                };
                // default route, pool route (one pool), and the public
                // table's two; peering routes in each table
                let routes: usize = (0..7).map(|i| 1 + tgw + public(i) * (1 + tgw)).sum();
                let tables = if nat { 2 } else { 1 };
                assert_eq!(by_type["aws_route"], routes + 2 * pcx * tables);
                assert_eq!(
                    by_type["aws_route_table"],
                    7 + (0..7).map(public).sum::<usize>()
                );
                assert_eq!(by_type["aws_route_table_association"], 35);
                let count = |t: &str| by_type.get(t).copied().unwrap_or(0);
                assert_eq!(count("aws_nat_gateway"), if nat { 7 } else { 0 });
                assert_eq!(count("aws_eip"), if nat { 7 } else { 0 });
                let inspection = usize::from(topology == Topology::TgwInspection);
                let segments = match topology {
                    Topology::TgwSegments { segments } => segments,
                    _ => 0,
                };
                assert_eq!(count("aws_network_interface"), inspection);
                assert_eq!(
                    count("aws_ec2_transit_gateway_route_table"),
                    2 * inspection + segments
                );
                assert_eq!(count("aws_ec2_transit_gateway_route"), inspection);
                let own = usize::from(segments > 0 || inspection > 0);
                assert_eq!(
                    count("aws_ec2_transit_gateway_route_table_association"),
                    7 * own
                );
                assert_eq!(
                    count("aws_ec2_transit_gateway_route_table_propagation"),
                    6 * inspection + 7 * usize::from(segments > 0)
                );
                // Addresses are unique.
                let addrs: HashSet<&str> = doc["resource_changes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r["address"].as_str().unwrap())
                    .collect();
                assert_eq!(addrs.len(), n);
                // So are the ids AWS gave them, per type.
                if mode == Mode::Steady {
                    let ids: HashSet<(&str, &str)> = doc["resource_changes"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|r| {
                            let id = r["change"]["after"]["id"].as_str().unwrap();
                            (r["type"].as_str().unwrap(), id)
                        })
                        .collect();
                    assert_eq!(ids.len(), n, "{spec:?}");
                }
            }
        }
    }

    #[test]
    fn steady_is_all_no_op_with_known_ids_matching_prior_state() {
        let doc = parse(&full(4, 3, Topology::HubAndSpoke, Mode::Steady));
        let prior: HashMap<&str, &Value> =
            tree_resources(&doc["prior_state"]["values"]["root_module"])
                .into_iter()
                .map(|r| (r["address"].as_str().unwrap(), &r["values"]))
                .collect();
        for rc in doc["resource_changes"].as_array().unwrap() {
            let c = &rc["change"];
            assert_eq!(c["actions"], serde_json::json!(["no-op"]));
            assert_eq!(c["before"], c["after"]);
            assert_eq!(c["after_unknown"], serde_json::json!({}));
            assert!(c["after"]["id"].as_str().is_some_and(|id| !id.is_empty()));
            assert_eq!(prior[rc["address"].as_str().unwrap()], &c["after"]);
        }
    }

    #[test]
    fn greenfield_has_no_ids_and_links_only_through_references() {
        let spec = full(3, 3, Topology::HubAndSpoke, Mode::Greenfield);
        let doc = parse(&spec);
        assert!(doc.get("prior_state").is_none());
        for rc in doc["resource_changes"].as_array().unwrap() {
            let c = &rc["change"];
            assert_eq!(c["actions"], serde_json::json!(["create"]));
            assert!(c["before"].is_null());
            assert!(c["after"].get("id").is_none(), "{}", rc["address"]);
            assert_eq!(c["after_unknown"]["id"], true);
            for key in [
                "vpc_id",
                "subnet_id",
                "route_table_id",
                "vpc_peering_connection_id",
            ] {
                assert!(
                    c["after"].get(key).is_none_or(Value::is_null),
                    "{} {key}",
                    rc["address"]
                );
            }
        }
        for r in tree_resources(&doc["planned_values"]["root_module"]) {
            assert!(r["values"].get("id").is_none());
        }
        let root = &doc["configuration"]["root_module"];
        let call = &root["module_calls"]["vpc"];
        assert_eq!(
            call["count_expression"]["references"],
            serde_json::json!(["local.vpc_cidrs"])
        );
        let module_res = |addr: &str| {
            call["module"]["resources"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["address"] == addr)
                .unwrap()
                .clone()
        };
        let subnet = module_res("aws_subnet.this");
        assert_eq!(
            subnet["expressions"]["vpc_id"]["references"],
            serde_json::json!(["aws_vpc.this.id", "aws_vpc.this"])
        );
        assert!(subnet["count_expression"].is_object());
        assert_eq!(
            module_res("aws_route_table_association.this")["expressions"]["subnet_id"]
                ["references"],
            serde_json::json!(["aws_subnet.this", "count.index"])
        );
        let pcx = root["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["address"] == "aws_vpc_peering_connection.vpc0_vpc1")
            .unwrap();
        assert_eq!(
            pcx["expressions"]["vpc_id"]["references"],
            serde_json::json!(["module.vpc[0].vpc_id", "module.vpc[0]"])
        );
        assert_eq!(
            pcx["expressions"]["peer_vpc_id"]["references"],
            serde_json::json!(["module.vpc[1].vpc_id", "module.vpc[1]"])
        );
        let sub = doc["resource_changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["address"] == "module.vpc[2].aws_subnet.this[1]")
            .unwrap();
        assert_eq!(sub["module_address"], "module.vpc[2]");
        assert_eq!(sub["index"], 1);
    }

    #[test]
    fn vpc_and_subnet_cidrs_are_distinct_and_nested() {
        for (v, s) in [(2000, 10), (10_000, 10), (1000, 100), (5, 1)] {
            let spec = EstateSpec::new(v, s, Topology::None, Mode::Steady, 1);
            let layout = Layout::new(&spec).unwrap();
            let mut seen = HashSet::new();
            let sample: std::collections::BTreeSet<usize> =
                (0..v).step_by((v / 300).max(1)).chain([v - 1]).collect();
            for i in sample {
                let (_, base) = layout.vpc_base(i);
                assert!(seen.insert(base), "duplicate VPC block {i}");
                assert!(layout.subnet_len <= 28 && layout.vpc_len >= 16);
                assert!((s as u64) <= 1u64 << (layout.subnet_len - layout.vpc_len));
            }
        }
        let too_big = EstateSpec::new(1_000_000, 100, Topology::None, Mode::Steady, 1);
        assert!(too_big.validate().is_err());
        let spec = EstateSpec::new(2000, 10, Topology::None, Mode::Steady, 1);
        assert_eq!(
            cidrs(&spec, 0, 0).unwrap(),
            ("10.0.0.0/20".into(), "10.0.0.0/24".into())
        );
        assert_eq!(
            cidrs(&spec, 1, 2).unwrap(),
            ("10.0.16.0/20".into(), "10.0.18.0/24".into())
        );
        let spec = EstateSpec::new(5000, 2, Topology::None, Mode::Steady, 1);
        assert_eq!(
            cidrs(&spec, 33, 1).unwrap(),
            ("10.2.16.0/20".into(), "10.2.17.0/24".into())
        );
        assert_eq!(
            cidrs(&spec, 4096, 0).unwrap(),
            ("172.16.0.0/20".into(), "172.16.0.0/24".into())
        );
    }

    #[test]
    fn hubs_respect_the_peering_quota() {
        for topology in [
            Topology::HubAndSpoke,
            Topology::HubChain,
            Topology::Mesh { group: 126 },
        ] {
            let spec = EstateSpec::new(1000, 1, topology, Mode::Steady, 1);
            let mut degree = vec![0usize; 1000];
            for (a, b) in peerings(&spec) {
                degree[a] += 1;
                degree[b] += 1;
            }
            assert!(degree.iter().all(|&d| d <= MAX_PEERINGS_PER_VPC));
        }
        let spec = EstateSpec::new(10, 1, Topology::Mesh { group: 127 }, Mode::Steady, 1);
        assert!(spec.validate().is_err());
    }

    /// Brute force over subnet pairs from the peering list (peering
    /// topologies) or the AZ rule (transit gateway).
    fn brute_force(spec: &EstateSpec) -> ExpectedSummary {
        let peered: HashSet<(usize, usize)> = peerings(spec)
            .into_iter()
            .flat_map(|(a, b)| [(a, b), (b, a)])
            .collect();
        let attached = |j: usize| j % 3 < spec.tgw_zones;
        // Whether subnet `j` of VPC `v` can send to the transit gateway:
        // every subnet of the inspection VPC can, by the appliance.
        let sends = |v: usize, j: usize| {
            attached(j) || (spec.topology == Topology::TgwInspection && v == 0)
        };
        let n = spec.vpcs * spec.subnets_per_vpc;
        let mut out = ExpectedSummary::default();
        for x in 0..n {
            for y in 0..n {
                if x == y {
                    continue;
                }
                out.pairs += 1;
                let (vx, sx) = (x / spec.subnets_per_vpc, x % spec.subnets_per_vpc);
                let (vy, sy) = (y / spec.subnets_per_vpc, y % spec.subnets_per_vpc);
                let apart = match spec.topology {
                    Topology::TgwSegments { segments } => vx % segments != vy % segments,
                    _ => false,
                };
                let (fwd, back) = if vx == vy {
                    (true, true)
                } else if apart {
                    (false, false)
                } else if spec.topology.transit_gateway() {
                    (sends(vx, sx), sends(vy, sy))
                } else {
                    let p = peered.contains(&(vx, vy));
                    (p, p)
                };
                match (fwd, back) {
                    (true, true) => out.reachable += 1,
                    (true, false) => out.one_way += 1,
                    _ => out.blocked += 1,
                }
            }
        }
        out
    }

    #[test]
    fn expected_summary_matches_brute_force() {
        let mut specs = Vec::new();
        for (v, s) in [(1, 1), (1, 4), (2, 1), (7, 4), (12, 5)] {
            for topology in all_topologies() {
                specs.push(EstateSpec::new(v, s, topology, Mode::Steady, 1));
            }
            for group in [1, 2, 5] {
                specs.push(EstateSpec::new(
                    v,
                    s,
                    Topology::Mesh { group },
                    Mode::Steady,
                    1,
                ));
            }
            for zones in 1..=3 {
                for topology in [
                    Topology::TransitGateway,
                    Topology::TgwInspection,
                    Topology::TgwSegments { segments: 2 },
                    Topology::TgwSegments { segments: 5 },
                ] {
                    specs.push(EstateSpec {
                        tgw_zones: zones,
                        ..EstateSpec::new(v, s, topology, Mode::Steady, 1)
                    });
                }
            }
        }
        // Several hubs.
        for (v, topology) in [
            (250, Topology::HubAndSpoke),
            (250, Topology::HubChain),
            (203, Topology::HubChain),
            (102, Topology::HubChain),
        ] {
            specs.push(EstateSpec::new(v, 2, topology, Mode::Steady, 1));
        }
        // An inspection VPC needs its appliance's subnet in an attached zone.
        specs.retain(|spec| spec.validate().is_ok());
        assert!(specs
            .iter()
            .any(|spec| spec.topology == Topology::TgwInspection));
        for spec in specs {
            assert_eq!(expected_summary(&spec), brute_force(&spec), "{spec:?}");
            assert_eq!(peering_count(&spec), peerings(&spec).len(), "{spec:?}");
        }
    }

    /// An IPv4 prefix: network address and length.
    type Net = (u32, u8);
    /// Subnet id, VPC id, availability zone, CIDR.
    type SubnetRow = (String, String, String, Net);

    fn parse_cidr(c: &str) -> Net {
        let (ip, len) = c.split_once('/').unwrap();
        let o: Vec<u32> = ip.split('.').map(|x| x.parse().unwrap()).collect();
        (
            (o[0] << 24) | (o[1] << 16) | (o[2] << 8) | o[3],
            len.parse().unwrap(),
        )
    }

    fn covers(outer: Net, inner: Net) -> bool {
        let mask = if outer.1 == 0 {
            0
        } else {
            u32::MAX << (32 - outer.1)
        };
        outer.1 <= inner.1 && (inner.0 & mask) == outer.0
    }

    /// Reads the generated steady document back (as an analyzer would, but
    /// only for what this estate contains) and counts the verdicts.
    fn verdicts_from_document(doc: &Value) -> ExpectedSummary {
        let resources = tree_resources(&doc["planned_values"]["root_module"]);
        fn of_type<'v>(all: &'v [&'v Value], t: &'v str) -> impl Iterator<Item = &'v Value> + 'v {
            all.iter()
                .filter(move |r| r["type"] == t)
                .map(|r| &r["values"])
        }
        let of = |t: &'static str| of_type(&resources, t);
        let str_of = |v: &Value, k: &str| v[k].as_str().unwrap().to_string();
        let subnets: Vec<SubnetRow> = of("aws_subnet")
            .map(|v| {
                let c = parse_cidr(v["cidr_block"].as_str().unwrap());
                (
                    str_of(v, "id"),
                    str_of(v, "vpc_id"),
                    str_of(v, "availability_zone"),
                    c,
                )
            })
            .collect();
        let az_of: HashMap<String, String> =
            subnets.iter().map(|s| (s.0.clone(), s.2.clone())).collect();
        let rt_of: HashMap<String, String> = of("aws_route_table_association")
            .map(|v| (str_of(v, "subnet_id"), str_of(v, "route_table_id")))
            .collect();
        let routes: HashMap<String, Vec<(Net, String)>> = of("aws_route_table")
            .map(|v| {
                let list = v["route"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| {
                        let obj = r.as_object().unwrap();
                        let target: Vec<&str> = obj
                            .iter()
                            .filter(|(k, x)| {
                                *k != "cidr_block" && x.as_str().is_some_and(|t| !t.is_empty())
                            })
                            .map(|(_, x)| x.as_str().unwrap())
                            .collect();
                        assert_eq!(target.len(), 1, "one target per route");
                        (
                            parse_cidr(r["cidr_block"].as_str().unwrap()),
                            target[0].to_string(),
                        )
                    })
                    .collect();
                (str_of(v, "id"), list)
            })
            .collect();
        let pcx: HashMap<String, (String, String)> = of("aws_vpc_peering_connection")
            .filter(|v| v["accept_status"] == "active")
            .map(|v| {
                (
                    str_of(v, "id"),
                    (str_of(v, "vpc_id"), str_of(v, "peer_vpc_id")),
                )
            })
            .collect();
        let attach_azs: HashMap<String, HashSet<String>> =
            of("aws_ec2_transit_gateway_vpc_attachment")
                .map(|v| {
                    let azs = v["subnet_ids"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|s| az_of[s.as_str().unwrap()].clone())
                        .collect();
                    (str_of(v, "vpc_id"), azs)
                })
                .collect();
        // The transit gateway route table each VPC's attachment is
        // associated with, and the tables each propagates to (a table
        // holds the VPCs that propagate to it); none: the default table.
        let attach_vpc: HashMap<String, String> = of("aws_ec2_transit_gateway_vpc_attachment")
            .map(|v| (str_of(v, "id"), str_of(v, "vpc_id")))
            .collect();
        let tgw_table_of: HashMap<String, String> =
            of("aws_ec2_transit_gateway_route_table_association")
                .map(|v| {
                    let vpc = attach_vpc[&str_of(v, "transit_gateway_attachment_id")].clone();
                    (vpc, str_of(v, "transit_gateway_route_table_id"))
                })
                .collect();
        let propagated: HashSet<(String, String)> =
            of("aws_ec2_transit_gateway_route_table_propagation")
                .map(|v| {
                    let vpc = attach_vpc[&str_of(v, "transit_gateway_attachment_id")].clone();
                    (str_of(v, "transit_gateway_route_table_id"), vpc)
                })
                .collect();
        let tgw_routes = |from: &String, to: &String| match tgw_table_of.get(from) {
            None => true,
            Some(t) => propagated.contains(&(t.clone(), to.clone())),
        };
        let delivers = |s: &SubnetRow, d: &SubnetRow| {
            if s.1 == d.1 {
                return true;
            }
            let table = &routes[&rt_of[&s.0]];
            let best = table
                .iter()
                .filter(|(c, _)| covers(*c, d.3))
                .max_by_key(|(c, _)| c.1);
            match best {
                Some((_, t)) if t.starts_with("pcx-") => {
                    let (a, b) = &pcx[t];
                    (a == &s.1 && b == &d.1) || (b == &s.1 && a == &d.1)
                }
                Some((_, t)) if t.starts_with("tgw-") => {
                    attach_azs.get(&s.1).is_some_and(|z| z.contains(&s.2))
                        && attach_azs.contains_key(&d.1)
                        && tgw_routes(&s.1, &d.1)
                }
                _ => false,
            }
        };
        let mut out = ExpectedSummary::default();
        for s in &subnets {
            for d in &subnets {
                if s.0 == d.0 {
                    continue;
                }
                out.pairs += 1;
                match (delivers(s, d), delivers(d, s)) {
                    (true, true) => out.reachable += 1,
                    (true, false) => out.one_way += 1,
                    _ => out.blocked += 1,
                }
            }
        }
        out
    }

    #[test]
    fn generated_steady_documents_have_the_expected_verdicts() {
        // This reader knows peerings and a transit gateway's zones, not the
        // inspection VPC's appliance: tests/integration/estates.rs checks
        // that topology with the analysis.
        let mut specs: Vec<EstateSpec> = all_topologies()
            .into_iter()
            .filter(|&t| t != Topology::TgwInspection)
            .flat_map(|t| {
                [false, true].map(|nat| EstateSpec {
                    nat,
                    ..full(9, 4, t, Mode::Steady)
                })
            })
            .collect();
        specs.push(EstateSpec::new(
            103,
            2,
            Topology::HubAndSpoke,
            Mode::Steady,
            3,
        ));
        specs.push(EstateSpec {
            tgw_zones: 1,
            igw: false,
            ..EstateSpec::new(6, 5, Topology::TransitGateway, Mode::Steady, 3)
        });
        specs.push(EstateSpec {
            shared_tgw_route: true,
            nat: true,
            ..EstateSpec::new(9, 3, Topology::HubChain, Mode::Steady, 3)
        });
        for spec in specs {
            let doc = parse(&spec);
            if spec.nat {
                let nat_route = doc["resource_changes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|r| r["address"] == "module.vpc[1].aws_route.nat")
                    .expect("a NAT route");
                assert!(nat_route["change"]["after"]["nat_gateway_id"]
                    .as_str()
                    .is_some_and(|id| id.starts_with("nat-")));
            }
            assert_eq!(
                verdicts_from_document(&doc),
                expected_summary(&spec),
                "{spec:?}"
            );
        }
    }

    #[test]
    fn planned_values_are_sorted_by_address_and_changes_by_module_then_index() {
        let doc = parse(&full(12, 11, Topology::Chain, Mode::Steady));
        let root = &doc["planned_values"]["root_module"];
        let addrs = |m: &Value| -> Vec<String> {
            m["resources"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["address"].as_str().unwrap().into())
                .collect()
        };
        let mut sorted = addrs(root);
        sorted.sort();
        assert_eq!(addrs(root), sorted);
        let children = root["child_modules"].as_array().unwrap();
        let names: Vec<&str> = children
            .iter()
            .map(|c| c["address"].as_str().unwrap())
            .collect();
        let mut sorted_names = names.clone();
        sorted_names.sort();
        assert_eq!(names, sorted_names);
        for c in children {
            let mut sorted = addrs(c);
            sorted.sort();
            assert_eq!(addrs(c), sorted);
        }
        let rc: Vec<&str> = doc["resource_changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["address"].as_str().unwrap())
            .collect();
        let a = rc
            .iter()
            .position(|a| *a == "module.vpc[2].aws_subnet.this[2]")
            .unwrap();
        let b = rc
            .iter()
            .position(|a| *a == "module.vpc[2].aws_subnet.this[10]")
            .unwrap();
        let c = rc
            .iter()
            .position(|a| *a == "module.vpc[10].aws_vpc.this")
            .unwrap();
        assert!(a < b && b < c);
    }
}
