//! What the provider watches in every AWS call, through the SDK's interceptors: one log line per
//! attempt, the retries, and whether an attempt whose answer was lost may have been carried out.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, Metadata};
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};

use crate::aws::transport::not_aws;

/// An operation that needed more attempts than this is worth an info line when it ends.
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

/// What one attempt is about, noted when it starts.
#[derive(Debug, Clone)]
struct Attempt {
    started: Instant,
    target: String,
}

impl Storable for Attempt {
    type Storer = StoreReplace<Self>;
}

/// How the previous attempt of an operation ended, for the line that says why it is retried.
#[derive(Debug, Clone)]
struct Outcome(String);

impl Storable for Outcome {
    type Storer = StoreReplace<Self>;
}

/// What a request is about, read from the request itself: `cluster/association` for EKS (its
/// path), the role, policy or instance profile for IAM (its form body). Empty for calls about
/// nothing in particular (ListClusters, GetCallerIdentity).
pub fn target_of(request: &HttpRequest) -> String {
    // The path alone: before the endpoint is applied the URI is only that, after it is not.
    let uri = request.uri();
    let uri = match uri.find("://") {
        Some(at) => uri[at + 3..].find('/').map_or("", |p| &uri[at + 3 + p..]),
        None => uri,
    };
    let path = uri.split('?').next().unwrap_or_default();
    if let Some(rest) = path.strip_prefix("/clusters/") {
        let mut parts = rest.split('/');
        let cluster = parts.next().unwrap_or_default();
        return match (parts.next(), parts.next()) {
            (Some("pod-identity-associations"), Some(id)) => format!("{cluster}/{id}"),
            _ => cluster.to_string(),
        };
    }
    let Some(body) = request.body().bytes() else {
        return String::new();
    };
    let form = String::from_utf8_lossy(body);
    let names: Vec<String> = form
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(key, _)| {
            matches!(
                *key,
                "RoleName" | "PolicyArn" | "PolicyName" | "InstanceProfileName"
            )
        })
        .map(|(key, value)| {
            let value = percent_encoding::percent_decode_str(value).decode_utf8_lossy();
            match key {
                "RoleName" => format!("role {value}"),
                "InstanceProfileName" => format!("instance profile {value}"),
                _ => format!("policy {value}"),
            }
        })
        .collect();
    names.join(", ")
}

/// `operation target`, or the operation alone for a call about nothing in particular.
fn subject(operation: &str, target: &str) -> String {
    if target.is_empty() {
        operation.to_string()
    } else {
        format!("{operation} {target}")
    }
}

/// One debug line per attempt of every AWS call (operation, target, HTTP status, attempt,
/// duration), an info line for each retry with what the previous attempt got, and an info line
/// for an operation that needed more than a few attempts.
#[derive(Debug, Default)]
pub struct CallLog;

impl Intercept for CallLog {
    fn name(&self) -> &'static str {
        "CallLog"
    }

    fn read_before_attempt(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let target = target_of(context.request());
        let attempt = attempts(cfg);
        if attempt > 1 {
            let previous = cfg
                .load::<Outcome>()
                .map(|o| o.0.clone())
                .unwrap_or_else(|| "an error".to_string());
            tracing::info!(
                target: "podidentity::aws",
                operation = %operation(cfg),
                aws_target = %target,
                attempt,
                "retrying {} (attempt {attempt}): the previous attempt got {previous}",
                subject(&operation(cfg), &target)
            );
        }
        cfg.interceptor_state().store_put(Attempt {
            started: Instant::now(),
            target,
        });
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let (target, duration_ms) = cfg
            .load::<Attempt>()
            .map(|a| (a.target.clone(), a.started.elapsed().as_millis() as u64))
            .unwrap_or_default();
        let operation = operation(cfg);
        let attempt = attempts(cfg);
        let (status, outcome) = match context.response() {
            Some(response) => {
                let status = response.status().as_u16();
                let code = response
                    .headers()
                    .get("x-amzn-errortype")
                    .map(|t| t.split(':').next().unwrap_or(t).to_string());
                let outcome = match code {
                    Some(code) => format!("{code} (HTTP {status})"),
                    None => format!("HTTP {status}"),
                };
                (Some(status), outcome)
            }
            None => (None, "no answer".to_string()),
        };
        tracing::debug!(
            target: "podidentity::aws",
            operation = %operation,
            aws_target = %target,
            status = status.map(i64::from).unwrap_or(-1),
            attempt,
            duration_ms,
            "AWS call {}: {outcome} in {duration_ms} ms (attempt {attempt})",
            subject(&operation, &target)
        );
        cfg.interceptor_state().store_put(Outcome(outcome));
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

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_types::body::SdkBody;

    fn request(uri: &str, body: &str) -> HttpRequest {
        let mut request = HttpRequest::new(SdkBody::from(body.to_string()));
        request.set_uri(uri).expect("a valid URI");
        request
    }

    #[test]
    fn targets_are_read_from_the_request() {
        let eks = "https://eks.eu-west-1.amazonaws.com";
        assert_eq!(
            target_of(&request(
                &format!("{eks}/clusters/shop-blue/pod-identity-associations/a-123"),
                ""
            )),
            "shop-blue/a-123"
        );
        assert_eq!(
            target_of(&request(
                &format!("{eks}/clusters/shop-blue/pod-identity-associations?maxResults=100"),
                ""
            )),
            "shop-blue"
        );
        assert_eq!(target_of(&request(&format!("{eks}/clusters"), "")), "");
        assert_eq!(
            target_of(&request(
                "https://iam.amazonaws.com/",
                "Action=PutRolePolicy&Version=2010-05-08&RoleName=shop%2Bread&PolicyName=read&PolicyDocument=%7B%7D"
            )),
            "role shop+read, policy read"
        );
        assert_eq!(
            target_of(&request(
                "https://sts.amazonaws.com/",
                "Action=GetCallerIdentity&Version=2011-06-15"
            )),
            ""
        );
        assert_eq!(
            subject("STS.GetCallerIdentity", ""),
            "STS.GetCallerIdentity"
        );
    }
}
