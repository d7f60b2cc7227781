//! What a run's tokens come to: the measured model's, and those of the models that helped
//! measure (the judge, the simulated users), each counted apart and priced at its own model's
//! price.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::record::{Price, TrialRecord, Usage};

/// Tokens over many replies, as their APIs counted them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct TokenTotals {
    pub prompt: u64,
    pub completion: u64,
    /// Of `prompt`, the tokens the provider's prompt cache served, and those written to it.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cached: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cache_writes: u64,
}

impl TokenTotals {
    pub(crate) fn add(&mut self, u: &Usage) {
        self.prompt += u.prompt_tokens;
        self.completion += u.completion_tokens;
        self.cached += u.cached_tokens;
        self.cache_writes += u.cache_write_tokens;
    }

    /// The totals as one usage, to be priced.
    fn usage(&self) -> Usage {
        Usage {
            prompt_tokens: self.prompt,
            completion_tokens: self.completion,
            cached_tokens: self.cached,
            cache_write_tokens: self.cache_writes,
        }
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// What a model did to help measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum HelperRole {
    /// Graded answers against rubrics (`judge_model`).
    Judge,
    /// Played a simulated user (`user_model`, a task's `user.model`).
    User,
}

impl HelperRole {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            HelperRole::Judge => "judge",
            HelperRole::User => "simulated user",
        }
    }
}

/// A model that helped measure: its tokens over the run, and their cost (the run's cost in all
/// is the measured model's `cost.dollars` and these).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct HelperCost {
    pub role: HelperRole,
    pub model: String,
    pub tokens: TokenTotals,
    /// At the model's price (the report's `helper_prices`); absent when it is unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dollars: Option<f64>,
}

/// The replies of the models that helped measure a trial: each with its role and model.
fn helper_usages(t: &TrialRecord) -> Vec<(HelperRole, &str, Usage)> {
    let Some(a) = &t.agent else {
        return Vec::new();
    };
    let judged = a
        .verdicts()
        .into_iter()
        .filter_map(|j| j.usage.map(|u| (HelperRole::Judge, j.model.as_str(), u)));
    let played = a.dialogue.iter().filter_map(|d| {
        d.user_usage
            .zip(d.user_model.as_deref())
            .map(|(u, m)| (HelperRole::User, m, u))
    });
    judged.chain(played).collect()
}

/// The helpers' tokens over `trials`, by role and model; not yet priced.
pub(crate) fn helper_tokens(trials: &[TrialRecord]) -> Vec<HelperCost> {
    let mut by: BTreeMap<(HelperRole, &str), TokenTotals> = BTreeMap::new();
    for t in trials {
        for (role, model, u) in helper_usages(t) {
            by.entry((role, model)).or_default().add(&u);
        }
    }
    by.into_iter()
        .map(|((role, model), tokens)| HelperCost {
            role,
            model: model.to_owned(),
            tokens,
            dollars: None,
        })
        .collect()
}

/// `helpers` priced at `prices` (by model name); those with no price stay unpriced.
pub(crate) fn price_helpers(helpers: &mut [HelperCost], prices: &BTreeMap<String, Price>) {
    for h in helpers {
        h.dollars = prices.get(&h.model).map(|p| p.cost(&h.tokens.usage()));
    }
}

/// What a trial cost: the measured model's replies at `price`, and its helpers' at theirs
/// (those with a price).
pub(crate) fn trial_cost(t: &TrialRecord, price: &Price, helpers: &BTreeMap<String, Price>) -> f64 {
    let own = t.usage.as_ref().map_or(0.0, |u| price.cost(u));
    let helped: f64 = helper_usages(t)
        .iter()
        .filter_map(|(_, model, u)| helpers.get(*model).map(|p| p.cost(u)))
        .sum();
    own + helped
}

/// What a run's tokens cost, in US dollars.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct CostTotals {
    /// The measured model's replies.
    pub dollars: f64,
    /// Of `dollars`, what the input read from the provider's prompt cache cost.
    pub cached_input_dollars: f64,
    /// The same tokens with every cached or cache-written input token at the plain input price:
    /// what the run would have cost without the provider's prompt cache.
    pub without_cache: f64,
    /// `dollars` over the trials run.
    pub per_trial: f64,
}

