//! Structural SigV4 checks, in the order and with the messages the real endpoint uses. The HMAC
//! itself is not verified: the point is to catch clients that sign for the wrong service or
//! region, or do not sign at all.

use axum::http::HeaderMap;

use super::error::{ApiError, ErrorKind};

const ALGORITHM: &str = "AWS4-HMAC-SHA256";
const SERVICE: &str = "eks";

/// The credential scope of a structurally valid SigV4 `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub access_key_id: String,
    pub date: String,
    pub region: String,
    pub service: String,
}

/// Checks the request's signature headers and returns the signing credential.
pub fn verify(headers: &HeaderMap, region: &str) -> Result<Credential, ApiError> {
    let Some(authorization) = headers.get("authorization") else {
        return Err(ApiError::new(
            ErrorKind::MissingAuthenticationToken,
            "Missing Authentication Token",
        ));
    };
    let authorization = authorization
        .to_str()
        .map_err(|_| incomplete("Authorization header is not valid ASCII."))?;
    let credential = parse_authorization(authorization)?;
    if headers.get("x-amz-date").is_none() {
        return Err(incomplete(&format!(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={authorization}"
        )));
    }
    if credential.service != SERVICE {
        return Err(ApiError::new(
            ErrorKind::InvalidSignature,
            format!("Credential should be scoped to correct service: '{SERVICE}'. "),
        ));
    }
    if credential.region != region {
        return Err(ApiError::new(
            ErrorKind::InvalidSignature,
            "Credential should be scoped to a valid region. ",
        ));
    }
    Ok(credential)
}

fn incomplete(message: &str) -> ApiError {
    ApiError::new(ErrorKind::IncompleteSignature, message)
}

/// Parses `AWS4-HMAC-SHA256 Credential=AKID/yyyymmdd/region/service/aws4_request,
/// SignedHeaders=a;b, Signature=hex`.
fn parse_authorization(header: &str) -> Result<Credential, ApiError> {
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
    if !signature.is_some_and(|s| s.chars().all(|c| c.is_ascii_hexdigit())) {
        return Err(incomplete("Signature must be a hexadecimal string."));
    }

    let scope: Vec<&str> = credential.unwrap_or_default().split('/').collect();
    match scope.as_slice() {
        [access_key_id, date, region, service, "aws4_request"]
            if !access_key_id.is_empty()
                && date.len() == 8
                && date.chars().all(|c| c.is_ascii_digit()) =>
        {
            Ok(Credential {
                access_key_id: (*access_key_id).to_owned(),
                date: (*date).to_owned(),
                region: (*region).to_owned(),
                service: (*service).to_owned(),
            })
        }
        _ => Err(incomplete(&format!(
            "Credential should be of the form <access key>/<yyyymmdd>/<region>/<service>/aws4_request. Authorization={header}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(authorization: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-amz-date",
            "20240101T000000Z".parse().expect("static header"),
        );
        if let Some(value) = authorization {
            headers.insert("authorization", value.parse().expect("static header"));
        }
        headers
    }

    fn auth(scope: &str) -> String {
        format!("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/{scope}/aws4_request, SignedHeaders=host;x-amz-date, Signature=0123abcd")
    }

    #[test]
    fn accepts_a_well_formed_header() {
        let credential =
            verify(&headers(Some(&auth("eu-west-1/eks"))), "eu-west-1").expect("valid header");
        assert_eq!(credential.access_key_id, "AKIDEXAMPLE");
        assert_eq!(credential.date, "20240101");
    }

    #[test]
    fn classifies_failures() {
        let kind = |h: HeaderMap| verify(&h, "eu-west-1").map(|_| ()).unwrap_err().kind;
        assert_eq!(kind(headers(None)), ErrorKind::MissingAuthenticationToken);
        assert_eq!(
            kind(headers(Some("Bearer x"))),
            ErrorKind::IncompleteSignature
        );
        assert_eq!(
            kind(headers(Some(
                "AWS4-HMAC-SHA256 Credential=A/20240101/eu-west-1/eks/aws4_request"
            ))),
            ErrorKind::IncompleteSignature
        );
        assert_eq!(
            kind(headers(Some(&auth("eu-west-1/s3")))),
            ErrorKind::InvalidSignature
        );
        assert_eq!(
            kind(headers(Some(&auth("us-east-1/eks")))),
            ErrorKind::InvalidSignature
        );
        let mut no_date = headers(Some(&auth("eu-west-1/eks")));
        no_date.remove("x-amz-date");
        assert_eq!(kind(no_date), ErrorKind::IncompleteSignature);
    }
}
