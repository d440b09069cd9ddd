//! Starting processes in a container: the init (fork into new namespaces, build the rootfs,
//! exec) and the last steps shared with `exec` (user, capabilities, working dir, fd hygiene,
//! PATH lookup, execve) with runc's error texts and Docker's exit codes.

use std::ffi::CString;
use std::fs;

use std::os::fd::RawFd;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::cgroups::Cgroup;
use super::rootfs::RootfsSpec;
use super::sys;

/// The process to run: argv, environment, working directory, user and terminal.
#[derive(Debug, Clone, Default)]
pub struct ProcessSpec {
    pub argv: Vec<String>,
    pub env: Vec<String>,
    pub workdir: String,
    /// `-u`: `name`, `uid`, `name:group` or `uid:gid`; empty means root.
    pub user: String,
}

/// Everything the container's init needs.
#[derive(Debug, Clone)]
pub struct InitSpec {
    pub hostname: String,
    pub rootfs: RootfsSpec,
    pub process: ProcessSpec,
    /// False for `--network host`.
    pub own_network: bool,
    pub cgroup: Cgroup,
    pub tty: bool,
    pub winsize: Option<(u16, u16)>,
}

/// Why a process could not be started, with the code Docker exits with: 127 when the
/// command is not found, 126 when it cannot be executed, 125 for any other runtime failure.
#[derive(Debug, Clone, PartialEq)]
pub struct StartFailure {
    pub code: i32,
    /// runc's wording, e.g. `exec: "nosuch": executable file not found in $PATH`.
    pub message: String,
}

impl StartFailure {
    fn runtime(context: &str, err: impl std::fmt::Display) -> Self {
        StartFailure {
            code: 125,
            message: format!("{context}: {err}"),
        }
    }

    fn encode(&self) -> String {
        format!("{}\t{}", self.code, self.message)
    }

    fn decode(data: &[u8]) -> Self {
        let text = String::from_utf8_lossy(data);
        match text.split_once('\t') {
            Some((code, msg)) => StartFailure {
                code: code.parse().unwrap_or(125),
                message: msg.to_string(),
            },
            None => StartFailure {
                code: 125,
                message: text.into_owned(),
            },
        }
    }
}

/// Where the init's stdio goes: pipes set up by the monitor, or a pty made inside.
#[derive(Debug, Clone, Copy)]
pub struct InitStdio {
    pub stdin: RawFd,
    pub stdout: RawFd,
    pub stderr: RawFd,
}

/// A started init: its host PID and, with `-t`, the pty master.
#[derive(Debug)]
pub struct InitChild {
    pub pid: i32,
    pub pty_master: Option<RawFd>,
}

/// Forks the container's init into new namespaces and waits until it has exec'd (or failed).
///
/// The caller enters the new PID namespace first with unshare(CLONE_NEWPID), so the child
/// here is PID 1. The child reports failures through a close-on-exec pipe: end of file
/// without data means execve succeeded.
pub fn spawn_init(spec: &InitSpec, stdio: Option<InitStdio>) -> Result<InitChild, StartFailure> {
    let (err_r, err_w) = sys::pipe().map_err(|e| StartFailure::runtime("pipe", e))?;
    // The init waits on this pipe before its execve until the parent has moved it into
    // the cgroup. Moving a task costs an RCU grace period on cgroup v1 (several ms), so the
    // parent does it while the child builds its rootfs instead of before.
    let (go_r, go_w) = sys::pipe().map_err(|e| StartFailure::runtime("pipe", e))?;
    let socks = if spec.tty {
        let (a, b) = nix::sys::socket::socketpair(
            nix::sys::socket::AddressFamily::Unix,
            nix::sys::socket::SockType::Stream,
            None,
            nix::sys::socket::SockFlag::SOCK_CLOEXEC,
        )
        .map_err(|e| StartFailure::runtime("socketpair", e))?;
        Some((
            std::os::fd::IntoRawFd::into_raw_fd(a),
            std::os::fd::IntoRawFd::into_raw_fd(b),
        ))
    } else {
        None
    };
    // SAFETY: the monitor is single-threaded, so the child may allocate after fork.
    match unsafe { nix::unistd::fork() } {
        Err(e) => Err(StartFailure::runtime("fork", e)),
        Ok(nix::unistd::ForkResult::Child) => {
            sys::close(err_r);
            sys::close(go_w);
            if let Some((parent, _)) = socks {
                sys::close(parent);
            }
            let Err(failure) = init_child(spec, stdio, socks.map(|(_, child)| child), go_r);
            let _ = sys::write_all(err_w, failure.encode().as_bytes());
            // SAFETY: leave without running the parent's atexit handlers or destructors.
            unsafe { libc::_exit(failure.code) }
        }
        Ok(nix::unistd::ForkResult::Parent { child }) => {
            sys::close(err_w);
            sys::close(go_r);
            let joined = spec.cgroup.add_pid(child.as_raw());
            if joined.is_ok() {
                let _ = sys::write_all(go_w, b"g");
            }
            sys::close(go_w);
            let pty_master = match socks {
                Some((parent, child_sock)) => {
                    sys::close(child_sock);
                    let master = super::pty::recv_fd(parent).ok().flatten();
                    sys::close(parent);
                    master
                }
                None => None,
            };
            let report = sys::read_to_end(err_r).unwrap_or_default();
            sys::close(err_r);
            if report.is_empty() {
                Ok(InitChild {
                    pid: child.as_raw(),
                    pty_master,
                })
            } else {
                let _ = nix::sys::wait::waitpid(child, None);
                if let Some(m) = pty_master {
                    sys::close(m);
                }
                Err(StartFailure::decode(&report))
            }
        }
    }
}

