//! Longest-prefix match in one route table.

use crate::model::{Dest, GatewayKind, Origin, Route, RouteTable, Target, TgwRoute, TgwRouteTable};
use crate::net::{Family, Interval, Prefix};

/// The outcome of one lookup.
#[derive(Debug, Clone)]
pub struct Lookup<'a> {
    /// The route that wins, if any matches.
    pub route: Option<&'a Route>,
    /// The addresses around the looked-up one for which the same route wins
    /// (or no route matches): the decision is constant over this interval.
    pub valid: Interval,
    /// Why the answer cannot be trusted (a route whose destination is not
    /// known until apply, a prefix list outside the input), if so.
    pub unknown: Option<String>,
}

/// Priority among routes with the same prefix: a configured route beats the
/// synthesised local route it replaces, and a CIDR route beats a
/// prefix-list route (an entry of a customer-managed list, which does not
/// replace the local route either).
fn rank(r: &Route) -> u8 {
    match r.origin {
        Origin::Static => 0,
        Origin::Endpoint => 1,
        Origin::Local => 2,
        Origin::PrefixList => 3,
    }
}

/// Finds the route AWS uses for `addr` in `table`: the longest prefix that
/// contains it, within the address family (IPv4 and IPv6 routes are
/// independent). Costs one pass over the table's routes to find the winner
/// and one to bound the interval where the winner holds.
pub fn lookup(table: &RouteTable, family: Family, addr: u128) -> Lookup<'_> {
    lookup_for(table, family, addr, None)
}

/// The address of an AWS service a route lookup is for: the service's name
/// and how long the prefix-list entry that holds the address is (its real
/// length when the service's ranges are in the input; otherwise 1, longer
/// only than default routes).
#[derive(Debug, Clone, Copy)]
pub struct ServiceAddr<'a> {
    pub name: &'a str,
    pub prefix_len: u8,
}

/// [`lookup`] for traffic to an AWS service: the routes for the service's
/// prefix list take part, as a prefix of `service.prefix_len`.
pub fn lookup_for<'t>(
    table: &'t RouteTable,
    family: Family,
    addr: u128,
    service: Option<ServiceAddr<'_>>,
) -> Lookup<'t> {
    let mut best: Option<&Route> = None;
    let mut best_len: u8 = 0;
    let mut unknown = table.routes_unknown.clone();
    for r in &table.routes {
        match &r.dest {
            Dest::Cidr(p) if p.family == family && p.contains_addr(addr) => {
                let better = match best {
                    None => true,
                    Some(b) => p.len > best_len || (p.len == best_len && rank(r) < rank(b)),
                };
                if better {
                    best = Some(r);
                    best_len = p.len;
                }
            }
            Dest::Cidr(_) => {}
            Dest::Service(name) => {
                let Some(svc) = service.filter(|s| s.name == name && family == Family::V4) else {
                    continue;
                };
                let better = match best {
                    None => true,
                    Some(b) => {
                        svc.prefix_len > best_len
                            || (svc.prefix_len == best_len && rank(r) < rank(b))
                    }
                };
                if better {
                    best = Some(r);
                    best_len = svc.prefix_len;
                }
            }
            Dest::Unknown(why) => {
                unknown.get_or_insert_with(|| why.clone());
            }
            Dest::PrefixList(pl) => {
                // Gateway endpoint routes carry AWS service ranges, never a
                // VPC's private addresses. Other prefix lists are not in the
                // input.
                let endpoint = matches!(
                    r.target,
                    Target::Gateway {
                        kind: GatewayKind::VpcEndpoint,
                        ..
                    }
                ) || r.origin == Origin::Endpoint;
                if !endpoint {
                    unknown.get_or_insert_with(|| {
                        format!(
                            "{} routes prefix list {pl}, whose entries are not in the input",
                            r.resource
                        )
                    });
                }
            }
        }
    }
    // Two prefix lists with the same entry towards different targets: AWS
    // picks one of the routes, and the input does not say which.
    if let Some(b) = best.filter(|b| b.origin == Origin::PrefixList) {
        let rival = table
            .routes
            .iter()
            .find(|r| r.origin == Origin::PrefixList && r.dest == b.dest && r.target != b.target);
        if let Some(r) = rival {
            unknown.get_or_insert_with(|| {
                format!(
                    "{} and {} route the same prefix-list entry to different targets, and AWS picks one of them",
                    b.resource, r.resource
                )
            });
        }
    }
    let mut valid = match best.map(|b| &b.dest) {
        Some(Dest::Cidr(p)) => p.interval(),
        _ => Interval::full(family),
    };
    // Carve out the more specific prefixes that sit beside `addr`.
    for r in &table.routes {
        if let Dest::Cidr(p) = &r.dest {
            if p.family != family || p.contains_addr(addr) {
                continue;
            }
            let iv = p.interval();
            if iv.intersect(&valid).is_none() {
                continue;
            }
            if iv.hi < addr {
                valid.lo = valid.lo.max(iv.hi + 1);
            } else {
                valid.hi = valid.hi.min(iv.lo - 1);
            }
        }
    }
    Lookup {
        route: best,
        valid,
        unknown,
    }
}

