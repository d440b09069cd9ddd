//! The container's root filesystem: overlayfs over the image layers, a fresh /proc, a minimal
//! /dev, read-only /sys, Docker's masked and read-only paths, the generated /etc files, and
//! pivot_root into it.

use std::ffi::CString;
use std::fs;
use std::io;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};

use nix::mount::{MntFlags, MsFlags, mount, umount2};

/// Paths Docker hides from containers (moby `oci/defaults.go`): files get /dev/null bound
/// over them, directories an empty read-only tmpfs. CVE-2025-31133 (runc < 1.2.8) came from
/// trusting a /dev/null that the container could swap, so we check it is a real device.
pub const MASKED_PATHS: [&str; 12] = [
    "/proc/acpi",
    "/proc/asound",
    "/proc/interrupts",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
];

/// Paths Docker leaves visible but read-only.
pub const READONLY_PATHS: [&str; 5] = [
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
];

/// What the root filesystem is made of.
#[derive(Debug, Clone)]
pub struct RootfsSpec {
    /// Image layers, lowest first.
    pub lower_dirs: Vec<PathBuf>,
    /// `upper`, `work` and `merged` live here (the container's writable layer).
    pub rootfs_dir: PathBuf,
    /// Host files bind-mounted over container paths (hostname, hosts, resolv.conf).
    pub bind_files: Vec<(PathBuf, String)>,
}

/// Builds the whole root filesystem in the (already unshared) mount namespace and pivots
/// into it. Runs in the container's init between fork and exec.
pub fn setup(spec: &RootfsSpec) -> io::Result<()> {
    // Stop our mounts from propagating back to the host (mount_namespaces(7)).
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None::<&str>,
    )
    .map_err(io::Error::from)?;

    let merged = spec.rootfs_dir.join("merged");
    mount_overlay(spec, &merged)?;
    for (host, target) in &spec.bind_files {
        bind_file(host, &merged.join(target.trim_start_matches('/')))?;
    }
    mount_proc(&merged)?;
    mount_dev(&merged)?;
    mount_sys(&merged)?;
    mask_paths(&merged)?;
    pivot(&merged)
}

fn mount_overlay(spec: &RootfsSpec, merged: &Path) -> io::Result<()> {
    let upper = spec.rootfs_dir.join("upper");
    let work = spec.rootfs_dir.join("work");
    // overlayfs wants the topmost lower layer first.
    let lower: Vec<String> = spec
        .lower_dirs
        .iter()
        .rev()
        .map(|p| p.display().to_string())
        .collect();
    let data = format!(
        "lowerdir={},upperdir={},workdir={}",
        lower.join(":"),
        upper.display(),
        work.display()
    );
    mount(
        Some("overlay"),
        merged,
        Some("overlay"),
        MsFlags::empty(),
        Some(data.as_str()),
    )
    .map_err(|e| {
        io::Error::new(
            io::Error::from(e).kind(),
            format!("mount overlay on {}: {e}", merged.display()),
        )
    })
}

/// Bind-mounts a host file over `target`, creating the mount point if the image lacks it.
fn bind_file(host: &Path, target: &Path) -> io::Result<()> {
    if let Some(dir) = target.parent() {
        fs::create_dir_all(dir)?;
    }
    if fs::symlink_metadata(target).is_err() {
        fs::write(target, b"")?;
    }
    mount(
        Some(host),
        target,
        None::<&str>,
        MsFlags::MS_BIND,
        None::<&str>,
    )
    .map_err(io::Error::from)
}

fn ensure_dir(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(io::Error::other(format!(
            "{} is not a directory",
            path.display()
        ))),
        Err(_) => fs::create_dir_all(path),
    }
}

fn mount_proc(root: &Path) -> io::Result<()> {
    let proc = root.join("proc");
    ensure_dir(&proc)?;
    let flags = MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
    mount(Some("proc"), &proc, Some("proc"), flags, None::<&str>).map_err(io::Error::from)
}

