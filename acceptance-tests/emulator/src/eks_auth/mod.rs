//! The EKS Auth API (2023-11-26, SigV4 signing name `eks-auth`): `AssumeRoleForPodIdentity`,
//! what the EKS Pod Identity Agent calls to exchange a pod's service-account token for the
//! credentials of the role its association names.
//!
//! Shapes from the Amazon EKS API Reference, "AssumeRoleForPodIdentity" (request `{"token"}`
//! plus the agent's optional `eksNodeName`, `instanceId`, `zone`; response `subject`,
//! `audience`, `podIdentityAssociation`, `assumedRoleUser`, `credentials`). The steps:
//!
//! 1. the token: one minted for this cluster (else `InvalidTokenException`), not expired (else
//!    `ExpiredTokenException`);
//! 2. the association of its namespace and service account (else `ResourceNotFoundException`);
//! 3. the role's trust policy, read from IAM and evaluated by [`trust`] for the request EKS
//!    makes (else `AccessDeniedException`, with AWS's message and the emulator's reason);
//! 4. credentials from STS AssumeRole with the session tags, and for a target role a second
//!    AssumeRole with the first credentials and the association's external id ([`grant`]).

mod grant;
pub mod trust;

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::{JsonBody, Label};
use crate::error::{ApiError, ErrorKind};
use crate::regions::SignedRegion;
use crate::state::Emulator;
use crate::world::{PodIdentitySession, POD_IDENTITY_AUDIENCE};

/// The request body. The agent's node details (`eksNodeName`, `instanceId`, `zone`) are
/// accepted and not used.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssumeRoleForPodIdentityRequest {
    pub token: Option<String>,
}

pub async fn assume_role_for_pod_identity(
    State(emulator): State<Arc<Emulator>>,
    SignedRegion(region): SignedRegion,
    Label(cluster): Label<String>,
    JsonBody(request): JsonBody<AssumeRoleForPodIdentityRequest>,
) -> Result<Json<Value>, ApiError> {
    let token = request
        .token
        .filter(|token| !token.is_empty())
        .ok_or_else(|| ApiError::invalid_parameter("token is required."))?;
    let found = emulator
        .lock()
        .worlds
        .of(&region)
        .pod_identity_grant(&cluster, &token)?;
    if !emulator.iam_sts.has_iam() {
        return Err(ApiError::new(
            ErrorKind::InternalServer,
            "The emulator was started without IAM (--iam-endpoint): AssumeRoleForPodIdentity cannot read the role's trust policy.",
        ));
    }
    let issued = grant::issue(&emulator.iam_sts, &found, &region).await?;

    let association = &found.association;
    let session = &issued.session;
    let body = json!({
        "subject": {
            "namespace": found.token.namespace,
            "serviceAccount": found.token.service_account,
        },
        "audience": POD_IDENTITY_AUDIENCE,
        "podIdentityAssociation": {
            "associationArn": association.association_arn,
            "associationId": association.association_id,
        },
        "assumedRoleUser": {
            "arn": session.assumed_role_arn,
            "assumeRoleId": session.assumed_role_id,
        },
        "credentials": {
            "sessionToken": session.session_token,
            "secretAccessKey": session.secret_access_key,
            "accessKeyId": session.access_key_id,
            "expiration": session.expiration,
        },
    });
    emulator
        .lock()
        .worlds
        .of(&region)
        .record_session(PodIdentitySession {
            cluster: cluster.clone(),
            namespace: found.token.namespace.clone(),
            service_account: found.token.service_account.clone(),
            pod_name: found.token.pod_name.clone(),
            association_id: association.association_id.clone(),
            role_arn: association.role_arn.clone(),
            target_role_arn: association.target_role_arn.clone(),
            assumed_role_arn: session.assumed_role_arn.clone(),
            access_key_id: session.access_key_id.clone(),
            session_tags: issued.session_tags,
        });
    Ok(Json(body))
}
