//! Security groups: the stateful, allow-only filters on network interfaces.
//!
//! * Groups: `aws_security_group` (inline `ingress` / `egress`),
//!   `aws_default_security_group` (Terraform removes every rule AWS put there
//!   and keeps only those written), the data source, and the awscc type.
//! * Rules beside the group: `aws_security_group_rule`,
//!   `aws_vpc_security_group_ingress_rule` / `_egress_rule` and the awscc
//!   ingress and egress types. A rule's peer is a CIDR block (IPv4 or
//!   IPv6), a prefix list, another group (followed like every other link:
//!   by ID, or through the configuration while the ID is not known), or the
//!   group itself (`self`).
//! * The default egress rule: AWS gives every new group a rule that lets
//!   all traffic out, but the Terraform provider deletes it from each
//!   `aws_security_group` it creates; only the egress rules the input writes
//!   remain (`SecurityGroup::egress_removed` says so, and the workload
//!   analysis reports it when it is what stops a connection).
//! * A workload that names no group gets its VPC's default group: the
//!   `aws_default_security_group` of the input when there is one, otherwise
//!   the group as AWS creates it (all traffic in from members of the group,
//!   all traffic out), added here as `SgOrigin::AwsDefault`.

use crate::ingest::Json;

use super::build::{str_attr, Builder, Found, VPC_TYPES};
use super::flow::{parse_protocol, FlowSet, ICMP, ICMPV6, TCP, UDP};
use super::Link;
use crate::ingest::unknown::is_unknown;
use crate::ingest::RawResource;
use crate::net::Prefix;

/// Where a group comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SgOrigin {
    /// A resource or data source of the input.
    Input,
    /// The VPC's default group as AWS creates it, not managed by the input.
    AwsDefault,
    /// The group a service creates and attaches itself (the EKS cluster
    /// security group): in from its own members, out to everything.
    ServiceCreated,
}

/// What follows a cluster's address in the address of the cluster
/// security group EKS creates for it.
pub const CLUSTER_GROUP_SUFFIX: &str = " (cluster security group)";

/// Where the group EKS creates for a node group's `remote_access` admits
/// its login port from.
pub enum RemoteSources {
    /// Every IPv4 address: the block names no source group.
    Open,
    /// The groups `source_security_group_ids` names, and why the rest of
    /// them is not known.
    Groups(Vec<usize>, Option<String>),
    /// The block itself is not known until apply: why.
    Unknown(String),
}

/// What follows a node group's address in the address of the group EKS
/// creates for its `remote_access`.
pub const REMOTE_ACCESS_GROUP_SUFFIX: &str = " (remote access security group)";

#[derive(Debug, Clone)]
pub struct SecurityGroup {
    pub address: String,
    pub aws_id: Option<String>,
    pub vpc: Link,
    pub ingress: Vec<SgRule>,
    pub egress: Vec<SgRule>,
    pub rules_unknown: Option<String>,
    pub origin: SgOrigin,
    /// An `aws_security_group` whose egress rules the configuration does not
    /// write: the provider removed the allow-all rule AWS adds.
    pub egress_removed: bool,
}

/// One allow rule (security groups have no deny rules).
#[derive(Debug, Clone)]
pub struct SgRule {
    /// The peer block, when the rule names one.
    pub cidr: Option<Prefix>,
    /// A peer that is not a block (a security group or prefix list), as the
    /// input names it.
    pub peer: Option<String>,
    /// The group the rule names, when its peer is a group.
    pub group: Option<Link>,
    /// The peer is the group that holds the rule (`self = true`).
    pub self_ref: bool,
    /// The prefix list the rule names, when its peer is one.
    pub prefix_list: Option<String>,
    pub flows: FlowSet,
    pub unknown: Option<String>,
    pub resource: String,
}

impl SgRule {
    fn new(resource: &str, flows: &FlowSet, unknown: &Option<String>) -> SgRule {
        SgRule {
            cidr: None,
            peer: None,
            group: None,
            self_ref: false,
            prefix_list: None,
            flows: flows.clone(),
            unknown: unknown.clone(),
            resource: resource.to_string(),
        }
    }
}

