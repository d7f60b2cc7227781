//! The quick way through a YAML file: serde straight from saphyr-parser's events, for files
//! that use nothing but plain YAML (mappings, sequences, and scalars whose type is beyond doubt).
//!
//! serde-saphyr reads every file in the end: it knows all of YAML (anchors, aliases, tags, merge
//! keys, every spelling of a number or a boolean), tracks where each value is for its messages,
//! and enforces limits. That care costs about three times the parse itself, 0.2 s for a suite of
//! 10,000 tasks. Most files need none of it, so this reader goes first and gives up, returning
//! `None`, at the first thing it is not sure of: a YAML feature it leaves out, a scalar whose type
//! could be read two ways (`yes`, `1e3`, `007`, `-0`, an empty value), a key given twice, or any
//! error at all. serde-saphyr then reads the file from the start, with the same result where both
//! read it (a property test holds them to that) and its messages where the file is wrong.

use std::borrow::Cow;
use std::collections::HashSet;
use std::iter::Peekable;

use saphyr_parser::{Event, Parser, ScalarStyle, StrInput};
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer as _, Visitor};

/// `source` read into `T`, or `None` when serde-saphyr must read it.
pub(crate) fn from_str<T: DeserializeOwned>(source: &str) -> Option<T> {
    let mut de = Reader {
        events: Parser::new_from_str(source).peekable(),
    };
    if !matches!(de.next().ok()?, Event::StreamStart)
        || !matches!(de.next().ok()?, Event::DocumentStart(_))
    {
        return None;
    }
    let value = T::deserialize(&mut de).ok()?;
    // One document, and nothing after it.
    match de.next().ok()? {
        Event::DocumentEnd => {}
        _ => return None,
    }
    matches!(de.next().ok()?, Event::StreamEnd).then_some(value)
}

/// Why the quick reader stopped; serde-saphyr says what is wrong, if anything is.
#[derive(Debug)]
pub(crate) struct GiveUp;

impl std::fmt::Display for GiveUp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not for the quick reader")
    }
}

impl std::error::Error for GiveUp {}

impl de::Error for GiveUp {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        GiveUp
    }
}

type Result<T> = std::result::Result<T, GiveUp>;

struct Reader<'a> {
    events: Peekable<Parser<'a, StrInput<'a>>>,
}

/// What a scalar is, by the YAML 1.2 core schema as tooleval reads it; `Unsure` for whatever
/// the quick reader leaves to serde-saphyr.
enum Scalar<'a> {
    Str(Cow<'a, str>),
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Unsure,
}

fn classify(text: Cow<'_, str>, style: ScalarStyle) -> Scalar<'_> {
    if style != ScalarStyle::Plain {
        return Scalar::Str(text);
    }
    match &*text {
        "null" | "~" => return Scalar::Null,
        "true" => return Scalar::Bool(true),
        "false" => return Scalar::Bool(false),
        _ => {}
    }
    let Some(first) = text.chars().next() else {
        return Scalar::Unsure;
    };
    if first.is_ascii_digit() || first == '-' {
        return number(&text).unwrap_or(Scalar::Unsure);
    }
    // `.5`, `.inf`, `+1`, and the words YAML 1.1 read as booleans or null.
    const WORDS: &[&str] = &["null", "true", "false", "yes", "no", "on", "off", "y", "n"];
    if matches!(first, '.' | '+' | '~') || WORDS.iter().any(|w| w.eq_ignore_ascii_case(&text)) {
        return Scalar::Unsure;
    }
    Scalar::Str(text)
}

/// `-?(0|[1-9][0-9]*)` as an integer, with `.[0-9]+` after it as a float; no `-0`.
fn number(text: &str) -> Option<Scalar<'static>> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(int) || (int.len() > 1 && int.starts_with('0')) || text.starts_with("-0") {
        return None;
    }
    match frac {
        None => text.parse().ok().map(Scalar::Int),
        Some(f) if all_digits(f) => text.parse().ok().map(Scalar::Float),
        Some(_) => None,
    }
}

