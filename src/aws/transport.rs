//! What sits under every AWS client: the HTTP layer, the timeouts, the clock the retries sleep
//! on, and how a non-AWS answer is classified.
//!
//! - A request is abandoned as soon as Terraform asks the provider to stop, unless it belongs
//!   to a recovery lookup ([`recovering`]), which has a short deadline of its own instead.
//! - A refused connection fails at once, naming the endpoint: nothing listens there, and retrying
//!   for minutes (what the SDK does with connection errors) only hides that.
//! - Every answer carries the URL it came from ([`REQUEST_URL_HEADER`]), so that an answer that
//!   is not AWS's can name the endpoint that gave it.
//! - Retries sleep on a clock that wakes up when Terraform asks the provider to stop.

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::time::Duration;

use aws_smithy_async::rt::sleep::{AsyncSleep, SharedAsyncSleep, Sleep};
use aws_smithy_http_client::proxy::{ProxyConfig, ProxyError};
use aws_smithy_http_client::tls::{
    rustls_provider::CryptoMode, Provider as TlsProvider, TlsContext, TrustStore,
};
use aws_smithy_http_client::Connector;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::interceptors::context::InterceptorContext;
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::retries::classifiers::{
    ClassifyRetry, RetryAction, RetryClassifierPriority,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::timeout::TimeoutConfig;

use crate::lifecycle::{self, stop_signal};

/// The response header that carries the URL a request was sent to. Set by this layer only.
pub const REQUEST_URL_HEADER: &str = "x-podidentity-request-url";

/// Connecting to an endpoint may take this long.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// One attempt (connect, send, wait for and read the answer) may take this long. AWS answers
/// the calls this provider makes in well under a second.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);
/// All attempts of one operation together, retries and their waits included. Enough for
/// `max_retries = 25` with the SDK's backoff (20 s at most between attempts).
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// How long a recovery lookup may take once Terraform has asked the provider to stop.
pub const RECOVERY_DEADLINE: Duration = Duration::from_secs(20);

tokio::task_local! {
    static RECOVERING: ();
}

/// Runs `lookup` as a recovery lookup: its requests are not abandoned when Terraform asks the
/// provider to stop (the object may exist and must be recorded); it gets [`RECOVERY_DEADLINE`]
/// instead. `None` when the deadline passed.
pub async fn recovering<T>(lookup: impl Future<Output = T>) -> Option<T> {
    RECOVERING
        .scope((), tokio::time::timeout(RECOVERY_DEADLINE, lookup))
        .await
        .ok()
}

fn is_recovering() -> bool {
    RECOVERING.try_with(|_| ()).is_ok()
}

/// The timeouts of every client.
pub fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .build()
}

/// The clock the SDK's retries sleep on.
pub fn sleep() -> SharedAsyncSleep {
    SharedAsyncSleep::new(StoppableSleep)
}

#[derive(Debug)]
struct StoppableSleep;

impl AsyncSleep for StoppableSleep {
    fn sleep(&self, duration: Duration) -> Sleep {
        // The SDK times its timeouts with this clock too: a recovery lookup keeps real ones.
        if is_recovering() {
            return Sleep::new(tokio::time::sleep(duration));
        }
        // A stop ends the wait; the next attempt is then abandoned at once.
        Sleep::new(async move {
            let _ = lifecycle::sleep(duration).await;
        })
    }
}

/// Where requests go and whom they trust: `custom_ca_bundle`, `http_proxy`, `https_proxy` and
/// `no_proxy`, each already resolved from the provider block or the environment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HttpSettings {
    /// PEM certificates trusted for HTTPS endpoints, besides the system's.
    pub ca_bundle: Option<Vec<u8>>,
    pub http_proxy: Option<String>,
    pub https_proxy: Option<String>,
    pub no_proxy: Option<String>,
}

/// The HTTP client every AWS client uses: rustls with the system's roots and the CA bundle, and
/// one proxy for `http://` endpoints and another for `https://` ones.
pub fn http_client(settings: &HttpSettings) -> Result<SharedHttpClient, String> {
    let mut trust = TrustStore::default();
    if let Some(pem) = &settings.ca_bundle {
        trust = trust.with_pem_certificate(pem.clone());
    }
    let tls = TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .map_err(|e| e.to_string())?;
    let proxy = |url: &Option<String>, make: fn(&str) -> Result<ProxyConfig, ProxyError>| match url
    {
        None => Ok(ProxyConfig::disabled()),
        Some(url) => {
            let config = make(url).map_err(|e| format!("proxy {url:?}: {e}"))?;
            Ok::<_, String>(match &settings.no_proxy {
                Some(rules) => config.no_proxy(rules),
                None => config,
            })
        }
    };
    let for_http = proxy(&settings.http_proxy, |u| ProxyConfig::http(u))?;
    let for_https = proxy(&settings.https_proxy, |u| ProxyConfig::https(u))?;
    let client = |proxy: ProxyConfig| {
        let tls = tls.clone();
        aws_smithy_http_client::Builder::new().build_with_connector_fn(
            move |connector_settings, components| {
                let mut builder = Connector::builder();
                builder.set_connector_settings(connector_settings.cloned());
                if let Some(components) = components {
                    builder.set_sleep_impl(components.sleep_impl());
                }
                builder
                    .proxy_config(proxy.clone())
                    .tls_provider(TlsProvider::Rustls(CryptoMode::Ring))
                    .tls_context(tls.clone())
                    .build()
            },
        )
    };
    Ok(SharedHttpClient::new(ByScheme {
        http: client(for_http),
        https: client(for_https),
    }))
}

