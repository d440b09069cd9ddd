//! `run`, `create`, `start` and `exec`: arguments and handlers, with Docker's error texts
//! (`docker: Error response from daemon: …` and "Run 'docker run --help' …") and exit codes
//! (125 engine error, 126 cannot execute, 127 not found, else the process's own).

use clap::{ArgAction, Args};

use super::{Ctx, DockerError, docker_error};
use crate::engine::container::{
    self, ContainerError, create::CreateOptions, exec::ExecOptions, start::Attach, start::Started,
};
use crate::engine::image::ImageStore;

#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct RunArgs {
    /// Print usage
    #[arg(long, action = ArgAction::Help)]
    pub help: Option<bool>,
    /// Run container in background and print container ID
    #[arg(short, long)]
    pub detach: bool,
    /// Automatically remove the container and its associated anonymous volumes when it exits
    #[arg(long)]
    pub rm: bool,
    /// Assign a name to the container
    #[arg(long)]
    pub name: Option<String>,
    /// Set environment variables
    #[arg(short, long = "env", value_name = "list")]
    pub env: Vec<String>,
    /// Read in a file of environment variables
    #[arg(long = "env-file", value_name = "list")]
    pub env_file: Vec<String>,
    /// Working directory inside the container
    #[arg(short, long)]
    pub workdir: Option<String>,
    /// Username or UID (format: "<name|uid>[:<group|gid>]")
    #[arg(short, long)]
    pub user: Option<String>,
    /// Overwrite the default ENTRYPOINT of the image
    #[arg(long)]
    pub entrypoint: Option<String>,
    /// Container host name
    #[arg(short = 'h', long)]
    pub hostname: Option<String>,
    /// Keep STDIN open even if not attached
    #[arg(short, long)]
    pub interactive: bool,
    /// Allocate a pseudo-TTY
    #[arg(short, long)]
    pub tty: bool,
    /// Connect a container to a network (none, host, bridge)
    #[arg(long = "network", alias = "net")]
    pub network: Option<String>,
    /// Set meta data on a container
    #[arg(short, long = "label")]
    pub label: Vec<String>,
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "IMAGE [COMMAND] [ARG...]"
    )]
    pub image_and_command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct StartArgs {
    /// Attach STDOUT/STDERR and forward signals
    #[arg(short, long)]
    pub attach: bool,
    /// Attach container's STDIN
    #[arg(short, long)]
    pub interactive: bool,
    #[arg(required = true, value_name = "CONTAINER")]
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// Detached mode: run command in the background
    #[arg(short, long)]
    pub detach: bool,
    /// Keep STDIN open even if not attached
    #[arg(short, long)]
    pub interactive: bool,
    /// Allocate a pseudo-TTY
    #[arg(short, long)]
    pub tty: bool,
    /// Set environment variables
    #[arg(short, long = "env")]
    pub env: Vec<String>,
    /// Read in a file of environment variables
    #[arg(long = "env-file")]
    pub env_file: Vec<String>,
    /// Working directory inside the container
    #[arg(short, long)]
    pub workdir: Option<String>,
    /// Username or UID (format: "<name|uid>[:<group|gid>]")
    #[arg(short, long)]
    pub user: Option<String>,
    #[arg(required = true, num_args = 2.., trailing_var_arg = true, value_name = "CONTAINER COMMAND [ARG...]")]
    pub container_and_command: Vec<String>,
}

/// A `run`/`create` failure the way the docker CLI prints it.
fn run_error(ctx: &Ctx, verb: &str, code: i32, message: &str) -> anyhow::Error {
    let p = &ctx.program;
    docker_error(
        code,
        format!("{p}: {message}\n\nRun '{p} {verb} --help' for more information"),
    )
}

/// The runtime's start failure with the layers of wrapping Docker's daemon adds.
fn start_failure_text(message: &str) -> String {
    format!(
        "failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: {message}: unknown"
    )
}

