//! `analyze`: every ordered pair's verdict, the summary and the findings.

use crate::analysis::{self, Analysis, PairsFilter};
use crate::ingest::View;
use crate::model::{Flow, Model};
use crate::report::doc::VpcMatrix;
use crate::report::table::Overview;
use crate::report::InputInfo;

use super::{Owned, Pairs, Phase};

/// The most pairs the table lists one by one unless `--pairs` asks: past
/// it, a table is too long to read and too large to hold, and VPC pairs are
/// shown instead.
pub const TABLE_PAIRS: u64 = 1_000_000;

/// How the report takes its pairs, which decides what is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// Held, to be laid out whole (the terminal table); past
    /// [`TABLE_PAIRS`], unless the pairs were asked for, none is held and
    /// the report gets an [`Overview`] instead.
    Held,
    /// Computed as the report writes them (JSON), through
    /// [`Analyzed::pairs`].
    Streamed,
}

/// What `analyze` is asked.
#[derive(Debug, Clone)]
pub struct AnalyzeOptions {
    pub view: View,
    /// The one kind of traffic verdicts are for, or any traffic.
    pub flow: Option<Flow>,
    /// Which pairs to list; `None` when not asked (every pair, or an
    /// overview of an estate too large to list).
    pub pairs: Option<PairsFilter>,
    pub listing: Listing,
    /// Ranges named for on-premises networks.
    pub on_prem: super::OnPremRanges,
    /// Evaluate every VPC's rows, alike or not ([`analysis::Options::each_vpc`]).
    pub each_vpc: bool,
}

/// The result of `analyze`.
pub struct Analyzed {
    pub input: InputInfo,
    pub model: Model,
    /// Holds the listed pairs with [`Listing::Held`] (none with an
    /// overview), and none with [`Listing::Streamed`].
    pub analysis: Analysis,
    /// The pairs the report lists.
    pub filter: PairsFilter,
    /// The VPC pairs that carry traffic, when there are too many pairs to
    /// list.
    pub overview: Option<Overview>,
    /// Whether `analysis` holds the listed pairs.
    held: bool,
}

impl Analyzed {
    /// The pairs the report lists, held or computed as they are read.
    pub fn pairs(&self) -> Pairs<'_> {
        if self.held {
            Pairs::Held(&self.analysis.pairs)
        } else {
            Pairs::Computed {
                model: &self.model,
                analysis: &self.analysis,
                filter: self.filter,
            }
        }
    }

    /// How many pairs the filter keeps.
    fn listed(&self) -> u64 {
        let s = &self.analysis.summary;
        match self.filter {
            PairsFilter::All => s.pairs,
            PairsFilter::Failing => s.pairs - s.reachable,
            PairsFilter::None => 0,
        }
        // Endpoint pairs are few (two per subnet) and always listed.
    }
}

/// Builds the model of one view of the documents (one, or several read as
/// one estate) and analyses it, keeping the pairs as `opts.listing` says.
pub fn analyze(
    docs: Vec<Owned>,
    opts: &AnalyzeOptions,
    progress: &mut dyn FnMut(Phase),
) -> Result<Analyzed, super::Error> {
    progress(Phase::Model);
    let (input, built) = super::build_owned(docs, opts.view, &opts.on_prem)?;
    progress(Phase::Analysis {
        subnets: built.model.subnets.len(),
    });
    // Pairs are listed after the summary, which says how many there are.
    let filter = opts.pairs.unwrap_or_default();
    let holding = analysis::Options {
        pairs: PairsFilter::None,
        flow: opts.flow,
        each_vpc: opts.each_vpc,
        endpoints: filter,
    };
    let mut analysed = Analyzed {
        input,
        analysis: analysis::analyze(&built.model, built.findings, &holding),
        model: built.model,
        filter,
        overview: None,
        held: false,
    };
    if opts.listing == Listing::Streamed {
        return Ok(analysed);
    }
    let listed = analysed.listed();
    let a = &mut analysed.analysis;
    if opts.pairs.is_none() && listed > TABLE_PAIRS {
        let vpcs = VpcMatrix::empty(a);
        let cells = a
            .classes
            .traffic_counts(&analysed.model, &a.model_index, &vpcs.vpc_of);
        analysed.overview = Some(Overview { listed, cells });
    } else {
        a.pairs =
            analysis::list_pairs(&analysed.model, &a.model_index, &a.classes, analysed.filter);
        analysed.held = true;
    }
    Ok(analysed)
}
