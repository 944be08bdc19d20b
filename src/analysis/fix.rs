//! Fix hints: for one ordered pair that is not `reachable`, the smallest
//! sets of changes to the configuration that make it reachable.
//!
//! Candidates come from what the failing walks say (their reason codes and
//! the resources they name): a route into a peering connection or transit
//! gateway both VPCs already use, the acceptance of a pending peering, an
//! allow rule in a network ACL, and, for traffic that relies on transitive
//! peering, a direct peering. Each set of candidates is applied to a copy of
//! the model and the pair is evaluated again; only the sets that make it
//! `reachable` are kept, fewest resources first, with the other pairs of
//! the VPCs involved whose verdicts the change alters. Nothing here is
//! offered that AWS refuses: no route inside the table's own VPC blocks, no
//! second route for a destination a table already routes (the existing one
//! is changed instead), no peering between VPCs whose blocks overlap.

use serde::Serialize;

use crate::codes;
use crate::model::flow::{protocol_name, ICMP, ICMPV6, TCP, UDP};
use crate::model::tgw::RouteIndex;
use crate::model::{
    AclRule, AttachmentKind, Dest, Direction, Flow, FlowSet, GatewayKind, Link, Model, Origin,
    Peering, PeeringState, Route, SgRule, Target, TgwRoute, TgwTarget, Verdict,
};
use crate::net::{Family, Prefix};

use super::acl::evaluate;
use super::internet;
use super::onprem;
use super::pair::{evaluate_pair_flow, PairEval};
use super::security_group::{reference_scope, Side};
use super::walk::{Detail, Leg, Outcome};
use super::workloads;
use crate::model::onprem::Via as OnPremVia;
use crate::model::security_group::{SgOrigin, CLUSTER_GROUP_SUFFIX, REMOTE_ACCESS_GROUP_SUFFIX};

/// One way to make a pair reachable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fix {
    /// How many resources it adds or changes.
    pub cost: usize,
    /// One line: what the fix does.
    pub summary: String,
    /// The changes, each one resource added or changed.
    pub changes: Vec<Change>,
    /// Other pairs of the VPCs involved whose verdict the fix changes.
    pub alters: Vec<Altered>,
    /// What the check of other pairs left out, when it had to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One resource to add, or one attribute of an existing resource to change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// `add_route`, `change_route_target`, `accept_peering`,
    /// `change_peering`, `add_peering`, `add_network_acl_rule`,
    /// `associate_route_table`, `associate_tgw_route_table`,
    /// `add_tgw_propagation` or `add_tgw_route`.
    pub kind: &'static str,
    /// What to do, in words, naming the resource it goes in or changes.
    pub description: String,
    /// The module the change goes in (`module.net`, or `` for the root
    /// module); with instance keys, the module's source serves them all.
    pub module: String,
    /// With several documents read as one estate: the label of the one
    /// whose configuration the change goes in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
    /// The existing resource the change goes in (an attribute or nested
    /// block) or is written beside (a new resource): the route table, the
    /// route, the peering, the network ACL, the VPC.
    pub resource: String,
    /// Where `resource` is declared, when the configuration was given
    /// (`check --config-dir`): the file the change goes in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placed: Option<Placement>,
    /// How the HCL goes into the file of `resource`.
    #[serde(skip)]
    pub insert: Insert,
    /// HCL to paste: a resource block, a nested block or an attribute.
    pub hcl: String,
}

/// How a change's HCL goes into the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Insert {
    /// A new top-level block, written before the resource's block.
    Before,
    /// A nested block, written inside the resource's block.
    Inside,
    /// It replaces what the resource holds: an attribute to change.
    Replace,
}

/// A `.tf` file and the line of the resource a change goes in or beside.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Placement {
    pub file: String,
    pub line: usize,
}

/// A pair whose verdict the fix changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Altered {
    pub from: String,
    pub to: String,
    pub before: Verdict,
    pub after: Verdict,
}

/// How a new or changed route leaves its VPC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Via {
    /// A peering connection (index, possibly one a fix adds).
    Peering(usize),
    /// A transit gateway: its index in `Model::gateways`.
    Tgw(usize),
    /// An internet, NAT or egress-only gateway (index in
    /// `Model::gateways`).
    Gateway(usize),
}

/// One change to the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Edit {
    /// A new route in a route table.
    AddRoute {
        table: usize,
        dest: Prefix,
        via: Via,
    },
    /// An existing static route (by position) pointed elsewhere.
    SetTarget {
        table: usize,
        route: usize,
        via: Via,
    },
    /// A pending peering accepted.
    Accept { peering: usize },
    /// A new peering between two VPCs, accepted (index: the model's count
    /// of peerings before any fix).
    Peer { a: usize, b: usize },
    /// An allow rule in a network ACL.
    AclAllow {
        acl: usize,
        egress: bool,
        number: u32,
        cidr: Prefix,
        rule: AclFlows,
        /// The rule lets the replies through (the return walk).
        reply: bool,
    },
    /// A transit gateway attachment, associated with no route table of
    /// transit gateway `tgw`, associated with `table`.
    TgwAssociate {
        attachment: usize,
        tgw: usize,
        table: usize,
    },
    /// A VPC attachment's blocks propagated into a transit gateway route
    /// table.
    TgwPropagate { table: usize, attachment: usize },
    /// A static route in a transit gateway route table.
    TgwStatic {
        table: usize,
        dest: Prefix,
        attachment: usize,
    },
    /// A subnet on its VPC's main route table associated with another
    /// table of the VPC.
    Associate { subnet: usize, table: usize },
}

/// What an added ACL rule lets through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum AclFlows {
    /// Every protocol.
    All,
    /// One TCP or UDP port range.
    Ports(u8, u16, u16),
    /// Every message of one protocol (ICMP).
    Protocol(u8),
}

impl AclFlows {
    /// The rule's protocol as Terraform writes it (`-1` for all), and its
    /// port range (0-0 where ports do not apply).
    fn protocol_and_ports(self) -> (String, u16, u16) {
        match self {
            AclFlows::All => ("-1".to_string(), 0, 0),
            AclFlows::Ports(p, lo, hi) => (protocol_name(p), lo, hi),
            AclFlows::Protocol(p) => (protocol_name(p), 0, 0),
        }
    }

    /// The traffic in words: `all traffic`, `tcp 5432`, `tcp 1024-65535`.
    fn words(self) -> String {
        match self {
            AclFlows::All => "all traffic".to_string(),
            AclFlows::Ports(p, lo, hi) if lo == hi => format!("{} {lo}", protocol_name(p)),
            AclFlows::Ports(p, lo, hi) => format!("{} {lo}-{hi}", protocol_name(p)),
            AclFlows::Protocol(p) => protocol_name(p),
        }
    }

    fn flows(self) -> FlowSet {
        match self {
            AclFlows::All => FlowSet::all(),
            AclFlows::Ports(p, lo, hi) => FlowSet::ports(p, lo, hi),
            AclFlows::Protocol(p) => FlowSet::protocol(p),
        }
    }
}

/// What undoes one applied edit.
enum Undo {
    PopRoute(usize),
    Target(usize, usize, Target),
    State(usize, PeeringState),
    PopPeering,
    AclRule(usize, bool, usize),
    /// An attachment's association at a position: the link it had, or
    /// none (the entry was added).
    TgwAssociation(usize, usize, Option<Link>),
    /// A transit gateway route table's routes cut back to a length.
    TgwRoutes(usize, usize),
    /// A subnet's route table and whether it was explicit.
    SubnetTable(usize, Link, bool),
}

/// The most sets of changes one pair's search evaluates.
const MAX_EVALUATIONS: usize = 2000;
/// The most changes in one fix.
const MAX_DEPTH: usize = 3;
/// The most fixes offered for one pair.
const MAX_FIXES: usize = 6;
/// The most other pairs a fix's side effects are checked on.
const MAX_SIDE_PAIRS: usize = 4000;

/// The fixes of many pairs, computed in parallel, in the order of
/// `pairs`: from a subnet to a subnet ([`fixes`]), or to the internet
/// (`None`, [`internet_fixes`]).
pub fn fixes_of_pairs(
    model: &Model,
    pairs: &[(usize, Option<usize>)],
    flow: Option<&Flow>,
) -> Vec<Vec<Fix>> {
    use rayon::prelude::*;
    let gathered = pairs
        .iter()
        .any(|p| p.1.is_none())
        .then(|| internet::Gathered::of(model));
    // One working copy of the model per piece of parallel work, made when
    // a pair first needs it: every search undoes its edits.
    pairs
        .par_iter()
        .map_init(
            || None,
            |work, &(s, d)| match (d, gathered.as_ref()) {
                (Some(d), _) => search_fixes(model, work, s, d, flow, Toward::Subnet),
                (None, Some(g)) => {
                    search_fixes(model, work, s, NO_SUBNET, flow, Toward::Internet(g))
                }
                (None, None) => Vec::new(),
            },
        )
        .collect()
}

/// The fixes that make the ordered pair `s` -> `d` (model indices) reachable
/// for `flow` (`None`: any traffic), fewest resources first; empty when the
/// pair is reachable already or nothing tfreach can propose helps.
pub fn fixes(model: &Model, s: usize, d: usize, flow: Option<&Flow>) -> Vec<Fix> {
    search_fixes(model, &mut None, s, d, flow, Toward::Subnet)
}

/// The fixes that let subnet `s` open connections to the internet and get
/// the replies (the pair `s` -> `internet`): a default route to the VPC's
/// internet gateway, NAT gateway or egress-only gateway.
pub fn internet_fixes(model: &Model, s: usize, flow: Option<&Flow>) -> Vec<Fix> {
    fixes_of_pairs(model, &[(s, None)], flow).remove(0)
}

/// The destination index of a search towards an endpoint beyond the
/// subnets.
const NO_SUBNET: usize = usize::MAX;

/// What a search makes reachable from its source subnet.
#[derive(Clone, Copy)]
enum Toward<'a> {
    /// The subnet `d` of the search.
    Subnet,
    /// The internet (a connection out and its replies).
    Internet(&'a internet::Gathered),
    /// An on-premises network (index into `Model::on_prem`).
    OnPrem(usize),
}

/// The fixes that let subnet `s` reach on-premises network `n` (an index
/// into `Model::on_prem`): routes for the network's ranges in the subnet's
/// route table to the virtual private gateway of its VPC or the transit
/// gateway the network is attached to.
pub fn onprem_fixes(model: &Model, s: usize, n: usize, flow: Option<&Flow>) -> Vec<Fix> {
    search_fixes(model, &mut None, s, NO_SUBNET, flow, Toward::OnPrem(n))
}

