//! What makes a container a container: namespaces, PID 1, capabilities, masked /proc paths,
//! hostname and the generated /etc files.

mod common;
use common::TestEngine;

#[test]
fn pid_one_is_the_command() {
    let e = TestEngine::new().with_busybox();
    assert_eq!(
        e.ok(&["run", "--rm", "busybox", "sh", "-c", "echo $$"]),
        "1\n"
    );
    let out = e.ok(&["run", "--rm", "busybox", "cat", "/proc/1/cmdline"]);
    assert_eq!(out, "cat\0/proc/1/cmdline\0");
}

/// The test process's own namespace of kind `ns`, as `readlink /proc/self/ns/NS` prints it.
fn host_ns(ns: &str) -> String {
    std::fs::read_link(format!("/proc/self/ns/{ns}"))
        .unwrap()
        .display()
        .to_string()
}

#[test]
fn namespaces_differ_from_the_hosts() {
    let e = TestEngine::new().with_busybox();
    for ns in ["pid", "mnt", "uts", "net", "ipc"] {
        let host = host_ns(ns);
        let inside = e.ok(&[
            "run",
            "--rm",
            "busybox",
            "readlink",
            &format!("/proc/self/ns/{ns}"),
        ]);
        assert_ne!(
            inside.trim(),
            host,
            "{ns} namespace is shared with the host"
        );
    }
    // --network host keeps the host's network namespace, and only that.
    let host_net = host_ns("net");
    let inside = e.ok(&[
        "run",
        "--rm",
        "--network",
        "host",
        "busybox",
        "readlink",
        "/proc/self/ns/net",
    ]);
    assert_eq!(inside.trim(), host_net);
}

#[test]
fn capabilities_are_dockers_fourteen() {
    let e = TestEngine::new().with_busybox();
    let status = e.ok(&["run", "--rm", "busybox", "cat", "/proc/self/status"]);
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap()
            .trim()
            .to_string()
    };
    assert_eq!(field("CapEff:"), "00000000a80425fb");
    assert_eq!(field("CapPrm:"), "00000000a80425fb");
    assert_eq!(field("CapBnd:"), "00000000a80425fb");
    assert_eq!(field("CapInh:"), "0000000000000000");
    assert_eq!(field("CapAmb:"), "0000000000000000");
    // A non-root user has none in effect.
    let status = e.ok(&[
        "run",
        "--rm",
        "-u",
        "1000",
        "busybox",
        "cat",
        "/proc/self/status",
    ]);
    assert!(status.contains("CapEff:\t0000000000000000"), "{status}");
}

#[test]
fn proc_paths_are_masked_and_read_only() {
    let e = TestEngine::new().with_busybox();
    // Masked files read empty (bound to /dev/null); masked directories are empty tmpfs.
    let script = "for f in /proc/kcore /proc/timer_list /proc/sched_debug /proc/keys; do \
                  if [ -e $f ]; then printf '%s:%s\\n' $f $(wc -c < $f); fi; done; \
                  n=0; for d in /proc/acpi /proc/scsi; do [ -d $d ] && n=$((n + $(ls -A $d | wc -l))); done; echo $n; \
                  echo 1 > /proc/sys/kernel/domainname && echo writable || echo read-only; \
                  touch /sys/x 2>/dev/null && echo sys-writable || echo sys-read-only";
    let out = e.ok(&["run", "--rm", "busybox", "sh", "-c", script]);
    let mut lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.pop(), Some("sys-read-only"));
    assert_eq!(lines.pop(), Some("read-only"));
    assert_eq!(lines.pop(), Some("0"), "masked dirs must be empty: {out}");
    assert!(
        !lines.is_empty(),
        "no masked file exists on this kernel: {out}"
    );
    for l in lines {
        assert!(l.ends_with(":0"), "masked file is readable: {l}");
    }
}

#[test]
fn hostname_is_the_short_id_and_etc_files_are_generated() {
    let e = TestEngine::new().with_busybox();
    let id = e.ok(&["run", "-d", "busybox", "sleep", "30"]);
    let short = &id.trim()[..12];
    assert_eq!(e.ok(&["exec", short, "hostname"]), format!("{short}\n"));
    assert_eq!(
        e.ok(&["exec", short, "cat", "/etc/hostname"]),
        format!("{short}\n")
    );
    let hosts = e.ok(&["exec", short, "cat", "/etc/hosts"]);
    assert!(
        hosts.starts_with("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"),
        "{hosts}"
    );
    let resolv = e.ok(&["exec", short, "cat", "/etc/resolv.conf"]);
    assert!(resolv.contains("nameserver"), "{resolv}");
    assert!(!resolv.contains("nameserver 127."), "{resolv}");
    // Loopback is up in the container's own network namespace.
    let links = e.ok(&["exec", short, "cat", "/sys/class/net/lo/operstate"]);
    assert_eq!(links.trim(), "unknown");
    let flags = e.ok(&["exec", short, "cat", "/sys/class/net/lo/flags"]);
    assert_eq!(
        u32::from_str_radix(flags.trim().trim_start_matches("0x"), 16).unwrap() & 1,
        1,
        "lo is down"
    );
}

#[test]
fn dev_has_only_the_standard_nodes_and_no_host_fds_leak() {
    let e = TestEngine::new().with_busybox();
    let out = e.ok(&[
        "run",
        "--rm",
        "busybox",
        "sh",
        "-c",
        "ls /dev | tr '\\n' ' '; echo; ls /proc/self/fd | tr '\\n' ' '",
    ]);
    let mut lines = out.lines();
    assert_eq!(
        lines.next().unwrap().trim(),
        "core fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero"
    );
    // ls itself opens one directory fd (3); anything beyond it leaked from the host.
    assert_eq!(lines.next().unwrap().trim(), "0 1 2 3");
}
