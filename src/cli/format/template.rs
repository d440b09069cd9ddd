//! The subset of Go text/template that `--format` users write, evaluated on JSON values.
//!
//! `docker inspect -f`, `docker ps --format` and friends hand the format string to Go's
//! text/template with docker/cli's extra functions (`templates/templates.go`: `json`, `split`,
//! `join`, `title`, `lower`, `upper`, `pad`, `truncate`). This module re-implements that
//! language over `serde_json::Value`, following Go's lexer, parser and executor closely enough
//! that output *and* error messages match what students see from Docker:
//!
//! - values print as Go's `fmt.Print` prints the values `encoding/json` decodes: a list is
//!   `[a b c]`, an object `map[k:v k2:v2]` (keys sorted, as fmt sorts map keys), `null` inside
//!   a list or map `<nil>`, a missing key or a top-level `null` `<no value>`, integers without
//!   `.0`, floats as Go's `%v` (`1e+06`);
//! - `{{json .X}}` is docker/cli's encoder with `SetEscapeHTML(false)`, so `<`, `>` and `&`
//!   stay as they are (plain `json.Marshal` would write `\u003c`; docker/cli turned that off);
//! - errors read `template parsing error: template: :1: unclosed action` and
//!   `template parsing error: template: :1:2: executing "" at <.Nope>: map has no entry for
//!   key "Nope"`, which is what both `docker inspect` and the list formatters print (docker/cli
//!   wraps parse *and* execution errors in "template parsing error").
//!
//! Where the data model forces a choice we follow what Docker users see, not Go's JSON
//! decoder: JSON integers are Go `int`s (Docker's typed structs have `int` fields, so
//! `{{if eq .State.ExitCode 0}}` works; Go's decoder would make them `float64`), and
//! `join` accepts a JSON list of strings (Docker's `Config.Env` is a `[]string`). JSON
//! escapes `\b` and `\f` as Go 1.22+ does. Named templates (`define`, `template`, `block`)
//! are a parse error. The unit tests hold outputs checked against Go's text/template.
//!
//! Objects are treated as Go maps (`map[string]interface{}`), which is what Docker's raw
//! inspect fallback sees. Go would print a typed struct as `{a b}` instead; the engine hands
//! us JSON, so there are no structs. Key order of objects is kept for `json` (serde_json's
//! `preserve_order`), so callers should build map-like objects (labels, options) sorted, as
//! Go's encoder sorts map keys.

use std::fmt::Write as _;

use serde_json::Value;

/// A parse or execution error, worded as Docker prints it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// The format did not parse (`docker inspect` exits 64, the list commands 1).
    #[error("template parsing error: template: :{line}: {message}")]
    Parse { line: usize, message: String },
    /// Executing the template failed at `context` (line and 0-based byte column, as Go).
    #[error(
        "template parsing error: template: :{line}:{col}: executing \"\" at <{context}>: {message}"
    )]
    Exec {
        line: usize,
        col: usize,
        context: String,
        message: String,
    },
}

impl TemplateError {
    /// Go's own error text, without docker/cli's "template parsing error: " prefix.
    pub fn go_message(&self) -> String {
        let s = self.to_string();
        s.strip_prefix("template parsing error: ")
            .unwrap_or(&s)
            .to_string()
    }
}

/// A parsed template, ready to run on any number of values.
#[derive(Debug, Clone)]
pub struct Template {
    src: String,
    root: Vec<Node>,
    missingkey_error: bool,
}

/// Parses `src` with Docker's function set.
///
/// ```
/// use docklab::cli::format::template;
/// let data = serde_json::json!({"State": {"Status": "running"}, "Config": {"Env": ["A=1", "B=2"]}});
/// let t = template::parse("{{.State.Status}} {{range .Config.Env}}[{{.}}]{{end}} {{json .State}}")?;
/// assert_eq!(t.render(&data)?, r#"running [A=1][B=2] {"Status":"running"}"#);
/// # Ok::<(), template::TemplateError>(())
/// ```
pub fn parse(src: &str) -> Result<Template, TemplateError> {
    let items = lex(src);
    let mut p = Parser {
        items,
        i: 0,
        seen: 0,
        vars: vec!["$".to_string()],
        range_depth: 0,
        action_line: 0,
        src,
    };
    let root = p.parse_top()?;
    Ok(Template {
        src: src.to_string(),
        root,
        missingkey_error: false,
    })
}

/// Parses and renders in one go.
pub fn render(src: &str, data: &Value) -> Result<String, TemplateError> {
    parse(src)?.render(data)
}

impl Template {
    /// Go's `Option("missingkey=error")`, which `docker inspect` sets: a missing object key is
    /// an error instead of `<no value>`.
    pub fn missingkey_error(mut self, on: bool) -> Self {
        self.missingkey_error = on;
        self
    }

    /// Runs the template on `data`.
    pub fn render(&self, data: &Value) -> Result<String, TemplateError> {
        let mut out = String::new();
        self.execute(data, false, &mut out)?;
        Ok(out)
    }

    /// Runs the template, leaving partial output in `out` on error (as Go writes as it goes).
    fn execute(&self, data: &Value, header: bool, out: &mut String) -> Result<(), TemplateError> {
        let root = if data.is_null() {
            V::Invalid
        } else {
            V::J(data)
        };
        let mut st = State {
            t: self,
            out,
            vars: vec![("$".to_string(), root.clone())],
            at: At::None,
            header,
        };
        st.walk(&root, &self.root).map(|_| ())
    }

    /// Every field name the template reads from its data (`.ID` in `{{.ID}}`, `$.ID`), for
    /// building the header row of a table.
    fn field_names(&self) -> Vec<String> {
        fn arg(a: &Arg, out: &mut Vec<String>) {
            match a {
                Arg::Field { idents, .. } => out.push(idents[0].clone()),
                Arg::Var { idents, .. } if idents[0] == "$" && idents.len() > 1 => {
                    out.push(idents[1].clone())
                }
                Arg::Chain { node, .. } => arg(node, out),
                Arg::Pipe(p) => pipe(p, out),
                _ => {}
            }
        }
        fn pipe(p: &Pipe, out: &mut Vec<String>) {
            for c in &p.cmds {
                for a in &c.args {
                    arg(a, out);
                }
            }
        }
        fn list(nodes: &[Node], out: &mut Vec<String>) {
            for n in nodes {
                match n {
                    Node::Action(p) => pipe(p, out),
                    Node::Control(c) => {
                        pipe(&c.pipe, out);
                        list(&c.list, out);
                        if let Some(e) = &c.else_list {
                            list(e, out);
                        }
                    }
                    _ => {}
                }
            }
        }
        let mut out = Vec::new();
        list(&self.root, &mut out);
        out
    }
}

/// Whether a `--format` value asks for a table: docker/cli's `Format.IsTable` is a plain
/// prefix test, so `table{{.ID}}` counts too.
pub fn is_table(format: &str) -> bool {
    format.starts_with("table")
}

/// docker/cli's `Context.preFormat`: drops the `table` directive, trims spaces, turns `json`
/// into `{{json .}}`, and replaces the two-character escapes `\t` and `\n` with a real tab and
/// newline (shells pass them literally).
pub fn prepare(format: &str) -> String {
    let f = if is_table(format) {
        &format["table".len()..]
    } else if format == "json" {
        "{{json .}}"
    } else {
        format
    };
    f.trim_matches(' ')
        .replace("\\t", "\t")
        .replace("\\n", "\n")
}

/// The header row of a table format: the template rendered with each field replaced by its
/// column title (`{{.ID}}\t{{.Names}}` → `CONTAINER ID\tNAMES`), with docker/cli's
/// `HeaderFunctions` (`json`, `split`, `join`, `title`, `lower`, `upper` and `truncate` return
/// the title unchanged; `pad` still pads so columns line up). A field without a title prints
/// `<no value>`, as Docker's header map does. `format` may still carry `table`. Docker ignores
/// errors while rendering the header and prints what was written, so this never fails.
pub fn table_header(format: &str, headers: &dyn Fn(&str) -> Option<String>) -> String {
    let src = if is_table(format) {
        prepare(format)
    } else {
        format.to_string()
    };
    let Ok(t) = parse(&src) else {
        return String::new();
    };
    let mut obj = serde_json::Map::new();
    for name in t.field_names() {
        if let Some(h) = headers(&name) {
            obj.insert(name, Value::String(h));
        }
    }
    let mut out = String::new();
    let _ = t.execute(&Value::Object(obj), true, &mut out);
    out
}

/// docker/cli's `Context.Write` for list commands: every row rendered and ended with a
/// newline; for a `table` format a header row first and the whole laid out by
/// [`crate::cli::format::table::docker_table`]. The header is printed even with no rows.
/// A field a row does not have is an error, as for Docker's typed rows (`can't evaluate
/// field`), not `<no value>`; nothing is printed then.
pub fn render_list(
    format: &str,
    rows: &[Value],
    headers: &dyn Fn(&str) -> Option<String>,
) -> Result<String, TemplateError> {
    let t = parse(&prepare(format))?.missingkey_error(true);
    let mut body = String::new();
    for row in rows {
        body.push_str(&t.render(row)?);
        body.push('\n');
    }
    if is_table(format) {
        let mut text = table_header(format, headers);
        text.push('\n');
        text.push_str(&body);
        Ok(crate::cli::format::table::docker_table(&text))
    } else {
        Ok(body)
    }
}

// ---------------------------------------------------------------------------------------
// Lexer (text/template/parse/lex.go)
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum T {
    Error,
    Bool,
    Char,
    CharConst,
    Assign,
    Declare,
    Eof,
    Field,
    Ident,
    LeftDelim,
    LeftParen,
    Number,
    Pipe,
    RawString,
    RightDelim,
    RightParen,
    Space,
    Str,
    Text,
    Variable,
    // Keywords sort after this marker, as in Go (item String() prints them as <kw>).
    Keyword,
    Dot,
    Else,
    End,
    If,
    Nil,
    Range,
    With,
    Break,
    Continue,
    Define,
    Template,
    Block,
}

#[derive(Debug, Clone)]
struct Item {
    t: T,
    pos: usize,
    val: String,
}

impl Item {
    /// Go's `item.String()`, used in "unexpected X in Y" messages.
    fn describe(&self) -> String {
        match self.t {
            T::Eof => "EOF".into(),
            T::Error => self.val.clone(),
            t if t > T::Keyword => format!("<{}>", self.val),
            _ if self.val.chars().count() > 10 => {
                let head: String = self.val.chars().take(10).collect();
                format!("{}...", go_quote(&head))
            }
            _ => go_quote(&self.val),
        }
    }
}

fn line_at(src: &str, pos: usize) -> usize {
    1 + src[..pos.min(src.len())].matches('\n').count()
}

/// Space as Go's lexer defines it inside actions (newlines allowed since Go 1.16).
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphabetic() || c.is_numeric()
}

/// `{{- ` : a minus followed by a space trims the text before the action.
fn has_left_trim(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && b[0] == b'-' && is_space(b[1] as char)
}

/// ` -}}` : a space then a minus trims the text after the action.
fn has_right_trim(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && is_space(b[0] as char) && b[1] == b'-'
}

fn lex(src: &str) -> Vec<Item> {
    let mut lx = Lexer {
        src,
        pos: 0,
        start: 0,
        items: Vec::new(),
        paren: 0,
    };
    lx.run();
    lx.items
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    start: usize,
    items: Vec<Item>,
    paren: i32,
}

