//! The command-line contract: the binary behind a `docker` link is the engine alone, IDs
//! resolve by prefix with Docker's ambiguity error, and `version`/`info` describe the engine.

mod common;
use common::TestEngine;

#[test]
fn a_link_named_docker_is_the_engine() {
    let e = TestEngine::new().with_busybox();
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("docker");
    std::os::unix::fs::symlink(common::docklab_bin(), &link).unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(&link)
            .env("DOCKLAB_ROOT", e.root())
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    assert_eq!(
        run(&["run", "--rm", "busybox", "echo", "via docker"]),
        (0, "via docker\n".into(), String::new())
    );
    // Errors name the program the way the docker CLI does.
    let (code, _, err) = run(&["run", "busybox", "nosuchcmd"]);
    assert_eq!(code, 127);
    assert!(
        err.starts_with("docker: Error response from daemon:")
            && err.ends_with("Run 'docker run --help' for more information\n"),
        "{err}"
    );
    // The lab runner's verbs are not docker's.
    let (code, _, err) = run(&["lab", "list"]);
    assert_eq!(
        (code, err.as_str()),
        (
            1,
            "docker: 'lab' is not a docker command.\nSee 'docker --help'\n"
        )
    );
}

#[test]
fn ambiguous_prefixes_get_dockers_error() {
    let e = TestEngine::new().with_busybox();
    // 17 IDs over 16 hex digits: at least two share their first character.
    let ids: Vec<String> = (0..17)
        .map(|_| e.ok(&["create", "busybox"]).trim().to_string())
        .collect();
    let first = ids
        .iter()
        .map(|id| &id[..1])
        .find(|p| ids.iter().filter(|id| id.starts_with(*p)).count() > 1)
        .unwrap();
    let r = e.run(&["inspect", first]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains(&format!(
            "Error response from daemon: Multiple IDs found with provided prefix: {first}"
        )),
        "{}",
        r.stderr
    );
    let r = e.run(&["rm", first]);
    assert_eq!(
        (r.code, r.stderr),
        (
            1,
            format!(
                "Error response from daemon: Multiple IDs found with provided prefix: {first}\n"
            )
        )
    );
    // The full 12-character prefix is unique.
    assert_eq!(e.ok(&["rm", &ids[0][..12]]), format!("{}\n", &ids[0][..12]));
}

#[test]
fn version_and_info_describe_the_engine() {
    let e = TestEngine::new().with_busybox();
    let version = e.ok(&["version"]);
    assert!(
        version.starts_with("Client: docklab\n Version:           "),
        "{version}"
    );
    assert!(
        version.contains("\nServer: docklab\n Engine:\n"),
        "{version}"
    );
    assert_eq!(
        e.ok(&["version", "--format", "{{.Server.Version}}"]).trim(),
        env!("CARGO_PKG_VERSION")
    );
    e.ok(&["run", "-d", "busybox", "sleep", "30"]);
    e.ok(&["create", "busybox"]);
    let info = e.ok(&["info"]);
    for line in [
        " Containers: 2\n",
        "  Running: 1\n",
        "  Paused: 0\n",
        "  Stopped: 1\n",
        " Images: 1\n",
        " Storage Driver: overlay2\n",
    ] {
        assert!(info.contains(line), "missing {line:?} in:\n{info}");
    }
    assert!(
        info.contains(&format!(" Docker Root Dir: {}\n", e.root().display())),
        "{info}"
    );
}

#[test]
fn without_root_the_engine_says_so() {
    common::require_root();
    use std::os::unix::process::CommandExt;
    let out = std::process::Command::new(common::docklab_bin())
        .args(["--root", "/nonexistent/docklab", "ps"])
        .uid(65534)
        .gid(65534)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "docklab: the engine needs root (namespaces, mounts, cgroups): run it with sudo\n"
    );
}
