//! Lifecycle verbs: create, start, stop, restart, kill, pause, rename, wait, rm, prune,
//! and what `ps`, `logs` and `inspect` show along the way.

mod common;
use common::{TestEngine, eventually, redact};

const TRAP_TERM: &str = "trap 'exit 0' TERM; while true; do sleep 0.1; done";

#[test]
fn create_start_stop_walks_the_states() {
    let e = TestEngine::new().with_busybox();
    let id = e.ok(&["create", "--name", "svc", "busybox", "sh", "-c", TRAP_TERM]);
    assert_eq!(id.trim().len(), 64);
    assert_eq!(e.state_of("svc"), "created");
    assert!(
        redact(&e.ok(&["ps", "-a"])).contains("Created"),
        "created containers show in ps -a"
    );
    assert_eq!(e.ok(&["start", "svc"]), "svc\n");
    assert_eq!(e.state_of("svc"), "running");
    assert_eq!(e.ok(&["stop", "svc"]), "svc\n");
    assert_eq!(e.state_of("svc"), "exited");
    assert_eq!(
        e.ok(&["inspect", "-f", "{{.State.ExitCode}}", "svc"])
            .trim(),
        "0"
    );
    // Stopping a stopped container is not an error.
    assert_eq!(e.ok(&["stop", "svc"]), "svc\n");
    assert_eq!(e.ok(&["restart", "svc"]), "svc\n");
    assert_eq!(e.state_of("svc"), "running");
}

// Ensure a process that ignores SIGTERM is killed after the timeout: Exited (137).
#[test]
fn stop_kills_after_the_timeout() {
    let e = TestEngine::new().with_busybox();
    // sh as PID 1 has no handler for SIGTERM, so the kernel ignores it.
    e.ok(&[
        "run",
        "-d",
        "--name",
        "stubborn",
        "busybox",
        "sh",
        "-c",
        "while true; do sleep 0.1; done",
    ]);
    let start = std::time::Instant::now();
    assert_eq!(e.ok(&["stop", "-t", "1", "stubborn"]), "stubborn\n");
    assert!(
        start.elapsed() >= std::time::Duration::from_millis(900),
        "stop did not wait for the timeout"
    );
    let ps = redact(&e.ok(&["ps", "-a"]));
    assert!(ps.contains("Exited (137) [AGO]"), "{ps}");
}

