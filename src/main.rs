//! The thin shell: read input, call the library, pick the reporter, exit.
//! This is the only place that touches files, standard streams and exit
//! codes. Each subcommand reads and parses its input, calls the one
//! function of `tfreach::commands` that does the model and analysis work,
//! and writes what it returns with the reporter `--format` names.

mod cli;

use std::fs;
use std::io::{self, IsTerminal, Read, Write};
use std::process::ExitCode;

use clap::{CommandFactory, Parser, ValueEnum};

use cli::{AnalyzeArgs, AnalyzeFormat, Cli, ColorWhen, Command, Common, ExplainArgs};
use cli::{CheckArgs, CheckFormat, DiffArgs, DiffFormat, MatrixArgs, MatrixFormat};
use cli::{CompletionsArgs, Inputs, ManArgs, WorkloadsArgs};
use tfreach::commands::{self, Phase};
use tfreach::ingest::{self, Document};
use tfreach::report;
use tfreach::report::style::Styles;

/// A failure that ends the run with exit status 2.
struct Fatal(String);

impl<E: std::fmt::Display> From<E> for Fatal {
    fn from(e: E) -> Self {
        Fatal(e.to_string())
    }
}

fn main() -> ExitCode {
    keep_freed_memory_briefly();
    let cli = Cli::parse();
    let color = cli.color;
    let result = match cli.command {
        Command::Analyze(a) => analyze(a, color),
        Command::Explain(e) => explain(e, color),
        Command::Matrix(m) => matrix(m, color),
        Command::Diff(d) => diff(d, color),
        Command::Check(c) => check(c, color),
        Command::Workloads(w) => workloads(w, color),
        Command::Completions(c) => completions(c),
        Command::Man(m) => man(m),
    };
    match result {
        Ok(code) => code,
        Err(Fatal(msg)) => {
            #[allow(clippy::print_stderr)]
            for line in msg.lines() {
                eprintln!("tfreach: error: {line}");
            }
            ExitCode::from(2)
        }
    }
}

fn read_input(file: &str) -> Result<Vec<u8>, Fatal> {
    if file == "-" {
        let mut buf = Vec::new();
        io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| Fatal(format!("<stdin>: cannot read: {e}")))?;
        Ok(buf)
    } else {
        fs::read(file).map_err(|e| Fatal(format!("{file}: cannot read: {e}")))
    }
}

/// Reads and parses the input, decoding only the views asked for.
fn load(file: &str, views: ingest::Views) -> Result<Document, Fatal> {
    if let Some(map) = map_file(file) {
        return Ok(ingest::parse_releasing(
            &map,
            file,
            views,
            &|first, last| release(&map, first, last),
        )?);
    }
    let bytes = read_input(file)?;
    let name = if file == "-" { "<stdin>" } else { file };
    Ok(ingest::parse_views(&bytes, name, views)?)
}

/// The documents a command reads, each with its file and label.
struct Loaded {
    docs: Vec<commands::Owned>,
}

impl Loaded {
    /// Reads and parses every document, after checking the labels.
    fn read(inputs: &Inputs, views: ingest::Views) -> Result<Loaded, Fatal> {
        let labels = labels(inputs)?;
        let mut docs = Vec::with_capacity(inputs.files.len());
        for (file, label) in inputs.files.iter().zip(labels) {
            docs.push(commands::Owned::labelled(load(file, views)?, file, label));
        }
        Ok(Loaded { docs })
    }

    /// The documents as a command reads them.
    fn inputs(&self) -> Vec<commands::Input<'_>> {
        self.docs.iter().map(commands::Owned::input).collect()
    }
}

/// The ranges `--on-prem NAME=CIDR,...` names, or why a value is not one.
fn on_prem(inputs: &Inputs) -> Result<commands::OnPremRanges, Fatal> {
    named_ranges(&inputs.on_prem)
}

/// [`on_prem`] of the values given.
fn named_ranges(values: &[String]) -> Result<commands::OnPremRanges, Fatal> {
    values
        .iter()
        .map(|v| {
            tfreach::model::onprem::parse_named(v).map_err(|e| Fatal(format!("--on-prem: {e}")))
        })
        .collect()
}

