//! Will the pods get credentials? A pure IAM trust-policy evaluator (no network, no async).
//!
//! Given a role's trust policy and the request EKS Pod Identity makes for an association (or the
//! role chaining it does for `target_role_arn`), [`evaluate`] answers **allowed**, **denied** or
//! **undecided**, following IAM's documented evaluation for a role trust policy:
//!
//! - an applicable Deny statement wins; otherwise an applicable Allow statement is needed
//!   ("Policy evaluation logic", "The difference between explicit and implicit denies");
//! - a statement applies when its `Principal`/`NotPrincipal`, its `Action`/`NotAction` (with `*`
//!   and `?`, case-insensitive) and every condition match ("IAM JSON policy elements: Principal",
//!   "…: NotPrincipal", "…: Action", "…: NotAction");
//! - conditions: StringEquals, StringNotEquals, StringEqualsIgnoreCase,
//!   StringNotEqualsIgnoreCase, StringLike, StringNotLike, ArnEquals, ArnLike, ArnNotEquals,
//!   ArnNotLike, Bool, Null, the `…IfExists` forms and the `ForAnyValue:` / `ForAllValues:`
//!   prefixes; values of one key are OR (NOR for negated operators), keys and operators are AND;
//!   key names are case-insensitive, values case-sensitive except in the IgnoreCase operators
//!   ("IAM JSON policy elements: Condition operators", "Conditions with multiple context keys or
//!   values", "Single-valued vs. multivalued context keys");
//! - `${…}` policy variables exist only in Version 2012-10-17 ("IAM JSON policy elements:
//!   Version").
//!
//! The EKS side follows "Create IAM role with trust policy required by EKS Pod Identity" (principal
//! `pods.eks.amazonaws.com`, actions `sts:AssumeRole` and `sts:TagSession`), "List of session tags
//! added by EKS Pod Identity" and "Enable or disable session tags"; see [`Request::pod_identity`].
//!
//! It never says denied for something it does not understand: an unknown operator, a key it
//! cannot supply (per-pod tags, `aws:SourceArn`, …), a policy variable or an element a trust
//! policy does not have makes the statement uncertain. An uncertain Allow statement that could be
//! the one granting access, or an uncertain Deny statement next to an applicable Allow, makes the
//! verdict undecided. Only when every Allow statement certainly misses is the verdict denied, even
//! if some Deny statement is uncertain.
//!
//! IAM authorizes each action as its own request, so a [`Request`] has one action;
//! [`evaluate_all`] combines the requests EKS makes.

mod condition;
mod evaluate;
mod pattern;
mod policy;
mod request;
mod verdict;

#[cfg(test)]
mod conformance;
#[cfg(test)]
mod conformance_conditions;
#[cfg(test)]
mod proptests;

pub use policy::{Effect, Policy, PolicyError};
pub use request::{
    actions, pod_identity_requests, role_chain_requests, KeyValue, PodIdentityRequest, Request,
    RequestPrincipal, ASSUME_ROLE, POD_IDENTITY_PRINCIPAL, POD_IDENTITY_TAG_KEYS, TAG_SESSION,
};
pub use verdict::{
    Denial, FailedCondition, Miss, MissReason, StatementRef, Uncertainty, Verdict, VerdictKind,
};

pub use evaluate::action_matches;
use evaluate::Outcome;

