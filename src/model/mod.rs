//! The validated AWS network model.
//!
//! Every cross-reference is an index into the model's vectors, resolved once
//! by [`build()`]. A value that is not known until apply, or a link that could
//! not be resolved, is kept as an explicit [`Link::Unresolved`] or
//! [`Cidrs::unknown`] with the reason, never replaced by a default.

mod assume;
pub mod build;
pub mod codes;
pub mod endpoint;
pub mod estate;
pub mod flow;
pub mod internet;
pub mod nacl;
pub mod nat;
pub mod onprem;
pub mod place;
pub mod prefix_list;
pub mod security_group;
pub mod text;
pub mod tgw;
pub mod words;
pub mod workload;

use crate::net::{Family, Interval, Prefix};

pub use build::build;
pub use endpoint::{Endpoint, EndpointKind, EndpointService};
pub use estate::{build_many, build_views};
pub use flow::{Flow, FlowSet};
pub use nacl::{AclRule, NetworkAcl};
pub use place::Told;
pub use security_group::{SecurityGroup, SgOrigin, SgRule};
pub(crate) use text::text;
pub use text::{Named, SubnetPart, Text};
pub use tgw::{AttachmentKind, TgwAttachment, TgwRoute, TgwRouteTable, TgwTarget, TransitGateway};
pub use words::{Direction, Finding, Reason, Severity, Verdict};
pub use workload::{Workload, WorkloadKind};

fn told(t: &Told) -> Result<&str, &str> {
    match t {
        Told::Known { value, .. } => Ok(value),
        Told::Unknown(why) => Err(why),
    }
}

/// A link from one object to another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    /// Resolved to the object with this index.
    To(usize),
    /// A known AWS ID of an object that is not in the input.
    External(String),
    /// Not known until apply, and the configuration could not resolve it:
    /// the reason names the attribute.
    Unresolved(String),
    /// Not set.
    None,
}

impl Link {
    #[inline]
    pub fn index(&self) -> Option<usize> {
        match self {
            Link::To(i) => Some(*i),
            _ => None,
        }
    }

    /// Why the link is not known until apply, when it is not.
    pub fn unresolved(&self) -> Option<&str> {
        match self {
            Link::Unresolved(why) => Some(why),
            _ => None,
        }
    }
}

/// The CIDR blocks of an object, per family, with what is not known.
#[derive(Debug, Clone, Default)]
pub struct Cidrs {
    pub v4: Vec<Prefix>,
    pub v6: Vec<Prefix>,
    /// Set when some block is not known until apply (or invalid): the reason.
    pub unknown: Option<String>,
}

impl Cidrs {
    #[inline]
    pub fn of(&self, f: Family) -> &[Prefix] {
        match f {
            Family::V4 => &self.v4,
            Family::V6 => &self.v6,
        }
    }

    pub fn all(&self) -> impl Iterator<Item = &Prefix> {
        self.v4.iter().chain(self.v6.iter())
    }

    pub fn contains_addr(&self, f: Family, a: u128) -> bool {
        self.of(f).iter().any(|p| p.contains_addr(a))
    }
}

