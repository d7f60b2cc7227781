//! Reading a YAML file into a type with serde-saphyr, and every parse error turned into a
//! diagnostic at its place, with a hint.

use std::path::Path;

use serde::de::DeserializeOwned;

use super::located::{Place, Places};
use crate::error::{Diagnostic, Error, Result, did_you_mean};

/// Reads a YAML file into `T`, turning a parse error into a diagnostic at its place.
///
/// Streaming: the text goes straight into `T` without a tree of events or values in between, so
/// a suite of 100,000 tasks costs little more than the tasks themselves. The diagnostics are made
/// from serde-saphyr's messages. A key given twice in one mapping is an error (typed maps would
/// otherwise keep the last silently).
pub fn parse_yaml<T: DeserializeOwned>(path: &Path, source: &str) -> Result<T> {
    // A file of nothing but comments reads as an empty mapping, so the error names the field it
    // lacks.
    let text = if has_content(source) { source } else { "{}" };
    serde_saphyr::from_str_with_options(text, yaml_options())
        .map_err(|e| Error::Input(vec![yaml_diagnostic(path, source, &e)]))
}

/// How every YAML file is read.
pub(crate) fn yaml_options() -> serde_saphyr::Options {
    // The size limits are for untrusted streams; these are the user's own files, and a generated
    // suite may hold millions of nodes. Aliases keep their limits (no "billion laughs").
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_events: usize::MAX,
            max_nodes: usize::MAX,
            max_total_scalar_bytes: usize::MAX,
        },
        // YAML 1.2: `y`, `no` and `on` are text, as a prompt or an argument may well be.
        strict_booleans: true,
        // Untyped values (arguments) keep `007` and `1_000` as written, as text.
        leading_zero_numbers_as_strings: true,
        underscored_numbers_as_strings: true,
        // The diagnostic shows the line itself.
        with_snippet: false,
    }
}

fn yaml_diagnostic(path: &Path, source: &str, e: &serde_saphyr::Error) -> Diagnostic {
    use serde_saphyr::Error as E;
    let e = e.without_snippet();
    // An error without a place points at the first line rather than none.
    let place = e
        .location()
        .filter(|l| l.line() > 0)
        .map(|l| (l.line() as usize, l.column().max(1) as usize));
    let syntax = matches!(e, E::ExternalMessage { .. } | E::Eof { .. });
    let (message, (line, column)) = match e {
        _ if syntax => syntax_error(source, e, place.unwrap_or((1, 1))),
        E::MultipleDocuments { .. } => (
            "the file holds more than one document".to_owned(),
            (separator_line(source), 1),
        ),
        _ => match place {
            Some(at) => value_error(source, e, at),
            None => (yaml_message(e), (1, 1)),
        },
    };
    let message = plain_types(&message);
    let hint = if syntax {
        Some(SYNTAX_HINT.to_owned())
    } else {
        yaml_hint(&message)
    };
    let d = Diagnostic::new(path, message).at(source, line, column);
    match hint {
        Some(h) => d.with_hint(h),
        None => d,
    }
}

/// A syntax error's message and place. The scanner reports a tab where the value it was
/// reading began; the tab is on a later line's indent.
fn syntax_error(source: &str, e: &serde_saphyr::Error, at: Place) -> (String, Place) {
    let message = yaml_message(e);
    let tab = message.contains("found a tab").then(|| {
        source
            .lines()
            .enumerate()
            .skip(at.0.saturating_sub(1))
            .find(|(_, l)| l.trim_start_matches(' ').starts_with('\t'))
            .map(|(i, _)| (i + 1, 1))
    });
    (message, tab.flatten().unwrap_or(at))
}

/// The line of the first `---` or `...` after the first line: where a second document begins.
fn separator_line(source: &str) -> usize {
    source
        .lines()
        .enumerate()
        .skip(1)
        .find(|(_, l)| l.starts_with("---") || l.starts_with("..."))
        .map_or(1, |(i, _)| i + 1)
}

/// A value that does not fit, placed and named by where it is in the document (read again only
/// now that there is an error): `tasks[2].expect: invalid type: ...` at the value, not its key;
/// an unknown or repeated key at the key, named by the mapping that holds it; a missing field
/// at the mapping that lacks it.
fn value_error(source: &str, e: &serde_saphyr::Error, at: Place) -> (String, Place) {
    use serde_saphyr::Error as E;
    let places = Places::parse(source);
    let on_key = matches!(
        e,
        E::SerdeUnknownField { .. } | E::DuplicateMappingKey { .. }
    );
    let spot = match e {
        E::SerdeMissingField { field, .. } => places.lacking(at, field),
        _ => None,
    }
    .unwrap_or_else(|| places.spot(at, !on_key));
    let message = match (e, found_text(source, &spot)) {
        (E::Unexpected { expected, .. }, Some(found)) => {
            let expected = match expected.trim_end_matches(" start") {
                "mapping" => "map",
                other => other,
            };
            format!("invalid type: {found}, expected a {expected}")
        }
        (E::InvalidScalar { ty, .. }, Some(found)) => {
            let ty = match *ty {
                "floating point" => "f64",
                "boolean" | "bool" => "a boolean",
                other => other,
            };
            format!("invalid type: {found}, expected {ty}")
        }
        _ => yaml_message(e),
    };
    let message = if spot.path.is_empty() {
        message
    } else {
        format!("{}: {message}", spot.path)
    };
    (message, if on_key { at } else { spot.at })
}