/// One client for `http://` requests, another for the rest: each with its own proxy.
#[derive(Debug)]
struct ByScheme {
    http: SharedHttpClient,
    https: SharedHttpClient,
}

impl HttpClient for ByScheme {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(BySchemeConnector {
            http: self.http.http_connector(settings, components),
            https: self.https.http_connector(settings, components),
        })
    }
}

#[derive(Debug)]
struct BySchemeConnector {
    http: SharedHttpConnector,
    https: SharedHttpConnector,
}

impl HttpConnector for BySchemeConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        if request.uri().starts_with("http://") {
            self.http.call(request)
        } else {
            self.https.call(request)
        }
    }
}

/// `inner` with the behaviour described in the module documentation.
pub fn guarded(inner: SharedHttpClient) -> SharedHttpClient {
    SharedHttpClient::new(GuardedClient { inner })
}

#[derive(Debug)]
struct GuardedClient {
    inner: SharedHttpClient,
}

impl HttpClient for GuardedClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(GuardedConnector {
            inner: self.inner.http_connector(settings, components),
        })
    }
}

#[derive(Debug)]
struct GuardedConnector {
    inner: SharedHttpConnector,
}

impl HttpConnector for GuardedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let url = request.uri().to_string();
        let call = self.inner.call(request);
        // Read here, in the task that makes the call: the scope is task-local.
        let abandon_on_stop = !is_recovering();
        HttpConnectorFuture::new(async move {
            let answer = if abandon_on_stop {
                match stop_signal().unless_requested(call).await {
                    Ok(answer) => answer,
                    Err(lifecycle::Stopped) => {
                        return Err(ConnectorError::user(Box::new(Abandoned { url })));
                    }
                }
            } else {
                call.await
            };
            match answer {
                Ok(mut response) => {
                    let _ = response
                        .headers_mut()
                        .try_insert(REQUEST_URL_HEADER, url.clone());
                    Ok(response)
                }
                Err(err) if is_refused(&err) => {
                    Err(ConnectorError::user(Box::new(Refused { url, source: err })))
                }
                Err(err) if untrusted_certificate(&err).is_some() => {
                    let reason = untrusted_certificate(&err).unwrap_or_default();
                    Err(ConnectorError::user(Box::new(Untrusted {
                        url,
                        reason,
                        source: err,
                    })))
                }
                Err(err) if is_unresolvable(&err) => {
                    Err(ConnectorError::user(Box::new(Unresolvable {
                        url,
                        source: err,
                    })))
                }
                Err(err) => Err(err),
            }
        })
    }
}

/// The request was abandoned because Terraform asked the provider to stop.
#[derive(Debug)]
pub struct Abandoned {
    url: String,
}

impl fmt::Display for Abandoned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the request to {} was abandoned: Terraform asked the provider to stop",
            self.url
        )
    }
}

impl StdError for Abandoned {}

/// Nothing accepts connections at the endpoint.
#[derive(Debug)]
pub struct Refused {
    url: String,
    source: ConnectorError,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} refused the connection", endpoint_of(&self.url))
    }
}

impl StdError for Refused {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&self.source)
    }
}

/// The endpoint's host name does not exist in DNS (a mistyped region or endpoint): as definite
/// as a refused connection, so it fails at once instead of being retried for minutes.
#[derive(Debug)]
pub struct Unresolvable {
    url: String,
    source: ConnectorError,
}

impl fmt::Display for Unresolvable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} does not resolve: DNS knows no such name",
            endpoint_of(&self.url)
        )
    }
}

impl StdError for Unresolvable {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&self.source)
    }
}

/// The endpoint's TLS certificate is not trusted (a private certificate authority without
/// `custom_ca_bundle`, a TLS-inspecting proxy): the same answer every time, so not retried.
#[derive(Debug)]
pub struct Untrusted {
    url: String,
    reason: String,
    source: ConnectorError,
}

impl fmt::Display for Untrusted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the TLS certificate of {} is not trusted ({}): if a private certificate authority signs it, name its PEM file in custom_ca_bundle (or AWS_CA_BUNDLE)",
            endpoint_of(&self.url),
            self.reason
        )
    }
}

impl StdError for Untrusted {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&self.source)
    }
}