#[test]
fn kill_sends_the_signal() {
    let e = TestEngine::new().with_busybox();
    e.ok(&[
        "run",
        "-d",
        "--name",
        "killme",
        "busybox",
        "sh",
        "-c",
        "trap 'exit 42' USR1; while true; do sleep 0.1; done",
    ]);
    assert_eq!(e.ok(&["kill", "-s", "USR1", "killme"]), "killme\n");
    assert!(eventually(5, || e.state_of("killme") == "exited"));
    assert_eq!(
        e.ok(&["inspect", "-f", "{{.State.ExitCode}}", "killme"])
            .trim(),
        "42"
    );
    let r = e.run(&["kill", "killme"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .starts_with("Error response from daemon: Cannot kill container: killme: Container "),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.trim_end().ends_with("is not running"),
        "{}",
        r.stderr
    );
    e.ok(&["run", "-d", "--name", "k2", "busybox", "sleep", "30"]);
    e.ok(&["kill", "k2"]);
    assert_eq!(
        e.ok(&["inspect", "-f", "{{.State.ExitCode}}", "k2"]).trim(),
        "137"
    );
}

#[test]
fn pause_freezes_and_unpause_thaws() {
    let e = TestEngine::new().with_busybox();
    e.ok(&[
        "run",
        "-d",
        "--name",
        "pauser",
        "busybox",
        "sh",
        "-c",
        "while true; do date +%s%N > /tmp/tick; sleep 0.05; done",
    ]);
    e.ok(&["pause", "pauser"]);
    assert_eq!(e.state_of("pauser"), "paused");
    assert!(redact(&e.ok(&["ps"])).contains("Up [DURATION] (Paused)"));
    let r = e.run(&["pause", "pauser"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("is already paused"), "{}", r.stderr);
    let r = e.run(&["exec", "pauser", "true"]);
    assert!(
        r.stderr
            .contains("is paused, unpause the container before exec"),
        "{}",
        r.stderr
    );
    e.ok(&["unpause", "pauser"]);
    assert_eq!(e.state_of("pauser"), "running");
    let first = e.ok(&["exec", "pauser", "cat", "/tmp/tick"]);
    assert!(
        eventually(5, || e.ok(&["exec", "pauser", "cat", "/tmp/tick"]) != first),
        "the container did not run after unpause"
    );
    let r = e.run(&["unpause", "pauser"]);
    assert!(r.stderr.contains("is not paused"), "{}", r.stderr);
}

#[test]
fn rm_refuses_running_containers_without_force() {
    let e = TestEngine::new().with_busybox();
    let id = e.ok(&["run", "-d", "--name", "busy", "busybox", "sleep", "30"]);
    let r = e.run(&["rm", "busy"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        format!(
            "Error response from daemon: You cannot remove a running container {}. Stop the container before attempting removal or force remove\n",
            id.trim()
        )
    );
    assert_eq!(e.ok(&["rm", "-f", "busy"]), "busy\n");
    let r = e.run(&["rm", "busy"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (1, "Error response from daemon: No such container: busy\n")
    );
}

#[test]
fn rename_and_lookup_by_prefix() {
    let e = TestEngine::new().with_busybox();
    let id = e.ok(&["create", "--name", "old", "busybox"]);
    e.ok(&["rename", "old", "new"]);
    assert_eq!(e.ok(&["inspect", "-f", "{{.Name}}", "new"]).trim(), "/new");
    assert_eq!(e.run(&["inspect", "old"]).code, 1);
    // Unique prefixes work, down to what is unique.
    assert_eq!(
        e.ok(&["inspect", "-f", "{{.Id}}", &id.trim()[..5]]).trim(),
        id.trim()
    );
    e.ok(&["create", "--name", "other", "busybox"]);
    e.ok(&["create", "--name", "third", "busybox"]);
    let r = e.run(&["rename", "new", "other"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("Conflict. The container name \"/other\" is already in use"),
        "{}",
        r.stderr
    );
}

#[test]
fn wait_prints_the_exit_code() {
    let e = TestEngine::new().with_busybox();
    e.ok(&[
        "run",
        "-d",
        "--name",
        "waiter",
        "busybox",
        "sh",
        "-c",
        "sleep 0.3; exit 7",
    ]);
    assert_eq!(e.ok(&["wait", "waiter"]), "7\n");
}

#[test]
fn logs_tail_timestamps_and_streams() {
    let e = TestEngine::new().with_busybox();
    e.ok(&[
        "run",
        "--name",
        "logger",
        "busybox",
        "sh",
        "-c",
        "echo one; echo two >&2; sleep 0.1; echo three",
    ]);
    // stdout and stderr are separate pipes, so only the order within a stream is defined.
    let r = e.run(&["logs", "logger"]);
    assert_eq!(
        (r.stdout.as_str(), r.stderr.as_str()),
        ("one\nthree\n", "two\n")
    );
    assert_eq!(e.ok(&["logs", "--tail", "1", "logger"]), "three\n");
    let ts = e.ok(&["logs", "-t", "--tail", "1", "logger"]);
    assert!(
        regex::Regex::new(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z three\n$")
            .unwrap()
            .is_match(&ts),
        "{ts}"
    );
    let json =
        std::fs::read_to_string(e.ok(&["inspect", "-f", "{{.LogPath}}", "logger"]).trim()).unwrap();
    assert!(
        json.lines()
            .next()
            .unwrap()
            .starts_with("{\"log\":\"one\\n\",\"stream\":\"stdout\",\"time\":\""),
        "{json}"
    );
}

#[test]
fn logs_follow_ends_when_the_container_stops() {
    let e = TestEngine::new().with_busybox();
    e.ok(&[
        "run",
        "-d",
        "--name",
        "follow",
        "busybox",
        "sh",
        "-c",
        "for i in 1 2 3; do echo $i; sleep 0.2; done",
    ]);
    assert_eq!(e.ok(&["logs", "-f", "follow"]), "1\n2\n3\n");
}

#[test]
fn ps_flags_and_formats() {
    let e = TestEngine::new().with_busybox();
    assert_eq!(
        e.run(&["run", "--name", "first", "busybox", "sh", "-c", "exit 2"])
            .code,
        2
    );
    e.ok(&[
        "create",
        "--name",
        "second",
        "busybox",
        "python",
        "-m",
        "http.server",
        "8888",
    ]);
    e.ok(&["run", "-d", "--name", "third", "busybox", "sleep", "30"]);
    insta::assert_snapshot!(redact(&e.ok(&["ps", "-a"])), @r#"
    CONTAINER ID   IMAGE   COMMAND   CREATED   STATUS   PORTS   NAMES
    [ID]   busybox   "sleep 30"   [AGO]   Up [DURATION]   third
    [ID]   busybox   "python -m http.serv…"   [AGO]   Created   second
    [ID]   busybox   "sh -c 'exit 2'"   [AGO]   Exited (2) [AGO]   first
    "#);
    assert_eq!(e.ok(&["ps", "-q"]).lines().count(), 1);
    assert_eq!(e.ok(&["ps", "-aq"]).lines().count(), 3);
    assert_eq!(
        e.ok(&["ps", "-aq", "--no-trunc"])
            .lines()
            .next()
            .unwrap()
            .len(),
        64
    );
    assert_eq!(
        e.ok(&["ps", "-n", "2", "--format", "{{.Names}}"]),
        "third\nsecond\n"
    );
    assert_eq!(
        e.ok(&["ps", "-l", "--format", "{{.Names}} {{.State}}"]),
        "third running\n"
    );
    assert_eq!(
        e.ok(&[
            "ps",
            "-a",
            "--filter",
            "status=exited",
            "--format",
            "{{.Names}}"
        ]),
        "first\n"
    );
    let table = e.ok(&["ps", "-a", "--format", "table {{.Names}}\t{{.Status}}"]);
    assert!(
        table.starts_with("NAMES     STATUS\nthird     Up "),
        "{table}"
    );
    let sized = redact(&e.ok(&["ps", "-s"]));
    assert!(
        sized.contains("SIZE") && sized.contains("0B (virtual "),
        "{sized}"
    );
}

#[test]
fn container_prune_removes_stopped_ones() {
    let e = TestEngine::new().with_busybox();
    let stopped = e.ok(&["run", "busybox", "true"]);
    let _ = stopped;
    e.ok(&["run", "-d", "--name", "alive", "busybox", "sleep", "30"]);
    let out = e.ok(&["container", "prune", "-f"]);
    let ids: Vec<&str> = out.lines().filter(|l| l.len() == 64).collect();
    assert_eq!(ids.len(), 1, "{out}");
    assert!(out.starts_with("Deleted Containers:\n"));
    assert!(out.ends_with("\nTotal reclaimed space: 0B\n"), "{out}");
    assert_eq!(e.ok(&["ps", "-aq"]).lines().count(), 1);
    // Without -f it asks, and anything but y keeps everything.
    let out = e.run_with_stdin(&["container", "prune"], b"n\n");
    assert_eq!(
        out.stdout,
        "WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] "
    );
}

#[test]
fn inspect_shape_and_missing_objects() {
    let e = TestEngine::new().with_busybox();
    e.ok(&[
        "run", "-d", "--name", "insp", "-e", "A=1", "busybox", "sleep", "30",
    ]);
    let json: serde_json::Value = serde_json::from_str(&e.ok(&["inspect", "insp"])).unwrap();
    let c = &json[0];
    assert_eq!(c["Name"], "/insp");
    assert_eq!(c["Path"], "sleep");
    assert_eq!(c["Args"], serde_json::json!(["30"]));
    assert_eq!(c["State"]["Status"], "running");
    assert_eq!(c["State"]["Running"], true);
    assert!(c["State"]["Pid"].as_i64().unwrap() > 1);
    assert_eq!(c["Config"]["Image"], "busybox");
    assert_eq!(
        c["Config"]["Env"],
        serde_json::json!([
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "A=1"
        ])
    );
    assert_eq!(c["HostConfig"]["NetworkMode"], "default");
    assert!(c["Image"].as_str().unwrap().starts_with("sha256:"));
    let with_size: serde_json::Value =
        serde_json::from_str(&e.ok(&["inspect", "-s", "insp"])).unwrap();
    assert!(with_size[0]["SizeRootFs"].as_u64().unwrap() > 0);
    let r = e.run(&["inspect", "nosuchctr"]);
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (1, "[]\n", "Error: No such object: nosuchctr\n")
    );
    let r = e.run(&["stop", "nosuchctr"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            1,
            "Error response from daemon: No such container: nosuchctr\n"
        )
    );
}

#[test]
fn top_and_stats_read_the_cgroup() {
    let e = TestEngine::new().with_busybox();
    e.ok(&["run", "-d", "--name", "topper", "busybox", "sleep", "30"]);
    let top = e.ok(&["top", "topper"]);
    let mut lines = top.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("UID                 PID                 PPID"),
        "{top}"
    );
    let row = lines.next().unwrap();
    assert!(
        row.starts_with("root") && row.trim_end().ends_with("sleep 30"),
        "{top}"
    );
    let stats = e.ok(&["stats", "--no-stream", "topper"]);
    let mut lines = stats.lines();
    assert_eq!(
        lines.next().unwrap(),
        "CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O   BLOCK I/O   PIDS"
    );
    let row = lines.next().unwrap();
    assert!(regex::Regex::new(r"^[0-9a-f]{12}   topper +\d+\.\d\d% +[\d.]+[KMG]?i?B / [\d.]+[KMG]iB +\d+\.\d\d% +0B / 0B +\S+ / \S+ +1$").unwrap().is_match(row), "{row}");
    let r = e.run(&["top", "nosuch"]);
    assert_eq!(r.code, 1);
    e.ok(&["stop", "-t", "0", "topper"]);
    let r = e.run(&["top", "topper"]);
    assert!(r.stderr.contains("is not running"), "{}", r.stderr);
}

#[test]
fn start_attach_streams_output_and_returns_the_exit_code() {
    let e = TestEngine::new().with_busybox();
    e.ok(&[
        "create",
        "--name",
        "once",
        "busybox",
        "sh",
        "-c",
        "echo attached; exit 5",
    ]);
    let r = e.run(&["start", "-a", "once"]);
    assert_eq!((r.code, r.stdout.as_str()), (5, "attached\n"));
    // Without -a, start only echoes the name; the output goes to the log.
    assert_eq!(e.ok(&["start", "once"]), "once\n");
    assert!(eventually(5, || e.state_of("once") == "exited"));
    assert_eq!(e.ok(&["logs", "once"]), "attached\nattached\n");
    // -i forwards stdin to a container created with -i.
    e.ok(&["create", "-i", "--name", "cat", "busybox", "cat"]);
    let out = e.run_with_stdin(&["start", "-a", "-i", "cat"], b"piped in\n");
    assert_eq!(out.stdout, "piped in\n");
}
