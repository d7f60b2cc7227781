//! How alike two tool descriptions read: TF-IDF cosine similarity over their words.

use std::collections::BTreeMap;

use crate::mcp::ToolInfo;
use crate::text::words as tokens;

/// Pairwise description similarity within one tool set, 0 (nothing shared) to 1 (the same words).
/// Ordered maps keep every sum in one order, so a score is the same in every run.
pub(crate) struct Similarity {
    vectors: Vec<BTreeMap<String, f64>>,
    names: Vec<String>,
}

impl Similarity {
    /// Weighs each word by how rare it is across the set's descriptions (and names).
    pub(crate) fn new(tools: &[ToolInfo]) -> Similarity {
        let docs: Vec<Vec<String>> = tools
            .iter()
            .map(|t| {
                tokens(&format!(
                    "{} {}",
                    t.server_name.replace(['_', '-', '.'], " "),
                    t.description
                ))
            })
            .collect();
        let n = docs.len().max(1) as f64;
        let mut df: BTreeMap<&str, usize> = BTreeMap::new();
        for d in &docs {
            let mut seen: Vec<&str> = d.iter().map(String::as_str).collect();
            seen.sort_unstable();
            seen.dedup();
            for w in seen {
                *df.entry(w).or_default() += 1;
            }
        }
        let vectors = docs
            .iter()
            .map(|d| {
                let mut v: BTreeMap<String, f64> = BTreeMap::new();
                for w in d {
                    *v.entry(w.clone()).or_default() += 1.0;
                }
                for (w, tf) in v.iter_mut() {
                    let idf = (1.0 + n / df[w.as_str()] as f64).ln();
                    *tf *= idf;
                }
                let norm = v.values().map(|x| x * x).sum::<f64>().sqrt();
                if norm > 0.0 {
                    v.values_mut().for_each(|x| *x /= norm);
                }
                v
            })
            .collect();
        Similarity {
            vectors,
            names: tools.iter().map(|t| t.name.clone()).collect(),
        }
    }

    /// The similarity of tools `a` and `b` by name.
    pub(crate) fn between(&self, a: &str, b: &str) -> Option<f64> {
        let i = self.names.iter().position(|n| n == a)?;
        let j = self.names.iter().position(|n| n == b)?;
        Some(self.at(i, j))
    }

    fn at(&self, i: usize, j: usize) -> f64 {
        let (a, b) = (&self.vectors[i], &self.vectors[j]);
        a.iter().filter_map(|(w, x)| b.get(w).map(|y| x * y)).sum()
    }

    /// Every pair at or above `threshold`, most alike first.
    pub(crate) fn pairs_above(&self, threshold: f64) -> Vec<(String, String, f64)> {
        let mut out = Vec::new();
        for i in 0..self.names.len() {
            for j in i + 1..self.names.len() {
                let s = self.at(i, j);
                if s >= threshold {
                    out.push((self.names[i].clone(), self.names[j].clone(), s));
                }
            }
        }
        out.sort_by(|a, b| b.2.total_cmp(&a.2));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mcp::{ServerTool, ToolSet};

    #[test]
    fn alike_descriptions_score_high_and_unrelated_low() {
        let t = |n: &str, d: &str| ServerTool {
            name: n.into(),
            description: Some(d.into()),
            input_schema: serde_json::json!({}),
            ..Default::default()
        };
        let set = ToolSet::new(vec![(
            "s".into(),
            vec![
                t("update_user", "Update a user record in the directory."),
                t(
                    "update_user_profile",
                    "Update the user record in the directory.",
                ),
                t("send_invoice", "Email an invoice PDF to a customer."),
            ],
        )]);
        let s = Similarity::new(&set.tools);
        let close = s.between("update_user", "update_user_profile").unwrap();
        let far = s.between("update_user", "send_invoice").unwrap();
        assert!(close > 0.8, "{close}");
        assert!(far < 0.1, "{far}");
        assert!((s.between("send_invoice", "send_invoice").unwrap() - 1.0).abs() < 1e-9);
        assert_eq!(s.pairs_above(0.5).len(), 1);
    }
}
