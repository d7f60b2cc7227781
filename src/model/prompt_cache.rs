//! A provider's prompt cache, as the mock models keep it (the bench's and the tests' scripted
//! one): which part of a request is the cached prefix in each API, and whether an earlier
//! request wrote it. Tokens are estimated at 4 bytes each.
//!
//! What each API caches, as its documentation says (as of 2026-12):
//! - OpenAI (https://platform.openai.com/docs/guides/prompt-caching): a repeated prefix of at
//!   least 1,024 tokens, on its own, in steps of 128 tokens; the tools and the leading system
//!   messages are the prefix tooleval keeps the same. Reported as
//!   `usage.prompt_tokens_details.cached_tokens`, included in `prompt_tokens`.
//! - Anthropic (https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching): only up to
//!   a `cache_control` breakpoint (tools, then system, then messages); the longest cached
//!   breakpoint is read (`cache_read_input_tokens`), the rest up to the last one written
//!   (`cache_creation_input_tokens`); neither is in `input_tokens`. At least 1,024 tokens.
//! - Gemini (https://ai.google.dev/gemini-api/docs/caching, implicit caching): a repeated prefix
//!   of at least 1,024 tokens (2.5 Flash); the system instruction and the tools lead the
//!   request. Reported as `usageMetadata.cachedContentTokenCount`, included in
//!   `promptTokenCount`.

use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

use serde_json::Value;

/// The fewest tokens a cached prefix may hold.
pub(crate) const MIN_CACHED_TOKENS: u64 = 1024;

/// Tokens of `text`, estimated.
pub(crate) fn tokens(text: &str) -> u64 {
    text.len() as u64 / 4
}

/// The prefixes cached so far, by hash.
#[derive(Debug, Default)]
pub(crate) struct PromptCache {
    seen: Mutex<HashSet<u64>>,
}

impl PromptCache {
    /// Looks each prefix up (shortest first) and caches it: the tokens read (the longest prefix
    /// cached before) and written (the rest, up to the longest). A prefix under the minimum is
    /// neither.
    pub(crate) fn lookup(&self, prefixes: &[String]) -> (u64, u64) {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let mut read = 0;
        let mut longest = 0;
        for p in prefixes {
            let n = tokens(p);
            if n < MIN_CACHED_TOKENS {
                continue;
            }
            let mut h = std::collections::hash_map::DefaultHasher::new();
            p.hash(&mut h);
            if !seen.insert(h.finish()) {
                read = read.max(n);
            }
            longest = longest.max(n);
        }
        (read, longest - read)
    }
}

fn list(v: Option<&Value>) -> &[Value] {
    v.and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// An Anthropic request's prefix at each `cache_control` breakpoint in its tools and system
/// prompt, shortest first.
pub(crate) fn anthropic_prefixes(body: &Value) -> Vec<String> {
    let tools = list(body.get("tools"));
    let system = list(body.get("system"));
    let last = |l: &[Value]| l.iter().rposition(|b| b.get("cache_control").is_some());
    let mut out = Vec::new();
    if let Some(i) = last(tools) {
        out.push(Value::Array(tools[..=i].to_vec()).to_string());
    }
    if let Some(i) = last(system) {
        out.push(format!(
            "{}{}",
            Value::Array(tools.to_vec()),
            Value::Array(system[..=i].to_vec())
        ));
    }
    out
}

/// An OpenAI-compatible request's stable prefix: its tools and its leading system messages,
/// cut to a multiple of 128 tokens.
pub(crate) fn openai_prefix(body: &Value) -> String {
    let system: Vec<&Value> = list(body.get("messages"))
        .iter()
        .take_while(|m| m.get("role").and_then(Value::as_str) == Some("system"))
        .collect();
    let mut p = format!(
        "{}{}",
        body.get("tools").cloned().unwrap_or(Value::Null),
        serde_json::to_string(&system).unwrap_or_default()
    );
    let keep = (tokens(&p) / 128 * 128 * 4) as usize;
    while !p.is_char_boundary(keep.min(p.len())) {
        p.pop();
    }
    p.truncate(keep.min(p.len()));
    p
}

/// A Gemini request's stable prefix: its system instruction and its tools.
pub(crate) fn gemini_prefix(body: &Value) -> String {
    format!(
        "{}{}",
        body.get("systemInstruction")
            .cloned()
            .unwrap_or(Value::Null),
        body.get("tools").cloned().unwrap_or(Value::Null)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_longest_cached_prefix_is_read_and_the_rest_written() {
        let cache = PromptCache::default();
        let short = "t".repeat(5000);
        let long = "t".repeat(9000);
        assert_eq!(cache.lookup(std::slice::from_ref(&short)), (0, 1250));
        assert_eq!(cache.lookup(&[short.clone(), long.clone()]), (1250, 1000));
        assert_eq!(cache.lookup(&[short, long]), (2250, 0));
        // Under the minimum: never cached.
        let tiny = "t".repeat(4000);
        assert_eq!(cache.lookup(std::slice::from_ref(&tiny)), (0, 0));
        assert_eq!(cache.lookup(&[tiny]), (0, 0));
    }

    #[test]
    fn each_api_has_its_prefix() {
        let tools = json!([{"name": "a", "cache_control": {"type": "ephemeral"}}, {"name": "b"}]);
        let body = json!({"tools": tools, "system": [{"type": "text", "text": "s", "cache_control": {"type": "ephemeral"}}]});
        let p = anthropic_prefixes(&body);
        assert_eq!(p.len(), 2);
        assert_eq!(
            p[0],
            r#"[{"name":"a","cache_control":{"type":"ephemeral"}}]"#
        );
        assert!(
            p[1].contains(r#""name":"b""#)
                && p[1].ends_with(r#""text":"s","cache_control":{"type":"ephemeral"}}]"#)
        );
        let body = json!({"messages": [{"role": "system", "content": "x".repeat(600)}, {"role": "user", "content": "u"}], "tools": [{"f": "y".repeat(600)}]});
        let p = openai_prefix(&body);
        assert_eq!(tokens(&p) % 128, 0);
        assert!(!p.contains('u'));
        assert_eq!(
            gemini_prefix(
                &json!({"systemInstruction": {"parts": []}, "tools": [], "contents": [1]})
            ),
            r#"{"parts":[]}[]"#
        );
    }
}
