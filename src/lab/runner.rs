//! Running a lab: the host side (steps, matching, captures) and the runner side (sandbox
//! lifetime, the child process, its event stream, Ctrl-C).

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::format::{self, BlockKind, Lab};
use super::matcher::{Expected, split_lines};
use super::messages::FailureKind;
use super::sandbox::{self, Captures, Exec, Sandbox};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Passed,
    Failed,
    Skipped,
    Interrupted,
    Error,
}

/// One command's outcome: what `--format json` reports for grading.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CommandResult {
    /// Line of the `$ ` in the lab file.
    pub line: usize,
    pub block: BlockKind,
    pub interactive: bool,
    /// The command as run (captures substituted).
    pub command: String,
    pub expected: Vec<String>,
    pub actual: Vec<String>,
    /// `actual` rewritten toward `expected` (matched lines shown as their pattern): the
    /// right-hand side of the diff.
    pub actual_normalized: Vec<String>,
    pub expected_exit_code: i32,
    pub exit_code: Option<i32>,
    pub status: Status,
    pub failure: Option<FailureKind>,
    pub error: Option<String>,
    pub duration_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepResult {
    /// 1-based.
    pub index: usize,
    pub title: String,
    pub status: Status,
    pub duration_ms: u64,
    pub commands: Vec<CommandResult>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImageResult {
    pub image: String,
    pub status: Status,
    pub exit_code: Option<i32>,
    pub output: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LabResult {
    pub id: String,
    pub title: String,
    pub path: PathBuf,
    pub status: Status,
    pub duration_ms: u64,
    pub images: Vec<ImageResult>,
    pub steps: Vec<StepResult>,
    pub error: Option<String>,
}

/// What the host streams to the runner, one JSON object per line.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    Image(ImageResult),
    StepStart { index: usize, title: String },
    Step(StepResult),
    Done { interrupted: bool },
}

/// Receives progress as the lab runs.
pub trait Progress {
    fn event(&mut self, lab: &Lab, ev: &Event);
}

fn ms(d: Duration) -> u64 {
    d.as_millis() as u64
}

/// Compares one command's run with what the lab expects.
pub fn judge(
    cmd: &format::Command,
    block: BlockKind,
    interactive: bool,
    command: String,
    exec: &Exec,
    captures: &mut Captures,
) -> CommandResult {
    let actual = split_lines(&exec.output);
    let expected = Expected::compile(&cmd.expected).expect("validated when the lab was parsed");
    let m = expected.match_lines(&actual);
    let normalized = expected.normalize(&actual, &m);
    let output_ok = block == BlockKind::Setup || m.ok;
    let code_ok = exec.code == Some(cmd.code);
    let failure = if exec.interrupted {
        Some(FailureKind::Interrupted)
    } else if exec.error.is_some() {
        Some(FailureKind::Error)
    } else if exec.timed_out {
        Some(FailureKind::Timeout)
    } else if !code_ok {
        Some(FailureKind::WrongExitCode)
    } else if !output_ok {
        Some(match (m.missing() > 0, m.unexpected() > 0) {
            (true, false) => FailureKind::MissingLine,
            (false, true) => FailureKind::UnexpectedLine,
            _ => FailureKind::ChangedLine,
        })
    } else {
        None
    };
    if failure.is_none() && block != BlockKind::Setup {
        captures.extend(m.captures);
    }
    CommandResult {
        line: cmd.line,
        block,
        interactive,
        command,
        expected: cmd.expected.clone(),
        actual,
        actual_normalized: if block == BlockKind::Setup {
            expected.text()
        } else {
            normalized
        },
        expected_exit_code: cmd.code,
        exit_code: exec.code,
        status: match failure {
            None => Status::Passed,
            Some(FailureKind::Interrupted) => Status::Interrupted,
            Some(_) => Status::Failed,
        },
        failure,
        error: exec.error.clone(),
        duration_ms: ms(exec.duration),
    }
}

/// The hidden `lab __host` verb: runs inside the fresh namespaces, writes events to stdout.
pub fn host_main(lab_path: &Path, dir: &Path, keep_going: bool) -> anyhow::Result<i32> {
    sandbox::install_host_handlers();
    let parent = unsafe { libc::getppid() };
    let lab = match format::load(lab_path)? {
        Ok(lab) => lab,
        Err(errs) => anyhow::bail!("{}", errs[0].render(super::messages::Lang::En)),
    };
    let sb = Sandbox {
        dir: dir.to_path_buf(),
    };
    let mut out = std::io::stdout().lock();
    let mut emit = |ev: &Event| {
        let mut line = serde_json::to_string(ev).expect("events serialise");
        line.push('\n');
        // The runner may be gone (killed); keep going so the cleanup still happens.
        let _ = out.write_all(line.as_bytes());
        let _ = out.flush();
    };
    let interrupted = || sandbox::INTERRUPTED.load(Ordering::SeqCst);

    let mut stop = false;
    for image in &lab.images {
        if interrupted() {
            break;
        }
        let exec = sandbox::run_plain(
            &sb,
            &format!("docker pull {image}"),
            lab.timeout.max(Duration::from_secs(120)),
        );
        let ok = exec.code == Some(0);
        emit(&Event::Image(ImageResult {
            image: image.clone(),
            status: if ok { Status::Passed } else { Status::Failed },
            exit_code: exec.code,
            output: split_lines(&exec.output),
        }));
        if !ok {
            stop = true;
        }
    }

    let mut captures = Captures::new();
    let mut failed = stop;
    for (k, step) in lab.steps.iter().enumerate() {
        let index = k + 1;
        if interrupted() {
            break;
        }
        if failed && !keep_going {
            emit(&Event::Step(StepResult {
                index,
                title: step.title.clone(),
                status: Status::Skipped,
                duration_ms: 0,
                commands: Vec::new(),
            }));
            continue;
        }
        emit(&Event::StepStart {
            index,
            title: step.title.clone(),
        });
        let started = Instant::now();
        let mut results = Vec::new();
        let mut status = Status::Passed;
        'blocks: for block in step.runnable() {
            for cmd in &block.commands {
                let text = format::substitute(&cmd.text, &captures);
                let exec = if block.interactive {
                    sandbox::run_pty(&sb, &text, &cmd.inputs, lab.timeout)
                } else {
                    sandbox::run_plain(&sb, &text, lab.timeout)
                };
                let r = judge(
                    cmd,
                    block.kind,
                    block.interactive,
                    text,
                    &exec,
                    &mut captures,
                );
                let st = r.status;
                results.push(r);
                if st != Status::Passed {
                    status = st;
                    break 'blocks;
                }
            }
        }
        if status != Status::Passed {
            failed = true;
        }
        emit(&Event::Step(StepResult {
            index,
            title: step.title.clone(),
            status,
            duration_ms: ms(started.elapsed()),
            commands: results,
        }));
    }
    let was_interrupted = interrupted();
    sandbox::cleanup(&sb);
    emit(&Event::Done {
        interrupted: was_interrupted,
    });
    // Orphaned by a dead runner (PR_SET_PDEATHSIG): nobody else will remove the directory.
    if unsafe { libc::getppid() } != parent {
        let _ = std::fs::remove_dir_all(dir);
    }
    Ok(0)
}

