//! Faults injected through the admin interface. Faults are kept in registration order; a request
//! is checked against each fault in turn, and the first one that applies to it acts on it and
//! consumes one of its counts. A fault with a `fraction` applies to that share of the calls it
//! matches; a call it lets through goes on to the next faults, as if it had not matched.

use std::time::Duration;

use serde::Deserialize;

use crate::operation::Operation;

/// The admin request body of `POST /_emulator/faults`.
///
/// | field | meaning |
/// |---|---|
/// | `kind` | `throttle` (429 `ThrottlingException`), `server_error` (500 `ServerException`; `InternalServerException` for the EKS Auth operation), `latency` (delay, then go on), `drop_after_commit` (execute, then close the connection unanswered), `black_hole` (never answer, execute nothing), `trickle` (execute, send status and headers, then the body one byte per `interval_ms`), `role_not_found` (IAM does not know the role yet) |
/// | `operation` | only requests of this EKS operation (e.g. `CreatePodIdentityAssociation`); absent: every operation |
/// | `count` | how many calls the fault applies to before it is used up (at least 1); absent or null: 1, except `latency`, which then lasts until faults are cleared |
/// | `forever` | `true`: the fault never runs out (until faults are cleared); not together with `count` |
/// | `fraction` | `0 < f ≤ 1` (default 1): the fault applies to exactly that share of the calls it matches, by error diffusion (an accumulator adds `f` per matching call; the fault applies when it reaches 1, which it then loses): 0.5 applies to every second call, 0.75 to three of every four. A call it lets through is checked against the next faults. `count` counts the calls it applied to |
/// | `latency_ms` | `latency` only, required: the delay |
/// | `interval_ms` | `trickle` only: the pause before each byte of the body (default 1000, at least 1) |
/// | `role_arn` | `role_not_found` only: just this role (absent: any role) |
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    pub kind: String,
    #[serde(default)]
    pub operation: Option<String>,
    #[serde(default)]
    pub count: Option<u32>,
    #[serde(default)]
    pub forever: bool,
    #[serde(default)]
    pub fraction: Option<f64>,
    #[serde(default)]
    pub latency_ms: Option<u64>,
    #[serde(default)]
    pub interval_ms: Option<u64>,
    #[serde(default)]
    pub role_arn: Option<String>,
}

/// The body pause of a trickle fault without `interval_ms`.
const DEFAULT_TRICKLE_INTERVAL: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, PartialEq, Eq)]
enum FaultKind {
    Throttle,
    ServerError,
    Latency(Duration),
    DropAfterCommit,
    BlackHole,
    Trickle(Duration),
    RoleNotFound { role_arn: Option<String> },
}

/// What a request-level fault does instead of (or after) executing the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    Throttle,
    ServerError,
    DropAfterCommit,
    /// Never answer and execute nothing; the client has to give up.
    BlackHole,
    /// Execute, then send the body one byte per interval.
    Trickle(Duration),
}

/// Which share of the calls a fault matches it applies to, spread evenly by error diffusion.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Fraction {
    share: f64,
    accumulated: f64,
}

impl Fraction {
    /// Sums of decimal shares miss 1 by a rounding error (ten times 0.1 is 0.9999999999999999):
    /// that much short of 1 counts as 1.
    const TOLERANCE: f64 = 1e-9;

    const ALWAYS: Fraction = Fraction {
        share: 1.0,
        accumulated: 0.0,
    };

    fn new(share: f64) -> Result<Fraction, FaultSpecError> {
        if share.is_finite() && share > 0.0 && share <= 1.0 {
            Ok(Fraction {
                share,
                accumulated: 0.0,
            })
        } else {
            Err(FaultSpecError::BadFraction(share))
        }
    }

    /// Counts one matching call: whether the fault applies to it.
    fn admit(&mut self) -> bool {
        self.accumulated += self.share;
        if self.accumulated + Self::TOLERANCE >= 1.0 {
            self.accumulated = (self.accumulated - 1.0).max(0.0);
            true
        } else {
            false
        }
    }
}

