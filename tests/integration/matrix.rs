//! `tfreach matrix`: CSV (long, square, by VPC), JSON, DOT, Mermaid and the
//! HTML page (loaded in headless Chromium when it is installed), and the
//! escaping of crafted `for_each` keys in every format.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use assert_cmd::Command;
use serde_json::{json, Value};
use tfreach::analysis::Analysis;
use tfreach::ingest::View;

use crate::support::{analyse, root};

const EXAMPLE: &str = "fixtures/example/plan.json";

fn tfreach() -> Command {
    let mut c = Command::cargo_bin("tfreach").unwrap();
    c.current_dir(root());
    c
}

fn run(args: &[&str]) -> String {
    let out = tfreach().args(args).assert().success().get_output().clone();
    String::from_utf8(out.stdout).unwrap()
}

fn example() -> Analysis {
    analyse(&root().join(EXAMPLE), View::Planned)
}

fn verdicts(a: &Analysis) -> BTreeMap<(String, String), String> {
    a.pairs
        .iter()
        .map(|p| {
            (
                (
                    a.subnets[p.from].address.clone(),
                    a.subnets[p.to].address.clone(),
                ),
                p.verdict.as_str().to_string(),
            )
        })
        .collect()
}

#[test]
fn csv_long_lists_every_pair_with_its_reasons() {
    let out = run(&["matrix", EXAMPLE, "--format", "csv"]);
    let mut r = csv::Reader::from_reader(out.as_bytes());
    assert_eq!(
        r.headers().unwrap(),
        vec!["from", "to", "verdict", "reason"]
    );
    let want = verdicts(&example());
    let mut got = BTreeMap::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        let (from, to, verdict, reason) = (&rec[0], &rec[1], &rec[2], &rec[3]);
        assert_eq!(reason.is_empty(), verdict == "reachable", "{from} -> {to}");
        got.insert((from.to_string(), to.to_string()), verdict.to_string());
    }
    assert_eq!(got, want);
    assert_eq!(got.len(), 12);
    let row = out
        .lines()
        .find(|l| l.starts_with("aws_subnet.staging_app,aws_subnet.shared_tools"))
        .unwrap();
    assert!(
        row.contains("one_way,return: NO_ROUTE_TO_DESTINATION at aws_route_table.shared"),
        "{row}"
    );
}

#[test]
fn csv_square_has_a_row_and_a_column_per_subnet() {
    let out = run(&["matrix", EXAMPLE, "--format", "csv", "--square"]);
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(out.as_bytes());
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    let a = example();
    let n = a.subnets.len();
    assert_eq!(rows.len(), n + 1);
    let cols: Vec<&str> = rows[0].iter().skip(1).collect();
    let names: Vec<&str> = a.subnets.iter().map(|s| s.address.as_str()).collect();
    assert_eq!(cols, names);
    let want = verdicts(&a);
    for (i, row) in rows[1..].iter().enumerate() {
        assert_eq!(row.len(), n + 1);
        assert_eq!(&row[0], names[i]);
        for j in 0..n {
            let cell = &row[j + 1];
            if i == j {
                assert_eq!(cell, "-");
            } else {
                assert_eq!(cell, want[&(names[i].to_string(), names[j].to_string())]);
            }
        }
    }
}

#[test]
fn csv_by_vpc_counts_add_up() {
    let out = run(&["matrix", EXAMPLE, "--format", "csv", "--by-vpc"]);
    let mut r = csv::Reader::from_reader(out.as_bytes());
    let mut total = 0u64;
    for rec in r.records() {
        let rec = rec.unwrap();
        let nums: Vec<u64> = (2..8).map(|k| rec[k].parse().unwrap()).collect();
        assert_eq!(nums[0], nums[1..].iter().sum::<u64>(), "{rec:?}");
        total += nums[0];
        if &rec[0] == "aws_vpc.staging" && &rec[1] == "aws_vpc.shared" {
            assert_eq!(nums, [1, 0, 0, 1, 0, 0]);
        }
    }
    assert_eq!(total, 12);
}

#[test]
fn square_is_only_for_csv() {
    tfreach()
        .args(["matrix", EXAMPLE, "--format", "json", "--square"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "--square applies to --format csv",
        ));
}

