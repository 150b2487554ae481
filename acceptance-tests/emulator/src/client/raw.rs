//! EKS API requests built by hand: what the SDK would refuse to send (malformed bodies, unknown
//! paths) signed as the SDK signs, and requests with no or made-up signatures.

use std::time::SystemTime;

use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings};

use super::{ClientError, ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY};
use crate::config::Credentials;
use crate::http::{self, HttpResponse};
use crate::sigv4::{sign_for, Scope, SERVICE};

/// Sends raw EKS API requests to one endpoint.
#[derive(Debug, Clone)]
pub struct RawEks {
    base_url: String,
    agent: ureq::Agent,
    credentials: Credentials,
    region: String,
    service: String,
}

impl RawEks {
    /// For the endpoint at `base_url`, signing with the test credentials for [`REGION`].
    pub fn new(base_url: &str) -> RawEks {
        RawEks {
            base_url: base_url.trim_end_matches('/').to_owned(),
            agent: http::agent(),
            credentials: Credentials::new(ACCESS_KEY_ID, SECRET_ACCESS_KEY, None),
            region: REGION.to_owned(),
            service: SERVICE.to_owned(),
        }
    }

    /// Signs for this service (the signing name in the credential scope, e.g. `eks-auth`)
    /// instead of `eks`.
    pub fn with_service(mut self, service: &str) -> RawEks {
        self.service = service.to_owned();
        self
    }

    /// Signs with these credentials instead.
    pub fn with_credentials(mut self, credentials: Credentials) -> RawEks {
        self.credentials = credentials;
        self
    }

    /// `method path_and_query` with a JSON `body`, signed now as the AWS SDK signs for EKS (or
    /// the service given to [`Self::with_service`]).
    pub fn signed(
        &self,
        method: &str,
        path_and_query: &str,
        body: &str,
    ) -> Result<HttpResponse, ClientError> {
        let url = format!("{}{path_and_query}", self.base_url);
        let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
        let scope = Scope {
            service: &self.service,
            region: &self.region,
        };
        let request = UnsignedRequest {
            method,
            url: &url,
            headers: &headers,
            body: body.as_bytes(),
        };
        let signature =
            scoped_signature_headers(request, &self.credentials, scope, SystemTime::now())
                .map_err(|message| ClientError::Signing {
                    method: method.to_owned(),
                    path: path_and_query.to_owned(),
                    message,
                })?;
        headers.extend(signature);
        self.send_with(method, &url, &headers, body)
    }

    /// `method path_and_query` with exactly these headers: unsigned, or signed by hand.
    pub fn send(
        &self,
        method: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Result<HttpResponse, ClientError> {
        let url = format!("{}{path_and_query}", self.base_url);
        let headers: Vec<(String, String)> = headers
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        self.send_with(method, &url, &headers, body)
    }

    fn send_with(
        &self,
        method: &str,
        url: &str,
        headers: &[(String, String)],
        body: &str,
    ) -> Result<HttpResponse, ClientError> {
        http::send(&self.agent, method, url, headers, body.as_bytes()).map_err(|source| {
            ClientError::Http {
                method: method.to_owned(),
                url: url.to_owned(),
                source: Box::new(source),
            }
        })
    }
}

/// The headers SigV4 adds to a request to EKS (`authorization`, `x-amz-date` and, for temporary
/// credentials, `x-amz-security-token`), computed as the AWS SDK computes them: over `headers`
/// plus `host` taken from `url`.
pub fn signature_headers(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
    credentials: &Credentials,
    region: &str,
    time: SystemTime,
) -> Result<Vec<(String, String)>, String> {
    let request = UnsignedRequest {
        method,
        url,
        headers,
        body,
    };
    let scope = Scope {
        service: SERVICE,
        region,
    };
    scoped_signature_headers(request, credentials, scope, time)
}

/// A request as the client has it before signing.
#[derive(Debug, Clone, Copy)]
struct UnsignedRequest<'a> {
    method: &'a str,
    url: &'a str,
    headers: &'a [(String, String)],
    body: &'a [u8],
}

fn scoped_signature_headers(
    request: UnsignedRequest<'_>,
    credentials: &Credentials,
    scope: Scope<'_>,
    time: SystemTime,
) -> Result<Vec<(String, String)>, String> {
    let signable = SignableRequest::new(
        request.method,
        request.url,
        request
            .headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str())),
        SignableBody::Bytes(request.body),
    )
    .map_err(|e| e.to_string())?;
    let settings = SigningSettings::default();
    let (instructions, _signature) =
        sign_for(signable, credentials, scope, time, settings)?.into_parts();
    let (headers, _params) = instructions.into_parts();
    Ok(headers
        .into_iter()
        .map(|header| (header.name().to_owned(), header.value().to_owned()))
        .collect())
}
