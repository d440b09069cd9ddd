//! Image verbs: `images`, `image …`, `pull`, `tag`, `rmi`, `history`: arguments and handlers.

use std::io::Write;

use clap::{Args, Subcommand};

use super::format::ellipsis;
use super::format::table::docker_table;
use super::format::units::{ago, human_size};
use super::inspect::to_docker_json;
use super::{Ctx, docker_error};
use crate::engine::image::digest::short_id;
use crate::engine::image::reference::Reference;
use crate::engine::image::store::not_found_name;
use crate::engine::image::{ContainerUse, DeleteItem, ImageError, ImageRecord, ImageStore};

#[derive(Debug, Args)]
pub struct ImagesArgs {
    /// Only show image IDs
    #[arg(short, long)]
    pub quiet: bool,
    /// Show all images (default hides intermediate images)
    #[arg(short, long)]
    pub all: bool,
    /// Don't truncate output
    #[arg(long)]
    pub no_trunc: bool,
    /// Show digests
    #[arg(long)]
    pub digests: bool,
    /// Format output using a custom template
    #[arg(long)]
    pub format: Option<String>,
    /// Only images of this repository (`busybox`, `python:3.5`)
    pub repository: Option<String>,
}

/// Column titles for `images --format 'table …'` (docker/cli formatter/image.go).
fn image_header(field: &str) -> Option<String> {
    let h = match field {
        "ID" => "IMAGE ID",
        "Repository" => "REPOSITORY",
        "Tag" => "TAG",
        "Digest" => "DIGEST",
        "CreatedSince" => "CREATED",
        "CreatedAt" => "CREATED AT",
        "Size" => "SIZE",
        "Containers" => "CONTAINERS",
        _ => return None,
    };
    Some(h.to_string())
}

#[derive(Debug, Args)]
pub struct ImageArgs {
    #[command(subcommand)]
    pub command: ImageCommand,
}

#[derive(Debug, Subcommand)]
pub enum ImageCommand {
    /// List images
    #[command(alias = "list")]
    Ls(ImagesArgs),
    /// Remove one or more images
    #[command(alias = "remove")]
    Rm(RmiArgs),
    /// Display detailed information on one or more images
    Inspect(InspectArgs),
    /// Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE
    Tag(TagArgs),
    /// Show the history of an image
    History(HistoryArgs),
    /// Download an image from a registry
    Pull(PullArgs),
    /// Remove unused images
    Prune(PruneArgs),
}

