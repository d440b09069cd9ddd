//! Every learner-facing string of the lab runner, in Russian and English.
//!
//! The language follows gettext's rule: the first of `LC_ALL`, `LC_MESSAGES`, `LANG` that is
//! set and non-empty decides; Russian when it starts with `ru`, English otherwise. Commands
//! run inside a lab always get `LANG=C`, so only these messages change with the language.

use std::time::Duration;

/// The language of the runner's own messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    En,
    Ru,
}

impl Lang {
    /// From the environment, as gettext picks the message locale.
    pub fn from_env() -> Lang {
        Self::from_vars(|k| std::env::var(k).ok())
    }

    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Lang {
        for key in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            if let Some(v) = get(key).filter(|v| !v.is_empty()) {
                return if v.starts_with("ru") {
                    Lang::Ru
                } else {
                    Lang::En
                };
            }
        }
        Lang::En
    }

    fn pick<'a>(self, en: &'a str, ru: &'a str) -> &'a str {
        match self {
            Lang::En => en,
            Lang::Ru => ru,
        }
    }
}

/// What is wrong with a lab file; rendered by [`Lang::problem`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    NoFrontMatter,
    UnclosedFrontMatter,
    FrontMatterToml(String),
    EmptyField(&'static str),
    BadTimeout(String),
    UnknownAttribute(String),
    ConflictingAttributes(String),
    OutputBeforeCommand,
    EmptyCommand,
    BadExitCode(String),
    ExitCodeNotLast,
    InteractiveCommands(usize),
    CommandOutsideStep,
    StepWithoutCommands(String),
    NoSteps,
    UnknownPlaceholder(String),
    BadCaptureName(String),
    CaptureUsedBeforeSet(String),
    CaptureInSetup(String),
}

impl Lang {
    /// One sentence saying what is wrong and how to fix it.
    pub fn problem(self, p: &Problem) -> String {
        use Problem::*;
        match (self, p) {
            (Lang::En, NoFrontMatter) => {
                "the lab must start with TOML front matter between `+++` lines (id, title)".into()
            }
            (Lang::Ru, NoFrontMatter) => {
                "лабораторная должна начинаться с заголовка TOML между строками `+++` (id, title)"
                    .into()
            }
            (Lang::En, UnclosedFrontMatter) => {
                "the front matter is not closed: add a `+++` line after it".into()
            }
            (Lang::Ru, UnclosedFrontMatter) => {
                "заголовок TOML не закрыт: добавьте после него строку `+++`".into()
            }
            (Lang::En, FrontMatterToml(e)) => format!("the front matter is not valid: {e}"),
            (Lang::Ru, FrontMatterToml(e)) => format!("ошибка в заголовке TOML: {e}"),
            (Lang::En, EmptyField(f)) => format!("the front matter field `{f}` must not be empty"),
            (Lang::Ru, EmptyField(f)) => format!("поле `{f}` в заголовке не должно быть пустым"),
            (Lang::En, BadTimeout(t)) => {
                format!("timeout `{t}` is not a duration: write e.g. \"30s\", \"2m\" or \"500ms\"")
            }
            (Lang::Ru, BadTimeout(t)) => format!(
                "timeout `{t}` не является длительностью: пишите, например, \"30s\", \"2m\" или \"500ms\""
            ),
            (Lang::En, UnknownAttribute(a)) => format!(
                "unknown console block attribute `{a}`: use ignore, setup, check or interactive"
            ),
            (Lang::Ru, UnknownAttribute(a)) => format!(
                "неизвестный атрибут блока console `{a}`: допустимы ignore, setup, check, interactive"
            ),
            (Lang::En, ConflictingAttributes(a)) => {
                format!("console block attributes `{a}` cannot be combined")
            }
            (Lang::Ru, ConflictingAttributes(a)) => {
                format!("атрибуты блока console `{a}` нельзя сочетать")
            }
            (Lang::En, OutputBeforeCommand) => {
                "expected output before any command: a console block starts with a `$ ` line".into()
            }
            (Lang::Ru, OutputBeforeCommand) => {
                "ожидаемый вывод стоит раньше команды: блок console начинается со строки `$ `"
                    .into()
            }
            (Lang::En, EmptyCommand) => "the `$ ` line has no command".into(),
            (Lang::Ru, EmptyCommand) => "в строке `$ ` нет команды".into(),
            (Lang::En, BadExitCode(c)) => {
                format!("`? {c}` is not an exit status: write a number from 0 to 255")
            }
            (Lang::Ru, BadExitCode(c)) => {
                format!("`? {c}` не код завершения: укажите число от 0 до 255")
            }
            (Lang::En, ExitCodeNotLast) => {
                "the `? CODE` line must be the last line of a command's output".into()
            }
            (Lang::Ru, ExitCodeNotLast) => {
                "строка `? КОД` должна быть последней строкой вывода команды".into()
            }
            (Lang::En, InteractiveCommands(n)) => {
                format!("an interactive block holds exactly one `$ ` command, found {n}")
            }
            (Lang::Ru, InteractiveCommands(n)) => {
                format!("интерактивный блок содержит ровно одну команду `$ `, найдено {n}")
            }
            (Lang::En, CommandOutsideStep) => {
                "commands before the first `##` step heading: put them in a step".into()
            }
            (Lang::Ru, CommandOutsideStep) => {
                "команды до первого заголовка шага `##`: перенесите их в шаг".into()
            }
            (Lang::En, StepWithoutCommands(t)) => {
                format!("step \"{t}\" has nothing to run or check: add a console block")
            }
            (Lang::Ru, StepWithoutCommands(t)) => {
                format!("в шаге «{t}» нечего выполнять или проверять: добавьте блок console")
            }
            (Lang::En, NoSteps) => "the lab has no steps: each `##` heading starts one".into(),
            (Lang::Ru, NoSteps) => {
                "в лабораторной нет шагов: каждый заголовок `##` начинает шаг".into()
            }
            (Lang::En, UnknownPlaceholder(p)) => format!(
                "unknown placeholder `{p}`: use ID, DIGEST, NAME, AGO, UP, IP, SIZE or PORT"
            ),
            (Lang::Ru, UnknownPlaceholder(p)) => format!(
                "неизвестная подстановка `{p}`: допустимы ID, DIGEST, NAME, AGO, UP, IP, SIZE, PORT"
            ),
            (Lang::En, BadCaptureName(n)) => format!(
                "capture name `{n}` must be lowercase letters, digits and `_`, starting with a letter"
            ),
            (Lang::Ru, BadCaptureName(n)) => format!(
                "имя захвата `{n}` должно состоять из строчных латинских букв, цифр и `_` и начинаться с буквы"
            ),
            (Lang::En, CaptureUsedBeforeSet(n)) => {
                format!("`${{{n}}}` is used before any output captures it with `[KIND:{n}]`")
            }
            (Lang::Ru, CaptureUsedBeforeSet(n)) => format!(
                "`${{{n}}}` используется раньше, чем вывод захватывает его через `[KIND:{n}]`"
            ),
            (Lang::En, CaptureInSetup(n)) => format!(
                "capture `{n}` is in a setup block, whose output is not checked: use a plain console block"
            ),
            (Lang::Ru, CaptureInSetup(n)) => format!(
                "захват `{n}` стоит в блоке setup, вывод которого не проверяется: используйте обычный блок console"
            ),
        }
    }

