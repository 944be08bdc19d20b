//! Pairwise subnet reachability: verdicts, reasons and findings.
//!
//! For an ordered pair (S, D) and each address family both hold, the pair
//! of blocks is split into boxes of (source range, destination range) over
//! which every routing decision is the same, using the validity intervals
//! that each walk reports. Each box gets a forward walk (S to D) and an
//! independent return walk (D to S: AWS has no reverse-path forwarding), and
//! the verdict follows from which boxes make the round trip. Values unknown
//! until apply are resolved both ways (as delivered and as dropped): when
//! the two answers differ, the verdict is `unknown`.
//!
//! Rayon is used here only; results are sorted by address and identical
//! with one thread or many.

pub mod acl;
pub mod alike;
pub mod classes;
pub mod endpoints;
pub mod findings;
pub mod fix;
pub mod inspection;
pub mod internet;
pub mod lookup;
pub mod lpm;
mod memo;
pub mod onprem;
pub mod pair;
pub mod security_group;
pub mod services;
pub mod walk;
pub mod workloads;

use std::cmp::Ordering;

use foldhash::HashMap;

use rayon::prelude::*;
use serde::Serialize;

use crate::model::Model;
use crate::model::{Finding, Reason, Verdict};
use crate::net::{Family, Prefix};

use classes::ClassResult;
pub use classes::Classes;
pub use lookup::Lookup;
pub use pair::{evaluate_pair, evaluate_pair_flow, Cell, PairEval};
pub use walk::{Detail, Hop, Outcome};

/// Which pairs a report lists (the summary always counts all).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum PairsFilter {
    /// Every ordered pair.
    #[default]
    All,
    /// Pairs whose verdict is not `reachable`.
    Failing,
    /// No pairs (for estates too large to list).
    None,
}

impl PairsFilter {
    /// Whether a pair with verdict `v` is listed.
    pub fn keeps(self, v: Verdict) -> bool {
        match self {
            PairsFilter::All => true,
            PairsFilter::Failing => v != Verdict::Reachable,
            PairsFilter::None => false,
        }
    }
}

/// What to analyse and what to keep. Build it with struct update syntax
/// (`Options { pairs, ..Default::default() }`) so new fields stay
/// compatible.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub pairs: PairsFilter,
    /// The one kind of traffic verdicts are for (`--protocol tcp --port
    /// 443`); `None`: a pair is reachable when any traffic gets a round trip.
    pub flow: Option<crate::model::Flow>,
    /// Evaluate the rows of every VPC, even of VPCs that are alike (see
    /// [`alike`]): for measuring and checking what their sharing saves.
    pub each_vpc: bool,
    /// Which pairs with an endpoint beyond the subnets (the internet,
    /// on-premises networks) [`Analysis::endpoints`] keeps. Every one is
    /// counted either way; one that is not kept gives up its reasons as
    /// soon as it is computed (on a greenfield plan they were half of the
    /// analysis' memory).
    pub endpoints: PairsFilter,
}

/// A subnet as reports show it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SubnetInfo {
    pub address: String,
    pub vpc: Option<String>,
    pub cidr: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipv6_cidr: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub availability_zone: Option<String>,
}

/// The verdict for one ordered pair; `from` and `to` index
/// [`Analysis::subnets`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairResult {
    pub from: usize,
    pub to: usize,
    pub verdict: Verdict,
    pub reasons: Vec<Reason>,
    /// Which traffic makes the round trip, when network ACLs narrow it
    /// ("tcp 443", "all traffic but tcp 22").
    pub traffic: Option<String>,
}

/// Verdict counts over all ordered pairs (CONTRACT.md).
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub pairs: u64,
    pub reachable: u64,
    pub one_way: u64,
    pub blocked: u64,
    pub partial: u64,
    pub unknown: u64,
}

impl Summary {
    pub fn add(&mut self, v: Verdict, n: u64) {
        self.pairs += n;
        *match v {
            Verdict::Reachable => &mut self.reachable,
            Verdict::OneWay => &mut self.one_way,
            Verdict::Blocked => &mut self.blocked,
            Verdict::Partial => &mut self.partial,
            Verdict::Unknown => &mut self.unknown,
        } += n;
    }

    pub fn merge(mut self, o: Summary) -> Summary {
        self.pairs += o.pairs;
        self.reachable += o.reachable;
        self.one_way += o.one_way;
        self.blocked += o.blocked;
        self.partial += o.partial;
        self.unknown += o.unknown;
        self
    }

