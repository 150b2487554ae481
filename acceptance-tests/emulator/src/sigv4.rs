//! SigV4 as the EKS (and EKS Auth) endpoint checks it, in its order and with its messages: the
//! structure of the `Authorization` header, the credential scope (the service of each operation:
//! `eks`, or `eks-auth` for AssumeRoleForPodIdentity), the request date, the credentials, and the
//! signature itself, recomputed with `aws-sigv4` from the secret the emulator knows.

use std::time::{Duration, SystemTime};

use aws_sigv4::http_request::{
    sign, SignableBody, SignableRequest, SigningInstructions, SigningSettings,
};
use aws_sigv4::sign::v4;
use aws_sigv4::SigningOutput;
use axum::http::HeaderMap;
use subtle::ConstantTimeEq;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

use crate::config::Credentials;
use crate::error::{ApiError, ErrorKind};
use crate::regions::is_aws_region;

const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The signing name of the EKS API.
pub const SERVICE: &str = "eks";
/// How far `x-amz-date` may be from the server's clock.
const MAX_SKEW: Duration = Duration::from_secs(15 * 60);
const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
const INVALID_TOKEN: &str = "The security token included in the request is invalid.";

/// A structurally valid SigV4 `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub access_key_id: String,
    /// `yyyymmdd` of the credential scope.
    pub date: String,
    pub region: String,
    pub service: String,
    /// Lower-case header names, as listed in `SignedHeaders`.
    pub signed_headers: Vec<String>,
    pub signature: String,
    /// The header as received, for the messages that quote it.
    header: String,
}

/// The parts of an HTTP request a signature covers, as received.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    pub method: &'a str,
    /// Still percent-encoded.
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// Reads the `Authorization` header.
pub fn parse(headers: &HeaderMap) -> Result<Authorization, ApiError> {
    let Some(authorization) = headers.get("authorization") else {
        return Err(ApiError::new(
            ErrorKind::MissingAuthenticationToken,
            "Missing Authentication Token",
        ));
    };
    let authorization = authorization
        .to_str()
        .map_err(|_| incomplete("Authorization header is not valid ASCII."))?;
    parse_authorization(authorization)
}

/// Checks what can be checked without the credentials: the `x-amz-date` header, the credential
/// scope (signed for `service` in an AWS Region, [`is_aws_region`]) and the clock skew. Returns
/// the signing time.
pub fn check_scope(
    authorization: &Authorization,
    headers: &HeaderMap,
    service: &str,
    now: SystemTime,
) -> Result<SystemTime, ApiError> {
    let Some(amz_date) = headers.get("x-amz-date") else {
        return Err(incomplete(&format!(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={}",
            authorization.header
        )));
    };
    if authorization.service != service {
        return Err(invalid_signature(format!(
            "Credential should be scoped to correct service: '{service}'. "
        )));
    }
    if !is_aws_region(&authorization.region) {
        return Err(invalid_signature(
            "Credential should be scoped to a valid region. ",
        ));
    }
    let amz_date = String::from_utf8_lossy(amz_date.as_bytes());
    let time = parse_amz_date(&amz_date).ok_or_else(|| {
        incomplete(&format!(
            "Date must be in ISO-8601 'basic format'. Got '{amz_date}'. See http://en.wikipedia.org/wiki/ISO_8601"
        ))
    })?;
    check_skew(time, now)?;
    let day = amz_date.get(..8).unwrap_or_default();
    if authorization.date != day {
        return Err(invalid_signature(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{day}', from '{amz_date}'.",
            authorization.date
        )));
    }
    Ok(time)
}

/// Checks the request against the credentials of its access key (`None`: a key the emulator does
/// not know): the session token, then the signature.
pub fn verify(
    authorization: &Authorization,
    credentials: Option<&Credentials>,
    request: SignedRequest<'_>,
    time: SystemTime,
) -> Result<(), ApiError> {
    let credentials = credentials.ok_or_else(unrecognized_client)?;
    let token = request
        .headers
        .get("x-amz-security-token")
        .map(|token| token.as_bytes());
    let expected_token = credentials.session_token.as_deref().map(str::as_bytes);
    let token_matches = match (token, expected_token) {
        (None, None) => true,
        (Some(token), Some(expected)) => bool::from(token.ct_eq(expected)),
        _ => false,
    };
    if !token_matches {
        return Err(unrecognized_client());
    }
    let expected = expected_signature(authorization, credentials, request, time)
        .ok_or_else(|| invalid_signature(SIGNATURE_MISMATCH))?;
    if bool::from(
        expected
            .as_bytes()
            .ct_eq(authorization.signature.as_bytes()),
    ) {
        Ok(())
    } else {
        Err(invalid_signature(SIGNATURE_MISMATCH))
    }
}

/// The signature of `request` with these credentials, made as the AWS SDK makes it for the
/// service of the credential scope over exactly the headers the client listed. `None` when the
/// request cannot be signed at all.
fn expected_signature(
    authorization: &Authorization,
    credentials: &Credentials,
    request: SignedRequest<'_>,
    time: SystemTime,
) -> Option<String> {
    let mut headers = Vec::new();
    for name in &authorization.signed_headers {
        for value in request.headers.get_all(name.as_str()) {
            headers.push((name.as_str(), value.to_str().ok()?));
        }
    }
    let host = request
        .headers
        .get("host")
        .and_then(|host| host.to_str().ok())
        .unwrap_or("localhost");
    let query = request.query.map(|q| format!("?{q}")).unwrap_or_default();
    let uri = format!("http://{host}{}{query}", request.path);
    let signable = SignableRequest::new(
        request.method,
        uri,
        headers.into_iter(),
        SignableBody::Bytes(request.body),
    )
    .ok()?;
    let mut settings = SigningSettings::default();
    settings.excluded_headers = None;
    let scope = Scope {
        service: &authorization.service,
        region: &authorization.region,
    };
    let signed = sign_for(signable, credentials, scope, time, settings);
    Some(signed.ok()?.signature().to_owned())
}

