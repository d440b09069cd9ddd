//! The output matcher: expected output with wildcards, placeholders and captures against actual output.
//!
//! Rules (DESIGN.md "Lab file format"):
//!
//! - Each expected line is compiled to one regular expression anchored at both ends, so a
//!   line matches when *some* assignment of its wildcards works. `[..]` is `.*?`: unlike
//!   trycmd, which binds `[..]` to the first occurrence of the following literal and never
//!   backtracks (`[..]b` fails on `abab` followed by text that needs the second `b`), the
//!   regex automaton considers every split, so `[..]` needs no carefully chosen anchor.
//! - `...` alone on a line matches zero or more whole lines. Lines are aligned by a small
//!   dynamic program (edit distance where `...` absorbs lines for free), which also gives
//!   the alignment used to draw the diff when the output does not match.
//! - Named placeholders (`[ID]`, `[DIGEST]`, `[NAME]`, `[AGO]`, `[UP]`, `[IP]`, `[SIZE]`,
//!   `[PORT]`) match what Docker prints for that kind of value; `[KIND:name]` also captures
//!   the value under `name`. Any other bracketed text (`[y/N]`, `[::]:80`, `[GCC …]`) is
//!   literal.
//! - Column padding is not significant: in the expected line, a run of two or more blanks
//!   or any run containing a tab is a *column gap* and matches any such run in the actual
//!   line. Docker's tables come from Go's tabwriter with padding 3, so cells are always
//!   separated by at least 3 spaces while single spaces only occur inside a cell ("CONTAINER
//!   ID", "3 seconds ago"); a table written with other column widths (longer names, another
//!   image) therefore still matches, and an empty column (PORTS) simply widens one gap, as
//!   it does in Docker's output. A single space stays a single space.
//! - Trailing whitespace on every line and trailing empty lines are ignored.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use regex::Regex;

/// The placeholder kinds and the regex each one stands for.
pub const PLACEHOLDERS: &[(&str, &str)] = &[
    // 64 hex (full ID) or 12 hex (short ID), as `docker run -d` and `docker ps` print them.
    ("ID", r"(?:[0-9a-f]{64}|[0-9a-f]{12})"),
    ("DIGEST", r"sha256:[0-9a-f]{64}"),
    // moby's namesgenerator: left_right, with a digit appended after a clash.
    ("NAME", r"[a-z]+_[a-z]+[0-9]?"),
    // go-units HumanDuration followed by " ago" (CREATED, "Exited (0) 3 seconds ago").
    (
        "AGO",
        r"(?:Less than a second|About an? (?:minute|hour)|\d+ (?:second|minute|hour|day|week|month|year)s?) ago",
    ),
    (
        "UP",
        r"Up (?:Less than a second|About an? (?:minute|hour)|\d+ (?:second|minute|hour|day|week|month|year)s?)(?: \(Paused\))?",
    ),
    (
        "IP",
        r"(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}",
    ),
    // go-units HumanSize (decimal, `1.99MB`, `0B`) and BytesSize (binary, `1.785MiB`).
    ("SIZE", r"\d+(?:\.\d+)?(?:[kKMGTPEZY]i?)?B"),
    ("PORT", r"\d{1,5}"),
];

fn placeholder_regex(kind: &str) -> Option<&'static str> {
    PLACEHOLDERS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, r)| *r)
}

/// `[KIND]` or `[KIND:name]` anywhere in a line; unknown kinds are left literal by the
/// compiler and reported by `lab validate` when they carry a `:name`.
fn token_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"\[\.\.\]|\[([A-Z]+)(?::([^\]\s]*))?\]").unwrap())
}

/// A capture name: what `${name}` refers to in a later command.
pub fn valid_capture_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// A problem in an expected line, found when compiling it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatternProblem {
    /// `[FOO:x]` where FOO is not a placeholder kind.
    UnknownPlaceholder(String),
    /// `[ID:Web-1]`: capture names are lowercase identifiers.
    BadCaptureName(String),
}

/// One expected line compiled, or `...`.
#[derive(Debug, Clone)]
pub enum Pattern {
    /// `...` alone on a line.
    AnyLines,
    Line {
        text: String,
        regex: Regex,
        /// Capture names in group order (`c0`, `c1`, …).
        captures: Vec<String>,
    },
}

