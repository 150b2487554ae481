//! `aws_eks_pod_identity_association`: binds a Kubernetes service account of an EKS cluster to an
//! IAM role. A drop-in for hashicorp/aws's resource of the same name, with plan-time validation,
//! a real clear of `target_role_arn`, idempotent creates and a helpful duplicate error.
//!
//! Reads top to bottom: state → the resource (attributes with their checks and plan rules, the
//! plan, read, create, update, delete) → create, update and import → state mapping. Its
//! finders are in [`crate::eks::find`] and its unit tests in `association/tests.rs`.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_eks::types::PodIdentityAssociation;
use serde::{Deserialize, Serialize};
use tf_provider::value::Value;
use tf_provider::AttributePath;

use crate::aws::errors::{from_sdk, ok_if_gone};
use crate::aws::retry::{retry, Backoff};
use crate::aws::AwsContext;
use crate::eks::agent;
use crate::eks::find::{find_association_by_id, find_association_by_service_account};
use crate::error::{AwsError, Error};
use crate::policy_json;
use crate::resource::{region, Applied, ManagedResource, Warning};
use crate::schema::{
    boolean, computed, optional, optional_computed, required, string, string_map, Attr,
};
use crate::tags;
use crate::validate::{self, attr, Problems};
use crate::value::{known_map, known_str, text, StringMap, ValueStr};

/// The resource's state, attribute for attribute.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssociationState {
    pub id: Value<String>,
    pub association_arn: Value<String>,
    pub association_id: Value<String>,
    pub cluster_name: Value<String>,
    pub namespace: Value<String>,
    pub service_account: Value<String>,
    pub role_arn: Value<String>,
    pub target_role_arn: Value<String>,
    pub external_id: Value<String>,
    pub disable_session_tags: Value<bool>,
    pub policy: Value<String>,
    pub owner_arn: Value<String>,
    pub tags: Value<StringMap>,
    pub tags_all: Value<StringMap>,
    pub region: Value<String>,
}

/// The resource type `aws_eks_pod_identity_association`.
#[derive(Debug, Clone, Copy)]
pub struct Association;

#[async_trait]
impl ManagedResource for Association {
    type State = AssociationState;

    const NAME: &'static str = "eks_pod_identity_association";
    const DESCRIPTION: &'static str = "Associates a Kubernetes service account of an EKS cluster with an IAM role through EKS Pod Identity.";

    fn attributes() -> Vec<Attr> {
        vec![
            computed("id", string(), "The association ID (same as `association_id`).").use_state_for_unknown(),
            computed("association_arn", string(), "ARN of the association.").use_state_for_unknown(),
            computed("association_id", string(), "ID of the association, `a-` followed by 17 characters.").use_state_for_unknown(),
            required("cluster_name", string(), "Name of the EKS cluster. Changing it replaces the association.")
                .replace()
                .check(validate::cluster_name),
            required("namespace", string(), "Kubernetes namespace of the service account (a DNS-1123 label). Changing it replaces the association.")
                .replace()
                .check(validate::dns1123_label),
            required("service_account", string(), "Name of the Kubernetes service account (a DNS-1123 subdomain). Changing it replaces the association.")
                .replace()
                .check(validate::dns1123_subdomain),
            required("role_arn", string(), "ARN of the IAM role the service account's pods get credentials for. Must be in the cluster's account. Updated in place.")
                .check(validate::iam_role_arn),
            optional("target_role_arn", string(), "ARN of a role in another account to chain to from `role_arn`. Removing it clears the target role. Updated in place.")
                .check(validate::iam_role_arn),
            // Derived from target_role_arn in `plan`.
            computed("external_id", string(), "External ID EKS uses when it assumes `target_role_arn`; put it in the target role's trust policy."),
            optional_computed("disable_session_tags", boolean(), "Disable the session tags EKS adds (`eks-cluster-name`, `kubernetes-namespace`, ...). Default `false`. Updated in place.")
                .default(false),
            optional("policy", string(), "Session policy (JSON) that further restricts the role's permissions. Requires `disable_session_tags = true`. Equivalent JSON gives no diff.")
                .check(validate::session_policy_document),
            computed("owner_arn", string(), "ARN of the EKS add-on that owns the association, if any. Add-on owned associations cannot be managed here.").use_state_for_unknown(),
            optional("tags", string_map(), "Tags of the association. Merged over the provider's `default_tags`.").check_tags(),
            // Derived from tags and the provider's default_tags in `plan`.
            computed("tags_all", string_map(), "All tags of the association, including the provider's `default_tags`."),
            region::attribute("association"),
        ]
    }