#[derive(Debug, Clone)]
pub struct Vpc {
    pub address: String,
    pub aws_id: Option<String>,
    pub cidrs: Cidrs,
    /// The Region it lives in, or why the input cannot tell (`place.rs`).
    pub region: Told,
    /// The account that owns it, or why the input cannot tell.
    pub account: Told,
    /// The route table that unassociated subnets use.
    pub main_route_table: Link,
    /// Subnets of this VPC (indices), filled by the builder.
    pub subnets: Vec<usize>,
    /// Transit gateway VPC attachments of this VPC (indices).
    pub attachments: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct Subnet {
    pub address: String,
    pub aws_id: Option<String>,
    pub vpc: Link,
    /// The subnet's own blocks (at most one per family).
    pub cidrs: Cidrs,
    pub availability_zone: Option<String>,
    /// The zone's ID (`use1-az1`), the same in every account.
    pub availability_zone_id: Option<String>,
    /// Effective route table: the explicit association, else the VPC's main.
    pub route_table: Link,
    /// True when the route table came from an explicit association.
    pub explicit_association: bool,
    /// Effective network ACL (index into `Model::network_acls`): the
    /// explicit association, else the VPC's default ACL when the input
    /// manages it. `Link::None` is the VPC's default ACL left as AWS creates
    /// it, which allows all traffic.
    pub network_acl: Link,
    /// Transit gateway VPC attachments (indices) that have a network
    /// interface in this subnet.
    pub attachments: Vec<usize>,
    /// Route targets that live in this subnet (indices into
    /// `Model::gateways`: NAT gateways, network interfaces, instances,
    /// Gateway Load Balancer endpoints): traffic they forward starts here.
    pub devices: Vec<usize>,
    /// Which of its instances the internet can address over IPv4.
    pub public_ipv4: internet::PublicIpv4,
    /// Whether an instance or interface launched in it gets an IPv6
    /// address without asking (`assign_ipv6_address_on_creation`, or an
    /// IPv6-only subnet); `None`: not known until apply.
    pub assigns_ipv6: Option<bool>,
}

impl Subnet {
    #[inline]
    pub fn cidr(&self, f: Family) -> Option<Prefix> {
        self.cidrs.of(f).first().copied()
    }
}

#[derive(Debug, Clone)]
pub struct RouteTable {
    /// Resource address, or `<vpc address> (main route table)` for a main
    /// table that the input does not manage.
    pub address: String,
    pub aws_id: Option<String>,
    pub vpc: Link,
    pub routes: Vec<Route>,
    /// Set when the table's routes are not known until apply: the reason.
    pub routes_unknown: Option<String>,
    /// Route propagation from a virtual private gateway is on: routes whose
    /// prefixes are outside the input may appear.
    pub propagating: bool,
    /// The routes by prefix, for lookups in a table of many routes (filled
    /// once the routes are final, and again by whatever changes them:
    /// [`RouteTable::reindex`]).
    pub index: TableIndex,
}

impl RouteTable {
    /// Indexes the routes as they are now.
    pub fn reindex(&mut self) {
        self.index = TableIndex::of(&self.routes);
    }
}

/// The routes of a VPC route table grouped by family and prefix length, so
/// that a lookup probes one sorted group per prefix length instead of
/// reading every route: kept for tables of more than [`TableIndex::MIN`]
/// routes (a full mesh of peerings has a route per peer).
#[derive(Debug, Clone, Default)]
pub struct TableIndex {
    /// How many routes the table had when it was indexed; `None` when it
    /// was not. A table whose routes have changed in number since is
    /// looked up by reading every route.
    pub routes: Option<usize>,
    /// The CIDR routes; for each prefix the route that wins it (see
    /// [`Origin::precedence`]), the first of equals.
    pub groups: PrefixGroups,
    /// The routes to an AWS service's prefix list, in table order.
    pub services: Vec<usize>,
    /// The first route, in table order, whose destination is not known (not
    /// until apply, or a customer prefix list outside the input): its
    /// reason.
    pub unknown: Option<String>,
}

impl TableIndex {
    /// Tables of at most this many routes are read route by route.
    pub const MIN: usize = 16;

    pub fn of(routes: &[Route]) -> TableIndex {
        if routes.len() <= TableIndex::MIN {
            return TableIndex::default();
        }
        let mut services = Vec::new();
        let mut unknown = None;
        for (i, r) in routes.iter().enumerate() {
            match &r.dest {
                Dest::Cidr(_) => {}
                Dest::Service(_) => services.push(i),
                Dest::Unknown(why) => {
                    unknown.get_or_insert_with(|| why.clone());
                }
                Dest::PrefixList(pl) => {
                    if let Some(why) = r.unlisted_prefix_list(pl) {
                        unknown.get_or_insert(why);
                    }
                }
            }
        }
        let cidrs = routes.iter().enumerate().filter_map(|(i, r)| match r.dest {
            Dest::Cidr(p) => Some((p, i)),
            _ => None,
        });
        let groups = PrefixGroups::build(cidrs, |new, old| {
            routes[new].origin.precedence() < routes[old].origin.precedence()
        });
        TableIndex {
            routes: Some(routes.len()),
            groups,
            services,
            unknown,
        }
    }
}

/// (prefix start, route position) pairs of one prefix length, by start.
pub type PrefixStarts = Vec<(u128, usize)>;

/// The CIDR routes of a table grouped by family and prefix length, longest
/// first, each group sorted by start, with for each prefix the one route
/// that wins it. Prefixes of one length never overlap, so a lookup probes
/// each group once: the longest prefix that holds an address, and the
/// nearest prefixes on either side of it, which bound the addresses for
/// which the answer is the same.
#[derive(Debug, Clone, Default)]
pub struct PrefixGroups {
    /// (family, prefix length, the group).
    pub groups: Vec<(Family, u8, PrefixStarts)>,
}

impl PrefixGroups {
    /// From (prefix, route position) pairs in table order; `wins(new, old)`
    /// says whether a later route for a prefix takes it from an earlier one.
    pub fn build(
        prefixes: impl Iterator<Item = (Prefix, usize)>,
        wins: impl Fn(usize, usize) -> bool,
    ) -> PrefixGroups {
        let mut by_prefix: std::collections::BTreeMap<
            (Family, std::cmp::Reverse<u8>, u128),
            usize,
        > = std::collections::BTreeMap::new();
        for (p, i) in prefixes {
            let key = (p.family, std::cmp::Reverse(p.len), p.start);
            let keep = match by_prefix.get(&key) {
                Some(&j) => wins(i, j),
                None => true,
            };
            if keep {
                by_prefix.insert(key, i);
            }
        }
        let mut groups: Vec<(Family, u8, PrefixStarts)> = Vec::new();
        for ((family, std::cmp::Reverse(len), start), i) in by_prefix {
            match groups.last_mut() {
                Some((f, l, v)) if *f == family && *l == len => v.push((start, i)),
                _ => groups.push((family, len, vec![(start, i)])),
            }
        }
        PrefixGroups { groups }
    }