impl Lexer<'_> {
    fn emit(&mut self, t: T) {
        self.items.push(Item {
            t,
            pos: self.start,
            val: self.src[self.start..self.pos].to_string(),
        });
        self.start = self.pos;
    }

    fn error(&mut self, msg: String) {
        self.items.push(Item {
            t: T::Error,
            pos: self.start,
            val: msg,
        });
    }

    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn accept(&mut self, valid: &str) -> bool {
        match self.peek() {
            Some(c) if valid.contains(c) => {
                self.pos += c.len_utf8();
                true
            }
            _ => false,
        }
    }

    fn accept_run(&mut self, valid: &str) {
        while self.accept(valid) {}
    }

    /// `(delim, trim)`: whether a right delimiter, possibly trim-marked, starts here.
    fn at_right_delim(&self) -> (bool, bool) {
        let rest = &self.src[self.pos..];
        if has_right_trim(rest) && rest[2..].starts_with("}}") {
            (true, true)
        } else {
            (rest.starts_with("}}"), false)
        }
    }

    fn at_terminator(&self) -> bool {
        match self.peek() {
            None => true,
            Some(c) => {
                is_space(c) || ".,|:)(".contains(c) || self.src[self.pos..].starts_with("}}")
            }
        }
    }

    fn run(&mut self) {
        loop {
            // Text, up to the next "{{".
            let Some(x) = self.src[self.pos..].find("{{") else {
                self.pos = self.src.len();
                if self.pos > self.start {
                    self.emit(T::Text);
                }
                self.emit(T::Eof);
                return;
            };
            let delim = self.pos + x;
            let mut text_end = delim;
            if has_left_trim(&self.src[delim + 2..]) {
                text_end = self.src[..delim]
                    .trim_end_matches(is_space)
                    .len()
                    .max(self.start);
            }
            if text_end > self.start {
                self.pos = text_end;
                self.emit(T::Text);
            }
            self.start = delim;
            self.pos = delim + 2;
            let trim = has_left_trim(&self.src[self.pos..]);
            let after = if trim { 2 } else { 0 };
            if self.src[self.pos + after..].starts_with("/*") {
                if !self.comment(after) {
                    return;
                }
                continue;
            }
            self.emit(T::LeftDelim);
            self.pos += after;
            self.start = self.pos;
            self.paren = 0;
            if !self.action() {
                return;
            }
        }
    }

    /// A `{{/* … */}}` comment; false after an error.
    fn comment(&mut self, after: usize) -> bool {
        self.pos += after + 2;
        let Some(x) = self.src[self.pos..].find("*/") else {
            self.error("unclosed comment".into());
            return false;
        };
        self.pos += x + 2;
        let (delim, trim) = self.at_right_delim();
        if !delim {
            self.error("comment ends before closing delimiter".into());
            return false;
        }
        self.pos += if trim { 4 } else { 2 };
        if trim {
            self.pos = self.src.len() - self.src[self.pos..].trim_start_matches(is_space).len();
        }
        self.start = self.pos;
        true
    }

    fn right_delim(&mut self, trim: bool) {
        if trim {
            self.pos += 2;
            self.start = self.pos;
        }
        self.pos += 2;
        self.emit(T::RightDelim);
        if trim {
            self.pos = self.src.len() - self.src[self.pos..].trim_start_matches(is_space).len();
            self.start = self.pos;
        }
    }

    /// Tokens inside `{{ … }}`; false after an error.
    fn action(&mut self) -> bool {
        loop {
            let (delim, trim) = self.at_right_delim();
            if delim {
                if self.paren == 0 {
                    self.right_delim(trim);
                    return true;
                }
                self.error("unclosed left paren".into());
                return false;
            }
            let Some(c) = self.next() else {
                self.error("unclosed action".into());
                return false;
            };
            let ok = match c {
                '=' => {
                    self.emit(T::Assign);
                    true
                }
                ':' => {
                    if self.next() != Some('=') {
                        self.error("expected :=".into());
                        return false;
                    }
                    self.emit(T::Declare);
                    true
                }
                '|' => {
                    self.emit(T::Pipe);
                    true
                }
                '(' => {
                    self.paren += 1;
                    self.emit(T::LeftParen);
                    true
                }
                ')' => {
                    self.paren -= 1;
                    if self.paren < 0 {
                        self.error("unexpected right paren".into());
                        return false;
                    }
                    self.emit(T::RightParen);
                    true
                }
                c if is_space(c) => {
                    self.pos -= 1;
                    let mut n = 0;
                    while self.peek().is_some_and(is_space) {
                        self.pos += 1;
                        n += 1;
                    }
                    // " -}}": the last space belongs to the trim marker.
                    let last = self.pos - 1;
                    if has_right_trim(&self.src[last..]) && self.src[last + 2..].starts_with("}}") {
                        self.pos = last;
                        if n == 1 {
                            continue;
                        }
                    }
                    self.emit(T::Space);
                    true
                }
                '"' => self.quote('"', T::Str, "unterminated quoted string"),
                '\'' => self.quote('\'', T::CharConst, "unterminated character constant"),
                '`' => match self.src[self.pos..].find('`') {
                    Some(x) => {
                        self.pos += x + 1;
                        self.emit(T::RawString);
                        true
                    }
                    None => {
                        self.error("unterminated raw quoted string".into());
                        false
                    }
                },
                '$' => {
                    if self.at_terminator() {
                        self.emit(T::Variable);
                        true
                    } else {
                        self.field_or_var(T::Variable)
                    }
                }
                '.' => {
                    if self.peek().is_some_and(|d| d.is_ascii_digit()) {
                        self.pos -= 1;
                        self.number()
                    } else {
                        self.field_or_var(T::Field)
                    }
                }
                '+' | '-' | '0'..='9' => {
                    self.pos -= 1;
                    self.number()
                }
                c if is_alnum(c) => {
                    while self.peek().is_some_and(is_alnum) {
                        self.next();
                    }
                    if !self.at_terminator() {
                        let bad = self.peek().unwrap_or('\0');
                        self.error(format!("bad character {}", go_unicode(bad)));
                        return false;
                    }
                    let t = match &self.src[self.start..self.pos] {
                        "else" => T::Else,
                        "end" => T::End,
                        "if" => T::If,
                        "nil" => T::Nil,
                        "range" => T::Range,
                        "with" => T::With,
                        "break" => T::Break,
                        "continue" => T::Continue,
                        "define" => T::Define,
                        "template" => T::Template,
                        "block" => T::Block,
                        "true" | "false" => T::Bool,
                        _ => T::Ident,
                    };
                    self.emit(t);
                    true
                }
                c if c.is_ascii() && !c.is_ascii_control() => {
                    self.emit(T::Char);
                    true
                }
                c => {
                    self.error(format!(
                        "unrecognized character in action: {}",
                        go_unicode(c)
                    ));
                    false
                }
            };
            if !ok {
                return false;
            }
        }
    }

    fn quote(&mut self, q: char, t: T, msg: &str) -> bool {
        loop {
            match self.next() {
                Some('\\') => match self.next() {
                    Some('\n') | None => break,
                    _ => {}
                },
                Some('\n') | None => break,
                Some(c) if c == q => {
                    self.emit(t);
                    return true;
                }
                _ => {}
            }
        }
        self.error(msg.into());
        false
    }

    fn field_or_var(&mut self, t: T) -> bool {
        if self.at_terminator() {
            self.emit(if t == T::Variable {
                T::Variable
            } else {
                T::Dot
            });
            return true;
        }
        while self.peek().is_some_and(is_alnum) {
            self.next();
        }
        if !self.at_terminator() {
            let bad = self.peek().unwrap_or('\0');
            self.error(format!("bad character {}", go_unicode(bad)));
            return false;
        }
        self.emit(t);
        true
    }

    fn number(&mut self) -> bool {
        self.accept("+-");
        let mut digits = "0123456789_";
        if self.accept("0") {
            if self.accept("xX") {
                digits = "0123456789abcdefABCDEF_";
            } else if self.accept("oO") {
                digits = "01234567_";
            } else if self.accept("bB") {
                digits = "01_";
            }
        }
        self.accept_run(digits);
        if self.accept(".") {
            self.accept_run(digits);
        }
        if digits.len() == 11 && self.accept("eE") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        self.accept("i");
        if self.peek().is_some_and(is_alnum) || self.peek().is_some_and(|c| c == '+' || c == '-') {
            self.next();
            let text = self.src[self.start..self.pos].to_string();
            self.error(format!("bad number syntax: {}", go_quote(&text)));
            return false;
        }
        self.emit(T::Number);
        true
    }
}

// ---------------------------------------------------------------------------------------
// Parse tree and parser (text/template/parse/parse.go)
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Node {
    Text(String),
    Action(Pipe),
    Control(Box<Control>),
    Break,
    Continue,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    If,
    Range,
    With,
}

#[derive(Debug, Clone)]
struct Control {
    kind: Kind,
    pipe: Pipe,
    list: Vec<Node>,
    else_list: Option<Vec<Node>>,
}

#[derive(Debug, Clone)]
struct Pipe {
    pos: usize,
    decl: Vec<String>,
    is_assign: bool,
    cmds: Vec<Cmd>,
}

#[derive(Debug, Clone)]
struct Cmd {
    pos: usize,
    args: Vec<Arg>,
}

#[derive(Debug, Clone)]
enum Arg {
    Field {
        pos: usize,
        idents: Vec<String>,
    },
    /// `$x.A.B`: `idents[0]` is the variable.
    Var {
        pos: usize,
        idents: Vec<String>,
    },
    /// `(pipe).A.B`
    Chain {
        pos: usize,
        node: Box<Arg>,
        fields: Vec<String>,
    },
    Ident {
        pos: usize,
        name: String,
    },
    Dot(usize),
    Nil(usize),
    Bool(usize, bool),
    Number(usize, Num),
    Str {
        pos: usize,
        quoted: String,
        text: String,
    },
    Pipe(Box<Pipe>),
}

#[derive(Debug, Clone)]
struct Num {
    text: String,
    int: Option<i64>,
    uint: Option<u64>,
    float: Option<f64>,
}

impl Arg {
    fn pos(&self) -> usize {
        match self {
            Arg::Field { pos, .. }
            | Arg::Var { pos, .. }
            | Arg::Chain { pos, .. }
            | Arg::Ident { pos, .. }
            | Arg::Dot(pos)
            | Arg::Nil(pos)
            | Arg::Bool(pos, _)
            | Arg::Number(pos, _)
            | Arg::Str { pos, .. } => *pos,
            Arg::Pipe(p) => p.pos,
        }
    }

    /// Go's `Node.String()`, used in error contexts.
    fn text(&self) -> String {
        match self {
            Arg::Field { idents, .. } => format!(".{}", idents.join(".")),
            Arg::Var { idents, .. } => idents.join("."),
            Arg::Chain { node, fields, .. } => {
                let mut s = match &**node {
                    Arg::Pipe(p) => format!("({})", p.text()),
                    n => n.text(),
                };
                for f in fields {
                    s.push('.');
                    s.push_str(f);
                }
                s
            }
            Arg::Ident { name, .. } => name.clone(),
            Arg::Dot(_) => ".".into(),
            Arg::Nil(_) => "nil".into(),
            Arg::Bool(_, b) => b.to_string(),
            Arg::Number(_, n) => n.text.clone(),
            Arg::Str { quoted, .. } => quoted.clone(),
            Arg::Pipe(p) => p.text(),
        }
    }
}

