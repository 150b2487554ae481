//! The pod identity association operations.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use super::extract::{JsonBody, Label, QueryParams};
use super::in_cluster;
use crate::error::{ApiError, ErrorKind};
use crate::regions::SignedRegion;
use crate::state::{Emulator, Inner};
use crate::validation::parse_role_arn;
use crate::world::{Association, CreateAssociationRequest, RoleInIam, UpdateAssociationRequest};

fn association(result: Result<Association, ApiError>) -> Result<Json<Value>, ApiError> {
    result.map(|association| Json(json!({ "association": association })))
}

pub async fn create(
    State(emulator): State<Arc<Emulator>>,
    SignedRegion(region): SignedRegion,
    Label(cluster): Label<String>,
    JsonBody(request): JsonBody<CreateAssociationRequest>,
) -> Result<Json<Value>, ApiError> {
    let role = request.settings.role_arn.as_deref();
    let role_in_iam = role_in_iam(&emulator, role).await?;
    let Inner { worlds, faults, .. } = &mut *emulator.lock();
    let world = worlds.of(&region);
    let result = world.create_association(&cluster, request, faults, role_in_iam);
    association(in_cluster(&cluster, result))
}

pub async fn list(
    State(emulator): State<Arc<Emulator>>,
    SignedRegion(region): SignedRegion,
    Label(cluster): Label<String>,
    query: QueryParams,
) -> Result<Json<Value>, ApiError> {
    let page = query.page();
    let namespace = query.value("namespace").filter(|v| !v.is_empty());
    let service_account = query.value("serviceAccount").filter(|v| !v.is_empty());
    let mut inner = emulator.lock();
    let result =
        inner
            .worlds
            .of(&region)
            .list_associations(&cluster, page, namespace, service_account);
    in_cluster(&cluster, result).map(Json)
}

pub async fn describe(
    State(emulator): State<Arc<Emulator>>,
    SignedRegion(region): SignedRegion,
    Label((cluster, id)): Label<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let result = emulator
        .lock()
        .worlds
        .of(&region)
        .describe_association(&cluster, &id);
    association(in_cluster(&cluster, result))
}

pub async fn update(
    State(emulator): State<Arc<Emulator>>,
    SignedRegion(region): SignedRegion,
    Label((cluster, id)): Label<(String, String)>,
    JsonBody(request): JsonBody<UpdateAssociationRequest>,
) -> Result<Json<Value>, ApiError> {
    let role_in_iam = role_in_iam(&emulator, request.role_arn.as_deref()).await?;
    let Inner { worlds, faults, .. } = &mut *emulator.lock();
    let world = worlds.of(&region);
    let result = world.update_association(&cluster, &id, request, faults, role_in_iam);
    association(in_cluster(&cluster, result))
}

pub async fn delete(
    State(emulator): State<Arc<Emulator>>,
    SignedRegion(region): SignedRegion,
    Label((cluster, id)): Label<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let result = emulator
        .lock()
        .worlds
        .of(&region)
        .delete_association(&cluster, &id);
    association(in_cluster(&cluster, result))
}

/// Whether IAM knows the role a Create or Update names, as EKS checks it ("Role provided in the
/// request does not exist"). Asked before the world is locked; the world decides where in its
/// checks the answer counts (after validation and injected faults). Not asked without an IAM
/// endpoint, or for a role ARN that validation will refuse anyway.
pub(super) async fn role_in_iam(
    emulator: &Emulator,
    role_arn: Option<&str>,
) -> Result<RoleInIam, ApiError> {
    let Some(role_arn) = role_arn else {
        return Ok(RoleInIam::Unchecked);
    };
    if !emulator.iam_sts.has_iam() || parse_role_arn("roleArn", role_arn).is_err() {
        return Ok(RoleInIam::Unchecked);
    }
    match emulator.iam_sts.get_role(role_arn).await {
        Ok(Some(_)) => Ok(RoleInIam::Exists),
        Ok(None) => Ok(RoleInIam::Missing),
        Err(err) => Err(ApiError::new(
            ErrorKind::Server,
            format!("The emulator could not look the role up in IAM: {err}."),
        )),
    }
}
