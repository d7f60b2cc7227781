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

/// The most a measurement asks of its model.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Estimate {
    pub requests: u64,
    pub usage: Usage,
    /// The model's price, when one is known.
    pub price: Option<Price>,
}

impl Estimate {
    /// The dollars at most, when the price is known.
    pub(crate) fn dollars(&self) -> Option<f64> {
        self.price.as_ref().map(|p| p.cost(&self.usage))
    }

    /// The line shown before the first request.
    pub(crate) fn line(&self, command: &str, model: &str) -> String {
        let cost = match (&self.price, self.dollars()) {
            (Some(p), Some(d)) => format!("at most {} ({})", crate::text::dollars(d), p.source),
            _ => format!(
                "the price of `{model}` is unknown (give it `price:` in the eval, or --prices FILE)"
            ),
        };
        format!(
            "{command}: at most {} request(s) to `{model}`, about {} input and {} output tokens; {cost}",
            self.requests, self.usage.prompt_tokens, self.usage.completion_tokens
        )
    }
}

impl Session {
    /// The most `tasks` ask of the model named `model`, over `measurements` measurements (a run's
    /// variants), with `tools` offered in every request.
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
        let trials = u64::from(self.eval.trials);
        let (mut requests, mut input) = (0u64, 0u64);
        for t in tasks {
            let per_user_turn = t.agent.as_ref().map_or(1, |a| u64::from(a.max_turns));
            let user_turns = match &t.task.user {
                Some(u) => u64::from(u.max_turns()),
                None => 1 + t.task.turns().len() as u64,
            };
            let judged = u64::from(t.task.judge.is_some())
                + t.task.turns().iter().filter(|x| x.judge.is_some()).count() as u64;
            let n = per_user_turn * user_turns + judged;
            let prompt = encoding.count(&t.task.prompt.user_text()) as u64;
            requests += trials * n;
            input += trials * n * (tool_tokens + prompt + OVERHEAD_PER_REQUEST);
        }
        let requests = requests * measurements;
        Estimate {
            requests,
            usage: Usage {
                prompt_tokens: input * measurements,
                completion_tokens: requests * OUTPUT_PER_REQUEST,
                ..Usage::default()
            },
            price: self.eval.price_of(model),
        }
    }
}
