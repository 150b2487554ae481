//! The wire protocol: SigV4 (structure, scope, dates, credentials, signature), malformed
//! requests, the request log and the binary.

mod common;

use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_sdk_eks::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_eks::config::{ConfigBag, Credentials, Intercept, Region, RuntimeComponents};
use aws_sdk_eks::error::{BoxError, ProvideErrorMetadata};
use aws_smithy_async::time::TimeSource;
use aws_smithy_types::body::SdkBody;
use common::*;
use eks_emulator::client::{sdk_config, Admin, ACCESS_KEY_ID, SECRET_ACCESS_KEY};
use eks_emulator::EmulatorConfig;
use serde_json::{json, Value};

const AMZ_DATE: (&str, &str) = ("X-Amz-Date", "20250101T000000Z");
const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
const INVALID_TOKEN: &str = "The security token included in the request is invalid.";

/// A hand-made `Authorization` header for the test key with this `region/service` scope.
fn authorization(scope: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential={ACCESS_KEY_ID}/20250101/{scope}/aws4_request, SignedHeaders=host;x-amz-date, Signature=0123456789abcdef"
    )
}

/// A client that signs with these credentials.
async fn client_signing_as(url: &str, credentials: Credentials) -> aws_sdk_eks::Client {
    client_with(url, |loader| loader.credentials_provider(credentials)).await
}

