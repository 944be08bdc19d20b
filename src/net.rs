//! Address arithmetic: prefixes and address intervals for both families.
//!
//! Addresses are held as `u128` with a [`Family`] tag, so one set of interval
//! code serves IPv4 and IPv6. IPv4 uses the low 32 bits.

use std::fmt;
use std::str::FromStr;

use ipnet::IpNet;

/// The address family. AWS routes the two independently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    V4,
    V6,
}

impl Family {
    #[inline]
    pub fn bits(self) -> u8 {
        match self {
            Family::V4 => 32,
            Family::V6 => 128,
        }
    }

    /// The highest address of the family.
    #[inline]
    pub fn max(self) -> u128 {
        match self {
            Family::V4 => u32::MAX as u128,
            Family::V6 => u128::MAX,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Family::V4 => "IPv4",
            Family::V6 => "IPv6",
        }
    }
}

/// A canonical CIDR prefix (host bits cleared, as AWS stores it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Prefix {
    pub family: Family,
    pub start: u128,
    pub len: u8,
}

/// Why a CIDR string was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadCidr(pub String);

impl fmt::Display for BadCidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not a CIDR block", self.0)
    }
}

impl FromStr for Prefix {
    type Err = BadCidr;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let net: IpNet = s.trim().parse().map_err(|_| BadCidr(s.to_string()))?;
        Ok(Prefix::from(net.trunc()))
    }
}

impl From<IpNet> for Prefix {
    fn from(net: IpNet) -> Self {
        let net = net.trunc();
        match net {
            IpNet::V4(n) => Prefix {
                family: Family::V4,
                start: u32::from(n.network()) as u128,
                len: n.prefix_len(),
            },
            IpNet::V6(n) => Prefix {
                family: Family::V6,
                start: u128::from(n.network()),
                len: n.prefix_len(),
            },
        }
    }
}

impl Prefix {
    /// The last address covered by the prefix.
    #[inline]
    pub fn end(&self) -> u128 {
        // The host bits as a mask: all ones, shifted right past the prefix
        // and past the high bits an IPv4 address (held in the low 32) does
        // not use. No branch: route lookups call this for every route.
        let shift = u32::from(self.len) + (128 - u32::from(self.family.bits()));
        self.start | u128::MAX.checked_shr(shift).unwrap_or(0)
    }

    #[inline]
    pub fn interval(&self) -> Interval {
        Interval {
            lo: self.start,
            hi: self.end(),
        }
    }

    #[inline]
    pub fn contains_addr(&self, addr: u128) -> bool {
        addr >= self.start && addr <= self.end()
    }

    #[inline]
    pub fn contains(&self, other: &Prefix) -> bool {
        self.family == other.family && self.len <= other.len && self.contains_addr(other.start)
    }

    pub fn overlaps(&self, other: &Prefix) -> bool {
        self.family == other.family && (self.contains(other) || other.contains(self))
    }

    /// Formats an address of this prefix's family.
    pub fn fmt_addr(family: Family, addr: u128) -> String {
        match family {
            Family::V4 => std::net::Ipv4Addr::from(addr as u32).to_string(),
            Family::V6 => std::net::Ipv6Addr::from(addr).to_string(),
        }
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}",
            Prefix::fmt_addr(self.family, self.start),
            self.len
        )
    }
}

/// Intervals with a value each, sorted by start with the running maximum
/// end, so the ones that overlap an interval are found without a scan of
/// them all.
#[derive(Debug, Clone)]
pub struct OverlapIndex<T> {
    items: Vec<(Interval, T)>,
    max_end: Vec<u128>,
}

impl<T: Ord> OverlapIndex<T> {
    pub fn new(mut items: Vec<(Interval, T)>) -> OverlapIndex<T> {
        items.sort();
        let mut m = 0u128;
        let max_end = items
            .iter()
            .map(|(iv, _)| {
                m = m.max(iv.hi);
                m
            })
            .collect();
        OverlapIndex { items, max_end }
    }

    /// The items whose interval overlaps `q`, from the last start down.
    pub fn overlapping(&self, q: Interval) -> impl Iterator<Item = &(Interval, T)> + '_ {
        // Items starting at or before the query's end, walked back while
        // an earlier one can still reach it.
        let mut j = self.items.partition_point(|(iv, _)| iv.lo <= q.hi);
        std::iter::from_fn(move || {
            while j > 0 && self.max_end[j - 1] >= q.lo {
                j -= 1;
                if self.items[j].0.hi >= q.lo {
                    return Some(&self.items[j]);
                }
            }
            None
        })
    }
}

/// A closed interval of addresses `[lo, hi]` within one family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Interval {
    pub lo: u128,
    pub hi: u128,
}

impl Interval {
    #[inline]
    pub fn full(family: Family) -> Interval {
        Interval {
            lo: 0,
            hi: family.max(),
        }
    }

    #[inline]
    pub fn contains(&self, a: u128) -> bool {
        a >= self.lo && a <= self.hi
    }

