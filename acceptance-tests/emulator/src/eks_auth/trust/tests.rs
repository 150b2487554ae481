//! The evaluator on the trust policies pod identity roles carry, and on what it must refuse.

use serde_json::{json, Value};

use super::*;

const PODS: &str = "pods.eks.amazonaws.com";
const ROLE: &str = "arn:aws:iam::123456789012:role/app";
const BOTH: &[&str] = &["sts:AssumeRole", "sts:TagSession"];

fn pods() -> Caller {
    Caller::Service(PODS.to_owned())
}

fn session(account_principals: bool) -> Caller {
    Caller::RoleSession {
        role_arn: ROLE.to_owned(),
        session_arn: "arn:aws:sts::123456789012:assumed-role/app/eks-c1-pod".to_owned(),
        account_id: "123456789012".to_owned(),
        account_principals,
    }
}

/// The request tags of a pod of `cluster` with `namespace/service_account`.
fn tags(cluster: &str, namespace: &str, service_account: &str) -> Context {
    let mut context = Context::default();
    context.set("aws:RequestTag/eks-cluster-name", cluster);
    context.set("aws:RequestTag/kubernetes-namespace", namespace);
    context.set("aws:RequestTag/kubernetes-service-account", service_account);
    context.set_multivalued(
        "aws:TagKeys",
        [
            "eks-cluster-name",
            "kubernetes-namespace",
            "kubernetes-service-account",
        ]
        .map(str::to_owned)
        .to_vec(),
    );
    context.absent_prefix("aws:RequestTag/");
    context
}

