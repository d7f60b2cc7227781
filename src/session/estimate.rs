//! What a measurement may cost, said before its first request: the most requests (every turn an
//! agent task may take, every user turn of a conversation, the judge), the tokens they carry
//! (the tools in every request, the prompt, a reply's worth of output) and their price at the
//! model's price, with no provider cache: an upper bound, so a `--max-cost` refusal errs on the
//! side of the budget.

use super::Session;
use crate::mcp::ToolSet;
use crate::record::{Price, Usage};
use crate::run::PlannedTask;

/// Output tokens a request is counted for.
const OUTPUT_PER_REQUEST: u64 = 150;
/// Input tokens a request carries besides the tools and the prompt (the framing, the system
/// text, a turn's history).
const OVERHEAD_PER_REQUEST: u64 = 60;

/// The most a measurement asks of its model, and of the models that help it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Estimate {
    /// Requests to the measured model.
    pub requests: u64,
    pub usage: Usage,
    /// The model's price, when one is known.
    pub price: Option<Price>,
    /// The requests to the judge and to the models playing simulated users, each apart.
    pub helpers: Vec<HelperEstimate>,
}

/// The most a measurement asks of a model that helps it (the judge, a simulated user).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HelperEstimate {
    pub model: String,
    pub requests: u64,
    pub usage: Usage,
    pub price: Option<Price>,
}

impl Estimate {
    /// The dollars at most, when every price needed is known.
    pub(crate) fn dollars(&self) -> Option<f64> {
        let own = self.price.as_ref().map(|p| p.cost(&self.usage))?;
        self.helpers.iter().try_fold(own, |sum, h| {
            h.price.as_ref().map(|p| sum + p.cost(&h.usage))
        })
    }

    /// The first model (the measured one, then the helpers) whose price is unknown.
    pub(crate) fn unpriced<'a>(&'a self, model: &'a str) -> Option<&'a str> {
        if self.price.is_none() {
            return Some(model);
        }
        self.helpers
            .iter()
            .find(|h| h.price.is_none())
            .map(|h| h.model.as_str())
    }

    /// The line shown before the first request.
    pub(crate) fn line(&self, command: &str, model: &str) -> String {
        let cost = match (self.dollars(), self.unpriced(model)) {
            (Some(d), _) => {
                let mut sources: Vec<&str> = Vec::new();
                let prices = self
                    .price
                    .iter()
                    .chain(self.helpers.iter().filter_map(|h| h.price.as_ref()));
                for p in prices.filter(|p| p.input + p.output > 0.0) {
                    if !sources.contains(&p.source.as_str()) {
                        sources.push(&p.source);
                    }
                }
                format!(
                    "at most {} ({})",
                    crate::text::dollars(d),
                    sources.join("; ")
                )
            }
            (None, unpriced) => format!(
                "the price of `{}` is unknown (give it `price:` in the eval, or --prices FILE)",
                unpriced.unwrap_or(model)
            ),
        };
        let helpers: String = self
            .helpers
            .iter()
            .map(|h| format!(", {} to `{}`", h.requests, h.model))
            .collect();
        format!(
            "{command}: at most {} request(s) to `{model}`{helpers}, about {} input and {} output tokens; {cost}",
            self.requests,
            self.usage.prompt_tokens
                + self
                    .helpers
                    .iter()
                    .map(|h| h.usage.prompt_tokens)
                    .sum::<u64>(),
            self.usage.completion_tokens
                + self
                    .helpers
                    .iter()
                    .map(|h| h.usage.completion_tokens)
                    .sum::<u64>(),
        )
    }
}

impl Session {
    /// The most `tasks` ask of the model named `model`, and of the judge and the simulated
    /// users' models, over `measurements` measurements (a run's variants), with `tools` offered
    /// in every request to the model.
    pub(crate) fn estimate(
        &self,
        tasks: &[PlannedTask],
        tools: &ToolSet,
        model: &str,
        measurements: u64,
    ) -> Estimate {
        let encoding = self.eval.file.encoding.unwrap_or_default();
        let mut counted = tools.clone();
        let tool_tokens = counted.count_tokens(encoding) as u64;
        let trials = u64::from(self.eval.trials) * measurements;
        let (mut requests, mut input) = (0u64, 0u64);
        // By helper model: requests and input tokens.
        let mut helped: Vec<(String, u64, u64, Option<Price>)> = Vec::new();
        let mut help = |config: &crate::config::ModelConfig, n: u64, each: u64| match helped
            .iter_mut()
            .find(|h| h.0 == config.name)
        {
            Some(h) => (h.1, h.2) = (h.1 + n, h.2 + n * each),
            None => helped.push((
                config.name.clone(),
                n,
                n * each,
                self.eval.price_of_config(config),
            )),
        };
        for t in tasks {
            let per_user_turn = t.agent.as_ref().map_or(1, |a| u64::from(a.max_turns));
            let user_turns = match &t.task.user {
                Some(u) => u64::from(u.max_turns()),
                None => 1 + t.task.turns().len() as u64,
            };
            let n = per_user_turn * user_turns;
            let prompt = encoding.count(&t.task.prompt.user_text()) as u64;
            requests += trials * n;
            input += trials * n * (tool_tokens + prompt + OVERHEAD_PER_REQUEST);
            // The user model answers each of the model's answers but the last; the
            // conversation so far is its input.
            if let Some(config) = t
                .task
                .user
                .as_ref()
                .and_then(|u| self.eval.user_config_of(u))
            {
                let each = prompt + OVERHEAD_PER_REQUEST + user_turns * OUTPUT_PER_REQUEST;
                help(&config, trials * user_turns.saturating_sub(1), each);
            }
            // The judge reads the prompt (or the conversation) and the answer.
            let judged = u64::from(t.task.judge.is_some())
                + t.task.turns().iter().filter(|x| x.judge.is_some()).count() as u64;
            if let (Some(config), true) = (&self.eval.judge_model, judged > 0) {
                let each = prompt + OVERHEAD_PER_REQUEST + user_turns * OUTPUT_PER_REQUEST;
                help(config, trials * judged, each);
            }
        }
        Estimate {
            requests,
            usage: Usage {
                prompt_tokens: input,
                completion_tokens: requests * OUTPUT_PER_REQUEST,
                ..Usage::default()
            },
            // The offline baseline costs nothing.
            price: match crate::config::is_baseline(model) {
                true => Some(Price {
                    input: 0.0,
                    output: 0.0,
                    cached_input: None,
                    cache_write: None,
                    source: "the offline baseline".into(),
                }),
                false => self.eval.price_of(model),
            },
            helpers: helped
                .into_iter()
                .map(|(model, requests, input, price)| HelperEstimate {
                    model,
                    requests,
                    usage: Usage {
                        prompt_tokens: input,
                        completion_tokens: requests * OUTPUT_PER_REQUEST,
                        ..Usage::default()
                    },
                    price,
                })
                .collect(),
        }
    }
}