pub(super) const SG_TYPES: &[&str] = &[
    "aws_security_group",
    "aws_default_security_group",
    "awscc_ec2_security_group",
];

const RULE_TYPES: &[&str] = &[
    "aws_security_group_rule",
    "aws_vpc_security_group_ingress_rule",
    "aws_vpc_security_group_egress_rule",
    "awscc_ec2_security_group_ingress",
    "awscc_ec2_security_group_egress",
];

fn int(v: &Json, attr: &str) -> Result<Option<i64>, ()> {
    match v.get(attr) {
        Some(x) if is_unknown(x) => Err(()),
        Some(Json::Number(n)) => Ok(n.as_i64()),
        Some(Json::String(s)) if !s.is_empty() => s.parse().map(Some).map_err(|_| ()),
        _ => Ok(None),
    }
}

/// The flows a security group rule admits.
fn sg_flows(v: &Json, proto_attr: &str) -> Result<FlowSet, String> {
    let proto = match v.get(proto_attr) {
        Some(Json::String(s)) => parse_protocol(s)?,
        Some(Json::Number(n)) if n.as_i64() == Some(-1) => None,
        Some(Json::Number(n)) => n.as_u64().and_then(|p| u8::try_from(p).ok()),
        Some(x) if is_unknown(x) => return Err("protocol".into()),
        _ => None,
    };
    let (from, to) = (int(v, "from_port"), int(v, "to_port"));
    Ok(match proto {
        None => FlowSet::all(),
        Some(p @ (TCP | UDP)) => match (from, to) {
            (Ok(f), Ok(t)) => {
                let f = f.unwrap_or(0);
                let t = t.unwrap_or(65535);
                if f < 0 || t < 0 {
                    FlowSet::protocol(p)
                } else {
                    FlowSet::ports(p, f.min(65535) as u16, t.min(65535) as u16)
                }
            }
            _ => return Err("port range".into()),
        },
        // For ICMP the "ports" are the type and code.
        Some(p @ (ICMP | ICMPV6)) => match (from, to) {
            (Ok(f), Ok(t)) => {
                let ty = f.filter(|x| *x >= 0).map(|x| x.min(255) as u8);
                let code = t.filter(|x| *x >= 0).map(|x| x.min(255) as u8);
                FlowSet::icmp(p, ty, if ty.is_some() { code } else { None })
            }
            _ => return Err("ICMP type".into()),
        },
        Some(p) => FlowSet::protocol(p),
    })
}

fn strings(v: &Json, attr: &str) -> (Vec<String>, bool) {
    match v.get(attr) {
        Some(Json::Array(a)) => (
            a.iter()
                .filter(|x| !is_unknown(x))
                .filter_map(Json::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            a.iter().any(is_unknown),
        ),
        Some(x) if is_unknown(x) => (Vec::new(), true),
        Some(Json::String(s)) if !s.is_empty() => (vec![s.to_string()], false),
        _ => (Vec::new(), false),
    }
}

/// The attributes of a rule object that name a group, and those that name
/// a prefix list.
fn peer_attrs(cc: bool) -> (&'static [&'static str], &'static [&'static str]) {
    if cc {
        (
            &["source_security_group_id", "destination_security_group_id"],
            &["source_prefix_list_id", "destination_prefix_list_id"],
        )
    } else {
        (
            &[
                "security_groups",
                "source_security_group_id",
                "referenced_security_group_id",
            ],
            &["prefix_list_ids", "prefix_list_id"],
        )
    }
}

/// How a rule object's peers that name other resources are followed.
struct Peers<'f> {
    /// A group attribute to the groups it names (known IDs, and references
    /// through the configuration for what is not known until apply).
    groups: &'f mut dyn FnMut(&'static str) -> Vec<(Option<String>, Link)>,
    /// A prefix list attribute with IDs not known until apply to the lists
    /// of the input its configuration names (their addresses), when it
    /// names exactly as many as are not known.
    lists: &'f mut dyn FnMut(&'static str, usize) -> Option<Vec<String>>,
}

