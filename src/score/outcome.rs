//! One trial's outcome: what the model called, held against what the task expects.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::matcher::check_args;
use crate::config::{Call, Expect, Order};
use crate::mcp::ToolSet;
use crate::record::Outcome;

/// A call the model made, with its name mapped back to the suite's name where known.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ActualCall {
    /// The suite's name of the tool, or the name the model used when no server offers it.
    pub name: String,
    /// Whether a server offers the tool.
    pub known: bool,
    /// The arguments, or the text that failed to parse as a JSON object.
    pub arguments: Result<Map<String, Value>, String>,
}

/// An outcome and the reason for it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Verdict {
    pub outcome: Outcome,
    pub reason: String,
    /// The tools of the expectation the verdict was reached against (for `any_of`, the closest one).
    pub expected_tools: Vec<String>,
}

/// Judges calls against expectations, holding each tool's compiled input schema.
pub(crate) struct Judge {
    validators: HashMap<String, jsonschema::Validator>,
    skipped: Vec<(String, String)>,
}

impl Judge {
    pub(crate) fn new(tools: &ToolSet) -> Judge {
        let mut validators = HashMap::new();
        let mut skipped = Vec::new();
        for t in &tools.tools {
            // Validate under the draft the server declared.
            let mut schema = t.input_schema.clone();
            if let (Some(d), Some(obj)) = (&t.schema_dialect, schema.as_object_mut()) {
                obj.insert("$schema".into(), d.clone().into());
            }
            match jsonschema::validator_for(&schema) {
                Ok(v) => {
                    validators.insert(t.name.clone(), v);
                }
                // A schema that does not compile is the server's problem: the arguments of that
                // tool go unchecked against it, and the run says so.
                Err(e) => skipped.push((t.name.clone(), e.to_string())),
            }
        }
        Judge {
            validators,
            skipped,
        }
    }

    /// Tools whose input schema did not compile, with the reason.
    pub(crate) fn skipped(&self) -> &[(String, String)] {
        &self.skipped
    }

