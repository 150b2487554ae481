//! The EKS API endpoint: every request that is not under `/_emulator/` goes through
//! [`handle`], which logs it, checks the signature, applies injected faults and runs the
//! operation against the [`World`](super::world::World).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use uuid::Uuid;

use super::connection::ConnectionControl;
use super::error::{ApiError, ErrorKind};
use super::faults::Failure;
use super::request_log::RequestRecord;
use super::routing::{parse_query, route, Operation};
use super::{sigv4, Emulator, Inner};

pub async fn handle(
    State(emulator): State<Arc<Emulator>>,
    ConnectInfo(connection): ConnectInfo<ConnectionControl>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let seq = emulator.next_request_seq();
    let operation = route(&method, uri.path());
    let mut record = RequestRecord {
        seq,
        operation: operation
            .as_ref()
            .map_or("Unknown", Operation::name)
            .to_owned(),
        method: method.to_string(),
        path: uri.path().to_owned(),
        query: uri.query().unwrap_or_default().to_owned(),
        status: 0,
        error_type: None,
        access_key_id: None,
        cluster: operation.as_ref().and_then(Operation::cluster),
    };

    let request = ApiRequest {
        operation,
        method: &method,
        uri: &uri,
        headers: &headers,
        body: &body,
    };
    let mut sever_connection = false;
    let result = process(&emulator, request, &mut record, &mut sever_connection).await;

    let mut response = match result {
        Ok(body) => (StatusCode::OK, axum::Json(body)).into_response(),
        Err(error) => {
            record.error_type = Some(error.kind.type_name().to_owned());
            error.into_response()
        }
    };
    if let Ok(request_id) = HeaderValue::from_str(&Uuid::new_v4().to_string()) {
        response
            .headers_mut()
            .insert("x-amzn-RequestId", request_id);
    }
    record.status = response.status().as_u16();
    emulator.lock().log.push(record);
    if sever_connection {
        connection.sever();
    }
    response
}

/// The parts of an HTTP request the EKS API looks at.
struct ApiRequest<'a> {
    operation: Option<Operation>,
    method: &'a Method,
    uri: &'a Uri,
    headers: &'a HeaderMap,
    body: &'a [u8],
}

/// Runs one request; sets `sever_connection` when a drop_after_commit fault applies.
async fn process(
    emulator: &Emulator,
    request: ApiRequest<'_>,
    record: &mut RequestRecord,
    sever_connection: &mut bool,
) -> Result<Value, ApiError> {
    let ApiRequest {
        operation,
        method,
        uri,
        headers,
        body,
    } = request;
    let credential = sigv4::verify(headers, &emulator.config.region)?;
    record.access_key_id = Some(credential.access_key_id);

    let Some(operation) = operation else {
        return Err(ApiError::new(
            ErrorKind::UnknownOperation,
            format!("No EKS operation matches {method} {}.", uri.path()),
        ));
    };
    let name = operation.name();

    let delay = emulator.lock().faults.take_latency(name);
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }

    let failure = emulator.lock().faults.take_failure(name);
    match failure {
        Some(Failure::Throttle) => {
            return Err(ApiError::new(ErrorKind::Throttling, "Rate exceeded"));
        }
        Some(Failure::ServerError) => {
            return Err(ApiError::new(
                ErrorKind::Server,
                "An internal error occurred (injected fault).",
            ));
        }
        Some(Failure::DropAfterCommit) => *sever_connection = true,
        None => {}
    }

    let query = parse_query(uri.query().unwrap_or_default());
    let cluster = operation.cluster();
    let result = execute(&mut emulator.lock(), operation, &query, body);
    result.map_err(|error| attach_cluster(error, cluster.as_deref()))
}

/// The EKS error shapes carry `clusterName`; fill it in for errors about a named cluster.
fn attach_cluster(mut error: ApiError, cluster: Option<&str>) -> ApiError {
    let carries_cluster = !matches!(
        error.kind,
        ErrorKind::NotFound | ErrorKind::BadRequest | ErrorKind::Serialization
    );
    if carries_cluster && error.cluster_name.is_none() {
        error.cluster_name = cluster.map(str::to_owned);
    }
    error
}

fn execute(
    inner: &mut Inner,
    operation: Operation,
    query: &[(String, String)],
    body: &[u8],
) -> Result<Value, ApiError> {
    let Inner { world, faults, .. } = inner;
    match operation {
        Operation::CreateCluster => {
            let cluster = world.create_cluster(parse_body(body)?)?;
            Ok(json!({ "cluster": cluster }))
        }
        Operation::ListClusters => world.list_clusters(query),
        Operation::DescribeCluster { cluster } => {
            Ok(json!({ "cluster": world.describe_cluster(&cluster)? }))
        }
        Operation::DeleteCluster { cluster } => {
            Ok(json!({ "cluster": world.delete_cluster(&cluster)? }))
        }
        Operation::CreatePodIdentityAssociation { cluster } => {
            let association = world.create_association(&cluster, parse_body(body)?, faults)?;
            Ok(json!({ "association": association }))
        }
        Operation::ListPodIdentityAssociations { cluster } => {
            world.list_associations(&cluster, query)
        }
        Operation::DescribePodIdentityAssociation {
            cluster,
            association_id,
        } => {
            let association = world.describe_association(&cluster, &association_id)?;
            Ok(json!({ "association": association }))
        }
        Operation::UpdatePodIdentityAssociation {
            cluster,
            association_id,
        } => {
            let association =
                world.update_association(&cluster, &association_id, parse_body(body)?, faults)?;
            Ok(json!({ "association": association }))
        }
        Operation::DeletePodIdentityAssociation {
            cluster,
            association_id,
        } => {
            let association = world.delete_association(&cluster, &association_id)?;
            Ok(json!({ "association": association }))
        }
        Operation::TagResource { arn } => {
            world.tag_resource(&arn, parse_body(body)?)?;
            Ok(json!({}))
        }
        Operation::UntagResource { arn } => {
            let keys: Vec<String> = query
                .iter()
                .filter(|(key, _)| key == "tagKeys")
                .map(|(_, value)| value.clone())
                .collect();
            world.untag_resource(&arn, &keys)?;
            Ok(json!({}))
        }
        Operation::ListTagsForResource { arn } => Ok(json!({ "tags": world.list_tags(&arn)? })),
    }
}

/// Parses a JSON request body; an empty body is an empty object.
pub fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|err| {
        ApiError::serialization(format!("The request body could not be parsed: {err}."))
    })
}
