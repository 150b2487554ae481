//! The role's trust policy as the resource plans, checks and reads it: the statements written
//! from `allowed_clusters` and `allowed_service_accounts`, followed by those of
//! `additional_trust_statements` (for example the OIDC statement of an IRSA role while its
//! workloads move to EKS Pod Identity). The document itself is generated in
//! [`crate::iam::trust_policy`].

use serde_json::Value as Json;
use tf_provider::value::Value;

use super::RoleState;
use crate::iam::trust_policy::{self, SERVICE_PRINCIPAL};
use crate::policy_json;
use crate::resource::Warning;
use crate::trust::action_matches;
use crate::validate::{self, attr, Problems};
use crate::value::{known_set, set_or_null, StringSet};

/// The statements of `additional_trust_statements`: none when null, `None` while unknown or
/// when the text is not a JSON array (which the attribute's own check reports).
fn additional(value: &Value<String>) -> Option<Vec<Json>> {
    match value {
        Value::Null => Some(Vec::new()),
        Value::Unknown => None,
        Value::Value(text) => match serde_json::from_str(text) {
            Ok(Json::Array(statements)) => Some(statements),
            _ => None,
        },
    }
}

/// The trust policy for the restrictions and additional statements of `state`, when all are
/// known.
fn document(state: &RoleState) -> Option<String> {
    Some(trust_policy::generate_with(
        &known_set(&state.allowed_clusters)?,
        &known_set(&state.allowed_service_accounts)?,
        &additional(&state.additional_trust_statements)?,
    ))
}

/// The whole trust policy must fit IAM's quota. Checked once every part is known and follows
/// its own rules (which report their problems themselves); the problem is on
/// `additional_trust_statements` when there are some, else on the restrictions.
pub(super) fn validate(config: &RoleState, p: &mut Problems) {
    let well_formed = known_set(&config.allowed_clusters).is_some_and(|clusters| {
        clusters
            .iter()
            .all(|c| trust_policy::check_cluster_pattern(c).is_ok())
    }) && known_set(&config.allowed_service_accounts).is_some_and(|accounts| {
        accounts
            .iter()
            .all(|a| trust_policy::check_service_account_pattern(a).is_ok())
    }) && match &config.additional_trust_statements {
        Value::Value(text) => validate::trust_statements(text).is_ok(),
        other => other.is_null(),
    };
    let Some(document) = document(config).filter(|_| well_formed) else {
        return;
    };
    let len = document.chars().count();
    if len <= trust_policy::MAX_LENGTH {
        return;
    }
    let has_additional = additional(&config.additional_trust_statements)
        .is_some_and(|statements| !statements.is_empty());
    let (name, fix) = if has_additional {
        (
            "additional_trust_statements",
            "shorten the additional statements (several principals or values can share one statement), or use fewer entries in allowed_clusters and allowed_service_accounts",
        )
    } else {
        (
            "allowed_service_accounts",
            "use fewer entries, or wildcards such as \"app/*\"",
        )
    };
    let what = if has_additional {
        "the trust policy for these restrictions and additional statements"
    } else {
        "the trust policy for these restrictions"
    };
    p.check(
        attr(name),
        name,
        Err(format!(
            "{what} is {len} characters, over IAM's limit of {}: {fix}.",
            trust_policy::MAX_LENGTH
        )),
    );
}

/// Plan `trust_policy` from the restrictions and the additional statements. In an update, a
/// document or a list of statements that only reads differently from the prior one (order,
/// single values or lists, white space) keeps the prior text: no change.
pub(super) fn plan(prior: Option<&RoleState>, planned: &mut RoleState) {
    planned.trust_policy = document(planned).map_or(Value::Unknown, Value::Value);
    if let Some(prior) = prior {
        planned.trust_policy =
            policy_json::keep_equivalent(&prior.trust_policy, planned.trust_policy.clone());
        planned.additional_trust_statements = policy_json::keep_equivalent_statements(
            &prior.additional_trust_statements,
            planned.additional_trust_statements.clone(),
        );
    }
}

/// The attributes of the state that the trust policy gives.
pub(super) struct TrustState {
    pub trust_policy: Value<String>,
    pub allowed_clusters: Value<StringSet>,
    pub allowed_service_accounts: Value<StringSet>,
    pub additional_trust_statements: Value<String>,
}

