//! Workload to workload: does a connection open, and on what?
//!
//! For an ordered pair of workloads, every pair of their places (source
//! subnet, destination subnet) is decided in two layers:
//!
//! 1. The network: the subnet pair's walks (`pair::evaluate_pair_flow`),
//!    routes and network ACLs both ways, give the traffic that gets there
//!    and whose replies get back, box of addresses by box. Two places in
//!    the same subnet need no route and pass no ACL.
//! 2. The security groups: the source's outbound rules towards the
//!    destination and the destination's inbound rules from the source, for
//!    the opening packet only (`security_group::admitted`).
//!
//! What opens is what both layers let through. A place pair is reachable
//! when something opens for every address box, and the workload pair when
//! every place pair is; the verdict is `unknown` when deciding what is not
//! known could change it (as for subnet pairs). Subnet pairs are evaluated
//! once each, however many workloads share them, in parallel.

use foldhash::{HashMap, HashMapExt};
use std::borrow::Cow;
use std::collections::BTreeSet;

use rayon::prelude::*;

use super::pair::{evaluate_pair_flow, PairEval};
use super::security_group::{admitted, Admitted, PeerEnd, Side};
use super::walk::{Detail, Outcome};
use crate::codes;
use crate::model::workload::{Port, Workload};
use crate::model::{Direction, Flow, FlowSet, Model, Reason, Verdict};
use crate::net::{Family, Interval};

/// The sets of one box of address pairs.
#[derive(Debug, Clone)]
struct CellSets {
    /// Opens and comes back.
    opens: FlowSet,
    /// May open, depending on what is not known.
    maybe: FlowSet,
    /// The opening packet arrives, the replies do not come back.
    one_way: FlowSet,
}

impl CellSets {
    /// A workload whose subnets are not known until apply: a place that
    /// may open anything asked.
    fn unknown_place(flow: Option<&Flow>) -> CellSets {
        CellSets {
            opens: FlowSet::empty(),
            maybe: asked(flow, Family::V4),
            one_way: FlowSet::empty(),
        }
    }

    /// A subnet pair decided without boxes (unknown blocks, no common
    /// family): nothing opens, and everything asked may when the verdict
    /// is `unknown`.
    fn without_boxes(pe: &PairEval, flow: Option<&Flow>) -> CellSets {
        CellSets {
            opens: FlowSet::empty(),
            maybe: if pe.verdict == Verdict::Unknown {
                asked(flow, Family::V4)
            } else {
                FlowSet::empty()
            },
            one_way: FlowSet::empty(),
        }
    }
}

/// The answer for one place pair.
#[derive(Debug, Clone)]
pub struct PlaceResult {
    pub from_subnet: usize,
    pub to_subnet: usize,
    pub verdict: Verdict,
    /// What opens, in words (`None` when nothing does).
    pub opens: Option<String>,
    /// The source's outbound rules that admit what opens.
    pub egress_rules: Vec<String>,
    /// The destination's inbound rules that admit what opens.
    pub ingress_rules: Vec<String>,
    pub reasons: Vec<Reason>,
}

/// One served port of the destination, and whether it opens.
#[derive(Debug, Clone)]
pub struct PortResult {
    pub port: Port,
    pub verdict: Verdict,
}

/// The answer for one ordered pair of workloads.
#[derive(Debug, Clone)]
pub struct WorkloadPair {
    /// Indices into `Model::workloads`.
    pub from: usize,
    pub to: usize,
    pub verdict: Verdict,
    /// What opens everywhere (and what only somewhere), when something
    /// opens.
    pub traffic: Option<String>,
    /// What opens from some place pair (every family): what `diff
    /// --workloads` compares beside the verdict.
    pub opened: FlowSet,
    /// The destination's served ports.
    pub ports: Vec<PortResult>,
    pub places: Vec<PlaceResult>,
    pub reasons: Vec<Reason>,
}

impl WorkloadPair {
    /// A pair nothing could be said of.
    pub fn undecided(from: usize, to: usize) -> WorkloadPair {
        WorkloadPair {
            from,
            to,
            verdict: Verdict::Unknown,
            traffic: None,
            opened: FlowSet::empty(),
            ports: Vec::new(),
            places: Vec::new(),
            reasons: Vec::new(),
        }
    }
}

/// The VPC of a workload (that of its first known place).
fn vpc_of(model: &Model, w: &Workload) -> Option<usize> {
    w.places.first().and_then(|&s| model.subnet_vpc(s))
}

/// A set of flows in words: relative to all traffic (`all traffic but tcp
/// 22`) when no flow is named, plainly (`tcp 5432`) when one is.
fn words(set: &FlowSet, universe: &FlowSet, flow: Option<&Flow>) -> String {
    match flow {
        Some(_) => set.describe(8),
        None => set.describe_within(universe, 8),
    }
}

fn asked(flow: Option<&Flow>, family: Family) -> FlowSet {
    match flow {
        Some(f) => f.forward(family),
        None => FlowSet::connections(family),
    }
}

/// What an evaluation writes beside the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Text {
    /// Reasons, rules and what opens, in words.
    Full,
    /// The cells the verdict is read from, nothing else.
    VerdictOnly,
}

/// One box of address pairs of a subnet pair, as the security groups read
/// it: the traffic the network carries there (sure, maybe, one way).
#[derive(Debug, Clone)]
struct NetCell {
    family: Family,
    src: Interval,
    dst: Interval,
    /// Gets there and back.
    sure: FlowSet,
    /// May get there and back, depending on what is not known.
    maybe: FlowSet,
    /// Gets there, its replies do not come back.
    forward: FlowSet,
    /// A NAT gateway translated the source on the way.
    translated: bool,
}

impl NetCell {
    /// What the walks of one box of a subnet pair carry: there and back,
    /// maybe (an outcome not known until apply, nothing dropped), or there
    /// only.
    fn of(c: &super::pair::Cell, flow: Option<&Flow>) -> NetCell {
        let q = asked(flow, c.family);
        let delivered = c.forward.outcome == Outcome::Delivered;
        let back = c.ret.outcome == Outcome::Delivered;
        let trip = c.round_trip.clone().unwrap_or_else(|| q.clone());
        let unknown = [c.forward.outcome, c.ret.outcome].contains(&Outcome::Unknown)
            && !(c.forward.outcome == Outcome::Dropped || c.ret.outcome == Outcome::Dropped);
        NetCell {
            family: c.family,
            src: c.src,
            dst: c.dst,
            sure: if delivered && back {
                trip.clone()
            } else {
                FlowSet::empty()
            },
            maybe: if unknown { trip } else { FlowSet::empty() },
            forward: if delivered && !back {
                c.forward.flows.clone().unwrap_or(q)
            } else {
                FlowSet::empty()
            },
            translated: !c.forward.nats.is_empty(),
        }
    }

