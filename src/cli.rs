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
    /// When to colour `table` output and `explain`: `auto` colours a terminal
    /// (not a pipe) unless NO_COLOR is set, or when CLICOLOR_FORCE is set.
    /// A file named by --output is never coloured.
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,
    #[command(subcommand)]
    pub command: Command,
}

/// The `--color` choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    /// Colour when standard output is a terminal, following NO_COLOR and CLICOLOR_FORCE.
    Auto,
    /// Always colour standard output (not a file named by --output).
    Always,
    /// Never colour.
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Pairwise subnet reachability and configuration findings.
    Analyze(AnalyzeArgs),
    /// The hop-by-hop path of one pair of subnets, in both directions.
    Explain(ExplainArgs),
    /// The reachability matrix for export: CSV, JSON, DOT, Mermaid or a self-contained HTML page.
    Matrix(MatrixArgs),
    /// What a plan changes in reachability (prior state against planned values), or what changes between two documents.
    Diff(DiffArgs),
    /// The CI gate: check a policy of expected verdicts and rules; exits 1 when it does not hold.
    Check(CheckArgs),
    /// Which workloads (instances, Lambda functions, databases, load balancers, ...) can open connections to which, on what protocols and ports, through routes, network ACLs and security groups.
    Workloads(WorkloadsArgs),
    /// Print a shell completion script: `source <(tfreach completions bash)`.
    Completions(CompletionsArgs),
    /// Print the manual page (roff), or write one page per command into a directory.
    #[command(hide = true)]
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write `tfreach.1` and a page per command (`tfreach-analyze.1`, ...) into this directory instead of printing `tfreach.1`.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// The documents a command reads: one, or several read as one estate.
#[derive(Debug, Args)]
pub struct Inputs {
    /// `terraform show -json` output (plan or state) or a terraform.tfstate; `-` reads standard input. Several are read as one estate: links by AWS ID go across them, and each resource address is prefixed with its document's label (`network:aws_vpc.hub`).
    #[arg(value_name = "FILE", required = true, num_args = 1..)]
    pub files: Vec<String>,
    /// With several documents, the label of one of them (default: the file name without `.json`, `.plan`, `.tfstate`; `stdin` for `-`).
    #[arg(long = "name", value_name = "LABEL=FILE")]
    pub names: Vec<String>,
    /// The ranges of an on-premises network whose routes the input does not hold (learned over BGP): the address of its VPN connection or Direct Connect gateway association, then its CIDR blocks. Repeat for several.
    #[arg(long = "on-prem", value_name = "NAME=CIDR,...")]
    pub on_prem: Vec<String>,
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
    #[command(flatten)]
    pub inputs: Inputs,
    #[command(flatten)]
    pub common: Common,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = AnalyzeFormat::Table)]
    pub format: AnalyzeFormat,
    /// Which pairs to list (the summary always counts them all) [default:
    /// all; a table of more than 1,000,000 pairs shows VPC pairs instead,
    /// unless this is given].
    #[arg(long, value_enum)]
    pub pairs: Option<PairsFilter>,
    #[command(flatten)]
    pub flow: FlowArgs,
}

/// The kind of traffic verdicts are for.
#[derive(Debug, Clone, Args)]
pub struct FlowArgs {
    /// Judge one protocol only: tcp, udp, icmp (ping), icmpv6, all, or a
    /// protocol number. Without it a pair is reachable when any traffic
    /// gets a round trip.
    #[arg(long, value_name = "PROTOCOL")]
    pub protocol: Option<String>,
    /// The destination port (with --protocol tcp or udp; alone, TCP).
    #[arg(long, value_name = "PORT")]
    pub port: Option<u16>,
}

impl FlowArgs {
    /// The named flow, or why the flags do not name one.
    pub fn flow(&self) -> Result<Option<tfreach::model::Flow>, String> {
        let p = match (&self.protocol, self.port) {
            (Some(p), _) => p.as_str(),
            // A port alone names a TCP service (`--port 5432`).
            (None, Some(_)) => "tcp",
            (None, None) => return Ok(None),
        };
        let proto =
            tfreach::model::flow::parse_protocol(p).map_err(|e| format!("--protocol: {e}"))?;
        tfreach::model::Flow::new(proto, self.port).map(Some)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AnalyzeFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    #[command(flatten)]
    pub inputs: Inputs,
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
    #[command(flatten)]
    pub flow: FlowArgs,
    /// What the pairs are meant to be: with `reachable`, each pair that is
    /// not gets fix hints (checked changes, as HCL) after its path.
    #[arg(long, value_enum)]
    pub intent: Option<Intent>,
    /// The Terraform configuration directory: each change a fix hint makes then says the .tf file and line of the resource it goes in or beside. With several documents, `LABEL=DIR` for each document whose configuration is at hand (repeat).
    #[arg(long, value_name = "[LABEL=]DIR")]
    pub config_dir: Vec<String>,
}

/// What `explain --intent` says the pairs should be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Intent {
    /// The pairs should get a round trip.
    Reachable,
}

