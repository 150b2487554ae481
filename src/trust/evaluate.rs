//! Whether one statement applies to one request: its principal, its action and all of its
//! conditions must match ("Policy evaluation logic"); each part answers yes, no or cannot tell.

use super::condition::{self, Outcome as ConditionOutcome};
use super::pattern::{Pattern, Reading, Tri};
use super::policy::{Actions, Effect, PrincipalSpec, Principals, Statement};
use super::request::{Request, RequestPrincipal};
use super::verdict::MissReason;

/// How one statement relates to one request.
pub(crate) enum Outcome {
    /// Principal, action and every condition certainly match.
    Applies,
    /// One part certainly does not match (the first one, in Principal, Action, Condition order).
    Misses { reason: MissReason, detail: String },
    /// Nothing certainly fails, but some parts cannot be decided.
    Uncertain(Vec<String>),
}

pub(crate) fn statement(stmt: &Statement, request: &Request, variables: bool) -> Outcome {
    let mut doubts = Vec::new();
    match principal(&stmt.principals, request.principal()) {
        // "NotPrincipal must be used with "Effect":"Deny". Using it with "Effect":"Allow" is not
        // supported": what such a statement grants is not documented.
        Tri::Yes if stmt.principals.negated && stmt.effect == Effect::Allow => doubts.push(
            "NotPrincipal with Allow is not supported by IAM; what it grants is not documented"
                .into(),
        ),
        Tri::Yes => {}
        Tri::No => {
            return Outcome::Misses {
                reason: MissReason::Principal,
                detail: principal_detail(&stmt.principals, request.principal()),
            }
        }
        Tri::Maybe(why) => doubts.push(why),
    }
    if !action(&stmt.actions, request.action()) {
        let element = if stmt.actions.negated {
            "NotAction"
        } else {
            "Action"
        };
        let verb = if stmt.actions.negated {
            "excludes"
        } else {
            "does not cover"
        };
        return Outcome::Misses {
            reason: MissReason::Action,
            detail: format!(
                "{element} {} {verb} {}",
                list(&stmt.actions.patterns),
                request.action()
            ),
        };
    }
    for element in &stmt.unsupported {
        // IAM rejects Resource and unknown elements in a role trust policy; how it would
        // evaluate them is not documented.
        doubts.push(format!(
            "{element} is not an element of a trust policy statement"
        ));
    }
    for entry in &stmt.conditions {
        match condition::evaluate(entry, request, variables) {
            ConditionOutcome::Holds => {}
            ConditionOutcome::Fails(failed) => {
                return Outcome::Misses {
                    detail: failed.to_string(),
                    reason: MissReason::Condition(failed),
                }
            }
            ConditionOutcome::Unsure(why) => doubts.push(why),
        }
    }
    if doubts.is_empty() {
        Outcome::Applies
    } else {
        Outcome::Uncertain(doubts)
    }
}

fn list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_default()
}

fn principal_detail(principals: &Principals, caller: &RequestPrincipal) -> String {
    let named = match &principals.spec {
        PrincipalSpec::Everyone => "\"*\"".to_string(),
        PrincipalSpec::Listed(kinds) if kinds.is_empty() => "{}".to_string(),
        PrincipalSpec::Listed(kinds) => kinds
            .iter()
            .map(|(kind, values)| format!("{kind} {}", values.join(", ")))
            .collect::<Vec<_>>()
            .join("; "),
    };
    if principals.negated {
        format!("NotPrincipal {named} excludes {caller}")
    } else {
        format!("Principal {named} does not include {caller}")
    }
}

/// `Principal` / `NotPrincipal` against the caller ("AWS JSON policy elements: Principal",
/// "…: NotPrincipal").
fn principal(principals: &Principals, caller: &RequestPrincipal) -> Tri {
    let named = names(&principals.spec, caller);
    if !principals.negated {
        return named;
    }
    match caller {
        // Excluded when named; applies to every other service.
        RequestPrincipal::Service(_) => named.not(),
        // For a role session AWS checks the account, then the role, then the session, and the
        // statement applies unless each is excluded ("…: NotPrincipal", key points). The session
        // name is not known here, so a NotPrincipal that names any of them is undecided.
        RequestPrincipal::Aws { .. } => match named {
            Tri::No => Tri::Yes,
            _ => Tri::Maybe(
                "NotPrincipal names this role or its account; whether it excludes the role session depends on the session name".into(),
            ),
        },
    }
}