    /// The box when whether its ends have addresses in it is not known
    /// until apply: everything it carries only may be.
    fn maybe_only(&self) -> NetCell {
        NetCell {
            sure: FlowSet::empty(),
            maybe: self.sure.union(&self.maybe).union(&self.forward),
            forward: FlowSet::empty(),
            ..self.clone()
        }
    }
}

/// The network's answer for one subnet pair, shared by every workload pair
/// placed there: only what the security groups read of it, so that the
/// answers for every subnet pair of a large estate fit in memory.
#[derive(Debug, Clone)]
struct Net {
    /// The reasons each place pair on it carries.
    reasons: Vec<Reason>,
    boxes: Vec<NetCell>,
    /// Decided without boxes (unknown blocks, no common family): the sets
    /// of its one cell.
    without_boxes: Option<CellSets>,
}

impl Net {
    /// Two places in one subnet: delivered locally, no route and no ACL.
    fn local(model: &Model, sa: usize, flow: Option<&Flow>) -> Net {
        let s = &model.subnets[sa];
        let mut boxes = Vec::new();
        for family in [Family::V4, Family::V6] {
            if let Some(p) = s.cidr(family) {
                let q = asked(flow, family);
                boxes.push(NetCell {
                    family,
                    src: p.interval(),
                    dst: p.interval(),
                    sure: q.clone(),
                    maybe: FlowSet::empty(),
                    forward: q,
                    translated: false,
                });
            }
        }
        let reasons = match &s.cidrs.unknown {
            Some(why) => vec![Reason {
                code: codes::UNKNOWN_CIDR,
                resource: Some(s.address.as_str().into()),
                message: why.as_str().into(),
                direction: Direction::Forward,
            }],
            None => Vec::new(),
        };
        Net {
            reasons,
            boxes,
            without_boxes: None,
        }
    }

    /// Two subnets: their walks both ways, box by box.
    fn pair(pe: PairEval, flow: Option<&Flow>) -> Net {
        let without_boxes = pe
            .cells
            .is_empty()
            .then(|| CellSets::without_boxes(&pe, flow));
        let boxes = pe.cells.iter().map(|c| NetCell::of(c, flow)).collect();
        Net {
            reasons: if pe.verdict != Verdict::Reachable {
                pe.reasons
            } else {
                Vec::new()
            },
            boxes,
            without_boxes,
        }
    }
}

/// Evaluates every ordered pair of `selected` workloads whose ends the
/// selections take (`from(i)`, `to(j)`), for `flow` (`None`: any traffic),
/// in (from, to) order: [`Evaluation`] over [`ordered_pairs`], held.
pub fn evaluate(
    model: &Model,
    from: &[usize],
    to: &[usize],
    flow: Option<&Flow>,
) -> Vec<WorkloadPair> {
    Evaluation::prepare(model, from, to, flow).pairs(&ordered_pairs(from, to))
}

/// [`evaluate`], every pair evaluated by itself: the reference the shared
/// evaluation is tested against.
pub fn evaluate_each(
    model: &Model,
    from: &[usize],
    to: &[usize],
    flow: Option<&Flow>,
) -> Vec<WorkloadPair> {
    let e = Evaluation::prepare(model, from, to, flow);
    ordered_pairs(from, to)
        .par_iter()
        .map(|&(a, b)| evaluate_one(model, a, b, flow, &|x, y| e.net(x, y)))
        .collect()
}

/// Every ordered pair of two workloads, one from `from` and one from `to`,
/// in (from, to) order.
pub fn ordered_pairs(from: &[usize], to: &[usize]) -> Vec<(usize, usize)> {
    from.iter()
        .flat_map(|&a| to.iter().filter(move |&&b| b != a).map(move |&b| (a, b)))
        .collect()
}

/// The profile of each workload: workloads with the same number are
/// evaluated alike (everything `evaluate_one` reads of a workload but its
/// address and kind).
fn profiles(model: &Model) -> Vec<usize> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    model
        .workloads
        .iter()
        .map(|w| {
            let key = format!(
                "{:?}",
                (
                    &w.places,
                    &w.places_unknown,
                    &w.security_groups,
                    &w.security_groups_unknown,
                    w.unguarded,
                    &w.ports,
                    &w.public_ipv4,
                    &w.ipv6,
                )
            );
            let n = seen.len();
            *seen.entry(key).or_insert(n)
        })
        .collect()
}

/// True when an answer names no workload: it may stand for any pair of
/// the same two profiles.
fn textless(p: &WorkloadPair) -> bool {
    p.reasons.is_empty() && p.places.iter().all(|pl| pl.reasons.is_empty())
}

/// What the pairs of two selections of workloads share: the network's
/// answer for every subnet pair they are placed on (each walked once, in
/// parallel), and each workload's profile. Pairs are then evaluated in
/// batches of any size ([`Evaluation::pairs`]), so a caller may write a
/// million of them a batch at a time without holding them all.
///
/// Workloads that share a profile (the same subnets, groups, ports and
/// public address: everything the evaluation reads of a workload but its
/// address) share work within a batch: one pair per ordered pair of
/// profiles is evaluated, and its answer serves every other pair of the
/// same two profiles when it carries no text (no reason: those name the
/// workloads). Pairs whose answer has reasons are evaluated each.
/// [`evaluate_each`] evaluates every pair by itself;
/// `tests/integration/sharing.rs` compares the two.
pub struct Evaluation<'m> {
    model: &'m Model,
    flow: Option<&'m Flow>,
    /// For each subnet, its row in `grid` (a place of a source workload).
    row_of: Vec<usize>,
    /// For each subnet, its column in `grid` (a place of a destination).
    column_of: Vec<usize>,
    columns: usize,
    /// The network's answer for each pair of a source and a destination
    /// place that two distinct workloads sit on, row by row.
    grid: Vec<Option<Net>>,
    profile: Vec<usize>,
}

