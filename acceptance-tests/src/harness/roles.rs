//! IAM roles that associations name: created in moto before a test plans, because the provider
//! reads a role's trust policy at plan (will the pods get credentials?) and EKS refuses an
//! association whose role does not exist.

use serde_json::json;

use super::hcl::role_arn;
use super::Stack;

/// The trust policy of a role any pod of any cluster may use through EKS Pod Identity.
pub fn pod_identity_trust() -> String {
    trust_for_pods(&[])
}

/// A trust policy for EKS Pod Identity whose one statement also requires `conditions` (pairs
/// of `StringLike` key and values), written by hand as a user of hashicorp/aws would.
pub fn trust_for_pods(conditions: &[(&str, &[&str])]) -> String {
    let mut statement = json!({
        "Effect": "Allow",
        "Principal": {"Service": "pods.eks.amazonaws.com"},
        "Action": ["sts:AssumeRole", "sts:TagSession"],
    });
    if !conditions.is_empty() {
        let like: serde_json::Map<String, serde_json::Value> = conditions
            .iter()
            .map(|(key, values)| ((*key).to_string(), json!(values)))
            .collect();
        statement["Condition"] = json!({ "StringLike": like });
    }
    json!({"Version": "2012-10-17", "Statement": [statement]}).to_string()
}

impl Stack {
    /// Create role `name` trusted by `pods.eks.amazonaws.com` without restrictions; its ARN.
    pub fn create_pod_role(&self, name: &str) -> String {
        self.create_role_with_trust(name, &pod_identity_trust())
    }

    /// Create each of `names` with [`Stack::create_pod_role`].
    pub fn create_pod_roles(&self, names: &[&str]) {
        for name in names {
            self.create_pod_role(name);
        }
    }

    /// Create role `name` with the trust policy `trust`, straight in moto; its ARN.
    pub fn create_role_with_trust(&self, name: &str, trust: &str) -> String {
        let iam = self.iam();
        iam.run(
            iam.client
                .create_role()
                .role_name(name)
                .assume_role_policy_document(trust)
                .send(),
        );
        role_arn(name)
    }

    /// Replace role `name`'s trust policy, as someone editing it by hand would.
    pub fn set_trust(&self, name: &str, trust: &str) {
        let iam = self.iam();
        iam.run(
            iam.client
                .update_assume_role_policy()
                .role_name(name)
                .policy_document(trust)
                .send(),
        );
    }
}

/// The trust policy `aws_eks_pod_identity_role` would write for these restrictions (an
/// equivalent document, written independently here): one statement per service account, each
/// also restricted to `clusters`; empty slices restrict nothing.
pub fn restricted_trust(clusters: &[&str], service_accounts: &[&str]) -> String {
    let mut conditions: Vec<Vec<(&str, Vec<&str>)>> = Vec::new();
    let cluster_condition =
        (!clusters.is_empty()).then(|| ("aws:RequestTag/eks-cluster-name", clusters.to_vec()));
    if service_accounts.is_empty() {
        conditions.push(cluster_condition.iter().cloned().collect());
    }
    for entry in service_accounts {
        let (namespace, name) = entry
            .split_once('/')
            .unwrap_or_else(|| panic!("{entry} is not namespace/name"));
        let mut statement: Vec<(&str, Vec<&str>)> = cluster_condition.iter().cloned().collect();
        statement.push(("aws:RequestTag/kubernetes-namespace", vec![namespace]));
        statement.push(("aws:RequestTag/kubernetes-service-account", vec![name]));
        conditions.push(statement);
    }
    let statements: Vec<serde_json::Value> = conditions
        .into_iter()
        .map(|like| {
            let mut statement = json!({
                "Effect": "Allow",
                "Principal": {"Service": "pods.eks.amazonaws.com"},
                "Action": ["sts:TagSession", "sts:AssumeRole"],
            });
            if !like.is_empty() {
                let like: serde_json::Map<String, serde_json::Value> = like
                    .into_iter()
                    .map(|(key, values)| (key.to_string(), json!(values)))
                    .collect();
                statement["Condition"] = json!({ "StringLike": like });
            }
            statement
        })
        .collect();
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}
