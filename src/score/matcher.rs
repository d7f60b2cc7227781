//! Checking one call's arguments against the matchers of an expectation.

use indexmap::IndexMap;

use serde_json::{Map, Value};

use crate::config::Matcher;

/// Checks `args` against `matchers`; the first failure, as a sentence a person can act on.
pub(crate) fn check_args(
    matchers: &IndexMap<String, Matcher>,
    strict: bool,
    args: &Map<String, Value>,
) -> Result<(), String> {
    for (name, m) in matchers {
        check_one(name, m, args.get(name))?;
    }
    if strict {
        let extra: Vec<&str> = args
            .keys()
            .filter(|k| !matchers.contains_key(*k))
            .map(String::as_str)
            .collect();
        if !extra.is_empty() {
            return Err(format!(
                "unexpected argument(s) `{}` (strict_args)",
                extra.join("`, `")
            ));
        }
    }
    Ok(())
}

fn check_one(name: &str, m: &Matcher, actual: Option<&Value>) -> Result<(), String> {
    let Some(v) = actual else {
        return match m {
            Matcher::Absent => Ok(()),
            _ => Err(format!(
                "argument `{name}` is missing (expected {})",
                describe(m)
            )),
        };
    };
    let ok = match m {
        Matcher::Exact(want) => values_equal(want, v),
        Matcher::Contains(s) => v
            .as_str()
            .is_some_and(|a| a.to_lowercase().contains(&s.to_lowercase())),
        Matcher::Regex(re) => v.as_str().is_some_and(|a| re.is_match(a)),
        Matcher::OneOf(opts) => opts.iter().any(|o| values_equal(o, v)),
        Matcher::Approx { value, tolerance } => {
            number(v).is_some_and(|a| (a - value).abs() <= *tolerance)
        }
        Matcher::Present => true,
        Matcher::Absent => false,
    };
    if ok {
        Ok(())
    } else if matches!(m, Matcher::Absent) {
        Err(format!(
            "argument `{name}` should be absent, got {}",
            short(v)
        ))
    } else {
        Err(format!(
            "argument `{name}` is {}, expected {}",
            short(v),
            describe(m)
        ))
    }
}

/// Equality where numbers compare by value (5 == 5.0) and numeric strings do not equal numbers.
pub(crate) fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| values_equal(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, p)| y.get(k).is_some_and(|q| values_equal(p, q)))
        }
        _ => a == b,
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        _ => None,
    }
}

pub(super) fn describe(m: &Matcher) -> String {
    match m {
        Matcher::Exact(v) => short(v),
        Matcher::Contains(s) => format!("a string containing {s:?}"),
        Matcher::Regex(r) => format!("a string matching /{}/", r.as_str()),
        Matcher::OneOf(v) => format!("one of {}", short(&Value::Array(v.clone()))),
        Matcher::Approx { value, tolerance } => format!("{value} ± {tolerance}"),
        Matcher::Present => "any value".into(),
        Matcher::Absent => "no value".into(),
    }
}

