//! Endpoints beyond the subnets: the internet and on-premises networks. Each is paired with every subnet both ways; the pairs are few
//! (two per subnet and endpoint) and are listed after the subnet pairs.

use serde::Serialize;

use crate::model::{Flow, FlowSet, Model, Reason, Verdict};
use crate::net::Interval;

use super::pair::{clip, Cell};
use super::walk::Leg;

use super::pair::PairEval;
use super::{internet, onprem, PairsFilter, Summary};

/// An endpoint as reports show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EndpointInfo {
    /// Its name in every report and selector: `internet`, or the address of
    /// the resource that connects an on-premises network.
    pub name: String,
    /// `internet` or `on_premises`.
    pub kind: &'static str,
}

/// One ordered pair between a subnet and an endpoint beyond the subnets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EndpointPair {
    pub from: String,
    pub to: String,
    pub verdict: Verdict,
    pub reasons: Vec<Reason>,
    /// Which traffic makes the round trip, when network ACLs narrow it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub traffic: Option<String>,
    /// A condition of the answer (which instances it holds for).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The endpoints of the model, the pairs with the subnets of `order` that
/// `keep` lists (endpoint by endpoint), and the verdict counts of all of
/// them.
pub fn pairs(
    model: &Model,
    order: &[usize],
    flow: Option<&Flow>,
    keep: PairsFilter,
) -> (Vec<EndpointInfo>, Vec<EndpointPair>, Summary) {
    let mut list = Vec::new();
    let mut computed = Vec::new();
    if internet::present(model) {
        list.push(EndpointInfo {
            name: internet::INTERNET.to_string(),
            kind: "internet",
        });
        computed.extend(internet::pairs(model, order, flow, keep));
    }
    let (names, pairs) = onprem::pairs(model, order, flow, keep);
    list.extend(names);
    computed.extend(pairs);
    let mut summary = Summary::default();
    let mut out = Vec::new();
    for c in computed {
        match c {
            Computed::Kept(p) => {
                summary.add(p.verdict, 1);
                out.push(p);
            }
            Computed::Counted(v) => summary.add(v, 1),
        }
    }
    (list, out, summary)
}

/// An endpoint pair as it is computed: whole when a report lists it, else
/// only its verdict, so that its reasons go at once.
pub(super) enum Computed {
    Kept(EndpointPair),
    Counted(Verdict),
}

impl Computed {
    /// The pair built from its parts, or its verdict when `keep` does not
    /// list it.
    pub(super) fn of(
        keep: PairsFilter,
        from: impl FnOnce() -> String,
        to: impl FnOnce() -> String,
        e: PairEval,
        note: Option<String>,
    ) -> Computed {
        if !keep.keeps(e.verdict) {
            return Computed::Counted(e.verdict);
        }
        Computed::Kept(EndpointPair {
            from: from(),
            to: to(),
            verdict: e.verdict,
            reasons: e.reasons,
            traffic: e.traffic,
            note,
        })
    }
}

/// Which way a pair between a subnet and an endpoint goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Way {
    /// From the subnet to the endpoint.
    Out,
    /// From the endpoint to the subnet.
    In,
}

/// One cell of a pair between a subnet and an endpoint: the part of the
/// subnet's range `range` over which both walks hold, the endpoint's
/// address `addr`, the walks, and which of the asked flows round-trip.
/// Returns the cell and the part of `range` it covers; the rest is walked
/// again.
pub(super) fn cell(
    way: Way,
    family: crate::net::Family,
    range: Interval,
    addr: u128,
    (forward, ret): (Leg, Leg),
    (asked, replies): (&FlowSet, &FlowSet),
) -> (Cell, Interval) {
    let round_trip = if forward.flows.is_none() && ret.flows.is_none() {
        None
    } else {
        let arrived = forward.flows.as_ref().unwrap_or(asked);
        let back = ret.flows.as_ref().unwrap_or(replies);
        Some(arrived.round_trips(back))
    };
    let endpoint = Interval { lo: addr, hi: addr };
    let (valid, src, dst) = match way {
        Way::Out => {
            let v = clip(range, &[forward.src_valid, ret.dst_valid]);
            (v, v, endpoint)
        }
        Way::In => {
            let v = clip(range, &[forward.dst_valid, ret.src_valid]);
            (v, endpoint, v)
        }
    };
    let c = Cell {
        family,
        src,
        dst,
        forward,
        ret,
        round_trip,
    };
    (c, valid)
}

/// The endpoint pairs laid out next to the subnet matrix: a column per
/// endpoint for each subnet (towards it) and a row per endpoint (from it
/// towards each subnet), subnets in the analysis' order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndpointGrid {
    /// The endpoints' names, in report order.
    pub names: Vec<String>,
    /// `to[subnet][endpoint]`: the verdict from the subnet to the endpoint.
    pub to: Vec<Vec<Option<Verdict>>>,
    /// `from[endpoint][subnet]`: the verdict from the endpoint to the subnet.
    pub from: Vec<Vec<Option<Verdict>>>,
}

impl EndpointGrid {
    /// The grid of an analysis that holds every endpoint pair.
    pub fn of(a: &super::Analysis) -> EndpointGrid {
        let names: Vec<String> = a.endpoint_list.iter().map(|e| e.name.clone()).collect();
        let position = |x: &str| names.iter().position(|n| n == x);
        let subnet: foldhash::HashMap<&str, usize> = a
            .subnets
            .iter()
            .enumerate()
            .map(|(i, s)| (s.address.as_str(), i))
            .collect();
        let mut to = vec![vec![None; names.len()]; a.subnets.len()];
        let mut from = vec![vec![None; a.subnets.len()]; names.len()];
        for p in &a.endpoints {
            match (position(&p.from), position(&p.to)) {
                (None, Some(e)) => {
                    if let Some(&s) = subnet.get(p.from.as_str()) {
                        to[s][e] = Some(p.verdict);
                    }
                }
                (Some(e), None) => {
                    if let Some(&s) = subnet.get(p.to.as_str()) {
                        from[e][s] = Some(p.verdict);
                    }
                }
                _ => {}
            }
        }
        EndpointGrid { names, to, from }
    }
}
