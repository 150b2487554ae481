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
use aws_sdk_eks::operation::create_pod_identity_association::builders::CreatePodIdentityAssociationFluentBuilder;
use aws_sdk_eks::operation::create_pod_identity_association::{
    CreatePodIdentityAssociationError, CreatePodIdentityAssociationOutput,
};
use aws_sdk_eks::operation::delete_pod_identity_association::builders::DeletePodIdentityAssociationFluentBuilder;
use aws_sdk_eks::operation::delete_pod_identity_association::DeletePodIdentityAssociationOutput;
use aws_sdk_eks::operation::describe_pod_identity_association::builders::DescribePodIdentityAssociationFluentBuilder;
use aws_sdk_eks::operation::describe_pod_identity_association::DescribePodIdentityAssociationOutput;
use aws_sdk_eks::operation::list_pod_identity_associations::builders::ListPodIdentityAssociationsFluentBuilder;
use aws_sdk_eks::operation::update_pod_identity_association::builders::UpdatePodIdentityAssociationFluentBuilder;
use aws_sdk_eks::operation::update_pod_identity_association::UpdatePodIdentityAssociationOutput;
use aws_sdk_eks::types::{Cluster, PodIdentityAssociation, PodIdentityAssociationSummary};
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
const ROLE_NOT_FOUND: &str = "Role provided in the request does not exist";

// Error codes (`x-amzn-errortype`), each of which the SDK maps to the error variant of that name.
const BAD_REQUEST: &str = "BadRequestException";
const INVALID_PARAMETER: &str = "InvalidParameterException";
const INVALID_REQUEST: &str = "InvalidRequestException";
const INVALID_SIGNATURE: &str = "InvalidSignatureException";
const INCOMPLETE_SIGNATURE: &str = "IncompleteSignatureException";
const NOT_FOUND: &str = "NotFoundException";
const RESOURCE_IN_USE: &str = "ResourceInUseException";
const RESOURCE_LIMIT_EXCEEDED: &str = "ResourceLimitExceededException";
const RESOURCE_NOT_FOUND: &str = "ResourceNotFoundException";
const SERIALIZATION: &str = "SerializationException";
const SERVER: &str = "ServerException";
const THROTTLING: &str = "ThrottlingException";
const UNKNOWN_OPERATION: &str = "UnknownOperationException";

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
    add_cluster(&emulator, "c1").await;
    let eks = client(emulator.url()).await;
    (emulator, eks)
}

// ----- raw HTTP -----------------------------------------------------------------------------------

const AMZ_DATE: (&str, &str) = ("X-Amz-Date", "20250101T000000Z");

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

    /// The response is an error of this status and `x-amzn-errortype`.
    #[track_caller]
    fn assert_error(&self, status: u16, error_type: &str, what: &str) {
        assert_eq!(self.status, status, "{what}: {}", self.body);
        assert_eq!(self.error_type(), Some(error_type), "{what}: {}", self.body);
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

fn authorization(scope: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential={ACCESS_KEY_ID}/20250101/{scope}/aws4_request, SignedHeaders=host;x-amz-date, Signature=0123456789abcdef"
    )
}

/// A raw EKS API request with this `Authorization` header and an `X-Amz-Date`.
async fn raw_with_authorization(
    emulator: &EmulatorHandle,
    method: &str,
    path: &str,
    authorization: &str,
    body: &str,
) -> RawResponse {
    let headers = [("Authorization", authorization), AMZ_DATE];
    raw_request(emulator.url(), method, path, &headers, body).await
}

/// A raw EKS API request with a structurally valid signature.
async fn signed_raw(
    emulator: &EmulatorHandle,
    method: &str,
    path: &str,
    body: &str,
) -> RawResponse {
    let auth = authorization("eu-west-1/eks");
    raw_with_authorization(emulator, method, path, &auth, body).await
}

// ----- admin interface ----------------------------------------------------------------------------

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

/// An admin call that must answer with `status`; its JSON body.
async fn admin_expect(
    emulator: &EmulatorHandle,
    method: &str,
    path: &str,
    body: Option<Value>,
    status: u16,
) -> Value {
    let (actual, body) = admin(emulator, method, path, body).await;
    assert_eq!(actual, status, "admin {method} {path}: {body}");
    body
}

/// Admin: creates cluster `name`.
async fn add_cluster(emulator: &EmulatorHandle, name: &str) {
    let cluster = json!({ "name": name });
    admin_expect(emulator, "POST", "/_emulator/clusters", Some(cluster), 200).await;
}

async fn add_fault(emulator: &EmulatorHandle, fault: Value) {
    admin_expect(emulator, "POST", "/_emulator/faults", Some(fault), 204).await;
}

async fn clear_requests_log(emulator: &EmulatorHandle) {
    admin_expect(emulator, "DELETE", "/_emulator/requests", None, 204).await;
}

async fn requests_log(emulator: &EmulatorHandle) -> Vec<Value> {
    let body = admin_expect(emulator, "GET", "/_emulator/requests", None, 200).await;
    body["requests"].as_array().expect("requests array").clone()
}

/// The statuses of these logged requests, in order.
fn statuses<'a>(requests: impl IntoIterator<Item = &'a Value>) -> Vec<u64> {
    requests
        .into_iter()
        .map(|r| r["status"].as_u64().expect("status"))
        .collect()
}

