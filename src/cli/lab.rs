//! `docklab lab …`: argument structs and handlers for the lab runner's verbs.

use clap::{Args, Subcommand};

#[derive(Debug, Args)]
pub struct LabArgs {
    #[command(subcommand)]
    pub command: LabCommand,
}

#[derive(Debug, Subcommand)]
pub enum LabCommand {
    /// List the labs.
    List,
}

pub fn run(_args: LabArgs, _ctx: &super::Ctx) -> anyhow::Result<i32> {
    anyhow::bail!("not implemented yet")
}
