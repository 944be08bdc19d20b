//! Generated estates (`tools/synth`): the verdict counts the generator
//! derives in closed form are what the analysis reports.

use tfreach::analysis::Options;
use tfreach::ingest::View;
use tfreach_synth::locals;

/// Counted blocks linked through locals: nothing is invented, every pair is
/// unknown, and the only findings are the unresolved links.
#[test]
fn counted_blocks_linked_through_locals_give_unknown_not_invented_errors() {
    let (v, s) = (4, 3);
    let mut buf = Vec::new();
    locals::write_plan(v, s, &mut buf).expect("written");
    let (doc, a) = tfreach::analyze_bytes(&buf, "estate.json", View::Planned, &Options::default())
        .expect("parsed");
    assert_eq!(
        doc.view(View::Planned).resources.len(),
        locals::resource_count(v, s)
    );
    let want = locals::expected_summary(v, s);
    assert_eq!(
        (a.summary.pairs, a.summary.unknown, a.summary.blocked),
        (want.pairs, want.unknown, 0)
    );
    assert!(a
        .findings
        .iter()
        .any(|f| f.code == tfreach::codes::UNRESOLVED_REFERENCE));
    assert!(
        a.findings
            .iter()
            .all(|f| f.severity != tfreach::report::Severity::Error
                && f.code != tfreach::codes::ASSUMED_REFERENCE),
        "{:?}",
        a.findings
    );
}
