//! What the provider watches in every AWS call, through the SDK's interceptors: the retries
//! (logged), and whether an attempt whose answer was lost may have been carried out.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

use crate::aws::transport::not_aws;

/// An operation that needed more attempts than this is worth an info line.
const MANY_ATTEMPTS: u32 = 3;

fn operation(cfg: &ConfigBag) -> String {
    cfg.load::<Metadata>()
        .map(|m| format!("{}.{}", m.service(), m.name()))
        .unwrap_or_else(|| "AWS call".to_string())
}

fn attempts(cfg: &ConfigBag) -> u32 {
    cfg.load::<RequestAttempts>()
        .map(RequestAttempts::attempts)
        .unwrap_or(1)
}

/// Logs each retry at debug, and at info an operation that needed more than a few attempts.
#[derive(Debug, Default)]
pub struct RetryLog;

impl Intercept for RetryLog {
    fn name(&self) -> &'static str {
        "RetryLog"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let attempt = attempts(cfg);
        if attempt > 1 {
            tracing::debug!(
                target: "podidentity::aws",
                operation = %operation(cfg),
                attempt,
                "retrying"
            );
        }
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let attempts = attempts(cfg);
        if attempts > MANY_ATTEMPTS {
            let outcome = match context.output_or_error() {
                Some(Ok(_)) => "succeeded",
                _ => "failed",
            };
            tracing::info!(
                target: "podidentity::aws",
                operation = %operation(cfg),
                attempts,
                "{} {outcome} after {attempts} attempts",
                operation(cfg)
            );
        }
        Ok(())
    }
}

/// Whether some attempt of one operation failed without a definite answer (no answer at all, a
/// server error, an answer that is not AWS's): such an attempt may have been carried out. Given
/// to one call with `.customize().interceptor(...)`; clones share what they saw.
#[derive(Debug, Clone, Default)]
pub struct LostAnswers(Arc<AtomicBool>);

impl LostAnswers {
    /// An attempt may have been carried out without its answer reaching the provider.
    pub fn any(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

impl Intercept for LostAnswers {
    fn name(&self) -> &'static str {
        "LostAnswers"
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if matches!(context.output_or_error(), Some(Ok(_))) {
            return Ok(());
        }
        let lost = match context.response() {
            None => true,
            Some(response) => response.status().as_u16() >= 500 || not_aws(response).is_some(),
        };
        if lost {
            self.0.store(true, Ordering::SeqCst);
        }
        Ok(())
    }
}