/// Each document's label: `--name LABEL=FILE`, or the file name without
/// its `.json`, `.plan` and `.tfstate` suffixes. Labels prefix addresses
/// (`LABEL:aws_vpc.hub`), so they are unique, and not empty or with a colon.
fn labels(inputs: &Inputs) -> Result<Vec<String>, Fatal> {
    labels_of(&inputs.files, &inputs.names)
}

/// [`labels`] of the files given, with the `--name LABEL=FILE` values.
fn labels_of(files: &[String], names: &[String]) -> Result<Vec<String>, Fatal> {
    if files.iter().filter(|f| *f == "-").count() > 1 {
        return Err(Fatal(
            "-: standard input can be read once only; give it once".into(),
        ));
    }
    let mut labels: Vec<String> = files.iter().map(|f| default_label(f)).collect();
    for n in names {
        let Some((label, file)) = n.split_once('=') else {
            return Err(Fatal(format!("--name {n:?}: expected LABEL=FILE")));
        };
        if label.is_empty() || label.contains(':') || label.contains(char::is_whitespace) {
            return Err(Fatal(format!(
                "--name {n:?}: a label is not empty and holds no colon or space"
            )));
        }
        let Some(i) = files.iter().position(|f| f == file) else {
            return Err(Fatal(format!(
                "--name {n:?}: {file} is not one of the documents given"
            )));
        };
        labels[i] = label.to_string();
    }
    if files.len() > 1 {
        for (i, l) in labels.iter().enumerate() {
            if let Some(j) = labels[..i].iter().position(|m| m == l) {
                return Err(Fatal(format!(
                    "{}: its label {l:?} is also that of {}; give one of them another with --name LABEL=FILE",
                    files[i], files[j]
                )));
            }
        }
    }
    Ok(labels)
}

/// A document's label by default: its file name without the `.json`,
/// `.plan` and `.tfstate` suffixes (`stdin` for `-`).
fn default_label(file: &str) -> String {
    if file == "-" {
        return "stdin".into();
    }
    let mut name = std::path::Path::new(file)
        .file_name()
        .map_or_else(|| file.to_string(), |n| n.to_string_lossy().to_string());
    while let Some(stem) = [".json", ".plan", ".tfstate"]
        .iter()
        .find_map(|s| name.strip_suffix(s).filter(|x| !x.is_empty()))
    {
        name = stem.to_string();
    }
    name.replace([':', ' '], "_")
}

/// Maps a regular, non-empty file into memory, which spares copying it and
/// lets the pages already decoded go back to the system. Anything else
/// (standard input, a pipe, a file that cannot be mapped) is read instead.
fn map_file(file: &str) -> Option<memmap2::Mmap> {
    if file == "-" {
        return None;
    }
    let f = fs::File::open(file).ok()?;
    let meta = f.metadata().ok()?;
    if !meta.is_file() || meta.len() == 0 {
        return None;
    }
    // SAFETY: the mapping is read-only and lives until parsing ends. As with
    // any tool that maps its input, a file truncated or rewritten by another
    // process while tfreach reads it is not supported.
    unsafe { memmap2::Mmap::map(&f) }.ok()
}

/// Hands back to the system the pages of the mapped input that lie wholly
/// between the start of `first` and the end of `last`.
fn release(map: &memmap2::Mmap, first: &str, last: &str) {
    // Aligned inward to 64 KiB, which is a multiple of every page size.
    const ALIGN: usize = 1 << 16;
    let base = map.as_ptr() as usize;
    let (start, end) = (first.as_ptr() as usize, last.as_ptr() as usize + last.len());
    if start < base || end > base + map.len() || end <= start {
        return; // not in the mapping (a decoded copy of UTF-16 input)
    }
    let lo = (start - base).next_multiple_of(ALIGN);
    let hi = (end - base) / ALIGN * ALIGN;
    if hi > lo {
        #[cfg(unix)]
        // SAFETY: the mapping is shared, read-only and backed by the file,
        // so the kernel drops the pages and reads the same bytes back from
        // the file when they are touched again (a failure only means the
        // memory stays in use).
        let _ =
            unsafe { map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, lo, hi - lo) };
    }
}

