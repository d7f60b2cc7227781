use super::*;

fn c(at: &str, feature: &str, action: &str) -> Change {
    Change::new(at, feature, action)
}

/// The schema as Gemini takes it, and its changes as `(at, feature, action)`.
fn g(schema: Value) -> (Value, Vec<(String, String, String)>) {
    let (out, changes) = gemini(&schema);
    (out, triples(changes))
}

fn a(schema: Value) -> (Value, Vec<(String, String, String)>) {
    let (out, changes) = anthropic(&schema);
    (out, triples(changes))
}

fn triples(changes: Vec<Change>) -> Vec<(String, String, String)> {
    changes
        .into_iter()
        .map(|c| (c.at, c.feature, c.action))
        .collect()
}

/// The change of a schema that had no type and says nothing of one.
const MISSING_TYPE: &str =
    "missing: sent as string (Gemini needs a type; any value can be written as text)";

/// The change of a type list split into `anyOf` branches.
const SPLIT: &str = "sent as anyOf, each type with its own keywords";

/// The change of an enum of values other than text.
const ENUM_DESCRIBED: &str =
    "dropped, the values named in the description (Gemini takes enum on strings only)";

fn t(at: &str, feature: &str, action: &str) -> (String, String, String) {
    (at.into(), feature.into(), action.into())
}

/// Gemini's changes for one property schema, `/properties/p`, and what it became.
fn prop(schema: Value) -> (Value, Vec<(String, String, String)>) {
    let (out, changes) = g(json!({ "type": "object", "properties": { "p": schema } }));
    (out["properties"]["p"].clone(), changes)
}

#[test]
fn describe_names_the_feature_the_place_and_the_action() {
    assert_eq!(
        c("/properties/to", "format: email", "dropped").describe(),
        "`format: email` at /properties/to dropped"
    );
    assert_eq!(
        c("", "oneOf", "dropped").describe(),
        "`oneOf` at the top level dropped"
    );
}

#[test]
fn a_change_round_trips_through_json() {
    let change = c("/properties/when", "$ref: #/$defs/Point", "inlined");
    let text = serde_json::to_string(&change).unwrap();
    assert_eq!(
        text,
        r##"{"at":"/properties/when","feature":"$ref: #/$defs/Point","action":"inlined"}"##
    );
    assert_eq!(serde_json::from_str::<Change>(&text).unwrap(), change);
}

// Anthropic

#[test]
fn anthropic_takes_a_plain_schema_as_it_is() {
    let schema = json!({
        "type": "object",
        "description": "Send a message.",
        "properties": {
            "to": { "type": "string", "format": "email" },
            "body": { "oneOf": [{ "type": "string" }, { "$ref": "#/$defs/Rich" }] },
            "tags": { "type": "array", "items": { "type": "string" }, "uniqueItems": true },
            "at": { "type": ["string", "null"], "format": "date-time" }
        },
        "required": ["to", "body"],
        "additionalProperties": false,
        "$defs": { "Rich": { "type": "object", "properties": { "html": { "type": "string" } } } }
    });
    let (out, changes) = anthropic(&schema);
    assert_eq!(changes, vec![]);
    assert_eq!(
        serde_json::to_string(&out).unwrap(),
        serde_json::to_string(&schema).unwrap(),
        "same keys in the same order"
    );
}

#[test]
fn anthropic_drops_top_level_one_of_and_any_of() {
    let (out, changes) = a(json!({
        "type": "object",
        "properties": { "id": { "type": "string" }, "name": { "type": "string" } },
        "oneOf": [{ "required": ["id"] }, { "required": ["name"] }],
        "anyOf": [{ "required": ["id"] }]
    }));
    assert_eq!(
        out,
        json!({
            "type": "object",
            "properties": { "id": { "type": "string" }, "name": { "type": "string" } }
        })
    );
    assert_eq!(
        changes,
        vec![t("", "oneOf", "dropped"), t("", "anyOf", "dropped")]
    );
}

#[test]
fn anthropic_sends_a_top_level_union_of_objects_as_one_object() {
    // "input_schema does not support oneOf, allOf, or anyOf at the top level" (claude-code#4886):
    // dropped alone, the tool would have no parameters.
    let (out, changes) = a(json!({
        "anyOf": [
            { "type": "object", "properties": { "op": { "const": "delete" }, "path": { "type": "string" } }, "required": ["op", "path"] },
            { "type": "object", "properties": { "op": { "const": "append" }, "path": { "type": "string" }, "text": { "type": "string" } }, "required": ["op", "path", "text"] }
        ]
    }));
    assert_eq!(
        out,
        json!({
            "type": "object",
            "properties": {
                "op": { "anyOf": [{ "const": "delete" }, { "const": "append" }] },
                "path": { "type": "string" },
                "text": { "type": "string" }
            },
            "required": ["op", "path"]
        })
    );
    assert!(jsonschema::draft202012::meta::is_valid(&out));
    assert_eq!(
        changes,
        vec![
            t("", "type", "set to object"),
            t(
                "",
                "anyOf",
                "sent as one object: the branches' properties merged, required only what every branch requires"
            )
        ]
    );
}

#[test]
fn anthropic_merges_a_top_level_all_of_of_objects() {
    let (out, changes) = a(json!({
        "type": "object",
        "allOf": [
            { "type": "object", "properties": { "page": { "type": "integer" } } },
            { "$ref": "#/$defs/Query" }
        ],
        "properties": { "verbose": { "type": "boolean" } },
        "required": ["verbose"],
        "$defs": {
            "Query": {
                "type": "object",
                "description": "A search.",
                "properties": { "q": { "type": "string" } },
                "required": ["q"]
            }
        }
    }));
    assert_eq!(
        serde_json::to_string(&out).unwrap(),
        serde_json::to_string(&json!({
            "type": "object",
            "properties": {
                "page": { "type": "integer" },
                "q": { "type": "string" },
                "verbose": { "type": "boolean" }
            },
            "description": "A search.",
            "required": ["q", "verbose"],
            "$defs": {
                "Query": {
                    "type": "object",
                    "description": "A search.",
                    "properties": { "q": { "type": "string" } },
                    "required": ["q"]
                }
            }
        }))
        .unwrap()
    );
    assert_eq!(changes, vec![t("", "allOf", "merged into the top level")]);
}