fn credentials(access_key_id: &str, secret: &str, token: Option<&str>) -> Credentials {
    Credentials::new(
        access_key_id,
        secret,
        token.map(str::to_owned),
        None,
        "conformance",
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_must_carry_a_sigv4_signature_for_eks_in_the_region() {
    let (emulator, _eks) = setup().await;
    let path = "/clusters/c1/pod-identity-associations";
    let get_with =
        |auth: &str| raw_request(&emulator, "GET", path, &[("Authorization", auth), AMZ_DATE]);

    let unsigned = raw_request(&emulator, "GET", path, &[AMZ_DATE]);
    assert_error(
        &unsigned,
        403,
        "MissingAuthenticationTokenException",
        "unsigned",
    );
    assert_eq!(
        json_body(&unsigned)["message"],
        "Missing Authentication Token"
    );

    for malformed in [
        "Bearer abc",
        "AWS4-HMAC-SHA256 Credential=AKID/20250101/eu-west-1/eks/aws4_request",
        "AWS4-HMAC-SHA256 Credential=AKID/eu-west-1/eks, SignedHeaders=host, Signature=00",
    ] {
        let response = get_with(malformed);
        assert_error(&response, 403, INCOMPLETE_SIGNATURE, malformed);
    }
    let auth = authorization("eu-west-1/eks");
    let no_date = raw_request(&emulator, "GET", path, &[("Authorization", &auth)]);
    assert_error(&no_date, 403, INCOMPLETE_SIGNATURE, "no X-Amz-Date");

    let wrong_service = get_with(&authorization("eu-west-1/iam"));
    assert_error(&wrong_service, 403, INVALID_SIGNATURE, "wrong service");
    assert_eq!(
        json_body(&wrong_service)["message"],
        "Credential should be scoped to correct service: 'eks'. "
    );

    let wrong_region = get_with(&authorization("moon-1/eks"));
    assert_error(&wrong_region, 403, INVALID_SIGNATURE, "not a region");
    assert_eq!(
        json_body(&wrong_region)["message"],
        "Credential should be scoped to a valid region. "
    );

    // The SDK configured for a name that is no AWS Region signs for it and is refused the same
    // way.
    let nowhere = client_with(emulator.url(), |loader| {
        loader.region(Region::new("moon-1"))
    })
    .await;
    expect_error_containing(
        nowhere.list_clusters().send().await,
        "client of no region",
        INVALID_SIGNATURE,
        "valid region",
    );

    let ok = signed_raw(&emulator, "GET", path, "");
    assert_eq!(ok.status, 200);
    assert!(ok.headers.contains_key("x-amzn-requestid"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_is_a_signature_mismatch() {
    let (emulator, _eks) = setup().await;
    let eks = client_signing_as(
        emulator.url(),
        credentials(ACCESS_KEY_ID, "not-the-secret", None),
    )
    .await;
    let err = expect_error(
        eks.list_clusters().send().await,
        "wrong secret",
        INVALID_SIGNATURE,
    );
    assert_eq!(err.message(), Some(SIGNATURE_MISMATCH));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_access_key_is_unrecognized() {
    let (emulator, _eks) = setup().await;
    let eks = client_signing_as(
        emulator.url(),
        credentials("AKIAUNKNOWNKEY000001", SECRET_ACCESS_KEY, None),
    )
    .await;
    let err = expect_error(
        describe_request(&eks, "a-00000000000000000").send().await,
        "unknown key",
        UNRECOGNIZED_CLIENT,
    );
    assert_eq!(err.message(), Some(INVALID_TOKEN));
}

/// Replaces the namespace `ns` in the request body after the SDK signed it.
#[derive(Debug)]
struct ChangeBodyAfterSigning;

impl Intercept for ChangeBodyAfterSigning {
    fn name(&self) -> &'static str {
        "ChangeBodyAfterSigning"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        let body = request.body().bytes().ok_or("the body is not in memory")?;
        let signed = String::from_utf8_lossy(body).into_owned();
        let changed = signed.replacen(r#""ns""#, r#""nx""#, 1);
        if changed == signed {
            return Err(format!("no namespace ns in {signed}").into());
        }
        *request.body_mut() = SdkBody::from(changed);
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_changed_after_signing_is_a_signature_mismatch() {
    let (emulator, _eks) = setup().await;
    let config = sdk_config(emulator.url()).await;
    let config = aws_sdk_eks::config::Builder::from(&config)
        .retry_config(aws_sdk_eks::config::retry::RetryConfig::disabled())
        .interceptor(ChangeBodyAfterSigning)
        .build();
    let eks = aws_sdk_eks::Client::from_conf(config);
    let err = expect_error(
        create_request(&eks, "ns", "sa").send().await,
        "changed body",
        INVALID_SIGNATURE,
    );
    assert_eq!(err.message(), Some(SIGNATURE_MISMATCH));
    assert!(
        admin_associations(&emulator, "c1").is_empty(),
        "not executed"
    );
}

/// A clock `offset` away from the real one, ahead or behind.
#[derive(Debug)]
struct ShiftedClock {
    ahead: bool,
    offset: Duration,
}

impl TimeSource for ShiftedClock {
    fn now(&self) -> SystemTime {
        let now = SystemTime::now();
        let shifted = if self.ahead {
            now.checked_add(self.offset)
        } else {
            now.checked_sub(self.offset)
        };
        shifted.unwrap_or(now)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dates_more_than_15_minutes_away_are_refused() {
    let (emulator, _eks) = setup().await;
    let offset = Duration::from_secs(20 * 60);
    for (ahead, start, end) in [
        (false, "Signature expired: ", " - 15 min.)"),
        (true, "Signature not yet current: ", " + 15 min.)"),
    ] {
        let clock = ShiftedClock { ahead, offset };
        let eks = client_with(emulator.url(), |loader| loader.time_source(clock)).await;
        let err = expect_error(eks.list_clusters().send().await, start, INVALID_SIGNATURE);
        let message = err.message().unwrap_or_default();
        assert!(
            message.starts_with(start) && message.ends_with(end),
            "{message}"
        );
    }
    let close = ShiftedClock {
        ahead: false,
        offset: Duration::from_secs(5 * 60),
    };
    let eks = client_with(emulator.url(), |loader| loader.time_source(close)).await;
    eks.list_clusters().send().await.expect("5 minutes is fine");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn temporary_credentials_need_their_session_token() {
    let (emulator, _eks) = setup().await;
    let (key, secret, token) = ("ASIATEMPORARYKEY0001", "temporary-secret", "session-token");
    emulator
        .admin
        .add_credentials(key, secret, Some(token))
        .expect("add credentials");

    for (what, token) in [("wrong token", Some("other-token")), ("no token", None)] {
        let eks = client_signing_as(emulator.url(), credentials(key, secret, token)).await;
        let err = expect_error(eks.list_clusters().send().await, what, UNRECOGNIZED_CLIENT);
        assert_eq!(err.message(), Some(INVALID_TOKEN), "{what}");
    }
    let eks = client_signing_as(emulator.url(), credentials(key, secret, Some(token))).await;
    eks.list_clusters().send().await.expect("with its token");

    // A long-term key sent with a session token is refused too.
    let with_token = credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY, Some(token));
    let eks = client_signing_as(emulator.url(), with_token).await;
    expect_error(
        eks.list_clusters().send().await,
        "long-term key with a token",
        UNRECOGNIZED_CLIENT,
    );
}

/// An STS endpoint whose state holds one assumed role, and how often its state was read.
async fn sts_with_one_assumed_role(
    key: &str,
    secret: &str,
    token: &str,
) -> (String, Arc<AtomicUsize>) {
    let state = json!({"sts": {"AssumedRole": [{
        "access_key_id": key,
        "secret_access_key": secret,
        "session_token": token,
        "role_arn": "arn:aws:iam::123456789012:role/deployer",
    }]}})
    .to_string();
    let reads = Arc::new(AtomicUsize::new(0));
    let counter = reads.clone();
    let app = axum::Router::new().route(
        "/moto-api/data.json",
        axum::routing::get(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            let state = state.clone();
            async move { state }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the STS endpoint");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, reads)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn temporary_credentials_are_found_at_the_sts_endpoint() {
    let (key, secret, token) = ("ASIAASSUMEDROLE00001", "assumed-secret", "assumed-token");
    let (sts, reads) = sts_with_one_assumed_role(key, secret, token).await;
    let emulator = start_emulator_with(EmulatorConfig {
        sts_endpoint: Some(sts),
        ..EmulatorConfig::default()
    });

    let eks = client_signing_as(emulator.url(), credentials(key, secret, Some(token))).await;
    eks.list_clusters().send().await.expect("issued by STS");
    eks.list_clusters()
        .send()
        .await
        .expect("issued by STS, again");
    assert_eq!(reads.load(Ordering::SeqCst), 1, "found once, then kept");

    let stranger = credentials("ASIANOTISSUED0000001", secret, Some(token));
    let eks = client_signing_as(emulator.url(), stranger).await;
    expect_error(
        eks.list_clusters().send().await,
        "not issued by STS",
        UNRECOGNIZED_CLIENT,
    );
    let wrong_token = credentials(key, secret, Some("other-token"));
    let eks = client_signing_as(emulator.url(), wrong_token).await;
    expect_error(
        eks.list_clusters().send().await,
        "issued key, other token",
        UNRECOGNIZED_CLIENT,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_bodies_and_unknown_paths() {
    let (emulator, _eks) = setup().await;
    let associations = "/clusters/c1/pod-identity-associations";
    let bad_json = signed_raw(&emulator, "POST", associations, "{not json");
    assert_error(&bad_json, 400, SERIALIZATION, "bad JSON");
    let wrong_type = signed_raw(&emulator, "POST", associations, r#"{"namespace": 5}"#);
    assert_error(&wrong_type, 400, SERIALIZATION, "wrongly typed member");

    let unknown = signed_raw(&emulator, "GET", "/clusters/c1/node-groups", "");
    assert_error(&unknown, 404, UNKNOWN_OPERATION, "unknown path");
    assert!(json_body(&unknown)["message"].is_string());
    let wrong_method = signed_raw(&emulator, "PUT", "/clusters/c1", "");
    assert_error(&wrong_method, 404, UNKNOWN_OPERATION, "unknown method");
    let unsigned_unknown = raw_request(&emulator, "GET", "/clusters/c1/node-groups", &[]);
    assert_error(
        &unsigned_unknown,
        403,
        "MissingAuthenticationTokenException",
        "the signature is checked first",
    );

    let log = requests_log(&emulator);
    let operations: Vec<&str> = log
        .iter()
        .map(|r| r["operation"].as_str().expect("operation"))
        .collect();
    assert_eq!(
        operations,
        [
            "CreatePodIdentityAssociation",
            "CreatePodIdentityAssociation",
            "Unknown",
            "Unknown",
            "Unknown"
        ]
    );
    assert_eq!(log[2]["status"], 404);
    assert_eq!(log[2]["error_type"], UNKNOWN_OPERATION);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_log_records_every_api_request() {
    let (emulator, eks) = setup().await;
    let id = new_association_id(&eks, "ns", "sa").await;
    describe(&eks, &id).await;
    let _ = eks.describe_cluster().name("missing").send().await;
    let arn = format!("arn:aws:eks:eu-west-1:{ACCOUNT}:cluster/c1");
    listed_tags(&eks, &arn).await;
    raw_request(&emulator, "GET", "/clusters", &[]);

    let log = requests_log(&emulator);
    assert_eq!(log.len(), 5, "admin requests are not logged: {log:?}");
    let seqs: Vec<u64> = log
        .iter()
        .map(|r| r["seq"].as_u64().expect("seq"))
        .collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "arrival order: {seqs:?}"
    );

    assert_eq!(
        log[0],
        json!({
            "seq": seqs[0],
            "operation": "CreatePodIdentityAssociation",
            "method": "POST",
            "path": "/clusters/c1/pod-identity-associations",
            "query": "",
            "status": 200,
            "error_type": null,
            "access_key_id": ACCESS_KEY_ID,
            "region": "eu-west-1",
            "cluster": "c1",
        })
    );
    assert_eq!(log[1]["operation"], "DescribePodIdentityAssociation");
    assert_eq!(
        log[1]["path"],
        format!("/clusters/c1/pod-identity-associations/{id}")
    );
    assert_eq!(log[2]["operation"], "DescribeCluster");
    assert_eq!(log[2]["status"], 404);
    assert_eq!(log[2]["error_type"], RESOURCE_NOT_FOUND);
    assert_eq!(log[2]["cluster"], "missing");
    assert_eq!(log[3]["operation"], "ListTagsForResource");
    assert_eq!(log[3]["cluster"], "c1");
    assert_eq!(log[4]["operation"], "ListClusters");
    assert_eq!(log[4]["status"], 403);
    assert_eq!(log[4]["access_key_id"], Value::Null);
    assert_eq!(log[4]["region"], Value::Null);
    assert_eq!(log[4]["cluster"], Value::Null);

    clear_requests_log(&emulator);
    assert!(requests_log(&emulator).is_empty());
    list_request(&eks)
        .max_results(5)
        .send()
        .await
        .expect("list");
    let log = requests_log(&emulator);
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["query"], "maxResults=5");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_log_records_who_signed_for_which_region() {
    let (emulator, eks) = setup().await;
    eks.list_clusters().send().await.expect("list clusters");
    let elsewhere = client_with(emulator.url(), |loader| {
        loader.region(Region::new("us-east-1"))
    })
    .await;
    let _ = elsewhere.list_clusters().send().await;
    let nowhere = client_with(emulator.url(), |loader| {
        loader.region(Region::new("moon-1"))
    })
    .await;
    let _ = nowhere.list_clusters().send().await;
    let stranger = credentials("AKIAUNKNOWNKEY000001", SECRET_ACCESS_KEY, None);
    let _ = client_signing_as(emulator.url(), stranger)
        .await
        .list_clusters()
        .send()
        .await;

    let signers: Vec<(u64, Value, Value)> = requests_log(&emulator)
        .iter()
        .map(|r| {
            let status = r["status"].as_u64().expect("status");
            (status, r["access_key_id"].clone(), r["region"].clone())
        })
        .collect();
    assert_eq!(
        signers,
        [
            (200, json!(ACCESS_KEY_ID), json!("eu-west-1")),
            (200, json!(ACCESS_KEY_ID), json!("us-east-1")),
            (403, json!(ACCESS_KEY_ID), json!("moon-1")),
            (403, json!("AKIAUNKNOWNKEY000001"), json!("eu-west-1")),
        ]
    );
}

/// Starts the binary with these arguments; the child and the URL it printed.
fn spawn_binary(args: &[&str]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_eks-emulator"))
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn eks-emulator");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read URL line");
    let url = line.trim_end().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url:?}");
    (child, url)
}

fn stop_with_sigterm(mut child: Child) {
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("send SIGTERM");
    assert!(killed.success());
    let status = child.wait().expect("wait for eks-emulator");
    assert!(status.success(), "clean exit on SIGTERM: {status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_prints_its_url_and_stops_on_sigterm() {
    let help = Command::new(env!("CARGO_BIN_EXE_eks-emulator"))
        .arg("--help")
        .output()
        .expect("run --help");
    assert!(help.status.success());
    let help = String::from_utf8_lossy(&help.stdout);
    for flag in [
        "--port",
        "--access-key-id",
        "--secret-access-key",
        "--sts-endpoint",
    ] {
        assert!(help.contains(flag), "{flag} in {help}");
    }

    let (child, url) = spawn_binary(&[
        "--port",
        "0",
        "--account-id",
        "111122223333",
        "--region",
        "us-west-2",
    ]);
    let cluster = json!({"name": "c"});
    let (status, body) = Admin::new(&url)
        .call("POST", "/_emulator/clusters", Some(&cluster))
        .expect("admin call");
    assert_eq!(status, 200);
    assert_eq!(body["arn"], "arn:aws:eks:us-west-2:111122223333:cluster/c");
    let eks = client_with(&url, |loader| loader.region(Region::new("us-west-2"))).await;
    expect_error(
        create_request(&eks, "ns", "sa")
            .cluster_name("c")
            .send()
            .await,
        "role of another account",
        INVALID_PARAMETER,
    );
    stop_with_sigterm(child);

    // Other credentials replace the test ones.
    let (key, secret) = ("AKIABINARYKEY0000001", "binary-secret");
    let (child, url) = spawn_binary(&["--access-key-id", key, "--secret-access-key", secret]);
    let eks = client_signing_as(&url, credentials(key, secret, None)).await;
    eks.list_clusters()
        .send()
        .await
        .expect("the configured key");
    expect_error(
        client(&url).await.list_clusters().send().await,
        "the test key",
        UNRECOGNIZED_CLIENT,
    );
    stop_with_sigterm(child);
}
