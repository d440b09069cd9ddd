//! Thin helpers over raw syscalls used between fork and exec, where only async-signal-safe,
//! allocation-light code belongs.

use std::ffi::CString;
use std::io;
use std::os::fd::RawFd;
use std::path::Path;

/// Turns a `-1` return into the errno as `io::Error`.
pub fn cvt(rc: libc::c_int) -> io::Result<libc::c_int> {
    if rc == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc)
    }
}

pub fn cstr(path: &Path) -> CString {
    use std::os::unix::ffi::OsStrExt;
    CString::new(path.as_os_str().as_bytes()).expect("path without NUL")
}

/// A pipe whose both ends are close-on-exec.
pub fn pipe() -> io::Result<(RawFd, RawFd)> {
    let mut fds = [0; 2];
    // SAFETY: fds is a valid two-int array.
    cvt(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) })?;
    Ok((fds[0], fds[1]))
}

pub fn close(fd: RawFd) {
    if fd >= 0 {
        // SAFETY: closing an fd we own; errors are irrelevant here.
        unsafe { libc::close(fd) };
    }
}

/// dup2 that clears close-on-exec on the target (dup2 never copies the flag).
pub fn dup2(from: RawFd, to: RawFd) -> io::Result<()> {
    if from == to {
        // SAFETY: plain fcntl on an fd we own.
        let flags = cvt(unsafe { libc::fcntl(from, libc::F_GETFD) })?;
        cvt(unsafe { libc::fcntl(from, libc::F_SETFD, flags & !libc::FD_CLOEXEC) })?;
        return Ok(());
    }
    // SAFETY: both are fds; dup2 is async-signal-safe.
    cvt(unsafe { libc::dup2(from, to) }).map(|_| ())
}

/// Writes all of `data`, retrying on EINTR and short writes.
pub fn write_all(fd: RawFd, mut data: &[u8]) -> io::Result<()> {
    while !data.is_empty() {
        // SAFETY: data is a valid slice.
        let n = unsafe { libc::write(fd, data.as_ptr().cast(), data.len()) };
        if n < 0 {
            let err = io::Error::last_os_error();
            if err.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(err);
        }
        data = &data[n as usize..];
    }
    Ok(())
}

/// One read; `Ok(0)` at end of file. Retries on EINTR.
pub fn read(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        // SAFETY: buf is a valid mutable slice.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n >= 0 {
            return Ok(n as usize);
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// Reads until end of file.
pub fn read_to_end(fd: RawFd) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match read(fd, &mut buf)? {
            0 => return Ok(out),
            n => out.extend_from_slice(&buf[..n]),
        }
    }
}

/// Marks every fd from `first` up close-on-exec (close_range(2) with CLOSE_RANGE_CLOEXEC,
/// Linux 5.11). Leaked host fds are how CVE-2024-21626 gave containers a host cwd; marking
/// rather than closing keeps our own error pipe usable until the exec succeeds.
pub fn cloexec_from(first: u32) {
    const CLOSE_RANGE_CLOEXEC: libc::c_uint = 1 << 2;
    // SAFETY: raw syscall with integer arguments.
    let rc = unsafe { libc::syscall(libc::SYS_close_range, first, u32::MAX, CLOSE_RANGE_CLOEXEC) };
    if rc != 0 {
        // Older kernels: walk /proc/self/fd instead.
        if let Ok(dir) = std::fs::read_dir("/proc/self/fd") {
            let fds: Vec<i32> = dir
                .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .filter(|&fd: &i32| fd >= first as i32)
                .collect();
            for fd in fds {
                // SAFETY: setting a flag on an fd; a stale fd just fails.
                unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
            }
        }
    }
}

/// pidfd_open(2): an fd that becomes readable when `pid` exits, usable by non-parents.
pub fn pidfd_open(pid: i32) -> io::Result<RawFd> {
    // SAFETY: raw syscall with integer arguments.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(fd as RawFd)
    }
}

/// Waits until `fd` is readable or `timeout_ms` passes (-1: forever). True if readable.
pub fn wait_readable(fd: RawFd, timeout_ms: i32) -> bool {
    let mut pfd = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    loop {
        // SAFETY: one valid pollfd.
        let rc = unsafe { libc::poll(&mut pfd, 1, timeout_ms) };
        if rc >= 0 {
            return rc > 0;
        }
        if io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            return false;
        }
    }
}

/// Waits for process `pid` (any process, not only a child) to exit, up to `timeout_ms`
/// (-1: forever). True if it is gone. Uses a pidfd so there is no polling loop.
pub fn wait_pid_gone(pid: i32, timeout_ms: i32) -> bool {
    if pid <= 0 {
        return true;
    }
    match pidfd_open(pid) {
        Ok(fd) => {
            let gone = wait_readable(fd, timeout_ms);
            close(fd);
            gone
        }
        Err(e) if e.raw_os_error() == Some(libc::ESRCH) => true,
        Err(_) => !pid_alive(pid),
    }
}

/// True if a process with this PID exists (zombies count as gone).
pub fn pid_alive(pid: i32) -> bool {
    if pid <= 0 {
        return false;
    }
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            // Field 3, after the parenthesised command name.
            let state = stat
                .rsplit_once(')')
                .map(|(_, rest)| rest.trim_start().chars().next());
            !matches!(state, Some(Some('Z')) | Some(Some('X')))
        }
        Err(_) => false,
    }
}

/// Blocks until at least one of `fds` is readable (or hung up); one flag per fd. Retries
/// on EINTR.
pub fn poll_readable(fds: &[RawFd]) -> io::Result<Vec<bool>> {
    let mut pfds: Vec<libc::pollfd> = fds
        .iter()
        .map(|&fd| libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    loop {
        // SAFETY: pfds is a valid array of pollfd.
        let rc = unsafe { libc::poll(pfds.as_mut_ptr(), pfds.len() as libc::nfds_t, -1) };
        if rc >= 0 {
            return Ok(pfds.iter().map(|p| p.revents != 0).collect());
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// waitpid(2) for a child; a death by signal becomes 128 + signal, as shells and Docker
/// report it. `lost` is returned if the child cannot be waited for.
pub fn wait_exit_code(pid: i32, lost: i32) -> i32 {
    use nix::sys::wait::{WaitStatus, waitpid};
    loop {
        match waitpid(nix::unistd::Pid::from_raw(pid), None) {
            Ok(WaitStatus::Exited(_, code)) => return code,
            Ok(WaitStatus::Signaled(_, sig, _)) => return 128 + sig as i32,
            Ok(_) | Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => return lost,
        }
    }
}
