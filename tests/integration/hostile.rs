//! Hostile input through the binary: every kind of bad input a CI job can
//! hand over ends with exit status 2 and one clear line on standard error
//! that names the file (and the JSON path, where there is one), never with a
//! panic, a backtrace or a hang; odd but valid input is analysed.
//!
//! | kind | exit | standard error holds |
//! |---|---|---|
//! | empty file | 2 | `the input is empty` |
//! | whitespace only | 2 | `the input is empty` |
//! | truncated state | 2 | `ends too early`, `truncated` |
//! | truncated plan | 2 | `ends too early`, `truncated` |
//! | JSON array / string / number / null / boolean | 2 | `expected a JSON object`, what it found |
//! | arrays nested 300,000 deep, top level | 2 | `expected a JSON object` |
//! | objects nested 300,000 deep, top level | 2 | `not terraform output` |
//! | arrays nested 300,000 deep in a network resource's `values` | 2 | `nested too deeply`, `values.root_module.resources[0].values` |
//! | objects nested 300,000 deep in `configuration` | 2 | `nested too deeply`, `configuration` |
//! | objects nested 300,000 deep in `variables` | 2 | `nested too deeply` |
//! | arrays nested 300,000 deep in another resource's `values` | 2 | `nested too deeply` (ignored test: accepted today) |
//! | objects nested 300,000 deep in `values` | 2 | `nested too deeply` (ignored test: accepted today) |
//! | binary data | 2 | `not UTF-8` |
//! | UTF-16 without a byte-order mark | 2 | `UTF-16`, `byte-order mark` |
//! | `format_version` 2.0 | 2 | `format_version`, `2.0`, `newer` |
//! | `format_version` a number | 2 | `at format_version`, `expected a string` |
//! | `resource_changes` an object | 2 | `at resource_changes`, `expected a sequence` |
//! | `resources` an object | 2 | `at values.root_module.resources`, `expected a sequence` |
//! | `address` a number | 2 | `at values.root_module.resources[0].address` |
//! | `actions` a string | 2 | `at resource_changes[0].change.actions` |
//! | the line-per-event log of `terraform plan -json` | 2 | `line-per-event` |
//! | two JSON documents | 2 | `more than one JSON document` |
//! | a raw state file of version 3 | 2 | `version 4` |
//! | a file that does not exist / a directory | 2 | `cannot read` |
//! | empty standard input (`-`) | 2 | `<stdin>`, `the input is empty` |
//! | UTF-16 (LE and BE) with a byte-order mark | 0 | (analysed) |
//! | UTF-8 with a byte-order mark | 0 | (analysed) |
//! | a state on standard input (`-`) | 0 | (analysed) |
//! | references that loop through module outputs and variables | 0 | verdicts `unknown`, UNRESOLVED_REFERENCE |
//! | `for_each` keys with quotes, dots, brackets, unicode, `<script>` | 0 | addresses kept exactly |
//! | a number where a CIDR block string is expected in `values` | 0 | INVALID_RESOURCE finding |

use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;
use serde_json::{json, Value};

use crate::topology::{self, Naming};

/// How long one run may take before it counts as a hang.
const TIMEOUT: Duration = Duration::from_secs(60);

const DEPTH: usize = 300_000;

fn deep_arrays() -> String {
    format!("{}{}", "[".repeat(DEPTH), "]".repeat(DEPTH))
}

fn deep_objects() -> String {
    format!("{}1{}", "{\"a\":".repeat(DEPTH), "}".repeat(DEPTH))
}

fn state_with(resources: Value) -> Value {
    json!({"format_version": "1.0", "terraform_version": "1.9.8",
           "values": {"root_module": {"resources": resources}}})
}

