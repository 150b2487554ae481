//! The trust policy `aws_eks_pod_identity_role` writes and owns, generated deterministically from
//! `allowed_clusters` and `allowed_service_accounts` (followed by the statements of
//! `additional_trust_statements`), read back for import, and the check the data source makes on
//! roles it did not write.
//!
//! The restrictions test the session tags EKS Pod Identity adds when it assumes the role
//! (`eks-cluster-name`, `kubernetes-namespace`, `kubernetes-service-account`): plain strings, so
//! the state that owns the role never needs anything from a cluster state.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use crate::policy_json;
use crate::trust::action_matches;

pub const SERVICE_PRINCIPAL: &str = "pods.eks.amazonaws.com";
pub const ACTIONS: [&str; 2] = ["sts:AssumeRole", "sts:TagSession"];
pub const CLUSTER_TAG: &str = "aws:RequestTag/eks-cluster-name";
pub const NAMESPACE_TAG: &str = "aws:RequestTag/kubernetes-namespace";
pub const SERVICE_ACCOUNT_TAG: &str = "aws:RequestTag/kubernetes-service-account";
/// IAM's default quota for a role trust policy.
pub const MAX_LENGTH: usize = 2048;

#[derive(Serialize)]
struct Document<'a> {
    #[serde(rename = "Version")]
    version: &'static str,
    #[serde(rename = "Statement")]
    statement: Vec<Item<'a>>,
}

/// A statement of the document: one this resource writes, or one of the additional statements
/// as they were given.
#[derive(Serialize)]
#[serde(untagged)]
enum Item<'a> {
    Ours(Statement),
    Additional(&'a Value),
}

#[derive(Serialize)]
struct Statement {
    #[serde(rename = "Effect")]
    effect: &'static str,
    #[serde(rename = "Principal")]
    principal: Principal,
    #[serde(rename = "Action")]
    action: [&'static str; 2],
    #[serde(rename = "Condition", skip_serializing_if = "Option::is_none")]
    condition: Option<Condition>,
}

#[derive(Serialize)]
struct Principal {
    #[serde(rename = "Service")]
    service: &'static str,
}

#[derive(Serialize)]
struct Condition {
    #[serde(rename = "StringLike")]
    string_like: BTreeMap<&'static str, Value>,
}

/// A `namespace/name` entry of `allowed_service_accounts`, split.
pub fn split_service_account(entry: &str) -> Option<(&str, &str)> {
    let (namespace, name) = entry.split_once('/')?;
    if namespace.is_empty() || name.is_empty() || name.contains('/') {
        return None;
    }
    Some((namespace, name))
}

/// An `allowed_clusters` entry: a cluster name, with `*` and `?` wildcards.
pub fn check_cluster_pattern(s: &str) -> Result<(), String> {
    let ok = !s.is_empty()
        && s.len() <= 100
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_*?".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not a cluster name pattern: use 1 to 100 letters, digits, '-', '_' and the wildcards '*' and '?' (for example \"shop-blue\" or \"shop-*\")."
        ))
    }
}

/// An `allowed_service_accounts` entry: `namespace/name`, with `*` and `?` wildcards.
pub fn check_service_account_pattern(s: &str) -> Result<(), String> {
    let bad = || {
        format!(
            "{s:?} is not a service account pattern: use namespace/name, with lowercase letters, digits, '-' (and '.' in the name) and the wildcards '*' and '?' (for example \"carts/carts\" or \"app/*\")."
        )
    };
    let (namespace, name) = split_service_account(s).ok_or_else(bad)?;
    let ns_ok = namespace.len() <= 63
        && namespace
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-*?".contains(c));
    let name_ok = name.len() <= 253
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-.*?".contains(c));
    if ns_ok && name_ok {
        Ok(())
    } else {
        Err(bad())
    }
}

/// The trust policy for these restrictions: compact JSON, one statement without conditions when
/// unrestricted, one statement with the cluster condition when only clusters are restricted, one
/// statement per service account (each also carrying the cluster condition) otherwise. The
/// output depends only on the sets' contents.
pub fn generate(clusters: &BTreeSet<String>, service_accounts: &BTreeSet<String>) -> String {
    generate_with(clusters, service_accounts, &[])
}