    /// The longest prefix of `family` that holds `addr`, and the position
    /// of its route.
    pub fn longest(&self, family: Family, addr: u128) -> Option<(Prefix, usize)> {
        self.of(family).find_map(|(len, entries)| {
            let k = entries.partition_point(|e| e.0 <= addr);
            let (start, i) = *entries.get(k.checked_sub(1)?)?;
            let p = Prefix { family, start, len };
            p.contains_addr(addr).then_some((p, i))
        })
    }

    /// `valid` (an interval that holds `addr`) cut down to the addresses
    /// that no prefix of `family` which does not hold `addr` covers. When
    /// `valid` is a prefix of length `within`, only longer prefixes can cut
    /// it (a prefix no longer than it that does not hold `addr` lies
    /// outside it), so only their groups are read.
    pub fn around(
        &self,
        family: Family,
        addr: u128,
        mut valid: Interval,
        within: Option<u8>,
    ) -> Interval {
        let longer = |&(len, _): &(u8, &PrefixStarts)| within.is_none_or(|w| len > w);
        for (len, entries) in self.of(family).take_while(longer) {
            let k = entries.partition_point(|e| e.0 <= addr);
            let below = entries[..k]
                .iter()
                .rev()
                .map(|e| Prefix {
                    family,
                    start: e.0,
                    len,
                })
                .find(|p| !p.contains_addr(addr));
            if let Some(p) = below {
                valid.lo = valid.lo.max(p.end() + 1);
            }
            if let Some(e) = entries.get(k) {
                valid.hi = valid.hi.min(e.0 - 1);
            }
        }
        valid
    }

    /// The groups of one family, longest prefixes first.
    fn of(&self, family: Family) -> impl Iterator<Item = (u8, &PrefixStarts)> {
        self.groups
            .iter()
            .filter(move |(f, _, _)| *f == family)
            .map(|(_, len, entries)| (*len, entries))
    }
}

impl Origin {
    /// Which of two routes for the same prefix wins (lower wins): a
    /// configured route beats the synthesised local route it replaces, and
    /// a CIDR route beats a prefix-list entry (which does not replace the
    /// local route either).
    pub fn precedence(self) -> u8 {
        match self {
            Origin::Static => 0,
            Origin::Endpoint => 1,
            Origin::Local => 2,
            Origin::PrefixList => 3,
        }
    }
}

impl Route {
    /// For a route to prefix list `pl`: why its destinations are not known,
    /// unless it is a gateway endpoint's route (whose entries are an AWS
    /// service's ranges, never a VPC's private addresses).
    pub fn unlisted_prefix_list(&self, pl: &str) -> Option<String> {
        let endpoint = matches!(
            self.target,
            Target::Gateway {
                kind: GatewayKind::VpcEndpoint,
                ..
            }
        ) || self.origin == Origin::Endpoint;
        (!endpoint).then(|| prefix_list_not_in_input(&self.resource, pl))
    }
}

/// Why a route (`resource`, of a VPC or a transit gateway table) to the
/// customer prefix list `pl` has destinations that are not known.
pub fn prefix_list_not_in_input(resource: &str, pl: &str) -> String {
    format!("{resource} routes prefix list {pl}, whose entries are not in the input")
}

/// Where a route came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Origin {
    /// The VPC's own `local` route (synthesised: Terraform does not list it).
    Local,
    /// A route written in the configuration (inline or `aws_route`).
    Static,
    /// A route added by a gateway endpoint for its service's prefix list.
    Endpoint,
    /// One entry of a customer-managed prefix list a configured route names
    /// (`destination_prefix_list_id`): it loses to a CIDR route of the same
    /// prefix.
    PrefixList,
}