/// The search behind [`fixes`] and [`internet_fixes`]: towards subnet `d`,
/// or towards the internet when `internet` is given. `work` is a copy of
/// `model` (made here when there is none yet), left as it was found.
fn search_fixes(
    model: &Model,
    work: &mut Option<Model>,
    s: usize,
    d: usize,
    flow: Option<&Flow>,
    toward: Toward,
) -> Vec<Fix> {
    let base = eval_in(model, s, d, flow, toward, Detail::Reasons);
    if base.verdict == Verdict::Reachable {
        return Vec::new();
    }
    let mut search = Search {
        work: work.get_or_insert_with(|| model.clone()),
        base_peerings: model.peerings.len(),
        s,
        d,
        flow,
        toward,
        evaluations: 0,
    };
    let base_peerings = model.peerings.len();
    let mut found: Vec<Vec<Edit>> = search
        .run(base)
        .into_iter()
        .filter(|set| !mixed(set, base_peerings))
        .collect();
    // Fewest changes first; then routes for whole VPC blocks before routes
    // for one subnet's block (which leave the rest of the VPC as it was).
    found.sort_by_key(|set| (set.len(), narrow_routes(model, set)));
    let mut shapes: Vec<Vec<Shape>> = Vec::new();
    let mut out: Vec<Fix> = Vec::new();
    for set in found {
        // One fix per shape (the same kinds of change to the same
        // resources): the others differ only in how wide a route is.
        let shape = shape_of(&set);
        if shapes.contains(&shape) {
            continue;
        }
        shapes.push(shape);
        out.push(describe(model, &mut search, &set));
        if out.len() == MAX_FIXES {
            break;
        }
    }
    out.sort_by(|a, b| {
        a.cost
            .cmp(&b.cost)
            .then(a.alters.len().cmp(&b.alters.len()))
    });
    out
}

/// What a change does, without the width of a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Shape {
    Route(usize, Via),
    Accept(usize),
    Peer(usize, usize),
    Acl(usize, bool),
    TgwAssociate(usize, usize),
    TgwPropagate(usize, usize),
    TgwStatic(usize, usize),
    Associate(usize, usize),
}

fn shape_of(set: &[Edit]) -> Vec<Shape> {
    let mut out: Vec<Shape> = set
        .iter()
        .map(|e| match *e {
            Edit::AddRoute { table, via, .. } | Edit::SetTarget { table, via, .. } => {
                Shape::Route(table, via)
            }
            Edit::Accept { peering } => Shape::Accept(peering),
            Edit::Peer { a, b } => Shape::Peer(a, b),
            Edit::AclAllow { acl, egress, .. } => Shape::Acl(acl, egress),
            Edit::TgwAssociate {
                attachment, table, ..
            } => Shape::TgwAssociate(attachment, table),
            Edit::TgwPropagate { table, attachment } => Shape::TgwPropagate(table, attachment),
            Edit::TgwStatic {
                table, attachment, ..
            } => Shape::TgwStatic(table, attachment),
            Edit::Associate { subnet, table } => Shape::Associate(subnet, table),
        })
        .collect();
    out.sort();
    out
}

/// A new peering is worth its cost only when every route the fix writes
/// uses it: one that mixes it with another way is not offered.
fn mixed(set: &[Edit], base_peerings: usize) -> bool {
    set.iter().any(|e| matches!(e, Edit::Peer { .. }))
        && set.iter().any(|e| match e {
            Edit::AddRoute { via, .. } | Edit::SetTarget { via, .. } => {
                *via != Via::Peering(base_peerings)
            }
            _ => false,
        })
}

/// How many new routes are for less than the destination VPC's block.
fn narrow_routes(m: &Model, set: &[Edit]) -> usize {
    set.iter()
        .filter(|e| match e {
            Edit::AddRoute { dest, .. } => !m.vpcs.iter().any(|v| v.cidrs.all().any(|b| b == dest)),
            _ => false,
        })
        .count()
}

/// The verdict of `s` towards subnet `d`, or towards the internet.
fn eval_in(
    m: &Model,
    s: usize,
    d: usize,
    flow: Option<&Flow>,
    toward: Toward,
    detail: Detail,
) -> PairEval {
    match toward {
        Toward::Internet(g) => internet::egress(m, s, g, flow, detail).0,
        Toward::OnPrem(n) => onprem::to_onprem(m, s, n, flow, detail).0,
        Toward::Subnet => evaluate_pair_flow(m, s, d, detail, flow),
    }
}

struct Search<'f> {
    /// A copy of the model, which edits are applied to and undone from.
    work: &'f mut Model,
    base_peerings: usize,
    s: usize,
    d: usize,
    flow: Option<&'f Flow>,
    /// What the search makes reachable (`d` is [`NO_SUBNET`] but towards
    /// a subnet).
    toward: Toward<'f>,
    evaluations: usize,
}

impl Search<'_> {
    /// Breadth first over sets of edits: every set that makes the pair
    /// reachable, with no smaller such set inside it.
    fn run(&mut self, base: PairEval) -> Vec<Vec<Edit>> {
        let mut found: Vec<Vec<Edit>> = Vec::new();
        let mut frontier: Vec<(Vec<Edit>, Vec<Edit>)> = vec![(Vec::new(), self.candidates(&base))];
        for _depth in 0..MAX_DEPTH {
            let mut next: Vec<(Vec<Edit>, Vec<Edit>)> = Vec::new();
            let mut seen: Vec<Vec<Edit>> = Vec::new();
            for (set, cands) in &frontier {
                for c in cands {
                    if set.contains(c) {
                        continue;
                    }
                    let mut grown = set.clone();
                    grown.push(*c);
                    let mut key = grown.clone();
                    key.sort();
                    if seen.contains(&key)
                        || found.iter().any(|f| f.iter().all(|e| key.contains(e)))
                    {
                        continue;
                    }
                    seen.push(key);
                    if self.evaluations >= MAX_EVALUATIONS {
                        return found;
                    }
                    let e = self.evaluate(&grown);
                    if e.verdict == Verdict::Reachable {
                        found.push(grown);
                    } else {
                        let (base, toward) = (self.base_peerings, self.toward);
                        let more = self.with(&grown, |m, s, d, flow| {
                            candidates_toward(m, s, d, flow, &e, base, toward)
                        });
                        next.push((grown, more));
                    }
                }
            }
            frontier = next;
        }
        found
    }

    fn candidates(&mut self, e: &PairEval) -> Vec<Edit> {
        candidates_toward(
            self.work,
            self.s,
            self.d,
            self.flow,
            e,
            self.base_peerings,
            self.toward,
        )
    }

    /// Applies `set`, runs `f` on the changed model, and undoes the set.
    fn with<T>(
        &mut self,
        set: &[Edit],
        f: impl FnOnce(&Model, usize, usize, Option<&Flow>) -> T,
    ) -> T {
        let undo: Vec<Undo> = set
            .iter()
            .map(|e| apply(self.work, e, self.base_peerings))
            .collect();
        let out = f(self.work, self.s, self.d, self.flow);
        for u in undo.into_iter().rev() {
            revert(self.work, u);
        }
        out
    }

    fn evaluate(&mut self, set: &[Edit]) -> PairEval {
        self.evaluations += 1;
        let toward = self.toward;
        self.with(set, |m, s, d, flow| {
            eval_in(m, s, d, flow, toward, Detail::Reasons)
        })
    }
}

/// The resource of a route a fix adds, in the working model.
const NEW_ROUTE: &str = "(new route)";

/// Marks, in the working model, the address of a peering a fix adds.
const NEW_PEERING_MARK: &str = "(new) ";

fn apply(m: &mut Model, e: &Edit, base_peerings: usize) -> Undo {
    match *e {
        Edit::AddRoute { table, dest, via } => {
            let target = target(m, via);
            m.route_tables[table].routes.push(Route {
                resource: NEW_ROUTE.into(),
                dest: Dest::Cidr(dest),
                target,
                origin: Origin::Static,
            });
            m.route_tables[table].reindex();
            Undo::PopRoute(table)
        }
        Edit::SetTarget { table, route, via } => {
            let target = target(m, via);
            let old = std::mem::replace(&mut m.route_tables[table].routes[route].target, target);
            m.route_tables[table].reindex();
            Undo::Target(table, route, old)
        }
        Edit::Accept { peering } => {
            let old = std::mem::replace(&mut m.peerings[peering].state, PeeringState::Active);
            Undo::State(peering, old)
        }
        Edit::Peer { a, b } => {
            debug_assert_eq!(m.peerings.len(), base_peerings);
            m.peerings.push(Peering {
                address: format!(
                    "{NEW_PEERING_MARK}{} <-> {}",
                    m.vpcs[a].address, m.vpcs[b].address
                ),
                aws_id: None,
                requester: Link::To(a),
                accepter: Link::To(b),
                state: PeeringState::Active,
                accepter_resource: None,
            });
            Undo::PopPeering
        }
        Edit::AclAllow {
            acl,
            egress,
            number,
            cidr,
            rule,
            reply: _,
        } => {
            let a = &mut m.network_acls[acl];
            let list = if egress {
                &mut a.egress
            } else {
                &mut a.ingress
            };
            let at = list.partition_point(|r| r.number < number);
            list.insert(
                at,
                AclRule {
                    number,
                    allow: true,
                    cidr: Some(cidr),
                    flows: rule.flows(),
                    unknown: None,
                    resource: "(new rule)".into(),
                },
            );
            Undo::AclRule(acl, egress, at)
        }
        Edit::TgwAssociate {
            attachment,
            tgw,
            table,
        } => {
            let list = &mut m.tgw_attachments[attachment].associations;
            match list.iter().position(|(g, _)| *g == tgw) {
                Some(i) => {
                    let old = std::mem::replace(&mut list[i].1, Link::To(table));
                    Undo::TgwAssociation(attachment, i, Some(old))
                }
                None => {
                    list.push((tgw, Link::To(table)));
                    Undo::TgwAssociation(attachment, list.len() - 1, None)
                }
            }
        }
        Edit::TgwPropagate { table, attachment } => {
            let before = m.tgw_route_tables[table].routes.len();
            let att = &m.tgw_attachments[attachment];
            let blocks: Vec<Prefix> = match att.vpc {
                Link::To(v) => m.vpcs[v]
                    .cidrs
                    .all()
                    .filter(|b| att.ipv6 || b.family == Family::V4)
                    .copied()
                    .collect(),
                _ => Vec::new(),
            };
            let t = &mut m.tgw_route_tables[table];
            for b in blocks {
                t.routes.push(TgwRoute {
                    resource: NEW_ROUTE.into(),
                    dest: Dest::Cidr(b),
                    target: TgwTarget::Attachment(attachment),
                    propagated: true,
                });
            }
            t.index = RouteIndex::build(&t.routes);
            Undo::TgwRoutes(table, before)
        }
        Edit::TgwStatic {
            table,
            dest,
            attachment,
        } => {
            let t = &mut m.tgw_route_tables[table];
            let before = t.routes.len();
            t.routes.push(TgwRoute {
                resource: NEW_ROUTE.into(),
                dest: Dest::Cidr(dest),
                target: TgwTarget::Attachment(attachment),
                propagated: false,
            });
            t.index = RouteIndex::build(&t.routes);
            Undo::TgwRoutes(table, before)
        }
        Edit::Associate { subnet, table } => {
            let sn = &mut m.subnets[subnet];
            let old = std::mem::replace(&mut sn.route_table, Link::To(table));
            let explicit = std::mem::replace(&mut sn.explicit_association, true);
            Undo::SubnetTable(subnet, old, explicit)
        }
    }
}

