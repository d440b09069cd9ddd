//! The lab host: a private network namespace, engine root and home, and running commands in it.
//!
//! `lab run` re-executes the binary as a hidden child (`docklab --root DIR/root lab __host`)
//! whose `pre_exec` calls unshare(CLONE_NEWNET | CLONE_NEWNS) (unshare(2)), makes every
//! mount private (mount_namespaces(7): otherwise the engine's overlay mounts would propagate
//! to the host through a shared `/`) and brings `lo` up with SIOCSIFFLAGS (netdevice(7)). The
//! child runs the lab's commands and streams results to the parent as JSON lines; when it
//! exits, the last process of the namespace is gone, and with it the network namespace.
//!
//! Each command runs as `/bin/sh -c TEXT` in its own process group with a clean environment
//! (`LANG=C`, `HOME` and cwd the private home, `DOCKLAB_ROOT` the private root, `PATH` led by
//! a directory whose `docker` is a link to this binary) and one pipe for both stdout and
//! stderr, so the two stay in the order they were written. A command that outlives the lab's
//! timeout gets its whole process group killed and keeps the output it had written.
//!
//! The host is a child subreaper (prctl(2) PR_SET_CHILD_SUBREAPER): whatever a command leaves
//! behind (a daemonised container monitor, a stray `sleep &`) is re-parented to it, so at the
//! end it can remove every container through the sandbox's `docker` (`docker ps -aq`, then
//! `docker rm -f …`: the engine's public contract), kill what is still alive and reap it.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::{Duration, Instant};

use regex::Regex;

use super::format::Input;

/// Set by SIGINT/SIGTERM/SIGHUP in the host: stop after the current command and clean up.
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);
/// Process group of the command now running (0: none), killed on interrupt.
static CURRENT_PGID: AtomicI32 = AtomicI32::new(0);
/// This process is the lab host (a subreaper running one command at a time), so every
/// other exited child is an orphan it may reap.
static IS_HOST: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_sig: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
    let pg = CURRENT_PGID.load(Ordering::SeqCst);
    if pg > 0 {
        // kill(2) is async-signal-safe.
        unsafe { libc::kill(-pg, libc::SIGKILL) };
    }
}

/// Installs the host's signal handlers and makes it a subreaper.
pub fn install_host_handlers() {
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_signal as *const () as usize;
        libc::sigemptyset(&mut sa.sa_mask);
        for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    }
    IS_HOST.store(true, Ordering::SeqCst);
}

/// The private directories of one lab run.
#[derive(Debug, Clone)]
pub struct Sandbox {
    pub dir: PathBuf,
}

impl Sandbox {
    pub fn root(&self) -> PathBuf {
        self.dir.join("root")
    }
    pub fn home(&self) -> PathBuf {
        self.dir.join("home")
    }
    pub fn bin(&self) -> PathBuf {
        self.dir.join("bin")
    }

    /// Creates `root/`, `home/` and `bin/docker -> current_exe`.
    pub fn populate(&self) -> anyhow::Result<()> {
        use anyhow::Context;
        for d in [self.root(), self.home(), self.bin()] {
            std::fs::create_dir_all(&d)
                .with_context(|| format!("cannot create {}", d.display()))?;
        }
        let exe = std::env::current_exe().context("cannot find the docklab binary")?;
        std::os::unix::fs::symlink(&exe, self.bin().join("docker"))
            .with_context(|| format!("cannot link {}", self.bin().join("docker").display()))?;
        Ok(())
    }

    /// The environment every command gets.
    pub fn env(&self, term: &str) -> Vec<(String, String)> {
        let mut env = vec![
            (
                "PATH".to_string(),
                format!(
                    "{}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    self.bin().display()
                ),
            ),
            ("HOME".into(), self.home().display().to_string()),
            ("PWD".into(), self.home().display().to_string()),
            ("LANG".into(), "C".into()),
            ("TERM".into(), term.into()),
            ("USER".into(), "root".into()),
            ("DOCKLAB_ROOT".into(), self.root().display().to_string()),
        ];
        // Engine settings (say, where the offline catalog lives) pass through.
        for (k, v) in std::env::vars() {
            if k.starts_with("DOCKLAB_") && k != "DOCKLAB_ROOT" {
                env.push((k, v));
            }
        }
        env
    }
}

