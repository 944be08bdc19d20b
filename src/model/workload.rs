//! Workloads: what the input places in subnets behind security groups.
//!
//! One workload per resource, however many subnets it spans (a load
//! balancer, a Lambda function, a database through its subnet group): each
//! subnet is one of its places. Where each type keeps its subnets and
//! groups:
//!
//! | type | subnets | groups |
//! |---|---|---|
//! | `aws_instance` | `subnet_id` | `vpc_security_group_ids` |
//! | `aws_network_interface` | `subnet_id` | `security_groups`, `aws_network_interface_sg_attachment` |
//! | `aws_lambda_function` | `vpc_config.subnet_ids` | `vpc_config.security_group_ids` |
//! | `aws_db_instance`, `aws_rds_cluster` | `db_subnet_group_name` -> `aws_db_subnet_group.subnet_ids` | `vpc_security_group_ids` |
//! | `aws_lb` | `subnets`, `subnet_mapping.subnet_id` | `security_groups` |
//! | `aws_ecs_service` | `network_configuration.subnets` | `network_configuration.security_groups` |
//! | `aws_eks_cluster` | `vpc_config.subnet_ids` | `vpc_config.security_group_ids` and the cluster group EKS creates |
//! | `aws_eks_node_group` | `subnet_ids` | its launch template's groups when it names some, else its cluster's cluster group, and with `remote_access` the group EKS creates for it (SSH, or RDP for Windows AMIs, from `source_security_group_ids`, else from every IPv4 address) |
//! | `aws_elasticache_cluster`, `_replication_group` | `subnet_group_name` -> `aws_elasticache_subnet_group.subnet_ids` | `security_group_ids` |
//! | `aws_autoscaling_group` | `vpc_zone_identifier` | its launch template's `vpc_security_group_ids` or `network_interfaces.security_groups` |
//! | interface endpoints | as `model::endpoint` reads them | the same |
//!
//! A type that takes the VPC's default group when none is named (EC2,
//! RDS, ElastiCache, load balancers, ECS tasks, interface endpoints) gets
//! it here, with a `DEFAULT_SECURITY_GROUP` finding; a Network Load
//! Balancer created without groups has none, and nothing filters its
//! traffic. Links not known until apply follow the configuration like
//! every other link.

use crate::ingest::Json;

use super::build::{str_attr, Builder, Found, SUBNET_TYPES};
use super::endpoint::EndpointKind;
use super::flow::FlowSet;
use super::flow::{TCP, UDP};
use super::security_group::{
    RemoteSources, SgOrigin, CLUSTER_GROUP_SUFFIX, REMOTE_ACCESS_GROUP_SUFFIX, SG_TYPES,
};
use super::Finding;
use crate::codes;
use crate::ingest::unknown::is_unknown;
use crate::ingest::RawResource;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum WorkloadKind {
    Instance,
    NetworkInterface,
    Lambda,
    Database,
    LoadBalancer,
    EcsService,
    EksCluster,
    EksNodeGroup,
    Cache,
    AutoScalingGroup,
    InterfaceEndpoint,
}

impl WorkloadKind {
    pub fn name(self) -> &'static str {
        match self {
            WorkloadKind::Instance => "instance",
            WorkloadKind::NetworkInterface => "network_interface",
            WorkloadKind::Lambda => "lambda",
            WorkloadKind::Database => "database",
            WorkloadKind::LoadBalancer => "load_balancer",
            WorkloadKind::EcsService => "ecs_service",
            WorkloadKind::EksCluster => "eks_cluster",
            WorkloadKind::EksNodeGroup => "eks_node_group",
            WorkloadKind::Cache => "cache",
            WorkloadKind::AutoScalingGroup => "autoscaling_group",
            WorkloadKind::InterfaceEndpoint => "interface_endpoint",
        }
    }
}

/// Whether a workload has a public IPv4 address (what the internet can
/// open connections to, and what an internet gateway translates).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicAddress {
    Yes,
    No,
    /// Not known until apply.
    Unknown,
    /// What its subnet gives on launch (`map_public_ip_on_launch` for a
    /// public IPv4 address, `assign_ipv6_address_on_creation` for IPv6).
    AsSubnet,
}

/// A port a workload serves, as the input says (a listener, a database's
/// port).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Port {
    pub protocol: u8,
    pub port: u16,
    /// The resource that says so (`aws_lb_listener.https`, or the
    /// workload itself).
    pub resource: String,
}