/// The verdict of `policy` for one request (one action).
pub fn evaluate(policy: &Policy, request: &Request) -> Verdict {
    let uncertainty = |stmt: &policy::Statement, reason: String| Uncertainty {
        statement: stmt.reference.clone(),
        effect: stmt.effect,
        action: request.action().to_string(),
        reason,
    };
    let mut deny_doubts = Vec::new();
    for stmt in policy
        .statements
        .iter()
        .filter(|s| s.effect == Effect::Deny)
    {
        match evaluate::statement(stmt, request, policy.variables) {
            Outcome::Applies => {
                return Verdict::Denied(Denial::ExplicitDeny {
                    statement: stmt.reference.clone(),
                    action: request.action().to_string(),
                })
            }
            Outcome::Uncertain(reasons) => {
                deny_doubts.extend(reasons.into_iter().map(|r| uncertainty(stmt, r)));
            }
            Outcome::Misses { .. } => {}
        }
    }
    let mut allowed_by = None;
    let mut allow_doubts = Vec::new();
    let mut misses = Vec::new();
    for stmt in policy
        .statements
        .iter()
        .filter(|s| s.effect == Effect::Allow)
    {
        match evaluate::statement(stmt, request, policy.variables) {
            Outcome::Applies => {
                allowed_by.get_or_insert_with(|| stmt.reference.clone());
            }
            Outcome::Uncertain(reasons) => {
                allow_doubts.extend(reasons.into_iter().map(|r| uncertainty(stmt, r)));
            }
            Outcome::Misses { reason, detail } => misses.push(Miss {
                statement: stmt.reference.clone(),
                reason,
                detail,
            }),
        }
    }
    match allowed_by {
        // Allowed unless a Deny might apply.
        Some(statement) if deny_doubts.is_empty() => Verdict::Allowed { statement },
        Some(_) => Verdict::Undecided(deny_doubts),
        // No certain Allow: undecided if one might apply, else implicitly denied — an uncertain
        // Deny cannot make a denied request allowed.
        None if !allow_doubts.is_empty() => {
            allow_doubts.extend(deny_doubts);
            Verdict::Undecided(allow_doubts)
        }
        None => Verdict::Denied(Denial::NoAllow {
            action: request.action().to_string(),
            misses,
        }),
    }
}