/// A small valid state: two VPCs, peered, with a subnet each.
fn small_state() -> Vec<u8> {
    let raw = topology::Raw {
        vpcs: vec![
            topology::RawVpc {
                base: 0,
                len: 0,
                secondary: None,
                v6: None,
                account: 0,
                igw: true,
                vgw: false,
                default_managed: 1,
                main_assoc: None,
                refreshed: false,
            },
            topology::RawVpc {
                base: 1,
                len: 0,
                secondary: None,
                v6: None,
                account: 0,
                igw: false,
                vgw: false,
                default_managed: 1,
                main_assoc: None,
                refreshed: false,
            },
        ],
        extra_tables: vec![],
        subnets: vec![
            topology::RawSubnet {
                vpc: 0,
                extra_len: 8,
                slot: 1,
                secondary: false,
                v6: false,
                table: None,
            },
            topology::RawSubnet {
                vpc: 1,
                extra_len: 8,
                slot: 1,
                secondary: false,
                v6: false,
                table: None,
            },
        ],
        devices: vec![],
        peerings: vec![topology::RawPeering {
            a: 0,
            b: 1,
            kind: 0,
        }],
        routes: vec![0u8, 1]
            .into_iter()
            .map(|table| topology::RawRoute {
                table,
                dest_kind: 0,
                a: 1 - table,
                b: 0,
                target_kind: 0,
                t: 0,
                style: table,
            })
            .collect(),
    };
    let t = topology::build(&raw);
    serde_json::to_vec_pretty(&t.render(&Naming::default()).state()).expect("serialises")
}

fn utf16(bytes: &[u8], big_endian: bool) -> Vec<u8> {
    let text = std::str::from_utf8(bytes).expect("UTF-8");
    let mut out = if big_endian {
        vec![0xFE, 0xFF]
    } else {
        vec![0xFF, 0xFE]
    };
    for u in text.encode_utf16() {
        out.extend(if big_endian {
            u.to_be_bytes()
        } else {
            u.to_le_bytes()
        });
    }
    out
}

/// A plan whose subnets' `vpc_id` is unknown and whose configuration leads
/// round in circles: module a's output is its variable, which the root sets
/// from module b's output, which is b's variable, set from a's output; a
/// root variable is set from nothing.
fn looping_plan() -> Vec<u8> {
    let create = |addr: &str, t: &str, after: Value, unknown: Value| {
        let name = addr.split('.').nth(1).unwrap_or_default();
        json!({"address": addr, "mode": "managed", "type": t, "name": name,
               "change": {"actions": ["create"], "before": null, "after": after,
                          "after_unknown": unknown}})
    };
    let doc = json!({
        "format_version": "1.2",
        "terraform_version": "1.9.8",
        "variables": {"loop": {"value": null}},
        "planned_values": {"root_module": {"resources": []}},
        "resource_changes": [
            create("aws_vpc.v", "aws_vpc", json!({"cidr_block": "10.0.0.0/16"}),
                   json!({"id": true, "main_route_table_id": true})),
            create("aws_subnet.s", "aws_subnet",
                   json!({"cidr_block": "10.0.1.0/24", "availability_zone": "us-east-1a"}),
                   json!({"id": true, "vpc_id": true})),
            create("aws_subnet.t", "aws_subnet",
                   json!({"cidr_block": "10.0.2.0/24", "availability_zone": "us-east-1a"}),
                   json!({"id": true, "vpc_id": true})),
        ],
        "configuration": {"root_module": {
            "resources": [
                {"address": "aws_vpc.v", "mode": "managed", "type": "aws_vpc", "name": "v",
                 "expressions": {"cidr_block": {"constant_value": "10.0.0.0/16"}}},
                {"address": "aws_subnet.s", "mode": "managed", "type": "aws_subnet", "name": "s",
                 "expressions": {"vpc_id": {"references": ["module.a.out", "module.a"]}}},
                {"address": "aws_subnet.t", "mode": "managed", "type": "aws_subnet", "name": "t",
                 "expressions": {"vpc_id": {"references": ["var.loop"]}}},
            ],
            "variables": {"loop": {}},
            "module_calls": {
                "a": {"source": "./a",
                      "expressions": {"x": {"references": ["module.b.out", "module.b"]}},
                      "module": {
                          "variables": {"x": {}},
                          "outputs": {"out": {"expression": {"references": ["var.x"]}}},
                          "module_calls": {"inner": {"source": "./i",
                              "expressions": {"y": {"references": ["var.x"]}},
                              "module": {"variables": {"y": {}},
                                         "outputs": {"o": {"expression": {"references": ["var.y", "module.inner.o"]}}}}}}}},
                "b": {"source": "./b",
                      "expressions": {"x": {"references": ["module.a.out", "module.a"]}},
                      "module": {"variables": {"x": {}},
                                 "outputs": {"out": {"expression": {"references": ["var.x"]}}}}}
            }
        }}
    });
    serde_json::to_vec(&doc).expect("serialises")
}

