//! Longest-prefix match in one route table.

use crate::model::{Dest, Origin, Route, RouteTable, TgwRoute, TgwRouteTable};
use crate::net::{Family, Interval};

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
    r.origin.precedence()
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
    if table.index.routes == Some(table.routes.len()) {
        return indexed_lookup(table, family, addr, service);
    }
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
                if unknown.is_none() {
                    unknown = r.unlisted_prefix_list(pl);
                }
            }
        }
    }
    rival_entries(table, best, &mut unknown);
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

/// Two prefix lists with the same entry towards different targets: AWS
/// picks one of the routes, and the input does not say which.
fn rival_entries(table: &RouteTable, best: Option<&Route>, unknown: &mut Option<String>) {
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
}

/// [`lookup_for`] in a table's index ([`crate::model::TableIndex`]): the
/// same answer, from one probe per prefix length.
fn indexed_lookup<'t>(
    table: &'t RouteTable,
    family: Family,
    addr: u128,
    service: Option<ServiceAddr<'_>>,
) -> Lookup<'t> {
    let ix = &table.index;
    let routes = &table.routes;
    let mut unknown = table.routes_unknown.clone().or_else(|| ix.unknown.clone());
    // (prefix length, rank, position) of the winner so far: longer wins,
    // then lower rank, then the first in the table.
    let mut best: Option<(u8, u8, usize)> = ix
        .groups
        .longest(family, addr)
        .map(|(p, i)| (p.len, rank(&routes[i]), i));
    if let Some(svc) = service.filter(|_| family == Family::V4) {
        for &i in &ix.services {
            let r = &routes[i];
            if !matches!(&r.dest, Dest::Service(name) if *name == svc.name) {
                continue;
            }
            let cand = (svc.prefix_len, rank(r), i);
            let better = match best {
                None => true,
                Some(b) => cand.0 > b.0 || (cand.0 == b.0 && (cand.1, cand.2) < (b.1, b.2)),
            };
            if better {
                best = Some(cand);
            }
        }
    }
    let best = best.map(|(_, _, i)| &routes[i]);
    rival_entries(table, best, &mut unknown);
    let (valid, within) = match best.map(|b| &b.dest) {
        Some(Dest::Cidr(p)) => (p.interval(), Some(p.len)),
        _ => (Interval::full(family), None),
    };
    let valid = ix.groups.around(family, addr, valid, within);
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
    let best = ix.groups.longest(family, addr);
    let valid = match best {
        Some((p, _)) => p.interval(),
        None => Interval::full(family),
    };
    TgwLookup {
        route: best.map(|(_, i)| &table.routes[i]),
        valid: ix
            .groups
            .around(family, addr, valid, best.map(|(p, _)| p.len)),
        unknown: ix.unknown.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Link, RouteTable, Target, TgwRoute, TgwRouteTable};
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
            index: Default::default(),
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
        tgw_table_of(routes)
    }

    /// A transit gateway route table of these routes, indexed.
    fn tgw_table_of(routes: Vec<TgwRoute>) -> TgwRouteTable {
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

    mod indexed {
        use super::*;
        use crate::model::{GatewayKind, TableIndex};
        use proptest::prelude::*;

        /// A route of a generated table: a prefix out of a few (so that
        /// prefixes repeat and nest), or a service's or customer's prefix
        /// list, or a destination not known; its origin and target vary.
        fn route() -> impl Strategy<Value = Route> {
            let dest = prop_oneof![
                8 => (0u8..4, 0u32..6, 0u8..4).prop_map(|(base, sub, len)| {
                    let len = [0u8, 8, 16, 24][len as usize];
                    let a = (u32::from(base) << 24 | sub << 16) as u128;
                    let p = Prefix { family: Family::V4, start: 0, len };
                    Dest::Cidr(Prefix { start: a & !(p.interval().hi), ..p })
                }),
                1 => (0u8..3).prop_map(|k| Dest::Cidr(format!("2001:db8:{k}::/48").parse().unwrap())),
                1 => prop_oneof![Just("s3"), Just("dynamodb")].prop_map(|s| Dest::Service(s.into())),
                1 => (0u8..3).prop_map(|k| Dest::PrefixList(format!("pl-{k}"))),
                1 => Just(Dest::Unknown("not known until apply".into())),
            ];
            let origin = prop_oneof![
                Just(Origin::Static),
                Just(Origin::Endpoint),
                Just(Origin::Local),
                Just(Origin::PrefixList),
            ];
            let target = prop_oneof![
                Just(Target::Local),
                (0usize..3).prop_map(|k| Target::Peering(Link::To(k))),
                Just(Target::Gateway {
                    kind: GatewayKind::VpcEndpoint,
                    link: Link::None,
                    label: "vpce".into(),
                }),
            ];
            (dest, origin, target, 0u32..1000).prop_map(|(dest, origin, target, n)| Route {
                resource: format!("aws_route.r{n}"),
                dest,
                target,
                origin,
            })
        }

        /// The transit gateway lookup worked out route by route: the longest
        /// prefix that holds the address, a static route over a propagated
        /// one, the first of equals; the interval is the winner's prefix (or
        /// everything) without every prefix that does not hold the address.
        fn tgw_by_reading(
            t: &TgwRouteTable,
            family: Family,
            addr: u128,
        ) -> (Option<usize>, Interval) {
            let cidrs = || {
                t.routes
                    .iter()
                    .enumerate()
                    .filter_map(|(i, r)| match r.dest {
                        Dest::Cidr(p) if p.family == family => Some((i, p)),
                        _ => None,
                    })
            };
            let best = cidrs()
                .filter(|(_, p)| p.contains_addr(addr))
                .min_by_key(|(i, p)| (std::cmp::Reverse(p.len), t.routes[*i].propagated, *i));
            let mut valid = best.map_or(Interval::full(family), |(_, p)| p.interval());
            for (_, p) in cidrs().filter(|(_, p)| !p.contains_addr(addr)) {
                let iv = p.interval();
                if iv.hi < addr {
                    valid.lo = valid.lo.max(iv.hi + 1);
                } else {
                    valid.hi = valid.hi.min(iv.lo - 1);
                }
            }
            (best.map(|(i, _)| i), valid)
        }

        proptest! {
            /// A transit gateway table's index answers as reading every
            /// route does.
            #[test]
            fn the_transit_gateway_index_answers_as_reading_every_route(
                routes in prop::collection::vec((route(), any::<bool>()), 0..40),
                addrs in prop::collection::vec(any::<u32>(), 1..24),
            ) {
                let routes: Vec<TgwRoute> = routes
                    .into_iter()
                    .enumerate()
                    .map(|(i, (r, propagated))| TgwRoute {
                        resource: r.resource,
                        dest: r.dest,
                        target: crate::model::TgwTarget::Attachment(i),
                        propagated,
                    })
                    .collect();
                let t = tgw_table_of(routes);
                for &a in &addrs {
                    for a in [a, a & 0x0305_ffff, a & 0x0300_0000] {
                        let a = a as u128;
                        let x = tgw_lookup(&t, Family::V4, a);
                        let at = x.route.and_then(|r| t.routes.iter().position(|y| std::ptr::eq(y, r)));
                        prop_assert_eq!((at, x.valid), tgw_by_reading(&t, Family::V4, a));
                    }
                }
            }

            /// A lookup in a table's index gives what reading every route
            /// gives: the same route, interval and reason.
            #[test]
            fn the_index_answers_as_reading_every_route(
                routes in prop::collection::vec(route(), TableIndex::MIN + 1..60),
                addrs in prop::collection::vec(any::<u32>(), 1..24),
                service in prop::option::of(
                    (prop_oneof![Just("s3"), Just("dynamodb")], 1u8..32)
                ),
            ) {
                let mut t = table(&[]);
                t.routes = routes;
                let plain = t.clone();
                t.reindex();
                prop_assert_eq!(t.index.routes, Some(t.routes.len()));
                let service = service.map(|(name, prefix_len)| ServiceAddr { name, prefix_len });
                let probes = addrs
                    .iter()
                    .map(|&a| (Family::V4, a as u128))
                    .chain([(Family::V6, "2001:db8:1::5".parse::<std::net::Ipv6Addr>().map(u128::from).unwrap())]);
                for (family, a) in probes {
                    // Addresses near the generated prefixes, too.
                    for a in [a, a & 0x0305_ffff, a & 0x0300_0000] {
                        let a = if family == Family::V4 { a & 0xffff_ffff } else { a };
                        let x = lookup_for(&t, family, a, service);
                        let y = lookup_for(&plain, family, a, service);
                        let at = |routes: &[Route], r: Option<&Route>| {
                            r.and_then(|r| routes.iter().position(|x| std::ptr::eq(x, r)))
                        };
                        prop_assert_eq!(at(&t.routes, x.route), at(&plain.routes, y.route));
                        prop_assert_eq!(x.valid, y.valid);
                        prop_assert_eq!(x.unknown, y.unknown);
                    }
                }
            }
        }
    }
}
