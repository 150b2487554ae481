//! `aws_eks_pod_identity_role`: the IAM role trusted by `pods.eks.amazonaws.com` that a common
//! state owns and every cluster state associates with, without a dependency back on them.
//!
//! Reads top to bottom: state → the resource (attributes with their checks and plan rules, the
//! plan, the CRUD entry points) → create and converge (the one path that makes IAM match the
//! plan) → delete and the in-use guard → import → state mapping. Its finders are in
//! [`crate::iam::find`], its policies in [`crate::iam::role_policies`], how it plans, checks and
//! reads its trust policy in `role/trust.rs`, the scan for associations that use it in
//! [`crate::eks::usage`], and its unit tests in `role/tests.rs`.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_iam::types::{Role, Tag};
use aws_smithy_types::date_time::Format;
use serde::{Deserialize, Serialize};
use tf_provider::value::Value;
use tf_provider::AttributePath;

use crate::aws::errors::{from_sdk, ok_if_gone};
use crate::aws::retry::{retry, Backoff};
use crate::aws::AwsContext;
use crate::eks::usage::{self, associations_using, RoleUse};
use crate::error::{AwsError, Error};
use crate::iam::find::{find_role, find_role_tolerating_propagation, RemoteRole};
use crate::iam::{role_name, role_policies, trust_policy};
use crate::policy_json;
use crate::resource::{Applied, ManagedResource, Warning};
use crate::schema::{
    boolean, computed, number, optional, optional_computed, string, string_map, string_set, Attr,
};
use crate::tags;
use crate::validate::{self, attr, Problems};
use crate::value::{known_map, map_or_null, set_or_null, text, StringMap, StringSet, ValueStr};

/// The resource's state, attribute for attribute.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleState {
    pub id: Value<String>,
    pub arn: Value<String>,
    pub name: Value<String>,
    pub name_prefix: Value<String>,
    pub path: Value<String>,
    pub description: Value<String>,
    pub max_session_duration: Value<i64>,
    pub permissions_boundary: Value<String>,
    pub policy_arns: Value<StringSet>,
    pub inline_policies: Value<StringMap>,
    pub tags: Value<StringMap>,
    pub tags_all: Value<StringMap>,
    pub allowed_clusters: Value<StringSet>,
    pub allowed_service_accounts: Value<StringSet>,
    pub additional_trust_statements: Value<String>,
    pub prevent_destroy_when_in_use: Value<bool>,
    pub unique_id: Value<String>,
    pub create_date: Value<String>,
    pub trust_policy: Value<String>,
}

pub const DEFAULT_PATH: &str = "/";
pub const DEFAULT_MAX_SESSION_DURATION: i64 = 3600;

/// The resource type `aws_eks_pod_identity_role`.
#[derive(Debug, Clone, Copy)]
pub struct PodIdentityRole;

#[async_trait]
impl ManagedResource for PodIdentityRole {
    type State = RoleState;

    const NAME: &'static str = "eks_pod_identity_role";
    const DESCRIPTION: &'static str = "An IAM role trusted by `pods.eks.amazonaws.com`, shared by the clusters of several states through EKS Pod Identity associations.";