#[derive(Debug, Clone)]
struct Fault {
    kind: FaultKind,
    operation: Option<String>,
    /// `None`: never runs out.
    remaining: Option<u32>,
    fraction: Fraction,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum FaultSpecError {
    #[error("unknown fault kind {0:?} (expected throttle, server_error, latency, drop_after_commit, black_hole, trickle or role_not_found)")]
    UnknownKind(String),
    #[error("unknown operation {0:?}")]
    UnknownOperation(String),
    #[error("count must be at least 1")]
    ZeroCount,
    #[error("a fault with forever: true has no count")]
    ForeverWithCount,
    #[error("fraction must be greater than 0 and at most 1, not {0}")]
    BadFraction(f64),
    #[error("latency faults need latency_ms")]
    MissingLatency,
    #[error("interval_ms must be at least 1")]
    ZeroInterval,
    #[error("{option} applies only to {kind} faults")]
    OptionOfOtherKind {
        option: &'static str,
        kind: &'static str,
    },
}

/// Each option that belongs to one kind: its name, whether the spec sets it, that kind.
fn kind_options(spec: &FaultSpec) -> [(&'static str, bool, &'static str); 3] {
    [
        ("latency_ms", spec.latency_ms.is_some(), "latency"),
        ("interval_ms", spec.interval_ms.is_some(), "trickle"),
        ("role_arn", spec.role_arn.is_some(), "role_not_found"),
    ]
}

impl FaultSpec {
    /// The fault this spec describes, if it is valid.
    fn into_fault(self) -> Result<Fault, FaultSpecError> {
        if let Some(operation) = &self.operation {
            if Operation::from_name(operation).is_none() {
                return Err(FaultSpecError::UnknownOperation(operation.clone()));
            }
        }
        match (self.forever, self.count) {
            (_, Some(0)) => return Err(FaultSpecError::ZeroCount),
            (true, Some(_)) => return Err(FaultSpecError::ForeverWithCount),
            _ => {}
        }
        for (option, set, kind) in kind_options(&self) {
            if set && self.kind != kind {
                return Err(FaultSpecError::OptionOfOtherKind { option, kind });
            }
        }
        let fraction = self.fraction.map_or(Ok(Fraction::ALWAYS), Fraction::new)?;
        let kind = match self.kind.as_str() {
            "throttle" => FaultKind::Throttle,
            "server_error" => FaultKind::ServerError,
            "drop_after_commit" => FaultKind::DropAfterCommit,
            "black_hole" => FaultKind::BlackHole,
            "trickle" => FaultKind::Trickle(match self.interval_ms {
                None => DEFAULT_TRICKLE_INTERVAL,
                Some(0) => return Err(FaultSpecError::ZeroInterval),
                Some(ms) => Duration::from_millis(ms),
            }),
            "latency" => FaultKind::Latency(Duration::from_millis(
                self.latency_ms.ok_or(FaultSpecError::MissingLatency)?,
            )),
            "role_not_found" => FaultKind::RoleNotFound {
                role_arn: self.role_arn,
            },
            other => return Err(FaultSpecError::UnknownKind(other.to_owned())),
        };
        let remaining = match (&kind, self.forever, self.count) {
            (_, true, _) => None,
            (FaultKind::Latency(_), false, count) => count,
            (_, false, count) => Some(count.unwrap_or(1)),
        };
        Ok(Fault {
            kind,
            operation: self.operation,
            remaining,
            fraction,
        })
    }
}

#[derive(Debug, Default)]
pub struct FaultQueue {
    faults: Vec<Fault>,
}

impl FaultQueue {
    pub fn add(&mut self, spec: FaultSpec) -> Result<(), FaultSpecError> {
        self.faults.push(spec.into_fault()?);
        Ok(())
    }

    pub fn clear(&mut self) {
        self.faults.clear();
    }

    /// The delay to apply to this request, if a latency fault applies.
    pub fn take_latency(&mut self, operation: &str) -> Option<Duration> {
        self.take_first(operation, |kind| match kind {
            FaultKind::Latency(delay) => Some(*delay),
            _ => None,
        })
    }

