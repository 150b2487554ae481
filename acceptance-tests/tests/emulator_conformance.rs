//! Conformance of the EKS emulator, driven through the real `aws-sdk-eks` client over HTTP (and,
//! where the SDK would refuse to send the request, through raw HTTP/1.1).

use std::collections::HashMap;
use std::fmt::Debug;
use std::time::{Duration, Instant};

use acceptance::emulator::{EmulatorConfig, EmulatorHandle};
use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region};
use aws_credential_types::Credentials;
use aws_sdk_eks::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_eks::operation::create_pod_identity_association::CreatePodIdentityAssociationError;
use aws_sdk_eks::types::PodIdentityAssociation;
use aws_sdk_eks::Client;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ACCOUNT: &str = "123456789012";
const ACCESS_KEY_ID: &str = "AKIDEMULATORTEST";
const ROLE: &str = "arn:aws:iam::123456789012:role/app";
const OTHER_ROLE: &str = "arn:aws:iam::123456789012:role/path/other";
const TARGET_ROLE: &str = "arn:aws:iam::210987654321:role/target";
const SECOND_TARGET_ROLE: &str = "arn:aws:iam::210987654321:role/target-2";
const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;

// ----- setup ------------------------------------------------------------------------------------

fn start_emulator() -> EmulatorHandle {
    EmulatorHandle::start(EmulatorConfig::default()).expect("emulator starts")
}

async fn client_with(url: &str, region: &str, retry: RetryConfig) -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    let config = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .credentials_provider(Credentials::new(
            ACCESS_KEY_ID,
            "emulator-secret",
            None,
            None,
            "emulator-conformance",
        ))
        .endpoint_url(url)
        .http_client(http_client)
        .retry_config(retry)
        .load()
        .await;
    Client::new(&config)
}

/// Client with SDK retries disabled, so every fault is visible.
async fn client(url: &str) -> Client {
    client_with(url, "eu-west-1", RetryConfig::disabled()).await
}

/// Client that retries quickly, as real callers do.
async fn retrying_client(url: &str) -> Client {
    let retry = RetryConfig::standard()
        .with_max_attempts(4)
        .with_initial_backoff(Duration::from_millis(5));
    client_with(url, "eu-west-1", retry).await
}

/// A fresh emulator with cluster `c1` and a client without retries.
async fn setup() -> (EmulatorHandle, Client) {
    let emulator = start_emulator();
    let (status, _) = admin(
        &emulator,
        "POST",
        "/_emulator/clusters",
        Some(json!({"name": "c1"})),
    )
    .await;
    assert_eq!(status, 200, "admin cluster creation");
    let eks = client(emulator.url()).await;
    (emulator, eks)
}

// ----- raw HTTP -----------------------------------------------------------------------------------

struct RawResponse {
    status: u16,
    headers: HashMap<String, String>,
    body: String,
}

impl RawResponse {
    fn json(&self) -> Value {
        if self.body.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&self.body).expect("response body is JSON")
        }
    }

    fn error_type(&self) -> Option<&str> {
        self.headers.get("x-amzn-errortype").map(String::as_str)
    }
}

/// One HTTP/1.1 request on a fresh connection.
async fn raw_request(
    url: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> RawResponse {
    let address = url.strip_prefix("http://").expect("http URL");
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect to emulator");
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream
        .write_all(request.as_bytes())
        .await
        .expect("send request");
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .await
        .expect("read response");
    let response = String::from_utf8(response).expect("UTF-8 response");
    let (head, body) = response
        .split_once("\r\n\r\n")
        .expect("response has a head");
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .expect("status line");
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    RawResponse {
        status,
        headers,
        body: body.to_owned(),
    }
}

/// An admin call: status and JSON body (null when empty).
async fn admin(
    emulator: &EmulatorHandle,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let response = raw_request(emulator.url(), method, path, &[], &body).await;
    (response.status, response.json())
}

fn authorization(scope: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential={ACCESS_KEY_ID}/20250101/{scope}/aws4_request, SignedHeaders=host;x-amz-date, Signature=0123456789abcdef"
    )
}

/// A raw EKS API request with a structurally valid signature.
async fn signed_raw(
    emulator: &EmulatorHandle,
    method: &str,
    path: &str,
    body: &str,
) -> RawResponse {
    let auth = authorization("eu-west-1/eks");
    raw_request(
        emulator.url(),
        method,
        path,
        &[("Authorization", &auth), ("X-Amz-Date", "20250101T000000Z")],
        body,
    )
    .await
}

async fn add_fault(emulator: &EmulatorHandle, fault: Value) {
    let (status, body) = admin(emulator, "POST", "/_emulator/faults", Some(fault)).await;
    assert_eq!(status, 204, "fault registration: {body}");
}

async fn requests_log(emulator: &EmulatorHandle) -> Vec<Value> {
    let (status, body) = admin(emulator, "GET", "/_emulator/requests", None).await;
    assert_eq!(status, 200);
    body["requests"].as_array().expect("requests array").clone()
}

async fn admin_associations(emulator: &EmulatorHandle, cluster: &str) -> Vec<Value> {
    let (status, body) = admin(
        emulator,
        "GET",
        &format!("/_emulator/clusters/{cluster}/associations"),
        None,
    )
    .await;
    assert_eq!(status, 200, "admin association listing: {body}");
    body["associations"]
        .as_array()
        .expect("associations")
        .clone()
}

// ----- SDK helpers --------------------------------------------------------------------------------

async fn create(eks: &Client, namespace: &str, service_account: &str) -> PodIdentityAssociation {
    eks.create_pod_identity_association()
        .cluster_name("c1")
        .namespace(namespace)
        .service_account(service_account)
        .role_arn(ROLE)
        .send()
        .await
        .expect("create association")
        .association
        .expect("association in response")
}

async fn describe(eks: &Client, association_id: &str) -> PodIdentityAssociation {
    eks.describe_pod_identity_association()
        .cluster_name("c1")
        .association_id(association_id)
        .send()
        .await
        .expect("describe association")
        .association
        .expect("association in response")
}

/// The service error of a call that must fail.
fn service_error<T: Debug, E: Debug, R: Debug>(result: Result<T, SdkError<E, R>>, what: &str) -> E {
    match result {
        Ok(output) => panic!("{what}: expected an error, got {output:?}"),
        Err(SdkError::ServiceError(context)) => context.into_err(),
        Err(other) => panic!("{what}: expected a service error, got {other:?}"),
    }
}

fn assert_error<E: ProvideErrorMetadata + Debug>(err: &E, code: &str, message_part: &str) {
    assert_eq!(err.code(), Some(code), "error code of {err:?}");
    let message = err.message().unwrap_or_default();
    assert!(
        message.contains(message_part),
        "message {message:?} should contain {message_part:?}"
    );
}

fn id_is_well_formed(id: &str) -> bool {
    id.strip_prefix("a-").is_some_and(|rest| {
        rest.len() == 17
            && rest
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    })
}

