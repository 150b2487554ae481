//! Turning the SDK's errors into [`AwsError`] once, so the rest of the provider decides on codes
//! and messages instead of SDK types.

use std::error::Error as StdError;

use aws_credential_types::provider::error::CredentialsError;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::error::{AwsError, AwsErrorKind};

/// Classify an SDK error from `operation`.
pub fn from_sdk<E>(operation: &'static str, err: SdkError<E, HttpResponse>) -> AwsError
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    let kind = match &err {
        SdkError::ServiceError(service) => {
            let raw = service.raw();
            // Some AWS-compatible endpoints wrap Query errors differently from AWS
            // (<Errors><Error>); read the code from the body rather than report "Unknown".
            let fallback = || raw.body().bytes().and_then(code_and_message_from_body);
            let (code, message) = match (service.err().code(), service.err().message()) {
                (Some(code), message) => {
                    (code.to_string(), message.unwrap_or_default().to_string())
                }
                (None, _) => fallback().unwrap_or_else(|| ("Unknown".to_string(), String::new())),
            };
            AwsErrorKind::Service {
                status: raw.status().as_u16(),
                code,
                message,
            }
        }
        _ if has_credentials_error(&err) => AwsErrorKind::Credentials(credentials_message(&err)),
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            AwsErrorKind::Transport(DisplayErrorContext(&err).to_string())
        }
        _ => AwsErrorKind::Other(DisplayErrorContext(&err).to_string()),
    };
    AwsError { operation, kind }
}

/// `Ok(None)` when what was looked up does not exist (`ResourceNotFoundException`,
/// `NoSuchEntity`).
pub fn none_if_not_found<T>(result: Result<T, AwsError>) -> Result<Option<T>, AwsError> {
    match result {
        Ok(found) => Ok(Some(found)),
        Err(err) if err.is_not_found() => Ok(None),
        Err(err) => Err(err),
    }
}

/// `Ok` when a removal succeeded or what it would remove was already gone.
pub fn ok_if_gone<T>(result: Result<T, AwsError>) -> Result<(), AwsError> {
    none_if_not_found(result).map(|_| ())
}

/// The error code and message of an XML (`<Code>`, `<Message>`) or JSON (`__type`, `message`)
/// error body.
fn code_and_message_from_body(body: &[u8]) -> Option<(String, String)> {
    let text = std::str::from_utf8(body).ok()?;
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(text) {
        let code = json.get("__type").or_else(|| json.get("code"))?.as_str()?;
        let code = code.rsplit('#').next().unwrap_or(code).to_string();
        let message = json
            .get("message")
            .or_else(|| json.get("Message"))
            .and_then(|m| m.as_str())
            .unwrap_or_default()
            .to_string();
        return Some((code, message));
    }
    let element = |name: &str| {
        let open = format!("<{name}>");
        let close = format!("</{name}>");
        let start = text.find(&open)? + open.len();
        let end = text[start..].find(&close)? + start;
        Some(text[start..end].trim().to_string())
    };
    Some((element("Code")?, element("Message").unwrap_or_default()))
}

fn has_credentials_error(err: &(dyn StdError + 'static)) -> bool {
    let mut next: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = next {
        if e.downcast_ref::<CredentialsError>().is_some() {
            return true;
        }
        next = e.source();
    }
    false
}

/// The innermost useful message of a credentials failure ("no credentials provider was found"
/// is more helpful than "failed to construct request").
fn credentials_message(err: &(dyn StdError + 'static)) -> String {
    let mut next: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = next {
        if let Some(creds) = e.downcast_ref::<CredentialsError>() {
            return DisplayErrorContext(creds).to_string();
        }
        next = e.source();
    }
    DisplayErrorContext(err).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_are_read_from_unusual_bodies() {
        let xml = br#"<?xml version="1.0"?><ErrorResponse><Errors><Error><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error></Errors></ErrorResponse>"#;
        assert_eq!(
            code_and_message_from_body(xml),
            Some((
                "InvalidClientTokenId".to_string(),
                "The security token included in the request is invalid.".to_string()
            ))
        );
        let json = br#"{"__type":"com.amazonaws#ThrottlingException","message":"Rate exceeded"}"#;
        assert_eq!(
            code_and_message_from_body(json),
            Some((
                "ThrottlingException".to_string(),
                "Rate exceeded".to_string()
            ))
        );
        assert_eq!(code_and_message_from_body(b"<html>oops</html>"), None);
    }
}
