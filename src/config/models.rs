//! The models an eval names, read: its `model`, the models of a matrix (`models`, each laid
//! over `model`), the judge and the writer; `${VAR}` values read and every problem placed.

use super::document::{Document, expand_env};
use super::eval::{EvalFile, ModelConfig};
use super::located::Seg::{Index, Key};
use crate::error::Diagnostic;

/// The model block with `${VAR}` values read; the offline baseline when none is named.
pub(super) fn model_config(
    doc: &Document,
    file: &EvalFile,
    diags: &mut Vec<Diagnostic>,
) -> ModelConfig {
    let mut model = file
        .model
        .clone()
        .map(|m| m.into_config())
        .unwrap_or_default();
    if model.name.is_empty() {
        model.name = "baseline".into();
    }
    model.api_key = model
        .api_key
        .map(|k| expand_env(&k, doc, &[Key("model"), Key("api_key")], diags));
    model.base_url = model
        .base_url
        .map(|u| expand_env(&u, doc, &[Key("model"), Key("base_url")], diags));
    model
}

/// The entries of `models`, each laid over `model`, with `${VAR}` values read; two entries
/// naming the same model of the same provider are refused.
pub(super) fn matrix_models(
    doc: &Document,
    file: &EvalFile,
    raw: &[serde_json::Value],
    shared: &ModelConfig,
    diags: &mut Vec<Diagnostic>,
) -> Vec<ModelConfig> {
    let Some(specs) = &file.models else {
        return Vec::new();
    };
    if specs.is_empty() {
        diags.push(
            doc.value("`models` is empty", &[Key("models")])
                .with_hint("list two or more models, or remove `models` and name one in `model`"),
        );
    }
    let mut out: Vec<ModelConfig> = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let mut config = match spec {
            super::eval::ModelSpec::Name(name) => ModelConfig {
                name: name.clone(),
                ..shared.clone()
            },
            super::eval::ModelSpec::Config(c) => laid_over(shared, c, raw.get(i)),
        };
        if config.name.is_empty() {
            config.name = "baseline".into();
        }
        let at = [Key("models"), Index(i)];
        config.api_key = match spec {
            super::eval::ModelSpec::Config(c) if c.api_key.is_some() => c
                .api_key
                .as_ref()
                .map(|k| expand_env(k, doc, &[at[0], at[1], Key("api_key")], diags)),
            _ => config.api_key,
        };
        config.base_url = match spec {
            super::eval::ModelSpec::Config(c) if c.base_url.is_some() => c
                .base_url
                .as_ref()
                .map(|u| expand_env(u, doc, &[at[0], at[1], Key("base_url")], diags)),
            _ => config.base_url,
        };
        if out
            .iter()
            .any(|m| m.name == config.name && m.provider() == config.provider())
        {
            diags.push(
                doc.value(
                    format!(
                        "`models` names `{}` ({}) twice",
                        config.name,
                        config.provider()
                    ),
                    &at,
                )
                .with_hint("each model runs once; remove the repeated entry"),
            );
        }
        out.push(config);
    }
    out
}

/// An entry of `models` laid over `model`: what the entry sets wins (an entry that names no
/// `provider` keeps `model`'s; `provider: openai` written out is kept); a setting the entry
/// writes as `null` (in `raw`, the entry as written) is unset, and a `false` is kept. An entry of
/// another provider takes nothing of where `model` is or its key.
pub(super) fn laid_over(
    shared: &ModelConfig,
    entry: &ModelConfig,
    raw: Option<&serde_json::Value>,
) -> ModelConfig {
    let mut merged = serde_json::to_value(shared).unwrap_or_default();
    let over = serde_json::to_value(entry).unwrap_or_default();
    if let (Some(m), Some(o)) = (merged.as_object_mut(), over.as_object()) {
        for (k, v) in o {
            m.insert(k.clone(), v.clone());
        }
        for (k, v) in raw
            .and_then(serde_json::Value::as_object)
            .into_iter()
            .flatten()
        {
            match v {
                serde_json::Value::Null => {
                    m.remove(k);
                }
                serde_json::Value::Bool(false) => {
                    m.insert(k.clone(), false.into());
                }
                _ => {}
            }
        }
    }
    let mut config: ModelConfig = serde_json::from_value(merged).unwrap_or_else(|_| entry.clone());
    if config.provider() != shared.provider() {
        config.base_url = entry.base_url.clone();
        config.api_key = entry.api_key.clone();
        config.schema = entry.schema;
    }
    config
}

/// A model named beside `model` (`judge_model`, `writer_model`): `${VAR}` values read; the
/// offline baseline refused, as it can neither judge nor write.
pub(super) fn extra_model(
    doc: &Document,
    spec: super::eval::ModelSpec,
    key: &'static str,
    what: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<ModelConfig> {
    let mut config = spec.into_config();
    if super::eval::is_baseline(&config.name) {
        diags.push(
            doc.value(format!("the offline baseline cannot {what}"), &[Key(key)])
                .with_hint(format!("name an LLM in `{key}` (e.g. `gpt-4o-mini`, or a mapping with `base_url` for a local model)")),
        );
        return None;
    }
    config.api_key = config
        .api_key
        .map(|k| expand_env(&k, doc, &[Key(key), Key("api_key")], diags));
    config.base_url = config
        .base_url
        .map(|u| expand_env(&u, doc, &[Key(key), Key("base_url")], diags));
    Some(config)
}
