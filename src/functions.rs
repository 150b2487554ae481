//! Provider functions (Terraform ≥ 1.8), usable without configuring the provider:
//! `provider::podidentity::trust_policy`, `trust_allows` and `trust_explain` (PRODUCT §8).
//! No AWS call: they give `aws_iam_role` users the document `aws_eks_pod_identity_role`
//! writes, and answer "will the pods get credentials?" for any trust policy.

use std::collections::{BTreeSet, HashMap};

use async_trait::async_trait;
use tf_provider::schema::{Description, FunctionSchema, Parameter, Type};
use tf_provider::value::Value;
use tf_provider::{Diagnostics, DynamicFunction, Function};

use crate::diagnostics::report;
use crate::error::Error;
use crate::iam::trust_policy;
use crate::trust::{self, PodIdentityRequest, Policy, Verdict};

/// Every function the provider serves, by name.
pub fn all() -> HashMap<String, Box<dyn DynamicFunction>> {
    let mut functions: HashMap<String, Box<dyn DynamicFunction>> = HashMap::new();
    functions.insert("trust_policy".into(), TrustPolicy.into());
    functions.insert("trust_allows".into(), TrustAllows.into());
    functions.insert("trust_explain".into(), TrustExplain.into());
    functions
}

fn parameter(name: &str, param_type: Type, allow_null: bool, description: &str) -> Parameter {
    Parameter {
        name: name.into(),
        param_type,
        allow_null,
        allow_unknown: false,
        description: Description::markdown(description),
    }
}

/// The value, or `None` with the error reported.
fn answered<T>(diags: &mut Diagnostics, result: Result<T, Error>) -> Option<T> {
    result.map_err(|err| report(diags, &err)).ok()
}

type StringSetArg = Value<BTreeSet<Value<String>>>;

/// One restriction argument of `trust_policy`: null is no restriction, `[]` an error (as in
/// the resource), and each entry must pass the resource's own check.
fn restriction(
    index: usize,
    name: &str,
    value: StringSetArg,
    check: fn(&str) -> Result<(), String>,
) -> Result<BTreeSet<String>, Error> {
    let argument = |message: String| Error::FunctionArgument { index, message };
    let entries = match value {
        Value::Value(entries) => entries,
        _ => return Ok(BTreeSet::new()),
    };
    if entries.is_empty() {
        return Err(argument(format!(
            "{name} = [] would not restrict anything; pass null to allow any, or list the entries"
        )));
    }
    let mut out = BTreeSet::new();
    for entry in entries {
        let Value::Value(entry) = entry else {
            return Err(argument(format!("{name} has a null entry")));
        };
        check(&entry).map_err(|e| argument(format!("{name}: {e}")))?;
        out.insert(entry);
    }
    Ok(out)
}

/// `trust_policy(allowed_clusters, allowed_service_accounts)`.
pub fn trust_policy_document(
    clusters: StringSetArg,
    service_accounts: StringSetArg,
) -> Result<String, Error> {
    let clusters = restriction(
        0,
        "allowed_clusters",
        clusters,
        trust_policy::check_cluster_pattern,
    )?;
    let service_accounts = restriction(
        1,
        "allowed_service_accounts",
        service_accounts,
        trust_policy::check_service_account_pattern,
    )?;
    let document = trust_policy::generate(&clusters, &service_accounts);
    if document.len() > trust_policy::MAX_LENGTH {
        return Err(Error::FunctionArgument {
            index: 1,
            message: format!(
                "the trust policy for these restrictions is {} characters, over IAM's limit of {}: use fewer entries, or wildcards such as \"app/*\"",
                document.len(),
                trust_policy::MAX_LENGTH
            ),
        });
    }
    Ok(document)
}