#[derive(Debug, Clone)]
pub struct Route {
    /// Address of the resource that defines the route (`aws_route.x`, or the
    /// route table for inline routes and synthesised local routes).
    pub resource: String,
    pub dest: Dest,
    pub target: Target,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Dest {
    Cidr(Prefix),
    /// A prefix list (`pl-...`): its entries are outside the input.
    PrefixList(String),
    /// The AWS-managed prefix list of a service (its name, such as
    /// `com.amazonaws.us-east-1.s3`): public ranges of AWS, never a VPC's
    /// private addresses. Gateway endpoints add such routes.
    Service(String),
    /// Not known until apply: the reason.
    Unknown(String),
}

/// The kind of a gateway or device a route can point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatewayKind {
    Internet,
    Nat,
    EgressOnly,
    VpnGateway,
    TransitGateway,
    VpcEndpoint,
    NetworkInterface,
    Instance,
    CarrierGateway,
    LocalGateway,
    CoreNetwork,
    Other,
}

impl GatewayKind {
    pub fn describe(self) -> &'static str {
        match self {
            GatewayKind::Internet => "internet gateway",
            GatewayKind::Nat => "NAT gateway",
            GatewayKind::EgressOnly => "egress-only internet gateway",
            GatewayKind::VpnGateway => "virtual private gateway",
            GatewayKind::TransitGateway => "transit gateway",
            GatewayKind::VpcEndpoint => "VPC endpoint",
            GatewayKind::NetworkInterface => "network interface",
            GatewayKind::Instance => "instance",
            GatewayKind::CarrierGateway => "carrier gateway",
            GatewayKind::LocalGateway => "local gateway",
            GatewayKind::CoreNetwork => "Cloud WAN core network",
            GatewayKind::Other => "gateway",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Local,
    Peering(Link),
    Gateway {
        kind: GatewayKind,
        /// Index into `Model::gateways` when the gateway is in the input.
        link: Link,
        /// The ID or address to show.
        label: String,
    },
    /// The target is not known until apply and could not be resolved.
    Unknown(String),
    /// The target is gone (deleted by the plan, detached): the reason.
    Blackhole(String),
}

/// The state a peering connection will be in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeeringState {
    Active,
    /// Will not carry traffic: the reason.
    Inactive(String),
    /// Cannot be decided from the input: the reason.
    Undetermined(String),
}

#[derive(Debug, Clone)]
pub struct Peering {
    pub address: String,
    pub aws_id: Option<String>,
    pub requester: Link,
    pub accepter: Link,
    pub state: PeeringState,
    /// The accepter resource, when the input has one.
    pub accepter_resource: Option<String>,
}

impl Peering {
    /// The VPC on the other side of `vpc`, if `vpc` is one end.
    pub fn other_side(&self, vpc: usize) -> Option<&Link> {
        if self.requester == Link::To(vpc) {
            Some(&self.accepter)
        } else if self.accepter == Link::To(vpc) {
            Some(&self.requester)
        } else {
            None
        }
    }
}

#[derive(Debug, Clone)]
pub struct Gateway {
    pub address: String,
    pub aws_id: Option<String>,
    pub kind: GatewayKind,
    pub vpc: Link,
    /// The subnet a NAT gateway or network interface lives in.
    pub subnet: Link,
    /// For NAT gateways: `connectivity_type = "private"`.
    pub private: bool,
    /// For NAT gateways: the IPv4 address in its subnet (`private_ip`), when
    /// the input says; otherwise AWS picks one at apply time.
    pub private_ip: Option<u128>,
    /// For VPC endpoints: the index into `Model::endpoints`.
    pub endpoint: Option<usize>,
    /// For transit gateways: the index into `Model::transit_gateways`.
    pub transit_gateway: Option<usize>,
}

