//! A fault proxy for AWS Query-protocol endpoints (IAM and STS, which moto serves in the tests):
//! it forwards every request unchanged and, for the actions it is told to, lets the endpoint
//! execute the request and then closes the client's connection without an answer. That is how
//! a test loses the answer to a call that has no idempotency token (IAM's `CreateRole`) after
//! the endpoint committed it.
//!
//! It lives in this crate because it is served exactly as the emulator is: on the listener whose
//! connections a handler can sever after the work is done (`drop_after_commit`), on a thread
//! with a runtime of its own, so that sync tests can own it. Both stay private to the crate.
//!
//! Forwarding keeps the method, path, query string, headers (`Host` included, as the client
//! sent it) and body, so SigV4 signatures stay valid; only hop-by-hop headers are left out.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::body::{Body, Bytes};
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, StatusCode, Uri, Version};
use axum::response::{IntoResponse, Response};
use axum::Router;

use crate::api::parse_query;
use crate::connection::ConnectionControl;
use crate::handle::{serve_severable, ServerThread};
use crate::http;
use crate::sigv4;

/// The largest request body forwarded (IAM's largest documents are far smaller).
const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// Headers about one connection, not the request: neither forwarded nor answered.
const HOP_BY_HOP: [HeaderName; 7] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
];

/// One request the proxy forwarded, in the order the endpoint answered them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxiedRequest {
    /// The signing service of the SigV4 credential scope (`iam`, `sts`); `None` when the
    /// request carries no readable `Authorization` header.
    pub service: Option<String>,
    /// The Query action (`CreateRole`), from the form body or the query string; `None` when
    /// the request names none.
    pub action: Option<String>,
    /// The endpoint's status; `None` when the endpoint could not be reached (the client got a
    /// 502 from the proxy).
    pub status: Option<u16>,
    /// The endpoint executed the request and the client got no answer: its connection was
    /// closed instead.
    pub dropped: bool,
}

/// The answers of `action` to drop: `remaining` more, or all (`None`).
#[derive(Debug, Clone)]
struct DropRule {
    action: String,
    remaining: Option<u32>,
}

#[derive(Debug, Default)]
struct Inner {
    rules: Vec<DropRule>,
    requests: Vec<ProxiedRequest>,
}

#[derive(Debug)]
struct Proxy {
    upstream: String,
    agent: ureq::Agent,
    inner: Mutex<Inner>,
}

impl Proxy {
    /// Nothing the lock guards can be left half changed.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Inner {
    /// Whether to drop the answer to a request of `action` (consumes one count of the first
    /// rule for it).
    fn take_drop(&mut self, action: Option<&str>) -> bool {
        let Some(action) = action else {
            return false;
        };
        let Some(index) = self.rules.iter().position(|rule| rule.action == action) else {
            return false;
        };
        if let Some(remaining) = self.rules[index].remaining.as_mut() {
            *remaining -= 1;
            if *remaining == 0 {
                self.rules.remove(index);
            }
        }
        true
    }
}

/// A running fault proxy on 127.0.0.1 (port chosen by the OS) in front of one endpoint. Runs
/// on its own thread with its own tokio runtime; stops on drop. Without drop rules it forwards
/// everything and answers everything.
#[derive(Debug)]
pub struct FaultProxy {
    proxy: Arc<Proxy>,
    server: ServerThread,
}

impl FaultProxy {
    /// A proxy in front of `upstream` (`http://HOST:PORT`, e.g. moto's URL); it accepts
    /// connections when this returns.
    pub fn start(upstream: &str) -> std::io::Result<FaultProxy> {
        let upstream = upstream.trim_end_matches('/');
        if upstream
            .parse::<Uri>()
            .map_or(true, |uri| uri.scheme_str() != Some("http"))
        {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("the proxy's upstream must be an http:// URL, not {upstream:?}"),
            ));
        }
        let proxy = Arc::new(Proxy {
            upstream: upstream.to_owned(),
            agent: http::agent(),
            inner: Mutex::default(),
        });
        let app = Router::new().fallback(forward).with_state(proxy.clone());
        let server = ServerThread::start("fault-proxy", move |listener, shutdown| {
            serve_severable(listener, app, shutdown)
        })?;
        Ok(FaultProxy { proxy, server })
    }

    /// `http://127.0.0.1:PORT`, the URL clients use instead of the upstream's.
    pub fn url(&self) -> &str {
        self.server.url()
    }

    /// The endpoint requests are forwarded to.
    pub fn upstream(&self) -> &str {
        &self.proxy.upstream
    }

    /// Drops the answers to the next `count` requests of `action` (e.g. `CreateRole`); 0
    /// drops none. Rules for the same action are used up in the order they were added.
    pub fn drop_next(&self, action: &str, count: u32) {
        if count > 0 {
            self.add_rule(action, Some(count));
        }
    }

    /// Drops the answer to every request of `action` from now on, until [`Self::clear_drops`].
    pub fn drop_every(&self, action: &str) {
        self.add_rule(action, None);
    }

    fn add_rule(&self, action: &str, remaining: Option<u32>) {
        let action = action.to_owned();
        self.proxy.lock().rules.push(DropRule { action, remaining });
    }

    /// Removes every drop rule: every answer gets through again.
    pub fn clear_drops(&self) {
        self.proxy.lock().rules.clear();
    }

    /// Every request forwarded since the start or the last [`Self::clear_requests`], in the
    /// order the endpoint answered them.
    pub fn requests(&self) -> Vec<ProxiedRequest> {
        self.proxy.lock().requests.clone()
    }

    /// The forwarded requests whose answers were dropped.
    pub fn dropped(&self) -> Vec<ProxiedRequest> {
        let mut requests = self.requests();
        requests.retain(|request| request.dropped);
        requests
    }

    pub fn clear_requests(&self) {
        self.proxy.lock().requests.clear();
    }
}

