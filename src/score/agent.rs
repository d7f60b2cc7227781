//! An agent conversation's outcome: the calls of every turn held against `expect` and
//! `trajectory`, then the final answer against `answer`.
//!
//! In agent mode `expect` reads as "these calls are among those made": `tool` and `calls` must
//! each be matched by a distinct call (in the listed order with `order: strict`, others allowed
//! between); other calls are allowed; `none` means no call at all; `any_of` passes when one
//! alternative does. `trajectory` says more: `order: exact | in_order | any`, `allow_extra`,
//! `forbid` and `max_calls`.

use serde_json::Value;

use super::matcher::describe;
use super::outcome::{ActualCall, Judge, Verdict, cut, names};
use crate::config::{
    Answer, AnswerCheck, Call, Expect, Matcher, Order, Sequence, Task, Trajectory,
};
use crate::record::{LoopEnd, Outcome};

/// How an agent conversation went, as scoring needs it.
pub(crate) struct Conversation<'a> {
    /// Every call of every turn, in order.
    pub calls: &'a [ActualCall],
    pub end: LoopEnd,
    /// The final answer's text (`end: answered`).
    pub answer: Option<&'a str>,
    /// The call the loop stopped at (`end: stopped`), for the reason.
    pub stopped_at: Option<&'a str>,
    /// The call made `max_repeats` times, and how often (`end: repeated`), for the reason.
    pub repeated: Option<(&'a str, u32)>,
    pub turns: usize,
}

/// What a conversation (or one turn of it) is held to: a task's `expect`, `trajectory` and
/// `answer`, or a scripted turn's own.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Checks<'a> {
    pub expect: Option<&'a Expect>,
    pub trajectory: Option<&'a Trajectory>,
    pub answer: Option<&'a Answer>,
}

impl<'a> Checks<'a> {
    /// A task's own checks.
    pub(crate) fn of(task: &'a Task) -> Checks<'a> {
        Checks {
            expect: task.expect.as_ref(),
            trajectory: task.trajectory.as_deref(),
            answer: task.answer.as_deref(),
        }
    }

    /// Every tool `expect` and then `trajectory` name as calls to make, in order.
    fn expected_tools(&self) -> Vec<String> {
        let mut tools: Vec<String> = self
            .expect
            .map(|e| e.tools().into_iter().map(str::to_owned).collect())
            .unwrap_or_default();
        if let Some(t) = self.trajectory {
            tools.extend(t.calls.iter().map(|c| c.tool.clone()));
        }
        tools
    }
}

impl Judge {
    /// The verdict of an agent conversation that ended without an infrastructure failure.
    ///
    /// A conversation that ended without an answer (the turn limit, a loop of repeated calls, a
    /// call that may not run) gets its own outcome only when every call the task requires was
    /// made with passing arguments; otherwise the outcome of the call that is missing or wrong.
    /// The reason says both.
    pub(crate) fn judge_agent(&self, task: Checks<'_>, c: &Conversation) -> Verdict {
        let expected_tools = task.expected_tools();
        let verdict = |outcome, reason: String| Verdict {
            outcome,
            reason,
            expected_tools: expected_tools.clone(),
        };
        let calls = self.judge_trajectory(task, c.calls);
        let unfinished = match c.end {
            LoopEnd::TurnLimit => Some((
                Outcome::TurnLimit,
                format!("no answer within {} turns", c.turns),
            )),
            LoopEnd::Repeated => {
                let (tool, times) = c.repeated.unwrap_or(("a tool", 0));
                Some((
                    Outcome::Looped,
                    format!("no answer: the same call to `{tool}` {times} times (`max_repeats`)"),
                ))
            }
            LoopEnd::Stopped => {
                let at = c.stopped_at.unwrap_or("a tool");
                let end = format!("the loop stopped at `{at}`, which may not run");
                match &calls {
                    // Without answer checks, the calls are all there is to judge.
                    Ok(ok) if task.answer.is_none() => {
                        return verdict(Outcome::Pass, format!("{ok}; {end}"));
                    }
                    _ => Some((Outcome::Stopped, format!("{end}, before an answer"))),
                }
            }
            LoopEnd::Answered | LoopEnd::Error => None,
        };
        if let Some((outcome, end)) = unfinished {
            return match calls {
                Err((o, why)) => verdict(o, format!("{why}; {end}")),
                Ok(ok) => verdict(outcome, format!("{ok}; {end}")),
            };
        }
        match calls {
            Err((o, why)) => verdict(o, why),
            Ok(ok) => match check_answer(task, c.answer) {
                Err(why) => verdict(Outcome::WrongAnswer, why),
                Ok(()) if task.answer.is_some() => {
                    verdict(Outcome::Pass, format!("{ok}; the answer passes its checks"))
                }
                Ok(()) => verdict(Outcome::Pass, ok),
            },
        }
    }

