//! VPCs that nothing in the model tells apart.
//!
//! Two VPCs are alike when swapping them, with the addresses of one block
//! moved onto the other's, maps the model onto itself: their subnets,
//! route tables, network ACLs, gateways, endpoints, attachments and
//! peerings correspond one to one, with the same zones, the same routes
//! and rules (a prefix inside the VPC's own block counted from the block's
//! start, any other prefix as it is), and everything outside them treats
//! the two the same way: the same route tables and transit gateway route
//! tables send their blocks to their corresponding attachments or
//! peerings, the same ACL rules name their corresponding ranges, and every
//! prefix of the model that holds one of them holds the other. Such a swap
//! changes no walk's outcome, so the verdicts from a subnet of one VPC are
//! those from the corresponding subnet of the other, destination for
//! destination. The class analysis then counts the rows of one VPC of
//! each group of alike VPCs and multiplies them by the group's size.
//!
//! The test is conservative: a VPC with a value not known until apply,
//! more than one block of a family, a block shared with another VPC, a
//! gateway route table (ingress routing), a virtual private gateway that
//! propagates routes, or an object that reaches into another VPC's
//! subnets is alike with no other VPC.

use foldhash::{HashMap, HashMapExt};
use rayon::prelude::*;
use std::fmt::Write;

use crate::model::tgw::TgwTarget;
use crate::model::{Dest, Link, Model, PeeringState, Target};
use crate::net::{Family, Prefix};

/// The groups of two or more alike VPCs (indices, ascending), in order of
/// their first member.
pub fn alike_vpcs(model: &Model) -> Vec<Vec<usize>> {
    let n = model.vpcs.len();
    if n < 2 {
        return Vec::new();
    }
    let mut s = Survey::new(model);
    s.check_blocks();
    s.check_ownership();
    s.collect_facts();
    s.collect_containing();
    // Each VPC's signature reads only the survey: on every core, then
    // grouped in VPC order.
    let signatures: Vec<Option<String>> = (0..n)
        .into_par_iter()
        .with_min_len(64)
        .map(|v| if s.ok[v] { s.signature(v) } else { None })
        .collect();
    let mut groups: HashMap<String, Vec<usize>> = HashMap::new();
    for (v, sig) in signatures.into_iter().enumerate() {
        if let Some(sig) = sig {
            groups.entry(sig).or_default().push(v);
        }
    }
    let mut out: Vec<Vec<usize>> = groups.into_values().filter(|g| g.len() >= 2).collect();
    out.sort_by_key(|g| g[0]);
    out
}

/// What is learnt of every VPC on the way to its signature.
struct Survey<'m> {
    m: &'m Model,
    /// Still a candidate for being alike with another VPC.
    ok: Vec<bool>,
    /// Per VPC: its IPv4 block and its IPv6 block, if any.
    blocks: Vec<[Option<Prefix>; 2]>,
    /// Every VPC block, sorted by family and start: (block, VPC).
    sorted: Vec<(Prefix, usize)>,
    /// Per VPC: its route tables, network ACLs, gateways, endpoints and
    /// incident peerings, in model order.
    tables: Vec<Vec<usize>>,
    acls: Vec<Vec<usize>>,
    gateways: Vec<Vec<usize>>,
    endpoints: Vec<Vec<usize>>,
    peerings: Vec<Vec<usize>>,
    /// Per VPC: what objects outside it say of it.
    facts: Vec<Vec<String>>,
    /// Per VPC: the prefixes of the model that strictly hold one of its blocks.
    containing: Vec<Vec<Prefix>>,
}

fn fam(f: Family) -> usize {
    usize::from(f == Family::V6)
}

fn variant(s: &PeeringState) -> &'static str {
    match s {
        PeeringState::Active => "active",
        PeeringState::Inactive(_) => "inactive",
        PeeringState::Undetermined(_) => "undetermined",
    }
}