    fn region(state: &Self::State) -> Option<&Value<String>> {
        Some(&state.region)
    }

    fn region_mut(state: &mut Self::State) -> Option<&mut Value<String>> {
        Some(&mut state.region)
    }

    fn validate(config: &AssociationState, _defaults: &BTreeMap<String, String>) -> Problems {
        let mut p = Problems::default();
        let session_tags_disabled = matches!(
            config.disable_session_tags,
            Value::Value(true) | Value::Unknown
        );
        if known_str(&config.policy).is_some() && !session_tags_disabled {
            p.push(Error::invalid(
                attr("policy"),
                "policy requires disable_session_tags = true",
                "EKS accepts a session policy only when session tags are disabled: set \
                 disable_session_tags = true in this resource, or remove policy.",
            ));
        }
        p
    }

    /// The role must be in the caller's (the cluster's) account, which EKS would otherwise
    /// reject only at apply.
    fn validate_with_context(config: &AssociationState, ctx: &AwsContext) -> Problems {
        let mut p = Problems::default();
        if let (Some(role), Some(account)) = (
            known_str(&config.role_arn).and_then(validate::IamArn::role),
            ctx.account_id.as_deref(),
        ) {
            let role_account = role.account;
            if role_account != account {
                p.check(
                    attr("role_arn"),
                    "role_arn",
                    Err(format!(
                        "the role is in account {role_account}, but the cluster and the provider's credentials are in account {account}. EKS Pod Identity needs a role of the cluster's account; to reach another account, set role_arn to a role of this account and target_role_arn to the other account's role."
                    )),
                );
            }
        }
        p
    }

    fn plan(
        prior: Option<&AssociationState>,
        mut planned: AssociationState,
        _config: &AssociationState,
        defaults: &BTreeMap<String, String>,
    ) -> Result<AssociationState, Error> {
        planned.tags_all = tags::plan_tags_all(&planned.tags, defaults);
        // The external ID only changes with the target role.
        planned.external_id = match prior {
            Some(prior) if planned.target_role_arn == prior.target_role_arn => {
                prior.external_id.clone()
            }
            _ if planned.target_role_arn.is_null() => Value::Null,
            _ => Value::Unknown,
        };
        if let Some(prior) = prior {
            // An equivalent policy document is no change: keep the text in state.
            planned.policy = policy_json::keep_equivalent(&prior.policy, planned.policy);
            if planned != *prior {
                refuse_owned(prior, "changed")?;
            }
        }
        Ok(planned)
    }

    /// Will the pods get credentials? See `association/trust_check.rs`.
    async fn check_plan(
        ctx: &AwsContext,
        prior: Option<&AssociationState>,
        planned: &AssociationState,
        _replacing: bool,
    ) -> Result<Vec<Warning>, Error> {
        trust_check::check(ctx, prior, planned).await
    }

    async fn read(
        ctx: &AwsContext,
        state: &AssociationState,
    ) -> Result<Option<AssociationState>, Error> {
        let cluster = state.cluster_name.as_str();
        let id = state.association_id.as_str();
        find_association_by_id(ctx, cluster, id)
            .await
            .map(|found| found.map(|a| state_from_api(&a, state, &ctx.default_tags)))
            .map_err(|e| {
                Error::aws(
                    format!("Reading pod identity association {id} of cluster {cluster}"),
                    e,
                )
            })
    }

    fn target(state: &AssociationState) -> String {
        let part = |v: &Value<String>| known_str(v).unwrap_or("?").to_string();
        let mut target = format!(
            "{}/{}/{}",
            part(&state.cluster_name),
            part(&state.namespace),
            part(&state.service_account)
        );
        if let Some(id) = known_str(&state.association_id) {
            target.push_str(&format!(" ({id})"));
        }
        target
    }