const SYNTAX_HINT: &str = "this is a YAML syntax error: indent with spaces (not tabs), close every quote and bracket, and quote values that contain `: `";

/// Whether `source` holds anything besides blank lines and comments.
pub(super) fn has_content(source: &str) -> bool {
    source
        .lines()
        .map(str::trim)
        .any(|l| !l.is_empty() && !l.starts_with('#') && l != "---" && l != "...")
}

/// The node at `spot` as serde names what it found: `map`, `sequence`, or a scalar as
/// `string "text"`; `None` when nothing is there.
fn found_text(source: &str, spot: &super::located::Spot) -> Option<String> {
    use super::located::Found;
    match spot.found {
        Found::Nothing => None,
        Found::Mapping => Some("map".into()),
        Found::Sequence => Some("sequence".into()),
        Found::Scalar => {
            let line = source.lines().nth(spot.at.0.checked_sub(1)?)?;
            let rest: String = line.chars().skip(spot.at.1.saturating_sub(1)).collect();
            let text = match rest.chars().next() {
                Some(q @ ('"' | '\'')) => rest[1..].split(q).next().unwrap_or_default(),
                _ => rest
                    .split([',', '}', ']', '#'])
                    .next()
                    .unwrap_or_default()
                    .trim(),
            };
            Some(format!("string \"{text}\""))
        }
    }
}

/// The message of a YAML error without its place, worded as serde words it (fields and
/// variants in backticks, which the hints read).
fn yaml_message(e: &serde_saphyr::Error) -> String {
    use serde_saphyr::{Error as E, MessageFormatter as _};
    let one_of = |expected: &[&str]| match expected {
        [] => "there are none".to_owned(),
        [one] => format!("expected `{one}`"),
        [a, b] => format!("expected `{a}` or `{b}`"),
        many => format!("expected one of `{}`", many.join("`, `")),
    };
    let text = match e {
        E::SerdeUnknownField {
            field, expected, ..
        } => format!("unknown field `{field}`, {}", one_of(expected)),
        E::SerdeUnknownVariant {
            variant, expected, ..
        } => format!("unknown variant `{variant}`, {}", one_of(expected)),
        E::DuplicateMappingKey { key: Some(k), .. } => format!("duplicate entry with key \"{k}\""),
        E::DuplicateMappingKey { key: None, .. } => "duplicate entry".to_owned(),
        _ => serde_saphyr::DefaultMessageFormatter
            .format_message(e)
            .into_owned(),
    };
    // The text may quote the file: no control characters reach the terminal.
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Rust type names in serde's messages, said the way a YAML author thinks of them.
fn plain_types(message: &str) -> String {
    let mut m = message.to_owned();
    for (rust, plain) in [
        ("expected u32", "expected a whole number"),
        ("expected u64", "expected a whole number"),
        ("expected usize", "expected a whole number"),
        ("expected i64", "expected a whole number"),
        ("expected f64", "expected a number"),
        ("expected f32", "expected a number"),
        ("expected a sequence", "expected a list"),
        ("expected a map", "expected a mapping"),
    ] {
        m = m.replace(rust, plain);
    }
    regex::Regex::new(r"expected struct \w+")
        .map(|re| re.replace_all(&m, "expected a mapping").into_owned())
        .unwrap_or(m)
}

fn yaml_hint(message: &str) -> Option<String> {
    if let Some(hint) = specific_hint(message) {
        return Some(hint);
    }
    // Every message gets a way forward; the reference lists every field and shape.
    Some("docs/suite-format.md describes every field, expectation and matcher".into())
}

fn specific_hint(message: &str) -> Option<String> {
    if let Some(hint) = field_hint(message) {
        return Some(hint);
    }
    if let Some(rest) = message.split("unknown variant `").nth(1) {
        let value = rest.split('`').next().unwrap_or_default();
        let expected: Vec<&str> = rest
            .split("expected ")
            .nth(1)
            .map(|e| e.split('`').skip(1).step_by(2).collect())
            .unwrap_or_default();
        return Some(match did_you_mean(value, expected.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("write one of `{}`", expected.join("`, `")),
        });
    }
    if message.contains("an answer is text") {
        return Some("answer checks are `contains`, `regex`, `one_of`, an exact text, `present: true`, `absent: true` and `not_contains`".into());
    }
    if message.contains("a mock") {
        return Some("a mock is `result: ...` (text or any value) or `error: TEXT`, with an optional `when: { ARG: MATCHER }`".into());
    }
    if message.contains("found the string `") && message.contains("`none`") {
        return Some(
            "write `expect: none` for no tool, or a mapping such as `expect: { tool: NAME }`"
                .into(),
        );
    }
    if message.contains("`expect`")
        || message.contains("`calls`")
        || message.contains("`any_of`")
        || message.contains("`order`")
    {
        return Some("the expectation shapes are: `none`; `tool` (with `args`, `strict_args`); `calls` (with `order`); `any_of` with two or more alternatives".into());
    }
    if [
        "regex",
        "matcher",
        "one_of",
        "approx",
        "tolerance",
        "present",
        "absent",
        "contains",
    ]
    .iter()
    .any(|k| message.contains(k))
    {
        return Some("the matchers are an exact value, `contains`, `regex`, `one_of`, `approx` with `tolerance`, `present: true`, `absent: true` and `equals`".into());
    }
    if message.contains("prompt") {
        return Some("write the request as a user would type it; a list of messages needs a `role: user` one".into());
    }
    None
}

/// Hints for messages about fields: unknown, repeated, missing, of the wrong type.
fn field_hint(message: &str) -> Option<String> {
    if let Some(rest) = message.split("unknown field `").nth(1) {
        let field = rest.split('`').next().unwrap_or_default();
        let expected: Vec<&str> = rest
            .split("expected ")
            .nth(1)
            .map(|e| e.split('`').skip(1).step_by(2).collect())
            .unwrap_or_default();
        return Some(match did_you_mean(field, expected.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None if !expected.is_empty() => {
                format!("the fields allowed here are `{}`", expected.join("`, `"))
            }
            None => "remove the field".into(),
        });
    }
    if message.contains("more than one document") {
        return Some("a file holds one YAML document: remove the `---` separator, or check the indentation of the first lines".into());
    }
    if message.contains("duplicate entry") {
        return Some("each key may appear once in a mapping; remove or rename one of them".into());
    }
    if message.contains("missing field") {
        return Some("add the field; docs/suite-format.md lists every field".into());
    }
    if message.contains("invalid type") {
        return Some("check the value's type against docs/suite-format.md".into());
    }
    None
}

/// A value as YAML on one line, written as JSON (JSON scalars, lists and mappings are YAML
/// too, and JSON quotes whatever needs quoting).
pub(crate) fn yaml_json(v: &impl serde::Serialize) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// A name as YAML: bare when it is a plain identifier YAML reads as that string, quoted
/// otherwise.
pub(crate) fn yaml_plain(s: &str) -> String {
    let bare = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "none" | "y" | "n"
        );
    if bare { s.to_owned() } else { yaml_json(&s) }
}