impl Pattern {
    pub fn compile(line: &str) -> Result<Pattern, PatternProblem> {
        let text = line.trim_end();
        if text == "..." {
            return Ok(Pattern::AnyLines);
        }
        let mut re = String::from("^");
        let mut captures = Vec::new();
        let mut last = 0;
        for m in token_re().captures_iter(text) {
            let whole = m.get(0).unwrap();
            let piece = if whole.as_str() == "[..]" {
                ".*?".to_string()
            } else {
                let kind = &m[1];
                match (placeholder_regex(kind), m.get(2)) {
                    (Some(r), None) => format!("(?:{r})"),
                    (Some(r), Some(name)) => {
                        if !valid_capture_name(name.as_str()) {
                            return Err(PatternProblem::BadCaptureName(name.as_str().into()));
                        }
                        let group = format!("(?P<c{}>{r})", captures.len());
                        captures.push(name.as_str().to_string());
                        group
                    }
                    (None, Some(_)) => {
                        return Err(PatternProblem::UnknownPlaceholder(whole.as_str().into()));
                    }
                    // `[OK]`, `[INFO]`: ordinary output text.
                    (None, None) => continue,
                }
            };
            push_literal(&mut re, &text[last..whole.start()]);
            re.push_str(&piece);
            last = whole.end();
        }
        push_literal(&mut re, &text[last..]);
        re.push('$');
        let regex = Regex::new(&re).expect("escaped pattern is a valid regex");
        Ok(Pattern::Line {
            text: text.to_string(),
            regex,
            captures,
        })
    }

    fn matches(&self, actual: &str) -> bool {
        match self {
            Pattern::AnyLines => true,
            Pattern::Line { regex, .. } => regex.is_match(actual.trim_end()),
        }
    }
}

/// Escapes literal text, turning column gaps into a gap pattern.
fn push_literal(re: &mut String, lit: &str) {
    let mut rest = lit;
    while !rest.is_empty() {
        // Find the next run of blanks.
        let Some(start) = rest.find([' ', '\t']) else {
            re.push_str(&regex::escape(rest));
            return;
        };
        re.push_str(&regex::escape(&rest[..start]));
        let run_len = rest[start..]
            .find(|c| c != ' ' && c != '\t')
            .unwrap_or(rest.len() - start);
        let run = &rest[start..start + run_len];
        if run == " " {
            re.push(' ');
        } else {
            // A column gap: two or more blanks, or a run holding a tab.
            re.push_str(r"(?:[ ]{2,}|[ ]*\t[ \t]*)");
        }
        rest = &rest[start + run_len..];
    }
}

/// How a line of the diff came about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineOp {
    /// Expected line `e` matched actual line `a`.
    Match(usize, usize),
    /// `...` at `e` absorbed actual line `a`.
    Absorbed(usize, usize),
    /// Expected line `e` has no counterpart.
    Missing(usize),
    /// Actual line `a` was not expected.
    Unexpected(usize),
}

/// The outcome of matching one command's output.
#[derive(Debug, Clone, Default)]
pub struct MatchResult {
    pub ok: bool,
    pub ops: Vec<LineOp>,
    pub captures: BTreeMap<String, String>,
}

impl MatchResult {
    pub fn missing(&self) -> usize {
        self.ops
            .iter()
            .filter(|o| matches!(o, LineOp::Missing(_)))
            .count()
    }
    pub fn unexpected(&self) -> usize {
        self.ops
            .iter()
            .filter(|o| matches!(o, LineOp::Unexpected(_)))
            .count()
    }
}

/// Compiled expected output of one command.
#[derive(Debug, Clone)]
pub struct Expected {
    pub patterns: Vec<Pattern>,
}

impl Expected {
    /// Compiles expected lines (trailing empty lines dropped).
    pub fn compile<S: AsRef<str>>(lines: &[S]) -> Result<Expected, PatternProblem> {
        let lines = trim_trailing_empty(lines);
        let patterns = lines
            .iter()
            .map(|l| Pattern::compile(l.as_ref()))
            .collect::<Result<_, _>>()?;
        Ok(Expected { patterns })
    }

    /// Every capture name in this output.
    pub fn capture_names(&self) -> Vec<String> {
        self.patterns
            .iter()
            .flat_map(|p| match p {
                Pattern::Line { captures, .. } => captures.clone(),
                Pattern::AnyLines => Vec::new(),
            })
            .collect()
    }

    /// The expected text, one line per pattern.
    pub fn text(&self) -> Vec<String> {
        self.patterns
            .iter()
            .map(|p| match p {
                Pattern::AnyLines => "...".to_string(),
                Pattern::Line { text, .. } => text.clone(),
            })
            .collect()
    }

