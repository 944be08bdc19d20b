//! Network ACLs: the stateless, numbered allow and deny rules AWS applies
//! where traffic leaves and enters a subnet.
//!
//! Sources: `aws_network_acl` (inline `ingress` / `egress`, `subnet_ids`),
//! `aws_default_network_acl` (the VPC's default ACL once Terraform manages
//! it: its rules are exactly the ones configured, none means deny all),
//! `aws_network_acl_rule`, `aws_network_acl_association`, and the Cloud
//! Control provider's `awscc_ec2_network_acl`, `awscc_ec2_network_acl_entry`
//! and `awscc_ec2_subnet_network_acl_association`. A subnet without an
//! association uses its VPC's default ACL; left unmanaged, that one allows
//! everything.

use foldhash::{HashMap, HashMapExt};

use crate::ingest::Json;

use super::build::{str_attr, Builder, Found, SUBNET_TYPES, VPC_TYPES};
use super::flow::{parse_protocol, FlowSet, ICMP, ICMPV6, TCP, UDP};
use super::Link;
use crate::codes;
use crate::ingest::unknown::is_unknown;
use crate::ingest::RawResource;
use crate::model::Finding;
use crate::net::{Family, Prefix};

/// One network ACL.
#[derive(Debug, Clone)]
pub struct NetworkAcl {
    pub address: String,
    pub aws_id: Option<String>,
    pub vpc: Link,
    /// Inbound rules, by rule number.
    pub ingress: Vec<AclRule>,
    /// Outbound rules, by rule number.
    pub egress: Vec<AclRule>,
    /// Set when the rules are not known until apply: the reason.
    pub rules_unknown: Option<String>,
    /// The VPC's default ACL, managed through `aws_default_network_acl`.
    pub default: bool,
}

/// One numbered rule. Traffic that no rule matches is denied.
#[derive(Debug, Clone)]
pub struct AclRule {
    pub number: u32,
    pub allow: bool,
    /// The block the rule matches (the destination of outbound traffic,
    /// the source of inbound traffic); its family is the rule's.
    pub cidr: Option<Prefix>,
    /// The protocols and destination ports the rule matches.
    pub flows: FlowSet,
    /// Set when the rule's block, protocol or ports are not known until
    /// apply: the reason.
    pub unknown: Option<String>,
    /// The resource that defines the rule (the ACL for inline rules).
    pub resource: String,
}

impl AclRule {
    /// The rule's number as AWS shows it.
    pub fn label(&self) -> String {
        format!("rule {}", self.number)
    }
}

const ACL_TYPES: &[&str] = &[
    "aws_network_acl",
    "aws_default_network_acl",
    "awscc_ec2_network_acl",
];
/// What a `network_acl_id` can lead to: an ACL, or a VPC whose
/// `default_network_acl_id` it reads.
const ACL_OR_VPC: &[&str] = &[
    "aws_network_acl",
    "aws_default_network_acl",
    "awscc_ec2_network_acl",
    "aws_vpc",
    "aws_default_vpc",
    "awscc_ec2_vpc",
];

fn int_attr(v: &Json, attr: &str) -> Result<Option<i64>, ()> {
    match v.get(attr) {
        Some(x) if is_unknown(x) => Err(()),
        Some(Json::Number(n)) => Ok(n.as_i64()),
        Some(Json::String(s)) if !s.is_empty() => s.trim().parse::<i64>().map(Some).map_err(|_| ()),
        _ => Ok(None),
    }
}

/// The fields of one rule, whatever resource spells them.
struct RuleFields<'a> {
    number: &'a str,
    action: &'a str,
    ipv6: &'a str,
    from: Option<(&'a str, &'a str)>,
    icmp: Option<(&'a str, &'a str)>,
}

