//! Data source `aws_eks_pod_identity_role`: find the shared role by name from a cluster state,
//! without remote state, and fail at plan when it cannot serve EKS Pod Identity.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_provider::schema::Schema;
use tf_provider::value::Value;

use crate::aws::errors::from_sdk;
use crate::aws::AwsContext;
use crate::error::Error;
use crate::iam::trust_policy;
use crate::policy_json;
use crate::resource::{Lookup, LookupDataSource};
use crate::schema::{block, computed, required, string, ValueStr};
use crate::validate::{self, Problems};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RoleLookup {
    #[serde(default)]
    pub id: Value<String>,
    #[serde(default)]
    pub name: Value<String>,
    #[serde(default)]
    pub arn: Value<String>,
    #[serde(default)]
    pub path: Value<String>,
    #[serde(default)]
    pub unique_id: Value<String>,
    #[serde(default)]
    pub trust_policy: Value<String>,
}

/// `aws_eks_pod_identity_role` (data source).
#[derive(Debug, Clone, Copy)]
pub struct RoleByName;

pub type RoleDataSource = LookupDataSource<RoleByName>;

#[async_trait]
impl Lookup for RoleByName {
    type State = RoleLookup;

    fn schema() -> Schema {
        Schema {
            version: 0,
            block: block(
                "Looks up an IAM role by name and checks that EKS Pod Identity can use it.",
                vec![
                    ("id", computed(string(), "The role name.")),
                    ("name", required(string(), "Name of the role.")),
                    ("arn", computed(string(), "ARN of the role.")),
                    ("path", computed(string(), "IAM path of the role.")),
                    (
                        "unique_id",
                        computed(string(), "The stable unique ID IAM gives the role."),
                    ),
                    (
                        "trust_policy",
                        computed(string(), "The role's trust policy (JSON)."),
                    ),
                ],
                vec![],
            ),
        }
    }

    fn validate(config: &RoleLookup) -> Problems {
        let mut p = Problems::default();
        p.check_known("name", &config.name, validate::iam_role_name);
        p
    }

    async fn read(ctx: &AwsContext, config: RoleLookup) -> Result<RoleLookup, Error> {
        lookup(ctx, config).await
    }
}

/// One GetRole, then the trust check.
async fn lookup(ctx: &AwsContext, config: RoleLookup) -> Result<RoleLookup, Error> {
    let name = config.name.as_str().to_string();
    let role = match ctx.iam.get_role().role_name(&name).send().await {
        Ok(out) => out.role,
        Err(e) => {
            let err = from_sdk("GetRole", e);
            if err.is_not_found() {
                None
            } else {
                return Err(Error::aws(format!("Reading IAM role {name}"), err));
            }
        }
    };
    let role = role.ok_or_else(|| {
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
