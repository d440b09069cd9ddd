//! `ps` / `container ls`: Docker's table, `-q`, `-s`, `-n`, `-l`, `--no-trunc`, `--filter`
//! and `--format` (Go templates, with the `table` directive).

use clap::Args;
use serde_json::json;

use super::format::{ellipsis, table, template, units};
use super::{Ctx, docker_error};
use crate::engine::container::{self, Container, Status, remove::dir_size};

#[derive(Debug, Args)]
pub struct PsArgs {
    /// Show all containers (default shows just running)
    #[arg(short, long)]
    pub all: bool,
    /// Only display container IDs
    #[arg(short, long)]
    pub quiet: bool,
    /// Display total file sizes
    #[arg(short, long)]
    pub size: bool,
    /// Show the latest created container (includes all states)
    #[arg(short, long)]
    pub latest: bool,
    /// Show n last created containers (includes all states)
    #[arg(short = 'n', long, default_value_t = -1, allow_negative_numbers = true)]
    pub last: i64,
    /// Don't truncate output
    #[arg(long)]
    pub no_trunc: bool,
    /// Filter output based on conditions provided (status=, name=, id=, ancestor=)
    #[arg(short, long = "filter")]
    pub filter: Vec<String>,
    /// Format output using a custom template
    #[arg(long)]
    pub format: Option<String>,
}

/// Docker's STATUS column (moby `container/state.go` String()).
pub fn status_text(c: &Container) -> String {
    let since = |t: &Option<chrono::DateTime<chrono::Utc>>| {
        units::human_duration(t.map(units::since).unwrap_or_default())
    };
    match c.state.status {
        Status::Created => "Created".into(),
        Status::Running => format!("Up {}", since(&c.state.started_at)),
        Status::Paused => format!("Up {} (Paused)", since(&c.state.started_at)),
        Status::Restarting => format!(
            "Restarting ({}) {} ago",
            c.state.exit_code,
            since(&c.state.finished_at)
        ),
        Status::Removing => "Removal In Progress".into(),
        Status::Exited => format!(
            "Exited ({}) {} ago",
            c.state.exit_code,
            since(&c.state.finished_at)
        ),
        Status::Dead => "Dead".into(),
    }
}

/// Go's `strconv.Quote`-ish quoting Docker applies to COMMAND, after cutting it to 20
/// characters with an ellipsis (docker/cli `formatter.Ellipsis`).
pub fn command_text(c: &Container, no_trunc: bool) -> String {
    // The daemon joins Path and Args, putting an argument that contains a space in single
    // quotes (moby daemon/list.go), so `sh -c 'exit 3'` reads back as typed.
    let mut command = c.record.path.clone();
    for a in &c.record.args {
        command.push(' ');
        if a.contains(' ') {
            command.push('\'');
            command.push_str(a);
            command.push('\'');
        } else {
            command.push_str(a);
        }
    }
    if !no_trunc {
        command = ellipsis(&command, 20);
    }
    format!("\"{}\"", command.replace('\\', "\\\\").replace('"', "\\\""))
}

/// PORTS: exposed but unpublished ports read `80/tcp` (publishing comes with networking).
pub fn ports_text(c: &Container) -> String {
    c.record
        .config
        .exposed_ports
        .keys()
        .cloned()
        .collect::<Vec<_>>()
        .join(", ")
}

fn size_text(c: &Container) -> String {
    let rw = dir_size(&c.dir.join("rootfs/upper"));
    format!(
        "{} (virtual {})",
        units::human_size(rw),
        units::human_size(rw + c.record.image_size)
    )
}

/// The fields `docker ps --format` exposes.
fn row_value(c: &Container, no_trunc: bool, with_size: bool) -> serde_json::Value {
    let created = c.record.created;
    json!({
        "ID": if no_trunc { c.id().to_string() } else { c.short_id().to_string() },
        "Image": c.record.config.image,
        "Command": command_text(c, no_trunc),
        "CreatedAt": created.format("%Y-%m-%d %H:%M:%S +0000 UTC").to_string(),
        "RunningFor": units::ago(c.record.created),
        "Ports": ports_text(c),
        "State": c.state.status.as_str(),
        "Status": status_text(c),
        "Size": if with_size { size_text(c) } else { String::new() },
        "Names": c.name(),
        "Labels": c.record.config.labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(","),
        "Mounts": "",
        "Networks": match c.record.host_config.network_mode.as_str() { "default" => "bridge", other => other },
        "LocalVolumes": "0",
    })
}