    pub fn error(self) -> &'static str {
        self.pick("error", "ошибка")
    }

    pub fn line(self) -> &'static str {
        self.pick("line", "строка")
    }

    pub fn step_of(self, i: usize, n: usize) -> String {
        match self {
            Lang::En => format!("step {i} of {n}"),
            Lang::Ru => format!("шаг {i} из {n}"),
        }
    }

    pub fn lab_header(self, id: &str, title: &str, steps: usize) -> String {
        match self {
            Lang::En => format!("Lab {id}: {title} ({steps} steps)"),
            Lang::Ru => format!("Лабораторная {id}: {title} (шагов: {steps})"),
        }
    }

    pub fn preparing_image(self, image: &str) -> String {
        match self {
            Lang::En => format!("preparing image {image}"),
            Lang::Ru => format!("подготовка образа {image}"),
        }
    }

    pub fn image_failed(self, image: &str, code: Option<i32>) -> String {
        let code = code.map(|c| c.to_string()).unwrap_or_else(|| "-".into());
        match self {
            Lang::En => format!(
                "Could not prepare image {image}: `docker pull {image}` failed (exit status {code}). Check the image name in the lab's front matter."
            ),
            Lang::Ru => format!(
                "Не удалось подготовить образ {image}: `docker pull {image}` завершилась с ошибкой (код {code}). Проверьте имя образа в заголовке лабораторной."
            ),
        }
    }

    pub fn command(self) -> &'static str {
        self.pick("command", "команда")
    }

    pub fn failure(
        self,
        kind: FailureKind,
        expected_code: i32,
        code: Option<i32>,
        timeout: Duration,
    ) -> String {
        let code = code.map(|c| c.to_string()).unwrap_or_else(|| "-".into());
        match (self, kind) {
            (Lang::En, FailureKind::WrongExitCode) => {
                format!("wrong exit code: expected {expected_code}, got {code}")
            }
            (Lang::Ru, FailureKind::WrongExitCode) => {
                format!("неверный код завершения: ожидался {expected_code}, получен {code}")
            }
            (Lang::En, FailureKind::MissingLine) => {
                "missing line: the output lacks expected lines".into()
            }
            (Lang::Ru, FailureKind::MissingLine) => {
                "не хватает строк: в выводе нет ожидаемых строк".into()
            }
            (Lang::En, FailureKind::UnexpectedLine) => {
                "unexpected line: the output has lines that were not expected".into()
            }
            (Lang::Ru, FailureKind::UnexpectedLine) => {
                "лишняя строка: в выводе есть неожиданные строки".into()
            }
            (Lang::En, FailureKind::ChangedLine) => {
                "different line: the output differs from the expected one".into()
            }
            (Lang::Ru, FailureKind::ChangedLine) => {
                "строка отличается: вывод не совпадает с ожидаемым".into()
            }
            (Lang::En, FailureKind::Timeout) => {
                format!("timeout: the command did not finish in {}", human(timeout))
            }
            (Lang::Ru, FailureKind::Timeout) => format!(
                "превышено время: команда не завершилась за {}",
                human(timeout)
            ),
            (Lang::En, FailureKind::Error) => "the command could not be run".into(),
            (Lang::Ru, FailureKind::Error) => "команду не удалось запустить".into(),
            (Lang::En, FailureKind::Interrupted) => "interrupted".into(),
            (Lang::Ru, FailureKind::Interrupted) => "прервано".into(),
        }
    }

    pub fn diff_legend(self) -> &'static str {
        self.pick("--- expected / +++ actual", "--- ожидалось / +++ получено")
    }

    pub fn output_was(self) -> &'static str {
        self.pick("output:", "вывод:")
    }

    pub fn step_skipped(self) -> &'static str {
        self.pick(
            "skipped: an earlier step failed (use --keep-going to run it)",
            "пропущен: предыдущий шаг не прошёл (запустите с --keep-going, чтобы выполнить)",
        )
    }

    pub fn summary(self, passed: usize, total: usize, elapsed: Duration) -> String {
        let t = human(elapsed);
        match self {
            Lang::En => format!("{passed} of {total} steps passed in {t}"),
            Lang::Ru => format!("пройдено шагов: {passed} из {total} за {t}"),
        }
    }

    pub fn interrupted(self) -> &'static str {
        self.pick(
            "Interrupted: the lab was stopped and its sandbox removed.",
            "Прервано: лабораторная остановлена, её песочница удалена.",
        )
    }

    pub fn lab_not_found(self, what: &str, dir: &str) -> String {
        match self {
            Lang::En => format!(
                "No lab \"{what}\": it is neither a file nor a lab id in {dir}. Run `docklab lab list` to see the labs."
            ),
            Lang::Ru => format!(
                "Лабораторная «{what}» не найдена: это не файл и не id лабораторной в {dir}. Список: `docklab lab list`."
            ),
        }
    }

    pub fn no_labs_given(self) -> &'static str {
        self.pick(
            "Name a lab (a path or an id) or pass --all.",
            "Укажите лабораторную (путь или id) или --all.",
        )
    }

    pub fn labs_valid(self, n: usize) -> String {
        match self {
            Lang::En => format!("{n} lab(s) valid"),
            Lang::Ru => format!("лабораторных без ошибок: {n}"),
        }
    }

    pub fn list_header(self) -> [&'static str; 3] {
        match self {
            Lang::En => ["ID", "STEPS", "TITLE"],
            Lang::Ru => ["ID", "ШАГОВ", "НАЗВАНИЕ"],
        }
    }

    pub fn sandbox_failed(self) -> &'static str {
        self.pick(
            "Could not create the lab sandbox (a network namespace needs root).",
            "Не удалось создать песочницу лабораторной (для сетевого пространства имён нужны права root).",
        )
    }
}

