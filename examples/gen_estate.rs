//! Writes a synthetic AWS estate as a `terraform show -json` plan.
//!
//! ```text
//! cargo run --release --example gen_estate -- \
//!     --vpcs 2000 --subnets 10 --topology hub --mode steady --seed 1 --out /tmp/estate.json
//! ```
//!
//! The verdict counts a correct analysis must report are printed on standard
//! error as one JSON line (`--quiet` turns that off).
//!
//! `--split DIR` writes the same (steady) estate as several states instead,
//! as separate configurations would hold it: `DIR/network.json` (the transit
//! gateway) and one `DIR/vpcs-NNNN.json` per `--group` VPCs, linked by AWS
//! ID (`tfreach analyze DIR/*.json` reads them as one estate).

use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use tfreach_synth::{self as synth, EstateSpec, Mode, Topology};

#[derive(Parser, Debug)]
#[command(about = "Generate a synthetic AWS estate as a terraform plan JSON document")]
struct Args {
    /// Number of VPCs.
    #[arg(long, default_value_t = 10)]
    vpcs: usize,
    /// Subnets per VPC.
    #[arg(long, default_value_t = 3)]
    subnets: usize,
    /// How the VPCs are connected.
    #[arg(long, value_enum, default_value_t = TopologyArg::Hub)]
    topology: TopologyArg,
    /// Group size of the `mesh` topology (at most 126).
    #[arg(long, default_value_t = 10)]
    mesh_group: usize,
    /// Transit gateway route tables of the `tgw-segments` topology.
    #[arg(long, default_value_t = 10)]
    segments: usize,
    /// `steady` (applied, all no-op) or `greenfield` (all create, ids unknown).
    #[arg(long, value_enum, default_value_t = ModeArg::Steady)]
    mode: ModeArg,
    /// Seed of the resource ids.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Leave out the internet gateways and their default routes.
    #[arg(long)]
    no_igw: bool,
    /// Add an allow-all network ACL to every VPC.
    #[arg(long)]
    nacls: bool,
    /// Add an S3 gateway endpoint to every route table.
    #[arg(long)]
    gateway_endpoints: bool,
    /// Route 192.0.2.0/24 in every VPC to a transit gateway that is not in
    /// the plan (as one another account shares); changes no verdict.
    #[arg(long)]
    shared_tgw_route: bool,
    /// A NAT gateway in the last subnet of every VPC (with a public route
    /// table of its own); the other subnets' default route goes to it.
    #[arg(long, conflicts_with = "no_igw")]
    nat: bool,
    /// Transit gateway topologies: AZs (1-3) in which every
    /// attachment has a subnet.
    #[arg(long, default_value_t = 2)]
    tgw_zones: usize,
    /// Workloads per VPC (steady only): instances spread over the subnets,
    /// each with one of three groups that reference each other.
    #[arg(long, default_value_t = 0)]
    workloads: usize,
    /// Output file; standard output when absent or `-`.
    #[arg(long, conflicts_with = "split")]
    out: Option<PathBuf>,
    /// Write the estate (steady only) as one state per group of VPCs and a
    /// network state, into this directory, instead of one plan.
    #[arg(long, value_name = "DIR")]
    split: Option<PathBuf>,
    /// With --split: VPCs per document.
    #[arg(long, default_value_t = 100, requires = "split")]
    group: usize,
    /// Do not print the expected verdict counts.
    #[arg(long)]
    quiet: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum TopologyArg {
    None,
    #[value(alias = "hub-and-spoke")]
    Hub,
    /// Hub and spoke, and every VPC peered with the next.
    HubChain,
    Chain,
    Mesh,
    #[value(alias = "transit-gateway")]
    Tgw,
    /// A transit gateway whose spokes reach each other through an appliance
    /// in an inspection VPC (VPC 0).
    TgwInspection,
    /// A transit gateway with one route table per segment (`--segments`):
    /// VPC `i` is in segment `i mod segments` and reaches that segment's
    /// VPCs only.
    TgwSegments,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ModeArg {
    Steady,
    Greenfield,
    /// Greenfield, every block counted in the root module and linked through
    /// a layout in locals (which the plan does not record); ignores the
    /// topology and the other options.
    GreenfieldLocals,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let topology = match args.topology {
        TopologyArg::None => Topology::None,
        TopologyArg::Hub => Topology::HubAndSpoke,
        TopologyArg::HubChain => Topology::HubChain,
        TopologyArg::Chain => Topology::Chain,
        TopologyArg::Mesh => Topology::Mesh {
            group: args.mesh_group,
        },
        TopologyArg::Tgw => Topology::TransitGateway,
        TopologyArg::TgwInspection => Topology::TgwInspection,
        TopologyArg::TgwSegments => Topology::TgwSegments {
            segments: args.segments,
        },
    };
    let mode = match args.mode {
        ModeArg::Steady => Mode::Steady,
        ModeArg::Greenfield => Mode::Greenfield,
        ModeArg::GreenfieldLocals => return greenfield_locals(&args),
    };
    let spec = EstateSpec {
        igw: !args.no_igw,
        nacls: args.nacls,
        gateway_endpoints: args.gateway_endpoints,
        nat: args.nat,
        tgw_zones: args.tgw_zones,
        workloads_per_vpc: args.workloads,
        shared_tgw_route: args.shared_tgw_route,
        ..EstateSpec::new(args.vpcs, args.subnets, topology, mode, args.seed)
    };
    if let Err(e) = spec.validate() {
        eprintln!("gen_estate: {e}");
        return ExitCode::from(2);
    }
    let mut documents = 1;
    let result = match (args.split.as_deref(), args.out.as_deref()) {
        (Some(dir), _) => synth::split::write_split(&spec, args.group, dir).map(|files| {
            documents = files.len();
        }),
        (None, Some(path)) if path.as_os_str() != "-" => {
            File::create(path).and_then(|f| synth::write_plan(&spec, f))
        }
        _ => synth::write_plan(&spec, io::stdout().lock()),
    };
    if let Err(e) = result {
        let target = args
            .split
            .as_deref()
            .or(args.out.as_deref())
            .map_or("standard output".into(), |p| p.display().to_string());
        eprintln!("gen_estate: cannot write {target}: {e}");
        return ExitCode::FAILURE;
    }
    if !args.quiet {
        // What the report's summary counts: the subnet pairs, and the pairs
        // with the internet when the estate has a way to it.
        let subnet_pairs = synth::expected_summary(&spec);
        let internet = synth::expected_internet(&spec);
        let mut expected = subnet_pairs;
        if let Some(i) = internet {
            expected.pairs += i.pairs;
            expected.reachable += i.reachable;
            expected.one_way += i.one_way;
            expected.blocked += i.blocked;
            expected.partial += i.partial;
            expected.unknown += i.unknown;
        }
        let line = serde_json::json!({
            "subnets": spec.vpcs * spec.subnets_per_vpc,
            "resources": synth::resource_count(&spec),
            "expected": expected,
            "subnet_pairs": subnet_pairs,
            "internet": internet,
            "documents": documents,
        });
        let _ = writeln!(io::stderr(), "{line}");
    }
    ExitCode::SUCCESS
}

/// `--mode greenfield-locals`: the estate of `tfreach_synth::locals`.
fn greenfield_locals(args: &Args) -> ExitCode {
    use tfreach_synth::locals;
    let result = match args.out.as_deref() {
        Some(path) if path.as_os_str() != "-" => {
            File::create(path).and_then(|f| locals::write_plan(args.vpcs, args.subnets, f))
        }
        _ => locals::write_plan(args.vpcs, args.subnets, io::stdout().lock()),
    };
    if let Err(e) = result {
        eprintln!("gen_estate: {e}");
        return ExitCode::from(2);
    }
    if !args.quiet {
        let line = serde_json::json!({
            "subnets": args.vpcs * args.subnets,
            "resources": locals::resource_count(args.vpcs, args.subnets),
            "expected": locals::expected_summary(args.vpcs, args.subnets),
        });
        let _ = writeln!(io::stderr(), "{line}");
    }
    ExitCode::SUCCESS
}