#[test]
fn anthropic_sends_a_property_defined_twice_as_the_all_of_of_both() {
    let (out, changes) = a(json!({
        "type": "object",
        "properties": { "n": { "type": "integer" } },
        "allOf": [
            { "properties": { "n": { "minimum": 1 }, "m": { "type": "string" } } },
            { "properties": { "m": { "type": "string" } }, "description": "Mixin." }
        ],
        "description": "Own."
    }));
    assert_eq!(
        out,
        json!({
            "type": "object",
            "properties": {
                "n": { "allOf": [{ "type": "integer" }, { "minimum": 1 }] },
                "m": { "type": "string" }
            },
            "description": "Own."
        })
    );
    assert_eq!(
        changes,
        vec![
            t("", "allOf", "merged into the top level"),
            t("/allOf/0", "properties: n", "combined with allOf"),
            t("/allOf/1", "description", "dropped (overridden)"),
        ]
    );
}

#[test]
fn anthropic_drops_a_top_level_all_of_that_is_not_all_objects() {
    let (out, changes) = a(json!({
        "type": "object",
        "properties": { "x": { "type": "number" } },
        "allOf": [{ "properties": { "x": {} } }, { "not": { "required": ["x"] } }]
    }));
    assert_eq!(
        out,
        json!({ "type": "object", "properties": { "x": { "type": "number" } } })
    );
    assert_eq!(changes, vec![t("", "allOf", "dropped")]);
}