    /// Aligns `actual` (already split in lines) against the patterns.
    pub fn match_lines<S: AsRef<str>>(&self, actual: &[S]) -> MatchResult {
        let actual = trim_trailing_empty(actual);
        let pats = &self.patterns;
        let (n, m) = (pats.len(), actual.len());
        // cost[i][j]: fewest missing + unexpected lines (weight EDIT each) to align pats[i..]
        // with actual[j..]; each line absorbed by `...` costs 1 so that, between equally bad
        // alignments, the one that pairs more lines wins and the diff stays small.
        const EDIT: u64 = 1 << 32;
        let w = m + 1;
        let mut cost = vec![0u64; (n + 1) * w];
        let mut hit = vec![false; n * m];
        for i in 0..n {
            for j in 0..m {
                hit[i * m + j] = pats[i].matches(actual[j].as_ref());
            }
        }
        for j in (0..m).rev() {
            cost[n * w + j] = cost[n * w + j + 1] + EDIT;
        }
        for i in (0..n).rev() {
            let any = matches!(pats[i], Pattern::AnyLines);
            cost[i * w + m] = cost[(i + 1) * w + m] + if any { 0 } else { EDIT };
            for j in (0..m).rev() {
                let mut best = cost[(i + 1) * w + j] + if any { 0 } else { EDIT };
                best = best.min(cost[i * w + j + 1] + EDIT);
                if any {
                    best = best.min(cost[i * w + j + 1] + 1);
                } else if hit[i * m + j] {
                    best = best.min(cost[(i + 1) * w + j + 1]);
                }
                cost[i * w + j] = best;
            }
        }
        // Walk the cheapest path, preferring matches so the diff pairs lines sensibly.
        let mut ops = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < n || j < m {
            let here = cost[i * w + j];
            if i < n && j < m {
                let any = matches!(pats[i], Pattern::AnyLines);
                if !any && hit[i * m + j] && cost[(i + 1) * w + j + 1] == here {
                    ops.push(LineOp::Match(i, j));
                    i += 1;
                    j += 1;
                    continue;
                }
                if any && cost[i * w + j + 1] + 1 == here {
                    ops.push(LineOp::Absorbed(i, j));
                    j += 1;
                    continue;
                }
            }
            if i < n {
                let any = matches!(pats[i], Pattern::AnyLines);
                if cost[(i + 1) * w + j] + if any { 0 } else { EDIT } == here {
                    if !any {
                        ops.push(LineOp::Missing(i));
                    }
                    i += 1;
                    continue;
                }
            }
            ops.push(LineOp::Unexpected(j));
            j += 1;
        }
        let ok = cost[0] < EDIT;
        let mut captures = BTreeMap::new();
        if ok {
            for op in &ops {
                if let LineOp::Match(i, j) = *op
                    && let Pattern::Line {
                        regex,
                        captures: names,
                        ..
                    } = &pats[i]
                    && !names.is_empty()
                    && let Some(c) = regex.captures(actual[j].as_ref().trim_end())
                {
                    for (k, name) in names.iter().enumerate() {
                        if let Some(v) = c.name(&format!("c{k}")) {
                            captures.insert(name.clone(), v.as_str().to_string());
                        }
                    }
                }
            }
        }
        MatchResult { ok, ops, captures }
    }

    /// The actual output rewritten toward the expected one (as trycmd does): lines that
    /// matched a pattern show the pattern's text and lines absorbed by `...` collapse into
    /// one `...`, so a diff of expected against this shows only real differences.
    pub fn normalize<S: AsRef<str>>(&self, actual: &[S], result: &MatchResult) -> Vec<String> {
        let actual = trim_trailing_empty(actual);
        let text = self.text();
        let mut out: Vec<String> = Vec::new();
        // Expected lines before `next` have been accounted for; a `...` passed over without
        // absorbing anything is kept so that it does not show up as a difference.
        let mut next = 0usize;
        let flush = |upto: usize, next: &mut usize, out: &mut Vec<String>| {
            while *next < upto {
                if matches!(self.patterns[*next], Pattern::AnyLines) {
                    out.push("...".into());
                }
                *next += 1;
            }
        };
        for op in &result.ops {
            match *op {
                LineOp::Match(i, _) => {
                    flush(i, &mut next, &mut out);
                    out.push(text[i].clone());
                    next = i + 1;
                }
                LineOp::Absorbed(i, _) => {
                    if next <= i {
                        flush(i, &mut next, &mut out);
                        out.push("...".into());
                        next = i + 1;
                    }
                }
                LineOp::Missing(i) => {
                    flush(i, &mut next, &mut out);
                    next = i + 1;
                }
                LineOp::Unexpected(j) => out.push(actual[j].as_ref().trim_end().to_string()),
            }
        }
        flush(self.patterns.len(), &mut next, &mut out);
        out
    }
}