    /// The calls against `expect` and `trajectory`: what held, or the first failure.
    fn judge_trajectory(
        &self,
        task: Checks<'_>,
        calls: &[ActualCall],
    ) -> Result<String, (Outcome, String)> {
        let t = task.trajectory;
        if let Some(t) = t {
            if let Some(bad) = calls.iter().find(|c| t.forbid.contains(&c.name)) {
                return Err((
                    Outcome::UnexpectedCall,
                    format!("called `{}`, which the task forbids", bad.name),
                ));
            }
            if let Some(max) = t.max_calls
                && calls.len() > max
            {
                return Err((
                    Outcome::UnexpectedCall,
                    format!("made {} calls; at most {max} are allowed", calls.len()),
                ));
            }
        }
        if let Some(e) = task.expect {
            self.judge_expect(e, calls)?;
        }
        if let Some(t) = t {
            self.judge_sequence(t, calls)?;
        }
        Ok(match calls.len() {
            0 => "no tool called, as expected".to_owned(),
            // The count of calls, when the names do not already say it.
            n if names(calls).contains(", ") => format!("called {} ({n} calls)", names(calls)),
            _ => format!("called {}", names(calls)),
        })
    }

    /// `expect` in agent mode: its calls are among those made.
    fn judge_expect(&self, e: &Expect, calls: &[ActualCall]) -> Result<(), (Outcome, String)> {
        match e {
            Expect::None if calls.is_empty() => Ok(()),
            Expect::None => Err((
                Outcome::UnexpectedCall,
                format!("called {} where no tool should be called", names(calls)),
            )),
            Expect::Call(c) => self.contains(std::slice::from_ref(c), Sequence::Any, calls),
            Expect::Calls { calls: exp, order } => {
                let seq = match order {
                    Order::Strict => Sequence::InOrder,
                    Order::Any => Sequence::Any,
                };
                self.contains(exp, seq, calls)
            }
            Expect::AnyOf(alts) => {
                let mut results: Vec<Result<(), (Outcome, String)>> =
                    alts.iter().map(|a| self.judge_expect(a, calls)).collect();
                if results.iter().any(Result::is_ok) {
                    return Ok(());
                }
                results.sort_by_key(|r| r.as_ref().err().map(|(o, _)| *o));
                let (o, why) = results
                    .swap_remove(0)
                    .err()
                    .unwrap_or((Outcome::WrongTool, String::new()));
                Err((o, format!("no alternative matched; closest: {why}")))
            }
        }
    }

    /// `trajectory.calls` with its order and whether others may come.
    fn judge_sequence(
        &self,
        t: &Trajectory,
        calls: &[ActualCall],
    ) -> Result<(), (Outcome, String)> {
        let seq = t.sequence();
        let matched = if seq == Sequence::Exact {
            self.exact(&t.calls, calls)?;
            (0..calls.len()).map(Some).collect()
        } else {
            self.contains(&t.calls, seq, calls)?;
            self.assignment(&t.calls, seq, calls)
        };
        if !t.extra_allowed() {
            let extra: Vec<ActualCall> = (0..calls.len())
                .filter(|j| !matched.contains(&Some(*j)))
                .map(|j| calls[j].clone())
                .collect();
            if !extra.is_empty() {
                return Err((
                    Outcome::UnexpectedCall,
                    format!("called {} besides the trajectory's calls", names(&extra)),
                ));
            }
        }
        Ok(())
    }

    /// Which call answers each expected one (`None` for none), in a sequence or in any order.
    fn assignment(
        &self,
        expected: &[Call],
        seq: Sequence,
        calls: &[ActualCall],
    ) -> Vec<Option<usize>> {
        match seq {
            // A pairing where every call fits, when there is one; pairs that do not fit count
            // as unmatched.
            Sequence::Any => self
                .pair(expected, calls)
                .into_iter()
                .zip(expected)
                .map(|(j, e)| j.filter(|&j| self.fits(e, &calls[j])))
                .collect(),
            _ => {
                // The earliest call that fits each expected one, after the previous one's: the
                // greedy choice finds a fitting subsequence whenever there is one.
                let mut next = 0;
                expected
                    .iter()
                    .map(|e| {
                        let j = (next..calls.len()).find(|&j| self.fits(e, &calls[j]))?;
                        next = j + 1;
                        Some(j)
                    })
                    .collect()
            }
        }
    }