/// The verdict of `trust_allows` and `trust_explain`: EKS Pod Identity's request for pods of
/// `namespace/service_account` in `cluster` (a name or a cluster ARN), with session tags.
pub fn trust_verdict(
    document: &str,
    cluster: &str,
    namespace: &str,
    service_account: &str,
) -> Result<Verdict, Error> {
    let policy = Policy::parse(document).map_err(|e| Error::FunctionArgument {
        index: 0,
        message: format!("trust_policy is not an IAM policy document: {e}"),
    })?;
    let (cluster_name, cluster_arn) = match cluster_from_arn(cluster) {
        Some(name) => (name, Some(cluster)),
        None => (cluster, None),
    };
    if cluster_name.is_empty() {
        return Err(Error::FunctionArgument {
            index: 1,
            message: "cluster is empty: pass a cluster name or a cluster ARN".into(),
        });
    }
    let requests = trust::pod_identity_requests(&PodIdentityRequest {
        cluster_name,
        cluster_arn,
        namespace,
        service_account,
        session_tags: true,
    });
    Ok(trust::evaluate_all(&policy, &requests))
}

/// The name in `arn:<partition>:eks:<region>:<account>:cluster/<name>`.
fn cluster_from_arn(value: &str) -> Option<&str> {
    let rest = value.strip_prefix("arn:")?;
    let parts: Vec<&str> = rest.splitn(5, ':').collect();
    match parts.as_slice() {
        [_, "eks", _, _, resource] => resource.strip_prefix("cluster/"),
        _ => None,
    }
}

const POLICY_ARGUMENTS: [(&str, &str); 4] = [
    ("trust_policy", "A role's trust policy (JSON, as `aws_iam_role.assume_role_policy` or `aws_eks_pod_identity_role.trust_policy`)."),
    ("cluster", "The cluster's name, or its ARN (conditions on `eks-cluster-arn` can only be judged with the ARN)."),
    ("namespace", "The Kubernetes namespace of the pods' service account."),
    ("service_account", "The name of the pods' Kubernetes service account."),
];

fn verdict_parameters() -> Vec<Parameter> {
    POLICY_ARGUMENTS
        .iter()
        .map(|(name, description)| parameter(name, Type::String, false, description))
        .collect()
}

/// `provider::podidentity::trust_policy`.
pub struct TrustPolicy;

#[async_trait]
impl Function for TrustPolicy {
    type Input<'a> = (StringSetArg, StringSetArg);
    type Output<'a> = String;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<FunctionSchema> {
        Some(FunctionSchema {
            parameters: vec![
                parameter("allowed_clusters", Type::Set(Box::new(Type::String)), true, "Cluster names (`*` and `?` wildcards allowed); `null` for any cluster."),
                parameter("allowed_service_accounts", Type::Set(Box::new(Type::String)), true, "Service accounts as `namespace/name` (wildcards allowed); `null` for any service account."),
            ],
            variadic: None,
            return_type: Type::String,
            summary: "The trust policy aws_eks_pod_identity_role writes".into(),
            description: Description::markdown("The exact trust policy document `aws_eks_pod_identity_role` writes for the same restrictions: principal `pods.eks.amazonaws.com`, actions `sts:AssumeRole` and `sts:TagSession`, `StringLike` conditions on the session tags EKS sends. `[]` is an error, as in the resource."),
            deprecated: None,
        })
    }

    async fn call<'a>(
        &self,
        diags: &mut Diagnostics,
        (clusters, service_accounts): Self::Input<'a>,
    ) -> Option<Self::Output<'a>> {
        answered(diags, trust_policy_document(clusters, service_accounts))
    }
}

/// The schema of `trust_allows` and `trust_explain`: the same arguments, another answer.
fn verdict_schema(return_type: Type, summary: &str, description: &str) -> FunctionSchema {
    FunctionSchema {
        parameters: verdict_parameters(),
        variadic: None,
        return_type,
        summary: summary.into(),
        description: Description::markdown(description),
        deprecated: None,
    }
}

type VerdictArgs = (String, String, String, String);

/// The verdict for the arguments of `trust_allows` / `trust_explain`, or `None` reported.
fn verdict_for(diags: &mut Diagnostics, args: VerdictArgs) -> Option<Verdict> {
    let (document, cluster, namespace, service_account) = args;
    answered(
        diags,
        trust_verdict(&document, &cluster, &namespace, &service_account),
    )
}

/// `provider::podidentity::trust_allows`.
pub struct TrustAllows;