    /// The verdict for one trial's calls.
    pub(crate) fn judge(&self, expect: &Expect, calls: &[ActualCall]) -> Verdict {
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
                if best.outcome != Outcome::Pass && !best.reason.starts_with("no alternative") {
                    best.reason = format!("no alternative matched; closest: {}", best.reason);
                }
                best
            }
        }
    }

    /// Judges calls against expected ones: the tools first (missing, extra, out of order), then
    /// the arguments of each pair.
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
        let got: Vec<&str> = actual.iter().map(|c| c.name.as_str()).collect();
        let in_order = got == exp_tools.iter().map(String::as_str).collect::<Vec<_>>();
        // With a strict order and the right sequence of tools, the n-th call answers the n-th
        // expectation. Otherwise calls are paired by tool, looking for a pairing where every
        // call's arguments pass.
        let assignment: Vec<Option<usize>> = if order == Order::Strict && in_order {
            (0..expected.len()).map(Some).collect()
        } else {
            self.pair(expected, actual)
        };
        let missing = unpaired_expectations(expected, &assignment, &got);
        if !missing.is_empty() {
            let reason = if expected.len() == 1 {
                format!("expected {}, called {}", missing.join(", "), names(actual))
            } else {
                format!("missing {}; called {}", missing.join(", "), names(actual))
            };
            return verdict(Outcome::WrongTool, reason, exp_tools);
        }
        let extra = unpaired_calls(actual, &assignment);
        if !extra.is_empty() {
            return verdict(
                Outcome::UnexpectedCall,
                format!("called {} besides the expected {wanted}", names(&extra)),
                exp_tools,
            );
        }
        if order == Order::Strict && !in_order {
            return verdict(
                Outcome::WrongTool,
                format!(
                    "called {} in the wrong order; expected {wanted}",
                    names(actual)
                ),
                exp_tools,
            );
        }
        match self.worst_arguments(expected, &assignment, actual) {
            Some((o, why)) => verdict(o, why, exp_tools),
            None => verdict(
                Outcome::Pass,
                format!("called {wanted} with matching arguments"),
                exp_tools,
            ),
        }
    }

    /// The worst failure among the paired calls' arguments, the first of equals; `None` when
    /// every pair passes.
    fn worst_arguments(
        &self,
        expected: &[Call],
        assignment: &[Option<usize>],
        actual: &[ActualCall],
    ) -> Option<(Outcome, String)> {
        let pairs: Vec<(&Call, usize)> = expected
            .iter()
            .zip(assignment)
            .filter_map(|(e, a)| a.map(|i| (e, i)))
            .collect();
        let mut worst: Option<(Outcome, String)> = None;
        for (exp, i) in pairs {
            if let Some((o, why)) = self.check(exp, &actual[i])
                && worst.as_ref().is_none_or(|(w, _)| o > *w)
            {
                worst = Some((o, why));
            }
        }
        worst
    }

    /// Pairs each expected call with a distinct actual call of the same tool: a pairing in which
    /// every call's arguments pass when there is one, else the first unused call of each tool.
    pub(super) fn pair(&self, expected: &[Call], actual: &[ActualCall]) -> Vec<Option<usize>> {
        let passes: Vec<Vec<bool>> = expected
            .iter()
            .map(|e| {
                actual
                    .iter()
                    .map(|a| a.name == e.tool && self.check(e, a).is_none())
                    .collect()
            })
            .collect();
        let mut chosen = vec![None; expected.len()];
        let mut used = vec![false; actual.len()];
        // Expectations are few; a depth-first search stays small. Past 8, take the greedy pairing.
        if expected.len() <= 8 && all_pass(&passes, 0, &mut chosen, &mut used) {
            return chosen;
        }
        let mut used = vec![false; actual.len()];
        expected
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let pick = (0..actual.len())
                    .find(|&j| !used[j] && passes[i][j])
                    .or_else(|| (0..actual.len()).find(|&j| !used[j] && actual[j].name == e.tool));
                if let Some(j) = pick {
                    used[j] = true;
                }
                pick
            })
            .collect()
    }

    /// Checks one paired call's arguments: `None` when they pass.
    pub(super) fn check(&self, exp: &Call, call: &ActualCall) -> Option<(Outcome, String)> {
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

/// The expected calls no actual call was paired with, named for a reason: "another call to"
/// when the model did call that tool, only not often enough.
fn unpaired_expectations(
    expected: &[Call],
    assignment: &[Option<usize>],
    got: &[&str],
) -> Vec<String> {
    expected
        .iter()
        .zip(assignment)
        .filter(|(_, a)| a.is_none())
        .map(|(e, _)| {
            if got.contains(&e.tool.as_str()) {
                format!("another call to `{}`", e.tool)
            } else {
                format!("`{}`", e.tool)
            }
        })
        .collect()
}

/// The actual calls no expectation was paired with: calls beyond those expected.
fn unpaired_calls(actual: &[ActualCall], assignment: &[Option<usize>]) -> Vec<ActualCall> {
    (0..actual.len())
        .filter(|i| !assignment.contains(&Some(*i)))
        .map(|i| actual[i].clone())
        .collect()
}

/// Finds, from expectation `i` on, distinct calls whose arguments all pass.
fn all_pass(
    passes: &[Vec<bool>],
    i: usize,
    chosen: &mut [Option<usize>],
    used: &mut [bool],
) -> bool {
    if i == passes.len() {
        return true;
    }
    for j in 0..used.len() {
        if passes[i][j] && !used[j] {
            used[j] = true;
            chosen[i] = Some(j);
            if all_pass(passes, i + 1, chosen, used) {
                return true;
            }
            used[j] = false;
            chosen[i] = None;
        }
    }
    false
}

fn verdict(outcome: Outcome, reason: impl Into<String>, expected_tools: Vec<String>) -> Verdict {
    Verdict {
        outcome,
        reason: reason.into(),
        expected_tools,
    }
}

/// The calls in the order made, a run of the same tool written once with its count (`a` ×6,
/// `b`), at most [`NAMED_RUNS`] runs and then how many calls are left.
pub(super) fn names(calls: &[ActualCall]) -> String {
    let mut runs: Vec<(&ActualCall, usize)> = Vec::new();
    for c in calls {
        match runs.last_mut() {
            Some((last, n)) if last.name == c.name => *n += 1,
            _ => runs.push((c, 1)),
        }
    }
    let shown = runs.len().min(NAMED_RUNS);
    let mut out: Vec<String> = runs[..shown]
        .iter()
        .map(|(c, n)| {
            let name = if c.name.is_empty() {
                "a tool without a name".to_owned()
            } else if c.known {
                format!("`{}`", c.name)
            } else {
                format!("`{}` (no server offers it)", c.name)
            };
            if *n > 1 {
                format!("{name} ×{n}")
            } else {
                name
            }
        })
        .collect();
    if shown < runs.len() {
        let left: usize = runs[shown..].iter().map(|(_, n)| n).sum();
        out.push(format!(
            "and {left} more call{}",
            if left == 1 { "" } else { "s" }
        ));
    }
    out.join(", ")
}

/// How many runs of calls a reason names before it counts the rest.
const NAMED_RUNS: usize = 8;

/// `s` cut to 80 characters, with an ellipsis where it was cut.
pub(super) fn cut(s: &str) -> String {
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
                ..Default::default()
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
        crate::config::parse_yaml(std::path::Path::new("expect.yaml"), yaml).unwrap()
    }

    #[test]
    fn a_schema_that_does_not_compile_is_skipped_and_named() {
        let tool = |name: &str, schema: Value| crate::mcp::ServerTool {
            name: name.into(),
            description: None,
            input_schema: schema,
            ..Default::default()
        };
        let j = Judge::new(&ToolSet::new(vec![(
            "s".into(),
            vec![
                tool("good", json!({"type": "object"})),
                tool(
                    "broken",
                    json!({"type": "object", "properties": {"a": {"type": 12}}}),
                ),
            ],
        )]));
        let skipped = j.skipped();
        assert_eq!(skipped.len(), 1, "{skipped:?}");
        assert_eq!(skipped[0].0, "broken");
        assert!(!skipped[0].1.is_empty());
        // Its calls are judged without it: any arguments pass.
        let v = j.judge(
            &expect("tool: broken"),
            &[call("broken", json!({"a": "x"}))],
        );
        assert_eq!(v.outcome, Outcome::Pass, "{}", v.reason);
    }

    #[test]
    fn the_worst_argument_failure_is_reported_the_first_of_equals() {
        let j = judge();
        let two = "{ calls: [{ tool: search_logs, args: { service: a } }, { tool: search_logs, args: { service: b } }] }";
        let logs = |service: Value| call("search_logs", json!({ "service": service }));
        // Both wrong alike: the first is named.
        let v = j.judge(&expect(two), &[logs(json!("x")), logs(json!("y"))]);
        assert_eq!(v.outcome, Outcome::BadArgs);
        assert!(
            v.reason.contains("\"x\"") && !v.reason.contains("\"y\""),
            "{}",
            v.reason
        );
        // No pairing passes: the first expectation takes the first call, the second the next
        // unused one (not the first again, which would pass it), and the worse failure counts.
        let v = j.judge(&expect(two), &[logs(json!("b")), logs(json!(7))]);
        assert_eq!(v.outcome, Outcome::InvalidArgs, "{}", v.reason);
        let v = j.judge(&expect(two), &[logs(json!(7)), logs(json!("x"))]);
        assert_eq!(v.outcome, Outcome::InvalidArgs, "{}", v.reason);
    }

    #[test]
    fn unparsable_arguments_are_cut_to_80_characters_in_the_reason() {
        let j = judge();
        let raw = |n: usize| ActualCall {
            name: "search_logs".into(),
            known: true,
            arguments: Err("{".repeat(n)),
        };
        let v = j.judge(&expect("tool: search_logs"), &[raw(80)]);
        assert!(v.reason.ends_with(&"{".repeat(80)), "{}", v.reason);
        let v = j.judge(&expect("tool: search_logs"), &[raw(81)]);
        assert!(
            v.reason.ends_with(&format!("{}…", "{".repeat(79))),
            "{}",
            v.reason
        );
        assert_eq!(cut(""), "");
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
                "missing `list_alerts`; called `tail_logs`",
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
    fn finds_a_passing_pairing_and_respects_strict_order_of_repeats() {
        let j = judge();
        let e = expect(
            "{ calls: [{ tool: tail_logs, args: { service: { present: true } } }, { tool: tail_logs, args: { service: b } }] }",
        );
        let calls = [
            call("tail_logs", json!({"service": "b"})),
            call("tail_logs", json!({"service": "c"})),
        ];
        assert_eq!(j.judge(&e, &calls).outcome, Outcome::Pass);
        let strict = expect(
            "{ calls: [{ tool: tail_logs, args: { service: a } }, { tool: tail_logs, args: { service: b } }], order: strict }",
        );
        let swapped = [
            call("tail_logs", json!({"service": "b"})),
            call("tail_logs", json!({"service": "a"})),
        ];
        assert_eq!(j.judge(&strict, &swapped).outcome, Outcome::BadArgs);
        let once = [call("tail_logs", json!({"service": "a"}))];
        let v = j.judge(&strict, &once);
        assert_eq!(v.outcome, Outcome::WrongTool);
        assert!(
            v.reason
                .contains("missing another call to `tail_logs`; called `tail_logs`"),
            "{}",
            v.reason
        );
        let nested = expect(
            "{ any_of: [{ any_of: [{ tool: list_alerts }, { tool: search_logs }] }, none] }",
        );
        let v = j.judge(&nested, &once);
        assert_eq!(
            v.reason.matches("no alternative").count(),
            1,
            "{}",
            v.reason
        );
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