impl<'m> Survey<'m> {
    fn new(m: &'m Model) -> Survey<'m> {
        let n = m.vpcs.len();
        let owned = |owner: &dyn Fn(usize) -> Option<usize>, len: usize| {
            let mut by: Vec<Vec<usize>> = vec![Vec::new(); n];
            for i in 0..len {
                if let Some(v) = owner(i) {
                    by[v].push(i);
                }
            }
            by
        };
        let tables = owned(&|t| m.route_tables[t].vpc.index(), m.route_tables.len());
        let acls = owned(&|a| m.network_acls[a].vpc.index(), m.network_acls.len());
        let gateways = owned(&|g| gateway_vpc(m, g), m.gateways.len());
        let endpoints = owned(&|e| m.endpoints[e].vpc.index(), m.endpoints.len());
        let mut peerings: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (i, p) in m.peerings.iter().enumerate() {
            for end in [&p.requester, &p.accepter] {
                if let Some(v) = end.index() {
                    if !peerings[v].contains(&i) {
                        peerings[v].push(i);
                    }
                }
            }
        }
        Survey {
            m,
            ok: vec![true; n],
            blocks: vec![[None, None]; n],
            sorted: Vec::new(),
            tables,
            acls,
            gateways,
            endpoints,
            peerings,
            facts: vec![Vec::new(); n],
            containing: vec![Vec::new(); n],
        }
    }

    /// One known block per family at most, none shared with another VPC.
    fn check_blocks(&mut self) {
        for (v, vpc) in self.m.vpcs.iter().enumerate() {
            if vpc.cidrs.unknown.is_some() || vpc.cidrs.v4.len() != 1 || vpc.cidrs.v6.len() > 1 {
                self.ok[v] = false;
            }
            for p in vpc.cidrs.all() {
                self.sorted.push((*p, v));
                if self.blocks[v][fam(p.family)].is_none() {
                    self.blocks[v][fam(p.family)] = Some(*p);
                }
            }
        }
        self.sorted
            .sort_by_key(|(p, v)| (fam(p.family), p.start, *v));
        for i in 1..self.sorted.len() {
            let ((a, x), (b, y)) = (self.sorted[i - 1], self.sorted[i]);
            if a.overlaps(&b) {
                self.ok[x] = false;
                self.ok[y] = false;
            }
        }
    }

    /// The VPC one of whose blocks holds `p` (equal or more specific).
    fn inside(&self, p: &Prefix) -> Option<usize> {
        let key = (fam(p.family), p.start);
        let i = self
            .sorted
            .partition_point(|(b, _)| (fam(b.family), b.start) <= key);
        let (b, v) = self.sorted.get(i.checked_sub(1)?)?;
        b.contains(p).then_some(*v)
    }

    /// Objects must live where they point: a subnet, gateway, endpoint or
    /// attachment that names another VPC's subnets, tables or ACLs, and
    /// the features the signature does not describe, take the VPCs they
    /// touch out.
    fn check_ownership(&mut self) {
        let m = self.m;
        let sub_vpc = |s: usize| m.subnets[s].vpc.index();
        let mut bad: Vec<usize> = Vec::new();
        for sub in &m.subnets {
            let own = sub.vpc.index();
            for p in sub.cidrs.all() {
                match (self.inside(p), own) {
                    (Some(w), Some(u)) if w == u => {}
                    (Some(w), _) => bad.push(w),
                    (None, Some(u)) => bad.push(u),
                    (None, None) => {}
                }
            }
            let Some(u) = own else { continue };
            if sub.cidrs.unknown.is_some() {
                bad.push(u);
            }
            let mut refs: Vec<Option<usize>> = Vec::new();
            refs.push(match &sub.route_table {
                Link::To(t) => m.route_tables[*t].vpc.index(),
                _ => None,
            });
            if let Link::To(a) = &sub.network_acl {
                refs.push(m.network_acls[*a].vpc.index());
            }
            for &a in &sub.attachments {
                refs.push(m.tgw_attachments[a].vpc.index());
            }
            for &g in &sub.devices {
                refs.push(gateway_vpc(m, g));
            }
            if !matches!(sub.route_table, Link::To(_)) || refs.iter().any(|r| *r != Some(u)) {
                bad.push(u);
                bad.extend(refs.into_iter().flatten());
            }
        }
        for (v, vpc) in m.vpcs.iter().enumerate() {
            if let Link::To(t) = vpc.main_route_table {
                if m.route_tables[t].vpc.index() != Some(v) {
                    bad.push(v);
                }
            }
        }
        for t in &m.route_tables {
            if t.routes_unknown.is_some() || t.propagating {
                bad.extend(t.vpc.index());
            }
        }
        for g in &m.gateways {
            let at = g.subnet.index().and_then(sub_vpc);
            if g.vpc.index().is_some() && g.subnet.index().is_some() && at != g.vpc.index() {
                bad.extend(at);
                bad.extend(g.vpc.index());
            }
            if let Some(ip) = g.private_ip {
                let p = Prefix {
                    family: Family::V4,
                    start: ip,
                    len: 32,
                };
                if let Some(w) = self.inside(&p) {
                    if Some(w) != g.vpc.index().or(at) {
                        bad.push(w);
                    }
                }
            }
        }
        for e in &m.endpoints {
            let own = e.vpc.index();
            let mut refs: Vec<Option<usize>> = e.subnets.iter().map(|&s| sub_vpc(s)).collect();
            refs.extend(
                e.route_tables
                    .iter()
                    .map(|&t| m.route_tables[t].vpc.index()),
            );
            if own.is_none() || e.subnets_unknown.is_some() || refs.iter().any(|r| *r != own) {
                bad.extend(own);
                bad.extend(refs.into_iter().flatten());
            }
            for p in &e.service_cidrs {
                bad.extend(self.inside(p));
            }
        }
        for a in &m.tgw_attachments {
            let own = a.vpc.index();
            let refs: Vec<Option<usize>> = a.subnets.iter().map(|&s| sub_vpc(s)).collect();
            if a.subnets_unknown.is_some() || refs.iter().any(|r| *r != own) {
                bad.extend(own);
                bad.extend(refs.into_iter().flatten());
            }
        }
        for (v, vpc) in m.vpcs.iter().enumerate() {
            for &a in &vpc.attachments {
                if m.tgw_attachments[a].vpc.index() != Some(v) {
                    bad.push(v);
                }
            }
        }
        for edge in &m.edge_associations {
            if let Some(g) = edge.gateway.index() {
                bad.extend(gateway_vpc(m, g));
            }
        }
        for p in &m.vgw_propagations {
            bad.extend(m.route_tables[p.table].vpc.index());
        }
        for net in &m.on_prem {
            if let crate::model::onprem::Via::Vgw(g) = net.via {
                bad.extend(gateway_vpc(m, g));
            }
            let allowed = net.allowed_prefixes.iter().flatten().flatten();
            let prefixes = net.ranges.iter().map(|r| &r.prefix).chain(&net.named);
            for p in prefixes.chain(allowed) {
                bad.extend(self.inside(p));
            }
        }
        for v in bad {
            self.ok[v] = false;
        }
    }

    /// A prefix as VPC `v` sees it: inside one of its blocks, counted from
    /// the block's start; otherwise as it is.
    fn rel(&self, v: usize, p: &Prefix) -> String {
        match self.blocks[v][fam(p.family)] {
            Some(b) if b.contains(p) => {
                format!("R{}+{}/{}", fam(p.family), p.start - b.start, p.len)
            }
            _ => format!("A{p}"),
        }
    }

    /// The position of `x` in `list`, as a local name, or the model index.
    fn local(list: &[usize], x: usize, tag: char) -> String {
        match list.iter().position(|&y| y == x) {
            Some(i) => format!("{}{i}", tag.to_ascii_uppercase()),
            None => format!("{tag}{x}"),
        }
    }

    /// [`Survey::local`] of each of `xs`.
    fn locals(list: &[usize], xs: &[usize], tag: char) -> Vec<String> {
        xs.iter().map(|&x| Self::local(list, x, tag)).collect()
    }

    fn dest(&self, v: usize, d: &Dest) -> String {
        match d {
            Dest::Cidr(p) => self.rel(v, p),
            Dest::PrefixList(id) => format!("pl:{id}"),
            Dest::Service(s) => format!("svc:{s}"),
            Dest::Unknown(_) => "?".into(),
        }
    }

    fn target(&self, v: usize, t: &Target) -> String {
        match t {
            Target::Local => "local".into(),
            Target::Blackhole(_) => "blackhole".into(),
            Target::Unknown(_) => "?".into(),
            Target::Peering(Link::To(p)) => Self::local(&self.peerings[v], *p, 'p'),
            Target::Peering(other) => format!("peer:{}", link_kind(other)),
            Target::Gateway { kind, link, .. } => {
                let g = match link {
                    Link::To(g) => Self::local(&self.gateways[v], *g, 'g'),
                    other => link_kind(other),
                };
                format!("{kind:?}:{g}")
            }
        }
    }

    /// What route tables, transit gateway route tables and network ACLs
    /// outside each VPC say of its addresses or point at in it.
    fn collect_facts(&mut self) {
        let m = self.m;
        let mut facts: Vec<(usize, String)> = Vec::new();
        for (t, table) in m.route_tables.iter().enumerate() {
            let owner = table.vpc.index();
            for r in &table.routes {
                let mut told: Vec<usize> = Vec::new();
                if let Dest::Cidr(p) = &r.dest {
                    told.extend(self.inside(p));
                }
                match &r.target {
                    Target::Peering(Link::To(p)) => {
                        let pe = &m.peerings[*p];
                        told.extend(pe.requester.index());
                        told.extend(pe.accepter.index());
                    }
                    Target::Gateway {
                        link: Link::To(g), ..
                    } => told.extend(gateway_vpc(m, *g)),
                    _ => {}
                }
                told.sort_unstable();
                told.dedup();
                for w in told.into_iter().filter(|&w| Some(w) != owner) {
                    let f = format!(
                        "rt{t}|{}|{}|{:?}",
                        self.dest(w, &r.dest),
                        self.target(w, &r.target),
                        r.origin
                    );
                    facts.push((w, f));
                }
            }
        }
        for (t, table) in m.tgw_route_tables.iter().enumerate() {
            for r in &table.routes {
                let mut told: Vec<usize> = Vec::new();
                if let Dest::Cidr(p) = &r.dest {
                    told.extend(self.inside(p));
                }
                if let TgwTarget::Attachment(a) = r.target {
                    told.extend(m.tgw_attachments[a].vpc.index());
                }
                told.sort_unstable();
                told.dedup();
                for w in told {
                    let target = match &r.target {
                        TgwTarget::Attachment(a) => Self::local(&m.vpcs[w].attachments, *a, 't'),
                        TgwTarget::Blackhole => "blackhole".into(),
                        TgwTarget::Unknown(_) => "?".into(),
                    };
                    let f = format!("tgw{t}|{}|{target}|{}", self.dest(w, &r.dest), r.propagated);
                    facts.push((w, f));
                }
            }
        }
        for (a, acl) in m.network_acls.iter().enumerate() {
            let owner = acl.vpc.index();
            for (dir, rules) in [("in", &acl.ingress), ("out", &acl.egress)] {
                for rule in rules {
                    let Some(p) = &rule.cidr else { continue };
                    let Some(w) = self.inside(p).filter(|&w| Some(w) != owner) else {
                        continue;
                    };
                    let f = format!(
                        "acl{a}|{dir}|{}|{}|{}|{:?}|{}",
                        rule.number,
                        rule.allow,
                        self.rel(w, p),
                        rule.flows,
                        rule.unknown.is_some()
                    );
                    facts.push((w, f));
                }
            }
        }
        for (w, f) in facts {
            self.facts[w].push(f);
        }
        for f in &mut self.facts {
            f.sort_unstable();
        }
    }

    /// For each VPC, every prefix of the model that strictly holds one of
    /// its blocks.
    fn collect_containing(&mut self) {
        let m = self.m;
        let mut all: Vec<Prefix> = m.decision_prefixes();
        for s in &m.subnets {
            all.extend(s.cidrs.all().copied());
        }
        for net in &m.on_prem {
            all.extend(net.ranges.iter().map(|r| r.prefix));
            all.extend(net.named.iter().copied());
            if let Some(Ok(ps)) = &net.allowed_prefixes {
                all.extend(ps.iter().copied());
            }
        }
        for e in &m.endpoints {
            all.extend(e.service_cidrs.iter().copied());
        }
        all.sort();
        all.dedup();
        for p in all {
            let lo = self
                .sorted
                .partition_point(|(b, _)| (fam(b.family), b.start) < (fam(p.family), p.start));
            for &(b, v) in &self.sorted[lo..] {
                if b.family != p.family || b.start > p.end() {
                    break;
                }
                if p.contains(&b) && p != b {
                    self.containing[v].push(p);
                }
            }
        }
    }

    /// Everything about VPC `v` that a swap with another must preserve,
    /// as text; `None` when `v` holds something the signature does not
    /// describe.
    fn signature(&self, v: usize) -> Option<String> {
        let m = self.m;
        let vpc = &m.vpcs[v];
        let subnets = &vpc.subnets;
        let tables = &self.tables[v];
        let acls = &self.acls[v];
        let gateways = &self.gateways[v];
        let mut s = String::new();
        let told = |t: &crate::model::place::Told| match t {
            crate::model::place::Told::Known { value, .. } => value.clone(),
            crate::model::place::Told::Unknown(_) => "?".into(),
        };
        let lens: Vec<u8> = vpc.cidrs.all().map(|p| p.len).collect();
        let main = match &vpc.main_route_table {
            Link::To(t) => Self::local(tables, *t, 't'),
            other => link_kind(other),
        };
        let _ = writeln!(
            s,
            "vpc {lens:?} {} {} main {main}",
            told(&vpc.region),
            told(&vpc.account)
        );
        for &i in subnets {
            let sub = &m.subnets[i];
            let blocks: Vec<String> = sub.cidrs.all().map(|p| self.rel(v, p)).collect();
            let rt = match &sub.route_table {
                Link::To(t) => Self::local(tables, *t, 't'),
                other => link_kind(other),
            };
            let acl = match &sub.network_acl {
                Link::To(a) => Self::local(acls, *a, 'a'),
                other => link_kind(other),
            };
            let atts: Vec<String> = Self::locals(&vpc.attachments, &sub.attachments, 't');
            let devices: Vec<String> = Self::locals(gateways, &sub.devices, 'g');
            let _ = writeln!(
                s,
                "subnet {blocks:?} {:?} {:?} {rt} {} {acl} {atts:?} {devices:?} {:?} {:?}",
                sub.availability_zone,
                sub.availability_zone_id,
                sub.explicit_association,
                sub.public_ipv4.on_launch,
                sub.assigns_ipv6
            );
        }
        for &t in tables {
            let table = &m.route_tables[t];
            let _ = writeln!(s, "table");
            for r in &table.routes {
                let _ = writeln!(
                    s,
                    " {} {} {:?}",
                    self.dest(v, &r.dest),
                    self.target(v, &r.target),
                    r.origin
                );
            }
        }
        for &a in acls {
            let acl = &m.network_acls[a];
            if acl.rules_unknown.is_some() {
                return None;
            }
            let _ = writeln!(s, "acl {}", acl.default);
            for (dir, rules) in [("in", &acl.ingress), ("out", &acl.egress)] {
                for rule in rules {
                    let cidr = rule.cidr.map(|p| self.rel(v, &p));
                    let _ = writeln!(
                        s,
                        " {dir} {} {} {cidr:?} {:?} {}",
                        rule.number,
                        rule.allow,
                        rule.flows,
                        rule.unknown.is_some()
                    );
                }
            }
        }
        for &g in gateways {
            let gw = &m.gateways[g];
            let sub = match &gw.subnet {
                Link::To(x) => Self::local(subnets, *x, 's'),
                other => link_kind(other),
            };
            let ip = gw.private_ip.map(|ip| {
                self.rel(
                    v,
                    &Prefix {
                        family: Family::V4,
                        start: ip,
                        len: 32,
                    },
                )
            });
            let _ = writeln!(
                s,
                "gateway {:?} {sub} {} {ip:?} {:?}",
                gw.kind, gw.private, gw.transit_gateway
            );
            if let Some(e) = gw.endpoint {
                if !self.endpoints[v].contains(&e) {
                    return None;
                }
                let _ = writeln!(s, " endpoint {}", Self::local(&self.endpoints[v], e, 'e'));
            }
        }
        for &e in &self.endpoints[v] {
            let ep = &m.endpoints[e];
            let rts: Vec<String> = Self::locals(tables, &ep.route_tables, 't');
            let subs: Vec<String> = Self::locals(subnets, &ep.subnets, 's');
            let _ = writeln!(
                s,
                "endpoint {:?} {:?} {:?} {rts:?} {subs:?} {} {:?} {:?} {} {}",
                ep.kind,
                ep.service,
                ep.endpoint_service,
                ep.security_groups.len(),
                ep.prefix_list,
                ep.service_cidrs,
                variant(&ep.state),
                ep.private_dns
            );
        }
        for &a in &vpc.attachments {
            let att = &m.tgw_attachments[a];
            let subs: Vec<String> = Self::locals(subnets, &att.subnets, 's');
            let assoc: Vec<String> = att
                .associations
                .iter()
                .map(|(t, l)| format!("{t}:{}", link_kind(l)))
                .collect();
            let _ = writeln!(
                s,
                "attachment {:?} {} {} {subs:?} {} {} {} {} {} {assoc:?}",
                att.kind,
                link_kind(&att.tgw),
                link_kind(&att.peer_tgw),
                att.ipv6,
                att.appliance_mode,
                att.appliance_mode_unknown,
                att.sg_referencing,
                variant(&att.state)
            );
        }
        for &p in &self.peerings[v] {
            let pe = &m.peerings[p];
            let (role, other) = if pe.requester == Link::To(v) {
                ("requester", &pe.accepter)
            } else {
                ("accepter", &pe.requester)
            };
            if other == &Link::To(v) {
                return None;
            }
            let _ = writeln!(
                s,
                "peering {role} {} {} {}",
                link_kind(other),
                variant(&pe.state),
                pe.accepter_resource.is_some()
            );
        }
        for f in &self.facts[v] {
            let _ = writeln!(s, "fact {f}");
        }
        for p in &self.containing[v] {
            let _ = writeln!(s, "within {p}");
        }
        Some(s)
    }
}

/// The VPC a gateway belongs to: its own link, else its subnet's.
fn gateway_vpc(m: &Model, g: usize) -> Option<usize> {
    let gw = &m.gateways[g];
    gw.vpc
        .index()
        .or_else(|| gw.subnet.index().and_then(|s| m.subnets[s].vpc.index()))
}

/// A link as a signature shows it: an index into the model (which a swap
/// keeps, for objects outside the VPC), an ID, or the kind of a link that
/// does not point into the model (its reason names resources, which no
/// walk outcome reads).
fn link_kind(l: &Link) -> String {
    match l {
        Link::To(i) => format!("#{i}"),
        Link::External(id) => format!("ext:{id}"),
        Link::None => "none".into(),
        Link::Unresolved(_) => "?".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_inside_a_block_are_counted_from_its_start() {
        let mut m = Model::default();
        for cidr in ["10.1.0.0/16", "10.2.0.0/16"] {
            m.vpcs.push(crate::model::Vpc {
                address: format!("aws_vpc.{}", m.vpcs.len()),
                aws_id: None,
                cidrs: crate::model::Cidrs {
                    v4: vec![cidr.parse().unwrap()],
                    v6: Vec::new(),
                    unknown: None,
                },
                region: crate::model::place::Told::Unknown(String::new()),
                account: crate::model::place::Told::Unknown(String::new()),
                main_route_table: Link::None,
                subnets: Vec::new(),
                attachments: Vec::new(),
            });
        }
        let mut s = Survey::new(&m);
        s.check_blocks();
        let inner: Prefix = "10.2.3.0/24".parse().unwrap();
        assert_eq!(s.rel(1, &inner), "R0+768/24");
        assert_eq!(s.rel(0, &inner), "A10.2.3.0/24");
        assert_eq!(s.inside(&inner), Some(1));
        assert_eq!(alike_vpcs(&m), vec![vec![0, 1]]);
    }
}