async fn admin_associations(emulator: &EmulatorHandle, cluster: &str) -> Vec<Value> {
    let path = format!("/_emulator/clusters/{cluster}/associations");
    let body = admin_expect(emulator, "GET", &path, None, 200).await;
    body["associations"]
        .as_array()
        .expect("associations")
        .clone()
}

// ----- SDK requests -------------------------------------------------------------------------------

/// CreatePodIdentityAssociation on cluster `c1` with role `ROLE`; further setters add to the
/// request or override these defaults.
fn create_request(
    eks: &Client,
    namespace: &str,
    service_account: &str,
) -> CreatePodIdentityAssociationFluentBuilder {
    eks.create_pod_identity_association()
        .cluster_name("c1")
        .namespace(namespace)
        .service_account(service_account)
        .role_arn(ROLE)
}

/// `create_request` with target role `TARGET_ROLE` and session policy `POLICY` (which requires
/// disabled session tags).
fn create_with_target_and_policy(
    eks: &Client,
    namespace: &str,
    service_account: &str,
) -> CreatePodIdentityAssociationFluentBuilder {
    create_request(eks, namespace, service_account)
        .target_role_arn(TARGET_ROLE)
        .disable_session_tags(true)
        .policy(POLICY)
}

/// DescribePodIdentityAssociation of `id` on cluster `c1`.
fn describe_request(eks: &Client, id: &str) -> DescribePodIdentityAssociationFluentBuilder {
    eks.describe_pod_identity_association()
        .cluster_name("c1")
        .association_id(id)
}

/// UpdatePodIdentityAssociation of `id` on cluster `c1`, changing nothing yet.
fn update_request(eks: &Client, id: &str) -> UpdatePodIdentityAssociationFluentBuilder {
    eks.update_pod_identity_association()
        .cluster_name("c1")
        .association_id(id)
}

fn delete_request(eks: &Client, id: &str) -> DeletePodIdentityAssociationFluentBuilder {
    eks.delete_pod_identity_association()
        .cluster_name("c1")
        .association_id(id)
}

fn list_request(eks: &Client) -> ListPodIdentityAssociationsFluentBuilder {
    eks.list_pod_identity_associations().cluster_name("c1")
}

// ----- SDK outcomes -------------------------------------------------------------------------------

/// Responses that carry one association.
trait AssociationResponse {
    fn into_association(self) -> Option<PodIdentityAssociation>;
}

macro_rules! association_responses {
    ($($output:ty),+) => {$(
        impl AssociationResponse for $output {
            fn into_association(self) -> Option<PodIdentityAssociation> {
                self.association
            }
        }
    )+};
}

association_responses!(
    CreatePodIdentityAssociationOutput,
    DescribePodIdentityAssociationOutput,
    UpdatePodIdentityAssociationOutput,
    DeletePodIdentityAssociationOutput
);

/// The association returned by a call that must succeed.
#[track_caller]
fn expect_association<O: AssociationResponse, E: Debug, R: Debug>(
    result: Result<O, SdkError<E, R>>,
    what: &str,
) -> PodIdentityAssociation {
    match result {
        Ok(output) => match output.into_association() {
            Some(association) => association,
            None => panic!("{what}: no association in the response"),
        },
        Err(err) => panic!("{what}: {err:?}"),
    }
}

async fn create(eks: &Client, namespace: &str, service_account: &str) -> PodIdentityAssociation {
    let result = create_request(eks, namespace, service_account).send().await;
    expect_association(result, "create association")
}

/// The id of a new association on `c1` with role `ROLE`.
async fn new_association_id(eks: &Client, namespace: &str, service_account: &str) -> String {
    let created = create(eks, namespace, service_account).await;
    created.association_id().expect("id").to_owned()
}

async fn describe(eks: &Client, id: &str) -> PodIdentityAssociation {
    expect_association(
        describe_request(eks, id).send().await,
        "describe association",
    )
}

async fn describe_cluster(eks: &Client, name: &str) -> Cluster {
    let described = eks.describe_cluster().name(name).send().await;
    described
        .expect("describe cluster")
        .cluster
        .expect("cluster in response")
}

/// All associations of a listing, through the paginator.
async fn list_all(
    request: ListPodIdentityAssociationsFluentBuilder,
) -> Vec<PodIdentityAssociationSummary> {
    let pages = request.into_paginator().items().send();
    pages.try_collect().await.expect("paginate associations")
}

/// The tags of resource `arn` (which the response must carry).
async fn listed_tags(eks: &Client, arn: &str) -> HashMap<String, String> {
    let listed = eks.list_tags_for_resource().resource_arn(arn).send().await;
    listed.expect("list tags").tags.expect("tags in response")
}

/// The service error of a call that must fail.
#[track_caller]
fn service_error<T: Debug, E: Debug, R: Debug>(result: Result<T, SdkError<E, R>>, what: &str) -> E {
    match result {
        Ok(output) => panic!("{what}: expected an error, got {output:?}"),
        Err(SdkError::ServiceError(context)) => context.into_err(),
        Err(other) => panic!("{what}: expected a service error, got {other:?}"),
    }
}