/// The outcome of one lookup in a transit gateway route table.
#[derive(Debug, Clone)]
pub struct TgwLookup<'a> {
    pub route: Option<&'a TgwRoute>,
    /// The addresses around the looked-up one for which the same route wins.
    pub valid: Interval,
    pub unknown: Option<String>,
}

/// Finds the route a transit gateway uses for `addr` in `table`: the
/// longest prefix that contains it; for the same prefix a static route
/// (blackhole or not) beats a propagated one. Cost: one binary search per
/// prefix length present in the table.
pub fn tgw_lookup(table: &TgwRouteTable, family: Family, addr: u128) -> TgwLookup<'_> {
    let ix = &table.index;
    let mask = |len: u8| -> u128 {
        let host = (family.bits() - len) as u32;
        if host >= 128 {
            0
        } else {
            !((1u128 << host) - 1) & family.max()
        }
    };
    let mut best: Option<(usize, u8, u128)> = None;
    for (f, len, entries) in &ix.groups {
        if *f != family {
            continue;
        }
        let key = addr & mask(*len);
        if let Ok(k) = entries.binary_search_by(|e| e.0.cmp(&key)) {
            best = Some((entries[k].1, *len, key));
            break;
        }
    }
    let mut valid = match best {
        Some((_, len, start)) => Prefix { family, start, len }.interval(),
        None => Interval::full(family),
    };
    // Longer prefixes beside `addr` bound the range where the answer holds.
    let best_len = best.map_or(0, |b| b.1);
    for (f, len, entries) in &ix.groups {
        if *f != family || (best.is_some() && *len <= best_len) {
            continue;
        }
        let k = entries.partition_point(|e| e.0 <= addr);
        if k > 0 {
            let p = Prefix {
                family,
                start: entries[k - 1].0,
                len: *len,
            };
            if p.end() < addr {
                valid.lo = valid.lo.max(p.end() + 1);
            }
        }
        if let Some(next) = entries.get(k) {
            valid.hi = valid.hi.min(next.0 - 1);
        }
    }
    TgwLookup {
        route: best.map(|(i, _, _)| &table.routes[i]),
        valid,
        unknown: ix.unknown.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Link, RouteTable, TgwRoute, TgwRouteTable};
    use crate::net::Prefix;

    fn table(routes: &[(&str, Target, Origin)]) -> RouteTable {
        RouteTable {
            address: "t".into(),
            aws_id: None,
            vpc: Link::None,
            routes: routes
                .iter()
                .map(|(c, t, o)| Route {
                    resource: c.to_string(),
                    dest: Dest::Cidr(c.parse().unwrap()),
                    target: t.clone(),
                    origin: *o,
                })
                .collect(),
            routes_unknown: None,
            propagating: false,
        }
    }

    fn addr(s: &str) -> u128 {
        u32::from(s.parse::<std::net::Ipv4Addr>().unwrap()) as u128
    }

    #[test]
    fn longest_prefix_wins_and_interval_is_exact() {
        let t = table(&[
            ("0.0.0.0/0", Target::Unknown("igw".into()), Origin::Static),
            ("10.0.0.0/16", Target::Local, Origin::Local),
            ("10.1.0.0/16", Target::Peering(Link::To(0)), Origin::Static),
            (
                "10.1.1.128/25",
                Target::Unknown("nat".into()),
                Origin::Static,
            ),
        ]);
        let l = lookup(&t, Family::V4, addr("10.1.1.5"));
        assert_eq!(l.route.unwrap().resource, "10.1.0.0/16");
        assert_eq!(l.valid.lo, addr("10.1.0.0"));
        assert_eq!(l.valid.hi, addr("10.1.1.127"));
        let l = lookup(&t, Family::V4, addr("10.1.1.200"));
        assert_eq!(l.route.unwrap().resource, "10.1.1.128/25");
        let l = lookup(&t, Family::V4, addr("192.168.0.1"));
        assert_eq!(l.route.unwrap().resource, "0.0.0.0/0");
        assert_eq!(l.valid.lo, addr("10.1.255.255") + 1);
    }

    #[test]
    fn families_are_independent() {
        let t = table(&[("0.0.0.0/0", Target::Local, Origin::Static)]);
        let v6: Prefix = "2600::/64".parse().unwrap();
        assert!(lookup(&t, Family::V6, v6.start).route.is_none());
    }

    fn tgw_table(routes: &[(&str, bool)]) -> TgwRouteTable {
        let routes: Vec<TgwRoute> = routes
            .iter()
            .enumerate()
            .map(|(i, (c, propagated))| TgwRoute {
                resource: format!("r{i}"),
                dest: Dest::Cidr(c.parse().unwrap()),
                target: crate::model::TgwTarget::Attachment(i),
                propagated: *propagated,
            })
            .collect();
        TgwRouteTable {
            address: "t".into(),
            aws_id: None,
            tgw: None,
            index: crate::model::tgw::RouteIndex::build(&routes),
            routes,
            external_propagations: Vec::new(),
        }
    }

    #[test]
    fn tgw_longest_prefix_then_static_over_propagated() {
        let t = tgw_table(&[
            ("10.1.0.0/16", true),
            ("10.1.0.0/16", false),
            ("10.0.0.0/8", false),
            ("10.1.2.0/24", true),
        ]);
        let l = tgw_lookup(&t, Family::V4, addr("10.1.1.1"));
        assert_eq!(l.route.unwrap().resource, "r1");
        assert_eq!(l.valid.lo, addr("10.1.0.0"));
        assert_eq!(l.valid.hi, addr("10.1.1.255"));
        let l = tgw_lookup(&t, Family::V4, addr("10.1.2.9"));
        assert_eq!(l.route.unwrap().resource, "r3");
        let l = tgw_lookup(&t, Family::V4, addr("10.200.0.1"));
        assert_eq!(l.route.unwrap().resource, "r2");
        assert_eq!(l.valid.lo, addr("10.1.255.255") + 1);
        let l = tgw_lookup(&t, Family::V4, addr("192.168.0.1"));
        assert!(l.route.is_none());
        assert_eq!(l.valid.lo, addr("10.255.255.255") + 1);
        assert!(tgw_lookup(&t, Family::V6, 5).route.is_none());
    }

    #[test]
    fn cidr_route_beats_prefix_list_entry_and_local_route_of_same_prefix() {
        let t = table(&[
            (
                "10.1.0.0/16",
                Target::Unknown("pl".into()),
                Origin::PrefixList,
            ),
            ("10.1.0.0/16", Target::Peering(Link::To(0)), Origin::Static),
            (
                "10.0.0.0/16",
                Target::Unknown("pl".into()),
                Origin::PrefixList,
            ),
            ("10.0.0.0/16", Target::Local, Origin::Local),
            (
                "10.0.1.0/24",
                Target::Unknown("pl".into()),
                Origin::PrefixList,
            ),
        ]);
        let l = lookup(&t, Family::V4, addr("10.1.2.3"));
        assert_eq!(l.route.unwrap().origin, Origin::Static);
        let l = lookup(&t, Family::V4, addr("10.0.2.3"));
        assert_eq!(l.route.unwrap().origin, Origin::Local);
        // A longer entry wins over the local route, as any longer route does.
        let l = lookup(&t, Family::V4, addr("10.0.1.3"));
        assert_eq!(l.route.unwrap().origin, Origin::PrefixList);
        assert!(l.unknown.is_none());
    }

    #[test]
    fn equal_prefix_list_entries_to_different_targets_are_unknown() {
        let t = table(&[
            (
                "10.1.0.0/16",
                Target::Peering(Link::To(0)),
                Origin::PrefixList,
            ),
            (
                "10.1.0.0/16",
                Target::Peering(Link::To(1)),
                Origin::PrefixList,
            ),
            (
                "10.2.0.0/16",
                Target::Peering(Link::To(0)),
                Origin::PrefixList,
            ),
            (
                "10.2.0.0/16",
                Target::Peering(Link::To(0)),
                Origin::PrefixList,
            ),
        ]);
        assert!(lookup(&t, Family::V4, addr("10.1.0.1")).unknown.is_some());
        assert!(lookup(&t, Family::V4, addr("10.2.0.1")).unknown.is_none());
    }

    #[test]
    fn configured_route_beats_local_route_of_same_prefix() {
        let t = table(&[
            ("10.0.1.0/24", Target::Local, Origin::Local),
            ("10.0.1.0/24", Target::Unknown("eni".into()), Origin::Static),
        ]);
        let l = lookup(&t, Family::V4, addr("10.0.1.1"));
        assert_eq!(l.route.unwrap().origin, Origin::Static);
    }
}
