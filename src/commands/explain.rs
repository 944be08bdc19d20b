//! `explain`: the hop-by-hop paths of the pairs two selectors name.

use crate::analysis::fix;
use crate::explain::{self as trace, Explanation};
use crate::ingest::View;
use crate::model::{Flow, Verdict};

use super::{shown_all, Error, Input};

/// What `explain` is asked.
#[derive(Debug, Clone)]
pub struct ExplainOptions<'a> {
    pub view: View,
    /// The one kind of traffic to explain, or any traffic.
    pub flow: Option<Flow>,
    /// Source subnets: an address or a glob over addresses, or `internet`.
    pub from: &'a str,
    /// Destination subnets: an address or a glob over addresses, or
    /// `internet`.
    pub to: &'a str,
    /// Ranges named for on-premises networks.
    pub on_prem: super::OnPremRanges,
    /// The pairs are meant to be reachable: each subnet pair that is not
    /// gets its fix hints.
    pub intent_reachable: bool,
    /// The configuration directories at hand: the changes of fix hints say
    /// the `.tf` file and line of the resource they go in or beside.
    pub config: Vec<super::Config<'a>>,
}

/// The explanation of every ordered pair of distinct subnets from the
/// `from` selection to the `to` selection of one view of the documents,
/// sources then destinations in address order.
pub fn explain(inputs: &[Input], opts: &ExplainOptions) -> Result<Vec<Explanation>, Error> {
    let mut list = explained(inputs, opts)?;
    if !opts.config.is_empty() {
        let sources = super::check::sources(inputs, &opts.config);
        super::check::place(
            list.iter_mut().filter_map(|x| x.fixes.as_mut()).flatten(),
            &sources,
        );
    }
    Ok(list)
}

fn explained(inputs: &[Input], opts: &ExplainOptions) -> Result<Vec<Explanation>, Error> {
    let built = super::build(inputs, opts.view, &opts.on_prem)?;
    let model = &built.model;
    let from = trace::select(model, opts.from);
    let to = trace::select(model, opts.to);
    // Workloads, when both selectors name some.
    let from_w = trace::select_workloads(model, opts.from);
    let to_w = trace::select_workloads(model, opts.to);
    if !from_w.is_empty() && !to_w.is_empty() {
        let flow = opts.flow.as_ref();
        let list: Vec<Explanation> = from_w
            .iter()
            .flat_map(|&a| to_w.iter().filter(move |&&b| b != a).map(move |&b| (a, b)))
            .map(|(a, b)| {
                let mut x = trace::explain_workloads(model, a, b, flow);
                if opts.intent_reachable {
                    x.fixes = Some(fix::workload_fixes(model, a, b, flow));
                }
                x
            })
            .collect();
        if list.is_empty() {
            return Err(Error::SameSubnet {
                file: shown_all(inputs),
            });
        }
        return Ok(list);
    }
    let from_internet = trace::selects_internet(model, opts.from);
    let to_internet = trace::selects_internet(model, opts.to);
    let from_onprem = trace::select_onprem(model, opts.from);
    let to_onprem = trace::select_onprem(model, opts.to);
    // Workloads with the internet or an on-premises network, when one
    // selector names workloads (and no subnet: a pattern that takes both
    // keeps meaning subnets) and the other an endpoint.
    let ends = |internet: bool, networks: &[usize]| -> Vec<trace::FarEnd> {
        let mut v: Vec<trace::FarEnd> =
            networks.iter().map(|&n| trace::FarEnd::OnPrem(n)).collect();
        if internet {
            v.insert(0, trace::FarEnd::Internet);
        }
        v
    };
    let flow = opts.flow.as_ref();
    let mut with_ends: Vec<Explanation> = Vec::new();
    if !from_w.is_empty() && from.is_empty() {
        for far in ends(to_internet, &to_onprem) {
            with_ends.extend(
                from_w
                    .iter()
                    .map(|&w| trace::explain_workload_endpoint(model, w, far, false, flow)),
            );
        }
    }
    if !to_w.is_empty() && to.is_empty() {
        for far in ends(from_internet, &from_onprem) {
            with_ends.extend(
                to_w.iter()
                    .map(|&w| trace::explain_workload_endpoint(model, w, far, true, flow)),
            );
        }
    }
    if !with_ends.is_empty() {
        if opts.intent_reachable {
            for x in with_ends
                .iter_mut()
                .filter(|x| x.verdict != Verdict::Reachable)
            {
                x.note = Some(
                    "fix hints are not proposed between a workload and the internet or an on-premises network yet; explain its subnet with the same endpoint for the network's hints"
                        .to_string(),
                );
            }
        }
        return Ok(with_ends);
    }
    for (selector, found, endpoint, flag) in [
        (
            opts.from,
            &from,
            from_internet || !from_onprem.is_empty(),
            "--from",
        ),
        (opts.to, &to, to_internet || !to_onprem.is_empty(), "--to"),
    ] {
        if found.is_empty() && !endpoint {
            return Err(Error::NoSubnet {
                file: shown_all(inputs),
                flag,
                selector: selector.to_string(),
            });
        }
    }
    let mut list: Vec<Explanation> = from
        .iter()
        .flat_map(|&s| to.iter().filter(move |&&d| d != s).map(move |&d| (s, d)))
        .map(|(s, d)| {
            let mut x = trace::explain(model, s, d, flow);
            if opts.intent_reachable {
                x.fixes = Some(fix::fixes(model, s, d, flow));
            }
            x
        })
        .collect();
    if to_internet {
        list.extend(from.iter().map(|&s| {
            let mut x = trace::explain_internet(model, s, true, flow);
            if opts.intent_reachable {
                x.fixes = Some(fix::internet_fixes(model, s, flow));
            }
            x
        }));
    }
    if from_internet {
        list.extend(
            to.iter()
                .map(|&d| trace::explain_internet(model, d, false, flow)),
        );
    }
    for &n in &to_onprem {
        list.extend(from.iter().map(|&s| {
            let mut x = trace::explain_onprem(model, s, n, true, flow);
            if opts.intent_reachable {
                x.fixes = Some(fix::onprem_fixes(model, s, n, flow));
            }
            x
        }));
    }
    for &n in &from_onprem {
        list.extend(
            to.iter()
                .map(|&d| trace::explain_onprem(model, d, n, false, flow)),
        );
    }
    if list.is_empty() {
        return Err(Error::SameSubnet {
            file: shown_all(inputs),
        });
    }
    Ok(list)
}