fn setup(common: &Common) -> Result<(), Fatal> {
    if let Some(n) = common.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global()
            .map_err(|e| Fatal(format!("cannot start {n} threads: {e}")))?;
    }
    Ok(())
}

/// Whether standard output gets colour: `--color always` or `never` as
/// given; under `auto`, anstream's reading of the environment (NO_COLOR
/// wins, then CLICOLOR_FORCE, then CLICOLOR=0, then a terminal that is
/// not `TERM=dumb`).
fn stdout_colored(color: ColorWhen) -> bool {
    match color {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => {
            anstream::AutoStream::choice(&io::stdout()) != anstream::ColorChoice::Never
        }
    }
}

/// Runs `write` against the chosen destination with the styles it gets:
/// a file named by `--output` is never coloured, standard output as
/// `--color` and the environment say.
fn emit(
    common: &Common,
    color: ColorWhen,
    write: impl FnOnce(&mut dyn Write, Styles) -> io::Result<()>,
) -> Result<(), Fatal> {
    match &common.output {
        Some(path) => {
            let f = fs::File::create(path)
                .map_err(|e| Fatal(format!("{}: cannot write: {e}", path.display())))?;
            let mut w = io::BufWriter::new(f);
            write(&mut w, Styles::PLAIN)
                .and_then(|_| w.flush())
                .map_err(|e| Fatal(format!("{}: cannot write: {e}", path.display())))
        }
        None => to_stdout(stdout_colored(color), write),
    }
}

/// Runs `write` against standard output, in colour or not.
fn to_stdout(
    colored: bool,
    write: impl FnOnce(&mut dyn Write, Styles) -> io::Result<()>,
) -> Result<(), Fatal> {
    let stdout = io::stdout();
    // Escape codes pass straight through on Unix and on terminals that take
    // them; anstream translates them for a legacy Windows console.
    let mut w: io::BufWriter<Box<dyn Write>> = io::BufWriter::new(if colored {
        Box::new(anstream::AutoStream::new(
            stdout.lock(),
            anstream::ColorChoice::Always,
        ))
    } else {
        Box::new(stdout.lock())
    });
    match write(&mut w, Styles::new(colored)).and_then(|_| w.flush()) {
        Ok(()) => Ok(()),
        // A closed pipe (`| head`) is not an error worth reporting.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Fatal(format!("cannot write to standard output: {e}"))),
    }
}

/// A spinner on standard error that names the phase; drawn only when
/// standard error is a terminal and `--quiet` is off, and only once the
/// run has taken longer than a second.
struct Progress(
    Option<indicatif::ProgressBar>,
    std::time::Instant,
    Option<std::cell::Cell<std::time::Instant>>,
);

/// Whether a developer's switch in the environment is on: set, and neither
/// empty nor `0` (so that `TFREACH_EACH_VPC=0` means off).
fn env_flag(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0")
}

impl Progress {
    fn new(common: &Common) -> Progress {
        let show = !common.quiet && io::stderr().is_terminal();
        // `TFREACH_TIMINGS=1` prints how long each phase took (for profiling).
        let timings = env_flag("TFREACH_TIMINGS");
        Progress(
            show.then(indicatif::ProgressBar::hidden),
            std::time::Instant::now(),
            timings.then(|| std::cell::Cell::new(std::time::Instant::now())),
        )
    }

    /// Takes the spinner off the terminal before the report is written
    /// (timings go on).
    fn clear(&mut self) {
        if let Some(pb) = self.0.take() {
            pb.finish_and_clear();
        }
    }