fn revert(m: &mut Model, u: Undo) {
    match u {
        Undo::PopRoute(t) => {
            m.route_tables[t].routes.pop();
            m.route_tables[t].reindex();
        }
        Undo::Target(t, r, old) => {
            m.route_tables[t].routes[r].target = old;
            m.route_tables[t].reindex();
        }
        Undo::State(p, old) => m.peerings[p].state = old,
        Undo::PopPeering => {
            m.peerings.pop();
        }
        Undo::AclRule(a, egress, at) => {
            let acl = &mut m.network_acls[a];
            if egress {
                acl.egress.remove(at);
            } else {
                acl.ingress.remove(at);
            }
        }
        Undo::TgwAssociation(a, i, old) => {
            let list = &mut m.tgw_attachments[a].associations;
            match old {
                Some(link) => list[i].1 = link,
                None => {
                    list.remove(i);
                }
            }
        }
        Undo::TgwRoutes(t, len) => {
            let t = &mut m.tgw_route_tables[t];
            t.routes.truncate(len);
            t.index = RouteIndex::build(&t.routes);
        }
        Undo::SubnetTable(s, link, explicit) => {
            let sn = &mut m.subnets[s];
            sn.route_table = link;
            sn.explicit_association = explicit;
        }
    }
}

fn target(m: &Model, via: Via) -> Target {
    match via {
        Via::Gateway(g) => Target::Gateway {
            kind: m.gateways[g].kind,
            link: Link::To(g),
            label: m.gateways[g].address.clone(),
        },
        Via::Peering(p) => Target::Peering(Link::To(p)),
        Via::Tgw(g) => Target::Gateway {
            kind: GatewayKind::TransitGateway,
            link: Link::To(g),
            label: m.gateways[g].address.clone(),
        },
    }
}

/// True when any block of `a` overlaps any block of `b`.
fn vpcs_overlap(m: &Model, a: usize, b: usize) -> bool {
    m.vpcs[a]
        .cidrs
        .all()
        .any(|x| m.vpcs[b].cidrs.all().any(|y| x.overlaps(y)))
}

/// The candidate edits the failing walks of `e` suggest, in the model as
/// it stands.
fn candidates_in(
    m: &Model,
    s: usize,
    d: usize,
    flow: Option<&Flow>,
    e: &PairEval,
    base_peerings: usize,
) -> Vec<Edit> {
    let mut out: Vec<Edit> = Vec::new();
    for c in &e.cells {
        let carried = c.round_trip.as_ref().is_none_or(|r| !r.is_empty());
        if c.forward.outcome == Outcome::Delivered && c.ret.outcome == Outcome::Delivered && carried
        {
            continue;
        }
        for (dir, leg) in [
            (Direction::Forward, &c.forward),
            (Direction::Return, &c.ret),
        ] {
            if leg.outcome == Outcome::Delivered && carried {
                continue;
            }
            let (from, to) = match dir {
                Direction::Forward => (s, d),
                Direction::Return => (d, s),
            };
            routes(m, from, to, c.family, leg, &mut out);
            associations(m, from, to, c.family, leg, &mut out);
            transit(m, to, c.family, leg, &mut out);
            peerings(m, from, to, leg, base_peerings, &mut out);
            acls(m, from, to, c.family, dir, flow, &mut out);
        }
    }
    let mut uniq = Vec::new();
    for x in out {
        if !uniq.contains(&x) {
            uniq.push(x);
        }
    }
    uniq
}

/// Routes from the table of `from` (and any table a reason says has no
/// route) towards the VPC of `to`, into a peering connection between the two
/// VPCs or a transit gateway both are attached to.
fn routes(m: &Model, from: usize, to: usize, family: Family, leg: &Leg, out: &mut Vec<Edit>) {
    let Some(vd) = m.subnet_vpc(to) else { return };
    let Some(sub) = m.subnets[to].cidr(family) else {
        return;
    };
    let mut tables: Vec<usize> = m.subnets[from].route_table.index().into_iter().collect();
    for r in &leg.reasons {
        if r.code != codes::NO_ROUTE_TO_DESTINATION {
            continue;
        }
        if let Some(t) = m
            .route_tables
            .iter()
            .position(|t| Some(t.address.as_str()) == r.resource.as_deref())
        {
            if !tables.contains(&t) {
                tables.push(t);
            }
        }
    }
    let block = m.vpcs[vd]
        .cidrs
        .of(family)
        .iter()
        .find(|b| b.contains(&sub))
        .copied();
    for t in tables {
        let Some(vt) = m.route_tables[t].vpc.index() else {
            continue;
        };
        if vt == vd {
            continue;
        }
        let mut vias = Vec::new();
        for (i, p) in m.peerings.iter().enumerate() {
            if p.other_side(vt) == Some(&Link::To(vd)) && !vpcs_overlap(m, vt, vd) {
                vias.push(Via::Peering(i));
            }
        }
        for &a in &m.vpcs[vt].attachments {
            let Link::To(tgw) = m.tgw_attachments[a].tgw else {
                continue;
            };
            let shared = m.vpcs[vd]
                .attachments
                .iter()
                .any(|&b| m.tgw_attachments[b].tgw == Link::To(tgw));
            if !shared {
                continue;
            }
            if let Some(g) = m
                .gateways
                .iter()
                .position(|g| g.transit_gateway == Some(tgw))
            {
                if !vias.contains(&Via::Tgw(g)) {
                    vias.push(Via::Tgw(g));
                }
            }
        }
        if vias.is_empty() {
            continue;
        }
        let own = m.vpcs[vt].cidrs.of(family);
        // AWS refuses a route inside the VPC's own blocks (unless to a
        // middlebox, which these are not).
        let allowed = |p: &Prefix| !own.iter().any(|b| b.contains(p));
        let table = &m.route_tables[t];
        let existing = |p: &Prefix| table.routes.iter().position(|r| r.dest == Dest::Cidr(*p));
        let mut dests: Vec<Prefix> = block.into_iter().filter(|b| allowed(b)).collect();
        // The VPC's block is routed elsewhere already: the subnet's own
        // block, more specific, leaves the other addresses as they are.
        if dests.iter().any(|b| existing(b).is_some()) && allowed(&sub) && Some(sub) != block {
            dests.push(sub);
        }
        for dest in dests {
            for &via in &vias {
                match existing(&dest) {
                    None => out.push(Edit::AddRoute {
                        table: t,
                        dest,
                        via,
                    }),
                    Some(r) => {
                        let route = &table.routes[r];
                        // Only routes of the input are changed; a route a
                        // fix adds is never the one another edit changes.
                        if route.origin == Origin::Static
                            && route.resource != NEW_ROUTE
                            && route.target != target(m, via)
                        {
                            out.push(Edit::SetTarget {
                                table: t,
                                route: r,
                                via,
                            });
                        }
                    }
                }
            }
        }
    }
}

/// The candidates of a search, by what it makes reachable.
fn candidates_toward(
    m: &Model,
    s: usize,
    d: usize,
    flow: Option<&Flow>,
    e: &PairEval,
    base_peerings: usize,
    toward: Toward,
) -> Vec<Edit> {
    match toward {
        Toward::Subnet => candidates_in(m, s, d, flow, e, base_peerings),
        Toward::Internet(_) => internet_candidates(m, s, e),
        Toward::OnPrem(n) => onprem_candidates(m, s, n),
    }
}

/// Routes for the ranges of on-premises network `n` in the route table of
/// subnet `s`: to the virtual private gateway the network connects by, when
/// it is attached to the subnet's VPC, or to the transit gateway it is
/// attached to, when the VPC is too. None for a range the table routes
/// already (AWS holds one route per destination) or inside the VPC.
fn onprem_candidates(m: &Model, s: usize, n: usize) -> Vec<Edit> {
    let mut out = Vec::new();
    let (Link::To(t), Some(v)) = (&m.subnets[s].route_table, m.subnet_vpc(s)) else {
        return out;
    };
    let net = &m.on_prem[n];
    let via = match &net.via {
        OnPremVia::Vgw(g) if m.gateways[*g].vpc == Link::To(v) => Via::Gateway(*g),
        OnPremVia::Tgw { tgw, .. } => {
            let attached = m.vpcs[v]
                .attachments
                .iter()
                .any(|&a| m.tgw_attachments[a].tgw == Link::To(*tgw));
            let Some(g) = m
                .gateways
                .iter()
                .position(|g| g.transit_gateway == Some(*tgw))
            else {
                return out;
            };
            if !attached {
                return out;
            }
            Via::Tgw(g)
        }
        _ => return out,
    };
    let table = &m.route_tables[*t];
    let own = |p: &Prefix| m.vpcs[v].cidrs.all().any(|b| b.overlaps(p));
    for dest in net
        .ranges
        .iter()
        .map(|r| r.prefix)
        .chain(net.named.iter().copied())
    {
        if own(&dest) || table.routes.iter().any(|r| r.dest == Dest::Cidr(dest)) {
            continue;
        }
        let edit = Edit::AddRoute {
            table: *t,
            dest,
            via,
        };
        if !out.contains(&edit) {
            out.push(edit);
        }
    }
    out
}