/// What running one command produced.
#[derive(Debug, Clone, Default)]
pub struct Exec {
    pub output: String,
    /// Exit status; 128+N when killed by signal N; `None` when it could not be started.
    pub code: Option<i32>,
    pub timed_out: bool,
    pub interrupted: bool,
    pub error: Option<String>,
    pub duration: Duration,
}

fn status_code(st: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    st.code().unwrap_or_else(|| 128 + st.signal().unwrap_or(0))
}

fn poll_in(fd: i32, ms: i32) -> bool {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let r = unsafe { libc::poll(&mut p, 1, ms) };
    r > 0
}

/// Reads what is available; `Ok(false)` at end of file (or EIO: the pty slave is closed).
fn read_some(fd: &OwnedFd, buf: &mut Vec<u8>) -> bool {
    let mut chunk = [0u8; 8192];
    let n = unsafe { libc::read(fd.as_raw_fd(), chunk.as_mut_ptr().cast(), chunk.len()) };
    if n > 0 {
        buf.extend_from_slice(&chunk[..n as usize]);
        true
    } else if n == 0 {
        false
    } else {
        let e = std::io::Error::last_os_error();
        matches!(e.raw_os_error(), Some(libc::EINTR) | Some(libc::EAGAIN))
    }
}

fn set_nonblocking(fd: &OwnedFd) {
    unsafe {
        let fl = libc::fcntl(fd.as_raw_fd(), libc::F_GETFL);
        libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, fl | libc::O_NONBLOCK);
    }
}

/// Reaps re-parented orphans without touching `keep` (std waits for that one itself).
fn reap_orphans(keep: i32) {
    // Elsewhere (unit tests run commands from several threads) another thread's child
    // could be taken for an orphan.
    if !IS_HOST.load(Ordering::SeqCst) {
        return;
    }
    loop {
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let r = unsafe {
            libc::waitid(
                libc::P_ALL,
                0,
                &mut info,
                libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
            )
        };
        let pid = unsafe { info.si_pid() };
        if r != 0 || pid == 0 || pid == keep {
            return;
        }
        unsafe { libc::waitpid(pid, std::ptr::null_mut(), 0) };
    }
}

/// `/bin/sh -c TEXT` in the sandbox: a clean environment (with `TERM=term`) and the private
/// home as the working directory. The caller wires up stdio.
fn shell(sb: &Sandbox, text: &str, term: &str) -> Command {
    let mut cmd = Command::new("/bin/sh");
    cmd.arg("-c")
        .arg(text)
        .env_clear()
        .envs(sb.env(term))
        .current_dir(sb.home());
    cmd
}

/// Takes a spawned command's child and registers its process group as the one a Ctrl-C
/// kills; records a spawn failure in `exec` instead.
fn track(
    spawned: std::io::Result<std::process::Child>,
    exec: &mut Exec,
) -> Option<(std::process::Child, i32)> {
    match spawned {
        Ok(child) => {
            let pid = child.id() as i32;
            CURRENT_PGID.store(pid, Ordering::SeqCst);
            Some((child, pid))
        }
        Err(e) => {
            exec.error = Some(format!("/bin/sh: {e}"));
            None
        }
    }
}

