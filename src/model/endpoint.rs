//! VPC endpoints, the endpoint services they connect to, and the security
//! groups that guard interface endpoints.
//!
//! * Gateway endpoints (S3, DynamoDB) are route targets: every route table
//!   associated with one (`route_table_ids`,
//!   `aws_vpc_endpoint_route_table_association`) gets a route for the
//!   service's prefix list, which Terraform never lists.
//! * Interface endpoints are network interfaces in their subnets
//!   (`subnet_ids`, `aws_vpc_endpoint_subnet_association`), guarded by
//!   security groups (`security_group_ids`,
//!   `aws_vpc_endpoint_security_group_association`; the VPC's default group
//!   when none is named).
//! * Gateway Load Balancer endpoints are route targets too: traffic sent to
//!   one is inspected and comes back out of the endpoint's subnet.
//! * Endpoint services (`aws_vpc_endpoint_service`, PrivateLink) are what an
//!   interface endpoint of another VPC connects to; a connection that needs
//!   acceptance waits for `aws_vpc_endpoint_connection_accepter`.

use foldhash::{HashMap, HashMapExt};

use crate::ingest::Json;

use super::build::{str_attr, Builder, Found, Linker, RT_OR_VPC_TYPES, SUBNET_TYPES, VPC_TYPES};
use super::security_group::SG_TYPES;
use super::{Dest, GatewayKind, Link, Origin, PeeringState, Route, Target};
use crate::codes;
use crate::ingest::unknown::is_unknown;
use crate::ingest::RawResource;
use crate::model::Finding;
use crate::net::Prefix;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointKind {
    Gateway,
    Interface,
    GatewayLoadBalancer,
    /// A type tfreach does not model (`Resource`, `ServiceNetwork`).
    Other,
}

#[derive(Debug, Clone)]
pub struct Endpoint {
    pub address: String,
    pub aws_id: Option<String>,
    pub kind: EndpointKind,
    /// The service's name (`com.amazonaws.us-east-1.s3`), or for an
    /// endpoint service of the input whose name is not known until apply,
    /// that service's address.
    pub service: Option<String>,
    /// The endpoint service of the input it connects to (PrivateLink).
    pub endpoint_service: Option<usize>,
    pub vpc: Link,
    /// Gateway endpoints: the route tables that carry its route.
    pub route_tables: Vec<usize>,
    /// Interface and Gateway Load Balancer endpoints: the subnets of its
    /// network interfaces.
    pub subnets: Vec<usize>,
    pub subnets_unknown: Option<String>,
    /// Interface endpoints: the security groups of its network interfaces.
    pub security_groups: Vec<usize>,
    /// Set when a security group is not in the input or not known until
    /// apply: the reason.
    pub security_groups_unknown: Option<String>,
    /// Gateway endpoints: the service's prefix list ID, when known.
    pub prefix_list: Option<String>,
    /// Gateway endpoints: the service's address ranges, when known.
    pub service_cidrs: Vec<Prefix>,
    /// Whether the connection is (or will be) accepted.
    pub state: PeeringState,
    pub private_dns: bool,
}

impl Endpoint {
    /// The name reports use for the service.
    pub fn service_name(&self) -> String {
        self.service
            .clone()
            .unwrap_or_else(|| format!("the service of {}", self.address))
    }
}

/// A PrivateLink endpoint service offered from a VPC of the input.
#[derive(Debug, Clone)]
pub struct EndpointService {
    pub address: String,
    pub aws_id: Option<String>,
    /// `com.amazonaws.vpce.<region>.vpce-svc-...`, when known.
    pub service_name: Option<String>,
    /// Connections wait for acceptance (`acceptance_required`).
    pub acceptance_required: Option<bool>,
    pub gateway_load_balancer: bool,
}

impl EndpointService {
    /// The name reports use for the service.
    pub fn name(&self) -> String {
        self.service_name
            .clone()
            .unwrap_or_else(|| self.address.clone())
    }
}