/// A default route (for each family whose cells fail) in the route table
/// of subnet `s`, to a gateway of its VPC that carries traffic to the
/// internet: the internet gateway, a public NAT gateway in another subnet
/// (IPv4), the egress-only gateway (IPv6). None when the table routes the
/// default destination already (AWS holds one route per destination).
fn internet_candidates(m: &Model, s: usize, e: &PairEval) -> Vec<Edit> {
    let mut out = Vec::new();
    let (Link::To(t), Some(v)) = (&m.subnets[s].route_table, m.subnet_vpc(s)) else {
        return out;
    };
    for c in &e.cells {
        let carried = c.round_trip.as_ref().is_none_or(|r| !r.is_empty());
        if c.forward.outcome == Outcome::Delivered && c.ret.outcome == Outcome::Delivered && carried
        {
            continue;
        }
        let dest = Prefix {
            family: c.family,
            start: 0,
            len: 0,
        };
        if m.route_tables[*t]
            .routes
            .iter()
            .any(|r| r.dest == Dest::Cidr(dest))
        {
            continue;
        }
        for (g, gw) in m.gateways.iter().enumerate() {
            // A NAT gateway is placed by its subnet.
            let home = match (&gw.vpc, &gw.subnet) {
                (Link::To(x), _) => Some(*x),
                (_, Link::To(sn)) => m.subnet_vpc(*sn),
                _ => None,
            };
            if home != Some(v) {
                continue;
            }
            let carries = match (gw.kind, c.family) {
                (GatewayKind::Internet, _) => true,
                (GatewayKind::Nat, Family::V4) => !gw.private && gw.subnet != Link::To(s),
                (GatewayKind::EgressOnly, Family::V6) => true,
                _ => false,
            };
            let edit = Edit::AddRoute {
                table: *t,
                dest,
                via: Via::Gateway(g),
            };
            if carries && !out.contains(&edit) {
                out.push(edit);
            }
        }
    }
    out
}

/// Another route table of its VPC for a subnet on the main table whose
/// lookup found no route: one that routes the destination's block. A
/// subnet associated explicitly already is left alone (AWS holds one
/// association per subnet).
fn associations(m: &Model, from: usize, to: usize, family: Family, leg: &Leg, out: &mut Vec<Edit>) {
    let sn = &m.subnets[from];
    let (Link::To(cur), false) = (&sn.route_table, sn.explicit_association) else {
        return;
    };
    let failed_here = leg.reasons.iter().any(|r| {
        r.code == codes::NO_ROUTE_TO_DESTINATION
            && r.resource.as_deref() == Some(m.route_tables[*cur].address.as_str())
    });
    let (Some(sub), Some(vs)) = (m.subnets[to].cidr(family), m.subnet_vpc(from)) else {
        return;
    };
    if !failed_here {
        return;
    }
    for (t, table) in m.route_tables.iter().enumerate() {
        if t == *cur || table.vpc != Link::To(vs) || table.address.ends_with("(main route table)") {
            continue;
        }
        let routes_it = table.routes.iter().any(|r| {
            r.origin != Origin::Local && matches!(r.dest, Dest::Cidr(p) if p.overlaps(&sub))
        });
        if routes_it {
            out.push(Edit::Associate {
                subnet: from,
                table: t,
            });
        }
    }
}

/// Transit gateway changes where the walk stopped inside one: an
/// attachment associated with no route table gets one (of its gateway),
/// and a route table without a route for the destination's VPC block gets
/// the propagation of that VPC's attachment or a static route to it (or,
/// for a VPC attached to a peered transit gateway, a static route to the
/// peering attachment, the only kind a peering attachment takes).
fn transit(m: &Model, to: usize, family: Family, leg: &Leg, out: &mut Vec<Edit>) {
    for r in &leg.reasons {
        let Some(resource) = r.resource.as_deref() else {
            continue;
        };
        match r.code {
            codes::TGW_ATTACH_MISSING_TGW_RTB_ASSOCIATION => {
                let Some(a) = m.tgw_attachments.iter().position(|x| x.address == resource) else {
                    continue;
                };
                let att = &m.tgw_attachments[a];
                for end in [&att.tgw, &att.peer_tgw] {
                    let Link::To(g) = *end else { continue };
                    if *att.association(g) != Link::None {
                        continue;
                    }
                    for (t, table) in m.tgw_route_tables.iter().enumerate() {
                        if table.tgw == Some(g) {
                            out.push(Edit::TgwAssociate {
                                attachment: a,
                                tgw: g,
                                table: t,
                            });
                        }
                    }
                }
            }
            codes::TGW_RTB_NO_ROUTE_TO_TGW_ATTACHMENT => {
                let Some(t) = m
                    .tgw_route_tables
                    .iter()
                    .position(|x| x.address == resource)
                else {
                    continue;
                };
                tgw_routes(m, t, to, family, out);
            }
            _ => {}
        }
    }
}

/// Routes for the VPC block of subnet `to` in transit gateway route table
/// `t`: into the VPC's attachment on the table's gateway (propagated or
/// static), or into a peering attachment to a gateway the VPC is attached
/// to (static). No static route that duplicates one the table holds.
fn tgw_routes(m: &Model, t: usize, to: usize, family: Family, out: &mut Vec<Edit>) {
    let table = &m.tgw_route_tables[t];
    let (Some(g), Some(vd), Some(sub)) = (table.tgw, m.subnet_vpc(to), m.subnets[to].cidr(family))
    else {
        return;
    };
    let Some(block) = m.vpcs[vd]
        .cidrs
        .of(family)
        .iter()
        .find(|b| b.contains(&sub))
        .copied()
    else {
        return;
    };
    let has_static = table
        .routes
        .iter()
        .any(|r| !r.propagated && r.dest == Dest::Cidr(block));
    let attached_to = |g2: usize| {
        m.tgw_attachments.iter().any(|x| {
            x.kind == AttachmentKind::Vpc
                && x.tgw == Link::To(g2)
                && x.vpc == Link::To(vd)
                && (family == Family::V4 || x.ipv6)
        })
    };
    for (b, att) in m.tgw_attachments.iter().enumerate() {
        if att.state != PeeringState::Active {
            continue;
        }
        match att.kind {
            AttachmentKind::Vpc => {
                if att.tgw != Link::To(g) || att.vpc != Link::To(vd) {
                    continue;
                }
                if family == Family::V6 && !att.ipv6 {
                    continue;
                }
                let propagates = table
                    .routes
                    .iter()
                    .any(|r| r.propagated && r.target == TgwTarget::Attachment(b));
                if !propagates {
                    out.push(Edit::TgwPropagate {
                        table: t,
                        attachment: b,
                    });
                }
            }
            AttachmentKind::Peering => {
                let other = if att.tgw == Link::To(g) {
                    &att.peer_tgw
                } else if att.peer_tgw == Link::To(g) {
                    &att.tgw
                } else {
                    continue;
                };
                let Link::To(g2) = *other else { continue };
                if !attached_to(g2) {
                    continue;
                }
            }
            _ => continue,
        }
        if !has_static {
            out.push(Edit::TgwStatic {
                table: t,
                dest: block,
                attachment: b,
            });
        }
    }
}

/// Peerings the walk found pending (accept them) or relied on transitively
/// (peer the two VPCs directly).
fn peerings(
    m: &Model,
    from: usize,
    to: usize,
    leg: &Leg,
    base_peerings: usize,
    out: &mut Vec<Edit>,
) {
    for r in &leg.reasons {
        match r.code {
            codes::BAD_STATE | codes::PEERING_NOT_ACTIVE | codes::UNRESOLVED_REFERENCE => {
                let Some(i) = m
                    .peerings
                    .iter()
                    .position(|p| Some(p.address.as_str()) == r.resource.as_deref())
                else {
                    continue;
                };
                let p = &m.peerings[i];
                let (Link::To(a), Link::To(b)) = (&p.requester, &p.accepter) else {
                    continue;
                };
                if p.state != PeeringState::Active && !vpcs_overlap(m, *a, *b) && i < base_peerings
                {
                    out.push(Edit::Accept { peering: i });
                }
            }
            codes::PCX_REQUIRES_ADDRESS_IN_VPC_CIDR | codes::TRANSITIVE_PEERING => {
                let (Some(a), Some(b)) = (m.subnet_vpc(from), m.subnet_vpc(to)) else {
                    continue;
                };
                let joined = m
                    .peerings
                    .iter()
                    .any(|p| p.other_side(a) == Some(&Link::To(b)));
                let apart = different_place(m, a, b);
                if a != b && !joined && !apart && !vpcs_overlap(m, a, b) {
                    out.push(Edit::Peer {
                        a: a.min(b),
                        b: a.max(b),
                    });
                }
            }
            _ => {}
        }
    }
}

/// True when the two VPCs are known to be in different accounts or Regions
/// (a peering between them needs an accepter on the other side).
fn different_place(m: &Model, a: usize, b: usize) -> bool {
    let differ =
        |p: Result<&str, &str>, q: Result<&str, &str>| matches!((p, q), (Ok(p), Ok(q)) if p != q);
    differ(m.vpc_region(a), m.vpc_region(b)) || differ(m.vpc_account(a), m.vpc_account(b))
}

/// Allow rules where the subnets' network ACLs stop the traffic of one
/// direction: leaving `from` and entering `to`.
fn acls(
    m: &Model,
    from: usize,
    to: usize,
    family: Family,
    dir: Direction,
    flow: Option<&Flow>,
    out: &mut Vec<Edit>,
) {
    let (Some(fp), Some(tp)) = (m.subnets[from].cidr(family), m.subnets[to].cidr(family)) else {
        return;
    };
    let asked = flow.map_or_else(|| FlowSet::connections(family), |f| f.forward(family));
    let (needs, rule) = match dir {
        Direction::Forward => (
            asked,
            match flow.and_then(|f| f.protocol) {
                None => AclFlows::All,
                Some(p @ (TCP | UDP)) => match flow.and_then(|f| f.port) {
                    Some(port) => AclFlows::Ports(p, port, port),
                    None => AclFlows::Ports(p, 0, 65535),
                },
                Some(p) => AclFlows::Protocol(p),
            },
        ),
        Direction::Return => (
            asked.replies_for(),
            match flow.and_then(|f| f.protocol) {
                Some(p @ (ICMP | ICMPV6)) => AclFlows::Protocol(p),
                Some(p @ (TCP | UDP)) => AclFlows::Ports(p, 1024, 65535),
                Some(p) => AclFlows::Protocol(p),
                // Any traffic: the replies of TCP connections.
                None => AclFlows::Ports(TCP, 1024, 65535),
            },
        ),
    };
    for (subnet, egress, peer) in [(from, true, tp), (to, false, fp)] {
        let Link::To(a) = m.subnets[subnet].network_acl else {
            continue;
        };
        let acl = &m.network_acls[a];
        if acl.rules_unknown.is_some() {
            continue;
        }
        let dec = evaluate(acl, egress, family, peer.interval().lo, &needs);
        if dec.allowed.is_none() {
            continue;
        }
        let list = if egress { &acl.egress } else { &acl.ingress };
        // Before the first rule that matches the peer's block and denies.
        let first_deny = list
            .iter()
            .filter(|r| !r.allow && r.cidr.is_some_and(|c| c.overlaps(&peer)))
            .map(|r| r.number)
            .min();
        let taken = |n: u32| list.iter().any(|r| r.number == n);
        let number = match first_deny {
            Some(n) => (1..n).rev().find(|&k| !taken(k)),
            None => {
                let top = list.iter().map(|r| r.number).max().unwrap_or(0);
                let next = (top / 100 + 1) * 100;
                if next <= 32766 {
                    Some(next)
                } else {
                    (1..32767).rev().find(|&k| !taken(k))
                }
            }
        };
        let Some(number) = number else { continue };
        out.push(Edit::AclAllow {
            acl: a,
            egress,
            number,
            cidr: peer,
            rule,
            reply: dir == Direction::Return,
        });
    }
}