/// The rules one rule object stands for (one per peer).
fn sg_rules(v: &Json, resource: &str, cc: bool, peers: Peers) -> Vec<SgRule> {
    let proto_attr = if v.get("ip_protocol").is_some() {
        "ip_protocol"
    } else {
        "protocol"
    };
    let (flows, mut unknown) = match sg_flows(v, proto_attr) {
        Ok(f) => (f, None),
        Err(what) => (
            FlowSet::all(),
            Some(format!(
                "the {what} of a rule of {resource} is not known until apply"
            )),
        ),
    };
    let mut out = Vec::new();
    let cidr_attrs: &[&str] = if cc {
        &["cidr_ip", "cidr_ipv_6"]
    } else {
        &["cidr_blocks", "ipv6_cidr_blocks", "cidr_ipv4", "cidr_ipv6"]
    };
    for attr in cidr_attrs {
        let (list, unk) = strings(v, attr);
        if unk {
            unknown.get_or_insert(format!(
                "a block of a rule of {resource} is not known until apply"
            ));
        }
        for c in list {
            if let Ok(p) = c.parse::<Prefix>() {
                let mut rule = SgRule::new(resource, &flows, &unknown);
                rule.cidr = Some(p);
                out.push(rule);
            }
        }
    }
    let (group_attrs, list_attrs) = peer_attrs(cc);
    for attr in group_attrs {
        if v.get(attr).is_none_or(|x| matches!(x, Json::Null)) {
            continue;
        }
        for (name, link) in (peers.groups)(attr) {
            let mut rule = SgRule::new(resource, &flows, &unknown);
            rule.peer = name;
            rule.group = Some(link);
            out.push(rule);
        }
    }
    for attr in list_attrs {
        let (mut list, mut unk) = strings(v, attr);
        // A list created by the same plan: named through the configuration.
        if let Some(n) = unk.then(|| unknown_elements(v, attr)).flatten() {
            if let Some(found) = (peers.lists)(attr, n) {
                list.extend(found);
                unk = false;
            }
        }
        for p in list {
            let mut rule = SgRule::new(resource, &flows, &unknown);
            rule.peer = Some(p.clone());
            rule.prefix_list = Some(p);
            out.push(rule);
        }
        if unk {
            let mut rule = SgRule::new(resource, &flows, &unknown);
            let why = format!("a prefix list of {resource} is not known until apply");
            rule.peer = Some(why.clone());
            rule.unknown = Some(why);
            out.push(rule);
        }
    }
    if v.get("self") == Some(&Json::Bool(true)) {
        let mut rule = SgRule::new(resource, &flows, &unknown);
        rule.peer = Some("members of the group itself".into());
        rule.self_ref = true;
        out.push(rule);
    }
    if out.is_empty() && unknown.is_some() {
        out.push(SgRule::new(resource, &flows, &unknown));
    }
    out
}

/// How many of the IDs in `attr` are not known until apply, when the
/// attribute itself is known (a list whose length is not known: `None`).
fn unknown_elements(v: &Json, attr: &str) -> Option<usize> {
    match v.get(attr)? {
        Json::Array(a) => Some(a.iter().filter(|x| is_unknown(x)).count()),
        x if is_unknown(x) && !matches!(x, Json::Array(_)) && attr.ends_with("_id") => Some(1),
        _ => None,
    }
}

/// The account prefix of a cross-account reference (`111122223333/sg-1`)
/// is not part of the group's ID.
fn bare_group_id(id: &str) -> &str {
    id.rsplit('/').next().unwrap_or(id)
}