pub(super) const ENDPOINT_TYPES: &[&str] = &["aws_vpc_endpoint", "awscc_ec2_vpc_endpoint"];
const SERVICE_TYPES: &[&str] = &["aws_vpc_endpoint_service", "awscc_ec2_vpc_endpoint_service"];

/// What kind of endpoint a resource is (`vpc_endpoint_type`, which
/// defaults to a gateway endpoint).
fn endpoint_kind(v: &Json) -> EndpointKind {
    match str_attr(v, "vpc_endpoint_type")
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("gateway") => EndpointKind::Gateway,
        Some("interface") => EndpointKind::Interface,
        Some("gatewayloadbalancer") => EndpointKind::GatewayLoadBalancer,
        Some(_) => EndpointKind::Other,
    }
}

/// What the links of one endpoint name, followed on every core before the
/// endpoints are built in order: its VPC, and its route tables (a gateway
/// endpoint) or its subnets (any other).
struct EndpointLinks {
    vpc: Found,
    subnets: Vec<Found>,
    route_tables: Vec<Found>,
}

impl EndpointLinks {
    fn follow(lk: &Linker<'_>, r: &RawResource) -> EndpointLinks {
        let (subnets, route_tables) = match endpoint_kind(&r.values) {
            EndpointKind::Gateway => (
                Vec::new(),
                lk.optional_set(r, "route_table_ids", RT_OR_VPC_TYPES),
            ),
            _ => (lk.optional_set(r, "subnet_ids", SUBNET_TYPES), Vec::new()),
        };
        EndpointLinks {
            vpc: lk.link(r, "vpc_id", VPC_TYPES),
            subnets,
            route_tables,
        }
    }
}

impl<'a> Builder<'a> {
    /// The destination of a route to prefix list `pl`: a service's list
    /// when a gateway endpoint of the input names it.
    pub(super) fn prefix_list_dest(&self, pl: &str) -> Dest {
        match self
            .model
            .endpoints
            .iter()
            .find(|e| e.kind == EndpointKind::Gateway && e.prefix_list.as_deref() == Some(pl))
        {
            Some(e) => Dest::Service(e.service_name()),
            None => Dest::PrefixList(pl.to_string()),
        }
    }

    /// A prefix-list destination not known until apply that reads a gateway
    /// endpoint's `prefix_list_id`.
    pub(super) fn service_list_via_config(&mut self, r: &RawResource, attr: &str) -> Option<Dest> {
        let found = self.lk.via_config(r, &[attr], ENDPOINT_TYPES);
        let [Found::Raw(i)] = found.as_slice() else {
            return None;
        };
        let addr = self.raw(*i).address.clone();
        self.model
            .endpoints
            .iter()
            .find(|e| e.address == addr && e.kind == EndpointKind::Gateway)
            .map(|e| Dest::Service(e.service_name()))
    }

