//! The library's commands, called as the shell calls them: the pairs a
//! report streams equal the pairs a command holds, whatever `--pairs`
//! keeps; the HTML page gets a path per pair; errors name the input.

use std::path::PathBuf;

use tfreach::analysis::{PairResult, PairsFilter};
use tfreach::commands::{
    self, AnalyzeOptions, Error, Input, Layout, Listing, MatrixOptions, Pairs,
};
use tfreach::ingest::{Document, View};
use tfreach::model::Verdict;
use tfreach::report::doc::VpcMatrix;
use tfreach::report::PairSource;

use crate::support::{document, root};

/// Every rule fixture's document and the README's example, parsed.
/// Every rule fixture's document and the example plan, by path.
fn paths() -> Vec<String> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(root().join("fixtures/rules"))
        .unwrap()
        .map(|e| document(&e.unwrap().path()))
        .collect();
    paths.push(root().join("fixtures/example/plan.json"));
    paths.sort();
    paths.iter().map(|p| p.display().to_string()).collect()
}

/// The document at `path`, read (again for a command that takes its
/// documents).
fn reparse(path: &str) -> Document {
    tfreach::ingest::parse(&std::fs::read(path).unwrap(), path).unwrap()
}

fn pairs_of(source: &dyn PairSource) -> Vec<PairResult> {
    let mut out = Vec::new();
    source
        .each_pair(&mut |p| {
            out.push(p.clone());
            Ok(())
        })
        .unwrap();
    out
}

fn verdicts_of(source: &dyn PairSource) -> Vec<(usize, usize, Verdict)> {
    let mut out = Vec::new();
    source
        .each_verdict(&mut |from, to, v| {
            out.push((from, to, v));
            Ok(())
        })
        .unwrap();
    out
}

#[test]
fn streamed_pairs_equal_held_ones_for_every_pairs_filter() {
    for name in paths() {
        for filter in [PairsFilter::All, PairsFilter::Failing, PairsFilter::None] {
            let run = |listing| {
                let opts = AnalyzeOptions {
                    view: View::Planned,
                    flow: None,
                    pairs: Some(filter),
                    listing,
                    on_prem: Vec::new(),
                    each_vpc: false,
                };
                let owned = commands::Owned::new(reparse(&name), name.clone());
                commands::analyze(vec![owned], &opts, &mut |_| {}).unwrap()
            };
            let (held, streamed) = (run(Listing::Held), run(Listing::Streamed));
            assert!(matches!(held.pairs(), Pairs::Held(_)), "{name}");
            assert!(matches!(streamed.pairs(), Pairs::Computed { .. }), "{name}");
            assert!(streamed.analysis.pairs.is_empty(), "{name}");
            assert_eq!(held.analysis.summary, streamed.analysis.summary, "{name}");
            let listed = pairs_of(&held.pairs());
            assert_eq!(listed, held.analysis.pairs, "{name}");
            assert_eq!(pairs_of(&streamed.pairs()), listed, "{name}, {filter:?}");
            assert_eq!(
                verdicts_of(&streamed.pairs()),
                verdicts_of(&held.pairs()),
                "{name}, {filter:?}"
            );
            let vpcs = VpcMatrix::empty(&held.analysis);
            assert_eq!(
                streamed.pairs().group_counts(&vpcs.vpc_of).unwrap(),
                held.pairs().group_counts(&vpcs.vpc_of).unwrap(),
                "{name}, {filter:?}"
            );
        }
    }
}

#[test]
fn the_html_page_gets_each_pairs_path_and_a_stream_holds_no_pair() {
    for name in paths() {
        let run = |layout, by_vpc| {
            let opts = MatrixOptions {
                view: View::Planned,
                flow: None,
                layout,
                by_vpc,
                format: "html",
                on_prem: Vec::new(),
            };
            let owned = commands::Owned::new(reparse(&name), name.clone());
            commands::matrix(vec![owned], &opts, &mut |_| {}).unwrap()
        };
        let page = run(Layout::Page, false);
        let traces = page.traces.as_ref().expect("a small page embeds paths");
        assert_eq!(traces.len(), page.analysis.pairs.len(), "{name}");
        for (p, t) in page.analysis.pairs.iter().zip(traces) {
            assert_eq!(t.from, page.analysis.subnets[p.from].address, "{name}");
            assert_eq!(t.to, page.analysis.subnets[p.to].address, "{name}");
            assert_eq!(t.verdict, p.verdict, "{name}");
        }
        assert_eq!(
            page.analysis.pairs.len() as u64,
            page.analysis.summary.pairs
        );
        for (layout, by_vpc) in [(Layout::Page, true), (Layout::Streamed, false)] {
            let m = run(layout, by_vpc);
            assert!(m.traces.is_none() && m.analysis.pairs.is_empty(), "{name}");
            assert_eq!(pairs_of(&m.pairs()), page.analysis.pairs, "{name}");
        }
    }
}

#[test]
fn command_errors_name_the_file_and_what_is_wrong() {
    let state = root().join("fixtures/rules/raw_tfstate_v4/terraform.tfstate");
    let name = state.display().to_string();
    let doc = tfreach::ingest::parse(&std::fs::read(&state).unwrap(), &name).unwrap();
    let inputs = commands::DiffInputs {
        old: commands::Input::new(&doc, &name),
        new: None,
        with: &[],
        on_prem: &Vec::new(),
    };
    let e = commands::diff(&inputs, View::Planned, None, &mut |_| {})
        .err()
        .expect("a state has one view");
    assert!(
        matches!(&e, Error::OneView { file } if *file == name),
        "{e}"
    );
    assert!(e
        .to_string()
        .starts_with(&format!("{name}: a state has one view")));

    let example = root().join("fixtures/example/plan.json");
    let doc = tfreach::ingest::parse(&std::fs::read(&example).unwrap(), "-").unwrap();
    let opts = commands::ExplainOptions {
        view: View::Planned,
        flow: None,
        from: "aws_subnet.*",
        to: "aws_subnet.nothing_here",
        on_prem: Vec::new(),
        intent_reachable: false,
        config: Vec::new(),
    };
    let e = commands::explain(&[Input::new(&doc, "-")], &opts).unwrap_err();
    assert!(
        matches!(&e, Error::NoSubnet { file, flag: "--to", selector }
            if file == "<stdin>" && selector == "aws_subnet.nothing_here"),
        "{e}"
    );
}
