//! The CI gate: a policy file of assertions and rules, checked against an
//! analysis (and, for the rules about change, against a diff).
//!
//! A policy (TOML, CONTRACT.md) holds:
//!
//! - `[groups]`: named lists of address globs, referred to as `@name`
//!   wherever a selector is expected;
//! - `[[expect]]`: every ordered pair of distinct subnets that `from` and
//!   `to` select has the verdict named (or, with `!`, any other); an expect
//!   that selects no pair does not hold;
//! - `[[no_new_path]]`: no change may start delivering traffic from `from`
//!   to `to` (and back, with `both_ways`); checked on the diff of a plan's
//!   prior state and planned values, or of a baseline document;
//! - `[[no_one_way]]`: no selected pair may be `one_way`;
//! - `[findings]`: the severity of finding codes, `error`, `warning` or
//!   `off`.
//!
//! Selectors are a glob (`*`, `?`; brackets are literal, as Terraform
//! addresses need), a group reference, or a list of both. Reading the file
//! ([`parse`]) collects every problem with its line; checking ([`check`])
//! never fails and returns one [`RuleResult`] per assertion, per rule and
//! per finding code that matters.

pub mod locate;
mod parse;

use std::collections::BTreeMap;

use serde::Serialize;
use wildmatch::WildMatch;

use crate::analysis::endpoints::EndpointPair;
use crate::analysis::fix::Fix;
use crate::analysis::lookup::by_group;
use crate::analysis::{Analysis, Lookup, PairResult};
use crate::codes::{self, Code};
use crate::diff::{Diff, Status};
use crate::report::{Direction, Finding, Reason, Severity, Verdict};

pub use parse::{parse, PolicyError, Problem};

/// At most this many issues are kept per rule; the total is still counted.
pub const MAX_ISSUES_PER_RULE: usize = 1000;

/// At most this many failing pairs of one expect get fix hints.
pub const MAX_HINTED_PAIRS: usize = 10;

/// A parsed, valid policy.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// The file name, as given.
    pub file: String,
    pub groups: BTreeMap<String, Group>,
    pub expects: Vec<Expect>,
    pub no_new_path: Vec<NoNewPath>,
    pub no_one_way: Vec<NoOneWay>,
    /// Severity by finding code, with the line that sets it.
    pub findings: BTreeMap<String, (Level, usize)>,
}

#[derive(Debug, Clone)]
pub struct Group {
    pub globs: Vec<String>,
    pub line: usize,
}

/// Which subnets a rule is about.
#[derive(Debug, Clone)]
pub struct Selector {
    /// The patterns as written (group references included).
    pub written: Vec<String>,
    /// Group references expanded.
    globs: Vec<String>,
    compiled: Vec<WildMatch>,
    everything: bool,
}

impl Selector {
    fn new(written: Vec<String>, globs: Vec<String>) -> Selector {
        Selector {
            compiled: parse::compile(&globs),
            written,
            globs,
            everything: false,
        }
    }

    /// Every subnet (a rule's default).
    pub fn everything() -> Selector {
        Selector {
            written: vec!["*".into()],
            globs: Vec::new(),
            compiled: Vec::new(),
            everything: true,
        }
    }

    /// Does the selector take this address? An exact address matches
    /// itself even when it holds glob characters.
    pub fn matches(&self, address: &str) -> bool {
        self.everything
            || self.globs.iter().any(|g| g == address)
            || self.compiled.iter().any(|w| w.matches(address))
    }

    /// Does the selector take this endpoint beyond the subnets (`internet`,
    /// an on-premises connection)? As [`Selector::matches`], except that a
    /// rule's default and patterns made of wildcards alone (`*`) take
    /// subnets only, so a policy written for subnets keeps its meaning.
    pub fn matches_endpoint(&self, name: &str) -> bool {
        if self.everything {
            return false;
        }
        self.globs.iter().zip(&self.compiled).any(|(g, w)| {
            g == name || (!g.chars().all(|c| matches!(c, '*' | '?')) && w.matches(name))
        })
    }

    /// The patterns as written, for messages.
    pub fn describe(&self) -> String {
        self.written.join(", ")
    }
}

/// The verdict an expect asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    Is(Verdict),
    /// Any verdict but this one (`"!reachable"`).
    Not(Verdict),
}