#[derive(Debug, Clone)]
pub struct Workload {
    pub address: String,
    pub kind: WorkloadKind,
    /// Its subnets (indices), sorted.
    pub places: Vec<usize>,
    /// Set when some subnet is not known: the reason.
    pub places_unknown: Option<String>,
    /// Its security groups (indices into `Model::security_groups`), sorted.
    pub security_groups: Vec<usize>,
    /// Set when some group is not known: the reason.
    pub security_groups_unknown: Option<String>,
    /// No security group filters its traffic (a Network Load Balancer
    /// created without any).
    pub unguarded: bool,
    /// The ports it serves, when the input says.
    pub ports: Vec<Port>,
    /// Whether it has a public IPv4 address.
    pub public_ipv4: PublicAddress,
    /// Whether it has an IPv6 address (`AsSubnet`: when its subnet assigns
    /// one, `Subnet::assigns_ipv6`). Without one, the IPv6 blocks of its
    /// subnets hold none of its addresses.
    pub ipv6: PublicAddress,
}

/// Workload resource types (read by ingest).
pub const WORKLOAD_TYPES: &[&str] = &[
    "aws_instance",
    "aws_network_interface",
    "aws_network_interface_sg_attachment",
    "aws_lambda_function",
    "aws_db_instance",
    "aws_rds_cluster",
    "aws_db_subnet_group",
    "aws_lb",
    "aws_alb",
    "aws_lb_listener",
    "aws_alb_listener",
    "aws_ecs_service",
    "aws_eks_cluster",
    "aws_eks_node_group",
    "aws_elasticache_cluster",
    "aws_elasticache_replication_group",
    "aws_elasticache_subnet_group",
    "aws_autoscaling_group",
    "aws_launch_template",
];

const DB_GROUP_TYPES: &[&str] = &["aws_db_subnet_group"];
const CACHE_GROUP_TYPES: &[&str] = &["aws_elasticache_subnet_group"];
const LB_TYPES: &[&str] = &["aws_lb", "aws_alb"];
const LT_TYPES: &[&str] = &["aws_launch_template"];
const ENI_TYPES: &[&str] = &["aws_network_interface"];

/// The value at a path of attributes, stepping into the first block of a
/// nested block list.
fn at<'v>(v: &'v Json, path: &[&str]) -> Option<&'v Json> {
    let mut cur = v;
    for a in path {
        if let Json::Array(items) = cur {
            cur = items.first()?;
        }
        cur = cur.get(a)?;
    }
    Some(cur)
}

/// A boolean attribute as a public address: `yes` when true, `No` when
/// false, `unknown` when not known until apply and configured, `unset`
/// otherwise.
fn flag(v: Option<&Json>, configured: bool, unset: PublicAddress) -> PublicAddress {
    match v {
        Some(Json::Bool(true)) => PublicAddress::Yes,
        Some(Json::Bool(false)) => PublicAddress::No,
        Some(Json::String(s)) if &**s == "true" => PublicAddress::Yes,
        Some(Json::String(s)) if &**s == "false" => PublicAddress::No,
        Some(x) if is_unknown(x) && configured => PublicAddress::Unknown,
        _ => unset,
    }
}

fn is_set(v: Option<&Json>) -> bool {
    match v {
        None | Some(Json::Null) => false,
        Some(Json::Array(a)) => !a.is_empty(),
        Some(Json::String(s)) => !s.is_empty(),
        Some(_) => true,
    }
}

/// The default port of a database or cache engine.
fn engine_port(engine: &str) -> Option<u16> {
    let e = engine.to_ascii_lowercase();
    Some(match e.as_str() {
        x if x.contains("postgres") => 5432,
        x if x.contains("mysql") || x.contains("mariadb") => 3306,
        x if x.starts_with("oracle") => 1521,
        x if x.starts_with("sqlserver") => 1433,
        x if x.starts_with("redis") || x.starts_with("valkey") => 6379,
        x if x.starts_with("memcached") => 11211,
        _ => return None,
    })
}

/// The transport protocols of a listener protocol.
fn listener_protocols(p: Option<&str>, lb_type: &str) -> Vec<u8> {
    match p.map(str::to_ascii_uppercase).as_deref() {
        Some("UDP") => vec![UDP],
        Some("TCP_UDP") => vec![TCP, UDP],
        Some(_) => vec![TCP],
        // Unset: HTTP for an ALB, TCP for an NLB; both ride on TCP.
        None if lb_type == "gateway" => Vec::new(),
        None => vec![TCP],
    }
}

/// What one workload's links resolved to.
#[derive(Default)]
struct Links {
    raws: Vec<usize>,
    unknown: Option<String>,
}

