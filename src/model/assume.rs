//! Links that rest on a guess, checked against what AWS can build.
//!
//! Where an ID is unknown until apply, a link is followed through the
//! configuration's references. Some of those links rest on a guess: an
//! assumption stated as `ASSUMED_REFERENCE` (a key computed through a
//! `local`, the only candidate in a module), or matching instance keys
//! (`aws_vpc.vpc[count.index]`, where the references cannot show arithmetic
//! such as `(count.index + 1) % 3`). When such a link yields what AWS would
//! refuse to create (a VPC peered with itself or with an overlapping VPC, a
//! subnet outside its VPC's blocks, a subnet associated with a route table
//! of another VPC), the guess was wrong, not the user's configuration: the
//! link is dropped and stays unresolved with the reason, instead of turning
//! into an error finding nobody wrote.

use super::build::{Builder, Found};
use super::Link;
use crate::ingest::unknown::is_unknown;
use crate::ingest::RawResource;
use crate::net::Prefix;

/// The raw resource a found link leads to.
fn target(f: &Found) -> Option<usize> {
    match f {
        Found::Raw(i) | Found::Assumed(i, _) => Some(*i),
        _ => None,
    }
}

impl Builder<'_> {
    /// The guess behind link `attr` of `r`, when it rests on one.
    fn guess(&self, r: &RawResource, attr: &str, f: &Found) -> Option<String> {
        match f {
            Found::Assumed(_, why) => Some(why.clone()),
            Found::Raw(i)
                if r.values.get(attr).is_some_and(is_unknown)
                    && self.lk.doc(r).config.keyed_by_instance(r, attr) =>
            {
                Some(format!(
                    "`{attr}` of {} is not known until apply and tfreach matched instance keys \
                     to take it as {}",
                    r.address,
                    self.raw(*i).address
                ))
            }
            _ => None,
        }
    }

    /// Turns the guessed links among `links` into unresolved ones that say
    /// they would make `what`; a link the configuration states is kept.
    fn drop_guesses<const N: usize>(
        &self,
        r: &RawResource,
        links: [(&str, Found); N],
        what: &str,
    ) -> [Found; N] {
        links.map(|(attr, f)| match self.guess(r, attr, &f) {
            Some(why) => Found::Unresolved(format!(
                "{why}; but that would make {what}, which AWS refuses, so tfreach drops that guess"
            )),
            None => f,
        })
    }

    /// The two VPCs of a peering connection (`vpc_id`, `peer_vpc_id`). AWS
    /// refuses to peer a VPC with itself or with a VPC whose IPv4 blocks
    /// overlap its own.
    pub(super) fn peering_ends(
        &self,
        r: &RawResource,
        requester: Found,
        accepter: Found,
    ) -> [Found; 2] {
        let (Some(a), Some(b)) = (target(&requester), target(&accepter)) else {
            return [requester, accepter];
        };
        let what = if a == b {
            format!("a peering of {} with itself", self.raw(a).address)
        } else if self.vpcs_overlap(a, b) {
            format!(
                "a peering of {} and {}, whose CIDR blocks overlap",
                self.raw(a).address,
                self.raw(b).address
            )
        } else {
            return [requester, accepter];
        };
        self.drop_guesses(r, [("vpc_id", requester), ("peer_vpc_id", accepter)], &what)
    }

    /// The subnet and route table of an association: AWS associates a
    /// subnet only with a route table of its own VPC.
    pub(super) fn association_ends(
        &self,
        r: &RawResource,
        subnet: Found,
        table: Found,
    ) -> [Found; 2] {
        let (Some(s), Some(t)) = (target(&subnet), target(&table)) else {
            return [subnet, table];
        };
        let vpc_of_subnet = self.subnet_of.get(&s).map(|&m| &self.model.subnets[m].vpc);
        let vpc_of_table = self.rt_of.get(&t).map(|&m| &self.model.route_tables[m].vpc);
        let (Some(Link::To(x)), Some(Link::To(y))) = (vpc_of_subnet, vpc_of_table) else {
            return [subnet, table];
        };
        if x == y {
            return [subnet, table];
        }
        let what = format!(
            "{} (in {}) use {} (of {})",
            self.raw(s).address,
            self.model.vpcs[*x].address,
            self.raw(t).address,
            self.model.vpcs[*y].address
        );
        self.drop_guesses(r, [("subnet_id", subnet), ("route_table_id", table)], &what)
    }

    /// The VPC of subnet `r`: AWS creates a subnet only inside one of its
    /// VPC's IPv4 blocks.
    pub(super) fn subnet_vpc(&self, r: &RawResource, vpc: Found) -> Found {
        let Some(v) = target(&vpc) else {
            return vpc;
        };
        let own = r
            .values
            .get("cidr_block")
            .and_then(|c| c.as_str())
            .and_then(|c| c.parse::<Prefix>().ok());
        let (Some(own), Some(&m)) = (own, self.vpc_of.get(&v)) else {
            return vpc;
        };
        let cidrs = &self.model.vpcs[m].cidrs;
        if cidrs.unknown.is_some()
            || cidrs.v4.is_empty()
            || cidrs.v4.iter().any(|b| b.contains(&own))
        {
            return vpc;
        }
        let what = format!(
            "{} ({own}) a subnet of {}, whose blocks do not hold it",
            r.address,
            self.raw(v).address
        );
        let [f] = self.drop_guesses(r, [("vpc_id", vpc)], &what);
        f
    }

    /// Do the known IPv4 blocks of two VPCs (raw indices) overlap?
    fn vpcs_overlap(&self, a: usize, b: usize) -> bool {
        let (Some(&x), Some(&y)) = (self.vpc_of.get(&a), self.vpc_of.get(&b)) else {
            return false;
        };
        let (x, y) = (&self.model.vpcs[x].cidrs, &self.model.vpcs[y].cidrs);
        x.v4.iter().any(|p| y.v4.iter().any(|q| p.overlaps(q)))
    }
}
