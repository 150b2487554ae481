//! Build the shared AWS clients from the provider settings, once per configure.

use std::sync::Arc;

use aws_config::retry::RetryConfig;
// The same types for every service; EKS re-exports them.
use aws_config::sts::AssumeRoleProvider;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::future::ProvideCredentials as ProvideCredentialsFuture;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
use aws_sdk_eks::config::retry::{RetryPartition, TokenBucket};
use aws_types::origin::Origin;

use crate::aws::calls::CallLog;
use crate::aws::configure_errors::configure_failure;
use crate::aws::errors::from_sdk;
use crate::aws::regions::Regions;
use crate::aws::settings::{ProviderSettings, RetryMode, WebIdentitySettings};
use crate::aws::transport::{self, HttpSettings, NotAwsClassifier};
use crate::aws::AwsContext;
use crate::eks::agent::presence::AgentCache;
use crate::error::Error;
use crate::iam::role_cache::RoleCache;
use crate::logging::redact;
use crate::validate::attr;

/// The client of one service (`aws_sdk_eks`, ...), from the shared configuration and the
/// endpoint the provider block sets for it: retries limited by `max_retries` alone (each service
/// gets its own partition without the SDK's shared retry quota, which runs out under load long
/// before `max_retries` does), logged, and never for an answer that is not AWS's.
macro_rules! client {
    ($service:ident, $sdk:expr, $endpoint:expr) => {{
        let config = $service::config::Builder::from(&for_service($sdk, $endpoint.as_deref()))
            .retry_partition(
                RetryPartition::custom(stringify!($service))
                    .token_bucket(TokenBucket::unlimited())
                    .build(),
            )
            .interceptor(CallLog)
            .retry_classifier(NotAwsClassifier)
            .build();
        $service::Client::from_conf(config)
    }};
}

/// Load the AWS configuration, assume a role if asked, build the EKS, IAM and STS clients and,
/// unless skipped, prove the credentials work with `sts:GetCallerIdentity`.
pub async fn connect(settings: &ProviderSettings) -> Result<AwsContext, Error> {
    let base = remembering(load_base_config(settings).await?);
    let region = base
        .region()
        .map(|r| r.to_string())
        .ok_or_else(|| Error::ProviderConfig {
            path: Some(attr("region")),
            summary: "No AWS region configured".into(),
            detail: "The podidentity provider needs a region: set `region` in the provider block, \
                 or the AWS_REGION (or AWS_DEFAULT_REGION) environment variable, or `region` in \
                 the selected profile of the shared config file."
                .into(),
        })?;

    let endpoints = &settings.endpoints;
    let base = match &settings.assume_role_with_web_identity {
        None => base,
        Some(web) => {
            let sts = aws_sdk_sts::Client::new(&for_service(&base, endpoints.sts.as_deref()));
            remembering(
                base.to_builder()
                    .credentials_provider(SharedCredentialsProvider::new(WebIdentity {
                        sts,
                        settings: web.clone(),
                    }))
                    .build(),
            )
        }
    };
    let sdk = match &settings.assume_role {
        None => base,
        Some(role) => {
            let mut builder = AssumeRoleProvider::builder(role.role_arn.clone())
                .session_name(
                    role.session_name
                        .clone()
                        .unwrap_or_else(|| "terraform-provider-podidentity".to_string()),
                )
                // The STS endpoint override must also reach the STS client that assumes the role.
                .configure(&for_service(&base, endpoints.sts.as_deref()));
            if let Some(id) = &role.external_id {
                builder = builder.external_id(id.clone());
            }
            if let Some(duration) = role.duration {
                builder = builder.session_length(duration);
            }
            let provider = builder.build().await;
            remembering(
                base.to_builder()
                    .credentials_provider(SharedCredentialsProvider::new(provider))
                    .build(),
            )
        }
    };
    let eks = eks_client(&sdk, endpoints.eks.as_deref());
    let iam = client!(aws_sdk_iam, &sdk, endpoints.iam);
    let sts = client!(aws_sdk_sts, &sdk, endpoints.sts);

    let guards =
        !settings.allowed_account_ids.is_empty() || !settings.forbidden_account_ids.is_empty();
    let account_id = if settings.skip_credentials_validation && !guards {
        None
    } else {
        Some(caller_account(&sts, settings, &region).await?)
    };
    if let Some(account) = &account_id {
        check_account(settings, account)?;
    }
    tracing::info!(
        target: "podidentity::provider",
        region = %region,
        account_id = account_id.as_deref().unwrap_or("(not requested)"),
        "provider configured"
    );
    Ok(AwsContext {
        eks,
        iam,
        sts,
        region,
        account_id,
        default_tags: settings.default_tags.clone(),
        ignore_tags: settings.ignore_tags.clone(),
        trust_check: settings.trust_check,
        skip_region_validation: settings.skip_region_validation,
        roles: Arc::new(RoleCache::default()),
        agents: AgentCache::default(),
        regions: Regions::new(sdk, endpoints.eks.clone()),
    })
}

