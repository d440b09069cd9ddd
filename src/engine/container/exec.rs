//! `exec`: a new process in a running container's namespaces and cgroup.
//!
//! The client forks a helper that joins the cgroup and the namespaces, and the helper forks
//! the process itself, which is then PID n of the container's PID namespace (setns(2) with
//! CLONE_NEWPID only applies to children). The process marks itself non-dumpable until its
//! execve, so nothing in the container can reach our binary through /proc (CVE-2019-5736).

use std::os::fd::RawFd;

use super::{Container, ContainerError, Status};
use crate::engine::runtime::process::{ProcessSpec, StartFailure, exec_process};
use crate::engine::runtime::{namespaces, pty, sys};

/// Options of `docker exec`.
#[derive(Debug, Clone, Default)]
pub struct ExecOptions {
    pub argv: Vec<String>,
    pub env: Vec<String>,
    pub workdir: Option<String>,
    pub user: Option<String>,
    pub tty: bool,
    pub interactive: bool,
    pub detach: bool,
}

/// Runs the process; returns its exit code (0 at once with `detach`).
pub fn exec(container: &Container, opts: &ExecOptions) -> Result<i32, ContainerError> {
    match container.state.status {
        Status::Running => {}
        Status::Paused => {
            return Err(ContainerError::Invalid(format!(
                "Container {} is paused, unpause the container before exec",
                container.record.id
            )));
        }
        _ => return Err(ContainerError::NotRunning(container.record.id.clone())),
    }
    let record = &container.record;
    let spec = ProcessSpec {
        argv: opts.argv.clone(),
        env: super::create::merge_env(&super::create::process_env(record, opts.tty), &opts.env),
        workdir: opts
            .workdir
            .clone()
            .filter(|w| !w.is_empty())
            .unwrap_or_else(|| record.config.working_dir.clone()),
        user: opts
            .user
            .clone()
            .unwrap_or_else(|| record.config.user.clone()),
    };
    let ns = namespaces::open_namespaces(container.state.pid)?;
    let cgroup = container.cgroup();
    let (err_r, err_w) = sys::pipe()?;
    let socks = if opts.tty {
        let (a, b) = nix::sys::socket::socketpair(
            nix::sys::socket::AddressFamily::Unix,
            nix::sys::socket::SockType::Stream,
            None,
            nix::sys::socket::SockFlag::SOCK_CLOEXEC,
        )
        .map_err(std::io::Error::from)?;
        Some((
            std::os::fd::IntoRawFd::into_raw_fd(a),
            std::os::fd::IntoRawFd::into_raw_fd(b),
        ))
    } else {
        None
    };
    let winsize = if opts.tty {
        pty::get_winsize(0).or_else(|| pty::get_winsize(1))
    } else {
        None
    };

    // SAFETY: the client is single-threaded here.
    let helper = match unsafe { nix::unistd::fork() }.map_err(std::io::Error::from)? {
        nix::unistd::ForkResult::Child => {
            sys::close(err_r);
            if let Some((parent, _)) = socks {
                sys::close(parent);
            }
            let code = helper_main(
                &ns,
                &cgroup,
                &spec,
                opts,
                err_w,
                socks.map(|(_, c)| c),
                winsize,
            );
            // SAFETY: leave without unwinding into the client's code.
            unsafe { libc::_exit(code) }
        }
        nix::unistd::ForkResult::Parent { child } => child,
    };
    drop(ns);
    sys::close(err_w);
    let master = match socks {
        Some((parent, child_sock)) => {
            sys::close(child_sock);
            let m = pty::recv_fd(parent).ok().flatten();
            sys::close(parent);
            m
        }
        None => None,
    };
    let report = sys::read_to_end(err_r).unwrap_or_default();
    sys::close(err_r);
    if !report.is_empty() {
        let _ = nix::sys::wait::waitpid(helper, None);
        let text = String::from_utf8_lossy(&report);
        let (code, msg) = text.split_once('\t').unwrap_or(("126", &text));
        return Err(ContainerError::Start(StartFailure {
            code: code.parse().unwrap_or(126),
            message: msg.to_string(),
        }));
    }
    if opts.detach {
        return Ok(0);
    }
    if let Some(master) = master {
        relay_pty(master, opts.interactive);
        sys::close(master);
    }
    Ok(sys::wait_exit_code(helper.as_raw(), 126))
}