impl Expected {
    pub fn holds(self, v: Verdict) -> bool {
        match self {
            Expected::Is(x) => v == x,
            Expected::Not(x) => v != x,
        }
    }
}

impl std::fmt::Display for Expected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expected::Is(v) => write!(f, "{v}"),
            Expected::Not(v) => write!(f, "not {v}"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Expect {
    pub name: Option<String>,
    pub from: Selector,
    pub to: Selector,
    pub verdict: Expected,
    /// The one flow the verdict is for (`protocol`, `port`): workload
    /// pairs are then judged for it; subnet pairs always carry the
    /// command's flow.
    pub flow: Option<crate::model::Flow>,
    /// Line of the `[[expect]]` table.
    pub line: usize,
}

#[derive(Debug, Clone)]
pub struct NoNewPath {
    pub name: Option<String>,
    pub from: Selector,
    pub to: Selector,
    pub both_ways: bool,
    pub line: usize,
}

#[derive(Debug, Clone)]
pub struct NoOneWay {
    pub name: Option<String>,
    pub from: Selector,
    pub to: Selector,
    pub line: usize,
}

/// How much an issue matters. The policy sets `error`, `warning` or `off`;
/// `note` is the level of findings whose code is informational.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Error,
    Warning,
    Note,
    Off,
}

impl Level {
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "error" => Some(Level::Error),
            "warning" => Some(Level::Warning),
            "off" => Some(Level::Off),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Note => "note",
            Level::Off => "off",
        }
    }

    fn of(s: Severity) -> Level {
        match s {
            Severity::Error => Level::Error,
            Severity::Warning => Level::Warning,
            Severity::Info => Level::Note,
        }
    }
}

/// What kind of rule a result is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    Expect,
    NoNewPath,
    NoOneWay,
    Finding,
}

/// The policy rule kinds, documented like finding codes (SARIF rules read
/// this table).
pub const RULE_DOCS: &[Code] = &[
    Code {
        code: "POLICY_EXPECT",
        severity: Severity::Error,
        summary: "A pair of subnets selected by an [[expect]] of the policy does not have the verdict it asks for, or the expect selects no pair at all.",
        help: "Fix the network so the pair gets the expected verdict, or fix the expect: its globs are matched against full resource addresses (module.net[\"prod\"].aws_subnet.app[0]), and an expect that selects nothing fails so that a typo cannot pass the gate.",
    },
    Code {
        code: "POLICY_NO_NEW_PATH",
        severity: Severity::Error,
        summary: "The change opens a path that a [[no_new_path]] rule forbids: traffic from one group of subnets starts to arrive in the other.",
        help: "Remove the route, peering or association that opens the path, or change the rule if the path is wanted. Verdicts that become unknown count as opening, since the gate cannot prove they stay closed.",
    },
    Code {
        code: "POLICY_NO_ONE_WAY",
        severity: Severity::Error,
        summary: "A pair of subnets is one-way, which a [[no_one_way]] rule forbids: requests arrive but replies have no route back.",
        help: "Add the return route in the destination subnet's route table (towards the source's CIDR block, through the same peering or transit gateway), or remove the forward route.",
    },
];

impl RuleKind {
    /// The stable rule id (SARIF `ruleId`); finding results use their code.
    pub fn id(self) -> Option<&'static str> {
        match self {
            RuleKind::Expect => Some("POLICY_EXPECT"),
            RuleKind::NoNewPath => Some("POLICY_NO_NEW_PATH"),
            RuleKind::NoOneWay => Some("POLICY_NO_ONE_WAY"),
            RuleKind::Finding => None,
        }
    }
}

/// Looks up the documentation of a rule id or finding code.
pub fn rule_doc(id: &str) -> Option<&'static Code> {
    RULE_DOCS
        .iter()
        .find(|c| c.code == id)
        .or_else(|| codes::lookup(id))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Fail,
    Skip,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Skip => "skip",
        }
    }
}

/// One thing a rule found: a violation when the rule fails, a warning or
/// note otherwise (findings below `error`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    pub level: Level,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// The resource to point at: the one at fault when known, else the
    /// source subnet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<Reason>,
    /// For a pair an expect wants `reachable`: the changes that make it
    /// so, each checked on the model (`Some(empty)`: none found); `None`
    /// where no hint was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixes: Option<Vec<Fix>>,
}