#[derive(Debug, Args)]
pub struct PruneArgs {
    /// Remove all unused images, not just dangling ones
    #[arg(short, long)]
    pub all: bool,
    /// Do not prompt for confirmation
    #[arg(short, long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct PullArgs {
    pub name: String,
    /// Suppress verbose output
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct TagArgs {
    #[arg(value_name = "SOURCE_IMAGE[:TAG]")]
    pub source: String,
    #[arg(value_name = "TARGET_IMAGE[:TAG]")]
    pub target: String,
}

#[derive(Debug, Args)]
pub struct RmiArgs {
    /// Force removal of the image
    #[arg(short, long)]
    pub force: bool,
    /// Do not delete untagged parents
    #[arg(long)]
    pub no_prune: bool,
    #[arg(required = true, value_name = "IMAGE")]
    pub images: Vec<String>,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Format output using a Go template (not supported yet)
    #[arg(short, long)]
    pub format: Option<String>,
    #[arg(required = true, value_name = "IMAGE")]
    pub images: Vec<String>,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Print sizes and dates in human readable format
    #[arg(short = 'H', long, default_value_t = true, action = clap::ArgAction::Set)]
    pub human: bool,
    /// Don't truncate output
    #[arg(long)]
    pub no_trunc: bool,
    /// Only show image IDs
    #[arg(short, long)]
    pub quiet: bool,
    pub image: String,
}

/// Engine errors in Docker's words: `Error response from daemon: …`, rc 1.
fn daemon_error(e: ImageError) -> anyhow::Error {
    match e {
        ImageError::InvalidReference(_) => docker_error(1, "invalid reference format"),
        other => docker_error(1, format!("Error response from daemon: {other}")),
    }
}

fn store(ctx: &Ctx) -> anyhow::Result<ImageStore> {
    ImageStore::open(&ctx.engine).map_err(|e| anyhow::anyhow!("opening the image store: {e}"))
}

pub fn image(args: ImageArgs, ctx: &Ctx) -> anyhow::Result<i32> {
    match args.command {
        ImageCommand::Ls(a) => images(a, ctx),
        ImageCommand::Rm(a) => rmi(a, ctx),
        ImageCommand::Inspect(a) => inspect(a, ctx),
        ImageCommand::Tag(a) => tag(a, ctx),
        ImageCommand::History(a) => history(a, ctx),
        ImageCommand::Pull(a) => pull(a, ctx),
        ImageCommand::Prune(a) => prune(a, ctx),
    }
}

/// `docker images`: one row per tag (`<none>` for untagged images), newest first.
pub fn images(args: ImagesArgs, ctx: &Ctx) -> anyhow::Result<i32> {
    let list = store(ctx)?.list().map_err(daemon_error)?;
    let filter = args.repository.as_deref().map(|f| {
        let r = Reference::parse(f).ok();
        (
            r.as_ref().map(|r| r.familiar_name()).unwrap_or_default(),
            r.and_then(|r| r.tag),
        )
    });
    let mut rows: Vec<[String; 6]> = Vec::new();
    let mut values: Vec<serde_json::Value> = Vec::new();
    for rec in &list {
        let id = if args.no_trunc {
            rec.image.id.clone()
        } else {
            short_id(&rec.image.id)
        };
        let created = ago(rec.image.created);
        let size = human_size(rec.image.size);
        let digest = rec
            .repo_digests
            .first()
            .and_then(|d| d.split_once('@'))
            .map(|(_, d)| d.to_string())
            .unwrap_or_else(|| "<none>".into());
        let tags: Vec<(String, String)> = if rec.image.repo_tags.is_empty() {
            vec![("<none>".into(), "<none>".into())]
        } else {
            rec.image
                .repo_tags
                .iter()
                .map(|t| {
                    let (repo, tag) = t.rsplit_once(':').unwrap_or((t, ""));
                    (repo.to_string(), tag.to_string())
                })
                .collect()
        };
        for (repo, tag) in tags {
            if let Some((frepo, ftag)) = &filter
                && (repo != *frepo || ftag.as_ref().is_some_and(|t| *t != tag))
            {
                continue;
            }
            values.push(serde_json::json!({
                "ID": id,
                "Repository": repo,
                "Tag": tag,
                "Digest": digest,
                "CreatedSince": created,
                "CreatedAt": rec.image.created.format("%Y-%m-%d %H:%M:%S +0000 UTC").to_string(),
                "Size": size,
                "Containers": "N/A",
            }));
            rows.push([
                repo,
                tag,
                digest.clone(),
                id.clone(),
                created.clone(),
                size.clone(),
            ]);
        }
    }
    let mut out = std::io::stdout().lock();
    if let Some(fmt) = args
        .format
        .as_deref()
        .filter(|f| !f.is_empty() && *f != "table")
    {
        let text = super::format::template::render_list(fmt, &values, &image_header)
            .map_err(|e| docker_error(1, e.to_string()))?;
        write!(out, "{text}")?;
        return Ok(0);
    }
    if args.quiet {
        for r in rows {
            writeln!(out, "{}", r[3])?;
        }
        return Ok(0);
    }
    let mut text = if args.digests {
        "REPOSITORY\tTAG\tDIGEST\tIMAGE ID\tCREATED\tSIZE\n".to_string()
    } else {
        "REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\n".to_string()
    };
    for r in rows {
        if args.digests {
            text.push_str(&r.join("\t"));
        } else {
            text.push_str(&format!("{}\t{}\t{}\t{}\t{}", r[0], r[1], r[3], r[4], r[5]));
        }
        text.push('\n');
    }
    write!(out, "{}", docker_table(&text))?;
    Ok(0)
}

/// `docker pull NAME`: Docker's progress lines, then the full reference.
pub fn pull(args: PullArgs, ctx: &Ctx) -> anyhow::Result<i32> {
    let r = Reference::parse(&args.name).map_err(|e| docker_error(1, e.to_string()))?;
    let mut out = std::io::stdout().lock();
    if r.tag.is_none() && r.digest.is_none() && !args.quiet {
        writeln!(out, "Using default tag: latest")?;
    }
    let store = store(ctx)?;
    let _lock = ctx.engine.lock()?;
    let mut sink = std::io::sink();
    let progress: &mut dyn Write = if args.quiet { &mut sink } else { &mut out };
    store.pull(&args.name, progress).map_err(daemon_error)?;
    let r = r.with_default_tag();
    match &r.digest {
        Some(d) => writeln!(out, "{}@{d}", r.full_name())?,
        None => writeln!(out, "{}", r.full_tagged())?,
    }
    Ok(0)
}

/// `docker tag SOURCE TARGET`.
pub fn tag(args: TagArgs, ctx: &Ctx) -> anyhow::Result<i32> {
    // The docker CLI validates the target itself, before asking the daemon.
    if let Err(e) = Reference::parse(&args.target) {
        return Err(docker_error(
            1,
            format!(
                "Error parsing reference: {:?} is not a valid repository/tag: {e}",
                args.target
            ),
        ));
    }
    let store = store(ctx)?;
    let _lock = ctx.engine.lock()?;
    store
        .tag(&args.source, &args.target)
        .map_err(daemon_error)?;
    Ok(0)
}

/// `docker rmi [-f] IMAGE…`: `Untagged:`/`Deleted:` lines per image; each failure is
/// reported and the exit status is 1 if any failed, as Docker does.
pub fn rmi(args: RmiArgs, ctx: &Ctx) -> anyhow::Result<i32> {
    let store = store(ctx)?;
    let _lock = ctx.engine.lock()?;
    let containers = ContainerUse::scan(&ctx.engine.containers_dir());
    let mut out = std::io::stdout().lock();
    let mut failed = false;
    for name in &args.images {
        match store.remove(name, args.force, &containers) {
            Ok(items) => {
                for item in items {
                    match item {
                        DeleteItem::Untagged(t) => writeln!(out, "Untagged: {t}")?,
                        DeleteItem::Deleted(d) => writeln!(out, "Deleted: {d}")?,
                    }
                }
            }
            Err(e) => {
                failed = true;
                out.flush()?;
                match e {
                    ImageError::InvalidReference(_) => eprintln!("invalid reference format"),
                    other => eprintln!("Error response from daemon: {other}"),
                }
            }
        }
    }
    Ok(if failed { 1 } else { 0 })
}

/// `docker image prune [-a] [-f]`: Docker's warning and prompt, then the deleted items
/// in lower case and the space reclaimed.
pub fn prune(args: PruneArgs, ctx: &Ctx) -> anyhow::Result<i32> {
    let mut out = std::io::stdout().lock();
    if !args.force {
        let warning = if args.all {
            "WARNING! This will remove all images without at least one container associated to them."
        } else {
            "WARNING! This will remove all dangling images."
        };
        write!(out, "{warning}\nAre you sure you want to continue? [y/N] ")?;
        out.flush()?;
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        if !matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
            return Ok(0);
        }
    }
    let store = store(ctx)?;
    let _lock = ctx.engine.lock()?;
    let containers = ContainerUse::scan(&ctx.engine.containers_dir());
    let (items, reclaimed) = store.prune(args.all, &containers).map_err(daemon_error)?;
    if !items.is_empty() {
        writeln!(out, "Deleted Images:")?;
        for item in items {
            match item {
                DeleteItem::Untagged(t) => writeln!(out, "untagged: {t}")?,
                DeleteItem::Deleted(d) => writeln!(out, "deleted: {d}")?,
            }
        }
        writeln!(out)?;
    }
    writeln!(out, "Total reclaimed space: {}", human_size(reclaimed))?;
    Ok(0)
}

