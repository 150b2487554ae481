//! Finders for IAM roles: `NoSuchEntity` becomes `None` here, once; callers decide what it
//! means for them.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_iam::types::Role;

use crate::aws::errors::{from_sdk, none_if_not_found};
use crate::aws::retry::{until_found, Backoff};
use crate::aws::AwsContext;
use crate::error::AwsError;
use crate::policy_json;

/// What a refresh reads of a role: the role (with its tags, boundary and trust policy), its
/// attached managed policies and its inline policies (documents decoded).
#[derive(Debug, Clone)]
pub struct RemoteRole {
    pub role: Role,
    pub attached: BTreeSet<String>,
    pub inline: BTreeMap<String, String>,
}

/// One GetRole.
pub async fn find_role_by_name(ctx: &AwsContext, name: &str) -> Result<Option<Role>, AwsError> {
    let got = ctx
        .iam
        .get_role()
        .role_name(name)
        .send()
        .await
        .map_err(|e| from_sdk("GetRole", e));
    Ok(none_if_not_found(got)?.and_then(|out| out.role))
}

/// The ARNs of the managed policies attached to role `name`: ListAttachedRolePolicies, every
/// page.
pub async fn attached_policy_arns(
    ctx: &AwsContext,
    name: &str,
) -> Result<BTreeSet<String>, AwsError> {
    Ok(ctx
        .iam
        .list_attached_role_policies()
        .role_name(name)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| from_sdk("ListAttachedRolePolicies", e))?
        .iter()
        .filter_map(|p| p.policy_arn().map(str::to_string))
        .collect())
}

/// GetRole + ListAttachedRolePolicies + ListRolePolicies + GetRolePolicy per inline policy.
pub async fn find_role(ctx: &AwsContext, name: &str) -> Result<Option<RemoteRole>, AwsError> {
    let Some(role) = find_role_by_name(ctx, name).await? else {
        return Ok(None);
    };
    let attached = attached_policy_arns(ctx, name).await?;
    let names: Vec<String> = ctx
        .iam
        .list_role_policies()
        .role_name(name)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| from_sdk("ListRolePolicies", e))?;
    let mut inline = BTreeMap::new();
    for policy in names {
        let out = ctx
            .iam
            .get_role_policy()
            .role_name(name)
            .policy_name(&policy)
            .send()
            .await
            .map_err(|e| from_sdk("GetRolePolicy", e))?;
        inline.insert(policy, policy_json::decode(&out.policy_document));
    }
    Ok(Some(RemoteRole {
        role,
        attached,
        inline,
    }))
}

/// [`find_role`]; but a role created less than a minute ago (`created`, RFC 3339) that IAM
/// does not show yet is waited for a few seconds.
pub async fn find_role_tolerating_propagation(
    ctx: &AwsContext,
    name: &str,
    created: Option<&str>,
) -> Result<Option<RemoteRole>, AwsError> {
    let recently_created = created
        .and_then(|d| {
            time::OffsetDateTime::parse(d, &time::format_description::well_known::Rfc3339).ok()
        })
        .is_some_and(|created| {
            time::OffsetDateTime::now_utc() - created < time::Duration::seconds(60)
        });
    if !recently_created {
        return find_role(ctx, name).await;
    }
    // IAM usually shows a new role everywhere within seconds; a role deleted by hand right
    // after its creation costs this wait on the next refresh or two.
    let backoff = Backoff {
        first: Duration::from_millis(500),
        max: Duration::from_secs(4),
        deadline: Duration::from_secs(8),
        reason: "IAM may not show a role it has just created yet",
    };
    until_found(backoff, "GetRole", || find_role(ctx, name)).await
}