impl<'a> Builder<'a> {
    /// Every workload of the input. Runs after subnets, security groups and
    /// endpoints.
    pub(super) fn workloads(&mut self) {
        // Node groups after their clusters, whose cluster group they share.
        let mut node_groups = Vec::new();
        for i in 0..self.lk.raw.len() {
            let r = self.raw(i);
            if r.mode != crate::ingest::Mode::Managed {
                continue;
            }
            let w = match r.rtype.as_str() {
                "aws_instance" => self.instance(r),
                "aws_network_interface" => self.network_interface(r),
                "aws_lambda_function" => self.lambda(r),
                "aws_db_instance" | "aws_rds_cluster" => self.database(r),
                "aws_lb" | "aws_alb" => self.load_balancer(r),
                "aws_ecs_service" => self.ecs_service(r),
                "aws_eks_cluster" => self.eks_cluster(r),
                "aws_eks_node_group" => {
                    node_groups.push(i);
                    None
                }
                "aws_elasticache_cluster" | "aws_elasticache_replication_group" => self.cache(r),
                "aws_autoscaling_group" => self.autoscaling_group(r),
                _ => None,
            };
            if let Some(mut w) = w {
                w.ipv6 = self.ipv6_of(r, &w);
                self.model.workloads.push(w);
            }
        }
        for i in node_groups {
            let r = self.raw(i);
            let mut w = self.eks_node_group(r);
            w.ipv6 = self.ipv6_of(r, &w);
            self.model.workloads.push(w);
        }
        for e in 0..self.model.endpoints.len() {
            let ep = &self.model.endpoints[e];
            if ep.kind != EndpointKind::Interface {
                continue;
            }
            let mut w = Workload {
                address: ep.address.clone(),
                kind: WorkloadKind::InterfaceEndpoint,
                places: ep.subnets.clone(),
                places_unknown: ep.subnets_unknown.clone(),
                security_groups: ep.security_groups.clone(),
                security_groups_unknown: ep.security_groups_unknown.clone(),
                unguarded: false,
                public_ipv4: PublicAddress::No,
                ipv6: self.endpoint_ipv6(&ep.address),
                ports: vec![Port {
                    protocol: TCP,
                    port: 443,
                    resource: ep.address.clone(),
                }],
            };
            if w.security_groups.is_empty() && w.security_groups_unknown.is_none() {
                self.take_default_group(&mut w);
            }
            self.model.workloads.push(w);
        }
        self.network_interface_sg_attachments();
        self.listeners();
        for w in &mut self.model.workloads {
            if w.places.is_empty() && w.places_unknown.is_none() {
                w.places_unknown = Some(format!(
                    "the input does not say which subnets {} is in",
                    w.address
                ));
            }
            w.places.sort_unstable();
            w.places.dedup();
            w.security_groups.sort_unstable();
            w.security_groups.dedup();
        }
    }