/// Runs `text` through `/bin/sh -c` with merged output and a timeout.
pub fn run_plain(sb: &Sandbox, text: &str, timeout: Duration) -> Exec {
    let start = Instant::now();
    let mut exec = Exec::default();
    let (r, w) = match nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC) {
        Ok(p) => p,
        Err(e) => {
            exec.error = Some(format!("pipe: {e}"));
            return exec;
        }
    };
    let spawned = {
        let w2 = match w.try_clone() {
            Ok(w2) => w2,
            Err(e) => {
                exec.error = Some(format!("pipe: {e}"));
                return exec;
            }
        };
        let mut cmd = shell(sb, text, "dumb");
        cmd.stdin(Stdio::null())
            .stdout(Stdio::from(w))
            .stderr(Stdio::from(w2))
            .process_group(0);
        cmd.spawn()
        // `cmd` (holding the pipe's write ends) is dropped here, so EOF can come.
    };
    let Some((mut child, pid)) = track(spawned, &mut exec) else {
        return exec;
    };
    set_nonblocking(&r);
    let deadline = start + timeout;
    let mut buf = Vec::new();
    let mut eof = false;
    let status = loop {
        if !eof && poll_in(r.as_raw_fd(), 20) {
            eof = !read_some(&r, &mut buf);
        } else if eof {
            std::thread::sleep(Duration::from_millis(5));
        }
        if let Ok(Some(st)) = child.try_wait() {
            break Some(st);
        }
        reap_orphans(pid);
        if INTERRUPTED.load(Ordering::SeqCst) {
            exec.interrupted = true;
            unsafe { libc::kill(-pid, libc::SIGKILL) };
            break child.wait().ok();
        }
        if Instant::now() >= deadline {
            exec.timed_out = true;
            // The whole group: `sh -c 'a | b'` has more than one process.
            unsafe { libc::kill(-pid, libc::SIGKILL) };
            break child.wait().ok();
        }
    };
    CURRENT_PGID.store(0, Ordering::SeqCst);
    // The handler may have killed the command before the loop looked at the flag.
    exec.interrupted |= INTERRUPTED.load(Ordering::SeqCst);
    // Drain what was written before exit. A process the command left in the background may
    // still hold the pipe, so stop after a short quiet period instead of waiting for EOF.
    let drain_until = Instant::now() + Duration::from_millis(500);
    while !eof && Instant::now() < drain_until {
        if poll_in(r.as_raw_fd(), 50) {
            eof = !read_some(&r, &mut buf);
        } else {
            break;
        }
    }
    exec.code = status.map(status_code);
    exec.output = String::from_utf8_lossy(&buf).into_owned();
    exec.duration = start.elapsed();
    exec
}

fn ansi_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][A-Za-z0-9]|\x1b[=>78DEHMc]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
            .unwrap()
    })
}

/// A terminal transcript as a reader sees it: escape sequences removed, `\r\n` as `\n`, and a
/// line rewritten after a bare `\r` (line editors redraw that way) showing its last version.
pub fn clean_transcript(raw: &str) -> String {
    let text = ansi_re().replace_all(raw, "");
    let text = text.replace("\r\n", "\n");
    let mut out = String::new();
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let shown = line.rsplit('\r').find(|s| !s.is_empty()).unwrap_or("");
        out.push_str(shown);
    }
    out
}