impl Cmd {
    fn text(&self) -> String {
        self.args
            .iter()
            .map(|a| match a {
                Arg::Pipe(p) => format!("({})", p.text()),
                a => a.text(),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl Pipe {
    fn text(&self) -> String {
        let mut s = String::new();
        if !self.decl.is_empty() {
            s.push_str(&self.decl.join(", "));
            s.push_str(if self.is_assign { " = " } else { " := " });
        }
        let cmds: Vec<String> = self.cmds.iter().map(Cmd::text).collect();
        s.push_str(&cmds.join(" | "));
        s
    }
}

/// What `itemList` stopped at.
enum Stop {
    End,
    Else,
}

struct Parser<'a> {
    items: Vec<Item>,
    i: usize,
    /// Furthest token looked at: Go reports the line of its newest token.
    seen: usize,
    vars: Vec<String>,
    range_depth: usize,
    action_line: usize,
    src: &'a str,
}

type PResult<X> = Result<X, TemplateError>;

impl Parser<'_> {
    fn get(&mut self, i: usize) -> Item {
        let i = i.min(self.items.len() - 1);
        self.seen = self.seen.max(i);
        self.items[i].clone()
    }

    fn next(&mut self) -> Item {
        let it = self.get(self.i);
        self.i += 1;
        it
    }

    fn peek(&mut self) -> Item {
        self.get(self.i)
    }

    fn next_non_space(&mut self) -> Item {
        loop {
            let it = self.next();
            if it.t != T::Space {
                return it;
            }
        }
    }

    fn peek_non_space(&mut self) -> Item {
        let it = self.next_non_space();
        self.backup();
        it
    }

    fn backup(&mut self) {
        self.i -= 1;
    }

    fn errorf<X>(&mut self, msg: String) -> PResult<X> {
        let pos = self.items[self.seen.min(self.items.len() - 1)].pos;
        Err(TemplateError::Parse {
            line: line_at(self.src, pos),
            message: msg,
        })
    }

    fn unexpected<X>(&mut self, it: &Item, context: &str) -> PResult<X> {
        if it.t == T::Error {
            let line = line_at(self.src, it.pos);
            let mut extra = String::new();
            if self.action_line != 0 && self.action_line != line {
                extra = format!(" in action started at :{}", self.action_line);
                if it.val.ends_with(" action") {
                    extra = extra[" in action".len()..].to_string();
                }
            }
            return self.errorf(format!("{}{}", it.val, extra));
        }
        self.errorf(format!("unexpected {} in {}", it.describe(), context))
    }

    fn parse_top(&mut self) -> PResult<Vec<Node>> {
        let mut list = Vec::new();
        while self.peek().t != T::Eof {
            match self.text_or_action()? {
                Ok(n) => list.push(n),
                Err(Stop::End) => return self.errorf("unexpected {{end}}".into()),
                Err(Stop::Else) => return self.errorf("unexpected {{else}}".into()),
            }
        }
        Ok(list)
    }

    fn item_list(&mut self) -> PResult<(Vec<Node>, Stop)> {
        let mut list = Vec::new();
        while self.peek_non_space().t != T::Eof {
            match self.text_or_action()? {
                Ok(n) => list.push(n),
                Err(stop) => return Ok((list, stop)),
            }
        }
        self.errorf("unexpected EOF".into())
    }

    fn text_or_action(&mut self) -> PResult<Result<Node, Stop>> {
        let it = self.next_non_space();
        match it.t {
            T::Text => Ok(Ok(Node::Text(it.val))),
            T::LeftDelim => {
                let saved = self.action_line;
                self.action_line = line_at(self.src, it.pos);
                let r = self.action();
                self.action_line = saved;
                r
            }
            _ => self.unexpected(&it, "input"),
        }
    }

    fn action(&mut self) -> PResult<Result<Node, Stop>> {
        let it = self.next_non_space();
        match it.t {
            T::Else => {
                // "else if" / "else with": leave the keyword for parse_control.
                let p = self.peek_non_space();
                if p.t != T::If && p.t != T::With {
                    self.expect(T::RightDelim, "else")?;
                }
                return Ok(Err(Stop::Else));
            }
            T::End => {
                self.expect(T::RightDelim, "end")?;
                return Ok(Err(Stop::End));
            }
            T::If => return Ok(Ok(self.control(Kind::If)?)),
            T::Range => return Ok(Ok(self.control(Kind::Range)?)),
            T::With => return Ok(Ok(self.control(Kind::With)?)),
            T::Break | T::Continue => {
                let word = if it.t == T::Break {
                    "{{break}}"
                } else {
                    "{{continue}}"
                };
                let t = self.next_non_space();
                if t.t != T::RightDelim {
                    return self.unexpected(&t, word);
                }
                if self.range_depth == 0 {
                    return self.errorf(format!("{word} outside {{{{range}}}}"));
                }
                return Ok(Ok(if it.t == T::Break {
                    Node::Break
                } else {
                    Node::Continue
                }));
            }
            T::Define | T::Template | T::Block => {
                // Named templates make no sense in a one-line --format; say so plainly.
                return self.errorf(format!("{{{{{}}}}} is not supported", it.val));
            }
            _ => {}
        }
        self.backup();
        Ok(Ok(Node::Action(self.pipeline("command", T::RightDelim)?)))
    }

    fn expect(&mut self, t: T, context: &str) -> PResult<Item> {
        let it = self.next_non_space();
        if it.t != t {
            return self.unexpected(&it, context);
        }
        Ok(it)
    }

    fn control(&mut self, kind: Kind) -> PResult<Node> {
        let context = match kind {
            Kind::If => "if",
            Kind::Range => "range",
            Kind::With => "with",
        };
        let nvars = self.vars.len();
        let pipe = self.pipeline(context, T::RightDelim)?;
        if kind == Kind::Range {
            self.range_depth += 1;
        }
        let (list, stop) = self.item_list()?;
        if kind == Kind::Range {
            self.range_depth -= 1;
        }
        let mut else_list = None;
        if let Stop::Else = stop {
            let p = self.peek();
            if kind == Kind::If && p.t == T::If {
                self.next();
                else_list = Some(vec![self.control(Kind::If)?]);
            } else if kind == Kind::With && p.t == T::With {
                self.next();
                else_list = Some(vec![self.control(Kind::With)?]);
            } else {
                let (l, stop) = self.item_list()?;
                if let Stop::Else = stop {
                    return self.errorf("expected end; found {{else}}".into());
                }
                else_list = Some(l);
            }
        }
        self.vars.truncate(nvars);
        Ok(Node::Control(Box::new(Control {
            kind,
            pipe,
            list,
            else_list,
        })))
    }

    fn pipeline(&mut self, context: &str, end: T) -> PResult<Pipe> {
        let first = self.peek_non_space();
        let mut pipe = Pipe {
            pos: first.pos,
            decl: Vec::new(),
            is_assign: false,
            cmds: Vec::new(),
        };
        loop {
            let v = self.peek_non_space();
            if v.t != T::Variable {
                break;
            }
            let save = self.i;
            self.next_non_space();
            let next = self.peek_non_space();
            match next.t {
                T::Assign | T::Declare => {
                    pipe.is_assign = next.t == T::Assign;
                    self.next_non_space();
                    pipe.decl.push(v.val.clone());
                    self.vars.push(v.val);
                    break;
                }
                T::Char if next.val == "," => {
                    self.next_non_space();
                    pipe.decl.push(v.val.clone());
                    self.vars.push(v.val);
                    if context == "range" && pipe.decl.len() < 2 {
                        let p = self.peek_non_space();
                        if matches!(p.t, T::Variable | T::RightDelim | T::RightParen) {
                            continue;
                        }
                        return self.errorf("range can only initialize variables".into());
                    }
                    return self.errorf(format!("too many declarations in {context}"));
                }
                _ => {
                    self.i = save;
                    break;
                }
            }
        }
        loop {
            let it = self.next_non_space();
            match it.t {
                t if t == end => {
                    if pipe.cmds.is_empty() {
                        return self.errorf(format!("missing value for {context}"));
                    }
                    for (i, c) in pipe.cmds.iter().enumerate().skip(1) {
                        if matches!(
                            c.args[0],
                            Arg::Bool(..)
                                | Arg::Dot(_)
                                | Arg::Nil(_)
                                | Arg::Number(..)
                                | Arg::Str { .. }
                        ) {
                            return self.errorf(format!(
                                "non executable command in pipeline stage {}",
                                i + 1
                            ));
                        }
                    }
                    return Ok(pipe);
                }
                T::Bool
                | T::CharConst
                | T::Dot
                | T::Field
                | T::Ident
                | T::Number
                | T::Nil
                | T::RawString
                | T::Str
                | T::Variable
                | T::LeftParen => {
                    self.backup();
                    let c = self.command()?;
                    pipe.cmds.push(c);
                }
                _ => return self.unexpected(&it, context),
            }
        }
    }

    fn command(&mut self) -> PResult<Cmd> {
        let pos = self.peek_non_space().pos;
        let mut cmd = Cmd {
            pos,
            args: Vec::new(),
        };
        loop {
            self.peek_non_space();
            if let Some(a) = self.operand()? {
                cmd.args.push(a);
            }
            let it = self.next();
            match it.t {
                T::Space => continue,
                T::RightDelim | T::RightParen => self.backup(),
                T::Pipe => {}
                _ => return self.unexpected(&it, "operand"),
            }
            break;
        }
        if cmd.args.is_empty() {
            return self.errorf("empty command".into());
        }
        Ok(cmd)
    }

    fn operand(&mut self) -> PResult<Option<Arg>> {
        let Some(node) = self.term()? else {
            return Ok(None);
        };
        if self.peek().t != T::Field {
            return Ok(Some(node));
        }
        let pos = self.peek().pos;
        let mut fields = Vec::new();
        while self.peek().t == T::Field {
            fields.push(self.next().val[1..].to_string());
        }
        // Go gives the lengthened node the position of its first added field (`.B` in
        // `.A.B`), and its execution errors report that column.
        Ok(Some(match node {
            Arg::Field { mut idents, .. } => {
                idents.extend(fields);
                Arg::Field { pos, idents }
            }
            Arg::Var { mut idents, .. } => {
                idents.extend(fields);
                Arg::Var { pos, idents }
            }
            Arg::Bool(..) | Arg::Str { .. } | Arg::Number(..) | Arg::Nil(_) | Arg::Dot(_) => {
                return self.errorf(format!(
                    "unexpected . after term {}",
                    go_quote(&node.text())
                ));
            }
            node => Arg::Chain {
                pos,
                node: Box::new(node),
                fields,
            },
        }))
    }

    fn term(&mut self) -> PResult<Option<Arg>> {
        let it = self.next_non_space();
        Ok(Some(match it.t {
            T::Ident => {
                if !is_function(&it.val) {
                    return self.errorf(format!("function {} not defined", go_quote(&it.val)));
                }
                Arg::Ident {
                    pos: it.pos,
                    name: it.val,
                }
            }
            T::Dot => Arg::Dot(it.pos),
            T::Nil => Arg::Nil(it.pos),
            T::Variable => {
                let idents: Vec<String> = it.val.split('.').map(str::to_string).collect();
                if !self.vars.contains(&idents[0]) {
                    return self.errorf(format!("undefined variable {}", go_quote(&idents[0])));
                }
                Arg::Var {
                    pos: it.pos,
                    idents,
                }
            }
            T::Field => Arg::Field {
                pos: it.pos,
                idents: vec![it.val[1..].to_string()],
            },
            T::Bool => Arg::Bool(it.pos, it.val == "true"),
            T::Number | T::CharConst => match parse_number(&it.val, it.t == T::CharConst) {
                Ok(n) => Arg::Number(it.pos, n),
                Err(e) => return self.errorf(e),
            },
            T::LeftParen => {
                let p = self.pipeline("parenthesized pipeline", T::RightParen)?;
                Arg::Pipe(Box::new(p))
            }
            T::Str | T::RawString => match go_unquote(&it.val) {
                Some(text) => Arg::Str {
                    pos: it.pos,
                    quoted: it.val,
                    text,
                },
                None => return self.errorf("invalid syntax".into()),
            },
            _ => {
                self.backup();
                return Ok(None);
            }
        }))
    }
}

fn parse_number(text: &str, is_char: bool) -> Result<Num, String> {
    let illegal = || format!("illegal number syntax: {}", go_quote(text));
    if is_char {
        let malformed = || format!("malformed character constant: {text}");
        let c = go_unquote(text).ok_or_else(malformed)?;
        let mut cs = c.chars();
        let r = cs.next().ok_or_else(malformed)?;
        if cs.next().is_some() {
            return Err(malformed());
        }
        let v = r as i64;
        return Ok(Num {
            text: text.into(),
            int: Some(v),
            uint: Some(v as u64),
            float: Some(v as f64),
        });
    }
    if text.ends_with('i') {
        return Err(illegal()); // complex constants: not worth supporting in --format
    }
    let clean = text.replace('_', "");
    let (neg, body) = match clean.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, clean.strip_prefix('+').unwrap_or(&clean)),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else if lower.len() > 1 && lower.starts_with('0') && lower.bytes().all(|b| b.is_ascii_digit())
    {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if let Ok(u) = u64::from_str_radix(digits, radix) {
        let int = if neg {
            0i64.checked_sub_unsigned(u)
        } else {
            i64::try_from(u).ok()
        };
        return Ok(Num {
            text: text.into(),
            int,
            uint: if neg { None } else { Some(u) },
            float: Some(if neg { -(u as f64) } else { u as f64 }),
        });
    }
    if radix != 10 {
        return Err(illegal());
    }
    let f: f64 = clean.parse().map_err(|_| illegal())?;
    if !clean.contains(['.', 'e', 'E']) {
        return Err(format!("integer overflow: {}", go_quote(text)));
    }
    let int = (f.fract() == 0.0 && f.abs() < 9.2e18).then_some(f as i64);
    Ok(Num {
        text: text.into(),
        int,
        uint: int.and_then(|i| u64::try_from(i).ok()),
        float: Some(f),
    })
}

// ---------------------------------------------------------------------------------------
// Values and execution (text/template/exec.go, funcs.go)
// ---------------------------------------------------------------------------------------

/// A value during execution, typed the way Go's reflect would see decoded JSON.
#[derive(Debug, Clone)]
enum V<'d> {
    /// Go's zero `reflect.Value`: a missing key, or nil after a pipeline unwrapped it.
    Invalid,
    /// A value from the data; `Null` is a nil `interface{}`.
    J(&'d Value),
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(String),
    /// `[]string`, as `split` returns.
    Strs(Vec<String>),
    /// `[]interface{}` built during execution (`slice` of a list).
    List(Vec<V<'d>>),
}

enum Scalar<'a> {
    Nil,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(&'a str),
    Other,
}

impl<'d> V<'d> {
    fn scalar(&self) -> Scalar<'_> {
        match self {
            V::Invalid | V::J(Value::Null) => Scalar::Nil,
            V::Bool(b) | V::J(Value::Bool(b)) => Scalar::Bool(*b),
            V::Int(i) => Scalar::Int(*i),
            V::Uint(u) => Scalar::Uint(*u),
            V::Float(f) => Scalar::Float(*f),
            V::J(Value::Number(n)) => {
                if let Some(i) = n.as_i64() {
                    Scalar::Int(i)
                } else if let Some(u) = n.as_u64() {
                    Scalar::Uint(u)
                } else {
                    Scalar::Float(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            V::Str(s) => Scalar::Str(s),
            V::J(Value::String(s)) => Scalar::Str(s),
            _ => Scalar::Other,
        }
    }

    fn is_nil(&self) -> bool {
        matches!(self, V::Invalid | V::J(Value::Null))
    }

    /// Go's type name, for "wrong type" messages.
    fn type_name(&self) -> &'static str {
        match self {
            V::Invalid => "<nil>",
            V::J(Value::Null) => "interface {}",
            V::J(Value::Array(_)) | V::List(_) => "[]interface {}",
            V::J(Value::Object(_)) => "map[string]interface {}",
            V::Strs(_) => "[]string",
            _ => match self.scalar() {
                Scalar::Bool(_) => "bool",
                Scalar::Int(_) => "int",
                Scalar::Uint(_) => "uint8",
                Scalar::Float(_) => "float64",
                _ => "string",
            },
        }
    }

    /// Go's `isTrue`.
    fn truth(&self) -> bool {
        match self {
            V::J(Value::Array(a)) => !a.is_empty(),
            V::J(Value::Object(o)) => !o.is_empty(),
            V::Strs(l) => !l.is_empty(),
            V::List(l) => !l.is_empty(),
            _ => match self.scalar() {
                Scalar::Nil => false,
                Scalar::Bool(b) => b,
                Scalar::Int(i) => i != 0,
                Scalar::Uint(u) => u != 0,
                Scalar::Float(f) => f != 0.0,
                Scalar::Str(s) => !s.is_empty(),
                Scalar::Other => true,
            },
        }
    }

    fn as_str(&self) -> Option<&str> {
        match self.scalar() {
            Scalar::Str(s) => Some(s),
            _ => None,
        }
    }

    fn as_int(&self) -> Option<i64> {
        match self.scalar() {
            Scalar::Int(i) => Some(i),
            _ => None,
        }
    }

    /// The elements of a list value, if it is one.
    fn elems(&self) -> Option<Vec<V<'d>>> {
        match self {
            V::J(Value::Array(a)) => Some(a.iter().map(V::J).collect()),
            V::Strs(l) => Some(l.iter().cloned().map(V::Str).collect()),
            V::List(l) => Some(l.clone()),
            _ => None,
        }
    }
}

/// `fmt.Sprint` of one value (`%v`).
fn fmt_v(v: &V, out: &mut String) {
    match v {
        V::J(Value::Array(a)) => {
            out.push('[');
            for (i, e) in a.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                fmt_v(&V::J(e), out);
            }
            out.push(']');
        }
        V::J(Value::Object(o)) => {
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort();
            out.push_str("map[");
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(k);
                out.push(':');
                fmt_v(&V::J(&o[k]), out);
            }
            out.push(']');
        }
        V::Strs(_) | V::List(_) => {
            out.push('[');
            for (i, e) in v.elems().unwrap_or_default().iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                fmt_v(e, out);
            }
            out.push(']');
        }
        _ => match v.scalar() {
            Scalar::Nil => out.push_str("<nil>"),
            Scalar::Bool(b) => out.push_str(if b { "true" } else { "false" }),
            Scalar::Int(i) => write!(out, "{i}").unwrap(),
            Scalar::Uint(u) => write!(out, "{u}").unwrap(),
            Scalar::Float(f) => out.push_str(&go_float_v(f)),
            Scalar::Str(s) => out.push_str(s),
            Scalar::Other => {}
        },
    }
}

fn sprint_v(v: &V) -> String {
    let mut s = String::new();
    fmt_v(v, &mut s);
    s
}

