//! Where each key and value of a YAML file is written, by path, so that a problem found in the
//! typed values can point at the text it is about.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use crate::error::Diagnostic;

/// One step into a document: a mapping key or a sequence index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

/// A 1-based line and column, the column counted in characters (as [`Diagnostic::at`] takes it).
pub(crate) type Place = (usize, usize);

/// What [`Places::spot`] found at a place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Spot {
    /// The path of the node, as `tasks[0].expect`.
    pub path: String,
    /// Where the node begins.
    pub at: Place,
    pub found: Found,
}

/// The kind of node at a place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Found {
    Nothing,
    Mapping,
    Sequence,
    Scalar,
}

/// The places of the keys and values of a YAML document (its first one, if several).
///
/// A path that goes through an alias (`*name`) continues in the anchored node, so what lies
/// inside it is found where it is written; the alias itself is the place of the value it stands
/// for. Keys that are not scalars (`? [a, b]`) cannot be addressed.
#[derive(Debug, Clone, Default)]
pub struct Places {
    /// Every node, the root first.
    nodes: Vec<Node>,
}

#[derive(Debug, Clone)]
struct Node {
    at: Place,
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    Scalar,
    /// The anchored node it refers to, when that anchor was seen.
    Alias(Option<usize>),
    Sequence(Vec<usize>),
    Mapping(Vec<Entry>),
}

#[derive(Debug, Clone)]
struct Entry {
    /// `None` for a key that is not a scalar.
    key: Option<String>,
    key_at: Place,
    value: usize,
}

/// An open collection while the events are read.
struct Frame {
    node: usize,
    /// In a mapping, the key read and waiting for its value.
    key: Option<(Option<String>, Place)>,
}

impl Places {
    /// Reads the places of `source`. Never panics: on a syntax error it keeps what it read up to
    /// there (the YAML reader reports the error itself).
    pub fn parse(source: &str) -> Places {
        let mut builder = Builder {
            places: Places::default(),
            stack: Vec::new(),
            anchors: HashMap::new(),
            lines: LineStarts::new(source),
        };
        for event in Parser::new_from_str(source) {
            let Ok((event, span)) = event else { break };
            if !builder.take(event, span) {
                break;
            }
        }
        builder.places
    }

    /// The place of the value at `path` (for an empty value, the place of its key).
    pub fn value(&self, path: &[Seg]) -> Option<Place> {
        let (depth, node, _) = self.walk(path)?;
        (depth == path.len()).then(|| self.nodes[node].at)
    }

    /// The place of the key at `path`, which must end with a mapping key.
    pub fn key(&self, path: &[Seg]) -> Option<Place> {
        let (depth, _, key) = self.walk(path)?;
        if depth == path.len() { key } else { None }
    }

    /// Points `d` at the value at `path`, or, when that is not written, at the nearest value
    /// around it that is.
    pub(crate) fn at_value(&self, d: Diagnostic, source: &str, path: &[Seg]) -> Diagnostic {
        match self.walk(path) {
            Some((_, node, _)) => {
                let (line, col) = self.nodes[node].at;
                d.at(source, line, col)
            }
            None => d,
        }
    }

    /// Points `d` at the key at `path`, or, when that is not written, at the nearest value
    /// around it that is.
    pub(crate) fn at_key(&self, d: Diagnostic, source: &str, path: &[Seg]) -> Diagnostic {
        match self.walk(path) {
            Some((depth, _, Some((line, col)))) if depth == path.len() => d.at(source, line, col),
            _ => self.at_value(d, source, path),
        }
    }

    /// What lies at the place `at`: the innermost collection entry that begins at or before it,
    /// with its path written as `tasks[0].expect.args` (empty at the top level). A place on a
    /// key names the mapping that holds the key (so "unknown field `x`" reads against its
    /// owner), unless `key_means_value`, when it names the key's value.
    pub(crate) fn spot(&self, at: Place, key_means_value: bool) -> Spot {
        let chain = self.chain(at, key_means_value);
        match chain.last() {
            Some((path, node)) => self.spot_of(path, *node),
            None => Spot {
                path: String::new(),
                at,
                found: Found::Nothing,
            },
        }
    }