/// Runs an `-it` command on a pty, typing `inputs` after their prompts appear.
pub fn run_pty(sb: &Sandbox, text: &str, inputs: &[Input], timeout: Duration) -> Exec {
    let start = Instant::now();
    let mut exec = Exec::default();
    let ws = nix::pty::Winsize {
        ws_row: 24,
        ws_col: 80,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    let pty = match nix::pty::openpty(&ws, None) {
        Ok(p) => p,
        Err(e) => {
            exec.error = Some(format!("openpty: {e}"));
            return exec;
        }
    };
    let master = pty.master;
    unsafe { libc::fcntl(master.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) };
    let spawned = {
        let slave = pty.slave;
        let (s1, s2) = match (slave.try_clone(), slave.try_clone()) {
            (Ok(a), Ok(b)) => (a, b),
            _ => {
                exec.error = Some("pty: cannot duplicate the terminal".into());
                return exec;
            }
        };
        let mut cmd = shell(sb, text, "xterm");
        cmd.stdin(Stdio::from(slave))
            .stdout(Stdio::from(s1))
            .stderr(Stdio::from(s2));
        // A new session with the pty as its controlling terminal (credentials(7),
        // ioctl_tty(2) TIOCSCTTY), as a login shell's terminal would be.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                if libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        cmd.spawn()
    };
    let Some((mut child, pid)) = track(spawned, &mut exec) else {
        return exec;
    };
    set_nonblocking(&master);
    let deadline = start + timeout;
    let mut buf: Vec<u8> = Vec::new();
    let mut eof = false;
    let mut exited = None;
    let mut waiting_from = 0usize;
    let mut next_input = 0usize;
    let mut writer = std::fs::File::from(master.try_clone().expect("dup pty master"));
    loop {
        if !eof && poll_in(master.as_raw_fd(), 20) {
            eof = !read_some(&master, &mut buf);
        } else if eof {
            std::thread::sleep(Duration::from_millis(5));
        }
        if exited.is_none()
            && let Ok(Some(st)) = child.try_wait()
        {
            exited = Some(st);
        }
        reap_orphans(pid);
        if exited.is_some() && (eof || !poll_in(master.as_raw_fd(), 50)) {
            break;
        }
        if INTERRUPTED.load(Ordering::SeqCst) {
            exec.interrupted = true;
            break;
        }
        if Instant::now() >= deadline {
            exec.timed_out = true;
            break;
        }
        if exited.is_none() && next_input < inputs.len() {
            let input = &inputs[next_input];
            let seen = clean_transcript(&String::from_utf8_lossy(&buf[waiting_from..]));
            if seen.ends_with(&input.prompt) || seen.ends_with(input.prompt.trim_end()) {
                let bytes = match &input.text {
                    Some(t) => format!("{t}\r").into_bytes(),
                    None => vec![4u8], // Ctrl-D: end of input (termios(3) VEOF)
                };
                let _ = writer.write_all(&bytes);
                waiting_from = buf.len();
                next_input += 1;
            }
        }
    }
    if exited.is_none() {
        unsafe { libc::kill(-pid, libc::SIGKILL) };
        exited = child.wait().ok();
    }
    CURRENT_PGID.store(0, Ordering::SeqCst);
    exec.interrupted |= INTERRUPTED.load(Ordering::SeqCst);
    exec.code = exited.map(status_code);
    exec.output = clean_transcript(&String::from_utf8_lossy(&buf));
    exec.duration = start.elapsed();
    exec
}

/// Removes every container of the private root, kills what is left, removes the root.
pub fn cleanup(sb: &Sandbox) {
    let ids = run_plain(sb, "docker ps -aq", Duration::from_secs(30));
    let id_re = Regex::new(r"^[0-9a-f]{12,64}$").unwrap();
    let ids: Vec<&str> = ids
        .output
        .lines()
        .map(str::trim)
        .filter(|l| id_re.is_match(l))
        .collect();
    if !ids.is_empty() {
        run_plain(
            sb,
            &format!("docker rm -f {}", ids.join(" ")),
            Duration::from_secs(60),
        );
    }
    kill_descendants();
    unmount_under(&sb.dir);
    let _ = std::fs::remove_dir_all(sb.root());
}

/// SIGKILLs every child (orphans included: we are their subreaper) until none is left.
pub fn kill_descendants() {
    let me = std::process::id() as i32;
    for _ in 0..50 {
        let kids = children_of(me);
        if kids.is_empty() {
            break;
        }
        for pid in &kids {
            unsafe { libc::kill(*pid, libc::SIGKILL) };
        }
        for pid in &kids {
            unsafe { libc::waitpid(*pid, std::ptr::null_mut(), 0) };
        }
    }
}

/// Pids whose parent is `ppid`, from /proc/PID/stat (proc(5): field 4 after the `(comm)`).
pub fn children_of(ppid: i32) -> Vec<i32> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    for e in dir.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
            continue;
        };
        let mut f = rest.split_whitespace();
        let _state = f.next();
        if f.next().and_then(|p| p.parse::<i32>().ok()) == Some(ppid) {
            out.push(pid);
        }
    }
    out
}

/// Detaches mounts left under `dir` (deepest first) so the directory can be removed.
fn unmount_under(dir: &Path) {
    let Ok(info) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return;
    };
    let prefix = dir.display().to_string();
    let mut points: Vec<String> = info
        .lines()
        .filter_map(|l| l.split_whitespace().nth(4).map(str::to_string))
        .filter(|p| p.starts_with(&prefix))
        .collect();
    points.sort_by_key(|p| std::cmp::Reverse(p.len()));
    for p in points {
        if let Ok(c) = std::ffi::CString::new(p) {
            unsafe { libc::umount2(c.as_ptr(), libc::MNT_DETACH) };
        }
    }
}