impl<'a> Reader<'a> {
    /// The next event, unless the parser failed or it carries an anchor, an alias or a tag.
    fn next(&mut self) -> Result<Event<'a>> {
        let (event, _) = self.events.next().ok_or(GiveUp)?.map_err(|_| GiveUp)?;
        match &event {
            Event::Alias(_) | Event::Nothing => Err(GiveUp),
            Event::Scalar(_, _, anchor, tag)
            | Event::SequenceStart(anchor, tag)
            | Event::MappingStart(anchor, tag)
                if *anchor != 0 || tag.is_some() =>
            {
                Err(GiveUp)
            }
            _ => Ok(event),
        }
    }

    fn peek(&mut self) -> Result<&Event<'a>> {
        match self.events.peek() {
            Some(Ok((event, _))) => Ok(event),
            _ => Err(GiveUp),
        }
    }

    fn scalar(&mut self) -> Result<Scalar<'a>> {
        match self.next()? {
            Event::Scalar(text, style, ..) => Ok(classify(text, style)),
            _ => Err(GiveUp),
        }
    }

    fn end(&mut self, sequence: bool) -> Result<()> {
        match (self.next()?, sequence) {
            (Event::SequenceEnd, true) | (Event::MappingEnd, false) => Ok(()),
            _ => Err(GiveUp),
        }
    }

    fn sequence<V: Visitor<'a>>(&mut self, visitor: V) -> Result<V::Value> {
        let value = visitor.visit_seq(Items { de: self })?;
        self.end(true)?;
        Ok(value)
    }

    fn mapping<V: Visitor<'a>>(&mut self, visitor: V) -> Result<V::Value> {
        let value = visitor.visit_map(Entries {
            de: self,
            keys: Keys::default(),
        })?;
        self.end(false)?;
        Ok(value)
    }

    /// Skips one node, whatever it holds.
    fn skip(&mut self) -> Result<()> {
        let mut depth = 0usize;
        loop {
            match self.next()? {
                Event::SequenceStart(..) | Event::MappingStart(..) => depth += 1,
                Event::SequenceEnd | Event::MappingEnd => {
                    depth = depth.checked_sub(1).ok_or(GiveUp)?
                }
                Event::Scalar(..) => {}
                _ => return Err(GiveUp),
            }
            if depth == 0 {
                return Ok(());
            }
        }
    }
}

fn visit_str<'de, V: Visitor<'de>>(text: Cow<'de, str>, visitor: V) -> Result<V::Value> {
    match text {
        Cow::Borrowed(s) => visitor.visit_borrowed_str(s),
        // The parser's buffer keeps room to grow (32 bytes at least); a suite keeps its
        // strings until the run ends.
        Cow::Owned(mut s) => {
            s.shrink_to_fit();
            visitor.visit_string(s)
        }
    }
}