    /// The innermost mapping around the place `at` that has no key `key`: where a missing
    /// field belongs.
    pub(crate) fn lacking(&self, at: Place, key: &str) -> Option<Spot> {
        self.chain(at, false)
            .iter()
            .rev()
            .find(|(_, node)| match &self.nodes[*node].kind {
                Kind::Mapping(entries) => !entries.iter().any(|e| e.key.as_deref() == Some(key)),
                _ => false,
            })
            .map(|(path, node)| self.spot_of(path, *node))
    }

    fn spot_of(&self, path: &str, node: usize) -> Spot {
        Spot {
            path: path.to_owned(),
            at: self.nodes[node].at,
            found: match self.nodes[node].kind {
                Kind::Mapping(_) => Found::Mapping,
                Kind::Sequence(_) => Found::Sequence,
                Kind::Scalar | Kind::Alias(_) => Found::Scalar,
            },
        }
    }

    /// The nodes from the root down to the one at `at`, each with its path (see [`Places::spot`]).
    /// The walk stops at a node that begins exactly at `at`.
    fn chain(&self, at: Place, key_means_value: bool) -> Vec<(String, usize)> {
        let mut chain = Vec::new();
        if self.nodes.is_empty() {
            return chain;
        }
        let (mut node, mut path) = (0, String::new());
        loop {
            chain.push((path.clone(), node));
            if node != 0 && self.nodes[node].at == at {
                return chain;
            }
            let child = match &self.nodes[node].kind {
                Kind::Sequence(items) => items
                    .iter()
                    .enumerate()
                    .rev()
                    .find(|(_, v)| self.nodes[**v].at <= at)
                    .map(|(i, v)| (format!("[{i}]"), *v)),
                Kind::Mapping(entries) => entries
                    .iter()
                    .rev()
                    .find(|e| e.key_at <= at)
                    .filter(|e| {
                        (e.key_at < at && self.nodes[e.value].at <= at)
                            || (key_means_value && e.key_at == at)
                    })
                    .and_then(|e| {
                        let key = e.key.as_deref()?;
                        let dot = if path.is_empty() { "" } else { "." };
                        Some((format!("{dot}{key}"), e.value))
                    }),
                Kind::Scalar | Kind::Alias(_) => None,
            };
            match child {
                Some((step, next)) => {
                    path.push_str(&step);
                    node = next;
                }
                None => return chain,
            }
        }
    }

    /// Follows `path` as far as the document goes: how many steps were taken, the node reached
    /// and the place of the key of the last step (if it was a key). `None` for an empty document.
    fn walk(&self, path: &[Seg]) -> Option<(usize, usize, Option<Place>)> {
        self.nodes.first()?;
        let (mut node, mut key) = (0, None);
        for (depth, seg) in path.iter().enumerate() {
            let next = match (&self.nodes[self.resolve(node)].kind, seg) {
                (Kind::Mapping(entries), Seg::Key(k)) => entries
                    .iter()
                    .find(|e| e.key.as_deref() == Some(*k))
                    .map(|e| (e.value, Some(e.key_at))),
                (Kind::Sequence(items), Seg::Index(i)) => items.get(*i).map(|&v| (v, None)),
                _ => None,
            };
            match next {
                Some((n, k)) => (node, key) = (n, k),
                None => return Some((depth, node, key)),
            }
        }
        Some((path.len(), node, key))
    }

    /// The node an alias stands for (anchors are never aliases, so one step is enough).
    fn resolve(&self, node: usize) -> usize {
        match self.nodes[node].kind {
            Kind::Alias(Some(target)) => target,
            _ => node,
        }
    }
}

struct Builder {
    places: Places,
    stack: Vec<Frame>,
    /// Anchor ids as the parser numbers them, to the node they name.
    anchors: HashMap<usize, usize>,
    lines: LineStarts,
}

/// Turns the parser's character index into a line and column counted as [`Diagnostic::at`]
/// counts them: lines end at `\n` only (the parser also ends one at a lone `\r`), and a byte
/// order mark takes no column.
struct LineStarts {
    /// The character index at which each line starts.
    starts: Vec<usize>,
    bom: bool,
}

impl LineStarts {
    fn new(source: &str) -> LineStarts {
        let breaks = source.chars().enumerate().filter(|(_, c)| *c == '\n');
        LineStarts {
            starts: std::iter::once(0)
                .chain(breaks.map(|(i, _)| i + 1))
                .collect(),
            bom: source.starts_with('\u{feff}'),
        }
    }

