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
    /// The flows let through (a subset of those offered).
    pub allowed: FlowSet,
    /// The addresses around the one looked at for which the same rules
    /// match: the decision is constant over this interval.
    pub valid: Interval,
    /// Why the decision cannot be trusted (a rule not known until apply).
    pub unknown: Option<String>,
    /// The rules that denied flows, by number (`None`: the implicit deny),
    /// in evaluation order.
    pub denied_by: Vec<Option<u32>>,
    /// The rules that allowed flows.
    pub allowed_by: Vec<u32>,
}

/// Evaluates `acl` for traffic leaving (`egress`) or entering the subnet,
/// matching rule blocks against `addr`. Cost: one pass over the rules of
/// that direction, with set operations on small flow sets.
pub fn evaluate(
    acl: &NetworkAcl,
    egress: bool,
    family: Family,
    addr: u128,
    flows: &FlowSet,
) -> AclDecision {
    let rules: &[AclRule] = if egress { &acl.egress } else { &acl.ingress };
    let mut remaining = flows.clone();
    let mut allowed = FlowSet::empty();
    let mut valid = Interval::full(family);
    let mut unknown = acl.rules_unknown.clone();
    let mut denied_by = Vec::new();
    let mut allowed_by = Vec::new();
    for r in rules {
        if let Some(p) = r.cidr {
            if p.family != family {
                continue;
            }
            let iv = p.interval();
            if p.contains_addr(addr) {
                valid = valid.intersect(&iv).unwrap_or(valid);
            } else {
                if iv.hi < addr {
                    valid.lo = valid.lo.max(iv.hi + 1);
                } else if iv.lo > addr {
                    valid.hi = valid.hi.min(iv.lo - 1);
                }
                continue;
            }
        }
        if remaining.is_empty() {
            continue;
        }
        let hit = remaining.intersect(&r.flows);
        if hit.is_empty() {
            continue;
        }
        if let Some(why) = &r.unknown {
            // Whether (and how) this rule matches is not known: the flows
            // it may decide stay undecided, and so does the answer.
            unknown.get_or_insert_with(|| why.clone());
            continue;
        }
        if r.cidr.is_none() {
            continue;
        }
        if r.allow {
            allowed = allowed.union(&hit);
            allowed_by.push(r.number);
        } else {
            denied_by.push(Some(r.number));
        }
        remaining = remaining.minus(&hit);
    }
    if !remaining.is_empty() && unknown.is_none() {
        denied_by.push(None);
    }
    if unknown.is_some() {
        // Optimistic about what the unknown rules decide; the outcome is
        // marked unknown, so the verdict takes both views.
        allowed = allowed.union(&remaining);
    }
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
        let d = evaluate(
            &a,
            true,
            Family::V4,
            addr("10.0.1.1"),
            &FlowSet::ports(TCP, 0, 65535),
        );
        assert!(!d.allowed.overlaps(&FlowSet::ports(TCP, 22, 22)));
        assert!(d.allowed.contains_all(&FlowSet::ports(TCP, 443, 443)));
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
        assert_eq!(d.allowed, FlowSet::ports(TCP, 22, 22));
        assert_eq!(d.valid.lo, addr("10.1.0.0"));
    }

    #[test]
    fn nothing_matches_means_deny() {
        let a = acl(vec![rule(100, true, "10.0.0.0/16", FlowSet::all())]);
        let d = evaluate(&a, false, Family::V4, addr("192.168.0.1"), &FlowSet::all());
        assert!(d.allowed.is_empty());
        assert_eq!(d.denied_by, vec![None]);
        // IPv6 traffic is not matched by IPv4 rules.
        let d = evaluate(&a, false, Family::V6, 1, &FlowSet::all());
        assert!(d.allowed.is_empty());
        assert_eq!(
            describe_denials(&d.denied_by),
            "the final deny-all rule (*)"
        );
    }
}
