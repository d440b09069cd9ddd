//! The engine's state directory: its layout, the lock that serialises CLI invocations, and atomic writes.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

/// Default state directory, like Docker's `/var/lib/docker`.
pub const DEFAULT_ROOT: &str = "/var/lib/docklab";

/// A handle on one engine state directory (`--root`, `DOCKLAB_ROOT`).
#[derive(Debug, Clone)]
pub struct Engine {
    pub root: PathBuf,
}

/// Held while a CLI invocation reads-modifies-writes shared state; released on drop.
#[derive(Debug)]
pub struct StateLock {
    _file: File,
}

impl Engine {
    /// Opens (creating if needed) the state directory.
    pub fn open(root: impl Into<PathBuf>) -> io::Result<Self> {
        let root = root.into();
        for sub in ["containers", "images", "layers", "tmp"] {
            fs::create_dir_all(root.join(sub))?;
        }
        Ok(Engine { root })
    }

    pub fn containers_dir(&self) -> PathBuf {
        self.root.join("containers")
    }

    pub fn images_dir(&self) -> PathBuf {
        self.root.join("images")
    }

    pub fn layers_dir(&self) -> PathBuf {
        self.root.join("layers")
    }

    /// Scratch space on the same filesystem as the state, so renames out of it are atomic.
    pub fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// Takes the exclusive state lock (flock(2) on `<root>/lock`). The kernel drops it when
    /// the process dies, so a killed CLI never leaves the store locked.
    pub fn lock(&self) -> io::Result<StateLock> {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.root.join("lock"))?;
        loop {
            // SAFETY: flock on an fd we own.
            let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
            if rc == 0 {
                break;
            }
            let err = io::Error::last_os_error();
            if err.kind() != io::ErrorKind::Interrupted {
                return Err(err);
            }
        }
        Ok(StateLock { _file: file })
    }
}

/// Writes `data` to `path` atomically: a temporary file beside it, fsync, rename.
/// A reader sees either the old or the new content, never a torn file.
pub fn write_atomic(path: &Path, data: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    {
        let mut file = File::create(&tmp)?;
        file.write_all(data)?;
        file.sync_all()?;
    }
    fs::rename(&tmp, path)
}

/// Like `write_atomic` without the fsync: for the container state rewritten on every start
/// and exit. rename(2) alone already guarantees that a killed process leaves the old or the
/// new file, never a torn one; the fsync only adds power-loss durability, which costs a
/// disk flush on the `run` hot path and which Docker's own state files do not promise.
pub fn write_atomic_nosync(path: &Path, data: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    fs::write(&tmp, data)?;
    fs::rename(&tmp, path)
}

/// Serialises `value` as pretty JSON and writes it atomically.
pub fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> io::Result<()> {
    let data = serde_json::to_vec_pretty(value).map_err(io::Error::other)?;
    write_atomic(path, &data)
}

/// `write_json` without the fsync (see `write_atomic_nosync`).
pub fn write_json_nosync<T: serde::Serialize>(path: &Path, value: &T) -> io::Result<()> {
    let data = serde_json::to_vec_pretty(value).map_err(io::Error::other)?;
    write_atomic_nosync(path, &data)
}

/// Reads a JSON file written by `write_json`.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> io::Result<T> {
    let data = fs::read(path)?;
    serde_json::from_slice(&data).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_content_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        write_atomic(&path, b"old").unwrap();
        write_atomic(&path, b"new").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("state.json")]);
    }

    #[test]
    fn json_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.json");
        write_json(&path, &vec![1, 2, 3]).unwrap();
        let back: Vec<i32> = read_json(&path).unwrap();
        assert_eq!(back, vec![1, 2, 3]);
    }
}
