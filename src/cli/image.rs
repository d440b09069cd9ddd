//! Image verbs: `images`, `image …`, `pull`, `tag`, `rmi`, `history`: arguments and handlers.

use clap::{Args, Subcommand};

#[derive(Debug, Args)]
pub struct ImagesArgs {
    /// Only show image IDs
    #[arg(short, long)]
    pub quiet: bool,
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
}

#[derive(Debug, Args)]
pub struct PullArgs {
    pub name: String,
}

pub fn images(_args: ImagesArgs, _ctx: &super::Ctx) -> anyhow::Result<i32> {
    anyhow::bail!("not implemented yet")
}

pub fn image(args: ImageArgs, ctx: &super::Ctx) -> anyhow::Result<i32> {
    match args.command {
        ImageCommand::Ls(a) => images(a, ctx),
    }
}

pub fn pull(_args: PullArgs, _ctx: &super::Ctx) -> anyhow::Result<i32> {
    anyhow::bail!("not implemented yet")
}

/// `docker inspect NAME` falls back to images; `None` when there is no such image.
pub fn inspect_value(_ctx: &super::Ctx, _name: &str) -> Option<serde_json::Value> {
    None
}

/// Number of images, for `docker info`.
pub fn image_count(_ctx: &super::Ctx) -> usize {
    0
}
