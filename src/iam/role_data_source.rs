//! Data source `aws_eks_pod_identity_role`: find the shared role by name from a cluster state,
//! without remote state, and fail at plan when it cannot serve EKS Pod Identity.
//!
//! A read is one GetRole (the role with its tags, boundary and trust policy) and
//! ListAttachedRolePolicies (one call per page of attached policies).

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_smithy_types::date_time::Format;
use serde::{Deserialize, Serialize};
use tf_provider::value::Value;

use crate::aws::AwsContext;
use crate::error::Error;
use crate::iam::find::{attached_policy_arns, find_role_by_name};
use crate::iam::role::DEFAULT_MAX_SESSION_DURATION;
use crate::iam::trust_policy;
use crate::policy_json;
use crate::resource::Lookup;
use crate::schema::{computed, number, required, string, string_map, string_set, Attr};
use crate::validate;
use crate::value::{map_value, set_value, text, StringMap, StringSet, ValueStr};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleLookup {
    pub id: Value<String>,
    pub name: Value<String>,
    pub arn: Value<String>,
    pub path: Value<String>,
    pub description: Value<String>,
    pub max_session_duration: Value<i64>,
    pub permissions_boundary: Value<String>,
    pub policy_arns: Value<StringSet>,
    pub tags: Value<StringMap>,
    pub unique_id: Value<String>,
    pub create_date: Value<String>,
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
                "description",
                string(),
                "Description of the role; null when it has none.",
            ),
            computed(
                "max_session_duration",
                number(),
                "Maximum session duration of the role in seconds.",
            ),
            computed(
                "permissions_boundary",
                string(),
                "ARN of the policy that is the role's permissions boundary; null when it has none.",
            ),
            computed(
                "policy_arns",
                string_set(),
                "ARNs of the managed policies attached to the role; empty when none are.",
            ),
            computed(
                "tags",
                string_map(),
                "Every tag of the role, including those from the owning state's `default_tags`.",
            ),
            computed(
                "unique_id",
                string(),
                "The stable unique ID IAM gives the role.",
            ),
            computed(
                "create_date",
                string(),
                "When the role was created (RFC 3339).",
            ),
            computed("trust_policy", string(), "The role's trust policy (JSON)."),
        ]
    }

    async fn read(ctx: &AwsContext, config: RoleLookup) -> Result<RoleLookup, Error> {
        lookup(ctx, config).await
    }
}

/// GetRole, the trust check, then ListAttachedRolePolicies (every page).
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
    let attached = attached_policy_arns(ctx, &name).await.map_err(|e| {
        Error::aws(
            format!("Reading the policies attached to IAM role {name}"),
            e,
        )
    })?;
    let tags: BTreeMap<String, String> = role
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect();
    Ok(RoleLookup {
        id: Value::Value(name.clone()),
        arn: Value::Value(role.arn().to_string()),
        path: Value::Value(role.path().to_string()),
        description: text(role.description()),
        max_session_duration: Value::Value(
            role.max_session_duration()
                .map_or(DEFAULT_MAX_SESSION_DURATION, i64::from),
        ),
        permissions_boundary: text(
            role.permissions_boundary()
                .and_then(|b| b.permissions_boundary_arn()),
        ),
        policy_arns: set_value(&attached),
        tags: map_value(&tags),
        unique_id: Value::Value(role.role_id().to_string()),
        create_date: Value::Value(role.create_date().fmt(Format::DateTime).unwrap_or_default()),
        trust_policy: Value::Value(trust),
        ..config
    })
}