/// Whether the principal list names the caller.
fn names(spec: &PrincipalSpec, caller: &RequestPrincipal) -> Tri {
    let kinds = match spec {
        PrincipalSpec::Everyone => return Tri::Yes,
        PrincipalSpec::Listed(kinds) => kinds,
    };
    Tri::any(kinds.iter().flat_map(|(kind, values)| {
        values
            .iter()
            .map(move |value| names_one(kind, value, caller))
    }))
}

fn names_one(kind: &str, value: &str, caller: &RequestPrincipal) -> Tri {
    match (kind, caller) {
        // "Principal": "*" and {"AWS": "*"} are the same: every principal ("…: Principal", all
        // principals).
        ("AWS", _) if value == "*" => Tri::Yes,
        ("AWS", RequestPrincipal::Service(_)) => Tri::No,
        ("AWS", RequestPrincipal::Aws { arn, account }) => aws_names(value, arn, account),
        ("Service", RequestPrincipal::Service(service)) => {
            if value == service {
                Tri::Yes
            } else if value.eq_ignore_ascii_case(service) {
                Tri::Maybe(format!(
                    "Service {value} differs from {service} only in case; the docs do not say whether that matches"
                ))
            } else if value.contains(['*', '?']) {
                // "You cannot use a wildcard to match part of a principal name or ARN."
                Tri::Maybe(format!(
                    "Service {value} uses a wildcard, which principals do not support"
                ))
            } else {
                Tri::No
            }
        }
        ("Service" | "Federated" | "CanonicalUser", _) => Tri::No,
        (other, _) => Tri::Maybe(format!("{other} is not a principal type IAM documents")),
    }
}

/// `{"AWS": value}` against a role session: the role ARN, its account id or the account root
/// ARN name it ("…: Principal", AWS account principals and IAM role principals).
fn aws_names(value: &str, arn: &str, account: &str) -> Tri {
    let partition = arn.split(':').nth(1).unwrap_or("aws");
    let root = format!("arn:{partition}:iam::{account}:root");
    if !account.is_empty() && (value == arn || value == account || value == root) {
        return Tri::Yes;
    }
    if value.eq_ignore_ascii_case(arn) || value.eq_ignore_ascii_case(&root) {
        return Tri::Maybe(format!(
            "AWS {value} differs from {arn} only in case; the docs do not say whether that matches"
        ));
    }
    if value.contains(['*', '?']) {
        return Tri::Maybe(format!(
            "AWS {value} uses a wildcard, which principals do not support"
        ));
    }
    let role_name = arn.rsplit('/').next().unwrap_or_default();
    let session_prefix = format!("arn:{partition}:sts::{account}:assumed-role/{role_name}/");
    if value.starts_with(&session_prefix) {
        return Tri::Maybe(format!(
            "AWS {value} names one session of {arn}; the session name EKS uses is not known"
        ));
    }
    let is_account = crate::validate::is_account_id(value);
    if !is_account && !value.starts_with("arn:") {
        // A unique id such as AROA…: IAM shows one when the named role was deleted.
        return Tri::Maybe(format!(
            "AWS {value} is a unique id, not an ARN; which role it was is not known"
        ));
    }
    Tri::No
}

/// `Action` / `NotAction`: `*` and `?` wildcards, case-insensitive ("IAM JSON policy elements:
/// Action": action names are not case-sensitive).
fn action(actions: &Actions, requested: &str) -> bool {
    let named = actions
        .patterns
        .iter()
        .any(|pattern| action_matches(pattern, requested));
    named != actions.negated
}

/// Whether the action pattern of a policy (`sts:*`, `STS:Assume?ole`) names `action`: `*` and
/// `?` wildcards, case-insensitive.
pub fn action_matches(pattern: &str, action: &str) -> bool {
    let how = Reading {
        variables: false,
        wildcards: true,
        ignore_case: true,
    };
    Pattern::read(pattern, how).is_ok_and(|p| p.matches(action, true))
}
