//! Container verbs: argument structs and the handlers for the lifecycle verbs (`stop`,
//! `kill`, `rm`, `logs`, `top`, `stats`, …); `run`/`create`/`start`/`exec` are in `run.rs`,
//! `ps` in `ps.rs`, `inspect` in `inspect.rs`, `version`/`info` in `system.rs`.

use std::io::Write;

use clap::{Args, Subcommand};

use super::{Ctx, docker_error, format::units};
use crate::engine::container::{self, Container, ContainerError, lifecycle, logs, remove};

/// The top-level container verbs: the shared lifecycle verbs plus `ps`, `container`,
/// `version` and `info`.
#[derive(Debug, Subcommand)]
pub enum ContainerVerb {
    #[command(flatten)]
    Lifecycle(LifecycleVerb),
    /// List containers
    Ps(super::ps::PsArgs),
    /// Manage containers
    Container(ContainerArgs),
    /// Show the Docker version information
    Version(super::system::VersionArgs),
    /// Display system-wide information
    Info,
}

/// Verbs Docker offers both at the top level (`docker stop`) and under `docker container`.
#[derive(Debug, Subcommand)]
pub enum LifecycleVerb {
    /// Create and run a new container from an image
    Run(super::run::RunArgs),
    /// Create a new container
    Create(super::run::RunArgs),
    /// Start one or more stopped containers
    Start(super::run::StartArgs),
    /// Execute a command in a running container
    Exec(super::run::ExecArgs),
    /// Stop one or more running containers
    Stop(StopArgs),
    /// Restart one or more containers
    Restart(StopArgs),
    /// Kill one or more running containers
    Kill(KillArgs),
    /// Pause all processes within one or more containers
    Pause(Targets),
    /// Unpause all processes within one or more containers
    Unpause(Targets),
    /// Remove one or more containers
    Rm(RmArgs),
    /// Rename a container
    Rename(RenameArgs),
    /// Fetch the logs of a container
    Logs(LogsArgs),
    /// Display the running processes of a container
    Top(TopArgs),
    /// Display a live stream of container(s) resource usage statistics
    Stats(StatsArgs),
    /// Block until one or more containers stop, then print their exit codes
    Wait(Targets),
    /// Return low-level information on Docker objects
    Inspect(super::inspect::InspectArgs),
}

#[derive(Debug, Args)]
pub struct ContainerArgs {
    #[command(subcommand)]
    pub command: ContainerCommand,
}

/// `docker container …`: the lifecycle verbs plus `ls` and `prune`.
#[derive(Debug, Subcommand)]
pub enum ContainerCommand {
    /// List containers
    #[command(alias = "list", alias = "ps")]
    Ls(super::ps::PsArgs),
    /// Remove all stopped containers
    Prune(PruneArgs),
    #[command(flatten)]
    Lifecycle(LifecycleVerb),
}

