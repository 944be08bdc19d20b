//! Kinds of traffic: protocols and ports as one ordered key space, so that
//! network ACL rules and security group rules become sets that can be
//! intersected like address ranges.
//!
//! A key is `protocol << 16 | detail`, where the detail is the destination
//! port for TCP and UDP, `type << 8 | code` for ICMP and ICMPv6, and
//! meaningless for other protocols (whose flows always span the whole
//! detail range). Rules in AWS match the destination port of a packet, so a
//! reply is matched on the client's ephemeral port.

use std::fmt;
use std::str::FromStr;

use crate::net::Family;

pub const ICMP: u8 = 1;
pub const TCP: u8 = 6;
pub const UDP: u8 = 17;
pub const ICMPV6: u8 = 58;

/// The ports clients pick for their side of a connection: replies are
/// addressed to them (the range AWS uses for NAT gateways, load balancers
/// and Lambda, and wide enough for every common operating system).
pub const EPHEMERAL: (u16, u16) = (1024, 65535);

const ECHO_REQUEST: u8 = 8;
const ECHO_REPLY: u8 = 0;
const ECHO_REQUEST_V6: u8 = 128;
const ECHO_REPLY_V6: u8 = 129;

const MAX_KEY: u32 = 0x00ff_ffff;

fn key(proto: u8, detail: u16) -> u32 {
    (proto as u32) << 16 | detail as u32
}

/// A set of flow keys: sorted, disjoint, non-adjacent inclusive ranges.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct FlowSet {
    ranges: Vec<(u32, u32)>,
}

impl FlowSet {
    pub fn empty() -> FlowSet {
        FlowSet { ranges: Vec::new() }
    }

    /// Every protocol, port and ICMP type.
    pub fn all() -> FlowSet {
        FlowSet {
            ranges: vec![(0, MAX_KEY)],
        }
    }

    fn span(lo: u32, hi: u32) -> FlowSet {
        FlowSet {
            ranges: vec![(lo, hi)],
        }
    }

    /// Every flow of one protocol.
    pub fn protocol(p: u8) -> FlowSet {
        FlowSet::span(key(p, 0), key(p, u16::MAX))
    }

    /// TCP or UDP to a range of destination ports.
    pub fn ports(p: u8, lo: u16, hi: u16) -> FlowSet {
        if lo > hi {
            return FlowSet::empty();
        }
        FlowSet::span(key(p, lo), key(p, hi))
    }