impl<'m> Evaluation<'m> {
    /// The subnet pairs the pairs of `from` and `to` need, evaluated.
    pub fn prepare(
        model: &'m Model,
        from: &[usize],
        to: &[usize],
        flow: Option<&'m Flow>,
    ) -> Evaluation<'m> {
        let places = |ws: &[usize]| -> BTreeSet<usize> {
            ws.iter()
                .flat_map(|&w| model.workloads[w].places.iter().copied())
                .collect()
        };
        // A subnet pair is needed when two distinct workloads sit on its
        // ends; a workload placed on both ends is paired with another one
        // there unless it is the only workload on one end.
        let (from_places, to_places) = (places(from), places(to));
        let mut on: HashMap<usize, (BTreeSet<usize>, BTreeSet<usize>)> = HashMap::new();
        for &w in from {
            for &s in &model.workloads[w].places {
                on.entry(s).or_default().0.insert(w);
            }
        }
        for &w in to {
            for &s in &model.workloads[w].places {
                on.entry(s).or_default().1.insert(w);
            }
        }
        let (from_places, to_places): (Vec<usize>, Vec<usize>) = (
            from_places.into_iter().collect(),
            to_places.into_iter().collect(),
        );
        // One cell per pair of places, in a grid: the answer of every
        // subnet pair needed, two places in one subnet included.
        let grid: Vec<Option<Net>> = (0..from_places.len() * to_places.len())
            .into_par_iter()
            .map(|k| {
                let (sa, sb) = (
                    from_places[k / to_places.len()],
                    to_places[k % to_places.len()],
                );
                if sa == sb {
                    return Some(Net::local(model, sa, flow));
                }
                let (ws_a, ws_b) = (&on[&sa].0, &on[&sb].1);
                let needed = ws_a.len() > 1 || ws_b.len() > 1 || ws_a != ws_b;
                needed.then(|| {
                    let pe = evaluate_pair_flow(model, sa, sb, Detail::Reasons, flow);
                    Net::pair(pe, flow)
                })
            })
            .collect();
        let position = |places: &[usize]| {
            let mut at = vec![usize::MAX; model.subnets.len()];
            for (i, &s) in places.iter().enumerate() {
                at[s] = i;
            }
            at
        };
        Evaluation {
            model,
            flow,
            row_of: position(&from_places),
            column_of: position(&to_places),
            columns: to_places.len(),
            grid,
            profile: profiles(model),
        }
    }

    /// The network's answer from subnet `sa` to `sb`: prepared when they
    /// are places of a source and a destination workload of the
    /// selections, else (a pair outside them) evaluated now.
    fn net(&self, sa: usize, sb: usize) -> Cow<'_, Net> {
        let (row, column) = (self.row_of[sa], self.column_of[sb]);
        let prepared = (row != usize::MAX && column != usize::MAX)
            .then(|| self.grid[row * self.columns + column].as_ref())
            .flatten();
        match prepared {
            Some(n) => Cow::Borrowed(n),
            None if sa == sb => Cow::Owned(Net::local(self.model, sa, self.flow)),
            None => {
                let pe = evaluate_pair_flow(self.model, sa, sb, Detail::Reasons, self.flow);
                Cow::Owned(Net::pair(pe, self.flow))
            }
        }
    }

    /// The answers for `pairs` (each of two selected workloads, from the
    /// first selection to the second), in their order.
    pub fn pairs(&self, pairs: &[(usize, usize)]) -> Vec<WorkloadPair> {
        self.map_pairs(pairs, &|a, b, p| WorkloadPair {
            from: a,
            to: b,
            ..p.into_owned()
        })
    }

    /// `f(a, b, answer)` for each of `pairs`, in their order. The answer
    /// may be another pair's of the same two profiles, borrowed (its `from`
    /// and `to` are then not `a` and `b`, and nothing else in it names
    /// them), so `f` reads the pair from `a` and `b`.
    pub fn map_pairs<T: Send>(
        &self,
        pairs: &[(usize, usize)],
        f: &(dyn Fn(usize, usize, Cow<'_, WorkloadPair>) -> T + Sync),
    ) -> Vec<T> {
        let (model, flow) = (self.model, self.flow);
        let net = |x: usize, y: usize| self.net(x, y);
        let shared = self.firsts(pairs, &|a, b| evaluate_one(model, a, b, flow, &net));
        pairs
            .par_iter()
            .map(
                |&(a, b)| match shared.get(&(self.profile[a], self.profile[b])) {
                    Some(p) if (p.from, p.to) == (a, b) || textless(p) => f(a, b, Cow::Borrowed(p)),
                    _ => f(a, b, Cow::Owned(evaluate_one(model, a, b, flow, &net))),
                },
            )
            .collect()
    }

    /// The verdicts of `pairs`, in their order: [`Evaluation::pairs`]
    /// without the text, one evaluation per ordered pair of profiles.
    pub fn verdicts(&self, pairs: &[(usize, usize)]) -> Vec<Verdict> {
        let (model, flow) = (self.model, self.flow);
        let net = |x: usize, y: usize| self.net(x, y);
        let shared = self.firsts(pairs, &|a, b| verdict_one(model, a, b, flow, &net));
        pairs
            .par_iter()
            .map(|&(a, b)| shared[&(self.profile[a], self.profile[b])])
            .collect()
    }

    /// `eval` of the first pair of each ordered pair of profiles in
    /// `pairs`, by the two profiles.
    fn firsts<T: Send>(
        &self,
        pairs: &[(usize, usize)],
        eval: &(dyn Fn(usize, usize) -> T + Sync),
    ) -> HashMap<(usize, usize), T> {
        let mut first: HashMap<(usize, usize), (usize, usize)> = HashMap::new();
        for &(a, b) in pairs {
            first
                .entry((self.profile[a], self.profile[b]))
                .or_insert((a, b));
        }
        let firsts: Vec<((usize, usize), (usize, usize))> = first.into_iter().collect();
        firsts
            .par_iter()
            .map(|&(key, (a, b))| (key, eval(a, b)))
            .collect()
    }
}

fn evaluate_one<'n>(
    model: &Model,
    a: usize,
    b: usize,
    flow: Option<&Flow>,
    net: &dyn Fn(usize, usize) -> Cow<'n, Net>,
) -> WorkloadPair {
    let (src, dst) = (&model.workloads[a], &model.workloads[b]);
    let mut g = Gather::default();
    g.unknown_place(src, flow);
    g.unknown_place(dst, flow);
    for &sa in &src.places {
        for &sb in &dst.places {
            let (cells, place) =
                evaluate_place(model, src, dst, (sa, sb), flow, &net(sa, sb), Text::Full);
            g.add(cells, place);
        }
    }
    g.finish(a, b, &dst.ports, flow)
}

