//! The emulator's own evaluator of IAM policies for the requests EKS Pod Identity makes:
//! AssumeRole (and TagSession) by the service principal `pods.eks.amazonaws.com` under the
//! role's trust policy, and, for a target role, by a session of the association's role under
//! the target's trust policy and the association role's own permission policies.
//!
//! It follows the IAM User Guide: "Policy evaluation logic" (an explicit Deny wins, then an Allow
//! must match, else the request is implicitly denied; each action is authorized on its own;
//! cross-account requests need both the resource-based and the identity-based policy), "IAM JSON
//! policy elements: Principal / NotPrincipal / Action / NotAction / Resource / NotResource"
//! (action names are case-insensitive and take `*` and `?`), and "IAM JSON policy elements:
//! Condition operators" (see [`condition`]).
//!
//! The emulator must never grant what AWS would refuse, so whatever it cannot judge for certain
//! makes the verdict [`Verdict::Unsupported`], which refuses too and says what the emulator does
//! not support: an unknown operator or policy element, a condition key it cannot tell present or
//! absent for this request, policy variables.

mod condition;
mod principal;
#[cfg(test)]
mod tests;

use serde_json::{Map, Value};

pub use condition::Context;
use condition::Tri;
pub use principal::Caller;

/// What a set of policies says about a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Denied, and why (the statement and condition that decided it). `explicit`: a Deny
    /// statement matched, rather than no Allow statement.
    Denied {
        reason: String,
        explicit: bool,
    },
    /// The emulator cannot judge the policies for this request, and says why. `deny_at_stake`:
    /// a Deny statement might apply, so even a grant from elsewhere cannot be trusted.
    Unsupported {
        reason: String,
        deny_at_stake: bool,
    },
}

