//! Every byte tooleval writes: standard output (machine output), standard error (people's
//! tables, notes, errors) and files. Secrets are redacted here, once; a reader that went away (a
//! closed pipe) is no error; colour and width follow the terminal.

use std::io::{IsTerminal as _, Write as _};
use std::path::Path;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::files::{write_atomic, write_atomic_with};
use crate::secrets::{has_secrets, redact};

/// `eprint!` through [`Output`]: redacted, and silent on a closed stderr.
#[macro_export]
macro_rules! say {
    ($($t:tt)*) => { $crate::output::stderr(&format!($($t)*)) };
}

/// `eprintln!` through [`Output`]: redacted, and silent on a closed stderr.
#[macro_export]
macro_rules! sayln {
    () => { $crate::output::stderr("\n") };
    ($($t:tt)*) => { $crate::output::stderr(&(format!($($t)*) + "\n")) };
}

/// Writes to stderr, redacted, ignoring failures. The `say!` macros call it from every layer.
pub(crate) fn stderr(text: &str) {
    let _ = std::io::stderr().lock().write_all(redact(text).as_bytes());
}

/// Writes a text file atomically, redacted: for layers below the commands (the response cache),
/// which hold no [`Output`].
pub(crate) fn write_file(path: &Path, text: &str) -> Result<()> {
    write_atomic(path, redact(text).as_bytes())
}

/// Where a command's output goes, and how it is laid out.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Output {
    /// Columns that tables are laid out for.
    pub width: u16,
    /// Whether stderr takes colour (a terminal, and `NO_COLOR` unset).
    pub color: bool,
}

impl Output {
    /// The output of this process: width from `COLUMNS` or the terminal (else 120), colour
    /// when stderr is a terminal and `NO_COLOR` is not set (<https://no-color.org>).
    pub(crate) fn from_env() -> Output {
        let width = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse().ok())
            .or_else(|| console::Term::stderr().size_checked().map(|(_, cols)| cols))
            .unwrap_or(120);
        let color = std::io::stderr().is_terminal()
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        Output { width, color }
    }

    /// Machine output: to stdout.
    pub(crate) fn print(&self, text: &str) {
        let _ = std::io::stdout().lock().write_all(redact(text).as_bytes());
    }

    /// A value as pretty JSON on stdout.
    pub(crate) fn print_json(&self, value: &impl Serialize) {
        self.print(&(to_json(value) + "\n"));
    }

    /// People's output: to stderr.
    pub(crate) fn say(&self, text: &str) {
        stderr(text);
    }

    /// A verdict line (`fail: ...`), in red where the terminal takes colour.
    pub(crate) fn fail(&self, text: &str) {
        let label = if self.color {
            console::style("fail:")
                .red()
                .bold()
                .force_styling(true)
                .to_string()
        } else {
            "fail:".to_owned()
        };
        stderr(&format!("{label} {text}\n"));
    }

    /// A text file, written atomically.
    pub(crate) fn write_file(&self, path: &Path, text: &str) -> Result<()> {
        write_file(path, text)
    }

    /// A value as pretty JSON in a file, written atomically and streamed to disk (never held
    /// whole in memory), with every secret redacted on the way.
    pub(crate) fn write_json(&self, path: &Path, value: &impl Serialize) -> Result<()> {
        write_atomic_with(path, |w| {
            if has_secrets() {
                let mut r = crate::secrets::Redacting::new(&mut *w);
                serde_json::to_writer_pretty(&mut r, value).map_err(std::io::Error::other)?;
                r.write_all(b"\n")?;
                return r.finish();
            }
            serde_json::to_writer_pretty(&mut *w, value).map_err(std::io::Error::other)?;
            w.write_all(b"\n")
        })
    }

    /// Appends to a file that others append to as well (a CI job summary).
    pub(crate) fn append_file(&self, path: &Path, text: &str) -> Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| Error::io("open", path, e))?;
        f.write_all(redact(text).as_bytes())
            .map_err(|e| Error::io("append to", path, e))
    }
}

fn to_json(value: &impl Serialize) -> String {
    // Every value written is built from plain data: maps with string keys, numbers, strings.
    serde_json::to_string_pretty(value).expect("plain data serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_redacted_whether_streamed_or_not() {
        let dir = tempfile::tempdir().unwrap();
        let out = Output {
            width: 80,
            color: false,
        };
        crate::secrets::register_secret("TOOLEVAL_OUTPUT_TEST", "sk-output-test-secret");
        let p = dir.path().join("a.json");
        out.write_json(&p, &serde_json::json!({"key": "sk-output-test-secret"}))
            .unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains("${TOOLEVAL_OUTPUT_TEST}"), "{text}");
        let p = dir.path().join("b.svg");
        out.write_file(&p, "<svg>sk-output-test-secret</svg>")
            .unwrap();
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            "<svg>${TOOLEVAL_OUTPUT_TEST}</svg>"
        );
        out.append_file(&p, "+sk-output-test-secret").unwrap();
        assert!(
            !std::fs::read_to_string(&p)
                .unwrap()
                .contains("sk-output-test-secret")
        );
    }
}