/// The verdict of [`evaluate_one`], without its text.
fn verdict_one<'n>(
    model: &Model,
    a: usize,
    b: usize,
    flow: Option<&Flow>,
    net: &dyn Fn(usize, usize) -> Cow<'n, Net>,
) -> Verdict {
    let (src, dst) = (&model.workloads[a], &model.workloads[b]);
    let mut cells: Vec<CellSets> = [src, dst]
        .iter()
        .filter(|w| w.places_unknown.is_some())
        .map(|_| CellSets::unknown_place(flow))
        .collect();
    for &sa in &src.places {
        for &sb in &dst.places {
            let net = net(sa, sb);
            cells
                .extend(evaluate_place(model, src, dst, (sa, sb), flow, &net, Text::VerdictOnly).0);
        }
    }
    if cells.is_empty() {
        Verdict::Unknown
    } else {
        verdict_for(&cells, None)
    }
}

/// What a workload pair gathers from its place pairs, and the pair's answer
/// from them.
#[derive(Default)]
struct Gather {
    cells: Vec<CellSets>,
    places: Vec<PlaceResult>,
    reasons: Vec<Reason>,
    open_sets: Vec<FlowSet>,
}

impl Gather {
    /// A workload whose subnets are not known until apply: a place that
    /// stands for every outcome.
    fn unknown_place(&mut self, w: &crate::model::Workload, flow: Option<&Flow>) {
        let Some(why) = &w.places_unknown else {
            return;
        };
        self.reasons.push(Reason {
            code: codes::WORKLOAD_PLACE_UNKNOWN,
            resource: Some(w.address.as_str().into()),
            message: why.as_str().into(),
            direction: Direction::Forward,
        });
        self.cells.push(CellSets::unknown_place(flow));
    }

    /// One place pair: what opens there and its verdict.
    fn add(&mut self, cells: Vec<CellSets>, mut place: PlaceResult) {
        let mut opened = FlowSet::empty();
        for c in &cells {
            opened = opened.union(&c.opens);
        }
        if !opened.is_empty() {
            self.open_sets.push(opened);
        }
        place.verdict = verdict_for(&cells, None);
        if place.verdict == Verdict::Reachable {
            place.reasons.clear();
        }
        self.cells.extend(cells);
        self.places.push(place);
    }

    /// The pair's verdict over every place pair, its reasons, what opens,
    /// and the verdict on each of `ports` the flow takes.
    fn finish(
        mut self,
        from: usize,
        to: usize,
        ports: &[Port],
        flow: Option<&Flow>,
    ) -> WorkloadPair {
        let all = &self.cells;
        let verdict = if all.is_empty() {
            Verdict::Unknown
        } else {
            verdict_for(all, None)
        };
        if verdict != Verdict::Reachable {
            for p in &self.places {
                self.reasons.extend(p.reasons.iter().cloned());
            }
        }
        self.reasons
            .sort_by(|x, y| x.direction.cmp(&y.direction).then_with(|| x.cmp(y)));
        self.reasons.dedup();
        let traffic = describe(&self.open_sets, flow, &self.places);
        let opened = self
            .open_sets
            .iter()
            .fold(FlowSet::empty(), |acc, s| acc.union(s));
        let ports = ports
            .iter()
            .filter(|p| flow_takes(flow, p))
            .map(|p| PortResult {
                port: p.clone(),
                verdict: if all.is_empty() {
                    Verdict::Unknown
                } else {
                    verdict_for(all, Some(&FlowSet::ports(p.protocol, p.port, p.port)))
                },
            })
            .collect();
        WorkloadPair {
            from,
            to,
            verdict,
            traffic,
            opened,
            ports,
            places: self.places,
            reasons: self.reasons,
        }
    }
}

/// Does the asked flow include the served port?
fn flow_takes(flow: Option<&Flow>, p: &Port) -> bool {
    match flow {
        None => true,
        Some(f) => f
            .forward(Family::V4)
            .overlaps(&FlowSet::ports(p.protocol, p.port, p.port)),
    }
}

/// What opens, in words: common to every place pair, and what only some
/// have.
fn describe(sets: &[FlowSet], flow: Option<&Flow>, places: &[PlaceResult]) -> Option<String> {
    let first = sets.first()?;
    let universe = asked(flow, Family::V4);
    let mut common = first.clone();
    let mut any = first.clone();
    for s in &sets[1..] {
        common = common.intersect(s);
        any = any.union(s);
    }
    let every_place = sets.len() == places.len();
    if common == any && every_place {
        Some(words(&any, &universe, flow))
    } else if common.is_empty() || !every_place {
        Some(format!(
            "{}, from some places only",
            words(&any, &universe, flow)
        ))
    } else {
        Some(format!(
            "{} from every place; also {} from some",
            words(&common, &universe, flow),
            any.minus(&common).describe(8)
        ))
    }
}

/// The verdict of a set of cells for query `q` (`None`: any traffic).
fn verdict_for(cells: &[CellSets], q: Option<&FlowSet>) -> Verdict {
    let hits = |s: &FlowSet| match q {
        None => !s.is_empty(),
        Some(q) => s.contains_all(q),
    };
    let touches = |s: &FlowSet| match q {
        None => !s.is_empty(),
        Some(q) => s.overlaps(q),
    };
    let of = |optimistic: bool| {
        let trips = cells
            .iter()
            .filter(|c| {
                hits(&c.opens)
                    || (optimistic && touches(&c.maybe) && hits(&c.opens.union(&c.maybe)))
            })
            .count();
        if trips == cells.len() {
            Verdict::Reachable
        } else if trips > 0 {
            Verdict::Partial
        } else if cells.iter().any(|c| touches(&c.one_way)) {
            Verdict::OneWay
        } else {
            Verdict::Blocked
        }
    };
    let (o, p) = (of(true), of(false));
    if o == p {
        o
    } else {
        Verdict::Unknown
    }
}