/// A state whose subnets have `for_each` keys that need quoting.
fn odd_keys_state() -> Vec<u8> {
    let t = topology::build(&topology::Raw {
        vpcs: vec![topology::RawVpc {
            base: 0,
            len: 0,
            secondary: None,
            v6: None,
            account: 0,
            igw: false,
            vgw: false,
            default_managed: 1,
            main_assoc: None,
            refreshed: false,
        }],
        extra_tables: vec![],
        subnets: (0..8)
            .map(|i| topology::RawSubnet {
                vpc: 0,
                extra_len: 8,
                slot: i,
                secondary: false,
                v6: false,
                table: None,
            })
            .collect(),
        devices: vec![],
        peerings: vec![],
        routes: vec![],
    });
    let n = Naming {
        salt: 0,
        modules: true,
        odd_keys: true,
    };
    serde_json::to_vec(&t.render(&n).state()).expect("serialises")
}

struct Case {
    name: &'static str,
    /// The file name the input gets (`-` for standard input).
    file: &'static str,
    bytes: fn() -> Vec<u8>,
    exit: i32,
    /// What standard error must hold (exit 2) or the JSON report (exit 0).
    holds: &'static [&'static str],
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "empty file",
            file: "empty.json",
            bytes: Vec::new,
            exit: 2,
            holds: &["the input is empty"],
        },
        Case {
            name: "whitespace only",
            file: "blank.json",
            bytes: || b" \n\t \r\n".to_vec(),
            exit: 2,
            holds: &["the input is empty"],
        },
        Case {
            name: "truncated state",
            file: "cut.json",
            bytes: || {
                let s = small_state();
                s[..s.len() / 2].to_vec()
            },
            exit: 2,
            holds: &["ends too early", "truncated"],
        },
        Case {
            name: "truncated plan",
            file: "cutplan.json",
            bytes: || {
                br#"{"format_version":"1.2","resource_changes":[{"address":"aws_vpc.a","type":"aws_vpc","name":"a","change":{"actions":["cre"#.to_vec()
            },
            exit: 2,
            holds: &["ends too early", "truncated"],
        },
        Case {
            name: "JSON array",
            file: "array.json",
            bytes: || b"[1, 2]".to_vec(),
            exit: 2,
            holds: &["expected a JSON object", "an array"],
        },
        Case {
            name: "JSON string",
            file: "string.json",
            bytes: || b"\"plan\"".to_vec(),
            exit: 2,
            holds: &["expected a JSON object", "a string"],
        },
        Case {
            name: "JSON number",
            file: "number.json",
            bytes: || b"42".to_vec(),
            exit: 2,
            holds: &["expected a JSON object", "a number"],
        },
        Case {
            name: "JSON null",
            file: "null.json",
            bytes: || b"null".to_vec(),
            exit: 2,
            holds: &["expected a JSON object", "null"],
        },
        Case {
            name: "JSON boolean",
            file: "bool.json",
            bytes: || b"true".to_vec(),
            exit: 2,
            holds: &["expected a JSON object", "a boolean"],
        },
        Case {
            name: "arrays nested deep at the top",
            file: "deep-arrays.json",
            bytes: || deep_arrays().into_bytes(),
            exit: 2,
            holds: &["expected a JSON object"],
        },
        Case {
            name: "objects nested deep at the top",
            file: "deep-objects.json",
            bytes: || deep_objects().into_bytes(),
            exit: 2,
            holds: &["not terraform output"],
        },
        Case {
            name: "arrays nested deep in a network resource's values",
            file: "deep-values.json",
            bytes: || {
                let doc = format!(
                    r#"{{"format_version":"1.0","values":{{"root_module":{{"resources":[{{"address":"aws_vpc.a","mode":"managed","type":"aws_vpc","name":"a","values":{}}}]}}}}}}"#,
                    deep_arrays()
                );
                doc.into_bytes()
            },
            exit: 2,
            holds: &[
                "nested too deeply",
                "values.root_module.resources[0].values",
            ],
        },
        Case {
            name: "objects nested deep in the configuration",
            file: "deep-config.json",
            bytes: || {
                format!(
                    r#"{{"format_version":"1.2","resource_changes":[],"configuration":{}}}"#,
                    deep_objects()
                )
                .into_bytes()
            },
            exit: 2,
            holds: &["nested too deeply", "configuration"],
        },
        Case {
            name: "objects nested deep in the variables",
            file: "deep-vars.json",
            bytes: || {
                format!(r#"{{"format_version":"1.2","resource_changes":[],"variables":{{"v":{{"value":{}}}}}}}"#,
                                 deep_objects()).into_bytes()
            },
            exit: 2,
            holds: &["nested too deeply"],
        },
        Case {
            name: "binary data",
            file: "binary.json",
            bytes: || {
                (0..4096u32)
                    .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8 | 0x80)
                    .collect()
            },
            exit: 2,
            holds: &["not UTF-8"],
        },
        Case {
            name: "UTF-16 without a byte-order mark",
            file: "nobom.json",
            bytes: || utf16(&small_state(), false)[2..].to_vec(),
            exit: 2,
            holds: &["UTF-16", "byte-order mark"],
        },
        Case {
            name: "format_version 2.0",
            file: "future.json",
            bytes: || {
                br#"{"format_version":"2.0","planned_values":{},"resource_changes":[]}"#.to_vec()
            },
            exit: 2,
            holds: &["at format_version", "2.0", "newer"],
        },
        Case {
            name: "format_version a number",
            file: "vernum.json",
            bytes: || br#"{"format_version":1.0,"values":{}}"#.to_vec(),
            exit: 2,
            holds: &["at format_version", "expected a string"],
        },
        Case {
            name: "resource_changes an object",
            file: "rc-object.json",
            bytes: || br#"{"format_version":"1.2","resource_changes":{"aws_vpc.a":{}}}"#.to_vec(),
            exit: 2,
            holds: &["at resource_changes", "expected a sequence"],
        },
        Case {
            name: "resources an object",
            file: "res-object.json",
            bytes: || {
                br#"{"format_version":"1.0","values":{"root_module":{"resources":{"x":1}}}}"#
                    .to_vec()
            },
            exit: 2,
            holds: &["at values.root_module.resources", "expected a sequence"],
        },
        Case {
            name: "address a number",
            file: "addr-number.json",
            bytes: || {
                serde_json::to_vec(&state_with(json!([
                    {"address": 42, "mode": "managed", "type": "aws_vpc", "name": "a", "values": {}}
                ])))
                .expect("serialises")
            },
            exit: 2,
            holds: &[
                "at values.root_module.resources[0].address",
                "expected a string",
            ],
        },
        Case {
            name: "actions a string",
            file: "actions.json",
            bytes: || {
                br#"{"format_version":"1.2","resource_changes":[{"address":"aws_vpc.a","type":"aws_vpc","name":"a","change":{"actions":"create"}}]}"#.to_vec()
            },
            exit: 2,
            holds: &[
                "at resource_changes[0].change.actions",
                "expected a sequence",
            ],
        },
        Case {
            name: "terraform plan -json log",
            file: "plan-log.json",
            bytes: || {
                concat!(
                   r#"{"@level":"info","@message":"Terraform 1.9.8","@module":"terraform.ui","@timestamp":"2024-05-01T10:00:00.000000Z","terraform":"1.9.8","type":"version","ui":"1.2"}"#, "\n",
                   r#"{"@level":"info","@message":"aws_vpc.a: Plan to create","@module":"terraform.ui","@timestamp":"2024-05-01T10:00:01.000000Z","change":{"resource":{"addr":"aws_vpc.a"},"action":"create"},"type":"planned_change"}"#, "\n",
                   r#"{"@level":"info","@message":"Plan: 1 to add, 0 to change, 0 to destroy.","@module":"terraform.ui","changes":{"add":1,"change":0,"remove":0,"operation":"plan"},"type":"change_summary"}"#, "\n",
               ).as_bytes().to_vec()
            },
            exit: 2,
            holds: &["line-per-event", "terraform show -json"],
        },
        Case {
            name: "two JSON documents",
            file: "two.json",
            bytes: || br#"{"format_version":"1.0","values":{}} {"format_version":"1.0"}"#.to_vec(),
            exit: 2,
            holds: &["more than one JSON document"],
        },
        Case {
            name: "raw state of version 3",
            file: "terraform.tfstate",
            bytes: || br#"{"version":3,"serial":1,"modules":[]}"#.to_vec(),
            exit: 2,
            holds: &["at version", "version 4"],
        },
        Case {
            name: "empty standard input",
            file: "-",
            bytes: Vec::new,
            exit: 2,
            holds: &["<stdin>", "the input is empty"],
        },
        Case {
            name: "UTF-16 LE with a byte-order mark",
            file: "utf16le.json",
            bytes: || utf16(&small_state(), false),
            exit: 0,
            holds: &["\"reachable\":2"],
        },
        Case {
            name: "UTF-16 BE with a byte-order mark",
            file: "utf16be.json",
            bytes: || utf16(&small_state(), true),
            exit: 0,
            holds: &["\"reachable\":2"],
        },
        Case {
            name: "UTF-8 with a byte-order mark",
            file: "bom.json",
            bytes: || [&[0xEF, 0xBB, 0xBF][..], &small_state()].concat(),
            exit: 0,
            holds: &["\"reachable\":2"],
        },
        Case {
            name: "a state on standard input",
            file: "-",
            bytes: small_state,
            exit: 0,
            holds: &["\"reachable\":2"],
        },
        Case {
            name: "references that loop through modules",
            file: "loop.json",
            bytes: looping_plan,
            exit: 0,
            holds: &["\"unknown\":2", "UNRESOLVED_REFERENCE"],
        },
        Case {
            name: "odd for_each keys",
            file: "keys.json",
            bytes: odd_keys_state,
            exit: 0,
            holds: &[
                r#"module.vpc0_0.aws_subnet.each0[\"a.b00\"]"#,
                r#"aws_subnet.each0[\"q\\\"uote20\"]"#,
                r#"aws_subnet.each0[\"br[0]40\"]"#,
                r#"aws_subnet.each0[\"ключ60\"]"#,
                "\"reachable\":56",
            ],
        },
        Case {
            name: "a number for a CIDR block",
            file: "cidr-number.json",
            bytes: || {
                serde_json::to_vec(&state_with(json!([
                   {"address": "aws_vpc.a", "mode": "managed", "type": "aws_vpc", "name": "a",
                    "values": {"id": "vpc-1", "cidr_block": 17}},
                   {"address": "aws_subnet.a", "mode": "managed", "type": "aws_subnet", "name": "a",
                    "values": {"id": "subnet-1", "vpc_id": ["vpc-1"], "cidr_block": {"x": 1}}}
               ]))).expect("serialises")
            },
            exit: 0,
            holds: &["INVALID_RESOURCE", "aws_vpc.a"],
        },
    ]
}