#[test]
fn anthropic_sets_the_top_level_type_to_object() {
    let (out, changes) = a(json!({ "properties": { "x": { "type": "string" } } }));
    assert_eq!(
        serde_json::to_string(&out).unwrap(),
        r#"{"type":"object","properties":{"x":{"type":"string"}}}"#
    );
    assert_eq!(changes, vec![t("", "type", "set to object")]);

    let (out, changes) = a(json!({ "description": "d", "type": ["object", "null"] }));
    assert_eq!(
        serde_json::to_string(&out).unwrap(),
        r#"{"description":"d","type":"object"}"#
    );
    assert_eq!(
        changes,
        vec![t("", r#"type: ["object", "null"]"#, "set to object")]
    );
}

#[test]
fn anthropic_rewrites_older_drafts_as_2020_12() {
    // "JSON schema is invalid. It must match JSON Schema draft 2020-12": zod's tuple
    // (claude-code#586), draft-04's boolean exclusiveMinimum (Dokploy/mcp#74).
    let schema = json!({
        "type": "object",
        "properties": {
            "point": { "type": "array", "items": [{ "type": "number" }, { "type": "number" }], "additionalItems": false },
            "page": { "type": "integer", "exclusiveMinimum": true, "minimum": 0, "maximum": 9007199254740991_u64 },
            "ratio": { "type": "number", "exclusiveMaximum": false, "maximum": 1 },
            "nested": { "type": "object", "properties": { "pair": { "type": "array", "items": [{ "type": "string" }] } } },
            "card": { "type": "string" },
            "cvc": { "type": "string" }
        },
        "dependencies": { "card": ["cvc"], "cvc": { "required": ["card"] } }
    });
    assert!(
        !jsonschema::draft202012::meta::is_valid(&schema),
        "the schema as written is not 2020-12"
    );
    let (out, changes) = a(schema);
    assert!(jsonschema::draft202012::meta::is_valid(&out), "{out}");
    assert_eq!(
        out["properties"]["point"],
        json!({ "type": "array", "prefixItems": [{ "type": "number" }, { "type": "number" }], "items": false })
    );
    assert_eq!(
        out["properties"]["page"],
        json!({ "type": "integer", "maximum": 9007199254740991_u64, "exclusiveMinimum": 0 })
    );
    assert_eq!(
        out["properties"]["ratio"],
        json!({ "type": "number", "maximum": 1 })
    );
    assert_eq!(
        out["properties"]["nested"]["properties"]["pair"],
        json!({ "type": "array", "prefixItems": [{ "type": "string" }] })
    );
    assert_eq!(out["dependentRequired"], json!({ "card": ["cvc"] }));
    assert_eq!(
        out["dependentSchemas"],
        json!({ "cvc": { "required": ["card"] } })
    );
    assert_eq!(
        changes,
        vec![
            t(
                "",
                "dependencies",
                "sent as dependentRequired (JSON Schema 2020-12)"
            ),
            t(
                "",
                "dependencies",
                "sent as dependentSchemas (JSON Schema 2020-12)"
            ),
            t(
                "/properties/point",
                "items (tuple)",
                "sent as prefixItems (JSON Schema 2020-12)"
            ),
            t(
                "/properties/point",
                "additionalItems",
                "sent as items (JSON Schema 2020-12)"
            ),
            t(
                "/properties/page",
                "exclusiveMinimum: true",
                "sent as exclusiveMinimum: 0 in place of minimum (JSON Schema 2020-12)"
            ),
            t(
                "/properties/ratio",
                "exclusiveMaximum: false",
                "dropped (JSON Schema 2020-12 takes a number there)"
            ),
            t(
                "/properties/nested/properties/pair",
                "items (tuple)",
                "sent as prefixItems (JSON Schema 2020-12)"
            ),
        ]
    );
}

#[test]
fn anthropic_names_what_is_still_not_2020_12() {
    let (out, _) = a(json!({ "type": "object", "properties": { "n": { "type": "int" } } }));
    let why = not_2020_12(&out).expect("`type: int` is not JSON Schema");
    assert!(why.starts_with("at /properties/n/type: "), "{why}");
    assert_eq!(not_2020_12(&json!({ "type": "object" })), None);
}

#[test]
fn a_schema_that_is_not_an_object_is_replaced() {
    for convert in [anthropic, gemini] {
        let (out, changes) = convert(&json!(true));
        assert_eq!(out, json!({ "type": "object" }));
        assert_eq!(
            changes,
            vec![c("", "true", "replaced by {\"type\": \"object\"}")]
        );
    }
}

// Gemini

#[test]
fn gemini_takes_a_schema_of_supported_keywords_as_it_is() {
    let schema = json!({
        "type": "object",
        "title": "Query",
        "description": "Search the logs.",
        "properties": {
            "service": { "type": "string", "enum": ["checkout", "payments"], "default": "checkout" },
            "since": { "type": "string", "format": "date-time", "example": "2026-11-30T13:52:00Z" },
            "limit": { "type": "integer", "format": "int32", "minimum": 1, "maximum": 500 },
            "ratio": { "type": "number", "format": "double", "nullable": true },
            "level": { "type": "string", "format": "enum", "enum": ["info", "error"] },
            "text": { "type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[a-z]+$" },
            "ids": { "type": "array", "items": { "type": "string" }, "minItems": 1, "maxItems": 10 },
            "filter": {
                "type": "object",
                "properties": { "key": { "type": "string" } },
                "required": ["key"],
                "minProperties": 1,
                "maxProperties": 3,
                "propertyOrdering": ["key"]
            },
            "either": { "anyOf": [{ "type": "string" }, { "type": "integer" }] }
        },
        "required": ["service"]
    });
    let (out, changes) = gemini(&schema);
    assert_eq!(changes, vec![]);
    assert_eq!(
        serde_json::to_string(&out).unwrap(),
        serde_json::to_string(&schema).unwrap(),
        "same keys in the same order"
    );
}

#[test]
fn property_names_that_look_like_keywords_are_names() {
    let schema = json!({
        "type": "object",
        "properties": {
            "format": { "type": "string" },
            "$ref": { "type": "string" },
            "additionalProperties": { "type": "boolean" },
            "$defs": { "type": "string" },
            "not": { "type": "string", "default": { "format": "email", "$ref": "#/x" } }
        },
        "required": ["format", "$ref", "additionalProperties", "$defs", "not"]
    });
    for convert in [anthropic, gemini] {
        let (out, changes) = convert(&schema);
        assert_eq!(changes, vec![]);
        assert_eq!(out, schema);
    }
}

#[test]
fn data_is_never_read_as_schema() {
    let (out, changes) = prop(json!({
        "type": "object",
        "default": { "format": "email", "oneOf": [1], "$ref": "#/nowhere" },
        "example": { "additionalProperties": false },
        "properties": { "s": { "type": "string", "enum": ["{\"$ref\": \"#\"}"] } }
    }));
    assert_eq!(
        out,
        json!({
            "type": "object",
            "default": { "format": "email", "oneOf": [1], "$ref": "#/nowhere" },
            "example": { "additionalProperties": false },
            "properties": { "s": { "type": "string", "enum": ["{\"$ref\": \"#\"}"] } }
        })
    );
    assert_eq!(changes, vec![]);
}

#[test]
fn formats_are_kept_only_where_gemini_takes_them() {
    let cases = [
        ("string", "date-time", true),
        ("string", "enum", true),
        ("integer", "int32", true),
        ("integer", "int64", true),
        ("number", "float", true),
        ("number", "double", true),
        ("string", "email", false),
        ("string", "uri", false),
        ("string", "date", false),
        ("string", "uuid", false),
        ("number", "int32", false),
        ("integer", "double", false),
        ("string", "int64", false),
    ];
    for (ty, format, kept) in cases {
        let (out, changes) = prop(json!({ "type": ty, "format": format }));
        if kept {
            assert_eq!(
                out,
                json!({ "type": ty, "format": format }),
                "{ty} {format}"
            );
            assert_eq!(changes, vec![], "{ty} {format}");
        } else {
            assert_eq!(out, json!({ "type": ty }), "{ty} {format}");
            assert_eq!(
                changes,
                vec![t("/properties/p", &format!("format: {format}"), "dropped")]
            );
        }
    }
    let (out, changes) = prop(json!({ "type": ["string", "null"], "format": "date-time" }));
    assert_eq!(
        out,
        json!({ "type": "string", "nullable": true, "format": "date-time" })
    );
    assert_eq!(
        changes,
        vec![t(
            "/properties/p",
            r#"type: ["string", "null"]"#,
            "sent as nullable"
        )]
    );
    let (out, changes) = prop(json!({ "format": "date-time" }));
    assert_eq!(out, json!({ "type": "string" }));
    assert_eq!(
        changes,
        vec![
            t("/properties/p", "format: date-time", "dropped"),
            t("/properties/p", "type", MISSING_TYPE)
        ]
    );
}

#[test]
fn type_arrays_become_nullable_or_any_of() {
    let (out, changes) = prop(json!({ "type": ["string", "null"], "description": "d" }));
    assert_eq!(
        serde_json::to_string(&out).unwrap(),
        r#"{"type":"string","nullable":true,"description":"d"}"#
    );
    assert_eq!(
        changes,
        vec![t(
            "/properties/p",
            r#"type: ["string", "null"]"#,
            "sent as nullable"
        )]
    );

    let (out, changes) = prop(json!({ "type": ["string", "integer"] }));
    assert_eq!(
        out,
        json!({ "anyOf": [{ "type": "string" }, { "type": "integer" }] })
    );
    assert_eq!(
        changes,
        vec![t("/properties/p", r#"type: ["string", "integer"]"#, SPLIT)]
    );

    let (out, changes) = prop(json!({ "type": ["null", "string", "integer"] }));
    assert_eq!(
        out,
        json!({ "anyOf": [{ "type": "string" }, { "type": "integer" }], "nullable": true })
    );
    assert_eq!(
        changes,
        vec![t(
            "/properties/p",
            r#"type: ["null", "string", "integer"]"#,
            SPLIT
        )]
    );

    let (out, changes) = prop(json!({ "type": ["boolean"] }));
    assert_eq!(out, json!({ "type": "boolean" }));
    assert_eq!(
        changes,
        vec![t(
            "/properties/p",
            r#"type: ["boolean"]"#,
            "sent as a single type"
        )]
    );
}

#[test]
fn types_gemini_cannot_take_are_dropped() {
    for (ty, feature) in [
        (json!("null"), "type: null"),
        (json!(["null"]), r#"type: ["null"]"#),
        (json!("any"), "type: any"),
        (json!(["string", "date"]), r#"type: ["string", "date"]"#),
        (json!([]), "type: []"),
        (json!(3), "type: 3"),
    ] {
        let (out, changes) = prop(json!({ "type": ty, "description": "d" }));
        assert_eq!(
            out,
            json!({ "type": "string", "description": "d" }),
            "{feature}"
        );
        assert_eq!(
            changes,
            vec![
                t("/properties/p", feature, "dropped"),
                t("/properties/p", "type", MISSING_TYPE)
            ]
        );
    }
    let (out, changes) = prop(json!({
        "type": ["string", "integer"],
        "anyOf": [{ "minimum": 0 }, { "minLength": 1 }]
    }));
    // Each branch takes the type its keywords say.
    assert_eq!(
        out,
        json!({ "anyOf": [{ "type": "number", "minimum": 0 }, { "type": "string", "minLength": 1 }] })
    );
    assert_eq!(
        changes,
        vec![
            t("/properties/p", r#"type: ["string", "integer"]"#, "dropped"),
            t(
                "/properties/p/anyOf/0",
                "type",
                "missing: sent as number, as its keywords say"
            ),
            t(
                "/properties/p/anyOf/1",
                "type",
                "missing: sent as string, as its keywords say"
            ),
        ]
    );
}

#[test]
fn one_of_is_sent_as_any_of() {
    let (out, changes) = prop(json!({
        "description": "A point or a name.",
        "oneOf": [
            { "type": "string", "format": "email" },
            { "type": "object", "properties": { "x": { "type": "number" } }, "additionalProperties": false }
        ]
    }));
    assert_eq!(
        out,
        json!({
            "description": "A point or a name.",
            "anyOf": [
                { "type": "string" },
                { "type": "object", "properties": { "x": { "type": "number" } } }
            ]
        })
    );
    assert_eq!(
        changes,
        vec![
            t("/properties/p", "oneOf", "sent as anyOf"),
            t("/properties/p/oneOf/0", "format: email", "dropped"),
            t("/properties/p/oneOf/1", "additionalProperties", "dropped"),
        ]
    );
}

#[test]
fn a_null_branch_becomes_nullable_and_a_lone_branch_is_merged() {
    // How pydantic writes `Optional[str] = None`.
    let (out, changes) = prop(json!({
        "anyOf": [{ "type": "string" }, { "type": "null" }],
        "default": null,
        "title": "Name"
    }));
    assert_eq!(
        serde_json::to_string(&out).unwrap(),
        r#"{"type":"string","nullable":true,"default":null,"title":"Name"}"#
    );
    assert_eq!(
        changes,
        vec![t("/properties/p/anyOf/1", "type: null", "sent as nullable")]
    );

    let (out, changes) = prop(json!({
        "oneOf": [{ "type": "integer" }, { "type": "string" }, { "type": "null" }]
    }));
    assert_eq!(
        out,
        json!({ "anyOf": [{ "type": "integer" }, { "type": "string" }], "nullable": true })
    );
    assert_eq!(
        changes,
        vec![
            t("/properties/p", "oneOf", "sent as anyOf"),
            t("/properties/p/oneOf/2", "type: null", "sent as nullable"),
        ]
    );

    let (out, changes) = prop(json!({ "oneOf": [{ "type": "integer", "minimum": 0 }] }));
    assert_eq!(out, json!({ "type": "integer", "minimum": 0 }));
    assert_eq!(changes, vec![t("/properties/p", "oneOf", "merged")]);

    let (out, changes) = prop(json!({ "anyOf": [] }));
    assert_eq!(out, json!({ "type": "string" }));
    assert_eq!(
        changes,
        vec![
            t("/properties/p", "anyOf", "dropped"),
            t("/properties/p", "type", MISSING_TYPE)
        ]
    );
}

#[test]
fn one_of_beside_any_of_is_dropped() {
    let (out, changes) = prop(json!({
        "anyOf": [{ "type": "string" }, { "type": "integer" }],
        "oneOf": [{ "minimum": 1 }, { "maximum": 0 }]
    }));
    assert_eq!(
        out,
        json!({ "anyOf": [{ "type": "string" }, { "type": "integer" }] })
    );
    assert_eq!(changes, vec![t("/properties/p", "oneOf", "dropped")]);
}

#[test]
fn all_of_of_objects_is_merged() {
    let (out, changes) = prop(json!({
        "allOf": [
            {
                "type": "object",
                "description": "Paging.",
                "properties": { "page": { "type": "integer", "format": "uint32" } },
                "required": ["page"]
            },
            {
                "properties": { "q": { "type": "string" } },
                "required": ["q"],
                "additionalProperties": false
            }
        ],
        "required": ["extra"]
    }));
    assert_eq!(
        serde_json::to_string(&out).unwrap(),
        serde_json::to_string(&json!({
            "type": "object",
            "description": "Paging.",
            "properties": { "page": { "type": "integer" }, "q": { "type": "string" } },
            "required": ["page", "q"]
        }))
        .unwrap()
    );
    assert_eq!(
        changes,
        vec![
            t("/properties/p", "allOf", "merged"),
            t(
                "/properties/p/allOf/0/properties/page",
                "format: uint32",
                "dropped"
            ),
            t("/properties/p/allOf/1", "additionalProperties", "dropped"),
            t("/properties/p", "required: extra", "dropped"),
        ]
    );
}

#[test]
fn all_of_keeps_the_schemas_own_keywords_and_the_first_definition() {
    let (out, changes) = prop(json!({
        "description": "Own.",
        "allOf": [
            { "type": "object", "description": "First.", "properties": { "a": { "type": "string" } } },
            { "type": "object", "properties": { "a": { "type": "integer" }, "b": { "type": "string" } } }
        ]
    }));
    assert_eq!(
        out,
        json!({
            "description": "Own.",
            "type": "object",
            "properties": { "a": { "type": "string" }, "b": { "type": "string" } }
        })
    );
    assert_eq!(
        changes,
        vec![
            t("/properties/p", "allOf", "merged"),
            t(
                "/properties/p/allOf/0",
                "description",
                "dropped (overridden)"
            ),
            t(
                "/properties/p/allOf/1",
                "properties: a",
                "dropped (overridden)"
            ),
        ]
    );
}

#[test]
fn all_of_that_is_not_all_objects_is_dropped() {
    let (out, changes) = prop(json!({
        "type": "string",
        "allOf": [{ "minLength": 1 }, { "format": "email" }]
    }));
    assert_eq!(out, json!({ "type": "string" }));
    assert_eq!(changes, vec![t("/properties/p", "allOf", "dropped")]);

    let (out, changes) = prop(json!({ "allOf": [{ "type": "object" }, false] }));
    assert_eq!(out, json!({ "type": "string" }));
    assert_eq!(
        changes,
        vec![
            t("/properties/p", "allOf", "dropped"),
            t("/properties/p", "type", MISSING_TYPE)
        ]
    );
}

#[test]
fn a_lone_all_of_branch_is_merged_whatever_it_is() {
    // How pydantic v1 writes a described field of an enum type.
    let (out, changes) = g(json!({
        "type": "object",
        "properties": {
            "color": { "description": "The color.", "allOf": [{ "$ref": "#/definitions/Color" }] }
        },
        "definitions": {
            "Color": { "title": "Color", "description": "An enumeration.", "enum": ["red", "green"], "type": "string" }
        }
    }));
    assert_eq!(
        out["properties"]["color"],
        json!({ "description": "The color.", "title": "Color", "enum": ["red", "green"], "type": "string" })
    );
    assert_eq!(
        changes,
        vec![
            t("/properties/color", "allOf", "merged"),
            t(
                "/properties/color/allOf/0",
                "$ref: #/definitions/Color",
                "inlined"
            ),
            // Reported where the definition was merged, not where it was written.
            t(
                "/properties/color/allOf/0",
                "description",
                "dropped (overridden)"
            ),
        ]
    );
}

#[test]
fn local_refs_are_inlined_and_their_definitions_removed() {
    let (out, changes) = g(json!({
        "type": "object",
        "properties": {
            "from": { "$ref": "#/$defs/Point" },
            "to": { "$ref": "#/$defs/Point", "description": "Where to." },
            "inner": { "$ref": "#/$defs/Shape/properties/center" },
            "legacy": { "$ref": "#/definitions/Size" },
            "escaped": { "$ref": "#/$defs/a~1b%20c" }
        },
        "$defs": {
            "Point": {
                "type": "object",
                "description": "A point.",
                "properties": { "x": { "type": "number" }, "y": { "type": "number" } },
                "required": ["x", "y"]
            },
            "Shape": { "type": "object", "properties": { "center": { "type": "string", "format": "email" } } },
            "a/b c": { "type": "boolean" },
            "Unused": { "type": "string", "format": "email" }
        },
        "definitions": { "Size": { "type": "integer", "exclusiveMinimum": 0 } }
    }));
    let point = json!({
        "type": "object",
        "description": "A point.",
        "properties": { "x": { "type": "number" }, "y": { "type": "number" } },
        "required": ["x", "y"]
    });
    let mut to = point.clone();
    to["description"] = json!("Where to.");
    assert_eq!(
        out,
        json!({
            "type": "object",
            "properties": {
                "from": point,
                "to": to,
                "inner": { "type": "string" },
                "legacy": { "type": "integer" },
                "escaped": { "type": "boolean" }
            }
        })
    );
    assert_eq!(
        changes,
        vec![
            t("/properties/from", "$ref: #/$defs/Point", "inlined"),
            t("/properties/to", "$ref: #/$defs/Point", "inlined"),
            t("/$defs/Point", "description", "dropped (overridden)"),
            t(
                "/properties/inner",
                "$ref: #/$defs/Shape/properties/center",
                "inlined"
            ),
            t("/$defs/Shape/properties/center", "format: email", "dropped"),
            t("/properties/legacy", "$ref: #/definitions/Size", "inlined"),
            t("/definitions/Size", "exclusiveMinimum", "dropped"),
            t("/properties/escaped", "$ref: #/$defs/a~1b%20c", "inlined"),
        ]
    );
}

#[test]
fn an_optional_reference_becomes_the_nullable_definition() {
    // How pydantic v2 writes `Optional[Color] = None`.
    let (out, changes) = g(json!({
        "type": "object",
        "properties": {
            "color": {
                "anyOf": [{ "$ref": "#/$defs/Color" }, { "type": "null" }],
                "default": null,
                "description": "Paint color."
            }
        },
        "$defs": { "Color": { "enum": ["red", "green"], "title": "Color", "type": "string" } }
    }));
    assert_eq!(
        serde_json::to_string(&out["properties"]["color"]).unwrap(),
        r#"{"enum":["red","green"],"title":"Color","type":"string","nullable":true,"default":null,"description":"Paint color."}"#
    );
    assert_eq!(
        changes,
        vec![
            t(
                "/properties/color/anyOf/0",
                "$ref: #/$defs/Color",
                "inlined"
            ),
            t(
                "/properties/color/anyOf/1",
                "type: null",
                "sent as nullable"
            ),
        ]
    );
}

#[test]
fn a_schema_that_is_a_reference_is_inlined_at_the_top() {
    let (out, changes) = g(json!({
        "$ref": "#/$defs/Input",
        "$defs": {
            "Input": { "type": "object", "properties": { "q": { "type": "string" } }, "required": ["q"] }
        }
    }));
    assert_eq!(
        out,
        json!({ "type": "object", "properties": { "q": { "type": "string" } }, "required": ["q"] })
    );
    assert_eq!(changes, vec![t("", "$ref: #/$defs/Input", "inlined")]);
}

#[test]
fn changes_inside_a_definition_are_reported_once() {
    let (_, changes) = g(json!({
        "type": "object",
        "properties": {
            "a": { "$ref": "#/$defs/Mail" },
            "b": { "type": "array", "items": { "$ref": "#/$defs/Mail" } }
        },
        "$defs": { "Mail": { "type": "string", "format": "email" } }
    }));
    assert_eq!(
        changes,
        vec![
            t("/properties/a", "$ref: #/$defs/Mail", "inlined"),
            t("/$defs/Mail", "format: email", "dropped"),
            t("/properties/b/items", "$ref: #/$defs/Mail", "inlined"),
        ]
    );
}

#[test]
fn refs_that_cannot_be_resolved_are_dropped() {
    for reference in [
        "#/$defs/Missing",
        "https://example.com/schema.json#/$defs/Point",
        "other.json",
        "#anchor",
        "#/$defs/%zz",
    ] {
        let (out, changes) = prop(json!({ "$ref": reference, "description": "d" }));
        assert_eq!(
            out,
            json!({ "type": "string", "description": "d" }),
            "{reference}"
        );
        assert_eq!(
            changes,
            vec![
                t("/properties/p", &format!("$ref: {reference}"), "dropped"),
                t("/properties/p", "type", MISSING_TYPE)
            ]
        );
    }
}

#[test]
fn a_recursive_ref_is_cut_with_an_object() {
    let (out, changes) = g(json!({
        "type": "object",
        "properties": { "root": { "$ref": "#/$defs/Node" } },
        "$defs": {
            "Node": {
                "type": "object",
                "properties": {
                    "name": { "type": "string" },
                    "children": { "type": "array", "items": { "$ref": "#/$defs/Node" } },
                    "parent": { "$ref": "#", "description": "The whole request." }
                }
            }
        }
    }));
    assert_eq!(
        out,
        json!({
            "type": "object",
            "properties": {
                "root": {
                    "type": "object",
                    "properties": {
                        "name": { "type": "string" },
                        "children": { "type": "array", "items": { "type": "object" } },
                        "parent": { "type": "object", "description": "The whole request." }
                    }
                }
            }
        })
    );
    assert_eq!(
        changes,
        vec![
            t("/properties/root", "$ref: #/$defs/Node", "inlined"),
            t(
                "/$defs/Node/properties/children/items",
                "$ref: #/$defs/Node",
                "dropped (recursive)"
            ),
            t(
                "/$defs/Node/properties/parent",
                "$ref: #",
                "dropped (recursive)"
            ),
        ]
    );
}

#[test]
fn mutually_recursive_refs_are_cut_where_they_loop() {
    let (out, changes) = g(json!({
        "type": "object",
        "properties": { "a": { "$ref": "#/$defs/A" } },
        "$defs": {
            "A": { "type": "object", "properties": { "b": { "$ref": "#/$defs/B" } } },
            "B": { "type": "object", "properties": { "a": { "$ref": "#/$defs/A" } } }
        }
    }));
    assert_eq!(
        out["properties"]["a"],
        json!({
            "type": "object",
            "properties": {
                "b": { "type": "object", "properties": { "a": { "type": "object" } } }
            }
        })
    );
    assert_eq!(
        changes,
        vec![
            t("/properties/a", "$ref: #/$defs/A", "inlined"),
            t("/$defs/A/properties/b", "$ref: #/$defs/B", "inlined"),
            t(
                "/$defs/B/properties/a",
                "$ref: #/$defs/A",
                "dropped (recursive)"
            ),
        ]
    );
}

#[test]
fn refs_that_fan_out_stop_growing_the_schema() {
    // Each level refers to the next twice: 2^40 copies if inlined in full.
    let mut defs = Map::new();
    for level in 0..40 {
        let next = json!({ "$ref": format!("#/$defs/L{}", level + 1) });
        defs.insert(
            format!("L{level}"),
            json!({ "type": "object", "properties": { "left": next, "right": next } }),
        );
    }
    defs.insert("L40".into(), json!({ "type": "string" }));
    let (out, changes) = gemini(&json!({
        "type": "object",
        "properties": { "tree": { "$ref": "#/$defs/L0" } },
        "$defs": defs
    }));
    assert_eq!(out["type"], "object");
    assert!(
        changes
            .iter()
            .any(|c| c.action == "dropped (too many references)"),
        "{changes:?}"
    );
    assert!(changes.len() < 200, "{} changes", changes.len());
}

#[test]
fn const_is_sent_as_enum_when_it_is_a_string() {
    let (out, changes) = prop(json!({ "type": "string", "const": "utf-8" }));
    assert_eq!(out, json!({ "type": "string", "enum": ["utf-8"] }));
    assert_eq!(
        changes,
        vec![t("/properties/p", "const: utf-8", "sent as enum")]
    );

    // A value that is not text: named in the description, the type kept.
    let (out, changes) = prop(json!({ "type": "integer", "const": 3 }));
    assert_eq!(
        out,
        json!({ "type": "integer", "description": "Allowed values: 3." })
    );
    assert_eq!(
        changes,
        vec![
            t("/properties/p", "const: 3", "sent as enum"),
            t("/properties/p", "enum: [3]", ENUM_DESCRIBED)
        ]
    );

    // With no type, the values say which.
    let (out, changes) = prop(json!({ "const": "a", "enum": ["a", "b"] }));
    assert_eq!(out, json!({ "type": "string", "enum": ["a", "b"] }));
    assert_eq!(
        changes,
        vec![
            t("/properties/p", "const: a", "dropped"),
            t(
                "/properties/p",
                "type",
                "missing: sent as string, as its keywords say"
            )
        ]
    );
}

#[test]
fn enum_takes_strings_only() {
    // "enum: only allowed for STRING type": other values are named in the description.
    let (out, changes) =
        prop(json!({ "type": "integer", "enum": [1, 2, 3], "description": "Page size." }));
    assert_eq!(
        out,
        json!({ "type": "integer", "description": "Page size. Allowed values: 1, 2, 3." })
    );
    assert_eq!(
        changes,
        vec![t("/properties/p", "enum: [1, 2, 3]", ENUM_DESCRIBED)]
    );
    let (out, _) = prop(json!({ "enum": [1, 2] }));
    assert_eq!(
        out,
        json!({ "type": "integer", "description": "Allowed values: 1, 2." })
    );

    let (out, changes) = prop(json!({ "enum": ["a", 1] }));
    assert_eq!(
        out,
        json!({ "type": "string", "description": "Allowed values: \"a\", 1." })
    );
    assert_eq!(
        changes,
        vec![
            t(
                "/properties/p",
                "type",
                "missing: sent as string, as its keywords say"
            ),
            t("/properties/p", "enum: [\"a\", 1]", ENUM_DESCRIBED)
        ]
    );

    let (out, changes) = prop(json!({ "type": "string", "enum": ["asc", "desc", null] }));
    assert_eq!(
        out,
        json!({ "type": "string", "enum": ["asc", "desc"], "nullable": true })
    );
    assert_eq!(
        changes,
        vec![t("/properties/p", "enum", "sent as nullable")]
    );
}

#[test]
fn additional_properties_is_dropped_whatever_its_value() {
    for value in [json!(false), json!(true), json!({ "type": "string" })] {
        let (out, changes) = prop(json!({ "type": "object", "additionalProperties": value }));
        assert_eq!(out, json!({ "type": "object" }));
        assert_eq!(
            changes,
            vec![t("/properties/p", "additionalProperties", "dropped")]
        );
    }
}

#[test]
fn examples_is_sent_as_its_first_example() {
    let (out, changes) = prop(json!({ "type": "string", "examples": ["a", "b"] }));
    assert_eq!(out, json!({ "type": "string", "example": "a" }));
    assert_eq!(
        changes,
        vec![t("/properties/p", "examples", "sent as example")]
    );

    let (out, changes) = prop(json!({ "type": "string", "examples": [] }));
    assert_eq!(out, json!({ "type": "string" }));
    assert_eq!(changes, vec![t("/properties/p", "examples", "dropped")]);

    let (out, changes) = prop(json!({ "type": "string", "example": "x", "examples": ["y"] }));
    assert_eq!(out, json!({ "type": "string", "example": "x" }));
    assert_eq!(changes, vec![t("/properties/p", "examples", "dropped")]);
}

#[test]
fn every_unsupported_keyword_is_dropped_once_in_order() {
    let keywords = [
        "exclusiveMinimum",
        "exclusiveMaximum",
        "not",
        "if",
        "then",
        "else",
        "patternProperties",
        "propertyNames",
        "uniqueItems",
        "multipleOf",
        "contains",
        "prefixItems",
        "dependentRequired",
        "readOnly",
        "writeOnly",
        "deprecated",
        "$comment",
        "$id",
        "$anchor",
        "contentMediaType",
        "contentEncoding",
        "x-vendor",
    ];
    let mut schema = Map::from_iter([("type".to_owned(), json!("number"))]);
    for k in keywords {
        schema.insert(k.to_owned(), json!(1));
    }
    let (out, changes) = prop(Value::Object(schema));
    assert_eq!(out, json!({ "type": "number" }));
    let expected: Vec<_> = keywords
        .iter()
        .map(|k| t("/properties/p", k, "dropped"))
        .collect();
    assert_eq!(changes, expected);
}

#[test]
fn supported_keywords_with_values_gemini_cannot_take_are_dropped() {
    let (out, changes) = prop(json!({
        "type": "string",
        "description": 3,
        "minLength": -1,
        "maximum": "10",
        "nullable": "yes"
    }));
    assert_eq!(out, json!({ "type": "string" }));
    assert_eq!(
        changes,
        vec![
            t("/properties/p", "description", "dropped"),
            t("/properties/p", "minLength", "dropped"),
            t("/properties/p", "maximum", "dropped"),
            t("/properties/p", "nullable", "dropped"),
        ]
    );
}

#[test]
fn tuples_become_items_of_their_members_and_a_length() {
    // Draft-07's tuple (zod's `z.tuple`): "items: missing field." if dropped.
    let (out, changes) = prop(json!({
        "type": "array",
        "items": [{ "type": "number" }, { "type": "number" }],
        "minItems": 2
    }));
    assert_eq!(
        out,
        json!({ "type": "array", "items": { "type": "number" }, "minItems": 2, "maxItems": 2 })
    );
    assert_eq!(
        changes,
        vec![t(
            "/properties/p",
            "items (tuple of 2)",
            "sent as items of one schema, minItems and maxItems 2"
        )]
    );
    // 2020-12's (pydantic's `tuple[str, int]`).
    let (out, changes) = prop(json!({
        "type": "array",
        "prefixItems": [{ "type": "string" }, { "type": "integer" }],
        "items": false
    }));
    assert_eq!(
        out,
        json!({
            "type": "array",
            "items": { "anyOf": [{ "type": "string" }, { "type": "integer" }] },
            "minItems": 2,
            "maxItems": 2
        })
    );
    assert_eq!(
        changes,
        vec![
            t(
                "/properties/p",
                "prefixItems (tuple of 2)",
                "sent as items of anyOf its 2 schemas, minItems and maxItems 2"
            ),
            t(
                "/properties/p",
                "items: false",
                "dropped (beside prefixItems)"
            )
        ]
    );
}

#[test]
fn an_array_without_items_gets_items_of_text() {
    // "items: missing field." (litellm#10251)
    let (out, changes) = prop(json!({ "type": "array", "description": "Tags." }));
    assert_eq!(
        out,
        json!({ "type": "array", "description": "Tags.", "items": { "type": "string" } })
    );
    assert_eq!(
        changes,
        vec![t(
            "/properties/p",
            "items",
            "missing: sent as items of type string (Gemini needs items on an array)"
        )]
    );
}

#[test]
fn every_schema_gets_a_type_the_keywords_say_or_text() {
    // "type: must be specified when not using one_of, any_of or all_of fields" (LibreChat#6971):
    // a Python `Any` or a zod `z.any()` parameter.
    let (out, changes) = prop(json!({}));
    assert_eq!(out, json!({ "type": "string" }));
    assert_eq!(changes, vec![t("/properties/p", "type", MISSING_TYPE)]);
    let (out, _) = prop(json!({ "title": "Payload" }));
    assert_eq!(out, json!({ "type": "string", "title": "Payload" }));
    for (schema, ty) in [
        (
            json!({ "properties": { "a": { "type": "string" } } }),
            "object",
        ),
        (json!({ "items": { "type": "string" } }), "array"),
        (json!({ "pattern": "^a" }), "string"),
        (json!({ "minimum": 0 }), "number"),
        (json!({ "enum": [true, false] }), "boolean"),
    ] {
        let (out, changes) = prop(schema.clone());
        assert_eq!(out["type"], ty, "{schema}");
        assert_eq!(
            changes[0],
            t(
                "/properties/p",
                "type",
                &format!("missing: sent as {ty}, as its keywords say")
            ),
            "{schema}"
        );
    }
}

#[test]
fn keywords_of_another_type_are_dropped() {
    // "items: field predicate failed: $type == Type.ARRAY", "properties: only allowed for
    // OBJECT type".
    let (out, changes) = prop(json!({
        "type": "string",
        "items": { "type": "string" },
        "properties": { "a": { "type": "string" } },
        "required": ["a"]
    }));
    assert_eq!(out, json!({ "type": "string" }));
    assert_eq!(
        changes,
        vec![
            t(
                "/properties/p",
                "items",
                "dropped (Gemini takes it on arrays only)"
            ),
            t(
                "/properties/p",
                "properties",
                "dropped (Gemini takes it on objects only)"
            ),
            t(
                "/properties/p",
                "required",
                "dropped (Gemini takes it on objects only)"
            ),
        ]
    );
}

#[test]
fn a_type_list_splits_into_branches_with_their_own_keywords() {
    // As python-genai's `Schema.from_json_schema` does; Gemini refuses `items` beside the union.
    let (out, changes) = prop(json!({
        "type": ["array", "object", "null"],
        "description": "Rows or one row.",
        "items": { "type": "string" },
        "minItems": 1,
        "properties": { "id": { "type": "integer" } },
        "required": ["id"]
    }));
    assert_eq!(
        out,
        json!({
            "description": "Rows or one row.",
            "anyOf": [
                { "type": "array", "items": { "type": "string" }, "minItems": 1 },
                { "type": "object", "properties": { "id": { "type": "integer" } }, "required": ["id"] }
            ],
            "nullable": true
        })
    );
    assert_eq!(
        changes,
        vec![t(
            "/properties/p",
            r#"type: ["array", "object", "null"]"#,
            SPLIT
        )]
    );
}

#[test]
fn a_top_level_union_of_objects_is_sent_as_one_object() {
    // A discriminated union (zod, pydantic): its properties merged, the discriminator's values
    // joined, required only what every branch requires.
    let (out, changes) = g(json!({
        "oneOf": [
            { "type": "object", "properties": { "kind": { "const": "click" }, "x": { "type": "integer" } }, "required": ["kind", "x"] },
            { "type": "object", "properties": { "kind": { "const": "type" }, "text": { "type": "string" } }, "required": ["kind", "text"] }
        ]
    }));
    assert_eq!(
        out,
        json!({
            "type": "object",
            "properties": {
                "kind": { "type": "string", "enum": ["click", "type"] },
                "x": { "type": "integer" },
                "text": { "type": "string" }
            },
            "required": ["kind"]
        })
    );
    assert!(changes.contains(&t(
        "",
        "anyOf",
        "sent as one object: the branches' properties merged, required only what every branch requires"
    )), "{changes:?}");
}

#[test]
fn boolean_subschemas() {
    let (out, changes) = g(json!({
        "type": "object",
        "properties": { "any": true, "never": false, "list": { "type": "array", "items": true } },
        "required": ["never"]
    }));
    assert_eq!(
        out,
        json!({
            "type": "object",
            "properties": {
                "any": { "type": "string" },
                "list": { "type": "array", "items": { "type": "string" } }
            }
        })
    );
    let any = "sent as type: string (Gemini needs a type; any value can be written as text)";
    assert_eq!(
        changes,
        vec![
            t("/properties/any", "true", any),
            t("/properties/never", "false", "dropped"),
            t("/properties/list/items", "true", any),
            t("", "required: never", "dropped"),
        ]
    );
}

#[test]
fn required_keeps_only_names_with_a_property() {
    let (out, changes) = g(json!({
        "type": "object",
        "required": ["a", "ghost", 7],
        "properties": { "a": { "type": "string" } }
    }));
    assert_eq!(
        serde_json::to_string(&out).unwrap(),
        r#"{"type":"object","required":["a"],"properties":{"a":{"type":"string"}}}"#
    );
    assert_eq!(
        changes,
        vec![
            t("", "required: 7", "dropped"),
            t("", "required: ghost", "dropped")
        ]
    );

    let (out, changes) = prop(json!({ "type": "object", "required": ["ghost"] }));
    assert_eq!(out, json!({ "type": "object" }));
    assert_eq!(
        changes,
        vec![t("/properties/p", "required: ghost", "dropped")]
    );

    let (out, changes) = g(json!({ "type": "object", "properties": {}, "required": [] }));
    assert_eq!(
        out,
        json!({ "type": "object", "properties": {}, "required": [] })
    );
    assert_eq!(changes, vec![]);
}

#[test]
fn nested_arrays_of_objects_are_converted_all_the_way_down() {
    let (out, changes) = g(json!({
        "type": "object",
        "properties": {
            "rows": {
                "type": "array",
                "items": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "cell": { "type": ["string", "null"], "format": "uri" },
                            "a/b~c": { "const": "x" }
                        },
                        "required": ["cell"],
                        "additionalProperties": false
                    },
                    "uniqueItems": true
                }
            }
        }
    }));
    assert_eq!(
        out,
        json!({
            "type": "object",
            "properties": {
                "rows": {
                    "type": "array",
                    "items": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "cell": { "type": "string", "nullable": true },
                                "a/b~c": { "type": "string", "enum": ["x"] }
                            },
                            "required": ["cell"]
                        }
                    }
                }
            }
        })
    );
    let cell = "/properties/rows/items/items/properties/cell";
    assert_eq!(
        changes,
        vec![
            t(cell, r#"type: ["string", "null"]"#, "sent as nullable"),
            t(cell, "format: uri", "dropped"),
            t(
                "/properties/rows/items/items/properties/a~1b~0c",
                "const: x",
                "sent as enum"
            ),
            t(
                "/properties/rows/items/items",
                "additionalProperties",
                "dropped"
            ),
            t("/properties/rows/items", "uniqueItems", "dropped"),
            t(
                "/properties/rows/items/items/properties/a~1b~0c",
                "type",
                "missing: sent as string, as its keywords say"
            ),
        ]
    );
}

#[test]
fn gemini_sets_the_top_level_type_to_object() {
    let (out, changes) = g(json!({ "properties": { "x": { "type": "string" } } }));
    assert_eq!(
        serde_json::to_string(&out).unwrap(),
        r#"{"type":"object","properties":{"x":{"type":"string"}}}"#
    );
    assert_eq!(changes, vec![t("", "type", "set to object")]);
}

#[test]
fn a_realistic_edit_file_schema() {
    // The filesystem server's `edit_file`, as zod-to-json-schema writes it, with a few more
    // of the features MCP servers use.
    let schema = json!({
        "type": "object",
        "properties": {
            "path": { "type": "string", "format": "uri", "description": "File to edit." },
            "edits": {
                "type": "array",
                "items": { "$ref": "#/$defs/Edit" },
                "description": "Edits to apply in order."
            },
            "dryRun": {
                "type": "boolean",
                "default": false,
                "description": "Preview changes using git-style diff format"
            },
            "encoding": { "oneOf": [{ "const": "utf-8" }, { "const": "latin1" }] }
        },
        "required": ["path", "edits"],
        "additionalProperties": false,
        "$defs": {
            "Edit": {
                "type": "object",
                "properties": {
                    "oldText": { "type": "string", "description": "Text to search for - must match exactly" },
                    "newText": { "type": "string", "description": "Text to replace with" }
                },
                "required": ["oldText", "newText"],
                "additionalProperties": false
            }
        }
    });
    let (out, changes) = gemini(&schema);
    assert_eq!(
        serde_json::to_string(&out).unwrap(),
        serde_json::to_string(&json!({
            "type": "object",
            "properties": {
                "path": { "type": "string", "description": "File to edit." },
                "edits": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "oldText": { "type": "string", "description": "Text to search for - must match exactly" },
                            "newText": { "type": "string", "description": "Text to replace with" }
                        },
                        "required": ["oldText", "newText"]
                    },
                    "description": "Edits to apply in order."
                },
                "dryRun": {
                    "type": "boolean",
                    "default": false,
                    "description": "Preview changes using git-style diff format"
                },
                "encoding": { "anyOf": [{ "type": "string", "enum": ["utf-8"] }, { "type": "string", "enum": ["latin1"] }] }
            },
            "required": ["path", "edits"]
        }))
        .unwrap()
    );
    assert_eq!(
        changes,
        vec![
            c("/properties/path", "format: uri", "dropped"),
            c("/properties/edits/items", "$ref: #/$defs/Edit", "inlined"),
            c("/$defs/Edit", "additionalProperties", "dropped"),
            c("/properties/encoding", "oneOf", "sent as anyOf"),
            c(
                "/properties/encoding/oneOf/0",
                "const: utf-8",
                "sent as enum"
            ),
            c(
                "/properties/encoding/oneOf/1",
                "const: latin1",
                "sent as enum"
            ),
            c("", "additionalProperties", "dropped"),
            c(
                "/properties/encoding/anyOf/0",
                "type",
                "missing: sent as string, as its keywords say"
            ),
            c(
                "/properties/encoding/anyOf/1",
                "type",
                "missing: sent as string, as its keywords say"
            ),
        ]
    );
    assert_eq!(
        changes[1].describe(),
        "`$ref: #/$defs/Edit` at /properties/edits/items inlined"
    );
    assert_eq!(
        changes[6].describe(),
        "`additionalProperties` at the top level dropped"
    );

    let (out, changes) = anthropic(&schema);
    assert_eq!(out, schema);
    assert_eq!(changes, vec![]);
}

#[test]
fn percent_decoding() {
    assert_eq!(percent_decode("/a%20b").as_deref(), Some("/a b"));
    assert_eq!(percent_decode("/%24defs").as_deref(), Some("/$defs"));
    assert_eq!(percent_decode("/a%2"), None);
    assert_eq!(percent_decode("/a%+1"), None);
    assert_eq!(percent_decode("/%ff"), None);
    assert_eq!(local_pointer("#").as_deref(), Some(""));
    assert_eq!(local_pointer("#foo"), None);
    assert_eq!(local_pointer("/$defs/X"), None);
}