/// [`generate`], followed by the statements `additional` in their order (compact, keys sorted).
pub fn generate_with(
    clusters: &BTreeSet<String>,
    service_accounts: &BTreeSet<String>,
    additional: &[Value],
) -> String {
    let cluster_values =
        || Value::Array(clusters.iter().map(|c| Value::String(c.clone())).collect());
    let statement = |conditions: BTreeMap<&'static str, Value>| Statement {
        effect: "Allow",
        principal: Principal {
            service: SERVICE_PRINCIPAL,
        },
        action: ACTIONS,
        condition: (!conditions.is_empty()).then_some(Condition {
            string_like: conditions,
        }),
    };
    let mut base = BTreeMap::new();
    if !clusters.is_empty() {
        base.insert(CLUSTER_TAG, cluster_values());
    }
    let ours: Vec<Statement> = if service_accounts.is_empty() {
        vec![statement(base)]
    } else {
        service_accounts
            .iter()
            .filter_map(|entry| split_service_account(entry))
            .map(|(namespace, name)| {
                let mut conditions = base.clone();
                conditions.insert(NAMESPACE_TAG, Value::String(namespace.to_string()));
                conditions.insert(SERVICE_ACCOUNT_TAG, Value::String(name.to_string()));
                statement(conditions)
            })
            .collect()
    };
    let doc = Document {
        version: "2012-10-17",
        statement: ours
            .into_iter()
            .map(Item::Ours)
            .chain(additional.iter().map(Item::Additional))
            .collect(),
    };
    // Serializing plain strings, maps and arrays cannot fail.
    serde_json::to_string(&doc).unwrap_or_default()
}

/// The restrictions of a trust policy this provider wrote (in any equivalent form), also when
/// other statements follow its own (`additional_trust_statements`) that cannot take away what
/// its own allow EKS Pod Identity: Allow statements, and Deny statements for other principals
/// or actions. `None` for any other policy, and for one with a Deny statement that may refuse
/// what the restrictions allow.
pub fn parse(document: &str) -> Option<(BTreeSet<String>, BTreeSet<String>)> {
    let parts = split(document, &[])?;
    let harmless = !parts.others.iter().any(may_deny_pods);
    parts.restrictions.filter(|_| harmless)
}

/// Whether a statement is a Deny that may apply to EKS Pod Identity's request: one whose
/// principal may be `pods.eks.amazonaws.com` (everyone, the service, or a `NotPrincipal`) and
/// whose actions may be `sts:AssumeRole` or `sts:TagSession` (a `NotAction` may).
fn may_deny_pods(stmt: &Value) -> bool {
    let deny = stmt
        .get("Effect")
        .and_then(Value::as_str)
        .is_some_and(|e| e.eq_ignore_ascii_case("deny"));
    let principal = match (stmt.get("Principal"), stmt.get("NotPrincipal")) {
        (Some(p), None) => {
            p.as_str() == Some("*")
                || strings(p.get("AWS")).iter().any(|a| a == "*")
                || strings(p.get("Service"))
                    .iter()
                    .any(|s| s == SERVICE_PRINCIPAL)
        }
        _ => true,
    };
    let action = match stmt.get("Action") {
        Some(a) => strings(Some(a))
            .iter()
            .any(|pattern| ACTIONS.iter().any(|action| action_matches(pattern, action))),
        None => true,
    };
    deny && principal && action
}

/// A trust policy read as the statements this resource writes and the others.
#[derive(Debug, Clone, PartialEq)]
pub struct TrustParts {
    /// `allowed_clusters` and `allowed_service_accounts` (empty: unrestricted), when the
    /// statements of the shape this resource writes are exactly the ones it writes for them;
    /// `None` when there are no such statements, or they are not what it would write.
    pub restrictions: Option<(BTreeSet<String>, BTreeSet<String>)>,
    /// Every other statement, as the document has it, in document order.
    pub others: Vec<Value>,
}

