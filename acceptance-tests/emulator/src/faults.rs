//! Faults injected through the admin interface. Faults are kept in registration order; a request
//! consumes one count of the first fault that matches it.

use std::time::Duration;

use serde::Deserialize;

use crate::operation::Operation;

/// The admin request body of `POST /_emulator/faults`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    pub kind: String,
    #[serde(default)]
    pub operation: Option<String>,
    /// Absent or null: 1, except for latency where it means "until faults are cleared".
    #[serde(default)]
    pub count: Option<u32>,
    #[serde(default)]
    pub latency_ms: Option<u64>,
    #[serde(default)]
    pub role_arn: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum FaultKind {
    Throttle,
    ServerError,
    Latency(Duration),
    DropAfterCommit,
    RoleNotFound { role_arn: Option<String> },
}

/// What a request-level fault does instead of (or after) executing the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    Throttle,
    ServerError,
    DropAfterCommit,
}

#[derive(Debug, Clone)]
struct Fault {
    kind: FaultKind,
    operation: Option<String>,
    /// `None`: never runs out.
    remaining: Option<u32>,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum FaultSpecError {
    #[error("unknown fault kind {0:?} (expected throttle, server_error, latency, drop_after_commit or role_not_found)")]
    UnknownKind(String),
    #[error("unknown operation {0:?}")]
    UnknownOperation(String),
    #[error("count must be at least 1")]
    ZeroCount,
    #[error("latency faults need latency_ms")]
    MissingLatency,
}

#[derive(Debug, Default)]
pub struct FaultQueue {
    faults: Vec<Fault>,
}

impl FaultQueue {
    pub fn add(&mut self, spec: FaultSpec) -> Result<(), FaultSpecError> {
        if let Some(operation) = &spec.operation {
            if Operation::from_name(operation).is_none() {
                return Err(FaultSpecError::UnknownOperation(operation.clone()));
            }
        }
        if spec.count == Some(0) {
            return Err(FaultSpecError::ZeroCount);
        }
        let kind = match spec.kind.as_str() {
            "throttle" => FaultKind::Throttle,
            "server_error" => FaultKind::ServerError,
            "drop_after_commit" => FaultKind::DropAfterCommit,
            "latency" => FaultKind::Latency(Duration::from_millis(
                spec.latency_ms.ok_or(FaultSpecError::MissingLatency)?,
            )),
            "role_not_found" => FaultKind::RoleNotFound {
                role_arn: spec.role_arn,
            },
            other => return Err(FaultSpecError::UnknownKind(other.to_owned())),
        };
        let remaining = match (&kind, spec.count) {
            (FaultKind::Latency(_), count) => count,
            (_, count) => Some(count.unwrap_or(1)),
        };
        self.faults.push(Fault {
            kind,
            operation: spec.operation,
            remaining,
        });
        Ok(())
    }

    pub fn clear(&mut self) {
        self.faults.clear();
    }

    /// The delay to apply to this request, if a latency fault matches.
    pub fn take_latency(&mut self, operation: &str) -> Option<Duration> {
        self.take_first(operation, |kind| match kind {
            FaultKind::Latency(delay) => Some(*delay),
            _ => None,
        })
    }

    /// A throttle / server error / drop fault for this request, if one matches.
    pub fn take_failure(&mut self, operation: &str) -> Option<Failure> {
        self.take_first(operation, |kind| match kind {
            FaultKind::Throttle => Some(Failure::Throttle),
            FaultKind::ServerError => Some(Failure::ServerError),
            FaultKind::DropAfterCommit => Some(Failure::DropAfterCommit),
            _ => None,
        })
    }

    /// Whether IAM should "not know" `role_arn` yet for this request (consumes the fault).
    pub fn take_role_not_found(&mut self, operation: &str, role_arn: &str) -> bool {
        self.take_first(operation, |kind| match kind {
            FaultKind::RoleNotFound { role_arn: None } => Some(()),
            FaultKind::RoleNotFound {
                role_arn: Some(wanted),
            } if wanted == role_arn => Some(()),
            _ => None,
        })
        .is_some()
    }

    fn take_first<T>(
        &mut self,
        operation: &str,
        applies: impl Fn(&FaultKind) -> Option<T>,
    ) -> Option<T> {
        let index = self.faults.iter().position(|fault| {
            fault.operation.as_deref().is_none_or(|op| op == operation)
                && applies(&fault.kind).is_some()
        })?;
        let fault = &mut self.faults[index];
        let effect = applies(&fault.kind);
        if let Some(remaining) = fault.remaining.as_mut() {
            *remaining -= 1;
            if *remaining == 0 {
                self.faults.remove(index);
            }
        }
        effect
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(kind: &str, operation: Option<&str>, count: Option<u32>) -> FaultSpec {
        FaultSpec {
            kind: kind.into(),
            operation: operation.map(Into::into),
            count,
            latency_ms: Some(5),
            role_arn: None,
        }
    }

    #[test]
    fn consumes_in_registration_order() {
        let mut queue = FaultQueue::default();
        queue
            .add(spec("server_error", Some("DescribeCluster"), None))
            .expect("valid");
        queue.add(spec("throttle", None, Some(2))).expect("valid");
        assert_eq!(queue.take_failure("ListClusters"), Some(Failure::Throttle));
        assert_eq!(
            queue.take_failure("DescribeCluster"),
            Some(Failure::ServerError)
        );
        assert_eq!(
            queue.take_failure("DescribeCluster"),
            Some(Failure::Throttle)
        );
        assert_eq!(queue.take_failure("DescribeCluster"), None);
    }

    #[test]
    fn unbounded_latency_until_cleared() {
        let mut queue = FaultQueue::default();
        queue.add(spec("latency", None, None)).expect("valid");
        for _ in 0..3 {
            assert_eq!(
                queue.take_latency("ListClusters"),
                Some(Duration::from_millis(5))
            );
        }
        queue.clear();
        assert_eq!(queue.take_latency("ListClusters"), None);
    }

    #[test]
    fn rejects_bad_specs() {
        let mut queue = FaultQueue::default();
        assert!(queue.add(spec("explode", None, None)).is_err());
        assert!(queue.add(spec("throttle", Some("Nope"), None)).is_err());
        assert!(queue.add(spec("throttle", None, Some(0))).is_err());
    }
}