/// The verdict for several requests that must all be allowed (e.g. `sts:AssumeRole` and
/// `sts:TagSession`): the first denied one (its denial names the action), else undecided with
/// every uncertainty, else allowed by the statement that allows the first request. No requests
/// at all is undecided.
pub fn evaluate_all(policy: &Policy, requests: &[Request]) -> Verdict {
    let verdicts: Vec<Verdict> = requests.iter().map(|r| evaluate(policy, r)).collect();
    if let Some(denied) = verdicts.iter().find(|v| v.kind() == VerdictKind::Denied) {
        return denied.clone();
    }
    let doubts: Vec<Uncertainty> = verdicts
        .iter()
        .filter_map(|v| match v {
            Verdict::Undecided(list) => Some(list.iter().cloned()),
            _ => None,
        })
        .flatten()
        .collect();
    match verdicts.into_iter().next() {
        Some(first @ Verdict::Allowed { .. }) if doubts.is_empty() => first,
        _ => Verdict::Undecided(doubts),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"AllowBlue","Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"],"Condition":{"StringLike":{"aws:RequestTag/eks-cluster-name":"shop-blue"}}}]}"#;

    fn pod(cluster: &str, session_tags: bool) -> PodIdentityRequest<'_> {
        PodIdentityRequest {
            cluster_name: cluster,
            cluster_arn: None,
            namespace: "carts",
            service_account: "carts",
            session_tags,
        }
    }

    #[test]
    fn denied_display_names_statement_condition_and_sent_value() {
        let policy = Policy::parse(POLICY).unwrap();
        let verdict = evaluate_all(&policy, &pod_identity_requests(&pod("shop-green", true)));
        assert_eq!(
            verdict.to_string(),
            r#"denied: sts:AssumeRole: statement 1 ("AllowBlue"): StringLike aws:RequestTag/eks-cluster-name ["shop-blue"] does not match "shop-green""#
        );
        let untagged = evaluate_all(&policy, &pod_identity_requests(&pod("shop-blue", false)));
        assert_eq!(
            untagged.to_string(),
            r#"denied: sts:AssumeRole: statement 1 ("AllowBlue"): StringLike aws:RequestTag/eks-cluster-name ["shop-blue"]: the request does not send aws:RequestTag/eks-cluster-name"#
        );
    }

    #[test]
    fn denied_display_for_principal_action_deny_and_empty_policies() {
        let ec2 = POLICY.replace("pods.eks", "ec2");
        let tag_only = POLICY.replace("\"sts:AssumeRole\",", "");
        let deny = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*"},{"Sid":"NoPods","Effect":"Deny","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":"sts:*"}]}"#;
        let only_deny = r#"{"Statement":{"Effect":"Deny","Principal":"*","Action":"s3:*"}}"#;
        let request = Request::pod_identity(ASSUME_ROLE, &pod("shop-blue", true));
        let shown = |doc: &str| evaluate(&Policy::parse(doc).unwrap(), &request).to_string();
        assert_eq!(
            shown(&ec2),
            r#"denied: sts:AssumeRole: statement 1 ("AllowBlue"): Principal Service ec2.amazonaws.com does not include Service pods.eks.amazonaws.com"#
        );
        assert_eq!(
            shown(&tag_only),
            r#"denied: sts:AssumeRole: statement 1 ("AllowBlue"): Action ["sts:TagSession"] does not cover sts:AssumeRole"#
        );
        assert_eq!(
            shown(deny),
            r#"denied: sts:AssumeRole: explicitly denied by statement 2 ("NoPods")"#
        );
        assert_eq!(
            shown(only_deny),
            "denied: sts:AssumeRole: the policy has no Allow statement"
        );
    }

    #[test]
    fn denied_display_for_negated_and_null_conditions_and_several_misses() {
        let doc = r#"{"Statement":[
            {"Effect":"Allow","Principal":"*","Action":"*","Condition":{"StringNotEquals":{"aws:RequestTag/kubernetes-namespace":["carts","orders"]}}},
            {"Effect":"Allow","Principal":"*","Action":"*","Condition":{"Null":{"aws:RequestTag/eks-cluster-name":"true"}}}]}"#;
        let request = Request::pod_identity(ASSUME_ROLE, &pod("shop-blue", true));
        let verdict = evaluate(&Policy::parse(doc).unwrap(), &request);
        assert_eq!(
            verdict.to_string(),
            r#"denied: sts:AssumeRole: statement 1: StringNotEquals aws:RequestTag/kubernetes-namespace ["carts", "orders"] matches "carts"; statement 2: Null aws:RequestTag/eks-cluster-name ["true"]: the request sends "shop-blue""#
        );
        let Verdict::Denied(Denial::NoAllow { misses, .. }) = verdict else {
            panic!("not NoAllow")
        };
        assert!(matches!(
            &misses[0].reason,
            MissReason::Condition(FailedCondition { sent: Some(v), .. }) if v == &vec!["carts".to_string()]
        ));
    }

    #[test]
    fn undecided_and_allowed_display() {
        let doc = POLICY.replace("eks-cluster-name", "kubernetes-pod-name");
        let verdict = evaluate(
            &Policy::parse(&doc).unwrap(),
            &Request::pod_identity(ASSUME_ROLE, &pod("shop-blue", true)),
        );
        assert_eq!(
            verdict.to_string(),
            r#"undecided: sts:AssumeRole: cannot tell whether statement 1 ("AllowBlue") allows it: aws:RequestTag/kubernetes-pod-name: per pod: EKS sends each pod's own name"#
        );
        let allowed = evaluate_all(
            &Policy::parse(POLICY).unwrap(),
            &pod_identity_requests(&pod("shop-blue", true)),
        );
        assert_eq!(
            allowed.to_string(),
            r#"allowed by statement 1 ("AllowBlue")"#
        );
        assert_eq!(
            evaluate_all(&Policy::parse(POLICY).unwrap(), &[]).kind(),
            VerdictKind::Undecided
        );
    }
}
