//! Characters a person reviewing a tool's text cannot see, which the model still reads: the
//! Unicode tag block (ASCII text written invisibly, "ASCII smuggling"), zero-width characters,
//! bidirectional controls that reorder what is shown, other invisible format characters and
//! controls; and, in names, letters of another script that pass for Latin ones.
//!
//! Sources (as of 2026-12-06): Unicode's Default_Ignorable_Code_Point property and the bidi
//! controls of UAX #9; the tag-block attacks on MCP descriptions that Invariant Labs' mcp-scan
//! checks for (<https://github.com/invariantlabs-ai/mcp-scan>); Trojan Source (CVE-2021-42574)
//! for bidi overrides.

use serde_json::Value;

use super::Context;
use crate::lint::finding::Finding;
use crate::lint::rule::Rule;

/// What a hidden character is, or `None` for one a reader sees.
fn hidden(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{E0000}'..='\u{E007F}' => "tag character",
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{180E}' => {
            "zero-width character"
        }
        '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}'
        | '\u{200E}'
        | '\u{200F}'
        | '\u{061C}' => "bidirectional control",
        '\u{2061}'..='\u{2064}'
        | '\u{034F}'
        | '\u{115F}'
        | '\u{1160}'
        | '\u{3164}'
        | '\u{FFA0}'
        | '\u{FFF9}'..='\u{FFFB}'
        | '\u{1D173}'..='\u{1D17A}' => "invisible character",
        '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}' => "variation selector",
        '\u{0080}'..='\u{009F}' => "control character",
        c if c.is_control() && !matches!(c, '\n' | '\t' | '\r') => "control character",
        _ => return None,
    })
}

/// A pictograph or symbol, which emoji sequences join with ZWJ and style with VS-16.
fn symbol(c: char) -> bool {
    matches!(c, '\u{2190}'..='\u{2BFF}' | '\u{1F000}'..='\u{1FAFF}' | '\u{00A9}' | '\u{00AE}')
}

/// The hidden characters of `text`, in order, with their positions (in characters): an emoji's
/// own ZWJ and variation selectors are not hidden text.
fn find(text: &str) -> Vec<(usize, char, &'static str)> {
    let chars: Vec<char> = text.chars().collect();
    chars
        .iter()
        .enumerate()
        .filter_map(|(i, &c)| {
            let kind = hidden(c)?;
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let emoji = match c {
                '\u{200D}' => prev.is_some_and(symbol) || prev.is_some_and(|p| p == '\u{FE0F}'),
                '\u{FE0E}' | '\u{FE0F}' => prev.is_some_and(symbol),
                _ => false,
            };
            (!emoji).then_some((i, c, kind))
        })
        .collect()
}

/// The text with every hidden character written as `<U+XXXX>`, shortened around them.
fn escaped(text: &str, found: &[(usize, char, &str)]) -> String {
    let mut out = String::new();
    let first = found.first().map_or(0, |f| f.0).saturating_sub(20);
    let last = found.last().map_or(0, |f| f.0) + 20;
    if first > 0 {
        out.push('…');
    }
    let chars: Vec<char> = text.chars().collect();
    let is_found = |i: usize| found.iter().any(|f| f.0 == i);
    let mut i = first;
    while i <= last.min(chars.len().saturating_sub(1)) {
        let c = chars[i];
        if !is_found(i) {
            out.push(c);
            i += 1;
            continue;
        }
        // A run of more than three hidden characters of one kind is written as one.
        let kind = hidden(c);
        let mut end = i;
        while end + 1 < chars.len() && is_found(end + 1) && hidden(chars[end + 1]) == kind {
            end += 1;
        }
        if end - i >= 3 {
            out.push_str(&format!(
                "<{} {}s U+{:04X}…U+{:04X}>",
                end - i + 1,
                kind.unwrap_or("hidden character"),
                c as u32,
                chars[end] as u32
            ));
        } else {
            for &h in &chars[i..=end] {
                out.push_str(&format!("<U+{:04X}>", h as u32));
            }
        }
        i = end + 1;
    }
    if text.chars().count() > last + 1 {
        out.push('…');
    }
    out
}

/// The ASCII text tag characters spell (U+E0020 to U+E007E mirror ASCII), when they spell any.
fn smuggled(found: &[(usize, char, &str)]) -> Option<String> {
    let text: String = found
        .iter()
        .filter_map(|(_, c, _)| {
            let n = *c as u32;
            (0xE0020..=0xE007E)
                .contains(&n)
                .then(|| char::from_u32(n - 0xE0000))
                .flatten()
        })
        .collect();
    (!text.trim().is_empty()).then_some(text)
}

/// The ASCII that tag characters in `text` spell, when they spell any.
pub(crate) fn smuggled_text(text: &str) -> Option<String> {
    smuggled(&find(text))
}

/// A name's letters from another script among Latin ones (`rеad_file` with a Cyrillic `е`).
fn confusable(name: &str) -> Vec<char> {
    let latin = name.chars().any(|c| c.is_ascii_alphabetic());
    if !latin {
        return Vec::new();
    }
    name.chars()
        .filter(|c| c.is_alphabetic() && !c.is_ascii())
        .collect()
}

/// Every text of a tool a model reads, with where it is: the name, the description, and in its
/// input schema every description, property name and enum value.
fn texts(tool: &crate::mcp::ToolInfo) -> Vec<(String, String, bool)> {
    let mut out = vec![
        ("name".to_owned(), tool.name.clone(), true),
        ("description".to_owned(), tool.description.clone(), false),
    ];
    schema_texts(&tool.input_schema, "", &mut out);
    out
}