/// Runs `tfreach analyze --format json` on `bytes` saved as `file` in
/// `dir` (or given on standard input for `-`); returns (exit, stdout, stderr).
fn analyze(dir: &Path, file: &str, bytes: &[u8]) -> (i32, String, String) {
    let mut cmd = Command::cargo_bin("tfreach").expect("the binary");
    cmd.current_dir(dir)
        .env_remove("RUST_BACKTRACE")
        .args(["analyze", file, "--format", "json"])
        .timeout(TIMEOUT);
    if file == "-" {
        cmd.write_stdin(bytes.to_vec());
    } else {
        std::fs::write(dir.join(file), bytes).expect("written");
    }
    let out = cmd.output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// What is wrong with one run, if anything.
fn judge(c: &Case, exit: i32, stdout: &str, stderr: &str) -> Option<String> {
    let name = if c.file == "-" { "<stdin>" } else { c.file };
    if stderr.contains("panicked") || stderr.contains("backtrace") || exit == 101 || exit == -1 {
        return Some(format!("crashed or hung (exit {exit}): {stderr}"));
    }
    if exit != c.exit {
        return Some(format!(
            "exit {exit}, expected {}; stderr: {stderr}",
            c.exit
        ));
    }
    if exit == 2 {
        let lines: Vec<&str> = stderr.lines().collect();
        if lines.len() != 1 {
            return Some(format!("{} lines on standard error: {stderr}", lines.len()));
        }
        if !lines[0].starts_with("tfreach: error: ") || !lines[0].contains(name) {
            return Some(format!("the error does not name {name}: {stderr}"));
        }
        let missing: Vec<&&str> = c.holds.iter().filter(|h| !stderr.contains(**h)).collect();
        if !missing.is_empty() {
            return Some(format!("standard error lacks {missing:?}: {stderr}"));
        }
        if !stdout.is_empty() {
            return Some(format!("printed a report as well: {stdout}"));
        }
        return None;
    }
    if let Err(e) = serde_json::from_str::<Value>(stdout) {
        return Some(format!("the report is not JSON ({e}): {stdout}"));
    }
    let missing: Vec<&&str> = c.holds.iter().filter(|h| !stdout.contains(**h)).collect();
    if !missing.is_empty() {
        return Some(format!("the report lacks {missing:?}: {stdout}"));
    }
    None
}

#[test]
fn every_kind_of_hostile_input_gets_its_exit_status_and_one_clear_line() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut failures = Vec::new();
    for c in cases() {
        let (exit, stdout, stderr) = analyze(dir.path(), c.file, &(c.bytes)());
        if let Some(why) = judge(&c, exit, &stdout, &stderr) {
            failures.push(format!("{}: {why}", c.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_missing_file_or_a_directory_cannot_be_read() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for file in ["no-such-file.json", "."] {
        let out = Command::cargo_bin("tfreach")
            .expect("the binary")
            .current_dir(dir.path())
            .args(["analyze", file])
            .timeout(TIMEOUT)
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{file}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{file}: {stderr}");
        assert!(
            stderr.contains(file) && stderr.contains("cannot read"),
            "{file}: {stderr}"
        );
    }
}

/// Deep nesting inside parts tfreach skips (the values of resource types it
/// does not model, unknown keys) is accepted today: the document is
/// analysed as if that part were absent. Terraform never writes such
/// nesting, so the issue asks for exit 2.
#[test]
fn deep_nesting_inside_skipped_parts_is_rejected() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let docs = [
        format!(
            r#"{{"format_version":"1.0","values":{{"root_module":{{"resources":[{{"address":"aws_s3_bucket.a","mode":"managed","type":"aws_s3_bucket","name":"a","values":{}}}]}}}}}}"#,
            deep_arrays()
        ),
        format!(r#"{{"format_version":"1.0","values":{}}}"#, deep_objects()),
        format!(r#"{{"format_version":"1.0","extra":{}}}"#, deep_arrays()),
    ];
    for (i, d) in docs.iter().enumerate() {
        let (exit, _, stderr) = analyze(dir.path(), &format!("deep{i}.json"), d.as_bytes());
        assert_eq!(exit, 2, "document {i}: {stderr}");
        assert!(
            stderr.contains("nested too deeply"),
            "document {i}: {stderr}"
        );
    }
}

/// A truncated document names its JSON path with a `?` placeholder where
/// the parser stopped inside a key (`at values.?: ...`).
#[test]
fn a_truncated_document_names_no_placeholder_path() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (exit, _, stderr) = analyze(
        dir.path(),
        "cut.json",
        br#"{"format_version":"1.0","values":{"root_m"#,
    );
    assert_eq!(exit, 2, "{stderr}");
    assert!(!stderr.contains('?'), "{stderr}");
}
