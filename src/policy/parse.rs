//! Reading a policy file: TOML into a tree that remembers where each value
//! is, then a validation pass that collects every problem with its line
//! instead of stopping at the first.

use std::collections::BTreeMap;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use toml::Spanned;
use wildmatch::WildMatch;

use super::{Expect, Expected, Group, Level, NoNewPath, NoOneWay, Policy, Selector};
use crate::report::Verdict;

/// One problem in a policy file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line.
    pub line: usize,
    pub message: String,
}

/// A policy file that cannot be used: every problem found, in line order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.lines().join("\n"))]
pub struct PolicyError {
    pub file: String,
    pub problems: Vec<Problem>,
}

impl PolicyError {
    /// One `file: line N: message` line per problem.
    pub fn lines(&self) -> Vec<String> {
        self.problems
            .iter()
            .map(|p| format!("{}: line {}: {}", self.file, p.line, p.message))
            .collect()
    }
}

/// A TOML value with the spans of its parts.
#[derive(Debug)]
enum Node {
    Str(String),
    Int(i128),
    Float,
    Bool(bool),
    Array(Vec<Spanned<Node>>),
    Table(Vec<(Spanned<String>, Spanned<Node>)>),
}

impl Node {
    fn type_name(&self) -> &'static str {
        match self {
            Node::Str(_) => "a string",
            Node::Int(_) => "an integer",
            Node::Float => "a number",
            Node::Bool(_) => "a boolean",
            Node::Array(_) => "an array",
            Node::Table(_) => "a table",
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Node;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a TOML value")
            }
            fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
                Ok(Node::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
                Ok(Node::Int(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
                Ok(Node::Int(v.into()))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Node, E> {
                Ok(Node::Float)
            }
            fn visit_str<E>(self, v: &str) -> Result<Node, E> {
                Ok(Node::Str(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<Node, E> {
                Ok(Node::Str(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
                let mut out = Vec::new();
                while let Some(v) = seq.next_element::<Spanned<Node>>()? {
                    out.push(v);
                }
                Ok(Node::Array(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
                let mut out = Vec::new();
                while let Some(k) = map.next_key::<Spanned<String>>()? {
                    let v = map.next_value::<Spanned<Node>>()?;
                    out.push((k, v));
                }
                Ok(Node::Table(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// Turns byte offsets into 1-based line numbers.
struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    fn new(text: &str) -> Lines {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines { starts }
    }

    fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset).max(1)
    }
}

struct Ctx {
    lines: Lines,
    problems: Vec<Problem>,
}

impl Ctx {
    fn at(&mut self, offset: usize, message: impl Into<String>) {
        let line = self.lines.line(offset);
        self.problems.push(Problem {
            line,
            message: message.into(),
        });
    }

    fn line<T>(&self, s: &Spanned<T>) -> usize {
        self.lines.line(s.span().start)
    }
}

const TOP_KEYS: &[&str] = &["groups", "expect", "findings", "no_new_path", "no_one_way"];

/// Parses and validates a policy. `file` names it in errors.
pub fn parse(text: &str, file: &str) -> Result<Policy, PolicyError> {
    let mut ctx = Ctx {
        lines: Lines::new(text),
        problems: Vec::new(),
    };
    let root: Node = match toml::from_str(text) {
        Ok(n) => n,
        Err(e) => {
            let line = e.span().map(|s| ctx.lines.line(s.start)).unwrap_or(1);
            return Err(PolicyError {
                file: file.to_string(),
                problems: vec![Problem {
                    line,
                    message: format!("not valid TOML: {}", e.message()),
                }],
            });
        }
    };
    let Node::Table(top) = root else {
        unreachable!("a TOML document is a table")
    };
    let mut policy = Policy {
        file: file.to_string(),
        ..Policy::default()
    };
    // Groups first: selectors elsewhere refer to them.
    for (k, v) in &top {
        if k.get_ref() == "groups" {
            read_groups(&mut ctx, v, &mut policy.groups);
        }
    }
    for (k, v) in &top {
        match k.get_ref().as_str() {
            "groups" => {}
            "expect" => {
                for t in tables(&mut ctx, "expect", v) {
                    if let Some(e) = read_expect(&mut ctx, t, &policy.groups) {
                        policy.expects.push(e);
                    }
                }
            }
            "no_new_path" => {
                for t in tables(&mut ctx, "no_new_path", v) {
                    if let Some(r) = read_no_new_path(&mut ctx, t, &policy.groups) {
                        policy.no_new_path.push(r);
                    }
                }
            }
            "no_one_way" => {
                for t in tables(&mut ctx, "no_one_way", v) {
                    if let Some(r) = read_no_one_way(&mut ctx, t, &policy.groups) {
                        policy.no_one_way.push(r);
                    }
                }
            }
            "findings" => read_findings(&mut ctx, v, &mut policy.findings),
            other => ctx.at(
                k.span().start,
                format!(
                    "unknown key {other:?}; a policy has {}",
                    TOP_KEYS
                        .iter()
                        .map(|k| format!("[{k}]"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
        }
    }
    if ctx.problems.is_empty() {
        Ok(policy)
    } else {
        ctx.problems.sort_by_key(|p| p.line);
        Err(PolicyError {
            file: file.to_string(),
            problems: ctx.problems,
        })
    }
}

/// The tables of an array of tables (`[[key]]`).
fn tables<'a>(ctx: &mut Ctx, key: &str, v: &'a Spanned<Node>) -> Vec<&'a Spanned<Node>> {
    match v.get_ref() {
        Node::Array(items) => {
            let mut out = Vec::new();
            for item in items {
                if matches!(item.get_ref(), Node::Table(_)) {
                    out.push(item);
                } else {
                    ctx.at(
                        item.span().start,
                        format!("each {key} must be a table; write [[{key}]] sections"),
                    );
                }
            }
            out
        }
        Node::Table(_) => {
            ctx.at(
                v.span().start,
                format!("{key} is a list of rules: write [[{key}]], with two brackets"),
            );
            Vec::new()
        }
        other => {
            ctx.at(
                v.span().start,
                format!(
                    "{key} must be a list of tables ([[{key}]]), not {}",
                    other.type_name()
                ),
            );
            Vec::new()
        }
    }
}

fn entries(v: &Spanned<Node>) -> &[(Spanned<String>, Spanned<Node>)] {
    match v.get_ref() {
        Node::Table(e) => e,
        _ => &[],
    }
}

/// Checks the keys of a rule table against `allowed` and returns the
/// values by key.
fn fields<'a>(
    ctx: &mut Ctx,
    what: &str,
    t: &'a Spanned<Node>,
    allowed: &[&str],
) -> BTreeMap<&'a str, &'a Spanned<Node>> {
    let mut out = BTreeMap::new();
    for (k, v) in entries(t) {
        if allowed.contains(&k.get_ref().as_str()) {
            out.insert(k.get_ref().as_str(), v);
        } else {
            ctx.at(
                k.span().start,
                format!(
                    "unknown key {:?} in {what}; expected {}",
                    k.get_ref(),
                    allowed.join(", ")
                ),
            );
        }
    }
    out
}

fn string(ctx: &mut Ctx, what: &str, v: &Spanned<Node>) -> Option<String> {
    match v.get_ref() {
        Node::Str(s) => Some(s.clone()),
        other => {
            ctx.at(
                v.span().start,
                format!("{what} must be a string, not {}", other.type_name()),
            );
            None
        }
    }
}

fn read_groups(ctx: &mut Ctx, v: &Spanned<Node>, groups: &mut BTreeMap<String, Group>) {
    let Node::Table(items) = v.get_ref() else {
        ctx.at(
            v.span().start,
            "groups must be a table: [groups] with name = [\"glob\", ...] lines",
        );
        return;
    };
    for (name, val) in items {
        let line = ctx.line(name);
        let what = format!("group {:?}", name.get_ref());
        let Some(patterns) = patterns(ctx, &what, val) else {
            continue;
        };
        let mut ok = true;
        for (p, off) in &patterns {
            if p.starts_with('@') {
                ctx.at(
                    *off,
                    format!("{what}: {p:?} refers to a group; a group lists address globs only"),
                );
                ok = false;
            }
        }
        if ok {
            groups.insert(
                name.get_ref().clone(),
                Group {
                    globs: patterns.into_iter().map(|(p, _)| p).collect(),
                    line,
                },
            );
        }
    }
}

/// A string or a non-empty array of non-empty strings, with their offsets.
fn patterns(ctx: &mut Ctx, what: &str, v: &Spanned<Node>) -> Option<Vec<(String, usize)>> {
    let list: Vec<&Spanned<Node>> = match v.get_ref() {
        Node::Str(_) => vec![v],
        Node::Array(items) if !items.is_empty() => items.iter().collect(),
        Node::Array(_) => {
            ctx.at(v.span().start, format!("{what} is an empty list"));
            return None;
        }
        other => {
            ctx.at(
                v.span().start,
                format!(
                    "{what} must be a glob or a list of globs, not {}",
                    other.type_name()
                ),
            );
            return None;
        }
    };
    let mut out = Vec::new();
    let mut ok = true;
    for item in list {
        match item.get_ref() {
            Node::Str(s) if s.trim().is_empty() => {
                ctx.at(item.span().start, format!("{what} has an empty pattern"));
                ok = false;
            }
            Node::Str(s) => out.push((s.clone(), item.span().start)),
            other => {
                ctx.at(
                    item.span().start,
                    format!(
                        "{what}: a pattern must be a string, not {}",
                        other.type_name()
                    ),
                );
                ok = false;
            }
        }
    }
    ok.then_some(out)
}

fn selector(
    ctx: &mut Ctx,
    what: &str,
    v: &Spanned<Node>,
    groups: &BTreeMap<String, Group>,
) -> Option<Selector> {
    let pats = patterns(ctx, what, v)?;
    let mut globs = Vec::new();
    let mut ok = true;
    for (p, off) in &pats {
        if let Some(name) = p.strip_prefix('@') {
            match groups.get(name) {
                Some(g) => globs.extend(g.globs.iter().cloned()),
                None => {
                    let known: Vec<&str> = groups.keys().map(String::as_str).collect();
                    ctx.at(
                        *off,
                        format!(
                            "{what}: no group named {name:?} ({})",
                            if known.is_empty() {
                                "the policy has no [groups]".to_string()
                            } else {
                                format!("groups: {}", known.join(", "))
                            }
                        ),
                    );
                    ok = false;
                }
            }
        } else {
            globs.push(p.clone());
        }
    }
    ok.then(|| Selector::new(pats.into_iter().map(|(p, _)| p).collect(), globs))
}

fn verdict_spec(ctx: &mut Ctx, v: &Spanned<Node>) -> Option<Expected> {
    let s = string(ctx, "verdict", v)?;
    let (neg, name) = match s.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, s.as_str()),
    };
    match Verdict::parse(name) {
        Some(v) if neg => Some(Expected::Not(v)),
        Some(v) => Some(Expected::Is(v)),
        None => {
            let names: Vec<&str> = Verdict::ALL.iter().map(|v| v.as_str()).collect();
            ctx.at(
                v.span().start,
                format!(
                    "unknown verdict {s:?}; expected one of {}, or one of them after ! (\"!reachable\": any other verdict)",
                    names.join(", ")
                ),
            );
            None
        }
    }
}

fn required<'a>(
    ctx: &mut Ctx,
    what: &str,
    t: &Spanned<Node>,
    f: &BTreeMap<&str, &'a Spanned<Node>>,
    key: &str,
) -> Option<&'a Spanned<Node>> {
    let v = f.get(key).copied();
    if v.is_none() {
        ctx.at(t.span().start, format!("{what} has no {key}"));
    }
    v
}

fn name(ctx: &mut Ctx, f: &BTreeMap<&str, &Spanned<Node>>) -> Option<String> {
    f.get("name").and_then(|v| string(ctx, "name", v))
}

fn read_expect(
    ctx: &mut Ctx,
    t: &Spanned<Node>,
    groups: &BTreeMap<String, Group>,
) -> Option<Expect> {
    let f = fields(
        ctx,
        "[[expect]]",
        t,
        &["name", "from", "to", "verdict", "protocol", "port"],
    );
    let line = ctx.line(t);
    let name = name(ctx, &f);
    let from =
        required(ctx, "[[expect]]", t, &f, "from").and_then(|v| selector(ctx, "from", v, groups));
    let to = required(ctx, "[[expect]]", t, &f, "to").and_then(|v| selector(ctx, "to", v, groups));
    let verdict = required(ctx, "[[expect]]", t, &f, "verdict").and_then(|v| verdict_spec(ctx, v));
    let flow = flow_spec(ctx, t, &f);
    Some(Expect {
        name,
        from: from?,
        to: to?,
        verdict: verdict?,
        flow: flow?,
        line,
    })
}

/// The flow an expect names (`protocol`, and with tcp or udp a `port`), or
/// none. `Some(None)`: no flow; `None`: a problem was reported.
fn flow_spec(
    ctx: &mut Ctx,
    t: &Spanned<Node>,
    f: &BTreeMap<&str, &Spanned<Node>>,
) -> Option<Option<crate::model::Flow>> {
    let protocol = match f.get("protocol") {
        None => None,
        Some(v) => {
            let s = string(ctx, "protocol", v)?;
            match crate::model::flow::parse_protocol(&s) {
                Ok(p) => Some(p),
                Err(e) => {
                    ctx.at(v.span().start, format!("protocol: {e}"));
                    return None;
                }
            }
        }
    };
    let port = match f.get("port") {
        None => None,
        Some(v) => match v.get_ref() {
            Node::Int(n) if (0..=65535).contains(n) => u16::try_from(*n).ok(),
            other => {
                ctx.at(
                    v.span().start,
                    format!(
                        "port: expected an integer from 0 to 65535, found {}",
                        other.type_name()
                    ),
                );
                return None;
            }
        },
    };
    match (protocol, port) {
        (None, None) => Some(None),
        (None, Some(_)) => {
            ctx.at(
                t.span().start,
                "[[expect]] has a port but no protocol; add protocol = \"tcp\" or \"udp\"",
            );
            None
        }
        (Some(p), port) => match crate::model::Flow::new(p, port) {
            Ok(flow) => Some(Some(flow)),
            Err(e) => {
                ctx.at(t.span().start, format!("[[expect]]: {e}"));
                None
            }
        },
    }
}

fn read_no_new_path(
    ctx: &mut Ctx,
    t: &Spanned<Node>,
    groups: &BTreeMap<String, Group>,
) -> Option<NoNewPath> {
    let what = "[[no_new_path]]";
    let f = fields(ctx, what, t, &["name", "from", "to", "both_ways"]);
    let line = ctx.line(t);
    let name = name(ctx, &f);
    let from = required(ctx, what, t, &f, "from").and_then(|v| selector(ctx, "from", v, groups));
    let to = required(ctx, what, t, &f, "to").and_then(|v| selector(ctx, "to", v, groups));
    let both_ways = match f.get("both_ways") {
        None => Some(false),
        Some(v) => match v.get_ref() {
            Node::Bool(b) => Some(*b),
            other => {
                ctx.at(
                    v.span().start,
                    format!("both_ways must be true or false, not {}", other.type_name()),
                );
                None
            }
        },
    };
    Some(NoNewPath {
        name,
        from: from?,
        to: to?,
        both_ways: both_ways?,
        line,
    })
}

fn read_no_one_way(
    ctx: &mut Ctx,
    t: &Spanned<Node>,
    groups: &BTreeMap<String, Group>,
) -> Option<NoOneWay> {
    let f = fields(ctx, "[[no_one_way]]", t, &["name", "from", "to"]);
    let line = ctx.line(t);
    let name = name(ctx, &f);
    let mut side = |key: &str| match f.get(key) {
        None => Some(Selector::everything()),
        Some(v) => selector(ctx, key, v, groups),
    };
    let from = side("from");
    let to = side("to");
    Some(NoOneWay {
        name,
        from: from?,
        to: to?,
        line,
    })
}

fn read_findings(ctx: &mut Ctx, v: &Spanned<Node>, out: &mut BTreeMap<String, (Level, usize)>) {
    let Node::Table(items) = v.get_ref() else {
        ctx.at(
            v.span().start,
            "findings must be a table: [findings] with CODE = \"error\" | \"warning\" | \"off\" lines",
        );
        return;
    };
    for (code, val) in items {
        let line = ctx.line(code);
        if crate::codes::lookup(code.get_ref()).is_none() {
            ctx.at(code.span().start, unknown_code(code.get_ref()));
            continue;
        }
        let Some(s) = string(ctx, &format!("the severity of {}", code.get_ref()), val) else {
            continue;
        };
        match Level::parse(&s) {
            Some(level) => {
                out.insert(code.get_ref().clone(), (level, line));
            }
            None => ctx.at(
                val.span().start,
                format!(
                    "unknown severity {s:?} for {}; expected \"error\", \"warning\" or \"off\"",
                    code.get_ref()
                ),
            ),
        }
    }
}

fn unknown_code(code: &str) -> String {
    let upper = code.to_ascii_uppercase();
    let nearest = crate::codes::ALL
        .iter()
        .map(|c| (edit_distance(&upper, c.code), c.code))
        .min();
    match nearest {
        Some((d, near)) if d <= 3 => format!("unknown finding code {code:?}; did you mean {near}?"),
        _ => format!(
            "unknown finding code {code:?}; the codes are {}",
            crate::codes::ALL
                .iter()
                .map(|c| c.code)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Levenshtein distance, for suggestions.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// Compiles globs once.
pub(super) fn compile(globs: &[String]) -> Vec<WildMatch> {
    globs.iter().map(|g| WildMatch::new(g)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<(usize, String)> {
        match parse(text, "policy.toml") {
            Ok(_) => Vec::new(),
            Err(e) => e
                .problems
                .into_iter()
                .map(|p| (p.line, p.message))
                .collect(),
        }
    }

    #[test]
    fn contract_example_parses() {
        let p = parse(
            r#"
[[expect]]
name = "prod reaches the shared database"
from = 'module.net["prod"].aws_subnet.*'
to = 'module.net["shared"].aws_subnet.db*'
verdict = "reachable"

[findings]
TRANSITIVE_PEERING = "error"
"#,
            "p.toml",
        )
        .unwrap();
        assert_eq!(p.expects.len(), 1);
        assert_eq!(p.expects[0].line, 2);
        assert_eq!(p.expects[0].verdict, Expected::Is(Verdict::Reachable));
        assert!(p.expects[0]
            .from
            .matches(r#"module.net["prod"].aws_subnet.app[0]"#));
        assert!(!p.expects[0]
            .from
            .matches(r#"module.net["stage"].aws_subnet.app[0]"#));
        assert_eq!(p.findings["TRANSITIVE_PEERING"], (Level::Error, 9));
    }

    #[test]
    fn every_problem_is_reported_with_its_line() {
        let got = problems(
            r#"[groups]
prod = ["aws_subnet.prod_*"]

[[expect]]
from = "@prod"
to = "@stage"
verdict = "reachble"

[[expect]]
from = "aws_subnet.a"
verdcit = "blocked"

[findings]
TRANSITIVE_PEERING = "fatal"
NOT_A_CODE = "off"
"#,
        );
        let lines: Vec<usize> = got.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, vec![6, 7, 9, 9, 11, 14, 15], "{got:#?}");
        assert!(got[0].1.contains("no group named \"stage\""));
        assert!(got[1].1.contains("unknown verdict \"reachble\""));
        assert!(got.iter().any(|(_, m)| m.contains("has no to")));
        assert!(got
            .iter()
            .any(|(_, m)| m.contains("unknown key \"verdcit\"")));
        assert!(got[5].1.contains("unknown severity \"fatal\""));
        assert!(got[6].1.contains("unknown finding code \"NOT_A_CODE\""));
    }

    #[test]
    fn syntax_errors_name_their_line() {
        let got = problems("[[expect]]\nfrom = \"a\"\nto = \n");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, 3);
        assert!(got[0].1.starts_with("not valid TOML"));
    }

    #[test]
    fn single_bracket_expect_is_explained() {
        let got = problems("[expect]\nfrom = \"a\"\nto = \"b\"\nverdict = \"reachable\"\n");
        assert_eq!(got[0].0, 1);
        assert!(got[0].1.contains("[[expect]]"));
    }

    #[test]
    fn negated_verdicts_and_rules_parse() {
        let p = parse(
            r#"
[groups]
a = ["aws_subnet.a*"]
b = "aws_subnet.b*"

[[expect]]
from = ["@a", "aws_subnet.x"]
to = "@b"
verdict = "!blocked"

[[no_new_path]]
from = "@a"
to = "@b"
both_ways = true

[[no_one_way]]
"#,
            "p.toml",
        )
        .unwrap();
        assert_eq!(p.expects[0].verdict, Expected::Not(Verdict::Blocked));
        assert!(p.expects[0].from.matches("aws_subnet.x"));
        assert!(p.expects[0].from.matches("aws_subnet.a1"));
        assert!(p.no_new_path[0].both_ways);
        assert!(p.no_one_way[0].from.matches("anything"));
        assert_eq!(p.groups["b"].line, 4);
    }

    #[test]
    fn a_misspelt_code_gets_a_suggestion() {
        let got = problems("[findings]\nTRANSITIVE_PERING = \"off\"\n");
        assert!(
            got[0].1.contains("did you mean TRANSITIVE_PEERING?"),
            "{got:?}"
        );
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn line_numbers_from_offsets() {
        let l = Lines::new("a\nbc\n\nd");
        assert_eq!([0, 1, 2, 4, 5, 6].map(|o| l.line(o)), [1, 1, 2, 2, 3, 4]);
    }
}
