//! The thin shell: read input, call the library, pick the reporter, exit.
//! This is the only place that touches files, standard streams and exit
//! codes.

mod cli;

use std::fs;
use std::io::{self, IsTerminal, Read, Write};
use std::process::ExitCode;

use clap::Parser;

use cli::{AnalyzeArgs, AnalyzeFormat, Cli, Command, Common, ExplainArgs};
use tfreach::analysis::PairsFilter;
use tfreach::ingest::{self, Document};
use tfreach::report::{self, InputInfo};

/// A failure that ends the run with exit status 2.
struct Fatal(String);

impl<E: std::fmt::Display> From<E> for Fatal {
    fn from(e: E) -> Self {
        Fatal(e.to_string())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Analyze(a) => analyze(a),
        Command::Explain(e) => explain(e),
    };
    match result {
        Ok(code) => code,
        Err(Fatal(msg)) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("tfreach: error: {msg}");
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
    let bytes = read_input(file)?;
    let name = if file == "-" { "<stdin>" } else { file };
    Ok(ingest::parse_views(&bytes, name, views)?)
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

/// Runs `write` against the chosen destination.
fn emit(
    common: &Common,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), Fatal> {
    match &common.output {
        Some(path) => {
            let f = fs::File::create(path)
                .map_err(|e| Fatal(format!("{}: cannot write: {e}", path.display())))?;
            let mut w = io::BufWriter::new(f);
            write(&mut w)
                .and_then(|_| w.flush())
                .map_err(|e| Fatal(format!("{}: cannot write: {e}", path.display())))
        }
        None => {
            let stdout = io::stdout();
            let mut w = io::BufWriter::new(stdout.lock());
            match write(&mut w).and_then(|_| w.flush()) {
                Ok(()) => Ok(()),
                // A closed pipe (`| head`) is not an error worth reporting.
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
                Err(e) => Err(Fatal(format!("cannot write to standard output: {e}"))),
            }
        }
    }
}

/// A spinner on standard error that names the phase; drawn only when
/// standard error is a terminal and `--quiet` is off, and only once the
/// run has taken longer than a second.
struct Progress(Option<indicatif::ProgressBar>, std::time::Instant);

impl Progress {
    fn new(common: &Common) -> Progress {
        let show = !common.quiet && io::stderr().is_terminal();
        Progress(
            show.then(indicatif::ProgressBar::hidden),
            std::time::Instant::now(),
        )
    }

    fn phase(&self, msg: &str) {
        if let Some(pb) = &self.0 {
            if pb.is_hidden() && self.1.elapsed().as_secs_f32() > 1.0 {
                pb.set_draw_target(indicatif::ProgressDrawTarget::stderr());
                pb.enable_steady_tick(std::time::Duration::from_millis(120));
            }
            pb.set_message(msg.to_string());
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(pb) = &self.0 {
            pb.finish_and_clear();
        }
    }
}

fn analyze(a: AnalyzeArgs) -> Result<ExitCode, Fatal> {
    setup(&a.common)?;
    let progress = Progress::new(&a.common);
    progress.phase("reading the plan");
    let doc = load(&a.file, ingest::Views::Only(a.common.view))?;
    // JSON streams its pairs as they are computed; the table holds them.
    let held = match a.format {
        AnalyzeFormat::Json => PairsFilter::None,
        AnalyzeFormat::Table => a.pairs,
    };
    let opts = tfreach::analysis::Options { pairs: held };
    progress.phase("building the network model");
    let built = tfreach::model::build(&doc, a.common.view);
    progress.phase(&format!("analysing {} subnets", built.model.subnets.len()));
    let analysis = tfreach::analysis::analyze(&built.model, built.findings, &opts);
    progress.phase("writing the report");
    let input = InputInfo::new(&doc, a.common.view, &a.file);
    drop(progress);
    emit(&a.common, |w| match a.format {
        AnalyzeFormat::Table => report::table::write(w, &input, &analysis),
        AnalyzeFormat::Json => {
            report::json::write_streamed(w, &input, &analysis, &built.model, a.pairs)
        }
    })?;
    // The process ends here: freeing a large model piece by piece would
    // only cost time.
    std::mem::forget((doc, built.model, analysis));
    Ok(ExitCode::SUCCESS)
}

fn explain(e: ExplainArgs) -> Result<ExitCode, Fatal> {
    setup(&e.common)?;
    let doc = load(&e.file, ingest::Views::Only(e.common.view))?;
    let built = tfreach::model::build(&doc, e.common.view);
    let model = &built.model;
    let from = tfreach::explain::select(model, &e.from);
    let to = tfreach::explain::select(model, &e.to);
    let name = if e.file == "-" { "<stdin>" } else { &e.file };
    for (sel, found, flag) in [(&e.from, &from, "--from"), (&e.to, &to, "--to")] {
        if found.is_empty() {
            return Err(Fatal(format!(
                "{name}: {flag} {sel:?} matches no subnet (subnets are named by their resource address, for example aws_subnet.app or module.net[\"prod\"].aws_subnet.private[0])"
            )));
        }
    }
    let list: Vec<_> = from
        .iter()
        .flat_map(|&s| to.iter().filter(move |&&d| d != s).map(move |&d| (s, d)))
        .map(|(s, d)| tfreach::explain::explain(model, s, d))
        .collect();
    if list.is_empty() {
        return Err(Fatal(format!(
            "{name}: --from and --to name the same subnet; a subnet reaches itself without routing"
        )));
    }
    emit(&e.common, |w| match e.format {
        AnalyzeFormat::Table => tfreach::explain::write_text(w, &list),
        AnalyzeFormat::Json => {
            serde_json::to_writer_pretty(&mut *w, &list).map_err(io::Error::other)?;
            writeln!(w)
        }
    })?;
    Ok(ExitCode::SUCCESS)
}