#[derive(Debug, Args)]
pub struct Targets {
    #[arg(required = true, value_name = "CONTAINER")]
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct StopArgs {
    /// Seconds to wait before killing the container
    #[arg(
        short = 't',
        long = "time",
        alias = "timeout",
        default_value_t = 10,
        allow_negative_numbers = true
    )]
    pub time: i64,
    /// Signal to send to the container
    #[arg(short, long)]
    pub signal: Option<String>,
    #[arg(required = true, value_name = "CONTAINER")]
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct KillArgs {
    /// Signal to send to the container
    #[arg(short, long, default_value = "KILL")]
    pub signal: String,
    #[arg(required = true, value_name = "CONTAINER")]
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    /// Force the removal of a running container (uses SIGKILL)
    #[arg(short, long)]
    pub force: bool,
    /// Remove anonymous volumes associated with the container
    #[arg(short, long)]
    pub volumes: bool,
    #[arg(required = true, value_name = "CONTAINER")]
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RenameArgs {
    pub container: String,
    pub new_name: String,
}

#[derive(Debug, Args)]
pub struct PruneArgs {
    /// Do not prompt for confirmation
    #[arg(short, long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Follow log output
    #[arg(short, long)]
    pub follow: bool,
    /// Number of lines to show from the end of the logs
    #[arg(short = 'n', long, default_value = "all")]
    pub tail: String,
    /// Show timestamps
    #[arg(short, long)]
    pub timestamps: bool,
    pub container: String,
}

#[derive(Debug, Args)]
pub struct TopArgs {
    pub container: String,
    /// ps options (accepted for compatibility; the default `-ef` layout is printed)
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub ps_options: Vec<String>,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Show all containers (default shows just running)
    #[arg(short, long)]
    pub all: bool,
    /// Disable streaming stats and only pull the first result
    #[arg(long)]
    pub no_stream: bool,
    /// Do not truncate output
    #[arg(long)]
    pub no_trunc: bool,
    #[arg(value_name = "CONTAINER")]
    pub containers: Vec<String>,
}

/// One `match` from verb to handler.
pub fn dispatch(verb: ContainerVerb, ctx: &Ctx) -> anyhow::Result<i32> {
    use super::{inspect, ps, system};
    match verb {
        ContainerVerb::Lifecycle(v) => lifecycle(v, ctx, inspect::Kind::Any),
        ContainerVerb::Ps(a) => ps::ps(a, ctx),
        ContainerVerb::Container(a) => match a.command {
            ContainerCommand::Ls(a) => ps::ps(a, ctx),
            ContainerCommand::Prune(a) => prune(a, ctx),
            // `docker container inspect` looks at containers only.
            ContainerCommand::Lifecycle(v) => lifecycle(v, ctx, inspect::Kind::Container),
        },
        ContainerVerb::Version(a) => system::version(a, ctx),
        ContainerVerb::Info => system::info(ctx),
    }
}

fn lifecycle(
    verb: LifecycleVerb,
    ctx: &Ctx,
    inspect_kind: super::inspect::Kind,
) -> anyhow::Result<i32> {
    use super::{inspect, run};
    match verb {
        LifecycleVerb::Run(a) => run::run(a, ctx),
        LifecycleVerb::Create(a) => run::create(a, ctx),
        LifecycleVerb::Start(a) => run::start(a, ctx),
        LifecycleVerb::Exec(a) => run::exec(a, ctx),
        LifecycleVerb::Stop(a) => stop(a, ctx),
        LifecycleVerb::Restart(a) => restart(a, ctx),
        LifecycleVerb::Kill(a) => kill(a, ctx),
        LifecycleVerb::Pause(a) => pause(a, ctx, true),
        LifecycleVerb::Unpause(a) => pause(a, ctx, false),
        LifecycleVerb::Rm(a) => rm(a, ctx),
        LifecycleVerb::Rename(a) => rename(a, ctx),
        LifecycleVerb::Logs(a) => logs(a, ctx),
        LifecycleVerb::Top(a) => top(a, ctx),
        LifecycleVerb::Stats(a) => stats(a, ctx),
        LifecycleVerb::Wait(a) => wait(a, ctx),
        LifecycleVerb::Inspect(a) => inspect::inspect(a, ctx, inspect_kind),
    }
}

/// The daemon's error as the CLI prints it.
pub fn daemon_error(err: &ContainerError) -> String {
    format!("Error response from daemon: {err}")
}

/// Looks a container up, turning "not found" into Docker's daemon error.
pub fn find(ctx: &Ctx, reference: &str) -> Result<Container, ContainerError> {
    container::lookup(&ctx.engine, reference)
}

/// Runs `action` for each named container the way Docker's CLI does for stop/rm/kill…:
/// echo the name on success, print the error and go on otherwise, exit 1 if any failed.
fn for_each(
    names: &[String],
    mut action: impl FnMut(&str) -> Result<(), ContainerError>,
) -> anyhow::Result<i32> {
    let mut failed = false;
    let stdout = std::io::stdout();
    for name in names {
        match action(name) {
            Ok(()) => {
                let mut out = stdout.lock();
                writeln!(out, "{name}")?;
                out.flush()?;
            }
            Err(e) => {
                eprintln!("{}", daemon_error(&e));
                failed = true;
            }
        }
    }
    Ok(if failed { 1 } else { 0 })
}

fn stop(args: StopArgs, ctx: &Ctx) -> anyhow::Result<i32> {
    for_each(&args.containers, |name| {
        let mut c = find(ctx, name)?;
        if let Some(sig) = &args.signal {
            c.record.config.stop_signal = Some(sig.clone());
        }
        lifecycle::stop(&ctx.engine, &c, args.time)
    })
}

fn restart(args: StopArgs, ctx: &Ctx) -> anyhow::Result<i32> {
    for_each(&args.containers, |name| {
        let c = find(ctx, name)?;
        lifecycle::stop(&ctx.engine, &c, args.time)?;
        let c = find(ctx, &c.record.id)?;
        container::start::start(&ctx.engine, &c, container::start::Attach::default())?;
        Ok(())
    })
}

fn kill(args: KillArgs, ctx: &Ctx) -> anyhow::Result<i32> {
    let Some(signal) = lifecycle::parse_signal(&args.signal) else {
        return Err(docker_error(
            1,
            format!(
                "Error response from daemon: Invalid signal: {}",
                args.signal
            ),
        ));
    };
    for_each(&args.containers, |name| {
        let c = find(ctx, name)?;
        lifecycle::kill(&ctx.engine, &c, signal).map_err(|e| match e {
            ContainerError::NotRunning(id) => ContainerError::Invalid(format!(
                "Cannot kill container: {name}: Container {id} is not running"
            )),
            other => other,
        })
    })
}

fn pause(args: Targets, ctx: &Ctx, freeze: bool) -> anyhow::Result<i32> {
    for_each(&args.containers, |name| {
        let c = find(ctx, name)?;
        if freeze {
            lifecycle::pause(&ctx.engine, &c)
        } else {
            lifecycle::unpause(&ctx.engine, &c)
        }
    })
}

fn rm(args: RmArgs, ctx: &Ctx) -> anyhow::Result<i32> {
    for_each(&args.containers, |name| {
        let c = find(ctx, name)?;
        remove::remove(&ctx.engine, &c, args.force)
    })
}

fn rename(args: RenameArgs, ctx: &Ctx) -> anyhow::Result<i32> {
    let result =
        find(ctx, &args.container).and_then(|c| lifecycle::rename(&ctx.engine, &c, &args.new_name));
    match result {
        Ok(()) => Ok(0),
        Err(e) => Err(docker_error(1, daemon_error(&e))),
    }
}

fn wait(args: Targets, ctx: &Ctx) -> anyhow::Result<i32> {
    let mut failed = false;
    for name in &args.containers {
        match find(ctx, name).and_then(|c| lifecycle::wait(&ctx.engine, &c)) {
            Ok(code) => println!("{code}"),
            Err(e) => {
                eprintln!("{}", daemon_error(&e));
                failed = true;
            }
        }
    }
    Ok(if failed { 1 } else { 0 })
}

fn prune(args: PruneArgs, ctx: &Ctx) -> anyhow::Result<i32> {
    if !args.force {
        print!(
            "WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] "
        );
        std::io::stdout().flush()?;
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes" | "Yes" | "YES") {
            return Ok(0);
        }
    }
    let (removed, reclaimed) =
        { remove::prune(&ctx.engine).map_err(|e| docker_error(1, daemon_error(&e)))? };
    let mut out = String::new();
    if !removed.is_empty() {
        out.push_str("Deleted Containers:\n");
        for id in &removed {
            out.push_str(id);
            out.push('\n');
        }
        out.push('\n');
    }
    out.push_str(&format!(
        "Total reclaimed space: {}\n",
        units::human_size(reclaimed)
    ));
    print!("{out}");
    Ok(0)
}