// -- describing a fix -----------------------------------------------------------

/// A Terraform address split into its module and its address within it.
/// With several documents read as one estate, `module` starts with the
/// document's label and a colon (`network:`, `network:module.hub`): a
/// reference reaches only what its own document's configuration holds.
struct Addr<'a> {
    module: &'a str,
    local: &'a str,
}

/// The length of a document label and its colon at the start of an
/// address (`network:aws_vpc.hub`), if any: a colon before the first `.`
/// or `[`.
fn label_len(address: &str) -> usize {
    let end = address.find(['.', '[']).unwrap_or(address.len());
    address[..end].find(':').map_or(0, |i| i + 1)
}

fn split(address: &str) -> Addr<'_> {
    let label = label_len(address);
    let rest = &address[label..];
    let parts = crate::ingest::address::split_traversal(rest);
    let mut i = 0;
    let mut len = 0;
    while i + 1 < parts.len() && parts[i] == "module" {
        len += parts[i].len() + 1 + parts[i + 1].len() + 1;
        i += 2;
    }
    if len == 0 || len > rest.len() {
        return Addr {
            module: &address[..label],
            local: rest,
        };
    }
    Addr {
        module: &address[..label + len - 1],
        local: &rest[len..],
    }
}

/// The address of `local` in module `home` (as [`split`] gives it).
fn join_address(home: &str, local: &str) -> String {
    if home.is_empty() || home.ends_with(':') {
        format!("{home}{local}")
    } else {
        format!("{home}.{local}")
    }
}

/// A name for a new resource, from the subnets it serves.
fn name_of(address: &str) -> String {
    let last = split(address).local.rsplit('.').next().unwrap_or(address);
    last.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect::<String>()
        .trim_matches('_')
        .to_string()
}

/// How the HCL of one module refers to an attribute of a resource, which
/// may be in another module.
struct Refs<'a> {
    notes: &'a mut Vec<String>,
}

impl Refs<'_> {
    fn to(&mut self, home: &str, address: &str, attr: &str, aws_id: Option<&str>) -> String {
        let a = split(address);
        if a.module == home {
            return format!("{}.{attr}", a.local);
        }
        if let (Some(id), "id") = (aws_id, attr) {
            return format!("{id:?}");
        }
        let mut var = format!("{}_{attr}", a.local.replace(['.', '[', ']', '"'], "_"));
        while var.contains("__") {
            var = var.replace("__", "_");
        }
        let var = var.trim_matches('_').to_string();
        self.notes.push(format!(
            "{address} is in {}, not in {}: pass its {attr} into {} as variable `{var}`",
            module_name(a.module),
            module_name(home),
            module_name(home)
        ));
        format!("var.{var}")
    }
}

fn module_name(m: &str) -> String {
    let label = label_len(m);
    let module = &m[label..];
    let name = if module.is_empty() {
        "the root module".to_string()
    } else {
        module.to_string()
    };
    if label == 0 {
        name
    } else {
        format!("{name} of {}", &m[..label - 1])
    }
}

/// The reference to a route table's ID (a main table the input does not
/// manage is the VPC's `main_route_table_id`).
fn table_ref(refs: &mut Refs, m: &Model, home: &str, t: usize) -> String {
    let table = &m.route_tables[t];
    if let Some(vpc) = table.address.strip_suffix(" (main route table)") {
        return refs.to(home, vpc, "main_route_table_id", None);
    }
    refs.to(home, &table.address, "id", table.aws_id.as_deref())
}

fn table_home(m: &Model, t: usize) -> &str {
    split(table_home_address(m, t)).module
}

/// The address of a route table, or of its VPC for a main table the input
/// does not manage.
fn table_home_address(m: &Model, t: usize) -> &str {
    let a = &m.route_tables[t].address;
    a.strip_suffix(" (main route table)").unwrap_or(a)
}

/// The address a transit gateway route table is declared under: its own,
/// or its gateway's for a default route table.
fn tgw_table_home_address(m: &Model, t: usize) -> &str {
    let a = &m.tgw_route_tables[t].address;
    default_tgw_table(a).map_or(a, |(tgw, _)| tgw)
}

/// A default route table the input does not declare (`<gateway> (default
/// route table)`, or `(default association route table)` and `(default
/// propagation route table)` when the two differ): the gateway's address
/// and the attribute that holds the table's ID.
fn default_tgw_table(address: &str) -> Option<(&str, &'static str)> {
    for (suffix, attr) in [
        (
            " (default route table)",
            "association_default_route_table_id",
        ),
        (
            " (default association route table)",
            "association_default_route_table_id",
        ),
        (
            " (default propagation route table)",
            "propagation_default_route_table_id",
        ),
    ] {
        if let Some(tgw) = address.strip_suffix(suffix) {
            return Some((tgw, attr));
        }
    }
    None
}

/// The reference to a transit gateway route table's ID (a default table
/// is its gateway's `association_default_route_table_id`).
/// A new resource (`kind`: its type and name) that links transit gateway
/// attachment `a` with route table `table` (an association or a
/// propagation), placed in the attachment's module, before it.
fn tgw_table_link(
    refs: &mut Refs,
    m: &Model,
    a: usize,
    table: usize,
    (kind, name): (&str, &str),
    change: &'static str,
    description: String,
) -> Change {
    let att = &m.tgw_attachments[a];
    let home = split(&att.address).module.to_string();
    let hcl = format!(
        "resource \"{kind}\" \"{name}\" {{\n{}}}\n",
        attrs(
            &[
                (
                    "transit_gateway_attachment_id",
                    refs.to(&home, &att.address, "id", att.aws_id.as_deref()),
                ),
                (
                    "transit_gateway_route_table_id",
                    tgw_table_ref(refs, m, &home, table),
                ),
            ],
            "  "
        )
    );
    Change {
        kind: change,
        description,
        module: home,
        resource: att.address.clone(),
        placed: None,
        document: None,
        insert: Insert::Before,
        hcl,
    }
}

fn tgw_table_ref(refs: &mut Refs, m: &Model, home: &str, t: usize) -> String {
    let table = &m.tgw_route_tables[t];
    if let Some((tgw, attr)) = default_tgw_table(&table.address) {
        return refs.to(home, tgw, attr, None);
    }
    refs.to(home, &table.address, "id", table.aws_id.as_deref())
}

/// Aligns `key = value` lines as `terraform fmt` does.
fn attrs(lines: &[(&str, String)], indent: &str) -> String {
    let w = lines.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    lines
        .iter()
        .map(|(k, v)| format!("{indent}{k:w$} = {v}\n"))
        .collect()
}

fn dest_attr(p: &Prefix, inline: bool) -> &'static str {
    match (p.family, inline) {
        (Family::V4, false) => "destination_cidr_block",
        (Family::V6, false) => "destination_ipv6_cidr_block",
        (Family::V4, true) => "cidr_block",
        (Family::V6, true) => "ipv6_cidr_block",
    }
}

