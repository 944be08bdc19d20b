//! A self-contained HTML page of the matrix: a heatmap grouped by VPC, a
//! legend, filters over source and destination addresses, and the
//! hop-by-hop path of a pair when its cell is clicked.
//!
//! Everything is inline (no fonts, scripts or images from elsewhere; a
//! Content-Security-Policy forbids any fetch), so the file opens offline
//! and can be attached to a CI run. The data travels as JSON in a
//! `<script type="application/json">` element with `<`, `>` and `&`
//! escaped, and the page's script only ever puts input strings into the
//! DOM through `textContent`: a crafted address cannot become markup or
//! script.
//!
//! Large estates: above [`MAX_SUBNETS`] subnets (or with `--by-vpc`) the
//! page shows the VPC-by-VPC aggregate; above [`MAX_EXPLAINED`] subnets the
//! cells carry reasons but not the hop-by-hop path (the page says which
//! `tfreach explain` command prints it).

use foldhash::HashMap;
use std::io::{self, Write};

use serde::Serialize;

use super::doc::{MatrixDoc, VpcMatrix};
use super::table::describe_input;
use super::{Direction, Reason};
use crate::analysis::Analysis;
use crate::explain::{Explanation, Trace};

/// Above this many subnets the page shows the VPC aggregate.
pub const MAX_SUBNETS: usize = 300;
/// Above this many subnets cells have no embedded path explanation (the
/// command computes the paths of smaller grids for the page).
pub const MAX_EXPLAINED: usize = 80;

/// Text for HTML element content or a quoted attribute.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// JSON that is safe inside a `<script>` element: no `<`, `>` or `&` can
/// close it or open a comment.
pub fn script_json<T: Serialize>(v: &T) -> io::Result<String> {
    let s = serde_json::to_string(v).map_err(io::Error::other)?;
    Ok(s.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029"))
}

/// Strings used many times are sent once.
#[derive(Default)]
struct Interner {
    list: Vec<String>,
    index: HashMap<String, usize>,
}

impl Interner {
    fn id(&mut self, s: &str) -> usize {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        self.list.push(s.to_string());
        self.index.insert(s.to_string(), self.list.len() - 1);
        self.list.len() - 1
    }
}

#[derive(Serialize)]
struct SubnetOut<'a> {
    a: &'a str,
    v: usize,
    c: Option<&'a str>,
}

/// `[family, source, destination, outcome, [[at, action, fails]]]`, with
/// strings as indices into `strings`.
type TraceOut = (usize, usize, usize, usize, Vec<(usize, usize, u8)>);

#[derive(Serialize)]
struct ExplainOut {
    f: Vec<TraceOut>,
    r: Vec<TraceOut>,
}

/// `[code, resource or -1, message, 1 when on the return path]`.
type ReasonOut = (usize, i64, usize, u8);

#[derive(Serialize)]
struct SubnetData<'a> {
    mode: &'static str,
    vpcs: Vec<String>,
    subnets: Vec<SubnetOut<'a>>,
    /// One letter per cell, row-major: R P O B U, `-` on the diagonal.
    cells: String,
    reasons: Vec<Vec<ReasonOut>>,
    /// Per cell, or absent when not embedded.
    explain: Option<Vec<Option<ExplainOut>>>,
    strings: Vec<String>,
}

#[derive(Serialize)]
struct VpcData {
    mode: &'static str,
    vpcs: Vec<(String, usize)>,
    /// Per cell, row-major: `[pairs, reachable, partial, one_way, blocked,
    /// unknown]`, or null when the VPCs have no pair (a VPC with one subnet
    /// to itself).
    cells: Vec<Option<[u64; 6]>>,
    note: Option<String>,
}

fn letter(v: super::Verdict) -> char {
    match v {
        super::Verdict::Reachable => 'R',
        super::Verdict::Partial => 'P',
        super::Verdict::OneWay => 'O',
        super::Verdict::Blocked => 'B',
        super::Verdict::Unknown => 'U',
    }
}

fn reasons_out(rs: &[Reason], strings: &mut Interner) -> Vec<ReasonOut> {
    rs.iter()
        .map(|r| {
            (
                strings.id(r.code),
                r.resource.as_deref().map_or(-1, |x| strings.id(x) as i64),
                strings.id(&r.message),
                u8::from(r.direction == Direction::Return),
            )
        })
        .collect()
}

