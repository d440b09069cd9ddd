//! Shared helpers for the integration tests: a private engine root per test, running the
//! binary, redacting IDs and times, and checking that nothing is left behind.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The built binary.
pub fn docklab_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_docklab"))
}

/// The engine tests need real namespaces and mounts, so they run as root.
pub fn require_root() {
    assert!(
        nix::unistd::geteuid().is_root(),
        "the integration tests run real containers and must run as root (sudo cargo test)"
    );
}

/// A private engine root that removes its containers and files when dropped.
pub struct TestEngine {
    pub root: tempfile::TempDir,
}

impl TestEngine {
    pub fn new() -> Self {
        require_root();
        let base = Path::new(env!("CARGO_TARGET_TMPDIR"));
        let root = tempfile::Builder::new()
            .prefix("engine-")
            .tempdir_in(base)
            .expect("temp root");
        TestEngine { root }
    }

    pub fn root(&self) -> &Path {
        self.root.path()
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(docklab_bin());
        cmd.arg("--root").arg(self.root()).args(args);
        cmd.env("LANG", "C").env_remove("DOCKLAB_ROOT");
        cmd.stdin(Stdio::null());
        cmd
    }

    /// Runs `docklab --root <root> args…` to completion.
    pub fn run(&self, args: &[&str]) -> Run {
        let out = self.command(args).output().expect("spawn docklab");
        Run::from(out)
    }

    /// Runs and asserts success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let r = self.run(args);
        assert_eq!(
            r.code, 0,
            "docklab {args:?} failed:\nstdout: {}\nstderr: {}",
            r.stdout, r.stderr
        );
        r.stdout
    }

    /// Runs `docklab --root <root> args…` with `input` on its stdin.
    pub fn run_with_stdin(&self, args: &[&str], input: &[u8]) -> Run {
        use std::io::Write;
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn docklab");
        child.stdin.take().unwrap().write_all(input).unwrap();
        Run::from(child.wait_with_output().expect("wait for docklab"))
    }

    /// Pulls the catalog's busybox once for this root.
    pub fn with_busybox(self) -> Self {
        self.ok(&["pull", "busybox"]);
        self
    }

    pub fn state_of(&self, name: &str) -> String {
        self.ok(&["inspect", "-f", "{{.State.Status}}", name])
            .trim()
            .to_string()
    }
}

impl Drop for TestEngine {
    fn drop(&mut self) {
        let ids = self.run(&["ps", "-aq", "--no-trunc"]).stdout;
        let ids: Vec<&str> = ids.split_whitespace().collect();
        if !ids.is_empty() {
            let mut args = vec!["rm", "-f"];
            args.extend(ids);
            let _ = self.run(&args);
        }
    }
}

/// A finished command.
#[derive(Debug, Clone)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(out: Output) -> Self {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// Replaces what legitimately varies between runs with stable placeholders, in the style
/// of trycmd's redactions: IDs, digests, generated names' numbers, times and durations.
pub fn redact(text: &str) -> String {
    let rules: [(&str, &str); 6] = [
        (r"sha256:[0-9a-f]{64}", "[DIGEST]"),
        (r"\b[0-9a-f]{64}\b", "[ID64]"),
        (r"\b[0-9a-f]{12}\b", "[ID]"),
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "[TIME]"),
        (r"(Less than a second|About an? \w+|\d+ \w+) ago", "[AGO]"),
        (
            r"Up (Less than a second|About an? \w+|\d+ \w+)",
            "Up [DURATION]",
        ),
    ];
    let mut out = text.to_string();
    for (pattern, replacement) in rules {
        out = regex::Regex::new(pattern)
            .unwrap()
            .replace_all(&out, replacement)
            .into_owned();
    }
    // Column widths follow the redacted values' lengths; collapse runs of spaces so the
    // snapshot checks content and order, while the exact layout is unit-tested.
    regex::Regex::new(r" {2,}")
        .unwrap()
        .replace_all(&out, "   ")
        .into_owned()
}

/// Mount points that mention `root` (there must be none once containers are gone).
pub fn mounts_under(root: &Path) -> Vec<String> {
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let needle = root.display().to_string();
    mounts
        .lines()
        .filter(|l| l.contains(&needle))
        .map(|l| l.to_string())
        .collect()
}

/// Monitor processes serving `root`.
pub fn monitors_for(root: &Path) -> Vec<i32> {
    let needle = root.display().to_string();
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let text = String::from_utf8_lossy(&cmdline);
        if text.contains("__monitor") && text.contains(&needle) {
            out.push(pid);
        }
    }
    out
}

/// Polls `cond` for up to `secs` seconds.
pub fn eventually(secs: u64, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    cond()
}