/// `docker image inspect`: a JSON array in Docker's shape, 4-space indented.
pub fn inspect(args: InspectArgs, ctx: &Ctx) -> anyhow::Result<i32> {
    let store = store(ctx)?;
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for name in &args.images {
        match store.find_record(name).map_err(daemon_error)? {
            Some(rec) => found.push(inspect_json(&rec)),
            None => missing.push(name.clone()),
        }
    }
    let mut out = std::io::stdout().lock();
    match args.format.as_deref() {
        Some(fmt) => {
            // As for containers: docker/cli retries on the raw JSON with missingkey=error.
            let tmpl = super::format::template::parse(&super::format::template::prepare(fmt))
                .map_err(|e| docker_error(1, e.to_string()))?
                .missingkey_error(true);
            for v in &found {
                writeln!(
                    out,
                    "{}",
                    tmpl.render(v).map_err(|e| docker_error(1, e.to_string()))?
                )?;
            }
        }
        None => writeln!(out, "{}", to_docker_json(&serde_json::Value::Array(found)))?,
    }
    if let Some(m) = missing.first() {
        out.flush()?;
        return Err(docker_error(1, format!("Error: No such image: {m}")));
    }
    Ok(0)
}

/// The `docker image inspect` object for one image.
pub fn inspect_json(rec: &ImageRecord) -> serde_json::Value {
    use serde_json::{Value, json};
    let c = &rec.config.config;
    let opt = |v: &Option<Vec<String>>| v.as_ref().map(|v| json!(v)).unwrap_or(Value::Null);
    let config = json!({
        "Hostname": "",
        "Domainname": "",
        "User": c.user,
        "AttachStdin": false,
        "AttachStdout": false,
        "AttachStderr": false,
        "ExposedPorts": if c.exposed_ports.is_empty() { Value::Null } else { json!(c.exposed_ports) },
        "Tty": false,
        "OpenStdin": false,
        "StdinOnce": false,
        "Env": c.env,
        "Cmd": opt(&c.cmd),
        "Image": "",
        "Volumes": c.volumes.as_ref().map(|v| json!(v)).unwrap_or(Value::Null),
        "WorkingDir": c.working_dir,
        "Entrypoint": opt(&c.entrypoint),
        "OnBuild": Value::Null,
        "Labels": c.labels.as_ref().map(|v| json!(v)).unwrap_or(Value::Null),
        "StopSignal": c.stop_signal,
    });
    let mut config = config;
    if c.stop_signal.is_none() {
        config.as_object_mut().unwrap().remove("StopSignal");
    }
    json!({
        "Id": rec.image.id,
        "RepoTags": rec.image.repo_tags,
        "RepoDigests": rec.repo_digests,
        "Parent": "",
        "Comment": "",
        "Created": rec.config.created,
        "DockerVersion": "",
        "Author": rec.config.author,
        "Config": config,
        "Architecture": rec.config.architecture,
        "Os": rec.config.os,
        "Size": rec.image.size,
        "GraphDriver": {
            "Data": {
                "LowerDir": rec.image.layer_dirs.iter().rev().map(|p| p.display().to_string()).collect::<Vec<_>>().join(":"),
            },
            "Name": "overlay2"
        },
        "RootFS": {
            "Type": rec.config.rootfs.kind,
            "Layers": rec.config.rootfs.diff_ids,
        },
        "Metadata": {
            "LastTagTime": "0001-01-01T00:00:00Z"
        }
    })
}

