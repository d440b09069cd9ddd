//! Showing a lab run: progress lines (✓/✗, step i of n, elapsed time), diffs and the summary.
//!
//! Colour comes from `console`, which only colours when stdout is a terminal (and honours
//! `NO_COLOR`/`CLICOLOR_FORCE`), so piped output and snapshots stay plain.

use std::io::Write;
use std::time::Duration;

use console::style;
use similar::{ChangeTag, TextDiff};

use super::format::Lab;
use super::messages::{FailureKind, Lang, human};
use super::runner::{CommandResult, Event, LabResult, Progress, Status};

/// Human-readable progress on stdout.
pub struct TextProgress {
    pub lang: Lang,
}

impl TextProgress {
    fn out(&self, s: &str) {
        let mut o = std::io::stdout().lock();
        let _ = writeln!(o, "{s}");
        let _ = o.flush();
    }
}

impl Progress for TextProgress {
    fn event(&mut self, lab: &Lab, ev: &Event) {
        let lang = self.lang;
        let n = lab.steps.len();
        match ev {
            Event::Image(i) => {
                if i.status == Status::Passed {
                    self.out(&format!(
                        "  {} {}",
                        style("✓").green(),
                        lang.preparing_image(&i.image)
                    ));
                } else {
                    self.out(&format!(
                        "  {} {}",
                        style("✗").red(),
                        lang.image_failed(&i.image, i.exit_code)
                    ));
                    for l in &i.output {
                        self.out(&format!("      {l}"));
                    }
                }
            }
            Event::StepStart { index, title } => {
                // On a terminal, show which step is running; the result line replaces it.
                let term = console::Term::stdout();
                if term.is_term() {
                    let _ = term.write_str(&format!(
                        "  {} {}: {title}",
                        style("…").dim(),
                        lang.step_of(*index, n)
                    ));
                }
            }
            Event::Done { .. } => {}
            Event::Step(s) => {
                let term = console::Term::stdout();
                if term.is_term() {
                    let _ = term.clear_line();
                }
                let what = format!("{}: {}", lang.step_of(s.index, n), s.title);
                match s.status {
                    Status::Passed => self.out(&format!(
                        "  {} {what} ({})",
                        style("✓").green(),
                        human(Duration::from_millis(s.duration_ms))
                    )),
                    Status::Skipped => self.out(&format!(
                        "  {} {what}: {}",
                        style("-").dim(),
                        lang.step_skipped()
                    )),
                    _ => {
                        self.out(&format!(
                            "  {} {what} ({})",
                            style("✗").red().bold(),
                            human(Duration::from_millis(s.duration_ms))
                        ));
                        if let Some(c) = s.commands.iter().find(|c| c.status != Status::Passed) {
                            for l in describe_failure(lang, lab, c) {
                                self.out(&format!("      {l}"));
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The lines explaining why a command failed: where, what kind, and the diff.
pub fn describe_failure(lang: Lang, lab: &Lab, c: &CommandResult) -> Vec<String> {
    let mut out = Vec::new();
    let mut cmd_lines = c.command.lines();
    out.push(format!(
        "{} {}  ({}:{})",
        style("$").bold(),
        style(cmd_lines.next().unwrap_or("")).bold(),
        lab.path.display(),
        c.line
    ));
    for l in cmd_lines {
        out.push(format!("> {l}"));
    }
    let kind = c.failure.unwrap_or(FailureKind::Error);
    out.push(
        style(lang.failure(kind, c.expected_exit_code, c.exit_code, lab.timeout))
            .red()
            .to_string(),
    );
    if let Some(e) = &c.error {
        out.push(e.clone());
    }
    let differs = c.expected != c.actual_normalized;
    if !differs && kind == FailureKind::WrongExitCode && !c.actual.is_empty() {
        // The output matched (or was not compared), but it usually says why the status
        // is wrong ("sh: nano: not found"), so show it.
        out.push(style(lang.output_was()).dim().to_string());
        out.extend(c.actual.iter().map(|l| format!(" {l}")));
    }
    if differs || kind == FailureKind::Timeout {
        out.push(style(lang.diff_legend()).dim().to_string());
        out.extend(diff_lines(&c.expected, &c.actual_normalized));
    }
    out
}

/// A line diff of expected against (normalised) actual: `-` expected, `+` actual.
pub fn diff_lines(expected: &[String], actual: &[String]) -> Vec<String> {
    let e = expected.join("\n") + "\n";
    let a = actual.join("\n") + "\n";
    let diff = TextDiff::from_lines(&e, &a);
    let mut out = Vec::new();
    for ch in diff.iter_all_changes() {
        let text = ch.value().trim_end_matches('\n');
        match ch.tag() {
            ChangeTag::Delete => out.push(style(format!("-{text}")).red().to_string()),
            ChangeTag::Insert => out.push(style(format!("+{text}")).green().to_string()),
            ChangeTag::Equal => out.push(format!(" {text}")),
        }
    }
    out
}

/// The header printed before a lab starts.
pub fn header(lang: Lang, lab: &Lab) -> String {
    style(lang.lab_header(&lab.id, &lab.title, lab.steps.len()))
        .bold()
        .to_string()
}

/// The line after a lab.
pub fn summary(lang: Lang, lab: &Lab, r: &LabResult) -> String {
    if r.status == Status::Interrupted {
        return style(lang.interrupted()).yellow().to_string();
    }
    let passed = r
        .steps
        .iter()
        .filter(|s| s.status == Status::Passed)
        .count();
    let line = lang.summary(
        passed,
        lab.steps.len(),
        Duration::from_millis(r.duration_ms),
    );
    let mut s = if r.status == Status::Passed {
        style(line).green().to_string()
    } else {
        style(line).red().to_string()
    };
    if let Some(e) = &r.error {
        s.push('\n');
        s.push_str(e);
    }
    s
}

/// `--format json`: every lab with every step and command.
pub fn json(results: &[LabResult]) -> serde_json::Value {
    let passed = results.iter().all(|r| r.status == Status::Passed);
    serde_json::json!({
        "status": if passed { "passed" } else { "failed" },
        "labs": results,
    })
}
