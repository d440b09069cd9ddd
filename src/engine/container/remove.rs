//! `rm` and `container prune`: removing a container's files, killing it first with `-f`.

use std::fs;

use super::{Container, ContainerError, lifecycle};
use crate::engine::Engine;

/// `docker rm [-f]`: a running container needs `force`, which kills it first.
pub fn remove(engine: &Engine, container: &Container, force: bool) -> Result<(), ContainerError> {
    if container.is_running() {
        if !force {
            return Err(ContainerError::RemoveRunning(container.record.id.clone()));
        }
        lifecycle::kill_and_wait(engine, container, libc::SIGKILL)?;
    }
    remove_files(engine, &container.record.id)?;
    Ok(())
}

/// Deletes the container directory and its cgroup.
pub fn remove_files(engine: &Engine, id: &str) -> Result<(), ContainerError> {
    if let Some(doomed) = detach_files(engine, id)? {
        crate::engine::runtime::cgroups::Cgroup::for_container(id).remove();
        fs::remove_dir_all(&doomed)?;
    }
    Ok(())
}

/// Takes the container out of the store by renaming its directory into the scratch area,
/// so other commands never see a half-deleted container. Returns where it went (`None`
/// if it was already gone); the caller deletes it.
pub fn detach_files(
    engine: &Engine,
    id: &str,
) -> Result<Option<std::path::PathBuf>, ContainerError> {
    let _lock = engine.lock()?;
    let dir = engine.containers_dir().join(id);
    let doomed = engine.tmp_dir().join(format!("removing-{id}"));
    match fs::rename(&dir, &doomed) {
        Ok(()) => Ok(Some(doomed)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// `docker container prune`: removes every stopped container; returns their IDs and the
/// bytes their writable layers held.
pub fn prune(engine: &Engine) -> Result<(Vec<String>, u64), ContainerError> {
    let mut removed = Vec::new();
    let mut reclaimed = 0;
    for c in super::list(engine)? {
        if c.is_running() {
            continue;
        }
        reclaimed += dir_size(&c.dir.join("rootfs/upper"));
        remove_files(engine, &c.record.id)?;
        removed.push(c.record.id);
    }
    Ok((removed, reclaimed))
}

/// Bytes used by the files under `dir` (the container layer for `ps -s`).
pub fn dir_size(dir: &std::path::Path) -> u64 {
    let mut total = 0;
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    for entry in entries.flatten() {
        let Ok(meta) = entry.metadata() else { continue };
        if meta.is_dir() {
            total += dir_size(&entry.path());
        } else if meta.is_file() {
            total += meta.len();
        }
    }
    total
}
