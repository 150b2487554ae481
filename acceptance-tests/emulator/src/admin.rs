//! The admin interface under `/_emulator/` (no authentication): request log, fault injection,
//! credentials, and direct manipulation of clusters and add-on-owned associations.
//!
//! Clusters, associations, add-ons, add-on faults, service-account tokens and pod identity
//! sessions belong to the world of one region: the one the optional header
//! `x-emulator-region` ([`REGION_HEADER`]) names, else the configured region. A name that is
//! not an AWS Region is refused with 400. The request log, faults, delays and credentials are
//! the emulator's, across regions.
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
//! - `POST /_emulator/clusters`: a cluster as CreateCluster makes it (`name`, `version`,
//!   `tags`, `computeConfig`, `storageConfig`, `kubernetesNetworkConfig`, ...), plus
//!   `"autoMode": true` for an EKS Auto Mode cluster with the console's settings; answers the
//!   bare cluster. It is `CREATING` while the cluster creating delay runs.
//! - `DELETE /_emulator/clusters/{name}`: the cluster is gone at once, with its associations and
//!   add-ons.
//! - `GET /_emulator/clusters/{name}/associations`: `{"associations": [...]}` in full.
//! - `POST /_emulator/clusters/{name}/addon-associations`: an association owned by a made-up
//!   add-on (`namespace`, `serviceAccount`, `roleArn`, `addonName`).
//! - `GET /_emulator/clusters/{name}/addons`: `{"addons": [...]}`, every add-on as DescribeAddon
//!   shows it.
//! - `POST /_emulator/clusters/{name}/addons/{addonName}/health`: `{"status", "issues"?}` sets
//!   the add-on's status (`ACTIVE`, `DEGRADED`, `CREATE_FAILED`, `UPDATE_FAILED`,
//!   `DELETE_FAILED`) and `health.issues` (`[{"code", "message", "resourceIds"?}]`; absent: the
//!   issue EKS reports for that status) now; answers the bare add-on.
//! - `POST /_emulator/addon-faults`: how the next add-on create or update ends
//!   ([`AddonFaultSpec`]), e.g. `{"status": "CREATE_FAILED", "addonName":
//!   "eks-pod-identity-agent"}`; `DELETE` clears them.
//! - `GET /_emulator/delays`: how long clusters and add-ons stay in their transitional states,
//!   `{"addonCreatingMs", "addonUpdatingMs", "addonDeletingMs", "clusterCreatingMs",
//!   "clusterDeletingMs"}`; `POST` changes any of them (also `addonMs` / `clusterMs` for all
//!   three / both at once) and answers the new set. Reset restores the configured ones.
//! - `POST /_emulator/credentials`, `POST /_emulator/reset`: see the handlers below.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::api::parse_body;
use crate::config::{Credentials, Delays};
use crate::error::{ApiError, ErrorKind};
use crate::faults::FaultSpec;
use crate::regions::is_aws_region;
use crate::state::Emulator;
use crate::world::{
    AddonAssociationRequest, AddonFaultSpec, AddonIssue, AddonStatus, AdminClusterRequest,
    MintTokenRequest, PodIdentitySession,
};

/// The header that names the region whose world an admin call works on.
pub const REGION_HEADER: &str = "x-emulator-region";

/// The region of an admin call: [`REGION_HEADER`], else the configured region.
struct AdminRegion(String);

impl FromRequestParts<Arc<Emulator>> for AdminRegion {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        emulator: &Arc<Emulator>,
    ) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get(REGION_HEADER) else {
            return Ok(AdminRegion(emulator.config.region.clone()));
        };
        match value.to_str() {
            Ok(region) if is_aws_region(region) => Ok(AdminRegion(region.to_owned())),
            _ => Err(ApiError::new(
                ErrorKind::BadRequest,
                format!(
                    "{REGION_HEADER}: {} is not an AWS Region.",
                    String::from_utf8_lossy(value.as_bytes())
                ),
            )),
        }
    }
}

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
        .route("/clusters/{name}/addons", get(list_addons))
        .route(
            "/clusters/{name}/addons/{addon}/health",
            post(set_addon_health),
        )
        .route(
            "/addon-faults",
            post(add_addon_fault).delete(clear_addon_faults),
        )
        .route("/delays", get(get_delays).post(set_delays))
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
async fn create_cluster(
    State(emulator): State<Arc<Emulator>>,
    AdminRegion(region): AdminRegion,
    body: Bytes,
) -> Response {
    let result = parse_body::<AdminClusterRequest>(&body).and_then(|request| {
        emulator
            .lock()
            .worlds
            .of(&region)
            .create_cluster_as_admin(request)
    });
    match result {
        Ok(cluster) => Json(cluster).into_response(),
        Err(err) => err.into_response(),
    }
}

async fn delete_cluster(
    State(emulator): State<Arc<Emulator>>,
    AdminRegion(region): AdminRegion,
    Path(name): Path<String>,
) -> Response {
    match emulator.lock().worlds.of(&region).remove_cluster_now(&name) {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(err) => err.into_response(),
    }
}

async fn list_associations(
    State(emulator): State<Arc<Emulator>>,
    AdminRegion(region): AdminRegion,
    Path(name): Path<String>,
) -> Response {
    match emulator.lock().worlds.of(&region).associations(&name) {
        Ok(associations) => Json(json!({ "associations": associations })).into_response(),
        Err(err) => err.into_response(),
    }
}