/// The result of one assertion, rule or finding code.
#[derive(Debug, Clone, Serialize)]
pub struct RuleResult {
    pub kind: RuleKind,
    /// `POLICY_*` for policy rules, the finding code for findings.
    pub id: String,
    pub name: String,
    /// The policy line that states the rule (none for a finding code the
    /// policy does not mention).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    pub level: Level,
    pub outcome: Outcome,
    /// Why the rule was skipped, or failed without a pair to show.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Pairs (or findings) examined.
    pub checked: u64,
    pub issues: Vec<Issue>,
    /// Issues found, including those beyond [`MAX_ISSUES_PER_RULE`].
    pub issues_total: u64,
    /// Failing pairs of an expect for `reachable` whose fix hints were
    /// left out (beyond the first [`MAX_HINTED_PAIRS`]).
    #[serde(skip_serializing_if = "is_zero")]
    pub fixes_omitted: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl RuleResult {
    fn new(kind: RuleKind, id: &str, name: String, line: Option<usize>, level: Level) -> Self {
        RuleResult {
            kind,
            id: id.to_string(),
            name,
            line,
            level,
            outcome: Outcome::Pass,
            note: None,
            checked: 0,
            issues: Vec::new(),
            issues_total: 0,
            fixes_omitted: 0,
        }
    }

    fn push(&mut self, issue: Issue) {
        self.issues_total += 1;
        if self.issues.len() < MAX_ISSUES_PER_RULE {
            self.issues.push(issue);
        }
    }

    fn fail_if_issues(&mut self) {
        if self.issues_total > 0 && self.level == Level::Error {
            self.outcome = Outcome::Fail;
        }
    }
}

/// Everything `check` found.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    /// The policy file.
    pub policy: String,
    /// Policy rules in file order (expects, then no_new_path, then
    /// no_one_way), then finding codes in code order.
    pub results: Vec<RuleResult>,
}

impl CheckReport {
    /// True when no result failed: `check` exits 0.
    pub fn passed(&self) -> bool {
        self.results.iter().all(|r| r.outcome != Outcome::Fail)
    }

    pub fn count(&self, o: Outcome) -> usize {
        self.results.iter().filter(|r| r.outcome == o).count()
    }
}

/// The level a finding code has under a policy: the policy's word, else
/// `error` for codes naming transitive routing or overlapping CIDR blocks
/// (CONTRACT.md), else the code's own severity.
pub fn finding_level(policy: &Policy, code: &str, default: Severity) -> Level {
    if let Some((l, _)) = policy.findings.get(code) {
        *l
    } else if code.contains("TRANSITIVE") || code.contains("OVERLAP") {
        Level::Error
    } else {
        Level::of(default)
    }
}

/// The resource to blame for a pair: the first reason's resource in the
/// preferred direction, else any reason's, else the source subnet.
fn culprit(reasons: &[Reason], prefer: Direction, from: &str) -> String {
    reasons
        .iter()
        .filter(|r| r.direction == prefer)
        .chain(reasons.iter())
        .find_map(|r| r.resource.as_ref().map(|t| t.to_string()))
        .unwrap_or_else(|| from.to_string())
}

fn describe_reasons(reasons: &[Reason]) -> String {
    if reasons.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = reasons
        .iter()
        .map(|r| {
            let dir = match r.direction {
                Direction::Forward => "",
                Direction::Return => "return path: ",
            };
            format!("{dir}{} ({})", r.code, r.message)
        })
        .collect();
    format!(": {}", parts.join("; "))
}

/// The pairs (s, d), s != d, of `froms` x `tos` (sorted subnet positions)
/// whose verdict `bad` takes, sorted by (from, to), with their reasons;
/// adds the number of pairs looked at to `checked`. Verdicts are taken a
/// group pair at a time, and reasons worked out only for the pairs taken.
fn pairs_where(
    l: &Lookup,
    froms: &[usize],
    tos: &[usize],
    checked: &mut u64,
    bad: impl Fn(Verdict) -> bool,
) -> Vec<PairResult> {
    let to_groups = by_group(l, tos);
    let mut out = Vec::new();
    for (g, from) in by_group(l, froms) {
        let row = l.row(g);
        for (h, to) in &to_groups {
            let same = from.iter().filter(|i| to.binary_search(i).is_ok()).count();
            let n = from.len() * to.len() - same;
            if n == 0 {
                continue;
            }
            *checked += n as u64;
            if row[*h].is_some_and(&bad) {
                l.each_pair_between((g, &from), (*h, to), &mut |p| out.push(p));
            }
        }
    }
    out.sort_by_key(|p| (p.from, p.to));
    out
}

