//! `version` and `info`: what the engine is and what it holds.

use clap::Args;

use super::Ctx;
use super::format::units;
use crate::engine::container;

#[derive(Debug, Args)]
pub struct VersionArgs {
    /// Format output using a custom template
    #[arg(short, long)]
    pub format: Option<String>,
}

const API_VERSION: &str = "1.41";

fn os_arch() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    format!("linux/{arch}")
}

fn kernel_version() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .unwrap_or_default()
        .trim()
        .to_string()
}

pub fn version(args: VersionArgs, _ctx: &Ctx) -> anyhow::Result<i32> {
    let v = env!("CARGO_PKG_VERSION");
    let value = serde_json::json!({
        "Client": {"Version": v, "ApiVersion": API_VERSION, "Os": "linux", "Arch": os_arch().trim_start_matches("linux/"), "Platform": {"Name": "docklab"}},
        "Server": {"Version": v, "ApiVersion": API_VERSION, "MinAPIVersion": "1.12", "Os": "linux", "Arch": os_arch().trim_start_matches("linux/"), "KernelVersion": kernel_version(), "Platform": {"Name": "docklab"}},
    });
    if let Some(fmt) = args.format {
        println!(
            "{}",
            super::format::template::render(&fmt, &value)
                .map_err(|e| super::docker_error(1, e.to_string()))?
        );
        return Ok(0);
    }
    println!(
        "Client: docklab\n Version:           {v}\n API version:       {API_VERSION}\n OS/Arch:           {}\n Context:           default\n\nServer: docklab\n Engine:\n  Version:          {v}\n  API version:      {API_VERSION} (minimum version 1.12)\n  OS/Arch:          {}\n  Kernel Version:   {}\n  Experimental:     false",
        os_arch(),
        os_arch(),
        kernel_version()
    );
    Ok(0)
}

pub fn info(ctx: &Ctx) -> anyhow::Result<i32> {
    let containers = container::list(&ctx.engine)?;
    let running = containers
        .iter()
        .filter(|c| c.state.status == container::Status::Running)
        .count();
    let paused = containers
        .iter()
        .filter(|c| c.state.status == container::Status::Paused)
        .count();
    let images = super::image::image_count(ctx);
    let mem = super::procinfo::host_memory();
    let os = std::fs::read_to_string("/etc/os-release")
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            Some(
                l.strip_prefix("PRETTY_NAME=")?
                    .trim_matches('"')
                    .to_string(),
            )
        })
        .unwrap_or_else(|| "Linux".into());
    let hostname = nix::unistd::gethostname()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_default();
    let cgroup_version = if crate::engine::runtime::cgroups::is_v2() {
        2
    } else {
        1
    };
    println!(
        "Client:\n Version:    {v}\n Context:    default\n Debug Mode: false\n\nServer:\n Containers: {}\n  Running: {running}\n  Paused: {paused}\n  Stopped: {}\n Images: {images}\n Server Version: {v}\n Storage Driver: overlay2\n Logging Driver: json-file\n Cgroup Driver: cgroupfs\n Cgroup Version: {cgroup_version}\n Kernel Version: {}\n Operating System: {os}\n OSType: linux\n Architecture: {}\n CPUs: {}\n Total Memory: {}\n Name: {hostname}\n Docker Root Dir: {}",
        containers.len(),
        containers.len() - running - paused,
        kernel_version(),
        std::env::consts::ARCH,
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        units::bytes_size(mem),
        ctx.engine.root.display(),
        v = env!("CARGO_PKG_VERSION"),
    );
    Ok(0)
}