/// Split a trust policy (JSON, or URL-encoded as IAM returns it) into the statements of the
/// shape this resource writes and the others; `None` when it is not a policy document.
/// Statements canonically equal to one of `known_others` (the additional statements of the
/// configuration) count among the others whatever their shape.
pub fn split(document: &str, known_others: &[Value]) -> Option<TrustParts> {
    let doc: Value = serde_json::from_str(&policy_json::decode(document)).ok()?;
    let statements = match doc.get("Statement")? {
        Value::Array(items) => items.clone(),
        single @ Value::Object(_) => vec![single.clone()],
        _ => return None,
    };
    let known: Vec<Value> = known_others
        .iter()
        .map(policy_json::canonical_statement)
        .collect();
    let (ours, others): (Vec<Value>, Vec<Value>) = statements.into_iter().partition(|stmt| {
        is_of_our_shape(stmt) && !known.contains(&policy_json::canonical_statement(stmt))
    });
    let restrictions = if ours.is_empty() {
        None
    } else {
        let mut ours_only = doc.clone();
        ours_only["Statement"] = Value::Array(ours);
        restrictions_of(&ours_only)
    };
    Some(TrustParts {
        restrictions,
        others,
    })
}

/// Whether a statement has the shape of one this resource writes: Allow, the service principal
/// `pods.eks.amazonaws.com` alone, exactly `sts:AssumeRole` and `sts:TagSession`, and no
/// condition but `StringLike` on the session tags the restrictions test.
fn is_of_our_shape(stmt: &Value) -> bool {
    let Value::Object(stmt) = stmt else {
        return false;
    };
    let only = |map: &serde_json::Map<String, Value>, keys: &[&str]| {
        map.keys().all(|k| keys.contains(&k.as_str()))
    };
    if !only(stmt, &["Effect", "Principal", "Action", "Condition"]) {
        return false;
    }
    let principal_ok = match stmt.get("Principal") {
        Some(Value::Object(p)) => {
            only(p, &["Service"]) && strings(p.get("Service")) == [SERVICE_PRINCIPAL]
        }
        _ => false,
    };
    let actions: BTreeSet<String> = strings(stmt.get("Action"))
        .iter()
        .map(|a| a.to_ascii_lowercase())
        .collect();
    let ours: BTreeSet<String> = ACTIONS.iter().map(|a| a.to_ascii_lowercase()).collect();
    let condition_ok = match stmt.get("Condition") {
        None => true,
        Some(Value::Object(c)) => {
            only(c, &["StringLike"])
                && matches!(c.get("StringLike"), Some(Value::Object(like))
                    if !like.is_empty() && only(like, &[CLUSTER_TAG, NAMESPACE_TAG, SERVICE_ACCOUNT_TAG]))
        }
        _ => false,
    };
    stmt.get("Effect").and_then(Value::as_str) == Some("Allow")
        && principal_ok
        && actions == ours
        && condition_ok
}

/// The restrictions `doc` was generated from, when it is exactly a document [`generate`]
/// writes (in any equivalent form).
fn restrictions_of(doc: &Value) -> Option<(BTreeSet<String>, BTreeSet<String>)> {
    let text = doc.to_string();
    let canonical = policy_json::canonical(&text).ok()?;
    let statements = canonical.get("Statement")?.as_array()?;
    let mut clusters = BTreeSet::new();
    let mut service_accounts = BTreeSet::new();
    for stmt in statements {
        let like = stmt.get("Condition").and_then(|c| c.get("StringLike"));
        let values = |key: &str| -> Vec<String> {
            like.and_then(|l| l.get(key))
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        clusters.extend(values(CLUSTER_TAG));
        match (
            values(NAMESPACE_TAG).as_slice(),
            values(SERVICE_ACCOUNT_TAG).as_slice(),
        ) {
            ([namespace], [name]) => {
                service_accounts.insert(format!("{namespace}/{name}"));
            }
            ([], []) => {}
            _ => return None,
        }
    }
    policy_json::equivalent(&generate(&clusters, &service_accounts), &text)
        .then_some((clusters, service_accounts))
}

fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => vec![],
    }
}

