//! The verifier against signatures made as the AWS SDK makes them.

use axum::http::HeaderValue;

use super::*;
use crate::client::{signature_headers, ACCESS_KEY_ID, SECRET_ACCESS_KEY};

const NOW: &str = "20250101T120000Z";
const PATH: &str = "/tags/arn%3Aaws%3Aeks%3Aeu-west-1%3A123456789012%3Acluster%2Fc1";
const BODY: &[u8] = br#"{"tags":{"team":"platform"}}"#;

fn now() -> SystemTime {
    parse_amz_date(NOW).expect("valid date")
}

fn test_credentials() -> Credentials {
    Credentials::new(ACCESS_KEY_ID, SECRET_ACCESS_KEY, None)
}

/// The headers of `POST PATH?query` signed by `signer` at `time`, as a client sends them.
fn signed_headers(signer: &Credentials, time: SystemTime) -> HeaderMap {
    let url = format!("http://127.0.0.1:4000{PATH}?b=2&a=1");
    let request_headers = [("content-type".to_owned(), "application/json".to_owned())];
    let signature = signature_headers(
        "POST",
        &url,
        &request_headers,
        BODY,
        signer,
        "eu-west-1",
        time,
    )
    .expect("signable");
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("127.0.0.1:4000"));
    for (name, value) in request_headers.iter().chain(&signature) {
        let name = axum::http::HeaderName::try_from(name.as_str()).expect("header name");
        headers.insert(name, HeaderValue::try_from(value.as_str()).expect("value"));
    }
    headers
}

/// Every check, with `known` as the credentials the emulator knows.
fn authenticate(
    headers: &HeaderMap,
    path: &str,
    body: &[u8],
    known: &[Credentials],
) -> Result<(), ApiError> {
    let authorization = parse(headers)?;
    let time = check_scope(&authorization, headers, SERVICE, now())?;
    let credentials = known
        .iter()
        .find(|c| c.access_key_id == authorization.access_key_id);
    let request = SignedRequest {
        method: "POST",
        path,
        query: Some("b=2&a=1"),
        headers,
        body,
    };
    verify(&authorization, credentials, request, time)
}

fn failure(result: Result<(), ApiError>) -> (ErrorKind, String) {
    let error = result.expect_err("refused");
    (error.kind, error.message)
}

#[test]
fn a_good_signature_is_accepted() {
    let headers = signed_headers(&test_credentials(), now());
    authenticate(&headers, PATH, BODY, &[test_credentials()]).expect("accepted");

    let temporary = Credentials::new("ASIATEMPORARY0000001", "temp-secret", Some("token"));
    let headers = signed_headers(&temporary, now());
    authenticate(&headers, PATH, BODY, &[temporary]).expect("temporary accepted");
}

#[test]
fn a_wrong_secret_or_a_changed_request_is_a_mismatch() {
    let known = [test_credentials()];
    let mismatch = (ErrorKind::InvalidSignature, SIGNATURE_MISMATCH.to_owned());
    let wrong_secret = Credentials::new(ACCESS_KEY_ID, "not-the-secret", None);
    let headers = signed_headers(&wrong_secret, now());
    assert_eq!(
        failure(authenticate(&headers, PATH, BODY, &known)),
        mismatch
    );

    let headers = signed_headers(&test_credentials(), now());
    let other_body = br#"{"tags":{"team":"platforn"}}"#;
    assert_eq!(
        failure(authenticate(&headers, PATH, other_body, &known)),
        mismatch
    );
    let other_path = PATH.replace("c1", "c2");
    assert_eq!(
        failure(authenticate(&headers, &other_path, BODY, &known)),
        mismatch
    );
    let mut other_header = headers.clone();
    other_header.insert("content-type", HeaderValue::from_static("text/plain"));
    assert_eq!(
        failure(authenticate(&other_header, PATH, BODY, &known)),
        mismatch
    );
}

#[test]
fn unknown_keys_and_wrong_tokens_are_unrecognized() {
    let unrecognized = (ErrorKind::UnrecognizedClient, INVALID_TOKEN.to_owned());
    let headers = signed_headers(&test_credentials(), now());
    assert_eq!(
        failure(authenticate(&headers, PATH, BODY, &[])),
        unrecognized
    );

    let temporary = Credentials::new("ASIATEMPORARY0000001", "temp-secret", Some("token"));
    let mut wrong_token = temporary.clone();
    wrong_token.session_token = Some("other-token".to_owned());
    let headers = signed_headers(&wrong_token, now());
    let known = [temporary.clone()];
    assert_eq!(
        failure(authenticate(&headers, PATH, BODY, &known)),
        unrecognized
    );
    let mut no_token = temporary.clone();
    no_token.session_token = None;
    let headers = signed_headers(&no_token, now());
    assert_eq!(
        failure(authenticate(&headers, PATH, BODY, &known)),
        unrecognized
    );

    // A long-term key sent with a session token.
    let mut with_token = test_credentials();
    with_token.session_token = Some("token".to_owned());
    let headers = signed_headers(&with_token, now());
    assert_eq!(
        failure(authenticate(&headers, PATH, BODY, &[test_credentials()])),
        unrecognized
    );
}

