//! Asked-before-acting: in a conversation with a simulated user, a value the model put in a
//! call must come from somewhere it was shown. A call's argument is checked when its parameter
//! is required and free-form (not an enum or a boolean, which a model may fairly infer), or
//! when its value is one of the facts the user `knows`. Its value then came from the first
//! prompt (given), from a user reply before the call (asked for: passes), from a tool result
//! before the call (looked up), or from nowhere (invented: fails).

use serde_json::{Map, Value};

use crate::record::{ArgumentSource, AskedBeforeActing, CallHow, TurnRecord};

/// What a call's argument values are checked against.
pub(crate) struct Sources<'a> {
    /// The task's prompt: what the user said first.
    pub prompt: &'a str,
    /// Facts the simulated user gives only when asked.
    pub knows: &'a [String],
}

/// Whether `value` (a call's argument as text) occurs in `text`, ignoring case; a number or a
/// short value must stand as a word of its own.
fn occurs(value: &str, text: &str) -> bool {
    let (value, text) = (value.to_lowercase(), text.to_lowercase());
    if value.is_empty() {
        return false;
    }
    let short = value.chars().count() < 4 || value.parse::<f64>().is_ok();
    if !short {
        return text.contains(&value);
    }
    text.match_indices(&value).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + value.len()..].chars().next();
        let edge = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
        edge(before) && edge(after)
    })
}

/// A value as the text it is compared as: strings and numbers; other values are not checked.
fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The arguments of a call whose parameters are required and free-form in `schema`.
pub(crate) fn free_required(schema: &Value) -> Vec<String> {
    let props = schema.get("properties").and_then(Value::as_object);
    let required = schema.get("required").and_then(Value::as_array);
    let (Some(props), Some(required)) = (props, required) else {
        return Vec::new();
    };
    required
        .iter()
        .filter_map(Value::as_str)
        .filter(|name| {
            props.get(*name).is_some_and(|p| {
                p.get("enum").is_none()
                    && p.get("const").is_none()
                    && p.get("type").and_then(Value::as_str) != Some("boolean")
            })
        })
        .map(str::to_owned)
        .collect()
}

