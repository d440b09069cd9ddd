//! Containers: their config and state on disk, lookup by ID, name or prefix, and one file per verb.
//!
//! On disk, `<root>/containers/<64hex id>/config.json` holds the container as
//! `docker inspect` shows its static part (`Id`, `Created`, `Name` ("/web"), `Image`
//! ("sha256:…" image ID), `Config.Image` (the reference the user typed), `Config.Cmd`, …)
//! and `state.json` holds the mutable part (`Status`: created|running|paused|exited|dead,
//! `Pid`, `ExitCode`, `StartedAt`, `FinishedAt`, `MonitorPid`). Both are written atomically;
//! changes that read and then write happen under the engine lock.

pub mod create;
pub mod exec;
pub mod lifecycle;
pub mod logs;
pub mod model;
pub mod remove;
pub mod start;

use std::fs;
use std::io;
use std::path::PathBuf;

pub use model::{Config, ContainerRecord, HostConfig, State, Status};

use crate::engine::Engine;
use crate::engine::runtime::process::StartFailure;
use crate::engine::store::{read_json, write_json, write_json_nosync};

/// Errors with the daemon's wording; the CLI puts `Error response from daemon: ` in front.
#[derive(Debug, thiserror::Error)]
pub enum ContainerError {
    #[error("No such container: {0}")]
    NotFound(String),
    #[error("Multiple IDs found with provided prefix: {0}")]
    Ambiguous(String),
    #[error(
        "Conflict. The container name \"/{name}\" is already in use by container \"{id}\". You have to remove (or rename) that container to be able to reuse that name."
    )]
    NameConflict { name: String, id: String },
    #[error("Invalid container name ({0}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")]
    InvalidName(String),
    #[error("Container {0} is not running")]
    NotRunning(String),
    #[error("Container {0} is already paused")]
    AlreadyPaused(String),
    #[error("Container {0} is not paused")]
    NotPaused(String),
    #[error(
        "You cannot remove a running container {0}. Stop the container before attempting removal or force remove"
    )]
    RemoveRunning(String),
    #[error("{}", .0.message)]
    Start(StartFailure),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Image(#[from] crate::engine::image::ImageError),
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// A container as loaded from disk.
#[derive(Debug, Clone)]
pub struct Container {
    pub record: ContainerRecord,
    pub state: State,
    pub dir: PathBuf,
}

impl Container {
    pub fn id(&self) -> &str {
        &self.record.id
    }

    /// The name without Docker's leading slash.
    pub fn name(&self) -> &str {
        self.record.name.trim_start_matches('/')
    }

    pub fn short_id(&self) -> &str {
        &self.record.id[..12]
    }

    pub fn is_running(&self) -> bool {
        matches!(self.state.status, Status::Running | Status::Paused)
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.join(format!("{}-json.log", self.record.id))
    }

    pub fn cgroup(&self) -> crate::engine::runtime::cgroups::Cgroup {
        crate::engine::runtime::cgroups::Cgroup::for_container(&self.record.id)
    }
}

fn container_dir(engine: &Engine, id: &str) -> PathBuf {
    engine.containers_dir().join(id)
}

/// Loads one container by full ID, reconciling a state left by a killed monitor.
pub fn load(engine: &Engine, id: &str) -> Result<Container, ContainerError> {
    let dir = container_dir(engine, id);
    let record: ContainerRecord =
        read_json(&dir.join("config.json")).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => ContainerError::NotFound(id.to_string()),
            _ => ContainerError::Io(e),
        })?;
    let mut state: State = read_json(&dir.join("state.json")).unwrap_or_default();
    if matches!(state.status, Status::Running | Status::Paused)
        && !monitor_alive(state.monitor_pid, id)
    {
        // The monitor was killed (SIGKILL, OOM…): PR_SET_PDEATHSIG took the container
        // down with it. Record what happened so every later command sees a stopped container.
        state.status = Status::Exited;
        state.exit_code = 137;
        state.pid = 0;
        state.finished_at = Some(chrono::Utc::now());
        crate::engine::runtime::cgroups::Cgroup::for_container(id).remove();
        let _ = write_json(&dir.join("state.json"), &state);
    }
    Ok(Container { record, state, dir })
}