#[test]
fn dates_outside_15_minutes_are_refused() {
    let known = [test_credentials()];
    let early = now() - Duration::from_secs(20 * 60);
    let headers = signed_headers(&test_credentials(), early);
    assert_eq!(
        failure(authenticate(&headers, PATH, BODY, &known)),
        (
            ErrorKind::InvalidSignature,
            "Signature expired: 20250101T114000Z is now earlier than 20250101T114500Z (20250101T120000Z - 15 min.)".to_owned()
        )
    );
    let late = now() + Duration::from_secs(20 * 60);
    let headers = signed_headers(&test_credentials(), late);
    assert_eq!(
        failure(authenticate(&headers, PATH, BODY, &known)),
        (
            ErrorKind::InvalidSignature,
            "Signature not yet current: 20250101T122000Z is still later than 20250101T121500Z (20250101T120000Z + 15 min.)".to_owned()
        )
    );
    let within = now() - Duration::from_secs(14 * 60);
    let headers = signed_headers(&test_credentials(), within);
    authenticate(&headers, PATH, BODY, &known).expect("14 minutes is fine");

    let mut garbled = signed_headers(&test_credentials(), now());
    garbled.insert(
        "x-amz-date",
        HeaderValue::from_static("2025-01-01T12:00:00Z"),
    );
    assert_eq!(
        failure(authenticate(&garbled, PATH, BODY, &known)).0,
        ErrorKind::IncompleteSignature
    );
    let mut other_day = signed_headers(&test_credentials(), now());
    let scoped_elsewhere = other_day
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .map(|value| value.replace("/20250101/", "/20241231/"))
        .expect("authorization");
    other_day.insert(
        "authorization",
        HeaderValue::try_from(scoped_elsewhere).expect("header"),
    );
    assert_eq!(
        failure(authenticate(&other_day, PATH, BODY, &known)),
        (
            ErrorKind::InvalidSignature,
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20241231' != '20250101', from '20250101T120000Z'.".to_owned()
        )
    );
}

fn headers(authorization: Option<&str>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("x-amz-date", HeaderValue::from_static(NOW));
    if let Some(value) = authorization {
        headers.insert(
            "authorization",
            HeaderValue::try_from(value).expect("header"),
        );
    }
    headers
}

fn auth(scope: &str) -> String {
    format!("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/{scope}/aws4_request, SignedHeaders=host;x-amz-date, Signature=0123abcd")
}

#[test]
fn reads_a_well_formed_header() {
    let authorization = parse(&headers(Some(&auth("eu-west-1/eks")))).expect("valid");
    assert_eq!(authorization.access_key_id, "AKIDEXAMPLE");
    assert_eq!(authorization.date, "20250101");
    assert_eq!(authorization.signed_headers, ["host", "x-amz-date"]);
    assert_eq!(authorization.signature, "0123abcd");
}

#[test]
fn classifies_structural_failures() {
    let kind = |h: HeaderMap| {
        parse(&h)
            .and_then(|a| check_scope(&a, &h, SERVICE, now()))
            .map(|_| ())
            .expect_err("refused")
            .kind
    };
    assert_eq!(kind(headers(None)), ErrorKind::MissingAuthenticationToken);
    assert_eq!(
        kind(headers(Some("Bearer x"))),
        ErrorKind::IncompleteSignature
    );
    assert_eq!(
        kind(headers(Some(
            "AWS4-HMAC-SHA256 Credential=A/20250101/eu-west-1/eks/aws4_request"
        ))),
        ErrorKind::IncompleteSignature
    );
    assert_eq!(
        kind(headers(Some(&auth("eu-west-1/s3")))),
        ErrorKind::InvalidSignature
    );
    assert_eq!(
        kind(headers(Some(&auth("moon-1/eks")))),
        ErrorKind::InvalidSignature
    );
    let mut no_date = headers(Some(&auth("eu-west-1/eks")));
    no_date.remove("x-amz-date");
    assert_eq!(kind(no_date), ErrorKind::IncompleteSignature);
}