fn header_for(field: &str) -> Option<String> {
    let h = match field {
        "ID" => "CONTAINER ID",
        "Image" => "IMAGE",
        "Command" => "COMMAND",
        "CreatedAt" => "CREATED AT",
        "RunningFor" => "CREATED",
        "Ports" => "PORTS",
        "State" => "STATE",
        "Status" => "STATUS",
        "Size" => "SIZE",
        "Names" => "NAMES",
        "Labels" => "LABELS",
        "Mounts" => "MOUNTS",
        "Networks" => "NETWORKS",
        "LocalVolumes" => "LOCAL VOLUMES",
        _ => return None,
    };
    Some(h.to_string())
}

fn matches_filter(c: &Container, filter: &str) -> anyhow::Result<bool> {
    let Some((key, value)) = filter.split_once('=') else {
        return Err(docker_error(
            1,
            format!("Error response from daemon: invalid filter '{filter}'"),
        ));
    };
    Ok(match key {
        "status" => c.state.status.as_str() == value,
        "name" => c.name().contains(value.trim_start_matches('/')),
        "id" => c.id().starts_with(value),
        "ancestor" => {
            c.record.config.image == value
                || c.record
                    .image
                    .trim_start_matches("sha256:")
                    .starts_with(value)
        }
        "exited" => c.state.status == Status::Exited && c.state.exit_code.to_string() == value,
        "label" => match value.split_once('=') {
            Some((k, v)) => c.record.config.labels.get(k).map(String::as_str) == Some(v),
            None => c.record.config.labels.contains_key(value),
        },
        _ => {
            return Err(docker_error(
                1,
                format!("Error response from daemon: invalid filter '{key}'"),
            ));
        }
    })
}

pub fn ps(args: PsArgs, ctx: &Ctx) -> anyhow::Result<i32> {
    let mut containers = container::list(&ctx.engine)?;
    let last = if args.latest { 1 } else { args.last };
    let status_filtered = args
        .filter
        .iter()
        .any(|f| f.starts_with("status=") || f.starts_with("exited="));
    if !(args.all || last > 0 || status_filtered) {
        containers.retain(|c| c.is_running());
    }
    for f in &args.filter {
        let mut keep = Vec::new();
        for c in containers {
            if matches_filter(&c, f)? {
                keep.push(c);
            }
        }
        containers = keep;
    }
    if last > 0 {
        containers.truncate(last as usize);
    }
    if args.quiet {
        for c in &containers {
            println!("{}", if args.no_trunc { c.id() } else { c.short_id() });
        }
        return Ok(0);
    }
    let format = args
        .format
        .clone()
        .filter(|f| !f.is_empty() && f != "table");
    match format {
        Some(fmt) => {
            let with_size = args.size || fmt.contains(".Size");
            let rows: Vec<serde_json::Value> = containers
                .iter()
                .map(|c| row_value(c, args.no_trunc, with_size))
                .collect();
            let text = template::render_list(&fmt, &rows, &header_for)
                .map_err(|e| docker_error(1, format!("{e}")))?;
            print!("{text}");
        }
        None => {
            let mut text =
                String::from("CONTAINER ID\tIMAGE\tCOMMAND\tCREATED\tSTATUS\tPORTS\tNAMES");
            if args.size {
                text.push_str("\tSIZE");
            }
            text.push('\n');
            for c in &containers {
                let id = if args.no_trunc { c.id() } else { c.short_id() };
                text.push_str(&format!(
                    "{id}\t{}\t{}\t{}\t{}\t{}\t{}",
                    c.record.config.image,
                    command_text(c, args.no_trunc),
                    units::ago(c.record.created),
                    status_text(c),
                    ports_text(c),
                    c.name()
                ));
                if args.size {
                    text.push('\t');
                    text.push_str(&size_text(c));
                }
                text.push('\n');
            }
            print!("{}", table::docker_table(&text));
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ellipsis_cuts_to_twenty_characters_like_docker() {
        assert_eq!(
            ellipsis("python -m http.server 8888", 20),
            "python -m http.serv…"
        );
        assert_eq!(ellipsis("sleep 3600", 20), "sleep 3600");
        assert_eq!(ellipsis("12345678901234567890", 20), "12345678901234567890");
    }
}