/// Pid of the running host, for the runner's signal handler.
static HOST_PID: AtomicI32 = AtomicI32::new(0);
/// The runner got SIGINT/SIGTERM.
pub static RUNNER_INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn forward_signal(_sig: libc::c_int) {
    RUNNER_INTERRUPTED.store(true, Ordering::SeqCst);
    let pid = HOST_PID.load(Ordering::SeqCst);
    if pid > 0 {
        unsafe { libc::kill(pid, libc::SIGINT) };
    }
}

/// Makes Ctrl-C (and SIGTERM) stop the lab through the host, which cleans up, instead of
/// killing the runner before the sandbox is gone.
pub fn install_runner_handlers() {
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = forward_signal as *const () as usize;
        libc::sigemptyset(&mut sa.sa_mask);
        for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
}

/// Runs one lab in a fresh sandbox; `progress` sees every event as it arrives.
pub fn run_lab(
    lab: &Lab,
    keep_going: bool,
    progress: &mut dyn Progress,
) -> anyhow::Result<LabResult> {
    let started = Instant::now();
    let mut result = LabResult {
        id: lab.id.clone(),
        title: lab.title.clone(),
        path: lab.path.clone(),
        status: Status::Passed,
        duration_ms: 0,
        images: Vec::new(),
        steps: Vec::new(),
        error: None,
    };
    if RUNNER_INTERRUPTED.load(Ordering::SeqCst) {
        result.status = Status::Interrupted;
        return Ok(result);
    }
    let tmp = tempfile::Builder::new()
        .prefix("docklab-lab-")
        .tempdir()
        .context("cannot create the lab's temporary directory")?;
    let sb = Sandbox {
        dir: tmp.path().to_path_buf(),
    };
    sb.populate()?;
    let exe = std::env::current_exe().context("cannot find the docklab binary")?;
    let lab_path = std::fs::canonicalize(&lab.path).unwrap_or_else(|_| lab.path.clone());
    let mut cmd = Command::new(exe);
    cmd.arg("--root")
        .arg(sb.root())
        .args(["lab", "__host", "--dir"])
        .arg(&sb.dir)
        .arg("--lab")
        .arg(&lab_path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped());
    if keep_going {
        cmd.arg("--keep-going");
    }
    unsafe {
        cmd.pre_exec(|| sandbox::enter_lab_host());
    }
    let mut child = cmd.spawn().map_err(|e| {
        anyhow::anyhow!(
            "{} ({e})",
            super::messages::Lang::from_env().sandbox_failed()
        )
    })?;
    HOST_PID.store(child.id() as i32, Ordering::SeqCst);
    // A signal that came between the check above and the store would be lost.
    if RUNNER_INTERRUPTED.load(Ordering::SeqCst) {
        unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    }
    let stdout = child.stdout.take().expect("piped");
    let mut interrupted = false;
    let mut done = false;
    for line in BufReader::new(stdout).lines() {
        let line = match line {
            Ok(l) => l,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        let Ok(ev) = serde_json::from_str::<Event>(&line) else {
            continue;
        };
        progress.event(lab, &ev);
        match ev {
            Event::Image(i) => result.images.push(i),
            Event::StepStart { .. } => {}
            Event::Step(s) => result.steps.push(s),
            Event::Done { interrupted: i } => {
                interrupted = i;
                done = true;
            }
        }
    }
    let status = loop {
        match child.wait() {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            other => break other,
        }
    };
    HOST_PID.store(0, Ordering::SeqCst);
    let host_ok = matches!(status, Ok(s) if s.success());
    if let Err(e) = tmp.close() {
        result.error = Some(format!("cannot remove {}: {e}", sb.dir.display()));
    }
    interrupted |= RUNNER_INTERRUPTED.load(Ordering::SeqCst);
    result.duration_ms = ms(started.elapsed());
    result.status = if interrupted {
        Status::Interrupted
    } else if !done || !host_ok {
        result
            .error
            .get_or_insert_with(|| "the lab host stopped unexpectedly".into());
        Status::Error
    } else if result.images.iter().any(|i| i.status != Status::Passed)
        || result.steps.iter().any(|s| s.status != Status::Passed)
        || result.steps.len() < lab.steps.len()
    {
        Status::Failed
    } else {
        Status::Passed
    };
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(expected: &[&str], code: i32) -> format::Command {
        format::Command {
            line: 1,
            text: "x".into(),
            expected: expected.iter().map(|s| s.to_string()).collect(),
            expected_lines: (2..2 + expected.len()).collect(),
            code,
            inputs: Vec::new(),
        }
    }

    fn exec(output: &str, code: i32) -> Exec {
        Exec {
            output: output.into(),
            code: Some(code),
            ..Exec::default()
        }
    }

    #[test]
    fn setup_blocks_check_the_status_but_not_the_output() {
        let mut caps = Captures::new();
        let c = cmd(&["expected"], 0);
        let r = judge(
            &c,
            BlockKind::Setup,
            false,
            "x".into(),
            &exec("other\n", 0),
            &mut caps,
        );
        assert_eq!(r.status, Status::Passed);
        let r = judge(
            &c,
            BlockKind::Setup,
            false,
            "x".into(),
            &exec("expected\n", 1),
            &mut caps,
        );
        assert_eq!(r.failure, Some(FailureKind::WrongExitCode));
        let r = judge(
            &c,
            BlockKind::Run,
            false,
            "x".into(),
            &exec("other\n", 0),
            &mut caps,
        );
        assert_eq!(r.failure, Some(FailureKind::ChangedLine));
    }

    #[test]
    fn captures_only_from_passing_commands() {
        let mut caps = Captures::new();
        let c = cmd(&["[ID:web]", "end"], 0);
        let r = judge(
            &c,
            BlockKind::Run,
            false,
            "x".into(),
            &exec("0123456789ab\nnot end\n", 0),
            &mut caps,
        );
        assert_eq!(r.status, Status::Failed);
        assert!(caps.is_empty());
        judge(
            &c,
            BlockKind::Run,
            false,
            "x".into(),
            &exec("0123456789ab\nend\n", 0),
            &mut caps,
        );
        assert_eq!(caps["web"], "0123456789ab");
    }

    #[test]
    fn timeout_and_interrupt_win_over_other_failures() {
        let mut caps = Captures::new();
        let c = cmd(&["a"], 0);
        let mut e = exec("", 137);
        e.timed_out = true;
        let r = judge(&c, BlockKind::Run, false, "x".into(), &e, &mut caps);
        assert_eq!(r.failure, Some(FailureKind::Timeout));
        e.interrupted = true;
        let r = judge(&c, BlockKind::Run, false, "x".into(), &e, &mut caps);
        assert_eq!(r.status, Status::Interrupted);
    }
}