fn logs(args: LogsArgs, ctx: &Ctx) -> anyhow::Result<i32> {
    let c = find(ctx, &args.container).map_err(|e| docker_error(1, daemon_error(&e)))?;
    let tail = match args.tail.as_str() {
        "all" | "" => None,
        n => Some(
            n.parse::<i64>()
                .map(|v| if v < 0 { usize::MAX } else { v as usize })
                .unwrap_or(usize::MAX),
        ),
    };
    let opts = logs::LogOptions {
        follow: args.follow,
        tail: tail.filter(|&t| t != usize::MAX),
        timestamps: args.timestamps,
    };
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let (mut out, mut err) = (stdout.lock(), stderr.lock());
    logs::copy_logs(&ctx.engine, &c, &opts, &mut out, &mut err)
        .map_err(|e| docker_error(1, daemon_error(&e)))?;
    Ok(0)
}

fn top(args: TopArgs, ctx: &Ctx) -> anyhow::Result<i32> {
    let c = find(ctx, &args.container).map_err(|e| docker_error(1, daemon_error(&e)))?;
    if !c.is_running() {
        return Err(docker_error(
            1,
            daemon_error(&ContainerError::NotRunning(c.record.id.clone())),
        ));
    }
    let mut text = String::from("UID\tPID\tPPID\tC\tSTIME\tTTY\tTIME\tCMD\n");
    for pid in c.cgroup().pids() {
        if let Some(row) = super::procinfo::ps_ef_row(pid) {
            text.push_str(&row);
            text.push('\n');
        }
    }
    // docker top lays its table out with tabwriter minwidth 20 (cli/command/container/top.go).
    print!("{}", super::format::table::tabwrite(&text, 20, 3));
    Ok(0)
}

fn stats(args: StatsArgs, ctx: &Ctx) -> anyhow::Result<i32> {
    let pick = || -> anyhow::Result<Vec<Container>> {
        if args.containers.is_empty() {
            Ok(container::list(&ctx.engine)?
                .into_iter()
                .filter(|c| args.all || c.is_running())
                .collect())
        } else {
            args.containers
                .iter()
                .map(|n| find(ctx, n).map_err(|e| docker_error(1, daemon_error(&e))))
                .collect()
        }
    };
    loop {
        let containers = pick()?;
        let table = super::procinfo::stats_table(&containers, args.no_trunc);
        if args.no_stream {
            print!("{table}");
            return Ok(0);
        }
        // Streaming mode redraws the screen like docker stats does.
        print!("\x1b[2J\x1b[H{table}");
        std::io::stdout().flush()?;
    }
}