fn tags(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

// ----- clusters -----------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_operations_round_trip() {
    let emulator = start_emulator();
    let eks = client(emulator.url()).await;

    let created = eks
        .create_cluster()
        .name("blue")
        .role_arn("arn:aws:iam::123456789012:role/cluster")
        .tags("team", "platform")
        .send()
        .await
        .expect("create cluster")
        .cluster
        .expect("cluster");
    assert_eq!(created.name(), Some("blue"));
    assert_eq!(
        created.arn(),
        Some("arn:aws:eks:eu-west-1:123456789012:cluster/blue")
    );
    assert_eq!(created.version(), Some("1.31"));
    assert_eq!(created.status().map(|s| s.as_str()), Some("ACTIVE"));
    assert!(created
        .endpoint()
        .is_some_and(|e| e.starts_with("https://")));
    assert!(created.created_at().is_some());
    assert!(created.platform_version().is_some());
    assert_eq!(created.tags(), Some(&tags(&[("team", "platform")])));

    let described = eks
        .describe_cluster()
        .name("blue")
        .send()
        .await
        .expect("describe cluster")
        .cluster
        .expect("cluster");
    assert_eq!(described.arn(), created.arn());
    assert_eq!(
        described.role_arn(),
        Some("arn:aws:iam::123456789012:role/cluster")
    );

    let duplicate = service_error(
        eks.create_cluster().name("blue").send().await,
        "duplicate cluster",
    );
    assert!(duplicate.is_resource_in_use_exception(), "{duplicate:?}");

    for name in ["green", "common"] {
        eks.create_cluster()
            .name(name)
            .send()
            .await
            .expect("create cluster");
    }
    let first = eks
        .list_clusters()
        .max_results(2)
        .send()
        .await
        .expect("list clusters");
    assert_eq!(first.clusters(), ["blue", "common"]);
    let token = first.next_token().expect("second page");
    let second = eks
        .list_clusters()
        .max_results(2)
        .next_token(token)
        .send()
        .await
        .expect("list clusters page 2");
    assert_eq!(second.clusters(), ["green"]);
    assert_eq!(second.next_token(), None);
    let all: Vec<String> = eks
        .list_clusters()
        .max_results(1)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .expect("paginate clusters");
    assert_eq!(all, ["blue", "common", "green"]);

    let bad_page = service_error(
        eks.list_clusters().max_results(0).send().await,
        "maxResults 0",
    );
    assert!(bad_page.is_invalid_parameter_exception(), "{bad_page:?}");
    let bad_token = service_error(
        eks.list_clusters().next_token("forged").send().await,
        "forged token",
    );
    assert!(bad_token.is_invalid_parameter_exception(), "{bad_token:?}");

    let deleted = eks
        .delete_cluster()
        .name("green")
        .send()
        .await
        .expect("delete cluster")
        .cluster
        .expect("cluster");
    assert_eq!(deleted.name(), Some("green"));
    assert_eq!(deleted.status().map(|s| s.as_str()), Some("DELETING"));

    let gone = service_error(
        eks.describe_cluster().name("green").send().await,
        "deleted cluster",
    );
    assert!(gone.is_resource_not_found_exception());
    assert_error(
        &gone,
        "ResourceNotFoundException",
        "No cluster found for name: green.",
    );
    let gone_again = service_error(
        eks.delete_cluster().name("green").send().await,
        "delete twice",
    );
    assert!(gone_again.is_resource_not_found_exception());
}