    fn attributes() -> Vec<Attr> {
        vec![
            // The name, set in `plan`.
            computed("id", string(), "The role name."),
            computed("arn", string(), "ARN of the role.").use_state_for_unknown(),
            optional_computed("name", string(), "Name of the role (1–64 of letters, digits and `_+=,.@-`). Generated when neither `name` nor `name_prefix` is set. Changing it replaces the role.")
                .use_state_for_unknown()
                .replace()
                .check(validate::iam_role_name),
            optional_computed("name_prefix", string(), "Prefix (1–38 characters) of a generated unique name. Conflicts with `name`. Changing it replaces the role. Set from the name when a role with a generated name is imported.")
                .replace()
                .check(validate::iam_role_name_prefix)
                .conflicts_with("name", "Set name for a fixed role name, or name_prefix for a generated unique name with that prefix, not both."),
            optional_computed("path", string(), "IAM path of the role. Default `/`. Changing it replaces the role.")
                .default(DEFAULT_PATH)
                .replace()
                .check(validate::iam_path),
            optional("description", string(), "Description of the role (at most 1000 characters).")
                .check(validate::iam_role_description),
            optional_computed("max_session_duration", number(), "Maximum session duration in seconds, 3600–43200. Default 3600.")
                .default(DEFAULT_MAX_SESSION_DURATION)
                .check_number(validate::iam_max_session_duration),
            optional("permissions_boundary", string(), "ARN of the managed policy used as the role's permissions boundary.")
                .check(validate::iam_policy_arn),
            optional("policy_arns", string_set(), "ARNs of the managed policies attached to the role. Managed exclusively: other attachments are removed.")
                .check(validate::iam_policy_arn),
            optional("inline_policies", string_map(), "Inline policies, name to JSON document. Managed exclusively: other inline policies are removed. Equivalent JSON gives no diff.")
                .check_map(validate::iam_policy_name, validate::role_policy_document, "document"),
            optional("tags", string_map(), "Tags of the role. Merged over the provider's `default_tags`.").check_tags(),
            // Derived from tags and the provider's default_tags in `plan`.
            computed("tags_all", string_map(), "All tags of the role, including the provider's `default_tags`."),
            optional("allowed_clusters", string_set(), "Names of the EKS clusters whose pods may use the role (`*` and `?` wildcards allowed). Unset: any cluster.")
                .check(trust_policy::check_cluster_pattern),
            optional("allowed_service_accounts", string_set(), "Service accounts that may use the role, as `namespace/name` (`*` and `?` wildcards allowed). Unset: any service account.")
                .check(trust_policy::check_service_account_pattern),
            optional("additional_trust_statements", string(), "JSON array of IAM trust policy statements kept in the trust policy after the ones this resource writes, such as the OIDC statement of an IRSA role during a migration to EKS Pod Identity. Equivalent JSON gives no diff.")
                .check(validate::trust_statements),
            optional_computed("prevent_destroy_when_in_use", boolean(), "Refuse to delete the role while a pod identity association in the region uses it. Default `true`.")
                .default(true),
            computed("unique_id", string(), "The stable unique ID IAM gives the role.").use_state_for_unknown(),
            computed("create_date", string(), "When the role was created (RFC 3339).").use_state_for_unknown(),
            // Generated from the restrictions and the additional statements in `plan`.
            computed("trust_policy", string(), "The trust policy the role has: the one this resource writes from `allowed_clusters` and `allowed_service_accounts`, followed by `additional_trust_statements`."),
        ]
    }

    /// The inline policies together, and the trust policy the restrictions and additional
    /// statements give, must fit IAM's limits.
    fn validate(config: &RoleState, _defaults: &BTreeMap<String, String>) -> Problems {
        let mut p = Problems::default();
        for (name, value, meaning) in [
            ("allowed_clusters", &config.allowed_clusters, "any cluster"),
            (
                "allowed_service_accounts",
                &config.allowed_service_accounts,
                "any service account",
            ),
        ] {
            if matches!(value, Value::Value(set) if set.is_empty()) {
                p.push(Error::invalid(
                    attr(name),
                    format!("Empty {name}"),
                    format!(
                        "{name} = [] would not restrict anything: the trust policy would let {meaning} use the role. List the entries, or leave {name} out to allow {meaning} on purpose."
                    ),
                ));
            }
        }
        if let Some(policies) = known_map(&config.inline_policies) {
            let total: usize = policies.values().map(|d| validate::policy_size(d)).sum();
            let each_fits = policies
                .values()
                .all(|d| validate::policy_size(d) <= validate::ROLE_INLINE_POLICIES_MAX);
            if each_fits && total > validate::ROLE_INLINE_POLICIES_MAX {
                p.check(
                    attr("inline_policies"),
                    "inline_policies",
                    Err(format!(
                        "the inline policies add up to {total} characters, white space not counted; IAM allows {} for all the inline policies of a role together. Move some permissions to managed policies (policy_arns).",
                        validate::ROLE_INLINE_POLICIES_MAX
                    )),
                );
            }
        }
        trust::validate(config, &mut p);
        p
    }