/// Go's `%v` for a float64, `strconv.FormatFloat(f, 'g', -1, 64)`: the shortest digits that
/// round-trip, in exponent form when the exponent is < -4 or >= 6 (strconv uses precision 6
/// for that decision when asked for the shortest form), so 1e6 prints `1e+06`.
fn go_float_v(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let sci = format!("{f:e}");
    let (mant, exp) = sci.split_once('e').unwrap();
    let exp: i32 = exp.parse().unwrap();
    if !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mant}e{sign}{:02}", exp.abs())
    } else {
        format!("{f}")
    }
}

/// encoding/json's float format: `'f'` between 1e-6 and 1e21, else `'e'` with `e-07`
/// shortened to `e-7`.
fn go_json_float(f: f64) -> String {
    let a = f.abs();
    if a != 0.0 && !(1e-6..1e21).contains(&a) {
        let sci = format!("{f:e}");
        let (mant, exp) = sci.split_once('e').unwrap();
        let exp: i32 = exp.parse().unwrap();
        let sign = if exp < 0 { '-' } else { '+' };
        if exp < 0 && exp > -10 {
            format!("{mant}e-{}", -exp)
        } else {
            format!("{mant}e{sign}{:02}", exp.abs())
        }
    } else {
        format!("{f}")
    }
}

/// docker/cli's `json` function: `json.Encoder` with `SetEscapeHTML(false)`, newline trimmed.
fn json_encode(v: &V, out: &mut String) {
    match v {
        V::J(j) => json_value(j, out),
        V::Strs(_) | V::List(_) => {
            out.push('[');
            for (i, e) in v.elems().unwrap_or_default().iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_encode(e, out);
            }
            out.push(']');
        }
        _ => match v.scalar() {
            Scalar::Nil | Scalar::Other => out.push_str("null"),
            Scalar::Bool(b) => out.push_str(if b { "true" } else { "false" }),
            Scalar::Int(i) => write!(out, "{i}").unwrap(),
            Scalar::Uint(u) => write!(out, "{u}").unwrap(),
            Scalar::Float(f) => out.push_str(&go_json_float(f)),
            Scalar::Str(s) => json_string(s, out),
        },
    }
}

fn json_value(j: &Value, out: &mut String) {
    match j {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if n.is_f64() {
                out.push_str(&go_json_float(n.as_f64().unwrap_or(0.0)))
            } else {
                write!(out, "{n}").unwrap()
            }
        }
        Value::String(s) => json_string(s, out),
        Value::Array(a) => {
            out.push('[');
            for (i, e) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_value(e, out);
            }
            out.push(']');
        }
        Value::Object(o) => {
            out.push('{');
            for (i, (k, e)) in o.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_string(k, out);
                out.push(':');
                json_value(e, out);
            }
            out.push('}');
        }
    }
}

/// Go's JSON string escaping without HTML escaping: `\n \r \t \b \f`, other control
/// characters as `\u00xx`, and U+2028/U+2029 always escaped (they break JavaScript).
fn json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{2028}' | '\u{2029}' => write!(out, "\\u{:04x}", c as u32).unwrap(),
            c if (c as u32) < 0x20 => write!(out, "\\u{:04x}", c as u32).unwrap(),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Go's `strconv.Quote`.
fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => write!(out, "\\x{:02x}", c as u32).unwrap(),
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' || c == '\u{feff}' => {
                if (c as u32) < 0x10000 {
                    write!(out, "\\u{:04x}", c as u32).unwrap()
                } else {
                    write!(out, "\\U{:08x}", c as u32).unwrap()
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Go's `%#U`: `U+00E9 'é'`.
fn go_unicode(c: char) -> String {
    if c.is_control() {
        format!("U+{:04X}", c as u32)
    } else {
        format!("U+{:04X} '{c}'", c as u32)
    }
}

/// Go's `strconv.Unquote` for "…", `…` and '…' literals.
fn go_unquote(q: &str) -> Option<String> {
    let first = q.chars().next()?;
    if q.len() < 2 || !q.ends_with(first) {
        return None;
    }
    let body = &q[1..q.len() - 1];
    if first == '`' {
        return Some(body.replace('\r', ""));
    }
    let mut out = String::new();
    let mut cs = body.chars().peekable();
    while let Some(c) = cs.next() {
        if c == first || c == '\n' {
            return None;
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        let e = cs.next()?;
        let hex = |cs: &mut std::iter::Peekable<std::str::Chars>, n: usize| -> Option<u32> {
            let s: String = (0..n).filter_map(|_| cs.next()).collect();
            if s.len() != n {
                return None;
            }
            u32::from_str_radix(&s, 16).ok()
        };
        match e {
            'a' => out.push('\u{7}'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\u{b}'),
            '\\' => out.push('\\'),
            '\'' if first == '\'' => out.push('\''),
            '"' if first == '"' => out.push('"'),
            'x' => out.push(char::from_u32(hex(&mut cs, 2)?)?),
            'u' => out.push(char::from_u32(hex(&mut cs, 4)?)?),
            'U' => out.push(char::from_u32(hex(&mut cs, 8)?)?),
            '0'..='7' => {
                let s: String = std::iter::once(e)
                    .chain((0..2).filter_map(|_| cs.next()))
                    .collect();
                let v = u32::from_str_radix(&s, 8).ok().filter(|v| *v < 256)?;
                out.push(char::from_u32(v)?);
            }
            _ => return None,
        }
    }
    Some(out)
}

/// Parameter types of the template functions, as their Go signatures declare them.
#[derive(Debug, Clone, Copy, PartialEq)]
enum P {
    /// `interface{}` or `reflect.Value`: anything, nil included.
    Any,
    Str,
    Int,
    /// `[]string`
    Strs,
}

struct Sig {
    fixed: &'static [P],
    variadic: Option<P>,
}

const FUNCS: &[&str] = &[
    "and", "call", "html", "index", "js", "len", "not", "or", "print", "printf", "println",
    "slice", "urlquery", "eq", "ge", "gt", "le", "lt", "ne", "json", "split", "join", "title",
    "lower", "upper", "pad", "truncate",
];

fn is_function(name: &str) -> bool {
    FUNCS.contains(&name)
}

fn sig(name: &str, header: bool) -> Sig {
    use P::*;
    let (fixed, variadic): (&'static [P], Option<P>) = match name {
        // docker/cli's HeaderFunctions take and return strings.
        "json" | "title" | "lower" | "upper" if header => (&[Str], None),
        "split" | "join" if header => (&[Str, Str], None),
        "truncate" if header => (&[Str, Int], None),
        "and" | "or" | "eq" => (&[Any], Some(Any)),
        "index" | "slice" => (&[Any], Some(Any)),
        "not" | "len" | "json" => (&[Any], None),
        "ne" | "lt" | "le" | "gt" | "ge" => (&[Any, Any], None),
        "print" | "println" | "html" | "js" | "urlquery" | "call" => (&[], Some(Any)),
        "printf" => (&[Str], Some(Any)),
        "split" => (&[Str, Str], None),
        "join" => (&[Strs, Str], None),
        "title" | "lower" | "upper" => (&[Str], None),
        "pad" => (&[Str, Int, Int], None),
        "truncate" => (&[Str, Int], None),
        _ => (&[], None),
    };
    Sig { fixed, variadic }
}

/// Where execution is, for error messages (Go's `state.node`).
#[derive(Clone, Copy)]
enum At<'t> {
    None,
    Arg(&'t Arg),
    Cmd(&'t Cmd),
    Pipe(&'t Pipe),
}

enum Flow {
    Normal,
    Break,
    Continue,
}

struct State<'t, 'd, 'o> {
    t: &'t Template,
    out: &'o mut String,
    vars: Vec<(String, V<'d>)>,
    at: At<'t>,
    header: bool,
}

type EResult<X> = Result<X, TemplateError>;

impl<'t, 'd> State<'t, 'd, '_> {
    fn errorf<X>(&self, message: String) -> EResult<X> {
        let (pos, context) = match self.at {
            At::None => (0, String::new()),
            At::Arg(a) => (a.pos(), a.text()),
            At::Cmd(c) => (c.pos, c.text()),
            At::Pipe(p) => (p.pos, p.text()),
        };
        let src = &self.t.src;
        let before = &src[..pos.min(src.len())];
        let col = match before.rfind('\n') {
            Some(n) => pos - n - 1,
            None => pos,
        };
        Err(TemplateError::Exec {
            line: line_at(src, pos),
            col,
            context,
            message,
        })
    }

    fn var(&self, name: &str) -> EResult<V<'d>> {
        match self.vars.iter().rev().find(|(n, _)| n == name) {
            Some((_, v)) => Ok(v.clone()),
            None => self.errorf(format!("undefined variable: {name}")),
        }
    }

    fn walk(&mut self, dot: &V<'d>, nodes: &'t [Node]) -> EResult<Flow> {
        for n in nodes {
            match n {
                Node::Text(s) => self.out.push_str(s),
                Node::Action(p) => {
                    let v = self.pipeline(dot, p)?;
                    if p.decl.is_empty() {
                        match v {
                            V::Invalid => self.out.push_str("<no value>"),
                            v => fmt_v(&v, self.out),
                        }
                    }
                }
                Node::Control(c) => {
                    let flow = match c.kind {
                        Kind::Range => self.range(dot, c)?,
                        _ => self.if_with(dot, c)?,
                    };
                    if !matches!(flow, Flow::Normal) {
                        return Ok(flow);
                    }
                }
                Node::Break => return Ok(Flow::Break),
                Node::Continue => return Ok(Flow::Continue),
            }
        }
        Ok(Flow::Normal)
    }

    fn if_with(&mut self, dot: &V<'d>, c: &'t Control) -> EResult<Flow> {
        let mark = self.vars.len();
        let v = self.pipeline(dot, &c.pipe)?;
        let flow = if v.truth() {
            if c.kind == Kind::With {
                self.walk(&v, &c.list)?
            } else {
                self.walk(dot, &c.list)?
            }
        } else if let Some(e) = &c.else_list {
            self.walk(dot, e)?
        } else {
            Flow::Normal
        };
        self.vars.truncate(mark);
        Ok(flow)
    }

    fn range(&mut self, dot: &V<'d>, c: &'t Control) -> EResult<Flow> {
        let mark = self.vars.len();
        let v = self.pipeline(dot, &c.pipe)?;
        let inner = self.vars.len();
        let ndecl = c.pipe.decl.len();
        let items: Vec<(V<'d>, V<'d>)> = match &v {
            V::J(Value::Object(o)) => {
                let mut keys: Vec<&'d String> = o.keys().collect();
                keys.sort();
                keys.into_iter()
                    .map(|k| (V::Str(k.clone()), V::J(&o[k.as_str()])))
                    .collect()
            }
            V::Invalid => Vec::new(),
            v if v.elems().is_some() => v
                .elems()
                .unwrap()
                .into_iter()
                .enumerate()
                .map(|(i, e)| (V::Int(i as i64), e))
                .collect(),
            v if v.as_int().is_some() => {
                // Go 1.22: range over an integer.
                if ndecl > 1 {
                    return self.errorf(format!(
                        "can't use {} to iterate over more than one variable",
                        sprint_v(v)
                    ));
                }
                (0..v.as_int().unwrap().max(0))
                    .map(|i| (V::Int(i), V::Int(i)))
                    .collect()
            }
            v => return self.errorf(format!("range can't iterate over {}", sprint_v(v))),
        };
        if items.is_empty() {
            let flow = match &c.else_list {
                Some(e) => self.walk(dot, e)?,
                None => Flow::Normal,
            };
            self.vars.truncate(mark);
            return Ok(flow);
        }
        for (index, elem) in items {
            if ndecl > 0 {
                self.vars[inner - 1].1 = elem.clone();
            }
            if ndecl > 1 {
                self.vars[inner - 2].1 = index;
            }
            let flow = self.walk(&elem, &c.list)?;
            self.vars.truncate(inner);
            if let Flow::Break = flow {
                break;
            }
        }
        self.vars.truncate(mark);
        Ok(Flow::Normal)
    }

    fn pipeline(&mut self, dot: &V<'d>, p: &'t Pipe) -> EResult<V<'d>> {
        self.at = At::Pipe(p);
        let mut value: Option<V<'d>> = None;
        for cmd in &p.cmds {
            let mut v = self.command(dot, cmd, value.take())?;
            // Go digs the value out of an interface{}: a nil one becomes "no value".
            if matches!(v, V::J(Value::Null)) {
                v = V::Invalid;
            }
            value = Some(v);
        }
        let value = value.unwrap_or(V::Invalid);
        for name in &p.decl {
            if p.is_assign {
                match self.vars.iter_mut().rev().find(|(n, _)| n == name) {
                    Some(slot) => slot.1 = value.clone(),
                    None => return self.errorf(format!("undefined variable: {name}")),
                }
            } else {
                self.vars.push((name.clone(), value.clone()));
            }
        }
        Ok(value)
    }

    fn not_a_function(&self, args: &'t [Arg], fin: &Option<V<'d>>) -> EResult<()> {
        if args.len() > 1 || fin.is_some() {
            return self.errorf(format!(
                "can't give argument to non-function {}",
                args[0].text()
            ));
        }
        Ok(())
    }

    fn command(&mut self, dot: &V<'d>, cmd: &'t Cmd, fin: Option<V<'d>>) -> EResult<V<'d>> {
        let first = &cmd.args[0];
        match first {
            Arg::Field { idents, .. } => {
                self.at = At::Arg(first);
                return self.field_chain(dot.clone(), first, idents, &cmd.args, fin);
            }
            Arg::Chain { node, fields, .. } => {
                self.at = At::Arg(first);
                let recv = self.arg_value(dot, node)?;
                return self.field_chain(recv, first, fields, &cmd.args, fin);
            }
            Arg::Ident { name, .. } => {
                self.at = At::Arg(first);
                return self.call(dot, name, At::Cmd(cmd), &cmd.args[1..], fin);
            }
            Arg::Pipe(p) => {
                self.not_a_function(&cmd.args, &fin)?;
                return self.pipeline(dot, p);
            }
            Arg::Var { idents, .. } => {
                self.at = At::Arg(first);
                let v = self.var(&idents[0])?;
                if idents.len() == 1 {
                    self.not_a_function(&cmd.args, &fin)?;
                    return Ok(v);
                }
                return self.field_chain(v, first, &idents[1..], &cmd.args, fin);
            }
            _ => {}
        }
        self.at = At::Arg(first);
        self.not_a_function(&cmd.args, &fin)?;
        match first {
            Arg::Bool(_, b) => Ok(V::Bool(*b)),
            Arg::Dot(_) => Ok(dot.clone()),
            Arg::Nil(_) => self.errorf("nil is not a command".into()),
            Arg::Number(_, n) => self.ideal(n),
            Arg::Str { text, .. } => Ok(V::Str(text.clone())),
            _ => self.errorf(format!(
                "can't evaluate command {}",
                go_quote(&first.text())
            )),
        }
    }

    /// Go's `idealConstant`: a number literal with no type context.
    fn ideal(&self, n: &Num) -> EResult<V<'d>> {
        let t = &n.text;
        let is_hex = t.len() > 2 && (t.starts_with("0x") || t.starts_with("0X"));
        if !t.starts_with('\'') && !is_hex && t.contains(['.', 'e', 'E']) {
            return Ok(V::Float(n.float.unwrap_or(0.0)));
        }
        match (n.int, n.uint) {
            (Some(i), _) => Ok(V::Int(i)),
            (None, Some(_)) => self.errorf(format!("{t} overflows int")),
            _ => Ok(V::Float(n.float.unwrap_or(0.0))),
        }
    }

    fn field_chain(
        &mut self,
        mut recv: V<'d>,
        node: &'t Arg,
        idents: &[String],
        args: &'t [Arg],
        fin: Option<V<'d>>,
    ) -> EResult<V<'d>> {
        let n = idents.len();
        for ident in &idents[..n - 1] {
            recv = self.field(ident, node, false, recv)?;
        }
        let has_args = args.len() > 1 || fin.is_some();
        self.field(&idents[n - 1], node, has_args, recv)
    }

    fn field(&mut self, name: &str, node: &'t Arg, has_args: bool, recv: V<'d>) -> EResult<V<'d>> {
        self.at = At::Arg(node);
        match recv {
            V::Invalid => {
                if self.t.missingkey_error {
                    return self.errorf(format!("nil data; no entry for key {}", go_quote(name)));
                }
                Ok(V::Invalid)
            }
            V::J(Value::Null) => {
                self.errorf(format!("nil pointer evaluating interface {{}}.{name}"))
            }
            V::J(Value::Object(o)) => {
                if has_args {
                    return self.errorf(format!("{name} is not a method but has arguments"));
                }
                match o.get(name) {
                    Some(v) => Ok(V::J(v)),
                    None if self.t.missingkey_error => {
                        self.errorf(format!("map has no entry for key {}", go_quote(name)))
                    }
                    None => Ok(V::Invalid),
                }
            }
            // A value taken from the data is an interface{} to Go, whatever it holds.
            V::J(_) => self.errorf(format!(
                "can't evaluate field {name} in type interface {{}}"
            )),
            other => self.errorf(format!(
                "can't evaluate field {name} in type {}",
                other.type_name()
            )),
        }
    }

    /// Evaluates an argument with no expected type (`evalArg` with an `interface{}` target).
    fn arg_value(&mut self, dot: &V<'d>, a: &'t Arg) -> EResult<V<'d>> {
        self.at = At::Arg(a);
        match a {
            Arg::Dot(_) => Ok(dot.clone()),
            Arg::Nil(_) => Ok(V::Invalid),
            Arg::Field { idents, .. } => {
                self.field_chain(dot.clone(), a, idents, std::slice::from_ref(a), None)
            }
            Arg::Var { idents, .. } => {
                let v = self.var(&idents[0])?;
                if idents.len() == 1 {
                    return Ok(v);
                }
                self.field_chain(v, a, &idents[1..], &[], None)
            }
            Arg::Pipe(p) => self.pipeline(dot, p),
            Arg::Ident { name, .. } => self.call(dot, name, At::Arg(a), &[], None),
            Arg::Chain { node, fields, .. } => {
                if matches!(**node, Arg::Nil(_)) {
                    return self
                        .errorf(format!("indirection through explicit nil in {}", a.text()));
                }
                let recv = self.arg_value(dot, node)?;
                self.at = At::Arg(a);
                self.field_chain(recv, a, fields, &[], None)
            }
            Arg::Bool(_, b) => Ok(V::Bool(*b)),
            Arg::Number(_, n) => self.ideal(n),
            Arg::Str { text, .. } => Ok(V::Str(text.clone())),
        }
    }

    /// Go's `evalArg`: an argument converted to a parameter type.
    fn typed_arg(&mut self, dot: &V<'d>, p: P, a: &'t Arg) -> EResult<V<'d>> {
        self.at = At::Arg(a);
        match (a, p) {
            (Arg::Nil(_), P::Str | P::Int) => {
                self.errorf(format!("cannot assign nil to {}", p_name(p)))
            }
            (Arg::Bool(_, b), P::Str) => self.errorf(format!("expected string; found {b}")),
            (Arg::Bool(_, b), P::Int) => self.errorf(format!("expected integer; found {b}")),
            (Arg::Number(_, n), P::Str) => {
                self.errorf(format!("expected string; found {}", n.text))
            }
            (Arg::Number(_, n), P::Int) => match n.int {
                Some(i) => Ok(V::Int(i)),
                None => self.errorf(format!("expected integer; found {}", n.text)),
            },
            (Arg::Str { quoted, .. }, P::Int) => {
                self.errorf(format!("expected integer; found {quoted}"))
            }
            (Arg::Bool(..) | Arg::Number(..) | Arg::Str { .. }, P::Strs) => self.errorf(format!(
                "can't handle {} for arg of type []string",
                a.text()
            )),
            _ => {
                let v = self.arg_value(dot, a)?;
                self.at = At::Arg(a);
                self.validate(v, p)
            }
        }
    }

    /// Go's `validateType`.
    fn validate(&self, v: V<'d>, p: P) -> EResult<V<'d>> {
        let ok = match p {
            P::Any => true,
            P::Str => v.as_str().is_some(),
            P::Int => v.as_int().is_some(),
            // docker's fields like Config.Env are []string; JSON gives []interface{} of
            // strings, which we accept so `join .Config.Env ","` works as it does in Docker.
            P::Strs => match &v {
                V::Strs(_) => true,
                V::J(Value::Array(a)) => a.iter().all(Value::is_string),
                V::List(l) => l.iter().all(|e| e.as_str().is_some()),
                _ => false,
            },
        };
        if ok {
            return Ok(v);
        }
        if let V::Invalid = v {
            if p == P::Strs {
                return Ok(V::Strs(Vec::new()));
            }
            return self.errorf(format!("invalid value; expected {}", p_name(p)));
        }
        self.errorf(format!(
            "wrong type for value; expected {}; got {}",
            p_name(p),
            v.type_name()
        ))
    }

    fn call(
        &mut self,
        dot: &V<'d>,
        name: &str,
        node: At<'t>,
        args: &'t [Arg],
        fin: Option<V<'d>>,
    ) -> EResult<V<'d>> {
        let s = sig(name, self.header);
        let num_in = args.len() + usize::from(fin.is_some());
        let nfixed = s.fixed.len();
        if s.variadic.is_some() {
            if num_in < nfixed {
                return self.errorf(format!(
                    "wrong number of args for {name}: want at least {nfixed} got {}",
                    args.len()
                ));
            }
        } else if num_in != nfixed {
            return self.errorf(format!(
                "wrong number of args for {name}: want {nfixed} got {num_in}"
            ));
        }
        // Go 1.18: and/or evaluate their arguments lazily and return the deciding one.
        if name == "and" || name == "or" {
            let mut v = V::Invalid;
            for a in args {
                v = self.arg_value(dot, a)?;
                if v.truth() == (name == "or") {
                    return Ok(v);
                }
            }
            if let Some(f) = fin {
                v = f;
            }
            return Ok(v);
        }
        let ptype = |i: usize| {
            if i < nfixed {
                s.fixed[i]
            } else {
                s.variadic.unwrap_or(P::Any)
            }
        };
        let mut argv = Vec::with_capacity(num_in);
        for (i, a) in args.iter().enumerate() {
            argv.push(self.typed_arg(dot, ptype(i), a)?);
        }
        if let Some(f) = fin {
            argv.push(self.validate(f, ptype(num_in - 1))?);
        }
        match self.builtin(name, argv) {
            Ok(v) => Ok(v),
            Err(e) => {
                self.at = node;
                self.errorf(format!("error calling {name}: {e}"))
            }
        }
    }

    fn builtin(&self, name: &str, mut a: Vec<V<'d>>) -> Result<V<'d>, String> {
        let s = |v: &V| v.as_str().unwrap_or_default().to_string();
        if self.header
            && matches!(
                name,
                "json" | "title" | "lower" | "upper" | "split" | "join" | "truncate"
            )
        {
            return Ok(V::Str(s(&a[0])));
        }
        Ok(match name {
            "not" => V::Bool(!a[0].truth()),
            "len" => match &a[0] {
                V::Invalid => {
                    return Err("reflect: call of reflect.Value.Type on zero Value".into());
                }
                V::J(Value::Null) => return Err("len of nil pointer".into()),
                V::J(Value::Object(o)) => V::Int(o.len() as i64),
                v => match (v.elems(), v.as_str()) {
                    (Some(e), _) => V::Int(e.len() as i64),
                    (_, Some(s)) => V::Int(s.len() as i64),
                    _ => return Err(format!("len of type {}", v.type_name())),
                },
            },
            "index" => {
                let mut item = a.remove(0);
                for ix in a {
                    item = index_one(item, &ix)?;
                }
                item
            }
            "slice" => slice(a)?,
            "eq" => {
                let first = a.remove(0);
                if a.is_empty() {
                    return Err("missing argument for comparison".into());
                }
                let mut truth = false;
                for b in &a {
                    if eq(&first, b)? {
                        truth = true;
                        break;
                    }
                }
                V::Bool(truth)
            }
            "ne" => V::Bool(!eq(&a[0], &a[1])?),
            "lt" => V::Bool(lt(&a[0], &a[1])?),
            "le" => V::Bool(lt(&a[0], &a[1])? || eq(&a[0], &a[1])?),
            "gt" => V::Bool(!(lt(&a[0], &a[1])? || eq(&a[0], &a[1])?)),
            "ge" => V::Bool(!lt(&a[0], &a[1])?),
            "print" => V::Str(sprint(&a)),
            "println" => V::Str(sprintln(&a)),
            "printf" => V::Str(sprintf(&s(&a[0]), &a[1..])),
            "html" => V::Str(html_escape(&eval_args(&a))),
            "js" => V::Str(js_escape(&eval_args(&a))),
            "urlquery" => V::Str(url_query_escape(&eval_args(&a))),
            "call" => {
                let t = a.first().map_or("<nil>", |v| v.type_name());
                return Err(format!("non-function of type {t}"));
            }
            "json" => {
                let mut out = String::new();
                json_encode(&a[0], &mut out);
                V::Str(out)
            }
            "split" => {
                let (src, sep) = (s(&a[0]), s(&a[1]));
                V::Strs(if sep.is_empty() {
                    src.chars().map(String::from).collect()
                } else {
                    src.split(sep.as_str()).map(str::to_string).collect()
                })
            }
            "join" => {
                let parts: Vec<String> = a[0]
                    .elems()
                    .unwrap_or_default()
                    .iter()
                    .map(|e| e.as_str().unwrap_or_default().to_string())
                    .collect();
                V::Str(parts.join(&s(&a[1])))
            }
            "title" => V::Str(go_title(&s(&a[0]))),
            "lower" => V::Str(go_map_case(&s(&a[0]), false)),
            "upper" => V::Str(go_map_case(&s(&a[0]), true)),
            "pad" => {
                let src = s(&a[0]);
                let (pre, suf) = (a[1].as_int().unwrap_or(0), a[2].as_int().unwrap_or(0));
                if src.is_empty() {
                    V::Str(src)
                } else if pre < 0 || suf < 0 {
                    return Err("strings: negative Repeat count".into());
                } else {
                    V::Str(format!(
                        "{}{src}{}",
                        " ".repeat(pre as usize),
                        " ".repeat(suf as usize)
                    ))
                }
            }
            "truncate" => {
                let src = s(&a[0]);
                let n = a[1].as_int().unwrap_or(0);
                if (src.len() as i64) < n {
                    V::Str(src)
                } else if n < 0 {
                    return Err(format!("runtime error: slice bounds out of range [:{n}]"));
                } else {
                    // Go slices bytes; we cut at the last whole character at or before n.
                    let mut n = n as usize;
                    while !src.is_char_boundary(n) {
                        n -= 1;
                    }
                    V::Str(src[..n].to_string())
                }
            }
            _ => return Err(format!("{} is not a defined function", go_quote(name))),
        })
    }
}

fn p_name(p: P) -> &'static str {
    match p {
        P::Any => "interface {}",
        P::Str => "string",
        P::Int => "int",
        P::Strs => "[]string",
    }
}

fn index_one<'d>(item: V<'d>, ix: &V<'d>) -> Result<V<'d>, String> {
    if item.is_nil() {
        return Err("index of untyped nil".into());
    }
    if let V::J(Value::Object(o)) = item {
        if ix.is_nil() {
            return Ok(o.get("").map_or(V::Invalid, V::J));
        }
        return match ix.as_str() {
            Some(k) => Ok(o.get(k).map_or(V::Invalid, V::J)),
            None => Err(format!(
                "value has type {}; should be string",
                ix.type_name()
            )),
        };
    }
    let len = match (&item, item.as_str()) {
        (_, Some(s)) => s.len(),
        _ => match item.elems() {
            Some(e) => e.len(),
            None => return Err(format!("can't index item of type {}", item.type_name())),
        },
    };
    let i = match ix.scalar() {
        Scalar::Int(i) => i,
        Scalar::Uint(u) => u as i64,
        Scalar::Nil => return Err("cannot index slice/array with nil".into()),
        _ => {
            return Err(format!(
                "cannot index slice/array with type {}",
                ix.type_name()
            ));
        }
    };
    if i < 0 || i as usize >= len {
        return Err(format!("index out of range: {i}"));
    }
    Ok(match item.as_str() {
        Some(s) => V::Uint(s.as_bytes()[i as usize] as u64),
        None => item.elems().unwrap().swap_remove(i as usize),
    })
}