    /// ICMP or ICMPv6 messages of a type and code (`None`: all).
    pub fn icmp(p: u8, kind: Option<u8>, code: Option<u8>) -> FlowSet {
        match (kind, code) {
            (None, _) => FlowSet::protocol(p),
            (Some(t), None) => {
                FlowSet::span(key(p, (t as u16) << 8), key(p, (t as u16) << 8 | 0xff))
            }
            (Some(t), Some(c)) => {
                let k = key(p, (t as u16) << 8 | c as u16);
                FlowSet::span(k, k)
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    pub fn is_all(&self) -> bool {
        self.ranges == [(0, MAX_KEY)]
    }

    fn from_ranges(mut v: Vec<(u32, u32)>) -> FlowSet {
        v.sort_unstable();
        let mut out: Vec<(u32, u32)> = Vec::with_capacity(v.len());
        for (lo, hi) in v {
            match out.last_mut() {
                Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
                _ => out.push((lo, hi)),
            }
        }
        FlowSet { ranges: out }
    }

    pub fn union(&self, o: &FlowSet) -> FlowSet {
        let mut v = self.ranges.clone();
        v.extend_from_slice(&o.ranges);
        FlowSet::from_ranges(v)
    }

    pub fn intersect(&self, o: &FlowSet) -> FlowSet {
        let mut out = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < self.ranges.len() && j < o.ranges.len() {
            let (a, b) = (self.ranges[i], o.ranges[j]);
            let lo = a.0.max(b.0);
            let hi = a.1.min(b.1);
            if lo <= hi {
                out.push((lo, hi));
            }
            if a.1 < b.1 {
                i += 1;
            } else {
                j += 1;
            }
        }
        FlowSet { ranges: out }
    }

    pub fn minus(&self, o: &FlowSet) -> FlowSet {
        let mut out = Vec::new();
        let mut j = 0;
        for &(lo, hi) in &self.ranges {
            let mut cur = lo;
            while j < o.ranges.len() && o.ranges[j].1 < cur {
                j += 1;
            }
            let mut k = j;
            let mut done = false;
            while k < o.ranges.len() && o.ranges[k].0 <= hi {
                let (olo, ohi) = o.ranges[k];
                if olo > cur {
                    out.push((cur, olo - 1));
                }
                if ohi >= hi {
                    done = true;
                    break;
                }
                cur = cur.max(ohi + 1);
                k += 1;
            }
            if !done && cur <= hi {
                out.push((cur, hi));
            }
        }
        FlowSet { ranges: out }
    }

    /// True when every flow of `o` is in `self`.
    pub fn contains_all(&self, o: &FlowSet) -> bool {
        o.minus(self).is_empty()
    }

    pub fn overlaps(&self, o: &FlowSet) -> bool {
        !self.intersect(o).is_empty()
    }

    /// The protocols that have at least one flow in the set.
    fn protocols(&self) -> Vec<u8> {
        let mut out: Vec<u8> = Vec::new();
        for &(lo, hi) in &self.ranges {
            for p in (lo >> 16)..=(hi >> 16) {
                let p = p as u8;
                if out.last() != Some(&p) {
                    out.push(p);
                }
            }
        }
        out
    }

    /// What a connection may be opened with from a subnet of `family`:
    /// every protocol and port, and for ICMP the echo request (ping); the
    /// other family's ICMP is left out.
    pub fn connections(family: Family) -> FlowSet {
        let (mine, other, req) = match family {
            Family::V4 => (ICMP, ICMPV6, ECHO_REQUEST),
            Family::V6 => (ICMPV6, ICMP, ECHO_REQUEST_V6),
        };
        FlowSet::all()
            .minus(&FlowSet::protocol(mine))
            .minus(&FlowSet::protocol(other))
            .union(&FlowSet::icmp(mine, Some(req), None))
    }

    /// Every reply that a connection of `connections(family)` can get:
    /// TCP and UDP to the ephemeral ports, ICMP echo replies, and the whole
    /// of other protocols.
    pub fn replies(family: Family) -> FlowSet {
        let (mine, other, rep) = match family {
            Family::V4 => (ICMP, ICMPV6, ECHO_REPLY),
            Family::V6 => (ICMPV6, ICMP, ECHO_REPLY_V6),
        };
        FlowSet::all()
            .minus(&FlowSet::protocol(TCP))
            .minus(&FlowSet::protocol(UDP))
            .minus(&FlowSet::protocol(mine))
            .minus(&FlowSet::protocol(other))
            .union(&FlowSet::ports(TCP, EPHEMERAL.0, EPHEMERAL.1))
            .union(&FlowSet::ports(UDP, EPHEMERAL.0, EPHEMERAL.1))
            .union(&FlowSet::icmp(mine, Some(rep), Some(0)))
    }

    /// The replies the flows of protocol `p` need.
    fn replies_of(p: u8) -> FlowSet {
        match p {
            TCP | UDP => FlowSet::ports(p, EPHEMERAL.0, EPHEMERAL.1),
            ICMP => FlowSet::icmp(ICMP, Some(ECHO_REPLY), Some(0)),
            ICMPV6 => FlowSet::icmp(ICMPV6, Some(ECHO_REPLY_V6), Some(0)),
            _ => FlowSet::protocol(p),
        }
    }

    /// The replies the flows of `self` need.
    pub fn replies_for(&self) -> FlowSet {
        let mut out = FlowSet::empty();
        for p in self.protocols() {
            out = out.union(&FlowSet::replies_of(p));
        }
        out
    }

    /// Keeps, of `self`, only the protocols whose flows in `offered` are
    /// all kept: a reply must get through on every ephemeral port.
    pub fn whole_protocols(&self, offered: &FlowSet) -> FlowSet {
        let mut out = FlowSet::empty();
        for p in offered.protocols() {
            let whole = FlowSet::protocol(p);
            let want = offered.intersect(&whole);
            if self.contains_all(&want) {
                out = out.union(&want);
            }
        }
        out
    }

    /// The forward flows in `self` whose replies are all in `delivered`:
    /// the traffic that gets a round trip. A TCP or UDP reply must be
    /// admitted on every ephemeral port, since the client picks one.
    pub fn round_trips(&self, delivered: &FlowSet) -> FlowSet {
        let mut out = FlowSet::empty();
        for p in self.protocols() {
            if delivered.contains_all(&FlowSet::replies_of(p)) {
                out = out.union(&self.intersect(&FlowSet::protocol(p)));
            }
        }
        out
    }

    /// Describes the set in words relative to `universe` (the traffic that
    /// was possible): `all traffic` when it is all of it, `all traffic but
    /// tcp 22` when that is shorter than listing what is in it.
    pub fn describe_within(&self, universe: &FlowSet, limit: usize) -> String {
        if self.contains_all(universe) {
            return "all traffic".into();
        }
        let missing = universe.minus(self);
        let inside = self.describe(limit);
        if missing.ranges.len() < self.intersect(universe).ranges.len() {
            format!("all traffic but {}", missing.describe(limit))
        } else {
            inside
        }
    }

    /// Describes the set in words (`tcp 443`, `udp 53`, `icmp echo`),
    /// naming at most `limit` pieces.
    pub fn describe(&self, limit: usize) -> String {
        if self.is_empty() {
            return "no traffic".into();
        }
        if self.is_all() {
            return "all traffic".into();
        }
        let mut parts: Vec<String> = Vec::new();
        for p in self.protocols() {
            let whole = FlowSet::protocol(p);
            let mine = self.intersect(&whole);
            let name = protocol_name(p);
            if mine == whole {
                parts.push(name);
                continue;
            }
            for &(lo, hi) in &mine.ranges {
                let (a, b) = ((lo & 0xffff) as u16, (hi & 0xffff) as u16);
                parts.push(match p {
                    TCP | UDP if a == b => format!("{name} {a}"),
                    TCP | UDP => format!("{name} {a}-{b}"),
                    ICMP | ICMPV6 => describe_icmp(p, a, b),
                    _ => name.clone(),
                });
            }
        }
        parts.dedup();
        // Collapse runs of whole protocols into one line when there are many.
        if parts.len() > limit {
            let more = parts.len() - limit;
            parts.truncate(limit);
            parts.push(format!("{more} more"));
        }
        parts.join(", ")
    }
}

fn describe_icmp(p: u8, a: u16, b: u16) -> String {
    let name = protocol_name(p);
    let (ta, tb) = (a >> 8, b >> 8);
    let echo = if p == ICMP {
        (ECHO_REQUEST, ECHO_REPLY)
    } else {
        (ECHO_REQUEST_V6, ECHO_REPLY_V6)
    };
    if ta == tb {
        if ta == echo.0 as u16 {
            return format!("{name} echo request");
        }
        if ta == echo.1 as u16 {
            return format!("{name} echo reply");
        }
        return format!("{name} type {ta}");
    }
    format!("{name} types {ta}-{tb}")
}

/// The usual name of an IP protocol number.
pub fn protocol_name(p: u8) -> String {
    match p {
        ICMP => "icmp".into(),
        TCP => "tcp".into(),
        UDP => "udp".into(),
        ICMPV6 => "icmpv6".into(),
        other => format!("protocol {other}"),
    }
}

/// Parses an AWS protocol value: a name (`tcp`, `udp`, `icmp`, `icmpv6`,
/// `all`) or a number, `-1` meaning every protocol. `None` is all.
pub fn parse_protocol(s: &str) -> Result<Option<u8>, String> {
    let t = s.trim().to_ascii_lowercase();
    match t.as_str() {
        "-1" | "all" | "any" => Ok(None),
        "tcp" => Ok(Some(TCP)),
        "udp" => Ok(Some(UDP)),
        "icmp" => Ok(Some(ICMP)),
        "icmpv6" | "icmp6" | "ipv6-icmp" => Ok(Some(ICMPV6)),
        _ => t
            .parse::<u8>()
            .map(Some)
            .map_err(|_| format!("`{s}` is not a protocol name or number")),
    }
}

/// One named kind of traffic (`--protocol tcp --port 443`), the question a
/// verdict can be asked for instead of "any traffic at all".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Flow {
    /// `None`: every protocol.
    pub protocol: Option<u8>,
    /// The destination port (TCP and UDP only); `None`: every port.
    pub port: Option<u16>,
}

impl Flow {
    /// Checks that a port goes with a protocol that has ports.
    pub fn new(protocol: Option<u8>, port: Option<u16>) -> Result<Flow, String> {
        if port.is_some() && !matches!(protocol, Some(TCP) | Some(UDP)) {
            return Err("--port needs --protocol tcp or --protocol udp".into());
        }
        Ok(Flow { protocol, port })
    }

    /// The forward flows this names, for a subnet of `family`. ICMP asks
    /// about ping; `icmp` and `icmpv6` name the ping of either family.
    pub fn forward(&self, family: Family) -> FlowSet {
        match (self.protocol, self.port) {
            (None, _) => FlowSet::connections(family),
            (Some(p @ (TCP | UDP)), Some(port)) => FlowSet::ports(p, port, port),
            (Some(ICMP | ICMPV6), _) => FlowSet::connections(family)
                .intersect(&(FlowSet::protocol(ICMP).union(&FlowSet::protocol(ICMPV6)))),
            (Some(p), _) => FlowSet::protocol(p),
        }
    }
}

impl fmt::Display for Flow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.protocol, self.port) {
            (None, _) => f.write_str("all traffic"),
            (Some(p), Some(port)) => write!(f, "{} {port}", protocol_name(p)),
            (Some(p), None) => f.write_str(&protocol_name(p)),
        }
    }
}