    /// Security groups, endpoint services and endpoints, and the routes
    /// gateway endpoints add. Runs after route tables and subnets.
    pub(super) fn endpoints(&mut self) {
        self.security_groups();
        let sg_of = self.sg_of.clone();
        // Endpoint services.
        let mut svc_of: HashMap<usize, usize> = HashMap::new();
        for i in 0..self.lk.raw.len() {
            if !self.managed_or_data(i, SERVICE_TYPES) {
                continue;
            }
            let r = self.raw(i);
            let v = &r.values;
            let idx = self.model.endpoint_services.len();
            self.model.endpoint_services.push(EndpointService {
                address: r.address.clone(),
                aws_id: str_attr(v, "id").map(str::to_string),
                service_name: str_attr(v, "service_name").map(str::to_string),
                acceptance_required: match v.get("acceptance_required") {
                    Some(Json::Bool(b)) => Some(*b),
                    _ => None,
                },
                gateway_load_balancer: matches!(v.get("gateway_load_balancer_arns"), Some(Json::Array(a)) if !a.is_empty()),
            });
            svc_of.insert(i, idx);
        }
        let mut ep_of: HashMap<usize, usize> = HashMap::new();
        let at = self.all_of(ENDPOINT_TYPES);
        let ahead = self
            .lk
            .read_each(&at, |r| EndpointLinks::follow(&self.lk, r));
        for (i, ahead) in at.into_iter().zip(ahead) {
            let r = self.raw(i);
            let e = self.endpoint(r, &svc_of, &sg_of, ahead);
            let idx = self.model.endpoints.len();
            self.model.endpoints.push(e);
            ep_of.insert(i, idx);
            if let Some(&g) = self.gw_of.get(&i) {
                self.model.gateways[g].endpoint = Some(idx);
            }
        }
        // Standalone associations.
        for i in 0..self.lk.raw.len() {
            if ![
                "aws_vpc_endpoint_route_table_association",
                "aws_vpc_endpoint_subnet_association",
                "aws_vpc_endpoint_security_group_association",
            ]
            .contains(&self.raw(i).rtype.as_str())
            {
                continue;
            }
            let r = self.raw(i);
            let what = match r.rtype.as_str() {
                "aws_vpc_endpoint_route_table_association" => "route_table_id",
                "aws_vpc_endpoint_subnet_association" => "subnet_id",
                "aws_vpc_endpoint_security_group_association" => "security_group_id",
                _ => continue,
            };
            let fe = self.lk.link(r, "vpc_endpoint_id", ENDPOINT_TYPES);
            let e = match self.accept(fe) {
                Found::Raw(x) => ep_of.get(&x).copied(),
                Found::External(id) => self
                    .model
                    .endpoints
                    .iter()
                    .position(|e| e.aws_id.as_deref() == Some(id.as_str())),
                Found::Unresolved(why) => {
                    self.findings
                        .push(Finding::new(codes::UNRESOLVED_REFERENCE, &r.address, why));
                    None
                }
                _ => None,
            };
            let Some(e) = e else { continue };
            match what {
                "route_table_id" => {
                    let f = self.lk.link(r, what, RT_OR_VPC_TYPES);
                    match self.table_link(f) {
                        Link::To(t) => {
                            if !self.model.endpoints[e].route_tables.contains(&t) {
                                self.model.endpoints[e].route_tables.push(t);
                            }
                        }
                        other => self.unresolved_finding(&r.address, &other),
                    }
                }
                "subnet_id" => {
                    let f = self.lk.link(r, what, SUBNET_TYPES);
                    match self.link_of(f, |b| &b.subnet_of, "subnet") {
                        Link::To(s) => {
                            if !self.model.endpoints[e].subnets.contains(&s) {
                                self.model.endpoints[e].subnets.push(s);
                            }
                        }
                        other => self.unresolved_finding(&r.address, &other),
                    }
                }
                _ => {
                    let f = self.lk.link(r, what, SG_TYPES);
                    let replace =
                        r.values.get("replace_default_association") == Some(&Json::Bool(true));
                    match self.accept(f) {
                        Found::Raw(x) if sg_of.contains_key(&x) => {
                            let ep = &mut self.model.endpoints[e];
                            if replace {
                                ep.security_groups.clear();
                            }
                            if !ep.security_groups.contains(&sg_of[&x]) {
                                ep.security_groups.push(sg_of[&x]);
                            }
                        }
                        Found::External(id) => {
                            self.model.endpoints[e]
                                .security_groups_unknown
                                .get_or_insert(format!(
                                    "security group {id} of {} is not in the input",
                                    r.address
                                ));
                        }
                        Found::Unresolved(why) => {
                            self.model.endpoints[e]
                                .security_groups_unknown
                                .get_or_insert(why);
                        }
                        _ => {}
                    }
                }
            }
        }
        // Connection acceptance.
        for i in 0..self.lk.raw.len() {
            if !["aws_vpc_endpoint_connection_accepter"].contains(&self.raw(i).rtype.as_str()) {
                continue;
            }
            let r = self.raw(i);
            if r.rtype != "aws_vpc_endpoint_connection_accepter" {
                continue;
            }
            let fe = self.lk.link(r, "vpc_endpoint_id", ENDPOINT_TYPES);
            if let Found::Raw(x) = self.accept(fe) {
                if let Some(&e) = ep_of.get(&x) {
                    self.model.endpoints[e].state = PeeringState::Active;
                }
            } else if let Some(id) = str_attr(&r.values, "vpc_endpoint_id") {
                if let Some(e) = self
                    .model
                    .endpoints
                    .iter()
                    .position(|e| e.aws_id.as_deref() == Some(id))
                {
                    self.model.endpoints[e].state = PeeringState::Active;
                }
            }
        }
        for e in &mut self.model.endpoints {
            e.subnets.sort_unstable();
            e.route_tables.sort_unstable();
        }
        self.endpoint_routes();
    }