/// Describes one fix and checks its effect on the other pairs of the VPCs
/// involved.
fn describe(m: &Model, search: &mut Search, set: &[Edit]) -> Fix {
    let mut notes = Vec::new();
    let mut changes = Vec::new();
    let (s, d) = (search.s, search.d);
    let to_name = match search.toward {
        Toward::Internet(_) => internet::INTERNET.to_string(),
        Toward::OnPrem(n) => name_of(&m.on_prem[n].address),
        Toward::Subnet => name_of(&m.subnets[d].address),
    };
    let pair_name = format!("{}_to_{to_name}", name_of(&m.subnets[s].address));
    let mut names: Vec<String> = Vec::new();
    let mut fresh = |base: String| {
        let mut n = base.clone();
        let mut k = 2;
        while names.contains(&n) {
            n = format!("{base}_{k}");
            k += 1;
        }
        names.push(n.clone());
        n
    };
    // A new peering is declared first: routes refer to it.
    let mut new_peering: Option<(String, String)> = None; // (address, module)
    let mut order: Vec<&Edit> = set.iter().collect();
    order.sort_by_key(|e| !matches!(e, Edit::Peer { .. }));
    for e in order {
        let mut refs = Refs { notes: &mut notes };
        match *e {
            Edit::Peer { a, b } => {
                let (va, vb) = (&m.vpcs[a], &m.vpcs[b]);
                let home = split(&va.address).module.to_string();
                let name = fresh(format!(
                    "fix_{}_{}",
                    name_of(&va.address),
                    name_of(&vb.address)
                ));
                let hcl = format!(
                    "resource \"aws_vpc_peering_connection\" \"{name}\" {{\n{}}}\n",
                    attrs(
                        &[
                            (
                                "vpc_id",
                                refs.to(&home, &va.address, "id", va.aws_id.as_deref())
                            ),
                            (
                                "peer_vpc_id",
                                refs.to(&home, &vb.address, "id", vb.aws_id.as_deref())
                            ),
                            ("auto_accept", "true".into()),
                        ],
                        "  "
                    )
                );
                let local = format!("aws_vpc_peering_connection.{name}");
                new_peering = Some((join_address(&home, &local), home.clone()));
                changes.push(Change {
                    kind: "add_peering",
                    description: format!(
                        "peer {} with {} directly (their blocks do not overlap; both in one account and Region, so auto_accept works)",
                        va.address, vb.address
                    ),
                    module: home,
                    resource: va.address.clone(),
                    placed: None,
                    document: None,
                    insert: Insert::Before,
                    hcl,
                });
            }
            Edit::AddRoute { table, dest, via } => {
                let home = table_home(m, table).to_string();
                let (tattr, tref, what) = via_ref(&mut refs, m, &home, via, &new_peering);
                let t = &m.route_tables[table];
                // A table whose routes are inline blocks takes another
                // block: an aws_route beside them makes Terraform remove
                // one or the other on every apply.
                if t.routes
                    .iter()
                    .any(|r| r.origin == Origin::Static && r.resource == t.address)
                {
                    changes.push(Change {
                        kind: "add_route",
                        description: format!(
                            "add this route block to {} (its routes are inline): {dest} through {what}",
                            t.address
                        ),
                        module: home,
                        resource: t.address.clone(),
                        placed: None,
                        document: None,
                        insert: Insert::Inside,
                        hcl: format!(
                            "route {{\n{}}}\n",
                            attrs(&[(dest_attr(&dest, true), format!("\"{dest}\"")), (tattr, tref)], "  ")
                        ),
                    });
                    continue;
                }
                let towards = m
                    .vpcs
                    .iter()
                    .find(|v| v.cidrs.all().any(|b| b.contains(&dest)))
                    .map_or_else(
                        || match search.toward {
                            Toward::Internet(_) => internet::INTERNET.to_string(),
                            Toward::OnPrem(_) => to_name.clone(),
                            Toward::Subnet => pair_name.clone(),
                        },
                        |v| name_of(&v.address),
                    );
                let name = fresh(format!(
                    "fix_{}_to_{towards}",
                    name_of(table_home_address(m, table))
                ));
                let hcl = format!(
                    "resource \"aws_route\" \"{name}\" {{\n{}}}\n",
                    attrs(
                        &[
                            ("route_table_id", table_ref(&mut refs, m, &home, table)),
                            (dest_attr(&dest, false), format!("\"{dest}\"")),
                            (tattr, tref),
                        ],
                        "  "
                    )
                );
                changes.push(Change {
                    kind: "add_route",
                    description: format!(
                        "add a route for {dest} to {} through {what}",
                        m.route_tables[table].address
                    ),
                    module: home,
                    resource: table_home_address(m, table).to_string(),
                    placed: None,
                    document: None,
                    insert: Insert::Before,
                    hcl,
                });
            }
            Edit::SetTarget { table, route, via } => {
                let Some(r) = m.route_tables[table].routes.get(route) else {
                    continue;
                };
                let resource = r.resource.clone();
                let home = split(&resource).module.to_string();
                let (tattr, tref, what) = via_ref(&mut refs, m, &home, via, &new_peering);
                let Dest::Cidr(dest) = r.dest else { continue };
                let inline = resource == m.route_tables[table].address;
                let old = old_target_attr(&r.target);
                let (hcl, description) = if inline {
                    (
                        format!(
                            "route {{\n{}}}\n",
                            attrs(&[(dest_attr(&dest, true), format!("\"{dest}\"")), (tattr, tref)], "  ")
                        ),
                        format!(
                            "in {resource}, replace the inline route for {dest} (which uses {old} now) with this one, through {what}"
                        ),
                    )
                } else {
                    (
                        attrs(&[(tattr, tref)], ""),
                        format!("in {resource} (the route for {dest}), replace {old} with this attribute, through {what}"),
                    )
                };
                changes.push(Change {
                    kind: "change_route_target",
                    description,
                    module: home,
                    resource: resource.clone(),
                    placed: None,
                    document: None,
                    insert: Insert::Replace,
                    hcl,
                });
            }
            Edit::Accept { peering } => {
                let p = &m.peerings[peering];
                let home = split(&p.address).module.to_string();
                let same_place = match (&p.requester, &p.accepter) {
                    (Link::To(a), Link::To(b)) => !different_place(m, *a, *b),
                    _ => false,
                };
                let requester = p.address.contains("aws_vpc_peering_connection.")
                    && !p.address.contains("aws_vpc_peering_connection_accepter.");
                let undetermined = matches!(p.state, PeeringState::Undetermined(_));
                if same_place && requester && !undetermined {
                    changes.push(Change {
                        kind: "accept_peering",
                        description: format!(
                            "set auto_accept on {} (both VPCs are in one account and Region)",
                            p.address
                        ),
                        module: home,
                        resource: p.address.clone(),
                        placed: None,
                        document: None,
                        insert: Insert::Replace,
                        hcl: "auto_accept = true\n".into(),
                    });
                } else {
                    // A requester that sets auto_accept across accounts or
                    // Regions is refused (or ignored): it must drop it.
                    if let PeeringState::Inactive(why) = &p.state {
                        if why.contains("auto_accept") && !why.contains("sets no auto_accept") {
                            changes.push(Change {
                                kind: "change_peering",
                                description: format!(
                                    "in {}, drop auto_accept: it works only within one account and Region",
                                    p.address
                                ),
                                module: home.clone(),
                                resource: p.address.clone(),
                                placed: None,
                                document: None,
                                insert: Insert::Replace,
                                hcl: "auto_accept = false\n".into(),
                            });
                        }
                    }
                    // The accepter goes with the accepter VPC: in an estate
                    // of several documents, that VPC's own configuration.
                    let (home, anchor) = match &p.accepter {
                        Link::To(b) => {
                            let v = &m.vpcs[*b].address;
                            (split(v).module.to_string(), v.clone())
                        }
                        _ => (home, p.address.clone()),
                    };
                    let name = fresh(format!("fix_{}", name_of(&p.address)));
                    let hcl = format!(
                        "resource \"aws_vpc_peering_connection_accepter\" \"{name}\" {{\n{}}}\n",
                        attrs(
                            &[
                                (
                                    "vpc_peering_connection_id",
                                    refs.to(&home, &p.address, "id", p.aws_id.as_deref()),
                                ),
                                ("auto_accept", "true".into()),
                            ],
                            "  "
                        )
                    );
                    changes.push(Change {
                        kind: "accept_peering",
                        description: format!(
                            "accept {} on the accepter's side (declare it with the provider of the accepter VPC's account and Region)",
                            p.address
                        ),
                        module: home,
                        resource: anchor,
                        placed: None,
                        document: None,
                        insert: Insert::Before,
                        hcl,
                    });
                }
            }
            Edit::AclAllow {
                acl,
                egress,
                number,
                cidr,
                rule,
                reply,
            } => {
                let a = &m.network_acls[acl];
                let home = split(&a.address).module.to_string();
                let (protocol, from_port, to_port) = rule.protocol_and_ports();
                let way = if egress { "egress" } else { "ingress" };
                let inline = a.address.contains("aws_default_network_acl.")
                    || a.ingress
                        .iter()
                        .chain(&a.egress)
                        .any(|r| r.resource == a.address);
                let cattr = dest_attr(&cidr, true);
                let what = rule.words();
                let what = if reply {
                    format!("the replies ({what})")
                } else {
                    what
                };
                let (hcl, description) = if inline {
                    (
                        format!(
                            "{way} {{\n{}}}\n",
                            attrs(
                                &[
                                    ("rule_no", number.to_string()),
                                    ("action", "\"allow\"".into()),
                                    ("protocol", format!("\"{protocol}\"")),
                                    ("from_port", from_port.to_string()),
                                    ("to_port", to_port.to_string()),
                                    (cattr, format!("\"{cidr}\"")),
                                ],
                                "  "
                            )
                        ),
                        format!(
                            "add this {way} block to {} (its rules are inline): allow {what} {} {cidr}, numbered {number}, before the rule that denies it",
                            a.address,
                            if egress { "to" } else { "from" }
                        ),
                    )
                } else {
                    let name = fresh(format!("fix_{}_{way}_{number}", name_of(&a.address)));
                    (
                        format!(
                            "resource \"aws_network_acl_rule\" \"{name}\" {{\n{}}}\n",
                            attrs(
                                &[
                                    (
                                        "network_acl_id",
                                        refs.to(&home, &a.address, "id", a.aws_id.as_deref()),
                                    ),
                                    ("rule_number", number.to_string()),
                                    ("egress", egress.to_string()),
                                    ("protocol", format!("\"{protocol}\"")),
                                    ("rule_action", "\"allow\"".into()),
                                    (cattr, format!("\"{cidr}\"")),
                                    ("from_port", from_port.to_string()),
                                    ("to_port", to_port.to_string()),
                                ],
                                "  "
                            )
                        ),
                        format!(
                            "allow {what} {} {cidr} in {} ({way} rule {number}, before the rule that denies it)",
                            if egress { "to" } else { "from" },
                            a.address
                        ),
                    )
                };
                changes.push(Change {
                    kind: "add_network_acl_rule",
                    description,
                    module: home,
                    resource: a.address.clone(),
                    placed: None,
                    document: None,
                    insert: if inline {
                        Insert::Inside
                    } else {
                        Insert::Before
                    },
                    hcl,
                });
            }
            Edit::TgwAssociate {
                attachment,
                tgw,
                table,
            } => {
                let att = &m.tgw_attachments[attachment];
                let name = fresh(format!(
                    "fix_{}_{}",
                    name_of(&att.address),
                    name_of(tgw_table_home_address(m, table))
                ));
                changes.push(tgw_table_link(
                    &mut refs,
                    m,
                    attachment,
                    table,
                    ("aws_ec2_transit_gateway_route_table_association", &name),
                    "associate_tgw_route_table",
                    format!(
                        "associate {} with {} (it is associated with no route table of {})",
                        att.address,
                        m.tgw_route_tables[table].address,
                        m.transit_gateways[tgw].address
                    ),
                ));
            }
            Edit::TgwPropagate { table, attachment } => {
                let att = &m.tgw_attachments[attachment];
                let name = fresh(format!(
                    "fix_{}_to_{}",
                    name_of(&att.address),
                    name_of(tgw_table_home_address(m, table))
                ));
                changes.push(tgw_table_link(
                    &mut refs,
                    m,
                    attachment,
                    table,
                    ("aws_ec2_transit_gateway_route_table_propagation", &name),
                    "add_tgw_propagation",
                    format!(
                        "propagate the blocks of {} into {}",
                        att.address, m.tgw_route_tables[table].address
                    ),
                ));
            }
            Edit::TgwStatic {
                table,
                dest,
                attachment,
            } => {
                let att = &m.tgw_attachments[attachment];
                let anchor = tgw_table_home_address(m, table).to_string();
                let home = split(&anchor).module.to_string();
                let towards = m
                    .vpcs
                    .iter()
                    .find(|v| v.cidrs.all().any(|b| b.contains(&dest)))
                    .map_or_else(|| pair_name.clone(), |v| name_of(&v.address));
                let name = fresh(format!("fix_{}_to_{towards}", name_of(&anchor)));
                let hcl = format!(
                    "resource \"aws_ec2_transit_gateway_route\" \"{name}\" {{\n{}}}\n",
                    attrs(
                        &[
                            ("destination_cidr_block", format!("\"{dest}\"")),
                            (
                                "transit_gateway_attachment_id",
                                refs.to(&home, &att.address, "id", att.aws_id.as_deref()),
                            ),
                            (
                                "transit_gateway_route_table_id",
                                tgw_table_ref(&mut refs, m, &home, table),
                            ),
                        ],
                        "  "
                    )
                );
                changes.push(Change {
                    kind: "add_tgw_route",
                    description: format!(
                        "add a static route for {dest} to {} into {} ({})",
                        m.tgw_route_tables[table].address,
                        att.address,
                        att.kind.describe()
                    ),
                    module: home,
                    resource: anchor,
                    placed: None,
                    document: None,
                    insert: Insert::Before,
                    hcl,
                });
            }
            Edit::Associate { subnet, table } => {
                let sn = &m.subnets[subnet];
                let home = split(&sn.address).module.to_string();
                let name = fresh(format!("fix_{}", name_of(&sn.address)));
                let hcl = format!(
                    "resource \"aws_route_table_association\" \"{name}\" {{\n{}}}\n",
                    attrs(
                        &[
                            (
                                "subnet_id",
                                refs.to(&home, &sn.address, "id", sn.aws_id.as_deref()),
                            ),
                            ("route_table_id", table_ref(&mut refs, m, &home, table)),
                        ],
                        "  "
                    )
                );
                changes.push(Change {
                    kind: "associate_route_table",
                    description: format!(
                        "associate {} with {} (it uses its VPC's main route table now)",
                        sn.address, m.route_tables[table].address
                    ),
                    module: home,
                    resource: sn.address.clone(),
                    placed: None,
                    document: None,
                    insert: Insert::Before,
                    hcl,
                });
            }
        }
    }
    place_documents(&mut changes);
    let (alters, note) = side_effects(search, set);
    let cost = changes.len();
    let summary = summary_of(&changes);
    notes.sort();
    notes.dedup();
    let note = match (note, notes.is_empty()) {
        (None, true) => None,
        (n, _) => Some(n.into_iter().chain(notes).collect::<Vec<_>>().join("; ")),
    };
    Fix {
        cost,
        summary,
        changes,
        alters,
        note,
    }
}