    /// What a link attribute at `path` of `r` leads to: known IDs, and
    /// references through the configuration for what is not known.
    fn follow(&mut self, r: &RawResource, path: &[&str], types: &[&str]) -> Links {
        let mut out = Links::default();
        let v = at(&r.values, path);
        let mut found: Vec<Found> = Vec::new();
        let mut unknown = false;
        match v {
            Some(x) if is_unknown(x) => unknown = true,
            Some(Json::String(s)) if !s.is_empty() => found.push(self.lk.by_id(s, types)),
            Some(Json::Array(items)) => {
                for x in items {
                    match x {
                        x if is_unknown(x) => unknown = true,
                        Json::String(s) if !s.is_empty() => found.push(self.lk.by_id(s, types)),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        if unknown {
            for f in self.lk.via_config(r, path, types) {
                let dup = found
                    .iter()
                    .any(|o| matches!((o, &f), (Found::Raw(a), Found::Raw(b)) if a == b));
                if !dup {
                    found.push(f);
                }
            }
        }
        for f in found {
            match f {
                Found::Raw(i) => out.raws.push(i),
                Found::Assumed(i, why) => {
                    // Said in the workload findings, so that the subnet
                    // reports stay as they were.
                    out.raws.push(i);
                    self.model.workload_findings.push(Finding::new(
                        codes::ASSUMED_REFERENCE,
                        &self.raw(i).address,
                        why,
                    ));
                }
                Found::External(id) => {
                    out.unknown.get_or_insert(format!(
                        "{id}, named by `{}` of {}, is not in the input",
                        path.join("."),
                        r.address
                    ));
                }
                Found::Deleted(id, addr) => {
                    out.unknown
                        .get_or_insert(format!("{id} ({addr}) is deleted by this plan"));
                }
                Found::Unresolved(why) => {
                    out.unknown.get_or_insert(why);
                }
                Found::None => {}
            }
        }
        out
    }

    /// Subnets at `path` of `r`.
    fn places(&mut self, r: &RawResource, path: &[&str], w: &mut Workload) {
        let l = self.follow(r, path, SUBNET_TYPES);
        for i in l.raws {
            match self.subnet_of.get(&i) {
                Some(&s) => w.places.push(s),
                None => {
                    w.places_unknown.get_or_insert(format!(
                        "{} was skipped, so the subnets of {} are not all known",
                        self.raw(i).address,
                        w.address
                    ));
                }
            }
        }
        if let Some(why) = l.unknown {
            w.places_unknown.get_or_insert(why);
        }
    }

    /// Security groups at `path` of `r`; the VPC's default group when the
    /// attribute is neither set nor configured and `default` says AWS
    /// uses it.
    fn groups(&mut self, r: &RawResource, path: &[&str], w: &mut Workload, default: bool) {
        let v = at(&r.values, path);
        let configured = self.lk.doc(r).config.is_configured_path(r, path);
        let given = is_set(v) && (configured || !v.is_some_and(is_unknown));
        if !given {
            if default {
                self.take_default_group(w);
            }
            return;
        }
        let l = self.follow(r, path, SG_TYPES);
        for i in l.raws {
            if let Some(&g) = self.sg_of.get(&i) {
                w.security_groups.push(g);
            }
        }
        if let Some(why) = l.unknown {
            w.security_groups_unknown.get_or_insert(why);
        }
    }

    /// Gives `w` its VPC's default group, and says so.
    fn take_default_group(&mut self, w: &mut Workload) {
        let Some(vpc) = w
            .places
            .first()
            .and_then(|&s| self.model.subnets[s].vpc.index())
        else {
            w.security_groups_unknown.get_or_insert(format!(
                "{} names no security group, so it gets its VPC's default group, and its VPC is not known",
                w.address
            ));
            return;
        };
        let g = self.default_group(vpc);
        w.security_groups.push(g);
        let sg = &self.model.security_groups[g];
        let what = if sg.origin == SgOrigin::AwsDefault {
            "which AWS creates with one inbound rule (all traffic from members of the group) and one outbound rule (all traffic)"
        } else {
            "as the input manages it"
        };
        self.model.workload_findings.push(Finding::new(
            codes::DEFAULT_SECURITY_GROUP,
            &w.address,
            format!(
                "{} names no security group, so AWS gives it the default group of {}, {what}",
                w.address, self.model.vpcs[vpc].address
            ),
        ));
    }

    fn new_workload(r: &RawResource, kind: WorkloadKind) -> Workload {
        Workload {
            address: r.address.clone(),
            kind,
            places: Vec::new(),
            places_unknown: None,
            security_groups: Vec::new(),
            security_groups_unknown: None,
            unguarded: false,
            ports: Vec::new(),
            public_ipv4: PublicAddress::No,
            ipv6: PublicAddress::No,
        }
    }

    /// Whether workload `w` (of resource `r`) has an IPv6 address, as its
    /// kind decides: instances, interfaces and the EC2 nodes of node groups
    /// and Auto Scaling groups when they ask for one
    /// (`ipv6_address_count`, `ipv6_addresses`) or their subnet assigns
    /// one; Lambda with `ipv6_allowed_for_dual_stack`; RDS with
    /// `network_type = "DUAL"`; ElastiCache with `network_type` dual stack
    /// or IPv6; load balancers with a dual-stack `ip_address_type`; EKS
    /// control planes of an IPv6 cluster; ECS tasks, whose IPv6 address
    /// also depends on an account setting the input cannot hold, not known
    /// where their subnet assigns one.
    fn ipv6_of(&self, r: &RawResource, w: &Workload) -> PublicAddress {
        let v = &r.values;
        let one_of = |path: &[&str], yes: &[&str]| -> PublicAddress {
            match at(v, path) {
                Some(x) if is_unknown(x) => {
                    if self.lk.doc(r).config.is_configured_path(r, path) {
                        PublicAddress::Unknown
                    } else {
                        PublicAddress::No
                    }
                }
                Some(Json::String(s)) if yes.contains(&&**s) => PublicAddress::Yes,
                Some(Json::Bool(true)) if yes.contains(&"true") => PublicAddress::Yes,
                _ => PublicAddress::No,
            }
        };
        match w.kind {
            WorkloadKind::Instance | WorkloadKind::NetworkInterface => {
                for attr in ["ipv6_address_count", "ipv6_addresses", "ipv6_address_list"] {
                    match v.get(attr) {
                        Some(Json::Number(n)) if n.as_u64().is_some_and(|n| n > 0) => {
                            return PublicAddress::Yes
                        }
                        Some(Json::Array(a)) if !a.is_empty() => return PublicAddress::Yes,
                        Some(x)
                            if is_unknown(x) && self.lk.doc(r).config.is_configured(r, attr) =>
                        {
                            return PublicAddress::Unknown
                        }
                        _ => {}
                    }
                }
                PublicAddress::AsSubnet
            }
            WorkloadKind::EksNodeGroup | WorkloadKind::AutoScalingGroup => PublicAddress::AsSubnet,
            WorkloadKind::Lambda => {
                one_of(&["vpc_config", "ipv6_allowed_for_dual_stack"], &["true"])
            }
            WorkloadKind::Database => one_of(&["network_type"], &["DUAL"]),
            WorkloadKind::Cache => one_of(&["network_type"], &["dual_stack", "ipv6"]),
            WorkloadKind::LoadBalancer => one_of(
                &["ip_address_type"],
                &["dualstack", "dualstack-without-public-ipv4"],
            ),
            WorkloadKind::EksCluster => {
                one_of(&["kubernetes_network_config", "ip_family"], &["ipv6"])
            }
            WorkloadKind::EcsService => {
                let assigns = |s: &usize| self.model.subnets[*s].assigns_ipv6 != Some(false);
                if w.places.iter().any(assigns) {
                    PublicAddress::Unknown
                } else {
                    PublicAddress::No
                }
            }
            WorkloadKind::InterfaceEndpoint => PublicAddress::No,
        }
    }

    /// Whether the interface endpoint at `address` has IPv6 addresses
    /// (`ip_address_type` dual stack or IPv6).
    fn endpoint_ipv6(&self, address: &str) -> PublicAddress {
        let found = self
            .lk
            .raw
            .iter()
            .find(|r| r.address == address && r.rtype == "aws_vpc_endpoint");
        match found.map(|r| (r, r.values.get("ip_address_type"))) {
            Some((_, Some(Json::String(t)))) if &**t == "dualstack" || &**t == "ipv6" => {
                PublicAddress::Yes
            }
            Some((r, Some(x)))
                if is_unknown(x) && self.lk.doc(r).config.is_configured(r, "ip_address_type") =>
            {
                PublicAddress::Unknown
            }
            _ => PublicAddress::No,
        }
    }

    fn instance(&mut self, r: &'a RawResource) -> Option<Workload> {
        let mut w = Self::new_workload(r, WorkloadKind::Instance);
        self.places(r, &["subnet_id"], &mut w);
        if w.places.is_empty() && w.places_unknown.is_none() {
            w.places_unknown = Some(format!(
                "{} names no subnet, so AWS launches it in a default subnet that the input does not hold",
                r.address
            ));
        }
        self.groups(r, &["vpc_security_group_ids"], &mut w, true);
        let configured = self
            .lk
            .doc(r)
            .config
            .is_configured(r, "associate_public_ip_address");
        w.public_ipv4 = if self.holds_public_address(&w) {
            PublicAddress::Yes
        } else {
            flag(
                r.values.get("associate_public_ip_address"),
                configured,
                PublicAddress::AsSubnet,
            )
        };
        Some(w)
    }

    /// Does an Elastic IP (or the instance's own request) give the
    /// workload a public address, as the subnet model records it?
    fn holds_public_address(&self, w: &Workload) -> bool {
        w.places.iter().any(|&s| {
            self.model.subnets[s]
                .public_ipv4
                .holders
                .contains(&w.address)
        })
    }

    fn network_interface(&mut self, r: &'a RawResource) -> Option<Workload> {
        let mut w = Self::new_workload(r, WorkloadKind::NetworkInterface);
        self.places(r, &["subnet_id"], &mut w);
        self.groups(r, &["security_groups"], &mut w, true);
        // An interface gets a public address from an Elastic IP only.
        if self.holds_public_address(&w) {
            w.public_ipv4 = PublicAddress::Yes;
        }
        Some(w)
    }

    fn lambda(&mut self, r: &'a RawResource) -> Option<Workload> {
        // Outside a VPC a function has no place in the network.
        if !is_set(at(&r.values, &["vpc_config", "subnet_ids"])) {
            return None;
        }
        let mut w = Self::new_workload(r, WorkloadKind::Lambda);
        self.places(r, &["vpc_config", "subnet_ids"], &mut w);
        self.groups(r, &["vpc_config", "security_group_ids"], &mut w, false);
        Some(w)
    }

    /// A database or cache: its subnets through its subnet group.
    fn subnet_group_places(
        &mut self,
        r: &'a RawResource,
        attr: &str,
        types: &[&str],
        w: &mut Workload,
    ) {
        let group = match r.values.get(attr) {
            Some(Json::String(name)) if !is_unknown(&r.values[attr]) && !name.is_empty() => {
                let by_name = (0..self.lk.raw.len()).find(|&i| {
                    let g = self.raw(i);
                    types.contains(&g.rtype.as_str())
                        && (str_attr(&g.values, "name") == Some(&**name)
                            || str_attr(&g.values, "id") == Some(&**name))
                });
                match by_name {
                    Some(i) => Some(i),
                    None => {
                        w.places_unknown = Some(format!(
                            "subnet group `{name}` of {} is not in the input",
                            r.address
                        ));
                        None
                    }
                }
            }
            Some(x) if is_unknown(x) && self.lk.doc(r).config.is_configured(r, attr) => {
                let l = self.follow(r, &[attr], types);
                if let Some(why) = l.unknown {
                    w.places_unknown = Some(why);
                }
                l.raws.first().copied()
            }
            _ => {
                w.places_unknown = Some(format!(
                    "{} names no subnet group, so AWS uses the default one, whose subnets are not in the input",
                    r.address
                ));
                None
            }
        };
        if let Some(g) = group {
            let gr = self.raw(g);
            self.places(gr, &["subnet_ids"], w);
        }
    }

    fn served_port(&mut self, r: &RawResource, w: &mut Workload) {
        let port = match r.values.get("port") {
            Some(Json::Number(n)) => n.as_u64().and_then(|p| u16::try_from(p).ok()),
            _ => None,
        }
        .or_else(|| str_attr(&r.values, "engine").and_then(engine_port));
        if let Some(port) = port.filter(|p| *p > 0) {
            w.ports.push(Port {
                protocol: TCP,
                port,
                resource: r.address.clone(),
            });
        }
    }

    fn database(&mut self, r: &'a RawResource) -> Option<Workload> {
        let mut w = Self::new_workload(r, WorkloadKind::Database);
        self.subnet_group_places(r, "db_subnet_group_name", DB_GROUP_TYPES, &mut w);
        self.groups(r, &["vpc_security_group_ids"], &mut w, true);
        self.served_port(r, &mut w);
        let configured = self
            .lk
            .doc(r)
            .config
            .is_configured(r, "publicly_accessible");
        w.public_ipv4 = flag(
            r.values.get("publicly_accessible"),
            configured,
            PublicAddress::No,
        );
        Some(w)
    }

    fn cache(&mut self, r: &'a RawResource) -> Option<Workload> {
        let mut w = Self::new_workload(r, WorkloadKind::Cache);
        self.subnet_group_places(r, "subnet_group_name", CACHE_GROUP_TYPES, &mut w);
        self.groups(r, &["security_group_ids"], &mut w, true);
        self.served_port(r, &mut w);
        Some(w)
    }

    fn load_balancer(&mut self, r: &'a RawResource) -> Option<Workload> {
        let mut w = Self::new_workload(r, WorkloadKind::LoadBalancer);
        let mapped = match r.values.get("subnet_mapping") {
            Some(x) if is_unknown(x) => self.lk.doc(r).config.is_configured(r, "subnet_mapping"),
            other => is_set(other),
        };
        if mapped {
            self.places(r, &["subnet_mapping", "subnet_id"], &mut w);
            // Every mapping, not only the first block.
            if let Some(Json::Array(maps)) = r.values.get("subnet_mapping") {
                for m in maps.iter().skip(1) {
                    if let Some(Json::String(s)) = m.get("subnet_id") {
                        if let Found::Raw(i) = self.lk.by_id(s, SUBNET_TYPES) {
                            if let Some(&sn) = self.subnet_of.get(&i) {
                                w.places.push(sn);
                            }
                        }
                    }
                }
            }
        } else {
            self.places(r, &["subnets"], &mut w);
        }
        let lb_type = str_attr(&r.values, "load_balancer_type").unwrap_or("application");
        let groups_value = r.values.get("security_groups");
        let has_groups = is_set(groups_value)
            && (!groups_value.is_some_and(is_unknown)
                || self.lk.doc(r).config.is_configured(r, "security_groups"));
        match lb_type {
            // Created without groups, a Network Load Balancer has none and
            // cannot be given any later; a Gateway Load Balancer takes none.
            "network" | "gateway" if !has_groups => w.unguarded = true,
            _ => self.groups(r, &["security_groups"], &mut w, true),
        }
        // Internet-facing unless `internal` is set: AWS's default scheme.
        let configured = self.lk.doc(r).config.is_configured(r, "internal");
        w.public_ipv4 = match flag(r.values.get("internal"), configured, PublicAddress::No) {
            PublicAddress::Yes => PublicAddress::No,
            PublicAddress::Unknown => PublicAddress::Unknown,
            _ => PublicAddress::Yes,
        };
        Some(w)
    }

    fn ecs_service(&mut self, r: &'a RawResource) -> Option<Workload> {
        if !is_set(at(&r.values, &["network_configuration", "subnets"])) {
            // Bridge or host networking: the tasks use their instances'
            // interfaces, which are other workloads.
            return None;
        }
        let mut w = Self::new_workload(r, WorkloadKind::EcsService);
        self.places(r, &["network_configuration", "subnets"], &mut w);
        self.groups(
            r,
            &["network_configuration", "security_groups"],
            &mut w,
            true,
        );
        Some(w)
    }

    fn eks_cluster(&mut self, r: &'a RawResource) -> Option<Workload> {
        let mut w = Self::new_workload(r, WorkloadKind::EksCluster);
        self.places(r, &["vpc_config", "subnet_ids"], &mut w);
        self.groups(r, &["vpc_config", "security_group_ids"], &mut w, false);
        // EKS creates the cluster security group and attaches it to the
        // control plane's interfaces.
        if let Some(vpc) = w
            .places
            .first()
            .and_then(|&s| self.model.subnets[s].vpc.index())
        {
            let g = self.push_service_group(
                format!("{}{CLUSTER_GROUP_SUFFIX}", r.address),
                vpc,
                SgOrigin::ServiceCreated,
            );
            w.security_groups.push(g);
        }
        w.ports.push(Port {
            protocol: TCP,
            port: 443,
            resource: r.address.clone(),
        });
        Some(w)
    }

    /// An EKS managed node group: its nodes are in `subnet_ids`; they carry
    /// the groups of its launch template when it names some, and otherwise
    /// the cluster group EKS created for its cluster.
    fn eks_node_group(&mut self, r: &'a RawResource) -> Workload {
        let mut w = Self::new_workload(r, WorkloadKind::EksNodeGroup);
        w.public_ipv4 = PublicAddress::AsSubnet;
        self.places(r, &["subnet_ids"], &mut w);
        if is_set(at(&r.values, &["launch_template"])) {
            let lt = self.launch_template(r);
            if let Some(&t) = lt.raws.first() {
                let tr = self.raw(t);
                for path in [
                    &["network_interfaces", "security_groups"][..],
                    &["vpc_security_group_ids"][..],
                ] {
                    if is_set(at(&tr.values, path)) {
                        self.groups(tr, path, &mut w, false);
                        return w;
                    }
                }
            } else if let Some(why) = lt.unknown {
                w.security_groups_unknown = Some(why);
                return w;
            }
        }
        let cluster = str_attr(&r.values, "cluster_name").and_then(|n| {
            (0..self.lk.raw.len()).find(|&i| {
                let c = self.raw(i);
                c.rtype == "aws_eks_cluster"
                    && (str_attr(&c.values, "name") == Some(n)
                        || str_attr(&c.values, "id") == Some(n))
            })
        });
        let group = cluster.and_then(|c| {
            let name = format!("{}{CLUSTER_GROUP_SUFFIX}", self.raw(c).address);
            self.model
                .security_groups
                .iter()
                .position(|g| g.address == name)
        });
        match group {
            Some(g) => w.security_groups.push(g),
            None => {
                w.security_groups_unknown = Some(format!(
                    "{} carries the cluster security group of its cluster, which is not in the input or whose subnets are not known",
                    r.address
                ))
            }
        }
        if is_set(at(&r.values, &["remote_access"])) {
            if let Some(g) = self.remote_access_group(r, &w) {
                w.security_groups.push(g);
            }
        }
        w
    }

    /// The group EKS creates for a node group's `remote_access` and
    /// attaches to its nodes: SSH (RDP for Windows nodes) in from the
    /// groups `source_security_group_ids` names, or from every IPv4 address
    /// when it names none; out to everything, as every group the EC2 API
    /// creates. When the block is not known until apply, a group whose one
    /// inbound rule is not known. `None` when the node group's VPC is not
    /// known.
    fn remote_access_group(&mut self, r: &'a RawResource, w: &Workload) -> Option<usize> {
        let vpc = w
            .places
            .first()
            .and_then(|&s| self.model.subnets[s].vpc.index())?;
        let address = format!("{}{REMOTE_ACCESS_GROUP_SUFFIX}", r.address);
        let windows = str_attr(&r.values, "ami_type").is_some_and(|t| t.starts_with("WINDOWS"));
        let port = if windows { 3389 } else { 22 };
        let path = ["remote_access", "source_security_group_ids"];
        let sources = if at(&r.values, &["remote_access"]).is_some_and(is_unknown) {
            RemoteSources::Unknown(format!(
                "whether {} has remote access (`remote_access`), and so a group EKS creates to admit tcp {port}, is not known until apply",
                r.address
            ))
        } else if is_set(at(&r.values, &path)) {
            let mut from = Self::new_workload(r, WorkloadKind::EksNodeGroup);
            self.groups(r, &path, &mut from, false);
            RemoteSources::Groups(from.security_groups, from.security_groups_unknown)
        } else {
            RemoteSources::Open
        };
        let g =
            self.push_remote_access_group(address, vpc, FlowSet::ports(TCP, port, port), sources);
        Some(g)
    }

    fn autoscaling_group(&mut self, r: &'a RawResource) -> Option<Workload> {
        let mut w = Self::new_workload(r, WorkloadKind::AutoScalingGroup);
        w.public_ipv4 = PublicAddress::AsSubnet;
        self.places(r, &["vpc_zone_identifier"], &mut w);
        let lt = self.launch_template(r);
        match lt.raws.first() {
            Some(&t) => {
                let tr = self.raw(t);
                if is_set(at(&tr.values, &["network_interfaces", "security_groups"])) {
                    self.groups(tr, &["network_interfaces", "security_groups"], &mut w, true);
                } else {
                    self.groups(tr, &["vpc_security_group_ids"], &mut w, true);
                }
            }
            None => {
                w.security_groups_unknown = Some(lt.unknown.unwrap_or_else(|| {
                    format!(
                        "the launch template of {} is not in the input, so its security groups are not known",
                        r.address
                    )
                }));
            }
        }
        Some(w)
    }

    /// The launch template `r` names in its `launch_template` block, by
    /// ID or by name.
    fn launch_template(&mut self, r: &'a RawResource) -> Links {
        match at(&r.values, &["launch_template", "id"]) {
            Some(x) if is_set(Some(x)) => self.follow(r, &["launch_template", "id"], LT_TYPES),
            _ => {
                let name = at(&r.values, &["launch_template", "name"])
                    .and_then(Json::as_str)
                    .map(str::to_string);
                let by_name = name.as_deref().and_then(|n| {
                    (0..self.lk.raw.len()).find(|&i| {
                        let t = self.raw(i);
                        LT_TYPES.contains(&t.rtype.as_str())
                            && str_attr(&t.values, "name") == Some(n)
                    })
                });
                match by_name {
                    Some(i) => Links {
                        raws: vec![i],
                        unknown: None,
                    },
                    None => self.follow(r, &["launch_template", "name"], LT_TYPES),
                }
            }
        }
    }

    /// `aws_network_interface_sg_attachment`: one more group on an
    /// interface.
    fn network_interface_sg_attachments(&mut self) {
        for i in 0..self.lk.raw.len() {
            let r = self.raw(i);
            if r.rtype != "aws_network_interface_sg_attachment" {
                continue;
            }
            let eni = self.follow(r, &["network_interface_id"], ENI_TYPES);
            let sg = self.follow(r, &["security_group_id"], SG_TYPES);
            let Some(&e) = eni.raws.first() else { continue };
            let addr = self.raw(e).address.clone();
            let Some(w) = self.model.workloads.iter().position(|w| w.address == addr) else {
                continue;
            };
            match sg.raws.first().and_then(|x| self.sg_of.get(x)) {
                Some(&g) => {
                    let wl = &mut self.model.workloads[w];
                    // The attachment replaces the default group AWS gave
                    // an interface that named none.
                    let defaults: Vec<usize> = wl
                        .security_groups
                        .iter()
                        .copied()
                        .filter(|&x| self.model.security_groups[x].origin == SgOrigin::AwsDefault)
                        .collect();
                    let wl = &mut self.model.workloads[w];
                    wl.security_groups.retain(|x| !defaults.contains(x));
                    wl.security_groups.push(g);
                }
                None => {
                    let why = sg.unknown.unwrap_or_else(|| {
                        format!("the group {} attaches is not known", r.address)
                    });
                    self.model.workloads[w]
                        .security_groups_unknown
                        .get_or_insert(why);
                }
            }
        }
    }

    /// Load balancer listeners: the ports their load balancer serves.
    fn listeners(&mut self) {
        for i in 0..self.lk.raw.len() {
            let r = self.raw(i);
            if !["aws_lb_listener", "aws_alb_listener"].contains(&r.rtype.as_str()) {
                continue;
            }
            let lb = self.follow(r, &["load_balancer_arn"], LB_TYPES);
            let Some(&l) = lb.raws.first() else { continue };
            let lr = self.raw(l);
            let lb_type = str_attr(&lr.values, "load_balancer_type").unwrap_or("application");
            let Some(w) = self
                .model
                .workloads
                .iter()
                .position(|w| w.address == lr.address)
            else {
                continue;
            };
            let port = match r.values.get("port") {
                Some(Json::Number(n)) => n.as_u64().and_then(|p| u16::try_from(p).ok()),
                _ => None,
            };
            let Some(port) = port else { continue };
            for protocol in listener_protocols(str_attr(&r.values, "protocol"), lb_type) {
                self.model.workloads[w].ports.push(Port {
                    protocol,
                    port,
                    resource: r.address.clone(),
                });
            }
        }
    }
}
