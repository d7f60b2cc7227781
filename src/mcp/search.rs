//! Ranking tools for a query: BM25 over their names, descriptions and parameters. The offline
//! baseline picks its call with it, retrieval keeps the best K tools, and a host's emulated tool
//! search answers the model's queries with it.

use std::collections::HashMap;

use serde_json::Value;

use super::{ToolInfo, ToolSet};
use crate::config::Weights;
use crate::text::words as tokens;

const K1: f64 = 1.2;
const B: f64 = 0.75;

/// A BM25 index over tool documents.
#[derive(Debug)]
pub(crate) struct Index {
    docs: Vec<HashMap<String, f64>>,
    lengths: Vec<f64>,
    avg_len: f64,
    df: HashMap<String, usize>,
}

impl Index {
    pub(crate) fn new(tools: &ToolSet) -> Index {
        Index::weighted(tools, &Weights::standard())
    }

    /// An index whose fields weigh as `weights` says (a host's search ranks its own way).
    pub(crate) fn weighted(tools: &ToolSet, weights: &Weights) -> Index {
        let docs: Vec<HashMap<String, f64>> =
            tools.tools.iter().map(|t| tool_terms(t, weights)).collect();
        let lengths: Vec<f64> = docs.iter().map(|d| d.values().sum()).collect();
        let avg_len = (lengths.iter().sum::<f64>() / lengths.len().max(1) as f64).max(1.0);
        let mut df: HashMap<String, usize> = HashMap::new();
        for d in &docs {
            for t in d.keys() {
                *df.entry(t.clone()).or_default() += 1;
            }
        }
        Index {
            docs,
            lengths,
            avg_len,
            df,
        }
    }

    /// Tools by descending score: (index into the tool set, score).
    pub(crate) fn rank(&self, query: &str) -> Vec<(usize, f64)> {
        let n = self.docs.len() as f64;
        let mut terms = tokens(query);
        terms.sort();
        terms.dedup();
        // Term by term, so a word no tool uses costs one lookup; each tool's score adds its terms
        // in the same order as a sum per tool would (and starts, like one, from -0.0).
        let mut scores = vec![-0.0; self.docs.len()];
        for t in &terms {
            let Some(&df) = self.df.get(t) else { continue };
            let df = df as f64;
            let idf = ((n - df + 0.5) / (df + 0.5) + 1.0).ln();
            for (i, doc) in self.docs.iter().enumerate() {
                if let Some(&tf) = doc.get(t) {
                    let norm = K1 * (1.0 - B + B * self.lengths[i] / self.avg_len);
                    scores[i] += idf * tf * (K1 + 1.0) / (tf + norm);
                }
            }
        }
        let mut scored: Vec<(usize, f64)> = scores.into_iter().enumerate().collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored
    }
}

/// The weighted terms of a tool: its name counts double, then description and parameters.
fn tool_terms(tool: &ToolInfo, w: &Weights) -> HashMap<String, f64> {
    let mut terms: HashMap<String, f64> = HashMap::new();
    let mut add = |text: &str, w: f64| {
        if w == 0.0 {
            return;
        }
        for t in tokens(text) {
            *terms.entry(t).or_default() += w;
        }
    };
    add(&split_identifier(&tool.server_name), w.name);
    add(&tool.description, w.description);
    if let Some(props) = tool
        .input_schema
        .get("properties")
        .and_then(Value::as_object)
    {
        for (name, prop) in props {
            add(&split_identifier(name), w.parameters);
            if let Some(d) = prop.get("description").and_then(Value::as_str) {
                add(d, w.parameters);
            }
        }
    }
    terms
}

pub(crate) fn split_identifier(name: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_uppercase() && prev_lower {
            out.push(' ');
        }
        prev_lower = c.is_lowercase();
        out.push(if c.is_alphanumeric() { c } else { ' ' });
    }
    out
}

/// The tool set the ranking's and the baseline's tests share: three tools of one server.
#[cfg(test)]
pub(crate) fn test_tools() -> ToolSet {
    use serde_json::json;
    let t = |name: &str, desc: &str, schema: Value| super::ServerTool {
        name: name.into(),
        description: Some(desc.into()),
        input_schema: schema,
        ..Default::default()
    };
    ToolSet::new(vec![(
        "s".into(),
        vec![
            t(
                "search_logs",
                "Search past log lines of a service for a text or level.",
                json!({"type": "object", "properties": {"service": {"type": "string", "enum": ["checkout", "cart"]}, "since": {"type": "string"}}}),
            ),
            t(
                "get_metric",
                "Read one metric, such as latency or error rate, of a service.",
                json!({"type": "object", "properties": {"service": {"type": "string"}}}),
            ),
            t(
                "acknowledge_alert",
                "Acknowledge a firing alert by its id.",
                json!({"type": "object", "properties": {"alert_id": {"type": "string"}}}),
            ),
        ],
    )])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_by_relevance() {
        let set = test_tools();
        let idx = Index::new(&set);
        let best = |q: &str| set.tools[idx.rank(q)[0].0].name.clone();
        assert_eq!(best("search the checkout logs for timeouts"), "search_logs");
        assert_eq!(best("what is the p99 latency metric of cart"), "get_metric");
        assert_eq!(best("ack alert ALR-1"), "acknowledge_alert");
    }
}
