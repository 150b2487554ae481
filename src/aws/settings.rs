//! What the AWS clients are built from: the provider configuration once validated, as plain
//! values with nothing unknown.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// The provider configuration once validated: plain values, nothing unknown.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProviderSettings {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub shared_config_files: Vec<String>,
    pub shared_credentials_files: Vec<String>,
    pub max_retries: u32,
    pub skip_credentials_validation: bool,
    pub allowed_account_ids: BTreeSet<String>,
    pub forbidden_account_ids: BTreeSet<String>,
    pub assume_role: Option<AssumeRoleSettings>,
    pub endpoints: EndpointSettings,
    pub default_tags: BTreeMap<String, String>,
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

#[derive(Debug, Clone, Default, PartialEq)]
pub struct EndpointSettings {
    pub eks: Option<String>,
    pub iam: Option<String>,
    pub sts: Option<String>,
}

/// Default for `max_retries`, as hashicorp/aws.
pub const DEFAULT_MAX_RETRIES: u32 = 25;