/// The init's side of the fork: the container checklist, in order.
fn init_child(
    spec: &InitSpec,
    stdio: Option<InitStdio>,
    pty_sock: Option<RawFd>,
    go: RawFd,
) -> Result<std::convert::Infallible, StartFailure> {
    // If the monitor dies, so does the container (it would have nobody to reap it or log it).
    // SAFETY: prctl with integer arguments.
    unsafe {
        libc::prctl(
            libc::PR_SET_PDEATHSIG,
            libc::SIGKILL as libc::c_ulong,
            0,
            0,
            0,
        )
    };
    nix::unistd::setsid().map_err(|e| StartFailure::runtime("setsid", e))?;
    if let Some(io) = stdio {
        for (from, to) in [(io.stdin, 0), (io.stdout, 1), (io.stderr, 2)] {
            sys::dup2(from, to).map_err(|e| StartFailure::runtime("dup2", e))?;
        }
    }
    nix::sched::unshare(super::namespaces::init_flags(spec.own_network))
        .map_err(|e| StartFailure::runtime("unshare", e))?;
    nix::unistd::sethostname(&spec.hostname)
        .map_err(|e| StartFailure::runtime("sethostname", e))?;
    super::rootfs::setup(&spec.rootfs).map_err(|e| StartFailure::runtime("rootfs", e))?;
    if spec.own_network {
        super::namespaces::loopback_up().map_err(|e| StartFailure::runtime("loopback", e))?;
    }
    if let Some(sock) = pty_sock {
        let (master, slave) =
            super::pty::open_pair("/dev/ptmx").map_err(|e| StartFailure::runtime("open pty", e))?;
        if let Some((rows, cols)) = spec.winsize {
            super::pty::set_winsize(slave, rows, cols);
        }
        super::pty::send_fd(sock, master).map_err(|e| StartFailure::runtime("send pty", e))?;
        sys::close(master);
        sys::close(sock);
        super::pty::become_controlling(slave)
            .map_err(|e| StartFailure::runtime("controlling tty", e))?;
        sys::close(slave);
    }
    // Nothing may run in the container before it is inside its cgroup.
    let mut byte = [0u8; 1];
    if sys::read(go, &mut byte).unwrap_or(0) != 1 {
        return Err(StartFailure::runtime(
            "join cgroup",
            "the monitor could not move the container into its cgroup",
        ));
    }
    sys::close(go);
    exec_process(&spec.process)
}

/// A user resolved against the container's /etc/passwd and /etc/group.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedUser {
    pub uid: u32,
    pub gid: u32,
    pub home: String,
    pub groups: Vec<u32>,
}