/// In an estate of several documents, moves each change's document label
/// from its module to `document`.
fn place_documents(changes: &mut [Change]) {
    for c in changes {
        let label = label_len(&c.module);
        if label > 0 {
            c.document = Some(c.module[..label - 1].to_string());
            c.module = c.module[label..].to_string();
        }
    }
}

/// One line for a fix: each change's description up to its aside.
fn summary_of(changes: &[Change]) -> String {
    changes
        .iter()
        .map(|c| c.description.split(" (").next().unwrap_or(&c.description))
        .collect::<Vec<_>>()
        .join("; ")
}

fn old_target_attr(t: &Target) -> String {
    match t {
        Target::Peering(_) => "vpc_peering_connection_id".into(),
        Target::Gateway { kind, .. } => match kind {
            GatewayKind::TransitGateway => "transit_gateway_id".into(),
            GatewayKind::Nat => "nat_gateway_id".into(),
            GatewayKind::NetworkInterface => "network_interface_id".into(),
            GatewayKind::VpcEndpoint => "vpc_endpoint_id".into(),
            GatewayKind::EgressOnly => "egress_only_gateway_id".into(),
            _ => "gateway_id".into(),
        },
        Target::Local => "local".into(),
        Target::Unknown(_) | Target::Blackhole(_) => "its target".into(),
    }
}

/// The target attribute, its reference and words for it.
fn via_ref(
    refs: &mut Refs,
    m: &Model,
    home: &str,
    via: Via,
    new_peering: &Option<(String, String)>,
) -> (&'static str, String, String) {
    match via {
        Via::Peering(p) if p >= m.peerings.len() => {
            let (address, _) = new_peering
                .clone()
                .unwrap_or_else(|| ("aws_vpc_peering_connection.new".into(), String::new()));
            let r = refs.to(home, &address, "id", None);
            (
                "vpc_peering_connection_id",
                r,
                format!("the new peering {address}"),
            )
        }
        Via::Peering(p) => {
            let pc = &m.peerings[p];
            let address = pc.address.clone();
            let r = refs.to(home, &address, "id", pc.aws_id.as_deref());
            ("vpc_peering_connection_id", r, format!("peering {address}"))
        }
        Via::Tgw(g) => {
            let gw = &m.gateways[g];
            let r = refs.to(home, &gw.address, "id", gw.aws_id.as_deref());
            (
                "transit_gateway_id",
                r,
                format!("transit gateway {}", gw.address),
            )
        }
        Via::Gateway(g) => {
            let gw = &m.gateways[g];
            let r = refs.to(home, &gw.address, "id", gw.aws_id.as_deref());
            let (attr, what) = match gw.kind {
                GatewayKind::Nat => ("nat_gateway_id", "NAT gateway"),
                GatewayKind::EgressOnly => ("egress_only_gateway_id", "egress-only gateway"),
                GatewayKind::VpnGateway => ("gateway_id", "virtual private gateway"),
                _ => ("gateway_id", "internet gateway"),
            };
            (attr, r, format!("{what} {}", gw.address))
        }
    }
}

/// The pairs of the VPCs the fix involves whose verdict it changes.
fn side_effects(search: &mut Search, set: &[Edit]) -> (Vec<Altered>, Option<String>) {
    match search.toward {
        Toward::Internet(g) => {
            let name = internet::INTERNET.to_string();
            let verdict = |m: &Model, x: usize, flow: Option<&Flow>| {
                internet::egress(m, x, g, flow, Detail::Outcome).0.verdict
            };
            return (endpoint_side_effects(search, &name, &verdict, set), None);
        }
        Toward::OnPrem(n) => {
            let name = search.work.on_prem[n].address.clone();
            let verdict = |m: &Model, x: usize, flow: Option<&Flow>| {
                onprem::to_onprem(m, x, n, flow, Detail::Outcome).0.verdict
            };
            return (endpoint_side_effects(search, &name, &verdict, set), None);
        }
        Toward::Subnet => {}
    }
    let m = &search.work;
    let (s, d) = (search.s, search.d);
    let mut vpcs: Vec<usize> = [m.subnet_vpc(s), m.subnet_vpc(d)]
        .into_iter()
        .flatten()
        .collect();
    vpcs.dedup();
    let subnets: Vec<usize> = vpcs
        .iter()
        .flat_map(|&v| m.vpcs[v].subnets.iter().copied())
        .collect();
    let mut pairs: Vec<(usize, usize)> = subnets
        .iter()
        .flat_map(|&x| subnets.iter().map(move |&y| (x, y)))
        .filter(|&(x, y)| x != y && (x, y) != (s, d))
        .collect();
    let mut note = None;
    if pairs.len() > MAX_SIDE_PAIRS {
        pairs.retain(|&(x, y)| x == s || x == d || y == s || y == d);
        note = Some(format!(
            "the VPCs hold more than {MAX_SIDE_PAIRS} other pairs: only those of the two subnets were checked for side effects"
        ));
    }
    let flow = search.flow;
    let before: Vec<Verdict> = pairs
        .iter()
        .map(|&(x, y)| evaluate_pair_flow(m, x, y, Detail::Outcome, flow).verdict)
        .collect();
    let after: Vec<Verdict> = search.with(set, |m, _, _, flow| {
        pairs
            .iter()
            .map(|&(x, y)| evaluate_pair_flow(m, x, y, Detail::Outcome, flow).verdict)
            .collect()
    });
    let m = &search.work;
    let mut out: Vec<Altered> = pairs
        .iter()
        .zip(before.iter().zip(&after))
        .filter(|(_, (b, a))| b != a)
        .map(|(&(x, y), (&b, &a))| Altered {
            from: m.subnets[x].address.clone(),
            to: m.subnets[y].address.clone(),
            before: b,
            after: a,
        })
        .collect();
    out.sort_by(|a, b| (&a.from, &a.to).cmp(&(&b.from, &b.to)));
    (out, note)
}

/// The other subnets of the source's VPC whose verdict towards the
/// endpoint (`name`; `verdict` says it) the fix changes.
fn endpoint_side_effects(
    search: &mut Search,
    name: &str,
    verdict: &dyn Fn(&Model, usize, Option<&Flow>) -> Verdict,
    set: &[Edit],
) -> Vec<Altered> {
    let m = &search.work;
    let s = search.s;
    let others: Vec<usize> = m
        .subnet_vpc(s)
        .map(|v| {
            m.vpcs[v]
                .subnets
                .iter()
                .copied()
                .filter(|&x| x != s)
                .collect()
        })
        .unwrap_or_default();
    let flow = search.flow;
    let verdicts =
        |m: &Model| -> Vec<Verdict> { others.iter().map(|&x| verdict(m, x, flow)).collect() };
    let before = verdicts(m);
    let after = search.with(set, |m, _, _, _| verdicts(m));
    let m = &search.work;
    others
        .iter()
        .zip(before.iter().zip(&after))
        .filter(|(_, (b, a))| b != a)
        .map(|(&x, (&b, &a))| Altered {
            from: m.subnets[x].address.clone(),
            to: name.to_string(),
            before: b,
            after: a,
        })
        .collect()
}

// -- security group rules for workload pairs -------------------------------------

/// What a new security group rule names as its peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SgPeer {
    /// A group (index into `Model::security_groups`), where AWS lets the
    /// rule's group reference it.
    Group(usize),
    /// A block: a subnet of the peer workload.
    Cidr(Prefix),
}

/// Rules added to one group on one side, one per peer.
#[derive(Debug, Clone)]
struct SgEdit {
    group: usize,
    egress: bool,
    peers: Vec<SgPeer>,
    rule: AclFlows,
}

/// The fixes that make workload `a` reach workload `b` (indices into
/// `Model::workloads`) where the network carries the traffic and their
/// security groups refuse it: an outbound rule in the source's group, an
/// inbound rule in the destination's, or both, each naming the peer's
/// group where AWS allows the reference (same VPC, an active same-Region
/// peering, a transit gateway with referencing on, inbound only) and the
/// peer's subnet blocks otherwise. Each set is applied to a copy of the
/// model and kept only when the pair becomes `reachable`.
pub fn workload_fixes(model: &Model, a: usize, b: usize, flow: Option<&Flow>) -> Vec<Fix> {
    let verdict = |m: &Model| {
        workloads::evaluate(m, &[a], &[b], flow)
            .pop()
            .map(|p| (p.verdict, p.reasons))
    };
    let Some((base, reasons)) = verdict(model) else {
        return Vec::new();
    };
    if base == Verdict::Reachable {
        return Vec::new();
    }
    let said = |c: &str| reasons.iter().any(|r| r.code == c);
    let rule = match (flow.and_then(|f| f.protocol), flow.and_then(|f| f.port)) {
        (Some(p @ (TCP | UDP)), Some(port)) => AclFlows::Ports(p, port, port),
        (Some(p @ (TCP | UDP)), None) => AclFlows::Ports(p, 0, 65535),
        (Some(p), _) => AclFlows::Protocol(p),
        (None, _) => match model.workloads[b].ports.first() {
            Some(port) => AclFlows::Ports(port.protocol, port.port, port.port),
            None => AclFlows::All,
        },
    };
    let out = (said(codes::SG_EGRESS_DENIES) || said(codes::DEFAULT_EGRESS_REMOVED))
        .then(|| sg_edit(model, a, b, true, rule))
        .flatten();
    let inb = said(codes::SG_INGRESS_DENIES)
        .then(|| sg_edit(model, b, a, false, rule))
        .flatten();
    let sets: Vec<Vec<SgEdit>> = [
        out.iter().cloned().collect(),
        inb.iter().cloned().collect(),
        out.iter().chain(&inb).cloned().collect(),
    ]
    .into_iter()
    .filter(|s: &Vec<SgEdit>| !s.is_empty())
    .collect();
    for set in sets {
        let mut work = model.clone();
        for e in &set {
            apply_sg(&mut work, e);
        }
        if verdict(&work).map(|v| v.0) == Some(Verdict::Reachable) {
            let mut fix = describe_sg(model, &set);
            fix.alters = workload_side_effects(model, &work, a, b, flow);
            return vec![fix];
        }
    }
    Vec::new()
}