#[test]
fn json_matrix_matches_the_analysis() {
    let v: Value = serde_json::from_str(&run(&["matrix", EXAMPLE, "--format", "json"])).unwrap();
    assert_eq!(v["schema"], "tfreach/matrix/v1");
    let a = example();
    let subnets: Vec<&str> = v["subnets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["address"].as_str().unwrap())
        .collect();
    assert_eq!(subnets.len(), a.subnets.len());
    let want = verdicts(&a);
    for (i, row) in v["verdicts"].as_array().unwrap().iter().enumerate() {
        for (j, cell) in row.as_array().unwrap().iter().enumerate() {
            if i == j {
                assert!(cell.is_null());
            } else {
                assert_eq!(
                    cell,
                    want[&(subnets[i].to_string(), subnets[j].to_string())].as_str()
                );
            }
        }
    }
    assert_eq!(v["summary"]["one_way"], 1);
    let by_vpc: Value =
        serde_json::from_str(&run(&["matrix", EXAMPLE, "-f", "json", "--by-vpc"])).unwrap();
    assert_eq!(by_vpc["schema"], "tfreach/vpc-matrix/v1");
    let sum: u64 = by_vpc["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["pairs"].as_u64().unwrap())
        .sum();
    assert_eq!(sum, 12);
}

/// DOT statements, checked line by line against the shapes the reporter
/// writes: quoted strings must be closed on their line.
/// A DOT edge: from, to, colour, two-headed.
type DotEdge = (String, String, String, bool);

fn dot_statements(dot: &str) -> (usize, Vec<String>, Vec<DotEdge>) {
    let mut clusters = 0;
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    let lines: Vec<&str> = dot.lines().collect();
    assert_eq!(lines[0], "digraph tfreach {");
    assert_eq!(*lines.last().unwrap(), "}");
    for l in &lines[1..lines.len() - 1] {
        let t = l.trim();
        // Strings are closed: an even number of unescaped quotes.
        let mut quotes = 0;
        let mut esc = false;
        for c in t.chars() {
            match c {
                '\\' if !esc => esc = true,
                '"' if !esc => quotes += 1,
                _ => esc = false,
            }
            if c != '\\' {
                esc = false;
            }
        }
        assert_eq!(quotes % 2, 0, "unbalanced: {t}");
        if t.starts_with("subgraph cluster_") {
            clusters += 1;
        } else if let Some(rest) = t.strip_prefix('s') {
            let id: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
            let after = &rest[id.len()..];
            if let Some(e) = after.strip_prefix(" -> s") {
                let to: String = e.chars().take_while(|c| c.is_ascii_digit()).collect();
                let color = e
                    .split("color=\"")
                    .nth(1)
                    .unwrap()
                    .split('"')
                    .next()
                    .unwrap()
                    .to_string();
                edges.push((id, to, color, e.contains("dir=both")));
            } else {
                assert!(after.starts_with(" [label=\""), "{t}");
                assert!(t.ends_with("\"];"), "{t}");
                nodes.push(id);
            }
        }
    }
    (clusters, nodes, edges)
}

#[test]
fn dot_clusters_by_vpc_and_colours_edges_by_verdict() {
    let dot = run(&["matrix", EXAMPLE, "--format", "dot"]);
    let (clusters, nodes, edges) = dot_statements(&dot);
    assert_eq!(clusters, 3);
    assert_eq!(nodes.len(), 4);
    // 6 reachable pairs as 3 two-headed edges, 1 one-way edge, no blocked.
    assert_eq!(edges.len(), 4, "{dot}");
    assert_eq!(edges.iter().filter(|e| e.3 && e.2 == "#2e7d32").count(), 3);
    assert_eq!(edges.iter().filter(|e| !e.3 && e.2 == "#c62828").count(), 1);
    if let Ok(out) = Process::new("dot")
        .arg("-Tsvg")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
    {
        use std::io::Write;
        let mut child = out;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(dot.as_bytes())
            .unwrap();
        let o = child.wait_with_output().unwrap();
        assert!(o.status.success(), "graphviz refused the file");
    } else {
        println!("note: graphviz `dot` not on PATH; DOT checked structurally only");
    }
}

/// Mermaid lines: node definitions, edges, link styles and notes.
fn mermaid_lines(m: &str) -> (usize, usize, usize) {
    let lines: Vec<&str> = m.lines().collect();
    assert_eq!(lines[0], "flowchart LR");
    let (mut nodes, mut edges, mut styles) = (0, 0, 0);
    for l in &lines[1..] {
        let t = l.trim();
        // Between the label quotes nothing but entity-coded text.
        if let Some(start) = t.find("[\"").or_else(|| t.find("|\"")) {
            let inner = &t[start + 2..t.rfind('"').unwrap()];
            assert!(
                !inner
                    .replace("<br/>", "")
                    .contains(['"', '[', ']', '<', '>', '|', '`']),
                "{t}"
            );
        }
        if t.starts_with("linkStyle ") {
            styles += 1;
        } else if t.contains(" -->|") || t.contains(" <-->|") {
            edges += 1;
        } else if t.starts_with('v') || t.starts_with("note") {
            nodes += 1;
        } else {
            panic!("unexpected line {t}");
        }
    }
    (nodes, edges, styles)
}

#[test]
fn mermaid_is_vpc_level() {
    let m = run(&["matrix", EXAMPLE, "--format", "mermaid"]);
    let (nodes, edges, styles) = mermaid_lines(&m);
    assert_eq!(nodes, 3);
    // prod <-> shared (2 reachable each way) and staging -> shared (one-way).
    assert_eq!(edges, 2);
    assert_eq!(styles, edges);
    assert!(m.contains("v2 -->|\"1 one_way\"| v1"), "{m}");
    assert!(m.contains("v0 <-->|\"2 reachable\"| v1"), "{m}");
}

fn estate(vpcs: usize, subnets: usize, topology: tfreach_synth::Topology, dir: &Path) -> PathBuf {
    let spec =
        tfreach_synth::EstateSpec::new(vpcs, subnets, topology, tfreach_synth::Mode::Steady, 7);
    let path = dir.join(format!("estate-{vpcs}.json"));
    let f = std::fs::File::create(&path).unwrap();
    tfreach_synth::write_plan(&spec, std::io::BufWriter::new(f)).unwrap();
    path
}

#[test]
fn mermaid_stays_within_githubs_limits_on_a_large_estate() {
    // 60 VPCs in meshes of 30: 2 * 30 * 29 = 1,740 VPC pairs with traffic.
    let dir = tempfile::tempdir().unwrap();
    let p = estate(
        60,
        1,
        tfreach_synth::Topology::Mesh { group: 30 },
        dir.path(),
    );
    let m = run(&["matrix", p.to_str().unwrap(), "--format", "mermaid"]);
    let (_, edges, styles) = mermaid_lines(&m);
    assert!(
        edges <= tfreach::report::mermaid::MAX_EDGES && edges > 100,
        "{edges}"
    );
    assert_eq!(styles, edges);
    assert!(m.len() < 50_000, "{}", m.len());
    assert!(m.contains("not drawn (GitHub draws at most 500 edges)"));
}

// ---------------------------------------------------------------------------
// HTML

#[test]
fn html_is_self_contained() {
    let html = run(&["matrix", EXAMPLE, "--format", "html"]);
    assert!(html.starts_with("<!DOCTYPE html>"));
    for remote in ["http://", "https://", "src=", "<link", "@import", "url("] {
        assert!(!html.contains(remote), "{remote}");
    }
    assert!(html.contains("Content-Security-Policy\" content=\"default-src 'none'"));
    // The embedded data parses, with one cell per ordered pair.
    let start = html
        .find("<script type=\"application/json\" id=\"tfreach-data\">")
        .unwrap();
    let body = &html[start..];
    let json_text = &body[body.find('>').unwrap() + 1..body.find("</script>").unwrap()];
    let v: Value = serde_json::from_str(json_text).unwrap();
    assert_eq!(v["mode"], "subnet");
    let cells = v["cells"].as_str().unwrap();
    assert_eq!(cells.len(), 16);
    assert_eq!(cells.chars().filter(|c| *c == '-').count(), 4);
    assert_eq!(cells.chars().filter(|c| *c == 'O').count(), 1);
    // Hop-by-hop paths are embedded for every pair.
    let explained = v["explain"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| !x.is_null())
        .count();
    assert_eq!(explained, 12);
}

/// Loads a page in headless Chromium; None when Chromium is not installed.
fn chromium_dom(page: &Path) -> Option<String> {
    let bin = ["chromium", "chromium-browser"].into_iter().find(|b| {
        Process::new(b)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })?;
    let profile = tempfile::tempdir().unwrap();
    let out = Process::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).unwrap())
}