/// The whole network of one view.
#[derive(Debug, Clone, Default)]
pub struct Model {
    pub vpcs: Vec<Vpc>,
    pub subnets: Vec<Subnet>,
    pub route_tables: Vec<RouteTable>,
    pub peerings: Vec<Peering>,
    pub gateways: Vec<Gateway>,
    pub network_acls: Vec<NetworkAcl>,
    pub transit_gateways: Vec<TransitGateway>,
    pub tgw_route_tables: Vec<TgwRouteTable>,
    pub tgw_attachments: Vec<TgwAttachment>,
    pub endpoints: Vec<Endpoint>,
    pub security_groups: Vec<SecurityGroup>,
    pub endpoint_services: Vec<EndpointService>,
    /// Route tables associated with a gateway (ingress routing): what the
    /// gateway brings into the VPC is routed by that table.
    pub edge_associations: Vec<internet::EdgeAssociation>,
    /// On-premises networks, one per VPN connection or Direct Connect
    /// gateway association.
    pub on_prem: Vec<onprem::OnPremNetwork>,
    /// VPC route tables that learn a virtual private gateway's routes.
    pub vgw_propagations: Vec<onprem::Propagation>,
    /// What the input places in subnets behind security groups.
    pub workloads: Vec<Workload>,
    /// What building the workloads found (defaults taken, assumed links):
    /// reported with the workloads only, so that the subnet reports stay
    /// as they are.
    pub workload_findings: Vec<Finding>,
}

impl Model {
    /// Subnet `s` by its address, marked as naming it (see [`Text`]).
    pub fn subnet_text(&self, s: usize) -> Text {
        let mut t = Text::new();
        t.push_named(Named::Subnet(s), &self.subnets[s].address);
        t
    }

    /// The addresses `iv` of `family` as a reason spells them; marked as
    /// subnet `within`'s block when they are exactly one of its blocks.
    pub fn range_text(
        &self,
        family: Family,
        iv: crate::net::Interval,
        within: Option<usize>,
    ) -> Text {
        let words = iv.describe(family);
        let block = within.and_then(|s| {
            self.subnets[s]
                .cidrs
                .all()
                .position(|p| p.family == family && p.interval() == iv)
                .map(|k| (s, k))
        });
        let mut t = Text::new();
        match block {
            Some((s, k)) => t.push_named(Named::Block(s, k), &words),
            None => t.push(&words),
        }
        t
    }

    /// Why link `which` of subnet `s` cannot be followed, with `what` the
    /// kind of thing it points at: the model's reason when it is not known
    /// until apply, or what is missing.
    pub fn subnet_link_text(&self, s: usize, which: SubnetPart, what: &str) -> Text {
        let sub = &self.subnets[s];
        let link = match which {
            SubnetPart::Vpc => &sub.vpc,
            SubnetPart::RouteTable => &sub.route_table,
            SubnetPart::NetworkAcl => &sub.network_acl,
            SubnetPart::Blocks => return self.subnet_blocks_text(s),
        };
        let mut t = Text::new();
        match link {
            Link::Unresolved(why) => t.push_named(Named::Unresolved(s, which), why),
            Link::External(id) => {
                t = text![
                    "the ",
                    what,
                    " of ",
                    self.subnet_text(s),
                    " (",
                    id,
                    ") is not in the input"
                ]
            }
            Link::None => t = text![self.subnet_text(s), " has no ", what],
            Link::To(_) => {}
        }
        t
    }

    /// The words `named` stands for in this model, if it still names
    /// something here.
    pub fn spell(&self, named: Named) -> Option<String> {
        let sub = self.subnets.get(named.subnet())?;
        match named {
            Named::Subnet(_) => Some(sub.address.clone()),
            Named::Block(_, k) => sub.cidrs.all().nth(k).map(|p| p.to_string()),
            Named::Unresolved(_, which) => match which {
                SubnetPart::Vpc => sub.vpc.unresolved(),
                SubnetPart::RouteTable => sub.route_table.unresolved(),
                SubnetPart::NetworkAcl => sub.network_acl.unresolved(),
                SubnetPart::Blocks => sub.cidrs.unknown.as_deref(),
            }
            .map(str::to_string),
        }
    }

    /// Why subnet `s`'s blocks are not known, when they are not.
    pub fn subnet_blocks_text(&self, s: usize) -> Text {
        let mut t = Text::new();
        if let Some(why) = &self.subnets[s].cidrs.unknown {
            t.push_named(Named::Unresolved(s, SubnetPart::Blocks), why);
        }
        t
    }