/// A tmpfs /dev with the six device nodes runc creates, the standard symlinks, a private
/// devpts instance, /dev/shm and /dev/mqueue.
fn mount_dev(root: &Path) -> io::Result<()> {
    let dev = root.join("dev");
    ensure_dir(&dev)?;
    mount(
        Some("tmpfs"),
        &dev,
        Some("tmpfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_STRICTATIME,
        Some("mode=755,size=65536k"),
    )
    .map_err(io::Error::from)?;
    for (name, major, minor) in [
        ("null", 1, 3),
        ("zero", 1, 5),
        ("full", 1, 7),
        ("random", 1, 8),
        ("urandom", 1, 9),
        ("tty", 5, 0),
    ] {
        let path = dev.join(name);
        let c = crate::engine::runtime::sys::cstr(&path);
        // SAFETY: mknod with a valid path.
        let rc = unsafe {
            libc::mknod(
                c.as_ptr(),
                libc::S_IFCHR | 0o666,
                libc::makedev(major, minor),
            )
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        fs::set_permissions(&path, fs::Permissions::from_mode(0o666))?;
    }
    for (name, target) in [
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
        ("core", "/proc/kcore"),
        ("ptmx", "pts/ptmx"),
    ] {
        std::os::unix::fs::symlink(target, dev.join(name))?;
    }
    let pts = dev.join("pts");
    fs::create_dir(&pts)?;
    mount(
        Some("devpts"),
        &pts,
        Some("devpts"),
        MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC,
        Some("newinstance,ptmxmode=0666,mode=0620,gid=5"),
    )
    .map_err(io::Error::from)?;
    let shm = dev.join("shm");
    fs::create_dir(&shm)?;
    mount(
        Some("shm"),
        &shm,
        Some("tmpfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
        Some("mode=1777,size=65536k"),
    )
    .map_err(io::Error::from)?;
    let mqueue = dev.join("mqueue");
    fs::create_dir(&mqueue)?;
    // mqueue belongs to the IPC namespace; if the kernel lacks it, carry on without.
    let _ = mount(
        Some("mqueue"),
        &mqueue,
        Some("mqueue"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
        None::<&str>,
    );
    Ok(())
}

fn mount_sys(root: &Path) -> io::Result<()> {
    let sys = root.join("sys");
    ensure_dir(&sys)?;
    let flags = MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC | MsFlags::MS_RDONLY;
    mount(Some("sysfs"), &sys, Some("sysfs"), flags, None::<&str>).map_err(io::Error::from)
}

fn mask_paths(root: &Path) -> io::Result<()> {
    let null = root.join("dev/null");
    let meta = fs::symlink_metadata(&null)?;
    if !meta.file_type().is_char_device() {
        return Err(io::Error::other(
            "/dev/null in the container is not a character device",
        ));
    }
    for path in MASKED_PATHS {
        let target = root.join(&path[1..]);
        let Ok(meta) = fs::symlink_metadata(&target) else {
            continue;
        };
        if meta.is_dir() {
            mount(
                Some("tmpfs"),
                &target,
                Some("tmpfs"),
                MsFlags::MS_RDONLY,
                None::<&str>,
            )
            .map_err(io::Error::from)?;
        } else {
            mount(
                Some(&null),
                &target,
                None::<&str>,
                MsFlags::MS_BIND,
                None::<&str>,
            )
            .map_err(io::Error::from)?;
        }
    }
    for path in READONLY_PATHS {
        let target = root.join(&path[1..]);
        if fs::symlink_metadata(&target).is_err() {
            continue;
        }
        mount(
            Some(&target),
            &target,
            None::<&str>,
            MsFlags::MS_BIND | MsFlags::MS_REC,
            None::<&str>,
        )
        .map_err(io::Error::from)?;
        mount(
            None::<&str>,
            &target,
            None::<&str>,
            MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY | MsFlags::MS_REC,
            None::<&str>,
        )
        .map_err(io::Error::from)?;
    }
    Ok(())
}

/// pivot_root(".", ".") then a lazy unmount of the old root: the runc trick that needs no
/// scratch directory inside the rootfs (pivot_root(2), NOTES).
fn pivot(new_root: &Path) -> io::Result<()> {
    std::env::set_current_dir(new_root)?;
    nix::unistd::pivot_root(".", ".").map_err(io::Error::from)?;
    umount2(".", MntFlags::MNT_DETACH).map_err(io::Error::from)?;
    std::env::set_current_dir("/")
}

/// Creates the container's working directory if the image lacks it (Docker does), owned by
/// the user the process will run as. Runs as root, before the user switch.
pub fn prepare_workdir(workdir: &str, uid: u32, gid: u32) -> io::Result<()> {
    let dir = if workdir.is_empty() { "/" } else { workdir };
    if !Path::new(dir).exists() {
        fs::create_dir_all(dir)?;
        let c = CString::new(dir).map_err(io::Error::other)?;
        // SAFETY: chown with a valid path.
        unsafe { libc::chown(c.as_ptr(), uid, gid) };
    }
    Ok(())
}

/// Enters the working directory and checks getcwd() is inside the container: a leaked
/// directory fd as cwd is how CVE-2024-21626 escaped.
pub fn enter_workdir(workdir: &str) -> io::Result<()> {
    let dir = if workdir.is_empty() { "/" } else { workdir };
    std::env::set_current_dir(dir)?;
    let cwd = std::env::current_dir()?;
    if !cwd.starts_with("/") || cwd.to_string_lossy().contains("(unreachable)") {
        return Err(io::Error::other(
            "working directory is outside the container",
        ));
    }
    Ok(())
}