/// `busybox` → `busybox:latest`, as the "Unable to find image" line prints it.
fn with_default_tag(reference: &str) -> String {
    let last = reference.rsplit('/').next().unwrap_or(reference);
    if last.contains(':') || reference.contains('@') {
        reference.to_string()
    } else {
        format!("{reference}:latest")
    }
}

/// clap hands an unknown flag before the image to the trailing arguments; Docker's CLI
/// rejects it, and so do we.
fn reject_unknown_flag(ctx: &Ctx, verb: &str, first: &str) -> anyhow::Result<()> {
    if first.starts_with('-') && first.len() > 1 {
        let flag = first.split('=').next().unwrap_or(first);
        let text = if flag.starts_with("--") {
            format!("unknown flag: {flag}")
        } else {
            format!(
                "unknown shorthand flag: '{}' in {flag}",
                flag.chars().nth(1).unwrap_or('?')
            )
        };
        return Err(docker_error(
            125,
            format!("{text}\nSee '{} {verb} --help'.", ctx.program),
        ));
    }
    Ok(())
}

fn create_options(args: &RunArgs) -> anyhow::Result<CreateOptions> {
    let mut env = Vec::new();
    for file in &args.env_file {
        env.extend(
            container::create::read_env_file(file)
                .map_err(|e| docker_error(125, format!("docker: {e}")))?,
        );
    }
    env.extend(args.env.iter().cloned());
    let labels = args
        .label
        .iter()
        .map(|l| match l.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (l.to_string(), String::new()),
        })
        .collect();
    Ok(CreateOptions {
        name: args.name.clone(),
        image_ref: args.image_and_command[0].clone(),
        cmd: args.image_and_command[1..].to_vec(),
        entrypoint: args.entrypoint.clone(),
        env,
        workdir: args.workdir.clone(),
        user: args.user.clone(),
        hostname: args.hostname.clone(),
        tty: args.tty,
        interactive: args.interactive,
        attach_output: !args.detach,
        auto_remove: args.rm,
        network: args.network.clone(),
        labels,
    })
}

/// Finds the image, pulling it from the offline catalog when missing, then creates the
/// container under the engine lock.
fn create_container(
    ctx: &Ctx,
    args: &RunArgs,
    verb: &str,
) -> anyhow::Result<container::ContainerRecord> {
    reject_unknown_flag(ctx, verb, &args.image_and_command[0])?;
    let opts = create_options(args)?;
    let _lock = ctx.engine.lock()?;
    let store = ImageStore::open(&ctx.engine)
        .map_err(|e| run_error(ctx, verb, 125, &format!("Error response from daemon: {e}")))?;
    let image = match store.find(&opts.image_ref) {
        Ok(Some(image)) => image,
        Ok(None) => {
            eprintln!(
                "Unable to find image '{}' locally",
                with_default_tag(&opts.image_ref)
            );
            let mut progress = std::io::stderr();
            store.pull(&opts.image_ref, &mut progress).map_err(|e| {
                run_error(ctx, verb, 125, &format!("Error response from daemon: {e}"))
            })?
        }
        Err(e) => {
            return Err(run_error(
                ctx,
                verb,
                125,
                &format!("Error response from daemon: {e}"),
            ));
        }
    };
    container::create::create(&ctx.engine, &image, &opts).map_err(|e| match e {
        ContainerError::Invalid(m) => run_error(ctx, verb, 125, &m),
        ContainerError::InvalidName(_) => {
            run_error(ctx, verb, 125, &format!("Error response from daemon: {e}"))
        }
        other => run_error(
            ctx,
            verb,
            125,
            &format!("Error response from daemon: {other}"),
        ),
    })
}

fn check_tty(args: &RunArgs) -> anyhow::Result<()> {
    if args.tty && args.interactive && !crate::engine::runtime::pty::is_tty(0) {
        return Err(docker_error(1, "the input device is not a TTY".to_string()));
    }
    Ok(())
}

