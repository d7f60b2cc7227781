//! JSON Schemas of the input files, generated from the types that read them.

use super::{DescriptionsFile, EvalFile, Suite};

fn render(mut schema: schemars::Schema, id: &str) -> String {
    schema.insert(
        "$id".into(),
        format!("https://tooleval.dev/schemas/{id}").into(),
    );
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema serializes");
    text.push('\n');
    text
}

/// The JSON Schema of eval files, as committed in `schemas/eval.schema.json`.
pub(crate) fn eval_schema() -> String {
    render(schemars::schema_for!(EvalFile), "eval.schema.json")
}

/// The JSON Schema of suite files, as committed in `schemas/suite.schema.json`.
pub(crate) fn suite_schema() -> String {
    render(schemars::schema_for!(Suite), "suite.schema.json")
}

/// The JSON Schema of descriptions files, as committed in `schemas/descriptions.schema.json`.
pub(crate) fn descriptions_schema() -> String {
    render(
        schemars::schema_for!(DescriptionsFile),
        "descriptions.schema.json",
    )
}

/// The JSON Schema of host profiles, as committed in `schemas/host.schema.json`.
pub(crate) fn host_schema() -> String {
    render(
        schemars::schema_for!(super::HostProfile),
        "host.schema.json",
    )
}
