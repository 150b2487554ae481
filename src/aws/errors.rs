//! Turning the SDK's errors into [`AwsError`] once, so the rest of the provider decides on codes
//! and messages instead of SDK types.

use std::error::Error as StdError;

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_sts::operation::assume_role::AssumeRoleError;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::aws::transport::{
    endpoint_of, not_aws, Abandoned, Refused, Unresolvable, REQUEST_URL_HEADER,
};
use crate::error::{AwsError, AwsErrorKind};

/// Classify an SDK error from `operation`.
pub fn from_sdk<E>(operation: &'static str, err: SdkError<E, HttpResponse>) -> AwsError
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    AwsError::new(operation, classify(&err))
}

fn classify<E>(err: &SdkError<E, HttpResponse>) -> AwsErrorKind
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    if find::<Abandoned>(err).is_some() {
        return AwsErrorKind::Stopped;
    }
    match err {
        SdkError::ServiceError(service) => {
            let raw = service.raw();
            if let (None, Some(what)) = (service.err().code(), not_aws(raw)) {
                return not_an_aws_answer(raw, what);
            }
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
        SdkError::ResponseError(response) => match not_aws(response.raw()) {
            Some(what) => not_an_aws_answer(response.raw(), what),
            None => AwsErrorKind::Transport(chain(err)),
        },
        SdkError::TimeoutError(_) => AwsErrorKind::TimedOut(chain(err)),
        SdkError::DispatchFailure(failure) if failure.is_timeout() => {
            AwsErrorKind::TimedOut(chain(err))
        }
        _ if find::<CredentialsError>(err).is_some() => {
            AwsErrorKind::Credentials(credentials_message(err))
        }
        SdkError::DispatchFailure(_) => match (find::<Refused>(err), find::<Unresolvable>(err)) {
            (Some(refused), _) => {
                AwsErrorKind::Transport(format!("{refused}: nothing accepts connections there"))
            }
            (None, Some(unresolvable)) => AwsErrorKind::Transport(unresolvable.to_string()),
            (None, None) => AwsErrorKind::Transport(chain(err)),
        },
        _ => AwsErrorKind::Other(chain(err)),
    }
}

fn not_an_aws_answer(raw: &HttpResponse, what: String) -> AwsErrorKind {
    AwsErrorKind::NotAws {
        endpoint: raw
            .headers()
            .get(REQUEST_URL_HEADER)
            .map(|url| endpoint_of(url).to_string()),
        status: raw.status().as_u16(),
        what,
    }
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

/// An error and its sources as one line of their messages (a source that only repeats what
/// the error above it says is left out), cut before the first part that is a Rust `Debug`
/// rendering rather than a sentence.
fn chain(err: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = next {
        let message = e.to_string();
        let repeated = parts.last().is_some_and(|last| last.contains(&message));
        if !message.is_empty() && !repeated {
            parts.push(message);
        }
        next = e.source();
    }
    readable(&parts.join(": "))
}

/// `message` up to the first `Debug` rendering in it (`Name {`, `Name(`), which means nothing to
/// a Terraform user and may run over many lines.
pub fn readable(message: &str) -> String {
    let bytes = message.as_bytes();
    let mut cut = message.find('{');
    for (i, b) in bytes.iter().enumerate() {
        if *b != b'(' || i == 0 || !bytes[i - 1].is_ascii_alphanumeric() {
            continue;
        }
        let start = message[..i]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .map_or(0, |p| p + 1);
        if message[start..].starts_with(|c: char| c.is_ascii_uppercase()) {
            cut = Some(cut.map_or(start, |c| c.min(start)));
            break;
        }
    }
    match cut {
        Some(at) => {
            let kept = message[..at].trim_end_matches(|c: char| {
                c.is_whitespace() || matches!(c, ':' | ',' | '(' | '.' | '-')
            });
            let word_start = kept
                .rfind(|c: char| c.is_whitespace() || c == ':')
                .map_or(0, |p| p + 1);
            // A trailing `Name` just before the `{` of its rendering goes too.
            let kept = if at > 0
                && message[..at].ends_with(' ')
                && kept[word_start..].starts_with(|c: char| c.is_ascii_uppercase())
            {
                kept[..word_start].trim_end_matches(|c: char| c.is_whitespace() || c == ':')
            } else {
                kept
            };
            kept.to_string()
        }
        None => message.to_string(),
    }
}

/// The first error of type `T` in the chain that starts at `err`.
fn find<'a, T: StdError + 'static>(err: &'a (dyn StdError + 'static)) -> Option<&'a T> {
    let mut next: Option<&'a (dyn StdError + 'static)> = Some(err);
    while let Some(e) = next {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        next = e.source();
    }
    None
}

/// The innermost useful message of a credentials failure ("no credentials provider was found"
/// is more helpful than "failed to construct request"), without what a `credential_process`
/// printed: that output may hold a secret.
fn credentials_message(err: &(dyn StdError + 'static)) -> String {
    if let Some(SdkError::ServiceError(denied)) =
        find::<SdkError<AssumeRoleError, HttpResponse>>(err)
    {
        let code = denied.err().code().unwrap_or("an error");
        let message = denied.err().message().unwrap_or_default();
        return format!("{ASSUME_ROLE_FAILED} {code}: {message}");
    }
    let message = match find::<CredentialsError>(err) {
        Some(creds) => chain(creds),
        None => chain(err),
    };
    without_process_output(&message)
}

/// How a credentials error that is sts:AssumeRole's refusal starts.
pub const ASSUME_ROLE_FAILED: &str = "sts:AssumeRole answered";

fn without_process_output(message: &str) -> String {
    if !message.contains("external process") {
        return message.to_string();
    }
    let cut = [
        "Stderr:",
        "could not parse response",
        "could not decode output",
    ]
    .iter()
    .filter_map(|marker| message.find(marker))
    .min();
    match cut {
        Some(at) => format!(
            "{} (the credential_process output is not shown: it may hold a secret; run the command yourself to see it)",
            message[..at].trim_end_matches([' ', '.', ':', ','])
        ),
        None => message.to_string(),
    }
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

    #[test]
    fn debug_renderings_are_cut_off() {
        assert_eq!(
            readable("an error occurred while loading credentials: ProviderError(ProviderError { source: FailedToLoadToken(x) })"),
            "an error occurred while loading credentials"
        );
        assert_eq!(
            readable(
                "failed to load IMDS session token: dispatch failure: other: HttpInfo { a: 1 }"
            ),
            "failed to load IMDS session token: dispatch failure: other"
        );
        for kept in [
            "tcp connect error: Connection refused (os error 111)",
            "ThrottlingException (HTTP 400): Rate exceeded",
            "no credentials found in chain",
        ] {
            assert_eq!(readable(kept), kept);
        }
    }

    #[test]
    fn credential_process_output_is_never_shown() {
        let failed = "Error retrieving credentials: external process exited with code exit status: 1. Stderr: token=hunter2-secret";
        let shown = without_process_output(failed);
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("exit status: 1"), "{shown}");
        let unparsable = "Error retrieving credentials from external process, could not parse response: invalid type: string \"AKIASECRET\"";
        assert!(!without_process_output(unparsable).contains("AKIASECRET"));
        assert_eq!(
            without_process_output("no providers in chain provided credentials"),
            "no providers in chain provided credentials"
        );
    }
}
