//! `docklab lab run|list|validate` end to end on the fixture labs in `fixtures/labs/`, which use
//! only plain shell commands so they need no engine. Needs root (the sandbox is a network
//! namespace).

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_docklab");

/// One runner invocation with its own TMPDIR, so the sandbox directories it creates (and
/// must remove) can be checked without seeing other tests'.
struct Run {
    tmp: tempfile::TempDir,
}

impl Run {
    fn new() -> Run {
        Run {
            tmp: tempfile::tempdir().unwrap(),
        }
    }

    fn cmd(&self, lang: &str, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.current_dir(env!("CARGO_MANIFEST_DIR"))
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env("LANG", lang)
            .env("TMPDIR", self.tmp.path())
            .env("DOCKLAB_ROOT", self.tmp.path().join("engine-root"))
            .args(["lab", "--labs", "fixtures/labs"])
            .args(args);
        c
    }

    fn run(&self, lang: &str, args: &[&str]) -> Output {
        let out = self.cmd(lang, args).output().unwrap();
        self.assert_clean();
        out
    }

    /// Nothing of the sandbox is left: no `docklab-lab-*` directory, no process that was
    /// started inside it (they all carry the sandbox path in their environment).
    fn assert_clean(&self) {
        let left: Vec<_> = std::fs::read_dir(self.tmp.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("docklab-lab-"))
            .collect();
        assert!(left.is_empty(), "sandbox directories left behind: {left:?}");
        let procs = processes_mentioning(&self.tmp.path().display().to_string());
        assert!(procs.is_empty(), "processes left behind: {procs:?}");
    }
}

/// Pids whose command line or environment mentions `needle` (our own excluded).
fn processes_mentioning(needle: &str) -> Vec<(i32, String)> {
    let me = std::process::id() as i32;
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
            continue;
        };
        if pid == me {
            continue;
        }
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        let environ = String::from_utf8_lossy(&environ);
        // Zombies have empty files; they are not running anything.
        if cmdline.contains(needle) || environ.contains(needle) {
            out.push((pid, cmdline));
        }
    }
    out
}

fn processes_running(cmd: &str) -> Vec<i32> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
            continue;
        };
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if String::from_utf8_lossy(&cmdline)
            .replace('\0', " ")
            .trim_end()
            == cmd
        {
            out.push(pid);
        }
    }
    out
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Elapsed times vary; the configured timeout ("in 1.0s") does not, so only times in
/// parentheses and in the summary are redacted.
fn redact_times(s: &str) -> String {
    let re = regex::Regex::new(r"\(\d+\.\ds\)|\(\d+m\d\ds\)").unwrap();
    let s = re.replace_all(s, "([TIME])");
    let re = regex::Regex::new(r"(passed in|за) \d+\.\ds").unwrap();
    re.replace_all(&s, "$1 [TIME]").into_owned()
}

#[test]
fn passing_lab_passes_and_leaves_nothing() {
    let r = Run::new();
    let o = r.run("C", &["run", "pass"]);
    let out = stdout(&o);
    assert!(o.status.success(), "{out}\n{}", stderr(&o));
    assert_eq!(out.matches('✓').count(), 5, "{out}");
    assert!(out.contains("step 5 of 5: Interactive"), "{out}");
    assert!(out.contains("5 of 5 steps passed in"), "{out}");
}