/// Returns the bare association object (not wrapped in `{"association": …}`).
async fn create_addon_association(
    State(emulator): State<Arc<Emulator>>,
    AdminRegion(region): AdminRegion,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    let result = parse_body::<AddonAssociationRequest>(&body).and_then(|request| {
        emulator
            .lock()
            .worlds
            .of(&region)
            .create_addon_association(&name, request)
    });
    match result {
        Ok(association) => Json(association).into_response(),
        Err(err) => err.into_response(),
    }
}

async fn list_addons(
    State(emulator): State<Arc<Emulator>>,
    AdminRegion(region): AdminRegion,
    Path(name): Path<String>,
) -> Response {
    match emulator.lock().worlds.of(&region).addons(&name) {
        Ok(addons) => Json(json!({ "addons": addons })).into_response(),
        Err(err) => err.into_response(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddonHealthRequest {
    status: AddonStatus,
    #[serde(default)]
    issues: Option<Vec<AddonIssue>>,
}

/// Returns the bare add-on object.
async fn set_addon_health(
    State(emulator): State<Arc<Emulator>>,
    AdminRegion(region): AdminRegion,
    Path((name, addon)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let result = parse_body::<AddonHealthRequest>(&body).and_then(|request| {
        emulator.lock().worlds.of(&region).set_addon_health(
            &name,
            &addon,
            request.status,
            request.issues,
        )
    });
    match result {
        Ok(addon) => Json(addon).into_response(),
        Err(err) => err.into_response(),
    }
}

async fn add_addon_fault(
    State(emulator): State<Arc<Emulator>>,
    AdminRegion(region): AdminRegion,
    body: Bytes,
) -> Response {
    let result = parse_body::<AddonFaultSpec>(&body)
        .and_then(|spec| emulator.lock().worlds.of(&region).add_addon_fault(spec));
    match result {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(err) => err.into_response(),
    }
}

async fn clear_addon_faults(
    State(emulator): State<Arc<Emulator>>,
    AdminRegion(region): AdminRegion,
) -> StatusCode {
    emulator.lock().worlds.of(&region).clear_addon_faults();
    StatusCode::NO_CONTENT
}

/// The delays in milliseconds, as `GET /_emulator/delays` shows them and `POST` takes them.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DelaysMs {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    addon_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cluster_ms: Option<u64>,
    #[serde(default)]
    addon_creating_ms: Option<u64>,
    #[serde(default)]
    addon_updating_ms: Option<u64>,
    #[serde(default)]
    addon_deleting_ms: Option<u64>,
    #[serde(default)]
    cluster_creating_ms: Option<u64>,
    #[serde(default)]
    cluster_deleting_ms: Option<u64>,
}

impl DelaysMs {
    fn of(delays: Delays) -> DelaysMs {
        let ms = |d: Duration| Some(u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        DelaysMs {
            addon_creating_ms: ms(delays.addon_creating),
            addon_updating_ms: ms(delays.addon_updating),
            addon_deleting_ms: ms(delays.addon_deleting),
            cluster_creating_ms: ms(delays.cluster_creating),
            cluster_deleting_ms: ms(delays.cluster_deleting),
            ..DelaysMs::default()
        }
    }

    /// `delays` with the fields this sets changed (the shorthands first, the single ones over
    /// them).
    fn apply(&self, mut delays: Delays) -> Delays {
        let ms = Duration::from_millis;
        if let Some(all) = self.addon_ms {
            delays.set_addons(ms(all));
        }
        if let Some(all) = self.cluster_ms {
            delays.set_clusters(ms(all));
        }
        let fields = [
            (self.addon_creating_ms, &mut delays.addon_creating),
            (self.addon_updating_ms, &mut delays.addon_updating),
            (self.addon_deleting_ms, &mut delays.addon_deleting),
            (self.cluster_creating_ms, &mut delays.cluster_creating),
            (self.cluster_deleting_ms, &mut delays.cluster_deleting),
        ];
        for (value, field) in fields {
            if let Some(value) = value {
                *field = ms(value);
            }
        }
        delays
    }
}

async fn get_delays(State(emulator): State<Arc<Emulator>>) -> Response {
    let delays = emulator.lock().worlds.delays();
    Json(DelaysMs::of(delays)).into_response()
}

async fn set_delays(State(emulator): State<Arc<Emulator>>, body: Bytes) -> Response {
    match parse_body::<DelaysMs>(&body) {
        Ok(change) => {
            let mut inner = emulator.lock();
            let delays = change.apply(inner.worlds.delays());
            inner.worlds.set_delays(delays);
            Json(DelaysMs::of(delays)).into_response()
        }
        Err(err) => err.into_response(),
    }
}

async fn mint_token(
    State(emulator): State<Arc<Emulator>>,
    AdminRegion(region): AdminRegion,
    body: Bytes,
) -> Response {
    let result = parse_body::<MintTokenRequest>(&body)
        .and_then(|request| emulator.lock().worlds.of(&region).mint_token(request));
    match result {
        Ok(minted) => Json(minted).into_response(),
        Err(err) => err.into_response(),
    }
}

async fn list_sessions(
    State(emulator): State<Arc<Emulator>>,
    AdminRegion(region): AdminRegion,
) -> Response {
    let mut inner = emulator.lock();
    let sessions: &[PodIdentitySession] = inner.worlds.of(&region).sessions();
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