/// A value shown in a reason, cut short.
pub(crate) fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(59).collect::<String>())
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn m(v: Value) -> Matcher {
        Matcher::from_value(v).unwrap()
    }

    #[test]
    fn each_matcher_accepts_and_rejects() {
        let cases: &[(Value, Option<Value>, bool)] = &[
            (json!("checkout"), Some(json!("checkout")), true),
            (json!("checkout"), Some(json!("Checkout")), false),
            (json!(5), Some(json!(5.0)), true),
            (json!(5), Some(json!("5")), false),
            (json!([1, 2]), Some(json!([1.0, 2])), true),
            (json!([1, 2]), Some(json!([1, 2, 3])), false),
            (json!([1, 2, 3]), Some(json!([1, 2])), false),
            (json!([1, 2]), Some(json!([2, 1])), false),
            (json!({"equals": {"a": 1}}), Some(json!({"a": 1.0})), true),
            (
                json!({"equals": {"a": 1}}),
                Some(json!({"a": 1, "b": 2})),
                false,
            ),
            (
                json!({"contains": "ERR"}),
                Some(json!("some error here")),
                true,
            ),
            (json!({"contains": "ERR"}), Some(json!(42)), false),
            (
                json!({"regex": "^INC-\\d+$"}),
                Some(json!("INC-1042")),
                true,
            ),
            (
                json!({"regex": "^INC-\\d+$"}),
                Some(json!("inc-1042")),
                false,
            ),
            (json!({"one_of": ["1h", "60m"]}), Some(json!("60m")), true),
            (json!({"one_of": ["1h", "60m"]}), Some(json!("2h")), false),
            (
                json!({"approx": 0.5, "tolerance": 0.1}),
                Some(json!(0.55)),
                true,
            ),
            (
                json!({"approx": 0.5, "tolerance": 0.1}),
                Some(json!(0.7)),
                false,
            ),
            (
                json!({"approx": 0.5, "tolerance": 0.1}),
                Some(json!("0.5")),
                false,
            ),
            // Not anchored: a match anywhere in the string passes (docs/suite-format.md).
            (
                json!({"regex": "INC-\\d+"}),
                Some(json!("see INC-1042 now")),
                true,
            ),
            (json!({"regex": "^INC"}), Some(json!("see INC-1042")), false),
            (json!({"regex": "(?i)^inc-"}), Some(json!("INC-7")), true),
            // The bounds are included (exact binary fractions, so no rounding decides it).
            (
                json!({"approx": 0.5, "tolerance": 0.25}),
                Some(json!(0.75)),
                true,
            ),
            (
                json!({"approx": 0.5, "tolerance": 0.25}),
                Some(json!(0.25)),
                true,
            ),
            (
                json!({"approx": 0.5, "tolerance": 0.25}),
                Some(json!(0.7500001)),
                false,
            ),
            // Without `tolerance`, 1e-9: equal up to rounding, not up to a visible difference.
            (json!({"approx": 0.3}), Some(json!(0.1 + 0.2)), true),
            (json!({"approx": 0.3}), Some(json!(0.30001)), false),
            (json!({"approx": 120}), Some(json!(120)), true),
            (json!({"present": true}), Some(json!(null)), true),
            (json!({"present": true}), None, false),
            (json!({"absent": true}), None, true),
            (json!({"absent": true}), Some(json!(1)), false),
            (json!("x"), None, false),
        ];
        for (matcher, actual, ok) in cases {
            let got = check_one("a", &m(matcher.clone()), actual.as_ref());
            assert_eq!(got.is_ok(), *ok, "{matcher} vs {actual:?}: {got:?}");
        }
    }

    #[test]
    fn values_in_reasons_are_cut_at_60_characters() {
        // A JSON string of 60 characters, its quotes included, is shown whole.
        let sixty = Value::String("x".repeat(58));
        assert_eq!(short(&sixty), sixty.to_string());
        let long = Value::String("y".repeat(200));
        let shown = short(&long);
        assert_eq!(shown.chars().count(), 60);
        assert!(shown.ends_with('…'));
        let sixty_one = Value::String("z".repeat(59));
        assert!(short(&sixty_one).ends_with('…'));
    }

    #[test]
    fn strict_args_rejects_extras_and_reasons_are_readable() {
        let mut matchers = IndexMap::new();
        matchers.insert("service".to_owned(), m(json!("cart")));
        let args = json!({"service": "cart", "limit": 5});
        let args = args.as_object().unwrap();
        assert!(check_args(&matchers, false, args).is_ok());
        let err = check_args(&matchers, true, args).unwrap_err();
        assert_eq!(err, "unexpected argument(s) `limit` (strict_args)");
        let wrong = json!({"service": "payments"});
        let err = check_args(&matchers, false, wrong.as_object().unwrap()).unwrap_err();
        assert_eq!(err, "argument `service` is \"payments\", expected \"cart\"");
    }
}