/// One place pair: its cells and what explains them.
fn evaluate_place(
    model: &Model,
    src: &Workload,
    dst: &Workload,
    (sa, sb): (usize, usize),
    flow: Option<&Flow>,
    net: &Net,
    text: Text,
) -> (Vec<CellSets>, PlaceResult) {
    let mut place = PlaceResult {
        from_subnet: sa,
        to_subnet: sb,
        verdict: Verdict::Blocked,
        opens: None,
        egress_rules: Vec::new(),
        ingress_rules: Vec::new(),
        reasons: Vec::new(),
    };
    if text == Text::Full {
        place.reasons.extend(net.reasons.iter().cloned());
    }
    if let Some(sets) = &net.without_boxes {
        return (vec![sets.clone()], place);
    }
    let boxes = &net.boxes;
    let (src_vpc, dst_vpc) = (vpc_of(model, src), vpc_of(model, dst));
    let mut cells = Vec::new();
    let mut opened = FlowSet::empty();
    let mut egress_rules: BTreeSet<String> = BTreeSet::new();
    let mut ingress_rules: BTreeSet<String> = BTreeSet::new();
    let v6 = v6_ends(&[ipv6_of_place(model, src, sa), ipv6_of_place(model, dst, sb)]);
    for b in boxes {
        // An IPv6 box holds an address pair only when both ends have one.
        let maybe_only;
        let b = match (b.family, v6) {
            (Family::V6, V6Ends::None) => continue,
            (Family::V6, V6Ends::Maybe) => {
                maybe_only = b.maybe_only();
                &maybe_only
            }
            _ => b,
        };
        if b.sure.is_empty() && b.maybe.is_empty() && b.forward.is_empty() {
            // The network carries nothing here: nothing opens, whatever
            // the groups say, and they are not the reason.
            cells.push(CellSets {
                opens: FlowSet::empty(),
                maybe: FlowSet::empty(),
                one_way: FlowSet::empty(),
            });
            continue;
        }
        let q = asked(flow, b.family);
        let to_dst = PeerEnd {
            family: b.family,
            addrs: b.dst,
            workload: dst,
            vpc: dst_vpc,
            translated: false,
            internet: false,
        };
        let from_src = PeerEnd {
            family: b.family,
            addrs: b.src,
            workload: src,
            vpc: src_vpc,
            translated: b.translated,
            internet: false,
        };
        let eg = admitted(model, src, Side::Egress, &to_dst, &q);
        let ing = admitted(model, dst, Side::Ingress, &from_src, &q);
        let sg_sure = eg.sure.intersect(&ing.sure);
        let sg_any = eg
            .sure
            .union(&eg.maybe)
            .intersect(&ing.sure.union(&ing.maybe));
        let opens = b.sure.intersect(&sg_sure);
        let maybe = b.sure.union(&b.maybe).intersect(&sg_any).minus(&opens);
        let one_way = b.forward.intersect(&sg_sure);
        cells.push(CellSets {
            opens: opens.clone(),
            maybe,
            one_way,
        });
        if text == Text::VerdictOnly {
            continue;
        }
        for (r, f) in &eg.rules {
            if f.overlaps(&opens) {
                egress_rules.insert(r.clone());
            }
        }
        for (r, f) in &ing.rules {
            if f.overlaps(&opens) {
                ingress_rules.insert(r.clone());
            }
        }
        // Why the groups stop what the network lets through.
        let net_ok = b.sure.union(&b.maybe);
        if !net_ok.is_empty() {
            let why = Why {
                model,
                src,
                dst,
                sa,
                sb,
                net_ok: &net_ok,
                asked: &q,
                flow,
                family: b.family,
            };
            sg_reasons(&why, &eg, &ing, &mut place.reasons);
        }
        opened = opened.union(&opens);
    }
    place.reasons.sort();
    place.reasons.dedup();
    if !opened.is_empty() {
        let fam = boxes.first().map_or(Family::V4, |b| b.family);
        place.opens = Some(words(&opened, &asked(flow, fam), flow));
    }
    place.egress_rules = egress_rules.into_iter().collect();
    place.ingress_rules = ingress_rules.into_iter().collect();
    if cells.is_empty() {
        cells.push(CellSets {
            opens: FlowSet::empty(),
            maybe: FlowSet::empty(),
            one_way: FlowSet::empty(),
        });
        place.reasons.push(Reason {
            code: codes::NO_COMMON_ADDRESS_FAMILY,
            resource: Some(model.subnets[sb].address.as_str().into()),
            message: format!(
                "{} has no address block to place {} in",
                model.subnets[sa].address, src.address
            )
            .into(),
            direction: Direction::Forward,
        });
    }
    (cells, place)
}

fn group_names(model: &Model, w: &Workload) -> String {
    if w.security_groups.is_empty() {
        return "no security group".into();
    }
    w.security_groups
        .iter()
        .map(|&g| model.security_groups[g].address.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// One box of a place pair, as the reasons for it name it.
struct Why<'a> {
    model: &'a Model,
    src: &'a Workload,
    dst: &'a Workload,
    /// The source and destination subnets.
    sa: usize,
    sb: usize,
    /// What the network carries there both ways.
    net_ok: &'a FlowSet,
    /// What was asked.
    asked: &'a FlowSet,
    flow: Option<&'a Flow>,
    family: Family,
}

impl Why<'_> {
    fn tag(&self, m: String) -> String {
        if self.family == Family::V6 {
            format!("IPv6: {m}")
        } else {
            m
        }
    }

    fn first_group(&self, w: &Workload) -> String {
        w.security_groups
            .first()
            .map(|&g| self.model.security_groups[g].address.clone())
            .unwrap_or_else(|| w.address.clone())
    }

    fn at(&self, w: &Workload, s: usize) -> String {
        format!("{} in {}", w.address, self.model.subnets[s].address)
    }

    fn words(&self, f: &FlowSet) -> String {
        words(f, self.asked, self.flow)
    }

    /// What the network does not carry, when it narrows what was asked.
    fn narrowed(&self) -> String {
        if self.net_ok.contains_all(self.asked) {
            String::new()
        } else {
            format!(
                " (the routes and network ACLs between {} and {} carry only {})",
                self.model.subnets[self.sa].address,
                self.model.subnets[self.sb].address,
                self.words(self.net_ok)
            )
        }
    }
}

