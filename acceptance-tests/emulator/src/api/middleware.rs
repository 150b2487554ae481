//! The layers every EKS API request passes, outermost first: the request log, the SigV4 check
//! (which leaves the region the request was signed for in its extensions, [`SignedRegion`]),
//! injected faults. They run after routing, so they know the operation; unknown paths pass the
//! first two as well.

use std::convert::Infallible;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{MatchedPath, RawPathParams, Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use super::cluster_of_arn;
use crate::connection::ConnectionControl;
use crate::credentials;
use crate::error::{ApiError, ErrorKind};
use crate::faults::Failure;
use crate::operation::Operation;
use crate::regions::SignedRegion;
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

/// Where the signature layer leaves who signed a request, for the request log.
#[derive(Debug, Clone, Default)]
struct SigningScopeSlot(Arc<OnceLock<SigningScope>>);

/// A request's log record until the request is answered. Logged with the answer's status by
/// [`PendingRecord::finish`]; logged with status 0 when dropped unfinished, which happens when
/// the client goes away before any answer was sent (hyper then drops the request's future): a
/// `black_hole` fault, or a client that gave up during a `latency` fault.
struct PendingRecord {
    emulator: Arc<Emulator>,
    record: Option<RequestRecord>,
    scope: SigningScopeSlot,
}

impl PendingRecord {
    fn finish(mut self, response: &Response) {
        if let Some(record) = self.record.as_mut() {
            record.status = response.status().as_u16();
            record.error_type = response
                .headers()
                .get("x-amzn-ErrorType")
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned);
        }
        // Dropping logs it.
    }
}

impl Drop for PendingRecord {
    fn drop(&mut self) {
        if let Some(mut record) = self.record.take() {
            if let Some(scope) = self.scope.0.get() {
                record.access_key_id = Some(scope.access_key_id.clone());
                record.region = Some(scope.region.clone());
            }
            self.emulator.lock().log.push(record);
        }
    }
}

/// Logs every request with how it was answered (status 0: not answered, the client went away
/// first), and gives every answer a request id.
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
    let scope = SigningScopeSlot::default();
    let pending = PendingRecord {
        emulator,
        record: Some(RequestRecord {
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
        }),
        scope: scope.clone(),
    };
    request.extensions_mut().insert(scope);
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
    pending.finish(&response);
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
    let (mut parts, body) = request.into_parts();
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
    if let Some(slot) = parts.extensions.get::<SigningScopeSlot>() {
        let _ = slot.0.set(SigningScope {
            access_key_id: authorization.access_key_id.clone(),
            region: authorization.region.clone(),
        });
    }
    let signed = SignedRequest {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query(),
        headers: &parts.headers,
        body: &body,
    };
    // Each operation's service: `eks`, or `eks-auth` for the EKS Auth API; unknown paths `eks`.
    let service = parts
        .extensions
        .get::<Operation>()
        .map_or(sigv4::SERVICE, |operation| operation.signing_name());
    let verified = authenticate(&emulator, &authorization, service, signed).await;
    match verified {
        Ok(()) => {
            parts.extensions.insert(SignedRegion(authorization.region));
            next.run(Request::from_parts(parts, Body::from(body))).await
        }
        Err(error) => error.into_response(),
    }
}

async fn authenticate(
    emulator: &Emulator,
    authorization: &Authorization,
    service: &str,
    request: SignedRequest<'_>,
) -> Result<(), ApiError> {
    let now = SystemTime::now();
    let time = sigv4::check_scope(authorization, request.headers, service, now)?;
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

/// Applies the first latency fault that applies, then the first failure fault that applies.
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
            operation.server_error_kind(),
            "An internal error occurred (injected fault).",
        )
        .into_response(),
        Some(Failure::DropAfterCommit) => {
            let mut response = next.run(request).await;
            response.extensions_mut().insert(DropConnection);
            response
        }
        // The request (its body read in full by the signature check) is neither executed nor
        // answered. hyper watches the idle connection and drops this future when the client
        // closes it; the request log records the request then.
        Some(Failure::BlackHole) => std::future::pending().await,
        Some(Failure::Trickle(interval)) => trickle(next.run(request).await, interval).await,
        None => next.run(request).await,
    }
}

/// The response with its status and headers as they are, and its body sent one byte per
/// `interval` (the pause comes before each byte). `content-length` tells the client how much
/// is still to come.
async fn trickle(response: Response, interval: Duration) -> Response {
    let (mut parts, body) = response.into_parts();
    let body = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(body) => body,
        Err(err) => {
            let message = format!("The response body could not be read: {err}.");
            return ApiError::new(ErrorKind::Server, message).into_response();
        }
    };
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    let bytes = futures::stream::unfold(0, move |sent| {
        let body = body.clone();
        async move {
            if sent == body.len() {
                return None;
            }
            tokio::time::sleep(interval).await;
            let byte = body.slice(sent..=sent);
            Some((Ok::<_, Infallible>(byte), sent + 1))
        }
    });
    Response::from_parts(parts, Body::from_stream(bytes))
}
