//! Criterion benchmarks of the pipeline's phases on generated estates:
//! ingest (parse), model building, and the pair analysis.

// Options are built with struct update so new fields keep this compiling.
#![allow(clippy::needless_update)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use tfreach::analysis::{analyze, Options, PairsFilter};
use tfreach::ingest::{self, View, Views};
use tfreach_synth::{self as synth, EstateSpec, Mode, Topology};

fn estate(vpcs: usize, subnets: usize, mode: Mode) -> Vec<u8> {
    let spec = EstateSpec::new(vpcs, subnets, Topology::HubAndSpoke, mode, 1);
    let mut buf = Vec::new();
    synth::write_plan(&spec, &mut buf).expect("generate");
    buf
}

fn phases(c: &mut Criterion) {
    for (vpcs, subnets, mode) in [
        (50, 4, Mode::Steady),
        (200, 8, Mode::Steady),
        (200, 8, Mode::Greenfield),
    ] {
        let bytes = estate(vpcs, subnets, mode);
        let label = format!("{vpcs}x{subnets}-{mode:?}");
        let mut g = c.benchmark_group("pipeline");
        g.sample_size(10);
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_with_input(BenchmarkId::new("ingest", &label), &bytes, |b, bytes| {
            b.iter(|| ingest::parse_views(bytes, "bench", Views::Only(View::Planned)).unwrap())
        });
        let doc = ingest::parse_views(&bytes, "bench", Views::Only(View::Planned)).unwrap();
        g.bench_with_input(BenchmarkId::new("model", &label), &doc, |b, doc| {
            b.iter(|| tfreach::model::build(doc, View::Planned))
        });
        let built = tfreach::model::build(&doc, View::Planned);
        let none = Options {
            pairs: PairsFilter::None,
            ..Default::default()
        };
        g.bench_with_input(
            BenchmarkId::new("analysis-summary", &label),
            &built,
            |b, built| b.iter(|| analyze(&built.model, Vec::new(), &none)),
        );
        if vpcs * subnets <= 400 {
            let failing = Options {
                pairs: PairsFilter::Failing,
                ..Default::default()
            };
            g.bench_with_input(
                BenchmarkId::new("analysis-failing-pairs", &label),
                &built,
                |b, built| b.iter(|| analyze(&built.model, Vec::new(), &failing)),
            );
        }
        g.finish();
    }
}

criterion_group!(benches, phases);
criterion_main!(benches);
