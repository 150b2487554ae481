//! Principal and NotPrincipal of trust policies (IAM User Guide, "AWS JSON policy elements:
//! Principal" and "NotPrincipal"): `"*"`, and the `AWS`, `Service`, `Federated` and
//! `CanonicalUser` principal types.

use serde_json::Value;

use super::condition::Tri;
use super::strings;

/// Who asks to assume the role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// An AWS service principal, e.g. `pods.eks.amazonaws.com`.
    Service(String),
    /// A session of an IAM role (role chaining).
    RoleSession {
        role_arn: String,
        /// `arn:<partition>:sts::<account>:assumed-role/<role>/<session>`
        session_arn: String,
        account_id: String,
        /// Whether a principal naming the whole account (`"123456789012"`, `…:root`) counts.
        /// Such a principal only delegates to the account's own permission policies (IAM User
        /// Guide, "Specifying a principal": AWS account principals), so callers evaluate with
        /// and without it.
        account_principals: bool,
    },
}

/// Whether the statement's `(negated, value)` principal element covers `caller`; `allow`: the
/// statement's effect is Allow.
pub fn matches((negated, value): (bool, &Value), allow: bool, caller: &Caller) -> Tri {
    let listed = listed(value, caller);
    if !negated {
        return listed;
    }
    if allow {
        return Tri::Unknown("the emulator does not support NotPrincipal with Effect Allow".into());
    }
    if matches!(caller, Caller::RoleSession { .. }) {
        return Tri::Unknown("the emulator does not support NotPrincipal for role sessions".into());
    }
    match listed {
        Tri::Yes => Tri::No("NotPrincipal lists the caller".into()),
        Tri::No(_) => Tri::Yes,
        unknown @ Tri::Unknown(_) => unknown,
    }
}

/// Whether the principal element lists the caller.
fn listed(value: &Value, caller: &Caller) -> Tri {
    let types = match value {
        Value::String(all) if all == "*" => return Tri::Yes,
        Value::Object(types) => types,
        other => {
            return Tri::Unknown(format!(
                "the emulator does not support the principal {other}"
            ))
        }
    };
    // The first unknown, else the first mismatch, else (an empty element) a general one.
    let (mut unknown, mut mismatch) = (None, None);
    for (principal_type, names) in types {
        let names = match strings(names, "Principal", principal_type) {
            Ok(names) => names,
            Err(reason) => return Tri::Unknown(reason),
        };
        for name in names {
            match one(principal_type, name, caller) {
                Tri::Yes => return Tri::Yes,
                Tri::Unknown(reason) => {
                    unknown.get_or_insert(reason);
                }
                Tri::No(reason) => {
                    mismatch.get_or_insert(reason);
                }
            }
        }
    }
    match (unknown, mismatch) {
        (Some(reason), _) => Tri::Unknown(reason),
        (None, Some(reason)) => Tri::No(reason),
        (None, None) => Tri::No(format!("the principal does not list {}", describe(caller))),
    }
}

fn one(principal_type: &str, name: &str, caller: &Caller) -> Tri {
    let no = || {
        Tri::No(format!(
            "{principal_type} {name:?} is not {}",
            describe(caller)
        ))
    };
    match (principal_type, caller) {
        ("Service", Caller::Service(service)) if name == service => Tri::Yes,
        ("Service", _) | ("Federated" | "CanonicalUser", _) => no(),
        ("AWS", Caller::Service(_)) if name == "*" => Tri::Unknown(
            "the emulator does not know whether {\"AWS\": \"*\"} covers a service principal".into(),
        ),
        ("AWS", Caller::Service(_)) => no(),
        ("AWS", Caller::RoleSession { .. }) if name == "*" => Tri::Yes,
        ("AWS", _) if name.contains(['*', '?']) => Tri::Unknown(format!(
            "the emulator does not support wildcards in the principal {name:?}"
        )),
        (
            "AWS",
            Caller::RoleSession {
                role_arn,
                session_arn,
                account_id,
                account_principals,
            },
        ) => {
            if name == role_arn || name == session_arn {
                return Tri::Yes;
            }
            let partition = role_arn.split(':').nth(1).unwrap_or("aws");
            let names_account =
                name == account_id || name == format!("arn:{partition}:iam::{account_id}:root");
            match (names_account, account_principals) {
                (true, true) => Tri::Yes,
                (true, false) => Tri::No(format!(
                    "AWS {name:?} names the account, which grants only through the role's own permissions"
                )),
                (false, _) => no(),
            }
        }
        (other, _) => Tri::Unknown(format!(
            "the emulator does not support the principal type {other:?}"
        )),
    }
}

fn describe(caller: &Caller) -> String {
    match caller {
        Caller::Service(service) => format!("the service {service}"),
        Caller::RoleSession { role_arn, .. } => format!("a session of {role_arn}"),
    }
}