fn attr<'a>(dom: &'a str, name: &str) -> Option<&'a str> {
    let key = format!("{name}=\"");
    let i = dom.find(&key)? + key.len();
    Some(&dom[i..i + dom[i..].find('"')?])
}

fn render_in_browser(args: &[&str], dir: &Path) -> Option<String> {
    let page = dir.join("matrix.html");
    let mut a = args.to_vec();
    a.extend(["--format", "html", "--output", page.to_str().unwrap()]);
    tfreach().args(&a).assert().success();
    let dom = chromium_dom(&page);
    if dom.is_none() {
        println!("note: chromium not on PATH; the HTML page was not loaded in a browser (.ci/run installs it)");
    }
    dom
}

#[test]
fn html_renders_in_a_real_browser_with_one_cell_per_pair() {
    let dir = tempfile::tempdir().unwrap();
    let Some(dom) = render_in_browser(&["matrix", EXAMPLE], dir.path()) else {
        return;
    };
    assert_eq!(attr(&dom, "data-error"), None, "script error");
    assert_eq!(attr(&dom, "data-state"), Some("ready"));
    assert_eq!(attr(&dom, "data-cells"), Some("12"));
    assert_eq!(dom.matches("<td class=\"cell ").count(), 12);
    assert_eq!(dom.matches("<td class=\"cell v-O").count(), 1);
    assert_eq!(
        dom.matches("<th class=\"vpc\"").count(),
        6,
        "3 VPCs, as column and row groups"
    );
    // The one-way pair is explained on load, hop by hop.
    assert!(dom.contains("aws_subnet.staging_app → aws_subnet.shared_tools"));
    assert!(dom.contains("has no route that matches 10.20.1.0/24  ← stops here"));
}