impl FromStr for Flow {
    type Err = String;

    /// `tcp/443`, `udp`, `icmp`, `all`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (p, port) = match s.split_once('/') {
            Some((p, port)) => (
                p,
                Some(
                    port.trim()
                        .parse::<u16>()
                        .map_err(|_| format!("`{port}` is not a port number"))?,
                ),
            ),
            None => (s, None),
        };
        Flow::new(parse_protocol(p)?, port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_algebra() {
        let a = FlowSet::ports(TCP, 0, 100);
        let b = FlowSet::ports(TCP, 50, 200);
        assert_eq!(a.intersect(&b), FlowSet::ports(TCP, 50, 100));
        assert_eq!(a.union(&b), FlowSet::ports(TCP, 0, 200));
        assert_eq!(a.minus(&b), FlowSet::ports(TCP, 0, 49));
        assert_eq!(
            FlowSet::all()
                .minus(&FlowSet::protocol(TCP))
                .union(&FlowSet::protocol(TCP)),
            FlowSet::all()
        );
        let holes = FlowSet::ports(TCP, 0, 1000)
            .minus(&FlowSet::ports(TCP, 10, 20))
            .minus(&FlowSet::ports(TCP, 30, 40));
        assert_eq!(holes.ranges.len(), 3);
        assert!(FlowSet::ports(TCP, 0, 1000).contains_all(&holes));
        assert!(!holes.contains_all(&FlowSet::ports(TCP, 15, 15)));
    }

    #[test]
    fn replies_need_every_ephemeral_port() {
        let fwd = FlowSet::ports(TCP, 443, 443).union(&FlowSet::ports(UDP, 53, 53));
        let narrow = FlowSet::ports(TCP, 32768, 65535).union(&FlowSet::ports(UDP, 1024, 65535));
        assert_eq!(fwd.round_trips(&narrow), FlowSet::ports(UDP, 53, 53));
        assert_eq!(fwd.round_trips(&FlowSet::replies(Family::V4)), fwd);
        let ping = FlowSet::icmp(ICMP, Some(8), None);
        assert!(ping.round_trips(&FlowSet::replies(Family::V4)) == ping);
        assert!(ping.round_trips(&FlowSet::ports(TCP, 0, 65535)).is_empty());
    }

    #[test]
    fn describes_in_words() {
        assert_eq!(FlowSet::all().describe(5), "all traffic");
        let s = FlowSet::ports(TCP, 443, 443)
            .union(&FlowSet::ports(TCP, 1024, 65535))
            .union(&FlowSet::protocol(UDP))
            .union(&FlowSet::icmp(ICMP, Some(8), None));
        assert_eq!(
            s.describe(5),
            "icmp echo request, tcp 443, tcp 1024-65535, udp"
        );
    }

    #[test]
    fn named_flows() {
        let f: Flow = "tcp/443".parse().unwrap();
        assert_eq!(f.forward(Family::V4), FlowSet::ports(TCP, 443, 443));
        assert!("icmp/8".parse::<Flow>().is_err());
        assert_eq!(Flow::new(None, None).unwrap().to_string(), "all traffic");
        assert_eq!(parse_protocol("-1").unwrap(), None);
        assert_eq!(parse_protocol("6").unwrap(), Some(TCP));
    }
}
