//! Transit gateways: regional routers whose route tables decide, for each
//! attachment traffic enters by, which attachment it leaves by.
//!
//! Sources: `aws_ec2_transit_gateway` (its default association and
//! propagation route tables), `aws_ec2_transit_gateway_route_table`,
//! `_route_table_association`, `_route_table_propagation`,
//! `aws_ec2_transit_gateway_route` (static and blackhole), VPC attachments
//! (`aws_ec2_transit_gateway_vpc_attachment` and its accepter), peering
//! attachments (and their accepter), and VPN and Direct Connect attachments
//! (`aws_vpn_connection`, the `aws_ec2_transit_gateway_vpn_attachment` and
//! `_dx_gateway_attachment` data sources, `aws_dx_gateway_association`),
//! plus the Cloud Control provider's equivalents. The default route table
//! is usually not in the input: it is synthesised, like a VPC's main table.

use foldhash::{HashMap, HashMapExt};
use std::collections::BTreeMap;

use crate::ingest::Json;

use super::build::{attr_unknown, str_attr, Builder, Found, Linker, SUBNET_TYPES, VPC_TYPES};
use super::{Dest, GatewayKind, Link, PeeringState, PrefixGroups, Told};
use crate::codes;
use crate::ingest::unknown::is_unknown;
use crate::ingest::{Mode, RawResource};
use crate::model::Finding;
use crate::net::{Family, Prefix};

#[derive(Debug, Clone)]
pub struct TransitGateway {
    pub address: String,
    pub aws_id: Option<String>,
    /// The route table attachments are associated with unless they say
    /// otherwise (`None`: default association is off).
    pub default_association: Option<usize>,
    /// The route table attachments propagate to unless they say otherwise.
    pub default_propagation: Option<usize>,
    /// Set when whether the defaults are on is not known until apply.
    pub defaults_unknown: Option<String>,
    /// The account that owns it (`place.rs`), or why the input cannot tell.
    pub account: Told,
    /// `auto_accept_shared_attachments = "enable"`: attachments from other
    /// accounts need no acceptance (`Err`: not known until apply).
    pub accepts_shared: Result<bool, String>,
    /// `security_group_referencing_support = "enable"` (AWS's default is
    /// off): security group rules may name groups of VPCs attached to it.
    pub sg_referencing: bool,
}

#[derive(Debug, Clone)]
pub struct TgwRouteTable {
    /// Resource address, or `<tgw address> (default route table)`.
    pub address: String,
    pub aws_id: Option<String>,
    /// Index into `Model::transit_gateways`.
    pub tgw: Option<usize>,
    pub routes: Vec<TgwRoute>,
    /// Attachments that propagate prefixes the input does not hold (VPN,
    /// Direct Connect): assumed not to cover the input's VPCs.
    pub external_propagations: Vec<String>,
    /// The routes by prefix, for lookups (filled once the routes are final).
    pub index: RouteIndex,
}

/// The routes of one transit gateway route table by prefix, keeping for
/// each prefix the route that wins it (static over propagated), for
/// lookups that probe one group per prefix length.
#[derive(Debug, Clone, Default)]
pub struct RouteIndex {
    pub groups: PrefixGroups,
    /// Set when some route's destination is not known: the reason.
    pub unknown: Option<String>,
}

impl RouteIndex {
    pub fn build(routes: &[TgwRoute]) -> RouteIndex {
        let mut unknown = None;
        for r in routes {
            match &r.dest {
                Dest::Cidr(_) | Dest::Service(_) => {}
                Dest::Unknown(why) => {
                    unknown.get_or_insert_with(|| why.clone());
                }
                Dest::PrefixList(pl) => {
                    unknown.get_or_insert_with(|| super::prefix_list_not_in_input(&r.resource, pl));
                }
            }
        }
        let cidrs = routes.iter().enumerate().filter_map(|(i, r)| match r.dest {
            Dest::Cidr(p) => Some((p, i)),
            _ => None,
        });
        RouteIndex {
            groups: PrefixGroups::build(cidrs, |new, old| {
                routes[old].propagated && !routes[new].propagated
            }),
            unknown,
        }
    }
}

