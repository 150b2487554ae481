//! Extractors that answer in EKS's error shapes: path labels, JSON bodies (whatever the
//! content type, as the real endpoint does) and query strings with repeated keys.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use percent_encoding::percent_decode_str;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::world::PageRequest;

/// Path labels, percent-decoded.
pub struct Label<T>(pub T);

impl<S, T> FromRequestParts<S> for Label<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(labels)| Label(labels))
            .map_err(|rejection| {
                ApiError::invalid_parameter(format!("The request path is not valid: {rejection}."))
            })
    }
}

/// A JSON request body; an empty body is an empty object.
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let body = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                ApiError::serialization(format!("The request body could not be read: {rejection}."))
            })?;
        parse_body(&body).map(JsonBody)
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

/// The query string as decoded pairs, keeping repeated keys (`tagKeys=a&tagKeys=b`).
pub struct QueryParams(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryParams {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(QueryParams(parse_query(
            parts.uri.query().unwrap_or_default(),
        )))
    }
}

impl QueryParams {
    /// The first value of a query parameter.
    pub fn value(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// `maxResults` and `nextToken`.
    pub fn page(&self) -> PageRequest<'_> {
        PageRequest {
            max_results: self.value("maxResults"),
            next_token: self.value("nextToken").filter(|t| !t.is_empty()),
        }
    }

    /// Every value of a repeated query parameter.
    pub fn values(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// `key=value&…` pairs, decoded as forms are (`+` is a space), in order.
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    let decode = |s: &str| {
        percent_decode_str(&s.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(key), decode(value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_repeated_query_keys() {
        let query = QueryParams(parse_query("tagKeys=a&tagKeys=b%20c&x"));
        assert_eq!(query.0.len(), 3);
        assert_eq!(query.values("tagKeys"), ["a", "b c"]);
        assert_eq!(query.value("x"), Some(""));
    }

    #[test]
    fn empty_bodies_are_empty_objects() {
        let parsed: serde_json::Value = parse_body(b" \n").expect("empty body");
        assert_eq!(parsed, serde_json::json!({}));
        assert!(parse_body::<serde_json::Value>(b"{not json").is_err());
    }
}