    fn place(&self, index: usize) -> Place {
        // `starts[0]` is 0, so at least one start lies at or before any index.
        let line = self.starts.partition_point(|&s| s <= index).max(1);
        let col = index - self.starts[line - 1] + 1;
        let bom = usize::from(line == 1 && self.bom && col > 1);
        (line, col - bom)
    }
}

impl Builder {
    /// Takes one event; `false` once the first document is complete.
    fn take(&mut self, event: Event, span: Span) -> bool {
        let at = self.lines.place(span.start.index());
        let (kind, anchor, text, empty) = match event {
            Event::Scalar(value, style, anchor, _) => {
                // An empty plain scalar is a value left out (`key:`): it has no text of its own.
                let empty = value.is_empty() && style == ScalarStyle::Plain;
                (Kind::Scalar, anchor, Some(value), empty)
            }
            Event::Alias(anchor) => {
                let target = self.anchors.get(&anchor).copied();
                (Kind::Alias(target), 0, None, false)
            }
            Event::SequenceStart(anchor, _) => (Kind::Sequence(Vec::new()), anchor, None, false),
            Event::MappingStart(anchor, _) => (Kind::Mapping(Vec::new()), anchor, None, false),
            Event::SequenceEnd | Event::MappingEnd => {
                self.stack.pop();
                return true;
            }
            Event::DocumentEnd => return self.places.nodes.is_empty(),
            Event::StreamStart | Event::StreamEnd | Event::DocumentStart(_) | Event::Nothing => {
                return true;
            }
        };
        let opens = matches!(kind, Kind::Sequence(_) | Kind::Mapping(_));
        let Some(node) = self.add(at, kind, anchor, text.as_deref(), empty) else {
            return false;
        };
        if opens {
            self.stack.push(Frame { node, key: None });
        }
        true
    }

    /// Adds a node and hangs it in the open collection: as an item, a key or a key's value.
    /// `text` is a scalar's text, kept when the scalar is a key. `None` for a second root: only
    /// the first document is read.
    fn add(
        &mut self,
        at: Place,
        kind: Kind,
        anchor: usize,
        text: Option<&str>,
        empty: bool,
    ) -> Option<usize> {
        let id = self.places.nodes.len();
        let mut node = Node { at, kind };
        match self.stack.last_mut() {
            Some(frame) => match (&mut self.places.nodes[frame.node].kind, frame.key.take()) {
                (Kind::Sequence(items), _) => items.push(id),
                (Kind::Mapping(entries), Some((key, key_at))) => {
                    if empty {
                        node.at = key_at;
                    }
                    entries.push(Entry {
                        key,
                        key_at,
                        value: id,
                    });
                }
                // A key: its text, or nothing for a collection used as a key.
                (Kind::Mapping(_), None) => frame.key = Some((text.map(str::to_owned), at)),
                _ => {}
            },
            None if id > 0 => return None,
            None => {}
        }
        if anchor != 0 {
            self.anchors.insert(anchor, id);
        }
        self.places.nodes.push(node);
        Some(id)
    }
}

#[cfg(test)]
mod tests {
    use super::Seg::{Index, Key};
    use super::*;

    #[test]
    fn block_mappings_and_sequences() {
        let src =
            "servers:\n  a:\n    cwd: one\n  b:\n    cwd: two\nsuites:\n  - x.yaml\n  - y.yaml\n";
        let p = Places::parse(src);
        assert_eq!(p.key(&[Key("servers"), Key("b")]), Some((4, 3)));
        assert_eq!(
            p.value(&[Key("servers"), Key("b"), Key("cwd")]),
            Some((5, 10))
        );
        assert_eq!(p.key(&[Key("servers"), Key("b"), Key("cwd")]), Some((5, 5)));
        assert_eq!(
            p.value(&[Key("servers"), Key("a"), Key("cwd")]),
            Some((3, 10))
        );
        assert_eq!(p.value(&[Key("suites"), Index(1)]), Some((8, 5)));
        assert_eq!(p.value(&[Key("suites"), Index(2)]), None);
        assert_eq!(p.key(&[Key("suites"), Index(0)]), None);
        assert_eq!(p.value(&[]), Some((1, 1)));
        assert_eq!(p.value(&[Key("nope")]), None);
    }

