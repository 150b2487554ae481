//! What the AWS clients are built from: the provider configuration once validated, as plain
//! values with nothing unknown.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::tags::IgnoreTags;

/// The provider configuration once validated: plain values, nothing unknown.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProviderSettings {
    pub region: Option<String>,
    pub skip_region_validation: bool,
    /// `access_key`, `secret_key` and `token`: win over every other source of credentials.
    pub static_credentials: Option<StaticCredentials>,
    pub profile: Option<String>,
    pub shared_config_files: Vec<String>,
    pub shared_credentials_files: Vec<String>,
    pub max_retries: u32,
    pub retry_mode: RetryMode,
    pub skip_credentials_validation: bool,
    pub allowed_account_ids: BTreeSet<String>,
    pub forbidden_account_ids: BTreeSet<String>,
    pub assume_role: Option<AssumeRoleSettings>,
    pub assume_role_with_web_identity: Option<WebIdentitySettings>,
    pub endpoints: EndpointSettings,
    pub default_tags: BTreeMap<String, String>,
    pub ignore_tags: IgnoreTags,
    /// `custom_ca_bundle`: a PEM file of certificates to trust, besides the system's.
    pub custom_ca_bundle: Option<String>,
    pub http_proxy: Option<String>,
    pub https_proxy: Option<String>,
    pub no_proxy: Option<String>,
    pub trust_check: TrustCheck,
}

/// What the association's trust check (will the pods get credentials?) does with a role whose
/// trust policy refuses the pods: `trust_check` in the provider block.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TrustCheck {
    /// Refuse the plan (the default).
    #[default]
    Error,
    /// Plan anyway, with a warning.
    Warn,
    /// Do not read the role at all.
    Off,
}

impl std::str::FromStr for TrustCheck {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "error" => Ok(TrustCheck::Error),
            "warn" => Ok(TrustCheck::Warn),
            "off" => Ok(TrustCheck::Off),
            other => Err(format!(
                "{other:?} is not a trust check mode: use \"error\" (the default: a plan whose pods would be refused credentials fails), \"warn\" (it plans with a warning) or \"off\" (the role's trust policy is not read)."
            )),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct AssumeRoleSettings {
    pub role_arn: String,
    pub session_name: Option<String>,
    pub external_id: Option<String>,
    pub duration: Option<Duration>,
}

/// `assume_role_with_web_identity`: the role assumed with an OIDC token read from a file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WebIdentitySettings {
    pub role_arn: String,
    pub session_name: Option<String>,
    pub web_identity_token_file: String,
    pub duration: Option<Duration>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct EndpointSettings {
    pub eks: Option<String>,
    pub iam: Option<String>,
    pub sts: Option<String>,
}

/// Default for `max_retries`, as hashicorp/aws.
pub const DEFAULT_MAX_RETRIES: u32 = 25;

/// Credentials written in the provider block. Their `Debug` shows the access key id only.
#[derive(Clone, Default, PartialEq)]
pub struct StaticCredentials {
    pub access_key: String,
    pub secret_key: String,
    pub token: Option<String>,
}

impl std::fmt::Debug for StaticCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaticCredentials")
            .field("access_key", &self.access_key)
            .field("secret_key", &"(hidden)")
            .field("token", &self.token.as_ref().map(|_| "(hidden)"))
            .finish()
    }
}

/// How the SDK paces retries: `retry_mode` in the provider block.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RetryMode {
    /// Exponential backoff with jitter (the default).
    #[default]
    Standard,
    /// Standard, plus a client-side rate limiter that slows down after throttling.
    Adaptive,
}

impl std::str::FromStr for RetryMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "standard" => Ok(RetryMode::Standard),
            "adaptive" => Ok(RetryMode::Adaptive),
            other => Err(format!(
                "{other:?} is not a retry mode: use \"standard\" (the default) or \"adaptive\"."
            )),
        }
    }
}

/// The AWS regions `region` is checked against unless `skip_region_validation` is set: the
/// commercial, AWS GovCloud (US), China, European Sovereign Cloud and ISO partitions.
pub const KNOWN_REGIONS: &[&str] = &[
    // aws
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    // aws-us-gov
    "us-gov-east-1",
    "us-gov-west-1",
    // aws-cn
    "cn-north-1",
    "cn-northwest-1",
    // aws-eusc
    "eusc-de-east-1",
    // aws-iso, aws-iso-b, aws-iso-e, aws-iso-f
    "us-iso-east-1",
    "us-iso-west-1",
    "us-isob-east-1",
    "eu-isoe-west-1",
    "us-isof-east-1",
    "us-isof-south-1",
];

/// Whether `region` is one of [`KNOWN_REGIONS`].
pub fn is_known_region(region: &str) -> bool {
    KNOWN_REGIONS.contains(&region)
}

/// The shape of an AWS region name: lower-case letters, digits and dashes.
pub fn region_name(region: &str) -> Result<(), String> {
    let ok = !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{region:?} is not an AWS region name such as \"eu-west-1\"."
        ))
    }
}

/// A region of the provider block or of a resource: well formed, and one of
/// [`KNOWN_REGIONS`] unless `skip_region_validation` is set.
pub fn check_region(region: &str, skip_region_validation: bool) -> Result<(), String> {
    region_name(region)?;
    if skip_region_validation || is_known_region(region) {
        Ok(())
    } else {
        Err(format!(
            "{region:?} is not an AWS region this provider knows, such as \"eu-west-1\" or \"us-east-1\". Check the spelling; for a region newer than this provider (or an endpoint of your own), set skip_region_validation = true in the provider block."
        ))
    }
}