/// The `Action` of an AWS Query request: from its form body, else from its query string.
pub fn query_action(body: &[u8], query: Option<&str>) -> Option<String> {
    let form = std::str::from_utf8(body).unwrap_or_default();
    [form, query.unwrap_or_default()]
        .into_iter()
        .flat_map(parse_query)
        .find_map(|(key, value)| (key == "Action" && !value.is_empty()).then_some(value))
}

/// Why a request could not be forwarded.
#[derive(Debug, thiserror::Error)]
enum ForwardError {
    #[error("the request body could not be read: {0}")]
    Body(#[source] axum::Error),
    #[error("the request cannot be forwarded: {0}")]
    Request(#[from] axum::http::Error),
    #[error("{upstream} did not answer: {source}")]
    Upstream {
        upstream: String,
        #[source]
        source: ureq::Error,
    },
    #[error("the forwarding task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

impl IntoResponse for ForwardError {
    fn into_response(self) -> Response {
        let status = match self {
            ForwardError::Body(_) => StatusCode::BAD_REQUEST,
            _ => StatusCode::BAD_GATEWAY,
        };
        (status, format!("fault proxy: {self}")).into_response()
    }
}

/// Every request: forward, record, and answer or drop.
async fn forward(
    State(proxy): State<Arc<Proxy>>,
    ConnectInfo(connection): ConnectInfo<ConnectionControl>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let service = sigv4::parse(&parts.headers).ok().map(|auth| auth.service);
    let body = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(body) => body,
        Err(err) => return ForwardError::Body(err).into_response(),
    };
    let action = query_action(&body, parts.uri.query());
    let answer = exchange(&proxy, parts, body).await;
    let mut inner = proxy.lock();
    let dropped = answer.is_ok() && inner.take_drop(action.as_deref());
    inner.requests.push(ProxiedRequest {
        service,
        action,
        status: answer
            .as_ref()
            .ok()
            .map(|response| response.status().as_u16()),
        dropped,
    });
    drop(inner);
    if dropped {
        // Every write fails from now on: hyper closes the connection without answering.
        connection.sever();
    }
    answer.unwrap_or_else(IntoResponse::into_response)
}

/// The upstream's answer to the request, forwarded as it came.
async fn exchange(
    proxy: &Proxy,
    parts: axum::http::request::Parts,
    body: Bytes,
) -> Result<Response, ForwardError> {
    let path_and_query = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
    let uri: Uri = format!("{}{path_and_query}", proxy.upstream)
        .parse()
        .map_err(axum::http::Error::from)?;
    let mut request = axum::http::Request::builder()
        .method(parts.method)
        .uri(uri)
        .version(Version::HTTP_11)
        .body(body.to_vec())?;
    *request.headers_mut() = parts.headers;
    // The body is whole now; the client sets its length.
    without_hop_by_hop(request.headers_mut()).remove(header::CONTENT_LENGTH);

    let agent = proxy.agent.clone();
    let upstream = proxy.upstream.clone();
    let answer = tokio::task::spawn_blocking(move || {
        let mut response = agent.run(request)?;
        let body = response.body_mut().read_to_vec()?;
        Ok((response.status(), response.headers().clone(), body))
    })
    .await?;
    let (status, mut headers, body) =
        answer.map_err(|source| ForwardError::Upstream { upstream, source })?;
    without_hop_by_hop(&mut headers).remove(header::CONTENT_LENGTH);
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    Ok(response)
}

fn without_hop_by_hop(headers: &mut HeaderMap) -> &mut HeaderMap {
    for name in &HOP_BY_HOP {
        headers.remove(name);
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_action_comes_from_the_form_body_or_the_query_string() {
        let form = b"Action=CreateRole&Version=2010-05-08&RoleName=a%2Bb";
        assert_eq!(query_action(form, None).as_deref(), Some("CreateRole"));
        assert_eq!(
            query_action(b"", Some("Version=2011-06-15&Action=GetCallerIdentity")).as_deref(),
            Some("GetCallerIdentity")
        );
        assert_eq!(
            query_action(b"Action=ListRoles", Some("Action=GetRole")).as_deref(),
            Some("ListRoles"),
            "the body first"
        );
        assert_eq!(
            query_action(b"Act%69on=Tag%52ole", None).as_deref(),
            Some("TagRole"),
            "percent-decoded"
        );
        assert_eq!(
            query_action(br#"{"name":"c1"}"#, Some("maxResults=5")),
            None
        );
        assert_eq!(query_action(b"Action=", None), None);
        assert_eq!(
            query_action(&[0xff, 0xfe], Some("Action=ListRoles")).as_deref(),
            Some("ListRoles")
        );
    }

    #[test]
    fn drop_rules_are_used_up_in_order() {
        let mut inner = Inner::default();
        let rule = |action: &str, remaining| DropRule {
            action: action.to_owned(),
            remaining,
        };
        inner.rules = vec![rule("CreateRole", Some(2)), rule("CreateRole", None)];
        assert!(!inner.take_drop(Some("GetRole")));
        assert!(!inner.take_drop(None));
        assert!(inner.take_drop(Some("CreateRole")));
        assert!(inner.take_drop(Some("CreateRole")));
        assert_eq!(inner.rules.len(), 1, "the first rule is used up");
        for _ in 0..10 {
            assert!(inner.take_drop(Some("CreateRole")), "the second never is");
        }
    }

    #[test]
    fn the_upstream_must_be_a_plain_http_url() {
        for bad in ["https://127.0.0.1:1", "127.0.0.1:1", "not a url"] {
            let err = FaultProxy::start(bad).expect_err(bad);
            assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{bad}");
        }
    }
}