    fn phase(&self, msg: &str) {
        if let Some(last) = &self.2 {
            let now = std::time::Instant::now();
            #[allow(clippy::print_stderr)]
            {
                eprintln!(
                    "tfreach: timing: {:>8.3} s  {:>6} MB resident  then {msg}",
                    (now - last.get()).as_secs_f64(),
                    resident_mb().map_or_else(|| "?".to_string(), |m| m.to_string())
                );
            }
            last.set(now);
        }
        if let Some(pb) = &self.0 {
            if pb.is_hidden() && self.1.elapsed().as_secs_f32() > 1.0 {
                pb.set_draw_target(indicatif::ProgressDrawTarget::stderr());
                pb.enable_steady_tick(std::time::Duration::from_millis(120));
            }
            pb.set_message(msg.to_string());
        }
    }
}

/// The process's resident memory in MB, where the system tells it
/// (Linux `/proc`, counted in 4 KiB pages).
fn resident_mb() -> Option<u64> {
    let statm = fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096 / 1_000_000)
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.clear();
    }
}

/// Tells the progress display what a command is doing.
fn phases(progress: &Progress) -> impl FnMut(Phase) + '_ {
    |phase| {
        progress.phase(&match phase {
            Phase::Model => "building the network model".to_string(),
            Phase::Analysis { subnets } => format!("analysing {subnets} subnets"),
            Phase::BothSides => "analysing both sides".to_string(),
            Phase::Comparison => "comparing".to_string(),
            Phase::Policy => "checking the policy".to_string(),
        })
    }
}

fn analyze(a: AnalyzeArgs, color: ColorWhen) -> Result<ExitCode, Fatal> {
    setup(&a.common)?;
    let flow = a.flow.flow().map_err(Fatal)?;
    let mut progress = Progress::new(&a.common);
    progress.phase("reading the plan");
    let docs = Loaded::read(&a.inputs, ingest::Views::Only(a.common.view))?;
    // JSON streams its pairs as they are written; the table holds them, if
    // it lists them at all.
    let opts = commands::AnalyzeOptions {
        view: a.common.view,
        flow,
        pairs: a.pairs,
        listing: match a.format {
            AnalyzeFormat::Table => commands::Listing::Held,
            AnalyzeFormat::Json => commands::Listing::Streamed,
        },
        on_prem: on_prem(&a.inputs)?,
        // `TFREACH_EACH_VPC=1` evaluates the rows of alike VPCs one by one
        // (for measuring and checking what sharing them saves).
        each_vpc: env_flag("TFREACH_EACH_VPC"),
    };
    let done = commands::analyze(docs.docs, &opts, &mut phases(&progress))?;
    progress.phase("writing the report");
    progress.clear();
    let (input, analysis) = (&done.input, &done.analysis);
    emit(&a.common, color, |w, st| match (a.format, &done.overview) {
        (AnalyzeFormat::Table, Some(overview)) => {
            report::table::write_overview(w, input, analysis, overview, st)
        }
        (AnalyzeFormat::Table, None) => report::table::write_styled(w, input, analysis, st),
        (AnalyzeFormat::Json, _) => report::json::write_from(w, input, analysis, &done.pairs()),
    })?;
    progress.phase("done");
    drop(progress);
    // The process ends here: freeing a large model piece by piece would
    // only cost time.
    std::mem::forget(done);
    Ok(ExitCode::SUCCESS)
}

fn explain(e: ExplainArgs, color: ColorWhen) -> Result<ExitCode, Fatal> {
    setup(&e.common)?;
    let flow = e.flow.flow().map_err(Fatal)?;
    let config = config_dirs(&e.config_dir, &e.inputs)?;
    let docs = Loaded::read(&e.inputs, ingest::Views::Only(e.common.view))?;
    let opts = commands::ExplainOptions {
        view: e.common.view,
        flow,
        from: &e.from,
        to: &e.to,
        on_prem: on_prem(&e.inputs)?,
        intent_reachable: e.intent == Some(cli::Intent::Reachable),
        config: configs(&config),
    };
    let list = commands::explain(&docs.inputs(), &opts)?;
    emit(&e.common, color, |w, st| match e.format {
        AnalyzeFormat::Table => tfreach::explain::write_text(w, &list, st),
        AnalyzeFormat::Json => {
            serde_json::to_writer_pretty(&mut *w, &list).map_err(io::Error::other)?;
            writeln!(w)
        }
    })?;
    Ok(ExitCode::SUCCESS)
}