/// The pairs between subnets and endpoints beyond them that `from` and
/// `to` take (an endpoint by its name, a subnet by its address); adds
/// their number to `checked`.
fn endpoint_pairs<'a>(
    a: &'a Analysis,
    from: &'a Selector,
    to: &'a Selector,
    checked: &mut u64,
) -> impl Iterator<Item = &'a EndpointPair> {
    let named = |s: &Selector, name: &str| {
        if a.endpoint_list.iter().any(|e| e.name == name) {
            s.matches_endpoint(name)
        } else {
            s.matches(name)
        }
    };
    let taken: Vec<&EndpointPair> = a
        .endpoints
        .iter()
        .filter(|p| named(from, &p.from) && named(to, &p.to))
        .collect();
    *checked += taken.len() as u64;
    taken.into_iter()
}

/// Indices of the analysis' subnets that a selector takes.
fn select(a: &Analysis, s: &Selector) -> Vec<usize> {
    (0..a.subnets.len())
        .filter(|&i| s.matches(&a.subnets[i].address))
        .collect()
}

fn check_expect(
    l: &Lookup,
    e: &Expect,
    workloads: &dyn Fn(&Expect) -> Vec<WorkloadVerdict>,
) -> RuleResult {
    let a = l.analysis;
    let name = e.name.clone().unwrap_or_else(|| {
        format!(
            "{} -> {} is {}",
            e.from.describe(),
            e.to.describe(),
            e.verdict
        )
    });
    let mut r = RuleResult::new(
        RuleKind::Expect,
        "POLICY_EXPECT",
        name,
        Some(e.line),
        Level::Error,
    );
    let froms = select(a, &e.from);
    let tos = select(a, &e.to);
    if froms.is_empty() || tos.is_empty() {
        let answered = workloads(e);
        r.checked += answered.len() as u64;
        for p in answered.iter().filter(|p| !e.verdict.holds(p.verdict)) {
            r.push(Issue {
                level: Level::Error,
                from: Some(p.from.clone()),
                to: Some(p.to.clone()),
                resource: Some(culprit(&p.reasons, Direction::Forward, &p.from)),
                message: format!(
                    "{} -> {} is {}{}, expected {}{}",
                    p.from,
                    p.to,
                    p.verdict,
                    e.flow.map(|f| format!(" for {f}")).unwrap_or_default(),
                    e.verdict,
                    describe_reasons(&p.reasons)
                ),
                reasons: p.reasons.clone(),
                fixes: None,
            });
        }
    }
    let failing = pairs_where(l, &froms, &tos, &mut r.checked, |v| !e.verdict.holds(v));
    let endpoint_pairs = endpoint_pairs(a, &e.from, &e.to, &mut r.checked);
    for p in endpoint_pairs.filter(|p| !e.verdict.holds(p.verdict)) {
        r.push(Issue {
            level: Level::Error,
            from: Some(p.from.clone()),
            to: Some(p.to.clone()),
            resource: Some(culprit(&p.reasons, Direction::Forward, &p.from)),
            message: format!(
                "{} -> {} is {}, expected {}{}",
                p.from,
                p.to,
                p.verdict,
                e.verdict,
                describe_reasons(&p.reasons)
            ),
            reasons: p.reasons.clone(),
            fixes: None,
        });
    }
    for p in failing {
        let (from, to) = (&a.subnets[p.from].address, &a.subnets[p.to].address);
        r.push(Issue {
            level: Level::Error,
            from: Some(from.clone()),
            to: Some(to.clone()),
            resource: Some(culprit(&p.reasons, Direction::Forward, from)),
            message: format!(
                "{from} -> {to} is {}, expected {}{}",
                p.verdict,
                e.verdict,
                describe_reasons(&p.reasons)
            ),
            reasons: p.reasons,
            fixes: None,
        });
    }
    if r.checked == 0 {
        r.outcome = Outcome::Fail;
        r.note = Some(format!(
            "selects no pair (from {} matches {} subnet(s), to {} matches {}, and no endpoint pair); an expect that selects nothing does not hold",
            e.from.describe(),
            froms.len(),
            e.to.describe(),
            tos.len()
        ));
    } else {
        r.fail_if_issues();
    }
    r
}

