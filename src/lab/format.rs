//! The lab file format, version 1: TOML front matter, `##` steps, console/hint/solution blocks.
//!
//! A lab is one markdown file (DESIGN.md "Lab file format"):
//!
//! - Front matter between `+++` lines: `id`, `title`, `images` (pulled before step 1),
//!   `timeout` (per command; `"30s"`, `"2m"`, `"500ms"` or a number of seconds; default 30 s).
//! - Each `##` heading starts a step; `#` and `###` headings and all prose are for the reader.
//! - A ```` ```console ```` block holds commands: `$ ` starts one, `> ` lines right after it
//!   continue it (joined with a newline, so `\` continuations work as in a shell), the lines
//!   that follow are its expected output (stdout and stderr merged), and an optional last
//!   line `? CODE` is its expected exit status (default 0).
//! - Fence attributes after a comma: `ignore` (shown, never run, not parsed), `setup` (run,
//!   output not compared, exit status still checked), `check` (a side-effect-free probe that
//!   `lab check` runs; `lab run` runs and compares it like any block), `interactive` (see
//!   below). `ignore` combines with nothing; `setup` does not combine with `check`.
//! - ```` ```hint ```` blocks are hints, a ```` ```solution ```` block is the step's solution.
//!
//! **Interactive blocks** (`console,interactive`) drive one `-it` command through a pty. The
//! first `$ ` line (with its `> ` continuations) is the command, which is the only command
//! of the block. Every later line is a line of the terminal transcript. A transcript line
//! that starts with a *prompt* is typed: the runner waits until the program has printed the
//! prompt, then types the rest of the line and Enter. A prompt is `>>> ` or `... ` (Python),
//! or an optional word without blanks, an optional single space and `# ` or `$ ` (`/ # `,
//! `# `, `$ `, `root@host:/# `, `bash-5.2$ `). A prompt alone on the line (`/ #`) types
//! Ctrl-D. Every other line is expected output. The whole transcript (prompts and echoed
//! input included, since the terminal echoes what is typed) is matched like any output.
//! Consequence: an output line that itself looks like `# text` cannot be expected in an
//! interactive block; use `[..]` for it (e.g. `[..]# text`).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use comrak::nodes::NodeValue;
use regex::Regex;
use serde::Deserialize;

use super::matcher::{Pattern, PatternProblem};
use super::messages::{Lang, Problem};

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// A parsed lab.
#[derive(Debug, Clone)]
pub struct Lab {
    pub path: PathBuf,
    pub id: String,
    pub title: String,
    pub images: Vec<String>,
    pub timeout: Duration,
    pub steps: Vec<Step>,
}

/// One `##` section.
#[derive(Debug, Clone)]
pub struct Step {
    pub title: String,
    /// Line of the heading (1-based).
    pub line: usize,
    /// The step's markdown below its heading, as written.
    pub body: String,
    pub blocks: Vec<Block>,
    pub hints: Vec<String>,
    pub solution: Option<String>,
}

impl Step {
    /// Blocks `lab run` executes (everything but `ignore`).
    pub fn runnable(&self) -> impl Iterator<Item = &Block> {
        self.blocks.iter().filter(|b| b.kind != BlockKind::Ignore)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BlockKind {
    Run,
    Ignore,
    Setup,
    Check,
}

/// One console block.
#[derive(Debug, Clone)]
pub struct Block {
    pub line: usize,
    pub kind: BlockKind,
    pub interactive: bool,
    pub commands: Vec<Command>,
}

/// One `$ ` command with what it should print.
#[derive(Debug, Clone)]
pub struct Command {
    /// Line of the `$ ` (1-based).
    pub line: usize,
    /// The shell text, continuation lines joined with `\n`.
    pub text: String,
    /// Expected output lines (for interactive blocks: the transcript), `? CODE` removed.
    pub expected: Vec<String>,
    /// Line number of each expected line.
    pub expected_lines: Vec<usize>,
    pub code: i32,
    /// Typed input of an interactive command, in order.
    pub inputs: Vec<Input>,
}

/// A line typed into an interactive command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// What to wait for before typing (`>>> `, `/ # `).
    pub prompt: String,
    /// What to type; `None` means Ctrl-D.
    pub text: Option<String>,
}

/// A problem in a lab file, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabError {
    pub path: PathBuf,
    pub line: usize,
    pub problem: Problem,
}