    fn plan(
        prior: Option<&RoleState>,
        mut planned: RoleState,
        _config: &RoleState,
        defaults: &BTreeMap<String, String>,
    ) -> Result<RoleState, Error> {
        planned.tags_all = tags::plan_tags_all(&planned.tags, defaults);
        trust::plan(prior, &mut planned);
        if let Some(prior) = prior {
            // Equivalent inline documents are no change: keep the prior text. Terraform accepts
            // a planned value of a non-computed attribute only when it is the configured or the
            // prior value, so this is decided for the whole map, not document by document.
            if inline_policies_equivalent(&prior.inline_policies, &planned.inline_policies) {
                planned.inline_policies = prior.inline_policies.clone();
            }
        }
        planned.id = planned.name.clone();
        Ok(planned)
    }

    /// A replacement deletes the role while its associations still name it: say which. An
    /// update that shows inline policies whose text only changes says so, and so does a plan
    /// whose additional trust statements let pods past the restrictions.
    async fn check_plan(
        ctx: &AwsContext,
        prior: Option<&RoleState>,
        planned: &RoleState,
        replacing: bool,
    ) -> Result<Vec<Warning>, Error> {
        let trust_changes = prior.is_none_or(|prior| {
            (
                &prior.allowed_clusters,
                &prior.allowed_service_accounts,
                &prior.additional_trust_statements,
            ) != (
                &planned.allowed_clusters,
                &planned.allowed_service_accounts,
                &planned.additional_trust_statements,
            )
        });
        let widening = trust_changes
            .then(|| trust::widening_warning(planned))
            .flatten();
        let Some(prior) = prior else {
            return Ok(widening.into_iter().collect());
        };
        if !replacing {
            return Ok(role_policies::text_only_changes(
                &prior.inline_policies,
                &planned.inline_policies,
            )
            .into_iter()
            .chain(widening)
            .collect());
        }
        in_use_warning(ctx, prior, "This plan replaces the role: the role is deleted and created again, and these associations keep naming the old role. The delete is refused while they use it (prevent_destroy_when_in_use); if it goes ahead, their pods get no credentials until each association is updated with the new role's ARN.").await
    }

    async fn read(ctx: &AwsContext, state: &RoleState) -> Result<Option<RoleState>, Error> {
        let name = state.name.as_str();
        let created = state.create_date.as_ref_option().map(String::as_str);
        find_role_tolerating_propagation(ctx, name, created)
            .await
            .map(|found| found.map(|remote| state_from_remote(&remote, state, &ctx.default_tags)))
            .map_err(|e| Error::aws(format!("Reading IAM role {name}"), e))
    }

    fn target(state: &RoleState) -> String {
        crate::value::known_str(&state.name)
            .unwrap_or("(name not yet known)")
            .to_string()
    }

    fn gone(state: &RoleState) -> (String, String) {
        (
            "IAM role not found".into(),
            format!(
                "Role {} no longer exists (it was deleted outside Terraform). Applying this run removes it from the state (a plan alone changes nothing); while it is still in the configuration, the plan creates it again.",
                state.name.as_str()
            ),
        )
    }

    async fn create(ctx: &AwsContext, planned: &RoleState) -> Applied<Option<RoleState>> {
        create::create_role(ctx, planned).await
    }

    async fn update(
        ctx: &AwsContext,
        prior: &RoleState,
        planned: &RoleState,
    ) -> Applied<RoleState> {
        let mut state = prior.clone();
        let result = converge(ctx, &mut state, planned).await;
        Applied::new(state, result)
    }

    /// Only a warning: associations of this same configuration that reference the role are
    /// deleted before it during the apply. [`Self::delete`] refuses if any is left.
    async fn plan_destroy(ctx: &AwsContext, prior: &RoleState) -> Result<Vec<Warning>, Error> {
        in_use_warning(ctx, prior, "The role will only be deleted if these associations are gone by then: deleted earlier in this apply (associations of this configuration that reference the role are), or by destroying the states that own them.").await
    }

    async fn delete(ctx: &AwsContext, state: &RoleState) -> Result<(), Error> {
        // Checked again at apply: an association may have appeared since the plan.
        ensure_not_in_use(ctx, state).await?;
        let name = state.name.as_str();
        delete_role(ctx, name)
            .await
            .map_err(|e| Error::aws(format!("Deleting IAM role {name}"), e))
    }