#[derive(Debug, Clone)]
pub struct TgwRoute {
    /// The static route resource, or the propagation (or attachment, for a
    /// default propagation) that put the route there.
    pub resource: String,
    pub dest: Dest,
    pub target: TgwTarget,
    /// Propagated routes lose to static routes for the same prefix.
    pub propagated: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TgwTarget {
    /// Index into `Model::tgw_attachments`.
    Attachment(usize),
    /// A blackhole route: matching traffic is dropped.
    Blackhole,
    /// Not known until apply, or ambiguous: the reason.
    Unknown(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachmentKind {
    Vpc,
    Peering,
    Vpn,
    DirectConnect,
    Connect,
}

impl AttachmentKind {
    pub fn describe(self) -> &'static str {
        match self {
            AttachmentKind::Vpc => "VPC attachment",
            AttachmentKind::Peering => "peering attachment",
            AttachmentKind::Vpn => "VPN attachment",
            AttachmentKind::DirectConnect => "Direct Connect gateway attachment",
            AttachmentKind::Connect => "Connect attachment",
        }
    }
}

#[derive(Debug, Clone)]
pub struct TgwAttachment {
    pub address: String,
    pub aws_id: Option<String>,
    pub kind: AttachmentKind,
    /// The transit gateway (index into `Model::transit_gateways`).
    pub tgw: Link,
    /// Peering attachments: the transit gateway on the other side.
    pub peer_tgw: Link,
    /// VPC attachments: the VPC.
    pub vpc: Link,
    /// VPC attachments: the subnets holding its network interfaces, one
    /// per Availability Zone.
    pub subnets: Vec<usize>,
    /// Set when the subnets are not all known: the reason.
    pub subnets_unknown: Option<String>,
    /// IPv6 traffic crosses the attachment only with `ipv6_support`.
    pub ipv6: bool,
    /// `appliance_mode_support = "enable"`.
    pub appliance_mode: bool,
    /// Set when `appliance_mode_support` is not known until apply.
    pub appliance_mode_unknown: bool,
    /// VPC attachments: security group referencing is not turned off
    /// (`security_group_referencing_support`, on unless set to `disable`).
    pub sg_referencing: bool,
    pub state: PeeringState,
    /// The route table each transit gateway end looks traffic up in:
    /// (transit gateway index, route table link). Peering attachments have
    /// one end on each transit gateway.
    pub associations: Vec<(usize, Link)>,
}

impl TgwAttachment {
    /// The route table of the end on transit gateway `tgw`; `Link::None`
    /// when the attachment is associated with none.
    pub fn association(&self, tgw: usize) -> &Link {
        static NONE: Link = Link::None;
        self.associations
            .iter()
            .find(|(t, _)| *t == tgw)
            .map_or(&NONE, |(_, l)| l)
    }
}

pub(super) const TGW_TYPES: &[&str] = &["aws_ec2_transit_gateway", "awscc_ec2_transit_gateway"];
const TGW_RT_TYPES: &[&str] = &[
    "aws_ec2_transit_gateway_route_table",
    "awscc_ec2_transit_gateway_route_table",
];
/// What a route table link can name: a table, or a transit gateway whose
/// default table it reads (`aws_ec2_transit_gateway.x.association_default_route_table_id`).
const TGW_RT_OR_TGW: &[&str] = &[
    "aws_ec2_transit_gateway_route_table",
    "awscc_ec2_transit_gateway_route_table",
    "aws_ec2_transit_gateway",
    "awscc_ec2_transit_gateway",
];
/// VPC attachments (the Cloud Control one is a VPC attachment too).
const VPC_ATTACH_TYPES: &[&str] = &[
    "aws_ec2_transit_gateway_vpc_attachment",
    "awscc_ec2_transit_gateway_attachment",
    "awscc_ec2_transit_gateway_vpc_attachment",
];
/// The attachments an accepter can accept.
const REQUESTED_TYPES: &[&str] = &[
    "aws_ec2_transit_gateway_vpc_attachment",
    "awscc_ec2_transit_gateway_attachment",
    "awscc_ec2_transit_gateway_vpc_attachment",
    "aws_ec2_transit_gateway_peering_attachment",
];
const ATTACH_TYPES: &[&str] = &[
    "aws_ec2_transit_gateway_vpc_attachment",
    "aws_ec2_transit_gateway_vpc_attachment_accepter",
    "awscc_ec2_transit_gateway_attachment",
    "awscc_ec2_transit_gateway_vpc_attachment",
    "aws_ec2_transit_gateway_peering_attachment",
    "aws_ec2_transit_gateway_peering_attachment_accepter",
    "aws_ec2_transit_gateway_vpn_attachment",
    "aws_ec2_transit_gateway_dx_gateway_attachment",
    "aws_ec2_transit_gateway_connect",
    "aws_vpn_connection",
    "aws_dx_gateway_association",
];

/// The attribute naming an attachment resource's transit gateway.
fn tgw_attr(r: &RawResource) -> &'static str {
    if r.rtype == "aws_dx_gateway_association" {
        "associated_gateway_id"
    } else {
        "transit_gateway_id"
    }
}

/// What the links of one attachment resource name, followed on every core
/// before the attachments are built in order (accepters' are followed
/// where they are needed).
struct AttachmentLinks {
    tgw: Found,
    /// A VPC attachment's VPC and subnets.
    vpc: Found,
    subnets: Vec<Found>,
}

impl AttachmentLinks {
    fn follow(lk: &Linker<'_>, r: &RawResource) -> AttachmentLinks {
        let mut links = AttachmentLinks {
            tgw: Found::None,
            vpc: Found::None,
            subnets: Vec::new(),
        };
        if r.rtype.ends_with("_accepter") {
            return links;
        }
        links.tgw = lk.link(r, tgw_attr(r), TGW_TYPES);
        if VPC_ATTACH_TYPES.contains(&r.rtype.as_str()) {
            links.vpc = lk.link(r, "vpc_id", VPC_TYPES);
            links.subnets = lk.link_set(r, "subnet_ids", SUBNET_TYPES);
        }
        links
    }
}

fn flag(v: &Json, attr: &str) -> Option<bool> {
    match v.get(attr) {
        Some(Json::Bool(b)) => Some(*b),
        Some(Json::String(s)) => match &**s {
            "enable" | "true" => Some(true),
            "disable" | "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// An option that awscc nests in `options`.
fn option<'v>(v: &'v Json, attr: &str, awscc: &str) -> Option<&'v Json> {
    v.get(attr)
        .or_else(|| v.get("options").and_then(|o| o.get(awscc)))
}

/// Raw resource -> model index maps the transit gateway build shares.
struct TgwIndex {
    rt_of: HashMap<usize, usize>,
    tgw_of_raw: HashMap<usize, usize>,
    /// Known IDs of default route tables -> their (synthesised) table.
    default_by_id: HashMap<String, usize>,
}

impl<'a> Builder<'a> {
    /// Follows a transit gateway route table link: a table, or the default
    /// table of a transit gateway.
    fn resolve_tgw_rt(&mut self, f: Found, r: &RawResource, ix: &TgwIndex) -> Link {
        match self.accept(f) {
            Found::Raw(i) => match (ix.rt_of.get(&i), ix.tgw_of_raw.get(&i)) {
                (Some(&t), _) => Link::To(t),
                (None, Some(&g)) => match self.model.transit_gateways[g].default_association {
                    Some(t) => Link::To(t),
                    None => Link::Unresolved(format!(
                        "{} names the default route table of {}, which has none",
                        r.address, self.model.transit_gateways[g].address
                    )),
                },
                _ => Link::Unresolved(format!(
                    "{} names no transit gateway route table",
                    r.address
                )),
            },
            Found::External(id) => match ix.default_by_id.get(&id) {
                Some(&t) => Link::To(t),
                None => Link::External(id),
            },
            Found::Deleted(id, addr) => {
                Link::Unresolved(format!("{id} ({addr}) is deleted by this plan"))
            }
            Found::Unresolved(why) => Link::Unresolved(why),
            Found::None | Found::Assumed(..) => {
                Link::Unresolved(format!("{} names no route table", r.address))
            }
        }
    }

    /// The index of the only transit gateway in the input, for a link the
    /// plan leaves unknown and the configuration cannot follow.
    pub(super) fn sole_tgw(&mut self, r: &RawResource, attr: &str, why: &str) -> Option<usize> {
        let all: Vec<usize> = (0..self.lk.raw.len())
            .filter(|&i| self.managed_or_data(i, TGW_TYPES) && self.raw(i).mode == Mode::Managed)
            .collect();
        let [only] = all.as_slice() else { return None };
        let why = format!(
            "`{attr}` of {} is not known until apply and {}; tfreach assumes it is {}, the only transit gateway in the input",
            r.address,
            why.trim_start_matches(&format!("`{attr}` of {} is not known until apply and ", r.address)),
            self.raw(*only).address
        );
        Some(match self.accept(Found::Assumed(*only, why)) {
            Found::Raw(i) => i,
            _ => *only,
        })
    }

    /// Follows a `transit_gateway_id` to a transit gateway (model index).
    fn tgw_link(&mut self, r: &RawResource, attr: &str) -> Link {
        let f = self.lk.link(r, attr, TGW_TYPES);
        self.tgw_link_from(r, attr, f)
    }

    /// [`Self::tgw_link`] of what following `attr` found.
    fn tgw_link_from(&mut self, r: &RawResource, attr: &str, f: Found) -> Link {
        let f = match f {
            Found::Unresolved(why) => match self.sole_tgw(r, attr, &why) {
                Some(i) => Found::Raw(i),
                None => Found::Unresolved(why),
            },
            f => f,
        };
        match self.link_of(f, |b| &b.gw_of, "transit gateway") {
            Link::To(g) => match self.model.gateways[g].transit_gateway {
                Some(t) => Link::To(t),
                None => Link::Unresolved(format!(
                    "{} is not a transit gateway",
                    self.model.gateways[g].address
                )),
            },
            other => other,
        }
    }

    /// Builds transit gateways, their route tables and attachments.
    pub(super) fn transit_gateways(&mut self) {
        // Transit gateways are gateways (route targets) too.
        let mut tgw_of_raw: HashMap<usize, usize> = HashMap::new();
        let mut gws: Vec<(usize, usize)> = self.gw_of.iter().map(|(a, b)| (*a, *b)).collect();
        gws.sort_unstable();
        let mut raws: Vec<(usize, usize)> = Vec::new();
        for (ri, gi) in gws {
            if self.model.gateways[gi].kind != GatewayKind::TransitGateway {
                continue;
            }
            let r = self.raw(ri);
            let t = self.model.transit_gateways.len();
            self.model.transit_gateways.push(TransitGateway {
                address: r.address.clone(),
                aws_id: str_attr(&r.values, "id")
                    .or_else(|| str_attr(&r.values, "transit_gateway_id"))
                    .map(str::to_string),
                default_association: None,
                default_propagation: None,
                defaults_unknown: None,
                account: self.places.account(&self.lk, r),
                accepts_shared: match r.values.get("auto_accept_shared_attachments") {
                    Some(x) if is_unknown(x) => Err(format!(
                        "`auto_accept_shared_attachments` of {} is not known until apply",
                        r.address
                    )),
                    Some(Json::String(x)) => Ok(&**x == "enable"),
                    // The default: disable.
                    _ => Ok(false),
                },
                sg_referencing: str_attr(&r.values, "security_group_referencing_support")
                    == Some("enable"),
            });
            self.model.gateways[gi].transit_gateway = Some(t);
            tgw_of_raw.insert(ri, t);
            raws.push((ri, t));
        }

        // Route tables.
        let mut rt_of: HashMap<usize, usize> = HashMap::new();
        for i in 0..self.lk.raw.len() {
            if !self.managed_or_data(i, TGW_RT_TYPES) {
                continue;
            }
            let r = self.raw(i);
            let tgw = self.tgw_link(r, "transit_gateway_id");
            self.unresolved_finding(&r.address, &tgw);
            let idx = self.model.tgw_route_tables.len();
            self.model.tgw_route_tables.push(TgwRouteTable {
                address: r.address.clone(),
                aws_id: str_attr(&r.values, "id")
                    .or_else(|| str_attr(&r.values, "transit_gateway_route_table_id"))
                    .map(str::to_string),
                tgw: tgw.index(),
                routes: Vec::new(),
                external_propagations: Vec::new(),
                index: RouteIndex::default(),
            });
            rt_of.insert(i, idx);
        }
        // Default route tables.
        let mut default_by_id: HashMap<String, usize> = HashMap::new();
        for &(ri, t) in &raws {
            let r = self.raw(ri);
            let v = &r.values;
            let assoc = flag(v, "default_route_table_association");
            let prop = flag(v, "default_route_table_propagation");
            let unknown = [
                "default_route_table_association",
                "default_route_table_propagation",
            ]
            .iter()
            .find(|a| attr_unknown(v, a));
            if let Some(a) = unknown {
                self.model.transit_gateways[t].defaults_unknown =
                    Some(format!("`{a}` of {} is not known until apply", r.address));
            }
            // Both default to enable.
            let (assoc, prop) = (
                assoc.unwrap_or(unknown.is_none()),
                prop.unwrap_or(unknown.is_none()),
            );
            if !assoc && !prop {
                continue;
            }
            let ids = [
                str_attr(v, "association_default_route_table_id"),
                str_attr(v, "propagation_default_route_table_id"),
            ];
            // Two IDs that differ are two tables; one ID, or none yet (a new
            // transit gateway), is the one table AWS creates for both.
            let two = matches!(ids, [Some(x), Some(y)] if x != y);
            let find = |b: &mut Self, id: Option<&str>, flag_attr: &str, role: &str| -> usize {
                // A route table resource that is the default one.
                let by_id = id.and_then(|id| {
                    rt_of.iter().find(|(ri, _)| {
                        let x = &b.raw(**ri).values;
                        str_attr(x, "id") == Some(id)
                            || str_attr(x, "transit_gateway_route_table_id") == Some(id)
                    })
                });
                let by_flag = rt_of.iter().find(|(ri, ti)| {
                    b.model.tgw_route_tables[**ti].tgw == Some(t)
                        && b.raw(**ri).values.get(flag_attr) == Some(&Json::Bool(true))
                });
                if let Some((_, &ti)) = by_id.or(by_flag) {
                    return ti;
                }
                let addr = format!("{} (default {role}route table)", r.address);
                if let Some(ti) = b
                    .model
                    .tgw_route_tables
                    .iter()
                    .position(|x| x.address == addr)
                {
                    return ti;
                }
                // A table whose ID is not known yet is created with the
                // transit gateway by this plan: it holds what the input puts
                // there and nothing else, no assumption needed.
                if let Some(id) = id {
                    b.findings.push(Finding::new(
                        codes::ASSUMED_TGW_DEFAULT_ROUTE_TABLE,
                        &r.address,
                        format!(
                        "the default {role}route table of {} ({}) is not in the input; tfreach \
                         assumes it holds only what the input propagates into it and the static \
                         routes the input adds to it",
                            r.address,
                            id
                        ),
                    ));
                }
                b.model.tgw_route_tables.push(TgwRouteTable {
                    address: addr,
                    aws_id: id.map(str::to_string),
                    tgw: Some(t),
                    routes: Vec::new(),
                    external_propagations: Vec::new(),
                    index: RouteIndex::default(),
                });
                b.model.tgw_route_tables.len() - 1
            };
            let (ra, rp) = if two {
                ("association ", "propagation ")
            } else {
                ("", "")
            };
            let a = find(self, ids[0], "default_association_route_table", ra);
            let p = if two {
                find(self, ids[1], "default_propagation_route_table", rp)
            } else {
                a
            };
            for (id, ti) in [(ids[0], a), (ids[1], p)] {
                if let Some(id) = id {
                    default_by_id.insert(id.to_string(), ti);
                }
            }
            let tg = &mut self.model.transit_gateways[t];
            tg.default_association = assoc.then_some(a);
            tg.default_propagation = prop.then_some(p);
        }

        let att_of = self.tgw_attachments();
        let ix = TgwIndex {
            rt_of,
            tgw_of_raw,
            default_by_id,
        };
        for a in 0..self.model.tgw_attachments.len() {
            for s in self.model.tgw_attachments[a].subnets.clone() {
                self.model.subnets[s].attachments.push(a);
            }
            if let Link::To(v) = self.model.tgw_attachments[a].vpc {
                self.model.vpcs[v].attachments.push(a);
            }
        }
        let resolve_att = |b: &mut Self, r: &RawResource, f: Found| -> Result<usize, Link> {
            let f = b.accept(f);
            match f {
                Found::Raw(i) => att_of.get(&i).copied().ok_or_else(|| {
                    Link::Unresolved(format!(
                        "{} was skipped, so {} cannot be followed",
                        b.raw(i).address,
                        r.address
                    ))
                }),
                Found::External(id) => b
                    .model
                    .tgw_attachments
                    .iter()
                    .position(|a| a.aws_id.as_deref() == Some(id.as_str()))
                    .ok_or(Link::External(id)),
                Found::Deleted(id, addr) => Err(Link::Unresolved(format!(
                    "{id} ({addr}) is deleted by this plan"
                ))),
                Found::Unresolved(why) => Err(Link::Unresolved(why)),
                Found::None | Found::Assumed(..) => Err(Link::None),
            }
        };

        // Associations and propagations.
        let mut explicit_prop: Vec<(usize, usize, String)> = Vec::new();
        let mut seen_assoc: BTreeMap<(usize, usize), String> = BTreeMap::new();
        let at = self.all_of(&[
            "aws_ec2_transit_gateway_route_table_association",
            "awscc_ec2_transit_gateway_route_table_association",
            "aws_ec2_transit_gateway_route_table_propagation",
            "awscc_ec2_transit_gateway_route_table_propagation",
        ]);
        // Their two ends, followed on every core.
        let tables = self
            .lk
            .links(&at, "transit_gateway_route_table_id", TGW_RT_OR_TGW);
        let atts = self
            .lk
            .links(&at, "transit_gateway_attachment_id", ATTACH_TYPES);
        for ((i, table), att) in at.into_iter().zip(tables).zip(atts) {
            let r = self.raw(i);
            let propagation = match r.rtype.as_str() {
                "aws_ec2_transit_gateway_route_table_association"
                | "awscc_ec2_transit_gateway_route_table_association" => false,
                "aws_ec2_transit_gateway_route_table_propagation"
                | "awscc_ec2_transit_gateway_route_table_propagation" => true,
                _ => continue,
            };
            let rt = self.resolve_tgw_rt(table, r, &ix);
            let att = resolve_att(self, r, att);
            let a = match att {
                Ok(a) => a,
                Err(l) => {
                    if !matches!(l, Link::External(_)) {
                        let why = match l {
                            Link::Unresolved(w) => w,
                            _ => format!("{} names no attachment", r.address),
                        };
                        self.findings.push(Finding::new(
                            codes::UNRESOLVED_REFERENCE,
                            &r.address,
                            why,
                        ));
                    }
                    continue;
                }
            };
            let Link::To(t) = rt else {
                self.unresolved_finding(&r.address, &rt);
                if !propagation {
                    // The attachment is associated, but with what is not known.
                    if let Some(g) = self.model.tgw_attachments[a].tgw.index() {
                        let why = match &rt {
                            Link::Unresolved(w) => w.clone(),
                            Link::External(id) => {
                                format!("route table {id} of {} is not in the input", r.address)
                            }
                            _ => format!("{} names no route table", r.address),
                        };
                        self.model.tgw_attachments[a]
                            .associations
                            .push((g, Link::Unresolved(why)));
                    }
                }
                continue;
            };
            let Some(g) = self.model.tgw_route_tables[t]
                .tgw
                .or(self.model.tgw_attachments[a].tgw.index())
            else {
                continue;
            };
            if propagation {
                explicit_prop.push((a, t, r.address.clone()));
            } else {
                if let Some(prev) = seen_assoc.get(&(a, g)) {
                    self.findings.push(Finding::new(
                        codes::INVALID_RESOURCE,
                        &r.address,
                        format!(
                            "{} is already associated by {prev}; an attachment is associated with one route table",
                            self.model.tgw_attachments[a].address
                        ),
                    ));
                }
                seen_assoc.insert((a, g), r.address.clone());
                let att = &mut self.model.tgw_attachments[a];
                att.associations.retain(|(x, _)| *x != g);
                att.associations.push((g, Link::To(t)));
            }
        }
        // Defaults for attachments without an explicit association.
        let mut default_prop: Vec<(usize, usize, String)> = Vec::new();
        let raws = RawsByAddress::new(self);
        for a in 0..self.model.tgw_attachments.len() {
            let att = self.model.tgw_attachments[a].clone();
            let Link::To(g) = att.tgw else { continue };
            if att.kind == AttachmentKind::Peering {
                continue; // associated and routed explicitly only
            }
            let tg = self.model.transit_gateways[g].clone();
            let (assoc_flag, prop_flag) = self.attachment_default_flags(a, &raws);
            if *att.association(g) == Link::None {
                let link = match (tg.default_association, &tg.defaults_unknown, assoc_flag) {
                    (_, _, Err(why)) => Some(Link::Unresolved(why)),
                    (Some(t), _, Ok(true)) => Some(Link::To(t)),
                    (None, Some(why), Ok(true)) => Some(Link::Unresolved(why.clone())),
                    _ => None,
                };
                if let Some(l) = link {
                    self.model.tgw_attachments[a].associations.push((g, l));
                }
            }
            if let (Some(t), Ok(true)) = (tg.default_propagation, prop_flag) {
                default_prop.push((a, t, att.address.clone()));
            }
        }
        for (a, t, resource) in explicit_prop.into_iter().chain(default_prop) {
            self.propagate(a, t, &resource);
        }
        self.tgw_static_routes(&ix, &att_of);
        self.check_tgw_tables();
        for t in &mut self.model.tgw_route_tables {
            t.index = RouteIndex::build(&t.routes);
        }
    }

    /// Whether attachment `a` takes the default association and default
    /// propagation (both default to true; an accepter's flags win).
    fn attachment_default_flags(
        &self,
        a: usize,
        raws: &RawsByAddress,
    ) -> (Result<bool, String>, Result<bool, String>) {
        let Some(ri) = raws.first.get(a).copied().flatten() else {
            return (Ok(true), Ok(true));
        };
        let r = self.raw(ri);
        // An accepter of this attachment decides for the owner's side.
        let accepter = str_attr(&r.values, "id")
            .and_then(|id| raws.accepters.get(id))
            .and_then(|xs| {
                xs.iter()
                    .copied()
                    .find(|&i| self.raw(i).address != r.address)
            });
        let src = accepter.map_or(r, |i| self.raw(i));
        let get = |attr: &str| -> Result<bool, String> {
            match src.values.get(attr) {
                Some(Json::Bool(b)) => Ok(*b),
                Some(x) if is_unknown(x) => {
                    if self.lk.doc(src).config.is_configured(src, attr) {
                        Err(format!(
                            "`{attr}` of {} is not known until apply",
                            src.address
                        ))
                    } else {
                        Ok(true)
                    }
                }
                _ => Ok(true),
            }
        };
        (
            get("transit_gateway_default_route_table_association"),
            get("transit_gateway_default_route_table_propagation"),
        )
    }

    /// Attachment `a` propagates its routes into table `t`.
    fn propagate(&mut self, a: usize, t: usize, resource: &str) {
        let att = self.model.tgw_attachments[a].clone();
        match att.kind {
            AttachmentKind::Vpc => {
                let Link::To(v) = att.vpc else {
                    let why = match &att.vpc {
                        Link::Unresolved(w) => w.clone(),
                        _ => format!("the VPC of {} is not in the input", att.address),
                    };
                    self.model.tgw_route_tables[t].routes.push(TgwRoute {
                        resource: resource.to_string(),
                        dest: Dest::Unknown(why),
                        target: TgwTarget::Attachment(a),
                        propagated: true,
                    });
                    return;
                };
                let vpc = self.model.vpcs[v].clone();
                let mut blocks: Vec<Prefix> = vpc.cidrs.v4.clone();
                if att.ipv6 {
                    blocks.extend(vpc.cidrs.v6.iter().copied());
                }
                for p in blocks {
                    self.model.tgw_route_tables[t].routes.push(TgwRoute {
                        resource: resource.to_string(),
                        dest: Dest::Cidr(p),
                        target: TgwTarget::Attachment(a),
                        propagated: true,
                    });
                }
                if let Some(why) = vpc.cidrs.unknown {
                    self.model.tgw_route_tables[t].routes.push(TgwRoute {
                        resource: resource.to_string(),
                        dest: Dest::Unknown(why),
                        target: TgwTarget::Attachment(a),
                        propagated: true,
                    });
                }
            }
            AttachmentKind::Peering => {
                self.findings.push(Finding::new(
                    codes::INVALID_RESOURCE,
                    resource,
                    format!(
                        "{} is a peering attachment, which cannot propagate routes: only static routes send traffic across a transit gateway peering",
                        att.address
                    ),
                ));
            }
            _ => {
                let rt = &mut self.model.tgw_route_tables[t];
                if !rt.external_propagations.contains(&att.address) {
                    rt.external_propagations.push(att.address.clone());
                }
            }
        }
    }

    fn tgw_static_routes(&mut self, ix: &TgwIndex, att_of: &HashMap<usize, usize>) {
        for i in 0..self.lk.raw.len() {
            if ![
                "aws_ec2_transit_gateway_route",
                "awscc_ec2_transit_gateway_route",
            ]
            .contains(&self.raw(i).rtype.as_str())
            {
                continue;
            }
            let r = self.raw(i);
            if r.rtype != "aws_ec2_transit_gateway_route"
                && r.rtype != "awscc_ec2_transit_gateway_route"
            {
                continue;
            }
            let f = self
                .lk
                .link(r, "transit_gateway_route_table_id", TGW_RT_OR_TGW);
            let rt = self.resolve_tgw_rt(f, r, ix);
            let Link::To(t) = rt else {
                if !matches!(rt, Link::External(_)) {
                    self.unresolved_finding(&r.address, &rt);
                }
                continue;
            };
            let dest = match r.values.get("destination_cidr_block") {
                Some(x) if is_unknown(x) => Dest::Unknown(format!(
                    "the destination of {} is not known until apply",
                    r.address
                )),
                Some(Json::String(s)) => match s.parse::<Prefix>() {
                    Ok(p) => Dest::Cidr(p),
                    Err(e) => {
                        self.findings.push(Finding::new(
                            codes::INVALID_RESOURCE,
                            &r.address,
                            format!("{e}; the route is skipped"),
                        ));
                        continue;
                    }
                },
                _ => continue,
            };
            let target = match r.values.get("blackhole") {
                Some(Json::Bool(true)) => TgwTarget::Blackhole,
                Some(x) if is_unknown(x) => TgwTarget::Unknown(format!(
                    "whether {} is a blackhole is not known until apply",
                    r.address
                )),
                _ => {
                    let f = self
                        .lk
                        .link(r, "transit_gateway_attachment_id", ATTACH_TYPES);
                    match self.accept(f) {
                        Found::Raw(x) => match att_of.get(&x) {
                            Some(&a) => TgwTarget::Attachment(a),
                            None => {
                                TgwTarget::Unknown(format!("{} was skipped", self.raw(x).address))
                            }
                        },
                        Found::External(id) => match self
                            .model
                            .tgw_attachments
                            .iter()
                            .position(|a| a.aws_id.as_deref() == Some(id.as_str()))
                        {
                            Some(a) => TgwTarget::Attachment(a),
                            None => TgwTarget::Unknown(format!(
                                "attachment {id} of {} is not in the input",
                                r.address
                            )),
                        },
                        Found::Deleted(id, addr) => TgwTarget::Unknown(format!(
                            "attachment {id} ({addr}) is deleted by this plan, so {} will not work",
                            r.address
                        )),
                        Found::Unresolved(why) => TgwTarget::Unknown(why),
                        Found::None | Found::Assumed(..) => TgwTarget::Blackhole,
                    }
                }
            };
            self.model.tgw_route_tables[t].routes.push(TgwRoute {
                resource: r.address.clone(),
                dest,
                target,
                propagated: false,
            });
        }
    }

    /// Two attachments propagating the same block into one table: AWS
    /// keeps the route of whichever came first, which the input cannot
    /// tell. Two static routes for one block: AWS refuses the second.
    fn check_tgw_tables(&mut self) {
        for t in 0..self.model.tgw_route_tables.len() {
            let table = &self.model.tgw_route_tables[t];
            // Routes whose propagation conflicts, and why: marked unknown
            // once the table is no longer borrowed.
            let mut conflicted: Vec<(usize, String)> = Vec::new();
            let mut by_prefix: BTreeMap<(Prefix, bool), Vec<usize>> = BTreeMap::new();
            for (k, r) in table.routes.iter().enumerate() {
                if let Dest::Cidr(p) = r.dest {
                    by_prefix.entry((p, r.propagated)).or_default().push(k);
                }
            }
            for ((p, propagated), ks) in by_prefix {
                if ks.len() < 2 {
                    continue;
                }
                let names: Vec<String> = ks
                    .iter()
                    .map(|&k| table.routes[k].resource.clone())
                    .collect();
                if propagated {
                    let why = format!(
                        "{} receives {p} from several attachments ({}); a transit gateway keeps only one of identical propagated routes, and which one depends on the order of creation",
                        table.address,
                        names.join(", ")
                    );
                    self.findings.push(Finding::new(
                        codes::TGW_PROPAGATION_CONFLICT,
                        &table.address,
                        why.clone(),
                    ));
                    conflicted.extend(ks.iter().map(|&k| (k, why.clone())));
                } else {
                    self.findings.push(Finding::new(
                        codes::DUPLICATE_ROUTE,
                        &names[1],
                        format!(
                            "{} has two static routes for {p} ({})",
                            table.address,
                            names.join(" and ")
                        ),
                    ));
                }
            }
            if !table.external_propagations.is_empty() {
                self.findings.push(Finding::new(
                    codes::TGW_PROPAGATED_ROUTES,
                    &table.address,
                    format!(
                        "{} receives routes propagated from {}; their prefixes are not in the input and are assumed not to cover the input's VPCs",
                        table.address,
                        table.external_propagations.join(", ")
                    ),
                ));
            }
            for (k, why) in conflicted {
                self.model.tgw_route_tables[t].routes[k].target = TgwTarget::Unknown(why);
            }
        }
    }

    /// Builds the attachments; returns raw index -> attachment index.
    fn tgw_attachments(&mut self) -> HashMap<usize, usize> {
        let mut att_of: HashMap<usize, usize> = HashMap::new();
        let mut by_id: HashMap<String, usize> = HashMap::new();
        let mut accepters: Vec<usize> = Vec::new();
        let at = self.all_of(ATTACH_TYPES);
        let ahead = self
            .lk
            .read_each(&at, |r| AttachmentLinks::follow(&self.lk, r));
        for (i, ahead) in at.into_iter().zip(ahead) {
            let r = self.raw(i);
            let v = &r.values;
            let kind = match r.rtype.as_str() {
                t if VPC_ATTACH_TYPES.contains(&t) => AttachmentKind::Vpc,
                "aws_ec2_transit_gateway_peering_attachment" => AttachmentKind::Peering,
                "aws_ec2_transit_gateway_vpn_attachment" => AttachmentKind::Vpn,
                "aws_vpn_connection"
                    if v.get("transit_gateway_id")
                        .is_some_and(|x| !matches!(x, Json::Null) && x != "") =>
                {
                    AttachmentKind::Vpn
                }
                "aws_ec2_transit_gateway_dx_gateway_attachment" => AttachmentKind::DirectConnect,
                "aws_dx_gateway_association" => {
                    // Only an association with a transit gateway is an attachment.
                    if !matches!(ahead.tgw, Found::Raw(_))
                        && !str_attr(v, "associated_gateway_id")
                            .is_some_and(|s| s.starts_with("tgw-"))
                    {
                        continue;
                    }
                    AttachmentKind::DirectConnect
                }
                "aws_ec2_transit_gateway_connect" => AttachmentKind::Connect,
                "aws_ec2_transit_gateway_vpc_attachment_accepter"
                | "aws_ec2_transit_gateway_peering_attachment_accepter" => {
                    accepters.push(i);
                    continue;
                }
                _ => continue,
            };
            let tgw = self.tgw_link_from(r, tgw_attr(r), ahead.tgw);
            self.unresolved_finding(&r.address, &tgw);
            let aws_id = match r.rtype.as_str() {
                "aws_vpn_connection" => str_attr(v, "transit_gateway_attachment_id"),
                "awscc_ec2_transit_gateway_attachment"
                | "awscc_ec2_transit_gateway_vpc_attachment" => {
                    str_attr(v, "id").or_else(|| str_attr(v, "transit_gateway_attachment_id"))
                }
                _ => str_attr(v, "id"),
            }
            .map(str::to_string);
            let mut att = TgwAttachment {
                address: r.address.clone(),
                aws_id: aws_id.clone(),
                kind,
                tgw,
                peer_tgw: Link::None,
                vpc: Link::None,
                subnets: Vec::new(),
                subnets_unknown: None,
                ipv6: false,
                appliance_mode: false,
                appliance_mode_unknown: false,
                sg_referencing: true,
                state: PeeringState::Active,
                associations: Vec::new(),
            };
            match kind {
                AttachmentKind::Vpc => {
                    self.vpc_attachment(r, &mut att, ahead.vpc, ahead.subnets);
                    att.state = self.shared_attachment_state(r, &att);
                }
                AttachmentKind::Peering => {
                    att.peer_tgw = self.tgw_peer_link(r);
                    att.state = match str_attr(v, "state") {
                        Some("available") => PeeringState::Active,
                        _ => PeeringState::Inactive(format!(
                            "{} is not accepted: a transit gateway peering attachment needs an accepter on the peer side, even within one account",
                            r.address
                        )),
                    };
                }
                _ => {}
            }
            let idx = self.model.tgw_attachments.len();
            self.model.tgw_attachments.push(att);
            att_of.insert(i, idx);
            if let Some(id) = aws_id {
                by_id.insert(id, idx);
            }
        }
        // The data sources describe attachments the input may also create:
        // the association then names the same attachment twice over.
        for ai in accepters {
            let r = self.raw(ai);
            // The attachment it accepts, never itself (it carries the
            // attachment's ID as its own).
            let f = self
                .lk
                .link(r, "transit_gateway_attachment_id", REQUESTED_TYPES);
            let own = match f {
                Found::Raw(x) => att_of.get(&x).copied(),
                Found::External(ref id) => by_id.get(id).copied(),
                _ => None,
            };
            let peering = r.rtype == "aws_ec2_transit_gateway_peering_attachment_accepter";
            match own {
                Some(a) => {
                    att_of.insert(ai, a);
                    // The accepter accepts it: a peering attachment, or a
                    // VPC attachment from another account.
                    self.model.tgw_attachments[a].state = PeeringState::Active;
                }
                None => {
                    // The attachment was requested outside this input.
                    let tgw = self.tgw_link(r, "transit_gateway_id");
                    let mut att = TgwAttachment {
                        address: r.address.clone(),
                        aws_id: str_attr(&r.values, "transit_gateway_attachment_id")
                            .or_else(|| str_attr(&r.values, "id"))
                            .map(str::to_string),
                        kind: if peering {
                            AttachmentKind::Peering
                        } else {
                            AttachmentKind::Vpc
                        },
                        tgw,
                        peer_tgw: Link::None,
                        vpc: Link::None,
                        subnets: Vec::new(),
                        subnets_unknown: None,
                        ipv6: false,
                        appliance_mode: false,
                        appliance_mode_unknown: false,
                        sg_referencing: true,
                        state: PeeringState::Active,
                        associations: Vec::new(),
                    };
                    if peering {
                        att.peer_tgw = self.tgw_peer_link(r);
                    } else {
                        let vpc = self.lk.link(r, "vpc_id", VPC_TYPES);
                        let subnets = self.lk.link_set(r, "subnet_ids", SUBNET_TYPES);
                        self.vpc_attachment(r, &mut att, vpc, subnets);
                    }
                    let idx = self.model.tgw_attachments.len();
                    self.model.tgw_attachments.push(att);
                    att_of.insert(ai, idx);
                }
            }
        }
        att_of
    }

    /// A VPC attachment requested from another account than the transit
    /// gateway's stays `pendingAcceptance` until the gateway's owner accepts
    /// it, unless the gateway accepts shared attachments by itself
    /// (`auto_accept_shared_attachments`, off by default). Decided only
    /// where the input tells both accounts and the gateway; an accepter in
    /// the input makes it active (see the accepters above).
    fn shared_attachment_state(&self, r: &RawResource, att: &TgwAttachment) -> PeeringState {
        let Link::To(t) = att.tgw else {
            return PeeringState::Active;
        };
        let tgw = &self.model.transit_gateways[t];
        let mine = match att.vpc.index().map(|v| &self.model.vpcs[v].account) {
            Some(known @ Told::Known { .. }) => known.clone(),
            _ => self.places.provider_account(&self.lk, r),
        };
        let (Some(requester), Some(owner)) = (mine.value(), tgw.account.value()) else {
            return PeeringState::Active;
        };
        if requester == owner {
            return PeeringState::Active;
        }
        match &tgw.accepts_shared {
            Ok(true) => PeeringState::Active,
            Err(why) => PeeringState::Undetermined(why.clone()),
            Ok(false) => PeeringState::Undetermined(format!(
                "{} attaches a VPC of account {requester} to {}, which account {owner} owns and \
                 which does not accept shared attachments by itself (auto_accept_shared_attachments \
                 is not enable); no accepter in the input accepts it, so it stays \
                 pendingAcceptance unless account {owner} accepts it outside this input",
                r.address, tgw.address
            )),
        }
    }

    fn tgw_peer_link(&mut self, r: &RawResource) -> Link {
        let f = self.lk.link(r, "peer_transit_gateway_id", TGW_TYPES);
        match self.link_of(f, |b| &b.gw_of, "transit gateway") {
            Link::To(g) => self.model.gateways[g]
                .transit_gateway
                .map_or(Link::None, Link::To),
            other => other,
        }
    }

    /// Fills the VPC side of a VPC attachment.
    /// Fills in a VPC attachment from what its `vpc_id` and `subnet_ids`
    /// were found to name.
    fn vpc_attachment(
        &mut self,
        r: &RawResource,
        att: &mut TgwAttachment,
        vpc: Found,
        subnets: Vec<Found>,
    ) {
        let v = &r.values;
        att.vpc = self.link_of(vpc, |b| &b.vpc_of, "VPC");
        self.unresolved_finding(&r.address, &att.vpc);
        for f in subnets {
            match self.link_of(f, |b| &b.subnet_of, "subnet") {
                Link::To(s) => {
                    if !att.subnets.contains(&s) {
                        att.subnets.push(s);
                    }
                }
                Link::Unresolved(why) => {
                    att.subnets_unknown.get_or_insert(why);
                }
                Link::External(id) => {
                    att.subnets_unknown
                        .get_or_insert(format!("subnet {id} of {} is not in the input", r.address));
                }
                Link::None => {}
            }
        }
        if v.get("subnet_ids").is_some_and(is_unknown)
            && att.subnets.is_empty()
            && att.subnets_unknown.is_none()
        {
            att.subnets_unknown = Some(format!(
                "the subnets of {} are not known until apply",
                r.address
            ));
        }
        att.subnets.sort_unstable();
        if att.vpc == Link::None {
            // An accepter names the VPC only once created: its subnets tell.
            if let Some(vi) = att
                .subnets
                .first()
                .and_then(|&s| self.model.subnets[s].vpc.index())
            {
                att.vpc = Link::To(vi);
            }
        }
        att.ipv6 = option(v, "ipv6_support", "ipv_6_support")
            .and_then(flag_value)
            .unwrap_or(false);
        att.sg_referencing = option(
            v,
            "security_group_referencing_support",
            "security_group_referencing_support",
        )
        .and_then(Json::as_str)
            != Some("disable");
        att.appliance_mode_unknown =
            option(v, "appliance_mode_support", "appliance_mode_support").is_some_and(is_unknown);
        att.appliance_mode = option(v, "appliance_mode_support", "appliance_mode_support")
            .and_then(flag_value)
            .unwrap_or(false);
        // One subnet per Availability Zone.
        let mut zones: BTreeMap<String, usize> = BTreeMap::new();
        for &s in &att.subnets {
            if let Some(az) = zone_of(&self.model.subnets[s]).map(str::to_string) {
                if let Some(&other) = zones.get(&az) {
                    self.findings.push(Finding::new(
                        codes::INVALID_RESOURCE,
                        &r.address,
                        format!(
                            "{} has two subnets in {az} ({} and {}); AWS takes one subnet per Availability Zone",
                            r.address, self.model.subnets[other].address, self.model.subnets[s].address
                        ),
                    ));
                } else {
                    zones.insert(az, s);
                }
            }
        }
    }
}

fn flag_value(x: &Json) -> Option<bool> {
    match x {
        Json::Bool(b) => Some(*b),
        Json::String(s) => match &**s {
            "enable" | "true" => Some(true),
            "disable" | "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

impl super::Model {
    /// VPC `v`'s attachment to transit gateway `t`.
    pub fn tgw_attachment_of(&self, v: usize, t: usize) -> Option<usize> {
        self.vpcs[v]
            .attachments
            .iter()
            .copied()
            .find(|&a| self.tgw_attachments[a].tgw == Link::To(t))
    }

    /// A VPC attachment to transit gateway `t` whose VPC is not known: it
    /// could be the attachment of any VPC that has none in the input.
    pub fn unresolved_vpc_attachment(&self, t: usize) -> Option<&TgwAttachment> {
        self.tgw_attachments.iter().find(|a| {
            a.tgw == Link::To(t) && a.kind == AttachmentKind::Vpc && !matches!(a.vpc, Link::To(_))
        })
    }
}

/// The Availability Zone of a subnet, by name or else by ID.
#[inline]
pub fn zone_of(s: &super::Subnet) -> Option<&str> {
    s.availability_zone
        .as_deref()
        .or(s.availability_zone_id.as_deref())
}

/// True when a family can cross attachment `a`.
pub fn carries(att: &TgwAttachment, family: Family) -> bool {
    family == Family::V4 || att.ipv6 || att.kind != AttachmentKind::Vpc
}

/// The raw resource of each attachment, and VPC attachment accepters by
/// the attachment they accept: built once, for every attachment.
struct RawsByAddress {
    /// By attachment: the first raw resource of its address.
    first: Vec<Option<usize>>,
    /// Accepters by `transit_gateway_attachment_id`, in input order.
    accepters: HashMap<String, Vec<usize>>,
}

impl RawsByAddress {
    fn new(b: &Builder<'_>) -> RawsByAddress {
        let atts = &b.model.tgw_attachments;
        let mut first = vec![None; atts.len()];
        let mut accepters: HashMap<String, Vec<usize>> = HashMap::new();
        if atts.is_empty() {
            return RawsByAddress { first, accepters };
        }
        // Only the attachments' addresses are looked up: index those, not
        // every resource's.
        let mut of_address: HashMap<&str, Vec<usize>> = HashMap::new();
        for (a, att) in atts.iter().enumerate() {
            of_address.entry(att.address.as_str()).or_default().push(a);
        }
        for i in 0..b.lk.raw.len() {
            let x = b.raw(i);
            if let Some(owners) = of_address.remove(x.address.as_str()) {
                for a in owners {
                    first[a] = Some(i);
                }
            }
            if x.rtype == "aws_ec2_transit_gateway_vpc_attachment_accepter" {
                if let Some(id) = str_attr(&x.values, "transit_gateway_attachment_id") {
                    accepters.entry(id.to_string()).or_default().push(i);
                }
            }
        }
        RawsByAddress { first, accepters }
    }
}