fn check_no_new_path(a: &Analysis, diff: Option<&Diff>, rule: &NoNewPath) -> RuleResult {
    let arrow = if rule.both_ways { "<->" } else { "->" };
    let name = rule.name.clone().unwrap_or_else(|| {
        format!(
            "no new path {} {arrow} {}",
            rule.from.describe(),
            rule.to.describe()
        )
    });
    let mut r = RuleResult::new(
        RuleKind::NoNewPath,
        "POLICY_NO_NEW_PATH",
        name,
        Some(rule.line),
        Level::Error,
    );
    let Some(diff) = diff else {
        r.outcome = Outcome::Skip;
        r.note = Some(
            "needs a change to check: a plan (prior state against planned values) or --baseline"
                .into(),
        );
        return r;
    };
    let selected = |s: &Selector| {
        a.subnets.iter().any(|x| s.matches(&x.address))
            || diff.subnets_removed.iter().any(|x| s.matches(&x.address))
            || a.endpoint_list.iter().any(|e| s.matches_endpoint(&e.name))
    };
    if !selected(&rule.from) || !selected(&rule.to) {
        r.outcome = Outcome::Fail;
        r.note = Some(format!(
            "from {} or to {} matches no subnet on either side of the change; a rule that selects nothing does not hold",
            rule.from.describe(),
            rule.to.describe()
        ));
        return r;
    }
    let endpoint = |name: &str| a.endpoint_list.iter().any(|e| e.name == name);
    let side = |s: &Selector, name: &str| {
        if endpoint(name) {
            s.matches_endpoint(name)
        } else {
            s.matches(name)
        }
    };
    let takes = |from: &str, to: &str| {
        (side(&rule.from, from) && side(&rule.to, to))
            || (rule.both_ways && side(&rule.to, from) && side(&rule.from, to))
    };
    for c in &diff.changes {
        if !takes(&c.from, &c.to) {
            continue;
        }
        r.checked += 1;
        let opens =
            !c.before.delivers() && (c.after.delivers() || c.after == Status::Is(Verdict::Unknown));
        if opens {
            let how = if c.after == Status::Is(Verdict::Unknown) {
                "may start to deliver (unknown until apply)"
            } else {
                "starts to deliver"
            };
            r.push(Issue {
                level: Level::Error,
                from: Some(c.from.clone()),
                to: Some(c.to.clone()),
                resource: Some(culprit(&c.reasons, Direction::Forward, &c.from)),
                message: format!(
                    "traffic from {} to {} {how}: {} before, {} after{}",
                    c.from,
                    c.to,
                    c.before,
                    c.after,
                    describe_reasons(&c.reasons)
                ),
                reasons: c.reasons.clone(),
                fixes: None,
            });
        }
    }
    r.fail_if_issues();
    r
}

fn check_no_one_way(l: &Lookup, rule: &NoOneWay) -> RuleResult {
    let a = l.analysis;
    let name = rule.name.clone().unwrap_or_else(|| {
        format!(
            "no one-way path {} -> {}",
            rule.from.describe(),
            rule.to.describe()
        )
    });
    let mut r = RuleResult::new(
        RuleKind::NoOneWay,
        "POLICY_NO_ONE_WAY",
        name,
        Some(rule.line),
        Level::Error,
    );
    let froms: Vec<bool> = a
        .subnets
        .iter()
        .map(|s| rule.from.matches(&s.address))
        .collect();
    let tos: Vec<bool> = a
        .subnets
        .iter()
        .map(|s| rule.to.matches(&s.address))
        .collect();
    let explicit = |s: &Selector| !s.everything;
    let some_endpoint = |s: &Selector| a.endpoint_list.iter().any(|e| s.matches_endpoint(&e.name));
    if (explicit(&rule.from) && !froms.contains(&true) && !some_endpoint(&rule.from))
        || (explicit(&rule.to) && !tos.contains(&true) && !some_endpoint(&rule.to))
    {
        r.outcome = Outcome::Fail;
        r.note = Some(format!(
            "from {} or to {} matches no subnet; a rule that selects nothing does not hold",
            rule.from.describe(),
            rule.to.describe()
        ));
        return r;
    }
    let pick = |m: &[bool]| (0..m.len()).filter(|&i| m[i]).collect::<Vec<_>>();
    let one_way = pairs_where(l, &pick(&froms), &pick(&tos), &mut r.checked, |v| {
        v == Verdict::OneWay
    });
    for p in endpoint_pairs(a, &rule.from, &rule.to, &mut r.checked) {
        if p.verdict == Verdict::OneWay {
            r.push(Issue {
                level: Level::Error,
                from: Some(p.from.clone()),
                to: Some(p.to.clone()),
                resource: Some(culprit(&p.reasons, Direction::Return, &p.from)),
                message: format!(
                    "{} -> {} is one_way: requests arrive, replies are lost{}",
                    p.from,
                    p.to,
                    describe_reasons(&p.reasons)
                ),
                reasons: p.reasons.clone(),
                fixes: None,
            });
        }
    }
    for p in one_way {
        let (from, to) = (&a.subnets[p.from].address, &a.subnets[p.to].address);
        r.push(Issue {
            level: Level::Error,
            from: Some(from.clone()),
            to: Some(to.clone()),
            resource: Some(culprit(&p.reasons, Direction::Return, from)),
            message: format!(
                "{from} -> {to} is one_way: requests arrive, replies are lost{}",
                describe_reasons(&p.reasons)
            ),
            reasons: p.reasons,
            fixes: None,
        });
    }
    r.fail_if_issues();
    r
}

