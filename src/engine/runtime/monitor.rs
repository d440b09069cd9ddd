//! The monitor: one small host process per running container. It starts the init, relays
//! and logs its output (Docker's json-file format), holds the pty, reaps the init, records
//! the exit, and honours `--rm`. Nothing of it ever runs inside the container
//! (CVE-2019-5736 is what happens when a runtime binary is reachable from a container).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::fd::RawFd;
use std::path::PathBuf;

use super::cgroups::Cgroup;
use super::process::{InitSpec, InitStdio, ProcessSpec, StartFailure, spawn_init};
use super::rootfs::RootfsSpec;
use super::sys;
use crate::engine::Engine;
use crate::engine::container::{self, Status, go_time};

/// The hidden first argument that turns the binary into a container monitor.
pub const MONITOR_VERB: &str = "__monitor";

/// The largest partial line kept before it is logged anyway (Docker's json-file uses 16 KiB).
const MAX_LOG_LINE: usize = 16 * 1024;

struct Args {
    root: PathBuf,
    id: String,
    attach: bool,
    stdin: bool,
    winsize: Option<(u16, u16)>,
}

fn parse_args(args: &[String]) -> Option<Args> {
    let mut it = args.iter();
    let root = PathBuf::from(it.next()?);
    let id = it.next()?.clone();
    let mut parsed = Args {
        root,
        id,
        attach: false,
        stdin: false,
        winsize: None,
    };
    for a in it {
        match a.as_str() {
            "--attach" => parsed.attach = true,
            "--stdin" => parsed.stdin = true,
            other => {
                if let Some(ws) = other.strip_prefix("--winsize=") {
                    let (r, c) = ws.split_once('x')?;
                    parsed.winsize = Some((r.parse().ok()?, c.parse().ok()?));
                }
            }
        }
    }
    Some(parsed)
}

/// Reports to the starting client on fd 3, if it is still listening.
fn report(line: &str) {
    let _ = sys::write_all(
        super::super::container::start::STATUS_FD,
        format!("{line}\n").as_bytes(),
    );
}

/// Entry point of the monitor process. Returns its exit status.
pub fn monitor_main(args: &[String]) -> i32 {
    let Some(args) = parse_args(args) else {
        eprintln!("usage: {MONITOR_VERB} ROOT ID [--attach] [--stdin] [--winsize=RxC]");
        return 2;
    };
    // A client that went away must not kill us with SIGPIPE: we keep logging.
    // SAFETY: setting a signal disposition.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    match run(&args) {
        Ok(()) => 0,
        Err(failure) => {
            report(&format!("failed {}\t{}", failure.code, failure.message));
            1
        }
    }
}