/// The reasons the security groups give for refusing what the network
/// carries (`why.net_ok`).
fn sg_reasons(why: &Why, eg: &Admitted, ing: &Admitted, out: &mut Vec<Reason>) {
    let (model, src, dst) = (why.model, why.src, why.dst);
    for (rule, never) in eg.never.iter().chain(&ing.never) {
        out.push(Reason {
            code: codes::SG_REFERENCE_NEVER_MATCHES,
            resource: Some(rule.as_str().into()),
            message: why.tag(format!("{rule} never matches: {never}")).into(),
            direction: Direction::Forward,
        });
    }
    let out_any = eg.sure.union(&eg.maybe);
    let out_ok = out_any.intersect(why.net_ok);
    if out_ok.is_empty() {
        let removed = src
            .security_groups
            .iter()
            .any(|&g| model.security_groups[g].egress_removed)
            && src
                .security_groups
                .iter()
                .all(|&g| model.security_groups[g].egress.is_empty());
        let (code, message) = if removed {
            (
                codes::DEFAULT_EGRESS_REMOVED,
                format!(
                    "{} has no outbound rule: the Terraform provider removed the allow-all egress rule AWS adds to a new group, so {} can open no connection",
                    group_names(model, src),
                    src.address
                ),
            )
        } else if out_any.is_empty() {
            (
                codes::SG_EGRESS_DENIES,
                format!(
                    "no outbound rule of {} admits {} to {}",
                    group_names(model, src),
                    why.words(why.net_ok),
                    why.at(dst, why.sb)
                ),
            )
        } else {
            (
                codes::SG_EGRESS_DENIES,
                format!(
                    "{} lets out only {} to {}{}",
                    group_names(model, src),
                    why.words(&out_any),
                    why.at(dst, why.sb),
                    why.narrowed()
                ),
            )
        };
        out.push(Reason {
            code,
            resource: Some(why.first_group(src).into()),
            message: why.tag(message).into(),
            direction: Direction::Forward,
        });
        return;
    }
    let in_any = ing.sure.union(&ing.maybe);
    let in_ok = in_any.intersect(why.net_ok);
    if out_ok.intersect(&in_ok).is_empty() {
        let message = if in_any.is_empty() {
            format!(
                "no inbound rule of {} admits {} from {}",
                group_names(model, dst),
                why.words(&out_ok),
                why.at(src, why.sa)
            )
        } else {
            format!(
                "{} admits only {} from {}, and {} lets out {} towards it{}",
                group_names(model, dst),
                why.words(&in_any),
                why.at(src, why.sa),
                group_names(model, src),
                why.words(&out_ok),
                why.narrowed()
            )
        };
        out.push(Reason {
            code: codes::SG_INGRESS_DENIES,
            resource: Some(why.first_group(dst).into()),
            message: why.tag(message).into(),
            direction: Direction::Forward,
        });
    }
    if !eg.maybe.is_empty() || !ing.maybe.is_empty() {
        for u in eg.unknown.iter().chain(&ing.unknown) {
            out.push(Reason {
                code: codes::SG_NOT_KNOWN,
                resource: None,
                message: why.tag(u.clone()).into(),
                direction: Direction::Forward,
            });
        }
    }
}

/// A workload and the internet: a connection the workload opens to it
/// (`inbound` false) or one opened from it (`inbound` true).
#[derive(Debug, Clone)]
pub struct InternetPair {
    pub workload: usize,
    pub inbound: bool,
    /// `from` and `to` both name the workload.
    pub pair: WorkloadPair,
}

/// Whether workload `w` has an IPv6 address in its place `s` (`None`: not
/// known until apply).
pub fn ipv6_of_place(model: &Model, w: &Workload, s: usize) -> Option<bool> {
    use crate::model::workload::PublicAddress;
    match w.ipv6 {
        PublicAddress::Yes => Some(true),
        PublicAddress::No => Some(false),
        PublicAddress::Unknown => None,
        PublicAddress::AsSubnet => model.subnets[s].assigns_ipv6,
    }
}

/// What of an IPv6 box of its places a pair of workload ends holds:
/// nothing when one end has no IPv6 address, everything when both have
/// one, and what may be when that is not known until apply.
#[derive(Clone, Copy, PartialEq, Eq)]
enum V6Ends {
    None,
    All,
    Maybe,
}

fn v6_ends(ends: &[Option<bool>]) -> V6Ends {
    if ends.contains(&Some(false)) {
        V6Ends::None
    } else if ends.contains(&None) {
        V6Ends::Maybe
    } else {
        V6Ends::All
    }
}

/// The workload, when its own settings (not its subnet's) say whether it
/// has a public IPv4 address.
pub fn own_public(w: &Workload) -> Option<&str> {
    (w.public_ipv4 != crate::model::workload::PublicAddress::AsSubnet).then_some(w.address.as_str())
}

/// Whether workload `w` has a public IPv4 address in its place `s` (`None`:
/// not known until apply).
pub fn public_of_place(model: &Model, w: &Workload, s: usize) -> Option<bool> {
    use crate::model::workload::PublicAddress;
    match w.public_ipv4 {
        PublicAddress::Yes => Some(true),
        PublicAddress::No => Some(false),
        PublicAddress::Unknown => None,
        PublicAddress::AsSubnet => model.subnets[s].public_ipv4.on_launch,
    }
}