    /// The counts of `k` summaries like this one.
    pub fn times(self, k: u64) -> Summary {
        Summary {
            pairs: self.pairs * k,
            reachable: self.reachable * k,
            one_way: self.one_way * k,
            blocked: self.blocked * k,
            partial: self.partial * k,
            unknown: self.unknown * k,
        }
    }

    pub fn count(&self, v: Verdict) -> u64 {
        match v {
            Verdict::Reachable => self.reachable,
            Verdict::OneWay => self.one_way,
            Verdict::Blocked => self.blocked,
            Verdict::Partial => self.partial,
            Verdict::Unknown => self.unknown,
        }
    }
}

/// The analysis of one model.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// Subnets sorted by address.
    pub subnets: Vec<SubnetInfo>,
    /// Model index of each entry of `subnets`.
    pub model_index: Vec<usize>,
    /// The pairs the filter kept, sorted by (from, to).
    pub pairs: Vec<PairResult>,
    pub summary: Summary,
    /// Findings, sorted and without duplicates.
    pub findings: Vec<Finding>,
    /// How each subnet reaches each AWS service an endpoint names.
    pub services: Vec<services::ServiceReach>,
    /// The pairs between a subnet and an endpoint beyond the subnets (the
    /// internet, on-premises networks) that [`Options::endpoints`] lists.
    pub endpoints: Vec<endpoints::EndpointPair>,
    /// The endpoints beyond the subnets (the internet), in report order.
    pub endpoint_list: Vec<endpoints::EndpointInfo>,
    /// The verdict counts of `endpoints`; `summary` counts subnet pairs.
    pub endpoint_summary: Summary,
    /// The classes of subnets, for streaming pairs with [`stream_pairs`].
    pub classes: Classes,
}

/// Orders addresses so that `x[2]` comes before `x[10]`.
pub fn address_order(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    loop {
        match (x.first(), y.first()) {
            (None, None) => return Ordering::Equal,
            (None, _) => return Ordering::Less,
            (_, None) => return Ordering::Greater,
            (Some(c), Some(d)) if c.is_ascii_digit() && d.is_ascii_digit() => {
                let nx = x.iter().take_while(|c| c.is_ascii_digit()).count();
                let ny = y.iter().take_while(|c| c.is_ascii_digit()).count();
                let (dx, dy) = (&x[..nx], &y[..ny]);
                let tx = dx.iter().skip_while(|c| **c == b'0').count();
                let ty = dy.iter().skip_while(|c| **c == b'0').count();
                let o = tx
                    .cmp(&ty)
                    .then_with(|| dx[nx - tx..].cmp(&dy[ny - ty..]))
                    .then_with(|| nx.cmp(&ny));
                if o != Ordering::Equal {
                    return o;
                }
                x = &x[nx..];
                y = &y[ny..];
            }
            (Some(c), Some(d)) => {
                if c != d {
                    return c.cmp(d);
                }
                x = &x[1..];
                y = &y[1..];
            }
        }
    }
}

fn subnet_info(model: &Model, i: usize) -> SubnetInfo {
    let s = &model.subnets[i];
    SubnetInfo {
        address: s.address.clone(),
        vpc: match &s.vpc {
            crate::model::Link::To(v) => Some(model.vpcs[*v].address.clone()),
            crate::model::Link::External(id) => Some(id.clone()),
            _ => None,
        },
        cidr: s.cidr(Family::V4).map(|p: Prefix| p.to_string()),
        ipv6_cidr: s.cidr(Family::V6).map(|p| p.to_string()),
        availability_zone: s.availability_zone.clone(),
    }
}

/// Analyses every ordered pair of distinct subnets, in parallel.
pub fn analyze(model: &Model, mut found: Vec<Finding>, opts: &Options) -> Analysis {
    let filter = opts.pairs;
    let mut order: Vec<usize> = (0..model.subnets.len()).collect();
    order.sort_by(|a, b| address_order(&model.subnets[*a].address, &model.subnets[*b].address));
    let subnets: Vec<SubnetInfo> = order.iter().map(|&i| subnet_info(model, i)).collect();
    // The classes and the groups of alike VPCs read only the model: one on
    // each side of a join.
    let (mut classes, alike) = rayon::join(
        || Classes::build(model, &order),
        || {
            if opts.each_vpc {
                Vec::new()
            } else {
                alike::alike_vpcs(model)
            }
        },
    );
    classes.flow = opts.flow;
    classes.alike = alike;
    let summary = classes.summary(model, &order);
    let pairs = if filter == PairsFilter::None {
        Vec::new()
    } else {
        list_pairs(model, &order, &classes, filter)
    };
    found.extend(findings::findings(model));
    found.extend(inspection::appliance_mode_findings(model));
    let (endpoint_list, endpoints, endpoint_summary) =
        endpoints::pairs(model, &order, opts.flow.as_ref(), opts.endpoints);
    let (services, service_findings) = services::services(model);
    found.extend(service_findings);
    found.sort();
    found.dedup();
    Analysis {
        subnets,
        model_index: order,
        pairs,
        summary,
        findings: found,
        services,
        endpoints,
        endpoint_list,
        endpoint_summary,
        classes,
    }
}

