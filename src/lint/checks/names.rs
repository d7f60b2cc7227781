//! Rules on names and on tools a model will confuse: mapped names, shared prefixes, names a
//! character apart, descriptions alike.

use std::collections::BTreeMap;

use super::Context;
use crate::error::edit_distance;
use crate::lint::finding::Finding;
use crate::lint::rule::Rule;
use crate::lint::similarity::Similarity;

const DEFAULT_SHARED_PREFIX_COUNT: usize = 5;
const DEFAULT_SIMILARITY_THRESHOLD: f64 = 0.6;

pub(crate) fn name_mapped(ctx: &Context) -> Vec<Finding> {
    ctx.set
        .renamed
        .iter()
        .filter(|r| r.server_name == r.name)
        .map(|r| {
            Finding::new(
                Rule::NameMapped,
                vec![r.name.clone()],
                format!("sent to the model as `{}`", r.api_name),
                &format!("{}; models see the mapped name", r.reason),
            )
        })
        .collect()
}

pub(crate) fn shared_prefix(ctx: &Context) -> Vec<Finding> {
    let shared = ctx
        .cfg
        .shared_prefix_count
        .unwrap_or(DEFAULT_SHARED_PREFIX_COUNT);
    let mut by_prefix: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for t in &ctx.set.tools {
        if let Some(p) = prefix(&t.server_name) {
            by_prefix.entry(p).or_default().push(t.name.clone());
        }
    }
    by_prefix
        .into_iter()
        .filter(|(_, names)| names.len() >= shared)
        .map(|(p, names)| {
            let message = format!("{} tools start with `{p}`", names.len());
            Finding::new(
                Rule::SharedPrefix,
                names,
                message,
                "names alike up to the object are easy to confuse: make each description say which object and when, or merge them into one tool with a parameter",
            )
        })
        .collect()
}

pub(crate) fn similar_names(ctx: &Context) -> Vec<Finding> {
    let tools = &ctx.set.tools;
    let mut out = Vec::new();
    for (i, a) in tools.iter().enumerate() {
        for b in &tools[i + 1..] {
            let (x, y) = (fold(&a.server_name), fold(&b.server_name));
            if x == y || edit_distance(&x, &y) <= 1 {
                out.push(Finding::new(
                    Rule::SimilarNames,
                    vec![a.name.clone(), b.name.clone()],
                    format!("`{}` and `{}` differ by a character", a.name, b.name),
                    "rename one so the difference is a word a model can reason about",
                ));
            }
        }
    }
    out
}

pub(crate) fn similar_descriptions(ctx: &Context) -> Vec<Finding> {
    let threshold = ctx
        .cfg
        .similarity_threshold
        .unwrap_or(DEFAULT_SIMILARITY_THRESHOLD);
    Similarity::new(&ctx.set.tools)
        .pairs_above(threshold)
        .into_iter()
        .map(|(a, b, s)| {
            let message = format!(
                "the descriptions of `{a}` and `{b}` are {:.0}% alike",
                s * 100.0
            );
            Finding::new(
                Rule::SimilarDescriptions,
                vec![a, b],
                message,
                "say in each description when to use it rather than the other",
            )
        })
        .collect()
}

/// The first word of a name (`update_user` -> `update_`), or none for one-word names.
fn prefix(name: &str) -> Option<String> {
    let cut = name.find(['_', '-', '.']).or_else(|| {
        // camelCase: the first upper-case letter after the start.
        name.char_indices()
            .skip(1)
            .find(|(_, c)| c.is_uppercase())
            .map(|(i, _)| i)
    })?;
    let sep = name[cut..]
        .chars()
        .next()
        .filter(|c| !c.is_alphanumeric())
        .map(String::from)
        .unwrap_or_default();
    Some(format!("{}{sep}", &name[..cut]))
}

/// A name without case and separators, for comparing.
fn fold(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::prefix;

    #[test]
    fn prefixes() {
        assert_eq!(prefix("update_user").as_deref(), Some("update_"));
        assert_eq!(prefix("get-sum").as_deref(), Some("get-"));
        assert_eq!(prefix("getUser").as_deref(), Some("get"));
        assert_eq!(prefix("echo"), None);
    }
}