/// Which kind of policy is evaluated, with what it needs to know about the request.
#[derive(Debug, Clone, Copy)]
pub enum PolicyKind<'a> {
    /// A role's trust policy (a resource-based policy): statements name principals.
    Trust(&'a Caller),
    /// A role's permission policies (identity-based): statements name resources.
    Identity { resource: &'a str },
}

/// The verdict of `policies` (JSON policy documents of one kind, together) on every one of
/// `actions` with this request `context`: allowed only if every action is.
pub fn evaluate(
    policies: &[&str],
    kind: PolicyKind<'_>,
    actions: &[&str],
    context: &Context,
) -> Verdict {
    let mut documents = Vec::with_capacity(policies.len());
    for policy in policies {
        match serde_json::from_str::<Value>(policy) {
            Ok(document) => documents.push(document),
            Err(err) => return unsupported(format!("a policy is not valid JSON: {err}"), true),
        }
    }
    let mut statements = Vec::new();
    for document in &documents {
        match parse_document(document, kind) {
            Ok(parsed) => statements.extend(parsed),
            Err(reason) => return unsupported(reason, true),
        }
    }
    let verdicts: Vec<Verdict> = actions
        .iter()
        .map(|action| evaluate_action(&statements, kind, action, context))
        .collect();
    let first = |wanted: fn(&Verdict) -> bool| verdicts.iter().find(|v| wanted(v)).cloned();
    first(|v| matches!(v, Verdict::Denied { explicit: true, .. }))
        .or_else(|| {
            first(|v| {
                matches!(
                    v,
                    Verdict::Unsupported {
                        deny_at_stake: true,
                        ..
                    }
                )
            })
        })
        .or_else(|| first(|v| matches!(v, Verdict::Denied { .. })))
        .or_else(|| first(|v| matches!(v, Verdict::Unsupported { .. })))
        .unwrap_or(Verdict::Allowed)
}

fn unsupported(reason: String, deny_at_stake: bool) -> Verdict {
    Verdict::Unsupported {
        reason,
        deny_at_stake,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    Allow,
    Deny,
}

/// One statement, checked for the elements the emulator knows. `(negated, …)` pairs hold the
/// element or its `Not…` form.
#[derive(Debug)]
struct Statement<'a> {
    /// `statement "Sid"` or `statement N`, for messages.
    label: String,
    effect: Effect,
    principal: Option<(bool, &'a Value)>,
    action: (bool, Vec<&'a str>),
    resource: Option<(bool, Vec<&'a str>)>,
    condition: Option<&'a Map<String, Value>>,
}

/// How far a statement matched before it failed, to name the most telling failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    Principal,
    Action,
    Resource,
    Condition,
}

fn evaluate_action(
    statements: &[Statement<'_>],
    kind: PolicyKind<'_>,
    action: &str,
    context: &Context,
) -> Verdict {
    let results: Vec<(&Statement<'_>, Tri, Stage)> = statements
        .iter()
        .map(|statement| {
            let (tri, stage) = applies(statement, kind, action, context);
            (statement, tri, stage)
        })
        .collect();
    let with = |effect: Effect, wanted: fn(&Tri) -> bool| {
        results
            .iter()
            .filter(move |(s, tri, _)| s.effect == effect && wanted(tri))
    };
    if let Some((statement, _, _)) = with(Effect::Deny, |t| matches!(t, Tri::Yes)).next() {
        return Verdict::Denied {
            reason: format!("{action} is explicitly denied by {}", statement.label),
            explicit: true,
        };
    }
    if let Some((statement, Tri::Unknown(why), _)) =
        with(Effect::Deny, |t| matches!(t, Tri::Unknown(_))).next()
    {
        let reason = format!("{action}: {} (Deny) might apply: {why}", statement.label);
        return unsupported(reason, true);
    }
    if with(Effect::Allow, |t| matches!(t, Tri::Yes))
        .next()
        .is_some()
    {
        return Verdict::Allowed;
    }
    if let Some((statement, Tri::Unknown(why), _)) =
        with(Effect::Allow, |t| matches!(t, Tri::Unknown(_))).next()
    {
        return unsupported(format!("{action}: {}: {why}", statement.label), false);
    }
    let closest = with(Effect::Allow, |t| matches!(t, Tri::No(_)))
        .max_by_key(|(_, _, stage)| *stage)
        .and_then(|(statement, tri, _)| match tri {
            Tri::No(why) => Some(format!("{}: {why}", statement.label)),
            _ => None,
        });
    let reason = match closest {
        Some(closest) => format!("no statement allows {action} ({closest})"),
        None => format!("no statement allows {action}"),
    };
    Verdict::Denied {
        reason,
        explicit: false,
    }
}

/// Whether the statement applies to the request, and how far it matched.
fn applies(
    statement: &Statement<'_>,
    kind: PolicyKind<'_>,
    action: &str,
    context: &Context,
) -> (Tri, Stage) {
    let principal = match (kind, statement.principal) {
        (PolicyKind::Trust(caller), Some(principal)) => {
            principal::matches(principal, statement.effect == Effect::Allow, caller)
        }
        _ => Tri::Yes,
    };
    let (negated, names) = &statement.action;
    let named = names
        .iter()
        .any(|name| glob(&name.to_lowercase(), &action.to_lowercase()));
    let action_tri = match (named, negated) {
        (true, false) | (false, true) => Tri::Yes,
        (false, false) => Tri::No(format!("Action does not name {action}")),
        (true, true) => Tri::No(format!("NotAction names {action}")),
    };
    let resource = match (kind, &statement.resource) {
        (PolicyKind::Identity { resource }, Some((negated, patterns))) => {
            let named = patterns.iter().any(|pattern| glob(pattern, resource));
            if named != *negated {
                Tri::Yes
            } else {
                Tri::No(format!("Resource does not cover {resource}"))
            }
        }
        _ => Tri::Yes,
    };
    let condition = condition::evaluate_block(statement.condition, context);
    let stages = [
        (principal, Stage::Principal),
        (action_tri, Stage::Action),
        (resource, Stage::Resource),
        (condition, Stage::Condition),
    ];
    // A definite mismatch anywhere decides; otherwise the first unknown does.
    if let Some((tri, stage)) = stages.iter().find(|(tri, _)| matches!(tri, Tri::No(_))) {
        return (tri.clone(), *stage);
    }
    if let Some((tri, stage)) = stages
        .iter()
        .find(|(tri, _)| matches!(tri, Tri::Unknown(_)))
    {
        return (tri.clone(), *stage);
    }
    (Tri::Yes, Stage::Condition)
}

fn parse_document<'a>(
    document: &'a Value,
    kind: PolicyKind<'_>,
) -> Result<Vec<Statement<'a>>, String> {
    let Value::Object(top) = document else {
        return Err("a policy is not a JSON object".to_owned());
    };
    for (key, value) in top {
        match key.as_str() {
            "Version" => match value.as_str() {
                Some("2012-10-17" | "2008-10-17") => {}
                _ => {
                    return Err(format!(
                        "the emulator does not support policy Version {value}"
                    ))
                }
            },
            "Id" | "Statement" => {}
            other => {
                return Err(format!(
                    "the emulator does not support the policy element {other:?}"
                ))
            }
        }
    }
    let statements: Vec<&Value> = match top.get("Statement") {
        Some(Value::Array(list)) => list.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => return Err("a policy has no Statement".to_owned()),
    };
    statements
        .into_iter()
        .enumerate()
        .map(|(index, statement)| parse_statement(index, statement, kind))
        .collect()
}

fn parse_statement<'a>(
    index: usize,
    statement: &'a Value,
    kind: PolicyKind<'_>,
) -> Result<Statement<'a>, String> {
    let Value::Object(fields) = statement else {
        return Err(format!("statement {} is not a JSON object", index + 1));
    };
    let label = match fields.get("Sid").and_then(Value::as_str) {
        Some(sid) if !sid.is_empty() => format!("statement {sid:?}"),
        _ => format!("statement {}", index + 1),
    };
    let trust = matches!(kind, PolicyKind::Trust(_));
    for key in fields.keys() {
        let known = match key.as_str() {
            "Sid" | "Effect" | "Action" | "NotAction" | "Condition" => true,
            "Principal" | "NotPrincipal" => trust,
            "Resource" | "NotResource" => !trust,
            _ => false,
        };
        if !known {
            let where_ = if trust {
                "a trust policy"
            } else {
                "a permission policy"
            };
            return Err(format!(
                "{label}: the emulator does not support the element {key:?} in {where_}"
            ));
        }
    }
    let effect = match fields.get("Effect").and_then(Value::as_str) {
        Some("Allow") => Effect::Allow,
        Some("Deny") => Effect::Deny,
        other => {
            return Err(format!(
                "{label}: the emulator does not support Effect {other:?}"
            ))
        }
    };
    let principal = match (fields.get("Principal"), fields.get("NotPrincipal")) {
        (Some(value), None) => Some((false, value)),
        (None, Some(value)) => Some((true, value)),
        (None, None) if !trust => None,
        _ => {
            return Err(format!(
                "{label}: needs exactly one of Principal and NotPrincipal"
            ))
        }
    };
    let action = negatable(fields, "Action", &label)?
        .ok_or_else(|| format!("{label}: needs exactly one of Action and NotAction"))?;
    let resource = negatable(fields, "Resource", &label)?;
    if !trust && resource.is_none() {
        return Err(format!(
            "{label}: needs exactly one of Resource and NotResource"
        ));
    }
    let condition = match fields.get("Condition") {
        None => None,
        Some(Value::Object(block)) => Some(block),
        Some(_) => return Err(format!("{label}: Condition is not a JSON object")),
    };
    Ok(Statement {
        label,
        effect,
        principal,
        action,
        resource,
        condition,
    })
}

/// `element` or `Not<element>` (not both) as a list of strings.
fn negatable<'a>(
    fields: &'a Map<String, Value>,
    element: &str,
    label: &str,
) -> Result<Option<(bool, Vec<&'a str>)>, String> {
    let negated_element = format!("Not{element}");
    match (fields.get(element), fields.get(&negated_element)) {
        (Some(value), None) => Ok(Some((false, strings(value, label, element)?))),
        (None, Some(value)) => Ok(Some((true, strings(value, label, &negated_element)?))),
        (None, None) => Ok(None),
        (Some(_), Some(_)) => Err(format!("{label}: has both {element} and {negated_element}")),
    }
}

/// A string or a list of strings.
fn strings<'a>(value: &'a Value, label: &str, element: &str) -> Result<Vec<&'a str>, String> {
    let not_strings = || format!("{label}: {element} must be a string or a list of strings");
    match value {
        Value::String(one) => Ok(vec![one.as_str()]),
        Value::Array(list) => list
            .iter()
            .map(|item| item.as_str().ok_or_else(not_strings))
            .collect(),
        _ => Err(not_strings()),
    }
}

/// `*` matches any run of characters (also none), `?` any one character; the rest literally.
pub fn glob(pattern: &str, value: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let value: Vec<char> = value.chars().collect();
    let (mut p, mut v) = (0, 0);
    // Where the last `*` was, and the value position it currently stands for.
    let mut star: Option<(usize, usize)> = None;
    while v < value.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, v));
                p += 1;
            }
            Some(&c) if c == '?' || c == value[v] => {
                p += 1;
                v += 1;
            }
            _ => match star {
                Some((star_p, star_v)) => {
                    p = star_p + 1;
                    v = star_v + 1;
                    star = Some((star_p, star_v + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}