/// `docker history IMAGE`: newest entry first; the top row carries the image ID, the rest
/// `<missing>` (pulled images have no local parent images).
pub fn history(args: HistoryArgs, ctx: &Ctx) -> anyhow::Result<i32> {
    let store = store(ctx)?;
    let rec = store
        .find_record(&args.image)
        .map_err(daemon_error)?
        .ok_or_else(|| {
            docker_error(
                1,
                format!(
                    "Error response from daemon: No such image: {}",
                    not_found_name(&args.image)
                ),
            )
        })?;
    let mut sizes = rec.layer_sizes.iter();
    let mut rows = Vec::new();
    for h in &rec.config.history {
        let size = if h.empty_layer {
            0
        } else {
            sizes.next().copied().unwrap_or(0)
        };
        rows.push((h, size));
    }
    rows.reverse();
    let mut out = std::io::stdout().lock();
    if args.quiet {
        for (i, _) in rows.iter().enumerate() {
            let id = if i == 0 {
                if args.no_trunc {
                    rec.image.id.clone()
                } else {
                    short_id(&rec.image.id)
                }
            } else {
                "<missing>".into()
            };
            writeln!(out, "{id}")?;
        }
        return Ok(0);
    }
    let mut text = String::from("IMAGE\tCREATED\tCREATED BY\tSIZE\tCOMMENT\n");
    for (i, (h, size)) in rows.iter().enumerate() {
        let id = if i > 0 {
            "<missing>".to_string()
        } else if args.no_trunc {
            rec.image.id.clone()
        } else {
            short_id(&rec.image.id)
        };
        let created_at = crate::engine::image::config::parse_time(&h.created);
        let (created, size) = if args.human {
            (ago(created_at), human_size(*size))
        } else {
            (
                crate::engine::image::config::format_time(created_at),
                size.to_string(),
            )
        };
        let by = h.created_by.replace('\t', " ");
        let by = if args.no_trunc { by } else { ellipsis(&by, 45) };
        text.push_str(&format!("{id}\t{created}\t{by}\t{size}\t{}\n", h.comment));
    }
    write!(out, "{}", docker_table(&text))?;
    Ok(0)
}

/// `docker inspect NAME` falls back to images; `None` when there is no such image.
pub fn inspect_value(ctx: &Ctx, name: &str) -> Option<serde_json::Value> {
    let rec = ImageStore::open(&ctx.engine)
        .ok()?
        .find_record(name)
        .ok()??;
    Some(inspect_json(&rec))
}

/// Number of images, for `docker info`.
pub fn image_count(ctx: &Ctx) -> usize {
    ImageStore::open(&ctx.engine)
        .and_then(|s| s.list())
        .map(|l| l.len())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ellipsis_cuts_at_45_characters() {
        let s = "/bin/sh -c #(nop) ADD file:7e9002edaafd4e4579b65c8f0aaabde1aeb7fd3f8d95579f7fd3443cef785fd1 in / ";
        let e = ellipsis(s, 45);
        assert_eq!(e.chars().count(), 45);
        assert_eq!(e, "/bin/sh -c #(nop) ADD file:7e9002edaafd4e457…");
        assert_eq!(ellipsis("short", 45), "short");
    }

    #[test]
    fn docker_json_uses_four_spaces() {
        let v = serde_json::json!([{"Id": "x"}]);
        assert_eq!(
            to_docker_json(&v),
            "[\n    {\n        \"Id\": \"x\"\n    }\n]"
        );
    }
}
