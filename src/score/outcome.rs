//! One trial's outcome: what the model called, held against what the task expects.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::matcher::check_args;
use crate::config::{Call, Expect, Order};
use crate::mcp::ToolSet;

/// The closed set of trial outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The right tools with arguments that satisfy every matcher.
    Pass,
    /// The right tools, but an argument matcher failed.
    BadArgs,
    /// The right tools, but the arguments are not valid JSON or fail the tool's input schema.
    InvalidArgs,
    /// An expected tool was not called (another was, or the order was wrong).
    WrongTool,
    /// Tools were expected and none was called.
    NoCall,
    /// A tool was called where none should be, or beyond those expected.
    UnexpectedCall,
    /// Infrastructure failed (the model or a server); not counted as a model failure.
    Error,
}

impl Outcome {
    pub const ALL: [Outcome; 7] = [
        Outcome::Pass,
        Outcome::BadArgs,
        Outcome::InvalidArgs,
        Outcome::WrongTool,
        Outcome::NoCall,
        Outcome::UnexpectedCall,
        Outcome::Error,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::BadArgs => "bad_args",
            Outcome::InvalidArgs => "invalid_args",
            Outcome::WrongTool => "wrong_tool",
            Outcome::NoCall => "no_call",
            Outcome::UnexpectedCall => "unexpected_call",
            Outcome::Error => "error",
        }
    }

    /// Whether the model chose the right tools (whatever it passed them).
    pub fn selection_ok(self) -> bool {
        matches!(
            self,
            Outcome::Pass | Outcome::BadArgs | Outcome::InvalidArgs
        )
    }
}

/// A call the model made, with its name mapped back to the suite's name where known.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActualCall {
    /// The suite's name of the tool, or the name the model used when no server offers it.
    pub name: String,
    /// Whether a server offers the tool.
    pub known: bool,
    /// The arguments, or the text that failed to parse as a JSON object.
    pub arguments: Result<Map<String, Value>, String>,
}

/// An outcome and the reason for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub outcome: Outcome,
    pub reason: String,
    /// The tools of the expectation the verdict was reached against (for `any_of`, the closest one).
    pub expected_tools: Vec<String>,
}

/// Judges calls against expectations, holding each tool's compiled input schema.
pub struct Judge {
    validators: HashMap<String, jsonschema::Validator>,
}

impl Judge {
    pub fn new(tools: &ToolSet) -> Judge {
        let validators = tools
            .tools
            .iter()
            .filter_map(|t| {
                // A schema that does not compile is the server's problem: skip the check rather
                // than fail every trial of the tool.
                jsonschema::validator_for(&t.input_schema)
                    .ok()
                    .map(|v| (t.name.clone(), v))
            })
            .collect();
        Judge { validators }
    }

    /// The verdict for one trial's calls.
    pub fn judge(&self, expect: &Expect, calls: &[ActualCall]) -> Verdict {
        match expect {
            Expect::None => {
                if calls.is_empty() {
                    verdict(Outcome::Pass, "no tool called, as expected", vec![])
                } else {
                    verdict(
                        Outcome::UnexpectedCall,
                        format!("called {} where no tool should be called", names(calls)),
                        vec![],
                    )
                }
            }
            Expect::Call(c) => self.judge_calls(std::slice::from_ref(c), Order::Any, calls),
            Expect::Calls { calls: exp, order } => self.judge_calls(exp, *order, calls),
            Expect::AnyOf(alts) => {
                let mut verdicts: Vec<Verdict> =
                    alts.iter().map(|a| self.judge(a, calls)).collect();
                verdicts.sort_by_key(|v| v.outcome);
                let mut best = verdicts.swap_remove(0);
                if best.outcome != Outcome::Pass {
                    best.reason = format!("no alternative matched; closest: {}", best.reason);
                }
                best
            }
        }
    }

