//! Data source `aws_eks_pod_identity_role`: find the shared role by name from a cluster state,
//! without remote state, and fail at plan when it cannot serve EKS Pod Identity.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_provider::value::Value;

use crate::aws::AwsContext;
use crate::error::Error;
use crate::iam::find::find_role_by_name;
use crate::iam::trust_policy;
use crate::policy_json;
use crate::resource::Lookup;
use crate::schema::{computed, required, string, Attr};
use crate::validate;
use crate::value::ValueStr;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleLookup {
    pub id: Value<String>,
    pub name: Value<String>,
    pub arn: Value<String>,
    pub path: Value<String>,
    pub unique_id: Value<String>,
    pub trust_policy: Value<String>,
}

/// `aws_eks_pod_identity_role` (data source).
#[derive(Debug, Clone, Copy)]
pub struct RoleByName;

#[async_trait]
impl Lookup for RoleByName {
    type State = RoleLookup;

    const NAME: &'static str = "eks_pod_identity_role";
    const DESCRIPTION: &'static str =
        "Looks up an IAM role by name and checks that EKS Pod Identity can use it.";

    fn attributes() -> Vec<Attr> {
        vec![
            computed("id", string(), "The role name."),
            required("name", string(), "Name of the role.").check(validate::iam_role_name),
            computed("arn", string(), "ARN of the role."),
            computed("path", string(), "IAM path of the role."),
            computed(
                "unique_id",
                string(),
                "The stable unique ID IAM gives the role.",
            ),
            computed("trust_policy", string(), "The role's trust policy (JSON)."),
        ]
    }

    async fn read(ctx: &AwsContext, config: RoleLookup) -> Result<RoleLookup, Error> {
        lookup(ctx, config).await
    }
}

/// One GetRole, then the trust check.
async fn lookup(ctx: &AwsContext, config: RoleLookup) -> Result<RoleLookup, Error> {
    let name = config.name.as_str().to_string();
    let role = find_role_by_name(ctx, &name)
        .await
        .map_err(|e| Error::aws(format!("Reading IAM role {name}"), e))?
        .ok_or_else(|| {
            Error::refused(
                format!("IAM role {name} not found"),
                format!("There is no IAM role named {name} in this account. Check the name, and that the state which owns the role (the common state) has been applied."),
            )
        })?;
    let trust = policy_json::decode(role.assume_role_policy_document().unwrap_or_default());
    trust_policy::check_trusts_pod_identity(&trust).map_err(|reason| {
        Error::refused(
            format!("IAM role {name} cannot be used by EKS Pod Identity"),
            format!(
                "{reason}. EKS Pod Identity needs a trust policy statement that allows the service principal {} the actions sts:AssumeRole and sts:TagSession; aws_eks_pod_identity_role writes one.",
                trust_policy::SERVICE_PRINCIPAL
            ),
        )
    })?;
    Ok(RoleLookup {
        id: Value::Value(name.clone()),
        arn: Value::Value(role.arn().to_string()),
        path: Value::Value(role.path().to_string()),
        unique_id: Value::Value(role.role_id().to_string()),
        trust_policy: Value::Value(trust),
        ..config
    })
}