/// The service and region a request is signed for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scope<'a> {
    pub service: &'a str,
    pub region: &'a str,
}

/// Signs `request` for `scope` with these credentials, as the AWS SDK signs (the default
/// settings: double URI encoding, path normalisation, session token signed; `settings` may
/// change which headers are left out).
pub(crate) fn sign_for(
    request: SignableRequest<'_>,
    credentials: &Credentials,
    scope: Scope<'_>,
    time: SystemTime,
    settings: SigningSettings,
) -> Result<SigningOutput<SigningInstructions>, String> {
    let identity = aws_credential_types::Credentials::new(
        &credentials.access_key_id,
        &credentials.secret_access_key,
        credentials.session_token.clone(),
        None,
        "eks-emulator",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(scope.region)
        .name(scope.service)
        .time(time)
        .settings(settings)
        .build()
        .map_err(|e| e.to_string())?
        .into();
    sign(request, &params).map_err(|e| e.to_string())
}

fn incomplete(message: &str) -> ApiError {
    ApiError::new(ErrorKind::IncompleteSignature, message)
}

fn invalid_signature(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorKind::InvalidSignature, message)
}

fn unrecognized_client() -> ApiError {
    ApiError::new(ErrorKind::UnrecognizedClient, INVALID_TOKEN)
}

/// Parses `AWS4-HMAC-SHA256 Credential=AKID/yyyymmdd/region/service/aws4_request,
/// SignedHeaders=a;b, Signature=hex`.
fn parse_authorization(header: &str) -> Result<Authorization, ApiError> {
    let Some(parameters) = header
        .strip_prefix(ALGORITHM)
        .filter(|rest| rest.starts_with(' '))
    else {
        return Err(incomplete(&format!(
            "Authorization header requires the '{ALGORITHM}' algorithm. Authorization={header}"
        )));
    };

    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in parameters.split(',') {
        let Some((key, value)) = part.trim().split_once('=') else {
            continue;
        };
        match key {
            "Credential" => credential = Some(value),
            "SignedHeaders" => signed_headers = Some(value),
            "Signature" => signature = Some(value),
            _ => {}
        }
    }

    let mut missing = Vec::new();
    for (name, value) in [
        ("Credential", credential),
        ("Signature", signature),
        ("SignedHeaders", signed_headers),
    ] {
        if value.is_none_or(str::is_empty) {
            missing.push(format!("Authorization header requires '{name}' parameter."));
        }
    }
    if !missing.is_empty() {
        return Err(incomplete(&format!(
            "{} Authorization={header}",
            missing.join(" ")
        )));
    }
    let signature = signature.unwrap_or_default();
    if !signature.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(incomplete("Signature must be a hexadecimal string."));
    }

    let scope: Vec<&str> = credential.unwrap_or_default().split('/').collect();
    match scope.as_slice() {
        [access_key_id, date, region, service, "aws4_request"]
            if !access_key_id.is_empty()
                && date.len() == 8
                && date.chars().all(|c| c.is_ascii_digit()) =>
        {
            Ok(Authorization {
                access_key_id: (*access_key_id).to_owned(),
                date: (*date).to_owned(),
                region: (*region).to_owned(),
                service: (*service).to_owned(),
                signed_headers: signed_headers
                    .unwrap_or_default()
                    .split(';')
                    .map(str::to_ascii_lowercase)
                    .collect(),
                signature: signature.to_owned(),
                header: header.to_owned(),
            })
        }
        _ => Err(incomplete(&format!(
            "Credential should be of the form <access key>/<yyyymmdd>/<region>/<service>/aws4_request. Authorization={header}"
        ))),
    }
}

/// `20250101T000000Z`
fn parse_amz_date(value: &str) -> Option<SystemTime> {
    let bytes = value.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = value.get(range)?;
        part.chars()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    if bytes.len() != 16 || bytes[8] != b'T' || bytes[15] != b'Z' {
        return None;
    }
    let month = Month::try_from(u8::try_from(digits(4..6)?).ok()?).ok()?;
    let date = Date::from_calendar_date(
        i32::try_from(digits(0..4)?).ok()?,
        month,
        u8::try_from(digits(6..8)?).ok()?,
    )
    .ok()?;
    let time = Time::from_hms(
        u8::try_from(digits(9..11)?).ok()?,
        u8::try_from(digits(11..13)?).ok()?,
        u8::try_from(digits(13..15)?).ok()?,
    )
    .ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc().into())
}

fn format_amz_date(time: SystemTime) -> String {
    let t = OffsetDateTime::from(time);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// AWS's messages for a request signed more than 15 minutes before or after now.
fn check_skew(time: SystemTime, now: SystemTime) -> Result<(), ApiError> {
    let (date, now_text) = (format_amz_date(time), format_amz_date(now));
    if let Some(earliest) = now
        .checked_sub(MAX_SKEW)
        .filter(|earliest| time < *earliest)
    {
        return Err(invalid_signature(format!(
            "Signature expired: {date} is now earlier than {} ({now_text} - 15 min.)",
            format_amz_date(earliest)
        )));
    }
    if let Some(latest) = now.checked_add(MAX_SKEW).filter(|latest| time > *latest) {
        return Err(invalid_signature(format!(
            "Signature not yet current: {date} is still later than {} ({now_text} + 15 min.)",
            format_amz_date(latest)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