    fn judge_calls(&self, expected: &[Call], order: Order, actual: &[ActualCall]) -> Verdict {
        let exp_tools: Vec<String> = expected.iter().map(|c| c.tool.clone()).collect();
        let wanted = exp_tools
            .iter()
            .map(|t| format!("`{t}`"))
            .collect::<Vec<_>>()
            .join(", ");
        if actual.is_empty() {
            return verdict(
                Outcome::NoCall,
                format!("expected {wanted}, the model called no tool"),
                exp_tools,
            );
        }
        // Pair each expected call with an unused actual call of the same tool, preferring one
        // whose arguments pass.
        let mut used = vec![false; actual.len()];
        let mut pairs: Vec<(&Call, usize)> = Vec::new();
        let mut missing: Vec<&str> = Vec::new();
        for exp in expected {
            let candidates: Vec<usize> = (0..actual.len())
                .filter(|&i| !used[i] && actual[i].name == exp.tool)
                .collect();
            let pick = candidates
                .iter()
                .copied()
                .find(|&i| self.check(exp, &actual[i]).is_none())
                .or_else(|| candidates.first().copied());
            match pick {
                Some(i) => {
                    used[i] = true;
                    pairs.push((exp, i));
                }
                None => missing.push(&exp.tool),
            }
        }
        if !missing.is_empty() {
            let missing = missing
                .iter()
                .map(|t| format!("`{t}`"))
                .collect::<Vec<_>>()
                .join(", ");
            return verdict(
                Outcome::WrongTool,
                format!("expected {missing}, called {}", names(actual)),
                exp_tools,
            );
        }
        let extra: Vec<&ActualCall> = actual
            .iter()
            .zip(&used)
            .filter(|(_, u)| !**u)
            .map(|(c, _)| c)
            .collect();
        if !extra.is_empty() {
            let extra: Vec<ActualCall> = extra.into_iter().cloned().collect();
            return verdict(
                Outcome::UnexpectedCall,
                format!("called {} besides the expected {wanted}", names(&extra)),
                exp_tools,
            );
        }
        if order == Order::Strict {
            let got: Vec<&str> = actual.iter().map(|c| c.name.as_str()).collect();
            if got != exp_tools.iter().map(String::as_str).collect::<Vec<_>>() {
                return verdict(
                    Outcome::WrongTool,
                    format!(
                        "called {} in the wrong order; expected {wanted}",
                        names(actual)
                    ),
                    exp_tools,
                );
            }
        }
        let mut worst: Option<(Outcome, String)> = None;
        for (exp, i) in pairs {
            if let Some((o, why)) = self.check(exp, &actual[i])
                && worst.as_ref().is_none_or(|(w, _)| o > *w)
            {
                worst = Some((o, why));
            }
        }
        match worst {
            Some((o, why)) => verdict(o, why, exp_tools),
            None => verdict(
                Outcome::Pass,
                format!("called {wanted} with matching arguments"),
                exp_tools,
            ),
        }
    }

    /// Checks one paired call's arguments: `None` when they pass.
    fn check(&self, exp: &Call, call: &ActualCall) -> Option<(Outcome, String)> {
        let args = match &call.arguments {
            Ok(a) => a,
            Err(raw) => {
                return Some((
                    Outcome::InvalidArgs,
                    format!(
                        "the arguments of `{}` are not a JSON object: {}",
                        call.name,
                        cut(raw)
                    ),
                ));
            }
        };
        if let Some(v) = self.validators.get(&call.name) {
            let instance = Value::Object(args.clone());
            if let Err(e) = v.validate(&instance) {
                let at = e.instance_path().to_string();
                let at = if at.is_empty() {
                    String::new()
                } else {
                    format!(" at `{at}`")
                };
                return Some((
                    Outcome::InvalidArgs,
                    format!(
                        "the arguments of `{}` fail its input schema{at}: {e}",
                        call.name
                    ),
                ));
            }
        }
        check_args(&exp.args, exp.strict_args, args)
            .err()
            .map(|why| (Outcome::BadArgs, format!("`{}`: {why}", call.name)))
    }
}

fn verdict(outcome: Outcome, reason: impl Into<String>, expected_tools: Vec<String>) -> Verdict {
    Verdict {
        outcome,
        reason: reason.into(),
        expected_tools,
    }
}