pub fn run(args: RunArgs, ctx: &Ctx) -> anyhow::Result<i32> {
    check_tty(&args)?;
    let record = create_container(ctx, &args, "run")?;
    let c = container::load(&ctx.engine, &record.id)
        .map_err(|e| run_error(ctx, "run", 125, &e.to_string()))?;
    let attach = Attach {
        output: !args.detach,
        stdin: args.interactive && !args.detach,
    };
    match container::start::start(&ctx.engine, &c, attach) {
        Ok(Started::Detached) => {
            println!("{}", record.id);
            Ok(0)
        }
        Ok(Started::Exited(code)) => Ok(code),
        Err(ContainerError::Start(f)) => Err(run_error(
            ctx,
            "run",
            f.code,
            &format!(
                "Error response from daemon: {}",
                start_failure_text(&f.message)
            ),
        )),
        Err(e) => Err(run_error(
            ctx,
            "run",
            125,
            &format!("Error response from daemon: {e}"),
        )),
    }
}

pub fn create(args: RunArgs, ctx: &Ctx) -> anyhow::Result<i32> {
    let record = create_container(ctx, &args, "create")?;
    println!("{}", record.id);
    Ok(0)
}

pub fn start(args: StartArgs, ctx: &Ctx) -> anyhow::Result<i32> {
    let mut failed = Vec::new();
    for name in &args.containers {
        let c = match container::lookup(&ctx.engine, name) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("Error response from daemon: {e}");
                failed.push(name.clone());
                continue;
            }
        };
        let attach = Attach {
            output: args.attach,
            stdin: args.interactive,
        };
        match container::start::start(&ctx.engine, &c, attach) {
            Ok(Started::Detached) => println!("{name}"),
            Ok(Started::Exited(code)) => return Ok(code),
            Err(ContainerError::Start(f)) => {
                eprintln!(
                    "Error response from daemon: {}",
                    start_failure_text(&f.message)
                );
                failed.push(name.clone());
            }
            Err(e) => {
                eprintln!("Error response from daemon: {e}");
                failed.push(name.clone());
            }
        }
    }
    if failed.is_empty() {
        Ok(0)
    } else {
        Err(DockerError {
            code: 1,
            message: format!("Error: failed to start containers: {}", failed.join(", ")),
        }
        .into())
    }
}

pub fn exec(args: ExecArgs, ctx: &Ctx) -> anyhow::Result<i32> {
    let name = &args.container_and_command[0];
    reject_unknown_flag(ctx, "exec", name)?;
    let c = container::lookup(&ctx.engine, name)
        .map_err(|e| docker_error(1, format!("Error response from daemon: {e}")))?;
    if args.tty && args.interactive && !crate::engine::runtime::pty::is_tty(0) {
        return Err(docker_error(1, "the input device is not a TTY"));
    }
    let mut env = Vec::new();
    for file in &args.env_file {
        env.extend(
            container::create::read_env_file(file).map_err(|e| docker_error(125, e.to_string()))?,
        );
    }
    env.extend(args.env.iter().cloned());
    let opts = ExecOptions {
        argv: args.container_and_command[1..].to_vec(),
        env,
        workdir: args.workdir.clone(),
        user: args.user.clone(),
        tty: args.tty,
        interactive: args.interactive,
        detach: args.detach,
    };
    match container::exec::exec(&c, &opts) {
        Ok(code) => Ok(code),
        Err(ContainerError::Start(f)) => Err(docker_error(
            // Docker's daemon answers every failed exec start with 126, "not found" included
            // (observed with dockerd 20.10; moby maps it to 127 only in its API docs).
            126,
            format!(
                "OCI runtime exec failed: exec failed: unable to start container process: {}: unknown",
                f.message
            ),
        )),
        Err(e) => Err(docker_error(1, format!("Error response from daemon: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_tag_is_added_only_when_missing() {
        assert_eq!(with_default_tag("busybox"), "busybox:latest");
        assert_eq!(
            with_default_tag("python:3.11.5-alpine"),
            "python:3.11.5-alpine"
        );
        assert_eq!(
            with_default_tag("localhost:5000/img"),
            "localhost:5000/img:latest"
        );
        assert_eq!(
            with_default_tag("avenga/net-tools"),
            "avenga/net-tools:latest"
        );
    }
}