fn workloads(a: WorkloadsArgs, color: ColorWhen) -> Result<ExitCode, Fatal> {
    setup(&a.common)?;
    let flow = a.flow.flow().map_err(Fatal)?;
    let progress = Progress::new(&a.common);
    progress.phase("reading the plan");
    let docs = Loaded::read(&a.inputs, ingest::Views::Only(a.common.view))?;
    let opts = commands::WorkloadsOptions {
        view: a.common.view,
        flow,
        from: a.from.as_deref(),
        to: a.to.as_deref(),
        on_prem: on_prem(&a.inputs)?,
    };
    let run = commands::workloads(&docs.inputs(), &opts, &mut phases(&progress))?;
    let doc = run.document();
    drop(progress);
    emit(&a.common, color, |w, st| match a.format {
        AnalyzeFormat::Table => report::workloads::write_table(w, &doc, st),
        AnalyzeFormat::Json => report::workloads::write_json(w, &doc),
    })?;
    Ok(ExitCode::SUCCESS)
}

fn matrix(m: MatrixArgs, color: ColorWhen) -> Result<ExitCode, Fatal> {
    setup(&m.common)?;
    if m.square && !matches!(m.format, MatrixFormat::Csv) {
        return Err(Fatal(
            "--square applies to --format csv only (the other formats show the matrix whole)"
                .into(),
        ));
    }
    let flow = m.flow.flow().map_err(Fatal)?;
    let mut progress = Progress::new(&m.common);
    progress.phase("reading the plan");
    let docs = Loaded::read(&m.inputs, ingest::Views::Only(m.common.view))?;
    let format = m
        .format
        .to_possible_value()
        .map_or_else(String::new, |v| v.get_name().to_string());
    let opts = commands::MatrixOptions {
        view: m.common.view,
        flow,
        // CSV, JSON and every VPC-by-VPC view take their pairs as they are
        // written; a grid of subnets is laid out whole, and holds its pairs.
        layout: match m.format {
            MatrixFormat::Csv | MatrixFormat::Json | MatrixFormat::Mermaid => {
                commands::Layout::Streamed
            }
            MatrixFormat::Table | MatrixFormat::Dot => commands::Layout::Grid,
            MatrixFormat::Html => commands::Layout::Page,
        },
        by_vpc: m.by_vpc,
        on_prem: on_prem(&m.inputs)?,
        format: &format,
    };
    let done = commands::matrix(docs.docs, &opts, &mut phases(&progress))?;
    let pairs = done.pairs();
    let md = report::doc::MatrixDoc {
        input: &done.input,
        analysis: &done.analysis,
        pairs: &pairs,
        traces: done.traces.as_deref(),
        square: m.square,
        by_vpc: m.by_vpc,
    };
    progress.phase("writing the matrix");
    // Written to a file, a long matrix keeps the spinner; on standard
    // output it would mix with the matrix.
    if m.common.output.is_none() {
        progress.clear();
    }
    emit(&m.common, color, |w, st| match m.format {
        MatrixFormat::Table => report::text::write_matrix(w, &md, st),
        MatrixFormat::Csv => report::csv::write_matrix(w, &md),
        MatrixFormat::Json => report::json_docs::write_matrix(w, &md),
        MatrixFormat::Dot => report::dot::write_matrix(w, &md),
        MatrixFormat::Mermaid => report::mermaid::write_matrix(w, &md),
        MatrixFormat::Html => report::html::write_matrix(w, &md),
    })?;
    progress.phase("done");
    Ok(ExitCode::SUCCESS)
}

