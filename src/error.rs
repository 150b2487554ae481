//! The provider's error type. Every failure is one of these until it reaches
//! [`crate::diagnostics::report`], the one place that turns errors into Terraform diagnostics.

use std::borrow::Cow;
use std::fmt;

use tf_provider::AttributePath;

/// Everything that can go wrong inside the provider.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A configuration value is not acceptable. Found before any API call.
    #[error("{summary}")]
    Invalid {
        path: AttributePath,
        summary: String,
        detail: String,
    },
    /// The provider block cannot produce working AWS clients.
    #[error("{summary}")]
    ProviderConfig {
        path: Option<AttributePath>,
        summary: String,
        detail: String,
    },
    /// A resource or data source was used before `ConfigureProvider`.
    #[error("the podidentity provider has not been configured")]
    NotConfigured,
    /// The request is well formed but the provider refuses it on purpose (a duplicate
    /// association, an association owned by an add-on, a role still in use, ...).
    #[error("{summary}")]
    Refused {
        path: Option<AttributePath>,
        summary: String,
        detail: String,
    },
    /// A bug in the provider: something that cannot happen did.
    #[error("internal error: {0}")]
    Internal(String),
    /// An AWS API call failed.
    #[error("{context}: {source}")]
    Aws {
        context: String,
        #[source]
        source: AwsError,
    },
}

impl Error {
    pub fn invalid(
        path: AttributePath,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        Error::Invalid {
            path,
            summary: summary.into(),
            detail: detail.into(),
        }
    }

    pub fn refused(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Error::Refused {
            path: None,
            summary: summary.into(),
            detail: detail.into(),
        }
    }

    pub fn internal(what: impl Into<String>) -> Self {
        Error::Internal(what.into())
    }

    pub fn aws(context: impl Into<String>, source: AwsError) -> Self {
        Error::Aws {
            context: context.into(),
            source,
        }
    }
}

/// A failed AWS API call, reduced to what the provider decides on and what a person needs to read.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{operation}: {kind}")]
pub struct AwsError {
    pub operation: &'static str,
    pub kind: AwsErrorKind,
}

#[derive(Debug, Clone)]
pub enum AwsErrorKind {
    /// The service answered with an error.
    Service {
        status: u16,
        code: String,
        message: String,
    },
    /// No usable credentials could be found or produced.
    Credentials(String),
    /// The request never got an answer (connection refused or dropped, DNS, TLS, timeout).
    Transport(String),
    /// Anything else the SDK reports (request construction, response parsing).
    Other(String),
}

impl fmt::Display for AwsErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AwsErrorKind::Service {
                status,
                code,
                message,
            } => {
                if message.is_empty() {
                    write!(f, "{code} (HTTP {status})")
                } else {
                    write!(f, "{code} (HTTP {status}): {message}")
                }
            }
            AwsErrorKind::Credentials(msg) => write!(f, "no usable AWS credentials: {msg}"),
            AwsErrorKind::Transport(msg) => write!(f, "request failed to reach AWS: {msg}"),
            AwsErrorKind::Other(msg) => f.write_str(msg),
        }
    }
}

impl AwsError {
    pub fn code(&self) -> Option<&str> {
        match &self.kind {
            AwsErrorKind::Service { code, .. } => Some(code),
            _ => None,
        }
    }

    pub fn message(&self) -> Cow<'_, str> {
        match &self.kind {
            AwsErrorKind::Service { message, .. } => Cow::Borrowed(message),
            other => Cow::Owned(other.to_string()),
        }
    }

    pub fn is_code(&self, code: &str) -> bool {
        self.code() == Some(code)
    }

    /// EKS `ResourceNotFoundException` or IAM `NoSuchEntity`.
    pub fn is_not_found(&self) -> bool {
        matches!(
            self.code(),
            Some("ResourceNotFoundException" | "NoSuchEntity" | "NoSuchEntityException")
        )
    }

    pub fn is_transport(&self) -> bool {
        matches!(self.kind, AwsErrorKind::Transport(_))
    }
}
