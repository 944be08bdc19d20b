//! On-premises networks: what the input says of the networks beyond a
//! Site-to-Site VPN connection or a Direct Connect gateway association.
//!
//! Each network is named by the resource that connects it: an
//! `aws_vpn_connection` (on a virtual private gateway or a transit gateway)
//! or an `aws_dx_gateway_association` (a Direct Connect gateway associated
//! with a virtual private gateway or a transit gateway). The model reads how
//! it attaches and which of its address ranges the input knows:
//!
//! * a VPN on a virtual private gateway: its static routes
//!   (`aws_vpn_connection_route`), and the `routes` a state records;
//! * a VPN or Direct Connect gateway on a transit gateway: the static routes
//!   of the transit gateway's route tables (`aws_ec2_transit_gateway_route`)
//!   that send a range to its attachment;
//! * whether the connection learns its ranges over BGP, which the input
//!   cannot know: `static_routes_only = false` (the default) for a VPN,
//!   always for Direct Connect. The caller may name such ranges
//!   ([`Model::name_on_prem_ranges`]).
//!
//! Route propagation from a virtual private gateway into a VPC route table
//! (`propagating_vgws`, `aws_vpn_gateway_route_propagation`) is read here
//! too: such a table learns the ranges of the gateway's connections.

use crate::ingest::Json;

use super::build::{str_attr, Builder, Found, RT_TYPES, VPC_TYPES};
use super::tgw::{AttachmentKind, TgwTarget};
use super::{Dest, Link, Model};
use crate::codes;
use crate::ingest::unknown::is_unknown;
use crate::ingest::Mode;
use crate::model::Finding;
use crate::net::{Family, Prefix};

const VGW_TYPES: &[&str] = &["aws_vpn_gateway"];
const VPN_TYPES: &[&str] = &["aws_vpn_connection"];
const DXGW_TYPES: &[&str] = &["aws_dx_gateway"];

/// How an on-premises network is connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionKind {
    /// A Site-to-Site VPN connection.
    Vpn,
    /// A Direct Connect gateway association.
    DirectConnect,
}

/// What the connection is attached to on the AWS side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// A virtual private gateway (index into `Model::gateways`).
    Vgw(usize),
    /// A transit gateway (index into `Model::transit_gateways`), through
    /// these attachments (the connection's own, and the data sources that
    /// describe it).
    Tgw { tgw: usize, attachments: Vec<usize> },
    /// Not known, or not in the input: the reason.
    Unknown(String),
}

/// How the connection learns the on-premises ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Routing {
    /// Static routes only: the input holds them all.
    Static,
    /// BGP: the ranges are learned when the connection is up.
    Bgp,
    /// `static_routes_only` is not known until apply: the reason.
    Unknown(String),
}

/// One on-premises range the input knows, and the resource that says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Range {
    pub prefix: Prefix,
    pub resource: String,
}

#[derive(Debug, Clone)]
pub struct OnPremNetwork {
    /// The address of the connecting resource: the endpoint's name.
    pub address: String,
    pub kind: ConnectionKind,
    pub via: Via,
    pub routing: Routing,
    /// Ranges the input gives (static routes).
    pub ranges: Vec<Range>,
    /// Some static route's destination is not known until apply: the reason.
    pub ranges_unknown: Option<String>,
    /// Ranges the caller names (`--on-prem NAME=CIDR,...`).
    pub named: Vec<Prefix>,
    /// Direct Connect: the prefixes the association advertises to the
    /// on-premises network (`allowed_prefixes`); `None` when not given.
    pub allowed_prefixes: Option<Result<Vec<Prefix>, String>>,
    /// A transit gateway VPN carries one family inside its tunnels
    /// (`tunnel_inside_ip_version`); `None`: IPv4.
    pub inside_v6: bool,
}

impl OnPremNetwork {
    /// Every range a walk is sent towards: the static ones, then the named
    /// ones not already among them.
    pub fn all_ranges(&self) -> Vec<Range> {
        let mut out = self.ranges.clone();
        for p in &self.named {
            if !out.iter().any(|r| r.prefix == *p) {
                out.push(Range {
                    prefix: *p,
                    resource: "--on-prem".to_string(),
                });
            }
        }
        out
    }

