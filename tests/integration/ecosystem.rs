//! tfreach among other command-line tools: colour on a terminal, shell
//! completions, the manual page, the GitHub Action (`action.yml`) and the
//! pre-commit hook (`.pre-commit-hooks.yaml`).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command as Process;

use assert_cmd::Command;
use serde::Deserialize;

use crate::support::root;

fn tfreach() -> Command {
    let mut c = Command::cargo_bin("tfreach").unwrap();
    // The tests' own environment must not decide the colour.
    for var in ["NO_COLOR", "CLICOLOR_FORCE", "CLICOLOR"] {
        c.env_remove(var);
    }
    c
}

fn example() -> String {
    root()
        .join("fixtures/example/plan.json")
        .display()
        .to_string()
}

fn policy() -> String {
    root()
        .join("fixtures/policies/example.toml")
        .display()
        .to_string()
}

fn has_bash() -> bool {
    Process::new("bash")
        .args(["-c", "true"])
        .status()
        .is_ok_and(|s| s.success())
}

// ---------------------------------------------------------------- colour

/// Every command with a `table` output or text, on the example.
fn table_commands() -> Vec<Vec<String>> {
    let (e, p) = (example(), policy());
    let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    vec![
        v(&["analyze", &e]),
        v(&["matrix", &e]),
        v(&["matrix", &e, "--by-vpc"]),
        v(&["diff", &e]),
        v(&["check", &e, "--policy", &p]),
        v(&[
            "explain",
            &e,
            "--from",
            "aws_subnet.prod_app[0]",
            "--to",
            "aws_subnet.staging_app",
        ]),
    ]
}

