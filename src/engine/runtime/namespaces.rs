//! Namespaces: which ones a container gets, joining them for `exec`, and the loopback device.
//!
//! A container gets new mount, PID, UTS, IPC and network namespaces (`--network host`
//! keeps the host's network namespace). The PID namespace is entered by the monitor with
//! unshare(2) before it forks, so the forked child is PID 1 (pid_namespaces(7)).

use std::io;
use std::os::fd::AsRawFd;

use nix::sched::CloneFlags;

use super::sys::cvt;

/// Namespaces the container's init unshares after the fork.
pub fn init_flags(own_network: bool) -> CloneFlags {
    let mut flags = CloneFlags::CLONE_NEWNS | CloneFlags::CLONE_NEWUTS | CloneFlags::CLONE_NEWIPC;
    if own_network {
        flags |= CloneFlags::CLONE_NEWNET;
    }
    flags
}

/// The namespaces `exec` joins, in the order setns(2) needs: the mount namespace last,
/// since after it the host's /proc is no longer reachable.
pub const EXEC_NAMESPACES: [(&str, CloneFlags); 5] = [
    ("ipc", CloneFlags::CLONE_NEWIPC),
    ("uts", CloneFlags::CLONE_NEWUTS),
    ("net", CloneFlags::CLONE_NEWNET),
    ("pid", CloneFlags::CLONE_NEWPID),
    ("mnt", CloneFlags::CLONE_NEWNS),
];

/// Opens `/proc/<pid>/ns/*` of a running container, to join them later.
pub fn open_namespaces(pid: i32) -> io::Result<Vec<(std::fs::File, CloneFlags)>> {
    let own = std::fs::read_link("/proc/self/ns/net").ok();
    let mut out = Vec::new();
    for (name, flag) in EXEC_NAMESPACES {
        let path = format!("/proc/{pid}/ns/{name}");
        // `--network host`: joining our own network namespace again is harmless, skip it.
        if name == "net" && std::fs::read_link(&path).ok() == own {
            continue;
        }
        out.push((std::fs::File::open(path)?, flag));
    }
    Ok(out)
}

/// setns(2) into each opened namespace.
pub fn join(namespaces: &[(std::fs::File, CloneFlags)]) -> io::Result<()> {
    for (file, flag) in namespaces {
        nix::sched::setns(file, *flag).map_err(io::Error::from)?;
    }
    Ok(())
}

/// Brings `lo` up in the current network namespace (a new one starts with it down), the
/// same SIOCSIFFLAGS ioctl `ip link set lo up` makes.
pub fn loopback_up() -> io::Result<()> {
    // SAFETY: socket with constant arguments.
    let fd = cvt(unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) })?;
    let sock = unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) };
    // SAFETY: ifreq is plain old data; zeroed is a valid value.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    for (dst, src) in req.ifr_name.iter_mut().zip(b"lo\0") {
        *dst = *src as libc::c_char;
    }
    // SAFETY: SIOCGIFFLAGS/SIOCSIFFLAGS take a pointer to ifreq.
    cvt(unsafe { libc::ioctl(sock.as_raw_fd(), libc::SIOCGIFFLAGS, &mut req) })?;
    unsafe {
        req.ifr_ifru.ifru_flags |= (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
    }
    cvt(unsafe { libc::ioctl(sock.as_raw_fd(), libc::SIOCSIFFLAGS, &req) })?;
    Ok(())
}
