//! Container verbs: `run`, `create`, `start`, `stop`, `ps`, `logs`, `exec`, `inspect`, …: arguments and handlers.

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum ContainerVerb {
    /// Show the docklab version information
    Version,
}

pub fn dispatch(verb: ContainerVerb, _ctx: &super::Ctx) -> anyhow::Result<i32> {
    match verb {
        ContainerVerb::Version => {
            println!("docklab {}", env!("CARGO_PKG_VERSION"));
            Ok(0)
        }
    }
}
