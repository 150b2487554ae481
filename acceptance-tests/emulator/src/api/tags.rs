//! TagResource, UntagResource, ListTagsForResource on cluster and association ARNs.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use super::extract::{JsonBody, Label, QueryParams};
use crate::error::ApiError;
use crate::regions::SignedRegion;
use crate::state::Emulator;
use crate::world::TagResourceRequest;

pub async fn tag(
    State(emulator): State<Arc<Emulator>>,
    SignedRegion(region): SignedRegion,
    Label(arn): Label<String>,
    JsonBody(request): JsonBody<TagResourceRequest>,
) -> Result<Json<Value>, ApiError> {
    emulator
        .lock()
        .worlds
        .of(&region)
        .tag_resource(&arn, request)?;
    Ok(Json(json!({})))
}

pub async fn untag(
    State(emulator): State<Arc<Emulator>>,
    SignedRegion(region): SignedRegion,
    Label(arn): Label<String>,
    query: QueryParams,
) -> Result<Json<Value>, ApiError> {
    let keys = query.values("tagKeys");
    emulator
        .lock()
        .worlds
        .of(&region)
        .untag_resource(&arn, &keys)?;
    Ok(Json(json!({})))
}

pub async fn list(
    State(emulator): State<Arc<Emulator>>,
    SignedRegion(region): SignedRegion,
    Label(arn): Label<String>,
) -> Result<Json<Value>, ApiError> {
    let tags = emulator.lock().worlds.of(&region).list_tags(&arn)?;
    Ok(Json(json!({ "tags": tags })))
}