impl<'a> Builder<'a> {
    /// Security groups and their rules; fills `Builder::sg_of` (raw index
    /// -> group index).
    pub(super) fn security_groups(&mut self) {
        for i in 0..self.lk.raw.len() {
            if !self.managed_or_data(i, SG_TYPES) {
                continue;
            }
            let r = self.raw(i);
            let fv = self.lk.link(r, "vpc_id", VPC_TYPES);
            let vpc = self.link_of(fv, |b| &b.vpc_of, "VPC");
            let egress_attr = if r.rtype.starts_with("awscc_") {
                "security_group_egress"
            } else {
                "egress"
            };
            let egress_removed = r.rtype == "aws_security_group"
                && r.mode == crate::ingest::Mode::Managed
                && r.values.get(egress_attr).is_some_and(is_unknown)
                && !self.lk.doc(r).config.is_configured(r, egress_attr);
            self.sg_of.insert(i, self.model.security_groups.len());
            self.model.security_groups.push(SecurityGroup {
                address: r.address.clone(),
                aws_id: str_attr(&r.values, "id")
                    .or_else(|| str_attr(&r.values, "group_id"))
                    .map(str::to_string),
                vpc,
                ingress: Vec::new(),
                egress: Vec::new(),
                rules_unknown: None,
                origin: SgOrigin::Input,
                egress_removed,
            });
        }
        for i in 0..self.lk.raw.len() {
            if self.managed_or_data(i, SG_TYPES) {
                self.inline_rules(i);
            }
        }
        for i in 0..self.lk.raw.len() {
            if self.managed_or_data(i, RULE_TYPES) {
                self.rule_resource(i);
            }
        }
        for sg in &mut self.model.security_groups {
            if !sg.egress.is_empty() {
                sg.egress_removed = false;
            }
        }
    }