/// Why a command did not pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    WrongExitCode,
    MissingLine,
    UnexpectedLine,
    ChangedLine,
    Timeout,
    Error,
    Interrupted,
}

/// `0.3s`, `12.0s`, `1m05s`: elapsed times in progress lines.
pub fn human(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 60.0 {
        format!("{s:.1}s")
    } else {
        format!("{}m{:02}s", d.as_secs() / 60, d.as_secs() % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lang(vars: &[(&str, &str)]) -> Lang {
        Lang::from_vars(|k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn first_set_variable_wins_like_gettext() {
        assert_eq!(lang(&[]), Lang::En);
        assert_eq!(lang(&[("LANG", "ru_RU.UTF-8")]), Lang::Ru);
        assert_eq!(lang(&[("LANG", "en_US.UTF-8")]), Lang::En);
        assert_eq!(lang(&[("LANG", "ru_RU.UTF-8"), ("LC_ALL", "C")]), Lang::En);
        assert_eq!(lang(&[("LANG", "C"), ("LC_MESSAGES", "ru_RU")]), Lang::Ru);
        assert_eq!(lang(&[("LANG", "ru"), ("LC_ALL", "")]), Lang::Ru);
    }

    #[test]
    fn both_languages_differ() {
        let p = Problem::EmptyCommand;
        assert_ne!(Lang::En.problem(&p), Lang::Ru.problem(&p));
        assert_eq!(Lang::Ru.step_of(2, 5), "шаг 2 из 5");
        assert_eq!(Lang::En.step_of(2, 5), "step 2 of 5");
    }
}