impl LabError {
    /// `labs/01-run.md:12: error: …` in the learner's language.
    pub fn render(&self, lang: Lang) -> String {
        format!(
            "{}:{}: {}: {}",
            self.path.display(),
            self.line,
            lang.error(),
            lang.problem(&self.problem)
        )
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    id: String,
    title: String,
    #[serde(default)]
    images: Vec<String>,
    timeout: Option<TimeoutValue>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum TimeoutValue {
    Seconds(u64),
    Text(String),
}

/// `30s`, `2m`, `500ms`, `1h`, or bare seconds.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let split = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let secs = match unit.trim() {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return None,
    };
    (secs > 0.0 && secs.is_finite()).then(|| Duration::from_secs_f64(secs))
}

fn prompt_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"^(>>> |\.\.\. |(?:[^\s#$>]*[ ]?)?[#$] )(.*)$").unwrap())
}

fn bare_prompt_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"^(>>>|(?:[^\s#$>]*[ ]?)?[#$])$").unwrap())
}

/// `${name}` references in a command (lowercase names only; `${HOME}` is the shell's).
pub fn capture_refs(text: &str) -> Vec<String> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"\$\{([a-z][a-z0-9_]*)\}").unwrap());
    re.captures_iter(text).map(|c| c[1].to_string()).collect()
}

/// Replaces `${name}` with captured values; unknown names are left for the shell.
pub fn substitute(text: &str, captures: &std::collections::BTreeMap<String, String>) -> String {
    let mut out = text.to_string();
    for (k, v) in captures {
        out = out.replace(&format!("${{{k}}}"), v);
    }
    out
}

/// Splits an interactive transcript line into its input, if it is one.
pub fn input_of(line: &str) -> Option<Input> {
    let line = line.trim_end();
    if line == "..." {
        return None;
    }
    if let Some(c) = prompt_re().captures(line) {
        return Some(Input {
            prompt: c[1].to_string(),
            text: Some(c[2].to_string()),
        });
    }
    bare_prompt_re().captures(line).map(|c| Input {
        prompt: format!("{} ", &c[1]),
        text: None,
    })
}

/// Reads and parses a lab file. The outer error is an I/O error; the inner list holds
/// every problem found in the file.
pub fn load(path: &Path) -> anyhow::Result<Result<Lab, Vec<LabError>>> {
    use anyhow::Context;
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read lab {}", path.display()))?;
    Ok(parse(path, &text))
}

