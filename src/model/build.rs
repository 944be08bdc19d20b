//! Raw resources to the validated model.
//!
//! Building never fails: a resource that cannot be read becomes a finding
//! and is skipped, and a link that cannot be resolved stays
//! [`Link::Unresolved`] with the reason.

use foldhash::{HashMap, HashMapExt, HashSet};
use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::ingest::Json;

use super::*;
use crate::codes;
use crate::ingest::config::Target as CfgTarget;
use crate::ingest::unknown::{is_unknown, UNKNOWN};
use crate::ingest::{Document, InstanceIndex, Mode, RawResource, View};
use crate::model::nat;
use crate::model::place::{Places, Told};

pub(super) const VPC_TYPES: &[&str] = &["aws_vpc", "aws_default_vpc", "awscc_ec2_vpc"];
pub(super) const SUBNET_TYPES: &[&str] = &["aws_subnet", "aws_default_subnet", "awscc_ec2_subnet"];
pub(super) const RT_TYPES: &[&str] = &[
    "aws_route_table",
    "aws_default_route_table",
    "awscc_ec2_route_table",
];
/// Route table associations of a subnet (or, with `gateway_id`, a gateway).
const SUBNET_ASSOCIATION_TYPES: &[&str] = &[
    "aws_route_table_association",
    "awscc_ec2_subnet_route_table_association",
];
/// What a `route_table_id` can reference in a configuration: a table, or a
/// VPC's `main_route_table_id` / `default_route_table_id` (see
/// `Builder::table_link`).
pub(super) const RT_OR_VPC_TYPES: &[&str] = &[
    "aws_route_table",
    "aws_default_route_table",
    "awscc_ec2_route_table",
    "aws_vpc",
    "aws_default_vpc",
    "awscc_ec2_vpc",
];
const PCX_TYPES: &[&str] = &[
    "aws_vpc_peering_connection",
    "aws_vpc_peering_connection_accepter",
];
pub(super) const GW_TYPES: &[(&str, GatewayKind)] = &[
    ("aws_internet_gateway", GatewayKind::Internet),
    ("awscc_ec2_internet_gateway", GatewayKind::Internet),
    ("aws_nat_gateway", GatewayKind::Nat),
    ("awscc_ec2_nat_gateway", GatewayKind::Nat),
    ("aws_egress_only_internet_gateway", GatewayKind::EgressOnly),
    ("aws_vpn_gateway", GatewayKind::VpnGateway),
    ("aws_ec2_transit_gateway", GatewayKind::TransitGateway),
    ("awscc_ec2_transit_gateway", GatewayKind::TransitGateway),
    ("aws_vpc_endpoint", GatewayKind::VpcEndpoint),
    ("aws_network_interface", GatewayKind::NetworkInterface),
    ("aws_instance", GatewayKind::Instance),
];

/// Network resource types that are recognised but not modelled: reported
/// once each, so nobody mistakes silence for analysis.
fn unmodelled(t: &str) -> bool {
    const MODELLED_TGW: &[&str] = &[
        "aws_ec2_transit_gateway_route_table",
        "aws_ec2_transit_gateway_route_table_association",
        "aws_ec2_transit_gateway_route_table_propagation",
        "aws_ec2_transit_gateway_route",
        "aws_ec2_transit_gateway_vpc_attachment",
        "aws_ec2_transit_gateway_vpc_attachment_accepter",
        "aws_ec2_transit_gateway_peering_attachment",
        "aws_ec2_transit_gateway_peering_attachment_accepter",
        "aws_ec2_transit_gateway_vpn_attachment",
        "aws_ec2_transit_gateway_dx_gateway_attachment",
        "aws_ec2_transit_gateway_connect",
    ];
    const MODELLED_AWSCC: &[&str] = &[
        "awscc_ec2_vpc",
        "awscc_ec2_subnet",
        "awscc_ec2_route_table",
        "awscc_ec2_route",
        "awscc_ec2_subnet_route_table_association",
        "awscc_ec2_internet_gateway",
        "awscc_ec2_nat_gateway",
        "awscc_ec2_transit_gateway",
        "awscc_ec2_vpc_cidr_block",
        "awscc_ec2_network_acl",
        "awscc_ec2_network_acl_entry",
        "awscc_ec2_subnet_network_acl_association",
        "awscc_ec2_transit_gateway_attachment",
        "awscc_ec2_transit_gateway_vpc_attachment",
        "awscc_ec2_transit_gateway_route_table",
        "awscc_ec2_transit_gateway_route_table_association",
        "awscc_ec2_transit_gateway_route_table_propagation",
        "awscc_ec2_transit_gateway_route",
        "awscc_ec2_vpc_endpoint",
        "awscc_ec2_vpc_endpoint_service",
        "awscc_ec2_security_group",
        "awscc_ec2_security_group_ingress",
        "awscc_ec2_security_group_egress",
    ];
    (t.starts_with("aws_ec2_transit_gateway_") && !MODELLED_TGW.contains(&t))
        || (t.starts_with("awscc_ec2_") && !MODELLED_AWSCC.contains(&t))
}

/// The result of following one link attribute.
#[derive(Debug, Clone)]
pub(super) enum Found {
    /// A resource of the view (index into the raw list).
    Raw(usize),
    /// A resource the link is assumed to lead to, with the assumption said.
    Assumed(usize, String),
    External(String),
    /// A known ID of an object the plan deletes: (id, address).
    Deleted(String, String),
    Unresolved(String),
    None,
}

pub(super) struct Linker<'a> {
    /// The resources of the view: one document's, or those of every
    /// document of an estate one after the other (`estate.rs`).
    pub(super) raw: &'a [RawResource],
    /// The documents `raw` comes from, each with its own configuration.
    parts: Vec<Part<'a>>,
    /// Known AWS ID -> raw resource indices carrying it, over every document.
    ids: HashMap<String, Vec<usize>>,
    deleted: HashMap<String, String>,
}

/// One document as the linker reads it: references through its
/// `configuration` resolve within it; IDs link across documents.
pub(super) struct Part<'a> {
    pub(super) doc: &'a Document,
    /// The view it is read in (each document of an estate has its own:
    /// `diff` reads the plan under review in both and the others as they are).
    pub(super) view: View,
    /// Where its resources sit in [`Linker::raw`].
    pub(super) range: std::ops::Range<usize>,
    /// Its instances, by their position in the document's own view: built
    /// the first time a link is followed through the configuration (a plan
    /// whose IDs are all known may never need it). See [`Part::index`].
    pub(super) index: OnceLock<InstanceIndex<'a>>,
    /// The document's position of a resource -> its index in
    /// [`Linker::raw`] (a resource seen twice maps to the one kept);
    /// `None` when they are the same (one document).
    pub(super) global: Option<Vec<usize>>,
}

impl<'a> Part<'a> {
    /// The document's instances, by their position in its own view.
    fn index(&self) -> &InstanceIndex<'a> {
        self.index
            .get_or_init(|| InstanceIndex::build(&self.doc.view(self.view).resources))
    }

    /// The index in [`Linker::raw`] of the resource at `i` in the
    /// document's own view.
    fn to_raw(&self, i: usize) -> usize {
        self.global.as_ref().map_or(i, |g| g[i])
    }
}

/// The attributes that hold a resource's own AWS ID (not those of what it
/// links to): `id`, and for some types another name.
pub(super) fn own_id_attrs(rtype: &str) -> impl Iterator<Item = &'static str> {
    let other = match rtype {
        "awscc_ec2_vpc" => Some("vpc_id"),
        "awscc_ec2_subnet" => Some("subnet_id"),
        "awscc_ec2_route_table" => Some("route_table_id"),
        "awscc_ec2_internet_gateway" => Some("internet_gateway_id"),
        "awscc_ec2_nat_gateway" => Some("nat_gateway_id"),
        "awscc_ec2_transit_gateway" => Some("transit_gateway_id"),
        "aws_default_route_table" => Some("default_route_table_id"),
        "aws_default_network_acl" => Some("default_network_acl_id"),
        "aws_default_security_group" => Some("id"),
        "awscc_ec2_transit_gateway_route_table" => Some("transit_gateway_route_table_id"),
        "awscc_ec2_transit_gateway_attachment" | "awscc_ec2_transit_gateway_vpc_attachment" => {
            Some("transit_gateway_attachment_id")
        }
        "awscc_ec2_security_group" => Some("group_id"),
        "awscc_ec2_vpc_endpoint" => Some("vpc_endpoint_id"),
        "awscc_ec2_network_acl" => Some("network_acl_id"),
        "aws_vpn_connection"
        | "aws_ec2_transit_gateway_vpc_attachment_accepter"
        | "aws_ec2_transit_gateway_peering_attachment_accepter" => {
            Some("transit_gateway_attachment_id")
        }
        "aws_vpc_endpoint_service" => Some("service_name"),
        _ => None,
    };
    std::iter::once("id").chain(other)
}

pub(super) fn str_attr<'v>(v: &'v Json, attr: &str) -> Option<&'v str> {
    match v.get(attr) {
        Some(Json::String(s)) if !s.is_empty() && &**s != UNKNOWN => Some(s),
        _ => None,
    }
}

pub(super) fn attr_unknown(v: &Json, attr: &str) -> bool {
    v.get(attr).is_some_and(is_unknown)
}

impl<'a> Linker<'a> {
    /// The linker of one view of one document.
    fn new(doc: &'a Document, view: View) -> Self {
        let vr = doc.view(view);
        let raw = &vr.resources[..];
        let deleted = vr
            .deleted
            .iter()
            .filter_map(|d| str_attr(&d.values, "id").map(|id| (id.to_string(), d.address.clone())))
            .collect();
        let part = Part {
            doc,
            view,
            range: 0..raw.len(),
            index: OnceLock::new(),
            global: None,
        };
        Linker::over(raw, vec![part], deleted)
    }

