//! The schema as Anthropic's Messages API takes it.

use serde_json::Value;

use super::{Change, Piece, Rules, assemble, keyword, not_an_object, object_branches};

/// The schema as Anthropic's Messages API takes it in `input_schema`.
///
/// The API takes JSON Schema as it is, except at the top level: it must be `type: object`, and
/// `oneOf`, `anyOf` and `allOf` are refused there. A top-level `allOf` of object schemas is merged
/// into the top level; any other is dropped, like `oneOf` and `anyOf`.
pub(crate) fn anthropic(schema: &Value) -> (Value, Vec<Change>) {
    let Some(top) = schema.as_object() else {
        return not_an_object(schema);
    };
    let mut pieces = Vec::new();
    if !top.contains_key("type") {
        pieces.push(Piece::own(
            vec![("type".into(), "object".into())],
            vec![Change::new("", "type", "set to object")],
        ));
    }
    for (key, value) in top {
        match key.as_str() {
            "type" if value == "object" => pieces.push(Piece::keep(key, value)),
            "type" => pieces.push(Piece::own(
                vec![("type".into(), "object".into())],
                vec![Change::new("", keyword(key, value), "set to object")],
            )),
            "oneOf" | "anyOf" => pieces.push(Piece::dropped("", key)),
            "allOf" => match object_branches(schema, value) {
                Some(branches) => {
                    pieces.push(Piece::note(Change::new(
                        "",
                        "allOf",
                        "merged into the top level",
                    )));
                    for (from, branch) in branches {
                        pieces.push(Piece::merged(from, branch.clone(), vec![]));
                    }
                }
                None => pieces.push(Piece::dropped("", key)),
            },
            _ => pieces.push(Piece::keep(key, value)),
        }
    }
    let (out, changes) = assemble(pieces, "", Rules::Anthropic);
    (Value::Object(out), changes)
}