    #[test]
    fn flow_style() {
        let src = "servers:\n  a: { command: x, cwd: one }\n  b: {command: y, cwd: \"two\"}\nsuites: [s.yaml, 't.yaml']\n";
        let p = Places::parse(src);
        assert_eq!(p.value(&[Key("servers"), Key("a")]), Some((2, 6)));
        assert_eq!(
            p.value(&[Key("servers"), Key("b"), Key("cwd")]),
            Some((3, 24))
        );
        assert_eq!(
            p.key(&[Key("servers"), Key("b"), Key("cwd")]),
            Some((3, 19))
        );
        assert_eq!(p.value(&[Key("suites"), Index(1)]), Some((4, 18)));
    }

    #[test]
    fn sequences_of_mappings() {
        let src = "tasks:\n  - id: one\n    expect: none\n  - id: two\n    expect:\n      calls:\n        - tool: a\n        - { tool: b, args: { q: 1 } }\n";
        let p = Places::parse(src);
        assert_eq!(p.value(&[Key("tasks"), Index(0)]), Some((2, 5)));
        assert_eq!(p.value(&[Key("tasks"), Index(1), Key("id")]), Some((4, 9)));
        let call = [
            Key("tasks"),
            Index(1),
            Key("expect"),
            Key("calls"),
            Index(1),
        ];
        let tool = [&call[..], &[Key("tool")]].concat();
        assert_eq!(p.value(&tool), Some((8, 19)));
        let arg = [&call[..], &[Key("args"), Key("q")]].concat();
        assert_eq!(p.key(&arg), Some((8, 30)));
    }

    #[test]
    fn columns_count_characters() {
        let src = "é: { k: \"日本\", cwd: v }\nb: [ü, x]\n";
        let p = Places::parse(src);
        assert_eq!(p.value(&[Key("é"), Key("cwd")]), Some((1, 20)));
        assert_eq!(p.key(&[Key("é"), Key("cwd")]), Some((1, 15)));
        assert_eq!(p.value(&[Key("b"), Index(1)]), Some((2, 8)));
    }

    #[test]
    fn lines_end_at_newlines_only() {
        // A lone `\r` ends a line for YAML, not for `str::lines` and `Diagnostic::at`.
        let p = Places::parse("a: b\rc: d\r\ne: f\n");
        assert_eq!(p.value(&[Key("c")]), Some((1, 9)));
        assert_eq!(p.value(&[Key("e")]), Some((2, 4)));
        // Found by the property test `any_text_is_placed`: the parser placed the empty root on
        // line 4 of a text that `str::lines` reads as two lines.
        let (line, _) = Places::parse("\r---\n#").value(&[]).unwrap();
        assert_eq!(line, 2);
        // A byte order mark takes no column.
        let p = Places::parse("\u{feff}a: 1\nb: 2\n");
        assert_eq!(p.key(&[Key("a")]), Some((1, 1)));
        assert_eq!(p.value(&[Key("a")]), Some((1, 4)));
        assert_eq!(p.value(&[Key("b")]), Some((2, 4)));
    }

    #[test]
    fn empty_values_are_placed_at_their_key() {
        let p = Places::parse("a:\n  url:\n  b: 1\n");
        assert_eq!(p.value(&[Key("a"), Key("url")]), Some((2, 3)));
    }

    #[test]
    fn block_scalars_are_placed_at_their_text() {
        let p = Places::parse("prompt: |\n  TODO: write it\nnext: 1\n");
        assert_eq!(p.value(&[Key("prompt")]), Some((2, 3)));
        assert_eq!(p.key(&[Key("next")]), Some((3, 1)));
    }