    fn gone(state: &AssociationState) -> (String, String) {
        (
            "Pod identity association not found".into(),
            format!(
                "Association {} of cluster {} no longer exists (it, or its cluster, was deleted outside Terraform). Applying this run removes it from the state (a plan alone changes nothing); while it is still in the configuration, the plan creates it again.",
                state.association_id.as_str(),
                state.cluster_name.as_str()
            ),
        )
    }

    async fn create(
        ctx: &AwsContext,
        planned: &AssociationState,
    ) -> Applied<Option<AssociationState>> {
        let created = create::create(ctx, planned).await;
        let mut warnings = match &created.state {
            Some(state) => trust_check::check_external_id(ctx, state).await,
            None => vec![],
        };
        if created.state.is_some() {
            let cluster = planned.cluster_name.as_str();
            warnings.extend(agent::presence::warning(ctx, cluster).await);
        }
        created.with_warnings(warnings)
    }

    async fn update(
        ctx: &AwsContext,
        prior: &AssociationState,
        planned: &AssociationState,
    ) -> Applied<AssociationState> {
        let (state, result) = update_association(ctx, prior, planned).await;
        let warnings = if state.external_id != prior.external_id {
            trust_check::check_external_id(ctx, &state).await
        } else {
            vec![]
        };
        Applied::new(state, result).with_warnings(warnings)
    }

    async fn plan_destroy(
        _ctx: &AwsContext,
        prior: &AssociationState,
    ) -> Result<Vec<Warning>, Error> {
        refuse_owned(prior, "deleted").map(|()| vec![])
    }

    async fn delete(ctx: &AwsContext, state: &AssociationState) -> Result<(), Error> {
        let cluster = state.cluster_name.as_str();
        let id = state.association_id.as_str();
        let deleted = ctx
            .eks
            .delete_pod_identity_association()
            .cluster_name(cluster)
            .association_id(id)
            .send()
            .await
            .map_err(|e| from_sdk("DeletePodIdentityAssociation", e));
        // Already gone (or its cluster is): the goal is reached.
        ok_if_gone(deleted).map_err(|err| {
            Error::aws(
                format!("Deleting pod identity association {id} of cluster {cluster}"),
                err,
            )
        })
    }

    async fn import(ctx: &AwsContext, id: &str) -> Result<AssociationState, Error> {
        import_association(ctx, id).await
    }
}

fn has_api_changes(prior: &AssociationState, planned: &AssociationState) -> bool {
    prior.role_arn != planned.role_arn
        || prior.target_role_arn != planned.target_role_arn
        || prior.disable_session_tags != planned.disable_session_tags
        || prior.policy != planned.policy
}

fn refuse_owned(state: &AssociationState, what: &str) -> Result<(), Error> {
    let Value::Value(owner) = &state.owner_arn else {
        return Ok(());
    };
    if owner.is_empty() {
        return Ok(());
    }
    // An association being imported was never in the state: there is nothing to forget.
    let leave = if what == "imported" {
        "and remove the import block (or the `terraform import` command) that names it: only the add-on may manage it."
    } else {
        "and let this configuration forget it without deleting it: replace the resource block with a `removed` block (lifecycle { destroy = false }), or run `terraform state rm` on it."
    };
    Err(Error::refused(
        format!("Association owned by an EKS add-on cannot be {what}"),
        format!(
            "Association {} of {}/{} in cluster {} is owned by {owner}. Change it through the add-on's pod identity configuration (aws eks update-addon --pod-identity-associations, or the add-on resource), {leave}",
            state.association_id.as_str(),
            state.namespace.as_str(),
            state.service_account.as_str(),
            state.cluster_name.as_str(),
        ),
    ))
}

// ---------------------------------------------------------------------------------------------
// Update and import (creating is in `association/create.rs`)

/// EKS answers this while a role it was given is not yet visible to it (IAM propagation).
fn is_role_propagation(err: &AwsError) -> bool {
    err.is_code("InvalidParameterException")
        && err
            .message()
            .contains("Role provided in the request does not exist")
}