fn diff(d: DiffArgs, color: ColorWhen) -> Result<ExitCode, Fatal> {
    setup(&d.common)?;
    let flow = d.flow.flow().map_err(Fatal)?;
    let mut progress = Progress::new(&d.common);
    progress.phase("reading the plans");
    let (label, with_labels) = diff_labels(&d)?;
    let old = load(&d.old, ingest::Views::Both)?;
    let new = match &d.new {
        Some(f) => Some((load(f, ingest::Views::Both)?, f.as_str())),
        None => None,
    };
    let mut with = Vec::with_capacity(d.with.len());
    for f in &d.with {
        with.push(load(f, ingest::Views::Only(d.common.view))?);
    }
    let with: Vec<commands::Input> = with
        .iter()
        .zip(&d.with)
        .zip(&with_labels)
        .map(|((doc, file), label)| commands::Input::labelled(doc, file, label))
        .collect();
    let named = named_ranges(&d.on_prem)?;
    let inputs = commands::DiffInputs {
        old: commands::Input::labelled(&old, &d.old, &label),
        new: new
            .as_ref()
            .map(|(doc, f)| commands::Input::labelled(doc, f, &label)),
        with: &with,
        on_prem: &named,
    };
    if d.workloads {
        return diff_workloads(&d, &inputs, flow, color, progress);
    }
    let done = commands::diff(&inputs, d.common.view, flow, &mut phases(&progress))?;
    progress.phase("writing the report");
    progress.clear();
    let doc = report::doc::DiffDoc {
        before: &done.before,
        after: &done.after,
        diff: &done.diff,
        max_chars: d.max_chars,
    };
    emit(&d.common, color, |w, st| match d.format {
        DiffFormat::Table => report::text::write_diff(w, &doc, st),
        DiffFormat::Markdown => report::markdown::write_diff(w, &doc),
        DiffFormat::Json => report::json_docs::write_diff(w, &doc),
    })?;
    progress.phase("done");
    Ok(if d.exit_code && !done.diff.changes.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `diff --workloads`: the workload pairs whose answer changes.
fn diff_workloads(
    d: &DiffArgs,
    inputs: &commands::DiffInputs,
    flow: Option<tfreach::model::Flow>,
    color: ColorWhen,
    mut progress: Progress,
) -> Result<ExitCode, Fatal> {
    let done = commands::diff_workloads(inputs, d.common.view, flow, &mut phases(&progress))?;
    progress.phase("writing the report");
    progress.clear();
    let doc = report::workloads::WorkloadDiffDoc {
        before: &done.before,
        after: &done.after,
        asked: &done.asked,
        diff: &done.diff,
        max_chars: d.max_chars,
    };
    emit(&d.common, color, |w, st| match d.format {
        DiffFormat::Table => report::workloads::write_diff_table(w, &doc, st),
        DiffFormat::Markdown => report::workloads::write_diff_markdown(w, &doc),
        DiffFormat::Json => report::workloads::write_diff_json(w, &doc),
    })?;
    progress.phase("done");
    Ok(if d.exit_code && !done.diff.changes.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The labels of `diff`'s documents: the one compared (OLD and NEW share
/// one: NEW's, or what `--name` gives either), then each `--with` one.
fn diff_labels(d: &DiffArgs) -> Result<(String, Vec<String>), Fatal> {
    let all = std::iter::once(&d.old).chain(&d.new).chain(&d.with);
    if all.filter(|f| *f == "-").count() > 1 {
        return Err(Fatal(
            "-: standard input can be read once only; give it once".into(),
        ));
    }
    let compared = d.new.clone().unwrap_or_else(|| d.old.clone());
    // `--name L=OLD` names the compared document too.
    let names: Vec<String> = d
        .names
        .iter()
        .map(|n| match n.split_once('=') {
            Some((l, f)) if f == d.old && d.new.is_some() && f != compared => {
                format!("{l}={compared}")
            }
            _ => n.clone(),
        })
        .collect();
    let files: Vec<String> = std::iter::once(compared).chain(d.with.clone()).collect();
    let mut labels = labels_of(&files, &names)?.into_iter();
    let label = labels.next().unwrap_or_default();
    Ok((label, labels.collect()))
}

/// `check --baseline [LABEL=]FILE`: the file, and which of the documents
/// checked it is an older version of (the one labelled LABEL, or the
/// first). A value whose part before `=` is no label is a file name.
fn baseline_of(value: &str, labels: &[String]) -> (String, usize) {
    if labels.len() > 1 {
        if let Some((label, file)) = value.split_once('=') {
            if let Some(i) = labels.iter().position(|l| l == label) {
                return (file.to_string(), i);
            }
        }
    }
    (value.to_string(), 0)
}

/// `check --config-dir [LABEL=]DIR`: the directory, and the position of
/// the document whose configuration it is. With one document the value is
/// the directory; with several it names its document's label.
fn config_dir_of(value: &str, labels: &[String]) -> Result<(String, usize), Fatal> {
    if labels.len() == 1 {
        return Ok((value.to_string(), 0));
    }
    if let Some((label, dir)) = value.split_once('=') {
        if let Some(i) = labels.iter().position(|l| l == label) {
            return Ok((dir.to_string(), i));
        }
    }
    Err(Fatal(format!(
        "--config-dir {value:?}: with several documents, say whose configuration it is: \
         --config-dir LABEL=DIR, a label being one of {}",
        labels.join(", ")
    )))
}

/// The configuration directories `--config-dir` names: each directory (as
/// given), its `.tf` files and the position of its document.
type ConfigDirs = Vec<(String, Vec<tfreach::policy::locate::SourceFile>, usize)>;

fn config_dirs(values: &[String], inputs: &cli::Inputs) -> Result<ConfigDirs, Fatal> {
    let doc_labels = labels(inputs)?;
    let mut config: ConfigDirs = Vec::new();
    for value in values {
        let (dir, document) = config_dir_of(value, &doc_labels)?;
        if config.iter().any(|(_, _, d)| *d == document) {
            return Err(Fatal(format!(
                "--config-dir {value:?}: {} has a configuration directory already",
                inputs.files[document]
            )));
        }
        let files = tf_files(std::path::Path::new(&dir))?;
        if files.is_empty() {
            return Err(Fatal(format!("{dir}: --config-dir holds no .tf file")));
        }
        config.push((dir.replace('\\', "/"), files, document));
    }
    Ok(config)
}

/// The commands' view of [`config_dirs`].
fn configs(config: &ConfigDirs) -> Vec<commands::Config<'_>> {
    config
        .iter()
        .map(|(dir, files, document)| commands::Config {
            document: *document,
            dir,
            files,
        })
        .collect()
}

/// The `.tf` files under a directory, hidden directories (`.terraform`,
/// `.git`) left out, with paths as the directory was written.
fn tf_files(dir: &std::path::Path) -> Result<Vec<tfreach::policy::locate::SourceFile>, Fatal> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = fs::read_dir(&d)
            .map_err(|e| Fatal(format!("{}: cannot read the directory: {e}", d.display())))?;
        for e in entries {
            let e =
                e.map_err(|e| Fatal(format!("{}: cannot read the directory: {e}", d.display())))?;
            let path = e.path();
            let name = e.file_name().to_string_lossy().to_string();
            if name.starts_with('.') {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else if name.ends_with(".tf") {
                let text = fs::read_to_string(&path)
                    .map_err(|e| Fatal(format!("{}: cannot read: {e}", path.display())))?;
                out.push(tfreach::policy::locate::SourceFile {
                    path: path.to_string_lossy().replace('\\', "/"),
                    text,
                });
            }
        }
    }
    Ok(out)
}

fn check(c: CheckArgs, color: ColorWhen) -> Result<ExitCode, Fatal> {
    setup(&c.common)?;
    let flow = c.flow.flow().map_err(Fatal)?;
    let policy_name = c.policy.display().to_string();
    let text = fs::read_to_string(&c.policy)
        .map_err(|e| Fatal(format!("{policy_name}: cannot read: {e}")))?;
    let policy = tfreach::policy::parse(&text, &policy_name)?;
    let config = config_dirs(&c.config_dir, &c.inputs)?;
    let mut progress = Progress::new(&c.common);
    progress.phase("reading the plan");
    let docs = Loaded::read(&c.inputs, ingest::Views::Both)?;
    let named = on_prem(&c.inputs)?;
    let inputs = docs.inputs();
    let baseline = match &c.baseline {
        Some(value) => {
            let labels: Vec<String> = docs.docs.iter().map(|o| o.label.clone()).collect();
            let (file, replaces) = baseline_of(value, &labels);
            Some((load(&file, ingest::Views::Both)?, file, replaces))
        }
        None => None,
    };
    let inputs = commands::CheckInputs {
        docs: &inputs,
        baseline: baseline
            .as_ref()
            .map(|(doc, file, replaces)| commands::Baseline {
                doc,
                file,
                replaces: *replaces,
            }),
        policy: &policy,
        config: configs(&config),
        on_prem: &named,
    };
    let done = commands::check(&inputs, c.common.view, flow, &mut phases(&progress))?;
    progress.phase("writing the report");
    progress.clear();
    let cd = report::doc::CheckDoc {
        input: &done.input,
        baseline: done.baseline.as_ref(),
        report: &done.report,
        summary: &done.summary,
        sources: &done.sources,
        max_chars: c.max_chars,
    };
    emit(&c.common, color, |w, st| match c.format {
        CheckFormat::Table => report::text::write_check(w, &cd, st),
        CheckFormat::Json => report::json_docs::write_check(w, &cd),
        CheckFormat::Sarif => report::sarif::write_check(w, &cd),
        CheckFormat::Junit => report::junit::write_check(w, &cd),
        CheckFormat::Markdown => report::markdown::write_check(w, &cd),
    })?;
    progress.phase("done");
    Ok(if done.report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `tfreach completions SHELL`: the completion script, from the clap
/// definitions.
fn completions(c: CompletionsArgs) -> Result<ExitCode, Fatal> {
    to_stdout(false, |w, _| {
        clap_complete::generate(c.shell, &mut Cli::command(), "tfreach", w);
        Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// `tfreach man`: the manual page from the clap definitions, on standard
/// output, or a page per command written into `--dir`.
fn man(m: ManArgs) -> Result<ExitCode, Fatal> {
    match &m.dir {
        Some(dir) => {
            fs::create_dir_all(dir)
                .and_then(|_| clap_mangen::generate_to(Cli::command(), dir))
                .map_err(|e| Fatal(format!("{}: cannot write: {e}", dir.display())))?;
        }
        None => to_stdout(false, |w, _| {
            clap_mangen::Man::new(Cli::command()).render(w)
        })?,
    }
    Ok(ExitCode::SUCCESS)
}

/// The run allocates a great many small objects on every thread (decoded
/// attribute values, the model); mimalloc's per-thread heaps take a third
/// off the time of a large plan compared with the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (its place in `mi_option_e` of
/// mimalloc.h): how many milliseconds freed memory is held before it goes
/// back to the system. The mimalloc version this crate builds holds it for
/// 1,000 by default.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Has mimalloc hand freed memory back after 10 ms, unless
/// `MIMALLOC_PURGE_DELAY` says otherwise. Each phase of a run frees most of
/// what the phase before it built (the documents once the model is built),
/// and while the freed memory is held the next phase's allocations come
/// from fresh pages: the greenfield 2,000 x 10 hub plan (72 MB) peaked at
/// 137-153 MiB, and at 106-108 MiB with the short delay (measured before
/// later changes lowered it further). A steady plan, whose peak does not
/// change, faults the pages of its dropped documents in again (see
/// ARCHITECTURE.md, "Memory").
fn keep_freed_memory_briefly() {
    // SAFETY: called first thing in `main`, before any other thread exists
    // (mimalloc's option setters are not thread safe); it sets a default,
    // which the environment variable, when given, overrides.
    unsafe { libmimalloc_sys::mi_option_set_default(MI_OPTION_PURGE_DELAY, 10) };
}

#[cfg(test)]
mod tests {
    use super::MI_OPTION_PURGE_DELAY;

    /// The option number is mimalloc's purge delay: the only option whose
    /// default is 1,000 (milliseconds) in the version this crate builds. A
    /// mimalloc that numbers its options otherwise fails here.
    #[test]
    fn the_purge_delay_option_is_the_one_mimalloc_holds_freed_memory_by() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return;
        }
        // SAFETY: reads an option; nothing in the test process sets it.
        let delay = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        assert_eq!(delay, 1000);
    }
}