fn trust(statements: Value) -> String {
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

fn pods_statement(condition: Value) -> Value {
    json!({"Effect": "Allow", "Principal": {"Service": PODS}, "Action": BOTH, "Condition": condition})
}

fn verdict(policy: &str, caller: &Caller, actions: &[&str], context: &Context) -> Verdict {
    evaluate(&[policy], PolicyKind::Trust(caller), actions, context)
}

fn denied_because(verdict: &Verdict) -> &str {
    match verdict {
        Verdict::Denied { reason, .. } => reason,
        other => panic!("expected a denial, got {other:?}"),
    }
}

fn unsupported_because(verdict: &Verdict) -> &str {
    match verdict {
        Verdict::Unsupported { reason, .. } => reason,
        other => panic!("expected unsupported, got {other:?}"),
    }
}

#[test]
fn the_documented_trust_policy_allows_pods() {
    let policy =
        trust(json!([{"Effect": "Allow", "Principal": {"Service": PODS}, "Action": BOTH}]));
    let context = tags("c1", "ns", "sa");
    assert_eq!(verdict(&policy, &pods(), BOTH, &context), Verdict::Allowed);
    let ec2 = Caller::Service("ec2.amazonaws.com".to_owned());
    let refused = verdict(&policy, &ec2, BOTH, &context);
    assert!(
        denied_because(&refused).contains("ec2.amazonaws.com"),
        "{refused:?}"
    );
}

#[test]
fn tag_session_must_be_allowed_too() {
    let policy = trust(
        json!({"Effect": "Allow", "Principal": {"Service": PODS}, "Action": "sts:AssumeRole"}),
    );
    let refused = verdict(&policy, &pods(), BOTH, &tags("c1", "ns", "sa"));
    assert!(
        denied_because(&refused).contains("sts:TagSession"),
        "{refused:?}"
    );
    let only_assume = verdict(&policy, &pods(), &["sts:AssumeRole"], &Context::default());
    assert_eq!(only_assume, Verdict::Allowed);
    let wildcard = trust(json!({"Effect": "Allow", "Principal": "*", "Action": "STS:*"}));
    assert_eq!(
        verdict(&wildcard, &pods(), BOTH, &Context::default()),
        Verdict::Allowed
    );
    let not_action = trust(
        json!({"Effect": "Allow", "Principal": {"Service": PODS}, "NotAction": "sts:TagSession"}),
    );
    assert!(matches!(
        verdict(&not_action, &pods(), BOTH, &Context::default()),
        Verdict::Denied {
            explicit: false,
            ..
        }
    ));
}

#[test]
fn conditions_on_request_tags() {
    let policy = trust(json!([pods_statement(json!({
        "StringEquals": {"aws:RequestTag/kubernetes-namespace": "ns"},
        "StringLike": {"AWS:REQUESTTAG/EKS-CLUSTER-NAME": ["shop-*", "c?"]}
    }))]));
    assert_eq!(
        verdict(&policy, &pods(), BOTH, &tags("c1", "ns", "sa")),
        Verdict::Allowed
    );
    assert_eq!(
        verdict(&policy, &pods(), BOTH, &tags("shop-blue", "ns", "x")),
        Verdict::Allowed
    );
    let other_cluster = verdict(&policy, &pods(), BOTH, &tags("c10", "ns", "sa"));
    let reason = denied_because(&other_cluster);
    assert!(
        reason.contains("\"c10\"") && reason.contains("shop-*"),
        "{reason}"
    );
    let other_namespace = verdict(&policy, &pods(), BOTH, &tags("c1", "other", "sa"));
    assert!(denied_because(&other_namespace).contains("kubernetes-namespace"));

    let no_tags = {
        let mut context = Context::default();
        context.absent_prefix("aws:RequestTag/");
        context.absent("aws:TagKeys");
        context
    };
    let refused = verdict(&policy, &pods(), &["sts:AssumeRole"], &no_tags);
    assert!(
        denied_because(&refused).contains("the request has no"),
        "{refused:?}"
    );
}

#[test]
fn negated_operators_if_exists_and_null() {
    let context = tags("c1", "ns", "sa");
    let allows = |condition: Value| {
        verdict(
            &trust(json!([pods_statement(condition)])),
            &pods(),
            BOTH,
            &context,
        ) == Verdict::Allowed
    };
    assert!(allows(
        json!({"StringNotEquals": {"aws:RequestTag/kubernetes-namespace": "kube-system"}})
    ));
    assert!(!allows(
        json!({"StringNotLike": {"aws:RequestTag/kubernetes-namespace": "n*"}})
    ));
    // Missing keys: positive operators fail, negated ones and IfExists hold.
    assert!(allows(
        json!({"StringNotEquals": {"aws:RequestTag/team": "x"}})
    ));
    assert!(!allows(
        json!({"StringEquals": {"aws:RequestTag/team": "x"}})
    ));
    assert!(allows(
        json!({"StringEqualsIfExists": {"aws:RequestTag/team": "x"}})
    ));
    assert!(!allows(
        json!({"StringEqualsIfExists": {"aws:RequestTag/kubernetes-namespace": "x"}})
    ));
    assert!(allows(
        json!({"Null": {"aws:RequestTag/team": "true", "aws:RequestTag/eks-cluster-name": false}})
    ));
    assert!(!allows(
        json!({"Null": {"aws:RequestTag/eks-cluster-name": "true"}})
    ));
    assert!(allows(
        json!({"StringEqualsIgnoreCase": {"aws:RequestTag/kubernetes-namespace": "NS"}})
    ));
    assert!(!allows(
        json!({"StringNotEqualsIgnoreCase": {"aws:RequestTag/kubernetes-namespace": "Ns"}})
    ));
    assert!(allows(
        json!({"ForAllValues:StringLike": {"aws:TagKeys": ["eks-*", "kubernetes-*"]}})
    ));
    assert!(!allows(
        json!({"ForAllValues:StringEquals": {"aws:TagKeys": ["eks-cluster-name"]}})
    ));
    assert!(allows(
        json!({"ForAnyValue:StringEquals": {"aws:TagKeys": "eks-cluster-name"}})
    ));
    assert!(!allows(
        json!({"ForAnyValue:StringEquals": {"aws:RequestTag/team": "x"}})
    ));
    assert!(allows(
        json!({"ForAllValues:StringEquals": {"aws:RequestTag/team": "x"}})
    ));
}

#[test]
fn explicit_deny_wins() {
    let policy = trust(json!([
        {"Effect": "Allow", "Principal": {"Service": PODS}, "Action": BOTH},
        {"Sid": "NoKubeSystem", "Effect": "Deny", "Principal": "*", "Action": "sts:*",
         "Condition": {"StringEquals": {"aws:RequestTag/kubernetes-namespace": "kube-system"}}}
    ]));
    assert_eq!(
        verdict(&policy, &pods(), BOTH, &tags("c1", "ns", "sa")),
        Verdict::Allowed
    );
    let denied = verdict(&policy, &pods(), BOTH, &tags("c1", "kube-system", "sa"));
    assert!(
        matches!(&denied, Verdict::Denied { explicit: true, reason } if reason.contains("NoKubeSystem")),
        "{denied:?}"
    );
    let not_principal = trust(json!([
        {"Effect": "Allow", "Principal": "*", "Action": BOTH},
        {"Effect": "Deny", "NotPrincipal": {"Service": "ec2.amazonaws.com"}, "Action": "*"}
    ]));
    assert!(matches!(
        verdict(&not_principal, &pods(), BOTH, &Context::default()),
        Verdict::Denied { explicit: true, .. }
    ));
}

#[test]
fn what_the_emulator_cannot_judge_is_refused_as_unsupported() {
    let context = tags("c1", "ns", "sa");
    let judge = |condition: Value| {
        verdict(
            &trust(json!([pods_statement(condition)])),
            &pods(),
            BOTH,
            &context,
        )
    };
    let reason = |condition: Value| unsupported_because(&judge(condition)).to_owned();
    assert!(
        reason(json!({"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}))
            .contains("NumericLessThan")
    );
    assert!(
        reason(json!({"StringEquals": {"aws:SourceAccount": "123456789012"}}))
            .contains("aws:SourceAccount")
    );
    assert!(reason(
        json!({"StringEquals": {"aws:RequestTag/kubernetes-namespace": "${aws:username}"}})
    )
    .contains("policy variables"));
    assert!(
        reason(json!({"StringEquals": {"aws:TagKeys": "eks-cluster-name"}}))
            .contains("multivalued")
    );
    // A definite mismatch elsewhere in the statement decides before the unknown.
    let mismatch = judge(
        json!({"StringEquals": {"aws:RequestTag/kubernetes-namespace": "x", "aws:SourceArn": "y"}}),
    );
    assert!(matches!(mismatch, Verdict::Denied { .. }), "{mismatch:?}");
    // An unknown Deny taints an Allow.
    let deny = trust(json!([
        {"Effect": "Allow", "Principal": {"Service": PODS}, "Action": BOTH},
        {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "*"}
    ]));
    assert!(matches!(
        verdict(&deny, &pods(), BOTH, &context),
        Verdict::Unsupported {
            deny_at_stake: true,
            ..
        }
    ));
    let resource =
        trust(json!({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}));
    assert!(unsupported_because(&verdict(&resource, &pods(), BOTH, &context)).contains("Resource"));
    assert!(matches!(
        verdict("{not json", &pods(), BOTH, &context),
        Verdict::Unsupported { .. }
    ));
}

#[test]
fn role_sessions_as_principals() {
    let mut context = Context::default();
    context.set("sts:ExternalId", "ext-1");
    let policy = |principal: Value| {
        trust(
            json!({"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "ext-1"}}}),
        )
    };
    let allowed = |principal: Value, caller: &Caller| {
        verdict(&policy(principal), caller, &["sts:AssumeRole"], &context) == Verdict::Allowed
    };
    assert!(allowed(json!(ROLE), &session(false)));
    assert!(allowed(
        json!(["arn:aws:iam::999999999999:role/x", ROLE]),
        &session(false)
    ));
    assert!(allowed(json!("*"), &session(false)));
    assert!(!allowed(
        json!("arn:aws:iam::123456789012:role/other"),
        &session(true)
    ));
    // The account delegates to the role's own permissions: only with account principals.
    assert!(!allowed(
        json!("arn:aws:iam::123456789012:root"),
        &session(false)
    ));
    assert!(allowed(
        json!("arn:aws:iam::123456789012:root"),
        &session(true)
    ));
    assert!(allowed(json!("123456789012"), &session(true)));
    let mut wrong_id = Context::default();
    wrong_id.set("sts:ExternalId", "ext-2");
    assert!(matches!(
        verdict(
            &policy(json!(ROLE)),
            &session(false),
            &["sts:AssumeRole"],
            &wrong_id
        ),
        Verdict::Denied { .. }
    ));
}

#[test]
fn permission_policies_name_resources() {
    let target = "arn:aws:iam::210987654321:role/target";
    let identity = |resource: Value| {
        json!({"Statement": {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"], "Resource": resource}}).to_string()
    };
    let judge = |policy: &str| {
        evaluate(
            &[policy],
            PolicyKind::Identity { resource: target },
            BOTH,
            &Context::default(),
        )
    };
    assert_eq!(judge(&identity(json!(target))), Verdict::Allowed);
    assert_eq!(
        judge(&identity(json!("arn:aws:iam::210987654321:role/*"))),
        Verdict::Allowed
    );
    assert!(matches!(
        judge(&identity(json!("arn:aws:iam::210987654321:role/other"))),
        Verdict::Denied {
            explicit: false,
            ..
        }
    ));
    let principal =
        json!({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}})
            .to_string();
    assert!(matches!(judge(&principal), Verdict::Unsupported { .. }));
    let none: &[&str] = &[];
    assert!(matches!(
        evaluate(
            none,
            PolicyKind::Identity { resource: target },
            BOTH,
            &Context::default()
        ),
        Verdict::Denied {
            explicit: false,
            ..
        }
    ));
}

#[test]
fn globs_and_arns() {
    assert!(glob("a*c", "abbbc") && glob("a*c", "ac") && glob("a?c", "abc") && glob("*", ""));
    assert!(!glob("a?c", "ac") && !glob("a*c", "abd") && !glob("abc", "ABC"));
    assert!(glob("*a*b*", "xxaxxbxx") && !glob("*a*b*", "xxbxxaxx"));
    assert!(compares_arn(
        "arn:aws:eks:*:123456789012:cluster/shop-*",
        "arn:aws:eks:eu-west-1:123456789012:cluster/shop-blue"
    ));
    assert!(!compares_arn(
        "arn:aws:eks:*:123456789012:cluster/shop-*",
        "shop-blue"
    ));
}

fn compares_arn(wanted: &str, value: &str) -> bool {
    let policy = trust(json!([pods_statement(
        json!({"ArnLike": {"aws:RequestTag/eks-cluster-arn": wanted}})
    )]));
    let mut context = Context::default();
    context.set("aws:RequestTag/eks-cluster-arn", value);
    verdict(&policy, &pods(), &["sts:AssumeRole"], &context) == Verdict::Allowed
}