/// The other ordered pairs of the workloads in the two workloads' VPCs
/// whose verdict differs between `before` and `after`.
fn workload_side_effects(
    before: &Model,
    after: &Model,
    a: usize,
    b: usize,
    flow: Option<&Flow>,
) -> Vec<Altered> {
    let vpc = |w: usize| {
        before.workloads[w]
            .places
            .first()
            .and_then(|&s| before.subnet_vpc(s))
    };
    let vpcs = [vpc(a), vpc(b)];
    let near: Vec<usize> = (0..before.workloads.len())
        .filter(|&w| vpc(w).is_some() && vpcs.contains(&vpc(w)))
        .take(64)
        .collect();
    let verdicts = |m: &Model| -> Vec<(usize, usize, Verdict)> {
        workloads::evaluate(m, &near, &near, flow)
            .into_iter()
            .map(|p| (p.from, p.to, p.verdict))
            .collect()
    };
    let (was, now) = (verdicts(before), verdicts(after));
    was.iter()
        .zip(&now)
        .filter(|(x, y)| x.2 != y.2 && (x.0, x.1) != (a, b))
        .map(|(x, y)| Altered {
            from: before.workloads[x.0].address.clone(),
            to: before.workloads[x.1].address.clone(),
            before: x.2,
            after: y.2,
        })
        .collect()
}

/// Rules in the first group of workload `own` towards workload `peer`.
fn sg_edit(m: &Model, own: usize, peer: usize, egress: bool, rule: AclFlows) -> Option<SgEdit> {
    let (w, p) = (&m.workloads[own], &m.workloads[peer]);
    let &group = w.security_groups.first()?;
    let side = if egress { Side::Egress } else { Side::Ingress };
    let vpc = |x: &crate::model::Workload| x.places.first().and_then(|&s| m.subnet_vpc(s));
    let referable = reference_scope(m, vpc(w), vpc(p), side).is_ok();
    let peers: Vec<SgPeer> = match p.security_groups.first() {
        Some(&g) if referable => vec![SgPeer::Group(g)],
        _ => {
            let mut blocks: Vec<SgPeer> = p
                .places
                .iter()
                .flat_map(|&s| m.subnets[s].cidrs.all().copied().collect::<Vec<_>>())
                .map(SgPeer::Cidr)
                .collect();
            blocks.dedup();
            blocks
        }
    };
    (!peers.is_empty()).then_some(SgEdit {
        group,
        egress,
        peers,
        rule,
    })
}

/// Adds the rules of `e` to the group.
fn apply_sg(m: &mut Model, e: &SgEdit) {
    let addresses: Vec<Option<String>> = e
        .peers
        .iter()
        .map(|p| match p {
            SgPeer::Group(g) => Some(m.security_groups[*g].address.clone()),
            SgPeer::Cidr(_) => None,
        })
        .collect();
    let g = &mut m.security_groups[e.group];
    let list = if e.egress {
        &mut g.egress
    } else {
        &mut g.ingress
    };
    for (p, address) in e.peers.iter().zip(addresses) {
        list.push(SgRule {
            cidr: match p {
                SgPeer::Cidr(c) => Some(*c),
                SgPeer::Group(_) => None,
            },
            peer: address,
            group: match p {
                SgPeer::Group(x) => Some(Link::To(*x)),
                SgPeer::Cidr(_) => None,
            },
            self_ref: false,
            prefix_list: None,
            flows: e.rule.flows(),
            unknown: None,
            resource: "(new rule)".into(),
        });
    }
}

/// How HCL names security group `g`: the resource that holds it, the
/// attribute that gives its ID, and the ID when the input has it. A group
/// of the input is its own resource; the VPC's default group as AWS
/// creates it is its VPC's `default_security_group_id`; the cluster group
/// EKS creates is its cluster's `vpc_config[0].cluster_security_group_id`,
/// and the remote access group its node group's
/// `resources[0].remote_access_security_group_id`.
fn group_owner(m: &Model, g: usize) -> (String, &'static str, Option<&str>) {
    let sg = &m.security_groups[g];
    match sg.origin {
        SgOrigin::Input => (sg.address.clone(), "id", sg.aws_id.as_deref()),
        SgOrigin::AwsDefault => match sg.vpc.index() {
            Some(v) => (m.vpcs[v].address.clone(), "default_security_group_id", None),
            None => (sg.address.clone(), "id", None),
        },
        SgOrigin::ServiceCreated if sg.address.ends_with(REMOTE_ACCESS_GROUP_SUFFIX) => (
            sg.address[..sg.address.len() - REMOTE_ACCESS_GROUP_SUFFIX.len()].to_string(),
            "resources[0].remote_access_security_group_id",
            None,
        ),
        SgOrigin::ServiceCreated => {
            let cluster = sg
                .address
                .strip_suffix(CLUSTER_GROUP_SUFFIX)
                .unwrap_or(&sg.address);
            (
                cluster.to_string(),
                "vpc_config[0].cluster_security_group_id",
                None,
            )
        }
    }
}

/// One fix from security group rules.
fn describe_sg(m: &Model, set: &[SgEdit]) -> Fix {
    let mut notes = Vec::new();
    let mut changes = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for e in set {
        let g = &m.security_groups[e.group];
        let (owner, attr, id) = group_owner(m, e.group);
        let home = split(&owner).module.to_string();
        let way = if e.egress { "egress" } else { "ingress" };
        let list = if e.egress { &g.egress } else { &g.ingress };
        // Rules written in the group's own block, which a group AWS or a
        // service created has not.
        let inline = g.origin == SgOrigin::Input
            && !list.is_empty()
            && list.iter().all(|r| r.resource == g.address);
        let (protocol, from_port, to_port) = e.rule.protocol_and_ports();
        let mut refs = Refs { notes: &mut notes };
        for peer in &e.peers {
            let (what, hcl) = match peer {
                SgPeer::Group(x) => {
                    let pg = &m.security_groups[*x];
                    let (address, attr, id) = group_owner(m, *x);
                    let r = refs.to(&home, &address, attr, id);
                    (
                        format!("group {}", pg.address),
                        if inline {
                            ("security_groups", format!("[{r}]"))
                        } else {
                            ("referenced_security_group_id", r)
                        },
                    )
                }
                SgPeer::Cidr(c) => (
                    c.to_string(),
                    match (inline, c.family) {
                        (true, Family::V4) => ("cidr_blocks", format!("[\"{c}\"]")),
                        (true, Family::V6) => ("ipv6_cidr_blocks", format!("[\"{c}\"]")),
                        (false, Family::V4) => ("cidr_ipv4", format!("\"{c}\"")),
                        (false, Family::V6) => ("cidr_ipv6", format!("\"{c}\"")),
                    },
                ),
            };
            let ports: Vec<(&str, String)> = if protocol == "-1" && !inline {
                Vec::new()
            } else {
                vec![
                    ("from_port", from_port.to_string()),
                    ("to_port", to_port.to_string()),
                ]
            };
            let text = if inline {
                let mut lines = ports.clone();
                lines.push(("protocol", format!("\"{protocol}\"")));
                lines.push(hcl);
                format!("{way} {{\n{}}}\n", attrs(&lines, "  "))
            } else {
                let base = format!("fix_{}_{way}", name_of(&owner));
                let mut name = base.clone();
                let mut k = 2;
                while names.contains(&name) {
                    name = format!("{base}_{k}");
                    k += 1;
                }
                names.push(name.clone());
                let mut lines = vec![("security_group_id", refs.to(&home, &owner, attr, id))];
                lines.push(hcl);
                lines.push(("ip_protocol", format!("\"{protocol}\"")));
                lines.extend(ports);
                format!(
                    "resource \"aws_vpc_security_group_{way}_rule\" \"{name}\" {{\n{}}}\n",
                    attrs(&lines, "  ")
                )
            };
            let dir = if e.egress { "to" } else { "from" };
            changes.push(Change {
                kind: "add_security_group_rule",
                description: format!(
                    "let {} admit {} {dir} {what}{}",
                    g.address,
                    e.rule.words(),
                    if inline {
                        format!(" (an {way} block: its {way} rules are inline)")
                    } else {
                        String::new()
                    }
                ),
                module: home.clone(),
                document: None,
                resource: g.address.clone(),
                placed: None,
                insert: if inline {
                    Insert::Inside
                } else {
                    Insert::Before
                },
                hcl: text,
            });
        }
    }
    place_documents(&mut changes);
    notes.sort();
    notes.dedup();
    let summary = summary_of(&changes);
    Fix {
        cost: changes.len(),
        summary,
        changes,
        alters: Vec::new(),
        note: (!notes.is_empty()).then(|| notes.join("; ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_split_into_module_and_local_address() {
        let a = split(r#"module.net["prod"].module.sub.aws_route_table.rt["a.b"]"#);
        assert_eq!(a.module, r#"module.net["prod"].module.sub"#);
        assert_eq!(a.local, r#"aws_route_table.rt["a.b"]"#);
        let b = split("aws_vpc.a");
        assert_eq!((b.module, b.local), ("", "aws_vpc.a"));
        let c = split(r#"net:module.hub["a:b"].aws_vpc.a"#);
        assert_eq!(
            (c.module, c.local),
            (r#"net:module.hub["a:b"]"#, "aws_vpc.a")
        );
        let d = split("net:aws_vpc.a");
        assert_eq!((d.module, d.local), ("net:", "aws_vpc.a"));
        assert_eq!(module_name("net:"), "the root module of net");
        assert_eq!(join_address("net:", "aws_vpc.a"), "net:aws_vpc.a");
    }

    #[test]
    fn references_across_modules_use_the_id_or_a_variable() {
        let mut notes = Vec::new();
        let mut r = Refs { notes: &mut notes };
        assert_eq!(
            r.to("module.net", "module.net.aws_vpc.a", "id", None),
            "aws_vpc.a.id"
        );
        assert_eq!(
            r.to("", "module.net.aws_vpc.a", "id", Some("vpc-1")),
            "\"vpc-1\""
        );
        assert_eq!(
            r.to("", r#"module.net.aws_vpc.a["x"]"#, "id", None),
            "var.aws_vpc_a_x_id"
        );
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains("into the root module as variable `aws_vpc_a_x_id`"));
    }
}