/// rustls's words for a peer certificate it refuses, from anywhere in the error chain.
fn untrusted_certificate(err: &ConnectorError) -> Option<String> {
    let mut next: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = next {
        let message = e.to_string();
        if let Some(at) = message.find("invalid peer certificate") {
            return Some(message[at..].to_string());
        }
        // io::Error's source() skips the error it wraps: look at that one too.
        next = match e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn StdError + 'static)),
            None => e.source(),
        };
    }
    None
}

/// getaddrinfo's answers for a name that does not exist (EAI_NONAME, EAI_NODATA), as the
/// resolver words them; a temporary failure ("Temporary failure in name resolution") is not one.
fn is_unresolvable(err: &ConnectorError) -> bool {
    let mut next: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = next {
        let message = e.to_string();
        if [
            "Name or service not known",
            "No address associated with hostname",
            "nodename nor servname provided",
        ]
        .iter()
        .any(|m| message.contains(m))
        {
            return true;
        }
        next = e.source();
    }
    false
}

/// `scheme://host:port` of a request URL.
pub fn endpoint_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(i) => &url[..after_scheme + i],
        None => url,
    }
}

fn is_refused(err: &ConnectorError) -> bool {
    let mut next: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = next {
        if e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
        {
            return true;
        }
        next = e.source();
    }
    false
}

/// What an answer is when it is not an AWS API answer (an HTML page from a proxy, a text
/// error page, garbage): `None` for an answer in AWS's JSON or XML shape. The body decides, not
/// the content type, which AWS-compatible endpoints do not always set right.
pub fn not_aws(response: &HttpResponse) -> Option<String> {
    let body = response.body().bytes().unwrap_or_default();
    let start: Vec<u8> = body
        .iter()
        .copied()
        .skip_while(u8::is_ascii_whitespace)
        .take(16)
        .map(|b| b.to_ascii_lowercase())
        .collect();
    if start.starts_with(b"<!doctype html") || start.starts_with(b"<html") {
        return Some("an HTML page".to_string());
    }
    if start.is_empty() || start.starts_with(b"{") || start.starts_with(b"<") {
        return None;
    }
    let content_type = response.headers().get("content-type").unwrap_or_default();
    let kind = if content_type.is_empty() {
        "no content type"
    } else {
        content_type
    };
    Some(format!("a body that is neither JSON nor XML ({kind})"))
}

/// Retrying an answer that is not AWS's helps only when it says the server is in trouble (5xx):
/// anything else is a wrong endpoint, answered the same way every time.
#[derive(Debug, Default)]
pub struct NotAwsClassifier;

impl ClassifyRetry for NotAwsClassifier {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        match ctx.response() {
            Some(response) if response.status().as_u16() < 500 && not_aws(response).is_some() => {
                RetryAction::RetryForbidden
            }
            _ => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "not an AWS answer"
    }

    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}

#[cfg(test)]
mod tests {
    use aws_smithy_types::body::SdkBody;

    use super::*;

    fn response(status: u16, content_type: &'static str, body: &'static str) -> HttpResponse {
        let mut response =
            HttpResponse::new(status.try_into().expect("status"), SdkBody::from(body));
        if !content_type.is_empty() {
            response.headers_mut().insert("content-type", content_type);
        }
        response
    }

    #[test]
    fn aws_answers_and_others() {
        assert_eq!(not_aws(&response(200, "application/json", "{}")), None);
        assert_eq!(
            not_aws(&response(400, "text/xml", "<ErrorResponse/>")),
            None
        );
        assert_eq!(not_aws(&response(200, "", "")), None);
        assert_eq!(
            not_aws(&response(503, "text/html", "<html>busy</html>")),
            Some("an HTML page".to_string())
        );
        // Labelled HTML, but AWS's XML: what moto sends.
        assert_eq!(
            not_aws(&response(
                403,
                "text/html; charset=utf-8",
                "<ErrorResponse><Error/></ErrorResponse>"
            )),
            None
        );
        assert_eq!(
            not_aws(&response(200, "", "  <!DOCTYPE html><p>hi</p>")),
            Some("an HTML page".to_string())
        );
        assert_eq!(
            not_aws(&response(200, "text/plain", "Bad Gateway")),
            Some("a body that is neither JSON nor XML (text/plain)".to_string())
        );
    }

    #[test]
    fn endpoints_are_scheme_host_and_port() {
        assert_eq!(
            endpoint_of("http://127.0.0.1:9/clusters/x?maxResults=1"),
            "http://127.0.0.1:9"
        );
        assert_eq!(
            endpoint_of("https://iam.amazonaws.com/"),
            "https://iam.amazonaws.com"
        );
        assert_eq!(
            endpoint_of("https://sts.amazonaws.com"),
            "https://sts.amazonaws.com"
        );
    }

    #[test]
    fn refused_connections_are_recognised_through_the_error_chain() {
        let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert!(is_refused(&ConnectorError::io(Box::new(refused))));
        let reset = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset");
        assert!(!is_refused(&ConnectorError::io(Box::new(reset))));
    }
}