fn names(calls: &[ActualCall]) -> String {
    calls
        .iter()
        .map(|c| {
            if c.known {
                format!("`{}`", c.name)
            } else {
                format!("`{}` (no server offers it)", c.name)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn cut(s: &str) -> String {
    if s.chars().count() > 80 {
        format!("{}…", s.chars().take(79).collect::<String>())
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mcp::{ServerTool, ToolSet};
    use serde_json::json;

    fn judge() -> Judge {
        let schema = json!({"type": "object", "properties": {"service": {"type": "string"}, "limit": {"type": "integer"}}, "required": ["service"]});
        let tools = ["search_logs", "tail_logs", "list_alerts"]
            .iter()
            .map(|n| ServerTool {
                name: (*n).into(),
                description: None,
                input_schema: schema.clone(),
            })
            .collect();
        Judge::new(&ToolSet::new(vec![("s".into(), tools)]))
    }

    fn call(name: &str, args: Value) -> ActualCall {
        ActualCall {
            name: name.into(),
            known: name != "ghost",
            arguments: Ok(args.as_object().unwrap().clone()),
        }
    }

    fn expect(yaml: &str) -> Expect {
        yaml_serde::from_str(yaml).unwrap()
    }

    #[test]
    fn outcomes_table() {
        let j = judge();
        let one = "{ tool: search_logs, args: { service: checkout } }";
        let two_strict = "{ calls: [{ tool: list_alerts }, { tool: tail_logs }], order: strict }";
        let two_any = "{ calls: [{ tool: list_alerts }, { tool: tail_logs }] }";
        let cases: Vec<(&str, Vec<ActualCall>, Outcome, &str)> = vec![
            ("none", vec![], Outcome::Pass, "no tool called"),
            (
                "none",
                vec![call("tail_logs", json!({"service": "a"}))],
                Outcome::UnexpectedCall,
                "where no tool should be called",
            ),
            (one, vec![], Outcome::NoCall, "called no tool"),
            (
                one,
                vec![call("search_logs", json!({"service": "checkout"}))],
                Outcome::Pass,
                "matching",
            ),
            (
                one,
                vec![call("tail_logs", json!({"service": "checkout"}))],
                Outcome::WrongTool,
                "expected `search_logs`, called `tail_logs`",
            ),
            (
                one,
                vec![call("ghost", json!({}))],
                Outcome::WrongTool,
                "(no server offers it)",
            ),
            (
                one,
                vec![call("search_logs", json!({"service": "cart"}))],
                Outcome::BadArgs,
                "argument `service` is \"cart\"",
            ),
            (
                one,
                vec![call("search_logs", json!({"service": 7}))],
                Outcome::InvalidArgs,
                "input schema",
            ),
            (
                one,
                vec![
                    call("search_logs", json!({"service": "checkout"})),
                    call("tail_logs", json!({"service": "x"})),
                ],
                Outcome::UnexpectedCall,
                "besides",
            ),
            (
                two_strict,
                vec![
                    call("tail_logs", json!({"service": "x"})),
                    call("list_alerts", json!({"service": "x"})),
                ],
                Outcome::WrongTool,
                "wrong order",
            ),
            (
                two_any,
                vec![
                    call("tail_logs", json!({"service": "x"})),
                    call("list_alerts", json!({"service": "x"})),
                ],
                Outcome::Pass,
                "matching",
            ),
            (
                two_any,
                vec![call("tail_logs", json!({"service": "x"}))],
                Outcome::WrongTool,
                "expected `list_alerts`",
            ),
            (
                "{ any_of: [{ tool: tail_logs }, { tool: search_logs }] }",
                vec![call("search_logs", json!({"service": "x"}))],
                Outcome::Pass,
                "matching",
            ),
            (
                "{ any_of: [{ tool: tail_logs, args: { service: a } }, none] }",
                vec![call("tail_logs", json!({"service": "b"}))],
                Outcome::BadArgs,
                "closest",
            ),
        ];
        for (exp, calls, outcome, needle) in cases {
            let v = j.judge(&expect(exp), &calls);
            assert_eq!(v.outcome, outcome, "{exp}: {}", v.reason);
            assert!(v.reason.contains(needle), "{exp}: {}", v.reason);
        }
    }

    #[test]
    fn unparsable_arguments_are_invalid_args() {
        let j = judge();
        let c = ActualCall {
            name: "search_logs".into(),
            known: true,
            arguments: Err("{\"service\": ".into()),
        };
        let v = j.judge(&expect("{ tool: search_logs }"), &[c]);
        assert_eq!(v.outcome, Outcome::InvalidArgs);
        assert!(v.reason.contains("not a JSON object"), "{}", v.reason);
    }

    #[test]
    fn pairs_repeated_tools_by_their_arguments() {
        let j = judge();
        let e = expect(
            "{ calls: [{ tool: tail_logs, args: { service: a } }, { tool: tail_logs, args: { service: b } }] }",
        );
        let calls = [
            call("tail_logs", json!({"service": "b"})),
            call("tail_logs", json!({"service": "a"})),
        ];
        assert_eq!(j.judge(&e, &calls).outcome, Outcome::Pass);
    }
}