    async fn import(ctx: &AwsContext, id: &str) -> Result<RoleState, Error> {
        import_role(ctx, id).await
    }
}

/// Both maps are set and known, have the same policy names, and equivalent documents under each
/// name. (Null and an empty map are not equivalent here: Terraform must see the configured one.)
fn inline_policies_equivalent(a: &Value<StringMap>, b: &Value<StringMap>) -> bool {
    if !(matches!(a, Value::Value(_)) && matches!(b, Value::Value(_))) {
        return false;
    }
    match (known_map(a), known_map(b)) {
        (Some(a), Some(b)) => {
            a.len() == b.len()
                && a.iter().all(|(name, doc)| {
                    b.get(name)
                        .is_some_and(|other| policy_json::equivalent(doc, other))
                })
        }
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------------
// Create and converge

/// IAM answers these while a principal or a concurrent change is settling.
fn is_transient_iam_error(err: &AwsError) -> bool {
    err.is_code("ConcurrentModification")
        || err.is_code("ConcurrentModificationException")
        || (err.is_code("MalformedPolicyDocument") && err.message().contains("Invalid principal"))
}

fn sdk_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

/// Make the role `current` describes match `target`, one IAM change at a time, recording each in
/// `current` as it succeeds, so that on error `current` is what exists.
async fn converge(
    ctx: &AwsContext,
    current: &mut RoleState,
    target: &RoleState,
) -> Result<(), Error> {
    let name = current.name.as_str().to_string();
    let fail = |what: &str, err: AwsError| role_policies::step_failed(what, &name, err);
    let iam = &ctx.iam;

    if current.trust_policy != target.trust_policy {
        let document = target.trust_policy.as_str().to_string();
        retry(Backoff::IAM_PROPAGATION, is_transient_iam_error, |_| {
            let request = iam
                .update_assume_role_policy()
                .role_name(&name)
                .policy_document(&document);
            async move {
                request
                    .send()
                    .await
                    .map_err(|e| from_sdk("UpdateAssumeRolePolicy", e))
            }
        })
        .await
        .map_err(|e| fail("Updating the trust policy", e))?;
        current.trust_policy = target.trust_policy.clone();
    }
    current.additional_trust_statements = target.additional_trust_statements.clone();

    if current.description != target.description
        || current.max_session_duration != target.max_session_duration
    {
        // Both are sent: UpdateRole implementations differ on what an absent member means.
        iam.update_role()
            .role_name(&name)
            .description(target.description.as_str())
            .max_session_duration(
                target
                    .max_session_duration
                    .as_ref_option()
                    .copied()
                    .unwrap_or(DEFAULT_MAX_SESSION_DURATION) as i32,
            )
            .send()
            .await
            .map_err(|e| {
                fail(
                    "Updating the description and session duration",
                    from_sdk("UpdateRole", e),
                )
            })?;
        current.description = target.description.clone();
        current.max_session_duration = target.max_session_duration;
    }

    if current.permissions_boundary != target.permissions_boundary {
        match &target.permissions_boundary {
            Value::Value(arn) => {
                iam.put_role_permissions_boundary()
                    .role_name(&name)
                    .permissions_boundary(arn)
                    .send()
                    .await
                    .map_err(|e| {
                        fail(
                            "Setting the permissions boundary",
                            from_sdk("PutRolePermissionsBoundary", e),
                        )
                    })?;
            }
            _ => ok_if_gone(
                iam.delete_role_permissions_boundary()
                    .role_name(&name)
                    .send()
                    .await
                    .map_err(|e| from_sdk("DeleteRolePermissionsBoundary", e)),
            )
            .map_err(|e| fail("Removing the permissions boundary", e))?,
        }
        current.permissions_boundary = target.permissions_boundary.clone();
    }

    role_policies::converge_attachments(iam, &name, &mut current.policy_arns, &target.policy_arns)
        .await?;
    role_policies::converge_inline_policies(
        iam,
        &name,
        &mut current.inline_policies,
        &target.inline_policies,
    )
    .await?;

    let old_tags = known_map(&current.tags_all).unwrap_or_default();
    let new_tags = known_map(&target.tags_all).unwrap_or_default();
    let changes = tags::diff(&old_tags, &new_tags);
    if !changes.remove.is_empty() {
        iam.untag_role()
            .role_name(&name)
            .set_tag_keys(Some(changes.remove.clone()))
            .send()
            .await
            .map_err(|e| fail("Removing tags", from_sdk("UntagRole", e)))?;
    }
    if !changes.set.is_empty() {
        iam.tag_role()
            .role_name(&name)
            .set_tags(Some(sdk_tags(&changes.set)))
            .send()
            .await
            .map_err(|e| fail("Tagging", from_sdk("TagRole", e)))?;
    }
    current.tags = target.tags.clone();
    current.tags_all = target.tags_all.clone();

    // What only the configuration holds.
    current.allowed_clusters = target.allowed_clusters.clone();
    current.allowed_service_accounts = target.allowed_service_accounts.clone();
    current.prevent_destroy_when_in_use = target.prevent_destroy_when_in_use;
    current.name_prefix = target.name_prefix.clone();
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Delete and the in-use guard

/// The associations that keep the role from being deleted: none when
/// `prevent_destroy_when_in_use` is false.
async fn users_of(ctx: &AwsContext, state: &RoleState) -> Result<Vec<RoleUse>, Error> {
    if state.prevent_destroy_when_in_use == Value::Value(false) {
        return Ok(vec![]);
    }
    let Value::Value(arn) = &state.arn else {
        return Ok(vec![]);
    };
    associations_using(ctx, arn).await.map_err(|e| {
        Error::aws(
            format!(
                "Checking whether IAM role {} is in use",
                state.name.as_str()
            ),
            e,
        )
    })
}

/// The warning of a plan that deletes the role while associations use it, with what that means
/// for them; none when nothing uses it.
async fn in_use_warning(
    ctx: &AwsContext,
    prior: &RoleState,
    consequence: &str,
) -> Result<Vec<Warning>, Error> {
    let users = users_of(ctx, prior).await?;
    if users.is_empty() {
        return Ok(vec![]);
    }
    Ok(vec![Warning {
        summary: in_use_summary(prior, &users),
        detail: format!("{}\n\n{consequence}", usage::describe(&ctx.region, &users)),
    }])
}

fn in_use_summary(state: &RoleState, users: &[RoleUse]) -> String {
    format!(
        "IAM role {} is in use by {} pod identity association(s)",
        state.name.as_str(),
        users.len()
    )
}

/// Refuse when `prevent_destroy_when_in_use` holds and an association in the region uses the
/// role (as its role or its target role).
async fn ensure_not_in_use(ctx: &AwsContext, state: &RoleState) -> Result<(), Error> {
    let users = users_of(ctx, state).await?;
    if users.is_empty() {
        return Ok(());
    }
    Err(Error::refused(
        in_use_summary(state, &users),
        format!(
            "{}\n\nDeleting the role would take credentials away from their pods. Delete or move those associations first (destroy the cluster state that owns them), then retry; or set prevent_destroy_when_in_use = false to delete the role regardless.",
            usage::describe(&ctx.region, &users)
        ),
    ))
}

/// Detach managed policies, delete inline policies, remove the role from its instance
/// profiles, then DeleteRole (retried while IAM still reports a conflict). A role already gone
/// is deleted.
async fn delete_role(ctx: &AwsContext, name: &str) -> Result<(), AwsError> {
    let iam = &ctx.iam;
    let Some(remote) = find_role(ctx, name).await? else {
        return Ok(());
    };
    role_policies::remove_all(iam, &remote).await?;
    for profile in instance_profiles(ctx, name).await? {
        ok_if_gone(
            iam.remove_role_from_instance_profile()
                .role_name(name)
                .instance_profile_name(&profile)
                .send()
                .await
                .map_err(|e| from_sdk("RemoveRoleFromInstanceProfile", e)),
        )?;
    }
    let deleted = retry(
        Backoff::CONFLICT,
        |e| e.is_code("DeleteConflict") || is_transient_iam_error(e),
        |_| {
            let request = iam.delete_role().role_name(name);
            async move { request.send().await.map_err(|e| from_sdk("DeleteRole", e)) }
        },
    )
    .await;
    ok_if_gone(deleted)
}

async fn instance_profiles(ctx: &AwsContext, name: &str) -> Result<Vec<String>, AwsError> {
    let profiles = ctx
        .iam
        .list_instance_profiles_for_role()
        .role_name(name)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| from_sdk("ListInstanceProfilesForRole", e))?;
    Ok(profiles
        .iter()
        .map(|p| p.instance_profile_name().to_string())
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Import

async fn import_role(ctx: &AwsContext, id: &str) -> Result<RoleState, Error> {
    validate::iam_role_name(id).map_err(|reason| {
        Error::invalid(
            AttributePath::root(),
            "Invalid import ID",
            format!("The import ID is the role name. {reason}"),
        )
    })?;
    let remote = find_role(ctx, id)
        .await
        .map_err(|e| Error::aws(format!("Reading IAM role {id}"), e))?
        .ok_or_else(|| {
            Error::refused(
                "Cannot import non-existent IAM role",
                format!("There is no IAM role named {id} in this account."),
            )
        })?;
    let prior = RoleState {
        prevent_destroy_when_in_use: Value::Value(true),
        name_prefix: role_name::prefix_of_generated(id)
            .map(Value::Value)
            .unwrap_or_default(),
        ..Default::default()
    };
    Ok(state_from_remote(&remote, &prior, &ctx.default_tags))
}

// ---------------------------------------------------------------------------------------------
// State mapping

fn format_date(role: &Role) -> String {
    role.create_date().fmt(Format::DateTime).unwrap_or_default()
}

/// The state for what IAM holds, keeping from `prior` what only the configuration knows: the
/// text of equivalent documents, which tags are managed in `tags`, and the restrictions the trust
/// policy was generated from (see [`trust::read`], which also reads them back on import, with
/// the additional statements).
pub fn state_from_remote(
    remote: &RemoteRole,
    prior: &RoleState,
    defaults: &BTreeMap<String, String>,
) -> RoleState {
    let role = &remote.role;
    let trust = trust::read(
        &policy_json::decode(role.assume_role_policy_document().unwrap_or_default()),
        prior,
    );
    let old_inline = known_map(&prior.inline_policies).unwrap_or_default();
    let inline: BTreeMap<String, String> = remote
        .inline
        .iter()
        .map(|(name, doc)| match old_inline.get(name) {
            Some(old) if policy_json::equivalent(old, doc) => (name.clone(), old.clone()),
            _ => (name.clone(), doc.clone()),
        })
        .collect();
    let api_tags: BTreeMap<String, String> = role
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect();
    let (tags, tags_all) = tags::split_for_state(&api_tags, &prior.tags, &prior.tags_all, defaults);
    RoleState {
        id: Value::Value(role.role_name().to_string()),
        arn: Value::Value(role.arn().to_string()),
        name: Value::Value(role.role_name().to_string()),
        name_prefix: prior.name_prefix.clone(),
        path: Value::Value(role.path().to_string()),
        // IAM does not tell an empty description from none: keep a configured "".
        description: match (text(role.description()), &prior.description) {
            (Value::Null, Value::Value(old)) if old.is_empty() => prior.description.clone(),
            (found, _) => found,
        },
        max_session_duration: Value::Value(
            role.max_session_duration()
                .map(i64::from)
                .unwrap_or(DEFAULT_MAX_SESSION_DURATION),
        ),
        permissions_boundary: text(
            role.permissions_boundary()
                .and_then(|b| b.permissions_boundary_arn()),
        ),
        policy_arns: set_or_null(&remote.attached, &prior.policy_arns),
        inline_policies: map_or_null(&inline, &prior.inline_policies),
        tags,
        tags_all,
        allowed_clusters: trust.allowed_clusters,
        allowed_service_accounts: trust.allowed_service_accounts,
        additional_trust_statements: trust.additional_trust_statements,
        prevent_destroy_when_in_use: match prior.prevent_destroy_when_in_use {
            Value::Value(b) => Value::Value(b),
            _ => Value::Value(true),
        },
        unique_id: Value::Value(role.role_id().to_string()),
        create_date: Value::Value(format_date(role)),
        trust_policy: trust.trust_policy,
    }
}

mod create;
#[cfg(test)]
mod tests;
mod trust;
