//! The layers every EKS API request passes, outermost first: the request log, the SigV4 check,
//! injected faults. They run after routing, so they know the operation; unknown paths pass the
//! first two as well.

use std::sync::Arc;
use std::time::SystemTime;

use axum::body::Body;
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{MatchedPath, RawPathParams, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use super::cluster_of_arn;
use crate::connection::ConnectionControl;
use crate::credentials;
use crate::error::{ApiError, ErrorKind};
use crate::faults::Failure;
use crate::operation::Operation;
use crate::request_log::RequestRecord;
use crate::sigv4::{self, Authorization, SignedRequest};
use crate::state::Emulator;

/// The most body the SigV4 check reads (axum's own default limit).
const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// Who signed a request, as far as its `Authorization` header could be read.
#[derive(Debug, Clone)]
struct SigningScope {
    access_key_id: String,
    region: String,
}

/// Set on a response whose connection must be dropped instead of answered.
#[derive(Debug, Clone, Copy)]
struct DropConnection;

/// Logs every request with how it was answered, and gives every answer a request id.
pub async fn log_request(
    State(emulator): State<Arc<Emulator>>,
    params: Result<RawPathParams, axum::extract::rejection::RawPathParamsRejection>,
    mut request: Request,
    next: Next,
) -> Response {
    let seq = emulator.next_request_seq();
    let operation = request
        .extensions()
        .get::<MatchedPath>()
        .and_then(|matched| Operation::identify(request.method(), matched.as_str()));
    let cluster = operation.and_then(|_| {
        params.ok()?.iter().find_map(|(key, value)| match key {
            "name" => Some(value.to_owned()),
            "resourceArn" => cluster_of_arn(value),
            _ => None,
        })
    });
    let mut record = RequestRecord {
        seq,
        operation: operation.map_or("Unknown", Operation::name).to_owned(),
        method: request.method().to_string(),
        path: request.uri().path().to_owned(),
        query: request.uri().query().unwrap_or_default().to_owned(),
        status: 0,
        error_type: None,
        access_key_id: None,
        region: None,
        cluster,
    };
    if let Some(operation) = operation {
        request.extensions_mut().insert(operation);
    }
    let connection = request
        .extensions()
        .get::<ConnectInfo<ConnectionControl>>()
        .map(|ConnectInfo(connection)| connection.clone());

    let mut response = next.run(request).await;

    if let Ok(request_id) = HeaderValue::from_str(&Uuid::new_v4().to_string()) {
        response
            .headers_mut()
            .insert("x-amzn-RequestId", request_id);
    }
    record.status = response.status().as_u16();
    record.error_type = response
        .headers()
        .get("x-amzn-ErrorType")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    if let Some(scope) = response.extensions().get::<SigningScope>() {
        record.access_key_id = Some(scope.access_key_id.clone());
        record.region = Some(scope.region.clone());
    }
    emulator.lock().log.push(record);
    // Only now, with the request logged: the client sees the dropped connection right away.
    if response.extensions().get::<DropConnection>().is_some() {
        if let Some(connection) = connection {
            connection.sever();
        }
    }
    response
}

/// Lets through only requests signed with credentials the emulator knows.
pub async fn check_signature(
    State(emulator): State<Arc<Emulator>>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(body) => body,
        Err(err) => {
            let message = format!("The request body could not be read: {err}.");
            return ApiError::serialization(message).into_response();
        }
    };
    let authorization = match sigv4::parse(&parts.headers) {
        Ok(authorization) => authorization,
        Err(error) => return error.into_response(),
    };
    let scope = SigningScope {
        access_key_id: authorization.access_key_id.clone(),
        region: authorization.region.clone(),
    };
    let signed = SignedRequest {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query(),
        headers: &parts.headers,
        body: &body,
    };
    let verified = authenticate(&emulator, &authorization, signed).await;
    let mut response = match verified {
        Ok(()) => next.run(Request::from_parts(parts, Body::from(body))).await,
        Err(error) => error.into_response(),
    };
    response.extensions_mut().insert(scope);
    response
}

async fn authenticate(
    emulator: &Emulator,
    authorization: &Authorization,
    request: SignedRequest<'_>,
) -> Result<(), ApiError> {
    let region = &emulator.config.region;
    let time = sigv4::check_scope(authorization, request.headers, region, SystemTime::now())?;
    let key = &authorization.access_key_id;
    let mut known = emulator.lock().credentials.get(key).cloned();
    if let (None, Some(sts)) = (&known, &emulator.config.sts_endpoint) {
        let issued = credentials::issued_by(sts).await.map_err(|err| {
            ApiError::new(
                ErrorKind::Server,
                format!(
                    "The emulator could not look up access key {key} at its STS endpoint: {err}."
                ),
            )
        })?;
        let mut inner = emulator.lock();
        inner.credentials.learn(issued);
        known = inner.credentials.get(key).cloned();
    }
    sigv4::verify(authorization, known.as_ref(), request, time)
}

/// Applies the first matching latency fault, then the first matching failure fault.
pub async fn inject_faults(
    State(emulator): State<Arc<Emulator>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(operation) = request.extensions().get::<Operation>().copied() else {
        return next.run(request).await;
    };
    let name = operation.name();
    let delay = emulator.lock().faults.take_latency(name);
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    let failure = emulator.lock().faults.take_failure(name);
    match failure {
        Some(Failure::Throttle) => {
            ApiError::new(ErrorKind::Throttling, "Rate exceeded").into_response()
        }
        Some(Failure::ServerError) => ApiError::new(
            ErrorKind::Server,
            "An internal error occurred (injected fault).",
        )
        .into_response(),
        Some(Failure::DropAfterCommit) => {
            let mut response = next.run(request).await;
            response.extensions_mut().insert(DropConnection);
            response
        }
        None => next.run(request).await,
    }
}
