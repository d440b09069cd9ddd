//! `docklab lab …`: argument structs and handlers for the lab runner's verbs.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};

use crate::lab::format::{self, Lab};
use crate::lab::messages::Lang;
use crate::lab::report;
use crate::lab::runner::{self, LabResult, Status};

#[derive(Debug, Args)]
pub struct LabArgs {
    /// Directory holding the labs (for ids, `--all`, `list`, `validate`)
    #[arg(
        long = "labs",
        global = true,
        default_value = "labs",
        value_name = "DIR"
    )]
    pub labs_dir: PathBuf,

    #[command(subcommand)]
    pub command: LabCommand,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum LabCommand {
    /// List the labs: id, number of steps, title.
    List,
    /// Check lab files for format errors without running them.
    Validate {
        /// Lab files or ids (default: every lab in the labs directory)
        labs: Vec<String>,
    },
    /// Run every step of the labs in a private sandbox and compare the output.
    Run(RunArgs),
    /// Internal: the lab host inside the sandbox's namespaces.
    #[command(name = "__host", hide = true)]
    Host {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        lab: PathBuf,
        #[arg(long)]
        keep_going: bool,
    },
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Lab files or ids
    pub labs: Vec<String>,
    /// Run every lab in the labs directory
    #[arg(long)]
    pub all: bool,
    /// Go on with the next steps after a failing one
    #[arg(long)]
    pub keep_going: bool,
    /// Output format: progress text, or one JSON document for grading
    #[arg(long, value_enum, default_value = "text")]
    pub format: OutputFormat,
}

pub fn run(args: LabArgs, _ctx: &super::Ctx) -> anyhow::Result<i32> {
    let lang = Lang::from_env();
    match args.command {
        LabCommand::List => list(&args.labs_dir, lang),
        LabCommand::Validate { labs } => validate(&args.labs_dir, &labs, lang),
        LabCommand::Run(r) => run_labs(&args.labs_dir, r, lang),
        LabCommand::Host {
            dir,
            lab,
            keep_going,
        } => runner::host_main(&lab, &dir, keep_going),
    }
}

/// Paths of the labs named (or all of them).
fn pick(dir: &Path, names: &[String], all: bool, lang: Lang) -> anyhow::Result<Vec<PathBuf>> {
    if all || names.is_empty() {
        let files = format::lab_files(dir)?;
        if !all && files.is_empty() {
            anyhow::bail!("{}", lang.no_labs_given());
        }
        return Ok(files);
    }
    names
        .iter()
        .map(|n| {
            format::resolve(n, dir).ok_or_else(|| {
                anyhow::anyhow!("{}", lang.lab_not_found(n, &dir.display().to_string()))
            })
        })
        .collect()
}

/// Loads a lab, printing its problems; `None` when it is invalid.
fn load(path: &Path, lang: Lang) -> anyhow::Result<Option<Lab>> {
    match format::load(path)? {
        Ok(lab) => Ok(Some(lab)),
        Err(errs) => {
            for e in errs {
                eprintln!("{}", e.render(lang));
            }
            Ok(None)
        }
    }
}

fn list(dir: &Path, lang: Lang) -> anyhow::Result<i32> {
    let mut rows = Vec::new();
    let mut code = 0;
    for path in format::lab_files(dir)? {
        match load(&path, lang)? {
            Some(lab) => rows.push([lab.id, lab.steps.len().to_string(), lab.title]),
            None => code = 1,
        }
    }
    let head = lang.list_header();
    let w0 = rows
        .iter()
        .map(|r| r[0].chars().count())
        .chain([head[0].chars().count()])
        .max()
        .unwrap_or(0);
    let w1 = rows
        .iter()
        .map(|r| r[1].chars().count())
        .chain([head[1].chars().count()])
        .max()
        .unwrap_or(0);
    let pad = |s: &str, w: usize| format!("{s}{}", " ".repeat(w - s.chars().count()));
    println!("{}   {}   {}", pad(head[0], w0), pad(head[1], w1), head[2]);
    for r in &rows {
        println!("{}   {}   {}", pad(&r[0], w0), pad(&r[1], w1), r[2]);
    }
    Ok(code)
}

fn validate(dir: &Path, names: &[String], lang: Lang) -> anyhow::Result<i32> {
    let paths = pick(dir, names, names.is_empty(), lang)?;
    let mut ok = 0;
    for p in &paths {
        if load(p, lang)?.is_some() {
            ok += 1;
        }
    }
    if ok == paths.len() {
        println!("{}", lang.labs_valid(ok));
        Ok(0)
    } else {
        Ok(1)
    }
}

fn run_labs(dir: &Path, args: RunArgs, lang: Lang) -> anyhow::Result<i32> {
    if !args.all && args.labs.is_empty() {
        anyhow::bail!("{}", lang.no_labs_given());
    }
    let paths = pick(dir, &args.labs, args.all, lang)?;
    let mut labs = Vec::new();
    let mut invalid = false;
    for p in &paths {
        match load(p, lang)? {
            Some(l) => labs.push(l),
            None => invalid = true,
        }
    }
    if invalid {
        return Ok(1);
    }
    runner::install_runner_handlers();
    let text = args.format == OutputFormat::Text;
    let mut results: Vec<LabResult> = Vec::new();
    for lab in &labs {
        if text {
            println!("{}", report::header(lang, lab));
        }
        let r = if text {
            runner::run_lab(lab, args.keep_going, &mut report::TextProgress { lang })?
        } else {
            runner::run_lab(lab, args.keep_going, &mut Quiet)?
        };
        if text {
            println!("{}", report::summary(lang, lab, &r));
        }
        let stop = r.status == Status::Interrupted;
        results.push(r);
        if stop {
            break;
        }
    }
    if !text {
        let doc = serde_json::to_string_pretty(&report::json(&results))?;
        let mut out = std::io::stdout().lock();
        // A closed pipe (`| head`) is the reader's choice, not an error worth a panic.
        let _ = writeln!(out, "{doc}");
    }
    Ok(if results.iter().any(|r| r.status == Status::Interrupted) {
        130
    } else if results.iter().all(|r| r.status == Status::Passed) {
        0
    } else {
        1
    })
}

struct Quiet;

impl runner::Progress for Quiet {
    fn event(&mut self, _lab: &Lab, _ev: &runner::Event) {}
}