    /// The account that owns VPC `v` (its `owner_id` or ARN, or the account
    /// its document's provider works in), or why the input cannot tell.
    /// Rules that hold within one account (a peering's `auto_accept`)
    /// read it.
    pub fn vpc_account(&self, v: usize) -> Result<&str, &str> {
        told(&self.vpcs[v].account)
    }

    /// The Region VPC `v` lives in, or why the input cannot tell. Rules
    /// that hold within one Region (security group references across a
    /// peering) read it.
    pub fn vpc_region(&self, v: usize) -> Result<&str, &str> {
        told(&self.vpcs[v].region)
    }

    /// The VPC of a subnet, when resolved.
    pub fn subnet_vpc(&self, s: usize) -> Option<usize> {
        self.subnets[s].vpc.index()
    }

    /// Every prefix that any forwarding decision compares an address with:
    /// route destinations, VPC blocks, network ACL rule blocks and transit
    /// gateway route destinations. Two addresses that no prefix
    /// here separates are treated alike by every walk, which is what lets
    /// the analysis share work between subnets. Anything new that a walk
    /// matches addresses against must be added here.
    pub fn decision_prefixes(&self) -> Vec<Prefix> {
        let mut out: Vec<Prefix> = Vec::new();
        for t in &self.route_tables {
            for r in &t.routes {
                if let Dest::Cidr(p) = r.dest {
                    out.push(p);
                }
            }
        }
        for v in &self.vpcs {
            out.extend(v.cidrs.all().copied());
        }
        for acl in &self.network_acls {
            out.extend(acl.ingress.iter().chain(&acl.egress).filter_map(|r| r.cidr));
        }
        for t in &self.tgw_route_tables {
            for r in &t.routes {
                if let Dest::Cidr(p) = r.dest {
                    out.push(p);
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// What, besides its addresses, decides how a subnet behaves as a
    /// source or destination: subnets with equal keys whose blocks no
    /// decision prefix separates get the same verdicts. Anything new that a
    /// walk reads from a subnet must be part of this key.
    pub fn behaviour_key(&self, s: usize) -> String {
        let sub = &self.subnets[s];
        format!(
            "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
            sub.vpc,
            sub.route_table,
            sub.availability_zone,
            sub.availability_zone_id,
            sub.network_acl,
            sub.attachments,
            sub.devices
        )
    }

    /// The VPC (index) whose CIDR blocks contain the address, other than
    /// `except`. Used to name the VPC a misrouted packet was meant for.
    pub fn vpcs_containing(&self, f: Family, a: u128) -> impl Iterator<Item = usize> + '_ {
        self.vpcs
            .iter()
            .enumerate()
            .filter(move |(_, v)| v.cidrs.contains_addr(f, a))
            .map(|(i, _)| i)
    }
}

/// The model and what building it found.
pub struct Built {
    pub model: Model,
    pub findings: Vec<Finding>,
}

#[cfg(test)]
mod tests {
    /// Ingest decodes only the top-level attributes it lists
    /// ([`crate::ingest::attributes::ATTRIBUTES`]); an attribute the model
    /// reads that the list lacks would silently look unset. Every lowercase
    /// word spelled out in the model's source that is not a resource type
    /// must be on the list.
    #[test]
    fn ingest_keeps_every_attribute_the_model_names() {
        let sources = [
            include_str!("mod.rs"),
            include_str!("build.rs"),
            include_str!("endpoint.rs"),
            include_str!("flow.rs"),
            include_str!("nacl.rs"),
            include_str!("nat.rs"),
            include_str!("onprem.rs"),
            include_str!("prefix_list.rs"),
            include_str!("security_group.rs"),
            include_str!("workload.rs"),
            include_str!("tgw.rs"),
        ];
        let mut missing = Vec::new();
        for src in sources {
            for (i, piece) in src.split('\u{22}').enumerate() {
                // Odd pieces sit between quotes (close enough for this source,
                // which has no escaped quotes in attribute names).
                let word = i % 2 == 1
                    && !piece.is_empty()
                    && piece.starts_with(|c: char| c.is_ascii_lowercase())
                    && piece
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
                if word
                    && !piece.starts_with("aws")
                    && !crate::ingest::attributes::kept(piece)
                    && !missing.contains(&piece)
                {
                    missing.push(piece);
                }
            }
        }
        assert!(
            missing.is_empty(),
            "add these to ingest::attributes::ATTRIBUTES (sorted): {missing:?}"
        );
    }
}
