//! One `Condition` entry (`operator → key → values`) against a request context.
//!
//! Rules, from "IAM JSON policy elements: Condition operators", "Conditions with multiple context
//! keys or values" and "Single-valued vs. multivalued context keys":
//! - several values of one key are OR; for a negated operator (StringNotEquals, …) they are NOR:
//!   the condition holds when the request value matches none of them;
//! - a key the request does not send makes the condition false, except that negated operators,
//!   `…IfExists` and `Null` test for presence: negated → true, `…IfExists` → true, `Null` true →
//!   true;
//! - `ForAllValues:` holds when every request value satisfies the operator, and also when the key
//!   is absent or empty; `ForAnyValue:` holds when at least one does, and is false when the key is
//!   absent;
//! - String operators are case-sensitive except the IgnoreCase ones; StringLike and ArnLike take
//!   `*` and `?`; ARN operators compare the six colon-separated parts one by one;
//! - anything else — an operator not listed here, a policy variable, a key sent with several values
//!   to a single-valued operator — is "cannot tell".

use super::pattern::{Pattern, Reading, Tri};
use super::policy::ConditionEntry;
use super::request::{KeyValue, Request};
use super::verdict::FailedCondition;

/// How one entry turned out.
pub(crate) enum Outcome {
    Holds,
    Fails(FailedCondition),
    Unsure(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetOperator {
    Single,
    ForAnyValue,
    ForAllValues,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparison {
    Equals,
    EqualsIgnoreCase,
    Like,
    Arn,
    Bool,
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Operator {
    set: SetOperator,
    comparison: Comparison,
    negated: bool,
    if_exists: bool,
}

/// Reads an operator name as written; operator names are matched exactly, so an unknown spelling
/// is "cannot tell" rather than a guess.
fn parse_operator(name: &str) -> Option<Operator> {
    let (set, rest) = if let Some(rest) = name.strip_prefix("ForAnyValue:") {
        (SetOperator::ForAnyValue, rest)
    } else if let Some(rest) = name.strip_prefix("ForAllValues:") {
        (SetOperator::ForAllValues, rest)
    } else {
        (SetOperator::Single, name)
    };
    let (base, if_exists) = match rest.strip_suffix("IfExists") {
        Some(base) => (base, true),
        None => (rest, false),
    };
    let (comparison, negated) = match base {
        "StringEquals" => (Comparison::Equals, false),
        "StringNotEquals" => (Comparison::Equals, true),
        "StringEqualsIgnoreCase" => (Comparison::EqualsIgnoreCase, false),
        "StringNotEqualsIgnoreCase" => (Comparison::EqualsIgnoreCase, true),
        "StringLike" => (Comparison::Like, false),
        "StringNotLike" => (Comparison::Like, true),
        // "ArnEquals, ArnLike: case-sensitive matching of the ARN. Each of the six
        // colon-delimited components of the ARN is checked separately and each can include
        // multi-character match wildcards (*) or single-character match wildcards (?)."
        "ArnEquals" | "ArnLike" => (Comparison::Arn, false),
        "ArnNotEquals" | "ArnNotLike" => (Comparison::Arn, true),
        "Bool" => (Comparison::Bool, false),
        // The Null check has no IfExists form and does not compare values, so set operators do
        // not apply to it.
        "Null" if !if_exists && set == SetOperator::Single => (Comparison::Null, false),
        _ => return None,
    };
    Some(Operator {
        set,
        comparison,
        negated,
        if_exists,
    })
}

/// Evaluates one condition entry. `variables`: the policy is Version 2012-10-17.
pub(crate) fn evaluate(entry: &ConditionEntry, request: &Request, variables: bool) -> Outcome {
    let Some(op) = parse_operator(&entry.operator) else {
        return Outcome::Unsure(format!(
            "condition operator {} is not one this check evaluates",
            entry.operator
        ));
    };
    if entry.values.is_empty() {
        return Outcome::Unsure(format!("{} {} lists no values", entry.operator, entry.key));
    }
    let sent = request.value(&entry.key);
    let result = match sent {
        KeyValue::Unknown(why) => Tri::Maybe(format!("{}: {why}", entry.key)),
        KeyValue::Absent => when_absent(op, entry),
        KeyValue::Present(values) => when_present(op, entry, values, variables),
    };
    match result {
        Tri::Yes => Outcome::Holds,
        Tri::Maybe(why) => Outcome::Unsure(why),
        Tri::No => Outcome::Fails(FailedCondition {
            operator: entry.operator.clone(),
            key: entry.key.clone(),
            policy_values: entry.values.clone(),
            sent: match sent {
                KeyValue::Present(values) => Some(values.clone()),
                _ => None,
            },
        }),
    }
}

fn when_absent(op: Operator, entry: &ConditionEntry) -> Tri {
    if op.comparison == Comparison::Null {
        // "true (the key doesn't exist — it is null) or false (the key exists)".
        return null_check(entry, false);
    }
    match op.set {
        // ForAllValues "also returns true if there are no context keys in the request".
        SetOperator::ForAllValues => Tri::Yes,
        // ForAnyValue with no key is false. The docs do not say how IfExists combines with it.
        SetOperator::ForAnyValue if op.if_exists => Tri::Maybe(format!(
            "the docs do not say how {} treats a key the request does not send",
            entry.operator
        )),
        SetOperator::ForAnyValue => Tri::No,
        // "If the key … is not present in the request context, the values do not match and the
        // condition is false. If the policy condition requires that the key is not matched, such
        // as StringNotLike or ArnNotLike, and the right key is not present, the condition is
        // true." IfExists: "If the key is not present, evaluate the condition element as true."
        SetOperator::Single => Tri::from_bool(op.if_exists || op.negated),
    }
}

fn null_check(entry: &ConditionEntry, present: bool) -> Tri {
    Tri::any(entry.values.iter().map(|v| match v.as_str() {
        "true" => Tri::from_bool(!present),
        "false" => Tri::from_bool(present),
        other => Tri::Maybe(format!(
            "Null {} expects \"true\" or \"false\", not {other:?}",
            entry.key
        )),
    }))
}

fn when_present(op: Operator, entry: &ConditionEntry, sent: &[String], variables: bool) -> Tri {
    if op.comparison == Comparison::Null {
        if sent.is_empty() {
            return Tri::Maybe(format!(
                "{} is sent with no value; the docs do not say whether Null treats that as null",
                entry.key
            ));
        }
        return null_check(entry, true);
    }
    let each = |value: &String| one_value(op, entry, value, variables);
    match op.set {
        SetOperator::ForAnyValue => Tri::any(sent.iter().map(each)),
        SetOperator::ForAllValues => Tri::all(sent.iter().map(each)),
        SetOperator::Single => match sent {
            [one] => each(one),
            [] => Tri::Maybe(format!("{} is sent with no value", entry.key)),
            _ => Tri::Maybe(format!(
                "{} has several values; {} without ForAnyValue/ForAllValues is not documented for that",
                entry.key, entry.operator
            )),
        },
    }
}

/// One request value against all policy values: OR, or NOR for a negated operator.
fn one_value(op: Operator, entry: &ConditionEntry, value: &str, variables: bool) -> Tri {
    let matched = Tri::any(
        entry
            .values
            .iter()
            .map(|p| compare(op.comparison, p, value, variables, &entry.operator)),
    );
    if op.negated {
        matched.not()
    } else {
        matched
    }
}

fn compare(comparison: Comparison, policy: &str, value: &str, variables: bool, op: &str) -> Tri {
    let reading = |wildcards, ignore_case| Reading {
        variables,
        wildcards,
        ignore_case,
    };
    let with = |how: Reading| match Pattern::read(policy, how) {
        Ok(pattern) => Tri::from_bool(pattern.matches(value, how.ignore_case)),
        Err(variable) => Tri::Maybe(variable_reason(op, &variable)),
    };
    match comparison {
        Comparison::Equals => with(reading(false, false)),
        Comparison::EqualsIgnoreCase => with(reading(false, true)),
        Comparison::Like => with(reading(true, false)),
        Comparison::Arn => arn_matches(policy, value, reading(true, false), op),
        Comparison::Bool => {
            if let Err(variable) = Pattern::read(policy, reading(false, false)) {
                return Tri::Maybe(variable_reason(op, &variable));
            }
            match policy {
                "true" | "false" => Tri::from_bool(value == policy),
                other => Tri::Maybe(format!("{op} expects \"true\" or \"false\", not {other:?}")),
            }
        }
        // Handled before values are compared.
        Comparison::Null => Tri::Maybe(format!("{op} does not compare values")),
    }
}

fn variable_reason(op: &str, variable: &str) -> String {
    format!(
        "{op} compares with the policy variable {variable}, whose value this check does not know"
    )
}

/// ARN operators: partition, service, region, account and resource compared separately, each
/// with `*`/`?` wildcards that do not cross a colon (the resource, the sixth part, may itself
/// contain colons).
fn arn_matches(policy: &str, value: &str, how: Reading, op: &str) -> Tri {
    if let Err(variable) = Pattern::read(policy, how) {
        return Tri::Maybe(variable_reason(op, &variable));
    }
    let policy_parts: Vec<&str> = policy.splitn(6, ':').collect();
    let value_parts: Vec<&str> = value.splitn(6, ':').collect();
    if policy_parts.len() != 6 {
        return Tri::Maybe(format!(
            "{op} value {policy:?} is not an ARN of six colon-separated parts; the docs do not say how it compares"
        ));
    }
    if value_parts.len() != 6 {
        return Tri::Maybe(format!(
            "the request value {value:?} is not an ARN; the docs do not say how {op} compares it"
        ));
    }
    Tri::all(
        policy_parts
            .iter()
            .zip(&value_parts)
            .map(|(p, v)| match Pattern::read(p, how) {
                Ok(pattern) => Tri::from_bool(pattern.matches(v, false)),
                Err(variable) => Tri::Maybe(variable_reason(op, &variable)),
            }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_names() {
        let op = parse_operator("ForAllValues:StringNotLikeIfExists").unwrap();
        assert_eq!(op.set, SetOperator::ForAllValues);
        assert_eq!(op.comparison, Comparison::Like);
        assert!(op.negated && op.if_exists);
        assert!(parse_operator("Null").is_some());
        for unknown in [
            "NullIfExists",
            "ForAnyValue:Null",
            "stringlike",
            "NumericEquals",
            "DateLessThan",
            "IpAddress",
            "ForSomeValues:StringLike",
            "StringLikeIfexists",
        ] {
            assert!(parse_operator(unknown).is_none(), "{unknown}");
        }
    }

    #[test]
    fn arn_parts() {
        let how = Reading {
            variables: true,
            wildcards: true,
            ignore_case: false,
        };
        let arn = "arn:aws:eks:eu-west-1:111122223333:cluster/shop-green";
        assert_eq!(
            arn_matches(
                "arn:aws:eks:*:111122223333:cluster/shop-*",
                arn,
                how,
                "ArnLike"
            ),
            Tri::Yes
        );
        // A wildcard does not cross a colon.
        assert_eq!(
            arn_matches("arn:aws:eks:*:cluster/shop-green", arn, how, "ArnLike"),
            Tri::Maybe(
                "ArnLike value \"arn:aws:eks:*:cluster/shop-green\" is not an ARN of six colon-separated parts; the docs do not say how it compares".into()
            )
        );
        assert_eq!(
            arn_matches("arn:aws:eks:*:*:Cluster/*", arn, how, "ArnLike"),
            Tri::No
        );
        assert_eq!(
            arn_matches(
                "arn:aws:logs:*:*:log-group:*",
                "arn:aws:logs:eu-west-1:1:log-group:a:log-stream:b",
                how,
                "ArnLike"
            ),
            Tri::Yes
        );
    }
}