    /// Every gateway endpoint puts a route for its service's prefix list in
    /// each of its route tables.
    fn endpoint_routes(&mut self) {
        for e in 0..self.model.endpoints.len() {
            let ep = self.model.endpoints[e].clone();
            if ep.kind != EndpointKind::Gateway {
                continue;
            }
            let Some(g) = self
                .model
                .gateways
                .iter()
                .position(|g| g.endpoint == Some(e))
            else {
                continue;
            };
            let service = ep.service_name();
            for &t in &ep.route_tables {
                let table = &self.model.route_tables[t];
                if let Some(other) = table.routes.iter().find(|r| {
                    r.origin == Origin::Endpoint
                        && matches!(&r.dest, Dest::Service(s) if *s == service)
                }) {
                    self.findings.push(Finding::new(
                        codes::INVALID_RESOURCE,
                        &ep.address,
                        format!(
                            "{} already has a route to {service} through {}; AWS allows one endpoint route per service in a route table",
                            table.address, other.resource
                        ),
                    ));
                    continue;
                }
                if ep.vpc.index().is_some() && table.vpc.index().is_some() && ep.vpc != table.vpc {
                    self.findings.push(Finding::new(
                        codes::INVALID_RESOURCE,
                        &ep.address,
                        format!("{} is not in the VPC of {}; a gateway endpoint serves route tables of its own VPC only", ep.address, table.address),
                    ));
                    continue;
                }
                self.model.route_tables[t].routes.push(Route {
                    resource: ep.address.clone(),
                    dest: Dest::Service(service.clone()),
                    target: Target::Gateway {
                        kind: GatewayKind::VpcEndpoint,
                        link: Link::To(g),
                        label: ep.address.clone(),
                    },
                    origin: Origin::Endpoint,
                });
            }
        }
    }