/// `aws_network_acl` inline rules and `aws_default_network_acl`.
const INLINE: RuleFields = RuleFields {
    number: "rule_no",
    action: "action",
    ipv6: "ipv6_cidr_block",
    from: Some(("from_port", "to_port")),
    icmp: Some(("icmp_type", "icmp_code")),
};
/// `aws_network_acl_rule`.
const STANDALONE: RuleFields = RuleFields {
    number: "rule_number",
    action: "rule_action",
    ipv6: "ipv6_cidr_block",
    from: Some(("from_port", "to_port")),
    icmp: Some(("icmp_type", "icmp_code")),
};
/// `awscc_ec2_network_acl_entry` (ports and ICMP in nested objects).
const CLOUD_CONTROL: RuleFields = RuleFields {
    number: "rule_number",
    action: "rule_action",
    ipv6: "ipv_6_cidr_block",
    from: None,
    icmp: None,
};

/// Reads one rule. `None` when the rule is malformed (a finding says so).
fn parse_rule(
    v: &Json,
    fields: &RuleFields,
    resource: &str,
    findings: &mut Vec<Finding>,
) -> Option<AclRule> {
    let mut unknown: Option<String> = None;
    fn note(unknown: &mut Option<String>, what: &str, resource: &str) {
        unknown.get_or_insert_with(|| {
            format!("the {what} of a rule of {resource} is not known until apply")
        });
    }
    let number = match int_attr(v, fields.number) {
        Ok(Some(n)) if (1..=32767).contains(&n) => n as u32,
        Ok(_) => {
            findings.push(Finding::new(
                codes::INVALID_RESOURCE,
                resource,
                format!("a network ACL rule of {resource} has no valid rule number; it is skipped"),
            ));
            return None;
        }
        Err(()) => {
            note(&mut unknown, "rule number", resource);
            u32::MAX
        }
    };
    let allow = match v.get(fields.action) {
        Some(Json::String(s)) if s.eq_ignore_ascii_case("allow") => true,
        Some(Json::String(s)) if s.eq_ignore_ascii_case("deny") => false,
        Some(x) if is_unknown(x) => {
            note(&mut unknown, "action", resource);
            false
        }
        _ => {
            findings.push(Finding::new(
                codes::INVALID_RESOURCE,
                resource,
                format!("rule {number} of {resource} is neither allow nor deny; it is skipped"),
            ));
            return None;
        }
    };
    let mut cidr = None;
    for attr in ["cidr_block", fields.ipv6, "ipv6_cidr_block"] {
        match v.get(attr) {
            Some(x) if is_unknown(x) => note(&mut unknown, "block", resource),
            Some(Json::String(s)) if !s.is_empty() => match s.parse::<Prefix>() {
                Ok(p) => {
                    cidr = Some(p);
                    break;
                }
                Err(e) => {
                    findings.push(Finding::new(
                        codes::INVALID_RESOURCE,
                        resource,
                        format!("rule {number} of {resource}: {e}; the rule is skipped"),
                    ));
                    return None;
                }
            },
            _ => {}
        }
    }
    if cidr.is_none() && unknown.is_none() {
        findings.push(Finding::new(
            codes::INVALID_RESOURCE,
            resource,
            format!("rule {number} of {resource} has no CIDR block; it is skipped"),
        ));
        return None;
    }
    let protocol = match v.get("protocol") {
        Some(x) if is_unknown(x) => {
            note(&mut unknown, "protocol", resource);
            None
        }
        Some(Json::String(s)) => match parse_protocol(s) {
            Ok(p) => p,
            Err(e) => {
                findings.push(Finding::new(
                    codes::INVALID_RESOURCE,
                    resource,
                    format!("rule {number} of {resource}: {e}; the rule is skipped"),
                ));
                return None;
            }
        },
        Some(Json::Number(n)) => match n.as_i64() {
            Some(-1) => None,
            Some(p) if (0..=255).contains(&p) => Some(p as u8),
            _ => return None,
        },
        _ => None,
    };
    let nested = |obj: &str, a: &str| {
        v.get(obj)
            .and_then(|o| match o {
                Json::Array(items) => items.first().cloned(),
                Json::Object(_) => Some(o.clone()),
                _ => None,
            })
            .map(|o| int_attr(&o, a))
            .unwrap_or(Ok(None))
    };
    let (from, to) = match fields.from {
        Some((f, t)) => (int_attr(v, f), int_attr(v, t)),
        None => (nested("port_range", "from"), nested("port_range", "to")),
    };
    let (ty, code) = match fields.icmp {
        Some((t, c)) => (int_attr(v, t), int_attr(v, c)),
        None => (nested("icmp", "type"), nested("icmp", "code")),
    };
    let v6 = cidr.is_some_and(|p| p.family == Family::V6);
    let flows = match protocol {
        None => FlowSet::all(),
        Some(p @ (TCP | UDP)) => match (from, to) {
            (Ok(f), Ok(t)) => {
                let f = f.unwrap_or(0).clamp(0, 65535) as u16;
                let t = t.unwrap_or(65535).clamp(0, 65535) as u16;
                FlowSet::ports(p, f, t)
            }
            _ => {
                note(&mut unknown, "port range", resource);
                FlowSet::protocol(p)
            }
        },
        // ICMPv6 in an IPv4 rule matches every type, as AWS documents.
        Some(ICMPV6) if !v6 => FlowSet::protocol(ICMPV6),
        Some(p @ (ICMP | ICMPV6)) => match (ty, code) {
            (Ok(t), Ok(c)) => {
                let t = t.filter(|t| *t >= 0).map(|t| t.clamp(0, 255) as u8);
                let c = c.filter(|c| *c >= 0).map(|c| c.clamp(0, 255) as u8);
                FlowSet::icmp(p, t, if t.is_some() { c } else { None })
            }
            _ => {
                note(&mut unknown, "ICMP type", resource);
                FlowSet::protocol(p)
            }
        },
        Some(p) => FlowSet::protocol(p),
    };
    Some(AclRule {
        number,
        allow,
        cidr,
        flows,
        unknown,
        resource: resource.to_string(),
    })
}