/// Parses a lab and checks it (placeholders, captures, steps), collecting every problem.
pub fn parse(path: &Path, text: &str) -> Result<Lab, Vec<LabError>> {
    let mut errs = Vec::new();
    let err = |line: usize, problem: Problem| LabError {
        path: path.to_path_buf(),
        line,
        problem,
    };
    let lines: Vec<&str> = text.lines().collect();

    // Front matter: `+++` on line 1 up to the next `+++` line.
    if lines.first().map(|l| l.trim_end()) != Some("+++") {
        return Err(vec![err(1, Problem::NoFrontMatter)]);
    }
    let Some(close) = lines.iter().skip(1).position(|l| l.trim_end() == "+++") else {
        return Err(vec![err(1, Problem::UnclosedFrontMatter)]);
    };
    let close = close + 1; // index of the closing line
    let fm_text = lines[1..close].join("\n");
    let fm: FrontMatter = match toml::from_str(&fm_text) {
        Ok(fm) => fm,
        Err(e) => {
            let line = e
                .span()
                .map(|s| 2 + fm_text[..s.start.min(fm_text.len())].matches('\n').count())
                .unwrap_or(1);
            return Err(vec![err(
                line,
                Problem::FrontMatterToml(e.message().trim().to_string()),
            )]);
        }
    };
    let fm_line = |key: &str| {
        lines[1..close]
            .iter()
            .position(|l| l.trim_start().starts_with(key))
            .map(|p| p + 2)
            .unwrap_or(1)
    };
    if fm.id.trim().is_empty() {
        errs.push(err(fm_line("id"), Problem::EmptyField("id")));
    }
    if fm.title.trim().is_empty() {
        errs.push(err(fm_line("title"), Problem::EmptyField("title")));
    }
    let timeout = match &fm.timeout {
        None => DEFAULT_TIMEOUT,
        Some(TimeoutValue::Seconds(s)) if *s > 0 => Duration::from_secs(*s),
        Some(TimeoutValue::Seconds(s)) => {
            errs.push(err(fm_line("timeout"), Problem::BadTimeout(s.to_string())));
            DEFAULT_TIMEOUT
        }
        Some(TimeoutValue::Text(t)) => parse_duration(t).unwrap_or_else(|| {
            errs.push(err(fm_line("timeout"), Problem::BadTimeout(t.clone())));
            DEFAULT_TIMEOUT
        }),
    };

    // Blank the front matter out so comrak's line numbers stay those of the file.
    let body: String = lines
        .iter()
        .enumerate()
        .map(|(i, l)| if i <= close { "" } else { l })
        .collect::<Vec<_>>()
        .join("\n");
    let arena = comrak::Arena::new();
    let root = comrak::parse_document(&arena, &body, &comrak::Options::default());

    let mut steps: Vec<Step> = Vec::new();
    for node in root.descendants() {
        let data = node.data();
        let line = data.sourcepos.start.line;
        match &data.value {
            NodeValue::Heading(h) if h.level == 2 => {
                let mut title = String::new();
                for d in node.descendants() {
                    match &d.data().value {
                        NodeValue::Text(t) => title.push_str(t),
                        NodeValue::Code(c) => title.push_str(&c.literal),
                        _ => {}
                    }
                }
                steps.push(Step {
                    title: title.trim().to_string(),
                    line,
                    body: String::new(),
                    blocks: Vec::new(),
                    hints: Vec::new(),
                    solution: None,
                });
            }
            NodeValue::CodeBlock(cb) if cb.fenced => {
                let mut words = cb
                    .info
                    .split([',', ' ', '\t'])
                    .map(str::trim)
                    .filter(|w| !w.is_empty());
                let lang = words.next().unwrap_or("");
                let attrs: Vec<&str> = words.collect();
                match lang {
                    "hint" | "solution" | "console" => {}
                    _ => continue,
                }
                let Some(step) = steps.last_mut() else {
                    if lang == "console" && !attrs.contains(&"ignore") {
                        errs.push(err(line, Problem::CommandOutsideStep));
                    }
                    continue;
                };
                match lang {
                    "hint" => step.hints.push(cb.literal.trim_end().to_string()),
                    "solution" => step.solution = Some(cb.literal.trim_end().to_string()),
                    _ => {
                        if let Some(block) =
                            parse_console(&cb.literal, line, &attrs, &mut |l, p| {
                                errs.push(err(l, p))
                            })
                        {
                            step.blocks.push(block);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    // Each step's markdown body: the lines between its heading and the next one.
    let file_lines = lines.len();
    for k in 0..steps.len() {
        let from = steps[k].line; // 1-based heading line; body starts on the next one
        let to = steps.get(k + 1).map(|s| s.line - 1).unwrap_or(file_lines);
        steps[k].body = lines[from.min(file_lines)..to.min(file_lines)]
            .join("\n")
            .trim()
            .to_string();
    }

    if steps.is_empty() {
        errs.push(err(close + 2, Problem::NoSteps));
    }
    check_semantics(&steps, &mut |l, p| errs.push(err(l, p)));

    if errs.is_empty() {
        Ok(Lab {
            path: path.to_path_buf(),
            id: fm.id,
            title: fm.title,
            images: fm.images,
            timeout,
            steps,
        })
    } else {
        errs.sort_by_key(|e| e.line);
        Err(errs)
    }
}

fn parse_console(
    literal: &str,
    fence_line: usize,
    attrs: &[&str],
    err: &mut dyn FnMut(usize, Problem),
) -> Option<Block> {
    let mut kind = BlockKind::Run;
    let mut interactive = false;
    for a in attrs {
        match *a {
            "ignore" => kind = BlockKind::Ignore,
            "setup" => kind = BlockKind::Setup,
            "check" => kind = BlockKind::Check,
            "interactive" => interactive = true,
            other => {
                err(fence_line, Problem::UnknownAttribute(other.to_string()));
                return None;
            }
        }
    }
    let has = |x: &str| attrs.contains(&x);
    if (has("ignore") && attrs.len() > 1) || (has("setup") && has("check")) {
        err(fence_line, Problem::ConflictingAttributes(attrs.join(",")));
        return None;
    }
    if kind == BlockKind::Ignore {
        // Shown to the reader, never run: its content is free-form.
        return Some(Block {
            line: fence_line,
            kind,
            interactive,
            commands: Vec::new(),
        });
    }

    let first = fence_line + 1;
    let mut commands: Vec<Command> = Vec::new();
    let mut continuing = false;
    let mut reported_orphan = false;
    for (k, raw) in literal.lines().enumerate() {
        let lineno = first + k;
        let starts_command = (raw.starts_with("$ ") || raw.trim_end() == "$")
            && (!interactive || commands.is_empty());
        if starts_command {
            let text = raw[1..].trim().to_string();
            if text.is_empty() {
                err(lineno, Problem::EmptyCommand);
            }
            commands.push(Command {
                line: lineno,
                text,
                expected: Vec::new(),
                expected_lines: Vec::new(),
                code: 0,
                inputs: Vec::new(),
            });
            continuing = true;
            continue;
        }
        if continuing && (raw.starts_with("> ") || raw.trim_end() == ">") {
            let cmd = commands.last_mut().expect("continuing implies a command");
            cmd.text.push('\n');
            cmd.text.push_str(raw.get(2..).unwrap_or(""));
            continue;
        }
        continuing = false;
        match commands.last_mut() {
            Some(cmd) => {
                cmd.expected.push(raw.to_string());
                cmd.expected_lines.push(lineno);
            }
            None if raw.trim().is_empty() => {}
            None => {
                if !reported_orphan {
                    err(lineno, Problem::OutputBeforeCommand);
                    reported_orphan = true;
                }
            }
        }
    }
    if commands.is_empty() {
        if interactive {
            err(fence_line, Problem::InteractiveCommands(0));
        }
        // An empty console block runs nothing; the step check reports it if it matters.
        return Some(Block {
            line: fence_line,
            kind,
            interactive,
            commands,
        });
    }
    for cmd in &mut commands {
        take_exit_code(cmd, err);
        if interactive {
            cmd.inputs = cmd.expected.iter().filter_map(|l| input_of(l)).collect();
        }
    }
    Some(Block {
        line: fence_line,
        kind,
        interactive,
        commands,
    })
}

/// Moves a final `? CODE` line out of the expected output.
fn take_exit_code(cmd: &mut Command, err: &mut dyn FnMut(usize, Problem)) {
    let is_code = |l: &str| l.starts_with("? ") || l.trim_end() == "?";
    // The last non-blank line may be the code.
    let last = cmd.expected.iter().rposition(|l| !l.trim().is_empty());
    if let Some(i) = last
        && is_code(&cmd.expected[i])
    {
        let raw = cmd.expected[i][1..].trim().to_string();
        match raw.parse::<u8>() {
            Ok(c) => cmd.code = i32::from(c),
            Err(_) => err(cmd.expected_lines[i], Problem::BadExitCode(raw)),
        }
        cmd.expected.truncate(i);
        cmd.expected_lines.truncate(i);
    }
    for (l, n) in cmd.expected.iter().zip(&cmd.expected_lines) {
        if is_code(l) && l[1..].trim().parse::<u8>().is_ok() {
            err(*n, Problem::ExitCodeNotLast);
        }
    }
}

/// Placeholders, captures (defined before use) and runnable steps.
fn check_semantics(steps: &[Step], err: &mut dyn FnMut(usize, Problem)) {
    let mut defined: std::collections::BTreeSet<String> = Default::default();
    for step in steps {
        if !step.runnable().any(|b| !b.commands.is_empty()) {
            err(step.line, Problem::StepWithoutCommands(step.title.clone()));
        }
        for block in step.runnable() {
            for cmd in &block.commands {
                for name in capture_refs(&cmd.text) {
                    if !defined.contains(&name) {
                        err(cmd.line, Problem::CaptureUsedBeforeSet(name));
                    }
                }
                for (l, n) in cmd.expected.iter().zip(&cmd.expected_lines) {
                    match Pattern::compile(l) {
                        Ok(Pattern::Line { captures, .. }) => {
                            for c in captures {
                                if block.kind == BlockKind::Setup {
                                    err(*n, Problem::CaptureInSetup(c));
                                } else {
                                    defined.insert(c);
                                }
                            }
                        }
                        Ok(Pattern::AnyLines) => {}
                        Err(PatternProblem::UnknownPlaceholder(p)) => {
                            err(*n, Problem::UnknownPlaceholder(p))
                        }
                        Err(PatternProblem::BadCaptureName(p)) => {
                            err(*n, Problem::BadCaptureName(p))
                        }
                    }
                }
            }
        }
    }
}

/// The `*.md` files of a labs directory but `README.md`, sorted by name.
pub fn lab_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    use anyhow::Context;
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the labs directory {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "md") && p.is_file())
        // The directory's README explains the format; it is not a lab.
        .filter(|p| p.file_name().is_some_and(|n| n != "README.md"))
        .collect();
    files.sort();
    Ok(files)
}

/// A lab named on the command line: a path, a front-matter id, a file stem, or the number
/// a file name starts with (`01` for `01-run.md`).
pub fn resolve(what: &str, dir: &Path) -> Option<PathBuf> {
    let p = Path::new(what);
    if p.is_file() {
        return Some(p.to_path_buf());
    }
    let files = lab_files(dir).ok()?;
    let stem = |f: &PathBuf| {
        f.file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("")
            .to_string()
    };
    if let Some(f) = files.iter().find(|f| stem(f) == what) {
        return Some(f.clone());
    }
    if let Some(f) = files.iter().find(|f| {
        std::fs::read_to_string(f)
            .ok()
            .and_then(|t| parse(f, &t).ok())
            .is_some_and(|l| l.id == what)
    }) {
        return Some(f.clone());
    }
    let prefixed: Vec<_> = files
        .iter()
        .filter(|f| stem(f).starts_with(&format!("{what}-")))
        .collect();
    (prefixed.len() == 1).then(|| prefixed[0].clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Result<Lab, Vec<LabError>> {
        parse(Path::new("t.md"), text)
    }

    fn problems(text: &str) -> Vec<(usize, Problem)> {
        p(text)
            .unwrap_err()
            .into_iter()
            .map(|e| (e.line, e.problem))
            .collect()
    }

    const FM: &str = "+++\nid = \"t\"\ntitle = \"T\"\n+++\n";

    #[test]
    fn full_lab() {
        let text = format!(
            "{FM}# Title\n\nIntro.\n\n## First `step`\n\nDo this.\n\n```console\n$ echo hi\nhi\n$ sh -c 'exit 3'\n? 3\n```\n\n```hint\nUse echo.\n```\n\n```solution\necho hi\n```\n\n## Second\n\n```console,check\n$ printf 'a\\n' \\\n> && echo b\na\nb\n```\n\n```bash\nnot run\n```\n\n```console,ignore\nanything at all\n```\n"
        );
        let lab = p(&text).unwrap();
        assert_eq!(lab.id, "t");
        assert_eq!(lab.timeout, DEFAULT_TIMEOUT);
        assert_eq!(lab.steps.len(), 2);
        let s = &lab.steps[0];
        assert_eq!(s.title, "First step");
        assert_eq!(s.line, 9);
        assert_eq!(s.hints, vec!["Use echo."]);
        assert_eq!(s.solution.as_deref(), Some("echo hi"));
        let b = &s.blocks[0];
        assert_eq!(b.line, 13);
        assert_eq!(b.kind, BlockKind::Run);
        assert_eq!(b.commands.len(), 2);
        assert_eq!(b.commands[0].line, 14);
        assert_eq!(b.commands[0].text, "echo hi");
        assert_eq!(b.commands[0].expected, vec!["hi"]);
        assert_eq!(b.commands[0].expected_lines, vec![15]);
        assert_eq!(b.commands[0].code, 0);
        assert_eq!(b.commands[1].code, 3);
        assert!(b.commands[1].expected.is_empty());
        let s2 = &lab.steps[1];
        assert_eq!(s2.blocks.len(), 2);
        assert_eq!(s2.blocks[0].kind, BlockKind::Check);
        assert_eq!(s2.blocks[0].commands[0].text, "printf 'a\\n' \\\n&& echo b");
        assert_eq!(s2.blocks[0].commands[0].expected, vec!["a", "b"]);
        assert_eq!(s2.blocks[1].kind, BlockKind::Ignore);
        assert!(s2.body.contains("not run"));
    }

    #[test]
    fn front_matter_fields() {
        let lab = p("+++\nid = \"x\"\ntitle = \"X\"\nimages = [\"busybox\"]\ntimeout = \"2m\"\n+++\n## S\n```console\n$ true\n```\n").unwrap();
        assert_eq!(lab.images, vec!["busybox"]);
        assert_eq!(lab.timeout, Duration::from_secs(120));
        let lab =
            p("+++\nid = \"x\"\ntitle = \"X\"\ntimeout = 5\n+++\n## S\n```console\n$ true\n```\n")
                .unwrap();
        assert_eq!(lab.timeout, Duration::from_secs(5));
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("soon"), None);
        assert_eq!(parse_duration("0s"), None);
        assert_eq!(parse_duration("3d"), None);
    }

    #[test]
    fn front_matter_errors_name_the_line() {
        assert_eq!(
            problems("# no front matter\n"),
            vec![(1, Problem::NoFrontMatter)]
        );
        assert_eq!(
            problems("+++\nid = \"x\"\n"),
            vec![(1, Problem::UnclosedFrontMatter)]
        );
        let e = problems("+++\nid = \"x\"\ntitle = \n+++\n");
        assert_eq!(e[0].0, 3, "{e:?}");
        assert!(matches!(e[0].1, Problem::FrontMatterToml(_)));
        let e = problems(
            "+++\nid = \"x\"\ntitle = \"X\"\ncolour = 1\n+++\n## S\n```console\n$ true\n```\n",
        );
        assert!(
            matches!(e[0].1, Problem::FrontMatterToml(ref m) if m.contains("colour")),
            "{e:?}"
        );
        let e = problems(
            "+++\nid = \"\"\ntitle = \"X\"\ntimeout = \"soon\"\n+++\n## S\n```console\n$ true\n```\n",
        );
        assert_eq!(
            e,
            vec![
                (2, Problem::EmptyField("id")),
                (4, Problem::BadTimeout("soon".into()))
            ]
        );
    }

    #[test]
    fn block_errors_name_the_line() {
        let e = problems(&format!("{FM}## S\n```console,bogus\n$ true\n```\n"));
        assert_eq!(
            e,
            vec![
                (6, Problem::UnknownAttribute("bogus".into())),
                (5, Problem::StepWithoutCommands("S".into()))
            ]
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
        );
        let e = problems(&format!(
            "{FM}## S\n```console\noutput first\n$ true\n```\n"
        ));
        assert_eq!(e, vec![(7, Problem::OutputBeforeCommand)]);
        let e = problems(&format!("{FM}## S\n```console\n$ true\n? x\n```\n"));
        assert_eq!(e, vec![(8, Problem::BadExitCode("x".into()))]);
        let e = problems(&format!("{FM}## S\n```console\n$ true\n? 300\n```\n"));
        assert_eq!(e, vec![(8, Problem::BadExitCode("300".into()))]);
        let e = problems(&format!("{FM}## S\n```console\n$ true\n? 1\nmore\n```\n"));
        assert_eq!(e, vec![(8, Problem::ExitCodeNotLast)]);
        let e = problems(&format!("{FM}## S\n```console\n$ \n```\n"));
        assert_eq!(e, vec![(7, Problem::EmptyCommand)]);
        let e = problems(&format!("{FM}## S\n```console,setup,check\n$ true\n```\n"));
        assert_eq!(
            e[1],
            (6, Problem::ConflictingAttributes("setup,check".into()))
        );
        let e = problems(&format!(
            "{FM}```console\n$ true\n```\n## S\n```console\n$ true\n```\n"
        ));
        assert_eq!(e, vec![(5, Problem::CommandOutsideStep)]);
        let e = problems(&format!("{FM}Just prose.\n"));
        assert_eq!(e, vec![(5, Problem::NoSteps)]);
        let e = problems(&format!(
            "{FM}## Empty\nprose\n## Ignored only\n```console,ignore\n$ x\n```\n"
        ));
        assert_eq!(
            e,
            vec![
                (5, Problem::StepWithoutCommands("Empty".into())),
                (7, Problem::StepWithoutCommands("Ignored only".into()))
            ]
        );
    }

    #[test]
    fn captures_must_be_defined_first() {
        let ok = p(&format!(
            "{FM}## A\n```console\n$ docker run -d busybox\n[ID:web]\n```\n## B\n```console\n$ docker stop ${{web}} $HOME ${{HOME}}\n[ID]\n```\n"
        ));
        assert!(ok.is_ok(), "{ok:?}");
        let e = problems(&format!(
            "{FM}## A\n```console\n$ docker stop ${{web}}\n```\n```console\n$ docker run -d busybox\n[ID:web]\n```\n"
        ));
        assert_eq!(e, vec![(7, Problem::CaptureUsedBeforeSet("web".into()))]);
        let e = problems(&format!("{FM}## A\n```console,setup\n$ x\n[ID:web]\n```\n"));
        assert_eq!(e, vec![(8, Problem::CaptureInSetup("web".into()))]);
        let e = problems(&format!(
            "{FM}## A\n```console\n$ x\n[FOO:web]\n[ID:Web]\n```\n"
        ));
        assert_eq!(
            e,
            vec![
                (8, Problem::UnknownPlaceholder("[FOO:web]".into())),
                (9, Problem::BadCaptureName("Web".into()))
            ]
        );
    }

    #[test]
    fn substitution() {
        let mut c = std::collections::BTreeMap::new();
        c.insert("web".to_string(), "abc".to_string());
        assert_eq!(
            substitute("stop ${web} ${HOME} $web", &c),
            "stop abc ${HOME} $web"
        );
        assert_eq!(capture_refs("a ${web} ${HOME} ${x1}"), vec!["web", "x1"]);
    }

    #[test]
    fn interactive_blocks() {
        let text = format!(
            "{FM}## S\n```console,interactive\n$ docker run --rm -it python:3.11.5-alpine python\nPython 3.11.[..]\nType \"help\", \"copyright\", \"credits\" or \"license\" for more information.\n>>> import os\n>>> os.name\n'posix'\n>>> exit()\n```\n"
        );
        let lab = p(&text).unwrap();
        let b = &lab.steps[0].blocks[0];
        assert!(b.interactive);
        assert_eq!(b.commands.len(), 1);
        let c = &b.commands[0];
        assert_eq!(c.expected.len(), 6);
        assert_eq!(
            c.inputs,
            vec![
                Input {
                    prompt: ">>> ".into(),
                    text: Some("import os".into())
                },
                Input {
                    prompt: ">>> ".into(),
                    text: Some("os.name".into())
                },
                Input {
                    prompt: ">>> ".into(),
                    text: Some("exit()".into())
                },
            ]
        );
        // `$ ` after the command is a shell prompt, not a second command.
        let lab = p(&format!("{FM}## S\n```console,interactive\n$ docker exec -it test sh\n/ # ls\nbin\n$ echo\n/ #\n? 0\n```\n")).unwrap();
        let c = &lab.steps[0].blocks[0].commands[0];
        assert_eq!(
            c.inputs,
            vec![
                Input {
                    prompt: "/ # ".into(),
                    text: Some("ls".into())
                },
                Input {
                    prompt: "$ ".into(),
                    text: Some("echo".into())
                },
                Input {
                    prompt: "/ # ".into(),
                    text: None
                },
            ]
        );
        let e = problems(&format!("{FM}## S\n```console,interactive\n```\n"));
        assert!(e.contains(&(6, Problem::InteractiveCommands(0))), "{e:?}");
    }

    #[test]
    fn prompt_rule() {
        for (line, prompt, text) in [
            ("/ # ls", "/ # ", Some("ls")),
            (
                "/usr/share/nginx/html # cat index.html",
                "/usr/share/nginx/html # ",
                Some("cat index.html"),
            ),
            ("root@abc:/# exit", "root@abc:/# ", Some("exit")),
            ("bash-5.2$ pwd", "bash-5.2$ ", Some("pwd")),
            ("# id", "# ", Some("id")),
            (">>> 1 + 1", ">>> ", Some("1 + 1")),
            ("...     print(i)", "... ", Some("    print(i)")),
            (">>>", ">>> ", None),
        ] {
            assert_eq!(
                input_of(line),
                Some(Input {
                    prompt: prompt.into(),
                    text: text.map(String::from)
                }),
                "{line}"
            );
        }
        for out in [
            "'posix'",
            "Python 3.11.5",
            "HOSTNAME=8dcddea20192",
            "...",
            "PS1=\\w \\$ ",
            "total 8",
            "a b # c",
            "> continued",
        ] {
            assert_eq!(input_of(out), None, "{out}");
        }
    }

    #[test]
    fn errors_render_in_both_languages() {
        let e = p("nothing\n").unwrap_err().remove(0);
        assert_eq!(
            e.render(Lang::En),
            "t.md:1: error: the lab must start with TOML front matter between `+++` lines (id, title)"
        );
        assert!(
            e.render(Lang::Ru)
                .starts_with("t.md:1: ошибка: лабораторная должна")
        );
    }
}