/// A value as a YAML flow on one line, as a person writes it: `{ one_of: [fatal, error] }`;
/// plain identifiers bare, every other string quoted.
pub(crate) fn yaml_flow(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::String(s) => yaml_plain(s),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(yaml_flow).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Object(map) if map.is_empty() => "{}".into(),
        Value::Object(map) => {
            let parts: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", yaml_plain(k), yaml_flow(v)))
                .collect();
            format!("{{ {} }}", parts.join(", "))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_of_comments_separators_and_blank_lines_has_no_content() {
        assert!(!has_content(""));
        assert!(!has_content("# a comment\n\n  \n---\n...\n  # another\n"));
        for text in ["tasks: []", "# c\nx: 1", "---\n- a", "...\nkey: v"] {
            assert!(has_content(text), "{text:?}");
        }
        // Each of the four kinds of empty line alone.
        for text in ["\n", "   \n", "#x\n", "---\n", "...\n"] {
            assert!(!has_content(text), "{text:?}");
        }
    }

    #[test]
    fn the_expect_none_hint_is_for_a_string_none_only() {
        let none = "expected `none` or a mapping with `tool`, `calls` or `any_of`, found the string `nothing`";
        assert!(specific_hint(none).unwrap().contains("expect: none"));
        // Another value of a string where a mapping belongs is not an expectation.
        let other = "expected a mapping, found the string `nothing`";
        assert!(
            specific_hint(other).is_none_or(|h| !h.contains("expect: none")),
            "{:?}",
            specific_hint(other)
        );
    }

    #[test]
    fn an_unknown_field_is_named_a_misspelling_the_allowed_fields_or_one_to_remove() {
        let hint = |m: &str| field_hint(m).unwrap();
        assert_eq!(
            hint("unknown field `promt`, expected one of `id`, `prompt`, `expect`"),
            "did you mean `prompt`?"
        );
        assert_eq!(
            hint("unknown field `zzz`, expected one of `id`, `prompt`"),
            "the fields allowed here are `id`, `prompt`"
        );
        assert_eq!(
            hint("unknown field `zzz`, there are no fields"),
            "remove the field"
        );
    }
}