/// The EKS client of `sdk`'s region: the provider's own, or one a resource's `region` names.
pub(crate) fn eks_client(sdk: &SdkConfig, endpoint: Option<&str>) -> aws_sdk_eks::Client {
    client!(aws_sdk_eks, sdk, endpoint)
}

/// The configuration of one service's client: `sdk` with the endpoint the provider block sets
/// for that service, if any. It is marked as set in code, so that it wins over
/// `AWS_ENDPOINT_URL_<SERVICE>`; without one, the SDK reads those variables itself.
fn for_service(sdk: &SdkConfig, endpoint: Option<&str>) -> SdkConfig {
    match endpoint {
        None => sdk.clone(),
        Some(url) => {
            let mut builder = sdk.to_builder().endpoint_url(url);
            builder.insert_origin("endpoint_url", Origin::shared_config());
            builder.build()
        }
    }
}

/// A setting of the provider block, else the first of `vars` set (and not empty).
fn or_env(value: &Option<String>, vars: &[&str]) -> Option<String> {
    value.clone().or_else(|| {
        vars.iter()
            .filter_map(|v| std::env::var(v).ok())
            .find(|v| !v.is_empty())
    })
}

/// The HTTP settings of the provider block, with the standard variables where it sets none.
fn http_settings(settings: &ProviderSettings) -> Result<HttpSettings, Error> {
    let ca_bundle = match or_env(&settings.custom_ca_bundle, &["AWS_CA_BUNDLE"]) {
        None => None,
        Some(path) => {
            let path = expand_home(&path);
            let pem = std::fs::read(&path).map_err(|e| Error::ProviderConfig {
                path: Some(attr("custom_ca_bundle")),
                summary: format!("Cannot read the CA bundle {path}"),
                detail: format!(
                    "custom_ca_bundle (or AWS_CA_BUNDLE) names {path}, which cannot be read: {e}. Give the path of a PEM file of certificates."
                ),
            })?;
            if !String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----") {
                return Err(Error::ProviderConfig {
                    path: Some(attr("custom_ca_bundle")),
                    summary: format!("The CA bundle {path} holds no certificate"),
                    detail: "custom_ca_bundle (or AWS_CA_BUNDLE) must name a PEM file with at least one -----BEGIN CERTIFICATE----- block.".into(),
                });
            }
            Some(pem)
        }
    };
    Ok(HttpSettings {
        ca_bundle,
        http_proxy: or_env(&settings.http_proxy, &["HTTP_PROXY", "http_proxy"]),
        https_proxy: or_env(&settings.https_proxy, &["HTTPS_PROXY", "https_proxy"]),
        no_proxy: or_env(&settings.no_proxy, &["NO_PROXY", "no_proxy"]),
    })
}

