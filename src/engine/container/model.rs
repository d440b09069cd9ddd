//! The container's records on disk: `config.json` (static, inspect-shaped) and `state.json`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `config.json`: what `docker inspect` shows of a container that does not change while it runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerRecord {
    pub id: String,
    pub created: DateTime<Utc>,
    /// The program and its arguments (ENTRYPOINT + CMD, resolved at create time).
    pub path: String,
    pub args: Vec<String>,
    /// The image ID (`sha256:…`).
    pub image: String,
    /// With Docker's leading slash: `/web`.
    pub name: String,
    pub config: Config,
    pub host_config: HostConfig,
    /// Unpacked image layers, lowest first (overlayfs lowerdirs).
    pub lower_dirs: Vec<PathBuf>,
    /// Image size, for `ps -s` "(virtual …)".
    #[serde(default)]
    pub image_size: u64,
}

/// The `Config` section of `docker inspect`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Config {
    pub hostname: String,
    pub domainname: String,
    pub user: String,
    pub attach_stdin: bool,
    pub attach_stdout: bool,
    pub attach_stderr: bool,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub exposed_ports: BTreeMap<String, serde_json::Value>,
    pub tty: bool,
    pub open_stdin: bool,
    pub stdin_once: bool,
    pub env: Vec<String>,
    pub cmd: Option<Vec<String>>,
    /// The image reference as the user typed it (`busybox`, `python:3.11.5-alpine`).
    pub image: String,
    pub working_dir: String,
    pub entrypoint: Option<Vec<String>>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_signal: Option<String>,
}

/// The part of `HostConfig` this engine honours.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HostConfig {
    pub auto_remove: bool,
    /// `default` (Docker's name for the default bridge), `bridge`, `none` or `host`.
    pub network_mode: String,
}

/// Docker's container statuses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    #[default]
    Created,
    Running,
    Paused,
    Restarting,
    Removing,
    Exited,
    Dead,
}

impl Status {
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::Running => "running",
            Status::Paused => "paused",
            Status::Restarting => "restarting",
            Status::Removing => "removing",
            Status::Exited => "exited",
            Status::Dead => "dead",
        }
    }
}

/// `state.json`: the mutable part.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct State {
    pub status: Status,
    /// Host PID of the container's init while it runs, else 0.
    pub pid: i32,
    pub exit_code: i32,
    pub error: String,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// The monitor process that owns the running container.
    pub monitor_pid: i32,
}
