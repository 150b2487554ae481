//! The pod identity association operations.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use super::extract::{JsonBody, Label, QueryParams};
use super::in_cluster;
use crate::error::ApiError;
use crate::state::{Emulator, Inner};
use crate::world::{Association, CreateAssociationRequest, UpdateAssociationRequest};

fn association(result: Result<Association, ApiError>) -> Result<Json<Value>, ApiError> {
    result.map(|association| Json(json!({ "association": association })))
}

pub async fn create(
    State(emulator): State<Arc<Emulator>>,
    Label(cluster): Label<String>,
    JsonBody(request): JsonBody<CreateAssociationRequest>,
) -> Result<Json<Value>, ApiError> {
    let Inner { world, faults, .. } = &mut *emulator.lock();
    let result = world.create_association(&cluster, request, faults);
    association(in_cluster(&cluster, result))
}

pub async fn list(
    State(emulator): State<Arc<Emulator>>,
    Label(cluster): Label<String>,
    query: QueryParams,
) -> Result<Json<Value>, ApiError> {
    let page = query.page();
    let namespace = query.value("namespace").filter(|v| !v.is_empty());
    let service_account = query.value("serviceAccount").filter(|v| !v.is_empty());
    let mut inner = emulator.lock();
    let result = inner
        .world
        .list_associations(&cluster, page, namespace, service_account);
    in_cluster(&cluster, result).map(Json)
}

pub async fn describe(
    State(emulator): State<Arc<Emulator>>,
    Label((cluster, id)): Label<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let result = emulator.lock().world.describe_association(&cluster, &id);
    association(in_cluster(&cluster, result))
}

pub async fn update(
    State(emulator): State<Arc<Emulator>>,
    Label((cluster, id)): Label<(String, String)>,
    JsonBody(request): JsonBody<UpdateAssociationRequest>,
) -> Result<Json<Value>, ApiError> {
    let Inner { world, faults, .. } = &mut *emulator.lock();
    let result = world.update_association(&cluster, &id, request, faults);
    association(in_cluster(&cluster, result))
}

pub async fn delete(
    State(emulator): State<Arc<Emulator>>,
    Label((cluster, id)): Label<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let result = emulator.lock().world.delete_association(&cluster, &id);
    association(in_cluster(&cluster, result))
}
