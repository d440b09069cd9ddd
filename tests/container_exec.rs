//! `exec` and terminals: a process joining a running container, and `-it` through a real pty.

mod common;
use common::TestEngine;

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::Stdio;

#[test]
fn exec_joins_the_running_container() {
    let e = TestEngine::new().with_busybox();
    e.ok(&[
        "run", "-d", "--name", "execme", "-e", "BASE=1", "busybox", "sleep", "30",
    ]);
    // Same PID namespace: the init is PID 1 there, the exec'd process is not.
    let ps = e.ok(&["exec", "execme", "ps", "-o", "pid,comm"]);
    assert!(ps.lines().any(|l| l.trim() == "1 sleep"), "{ps}");
    assert_eq!(
        e.ok(&[
            "exec",
            "-e",
            "EXTRA=2",
            "execme",
            "sh",
            "-c",
            "echo $BASE$EXTRA"
        ]),
        "12\n"
    );
    assert_eq!(e.ok(&["exec", "-w", "/tmp", "execme", "pwd"]), "/tmp\n");
    assert_eq!(
        e.ok(&["exec", "-u", "65534:65534", "execme", "id", "-u"]),
        "65534\n"
    );
    assert_eq!(e.run(&["exec", "execme", "sh", "-c", "exit 9"]).code, 9);
    let r = e.run(&["exec", "execme", "nosuch"]);
    assert_eq!(r.code, 126);
    assert_eq!(
        r.stderr,
        "OCI runtime exec failed: exec failed: unable to start container process: exec: \"nosuch\": executable file not found in $PATH: unknown\n"
    );
    // -d returns at once; the process runs on in the container.
    e.ok(&[
        "exec",
        "-d",
        "execme",
        "sh",
        "-c",
        "sleep 0.2; touch /tmp/done",
    ]);
    assert!(common::eventually(5, || e
        .run(&["exec", "execme", "test", "-f", "/tmp/done"])
        .code
        == 0));
    // stdin reaches an exec with -i.
    let out = e.run_with_stdin(&["exec", "-i", "execme", "cat"], b"through stdin\n");
    assert_eq!(out.stdout, "through stdin\n");
}

#[test]
fn exec_on_a_stopped_container_fails() {
    let e = TestEngine::new().with_busybox();
    let id = e.ok(&["create", "--name", "stopped", "busybox"]);
    let r = e.run(&["exec", "stopped", "true"]);
    assert_eq!(
        (r.code, r.stderr),
        (
            1,
            format!(
                "Error response from daemon: Container {} is not running\n",
                id.trim()
            )
        )
    );
}

/// Runs `docklab args…` with a pty as its terminal, types `input` step by step, and
/// returns (exit code, everything the terminal showed).
fn on_terminal(e: &TestEngine, args: &[&str], steps: &[(&str, &str)]) -> (i32, String) {
    let pty = nix::pty::openpty(None, None).unwrap();
    // openpty's fds are inheritable; tests run in parallel threads, so without CLOEXEC
    // another test's child would keep our slave open and the master would never end.
    for fd in [pty.master.as_raw_fd(), pty.slave.as_raw_fd()] {
        unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
    }
    let slave = pty.slave;
    let mut cmd = e.command(args);
    cmd.stdin(Stdio::from(slave.try_clone().unwrap()))
        .stdout(Stdio::from(slave.try_clone().unwrap()))
        .stderr(Stdio::from(slave));
    let mut child = cmd.spawn().unwrap();
    // Our copies of the slave must go, or the master never reads end of file.
    drop(cmd);
    let master: OwnedFd = pty.master;
    let mut file = unsafe {
        std::fs::File::from_raw_fd(libc::fcntl(master.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 0))
    };
    let mut seen = String::new();
    let mut buf = [0u8; 4096];
    // Waits until `needle` shows up after byte `from` of the transcript; returns where it ends.
    let mut read_until =
        |file: &mut std::fs::File, seen: &mut String, from: usize, needle: &str| {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            loop {
                if let Some(at) = seen.get(from..).and_then(|rest| rest.find(needle)) {
                    return Some(from + at + needle.len());
                }
                if std::time::Instant::now() >= deadline {
                    return None;
                }
                let mut pfd = libc::pollfd {
                    fd: file.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                };
                if unsafe { libc::poll(&mut pfd, 1, 100) } > 0 {
                    match file.read(&mut buf) {
                        Ok(n) if n > 0 => seen.push_str(&String::from_utf8_lossy(&buf[..n])),
                        _ => return None,
                    }
                }
            }
        };
    let mut cursor = 0;
    for (wait_for, typed) in steps {
        if let Some(process) = wait_for.strip_prefix('@') {
            // `@NAME:PROC`: wait until PROC runs in container NAME, so a key typed next
            // reaches it and not the shell that is still starting it.
            let (name, proc_name) = process.split_once(':').unwrap();
            let running =
                common::eventually(10, || e.run(&["exec", name, "pidof", proc_name]).code == 0);
            assert!(
                running,
                "{proc_name} never started; terminal showed:\n{seen}"
            );
        } else {
            match read_until(&mut file, &mut seen, cursor, wait_for) {
                Some(end) => cursor = end,
                None => panic!("never saw {wait_for:?}; terminal showed:\n{seen}"),
            }
        }
        file.write_all(typed.as_bytes()).unwrap();
    }
    let status = child.wait().unwrap();
    // Drain what is left, up to end of file.
    read_until(&mut file, &mut seen, 0, "\u{0}");
    (status.code().unwrap_or(-1), seen)
}

#[test]
fn run_it_gives_a_real_terminal_and_ctrl_c_reaches_the_container() {
    let e = TestEngine::new().with_busybox();
    let (code, screen) = on_terminal(
        &e,
        &["run", "--rm", "-it", "--name", "ttyrun", "busybox", "sh"],
        &[
            ("# ", "tty; echo cols=$(stty size)\r"),
            ("/dev/pts/0", "sleep 100\r"),
            // Ctrl-C travels as a byte through the pty and interrupts sleep, not the client.
            ("@ttyrun:sleep", "\u{3}"),
            // The terminal echoes ^C and the shell prompts again at once (the step waits at
            // most 10 s; an uninterrupted sleep would hold the prompt for 100).
            ("^C", ""),
            ("# ", "exit 4\r"),
        ],
    );
    assert_eq!(code, 4, "{screen}");
    assert!(screen.contains("/dev/pts/0"), "{screen}");
    assert_eq!(e.ok(&["ps", "-aq"]), "");
}

#[test]
fn exec_it_gets_a_terminal_inside_the_container() {
    let e = TestEngine::new().with_busybox();
    e.ok(&["run", "-d", "--name", "tt", "busybox", "sleep", "30"]);
    let (code, screen) = on_terminal(
        &e,
        &["exec", "-it", "tt", "sh"],
        &[("# ", "tty; ls /\r"), ("proc", "exit\r")],
    );
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("/dev/pts/"), "{screen}");
}

#[test]
fn it_without_a_terminal_is_refused() {
    let e = TestEngine::new().with_busybox();
    let r = e.run(&["run", "-it", "busybox", "true"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (1, "the input device is not a TTY\n")
    );
}
