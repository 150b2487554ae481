//! What a person reads when the provider cannot be configured: one sentence with the cause (the
//! summary) and one with the fix (the detail), never an SDK error rendered for programmers.

use crate::aws::errors::ASSUME_ROLE_FAILED;
use crate::aws::settings::ProviderSettings;
use crate::error::{AwsError, AwsErrorKind, Error};
use crate::validate::attr;

/// Where the provider's STS calls go: the `endpoints` block, the standard variables, or AWS's
/// regional endpoint.
pub fn sts_endpoint(settings: &ProviderSettings, region: &str) -> String {
    let from_env = |var: &str| std::env::var(var).ok().filter(|v| !v.trim().is_empty());
    settings
        .endpoints
        .sts
        .clone()
        .or_else(|| from_env("AWS_ENDPOINT_URL_STS"))
        .or_else(|| from_env("AWS_ENDPOINT_URL"))
        .unwrap_or_else(|| {
            let domain = if region.starts_with("cn-") {
                "amazonaws.com.cn"
            } else {
                "amazonaws.com"
            };
            format!("https://sts.{region}.{domain}")
        })
}

fn endpoint_overridden(settings: &ProviderSettings) -> bool {
    settings.endpoints.sts.is_some()
        || ["AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"]
            .iter()
            .any(|v| std::env::var(v).is_ok_and(|v| !v.trim().is_empty()))
}

/// The provider-configuration error for a failed `sts:GetCallerIdentity` (the first call, which
/// also loads the credentials and, with `assume_role`, assumes the role).
pub fn configure_failure(err: AwsError, settings: &ProviderSettings, region: &str) -> Error {
    let sts = sts_endpoint(settings, region);
    let (path, summary, detail) = match &err.kind {
        AwsErrorKind::Credentials(message) if message.starts_with(ASSUME_ROLE_FAILED) => {
            let role = settings
                .assume_role
                .as_ref()
                .map_or("the role", |r| r.role_arn.as_str());
            (
                Some(attr("assume_role")),
                format!("AWS refused to let the provider's credentials assume role {role} ({message})."),
                "Fix: allow the provider's credentials in the role's trust policy (and their \
                 sts:AssumeRole permission on it), give the external_id the trust policy \
                 requires, or correct assume_role.role_arn."
                    .to_string(),
            )
        }
        AwsErrorKind::Credentials(message) => (
            None,
            if message.contains("no credentials found in chain")
                || message.contains("no providers in chain")
            {
                "No AWS credentials found: the environment, the shared config and credentials \
                 files, web identity, ECS and EC2 instance metadata provided none."
                    .to_string()
            } else {
                format!("No usable AWS credentials found ({message}).")
            },
            "Fix: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for \
             temporary keys), or name a profile of ~/.aws/config with `profile` or AWS_PROFILE \
             (after `aws sso login` for an SSO profile), or run where a web identity token, an \
             ECS task role or an EC2 instance profile is available."
                .to_string(),
        ),
        AwsErrorKind::Service { code, message, .. } if is_expired(code) => (
            None,
            format!("The provider's AWS credentials have expired (STS answered {code}: {message})."),
            "Fix: get fresh credentials from where these came from (for example `aws sso login`, \
             or a new AWS_SESSION_TOKEN with its key pair) and run Terraform again."
                .to_string(),
        ),
        AwsErrorKind::Service { code, message, .. } if is_rejected(code) => (
            None,
            format!("AWS rejected the provider's credentials (sts:GetCallerIdentity answered {code}: {message})."),
            format!(
                "Fix: {} The access key the provider used was found in the environment, the \
                 profile or assume_role; check which one applies.",
                rejection_fix(code)
            ),
        ),
        AwsErrorKind::Transport(message) if !endpoint_overridden(settings) && is_dns(message) => (
            Some(attr("region")),
            format!("Cannot reach AWS STS at {sts} ({message})."),
            format!(
                "Fix: check that region {region:?} is an AWS region (for example \"eu-west-1\") \
                 and that this machine can resolve and reach AWS (DNS, proxy, firewall)."
            ),
        ),
        AwsErrorKind::Transport(message) | AwsErrorKind::TimedOut(message) => (
            None,
            format!("Cannot reach AWS STS at {sts} ({message})."),
            if endpoint_overridden(settings) {
                "Fix: check the STS endpoint override (endpoints.sts, AWS_ENDPOINT_URL_STS or \
                 AWS_ENDPOINT_URL) and that the service there is running."
                    .to_string()
            } else {
                "Fix: check that this machine can reach AWS (network, proxy, firewall), or set \
                 endpoints.sts if STS must be reached through another address."
                    .to_string()
            },
        ),
        _ => {
            return Error::aws("Cannot validate the provider's AWS credentials", err);
        }
    };
    Error::ProviderConfig {
        path,
        summary,
        detail,
    }
}

fn is_expired(code: &str) -> bool {
    matches!(
        code,
        "ExpiredToken" | "ExpiredTokenException" | "RequestExpired" | "TokenRefreshRequired"
    )
}

fn is_rejected(code: &str) -> bool {
    matches!(
        code,
        "InvalidClientTokenId"
            | "SignatureDoesNotMatch"
            | "UnrecognizedClientException"
            | "IncompleteSignature"
            | "AuthFailure"
    )
}

fn rejection_fix(code: &str) -> &'static str {
    match code {
        "SignatureDoesNotMatch" | "IncompleteSignature" => {
            "the secret access key does not belong to the access key id: use the pair AWS issued together."
        }
        _ => {
            "the access key id is unknown to AWS (deleted, mistyped, or of another partition): use an active key, or a session token with a temporary key."
        }
    }
}

fn is_dns(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    lower.contains("does not resolve")
        || lower.contains("dns error")
        || lower.contains("failed to lookup address")
        || lower.contains("name or service not known")
        || lower.contains("no such host")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(kind: AwsErrorKind) -> Error {
        configure_failure(
            AwsError::new("GetCallerIdentity", kind),
            &ProviderSettings::default(),
            "eu-wst-1",
        )
    }

    fn texts(err: &Error) -> (String, String) {
        match err {
            Error::ProviderConfig {
                summary, detail, ..
            } => (summary.clone(), detail.clone()),
            other => panic!("not a provider configuration error: {other:?}"),
        }
    }

    #[test]
    fn each_cause_has_its_sentence_and_its_fix() {
        let (summary, detail) = texts(&failure(AwsErrorKind::Service {
            status: 403,
            code: "ExpiredToken".into(),
            message: "The security token included in the request is expired".into(),
        }));
        assert!(
            summary.starts_with("The provider's AWS credentials have expired"),
            "{summary}"
        );
        assert!(detail.starts_with("Fix: get fresh credentials"), "{detail}");

        let (summary, detail) = texts(&failure(AwsErrorKind::Credentials(format!(
            "{ASSUME_ROLE_FAILED} AccessDenied: not authorized"
        ))));
        assert!(summary.starts_with("AWS refused to let the provider's credentials assume role"));
        assert!(detail.contains("trust policy"), "{detail}");

        let (summary, _) = texts(&failure(AwsErrorKind::Transport(
            "dns error: failed to lookup address information".into(),
        )));
        assert!(
            summary.contains("https://sts.eu-wst-1.amazonaws.com"),
            "{summary}"
        );
    }
}
