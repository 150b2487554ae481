//! The admin interface under `/_emulator/` (no authentication): request log, fault injection,
//! credentials, and direct manipulation of clusters and add-on-owned associations.
//!
//! - `GET /_emulator/requests`: `{"requests": [...]}`, every EKS API request in arrival order
//!   ([`RequestRecord`](crate::request_log::RequestRecord)). A request that got no answer at
//!   all (a `black_hole` fault) is logged once its client closed the connection, with
//!   `"status": 0`; `DELETE` clears the log.
//! - `POST /_emulator/faults`: registers a fault ([`FaultSpec`] lists the fields), e.g.
//!   `{"kind": "throttle", "operation": "ListClusters", "fraction": 0.5, "forever": true}`;
//!   `DELETE` clears them all.
//! - `POST /_emulator/service-account-tokens`: mints the token of a pod's service account for
//!   AssumeRoleForPodIdentity ([`MintTokenRequest`] lists the fields: `cluster`, `namespace`,
//!   `serviceAccount`, optional `podName`, `podUid`, `expiresInSeconds`); answers
//!   `{"token", "cluster", "namespace", "serviceAccount", "podName", "podUid", "expiresAt"}`.
//! - `GET /_emulator/pod-identity-sessions`: `{"sessions": [...]}`, every set of credentials
//!   AssumeRoleForPodIdentity issued, in order ([`PodIdentitySession`]: `cluster`,
//!   `namespace`, `serviceAccount`, `podName`, `associationId`, `roleArn`, `targetRoleArn`,
//!   `assumedRoleArn`, `accessKeyId`, `sessionTags`).
//! - `POST /_emulator/clusters`, `DELETE /_emulator/clusters/{name}`,
//!   `GET /_emulator/clusters/{name}/associations`,
//!   `POST /_emulator/clusters/{name}/addon-associations`, `POST /_emulator/credentials`,
//!   `POST /_emulator/reset`: see the handlers below.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde_json::json;

use crate::api::parse_body;
use crate::config::Credentials;
use crate::error::{ApiError, ErrorKind};
use crate::faults::FaultSpec;
use crate::state::Emulator;
use crate::world::{
    AddonAssociationRequest, CreateClusterRequest, MintTokenRequest, PodIdentitySession,
};

pub fn router() -> Router<Arc<Emulator>> {
    Router::new()
        .route("/requests", get(list_requests).delete(clear_requests))
        .route("/faults", post(add_fault).delete(clear_faults))
        .route("/clusters", post(create_cluster))
        .route("/clusters/{name}", delete(delete_cluster))
        .route("/clusters/{name}/associations", get(list_associations))
        .route(
            "/clusters/{name}/addon-associations",
            post(create_addon_association),
        )
        .route("/service-account-tokens", post(mint_token))
        .route("/pod-identity-sessions", get(list_sessions))
        .route("/credentials", post(add_credentials))
        .route("/reset", post(reset))
        .fallback(unknown_admin_path)
}

async fn list_requests(State(emulator): State<Arc<Emulator>>) -> Response {
    let inner = emulator.lock();
    Json(json!({ "requests": inner.log.records() })).into_response()
}

async fn clear_requests(State(emulator): State<Arc<Emulator>>) -> StatusCode {
    emulator.lock().log.clear();
    StatusCode::NO_CONTENT
}

async fn add_fault(State(emulator): State<Arc<Emulator>>, body: Bytes) -> Response {
    let spec: FaultSpec = match parse_body(&body) {
        Ok(spec) => spec,
        Err(err) => return err.into_response(),
    };
    match emulator.lock().faults.add(spec) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(err) => ApiError::new(ErrorKind::BadRequest, err.to_string()).into_response(),
    }
}

async fn clear_faults(State(emulator): State<Arc<Emulator>>) -> StatusCode {
    emulator.lock().faults.clear();
    StatusCode::NO_CONTENT
}

/// Returns the bare cluster object (not wrapped in `{"cluster": …}`).
async fn create_cluster(State(emulator): State<Arc<Emulator>>, body: Bytes) -> Response {
    let result = parse_body::<CreateClusterRequest>(&body)
        .and_then(|request| emulator.lock().world.create_cluster(request));
    match result {
        Ok(cluster) => Json(cluster).into_response(),
        Err(err) => err.into_response(),
    }
}

async fn delete_cluster(
    State(emulator): State<Arc<Emulator>>,
    Path(name): Path<String>,
) -> Response {
    match emulator.lock().world.delete_cluster(&name) {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(err) => err.into_response(),
    }
}

async fn list_associations(
    State(emulator): State<Arc<Emulator>>,
    Path(name): Path<String>,
) -> Response {
    match emulator.lock().world.associations(&name) {
        Ok(associations) => Json(json!({ "associations": associations })).into_response(),
        Err(err) => err.into_response(),
    }
}

/// Returns the bare association object (not wrapped in `{"association": …}`).
async fn create_addon_association(
    State(emulator): State<Arc<Emulator>>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    let result = parse_body::<AddonAssociationRequest>(&body).and_then(|request| {
        emulator
            .lock()
            .world
            .create_addon_association(&name, request)
    });
    match result {
        Ok(association) => Json(association).into_response(),
        Err(err) => err.into_response(),
    }
}

async fn mint_token(State(emulator): State<Arc<Emulator>>, body: Bytes) -> Response {
    let result = parse_body::<MintTokenRequest>(&body)
        .and_then(|request| emulator.lock().world.mint_token(request));
    match result {
        Ok(minted) => Json(minted).into_response(),
        Err(err) => err.into_response(),
    }
}

async fn list_sessions(State(emulator): State<Arc<Emulator>>) -> Response {
    let inner = emulator.lock();
    let sessions: &[PodIdentitySession] = inner.world.sessions();
    Json(json!({ "sessions": sessions })).into_response()
}

/// `{"accessKeyId", "secretAccessKey", "sessionToken"?}`: accepted from now on, replacing any
/// credentials with the same access key id.
async fn add_credentials(State(emulator): State<Arc<Emulator>>, body: Bytes) -> Response {
    match parse_body::<Credentials>(&body) {
        Ok(credentials)
            if credentials.access_key_id.is_empty() || credentials.secret_access_key.is_empty() =>
        {
            let message = "accessKeyId and secretAccessKey must not be empty.";
            ApiError::new(ErrorKind::BadRequest, message).into_response()
        }
        Ok(credentials) => {
            emulator.lock().credentials.insert(credentials);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(err) => err.into_response(),
    }
}

async fn reset(State(emulator): State<Arc<Emulator>>) -> StatusCode {
    emulator.reset();
    StatusCode::NO_CONTENT
}

async fn unknown_admin_path() -> Response {
    ApiError::new(ErrorKind::NotFound, "Unknown emulator admin endpoint.").into_response()
}
