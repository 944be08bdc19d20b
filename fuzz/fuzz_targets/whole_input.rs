//! The whole input path: bytes -> parse -> model -> analysis -> JSON report,
//! in both views. Any panic, hang or runaway allocation is a finding.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tfreach::analysis::Options;
use tfreach::ingest::View;
use tfreach::report::{self, InputInfo};

fuzz_target!(|data: &[u8]| {
    for view in [View::Planned, View::Prior] {
        let Ok((doc, analysis)) =
            tfreach::analyze_bytes(data, "fuzz.json", view, &Options::default())
        else {
            return;
        };
        let input = InputInfo::new(&doc, view, "fuzz.json");
        let mut out = Vec::new();
        report::json::write(&mut out, &input, &analysis).expect("writing to memory");
        let mut table = Vec::new();
        report::table::write(&mut table, &input, &analysis).expect("writing to memory");
        // The report must be JSON.
        let _: serde_json::Value = serde_json::from_slice(&out).expect("the report is JSON");
    }
});