#[test]
fn html_by_vpc_renders_the_aggregate() {
    let dir = tempfile::tempdir().unwrap();
    let Some(dom) = render_in_browser(&["matrix", EXAMPLE, "--by-vpc"], dir.path()) else {
        return;
    };
    assert_eq!(attr(&dom, "data-error"), None);
    // 7 VPC pairs have pairs (staging and shared have one subnet each).
    assert_eq!(attr(&dom, "data-cells"), Some("7"));
}

// ---------------------------------------------------------------------------
// Crafted for_each keys

/// A key that tries every trick: markup, script, a Markdown link, a
/// mention, a backtick, table and string delimiters, CDATA and comment
/// ends.
pub const KEY: &str = "<img src=x onerror=alert(1)><script>alert(2)</script>`@octocat [x](https://evil.example) | \"q\" 'a' & ]]> --> \\ {0}";

/// The state_document fixture with crafted keys on a subnet, a VPC and a
/// route table, and without b's route back to a (so a -> b is one-way and
/// its reasons name the crafted route table).
pub fn crafted_state(dir: &Path) -> PathBuf {
    let text =
        std::fs::read_to_string(root().join("fixtures/rules/state_document/state.json")).unwrap();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    let rs = v["values"]["root_module"]["resources"]
        .as_array_mut()
        .unwrap();
    rs.retain(|r| r["address"] != "aws_route.b_to_a");
    for r in rs.iter_mut() {
        let addr = r["address"].as_str().unwrap().to_string();
        if addr == "aws_route_table.b" {
            r["values"]["route"] = json!([]);
        }
        if ["aws_subnet.a_app", "aws_vpc.a", "aws_route_table.b"].contains(&addr.as_str()) {
            r["address"] = json!(format!("{addr}[{}]", serde_json::to_string(KEY).unwrap()));
            r["index"] = json!(KEY);
        }
    }
    let p = dir.join("crafted.json");
    std::fs::write(&p, serde_json::to_string(&v).unwrap()).unwrap();
    p
}

