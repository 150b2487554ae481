//! The conformance table: one row per documented rule — policy, request, expected verdict kind
//! and the AWS documentation page (and rule) it encodes. The test runs every row and reports
//! every failing row by name. This file holds the runner and the rows about statements,
//! principals, actions, the EKS Pod Identity request and the policies `aws_eks_pod_identity_role`
//! writes; `conformance_conditions.rs` holds the condition operator rows.

use std::collections::{BTreeSet, HashSet};

use super::*;
use crate::iam::trust_policy;

pub(super) const EVAL: &str = "Policy evaluation logic";
pub(super) const PRINCIPAL: &str = "IAM JSON policy elements: Principal";
pub(super) const NOT_PRINCIPAL: &str = "IAM JSON policy elements: NotPrincipal";
pub(super) const ACTION: &str = "IAM JSON policy elements: Action";
pub(super) const NOT_ACTION: &str = "IAM JSON policy elements: NotAction";
pub(super) const OPERATORS: &str = "IAM JSON policy elements: Condition operators";
pub(super) const MULTIPLE: &str = "Conditions with multiple context keys or values";
pub(super) const SETS: &str = "Single-valued vs. multivalued context keys";
pub(super) const VERSION: &str = "IAM JSON policy elements: Version";
pub(super) const VARIABLES: &str = "IAM policy elements: Variables and tags";
pub(super) const EKS_ROLE: &str = "Create IAM role with trust policy required by EKS Pod Identity";
pub(super) const EKS_TAGS: &str = "List of session tags added by EKS Pod Identity";
pub(super) const EKS_DISABLE: &str = "Enable or disable session tags (EKS Pod Identity)";
pub(super) const EKS_TARGET: &str = "Access AWS Resources using EKS Pod Identity Target IAM Roles";
pub(super) const PRODUCT: &str = "PRODUCT.md §8 (undocumented → undecided)";

pub(super) const GREEN_ARN: &str = "arn:aws:eks:eu-west-1:111122223333:cluster/shop-green";
pub(super) const ROLE_ARN: &str = "arn:aws:iam::111122223333:role/pods";

/// The trust statement EKS documents, as a JSON object.
pub(super) const ALLOW_PODS: &str = r#"{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}"#;

/// One row of the table.
pub(super) struct Case {
    pub name: &'static str,
    pub policy: String,
    pub requests: Vec<Request>,
    pub expect: VerdictKind,
    pub cite: String,
}

/// A row; `cite` is (doc page title, the rule in a few words).
pub(super) fn case(
    name: &'static str,
    policy: impl Into<String>,
    requests: Vec<Request>,
    expect: VerdictKind,
    cite: (&str, &str),
) -> Case {
    Case {
        name,
        policy: policy.into(),
        requests,
        expect,
        cite: format!("{}: {}", cite.0, cite.1),
    }
}

/// A Version 2012-10-17 policy with these statements (JSON objects, comma-separated).
pub(super) fn doc(statements: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#)
}

/// The EKS trust statement with this `Condition` object.
pub(super) fn allow_if(condition: &str) -> String {
    doc(&ALLOW_PODS.replace("\"]}", &format!("\"],\"Condition\":{condition}}}")))
}

/// A statement for the pod identity principal with `extra` members (e.g. `"Effect":"Deny"`).
pub(super) fn pods_statement(effect: &str, action: &str, extra: &str) -> String {
    format!(
        r#"{{"Effect":"{effect}","Principal":{{"Service":"pods.eks.amazonaws.com"}},"Action":{action}{extra}}}"#
    )
}

/// shop-green / carts / carts with its cluster ARN and session tags.
pub(super) fn green() -> PodIdentityRequest<'static> {
    PodIdentityRequest {
        cluster_name: "shop-green",
        cluster_arn: Some(GREEN_ARN),
        namespace: "carts",
        service_account: "carts",
        session_tags: true,
    }
}

/// An association known by cluster name only, with session tags.
pub(super) fn pod(
    cluster: &'static str,
    namespace: &'static str,
    service_account: &'static str,
) -> PodIdentityRequest<'static> {
    PodIdentityRequest {
        cluster_name: cluster,
        cluster_arn: None,
        namespace,
        service_account,
        session_tags: true,
    }
}