/// Runs tfreach with extra environment variables; standard output is a
/// pipe.
fn run(args: &[String], extra: &[&str], env: &[(&str, &str)]) -> String {
    let mut c = tfreach();
    c.args(args).args(extra);
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "tfreach {args:?} {extra:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The text without its SGR escape sequences (`ESC [ ... m`).
fn strip_sgr(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            for d in chars.by_ref() {
                if d == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

const ESC: char = '\u{1b}';

#[test]
fn color_always_paints_every_table_and_adds_nothing_but_escape_codes() {
    for args in table_commands() {
        let plain = run(&args, &["--color", "never"], &[]);
        let colored = run(&args, &["--color", "always"], &[]);
        assert!(!plain.contains(ESC), "{args:?}: --color never has escapes");
        assert!(
            colored.contains(ESC),
            "{args:?}: --color always has no colour"
        );
        assert_eq!(strip_sgr(&colored), plain, "{args:?}");
    }
}

#[test]
fn verdicts_severities_and_the_dropping_hop_get_their_colours() {
    let t = table_commands();
    let analyze = run(&t[0], &["--color", "always"], &[]);
    assert!(analyze.contains("\u{1b}[31mblocked\u{1b}[0m"), "{analyze}");
    assert!(analyze.contains("\u{1b}[32mreachable\u{1b}[0m"));
    assert!(analyze.contains("\u{1b}[35mone_way\u{1b}[0m"));
    // Severities, padded outside the escape codes so columns still align.
    assert!(analyze.contains("\u{1b}[1m\u{1b}[31merror\u{1b}[0m    TRANSITIVE_PEERING"));
    assert!(analyze.contains("\u{1b}[33mwarning\u{1b}[0m  PEERING_ROUTE_ONE_SIDED"));
    let explain = run(&t[5], &["--color", "always"], &[]);
    let stops: Vec<&str> = explain
        .lines()
        .filter(|l| l.contains("<-- stops here"))
        .collect();
    assert_eq!(stops.len(), 2, "{explain}");
    for l in stops {
        assert!(
            l.starts_with("\u{1b}[1m\u{1b}[31m") && l.ends_with("\u{1b}[0m"),
            "{l:?}"
        );
    }
    let hop = explain
        .lines()
        .find(|l| l.contains("crosses into"))
        .unwrap();
    assert!(
        !hop.contains(ESC),
        "a hop that passes is not coloured: {hop:?}"
    );
    let check = run(&t[4], &["--color", "always"], &[]);
    assert!(check.contains("\u{1b}[32mPASS\u{1b}[0m  prod reaches shared services"));
    assert!(check.contains("\u{1b}[1m\u{1b}[31mFAIL\u{1b}[0m  staging reaches shared services"));
    // As `check::table_ends_with_the_counts` counts them.
    let passed = 6 + crate::check::default_error_codes().len() - 3;
    assert!(check.contains(&format!(
        "\u{1b}[1m\u{1b}[31mFAILED\u{1b}[0m: {passed} passed"
    )));
    let diff = run(&t[3], &["--color", "always"], &[]);
    assert!(diff.contains("\u{1b}[2mabsent\u{1b}[0m   "), "{diff}");
}

#[test]
fn auto_does_not_colour_a_pipe() {
    for args in table_commands() {
        assert!(!run(&args, &[], &[]).contains(ESC), "{args:?}");
        assert!(!run(&args, &["--color", "auto"], &[]).contains(ESC));
    }
}

#[test]
fn clicolor_force_colours_a_pipe_under_auto_only() {
    let args = &table_commands()[0];
    let forced = run(args, &[], &[("CLICOLOR_FORCE", "1")]);
    assert!(forced.contains(ESC));
    let never = run(args, &["--color", "never"], &[("CLICOLOR_FORCE", "1")]);
    assert!(!never.contains(ESC), "--color never beats CLICOLOR_FORCE");
}

#[test]
fn no_color_wins_over_clicolor_force_but_not_over_color_always() {
    let args = &table_commands()[0];
    let both = [("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")];
    assert!(!run(args, &[], &both).contains(ESC));
    assert!(run(args, &["--color", "always"], &both).contains(ESC));
}

#[test]
fn a_file_named_by_output_and_json_are_never_coloured() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.txt");
    let f = file.display().to_string();
    for args in table_commands() {
        run(
            &args,
            &["--color", "always", "--output", &f],
            &[("CLICOLOR_FORCE", "1")],
        );
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(!text.is_empty() && !text.contains(ESC), "{args:?}");
    }
    let out = tfreach()
        .args([
            "analyze",
            &example(),
            "--format",
            "json",
            "--color",
            "always",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stdout).contains(ESC));
}

/// Runs a command on a pseudo-terminal with `script` (util-linux), or
/// returns None where there is none.
fn on_terminal(args: &[&str], env: &[(&str, &str)]) -> Option<String> {
    let script = Process::new("script").arg("--version").output().ok()?;
    if !script.status.success() {
        return None;
    }
    let bin = assert_cmd::cargo::cargo_bin("tfreach");
    let line = std::iter::once(bin.display().to_string())
        .chain(args.iter().map(|a| format!("'{a}'")))
        .collect::<Vec<_>>()
        .join(" ");
    let mut c = Process::new("script");
    c.args(["-qec", &line, "/dev/null"])
        .env("TERM", "xterm-256color")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CLICOLOR");
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn auto_colours_a_terminal_unless_no_color_is_set() {
    let e = example();
    let Some(tty) = on_terminal(&["analyze", &e], &[]) else {
        eprintln!("note: no `script` to make a terminal with; skipped");
        return;
    };
    assert!(tty.contains("\u{1b}[31mblocked"), "{tty}");
    let no_color = on_terminal(&["analyze", &e], &[("NO_COLOR", "1")]).unwrap();
    assert!(
        no_color.contains("blocked") && !no_color.contains(ESC),
        "{no_color}"
    );
    let never = on_terminal(&["analyze", &e, "--color", "never"], &[]).unwrap();
    assert!(never.contains("blocked") && !never.contains(ESC));
}

// ------------------------------------------------ completions and man page

const SHELLS: [&str; 5] = ["bash", "zsh", "fish", "powershell", "elvish"];

#[test]
fn completions_are_generated_for_every_shell_from_the_clap_definitions() {
    for shell in SHELLS {
        let out = tfreach().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8(out.stdout).unwrap();
        for word in [
            "tfreach", "analyze", "explain", "matrix", "diff", "check", "policy", "by-vpc",
        ] {
            assert!(text.contains(word), "{shell} completions lack {word}");
        }
        assert!(text.contains("color"), "{shell}: the global --color flag");
    }
    tfreach()
        .args(["completions", "tcsh"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("invalid value 'tcsh'"));
}

#[test]
fn bash_loads_the_completions_and_completes_commands_flags_and_values() {
    if !has_bash() {
        eprintln!("note: no bash; skipped");
        return;
    }
    let bin = assert_cmd::cargo::cargo_bin("tfreach");
    let script = format!(
        r#"source <('{bin}' completions bash) || exit 3
complete -p tfreach
complete_at() {{ COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${{#COMP_LINE}}
  COMPREPLY=(); _tfreach tfreach "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"; echo "$1 ${{COMP_WORDS[*]:1}}: ${{COMPREPLY[*]}}"; }}
complete_at tfreach an
complete_at tfreach check plan.json --pol
complete_at tfreach check --format ''
complete_at tfreach --color ''
"#,
        bin = bin.display()
    );
    let out = Process::new("bash").args(["-c", &script]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("complete ") && lines[0].ends_with(" tfreach"));
    assert_eq!(lines[1], "tfreach an: analyze");
    assert_eq!(lines[2], "tfreach check plan.json --pol: --policy");
    assert_eq!(
        lines[3],
        "tfreach check --format : table json sarif junit markdown"
    );
    assert_eq!(lines[4], "tfreach --color : auto always never");
}

#[test]
fn the_man_page_is_generated_from_the_clap_definitions() {
    let out = tfreach().arg("man").output().unwrap();
    assert!(out.status.success());
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(page.contains(".TH tfreach 1"), "{page}");
    for section in [
        ".SH NAME",
        ".SH SYNOPSIS",
        ".SH DESCRIPTION",
        ".SH OPTIONS",
        ".SH SUBCOMMANDS",
    ] {
        assert!(page.contains(section), "no {section}");
    }
    for word in [
        "tfreach\\-analyze(1)",
        "tfreach\\-check(1)",
        "\\-\\-color",
        "NO_COLOR",
    ] {
        assert!(page.contains(word), "no {word}");
    }
    assert!(page.len() > 1500, "{} bytes", page.len());
    assert!(
        !page.contains("tfreach\\-man"),
        "the man command stays hidden"
    );

    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("man1");
    tfreach()
        .args(["man", "--dir", &d.display().to_string()])
        .assert()
        .success();
    for (file, word) in [
        ("tfreach.1", ".SH SUBCOMMANDS"),
        ("tfreach-analyze.1", "\\-\\-pairs"),
        ("tfreach-check.1", "\\-\\-policy"),
        ("tfreach-diff.1", "\\-\\-exit\\-code"),
        ("tfreach-explain.1", "\\-\\-from"),
        ("tfreach-matrix.1", "\\-\\-by\\-vpc"),
        ("tfreach-completions.1", "powershell"),
    ] {
        let text = std::fs::read_to_string(d.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(
            text.contains(".TH") && text.contains(word),
            "{file} lacks {word}"
        );
    }
    assert!(!d.join("tfreach-man.1").exists());
}

// ------------------------------------------------------- the GitHub Action

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Action {
    name: String,
    description: String,
    author: String,
    branding: BTreeMap<String, String>,
    inputs: BTreeMap<String, Input>,
    outputs: BTreeMap<String, Output>,
    runs: Runs,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    description: String,
    required: bool,
    default: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Output {
    description: String,
    value: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Runs {
    using: String,
    steps: Vec<Step>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Step {
    name: String,
    id: Option<String>,
    #[serde(rename = "if")]
    cond: Option<String>,
    shell: Option<String>,
    run: Option<String>,
    uses: Option<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    #[serde(default)]
    with: BTreeMap<String, String>,
}

fn action() -> Action {
    let text = std::fs::read_to_string(root().join("action.yml")).unwrap();
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("action.yml: {e}"))
}

#[test]
fn the_action_is_composite_and_installs_tfreach_from_its_own_checkout() {
    let a = action();
    assert_eq!(a.runs.using, "composite");
    assert!(!a.name.is_empty() && !a.description.is_empty() && !a.author.is_empty());
    assert!(a.branding.contains_key("icon"));
    assert!(a.inputs["plan"].required);
    for (name, input) in &a.inputs {
        assert!(!input.description.is_empty(), "{name}");
        assert!(
            input.required || input.default.is_some(),
            "{name} has no default"
        );
    }
    for (name, o) in &a.outputs {
        assert!(
            !o.description.is_empty() && o.value.contains("steps."),
            "{name}"
        );
    }
    let install = a.runs.steps[0].run.as_deref().unwrap();
    assert!(install.contains(r#"cargo install --locked --path "$GITHUB_ACTION_PATH""#));
    for s in &a.runs.steps {
        assert!(
            s.run.is_some() != s.uses.is_some(),
            "{}: run or uses",
            s.name
        );
        if s.run.is_some() {
            assert_eq!(s.shell.as_deref(), Some("bash"), "{}", s.name);
        }
    }
    let upload = a
        .runs
        .steps
        .iter()
        .find(|s| {
            s.uses
                .as_deref()
                .is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif@"))
        })
        .expect("a SARIF upload step");
    assert_eq!(upload.with["sarif_file"], "${{ steps.check.outputs.file }}");
}

/// The `--flags` on the lines of `script` that build a tfreach command line.
fn flags_of(script: &str) -> Vec<String> {
    script
        .lines()
        .filter(|l| l.contains("tfreach ") || l.contains("args=(") || l.contains("args+=("))
        .flat_map(|l| l.split(|c: char| c.is_whitespace() || c == '(' || c == ')'))
        .filter(|t| t.starts_with("--") && t.len() > 2)
        .map(str::to_string)
        .collect()
}

#[test]
fn every_tfreach_command_the_action_runs_is_a_real_subcommand_with_real_flags() {
    let a = action();
    let mut seen = Vec::new();
    for s in &a.runs.steps {
        let Some(script) = &s.run else { continue };
        // Command lines: those that start with `tfreach`.
        let subs: Vec<&str> = script
            .lines()
            .filter_map(|l| l.trim_start().strip_prefix("tfreach "))
            .filter_map(|rest| rest.split_whitespace().next())
            .collect();
        for sub in &subs {
            let help = tfreach().args([sub, "--help"]).output().unwrap();
            assert!(
                help.status.success(),
                "{}: tfreach {sub} is no subcommand",
                s.name
            );
            let help = String::from_utf8_lossy(&help.stdout);
            for flag in flags_of(script) {
                assert!(
                    help.contains(&flag),
                    "{}: tfreach {sub} has no {flag}",
                    s.name
                );
            }
            seen.push(sub.to_string());
        }
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen, ["check", "diff"]);
}

/// The value of a `${{ ... }}` expression in a test run of the action.
fn expression(expr: &str, ctx: &Ctx) -> String {
    let e = expr.trim();
    if let Some(name) = e.strip_prefix("inputs.") {
        return ctx
            .inputs
            .get(name)
            .cloned()
            .unwrap_or_else(|| panic!("no input {name}"));
    }
    if let Some(rest) = e.strip_prefix("steps.") {
        let (id, key) = rest.split_once(".outputs.").expect("steps.ID.outputs.KEY");
        return ctx
            .outputs
            .get(id)
            .and_then(|o| o.get(key))
            .cloned()
            .unwrap_or_default();
    }
    match e {
        "github.event.pull_request.number" => ctx.pr.clone(),
        "github.token" => "a-token".into(),
        _ => panic!("the test does not know the expression {e:?}"),
    }
}

fn expand(s: &str, ctx: &Ctx) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("${{") {
        out.push_str(&rest[..i]);
        let end = rest[i..].find("}}").expect("closed expression") + i;
        out.push_str(&expression(&rest[i + 3..end], ctx));
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

/// Evaluates a step's `if:` of the form `inputs.A == 'x' && inputs.B != ''`.
fn condition(cond: &str, ctx: &Ctx) -> bool {
    cond.split("&&").all(|term| {
        let (lhs, eq, rhs) = if let Some((l, r)) = term.split_once("==") {
            (l, true, r)
        } else if let Some((l, r)) = term.split_once("!=") {
            (l, false, r)
        } else {
            panic!("the test does not know the condition {term:?}")
        };
        let rhs = rhs.trim().trim_matches('\'');
        (expression(lhs, ctx) == rhs) == eq
    })
}

struct Ctx {
    inputs: BTreeMap<String, String>,
    outputs: BTreeMap<String, BTreeMap<String, String>>,
    pr: String,
}

/// What one run of the action did.
struct ActionRun {
    /// The steps run, with their exit status.
    steps: Vec<(String, i32)>,
    summary: String,
    outputs: BTreeMap<String, BTreeMap<String, String>>,
    /// The tfreach command lines run, with their exit status.
    tfreach: String,
}

/// A stand-in for `gh api`: comments kept as files under `$FAKE_GH/comments`,
/// every call logged in `$FAKE_GH/calls`.
const FAKE_GH: &str = r#"#!/usr/bin/env bash
set -euo pipefail
state="$FAKE_GH"; mkdir -p "$state/comments"
[ "$1" = api ] || { echo "fake gh: only api" >&2; exit 2; }
if [ -e "$state/forbidden" ]; then echo "HTTP 403: Resource not accessible by integration" >&2; exit 1; fi
shift
method=GET; path=""; body=""; filter=""
while [ $# -gt 0 ]; do
  case "$1" in
    --method) method="$2"; shift 2 ;;
    --paginate) shift ;;
    --jq) filter="$2"; shift 2 ;;
    -F) case "$2" in body=@*) body="${2#body=@}" ;; *) echo "fake gh: -F $2" >&2; exit 2 ;; esac; shift 2 ;;
    -*) echo "fake gh: unknown flag $1" >&2; exit 2 ;;
    *) path="$1"; shift ;;
  esac
done
echo "$method $path" >> "$state/calls"
case "$method" in
  GET)
    [[ "$path" =~ ^repos/owner/repo/issues/[0-9]+/comments$ ]] || { echo "fake gh: GET $path" >&2; exit 2; }
    json='[]'
    for f in "$state"/comments/*; do
      [ -e "$f" ] || continue
      json=$(jq -c --arg id "$(basename "$f")" --rawfile body "$f" '. + [{id: ($id | tonumber), body: $body}]' <<< "$json")
    done
    jq -r "$filter" <<< "$json" ;;
  POST)
    [[ "$path" =~ ^repos/owner/repo/issues/[0-9]+/comments$ ]] || { echo "fake gh: POST $path" >&2; exit 2; }
    n=$(( $(ls "$state/comments" | wc -l) + 1 )); cp "$body" "$state/comments/$n" ;;
  PATCH)
    [[ "$path" =~ ^repos/owner/repo/issues/comments/[0-9]+$ ]] || { echo "fake gh: PATCH $path" >&2; exit 2; }
    id="${path##*/}"; [ -e "$state/comments/$id" ] || exit 1; cp "$body" "$state/comments/$id" ;;
esac
"#;

/// Logs each tfreach command line and its exit status, then passes it on.
const TFREACH_WRAPPER: &str = r#"#!/usr/bin/env bash
status=0
"$TFREACH_REAL" "$@" || status=$?
printf '%s %s\n' "$status" "$*" >> "$TFREACH_LOG"
exit "$status"
"#;

fn write_exec(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

/// Runs the action's steps as a GitHub runner would (bash with `-eo
/// pipefail`, `$GITHUB_OUTPUT` per step, `$GITHUB_STEP_SUMMARY`), with the
/// tfreach under test instead of the install step, and `gh` faked with
/// its state in `gh_state`. Stops at the first step that fails.
fn run_action(inputs: &[(&str, &str)], pr: &str, gh_state: &Path) -> ActionRun {
    let a = action();
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    write_exec(&bin.join("gh"), FAKE_GH);
    write_exec(&bin.join("tfreach"), TFREACH_WRAPPER);
    let summary = tmp.path().join("summary.md");
    let log = tmp.path().join("tfreach.log");
    std::fs::write(&summary, "").unwrap();
    std::fs::write(&log, "").unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut ctx = Ctx {
        inputs: a
            .inputs
            .iter()
            .map(|(k, v)| (k.clone(), v.default.clone().unwrap_or_default()))
            .collect(),
        outputs: BTreeMap::new(),
        pr: pr.to_string(),
    };
    for (k, v) in inputs {
        assert!(ctx.inputs.contains_key(*k), "the action has no input {k}");
        ctx.inputs.insert(k.to_string(), v.to_string());
    }
    let mut steps = Vec::new();
    for (n, s) in a.runs.steps.iter().enumerate() {
        let Some(script) = &s.run else { continue };
        if s.id.as_deref() == Some("install") {
            continue; // the binary under test stands in for `cargo install`
        }
        if let Some(c) = &s.cond {
            if !condition(c, &ctx) {
                continue;
            }
        }
        let file = tmp.path().join(format!("step{n}.sh"));
        std::fs::write(&file, script).unwrap();
        let output = tmp.path().join(format!("output{n}"));
        std::fs::write(&output, "").unwrap();
        let mut c = Process::new("bash");
        c.args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&file)
            .current_dir(root())
            .env("PATH", &path)
            .env("RUNNER_TEMP", tmp.path())
            .env("GITHUB_OUTPUT", &output)
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env("GITHUB_REPOSITORY", "owner/repo")
            .env("GITHUB_ACTION_PATH", root())
            .env("FAKE_GH", gh_state)
            .env("TFREACH_REAL", assert_cmd::cargo::cargo_bin("tfreach"))
            .env("TFREACH_LOG", &log);
        for (k, v) in &s.env {
            c.env(k, expand(v, &ctx));
        }
        let out = c.output().unwrap();
        let status = out.status.code().unwrap_or(-1);
        steps.push((s.id.clone().unwrap_or_else(|| s.name.clone()), status));
        let outputs: BTreeMap<String, String> = std::fs::read_to_string(&output)
            .unwrap()
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if let Some(id) = &s.id {
            ctx.outputs.insert(id.clone(), outputs);
        }
        if status != 0 {
            eprintln!("{}: {}", s.name, String::from_utf8_lossy(&out.stderr));
            break;
        }
    }
    // Files the outputs name live in the temporary directory: read them now.
    let mut outputs = ctx.outputs;
    for o in outputs.values_mut() {
        for v in o.values_mut() {
            if Path::new(v.as_str()).starts_with(tmp.path()) {
                *v = std::fs::read_to_string(v.as_str()).unwrap_or_default();
            }
        }
    }
    ActionRun {
        steps,
        summary: std::fs::read_to_string(&summary).unwrap(),
        outputs,
        tfreach: std::fs::read_to_string(&log).unwrap(),
    }
}

fn has_jq() -> bool {
    Process::new("jq")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn relative(p: &str) -> String {
    Path::new(p)
        .strip_prefix(root())
        .map(|r| r.display().to_string())
        .unwrap_or_else(|_| p.to_string())
}

#[test]
fn the_action_comments_once_per_pull_request_and_gates_with_sarif() {
    if !has_bash() || !has_jq() {
        eprintln!("note: bash and jq are needed to run the action's steps; skipped");
        return;
    }
    let gh = tempfile::tempdir().unwrap();
    let (plan, pol) = (relative(&example()), relative(&policy()));
    let inputs = [("plan", plan.as_str()), ("policy", pol.as_str())];
    let first = run_action(&inputs, "7", gh.path());
    let ids: Vec<&str> = first.steps.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(ids, ["diff", "comment", "check", "gate"]);
    // The example policy does not hold: the gate fails, after the report.
    assert_eq!(first.steps.last().unwrap().1, 1);
    assert_eq!(first.outputs["check"]["exit-code"], "1");
    let sarif: serde_json::Value = serde_json::from_str(&first.outputs["check"]["file"]).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert!(first
        .summary
        .starts_with("## tfreach: reachability changes"));
    for line in first.tfreach.lines() {
        assert!(
            line.starts_with("0 ") || line.starts_with("1 check "),
            "{line}"
        );
    }
    assert_eq!(first.tfreach.lines().count(), 2);

    let comments = gh.path().join("comments");
    let body = std::fs::read_to_string(comments.join("1")).unwrap();
    assert!(body.starts_with(&format!("<!-- tfreach diff: {plan} -->\n## tfreach")));
    assert_eq!(
        body.lines().skip(1).collect::<Vec<_>>(),
        first.summary.lines().collect::<Vec<_>>()
    );

    // A second run updates the same comment instead of adding one.
    let second = run_action(&inputs, "7", gh.path());
    assert_eq!(second.steps.len(), 4);
    assert_eq!(std::fs::read_dir(&comments).unwrap().count(), 1);
    let calls = std::fs::read_to_string(gh.path().join("calls")).unwrap();
    assert_eq!(
        calls.lines().collect::<Vec<_>>(),
        [
            "GET repos/owner/repo/issues/7/comments",
            "POST repos/owner/repo/issues/7/comments",
            "GET repos/owner/repo/issues/7/comments",
            "PATCH repos/owner/repo/issues/comments/1",
        ]
    );
    // A token that may not comment costs the comment, not the gate.
    std::fs::write(gh.path().join("forbidden"), "").unwrap();
    let forbidden = run_action(&inputs, "7", gh.path());
    assert_eq!(forbidden.steps.len(), 4);
    assert_eq!(forbidden.steps[1], ("comment".to_string(), 0));
    assert_eq!(forbidden.steps[3], ("gate".to_string(), 1));
    std::fs::remove_file(gh.path().join("forbidden")).unwrap();
    // Another plan gets its own comment.
    let other = relative(
        &root()
            .join("fixtures/rules/peering_two_way/plan.json")
            .display()
            .to_string(),
    );
    run_action(&[("plan", other.as_str())], "7", gh.path());
    assert_eq!(std::fs::read_dir(&comments).unwrap().count(), 2);
}

#[test]
fn the_action_writes_every_format_and_stays_quiet_outside_pull_requests() {
    if !has_bash() {
        eprintln!("note: no bash to run the action's steps with; skipped");
        return;
    }
    let gh = tempfile::tempdir().unwrap();
    let (plan, pol) = (relative(&example()), relative(&policy()));
    let baseline = relative(
        &root()
            .join("fixtures/rules/peering_two_way/plan.json")
            .display()
            .to_string(),
    );
    let inputs = [
        ("plan", plan.as_str()),
        ("policy", pol.as_str()),
        ("baseline", baseline.as_str()),
        ("config-dir", "fixtures/example"),
        ("diff-format", "json"),
        ("check-format", "junit"),
        ("fail-on-violation", "false"),
    ];
    let run = run_action(&inputs, "", gh.path());
    assert!(run.steps.iter().all(|(_, s)| *s == 0), "{:?}", run.steps);
    let diff: serde_json::Value = serde_json::from_str(&run.outputs["diff"]["file"]).unwrap();
    assert_eq!(diff["schema"], "tfreach/diff/v1");
    assert!(run.outputs["check"]["file"].starts_with("<?xml"));
    assert!(
        !gh.path().join("calls").exists(),
        "no pull request, no gh call"
    );
    assert!(run.tfreach.contains(&format!("diff {baseline} {plan} ")));
    assert!(run.tfreach.contains("--baseline") && run.tfreach.contains("--config-dir"));

    // Markdown check reports go to the step summary; no policy, no gate.
    let md = run_action(
        &[
            ("plan", plan.as_str()),
            ("policy", pol.as_str()),
            ("check-format", "markdown"),
            ("diff", "false"),
        ],
        "",
        gh.path(),
    );
    assert_eq!(
        md.steps.iter().map(|s| s.0.as_str()).collect::<Vec<_>>(),
        ["check", "gate"]
    );
    assert_eq!(md.summary, md.outputs["check"]["file"]);
    let none = run_action(&[("plan", plan.as_str())], "", gh.path());
    assert_eq!(
        none.steps.iter().map(|s| s.0.as_str()).collect::<Vec<_>>(),
        ["diff", "comment"]
    );

    // A format the action does not know fails the step, not silently.
    let bad = run_action(
        &[("plan", plan.as_str()), ("diff-format", "yaml")],
        "",
        gh.path(),
    );
    assert_eq!(bad.steps, [("diff".to_string(), 2)]);
}

// ------------------------------------------------------------- pre-commit

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Hook {
    id: String,
    name: String,
    description: String,
    entry: String,
    language: String,
    pass_filenames: bool,
    require_serial: bool,
    files: String,
}

/// The README's YAML block that starts with `# .pre-commit-config.yaml`
/// and uses this repository's hook.
fn readme_pre_commit_config() -> serde_json::Value {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let block = readme
        .split("```yaml\n")
        .skip(1)
        .filter_map(|b| b.split_once("```").map(|(y, _)| y))
        .find(|y| y.starts_with("# .pre-commit-config.yaml") && y.contains("id: tfreach-check"))
        .expect("the README shows a .pre-commit-config.yaml that uses tfreach-check");
    serde_saphyr::from_str(block).unwrap()
}

#[test]
fn the_pre_commit_hook_runs_tfreach_check_as_the_readme_configures_it() {
    let text = std::fs::read_to_string(root().join(".pre-commit-hooks.yaml")).unwrap();
    let hooks: Vec<Hook> = serde_saphyr::from_str(&text).unwrap();
    assert_eq!(hooks.len(), 1);
    let h = &hooks[0];
    assert_eq!(h.id, "tfreach-check");
    assert!(!h.name.is_empty() && !h.description.is_empty());
    assert_eq!(
        h.language, "rust",
        "pre-commit builds tfreach from the repository"
    );
    assert!(!h.pass_filenames && h.require_serial);
    let entry: Vec<&str> = h.entry.split_whitespace().collect();
    assert_eq!(&entry[..2], ["tfreach", "check"]);

    let config = readme_pre_commit_config();
    let hook = &config["repos"][0]["hooks"][0];
    assert_eq!(hook["id"], "tfreach-check");
    let args: Vec<&str> = hook["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    // Run entry + args where the README's paths hold the example.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("infra")).unwrap();
    std::fs::copy(example(), dir.path().join("infra/plan.json")).unwrap();
    std::fs::copy(policy(), dir.path().join("network-policy.toml")).unwrap();
    for a in &args {
        if !a.starts_with('-') {
            assert!(dir.path().join(a).exists(), "the README's args name {a}");
        }
    }
    let out = tfreach()
        .args(&entry[1..])
        .args(&args)
        .current_dir(dir.path())
        .output()
        .unwrap();
    // The example policy does not hold: 1, not 2 (which would be a usage error).
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("FAILED"));
    let files = regex_free_match(&h.files, "infra/main.tf");
    assert!(files, "a .tf change triggers the hook");
}

/// Whether pre-commit's `files` pattern `\.(a|b|c)$` matches `path`.
fn regex_free_match(pattern: &str, path: &str) -> bool {
    let exts = pattern
        .strip_prefix("\\.(")
        .and_then(|p| p.strip_suffix(")$"))
        .expect("files: \\.(ext|...)$");
    exts.split('|').any(|e| path.ends_with(&format!(".{e}")))
}

// ------------------------------------------------------------- the README

#[test]
fn the_readme_shows_install_completions_colour_schemas_and_the_action() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    for text in [
        "cargo install --locked --path .",
        "cargo install --locked --git ",
        "tfreach completions bash",
        "tfreach man",
        "--color",
        "NO_COLOR",
        "CLICOLOR_FORCE",
        "schemas/",
        "action.yml",
        ".pre-commit-hooks.yaml",
    ] {
        assert!(readme.contains(text), "the README does not mention {text}");
    }
    assert!(
        !readme.contains("cargo install --locked tfreach"),
        "tfreach is not on crates.io"
    );
    // The workflow uses the action with inputs it has.
    let a = action();
    let block = readme
        .split("```yaml\n")
        .skip(1)
        .filter_map(|b| b.split_once("```").map(|(y, _)| y))
        .find(|y| y.starts_with("# .github/workflows/"))
        .expect("a workflow in the README");
    let wf: serde_json::Value = serde_saphyr::from_str(block).unwrap();
    let steps = wf["jobs"]["tfreach"]["steps"].as_array().unwrap();
    let step = steps
        .iter()
        .find(|s| s["with"]["plan"].is_string())
        .expect("the workflow uses the action");
    assert!(step["uses"].as_str().unwrap().ends_with("@<ref>"));
    for (k, _) in step["with"].as_object().unwrap() {
        assert!(a.inputs.contains_key(k), "the action has no input {k}");
    }
}