fn trace_out(t: &Trace, strings: &mut Interner) -> TraceOut {
    (
        strings.id(t.family),
        strings.id(&t.source),
        strings.id(&t.destination),
        strings.id(t.outcome),
        t.hops
            .iter()
            .map(|h| (strings.id(&h.at), strings.id(&h.action), u8::from(h.fails)))
            .collect(),
    )
}

/// The page's data for a grid of subnets: the pairs `a` holds and, when
/// given, their paths (one per pair, in the same order).
fn subnet_data<'a>(a: &'a Analysis, traces: Option<&[Explanation]>) -> SubnetData<'a> {
    let vm = VpcMatrix::of(a);
    let n = a.subnets.len();
    let mut strings = Interner::default();
    let mut cells: Vec<char> = vec!['-'; n * n];
    let mut reasons = vec![Vec::new(); n * n];
    for p in &a.pairs {
        cells[p.from * n + p.to] = letter(p.verdict);
        reasons[p.from * n + p.to] = reasons_out(&p.reasons, &mut strings);
    }
    let explain_all = traces.map(|traces| {
        let mut out: Vec<Option<ExplainOut>> = (0..n * n).map(|_| None).collect();
        for (p, x) in a.pairs.iter().zip(traces) {
            out[p.from * n + p.to] = Some(ExplainOut {
                f: x.forward
                    .iter()
                    .map(|t| trace_out(t, &mut strings))
                    .collect(),
                r: x.ret.iter().map(|t| trace_out(t, &mut strings)).collect(),
            });
        }
        out
    });
    SubnetData {
        mode: "subnet",
        vpcs: vm.vpcs.iter().map(|v| v.address.clone()).collect(),
        subnets: a
            .subnets
            .iter()
            .enumerate()
            .map(|(i, s)| SubnetOut {
                a: &s.address,
                v: vm.vpc_of[i],
                c: s.cidr.as_deref().or(s.ipv6_cidr.as_deref()),
            })
            .collect(),
        cells: cells.into_iter().collect(),
        reasons,
        explain: explain_all,
        strings: strings.list,
    }
}

fn vpc_data(m: &MatrixDoc, note: Option<String>) -> io::Result<VpcData> {
    let vm = VpcMatrix::of_doc(m)?;
    let v = vm.vpcs.len();
    let mut cells = vec![None; v * v];
    for c in &vm.cells {
        let s = &c.counts;
        cells[c.from * v + c.to] = Some([
            s.pairs,
            s.reachable,
            s.partial,
            s.one_way,
            s.blocked,
            s.unknown,
        ]);
    }
    Ok(VpcData {
        mode: "vpc",
        vpcs: vm
            .vpcs
            .iter()
            .map(|x| (x.address.clone(), x.subnets.len()))
            .collect(),
        cells,
        note,
    })
}