fn crafted_subnet() -> String {
    format!("aws_subnet.a_app[{}]", serde_json::to_string(KEY).unwrap())
}

#[test]
fn crafted_keys_are_analysed_as_addresses() {
    let dir = tempfile::tempdir().unwrap();
    let a = analyse(&crafted_state(dir.path()), View::Planned);
    let names: BTreeSet<&str> = a.subnets.iter().map(|s| s.address.as_str()).collect();
    assert!(names.contains(crafted_subnet().as_str()), "{names:?}");
    let v: Vec<_> = a.pairs.iter().map(|p| p.verdict.as_str()).collect();
    assert_eq!(v, ["one_way", "blocked"]);
}

#[test]
fn crafted_keys_stay_text_in_csv_json_dot_and_mermaid() {
    let dir = tempfile::tempdir().unwrap();
    let p = crafted_state(dir.path());
    let file = p.to_str().unwrap();
    let subnet = crafted_subnet();

    let out = run(&["matrix", file, "--format", "csv"]);
    let mut r = csv::Reader::from_reader(out.as_bytes());
    let first = r.records().next().unwrap().unwrap();
    assert_eq!(&first[0], subnet);

    let v: Value = serde_json::from_str(&run(&["matrix", file, "-f", "json"])).unwrap();
    assert_eq!(v["subnets"][0]["address"], subnet.as_str());

    let dot = run(&["matrix", file, "-f", "dot"]);
    let (clusters, nodes, edges) = dot_statements(&dot);
    assert_eq!((clusters, nodes.len(), edges.len()), (2, 2, 1));
    // Inside a quoted string (never an HTML label) that reads back as the
    // address.
    let line = dot
        .lines()
        .find(|l| l.trim_start().starts_with("s0 [label=\""))
        .unwrap();
    let quoted = &line.trim_start()["s0 [label=\"".len()..line.trim_start().len() - "\"];".len()];
    let mut back = String::new();
    let mut chars = quoted.chars();
    while let Some(c) = chars.next() {
        match (c, c == '\\') {
            (_, true) => match chars.next().unwrap() {
                'n' => back.push('\n'),
                other => back.push(other),
            },
            (c, false) => back.push(c),
        }
    }
    assert_eq!(back, format!("{subnet}\n10.0.1.0/24"));

    let m = run(&["matrix", file, "-f", "mermaid"]);
    let (nodes, edges, _) = mermaid_lines(&m);
    assert_eq!((nodes, edges), (2, 1));
    for bad in ["<img", "<script", "](", "`", "\"q\""] {
        assert!(!m.contains(bad), "{bad} in {m}");
    }
}