    #[test]
    fn aliases_lead_into_their_anchor() {
        let src = "base: &b { cwd: one, args: [x] }\nservers:\n  a: *b\n  c: { cwd: two }\n";
        let p = Places::parse(src);
        assert_eq!(p.value(&[Key("servers"), Key("a")]), Some((3, 6)));
        assert_eq!(
            p.value(&[Key("servers"), Key("a"), Key("cwd")]),
            Some((1, 17))
        );
        assert_eq!(
            p.value(&[Key("servers"), Key("a"), Key("args"), Index(0)]),
            Some((1, 29))
        );
        assert_eq!(
            p.value(&[Key("servers"), Key("c"), Key("cwd")]),
            Some((4, 13))
        );
        // An alias to an anchor never seen leads nowhere.
        let p = Places::parse("a: *nowhere\n");
        assert_eq!(p.value(&[Key("a"), Key("x")]), None);
        // An anchor that contains its own alias does not loop.
        let p = Places::parse("a: &s [1, *s]\n");
        assert_eq!(
            p.value(&[Key("a"), Index(1), Index(1), Index(0)]),
            Some((1, 8))
        );
    }

    #[test]
    fn complex_keys_are_skipped_and_later_keys_still_found() {
        let p = Places::parse("? [a, b]\n: v\nc: w\n");
        assert_eq!(p.value(&[Key("c")]), Some((3, 4)));
    }

    #[test]
    fn a_key_not_written_points_at_the_nearest_value_around_it() {
        let src = "a:\n  b: 1\n";
        let p = Places::parse(src);
        let d = |path: &[Seg]| {
            let d = p.at_key(
                Diagnostic::new(std::path::Path::new("f.yaml"), "m"),
                src,
                path,
            );
            (d.line, d.column)
        };
        assert_eq!(
            d(&[Key("a"), Key("b")]),
            (Some(2), Some(3)),
            "the key itself"
        );
        // `a.c` is not written: the value of `a`, not the key `a`.
        assert_eq!(d(&[Key("a"), Key("c")]), (Some(2), Some(3)));
    }

    #[test]
    fn a_place_on_a_key_or_between_it_and_its_value_is_in_the_mapping_not_the_value() {
        let p = Places::parse("a:\n  b:   1\n");
        assert_eq!(p.spot((2, 3), false).path, "a", "on the key");
        assert_eq!(p.spot((2, 4), false).path, "a", "on the colon");
        assert_eq!(p.spot((2, 7), false).path, "a", "before the value");
        assert_eq!(p.spot((2, 8), false).path, "a.b", "on the value");
        // An empty value is placed at its key: the key is still the mapping's.
        let p = Places::parse("a:\n  b:\n");
        assert_eq!(
            p.spot((2, 3), false).path,
            "a",
            "on the key of an empty value"
        );
    }

    #[test]
    fn only_the_first_document_counts() {
        let p = Places::parse("a: 1\n---\nb: 2\n");
        assert_eq!(p.value(&[Key("a")]), Some((1, 4)));
        assert_eq!(p.value(&[Key("b")]), None);
    }

    #[test]
    fn broken_documents_keep_what_was_read() {
        let p = Places::parse("a: 1\nb: [x, y\nc: \"open\n");
        assert_eq!(p.value(&[Key("a")]), Some((1, 4)));
        for src in [
            "",
            "\t",
            "{",
            "[",
            "]",
            "}",
            "- - -",
            "a: b: c",
            "? ",
            "*x",
            "&a",
            "!!",
            "{---",
            "\"",
            "'",
            "|",
            ">\n x",
            "a:\n\t- b",
            "[a, {b: [c, {d: ",
            "\u{feff}",
            "%YAML 1.2\n",
            "... \n...",
            "--- &a *a",
            ":",
            "- : -",
            "{? a: }",
            "?\n?\n?",
        ] {
            let p = Places::parse(src);
            let _ = p.value(&[Key("a"), Index(0), Key("b")]);
            let _ = p.key(&[Index(3)]);
        }
    }

    #[test]
    fn diagnostics_fall_back_to_the_nearest_written_value() {
        let src = "servers:\n  a: { command: x }\n";
        let p = Places::parse(src);
        let d = p.at_value(
            Diagnostic::new("e.yaml", "m"),
            src,
            &[Key("servers"), Key("a"), Key("cwd")],
        );
        assert_eq!((d.line, d.column), (Some(2), Some(6)));
        let d = p.at_key(
            Diagnostic::new("e.yaml", "m"),
            src,
            &[Key("servers"), Key("a")],
        );
        assert_eq!((d.line, d.column), (Some(2), Some(3)));
        let d = Places::parse("").at_key(Diagnostic::new("e.yaml", "m"), "", &[Key("a")]);
        assert_eq!(d.line, None);
    }
}