fn new_client_request_token() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Apply an update: the association's fields, then its tags. Returns the state to record (as
/// far as the update got) and the first error.
async fn update_association(
    ctx: &AwsContext,
    prior: &AssociationState,
    planned: &AssociationState,
) -> (AssociationState, Result<(), Error>) {
    let cluster = planned.cluster_name.as_str().to_string();
    let id = prior.association_id.as_str().to_string();
    let mut state = prior.clone();

    if has_api_changes(prior, planned) {
        let token = new_client_request_token();
        let result = retry(Backoff::IAM_PROPAGATION, is_role_propagation, |_| {
            let mut request = ctx
                .eks
                .update_pod_identity_association()
                .cluster_name(&cluster)
                .association_id(&id)
                .client_request_token(&token);
            if prior.role_arn != planned.role_arn {
                request = request.role_arn(planned.role_arn.as_str());
            }
            if prior.target_role_arn != planned.target_role_arn {
                // "" clears the target role; leaving it out would keep the old one.
                request = request.target_role_arn(planned.target_role_arn.as_str());
            }
            if prior.disable_session_tags != planned.disable_session_tags {
                request = request.disable_session_tags(
                    planned
                        .disable_session_tags
                        .as_ref_option()
                        .copied()
                        .unwrap_or(false),
                );
            }
            if prior.policy != planned.policy {
                request = request.policy(planned.policy.as_str());
            }
            async move {
                request
                    .send()
                    .await
                    .map_err(|e| from_sdk("UpdatePodIdentityAssociation", e))
            }
        })
        .await;
        match result {
            Ok(out) => {
                if let Some(updated) = out.association {
                    let mut next = state_from_api(&updated, planned, &ctx.default_tags);
                    // Tags are not changed by UpdatePodIdentityAssociation: keep the prior ones
                    // until the tag step below succeeds.
                    next.tags = prior.tags.clone();
                    next.tags_all = prior.tags_all.clone();
                    state = next;
                }
            }
            Err(err) => {
                return (
                    state,
                    Err(Error::aws(
                        format!("Updating pod identity association {id} of cluster {cluster}"),
                        err,
                    )),
                );
            }
        }
    }

    let old_tags = known_map(&prior.tags_all).unwrap_or_default();
    let new_tags = known_map(&planned.tags_all).unwrap_or_default();
    let changes = tags::diff(&old_tags, &new_tags);
    if !changes.is_empty() {
        let arn = prior.association_arn.as_str().to_string();
        if let Err(err) = apply_tag_changes(ctx, &arn, &changes).await {
            return (
                state,
                Err(Error::aws(
                    format!("Updating the tags of pod identity association {id}"),
                    err,
                )),
            );
        }
    }
    state.tags = planned.tags.clone();
    state.tags_all = planned.tags_all.clone();
    (state, Ok(()))
}

/// UntagResource for removed keys, TagResource for new and changed ones.
pub async fn apply_tag_changes(
    ctx: &AwsContext,
    arn: &str,
    changes: &tags::TagChanges,
) -> Result<(), AwsError> {
    if !changes.remove.is_empty() {
        ctx.eks
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(changes.remove.clone()))
            .send()
            .await
            .map_err(|e| from_sdk("UntagResource", e))?;
    }
    if !changes.set.is_empty() {
        ctx.eks
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(changes.set.clone().into_iter().collect()))
            .send()
            .await
            .map_err(|e| from_sdk("TagResource", e))?;
    }
    Ok(())
}

/// The two import ID forms.
#[derive(Debug, PartialEq, Eq)]
pub enum ImportId {
    /// `cluster_name,association_id` (hashicorp/aws's form).
    ById {
        cluster: String,
        association_id: String,
    },
    /// `cluster_name/namespace/service_account`.
    ByServiceAccount {
        cluster: String,
        namespace: String,
        service_account: String,
    },
}

