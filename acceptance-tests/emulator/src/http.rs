//! The one plain-HTTP client configuration of the crate (admin calls, raw EKS requests, the STS
//! lookup, the fault proxy's forwarding): every status is an answer, not an error, redirects
//! included, and no call waits forever.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;

/// Long enough for a loaded machine, short enough that a hung server fails the test.
const TIMEOUT: Duration = Duration::from_secs(60);

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(TIMEOUT))
        .build()
        .into()
}

/// One HTTP answer, read in full.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    /// Header names in lower case.
    pub headers: HashMap<String, String>,
    pub body: String,
}

impl HttpResponse {
    /// The body as JSON; null when it is empty.
    pub fn json(&self) -> Result<Value, serde_json::Error> {
        if self.body.trim().is_empty() {
            Ok(Value::Null)
        } else {
            serde_json::from_str(&self.body)
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// The `x-amzn-ErrorType` of an EKS API error.
    pub fn error_type(&self) -> Option<&str> {
        self.header("x-amzn-errortype")
    }
}

/// Sends one request with exactly these headers (plus Host and Content-Length).
pub fn send(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<HttpResponse, ureq::Error> {
    let mut request = ureq::http::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let request = request.body(body.to_vec())?;
    let mut response = agent.run(request)?;
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            (name.as_str().to_owned(), value)
        })
        .collect();
    Ok(HttpResponse {
        status: response.status().as_u16(),
        headers,
        body: response.body_mut().read_to_string()?,
    })
}
