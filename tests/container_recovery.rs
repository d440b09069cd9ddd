//! Crash safety, concurrency and clean-up: killed monitors and clients never leave state
//! that later commands cannot read, parallel commands never corrupt it, and nothing of a
//! container outlives its removal.

mod common;
use common::{TestEngine, eventually, monitors_for, mounts_under};

#[test]
fn killing_the_monitor_takes_the_container_down_cleanly() {
    let e = TestEngine::new().with_busybox();
    let id = e.ok(&["run", "-d", "--name", "mon", "busybox", "sleep", "300"]);
    let monitors = monitors_for(e.root());
    assert_eq!(monitors.len(), 1, "one monitor per container");
    let init_pid: i32 = e
        .ok(&["inspect", "-f", "{{.State.Pid}}", "mon"])
        .trim()
        .parse()
        .unwrap();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(monitors[0]),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    // PR_SET_PDEATHSIG takes the init with it; the next command records the exit.
    assert!(
        eventually(5, || std::fs::metadata(format!("/proc/{init_pid}"))
            .is_err()),
        "init outlived its monitor"
    );
    assert_eq!(e.state_of("mon"), "exited");
    assert_eq!(
        e.ok(&["inspect", "-f", "{{.State.ExitCode}}", "mon"])
            .trim(),
        "137"
    );
    assert_eq!(e.ok(&["rm", "mon"]), "mon\n");
    assert!(!e.root().join("containers").join(id.trim()).exists());
}

#[test]
fn killing_the_client_leaves_the_container_running() {
    let e = TestEngine::new().with_busybox();
    let mut client = e
        .command(&["run", "--name", "bg", "busybox", "sleep", "300"])
        .spawn()
        .unwrap();
    assert!(eventually(5, || e
        .run(&["inspect", "-f", "{{.State.Status}}", "bg"])
        .stdout
        .trim()
        == "running"));
    client.kill().unwrap();
    client.wait().unwrap();
    assert_eq!(e.state_of("bg"), "running");
    e.ok(&["rm", "-f", "bg"]);
}

#[test]
fn parallel_creates_keep_state_consistent() {
    let e = TestEngine::new().with_busybox();
    let handles: Vec<_> = (0..8)
        .map(|i| {
            e.command(&["create", "--name", &format!("c{i}"), "busybox"])
                .output()
        })
        .collect();
    for h in handles {
        assert!(h.unwrap().status.success());
    }
    // The same name from two clients at once: exactly one wins.
    let a = e
        .command(&["create", "--name", "dup", "busybox"])
        .spawn()
        .unwrap();
    let b = e
        .command(&["create", "--name", "dup", "busybox"])
        .spawn()
        .unwrap();
    let ok = [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()]
        .iter()
        .filter(|o| o.status.success())
        .count();
    assert_eq!(ok, 1);
    assert_eq!(e.ok(&["ps", "-aq"]).lines().count(), 9);
}

#[test]
fn nothing_is_left_after_removal() {
    let e = TestEngine::new().with_busybox();
    let id = e.ok(&["run", "-d", "busybox", "sleep", "300"]);
    let id = id.trim().to_string();
    e.ok(&["exec", "-d", &id, "sleep", "300"]);
    assert!(
        std::path::Path::new("/sys/fs/cgroup/pids/docklab")
            .join(&id)
            .exists()
            || std::path::Path::new("/sys/fs/cgroup/docklab")
                .join(&id)
                .exists()
    );
    e.ok(&["rm", "-f", &id]);
    assert!(monitors_for(e.root()).is_empty());
    assert!(
        mounts_under(e.root()).is_empty(),
        "{:?}",
        mounts_under(e.root())
    );
    assert!(
        !std::path::Path::new("/sys/fs/cgroup/pids/docklab")
            .join(&id)
            .exists()
    );
    assert!(
        !std::path::Path::new("/sys/fs/cgroup/docklab")
            .join(&id)
            .exists()
    );
    assert_eq!(
        std::fs::read_dir(e.root().join("tmp")).unwrap().count(),
        0,
        "scratch space not cleaned"
    );
}