    #[inline]
    pub fn intersect(&self, other: &Interval) -> Option<Interval> {
        let lo = self.lo.max(other.lo);
        let hi = self.hi.min(other.hi);
        (lo <= hi).then_some(Interval { lo, hi })
    }

    /// The parts of `self` outside `inner` (at most two), assuming they intersect.
    pub fn minus(&self, inner: &Interval) -> Vec<Interval> {
        let mut out = Vec::new();
        if inner.lo > self.lo {
            out.push(Interval {
                lo: self.lo,
                hi: inner.lo - 1,
            });
        }
        if inner.hi < self.hi {
            out.push(Interval {
                lo: inner.hi + 1,
                hi: self.hi,
            });
        }
        out
    }

    /// Renders the interval as the shortest list of CIDR blocks.
    pub fn to_cidrs(&self, family: Family) -> Vec<Prefix> {
        let mut out = Vec::new();
        let mut lo = self.lo;
        let bits = family.bits();
        loop {
            // Largest aligned block starting at `lo` that stays within `hi`.
            let mut len = bits;
            while len > 0 {
                let cand = Prefix {
                    family,
                    start: lo,
                    len: len - 1,
                };
                let host = (bits - cand.len) as u32;
                let aligned = host >= 128 || lo & ((1u128 << host) - 1) == 0;
                if aligned && cand.end() <= self.hi {
                    len -= 1;
                } else {
                    break;
                }
            }
            let p = Prefix {
                family,
                start: lo,
                len,
            };
            out.push(p);
            if p.end() >= self.hi {
                break;
            }
            lo = p.end() + 1;
        }
        out
    }

    pub fn describe(&self, family: Family) -> String {
        let cidrs = self.to_cidrs(family);
        if cidrs.len() <= 3 {
            cidrs
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            format!(
                "{} - {}",
                Prefix::fmt_addr(family, self.lo),
                Prefix::fmt_addr(family, self.hi)
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_ends_at_the_broadcast_address_ipnet_gives() {
        for len in 0..=32 {
            let net: IpNet = format!("10.20.30.40/{len}").parse().unwrap();
            let p = Prefix::from(net);
            let IpNet::V4(v4) = net.trunc() else {
                unreachable!()
            };
            assert_eq!(p.end(), u128::from(u32::from(v4.broadcast())), "/{len}");
        }
        for len in 0..=128 {
            let net: IpNet = format!("2001:db8:1:2:3:4:5:6/{len}").parse().unwrap();
            let p = Prefix::from(net);
            let IpNet::V6(v6) = net.trunc() else {
                unreachable!()
            };
            assert_eq!(p.end(), u128::from(v6.broadcast()), "/{len}");
        }
    }

    #[test]
    fn overlap_index_finds_an_early_wide_interval_and_no_other() {
        let iv = |lo, hi| Interval { lo, hi };
        let index = OverlapIndex::new(vec![
            (iv(20, 29), 'b'),
            (iv(0, 100), 'w'),
            (iv(40, 49), 'c'),
            (iv(5, 9), 'a'),
        ]);
        let mut hits: Vec<char> = index.overlapping(iv(30, 35)).map(|&(_, c)| c).collect();
        hits.sort();
        assert_eq!(hits, ['w']);
        let mut hits: Vec<char> = index.overlapping(iv(8, 21)).map(|&(_, c)| c).collect();
        hits.sort();
        assert_eq!(hits, ['a', 'b', 'w']);
        assert_eq!(index.overlapping(iv(101, 200)).count(), 0);
    }

    #[test]
    fn parses_and_canonicalises() {
        let p: Prefix = "10.0.1.7/16".parse().unwrap();
        assert_eq!(p.to_string(), "10.0.0.0/16");
        assert_eq!(
            p.end(),
            u32::from(std::net::Ipv4Addr::new(10, 0, 255, 255)) as u128
        );
        let z: Prefix = "0.0.0.0/0".parse().unwrap();
        assert_eq!(z.end(), u32::MAX as u128);
        let v6: Prefix = "::/0".parse().unwrap();
        assert_eq!(v6.end(), u128::MAX);
        assert!("10.0.0.0/33".parse::<Prefix>().is_err());
        assert!("banana".parse::<Prefix>().is_err());
    }

    #[test]
    fn interval_to_cidrs_is_minimal() {
        let p: Prefix = "10.0.0.0/24".parse().unwrap();
        let iv = Interval {
            lo: p.start,
            hi: p.start + 127,
        };
        assert_eq!(iv.to_cidrs(Family::V4)[0].to_string(), "10.0.0.0/25");
        let iv = Interval {
            lo: p.start + 1,
            hi: p.end(),
        };
        assert_eq!(iv.to_cidrs(Family::V4).len(), 8);
        assert_eq!(Interval::full(Family::V6).to_cidrs(Family::V6)[0].len, 0);
    }
}