    /// A throttle / server error / drop / black hole / trickle fault for this request, if one
    /// applies.
    pub fn take_failure(&mut self, operation: &str) -> Option<Failure> {
        self.take_first(operation, |kind| match kind {
            FaultKind::Throttle => Some(Failure::Throttle),
            FaultKind::ServerError => Some(Failure::ServerError),
            FaultKind::DropAfterCommit => Some(Failure::DropAfterCommit),
            FaultKind::BlackHole => Some(Failure::BlackHole),
            FaultKind::Trickle(interval) => Some(Failure::Trickle(*interval)),
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

    /// The effect of the first fault that matches the call and whose fraction admits it. Every
    /// matching fault up to that one counts the call in its fraction.
    fn take_first<T>(
        &mut self,
        operation: &str,
        effect_of: impl Fn(&FaultKind) -> Option<T>,
    ) -> Option<T> {
        let (index, effect) = self
            .faults
            .iter_mut()
            .enumerate()
            .find_map(|(index, fault)| {
                if fault.operation.as_deref().is_some_and(|op| op != operation) {
                    return None;
                }
                let effect = effect_of(&fault.kind)?;
                fault.fraction.admit().then_some((index, effect))
            })?;
        if let Some(remaining) = self.faults[index].remaining.as_mut() {
            *remaining -= 1;
            if *remaining == 0 {
                self.faults.remove(index);
            }
        }
        Some(effect)
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
            latency_ms: (kind == "latency").then_some(5),
            ..FaultSpec::default()
        }
    }

    fn with_fraction(kind: &str, fraction: f64) -> FaultSpec {
        FaultSpec {
            fraction: Some(fraction),
            forever: true,
            ..spec(kind, None, None)
        }
    }

    /// Whether a failure fault applied to each of `calls` calls of `operation`.
    fn pattern(queue: &mut FaultQueue, operation: &str, calls: usize) -> Vec<bool> {
        (0..calls)
            .map(|_| queue.take_failure(operation).is_some())
            .collect()
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
    fn forever_never_runs_out() {
        let mut queue = FaultQueue::default();
        let forever = FaultSpec {
            forever: true,
            ..spec("server_error", Some("ListClusters"), None)
        };
        queue.add(forever).expect("valid");
        assert_eq!(pattern(&mut queue, "ListClusters", 1000), [true; 1000]);
        assert_eq!(queue.take_failure("DescribeCluster"), None);
        queue.clear();
        assert_eq!(queue.take_failure("ListClusters"), None);
    }

    #[test]
    fn fractions_apply_to_exactly_their_share() {
        let mut queue = FaultQueue::default();
        queue.add(with_fraction("throttle", 0.75)).expect("valid");
        let three_of_four = [false, true, true, true];
        assert_eq!(
            pattern(&mut queue, "ListClusters", 8),
            three_of_four.repeat(2)
        );

        let mut queue = FaultQueue::default();
        queue.add(with_fraction("throttle", 0.5)).expect("valid");
        assert_eq!(
            pattern(&mut queue, "ListClusters", 6),
            [false, true].repeat(3)
        );

        // Shares that are not exact in binary still add up to whole calls.
        for (share, period) in [(0.1, 10), (0.2, 5), (1.0 / 3.0, 3), (0.01, 100)] {
            let mut queue = FaultQueue::default();
            queue.add(with_fraction("throttle", share)).expect("valid");
            let applied = pattern(&mut queue, "ListClusters", period * 100);
            let hits: Vec<usize> = (0..applied.len()).filter(|&i| applied[i]).collect();
            let expected: Vec<usize> = (1..=100).map(|n| n * period - 1).collect();
            assert_eq!(hits, expected, "fraction {share}");
        }
    }

    #[test]
    fn a_call_a_fraction_lets_through_meets_the_next_faults() {
        let mut queue = FaultQueue::default();
        queue.add(with_fraction("throttle", 0.5)).expect("valid");
        queue
            .add(spec("server_error", Some("ListClusters"), Some(2)))
            .expect("valid");
        let failures: Vec<_> = (0..6).map(|_| queue.take_failure("ListClusters")).collect();
        use Failure::{ServerError, Throttle};
        assert_eq!(
            failures,
            [
                Some(ServerError),
                Some(Throttle),
                Some(ServerError),
                Some(Throttle),
                None,
                Some(Throttle)
            ]
        );
    }

    #[test]
    fn count_counts_the_calls_a_fraction_applied_to() {
        let mut queue = FaultQueue::default();
        let spec = FaultSpec {
            fraction: Some(0.5),
            ..spec("server_error", None, Some(2))
        };
        queue.add(spec).expect("valid");
        assert_eq!(
            pattern(&mut queue, "ListClusters", 6),
            [false, true, false, true, false, false]
        );
    }

    #[test]
    fn calls_of_other_operations_do_not_count_in_a_fraction() {
        let mut queue = FaultQueue::default();
        let spec = FaultSpec {
            fraction: Some(0.5),
            forever: true,
            ..spec("throttle", Some("ListClusters"), None)
        };
        queue.add(spec).expect("valid");
        assert_eq!(queue.take_failure("ListClusters"), None);
        assert_eq!(queue.take_failure("DescribeCluster"), None);
        assert_eq!(queue.take_latency("ListClusters"), None);
        assert_eq!(queue.take_failure("ListClusters"), Some(Failure::Throttle));
    }

    #[test]
    fn black_hole_and_trickle_are_failures() {
        let mut queue = FaultQueue::default();
        queue.add(spec("black_hole", None, None)).expect("valid");
        queue.add(spec("trickle", None, None)).expect("valid");
        let fast = FaultSpec {
            interval_ms: Some(20),
            ..spec("trickle", None, None)
        };
        queue.add(fast).expect("valid");
        assert_eq!(queue.take_failure("ListClusters"), Some(Failure::BlackHole));
        assert_eq!(
            queue.take_failure("ListClusters"),
            Some(Failure::Trickle(Duration::from_secs(1)))
        );
        assert_eq!(
            queue.take_failure("ListClusters"),
            Some(Failure::Trickle(Duration::from_millis(20)))
        );
        assert_eq!(queue.take_failure("ListClusters"), None);
    }

    #[test]
    fn rejects_bad_specs() {
        let rejected = |spec: FaultSpec| {
            FaultQueue::default()
                .add(spec)
                .expect_err("invalid spec accepted")
        };
        assert_eq!(
            rejected(spec("explode", None, None)),
            FaultSpecError::UnknownKind("explode".into())
        );
        assert_eq!(
            rejected(spec("throttle", Some("Nope"), None)),
            FaultSpecError::UnknownOperation("Nope".into())
        );
        assert_eq!(
            rejected(spec("throttle", None, Some(0))),
            FaultSpecError::ZeroCount
        );
        let forever_twice = FaultSpec {
            forever: true,
            ..spec("throttle", None, Some(3))
        };
        assert_eq!(rejected(forever_twice), FaultSpecError::ForeverWithCount);
        for share in [0.0, -0.5, 1.5, f64::NAN, f64::INFINITY] {
            let bad = FaultSpec {
                fraction: Some(share),
                ..spec("throttle", None, None)
            };
            assert!(
                matches!(rejected(bad), FaultSpecError::BadFraction(_)),
                "{share}"
            );
        }
        let no_delay = FaultSpec {
            latency_ms: None,
            ..spec("latency", None, None)
        };
        assert_eq!(rejected(no_delay), FaultSpecError::MissingLatency);
        let zero_interval = FaultSpec {
            interval_ms: Some(0),
            ..spec("trickle", None, None)
        };
        assert_eq!(rejected(zero_interval), FaultSpecError::ZeroInterval);
        let misplaced = FaultSpec {
            interval_ms: Some(5),
            ..spec("throttle", None, None)
        };
        assert_eq!(
            rejected(misplaced).to_string(),
            "interval_ms applies only to trickle faults"
        );
        let misplaced = FaultSpec {
            role_arn: Some("arn:aws:iam::123456789012:role/x".into()),
            ..spec("black_hole", None, None)
        };
        assert!(matches!(
            rejected(misplaced),
            FaultSpecError::OptionOfOtherKind {
                option: "role_arn",
                ..
            }
        ));
    }

    #[test]
    fn specs_parse_from_the_admin_json() {
        let parsed: FaultSpec = serde_json::from_value(serde_json::json!({
            "kind": "drop_after_commit",
            "operation": "CreatePodIdentityAssociation",
            "forever": true,
            "fraction": 0.25
        }))
        .expect("parses");
        let fault = parsed.into_fault().expect("valid");
        assert_eq!(fault.kind, FaultKind::DropAfterCommit);
        assert_eq!(fault.remaining, None);
        assert_eq!(fault.fraction, Fraction::new(0.25).expect("valid share"));
        let unknown = serde_json::from_value::<FaultSpec>(serde_json::json!({
            "kind": "throttle",
            "percent": 50
        }));
        assert!(unknown.is_err(), "unknown fields are refused");
    }
}
