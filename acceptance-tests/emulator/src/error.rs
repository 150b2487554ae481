//! EKS and EKS Auth API errors in the rest-json wire shape: status code, `x-amzn-ErrorType` header
//! and a JSON body with `__type` and `message` (plus the context members the EKS model defines,
//! e.g. `clusterName`; the EKS Auth errors carry only `message`).

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

/// The error types the emulator can return, each with the status the real service uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    ResourceNotFound,
    ResourceInUse,
    InvalidParameter,
    InvalidRequest,
    ResourceLimitExceeded,
    Throttling,
    Server,
    /// Tag operations use the generic `NotFoundException` / `BadRequestException` pair.
    NotFound,
    BadRequest,
    Serialization,
    UnknownOperation,
    MissingAuthenticationToken,
    IncompleteSignature,
    InvalidSignature,
    /// The access key id is unknown, or the session token does not belong to it.
    UnrecognizedClient,
    // The EKS Auth API's own errors (botocore model eks-auth 2023-11-26: AccessDeniedException,
    // InvalidTokenException and ExpiredTokenException are 400, InternalServerException 500).
    AccessDenied,
    InvalidToken,
    ExpiredToken,
    InternalServer,
}

impl ErrorKind {
    pub fn status(self) -> StatusCode {
        match self {
            ErrorKind::ResourceNotFound | ErrorKind::NotFound | ErrorKind::UnknownOperation => {
                StatusCode::NOT_FOUND
            }
            ErrorKind::ResourceInUse => StatusCode::CONFLICT,
            ErrorKind::InvalidParameter
            | ErrorKind::InvalidRequest
            | ErrorKind::ResourceLimitExceeded
            | ErrorKind::BadRequest
            | ErrorKind::Serialization
            | ErrorKind::AccessDenied
            | ErrorKind::InvalidToken
            | ErrorKind::ExpiredToken => StatusCode::BAD_REQUEST,
            ErrorKind::Throttling => StatusCode::TOO_MANY_REQUESTS,
            ErrorKind::Server | ErrorKind::InternalServer => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorKind::MissingAuthenticationToken
            | ErrorKind::IncompleteSignature
            | ErrorKind::InvalidSignature
            | ErrorKind::UnrecognizedClient => StatusCode::FORBIDDEN,
        }
    }

    /// The bare error type, as sent in `x-amzn-ErrorType`.
    pub fn type_name(self) -> &'static str {
        match self {
            ErrorKind::ResourceNotFound => "ResourceNotFoundException",
            ErrorKind::ResourceInUse => "ResourceInUseException",
            ErrorKind::InvalidParameter => "InvalidParameterException",
            ErrorKind::InvalidRequest => "InvalidRequestException",
            ErrorKind::ResourceLimitExceeded => "ResourceLimitExceededException",
            ErrorKind::Throttling => "ThrottlingException",
            ErrorKind::Server => "ServerException",
            ErrorKind::NotFound => "NotFoundException",
            ErrorKind::BadRequest => "BadRequestException",
            ErrorKind::Serialization => "SerializationException",
            ErrorKind::UnknownOperation => "UnknownOperationException",
            ErrorKind::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            ErrorKind::IncompleteSignature => "IncompleteSignatureException",
            ErrorKind::InvalidSignature => "InvalidSignatureException",
            ErrorKind::UnrecognizedClient => "UnrecognizedClientException",
            ErrorKind::AccessDenied => "AccessDeniedException",
            ErrorKind::InvalidToken => "InvalidTokenException",
            ErrorKind::ExpiredToken => "ExpiredTokenException",
            ErrorKind::InternalServer => "InternalServerException",
        }
    }
}

/// One error response.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}: {message}", kind.type_name())]
pub struct ApiError {
    pub kind: ErrorKind,
    pub message: String,
    pub cluster_name: Option<String>,
    pub association_id: Option<String>,
    pub addon_name: Option<String>,
}

impl ApiError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ApiError {
            kind,
            message: message.into(),
            cluster_name: None,
            association_id: None,
            addon_name: None,
        }
    }

    pub fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidParameter, message)
    }

    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidRequest, message)
    }

    pub fn serialization(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Serialization, message)
    }

    pub fn cluster_not_found(cluster: &str) -> Self {
        Self::new(
            ErrorKind::ResourceNotFound,
            format!("No cluster found for name: {cluster}."),
        )
        .with_cluster(cluster)
    }

    pub fn association_not_found(cluster: &str, association_id: &str) -> Self {
        Self::new(
            ErrorKind::ResourceNotFound,
            format!("No Pod Identity Association found for id: {association_id}."),
        )
        .with_cluster(cluster)
        .with_association(association_id)
    }

    /// DescribeAddon and friends on an add-on the cluster does not have. Wording from the EKS
    /// user guide ("No addon: name-of-addon found in cluster: my-cluster").
    pub fn addon_not_found(cluster: &str, addon_name: &str) -> Self {
        Self::new(
            ErrorKind::ResourceNotFound,
            format!("No addon: {addon_name} found in cluster: {cluster}"),
        )
        .with_cluster(cluster)
        .with_addon(addon_name)
    }

    pub fn with_addon(mut self, addon_name: &str) -> Self {
        self.addon_name = Some(addon_name.to_owned());
        self
    }

    pub fn with_cluster(mut self, cluster: &str) -> Self {
        self.cluster_name = Some(cluster.to_owned());
        self
    }

    pub fn with_association(mut self, association_id: &str) -> Self {
        self.association_id = Some(association_id.to_owned());
        self
    }

    pub fn body(&self) -> Value {
        let mut body = Map::new();
        body.insert("__type".into(), json!(self.kind.type_name()));
        body.insert("message".into(), json!(self.message));
        if let Some(cluster) = &self.cluster_name {
            body.insert("clusterName".into(), json!(cluster));
        }
        if let Some(id) = &self.association_id {
            body.insert("associationId".into(), json!(id));
        }
        if let Some(addon) = &self.addon_name {
            body.insert("addonName".into(), json!(addon));
        }
        Value::Object(body)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.kind.status(), axum::Json(self.body())).into_response();
        response.headers_mut().insert(
            "x-amzn-ErrorType",
            HeaderValue::from_static(self.kind.type_name()),
        );
        response
    }
}