fn slice(mut a: Vec<V>) -> Result<V, String> {
    let item = a.remove(0);
    if item.is_nil() {
        return Err("slice of untyped nil".into());
    }
    if a.len() > 3 {
        return Err(format!("too many slice indexes: {}", a.len()));
    }
    let (len, is_str) = match (item.as_str(), item.elems()) {
        (Some(s), _) => (s.len(), true),
        (_, Some(e)) => (e.len(), false),
        _ => return Err(format!("can't slice item of type {}", item.type_name())),
    };
    if is_str && a.len() == 3 {
        return Err("cannot 3-index slice a string".into());
    }
    let mut idx = [0usize, len, len];
    for (i, v) in a.iter().enumerate() {
        let n = match v.scalar() {
            Scalar::Int(n) => n,
            Scalar::Uint(u) => u as i64,
            _ => {
                return Err(format!(
                    "cannot index slice/array with type {}",
                    v.type_name()
                ));
            }
        };
        if n < 0 || n as usize > len {
            return Err(format!("index out of range: {n}"));
        }
        idx[i] = n as usize;
    }
    if idx[0] > idx[1] {
        return Err(format!("invalid slice index: {} > {}", idx[0], idx[1]));
    }
    Ok(match item.as_str() {
        Some(s) => V::Str(String::from_utf8_lossy(&s.as_bytes()[idx[0]..idx[1]]).into_owned()),
        None => V::List(item.elems().unwrap()[idx[0]..idx[1]].to_vec()),
    })
}

/// Go's `eq` for two values.
fn eq(a: &V, b: &V) -> Result<bool, String> {
    use Scalar as S;
    Ok(match (a.scalar(), b.scalar()) {
        (S::Nil, S::Nil) => true,
        (S::Nil, _) | (_, S::Nil) => false,
        (S::Bool(x), S::Bool(y)) => x == y,
        (S::Int(x), S::Int(y)) => x == y,
        (S::Uint(x), S::Uint(y)) => x == y,
        (S::Int(x), S::Uint(y)) | (S::Uint(y), S::Int(x)) => x >= 0 && x as u64 == y,
        (S::Float(x), S::Float(y)) => x == y,
        (S::Str(x), S::Str(y)) => x == y,
        (S::Other, S::Other) => {
            let mut shown = String::new();
            fmt_arg(&Spec::verb('s'), b, &mut shown);
            return Err(format!("non-comparable type {shown}: {}", b.type_name()));
        }
        _ => return Err("incompatible types for comparison".into()),
    })
}

/// Go's `lt`.
fn lt(a: &V, b: &V) -> Result<bool, String> {
    use Scalar as S;
    Ok(match (a.scalar(), b.scalar()) {
        (S::Nil | S::Other, _) | (_, S::Nil | S::Other) => {
            return Err("invalid type for comparison".into());
        }
        (S::Bool(_), S::Bool(_)) => return Err("invalid type for comparison".into()),
        (S::Int(x), S::Int(y)) => x < y,
        (S::Uint(x), S::Uint(y)) => x < y,
        (S::Int(x), S::Uint(y)) => x < 0 || (x as u64) < y,
        (S::Uint(x), S::Int(y)) => y >= 0 && x < y as u64,
        (S::Float(x), S::Float(y)) => x < y,
        (S::Str(x), S::Str(y)) => x < y,
        _ => return Err("incompatible types for comparison".into()),
    })
}

fn is_string_v(v: &V) -> bool {
    v.as_str().is_some()
}

/// `fmt.Sprint`: spaces between operands when neither side is a string.
fn sprint(a: &[V]) -> String {
    let mut out = String::new();
    for (i, v) in a.iter().enumerate() {
        if i > 0 && !is_string_v(v) && !is_string_v(&a[i - 1]) {
            out.push(' ');
        }
        fmt_v(v, &mut out);
    }
    out
}

/// `fmt.Sprintln`: always spaces, and a newline.
fn sprintln(a: &[V]) -> String {
    let parts: Vec<String> = a.iter().map(sprint_v).collect();
    parts.join(" ") + "\n"
}

/// text/template's `evalArgs`: one string as is, else `fmt.Sprint` with nil as `<no value>`.
fn eval_args(a: &[V]) -> String {
    if let [v] = a
        && let Some(s) = v.as_str()
    {
        return s.to_string();
    }
    let mut out = String::new();
    for (i, v) in a.iter().enumerate() {
        if i > 0 && !is_string_v(v) && !is_string_v(&a[i - 1]) {
            out.push(' ');
        }
        if v.is_nil() {
            out.push_str("<no value>");
        } else {
            fmt_v(v, &mut out);
        }
    }
    out
}

fn html_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\0' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

fn js_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 => write!(out, "\\u{:04X}", c as u32).unwrap(),
            c if c.is_control() => write!(out, "\\u{:04X}", c as u32).unwrap(),
            c => out.push(c),
        }
    }
    out
}

fn url_query_escape(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => write!(out, "%{b:02X}").unwrap(),
        }
    }
    out
}

/// `strings.Title`: upper-cases the first letter of each word.
fn go_title(s: &str) -> String {
    let is_sep = |c: char| {
        if c.is_ascii() {
            !(c.is_ascii_alphanumeric() || c == '_')
        } else if c.is_alphanumeric() {
            false
        } else {
            c.is_whitespace()
        }
    };
    let mut prev = ' ';
    s.chars()
        .map(|c| {
            let r = if is_sep(prev) {
                simple_case(c, true)
            } else {
                c
            };
            prev = c;
            r
        })
        .collect()
}

/// Go maps case one character to one character (`unicode.ToUpper`); Rust's full mapping can
/// expand (ß → SS), which Go never does.
fn simple_case(c: char, upper: bool) -> char {
    let mut m: Vec<char> = if upper {
        c.to_uppercase().collect()
    } else {
        c.to_lowercase().collect()
    };
    if c == '\u{130}' && !upper {
        return 'i';
    }
    if m.len() == 1 { m.pop().unwrap() } else { c }
}

fn go_map_case(s: &str, upper: bool) -> String {
    s.chars().map(|c| simple_case(c, upper)).collect()
}

/// One `%…` directive of a printf format.
struct Spec {
    verb: char,
    minus: bool,
    plus: bool,
    zero: bool,
    space: bool,
    sharp: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

impl Spec {
    fn verb(verb: char) -> Spec {
        Spec {
            verb,
            minus: false,
            plus: false,
            zero: false,
            space: false,
            sharp: false,
            width: None,
            prec: None,
        }
    }
}

/// A small `fmt.Sprintf`: flags `-+# 0`, width, precision, and the verbs people use in
/// `--format` (`%s %v %d %q %x %X %f %e %g %t %c %%`), with Go's `%!d(string=x)`,
/// `%!d(MISSING)` and `%!(EXTRA …)` for mismatches. Lists and maps are formatted element by
/// element with the same directive, as fmt does.
fn sprintf(format: &str, args: &[V]) -> String {
    let mut out = String::new();
    let mut argi = 0;
    let mut cs = format.chars().peekable();
    while let Some(c) = cs.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut sp = Spec::verb('v');
        while let Some(&f) = cs.peek() {
            match f {
                '-' => sp.minus = true,
                '+' => sp.plus = true,
                '0' => sp.zero = true,
                ' ' => sp.space = true,
                '#' => sp.sharp = true,
                _ => break,
            }
            cs.next();
        }
        while let Some(d) = cs.peek().and_then(|c| c.to_digit(10)) {
            sp.width = Some(sp.width.unwrap_or(0) * 10 + d as usize);
            cs.next();
        }
        if cs.peek() == Some(&'.') {
            cs.next();
            sp.prec = Some(0);
            while let Some(d) = cs.peek().and_then(|c| c.to_digit(10)) {
                sp.prec = Some(sp.prec.unwrap_or(0) * 10 + d as usize);
                cs.next();
            }
        }
        let Some(verb) = cs.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        sp.verb = verb;
        let Some(arg) = args.get(argi) else {
            write!(out, "%!{verb}(MISSING)").unwrap();
            continue;
        };
        argi += 1;
        fmt_arg(&sp, arg, &mut out);
    }
    if argi < args.len() {
        out.push_str("%!(EXTRA ");
        let extra: Vec<String> = args[argi..]
            .iter()
            .map(|a| {
                if a.is_nil() {
                    "<nil>".to_string()
                } else {
                    format!("{}={}", a.type_name(), sprint_v(a))
                }
            })
            .collect();
        out.push_str(&extra.join(", "));
        out.push(')');
    }
    out
}

fn fmt_arg(sp: &Spec, arg: &V, out: &mut String) {
    let verb = sp.verb;
    // fmt walks into lists and maps, applying the directive to each element.
    if verb != 'q' || arg.as_str().is_none() {
        if let V::J(Value::Object(o)) = arg {
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort();
            out.push_str("map[");
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                fmt_arg(sp, &V::Str(k.clone()), out);
                out.push(':');
                fmt_arg(sp, &V::J(&o[k]), out);
            }
            out.push(']');
            return;
        }
        if let Some(elems) = arg.elems()
            && (!(verb == 'x' || verb == 'X') || !elems.is_empty())
        {
            out.push('[');
            for (i, e) in elems.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                fmt_arg(sp, e, out);
            }
            out.push(']');
            return;
        }
    }
    let bad = || {
        if arg.is_nil() {
            format!("%!{verb}(<nil>)")
        } else {
            format!("%!{verb}({}={})", arg.type_name(), sprint_v(arg))
        }
    };
    let signed = |mut s: String| {
        if !s.starts_with('-') {
            if sp.plus {
                s.insert(0, '+');
            } else if sp.space {
                s.insert(0, ' ');
            }
        }
        s
    };
    let (body, numeric) = match (verb, arg.scalar()) {
        ('v', Scalar::Nil) => ("<nil>".into(), false),
        ('v' | 's', Scalar::Str(s)) => (truncate_prec(s, sp.prec), false),
        ('v' | 'g' | 'G' | 'e' | 'E' | 'f' | 'F', Scalar::Float(f)) => (
            fmt_float(
                f,
                if verb == 'v' { 'g' } else { verb },
                sp.prec,
                sp.plus,
                sp.space,
            ),
            true,
        ),
        ('v' | 'd', Scalar::Int(_) | Scalar::Uint(_)) => (signed(sprint_v(arg)), true),
        ('v' | 't', Scalar::Bool(b)) => (b.to_string(), false),
        ('q', Scalar::Str(s)) => (
            if sp.sharp && !s.contains('`') {
                format!("`{s}`")
            } else {
                go_quote(s)
            },
            false,
        ),
        ('q', Scalar::Int(i)) => match char::from_u32(i as u32) {
            Some('\'') => ("'\\''".into(), false),
            Some('"') => ("'\"'".into(), false),
            Some(c) => {
                let q = go_quote(&c.to_string());
                (format!("'{}'", &q[1..q.len() - 1]), false)
            }
            None => (bad(), false),
        },
        ('c', Scalar::Int(i)) => (
            char::from_u32(i as u32).unwrap_or('\u{fffd}').to_string(),
            false,
        ),
        ('x' | 'X', Scalar::Int(i)) => {
            let s = format!("{:x}", i.unsigned_abs());
            let s = if sp.sharp { format!("0x{s}") } else { s };
            let s = if i < 0 { format!("-{s}") } else { s };
            (if verb == 'X' { s.to_uppercase() } else { s }, true)
        }
        ('x' | 'X', Scalar::Str(s)) => {
            let h: String = s.bytes().map(|b| format!("{b:02x}")).collect();
            (if verb == 'X' { h.to_uppercase() } else { h }, false)
        }
        _ => (bad(), false),
    };
    let n = body.chars().count();
    match sp.width {
        Some(w) if w > n => {
            let pad = w - n;
            if sp.minus {
                out.push_str(&body);
                out.push_str(&" ".repeat(pad));
            } else if sp.zero && numeric {
                let (sign, digits) = match body.strip_prefix(['-', '+']) {
                    Some(d) => (&body[..1], d),
                    None => ("", body.as_str()),
                };
                out.push_str(sign);
                out.push_str(&"0".repeat(pad));
                out.push_str(digits);
            } else {
                out.push_str(&" ".repeat(pad));
                out.push_str(&body);
            }
        }
        _ => out.push_str(&body),
    }
}

fn truncate_prec(s: &str, prec: Option<usize>) -> String {
    match prec {
        Some(p) => s.chars().take(p).collect(),
        None => s.to_string(),
    }
}

fn fmt_float(f: f64, verb: char, prec: Option<usize>, plus: bool, space: bool) -> String {
    let mut s = match verb {
        'f' | 'F' => format!("{f:.*}", prec.unwrap_or(6)),
        'e' | 'E' => {
            let s = format!("{f:.*e}", prec.unwrap_or(6));
            let (m, e) = s.split_once('e').unwrap();
            let e: i32 = e.parse().unwrap();
            let s = format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs());
            if verb == 'E' { s.to_uppercase() } else { s }
        }
        _ => {
            let s = match prec {
                Some(p) => crate::cli::format::units::format_g(f, p.max(1)),
                None => go_float_v(f),
            };
            if verb == 'G' { s.to_uppercase() } else { s }
        }
    };
    if !s.starts_with('-') {
        if plus {
            s.insert(0, '+');
        } else if space {
            s.insert(0, ' ');
        }
    }
    s
}