/// Resolves `-u` the way runc's libcontainer/user does: names through /etc/passwd and
/// /etc/group of the container, numbers taken as they are.
pub fn resolve_user(spec: &str, passwd: &str, group: &str) -> Result<ResolvedUser, String> {
    let (user_part, group_part) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec, None),
    };
    let user_part = if user_part.is_empty() {
        "root"
    } else {
        user_part
    };
    let entries: Vec<Vec<&str>> = passwd
        .lines()
        .map(|l| l.split(':').collect())
        .filter(|f: &Vec<&str>| f.len() >= 7)
        .collect();
    let by_name = entries.iter().find(|f| f[0] == user_part);
    let (uid, mut gid, home, name) = match (by_name, user_part.parse::<u32>()) {
        (Some(f), _) => (
            f[2].parse().unwrap_or(0),
            f[3].parse().unwrap_or(0),
            f[5].to_string(),
            f[0].to_string(),
        ),
        (None, Ok(uid)) => match entries.iter().find(|f| f[2].parse() == Ok(uid)) {
            Some(f) => (
                uid,
                f[3].parse().unwrap_or(0),
                f[5].to_string(),
                f[0].to_string(),
            ),
            None => (uid, 0, "/".to_string(), String::new()),
        },
        // No user given and no passwd entry (hello-world has no /etc/passwd at all): root,
        // with runc's default home.
        (None, Err(_)) if spec.is_empty() || spec.starts_with(':') => {
            (0, 0, "/".to_string(), String::new())
        }
        (None, Err(_)) => {
            return Err(format!(
                "unable to find user {user_part}: no matching entries in passwd file"
            ));
        }
    };
    let groups_table: Vec<Vec<&str>> = group
        .lines()
        .map(|l| l.split(':').collect())
        .filter(|f: &Vec<&str>| f.len() >= 4)
        .collect();
    if let Some(g) = group_part {
        gid = match groups_table.iter().find(|f| f[0] == g) {
            Some(f) => f[2].parse().unwrap_or(0),
            None => g.parse().map_err(|_| {
                format!("unable to find group {g}: no matching entries in group file")
            })?,
        };
    }
    let mut groups = vec![gid];
    if !name.is_empty() && group_part.is_none() {
        for f in &groups_table {
            if f[3].split(',').any(|m| m == name)
                && let Ok(g) = f[2].parse::<u32>()
                && !groups.contains(&g)
            {
                groups.push(g);
            }
        }
    }
    Ok(ResolvedUser {
        uid,
        gid,
        home,
        groups,
    })
}

/// The last steps inside the container: user, capabilities, environment, working dir, fd
/// hygiene, then execve. Returns only on failure.
pub fn exec_process(spec: &ProcessSpec) -> Result<std::convert::Infallible, StartFailure> {
    let passwd = fs::read_to_string("/etc/passwd").unwrap_or_default();
    let group = fs::read_to_string("/etc/group").unwrap_or_default();
    let user = resolve_user(&spec.user, &passwd, &group).map_err(|m| StartFailure {
        code: 126,
        message: m,
    })?;
    let mut env = spec.env.clone();
    // runc adds HOME from the passwd entry when the image and user did not set it.
    if !env.iter().any(|e| e.starts_with("HOME=")) {
        env.push(format!(
            "HOME={}",
            if user.home.is_empty() {
                "/"
            } else {
                &user.home
            }
        ));
    }
    super::capabilities::apply_docker_default()
        .map_err(|e| StartFailure::runtime("capabilities", e))?;
    super::rootfs::prepare_workdir(&spec.workdir, user.uid, user.gid).map_err(|e| {
        StartFailure::runtime(
            &format!("mkdir {}", spec.workdir),
            crate::engine::io_text(&e),
        )
    })?;
    let groups: Vec<nix::unistd::Gid> = user
        .groups
        .iter()
        .map(|&g| nix::unistd::Gid::from_raw(g))
        .collect();
    nix::unistd::setgroups(&groups).map_err(|e| StartFailure::runtime("setgroups", e))?;
    nix::unistd::setgid(nix::unistd::Gid::from_raw(user.gid))
        .map_err(|e| StartFailure::runtime("setgid", e))?;
    // setuid from 0 to non-zero clears the permitted and effective sets, as for any
    // non-root user under Docker (capabilities(7)).
    nix::unistd::setuid(nix::unistd::Uid::from_raw(user.uid))
        .map_err(|e| StartFailure::runtime("setuid", e))?;
    super::rootfs::enter_workdir(&spec.workdir).map_err(|e| {
        StartFailure::runtime(
            &format!(
                "chdir to cwd (\"{}\") set in config.json failed",
                spec.workdir
            ),
            crate::engine::io_text(&e),
        )
    })?;
    sys::cloexec_from(3);
    let argv0 = spec.argv.first().cloned().unwrap_or_default();
    let path_env = env
        .iter()
        .find_map(|e| e.strip_prefix("PATH="))
        .unwrap_or("");
    let program = look_path(&argv0, path_env)?;
    let c_argv: Vec<CString> = spec
        .argv
        .iter()
        .map(|a| CString::new(a.as_str()).unwrap_or_default())
        .collect();
    let c_env: Vec<CString> = env
        .iter()
        .map(|a| CString::new(a.as_str()).unwrap_or_default())
        .collect();
    let c_prog = CString::new(program.as_str()).unwrap_or_default();
    let err = nix::unistd::execve(&c_prog, &c_argv, &c_env).unwrap_err();
    Err(match err {
        nix::errno::Errno::EACCES | nix::errno::Errno::EISDIR => StartFailure {
            code: 126,
            message: format!("exec: \"{argv0}\": permission denied"),
        },
        nix::errno::Errno::ENOENT => StartFailure {
            code: 127,
            message: format!("exec: \"{argv0}\": no such file or directory"),
        },
        nix::errno::Errno::ENOEXEC => StartFailure {
            code: 126,
            message: format!("exec: \"{argv0}\": exec format error"),
        },
        other => StartFailure {
            code: 126,
            message: format!("exec: \"{argv0}\": {}", other.desc().to_lowercase()),
        },
    })
}