fn run(args: &Args) -> Result<(), StartFailure> {
    let engine = Engine {
        root: args.root.clone(),
    };
    let c = container::load(&engine, &args.id).map_err(|e| StartFailure {
        code: 125,
        message: e.to_string(),
    })?;
    let record = &c.record;
    let tty = record.config.tty;
    let cgroup = Cgroup::for_container(&record.id);
    cgroup.create().map_err(|e| StartFailure {
        code: 125,
        message: format!("create cgroup: {e}"),
    })?;
    let mut log = OpenOptions::new()
        .append(true)
        .create(true)
        .open(c.log_path())
        .map_err(|e| StartFailure {
            code: 125,
            message: format!("open log: {e}"),
        })?;

    let spec = InitSpec {
        hostname: record.config.hostname.clone(),
        rootfs: RootfsSpec {
            lower_dirs: record.lower_dirs.clone(),
            rootfs_dir: c.dir.join("rootfs"),
            bind_files: vec![
                (c.dir.join("hostname"), "/etc/hostname".into()),
                (c.dir.join("hosts"), "/etc/hosts".into()),
                (c.dir.join("resolv.conf"), "/etc/resolv.conf".into()),
            ],
        },
        process: ProcessSpec {
            argv: std::iter::once(record.path.clone())
                .chain(record.args.iter().cloned())
                .collect(),
            env: container::create::process_env(record, tty),
            workdir: record.config.working_dir.clone(),
            user: record.config.user.clone(),
        },
        own_network: record.host_config.network_mode != "host",
        cgroup: cgroup.clone(),
        tty,
        winsize: args.winsize,
    };

    // Pipes for stdout/stderr (and stdin with -i) unless a pty carries everything.
    let mut pipes: Option<(RawFd, RawFd, RawFd)> = None; // our ends: stdin writer, stdout reader, stderr reader
    let stdio = if tty {
        None
    } else {
        let (out_r, out_w) = sys::pipe().map_err(|e| StartFailure {
            code: 125,
            message: e.to_string(),
        })?;
        let (err_r, err_w) = sys::pipe().map_err(|e| StartFailure {
            code: 125,
            message: e.to_string(),
        })?;
        let (in_r, in_w) = if record.config.open_stdin && args.stdin {
            sys::pipe().map_err(|e| StartFailure {
                code: 125,
                message: e.to_string(),
            })?
        } else {
            let null = File::open("/dev/null").map_err(|e| StartFailure {
                code: 125,
                message: e.to_string(),
            })?;
            (std::os::fd::IntoRawFd::into_raw_fd(null), -1)
        };
        pipes = Some((in_w, out_r, err_r));
        Some(InitStdio {
            stdin: in_r,
            stdout: out_w,
            stderr: err_w,
        })
    };

    // The init must be PID 1 of a new PID namespace: unshare here, and the next fork's
    // child is the namespace's first process (pid_namespaces(7)).
    nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWPID).map_err(|e| StartFailure {
        code: 125,
        message: format!("unshare pid: {e}"),
    })?;
    let started = spawn_init(&spec, stdio);
    if let Some(io) = stdio {
        sys::close(io.stdin);
        sys::close(io.stdout);
        sys::close(io.stderr);
    }
    let child = match started {
        Ok(child) => child,
        Err(failure) => {
            cgroup.remove();
            let msg = failure.message.clone();
            let _ = container::update_state(&engine, &record.id, |s| {
                s.exit_code = failure.code;
                s.error = msg;
            });
            if record.host_config.auto_remove {
                let _ = container::remove::remove_files(&engine, &record.id);
            }
            return Err(failure);
        }
    };
    let now = chrono::Utc::now();
    let my_pid = std::process::id() as i32;
    let _ = container::update_state(&engine, &record.id, |s| {
        s.status = Status::Running;
        s.pid = child.pid;
        s.exit_code = 0;
        s.error.clear();
        s.started_at = Some(now);
        s.finished_at = None;
        s.monitor_pid = my_pid;
    });
    // Hold the container's mount namespace open. When the init exits it would otherwise
    // drop the last reference and tear every container mount down on its own exit path,
    // which waits for an RCU grace period (namespace_unlock → synchronize_rcu) before the
    // exit is even reported. With our reference the teardown happens when we close it,
    // after the client has its exit code.
    let held_mount_ns = std::fs::File::open(format!("/proc/{}/ns/mnt", child.pid)).ok();
    report(&format!("started {}", child.pid));
    drop_startup_pages();

    let (stdin_target, outputs) = match (child.pty_master, pipes) {
        (Some(master), _) => (
            if args.stdin { Some(master) } else { None },
            vec![(master, 1, "stdout")],
        ),
        (None, Some((in_w, out_r, err_r))) => (
            if in_w >= 0 { Some(in_w) } else { None },
            vec![(out_r, 1, "stdout"), (err_r, 2, "stderr")],
        ),
        (None, None) => (None, Vec::new()),
    };
    relay(
        &mut log,
        outputs,
        stdin_target,
        args.attach && args.stdin,
        args.attach,
        child.pty_master.is_some(),
    );

    let code = sys::wait_exit_code(child.pid, 137);
    if let Some(m) = child.pty_master {
        sys::close(m);
    }
    // Let the attached client's pipes reach end of file before it learns the exit code.
    if args.attach {
        sys::close(1);
        sys::close(2);
    }
    let finished = chrono::Utc::now();
    let _ = container::update_state(&engine, &record.id, |s| {
        s.status = Status::Exited;
        s.pid = 0;
        s.exit_code = code;
        s.finished_at = Some(finished);
    });
    // `--rm`: the container leaves the store (one rename) before the client hears the exit
    // code, so a `docker ps -a` right after never shows it; deleting its files and cgroup
    // happens after the report, off the client's critical path.
    let doomed = if record.host_config.auto_remove {
        container::remove::detach_files(&engine, &record.id)
            .ok()
            .flatten()
    } else {
        None
    };
    report(&format!("exited {code}"));
    drop(held_mount_ns);
    cgroup.remove();
    if let Some(dir) = doomed {
        let _ = std::fs::remove_dir_all(dir);
    }
    Ok(())
}

