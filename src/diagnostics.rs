//! The one place where errors and warnings become Terraform diagnostics.

use std::borrow::Cow;

use tf_provider::{AttributePath, Diagnostic, Diagnostics};

use crate::error::{AwsErrorKind, Error};

/// Record `err` as an error diagnostic, attached to the attribute at fault when there is one.
pub fn report(diags: &mut Diagnostics, err: &Error) {
    let (summary, detail, path) = describe(err);
    // Built directly rather than with `Diagnostic::new`, which appends a Rust backtrace to the
    // detail whenever RUST_BACKTRACE is set.
    diags.add_error(Diagnostic {
        summary: summary.into(),
        detail: detail.into(),
        attribute: path.unwrap_or_default(),
    });
}

/// Record every error of a validation pass.
pub fn report_all(diags: &mut Diagnostics, errs: &[Error]) {
    for err in errs {
        report(diags, err);
    }
}

/// Record a warning.
pub fn warn(
    diags: &mut Diagnostics,
    summary: impl Into<Cow<'static, str>>,
    detail: impl Into<Cow<'static, str>>,
    path: Option<AttributePath>,
) {
    diags.add_warning(Diagnostic {
        summary: summary.into(),
        detail: detail.into(),
        attribute: path.unwrap_or_default(),
    });
}

fn describe(err: &Error) -> (String, String, Option<AttributePath>) {
    match err {
        Error::Invalid {
            path,
            summary,
            detail,
        } => (summary.clone(), detail.clone(), Some(path.clone())),
        Error::ProviderConfig {
            path,
            summary,
            detail,
        }
        | Error::Refused {
            path,
            summary,
            detail,
        } => (summary.clone(), detail.clone(), path.clone()),
        Error::FunctionArgument { index, message } => (
            message.clone(),
            String::new(),
            Some(AttributePath::function_argument(*index as i64)),
        ),
        Error::NotConfigured => (
            "Provider not configured".into(),
            "The podidentity provider was used before Terraform configured it. This is a bug in \
             the provider or in Terraform; please report it."
                .into(),
            None,
        ),
        Error::Internal(what) => (
            "Internal error in the podidentity provider".into(),
            format!("{what}. This is a bug in the provider; please report it."),
            None,
        ),
        Error::Aws { context, source } => {
            let hint = match &source.kind {
                AwsErrorKind::Credentials(_) => {
                    "\n\nCheck the credentials the provider uses: environment variables \
                     (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), the profile \
                     and shared files, or assume_role."
                }
                AwsErrorKind::Transport(_) => {
                    "\n\nCheck the network path and any endpoint override (endpoints block or \
                     AWS_ENDPOINT_URL_* variables)."
                }
                AwsErrorKind::TimedOut(_) => {
                    "\n\nThe endpoint did not answer in time (each attempt may take 30 s, an \
                     operation with its retries 10 minutes). Check the network path and any \
                     endpoint override (endpoints block or AWS_ENDPOINT_URL_* variables)."
                }
                AwsErrorKind::NotAws { .. } => {
                    "\n\nCheck the endpoint override (endpoints block or AWS_ENDPOINT_URL_* \
                     variables) and any proxy between the provider and AWS."
                }
                AwsErrorKind::Service { code, .. } if is_auth_code(code) => {
                    "\n\nThe credentials were rejected: check that they are valid, not expired, \
                     and belong to the intended account."
                }
                _ => "",
            };
            (context.clone(), format!("{source}{hint}"), None)
        }
    }
}

fn is_auth_code(code: &str) -> bool {
    matches!(
        code,
        "InvalidClientTokenId"
            | "SignatureDoesNotMatch"
            | "UnrecognizedClientException"
            | "ExpiredToken"
            | "ExpiredTokenException"
            | "InvalidSignatureException"
            | "AccessDenied"
            | "AccessDeniedException"
    )
}
