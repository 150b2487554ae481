//! TagResource, UntagResource, ListTagsForResource on cluster and association ARNs.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use super::extract::{JsonBody, Label, QueryParams};
use crate::error::ApiError;
use crate::state::Emulator;
use crate::world::TagResourceRequest;

pub async fn tag(
    State(emulator): State<Arc<Emulator>>,
    Label(arn): Label<String>,
    JsonBody(request): JsonBody<TagResourceRequest>,
) -> Result<Json<Value>, ApiError> {
    emulator.lock().world.tag_resource(&arn, request)?;
    Ok(Json(json!({})))
}

pub async fn untag(
    State(emulator): State<Arc<Emulator>>,
    Label(arn): Label<String>,
    query: QueryParams,
) -> Result<Json<Value>, ApiError> {
    let keys = query.values("tagKeys");
    emulator.lock().world.untag_resource(&arn, &keys)?;
    Ok(Json(json!({})))
}

pub async fn list(
    State(emulator): State<Arc<Emulator>>,
    Label(arn): Label<String>,
) -> Result<Json<Value>, ApiError> {
    let tags = emulator.lock().world.list_tags(&arn)?;
    Ok(Json(json!({ "tags": tags })))
}