/// Go's exec.LookPath as runc uses it: a name with a slash is taken as is; otherwise the
/// first regular file with an execute bit along PATH.
fn look_path(name: &str, path_env: &str) -> Result<String, StartFailure> {
    if name.is_empty() {
        return Err(StartFailure {
            code: 127,
            message: "exec: \"\": executable file not found in $PATH".into(),
        });
    }
    if name.contains('/') {
        if fs::metadata(name).is_err() {
            return Err(StartFailure {
                code: 127,
                message: format!("exec: \"{name}\": stat {name}: no such file or directory"),
            });
        }
        return Ok(name.to_string());
    }
    for dir in path_env.split(':') {
        let dir = if dir.is_empty() { "." } else { dir };
        let candidate = Path::new(dir).join(name);
        if let Ok(meta) = fs::metadata(&candidate)
            && meta.is_file()
            && meta.permissions().mode() & 0o111 != 0
        {
            return Ok(candidate.display().to_string());
        }
    }
    Err(StartFailure {
        code: 127,
        message: format!("exec: \"{name}\": executable file not found in $PATH"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\nbob:x:1000:1000::/home/bob:/bin/sh\n";
    const GROUP: &str = "root:x:0:root\nwheel:x:10:root,bob\nstaff:x:50:\nbob:x:1000:\n";

    #[test]
    fn root_by_default_with_supplementary_groups() {
        let u = resolve_user("", PASSWD, GROUP).unwrap();
        assert_eq!((u.uid, u.gid, u.home.as_str()), (0, 0, "/root"));
        assert_eq!(u.groups, vec![0, 10]);
    }

    #[test]
    fn default_user_needs_no_passwd_file() {
        let u = resolve_user("", "", "").unwrap();
        assert_eq!((u.uid, u.gid, u.home.as_str()), (0, 0, "/"));
        assert!(resolve_user("root", "", "").is_err());
    }

    #[test]
    fn names_numbers_and_groups() {
        assert_eq!(resolve_user("bob", PASSWD, GROUP).unwrap().uid, 1000);
        let u = resolve_user("1000:staff", PASSWD, GROUP).unwrap();
        assert_eq!((u.uid, u.gid, u.home.as_str()), (1000, 50, "/home/bob"));
        let u = resolve_user("4242", PASSWD, GROUP).unwrap();
        assert_eq!((u.uid, u.gid, u.home.as_str()), (4242, 0, "/"));
    }

    #[test]
    fn unknown_user_is_an_error_with_runc_wording() {
        let err = resolve_user("ghost", PASSWD, GROUP).unwrap_err();
        assert_eq!(
            err,
            "unable to find user ghost: no matching entries in passwd file"
        );
        assert!(resolve_user("bob:nogroup", PASSWD, GROUP).is_err());
    }

    #[test]
    fn look_path_follows_path_and_reports_like_runc() {
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("tool");
        fs::write(&exe, "#!/bin/sh\n").unwrap();
        fs::set_permissions(&exe, fs::Permissions::from_mode(0o755)).unwrap();
        fs::write(dir.path().join("data"), "").unwrap();
        let path = format!("/nonexistent:{}", dir.path().display());
        assert_eq!(look_path("tool", &path).unwrap(), exe.display().to_string());
        let missing = look_path("data", &path).unwrap_err();
        assert_eq!(
            (missing.code, missing.message.as_str()),
            (127, "exec: \"data\": executable file not found in $PATH")
        );
        let abs = look_path("/no/such", &path).unwrap_err();
        assert_eq!(
            abs.message,
            "exec: \"/no/such\": stat /no/such: no such file or directory"
        );
    }

    #[test]
    fn failures_round_trip_through_the_pipe_encoding() {
        let f = StartFailure {
            code: 126,
            message: "exec: \"/etc\": permission denied".into(),
        };
        assert_eq!(StartFailure::decode(f.encode().as_bytes()), f);
    }
}