    /// The linker of `raw`, the resources of the documents `parts` name,
    /// with the deleted objects' IDs and addresses.
    pub(super) fn over(
        raw: &'a [RawResource],
        parts: Vec<Part<'a>>,
        deleted: HashMap<String, String>,
    ) -> Self {
        let mut ids: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, r) in raw.iter().enumerate() {
            for a in own_id_attrs(&r.rtype) {
                if let Some(id) = str_attr(&r.values, a) {
                    let e = ids.entry(id.to_string()).or_default();
                    if !e.contains(&i) {
                        e.push(i);
                    }
                }
            }
        }
        Linker {
            raw,
            parts,
            ids,
            deleted,
        }
    }

    /// The part (document) a resource of [`Linker::raw`] comes from.
    fn part(&self, r: &RawResource) -> &Part<'a> {
        if let [only] = &self.parts[..] {
            return only;
        }
        let at: *const RawResource = r;
        self.parts
            .iter()
            .find(|p| self.raw[p.range.clone()].as_ptr_range().contains(&at))
            .unwrap_or(&self.parts[0])
    }

    /// The documents, in order.
    pub(super) fn parts(&self) -> &[Part<'a>] {
        &self.parts
    }

    /// The position of the document a resource of [`Linker::raw`] comes
    /// from.
    pub(super) fn part_index(&self, r: &RawResource) -> usize {
        let part: *const Part = self.part(r);
        self.parts
            .iter()
            .position(|p| std::ptr::eq(p, part))
            .unwrap_or(0)
    }

    /// The document a resource of [`Linker::raw`] comes from: its
    /// configuration and variables are the ones that describe it.
    pub(super) fn doc(&self, r: &RawResource) -> &'a Document {
        self.part(r).doc
    }

    pub(super) fn by_id(&self, id: &str, types: &[&str]) -> Found {
        if let Some(c) = self.ids.get(id) {
            if let Some(&i) = c
                .iter()
                .find(|&&i| types.contains(&self.raw[i].rtype.as_str()))
            {
                return Found::Raw(i);
            }
        }
        if let Some(addr) = self.deleted.get(id) {
            return Found::Deleted(id.to_string(), addr.clone());
        }
        Found::External(id.to_string())
    }

    /// Follows the configuration's references for an unknown attribute.
    pub(super) fn via_config(&self, r: &RawResource, path: &[&str], types: &[&str]) -> Vec<Found> {
        let part = self.part(r);
        let cfg = &part.doc.config;
        match cfg.resolve(r, path, part.index(), &part.doc.variables) {
            Err(why) => {
                if cfg.through_local(r, path) {
                    if let Some(i) = self.sole_in_module(r, types) {
                        return vec![Found::Assumed(i, format!(
                            "`{}` of {} is not known until apply and goes through a local value, which the plan does not record; tfreach assumes it is {}, the only {} in {}",
                            path.join("."),
                            r.address,
                            self.raw[i].address,
                            self.raw[i].rtype,
                            if r.module.is_empty() { "the root module" } else { &r.module }
                        ))];
                    }
                }
                vec![Found::Unresolved(format!(
                    "`{}` of {} is not known until apply and {why}",
                    path.join("."),
                    r.address
                ))]
            }
            Ok(targets) => {
                let mut out = Vec::new();
                for t in targets {
                    let t = match t {
                        CfgTarget::Instance(i) => CfgTarget::Instance(part.to_raw(i)),
                        CfgTarget::Aligned(i, why) => CfgTarget::Aligned(part.to_raw(i), why),
                        t => t,
                    };
                    match t {
                        CfgTarget::Instance(i) if types.contains(&self.raw[i].rtype.as_str()) => {
                            out.push(Found::Raw(i))
                        }
                        CfgTarget::Aligned(i, why)
                            if types.contains(&self.raw[i].rtype.as_str()) =>
                        {
                            out.push(Found::Assumed(
                                i,
                                format!(
                                    "`{}` of {} is not known until apply and {why}; tfreach assumes the instance with the same key, {}",
                                    path.join("."),
                                    r.address,
                                    self.raw[i].address
                                ),
                            ))
                        }
                        CfgTarget::Instance(_) | CfgTarget::Aligned(..) => {}
                        CfgTarget::Literal(id) => out.push(self.by_id(&id, types)),
                    }
                }
                if out.is_empty() {
                    out.push(Found::Unresolved(format!(
                        "`{}` of {} is not known until apply and its references lead to no {}",
                        path.join("."),
                        r.address,
                        types.join(" or ")
                    )));
                }
                out
            }
        }
    }

    /// The only resource of the given types in the module instance of `r`.
    fn sole_in_module(&self, r: &RawResource, types: &[&str]) -> Option<usize> {
        let mut it = self.part(r).range.clone().filter(|&i| {
            let x = &self.raw[i];
            x.module == r.module && types.contains(&x.rtype.as_str())
        });
        let first = it.next()?;
        it.next().is_none().then_some(first)
    }

    /// Follows the single-valued link attribute `attr` of each of the
    /// resources `of` (indices into [`Linker::raw`]), on every core: what
    /// [`Linker::link`] finds for each, in order. A greenfield estate
    /// follows most of its links through the configuration, and these are
    /// the most numerous.
    pub(super) fn links(&self, of: &[usize], attr: &str, types: &[&str]) -> Vec<Found> {
        self.read_each(of, |r| self.link(r, attr, types))
    }

    /// `read` of each of the resources `of` (indices into
    /// [`Linker::raw`]), on every core, in order. Following links only
    /// reads the documents, so it can run beside the build's serial steps'
    /// order and give what they would have found.
    pub(super) fn read_each<T: Send>(
        &self,
        of: &[usize],
        read: impl Fn(&'a RawResource) -> T + Sync,
    ) -> Vec<T> {
        use rayon::prelude::*;
        let raw: &'a [RawResource] = self.raw;
        of.par_iter()
            .with_min_len(256)
            .map(|&i| read(&raw[i]))
            .collect()
    }

    /// Follows a single-valued link attribute.
    pub(super) fn link(&self, r: &RawResource, attr: &str, types: &[&str]) -> Found {
        match r.values.get(attr) {
            Some(v) if is_unknown(v) => {
                let mut found = self.via_config(r, &[attr], types);
                if found.len() == 1 {
                    found.pop().unwrap_or(Found::None)
                } else {
                    Found::Unresolved(format!(
                        "`{attr}` of {} is not known until apply and its expression could \
                         refer to any of several resources",
                        r.address
                    ))
                }
            }
            Some(Json::String(s)) if !s.is_empty() => self.by_id(s, types),
            _ => Found::None,
        }
    }

    /// [`Linker::link_set`] of an optional set that AWS computes when the
    /// configuration leaves it out (an ACL's or an endpoint's subnets, an
    /// endpoint's route tables or security groups): unknown until apply and
    /// not set in the configuration, it names nothing.
    pub(super) fn optional_set(&self, r: &RawResource, attr: &str, types: &[&str]) -> Vec<Found> {
        match r.values.get(attr) {
            Some(x) if is_unknown(x) && !self.doc(r).config.is_configured(r, attr) => Vec::new(),
            _ => self.link_set(r, attr, types),
        }
    }

    /// Follows a set-valued link attribute (`subnet_ids`, `route_table_ids`).
    pub(super) fn link_set(&self, r: &RawResource, attr: &str, types: &[&str]) -> Vec<Found> {
        match r.values.get(attr) {
            Some(v) if is_unknown(v) => self.via_config(r, &[attr], types),
            Some(Json::Array(items)) => {
                let mut out: Vec<Found> = items
                    .iter()
                    .filter_map(Json::as_str)
                    .filter(|s| !s.is_empty() && *s != UNKNOWN)
                    .map(|s| self.by_id(s, types))
                    .collect();
                if items.iter().any(is_unknown) {
                    for f in self.via_config(r, &[attr], types) {
                        let dup = out
                            .iter()
                            .any(|o| matches!((o, &f), (Found::Raw(a), Found::Raw(b)) if a == b));
                        if !dup {
                            out.push(f);
                        }
                    }
                }
                out
            }
            _ => Vec::new(),
        }
    }
}

/// The model builder's state.
pub(super) struct Builder<'a> {
    pub(super) lk: Linker<'a>,
    pub(super) model: Model,
    pub(super) findings: Vec<Finding>,
    pub(super) vpc_of: HashMap<usize, usize>,
    pub(super) subnet_of: HashMap<usize, usize>,
    pub(super) rt_of: HashMap<usize, usize>,
    pcx_of: HashMap<usize, usize>,
    pub(super) gw_of: HashMap<usize, usize>,
    /// Security groups: raw index -> group index.
    pub(super) sg_of: HashMap<usize, usize>,
    /// Assumed links, by the resource assumed: one finding each.
    assumed: BTreeMap<String, Vec<String>>,
    /// Each VPC's main route table before any main route table
    /// association: the one AWS created (or `aws_default_route_table`).
    original_main: HashMap<usize, usize>,
    /// Main tables of existing VPCs taken as AWS creates them: (VPC,
    /// table, default VPC).
    assumed_main: Vec<(usize, usize, bool)>,
    /// Where each document's providers work (account, Region).
    pub(super) places: Places,
}

/// Builds the model of one view of a document.
pub fn build(doc: &Document, view: View) -> Built {
    run(Linker::new(doc, view), Vec::new())
}

/// Builds the model of what the linker holds, after `findings` (those of
/// putting an estate's documents together).
pub(super) fn run(lk: Linker<'_>, findings: Vec<Finding>) -> Built {
    let mut b = Builder {
        lk,
        model: Model::default(),
        findings,
        vpc_of: HashMap::new(),
        subnet_of: HashMap::new(),
        rt_of: HashMap::new(),
        pcx_of: HashMap::new(),
        gw_of: HashMap::new(),
        sg_of: HashMap::new(),
        assumed: BTreeMap::new(),
        original_main: HashMap::new(),
        assumed_main: Vec::new(),
        places: Places::default(),
    };
    b.places = Places::gather(&b.lk);
    b.vpcs();
    b.vpc_cidr_associations();
    b.subnets();
    b.gateways();
    b.public_addresses();
    b.edge_associations();
    b.route_tables();
    b.peerings();
    b.endpoints();
    b.routes();
    b.remove_deleted_inline_routes();
    b.refused_routes();
    b.expand_prefix_lists();
    b.associations();
    b.local_routes();
    b.network_acls();
    b.transit_gateways();
    b.on_prem();
    b.workloads();
    b.devices();
    b.check_routes();
    b.report_unmodelled();
    let Builder {
        mut model,
        mut findings,
        assumed,
        ..
    } = b;
    for t in &mut model.route_tables {
        t.reindex();
    }
    for (target, whys) in assumed {
        let more = match whys.len() {
            1 => String::new(),
            n => format!(" (and {} more links the same way)", n - 1),
        };
        findings.push(Finding::new(
            codes::ASSUMED_REFERENCE,
            target,
            format!("{}{more}", whys[0]),
        ));
    }
    Built { model, findings }
}