    fn endpoint(
        &mut self,
        r: &RawResource,
        svc_of: &HashMap<usize, usize>,
        sg_of: &HashMap<usize, usize>,
        ahead: EndpointLinks,
    ) -> Endpoint {
        let v = &r.values;
        let kind = endpoint_kind(v);
        // The service: a name, or an endpoint service of the input.
        let mut service = str_attr(v, "service_name").map(str::to_string);
        let mut endpoint_service = None;
        let named = service.clone();
        let by_name = named.as_deref().and_then(|n| {
            self.model
                .endpoint_services
                .iter()
                .position(|s| s.service_name.as_deref() == Some(n))
        });
        if let Some(s) = by_name {
            endpoint_service = Some(s);
        } else if v.get("service_name").is_some_and(is_unknown) {
            for f in self.lk.via_config(r, &["service_name"], SERVICE_TYPES) {
                if let Found::Raw(x) = self.accept(f) {
                    if let Some(&s) = svc_of.get(&x) {
                        endpoint_service = Some(s);
                        service = Some(self.model.endpoint_services[s].name());
                    }
                }
            }
        }
        let mut vpc = self.link_of(ahead.vpc, |b| &b.vpc_of, "VPC");
        let mut subnets = Vec::new();
        let mut subnets_unknown = None;
        // Only an endpoint of another kind than gateway has subnets.
        for f in ahead.subnets {
            match self.link_of(f, |b| &b.subnet_of, "subnet") {
                Link::To(s) => subnets.push(s),
                Link::Unresolved(why) => {
                    subnets_unknown.get_or_insert(why);
                }
                Link::External(id) => {
                    subnets_unknown
                        .get_or_insert(format!("subnet {id} of {} is not in the input", r.address));
                }
                Link::None => {}
            }
        }
        if !matches!(vpc, Link::To(_)) {
            // The subnets tell the VPC when the plan does not.
            if let Some(vi) = subnets
                .first()
                .and_then(|&s: &usize| self.model.subnets[s].vpc.index())
            {
                vpc = Link::To(vi);
            }
        }
        let mut route_tables = Vec::new();
        // Only a gateway endpoint has route tables.
        for f in ahead.route_tables {
            match self.table_link(f) {
                Link::To(t) => route_tables.push(t),
                other => self.unresolved_finding(&r.address, &other),
            }
        }
        let mut security_groups = Vec::new();
        let mut security_groups_unknown = None;
        if kind == EndpointKind::Interface {
            for f in self.lk.optional_set(r, "security_group_ids", SG_TYPES) {
                match self.accept(f) {
                    Found::Raw(x) if sg_of.contains_key(&x) => security_groups.push(sg_of[&x]),
                    Found::External(id) => {
                        security_groups_unknown.get_or_insert(format!(
                            "security group {id} of {} is not in the input",
                            r.address
                        ));
                    }
                    Found::Unresolved(why) => {
                        security_groups_unknown.get_or_insert(why);
                    }
                    _ => {}
                }
            }
        }
        let state = match str_attr(v, "state") {
            Some("available") => PeeringState::Active,
            Some(s @ ("pendingAcceptance" | "pending")) => PeeringState::Inactive(format!("{} is in state `{s}`", r.address)),
            Some(s @ ("rejected" | "failed" | "deleted" | "expired")) => {
                PeeringState::Inactive(format!("{} is in state `{s}`", r.address))
            }
            _ => match endpoint_service.map(|s| &self.model.endpoint_services[s]) {
                Some(svc) => match (svc.acceptance_required, v.get("auto_accept")) {
                    (Some(false), _) | (_, Some(Json::Bool(true))) => PeeringState::Active,
                    (Some(true), _) => PeeringState::Inactive(format!(
                        "{} requires acceptance and nothing in the input accepts {} (no aws_vpc_endpoint_connection_accepter), so the connection stays pending",
                        svc.address, r.address
                    )),
                    (None, _) => PeeringState::Undetermined(format!(
                        "whether {} requires acceptance is not known until apply",
                        svc.address
                    )),
                },
                None => PeeringState::Active,
            },
        };
        Endpoint {
            address: r.address.clone(),
            aws_id: str_attr(v, "id")
                .or_else(|| str_attr(v, "vpc_endpoint_id"))
                .map(str::to_string),
            kind,
            service,
            endpoint_service,
            vpc,
            route_tables,
            subnets,
            subnets_unknown,
            security_groups,
            security_groups_unknown,
            prefix_list: str_attr(v, "prefix_list_id").map(str::to_string),
            service_cidrs: match v.get("cidr_blocks") {
                Some(Json::Array(a)) => a
                    .iter()
                    .filter_map(Json::as_str)
                    .filter_map(|c| c.parse().ok())
                    .collect(),
                _ => Vec::new(),
            },
            state,
            private_dns: v.get("private_dns_enabled") == Some(&Json::Bool(true)),
        }
    }
}