#[derive(Debug, Args)]
pub struct WorkloadsArgs {
    #[command(flatten)]
    pub inputs: Inputs,
    /// Source workloads: a resource address or a glob over addresses (default: all).
    #[arg(long)]
    pub from: Option<String>,
    /// Destination workloads: a resource address or a glob over addresses (default: all).
    #[arg(long)]
    pub to: Option<String>,
    #[command(flatten)]
    pub common: Common,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = AnalyzeFormat::Table)]
    pub format: AnalyzeFormat,
    #[command(flatten)]
    pub flow: FlowArgs,
}

#[derive(Debug, Args)]
pub struct MatrixArgs {
    #[command(flatten)]
    pub inputs: Inputs,
    #[command(flatten)]
    pub common: Common,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = MatrixFormat::Table)]
    pub format: MatrixFormat,
    /// CSV: the square matrix (a row per source, a column per destination) instead of the long list.
    #[arg(long)]
    pub square: bool,
    /// Verdict counts VPC by VPC instead of subnet pairs, for estates too large to look at pair by pair.
    #[arg(long)]
    pub by_vpc: bool,
    #[command(flatten)]
    pub flow: FlowArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum MatrixFormat {
    /// One letter per pair, for the terminal.
    Table,
    /// `from,to,verdict,reason`, or the square matrix with --square.
    Csv,
    Json,
    /// Graphviz, subnets clustered by VPC.
    Dot,
    /// A VPC-level flowchart for GitHub Markdown.
    Mermaid,
    /// One self-contained page: heatmap, filters, paths on click.
    Html,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// A plan (its prior state is compared with its planned values), or the old document when NEW is given.
    pub old: String,
    /// The new document; plans are read in the --view given (planned values by default).
    pub new: Option<String>,
    /// The rest of the estate: documents read on both sides as they are (a plan in the --view given), so that the change is seen against every configuration given. Addresses are then prefixed with each document's label, and OLD and NEW share NEW's.
    #[arg(long = "with", value_name = "FILE", num_args = 1..)]
    pub with: Vec<String>,
    /// With --with, the label of a document (default: the file name without `.json`, `.plan`, `.tfstate`; `stdin` for `-`).
    #[arg(long = "name", value_name = "LABEL=FILE")]
    pub names: Vec<String>,
    #[command(flatten)]
    pub common: Common,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = DiffFormat::Table)]
    pub format: DiffFormat,
    /// Exit 1 when some pair's verdict changes and 0 when none does (errors still exit 2), like `git diff --exit-code`.
    #[arg(long)]
    pub exit_code: bool,
    /// Markdown: write at most this many characters (a GitHub comment holds 65,536).
    #[arg(long, value_name = "N", default_value_t = tfreach::report::doc::GITHUB_COMMENT_LIMIT)]
    pub max_chars: usize,
    /// Compare workload pairs (security groups included) instead of subnet pairs: which workload can open what to which, and from the internet, before and after.
    #[arg(long)]
    pub workloads: bool,
    /// The ranges of an on-premises network whose routes the input does not hold (learned over BGP), on both sides: the address of its VPN connection or Direct Connect gateway association, then its CIDR blocks. Repeat for several.
    #[arg(long = "on-prem", value_name = "NAME=CIDR,...")]
    pub on_prem: Vec<String>,
    #[command(flatten)]
    pub flow: FlowArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DiffFormat {
    Table,
    /// For a pull-request comment or the GitHub step summary.
    Markdown,
    Json,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub inputs: Inputs,
    /// The policy file (TOML).
    #[arg(long, value_name = "POLICY")]
    pub policy: PathBuf,
    /// Compare against this document for [[no_new_path]] rules, instead of the plans' prior state. With several documents, `LABEL=FILE` says which one it is an older version of (default: the first); the others are read as they are checked.
    #[arg(long, value_name = "[LABEL=]FILE")]
    pub baseline: Option<String>,
    /// The Terraform configuration directory: SARIF and JUnit results then point at the .tf line of the resource. With several documents, `LABEL=DIR` for each document whose configuration is at hand (repeat); results about the others point at their document.
    #[arg(long, value_name = "[LABEL=]DIR")]
    pub config_dir: Vec<String>,
    #[command(flatten)]
    pub common: Common,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = CheckFormat::Table)]
    pub format: CheckFormat,
    /// Markdown: write at most this many characters (a GitHub comment holds 65,536).
    #[arg(long, value_name = "N", default_value_t = tfreach::report::doc::GITHUB_COMMENT_LIMIT)]
    pub max_chars: usize,
    #[command(flatten)]
    pub flow: FlowArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CheckFormat {
    Table,
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// JUnit XML, for GitLab, Jenkins and other CI test reports.
    Junit,
    /// For a pull-request comment or the GitHub step summary.
    Markdown,
}