impl Analysis {
    /// The verdict counts of every ordered pair a report lists: subnet
    /// pairs and endpoint pairs.
    pub fn total_summary(&self) -> Summary {
        self.summary.merge(self.endpoint_summary)
    }
}

/// How many source subnets are evaluated together before their pairs are
/// handed on: bounds memory when pairs are streamed.
const CHUNK: usize = 16;

/// Hands every pair the filter keeps to `sink`, in (from, to) order, a
/// chunk of source subnets at a time: the class rows a chunk needs are
/// computed in parallel and dropped after it, so a matrix of any size can
/// be written without being held.
pub fn stream_pairs(
    model: &Model,
    order: &[usize],
    classes: &Classes,
    filter: PairsFilter,
    sink: &mut dyn FnMut(PairResult) -> std::io::Result<()>,
) -> std::io::Result<()> {
    if filter == PairsFilter::None {
        return Ok(());
    }
    let n = order.len();
    let mut start = 0;
    while start < n {
        let end = (start + CHUNK).min(n);
        let rows: HashMap<usize, Vec<Option<ClassResult>>> = chunk_classes(classes, start..end)
            .par_iter()
            .map(|&a| (a, classes.row(model, order, a)))
            .collect();
        let chunk: Vec<Vec<PairResult>> = (start..end)
            .into_par_iter()
            .map(|from| {
                let row = &rows[&classes.class_of[from]];
                let mut out = Vec::new();
                for to in (0..n).filter(|&t| t != from) {
                    let Some(r) = &row[classes.class_of[to]] else {
                        continue;
                    };
                    if filter.keeps(r.verdict) {
                        out.push(PairResult {
                            from,
                            to,
                            verdict: r.verdict,
                            reasons: classes::member_reasons(model, order, r, from, to),
                            traffic: r.traffic.clone(),
                        });
                    }
                }
                out
            })
            .collect();
        for p in chunk.into_iter().flatten() {
            sink(p)?;
        }
        start = end;
    }
    Ok(())
}

/// The classes of a run of source subnets, each once.
fn chunk_classes(classes: &Classes, sources: std::ops::Range<usize>) -> Vec<usize> {
    let mut needed: Vec<usize> = sources.map(|f| classes.class_of[f]).collect();
    needed.sort_unstable();
    needed.dedup();
    needed
}

/// Hands the verdict of every ordered pair to `sink`, in (from, to) order,
/// without reasons: what a square matrix or VPC-by-VPC counts need. Each
/// class pair is evaluated once, outcome only, for a chunk of source
/// subnets at a time, so no more than a chunk's class rows is held.
pub fn stream_verdicts(
    model: &Model,
    order: &[usize],
    classes: &Classes,
    sink: &mut dyn FnMut(usize, usize, Verdict) -> std::io::Result<()>,
) -> std::io::Result<()> {
    const VERDICT_CHUNK: usize = 256;
    let n = order.len();
    let mut start = 0;
    while start < n {
        let end = (start + VERDICT_CHUNK).min(n);
        let rows: HashMap<usize, Vec<Option<Verdict>>> = classes
            .verdict_rows(model, order, &chunk_classes(classes, start..end))
            .into_iter()
            .collect();
        for from in start..end {
            let row = &rows[&classes.class_of[from]];
            for to in (0..n).filter(|&t| t != from) {
                if let Some(v) = row[classes.class_of[to]] {
                    sink(from, to, v)?;
                }
            }
        }
        start = end;
    }
    Ok(())
}

/// The pairs the filter keeps, in (from, to) order, collected.
pub fn list_pairs(
    model: &Model,
    order: &[usize],
    classes: &Classes,
    filter: PairsFilter,
) -> Vec<PairResult> {
    let mut out = Vec::new();
    // The sink cannot fail, so neither can the stream.
    let _ = stream_pairs(model, order, classes, filter, &mut |p| {
        out.push(p);
        Ok(())
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_address_order() {
        let mut v = vec!["a[10]", "a[2]", "a[1]", "b", "a"];
        v.sort_by(|a, b| address_order(a, b));
        assert_eq!(v, vec!["a", "a[1]", "a[2]", "a[10]", "b"]);
    }
}