    fn fits(&self, e: &Call, c: &ActualCall) -> bool {
        c.name == e.tool && self.check(e, c).is_none()
    }

    /// Every expected call is matched by a distinct call with passing arguments (in order for
    /// `in_order`); the first that is not, with why.
    fn contains(
        &self,
        expected: &[Call],
        seq: Sequence,
        calls: &[ActualCall],
    ) -> Result<(), (Outcome, String)> {
        let assignment = self.assignment(expected, seq, calls);
        let Some(i) = assignment.iter().position(Option::is_none) else {
            return Ok(());
        };
        let e = &expected[i];
        if calls.is_empty() {
            return Err((
                Outcome::NoCall,
                format!("expected `{}`, the model called no tool", e.tool),
            ));
        }
        let same: Vec<&ActualCall> = calls.iter().filter(|c| c.name == e.tool).collect();
        if let Some(failure) = same.iter().find_map(|c| self.check(e, c)) {
            return Err(failure);
        }
        // Out of order, unless there are simply fewer calls of the tool than expected.
        let wanted = expected.iter().filter(|x| x.tool == e.tool).count();
        if !same.is_empty() && same.len() >= wanted && seq == Sequence::InOrder {
            return Err((
                Outcome::WrongTool,
                format!("called `{}` out of order: called {}", e.tool, names(calls)),
            ));
        }
        let what = if same.is_empty() {
            format!("`{}`", e.tool)
        } else {
            format!("another call to `{}`", e.tool)
        };
        Err((
            Outcome::WrongTool,
            format!("expected {what}; called {}", names(calls)),
        ))
    }