/// The finding codes that get a result: those present, those the policy
/// names, and those that are errors by default.
fn finding_results(policy: &Policy, findings: &[Finding]) -> Vec<RuleResult> {
    let mut by_code: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        by_code.entry(f.code).or_default().push(f);
    }
    for c in codes::ALL {
        if finding_level(policy, c.code, c.severity) == Level::Error
            || policy.findings.contains_key(c.code)
        {
            by_code.entry(c.code).or_default();
        }
    }
    by_code
        .into_iter()
        .map(|(code, list)| {
            let default = codes::lookup(code)
                .map(|c| c.severity)
                .or_else(|| list.first().map(|f| f.severity))
                .unwrap_or(Severity::Warning);
            let level = finding_level(policy, code, default);
            let line = policy.findings.get(code).map(|(_, l)| *l);
            let mut r = RuleResult::new(RuleKind::Finding, code, code.to_string(), line, level);
            r.checked = list.len() as u64;
            if level == Level::Off {
                r.outcome = Outcome::Skip;
                r.note = Some(format!(
                    "off in the policy ({} finding(s) ignored)",
                    list.len()
                ));
                return r;
            }
            for f in list {
                r.push(Issue {
                    level,
                    from: None,
                    to: None,
                    resource: Some(f.resource.clone()),
                    message: format!("{}: {}", f.resource, f.message),
                    reasons: Vec::new(),
                    fixes: None,
                });
            }
            r.fail_if_issues();
            r
        })
        .collect()
}

/// Checks a policy against an analysis (its pairs read through a
/// [`Lookup`]) and, for `no_new_path` rules, the diff that leads to it
/// (none: those rules are skipped).
pub fn check(policy: &Policy, pairs: &Lookup, diff: Option<&Diff>) -> CheckReport {
    check_with_workloads(policy, pairs, diff, &|_| Vec::new())
}

/// One ordered pair of workloads, as an expect judges it.
#[derive(Debug, Clone)]
pub struct WorkloadVerdict {
    pub from: String,
    pub to: String,
    pub verdict: Verdict,
    pub reasons: Vec<Reason>,
}

/// [`check`], with the workload pairs each expect selects: `workloads`
/// answers them (for the expect's own flow, when it names one), and an
/// expect takes them when both its selectors name workloads and neither
/// takes a subnet, so that rules written for subnets keep their meaning.
pub fn check_with_workloads(
    policy: &Policy,
    pairs: &Lookup,
    diff: Option<&Diff>,
    workloads: &dyn Fn(&Expect) -> Vec<WorkloadVerdict>,
) -> CheckReport {
    let analysis = pairs.analysis;
    let mut results = Vec::new();
    for e in &policy.expects {
        results.push(check_expect(pairs, e, workloads));
    }
    for rule in &policy.no_new_path {
        results.push(check_no_new_path(analysis, diff, rule));
    }
    for rule in &policy.no_one_way {
        results.push(check_no_one_way(pairs, rule));
    }
    results.extend(finding_results(policy, &analysis.findings));
    CheckReport {
        policy: policy.file.clone(),
        results,
    }
}
