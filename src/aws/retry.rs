//! Bounded retries for conditions the SDK does not retry by itself (IAM eventual consistency).
//! Throttling and 5xx answers are retried by the SDK (see the provider's `max_retries`).

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use crate::error::{AwsError, Retried};
use crate::lifecycle;

/// How long and how often to retry.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub first: Duration,
    pub max: Duration,
    pub deadline: Duration,
    /// Why an error retried with this backoff may pass, for the log and the final error.
    pub reason: &'static str,
}

impl Backoff {
    /// IAM propagation: a role or principal that was just created can take seconds to be visible
    /// to other services. Two minutes, as hashicorp/aws waits.
    pub const IAM_PROPAGATION: Backoff = Backoff {
        first: Duration::from_millis(500),
        max: Duration::from_secs(5),
        deadline: Duration::from_secs(120),
        reason: "IAM can take up to two minutes to show a new or changed role to other services",
    };

    /// Short conflicts such as IAM's ConcurrentModification or DeleteConflict.
    pub const CONFLICT: Backoff = Backoff {
        first: Duration::from_millis(250),
        max: Duration::from_secs(3),
        deadline: Duration::from_secs(60),
        reason: "IAM reported a change in progress that usually ends within seconds",
    };

    /// The delays to wait between attempts, ending once the deadline would be passed.
    pub fn delays(self) -> impl Iterator<Item = Duration> {
        let mut next = self.first;
        let mut spent = Duration::ZERO;
        std::iter::from_fn(move || {
            if spent + next > self.deadline {
                return None;
            }
            let delay = next;
            spent += delay;
            next = std::cmp::min(next * 2, self.max);
            Some(delay)
        })
    }
}

/// Run `attempt` until it succeeds, fails with an error `retryable` rejects, or the backoff runs
/// out; the last error is returned, saying how long it was retried and why when it was (a stop
/// of the provider during a wait ends it with a `Stopped` error). Each retry is an info line. `attempt` gets the attempt number (0-based). It must be idempotent: callers
/// reuse the same client request token across attempts.
pub async fn retry<T, F, Fut>(
    backoff: Backoff,
    retryable: impl Fn(&AwsError) -> bool,
    mut attempt: F,
) -> Result<T, AwsError>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, AwsError>>,
{
    let started = Instant::now();
    let mut delays = backoff.delays();
    let mut n = 0;
    loop {
        match attempt(n).await {
            Ok(value) => return Ok(value),
            Err(err) if retryable(&err) => match delays.next() {
                Some(delay) => {
                    tracing::info!(
                        target: "podidentity::retry",
                        operation = err.operation,
                        retry = n + 1,
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        "retry {} of {} in {} ms: {} ({})",
                        n + 1,
                        err.operation,
                        delay.as_millis(),
                        backoff.reason,
                        err.kind
                    );
                    if lifecycle::sleep(delay).await.is_err() {
                        return Err(AwsError::stopped(err.operation));
                    }
                    n += 1;
                }
                None if n == 0 => return Err(err),
                None => {
                    return Err(AwsError {
                        retried: Some(Box::new(Retried {
                            attempts: n + 1,
                            elapsed: started.elapsed(),
                            reason: backoff.reason,
                        })),
                        ..err
                    })
                }
            },
            Err(err) => return Err(err),
        }
    }
}

/// Look up with `lookup` until it finds something or the backoff runs out (`None`): for an
/// object just created that IAM may not show yet. A stop of the provider during a wait ends it
/// with a `Stopped` error of `operation`.
pub async fn until_found<T, F, Fut>(
    backoff: Backoff,
    operation: &'static str,
    mut lookup: F,
) -> Result<Option<T>, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, AwsError>>,
{
    let mut delays = backoff.delays();
    loop {
        if let Some(found) = lookup().await? {
            return Ok(Some(found));
        }
        let Some(delay) = delays.next() else {
            return Ok(None);
        };
        if lifecycle::sleep(delay).await.is_err() {
            return Err(AwsError::stopped(operation));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::AwsErrorKind;

    fn service_error(code: &str) -> AwsError {
        AwsError::new(
            "Test",
            AwsErrorKind::Service {
                status: 400,
                code: code.into(),
                message: String::new(),
            },
        )
    }

    #[test]
    fn delays_grow_to_the_cap_and_stop_at_the_deadline() {
        let delays: Vec<_> = Backoff {
            first: Duration::from_secs(1),
            max: Duration::from_secs(4),
            deadline: Duration::from_secs(15),
            reason: "test",
        }
        .delays()
        .collect();
        let secs: Vec<u64> = delays.iter().map(Duration::as_secs).collect();
        assert_eq!(secs, vec![1, 2, 4, 4, 4]);
        let total: Duration = delays.iter().sum();
        assert!(total <= Duration::from_secs(15));
    }

    #[test]
    fn iam_propagation_waits_about_two_minutes_in_all() {
        let total: Duration = Backoff::IAM_PROPAGATION.delays().sum();
        assert!(total <= Duration::from_secs(120));
        assert!(total >= Duration::from_secs(110), "{total:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn retries_only_what_it_is_told_to() {
        let mut calls = 0;
        let result: Result<(), _> = retry(
            Backoff::CONFLICT,
            |e| e.is_code("Retry"),
            |_| {
                calls += 1;
                let code = if calls < 3 { "Retry" } else { "Fatal" };
                async move { Err(service_error(code)) }
            },
        )
        .await;
        assert_eq!(result.unwrap_err().code(), Some("Fatal"));
        assert_eq!(calls, 3);
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_with_the_last_error_when_the_deadline_passes() {
        let mut attempts = Vec::new();
        let result: Result<(), _> = retry(
            Backoff {
                first: Duration::from_millis(100),
                max: Duration::from_millis(100),
                deadline: Duration::from_millis(350),
                reason: "the test says so",
            },
            |e| e.code().is_some_and(|c| c.starts_with("Busy")),
            |n| {
                attempts.push(n);
                // Each attempt fails differently, so the error returned tells which one it was.
                async move { Err(service_error(&format!("Busy{n}"))) }
            },
        )
        .await;
        assert_eq!(attempts, [0, 1, 2, 3], "first attempt plus three retries");
        let err = result.unwrap_err();
        assert_eq!(err.code(), Some("Busy3"));
        assert_eq!(
            err.to_string(),
            "Test: Busy3 (HTTP 400) (the provider tried 4 times over 0.3s because the test says so, and gave up)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn looks_until_found_then_gives_up_with_none() {
        let backoff = Backoff {
            first: Duration::from_millis(250),
            max: Duration::from_secs(1),
            deadline: Duration::from_millis(2500),
            reason: "test",
        };
        let mut lookups = 0;
        let found = until_found(backoff, "Test", || {
            lookups += 1;
            let now = lookups;
            async move { Ok((now == 3).then_some(now)) }
        })
        .await;
        assert_eq!(found.ok(), Some(Some(3)));

        let started = tokio::time::Instant::now();
        let mut lookups = 0;
        let never: Result<Option<()>, _> = until_found(backoff, "Test", || {
            lookups += 1;
            async { Ok(None) }
        })
        .await;
        assert_eq!(never.ok(), Some(None));
        // 250 + 500 + 1000 ms: one more second would pass the deadline.
        assert_eq!(lookups, 4);
        assert_eq!(started.elapsed(), Duration::from_millis(1750));
    }
}