    /// Exactly these calls, in this order.
    fn exact(&self, expected: &[Call], calls: &[ActualCall]) -> Result<(), (Outcome, String)> {
        for (n, (e, c)) in expected.iter().zip(calls).enumerate() {
            if c.name != e.tool {
                return Err((
                    Outcome::WrongTool,
                    format!("call {} was `{}`, expected `{}`", n + 1, c.name, e.tool),
                ));
            }
            if let Some(failure) = self.check(e, c) {
                return Err(failure);
            }
        }
        match calls.len().cmp(&expected.len()) {
            std::cmp::Ordering::Less if calls.is_empty() => Err((
                Outcome::NoCall,
                format!("expected `{}`, the model called no tool", expected[0].tool),
            )),
            std::cmp::Ordering::Less => Err((
                Outcome::WrongTool,
                format!(
                    "stopped after {} of {} calls; missing `{}`",
                    calls.len(),
                    expected.len(),
                    expected[calls.len()].tool
                ),
            )),
            std::cmp::Ordering::Greater => Err((
                Outcome::UnexpectedCall,
                format!(
                    "called {} after the trajectory's {} calls",
                    names(&calls[expected.len()..]),
                    expected.len()
                ),
            )),
            std::cmp::Ordering::Equal => Ok(()),
        }
    }
}

/// The final answer against the task's `answer` checks: the first that fails, said plainly.
pub(crate) fn check_answer(task: Checks<'_>, answer: Option<&str>) -> Result<(), String> {
    let Some(checks) = task.answer else {
        return Ok(());
    };
    let text = answer.unwrap_or("").trim();
    for check in &checks.0 {
        let ok = match check {
            AnswerCheck::NotContains(s) => !text.to_lowercase().contains(&s.to_lowercase()),
            AnswerCheck::Matcher(m) => answer_fits(m, text),
        };
        if !ok {
            let shown = if text.is_empty() {
                "there was no answer text".to_owned()
            } else {
                format!("the answer was {:?}", cut(text))
            };
            let wanted = match check {
                AnswerCheck::NotContains(s) => format!("an answer without {s:?}"),
                AnswerCheck::Matcher(Matcher::Exact(Value::String(s))) => {
                    format!("the answer {s:?}")
                }
                AnswerCheck::Matcher(Matcher::Present) => "an answer".to_owned(),
                AnswerCheck::Matcher(Matcher::Absent) => "no answer text".to_owned(),
                AnswerCheck::Matcher(m) => describe(m).replacen("a string", "an answer", 1),
            };
            return Err(format!("expected {wanted}; {shown}"));
        }
    }
    Ok(())
}

fn answer_fits(m: &Matcher, text: &str) -> bool {
    match m {
        Matcher::Exact(Value::String(s)) => text == s.trim(),
        Matcher::Exact(_) | Matcher::Approx { .. } => false,
        Matcher::Contains(s) => text.to_lowercase().contains(&s.to_lowercase()),
        Matcher::Regex(re) => re.is_match(text),
        Matcher::OneOf(opts) => opts
            .iter()
            .any(|o| o.as_str().is_some_and(|s| s.trim() == text)),
        Matcher::Present => !text.is_empty(),
        Matcher::Absent => text.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mcp::{ServerTool, ToolSet};
    use serde_json::json;

    fn judge() -> Judge {
        let tool = |name: &str| ServerTool {
            name: name.into(),
            description: Some(name.into()),
            input_schema: json!({"type": "object", "properties": {"service": {"type": "string"}}}),
            annotations: None,
        };
        Judge::new(&ToolSet::new(vec![(
            "s".into(),
            vec![
                tool("metric"),
                tool("logs"),
                tool("deploys"),
                tool("rollback"),
            ],
        )]))
    }

    fn task(yaml: &str) -> Task {
        let text = format!("id: t\nprompt: p\nmode: agent\n{yaml}");
        serde_saphyr::from_str_with_options(&text, crate::config::yaml_options()).unwrap()
    }

    fn call(name: &str, service: &str) -> ActualCall {
        ActualCall {
            name: name.into(),
            known: true,
            arguments: Ok(json!({ "service": service }).as_object().unwrap().clone()),
        }
    }

    fn answered<'a>(calls: &'a [ActualCall], answer: &'a str) -> Conversation<'a> {
        Conversation {
            calls,
            end: LoopEnd::Answered,
            answer: Some(answer),
            stopped_at: None,
            repeated: None,
            turns: calls.len() + 1,
        }
    }

    fn outcome(t: &Task, c: &Conversation) -> (Outcome, String) {
        let v = judge().judge_agent(Checks::of(t), c);
        (v.outcome, v.reason)
    }

    #[test]
    fn expect_means_these_calls_are_among_those_made() {
        let t = task("expect: { tool: deploys, args: { service: payments } }\n");
        let calls = [
            call("metric", "checkout"),
            call("logs", "checkout"),
            call("deploys", "payments"),
        ];
        assert_eq!(outcome(&t, &answered(&calls, "v2")).0, Outcome::Pass);
        let calls = [call("metric", "checkout"), call("deploys", "cart")];
        assert_eq!(outcome(&t, &answered(&calls, "v2")).0, Outcome::BadArgs);
        assert_eq!(outcome(&t, &answered(&[], "no idea")).0, Outcome::NoCall);
        let t = task("expect: none\n");
        assert_eq!(outcome(&t, &answered(&[], "hello")).0, Outcome::Pass);
        assert_eq!(
            outcome(&t, &answered(&[call("logs", "x")], "hello")).0,
            Outcome::UnexpectedCall
        );
    }

    #[test]
    fn trajectories_hold_their_order_extras_forbidden_tools_and_call_budget() {
        let calls = [
            call("metric", "checkout"),
            call("logs", "checkout"),
            call("deploys", "payments"),
        ];
        let run = |yaml: &str| outcome(&task(yaml), &answered(&calls, "v2.14.0"));
        assert_eq!(
            run("trajectory: { calls: [{ tool: metric }, { tool: deploys }] }\n").0,
            Outcome::Pass
        );
        let (o, why) = run("trajectory: { calls: [{ tool: deploys }, { tool: metric }] }\n");
        assert_eq!(o, Outcome::WrongTool, "{why}");
        assert!(why.contains("out of order"), "{why}");
        assert_eq!(
            run("trajectory: { calls: [{ tool: deploys }, { tool: metric }], order: any }\n").0,
            Outcome::Pass
        );
        let (o, why) =
            run("trajectory: { calls: [{ tool: metric }, { tool: deploys }], order: exact }\n");
        assert_eq!(o, Outcome::WrongTool, "{why}");
        assert!(why.contains("call 2 was `logs`"), "{why}");
        assert_eq!(
            run("trajectory: { calls: [{ tool: metric }, { tool: logs }, { tool: deploys }], order: exact }\n").0,
            Outcome::Pass
        );
        let (o, why) = run(
            "trajectory: { calls: [{ tool: metric }, { tool: deploys }], allow_extra: false }\n",
        );
        assert_eq!(o, Outcome::UnexpectedCall);
        assert!(why.contains("`logs`"), "{why}");
        let (o, why) = run("trajectory: { forbid: [rollback, logs] }\n");
        assert_eq!(o, Outcome::UnexpectedCall);
        assert!(why.contains("forbids"), "{why}");
        assert_eq!(
            run("trajectory: { max_calls: 2 }\n").0,
            Outcome::UnexpectedCall
        );
        assert_eq!(run("trajectory: { max_calls: 3 }\n").0, Outcome::Pass);
        // An exact trajectory cut short: no call at all, or the first of two.
        let exact =
            task("trajectory: { calls: [{ tool: metric }, { tool: logs }], order: exact }\n");
        assert_eq!(outcome(&exact, &answered(&[], "x")).0, Outcome::NoCall);
        let (o, why) = outcome(&exact, &answered(&calls[..1], "x"));
        assert_eq!(o, Outcome::WrongTool);
        assert_eq!(why, "stopped after 1 of 2 calls; missing `logs`");
        // In order, each expected call takes a call of its own: one `metric` call does not
        // answer two expected ones.
        let (o, why) = run("trajectory: { calls: [{ tool: metric }, { tool: metric }] }\n");
        assert_eq!(o, Outcome::WrongTool, "{why}");
        assert!(why.contains("another call to `metric`"), "{why}");
    }

    #[test]
    fn the_answer_is_checked_after_the_calls() {
        let calls = [call("deploys", "payments")];
        let t = task(
            "trajectory: { calls: [{ tool: deploys }] }\nanswer: [{ contains: v2.14.0 }, { not_contains: rolled back }]\n",
        );
        let (o, why) = outcome(&t, &answered(&calls, "Deploy V2.14.0 of payments"));
        assert_eq!(o, Outcome::Pass);
        assert_eq!(why, "called `deploys`; the answer passes its checks");
        // Without answer checks, the reason is the calls alone.
        let calls_only = task("trajectory: { calls: [{ tool: deploys }] }\n");
        assert_eq!(
            outcome(&calls_only, &answered(&calls, "anything")).1,
            "called `deploys`"
        );
        let nothing = task("expect: none\n");
        assert_eq!(
            outcome(&nothing, &answered(&[], "hi")).1,
            "no tool called, as expected"
        );
        let mixed = [
            call("metric", "a"),
            call("deploys", "payments"),
            call("metric", "b"),
        ];
        assert_eq!(
            outcome(&calls_only, &answered(&mixed, "x")).1,
            "called `metric`, `deploys`, `metric` (3 calls)"
        );
        let (o, why) = outcome(&t, &answered(&calls, "payments v2.13"));
        assert_eq!(o, Outcome::WrongAnswer);
        assert!(why.contains("containing \"v2.14.0\""), "{why}");
        let (o, _) = outcome(&t, &answered(&calls, "v2.14.0, so I rolled back"));
        assert_eq!(o, Outcome::WrongAnswer);
        // Wrong calls are reported before a wrong answer.
        assert_eq!(outcome(&t, &answered(&[], "v2.14.0")).0, Outcome::NoCall);
    }

    fn unfinished<'a>(calls: &'a [ActualCall], end: LoopEnd) -> Conversation<'a> {
        Conversation {
            calls,
            end,
            answer: None,
            stopped_at: (end == LoopEnd::Stopped).then_some("rollback"),
            repeated: (end == LoopEnd::Repeated)
                .then(|| (calls.first().map_or("", |c| c.name.as_str()), 3)),
            turns: 6,
        }
    }

