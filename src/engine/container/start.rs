//! `start`: spawns the container's monitor and waits until the init has exec'd; when
//! attached, waits for the exit code too, proxying signals like Docker's `--sig-proxy`.

use std::io::{BufRead, BufReader};
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};

use super::{Container, ContainerError};
use crate::engine::Engine;
use crate::engine::runtime::process::StartFailure;
use crate::engine::runtime::{MONITOR_VERB, pty, sys};

/// How the client attaches to the container it starts.
#[derive(Debug, Clone, Copy, Default)]
pub struct Attach {
    /// Stream stdout/stderr to the client and wait for the exit code.
    pub output: bool,
    /// Forward the client's stdin (`-i`).
    pub stdin: bool,
}

/// The fd the monitor reports on: `started <pid>`, `failed <code>\t<msg>`, `exited <code>`.
pub const STATUS_FD: RawFd = 3;

/// What `start` ended with.
#[derive(Debug)]
pub enum Started {
    /// Running in the background.
    Detached,
    /// Attached and finished: the container's exit code.
    Exited(i32),
}

static PENDING_SIGNAL: AtomicI32 = AtomicI32::new(0);

extern "C" fn remember_signal(sig: libc::c_int) {
    PENDING_SIGNAL.store(sig, Ordering::SeqCst);
}

/// Starts a created or exited container.
pub fn start(
    engine: &Engine,
    container: &Container,
    attach: Attach,
) -> Result<Started, ContainerError> {
    if container.is_running() {
        return Ok(Started::Detached);
    }
    let tty = container.record.config.tty;
    let exe = std::env::current_exe()?;
    let (status_r, status_w) = sys::pipe()?;
    let mut cmd = Command::new(exe);
    cmd.arg(MONITOR_VERB)
        .arg(&engine.root)
        .arg(&container.record.id);
    if attach.output {
        cmd.arg("--attach");
        cmd.stdout(Stdio::inherit()).stderr(Stdio::inherit());
    } else {
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
    }
    if attach.stdin {
        cmd.arg("--stdin");
        cmd.stdin(Stdio::inherit());
    } else {
        cmd.stdin(Stdio::null());
    }
    if tty && let Some((rows, cols)) = pty::get_winsize(0).or_else(|| pty::get_winsize(1)) {
        cmd.arg(format!("--winsize={rows}x{cols}"));
    }
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            // Own session: a Ctrl-C on the client's terminal must not reach the monitor.
            libc::setsid();
            if libc::dup2(status_w, STATUS_FD) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let raw_mode = if tty && attach.stdin && pty::is_tty(0) {
        pty::make_raw(0).ok()
    } else {
        None
    };
    let spawned = cmd.spawn();
    sys::close(status_w);
    // SAFETY: status_r is ours and closed exactly once by OwnedFd.
    let status_r = unsafe { OwnedFd::from_raw_fd(status_r) };
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => {
            if let Some(old) = raw_mode {
                pty::restore(0, &old);
            }
            return Err(e.into());
        }
    };
    let mut reader = BufReader::new(std::fs::File::from(status_r));
    let result = wait_started(&mut reader);
    let outcome = match result {
        Err(e) => Err(e),
        Ok(pid) if attach.output => Ok(Started::Exited(wait_exited(&mut reader, pid, tty))),
        Ok(_) => Ok(Started::Detached),
    };
    if let Some(old) = raw_mode {
        pty::restore(0, &old);
    }
    // The monitor double-forks nothing: it is our child until it exits; reap it if it has.
    let _ = child.try_wait();
    outcome
}

fn read_line(reader: &mut impl BufRead) -> Option<String> {
    let mut line = String::new();
    loop {
        match reader.read_line(&mut line) {
            Ok(0) => return None,
            Ok(_) => return Some(line.trim_end_matches('\n').to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return None,
        }
    }
}

fn wait_started(reader: &mut impl BufRead) -> Result<i32, ContainerError> {
    match read_line(reader) {
        Some(line) => {
            if let Some(pid) = line.strip_prefix("started ") {
                Ok(pid.parse().unwrap_or(0))
            } else if let Some(rest) = line.strip_prefix("failed ") {
                let (code, msg) = rest.split_once('\t').unwrap_or(("125", rest));
                Err(ContainerError::Start(StartFailure {
                    code: code.parse().unwrap_or(125),
                    message: msg.to_string(),
                }))
            } else {
                Err(ContainerError::Invalid(format!(
                    "unexpected monitor report: {line}"
                )))
            }
        }
        None => Err(ContainerError::Start(StartFailure {
            code: 125,
            message: "container monitor exited before the container started".into(),
        })),
    }
}

/// Waits for the monitor's `exited` line, forwarding SIGINT/SIGTERM/SIGHUP/SIGQUIT to the
/// container's init meanwhile (Docker's default `--sig-proxy=true` when not on a tty).
fn wait_exited(reader: &mut BufReader<std::fs::File>, pid: i32, tty: bool) -> i32 {
    let signals = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];
    if !tty {
        for sig in signals {
            // SAFETY: installing a handler that only stores an integer.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = remember_signal as *const () as usize;
                libc::sigaction(sig, &action, std::ptr::null_mut());
            }
        }
    }
    let fd = std::os::fd::AsRawFd::as_raw_fd(reader.get_ref());
    loop {
        if reader.buffer().is_empty() && !sys::wait_readable(fd, 200) {
            let sig = PENDING_SIGNAL.swap(0, Ordering::SeqCst);
            if sig != 0 && pid > 0 {
                // SAFETY: kill with integer arguments.
                unsafe { libc::kill(pid, sig) };
            }
            continue;
        }
        match read_line(reader) {
            Some(line) => {
                if let Some(code) = line.strip_prefix("exited ") {
                    return code.parse().unwrap_or(125);
                }
            }
            // The monitor died without reporting: the container went with it.
            None => return 137,
        }
    }
}
