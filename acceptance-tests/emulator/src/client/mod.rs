//! What tests and tools need to talk to an emulator: the test credentials, one AWS SDK
//! configuration for a local endpoint, the admin client, and raw EKS API requests for what the
//! SDK would refuse to send.

mod admin;
mod raw;

use aws_config::{BehaviorVersion, ConfigLoader, Region, SdkConfig};
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};

pub use crate::admin::REGION_HEADER;
pub use crate::config::{ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY};
pub use crate::http::HttpResponse;
/// The app name in the user agent of the IAM and STS calls the emulator makes, so that a
/// recording of moto's requests can leave them out.
pub use crate::iam_sts::APP_NAME as EMULATOR_APP_NAME;
pub use admin::Admin;
pub use raw::{signature_headers, RawEks};

/// An admin or raw call that did not get the answer it needed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{method} {url}: {source}")]
    Http {
        method: String,
        url: String,
        #[source]
        source: Box<ureq::Error>,
    },
    #[error("{method} {path} answered {status}: {body}")]
    Status {
        method: String,
        path: String,
        status: u16,
        body: String,
    },
    #[error("{method} {path} answered something that is not JSON ({source}): {body}")]
    NotJson {
        method: String,
        path: String,
        body: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("cannot sign {method} {path}: {message}")]
    Signing {
        method: String,
        path: String,
        message: String,
    },
}

/// The test credentials as the AWS SDK takes them.
pub fn test_credentials() -> aws_credential_types::Credentials {
    aws_credential_types::Credentials::new(
        ACCESS_KEY_ID,
        SECRET_ACCESS_KEY,
        None,
        None,
        "podidentity-tests",
    )
}

/// An AWS SDK configuration for a local `endpoint`: ring-based TLS (the provider's crypto), the
/// test credentials and [`REGION`]. Callers override region, credentials, retries or the time
/// source on the loader; interceptors go on the service client's config.
pub fn sdk_config_loader(endpoint: &str) -> ConfigLoader {
    // rustls panics when ring and aws-lc-rs are both compiled in and no default is chosen.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client)
        .region(Region::new(REGION))
        .credentials_provider(test_credentials())
        .endpoint_url(endpoint)
}

/// [`sdk_config_loader`], loaded.
pub async fn sdk_config(endpoint: &str) -> SdkConfig {
    sdk_config_loader(endpoint).load().await
}