    #[test]
    fn a_conversation_without_an_answer_has_its_own_outcome_only_when_the_required_calls_were_made()
    {
        let t = task(
            "trajectory: { calls: [{ tool: deploys, args: { service: payments } }], forbid: [rollback] }\nanswer: { contains: v2 }\n",
        );
        let right = [call("deploys", "payments"), call("deploys", "payments")];
        let wrong = [
            call("metric", "a"),
            call("metric", "a"),
            call("metric", "a"),
        ];
        let bad = [call("deploys", "cart")];
        for (end, own) in [
            (LoopEnd::TurnLimit, Outcome::TurnLimit),
            (LoopEnd::Repeated, Outcome::Looped),
            (LoopEnd::Stopped, Outcome::Stopped),
        ] {
            let (o, why) = outcome(&t, &unfinished(&right, end));
            assert_eq!(o, own, "{end:?}: {why}");
            assert!(why.starts_with("called `deploys` ×2; "), "{why}");
            // A loop on the wrong tool is not a right selection, whatever ended it.
            let (o, why) = outcome(&t, &unfinished(&wrong, end));
            assert_eq!(o, Outcome::WrongTool, "{end:?}: {why}");
            assert!(!o.selection_ok());
            assert!(
                why.starts_with("expected `deploys`; called `metric` ×3; "),
                "{why}"
            );
            let (o, why) = outcome(&t, &unfinished(&bad, end));
            assert_eq!(o, Outcome::BadArgs, "{end:?}: {why}");
            assert_eq!(outcome(&t, &unfinished(&[], end)).0, Outcome::NoCall);
            let (o, _) = outcome(&t, &unfinished(&[call("rollback", "x")], end));
            assert_eq!(o, Outcome::UnexpectedCall);
        }
        // The reasons say how the conversation ended, and (`looped`) which call repeated.
        let reason = |c: &[ActualCall], end| outcome(&t, &unfinished(c, end)).1;
        assert!(
            reason(&wrong, LoopEnd::TurnLimit).ends_with("; no answer within 6 turns"),
            "{}",
            reason(&wrong, LoopEnd::TurnLimit)
        );
        let looped = reason(&wrong, LoopEnd::Repeated);
        assert!(
            looped.ends_with("; no answer: the same call to `metric` 3 times (`max_repeats`)"),
            "{looped}"
        );
        assert!(
            reason(&right, LoopEnd::Stopped).contains("stopped at `rollback`, which may not run"),
            "{}",
            reason(&right, LoopEnd::Stopped)
        );
        // A stop with nothing left to check passes on its calls.
        let calls_only = task("trajectory: { calls: [{ tool: deploys }] }\n");
        let (o, why) = outcome(&calls_only, &unfinished(&right, LoopEnd::Stopped));
        assert_eq!(o, Outcome::Pass);
        assert!(why.contains("stopped at `rollback`"), "{why}");
        assert_eq!(
            outcome(&calls_only, &unfinished(&wrong, LoopEnd::Stopped)).0,
            Outcome::WrongTool
        );
    }