/// Every selected workload with the internet, both ways as asked. The
/// network answer is the subnet's (`internet::ingress` / `egress`) for the
/// workload's own public address; the workload's groups judge the opening
/// packet (a block admits the internet when it holds a public address).
pub fn internet_pairs(
    model: &Model,
    workloads: &[usize],
    flow: Option<&Flow>,
    ways: &[bool],
) -> Vec<InternetPair> {
    let gathered = super::internet::Gathered::of(model);
    let jobs: Vec<(usize, bool)> = workloads
        .iter()
        .flat_map(|&w| ways.iter().map(move |&inbound| (w, inbound)))
        .collect();
    jobs.par_iter()
        .map(|&(wi, inbound)| {
            let w = &model.workloads[wi];
            let mut g = Gather::default();
            g.unknown_place(w, flow);
            for &s in &w.places {
                let public = (public_of_place(model, w, s), own_public(w));
                let pe = if inbound {
                    super::internet::ingress_of_workload(
                        model,
                        s,
                        &gathered,
                        flow,
                        Detail::Reasons,
                        public,
                    )
                } else {
                    super::internet::egress_of_workload(
                        model,
                        s,
                        &gathered,
                        flow,
                        Detail::Reasons,
                        public,
                    )
                };
                let far = Far {
                    what: "the internet",
                    internet: true,
                    pieces: &|c: &super::pair::Cell| vec![(Interval::full(c.family), None)],
                };
                let (cells, place) = endpoint_place(model, w, s, inbound, flow, &pe, &far);
                g.add(cells, place);
            }
            let ports: &[crate::model::workload::Port] = if inbound { &w.ports } else { &[] };
            InternetPair {
                workload: wi,
                inbound,
                pair: g.finish(wi, wi, ports, flow),
            }
        })
        .collect()
}

/// Pieces of a far end's addresses that a workload's groups judge alike,
/// each with words for it when it is not the whole.
type Pieces = Vec<(Interval, Option<String>)>;

/// The far end of a workload's pair with an endpoint beyond the subnets,
/// as the workload's groups see it.
struct Far<'a> {
    /// The endpoint in words (`the internet`, a VPN connection's address).
    what: &'a str,
    /// The internet: a block admits it when it holds a public address.
    internet: bool,
    /// For a network cell, the pieces of the far end's addresses that the
    /// groups judge alike, each with words for it when it is not the whole.
    pieces: &'a dyn Fn(&super::pair::Cell) -> Pieces,
}

/// One place of a workload with an endpoint beyond the subnets (the
/// internet, an on-premises network): the subnet's cells with the
/// workload's groups on the opening packet, piece by piece of the far
/// end's addresses. `from_subnet` and `to_subnet` both name the workload's
/// subnet.
fn endpoint_place(
    model: &Model,
    w: &Workload,
    s: usize,
    inbound: bool,
    flow: Option<&Flow>,
    pe: &PairEval,
    far: &Far,
) -> (Vec<CellSets>, PlaceResult) {
    let mut place = PlaceResult {
        from_subnet: s,
        to_subnet: s,
        verdict: Verdict::Blocked,
        opens: None,
        egress_rules: Vec::new(),
        ingress_rules: Vec::new(),
        reasons: Vec::new(),
    };
    if pe.verdict != Verdict::Reachable {
        place.reasons.extend(pe.reasons.iter().cloned());
    }
    if pe.cells.is_empty() {
        return (vec![CellSets::without_boxes(pe, flow)], place);
    }
    let nobody = Workload {
        address: far.what.to_string(),
        kind: crate::model::WorkloadKind::Instance,
        places: Vec::new(),
        places_unknown: None,
        security_groups: Vec::new(),
        security_groups_unknown: None,
        unguarded: true,
        ports: Vec::new(),
        public_ipv4: crate::model::workload::PublicAddress::Yes,
        ipv6: crate::model::workload::PublicAddress::Yes,
    };
    let side = if inbound { Side::Ingress } else { Side::Egress };
    let mut cells = Vec::new();
    let mut opened = FlowSet::empty();
    let mut rules: BTreeSet<String> = BTreeSet::new();
    let v6 = v6_ends(&[ipv6_of_place(model, w, s)]);
    for c in &pe.cells {
        if c.family == Family::V6 && v6 == V6Ends::None {
            // The workload has no IPv6 address: the box holds none of it.
            continue;
        }
        let q = asked(flow, c.family);
        let mut net = NetCell::of(c, flow);
        if c.family == Family::V6 && v6 == V6Ends::Maybe {
            net = net.maybe_only();
        }
        let (sure, net_maybe, forward) = (&net.sure, &net.maybe, &net.forward);
        for (addrs, piece) in (far.pieces)(c) {
            let peer = PeerEnd {
                family: c.family,
                addrs,
                workload: &nobody,
                vpc: None,
                translated: false,
                internet: far.internet,
            };
            let sg = admitted(model, w, side, &peer, &q);
            let what = match &piece {
                Some(p) => format!("{} ({p})", far.what),
                None => far.what.to_string(),
            };
            let cell = far_cell((sure, net_maybe, forward), &sg);
            for (r, f) in &sg.rules {
                if f.overlaps(&cell.opens) {
                    rules.insert(r.clone());
                }
            }
            let why = FarWhy {
                w,
                inbound,
                flow,
                asked: &q,
                what: &what,
            };
            place
                .reasons
                .extend(far_reasons(model, &why, (sure, net_maybe), &sg));
            opened = opened.union(&cell.opens);
            cells.push(cell);
        }
    }
    place.reasons.sort();
    place.reasons.dedup();
    if !opened.is_empty() {
        let fam = pe.cells.first().map_or(Family::V4, |c| c.family);
        place.opens = Some(words(&opened, &asked(flow, fam), flow));
    }
    let rules: Vec<String> = rules.into_iter().collect();
    if inbound {
        place.ingress_rules = rules;
    } else {
        place.egress_rules = rules;
    }
    (cells, place)
}

/// One cell of a workload with a far end: what the network carries, and
/// what the groups admit of it.
fn far_cell((sure, net_maybe, forward): (&FlowSet, &FlowSet, &FlowSet), sg: &Admitted) -> CellSets {
    let opens = sure.intersect(&sg.sure);
    let maybe = sure
        .union(net_maybe)
        .intersect(&sg.sure.union(&sg.maybe))
        .minus(&opens);
    CellSets {
        one_way: forward.intersect(&sg.sure),
        opens,
        maybe,
    }
}

/// A workload and a far end, as the reasons for one cell name them.
struct FarWhy<'a> {
    w: &'a Workload,
    inbound: bool,
    flow: Option<&'a Flow>,
    /// What was asked, in the cell's family.
    asked: &'a FlowSet,
    /// The far end (or the piece of it) in words.
    what: &'a str,
}