impl CostTotals {
    /// The cost of the measured model's replies in `trials` at `price`.
    pub(crate) fn of(trials: &[TrialRecord], price: &Price) -> CostTotals {
        let mut c = CostTotals::default();
        for u in trials.iter().filter_map(|t| t.usage.as_ref()) {
            c.dollars += price.cost(u);
            c.cached_input_dollars +=
                u.cached_tokens as f64 * price.cached_input.unwrap_or(price.input) / 1e6;
            c.without_cache += (u.prompt_tokens as f64 * price.input
                + u.completion_tokens as f64 * price.output)
                / 1e6;
        }
        c.per_trial = c.dollars / trials.len().max(1) as f64;
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn price(input: f64, output: f64) -> Price {
        Price {
            input,
            output,
            cached_input: None,
            cache_write: None,
            source: "test".into(),
        }
    }

    /// A trial of 1000/100 model tokens, with an agent record `agent`.
    fn trial(agent: serde_json::Value) -> TrialRecord {
        serde_json::from_value(json!({
            "task": "t", "suite": "s", "trial": 0, "outcome": "pass", "reason": "",
            "expected": [], "called": [], "latency_ms": 1,
            "usage": { "prompt_tokens": 1000, "completion_tokens": 100 },
            "agent": agent,
        }))
        .unwrap()
    }

    fn judged(model: &str, prompt: u64) -> serde_json::Value {
        json!({ "verdict": "pass", "reason": "", "model": model,
                "usage": { "prompt_tokens": prompt, "completion_tokens": 10 } })
    }

    fn agent(
        judge: Option<serde_json::Value>,
        dialogue: Option<serde_json::Value>,
    ) -> serde_json::Value {
        json!({ "turns": [], "end": "answered", "redundant_calls": 0, "tool_errors": 0,
                "model_ms": 0, "tool_ms": 0, "judge": judge, "dialogue": dialogue })
    }

    #[test]
    fn each_helper_is_counted_once_by_role_and_model() {
        // Scripted turns: each turn's verdict counts, the conversation's (a copy of one) not again.
        let turns = trial(agent(
            Some(judged("j", 200)),
            Some(json!({ "user_turns": 2, "end": "scripted", "questions": 0,
                "verdicts": [
                    { "turn": 1, "outcome": "pass", "reason": "", "judge": judged("j", 200) },
                    { "turn": 2, "outcome": "pass", "reason": "", "judge": judged("j", 300) },
                ] })),
        ));
        // A simulated user, and the judge on its conversation.
        let user = trial(agent(
            Some(judged("j", 400)),
            Some(json!({ "user_turns": 3, "end": "done", "questions": 1,
                "user_model": "u",
                "user_usage": { "prompt_tokens": 600, "completion_tokens": 60 } })),
        ));
        let plain = trial(json!(null));
        let helpers = helper_tokens(&[turns.clone(), user.clone(), plain.clone()]);
        let got: Vec<(HelperRole, &str, u64, u64)> = helpers
            .iter()
            .map(|h| {
                (
                    h.role,
                    h.model.as_str(),
                    h.tokens.prompt,
                    h.tokens.completion,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (HelperRole::Judge, "j", 900, 30),
                (HelperRole::User, "u", 600, 60)
            ]
        );

        // Priced: the judge at $1/$2 per million, the user model unknown.
        let prices = BTreeMap::from([("j".to_owned(), price(1.0, 2.0))]);
        let mut priced = helpers.clone();
        price_helpers(&mut priced, &prices);
        assert_eq!(priced[0].dollars, Some((900.0 + 60.0) / 1e6));
        assert_eq!(priced[1].dollars, None);

        // A trial's cost: the model's at its price, and the priced helpers'.
        let model = price(10.0, 20.0);
        let own = (1000.0 * 10.0 + 100.0 * 20.0) / 1e6;
        assert_eq!(trial_cost(&plain, &model, &prices), own);
        assert!((trial_cost(&turns, &model, &prices) - (own + 540.0 / 1e6)).abs() < 1e-12);
        assert!((trial_cost(&user, &model, &prices) - (own + 420.0 / 1e6)).abs() < 1e-12);
        let both = BTreeMap::from([
            ("j".to_owned(), price(1.0, 2.0)),
            ("u".to_owned(), price(3.0, 0.0)),
        ]);
        assert!((trial_cost(&user, &model, &both) - (own + (420.0 + 1800.0) / 1e6)).abs() < 1e-12);
    }

    #[test]
    fn the_cost_totals_split_out_the_provider_cache() {
        let mut t = trial(json!(null));
        t.usage = Some(Usage {
            prompt_tokens: 1000,
            completion_tokens: 100,
            cached_tokens: 800,
            cache_write_tokens: 0,
        });
        let p = Price {
            cached_input: Some(0.5),
            ..price(10.0, 20.0)
        };
        let c = CostTotals::of(&[t.clone(), t], &p);
        let one = (200.0 * 10.0 + 800.0 * 0.5 + 100.0 * 20.0) / 1e6;
        assert!((c.dollars - 2.0 * one).abs() < 1e-12);
        assert!((c.cached_input_dollars - 2.0 * 400.0 / 1e6).abs() < 1e-12);
        assert!((c.without_cache - 2.0 * (1000.0 * 10.0 + 100.0 * 20.0) / 1e6).abs() < 1e-12);
        assert!((c.per_trial - one).abs() < 1e-12);
    }

    #[test]
    fn token_totals_add_every_kind_and_write_the_cache_s_only_when_used() {
        let mut t = TokenTotals::default();
        for (cached, written) in [(3, 5), (7, 11)] {
            t.add(&Usage {
                prompt_tokens: 100,
                completion_tokens: 10,
                cached_tokens: cached,
                cache_write_tokens: written,
            });
        }
        assert_eq!(
            (t.prompt, t.completion, t.cached, t.cache_writes),
            (200, 20, 10, 16)
        );
        let written = serde_json::to_value(t).unwrap();
        assert_eq!(
            (written["cached"].as_u64(), written["cache_writes"].as_u64()),
            (Some(10), Some(16))
        );
        let plain = serde_json::to_value(TokenTotals {
            prompt: 1,
            ..TokenTotals::default()
        })
        .unwrap();
        assert!(
            plain.get("cached").is_none() && plain.get("cache_writes").is_none(),
            "{plain}"
        );
    }
}