#[async_trait]
impl Function for TrustAllows {
    type Input<'a> = VerdictArgs;
    type Output<'a> = bool;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<FunctionSchema> {
        Some(verdict_schema(
            Type::Bool,
            "Whether pods of a service account will get credentials",
            "`true` only when the trust policy certainly lets EKS Pod Identity assume the role for pods of `namespace/service_account` in `cluster`, with session tags enabled. `false` when it refuses them, and when the provider cannot be certain (see `trust_explain`).",
        ))
    }

    async fn call<'a>(
        &self,
        diags: &mut Diagnostics,
        args: Self::Input<'a>,
    ) -> Option<Self::Output<'a>> {
        verdict_for(diags, args).map(|verdict| matches!(verdict, Verdict::Allowed { .. }))
    }
}

/// `provider::podidentity::trust_explain`.
pub struct TrustExplain;

#[async_trait]
impl Function for TrustExplain {
    type Input<'a> = VerdictArgs;
    type Output<'a> = String;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<FunctionSchema> {
        Some(verdict_schema(
            Type::String,
            "Why pods of a service account will or will not get credentials",
            "A one-line reason: `allowed: …`, `denied: …` naming the statement, condition and value EKS sends, or `undecided: …` naming what cannot be judged before a pod asks.",
        ))
    }

    async fn call<'a>(
        &self,
        diags: &mut Diagnostics,
        args: Self::Input<'a>,
    ) -> Option<Self::Output<'a>> {
        verdict_for(diags, args).map(|verdict| verdict.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(entries: &[&str]) -> StringSetArg {
        Value::Value(
            entries
                .iter()
                .map(|e| Value::Value(e.to_string()))
                .collect(),
        )
    }

    #[test]
    fn trust_policy_is_what_the_role_writes() {
        let clusters: BTreeSet<String> = ["shop-green", "shop-blue"].map(String::from).into();
        let accounts: BTreeSet<String> = ["app/app-sa"].map(String::from).into();
        assert_eq!(
            trust_policy_document(
                set(&["shop-green", "shop-blue", "shop-blue"]),
                set(&["app/app-sa"])
            )
            .ok(),
            Some(trust_policy::generate(&clusters, &accounts))
        );
        assert_eq!(
            trust_policy_document(Value::Null, Value::Null).ok(),
            Some(trust_policy::generate(&BTreeSet::new(), &BTreeSet::new()))
        );
    }

    #[test]
    fn trust_policy_refuses_what_the_role_refuses() {
        for (clusters, accounts, index, words) in [
            (set(&[]), Value::Null, 0, "would not restrict anything"),
            (Value::Null, set(&[]), 1, "would not restrict anything"),
            (
                set(&["shop blue"]),
                Value::Null,
                0,
                "not a cluster name pattern",
            ),
            (Value::Null, set(&["app"]), 1, "allowed_service_accounts"),
        ] {
            match trust_policy_document(clusters, accounts) {
                Err(Error::FunctionArgument { index: i, message }) => {
                    assert_eq!(i, index, "{message}");
                    assert!(message.contains(words), "{message}");
                }
                other => panic!("expected an argument error, got {other:?}"),
            }
        }
    }

    #[test]
    fn a_cluster_arn_also_judges_the_cluster_arn_tag() {
        let document = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"],"Condition":{"ArnLike":{"aws:RequestTag/eks-cluster-arn":"arn:aws:eks:*:123456789012:cluster/shop-*"}}}]}"#;
        let by_name = trust_verdict(document, "shop-green", "app", "app-sa").ok();
        assert!(
            matches!(by_name, Some(Verdict::Undecided(_))),
            "{by_name:?}"
        );
        let arn = "arn:aws:eks:eu-west-1:123456789012:cluster/shop-green";
        let by_arn = trust_verdict(document, arn, "app", "app-sa").ok();
        assert!(
            matches!(by_arn, Some(Verdict::Allowed { .. })),
            "{by_arn:?}"
        );
        let other = "arn:aws:eks:eu-west-1:123456789012:cluster/dev";
        let refused = trust_verdict(document, other, "app", "app-sa").ok();
        assert!(matches!(refused, Some(Verdict::Denied(_))), "{refused:?}");
    }

    #[test]
    fn a_document_that_is_not_a_policy_names_the_argument() {
        match trust_verdict("{", "shop", "app", "app-sa") {
            Err(Error::FunctionArgument { index: 0, message }) => {
                assert!(message.contains("trust_policy"), "{message}")
            }
            other => panic!("{other:?}"),
        }
    }
}
