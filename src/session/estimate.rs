//! What a measurement may cost, said before its first request: the most requests (every turn an
//! agent task may take, every user turn of a conversation, the judge), the tokens they carry
//! (the tools in every request, the prompt, a reply's worth of output) and their price at each
//! model's price, with no provider cache. The requests are a bound; the tokens an estimate in
//! the eval's encoding (docs/performance.md compares them with counted runs), so a run that
//! spends faster is stopped by its replies' own usage (`model::Budgeted`).

use super::Session;
use crate::mcp::ToolSet;
use crate::record::{Price, Usage};
use crate::run::PlannedTask;

/// Output tokens a request is counted for.
const OUTPUT_PER_REQUEST: u64 = 150;
/// Input tokens a request carries besides the tools and the prompt (the framing, the system
/// text, a turn's history).
const OVERHEAD_PER_REQUEST: u64 = 60;

/// Input tokens Anthropic adds to every request that offers tools: its tool-use system prompt.
/// 346 for the current models with `tool_choice` auto or none (313 with any or tool); the
/// Claude 3 models' were 159 to 530. Sources, as of 2026-12-06:
/// https://docs.anthropic.com/en/docs/tool-use-pricing-and-tokens (the table of "tool use
/// system prompt token count"), and
/// https://claudecodeguides.com/claude-tool-use-hidden-token-costs-explained/ for the current
/// models' 346 and 313. Not checked against the real API here.
const ANTHROPIC_TOOL_PROMPT: u64 = 346;

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
        let provider = std::iter::once(&self.eval.model)
            .chain(&self.eval.models)
            .find(|m| m.name == model)
            .map(crate::config::ModelConfig::provider);
        let tool_prompt = match provider {
            Some(crate::config::Provider::Anthropic) if !tools.tools.is_empty() => {
                ANTHROPIC_TOOL_PROMPT
            }
            _ => 0,
        };
        let tool_tokens = counted.count_tokens(encoding) as u64 + tool_prompt;
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
        // The offline baseline answers without a request.
        if crate::config::is_baseline(model) {
            (requests, input) = (0, 0);
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

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use super::*;

    /// The session of an eval `text` (no suites read) and its one planned task, `task`.
    fn planned(text: &str, task: &str) -> (Session, Vec<PlannedTask>) {
        let eval = crate::config::eval_from_text(Path::new("eval.yaml"), text).unwrap();
        let suite =
            crate::config::suite_from_str(Path::new("s.yaml"), format!("tasks:\n{task}")).unwrap();
        let tasks = suite
            .suite
            .tasks
            .iter()
            .map(|t| PlannedTask {
                suite: Arc::from("s"),
                task: t.clone(),
                agent: None,
            })
            .collect();
        (Session::of(eval), tasks)
    }

    const SERVERS: &str = "servers:\n  s: { command: x }\nsuites: [s.yaml]\n";
    const TASK: &str =
        "  - { id: a, prompt: Find the checkout errors., expect: { tool: search_logs } }\n";

    #[test]
    fn anthropic_s_tool_prompt_is_counted_in_every_request_that_offers_tools() {
        let tools = crate::mcp::test_tools();
        let input = |model: &str, tools: &ToolSet| {
            let (session, tasks) = planned(&format!("{SERVERS}model: {model}\ntrials: 3\n"), TASK);
            let e = session.estimate(&tasks, tools, "m", 2);
            assert_eq!(e.requests, 6, "3 trials, 2 variants");
            e.usage.prompt_tokens
        };
        let openai = input("{ name: m }", &tools);
        let anthropic = input("{ name: m, provider: anthropic }", &tools);
        assert_eq!(anthropic - openai, 6 * ANTHROPIC_TOOL_PROMPT);
        // No tools, no tool prompt.
        let none = ToolSet::default();
        assert_eq!(
            input("{ name: m, provider: anthropic }", &none),
            input("{ name: m }", &none)
        );
    }

    #[test]
    fn the_judge_is_estimated_apart_at_its_own_price() {
        let text = format!(
            "{SERVERS}model: {{ name: m, price: {{ input: 1, output: 1 }} }}\njudge_model: {{ name: j, price: {{ input: 100, output: 100 }} }}\nmode: agent\nmax_turns: 2\n"
        );
        let task =
            "  - { id: a, prompt: Is checkout up?, expect: none, judge: Says whether it is up. }\n";
        let (session, mut tasks) = planned(&text, task);
        tasks[0].agent = Some(Arc::new(crate::run::AgentTask {
            max_turns: 2,
            max_repeats: 0,
            mocks: Default::default(),
        }));
        let e = session.estimate(&tasks, &crate::mcp::test_tools(), "m", 1);
        assert_eq!(e.requests, 2, "two turns of the model");
        assert_eq!(e.helpers.len(), 1);
        let j = &e.helpers[0];
        assert_eq!((j.model.as_str(), j.requests), ("j", 1));
        let model = e.price.as_ref().unwrap().cost(&e.usage);
        let judge = j.price.as_ref().unwrap().cost(&j.usage);
        assert!((e.dollars().unwrap() - (model + judge)).abs() < 1e-12);
        assert!(e.line("run", "m").contains("2 request(s) to `m`, 1 to `j`"));
        // The offline baseline asks nothing; its judge still costs.
        let (session, mut tasks) = planned(
            &text.replace(
                "model: { name: m, price: { input: 1, output: 1 } }",
                "model: baseline",
            ),
            task,
        );
        tasks[0].agent = Some(Arc::new(crate::run::AgentTask {
            max_turns: 2,
            max_repeats: 0,
            mocks: Default::default(),
        }));
        let e = session.estimate(&tasks, &crate::mcp::test_tools(), "baseline", 1);
        assert_eq!((e.requests, e.usage.prompt_tokens), (0, 0));
        assert_eq!(e.helpers[0].requests, 1);
        assert!((e.dollars().unwrap() - judge).abs() < 1e-12);
        // A judge with no price: the whole cost is unknown, and the judge is named.
        let (session, tasks) = planned(
            &text.replace(", price: { input: 100, output: 100 }", ""),
            task,
        );
        let e = session.estimate(&tasks, &crate::mcp::test_tools(), "m", 1);
        assert_eq!((e.dollars(), e.unpriced("m")), (None, Some("j")));
    }
}