// ----- associations: create / describe ------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_and_describe_association() {
    let (_emulator, eks) = setup().await;

    let created = create(&eks, "default", "app").await;
    let id = created.association_id().expect("id");
    assert!(id_is_well_formed(id), "association id {id}");
    assert_eq!(
        created.association_arn(),
        Some(format!("arn:aws:eks:eu-west-1:{ACCOUNT}:podidentityassociation/c1/{id}").as_str())
    );
    assert_eq!(created.cluster_name(), Some("c1"));
    assert_eq!(created.namespace(), Some("default"));
    assert_eq!(created.service_account(), Some("app"));
    assert_eq!(created.role_arn(), Some(ROLE));
    assert_eq!(
        created.tags(),
        Some(&HashMap::new()),
        "tags are always present"
    );
    assert_eq!(created.disable_session_tags(), Some(false));
    assert_eq!(created.owner_arn(), None);
    assert_eq!(created.target_role_arn(), None);
    assert_eq!(created.external_id(), None);
    assert_eq!(created.policy(), None);
    assert!(created.created_at().is_some());
    assert_eq!(created.created_at(), created.modified_at());

    let described = describe(&eks, id).await;
    assert_eq!(described, created);

    let missing = service_error(
        eks.describe_pod_identity_association()
            .cluster_name("c1")
            .association_id("a-00000000000000000")
            .send()
            .await,
        "unknown association",
    );
    assert!(missing.is_resource_not_found_exception());
    assert_error(&missing, "ResourceNotFoundException", "a-00000000000000000");

    let no_cluster = service_error(
        eks.describe_pod_identity_association()
            .cluster_name("nope")
            .association_id(id)
            .send()
            .await,
        "unknown cluster",
    );
    assert!(no_cluster.is_resource_not_found_exception());
    assert_error(
        &no_cluster,
        "ResourceNotFoundException",
        "No cluster found for name: nope.",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_with_target_role_policy_and_tags() {
    let (_emulator, eks) = setup().await;

    let created = eks
        .create_pod_identity_association()
        .cluster_name("c1")
        .namespace("shop")
        .service_account("cart")
        .role_arn(ROLE)
        .target_role_arn(TARGET_ROLE)
        .disable_session_tags(true)
        .policy(POLICY)
        .tags("env", "prod")
        .tags("team", "shop")
        .send()
        .await
        .expect("create association")
        .association
        .expect("association");
    assert_eq!(created.target_role_arn(), Some(TARGET_ROLE));
    let external_id = created
        .external_id()
        .expect("external id with a target role");
    assert_eq!(
        external_id.len(),
        36,
        "external id is a UUID: {external_id}"
    );
    assert_eq!(created.disable_session_tags(), Some(true));
    assert_eq!(created.policy(), Some(POLICY));
    assert_eq!(
        created.tags(),
        Some(&tags(&[("env", "prod"), ("team", "shop")]))
    );
    assert_eq!(
        describe(&eks, created.association_id().expect("id")).await,
        created
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_rejects_invalid_parameters() {
    let (emulator, eks) = setup().await;

    let base = || {
        eks.create_pod_identity_association()
            .cluster_name("c1")
            .namespace("ns")
            .service_account("sa")
    };
    let cases = [
        (
            "missing namespace",
            eks.create_pod_identity_association()
                .cluster_name("c1")
                .service_account("sa")
                .role_arn(ROLE),
            "namespace",
        ),
        (
            "missing service account",
            eks.create_pod_identity_association()
                .cluster_name("c1")
                .namespace("ns")
                .role_arn(ROLE),
            "serviceAccount",
        ),
        ("missing role", base(), "roleArn"),
        (
            "malformed role",
            base().role_arn("arn:aws:iam::123456789012:user/bob"),
            "roleArn",
        ),
        (
            "role in another account",
            base().role_arn("arn:aws:iam::999999999999:role/app"),
            "account",
        ),
        (
            "malformed target role",
            base().role_arn(ROLE).target_role_arn("not-an-arn"),
            "targetRoleArn",
        ),
        (
            "policy without disableSessionTags",
            base().role_arn(ROLE).policy(POLICY),
            "disableSessionTags",
        ),
        (
            "policy with disableSessionTags false",
            base()
                .role_arn(ROLE)
                .policy(POLICY)
                .disable_session_tags(false),
            "disableSessionTags",
        ),
        (
            "policy not JSON",
            base()
                .role_arn(ROLE)
                .policy("{not json")
                .disable_session_tags(true),
            "policy",
        ),
        (
            "reserved tag prefix",
            base().role_arn(ROLE).tags("aws:owner", "x"),
            "aws:",
        ),
        (
            "empty tag key",
            base().role_arn(ROLE).tags("", "x"),
            "Tag key",
        ),
        (
            "long tag key",
            base().role_arn(ROLE).tags("k".repeat(129), "x"),
            "Tag key",
        ),
        (
            "long tag value",
            base().role_arn(ROLE).tags("k", "v".repeat(257)),
            "value",
        ),
    ];
    for (what, request, message_part) in cases {
        let err = service_error(request.send().await, what);
        assert!(err.is_invalid_parameter_exception(), "{what}: {err:?}");
        assert_error(&err, "InvalidParameterException", message_part);
    }

    let mut too_many = base().role_arn(ROLE);
    for i in 0..51 {
        too_many = too_many.tags(format!("k{i}"), "v");
    }
    let err = service_error(too_many.send().await, "51 tags");
    assert!(err.is_invalid_parameter_exception(), "{err:?}");

    let no_cluster = service_error(
        eks.create_pod_identity_association()
            .cluster_name("missing")
            .namespace("ns")
            .service_account("sa")
            .role_arn(ROLE)
            .send()
            .await,
        "unknown cluster",
    );
    assert!(no_cluster.is_resource_not_found_exception());
    assert_error(
        &no_cluster,
        "ResourceNotFoundException",
        "No cluster found for name: missing.",
    );
    if let CreatePodIdentityAssociationError::ResourceNotFoundException(e) = &no_cluster {
        assert_eq!(e.cluster_name(), Some("missing"));
    }

    assert!(
        admin_associations(&emulator, "c1").await.is_empty(),
        "nothing committed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_association_reports_the_existing_id() {
    let (emulator, eks) = setup().await;
    let existing = create(&eks, "default", "app").await;
    let existing_id = existing.association_id().expect("id");

    let err = service_error(
        eks.create_pod_identity_association()
            .cluster_name("c1")
            .namespace("default")
            .service_account("app")
            .role_arn(OTHER_ROLE)
            .send()
            .await,
        "duplicate association",
    );
    assert!(err.is_resource_in_use_exception(), "{err:?}");
    assert_eq!(
        err.message(),
        Some(format!("Association already exists: {existing_id}").as_str())
    );
    match &err {
        CreatePodIdentityAssociationError::ResourceInUseException(e) => {
            assert_eq!(e.cluster_name(), Some("c1"));
        }
        other => panic!("expected ResourceInUseException, got {other:?}"),
    }
    // Same service account in another namespace is a different association.
    create(&eks, "other", "app").await;
    assert_eq!(admin_associations(&emulator, "c1").await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_holds_at_most_5000_associations() {
    let (_emulator, eks) = setup().await;
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..4 {
        let eks = eks.clone();
        workers.spawn(async move {
            for i in 0..1250 {
                create(&eks, "bulk", &format!("sa-{worker}-{i}")).await;
            }
        });
    }
    while let Some(result) = workers.join_next().await {
        result.expect("bulk creation worker");
    }
    let err = service_error(
        eks.create_pod_identity_association()
            .cluster_name("c1")
            .namespace("bulk")
            .service_account("one-too-many")
            .role_arn(ROLE)
            .send()
            .await,
        "5001st association",
    );
    assert!(err.is_resource_limit_exceeded_exception(), "{err:?}");
    assert_eq!(err.code(), Some("ResourceLimitExceededException"));
}

// ----- associations: update / delete --------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_changes_only_the_given_fields() {
    let (_emulator, eks) = setup().await;
    let created = eks
        .create_pod_identity_association()
        .cluster_name("c1")
        .namespace("ns")
        .service_account("sa")
        .role_arn(ROLE)
        .target_role_arn(TARGET_ROLE)
        .disable_session_tags(true)
        .policy(POLICY)
        .tags("keep", "me")
        .send()
        .await
        .expect("create")
        .association
        .expect("association");
    let id = created.association_id().expect("id");
    tokio::time::sleep(Duration::from_millis(20)).await;

    let updated = eks
        .update_pod_identity_association()
        .cluster_name("c1")
        .association_id(id)
        .role_arn(OTHER_ROLE)
        .send()
        .await
        .expect("update role")
        .association
        .expect("association");
    assert_eq!(updated.role_arn(), Some(OTHER_ROLE));
    assert_eq!(updated.target_role_arn(), Some(TARGET_ROLE));
    assert_eq!(updated.external_id(), created.external_id());
    assert_eq!(updated.policy(), Some(POLICY));
    assert_eq!(updated.disable_session_tags(), Some(true));
    assert_eq!(
        updated.tags(),
        Some(&tags(&[("keep", "me")])),
        "update leaves tags alone"
    );
    assert_eq!(updated.created_at(), created.created_at());
    let (created_at, modified_at) = (
        created.modified_at().expect("modifiedAt").as_secs_f64(),
        updated.modified_at().expect("modifiedAt").as_secs_f64(),
    );
    assert!(
        modified_at > created_at,
        "modifiedAt moves: {created_at} -> {modified_at}"
    );
    assert_eq!(describe(&eks, id).await, updated);

    // An update with nothing in it changes nothing but modifiedAt.
    let unchanged = eks
        .update_pod_identity_association()
        .cluster_name("c1")
        .association_id(id)
        .send()
        .await
        .expect("empty update")
        .association
        .expect("association");
    assert_eq!(unchanged.role_arn(), Some(OTHER_ROLE));
    assert_eq!(unchanged.policy(), Some(POLICY));
    assert_eq!(unchanged.external_id(), created.external_id());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn target_role_and_external_id_lifecycle() {
    let (_emulator, eks) = setup().await;
    let id = create(&eks, "ns", "sa")
        .await
        .association_id()
        .expect("id")
        .to_owned();
    let update = || {
        eks.update_pod_identity_association()
            .cluster_name("c1")
            .association_id(&id)
    };

    let first = update()
        .target_role_arn(TARGET_ROLE)
        .send()
        .await
        .expect("set target")
        .association
        .expect("association");
    let first_external_id = first.external_id().expect("external id").to_owned();
    assert_eq!(first.target_role_arn(), Some(TARGET_ROLE));

    let same = update()
        .target_role_arn(TARGET_ROLE)
        .send()
        .await
        .expect("same target")
        .association
        .expect("association");
    assert_eq!(
        same.external_id(),
        Some(first_external_id.as_str()),
        "same target keeps the external id"
    );

    let moved = update()
        .target_role_arn(SECOND_TARGET_ROLE)
        .send()
        .await
        .expect("new target")
        .association
        .expect("association");
    assert_eq!(moved.target_role_arn(), Some(SECOND_TARGET_ROLE));
    let second_external_id = moved.external_id().expect("external id");
    assert_ne!(
        second_external_id, first_external_id,
        "a new target gets a new external id"
    );

    let untouched = update()
        .role_arn(OTHER_ROLE)
        .send()
        .await
        .expect("role only")
        .association
        .expect("association");
    assert_eq!(
        untouched.target_role_arn(),
        Some(SECOND_TARGET_ROLE),
        "absent targetRoleArn leaves it"
    );

    let cleared = update()
        .target_role_arn("")
        .send()
        .await
        .expect("clear target")
        .association
        .expect("association");
    assert_eq!(cleared.target_role_arn(), None);
    assert_eq!(cleared.external_id(), None);
    let described = describe(&eks, &id).await;
    assert_eq!(described.target_role_arn(), None);
    assert_eq!(described.external_id(), None);

    let bad = service_error(
        update()
            .target_role_arn("arn:aws:iam::1:role/x")
            .send()
            .await,
        "bad target",
    );
    assert!(bad.is_invalid_parameter_exception(), "{bad:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_enforces_policy_and_role_rules() {
    let (_emulator, eks) = setup().await;
    let id = create(&eks, "ns", "sa")
        .await
        .association_id()
        .expect("id")
        .to_owned();
    let update = || {
        eks.update_pod_identity_association()
            .cluster_name("c1")
            .association_id(&id)
    };

    let err = service_error(
        update().policy(POLICY).send().await,
        "policy without disableSessionTags",
    );
    assert!(err.is_invalid_parameter_exception(), "{err:?}");
    assert_error(&err, "InvalidParameterException", "disableSessionTags");

    let with_policy = update()
        .policy(POLICY)
        .disable_session_tags(true)
        .send()
        .await
        .expect("set policy")
        .association
        .expect("association");
    assert_eq!(with_policy.policy(), Some(POLICY));

    let err = service_error(
        update().disable_session_tags(false).send().await,
        "re-enable session tags with a policy",
    );
    assert!(err.is_invalid_parameter_exception(), "{err:?}");

    let err = service_error(update().policy("[1,").send().await, "policy not JSON");
    assert!(err.is_invalid_parameter_exception(), "{err:?}");

    let cleared = update()
        .policy("")
        .send()
        .await
        .expect("clear policy")
        .association
        .expect("association");
    assert_eq!(cleared.policy(), None);
    assert_eq!(cleared.disable_session_tags(), Some(true));

    for (what, role) in [
        ("malformed role", "arn:aws:iam::123456789012:group/g"),
        (
            "role in another account",
            "arn:aws:iam::999999999999:role/app",
        ),
        ("empty role", ""),
    ] {
        let err = service_error(update().role_arn(role).send().await, what);
        assert!(err.is_invalid_parameter_exception(), "{what}: {err:?}");
    }
    assert_eq!(
        describe(&eks, &id).await.role_arn(),
        Some(ROLE),
        "failed updates commit nothing"
    );

    let missing = service_error(
        eks.update_pod_identity_association()
            .cluster_name("c1")
            .association_id("a-zzzzzzzzzzzzzzzzz")
            .role_arn(ROLE)
            .send()
            .await,
        "unknown association",
    );
    assert!(missing.is_resource_not_found_exception(), "{missing:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_returns_the_deleted_association() {
    let (_emulator, eks) = setup().await;
    let created = create(&eks, "ns", "sa").await;
    let id = created.association_id().expect("id");

    let deleted = eks
        .delete_pod_identity_association()
        .cluster_name("c1")
        .association_id(id)
        .send()
        .await
        .expect("delete")
        .association
        .expect("association");
    assert_eq!(deleted, created);

    let gone = service_error(
        eks.describe_pod_identity_association()
            .cluster_name("c1")
            .association_id(id)
            .send()
            .await,
        "describe deleted",
    );
    assert!(gone.is_resource_not_found_exception());
    let again = service_error(
        eks.delete_pod_identity_association()
            .cluster_name("c1")
            .association_id(id)
            .send()
            .await,
        "delete twice",
    );
    assert!(again.is_resource_not_found_exception());

    // The slot is free again.
    let recreated = create(&eks, "ns", "sa").await;
    assert_ne!(recreated.association_id(), Some(id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn addon_owned_associations_refuse_update_and_delete() {
    let (emulator, eks) = setup().await;
    let (status, owned) = admin(
        &emulator,
        "POST",
        "/_emulator/clusters/c1/addon-associations",
        Some(json!({"namespace": "kube-system", "serviceAccount": "aws-node", "roleArn": ROLE, "addonName": "vpc-cni"})),
    )
    .await;
    assert_eq!(status, 200, "{owned}");
    let id = owned["associationId"].as_str().expect("associationId");
    let owner = owned["ownerArn"].as_str().expect("ownerArn");
    assert!(
        owner.starts_with(&format!(
            "arn:aws:eks:eu-west-1:{ACCOUNT}:addon/c1/vpc-cni/"
        )),
        "{owner}"
    );

    let described = describe(&eks, id).await;
    assert_eq!(described.owner_arn(), Some(owner));
    let listed = eks
        .list_pod_identity_associations()
        .cluster_name("c1")
        .send()
        .await
        .expect("list");
    assert_eq!(listed.associations()[0].owner_arn(), Some(owner));

    let err = service_error(
        eks.update_pod_identity_association()
            .cluster_name("c1")
            .association_id(id)
            .role_arn(OTHER_ROLE)
            .send()
            .await,
        "update owned",
    );
    assert!(err.is_invalid_request_exception(), "{err:?}");
    assert_error(&err, "InvalidRequestException", "owned by the EKS add-on");

    let err = service_error(
        eks.delete_pod_identity_association()
            .cluster_name("c1")
            .association_id(id)
            .send()
            .await,
        "delete owned",
    );
    assert!(err.is_invalid_request_exception(), "{err:?}");
    assert_error(&err, "InvalidRequestException", "owned by the EKS add-on");
    assert_eq!(describe(&eks, id).await.role_arn(), Some(ROLE));

    // The add-on's service account is taken.
    let dup = service_error(
        eks.create_pod_identity_association()
            .cluster_name("c1")
            .namespace("kube-system")
            .service_account("aws-node")
            .role_arn(ROLE)
            .send()
            .await,
        "duplicate of owned",
    );
    assert_eq!(
        dup.message(),
        Some(format!("Association already exists: {id}").as_str())
    );
}

// ----- listing ------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_paginates_in_creation_order_and_filters() {
    let (emulator, eks) = setup().await;
    let mut ids = Vec::new();
    for (namespace, service_account) in [
        ("blue", "api"),
        ("green", "api"),
        ("blue", "worker"),
        ("green", "worker"),
        ("blue", "cron"),
        ("common", "api"),
        ("blue", "web"),
    ] {
        let created = create(&eks, namespace, service_account).await;
        ids.push(created.association_id().expect("id").to_owned());
    }

    let mut pages = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = eks
            .list_pod_identity_associations()
            .cluster_name("c1")
            .max_results(3)
            .set_next_token(token.clone())
            .send()
            .await
            .expect("list page");
        let page_ids: Vec<String> = page
            .associations()
            .iter()
            .map(|s| s.association_id().expect("id").to_owned())
            .collect();
        pages.push(page_ids);
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [3, 3, 1]);
    assert_eq!(pages.concat(), ids, "stable creation order");

    let all: Vec<String> = eks
        .list_pod_identity_associations()
        .cluster_name("c1")
        .max_results(2)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .expect("paginate")
        .iter()
        .map(|s| s.association_id().expect("id").to_owned())
        .collect();
    assert_eq!(all, ids);

    let blue = eks
        .list_pod_identity_associations()
        .cluster_name("c1")
        .namespace("blue")
        .send()
        .await
        .expect("filter namespace");
    let blue_accounts: Vec<&str> = blue
        .associations()
        .iter()
        .map(|s| s.service_account().expect("sa"))
        .collect();
    assert_eq!(blue_accounts, ["api", "worker", "cron", "web"]);
    assert_eq!(blue.next_token(), None);

    let api_green = eks
        .list_pod_identity_associations()
        .cluster_name("c1")
        .namespace("green")
        .service_account("api")
        .send()
        .await
        .expect("filter both");
    assert_eq!(api_green.associations().len(), 1);
    assert_eq!(
        api_green.associations()[0].association_id(),
        Some(ids[1].as_str())
    );

    let filtered_pages: Vec<String> = eks
        .list_pod_identity_associations()
        .cluster_name("c1")
        .service_account("api")
        .max_results(1)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .expect("paginate filtered")
        .iter()
        .map(|s| s.namespace().expect("ns").to_owned())
        .collect();
    assert_eq!(filtered_pages, ["blue", "green", "common"]);

    // Summaries carry exactly these members on the wire (no roleArn).
    let raw = signed_raw(
        &emulator,
        "GET",
        "/clusters/c1/pod-identity-associations?maxResults=1",
        "",
    )
    .await;
    assert_eq!(raw.status, 200);
    let body = raw.json();
    let summary = body["associations"][0].as_object().expect("summary");
    let mut keys: Vec<&str> = summary.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "associationArn",
            "associationId",
            "clusterName",
            "namespace",
            "serviceAccount"
        ]
    );
    assert!(body["nextToken"].is_string());
    let last = signed_raw(
        &emulator,
        "GET",
        "/clusters/c1/pod-identity-associations",
        "",
    )
    .await;
    assert!(
        last.json().get("nextToken").is_none(),
        "no nextToken on the last page"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_rejects_bad_page_sizes_and_tokens() {
    let (emulator, eks) = setup().await;
    admin(
        &emulator,
        "POST",
        "/_emulator/clusters",
        Some(json!({"name": "c2"})),
    )
    .await;
    for i in 0..3 {
        create(&eks, "ns", &format!("sa{i}")).await;
    }
    for max in [0, 101, -1] {
        let err = service_error(
            eks.list_pod_identity_associations()
                .cluster_name("c1")
                .max_results(max)
                .send()
                .await,
            "bad maxResults",
        );
        assert!(
            err.is_invalid_parameter_exception(),
            "maxResults {max}: {err:?}"
        );
    }
    let ok = eks
        .list_pod_identity_associations()
        .cluster_name("c1")
        .max_results(100)
        .send()
        .await
        .expect("maxResults 100");
    assert_eq!(ok.associations().len(), 3);

    let err = service_error(
        eks.list_pod_identity_associations()
            .cluster_name("c1")
            .next_token("never-issued")
            .send()
            .await,
        "forged token",
    );
    assert!(err.is_invalid_parameter_exception(), "{err:?}");

    let token = eks
        .list_pod_identity_associations()
        .cluster_name("c1")
        .max_results(1)
        .send()
        .await
        .expect("first page")
        .next_token
        .expect("token");
    let err = service_error(
        eks.list_pod_identity_associations()
            .cluster_name("c2")
            .next_token(token)
            .send()
            .await,
        "token of another cluster",
    );
    assert!(err.is_invalid_parameter_exception(), "{err:?}");

    let err = service_error(
        eks.list_pod_identity_associations()
            .cluster_name("nope")
            .send()
            .await,
        "unknown cluster",
    );
    assert!(err.is_resource_not_found_exception(), "{err:?}");
}

// ----- idempotency --------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_is_idempotent_per_client_request_token() {
    let (emulator, eks) = setup().await;
    let request = |service_account: &str| {
        eks.create_pod_identity_association()
            .cluster_name("c1")
            .namespace("ns")
            .service_account(service_account)
            .role_arn(ROLE)
            .tags("k", "v")
            .client_request_token("token-1")
    };

    let first = request("sa")
        .send()
        .await
        .expect("first create")
        .association
        .expect("association");
    let second = request("sa")
        .send()
        .await
        .expect("replayed create")
        .association
        .expect("association");
    assert_eq!(first.association_id(), second.association_id());
    assert_eq!(first, second);
    assert_eq!(
        admin_associations(&emulator, "c1").await.len(),
        1,
        "one association"
    );

    let err = service_error(
        request("other").send().await,
        "same token, other parameters",
    );
    assert!(err.is_invalid_request_exception(), "{err:?}");
    assert_error(&err, "InvalidRequestException", "token-1");
    assert_eq!(admin_associations(&emulator, "c1").await.len(), 1);

    // A failed request stores nothing under its token.
    add_fault(&emulator, json!({"kind": "role_not_found"})).await;
    let failing = || {
        eks.create_pod_identity_association()
            .cluster_name("c1")
            .namespace("ns")
            .service_account("late")
            .role_arn(ROLE)
            .client_request_token("token-2")
    };
    let err = service_error(failing().send().await, "role not found");
    assert!(err.is_invalid_parameter_exception(), "{err:?}");
    let later = failing()
        .send()
        .await
        .expect("retry with the same token")
        .association
        .expect("association");
    assert_eq!(later.service_account(), Some("late"));
    assert_eq!(admin_associations(&emulator, "c1").await.len(), 2);

    // Tokens are scoped to the cluster.
    admin(
        &emulator,
        "POST",
        "/_emulator/clusters",
        Some(json!({"name": "c2"})),
    )
    .await;
    let elsewhere = eks
        .create_pod_identity_association()
        .cluster_name("c2")
        .namespace("ns")
        .service_account("sa")
        .role_arn(ROLE)
        .tags("k", "v")
        .client_request_token("token-1")
        .send()
        .await
        .expect("same token on another cluster")
        .association
        .expect("association");
    assert_ne!(elsewhere.association_id(), first.association_id());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_is_idempotent_per_client_request_token() {
    let (_emulator, eks) = setup().await;
    let id = create(&eks, "ns", "sa")
        .await
        .association_id()
        .expect("id")
        .to_owned();
    let update = |target: &str| {
        eks.update_pod_identity_association()
            .cluster_name("c1")
            .association_id(&id)
            .target_role_arn(target)
            .client_request_token("update-1")
    };
    let first = update(TARGET_ROLE)
        .send()
        .await
        .expect("update")
        .association
        .expect("association");
    let replay = update(TARGET_ROLE)
        .send()
        .await
        .expect("replayed update")
        .association
        .expect("association");
    assert_eq!(
        replay.external_id(),
        first.external_id(),
        "replay does not mint a new external id"
    );
    assert_eq!(replay, first);

    let err = service_error(
        update(SECOND_TARGET_ROLE).send().await,
        "same token, other target",
    );
    assert!(err.is_invalid_request_exception(), "{err:?}");
    assert_eq!(
        describe(&eks, &id).await.target_role_arn(),
        Some(TARGET_ROLE)
    );
}

// ----- tags ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tags_on_associations_and_clusters() {
    let (_emulator, eks) = setup().await;
    let association = eks
        .create_pod_identity_association()
        .cluster_name("c1")
        .namespace("ns")
        .service_account("sa")
        .role_arn(ROLE)
        .tags("a", "1")
        .send()
        .await
        .expect("create")
        .association
        .expect("association");
    let association_arn = association.association_arn().expect("arn").to_owned();
    let cluster_arn = format!("arn:aws:eks:eu-west-1:{ACCOUNT}:cluster/c1");

    for arn in [&association_arn, &cluster_arn] {
        eks.tag_resource()
            .resource_arn(arn)
            .tags("b", "2")
            .tags("c", "3")
            .send()
            .await
            .expect("tag");
        eks.tag_resource()
            .resource_arn(arn)
            .tags("b", "two")
            .send()
            .await
            .expect("overwrite tag");
        eks.untag_resource()
            .resource_arn(arn)
            .tag_keys("c")
            .tag_keys("not-there")
            .send()
            .await
            .expect("untag");
    }
    let listed = eks
        .list_tags_for_resource()
        .resource_arn(&association_arn)
        .send()
        .await
        .expect("list association tags");
    assert_eq!(listed.tags(), Some(&tags(&[("a", "1"), ("b", "two")])));
    let listed = eks
        .list_tags_for_resource()
        .resource_arn(&cluster_arn)
        .send()
        .await
        .expect("list cluster tags");
    assert_eq!(listed.tags(), Some(&tags(&[("b", "two")])));
    let cluster = eks
        .describe_cluster()
        .name("c1")
        .send()
        .await
        .expect("describe cluster")
        .cluster
        .expect("cluster");
    assert_eq!(cluster.tags(), Some(&tags(&[("b", "two")])));

    let id = association.association_id().expect("id");
    assert_eq!(
        describe(&eks, id).await.tags(),
        Some(&tags(&[("a", "1"), ("b", "two")]))
    );
    let updated = eks
        .update_pod_identity_association()
        .cluster_name("c1")
        .association_id(id)
        .role_arn(OTHER_ROLE)
        .send()
        .await
        .expect("update")
        .association
        .expect("association");
    assert_eq!(
        updated.tags(),
        Some(&tags(&[("a", "1"), ("b", "two")])),
        "update keeps tags"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tag_operations_validate_tags_and_resources() {
    let (_emulator, eks) = setup().await;
    let arn = create(&eks, "ns", "sa")
        .await
        .association_arn()
        .expect("arn")
        .to_owned();

    for (what, key, value) in [
        ("reserved prefix", "aws:x".to_owned(), "v".to_owned()),
        ("long key", "k".repeat(129), "v".to_owned()),
        ("long value", "k".to_owned(), "v".repeat(257)),
    ] {
        let err = service_error(
            eks.tag_resource()
                .resource_arn(&arn)
                .tags(key, value)
                .send()
                .await,
            what,
        );
        assert!(err.is_bad_request_exception(), "{what}: {err:?}");
    }
    let mut fifty = eks.tag_resource().resource_arn(&arn);
    for i in 0..50 {
        fifty = fifty.tags(format!("k{i}"), "v");
    }
    fifty.send().await.expect("50 tags are allowed");
    let err = service_error(
        eks.tag_resource()
            .resource_arn(&arn)
            .tags("one-more", "v")
            .send()
            .await,
        "51st tag",
    );
    assert!(err.is_bad_request_exception(), "{err:?}");
    assert_eq!(
        eks.list_tags_for_resource()
            .resource_arn(&arn)
            .send()
            .await
            .expect("list")
            .tags()
            .map(HashMap::len),
        Some(50)
    );

    let unknown =
        format!("arn:aws:eks:eu-west-1:{ACCOUNT}:podidentityassociation/c1/a-00000000000000000");
    let err = service_error(
        eks.list_tags_for_resource()
            .resource_arn(&unknown)
            .send()
            .await,
        "unknown arn",
    );
    assert!(err.is_not_found_exception(), "{err:?}");
    let err = service_error(
        eks.tag_resource()
            .resource_arn(format!("arn:aws:eks:eu-west-1:{ACCOUNT}:cluster/none"))
            .tags("k", "v")
            .send()
            .await,
        "unknown cluster arn",
    );
    assert!(err.is_not_found_exception(), "{err:?}");
    let err = service_error(
        eks.untag_resource()
            .resource_arn("arn:aws:s3:::bucket")
            .tag_keys("k")
            .send()
            .await,
        "non-EKS arn",
    );
    assert!(err.is_bad_request_exception(), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_cluster_deletes_its_associations() {
    let (emulator, eks) = setup().await;
    let association = eks
        .create_pod_identity_association()
        .cluster_name("c1")
        .namespace("ns")
        .service_account("sa")
        .role_arn(ROLE)
        .tags("k", "v")
        .client_request_token("before-delete")
        .send()
        .await
        .expect("create")
        .association
        .expect("association");
    create(&eks, "ns", "sa2").await;

    eks.delete_cluster()
        .name("c1")
        .send()
        .await
        .expect("delete cluster");
    let (status, _) = admin(
        &emulator,
        "GET",
        "/_emulator/clusters/c1/associations",
        None,
    )
    .await;
    assert_eq!(status, 404);
    let err = service_error(
        eks.describe_pod_identity_association()
            .cluster_name("c1")
            .association_id(association.association_id().expect("id"))
            .send()
            .await,
        "association of deleted cluster",
    );
    assert_error(
        &err,
        "ResourceNotFoundException",
        "No cluster found for name: c1.",
    );

    eks.create_cluster()
        .name("c1")
        .send()
        .await
        .expect("recreate cluster");
    let listed = eks
        .list_pod_identity_associations()
        .cluster_name("c1")
        .send()
        .await
        .expect("list");
    assert!(
        listed.associations().is_empty(),
        "associations went with the cluster"
    );
    let err = service_error(
        eks.list_tags_for_resource()
            .resource_arn(association.association_arn().expect("arn"))
            .send()
            .await,
        "tags of a deleted association",
    );
    assert!(err.is_not_found_exception(), "{err:?}");
    // The old token is gone with the cluster: it creates a new association.
    let again = eks
        .create_pod_identity_association()
        .cluster_name("c1")
        .namespace("ns")
        .service_account("sa")
        .role_arn(ROLE)
        .tags("k", "v")
        .client_request_token("before-delete")
        .send()
        .await
        .expect("create after recreate")
        .association
        .expect("association");
    assert_ne!(again.association_id(), association.association_id());
}

// ----- protocol -----------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_must_carry_a_sigv4_signature_for_eks_in_the_region() {
    let (emulator, _eks) = setup().await;
    let path = "/clusters/c1/pod-identity-associations";
    let date = ("X-Amz-Date", "20250101T000000Z");

    let unsigned = raw_request(emulator.url(), "GET", path, &[date], "").await;
    assert_eq!(unsigned.status, 403);
    assert_eq!(
        unsigned.error_type(),
        Some("MissingAuthenticationTokenException")
    );
    assert_eq!(unsigned.json()["message"], "Missing Authentication Token");

    for malformed in [
        "Bearer abc".to_owned(),
        "AWS4-HMAC-SHA256 Credential=AKID/20250101/eu-west-1/eks/aws4_request".to_owned(),
        "AWS4-HMAC-SHA256 Credential=AKID/eu-west-1/eks, SignedHeaders=host, Signature=00"
            .to_owned(),
    ] {
        let response = raw_request(
            emulator.url(),
            "GET",
            path,
            &[("Authorization", &malformed), date],
            "",
        )
        .await;
        assert_eq!(response.status, 403, "{malformed}");
        assert_eq!(
            response.error_type(),
            Some("IncompleteSignatureException"),
            "{malformed}"
        );
    }
    let auth = authorization("eu-west-1/eks");
    let no_date = raw_request(emulator.url(), "GET", path, &[("Authorization", &auth)], "").await;
    assert_eq!(no_date.error_type(), Some("IncompleteSignatureException"));

    let auth = authorization("eu-west-1/iam");
    let wrong_service = raw_request(
        emulator.url(),
        "GET",
        path,
        &[("Authorization", &auth), date],
        "",
    )
    .await;
    assert_eq!(wrong_service.status, 403);
    assert_eq!(
        wrong_service.error_type(),
        Some("InvalidSignatureException")
    );
    assert_eq!(
        wrong_service.json()["message"],
        "Credential should be scoped to correct service: 'eks'. "
    );

    let auth = authorization("us-east-1/eks");
    let wrong_region = raw_request(
        emulator.url(),
        "GET",
        path,
        &[("Authorization", &auth), date],
        "",
    )
    .await;
    assert_eq!(wrong_region.status, 403);
    assert_eq!(wrong_region.error_type(), Some("InvalidSignatureException"));
    assert_eq!(
        wrong_region.json()["message"],
        "Credential should be scoped to a valid region. "
    );

    // The SDK configured for another region signs for it and is refused the same way.
    let elsewhere = client_with(emulator.url(), "us-east-1", RetryConfig::disabled()).await;
    let err = service_error(
        elsewhere.list_clusters().send().await,
        "wrong region client",
    );
    assert_error(&err, "InvalidSignatureException", "valid region");

    let ok = signed_raw(&emulator, "GET", path, "").await;
    assert_eq!(ok.status, 200);
    assert!(ok.headers.contains_key("x-amzn-requestid"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_bodies_and_unknown_paths() {
    let (emulator, _eks) = setup().await;
    let bad_json = signed_raw(
        &emulator,
        "POST",
        "/clusters/c1/pod-identity-associations",
        "{not json",
    )
    .await;
    assert_eq!(bad_json.status, 400);
    assert_eq!(bad_json.error_type(), Some("SerializationException"));
    let wrong_type = signed_raw(
        &emulator,
        "POST",
        "/clusters/c1/pod-identity-associations",
        r#"{"namespace": 5}"#,
    )
    .await;
    assert_eq!(wrong_type.error_type(), Some("SerializationException"));

    let unknown = signed_raw(&emulator, "GET", "/clusters/c1/node-groups", "").await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.error_type(), Some("UnknownOperationException"));
    assert!(unknown.json()["message"].is_string());
    let wrong_method = signed_raw(&emulator, "PUT", "/clusters/c1", "").await;
    assert_eq!(wrong_method.error_type(), Some("UnknownOperationException"));

    let log = requests_log(&emulator).await;
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
            "Unknown"
        ]
    );
    assert_eq!(log[2]["status"], 404);
    assert_eq!(log[2]["error_type"], "UnknownOperationException");
}

// ----- admin interface ----------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_log_records_every_api_request() {
    let (emulator, eks) = setup().await;
    let id = create(&eks, "ns", "sa")
        .await
        .association_id()
        .expect("id")
        .to_owned();
    describe(&eks, &id).await;
    let _ = eks.describe_cluster().name("missing").send().await;
    let arn = format!("arn:aws:eks:eu-west-1:{ACCOUNT}:cluster/c1");
    eks.list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .expect("list tags");
    raw_request(emulator.url(), "GET", "/clusters", &[], "").await;

    let log = requests_log(&emulator).await;
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
    assert_eq!(log[2]["error_type"], "ResourceNotFoundException");
    assert_eq!(log[2]["cluster"], "missing");
    assert_eq!(log[3]["operation"], "ListTagsForResource");
    assert_eq!(log[3]["cluster"], "c1");
    assert_eq!(log[4]["operation"], "ListClusters");
    assert_eq!(log[4]["status"], 403);
    assert_eq!(log[4]["access_key_id"], Value::Null);
    assert_eq!(log[4]["cluster"], Value::Null);

    let (status, _) = admin(&emulator, "DELETE", "/_emulator/requests", None).await;
    assert_eq!(status, 204);
    assert!(requests_log(&emulator).await.is_empty());
    eks.list_pod_identity_associations()
        .cluster_name("c1")
        .max_results(5)
        .send()
        .await
        .expect("list");
    let log = requests_log(&emulator).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["query"], "maxResults=5");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_clusters_and_reset() {
    let emulator = start_emulator();
    let (status, cluster) = admin(
        &emulator,
        "POST",
        "/_emulator/clusters",
        Some(json!({"name": "c1", "tags": {"env": "test"}})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(cluster["name"], "c1");
    assert_eq!(
        cluster["arn"],
        format!("arn:aws:eks:eu-west-1:{ACCOUNT}:cluster/c1")
    );
    assert_eq!(cluster["tags"], json!({"env": "test"}));
    let (status, dup) = admin(
        &emulator,
        "POST",
        "/_emulator/clusters",
        Some(json!({"name": "c1"})),
    )
    .await;
    assert_eq!(status, 409, "{dup}");

    let eks = client(emulator.url()).await;
    let created = create(&eks, "ns", "sa").await;
    let listed = admin_associations(&emulator, "c1").await;
    assert_eq!(listed.len(), 1);
    assert_eq!(
        listed[0]["associationId"],
        created.association_id().expect("id")
    );
    assert_eq!(listed[0]["roleArn"], ROLE);

    let (status, _) = admin(
        &emulator,
        "GET",
        "/_emulator/clusters/none/associations",
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = admin(&emulator, "DELETE", "/_emulator/clusters/none", None).await;
    assert_eq!(status, 404);
    let (status, _) = admin(
        &emulator,
        "POST",
        "/_emulator/faults",
        Some(json!({"kind": "meteor"})),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = admin(
        &emulator,
        "POST",
        "/_emulator/faults",
        Some(json!({"kind": "throttle", "operation": "DescribeNothing"})),
    )
    .await;
    assert_eq!(status, 400);

    add_fault(&emulator, json!({"kind": "throttle", "count": 5})).await;
    let (status, _) = admin(&emulator, "POST", "/_emulator/reset", None).await;
    assert_eq!(status, 204);
    assert!(requests_log(&emulator).await.is_empty());
    let err = service_error(
        eks.describe_cluster().name("c1").send().await,
        "cluster after reset",
    );
    assert!(
        err.is_resource_not_found_exception(),
        "faults were cleared too: {err:?}"
    );

    admin(
        &emulator,
        "POST",
        "/_emulator/clusters",
        Some(json!({"name": "c1"})),
    )
    .await;
    create(&eks, "ns", "sa").await;
    let (status, _) = admin(&emulator, "DELETE", "/_emulator/clusters/c1", None).await;
    assert_eq!(status, 204);
    let err = service_error(
        eks.describe_cluster().name("c1").send().await,
        "admin-deleted cluster",
    );
    assert!(err.is_resource_not_found_exception());
}

// ----- faults -------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttle_fault() {
    let (emulator, eks) = setup().await;
    add_fault(
        &emulator,
        json!({"kind": "throttle", "operation": "CreatePodIdentityAssociation", "count": 2}),
    )
    .await;

    // Other operations are not affected.
    eks.list_clusters()
        .send()
        .await
        .expect("list clusters is not throttled");

    let attempt = || {
        eks.create_pod_identity_association()
            .cluster_name("c1")
            .namespace("ns")
            .service_account("sa")
            .role_arn(ROLE)
    };
    let err = service_error(attempt().send().await, "throttled create");
    assert_error(&err, "ThrottlingException", "Rate exceeded");
    assert!(
        admin_associations(&emulator, "c1").await.is_empty(),
        "not executed"
    );

    let retrying = retrying_client(emulator.url()).await;
    admin(&emulator, "DELETE", "/_emulator/requests", None).await;
    add_fault(
        &emulator,
        json!({"kind": "throttle", "operation": "CreatePodIdentityAssociation", "count": 1}),
    )
    .await;
    // One count left from the first fault plus one from the second: two throttles, then success.
    retrying
        .create_pod_identity_association()
        .cluster_name("c1")
        .namespace("ns")
        .service_account("sa")
        .role_arn(ROLE)
        .send()
        .await
        .expect("retries get through");
    let statuses: Vec<u64> = requests_log(&emulator)
        .await
        .iter()
        .map(|r| r["status"].as_u64().expect("status"))
        .collect();
    assert_eq!(statuses, [429, 429, 200]);
    assert_eq!(admin_associations(&emulator, "c1").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_error_fault() {
    let (emulator, eks) = setup().await;
    let id = create(&eks, "ns", "sa")
        .await
        .association_id()
        .expect("id")
        .to_owned();
    add_fault(&emulator, json!({"kind": "server_error", "count": 2})).await;

    let err = service_error(
        eks.update_pod_identity_association()
            .cluster_name("c1")
            .association_id(&id)
            .role_arn(OTHER_ROLE)
            .send()
            .await,
        "server error",
    );
    assert!(err.is_server_exception(), "{err:?}");
    assert_eq!(
        describe_with_retries(&emulator, &id).await.role_arn(),
        Some(ROLE),
        "not executed"
    );

    add_fault(
        &emulator,
        json!({"kind": "server_error", "operation": "UpdatePodIdentityAssociation", "count": 2}),
    )
    .await;
    let retrying = retrying_client(emulator.url()).await;
    let updated = retrying
        .update_pod_identity_association()
        .cluster_name("c1")
        .association_id(&id)
        .role_arn(OTHER_ROLE)
        .send()
        .await
        .expect("retries get through")
        .association
        .expect("association");
    assert_eq!(updated.role_arn(), Some(OTHER_ROLE));
    let statuses: Vec<u64> = requests_log(&emulator)
        .await
        .iter()
        .filter(|r| r["operation"] == "UpdatePodIdentityAssociation")
        .map(|r| r["status"].as_u64().expect("status"))
        .collect();
    assert_eq!(statuses, [500, 500, 500, 200]);
}

/// Describe through a retrying client (the server_error fault has a count left over for it).
async fn describe_with_retries(emulator: &EmulatorHandle, id: &str) -> PodIdentityAssociation {
    describe(&retrying_client(emulator.url()).await, id).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_after_commit_fault() {
    let (emulator, eks) = setup().await;
    add_fault(
        &emulator,
        json!({"kind": "drop_after_commit", "operation": "CreatePodIdentityAssociation"}),
    )
    .await;

    let err = eks
        .create_pod_identity_association()
        .cluster_name("c1")
        .namespace("ns")
        .service_account("sa")
        .role_arn(ROLE)
        .send()
        .await
        .expect_err("the connection is dropped");
    match &err {
        SdkError::DispatchFailure(failure) => {
            // hyper: "connection closed before message completed"
            assert!(
                format!("{failure:?}").contains("IncompleteMessage"),
                "connection closed without a response: {failure:?}"
            )
        }
        other => panic!("expected a dispatch failure, got {other:?}"),
    }
    let committed = admin_associations(&emulator, "c1").await;
    assert_eq!(committed.len(), 1, "committed exactly once");
    assert_eq!(committed[0]["serviceAccount"], "sa");

    // With retries the SDK resends the same client request token and gets the committed association.
    add_fault(
        &emulator,
        json!({"kind": "drop_after_commit", "operation": "CreatePodIdentityAssociation"}),
    )
    .await;
    let retrying = retrying_client(emulator.url()).await;
    let created = retrying
        .create_pod_identity_association()
        .cluster_name("c1")
        .namespace("ns")
        .service_account("retried")
        .role_arn(ROLE)
        .send()
        .await
        .expect("retry after a dropped response")
        .association
        .expect("association");
    let retried: Vec<Value> = admin_associations(&emulator, "c1")
        .await
        .into_iter()
        .filter(|a| a["serviceAccount"] == "retried")
        .collect();
    assert_eq!(retried.len(), 1, "still exactly one");
    assert_eq!(
        retried[0]["associationId"],
        created.association_id().expect("id")
    );
    let creates = requests_log(&emulator)
        .await
        .iter()
        .filter(|r| r["operation"] == "CreatePodIdentityAssociation")
        .count();
    assert_eq!(
        creates, 3,
        "one dropped attempt + one dropped and one replayed retry"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_not_found_fault() {
    let (emulator, eks) = setup().await;
    add_fault(
        &emulator,
        json!({"kind": "role_not_found", "role_arn": OTHER_ROLE, "count": 2}),
    )
    .await;

    // Other roles are not affected (and do not consume the fault).
    create(&eks, "ns", "unaffected").await;

    let attempt = || {
        eks.create_pod_identity_association()
            .cluster_name("c1")
            .namespace("ns")
            .service_account("new-role")
            .role_arn(OTHER_ROLE)
    };
    for n in 1..=2 {
        let err = service_error(attempt().send().await, "role not propagated yet");
        assert!(err.is_invalid_parameter_exception(), "attempt {n}: {err:?}");
        assert_eq!(
            err.message(),
            Some("Role provided in the request does not exist")
        );
    }
    assert_eq!(
        admin_associations(&emulator, "c1").await.len(),
        1,
        "failures commit nothing"
    );
    attempt().send().await.expect("the role exists now");

    // Update that sets the role is affected too.
    let id = create(&eks, "ns", "switch")
        .await
        .association_id()
        .expect("id")
        .to_owned();
    add_fault(&emulator, json!({"kind": "role_not_found"})).await;
    let update = || {
        eks.update_pod_identity_association()
            .cluster_name("c1")
            .association_id(&id)
            .role_arn(OTHER_ROLE)
    };
    let err = service_error(update().send().await, "update to a new role");
    assert_eq!(
        err.message(),
        Some("Role provided in the request does not exist")
    );
    assert_eq!(describe(&eks, &id).await.role_arn(), Some(ROLE));
    update().send().await.expect("second update succeeds");
    assert_eq!(describe(&eks, &id).await.role_arn(), Some(OTHER_ROLE));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_fault() {
    let (emulator, eks) = setup().await;
    let delay = Duration::from_millis(600);
    let timed = || async {
        let start = Instant::now();
        eks.describe_cluster()
            .name("c1")
            .send()
            .await
            .expect("describe cluster");
        start.elapsed()
    };

    add_fault(
        &emulator,
        json!({"kind": "latency", "latency_ms": 600, "operation": "DescribeCluster", "count": 1}),
    )
    .await;
    let slowed = timed().await;
    assert!(slowed >= delay, "delayed: {slowed:?}");
    let normal = timed().await;
    assert!(normal < delay, "only one request delayed: {normal:?}");

    add_fault(&emulator, json!({"kind": "latency", "latency_ms": 600})).await;
    for _ in 0..2 {
        let slowed = timed().await;
        assert!(slowed >= delay, "every request delayed: {slowed:?}");
    }
    let (status, _) = admin(&emulator, "DELETE", "/_emulator/faults", None).await;
    assert_eq!(status, 204);
    let normal = timed().await;
    assert!(normal < delay, "cleared: {normal:?}");
}

// ----- the binary ---------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_prints_its_url_and_stops_on_sigterm() {
    use std::io::BufRead;

    let help = std::process::Command::new(env!("CARGO_BIN_EXE_eks-emulator"))
        .arg("--help")
        .output()
        .expect("run --help");
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("--port"));

    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_eks-emulator"))
        .args([
            "--port",
            "0",
            "--account-id",
            "111122223333",
            "--region",
            "us-west-2",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn eks-emulator");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read URL line");
    let url = line.trim_end().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url:?}");

    let (status, cluster) = {
        let response =
            raw_request(&url, "POST", "/_emulator/clusters", &[], r#"{"name":"c"}"#).await;
        (response.status, response.json())
    };
    assert_eq!(status, 200);
    assert_eq!(
        cluster["arn"],
        "arn:aws:eks:us-west-2:111122223333:cluster/c"
    );
    let eks = client_with(&url, "us-west-2", RetryConfig::disabled()).await;
    let err = service_error(
        eks.create_pod_identity_association()
            .cluster_name("c")
            .namespace("ns")
            .service_account("sa")
            .role_arn(ROLE)
            .send()
            .await,
        "role of another account",
    );
    assert!(err.is_invalid_parameter_exception(), "{err:?}");

    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("send SIGTERM");
    assert!(killed.success());
    let status = child.wait().expect("wait for eks-emulator");
    assert!(status.success(), "clean exit on SIGTERM: {status:?}");
}
