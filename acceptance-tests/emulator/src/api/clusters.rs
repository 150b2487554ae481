//! CreateCluster, ListClusters, DescribeCluster, DeleteCluster.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use super::extract::{JsonBody, Label, QueryParams};
use super::in_cluster;
use crate::error::ApiError;
use crate::regions::SignedRegion;
use crate::state::Emulator;
use crate::world::CreateClusterRequest;

pub async fn create(
    State(emulator): State<Arc<Emulator>>,
    SignedRegion(region): SignedRegion,
    JsonBody(request): JsonBody<CreateClusterRequest>,
) -> Result<Json<Value>, ApiError> {
    let cluster = emulator.lock().worlds.of(&region).create_cluster(request)?;
    Ok(Json(json!({ "cluster": cluster })))
}

pub async fn list(
    State(emulator): State<Arc<Emulator>>,
    SignedRegion(region): SignedRegion,
    query: QueryParams,
) -> Result<Json<Value>, ApiError> {
    let page = query.page();
    emulator
        .lock()
        .worlds
        .of(&region)
        .list_clusters(page)
        .map(Json)
}

pub async fn describe(
    State(emulator): State<Arc<Emulator>>,
    SignedRegion(region): SignedRegion,
    Label(name): Label<String>,
) -> Result<Json<Value>, ApiError> {
    let cluster = in_cluster(
        &name,
        emulator.lock().worlds.of(&region).describe_cluster(&name),
    )?;
    Ok(Json(json!({ "cluster": cluster })))
}

pub async fn delete(
    State(emulator): State<Arc<Emulator>>,
    SignedRegion(region): SignedRegion,
    Label(name): Label<String>,
) -> Result<Json<Value>, ApiError> {
    let cluster = in_cluster(
        &name,
        emulator.lock().worlds.of(&region).delete_cluster(&name),
    )?;
    Ok(Json(json!({ "cluster": cluster })))
}