    /// True when ranges beyond the input's are learned over BGP.
    pub fn learns(&self) -> bool {
        self.kind == ConnectionKind::DirectConnect || self.routing != Routing::Static
    }

    /// The families the connection carries: a virtual private gateway VPN
    /// carries IPv4 only; a transit gateway VPN the family of its tunnels.
    pub fn carries(&self, family: Family) -> bool {
        match (&self.via, self.kind) {
            (Via::Vgw(_), ConnectionKind::Vpn) => family == Family::V4,
            (Via::Tgw { .. }, ConnectionKind::Vpn) => (family == Family::V6) == self.inside_v6,
            _ => true,
        }
    }
}

/// A VPC route table that learns the routes of a virtual private gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Propagation {
    /// Index into `Model::route_tables`.
    pub table: usize,
    /// Index into `Model::gateways`.
    pub vgw: usize,
    /// The resource that turns it on (the table, or the propagation).
    pub resource: String,
}

impl Model {
    /// Names the ranges of on-premises network `name` (the address of its
    /// VPN connection or Direct Connect gateway association), for a network
    /// whose ranges the input does not hold. Returns false when the model
    /// has no such network.
    pub fn name_on_prem_ranges(&mut self, name: &str, ranges: &[Prefix]) -> bool {
        match self.on_prem.iter_mut().find(|n| n.address == name) {
            Some(n) => {
                for p in ranges {
                    if !n.named.contains(p) {
                        n.named.push(*p);
                    }
                }
                true
            }
            None => false,
        }
    }

    /// Does route table `t` learn the routes of virtual private gateway `g`?
    pub fn propagates(&self, t: usize, g: usize) -> Option<&Propagation> {
        self.vgw_propagations
            .iter()
            .find(|p| p.table == t && p.vgw == g)
    }
}

/// Parses one value of `--on-prem`: `NAME=CIDR[,CIDR...]`, where the name is
/// the address of the network's VPN connection or Direct Connect gateway
/// association (it may hold `=` in an instance key; a CIDR never does).
pub fn parse_named(arg: &str) -> Result<(String, Vec<Prefix>), String> {
    let Some((name, cidrs)) = arg.rsplit_once('=') else {
        return Err(format!("{arg}: expected NAME=CIDR[,CIDR...]"));
    };
    let name = name.trim();
    if name.is_empty() {
        return Err(format!("{arg}: no network name before `=`"));
    }
    let mut out = Vec::new();
    for c in cidrs.split(',').map(str::trim).filter(|c| !c.is_empty()) {
        out.push(
            c.parse::<Prefix>()
                .map_err(|e| format!("{arg}: {c}: {e}"))?,
        );
    }
    if out.is_empty() {
        return Err(format!("{arg}: no CIDR block after `=`"));
    }
    Ok((name.to_string(), out))
}

fn prefixes(v: &Json) -> Vec<Prefix> {
    match v {
        Json::Array(items) => items
            .iter()
            .filter_map(Json::as_str)
            .filter_map(|s| s.parse().ok())
            .collect(),
        _ => Vec::new(),
    }
}