fn schema_texts(v: &Value, at: &str, out: &mut Vec<(String, String, bool)>) {
    let Value::Object(map) = v else {
        if let Value::Array(items) = v {
            for item in items {
                schema_texts(item, at, out);
            }
        }
        return;
    };
    if let Some(Value::String(d)) = map.get("description") {
        let place = if at.is_empty() {
            "the schema's description".to_owned()
        } else {
            format!("the description of `{at}`")
        };
        out.push((place, d.clone(), false));
    }
    if let Some(Value::Array(values)) = map.get("enum") {
        for v in values.iter().filter_map(Value::as_str) {
            out.push((format!("a value of `{at}`"), v.to_owned(), true));
        }
    }
    for (key, value) in map {
        match key.as_str() {
            "properties" | "patternProperties" | "$defs" | "definitions" => {
                if let Value::Object(props) = value {
                    for (name, schema) in props {
                        let path = if at.is_empty() {
                            name.clone()
                        } else {
                            format!("{at}.{name}")
                        };
                        if key == "properties" {
                            out.push((format!("the parameter name `{path}`"), name.clone(), true));
                        }
                        schema_texts(schema, &path, out);
                    }
                }
            }
            "description" | "enum" => {}
            _ => schema_texts(value, at, out),
        }
    }
}

/// One finding per text that hides characters (or, for a name, mixes scripts).
fn check(place: &str, text: &str, name_like: bool, tools: Vec<String>) -> Option<Finding> {
    let found = find(text);
    if !found.is_empty() {
        let mut kinds: Vec<&str> = found.iter().map(|f| f.2).collect();
        kinds.dedup();
        let spelled = smuggled(&found)
            .map(|s| format!("; the tag characters spell {s:?}"))
            .unwrap_or_default();
        return Some(Finding::new(
            Rule::HiddenCharacters,
            tools,
            format!(
                "{} hidden character(s) in {place} ({}): {}{spelled}",
                found.len(),
                kinds.join(", "),
                escaped(text, &found)
            ),
            "a reviewer does not see these characters, and the model reads them: remove them (tag characters can carry whole instructions)",
        ));
    }
    let mixed = if name_like {
        confusable(text)
    } else {
        Vec::new()
    };
    if mixed.is_empty() {
        return None;
    }
    let shown: Vec<String> = mixed
        .iter()
        .map(|c| format!("{c} (U+{:04X})", *c as u32))
        .collect();
    Some(Finding::new(
        Rule::HiddenCharacters,
        tools,
        format!(
            "{place} {text:?} mixes Latin letters with letters of another script that look alike: {}",
            shown.join(", ")
        ),
        "a name that passes for another can take its calls: write names in ASCII",
    ))
}

/// The hidden characters of a text a person is to review, escaped, when it holds any (what a
/// generated task is checked for).
pub(crate) fn hidden_in(text: &str) -> Option<String> {
    let found = find(text);
    (!found.is_empty()).then(|| escaped(text, &found))
}

pub(crate) fn hidden_characters(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for t in &ctx.set.tools {
        for (place, text, name_like) in texts(t) {
            let place = if place == "name" {
                "the tool's name".to_owned()
            } else if place == "description" {
                "the description".to_owned()
            } else {
                place
            };
            out.extend(check(&place, &text, name_like, vec![t.name.clone()]));
        }
    }
    for s in ctx.servers {
        if let Some(i) = &s.instructions {
            out.extend(check(
                &format!("the instructions of server `{}`", s.name),
                i,
                false,
                vec![],
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_characters_are_found_and_what_they_spell_is_shown() {
        let tags: String = "IGNORE"
            .chars()
            .map(|c| char::from_u32(0xE0000 + c as u32).unwrap())
            .collect();
        let text = format!("Reads a file.{tags}");
        let f = check("the description", &text, false, vec!["read".into()]).unwrap();
        assert!(
            f.message
                .contains("6 hidden character(s) in the description (tag character)"),
            "{}",
            f.message
        );
        assert!(
            f.message
                .contains("Reads a file.<6 tag characters U+E0049…U+E0045>"),
            "{}",
            f.message
        );
        assert!(f.message.contains("spell \"IGNORE\""), "{}", f.message);
    }

    #[test]
    fn zero_width_bidi_and_controls_are_found_emoji_sequences_are_not() {
        for (text, kind) in [
            ("send\u{200B}mail", "zero-width character"),
            ("abc\u{202E}fdp.exe", "bidirectional control"),
            ("a\u{2066}b\u{2069}", "bidirectional control"),
            ("bell\u{7}", "control character"),
            ("x\u{3164}y", "invisible character"),
            ("hidden\u{FE0F}", "variation selector"),
        ] {
            let f = check("d", text, false, vec![]).unwrap_or_else(|| panic!("{text:?}"));
            assert!(f.message.contains(kind), "{text:?}: {}", f.message);
        }
        for text in [
            "Family: 👨\u{200D}👩\u{200D}👧",
            "Love ❤\u{FE0F} it",
            "Line\nbreak\tand tab",
            "Café, naïve, 東京",
        ] {
            assert!(check("d", text, false, vec![]).is_none(), "{text:?}");
        }
    }

    #[test]
    fn a_name_mixing_scripts_is_found_a_name_in_one_script_is_not() {
        let f = check("the tool's name", "r\u{0435}ad_file", true, vec![]).unwrap();
        assert!(f.message.contains("е (U+0435)"), "{}", f.message);
        assert!(check("the tool's name", "read_file", true, vec![]).is_none());
        assert!(check("the tool's name", "検索", true, vec![]).is_none());
        // Descriptions are prose: other scripts are text, not disguise.
        assert!(
            check(
                "the description",
                "Lit un fichier: r\u{0435}ad",
                false,
                vec![]
            )
            .is_none()
        );
    }
}