/// Whether a trust policy lets EKS Pod Identity assume the role: an Allow statement for the
/// service principal `pods.eks.amazonaws.com` covering both `sts:AssumeRole` and
/// `sts:TagSession`, and no Deny statement without conditions that refuses it either. The error
/// says what is missing or which statement refuses.
pub fn check_trusts_pod_identity(document: &str) -> Result<(), String> {
    let doc: Value = serde_json::from_str(&policy_json::decode(document))
        .map_err(|e| format!("the trust policy is not valid JSON ({e})"))?;
    let statements = match doc.get("Statement") {
        Some(Value::Array(items)) => items.clone(),
        Some(single @ Value::Object(_)) => vec![single.clone()],
        _ => return Err("the trust policy has no statements".into()),
    };
    for (index, stmt) in statements.iter().enumerate() {
        if let Some(action) = denies_pods_outright(stmt) {
            let sid = stmt
                .get("Sid")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(|s| format!(" ({s:?})"))
                .unwrap_or_default();
            return Err(format!(
                "statement {}{sid} of the trust policy denies {SERVICE_PRINCIPAL} {action} without conditions",
                index + 1
            ));
        }
    }
    let mut trusted = BTreeSet::new();
    let mut allowed_actions: Vec<String> = Vec::new();
    let mut pods_trusted = false;
    for stmt in &statements {
        let allow = stmt
            .get("Effect")
            .and_then(Value::as_str)
            .is_some_and(|e| e.eq_ignore_ascii_case("allow"));
        if !allow {
            continue;
        }
        let principal = stmt.get("Principal");
        let services = strings(principal.and_then(|p| p.get("Service")));
        for kind in ["Service", "AWS", "Federated"] {
            for p in strings(principal.and_then(|p| p.get(kind))) {
                trusted.insert(p);
            }
        }
        if principal.and_then(Value::as_str) == Some("*") {
            trusted.insert("*".into());
        }
        if services.iter().any(|s| s == SERVICE_PRINCIPAL) {
            pods_trusted = true;
            allowed_actions.extend(strings(stmt.get("Action")));
        }
    }
    if !pods_trusted {
        let list: Vec<String> = trusted.into_iter().collect();
        return Err(if list.is_empty() {
            format!("no Allow statement trusts the service principal {SERVICE_PRINCIPAL}")
        } else {
            format!(
                "no Allow statement trusts the service principal {SERVICE_PRINCIPAL}; it trusts: {}",
                list.join(", ")
            )
        });
    }
    let covered = |action: &str| allowed_actions.iter().any(|a| action_matches(a, action));
    let missing: Vec<&str> = ACTIONS.iter().copied().filter(|a| !covered(a)).collect();
    match missing.as_slice() {
        [] => Ok(()),
        [one] => {
            let present = ACTIONS.iter().find(|a| *a != one).copied().unwrap_or_default();
            Err(format!(
                "the trust policy allows {SERVICE_PRINCIPAL} {present} but not {one}"
            ))
        }
        _ => Err(format!(
            "the trust policy trusts {SERVICE_PRINCIPAL} but allows neither sts:AssumeRole nor sts:TagSession"
        )),
    }
}

/// The action of EKS Pod Identity a Deny statement without conditions refuses it, if any: its
/// `Principal` is everyone or names the service principal, and its `Action` covers the action
/// (or its `NotAction` does not). Statements with conditions, and `NotPrincipal`, are left to the
/// trust check of the associations, which knows the request.
fn denies_pods_outright(stmt: &Value) -> Option<&'static str> {
    let deny = stmt
        .get("Effect")
        .and_then(Value::as_str)
        .is_some_and(|e| e.eq_ignore_ascii_case("deny"));
    if !deny || stmt.get("Condition").is_some() {
        return None;
    }
    let principal = stmt.get("Principal")?;
    let everyone =
        principal.as_str() == Some("*") || strings(principal.get("AWS")).iter().any(|a| a == "*");
    if !everyone
        && !strings(principal.get("Service"))
            .iter()
            .any(|s| s == SERVICE_PRINCIPAL)
    {
        return None;
    }
    ACTIONS
        .iter()
        .copied()
        .find(|action| match (stmt.get("Action"), stmt.get("NotAction")) {
            (Some(a), None) => strings(Some(a))
                .iter()
                .any(|pattern| action_matches(pattern, action)),
            (None, Some(n)) => !strings(Some(n))
                .iter()
                .any(|pattern| action_matches(pattern, action)),
            _ => false,
        })
}

#[cfg(test)]
mod tests;
