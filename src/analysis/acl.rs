//! Network ACL evaluation: which of a set of flows one ACL lets through in
//! one direction, for one address.
//!
//! AWS checks the rules of the packet's family in ascending rule number and
//! applies the first that matches; a packet no rule matches is denied. An
//! outbound rule is matched against the packet's destination, an inbound
//! rule against its source, and the port range of either against the
//! packet's destination port. Evaluating a whole set of flows at once is
//! the same first-match walk over sets: each rule decides the flows no
//! earlier rule decided.

use crate::model::{AclRule, FlowSet, NetworkAcl};
use crate::net::{Family, Interval};

/// What one ACL decided.
#[derive(Debug, Clone)]
pub struct AclDecision {
    /// The flows let through, when not all of those offered (`None`: all).
    pub allowed: Option<FlowSet>,
    /// The addresses around the one looked at for which the same rules
    /// match: the decision is constant over this interval.
    pub valid: Interval,
    /// Why the decision cannot be trusted (a rule not known until apply).
    /// The flows such a rule might allow are counted as allowed.
    pub unknown: Option<String>,
    /// The rules that denied flows, by number (`None`: the implicit deny),
    /// in evaluation order.
    pub denied_by: Vec<Option<u32>>,
    /// The rules that allowed flows.
    pub allowed_by: Vec<u32>,
}

impl AclDecision {
    /// The flows let through, out of `offered`.
    pub fn allowed_of(&self, offered: &FlowSet) -> FlowSet {
        self.allowed.clone().unwrap_or_else(|| offered.clone())
    }

    /// True when nothing gets through.
    pub fn denies_all(&self) -> bool {
        self.allowed.as_ref().is_some_and(FlowSet::is_empty)
    }
}

/// Evaluates `acl` for traffic leaving (`egress`) or entering the subnet,
/// matching rule blocks against `addr`. Cost: one pass over the rules of
/// that direction to bound the interval, one to decide; when the first
/// matching rule covers every flow offered (the usual case) no set is
/// built.
pub fn evaluate(
    acl: &NetworkAcl,
    egress: bool,
    family: Family,
    addr: u128,
    flows: &FlowSet,
) -> AclDecision {
    let rules: &[AclRule] = if egress { &acl.egress } else { &acl.ingress };
    let mut valid = Interval::full(family);
    for r in rules {
        let Some(p) = r.cidr.filter(|p| p.family == family) else {
            continue;
        };
        let iv = p.interval();
        if p.contains_addr(addr) {
            valid = valid.intersect(&iv).unwrap_or(valid);
        } else if iv.hi < addr {
            valid.lo = valid.lo.max(iv.hi + 1);
        } else {
            valid.hi = valid.hi.min(iv.lo - 1);
        }
    }
    let mut unknown = acl.rules_unknown.clone();
    let mut denied_by = Vec::new();
    let mut allowed_by = Vec::new();
    // The flows no rule has decided yet (`None`: all of `flows`), those
    // allowed so far, and those an unknown rule might allow.
    let mut undecided: Option<FlowSet> = None;
    let mut allowed = FlowSet::empty();
    let mut maybe = FlowSet::empty();
    for r in rules {
        if let Some(p) = r.cidr {
            if p.family != family || !p.contains_addr(addr) {
                continue;
            }
        }
        let rem = undecided.as_ref().unwrap_or(flows);
        if rem.is_empty() {
            break;
        }
        if let Some(why) = &r.unknown {
            let hit = rem.intersect(&r.flows);
            if !hit.is_empty() {
                unknown.get_or_insert_with(|| why.clone());
                maybe = maybe.union(&hit);
            }
            continue;
        }
        if r.cidr.is_none() {
            continue;
        }
        if r.flows.contains_all(rem) {
            // The rule decides every flow still undecided.
            if r.allow {
                allowed_by.push(r.number);
                if undecided.is_none() && unknown.is_none() {
                    return AclDecision {
                        allowed: None,
                        valid,
                        unknown,
                        denied_by,
                        allowed_by,
                    };
                }
                let rem = undecided.take().unwrap_or_else(|| flows.clone());
                allowed = if allowed.is_empty() {
                    rem
                } else {
                    allowed.union(&rem)
                };
            } else {
                denied_by.push(Some(r.number));
            }
            undecided = Some(FlowSet::empty());
            break;
        }
        let hit = rem.intersect(&r.flows);
        if hit.is_empty() {
            continue;
        }
        let rest = rem.minus(&hit);
        if r.allow {
            allowed = allowed.union(&hit);
            allowed_by.push(r.number);
        } else {
            denied_by.push(Some(r.number));
        }
        undecided = Some(rest);
    }
    let left = undecided.as_ref().unwrap_or(flows);
    if !left.is_empty() {
        denied_by.push(None);
    }
    if unknown.is_some() {
        allowed = allowed.union(&maybe);
    }
    let allowed = if &allowed == flows {
        None
    } else {
        Some(allowed)
    };
    AclDecision {
        allowed,
        valid,
        unknown,
        denied_by,
        allowed_by,
    }
}

