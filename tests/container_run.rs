//! `run` and `create`: output, exit codes, image defaults and Docker's error texts.

mod common;
use common::{TestEngine, redact};

// Ensure the process's own exit code, stdout and stderr come through an attached run.
#[test]
fn attached_run_passes_output_and_exit_code() {
    let e = TestEngine::new().with_busybox();
    let r = e.run(&[
        "run",
        "--rm",
        "busybox",
        "sh",
        "-c",
        "echo out; echo err >&2; exit 3",
    ]);
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (3, "out\n", "err\n")
    );
    // Docker folds exit statuses to 8 bits: `exit 300` is 44.
    assert_eq!(
        e.run(&["run", "--rm", "busybox", "sh", "-c", "exit 300"])
            .code,
        44
    );
}

#[test]
fn rm_removes_the_container_after_it_exits() {
    let e = TestEngine::new().with_busybox();
    e.ok(&["run", "--rm", "busybox", "true"]);
    assert_eq!(
        e.ok(&["ps", "-a"]),
        "CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n"
    );
}

#[test]
fn missing_image_is_pulled_from_the_catalog_first() {
    let e = TestEngine::new();
    let r = e.run(&["run", "--rm", "busybox", "echo", "hi"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "hi\n");
    assert!(
        r.stderr
            .starts_with("Unable to find image 'busybox:latest' locally\n"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("Status: Downloaded newer image for busybox:latest"),
        "{}",
        r.stderr
    );
}

#[test]
fn unknown_image_fails_with_125() {
    let e = TestEngine::new();
    let r = e.run(&["run", "nosuchimage:1.0"]);
    assert_eq!(r.code, 125);
    insta::assert_snapshot!(r.stderr, @r"
    Unable to find image 'nosuchimage:1.0' locally
    docklab: Error response from daemon: pull access denied for nosuchimage, repository does not exist or may require 'docker login': denied: requested access to the resource is denied

    Run 'docklab run --help' for more information
    ");
}

#[test]
fn missing_command_is_127_and_the_container_stays_created() {
    let e = TestEngine::new().with_busybox();
    let r = e.run(&["run", "--name", "nocmd", "busybox", "nosuchcmd"]);
    assert_eq!(r.code, 127);
    insta::assert_snapshot!(r.stderr, @r#"
    docklab: Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "nosuchcmd": executable file not found in $PATH: unknown

    Run 'docklab run --help' for more information
    "#);
    assert_eq!(e.state_of("nocmd"), "created");
    assert_eq!(
        e.ok(&["inspect", "-f", "{{.State.ExitCode}}", "nocmd"])
            .trim(),
        "127"
    );
}

#[test]
fn not_executable_is_126() {
    let e = TestEngine::new().with_busybox();
    for path in ["/etc/passwd", "/etc"] {
        let r = e.run(&["run", "--rm", "busybox", path]);
        assert_eq!(r.code, 126, "{path}: {}", r.stderr);
        assert!(
            r.stderr
                .contains(&format!("exec: \"{path}\": permission denied: unknown")),
            "{}",
            r.stderr
        );
    }
}

#[test]
fn name_conflict_and_invalid_names() {
    let e = TestEngine::new().with_busybox();
    let id = e.ok(&["create", "--name", "web", "busybox"]);
    let r = e.run(&["run", "--name", "web", "busybox", "true"]);
    assert_eq!(r.code, 125);
    assert_eq!(
        r.stderr,
        format!(
            "docklab: Error response from daemon: Conflict. The container name \"/web\" is already in use by container \"{}\". You have to remove (or rename) that container to be able to reuse that name.\n\nRun 'docklab run --help' for more information\n",
            id.trim()
        )
    );
    let r = e.run(&["run", "--name", "bad name", "busybox", "true"]);
    assert_eq!(r.code, 125);
    assert!(
        r.stderr.contains(
            "Invalid container name (bad name), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn unknown_flag_is_125_with_dockers_words() {
    let e = TestEngine::new();
    let r = e.run(&["run", "--foo", "busybox"]);
    assert_eq!(r.code, 125);
    assert!(
        r.stderr.starts_with("unknown flag: --foo\n"),
        "{}",
        r.stderr
    );
}

// Ensure ENTRYPOINT/CMD, -e, --env-file, -w, -u and --hostname reach the process.
#[test]
fn run_options_reach_the_process() {
    let e = TestEngine::new().with_busybox();
    let env_file = e.root().join("vars.env");
    std::fs::write(&env_file, "# comment\nFROM_FILE=yes\n\n").unwrap();
    let out = e.ok(&[
        "run",
        "--rm",
        "-e",
        "GREETING=hi",
        "--env-file",
        env_file.to_str().unwrap(),
        "-w",
        "/work/dir",
        "-u",
        "65534",
        "--hostname",
        "myhost",
        "busybox",
        "sh",
        "-c",
        "echo $GREETING $FROM_FILE; pwd; id -u; hostname",
    ]);
    assert_eq!(out, "hi yes\n/work/dir\n65534\nmyhost\n");
    let out = e.ok(&["run", "--rm", "--entrypoint", "echo", "busybox", "a", "b"]);
    assert_eq!(out, "a b\n");
}

#[test]
fn process_environment_matches_dockers() {
    let e = TestEngine::new().with_busybox();
    let out = e.ok(&[
        "run",
        "--rm",
        "--hostname",
        "h1",
        "-e",
        "FOO=bar",
        "busybox",
        "env",
    ]);
    assert_eq!(
        out,
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nHOSTNAME=h1\nFOO=bar\nHOME=/root\n"
    );
}

#[test]
fn detached_run_prints_the_full_id() {
    let e = TestEngine::new().with_busybox();
    let id = e.ok(&["run", "-d", "busybox", "sleep", "30"]);
    let id = id.trim();
    assert_eq!(id.len(), 64, "{id}");
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(e.state_of(&id[..12]), "running");
    let ps = redact(&e.ok(&["ps"]));
    assert!(
        ps.contains("[ID]   busybox   \"sleep 30\"   [AGO]   Up [DURATION]"),
        "{ps}"
    );
}