impl Builder<'_> {
    /// Builds the on-premises networks and the route propagations (after
    /// the transit gateways, whose attachments and routes it reads).
    pub(super) fn on_prem(&mut self) {
        self.vgw_attachments();
        self.vgw_propagations();
        for i in 0..self.lk.raw.len() {
            let r = self.raw(i);
            if r.mode != Mode::Managed {
                continue;
            }
            let net = match r.rtype.as_str() {
                "aws_vpn_connection" => self.vpn_connection(i),
                "aws_dx_gateway_association" => self.dx_association(i),
                _ => continue,
            };
            self.model.on_prem.push(net);
        }
        for n in 0..self.model.on_prem.len() {
            self.tgw_ranges(n);
        }
    }

    /// `aws_vpn_gateway_attachment` attaches a gateway created without a
    /// `vpc_id` to a VPC.
    fn vgw_attachments(&mut self) {
        for i in 0..self.lk.raw.len() {
            let r = self.raw(i);
            if r.rtype != "aws_vpn_gateway_attachment" || r.mode != Mode::Managed {
                continue;
            }
            let f = self.lk.link(r, "vpn_gateway_id", VGW_TYPES);
            let Link::To(g) = self.link_of(f, |b| &b.gw_of, "virtual private gateway") else {
                continue;
            };
            let f = self.lk.link(r, "vpc_id", VPC_TYPES);
            let vpc = self.link_of(f, |b| &b.vpc_of, "VPC");
            if !matches!(self.model.gateways[g].vpc, Link::To(_)) {
                self.model.gateways[g].vpc = vpc;
            }
        }
    }

    /// Route tables that propagate a virtual private gateway's routes. An
    /// unknown `propagating_vgws` counts only the gateways its expression
    /// names.
    fn vgw_propagations(&mut self) {
        let mut out: Vec<Propagation> = Vec::new();
        for i in 0..self.lk.raw.len() {
            let r = self.raw(i);
            let (table, gws) = match r.rtype.as_str() {
                "aws_route_table" | "aws_default_route_table" => {
                    let Some(&t) = self.rt_of.get(&i) else {
                        continue;
                    };
                    (
                        Link::To(t),
                        self.lk.link_set(r, "propagating_vgws", VGW_TYPES),
                    )
                }
                "aws_vpn_gateway_route_propagation" => {
                    let f = self.lk.link(r, "route_table_id", RT_TYPES);
                    let t = self.link_of(f, |b| &b.rt_of, "route table");
                    (t, vec![self.lk.link(r, "vpn_gateway_id", VGW_TYPES)])
                }
                _ => continue,
            };
            let Link::To(table) = table else { continue };
            for f in gws {
                if let Link::To(vgw) = self.link_of(f, |b| &b.gw_of, "virtual private gateway") {
                    let p = Propagation {
                        table,
                        vgw,
                        resource: r.address.clone(),
                    };
                    if !out.iter().any(|o| o.table == table && o.vgw == vgw) {
                        out.push(p);
                    }
                }
            }
        }
        // The tables say so in a finding (PROPAGATED_ROUTES), whichever
        // resource turns propagation on.
        for p in &out {
            self.model.route_tables[p.table].propagating = true;
        }
        self.model.vgw_propagations = out;
    }

    fn blank(&self, i: usize, kind: ConnectionKind, via: Via) -> OnPremNetwork {
        OnPremNetwork {
            address: self.raw(i).address.clone(),
            kind,
            via,
            routing: Routing::Bgp,
            ranges: Vec::new(),
            ranges_unknown: None,
            named: Vec::new(),
            allowed_prefixes: None,
            inside_v6: false,
        }
    }

    /// The attachment the transit gateway build made of raw resource `i`.
    fn own_attachment(&self, i: usize) -> Option<usize> {
        let addr = &self.raw(i).address;
        self.model
            .tgw_attachments
            .iter()
            .position(|a| &a.address == addr)
    }

    /// A virtual private gateway link, as `Via`.
    fn vgw_via(&mut self, f: Found, who: &str) -> Via {
        match self.link_of(f, |b| &b.gw_of, "virtual private gateway") {
            Link::To(g) => Via::Vgw(g),
            Link::External(id) => Via::Unknown(format!(
                "virtual private gateway {id} of {who} is not in the input"
            )),
            Link::Unresolved(why) => Via::Unknown(why),
            Link::None => Via::Unknown(format!(
                "{who} names no virtual private gateway or transit gateway"
            )),
        }
    }

    fn vpn_connection(&mut self, i: usize) -> OnPremNetwork {
        let r = self.raw(i);
        let v = &r.values;
        let via = match self.own_attachment(i) {
            Some(a) => match self.model.tgw_attachments[a].tgw {
                Link::To(t) => {
                    let mut attachments = vec![a];
                    attachments.extend(self.vpn_attachment_sources(i));
                    Via::Tgw {
                        tgw: t,
                        attachments,
                    }
                }
                ref other => Via::Unknown(match other {
                    Link::Unresolved(why) => why.clone(),
                    _ => format!("the transit gateway of {} is not in the input", r.address),
                }),
            },
            None => {
                let f = self.lk.link(r, "vpn_gateway_id", VGW_TYPES);
                self.vgw_via(f, &r.address)
            }
        };
        let mut n = self.blank(i, ConnectionKind::Vpn, via);
        n.routing = match v.get("static_routes_only") {
            Some(Json::Bool(true)) => Routing::Static,
            Some(x)
                if is_unknown(x)
                    && self.lk.doc(r).config.is_configured(r, "static_routes_only") =>
            {
                Routing::Unknown(format!(
                    "`static_routes_only` of {} is not known until apply",
                    r.address
                ))
            }
            _ => Routing::Bgp,
        };
        n.inside_v6 = str_attr(v, "tunnel_inside_ip_version") == Some("ipv6");
        // What a state records of the connection's routes.
        if let Some(Json::Array(routes)) = v.get("routes") {
            for x in routes {
                if let Some(p) = x
                    .get("destination_cidr_block")
                    .and_then(Json::as_str)
                    .and_then(|s| s.parse().ok())
                {
                    n.ranges.push(Range {
                        prefix: p,
                        resource: r.address.clone(),
                    });
                }
            }
        }
        // Static routes of a connection on a virtual private gateway.
        for k in 0..self.lk.raw.len() {
            let x = self.raw(k);
            if x.rtype != "aws_vpn_connection_route" || x.mode != Mode::Managed {
                continue;
            }
            let f = self.lk.link(x, "vpn_connection_id", VPN_TYPES);
            if !matches!(self.accept(f), Found::Raw(j) if j == i) {
                continue;
            }
            match x.values.get("destination_cidr_block") {
                Some(c) if is_unknown(c) => {
                    n.ranges_unknown.get_or_insert_with(|| {
                        format!(
                            "`destination_cidr_block` of {} is not known until apply",
                            x.address
                        )
                    });
                }
                Some(Json::String(s)) => match s.parse::<Prefix>() {
                    Ok(p) => {
                        n.ranges.retain(|r| r.prefix != p);
                        n.ranges.push(Range {
                            prefix: p,
                            resource: x.address.clone(),
                        });
                    }
                    Err(e) => self.findings.push(Finding::new(
                        codes::INVALID_RESOURCE,
                        &x.address,
                        format!("`destination_cidr_block`: {e}; the route is skipped"),
                    )),
                },
                _ => {}
            }
        }
        n
    }

    /// The `aws_ec2_transit_gateway_vpn_attachment` data sources that
    /// describe VPN connection `i`'s attachment.
    fn vpn_attachment_sources(&mut self, i: usize) -> Vec<usize> {
        let mut out = Vec::new();
        for k in 0..self.lk.raw.len() {
            let x = self.raw(k);
            if x.rtype != "aws_ec2_transit_gateway_vpn_attachment" {
                continue;
            }
            let f = self.lk.link(x, "vpn_connection_id", VPN_TYPES);
            if matches!(self.accept(f), Found::Raw(j) if j == i) {
                out.extend(self.own_attachment(k));
            }
        }
        out
    }

    fn dx_association(&mut self, i: usize) -> OnPremNetwork {
        let r = self.raw(i);
        let v = &r.values;
        let via = match self.own_attachment(i) {
            Some(a) => match self.model.tgw_attachments[a].tgw {
                Link::To(t) => {
                    let mut attachments = vec![a];
                    attachments.extend(self.dx_attachment_sources(i, t));
                    Via::Tgw {
                        tgw: t,
                        attachments,
                    }
                }
                ref other => Via::Unknown(match other {
                    Link::Unresolved(why) => why.clone(),
                    _ => format!("the transit gateway of {} is not in the input", r.address),
                }),
            },
            None => {
                let mut f = self.lk.link(r, "associated_gateway_id", VGW_TYPES);
                if matches!(f, Found::None) {
                    f = self.lk.link(r, "vpn_gateway_id", VGW_TYPES);
                }
                self.vgw_via(f, &r.address)
            }
        };
        let mut n = self.blank(i, ConnectionKind::DirectConnect, via);
        n.allowed_prefixes = match v.get("allowed_prefixes") {
            Some(x) if is_unknown(x) || matches!(x, Json::Array(a) if a.iter().any(is_unknown)) => {
                Some(Err(format!(
                    "`allowed_prefixes` of {} is not known until apply",
                    r.address
                )))
            }
            Some(x @ Json::Array(a)) if !a.is_empty() => Some(Ok(prefixes(x))),
            _ => None,
        };
        n
    }

    /// The `aws_ec2_transit_gateway_dx_gateway_attachment` data sources on
    /// transit gateway `t` that describe association `i`'s attachment: the
    /// same Direct Connect gateway, or the only one of each on `t` when the
    /// gateways cannot be told.
    fn dx_attachment_sources(&mut self, i: usize, t: usize) -> Vec<usize> {
        let r = self.raw(i);
        let mine = self.lk.link(r, "dx_gateway_id", DXGW_TYPES);
        let on_t = |b: &Self, k: usize| {
            b.own_attachment(k)
                .filter(|&a| b.model.tgw_attachments[a].tgw == Link::To(t))
        };
        let sources: Vec<usize> = (0..self.lk.raw.len())
            .filter(|&k| self.raw(k).rtype == "aws_ec2_transit_gateway_dx_gateway_attachment")
            .filter(|&k| on_t(self, k).is_some())
            .collect();
        let associations = (0..self.lk.raw.len())
            .filter(|&k| self.raw(k).rtype == "aws_dx_gateway_association")
            .filter(|&k| on_t(self, k).is_some())
            .count();
        let mut out = Vec::new();
        for &k in &sources {
            let theirs = self.lk.link(self.raw(k), "dx_gateway_id", DXGW_TYPES);
            let same = match (&mine, &theirs) {
                (Found::Raw(a), Found::Raw(b)) => a == b,
                (Found::External(a), Found::External(b)) => a == b,
                _ => sources.len() == 1 && associations == 1,
            };
            if same {
                out.extend(on_t(self, k));
            }
        }
        out
    }

    /// The ranges transit gateway static routes send to network `n`'s
    /// attachments.
    fn tgw_ranges(&mut self, n: usize) {
        let Via::Tgw { attachments, .. } = &self.model.on_prem[n].via else {
            return;
        };
        let mut found: Vec<Range> = Vec::new();
        let mut unknown = None;
        for t in &self.model.tgw_route_tables {
            for r in &t.routes {
                let TgwTarget::Attachment(a) = r.target else {
                    continue;
                };
                if r.propagated || !attachments.contains(&a) {
                    continue;
                }
                match &r.dest {
                    Dest::Cidr(p) if !found.iter().any(|x| x.prefix == *p) => {
                        found.push(Range {
                            prefix: *p,
                            resource: r.resource.clone(),
                        });
                    }
                    Dest::Unknown(why) => {
                        unknown.get_or_insert_with(|| why.clone());
                    }
                    _ => {}
                }
            }
        }
        let net = &mut self.model.on_prem[n];
        net.ranges.extend(found);
        if net.ranges_unknown.is_none() {
            net.ranges_unknown = unknown;
        }
    }
}

