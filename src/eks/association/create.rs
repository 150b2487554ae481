//! Creating an association: CreatePodIdentityAssociation with its retries, the duplicate
//! error, and the recovery of an association whose create failed without a definite answer.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use aws_sdk_eks::types::PodIdentityAssociation;

use super::{is_role_propagation, new_client_request_token, state_from_api, AssociationState};
use crate::aws::errors::from_sdk;
use crate::aws::retry::{retry, Backoff};
use crate::aws::{transport, AwsContext};
use crate::eks::find::{find_association_by_id, find_association_by_service_account};
use crate::error::{AwsError, AwsErrorKind, Error};
use crate::policy_json;
use crate::resource::{Applied, Warning};
use crate::value::{known_map, known_str, text, ValueStr};

/// CreatePodIdentityAssociation, with the SDK's retries and the IAM propagation retries.
async fn create_association(
    ctx: &AwsContext,
    planned: &AssociationState,
) -> Result<PodIdentityAssociation, AwsError> {
    let tags: HashMap<String, String> = known_map(&planned.tags_all)
        .unwrap_or_default()
        .into_iter()
        .collect();
    // One token for every attempt: if a response is lost after EKS committed the create, the
    // retry returns that association instead of creating a second one.
    let token = new_client_request_token();
    let created = retry(Backoff::IAM_PROPAGATION, is_role_propagation, |_| {
        let mut request = ctx
            .eks
            .create_pod_identity_association()
            .cluster_name(planned.cluster_name.as_str())
            .namespace(planned.namespace.as_str())
            .service_account(planned.service_account.as_str())
            .role_arn(planned.role_arn.as_str())
            .client_request_token(&token)
            .set_target_role_arn(planned.target_role_arn.as_ref_option().cloned())
            .set_policy(planned.policy.as_ref_option().cloned())
            .disable_session_tags(
                planned
                    .disable_session_tags
                    .as_ref_option()
                    .copied()
                    .unwrap_or(false),
            );
        if !tags.is_empty() {
            request = request.set_tags(Some(tags.clone()));
        }
        async move {
            request
                .send()
                .await
                .map_err(|e| from_sdk("CreatePodIdentityAssociation", e))
        }
    })
    .await?;
    created.association.ok_or_else(|| {
        AwsError::new(
            "CreatePodIdentityAssociation",
            AwsErrorKind::Other("EKS answered without the association it created".into()),
        )
    })
}

/// The outcome of a create: the association, the duplicate error, or, when the create may
/// have been carried out although it failed, what [`recover`] finds.
pub(super) async fn create(
    ctx: &AwsContext,
    planned: &AssociationState,
) -> Applied<Option<AssociationState>> {
    let (cluster, namespace, service_account) = identity(planned);
    let started = SystemTime::now();
    match create_association(ctx, planned).await {
        Ok(created) => Applied::new(
            Some(state_from_api(&created, planned, &ctx.default_tags)),
            Ok(()),
        ),
        Err(err) if err.is_code("ResourceInUseException") => {
            let existing = existing_id_from_message(&err.message());
            let existing = match existing {
                Some(id) => Some(id),
                None => find_association_by_service_account(ctx, cluster, namespace, service_account)
                    .await
                    .ok()
                    .flatten()
                    .and_then(|s| s.association_id().map(str::to_string)),
            };
            Applied::new(None, Err(duplicate_error(planned, existing, &err)))
        }
        Err(err) if err.is_ambiguous() => recover(ctx, planned, started, err).await,
        Err(err) => Applied::new(
            None,
            Err(Error::aws(
                format!("Creating the pod identity association for {namespace}/{service_account} in cluster {cluster}"),
                err,
            )),
        ),
    }
}

fn identity(state: &AssociationState) -> (&str, &str, &str) {
    (
        state.cluster_name.as_str(),
        state.namespace.as_str(),
        state.service_account.as_str(),
    )
}