/// Names the rules that denied traffic: `rule 100`, `rule 100 and the
/// default deny`.
pub fn describe_denials(denied: &[Option<u32>]) -> String {
    let mut parts: Vec<String> = Vec::new();
    for d in denied {
        let s = match d {
            Some(n) => format!("rule {n}"),
            None => "the final deny-all rule (*)".to_string(),
        };
        if !parts.contains(&s) {
            parts.push(s);
        }
    }
    match parts.len() {
        0 => "no rule".into(),
        1 => parts.remove(0),
        _ => {
            let last = parts.pop().unwrap_or_default();
            format!("{} and {last}", parts.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::flow::TCP;
    use crate::model::Link;

    fn rule(number: u32, allow: bool, cidr: &str, flows: FlowSet) -> AclRule {
        AclRule {
            number,
            allow,
            cidr: Some(cidr.parse().unwrap()),
            flows,
            unknown: None,
            resource: "acl".into(),
        }
    }

    fn acl(rules: Vec<AclRule>) -> NetworkAcl {
        NetworkAcl {
            address: "acl".into(),
            aws_id: None,
            vpc: Link::None,
            ingress: rules.clone(),
            egress: rules,
            rules_unknown: None,
            default: false,
        }
    }

    fn addr(s: &str) -> u128 {
        u32::from(s.parse::<std::net::Ipv4Addr>().unwrap()) as u128
    }

    #[test]
    fn lowest_number_wins() {
        let a = acl(vec![
            rule(100, false, "10.0.0.0/16", FlowSet::ports(TCP, 22, 22)),
            rule(200, true, "0.0.0.0/0", FlowSet::all()),
        ]);
        let offered = FlowSet::ports(TCP, 0, 65535);
        let d = evaluate(&a, true, Family::V4, addr("10.0.1.1"), &offered);
        let allowed = d.allowed_of(&offered);
        assert!(!allowed.overlaps(&FlowSet::ports(TCP, 22, 22)));
        assert!(allowed.contains_all(&FlowSet::ports(TCP, 443, 443)));
        assert_eq!(d.denied_by, vec![Some(100)]);
        assert_eq!(d.valid.lo, addr("10.0.0.0"));
        // Outside the denied block, everything passes.
        let d = evaluate(
            &a,
            true,
            Family::V4,
            addr("10.1.0.1"),
            &FlowSet::ports(TCP, 22, 22),
        );
        assert!(d.allowed.is_none(), "everything offered passes");
        assert_eq!(d.valid.lo, addr("10.1.0.0"));
    }

    #[test]
    fn nothing_matches_means_deny() {
        let a = acl(vec![rule(100, true, "10.0.0.0/16", FlowSet::all())]);
        let d = evaluate(&a, false, Family::V4, addr("192.168.0.1"), &FlowSet::all());
        assert!(d.denies_all());
        assert_eq!(d.denied_by, vec![None]);
        // IPv6 traffic is not matched by IPv4 rules.
        let d = evaluate(&a, false, Family::V6, 1, &FlowSet::all());
        assert!(d.denies_all());
        assert_eq!(
            describe_denials(&d.denied_by),
            "the final deny-all rule (*)"
        );
    }
}

#[cfg(test)]
mod unknown_rules {
    use super::*;
    use crate::model::flow::TCP;
    use crate::model::Link;

    #[test]
    fn an_unknown_rule_may_allow_what_it_covers() {
        let rules = vec![
            AclRule {
                number: 50,
                allow: true,
                cidr: None,
                flows: FlowSet::ports(TCP, 443, 443),
                unknown: Some("the block of rule 50 is not known until apply".into()),
                resource: "acl".into(),
            },
            AclRule {
                number: 100,
                allow: false,
                cidr: "0.0.0.0/0".parse().ok(),
                flows: FlowSet::all(),
                unknown: None,
                resource: "acl".into(),
            },
        ];
        let acl = NetworkAcl {
            address: "acl".into(),
            aws_id: None,
            vpc: Link::None,
            ingress: rules.clone(),
            egress: rules,
            rules_unknown: None,
            default: false,
        };
        let d = evaluate(&acl, true, Family::V4, 7, &FlowSet::ports(TCP, 0, 65535));
        assert!(d.unknown.is_some());
        assert_eq!(d.allowed, Some(FlowSet::ports(TCP, 443, 443)));
    }
}
