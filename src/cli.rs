//! The command line: clap definitions only.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use tfreach::analysis::PairsFilter;
use tfreach::ingest::View;

/// Which AWS subnets can reach which after a Terraform plan, and where
/// traffic dies.
#[derive(Debug, Parser)]
#[command(name = "tfreach", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Pairwise subnet reachability and configuration findings.
    Analyze(AnalyzeArgs),
    /// The hop-by-hop path of one pair of subnets, in both directions.
    Explain(ExplainArgs),
}

/// Options every command shares.
#[derive(Debug, Args)]
pub struct Common {
    /// Write the output to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Which view of a plan to analyse (a state has only one).
    #[arg(long, value_enum, default_value_t = View::Planned)]
    pub view: View,
    /// Worker threads for the analysis (default: one per core).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// No progress display on standard error.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// `terraform show -json` output (plan or state) or a terraform.tfstate; `-` reads standard input.
    pub file: String,
    #[command(flatten)]
    pub common: Common,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = AnalyzeFormat::Table)]
    pub format: AnalyzeFormat,
    /// Which pairs to list (the summary always counts them all).
    #[arg(long, value_enum, default_value_t = PairsFilter::All)]
    pub pairs: PairsFilter,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AnalyzeFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// `terraform show -json` output (plan or state) or a terraform.tfstate; `-` reads standard input.
    pub file: String,
    /// Source subnet: a resource address or a glob over addresses.
    #[arg(long)]
    pub from: String,
    /// Destination subnet: a resource address or a glob over addresses.
    #[arg(long)]
    pub to: String,
    #[command(flatten)]
    pub common: Common,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = AnalyzeFormat::Table)]
    pub format: AnalyzeFormat,
}
