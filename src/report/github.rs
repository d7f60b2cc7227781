//! GitHub Actions workflow commands: an annotation at each failing task's line.

use std::path::Path;

use super::Report;
use crate::config::{self, normalize};
use crate::score::TaskState;

/// GitHub Actions annotations (`::error file=...,line=...::`) at each failing task's line. The
/// suite files are read for the lines; paths are shown relative to the current folder (the
/// checkout, where CI runs).
pub fn render_annotations(r: &Report) -> String {
    let mut lines = String::new();
    for suite in &r.suites {
        let path = normalize(Path::new(&suite.path));
        // Annotations name files relative to the checkout, which is where CI runs.
        let shown = std::env::current_dir()
            .ok()
            .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
            .unwrap_or_else(|| path.clone());
        let loaded = config::load_suite(&path).ok();
        let index: std::collections::HashMap<&str, usize> = loaded
            .iter()
            .flat_map(|s| s.suite.tasks.iter().enumerate())
            .map(|(i, task)| (task.id.as_str(), i))
            .collect();
        for t in r.summary.tasks.iter().filter(|t| t.suite == suite.name) {
            if !matches!(t.state(), TaskState::Fail | TaskState::Flaky) {
                continue;
            }
            let line = loaded
                .as_ref()
                .and_then(|s| {
                    let i = *index.get(t.id.as_str())?;
                    s.place_in_task(i, &[config::Seg::Key("id")])
                })
                .map_or(1, |(l, _)| l);
            let msg = format!(
                "{}/{} trials passed; {}",
                t.passes,
                t.scored(),
                t.failure.clone().unwrap_or_default()
            );
            lines.push_str(&format!(
                "::error file={},line={line},title={}::{}\n",
                escape_property(&shown.display().to_string()),
                escape_property(&format!("tooleval: {}", t.id)),
                escape_data(&msg)
            ));
        }
    }
    lines
}

/// Escapes a workflow command's message (`%` and line breaks).
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value (also `:` and `,`).
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_workflow_command_data() {
        assert_eq!(escape_data("50%: a,b\nc"), "50%25: a,b%0Ac");
        assert_eq!(escape_property("tooleval: a,b"), "tooleval%3A a%2Cb");
    }
}