/// A create failed without a definite answer (no answer, a server error, throttling after an
/// attempt whose answer was lost, a stop): EKS may have created the association. Look it up by
/// service account, and record it when it is the one this create asked for (same role, target
/// role, session tags and policy, created since shortly before this create); the lookup runs
/// even when Terraform asked the provider to stop, within a short deadline.
async fn recover(
    ctx: &AwsContext,
    planned: &AssociationState,
    started: SystemTime,
    err: AwsError,
) -> Applied<Option<AssociationState>> {
    let (cluster, namespace, service_account) = identity(planned);
    let lookup = transport::recovering(async {
        let summary =
            find_association_by_service_account(ctx, cluster, namespace, service_account).await?;
        match summary.and_then(|s| s.association_id().map(str::to_string)) {
            Some(id) => find_association_by_id(ctx, cluster, &id).await,
            None => Ok(None),
        }
    })
    .await;
    let context = || {
        format!("Creating the pod identity association for {namespace}/{service_account} in cluster {cluster}")
    };
    match lookup {
        Some(Ok(Some(found))) if is_what_was_asked(&found, planned, started) => {
            let id = found.association_id().unwrap_or_default().to_string();
            let state = state_from_api(&found, planned, &ctx.default_tags);
            let warning = Warning {
                summary: format!("Pod identity association {id} recovered after its create failed"),
                detail: format!(
                    "{} failed without a definite answer ({err}), but EKS has association {id} for {namespace}/{service_account} with the role this configuration asks for, created by this apply. It is recorded in the state; nothing else is needed.",
                    context()
                ),
            };
            Applied::new(Some(state), Ok(())).with_warnings(vec![warning])
        }
        Some(Ok(Some(other))) => {
            let existing = other.association_id().map(str::to_string);
            Applied::new(None, Err(duplicate_error(planned, existing, &err)))
        }
        Some(Ok(None)) => Applied::new(None, Err(Error::aws(context(), err))),
        Some(Err(lookup)) => Applied::new(None, Err(may_exist(planned, &err, &lookup.to_string()))),
        None => Applied::new(None, Err(may_exist(planned, &err, "the lookup timed out"))),
    }
}

/// How far before a create an association recovered for it may have been created (clock skew
/// between this machine and AWS).
const CREATE_CLOCK_SLACK: Duration = Duration::from_secs(300);

fn is_what_was_asked(
    found: &PodIdentityAssociation,
    planned: &AssociationState,
    started: SystemTime,
) -> bool {
    let created_since = found.created_at().is_none_or(|created| {
        SystemTime::try_from(*created).is_ok_and(|created| created + CREATE_CLOCK_SLACK >= started)
    });
    let policy_matches = match (found.policy(), known_str(&planned.policy)) {
        (Some(found), Some(planned)) => policy_json::equivalent(found, planned),
        (found, planned) => found.unwrap_or_default().is_empty() && planned.is_none(),
    };
    created_since
        && policy_matches
        && found.role_arn() == known_str(&planned.role_arn)
        && text(found.target_role_arn()) == planned.target_role_arn
        && found.disable_session_tags().unwrap_or(false)
            == planned
                .disable_session_tags
                .as_ref_option()
                .copied()
                .unwrap_or(false)
}

/// The create failed, and whether EKS created the association could not be found out.
fn may_exist(planned: &AssociationState, err: &AwsError, lookup: &str) -> Error {
    let (cluster, namespace, service_account) = identity(planned);
    Error::refused(
        format!("The pod identity association for {namespace}/{service_account} in cluster {cluster} may exist"),
        format!(
            "Creating it failed without a definite answer ({err}), and looking it up failed too ({lookup}). If EKS created it, import it before the next apply (replace NAME with this resource's name):\n\n  terraform import aws_eks_pod_identity_association.NAME {cluster}/{namespace}/{service_account}"
        ),
    )
}

/// The association ID in EKS's "Association already exists: a-…" message.
pub(super) fn existing_id_from_message(message: &str) -> Option<String> {
    message
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .find(|w| w.len() == 19 && w.starts_with("a-"))
        .map(str::to_string)
}

/// A second association for the service account: EKS allows one.
fn duplicate_error(planned: &AssociationState, existing: Option<String>, err: &AwsError) -> Error {
    let (cluster, namespace, service_account) = identity(planned);
    let Some(existing) = existing else {
        return Error::refused(
            format!("Service account {namespace}/{service_account} of cluster {cluster} already has a pod identity association"),
            format!("EKS allows one association per cluster, namespace and service account ({}).", err.message()),
        );
    };
    Error::refused(
        format!(
            "Service account {namespace}/{service_account} of cluster {cluster} already has a pod identity association ({existing})"
        ),
        format!(
            "EKS allows one association per cluster, namespace and service account, and {existing} already exists. To manage it with this configuration, import it (replace NAME with this resource's name):\n\n  terraform import aws_eks_pod_identity_association.NAME {cluster},{existing}\n\nor add an import block:\n\n  import {{\n    to = aws_eks_pod_identity_association.NAME\n    id = \"{cluster},{existing}\"\n  }}\n\nOtherwise delete the existing association or choose another service account."
        ),
    )
}
