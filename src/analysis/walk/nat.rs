//! NAT gateways: the source they give the packet, and the walk of the replies back through them.

use super::*;

/// How many address ranges of a NAT gateway's subnet are walked, when its
/// address is not known, before the answer is given up as unknown.
const MAX_NAT_RANGES: usize = 64;

/// Walks the replies of a connection from subnet `s` to subnet `d` whose
/// forward walk passed the NAT gateways `nats`; `p` carries the reply (from
/// an address of `d` to one of `s`). Without NAT it is the plain walk from
/// `d` to `s`. With NAT the reply is addressed to the last NAT gateway:
/// `d`'s route table takes it there, the gateway puts back the address it
/// replaced (the one before it, or finally the client's) and sends the
/// reply on from its own subnet, whose route table and network ACL apply.
/// Cost: one walk per NAT gateway passed, plus one.
pub fn walk_reply(
    model: &Model,
    s: usize,
    d: usize,
    nats: &[NatHop],
    p: Packet<'_>,
    detail: Detail,
) -> Leg {
    if nats.is_empty() {
        return walk(model, d, s, p, detail);
    }
    let trace = detail == Detail::Trace;
    let mut out = Leg::start(p.family);
    let mut at = d;
    for (i, nat) in nats.iter().enumerate().rev() {
        let flows = out.flows.clone().unwrap_or_else(|| p.flows.clone());
        let leg = towards_nat(model, at, d, nat, Packet { flows: &flows, ..p }, detail);
        absorb(&mut out, leg, false);
        let gw = &model.gateways[nat.gateway];
        if trace {
            let back = match i.checked_sub(1) {
                Some(j) => format!("{}'s address", model.gateways[nats[j].gateway].address),
                None => format!("the client's address in {}", model.subnets[s].address),
            };
            out.hops.push(Hop {
                at: gw.address.clone(),
                action: format!(
                    "the NAT gateway translates the reply back to {back} and sends it on from {}",
                    model.subnets[nat.subnet].address
                ),
                fails: false,
            });
        }
        at = nat.subnet;
    }
    let flows = out.flows.clone().unwrap_or_else(|| p.flows.clone());
    let last = walk_at(
        model,
        at,
        d,
        Goal::Subnet(s),
        Packet { flows: &flows, ..p },
        detail,
    );
    absorb(&mut out, last, true);
    out
}

/// Adds one part of a reply's walk to the whole: the worst outcome, every
/// reason and hop, the flows left, and the source addresses (the replying
/// subnet's, in every part) for which it holds. The destination addresses
/// are the client's only in the `last` part.
pub(super) fn absorb(out: &mut Leg, leg: Leg, last: bool) {
    out.outcome = match (out.outcome, leg.outcome) {
        (Outcome::Dropped, _) | (_, Outcome::Dropped) => Outcome::Dropped,
        (Outcome::Unknown, _) | (_, Outcome::Unknown) => Outcome::Unknown,
        _ => Outcome::Delivered,
    };
    out.reasons.extend(leg.reasons);
    out.hops.extend(leg.hops);
    out.src_valid = out
        .src_valid
        .intersect(&leg.src_valid)
        .unwrap_or(out.src_valid);
    if last {
        out.dst_valid = leg.dst_valid;
    }
    if leg.flows.is_some() {
        out.flows = leg.flows;
    }
    out.goal_use = GoalUse::More;
    out.passed.give_up();
}