const STYLE: &str = r#"
:root { --reachable:#2e7d32; --partial:#ef6c00; --one_way:#c62828; --blocked:#eceff1; --unknown:#6a1b9a; }
body { font: 13px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 16px; color: #212121; }
h1 { font-size: 18px; margin: 0 0 4px; }
header p { margin: 2px 0; color: #455a64; }
#controls { margin: 10px 0; display: flex; flex-wrap: wrap; gap: 12px; align-items: center; }
#controls input { font: inherit; padding: 2px 6px; width: 22em; }
.legend span { display: inline-flex; align-items: center; gap: 4px; margin-right: 10px; }
.sw { display: inline-block; width: 14px; height: 14px; border: 1px solid #b0bec5; text-align: center; font-size: 10px; line-height: 14px; color: #fff; }
#main { display: flex; gap: 16px; align-items: flex-start; }
#matrix { overflow: auto; max-height: 85vh; max-width: 70vw; border: 1px solid #cfd8dc; }
table.m { border-collapse: collapse; }
table.m th { font-weight: normal; background: #fafafa; position: sticky; z-index: 1; }
table.m thead th { top: 0; }
table.m th.vpc { background: #eceff1; font-weight: 600; border: 1px solid #b0bec5; padding: 2px 4px; }
table.m th.col { writing-mode: vertical-rl; transform: rotate(180deg); padding: 4px 0; white-space: nowrap; max-height: 16em; overflow: hidden; text-overflow: ellipsis; }
table.m th.row { text-align: right; padding: 0 6px; white-space: nowrap; left: 0; }
td.cell, td.self { width: 16px; min-width: 16px; height: 16px; border: 1px solid #fff; text-align: center; font-size: 10px; color: #fff; cursor: pointer; padding: 0; }
td.self { background: repeating-linear-gradient(45deg, #fff, #fff 2px, #e0e0e0 2px, #e0e0e0 4px); cursor: default; }
td.vstart { border-left: 2px solid #78909c; }
tr.vstart td, tr.vstart th.row { border-top: 2px solid #78909c; }
.v-R { background: var(--reachable); } .v-P { background: var(--partial); } .v-O { background: var(--one_way); }
.v-B { background: var(--blocked); color: #90a4ae; } .v-U { background: var(--unknown); }
td.cell:hover, td.cell.sel { outline: 2px solid #000; outline-offset: -2px; }
table.m.vpcm td.cell { width: auto; min-width: 3em; padding: 2px 4px; }
#detail { flex: 1; min-width: 22em; max-width: 48em; }
#detail h2 { font-size: 15px; margin: 0 0 6px; word-break: break-all; }
#detail h3 { font-size: 13px; margin: 10px 0 4px; }
#detail ol { margin: 0; padding-left: 22px; }
#detail li.fail { color: #b71c1c; font-weight: 600; }
#detail code, #detail .addr { font-family: ui-monospace, Menlo, Consolas, monospace; word-break: break-all; }
#status { color: #546e7a; }
"#;

const SCRIPT: &str = r#"
(function () {
  "use strict";
  var body = document.body;
  var status = document.getElementById("status");
  window.addEventListener("error", function (e) {
    body.setAttribute("data-error", String(e.message));
    status.textContent = "Script error: " + e.message;
  });
  var D = JSON.parse(document.getElementById("tfreach-data").textContent);
  var NAMES = { R: "reachable", P: "partial", O: "one_way", B: "blocked", U: "unknown" };
  var LETTER = { R: "R", P: "P", O: "O", B: "\u00b7", U: "?" };
  var matrix = document.getElementById("matrix");
  var detail = document.getElementById("detail");
  var qFrom = document.getElementById("q-from");
  var qTo = document.getElementById("q-to");

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); }
  function matcher(q) {
    q = q.trim().toLowerCase();
    if (!q) return function () { return true; };
    if (q.indexOf("*") < 0 && q.indexOf("?") < 0) {
      return function (a) { return a.toLowerCase().indexOf(q) >= 0; };
    }
    var src = "^";
    for (var i = 0; i < q.length; i++) {
      var c = q.charAt(i);
      if (c === "*") src += ".*";
      else if (c === "?") src += ".";
      else src += c.replace(/[.*+?^${}()|[\]\\\/]/g, "\\$&");
    }
    var re = new RegExp(src + "$");
    return function (a) { return re.test(a.toLowerCase()); };
  }

  // Items are subnets, or VPCs in the aggregate view.
  var items = D.mode === "vpc"
    ? D.vpcs.map(function (v, i) { return { a: v[0], v: i, n: v[1] }; })
    : D.subnets;
  var n = items.length;

  function cellInfo(i, j) {
    if (D.mode === "vpc") {
      var c = D.cells[i * n + j];
      if (!c) return null;
      var order = ["O", "P", "U", "R", "B"], idx = { R: 1, P: 2, O: 3, B: 4, U: 5 };
      for (var k = 0; k < order.length; k++) {
        if (c[idx[order[k]]] > 0) return { v: order[k], text: String(c[0]) };
      }
      return null;
    }
    if (i === j) return null;
    var l = D.cells.charAt(i * n + j);
    return { v: l, text: LETTER[l] };
  }

  function render() {
    var mf = matcher(qFrom.value), mt = matcher(qTo.value);
    var rows = [], cols = [];
    for (var i = 0; i < n; i++) {
      if (mf(items[i].a)) rows.push(i);
      if (mt(items[i].a)) cols.push(i);
    }
    var table = el("table", D.mode === "vpc" ? "m vpcm" : "m");
    var thead = el("thead");
    var h1 = el("tr"), h2 = el("tr");
    var corner = el("th", "corner", "from \\ to");
    corner.colSpan = D.mode === "vpc" ? 1 : 2;
    corner.rowSpan = D.mode === "vpc" ? 1 : 2;
    h1.appendChild(corner);
    if (D.mode === "vpc") {
      cols.forEach(function (j) {
        var th = el("th", "col", items[j].a);
        th.title = items[j].a + " (" + items[j].n + " subnets)";
        h1.appendChild(th);
      });
      thead.appendChild(h1);
    } else {
      for (var c = 0; c < cols.length;) {
        var v = items[cols[c]].v, span = 0;
        while (c + span < cols.length && items[cols[c + span]].v === v) span++;
        var th = el("th", "vpc", D.vpcs[v]);
        th.colSpan = span;
        th.title = D.vpcs[v];
        h1.appendChild(th);
        c += span;
      }
      cols.forEach(function (j, k) {
        var th = el("th", "col", items[j].a);
        th.title = items[j].a + (items[j].c ? " " + items[j].c : "");
        if (k > 0 && items[cols[k - 1]].v !== items[j].v) th.className += " vstart";
        h2.appendChild(th);
      });
      thead.appendChild(h1);
      thead.appendChild(h2);
    }
    table.appendChild(thead);
    var tbody = el("tbody");
    var count = 0;
    rows.forEach(function (i, r) {
      var tr = el("tr");
      var first = r === 0 || items[rows[r - 1]].v !== items[i].v;
      if (D.mode !== "vpc" && first) {
        var span = 0;
        while (r + span < rows.length && items[rows[r + span]].v === items[i].v) span++;
        var thv = el("th", "vpc", D.vpcs[items[i].v]);
        thv.rowSpan = span;
        tr.appendChild(thv);
        if (r > 0) tr.className = "vstart";
      }
      var th = el("th", "row", items[i].a);
      th.title = items[i].a + (items[i].c ? " " + items[i].c : "");
      tr.appendChild(th);
      cols.forEach(function (j, k) {
        var info = cellInfo(i, j);
        var td;
        if (!info) {
          td = el("td", "self");
        } else {
          td = el("td", "cell v-" + info.v, info.text);
          td.setAttribute("data-i", i);
          td.setAttribute("data-j", j);
          td.title = items[i].a + " \u2192 " + items[j].a + ": " + NAMES[info.v];
          count++;
        }
        if (D.mode !== "vpc" && k > 0 && items[cols[k - 1]].v !== items[j].v) td.className += " vstart";
        tr.appendChild(td);
      });
      tbody.appendChild(tr);
    });
    table.appendChild(tbody);
    clear(matrix);
    matrix.appendChild(table);
    body.setAttribute("data-cells", String(count));
    status.setAttribute("data-state", "ready");
    status.textContent = rows.length + " \u00d7 " + cols.length + " shown, " + count + " cells" +
      (D.note ? ". " + D.note : "");
  }

  function S(k) { return D.strings[k]; }

  function showTraces(title, traces) {
    detail.appendChild(el("h3", null, title));
    traces.forEach(function (t) {
      detail.appendChild(el("div", null, S(t[0]) + " " + S(t[1]) + " \u2192 " + S(t[2]) + ": " + S(t[3])));
      var ol = el("ol");
      t[4].forEach(function (h) {
        var li = el("li", h[2] ? "fail" : null);
        li.appendChild(el("span", "addr", S(h[0])));
        li.appendChild(document.createTextNode(": " + S(h[1]) + (h[2] ? "  \u2190 stops here" : "")));
        ol.appendChild(li);
      });
      detail.appendChild(ol);
    });
  }

  function show(i, j) {
    clear(detail);
    if (D.mode === "vpc") {
      var c = D.cells[i * n + j];
      detail.appendChild(el("h2", null, items[i].a + " \u2192 " + items[j].a));
      var labels = ["pairs", "reachable", "partial", "one_way", "blocked", "unknown"];
      var ul = el("ul");
      labels.forEach(function (l, k) { if (c[k] > 0 || k === 0) ul.appendChild(el("li", null, c[k] + " " + l)); });
      detail.appendChild(ul);
      detail.appendChild(el("p", null, "tfreach matrix --format html without --by-vpc shows the subnets of these VPCs; tfreach explain prints a pair's path."));
      return;
    }
    var k = i * n + j;
    var letter = D.cells.charAt(k);
    detail.appendChild(el("h2", null, items[i].a + " \u2192 " + items[j].a));
    var p = el("p");
    p.appendChild(el("span", "sw v-" + letter, LETTER[letter]));
    p.appendChild(document.createTextNode(" " + NAMES[letter]));
    detail.appendChild(p);
    var x = D.explain ? D.explain[k] : null;
    if (x) {
      showTraces("Forward", x.f);
      showTraces("Return", x.r);
    }
    var rs = D.reasons[k];
    if (rs.length) {
      detail.appendChild(el("h3", null, "Reasons"));
      var ul = el("ul");
      rs.forEach(function (r) {
        var li = el("li");
        li.appendChild(el("code", null, S(r[0])));
        var at = r[1] >= 0 ? " at " + S(r[1]) : "";
        li.appendChild(document.createTextNode((r[3] ? " (return path)" : "") + at + ": " + S(r[2])));
        ul.appendChild(li);
      });
      detail.appendChild(ul);
    }
    if (!x) {
      detail.appendChild(el("p", null, "Hop-by-hop path: tfreach explain FILE --from '" + items[i].a + "' --to '" + items[j].a + "'"));
    }
  }

  matrix.addEventListener("click", function (e) {
    var td = e.target.closest ? e.target.closest("td.cell") : null;
    if (!td) return;
    var old = matrix.querySelector("td.sel");
    if (old) old.classList.remove("sel");
    td.classList.add("sel");
    show(Number(td.getAttribute("data-i")), Number(td.getAttribute("data-j")));
  });
  var timer = null;
  function later() { clearTimeout(timer); timer = setTimeout(render, 120); }
  qFrom.addEventListener("input", later);
  qTo.addEventListener("input", later);
  render();
  var first = matrix.querySelector("td.cell.v-O, td.cell.v-P, td.cell.v-U");
  if (first && D.mode !== "vpc") { first.classList.add("sel"); show(Number(first.getAttribute("data-i")), Number(first.getAttribute("data-j"))); }
})();
"#;

/// Writes the page.
pub fn write_matrix(out: &mut dyn Write, m: &MatrixDoc) -> io::Result<()> {
    let a = m.analysis;
    let too_big = a.subnets.len() > MAX_SUBNETS;
    let data = if m.by_vpc || too_big {
        let note = too_big.then(|| {
            format!(
                "{} subnets are too many for one page; this is the VPC-by-VPC view (tfreach matrix --format csv lists every pair)",
                a.subnets.len()
            )
        });
        script_json(&vpc_data(m, note)?)?
    } else {
        script_json(&subnet_data(a, m.traces))?
    };
    let s = &a.summary;
    let title = format!("tfreach: {}", describe_input(m.input));
    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape(&title)
    )?;
    writeln!(
        out,
        "<header><h1>Subnet reachability</h1><p>{}</p><p>{} subnets, {} ordered pairs: {} reachable, {} partial, {} one-way, {} blocked, {} unknown. Rows are sources, columns destinations; click a cell for its path.</p></header>",
        escape(&describe_input(m.input)),
        a.subnets.len(),
        s.pairs,
        s.reachable,
        s.partial,
        s.one_way,
        s.blocked,
        s.unknown
    )?;
    writeln!(
        out,
        "<div id=\"controls\"><label>From <input id=\"q-from\" type=\"search\" placeholder=\"address or glob, e.g. module.net[&quot;prod&quot;].*\"></label>\
<label>To <input id=\"q-to\" type=\"search\" placeholder=\"address or glob\"></label>\
<span class=\"legend\"><span><i class=\"sw v-R\">R</i>reachable</span><span><i class=\"sw v-P\">P</i>partial</span>\
<span><i class=\"sw v-O\">O</i>one-way</span><span><i class=\"sw v-B\">&middot;</i>blocked</span><span><i class=\"sw v-U\">?</i>unknown</span></span></div>"
    )?;
    writeln!(
        out,
        "<p id=\"status\" data-state=\"loading\">The matrix is drawn by the page's script; enable JavaScript to see it.</p>"
    )?;
    writeln!(
        out,
        "<div id=\"main\"><div id=\"matrix\"></div><aside id=\"detail\"><p>Click a cell to see the path of that pair.</p></aside></div>"
    )?;
    writeln!(
        out,
        "<script type=\"application/json\" id=\"tfreach-data\">{data}</script>"
    )?;
    writeln!(out, "<script>{SCRIPT}</script>\n</body>\n</html>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_json_cannot_close_the_element() {
        let s = script_json(&vec!["</script><script>alert(1)</script>&"]).unwrap();
        assert!(!s.contains('<') && !s.contains('>') && !s.contains('&'));
        let back: Vec<String> = serde_json::from_str(&s).unwrap();
        assert_eq!(back[0], "</script><script>alert(1)</script>&");
    }

    #[test]
    fn markup_is_escaped() {
        assert_eq!(escape("<b a='1'>&\""), "&lt;b a=&#39;1&#39;&gt;&amp;&quot;");
    }
}