/// What the trust policy IAM holds (`document`, decoded) gives the state: the document, the
/// restrictions and the additional statements. A document equivalent to the one in `prior`
/// keeps everything `prior` says. Otherwise the statements of the shape this resource writes
/// are its own and the others are the additional statements (the configured ones count as
/// additional whatever their shape); the restrictions are read back only on import (a prior
/// without restrictions and without an ARN): else they stay as configured.
pub(super) fn read(document: &str, prior: &RoleState) -> TrustState {
    let importing = prior.allowed_clusters.is_null()
        && prior.allowed_service_accounts.is_null()
        && prior.arn.is_null();
    let mut state = TrustState {
        trust_policy: prior.trust_policy.clone(),
        allowed_clusters: prior.allowed_clusters.clone(),
        allowed_service_accounts: prior.allowed_service_accounts.clone(),
        additional_trust_statements: prior.additional_trust_statements.clone(),
    };
    let unchanged =
        matches!(&prior.trust_policy, Value::Value(old) if policy_json::equivalent(old, document));
    if unchanged && !importing {
        return state;
    }
    state.trust_policy =
        policy_json::keep_equivalent(&prior.trust_policy, Value::Value(document.to_string()));
    let known = additional(&prior.additional_trust_statements).unwrap_or_default();
    let Some(parts) = trust_policy::split(document, &known) else {
        // Not a policy document: the plan shows the one this resource writes.
        return state;
    };
    if importing {
        if let Some((clusters, accounts)) = &parts.restrictions {
            state.allowed_clusters = set_or_null(clusters, &Value::Null);
            state.allowed_service_accounts = set_or_null(accounts, &Value::Null);
        }
    }
    state.additional_trust_statements = if parts.others.is_empty() {
        // An empty list as configured stays; none is null.
        match &prior.additional_trust_statements {
            Value::Value(old) if policy_json::statements_equivalent(old, "[]") => {
                prior.additional_trust_statements.clone()
            }
            _ => Value::Null,
        }
    } else {
        policy_json::keep_equivalent_statements(
            &prior.additional_trust_statements,
            Value::Value(Json::Array(parts.others).to_string()),
        )
    };
    state
}

/// A warning when an additional statement lets `pods.eks.amazonaws.com` assume the role while
/// `allowed_clusters` or `allowed_service_accounts` restrict it: the pods that statement allows
/// get the role whatever the restrictions say.
pub(super) fn widening_warning(planned: &RoleState) -> Option<Warning> {
    let restricted = matches!(planned.allowed_clusters, Value::Value(_))
        || matches!(planned.allowed_service_accounts, Value::Value(_));
    if !restricted {
        return None;
    }
    let statements = additional(&planned.additional_trust_statements)?;
    let numbers: Vec<String> = statements
        .iter()
        .enumerate()
        .filter(|(_, stmt)| allows_pods(stmt))
        .map(|(i, _)| (i + 1).to_string())
        .collect();
    if numbers.is_empty() {
        return None;
    }
    Some(Warning {
        summary: "An additional trust statement also lets EKS Pod Identity assume the role".into(),
        detail: format!(
            "Statement {} of additional_trust_statements allows {SERVICE_PRINCIPAL} sts:AssumeRole. IAM grants the role when any Allow statement matches, so the pods such a statement matches get the role whatever allowed_clusters and allowed_service_accounts say. Restrict the pods with allowed_clusters and allowed_service_accounts only, or give that statement conditions of its own.",
            numbers.join(", ")
        ),
    })
}

/// An Allow statement whose principal is everyone or names `pods.eks.amazonaws.com`, and whose
/// actions cover `sts:AssumeRole`.
fn allows_pods(stmt: &Json) -> bool {
    let list = |v: Option<&Json>| -> Vec<String> {
        match v {
            Some(Json::String(s)) => vec![s.clone()],
            Some(Json::Array(items)) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect(),
            _ => vec![],
        }
    };
    let Some(principal) = stmt.get("Principal") else {
        return false;
    };
    let pods = principal.as_str() == Some("*")
        || list(principal.get("AWS")).iter().any(|a| a == "*")
        || list(principal.get("Service"))
            .iter()
            .any(|s| s == SERVICE_PRINCIPAL);
    stmt.get("Effect").and_then(Json::as_str) == Some("Allow")
        && pods
        && list(stmt.get("Action"))
            .iter()
            .any(|a| action_matches(a, "sts:AssumeRole"))
}