pub fn parse_import_id(id: &str) -> Result<ImportId, Error> {
    let bad = || {
        Error::invalid(
            AttributePath::root(),
            "Invalid import ID",
            format!(
                "{id:?} is not an association import ID. Use cluster_name,association_id (for example \"shop-blue,a-0123456789abcdefg\") or cluster_name/namespace/service_account (for example \"shop-blue/carts/carts\")."
            ),
        )
    };
    if let Some((cluster, association_id)) = id.split_once(',') {
        if validate::cluster_name(cluster).is_err()
            || !association_id.starts_with("a-")
            || association_id.len() < 3
            || association_id.contains(',')
        {
            return Err(bad());
        }
        return Ok(ImportId::ById {
            cluster: cluster.into(),
            association_id: association_id.into(),
        });
    }
    let parts: Vec<&str> = id.split('/').collect();
    match parts.as_slice() {
        [cluster, namespace, service_account]
            if validate::cluster_name(cluster).is_ok()
                && validate::dns1123_label(namespace).is_ok()
                && validate::dns1123_subdomain(service_account).is_ok() =>
        {
            Ok(ImportId::ByServiceAccount {
                cluster: cluster.to_string(),
                namespace: namespace.to_string(),
                service_account: service_account.to_string(),
            })
        }
        _ => Err(bad()),
    }
}

async fn import_association(ctx: &AwsContext, id: &str) -> Result<AssociationState, Error> {
    let (cluster, association_id) = match parse_import_id(id)? {
        ImportId::ById {
            cluster,
            association_id,
        } => (cluster, association_id),
        ImportId::ByServiceAccount {
            cluster,
            namespace,
            service_account,
        } => {
            let summary = find_association_by_service_account(ctx, &cluster, &namespace, &service_account)
                .await
                .map_err(|e| Error::aws(format!("Looking up the association of {namespace}/{service_account} in cluster {cluster}"), e))?
                .ok_or_else(|| {
                    Error::refused(
                        "Cannot import non-existent pod identity association",
                        format!("Cluster {cluster} has no pod identity association for service account {namespace}/{service_account} (or the cluster does not exist in region {}).", ctx.region),
                    )
                })?;
            let association_id = summary.association_id().unwrap_or_default().to_string();
            (cluster, association_id)
        }
    };
    let found = find_association_by_id(ctx, &cluster, &association_id)
        .await
        .map_err(|e| Error::aws(format!("Reading pod identity association {association_id} of cluster {cluster}"), e))?
        .ok_or_else(|| {
            Error::refused(
                "Cannot import non-existent pod identity association",
                format!("Cluster {cluster} has no pod identity association {association_id} (or the cluster does not exist in region {}).", ctx.region),
            )
        })?;
    let state = state_from_api(&found, &AssociationState::default(), &ctx.default_tags);
    refuse_owned(&state, "imported")?;
    Ok(state)
}

// ---------------------------------------------------------------------------------------------
// State mapping

/// The state for what EKS returned, keeping from `prior` what only the configuration knows: the
/// text of an equivalent policy and which tags are managed in `tags`.
pub fn state_from_api(
    found: &PodIdentityAssociation,
    prior: &AssociationState,
    defaults: &BTreeMap<String, String>,
) -> AssociationState {
    let policy = policy_json::keep_equivalent(&prior.policy, text(found.policy()));
    let api_tags: BTreeMap<String, String> = found
        .tags()
        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let (tags, tags_all) = tags::split_for_state(&api_tags, &prior.tags, &prior.tags_all, defaults);
    let association_id = text(found.association_id());
    AssociationState {
        id: association_id.clone(),
        association_arn: text(found.association_arn()),
        association_id,
        cluster_name: text(found.cluster_name()),
        namespace: text(found.namespace()),
        service_account: text(found.service_account()),
        role_arn: text(found.role_arn()),
        target_role_arn: text(found.target_role_arn()),
        external_id: text(found.external_id()),
        disable_session_tags: Value::Value(found.disable_session_tags().unwrap_or(false)),
        policy,
        owner_arn: text(found.owner_arn()),
        tags,
        tags_all,
        region: prior.region.clone(),
    }
}

mod create;
#[cfg(test)]
mod tests;
mod trust_check;