#[cfg(test)]
mod tests {
    //! Expected outputs were produced by Go's text/template with docker/cli's function map
    //! on the same template and JSON (decoded into `interface{}`), except where a comment says
    //! we differ on purpose.
    use super::*;
    use serde_json::json;

    fn r(src: &str, data: Value) -> String {
        render(src, &data).unwrap_or_else(|e| panic!("{src}: {e}"))
    }

    fn strict(src: &str, data: Value) -> Result<String, String> {
        parse(src)
            .map_err(|e| e.go_message())?
            .missingkey_error(true)
            .render(&data)
            .map_err(|e| e.go_message())
    }

    fn err(src: &str, data: Value) -> String {
        match parse(src) {
            Err(e) => e.go_message(),
            Ok(t) => t.render(&data).expect_err(src).go_message(),
        }
    }

    #[test]
    fn fields_print_like_go() {
        let d = json!({"State": {"Status": "running", "Pid": 42},
                       "Config": {"Env": ["PATH=/usr/bin", "A=b c"], "Labels": {"z": "1", "a": "2"},
                                  "Cmd": [], "Empty": {}},
                       "T": true, "Neg": -7, "Fl": 2.5, "Big": 1e21, "N": null,
                       "L": [1, "a", null, {"z": 1, "b": []}]});
        assert_eq!(
            r("{{.State.Status}} {{.State.Pid}}", d.clone()),
            "running 42"
        );
        assert_eq!(r("{{.Config.Env}}", d.clone()), "[PATH=/usr/bin A=b c]");
        assert_eq!(r("{{.Config.Labels}}", d.clone()), "map[a:2 z:1]");
        assert_eq!(
            r("{{.Config.Cmd}}|{{.Config.Empty}}", d.clone()),
            "[]|map[]"
        );
        assert_eq!(
            r("{{.T}} {{.Neg}} {{.Fl}} {{.Big}}", d.clone()),
            "true -7 2.5 1e+21"
        );
        // null at the top prints "<no value>", inside a list "<nil>".
        assert_eq!(
            r("{{.N}}|{{.L}}", d.clone()),
            "<no value>|[1 a <nil> map[b:[] z:1]]"
        );
        assert_eq!(
            r("{{.Missing}}|{{.A.B.C}}", d.clone()),
            "<no value>|<no value>"
        );
        assert_eq!(r("{{$}}", json!({"a": 1})), "map[a:1]");
        assert_eq!(r("{{.}}", json!(null)), "<no value>");
        assert_eq!(r("{{.a}}", json!({"a": "lower"})), "lower");
    }

    #[test]
    fn floats_follow_go_percent_v() {
        let d = json!({"A": 1234567.0, "B": 0.0001, "C": 0.00001, "D": 123456.7, "E": 1e100,
                       "F": 1000000.0, "G": 100000.0});
        assert_eq!(
            r("{{.A}} {{.B}} {{.C}} {{.D}} {{.E}} {{.F}} {{.G}}", d),
            "1.234567e+06 0.0001 1e-05 123456.7 1e+100 1e+06 100000"
        );
        assert_eq!(
            r("{{1.0}} {{1e2}} {{.5}} {{-3}} {{0x1F}} {{'a'}}", json!({})),
            "1 100 0.5 -3 31 97"
        );
        assert_eq!(
            r(
                "{{ 1 }}{{ -1 }}{{ +2 }}{{ 0b101 }}{{ 0o17 }}{{ 017 }}{{1_000}}",
                json!({})
            ),
            "1-12515151000"
        );
    }