/// True if `pid` is this container's monitor (guards against PID reuse).
pub fn monitor_alive(pid: i32, id: &str) -> bool {
    if pid <= 0 || !crate::engine::runtime::sys::pid_alive(pid) {
        return false;
    }
    match fs::read(format!("/proc/{pid}/cmdline")) {
        Ok(cmdline) => {
            let text = String::from_utf8_lossy(&cmdline);
            text.contains(crate::engine::runtime::MONITOR_VERB) && text.contains(id)
        }
        Err(_) => false,
    }
}

/// Every container, newest first (the order `docker ps` uses).
pub fn list(engine: &Engine) -> Result<Vec<Container>, ContainerError> {
    let mut out = Vec::new();
    let entries = match fs::read_dir(engine.containers_dir()) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e.into()),
    };
    for entry in entries {
        let name = entry?.file_name();
        let Some(id) = name.to_str() else { continue };
        if id.len() != 64 {
            continue;
        }
        match load(engine, id) {
            Ok(c) => out.push(c),
            // Removed between readdir and read, or a half-created directory: not a container.
            Err(ContainerError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    out.sort_by_key(|c| std::cmp::Reverse(c.record.created));
    Ok(out)
}

/// Docker's lookup order: full ID, then exact name, then unique ID prefix.
pub fn lookup(engine: &Engine, reference: &str) -> Result<Container, ContainerError> {
    if reference.is_empty() {
        return Err(ContainerError::NotFound(reference.into()));
    }
    let all = list(engine)?;
    if let Some(c) = all.iter().find(|c| c.record.id == reference) {
        return Ok(c.clone());
    }
    let wanted = reference.trim_start_matches('/');
    if let Some(c) = all.iter().find(|c| c.name() == wanted) {
        return Ok(c.clone());
    }
    let matches: Vec<&Container> = all
        .iter()
        .filter(|c| c.record.id.starts_with(reference))
        .collect();
    match matches.len() {
        0 => Err(ContainerError::NotFound(reference.into())),
        1 => Ok(matches[0].clone()),
        _ => Err(ContainerError::Ambiguous(reference.into())),
    }
}

/// Reads, changes and writes a container's state under the engine lock.
pub fn update_state(
    engine: &Engine,
    id: &str,
    change: impl FnOnce(&mut State),
) -> Result<State, ContainerError> {
    let _lock = engine.lock()?;
    let path = container_dir(engine, id).join("state.json");
    let mut state: State = read_json(&path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => ContainerError::NotFound(id.to_string()),
        _ => ContainerError::Io(e),
    })?;
    change(&mut state);
    write_json_nosync(&path, &state)?;
    Ok(state)
}

/// IDs of containers created from `image_id` (for `rmi`'s conflict check).
pub fn using_image(engine: &Engine, image_id: &str) -> Result<Vec<Container>, ContainerError> {
    Ok(list(engine)?
        .into_iter()
        .filter(|c| c.record.image == image_id)
        .collect())
}

/// A time as Go's RFC3339Nano prints it (trailing zeros of the fraction dropped), the
/// format of Docker's `Created`, `StartedAt` and json-file `time` fields.
pub fn go_time(t: &chrono::DateTime<chrono::Utc>) -> String {
    let s = t.format("%Y-%m-%dT%H:%M:%S%.9f").to_string();
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s}Z")
}

/// Go's zero time, as Docker prints unset times.
pub const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn go_time_trims_fraction_zeros() {
        let t = chrono::Utc.with_ymd_and_hms(2023, 9, 1, 12, 0, 5).unwrap()
            + chrono::Duration::nanoseconds(120_000_000);
        assert_eq!(go_time(&t), "2023-09-01T12:00:05.12Z");
        let t = chrono::Utc.with_ymd_and_hms(2023, 9, 1, 12, 0, 5).unwrap();
        assert_eq!(go_time(&t), "2023-09-01T12:00:05Z");
    }
}