#[test]
fn crafted_keys_stay_text_in_html_even_in_a_browser() {
    let dir = tempfile::tempdir().unwrap();
    let p = crafted_state(dir.path());
    let page = dir.path().join("crafted.html");
    tfreach()
        .args([
            "matrix",
            p.to_str().unwrap(),
            "-f",
            "html",
            "-o",
            page.to_str().unwrap(),
        ])
        .assert()
        .success();
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(!html.contains("<img") && !html.contains("<script>alert"));
    let Some(dom) = chromium_dom(&page) else {
        println!("note: chromium not on PATH; the crafted page was checked as text only");
        return;
    };
    assert_eq!(attr(&dom, "data-error"), None);
    assert_eq!(attr(&dom, "data-cells"), Some("2"));
    // The key is shown as text: escaped in the serialised DOM, never an element.
    assert!(dom.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(!dom.contains("<img") && !dom.contains("<script>alert"));
}

#[test]
fn crafted_keys_stay_text_in_diff_markdown() {
    use pulldown_cmark::{Event, Options, Parser, Tag};
    let dir = tempfile::tempdir().unwrap();
    let p = crafted_state(dir.path());
    let out = tfreach()
        .args([
            "diff",
            "fixtures/rules/state_document/state.json",
            p.to_str().unwrap(),
            "-f",
            "markdown",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let md = String::from_utf8(out).unwrap();
    let mut in_code_or_html = 0;
    for ev in Parser::new_ext(&md, Options::ENABLE_TABLES) {
        match ev {
            Event::Start(Tag::Link { .. }) | Event::Start(Tag::Image { .. }) => {
                panic!("a link in {md}")
            }
            Event::Html(h) | Event::InlineHtml(h) => {
                // Only the reporter's own tags.
                let allowed = [
                    "<details>",
                    "<details open>",
                    "</details>",
                    "<summary>",
                    "</summary>",
                    "<b>",
                    "</b>",
                    "<br>",
                    "<code>",
                    "</code>",
                ];
                let tag = h.trim();
                assert!(
                    allowed.iter().any(|a| tag.starts_with(a)),
                    "raw HTML {tag:?}"
                );
                assert!(!tag.contains("<img") && !tag.contains("<script"), "{tag}");
            }
            Event::Code(c) if c.contains("@octocat") => in_code_or_html += 1,
            Event::Text(t) => assert!(!t.contains("@octocat"), "mention outside code: {t}"),
            _ => {}
        }
    }
    assert!(in_code_or_html >= 2, "{md}");
}

#[test]
fn crafted_keys_stay_text_in_sarif_and_junit() {
    let dir = tempfile::tempdir().unwrap();
    let p = crafted_state(dir.path());
    let policy = dir.path().join("p.toml");
    std::fs::write(&policy, "[[no_one_way]]\n").unwrap();
    let args = |f: &str| {
        vec![
            "check".to_string(),
            p.to_str().unwrap().to_string(),
            "--policy".into(),
            policy.to_str().unwrap().to_string(),
            "-f".into(),
            f.to_string(),
        ]
    };
    let out = tfreach()
        .args(args("junit"))
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let xml = String::from_utf8(out).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let failure = doc
        .descendants()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    assert!(failure.text().unwrap().contains(&crafted_subnet()));
    assert_eq!(
        doc.descendants()
            .filter(|n| n.has_tag_name("img") || n.has_tag_name("script"))
            .count(),
        0
    );

    let out = tfreach()
        .args(args("sarif"))
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    let results = crate::check::validate_sarif(&v);
    let text = results[0]["message"]["text"].as_str().unwrap();
    // Brackets escaped, so no embedded link can form.
    assert!(text.contains("\\[x\\](https://evil.example)"), "{text}");
    assert!(!text.contains("[x](https"));
}

#[test]
fn flow_flags_apply_to_the_export_commands() {
    // The example has no network ACL: TCP 443 gets the same verdicts as
    // any traffic.
    let any = run(&["matrix", EXAMPLE, "-f", "csv"]);
    let https = run(&[
        "matrix",
        EXAMPLE,
        "-f",
        "csv",
        "--protocol",
        "tcp",
        "--port",
        "443",
    ]);
    assert_eq!(any, https);
    for cmd in [
        vec!["matrix", EXAMPLE],
        vec!["diff", EXAMPLE],
        vec![
            "check",
            EXAMPLE,
            "--policy",
            "fixtures/policies/example.toml",
        ],
    ] {
        let mut args = cmd.clone();
        args.extend(["--protocol", "icmp", "--port", "443"]);
        tfreach()
            .args(&args)
            .assert()
            .code(2)
            .stderr(predicates::str::starts_with("tfreach: error: "));
    }
}

/// CSV and JSON matrices are written as their pairs are computed (the
/// analysis holds none); the bytes are those of the same matrix written from
/// an analysis that holds every pair, on every rule fixture, the real plans
/// and a generated estate.
#[test]
fn streamed_matrices_equal_held_ones() {
    use tfreach::analysis::{Options, PairsFilter};
    use tfreach::commands::Pairs;
    use tfreach::report::doc::MatrixDoc;
    use tfreach::report::{self, InputInfo};

    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("fixtures/rules"))
        .unwrap()
        .map(|e| crate::support::document(&e.unwrap().path()))
        .collect();
    docs.push(root().join(EXAMPLE));
    docs.push(
        root().join("fixtures/real/gjkraken__aws-site-to-site-vpn-private-ip-vpn__plan.json"),
    );
    let dir = tempfile::tempdir().unwrap();
    docs.push(estate(
        12,
        3,
        tfreach_synth::Topology::HubAndSpoke,
        dir.path(),
    ));
    docs.sort();
    for path in &docs {
        let bytes = std::fs::read(path).unwrap();
        let name = path.display().to_string();
        let doc = tfreach::ingest::parse(&bytes, &name).unwrap();
        let built = tfreach::model::build(&doc, View::Planned);
        let input = InputInfo::new(&doc, View::Planned, &name);
        let analysis = |pairs| {
            let opts = Options {
                pairs,
                ..Default::default()
            };
            tfreach::analysis::analyze(&built.model, built.findings.clone(), &opts)
        };
        let (held, streamed) = (analysis(PairsFilter::All), analysis(PairsFilter::None));
        assert!(streamed.pairs.is_empty() && streamed.summary == held.summary);
        for (square, by_vpc) in [(false, false), (true, false), (false, true)] {
            let write = |a: &Analysis, pairs: Pairs, json: bool| {
                let md = MatrixDoc {
                    input: &input,
                    analysis: a,
                    pairs: &pairs,
                    traces: None,
                    square,
                    by_vpc,
                };
                let mut out = Vec::new();
                if json {
                    report::json_docs::write_matrix(&mut out, &md).unwrap();
                } else {
                    report::csv::write_matrix(&mut out, &md).unwrap();
                }
                String::from_utf8(out).unwrap()
            };
            for json in [false, true] {
                if json && square {
                    continue;
                }
                let h = write(&held, Pairs::Held(&held.pairs), json);
                assert!(h.lines().count() > 1, "{name}: {h}");
                let computed = Pairs::Computed {
                    model: &built.model,
                    analysis: &streamed,
                    filter: PairsFilter::All,
                };
                assert_eq!(
                    write(&streamed, computed, json),
                    h,
                    "{name}: square {square}, by VPC {by_vpc}, JSON {json}"
                );
            }
        }
    }
}

/// A table with more than 1,000,000 pairs to list shows, instead, the VPC
/// pairs where some traffic is not blocked, with counts that equal the
/// VPC-by-VPC matrix (computed another way, from every pair's verdict);
/// `--pairs` given lists pairs as asked.
#[test]
fn a_table_too_long_to_list_shows_vpc_pairs_that_carry_traffic() {
    let dir = tempfile::tempdir().unwrap();
    let plan = estate(110, 10, tfreach_synth::Topology::HubAndSpoke, dir.path());
    let p = plan.to_str().unwrap();
    let table = run(&["analyze", p]);
    assert!(
        table.contains("1208900 pairs are too many to list one by one"),
        "{table}"
    );
    let rows: BTreeSet<Vec<String>> = table
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("FROM VPC"))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .map(|l| l.split_whitespace().map(String::from).collect())
        .collect();
    let csv = run(&["matrix", p, "--format", "csv", "--by-vpc"]);
    let expected: BTreeSet<Vec<String>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(String::from).collect::<Vec<_>>())
        .filter(|c| c[2] != c[6]) // pairs != blocked: some traffic
        // The table's column order: pairs, reachable, partial, one_way,
        // blocked, unknown (the CSV's as well).
        .collect();
    assert!(rows.len() > 200, "{} rows", rows.len());
    assert_eq!(rows, expected);
    // Asked for, the pairs are listed.
    let failing = run(&["analyze", p, "--pairs", "failing"]);
    assert!(!failing.contains("too many to list"));
    assert!(failing.lines().count() > 1_000_000);
}

/// A grid of subnets (table, DOT) past 1,000,000 pairs is refused with exit
/// 2 and the way out; the VPC-by-VPC view of the same estate is written,
/// and so is the HTML page, which shows VPCs past its own limit.
#[test]
fn a_grid_too_large_to_hold_is_refused_with_the_way_out() {
    let dir = tempfile::tempdir().unwrap();
    let plan = estate(110, 10, tfreach_synth::Topology::HubAndSpoke, dir.path());
    let p = plan.to_str().unwrap();
    for fmt in ["table", "dot"] {
        let out = tfreach()
            .args(["matrix", p, "--format", fmt])
            .assert()
            .code(2)
            .get_output()
            .clone();
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.contains("1208900 ordered pairs") && err.contains("--by-vpc"),
            "{err}"
        );
        assert!(run(&["matrix", p, "--format", fmt, "--by-vpc"]).contains("vpc[109]"));
    }
    assert!(run(&["matrix", p, "--format", "html"]).contains("VPC-by-VPC view"));
}