    #[test]
    fn missing_keys_and_nil_follow_docker_inspect() {
        assert_eq!(
            strict("{{.Nope}}", json!({})).unwrap_err(),
            r#"template: :1:2: executing "" at <.Nope>: map has no entry for key "Nope""#
        );
        // The node of `.A.B` starts at its second field, so Go reports column 4.
        assert_eq!(
            strict("{{.A.B}}", json!({"A": null})).unwrap_err(),
            r#"template: :1:4: executing "" at <.A.B>: nil pointer evaluating interface {}.B"#
        );
        assert_eq!(
            err("{{.A.B}}", json!({"A": null})),
            r#"template: :1:4: executing "" at <.A.B>: nil pointer evaluating interface {}.B"#
        );
        assert_eq!(
            strict("{{.A.B.C}}", json!({})).unwrap_err(),
            r#"template: :1:4: executing "" at <.A.B.C>: map has no entry for key "A""#
        );
        assert_eq!(
            strict(
                "{{range .L}}{{.x}}{{end}}",
                json!({"L": [{"x": 1}, {"y": 1}]})
            )
            .unwrap_err(),
            r#"template: :1:14: executing "" at <.x>: map has no entry for key "x""#
        );
        let e = parse("{{.Nope}}")
            .unwrap()
            .missingkey_error(true)
            .render(&json!({}))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"template parsing error: template: :1:2: executing "" at <.Nope>: map has no entry for key "Nope""#
        );
        assert!(matches!(
            e,
            TemplateError::Exec {
                line: 1,
                col: 2,
                ..
            }
        ));
    }

    #[test]
    fn parse_errors_read_like_go() {
        let e = parse("{{.Foo").unwrap_err();
        assert_eq!(
            e.to_string(),
            "template parsing error: template: :1: unclosed action"
        );
        assert!(matches!(e, TemplateError::Parse { line: 1, .. }));
        let cases = [
            ("line1\n{{.A", "template: :2: unclosed action"),
            (
                "{{if .A}}\n{{end}}\n{{end}}",
                "template: :3: unexpected {{end}}",
            ),
            ("a\n{{foo}}", r#"template: :2: function "foo" not defined"#),
            ("{{$x}}", r#"template: :1: undefined variable "$x""#),
            ("{{}}", "template: :1: missing value for command"),
            ("{{else}}", "template: :1: unexpected {{else}}"),
            ("{{if .A}}x", "template: :1: unexpected EOF"),
            ("{{range}}{{end}}", "template: :1: missing value for range"),
            ("{{with}}{{end}}", "template: :1: missing value for with"),
            (
                "{{.A | \"x\"}}",
                "template: :1: non executable command in pipeline stage 2",
            ),
            ("{{.A}", "template: :1: bad character U+007D '}'"),
            ("{{/* unclosed", "template: :1: unclosed comment"),
            (
                "{{/* c */ }}",
                "template: :1: comment ends before closing delimiter",
            ),
            (
                "{{range $i, $e, $z := .L}}{{end}}",
                "template: :1: too many declarations in range",
            ),
            (
                "{{range $i, 3 := .L}}{{end}}",
                "template: :1: range can only initialize variables",
            ),
            (
                "{{$x := 1 | 2}}",
                "template: :1: non executable command in pipeline stage 2",
            ),
            ("{{.A.}}", "template: :1: unexpected <.> in operand"),
            ("{{3.X}}", r#"template: :1: bad number syntax: "3.X""#),
            (
                "{{99999999999999999999}}",
                r#"template: :1: integer overflow: "99999999999999999999""#,
            ),
            (
                "{{'ab'}}",
                "template: :1: malformed character constant: 'ab'",
            ),
            ("{{\"\\q\"}}", "template: :1: invalid syntax"),
            (
                "{{\"unterminated}}",
                "template: :1: unterminated quoted string",
            ),
            ("{{`raw}}", "template: :1: unterminated raw quoted string"),
            ("{{break}}", "template: :1: {{break}} outside {{range}}"),
            (
                "{{range .L}}{{break 1}}{{end}}",
                r#"template: :1: unexpected "1" in {{break}}"#,
            ),
            (
                "{{if .A}}{{else}}{{else}}{{end}}",
                "template: :1: expected end; found {{else}}",
            ),
            (
                "{{if .A}}{{end x}}",
                r#"template: :1: unexpected "x" in end"#,
            ),
            (
                "{{range $i, $e := .L}}{{$i}}{{end}}{{$i}}",
                r#"template: :1: undefined variable "$i""#,
            ),
        ];
        for (src, want) in cases {
            assert_eq!(parse(src).unwrap_err().go_message(), want, "{src}");
        }
    }

    #[test]
    fn exec_errors_name_the_node() {
        let cases = [
            (
                "{{.Name \"x\"}}",
                json!({"Name": "n"}),
                r#"template: :1:2: executing "" at <.Name>: Name is not a method but has arguments"#,
            ),
            (
                "{{\"x\" \"y\"}}",
                json!({}),
                r#"template: :1:2: executing "" at <"x">: can't give argument to non-function "x""#,
            ),
            (
                "{{nil}}",
                json!({}),
                r#"template: :1:2: executing "" at <nil>: nil is not a command"#,
            ),
            (
                "{{.S.X}}",
                json!({"S": "str"}),
                r#"template: :1:4: executing "" at <.S.X>: can't evaluate field X in type interface {}"#,
            ),
            (
                "{{index .L 5}}",
                json!({"L": ["a"]}),
                r#"template: :1:2: executing "" at <index .L 5>: error calling index: index out of range: 5"#,
            ),
            (
                "{{index .M 1}}",
                json!({"M": {}}),
                r#"template: :1:2: executing "" at <index .M 1>: error calling index: value has type int; should be string"#,
            ),
            (
                "{{range .S}}x{{end}}",
                json!({"S": "str"}),
                r#"template: :1:8: executing "" at <.S>: range can't iterate over str"#,
            ),
            (
                "{{json}}",
                json!({}),
                r#"template: :1:2: executing "" at <json>: wrong number of args for json: want 1 got 0"#,
            ),
            (
                "{{and}}",
                json!({}),
                r#"template: :1:2: executing "" at <and>: wrong number of args for and: want at least 1 got 0"#,
            ),
            (
                "{{pad .S 2}}",
                json!({"S": "x"}),
                r#"template: :1:2: executing "" at <pad>: wrong number of args for pad: want 3 got 2"#,
            ),
            (
                "{{pad \"x\" 1.5 2}}",
                json!({}),
                r#"template: :1:10: executing "" at <1.5>: expected integer; found 1.5"#,
            ),
            (
                "{{pad \"x\" \"1\" 2}}",
                json!({}),
                r#"template: :1:10: executing "" at <"1">: expected integer; found "1""#,
            ),
            (
                "{{upper nil}}",
                json!({}),
                r#"template: :1:8: executing "" at <nil>: cannot assign nil to string"#,
            ),
            (
                "{{upper true}}",
                json!({}),
                r#"template: :1:8: executing "" at <true>: expected string; found true"#,
            ),
            (
                "{{upper .Nope}}",
                json!({}),
                r#"template: :1:8: executing "" at <.Nope>: invalid value; expected string"#,
            ),
            (
                "{{join .L \",\"}}",
                json!({"L": [1, 2]}),
                r#"template: :1:7: executing "" at <.L>: wrong type for value; expected []string; got []interface {}"#,
            ),
            (
                "{{lt .A 3}}",
                json!({"A": "x"}),
                r#"template: :1:2: executing "" at <lt .A 3>: error calling lt: incompatible types for comparison"#,
            ),
            (
                "{{eq .A 3}}",
                json!({"A": "x"}),
                r#"template: :1:2: executing "" at <eq .A 3>: error calling eq: incompatible types for comparison"#,
            ),
            (
                "{{len .N}}",
                json!({"N": null}),
                r#"template: :1:2: executing "" at <len .N>: error calling len: len of nil pointer"#,
            ),
            (
                "{{index .N 0}}",
                json!({"N": null}),
                r#"template: :1:2: executing "" at <index .N 0>: error calling index: index of untyped nil"#,
            ),
            (
                "{{slice .L 2 1}}",
                json!({"L": [1, 2, 3]}),
                r#"template: :1:2: executing "" at <slice .L 2 1>: error calling slice: invalid slice index: 2 > 1"#,
            ),
            (
                "{{$x := 3}}{{$x 1}}",
                json!({}),
                r#"template: :1:13: executing "" at <$x>: can't give argument to non-function $x"#,
            ),
            (
                "{{.A | .B}}",
                json!({"A": 1, "B": 2}),
                r#"template: :1:7: executing "" at <.B>: B is not a method but has arguments"#,
            ),
        ];
        for (src, data, want) in cases {
            assert_eq!(err(src, data), want, "{src}");
        }
    }

    #[test]
    fn json_is_docker_clis_encoder() {
        let d = json!({"a": "<&>", "b": [1, 2.5, null, true], "c": "\u{2028}\t\u{1}\u{8}\u{c}"});
        // SetEscapeHTML(false): < & > stay; U+2028 is still escaped; \b and \f as Go 1.22+.
        assert_eq!(
            r("{{json .}}", d),
            r#"{"a":"<&>","b":[1,2.5,null,true],"c":"\u2028\t\u0001\b\f"}"#
        );
        assert_eq!(r("{{json .X}}", json!({})), "null");
        assert_eq!(
            r(r#"{{json .S}}"#, json!({"S": "he said \"hi\"\\"})),
            r#""he said \"hi\"\\""#
        );
        assert_eq!(
            r(
                "{{json .A}} {{json .B}} {{json .C}} {{json .D}} {{json 1000000.0}}",
                json!({"A": 1e-7, "B": 1.5e300, "C": 0.000001, "D": -0.0})
            ),
            "1e-7 1.5e+300 0.000001 -0 1000000"
        );
        assert_eq!(
            r(
                r#"{{json 1.5}} {{json 100}} {{json nil}} {{json true}} {{json "x"}}"#,
                json!({})
            ),
            r#"1.5 100 null true "x""#
        );
        // Object key order is the caller's (preserve_order), as a Go struct's field order.
        assert_eq!(r("{{json .}}", json!({"z": 1, "a": 2})), r#"{"z":1,"a":2}"#);
    }

    #[test]
    fn range_if_with_and_variables() {
        let d = json!({"L": ["a", "b"], "M": {"b": 1, "a": 2}, "E": [], "S": "str"});
        assert_eq!(r("{{range .L}}[{{.}}]{{end}}", d.clone()), "[a][b]");
        assert_eq!(
            r("{{range $i, $e := .L}}{{$i}}={{$e}} {{end}}", d.clone()),
            "0=a 1=b "
        );
        assert_eq!(
            r("{{range $k, $v := .M}}{{$k}}:{{$v}};{{end}}", d.clone()),
            "a:2;b:1;"
        );
        assert_eq!(r("{{range .M}}{{.}}{{end}}", d.clone()), "21");
        assert_eq!(r("{{range .E}}x{{else}}empty{{end}}", d.clone()), "empty");
        assert_eq!(
            r("{{range .Nope}}x{{else}}empty{{end}}", d.clone()),
            "empty"
        );
        assert_eq!(r("{{range $v := .}}{{$v}}{{end}}", json!(["x", "y"])), "xy");
        assert_eq!(
            r(
                "{{range .L}}{{if eq . \"b\"}}{{continue}}{{end}}{{if eq . \"d\"}}{{break}}{{end}}{{.}}{{end}}",
                json!({"L": ["a", "b", "c", "d", "e"]})
            ),
            "ac"
        );
        // Go 1.22 ranges over an integer.
        assert_eq!(r("{{range 3}}{{.}}{{end}}", json!({})), "012");
        assert_eq!(r("{{if .A}}yes{{else}}no{{end}}", json!({"A": ""})), "no");
        assert_eq!(
            r(
                "{{if .A}}yes{{else if .B}}b{{else}}no{{end}}",
                json!({"A": 0, "B": [1]})
            ),
            "b"
        );
        assert_eq!(
            r(
                "{{with .A}}{{.B}}{{else}}none{{end}}",
                json!({"A": {"B": "in"}})
            ),
            "in"
        );
        assert_eq!(
            r("{{with .A}}{{.B}}{{else}}none{{end}}", json!({"A": {}})),
            "none"
        );
        assert_eq!(
            r(
                "{{with .A}}{{.}}{{end}}|{{with .B}}x{{end}}",
                json!({"A": "a", "B": null})
            ),
            "a|"
        );
        // Go 1.23's {{else with}}.
        assert_eq!(
            r(
                "{{with .A}}a{{else with .B}}{{.}}{{else}}none{{end}}",
                json!({"B": "b"})
            ),
            "b"
        );
        assert_eq!(r("{{with $x := 5}}{{$x}}{{else}}no{{end}}", json!({})), "5");
        assert_eq!(r("{{$x := .A}}{{$x}}-{{$.A}}", json!({"A": "v"})), "v-v");
        assert_eq!(
            r("{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}", json!({})),
            "2"
        );
        assert_eq!(r("{{$x := .A}}{{$x.B}}", json!({"A": {"B": "vb"}})), "vb");
        assert_eq!(r("{{(.A).B}}", json!({"A": {"B": "ok"}})), "ok");
        assert_eq!(
            r("{{(index .L 0).Name}}", json!({"L": [{"Name": "n0"}]})),
            "n0"
        );
        assert_eq!(
            r(
                "{{index .L 0 | printf \"%v!\"}}",
                json!({"L": [{"Name": "n0"}]})
            ),
            "map[Name:n0]!"
        );
    }

    #[test]
    fn trim_markers_and_comments() {
        assert_eq!(r("a  {{- .A -}}  b", json!({"A": "X"})), "aXb");
        assert_eq!(
            r("a\n  {{- .A}}\n  b {{.A -}}\n\n c", json!({"A": "X"})),
            "aX\n  b Xc"
        );
        assert_eq!(r("{{- /* c */ -}}  x", json!({})), "x");
        assert_eq!(r("{{.A -}}  \n {{.B}}", json!({"A": 1, "B": 2})), "12");
        assert_eq!(r("{{ .A  }}|{{.A  -}} |", json!({"A": 1})), "1|1|");
        assert_eq!(r("{{-3}} {{- 3}}", json!({})), "-33");
        assert_eq!(r("{{.A}}{{/* x */}}{{.A}}", json!({"A": "a"})), "aa");
        assert_eq!(r("{{/* a */ -}} b", json!({})), "b");
        assert_eq!(r("line1\n{{.A\n}}", json!({"A": 1})), "line1\n1");
    }

    #[test]
    fn docker_functions() {
        let d = json!({"Name": "heLLo wORLD-x_y", "S": "a,b,,c", "L": ["a", "b", "c"]});
        assert_eq!(
            r(
                "{{.Name | upper}} {{.Name | lower}} {{title .Name}}",
                d.clone()
            ),
            "HELLO WORLD-X_Y hello world-x_y HeLLo WORLD-X_y"
        );
        assert_eq!(
            r("{{title \"hello wOrld foo_bar a-b é\"}}", json!({})),
            "Hello WOrld Foo_bar A-B É"
        );
        assert_eq!(
            r(
                "{{pad .A 2 3}}|{{pad .E 2 3}}|{{pad \"ab\" 0 0}}",
                json!({"A": "ab", "E": ""})
            ),
            "  ab   ||ab"
        );
        assert_eq!(
            r(
                "{{truncate .A 3}}|{{truncate .A 10}}|{{truncate \"abc\" 0}}",
                json!({"A": "abcdef"})
            ),
            "abc|abcdef|"
        );
        assert_eq!(r("{{join .L \", \"}}", d.clone()), "a, b, c");
        assert_eq!(
            r("{{split .S \",\"}} {{split \"abc\" \"\"}}", d.clone()),
            "[a b  c] [a b c]"
        );
        assert_eq!(
            r(
                "{{split \"a b\" \" \" | len}} {{index (split \"a,b\" \",\") 1}} {{join (split \"a,b\" \",\") \"+\"}}",
                json!({})
            ),
            "2 b a+b"
        );
        assert_eq!(
            r("{{range split \"a,b\" \",\"}}<{{.}}>{{end}}", json!({})),
            "<a><b>"
        );
        // Go maps one character to one: ß has no single upper-case form.
        assert_eq!(r("{{upper \"straße\"}}", json!({})), "STRAßE");
    }

    #[test]
    fn go_builtins() {
        let d = json!({"L": ["a", "b"], "M": {"k": "v"}, "S": "héllo", "A": "x", "I": 3});
        assert_eq!(
            r(
                "{{index .L 1}} {{index .M \"k\"}} {{index .M \"nope\"}}",
                d.clone()
            ),
            "b v <no value>"
        );
        assert_eq!(r("{{len .L}} {{len .M}} {{len .S}}", d.clone()), "2 1 6");
        assert_eq!(
            r(
                "{{slice \"abcd\" 1 3}} {{slice .L 1}} {{slice .L}} {{index \"abcd\" 1}}",
                d.clone()
            ),
            "bc [b] [a b] 98"
        );
        // JSON integers are Go ints here (as in Docker's typed structs); Go's decoder would
        // make them float64 and refuse `eq .I 3`.
        assert_eq!(
            r(
                "{{eq .A \"x\"}} {{eq .I 3}} {{ne .I 4}} {{lt .I 4}} {{le .I 3}} {{gt .I 3}} {{ge .I 3}} {{eq .I 1 2 3}}",
                d.clone()
            ),
            "true true true true true false true true"
        );
        assert_eq!(
            r(
                "{{eq .Nope \"x\"}} {{eq .Nope .Nope2}} {{eq nil nil}}",
                d.clone()
            ),
            "false true true"
        );
        assert_eq!(
            r(
                "{{and 1 0 2}} {{and 1 2}} {{or 0 \"\" \"z\"}} {{or 0 \"\"}} {{not .E}} {{not .A}}",
                d.clone()
            ),
            "0 2 z  true false"
        );
        assert_eq!(
            r(
                "{{or .N .N}} {{and .M .E}}",
                json!({"N": null, "M": {"x": 1}, "E": []})
            ),
            "<no value> []"
        );
        assert_eq!(
            r(
                "{{print 1 2 \"a\" \"b\" 3}}|{{println 1 \"a\"}}|",
                json!({})
            ),
            "1 2ab3|1 a\n|"
        );
        assert_eq!(
            r(
                "{{println}}|{{print}}|{{print nil}}|{{print .Nope}}",
                json!({})
            ),
            "\n||<nil>|<nil>"
        );
        assert_eq!(
            r(
                "{{html \"<a href='x'>&\"}} {{urlquery \"a b&c=d/é\"}}",
                json!({})
            ),
            "&lt;a href=&#39;x&#39;&gt;&amp; a+b%26c%3Dd%2F%C3%A9"
        );
        assert_eq!(r("{{js \"a'b\\\"\"}}", json!({})), "a\\'b\\\"");
    }

    #[test]
    fn printf_basics() {
        let d = json!({"S": "x y", "L": [1, "a"], "M": {"a": [1, "x"]}, "F": 1.23456});
        assert_eq!(
            r("{{printf \"%s-%v-%q\" .S .L .S}}", d.clone()),
            "x y-[1 a]-\"x y\""
        );
        assert_eq!(
            r(
                "{{printf \"%5s|%-5s|%05d|%.2f|%x|%X|%t\" \"ab\" \"cd\" 42 3.14159 255 \"hi\" true}}",
                json!({})
            ),
            "   ab|cd   |00042|3.14|ff|6869|true"
        );
        assert_eq!(
            r(
                "{{printf \"%d\" \"str\"}} {{printf \"%s\" 5}} {{printf \"%d\"}} {{printf \"x\" 1}}",
                json!({})
            ),
            "%!d(string=str) %!s(int=5) %!d(MISSING) x%!(EXTRA int=1)"
        );
        assert_eq!(
            r("{{printf \"%v|%s|%d\" nil nil nil}}", json!({})),
            "<nil>|%!s(<nil>)|%!d(<nil>)"
        );
        assert_eq!(
            r("{{.F|printf \"%5.1f|%-6d|%x\"|print}}", d.clone()),
            "  1.2|%!d(MISSING)|%!x(MISSING)"
        );
        assert_eq!(
            r(
                "{{printf \"%08.3f|%+.2e|%g|%G\" 3.14159 12345.678 0.000012345 1e21}}",
                json!({})
            ),
            "0003.142|+1.23e+04|1.2345e-05|1E+21"
        );
        assert_eq!(
            r(
                "{{printf \"%3c|%-4q|%#q|%#x|%X\" 65 \"a\" \"b\" 255 -255}}",
                json!({})
            ),
            "  A|\"a\" |`b`|0xff|-FF"
        );
        assert_eq!(
            r("{{printf \"%s %v\" .M .M}}", d.clone()),
            "map[a:[%!s(int=1) x]] map[a:[1 x]]"
        );
        assert_eq!(r("{{printf \"%%|%c|%q\" 65 65}}", json!({})), "%|A|'A'");
        assert_eq!(
            r(
                "{{\"a\" | printf \"%s%s\" \"b\"}} {{printf \"%s\" | len}}",
                json!({})
            ),
            "ba 12"
        );
    }

    #[test]
    fn strings_literals_unquote_like_go() {
        assert_eq!(
            r(
                "{{\"quoted \\\"s\\\"\\n\"}}|{{`raw\\n`}}|{{\"a\\x41\\u00e9\\101\"}}",
                json!({})
            ),
            "quoted \"s\"\n|raw\\n|aAéA"
        );
    }

    #[test]
    fn table_directive_and_headers() {
        assert!(is_table("table {{.ID}}"));
        assert!(is_table("table{{.ID}}"));
        assert!(!is_table("{{.ID}} table"));
        assert_eq!(prepare("table {{.ID}}\\t{{.Names}}"), "{{.ID}}\t{{.Names}}");
        assert_eq!(prepare("  {{.ID}}\\n "), "{{.ID}}\n");
        assert_eq!(prepare("json"), "{{json .}}");
        let headers = |f: &str| match f {
            "ID" => Some("CONTAINER ID".to_string()),
            "Names" => Some("NAMES".to_string()),
            "Image" => Some("IMAGE".to_string()),
            _ => None,
        };
        assert_eq!(
            table_header("table {{.ID}}\\t{{.Names}}", &headers),
            "CONTAINER ID\tNAMES"
        );
        // HeaderFunctions leave titles alone, except pad.
        assert_eq!(
            table_header(
                "table {{.Names | upper | lower}}\t{{json .ID}}\t{{pad .Image 1 1}}\t{{truncate .ID 2}}\t{{join (split .Names \",\") \" \"}}",
                &headers
            ),
            "NAMES\tCONTAINER ID\t IMAGE \tCONTAINER ID\tNAMES"
        );
        assert_eq!(
            table_header("{{.ID}} {{.Other}}", &headers),
            "CONTAINER ID <no value>"
        );
        let rows = [
            json!({"ID": "0123456789ab", "Image": "busybox"}),
            json!({"ID": "ba9876543210", "Image": "alpine:3.19"}),
        ];
        assert_eq!(
            render_list("table {{.ID}}\\t{{.Image}}", &rows, &headers).unwrap(),
            "CONTAINER ID   IMAGE\n0123456789ab   busybox\nba9876543210   alpine:3.19\n"
        );
        assert_eq!(
            render_list("table {{.ID}}\\t{{.Image}}", &[], &headers).unwrap(),
            "CONTAINER ID   IMAGE\n"
        );
        assert_eq!(
            render_list("{{.Image}}", &rows, &headers).unwrap(),
            "busybox\nalpine:3.19\n"
        );
        assert_eq!(
            render_list("json", &rows[..1], &headers).unwrap(),
            "{\"ID\":\"0123456789ab\",\"Image\":\"busybox\"}\n"
        );
        assert!(render_list("{{.Image", &rows, &headers).is_err());
        assert_eq!(
            render_list("table {{.Nope}}", &rows, &headers)
                .unwrap_err()
                .go_message(),
            r#"template: :1:2: executing "" at <.Nope>: map has no entry for key "Nope""#
        );
        // HeaderFunctions do not replace and/or; they still work in a header.
        assert_eq!(table_header("{{or .Other .ID}}", &headers), "CONTAINER ID");
    }
}