#[test]
fn a_lab_can_be_named_by_path_id_or_number_prefix() {
    let r = Run::new();
    assert!(
        r.run("C", &["run", "fixtures/labs/pass.md"])
            .status
            .success()
    );
    let o = r.run("C", &["run", "does-not-exist"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("No lab \"does-not-exist\""),
        "{}",
        stderr(&o)
    );
}

#[test]
fn missing_line_diff_in_english() {
    let r = Run::new();
    let o = r.run("en_US.UTF-8", &["run", "fail-output"]);
    assert_eq!(o.status.code(), Some(1));
    insta::assert_snapshot!(redact_times(&stdout(&o)));
}

#[test]
fn missing_line_diff_in_russian() {
    let r = Run::new();
    let o = r.run("ru_RU.UTF-8", &["run", "fail-output"]);
    assert_eq!(o.status.code(), Some(1));
    insta::assert_snapshot!(redact_times(&stdout(&o)));
}

#[test]
fn every_failure_kind_with_keep_going() {
    let r = Run::new();
    let o = r.run("C", &["run", "--keep-going", "fail-kinds"]);
    assert_eq!(o.status.code(), Some(1));
    insta::assert_snapshot!(redact_times(&stdout(&o)));
}

#[test]
fn timeout_keeps_partial_output_and_kills_the_group() {
    let r = Run::new();
    let started = Instant::now();
    let o = r.run(
        "C",
        &["run", "--keep-going", "--format", "json", "fail-kinds"],
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "the 1s timeout was not enforced"
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let step = &v["labs"][0]["steps"][3];
    assert_eq!(step["title"], "Timeout");
    let cmd = &step["commands"][0];
    assert_eq!(cmd["failure"], "timeout");
    assert_eq!(cmd["status"], "failed");
    assert_eq!(cmd["actual"], serde_json::json!(["partial"]));
    // SIGKILL to the group: the shell died of signal 9.
    assert_eq!(cmd["exit_code"], 137);
    let kinds: Vec<_> = v["labs"][0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["commands"][0]["failure"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        kinds,
        [
            "wrong_exit_code",
            "unexpected_line",
            "changed_line",
            "timeout",
            "changed_line"
        ]
    );
}

/// Durations and absolute paths vary between runs.
fn redact_json(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if k == "duration_ms" {
                    *x = serde_json::json!("[ms]");
                } else {
                    redact_json(x);
                }
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(redact_json),
        _ => {}
    }
}

#[test]
fn json_shape() {
    let r = Run::new();
    let o = r.run("C", &["run", "--format", "json", "fail-output"]);
    assert_eq!(o.status.code(), Some(1));
    let mut v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    redact_json(&mut v);
    insta::assert_json_snapshot!(v);
}

#[test]
fn captures_are_substituted_into_later_commands() {
    let r = Run::new();
    let o = r.run("C", &["run", "--format", "json", "pass"]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let step = &v["labs"][0]["steps"][2];
    assert_eq!(step["title"], "Captures");
    assert_eq!(step["commands"][1]["block"], "check");
    assert_eq!(
        step["commands"][1]["command"],
        "echo \"id is 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\" | cut -c1-18"
    );
    let inter = &v["labs"][0]["steps"][4]["commands"][0];
    assert_eq!(inter["interactive"], true);
    assert_eq!(
        inter["actual"],
        serde_json::json!(["/ # ls", "ran ls", "/ # exit"])
    );
}

#[test]
fn malformed_lab_names_file_and_line_in_both_languages() {
    let r = Run::new();
    let o = r.run("C", &["run", "malformed"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "", "an invalid lab is not run");
    assert_eq!(
        stderr(&o),
        "fixtures/labs/malformed.md:15: error: unknown console block attribute `sometimes`: use ignore, setup, check or interactive\n\
         fixtures/labs/malformed.md:20: error: `${later}` is used before any output captures it with `[KIND:later]`\n"
    );
    let o = r.run("ru_RU.UTF-8", &["validate", "fixtures/labs/malformed.md"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).starts_with(
            "fixtures/labs/malformed.md:15: ошибка: неизвестный атрибут блока console `sometimes`"
        ),
        "{}",
        stderr(&o)
    );
}

#[test]
fn validate_and_list() {
    let r = Run::new();
    let o = r.run("C", &["validate", "pass", "fail-kinds"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "2 lab(s) valid\n");
    // The whole directory holds the malformed fixture.
    let o = r.run("C", &["validate"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("malformed.md:15"));
    let o = r.run("C", &["list"]);
    assert_eq!(o.status.code(), Some(1), "the malformed lab is reported");
    let out = stdout(&o);
    assert!(out.starts_with("ID "), "{out}");
    assert!(
        out.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>()
                == ["pass", "5", "A", "passing", "lab"]),
        "{out}"
    );
    let o = r.run("ru_RU.UTF-8", &["list"]);
    assert!(stdout(&o).contains("ШАГОВ"));
}

#[test]
fn failing_step_leaves_no_process_or_directory() {
    let r = Run::new();
    let o = r.run("C", &["run", "leftover"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("-expected"), "{}", stdout(&o));
    assert!(processes_running("sleep 27182").is_empty());
}

#[test]
fn sigint_stops_the_lab_and_cleans_up() {
    let r = Run::new();
    let mut child = r
        .cmd("C", &["run", "interrupt"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the step's commands are running inside the sandbox.
    let t = Instant::now();
    while processes_running("sleep 27183").is_empty() {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "the step never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let t = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "the runner did not stop"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(130));
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut out).unwrap();
    assert!(out.contains("Interrupted"), "{out}");
    assert!(processes_running("sleep 27183").is_empty());
    assert!(processes_running("sleep 31415").is_empty());
    r.assert_clean();
}

#[test]
fn sandbox_has_its_own_network_namespace() {
    // The pass fixture checks that only `lo` exists and that it is up; here, that two
    // sandboxes are not the host's namespace.
    let host = std::fs::read_link("/proc/self/ns/net").unwrap();
    let r = Run::new();
    let dir = tempfile::tempdir().unwrap();
    let lab = dir.path().join("ns.md");
    std::fs::write(
        &lab,
        format!(
            "+++\nid = \"ns\"\ntitle = \"ns\"\n+++\n## ns\n```console\n$ readlink /proc/self/ns/net | grep -vxF '{}' && echo other\n[..]\nother\n```\n",
            host.display()
        ),
    )
    .unwrap();
    let o = r.run("C", &["run", lab.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stdout(&o));
}

#[test]
fn an_image_that_cannot_be_pulled_is_reported_and_stops_the_lab() {
    let r = Run::new();
    let o = r.run("C", &["run", "--format", "json", "image-missing"]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let lab = &v["labs"][0];
    assert_eq!(lab["images"][0]["image"], "nosuchimage-docklab-fixture:1.0");
    assert_eq!(lab["images"][0]["status"], "failed");
    assert_eq!(lab["steps"][0]["status"], "skipped");
    let o = r.run("C", &["run", "image-missing"]);
    assert!(
        stdout(&o).contains(
            "Could not prepare image nosuchimage-docklab-fixture:1.0: `docker pull nosuchimage-docklab-fixture:1.0` failed"
        ),
        "{}",
        stdout(&o)
    );
}

#[test]
fn course_labs_are_valid() {
    let o = Command::new(BIN)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("LANG", "C")
        .args(["lab", "validate"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let o = Command::new(BIN)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["lab", "list"])
        .output()
        .unwrap();
    let out = stdout(&o);
    assert!(out.contains("01-run"), "{out}");
    assert!(out.contains("02-exec"), "{out}");
}

#[test]
fn a_killed_runner_still_leaves_nothing_behind() {
    // SIGKILL cannot be caught: the host notices through PR_SET_PDEATHSIG and cleans up,
    // temporary directory included.
    let r = Run::new();
    let mut child = r
        .cmd("C", &["run", "runner-killed"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let t = Instant::now();
    while processes_running("sleep 27184").is_empty() {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "the step never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let t = Instant::now();
    loop {
        let dirs = std::fs::read_dir(r.tmp.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("docklab-lab-"))
            .count();
        let procs = processes_mentioning(&r.tmp.path().display().to_string());
        if dirs == 0 && procs.is_empty() && processes_running("sleep 27184").is_empty() {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "left behind: {dirs} entries, {procs:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