fn trim_trailing_empty<S: AsRef<str>>(lines: &[S]) -> &[S] {
    let mut end = lines.len();
    while end > 0 && lines[end - 1].as_ref().trim().is_empty() {
        end -= 1;
    }
    &lines[..end]
}

/// Splits command output into lines (a final newline does not make an empty line).
pub fn split_lines(output: &str) -> Vec<String> {
    output.lines().map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(expected: &str, actual: &str) -> MatchResult {
        let exp: Vec<&str> = expected.lines().collect();
        let act: Vec<&str> = actual.lines().collect();
        Expected::compile(&exp).unwrap().match_lines(&act)
    }

    fn ok(expected: &str, actual: &str) {
        let r = check(expected, actual);
        assert!(
            r.ok,
            "expected match:\n{expected}\n---\n{actual}\nops {:?}",
            r.ops
        );
    }

    fn no(expected: &str, actual: &str) {
        let r = check(expected, actual);
        assert!(!r.ok, "expected NO match:\n{expected}\n---\n{actual}");
    }

    fn line(pattern: &str, actual: &str) -> bool {
        Pattern::compile(pattern).unwrap().matches(actual)
    }

    #[test]
    fn literal_lines() {
        ok("hello", "hello");
        ok("hello\nworld", "hello\nworld\n");
        no("hello", "hell");
        no("hello", "hello!");
        no("hello", "");
        no("", "hello");
        ok("", "");
        // Leading whitespace is significant.
        no("hello", " hello");
        // Regex metacharacters in expected text are literal.
        ok("a.b (c) $x ^y *z", "a.b (c) $x ^y *z");
        no("a.b", "aXb");
        ok(
            "[y/N] [::]:8080 [GCC 12.2.1 20220924]",
            "[y/N] [::]:8080 [GCC 12.2.1 20220924]",
        );
        no("[y/N]", "y");
        ok("[OK] done", "[OK] done");
    }

    #[test]
    fn trailing_whitespace_and_lines_ignored() {
        ok("hello   ", "hello");
        ok("hello", "hello   \t");
        ok("a\nb\n\n", "a\nb");
        ok("a\nb", "a\nb\n\n\n");
        // A blank line in the middle is significant.
        no("a\nb", "a\n\nb");
        no("a\n\nb", "a\nb");
    }

    #[test]
    fn dotdot_within_line() {
        assert!(line("Python 3.11.[..]", "Python 3.11.5"));
        assert!(line("Python 3.11.[..]", "Python 3.11."));
        assert!(!line("Python 3.11.[..]", "Python 3.12.0"));
        assert!(line("[..]", ""));
        assert!(line("[..]", "anything at all"));
        assert!(line("a[..]b", "ab"));
        assert!(line("a[..]b", "a  x  b"));
        assert!(!line("a[..]b", "a x b c"));
        assert!(line("[..]middle[..]", "the middle part"));
        assert!(!line("[..]middle[..]", "the midle part"));
    }

    #[test]
    fn dotdot_backtracks_past_first_occurrence() {
        // trycmd would bind `[..]` to the first "b" and then fail on "bc"; any split works here.
        assert!(line("a[..]bc", "abxbc"));
        assert!(line("[..]: Pull complete", "abc: def: Pull complete"));
        assert!(line("x[..]x[..]x", "xxx"));
        assert!(!line("x[..]x[..]x", "xx"));
    }

    #[test]
    fn any_lines() {
        ok("start\n...\nend", "start\nend");
        ok("start\n...\nend", "start\n1\n2\n3\nend");
        ok("...", "");
        ok("...", "a\nb");
        ok("...\nend", "a\nb\nend");
        ok("start\n...", "start\nrest\nmore");
        no("start\n...\nend", "start\n1\n2");
        no("start\n...\nend", "1\nend");
        // `...` must be alone on the line: elsewhere it is literal.
        no("wait...", "wait!!!");
        ok("wait...", "wait...");
        // Backtracking across lines: the first "end" is not the anchor.
        ok("...\nend\nlast", "end\nx\nend\nlast");
        ok("a\n...\nb\n...\nc", "a\nb\nc");
        ok("a\n...\nb\n...\nc", "a\n1\nb\n2\nb\nc");
    }

    #[test]
    fn ids_and_digests() {
        assert!(line("[ID]", "1a3e73023693"));
        assert!(line(
            "[ID]",
            "1a3e73023693d79e0ea13a54d3825887e52dcafdf09a7e91a336e590ccce5462"
        ));
        assert!(!line("[ID]", "1a3e7302369"));
        assert!(!line("[ID]", "1a3e730236931"));
        assert!(!line("[ID]", "1A3E73023693"));
        assert!(!line("[ID]", "1a3e7302369g"));
        assert!(line("[ID]: Pull complete", "7264a8db6415: Pull complete"));
        assert!(line(
            "Digest: [DIGEST]",
            "Digest: sha256:5d769f990397afbb2aca24b0655e404c0f2806d268f454b052e81e39d87abf42"
        ));
        assert!(!line(
            "Digest: [DIGEST]",
            "Digest: 5d769f990397afbb2aca24b0655e404c0f2806d268f454b052e81e39d87abf42"
        ));
        assert!(!line("Digest: [DIGEST]", "Digest: sha256:5d769f99"));
    }

    #[test]
    fn names_times_and_status() {
        assert!(line("[NAME]", "modest_spence"));
        assert!(line("[NAME]", "fervent_varahamihira"));
        assert!(line("[NAME]", "eager_bell7"));
        assert!(!line("[NAME]", "test"));
        assert!(!line("[NAME]", "Modest_spence"));
        assert!(!line("[NAME]", "modest spence"));
        for ago in [
            "3 seconds ago",
            "1 second ago",
            "Less than a second ago",
            "About a minute ago",
            "12 minutes ago",
            "About an hour ago",
            "3 weeks ago",
        ] {
            assert!(line("[AGO]", ago), "{ago}");
        }
        assert!(!line("[AGO]", "3 seconds"));
        assert!(!line("[AGO]", "seconds ago"));
        assert!(!line("[AGO]", "3 fortnights ago"));
        for up in [
            "Up 2 seconds",
            "Up Less than a second",
            "Up About a minute",
            "Up 5 hours (Paused)",
            "Up 1 second",
        ] {
            assert!(line("[UP]", up), "{up}");
        }
        assert!(!line("[UP]", "Exited (0) 2 seconds ago"));
        assert!(!line("[UP]", "Up"));
        assert!(!line("[UP]", "Up 2 seconds (Restarting)"));
        assert!(line("Exited (0) [AGO]", "Exited (0) 12 seconds ago"));
        assert!(!line("Exited (0) [AGO]", "Exited (137) 12 seconds ago"));
    }

    #[test]
    fn ip_size_port() {
        assert!(line("[IP]", "172.17.0.2"));
        assert!(line("[IP]", "0.0.0.0"));
        assert!(!line("[IP]", "172.17.0"));
        assert!(!line("[IP]", "256.1.1.1"));
        assert!(!line("[IP]", "a.b.c.d"));
        for s in [
            "1.99MB", "0B", "301B", "12.3kB", "52.1MB", "1.785MiB", "23.54GiB",
        ] {
            assert!(line("[SIZE]", s), "{s}");
        }
        assert!(!line("[SIZE]", "1.99"));
        assert!(!line("[SIZE]", "MB"));
        assert!(!line("[SIZE]", "1.99 MB"));
        assert!(line("[IP]:[PORT]", "0.0.0.0:8080"));
        assert!(!line("[PORT]", "123456"));
        assert!(!line("[PORT]", "http"));
        assert!(line(
            "Total reclaimed space: [SIZE]",
            "Total reclaimed space: 0B"
        ));
    }

    #[test]
    fn column_padding_is_not_significant() {
        let expected = "CONTAINER ID   IMAGE                  COMMAND              CREATED          STATUS                      PORTS     NAMES\n\
[ID]   python:3.11.5-alpine   \"python --version\"   [AGO]   Exited (0) [AGO]             [NAME]";
        let actual = "CONTAINER ID   IMAGE                  COMMAND              CREATED         STATUS                     PORTS     NAMES\n\
6df80e8b97b3   python:3.11.5-alpine   \"python --version\"   3 seconds ago   Exited (0) 2 seconds ago             modest_spence";
        ok(expected, actual);
        // Wider columns (longer image name) still match.
        ok(
            "CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES",
            "CONTAINER ID\tIMAGE   COMMAND      CREATED    STATUS   PORTS  NAMES",
        );
        // A single space is not a column gap.
        no("CONTAINER ID   IMAGE", "CONTAINER ID IMAGE");
        no("CONTAINER ID   IMAGE", "CONTAINER  ID   IMAGE");
        // A gap is not a wildcard: a non-empty PORTS column does not vanish.
        no(
            "[ID]   nginx     \"/docker-entrypoint.…\"   [AGO]   [UP]             [NAME]",
            "0123456789ab   nginx     \"/docker-entrypoint.…\"   3 seconds ago   Up 2 seconds   80/tcp   eager_bell",
        );
        ok(
            "[ID]   nginx     \"/docker-entrypoint.…\"   [AGO]   [UP]   80/tcp    [NAME]",
            "0123456789ab   nginx     \"/docker-entrypoint.…\"   3 seconds ago   Up 2 seconds   80/tcp    eager_bell",
        );
        // Missing column gap entirely.
        no("a   b", "ab");
    }

    #[test]
    fn captures() {
        let exp = Expected::compile(&["[ID:web]"]).unwrap();
        let r =
            exp.match_lines(&["1a3e73023693d79e0ea13a54d3825887e52dcafdf09a7e91a336e590ccce5462"]);
        assert!(r.ok);
        assert_eq!(
            r.captures["web"],
            "1a3e73023693d79e0ea13a54d3825887e52dcafdf09a7e91a336e590ccce5462"
        );
        let exp = Expected::compile(&["[ID:cid]   busybox   [..]   [NAME:name]"]).unwrap();
        let r = exp.match_lines(&["0123456789ab   busybox   \"sh\"   Created   eager_bell"]);
        assert!(r.ok, "{:?}", r.ops);
        assert_eq!(r.captures["cid"], "0123456789ab");
        assert_eq!(r.captures["name"], "eager_bell");
        // No captures from a failed match.
        let r = exp.match_lines(&["nothing"]);
        assert!(!r.ok);
        assert!(r.captures.is_empty());
        assert_eq!(exp.capture_names(), vec!["cid", "name"]);
    }

    #[test]
    fn bad_placeholders() {
        assert_eq!(
            Pattern::compile("[FOO:x]").unwrap_err(),
            PatternProblem::UnknownPlaceholder("[FOO:x]".into())
        );
        assert_eq!(
            Pattern::compile("[ID:Web]").unwrap_err(),
            PatternProblem::BadCaptureName("Web".into())
        );
        assert_eq!(
            Pattern::compile("[ID:]").unwrap_err(),
            PatternProblem::BadCaptureName("".into())
        );
        assert!(Pattern::compile("[FOO]").is_ok());
    }

    #[test]
    fn alignment_reports_missing_and_unexpected() {
        let r = check("a\nb\nc", "a\nc");
        assert!(!r.ok);
        assert_eq!(r.missing(), 1);
        assert_eq!(r.unexpected(), 0);
        let r = check("a\nc", "a\nb\nc");
        assert_eq!(r.missing(), 0);
        assert_eq!(r.unexpected(), 1);
        let r = check("a\nb", "a\nx");
        assert_eq!((r.missing(), r.unexpected()), (1, 1));
    }

    #[test]
    fn normalized_actual_shows_only_real_differences() {
        let exp = Expected::compile(&["id [ID]", "...", "end", "tail"]).unwrap();
        let act = ["id 0123456789ab", "x", "y", "end", "extra"];
        let r = exp.match_lines(&act);
        assert!(!r.ok);
        assert_eq!(
            exp.normalize(&act, &r),
            vec!["id [ID]", "...", "end", "extra"]
        );
        let exp = Expected::compile(&["a", "...", "b"]).unwrap();
        let act = ["a", "c"];
        let r = exp.match_lines(&act);
        assert_eq!(exp.normalize(&act, &r), vec!["a", "..."]);
        let exp = Expected::compile(&["a", "...", "b"]).unwrap();
        let act = ["a", "x"];
        let r = exp.match_lines(&["a", "b", "x"]);
        assert_eq!(
            exp.normalize(&["a", "b", "x"], &r),
            vec!["a", "...", "b", "x"]
        );
        let _ = act;
    }
}