fn bool_attr(v: &Json, attr: &str) -> Option<bool> {
    match v.get(attr) {
        Some(Json::Bool(b)) => Some(*b),
        Some(Json::String(s)) => s.parse().ok(),
        _ => None,
    }
}

impl<'a> Builder<'a> {
    /// Builds the network ACLs and links every subnet to its effective ACL.
    pub(super) fn network_acls(&mut self) {
        let mut acl_of: HashMap<usize, usize> = HashMap::new();
        for i in 0..self.lk.raw.len() {
            if !self.managed_or_data(i, ACL_TYPES) {
                continue;
            }
            let r = self.raw(i);
            let default = r.rtype == "aws_default_network_acl";
            let vpc = if default {
                self.default_acl_vpc(r)
            } else {
                let f = self.lk.link(r, "vpc_id", VPC_TYPES);
                self.link_of(f, |b| &b.vpc_of, "VPC")
            };
            let mut acl = NetworkAcl {
                address: r.address.clone(),
                aws_id: str_attr(&r.values, "id")
                    .or_else(|| str_attr(&r.values, "default_network_acl_id"))
                    .map(str::to_string),
                vpc: vpc.clone(),
                ingress: Vec::new(),
                egress: Vec::new(),
                rules_unknown: None,
                default,
            };
            for (attr, egress) in [("ingress", false), ("egress", true)] {
                match r.values.get(attr) {
                    // Optional and computed: unknown on create when the
                    // configuration sets no rules, and then there are none.
                    Some(x) if is_unknown(x) && self.lk.doc(r).config.is_configured(r, attr) => {
                        acl.rules_unknown = Some(format!(
                            "the {attr} rules of {} are not known until apply",
                            r.address
                        ));
                    }
                    Some(Json::Array(items)) => {
                        for item in items {
                            if is_unknown(item) {
                                acl.rules_unknown = Some(format!(
                                    "an {attr} rule of {} is not known until apply",
                                    r.address
                                ));
                                continue;
                            }
                            if let Some(rule) =
                                parse_rule(item, &INLINE, &r.address, &mut self.findings)
                            {
                                if egress {
                                    acl.egress.push(rule);
                                } else {
                                    acl.ingress.push(rule);
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
            let idx = self.model.network_acls.len();
            self.model.network_acls.push(acl);
            acl_of.insert(i, idx);
        }
        // Standalone rules.
        for i in 0..self.lk.raw.len() {
            if !["aws_network_acl_rule", "awscc_ec2_network_acl_entry"]
                .contains(&self.raw(i).rtype.as_str())
            {
                continue;
            }
            let r = self.raw(i);
            let fields = match r.rtype.as_str() {
                "aws_network_acl_rule" => &STANDALONE,
                "awscc_ec2_network_acl_entry" => &CLOUD_CONTROL,
                _ => continue,
            };
            let f = self.lk.link(r, "network_acl_id", ACL_OR_VPC);
            let Some(a) = self.acl_index(f, &acl_of, r) else {
                continue;
            };
            let Some(rule) = parse_rule(&r.values, fields, &r.address, &mut self.findings) else {
                continue;
            };
            let egress = bool_attr(&r.values, "egress").unwrap_or(false);
            if r.values.get("egress").is_some_and(is_unknown) {
                self.model.network_acls[a].rules_unknown = Some(format!(
                    "whether {} is an egress rule is not known until apply",
                    r.address
                ));
            }
            let acl = &mut self.model.network_acls[a];
            let list = if egress {
                &mut acl.egress
            } else {
                &mut acl.ingress
            };
            // A state lists standalone rules inline too: keep the resource.
            let addr = acl.address.clone();
            list.retain(|x| {
                !(x.resource == addr
                    && x.number == rule.number
                    && x.cidr.map(|p| p.family) == rule.cidr.map(|p| p.family))
            });
            list.push(rule);
        }
        for acl in &mut self.model.network_acls {
            acl.ingress.sort_by_key(|r| r.number);
            acl.egress.sort_by_key(|r| r.number);
        }
        self.acl_associations(&acl_of);
    }

    /// The VPC of an `aws_default_network_acl`.
    fn default_acl_vpc(&mut self, r: &RawResource) -> Link {
        if let Some(vpc_id) = str_attr(&r.values, "vpc_id") {
            let f = self.lk.by_id(vpc_id, VPC_TYPES);
            return self.link_of(f, |b| &b.vpc_of, "VPC");
        }
        if let Some(id) = str_attr(&r.values, "default_network_acl_id") {
            for (&ri, &vi) in &self.vpc_of {
                if str_attr(&self.raw(ri).values, "default_network_acl_id") == Some(id) {
                    return Link::To(vi);
                }
            }
        }
        let found = self
            .lk
            .via_config(r, &["default_network_acl_id"], VPC_TYPES);
        match found.as_slice() {
            [f] => self.link_of(f.clone(), |b| &b.vpc_of, "VPC"),
            _ => Link::Unresolved(format!(
                "the VPC of {} (`default_network_acl_id`) cannot be told",
                r.address
            )),
        }
    }

    fn acl_index(
        &mut self,
        f: Found,
        acl_of: &HashMap<usize, usize>,
        r: &RawResource,
    ) -> Option<usize> {
        let f = self.accept(f);
        match f {
            Found::Raw(i) => match (acl_of.get(&i), self.vpc_of.get(&i)) {
                (Some(&a), _) => Some(a),
                // `aws_vpc.x.default_network_acl_id`.
                (None, Some(&v)) => Some(self.ensure_default_acl(v)),
                _ => None,
            },
            Found::External(id) => {
                // A VPC's default ACL named by its ID.
                let by_vpc = self.vpc_of.iter().find(|(ri, _)| {
                    str_attr(&self.raw(**ri).values, "default_network_acl_id") == Some(id.as_str())
                });
                if let Some((_, &v)) = by_vpc {
                    let idx = self.ensure_default_acl(v);
                    return Some(idx);
                }
                None
            }
            Found::Unresolved(why) => {
                self.findings
                    .push(Finding::new(codes::UNRESOLVED_REFERENCE, &r.address, why));
                None
            }
            _ => None,
        }
    }

    /// A managed stand-in for a VPC's default ACL that rules are added to
    /// without `aws_default_network_acl`: it starts with AWS's allow-all
    /// rules.
    fn ensure_default_acl(&mut self, vpc: usize) -> usize {
        let addr = format!("{} (default network ACL)", self.model.vpcs[vpc].address);
        if let Some(i) = self
            .model
            .network_acls
            .iter()
            .position(|a| a.default && a.vpc == Link::To(vpc))
        {
            return i;
        }
        let allow = |cidr: &str, number: u32| AclRule {
            number,
            allow: true,
            cidr: cidr.parse().ok(),
            flows: FlowSet::all(),
            unknown: None,
            resource: addr.clone(),
        };
        let rules = vec![allow("0.0.0.0/0", 100), allow("::/0", 101)];
        self.model.network_acls.push(NetworkAcl {
            address: addr.clone(),
            aws_id: None,
            vpc: Link::To(vpc),
            ingress: rules.clone(),
            egress: rules,
            rules_unknown: None,
            default: true,
        });
        self.model.network_acls.len() - 1
    }

    fn acl_associations(&mut self, acl_of: &HashMap<usize, usize>) {
        let mut explicit: HashMap<usize, (Link, String)> = HashMap::new();
        let at = self.all_of(&[
            "aws_network_acl",
            "aws_default_network_acl",
            "awscc_ec2_network_acl",
            "aws_network_acl_association",
            "awscc_ec2_subnet_network_acl_association",
        ]);
        // What each names, followed on every core: an ACL's subnets, or an
        // association's subnet and ACL.
        let ahead = self.lk.read_each(&at, |r| match r.rtype.as_str() {
            "aws_network_acl_association" | "awscc_ec2_subnet_network_acl_association" => (
                vec![self.lk.link(r, "subnet_id", SUBNET_TYPES)],
                self.lk.link(r, "network_acl_id", ACL_OR_VPC),
            ),
            _ => (
                self.lk.optional_set(r, "subnet_ids", SUBNET_TYPES),
                Found::None,
            ),
        });
        for (i, (subnets, fa)) in at.into_iter().zip(ahead) {
            let r = self.raw(i);
            let pairs: Vec<(Found, Link)> = match r.rtype.as_str() {
                "aws_network_acl" | "aws_default_network_acl" | "awscc_ec2_network_acl" => {
                    let Some(&a) = acl_of.get(&i) else { continue };
                    subnets.into_iter().map(|f| (f, Link::To(a))).collect()
                }
                "aws_network_acl_association" | "awscc_ec2_subnet_network_acl_association" => {
                    let acl = match self.acl_index(fa.clone(), acl_of, r) {
                        Some(a) => Link::To(a),
                        None => match fa {
                            Found::External(id) => Link::External(id),
                            Found::Unresolved(why) => Link::Unresolved(why),
                            Found::Deleted(id, addr) => {
                                Link::Unresolved(format!("{id} ({addr}) is deleted by this plan"))
                            }
                            _ => Link::Unresolved(format!("{} names no network ACL", r.address)),
                        },
                    };
                    // The one subnet followed above.
                    let fs = subnets.into_iter().next().unwrap_or(Found::None);
                    vec![(fs, acl)]
                }
                _ => continue,
            };
            for (fs, acl) in pairs {
                let subnet = self.link_of(fs, |b| &b.subnet_of, "subnet");
                match subnet {
                    Link::To(s) => {
                        if let Some((_, prev)) = explicit.get(&s) {
                            if prev != &r.address {
                                self.findings.push(Finding::new(
                                    codes::INVALID_RESOURCE,
                                    &r.address,
                                    format!(
                                        "{} is also associated with a network ACL by {prev}; a subnet has one ACL, and the last association applied wins",
                                        self.model.subnets[s].address
                                    ),
                                ));
                            }
                        }
                        explicit.insert(s, (acl, r.address.clone()));
                    }
                    other => self.unresolved_finding(&r.address, &other),
                }
            }
        }
        // The managed default ACL of each VPC.
        let mut default_of: HashMap<usize, usize> = HashMap::new();
        for (a, acl) in self.model.network_acls.iter().enumerate() {
            if let (true, Link::To(v)) = (acl.default, &acl.vpc) {
                default_of.entry(*v).or_insert(a);
            }
        }
        for s in 0..self.model.subnets.len() {
            let link = match explicit.remove(&s) {
                Some((l, _)) => l,
                None => match self.model.subnets[s].vpc {
                    Link::To(v) => default_of.get(&v).map_or(Link::None, |&a| Link::To(a)),
                    // A subnet of a VPC outside the input: its default ACL
                    // is outside too, and was made allowing everything.
                    _ => Link::None,
                },
            };
            self.model.subnets[s].network_acl = link;
        }
    }
}