    #[test]
    fn each_answer_check_accepts_and_rejects() {
        let fits = |check: &str, text: &str| {
            let t = task(&format!("answer: {check}\n"));
            check_answer(Checks::of(&t), Some(text)).is_ok()
        };
        assert!(fits("\"v2.14.0\"", " v2.14.0 "));
        assert!(!fits("\"v2.14.0\"", "v2.14.0, live"));
        assert!(fits("{ one_of: [yes, \"y\"] }", "y"));
        assert!(!fits("{ one_of: [yes, \"y\"] }", "no"));
        assert!(fits("{ present: true }", "anything"));
        assert!(!fits("{ present: true }", "  "));
        assert!(fits("{ absent: true }", ""));
        assert!(!fits("{ absent: true }", "words"));
        assert!(fits("{ regex: \"v2\\\\.14\" }", "it is v2.14 now"));
        assert!(fits(
            "[{ contains: V2 }, { not_contains: rolled }]",
            "v2 live"
        ));
        assert!(!fits(
            "[{ contains: V2 }, { not_contains: rolled }]",
            "v2 rolled back"
        ));
    }

    #[test]
    fn reasons_name_runs_of_the_same_call_once_with_their_count() {
        let t = task("expect: { tool: deploys }\n");
        let calls = [
            call("metric", "a"),
            call("metric", "b"),
            call("logs", "a"),
            call("metric", "a"),
        ];
        let (_, why) = outcome(&t, &answered(&calls, "done"));
        assert_eq!(
            why,
            "expected `deploys`; called `metric` ×2, `logs`, `metric`"
        );
        let many: Vec<ActualCall> = (0..20)
            .map(|i| call(if i % 2 == 0 { "metric" } else { "logs" }, "a"))
            .collect();
        let (_, why) = outcome(&t, &answered(&many, "done"));
        assert!(why.ends_with(", and 12 more calls"), "{why}");
    }
}
