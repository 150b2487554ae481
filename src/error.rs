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
    /// An argument of a provider function is not acceptable (`index` counts from 0).
    #[error("argument {index}: {message}")]
    FunctionArgument { index: usize, message: String },
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
#[error("{operation}: {kind}{}", retried.as_ref().map(|r| format!(" ({r})")).unwrap_or_default())]
pub struct AwsError {
    pub operation: &'static str,
    pub kind: AwsErrorKind,
    /// Set when the provider retried the call itself and gave up: the last attempt's error.
    pub retried: Option<Box<Retried>>,
}

/// How long the provider retried a call before giving up, and why it retried.
#[derive(Debug, Clone, PartialEq)]
pub struct Retried {
    /// Attempts made, the first included.
    pub attempts: u32,
    pub elapsed: std::time::Duration,
    /// Why the error was thought to be passing ("IAM may not show a new role to EKS yet").
    pub reason: &'static str,
}

impl fmt::Display for Retried {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.elapsed.as_secs();
        let elapsed = if secs >= 60 {
            format!("{}m{:02}s", secs / 60, secs % 60)
        } else {
            format!("{:.1}s", self.elapsed.as_secs_f64())
        };
        write!(
            f,
            "the provider tried {} times over {elapsed} because {}, and gave up",
            self.attempts, self.reason
        )
    }
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
    /// The request never got an answer (connection refused or dropped, DNS, TLS).
    Transport(String),
    /// No answer came in time.
    TimedOut(String),
    /// The endpoint answered with something that is not an AWS API answer (an HTML page from a
    /// proxy, say).
    NotAws {
        endpoint: Option<String>,
        status: u16,
        what: String,
    },
    /// The call was abandoned because Terraform asked the provider to stop.
    Stopped,
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
            AwsErrorKind::TimedOut(msg) => write!(f, "timed out: {msg}"),
            AwsErrorKind::NotAws {
                endpoint,
                status,
                what,
            } => write!(
                f,
                "{} answered HTTP {status} with {what}, which is not an AWS API answer",
                endpoint.as_deref().unwrap_or("the endpoint")
            ),
            AwsErrorKind::Stopped => f.write_str("abandoned: Terraform asked the provider to stop"),
            AwsErrorKind::Other(msg) => f.write_str(msg),
        }
    }
}

impl AwsError {
    pub fn new(operation: &'static str, kind: AwsErrorKind) -> Self {
        AwsError {
            operation,
            kind,
            retried: None,
        }
    }

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

    /// Throttled: the request was not carried out.
    pub fn is_throttling(&self) -> bool {
        matches!(&self.kind, AwsErrorKind::Service { status: 429, .. })
            || matches!(
                self.code(),
                Some(
                    "ThrottlingException"
                        | "Throttling"
                        | "TooManyRequestsException"
                        | "RequestLimitExceeded"
                )
            )
    }

    /// The call may have been carried out although it failed: no answer, an answer that is not
    /// AWS's, a server error, or throttling after an attempt whose answer was lost. A definite
    /// refusal (a 4xx error such as a duplicate or an invalid parameter) is not ambiguous.
    pub fn is_ambiguous(&self) -> bool {
        match &self.kind {
            AwsErrorKind::Service { status, .. } => *status >= 500 || self.is_throttling(),
            AwsErrorKind::Credentials(_) => false,
            AwsErrorKind::Transport(_)
            | AwsErrorKind::TimedOut(_)
            | AwsErrorKind::NotAws { .. }
            | AwsErrorKind::Stopped
            | AwsErrorKind::Other(_) => true,
        }
    }

    /// Terraform asked the provider to stop while the call waited.
    pub fn is_stopped(&self) -> bool {
        matches!(self.kind, AwsErrorKind::Stopped)
    }

    /// The error of `operation` when Terraform asked the provider to stop during a wait.
    pub fn stopped(operation: &'static str) -> Self {
        AwsError::new(operation, AwsErrorKind::Stopped)
    }
}