async fn load_base_config(settings: &ProviderSettings) -> Result<SdkConfig, Error> {
    let http_client = transport::http_client(&http_settings(settings)?).map_err(|detail| {
        Error::ProviderConfig {
            path: None,
            summary: "Cannot set up the HTTP client".into(),
            detail,
        }
    })?;
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(transport::guarded(http_client))
        .sleep_impl(transport::sleep())
        .timeout_config(transport::timeouts())
        .retry_config(retry_config(settings));
    if let Some(region) = &settings.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(profile) = &settings.profile {
        loader = loader.profile_name(profile.clone());
    }
    if let Some(creds) = &settings.static_credentials {
        loader = loader.credentials_provider(Credentials::new(
            creds.access_key.clone(),
            creds.secret_key.clone(),
            creds.token.clone(),
            None,
            "provider block",
        ));
    }
    if !settings.shared_config_files.is_empty() || !settings.shared_credentials_files.is_empty() {
        let mut files = EnvConfigFiles::builder();
        // Files named in the provider block replace the default of that kind, as in the AWS CLI.
        if settings.shared_config_files.is_empty() {
            files = files.include_default_config_file(true);
        }
        if settings.shared_credentials_files.is_empty() {
            files = files.include_default_credentials_file(true);
        }
        for f in &settings.shared_config_files {
            files = files.with_file(EnvConfigFileKind::Config, expand_home(f));
        }
        for f in &settings.shared_credentials_files {
            files = files.with_file(EnvConfigFileKind::Credentials, expand_home(f));
        }
        loader = loader.profile_files(files.build());
    }
    Ok(loader.load().await)
}

/// The retry configuration of every client: `retry_mode`, and `max_retries` retries after the
/// first attempt.
fn retry_config(settings: &ProviderSettings) -> RetryConfig {
    let config = match settings.retry_mode {
        RetryMode::Standard => RetryConfig::standard(),
        RetryMode::Adaptive => RetryConfig::adaptive(),
    };
    config.with_max_attempts(settings.max_retries + 1)
}

fn expand_home(path: &str) -> String {
    match (path.strip_prefix("~/"), std::env::var("HOME")) {
        (Some(rest), Ok(home)) => format!("{home}/{rest}"),
        _ => path.to_string(),
    }
}

async fn caller_account(
    sts: &aws_sdk_sts::Client,
    settings: &ProviderSettings,
    region: &str,
) -> Result<String, Error> {
    let out = sts
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| configure_failure(from_sdk("GetCallerIdentity", e), settings, region))?;
    out.account()
        .map(str::to_string)
        .ok_or_else(|| Error::ProviderConfig {
            path: None,
            summary: "Cannot determine the AWS account".into(),
            detail: "sts:GetCallerIdentity answered without an account id.".into(),
        })
}

/// The credentials of `sts:AssumeRoleWithWebIdentity`, with the token read from its file at each
/// renewal (tools that write it, such as Kubernetes, replace it before it expires).
#[derive(Debug)]
struct WebIdentity {
    sts: aws_sdk_sts::Client,
    settings: WebIdentitySettings,
}

impl ProvideCredentials for WebIdentity {
    fn provide_credentials<'a>(&'a self) -> ProvideCredentialsFuture<'a>
    where
        Self: 'a,
    {
        ProvideCredentialsFuture::new(async move {
            let web = &self.settings;
            let file = expand_home(&web.web_identity_token_file);
            let token = std::fs::read_to_string(&file).map_err(|e| {
                CredentialsError::invalid_configuration(format!(
                    "assume_role_with_web_identity: cannot read web_identity_token_file {file}: {e}"
                ))
            })?;
            let mut request = self
                .sts
                .assume_role_with_web_identity()
                .role_arn(&web.role_arn)
                .role_session_name(
                    web.session_name
                        .clone()
                        .unwrap_or_else(|| "terraform-provider-podidentity".to_string()),
                )
                .web_identity_token(token.trim());
            if let Some(duration) = web.duration {
                request =
                    request.duration_seconds(i32::try_from(duration.as_secs()).unwrap_or(3600));
            }
            let out = request.send().await.map_err(|e| {
                CredentialsError::provider_error(format!(
                    "sts:AssumeRoleWithWebIdentity of role {} failed: {}",
                    web.role_arn,
                    crate::aws::errors::from_sdk("AssumeRoleWithWebIdentity", e)
                ))
            })?;
            let creds = out.credentials().ok_or_else(|| {
                CredentialsError::unhandled(
                    "sts:AssumeRoleWithWebIdentity answered without credentials",
                )
            })?;
            redact::remember(creds.session_token());
            Ok(Credentials::new(
                creds.access_key_id(),
                creds.secret_access_key(),
                Some(creds.session_token().to_string()),
                std::time::SystemTime::try_from(*creds.expiration()).ok(),
                "assume_role_with_web_identity",
            ))
        })
    }
}