/// The same association with `disable_session_tags = true`.
pub(super) fn untagged(pod: PodIdentityRequest<'static>) -> PodIdentityRequest<'static> {
    PodIdentityRequest {
        session_tags: false,
        ..pod
    }
}

/// Only the sts:AssumeRole request.
pub(super) fn assume(pod: PodIdentityRequest<'_>) -> Vec<Request> {
    vec![Request::pod_identity(ASSUME_ROLE, &pod)]
}

/// Every request EKS makes for the association.
pub(super) fn both(pod: PodIdentityRequest<'_>) -> Vec<Request> {
    pod_identity_requests(&pod)
}

/// The role-chaining requests from [`ROLE_ARN`].
pub(super) fn chain(external_id: Option<&str>, session_tags: bool) -> Vec<Request> {
    role_chain_requests(ROLE_ARN, external_id, session_tags)
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// The exact document `aws_eks_pod_identity_role` writes.
fn generated(clusters: &[&str], service_accounts: &[&str]) -> String {
    trust_policy::generate(&set(clusters), &set(service_accounts))
}

use VerdictKind::{Allowed, Denied, Undecided};

// One row per line: the table reads as a table.
#[rustfmt::skip]
fn element_cases() -> Vec<Case> {
    let aws = |principal: &str| {
        doc(&format!(
            r#"{{"Effect":"Allow","Principal":{{"AWS":{principal}}},"Action":["sts:AssumeRole","sts:TagSession"]}}"#
        ))
    };
    let pods_with = |principal: &str| doc(&ALLOW_PODS.replace(r#"{"Service":"pods.eks.amazonaws.com"}"#, principal));
    let actions = |list: &str| doc(&pods_statement("Allow", list, ""));
    let deny_if = |condition: &str| {
        doc(&format!(
            "{ALLOW_PODS},{}",
            pods_statement("Deny", "\"sts:*\"", &format!(",\"Condition\":{condition}"))
        ))
    };
    let ext = r#"{"StringEquals":{"sts:ExternalId":"ext-1"}}"#;
    let role_trust = |condition: &str| {
        doc(&format!(
            r#"{{"Effect":"Allow","Principal":{{"AWS":"{ROLE_ARN}"}},"Action":["sts:AssumeRole","sts:TagSession"],"Condition":{condition}}}"#
        ))
    };
    vec![
        // The documented EKS trust policy.
        case("eks_documented_policy_allows_assume_role", doc(ALLOW_PODS), assume(green()), Allowed, (EKS_ROLE, "pods.eks.amazonaws.com with sts:AssumeRole")),
        case("eks_documented_policy_allows_both_actions", doc(ALLOW_PODS), both(green()), Allowed, (EKS_ROLE, "sts:AssumeRole and sts:TagSession")),
        case("without_tag_session_tagged_requests_are_denied", actions(r#""sts:AssumeRole""#), both(green()), Denied, (EKS_ROLE, "EKS uses TagSession to include session tags")),
        case("without_tag_session_untagged_requests_are_allowed", actions(r#""sts:AssumeRole""#), both(untagged(green())), Allowed, (EKS_DISABLE, "no session tags, no TagSession")),
        case("url_encoded_policy_is_read", percent_encoding::utf8_percent_encode(&doc(ALLOW_PODS), percent_encoding::NON_ALPHANUMERIC).to_string(), both(green()), Allowed, (EKS_ROLE, "GetRole returns the document URL-encoded")),
        case("lowercase_effect_is_read", doc(&ALLOW_PODS.replace("Allow", "allow")), both(green()), Allowed, (EVAL, "Effect Allow")),
        case("empty_statement_list_is_implicitly_denied", doc(""), both(green()), Denied, (EVAL, "denied by default without an Allow")),
        case("second_statement_can_allow", doc(&format!("{},{ALLOW_PODS}", ALLOW_PODS.replace("pods.eks", "ec2"))), both(green()), Allowed, (EVAL, "any applicable Allow statement allows")),
        // Principal.
        case("other_service_principal_is_denied", pods_with(r#"{"Service":"ec2.amazonaws.com"}"#), both(green()), Denied, (PRINCIPAL, "the principal must name the caller")),
        case("principal_star_allows_everyone", pods_with(r#""*""#), both(green()), Allowed, (PRINCIPAL, "\"Principal\": \"*\" is every principal")),
        case("principal_aws_star_equals_star", pods_with(r#"{"AWS":"*"}"#), both(green()), Allowed, (PRINCIPAL, "{\"AWS\": \"*\"} is the same as \"*\"")),
        case("principal_service_list_is_or", pods_with(r#"{"Service":["ec2.amazonaws.com","pods.eks.amazonaws.com"]}"#), both(green()), Allowed, (PRINCIPAL, "a list of principals names each of them")),
        case("principal_service_case_difference_is_undecided", pods_with(r#"{"Service":"Pods.EKS.amazonaws.com"}"#), both(green()), Undecided, (PRODUCT, "service name case is not documented")),
        case("principal_partial_wildcard_is_undecided", pods_with(r#"{"Service":"*.amazonaws.com"}"#), both(green()), Undecided, (PRINCIPAL, "no wildcard for part of a principal name")),
        case("principal_federated_does_not_name_a_service", pods_with(r#"{"Federated":"arn:aws:iam::111122223333:oidc-provider/x"}"#), both(green()), Denied, (PRINCIPAL, "federated principals are other principals")),
        case("principal_unknown_type_is_undecided", pods_with(r#"{"Pods":"pods.eks.amazonaws.com"}"#), both(green()), Undecided, (PRODUCT, "unknown principal type")),
        case("principal_account_does_not_name_a_service", aws(r#""111122223333""#), both(green()), Denied, (PRINCIPAL, "an account principal names IAM identities of the account")),
        case("role_chain_account_id_principal", aws(r#""111122223333""#), chain(None, true), Allowed, (PRINCIPAL, "the 12-digit account id names the account's roles")),
        case("role_chain_account_root_principal", aws(r#""arn:aws:iam::111122223333:root""#), chain(None, true), Allowed, (PRINCIPAL, "arn:aws:iam::ACCOUNT:root is the account")),
        case("role_chain_role_arn_principal", aws(&format!("[\"{ROLE_ARN}\"]")), chain(None, true), Allowed, (PRINCIPAL, "a role ARN names its sessions")),
        case("role_chain_aws_star_principal", aws(r#""*""#), chain(None, false), Allowed, (PRINCIPAL, "AWS * is every principal")),
        case("role_chain_other_account_is_denied", aws(r#""444455556666""#), chain(None, true), Denied, (PRINCIPAL, "another account does not name this role")),
        case("role_chain_other_role_is_denied", aws(r#""arn:aws:iam::111122223333:role/other""#), chain(None, true), Denied, (PRINCIPAL, "another role ARN does not name this role")),
        case("role_chain_service_principal_is_denied", doc(ALLOW_PODS), chain(None, true), Denied, (PRINCIPAL, "a service principal does not name a role")),
        case("role_chain_unique_id_principal_is_undecided", aws(r#""AROAEXAMPLEID""#), chain(None, true), Undecided, (PRINCIPAL, "a unique id replaces the ARN of a deleted role")),
        // Action and NotAction.
        case("action_service_wildcard", actions(r#""sts:*""#), both(green()), Allowed, (ACTION, "* matches any characters")),
        case("action_star", actions(r#""*""#), both(green()), Allowed, (ACTION, "* is every action")),
        case("action_question_mark", actions(r#"["sts:Assume?ole","sts:TagSessio?"]"#), both(green()), Allowed, (ACTION, "? matches one character")),
        case("action_names_are_case_insensitive", actions(r#"["STS:assumerole","sts:TAGSESSION"]"#), both(green()), Allowed, (ACTION, "action names are not case-sensitive")),
        case("action_of_other_service_is_denied", actions(r#""s3:*""#), both(green()), Denied, (ACTION, "the action must be listed")),
        case("action_prefix_without_wildcard_is_denied", actions(r#""sts:Assume""#), both(green()), Denied, (ACTION, "the whole action name must match")),
        case("not_action_excludes_the_listed_action", doc(&ALLOW_PODS.replace(r#""Action":["sts:AssumeRole","sts:TagSession"]"#, r#""NotAction":"sts:TagSession""#)), both(green()), Denied, (NOT_ACTION, "matches everything except the listed actions")),
        case("not_action_allows_other_actions", doc(&ALLOW_PODS.replace(r#""Action":["sts:AssumeRole","sts:TagSession"]"#, r#""NotAction":["s3:*","iam:*"]"#)), both(green()), Allowed, (NOT_ACTION, "actions not listed are covered")),
        // Deny.
        case("explicit_deny_wins_over_allow", doc(&format!("{ALLOW_PODS},{}", pods_statement("Deny", "\"sts:AssumeRole\"", ""))), both(green()), Denied, (EVAL, "an explicit deny overrides any allow")),
        case("deny_for_another_cluster_does_not_apply", deny_if(r#"{"StringEquals":{"aws:RequestTag/eks-cluster-name":"shop-blue"}}"#), both(green()), Allowed, (EVAL, "a Deny applies only when its conditions hold")),
        case("deny_for_this_cluster_applies", deny_if(r#"{"StringEquals":{"aws:RequestTag/eks-cluster-name":"shop-green"}}"#), both(green()), Denied, (EVAL, "an applicable Deny denies")),
        case("deny_that_might_apply_is_undecided", deny_if(r#"{"StringLike":{"aws:RequestTag/kubernetes-pod-name":"batch-*"}}"#), both(green()), Undecided, (PRODUCT, "per-pod key in a Deny next to an Allow")),
        case("uncertain_deny_without_allow_is_denied", doc(&format!("{},{}", ALLOW_PODS.replace("pods.eks", "ec2"), pods_statement("Deny", "\"*\"", r#","Condition":{"StringLike":{"aws:RequestTag/kubernetes-pod-name":"x"}}"#))), both(green()), Denied, (EVAL, "no applicable Allow is an implicit deny")),
        case("deny_of_tag_session_only_spares_untagged_associations", doc(&format!("{ALLOW_PODS},{}", pods_statement("Deny", "\"sts:TagSession\"", ""))), both(untagged(green())), Allowed, (EVAL, "a Deny applies only to its actions")),
        // NotPrincipal.
        case("not_principal_deny_spares_the_named_service", doc(&format!(r#"{ALLOW_PODS},{{"Effect":"Deny","NotPrincipal":{{"Service":"pods.eks.amazonaws.com"}},"Action":"*"}}"#)), both(green()), Allowed, (NOT_PRINCIPAL, "Deny to all principals except the ones named")),
        case("not_principal_deny_applies_to_other_services", doc(&format!(r#"{ALLOW_PODS},{{"Effect":"Deny","NotPrincipal":{{"Service":"ec2.amazonaws.com"}},"Action":"*"}}"#)), both(green()), Denied, (NOT_PRINCIPAL, "Deny applies to principals not named")),
        case("not_principal_with_allow_is_undecided", doc(r#"{"Effect":"Allow","NotPrincipal":{"Service":"ec2.amazonaws.com"},"Action":"*"}"#), both(green()), Undecided, (NOT_PRINCIPAL, "NotPrincipal with Allow is not supported")),
        case("not_principal_with_allow_never_grants_the_named", doc(r#"{"Effect":"Allow","NotPrincipal":{"Service":"pods.eks.amazonaws.com"},"Action":"*"}"#), both(green()), Denied, (NOT_PRINCIPAL, "the named principal is excepted")),
        case("not_principal_naming_only_the_role_is_undecided", doc(&format!(r#"{{"Effect":"Allow","Principal":{{"AWS":"{ROLE_ARN}"}},"Action":"*"}},{{"Effect":"Deny","NotPrincipal":{{"AWS":"{ROLE_ARN}"}},"Action":"*"}}"#)), chain(None, true), Undecided, (NOT_PRINCIPAL, "account, role and session must all be named")),
        // Elements a trust policy does not have.
        case("resource_in_a_trust_policy_is_undecided", doc(&ALLOW_PODS.replace("]}", "],\"Resource\":\"*\"}")), both(green()), Undecided, (PRODUCT, "IAM rejects Resource in a trust policy")),
        case("resource_does_not_rescue_a_wrong_principal", doc(&ALLOW_PODS.replace("pods.eks", "ec2").replace("]}", "],\"Resource\":\"*\"}")), both(green()), Denied, (EVAL, "a statement whose principal misses does not apply")),
        // The request EKS Pod Identity makes.
        case("disabled_session_tags_fail_tag_conditions", allow_if(r#"{"StringLike":{"aws:RequestTag/eks-cluster-name":"shop-*"}}"#), both(untagged(green())), Denied, (EKS_DISABLE, "no session tags are sent")),
        case("per_pod_name_is_undecided", allow_if(r#"{"StringLike":{"aws:RequestTag/kubernetes-pod-name":"carts-*"}}"#), both(green()), Undecided, (EKS_TAGS, "kubernetes-pod-name differs per pod")),
        case("per_pod_uid_is_undecided", allow_if(r#"{"StringEquals":{"aws:RequestTag/kubernetes-pod-uid":"0b9c"}}"#), both(green()), Undecided, (EKS_TAGS, "kubernetes-pod-uid differs per pod")),
        case("source_arn_is_undecided", allow_if(&format!(r#"{{"ArnLike":{{"aws:SourceArn":"{GREEN_ARN}"}}}}"#)), both(green()), Undecided, (PRODUCT, "aws:SourceArn is not documented for this request")),
        case("source_account_is_undecided", allow_if(r#"{"StringEquals":{"aws:SourceAccount":"111122223333"}}"#), both(green()), Undecided, (PRODUCT, "aws:SourceAccount is not documented for this request")),
        case("undocumented_key_is_undecided", allow_if(r#"{"StringEquals":{"aws:PrincipalOrgID":"o-1234"}}"#), both(green()), Undecided, (PRODUCT, "keys the request does not document")),
        case("cluster_arn_unknown_with_only_a_name", allow_if(r#"{"ArnLike":{"aws:RequestTag/eks-cluster-arn":"arn:aws:eks:*:111122223333:cluster/shop-*"}}"#), both(pod("shop-green", "carts", "carts")), Undecided, (EKS_TAGS, "eks-cluster-arn needs the cluster ARN")),
        case("cluster_arn_known_matches", allow_if(r#"{"ArnLike":{"aws:RequestTag/eks-cluster-arn":"arn:aws:eks:*:111122223333:cluster/shop-*"}}"#), both(green()), Allowed, (EKS_TAGS, "eks-cluster-arn is sent")),
        case("other_request_tags_are_not_sent", allow_if(r#"{"StringEquals":{"aws:RequestTag/team":"shop"}}"#), both(green()), Denied, (EKS_TAGS, "EKS adds exactly six tags")),
        // Role chaining to target_role_arn.
        case("external_id_matches", role_trust(ext), chain(Some("ext-1"), true), Allowed, (EKS_TARGET, "trust policy matches sts:ExternalId")),
        case("external_id_differs", role_trust(ext), chain(Some("ext-2"), true), Denied, (OPERATORS, "StringEquals is an exact match")),
        case("external_id_not_sent", role_trust(ext), chain(None, true), Denied, (OPERATORS, "a key not sent makes the condition false")),
        case("transitive_tags_are_undecided", role_trust(r#"{"StringEquals":{"aws:RequestTag/eks-cluster-name":"shop-green"}}"#), chain(None, true), Undecided, (PRODUCT, "transitive tags in the chained request are not documented")),
        case("no_transitive_tags_without_session_tags", role_trust(r#"{"StringEquals":{"aws:RequestTag/eks-cluster-name":"shop-green"}}"#), chain(None, false), Denied, (EKS_DISABLE, "no session tags to pass on")),
        case("principal_arn_of_the_source_role", role_trust(r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/*"}}"#), chain(None, true), Allowed, ("AWS global condition context keys", "aws:PrincipalArn is the role ARN for a role session")),
        // The policies aws_eks_pod_identity_role writes (trust_policy::generate).
        case("generated_unrestricted_allows_any_cluster", generated(&[], &[]), both(green()), Allowed, (EKS_ROLE, "no conditions")),
        case("generated_unrestricted_allows_untagged", generated(&[], &[]), both(untagged(green())), Allowed, (EKS_DISABLE, "no tag conditions to fail")),
        case("generated_cluster_list_allows_a_member", generated(&["shop-blue", "shop-green"], &[]), both(green()), Allowed, (MULTIPLE, "several values of one key are OR")),
        case("generated_cluster_list_denies_the_green_cutover", generated(&["shop-blue"], &[]), both(green()), Denied, (OPERATORS, "StringLike does not match another name")),
        case("generated_cluster_wildcard_allows", generated(&["shop-*"], &[]), both(green()), Allowed, (OPERATORS, "StringLike * matches any characters")),
        case("generated_cluster_question_mark_denies_longer", generated(&["shop-?"], &[]), both(green()), Denied, (OPERATORS, "StringLike ? matches one character")),
        case("generated_cluster_list_denies_untagged", generated(&["shop-green"], &[]), both(untagged(green())), Denied, (EKS_DISABLE, "no session tags are sent")),
        case("generated_service_account_allows", generated(&[], &["carts/carts"]), both(green()), Allowed, (MULTIPLE, "several keys are AND")),
        case("generated_service_account_other_namespace_denies", generated(&[], &["orders/carts"]), both(green()), Denied, (MULTIPLE, "every key must hold")),
        case("generated_service_account_other_name_denies", generated(&[], &["carts/orders"]), both(green()), Denied, (MULTIPLE, "every key must hold")),
        case("generated_service_account_wildcard_allows", generated(&[], &["app/*", "carts/car?s"]), both(green()), Allowed, (OPERATORS, "StringLike wildcards")),
        case("generated_one_statement_per_account_is_or", generated(&[], &["orders/orders", "carts/carts"]), both(green()), Allowed, (EVAL, "any applicable Allow statement")),
        case("generated_both_restrictions_allow", generated(&["shop-*"], &["carts/carts"]), both(green()), Allowed, (MULTIPLE, "several keys are AND")),
        case("generated_both_restrictions_wrong_cluster", generated(&["shop-blue"], &["carts/carts"]), both(green()), Denied, (MULTIPLE, "one false key fails the statement")),
        case("generated_both_restrictions_wrong_account", generated(&["shop-green"], &["carts/orders"]), both(green()), Denied, (MULTIPLE, "one false key fails the statement")),
        case("generated_service_accounts_deny_untagged", generated(&[], &["carts/carts"]), both(untagged(green())), Denied, (EKS_DISABLE, "no session tags are sent")),
    ]
}

fn run(cases: &[Case]) -> Vec<String> {
    let mut failures = Vec::new();
    let mut names = HashSet::new();
    for case in cases {
        if !names.insert(case.name) {
            failures.push(format!("{}: duplicate row name", case.name));
        }
        if case.cite.len() < 10 {
            failures.push(format!("{}: no citation", case.name));
        }
        let verdict = match Policy::parse(&case.policy) {
            Ok(policy) => evaluate_all(&policy, &case.requests),
            Err(e) => {
                failures.push(format!("{}: policy does not parse: {e}", case.name));
                continue;
            }
        };
        if verdict.kind() != case.expect {
            failures.push(format!(
                "{}: expected {:?}, got {verdict}\n    rule: {}\n    policy: {}",
                case.name, case.expect, case.cite, case.policy
            ));
        }
    }
    failures
}

#[test]
fn conformance_table() {
    let mut cases = element_cases();
    cases.extend(super::conformance_conditions::cases());
    assert!(cases.len() >= 70, "only {} rows", cases.len());
    let failures = run(&cases);
    assert!(
        failures.is_empty(),
        "{} of {} conformance rows failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
