//! The command line: one clap tree, one `match` to a handler, one place that prints errors
//! and maps them to Docker's exit codes.

pub mod container;
pub mod format;
pub mod image;
pub mod inspect;
pub mod lab;
pub mod procinfo;
pub mod ps;
pub mod run;
pub mod system;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::engine::Engine;

/// What every handler gets: the engine state directory and how we were invoked.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub engine: Engine,
    /// `docker` when invoked through a link of that name, `docklab` otherwise; used in
    /// messages such as "Run 'docker run --help' for more information".
    pub program: String,
}

impl Ctx {
    pub fn new(root: PathBuf, program: &str) -> anyhow::Result<Self> {
        let engine = Engine::open(&root).map_err(|e| {
            anyhow::anyhow!("cannot open the state directory {}: {e}", root.display())
        })?;
        Ok(Ctx {
            engine,
            program: program.to_string(),
        })
    }
}

/// An error whose text is already exactly what Docker prints, with Docker's exit code.
/// Handlers return it through anyhow; `main` prints it verbatim.
#[derive(Debug)]
pub struct DockerError {
    pub code: i32,
    pub message: String,
}

impl std::fmt::Display for DockerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DockerError {}

/// Shorthand: fail with Docker's exact `message` and exit `code`.
pub fn docker_error(code: i32, message: impl Into<String>) -> anyhow::Error {
    DockerError {
        code,
        message: message.into(),
    }
    .into()
}

#[derive(Debug, Parser)]
#[command(
    name = "docklab",
    version,
    about = "A Docker-compatible container engine and lab runner for the Docker course"
)]
#[command(disable_help_subcommand = true)]
pub struct Cli {
    /// Engine state directory
    #[arg(long, global = true, env = "DOCKLAB_ROOT", default_value = crate::engine::store::DEFAULT_ROOT)]
    pub root: PathBuf,

    #[command(subcommand)]
    pub command: Command,
}

// `run` alone: the hot path of every container start parses just its own flags instead
// of building clap's whole command tree (about half a millisecond saved per start).
#[derive(Debug, Parser)]
#[command(
    name = "docklab run",
    about = "Create and run a new container from an image",
    disable_help_flag = true
)]
struct RunOnly {
    /// Engine state directory
    #[arg(long, env = "DOCKLAB_ROOT", default_value = crate::engine::store::DEFAULT_ROOT)]
    root: PathBuf,
    #[command(flatten)]
    args: run::RunArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    // ---- container verbs (cli/container.rs)
    #[command(flatten)]
    Container(container::ContainerVerb),

    // ---- image verbs (cli/image.rs)
    /// List images
    Images(image::ImagesArgs),
    /// Manage images
    Image(image::ImageArgs),
    /// Download an image from a registry (the offline catalog when there is no network)
    Pull(image::PullArgs),
    /// Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE
    Tag(image::TagArgs),
    /// Remove one or more images
    Rmi(image::RmiArgs),
    /// Show the history of an image
    History(image::HistoryArgs),

    // ---- the lab runner (cli/lab.rs)
    /// Run, check and list the course's labs
    Lab(lab::LabArgs),
}

/// The whole program: parse, dispatch, print the error once, exit with Docker's code.
pub fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    // The monitor is re-executed on every container start; keep its path free of clap.
    if args.get(1).map(String::as_str) == Some(crate::engine::runtime::MONITOR_VERB) {
        return ExitCode::from(crate::engine::runtime::monitor_main(&args[2..]) as u8);
    }
    let program = args
        .first()
        .map(|a| {
            std::path::Path::new(a)
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("docklab")
                .to_string()
        })
        .unwrap_or_else(|| "docklab".into());
    let program = if program == "docker" {
        "docker".to_string()
    } else {
        "docklab".to_string()
    };

    let parsed = if args.get(1).map(String::as_str) == Some("run") {
        let run_argv = std::iter::once(format!("{program} run")).chain(args[2..].iter().cloned());
        RunOnly::try_parse_from(run_argv).map(|r| Cli {
            root: r.root,
            command: Command::Container(container::ContainerVerb::Lifecycle(
                container::LifecycleVerb::Run(r.args),
            )),
        })
    } else {
        Cli::try_parse_from(&args)
    };
    let cli = match parsed {
        Ok(cli) => cli,
        Err(err) => return exit(usage_error(err, &program)),
    };
    if program == "docker" && matches!(cli.command, Command::Lab(_)) {
        eprintln!("docker: 'lab' is not a docker command.\nSee 'docker --help'");
        return exit(1);
    }
    // The engine needs namespaces, mounts and cgroups; say so plainly instead of failing
    // later with EPERM from unshare(2). The lab runner checks for itself.
    let needs_root = !matches!(
        cli.command,
        Command::Lab(_) | Command::Container(container::ContainerVerb::Version(_))
    );
    if needs_root && !nix::unistd::geteuid().is_root() {
        eprintln!(
            "{program}: the engine needs root (namespaces, mounts, cgroups): run it with sudo"
        );
        return exit(1);
    }
    let ctx = match Ctx::new(cli.root.clone(), &program) {
        Ok(ctx) => ctx,
        Err(err) => {
            eprintln!("{program}: {err:#}");
            return exit(125);
        }
    };
    let result = match cli.command {
        Command::Container(verb) => container::dispatch(verb, &ctx),
        Command::Images(a) => image::images(a, &ctx),
        Command::Image(a) => image::image(a, &ctx),
        Command::Pull(a) => image::pull(a, &ctx),
        Command::Tag(a) => image::tag(a, &ctx),
        Command::Rmi(a) => image::rmi(a, &ctx),
        Command::History(a) => image::history(a, &ctx),
        Command::Lab(a) => lab::run(a, &ctx),
    };
    match result {
        Ok(code) => exit(code),
        Err(err) => {
            if let Some(docker) = err.downcast_ref::<DockerError>() {
                if !docker.message.is_empty() {
                    eprintln!("{}", docker.message);
                }
                exit(docker.code)
            } else {
                eprintln!("Error: {err:#}");
                exit(1)
            }
        }
    }
}

fn exit(code: i32) -> ExitCode {
    ExitCode::from((code & 0xff) as u8)
}

/// Maps clap's errors onto Docker's: help and version print and exit 0; a bad flag prints
/// `unknown flag: --foo` and `See 'docker run --help'.` and exits 125, as the docker CLI does.
fn usage_error(err: clap::Error, program: &str) -> i32 {
    use clap::error::{ContextKind, ErrorKind};
    match err.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = err.print();
            0
        }
        ErrorKind::UnknownArgument => {
            let flag = err
                .get(ContextKind::InvalidArg)
                .map(|v| v.to_string())
                .unwrap_or_default();
            let flag = flag.split('=').next().unwrap_or("").to_string();
            if flag.starts_with("--") {
                eprintln!("unknown flag: {flag}");
            } else {
                eprintln!(
                    "unknown shorthand flag: '{}' in {flag}",
                    flag.trim_start_matches('-').chars().next().unwrap_or('?')
                );
            }
            eprintln!("See '{program} --help'.");
            125
        }
        ErrorKind::InvalidSubcommand => {
            let sub = err
                .get(ContextKind::InvalidSubcommand)
                .map(|v| v.to_string())
                .unwrap_or_default();
            eprintln!("{program}: '{sub}' is not a {program} command.\nSee '{program} --help'");
            1
        }
        _ => {
            let text = err.render().to_string();
            let first = text
                .lines()
                .next()
                .unwrap_or("")
                .trim_start_matches("error: ");
            eprintln!("{program}: {first}\nSee '{program} --help'.");
            125
        }
    }
}