/// The service error of a call that must fail with error code `code`.
#[track_caller]
fn expect_error<T: Debug, E: ProvideErrorMetadata + Debug, R: Debug>(
    result: Result<T, SdkError<E, R>>,
    what: &str,
    code: &str,
) -> E {
    let err = service_error(result, what);
    assert_eq!(err.code(), Some(code), "{what}: error code of {err:?}");
    err
}

/// The service error of a call that must fail with error code `code` and a message containing
/// `message_part`.
#[track_caller]
fn expect_error_containing<T: Debug, E: ProvideErrorMetadata + Debug, R: Debug>(
    result: Result<T, SdkError<E, R>>,
    what: &str,
    code: &str,
    message_part: &str,
) -> E {
    let err = expect_error(result, what, code);
    let message = err.message().unwrap_or_default();
    assert!(
        message.contains(message_part),
        "{what}: message {message:?} should contain {message_part:?}"
    );
    err
}

fn no_cluster_message(name: &str) -> String {
    format!("No cluster found for name: {name}.")
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

    let described = describe_cluster(&eks, "blue").await;
    assert_eq!(described.arn(), created.arn());
    assert_eq!(
        described.role_arn(),
        Some("arn:aws:iam::123456789012:role/cluster")
    );

    let duplicate = eks.create_cluster().name("blue").send().await;
    expect_error(duplicate, "duplicate cluster", RESOURCE_IN_USE);

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

    let bad_page = eks.list_clusters().max_results(0).send().await;
    expect_error(bad_page, "maxResults 0", INVALID_PARAMETER);
    let bad_token = eks.list_clusters().next_token("forged").send().await;
    expect_error(bad_token, "forged token", INVALID_PARAMETER);

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

    expect_error_containing(
        eks.describe_cluster().name("green").send().await,
        "deleted cluster",
        RESOURCE_NOT_FOUND,
        &no_cluster_message("green"),
    );
    let gone_again = eks.delete_cluster().name("green").send().await;
    expect_error(gone_again, "delete twice", RESOURCE_NOT_FOUND);
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

    let unknown_id = "a-00000000000000000";
    expect_error_containing(
        describe_request(&eks, unknown_id).send().await,
        "unknown association",
        RESOURCE_NOT_FOUND,
        unknown_id,
    );
    expect_error_containing(
        describe_request(&eks, id).cluster_name("nope").send().await,
        "unknown cluster",
        RESOURCE_NOT_FOUND,
        &no_cluster_message("nope"),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_with_target_role_policy_and_tags() {
    let (_emulator, eks) = setup().await;

    let request = create_with_target_and_policy(&eks, "shop", "cart")
        .tags("env", "prod")
        .tags("team", "shop");
    let created = expect_association(request.send().await, "create association");
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

    let base = || create_request(&eks, "ns", "sa");
    let cases = [
        ("missing namespace", base().set_namespace(None), "namespace"),
        (
            "missing service account",
            base().set_service_account(None),
            "serviceAccount",
        ),
        ("missing role", base().set_role_arn(None), "roleArn"),
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
            base().target_role_arn("not-an-arn"),
            "targetRoleArn",
        ),
        (
            "policy without disableSessionTags",
            base().policy(POLICY),
            "disableSessionTags",
        ),
        (
            "policy with disableSessionTags false",
            base().policy(POLICY).disable_session_tags(false),
            "disableSessionTags",
        ),
        (
            "policy not JSON",
            base().policy("{not json").disable_session_tags(true),
            "policy",
        ),
        ("reserved tag prefix", base().tags("aws:owner", "x"), "aws:"),
        ("empty tag key", base().tags("", "x"), "Tag key"),
        ("long tag key", base().tags("k".repeat(129), "x"), "Tag key"),
        ("long tag value", base().tags("k", "v".repeat(257)), "value"),
    ];
    for (what, request, message_part) in cases {
        expect_error_containing(request.send().await, what, INVALID_PARAMETER, message_part);
    }

    let mut too_many = base();
    for i in 0..51 {
        too_many = too_many.tags(format!("k{i}"), "v");
    }
    expect_error(too_many.send().await, "51 tags", INVALID_PARAMETER);

    let no_cluster = expect_error_containing(
        base().cluster_name("missing").send().await,
        "unknown cluster",
        RESOURCE_NOT_FOUND,
        &no_cluster_message("missing"),
    );
    match &no_cluster {
        CreatePodIdentityAssociationError::ResourceNotFoundException(e) => {
            assert_eq!(e.cluster_name(), Some("missing"));
        }
        other => panic!("expected ResourceNotFoundException, got {other:?}"),
    }

    assert!(
        admin_associations(&emulator, "c1").await.is_empty(),
        "nothing committed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_association_reports_the_existing_id() {
    let (emulator, eks) = setup().await;
    let existing_id = new_association_id(&eks, "default", "app").await;

    let duplicate = create_request(&eks, "default", "app").role_arn(OTHER_ROLE);
    let err = expect_error(
        duplicate.send().await,
        "duplicate association",
        RESOURCE_IN_USE,
    );
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
    expect_error(
        create_request(&eks, "bulk", "one-too-many").send().await,
        "5001st association",
        RESOURCE_LIMIT_EXCEEDED,
    );
}

// ----- associations: update / delete --------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_changes_only_the_given_fields() {
    let (_emulator, eks) = setup().await;
    let request = create_with_target_and_policy(&eks, "ns", "sa").tags("keep", "me");
    let created = expect_association(request.send().await, "create");
    let id = created.association_id().expect("id");
    tokio::time::sleep(Duration::from_millis(20)).await;

    let updated = expect_association(
        update_request(&eks, id).role_arn(OTHER_ROLE).send().await,
        "update role",
    );
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
    let unchanged = expect_association(update_request(&eks, id).send().await, "empty update");
    assert_eq!(unchanged.role_arn(), Some(OTHER_ROLE));
    assert_eq!(unchanged.policy(), Some(POLICY));
    assert_eq!(unchanged.external_id(), created.external_id());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn target_role_and_external_id_lifecycle() {
    let (_emulator, eks) = setup().await;
    let id = new_association_id(&eks, "ns", "sa").await;
    let update = || update_request(&eks, &id);

    let first = expect_association(
        update().target_role_arn(TARGET_ROLE).send().await,
        "set target",
    );
    let first_external_id = first.external_id().expect("external id").to_owned();
    assert_eq!(first.target_role_arn(), Some(TARGET_ROLE));

    let same = expect_association(
        update().target_role_arn(TARGET_ROLE).send().await,
        "same target",
    );
    assert_eq!(
        same.external_id(),
        Some(first_external_id.as_str()),
        "same target keeps the external id"
    );

    let moved = expect_association(
        update().target_role_arn(SECOND_TARGET_ROLE).send().await,
        "new target",
    );
    assert_eq!(moved.target_role_arn(), Some(SECOND_TARGET_ROLE));
    let second_external_id = moved.external_id().expect("external id");
    assert_ne!(
        second_external_id, first_external_id,
        "a new target gets a new external id"
    );

    let untouched = expect_association(update().role_arn(OTHER_ROLE).send().await, "role only");
    assert_eq!(
        untouched.target_role_arn(),
        Some(SECOND_TARGET_ROLE),
        "absent targetRoleArn leaves it"
    );

    let cleared = expect_association(update().target_role_arn("").send().await, "clear target");
    assert_eq!(cleared.target_role_arn(), None);
    assert_eq!(cleared.external_id(), None);
    let described = describe(&eks, &id).await;
    assert_eq!(described.target_role_arn(), None);
    assert_eq!(described.external_id(), None);

    let bad_target = update().target_role_arn("arn:aws:iam::1:role/x");
    expect_error(bad_target.send().await, "bad target", INVALID_PARAMETER);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_enforces_policy_and_role_rules() {
    let (_emulator, eks) = setup().await;
    let id = new_association_id(&eks, "ns", "sa").await;
    let update = || update_request(&eks, &id);

    expect_error_containing(
        update().policy(POLICY).send().await,
        "policy without disableSessionTags",
        INVALID_PARAMETER,
        "disableSessionTags",
    );

    let with_policy = expect_association(
        update()
            .policy(POLICY)
            .disable_session_tags(true)
            .send()
            .await,
        "set policy",
    );
    assert_eq!(with_policy.policy(), Some(POLICY));

    expect_error(
        update().disable_session_tags(false).send().await,
        "re-enable session tags with a policy",
        INVALID_PARAMETER,
    );
    expect_error(
        update().policy("[1,").send().await,
        "policy not JSON",
        INVALID_PARAMETER,
    );

    let cleared = expect_association(update().policy("").send().await, "clear policy");
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
        expect_error(
            update().role_arn(role).send().await,
            what,
            INVALID_PARAMETER,
        );
    }
    assert_eq!(
        describe(&eks, &id).await.role_arn(),
        Some(ROLE),
        "failed updates commit nothing"
    );

    let unknown = update_request(&eks, "a-zzzzzzzzzzzzzzzzz").role_arn(ROLE);
    expect_error(
        unknown.send().await,
        "unknown association",
        RESOURCE_NOT_FOUND,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_returns_the_deleted_association() {
    let (_emulator, eks) = setup().await;
    let created = create(&eks, "ns", "sa").await;
    let id = created.association_id().expect("id");

    let deleted = expect_association(delete_request(&eks, id).send().await, "delete");
    assert_eq!(deleted, created);

    expect_error(
        describe_request(&eks, id).send().await,
        "describe deleted",
        RESOURCE_NOT_FOUND,
    );
    expect_error(
        delete_request(&eks, id).send().await,
        "delete twice",
        RESOURCE_NOT_FOUND,
    );

    // The slot is free again.
    let recreated = create(&eks, "ns", "sa").await;
    assert_ne!(recreated.association_id(), Some(id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn addon_owned_associations_refuse_update_and_delete() {
    let (emulator, eks) = setup().await;
    let owned = admin_expect(
        &emulator,
        "POST",
        "/_emulator/clusters/c1/addon-associations",
        Some(json!({"namespace": "kube-system", "serviceAccount": "aws-node", "roleArn": ROLE, "addonName": "vpc-cni"})),
        200,
    )
    .await;
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
    let listed = list_request(&eks).send().await.expect("list");
    assert_eq!(listed.associations()[0].owner_arn(), Some(owner));

    expect_error_containing(
        update_request(&eks, id).role_arn(OTHER_ROLE).send().await,
        "update owned",
        INVALID_REQUEST,
        "owned by the EKS add-on",
    );
    expect_error_containing(
        delete_request(&eks, id).send().await,
        "delete owned",
        INVALID_REQUEST,
        "owned by the EKS add-on",
    );
    assert_eq!(describe(&eks, id).await.role_arn(), Some(ROLE));

    // The add-on's service account is taken.
    let dup = expect_error(
        create_request(&eks, "kube-system", "aws-node").send().await,
        "duplicate of owned",
        RESOURCE_IN_USE,
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
        ids.push(new_association_id(&eks, namespace, service_account).await);
    }
    let association_ids = |summaries: &[PodIdentityAssociationSummary]| -> Vec<String> {
        summaries
            .iter()
            .map(|s| s.association_id().expect("id").to_owned())
            .collect()
    };

    let mut pages = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = list_request(&eks)
            .max_results(3)
            .set_next_token(token.clone())
            .send()
            .await
            .expect("list page");
        pages.push(association_ids(page.associations()));
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [3, 3, 1]);
    assert_eq!(pages.concat(), ids, "stable creation order");

    let all = list_all(list_request(&eks).max_results(2)).await;
    assert_eq!(association_ids(&all), ids);

    let blue = list_request(&eks)
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

    let api_green = list_request(&eks)
        .namespace("green")
        .service_account("api")
        .send()
        .await
        .expect("filter both");
    assert_eq!(association_ids(api_green.associations()), [ids[1].clone()]);

    let filtered = list_all(list_request(&eks).service_account("api").max_results(1)).await;
    let namespaces: Vec<&str> = filtered
        .iter()
        .map(|s| s.namespace().expect("ns"))
        .collect();
    assert_eq!(namespaces, ["blue", "green", "common"]);

    // Summaries carry exactly these members on the wire (no roleArn).
    let path = "/clusters/c1/pod-identity-associations";
    let raw = signed_raw(&emulator, "GET", &format!("{path}?maxResults=1"), "").await;
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
    let last = signed_raw(&emulator, "GET", path, "").await;
    assert!(
        last.json().get("nextToken").is_none(),
        "no nextToken on the last page"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_rejects_bad_page_sizes_and_tokens() {
    let (emulator, eks) = setup().await;
    add_cluster(&emulator, "c2").await;
    for i in 0..3 {
        create(&eks, "ns", &format!("sa{i}")).await;
    }
    for max in [0, 101, -1] {
        expect_error(
            list_request(&eks).max_results(max).send().await,
            &format!("maxResults {max}"),
            INVALID_PARAMETER,
        );
    }
    let ok = list_request(&eks)
        .max_results(100)
        .send()
        .await
        .expect("maxResults 100");
    assert_eq!(ok.associations().len(), 3);

    expect_error(
        list_request(&eks).next_token("never-issued").send().await,
        "forged token",
        INVALID_PARAMETER,
    );

    let token = list_request(&eks)
        .max_results(1)
        .send()
        .await
        .expect("first page")
        .next_token
        .expect("token");
    expect_error(
        list_request(&eks)
            .cluster_name("c2")
            .next_token(token)
            .send()
            .await,
        "token of another cluster",
        INVALID_PARAMETER,
    );

    expect_error(
        list_request(&eks).cluster_name("nope").send().await,
        "unknown cluster",
        RESOURCE_NOT_FOUND,
    );
}

// ----- idempotency --------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_is_idempotent_per_client_request_token() {
    let (emulator, eks) = setup().await;
    let request = |service_account: &str| {
        create_request(&eks, "ns", service_account)
            .tags("k", "v")
            .client_request_token("token-1")
    };

    let first = expect_association(request("sa").send().await, "first create");
    let second = expect_association(request("sa").send().await, "replayed create");
    assert_eq!(first.association_id(), second.association_id());
    assert_eq!(first, second);
    assert_eq!(
        admin_associations(&emulator, "c1").await.len(),
        1,
        "one association"
    );

    expect_error_containing(
        request("other").send().await,
        "same token, other parameters",
        INVALID_REQUEST,
        "token-1",
    );
    assert_eq!(admin_associations(&emulator, "c1").await.len(), 1);

    // A failed request stores nothing under its token.
    add_fault(&emulator, json!({"kind": "role_not_found"})).await;
    let failing = || create_request(&eks, "ns", "late").client_request_token("token-2");
    expect_error(failing().send().await, "role not found", INVALID_PARAMETER);
    let later = expect_association(failing().send().await, "retry with the same token");
    assert_eq!(later.service_account(), Some("late"));
    assert_eq!(admin_associations(&emulator, "c1").await.len(), 2);

    // Tokens are scoped to the cluster.
    add_cluster(&emulator, "c2").await;
    let elsewhere = expect_association(
        request("sa").cluster_name("c2").send().await,
        "same token on another cluster",
    );
    assert_ne!(elsewhere.association_id(), first.association_id());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_is_idempotent_per_client_request_token() {
    let (_emulator, eks) = setup().await;
    let id = new_association_id(&eks, "ns", "sa").await;
    let update = |target: &str| {
        update_request(&eks, &id)
            .target_role_arn(target)
            .client_request_token("update-1")
    };
    let first = expect_association(update(TARGET_ROLE).send().await, "update");
    let replay = expect_association(update(TARGET_ROLE).send().await, "replayed update");
    assert_eq!(
        replay.external_id(),
        first.external_id(),
        "replay does not mint a new external id"
    );
    assert_eq!(replay, first);

    expect_error(
        update(SECOND_TARGET_ROLE).send().await,
        "same token, other target",
        INVALID_REQUEST,
    );
    assert_eq!(
        describe(&eks, &id).await.target_role_arn(),
        Some(TARGET_ROLE)
    );
}

// ----- tags ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tags_on_associations_and_clusters() {
    let (_emulator, eks) = setup().await;
    let created = expect_association(
        create_request(&eks, "ns", "sa").tags("a", "1").send().await,
        "create",
    );
    let association_arn = created.association_arn().expect("arn").to_owned();
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
    let association_tags = tags(&[("a", "1"), ("b", "two")]);
    let cluster_tags = tags(&[("b", "two")]);
    assert_eq!(listed_tags(&eks, &association_arn).await, association_tags);
    assert_eq!(listed_tags(&eks, &cluster_arn).await, cluster_tags);
    let cluster = describe_cluster(&eks, "c1").await;
    assert_eq!(cluster.tags(), Some(&cluster_tags));

    let id = created.association_id().expect("id");
    assert_eq!(describe(&eks, id).await.tags(), Some(&association_tags));
    let updated = expect_association(
        update_request(&eks, id).role_arn(OTHER_ROLE).send().await,
        "update",
    );
    assert_eq!(updated.tags(), Some(&association_tags), "update keeps tags");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tag_operations_validate_tags_and_resources() {
    let (_emulator, eks) = setup().await;
    let arn = create(&eks, "ns", "sa")
        .await
        .association_arn()
        .expect("arn")
        .to_owned();
    let tag = || eks.tag_resource().resource_arn(&arn);

    for (what, key, value) in [
        ("reserved prefix", "aws:x".to_owned(), "v".to_owned()),
        ("long key", "k".repeat(129), "v".to_owned()),
        ("long value", "k".to_owned(), "v".repeat(257)),
    ] {
        expect_error(tag().tags(key, value).send().await, what, BAD_REQUEST);
    }
    let mut fifty = tag();
    for i in 0..50 {
        fifty = fifty.tags(format!("k{i}"), "v");
    }
    fifty.send().await.expect("50 tags are allowed");
    expect_error(
        tag().tags("one-more", "v").send().await,
        "51st tag",
        BAD_REQUEST,
    );
    assert_eq!(listed_tags(&eks, &arn).await.len(), 50);

    let unknown =
        format!("arn:aws:eks:eu-west-1:{ACCOUNT}:podidentityassociation/c1/a-00000000000000000");
    expect_error(
        eks.list_tags_for_resource()
            .resource_arn(&unknown)
            .send()
            .await,
        "unknown arn",
        NOT_FOUND,
    );
    expect_error(
        eks.tag_resource()
            .resource_arn(format!("arn:aws:eks:eu-west-1:{ACCOUNT}:cluster/none"))
            .tags("k", "v")
            .send()
            .await,
        "unknown cluster arn",
        NOT_FOUND,
    );
    expect_error(
        eks.untag_resource()
            .resource_arn("arn:aws:s3:::bucket")
            .tag_keys("k")
            .send()
            .await,
        "non-EKS arn",
        BAD_REQUEST,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_cluster_deletes_its_associations() {
    let (emulator, eks) = setup().await;
    let request = || {
        create_request(&eks, "ns", "sa")
            .tags("k", "v")
            .client_request_token("before-delete")
    };
    let created = expect_association(request().send().await, "create");
    create(&eks, "ns", "sa2").await;

    eks.delete_cluster()
        .name("c1")
        .send()
        .await
        .expect("delete cluster");
    let associations = "/_emulator/clusters/c1/associations";
    admin_expect(&emulator, "GET", associations, None, 404).await;
    expect_error_containing(
        describe_request(&eks, created.association_id().expect("id"))
            .send()
            .await,
        "association of deleted cluster",
        RESOURCE_NOT_FOUND,
        &no_cluster_message("c1"),
    );

    eks.create_cluster()
        .name("c1")
        .send()
        .await
        .expect("recreate cluster");
    let listed = list_request(&eks).send().await.expect("list");
    assert!(
        listed.associations().is_empty(),
        "associations went with the cluster"
    );
    expect_error(
        eks.list_tags_for_resource()
            .resource_arn(created.association_arn().expect("arn"))
            .send()
            .await,
        "tags of a deleted association",
        NOT_FOUND,
    );
    // The old token is gone with the cluster: it creates a new association.
    let again = expect_association(request().send().await, "create after recreate");
    assert_ne!(again.association_id(), created.association_id());
}

// ----- protocol -----------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_must_carry_a_sigv4_signature_for_eks_in_the_region() {
    let (emulator, _eks) = setup().await;
    let path = "/clusters/c1/pod-identity-associations";
    let get_with = |auth: String| {
        let emulator = &emulator;
        async move { raw_with_authorization(emulator, "GET", path, &auth, "").await }
    };

    let unsigned = raw_request(emulator.url(), "GET", path, &[AMZ_DATE], "").await;
    unsigned.assert_error(403, "MissingAuthenticationTokenException", "unsigned");
    assert_eq!(unsigned.json()["message"], "Missing Authentication Token");

    for malformed in [
        "Bearer abc".to_owned(),
        "AWS4-HMAC-SHA256 Credential=AKID/20250101/eu-west-1/eks/aws4_request".to_owned(),
        "AWS4-HMAC-SHA256 Credential=AKID/eu-west-1/eks, SignedHeaders=host, Signature=00"
            .to_owned(),
    ] {
        let response = get_with(malformed.clone()).await;
        response.assert_error(403, INCOMPLETE_SIGNATURE, &malformed);
    }
    let auth = authorization("eu-west-1/eks");
    let no_date = raw_request(emulator.url(), "GET", path, &[("Authorization", &auth)], "").await;
    no_date.assert_error(403, INCOMPLETE_SIGNATURE, "no X-Amz-Date");

    let wrong_service = get_with(authorization("eu-west-1/iam")).await;
    wrong_service.assert_error(403, INVALID_SIGNATURE, "wrong service");
    assert_eq!(
        wrong_service.json()["message"],
        "Credential should be scoped to correct service: 'eks'. "
    );

    let wrong_region = get_with(authorization("us-east-1/eks")).await;
    wrong_region.assert_error(403, INVALID_SIGNATURE, "wrong region");
    assert_eq!(
        wrong_region.json()["message"],
        "Credential should be scoped to a valid region. "
    );

    // The SDK configured for another region signs for it and is refused the same way.
    let elsewhere = client_with(emulator.url(), "us-east-1", RetryConfig::disabled()).await;
    expect_error_containing(
        elsewhere.list_clusters().send().await,
        "wrong region client",
        INVALID_SIGNATURE,
        "valid region",
    );

    let ok = signed_raw(&emulator, "GET", path, "").await;
    assert_eq!(ok.status, 200);
    assert!(ok.headers.contains_key("x-amzn-requestid"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_bodies_and_unknown_paths() {
    let (emulator, _eks) = setup().await;
    let associations = "/clusters/c1/pod-identity-associations";
    let bad_json = signed_raw(&emulator, "POST", associations, "{not json").await;
    bad_json.assert_error(400, SERIALIZATION, "bad JSON");
    let wrong_type = signed_raw(&emulator, "POST", associations, r#"{"namespace": 5}"#).await;
    wrong_type.assert_error(400, SERIALIZATION, "wrongly typed member");

    let unknown = signed_raw(&emulator, "GET", "/clusters/c1/node-groups", "").await;
    unknown.assert_error(404, UNKNOWN_OPERATION, "unknown path");
    assert!(unknown.json()["message"].is_string());
    let wrong_method = signed_raw(&emulator, "PUT", "/clusters/c1", "").await;
    wrong_method.assert_error(404, UNKNOWN_OPERATION, "unknown method");

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
    assert_eq!(log[2]["error_type"], UNKNOWN_OPERATION);
}

// ----- admin interface ----------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_log_records_every_api_request() {
    let (emulator, eks) = setup().await;
    let id = new_association_id(&eks, "ns", "sa").await;
    describe(&eks, &id).await;
    let _ = eks.describe_cluster().name("missing").send().await;
    let arn = format!("arn:aws:eks:eu-west-1:{ACCOUNT}:cluster/c1");
    listed_tags(&eks, &arn).await;
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
    assert_eq!(log[2]["error_type"], RESOURCE_NOT_FOUND);
    assert_eq!(log[2]["cluster"], "missing");
    assert_eq!(log[3]["operation"], "ListTagsForResource");
    assert_eq!(log[3]["cluster"], "c1");
    assert_eq!(log[4]["operation"], "ListClusters");
    assert_eq!(log[4]["status"], 403);
    assert_eq!(log[4]["access_key_id"], Value::Null);
    assert_eq!(log[4]["cluster"], Value::Null);

    clear_requests_log(&emulator).await;
    assert!(requests_log(&emulator).await.is_empty());
    list_request(&eks)
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
    let clusters = "/_emulator/clusters";
    let cluster = admin_expect(
        &emulator,
        "POST",
        clusters,
        Some(json!({"name": "c1", "tags": {"env": "test"}})),
        200,
    )
    .await;
    assert_eq!(cluster["name"], "c1");
    assert_eq!(
        cluster["arn"],
        format!("arn:aws:eks:eu-west-1:{ACCOUNT}:cluster/c1")
    );
    assert_eq!(cluster["tags"], json!({"env": "test"}));
    admin_expect(
        &emulator,
        "POST",
        clusters,
        Some(json!({"name": "c1"})),
        409,
    )
    .await;

    let eks = client(emulator.url()).await;
    let created = create(&eks, "ns", "sa").await;
    let listed = admin_associations(&emulator, "c1").await;
    assert_eq!(listed.len(), 1);
    assert_eq!(
        listed[0]["associationId"],
        created.association_id().expect("id")
    );
    assert_eq!(listed[0]["roleArn"], ROLE);

    let unknown_cluster_associations = "/_emulator/clusters/none/associations";
    admin_expect(&emulator, "GET", unknown_cluster_associations, None, 404).await;
    admin_expect(&emulator, "DELETE", "/_emulator/clusters/none", None, 404).await;
    for bad_fault in [
        json!({"kind": "meteor"}),
        json!({"kind": "throttle", "operation": "DescribeNothing"}),
    ] {
        admin_expect(&emulator, "POST", "/_emulator/faults", Some(bad_fault), 400).await;
    }

    add_fault(&emulator, json!({"kind": "throttle", "count": 5})).await;
    admin_expect(&emulator, "POST", "/_emulator/reset", None, 204).await;
    assert!(requests_log(&emulator).await.is_empty());
    expect_error(
        eks.describe_cluster().name("c1").send().await,
        "cluster after reset (faults were cleared too)",
        RESOURCE_NOT_FOUND,
    );

    add_cluster(&emulator, "c1").await;
    create(&eks, "ns", "sa").await;
    admin_expect(&emulator, "DELETE", "/_emulator/clusters/c1", None, 204).await;
    expect_error(
        eks.describe_cluster().name("c1").send().await,
        "admin-deleted cluster",
        RESOURCE_NOT_FOUND,
    );
}

// ----- faults -------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttle_fault() {
    let (emulator, eks) = setup().await;
    let throttle_creates = |count: u32| json!({"kind": "throttle", "operation": "CreatePodIdentityAssociation", "count": count});
    add_fault(&emulator, throttle_creates(2)).await;

    // Other operations are not affected.
    eks.list_clusters()
        .send()
        .await
        .expect("list clusters is not throttled");

    expect_error_containing(
        create_request(&eks, "ns", "sa").send().await,
        "throttled create",
        THROTTLING,
        "Rate exceeded",
    );
    assert!(
        admin_associations(&emulator, "c1").await.is_empty(),
        "not executed"
    );

    let retrying = retrying_client(emulator.url()).await;
    clear_requests_log(&emulator).await;
    add_fault(&emulator, throttle_creates(1)).await;
    // One count left from the first fault plus one from the second: two throttles, then success.
    create_request(&retrying, "ns", "sa")
        .send()
        .await
        .expect("retries get through");
    assert_eq!(statuses(&requests_log(&emulator).await), [429, 429, 200]);
    assert_eq!(admin_associations(&emulator, "c1").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_error_fault() {
    let (emulator, eks) = setup().await;
    let id = new_association_id(&eks, "ns", "sa").await;
    add_fault(&emulator, json!({"kind": "server_error", "count": 2})).await;

    expect_error(
        update_request(&eks, &id).role_arn(OTHER_ROLE).send().await,
        "server error",
        SERVER,
    );
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
    let updated = expect_association(
        update_request(&retrying, &id)
            .role_arn(OTHER_ROLE)
            .send()
            .await,
        "retries get through",
    );
    assert_eq!(updated.role_arn(), Some(OTHER_ROLE));
    let log = requests_log(&emulator).await;
    let updates = log
        .iter()
        .filter(|r| r["operation"] == "UpdatePodIdentityAssociation");
    assert_eq!(statuses(updates), [500, 500, 500, 200]);
}

/// Describe through a retrying client (the server_error fault has a count left over for it).
async fn describe_with_retries(emulator: &EmulatorHandle, id: &str) -> PodIdentityAssociation {
    describe(&retrying_client(emulator.url()).await, id).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_after_commit_fault() {
    let (emulator, eks) = setup().await;
    let drop_create =
        || json!({"kind": "drop_after_commit", "operation": "CreatePodIdentityAssociation"});
    add_fault(&emulator, drop_create()).await;

    let err = create_request(&eks, "ns", "sa")
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
    add_fault(&emulator, drop_create()).await;
    let retrying = retrying_client(emulator.url()).await;
    let created = expect_association(
        create_request(&retrying, "ns", "retried").send().await,
        "retry after a dropped response",
    );
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

    let attempt = || create_request(&eks, "ns", "new-role").role_arn(OTHER_ROLE);
    for n in 1..=2 {
        let what = format!("attempt {n}: role not propagated yet");
        let err = expect_error(attempt().send().await, &what, INVALID_PARAMETER);
        assert_eq!(err.message(), Some(ROLE_NOT_FOUND), "{what}");
    }
    assert_eq!(
        admin_associations(&emulator, "c1").await.len(),
        1,
        "failures commit nothing"
    );
    attempt().send().await.expect("the role exists now");

    // Update that sets the role is affected too.
    let id = new_association_id(&eks, "ns", "switch").await;
    add_fault(&emulator, json!({"kind": "role_not_found"})).await;
    let update = || update_request(&eks, &id).role_arn(OTHER_ROLE);
    let err = expect_error(
        update().send().await,
        "update to a new role",
        INVALID_PARAMETER,
    );
    assert_eq!(err.message(), Some(ROLE_NOT_FOUND));
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
        describe_cluster(&eks, "c1").await;
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
    admin_expect(&emulator, "DELETE", "/_emulator/faults", None, 204).await;
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

    let response = raw_request(&url, "POST", "/_emulator/clusters", &[], r#"{"name":"c"}"#).await;
    assert_eq!(response.status, 200);
    assert_eq!(
        response.json()["arn"],
        "arn:aws:eks:us-west-2:111122223333:cluster/c"
    );
    let eks = client_with(&url, "us-west-2", RetryConfig::disabled()).await;
    expect_error(
        create_request(&eks, "ns", "sa")
            .cluster_name("c")
            .send()
            .await,
        "role of another account",
        INVALID_PARAMETER,
    );

    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("send SIGTERM");
    assert!(killed.success());
    let status = child.wait().expect("wait for eks-emulator");
    assert!(status.success(), "clean exit on SIGTERM: {status:?}");
}