    /// The inline `ingress` and `egress` rules of group `i` (raw index).
    fn inline_rules(&mut self, i: usize) {
        let r = self.raw(i);
        let g = self.sg_of[&i];
        let cc = r.rtype.starts_with("awscc_");
        let attrs: [(&str, bool); 2] = if cc {
            [
                ("security_group_ingress", false),
                ("security_group_egress", true),
            ]
        } else {
            [("ingress", false), ("egress", true)]
        };
        for (attr, egress) in attrs {
            match r.values.get(attr) {
                Some(x) if is_unknown(x) && self.lk.doc(r).config.is_configured(r, attr) => {
                    self.model.security_groups[g].rules_unknown = Some(format!(
                        "the {attr} rules of {} are not known until apply",
                        r.address
                    ));
                }
                Some(Json::Array(items)) => {
                    // Items whose group references are not known until apply
                    // resolve through the attribute's expression, whose
                    // references are merged over its blocks.
                    let pending = items.iter().filter(|it| group_refs_unknown(it, cc)).count();
                    // The configuration's references are merged over the
                    // blocks: lists are followed when one block waits.
                    let lists_pending = items.iter().filter(|it| list_refs_unknown(it, cc)).count();
                    for item in items {
                        let mut follow =
                            |a: &'static str| self.inline_groups(r, attr, a, item, pending);
                        let mut lists = |_: &'static str, n: usize| {
                            (lists_pending == 1)
                                .then(|| self.customer_lists_via_config(r, &[attr], n))
                                .flatten()
                        };
                        let peers = Peers {
                            groups: &mut follow,
                            lists: &mut lists,
                        };
                        let rules = sg_rules(item, &r.address, cc, peers);
                        let sg = &mut self.model.security_groups[g];
                        if egress {
                            sg.egress.extend(rules);
                        } else {
                            sg.ingress.extend(rules);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// The groups attribute `a` of the inline rule `item` (of the group
    /// `r`'s attribute `attr`) names.
    fn inline_groups(
        &self,
        r: &RawResource,
        attr: &str,
        a: &'static str,
        item: &Json,
        pending: usize,
    ) -> Vec<(Option<String>, Link)> {
        let (known, unknown) = strings(item, a);
        let mut out: Vec<(Option<String>, Link)> =
            known.iter().map(|id| self.group_by_id(id)).collect();
        if unknown {
            let found = self.lk.via_config(r, &[attr], SG_TYPES);
            let links: Vec<Link> = found
                .into_iter()
                .map(|f| self.group_found(f))
                .filter(|l| !out.iter().any(|(_, o)| o == l))
                .collect();
            let resolved = links.iter().filter(|l| matches!(l, Link::To(_))).count();
            if pending == 1 || resolved == 1 {
                out.extend(self.unknown_peers(r, links));
            } else {
                let why = format!(
                    "a group named by an `{attr}` rule of {} is not known until apply, and the references of its `{attr}` blocks could be any of several groups",
                    r.address
                );
                out.extend(self.unknown_peers(r, vec![Link::Unresolved(why)]));
            }
        }
        out
    }

    /// The groups a peer attribute not known until apply leads to. The
    /// first carries the peer's description as the input has it (a peer
    /// not known until apply), the rest none, so that one attribute stays
    /// one peer where peers are listed.
    fn unknown_peers(&self, r: &RawResource, mut links: Vec<Link>) -> Vec<(Option<String>, Link)> {
        if links.is_empty() {
            links.push(Link::None);
        }
        links
            .into_iter()
            .enumerate()
            .map(|(i, l)| {
                let name =
                    (i == 0).then(|| format!("a peer of {} not known until apply", r.address));
                (name, l)
            })
            .collect()
    }

    /// The rule resource at raw index `i`, added to its group.
    fn rule_resource(&mut self, i: usize) {
        let r = self.raw(i);
        let (egress, cc) = match r.rtype.as_str() {
            "aws_security_group_rule" => (str_attr(&r.values, "type") == Some("egress"), false),
            "aws_vpc_security_group_ingress_rule" => (false, false),
            "aws_vpc_security_group_egress_rule" => (true, false),
            "awscc_ec2_security_group_ingress" => (false, true),
            "awscc_ec2_security_group_egress" => (true, true),
            _ => return,
        };
        let attr = if cc { "group_id" } else { "security_group_id" };
        let f = self.lk.link(r, attr, SG_TYPES);
        let Found::Raw(x) = self.accept(f) else {
            return;
        };
        let Some(&g) = self.sg_of.get(&x) else {
            return;
        };
        let mut follow = |a: &'static str| -> Vec<(Option<String>, Link)> {
            let (known, unknown) = strings(&r.values, a);
            let mut out: Vec<(Option<String>, Link)> =
                known.iter().map(|id| self.group_by_id(id)).collect();
            if unknown {
                let links: Vec<Link> = self
                    .lk
                    .via_config(r, &[a], SG_TYPES)
                    .into_iter()
                    .map(|f| self.group_found(f))
                    .filter(|l| !out.iter().any(|(_, o)| o == l))
                    .collect();
                out.extend(self.unknown_peers(r, links));
            }
            out
        };
        let mut lists = |a: &'static str, n: usize| self.customer_lists_via_config(r, &[a], n);
        let peers = Peers {
            groups: &mut follow,
            lists: &mut lists,
        };
        let rules = sg_rules(&r.values, &r.address, cc, peers);
        let sg = &mut self.model.security_groups[g];
        if egress {
            sg.egress.extend(rules);
        } else {
            sg.ingress.extend(rules);
        }
    }

    /// A group named by its ID.
    fn group_by_id(&self, id: &str) -> (Option<String>, Link) {
        // The peer keeps the ID the input writes (reports of interface
        // endpoints show it); the link says which group it is.
        let l = self.group_found(self.lk.by_id(bare_group_id(id), SG_TYPES));
        (Some(id.to_string()), l)
    }

    /// A found group as a link to the model's groups. Assumed links are
    /// not taken here: rules are read before the assumption could be said.
    fn group_found(&self, f: Found) -> Link {
        match f {
            Found::Raw(i) => match self.sg_of.get(&i) {
                Some(&g) => Link::To(g),
                None => Link::Unresolved(format!(
                    "{} was skipped, so the group a rule names cannot be followed",
                    self.raw(i).address
                )),
            },
            Found::Assumed(_, why) | Found::Unresolved(why) => Link::Unresolved(why),
            Found::External(id) => Link::External(id),
            Found::Deleted(id, addr) => {
                Link::Unresolved(format!("{id} ({addr}) is deleted by this plan"))
            }
            Found::None => Link::None,
        }
    }

    /// The VPC's default group: the input's `aws_default_security_group`
    /// for it, else the group as AWS creates it (added once).
    pub(super) fn default_group(&mut self, vpc: usize) -> usize {
        let found = self.model.security_groups.iter().position(|g| {
            g.vpc == Link::To(vpc)
                && (g.origin == SgOrigin::AwsDefault
                    || g.address.starts_with("aws_default_security_group.")
                    || g.address.contains(".aws_default_security_group."))
        });
        if let Some(g) = found {
            return g;
        }
        let address = format!("{} (default security group)", self.model.vpcs[vpc].address);
        self.push_service_group(address, vpc, SgOrigin::AwsDefault)
    }

    /// A group a service creates: in from its own members, out to
    /// everything (the VPC default group as AWS makes it, or the EKS
    /// cluster security group).
    pub(super) fn push_service_group(
        &mut self,
        address: String,
        vpc: usize,
        origin: SgOrigin,
    ) -> usize {
        let all = FlowSet::all();
        let mut self_rule = SgRule::new(&address, &all, &None);
        self_rule.peer = Some("members of the group itself".into());
        self_rule.self_ref = true;
        let mut out = Vec::new();
        for c in ["0.0.0.0/0", "::/0"] {
            let mut rule = SgRule::new(&address, &all, &None);
            rule.cidr = c.parse().ok();
            out.push(rule);
        }
        let g = self.model.security_groups.len();
        self.model.security_groups.push(SecurityGroup {
            address,
            aws_id: None,
            vpc: Link::To(vpc),
            ingress: vec![self_rule],
            egress: out,
            rules_unknown: None,
            origin,
            egress_removed: false,
        });
        g
    }
}

impl Builder<'_> {
    /// The group EKS creates for a node group's remote access: `login` in
    /// from where `sources` says; out to every IPv4 address, the rule the
    /// EC2 API gives every new group (nothing out when the group may not
    /// exist).
    pub(super) fn push_remote_access_group(
        &mut self,
        address: String,
        vpc: usize,
        login: FlowSet,
        sources: RemoteSources,
    ) -> usize {
        let mut ingress = Vec::new();
        let mut egress = Vec::new();
        match sources {
            RemoteSources::Groups(groups, unknown) => {
                for g in groups {
                    let mut rule = SgRule::new(&address, &login, &None);
                    rule.peer = Some(self.model.security_groups[g].address.clone());
                    rule.group = Some(Link::To(g));
                    ingress.push(rule);
                }
                if let Some(why) = unknown {
                    let mut rule = SgRule::new(&address, &login, &Some(why.clone()));
                    rule.peer = Some(why);
                    ingress.push(rule);
                }
            }
            RemoteSources::Open => {
                let mut rule = SgRule::new(&address, &login, &None);
                rule.cidr = "0.0.0.0/0".parse().ok();
                ingress.push(rule);
            }
            RemoteSources::Unknown(why) => {
                let mut rule = SgRule::new(&address, &login, &Some(why.clone()));
                rule.peer = Some(why);
                ingress.push(rule);
            }
        }
        if !ingress.iter().all(|r| r.unknown.is_some()) {
            let mut out = SgRule::new(&address, &FlowSet::all(), &None);
            out.cidr = "0.0.0.0/0".parse().ok();
            egress.push(out);
        }
        let g = self.model.security_groups.len();
        self.model.security_groups.push(SecurityGroup {
            address,
            aws_id: None,
            vpc: Link::To(vpc),
            ingress,
            egress,
            rules_unknown: None,
            origin: SgOrigin::ServiceCreated,
            egress_removed: false,
        });
        g
    }
}

/// Does an inline rule name groups that are not known until apply?
fn group_refs_unknown(item: &Json, cc: bool) -> bool {
    peer_attrs(cc).0.iter().any(|a| strings(item, a).1)
}

fn list_refs_unknown(item: &Json, cc: bool) -> bool {
    peer_attrs(cc).1.iter().any(|a| strings(item, a).1)
}
