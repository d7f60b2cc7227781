//! The error type of the whole program, its exit codes, and how errors are shown to people.

use std::fmt::Write as _;
use std::path::PathBuf;

/// Exit codes, the one place they are named. The README lists them too.
pub mod exit {
    /// The command finished and nothing it checks failed.
    pub const OK: i32 = 0;
    /// The run finished but a gate condition held (`--fail-on`: below `min_accuracy`, a
    /// regression, a tool under its floor, a failing critical task, over the token budget).
    pub const GATE_FAILED: i32 = 1;
    /// `tooleval lint` found at least one finding of severity error.
    pub const LINT_FAILED: i32 = 1;
    /// A usage error or a broken eval or suite file.
    pub const USAGE: i32 = 2;
    /// Infrastructure failed: a server or the model could not be reached or answered garbage.
    pub const INFRASTRUCTURE: i32 = 3;
    /// Interrupted by Ctrl-C (SIGINT); a partial report was written.
    pub const INTERRUPTED: i32 = 130;
    /// Stopped by SIGTERM (`timeout`, a cancelled CI job, a stopping container); a partial
    /// report was written.
    pub const TERMINATED: i32 = 143;
}

/// One problem found in an input file, pointing at the place.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub file: PathBuf,
    /// 1-based line and column, when the place is known.
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
    pub hint: Option<String>,
    /// The offending source line, shown with a caret under the column.
    pub source_line: Option<String>,
}

impl Diagnostic {
    pub fn new(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Diagnostic {
            file: file.into(),
            line: None,
            column: None,
            message: message.into(),
            hint: None,
            source_line: None,
        }
    }

    /// Points the diagnostic at a 1-based line and column of `source`.
    pub fn at(mut self, source: &str, line: usize, column: usize) -> Self {
        // The parser may place an error at the end of the input, one line past the last.
        let lines = source.lines().count().max(1);
        let (line, column) = if line > lines {
            (
                lines,
                source.lines().last().map_or(0, |l| l.chars().count()) + 1,
            )
        } else {
            (line, column)
        };
        self.line = Some(line);
        self.column = Some(column);
        self.source_line = source
            .lines()
            .nth(line.saturating_sub(1))
            .map(str::to_owned);
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    fn render(&self, out: &mut String) {
        let place = match (self.line, self.column) {
            (Some(l), Some(c)) => format!("{}:{l}:{c}", self.file.display()),
            (Some(l), None) => format!("{}:{l}", self.file.display()),
            _ => self.file.display().to_string(),
        };
        let _ = writeln!(out, "error: {place}: {}", self.message);
        if let (Some(line), Some(col), Some(text)) = (self.line, self.column, &self.source_line) {
            let gutter = line.to_string();
            let pad = " ".repeat(gutter.len());
            let _ = writeln!(out, " {pad} |");
            let _ = writeln!(out, " {gutter} | {text}");
            let caret_pad: String = text
                .chars()
                .take(col.saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            let _ = writeln!(out, " {pad} | {caret_pad}^");
        }
        if let Some(hint) = &self.hint {
            let _ = writeln!(out, "hint: {hint}");
        }
    }
}

/// Everything that can stop tooleval. A failing task is not an error: it is a result.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// One or more problems in eval or suite files; all of them are reported at once.
    #[error("{} problem(s) in the input files", .0.len())]
    Input(Vec<Diagnostic>),
    #[error("{message}")]
    Usage {
        message: String,
        hint: Option<String>,
    },
    #[error("server `{server}`: {message}")]
    Server {
        server: String,
        message: String,
        /// The last lines the server wrote to stderr, if any.
        stderr: Vec<String>,
        hint: Option<String>,
    },
    #[error("model: {message}")]
    Model {
        message: String,
        hint: Option<String>,
    },
    /// Several problems found at once (each model of a matrix that cannot be set up), each
    /// shown with its hint.
    #[error("{} problems", .0.len())]
    Several(Vec<Error>),
    #[error("cannot {action} `{}`", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    pub fn usage(message: impl Into<String>, hint: impl Into<Option<String>>) -> Self {
        Error::Usage {
            message: message.into(),
            hint: hint.into(),
        }
    }

    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }

    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Input(_) | Error::Usage { .. } | Error::Io { .. } => exit::USAGE,
            Error::Server { .. } | Error::Model { .. } => exit::INFRASTRUCTURE,
            Error::Several(errors) => errors
                .iter()
                .map(Error::exit_code)
                .max()
                .unwrap_or(exit::USAGE),
        }
    }

    /// One error for all of `errors`: the error itself when there is one.
    pub fn all(mut errors: Vec<Error>) -> Option<Error> {
        match errors.len() {
            0 => None,
            1 => errors.pop(),
            _ => Some(Error::Several(errors)),
        }
    }

    /// Renders the error for a person: `error: ...`, the causes, the server's stderr and a hint.
    pub fn render(&self) -> String {
        let mut out = String::new();
        match self {
            Error::Input(diags) => {
                for d in diags {
                    d.render(&mut out);
                }
                if diags.len() > 1 {
                    let _ = writeln!(out, "error: {} problems found", diags.len());
                }
            }
            Error::Several(errors) => {
                for e in errors {
                    out.push_str(&e.render());
                }
                let _ = writeln!(out, "error: {} problems found", errors.len());
            }
            other => {
                let _ = writeln!(out, "error: {other}");
                let mut source = std::error::Error::source(other);
                while let Some(cause) = source {
                    let _ = writeln!(out, "  caused by: {cause}");
                    source = cause.source();
                }
                if let Error::Server { stderr, .. } = other
                    && !stderr.is_empty()
                {
                    let _ = writeln!(out, "  last lines of the server's stderr:");
                    for line in stderr {
                        let _ = writeln!(out, "  | {line}");
                    }
                }
                let hint = match other {
                    Error::Usage { hint, .. }
                    | Error::Server { hint, .. }
                    | Error::Model { hint, .. } => hint.clone(),
                    _ => None,
                };
                if let Some(hint) = hint {
                    let _ = writeln!(out, "hint: {hint}");
                }
            }
        }
        out
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// "did you mean" for a name among candidates: the closest by edit distance, if close enough.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = edit_distance(&name.to_lowercase(), &c.to_lowercase());
        let limit = (name.len().max(c.len()) / 3).max(2);
        let contains = c.contains(name) || name.contains(c);
        if (d <= limit || contains) && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names() {
        let tools = ["search_logs", "tail_logs", "get_metric"];
        assert_eq!(did_you_mean("serch_logs", tools), Some("search_logs"));
        assert_eq!(did_you_mean("get_metrics", tools), Some("get_metric"));
        assert_eq!(did_you_mean("restart_database", tools), None);
    }

    #[test]
    fn diagnostic_renders_place_and_caret() {
        let src = "a: 1\nbad: [\n";
        let d = Diagnostic::new("s.yaml", "unexpected end")
            .at(src, 2, 6)
            .with_hint("close the list");
        let mut out = String::new();
        d.render(&mut out);
        assert!(
            out.starts_with("error: s.yaml:2:6: unexpected end\n"),
            "{out}"
        );
        assert!(out.contains(" 2 | bad: [\n"), "{out}");
        assert!(out.contains("   |      ^\n"), "{out}");
        assert!(out.ends_with("hint: close the list\n"), "{out}");
    }
}
