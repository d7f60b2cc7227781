//! A file as read, for pointing diagnostics at its places, and the `${VAR}` values in it read
//! from the environment.

use std::path::Path;

use super::located::{Places, Seg};
use crate::error::Diagnostic;

/// A file as read, for pointing diagnostics at its places.
pub(super) struct Document<'a> {
    pub(super) path: &'a Path,
    pub(super) source: &'a str,
    pub(super) places: Places,
}

impl Document<'_> {
    pub(super) fn new<'a>(path: &'a Path, source: &'a str) -> Document<'a> {
        Document {
            path,
            source,
            places: Places::parse(source),
        }
    }

    /// A diagnostic at the value at `at`: for a value that is wrong.
    pub(super) fn value(&self, message: impl Into<String>, at: &[Seg]) -> Diagnostic {
        let d = Diagnostic::new(self.path, message);
        self.places.at_value(d, self.source, at)
    }

    /// A diagnostic at the key at `at`: for an entry that is wrong as a whole.
    pub(super) fn key(&self, message: impl Into<String>, at: &[Seg]) -> Diagnostic {
        let d = Diagnostic::new(self.path, message);
        self.places.at_key(d, self.source, at)
    }
}

/// Replaces every `${VAR}` with the variable's value; a missing variable is a diagnostic at the
/// value `at` that holds it.
pub(super) fn expand_env(
    value: &str,
    doc: &Document,
    at: &[Seg],
    diags: &mut Vec<Diagnostic>,
) -> String {
    let re = regex::Regex::new(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}").expect("a valid regex");
    re.replace_all(value, |caps: &regex::Captures| {
        let var = &caps[1];
        match std::env::var(var) {
            Ok(v) => {
                crate::secrets::register_secret(var, &v);
                v
            }
            Err(_) => {
                diags.push(
                    doc.value(format!("environment variable `{var}` is not set"), at)
                        .with_hint(format!(
                            "export {var}=... before running, or remove `${{{var}}}` from the file"
                        )),
                );
                String::new()
            }
        }
    })
    .into_owned()
}