/// The walk of a reply from subnet `at` (its source an address of subnet
/// `origin`) to the address of NAT gateway `nat`. When the input does not
/// say which address of its subnet the gateway has, every range of the
/// subnet that the routes and ACLs treat apart is walked: the answer holds
/// if they all agree, and is unknown otherwise.
fn towards_nat(
    model: &Model,
    at: usize,
    origin: usize,
    nat: &NatHop,
    p: Packet<'_>,
    detail: Detail,
) -> Leg {
    let goal = Goal::Subnet(nat.subnet);
    if let Some(a) = nat.addr {
        return walk_at(model, at, origin, goal, Packet { dst: a, ..p }, detail);
    }
    let gw = &model.gateways[nat.gateway];
    let sub = &model.subnets[nat.subnet];
    let Some(block) = sub.cidr(p.family).map(|b| b.interval()) else {
        let mut leg = walk_at(model, at, origin, goal, p, detail);
        leg.outcome = Outcome::Unknown;
        leg.reasons.push(Reason {
            code: codes::UNKNOWN_CIDR,
            resource: Some(gw.address.as_str().into()),
            message: text![
                model.subnet_text(nat.subnet),
                format!(
                    " has no block of this family, so the address of {} is not known",
                    gw.address
                )
            ],
            direction: p.dir,
        });
        return leg;
    };
    let mut a = block.lo;
    let mut first: Option<Leg> = None;
    let mut src_valid = Interval::full(p.family);
    let (mut agree, mut covered) = (true, false);
    for _ in 0..MAX_NAT_RANGES {
        let leg = walk_at(model, at, origin, goal, Packet { dst: a, ..p }, detail);
        let end = leg.dst_valid.hi.min(block.hi);
        src_valid = src_valid.intersect(&leg.src_valid).unwrap_or(src_valid);
        match &first {
            None => first = Some(leg),
            Some(f) if f.outcome == leg.outcome && f.flows == leg.flows => {}
            Some(_) => {
                agree = false;
                break;
            }
        }
        if end >= block.hi {
            covered = true;
            break;
        }
        a = end + 1;
    }
    let mut leg = first.unwrap_or_else(|| unreachable_leg(p.family));
    leg.src_valid = src_valid;
    if agree && covered {
        return leg;
    }
    leg.outcome = Outcome::Unknown;
    let message = if agree {
        text![
            "the routes and network ACLs split ",
            model.subnet_text(nat.subnet),
            format!(" into more than {MAX_NAT_RANGES} ranges, and which address {} gets is not known until apply (setting its private_ip settles it)", gw.address)
        ]
    } else {
        text![
            "the replies reach some addresses of ",
            model.subnet_text(nat.subnet),
            format!(" and not others, and which one {} gets is not known until apply (setting its private_ip settles it)", gw.address)
        ]
    };
    leg.reasons.push(Reason {
        code: codes::UNRESOLVED_REFERENCE,
        resource: Some(gw.address.as_str().into()),
        message,
        direction: p.dir,
    });
    leg
}

impl Walker<'_> {
    /// After a NAT gateway, the packet's source: the NAT gateway's address,
    /// with its subnet's block when AWS picks the address at apply time.
    pub(super) fn nat_source(&self) -> Option<(u128, Option<Interval>)> {
        let hop = self.leg.nats.last()?;
        match hop.addr {
            Some(a) => Some((a, None)),
            None => {
                let p = self.model.subnets[hop.subnet].cidr(self.family)?;
                Some((p.start, Some(p.interval())))
            }
        }
    }

    /// Through NAT gateway `g` in subnet `s`: it gives the packet its own
    /// address as the source (so the replies come back to it) and forwards
    /// it out of its subnet. It translates TCP, UDP and ICMP over IPv4; IPv6
    /// only towards IPv4 (NAT64), never to another IPv6 address. A reply
    /// that passes a NAT gateway its connection did not go through leaves
    /// with that gateway's address, which the client does not expect (the
    /// walk goes on, to report what else stops it). Returns false when the
    /// packet goes no further.
    pub(super) fn nat(&mut self, g: usize, s: usize, label: &str, route: &str) -> bool {
        let m = self.model;
        let gw = &m.gateways[g];
        if self.family == Family::V6 {
            self.drop_(
                codes::CANNOT_ROUTE,
                route,
                say!(self, "{route} sends IPv6 traffic to NAT gateway {label}, which translates IPv6 only to IPv4 (NAT64, addresses in 64:ff9b::/96) and forwards no IPv6 traffic to a subnet"),
            );
            return false;
        }
        if self.dir == Direction::Return {
            let range = self.src_range();
            self.drop_(
                codes::REPLY_SOURCE_TRANSLATED,
                route,
                tell!(self, route, " sends the replies from ", range, format!(" through NAT gateway {label}, which the connection did not pass: it rewrites their source to its own address, so they no longer match the connection")),
            );
            // Walked on, to report what else stops them.
        }
        let nat_protocols = FlowSet::protocol(6)
            .union(&FlowSet::protocol(17))
            .union(&FlowSet::protocol(1));
        let carried = self.flows().intersect(&nat_protocols);
        if carried.is_empty() {
            self.drop_(
                codes::CANNOT_ROUTE,
                &gw.address,
                say!(
                    self,
                    "{label} translates TCP, UDP and ICMP only, and the traffic is none of those"
                ),
            );
            return false;
        }
        if &carried != self.flows() {
            self.leg.flows = Some(carried);
        }
        let block = m.subnets[s].cidr(Family::V4);
        let addr = gw
            .private_ip
            .filter(|a| block.is_some_and(|b| b.contains_addr(*a)));
        self.hop(
            label,
            || {
                let own = match addr {
                    Some(a) => Prefix::fmt_addr(Family::V4, a),
                    None => format!("an address of {}", m.subnets[s].address),
                };
                format!(
                    "the NAT gateway forwards it from {} with its own address ({own}) as the source; the replies return to that address",
                    m.subnets[s].address
                )
            },
            false,
        );
        self.natted = Some(s);
        self.private_nat = gw.private;
        self.leg.nats.push(NatHop {
            gateway: g,
            subnet: s,
            addr,
        });
        true
    }
}