/// Runs in the forked child before exec: new network and mount namespaces, private mounts,
/// `lo` up, and SIGTERM when the runner dies so the host still cleans up.
///
/// # Safety
/// Only async-signal-safe calls: it runs between fork and exec.
pub unsafe fn enter_lab_host() -> std::io::Result<()> {
    unsafe {
        if libc::unshare(libc::CLONE_NEWNET | libc::CLONE_NEWNS) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        if libc::mount(
            std::ptr::null(),
            c"/".as_ptr(),
            std::ptr::null(),
            libc::MS_REC | libc::MS_PRIVATE,
            std::ptr::null(),
        ) != 0
        {
            return Err(std::io::Error::last_os_error());
        }
        let s = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
        if s < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let mut req: libc::ifreq = std::mem::zeroed();
        for (i, b) in b"lo".iter().enumerate() {
            req.ifr_name[i] = *b as libc::c_char;
        }
        if libc::ioctl(s, libc::SIOCGIFFLAGS, &mut req) != 0 {
            let e = std::io::Error::last_os_error();
            libc::close(s);
            return Err(e);
        }
        req.ifr_ifru.ifru_flags |= (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
        if libc::ioctl(s, libc::SIOCSIFFLAGS, &req) != 0 {
            let e = std::io::Error::last_os_error();
            libc::close(s);
            return Err(e);
        }
        libc::close(s);
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM, 0, 0, 0);
    }
    Ok(())
}

/// Captured values so far, for `${name}`.
pub type Captures = BTreeMap<String, String>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transcript_cleaning() {
        assert_eq!(clean_transcript("a\r\nb\r\n"), "a\nb\n");
        assert_eq!(clean_transcript("\x1b[?2004h>>> x\r\n"), ">>> x\n");
        assert_eq!(clean_transcript("\x1b[6n/ # ls\r\n"), "/ # ls\n");
        assert_eq!(clean_transcript("old\rnew\n"), "new\n");
        assert_eq!(clean_transcript("\x1b]0;title\x07ok"), "ok");
    }

    #[test]
    fn plain_commands_merge_output_and_time_out() {
        let dir = tempfile::tempdir().unwrap();
        let sb = Sandbox {
            dir: dir.path().to_path_buf(),
        };
        std::fs::create_dir_all(sb.home()).unwrap();
        let e = run_plain(
            &sb,
            "echo out; echo err >&2; echo out2; exit 3",
            Duration::from_secs(5),
        );
        assert_eq!(e.output, "out\nerr\nout2\n");
        assert_eq!(e.code, Some(3));
        let e = run_plain(&sb, "echo $LANG $HOME; pwd", Duration::from_secs(5));
        let home = sb.home().display().to_string();
        assert_eq!(e.output, format!("C {home}\n{home}\n"));
        let t = Instant::now();
        let e = run_plain(
            &sb,
            "echo partial; sleep 5; echo never",
            Duration::from_millis(300),
        );
        assert!(e.timed_out);
        assert_eq!(e.output, "partial\n");
        assert!(t.elapsed() < Duration::from_secs(3));
    }

    #[test]
    fn pty_commands_get_typed_input() {
        let dir = tempfile::tempdir().unwrap();
        let sb = Sandbox {
            dir: dir.path().to_path_buf(),
        };
        std::fs::create_dir_all(sb.home()).unwrap();
        let inputs = vec![
            Input {
                prompt: "> ".into(),
                text: Some("hello".into()),
            },
            Input {
                prompt: "> ".into(),
                text: Some("bye".into()),
            },
        ];
        let script =
            "while printf '> '; read l; do [ \"$l\" = bye ] && exit 4; echo \"got $l\"; done";
        let e = run_pty(&sb, script, &inputs, Duration::from_secs(5));
        assert!(!e.timed_out, "{e:?}");
        assert_eq!(e.code, Some(4));
        assert_eq!(e.output.trim_end(), "> hello\ngot hello\n> bye");
        let e = run_pty(&sb, "tty", &[], Duration::from_secs(5));
        assert!(e.output.starts_with("/dev/pts/"), "{e:?}");
    }
}