/// Why a workload's groups refuse what the network carries from (or to) a
/// far end.
fn far_reasons(
    model: &Model,
    why: &FarWhy,
    (sure, net_maybe): (&FlowSet, &FlowSet),
    sg: &Admitted,
) -> Vec<Reason> {
    let FarWhy {
        w,
        inbound,
        flow,
        asked: q,
        what,
    } = *why;
    let mut out = Vec::new();
    let net_ok = sure.union(net_maybe);
    if !net_ok.is_empty() && sg.sure.union(&sg.maybe).intersect(&net_ok).is_empty() {
        let groups = group_names(model, w);
        let (code, message) = if inbound {
            (
                codes::SG_INGRESS_DENIES,
                format!(
                    "no inbound rule of {groups} admits {} from {what}",
                    words(&net_ok, q, flow)
                ),
            )
        } else {
            (
                codes::SG_EGRESS_DENIES,
                format!(
                    "no outbound rule of {groups} admits {} to {what}",
                    words(&net_ok, q, flow)
                ),
            )
        };
        out.push(Reason {
            code,
            resource: w
                .security_groups
                .first()
                .map(|&g| model.security_groups[g].address.as_str().into()),
            message: message.into(),
            direction: Direction::Forward,
        });
    }
    if !sg.maybe.is_empty() {
        for u in &sg.unknown {
            out.push(Reason {
                code: codes::SG_NOT_KNOWN,
                resource: None,
                message: u.as_str().into(),
                direction: Direction::Forward,
            });
        }
    }
    out
}

/// A workload and an on-premises network: a connection the workload opens
/// to it (`inbound` false) or one opened from it (`inbound` true).
#[derive(Debug, Clone)]
pub struct OnPremPair {
    /// Index into `Model::on_prem`.
    pub network: usize,
    pub workload: usize,
    pub inbound: bool,
    /// `from` and `to` both name the workload.
    pub pair: WorkloadPair,
}

/// Every selected workload with each of `networks`, both ways as asked.
/// The network answer is the workload's subnet's with the network
/// (`onprem::to_onprem` / `from_onprem`, range by range); the workload's
/// groups judge the network's addresses as a block peer, range by range
/// and, where a rule's block covers part of a range, piece by piece (the
/// parts of a range inside a VPC's block are not on-premises).
pub fn onprem_pairs(
    model: &Model,
    networks: &[usize],
    workloads: &[usize],
    flow: Option<&Flow>,
    ways: &[bool],
) -> Vec<OnPremPair> {
    let jobs: Vec<(usize, usize, bool)> = networks
        .iter()
        .flat_map(|&n| {
            workloads
                .iter()
                .flat_map(move |&w| ways.iter().map(move |&inbound| (n, w, inbound)))
        })
        .collect();
    jobs.par_iter()
        .map(|&(n, wi, inbound)| {
            let w = &model.workloads[wi];
            let net = &model.on_prem[n];
            let ranges = net.all_ranges();
            let pieces = |c: &super::pair::Cell| {
                let at = if inbound { c.src.lo } else { c.dst.lo };
                let Some(range) = ranges
                    .iter()
                    .find(|r| {
                        r.prefix.family == c.family
                            && super::onprem::stand_in(model, r.prefix) == at
                    })
                    .map(|r| r.prefix)
                else {
                    return vec![(Interval { lo: at, hi: at }, None)];
                };
                let side = if inbound { Side::Ingress } else { Side::Egress };
                range_pieces(model, w, side, range, ranges.len() > 1)
            };
            let far = Far {
                what: &net.address,
                internet: false,
                pieces: &pieces,
            };
            let mut g = Gather::default();
            g.unknown_place(w, flow);
            for &s in &w.places {
                let (pe, _) = if inbound {
                    super::onprem::from_onprem(model, n, s, flow, Detail::Reasons)
                } else {
                    super::onprem::to_onprem(model, s, n, flow, Detail::Reasons)
                };
                let (cells, place) = endpoint_place(model, w, s, inbound, flow, &pe, &far);
                g.add(cells, place);
            }
            let ports: &[Port] = if inbound { &w.ports } else { &[] };
            OnPremPair {
                network: n,
                workload: wi,
                inbound,
                pair: g.finish(wi, wi, ports, flow),
            }
        })
        .collect()
}

/// The pieces of an on-premises `range` that the rules of `w`'s groups on
/// `side` judge alike: the range split at the edges of every rule block of
/// its family, less the pieces inside a VPC's block (not on-premises
/// addresses), each with its blocks in words when it is not the whole
/// range (or when the network has several ranges, `named`).
fn range_pieces(
    model: &Model,
    w: &Workload,
    side: Side,
    range: crate::net::Prefix,
    named: bool,
) -> Pieces {
    let whole = range.interval();
    let mut cuts: Vec<u128> = Vec::new();
    for &g in &w.security_groups {
        let sg = &model.security_groups[g];
        let rules = match side {
            Side::Ingress => &sg.ingress,
            Side::Egress => &sg.egress,
        };
        for b in rules.iter().filter_map(|r| r.cidr) {
            if b.family != range.family {
                continue;
            }
            let i = b.interval();
            if i.lo > whole.lo && i.lo <= whole.hi {
                cuts.push(i.lo);
            }
            if i.hi < whole.hi && i.hi >= whole.lo {
                cuts.push(i.hi + 1);
            }
        }
    }
    cuts.sort_unstable();
    cuts.dedup();
    let mut pieces = Vec::with_capacity(cuts.len() + 1);
    let mut lo = whole.lo;
    for c in cuts {
        pieces.push(Interval { lo, hi: c - 1 });
        lo = c;
    }
    pieces.push(Interval { lo, hi: whole.hi });
    let in_vpc = |p: &Interval| {
        model
            .vpcs
            .iter()
            .flat_map(|v| v.cidrs.of(range.family))
            .any(|b| b.interval().intersect(p) == Some(*p))
    };
    let kept: Vec<Interval> = pieces.iter().copied().filter(|p| !in_vpc(p)).collect();
    let kept = if kept.is_empty() { vec![whole] } else { kept };
    let label = kept.len() > 1 || named;
    kept.into_iter()
        .map(|p| {
            let words = label.then(|| {
                let cidrs = p.to_cidrs(range.family);
                let shown: Vec<String> = cidrs.iter().take(3).map(|c| c.to_string()).collect();
                if cidrs.len() > 3 {
                    format!("{} and {} more blocks", shown.join(", "), cidrs.len() - 3)
                } else {
                    shown.join(", ")
                }
            });
            (p, words)
        })
        .collect()
}