/// Gives back the code pages that only start-up touched. A monitor lives as long as its
/// container, and most of its resident memory is text of this binary and of libc faulted in
/// while parsing config and forking; the relay loop needs little of it. Only read-only
/// executable file mappings are dropped: their pages are re-read from the file if used
/// again, so nothing is lost (madvise(2), MADV_DONTNEED on private file mappings).
fn drop_startup_pages() {
    let Ok(maps) = std::fs::read_to_string("/proc/self/maps") else {
        return;
    };
    for line in maps.lines() {
        let mut fields = line.split_whitespace();
        let (Some(range), Some(perms)) = (fields.next(), fields.next()) else {
            continue;
        };
        let path = line.split_whitespace().nth(5).unwrap_or("");
        if perms != "r-xp" || !path.starts_with('/') {
            continue;
        }
        let Some((start, end)) = range.split_once('-') else {
            continue;
        };
        let (Ok(start), Ok(end)) = (
            usize::from_str_radix(start, 16),
            usize::from_str_radix(end, 16),
        ) else {
            continue;
        };
        // SAFETY: the range is one of our own read-only text mappings.
        unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED) };
    }
}

/// Docker's json-file record: one per line of output.
#[derive(serde::Serialize)]
struct LogRecord<'a> {
    log: &'a str,
    stream: &'a str,
    time: String,
}

/// Buffers partial lines per stream and writes whole lines as json-file records.
struct LogWriter<'a> {
    file: &'a mut File,
    partial: [Vec<u8>; 2],
}

impl LogWriter<'_> {
    fn write(&mut self, stream_index: usize, stream: &str, data: &[u8]) {
        self.partial[stream_index].extend_from_slice(data);
        while let Some(pos) = self.partial[stream_index].iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.partial[stream_index].drain(..=pos).collect();
            self.emit(stream, &line);
        }
        if self.partial[stream_index].len() >= MAX_LOG_LINE {
            let line = std::mem::take(&mut self.partial[stream_index]);
            self.emit(stream, &line);
        }
    }

    fn flush(&mut self) {
        for (i, stream) in ["stdout", "stderr"].iter().enumerate() {
            if !self.partial[i].is_empty() {
                let line = std::mem::take(&mut self.partial[i]);
                self.emit(stream, &line);
            }
        }
    }

    fn emit(&mut self, stream: &str, line: &[u8]) {
        let text = String::from_utf8_lossy(line);
        let record = LogRecord {
            log: &text,
            stream,
            time: go_time(&chrono::Utc::now()),
        };
        if let Ok(mut json) = serde_json::to_vec(&record) {
            json.push(b'\n');
            let _ = self.file.write_all(&json);
        }
    }
}

/// Moves bytes until every output stream is closed: container output to the log and, when
/// attached, to our stdout/stderr; our stdin to the container's stdin or pty.
fn relay(
    log: &mut File,
    outputs: Vec<(RawFd, RawFd, &'static str)>,
    stdin_target: Option<RawFd>,
    forward_stdin: bool,
    attached: bool,
    is_pty: bool,
) {
    let mut log = LogWriter {
        file: log,
        partial: [Vec::new(), Vec::new()],
    };
    let mut open: Vec<(RawFd, RawFd, &'static str)> = outputs;
    let mut stdin_open = forward_stdin && stdin_target.is_some();
    let mut client_gone = !attached;
    let mut buf = vec![0u8; 32 * 1024];
    while !open.is_empty() {
        let mut watched: Vec<RawFd> = open.iter().map(|&(fd, _, _)| fd).collect();
        if stdin_open {
            watched.push(0);
        }
        let Ok(ready) = sys::poll_readable(&watched) else {
            break;
        };
        if stdin_open && ready.last() == Some(&true) {
            let target = stdin_target.unwrap_or(-1);
            match sys::read(0, &mut buf) {
                Ok(n) if n > 0 => {
                    let _ = sys::write_all(target, &buf[..n]);
                }
                _ => {
                    stdin_open = false;
                    // End of the client's input closes the container's stdin (StdinOnce);
                    // a pty stays open, as `docker run -it` with its input closed does.
                    if !is_pty {
                        sys::close(target);
                    }
                }
            }
        }
        let mut closed = Vec::new();
        for (i, &(fd, out_fd, stream)) in open.iter().enumerate() {
            if !ready[i] {
                continue;
            }
            match sys::read(fd, &mut buf) {
                Ok(n) if n > 0 => {
                    log.write(if stream == "stdout" { 0 } else { 1 }, stream, &buf[..n]);
                    if !client_gone && sys::write_all(out_fd, &buf[..n]).is_err() {
                        client_gone = true;
                    }
                }
                // 0 is end of file; a pty master reads EIO once the last slave closed.
                _ => closed.push(fd),
            }
        }
        open.retain(|(fd, _, _)| !closed.contains(fd));
        for fd in closed {
            if !is_pty {
                sys::close(fd);
            }
        }
    }
    log.flush();
}