/// Where each checked argument's value came from, over a conversation's turns in order; `None`
/// when no checked value came from a user reply or from nowhere (everything was given in the
/// prompt or looked up).
pub(crate) fn asked_before_acting(
    src: &Sources<'_>,
    turns: &[TurnRecord],
    checked_params: impl Fn(&str) -> Vec<String>,
) -> Option<AskedBeforeActing> {
    let mut replies: Vec<&str> = Vec::new();
    let mut results: Vec<&str> = Vec::new();
    let mut user_turn = 1;
    let mut out = AskedBeforeActing::default();
    for t in turns {
        if let Some(u) = &t.user {
            replies.push(u);
            user_turn += 1;
        }
        for r in &t.results {
            let made = matches!(
                r.how,
                CallHow::Executed | CallHow::Mocked | CallHow::Replayed | CallHow::Refused
            );
            if !made {
                continue;
            }
            let args: Map<String, Value> = serde_json::from_str(&r.arguments).unwrap_or_default();
            let params = checked_params(&r.tool);
            for (name, v) in &args {
                let Some(value) = as_text(v) else { continue };
                let known = src.knows.iter().any(|k| occurs(&value, k));
                if !params.contains(name) && !known {
                    continue;
                }
                if occurs(&value, src.prompt) {
                    continue;
                }
                let source = ArgumentSource {
                    tool: r.tool.clone(),
                    argument: name.clone(),
                    value: value.clone(),
                    turn: user_turn,
                };
                if replies.iter().any(|u| occurs(&value, u)) {
                    out.asked.push(source);
                } else if !results.iter().any(|x| occurs(&value, x)) {
                    out.invented.push(source);
                }
            }
            if !r.is_error {
                results.push(&r.text);
            }
        }
    }
    if out.asked.is_empty() && out.invented.is_empty() {
        return None;
    }
    out.passed = out.invented.is_empty();
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{CallResult, ReplyRecord};

    fn turn(user: Option<&str>, calls: &[(&str, Value, &str)]) -> TurnRecord {
        TurnRecord {
            user: user.map(str::to_owned),
            reply: ReplyRecord::default(),
            results: calls
                .iter()
                .map(|(tool, args, result)| CallResult {
                    tool: (*tool).to_owned(),
                    arguments: args.to_string(),
                    how: CallHow::Mocked,
                    text: (*result).to_owned(),
                    ..CallResult::default()
                })
                .collect(),
            ..TurnRecord::default()
        }
    }

    fn params(tool: &str) -> Vec<String> {
        match tool {
            "rollback_deployment" => vec!["service".into()],
            _ => vec![],
        }
    }

    const KNOWS: &[&str] = &["the service is payments", "the environment is production"];

    fn check(prompt: &str, turns: &[TurnRecord]) -> Option<AskedBeforeActing> {
        let knows: Vec<String> = KNOWS.iter().map(|s| (*s).to_owned()).collect();
        asked_before_acting(
            &Sources {
                prompt,
                knows: &knows,
            },
            turns,
            params,
        )
    }

    #[test]
    fn a_value_the_user_gave_when_asked_passes() {
        let turns = [
            turn(None, &[]),
            turn(
                Some("payments, in production"),
                &[(
                    "rollback_deployment",
                    serde_json::json!({"service": "payments", "environment": "production"}),
                    "ok",
                )],
            ),
        ];
        let a = check("Roll back the last deploy.", &turns).unwrap();
        assert!(a.passed);
        let asked: Vec<&str> = a.asked.iter().map(|s| s.argument.as_str()).collect();
        assert_eq!(asked, ["service", "environment"]);
        assert_eq!(a.asked[0].turn, 2);
    }

    #[test]
    fn a_value_nobody_gave_is_invented_whether_right_or_wrong() {
        for guess in ["payments", "checkout"] {
            let turns = [turn(
                None,
                &[(
                    "rollback_deployment",
                    serde_json::json!({"service": guess}),
                    "ok",
                )],
            )];
            let a = check("Roll back the last deploy.", &turns).unwrap();
            assert!(!a.passed, "{guess}");
            assert_eq!(a.invented[0].value, guess);
            assert_eq!(a.invented[0].turn, 1);
        }
    }

    #[test]
    fn values_given_up_front_or_looked_up_are_not_counted() {
        let turns = [turn(
            None,
            &[
                (
                    "list_deployments",
                    serde_json::json!({"service": "payments"}),
                    "v2.14.0 deployed",
                ),
                (
                    "rollback_deployment",
                    serde_json::json!({"service": "payments", "version": "v2.14.0"}),
                    "ok",
                ),
            ],
        )];
        assert_eq!(check("Roll back payments.", &turns), None);
    }

    #[test]
    fn a_short_value_or_a_number_must_stand_as_a_word() {
        assert!(occurs("7", "the last 7 days"));
        assert!(occurs("7", "7"));
        assert!(!occurs("7", "v2.17"));
        assert!(!occurs("7", "7d"));
        assert!(occurs("Payments", "the service is payments"));
        assert!(!occurs("", "anything"));
        // Three letters stand alone; four are looked for anywhere.
        assert!(!occurs("api", "rapid rollout"));
        assert!(occurs("api", "the api gateway"));
        assert!(occurs("prod", "production"));
        // A number of any length stands alone.
        assert!(!occurs("1500", "15000 requests"));
        assert!(occurs("1500", "at 1500 requests"));
    }

    #[test]
    fn an_error_result_is_no_source() {
        let mut failed = turn(
            None,
            &[(
                "list_deployments",
                serde_json::json!({}),
                "error: unknown service payments",
            )],
        );
        failed.results[0].is_error = true;
        let turns = [
            failed,
            turn(
                None,
                &[(
                    "rollback_deployment",
                    serde_json::json!({"service": "payments"}),
                    "ok",
                )],
            ),
        ];
        let a = check("Roll back the last deploy.", &turns).unwrap();
        assert!(!a.passed, "a value only an error named is invented");
    }

    #[test]
    fn numbers_are_checked_and_empty_values_are_not() {
        let knows = vec!["the limit is 50".to_owned()];
        let src = Sources {
            prompt: "List the alerts.",
            knows: &knows,
        };
        let turns = [turn(
            None,
            &[(
                "list_alerts",
                serde_json::json!({"limit": 50, "service": ""}),
                "[]",
            )],
        )];
        let a = asked_before_acting(&src, &turns, |_| vec!["service".into()]).unwrap();
        assert!(!a.passed);
        let invented: Vec<&str> = a.invented.iter().map(|s| s.argument.as_str()).collect();
        assert_eq!(invented, ["limit"], "an empty value is not an invented one");
        assert_eq!(a.invented[0].value, "50");
    }

    #[test]
    fn free_required_parameters_leave_out_enums_and_booleans() {
        let schema = serde_json::json!({
            "type": "object",
            "properties": {
                "service": {"type": "string"},
                "environment": {"type": "string", "enum": ["staging", "production"]},
                "dry_run": {"type": "boolean"},
                "note": {"type": "string"}
            },
            "required": ["service", "environment", "dry_run"]
        });
        assert_eq!(free_required(&schema), ["service"]);
    }
}
