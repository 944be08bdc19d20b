//! `matrix`: the reachability matrix for export.

use crate::analysis::{self, Analysis, PairsFilter};
use crate::explain::{self as trace, Explanation};
use crate::ingest::View;
use crate::model::{Flow, Model};
use crate::report::html::{MAX_EXPLAINED, MAX_SUBNETS};
use crate::report::InputInfo;

use super::{shown_all, Error, Owned, Pairs, Phase};

/// The most pairs a matrix laid out as a grid of subnets holds; past it
/// the grid is unreadable and too large to hold.
pub const GRID_PAIRS: u64 = 1_000_000;

/// How the reporter lays the matrix out, which decides what is held and
/// what is computed before it writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Pairs, verdicts or VPC counts as they are computed (CSV, JSON,
    /// Mermaid): nothing of the size of all pairs is held.
    Streamed,
    /// A grid of subnets, every pair held (the terminal table, DOT).
    Grid,
    /// The HTML page: a grid of subnets up to
    /// [`MAX_SUBNETS`](crate::report::html::MAX_SUBNETS), with each pair's
    /// path up to [`MAX_EXPLAINED`](crate::report::html::MAX_EXPLAINED);
    /// VPC counts above.
    Page,
}

/// What `matrix` is asked.
#[derive(Debug, Clone)]
pub struct MatrixOptions<'a> {
    pub view: View,
    /// The one kind of traffic verdicts are for, or any traffic.
    pub flow: Option<Flow>,
    pub layout: Layout,
    /// VPC by VPC counts instead of subnet pairs: no grid of subnets.
    pub by_vpc: bool,
    /// The format's name, as an error message gives it.
    pub format: &'a str,
    /// Ranges named for on-premises networks.
    pub on_prem: super::OnPremRanges,
}

/// The result of `matrix`.
pub struct Matrix {
    pub input: InputInfo,
    pub model: Model,
    /// Holds every pair when the layout is a grid of subnets, none
    /// otherwise.
    pub analysis: Analysis,
    /// The page's paths, one per pair `analysis` holds, in its order.
    pub traces: Option<Vec<Explanation>>,
    /// Whether `analysis` holds every pair.
    held: bool,
}

impl Matrix {
    /// Every ordered pair: those the analysis holds, or computed as they
    /// are read.
    pub fn pairs(&self) -> Pairs<'_> {
        if self.held {
            Pairs::Held(&self.analysis.pairs)
        } else {
            Pairs::Computed {
                model: &self.model,
                analysis: &self.analysis,
                filter: PairsFilter::All,
            }
        }
    }
}

/// Builds the model of one view of the documents and analyses it for the
/// layout asked: a grid of subnets holds its pairs (and, on the
/// HTML page, their paths), and is refused past [`GRID_PAIRS`] pairs.
pub fn matrix(
    docs: Vec<Owned>,
    opts: &MatrixOptions,
    progress: &mut dyn FnMut(Phase),
) -> Result<Matrix, Error> {
    progress(Phase::Model);
    let file = shown_all(&docs.iter().map(Owned::input).collect::<Vec<_>>());
    let (input, built) = super::build_owned(docs, opts.view, &opts.on_prem)?;
    let n = built.model.subnets.len();
    let grid = !opts.by_vpc
        && match opts.layout {
            Layout::Streamed => false,
            Layout::Page => n <= MAX_SUBNETS,
            Layout::Grid => true,
        };
    let pairs = (n as u64) * (n as u64).saturating_sub(1);
    if grid && pairs > GRID_PAIRS {
        return Err(Error::GridTooLarge {
            file,
            subnets: n as u64,
            pairs,
            format: opts.format.to_string(),
            limit: GRID_PAIRS,
        });
    }
    progress(Phase::Analysis { subnets: n });
    let analysis_opts = analysis::Options {
        pairs: if grid {
            PairsFilter::All
        } else {
            PairsFilter::None
        },
        flow: opts.flow,
        ..Default::default()
    };
    let analysis = analysis::analyze(&built.model, built.findings, &analysis_opts);
    let traces = (grid && opts.layout == Layout::Page && n <= MAX_EXPLAINED).then(|| {
        let at = &analysis.model_index;
        analysis
            .pairs
            .iter()
            .map(|p| trace::explain(&built.model, at[p.from], at[p.to], opts.flow.as_ref()))
            .collect()
    });
    Ok(Matrix {
        input,
        model: built.model,
        analysis,
        traces,
        held: grid,
    })
}