impl<'de> de::Deserializer<'de> for &mut Reader<'de> {
    type Error = GiveUp;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.next()? {
            Event::Scalar(text, style, ..) => match classify(text, style) {
                Scalar::Str(s) => visit_str(s, visitor),
                Scalar::Null => visitor.visit_unit(),
                Scalar::Bool(b) => visitor.visit_bool(b),
                Scalar::Int(i) if i >= 0 => visitor.visit_u64(i as u64),
                Scalar::Int(i) => visitor.visit_i64(i),
                Scalar::Float(f) => visitor.visit_f64(f),
                Scalar::Unsure => Err(GiveUp),
            },
            Event::SequenceStart(..) => self.sequence(visitor),
            Event::MappingStart(..) => self.mapping(visitor),
            _ => Err(GiveUp),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.scalar()? {
            Scalar::Bool(b) => visitor.visit_bool(b),
            _ => Err(GiveUp),
        }
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.scalar()? {
            Scalar::Int(i) => visitor.visit_i64(i),
            _ => Err(GiveUp),
        }
    }

    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_i64(visitor)
    }
    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_i64(visitor)
    }
    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_i64(visitor)
    }
    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_i64(visitor)
    }
    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_i64(visitor)
    }
    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_i64(visitor)
    }
    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_i64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.scalar()? {
            Scalar::Int(i) => visitor.visit_f64(i as f64),
            Scalar::Float(f) => visitor.visit_f64(f),
            _ => Err(GiveUp),
        }
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_char<V: Visitor<'de>>(self, _: V) -> Result<V::Value> {
        Err(GiveUp)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.scalar()? {
            Scalar::Str(s) => visit_str(s, visitor),
            _ => Err(GiveUp),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, _: V) -> Result<V::Value> {
        Err(GiveUp)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, _: V) -> Result<V::Value> {
        Err(GiveUp)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if let Event::Scalar(text, ScalarStyle::Plain, 0, None) = self.peek()?
            && matches!(&**text, "null" | "~")
        {
            self.next()?;
            return visitor.visit_none();
        }
        visitor.visit_some(self)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.scalar()? {
            Scalar::Null => visitor.visit_unit(),
            _ => Err(GiveUp),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.next()? {
            Event::SequenceStart(..) => self.sequence(visitor),
            _ => Err(GiveUp),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.next()? {
            Event::MappingStart(..) => self.mapping(visitor),
            _ => Err(GiveUp),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        // Unit variants only, named by a string.
        match self.scalar()? {
            Scalar::Str(s) => visitor.visit_enum(s.into_owned().into_deserializer()),
            _ => Err(GiveUp),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.skip()?;
        visitor.visit_unit()
    }
}

struct Items<'r, 'a> {
    de: &'r mut Reader<'a>,
}

impl<'de> de::SeqAccess<'de> for Items<'_, 'de> {
    type Error = GiveUp;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        if matches!(self.de.peek()?, Event::SequenceEnd) {
            return Ok(None);
        }
        seed.deserialize(&mut *self.de).map(Some)
    }
}

/// The keys of one mapping so far: a key given twice is left to serde-saphyr.
#[derive(Default)]
struct Keys<'a> {
    few: Vec<Cow<'a, str>>,
    many: HashSet<Cow<'a, str>>,
}

impl<'a> Keys<'a> {
    /// Whether `key` is new.
    fn insert(&mut self, key: Cow<'a, str>) -> bool {
        const FEW: usize = 16;
        if self.many.is_empty() {
            if self.few.contains(&key) {
                return false;
            }
            self.few.push(key);
            if self.few.len() > FEW {
                self.many.extend(self.few.drain(..));
            }
            true
        } else {
            self.many.insert(key)
        }
    }
}

struct Entries<'r, 'a> {
    de: &'r mut Reader<'a>,
    keys: Keys<'a>,
}

impl<'de> de::MapAccess<'de> for Entries<'_, 'de> {
    type Error = GiveUp;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        let key = match self.de.peek()? {
            Event::MappingEnd => return Ok(None),
            // A merge key (`<<`) is for serde-saphyr, as are keys that are not scalars.
            Event::Scalar(text, style, ..) if !(*style == ScalarStyle::Plain && text == "<<") => {
                text.clone()
            }
            _ => return Err(GiveUp),
        };
        if !self.keys.insert(key) {
            return Err(GiveUp);
        }
        seed.deserialize(&mut *self.de).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        seed.deserialize(&mut *self.de)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn read(yaml: &str) -> Option<Value> {
        from_str(yaml)
    }

    #[test]
    fn reads_plain_yaml() {
        let yaml =
            "a: x\nb: [1, -2, 0.5, true, null, \"007\", 'yes']\nc:\n  d: |\n    two\n    lines\n";
        assert_eq!(
            read(yaml),
            Some(
                json!({"a": "x", "b": [1, -2, 0.5, true, null, "007", "yes"], "c": {"d": "two\nlines\n"}})
            )
        );
    }

    #[test]
    fn leaves_whatever_could_be_read_two_ways_to_serde_saphyr() {
        for yaml in [
            "a: yes",
            "a: No",
            "a: NULL",
            "a: True",
            "a: 007",
            "a: 1_000",
            "a: 1e3",
            "a: .inf",
            "a: 0x1f",
            "a: -0",
            "a: +1",
            "a:",
            "a: 12:30",
            "a: 2026-11-30",
            "a: &x 1\nb: *x",
            "a: !!str 1",
            "a: 1\na: 2",
            "<<: {a: 1}",
            "? [a]\n: 1",
            "a: 1\n---\nb: 2",
            "",
            "a: [1, 2",
            "a: 99999999999999999999",
        ] {
            assert_eq!(read(yaml), None, "{yaml:?}");
        }
    }

    #[test]
    fn a_key_given_twice_is_found_in_large_mappings_too() {
        let mut yaml: String = (0..40).map(|i| format!("k{i}: {i}\n")).collect();
        assert!(read(&yaml).is_some());
        yaml.push_str("k3: again\n");
        assert_eq!(read(&yaml), None);
    }

    // ---- Both readers agree wherever the quick one reads at all. ----

    use proptest::prelude::*;

    /// Scalars as written: plain ones that YAML reads many ways, and quoted ones.
    const SCALARS: &[&str] = &[
        "x",
        "hello world",
        "true",
        "false",
        "null",
        "~",
        "yes",
        "No",
        "on",
        "y",
        "NULL",
        "True",
        "1",
        "-2",
        "0",
        "42",
        "007",
        "1.5",
        "-0.5",
        "10.25",
        "1e3",
        "0x1f",
        "0o17",
        ".inf",
        ".NaN",
        "12:30",
        "2026-11-30",
        "-x",
        "+1",
        "1_000",
        "-0",
        "99999999999999999999",
        "'quoted'",
        "'it''s'",
        "\"dq\\n\\t\\u00e9\"",
        "\"\"",
        "''",
        "émoji ✓",
        "a #not comment",
        "<<",
        "",
    ];
    const KEYS: &[&str] = &[
        "a", "b", "id", "tool", "<<", "1", "true", "'q'", "\"k\"", "-k",
    ];

    #[derive(Debug, Clone)]
    enum Node {
        Scalar(&'static str),
        Seq(Vec<Node>, bool),
        Map(Vec<(&'static str, Node)>, bool),
    }

    fn node() -> impl Strategy<Value = Node> {
        let leaf = proptest::sample::select(SCALARS).prop_map(Node::Scalar);
        leaf.prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                (
                    proptest::collection::vec(inner.clone(), 0..4),
                    any::<bool>()
                )
                    .prop_map(|(v, flow)| Node::Seq(v, flow)),
                (
                    proptest::collection::vec((proptest::sample::select(KEYS), inner), 0..4),
                    any::<bool>()
                )
                    .prop_map(|(v, flow)| Node::Map(v, flow)),
            ]
        })
    }

    fn flow(n: &Node) -> String {
        match n {
            Node::Scalar(s) => (*s).to_owned(),
            Node::Seq(items, _) => {
                format!(
                    "[{}]",
                    items.iter().map(flow).collect::<Vec<_>>().join(", ")
                )
            }
            Node::Map(entries, _) => format!(
                "{{{}}}",
                entries
                    .iter()
                    .map(|(k, v)| format!("{k}: {}", flow(v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// `n` in block style where it asks for it, at `indent`; a value that fits on the line of
    /// its key or dash comes back starting with a space.
    fn block(n: &Node, indent: usize) -> String {
        let pad = " ".repeat(indent);
        match n {
            Node::Seq(items, false) if !items.is_empty() => items
                .iter()
                .map(|v| format!("\n{pad}-{}", block(v, indent + 2)))
                .collect(),
            Node::Map(entries, false) if !entries.is_empty() => entries
                .iter()
                .map(|(k, v)| format!("\n{pad}{k}:{}", block(v, indent + 2)))
                .collect(),
            other => format!(" {}", flow(other)),
        }
    }

    fn document(n: &Node) -> String {
        let text = block(n, 0);
        text.strip_prefix('\n')
            .unwrap_or(&text)
            .trim_start()
            .to_owned()
            + "\n"
    }

    fn saphyr<T: serde::de::DeserializeOwned>(yaml: &str) -> std::result::Result<T, String> {
        serde_saphyr::from_str_with_options(yaml, super::super::yaml::yaml_options())
            .map_err(|e| e.to_string())
    }

    /// The properties below compare only documents the quick reader takes: it must take most of
    /// them, or they would hold by comparing nothing.
    #[test]
    fn the_quick_reader_takes_most_generated_documents() {
        use proptest::strategy::{Strategy, ValueTree};
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let (mut taken, n) = (0, 400);
        for _ in 0..n {
            let yaml = document(&node().new_tree(&mut runner).unwrap().current());
            if let Some(quick) = from_str::<Value>(&yaml) {
                taken += 1;
                assert_eq!(Ok(quick), saphyr::<Value>(&yaml), "{yaml}");
            }
        }
        assert!(taken * 4 >= n, "the quick reader took {taken} of {n}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn values_read_quickly_are_what_serde_saphyr_reads(n in node()) {
            let yaml = document(&n);
            if let Some(quick) = from_str::<Value>(&yaml) {
                let full: std::result::Result<Value, String> = saphyr(&yaml);
                prop_assert_eq!(Ok(quick), full, "{}", yaml);
            }
        }

        #[test]
        fn suites_read_quickly_are_what_serde_saphyr_reads(
            tasks in proptest::collection::vec(
                (
                    proptest::sample::select(SCALARS),
                    proptest::sample::select(SCALARS),
                    proptest::sample::select(SCALARS),
                    proptest::collection::vec((proptest::sample::select(KEYS), node()), 0..3),
                    proptest::option::of(proptest::sample::select(&["tune", "holdout", "'tune'", "other"][..])),
                    proptest::collection::vec(proptest::sample::select(SCALARS), 0..2),
                ),
                1..4,
            )
        ) {
            let mut yaml = String::from("name: props\ntasks:\n");
            for (id, prompt, tool, args, split, tags) in &tasks {
                yaml.push_str(&format!("  - id: {id}\n    prompt: {prompt}\n"));
                if args.is_empty() && tool.len() % 2 == 0 {
                    yaml.push_str("    expect: none\n");
                } else {
                    yaml.push_str(&format!("    expect:\n      tool: {tool}\n"));
                    let args = Node::Map(args.clone(), false);
                    yaml.push_str(&format!("      args:{}\n", block(&args, 8)));
                }
                if let Some(split) = split {
                    yaml.push_str(&format!("    split: {split}\n"));
                }
                if !tags.is_empty() {
                    yaml.push_str(&format!("    tags: [{}]\n", tags.join(", ")));
                }
            }
            if let Some(quick) = from_str::<crate::config::Suite>(&yaml) {
                let full = saphyr::<crate::config::Suite>(&yaml)
                    .map(|s| serde_json::to_value(&s).unwrap());
                prop_assert_eq!(Ok(serde_json::to_value(&quick).unwrap()), full, "{}", yaml);
            }
        }
    }
}