/// The forked helper: join, fork the process, wait for it, exit with its code.
fn helper_main(
    ns: &[(std::fs::File, nix::sched::CloneFlags)],
    cgroup: &crate::engine::runtime::cgroups::Cgroup,
    spec: &ProcessSpec,
    opts: &ExecOptions,
    err_w: RawFd,
    pty_sock: Option<RawFd>,
    winsize: Option<(u16, u16)>,
) -> i32 {
    let fail = |f: StartFailure| -> i32 {
        let _ = sys::write_all(err_w, format!("{}\t{}", f.code, f.message).as_bytes());
        f.code
    };
    if let Err(e) = cgroup.join_self() {
        return fail(StartFailure {
            code: 126,
            message: format!("join cgroup: {e}"),
        });
    }
    if let Err(e) = namespaces::join(ns) {
        return fail(StartFailure {
            code: 126,
            message: format!("setns: {e}"),
        });
    }
    // SAFETY: still single-threaded.
    match unsafe { nix::unistd::fork() } {
        Err(e) => fail(StartFailure {
            code: 126,
            message: format!("fork: {e}"),
        }),
        Ok(nix::unistd::ForkResult::Child) => {
            // SAFETY: prctl with integer arguments.
            unsafe {
                libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
                // An attached exec ends with its client; a detached one outlives it.
                if !opts.detach {
                    libc::prctl(
                        libc::PR_SET_PDEATHSIG,
                        libc::SIGKILL as libc::c_ulong,
                        0,
                        0,
                        0,
                    );
                }
            }
            let result = process_side(spec, opts, pty_sock, winsize);
            let Err(f) = result;
            let code = fail(f);
            // SAFETY: as above.
            unsafe { libc::_exit(code) }
        }
        Ok(nix::unistd::ForkResult::Parent { child }) => {
            sys::close(err_w);
            if let Some(s) = pty_sock {
                sys::close(s);
            }
            if opts.detach {
                // `exec -d`: the process is reparented to the container's init and we
                // leave at once, so no copy of the client's stdout keeps a reader waiting.
                return 0;
            }
            sys::wait_exit_code(child.as_raw(), 126)
        }
    }
}

fn process_side(
    spec: &ProcessSpec,
    opts: &ExecOptions,
    pty_sock: Option<RawFd>,
    winsize: Option<(u16, u16)>,
) -> Result<std::convert::Infallible, StartFailure> {
    let runtime = |what: &str, e: std::io::Error| StartFailure {
        code: 126,
        message: format!("{what}: {e}"),
    };
    nix::unistd::setsid().map_err(|e| runtime("setsid", e.into()))?;
    if let Some(sock) = pty_sock {
        let (master, slave) = pty::open_pair("/dev/ptmx").map_err(|e| runtime("open pty", e))?;
        if let Some((r, c)) = winsize {
            pty::set_winsize(slave, r, c);
        }
        pty::send_fd(sock, master).map_err(|e| runtime("send pty", e))?;
        sys::close(master);
        sys::close(sock);
        pty::become_controlling(slave).map_err(|e| runtime("controlling tty", e))?;
        sys::close(slave);
    } else if !opts.interactive || opts.detach {
        let null = std::fs::File::open("/dev/null").map_err(|e| runtime("open /dev/null", e))?;
        sys::dup2(std::os::fd::AsRawFd::as_raw_fd(&null), 0).map_err(|e| runtime("dup2", e))?;
        if opts.detach {
            sys::dup2(std::os::fd::AsRawFd::as_raw_fd(&null), 1).map_err(|e| runtime("dup2", e))?;
            sys::dup2(std::os::fd::AsRawFd::as_raw_fd(&null), 2).map_err(|e| runtime("dup2", e))?;
        }
    }
    exec_process(spec)
}

/// Client side of `exec -t`: our terminal in raw mode, bytes both ways until the pty closes.
fn relay_pty(master: RawFd, interactive: bool) {
    let raw = if interactive && pty::is_tty(0) {
        pty::make_raw(0).ok()
    } else {
        None
    };
    let mut buf = vec![0u8; 16 * 1024];
    let mut stdin_open = interactive;
    loop {
        let watched: &[RawFd] = if stdin_open { &[master, 0] } else { &[master] };
        let Ok(ready) = sys::poll_readable(watched) else {
            break;
        };
        if stdin_open && ready[1] {
            match sys::read(0, &mut buf) {
                Ok(n) if n > 0 => {
                    let _ = sys::write_all(master, &buf[..n]);
                }
                _ => stdin_open = false,
            }
        }
        if ready[0] {
            match sys::read(master, &mut buf) {
                Ok(n) if n > 0 => {
                    let _ = sys::write_all(1, &buf[..n]);
                }
                _ => break,
            }
        }
    }
    if let Some(old) = raw {
        pty::restore(0, &old);
    }
}
