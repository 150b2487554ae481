//! EKS API requests built by hand: what the SDK would refuse to send (malformed bodies, unknown
//! paths) signed as the SDK signs, and requests with no or made-up signatures.

use std::time::SystemTime;

use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings};

use super::{ClientError, ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY};
use crate::config::Credentials;
use crate::http::{self, HttpResponse};
use crate::sigv4::sign_for_eks;

/// Sends raw EKS API requests to one endpoint.
#[derive(Debug, Clone)]
pub struct RawEks {
    base_url: String,
    agent: ureq::Agent,
    credentials: Credentials,
    region: String,
}

impl RawEks {
    /// For the endpoint at `base_url`, signing with the test credentials for [`REGION`].
    pub fn new(base_url: &str) -> RawEks {
        RawEks {
            base_url: base_url.trim_end_matches('/').to_owned(),
            agent: http::agent(),
            credentials: Credentials::new(ACCESS_KEY_ID, SECRET_ACCESS_KEY, None),
            region: REGION.to_owned(),
        }
    }

    /// Signs with these credentials instead.
    pub fn with_credentials(mut self, credentials: Credentials) -> RawEks {
        self.credentials = credentials;
        self
    }

    /// `method path_and_query` with a JSON `body`, signed now as the AWS SDK signs for EKS.
    pub fn signed(
        &self,
        method: &str,
        path_and_query: &str,
        body: &str,
    ) -> Result<HttpResponse, ClientError> {
        let url = format!("{}{path_and_query}", self.base_url);
        let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
        let signature = signature_headers(
            method,
            &url,
            &headers,
            body.as_bytes(),
            &self.credentials,
            &self.region,
            SystemTime::now(),
        )
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
    let signable = SignableRequest::new(
        method,
        url,
        headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str())),
        SignableBody::Bytes(body),
    )
    .map_err(|e| e.to_string())?;
    let (instructions, _signature) = sign_for_eks(
        signable,
        credentials,
        region,
        time,
        SigningSettings::default(),
    )?
    .into_parts();
    let (headers, _params) = instructions.into_parts();
    Ok(headers
        .into_iter()
        .map(|header| (header.name().to_owned(), header.value().to_owned()))
        .collect())
}