/// Credentials from `inner`, each remembered as secrets the log must never show.
#[derive(Debug)]
struct Remembered(SharedCredentialsProvider);

impl ProvideCredentials for Remembered {
    fn provide_credentials<'a>(&'a self) -> ProvideCredentialsFuture<'a>
    where
        Self: 'a,
    {
        ProvideCredentialsFuture::new(async move {
            let credentials = self.0.provide_credentials().await?;
            redact::remember(credentials.access_key_id());
            redact::remember(credentials.secret_access_key());
            if let Some(token) = credentials.session_token() {
                redact::remember(token);
            }
            Ok(credentials)
        })
    }
}

/// `sdk` with its credentials remembered as secrets when they are loaded.
fn remembering(sdk: SdkConfig) -> SdkConfig {
    match sdk.credentials_provider() {
        None => sdk,
        Some(inner) => sdk
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(Remembered(inner)))
            .build(),
    }
}

/// Enforce `allowed_account_ids` / `forbidden_account_ids`.
pub fn check_account(settings: &ProviderSettings, account: &str) -> Result<(), Error> {
    if !settings.allowed_account_ids.is_empty() && !settings.allowed_account_ids.contains(account) {
        let allowed: Vec<&str> = settings
            .allowed_account_ids
            .iter()
            .map(String::as_str)
            .collect();
        return Err(Error::ProviderConfig {
            path: Some(attr("allowed_account_ids")),
            summary: format!("AWS account {account} is not allowed"),
            detail: format!(
                "The credentials belong to account {account}, which is not in allowed_account_ids ({}). Use credentials for an allowed account, or change allowed_account_ids.",
                allowed.join(", ")
            ),
        });
    }
    if settings.forbidden_account_ids.contains(account) {
        return Err(Error::ProviderConfig {
            path: Some(attr("forbidden_account_ids")),
            summary: format!("AWS account {account} is forbidden"),
            detail: format!(
                "The credentials belong to account {account}, which is listed in forbidden_account_ids. Use credentials for another account."
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_mode_reaches_the_sdk_configuration() {
        use aws_config::retry::RetryMode as SdkRetryMode;
        let adaptive = ProviderSettings {
            retry_mode: RetryMode::Adaptive,
            max_retries: 3,
            ..Default::default()
        };
        let config = retry_config(&adaptive);
        assert_eq!(config.mode(), SdkRetryMode::Adaptive);
        assert_eq!(config.max_attempts(), 4);
        let standard = ProviderSettings::default();
        assert_eq!(retry_config(&standard).mode(), SdkRetryMode::Standard);
    }

    #[tokio::test]
    async fn static_credentials_win_over_the_environment() {
        let settings = ProviderSettings {
            region: Some("eu-west-1".into()),
            static_credentials: Some(crate::aws::settings::StaticCredentials {
                access_key: "AKIABLOCK".into(),
                secret_key: "block-secret".into(),
                token: Some("block-token".into()),
            }),
            ..Default::default()
        };
        let sdk = load_base_config(&settings).await.expect("config");
        let creds = sdk
            .credentials_provider()
            .expect("a credentials provider")
            .provide_credentials()
            .await
            .expect("credentials");
        assert_eq!(creds.access_key_id(), "AKIABLOCK");
        assert_eq!(creds.secret_access_key(), "block-secret");
        assert_eq!(creds.session_token(), Some("block-token"));
    }

    #[test]
    fn account_guards() {
        let allowed = ProviderSettings {
            allowed_account_ids: ["111122223333".to_string()].into(),
            ..Default::default()
        };
        assert!(check_account(&allowed, "111122223333").is_ok());
        let err = check_account(&allowed, "123456789012").expect_err("not allowed");
        assert!(err.to_string().contains("123456789012 is not allowed"));

        let forbidden = ProviderSettings {
            forbidden_account_ids: ["123456789012".to_string()].into(),
            ..Default::default()
        };
        assert!(check_account(&forbidden, "111122223333").is_ok());
        assert!(check_account(&forbidden, "123456789012").is_err());
    }
}
