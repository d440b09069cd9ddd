//! Control groups for `stats`, `pause` (freezer) and `top`, on cgroup v1 or v2, whichever the host has.
//!
//! Each container gets `docklab/<id>` in every hierarchy it needs: on v1 the memory, cpuacct,
//! pids, freezer and blkio controllers (each its own mount, as on Debian's hybrid layout); on
//! v2 one directory under the unified root with those controllers enabled.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

const ROOT: &str = "/sys/fs/cgroup";
const PARENT: &str = "docklab";
const V1_CONTROLLERS: [&str; 5] = ["memory", "cpuacct", "pids", "freezer", "blkio"];

/// One container's cgroup(s).
#[derive(Debug, Clone)]
pub enum Cgroup {
    /// cgroup v1: one directory per controller hierarchy.
    V1 { dirs: Vec<(&'static str, PathBuf)> },
    /// cgroup v2: one directory in the unified hierarchy.
    V2 { dir: PathBuf },
}

/// Counters `docker stats` shows.
#[derive(Debug, Default, Clone)]
pub struct Usage {
    pub cpu_ns: u64,
    pub memory: u64,
    pub memory_limit: Option<u64>,
    pub block_read: u64,
    pub block_write: u64,
    pub pids: u64,
}

pub fn is_v2() -> bool {
    Path::new(ROOT).join("cgroup.controllers").exists()
}

impl Cgroup {
    pub fn for_container(id: &str) -> Cgroup {
        if is_v2() {
            Cgroup::V2 {
                dir: Path::new(ROOT).join(PARENT).join(id),
            }
        } else {
            let dirs = V1_CONTROLLERS
                .iter()
                .filter(|c| Path::new(ROOT).join(c).is_dir())
                .map(|c| (*c, Path::new(ROOT).join(c).join(PARENT).join(id)))
                .collect();
            Cgroup::V1 { dirs }
        }
    }

    pub fn version(&self) -> u8 {
        match self {
            Cgroup::V1 { .. } => 1,
            Cgroup::V2 { .. } => 2,
        }
    }

    pub fn create(&self) -> io::Result<()> {
        match self {
            Cgroup::V1 { dirs } => {
                for (_, dir) in dirs {
                    fs::create_dir_all(dir)?;
                }
            }
            Cgroup::V2 { dir } => {
                // Controllers must be enabled in every ancestor's subtree_control before a
                // child can use them (cgroup-v2.rst, "Top-down Constraint").
                let parent = dir.parent().expect("cgroup parent");
                fs::create_dir_all(parent)?;
                let wanted = "+memory +pids +cpu +io";
                for ctl in [
                    Path::new(ROOT).join("cgroup.subtree_control"),
                    parent.join("cgroup.subtree_control"),
                ] {
                    for c in wanted.split(' ') {
                        let _ = fs::write(&ctl, c);
                    }
                }
                fs::create_dir_all(dir)?;
            }
        }
        Ok(())
    }

    /// Moves the calling process into the cgroup. Writing "0" to cgroup.procs means "the
    /// writer", which stays right even after the caller entered a new PID namespace.
    pub fn join_self(&self) -> io::Result<()> {
        for dir in self.dirs() {
            fs::write(dir.join("cgroup.procs"), "0")?;
        }
        Ok(())
    }

    /// Moves process `pid` (a host PID) into the cgroup.
    pub fn add_pid(&self, pid: i32) -> io::Result<()> {
        for dir in self.dirs() {
            fs::write(dir.join("cgroup.procs"), pid.to_string())?;
        }
        Ok(())
    }

    fn dirs(&self) -> Vec<&Path> {
        match self {
            Cgroup::V1 { dirs } => dirs.iter().map(|(_, d)| d.as_path()).collect(),
            Cgroup::V2 { dir } => vec![dir.as_path()],
        }
    }

    fn dir_of(&self, controller: &str) -> Option<&Path> {
        match self {
            Cgroup::V1 { dirs } => dirs
                .iter()
                .find(|(c, _)| *c == controller)
                .map(|(_, d)| d.as_path()),
            Cgroup::V2 { dir } => Some(dir),
        }
    }

    /// Removes the directories. The kernel refuses while tasks remain (EBUSY), and killed
    /// tasks of a dying PID namespace take a moment to leave, so retry briefly.
    pub fn remove(&self) {
        for dir in self.dirs() {
            for attempt in 0..50 {
                match fs::remove_dir(dir) {
                    Ok(()) => break,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => break,
                    Err(_) if attempt < 49 => {
                        std::thread::sleep(std::time::Duration::from_millis(10))
                    }
                    Err(_) => {}
                }
            }
        }
    }

    /// Host PIDs of every process in the container.
    pub fn pids(&self) -> Vec<i32> {
        let Some(dir) = self.dir_of("pids").or_else(|| self.dirs().first().copied()) else {
            return Vec::new();
        };
        let mut pids: Vec<i32> = fs::read_to_string(dir.join("cgroup.procs"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect();
        pids.sort_unstable();
        pids
    }

    /// Freezes or thaws every task (`docker pause` / `unpause`).
    pub fn set_frozen(&self, frozen: bool) -> io::Result<()> {
        match self {
            Cgroup::V1 { .. } => {
                let dir = self.dir_of("freezer").ok_or_else(|| {
                    io::Error::other("the freezer cgroup controller is not available")
                })?;
                fs::write(
                    dir.join("freezer.state"),
                    if frozen { "FROZEN" } else { "THAWED" },
                )?;
                // The v1 freezer moves through FREEZING; wait until it settles.
                for _ in 0..200 {
                    let state = fs::read_to_string(dir.join("freezer.state")).unwrap_or_default();
                    if state.trim() == if frozen { "FROZEN" } else { "THAWED" } {
                        break;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                Ok(())
            }
            Cgroup::V2 { dir } => {
                fs::write(dir.join("cgroup.freeze"), if frozen { "1" } else { "0" })
            }
        }
    }

    pub fn usage(&self) -> Usage {
        let read = |ctl: &str, file: &str| -> Option<String> {
            fs::read_to_string(self.dir_of(ctl)?.join(file)).ok()
        };
        let num = |s: Option<String>| -> u64 { s.and_then(|s| s.trim().parse().ok()).unwrap_or(0) };
        let stat_field = |s: &Option<String>, key: &str| -> u64 {
            s.as_deref()
                .unwrap_or("")
                .lines()
                .find_map(|l| l.strip_prefix(key)?.strip_prefix(' ')?.trim().parse().ok())
                .unwrap_or(0)
        };
        let mut usage = Usage {
            pids: num(read("pids", "pids.current")),
            ..Usage::default()
        };
        match self {
            Cgroup::V1 { .. } => {
                usage.cpu_ns = num(read("cpuacct", "cpuacct.usage"));
                // Docker (v20.10+) subtracts inactive file cache from usage_in_bytes.
                let stat = read("memory", "memory.stat");
                usage.memory = num(read("memory", "memory.usage_in_bytes"))
                    .saturating_sub(stat_field(&stat, "total_inactive_file"));
                usage.memory_limit = Some(num(read("memory", "memory.limit_in_bytes")));
                for line in read("blkio", "blkio.throttle.io_service_bytes")
                    .unwrap_or_default()
                    .lines()
                {
                    let parts: Vec<&str> = line.split_whitespace().collect();
                    if parts.len() == 3 {
                        let n: u64 = parts[2].parse().unwrap_or(0);
                        match parts[1] {
                            "Read" => usage.block_read += n,
                            "Write" => usage.block_write += n,
                            _ => {}
                        }
                    }
                }
            }
            Cgroup::V2 { .. } => {
                usage.cpu_ns = stat_field(&read("cpu", "cpu.stat"), "usage_usec") * 1000;
                let stat = read("memory", "memory.stat");
                usage.memory = num(read("memory", "memory.current"))
                    .saturating_sub(stat_field(&stat, "inactive_file"));
                usage.memory_limit =
                    read("memory", "memory.max").and_then(|s| s.trim().parse().ok());
                for line in read("io", "io.stat").unwrap_or_default().lines() {
                    for kv in line.split_whitespace().skip(1) {
                        if let Some(v) = kv.strip_prefix("rbytes=") {
                            usage.block_read += v.parse().unwrap_or(0);
                        } else if let Some(v) = kv.strip_prefix("wbytes=") {
                            usage.block_write += v.parse().unwrap_or(0);
                        }
                    }
                }
            }
        }
        usage
    }
}