/// The attachment kinds that connect an on-premises network.
pub fn is_on_prem(kind: AttachmentKind) -> bool {
    matches!(kind, AttachmentKind::Vpn | AttachmentKind::DirectConnect)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_ranges_parse_from_the_flag_value() {
        let (name, p) =
            parse_named(r#"module.net["a=b"].aws_vpn_connection.x=10.0.0.0/8, fd00::/48"#).unwrap();
        assert_eq!(name, r#"module.net["a=b"].aws_vpn_connection.x"#);
        assert_eq!(p.len(), 2);
        assert!(parse_named("aws_vpn_connection.x").is_err());
        assert!(parse_named("aws_vpn_connection.x=").is_err());
        assert!(parse_named("aws_vpn_connection.x=10.0.0.300/8").is_err());
    }

    #[test]
    fn vgw_vpn_carries_ipv4_only() {
        let p: Prefix = "10.0.0.0/8".parse().unwrap();
        let mut n = OnPremNetwork {
            address: "aws_vpn_connection.x".into(),
            kind: ConnectionKind::Vpn,
            via: Via::Vgw(0),
            routing: Routing::Static,
            ranges: vec![Range {
                prefix: p,
                resource: "aws_vpn_connection_route.x".into(),
            }],
            ranges_unknown: None,
            named: Vec::new(),
            allowed_prefixes: None,
            inside_v6: false,
        };
        assert!(n.carries(Family::V4) && !n.carries(Family::V6));
        assert!(!n.learns());
        n.named.push(p);
        assert_eq!(n.all_ranges().len(), 1);
        n.kind = ConnectionKind::DirectConnect;
        assert!(n.learns() && n.carries(Family::V6));
    }
}