/// The target attributes of a route, in the order a known one is looked for.
const TARGET_ATTRS: &[&str] = &[
    "vpc_peering_connection_id",
    "transit_gateway_id",
    "nat_gateway_id",
    "gateway_id",
    "egress_only_gateway_id",
    "network_interface_id",
    "vpc_endpoint_id",
    "instance_id",
    "carrier_gateway_id",
    "local_gateway_id",
    "core_network_arn",
    "odb_network_arn",
];

/// Which target attribute of a route (values `v` of resource `r`, or an
/// inline route of it under `config_path`) names its target.
enum TargetAttr {
    /// A known one, with its ID: a known target wins (computed target
    /// attributes of `aws_route`, `instance_id` and `network_interface_id`,
    /// are unknown on create).
    Known(&'static str, String),
    /// An unknown one, to be followed through the configuration.
    Unknown(&'static str),
    /// None that tfreach can read.
    None,
}

fn target_attr(lk: &Linker<'_>, r: &RawResource, v: &Json, config_path: &[&str]) -> TargetAttr {
    if let Some((attr, id)) = TARGET_ATTRS
        .iter()
        .find_map(|a| str_attr(v, a).map(|s| (*a, s.to_string())))
    {
        return TargetAttr::Known(attr, id);
    }
    let unknown: Vec<&'static str> = TARGET_ATTRS
        .iter()
        .copied()
        .filter(|a| attr_unknown(v, a))
        .collect();
    let cfg = &lk.doc(r).config;
    let chosen = if config_path.is_empty() {
        unknown
            .iter()
            .copied()
            .find(|a| cfg.is_configured(r, a))
            .or_else(|| (unknown.len() == 1).then(|| unknown[0]))
    } else {
        unknown
            .iter()
            .copied()
            .find(|a| !matches!(*a, "instance_id" | "network_interface_id"))
            .or_else(|| unknown.first().copied())
    };
    chosen.map_or(TargetAttr::None, TargetAttr::Unknown)
}

/// The attribute that names a route's target and, when it is unknown,
/// what its configuration leads to ([`target_found`]). It only reads the
/// documents.
fn targeted(
    lk: &Linker<'_>,
    r: &RawResource,
    v: &Json,
    config_path: &[&str],
) -> (TargetAttr, Vec<Found>) {
    let attr = target_attr(lk, r, v, config_path);
    let found = match attr {
        TargetAttr::Unknown(a) => target_found(lk, r, a, config_path),
        _ => Vec::new(),
    };
    (attr, found)
}

/// What the configuration of route target `attr` of `r` leads to (the
/// inline route list's merged expression under `config_path`, when it is
/// not empty): peering connections or gateways.
fn target_found(lk: &Linker<'_>, r: &RawResource, attr: &str, config_path: &[&str]) -> Vec<Found> {
    let types: Vec<&str> = if attr == "vpc_peering_connection_id" {
        PCX_TYPES.to_vec()
    } else {
        GW_TYPES.iter().map(|(t, _)| *t).collect()
    };
    let path: Vec<&str> = if config_path.is_empty() {
        vec![attr]
    } else {
        config_path.to_vec()
    };
    lk.via_config(r, &path, &types)
}

/// Is an unknown CIDR attribute going to hold a block after apply? The
/// IPv6 blocks are optional and computed: unknown on create even when none
/// is asked for.
fn cidr_will_exist(doc: &Document, r: &RawResource, attr: &str) -> bool {
    let cfg = &doc.config;
    let v = &r.values;
    let on = |a: &str| {
        v.get(a)
            .is_some_and(|x| x == &Json::Bool(true) || is_unknown(x))
    };
    let set = |a: &str| str_attr(v, a).is_some() || attr_unknown(v, a) || cfg.is_configured(r, a);
    match (r.rtype.as_str(), attr) {
        (_, "ipv6_cidr_block") if VPC_TYPES.contains(&r.rtype.as_str()) => {
            on("assign_generated_ipv6_cidr_block")
                || set("ipv6_ipam_pool_id")
                || cfg.is_configured(r, attr)
        }
        ("aws_vpc_ipv6_cidr_block_association", _) => true,
        (_, "ipv6_cidr_block") => {
            cfg.is_configured(r, attr) || on("assign_ipv6_address_on_creation") || on("ipv6_native")
        }
        _ => true,
    }
}

pub(super) fn parse_cidr(
    v: &Json,
    attr: &str,
    r: &RawResource,
    into: &mut Cidrs,
    findings: &mut Vec<Finding>,
) -> bool {
    match v.get(attr) {
        Some(x) if is_unknown(x) => {
            into.unknown.get_or_insert_with(|| {
                format!("`{attr}` of {} is not known until apply", r.address)
            });
            true
        }
        Some(Json::String(s)) if !s.is_empty() => match s.parse::<Prefix>() {
            Ok(p) => {
                let blocks = match p.family {
                    Family::V4 => &mut into.v4,
                    Family::V6 => &mut into.v6,
                };
                // Most resources have one block per family: room for that
                // one only (a first push would make room for four).
                blocks.reserve_exact(1);
                blocks.push(p);
                true
            }
            Err(e) => {
                findings.push(Finding::new(
                    codes::INVALID_RESOURCE,
                    &r.address,
                    format!("`{attr}`: {e}; the resource is skipped"),
                ));
                false
            }
        },
        Some(Json::String(_)) | Some(Json::Null) | None => true,
        Some(other) => {
            findings.push(Finding::new(
                codes::INVALID_RESOURCE,
                &r.address,
                format!("`{attr}`: expected a CIDR block string, found {other}; the resource is skipped"),
            ));
            false
        }
    }
}

impl<'a> Builder<'a> {
    /// A raw resource, borrowed for as long as the input lives (not
    /// through `self`, so the builder can be changed while it is held).
    pub(super) fn raw(&self, i: usize) -> &'a RawResource {
        let raw: &'a [RawResource] = self.lk.raw;
        &raw[i]
    }

    pub(super) fn managed_or_data(&self, i: usize, types: &[&str]) -> bool {
        types.contains(&self.raw(i).rtype.as_str())
    }

    /// The resources of the given types (indices into the raw list), in
    /// document order.
    pub(super) fn all_of(&self, types: &[&str]) -> Vec<usize> {
        (0..self.lk.raw.len())
            .filter(|&i| self.managed_or_data(i, types))
            .collect()
    }

    pub(super) fn link_of(
        &mut self,
        f: Found,
        map: fn(&Self) -> &HashMap<usize, usize>,
        what: &str,
    ) -> Link {
        let f = self.accept(f);
        match f {
            Found::Raw(i) => match map(self).get(&i) {
                Some(&m) => Link::To(m),
                None => Link::Unresolved(format!(
                    "{} was skipped, so this {what} link cannot be followed",
                    self.raw(i).address
                )),
            },
            Found::External(id) => Link::External(id),
            Found::Deleted(id, addr) => {
                Link::Unresolved(format!("{id} ({addr}) is deleted by this plan"))
            }
            Found::Unresolved(why) => Link::Unresolved(why),
            Found::None | Found::Assumed(..) => Link::None,
        }
    }

    /// Records the assumption behind an assumed link and follows it.
    pub(super) fn accept(&mut self, f: Found) -> Found {
        match f {
            Found::Assumed(i, why) => {
                let at = self.raw(i).address.clone();
                self.assumed.entry(at).or_default().push(why);
                Found::Raw(i)
            }
            f => f,
        }
    }

    pub(super) fn unresolved_finding(&mut self, resource: &str, link: &Link) {
        if let Link::Unresolved(why) = link {
            self.findings.push(Finding::new(
                codes::UNRESOLVED_REFERENCE,
                resource,
                why.clone(),
            ));
        }
    }

    fn vpcs(&mut self) {
        for i in 0..self.lk.raw.len() {
            if !self.managed_or_data(i, VPC_TYPES) {
                continue;
            }
            let r = self.raw(i);
            let v = &r.values;
            let mut cidrs = Cidrs::default();
            let mut ok = parse_cidr(v, "cidr_block", r, &mut cidrs, &mut self.findings);
            // A known block is the VPC's; an unknown one only matters when
            // the configuration asks for a block at all.
            if !attr_unknown(v, "ipv6_cidr_block")
                || cidr_will_exist(self.lk.doc(r), r, "ipv6_cidr_block")
            {
                ok &= parse_cidr(v, "ipv6_cidr_block", r, &mut cidrs, &mut self.findings);
            }
            // Data sources list every associated block.
            if let Some(Json::Array(assocs)) = v.get("cidr_block_associations") {
                for a in assocs {
                    let mut extra = Cidrs::default();
                    if parse_cidr(a, "cidr_block", r, &mut extra, &mut self.findings) {
                        for p in extra.v4 {
                            if !cidrs.v4.contains(&p) {
                                cidrs.v4.push(p);
                            }
                        }
                    }
                }
            }
            if let Some(Json::Array(blocks)) = v.get("ipv_6_cidr_blocks") {
                for b in blocks.iter().filter_map(Json::as_str) {
                    if let Ok(p) = b.parse::<Prefix>() {
                        cidrs.v6.push(p);
                    }
                }
            }
            if !ok {
                continue;
            }
            let idx = self.model.vpcs.len();
            self.model.vpcs.push(Vpc {
                address: r.address.clone(),
                aws_id: str_attr(v, "id")
                    .or_else(|| str_attr(v, "vpc_id"))
                    .map(str::to_string),
                cidrs,
                region: self.places.region(&self.lk, r),
                account: self.places.account(&self.lk, r),
                main_route_table: Link::None,
                subnets: Vec::new(),
                attachments: Vec::new(),
            });
            self.vpc_of.insert(i, idx);
        }
    }

    fn vpc_cidr_associations(&mut self) {
        for i in 0..self.lk.raw.len() {
            let t = self.raw(i).rtype.as_str();
            if !matches!(
                t,
                "aws_vpc_ipv4_cidr_block_association"
                    | "aws_vpc_ipv6_cidr_block_association"
                    | "awscc_ec2_vpc_cidr_block"
            ) {
                continue;
            }
            let r = self.raw(i);
            let f = self.lk.link(r, "vpc_id", VPC_TYPES);
            let link = self.link_of(f, |b| &b.vpc_of, "VPC");
            let Link::To(vpc) = link else {
                self.unresolved_finding(&r.address, &link);
                continue;
            };
            let mut extra = Cidrs::default();
            parse_cidr(&r.values, "cidr_block", r, &mut extra, &mut self.findings);
            parse_cidr(
                &r.values,
                "ipv6_cidr_block",
                r,
                &mut extra,
                &mut self.findings,
            );
            let c = &mut self.model.vpcs[vpc].cidrs;
            for p in extra.v4 {
                if !c.v4.contains(&p) {
                    c.v4.push(p);
                }
            }
            for p in extra.v6 {
                if !c.v6.contains(&p) {
                    c.v6.push(p);
                }
            }
            if let Some(u) = extra.unknown {
                c.unknown.get_or_insert(u);
            }
        }
    }

    fn subnets(&mut self) {
        // The subnets are the most numerous part of the model: room for all
        // of them at once, not twice what the last doubling reached.
        let coming = self.all_of(SUBNET_TYPES);
        self.model.subnets.reserve_exact(coming.len());
        let vpcs = self.lk.links(&coming, "vpc_id", VPC_TYPES);
        for (i, f) in coming.into_iter().zip(vpcs) {
            let r = self.raw(i);
            let v = &r.values;
            let f = self.subnet_vpc(r, f);
            let vpc = self.link_of(f, |b| &b.vpc_of, "VPC");
            let mut cidrs = Cidrs::default();
            let mut ok = parse_cidr(v, "cidr_block", r, &mut cidrs, &mut self.findings);
            // A subnet can hold an IPv6 block only if its VPC has one.
            let vpc_without_v6 = vpc.index().is_some_and(|vi| {
                let c = &self.model.vpcs[vi].cidrs;
                c.v6.is_empty() && c.unknown.is_none()
            });
            let v6_unknown = attr_unknown(v, "ipv6_cidr_block");
            if !(v6_unknown
                && (vpc_without_v6 || !cidr_will_exist(self.lk.doc(r), r, "ipv6_cidr_block")))
            {
                ok &= parse_cidr(v, "ipv6_cidr_block", r, &mut cidrs, &mut self.findings);
            }
            if !ok {
                continue;
            }
            if cidrs.v4.is_empty() && cidrs.v6.is_empty() && cidrs.unknown.is_none() {
                cidrs.unknown = Some(format!("{} has no CIDR block in the input", r.address));
            }
            self.unresolved_finding(&r.address, &vpc);
            let idx = self.model.subnets.len();
            if let Link::To(vi) = vpc {
                self.model.vpcs[vi].subnets.push(idx);
            }
            self.model.subnets.push(Subnet {
                address: r.address.clone(),
                aws_id: str_attr(v, "id")
                    .or_else(|| str_attr(v, "subnet_id"))
                    .map(str::to_string),
                vpc,
                cidrs,
                availability_zone: str_attr(v, "availability_zone").map(str::to_string),
                availability_zone_id: str_attr(v, "availability_zone_id").map(str::to_string),
                route_table: Link::None,
                explicit_association: false,
                network_acl: Link::None,
                attachments: Vec::new(),
                devices: Vec::new(),
                public_ipv4: super::internet::PublicIpv4 {
                    on_launch: super::internet::on_launch(v, r.rtype == "aws_default_subnet"),
                    holders: Vec::new(),
                },
                assigns_ipv6: super::internet::assigns_ipv6(v),
            });
            self.subnet_of.insert(i, idx);
        }
    }

    fn gateways(&mut self) {
        let gateways: Vec<(usize, GatewayKind)> = (0..self.lk.raw.len())
            .filter_map(|i| {
                let r = self.raw(i);
                if r.mode == Mode::Data
                    && r.rtype != "aws_nat_gateway"
                    && r.rtype != "aws_internet_gateway"
                {
                    return None;
                }
                let &(_, kind) = GW_TYPES.iter().find(|(t, _)| *t == r.rtype)?;
                Some((i, kind))
            })
            .collect();
        // Their VPCs and subnets, followed on every core.
        let at: Vec<usize> = gateways.iter().map(|&(i, _)| i).collect();
        let vpcs = self.lk.links(&at, "vpc_id", VPC_TYPES);
        let subnets = self.lk.links(&at, "subnet_id", SUBNET_TYPES);
        for (((i, kind), fv), fs) in gateways.into_iter().zip(vpcs).zip(subnets) {
            let r = self.raw(i);
            let vpc = self.link_of(fv, |b| &b.vpc_of, "VPC");
            let subnet = self.link_of(fs, |b| &b.subnet_of, "subnet");
            let idx = self.model.gateways.len();
            self.model.gateways.push(Gateway {
                address: r.address.clone(),
                aws_id: str_attr(&r.values, "id").map(str::to_string),
                kind,
                vpc,
                subnet,
                private: str_attr(&r.values, "connectivity_type") == Some("private"),
                private_ip: nat::private_ip(r),
                endpoint: None,
                transit_gateway: None,
            });
            self.gw_of.insert(i, idx);
        }
    }

    fn route_tables(&mut self) {
        // Managed tables and `aws_route_table` data sources alike.
        let at = self.all_of(RT_TYPES);
        // Their VPCs, followed on every core (a default table's is read
        // from its VPC below).
        let vpcs = self.lk.read_each(&at, |r| {
            (r.rtype != "aws_default_route_table").then(|| self.lk.link(r, "vpc_id", VPC_TYPES))
        });
        for (i, fv) in at.into_iter().zip(vpcs) {
            let r = self.raw(i);
            let vpc = match fv {
                None => self.default_table_vpc(r),
                Some(f) => self.link_of(f, |b| &b.vpc_of, "VPC"),
            };
            self.unresolved_finding(&r.address, &vpc);
            let aws_id = str_attr(&r.values, "id")
                .or_else(|| str_attr(&r.values, "route_table_id"))
                .or_else(|| str_attr(&r.values, "default_route_table_id"))
                .map(str::to_string);
            let idx = self.model.route_tables.len();
            self.model.route_tables.push(RouteTable {
                address: r.address.clone(),
                aws_id,
                vpc: vpc.clone(),
                routes: Vec::new(),
                routes_unknown: None,
                propagating: matches!(r.values.get("propagating_vgws"), Some(Json::Array(a)) if !a.is_empty()),
                index: TableIndex::default(),
            });
            self.rt_of.insert(i, idx);
            if r.rtype == "aws_default_route_table" {
                if let Link::To(v) = vpc {
                    // It is the main table unless an association says otherwise.
                    if self.model.vpcs[v].main_route_table == Link::None {
                        self.model.vpcs[v].main_route_table = Link::To(idx);
                    }
                }
            }
        }
        // Main tables named by the VPC itself.
        for (&ri, &vi) in &self.vpc_of.clone() {
            if self.model.vpcs[vi].main_route_table != Link::None {
                continue;
            }
            let r = self.raw(ri);
            let default_vpc = r.rtype == "aws_default_vpc";
            let known_id = match r.values.get("main_route_table_id") {
                Some(Json::String(s)) if !s.is_empty() && &**s != UNKNOWN => Some(&**s),
                _ => None,
            };
            let link = match known_id {
                Some(id) => {
                    let f = self.lk.by_id(id, RT_TYPES);
                    match self.link_of(f, |b| &b.rt_of, "route table") {
                        // An existing VPC whose main table the input does
                        // not hold: AWS made it with the local routes only.
                        Link::External(id) => {
                            Link::To(self.assumed_main_table(vi, Some(id), default_vpc))
                        }
                        l => l,
                    }
                }
                // A VPC being created starts with a main table that holds
                // only the local routes: certain, nothing to assume.
                None if attr_unknown(&r.values, "main_route_table_id") => {
                    Link::To(self.synthetic_main_table(vi, None))
                }
                None if r.rtype == "aws_vpc" && r.mode == Mode::Managed => {
                    Link::To(self.synthetic_main_table(vi, None))
                }
                // An existing VPC that names no main table (a default VPC, a
                // data source or a Cloud Control VPC without the attribute).
                None => Link::To(self.assumed_main_table(vi, None, default_vpc)),
            };
            self.model.vpcs[vi].main_route_table = link;
        }
        for (vi, vpc) in self.model.vpcs.iter().enumerate() {
            if let Link::To(t) = vpc.main_route_table {
                self.original_main.insert(vi, t);
            }
        }
    }

    /// The main route table AWS creates with a VPC, holding only the local
    /// routes (added later with every other table's).
    fn synthetic_main_table(&mut self, vpc: usize, aws_id: Option<String>) -> usize {
        let idx = self.model.route_tables.len();
        self.model.route_tables.push(RouteTable {
            address: format!("{} (main route table)", self.model.vpcs[vpc].address),
            aws_id,
            vpc: Link::To(vpc),
            routes: Vec::new(),
            routes_unknown: None,
            propagating: false,
            index: TableIndex::default(),
        });
        idx
    }

    /// The main route table of an existing VPC that the input does not
    /// hold: taken to be as AWS creates it (the local routes; a default VPC
    /// also sends 0.0.0.0/0 to its internet gateway), which is an
    /// assumption, reported once the table decides some subnet's traffic.
    fn assumed_main_table(
        &mut self,
        vpc: usize,
        aws_id: Option<String>,
        default_vpc: bool,
    ) -> usize {
        let idx = self.synthetic_main_table(vpc, aws_id);
        if default_vpc {
            if let Ok(p) = "0.0.0.0/0".parse::<Prefix>() {
                let table = &mut self.model.route_tables[idx];
                table.routes.push(Route {
                    resource: table.address.clone(),
                    dest: Dest::Cidr(p),
                    target: Target::Gateway {
                        kind: GatewayKind::Internet,
                        link: Link::External(format!(
                            "internet gateway of {}",
                            self.model.vpcs[vpc].address
                        )),
                        label: format!("the internet gateway of {}", self.model.vpcs[vpc].address),
                    },
                    origin: Origin::Static,
                });
            }
        }
        self.assumed_main.push((vpc, idx, default_vpc));
        idx
    }

    /// A route table link, with the two ways of naming a table the input
    /// does not hold as a resource: the ID of a main table the builder made
    /// for an existing VPC, and a reference to a VPC's
    /// `main_route_table_id` / `default_route_table_id` (the table AWS
    /// created with it) in a plan where that ID is not known yet.
    pub(super) fn table_link(&mut self, f: Found) -> Link {
        if let Found::Raw(i) = &f {
            if let Some(v) = self.vpc_of.get(i) {
                return match self.original_main.get(v) {
                    Some(&t) => Link::To(t),
                    None => Link::Unresolved(format!(
                        "the main route table of {} cannot be told",
                        self.model.vpcs[*v].address
                    )),
                };
            }
        }
        match self.link_of(f, |b| &b.rt_of, "route table") {
            // Only assumed main tables carry the ID of a table that is not
            // a resource of the input.
            Link::External(id) => match self
                .assumed_main
                .iter()
                .find(|&&(_, t, _)| self.model.route_tables[t].aws_id.as_deref() == Some(&id))
            {
                Some(&(_, t, _)) => Link::To(t),
                None => Link::External(id),
            },
            l => l,
        }
    }

    fn default_table_vpc(&mut self, r: &RawResource) -> Link {
        if let Some(vpc_id) = str_attr(&r.values, "vpc_id") {
            let f = self.lk.by_id(vpc_id, VPC_TYPES);
            return self.link_of(f, |b| &b.vpc_of, "VPC");
        }
        match r.values.get("default_route_table_id") {
            Some(Json::String(s)) if !s.is_empty() && &**s != UNKNOWN => {
                for (&ri, &vi) in &self.vpc_of {
                    if str_attr(&self.raw(ri).values, "default_route_table_id") == Some(s) {
                        return Link::To(vi);
                    }
                }
                Link::External(s.to_string())
            }
            _ => {
                let found = self
                    .lk
                    .via_config(r, &["default_route_table_id"], VPC_TYPES);
                match found.as_slice() {
                    [f] => self.link_of(f.clone(), |b| &b.vpc_of, "VPC"),
                    _ => Link::Unresolved(format!(
                        "`default_route_table_id` of {} is not known until apply and its VPC cannot be told",
                        r.address
                    )),
                }
            }
        }
    }

    fn peerings(&mut self) {
        // Requesters first, then accepters that name a peering outside the input.
        let mut accepters: Vec<usize> = Vec::new();
        // The requesters' two ends, followed on every core.
        let requesters = self.all_of(&["aws_vpc_peering_connection"]);
        let own = self.lk.links(&requesters, "vpc_id", VPC_TYPES);
        let peer = self.lk.links(&requesters, "peer_vpc_id", VPC_TYPES);
        let mut ends = own.into_iter().zip(peer);
        for i in 0..self.lk.raw.len() {
            let r = self.raw(i);
            match r.rtype.as_str() {
                "aws_vpc_peering_connection" => {
                    // In the order of `requesters`.
                    let Some((own, peer)) = ends.next() else {
                        continue;
                    };
                    let [fr, fa] = self.peering_ends(r, own, peer);
                    let requester = self.link_of(fr, |b| &b.vpc_of, "VPC");
                    let accepter = self.link_of(fa, |b| &b.vpc_of, "VPC");
                    self.unresolved_finding(&r.address, &requester);
                    self.unresolved_finding(&r.address, &accepter);
                    let idx = self.model.peerings.len();
                    self.model.peerings.push(Peering {
                        address: r.address.clone(),
                        aws_id: str_attr(&r.values, "id").map(str::to_string),
                        requester,
                        accepter,
                        state: PeeringState::Undetermined(String::new()),
                        accepter_resource: None,
                    });
                    self.pcx_of.insert(i, idx);
                }
                "aws_vpc_peering_connection_accepter" => accepters.push(i),
                _ => {}
            }
        }
        let mut accepted_by: HashMap<usize, usize> = HashMap::new();
        // The connections they accept, followed on every core.
        let accepted = self.lk.links(
            &accepters,
            "vpc_peering_connection_id",
            &["aws_vpc_peering_connection"],
        );
        for (&ai, accepted) in accepters.iter().zip(accepted) {
            let r = self.raw(ai);
            match accepted {
                Found::Raw(p) if self.pcx_of.contains_key(&p) => {
                    let pi = self.pcx_of[&p];
                    self.model.peerings[pi].accepter_resource = Some(r.address.clone());
                    accepted_by.insert(pi, ai);
                    self.pcx_of.insert(ai, pi);
                }
                found => {
                    if let Found::Unresolved(why) = &found {
                        self.findings.push(Finding::new(
                            codes::UNRESOLVED_REFERENCE,
                            &r.address,
                            why.clone(),
                        ));
                    }
                    // The requester is outside the input: the accepter tells both ends.
                    let fr = self.lk.link(r, "peer_vpc_id", VPC_TYPES);
                    let requester = self.link_of(fr, |b| &b.vpc_of, "VPC");
                    let fa = self.lk.link(r, "vpc_id", VPC_TYPES);
                    let accepter = self.link_of(fa, |b| &b.vpc_of, "VPC");
                    let idx = self.model.peerings.len();
                    self.model.peerings.push(Peering {
                        address: r.address.clone(),
                        aws_id: str_attr(&r.values, "vpc_peering_connection_id")
                            .or_else(|| str_attr(&r.values, "id"))
                            .map(str::to_string),
                        requester,
                        accepter,
                        state: PeeringState::Undetermined(String::new()),
                        accepter_resource: Some(r.address.clone()),
                    });
                    accepted_by.insert(idx, ai);
                    self.pcx_of.insert(ai, idx);
                }
            }
        }
        // Decide each peering's state.
        let reverse: HashMap<usize, usize> = self
            .pcx_of
            .iter()
            .filter(|(raw, _)| self.raw(**raw).rtype == "aws_vpc_peering_connection")
            .map(|(raw, p)| (*p, *raw))
            .collect();
        for pi in 0..self.model.peerings.len() {
            let state =
                self.peering_state(pi, reverse.get(&pi).copied(), accepted_by.get(&pi).copied());
            self.model.peerings[pi].state = state;
        }
        self.check_peerings();
    }

    fn peering_state(&mut self, pi: usize, req: Option<usize>, acc: Option<usize>) -> PeeringState {
        let p = self.model.peerings[pi].clone();
        // Overlapping blocks: AWS refuses the peering.
        if let (Link::To(a), Link::To(b)) = (&p.requester, &p.accepter) {
            let (va, vb) = (&self.model.vpcs[*a], &self.model.vpcs[*b]);
            let overlap = va
                .cidrs
                .all()
                .find_map(|x| vb.cidrs.all().find(|y| x.overlaps(y)).map(|y| (*x, *y)));
            if let Some((x, y)) = overlap {
                self.findings.push(Finding::new(
                    codes::PEERING_CIDR_OVERLAP,
                    &p.address,
                    format!(
                        "{} ({x}) and {} ({y}) have overlapping CIDR blocks; AWS does not allow a peering between them",
                        va.address, vb.address
                    ),
                ));
                return PeeringState::Inactive(format!(
                    "{} cannot exist: the CIDR blocks of {} and {} overlap ({x} and {y})",
                    p.address, va.address, vb.address
                ));
            }
        }
        let status = |i: Option<usize>, b: &Self| {
            i.and_then(|i| str_attr(&b.raw(i).values, "accept_status").map(str::to_string))
        };
        let acc_status = status(acc, self);
        let req_status = status(req, self);
        if acc_status.as_deref() == Some("active") || req_status.as_deref() == Some("active") {
            return PeeringState::Active;
        }
        if let Some(why) = req.and_then(|ri| self.refused_peering(ri, req_status.as_deref())) {
            self.findings
                .push(Finding::new(codes::REFUSED_BY_AWS, &p.address, why.clone()));
            return PeeringState::Inactive(why);
        }
        if let Some(ai) = acc {
            let ar = self.raw(ai);
            if ar.values.get("auto_accept") == Some(&Json::Bool(true)) {
                return PeeringState::Active;
            }
            if attr_unknown(&ar.values, "auto_accept") {
                return PeeringState::Undetermined(format!(
                    "`auto_accept` of {} is not known until apply",
                    ar.address
                ));
            }
        }
        let Some(ri) = req else {
            return PeeringState::Inactive(format!(
                "{} does not accept the peering (auto_accept is not true)",
                p.address
            ));
        };
        let r = self.raw(ri);
        if let Some(s) = &req_status {
            if s != "pending-acceptance" {
                return PeeringState::Inactive(format!("{} is in state `{s}`", p.address));
            }
        }
        let cross = self.cross_account_or_region(r, &p);
        match r.values.get("auto_accept") {
            Some(Json::Bool(true)) => match cross {
                Cross::No => PeeringState::Active,
                Cross::Yes(why) => PeeringState::Inactive(format!(
                    "{} sets auto_accept, which works only within one account and Region, and {why}",
                    p.address
                )),
                Cross::Maybe(why) => PeeringState::Undetermined(format!(
                    "{} sets auto_accept, which works only within one account and Region, and {why}",
                    p.address
                )),
            },
            Some(v) if is_unknown(v) => PeeringState::Undetermined(format!(
                "`auto_accept` of {} is not known until apply",
                p.address
            )),
            _ => match cross {
                Cross::No => PeeringState::Inactive(format!(
                    "{} is not accepted: it sets no auto_accept and no accepter resource accepts it, so it stays pending-acceptance",
                    p.address
                )),
                Cross::Yes(why) | Cross::Maybe(why) => PeeringState::Undetermined(format!(
                    "{} {why}, and no accepter in the input accepts it: it may be accepted outside this configuration",
                    p.address
                )),
            },
        }
    }

    /// The AWS provider refuses to create a peering that sets both
    /// `auto_accept = true` and `peer_region` (a cross-Region peering must
    /// be accepted in the peer's Region); apply fails and the peering never
    /// exists. Only a peering still to be created can fail this way.
    fn refused_peering(&self, ri: usize, status: Option<&str>) -> Option<String> {
        let r = self.raw(ri);
        if r.mode != Mode::Managed || r.rtype != "aws_vpc_peering_connection" || status.is_some() {
            return None;
        }
        // `peer_region` is computed too: only a value the configuration
        // sets counts.
        let region_set = self.lk.doc(r).config.is_configured(r, "peer_region")
            && match r.values.get("peer_region") {
                Some(Json::String(s)) => !s.is_empty(),
                Some(v) => is_unknown(v),
                None => false,
            };
        (region_set && r.values.get("auto_accept") == Some(&Json::Bool(true))).then(|| {
            format!(
                "terraform apply will fail on {}: the provider refuses to create a peering that sets both auto_accept and peer_region, so the peering never exists and routes into it are blackholes; accept it with an aws_vpc_peering_connection_accepter in the peer Region instead",
                r.address
            )
        })
    }

    /// Whether a requested peering joins two accounts or two Regions: the
    /// requester's account and Region are its VPC's, or those its provider
    /// works in (`place.rs`); `peer_owner_id` and `peer_region` default to
    /// them.
    fn cross_account_or_region(&self, r: &RawResource, p: &Peering) -> Cross {
        let cfg = &self.lk.doc(r).config;
        let req_vpc = p.requester.index().map(|i| &self.model.vpcs[i]);
        let mine = |t: Option<&Told>, fallback: Told| match t {
            Some(t @ Told::Known { .. }) => t.clone(),
            _ => fallback,
        };
        let own_account = mine(
            req_vpc.map(|v| &v.account),
            self.places.provider_account(&self.lk, r),
        );
        let own_region = mine(req_vpc.map(|v| &v.region), self.places.region(&self.lk, r));
        let mut maybe = None;
        for (attr, what, own) in [
            ("peer_owner_id", "account", &own_account),
            ("peer_region", "Region", &own_region),
        ] {
            match r.values.get(attr) {
                Some(Json::String(s)) if !s.is_empty() && &**s != UNKNOWN => match own {
                    Told::Known { value, from } if **value != **s => {
                        return Cross::Yes(format!(
                            "the peer is in {what} {s}, the requester in {value} ({from})"
                        ))
                    }
                    Told::Known { .. } => {}
                    Told::Unknown(why) => {
                        maybe = Some(format!(
                            "the peer {what} {s} may differ from the requester's: {why}"
                        ))
                    }
                },
                Some(v) if is_unknown(v) && cfg.is_configured(r, attr) => {
                    maybe = Some(format!("its {attr} is not known until apply"));
                }
                _ => {}
            }
        }
        match maybe {
            Some(m) => Cross::Maybe(m),
            None => Cross::No,
        }
    }

    fn check_peerings(&mut self) {
        let mut seen: BTreeMap<(usize, usize), String> = BTreeMap::new();
        for p in &self.model.peerings {
            if let (Link::To(a), Link::To(b)) = (&p.requester, &p.accepter) {
                let key = ((*a).min(*b), (*a).max(*b));
                if let Some(first) = seen.get(&key) {
                    self.findings.push(Finding::new(
                        codes::DUPLICATE_PEERING,
                        &p.address,
                        format!(
                            "{} and {first} both join {} and {}",
                            p.address,
                            self.model.vpcs[key.0].address,
                            self.model.vpcs[key.1].address
                        ),
                    ));
                } else {
                    seen.insert(key, p.address.clone());
                }
            }
            if let PeeringState::Undetermined(why) = &p.state {
                self.findings.push(Finding::new(
                    codes::PEERING_UNDETERMINED,
                    &p.address,
                    why.clone(),
                ));
            }
        }
    }

    /// Classifies a route target from the attribute that holds it.
    fn target(&mut self, r: &RawResource, v: &Json, config_path: &[&str]) -> Target {
        let (attr, found) = targeted(&self.lk, r, v, config_path);
        self.target_from(r, config_path, attr, found)
    }

    /// The target of a route, from the attribute that names it and what
    /// its configuration leads to ([`targeted`]).
    fn target_from(
        &mut self,
        r: &RawResource,
        config_path: &[&str],
        attr: TargetAttr,
        found: Vec<Found>,
    ) -> Target {
        match attr {
            TargetAttr::Known(attr, id) => self.known_target(attr, &id),
            TargetAttr::Unknown(attr) => self.unknown_target(r, attr, config_path, found),
            TargetAttr::None => Target::Unknown(format!(
                "{} names no route target tfreach can read",
                r.address
            )),
        }
    }

    fn known_target(&mut self, attr: &str, id: &str) -> Target {
        if id == "local" {
            return Target::Local;
        }
        let kind = kind_of_id(attr, id);
        if kind == TargetKind::Peering {
            return match self.lk.by_id(id, PCX_TYPES) {
                Found::Deleted(id, addr) => Target::Blackhole(format!(
                    "peering connection {id} ({addr}) is deleted by this plan"
                )),
                f => Target::Peering(self.link_of(f, |b| &b.pcx_of, "peering")),
            };
        }
        let TargetKind::Gateway(g) = kind else {
            unreachable!()
        };
        let types: Vec<&str> = GW_TYPES.iter().map(|(t, _)| *t).collect();
        match self.lk.by_id(id, &types) {
            Found::Deleted(id, addr) => Target::Blackhole(format!(
                "{} {id} ({addr}) is deleted by this plan",
                g.describe()
            )),
            f => {
                let link = self.link_of(f, |b| &b.gw_of, "gateway");
                let (kind, label) = match &link {
                    Link::To(gi) => (
                        self.model.gateways[*gi].kind,
                        self.model.gateways[*gi].address.clone(),
                    ),
                    _ => (g, id.to_string()),
                };
                Target::Gateway { kind, link, label }
            }
        }
    }

    /// The target of a route whose target attribute `attr` is unknown,
    /// from what its configuration leads to (`found`, [`target_found`]).
    fn unknown_target(
        &mut self,
        r: &RawResource,
        attr: &str,
        config_path: &[&str],
        found: Vec<Found>,
    ) -> Target {
        let peering = attr == "vpc_peering_connection_id";
        // An inline route list has one merged expression: keep the
        // candidates of the attribute's kind.
        let wanted = |b: &Self, f: &Found| match f {
            Found::Raw(i) => {
                let t = b.raw(*i).rtype.as_str();
                if peering {
                    PCX_TYPES.contains(&t)
                } else {
                    attr_accepts(attr, t)
                }
            }
            _ => true,
        };
        let cands: Vec<Found> = found.into_iter().filter(|f| wanted(self, f)).collect();
        let f = match cands.as_slice() {
            [one] => one.clone(),
            [] => Found::Unresolved(format!(
                "`{attr}` of {} is not known until apply and its references lead to no matching resource",
                r.address
            )),
            _ => Found::Unresolved(format!(
                "`{attr}` of {} is not known until apply and its expression could refer to any of {} resources",
                r.address,
                cands.len()
            )),
        };
        // A transit gateway is usually the only one of its estate.
        let f = match f {
            Found::Unresolved(why) if attr == "transit_gateway_id" && config_path.is_empty() => {
                match self.sole_tgw(r, attr, &why) {
                    Some(i) => Found::Raw(i),
                    None => Found::Unresolved(why),
                }
            }
            f => f,
        };
        match self.accept(f) {
            Found::Unresolved(why) => Target::Unknown(why),
            Found::Raw(i) if peering => {
                Target::Peering(self.link_of(Found::Raw(i), |b| &b.pcx_of, "peering"))
            }
            Found::Raw(i) => {
                let link = self.link_of(Found::Raw(i), |b| &b.gw_of, "gateway");
                let kind = link
                    .index()
                    .map(|g| self.model.gateways[g].kind)
                    .unwrap_or(GatewayKind::Other);
                Target::Gateway {
                    kind,
                    link,
                    label: self.raw(i).address.clone(),
                }
            }
            Found::External(id) | Found::Deleted(id, _) => self.known_target(attr, &id),
            Found::None | Found::Assumed(..) => {
                Target::Unknown(format!("`{attr}` of {} is empty", r.address))
            }
        }
    }

    fn dest(&mut self, r: &RawResource, v: &Json, attrs: [&str; 3]) -> Option<Dest> {
        for (i, a) in attrs.iter().enumerate() {
            match v.get(a) {
                Some(x) if is_unknown(x) => {
                    // `aws_vpc_endpoint.x.prefix_list_id`: a service's list.
                    if i == 2 && std::ptr::eq(v, &r.values) {
                        if let Some(d) = self.service_list_via_config(r, a) {
                            return Some(d);
                        }
                    }
                    // A customer-managed prefix list of the input.
                    if i == 2 {
                        let path = if std::ptr::eq(v, &r.values) {
                            *a
                        } else {
                            "route"
                        };
                        if let Some(d) = self.customer_list_via_config(r, &[path]) {
                            return Some(d);
                        }
                    }
                    return Some(Dest::Unknown(format!(
                        "the destination (`{a}`) of a route in {} is not known until apply",
                        r.address
                    )));
                }
                Some(Json::String(s)) if !s.is_empty() => {
                    if i == 2 {
                        return Some(self.prefix_list_dest(s));
                    }
                    return match s.parse::<Prefix>() {
                        Ok(p) => Some(Dest::Cidr(p)),
                        Err(e) => {
                            self.findings.push(Finding::new(
                                codes::INVALID_RESOURCE,
                                &r.address,
                                format!("route destination `{a}`: {e}; the route is skipped"),
                            ));
                            None
                        }
                    };
                }
                _ => {}
            }
        }
        Some(Dest::Unknown(format!(
            "a route in {} has no destination",
            r.address
        )))
    }

    fn routes(&mut self) {
        // Inline routes.
        for (&ri, &ti) in &self.rt_of.clone() {
            let r = self.raw(ri);
            let list_attr = if r.mode == Mode::Data {
                "routes"
            } else {
                "route"
            };
            match r.values.get(list_attr) {
                Some(v) if is_unknown(v) && self.lk.doc(r).config.is_configured(r, list_attr) => {
                    self.model.route_tables[ti].routes_unknown = Some(format!(
                        "the routes of {} are not known until apply",
                        r.address
                    ));
                }
                // Not configured: the table starts with no routes but
                // its local ones (and any aws_route resources).
                Some(Json::Array(items)) => {
                    for item in items {
                        if is_unknown(item) {
                            self.model.route_tables[ti].routes_unknown =
                                Some(format!("a route of {} is not known until apply", r.address));
                            continue;
                        }
                        let Some(dest) = self.dest(
                            r,
                            item,
                            [
                                "cidr_block",
                                "ipv6_cidr_block",
                                "destination_prefix_list_id",
                            ],
                        ) else {
                            continue;
                        };
                        let target = self.target(r, item, &[list_attr]);
                        self.model.route_tables[ti].routes.push(Route {
                            resource: r.address.clone(),
                            dest,
                            target,
                            origin: Origin::Static,
                        });
                    }
                }
                _ => {}
            }
        }
        // Standalone routes, by table, in document order.
        let mut standalone: Vec<Vec<Route>> = (0..self.model.route_tables.len())
            .map(|_| Vec::new())
            .collect();
        let routes = self.all_of(&["aws_route", "awscc_ec2_route"]);
        let tables = self.lk.links(&routes, "route_table_id", RT_OR_VPC_TYPES);
        // Their targets too: what names each and, when that is unknown,
        // where its configuration leads, followed on every core.
        let lk = &self.lk;
        let targets = lk.read_each(&routes, |r| targeted(lk, r, &r.values, &[]));
        for ((i, f), (attr, found)) in routes.into_iter().zip(tables).zip(targets) {
            let r = self.raw(i);
            let table = self.table_link(f);
            let Link::To(ti) = table else {
                if !matches!(table, Link::External(_)) {
                    let why = match &table {
                        Link::Unresolved(w) => w.clone(),
                        _ => format!("{} names no route table", r.address),
                    };
                    self.findings
                        .push(Finding::new(codes::UNRESOLVED_REFERENCE, &r.address, why));
                }
                continue;
            };
            let Some(dest) = self.dest(
                r,
                &r.values,
                [
                    "destination_cidr_block",
                    "destination_ipv6_cidr_block",
                    "destination_prefix_list_id",
                ],
            ) else {
                continue;
            };
            let target = self.target_from(r, &[], attr, found);
            standalone[ti].push(Route {
                resource: r.address.clone(),
                dest,
                target,
                origin: Origin::Static,
            });
        }
        // A state lists a standalone route inline in its table too: the
        // standalone one is kept, after the table's other routes.
        for (table, routes) in self.model.route_tables.iter_mut().zip(standalone) {
            if routes.is_empty() {
                continue;
            }
            let dests: HashSet<&Dest> = routes.iter().map(|r| &r.dest).collect();
            let address = &table.address;
            table
                .routes
                .retain(|x| !(x.resource == *address && dests.contains(&x.dest)));
            table.routes.extend(routes);
        }
    }

    /// Routes inside a VPC's own blocks that AWS refuses to create. Such a
    /// route may only take over a whole VPC block (replacing the local
    /// target) or exactly one subnet's block, and only towards a middlebox:
    /// a NAT gateway, a network interface or instance, or a Gateway Load
    /// Balancer (or Network Firewall) endpoint. Any other route there fails
    /// at apply, never exists, and leaves the local route in charge; it is
    /// reported and dropped from the model. Routes whose target or blocks
    /// are not known are kept: the refusal must be certain.
    fn refused_routes(&mut self) {
        for t in 0..self.model.route_tables.len() {
            let Link::To(v) = self.model.route_tables[t].vpc else {
                continue;
            };
            let mut refused: Vec<(usize, String)> = Vec::new();
            for (i, route) in self.model.route_tables[t].routes.iter().enumerate() {
                if route.origin != Origin::Static {
                    continue;
                }
                if let Some(why) = self.refusal(v, route) {
                    refused.push((i, why));
                }
            }
            for (i, why) in refused.into_iter().rev() {
                let route = self.model.route_tables[t].routes.remove(i);
                self.findings.push(Finding::new(
                    codes::REFUSED_BY_AWS,
                    &route.resource,
                    format!(
                        "terraform apply will fail on {}: {why}; tfreach analyses the network without this route",
                        route.resource
                    ),
                ));
            }
        }
    }

    /// Why AWS refuses `route` in a table of VPC `v`, if it certainly does.
    fn refusal(&self, v: usize, route: &Route) -> Option<String> {
        let Dest::Cidr(p) = route.dest else {
            return None;
        };
        if p.family == Family::V4 {
            if let Target::Gateway {
                kind: GatewayKind::EgressOnly,
                label,
                ..
            } = &route.target
            {
                return Some(format!(
                    "an egress-only internet gateway carries IPv6 only, and {p} is an IPv4 destination for {label}"
                ));
            }
        }
        let vpc = &self.model.vpcs[v];
        let block = *vpc.cidrs.of(p.family).iter().find(|b| b.contains(&p))?;
        let middlebox = match &route.target {
            Target::Gateway { kind, link, .. } => match kind {
                GatewayKind::Nat | GatewayKind::NetworkInterface | GatewayKind::Instance => {
                    Some(true)
                }
                GatewayKind::VpcEndpoint => {
                    let kind = link
                        .index()
                        .and_then(|g| self.model.gateways[g].endpoint)
                        .map(|e| self.model.endpoints[e].kind);
                    match kind {
                        Some(EndpointKind::Gateway) | Some(EndpointKind::Interface) => Some(false),
                        // A Gateway Load Balancer endpoint, or one the input
                        // does not describe (a Network Firewall endpoint is
                        // one): allowed.
                        _ => Some(true),
                    }
                }
                GatewayKind::Other => None,
                _ => Some(false),
            },
            Target::Peering(_) => Some(false),
            Target::Local | Target::Unknown(_) | Target::Blackhole(_) => None,
        }?;
        if !middlebox {
            return Some(format!(
                "{p} lies inside {}'s own block {block}, where AWS accepts only a NAT gateway, a network interface, an instance or a Gateway Load Balancer or Network Firewall endpoint as target, not {}, so the local route keeps the range",
                vpc.address,
                describe_target(&route.target)
            ));
        }
        if p == block {
            return None;
        }
        let subnets = &vpc.subnets;
        if subnets
            .iter()
            .any(|&s| self.model.subnets[s].cidrs.unknown.is_some())
        {
            return None;
        }
        let whole_subnet = subnets
            .iter()
            .any(|&s| self.model.subnets[s].cidrs.of(p.family).contains(&p));
        (!whole_subnet).then(|| {
            format!(
                "{p} lies inside {}'s own block {block} but is not the block of one of its subnets; a route more specific than the local route must cover exactly one subnet, so the local route keeps the range",
                vpc.address
            )
        })
    }

    /// In a plan, a deleted `aws_route` still shows in its table's
    /// refreshed inline list: it goes with the resource.
    fn remove_deleted_inline_routes(&mut self) {
        let deleted: Vec<RawResource> = self
            .lk
            .parts
            .iter()
            .filter(|p| std::ptr::eq(p.doc.view(p.view), p.doc.view(View::Planned)))
            .flat_map(|p| &p.doc.view(View::Planned).deleted)
            .filter(|d| d.rtype == "aws_route")
            .cloned()
            .collect();
        for d in deleted {
            let Some(rt_id) = str_attr(&d.values, "route_table_id") else {
                continue;
            };
            let dest = ["destination_cidr_block", "destination_ipv6_cidr_block"]
                .iter()
                .find_map(|a| str_attr(&d.values, a))
                .and_then(|s| s.parse::<Prefix>().ok());
            let Some(dest) = dest else { continue };
            for t in &mut self.model.route_tables {
                if t.aws_id.as_deref() == Some(rt_id) {
                    let addr = t.address.clone();
                    t.routes
                        .retain(|x| !(x.resource == addr && x.dest == Dest::Cidr(dest)));
                }
            }
        }
    }

    fn associations(&mut self) {
        let mut explicit: HashMap<usize, (Link, String)> = HashMap::new();
        // The subnet associations' two ends, followed on every core.
        let mut subnet_assocs = self.all_of(SUBNET_ASSOCIATION_TYPES);
        subnet_assocs.retain(|&i| str_attr(&self.raw(i).values, "gateway_id").is_none());
        let subnets = self.lk.links(&subnet_assocs, "subnet_id", SUBNET_TYPES);
        let tables = self
            .lk
            .links(&subnet_assocs, "route_table_id", RT_OR_VPC_TYPES);
        let mut ends = subnet_assocs
            .into_iter()
            .zip(subnets.into_iter().zip(tables));
        for i in 0..self.lk.raw.len() {
            let r = self.raw(i);
            match r.rtype.as_str() {
                "aws_route_table_association" | "awscc_ec2_subnet_route_table_association" => {
                    if str_attr(&r.values, "gateway_id").is_some() {
                        continue; // edge association: ingress routing only
                    }
                    // The ends were followed above, in the same order.
                    let Some((_, (fs, ft))) = ends.find(|(j, _)| *j == i) else {
                        continue;
                    };
                    let [fs, ft] = self.association_ends(r, fs, ft);
                    let subnet = self.link_of(fs, |b| &b.subnet_of, "subnet");
                    let table = self.table_link(ft);
                    match subnet {
                        Link::To(s) => {
                            self.unresolved_finding(&r.address, &table);
                            if let Some((_, prev)) = explicit.get(&s) {
                                self.findings.push(Finding::new(
                                    codes::INVALID_RESOURCE,
                                    &r.address,
                                    format!("{} is already associated by {prev}; AWS allows one route table per subnet", self.model.subnets[s].address),
                                ));
                            }
                            explicit.insert(s, (table, r.address.clone()));
                        }
                        other => self.unresolved_finding(&r.address, &other),
                    }
                }
                "aws_main_route_table_association" => {
                    let fv = self.lk.link(r, "vpc_id", VPC_TYPES);
                    let vpc = self.link_of(fv, |b| &b.vpc_of, "VPC");
                    let ft = self.lk.link(r, "route_table_id", RT_OR_VPC_TYPES);
                    let table = self.table_link(ft);
                    match vpc {
                        Link::To(v) => {
                            self.unresolved_finding(&r.address, &table);
                            self.model.vpcs[v].main_route_table = table;
                        }
                        other => self.unresolved_finding(&r.address, &other),
                    }
                }
                _ => {}
            }
            // A data source lists its associations.
            if r.mode == Mode::Data && r.rtype == "aws_route_table" {
                let Some(&ti) = self.rt_of.get(&i) else {
                    continue;
                };
                if let Some(Json::Array(assocs)) = r.values.get("associations") {
                    for a in assocs {
                        if a.get("main") == Some(&Json::Bool(true)) {
                            if let Link::To(v) = self.model.route_tables[ti].vpc {
                                self.model.vpcs[v].main_route_table = Link::To(ti);
                            }
                        } else if let Some(sid) = str_attr(a, "subnet_id") {
                            if let Found::Raw(si) = self.lk.by_id(sid, SUBNET_TYPES) {
                                if let Some(&s) = self.subnet_of.get(&si) {
                                    explicit
                                        .entry(s)
                                        .or_insert((Link::To(ti), r.address.clone()));
                                }
                            }
                        }
                    }
                }
            }
        }
        for s in 0..self.model.subnets.len() {
            let (link, exp) = match explicit.remove(&s) {
                Some((l, _)) => (l, true),
                None => match self.model.subnets[s].vpc.clone() {
                    Link::To(v) => (self.model.vpcs[v].main_route_table.clone(), false),
                    Link::External(id) => (
                        Link::Unresolved(format!(
                            "{} is in VPC {id}, which is not in the input, and has no explicit route table association",
                            self.model.subnets[s].address
                        )),
                        false,
                    ),
                    Link::Unresolved(why) => (Link::Unresolved(why), false),
                    Link::None => (Link::Unresolved(format!("{} names no VPC", self.model.subnets[s].address)), false),
                },
            };
            let link = match link {
                Link::None => Link::Unresolved(format!(
                    "the main route table of the VPC of {} is not in the input",
                    self.model.subnets[s].address
                )),
                Link::External(id) => Link::Unresolved(format!(
                    "route table {id} of {} is not in the input",
                    self.model.subnets[s].address
                )),
                l => l,
            };
            self.model.subnets[s].route_table = link;
            self.model.subnets[s].explicit_association = exp;
        }
        self.assumed_main_findings();
    }

    /// One finding per VPC whose main table was assumed and is the table of
    /// some subnet: the assumption decides those subnets' traffic.
    fn assumed_main_findings(&mut self) {
        if self.assumed_main.is_empty() {
            return;
        }
        // The subnets each table routes, in one pass over the subnets.
        let mut users: HashMap<usize, Vec<&str>> = HashMap::new();
        for s in &self.model.subnets {
            if let Link::To(t) = s.route_table {
                users.entry(t).or_default().push(s.address.as_str());
            }
        }
        for &(v, t, default_vpc) in &self.assumed_main {
            let Some(users) = users.get(&t) else { continue };
            let Some(first) = users.first() else { continue };
            let vpc = &self.model.vpcs[v];
            let table = match &self.model.route_tables[t].aws_id {
                Some(id) => format!("The main route table of {} ({id})", vpc.address),
                None => format!("The main route table of {}", vpc.address),
            };
            let held = if default_vpc {
                "the local routes and a default route (0.0.0.0/0) to the VPC's internet gateway, as AWS creates it for a default VPC"
            } else {
                "only the local routes of the VPC's CIDR blocks, as AWS creates it"
            };
            let more = match users.len() {
                1 => String::new(),
                n => format!(" and {} more", n - 1),
            };
            self.findings.push(Finding::new(
                codes::ASSUMED_MAIN_ROUTE_TABLE,
                &vpc.address,
                format!(
                    "{table} is not in the input, but it routes the traffic of {first}{more}, which has no explicit association; tfreach assumes it holds {held}. Manage it with aws_default_route_table (or associate the subnets with a table of the configuration) to make this certain"
                ),
            ));
        }
    }

    /// Every route table holds a `local` route for each CIDR block of its
    /// VPC. When the VPC's blocks are not known, the subnets' own blocks
    /// stand in: every subnet lies inside a VPC block, and only whole-subnet
    /// routes may be more specific than the local route.
    fn local_routes(&mut self) {
        for t in 0..self.model.route_tables.len() {
            let vpc = match &self.model.route_tables[t].vpc {
                Link::To(v) => Some(*v),
                _ => {
                    // The VPC of the subnets that use the table.
                    let vs: Vec<usize> = self
                        .model
                        .subnets
                        .iter()
                        .filter(|s| s.route_table == Link::To(t))
                        .filter_map(|s| s.vpc.index())
                        .collect();
                    vs.first().copied().filter(|f| vs.iter().all(|x| x == f))
                }
            };
            let Some(v) = vpc else { continue };
            let vpc = &self.model.vpcs[v];
            let mut prefixes: Vec<Prefix> = vpc.cidrs.all().copied().collect();
            if vpc.cidrs.unknown.is_some() || prefixes.is_empty() {
                for &s in &vpc.subnets {
                    for p in self.model.subnets[s].cidrs.all() {
                        if !prefixes.iter().any(|q| q.contains(p)) {
                            prefixes.push(*p);
                        }
                    }
                }
            }
            let addr = self.model.route_tables[t].address.clone();
            let routes = &mut self.model.route_tables[t].routes;
            for p in prefixes {
                // A static route for exactly a VPC block replaces the local target.
                if routes.iter().any(|r| r.dest == Dest::Cidr(p)) {
                    continue;
                }
                routes.push(Route {
                    resource: addr.clone(),
                    dest: Dest::Cidr(p),
                    target: Target::Local,
                    origin: Origin::Local,
                });
            }
        }
    }

    fn check_routes(&mut self) {
        for t in &self.model.route_tables {
            let mut seen: BTreeMap<Prefix, &str> = BTreeMap::new();
            for r in &t.routes {
                if let Dest::Cidr(p) = r.dest {
                    if r.origin != Origin::Static {
                        continue;
                    }
                    if let Some(first) = seen.get(&p) {
                        self.findings.push(Finding::new(
                            codes::DUPLICATE_ROUTE,
                            &r.resource,
                            format!(
                                "{} has two routes for {p} ({first} and {})",
                                t.address, r.resource
                            ),
                        ));
                    } else {
                        seen.insert(p, &r.resource);
                    }
                }
            }
            if t.propagating {
                self.findings.push(Finding::new(
                    codes::PROPAGATED_ROUTES,
                    &t.address,
                    format!("{} receives routes propagated from a virtual private gateway; their prefixes are not in the input", t.address),
                ));
            }
        }
    }

    /// Which route targets live in which subnet.
    fn devices(&mut self) {
        for (g, gw) in self.model.gateways.iter().enumerate() {
            let mut subnets: Vec<usize> = gw.subnet.index().into_iter().collect();
            if let Some(e) = gw.endpoint {
                subnets.extend(self.model.endpoints[e].subnets.first().copied());
            }
            for s in subnets {
                self.model.subnets[s].devices.push(g);
            }
        }
    }

    fn report_unmodelled(&mut self) {
        for r in self.lk.raw {
            if unmodelled(&r.rtype) {
                self.findings.push(Finding::new(
                    codes::UNSUPPORTED_RESOURCE,
                    &r.address,
                    format!("{} resources are not modelled yet; verdicts that depend on it may be incomplete", r.rtype),
                ));
            }
        }
    }
}

enum Cross {
    No,
    Yes(String),
    Maybe(String),
}

#[derive(Debug, PartialEq, Eq)]
enum TargetKind {
    Peering,
    Gateway(GatewayKind),
}

/// Classifies a target by its ID prefix first (the provider accepts, for
/// example, a NAT gateway ID in `gateway_id`), then by the attribute.
fn kind_of_id(attr: &str, id: &str) -> TargetKind {
    let by_prefix = [
        ("pcx-", None),
        ("igw-", Some(GatewayKind::Internet)),
        ("nat-", Some(GatewayKind::Nat)),
        ("eigw-", Some(GatewayKind::EgressOnly)),
        ("vgw-", Some(GatewayKind::VpnGateway)),
        ("tgw-", Some(GatewayKind::TransitGateway)),
        ("vpce-", Some(GatewayKind::VpcEndpoint)),
        ("eni-", Some(GatewayKind::NetworkInterface)),
        ("i-", Some(GatewayKind::Instance)),
        ("cagw-", Some(GatewayKind::CarrierGateway)),
        ("lgw-", Some(GatewayKind::LocalGateway)),
    ];
    for (p, k) in by_prefix {
        if id.starts_with(p) {
            return k.map_or(TargetKind::Peering, TargetKind::Gateway);
        }
    }
    TargetKind::Gateway(match attr {
        "vpc_peering_connection_id" => return TargetKind::Peering,
        "nat_gateway_id" => GatewayKind::Nat,
        "egress_only_gateway_id" => GatewayKind::EgressOnly,
        "transit_gateway_id" => GatewayKind::TransitGateway,
        "network_interface_id" => GatewayKind::NetworkInterface,
        "vpc_endpoint_id" => GatewayKind::VpcEndpoint,
        "instance_id" => GatewayKind::Instance,
        "carrier_gateway_id" => GatewayKind::CarrierGateway,
        "local_gateway_id" => GatewayKind::LocalGateway,
        "core_network_arn" => GatewayKind::CoreNetwork,
        _ => GatewayKind::Other,
    })
}

/// Which resource types a route target attribute can name.
fn attr_accepts(attr: &str, t: &str) -> bool {
    match attr {
        "gateway_id" => matches!(
            t,
            "aws_internet_gateway"
                | "aws_vpn_gateway"
                | "aws_nat_gateway"
                | "aws_egress_only_internet_gateway"
                | "awscc_ec2_internet_gateway"
        ),
        "nat_gateway_id" => t == "aws_nat_gateway" || t == "awscc_ec2_nat_gateway",
        "egress_only_gateway_id" => t == "aws_egress_only_internet_gateway",
        "transit_gateway_id" => t == "aws_ec2_transit_gateway" || t == "awscc_ec2_transit_gateway",
        "network_interface_id" => t == "aws_network_interface",
        "vpc_endpoint_id" => t == "aws_vpc_endpoint",
        "instance_id" => t == "aws_instance",
        _ => false,
    }
}

/// A route target in words, for messages.
fn describe_target(t: &Target) -> String {
    match t {
        Target::Local => "local".to_string(),
        Target::Peering(_) => "a VPC peering connection".to_string(),
        Target::Gateway { kind, label, .. } => format!("{} {label}", kind.describe()),
        Target::Unknown(_) => "a target not known until apply".to_string(),
        Target::Blackhole(_) => "a target that will not exist".to_string(),
    }
}
